// nn.functional.ctcLoss / nn.CTCLoss (src/nn/ctc.ts, native/src/ops/ctc.cpp) against PyTorch
// 1.13's losses and logit gradients (test/fixtures/torch-ctc.json, written by
// scripts/fixtures/torch_ctc.py): padded and concatenated targets, repeats, a blank other than 0,
// empty targets, inputs too short for their target, every reduction, unbatched; then the edges
// PyTorch 1.13 gets wrong or leaves out, 16-bit, errors and memory.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { memory, nn, tensor, type Tensor } from '../src/index.js';
import { expectTensorError, settleGarbage } from './helpers/harness.js';
import { closeToTorch, f64, type Nested } from './helpers/torch-rows.js';

const F = nn.functional;
interface Case {
  name: string;
  logits: Nested;
  targets: number[] | number[][];
  input_lengths: number[] | number;
  target_lengths: number[] | number;
  kw: { blank?: number; reduction?: 'none' | 'mean' | 'sum'; zero_infinity?: boolean };
  loss: Nested;
  grad: Nested;
}
const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-ctc.json', import.meta.url), 'utf8')) as {
  torch: string;
  cases: Case[];
  infeasible: { log_probs: Nested; loss: Nested };
};
const int64 = (v: number[] | number[][]) => tensor(v, { dtype: 'int64' });
const optionsOf = (c: Case) => ({ blank: c.kw.blank, reduction: c.kw.reduction, zeroInfinity: c.kw.zero_infinity });

describe(`ctcLoss against PyTorch ${FIX.torch}`, () => {
  for (const c of FIX.cases)
    it(c.name, () => {
      tk.tidy(() => {
        const logits = f64(c.logits).requiresGrad_();
        const loss = F.ctcLoss(
          logits.logSoftmax(-1),
          int64(c.targets),
          c.input_lengths,
          c.target_lengths,
          optionsOf(c),
        );
        closeToTorch(loss, c.loss, `${c.name} loss`);
        const g = tk.arange(0, loss.numel(), 1, { dtype: 'float64' }).mul(0.7).cos().reshape(loss.shape);
        loss.mul(g).sum().backward();
        closeToTorch(logits.grad!, c.grad, `${c.name} d/d logits`);
      });
    });

  it('lengths as tensors (int32 too) and the module give the same', () => {
    tk.tidy(() => {
      const c = FIX.cases.find((k) => k.name === 'padded none')!;
      const lp = f64(c.logits).logSoftmax(-1);
      const il = c.input_lengths as number[],
        tl = c.target_lengths as number[];
      const ref = F.ctcLoss(lp, int64(c.targets), il, tl, { reduction: 'none' });
      const asTensors = F.ctcLoss(
        lp,
        tensor(c.targets, { dtype: 'int32' }),
        tensor(il, { dtype: 'int32' }),
        int64(tl),
        {
          reduction: 'none',
        },
      );
      expect(asTensors.toArray()).toEqual(ref.toArray());
      const m = new nn.CTCLoss({ reduction: 'sum' });
      expect(m.call(lp, int64(c.targets), il, tl).item()).toBeCloseTo(ref.sum().item() as number, 12);
    });
  });

  it('no alignment fits: an infinite loss and NaN gradients, as PyTorch; zeroInfinity zeroes both', () => {
    tk.tidy(() => {
      const lp = f64(FIX.infeasible.log_probs).requiresGrad_();
      const loss = F.ctcLoss(lp, int64([[1, 1, 1]]), [3], [3], { reduction: 'none' });
      closeToTorch(loss, FIX.infeasible.loss, 'infeasible loss');
      loss.sum().backward();
      expect((lp.grad!.toArray() as number[][][]).flat(2).every(Number.isNaN)).toBe(true);
      lp.grad = null;
      const zeroed = F.ctcLoss(lp, int64([[1, 1, 1]]), [3], [3], { zeroInfinity: true });
      expect(zeroed.item()).toBe(0);
      zeroed.backward();
      expect(lp.grad!.abs().sum().item()).toBe(0);
    });
  });
});

