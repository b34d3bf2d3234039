// More of torch's shape ops, built on the native views: unfold (sliding windows, a native view),
// asStrided (any strides over the storage, a native view),
// the diagonal family (diagonal is a native view; trace, diagEmbed and fillDiagonal_ are made
// from it), dim moves (movedim, swapaxes,
// unflatten, broadcastTo, ravel), rotations and flips (rot90, fliplr, flipud), tensorSplit and
// its h/v/d forms, and the free stacking, broadcasting and product functions (hstack, vstack,
// dstack, columnStack, atleast1d/2d/3d, broadcastTensors, broadcastShapes, tensordot, kron,
// cartesianProd, blockDiag, trilIndices, triuIndices). All are differentiable through the ops
// they are made of.
import { tensorArg, tensorList } from '../args.js';
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { checkOptions, describe, int, intAtLeast, list } from '../options.js';
import { arange, tensor, zeros } from './creation.js';
import { op } from './dispatch.js';
import { cat, stack, where } from './functional.js';
import { dimOf } from './shaping.js';
import { Tensor } from '../tensor.js';

declare module '../tensor.js' {
  interface Tensor<D extends DType = DType> {
    /**
     * Diagonal `offset` of dims dim1 and dim2 (torch.diagonal): a view with both dims removed and
     * the diagonal appended last, so writes reach this tensor. offset > 0 is above the main one.
     * @example x.diagonal() // [n] of an [n, n] matrix
     */
    diagonal(offset?: number, dim1?: number, dim2?: number): Tensor<D>;
    /** The sum of the main diagonal of a 2-D tensor (integers as int64). @example eye(3).trace() // 3 */
    trace(): Tensor;
    /**
     * The last dim written on diagonal `offset` of two new dims dim1 and dim2 (of the result),
     * zeros elsewhere (torch.diag_embed; the inverse of diagonal). @example tensor([1, 2]).diagEmbed() // [[1, 0], [0, 2]]
     */
    diagEmbed(offset?: number, dim1?: number, dim2?: number): Tensor<D>;
    /**
     * Writes `value` on the main diagonal in place: a 2-D tensor, or one whose dims are all equal
     * (torch.fill_diagonal_). With `wrap`, a tall matrix restarts the diagonal every cols + 1 rows.
     * @example zeros([3, 3]).fillDiagonal_(1)
     */
    fillDiagonal_(value: number | boolean, wrap?: boolean): this;
    /** Dims moved from `source` to `destination`, the others keeping their order (a view). @example x.movedim(1, -1) */
    movedim(source: number | readonly number[], destination: number | readonly number[]): Tensor<D>;
    /**
     * Every window of `size` elements along dim, `step` apart, as a view (Tensor.unfold): dim
     * becomes the window count and a last dim of `size` is added; writes reach this tensor.
     * @example img.unfold(2, 4, 4).unfold(3, 4, 4) // [N, C, H/4, W/4, 4, 4] patches
     */
    unfold(dimension: number, size: number, step: number): Tensor<D>;
    /**
     * The view of this tensor's storage with the given sizes and strides (in elements,
     * non-negative) from `storageOffset` (this tensor's own by default), as torch.as_strided:
     * elements may repeat, and every one must lie inside the storage. Writes reach this tensor;
     * the gradient sums over repeated elements.
     * @example arange(0, 5).asStrided([3, 3], [1, 1]) // [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
     */
    asStrided(size: readonly number[], stride: readonly number[], storageOffset?: number): Tensor<D>;
    /** Alias of movedim (numpy's name). */
    moveaxis(source: number | readonly number[], destination: number | readonly number[]): Tensor<D>;
    /** Alias of transpose (numpy's name). */
    swapaxes(dim0: number, dim1: number): Tensor<D>;
    /** Alias of transpose. */
    swapdims(dim0: number, dim1: number): Tensor<D>;
    /** Dim `dim` split into `sizes` (one may be -1). @example x.unflatten(1, [2, -1]) */
    unflatten(dim: number, sizes: readonly number[]): Tensor<D>;
    /** This broadcast to `shape` (a view; -1 keeps a size). Alias of expand. */
    broadcastTo(shape: readonly number[]): Tensor<D>;
    /** The elements as 1-D (a view when contiguous). */
    ravel(): Tensor<D>;
    /** Rotated by 90 degrees k times in the plane of `dims`, from the first toward the second. @example img.rot90(1, [-2, -1]) */
    rot90(k?: number, dims?: readonly [number, number]): Tensor<D>;
    /** Columns reversed (dim 1; needs 2 dims). */
    fliplr(): Tensor<D>;
    /** Rows reversed (dim 0). */
    flipud(): Tensor<D>;
    /**
     * Views split along dim (torch.tensor_split): into `sections` nearly equal pieces (the first
     * size % sections one longer), or at the listed indices. @example x.tensorSplit([1, 4], 1)
     */
    tensorSplit(sectionsOrIndices: number | readonly number[], dim?: number): Tensor<D>[];
    /** tensorSplit along dim 1 (dim 0 for 1-D); a count must divide the size. */
    hsplit(sectionsOrIndices: number | readonly number[]): Tensor<D>[];
    /** tensorSplit along dim 0 (needs 2 dims); a count must divide the size. */
    vsplit(sectionsOrIndices: number | readonly number[]): Tensor<D>[];
    /** tensorSplit along dim 2 (needs 3 dims); a count must divide the size. */
    dsplit(sectionsOrIndices: number | readonly number[]): Tensor<D>[];
  }
}

