// Shape and layout ops built from views and index_select: split/chunk/unbind, repeat/tile/
// repeatInterleave, flip, roll, tril/triu, diag, the *As forms, and the free meshgrid. All are
// differentiable through the ops they are made of.
import { fail } from '../errors.js';
import type { DType } from '../dtype.js';
import { tidy } from '../memory.js';
import { checkOptions, describe, int, intAtLeast, list, oneOf } from '../options.js';
import { arange, tensor, zeros } from './creation.js';
import { where } from './functional.js';
import { Tensor } from '../tensor.js';

declare module '../tensor.js' {
  interface Tensor<D extends DType = DType> {
    /**
     * Pieces of `splitSize` along dim (the last may be smaller), or of the listed sizes.
     * Views. @example const [q, k, v] = qkv.split(nEmbd, 2)
     */
    split(splitSize: number | readonly number[], dim?: number): Tensor<D>[];
    /** `chunks` nearly equal pieces along dim (views; fewer if the size is small). @example x.chunk(3, -1) */
    chunk(chunks: number, dim?: number): Tensor<D>[];
    /** The slices along dim, that dim removed (views). @example const [a, b] = pair.unbind() */
    unbind(dim?: number): Tensor<D>[];
    /** Copies repeated `sizes` times per dim (leading sizes add dims). @example x.repeat(2, 1) */
    repeat(...sizes: (number | readonly number[])[]): Tensor<D>;
    /** `repeat` with `reps` aligned to the last dims (torch.tile). @example x.tile([2]) */
    tile(reps: readonly number[]): Tensor<D>;
    /** Each element (or slice along dim) repeated `repeats` times in place. @example tensor([1, 2]).repeatInterleave(2) // [1, 1, 2, 2] */
    repeatInterleave(repeats: number | Tensor, dim?: number): Tensor<D>;
    /** Reverses the order along dims. @example x.flip(0) */
    flip(dims: number | readonly number[]): Tensor<D>;
    /** Shifts elements along dims, wrapping around (flattened when no dims). @example x.roll(1, 0) */
    roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor<D>;
    /** The lower triangle of the last two dims (elements above diagonal k zeroed). @example ones([3, 3]).tril() */
    tril(diagonal?: number): Tensor<D>;
    /** The upper triangle of the last two dims (elements below diagonal k zeroed). */
    triu(diagonal?: number): Tensor<D>;
    /** 1-D: a square matrix with this on diagonal k; 2-D: diagonal k as 1-D. @example tensor([1, 2]).diag() */
    diag(diagonal?: number): Tensor<D>;
    /** A view with other's shape. */
    viewAs(other: Tensor): Tensor<D>;
    /** This reshaped to other's shape. */
    reshapeAs(other: Tensor): Tensor<D>;
    /** This broadcast to other's shape (a view). */
    expandAs(other: Tensor): Tensor<D>;
  }
}

/** @internal dim checked against x (a 0-D tensor has one dim for this purpose) and made non-negative. */
export function dimOf(op: string, x: Tensor, dim: unknown): number {
  const d = int(op, 'dim', dim);
  const n = Math.max(x.ndim, 1);
  if (d < -n || d >= n)
    fail('INDEX_OUT_OF_RANGE', `${op}: dim ${d} is out of range for a tensor of dimension ${x.ndim}`);
  return d < 0 ? d + n : d;
}

