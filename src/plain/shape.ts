// Views and movement as plain copies (plain tensors have no strides: every result is new data).
import type { DType } from '../dtype.js';
import { alloc, broadcastIndex, castValue, normDim, numel, PlainTensor, promote, stridesOf } from './tensor.js';

export function reshape(x: PlainTensor, shape: readonly number[]): PlainTensor {
  const s = [...shape];
  const i = s.indexOf(-1);
  if (i >= 0) s[i] = x.numel() / numel(s.filter((_, j) => j !== i));
  if (numel(s) !== x.numel()) throw new RangeError(`shape [${s}] is invalid for input of size ${x.numel()}`);
  return new PlainTensor(x.data.slice(), s, x.dtype);
}

export function permute(x: PlainTensor, dims: readonly number[]): PlainTensor {
  const nd = x.ndim;
  const p = dims.map((d) => normDim(d, nd));
  const shape = p.map((d) => x.shape[d]);
  const ist = stridesOf(x.shape);
  const out = alloc(x.dtype, x.numel());
  const pos = new Array(nd).fill(0);
  for (let i = 0; i < out.length; i++) {
    let j = 0;
    for (let k = 0; k < nd; k++) j += pos[k] * ist[p[k]];
    out[i] = x.data[j];
    for (let k = nd - 1; k >= 0; k--) {
      if (++pos[k] < shape[k]) break;
      pos[k] = 0;
    }
  }
  return new PlainTensor(out, shape, x.dtype);
}

export function transpose(x: PlainTensor, d0: number, d1: number): PlainTensor {
  if (x.ndim === 0) return x;
  const dims = [...x.shape.keys()];
  const a = normDim(d0, x.ndim), b = normDim(d1, x.ndim);
  [dims[a], dims[b]] = [dims[b], dims[a]];
  return permute(x, dims);
}

export function expand(x: PlainTensor, shape: readonly number[]): PlainTensor {
  const off = shape.length - x.ndim;
  const s = shape.map((d, i) => (d === -1 ? x.shape[i - off] : d));
  const idx = broadcastIndex(x.shape, s);
  const out = alloc(x.dtype, idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = x.data[idx[i]];
  return new PlainTensor(out, s, x.dtype);
}

export function squeeze(x: PlainTensor, dims?: number | readonly number[] | null): PlainTensor {
  const list = dims === undefined || dims === null ? null : (typeof dims === 'number' ? [dims] : dims).map((d) => normDim(d, x.ndim));
  return reshape(x, x.shape.filter((s, d) => !(s === 1 && (list === null || list.includes(d)))));
}

export function unsqueeze(x: PlainTensor, dim: number): PlainTensor {
  const s = [...x.shape];
  s.splice(normDim(dim, x.ndim + 1), 0, 1);
  return reshape(x, s);
}

export function flatten(x: PlainTensor, start = 0, end = -1): PlainTensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const a = normDim(start, x.ndim), b = normDim(end, x.ndim);
  return reshape(x, [...x.shape.slice(0, a), numel(x.shape.slice(a, b + 1)), ...x.shape.slice(b + 1)]);
}

export function narrow(x: PlainTensor, dim: number, start: number, length: number): PlainTensor {
  const d = normDim(dim, x.ndim);
  if (start < 0) start += x.shape[d];
  const shape = [...x.shape];
  shape[d] = length;
  const I = numel(x.shape.slice(d + 1)), O = numel(x.shape.slice(0, d)), R = x.shape[d];
  const out = alloc(x.dtype, numel(shape));
  let k = 0;
  for (let o = 0; o < O; o++)
    for (let r = start; r < start + length; r++)
      for (let i = 0; i < I; i++) out[k++] = x.data[(o * R + r) * I + i];
  return new PlainTensor(out, shape, x.dtype);
}

export function select(x: PlainTensor, dim: number, index: number): PlainTensor {
  const d = normDim(dim, x.ndim);
  const n = narrow(x, d, index < 0 ? index + x.shape[d] : index, 1);
  return reshape(n, x.shape.filter((_, j) => j !== d));
}

/** A copy converted to `dtype`. */
export function to(x: PlainTensor, dtype: DType): PlainTensor {
  const out = alloc(dtype, x.numel());
  for (let i = 0; i < out.length; i++) out[i] = castValue(x.data[i], dtype);
  return new PlainTensor(out, x.shape, dtype);
}

export const clone = (x: PlainTensor) => new PlainTensor(x.data.slice(), x.shape, x.dtype);
export const contiguous = clone;

export function cat(xs: readonly PlainTensor[], dim = 0): PlainTensor {
  const d = normDim(dim, xs[0].ndim);
  const dt = xs.map((x) => x.dtype).reduce(promote);
  const shape = [...xs[0].shape];
  shape[d] = xs.reduce((s, x) => s + x.shape[d], 0);
  const O = numel(shape.slice(0, d)), I = numel(shape.slice(d + 1));
  const out = alloc(dt, numel(shape));
  let k = 0;
  for (let o = 0; o < O; o++)
    for (const x of xs) {
      const len = x.shape[d] * I;
      for (let j = 0; j < len; j++) out[k++] = castValue(x.data[o * len + j], dt);
    }
  return new PlainTensor(out, shape, dt);
}

export function stack(xs: readonly PlainTensor[], dim = 0): PlainTensor {
  return cat(xs.map((x) => unsqueeze(x, normDim(dim, x.ndim + 1))), normDim(dim, xs[0].ndim + 1));
}

/** Slices of x at `index` along dim. */
export function indexSelect(x: PlainTensor, dim: number, index: PlainTensor): PlainTensor {
  const d = normDim(dim, x.ndim), R = x.shape[d], I = numel(x.shape.slice(d + 1)), O = numel(x.shape.slice(0, d));
  const K = index.numel(), out = alloc(x.dtype, O * K * I);
  for (let o = 0; o < O; o++)
    for (let j = 0; j < K; j++)
      for (let i = 0; i < I; i++) out[(o * K + j) * I + i] = x.data[(o * R + index.data[j]) * I + i];
  const shape = [...x.shape];
  shape[d] = K;
  return new PlainTensor(out, shape, x.dtype);
}

/** indexSelect's gradient: g's slices added back at `index` into `size` slices along dim. */
export function indexSelectBackward(g: PlainTensor, dim: number, index: PlainTensor, size: number): PlainTensor {
  const d = normDim(dim, g.ndim), K = g.shape[d], I = numel(g.shape.slice(d + 1)), O = numel(g.shape.slice(0, d));
  const out = alloc(g.dtype, O * size * I);
  for (let o = 0; o < O; o++)
    for (let j = 0; j < K; j++)
      for (let i = 0; i < I; i++) out[(o * size + index.data[j]) * I + i] += g.data[(o * K + j) * I + i];
  if (g.dtype === 'float32') out.forEach((v, i) => { out[i] = Math.fround(v); });
  const shape = [...g.shape];
  shape[d] = size;
  return new PlainTensor(out, shape, g.dtype);
}