const proto = Tensor.prototype;
const shapeText = (t: Tensor) => `[${t.shape.join(', ')}]`;

proto.diagonal = function (this: Tensor, offset = 0, dim1 = 0, dim2 = 1) {
  return op(
    'diagonal',
    [int('diagonal', 'offset', offset), int('diagonal', 'dim1', dim1), int('diagonal', 'dim2', dim2)],
    this._h,
  );
};

proto.unfold = function (this: Tensor, dimension: number, size: number, step: number) {
  const name = 'unfold';
  return op('unfold', [int(name, 'dimension', dimension), int(name, 'size', size), int(name, 'step', step)], this._h);
};

proto.asStrided = function (this: Tensor, size: readonly number[], stride: readonly number[], storageOffset?: number) {
  const name = 'asStrided';
  const ints = (label: string, v: unknown) => list(name, label, v, 64).map((d) => int(name, label, d));
  const offset = storageOffset === undefined ? null : int(name, 'storageOffset', storageOffset);
  return op('as_strided', [ints('size', size), ints('stride', stride), offset], this._h);
};

proto.trace = function (this: Tensor) {
  if (this.ndim !== 2) fail('SHAPE_MISMATCH', `trace: expected a 2-D tensor, got ${shapeText(this)}`);
  return tidy(() => this.diagonal().sum());
};

proto.diagEmbed = function (this: Tensor, offset = 0, dim1 = -2, dim2 = -1) {
  const name = 'diagEmbed';
  const k = int(name, 'offset', offset);
  if (this.ndim < 1) fail('SHAPE_MISMATCH', `${name}: expected at least 1 dim, got []`);
  const nd = this.ndim + 1;
  const wrap = (d: number, label: string) => {
    const v = int(name, label, d);
    if (v < -nd || v >= nd)
      fail('INDEX_OUT_OF_RANGE', `${name}: ${label} ${v} is out of range for a result of dimension ${nd}`);
    return v < 0 ? v + nd : v;
  };
  const d1 = wrap(dim1, 'dim1'),
    d2 = wrap(dim2, 'dim2');
  if (d1 === d2) fail('INVALID_ARGUMENT', `${name}: dim1 and dim2 cannot be the same dim, got ${dim1} and ${dim2}`);
  const len = this.shape[this.ndim - 1];
  const n = len + Math.abs(k);
  return tidy(() => {
    // Values indexed by row (k >= 0) or column (k < 0), padded to n, then kept where col - row = k.
    let v: Tensor = this;
    if (n > len)
      v = cat([v, zeros([...this.shape.slice(0, -1), n - len], { dtype: this.dtype, device: this.device })], -1);
    v = v.unsqueeze(k >= 0 ? -1 : -2);
    const rows = arange(n, { dtype: 'int64', device: this.device }).reshape([n, 1]);
    const cols = arange(n, { dtype: 'int64', device: this.device }).reshape([1, n]);
    const full = where(cols.sub(rows).eq(k), v, zeros([], { dtype: this.dtype, device: this.device }));
    // full is [...rest, n, n]; its last two dims go to d1 and d2 (d1 the rows).
    const perm: number[] = [];
    for (let d = 0, r = 0; d < nd; d++) perm.push(d === d1 ? nd - 2 : d === d2 ? nd - 1 : r++);
    return full.permute(perm);
  });
};

