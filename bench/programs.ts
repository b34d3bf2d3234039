// Real programs written as a new user would write them from PyTorch's own examples, the
// same in tensorkit (here) and in PyTorch (bench/peers/torch_programs.py), so the bench can time
// both in one run:
//   gpt   one training step of a small character GPT (minGPT's layout: 4 layers, 4 heads, 128-d,
//         block 64, batch 16, vocabulary 96, AdamW, gradient clipping at 1.0)
//   mnist one epoch (1,527 images, batch 64) of the CNN of PyTorch's examples/mnist (conv 1->32->64
//         3x3, max-pool, dropout, two linears, log-softmax, nll, Adadelta): examples/mnist-cnn.ts's Net
//   poly  one step of "Learning PyTorch with Examples": a cubic fitted to sin on 2,000 points with
//         autograd and a hand-written update
//   c3d   one training step of a small video classifier (two Conv3d 3x3x3 layers with BatchNorm3d,
//         max-pooling, global average pooling and a linear head; clips 8 x 3 x 8 x 32 x 32; SGD with
//         momentum): tensorkit's Conv3d is a composition over its native 2-D convolution, PyTorch's
//         a native 3-D kernel
//   ctc   one training step of a small CTC recogniser (frames of 40 features -> two linears ->
//         30-class log-softmax per frame; CTCLoss over 200 frames x 16 utterances with targets of
//         20..50 labels; SGD): the loss's alpha-beta recursion is most of the step
// Each factory builds the model and data once and returns the step; the data are random (the
// cost does not depend on them).
import { Net as MnistNet } from '../examples/mnist-cnn.js';
import * as tk from '../src/index.js';

const { nn, optim } = tk;
const F = nn.functional;

export const GPT = { vocab: 96, embd: 128, heads: 4, layers: 4, block: 64, batch: 16 };

class CausalSelfAttention extends nn.Module {
  cAttn = new nn.Linear(GPT.embd, 3 * GPT.embd);
  cProj = new nn.Linear(GPT.embd, GPT.embd);
  mask: tk.Tensor;
  constructor() {
    super();
    this.mask = tk.ones([GPT.block, GPT.block], { dtype: 'bool' }).tril().view(1, 1, GPT.block, GPT.block);
    this.registerBuffer('mask', this.mask);
  }
  forward(x: tk.Tensor): tk.Tensor {
    const [B, T, C] = x.shape;
    const hd = C / GPT.heads;
    const [q, k, v] = this.cAttn
      .forward(x)
      .split(C, 2)
      .map((t) => t.view(B, T, GPT.heads, hd).transpose(1, 2));
    const att = q
      .matmul(k.transpose(-2, -1))
      .mul(1 / Math.sqrt(hd))
      .maskedFill(this.mask.narrow(2, 0, T).narrow(3, 0, T).logicalNot(), -Infinity)
      .softmax(-1);
    const y = att.matmul(v).transpose(1, 2).contiguous().view(B, T, C);
    return this.cProj.forward(y);
  }
}

class Block extends nn.Module {
  ln1 = new nn.LayerNorm(GPT.embd);
  attn = new CausalSelfAttention();
  ln2 = new nn.LayerNorm(GPT.embd);
  fc = new nn.Linear(GPT.embd, 4 * GPT.embd);
  proj = new nn.Linear(4 * GPT.embd, GPT.embd);
  gelu = new nn.GELU();
  forward(x: tk.Tensor): tk.Tensor {
    x = x.add(this.attn.forward(this.ln1.forward(x)));
    return x.add(this.proj.forward(this.gelu.forward(this.fc.forward(this.ln2.forward(x)))));
  }
}

export class Gpt extends nn.Module {
  wte = new nn.Embedding(GPT.vocab, GPT.embd);
  wpe = new nn.Embedding(GPT.block, GPT.embd);
  blocks = new nn.ModuleList(Array.from({ length: GPT.layers }, () => new Block()));
  lnF = new nn.LayerNorm(GPT.embd);
  lmHead = new nn.Linear(GPT.embd, GPT.vocab, { bias: false });
  pos = tk.arange(0, GPT.block, 1, { dtype: 'int64' });
  forward(idx: tk.Tensor): tk.Tensor {
    const T = idx.shape[1];
    let x = this.wte.forward(idx).add(this.wpe.forward(this.pos.narrow(0, 0, T)));
    for (const b of this.blocks) x = b.forward(x);
    return this.lmHead.forward(this.lnF.forward(x));
  }
}

/** One GPT training step per call; returns the loss. */
export function gptStep(): () => number {
  tk.manualSeed(0);
  const model = new Gpt();
  const opt = new optim.AdamW(model.parameters(), { lr: 3e-4, weightDecay: 0.1 });
  const data = tk.randint(0, GPT.vocab, [GPT.batch, GPT.block + 1]);
  const x = data.narrow(1, 0, GPT.block).contiguous(),
    y = data.narrow(1, 1, GPT.block).contiguous();
  return () =>
    tk.tidy(() => {
      opt.zeroGrad();
      const logits = model.forward(x);
      const loss = F.crossEntropy(logits.view(-1, GPT.vocab), y.view(-1));
      loss.backward();
      nn.utils.clipGradNorm_(model.parameters(), 1.0);
      opt.step();
      return loss.item() as number;
    });
}

