// torch.histogram and torch.histogramdd: counts (or weight sums, or densities) of floating values in
// bins given by a count (equal widths over a range, by default the data's) or by their edges. Each
// value's bin is found among the edges by a binary search (searchsorted), so a value on an edge
// falls in the bin it opens, and the last edge closes the last bin, as torch's; values outside the
// range, and NaN, are not counted. The counts are one bincount over the flattened bin index.
import { tensorArg } from '../args.js';
import { noGrad } from '../autograd.js';
import { isFloating } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { checkOptions, describe, int, num } from '../options.js';
import { Tensor } from '../tensor.js';
import { linspace, tensor, zeros } from './creation.js';
import { searchsorted } from './creation_more.js';
import { where } from './functional.js';

/** Options of histogram and histogramdd. */
export interface HistogramOptions {
  /** [min, max] of the bins when given by a count (histogramdd: [min0, max0, min1, max1, ...]); default the data's. */
  range?: readonly number[];
  /** A weight per value (the input's shape without the last dim for histogramdd): bins sum them. */
  weight?: Tensor;
  /** Divide by the total and the bin volume, so the histogram integrates to 1. */
  density?: boolean;
}

// The edges of one dim: given, or `count` equal bins over [lo, hi] (the data's range when not
// given; a single value v as [v - 0.5, v + 0.5], as torch's).
function edgesOf(
  op: string,
  values: Tensor,
  bins: number | Tensor,
  range: readonly number[] | undefined,
  at: number,
): Tensor {
  if (bins instanceof Tensor) {
    if (bins.ndim !== 1 || bins.numel() < 2)
      fail('SHAPE_MISMATCH', `${op}: bin edges must be 1-D with at least 2 values, got [${bins.shape.join(', ')}]`);
    if (bins.dtype !== values.dtype)
      fail('DTYPE_MISMATCH', `${op}: bin edges must have the input's dtype ${values.dtype}, got ${bins.dtype}`);
    if (bins.diff().lt(0).any().item()) fail('INVALID_ARGUMENT', `${op}: bin edges must be non-decreasing`);
    return bins.clone();
  }
  const count = int(op, 'bins', bins);
  if (count < 1) fail('INVALID_ARGUMENT', `${op}: bins must be at least 1, got ${count}`);
  let lo: number, hi: number;
  if (range) {
    lo = num(op, 'range', range[2 * at]);
    hi = num(op, 'range', range[2 * at + 1]);
    if (!(lo <= hi)) fail('INVALID_ARGUMENT', `${op}: range must have min <= max, got [${lo}, ${hi}]`);
  } else if (values.numel() === 0) {
    lo = 0;
    hi = 0;
  } else {
    const finite = values.isfinite();
    if (!finite.all().item())
      fail('INVALID_ARGUMENT', `${op}: the data's range is not finite (give range, or drop the NaN and infinities)`);
    lo = Number(values.min().item());
    hi = Number(values.max().item());
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi))
    fail('INVALID_ARGUMENT', `${op}: range must be finite, got [${lo}, ${hi}]`);
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  return linspace(lo, hi, count + 1, { dtype: values.dtype, device: values.device });
}

// The bin of each value along one dim (-1 where it is outside the edges or NaN): the last edge at
// or below it, and the last bin for a value on the last edge.
function binIndex(values: Tensor, edges: Tensor): Tensor {
  const n = edges.numel() - 1;
  const below = searchsorted(edges, values, { right: true }).sub(1);
  const idx = where(values.eq(edges.select(0, n)), n - 1, below);
  return where(idx.ge(0).logicalAnd(idx.lt(n)).logicalAnd(values.isnan().logicalNot()), idx, -1);
}

function run(
  op: string,
  points: Tensor, // [n, D]
  bins: readonly (number | Tensor)[],
  o: HistogramOptions,
  weight: Tensor | undefined,
): { hist: Tensor; binEdges: Tensor[] } {
  const D = points.shape[1];
  const binEdges = bins.map((b, d) => edgesOf(op, points.select(1, d), b, o.range, d));
  const counts = binEdges.map((e) => e.numel() - 1);
  const hist = tidy(() => {
    let flat: Tensor | null = null,
      valid: Tensor | null = null;
    for (let d = 0; d < D; d++) {
      const idx = binIndex(points.select(1, d).contiguous(), binEdges[d]);
      const ok = idx.ge(0);
      flat = flat ? flat.mul(counts[d]).add(idx) : idx;
      valid = valid ? valid.logicalAnd(ok) : ok;
    }
    const total = counts.reduce((a, b) => a * b, 1);
    const keep = valid!;
    const w = weight ? weight.reshape([-1]).maskedSelect(keep).to(points.dtype) : undefined;
    const at = flat!.maskedSelect(keep);
    let h = (
      at.numel() === 0
        ? zeros([total], { dtype: points.dtype, device: points.device })
        : at.bincount(w ? { weights: w, minlength: total } : { minlength: total })
    ).to(points.dtype);
    h = h.reshape(counts);
    if (o.density) {
      // divided by the total and by each bin's volume (the outer product of the widths)
      let volume: Tensor = tensor(1, { dtype: points.dtype, device: points.device });
      binEdges.forEach((e, d) => {
        const width = e.diff().reshape(counts.map((c, i) => (i === d ? c : 1)));
        volume = volume.mul(width);
      });
      h = h.div(h.sum()).div(volume);
    }
    return h;
  });
  return { hist, binEdges };
}

