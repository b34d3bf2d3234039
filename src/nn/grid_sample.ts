// Spatial sampling (torch.nn.functional.grid_sample and affine_grid, PyTorch 1.13's formulas):
// composed of differentiable tensor ops, so gradients reach both the input (through gather) and
// the grid (through the interpolation weights). The corners of every sample are gathered from the
// input flattened over its spatial dims; out-of-range corners are clamped for the gather and
// masked out of the weights. Checked against PyTorch in test/nn-grid.test.ts.
import { isFloating, type DType, type FloatResult } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { arange, tensor } from '../ops/creation.js';
import { cat, where } from '../ops/functional.js';
import { checkOptions, describe, list, oneOf } from '../options.js';
import { Tensor } from '../tensor.js';
import { tensorArg } from './args.js';

/** How `gridSample` interpolates. 'bicubic' takes 4-D input only. */
export type GridSampleMode = 'bilinear' | 'nearest' | 'bicubic';
/** What `gridSample` reads outside the input: zeros, the border's values, or a reflection. */
export type GridPaddingMode = 'zeros' | 'border' | 'reflection';

/** The options of `F.gridSample`. */
export interface GridSampleOptions {
  /** Default 'bilinear' ('bilinear' on 5-D input is trilinear, as PyTorch). */
  mode?: GridSampleMode;
  /** Default 'zeros'. */
  paddingMode?: GridPaddingMode;
  /** -1 and 1 are the centres of the corner pixels (true) or their outer edges (false, the default). */
  alignCorners?: boolean;
}

const CUBIC_A = -0.75;

// A normalized coordinate in [-1, 1] to a pixel coordinate along a dim of `size`.
function unnormalize(x: Tensor, size: number, alignCorners: boolean): Tensor {
  return alignCorners ? x.add(1).mul((size - 1) / 2) : x.add(1).mul(size).sub(1).div(2);
}

// Reflects x into [lo, hi] = [twiceLo / 2, twiceHi / 2] (PyTorch's reflect_coordinates): the
// distance from lo, folded by the span; an odd number of folds counts down from hi.
function reflect(x: Tensor, twiceLo: number, twiceHi: number): Tensor {
  if (twiceLo === twiceHi) return x.mul(0);
  const lo = twiceLo / 2,
    span = (twiceHi - twiceLo) / 2;
  const d = x.sub(lo).abs();
  const extra = d.fmod(span),
    flips = d.div(span).floor();
  return where(flips.remainder(2).eq(0), extra.add(lo), extra.neg().add(span + lo));
}

// PyTorch's compute_coordinates: the padding applied to a pixel coordinate.
function pad(x: Tensor, size: number, mode: GridPaddingMode, alignCorners: boolean): Tensor {
  if (mode === 'zeros') return x;
  const r = mode === 'reflection' ? (alignCorners ? reflect(x, 0, 2 * (size - 1)) : reflect(x, -1, 2 * size - 1)) : x;
  return r.clamp(0, size - 1);
}

interface Tap {
  coords: Tensor[]; // integral pixel coordinate per spatial dim, [N, P] each (float)
  weight: Tensor; // [N, P]
}

// The weighted sum over taps of the input at their coordinates: input [N, C, S] flattened over
// `sizes`; a tap outside the input contributes 0.
function gatherTaps(flat: Tensor, sizes: number[], taps: Tap[]): Tensor {
  const [N, C] = flat.shape;
  let out: Tensor | null = null;
  for (const { coords, weight } of taps) {
    let index: Tensor | null = null;
    let valid: Tensor | null = null;
    coords.forEach((c, k) => {
      const inside = c.ge(0).logicalAnd(c.le(sizes[k] - 1));
      valid = valid ? valid.logicalAnd(inside) : inside;
      const stride = sizes.slice(k + 1).reduce((a, b) => a * b, 1);
      const term = c.clamp(0, sizes[k] - 1).mul(stride);
      index = index ? index.add(term) : term;
    });
    const idx = index!.to('int64');
    const P = idx.shape[1];
    const values = flat.gather(2, idx.unsqueeze(1).expand([N, C, P]));
    const w = weight.mul(valid!.to(weight.dtype)).unsqueeze(1);
    const term = values.mul(w);
    out = out ? out.add(term) : term;
  }
  return out!;
}

