// A character-level GPT in nanoGPT's style, ported line for line: token and position embeddings,
// causal self-attention, a GELU MLP, pre-norm blocks, weight tying, AdamW with decay and no-decay
// groups, gradient clipping, and top-k sampling. It trains on examples/data/sonnets.txt.
// Run: npx tsx examples/gpt-char.ts
import { readFileSync } from 'node:fs';

import { arange, cat, manualSeed, nn, noGrad, optim, randint, stack, tensor, tidy, type Tensor } from '../src/index.js';

const F = nn.functional;

export interface GPTConfig {
  blockSize: number;
  vocabSize: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  dropout: number;
}

class CausalSelfAttention extends nn.Module {
  c_attn: nn.Linear;
  c_proj: nn.Linear;
  resid_dropout: nn.Dropout;
  constructor(readonly config: GPTConfig) {
    super();
    this.c_attn = new nn.Linear(config.nEmbd, 3 * config.nEmbd);
    this.c_proj = new nn.Linear(config.nEmbd, config.nEmbd);
    this.resid_dropout = new nn.Dropout(config.dropout);
  }
  forward(x: Tensor): Tensor {
    const [B, T, C] = x.shape;
    const nh = this.config.nHead;
    const [q, k, v] = this.c_attn
      .call(x)
      .split(C, 2)
      .map((t) => t.view(B, T, nh, C / nh).transpose(1, 2)); // (B, nh, T, hs)
    const y = F.scaledDotProductAttention(q, k, v, {
      isCausal: true,
      dropoutP: this.training ? this.config.dropout : 0,
    });
    return this.resid_dropout.call(this.c_proj.call(y.transpose(1, 2).contiguous().view(B, T, C)));
  }
}

class MLP extends nn.Module {
  c_fc: nn.Linear;
  gelu = new nn.GELU();
  c_proj: nn.Linear;
  dropout: nn.Dropout;
  constructor(config: GPTConfig) {
    super();
    this.c_fc = new nn.Linear(config.nEmbd, 4 * config.nEmbd);
    this.c_proj = new nn.Linear(4 * config.nEmbd, config.nEmbd);
    this.dropout = new nn.Dropout(config.dropout);
  }
  forward(x: Tensor): Tensor {
    return this.dropout.call(this.c_proj.call(this.gelu.call(this.c_fc.call(x))));
  }
}

class Block extends nn.Module {
  ln_1: nn.LayerNorm;
  attn: CausalSelfAttention;
  ln_2: nn.LayerNorm;
  mlp: MLP;
  constructor(config: GPTConfig) {
    super();
    this.ln_1 = new nn.LayerNorm(config.nEmbd);
    this.attn = new CausalSelfAttention(config);
    this.ln_2 = new nn.LayerNorm(config.nEmbd);
    this.mlp = new MLP(config);
  }
  forward(x: Tensor): Tensor {
    x = x.add(this.attn.call(this.ln_1.call(x)));
    return x.add(this.mlp.call(this.ln_2.call(x)));
  }
}

export class GPT extends nn.Module {
  wte: nn.Embedding;
  wpe: nn.Embedding;
  drop: nn.Dropout;
  h: nn.ModuleList<Block>;
  ln_f: nn.LayerNorm;
  lm_head: nn.Linear;
  constructor(readonly config: GPTConfig) {
    super();
    this.wte = new nn.Embedding(config.vocabSize, config.nEmbd);
    this.wpe = new nn.Embedding(config.blockSize, config.nEmbd);
    this.drop = new nn.Dropout(config.dropout);
    this.h = new nn.ModuleList(Array.from({ length: config.nLayer }, () => new Block(config)));
    this.ln_f = new nn.LayerNorm(config.nEmbd);
    this.lm_head = new nn.Linear(config.nEmbd, config.vocabSize, { bias: false });
    this.wte.weight = this.lm_head.weight; // weight tying: one parameter, listed once
    // nanoGPT's init: N(0, 0.02) weights, zero biases, scaled residual projections.
    noGrad(() => {
      for (const [name, p] of this.namedParameters()) {
        if (name.endsWith('c_proj.weight')) nn.init.normal_(p, 0, 0.02 / Math.sqrt(2 * config.nLayer));
        else if (name.endsWith('.weight') && p.ndim === 2) nn.init.normal_(p, 0, 0.02);
        else if (name.endsWith('.bias')) nn.init.zeros_(p);
      }
    });
  }

  forward(idx: Tensor, targets?: Tensor): { logits: Tensor; loss: Tensor | null } {
    const [, t] = idx.shape;
    if (t > this.config.blockSize) throw new Error(`sequence of ${t} is longer than the block size`);
    const pos = arange(0, t, { dtype: 'int64' });
    const x0 = this.drop.call(this.wte.call(idx).add(this.wpe.call(pos)));
    let x = x0;
    for (const block of this.h) x = block.call(x);
    x = this.ln_f.call(x);
    if (targets) {
      const logits = this.lm_head.call(x);
      const loss = F.crossEntropy(logits.view(-1, logits.size(-1)), targets.view(-1));
      return { logits, loss };
    }
    return { logits: this.lm_head.call(x.index([':', [-1], ':'])), loss: null };
  }

