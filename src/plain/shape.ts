// Views and movement as plain copies (plain tensors have no strides: every result is new data).
import { checkDType, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { describe, int, intAtLeast, list } from '../options.js';
import {
  alloc,
  broadcastIndex,
  castValue,
  isFloat,
  normDim,
  numel,
  plainArg,
  plainShape,
  PlainTensor,
  promote,
  stridesOf,
} from './tensor.js';

// A target shape that may hold -1 ("infer this size"): integers >= -1.
function targetShape(op: string, shape: unknown): number[] {
  const s = list(op, 'shape', shape, 64);
  if (!s.every((d) => Number.isSafeInteger(d) && (d as number) >= -1))
    fail('INVALID_ARGUMENT', `${op}: shape must be a list of integers >= -1, got ${describe(shape)}`);
  return [...(s as number[])];
}

/** `reshape` as plain loops: the reference the native `Tensor.reshape` is tested against. */
export function reshape(x: PlainTensor, shape: readonly number[]): PlainTensor {
  plainArg('reshape', 'x', x);
  const s = targetShape('reshape', shape);
  const i = s.indexOf(-1);
  if (i >= 0) s[i] = x.numel() / numel(s.filter((_, j) => j !== i));
  if (!s.every(Number.isSafeInteger) || numel(s) !== x.numel())
    fail('SHAPE_MISMATCH', `shape [${shape.join(', ')}] is invalid for input of size ${x.numel()}`);
  return new PlainTensor(x.data.slice(), s, x.dtype);
}

/** `permute` as plain loops: the reference the native `Tensor.permute` is tested against. */
export function permute(x: PlainTensor, dims: readonly number[]): PlainTensor {
  const nd = plainArg('permute', 'x', x).ndim;
  const p = list('permute', 'dims', dims, 64).map((d) => normDim(d as number, nd));
  if (p.length !== nd || new Set(p).size !== nd)
    fail('INVALID_ARGUMENT', `permute: dims ${describe(dims)} must be a permutation of the ${nd} dims`);
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

/** `transpose` as plain loops: the reference the native `Tensor.transpose` is tested against. */
export function transpose(x: PlainTensor, d0: number, d1: number): PlainTensor {
  if (plainArg('transpose', 'x', x).ndim === 0) return x;
  const dims = [...x.shape.keys()];
  const a = normDim(d0, x.ndim),
    b = normDim(d1, x.ndim);
  [dims[a], dims[b]] = [dims[b], dims[a]];
  return permute(x, dims);
}

/** `expand` as plain loops: the reference the native `Tensor.expand` is tested against. */
export function expand(x: PlainTensor, shape: readonly number[]): PlainTensor {
  plainArg('expand', 'x', x);
  const target = targetShape('expand', shape);
  const off = target.length - x.ndim;
  if (off < 0)
    fail('SHAPE_MISMATCH', `expand: [${x.shape.join(', ')}] cannot expand to fewer dims [${target.join(', ')}]`);
  const s = plainShape(
    'expand',
    target.map((d, i) => (d === -1 ? (x.shape[i - off] ?? -1) : d)),
  );
  if (x.shape.some((d, i) => d !== 1 && d !== s[i + off]))
    fail('SHAPE_MISMATCH', `expand: [${x.shape.join(', ')}] cannot expand to [${target.join(', ')}]`);
  const idx = broadcastIndex(x.shape, s);
  const out = alloc(x.dtype, idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = x.data[idx[i]];
  return new PlainTensor(out, s, x.dtype);
}

/** `squeeze` as plain loops: the reference the native `Tensor.squeeze` is tested against. */
export function squeeze(x: PlainTensor, dims?: number | readonly number[] | null): PlainTensor {
  plainArg('squeeze', 'x', x);
  const ds =
    dims === undefined || dims === null
      ? null
      : (typeof dims === 'number' ? [dims] : list('squeeze', 'dims', dims, 64)).map((d) =>
          normDim(d as number, x.ndim),
        );
  return reshape(
    x,
    x.shape.filter((s, d) => !(s === 1 && (ds === null || ds.includes(d)))),
  );
}

/** `unsqueeze` as plain loops: the reference the native `Tensor.unsqueeze` is tested against. */
export function unsqueeze(x: PlainTensor, dim: number): PlainTensor {
  const s = [...plainArg('unsqueeze', 'x', x).shape];
  s.splice(normDim(dim, x.ndim + 1), 0, 1);
  return reshape(x, s);
}

/** `flatten` as plain loops: the reference the native `Tensor.flatten` is tested against. */
export function flatten(x: PlainTensor, start = 0, end = -1): PlainTensor {
  if (plainArg('flatten', 'x', x).ndim === 0) return reshape(x, [1]);
  const a = normDim(start, x.ndim),
    b = normDim(end, x.ndim);
  return reshape(x, [...x.shape.slice(0, a), numel(x.shape.slice(a, b + 1)), ...x.shape.slice(b + 1)]);
}

/** `narrow` as plain loops: the reference the native `Tensor.narrow` is tested against. */
export function narrow(x: PlainTensor, dim: number, start: number, length: number): PlainTensor {
  const d = normDim(dim, plainArg('narrow', 'x', x).ndim);
  int('narrow', 'start', start);
  intAtLeast('narrow', 'length', length, 0);
  if (x.ndim === 0) fail('INVALID_ARGUMENT', 'narrow: cannot narrow a 0-dim tensor');
  if (start < 0) start += x.shape[d];
  if (start < 0 || start + length > x.shape[d])
    fail('INDEX_OUT_OF_RANGE', `narrow: [${start}, ${start + length}) is out of range for a dim of size ${x.shape[d]}`);
  const shape = [...x.shape];
  shape[d] = length;
  const I = numel(x.shape.slice(d + 1)),
    O = numel(x.shape.slice(0, d)),
    R = x.shape[d];
  const out = alloc(x.dtype, numel(shape));
  let k = 0;
  for (let o = 0; o < O; o++)
    for (let r = start; r < start + length; r++) for (let i = 0; i < I; i++) out[k++] = x.data[(o * R + r) * I + i];
  return new PlainTensor(out, shape, x.dtype);
}

/** `select` as plain loops: the reference the native `Tensor.select` is tested against. */
export function select(x: PlainTensor, dim: number, index: number): PlainTensor {
  const d = normDim(dim, plainArg('select', 'x', x).ndim);
  int('select', 'index', index);
  const n = narrow(x, d, index < 0 ? index + x.shape[d] : index, 1);
  return reshape(
    n,
    x.shape.filter((_, j) => j !== d),
  );
}

/** `diagonal` as plain loops: the reference the native `Tensor.diagonal` view is tested against. */
export function diagonal(x: PlainTensor, offset = 0, dim1 = 0, dim2 = 1): PlainTensor {
  if (plainArg('diagonal', 'x', x).ndim < 2) fail('SHAPE_MISMATCH', 'diagonal: expected at least 2 dims');
  const k = int('diagonal', 'offset', offset);
  const d1 = normDim(dim1, x.ndim),
    d2 = normDim(dim2, x.ndim);
  if (d1 === d2) fail('INVALID_ARGUMENT', 'diagonal: dim1 and dim2 cannot be the same dim');
  const n = x.shape[d1],
    m = x.shape[d2];
  const len = Math.max(0, k >= 0 ? Math.min(n, m - k) : Math.min(n + k, m));
  const rest = x.shape.map((_, d) => d).filter((d) => d !== d1 && d !== d2);
  const shape = [...rest.map((d) => x.shape[d]), len];
  const strides = x.shape.map((_, d) => numel(x.shape.slice(d + 1)));
  const out = alloc(x.dtype, numel(shape));
  const outer = numel(rest.map((d) => x.shape[d]));
  for (let o = 0, w = 0; o < outer; o++) {
    // o's digits over the remaining dims, in order, give the base position in x.
    let base = 0;
    for (let j = rest.length - 1, r = o; j >= 0; j--) {
      base += (r % x.shape[rest[j]]) * strides[rest[j]];
      r = Math.floor(r / x.shape[rest[j]]);
    }
    for (let i = 0; i < len; i++) {
      const row = k >= 0 ? i : i - k,
        col = k >= 0 ? i + k : i;
      out[w++] = x.data[base + row * strides[d1] + col * strides[d2]];
    }
  }
  return new PlainTensor(out, shape, x.dtype);
}

/** `unfold` as plain loops: the reference the native `Tensor.unfold` view is tested against. */
export function unfold(x: PlainTensor, dim: number, size: number, step: number): PlainTensor {
  const d = normDim(dim, plainArg('unfold', 'x', x).ndim);
  const len = x.shape[d];
  if (!(size >= 0 && size <= len) || !(step > 0)) fail('INVALID_ARGUMENT', 'unfold: bad size or step');
  const n = Math.floor((len - size) / step) + 1;
  const O = numel(x.shape.slice(0, d)),
    I = numel(x.shape.slice(d + 1));
  const shape = [...x.shape.slice(0, d), n, ...x.shape.slice(d + 1), size];
  const out = alloc(x.dtype, numel(shape));
  let w = 0;
  for (let o = 0; o < O; o++)
    for (let win = 0; win < n; win++)
      for (let i = 0; i < I; i++) for (let k = 0; k < size; k++) out[w++] = x.data[(o * len + win * step + k) * I + i];
  return new PlainTensor(out, shape, x.dtype);
}

/**
 * `asStrided` as plain loops over x's (contiguous) data taken as the storage: element (i0, i1, ...)
 * is data[offset + sum_k i_k stride_k]. The reference the native view is tested against.
 */
export function asStrided(x: PlainTensor, size: number[], stride: number[], offset = 0): PlainTensor {
  const name = 'asStrided';
  plainArg(name, 'x', x);
  const ints = (label: string, v: unknown) => list(name, label, v, 64).map((d) => intAtLeast(name, label, d, 0));
  size = ints('size', size);
  stride = ints('stride', stride);
  offset = intAtLeast(name, 'offset', offset, 0);
  if (size.length !== stride.length) fail('SHAPE_MISMATCH', 'asStrided: sizes and strides differ in length');
  const out = alloc(x.dtype, numel(size));
  const idx = size.map(() => 0);
  for (let w = 0; w < out.length; w++) {
    const at = idx.reduce((acc, v, k) => acc + v * stride[k], offset);
    if (at >= x.data.length) fail('INDEX_OUT_OF_RANGE', `asStrided: element ${at} is outside the storage`);
    out[w] = x.data[at];
    for (let k = size.length - 1; k >= 0 && ++idx[k] === size[k]; k--) idx[k] = 0;
  }
  return new PlainTensor(out, size, x.dtype);
}

/** A copy converted to `dtype`. */
export function to(x: PlainTensor, dtype: DType): PlainTensor {
  plainArg('to', 'x', x);
  checkDType('to', dtype);
  const out = alloc(dtype, x.numel());
  for (let i = 0; i < out.length; i++) out[i] = castValue(x.data[i], dtype);
  return new PlainTensor(out, x.shape, dtype);
}

/** `clone` as plain loops: the reference the native `Tensor.clone` is tested against. */
export const clone = (x: PlainTensor) => new PlainTensor(plainArg('clone', 'x', x).data.slice(), x.shape, x.dtype);
/** `contiguous` as plain loops: the reference the native `Tensor.contiguous` is tested against. */
export const contiguous = clone;

// A non-empty list of tensors that agree on every dim but `d` (cat) and have the same ndim.
function tensorsFor(op: string, xs: unknown): PlainTensor[] {
  const l = list(op, 'tensors', xs);
  if (l.length === 0) fail('INVALID_ARGUMENT', `${op}: expected a non-empty list of tensors`);
  return l.map((x, i) => plainArg(op, `tensors[${i}]`, x));
}

/** `cat` as plain loops: the reference the native `Tensor.cat` is tested against. */
export function cat(xs: readonly PlainTensor[], dim = 0): PlainTensor {
  tensorsFor('cat', xs);
  const d = normDim(dim, xs[0].ndim);
  for (const x of xs)
    if (x.ndim !== xs[0].ndim || x.shape.some((s, j) => j !== d && s !== xs[0].shape[j]))
      fail(
        'SHAPE_MISMATCH',
        `cat: shapes [${xs[0].shape.join(', ')}] and [${x.shape.join(', ')}] differ outside dim ${d}`,
      );
  const dt = xs.map((x) => x.dtype).reduce(promote);
  const shape = [...xs[0].shape];
  shape[d] = xs.reduce((s, x) => s + x.shape[d], 0);
  const O = numel(shape.slice(0, d)),
    I = numel(shape.slice(d + 1));
  const out = alloc(dt, numel(shape));
  let k = 0;
  for (let o = 0; o < O; o++)
    for (const x of xs) {
      const len = x.shape[d] * I;
      for (let j = 0; j < len; j++) out[k++] = castValue(x.data[o * len + j], dt);
    }
  return new PlainTensor(out, shape, dt);
}

/** `stack` as plain loops: the reference the native `Tensor.stack` is tested against. */
export function stack(xs: readonly PlainTensor[], dim = 0): PlainTensor {
  tensorsFor('stack', xs);
  return cat(
    xs.map((x) => unsqueeze(x, normDim(dim, x.ndim + 1))),
    normDim(dim, xs[0].ndim + 1),
  );
}

/** Slices of x at `index` along dim. */
// Indices into a dim of size n: an integer PlainTensor with every value in [0, n).
function indices(op: string, index: unknown, n: number): PlainTensor {
  const idx = plainArg(op, 'index', index);
  if (idx.dtype !== 'int32' && idx.dtype !== 'int64')
    fail('DTYPE_MISMATCH', `${op}: indices must be int64 or int32, got ${idx.dtype}`);
  for (const v of idx.data)
    if (!(v >= 0 && v < n)) fail('INDEX_OUT_OF_RANGE', `${op}: index ${v} is out of range for a dim of size ${n}`);
  return idx;
}

/** `indexSelect` as plain loops: the reference the native `Tensor.indexSelect` is tested against. */
export function indexSelect(x: PlainTensor, dim: number, index: PlainTensor): PlainTensor {
  plainArg('indexSelect', 'x', x);
  const d0 = normDim(dim, x.ndim);
  indices('indexSelect', index, x.ndim ? x.shape[d0] : 1);
  const d = d0,
    R = x.shape[d],
    I = numel(x.shape.slice(d + 1)),
    O = numel(x.shape.slice(0, d));
  const K = index.numel(),
    out = alloc(x.dtype, O * K * I);
  for (let o = 0; o < O; o++)
    for (let j = 0; j < K; j++)
      for (let i = 0; i < I; i++) out[(o * K + j) * I + i] = x.data[(o * R + index.data[j]) * I + i];
  const shape = [...x.shape];
  shape[d] = K;
  return new PlainTensor(out, shape, x.dtype);
}

/** indexSelect's gradient: g's slices added back at `index` into `size` slices along dim. */
export function indexSelectBackward(g: PlainTensor, dim: number, index: PlainTensor, size: number): PlainTensor {
  const op = 'indexSelectBackward';
  plainArg(op, 'g', g);
  intAtLeast(op, 'size', size, 0);
  indices(op, index, size);
  if (g.ndim === 0 || g.shape[normDim(dim, g.ndim)] !== index.numel())
    fail('SHAPE_MISMATCH', `${op}: the gradient's dim ${dim} must have one slice per index (${index.numel()})`);
  const d = normDim(dim, g.ndim),
    K = g.shape[d],
    I = numel(g.shape.slice(d + 1)),
    O = numel(g.shape.slice(0, d));
  const out = alloc(g.dtype, O * size * I);
  for (let o = 0; o < O; o++)
    for (let j = 0; j < K; j++)
      for (let i = 0; i < I; i++) out[(o * size + index.data[j]) * I + i] += g.data[(o * K + j) * I + i];
  if (g.dtype === 'float32')
    out.forEach((v, i) => {
      out[i] = Math.fround(v);
    });
  const shape = [...g.shape];
  shape[d] = size;
  return new PlainTensor(out, shape, g.dtype);
}

// The offsets of index's positions in a contiguous tensor of `target` shape, with dim replaced by
// the index value: gather reads there, scatter writes there.
function targets(op: string, index: PlainTensor, target: readonly number[], dim: number): number[] {
  const st = stridesOf(target);
  const ist = stridesOf(index.shape);
  indices(op, index, target.length ? target[dim] : 1);
  const out: number[] = [];
  for (let p = 0; p < index.numel(); p++) {
    let off = 0;
    for (let k = 0; k < index.ndim; k++) {
      const c = Math.floor(p / ist[k]) % index.shape[k];
      off += (k === dim ? index.data[p] : c) * st[k];
    }
    out.push(off);
  }
  return out;
}

/** torch.gather as loops: out[p] = x[p with p[dim] = index[p]]. */
export function gather(x: PlainTensor, dim: number, index: PlainTensor): PlainTensor {
  plainArg('gather', 'x', x);
  plainArg('gather', 'index', index);
  const d = normDim(dim, Math.max(x.ndim, 1));
  const at = targets('gather', index, x.shape, d);
  const out = alloc(x.dtype, index.numel());
  at.forEach((off, p) => (out[p] = x.data[off]));
  return new PlainTensor(out, index.shape, x.dtype);
}

/** torch.scatter / scatter_reduce as loops (reduce 'none' writes; the others combine in index order). */
export function scatter(
  self: PlainTensor,
  dim: number,
  index: PlainTensor,
  src: PlainTensor | number,
  reduce: 'none' | 'sum' | 'prod' | 'mean' | 'amax' | 'amin' = 'none',
  includeSelf = true,
): PlainTensor {
  plainArg('scatter', 'self', self);
  const d = normDim(dim, Math.max(self.ndim, 1));
  const at = targets('scatter', index, self.shape, d);
  const out = alloc(self.dtype, self.numel());
  out.set(self.data);
  const sst = typeof src === 'number' ? [] : stridesOf(src.shape);
  const ist = stridesOf(index.shape);
  const srcAt = (p: number) => {
    if (typeof src === 'number') return src;
    let off = 0;
    for (let k = 0; k < index.ndim; k++) off += (Math.floor(p / ist[k]) % index.shape[k]) * sst[k];
    return src.data[off];
  };
  const count = new Map<number, number>();
  if (reduce !== 'none' && !includeSelf)
    for (const off of at)
      out[off] = reduce === 'prod' ? 1 : reduce === 'amax' ? -Infinity : reduce === 'amin' ? Infinity : 0;
  at.forEach((off, p) => {
    const v = srcAt(p);
    const cur = out[off];
    if (reduce === 'none') out[off] = v;
    else if (reduce === 'sum' || reduce === 'mean') out[off] = cur + v;
    else if (reduce === 'prod') out[off] = cur * v;
    else if (reduce === 'amax') out[off] = Number.isNaN(cur) || Number.isNaN(v) ? NaN : Math.max(cur, v);
    else out[off] = Number.isNaN(cur) || Number.isNaN(v) ? NaN : Math.min(cur, v);
    count.set(off, (count.get(off) ?? (includeSelf ? 1 : 0)) + 1);
  });
  if (reduce === 'mean')
    for (const [off, n] of count) out[off] = isFloat(self.dtype) ? out[off] / n : Math.floor(out[off] / n);
  if (self.dtype === 'float32') out.forEach((v, i) => (out[i] = Math.fround(v)));
  return new PlainTensor(out, self.shape, self.dtype);
}

/** The positions of the non-zero elements, row by row: int64 [count, ndim]. */
export function nonzero(x: PlainTensor): PlainTensor {
  plainArg('nonzero', 'x', x);
  const st = stridesOf(x.shape);
  const rows: number[] = [];
  for (let p = 0; p < x.numel(); p++)
    if (x.data[p] !== 0) for (let k = 0; k < x.ndim; k++) rows.push(Math.floor(p / st[k]) % x.shape[k]);
  return new PlainTensor(
    alloc('int64', rows.length).map((_, i) => rows[i]) as PlainTensor['data'],
    [rows.length / Math.max(x.ndim, 1), x.ndim],
    'int64',
  );
}