function cubicWeights(t: Tensor): Tensor[] {
  const A = CUBIC_A;
  const far = (x: Tensor) =>
    x
      .mul(A)
      .sub(5 * A)
      .mul(x)
      .add(8 * A)
      .mul(x)
      .sub(4 * A); // 1 < |x| < 2
  const near = (x: Tensor) =>
    x
      .mul(A + 2)
      .sub(A + 3)
      .mul(x)
      .mul(x)
      .add(1); // |x| <= 1
  return [far(t.add(1)), near(t), near(t.neg().add(1)), far(t.neg().add(2))];
}

/**
 * Samples input [N, C, H, W] (or [N, C, D, H, W]) at the points of grid [N, Ho, Wo, 2] (or
 * [N, Do, Ho, Wo, 3]) given as normalized (x, y[, z]) in [-1, 1]: [N, C, Ho, Wo]
 * (torch.nn.functional.grid_sample). Differentiable in the input and the grid (not through
 * 'nearest'). With affineGrid, a spatial transformer.
 * @example const warped = F.gridSample(img, F.affineGrid(theta, img.shape), { alignCorners: false })
 */
export function gridSample<F extends DType>(
  input: Tensor<F>,
  grid: Tensor,
  options?: GridSampleOptions,
): Tensor<FloatResult<F>>;
export function gridSample(input: Tensor, grid: Tensor, options?: GridSampleOptions): Tensor {
  const op = 'gridSample';
  tensorArg(op, 'input', input);
  tensorArg(op, 'grid', grid);
  const o = checkOptions(op, options, { mode: 'string', paddingMode: 'string', alignCorners: 'boolean' });
  const mode = oneOf(op, 'mode', o.mode ?? 'bilinear', ['bilinear', 'nearest', 'bicubic'] as const);
  const padding = oneOf(op, 'paddingMode', o.paddingMode ?? 'zeros', ['zeros', 'border', 'reflection'] as const);
  const alignCorners = o.alignCorners ?? false;
  const d = input.ndim - 2;
  if (d !== 2 && d !== 3)
    fail('SHAPE_MISMATCH', `${op}: expected input [N, C, H, W] or [N, C, D, H, W], got [${input.shape.join(', ')}]`);
  if (grid.ndim !== d + 2 || grid.shape[0] !== input.shape[0] || grid.shape[d + 1] !== d)
    fail(
      'SHAPE_MISMATCH',
      `${op}: grid must be [${input.shape[0]}, ${d === 2 ? 'Ho, Wo, 2' : 'Do, Ho, Wo, 3'}] for input [${input.shape.join(', ')}], got [${grid.shape.join(', ')}]`,
    );
  if (mode === 'bicubic' && d !== 2) fail('INVALID_ARGUMENT', `${op}: mode 'bicubic' takes 4-D input only`);
  if (input.dtype !== grid.dtype)
    fail('DTYPE_MISMATCH', `${op}: grid must have the input's dtype ${input.dtype}, got ${grid.dtype}`);
  if (!isFloating(input.dtype)) fail('DTYPE_MISMATCH', `${op}: expected a floating input, got ${input.dtype}`);
  const [N, C] = input.shape;
  const sizes = input.shape.slice(2);
  const outSpatial = grid.shape.slice(1, d + 1);
  if (sizes.some((s) => s === 0)) fail('SHAPE_MISMATCH', `${op}: the input has no pixels: [${input.shape.join(', ')}]`);
  return tidy(() => {
    const flat = input.reshape([N, C, -1]);
    const g = grid.reshape([N, -1, d]);
    // grid's last dim is (x, y[, z]): x indexes the last spatial dim. Far-off and NaN coordinates
    // are brought within two pixels of the input first (they sample nothing either way), so the
    // integer conversion below stays exact.
    const raw = sizes.map((size, k) => {
      const c = unnormalize(g.select(2, d - 1 - k), size, alignCorners);
      return where(c.isnan(), -2, c.clamp(-2, size + 1));
    });
    let taps: Tap[];
    if (mode === 'bicubic') {
      const base = raw.map((c) => c.floor());
      const w = raw.map((c, k) => cubicWeights(c.sub(base[k])));
      taps = [];
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 4; j++)
          taps.push({
            coords: [
              pad(base[0].add(i - 1), sizes[0], padding, alignCorners),
              pad(base[1].add(j - 1), sizes[1], padding, alignCorners),
            ],
            weight: w[0][i].mul(w[1][j]),
          });
    } else {
      const coords = raw.map((c, k) => pad(c, sizes[k], padding, alignCorners));
      if (mode === 'nearest') {
        taps = [{ coords: coords.map((c) => c.round()), weight: coords[0].mul(0).add(1) }];
      } else {
        const lo = coords.map((c) => c.floor());
        const frac = coords.map((c, k) => c.sub(lo[k]));
        taps = [];
        for (let corner = 0; corner < 1 << d; corner++) {
          const up = (k: number) => ((corner >> (d - 1 - k)) & 1) === 1;
          taps.push({
            coords: lo.map((l, k) => (up(k) ? l.add(1) : l)),
            weight: frac.map((f, k) => (up(k) ? f : f.neg().add(1))).reduce((a, b) => a.mul(b)),
          });
        }
      }
    }
    return gatherTaps(flat, sizes, taps).reshape([N, C, ...outSpatial]);
  });
}

