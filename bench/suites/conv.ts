// conv: the convolution issue's cases (batch 32, 3x3, padding 1, NCHW float32), the backward of
// case B, LeNet-like inference at batch 64, and pooling; the plain nested loops where they finish
// in reasonable time.
import { performance } from 'node:perf_hooks';

import * as tk from '../../src/index.js';
import * as plain from '../../src/plain/index.js';
import { measure, type Options, type Row } from '../lib.js';

const F = tk.nn.functional;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median microseconds of timed(setup()), setup untimed, all tensors freed per sample. */
function sample<T>(reps: number, setup: () => T, timed: (s: T) => void): number {
  const us: number[] = [];
  for (let i = 0; i < reps + 2; i++)
    tk.tidy(() => {
      const s = setup();
      const t0 = performance.now();
      timed(s);
      if (i >= 2) us.push((performance.now() - t0) * 1000);
    });
  return median(us);
}

interface Case {
  name: string;
  x: number[];
  w: number[];
}
const CASE_A: Case = { name: 'case A: 3->32, 32x32', x: [32, 3, 32, 32], w: [32, 3, 3, 3] };
const CASE_B: Case = { name: 'case B: 64->64, 16x16', x: [32, 64, 16, 16], w: [64, 64, 3, 3] };
const flopsOf = (c: Case) => 2 * c.x[0] * c.w[0] * c.w[1] * 9 * c.x[2] * c.x[3];

class LeNet extends tk.nn.Module {
  conv1 = new tk.nn.Conv2d(3, 6, 5);
  conv2 = new tk.nn.Conv2d(6, 16, 5);
  fc1 = new tk.nn.Linear(400, 120);
  fc2 = new tk.nn.Linear(120, 84);
  fc3 = new tk.nn.Linear(84, 10);
  forward(x: tk.Tensor): tk.Tensor {
    return tk.tidy(() => {
      const h1 = F.maxPool2d(this.conv1.forward(x).relu(), 2);
      const h2 = F.maxPool2d(this.conv2.forward(h1).relu(), 2).flatten(1);
      return this.fc3.forward(this.fc2.forward(this.fc1.forward(h2).relu()).relu());
    });
  }
}
const LENET_FLOPS = 2 * 64 * (6 * 75 * 28 * 28 + 16 * 150 * 10 * 10 + 400 * 120 + 120 * 84 + 84 * 10);

