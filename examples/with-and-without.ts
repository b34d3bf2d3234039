// Lesson 1.3, "coding with and without the framework": the same computations written as plain
// TypeScript loops and as tensorkit code, each timed, with a check that both give the same numbers.
//   1. element-wise: z = relu(x * y + 1) over a million values, eagerly and as a traced graph
//   2. a matrix product, 256 x 256 (the loops in their cache-friendly i-k-j order)
//   3. one training epoch of a two-layer network (forward, softmax cross-entropy, backward, SGD)
// Run: npx tsx examples/with-and-without.ts
import { performance } from 'node:perf_hooks';

import * as tk from '../src/index.js';

// ---- without: plain loops over Float32Arrays --------------------------------------------------

export function plainElementwise(x: Float32Array, y: Float32Array): Float32Array {
  const z = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i] * y[i] + 1;
    z[i] = v > 0 ? v : 0;
  }
  return z;
}

/** c = a @ b for row-major a [n, k] and b [k, m]. */
export function plainMatmul(a: Float32Array, b: Float32Array, n: number, k: number, m: number): Float32Array {
  const c = new Float32Array(n * m);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      for (let j = 0; j < m; j++) c[i * m + j] += aip * b[p * m + j];
    }
  return c;
}

/** A two-layer network's parameters as plain arrays: w1 [inF, hidden], w2 [hidden, classes]. */
export interface PlainMlp {
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
  inF: number;
  hidden: number;
  classes: number;
}

/**
 * One SGD step of relu(x w1 + b1) w2 + b2 with softmax cross-entropy (mean over the batch), by
 * hand: forward, the gradient of every parameter, the update. Returns the loss.
 */
export function plainMlpStep(net: PlainMlp, x: Float32Array, y: Int32Array, lr: number): number {
  const { inF, hidden: H, classes: C } = net,
    B = y.length;
  const h = plainMatmul(x, net.w1, B, inF, H);
  for (let i = 0; i < B; i++) for (let j = 0; j < H; j++) h[i * H + j] = Math.max(0, h[i * H + j] + net.b1[j]);
  const logits = plainMatmul(h, net.w2, B, H, C);
  // Softmax cross-entropy; dlogits = (softmax - onehot) / B.
  const dl = new Float32Array(B * C);
  let loss = 0;
  for (let i = 0; i < B; i++) {
    let mx = -Infinity;
    for (let c = 0; c < C; c++) mx = Math.max(mx, (logits[i * C + c] += net.b2[c]));
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(logits[i * C + c] - mx);
    loss += Math.log(s) + mx - logits[i * C + y[i]];
    for (let c = 0; c < C; c++) dl[i * C + c] = (Math.exp(logits[i * C + c] - mx) / s - (c === y[i] ? 1 : 0)) / B;
  }
  // Backward: dw2 = h^T dl, db2 = sum dl, dh = dl w2^T (0 where relu was off), dw1 = x^T dh.
  const dw2 = new Float32Array(H * C),
    db2 = new Float32Array(C),
    dh = new Float32Array(B * H);
  for (let i = 0; i < B; i++)
    for (let c = 0; c < C; c++) {
      const g = dl[i * C + c];
      db2[c] += g;
      for (let j = 0; j < H; j++) {
        dw2[j * C + c] += h[i * H + j] * g;
        dh[i * H + j] += g * net.w2[j * C + c];
      }
    }
  const dw1 = new Float32Array(inF * H),
    db1 = new Float32Array(H);
  for (let i = 0; i < B; i++)
    for (let j = 0; j < H; j++) {
      const g = h[i * H + j] > 0 ? dh[i * H + j] : 0;
      if (g === 0) continue;
      db1[j] += g;
      for (let p = 0; p < inF; p++) dw1[p * H + j] += x[i * inF + p] * g;
    }
  const sgd = (w: Float32Array, d: Float32Array) => {
    for (let i = 0; i < w.length; i++) w[i] -= lr * d[i];
  };
  sgd(net.w1, dw1);
  sgd(net.b1, db1);
  sgd(net.w2, dw2);
  sgd(net.b2, db2);
  return loss / B;
}

// ---- with: tensorkit --------------------------------------------------------------------------

class Mlp extends tk.nn.Module {
  fc1: tk.nn.Linear;
  fc2: tk.nn.Linear;
  constructor(net: PlainMlp) {
    super();
    this.fc1 = new tk.nn.Linear(net.inF, net.hidden);
    this.fc2 = new tk.nn.Linear(net.hidden, net.classes);
    // The same starting weights as the plain network (Linear stores [out, in]).
    tk.noGrad(() => {
      this.fc1.weight.copy_(tk.tidy(() => tk.tensor(net.w1, { shape: [net.inF, net.hidden] }).t()));
      this.fc1.bias!.copy_(tk.tensor(net.b1));
      this.fc2.weight.copy_(tk.tidy(() => tk.tensor(net.w2, { shape: [net.hidden, net.classes] }).t()));
      this.fc2.bias!.copy_(tk.tensor(net.b2));
    });
  }
  forward(x: tk.Tensor): tk.Tensor {
    return this.fc2.forward(this.fc1.forward(x).relu());
  }
}