  /** AdamW with weight decay on the matrices only, as nanoGPT's configure_optimizers. */
  configureOptimizers(weightDecay: number, learningRate: number, betas: [number, number]): optim.AdamW {
    const params = this.parameters();
    const decay = params.filter((p) => p.ndim >= 2);
    const noDecay = params.filter((p) => p.ndim < 2);
    return new optim.AdamW(
      [
        { params: decay, weightDecay },
        { params: noDecay, weightDecay: 0 },
      ],
      { lr: learningRate, betas },
    );
  }

  /** Extends idx [B, T] by maxNewTokens sampled tokens (temperature, optional top-k). */
  generate(idx: Tensor, maxNewTokens: number, temperature = 1, topK?: number): Tensor {
    return noGrad(() => {
      for (let i = 0; i < maxNewTokens; i++) {
        const next = tidy(() => {
          const idxCond = idx.size(1) <= this.config.blockSize ? idx : idx.index([':', `-${this.config.blockSize}:`]);
          let logits = this.call(idxCond).logits.index([':', -1, ':']).div(temperature);
          if (topK !== undefined) {
            const { values: v } = logits.topk(Math.min(topK, logits.size(-1)));
            logits = logits.maskedFill(logits.lt(v.index([':', [-1]])), -Infinity);
          }
          const probs = F.softmax(logits, -1);
          return cat([idx, probs.multinomial(1)], 1);
        });
        idx.dispose();
        idx = next;
      }
      return idx;
    });
  }
}

export interface RunOptions {
  iters?: number;
  batchSize?: number;
  config?: Partial<GPTConfig>;
  seed?: number;
  sampleLength?: number;
  log?: (s: string) => void;
}

/** Trains on the sonnets and samples from the model; returns the first and last losses and the sample. */
export function main(options: RunOptions = {}): { firstLoss: number; lastLoss: number; sample: string } {
  const { iters = 600, batchSize = 16, seed = 1337, sampleLength = 200, log = console.log } = options;
  manualSeed(seed);
  const text = readFileSync(new URL('./data/sonnets.txt', import.meta.url), 'utf8');
  const chars = [...new Set(text)].sort();
  const stoi = new Map(chars.map((c, i) => [c, i]));
  const encode = (s: string) => [...s].map((c) => stoi.get(c)!);
  const decode = (ids: number[]) => ids.map((i) => chars[i]).join('');
  const data = tensor(encode(text), { dtype: 'int64' });
  const n = Math.floor(0.9 * data.numel());
  const trainData = data.index(`:${n}`);
  const config: GPTConfig = {
    blockSize: 64,
    vocabSize: chars.length,
    nLayer: 2,
    nHead: 4,
    nEmbd: 64,
    dropout: 0.0,
    ...options.config,
  };
  const getBatch = (): [Tensor, Tensor] =>
    tidy(() => {
      const ix = randint(0, trainData.numel() - config.blockSize, [batchSize]).toArray() as number[];
      const x = stack(ix.map((i) => trainData.index(`${i}:${i + config.blockSize}`)));
      const y = stack(ix.map((i) => trainData.index(`${i + 1}:${i + 1 + config.blockSize}`)));
      return [x, y];
    });

  const model = new GPT(config);
  log(
    `${model
      .parameters()
      .reduce((s, p) => s + p.numel(), 0)
      .toLocaleString('en-US')} parameters`,
  );
  const opt = model.configureOptimizers(0.1, 3e-3, [0.9, 0.99]);
  let firstLoss = NaN,
    lastLoss = NaN;
  for (let iter = 0; iter < iters; iter++) {
    const [xb, yb] = getBatch();
    const loss = tidy(() => {
      const { loss: l } = model.call(xb, yb);
      opt.zeroGrad();
      l!.backward();
      nn.utils.clipGradNorm_(model.parameters(), 1.0);
      return l!.item();
    });
    opt.step();
    xb.dispose();
    yb.dispose();
    if (iter === 0) firstLoss = loss;
    lastLoss = loss;
    if (iter % 100 === 0 || iter === iters - 1) log(`iter ${iter}: loss ${loss.toFixed(4)}`);
  }
  model.eval();
  const start = tensor([encode('\n')], { dtype: 'int64' });
  const out = model.generate(start, sampleLength, 0.8, 10);
  const sample = decode((out.toArray() as number[][])[0]);
  out.dispose();
  log(sample);
  return { firstLoss, lastLoss, sample };
}

if (import.meta.url === `file://${process.argv[1]}`) main();