/**
 * The sampling grid of affine transforms theta [N, 2, 3] (or [N, 3, 4]) over an output of `size`
 * [N, C, H, W] (or [N, C, D, H, W]): [N, H, W, 2] (or [N, D, H, W, 3]) normalized coordinates
 * for gridSample (torch.nn.functional.affine_grid). Differentiable in theta.
 * @example const grid = F.affineGrid(theta, [8, 1, 28, 28], { alignCorners: false })
 */
export function affineGrid<F extends DType>(
  theta: Tensor<F>,
  size: readonly number[],
  options?: { alignCorners?: boolean },
): Tensor<FloatResult<F>>;
export function affineGrid(theta: Tensor, size: readonly number[], options?: { alignCorners?: boolean }): Tensor {
  const op = 'affineGrid';
  tensorArg(op, 'theta', theta);
  const shape = list(op, 'size', size) as number[];
  const alignCorners = checkOptions(op, options, { alignCorners: 'boolean' }).alignCorners ?? false;
  const d = shape.length - 2;
  if ((d !== 2 && d !== 3) || shape.some((s) => !Number.isSafeInteger(s) || s < 1))
    fail(
      'INVALID_ARGUMENT',
      `${op}: size must be [N, C, H, W] or [N, C, D, H, W] of positive integers, got ${describe(size)}`,
    );
  const N = shape[0];
  if (theta.ndim !== 3 || theta.shape[0] !== N || theta.shape[1] !== d || theta.shape[2] !== d + 1)
    fail(
      'SHAPE_MISMATCH',
      `${op}: theta must be [${N}, ${d}, ${d + 1}] for size [${shape.join(', ')}], got [${theta.shape.join(', ')}]`,
    );
  if (theta.dtype !== 'float32' && theta.dtype !== 'float64')
    fail('DTYPE_MISMATCH', `${op}: theta must be float32 or float64, got ${theta.dtype}`);
  return tidy(() => {
    const opts = { dtype: theta.dtype, device: theta.device };
    // Each spatial dim's normalized pixel centres.
    const axis = (n: number) => {
      if (n === 1) return tensor([0], opts);
      const i = arange(0, n, 1, opts);
      return alignCorners ? i.mul(2 / (n - 1)).sub(1) : i.mul(2).add(1).div(n).sub(1);
    };
    const spatial = shape.slice(2); // [H, W] or [D, H, W]
    const P = spatial.reduce((a, b) => a * b, 1);
    // (x, y[, z], 1) per output point, x along the last dim
    const cols = spatial.map((n, k) => {
      const view = spatial.map((_, j) => (j === k ? n : 1));
      return axis(n).reshape(view).expand(spatial).reshape([P, 1]);
    });
    const base = cat([...cols.reverse(), tensor([1], opts).expand([P, 1])], 1);
    return base.matmul(theta.transpose(1, 2)).reshape([N, ...spatial, d]);
  });
}
