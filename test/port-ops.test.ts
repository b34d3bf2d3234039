// The TS-composed ops of issue 18: the same values on strided and broadcast inputs as on
// contiguous ones (their values are checked against PyTorch in torch-port.test.ts and their
// gradients in the gradient table), their errors, sampling statistics, and memory.
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { memory, nn, optim, slice, tensor } from '../src/index.js';
import { compositeGradRows } from './helpers/cases-index.js';
import { disposeAll, expectTensorError, input, LAYOUTS, prng, settleGarbage } from './helpers/harness.js';

describe('composite ops give the same values on every layout', () => {
  // Each strided or broadcast input against a contiguous copy of the same values.
  for (const c of compositeGradRows)
    it(c.name, () => {
      for (const layout of c.layouts ?? LAYOUTS) {
        const r = prng(11);
        const pairs = c.inputs.map((s) => input(s, layout, r));
        if (pairs.some((p) => !p)) {
          disposeAll(pairs.filter(Boolean).map((p) => p!.native));
          continue;
        }
        const views = pairs.map((p) => p!.native);
        const copies = views.map((v) => v.contiguous().clone());
        const got = c.fn(...views),
          want = c.fn(...copies);
        expect(got.toArray(), `${c.name} [${layout}]`).toEqual(want.toArray());
        disposeAll(got, want, views, copies);
      }
    });
});

describe('indexing', () => {
  const x = () => tk.arange(24).reshape([2, 3, 4]);
  it('reads as PyTorch: integers, slices, steps, ellipsis, new axes, arrays, masks', () => {
    expect(x().index([1, -1, -1]).item()).toBe(23);
    expect(x().index(['...', slice(1, null, 2)]).shape).toEqual([2, 3, 2]);
    expect(x().index([null, ':', null]).shape).toEqual([1, 2, 1, 3, 4]);
    expect(x().index([':', [true, false, true]]).shape).toEqual([2, 2, 4]);
    expect(x().index('1:').shape).toEqual([1, 3, 4]);
    expect(x().index(tensor(1, { dtype: 'int64' })).shape).toEqual([3, 4]);
    expect(x().index(['-2:', '-3:', '::']).shape).toEqual([2, 3, 4]);
    // basic indexing is a view of the same storage
    const t = x().to('float32');
    t.index([0, 0]).fill_(-1);
    expect(t.index([0, 0, 0]).item()).toBe(-1);
  });

  it('writes: indexPut_ with a mask, a slice and broadcast values; scatter_ and maskedFill_ in place', () => {
    const t = tk.zeros([3, 4]);
    t.indexPut_([':', '1:3'], tensor([1, 2]));
    expect(t.toArray()).toEqual([
      [0, 1, 2, 0],
      [0, 1, 2, 0],
      [0, 1, 2, 0],
    ]);
    t.indexPut_(t.eq(2), 5);
    expect(t.index([0]).toArray()).toEqual([0, 1, 5, 0]);
    t.maskedFill_(t.eq(1), -1).scatter_(1, tensor([[3], [3], [3]], { dtype: 'int64' }), 9);
    expect(t.index([2]).toArray()).toEqual([0, -1, 5, 9]);
  });

  it('refuses bad indices with a TensorError naming the problem', () => {
    expectTensorError(
      () => x().index([0, 3]),
      'INDEX_OUT_OF_RANGE',
      /index: index 3 is out of range for dimension 0 of size 3/,
    );
    expectTensorError(
      () => x().index([0, 0, 0, 0]),
      'INDEX_OUT_OF_RANGE',
      /too many indices for a tensor of dimension 3/,
    );
    expectTensorError(() => x().index(['...', '...']), 'INVALID_ARGUMENT', /only one ellipsis/);
    expectTensorError(() => x().index('::0'), 'INVALID_ARGUMENT', /slice step must be positive, got 0/);
    expectTensorError(() => x().index('a:b'), 'INVALID_ARGUMENT', /"a:b" is not a slice/);
    expectTensorError(
      () => x().index([[0, 5]]),
      'INDEX_OUT_OF_RANGE',
      /index 5 is out of range for dimension 0 of size 2/,
    );
    expectTensorError(
      () => x().index(tk.ones([2, 2], { dtype: 'bool' })),
      'SHAPE_MISMATCH',
      /the mask \[2, 2\] does not match/,
    );
    expectTensorError(
      () => x().index(tk.ones([2])),
      'DTYPE_MISMATCH',
      /a tensor index must be int64, int32 or bool, got float32/,
    );
    expectTensorError(() => x().index([{ step: 'a' } as never]), 'INVALID_ARGUMENT', /slice step/);
    expectTensorError(() => x().gather(5, tk.zeros([1], { dtype: 'int64' })), 'INDEX_OUT_OF_RANGE', /gather/);
    expectTensorError(
      () => tk.zeros([2, 3]).gather(1, tk.zeros([3, 1], { dtype: 'int64' })),
      'SHAPE_MISMATCH',
      /gather: the index \[3, 1\] is larger than the input \[2, 3\] in dim 0/,
    );
    expectTensorError(
      () => tk.zeros([2, 3]).scatter(1, tensor([[5]], { dtype: 'int64' }), 1),
      'INDEX_OUT_OF_RANGE',
      /scatter: .*5/,
    );
    expectTensorError(
      () => tk.zeros([2]).scatterReduce(0, tensor([0], { dtype: 'int64' }), tk.ones([1]), 'max' as never),
      'INVALID_ARGUMENT',
      /reduce/,
    );
    expectTensorError(() => tk.zeros([2]).maskedFill(tk.zeros([2]), 1), 'DTYPE_MISMATCH', /the mask must be bool/);
    expectTensorError(
      () => tk.zeros([3, 4]).indexPut_([0], tk.ones([3])),
      'SHAPE_MISMATCH',
      /values of shape \[3\] do not broadcast/,
    );
  });
});

