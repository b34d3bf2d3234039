// nn.functional.embeddingBag / nn.EmbeddingBag (src/nn/embedding_bag.ts) against PyTorch 1.13's
// outputs and weight gradients (test/fixtures/torch-embedding-bag.json, written by
// scripts/fixtures/torch_embedding_bag.py): every mode, offsets and 2-D bags, an empty bag,
// per-sample weights, includeLastOffset, paddingIdx; then the module, errors and memory.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { memory, nn, tensor } from '../src/index.js';
import { expectTensorError, settleGarbage } from './helpers/harness.js';
import { closeToTorch, f64, type Nested } from './helpers/torch-rows.js';

const F = nn.functional;
interface Case {
  name: string;
  input: number[] | number[][];
  kw: {
    offsets?: number[];
    mode: 'sum' | 'mean' | 'max';
    padding_idx?: number;
    per_sample_weights?: number[];
    include_last_offset?: boolean;
  };
  out: Nested;
  grad: Nested;
}
const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-embedding-bag.json', import.meta.url), 'utf8')) as {
  torch: string;
  weight: Nested;
  cases: Case[];
};
const int64 = (v: number[] | number[][]) => tensor(v, { dtype: 'int64' });

describe(`embeddingBag against PyTorch ${FIX.torch}`, () => {
  for (const c of FIX.cases)
    it(c.name, () => {
      tk.tidy(() => {
        const w = f64(FIX.weight).requiresGrad_();
        const out = F.embeddingBag(int64(c.input), w, {
          mode: c.kw.mode,
          offsets: c.kw.offsets ? int64(c.kw.offsets) : null,
          paddingIdx: c.kw.padding_idx ?? null,
          perSampleWeights: c.kw.per_sample_weights ? tensor(c.kw.per_sample_weights, { dtype: 'float64' }) : null,
          includeLastOffset: c.kw.include_last_offset ?? false,
        });
        closeToTorch(out, c.out, `${c.name} out`);
        const g = tk.arange(0, out.numel(), 1, { dtype: 'float64' }).mul(0.9).cos().reshape(out.shape);
        out.mul(g).sum().backward();
        closeToTorch(w.grad!, c.grad, `${c.name} d/d weight`);
      });
    });
});

describe('nn.EmbeddingBag', () => {
  it('the module: modes, paddingIdx zeroed at creation, offsets and per-sample weights', () => {
    tk.tidy(() => {
      tk.manualSeed(1);
      const m = new nn.EmbeddingBag(20, 4, { mode: 'sum', paddingIdx: 3 });
      expect(m.weight.select(0, 3).abs().sum().item()).toBe(0);
      const x = int64([1, 3, 5, 7]);
      const y = m.call(x, int64([0, 1]), tensor([2, 2, 2, 2]));
      expect(y.shape).toEqual([2, 4]);
      closeToTorch(y.select(0, 0), m.weight.select(0, 1).mul(2).toArray() as Nested, 'bag 0', 1e-6);
      expect(m.parameters().length).toBe(1);
      expect(
        tk.autograd.gradcheck(
          (w) =>
            F.embeddingBag(
              int64([
                [1, 2],
                [2, 0],
              ]),
              w,
              { mode: 'max' },
            ),
          [tk.randn([3, 2], { dtype: 'float64' }).requiresGrad_()],
        ),
      ).toBe(true);
    });
  });
  it('bad input is a TensorError naming the function and the value', () => {
    tk.tidy(() => {
      const w = tk.randn([5, 2]);
      expectTensorError(() => F.embeddingBag(int64([1, 2]), w), 'INVALID_ARGUMENT', /needs offsets/);
      expectTensorError(
        () => F.embeddingBag(int64([[1, 2]]), w, { offsets: int64([0]) }),
        'INVALID_ARGUMENT',
        /absent for a 2-D/,
      );
      expectTensorError(
        () => F.embeddingBag(int64([1, 2]), w, { offsets: int64([1]) }),
        'INVALID_ARGUMENT',
        /offsets\[0\] must be 0/,
      );
      expectTensorError(
        () => F.embeddingBag(int64([1, 2]), w, { offsets: int64([0, 3]) }),
        'INVALID_ARGUMENT',
        /at most 2/,
      );
      expectTensorError(() => F.embeddingBag(int64([1, 9]), w, { offsets: int64([0]) }), 'INDEX_OUT_OF_RANGE', /9/);
      expectTensorError(() => F.embeddingBag(tensor([1, 2]), w, { offsets: int64([0]) }), 'DTYPE_MISMATCH', /int64/);
      expectTensorError(
        () => F.embeddingBag(int64([1, 2]), w, { offsets: int64([0]), mode: 'max', perSampleWeights: tk.ones([2]) }),
        'INVALID_ARGUMENT',
        /only supported for mode 'sum'/,
      );
      expectTensorError(
        () => F.embeddingBag(int64([1]), w, { offsets: int64([0]), mode: 'prod' as never }),
        'INVALID_ARGUMENT',
        /mode/,
      );
      expectTensorError(() => new nn.EmbeddingBag(5, 2, { paddingIdx: 5 }), 'INVALID_ARGUMENT', /paddingIdx/);
    });
  });
  it('leaves nothing behind', () => {
    settleGarbage();
    const before = memory();
    const w = tk.randn([50, 8]).requiresGrad_();
    for (let i = 0; i < 100; i++)
      tk.tidy(() => {
        F.embeddingBag(int64([1, 2, 3, 40, 41]), w, { offsets: int64([0, 2]), mode: i % 2 ? 'max' : 'mean' })
          .sum()
          .backward();
      });
    w.grad!.dispose();
    w.dispose();
    settleGarbage();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});
