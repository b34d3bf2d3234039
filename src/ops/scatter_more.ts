// torch's remaining scatter-style ops, composed of the native scatter (differentiable in both the
// tensor and the values written, as torch's): maskedScatter, indexReduce and put (with in-place
// forms), and the functional writes into a view, diagonalScatter, selectScatter and sliceScatter.
// The view writes find the flat positions of the view by taking the same view of an arange over
// the tensor's elements, then scatter the values there, so no in-place write into a view is needed.
import { tensorArg } from '../args.js';
import type { DType } from '../dtype.js';
import { fail, TensorError } from '../errors.js';
import { tidy } from '../memory.js';
import { checkOptions, describe, int } from '../options.js';
import { dimOf } from './shaping.js';
import { Tensor } from '../tensor.js';
import { arange } from './creation.js';
import type { ScatterReduceMode } from './indexing.js';

/** The reductions of indexReduce. */
export type IndexReduceMode = 'prod' | 'mean' | 'amax' | 'amin';

declare module '../tensor.js' {
  interface Tensor<D extends DType = DType> {
    /**
     * Copies source's elements, in order, into the positions where mask (broadcast to this) is true
     * (torch.masked_scatter). @example x.maskedScatter(x.lt(0), tk.zeros([n]))
     */
    maskedScatter(mask: Tensor, source: Tensor): Tensor<D>;
    /** In-place maskedScatter; returns this. */
    maskedScatter_(mask: Tensor, source: Tensor): this;
    /**
     * Reduces source's slices along dim into the slices index names ('prod', 'mean', 'amax',
     * 'amin'; with or without this tensor's values: includeSelf, default true) (torch.index_reduce).
     * @example x.indexReduce(0, idx, rows, 'amax')
     */
    indexReduce(
      dim: number,
      index: Tensor,
      source: Tensor,
      reduce: IndexReduceMode,
      options?: { includeSelf?: boolean },
    ): Tensor<D>;
    /** In-place indexReduce; returns this. */
    indexReduce_(...args: Parameters<Tensor['indexReduce']>): this;
    /**
     * Writes source's values at the flat (row-major) positions index names, negative counting from
     * the end; with accumulate, repeated positions add up (torch.Tensor.put). @example x.put(idx, vals)
     */
    put(index: Tensor, source: Tensor, accumulate?: boolean): Tensor<D>;
    /** In-place put; returns this. */
    put_(index: Tensor, source: Tensor, accumulate?: boolean): this;
  }
}

const proto = Tensor.prototype;

// Flat positions of every element of x, in x's shape (int64).
const positions = (x: Tensor) => arange(0, x.numel(), 1, { dtype: 'int64', device: x.device }).reshape(x.shape);

// Writes src (of exactly the view's shape) at the flat positions `at` of x.
function scatterAt(op: string, x: Tensor, at: Tensor, src: Tensor): Tensor {
  if (src.shape.join() !== at.shape.join())
    fail(
      'SHAPE_MISMATCH',
      `${op}: src must have the view's shape [${at.shape.join(', ')}], got [${src.shape.join(', ')}]`,
    );
  return x
    .reshape([-1])
    .scatter(0, at.reshape([-1]), src.to(x.dtype).reshape([-1]))
    .reshape(x.shape);
}

proto.maskedScatter = function <D extends DType>(this: Tensor<D>, mask: Tensor, source: Tensor) {
  const op = 'maskedScatter';
  const m = tensorArg(op, 'mask', mask),
    src = tensorArg(op, 'source', source);
  if (m.dtype !== 'bool') fail('DTYPE_MISMATCH', `${op}: the mask must be bool, got ${m.dtype}`);
  return tidy(() => {
    const full = m.expand(this.shape).reshape([-1]);
    const at = full.nonzero().reshape([-1]);
    const count = at.numel();
    if (src.numel() < count)
      fail('INVALID_ARGUMENT', `${op}: the mask selects ${count} elements, source has only ${src.numel()}`);
    return this.reshape([-1])
      .scatter(0, at, src.reshape([-1]).narrow(0, 0, count).to(this.dtype))
      .reshape(this.shape);
  }) as Tensor<D>;
};

