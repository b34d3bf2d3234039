// Indexing as PyTorch's `x[...]`: basic indexing (integers, slices with steps, new axes, an
// ellipsis) as views, and advanced indexing (integer and boolean tensors) as one index_select;
// writes through the same selection (indexPut_), gather/scatter, masks, nonzero and take. Every
// read is made of differentiable ops, so gradients flow back through any selection.
import { fail } from '../errors.js';
import type { DType } from '../dtype.js';
import { tidy } from '../memory.js';
import { checkOptions, describe, int, oneOf, shapeArgs, str } from '../options.js';
import { op as callOp } from './dispatch.js';
import { arange, full, tensor } from './creation.js';
import { where } from './functional.js';
import { operand, Tensor, type Scalar } from '../tensor.js';

/** A slice `start:stop:step` (each part optional, negative counts from the end; step positive). */
export interface Slice {
  readonly start?: number | null;
  readonly stop?: number | null;
  readonly step?: number | null;
}

/**
 * One item of an index, as in PyTorch's `x[...]`:
 * - an integer (negative counts from the end) selects and removes a dimension;
 * - a slice string `':'`, `'1:'`, `':-1'`, `'::2'`, `'2:8:3'` or a {@link Slice} keeps it;
 * - `'...'` stands for as many `':'` as needed; `null` inserts a dimension of size 1;
 * - an integer tensor or `number[]` picks positions; a bool tensor or `boolean[]` is a mask.
 */
export type IndexItem = number | string | null | Slice | Tensor | readonly number[] | readonly boolean[];

/** A slice for `index` (`slice(1, null, 2)` is PyTorch's `1::2`). @example x.index([':', slice(0, 4, 2)]) */
export function slice(start?: number | null, stop?: number | null, step?: number | null): Slice {
  return { start, stop, step };
}

/** Scatter's reductions (`scatterReduce`). */
export type ScatterReduceMode = 'sum' | 'prod' | 'mean' | 'amax' | 'amin';

declare module '../tensor.js' {
  interface Tensor<D extends DType = DType> {
    /**
     * PyTorch's `x[items]`: integers, slices, `'...'`, `null`, integer and bool tensors (or
     * arrays). Pass one item, or an array of items (one per indexed dimension). Basic indexing
     * gives views; advanced indexing gives a copy. Differentiable.
     * @example
     * x.index([':', -1, ':'])   // x[:, -1, :]
     * x.index([':', [-1]])      // x[:, [-1]]  (keeps the dimension)
     * x.index(mask)             // x[mask]
     * x.index(['...', slice(null, null, 2)])
     */
    index(items: IndexItem | readonly IndexItem[]): Tensor<D>;
    /**
     * Writes `values` (broadcast) into the positions `index(items)` selects, in place; with
     * `accumulate`, adds instead (repeated positions add up). Returns this.
     * @example x.indexPut_([mask], 0); x.indexPut_([':', 0], tensor([1, 2]))
     */
    indexPut_(
      items: IndexItem | readonly IndexItem[],
      values: Tensor | Scalar,
      options?: { accumulate?: boolean },
    ): this;
    /** `out[p] = x[p with p[dim] = index[p]]` (torch.gather). @example x.gather(1, idx) */
    gather(dim: number, index: Tensor): Tensor<D>;
    /** A copy with `src` (or a number) written at `index` along dim (torch.scatter). @example zeros([3, 5]).scatter(1, idx, 1) */
    scatter(dim: number, index: Tensor, src: Tensor | Scalar): Tensor<D>;
    /** In-place scatter; returns this. */
    scatter_(dim: number, index: Tensor, src: Tensor | Scalar): this;
    /** A copy with `src` added at `index` along dim (repeated indices add up). */
    scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor<D>;
    /** In-place scatterAdd; returns this. */
    scatterAdd_(dim: number, index: Tensor, src: Tensor): this;
    /**
     * A copy with `src` reduced into the positions `index` names along dim, with or without the
     * existing values (torch.scatter_reduce). @example x.scatterReduce(0, idx, src, 'amax', { includeSelf: false })
     */
    scatterReduce(
      dim: number,
      index: Tensor,
      src: Tensor,
      reduce: ScatterReduceMode,
      options?: { includeSelf?: boolean },
    ): Tensor<D>;
    /** `value` where `mask` (bool, broadcast) is true, this elsewhere. @example scores.maskedFill(causal.logicalNot(), -Infinity) */
    maskedFill(mask: Tensor, value: Tensor | Scalar): Tensor<D>;
    /** In-place maskedFill; returns this. */
    maskedFill_(mask: Tensor, value: Tensor | Scalar): this;
    /** The elements where `mask` (broadcast) is true, as a 1-D tensor. @example x.maskedSelect(x.gt(0)) */
    maskedSelect(mask: Tensor): Tensor<D>;
    /** Positions of the non-zero elements: int64 [count, ndim] (or one 1-D tensor per dim with asTuple). */
    nonzero(): Tensor<'int64'>;
    /** With asTuple: one 1-D int64 tensor of positions per dimension (PyTorch's as_tuple=True). */
    nonzero(options: { asTuple: true }): Tensor<'int64'>[];
    /** Elements at flat positions (negative from the end), in index's shape (torch.take). @example x.take(tensor([0, -1])) */
    take(index: Tensor): Tensor<D>;
  }
}

