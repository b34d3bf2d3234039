// Losses against element-wise references (PyTorch's definitions), gradcheck, and bad input.
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { gradcheck, nn, tensor, tidy, type Tensor } from '../src/index.js';
import { expectTensorError, prng } from './helpers/harness.js';

const F = nn.functional;

function rand(shape: number[], seed: number, lo = -2, hi = 2): number[] {
  const r = prng(seed);
  return Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + r() * (hi - lo));
}
const f64 = (v: number[], shape: number[], grad = false) => tensor(v, { dtype: 'float64', shape, requiresGrad: grad });
const num = (t: Tensor) => t.item() as number;

function logSoftmaxRows(x: number[], N: number, C: number): number[] {
  const out = new Array(N * C);
  for (let n = 0; n < N; n++) {
    const row = x.slice(n * C, n * C + C),
      m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    row.forEach((v, c) => (out[n * C + c] = v - lse));
  }
  return out;
}

describe('losses match their definitions', () => {
  const N = 5,
    C = 4;
  const x = rand([N, C], 1),
    labels = [0, 3, 1, 3, 2],
    w = [0.5, 1, 2, 1.5];
  const lp = logSoftmaxRows(x, N, C);

  it('crossEntropy with class indices: mean, sum, none, weight, ignoreIndex, labelSmoothing', () =>
    tidy(() => {
      const X = f64(x, [N, C]),
        Y = tensor(labels, { dtype: 'int64' });
      const nll = labels.map((t, n) => -lp[n * C + t]);
      expect(num(F.crossEntropy(X, Y))).toBeCloseTo(nll.reduce((a, b) => a + b) / N, 12);
      expect(num(F.crossEntropy(X, Y, { reduction: 'sum' }))).toBeCloseTo(
        nll.reduce((a, b) => a + b),
        12,
      );
      expect(F.crossEntropy(X, Y, { reduction: 'none' }).toArray()).toEqual(nll.map((v) => expect.closeTo(v, 12)));
      const wsum = labels.reduce((s, t) => s + w[t], 0);
      const weighted = labels.reduce((s, t, n) => s + w[t] * nll[n], 0) / wsum;
      expect(num(F.crossEntropy(X, Y, { weight: f64(w, [C]) }))).toBeCloseTo(weighted, 12);
      const Yi = tensor([0, -100, 1, 3, -100], { dtype: 'int64' });
      expect(num(F.crossEntropy(X, Yi))).toBeCloseTo((nll[0] + nll[2] + nll[3]) / 3, 12);
      // label smoothing e: (1 - e) nll + e * mean over classes of -log p
      const e = 0.2;
      const smooth = labels.map((_, n) => -lp.slice(n * C, n * C + C).reduce((a, b) => a + b) / C);
      const expected = nll.reduce((s, v, n) => s + (1 - e) * v + e * smooth[n], 0) / N;
      expect(num(F.crossEntropy(X, Y, { labelSmoothing: e }))).toBeCloseTo(expected, 12);
    }));

  it('crossEntropy with probability targets, and over [N, C, d] inputs', () =>
    tidy(() => {
      const X = f64(x, [N, C]);
      const probs = rand([N, C], 2, 0, 1);
      const P = f64(probs, [N, C]);
      const expected = probs.reduce((s, p, i) => s - p * lp[i], 0) / N;
      expect(num(F.crossEntropy(X, P))).toBeCloseTo(expected, 12);
      // [N, C, d] equals the [N*d, C] computation
      const X3 = f64(rand([2, C, 3], 3), [2, C, 3]),
        Y3 = tensor(
          [
            [0, 1, 2],
            [3, 3, 0],
          ],
          { dtype: 'int64' },
        );
      const flat = F.crossEntropy(X3.permute(0, 2, 1).reshape(6, C), Y3.reshape(6));
      expect(num(F.crossEntropy(X3, Y3))).toBeCloseTo(num(flat), 12);
    }));

  it('nllLoss, mseLoss, l1Loss, smoothL1Loss, binaryCrossEntropy(WithLogits)', () =>
    tidy(() => {
      const LP = f64(lp, [N, C]),
        Y = tensor(labels, { dtype: 'int64' });
      expect(num(F.nllLoss(LP, Y))).toBeCloseTo(labels.reduce((s, t, n) => s - lp[n * C + t], 0) / N, 12);
      const a = rand([6], 4),
        b = rand([6], 5);
      const A = f64(a, [6]),
        B = f64(b, [6]);
      expect(num(F.mseLoss(A, B))).toBeCloseTo(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / 6, 12);
      expect(num(F.l1Loss(A, B, { reduction: 'sum' }))).toBeCloseTo(
        a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0),
        12,
      );
      const huber = (d: number, beta: number) => (Math.abs(d) < beta ? (0.5 * d * d) / beta : Math.abs(d) - 0.5 * beta);
      expect(num(F.smoothL1Loss(A, B, { beta: 1.5 }))).toBeCloseTo(
        a.reduce((s, v, i) => s + huber(v - b[i], 1.5), 0) / 6,
        12,
      );
      const p = rand([6], 6, 0.05, 0.95),
        t = [0, 1, 1, 0, 1, 0.3];
      const bce = p.map((v, i) => -(t[i] * Math.log(v) + (1 - t[i]) * Math.log(1 - v)));
      expect(num(F.binaryCrossEntropy(f64(p, [6]), f64(t, [6])))).toBeCloseTo(bce.reduce((s, v) => s + v) / 6, 12);
      const logits = rand([6], 7, -30, 30),
        pw = 2.5;
      const sig = (z: number) => 1 / (1 + Math.exp(-z));
      const ref = logits.map((z, i) => -(pw * t[i] * Math.log(sig(z)) + (1 - t[i]) * Math.log(1 - sig(z))));
      const got = F.binaryCrossEntropyWithLogits(f64(logits, [6]), f64(t, [6]), {
        posWeight: f64([pw], [1]),
        reduction: 'none',
      }).toArray() as number[];
      got.forEach((v, i) => expect(v).toBeCloseTo(ref[i], 8));
      // stable for large logits, where log(sigmoid) would underflow
      expect(Number.isFinite(num(F.binaryCrossEntropyWithLogits(f64([-800, 800], [2]), f64([1, 0], [2]))))).toBe(true);
    }));

  it('gradcheck', () =>
    tidy(() => {
      const Y = tensor(labels, { dtype: 'int64' });
      const X = () => f64(rand([N, C], 8), [N, C], true);
      expect(gradcheck((a) => F.crossEntropy(a, Y, { labelSmoothing: 0.1, weight: f64(w, [C]) }), [X()])).toBe(true);
      expect(gradcheck((a, p) => F.crossEntropy(a, p.softmax(1)), [X(), X()])).toBe(true);
      expect(gradcheck((a, b) => F.smoothL1Loss(a, b), [X(), X()])).toBe(true);
      expect(
        gradcheck(
          (a, b) => F.binaryCrossEntropyWithLogits(a, b.sigmoid(), { posWeight: f64([2, 1, 1, 3], [C]) }),
          [X(), X()],
        ),
      ).toBe(true);
      expect(gradcheck((a) => F.binaryCrossEntropy(a.sigmoid(), f64(rand([N, C], 9, 0, 1), [N, C])), [X()])).toBe(true);
    }));

  it('second derivatives of the fused crossEntropy and nllLoss (createGraph takes differentiable ops)', () =>
    tidy(() => {
      const Y = tensor([0, 2, 1, 3, 2], { dtype: 'int64' });
      const W = f64([1, 0.5, 2, 1.5], [4]);
      const X = () => f64(rand([5, 4], 11), [5, 4], true);
      const fns: ((a: Tensor) => Tensor)[] = [
        (a) => F.crossEntropy(a, Y),
        (a) => F.crossEntropy(a, Y, { weight: W, ignoreIndex: 2, labelSmoothing: 0.2 }),
        (a) => F.crossEntropy(a, Y, { reduction: 'none', labelSmoothing: 0.1 }).mul(a.sum(1)),
        (a) => F.nllLoss(a.logSoftmax(1), Y, { weight: W, reduction: 'sum' }),
      ];
      for (const f of fns) expect(tk.gradgradcheck(f, [X()])).toBe(true);
    }));

  it('loss modules', () =>
    tidy(() => {
      const X = f64(x, [N, C]),
        Y = tensor(labels, { dtype: 'int64' });
      expect(num(new nn.CrossEntropyLoss().call(X, Y))).toBeCloseTo(num(F.crossEntropy(X, Y)), 14);
      expect(num(new nn.NLLLoss({ reduction: 'sum' }).call(X.logSoftmax(1), Y))).toBeCloseTo(
        num(F.crossEntropy(X, Y, { reduction: 'sum' })),
        12,
      );
      for (const M of [nn.MSELoss, nn.L1Loss, nn.SmoothL1Loss]) expect(new M().call(X, X).item()).toBe(0);
      expect(num(new nn.BCEWithLogitsLoss().call(X, X.sigmoid()))).toBeCloseTo(
        num(new nn.BCELoss().call(X.sigmoid(), X.sigmoid())),
        10,
      );
    }));
});