proto.indexReduce = function <D extends DType>(
  this: Tensor<D>,
  dim: number,
  index: Tensor,
  source: Tensor,
  reduce: IndexReduceMode,
  options?: { includeSelf?: boolean },
) {
  const op = 'indexReduce';
  const idx = tensorArg(op, 'index', index),
    src = tensorArg(op, 'source', source);
  if (!['prod', 'mean', 'amax', 'amin'].includes(reduce as string))
    fail('INVALID_ARGUMENT', `${op}: reduce must be 'prod', 'mean', 'amax' or 'amin', got ${describe(reduce)}`);
  const d = dimOf(op, this, dim);
  if (idx.ndim !== 1) fail('SHAPE_MISMATCH', `${op}: index must be 1-D, got [${idx.shape.join(', ')}]`);
  if (src.ndim !== this.ndim || src.shape.some((s, i) => (i === d ? s !== idx.shape[0] : s !== this.shape[i])))
    fail(
      'SHAPE_MISMATCH',
      `${op}: source must be this tensor's shape with dim ${d} of size ${idx.shape[0]}, got [${src.shape.join(', ')}]`,
    );
  return tidy(() => {
    // each source slice's index, spread over the slice: scatterReduce's index
    const view = src.shape.map((s, i) => (i === d ? s : 1));
    const full = idx.reshape(view).expand(src.shape);
    return this.scatterReduce(d, full, src, reduce as ScatterReduceMode, options);
  }) as Tensor<D>;
};

proto.put = function <D extends DType>(this: Tensor<D>, index: Tensor, source: Tensor, accumulate = false) {
  const op = 'put';
  const idx = tensorArg(op, 'index', index),
    src = tensorArg(op, 'source', source);
  if (idx.dtype !== 'int64' && idx.dtype !== 'int32')
    fail('DTYPE_MISMATCH', `${op}: index must be an integer tensor, got ${idx.dtype}`);
  if (idx.numel() !== src.numel())
    fail('SHAPE_MISMATCH', `${op}: index and source must have as many elements, got ${idx.numel()} and ${src.numel()}`);
  if (typeof accumulate !== 'boolean')
    fail('INVALID_ARGUMENT', `${op}: accumulate must be a boolean, got ${describe(accumulate)}`);
  const n = this.numel();
  return tidy(() => {
    const flat = idx.reshape([-1]).to('int64');
    if (flat.numel() > 0 && (flat.min().item() < -n || flat.max().item() >= n))
      fail('INVALID_ARGUMENT', `${op}: an index is out of range for a tensor of ${n} elements`);
    const at = flat.add(flat.lt(0).to('int64').mul(n));
    const vals = src.reshape([-1]).to(this.dtype);
    const x = this.reshape([-1]);
    return (accumulate ? x.scatterAdd(0, at, vals) : x.scatter(0, at, vals)).reshape(this.shape);
  }) as Tensor<D>;
};

/**
 * input with its diagonal (offset, dim1, dim2 as Tensor.diagonal) replaced by src
 * (torch.diagonal_scatter). @example diagonalScatter(zeros([3, 3]), ones([3]))
 */
export function diagonalScatter(input: Tensor, src: Tensor, offset = 0, dim1 = 0, dim2 = 1): Tensor {
  const op = 'diagonalScatter';
  const x = tensorArg(op, 'input', input),
    s = tensorArg(op, 'src', src);
  return tidy(() => scatterAt(op, x, positions(x).diagonal(offset, dim1, dim2), s));
}
/** input with the slice at `index` along dim replaced by src (torch.select_scatter). */
export function selectScatter(input: Tensor, src: Tensor, dim: number, index: number): Tensor {
  const op = 'selectScatter';
  const x = tensorArg(op, 'input', input),
    s = tensorArg(op, 'src', src);
  return tidy(() => scatterAt(op, x, positions(x).select(dim, index), s));
}
/**
 * input with the slice start:end:step along dim replaced by src (torch.slice_scatter; end default
 * the dim's size). @example sliceScatter(zeros([8]), ones([4]), { start: 0, step: 2 })
 */
