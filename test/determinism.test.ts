// The CPU kernels promise a fixed reduction order for any thread count: every op's forward (the
// op tables) and backward (the gradient table) must give the same bits at 1, 2 and 3 threads.
// The tables' inputs are small, so a third table runs each parallel path on inputs large enough
// to be split (batched convolutions with their weight gradients, long reductions, GEMMs).
import { afterAll, describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { getNumThreads, nn, setNumThreads, type Tensor } from '../src/index.js';
import { ALL_CASES } from './helpers/cases.js';
import { GRAD_CASES } from './helpers/grad-cases.js';
import { disposeAll, input, prng, type InputSpec } from './helpers/harness.js';

const THREADS = [1, 2, 3];
const initialThreads = getNumThreads();
afterAll(() => setNumThreads(initialThreads));

/** The bytes of t's values (NaN payloads included), for a bit-for-bit comparison. */
function bits(t: Tensor): string {
  const d = t.data() as ArrayLike<unknown> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number };
  return Buffer.from(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)).toString('base64');
}

/** Runs fn once per thread count (reseeding, so random ops draw the same) and checks the results' bits agree. */
function expectSameAtEveryThreadCount(label: string, fn: () => Tensor[]): void {
  let first: string[] | undefined;
  for (const n of THREADS) {
    setNumThreads(n);
    tk.manualSeed(7);
    const outs = fn();
    const got = outs.map(bits);
    disposeAll(outs);
    if (!first) first = got;
    else
      got.forEach((b, i) => {
        if (b !== first![i]) expect.fail(`${label}: result ${i} at ${n} threads differs from 1 thread`);
      });
  }
}

function inputsOf(specs: InputSpec[], seed: number): Tensor[] {
  const rnd = prng(seed);
  return specs.map((s) => input(s, 'contiguous', rnd)!.native);
}

describe('forward, bit for bit at 1, 2 and 3 threads (the op tables)', () => {
  for (const c of ALL_CASES)
    it(c.name, () => {
      // Fresh inputs per run: in-place rows (optimizer steps) write them.
      expectSameAtEveryThreadCount(c.name, () => {
        const xs = inputsOf(c.inputs, 1);
        const out = c.native(...xs);
        const kept = out.detach();
        disposeAll(out, xs);
        return [kept];
      });
    });
});

describe('backward, bit for bit at 1, 2 and 3 threads (the gradient table)', () => {
  for (const c of GRAD_CASES)
    it(c.name, () => {
      const wants = c.inputs.map((s) => s.grad !== false);
      expectSameAtEveryThreadCount(c.name, () => {
        const xs = inputsOf(c.inputs, 2);
        xs.forEach((x, i) => wants[i] && x.requiresGrad_());
        const y = c.fn(...xs);
        const g = tk.randn(y.shape, { dtype: y.dtype });
        y.backward(g);
        const grads = xs.flatMap((x, i) => (wants[i] && x.grad ? [x.grad] : []));
        disposeAll(y, g, xs);
        return grads;
      });
    });
});