describe('sorting, sampling and set ops', () => {
  it('sort is stable and topk refuses k past the size', () => {
    const t = tensor([2, 1, 2, 1, 0]);
    expect(t.sort().indices.toArray()).toEqual([4, 1, 3, 0, 2]);
    expect(t.sort(0, { descending: true }).indices.toArray()).toEqual([0, 2, 1, 3, 4]);
    expectTensorError(() => t.topk(6), 'INDEX_OUT_OF_RANGE', /topk: k \(6\) is larger than dimension 0 of size 5/);
  });

  it('multinomial draws in proportion to the weights (with replacement) and without repeats (without)', () => {
    tk.manualSeed(3);
    const w = tensor([0.1, 0, 0.6, 0.3]);
    const draws = w.multinomial(20000, { replacement: true });
    const counts = draws.bincount({ minlength: 4 }).toArray() as number[];
    expect(counts[1]).toBe(0);
    // binomial standard deviation of a share near 0.6 over 20,000 draws is ~0.0035
    [0.1, 0, 0.6, 0.3].forEach((p, i) => expect(Math.abs(counts[i] / 20000 - p)).toBeLessThan(0.02));
    const rows = tk.ones([50, 6]).multinomial(6);
    for (const r of rows.toArray() as number[][]) expect([...r].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(tensor([0, 0, 1]).multinomial(1).item()).toBe(2);
    expectTensorError(
      () => w.multinomial(5),
      'INVALID_ARGUMENT',
      /cannot draw 5 samples without replacement from 4 categories/,
    );
    expectTensorError(() => tensor([-1, 2]).multinomial(1), 'INVALID_ARGUMENT', /finite and non-negative/);
    expectTensorError(() => tensor([0, 0]).multinomial(1), 'INVALID_ARGUMENT', /positive total weight/);
  });

  it('unique with inverse and counts', () => {
    const u = tensor([3, 1, 3, 2, 1, 3], { dtype: 'int64' }).unique({ returnInverse: true, returnCounts: true });
    expect(u.values.toArray()).toEqual([1, 2, 3]);
    expect(u.counts!.toArray()).toEqual([2, 1, 3]);
    expect(u.inverse!.toArray()).toEqual([2, 0, 2, 1, 0, 2]);
  });
});

describe('shape ops', () => {
  it('split, chunk and unbind give views; meshgrid and the *As forms', () => {
    const t = tk.arange(10, { dtype: 'float32' });
    expect(t.split(4).map((p) => p.shape[0])).toEqual([4, 4, 2]);
    expect(t.split([3, 7]).map((p) => p.shape[0])).toEqual([3, 7]);
    expect(t.chunk(3).map((p) => p.shape[0])).toEqual([4, 4, 2]);
    t.split(5)[1].fill_(0);
    expect(t.index(9).item()).toBe(0);
    expect(tk.ones([2, 3]).unbind(1)).toHaveLength(3);
    const [gy, gx] = tk.meshgrid([tk.arange(2), tk.arange(3)]);
    expect(gy.shape).toEqual([2, 3]);
    expect(gx.toArray()).toEqual([
      [0, 1, 2],
      [0, 1, 2],
    ]);
    expect(tk.meshgrid([tk.arange(2), tk.arange(3)], { indexing: 'xy' })[0].shape).toEqual([3, 2]);
    expect(tk.ones([6]).viewAs(tk.zeros([2, 3])).shape).toEqual([2, 3]);
    expect(tk.ones([1, 3]).expandAs(tk.zeros([4, 3])).shape).toEqual([4, 3]);
    expect(tk.ones([2]).any().item()).toBe(true);
    expect(tensor([1, 0]).all().item()).toBe(false);
    expect(tensor([NaN, Infinity, -Infinity, 1]).isinf().toArray()).toEqual([false, true, true, false]);
    expectTensorError(() => t.split([3, 3]), 'SHAPE_MISMATCH', /sizes \[3, 3\] sum to 6, but dimension 0 has size 10/);
    expectTensorError(() => tk.ones([2]).tril(), 'SHAPE_MISMATCH', /tril: expected at least 2 dims/);
    expectTensorError(
      () => tk.einsum('ij,jk->ik', tk.ones([2, 3]), tk.ones([4, 5])),
      'SHAPE_MISMATCH',
      /label 'j' has sizes 3 and 4/,
    );
    expectTensorError(
      () => nn.functional.pad(tk.ones([1, 3]), [3, 0], 'reflect'),
      'INVALID_ARGUMENT',
      /reflect padding/,
    );
  });
});

describe('attention and transformer modules', () => {
  it('a TransformerEncoder copies its layer (same starting weights, separate tensors) and trains', () => {
    tk.manualSeed(0);
    const layer = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true, dropout: 0.1 });
    const enc = new nn.TransformerEncoder(layer, 2, { norm: new nn.LayerNorm(8) });
    const [a, b] = [enc.layers.get(0), enc.layers.get(1)];
    expect(a.linear1.weight.toArray()).toEqual(b.linear1.weight.toArray());
    expect(a.linear1.weight).not.toBe(b.linear1.weight);
    const x = tk.randn([4, 5, 8]);
    const opt = new optim.AdamW(enc.parameters(), { lr: 1e-2 });
    let first = 0,
      last = 0;
    for (let i = 0; i < 30; i++) {
      const loss = tk.tidy(() => {
        const l = enc.call(x, { isCausal: true }).sub(x).pow(2).mean();
        opt.zeroGrad();
        l.backward();
        return l.item();
      });
      opt.step();
      if (i === 0) first = loss;
      last = loss;
    }
    expect(last).toBeLessThan(first);
  });

  it('the fused attention is twice differentiable (a recorded backward uses differentiable ops)', () => {
    const f64 = (shape: number[]) => tk.randn(shape, { dtype: 'float64' }).requiresGrad_();
    const F = nn.functional;
    expect(
      tk.gradgradcheck(
        (q, k, v) => F.scaledDotProductAttention(q, k, v, { isCausal: true }),
        [f64([2, 3, 4]), f64([2, 3, 4]), f64([2, 3, 2])],
      ),
    ).toBe(true);
    const mask = tk.tensor([
      [true, false, true],
      [true, true, false],
      [false, true, true],
    ]);
    expect(
      tk.gradgradcheck(
        (q, k, v) => F.scaledDotProductAttention(q, k, v, { attnMask: mask }),
        [f64([3, 4]), f64([3, 4]), f64([3, 2])],
      ),
    ).toBe(true);
  });

  it('MultiheadAttention validates its inputs and the head split', () => {
    expectTensorError(
      () => new nn.MultiheadAttention(10, 3),
      'INVALID_ARGUMENT',
      /embedDim \(10\) must be divisible by numHeads \(3\)/,
    );
    const mha = new nn.MultiheadAttention(8, 2);
    expectTensorError(
      () => mha.call(tk.ones([2, 8]), tk.ones([2, 8]), tk.ones([2, 8])),
      'SHAPE_MISMATCH',
      /expected a 3-D query/,
    );
  });
});

describe('memory', () => {
  it('thousands of indexing, sorting and attention calls leave live tensors and bytes at baseline', () => {
    const x = tk.randn([4, 6, 8]).requiresGrad_();
    const step = () =>
      tk.tidy(() => {
        const y = x.index([':', '1:', [0, 2, 4]]).sum();
        const z = x
          .topk(2)
          .values.sum()
          .add(nn.functional.scaledDotProductAttention(x, x, x, { isCausal: true }).sum());
        const w = x.mul(1).indexPut_(x.gt(0), 0).sum();
        y.add(z).add(w).backward();
        x.grad = null;
      });
    step();
    settleGarbage();
    const before = memory();
    for (let i = 0; i < 1000; i++) step();
    settleGarbage();
    const after = memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
    x.dispose();
  });
});
