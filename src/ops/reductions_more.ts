// More of torch's reductions and scans, made of native ops: prod (the last of cumprod, so its
// gradient is exact where x holds zeros), amax/amin/aminmax, nansum/nanmean, countNonzero, the
// order statistics (median, nanmedian, kthvalue, quantile, nanquantile: a stable sort, then a
// gather, so the gradient reaches the chosen elements as torch's does), the running extremes
// cummax/cummin and logcumsumexp (log2(n) rounds of a Hillis-Steele scan), diff, and the free
// stdMean and varMean.
import { noGrad } from '../autograd.js';
import { tensorArg } from '../args.js';
import { isFloating, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { checkOptions, describe, int, intAtLeast, list, num, oneOf } from '../options.js';
import { arange, full, ones, tensor, zeros } from './creation.js';
import { cat, where } from './functional.js';
import { dimOf } from './shaping.js';
import type { ValuesIndices } from './sorting.js';
import { Tensor, type Dims, type KeepDim, type VarOptions } from '../tensor.js';

/** How quantile picks between the two order statistics around the exact position. */
export type QuantileInterpolation = 'linear' | 'lower' | 'higher' | 'midpoint' | 'nearest';

/** Options of quantile and nanquantile. */
export interface QuantileOptions extends KeepDim {
  /** 'linear' (default) interpolates; the others pick one side, the midpoint or the nearest. */
  interpolation?: QuantileInterpolation;
}

declare module '../tensor.js' {
  interface Tensor<D extends DType = DType> {
    /**
     * The product over one dim or all elements (integers and bool as int64; 1 for an empty
     * tensor). Its gradient is exact where x holds zeros. @example tensor([1, 2, 3]).prod() // 6
     */
    prod(dim?: number | null, options?: KeepDim): Tensor;
    /** The largest values over dims (all by default); ties share the gradient. Alias of max. */
    amax(dim?: Dims | null, options?: KeepDim): Tensor<D>;
    /** The smallest values over dims (all by default). Alias of min. */
    amin(dim?: Dims | null, options?: KeepDim): Tensor<D>;
    /** Both extremes over one dim or all elements. @example const { min, max } = x.aminmax() */
    aminmax(options?: { dim?: number | null; keepdim?: boolean }): { min: Tensor<D>; max: Tensor<D> };
    /** Sum over dims treating NaN as zero. @example tensor([1, NaN]).nansum() // 1 */
    nansum(dim?: Dims | null, options?: KeepDim): Tensor;
    /** Mean over dims of the non-NaN elements (NaN where all are NaN); floating tensors. */
    nanmean(dim?: Dims | null, options?: KeepDim): Tensor<D>;
    /** How many elements (along dims) are non-zero: int64. @example mask.countNonzero(1) */
    countNonzero(dim?: Dims | null): Tensor<'int64'>;
    /**
     * The median (the lower of the two middle values for an even count) over one dim or all
     * elements; NaN where the slice holds a NaN. Values only: see medianWithIndices.
     * @example x.median(1)
     */
    median(dim?: number | null, options?: KeepDim): Tensor<D>;
    /** torch's `median(dim)` pair: the medians and where they are. */
    medianWithIndices(dim: number, options?: KeepDim): ValuesIndices<D>;
    /** median ignoring NaN (NaN only where every element is NaN). */
    nanmedian(dim?: number | null, options?: KeepDim): Tensor<D>;
    /** nanmedian's values and positions. */
    nanmedianWithIndices(dim: number, options?: KeepDim): ValuesIndices<D>;
    /** The k-th smallest value (1-based) along dim and its position. @example x.kthvalue(2, 1).values */
    kthvalue(k: number, dim?: number, options?: KeepDim): ValuesIndices<D>;
    /**
     * The most frequent value along dim (the smallest on ties; NaNs never equal each other) and the
     * position of its last occurrence (torch.mode). @example tensor([3, 1, 3, 1, 2]).mode().values // 1
     */
    mode(dim?: number, options?: KeepDim): ValuesIndices<D>;
    /**
     * Quantiles q in [0, 1] over one dim or all elements (floating tensors). A list or 1-D tensor
     * of q puts the quantiles in a new first dim. NaN where the slice holds a NaN.
     * @example x.quantile([0.25, 0.5, 0.75], 0)
     */
    quantile(q: number | readonly number[] | Tensor, dim?: number | null, options?: QuantileOptions): Tensor<D>;
    /** quantile ignoring NaN. */
    nanquantile(q: number | readonly number[] | Tensor, dim?: number | null, options?: QuantileOptions): Tensor<D>;
    /** The running maximum along dim and where it was reached (the latest on ties; NaN sticks). @example x.cummax(0).values */
    cummax(dim: number): ValuesIndices<D>;
    /** The running minimum along dim and where it was reached. */
    cummin(dim: number): ValuesIndices<D>;
    /** log(cumsum(exp(x))) along dim, without overflow or underflow. @example logp.logcumsumexp(-1) */
    logcumsumexp(dim: number): Tensor<D>;
    /**
     * The n-th forward difference along dim (bool: where neighbours differ), after joining
     * `prepend` and `append`. @example tensor([1, 3, 6]).diff() // [2, 3]
     */
    diff(n?: number, dim?: number, options?: { prepend?: Tensor; append?: Tensor }): Tensor<D>;
  }
}

const proto = Tensor.prototype;
const shapeText = (t: Tensor) => `[${t.shape.join(', ')}]`;

// dim null: the flattened tensor along 0, and a way to give the result the keepdim shape.
function along(x: Tensor, dim: number | null | undefined, name: string): { t: Tensor; d: number; all: boolean } {
  if (dim === undefined || dim === null) return { t: x.reshape([-1]), d: 0, all: true };
  const d = dimOf(name, x, dim);
  return { t: x.ndim === 0 ? x.reshape([1]) : x, d, all: false };
}
// A keepdim result r of along(): shaped as the caller asked.
function finish(x: Tensor, r: Tensor, d: number, all: boolean, keepdim: boolean | undefined): Tensor {
  if (!all && x.ndim > 0) return keepdim ? r : r.squeeze(d); // views, no copy
  return r.reshape(finishedShape(x, r.shape, d, all, keepdim));
}
// The shape finish gives a keepdim result of shape `kept`.
function finishedShape(x: Tensor, kept: readonly number[], d: number, all: boolean, keepdim: boolean | undefined) {
  if (all) return keepdim ? x.shape.map(() => 1) : [];
  if (x.ndim === 0) return [];
  return keepdim ? [...kept] : kept.filter((_, i) => i !== d);
}

proto.prod = function (this: Tensor, dim?: number | null, options?: KeepDim) {
  const name = 'prod';
  const keepdim = checkOptions(name, options, { keepdim: 'boolean' }).keepdim;
  const { t, d, all } = along(this, dim, name);
  return tidy(() => {
    const src = t.dtype === 'bool' ? t.to('int64') : t;
    const n = src.shape[d];
    const r =
      n === 0
        ? ones(
            src.shape.map((s, i) => (i === d ? 1 : s)),
            { dtype: isFloating(src.dtype) ? src.dtype : 'int64', device: src.device },
          )
        : src.cumprod(d).narrow(d, n - 1, 1);
    return finish(this, r, d, all, keepdim);
  });
};
proto.amax = function (this: Tensor, dim?: Dims | null, options?: KeepDim) {
  return this.max(dim, options);
};
proto.amin = function (this: Tensor, dim?: Dims | null, options?: KeepDim) {
  return this.min(dim, options);
};
proto.aminmax = function (this: Tensor, options?: { dim?: number | null; keepdim?: boolean }) {
  const o = checkOptions('aminmax', options, { dim: 'any', keepdim: 'boolean' });
  const dim = o.dim === undefined || o.dim === null ? null : dimOf('aminmax', this, o.dim);
  return { min: this.min(dim, { keepdim: o.keepdim }), max: this.max(dim, { keepdim: o.keepdim }) };
};
proto.nansum = function (this: Tensor, dim?: Dims | null, options?: KeepDim) {
  if (!isFloating(this.dtype)) return this.sum(dim, options);
  return tidy(() => where(this.isnan(), 0, this).sum(dim, options));
};
proto.nanmean = function (this: Tensor, dim?: Dims | null, options?: KeepDim) {
  if (!isFloating(this.dtype)) fail('DTYPE_MISMATCH', `nanmean: expected a floating tensor, got ${this.dtype}`);
  return tidy(() => this.nansum(dim, options).div(this.isnan().logicalNot().sum(dim, options)));
};
proto.countNonzero = function (this: Tensor, dim?: Dims | null) {
  return tidy(() => this.ne(0).sum(dim) as Tensor<'int64'>);
};

// The order statistic at per-slice position pos (keepdim shape, int64) of the stable ascending
// sort along d: the values gathered from x (so the gradient reaches them) and their positions.
function statAt(x: Tensor, d: number, sortedIdx: Tensor, pos: Tensor): { values: Tensor; indices: Tensor } {
  const indices = sortedIdx.gather(d, pos);
  return { values: x.gather(d, indices), indices };
}

function medianOf(
  name: string,
  x: Tensor,
  dim: number | null | undefined,
  keepdim: boolean | undefined,
  skipNan: boolean,
) {
  const { t, d, all } = along(x, dim, name);
  const n = t.shape[d];
  if (n === 0) {
    if (!all) fail('SHAPE_MISMATCH', `${name}: cannot take the median of dim ${d} of size 0 in ${shapeText(x)}`);
    return {
      values: full([], NaN, { dtype: isFloating(x.dtype) ? x.dtype : 'float32' }).reshape(
        keepdim ? x.shape.map(() => 1) : [],
      ),
      indices: tensor(0, { dtype: 'int64' }).reshape(keepdim ? x.shape.map(() => 1) : []),
    };
  }
  return tidy(() => {
    const order = t.argsort(d); // stable, NaN last
    const nans = t.isnan().sum(d, { keepdim: true });
    let pos: Tensor;
    if (skipNan) {
      // The lower middle of the non-NaN values; an all-NaN slice takes its middle (torch's).
      pos = where(
        nans.eq(n),
        Math.floor((n - 1) / 2),
        nans
          .neg()
          .add(n - 1)
          .floorDivide(2),
      );
    } else {
      // A NaN anywhere makes the median NaN: the slice's first NaN (first of them in sorted order).
      pos = where(nans.gt(0), nans.neg().add(n), Math.floor((n - 1) / 2));
    }
    const r = statAt(t, d, order, pos.to('int64'));
    return {
      values: finish(x, r.values, d, all, keepdim),
      indices: finish(x, r.indices, d, all, keepdim),
    };
  });
}
proto.median = function (this: Tensor, dim?: number | null, options?: KeepDim) {
  const k = checkOptions('median', options, { keepdim: 'boolean' }).keepdim;
  const r = medianOf('median', this, dim, k, false);
  r.indices.dispose();
  return r.values;
};
proto.medianWithIndices = function (this: Tensor, dim: number, options?: KeepDim) {
  const k = checkOptions('medianWithIndices', options, { keepdim: 'boolean' }).keepdim;
  return medianOf('medianWithIndices', this, int('medianWithIndices', 'dim', dim), k, false) as ValuesIndices;
};
proto.nanmedian = function (this: Tensor, dim?: number | null, options?: KeepDim) {
  const k = checkOptions('nanmedian', options, { keepdim: 'boolean' }).keepdim;
  const r = medianOf('nanmedian', this, dim, k, true);
  r.indices.dispose();
  return r.values;
};
proto.nanmedianWithIndices = function (this: Tensor, dim: number, options?: KeepDim) {
  const k = checkOptions('nanmedianWithIndices', options, { keepdim: 'boolean' }).keepdim;
  return medianOf('nanmedianWithIndices', this, int('nanmedianWithIndices', 'dim', dim), k, true) as ValuesIndices;
};

proto.mode = function (this: Tensor, dim = -1, options?: KeepDim) {
  const name = 'mode';
  const keepdim = checkOptions(name, options, { keepdim: 'boolean' }).keepdim;
  const { t, d } = along(this, dim, name);
  const n = t.shape[d];
  if (n === 0) fail('INVALID_ARGUMENT', `${name}: dim ${d} has size 0; there is no most frequent value`);
  return tidy(() => {
    // Sorted (stably), each run of equal values is one candidate; its length is its count.
    const order = t.argsort(d);
    const sv = t.gather(d, order);
    const head = ones(
      t.shape.map((s_, i) => (i === d ? 1 : s_)),
      { dtype: 'bool', device: t.device },
    );
    // a run starts where a value differs from the one before (NaN differs from everything)
    const starts = n > 1 ? cat([head, sv.narrow(d, 1, n - 1).ne(sv.narrow(d, 0, n - 1))], d) : head;
    const run = starts.to('int64').cumsum(d).sub(1);
    const counts = zeros(t.shape, { dtype: 'int64', device: t.device }).scatterAdd(
      d,
      run,
      ones(t.shape, { dtype: 'int64', device: t.device }),
    );
    const len = counts.gather(d, run);
    const best = len.amax(d, { keepdim: true });
    // The first (smallest) run of the largest count; its last sorted position is the last
    // occurrence in the input, as the sort is stable.
    const p = len.eq(best).to('int64').argmax(d, { keepdim: true });
    const indices = order.gather(d, p.add(best).sub(1));
    return {
      values: finish(this, t.gather(d, indices), d, false, keepdim),
      indices: finish(this, indices, d, false, keepdim),
    };
  }) as ValuesIndices;
};

proto.kthvalue = function (this: Tensor, k: number, dim = -1, options?: KeepDim) {
  const name = 'kthvalue';
  const keepdim = checkOptions(name, options, { keepdim: 'boolean' }).keepdim;
  const { t, d } = along(this, dim, name);
  const n = t.shape[d];
  const kk = intAtLeast(name, 'k', k, 1);
  if (kk > n) fail('INDEX_OUT_OF_RANGE', `${name}: k (${kk}) is larger than dimension ${d} of size ${n}`);
  return tidy(() => {
    const pos = full(
      t.shape.map((s, i) => (i === d ? 1 : s)),
      kk - 1,
      { dtype: 'int64', device: t.device },
    );
    const r = statAt(t, d, t.argsort(d), pos);
    return { values: finish(this, r.values, d, false, keepdim), indices: finish(this, r.indices, d, false, keepdim) };
  }) as ValuesIndices;
};

function quantileOf(
  name: string,
  x: Tensor,
  q: number | readonly number[] | Tensor,
  dim: number | null | undefined,
  options: QuantileOptions | undefined,
  skipNan: boolean,
): Tensor {
  const o = checkOptions(name, options, { keepdim: 'boolean', interpolation: 'string' });
  const how = oneOf(name, 'interpolation', o.interpolation ?? 'linear', [
    'linear',
    'lower',
    'higher',
    'midpoint',
    'nearest',
  ] as const);
  if (!isFloating(x.dtype)) fail('DTYPE_MISMATCH', `${name}: expected a floating tensor, got ${x.dtype}`);
  let qs: number[];
  let scalarQ: boolean;
  if (q instanceof Tensor) {
    if (q.ndim > 1) fail('SHAPE_MISMATCH', `${name}: q must be a number or a 0-D or 1-D tensor, got ${shapeText(q)}`);
    scalarQ = q.ndim === 0;
    qs = (scalarQ ? [q.item()] : q.toArray()) as number[];
  } else if (typeof q === 'number') {
    scalarQ = true;
    qs = [q];
  } else {
    scalarQ = false;
    qs = list(name, 'q', q, 1 << 16).map((v) => num(name, 'q', v));
  }
  if (qs.length > 1 << 16) fail('INVALID_ARGUMENT', `${name}: at most ${1 << 16} quantiles at once, got ${qs.length}`);
  for (const v of qs)
    if (!(v >= 0 && v <= 1)) fail('INVALID_ARGUMENT', `${name}: q must be in [0, 1], got ${describe(v)}`);
  const { t, d, all } = along(x, dim, name);
  const n = t.shape[d];
  if (n === 0)
    fail('SHAPE_MISMATCH', `${name}: the input must not be empty along the reduced dim, got ${shapeText(x)}`);
  return tidy(() => {
    const order = t.argsort(d);
    const sorted = t.gather(d, order); // differentiable
    const nans = t.isnan().sum(d, { keepdim: true }).to(t.dtype);
    // The count each slice's positions are taken over: the non-NaN ones, or all of them.
    const m = skipNan ? nans.neg().add(n) : full(nans.shape, n, { dtype: t.dtype, device: t.device });
    // Every q at once: a leading dim of Q over the keepdim shape, gathering from the sorted values
    // expanded (a view) to Q copies.
    const Q = qs.length;
    const lead = (v: Tensor) => v.unsqueeze(0);
    const qt = tensor(qs, { dtype: t.dtype, device: t.device }).reshape([Q, ...t.shape.map(() => 1)]);
    const pos = lead(m.sub(1).clamp(0, null)).mul(qt); // [Q, ...keep]
    const lo = pos.floor(),
      hi = pos.ceil();
    const many = lead(sorted).expand([Q, ...sorted.shape]);
    const at = (p: Tensor) => many.gather(d + 1, p.to('int64'));
    let r: Tensor;
    if (how === 'lower') r = at(lo);
    else if (how === 'higher') r = at(hi);
    else if (how === 'nearest') r = at(pos.round());
    else if (how === 'midpoint') r = at(lo).add(at(hi)).mul(0.5);
    else {
      const a = at(lo);
      r = a.add(at(hi).sub(a).mul(pos.sub(lo)));
    }
    // quantile is NaN where the slice holds a NaN; nanquantile where it holds nothing else.
    r = where(lead(skipNan ? m.eq(0) : nans.gt(0)), NaN, r);
    // [Q, ...keep] shaped as the caller asked, Q leading unless q was a single number.
    const rest = finishedShape(x, r.shape.slice(1), d, all, o.keepdim);
    const out = r.reshape([Q, ...rest]);
    return scalarQ ? out.select(0, 0) : out;
  });
}
proto.quantile = function (
  this: Tensor,
  q: number | readonly number[] | Tensor,
  dim?: number | null,
  options?: QuantileOptions,
) {
  return quantileOf('quantile', this, q, dim, options, false);
};
proto.nanquantile = function (
  this: Tensor,
  q: number | readonly number[] | Tensor,
  dim?: number | null,
  options?: QuantileOptions,
) {
  return quantileOf('nanquantile', this, q, dim, options, true);
};

// An inclusive scan along d in log2(n) rounds (Hillis-Steele): after the round with shift s each
// position holds the combination of the 2s positions ending at it. `combine(earlier, later)`
// must be associative; `pieces` are the tensors it carries (values and positions).
function scan(pieces: Tensor[], d: number, combine: (earlier: Tensor[], later: Tensor[]) => Tensor[]): Tensor[] {
  const n = pieces[0].shape[d];
  let cur = pieces;
  for (let s = 1; s < n; s *= 2) {
    const earlier = cur.map((p) => p.narrow(d, 0, n - s));
    const later = cur.map((p) => p.narrow(d, s, n - s));
    const merged = combine(earlier, later);
    cur = cur.map((p, i) => cat([p.narrow(d, 0, s), merged[i]], d));
  }
  return cur;
}

function cumExtreme(name: string, x: Tensor, dim: number, max: boolean): ValuesIndices {
  const { t, d } = along(x, int(name, 'dim', dim), name);
  return tidy(() => {
    const indices = noGrad(() => {
      const pos = arange(t.shape[d], { dtype: 'int64', device: t.device })
        .reshape(t.shape.map((s, i) => (i === d ? s : 1)))
        .expand(t.shape);
      // The later element wins on ties and when it is NaN; a NaN already held is kept.
      const [, idx] = scan([t, pos], d, ([va, ia], [vb, ib]) => {
        const better = max ? vb.ge(va) : vb.le(va);
        const later = vb.isnan().logicalOr(va.isnan().logicalNot().logicalAnd(better));
        return [where(later, vb, va), where(later, ib, ia)];
      });
      return idx;
    });
    const values = t.gather(d, indices);
    const shaped = (r: Tensor) => (x.ndim === 0 ? r.reshape([]) : r);
    return { values: shaped(values), indices: shaped(indices) };
  }) as ValuesIndices;
}
proto.cummax = function (this: Tensor, dim: number) {
  return cumExtreme('cummax', this, dim, true);
};
proto.cummin = function (this: Tensor, dim: number) {
  return cumExtreme('cummin', this, dim, false);
};

proto.logcumsumexp = function (this: Tensor, dim: number) {
  const name = 'logcumsumexp';
  if (!isFloating(this.dtype)) fail('DTYPE_MISMATCH', `${name}: expected a floating tensor, got ${this.dtype}`);
  const { t, d } = along(this, int(name, 'dim', dim), name);
  return tidy(() => {
    const [r] = scan([t], d, ([a], [b]) => [a.logaddexp(b)]);
    return this.ndim === 0 ? r.reshape([]) : r === t ? t.clone() : r;
  });
};

proto.diff = function (this: Tensor, n = 1, dim = -1, options?: { prepend?: Tensor; append?: Tensor }) {
  const name = 'diff';
  const o = checkOptions(name, options, { prepend: 'any', append: 'any' });
  const times = intAtLeast(name, 'n', n, 0);
  if (this.ndim === 0) fail('SHAPE_MISMATCH', `${name}: expected at least 1 dim, got []`);
  const d = dimOf(name, this, dim);
  const parts: Tensor[] = [this];
  for (const [label, v] of [
    ['prepend', o.prepend],
    ['append', o.append],
  ] as const) {
    if (v === undefined) continue;
    const p = tensorArg(name, label, v);
    if (p.ndim !== this.ndim || p.shape.some((s, i) => i !== d && s !== this.shape[i]))
      fail('SHAPE_MISMATCH', `${name}: ${label} ${shapeText(p)} must match ${shapeText(this)} except along dim ${d}`);
    if (label === 'prepend') parts.unshift(p);
    else parts.push(p);
  }
  return tidy(() => {
    let x = parts.length === 1 ? this : cat(parts, d);
    for (let i = 0; i < times && x.shape[d] > 0; i++) {
      const len = x.shape[d] - 1;
      const a = x.narrow(d, 1, len),
        b = x.narrow(d, 0, len);
      x = x.dtype === 'bool' ? a.ne(b) : a.sub(b);
    }
    return x === this ? this.clone() : x;
  });
};

/** The standard deviation and mean in one call (torch.std_mean). @example const [s, m] = stdMean(x, 0) */
export function stdMean(input: Tensor, dim?: Dims | null, options?: VarOptions): [Tensor, Tensor] {
  const x = tensorArg('stdMean', 'input', input);
  return [x.std(dim, options), x.mean(dim, options?.keepdim === undefined ? undefined : { keepdim: options.keepdim })];
}
/** The variance and mean in one call (torch.var_mean). */
export function varMean(input: Tensor, dim?: Dims | null, options?: VarOptions): [Tensor, Tensor] {
  const x = tensorArg('varMean', 'input', input);
  return [x.var(dim, options), x.mean(dim, options?.keepdim === undefined ? undefined : { keepdim: options.keepdim })];
}

// The trapezoid terms along dim: (y[i+1] + y[i]) / 2 times the spacing (x[i+1] - x[i], or dx);
// x is 1-D (along dim) or broadcasts against y.
function trapezoidTerms(name: string, y: Tensor, x: Tensor | null | undefined, dx: number | undefined, dim: number) {
  const d = dimOf(name, y, dim);
  const n = y.shape[d];
  const avg =
    n > 0
      ? y
          .narrow(d, 1, n - 1)
          .add(y.narrow(d, 0, n - 1))
          .div(2)
      : y;
  if (x === null || x === undefined) return { terms: avg.mul(dx ?? 1), d };
  const xt = tensorArg(name, 'x', x);
  if (dx !== undefined) fail('INVALID_ARGUMENT', `${name}: give x or dx, not both`);
  let spacing: Tensor;
  if (xt.ndim === 1) {
    if (xt.shape[0] !== n) fail('SHAPE_MISMATCH', `${name}: x has ${xt.shape[0]} points for ${n} along dim ${d}`);
    const shape = y.shape.map((_, i) => (i === d ? n - 1 : 1));
    spacing = n > 0 ? xt.diff().reshape(shape) : xt;
  } else spacing = n > 0 ? xt.diff(1, d) : xt;
  return { terms: avg.mul(spacing), d };
}

/**
 * The integral of y along dim by the trapezoidal rule (torch.trapezoid), at points x (1-D, or
 * y's shape) or with spacing dx (default 1). @example trapezoid(tensor([1, 2, 3])) // 4
 */
export function trapezoid(y: Tensor, options?: { x?: Tensor | null; dx?: number; dim?: number }): Tensor {
  const name = 'trapezoid';
  const yt = tensorArg(name, 'y', y);
  const o = checkOptions(name, options, { x: 'any', dx: 'number', dim: 'integer' });
  return tidy(() => {
    const { terms, d } = trapezoidTerms(name, yt, o.x, o.dx, o.dim ?? -1);
    return terms.sum(d);
  });
}
/** Alias of trapezoid (torch.trapz). */
export function trapz(y: Tensor, options?: { x?: Tensor | null; dx?: number; dim?: number }): Tensor {
  return trapezoid(y, options);
}

/** The running trapezoidal integral (torch.cumulative_trapezoid): one fewer point along dim. */
export function cumulativeTrapezoid(y: Tensor, options?: { x?: Tensor | null; dx?: number; dim?: number }): Tensor {
  const name = 'cumulativeTrapezoid';
  const yt = tensorArg(name, 'y', y);
  const o = checkOptions(name, options, { x: 'any', dx: 'number', dim: 'integer' });
  return tidy(() => {
    const { terms, d } = trapezoidTerms(name, yt, o.x, o.dx, o.dim ?? -1);
    return terms.cumsum(d);
  });
}