function time<T>(fn: () => T, reps: number): { ms: number; result: T } {
  let result = fn(); // warm-up (and the value to compare)
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    // A tensor result is freed before the next call, as a loop would: its memory is reused.
    if (result instanceof tk.Tensor) result.dispose();
    const t0 = performance.now();
    result = fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { ms: ms[Math.floor(ms.length / 2)], result };
}

export interface Comparison {
  name: string;
  plainMs: number;
  tensorkitMs: number;
  speedup: number;
  /** Largest difference between the two results (they compute the same thing). */
  maxDiff: number;
}

export function main(options: { small?: boolean; log?: (s: string) => void } = {}): Comparison[] {
  const { small = false, log = console.log } = options;
  const reps = small ? 1 : 5;
  tk.manualSeed(0);
  const rnd = tk.data.seededRandom(1);
  const randArray = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);
  const out: Comparison[] = [];
  const report = (name: string, p: number, t: number, maxDiff: number) => {
    out.push({ name, plainMs: p, tensorkitMs: t, speedup: p / t, maxDiff });
    log(
      `${name.padEnd(44)} plain ${p.toFixed(2).padStart(8)} ms   tensorkit ${t.toFixed(3).padStart(8)} ms   ${(p / t).toFixed(1).padStart(6)}x   max diff ${maxDiff.toExponential(1)}`,
    );
  };
  const diff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let d = 0;
    for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
    return d;
  };

  // 1. Element-wise.
  const N = small ? 1 << 14 : 1 << 20;
  const xa = randArray(N),
    ya = randArray(N);
  const x = tk.tensor(xa),
    y = tk.tensor(ya);
  const pe = time(() => plainElementwise(xa, ya), reps);
  const te = time(() => tk.tidy(() => x.mul(y).add(1).relu()), reps);
  report(
    `relu(x * y + 1), ${N.toLocaleString('en')} values`,
    pe.ms,
    te.ms,
    diff(pe.result, te.result.data() as Float32Array),
  );
  // The same three ops traced into a graph: the executor fuses them into one pass, as the plain
  // loop is, with no intermediate tensors.
  const fused = tk.jit.trace((a: tk.Tensor, b: tk.Tensor) => a.mul(b).add(1).relu(), [x, y]);
  const tg = time(() => tk.tidy(() => fused.run([x, y]) as tk.Tensor), reps);
  report('  the same, traced (jit: one fused pass)', pe.ms, tg.ms, diff(pe.result, tg.result.data() as Float32Array));
  fused.dispose();

  // 2. Matrix product.
  const n = small ? 64 : 256;
  const aa = randArray(n * n),
    ba = randArray(n * n);
  const a = tk.tensor(aa, { shape: [n, n] }),
    b = tk.tensor(ba, { shape: [n, n] });
  const pm = time(() => plainMatmul(aa, ba, n, n, n), reps);
  const tm = time(() => a.matmul(b), reps);
  report(`matmul ${n} x ${n}`, pm.ms, tm.ms, diff(pm.result, tm.result.data() as Float32Array));

  // 3. One epoch of a two-layer network on synthetic blobs, batch 64, SGD.
  const inF = 32,
    hidden = 64,
    classes = 4,
    samples = small ? 256 : 4096,
    B = 64,
    lr = 0.1;
  const { features, labels } = tk.data.synthetic.blobs({ n: samples, centers: classes, features: inF, seed: 2 });
  const xs = features.data() as Float32Array,
    ys = Int32Array.from(labels.data() as BigInt64Array, Number);
  const init = (): PlainMlp => {
    const r = tk.data.seededRandom(3);
    const u = (len: number, fanIn: number) =>
      Float32Array.from({ length: len }, () => (r() * 2 - 1) / Math.sqrt(fanIn));
    return {
      w1: u(inF * hidden, inF),
      b1: u(hidden, inF),
      w2: u(hidden * classes, hidden),
      b2: u(classes, hidden),
      inF,
      hidden,
      classes,
    };
  };
  const plainEpoch = () => {
    const net = init();
    let loss = 0;
    for (let s = 0; s < samples; s += B)
      loss = plainMlpStep(net, xs.subarray(s * inF, (s + B) * inF), ys.subarray(s, s + B), lr);
    return { loss, w: net.w2 };
  };
  const model = new Mlp(init());
  const tkEpoch = () => {
    const m = new Mlp(init());
    const opt = new tk.optim.SGD(m.parameters(), { lr });
    let loss = 0;
    for (let s = 0; s < samples; s += B)
      loss = tk.tidy(() => {
        opt.zeroGrad();
        const l = tk.nn.functional.crossEntropy(m.forward(features.narrow(0, s, B)), labels.narrow(0, s, B));
        l.backward();
        opt.step();
        return l.item() as number;
      });
    const w = m.fc2.weight.t().contiguous().data() as Float32Array;
    m.zeroGrad();
    for (const p of m.parameters()) p.dispose();
    return { loss, w };
  };
  const pt = time(plainEpoch, reps),
    tt = time(tkEpoch, reps);
  report(
    `training epoch, MLP ${inF}-${hidden}-${classes}, ${samples / B} steps`,
    pt.ms,
    tt.ms,
    Math.max(Math.abs(pt.result.loss - tt.result.loss), diff(pt.result.w, tt.result.w)),
  );
  for (const t of [x, y, a, b, te.result, tm.result, features, labels, ...model.parameters()]) t.dispose();
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) main();