proto.fillDiagonal_ = function (this: Tensor, value: number | boolean, wrap = false) {
  const name = 'fillDiagonal_';
  if (typeof value !== 'number' && typeof value !== 'boolean')
    fail('INVALID_ARGUMENT', `${name}: expected a number, got ${describe(value)}`);
  if (typeof wrap !== 'boolean') fail('INVALID_ARGUMENT', `${name}: wrap must be a boolean, got ${describe(wrap)}`);
  if (this.ndim < 2) fail('SHAPE_MISMATCH', `${name}: expected at least 2 dims, got ${shapeText(this)}`);
  if (this.ndim > 2 && this.shape.some((s) => s !== this.shape[0]))
    fail(
      'SHAPE_MISMATCH',
      `${name}: all dims must have the same size when there are more than 2, got ${shapeText(this)}`,
    );
  if (this.ndim > 2) {
    let d: Tensor = this.diagonal(0, 0, 1);
    while (d.ndim > 1) d = d.diagonal(0, 0, -1);
    d.fill_(value);
    d.dispose();
    return this;
  }
  const [r, c] = this.shape;
  // With wrap, torch continues the flat stride (c + 1) past the square: a blank row, then again.
  const step = wrap ? c + 1 : r;
  for (let start = 0; start < r; start += step) {
    const block = this.narrow(0, start, Math.min(step, r - start));
    const d = block.diagonal();
    d.fill_(value);
    d.dispose();
    block.dispose();
  }
  return this;
};

// Dims given as one or several, each checked and made non-negative.
function dimsOf(name: string, x: Tensor, v: number | readonly number[], label: string): number[] {
  const ds = typeof v === 'number' ? [v] : (list(name, label, v, 64) as number[]);
  const out = ds.map((d) => {
    const w = int(name, label, d);
    if (w < -x.ndim || w >= Math.max(x.ndim, 1))
      fail('INDEX_OUT_OF_RANGE', `${name}: ${label} ${w} is out of range for a tensor of dimension ${x.ndim}`);
    return w < 0 ? w + x.ndim : w;
  });
  if (new Set(out).size !== out.length) fail('INVALID_ARGUMENT', `${name}: repeated dim in ${label} ${describe(v)}`);
  return out;
}

proto.movedim = function (this: Tensor, source: number | readonly number[], destination: number | readonly number[]) {
  const name = 'movedim';
  const src = dimsOf(name, this, source, 'source');
  const dst = dimsOf(name, this, destination, 'destination');
  if (src.length !== dst.length)
    fail('INVALID_ARGUMENT', `${name}: source and destination need as many dims, got ${src.length} and ${dst.length}`);
  if (this.ndim === 0) return this.view([]);
  const perm: number[] = new Array(this.ndim).fill(-1);
  dst.forEach((d, i) => (perm[d] = src[i]));
  const rest = this.shape.map((_, i) => i).filter((i) => !src.includes(i));
  for (let i = 0, r = 0; i < perm.length; i++) if (perm[i] < 0) perm[i] = rest[r++];
  return this.permute(perm);
};
proto.moveaxis = proto.movedim;
proto.swapaxes = function (this: Tensor, dim0: number, dim1: number) {
  return this.transpose(dim0, dim1);
};
proto.swapdims = proto.swapaxes;

