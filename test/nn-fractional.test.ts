// F.fractionalMaxPool2d/3d and nn.FractionalMaxPool2d/3d (src/nn/fractional_pool.ts) against
// PyTorch 1.13 with the same random samples (test/fixtures/torch-fractional.json, written by
// scripts/fixtures/torch_fractional.py): outputs, indices and input gradients in float64, and the
// windows PyTorch computes in float32; then fresh samples, the modules, float64 gradcheck, errors
// and memory.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { memory, nn, type Tensor } from '../src/index.js';
import { expectTensorError, settleGarbage } from './helpers/harness.js';
import { closeToTorch, shapeOf, type Nested } from './helpers/torch-rows.js';

const F = nn.functional;

interface Row {
  name: string;
  dims: 2 | 3;
  kernel: number | number[];
  dtype: 'float32' | 'float64';
  options: { output_size?: number | number[]; output_ratio?: number | number[] };
  input: Nested;
  samples: Nested;
  out: Nested;
  indices: Nested;
  grad: Nested | null;
}
const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-fractional.json', import.meta.url), 'utf8')) as {
  torch: string;
  rows: Row[];
};
const flat = (v: Nested): number[] => (Array.isArray(v) ? v.flatMap(flat) : [Number(v)]);
const asTensor = (v: Nested, dtype: 'float32' | 'float64') => tk.tensor(flat(v), { dtype, shape: shapeOf(v) });

function pool(row: Row, x: Tensor, samples: Tensor): [Tensor, Tensor] {
  const options = {
    outputSize: row.options.output_size,
    outputRatio: row.options.output_ratio,
    randomSamples: samples,
    returnIndices: true as const,
  };
  return row.dims === 2
    ? F.fractionalMaxPool2d(x, row.kernel as number, options)
    : F.fractionalMaxPool3d(x, row.kernel as number, options);
}

describe(`fractional max pooling against PyTorch ${FIX.torch}`, () => {
  for (const row of FIX.rows)
    it(row.name, () => {
      tk.tidy(() => {
        const x = asTensor(row.input, row.dtype).requiresGrad_();
        const [y, idx] = pool(row, x, asTensor(row.samples, row.dtype));
        expect(idx.dtype).toBe('int64');
        expect(idx.tolist()).toEqual(row.indices);
        closeToTorch(y, row.out, 'out', row.dtype === 'float64' ? 1e-12 : 1e-6);
        if (row.grad === null) return;
        const w = tk.arange(0, y.numel(), 1, { dtype: 'float64' }).mul(0.7).cos().reshape(y.shape);
        y.mul(w).sum().backward();
        closeToTorch(x.grad!, row.grad, 'd/d input');
      });
    });
});