export const MNIST = { images: 1527, batch: 64 };

/** One epoch of the MNIST example's training loop per call; returns the last loss. */
export function mnistEpoch(): () => number {
  tk.manualSeed(0);
  const model = new MnistNet();
  model.train();
  const opt = new optim.Adadelta(model.parameters(), { lr: 1.0 });
  const batches: [tk.Tensor, tk.Tensor][] = [];
  for (let i = 0; i < MNIST.images; i += MNIST.batch) {
    const n = Math.min(MNIST.batch, MNIST.images - i);
    batches.push([tk.randn([n, 1, 28, 28]), tk.randint(0, 10, [n])]);
  }
  return () => {
    let last = 0;
    for (const [x, y] of batches)
      last = tk.tidy(() => {
        opt.zeroGrad();
        const loss = F.nllLoss(model.forward(x), y);
        loss.backward();
        opt.step();
        return loss.item() as number;
      });
    return last;
  };
}

/** One step of the polynomial fit per call (the loop body of the tutorial); returns the loss. */
export function polyStep(): () => number {
  tk.manualSeed(0);
  const x = tk.linspace(-Math.PI, Math.PI, 2000);
  const y = x.sin();
  const [a, b, c, d] = [0, 1, 2, 3].map(() => tk.randn([]).requiresGrad_());
  const lr = 1e-6;
  return () =>
    tk.tidy(() => {
      const yPred = a
        .add(b.mul(x))
        .add(c.mul(x.pow(2)))
        .add(d.mul(x.pow(3)));
      const loss = yPred.sub(y).pow(2).sum();
      loss.backward();
      tk.noGrad(() => {
        for (const p of [a, b, c, d]) {
          p.sub_(p.grad!.mul(lr));
          p.grad = null;
        }
      });
      return loss.item() as number;
    });
}

export const C3D = { batch: 8, frames: 8, size: 32, classes: 10 };

/** The small video classifier of the c3d program. */
export class Clip3d extends nn.Module {
  conv1 = new nn.Conv3d(3, 16, 3, { padding: 1 });
  bn1 = new nn.BatchNorm3d(16);
  conv2 = new nn.Conv3d(16, 32, 3, { padding: 1 });
  fc = new nn.Linear(32, C3D.classes);
  forward(x: tk.Tensor): tk.Tensor {
    let h = F.maxPool3d(this.bn1.forward(this.conv1.forward(x)).relu(), [1, 2, 2]);
    h = F.maxPool3d(this.conv2.forward(h).relu(), 2);
    return this.fc.forward(F.adaptiveAvgPool3d(h, 1).flatten(1));
  }
}

/** One training step of the video classifier per call; returns the loss. */
export function c3dStep(): () => number {
  tk.manualSeed(0);
  const model = new Clip3d();
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = tk.randn([C3D.batch, 3, C3D.frames, C3D.size, C3D.size]),
    y = tk.randint(0, C3D.classes, [C3D.batch]);
  return () =>
    tk.tidy(() => {
      opt.zeroGrad();
      const loss = F.crossEntropy(model.forward(x), y);
      loss.backward();
      opt.step();
      return loss.item() as number;
    });
}

export const CTC = { frames: 200, batch: 16, features: 40, hidden: 128, classes: 30 };

/** One training step of the CTC recogniser per call; returns the loss. */
export function ctcStep(): () => number {
  tk.manualSeed(0);
  const model = new nn.Sequential(
    new nn.Linear(CTC.features, CTC.hidden),
    new nn.ReLU(),
    new nn.Linear(CTC.hidden, CTC.classes),
  );
  const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
  const ctc = new nn.CTCLoss({ zeroInfinity: true });
  const x = tk.randn([CTC.frames, CTC.batch, CTC.features]);
  const targets = tk.randint(1, CTC.classes, [CTC.batch, 50]);
  const inputLengths = Array.from({ length: CTC.batch }, (_, i) => CTC.frames - 5 * (i % 8));
  const targetLengths = Array.from({ length: CTC.batch }, (_, i) => 20 + 2 * i);
  return () =>
    tk.tidy(() => {
      opt.zeroGrad();
      const loss = ctc.call(model.call(x).logSoftmax(2), targets, inputLengths, targetLengths);
      loss.backward();
      opt.step();
      return loss.item() as number;
    });
}

export const PROGRAMS = {
  gpt: { make: gptStep, label: 'GPT training step (4 layers, 128-d, block 64, batch 16, AdamW)' },
  mnist: { make: mnistEpoch, label: 'MNIST-example CNN, one epoch of 1,527 images (batch 64, Adadelta)' },
  poly: { make: polyStep, label: 'polynomial fit step (2,000 points, ~15 ops, autograd)' },
  c3d: { make: c3dStep, label: '3-D CNN training step (clips 8x3x8x32x32; Conv3d, BatchNorm3d, MaxPool3d; SGD)' },
  ctc: { make: ctcStep, label: 'CTC recogniser training step (200 frames x 16, 30 classes, targets 20..50; SGD)' },
} as const;
export type ProgramName = keyof typeof PROGRAMS;
