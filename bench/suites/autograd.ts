// autograd: the engine's per-node overhead (a long chain of tiny adds) and the cost of
// loss.backward() relative to the forward pass for the MLP 784-256-10 at batch 64.
//
// A backward consumes its graph, so each sample builds a fresh graph untimed and times only the
// backward call; the median of many samples is reported.
import { performance } from 'node:perf_hooks';

import * as tk from '../../src/index.js';
import { plainMlpStep, type PlainMlp } from '../../examples/with-and-without.js';
import { measure, type Options, type Row } from '../lib.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median microseconds of `timed(setup())`, with setup untimed; everything freed per sample. */
function sample<T>(reps: number, setup: () => T, timed: (s: T) => void): number {
  const us: number[] = [];
  for (let i = 0; i < reps + 3; i++) {
    tk.tidy(() => {
      const s = setup();
      const t0 = performance.now();
      timed(s);
      const t1 = performance.now();
      if (i >= 3) us.push((t1 - t0) * 1000); // the first samples warm up
    });
  }
  return median(us);
}

function chain(x: tk.Tensor, n: number): tk.Tensor {
  let y = x;
  for (let i = 0; i < n; i++) y = y.add(1);
  return y.sum();
}

export async function* autograd(opts: Options, threads: number[]): AsyncGenerator<Row> {
  const suite = 'autograd';
  const reps = opts.smoke ? 2 : opts.quick ? 15 : 60;
  const N = 1000;
  tk.setNumThreads(1);
  const x = tk.ones([4], { requiresGrad: true });
  // Backward per node: one native call walks the whole chain.
  const backUs = sample(
    reps,
    () => chain(x, N),
    (y) => y.backward(),
  );
  x.grad = null;
  const fwdGradUs = sample(
    reps,
    () => null,
    () => chain(x, N),
  );
  const fwdPlainUs = sample(
    reps,
    () => null,
    () => tk.noGrad(() => chain(x, N)),
  );
  yield {
    suite,
    name: `backward of a chain of ${N} adds [4]`,
    threads: 1,
    nativeUs: backUs,
    note: `${((backUs / N) * 1000).toFixed(0)} ns/node backward; forward ${((fwdGradUs / N) * 1000).toFixed(0)} ns/op recorded vs ${((fwdPlainUs / N) * 1000).toFixed(0)} ns/op under noGrad`,
  };
  x.dispose();

  // MLP 784-256-10, batch 64, softmax cross-entropy written with core ops.
  const B = 64;
  const input = tk.randn([B, 784]);
  const labels = tk.randint(0, 10, [B]);
  const onehot = labels
    .unsqueeze(1)
    .eq(tk.arange(10, { dtype: 'int64' }))
    .to('float32');
  const w1 = tk.randn([784, 256]).mul(0.05).requiresGrad_();
  const b1 = tk.zeros([256], { requiresGrad: true });
  const w2 = tk.randn([256, 10]).mul(0.05).requiresGrad_();
  const b2 = tk.zeros([10], { requiresGrad: true });
  const forward = () => {
    const h = b1.addmm(input, w1).relu();
    const logits = b2.addmm(h, w2);
    return logits
      .logSoftmax(1)
      .mul(onehot)
      .sum()
      .mul(-1 / B);
  };
  const flops = 2 * B * (784 * 256 + 256 * 10);
  for (const th of threads) {
    tk.setNumThreads(th);
    const fwdUs = sample(
      reps,
      () => null,
      () => forward(),
    );
    const bwdUs = sample(
      reps,
      () => forward(),
      (loss) => loss.backward(),
    );
    for (const p of [w1, b1, w2, b2]) p.grad = null;
    yield { suite, name: 'MLP 784-256-10 b64 forward (recorded)', threads: th, nativeUs: fwdUs, flops };
    yield {
      suite,
      name: 'MLP 784-256-10 b64 loss.backward()',
      threads: th,
      nativeUs: bwdUs,
      flops,
      note: `${(bwdUs / fwdUs).toFixed(2)}× the forward`,
    };
  }
  for (const t of [input, onehot, w1, b1, w2, b2]) t.dispose();

  // The loss on its own: crossEntropy (class indices) against a bare logSoftmax mean, forward
  // and backward on [64, 10] logits.
  tk.setNumThreads(1);
  const logits = tk.randn([B, 10], { requiresGrad: true });
  const ceUs = sample(
    reps,
    () => null,
    () => tk.nn.functional.crossEntropy(logits, labels).backward(),
  );
  const lsmUs = sample(
    reps,
    () => null,
    () => logits.logSoftmax(1).mean().backward(),
  );
  logits.grad = null;
  yield {
    suite,
    name: 'crossEntropy [64, 10] forward + backward',
    threads: 1,
    nativeUs: ceUs,
    note: `logSoftmax().mean() alone: ${lsmUs.toFixed(1)} µs`,
  };
  logits.dispose();

  // One full training step with the library's own pieces: nn.Linear, crossEntropy, optim.SGD.
  const fc1 = new tk.nn.Linear(784, 256),
    fc2 = new tk.nn.Linear(256, 10);
  const params = [...fc1.parameters(), ...fc2.parameters()];
  const opt = new tk.optim.SGD(params, { lr: 0.01 });
  const trainStep = () =>
    tk.tidy(() => {
      opt.zeroGrad();
      const logits = fc2.forward(fc1.forward(input2).relu());
      tk.nn.functional.crossEntropy(logits, labels).backward();
      opt.step();
    });
  const input2 = tk.randn([B, 784]);
  // The same step as plain loops (examples/with-and-without.ts: forward, backward, SGD by hand).
  const rnd = tk.data.seededRandom(0);
  const arr = (n: number) => Float32Array.from({ length: n }, () => rnd() * 0.1 - 0.05);
  const net: PlainMlp = {
    w1: arr(784 * 256),
    b1: arr(256),
    w2: arr(256 * 10),
    b2: arr(10),
    inF: 784,
    hidden: 256,
    classes: 10,
  };
  const px = input2.data() as Float32Array,
    py = Int32Array.from(labels.data() as BigInt64Array, Number);
  const plainStepUs = await measure(() => plainMlpStep(net, px, py, 0.01), opts, 1, opts.quick ? 1 : 1500);
  for (const th of threads) {
    tk.setNumThreads(th);
    const us = sample(reps, () => null, trainStep);
    yield {
      suite,
      name: 'MLP 784-256-10 b64 training step (Linear, crossEntropy, backward, SGD)',
      threads: th,
      nativeUs: us,
      flops: 3 * flops,
      plainUs: plainStepUs,
    };
  }
  for (const t of [input2, labels, ...params]) t.dispose();
  opt.disposeState();

  // Gradient checkpointing: a deep MLP step plain and under utils.checkpoint.checkpointSequential
  // (4 segments): what the recomputation costs in time, and the bytes it saves between forward
  // and backward.
  tk.setNumThreads(1);
  const deep = new tk.nn.Sequential(
    ...Array.from({ length: 16 }, () => new tk.nn.Sequential(new tk.nn.Linear(256, 256), new tk.nn.Tanh())),
  );
  const xd = tk.randn([128, 256]);
  const held = (f: () => tk.Tensor) =>
    tk.tidy(() => {
      const before = tk.memory().bytes;
      const loss = f();
      const bytes = tk.memory().bytes - before;
      loss.backward();
      return bytes;
    });
  const plainLoss = () => deep.forward(xd).square().mean();
  const ckLoss = () => tk.utils.checkpoint.checkpointSequential(deep, 4, xd).square().mean();
  const plainDeepUs = sample(
    reps,
    () => null,
    () => plainLoss().backward(),
  );
  const ckDeepUs = sample(
    reps,
    () => null,
    () => ckLoss().backward(),
  );
  const [plainBytes, ckBytes] = [held(plainLoss), held(ckLoss)];
  deep.zeroGrad(true);
  yield {
    suite,
    name: 'MLP 16×(Linear 256 + Tanh) b128 forward + backward, checkpointSequential(4)',
    threads: 1,
    nativeUs: ckDeepUs,
    note: `${(ckDeepUs / plainDeepUs).toFixed(2)}× the plain step (${plainDeepUs.toFixed(0)} µs); ${(ckBytes / 2 ** 20).toFixed(2)} MiB held after forward vs ${(plainBytes / 2 ** 20).toFixed(2)} MiB`,
  };
  xd.dispose();

  // A transformer block's normalization: layerNorm [256, 1024] forward + backward (the fused op),
  // against the composite it replaced (mean, var, rsqrt, affine) in the same run.
  const ln = new tk.nn.LayerNorm(1024);
  const xl = tk.randn([256, 1024], { requiresGrad: true }),
    gl = tk.randn([256, 1024]);
  const composite = (x: tk.Tensor) => {
    const m = x.mean(-1, { keepdim: true });
    const v = x.var(-1, { correction: 0, keepdim: true });
    return x.sub(m).mul(v.add(1e-5).rsqrt()).mul(ln.weight!).add(ln.bias!);
  };
  const lnUs = sample(
    reps,
    () => null,
    () => ln.call(xl).backward(gl),
  );
  const compUs = sample(
    reps,
    () => null,
    () => composite(xl).backward(gl),
  );
  ln.zeroGrad(true);
  xl.grad = null;
  yield {
    suite,
    name: 'layerNorm [256, 1024] forward + backward',
    threads: 1,
    nativeUs: lnUs,
    note: `the composite (mean, var, rsqrt, affine): ${compUs.toFixed(0)} µs`,
  };
  xl.dispose();
  gl.dispose();

  // One optimizer step over 1M float32 parameters (a fused, vectorised loop per optimizer); the
  // count is of the float32 arrays each reads and writes.
  for (const [name, arrays, make] of [
    ['SGD (momentum 0.9)', 5, (p: tk.Tensor) => new tk.optim.SGD([p], { lr: 1e-3, momentum: 0.9 })],
    ['Adam', 7, (p: tk.Tensor) => new tk.optim.Adam([p], { lr: 1e-3 })],
    ['Adam (amsgrad)', 9, (p: tk.Tensor) => new tk.optim.Adam([p], { lr: 1e-3, amsgrad: true })],
    ['RMSprop', 5, (p: tk.Tensor) => new tk.optim.RMSprop([p], { lr: 1e-3 })],
  ] as const) {
    const p = tk.randn([1 << 20], { requiresGrad: true });
    p.grad = tk.randn([1 << 20]).mul(1e-2);
    const opt = make(p);
    const us = sample(
      reps,
      () => null,
      () => opt.step(),
    );
    yield {
      suite,
      name: `${name} step, 1M float32 parameters`,
      threads: 1,
      nativeUs: us,
      bytes: 4 * (1 << 20) * arrays,
    };
    p.grad.dispose();
    p.dispose();
  }
}