type Item =
  | { kind: 'int'; i: number }
  | { kind: 'slice'; s: Slice }
  | { kind: 'new' }
  | { kind: 'ellipsis' }
  | { kind: 'tensor'; t: Tensor };

const SLICE_RE = /^\s*(-?\d+)?\s*:\s*(-?\d+)?\s*(?::\s*(-?\d+)?\s*)?$/;

function parseItem(op: string, v: unknown, made: Tensor[]): Item {
  if (typeof v === 'number') return { kind: 'int', i: int(op, 'index', v) };
  if (v === null) return { kind: 'new' };
  if (typeof v === 'string') {
    if (v.trim() === '...') return { kind: 'ellipsis' };
    const m = SLICE_RE.exec(v);
    if (!m) fail('INVALID_ARGUMENT', `${op}: ${describe(v)} is not a slice ('start:stop:step', ':' or '...')`);
    const n = (x: string | undefined) => (x === undefined ? null : Number(x));
    return { kind: 'slice', s: { start: n(m[1]), stop: n(m[2]), step: n(m[3]) } };
  }
  if (v instanceof Tensor) {
    if (v.dtype !== 'bool' && v.dtype !== 'int64' && v.dtype !== 'int32')
      fail('DTYPE_MISMATCH', `${op}: a tensor index must be int64, int32 or bool, got ${v.dtype}`);
    return { kind: 'tensor', t: v };
  }
  if (Array.isArray(v)) {
    const bools = v.length > 0 && v.every((x) => typeof x === 'boolean');
    const t = bools ? tensor(v as boolean[]) : tensor(v as number[], { dtype: 'int64' });
    made.push(t);
    return { kind: 'tensor', t };
  }
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const o = checkOptions(op, v as Slice, { start: 'any', stop: 'any', step: 'any' });
    for (const k of ['start', 'stop', 'step'] as const) if (o[k] != null) int(op, `slice ${k}`, o[k]);
    return { kind: 'slice', s: o };
  }
  return fail(
    'INVALID_ARGUMENT',
    `${op}: ${describe(v)} is not an index item (integer, slice, '...', null, tensor or array)`,
  );
}

// Python's slice.indices(): clamped start/stop for a dimension of `size`, with a positive step.
function bounds(op: string, s: Slice, size: number): { start: number; len: number; step: number } {
  const step = s.step ?? 1;
  if (step <= 0) fail('INVALID_ARGUMENT', `${op}: slice step must be positive, got ${step}`);
  const norm = (v: number | null | undefined, def: number) =>
    v == null ? def : v < 0 ? Math.max(0, v + size) : Math.min(v, size);
  const start = norm(s.start, 0),
    stop = norm(s.stop, size);
  return { start, step, len: stop > start ? Math.ceil((stop - start) / step) : 0 };
}

function asItems(op: string, items: unknown): unknown[] {
  if (Array.isArray(items)) {
    if (items.length > 64) fail('INVALID_ARGUMENT', `${op}: at most 64 index items, got ${items.length}`);
    return Array.from(items); // a sparse list's holes become undefined (refused by name), not skipped
  }
  return [items];
}