describe('fractional max pooling beyond the fixture', () => {
  it('fresh samples each call: the output size holds, every value is a window maximum, windows vary', () => {
    tk.tidy(() => {
      tk.manualSeed(5);
      const x = tk.randn([2, 3, 11, 13]);
      const [a, ia] = F.fractionalMaxPool2d(x, 2, { outputRatio: [0.5, 0.6], returnIndices: true });
      const [, ib] = F.fractionalMaxPool2d(x, 2, { outputRatio: [0.5, 0.6], returnIndices: true });
      expect(a.shape).toEqual([2, 3, 5, 7]);
      // each value is the input at its index
      expect(
        x
          .reshape([2, 3, -1])
          .gather(2, ia.reshape([2, 3, -1]))
          .reshape(a.shape)
          .equal(a),
      ).toBe(true);
      expect(ia.equal(ib)).toBe(false);
      const m = new nn.FractionalMaxPool3d(2, { outputSize: [2, 3, 2] });
      expect((m.call(tk.randn([1, 4, 5, 6, 5])) as Tensor).shape).toEqual([1, 4, 2, 3, 2]);
      const fixed = new nn.FractionalMaxPool2d([2, 3], {
        outputSize: 4,
        randomSamples: tk.rand([1, 2, 2]),
        returnIndices: true,
      });
      const img = tk.randn([1, 2, 6, 8]);
      const [y1, i1] = fixed.call(img) as [Tensor, Tensor];
      const [y2, i2] = fixed.call(img) as [Tensor, Tensor];
      expect(y1.equal(y2) && i1.equal(i2)).toBe(true);
    });
  });
  it('float64 gradcheck and gradgradcheck (2-D and 3-D)', () => {
    tk.tidy(() => {
      tk.manualSeed(6);
      const x2 = tk.randn([1, 2, 6, 7], { dtype: 'float64' }).requiresGrad_();
      const s2 = tk.rand([1, 2, 2], { dtype: 'float64' });
      const f2 = (x: Tensor) => F.fractionalMaxPool2d(x, 2, { outputSize: [4, 3], randomSamples: s2 });
      expect(tk.autograd.gradcheck(f2, [x2])).toBe(true);
      expect(tk.autograd.gradgradcheck(f2, [x2])).toBe(true);
      const x3 = tk.randn([2, 1, 4, 5, 4], { dtype: 'float64' }).requiresGrad_();
      const s3 = tk.rand([2, 1, 3], { dtype: 'float64' });
      expect(
        tk.autograd.gradcheck((x) => F.fractionalMaxPool3d(x, [2, 2, 1], { outputSize: 3, randomSamples: s3 }), [x3]),
      ).toBe(true);
    });
  });
  it('bad input is a TensorError naming the op and the value', () => {
    tk.tidy(() => {
      const x = tk.randn([1, 2, 6, 6]);
      expectTensorError(
        () => F.fractionalMaxPool2d(x, 2, {}),
        'INVALID_ARGUMENT',
        /exactly one of outputSize and outputRatio/,
      );
      expectTensorError(
        () => F.fractionalMaxPool2d(x, 2, { outputSize: 3, outputRatio: 0.5 }),
        'INVALID_ARGUMENT',
        /exactly one/,
      );
      expectTensorError(
        () => F.fractionalMaxPool2d(x, 4, { outputSize: 4 }),
        'SHAPE_MISMATCH',
        /fractionalMaxPool2d: pool height 4 too large relative to input height 6 \(output height 4\)/,
      );
      expectTensorError(() => F.fractionalMaxPool2d(x, 2, { outputRatio: 1.5 }), 'INVALID_ARGUMENT', /between 0 and 1/);
      expectTensorError(() => F.fractionalMaxPool2d(x, 2, { outputRatio: 0.1 }), 'INVALID_ARGUMENT', /at least 1/);
      expectTensorError(
        () => F.fractionalMaxPool2d(x, [2, 2, 2] as never, { outputSize: 3 }),
        'INVALID_ARGUMENT',
        /kernelSize/,
      );
      expectTensorError(
        () => F.fractionalMaxPool2d(tk.randn([6, 6]), 2, { outputSize: 3 }),
        'SHAPE_MISMATCH',
        /3-D \(unbatched\) or 4-D/,
      );
      expectTensorError(
        () => F.fractionalMaxPool3d(tk.randn([6, 6, 6]), 2, { outputSize: 3 }),
        'SHAPE_MISMATCH',
        /4-D \(unbatched\) or 5-D/,
      );
      expectTensorError(
        () => F.fractionalMaxPool2d(x.to('int32'), 2, { outputSize: 3 }),
        'DTYPE_MISMATCH',
        /floating input, got int32/,
      );
      expectTensorError(
        () => F.fractionalMaxPool2d(x, 2, { outputSize: 3, randomSamples: tk.rand([1, 2, 3]) }),
        'SHAPE_MISMATCH',
        /randomSamples \[1, 2, 2\], got \[1, 2, 3\]/,
      );
      expectTensorError(
        () => F.fractionalMaxPool2d(x, 2, { outputSize: 3, randomSamples: tk.rand([1, 2, 2], { dtype: 'float64' }) }),
        'DTYPE_MISMATCH',
        /randomSamples must have the input's dtype float32/,
      );
      expectTensorError(
        () => F.fractionalMaxPool2d(x, 2, { outputSize: 3, randomSamples: tk.full([1, 2, 2], 1) }),
        'INVALID_ARGUMENT',
        /randomSamples must lie in \[0, 1\), got 1/,
      );
      expectTensorError(
        () => new nn.FractionalMaxPool2d(2, {}),
        'INVALID_ARGUMENT',
        /FractionalMaxPool2d: give exactly one/,
      );
    });
  });
  it('frees every intermediate: live tensors and bytes return to baseline', () => {
    const x = tk.randn([2, 3, 9, 9]).requiresGrad_();
    const run = () =>
      tk.tidy(() => {
        x.grad?.dispose();
        x.grad = null;
        F.fractionalMaxPool2d(x, 2, { outputRatio: 0.5 }).sum().backward();
      });
    run();
    settleGarbage();
    const before = memory();
    for (let i = 0; i < 100; i++) run();
    settleGarbage();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
    x.grad?.dispose();
    x.dispose();
  });
});