function checkWeight(op: string, weight: unknown, shape: readonly number[]): Tensor | undefined {
  if (weight === undefined) return undefined;
  if (!(weight instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: weight must be a Tensor, got ${describe(weight)}`);
  if (weight.shape.join() !== shape.join())
    fail('SHAPE_MISMATCH', `${op}: weight must have shape [${shape.join(', ')}], got [${weight.shape.join(', ')}]`);
  return weight;
}
const OPTIONS = { range: 'any', weight: 'any', density: 'boolean' } as const;

/**
 * The histogram of a floating tensor's values (torch.histogram): `bins` equal bins over `range`
 * (default the data's) or the given edges; returns the counts (weight sums, or densities) and the
 * edges. Not differentiable. @example const { hist, binEdges } = histogram(x, 10, { range: [0, 1] })
 */
export function histogram(
  input: Tensor,
  bins: number | Tensor = 100,
  options?: HistogramOptions,
): { hist: Tensor; binEdges: Tensor } {
  const op = 'histogram';
  const x = tensorArg(op, 'input', input);
  const o = checkOptions(op, options, OPTIONS);
  if (!isFloating(x.dtype)) fail('DTYPE_MISMATCH', `${op}: expected a floating tensor, got ${x.dtype}`);
  if (o.range !== undefined && (!Array.isArray(o.range) || o.range.length !== 2))
    fail('INVALID_ARGUMENT', `${op}: range must be [min, max], got ${describe(o.range)}`);
  const weight = checkWeight(op, o.weight, x.shape);
  return noGrad(() => {
    const { hist, binEdges } = run(op, x.reshape([-1, 1]), [bins], o, weight);
    return { hist, binEdges: binEdges[0] };
  });
}

/**
 * The D-dimensional histogram of points, the last dim of input ([..., D]; torch.histogramdd):
 * bins per dim as one count, a count each, or edges each; returns the counts [b0, b1, ...] and the
 * edges of each dim. @example histogramdd(points, [4, 8], { range: [0, 1, 0, 2] })
 */
export function histogramdd(
  input: Tensor,
  bins: number | readonly number[] | readonly Tensor[] = 10,
  options?: HistogramOptions,
): { hist: Tensor; binEdges: Tensor[] } {
  const op = 'histogramdd';
  const x = tensorArg(op, 'input', input);
  const o = checkOptions(op, options, OPTIONS);
  if (!isFloating(x.dtype)) fail('DTYPE_MISMATCH', `${op}: expected a floating tensor, got ${x.dtype}`);
  if (x.ndim < 1) fail('SHAPE_MISMATCH', `${op}: expected points [..., D], got []`);
  const D = x.shape[x.ndim - 1];
  if (D < 1) fail('SHAPE_MISMATCH', `${op}: expected points with at least 1 coordinate, got [${x.shape.join(', ')}]`);
  if (!Array.isArray(bins) && typeof bins !== 'number')
    fail('INVALID_ARGUMENT', `${op}: bins must be a number or a list, got ${describe(bins)}`);
  const perDim: (number | Tensor)[] = typeof bins === 'number' ? Array(D).fill(bins) : [...(bins as never[])];
  if (perDim.length !== D) fail('INVALID_ARGUMENT', `${op}: expected ${D} bin specifications, got ${perDim.length}`);
  if (o.range !== undefined && (!Array.isArray(o.range) || o.range.length !== 2 * D))
    fail('INVALID_ARGUMENT', `${op}: range must hold ${2 * D} numbers (min and max per dim), got ${describe(o.range)}`);
  const weight = checkWeight(op, o.weight, x.shape.slice(0, -1));
  return noGrad(() => run(op, x.reshape([-1, D]), perDim, o, weight));
}

declare module '../tensor.js' {
  interface Tensor {
    /** The histogram of this tensor's values (torch's Tensor.histogram). @example x.histogram(10) */
    histogram(bins?: number | Tensor, options?: HistogramOptions): { hist: Tensor; binEdges: Tensor };
  }
}
Tensor.prototype.histogram = function (this: Tensor, bins?: number | Tensor, options?: HistogramOptions) {
  return histogram(this, bins, options);
};