proto.unflatten = function (this: Tensor, dim: number, sizes: readonly number[]) {
  const name = 'unflatten';
  const d = dimOf(name, this, dim);
  if (this.ndim === 0) fail('SHAPE_MISMATCH', `${name}: cannot unflatten a 0-D tensor`);
  const s = (list(name, 'sizes', sizes, 64) as number[]).map((v) => int(name, 'sizes', v));
  if (s.length === 0) fail('INVALID_ARGUMENT', `${name}: sizes must not be empty`);
  const known = s.filter((v) => v !== -1).reduce((a, b) => a * b, 1);
  const free = s.filter((v) => v === -1).length;
  const size = this.shape[d];
  if (
    s.some((v) => v < -1) ||
    free > 1 ||
    (free === 0 && known !== size) ||
    (free === 1 && (known === 0 || size % known))
  )
    fail('SHAPE_MISMATCH', `${name}: sizes ${describe(sizes)} do not multiply to dimension ${d} of size ${size}`);
  const full = s.map((v) => (v === -1 ? size / known : v));
  return this.reshape([...this.shape.slice(0, d), ...full, ...this.shape.slice(d + 1)]);
};
proto.broadcastTo = function (this: Tensor, shape: readonly number[]) {
  return this.expand(shape);
};
proto.ravel = function (this: Tensor) {
  return this.reshape([-1]);
};

proto.rot90 = function (this: Tensor, k = 1, dims: readonly [number, number] = [0, 1]) {
  const name = 'rot90';
  const turns = ((int(name, 'k', k) % 4) + 4) % 4;
  const ds = list(name, 'dims', dims, 2);
  if (ds.length !== 2) fail('INVALID_ARGUMENT', `${name}: dims must name 2 dims, got ${describe(dims)}`);
  if (this.ndim < 2) fail('SHAPE_MISMATCH', `${name}: expected at least 2 dims, got ${shapeText(this)}`);
  const [a, b] = dimsOf(name, this, ds as number[], 'dims');
  if (turns === 0) return this.clone();
  if (turns === 2) return this.flip([a, b]);
  return tidy(() => (turns === 1 ? this.flip(b) : this.flip(a)).transpose(a, b));
};
proto.fliplr = function (this: Tensor) {
  if (this.ndim < 2) fail('SHAPE_MISMATCH', `fliplr: expected at least 2 dims, got ${shapeText(this)}`);
  return this.flip(1);
};
proto.flipud = function (this: Tensor) {
  if (this.ndim < 1) fail('SHAPE_MISMATCH', `flipud: expected at least 1 dim, got []`);
  return this.flip(0);
};

