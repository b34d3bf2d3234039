// F.gridSample / F.affineGrid (src/nn/grid_sample.ts) against PyTorch 1.13 (test/fixtures/
// torch-grid.json, written by scripts/fixtures/torch_grid.py): every mode, padding mode and
// alignCorners on 4-D and 5-D input with grids reaching past the border, outputs and the
// gradients of the input and the grid; affineGrid in 2-D and 3-D; then a spatial transformer's
// identity, float32, errors and memory.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { memory, nn, type Tensor } from '../src/index.js';
import { expectTensorError, settleGarbage } from './helpers/harness.js';
import { closeToTorch, f64, type Nested } from './helpers/torch-rows.js';

const F = nn.functional;
type Rank = '4d' | '5d';
const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-grid.json', import.meta.url), 'utf8')) as {
  torch: string;
  inputs: Record<Rank, Nested>;
  grids: Record<Rank, Nested>;
  samples: {
    rank: Rank;
    mode: nn.functional.GridSampleMode;
    padding: nn.functional.GridPaddingMode;
    align: boolean;
    out: Nested;
    grad_input: Nested;
    grad_grid: Nested;
  }[];
  affine: { size: number[]; align: boolean; theta: Nested; grid: Nested; grad_theta: Nested }[];
};
const cosw = (t: Tensor) => tk.arange(0, t.numel(), 1, { dtype: 'float64' }).mul(0.7).cos().reshape(t.shape);

describe(`gridSample and affineGrid against PyTorch ${FIX.torch}`, () => {
  for (const s of FIX.samples)
    it(`gridSample ${s.rank} ${s.mode} ${s.padding} alignCorners ${s.align}`, () => {
      tk.tidy(() => {
        const x = f64(FIX.inputs[s.rank]).requiresGrad_();
        const g = f64(FIX.grids[s.rank]).requiresGrad_();
        const out = F.gridSample(x, g, { mode: s.mode, paddingMode: s.padding, alignCorners: s.align });
        closeToTorch(out, s.out, 'out');
        out.mul(cosw(out)).sum().backward();
        closeToTorch(x.grad!, s.grad_input, 'd/d input');
        closeToTorch(g.grad!, s.grad_grid, 'd/d grid');
      });
    });

  for (const a of FIX.affine)
    it(`affineGrid [${a.size}] alignCorners ${a.align}`, () => {
      tk.tidy(() => {
        const theta = f64(a.theta).requiresGrad_();
        const grid = F.affineGrid(theta, a.size, { alignCorners: a.align });
        closeToTorch(grid, a.grid, 'grid');
        grid.mul(cosw(grid)).sum().backward();
        closeToTorch(theta.grad!, a.grad_theta, 'd/d theta');
      });
    });
});