describe('ctcLoss edges', () => {
  it('an input of length 0: loss 0 for an empty target, infinite otherwise (PyTorch 1.13 reads garbage)', () => {
    tk.tidy(() => {
      const lp = tk.randn([4, 3, 3], { dtype: 'float64' }).logSoftmax(-1).detach().requiresGrad_();
      const loss = F.ctcLoss(lp, int64([[1], [2], [1]]), [0, 0, 4], [0, 1, 1], { reduction: 'none' });
      const [a, b, c] = loss.toArray() as number[];
      expect(a).toBe(0);
      expect(b).toBe(Infinity);
      expect(Number.isFinite(c)).toBe(true);
      F.ctcLoss(lp, int64([[1], [2], [1]]), [0, 0, 4], [0, 1, 1], { zeroInfinity: true, reduction: 'sum' }).backward();
      // frames past each input length get no gradient
      expect(lp.grad!.narrow(1, 0, 2).abs().sum().item()).toBe(0);
      expect(lp.grad!.narrow(1, 2, 1).abs().sum().item()).toBeGreaterThan(0);
    });
  });

  it('an empty target is the probability of all blanks', () => {
    tk.tidy(() => {
      const lp = tk.randn([5, 1, 4], { dtype: 'float64' }).logSoftmax(-1);
      const loss = F.ctcLoss(lp, int64([[]]), [5], [0], { reduction: 'none', blank: 2 });
      expect(loss.item()).toBeCloseTo(-(lp.select(2, 2).sum().item() as number), 12);
    });
  });

  it('float32 agrees with float64, and 16-bit runs in float32', () => {
    tk.tidy(() => {
      const c = FIX.cases.find((k) => k.name.startsWith('long'))!;
      const lp64 = f64(c.logits).logSoftmax(-1);
      const run = (lp: Tensor) =>
        F.ctcLoss(lp, int64(c.targets), c.input_lengths, c.target_lengths, { reduction: 'none' }).to('float64');
      const ref = run(lp64);
      expect(run(lp64.to('float32')).sub(ref).abs().max().item()).toBeLessThan(1e-3);
      for (const dtype of ['float16', 'bfloat16'] as const) {
        const lp = lp64.to(dtype);
        const loss = F.ctcLoss(lp, int64(c.targets), c.input_lengths, c.target_lengths, { reduction: 'none' });
        expect(loss.dtype).toBe(dtype);
        // the same as float32 on the 16-bit values
        const want = run(lp.to('float32'));
        expect(loss.to('float64').sub(want).abs().div(want).max().item()).toBeLessThan(1e-2);
      }
    });
  });

  it('nn.grad.ctcLoss is the gradient autograd gives', () => {
    tk.tidy(() => {
      const c = FIX.cases.find((k) => k.name === 'concatenated')!;
      const lp = f64(c.logits).logSoftmax(-1).detach().requiresGrad_();
      const g = tensor([0.5, -1, 2, 1], { dtype: 'float64' });
      F.ctcLoss(lp, int64(c.targets), c.input_lengths, c.target_lengths, { reduction: 'none' }).mul(g).sum().backward();
      const direct = nn.grad.ctcLoss(g, lp.detach(), int64(c.targets), c.input_lengths, c.target_lengths);
      expect(direct.sub(lp.grad!).abs().max().item()).toBeLessThan(1e-14);
      const u = FIX.cases.find((k) => k.name === 'unbatched')!;
      const ulp = f64(u.logits).logSoftmax(-1);
      const ug = nn.grad.ctcLoss(tensor(1, { dtype: 'float64' }), ulp, int64(u.targets as number[]), 7, 3);
      expect(ug.shape).toEqual(ulp.shape);
    });
  });

  it('double backward is refused, not silently wrong', () => {
    tk.tidy(() => {
      const lp = tk.randn([4, 1, 3], { dtype: 'float64' }).requiresGrad_();
      const loss = F.ctcLoss(lp, int64([[1, 2]]), [4], [2]);
      expectTensorError(() => tk.autograd.grad([loss], [lp], { createGraph: true }), 'NOT_IMPLEMENTED', /ctcLoss/);
    });
  });
});