function splitAt(name: string, x: Tensor, what: number | readonly number[], d: number, exact: boolean): Tensor[] {
  const size = x.shape[d];
  let bounds: number[];
  if (typeof what === 'number') {
    const n = intAtLeast(name, 'sections', what, 1);
    // One view per section: a count past any real use is refused before the list is built.
    if (n > 1 << 20) fail('INVALID_ARGUMENT', `${name}: sections must be at most ${1 << 20}, got ${n}`);
    if (exact && size % n)
      fail('SHAPE_MISMATCH', `${name}: ${n} sections do not divide dimension ${d} of size ${size}`);
    const base = Math.floor(size / n),
      extra = size % n;
    bounds = [];
    for (let i = 1, at = 0; i < n; i++) bounds.push((at += base + (i <= extra ? 1 : 0)));
  } else bounds = (list(name, 'indices', what, 1 << 20) as number[]).map((v) => int(name, 'indices', v));
  // torch clamps each index into [0, size] (negative ones counted from the end) and keeps order.
  const at = [0, ...bounds.map((b) => Math.min(size, Math.max(0, b < 0 ? b + size : b))), size];
  const out: Tensor[] = [];
  for (let i = 0; i + 1 < at.length; i++) {
    const start = Math.min(at[i], size);
    out.push(x.narrow(d, start, Math.max(0, at[i + 1] - start)));
  }
  return out;
}
proto.tensorSplit = function (this: Tensor, sectionsOrIndices: number | readonly number[], dim = 0) {
  if (this.ndim === 0) fail('SHAPE_MISMATCH', 'tensorSplit: cannot split a 0-D tensor');
  return splitAt('tensorSplit', this, sectionsOrIndices, dimOf('tensorSplit', this, dim), false);
};
function namedSplit(name: string, minDims: number, dim: (x: Tensor) => number) {
  return function (this: Tensor, what: number | readonly number[]) {
    if (this.ndim < minDims)
      fail('SHAPE_MISMATCH', `${name}: expected at least ${minDims} dims, got ${shapeText(this)}`);
    return splitAt(name, this, what, dim(this), true);
  };
}
proto.hsplit = namedSplit('hsplit', 1, (x) => (x.ndim === 1 ? 0 : 1));
proto.vsplit = namedSplit('vsplit', 2, () => 0);
proto.dsplit = namedSplit('dsplit', 3, () => 2);

// ---- free functions ------------------------------------------------------------------------------

function atLeast(name: string, t: unknown, n: number): Tensor {
  const x = tensorArg(name, 'tensors', t);
  if (x.ndim >= n) return x.view(x.shape);
  // torch: 0-D -> [1], [1, 1], [1, 1, 1]; 1-D [k] -> [1, k], [1, k, 1]; 2-D [a, b] -> [a, b, 1].
  const shape = x.ndim === 0 ? [] : x.shape;
  const target =
    n === 1
      ? [1]
      : n === 2
        ? x.ndim === 1
          ? [1, ...shape]
          : [1, 1]
        : x.ndim === 0
          ? [1, 1, 1]
          : x.ndim === 1
            ? [1, shape[0], 1]
            : [...shape, 1];
  return x.reshape(target);
}
function atLeastAll(name: string, xs: Tensor | readonly Tensor[], n: number): Tensor | Tensor[] {
  if (xs instanceof Tensor) return atLeast(name, xs, n);
  return tensorList(name, 'tensors', xs).map((t) => atLeast(name, t, n));
}

/** At least 1 dim (a 0-D tensor becomes [1]); for a list, each. @example atleast1d(tensor(3)) // [3] */
export function atleast1d(x: Tensor): Tensor;
export function atleast1d(xs: readonly Tensor[]): Tensor[];
export function atleast1d(xs: Tensor | readonly Tensor[]): Tensor | Tensor[] {
  return atLeastAll('atleast1d', xs, 1);
}
/** At least 2 dims ([k] becomes [1, k]); for a list, each. */
export function atleast2d(x: Tensor): Tensor;
export function atleast2d(xs: readonly Tensor[]): Tensor[];
export function atleast2d(xs: Tensor | readonly Tensor[]): Tensor | Tensor[] {
  return atLeastAll('atleast2d', xs, 2);
}
/** At least 3 dims ([k] becomes [1, k, 1], [a, b] becomes [a, b, 1]); for a list, each. */
export function atleast3d(x: Tensor): Tensor;
export function atleast3d(xs: readonly Tensor[]): Tensor[];
export function atleast3d(xs: Tensor | readonly Tensor[]): Tensor | Tensor[] {
  return atLeastAll('atleast3d', xs, 3);
}