export async function* conv(opts: Options, threads: number[]): AsyncGenerator<Row> {
  const suite = 'conv';
  const reps = opts.smoke ? 1 : opts.quick ? 5 : 25;
  const lenet = new LeNet().eval();
  const lx = tk.randn([64, 3, 32, 32]);
  const rows: Row[] = [];
  for (const th of threads) {
    tk.setNumThreads(th);
    for (const c of [CASE_A, CASE_B]) {
      const x = tk.randn(c.x),
        w = tk.randn(c.w),
        b = tk.randn([c.w[0]]);
      const us = sample(
        reps,
        () => null,
        () => F.conv2d(x, w, b, { padding: 1 }),
      );
      rows.push({ suite, name: `conv2d ${c.name} (b32, 3x3, pad 1)`, threads: th, nativeUs: us, flops: flopsOf(c) });
      if (c === CASE_A) {
        // few input channels: the direct weight gradient (im2col's GEMM before it)
        const gy = tk.randn([32, 32, 32, 32]);
        const wg = sample(
          reps,
          () => null,
          () => tk.nn.grad.conv2dWeight(x, c.w, gy, { padding: 1 }),
        );
        rows.push({ suite, name: `conv2d ${c.name} weight grad`, threads: th, nativeUs: wg, flops: flopsOf(c) });
        gy.dispose();
      }
      if (c === CASE_B) {
        x.requiresGrad = true;
        w.requiresGrad = true;
        const gy = tk.randn([32, 64, 16, 16]);
        const back = sample(
          reps,
          () => F.conv2d(x, w, b, { padding: 1 }),
          (y) => tk.autograd.grad(y, [x, w], { gradOutputs: [gy] }),
        );
        rows.push({
          suite,
          name: `conv2d ${c.name} backward (input + weight grads)`,
          threads: th,
          nativeUs: back,
          flops: 2 * flopsOf(c),
          note: `${(back / us).toFixed(2)}× the forward`,
        });
        gy.dispose();
      }
      for (const t of [x, w, b]) t.dispose();
    }
    const lenetUs = sample(
      reps * 2,
      () => null,
      () => tk.noGrad(() => lenet.forward(lx)),
    );
    rows.push({
      suite,
      name: 'LeNet-like inference, batch 64, 32x32x3',
      threads: th,
      nativeUs: lenetUs,
      flops: LENET_FLOPS,
    });
    // Case B's convolution followed by an eval-mode batch norm, and the pair folded into one
    // convolution by nn.utils.fuseConvBnEval (no normalisation pass over the output).
    const convB = new tk.nn.Conv2d(64, 64, 3, { padding: 1 }).eval();
    const normB = new tk.nn.BatchNorm2d(64).eval();
    const fusedB = tk.nn.utils.fuseConvBnEval(convB, normB);
    const xb = tk.randn(CASE_B.x);
    const pairUs = sample(
      reps,
      () => null,
      () => tk.noGrad(() => normB.forward(convB.forward(xb))),
    );
    const fusedUs = sample(
      reps,
      () => null,
      () => tk.noGrad(() => fusedB.forward(xb)),
    );
    rows.push({
      suite,
      name: `conv2d + BatchNorm2d (eval), ${CASE_B.name}`,
      threads: th,
      nativeUs: pairUs,
      flops: flopsOf(CASE_B),
    });
    rows.push({
      suite,
      name: `the same folded by nn.utils.fuseConvBnEval`,
      threads: th,
      nativeUs: fusedUs,
      flops: flopsOf(CASE_B),
      note: `${(pairUs / fusedUs).toFixed(2)}× the pair's speed`,
    });
    for (const m of [convB, normB, fusedB]) for (const t of [...m.parameters(), ...m.buffers()]) t.dispose();
    xb.dispose();
    const x1 = tk.randn([64, 3, 32, 32]),
      w1 = tk.randn([6, 3, 5, 5]);
    const c1 = sample(
      reps,
      () => null,
      () => F.conv2d(x1, w1),
    );
    rows.push({
      suite,
      name: 'LeNet conv1 3->6 5x5, batch 64',
      threads: th,
      nativeUs: c1,
      flops: 2 * 64 * 6 * 75 * 28 * 28,
    });
    const xp = tk.randn([32, 64, 32, 32]);
    const poolUs = sample(
      reps,
      () => null,
      () => F.maxPool2d(xp, 2),
    );
    rows.push({
      suite,
      name: 'maxPool2d 2x2 of [32, 64, 32, 32]',
      threads: th,
      nativeUs: poolUs,
      bytes: 7 * 32 * 64 * 32 * 32 /* 4-byte reads; values and int64 indices for a quarter */,
    });
    for (const t of [x1, w1, xp]) t.dispose();
  }
  lx.dispose();
  for (const p of [...lenet.parameters()]) p.dispose();
  // The plain baselines run last: they allocate hundreds of MB of JS arrays, and V8's collector
  // then keeps a core busy for a while, which skewed native rows measured right after them.
  const pa = { x: plain.randn(CASE_A.x), w: plain.randn(CASE_A.w) };
  const plainA = await measure(
    () => plain.conv2d(pa.x, pa.w, null, { padding: [1, 1, 1, 1] }),
    opts,
    1,
    opts.quick ? 1 : 400,
  );
  const px = plain.randn([64, 3, 32, 32]),
    pw = plain.randn([6, 3, 5, 5]);
  const plainLenetConv1 = await measure(() => plain.conv2d(px, pw, null), opts, 1, opts.quick ? 1 : 400);
  // Case B in plain loops is ~0.6 GFLOP a call: timed once or twice, outside --quick.
  const pb = opts.quick ? undefined : { x: plain.randn(CASE_B.x), w: plain.randn(CASE_B.w) };
  const plainB = pb
    ? await measure(() => plain.conv2d(pb.x, pb.w, null, { padding: [1, 1, 1, 1] }), opts, 1, 1)
    : undefined;
  // LeNet in plain loops: the same layers, weights as [out, in] like nn.Linear.
  const lenetPlain = () => {
    const P = {
      c1: plain.randn([6, 3, 5, 5]),
      b1: plain.randn([6]),
      c2: plain.randn([16, 6, 5, 5]),
      b2: plain.randn([16]),
      f1: plain.randn([400, 120]),
      f2: plain.randn([120, 84]),
      f3: plain.randn([84, 10]),
      g1: plain.randn([120]),
      g2: plain.randn([84]),
      g3: plain.randn([10]),
    };
    const x = plain.randn([64, 3, 32, 32]);
    return () => {
      const h1 = plain.maxPool2d(plain.relu(plain.conv2d(x, P.c1, P.b1)), { kernel: [2, 2] }).values;
      const h2 = plain.reshape(
        plain.maxPool2d(plain.relu(plain.conv2d(h1, P.c2, P.b2)), { kernel: [2, 2] }).values,
        [64, 400],
      );
      return plain.addmm(P.g3, plain.relu(plain.addmm(P.g2, plain.relu(plain.addmm(P.g1, h2, P.f1)), P.f2)), P.f3);
    };
  };
  const plainLenet = opts.quick ? undefined : await measure(lenetPlain(), opts, 1, 1);
  const pool = { x: plain.randn([32, 64, 32, 32]) };
  const plainPool = await measure(() => plain.maxPool2d(pool.x, { kernel: [2, 2] }), opts, 1, opts.quick ? 1 : 300);
  for (const r of rows) {
    if (r.name.startsWith('conv2d case A') && r.name.endsWith('pad 1)')) r.plainUs = plainA;
    if (r.name.startsWith('conv2d case B') && !r.name.includes('backward')) r.plainUs = plainB;
    if (r.name.startsWith('LeNet conv1')) r.plainUs = plainLenetConv1;
    if (r.name.startsWith('LeNet-like inference')) r.plainUs = plainLenet;
    if (r.name.startsWith('maxPool2d')) r.plainUs = plainPool;
    yield r;
  }
}