/** x[items]: basic items as views, then all advanced ones as one index_select. */
function indexImpl(x: Tensor, items: unknown): Tensor {
  const op = 'index';
  return tidy(() => {
    const made: Tensor[] = [];
    const parsed = asItems(op, items).map((v) => parseItem(op, v, made));
    const consumed = parsed.reduce(
      (n, it) =>
        n +
        (it.kind === 'int' || it.kind === 'slice'
          ? 1
          : it.kind === 'tensor'
            ? it.t.dtype === 'bool'
              ? Math.max(it.t.ndim, 1)
              : 1
            : 0),
      0,
    );
    const ellipses = parsed.filter((it) => it.kind === 'ellipsis').length;
    if (ellipses > 1) fail('INVALID_ARGUMENT', `${op}: an index can have only one ellipsis ('...')`);
    if (consumed > x.ndim)
      fail('INDEX_OUT_OF_RANGE', `${op}: too many indices for a tensor of dimension ${x.ndim} (${consumed} given)`);
    let y: Tensor = x;
    let d = 0;
    const adv: { dim: number; t: Tensor }[] = [];
    for (const it of parsed) {
      if (it.kind === 'ellipsis') d += x.ndim - consumed;
      else if (it.kind === 'new') y = y.unsqueeze(d++);
      else if (it.kind === 'int') {
        const size = y.shape[d];
        if (it.i < -size || it.i >= size)
          fail('INDEX_OUT_OF_RANGE', `${op}: index ${it.i} is out of range for dimension ${d} of size ${size}`);
        y = y.select(d, it.i < 0 ? it.i + size : it.i);
      } else if (it.kind === 'slice') {
        const b = bounds(op, it.s, y.shape[d]);
        y =
          b.step === 1
            ? y.narrow(d, b.start, b.len)
            : y.indexSelect(d, arange(b.start, b.start + b.step * b.len, b.step, { dtype: 'int64' }));
        d++;
      } else if (it.t.dtype === 'bool') {
        const k = Math.max(it.t.ndim, 1);
        const want = y.shape.slice(d, d + k);
        const m = it.t.ndim === 0 ? it.t.unsqueeze(0) : it.t;
        if (it.t.ndim === 0) {
          // x[True] adds a dim of 1, x[False] one of 0.
          y = y.unsqueeze(d);
          want.splice(0, want.length, 1);
        }
        if (m.shape.join() !== want.join())
          fail(
            'SHAPE_MISMATCH',
            `${op}: the mask [${m.shape.join(', ')}] does not match the indexed shape [${want.join(', ')}] at dimension ${d}`,
          );
        const nz = m.nonzero();
        for (let j = 0; j < k; j++) adv.push({ dim: d + j, t: nz.select(1, j) });
        d += k;
      } else {
        adv.push({ dim: d++, t: it.t });
      }
    }
    return adv.length === 0 ? (y === x ? x.view(x.shape) : y) : advanced(op, y, adv);
  });
}

// y indexed at dims adv[k].dim by the broadcast index tensors: those dims are moved to the front,
// flattened into one, selected with the combined linear index, and the result's index dims are
// put where PyTorch puts them (in place of the indexed dims when those are adjacent, else first).
function advanced(op: string, y: Tensor, adv: { dim: number; t: Tensor }[]): Tensor {
  const dims = adv.map((a) => a.dim);
  const sizes = dims.map((dm) => y.shape[dm]);
  const shapes = adv.map((a) => a.t.shape);
  const nd = Math.max(...shapes.map((s) => s.length));
  const bshape: number[] = [];
  for (let i = 0; i < nd; i++) {
    let v = 1;
    for (const s of shapes) {
      const e = s[s.length - nd + i] ?? 1;
      if (e !== 1 && v !== 1 && e !== v)
        fail(
          'SHAPE_MISMATCH',
          `${op}: index tensors of shapes ${shapes.map((s) => `[${s.join(', ')}]`).join(', ')} do not broadcast`,
        );
      if (e !== 1) v = e;
    }
    bshape.push(v);
  }
  checkIndexRanges(op, adv, sizes);
  let linear: Tensor | undefined;
  adv.forEach((a, k) => {
    const size = sizes[k];
    let t: Tensor = a.t.to('int64');
    // Negative positions count from the end (ranges were checked above).
    t = where(t.lt(0), t.add(size), t);
    const below = sizes.slice(k + 1).reduce((p, s) => p * s, 1);
    const part = below === 1 ? t : t.mul(below);
    linear = linear ? linear.add(part) : part;
  });
  const others = y.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const moved = y.permute([...dims, ...others]);
  const flat = moved.reshape([sizes.reduce((p, s) => p * s, 1), ...others.map((i) => y.shape[i])]);
  const lin = linear!.expand(bshape).reshape([-1]);
  const sel = flat.indexSelect(0, lin);
  const out = sel.reshape([...bshape, ...others.map((i) => y.shape[i])]);
  const adjacent = dims.every((dm, k) => k === 0 || dm === dims[k - 1] + 1);
  if (!adjacent || dims[0] === 0) return out;
  // Adjacent index dims after some others: the broadcast dims go where the first indexed dim was.
  const before = dims[0];
  const b = bshape.length;
  const order = [
    ...Array.from({ length: before }, (_, i) => b + i),
    ...Array.from({ length: b }, (_, i) => i),
    ...Array.from({ length: out.ndim - b - before }, (_, i) => b + before + i),
  ];
  return out.permute(order);
}