function stacked(name: string, xs: readonly Tensor[], n: number, dim: (ts: Tensor[]) => number): Tensor {
  const ts = tensorList(name, 'tensors', xs);
  if (ts.length === 0) fail('INVALID_ARGUMENT', `${name}: expected a non-empty list of tensors`);
  return tidy(() => {
    const shaped = ts.map((t) => atLeast(name, t, n));
    return cat(shaped, dim(shaped));
  });
}
/** Concatenated along dim 1 (dim 0 when 1-D), after atleast1d (torch.hstack). @example hstack([a, b]) */
export function hstack(tensors: readonly Tensor[]): Tensor {
  return stacked('hstack', tensors, 1, (ts) => (ts[0].ndim === 1 ? 0 : 1));
}
/** Concatenated along dim 0 after atleast2d (rows stacked; torch.vstack). @example vstack([a, b]) */
export function vstack(tensors: readonly Tensor[]): Tensor {
  return stacked('vstack', tensors, 2, () => 0);
}
/** Concatenated along dim 2 after atleast3d (torch.dstack). */
export function dstack(tensors: readonly Tensor[]): Tensor {
  return stacked('dstack', tensors, 3, () => 2);
}
/** 1-D tensors as columns (0-D as [1, 1]), 2-D as they are, concatenated along dim 1. @example columnStack([x, y]) // [n, 2] */
export function columnStack(tensors: readonly Tensor[]): Tensor {
  const name = 'columnStack';
  const ts = tensorList(name, 'tensors', tensors);
  if (ts.length === 0) fail('INVALID_ARGUMENT', `${name}: expected a non-empty list of tensors`);
  return tidy(() =>
    cat(
      ts.map((t) => (t.ndim === 0 ? t.reshape([1, 1]) : t.ndim === 1 ? t.reshape([-1, 1]) : t)),
      1,
    ),
  );
}
/** Alias of cat (torch.concat). */
export function concat(tensors: readonly Tensor[], dim = 0): Tensor {
  return cat(tensors, dim);
}
/** Alias of cat (torch.concatenate, numpy's name). */
export function concatenate(tensors: readonly Tensor[], dim = 0): Tensor {
  return cat(tensors, dim);
}
/** Alias of vstack (torch.row_stack). */
export function rowStack(tensors: readonly Tensor[]): Tensor {
  return vstack(tensors);
}

/** The shape the given shapes broadcast to (throws SHAPE_MISMATCH when they do not). @example broadcastShapes([3, 1], [4]) // [3, 4] */
export function broadcastShapes(...shapes: (readonly number[])[]): number[] {
  const name = 'broadcastShapes';
  const ss = shapes.map((s, i) =>
    (list(name, `shapes[${i}]`, s, 64) as number[]).map((v) => intAtLeast(name, `shapes[${i}]`, v, 0)),
  );
  const nd = Math.max(0, ...ss.map((s) => s.length));
  const out = new Array<number>(nd).fill(1);
  for (const s of ss)
    s.forEach((v, i) => {
      const j = nd - s.length + i;
      if (out[j] === 1) out[j] = v;
      else if (v !== 1 && v !== out[j])
        fail('SHAPE_MISMATCH', `${name}: shapes ${ss.map((x) => `[${x.join(', ')}]`).join(' and ')} do not broadcast`);
    });
  return out;
}
/** The tensors expanded to their common shape (views). @example const [a2, b2] = broadcastTensors(a, b) */
export function broadcastTensors(...tensors: Tensor[]): Tensor[] {
  const ts = tensorList('broadcastTensors', 'tensors', tensors);
  const shape = broadcastShapes(...ts.map((t) => t.shape));
  return ts.map((t) => t.expand(shape));
}

/**
 * Sums products over dims of a and b (torch.tensordot): `dims` = n contracts a's last n with b's
 * first n; or the two lists of dims to pair. @example tensordot(a, b, [[1, 2], [0, 1]])
 */