export function sliceScatter(
  input: Tensor,
  src: Tensor,
  options?: { dim?: number; start?: number | null; end?: number | null; step?: number },
): Tensor {
  const op = 'sliceScatter';
  const x = tensorArg(op, 'input', input),
    s = tensorArg(op, 'src', src);
  const o = checkOptions(op, options, { dim: 'integer', start: 'any', end: 'any', step: 'integer' });
  if (x.ndim === 0) fail('SHAPE_MISMATCH', `${op}: input must have at least 1 dim, got []`);
  const d = dimOf(op, x, o.dim ?? 0);
  const size = x.shape[d];
  const step = int(op, 'step', o.step ?? 1);
  if (step < 1) fail('INVALID_ARGUMENT', `${op}: step must be positive, got ${step}`);
  // Python's slice bounds: negative from the end, clamped to [0, size]
  const bound = (v: number | null | undefined, dflt: number) => {
    if (v === null || v === undefined) return dflt;
    const b = int(op, 'start/end', v);
    return Math.min(Math.max(b < 0 ? b + size : b, 0), size);
  };
  const start = bound(o.start, 0),
    end = Math.max(bound(o.end, size), start);
  return tidy(() => {
    const rows = arange(start, end, step, { dtype: 'int64', device: x.device });
    return scatterAt(op, x, positions(x).indexSelect(d, rows), s);
  });
}

// The storage position of each element of a (shape, strides, offset) view, as an int64 tensor.
function storagePositions(
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
  device: Tensor['device'],
) {
  let p: Tensor = arange(offset, offset + 1, { dtype: 'int64', device }).reshape([]);
  shape.forEach((n, i) => {
    const along = shape.map((_, j) => (j === i ? n : 1));
    p = p.add(arange(0, n, { dtype: 'int64', device }).mul(strides[i]).reshape(along));
  });
  return p.expand(shape);
}

/**
 * input with the elements `input.asStrided(size, stride, storageOffset)` reads replaced by src
 * (torch.as_strided_scatter). Positions are the storage's, as torch's: a transposed input is
 * written where its own asStrided view would read, and the result keeps input's layout order.
 * @example asStridedScatter(zeros([2, 3]), tensor([1, 2]), [2], [4]) // [[1, 0, 0], [0, 2, 0]]
 */
export function asStridedScatter(
  input: Tensor,
  src: Tensor,
  size: readonly number[],
  stride: readonly number[],
  storageOffset?: number,
): Tensor {
  const op = 'asStridedScatter';
  const x = tensorArg(op, 'input', input),
    s = tensorArg(op, 'src', src);
  return tidy(() => {
    let view: Tensor;
    try {
      view = x.detach().asStrided(size, stride, storageOffset); // checks the geometry against the storage
    } catch (e) {
      if (e instanceof TensorError) throw new TensorError(e.message.replace(/^(as_strided|asStrided)/, op), e.code);
      throw e;
    }
    if (s.shape.join() !== view.shape.join())
      fail(
        'SHAPE_MISMATCH',
        `${op}: src must have the view's shape [${view.shape.join(', ')}], got [${s.shape.join(', ')}]`,
      );
    const own = storagePositions(x.shape, x.stride(), x.storageOffset(), x.device).reshape([-1]);
    const at = storagePositions(view.shape, view.stride(), view.storageOffset(), x.device).reshape([-1]);
    if (own.numel() === 0) return x.clone();
    // Lay input out over the storage positions it reads, write src there, and read input's back.
    const len = Math.max(Number(own.max().item()), at.numel() ? Number(at.max().item()) : 0) + 1;
    const storage = x.newZeros([len]).scatter(0, own, x.reshape([-1]));
    return storage
      .scatter(0, at, s.to(x.dtype).reshape([-1]))
      .gather(0, own)
      .reshape(x.shape);
  });
}