// Each row: inputs (float32 unless stated), then the forward whose result and input gradients
// are compared. Sizes are chosen so every parallel split happens at 2 and 3 threads.
interface LargeCase {
  name: string;
  inputs: InputSpec[];
  fn: (...xs: Tensor[]) => Tensor;
}
const conv = (x: Tensor, w: Tensor) => nn.functional.conv2d(x, w);
const LARGE: LargeCase[] = [
  // 3x3 stride 1: the Winograd path with its blocked weight gradient.
  {
    name: 'conv2d 3x3 (Winograd) [64,8,28,28]',
    inputs: [{ shape: [64, 8, 28, 28] }, { shape: [16, 8, 3, 3] }],
    fn: conv,
  },
  // An MNIST-shaped CNN's first layer: one input channel (the direct kernel), im2col weight gradient.
  { name: 'conv2d 3x3 C=1 [64,1,28,28]', inputs: [{ shape: [64, 1, 28, 28] }, { shape: [32, 1, 3, 3] }], fn: conv },
  {
    name: 'conv2d 5x5 stride 2 (im2col) [16,6,20,20]',
    inputs: [{ shape: [16, 6, 20, 20] }, { shape: [8, 6, 5, 5] }],
    fn: (x, w) => nn.functional.conv2d(x, w, null, { stride: 2, padding: 1 }),
  },
  {
    name: 'conv2d grouped [12,8,15,15]',
    inputs: [{ shape: [12, 8, 15, 15] }, { shape: [8, 2, 3, 3] }],
    fn: (x, w) => nn.functional.conv2d(x, w, null, { groups: 4, padding: 2, dilation: 2 }),
  },
  { name: 'conv2d 1x1 [24,16,14,14]', inputs: [{ shape: [24, 16, 14, 14] }, { shape: [32, 16, 1, 1] }], fn: conv },
  { name: 'sum of 300,000', inputs: [{ shape: [300000] }], fn: (x) => x.sum() },
  { name: 'mean of [600, 500]', inputs: [{ shape: [600, 500] }], fn: (x) => x.mean() },
  { name: 'sum over dim 0 of [3000, 70]', inputs: [{ shape: [3000, 70] }], fn: (x) => x.sum(0) },
  { name: 'var over dim 1 of [70, 3000]', inputs: [{ shape: [70, 3000] }], fn: (x) => x.var(1) },
  { name: 'logSoftmax of [512, 1000]', inputs: [{ shape: [512, 1000] }], fn: (x) => x.logSoftmax(1) },
  { name: 'cumsum of [400, 600]', inputs: [{ shape: [400, 600] }], fn: (x) => x.cumsum(1) },
  {
    name: 'matmul [300, 200] @ [200, 250]',
    inputs: [{ shape: [300, 200] }, { shape: [200, 250] }],
    fn: (a, b) => a.matmul(b),
  },
  {
    name: 'bmm [3, 128, 96] @ [3, 96, 112]',
    inputs: [{ shape: [3, 128, 96] }, { shape: [3, 96, 112] }],
    fn: (a, b) => a.bmm(b),
  },
  {
    name: 'fused causal attention [8, 4, 48, 16]',
    inputs: [{ shape: [8, 4, 48, 16] }, { shape: [8, 4, 48, 16] }, { shape: [8, 4, 48, 16] }],
    fn: (q, k, v) => nn.functional.scaledDotProductAttention(q, k, v, { isCausal: true }),
  },
  {
    name: 'maxPool2d + avgPool2d [32, 16, 24, 24]',
    inputs: [{ shape: [32, 16, 24, 24] }],
    fn: (x) => nn.functional.maxPool2d(x, 2).add(nn.functional.avgPool2d(x, 2)),
  },
];

describe('large inputs, forward and backward bit for bit at 1, 2 and 3 threads', () => {
  for (const c of LARGE)
    it(c.name, () => {
      expectSameAtEveryThreadCount(c.name, () => {
        const xs = inputsOf(c.inputs, 3).map((x) => x.requiresGrad_());
        const y = c.fn(...xs);
        const g = tk.randn(y.shape);
        y.backward(g);
        const out = [y.detach(), ...xs.map((x) => x.grad!)];
        disposeAll(y, g, xs);
        return out;
      });
    });

  it('an MNIST-shaped CNN training step: every parameter gradient', () => {
    expectSameAtEveryThreadCount('MNIST CNN', () => {
      tk.manualSeed(1);
      const net = new nn.Sequential(
        new nn.Conv2d(1, 32, 3),
        new nn.ReLU(),
        new nn.Conv2d(32, 64, 3),
        new nn.ReLU(),
        new nn.MaxPool2d(2),
        new nn.Flatten(),
        new nn.Linear(9216, 10),
      );
      const x = tk.randn([16, 1, 28, 28]);
      const y = tk.randint(0, 10, [16]);
      const loss = nn.functional.crossEntropy(net.call(x), y);
      loss.backward();
      const grads = net.parameters().map((p) => p.grad!);
      disposeAll(x, y, loss, net.parameters());
      return grads;
    });
  });
});