export function tensordot(
  a: Tensor,
  b: Tensor,
  dims: number | readonly [readonly number[], readonly number[]] = 2,
): Tensor {
  const name = 'tensordot';
  tensorArg(name, 'a', a);
  tensorArg(name, 'b', b);
  let da: number[], db: number[];
  if (typeof dims === 'number') {
    const n = intAtLeast(name, 'dims', dims, 0);
    if (n > a.ndim || n > b.ndim)
      fail('SHAPE_MISMATCH', `${name}: cannot contract ${n} dims of ${shapeText(a)} and ${shapeText(b)}`);
    da = Array.from({ length: n }, (_, i) => a.ndim - n + i);
    db = Array.from({ length: n }, (_, i) => i);
  } else {
    const pair = list(name, 'dims', dims, 2);
    if (pair.length !== 2)
      fail('INVALID_ARGUMENT', `${name}: dims must be a count or two lists of dims, got ${describe(dims)}`);
    da = dimsOf(name, a, pair[0] as number[], 'dims');
    db = dimsOf(name, b, pair[1] as number[], 'dims');
    if (da.length !== db.length)
      fail('INVALID_ARGUMENT', `${name}: the two dim lists differ in length (${da.length} and ${db.length})`);
  }
  da.forEach((d, i) => {
    if (a.shape[d] !== b.shape[db[i]])
      fail('SHAPE_MISMATCH', `${name}: dim ${d} of a (${a.shape[d]}) and dim ${db[i]} of b (${b.shape[db[i]]}) differ`);
  });
  return tidy(() => {
    const fa = a.shape.map((_, i) => i).filter((i) => !da.includes(i));
    const fb = b.shape.map((_, i) => i).filter((i) => !db.includes(i));
    const prod = (t: Tensor, ds: number[]) => ds.reduce((p, d) => p * t.shape[d], 1);
    const A = a.permute([...fa, ...da]).reshape([prod(a, fa), prod(a, da)]);
    const B = b.permute([...db, ...fb]).reshape([prod(b, db), prod(b, fb)]);
    return A.matmul(B).reshape([...fa.map((d) => a.shape[d]), ...fb.map((d) => b.shape[d])]);
  });
}

/** The Kronecker product (torch.kron): dims aligned from the right, sizes multiplied. @example kron(eye(2), ones([2, 2])) */
export function kron(a: Tensor, b: Tensor): Tensor {
  const name = 'kron';
  tensorArg(name, 'a', a);
  tensorArg(name, 'b', b);
  const nd = Math.max(a.ndim, b.ndim);
  const sa = [...new Array<number>(nd - a.ndim).fill(1), ...a.shape];
  const sb = [...new Array<number>(nd - b.ndim).fill(1), ...b.shape];
  return tidy(() =>
    a
      .reshape(sa.flatMap((s) => [s, 1]))
      .mul(b.reshape(sb.flatMap((s) => [1, s])))
      .reshape(sa.map((s, i) => s * sb[i])),
  );
}

/** Every combination of the elements of 1-D tensors, one per row: [n1 * n2 * ..., k] (1-D for one tensor). @example cartesianProd(a, b) */
export function cartesianProd(...tensors: Tensor[]): Tensor {
  const name = 'cartesianProd';
  const ts = tensorList(name, 'tensors', tensors);
  if (ts.length === 0) fail('INVALID_ARGUMENT', `${name}: expected at least one tensor`);
  ts.forEach((t, i) => {
    if (t.ndim !== 1) fail('SHAPE_MISMATCH', `${name}: tensors[${i}] must be 1-D, got ${shapeText(t)}`);
  });
  if (ts.length === 1) return ts[0].clone();
  return tidy(() => {
    const shape = ts.map((t) => t.shape[0]);
    const cols = ts.map((t, i) =>
      t
        .reshape(shape.map((s, j) => (j === i ? s : 1)))
        .expand(shape)
        .reshape([-1]),
    );
    return stack(cols, 1);
  });
}

/**
 * The r-element combinations of a 1-D tensor's elements, in order, one per row (torch.combinations,
 * itertools' order); withReplacement lets an element repeat. @example combinations(tensor([1, 2, 3])) // [[1, 2], [1, 3], [2, 3]]
 */
