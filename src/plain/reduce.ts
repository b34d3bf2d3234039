// Reductions and scans as plain loops.
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import { bool, describe, intAtLeast, list as listArg, num } from '../options.js';
import { alloc, isFloat, MAX_PLAIN_ELEMENTS, normDim, numel, plainArg, PlainTensor, stridesOf } from './tensor.js';

/** A dim, a list of dims, or all dims (null or undefined). */
export type DimArg = number | readonly number[] | null | undefined;

/** Output shape and, per input element, its output index for a reduction over `dims`. */
function plan(x: PlainTensor, dims: DimArg, keepdim: boolean, op = 'reduce') {
  plainArg(op, 'x', x);
  bool(op, 'keepdim', keepdim);
  if (dims !== null && dims !== undefined && typeof dims !== 'number') listArg(op, 'dims', dims, 64);
  const nd = x.ndim;
  const red = new Array(Math.max(nd, 1)).fill(false);
  const list =
    dims === null || dims === undefined || (Array.isArray(dims) && dims.length === 0)
      ? null
      : typeof dims === 'number'
        ? [dims]
        : dims;
  if (list === null) red.fill(true);
  else for (const d of list) red[normDim(d, nd)] = true;
  const outShape: number[] = [];
  for (let d = 0; d < nd; d++) {
    if (!red[d]) outShape.push(x.shape[d]);
    else if (keepdim) outShape.push(1);
  }
  const keptShape = x.shape.filter((_, d) => !red[d]);
  const kst = stridesOf(keptShape);
  const outIndex = new Int32Array(x.numel());
  const pos = new Array(nd).fill(0);
  for (let i = 0; i < x.numel(); i++) {
    let o = 0,
      k = 0;
    for (let d = 0; d < nd; d++) if (!red[d]) o += pos[d] * kst[k++];
    outIndex[i] = o;
    for (let d = nd - 1; d >= 0; d--) {
      if (++pos[d] < x.shape[d]) break;
      pos[d] = 0;
    }
  }
  const count = numel(x.shape.filter((_, d) => red[d] || nd === 0));
  return { outShape, outIndex, outN: numel(outShape), count };
}

/** Sum (integers and bool sum as int64). @example plain.sum(x, 1) */
export function sum(x: PlainTensor, dims?: DimArg, keepdim = false): PlainTensor {
  const p = plan(x, dims, keepdim, 'sum');
  const dt: DType = isFloat(x.dtype) ? x.dtype : 'int64';
  const acc = new Float64Array(p.outN);
  for (let i = 0; i < x.numel(); i++) acc[p.outIndex[i]] += x.data[i];
  const out = alloc(dt, p.outN);
  out.set(acc);
  return new PlainTensor(out, p.outShape, dt);
}

/** `mean` as plain loops: the reference the native `Tensor.mean` is tested against. */
export function mean(x: PlainTensor, dims?: DimArg, keepdim = false): PlainTensor {
  if (!isFloat(plainArg('mean', 'x', x).dtype)) fail('DTYPE_MISMATCH', 'mean: expected a floating point tensor');
  const s = sum(x, dims, keepdim);
  const n = plan(x, dims, keepdim).count;
  for (let i = 0; i < s.data.length; i++) s.data[i] = s.data[i] / n;
  return s;
}

function extreme(x: PlainTensor, dims: DimArg, keepdim: boolean, isMax: boolean): PlainTensor {
  const p = plan(x, dims, keepdim, isMax ? 'max' : 'min');
  if (p.count === 0 && p.outN > 0) fail('INVALID_ARGUMENT', 'cannot reduce over an empty dimension');
  const out = alloc(x.dtype, p.outN);
  const seen = new Uint8Array(p.outN);
  for (let i = 0; i < x.numel(); i++) {
    const o = p.outIndex[i],
      v = x.data[i],
      cur = out[o];
    if (!seen[o]) {
      out[o] = v;
      seen[o] = 1;
    } else if (!Number.isNaN(cur) && (Number.isNaN(v) || (isMax ? v > cur : v < cur))) {
      out[o] = v;
    }
  }
  return new PlainTensor(out, p.outShape, x.dtype);
}
/** `max` as plain loops: the reference the native `Tensor.max` is tested against. */
export const max = (x: PlainTensor, dims?: DimArg, keepdim = false) => extreme(x, dims, keepdim, true);
/** `min` as plain loops: the reference the native `Tensor.min` is tested against. */
export const min = (x: PlainTensor, dims?: DimArg, keepdim = false) => extreme(x, dims, keepdim, false);