describe('gridSample', () => {
  it('the identity transform reproduces the image (bilinear and nearest), in float32 too', () => {
    tk.tidy(() => {
      const img = tk.randn([2, 3, 7, 5]);
      const theta = tk
        .tensor([
          [1, 0, 0],
          [0, 1, 0],
        ])
        .unsqueeze(0)
        .expand([2, 2, 3]);
      for (const alignCorners of [false, true]) {
        const grid = F.affineGrid(theta, img.shape, { alignCorners });
        for (const mode of ['bilinear', 'nearest', 'bicubic'] as const) {
          const out = F.gridSample(img, grid, { mode, alignCorners });
          expect(out.dtype).toBe('float32');
          expect(out.sub(img).abs().max().item()).toBeLessThan(1e-5);
        }
      }
    });
  });

  it('a spatial transformer trains: theta is learned back from a shifted image', () => {
    tk.tidy(() => {
      // a broad blob, shifted by (0.2, -0.1) in normalized coordinates
      const ax = tk.linspace(-1, 1, 16);
      const r2 = ax
        .reshape([1, 16])
        .pow(2)
        .add(ax.reshape([16, 1]).pow(2));
      const src = r2.mul(-2).exp().reshape([1, 1, 16, 16]);
      const want = tk.tensor([
        [
          [1, 0, 0.2],
          [0, 1, -0.1],
        ],
      ]);
      const target = F.gridSample(src, F.affineGrid(want, [1, 1, 16, 16]), { paddingMode: 'border' });
      const theta = tk
        .tensor([
          [
            [1, 0, 0],
            [0, 1, 0],
          ],
        ])
        .requiresGrad_();
      const opt = new tk.optim.Adam([theta], { lr: 0.01 });
      for (let i = 0; i < 300; i++)
        tk.tidy(() => {
          opt.zeroGrad();
          const out = F.gridSample(src, F.affineGrid(theta, [1, 1, 16, 16]), { paddingMode: 'border' });
          F.mseLoss(out, target).backward();
          opt.step();
        });
      expect(theta.sub(want).abs().max().item()).toBeLessThan(0.02);
    });
  });

  it('bad input is a TensorError naming the function and the value', () => {
    tk.tidy(() => {
      const x = tk.randn([1, 2, 4, 4]),
        g = tk.zeros([1, 3, 3, 2]);
      expectTensorError(() => F.gridSample(x, g, { mode: 'area' as never }), 'INVALID_ARGUMENT', /mode/);
      expectTensorError(() => F.gridSample(x, g, { paddingMode: 'wrap' as never }), 'INVALID_ARGUMENT', /paddingMode/);
      expectTensorError(
        () => F.gridSample(x, tk.zeros([1, 3, 3, 3])),
        'SHAPE_MISMATCH',
        /grid must be \[1, Ho, Wo, 2\]/,
      );
      expectTensorError(() => F.gridSample(x, tk.zeros([2, 3, 3, 2])), 'SHAPE_MISMATCH', /grid/);
      expectTensorError(() => F.gridSample(tk.randn([2, 4]), g), 'SHAPE_MISMATCH', /\[N, C, H, W\]/);
      expectTensorError(
        () => F.gridSample(tk.randn([1, 1, 2, 2, 2]), tk.zeros([1, 1, 1, 1, 3]), { mode: 'bicubic' }),
        'INVALID_ARGUMENT',
        /bicubic/,
      );
      expectTensorError(() => F.gridSample(x, g.to('float64')), 'DTYPE_MISMATCH', /grid/);
      expectTensorError(() => F.gridSample(x.to('int32'), g.to('int32')), 'DTYPE_MISMATCH', /floating/);
      expectTensorError(() => F.gridSample(x, g, { align: true } as never), 'INVALID_ARGUMENT', /align/);
      expectTensorError(() => F.affineGrid(tk.zeros([1, 2, 3]), [1, 1, 4]), 'INVALID_ARGUMENT', /size must be/);
      expectTensorError(
        () => F.affineGrid(tk.zeros([1, 3, 4]), [1, 1, 4, 4]),
        'SHAPE_MISMATCH',
        /theta must be \[1, 2, 3\]/,
      );
      expectTensorError(() => F.affineGrid(tk.zeros([1, 2, 3]), [1, 1, 0, 4]), 'INVALID_ARGUMENT', /positive/);
    });
  });

  it('NaN and far-off grid points sample zeros (and give no gradient)', () => {
    tk.tidy(() => {
      const x = tk.randn([1, 1, 3, 3], { dtype: 'float64' }).requiresGrad_();
      const g = tk.tensor(
        [
          [
            [
              [NaN, 0],
              [1e30, -1e30],
              [0, 0],
            ],
          ],
        ],
        { dtype: 'float64' },
      );
      const out = F.gridSample(x, g);
      const [a, b, c] = (out.toArray() as number[][][][])[0][0][0];
      expect(Math.abs(a) + Math.abs(b)).toBe(0);
      expect(c).toBeCloseTo(x.select(2, 1).select(2, 1).item() as number, 12);
      out.sum().backward();
      // only the centre sample reaches the input
      expect(x.grad!.toArray()).toEqual([
        [
          [
            [0, 0, 0],
            [0, 1, 0],
            [0, 0, 0],
          ],
        ],
      ]);
    });
  });

  it('leaves nothing behind', () => {
    settleGarbage();
    const before = memory();
    const x = tk.randn([2, 3, 6, 6]).requiresGrad_();
    for (let i = 0; i < 30; i++)
      tk.tidy(() => {
        const theta = tk.randn([2, 2, 3]).requiresGrad_();
        F.gridSample(x, F.affineGrid(theta, x.shape), { mode: i % 2 ? 'bicubic' : 'bilinear' })
          .sum()
          .backward();
      });
    x.grad!.dispose();
    x.dispose();
    settleGarbage();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});