export function combinations(input: Tensor, options?: { r?: number; withReplacement?: boolean }): Tensor {
  const name = 'combinations';
  const x = tensorArg(name, 'input', input);
  const o = checkOptions(name, options, { r: 'number', withReplacement: 'boolean' });
  const r = intAtLeast(name, 'r', o.r ?? 2, 0);
  if (x.ndim !== 1) fail('SHAPE_MISMATCH', `${name}: expected a 1-D tensor, got ${shapeText(x)}`);
  const n = x.shape[0];
  const rows: number[] = [];
  // index tuples in lexicographic order, each non-decreasing (with replacement) or increasing
  const idx: number[] = [];
  const step = o.withReplacement ? 0 : 1;
  const walk = (start: number) => {
    if (idx.length === r) {
      rows.push(...idx);
      if (rows.length > 2 ** 27) fail('INVALID_ARGUMENT', `${name}: too many combinations of ${n} elements taken ${r}`);
      return;
    }
    for (let i = start; i < n; i++) {
      idx.push(i);
      walk(i + step);
      idx.pop();
    }
  };
  if (r > 0) walk(0);
  const count = r === 0 ? 0 : rows.length / r;
  return tidy(() => {
    const at = tensor(rows, { dtype: 'int64', device: x.device });
    return x.indexSelect(0, at).reshape(r === 0 ? [0] : [count, r]);
  });
}

/** The tensors (0-D to 2-D) on the diagonal of a block matrix, zeros elsewhere (torch.block_diag). @example blockDiag(a, b) */
export function blockDiag(...tensors: Tensor[]): Tensor {
  const name = 'blockDiag';
  const ts = tensorList(name, 'tensors', tensors);
  ts.forEach((t, i) => {
    if (t.ndim > 2) fail('SHAPE_MISMATCH', `${name}: tensors[${i}] must have at most 2 dims, got ${shapeText(t)}`);
  });
  if (ts.length === 0) return zeros([1, 0]);
  return tidy(() => {
    const ms = ts.map((t) => (t.ndim === 2 ? t : t.reshape([1, -1])));
    const C = ms.reduce((s, t) => s + t.shape[1], 0);
    let left = 0;
    const rows = ms.map((t) => {
      const parts: Tensor[] = [];
      const [r, c] = t.shape;
      if (left > 0) parts.push(zeros([r, left], { dtype: t.dtype, device: t.device }));
      parts.push(t);
      if (C - left - c > 0) parts.push(zeros([r, C - left - c], { dtype: t.dtype, device: t.device }));
      left += c;
      return cat(parts, 1);
    });
    return cat(rows, 0); // cat promotes the blocks' dtypes
  });
}

function triIndices(name: string, row: number, col: number, offset: number, lower: boolean): Tensor<'int64'> {
  const r = intAtLeast(name, 'row', row, 0),
    c = intAtLeast(name, 'col', col, 0),
    k = int(name, 'offset', offset);
  if (r * c > 2 ** 28) fail('INVALID_ARGUMENT', `${name}: a ${r} x ${c} matrix is too large (at most 2^28 elements)`);
  return tidy(() => {
    const rows = arange(r, { dtype: 'int64' }).reshape([r, 1]);
    const cols = arange(c, { dtype: 'int64' }).reshape([1, c]);
    const off = cols.sub(rows);
    // nonzero lists the kept positions row by row, as torch orders them.
    return (lower ? off.le(k) : off.ge(k)).nonzero().transpose(0, 1).contiguous() as Tensor<'int64'>;
  });
}
/** The [2, N] row and column indices of the lower triangle of a row x col matrix, on and below diagonal `offset` (torch.tril_indices). */
export function trilIndices(row: number, col: number, offset = 0): Tensor<'int64'> {
  return triIndices('trilIndices', row, col, offset, true);
}
/** The [2, N] row and column indices of the upper triangle, on and above diagonal `offset` (torch.triu_indices). */
export function triuIndices(row: number, col: number, offset = 0): Tensor<'int64'> {
  return triIndices('triuIndices', row, col, offset, false);
}