describe('ctcLoss errors', () => {
  it('bad input is a TensorError naming the function and the value', () => {
    tk.tidy(() => {
      const lp = tk.randn([5, 2, 4]).logSoftmax(-1);
      const t = int64([
        [1, 2],
        [3, 0],
      ]);
      const ok = (o: object = {}) => F.ctcLoss(lp, t, [5, 4], [2, 1], o);
      expect(ok().ndim).toBe(0);
      expectTensorError(() => ok({ blank: 4 }), 'INDEX_OUT_OF_RANGE', /blank 4 is out of range for 4 classes/);
      expectTensorError(() => ok({ blank: 1 }), 'INDEX_OUT_OF_RANGE', /target 1 .*other than blank 1/);
      expectTensorError(
        () =>
          F.ctcLoss(
            lp,
            int64([
              [1, 7],
              [1, 1],
            ]),
            [5, 4],
            [2, 1],
          ),
        'INDEX_OUT_OF_RANGE',
        /target 7/,
      );
      expectTensorError(() => F.ctcLoss(lp, t, [6, 4], [2, 1]), 'INDEX_OUT_OF_RANGE', /input_lengths\[0\] = 6/);
      expectTensorError(
        () => F.ctcLoss(lp, t, [5, 4], [3, 1]),
        'INDEX_OUT_OF_RANGE',
        /target_lengths\[0\] = 3 exceeds/,
      );
      expectTensorError(() => F.ctcLoss(lp, t, [5, 4], [-1, 1]), 'INDEX_OUT_OF_RANGE', /negative/);
      expectTensorError(() => F.ctcLoss(lp, t, [5], [2, 1]), 'SHAPE_MISMATCH', /input_lengths must be \[2\]/);
      expectTensorError(() => F.ctcLoss(lp, t, [5, 1.5], [2, 1]), 'INVALID_ARGUMENT', /inputLengths/);
      expectTensorError(() => F.ctcLoss(lp, t, [5, 4], 'x' as never), 'INVALID_ARGUMENT', /targetLengths/);
      expectTensorError(() => F.ctcLoss(lp, int64([1, 2]), [5, 4], [2, 1]), 'SHAPE_MISMATCH', /sum to 3/);
      expectTensorError(() => F.ctcLoss(lp, tensor([[1, 2]]), [5, 4], [2, 1]), 'DTYPE_MISMATCH', /targets/);
      expectTensorError(() => F.ctcLoss(lp, t, tensor([5, 4]), [2, 1]), 'DTYPE_MISMATCH', /input_lengths/);
      expectTensorError(() => F.ctcLoss(lp.sum(2), t, [5, 4], [2, 1]), 'SHAPE_MISMATCH', /unbatched/);
      expectTensorError(() => F.ctcLoss(tk.randn([5]), t, [5, 4], [2, 1]), 'SHAPE_MISMATCH', /\[T, N, C\]/);
      expectTensorError(() => F.ctcLoss(lp.to('int32'), t, [5, 4], [2, 1]), 'DTYPE_MISMATCH', /floating/);
      expectTensorError(() => ok({ reduction: 'avg' }), 'INVALID_ARGUMENT', /reduction/);
      expectTensorError(() => ok({ zeroInfinty: true }), 'INVALID_ARGUMENT', /zeroInfinty/);
      expectTensorError(() => new nn.CTCLoss({ blank: 0.5 }), 'INVALID_ARGUMENT', /blank/);
      expectTensorError(
        () => nn.grad.ctcLoss(tk.ones([3]), lp, t, [5, 4], [2, 1]),
        'SHAPE_MISMATCH',
        /loss gradient must be float32 \[2\]/,
      );
    });
  });

  it('leaves nothing behind', () => {
    settleGarbage();
    const before = memory();
    const logits = tk.randn([12, 3, 6]).requiresGrad_();
    for (let i = 0; i < 100; i++)
      tk.tidy(() => {
        const t =
          i % 2
            ? int64([1, 2, 3, 4, 5, 1])
            : int64([
                [1, 2],
                [3, 4],
                [5, 1],
              ]);
        F.ctcLoss(logits.logSoftmax(2), t, [12, 10, 8], [2, 2, 2], { zeroInfinity: i % 3 === 0 }).backward();
      });
    logits.grad!.dispose();
    logits.dispose();
    settleGarbage();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});