describe('bad input', () => {
  const X = () => tk.zeros([3, 4]);
  const CASES: [string, () => unknown, string, RegExp][] = [
    [
      'float class labels (a JS number array) name the int64 fix',
      () => F.crossEntropy(X(), tensor([0, 1, 2])),
      'DTYPE_MISMATCH',
      /crossEntropy: class-index targets must be int64, got a float32 target of shape \[3\]; make them with tensor\(\[\.\.\.\], \{ dtype: 'int64' \}\) or target\.to\('int64'\)/,
    ],
    [
      'float probabilities of the wrong shape',
      () => F.crossEntropy(X(), tk.zeros([3, 5])),
      'SHAPE_MISMATCH',
      /crossEntropy: target shape \[3, 5\] must match input shape \[3, 4\]/,
    ],
    [
      'label out of range',
      () => F.crossEntropy(X(), tensor([0, 4, 1], { dtype: 'int64' })),
      'INDEX_OUT_OF_RANGE',
      /crossEntropy: target 4 is out of bounds for 4 classes/,
    ],
    [
      'negative label',
      () => F.nllLoss(X(), tensor([0, -1, 1], { dtype: 'int64' })),
      'INDEX_OUT_OF_RANGE',
      /nllLoss: target -1 is out of bounds/,
    ],
    [
      'bool labels',
      () => F.nllLoss(X(), tensor([true, false, true])),
      'DTYPE_MISMATCH',
      /nllLoss: class-index targets must be int64 \(or int32\), got bool/,
    ],
    [
      'wrong number of labels',
      () => F.crossEntropy(X(), tensor([0, 1], { dtype: 'int64' })),
      'SHAPE_MISMATCH',
      /crossEntropy: expected target of shape \[3\] for input \[3, 4\], got \[2\]/,
    ],
    [
      'class weight size',
      () => F.crossEntropy(X(), tensor([0, 1, 2], { dtype: 'int64' }), { weight: tk.ones([3]) }),
      'SHAPE_MISMATCH',
      /crossEntropy: weight must be \[4\], got \[3\]/,
    ],
    [
      'bad reduction',
      () => F.mseLoss(X(), X(), { reduction: 'avg' as never }),
      'INVALID_ARGUMENT',
      /mseLoss: reduction must be 'mean', 'sum' or 'none', got "avg"/,
    ],
    [
      'bad label smoothing',
      () => F.crossEntropy(X(), tensor([0, 1, 2], { dtype: 'int64' }), { labelSmoothing: 2 }),
      'INVALID_ARGUMENT',
      /crossEntropy: labelSmoothing must be in \[0, 1\], got 2/,
    ],
    [
      'mse shape mismatch',
      () => F.mseLoss(X(), tk.zeros([4, 3])),
      'SHAPE_MISMATCH',
      /mseLoss: target shape \[4, 3\] must match input shape \[3, 4\]/,
    ],
  ];
  for (const [name, fn, code, msg] of CASES) it(name, () => tidy(() => expectTensorError(fn, code, msg)));
});