function argExtreme(x: PlainTensor, dim: number | null | undefined, keepdim: boolean, isMax: boolean) {
  if (dim !== null && dim !== undefined && typeof dim !== 'number')
    fail('INVALID_ARGUMENT', `${isMax ? 'argmax' : 'argmin'}: dim must be an integer, got ${describe(dim)}`);
  const p = plan(x, dim, keepdim, isMax ? 'argmax' : 'argmin');
  if (dim === null || dim === undefined) {
    // Over the flattened tensor: indices count in row-major order.
    if (keepdim) p.outShape.splice(0, p.outShape.length, ...x.shape.map(() => 1));
  }
  const values = alloc(x.dtype, p.outN);
  const indices = new Float64Array(p.outN);
  const seen = new Uint8Array(p.outN);
  const count = new Float64Array(p.outN);
  for (let i = 0; i < x.numel(); i++) {
    const o = p.outIndex[i],
      v = x.data[i],
      cur = values[o];
    const r = count[o]++;
    if (!seen[o]) {
      values[o] = v;
      indices[o] = r;
      seen[o] = 1;
    } else if (!Number.isNaN(cur) && (Number.isNaN(v) || (isMax ? v > cur : v < cur))) {
      values[o] = v;
      indices[o] = r;
    }
  }
  return {
    values: new PlainTensor(values, p.outShape, x.dtype),
    indices: new PlainTensor(indices, p.outShape, 'int64'),
  };
}
/** `argmax` as plain loops: the reference the native `Tensor.argmax` is tested against. */
export const argmax = (x: PlainTensor, dim?: number | null, keepdim = false) =>
  argExtreme(x, dim, keepdim, true).indices;
/** `argmin` as plain loops: the reference the native `Tensor.argmin` is tested against. */
export const argmin = (x: PlainTensor, dim?: number | null, keepdim = false) =>
  argExtreme(x, dim, keepdim, false).indices;
/** `maxWithIndices` as plain loops: the reference the native `Tensor.maxWithIndices` is tested against. */
export const maxWithIndices = (x: PlainTensor, dim: number, keepdim = false) => argExtreme(x, dim, keepdim, true);
/** `minWithIndices` as plain loops: the reference the native `Tensor.minWithIndices` is tested against. */
export const minWithIndices = (x: PlainTensor, dim: number, keepdim = false) => argExtreme(x, dim, keepdim, false);

/** Variance with `correction` (1 = unbiased). */
export function variance(x: PlainTensor, dims?: DimArg, correction = 1, keepdim = false, sqrt = false): PlainTensor {
  if (!isFloat(plainArg('var', 'x', x).dtype)) fail('DTYPE_MISMATCH', 'var: expected a floating point tensor');
  num('var', 'correction', correction);
  bool('var', 'sqrt', sqrt);
  const p = plan(x, dims, keepdim, 'var');
  const m = new Float64Array(p.outN),
    ss = new Float64Array(p.outN);
  for (let i = 0; i < x.numel(); i++) m[p.outIndex[i]] += x.data[i];
  for (let o = 0; o < p.outN; o++) m[o] /= p.count;
  for (let i = 0; i < x.numel(); i++) {
    const d = x.data[i] - m[p.outIndex[i]];
    ss[p.outIndex[i]] += d * d;
  }
  const out = alloc(x.dtype, p.outN);
  const denom = Math.max(0, p.count - correction);
  for (let o = 0; o < p.outN; o++) out[o] = sqrt ? Math.sqrt(ss[o] / denom) : ss[o] / denom;
  return new PlainTensor(out, p.outShape, x.dtype);
}
/** `std` as plain loops: the reference the native `Tensor.std` is tested against. */
export const std = (x: PlainTensor, dims?: DimArg, correction = 1, keepdim = false) =>
  variance(x, dims, correction, keepdim, true);

/** Walks x as [outer, dim, inner] and calls fn with the element offsets of each line along dim. */
function lines(x: PlainTensor, dim: number, fn: (offsets: number[]) => void): void {
  plainArg('scan', 'x', x);
  const d = normDim(dim, x.ndim);
  const R = x.ndim ? x.shape[d] : 1;
  const I = numel(x.shape.slice(d + 1));
  const O = numel(x.shape.slice(0, d));
  for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) fn(Array.from({ length: R }, (_, r) => (o * R + r) * I + i));
}

/** Softmax along dim (max-subtracted). */
export function softmax(x: PlainTensor, dim: number, log = false): PlainTensor {
  if (!isFloat(plainArg('softmax', 'x', x).dtype)) fail('DTYPE_MISMATCH', 'softmax: expected a floating point tensor');
  bool('softmax', 'log', log);
  const out = alloc(x.dtype, x.numel());
  lines(x, dim, (offs) => {
    let m = -Infinity;
    for (const k of offs) m = Number.isNaN(x.data[k]) || x.data[k] > m ? x.data[k] : m;
    let s = 0;
    for (const k of offs) s += Math.exp(x.data[k] - m);
    for (const k of offs) out[k] = log ? x.data[k] - m - Math.log(s) : Math.exp(x.data[k] - m) / s;
  });
  return new PlainTensor(out, x.shape, x.dtype);
}
/** `logSoftmax` as plain loops: the reference the native `Tensor.logSoftmax` is tested against. */
export const logSoftmax = (x: PlainTensor, dim: number) => softmax(x, dim, true);