// Each index must be in [-size, size) of its own dim: checked here so an error names that dim,
// not the flattened one the combined index selects from.
function checkIndexRanges(op: string, adv: { dim: number; t: Tensor }[], sizes: number[]): void {
  adv.forEach((a, k) => {
    if (a.t.numel() === 0) return;
    const lo = a.t.min().item(),
      hi = a.t.max().item();
    if (lo < -sizes[k] || hi >= sizes[k])
      fail(
        'INDEX_OUT_OF_RANGE',
        `${op}: index ${hi >= sizes[k] ? hi : lo} is out of range for dimension ${a.dim} of size ${sizes[k]}`,
      );
  });
}

function tensorOf(op: string, name: string, v: unknown): Tensor {
  if (!(v instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: '${name}' must be a Tensor, got ${describe(v)}`);
  return v;
}

function scatterOp(
  x: Tensor,
  opName: string,
  dim: number,
  index: Tensor,
  src: Tensor | Scalar,
  reduce: string,
  includeSelf: boolean,
): Tensor {
  int(opName, 'dim', dim);
  tensorOf(opName, 'index', index);
  return callOp('scatter', [dim, reduce, includeSelf], x._h, index._h, operand(src, opName));
}

const proto = Tensor.prototype;

proto.index = function (this: Tensor, items: IndexItem | readonly IndexItem[]) {
  return indexImpl(this, items);
};

proto.indexPut_ = function <T extends Tensor>(
  this: T,
  items: IndexItem | readonly IndexItem[],
  values: Tensor | Scalar,
  options?: { accumulate?: boolean },
): T {
  const name = 'indexPut_';
  const accumulate = checkOptions(name, options, { accumulate: 'boolean' }).accumulate ?? false;
  operand(values, name);
  tidy(() => {
    // The flat positions the selection names, selected the same way as the values are.
    const pos = arange(this.numel(), { dtype: 'int64', device: this.device }).reshape(this.shape);
    const at = indexImpl(pos, items);
    const v =
      values instanceof Tensor
        ? values.to(this.dtype)
        : full(at.shape, values, { dtype: this.dtype, device: this.device });
    let vb: Tensor;
    try {
      vb = v.expand(at.shape);
    } catch {
      return fail(
        'SHAPE_MISMATCH',
        `${name}: values of shape [${v.shape.join(', ')}] do not broadcast to the selection [${at.shape.join(', ')}]`,
      );
    }
    const flat = this.reshape([-1]);
    // Without accumulate, a position named twice takes the last value, as PyTorch's CPU kernel.
    const out = accumulate
      ? flat.scatterAdd(0, at.reshape([-1]), vb.reshape([-1]))
      : flat.scatter(0, at.reshape([-1]), vb.reshape([-1]));
    this.copy_(out.reshape(this.shape));
  });
  return this;
};

proto.gather = function (this: Tensor, dim: number, index: Tensor) {
  const name = 'gather';
  return callOp('gather', [int(name, 'dim', dim)], this._h, tensorOf(name, 'index', index)._h);
};
proto.scatter = function (this: Tensor, dim: number, index: Tensor, src: Tensor | Scalar) {
  return scatterOp(this, 'scatter', dim, index, src, 'none', true);
};
proto.scatter_ = function <T extends Tensor>(this: T, dim: number, index: Tensor, src: Tensor | Scalar): T {
  const r = this.scatter(dim, index, src);
  this.copy_(r);
  r.dispose();
  return this;
};
proto.scatterAdd = function (this: Tensor, dim: number, index: Tensor, src: Tensor) {
  tensorOf('scatterAdd', 'src', src);
  return scatterOp(this, 'scatterAdd', dim, index, src, 'sum', true);
};
proto.scatterAdd_ = function <T extends Tensor>(this: T, dim: number, index: Tensor, src: Tensor): T {
  const r = this.scatterAdd(dim, index, src);
  this.copy_(r);
  r.dispose();
  return this;
};
proto.scatterReduce = function (
  this: Tensor,
  dim: number,
  index: Tensor,
  src: Tensor,
  reduce: ScatterReduceMode,
  options?: { includeSelf?: boolean },
) {
  const op = 'scatterReduce';
  tensorOf(op, 'src', src);
  const r = oneOf(op, 'reduce', reduce, ['sum', 'prod', 'mean', 'amax', 'amin'] as const);
  const includeSelf = checkOptions(op, options, { includeSelf: 'boolean' }).includeSelf ?? true;
  return scatterOp(this, op, dim, index, src, r, includeSelf);
};

proto.maskedFill = function (this: Tensor, mask: Tensor, value: Tensor | Scalar) {
  const op = 'maskedFill';
  tensorOf(op, 'mask', mask);
  if (mask.dtype !== 'bool')
    fail('DTYPE_MISMATCH', `${op}: the mask must be bool, got ${mask.dtype} (use x.gt(0) or .to('bool'))`);
  if (value instanceof Tensor && value.ndim !== 0)
    fail('SHAPE_MISMATCH', `${op}: value must be a number or a 0-D tensor, got shape [${value.shape.join(', ')}]`);
  operand(value, op);
  return tidy(() => {
    const v =
      value instanceof Tensor ? value.to(this.dtype) : full([], value, { dtype: this.dtype, device: this.device });
    const out = where(mask, v, this);
    if (out.shape.join() !== this.shape.join())
      fail(
        'SHAPE_MISMATCH',
        `${op}: the mask [${mask.shape.join(', ')}] does not broadcast to the tensor [${this.shape.join(', ')}]`,
      );
    return out;
  });
};
proto.maskedFill_ = function <T extends Tensor>(this: T, mask: Tensor, value: Tensor | Scalar): T {
  const r = this.maskedFill(mask, value);
  this.copy_(r);
  r.dispose();
  return this;
};
proto.maskedSelect = function (this: Tensor, mask: Tensor) {
  const op = 'maskedSelect';
  tensorOf(op, 'mask', mask);
  if (mask.dtype !== 'bool') fail('DTYPE_MISMATCH', `${op}: the mask must be bool, got ${mask.dtype}`);
  return tidy(() => {
    const shape = broadcastShape(op, this.shape, mask.shape);
    const flat = this.expand(shape).reshape([-1]);
    const at = mask.expand(shape).reshape([-1]).nonzero().reshape([-1]);
    return flat.indexSelect(0, at);
  });
};
proto.nonzero = function (this: Tensor, options?: { asTuple?: boolean }) {
  const asTuple = checkOptions('nonzero', options, { asTuple: 'boolean' }).asTuple ?? false;
  const nz = callOp<'int64'>('nonzero', undefined, this._h);
  if (!asTuple) return nz;
  const cols = Array.from({ length: Math.max(this.ndim, 1) }, (_, j) =>
    this.ndim === 0 ? nz.reshape([-1]) : nz.select(1, j).contiguous(),
  );
  nz.dispose();
  return cols;
} as Tensor['nonzero'];
proto.take = function (this: Tensor, index: Tensor) {
  const op = 'take';
  tensorOf(op, 'index', index);
  if (index.dtype !== 'int64' && index.dtype !== 'int32')
    fail('DTYPE_MISMATCH', `${op}: the index must be int64 or int32, got ${index.dtype}`);
  return tidy(() => {
    const n = this.numel();
    const i = index.to('int64');
    const flat = this.reshape([-1]).indexSelect(0, where(i.lt(0), i.add(n), i).reshape([-1]));
    return flat.reshape(index.shape);
  });
};

/** @internal The broadcast of two shapes (SHAPE_MISMATCH naming op when they do not broadcast). */
export function broadcastShape(op: string, a: readonly number[], b: readonly number[]): number[] {
  str('broadcastShape', 'op', op);
  a = shapeArgs(op, [a]);
  b = shapeArgs(op, [b]);
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1,
      y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1)
      fail('SHAPE_MISMATCH', `${op}: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}
