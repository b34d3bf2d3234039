// nn.functional.unfold / fold (src/nn/fold.ts) against PyTorch 1.13's values and gradients
// (test/fixtures/torch-fold.json, written by scripts/fixtures/torch_fold.py), the fold-unfold
// identity, second derivatives, modules, errors and memory.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { memory, nn, type Tensor } from '../src/index.js';
import { expectTensorError, settleGarbage } from './helpers/harness.js';
import { closeToTorch, f64, type Nested } from './helpers/torch-rows.js';

const F = nn.functional;
interface Config {
  kernel: [number, number];
  padding?: [number, number];
  stride?: [number, number];
  dilation?: [number, number];
}
const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-fold.json', import.meta.url), 'utf8')) as {
  torch: string;
  x: Nested;
  cases: { config: Config; unfold: Nested; unfoldGrad: Nested; cols: Nested; fold: Nested; foldGrad: Nested }[];
};
const weights = (o: Tensor, step: number, f: 'cos' | 'sin') =>
  tk.arange(0, o.numel(), 1, { dtype: 'float64' }).mul(step)[f]().reshape(o.shape);

describe(`unfold and fold against PyTorch ${FIX.torch}`, () => {
  for (const c of FIX.cases) {
    const { kernel, ...opts } = c.config;
    it(`kernel ${kernel} ${JSON.stringify(opts)}`, () => {
      tk.tidy(() => {
        const x = f64(FIX.x).requiresGrad_();
        const u = F.unfold(x, kernel, opts);
        closeToTorch(u, c.unfold, 'unfold');
        u.mul(weights(u, 0.3, 'cos'))
          .sum()
          .backward();
        closeToTorch(x.grad!, c.unfoldGrad, 'unfold gradient');
        const cols = f64(c.cols).requiresGrad_();
        const f = F.fold(cols, [6, 5], kernel, opts);
        closeToTorch(f, c.fold, 'fold');
        f.mul(weights(f, 0.7, 'sin'))
          .sum()
          .backward();
        closeToTorch(cols.grad!, c.foldGrad, 'fold gradient');
      });
    });
  }
});

describe('unfold and fold', () => {
  it('fold(unfold(x)) is x times the number of blocks covering each pixel; unbatched inputs', () => {
    tk.tidy(() => {
      const x = tk.randn([2, 3, 8, 8], { dtype: 'float64' });
      const back = F.fold(F.unfold(x, 2, { stride: 2 }), [8, 8], 2, { stride: 2 });
      closeToTorch(back, x.toArray() as Nested, 'non-overlapping round trip');
      const cover = F.fold(F.unfold(tk.onesLike(x), 3, { padding: 1 }), [8, 8], 3, { padding: 1 });
      const again = F.fold(F.unfold(x, 3, { padding: 1 }), [8, 8], 3, { padding: 1 });
      closeToTorch(again, x.mul(cover).toArray() as Nested, 'overlapping round trip');
      const u3 = F.unfold(x.select(0, 1), [2, 3]);
      closeToTorch(u3, F.unfold(x, [2, 3]).select(0, 1).toArray() as Nested, 'unbatched unfold');
      expect(F.fold(u3, [8, 8], [2, 3]).shape).toEqual([3, 8, 8]);
    });
  });
  it('second derivatives and the modules', () => {
    tk.tidy(() => {
      const x = tk.randn([1, 2, 5, 4], { dtype: 'float64' }).requiresGrad_();
      expect(tk.autograd.gradgradcheck((t) => F.unfold(t, 2, { dilation: [2, 1], padding: 1 }).square(), [x])).toBe(
        true,
      );
      const cols = tk.randn([1, 8, 12], { dtype: 'float64' }).requiresGrad_();
      expect(tk.autograd.gradcheck((t) => F.fold(t, [5, 4], 2).square(), [cols])).toBe(true);
      const m = new nn.Unfold([2, 2], { stride: 2 });
      expect(m.call(tk.ones([1, 1, 4, 4])).shape).toEqual([1, 4, 4]);
      expect(
        new nn.Fold([4, 4], 2, { stride: 2 })
          .call(tk.ones([1, 4, 4]))
          .sum()
          .item(),
      ).toBe(16);
    });
  });
  it('bad input is a TensorError naming the function and the value', () => {
    tk.tidy(() => {
      const x = tk.ones([1, 2, 4, 4]);
      expectTensorError(() => F.unfold(tk.ones([4, 4]), 2), 'SHAPE_MISMATCH', /unfold: expected \[N, C, H, W\]/);
      expectTensorError(() => F.unfold(x, 5), 'SHAPE_MISMATCH', /no block of 5x5/);
      expectTensorError(() => F.unfold(x, 0), 'INVALID_ARGUMENT', /kernelSize/);
      expectTensorError(() => F.unfold(x, 2, { stride: [1, 2, 3] as never }), 'INVALID_ARGUMENT', /stride/);
      expectTensorError(() => F.unfold(x, 2, { zzz: 1 } as never), 'INVALID_ARGUMENT', /zzz/);
      expectTensorError(() => F.fold(tk.ones([1, 7, 9]), [4, 4], 2), 'SHAPE_MISMATCH', /divisible/);
      expectTensorError(() => F.fold(tk.ones([1, 8, 5]), [4, 4], 2), 'SHAPE_MISMATCH', /5 blocks given/);
      expectTensorError(() => new nn.Fold([0, 4], 2), 'INVALID_ARGUMENT', /outputSize/);
    });
  });
  it('leaves nothing behind', () => {
    settleGarbage();
    const before = memory();
    for (let i = 0; i < 100; i++)
      tk.tidy(() => {
        const x = tk.randn([1, 2, 6, 6]).requiresGrad_();
        F.fold(F.unfold(x, 3, { padding: 1 }), [6, 6], 3, { padding: 1 })
          .sum()
          .backward();
      });
    settleGarbage();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});