/** Running sum along dim (integers as int64). */
export function cumsum(x: PlainTensor, dim: number): PlainTensor {
  plainArg('cumsum', 'x', x);
  const dt: DType = isFloat(x.dtype) ? x.dtype : 'int64';
  const out = alloc(dt, x.numel());
  lines(x, dim, (offs) => {
    let s = 0;
    for (const k of offs) out[k] = s = dt === 'float32' ? Math.fround(s + x.data[k]) : s + x.data[k];
  });
  return new PlainTensor(out, x.shape, dt);
}

/** Running product along dim (integers in int64). */
export function cumprod(x: PlainTensor, dim: number): PlainTensor {
  plainArg('cumprod', 'x', x);
  const dt: DType = isFloat(x.dtype) ? x.dtype : 'int64';
  const out = alloc(dt, x.numel());
  lines(x, dim, (offs) => {
    let p = 1;
    for (const k of offs) out[k] = p = dt === 'float32' ? Math.fround(p * x.data[k]) : p * x.data[k];
  });
  return new PlainTensor(out, x.shape, dt);
}

/** cumprod's gradient, from its definition: dx_i = sum over j >= i of g_j * prod_{k <= j, k != i} x_k. */
export function cumprodBackward(g: PlainTensor, x: PlainTensor, dim: number): PlainTensor {
  plainArg('cumprodBackward', 'g', g);
  plainArg('cumprodBackward', 'x', x);
  const out = alloc(g.dtype, x.numel());
  lines(x, dim, (offs) => {
    for (let i = 0; i < offs.length; i++) {
      let s = 0;
      for (let j = i; j < offs.length; j++) {
        let p = 1;
        for (let k = 0; k <= j; k++) if (k !== i) p *= x.data[offs[k]];
        s += g.data[offs[j]] * p;
      }
      out[offs[i]] = g.dtype === 'float32' ? Math.fround(s) : s;
    }
  });
  return new PlainTensor(out, x.shape, g.dtype);
}

/** Stable sorting positions along dim (NaN largest). */
export function argsort(x: PlainTensor, dim = -1, descending = false): PlainTensor {
  plainArg('argsort', 'x', x);
  bool('argsort', 'descending', descending);
  const out = alloc('int64', x.numel());
  const key = (v: number) => (Number.isNaN(v) ? Infinity : v);
  const rank = (v: number) => (Number.isNaN(v) ? 1 : 0); // NaN after +Infinity
  lines(x, dim, (offs) => {
    const pos = offs.map((_, r) => r);
    pos.sort((p, q) => {
      const a = x.data[offs[p]],
        b = x.data[offs[q]];
      const c = key(a) - key(b) || rank(a) - rank(b) || 0;
      return (descending ? -c : c) || p - q;
    });
    pos.forEach((p, r) => {
      out[offs[r]] = p;
    });
  });
  return new PlainTensor(out, x.shape, 'int64');
}

/** Occurrences of each value (or summed weights), length max(max + 1, minlength). */
export function bincount(x: PlainTensor, weights?: PlainTensor, minlength = 0): PlainTensor {
  const op = 'bincount';
  plainArg(op, 'x', x);
  if (x.ndim !== 1 || (x.dtype !== 'int32' && x.dtype !== 'int64'))
    fail('INVALID_ARGUMENT', `${op}: expected 1-D integer values, got ${x.dtype} [${x.shape.join(', ')}]`);
  if (weights !== undefined && (plainArg(op, 'weights', weights).ndim !== 1 || weights.numel() !== x.numel()))
    fail(
      'SHAPE_MISMATCH',
      `${op}: weights must have the values' shape [${x.numel()}], got [${weights.shape.join(', ')}]`,
    );
  let n = intAtLeast(op, 'minlength', minlength, 0);
  for (const v of x.data) {
    if (v < 0) fail('INVALID_ARGUMENT', `${op}: values must be non-negative, got ${v}`);
    n = Math.max(n, v + 1);
  }
  if (n > MAX_PLAIN_ELEMENTS) fail('INVALID_ARGUMENT', `${op}: ${n} bins are more than the plain kernels hold`);
  const dt: DType = weights ? (weights.dtype === 'float32' ? 'float32' : 'float64') : 'int64';
  const out = alloc(dt, n);
  x.data.forEach((v, i) => {
    out[v] += weights ? weights.data[i] : 1;
  });
  if (dt === 'float32')
    out.forEach((v, i) => {
      out[i] = Math.fround(v);
    });
  return new PlainTensor(out, [n], dt);
}