function tensorOf(op: string, name: string, v: unknown): Tensor {
  if (!(v instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: '${name}' must be a Tensor, got ${describe(v)}`);
  return v;
}

// index_select along d with the given positions (a copy; differentiable).
function pick(x: Tensor, d: number, positions: number[]): Tensor {
  return tidy(() => x.indexSelect(d, tensor(positions, { dtype: 'int64' })));
}

const proto = Tensor.prototype;

proto.split = function (this: Tensor, splitSize: number | readonly number[], dim = 0) {
  const op = 'split';
  const d = dimOf(op, this, dim);
  const size = this.shape[d];
  let sizes: number[];
  if (typeof splitSize === 'number') {
    const s = intAtLeast(op, 'splitSize', splitSize, 1);
    sizes = Array.from({ length: Math.max(1, Math.ceil(size / s)) }, (_, i) => Math.min(s, size - i * s));
  } else {
    sizes = list(op, 'splitSize', splitSize, 1 << 20).map((s) => intAtLeast(op, 'splitSize', s, 0));
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== size)
      fail(
        'SHAPE_MISMATCH',
        `${op}: sizes ${describe(splitSize)} sum to ${total}, but dimension ${d} has size ${size}`,
      );
  }
  let start = 0;
  return sizes.map((s) => {
    const v = this.narrow(d, start, s);
    start += s;
    return v;
  });
};
proto.chunk = function (this: Tensor, chunks: number, dim = 0) {
  const op = 'chunk';
  const n = intAtLeast(op, 'chunks', chunks, 1);
  const d = dimOf(op, this, dim);
  return this.split(Math.max(1, Math.ceil(this.shape[d] / n)), d);
};
proto.unbind = function (this: Tensor, dim = 0) {
  const d = dimOf('unbind', this, dim);
  return Array.from({ length: this.shape[d] }, (_, i) => this.select(d, i));
};
proto.repeat = function (this: Tensor, ...sizes: (number | readonly number[])[]) {
  const op = 'repeat';
  const reps = (sizes.length === 1 && Array.isArray(sizes[0]) ? (sizes[0] as number[]) : (sizes as number[])).map((r) =>
    intAtLeast(op, 'repeats', r, 0),
  );
  if (reps.length < this.ndim)
    fail('INVALID_ARGUMENT', `${op}: give at least one repeat count per dimension (${this.ndim}), got ${reps.length}`);
  return tidy(() => {
    const shape = [...Array(reps.length - this.ndim).fill(1), ...this.shape];
    // [s0, s1] -> [1, s0, 1, s1] -> expand [r0, s0, r1, s1] -> [r0*s0, r1*s1]
    const inter = shape.flatMap((s) => [1, s]);
    const big = shape.flatMap((s, i) => [reps[i], s]);
    return this.reshape(inter)
      .expand(big)
      .reshape(shape.map((s, i) => s * reps[i]));
  });
};
proto.tile = function (this: Tensor, reps: readonly number[]) {
  const r = list('tile', 'reps', reps, 64) as number[];
  return this.repeat([...Array(Math.max(0, this.ndim - r.length)).fill(1), ...r]);
};
proto.repeatInterleave = function (this: Tensor, repeats: number | Tensor, dim?: number) {
  const op = 'repeatInterleave';
  const x = dim === undefined ? this.reshape([-1]) : this;
  const d = dim === undefined ? 0 : dimOf(op, this, dim);
  const size = x.shape[d];
  let counts: number[];
  if (typeof repeats === 'number') counts = Array(size).fill(intAtLeast(op, 'repeats', repeats, 0));
  else {
    tensorOf(op, 'repeats', repeats);
    if (repeats.dtype !== 'int64' && repeats.dtype !== 'int32')
      fail('DTYPE_MISMATCH', `${op}: repeats must be an integer tensor, got ${repeats.dtype}`);
    counts = repeats.toArray() as number[] | number as number[];
    if (!Array.isArray(counts)) counts = Array(size).fill(counts);
    if (counts.length !== size)
      fail('SHAPE_MISMATCH', `${op}: repeats has ${counts.length} entries, dimension ${d} has size ${size}`);
    counts.forEach((c) => intAtLeast(op, 'repeats', c, 0));
  }
  const total = counts.reduce((a, c) => a + c, 0);
  // The index list is built in JS: a hostile count must be an error, not an out-of-memory abort.
  if (total > 2 ** 26)
    fail(
      'INVALID_ARGUMENT',
      `${op}: the repeats add up to ${total} positions along dimension ${d}, over the limit of 2^26`,
    );
  const positions = counts.flatMap((c, i) => Array(c).fill(i) as number[]);
  const out = pick(x, d, positions);
  if (x !== this) x.dispose();
  return out;
};
proto.flip = function (this: Tensor, dims: number | readonly number[]) {
  const op = 'flip';
  const ds = (typeof dims === 'number' ? [dims] : list(op, 'dims', dims, 64)).map((d) => dimOf(op, this, d));
  if (new Set(ds).size !== ds.length) fail('INVALID_ARGUMENT', `${op}: dims ${describe(dims)} repeat a dimension`);
  return tidy(() => {
    // A 0-D tensor has nothing to reverse: a copy, as PyTorch.
    let y: Tensor = this;
    if (this.ndim > 0)
      for (const d of ds)
        y = pick(
          y,
          d,
          Array.from({ length: this.shape[d] }, (_, i) => this.shape[d] - 1 - i),
        );
    return y === this ? this.clone() : y;
  });
};
proto.roll = function (this: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]) {
  const op = 'roll';
  const sh = (typeof shifts === 'number' ? [shifts] : list(op, 'shifts', shifts, 64)).map((s) => int(op, 'shifts', s));
  if (dims === undefined) {
    if (sh.length !== 1) fail('INVALID_ARGUMENT', `${op}: without dims, give one shift, got ${sh.length}`);
    return tidy(() => this.reshape([-1]).roll(sh[0], 0).reshape(this.shape));
  }
  const ds = (typeof dims === 'number' ? [dims] : list(op, 'dims', dims, 64)).map((d) => dimOf(op, this, d));
  if (ds.length !== sh.length) fail('INVALID_ARGUMENT', `${op}: ${sh.length} shifts for ${ds.length} dims`);
  return tidy(() => {
    let y: Tensor = this;
    ds.forEach((d, k) => {
      const n = this.shape[d];
      if (n === 0) return;
      const s = ((sh[k] % n) + n) % n;
      y = pick(
        y,
        d,
        Array.from({ length: n }, (_, i) => (i - s + n) % n),
      );
    });
    return y === this ? this.clone() : y;
  });
};

// Rows and columns of the last two dims compared with diagonal k: keep where col - row <= k (tril).
function triangle(x: Tensor, op: string, k: number, lower: boolean): Tensor {
  int(op, 'diagonal', k);
  if (x.ndim < 2) fail('SHAPE_MISMATCH', `${op}: expected at least 2 dims, got [${x.shape.join(', ')}]`);
  return tidy(() => {
    const [r, c] = x.shape.slice(-2);
    const rows = arange(r, { dtype: 'int64', device: x.device }).reshape([r, 1]);
    const cols = arange(c, { dtype: 'int64', device: x.device }).reshape([1, c]);
    const off = cols.sub(rows);
    const keep = lower ? off.le(k) : off.ge(k);
    return where(keep, x, zeros([], { dtype: x.dtype, device: x.device }));
  });
}
proto.tril = function (this: Tensor, diagonal = 0) {
  return triangle(this, 'tril', diagonal, true);
};
proto.triu = function (this: Tensor, diagonal = 0) {
  return triangle(this, 'triu', diagonal, false);
};
proto.diag = function (this: Tensor, diagonal = 0) {
  const op = 'diag';
  const k = int(op, 'diagonal', diagonal);
  if (this.ndim === 1) {
    const n = this.shape[0] + Math.abs(k);
    return tidy(() => {
      const flat = zeros([n * n], { dtype: this.dtype, device: this.device });
      const at = Array.from({ length: this.shape[0] }, (_, i) => (k >= 0 ? i * n + i + k : (i - k) * n + i));
      return flat.scatter(0, tensor(at, { dtype: 'int64' }), this).reshape([n, n]);
    });
  }
  if (this.ndim !== 2) fail('SHAPE_MISMATCH', `${op}: expected a 1-D or 2-D tensor, got [${this.shape.join(', ')}]`);
  const [r, c] = this.shape;
  const len = Math.max(0, k >= 0 ? Math.min(r, c - k) : Math.min(r + k, c));
  const at = Array.from({ length: len }, (_, i) => (k >= 0 ? i * c + i + k : (i - k) * c + i));
  return tidy(() => pick(this.reshape([-1]), 0, at));
};
proto.viewAs = function (this: Tensor, other: Tensor) {
  return this.view(tensorOf('viewAs', 'other', other).shape);
};
proto.reshapeAs = function (this: Tensor, other: Tensor) {
  return this.reshape(tensorOf('reshapeAs', 'other', other).shape);
};
proto.expandAs = function (this: Tensor, other: Tensor) {
  return this.expand(tensorOf('expandAs', 'other', other).shape);
};

/**
 * Coordinate grids from 1-D tensors (torch.meshgrid): 'ij' indexing (default) gives [n0, n1, ...]
 * grids; 'xy' swaps the first two. Views. @example const [gy, gx] = meshgrid([arange(3), arange(4)])
 */
export function meshgrid(tensors: readonly Tensor[], options?: { indexing?: 'ij' | 'xy' }): Tensor[] {
  const op = 'meshgrid';
  const ts = list(op, 'tensors', tensors, 64).map((t, i) => tensorOf(op, `tensors[${i}]`, t));
  const o = checkOptions(op, options, { indexing: 'string' });
  const indexing = oneOf(op, 'indexing', o.indexing ?? 'ij', ['ij', 'xy'] as const);
  ts.forEach((t, i) => {
    if (t.ndim > 1) fail('SHAPE_MISMATCH', `${op}: tensors[${i}] must be 0-D or 1-D, got [${t.shape.join(', ')}]`);
  });
  const sizes = ts.map((t) => t.numel());
  const swap = indexing === 'xy' && ts.length >= 2;
  const order = ts.map((_, i) => i);
  if (swap) [order[0], order[1]] = [order[1], order[0]];
  const shape = order.map((i) => sizes[i]);
  return ts.map((t, i) => {
    const at = order.indexOf(i);
    const view = shape.map((s, j) => (j === at ? s : 1));
    return tidy(() => t.reshape(view).expand(shape));
  });
}
