// The Tensor class: metadata on the JS object, one native reference, op methods in torch names.
import { recordFunction } from './profiler.js';
import { binding, type Attr, type Handle, type Operand } from './binding.js';
import { activeRecorder, op, opInPlace, opMulti } from './ops/dispatch.js';
import {
  checkDType,
  DTYPES,
  isDType,
  isHalf,
  ITEMSIZE,
  typedArrayOf,
  type Device,
  type DeviceName,
  type DType,
  type FloatDType,
  type FloatResult,
  type ItemFor,
  type NestedArray,
  type SumResult,
  type TypedArrayFor,
} from './dtype.js';
import { fail } from './errors.js';
import { formatTensor, tensorSuffixes } from './format.js';
import { track } from './memory.js';
import { checkOptions, describe, int, isClass, shapeArgs } from './options.js';
import {
  correctionOf,
  roundingModeOf,
  truncDivide,
  truncDivideInto,
  withAlpha,
  type AlphaOptions,
  type DivOptions,
} from './ops/arith_options.js';

export type { AlphaOptions, DivOptions };

const meta = binding.meta;
const SLOT = binding.metaSlot;

/** A number or boolean used where a tensor operand is expected (it broadcasts like a 0-dim tensor). */
export type Scalar = number | boolean;
/** A dimension or list of dimensions; negative values count from the end. */
export type Dims = number | readonly number[];

/** Options of the reductions. */
export interface KeepDim {
  /** Keep the reduced dimensions with size 1. Default false. */
  keepdim?: boolean;
}
/** Options of `var` and `std`. */
export interface VarOptions extends KeepDim {
  /** Subtracted from the element count in the denominator (1: Bessel's correction, the default). */
  correction?: number;
  /** torch's older spelling: true is correction 1, false is 0 (not together with `correction`). */
  unbiased?: boolean;
}
/** The target of `to()`: a dtype, a device or both. */
export interface ToOptions<D extends DType = DType> {
  dtype?: D;
  device?: DeviceName;
}

// The shape, dtype and device the binding wrote to a meta slot.
function wrapMeta(slot = 0): { shape: number[]; dtype: DType; device: Device } {
  const o = slot * SLOT;
  const nd = meta[o + 3];
  const shape: number[] = new Array(nd);
  for (let i = 0; i < nd; i++) shape[i] = meta[o + 4 + i];
  return { shape, dtype: DTYPES[meta[o]], device: meta[o + 1] === 0 ? 'cpu' : `cuda:${meta[o + 2]}` };
}

/** @internal The shape, dtype and device of a handle's tensor (read through meta slot 0). */
export function handleMeta(h: Handle): { shape: number[]; dtype: DType; device: Device } {
  binding.describe(h);
  return wrapMeta(0);
}

/** @internal Wraps the handle returned by the binding, reading its metadata from the meta slot. */
export function wrap(h: Handle, slot = 0): Tensor {
  const m = wrapMeta(slot);
  wrapping = true;
  try {
    return new Tensor(h, m.shape, m.dtype, m.device);
  } finally {
    wrapping = false;
  }
}
// Set while wrap() constructs: `new Tensor(...)` from anywhere else is refused, since a forged
// handle number would alias another tensor's memory.
let wrapping = false;

/**
 * @internal A contiguous CPU copy of t's elements as stored (16-bit floats as their bits). The buffer is
 * made here, not natively: `new ArrayBuffer` fails with a catchable RangeError, which becomes
 * OUT_OF_MEMORY, where a failed native allocation would end the process.
 */
export function readOut(t: Tensor, op: string): ArrayBuffer {
  const bytes = t.numel() * ITEMSIZE[t.dtype];
  let buf: ArrayBuffer;
  try {
    buf = new ArrayBuffer(bytes);
  } catch {
    fail(
      'OUT_OF_MEMORY',
      `${op}: cannot allocate ${bytes} bytes to copy out a ${t.dtype} tensor of shape [${t.shape.join(', ')}]`,
    );
  }
  binding.readInto(t._h, buf);
  activeRecorder()?.read(t._h, op);
  return buf;
}

export { fromHalfBits, fromStoredBytes, storedBytes } from './tensor_bytes.js';

/** @internal A tensor operand for the binding: a Tensor's handle or a JS scalar. */
export function operand(v: Tensor | Scalar, op: string): Operand {
  if (v instanceof Tensor) return v._h;
  if (typeof v === 'number' || typeof v === 'boolean') return [v];
  fail('INVALID_ARGUMENT', `${op}: expected a Tensor, number or boolean operand, got ${describe(v)}`);
}

function dimsOpt(op: string, dim: Dims | null | undefined): readonly number[] | number | null {
  if (dim === undefined || dim === null) return null;
  if (typeof dim === 'number') return int(op, 'dim', dim);
  if (!Array.isArray(dim))
    fail('INVALID_ARGUMENT', `${op}: 'dim' must be an integer or a list of integers, got ${describe(dim)}`);
  for (const d of dim) int(op, 'dim', d);
  return dim;
}

const REDUCE_OPTS = { keepdim: 'boolean' } as const;

// Post-accumulate gradient hooks: the id each hooked tensor is registered under natively, and per
// id the tensor (kept alive while hooked) with its hooks in registration order.
const postAccumulateIds = new WeakMap<Tensor, number>();
const postAccumulateHooks = new Map<number, { t: Tensor; fns: Array<(t: Tensor) => void> }>();
let nextPostAccumulateId = 1;
binding.setPostAccumulateDispatcher((id) => {
  const e = postAccumulateHooks.get(id);
  if (e) for (const f of [...e.fns]) f(e.t);
});

/**
 * An n-dimensional array on a device, with PyTorch's operations in camelCase.
 *
 * Metadata (`shape`, `dtype`, `device`) lives on the JS object; the elements live in native
 * memory, freed by `dispose()`, `tidy()`, `using`, or (as a safety net) garbage collection.
 *
 * @example
 * const x = tensor([[1, 2], [3, 4]]);
 * const y = x.matmul(x.T).add(1).relu();
 * console.log(y.toString(), y.shape);   // [2, 2]
 * y.dispose();
 *
 * `D` is the dtype when it is known statically (`tensor([1, 2])` is a `Tensor<'float32'>`, so its
 * `data()` is a `Float32Array`); a plain `Tensor` may hold any dtype.
 */
export class Tensor<D extends DType = DType> {
  /** @internal The native handle id (stale, reporting DISPOSED, after dispose()). */
  readonly _h: Handle;
  /** @internal The shape array; frozen on the first read of `shape`. */
  private _shape: readonly number[];
  /** @internal Whether _shape has been frozen. */
  private _shapeFrozen = false;
  /** Element type. */
  readonly dtype: D;
  /** 'cpu' or 'cuda:N'. */
  readonly device: Device;
  /** @internal */
  _disposed = false;
  /** @internal Set by keep(): no tidy() scope disposes it. */
  _kept = false;

  /** @internal Tensors are made by ops and creation functions, not by `new`. */
  constructor(h: Handle, shape: readonly number[], dtype: D, device: Device) {
    if (!wrapping)
      fail(
        'INVALID_ARGUMENT',
        'Tensor: tensors are made by ops and creation functions (tensor(), zeros(), randn(), ...), not by new Tensor()',
      );
    this._h = h;
    this._shape = shape;
    this.dtype = dtype;
    this.device = device;
    track(this);
  }

  /** @internal Lets tidy() recognise tensors without importing this module. */
  get __isTensor(): true {
    return true;
  }

  /**
   * Size of each dimension (a frozen array). @example zeros([2, 3]).shape // [2, 3]
   */
  get shape(): readonly number[] {
    // The native shape never changes under a tensor, so neither may this copy (numel, printing
    // and every JS-side check read it). Frozen lazily: Object.freeze costs more than a small op,
    // and most intermediate tensors never have their shape read.
    if (!this._shapeFrozen) {
      Object.freeze(this._shape);
      this._shapeFrozen = true;
    }
    return this._shape;
  }

  /** Number of dimensions. @example zeros([2, 3]).ndim // 2 */
  get ndim(): number {
    return this.shape.length;
  }
  /** Whether dispose() was called. */
  get isDisposed(): boolean {
    return this._disposed;
  }
  /** Number of elements. @example zeros([2, 3]).numel() // 6 */
  numel(): number {
    let n = 1;
    for (const d of this.shape) n *= d;
    return n;
  }
  /** The whole shape (torch's `size()`). @example zeros([2, 3]).size() // [2, 3] */
  size(): readonly number[];
  /** Size of one dimension; negative counts from the end. @example zeros([2, 3]).size(-1) // 3 */
  size(dim: number): number;
  size(dim?: number): number | readonly number[] {
    if (dim === undefined) return this.shape;
    const n = this.ndim;
    int('size', 'dim', dim);
    if (dim < -n || dim >= n)
      fail('INDEX_OUT_OF_RANGE', `size: dim out of range (expected in [${-n}, ${n - 1}]), got ${dim}`);
    return this.shape[dim < 0 ? dim + n : dim];
  }
  /** Strides in elements. @example zeros([2, 3]).stride() // [3, 1] */
  stride(): number[] {
    return binding.strides(this._h);
  }
  /** Offset of element 0 in the storage, in elements. */
  storageOffset(): number {
    return binding.storageOffset(this._h);
  }
  /** Whether the elements are laid out row-major without gaps. */
  isContiguous(): boolean {
    return binding.isContiguous(this._h);
  }

  /**
   * @internal `param.data = src` for a leaf: this tensor object now shares src's storage, dtype,
   * device and shape, keeps its requiresGrad flag, and loses its gradient. Module.to uses it so
   * that parameters keep their identity (optimizers made before the move still hold them).
   */
  _setData(src: Tensor): void {
    binding.setData(this._h, src._h);
    const fresh = wrapMeta();
    const self = this as { dtype: DType; device: Device };
    this._shape = fresh.shape;
    this._shapeFrozen = false;
    self.dtype = fresh.dtype;
    self.device = fresh.device;
  }

  /** Frees the native reference now. Idempotent; any later use throws `DISPOSED`. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    binding.free(this._h);
  }
  /** `using t = tensor(...)` disposes at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- autograd ------------------------------------------------------------------------------

  /**
   * Whether gradients flow to this tensor: set on leaves by the user, true for results of ops on
   * tensors that require grad (outside `noGrad`). Only floating tensors can require grad.
   * @example const w = randn([3, 2]); w.requiresGrad = true;
   */
  get requiresGrad(): boolean {
    return binding.requiresGrad(this._h);
  }
  /** Turns gradient recording on or off for this leaf (floating dtypes only). */
  set requiresGrad(on: boolean) {
    if (typeof on !== 'boolean') fail('INVALID_ARGUMENT', `requiresGrad: expected a boolean, got ${describe(on)}`);
    binding.setRequiresGrad(this._h, on);
  }
  /** Sets `requiresGrad` and returns this. @example const w = zeros([3]).requiresGrad_() */
  requiresGrad_(on = true): this {
    this.requiresGrad = on;
    return this;
  }
  /** True for tensors made by the user (or by ops outside the graph), false for recorded results. */
  get isLeaf(): boolean {
    return binding.isLeaf(this._h);
  }
  /** Name of the backward node that made this tensor ("MulBackward"), or null for a leaf. */
  get gradFn(): string | null {
    return binding.gradFn(this._h);
  }
  /**
   * The gradient accumulated by `backward()` (a new handle to it each time you read it), or null.
   * Assign null to clear it, or a tensor of the same shape, dtype and device.
   * @example loss.backward(); const g = w.grad!;
   */
  get grad(): Tensor<D> | null {
    const h = binding.grad(this._h);
    return h === null ? null : (wrap(h) as Tensor<D>);
  }
  /** Replaces the gradient (null clears it; a tensor must match shape, dtype and device). */
  set grad(g: Tensor | null) {
    if (g !== null && !(g instanceof Tensor))
      fail('INVALID_ARGUMENT', `grad: expected a Tensor or null, got ${describe(g)}`);
    binding.setGrad(this._h, g === null ? null : g._h);
  }
  /** Makes `backward()` fill `.grad` of this non-leaf too. @example h.retainGrad() */
  retainGrad(): void {
    binding.retainGrad(this._h);
  }
  /**
   * Calls `fn(this)` each time backward has accumulated this leaf's gradient into `.grad` (torch's
   * `register_post_accumulate_grad_hook`), while the rest of backward is still to run;
   * DistributedDataParallel launches its all-reduces from here. Only leaves that require grad.
   * @example const h = w.registerPostAccumulateGradHook((p) => console.log(p.grad)); loss.backward(); h.remove();
   */
  registerPostAccumulateGradHook(fn: (tensor: Tensor<D>) => void): {
    /** Unhooks `fn` (idempotent). */
    remove(): void;
  } {
    if (typeof fn !== 'function' || isClass(fn))
      fail('INVALID_ARGUMENT', `registerPostAccumulateGradHook: expected a function, got ${describe(fn)}`);
    let id = postAccumulateIds.get(this);
    if (id === undefined) {
      id = nextPostAccumulateId++;
      binding.setPostAccumulateHook(this._h, id);
      postAccumulateIds.set(this, id);
      postAccumulateHooks.set(id, { t: this, fns: [] });
    }
    const entry = postAccumulateHooks.get(id)!;
    const f = fn as (t: Tensor) => void;
    entry.fns.push(f);
    return {
      remove: () => {
        const i = entry.fns.indexOf(f);
        if (i < 0) return;
        entry.fns.splice(i, 1);
        if (entry.fns.length) return;
        postAccumulateHooks.delete(id);
        postAccumulateIds.delete(this);
        if (!this.isDisposed) binding.setPostAccumulateHook(this._h, null);
      },
    };
  }
  /** Whether `retainGrad()` was called on this non-leaf. */
  get retainsGrad(): boolean {
    return binding.retainsGrad(this._h);
  }
  /**
   * Computes the gradient of this tensor with respect to every leaf it depends on, summing it into
   * their `.grad`. A tensor with more than one element needs `gradient` (dL/dthis).
   * `retainGraph` keeps the graph's saved tensors for another backward; `createGraph` records the
   * backward itself, for higher-order derivatives.
   * @example const loss = x.mul(w).sum(); loss.backward(); w.grad // = x
   */
  backward(gradient?: Tensor | null, options?: BackwardOptions): void {
    const o = checkOptions('backward', options, BACKWARD_OPTS);
    if (gradient != null && !(gradient instanceof Tensor))
      fail('INVALID_ARGUMENT', `backward: gradient must be a Tensor, got ${describe(gradient)}`);
    const create = o.createGraph ?? false;
    const grads = [gradient?._h ?? null];
    recordFunction('autograd::backward', () => binding.backward([this._h], grads, o.retainGraph ?? create, create));
  }
  /**
   * The same data outside the graph: never requires grad, shares storage (in-place writes to it
   * are seen by saved tensors, and make backward throw).
   * @example const target = y.detach();
   */
  detach(): Tensor<D> {
    const h = binding.detach(this._h);
    activeRecorder()?.alias(this._h, h);
    return wrap(h) as Tensor<D>;
  }

  // ---- data out ------------------------------------------------------------------------------

  /**
   * A flat copy of the elements in row-major order: Float32Array, Float64Array, Int32Array,
   * BigInt64Array (int64) or Uint8Array (bool). float16 and bfloat16 read out as Float32Array
   * (exact: every 16-bit float is a float32).
   * The array type follows the dtype when it is known statically (`TypedArrayFor<D>`).
   * @example const v: Float32Array = tensor([[1, 2], [3, 4]]).data() // [1, 2, 3, 4]
   *
   * With `out` (a typed array of that type and exactly numel() elements, any offset in its
   * buffer), the elements are copied into it and it is returned: a loop that reads a result every
   * step reuses one array instead of allocating (and zeroing, and faulting in) a new one.
   * @example const buf = new Float32Array(y.numel()); y.data(buf)
   */
  data(out?: TypedArrayFor<D>): TypedArrayFor<D> {
    if (out !== undefined) return this.dataInto(out);
    if (isHalf(this.dtype)) {
      const f = this.to('float32');
      try {
        return f.data() as TypedArrayFor<D>;
      } finally {
        f.dispose();
      }
    }
    return typedArrayOf(this.dtype, readOut(this, 'data')) as TypedArrayFor<D>;
  }
  private dataInto(out: TypedArrayFor<D>): TypedArrayFor<D> {
    const op = 'data';
    const want = typedArrayOf(isHalf(this.dtype) ? 'float32' : this.dtype, new ArrayBuffer(0)).constructor;
    if (!ArrayBuffer.isView(out) || out.constructor !== want)
      fail('INVALID_ARGUMENT', `${op}: out must be a ${want.name} for a ${this.dtype} tensor, got ${describe(out)}`);
    const view = out as unknown as { length: number; buffer: ArrayBuffer; byteOffset: number };
    if (view.length !== this.numel())
      fail('SHAPE_MISMATCH', `${op}: out has ${view.length} elements, the tensor ${this.numel()}`);
    if (isHalf(this.dtype)) {
      const f = this.to('float32');
      try {
        return f.dataInto(out as never) as TypedArrayFor<D>;
      } finally {
        f.dispose();
      }
    }
    binding.readInto(this._h, view.buffer, view.byteOffset);
    activeRecorder()?.read(this._h, op);
    return out;
  }
  /** Nested arrays of numbers (booleans for bool). @example tensor([[1, 2]]).toArray() // [[1, 2]] */
  toArray(): NestedArray<ItemFor<D>> {
    const flat = this.data();
    const conv = (this.dtype === 'bool' ? (i: number) => flat[i] !== 0 : (i: number) => Number(flat[i])) as (
      i: number,
    ) => ItemFor<D>;
    if (this.ndim === 0) return conv(0);
    const build = (dim: number, off: number): NestedArray<ItemFor<D>>[] => {
      const n = this.shape[dim];
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = dim === this.ndim - 1 ? conv(off + i) : build(dim + 1, off + i * stride);
      return out;
    };
    return build(0, 0);
  }
  /** The value of a one-element tensor. @example tensor([3]).item() // 3 */
  item(): ItemFor<D> {
    const v = binding.item(this._h) as ItemFor<D>;
    activeRecorder()?.read(this._h, 'item');
    return v;
  }
  /** torch-like printing. @example console.log(String(tensor([1.5, 2]))) // tensor([1.5000, 2.0000]) */
  toString(): string {
    if (this._disposed) return 'tensor(<disposed>)';
    const flat = this.data();
    const values = flat instanceof BigInt64Array ? Array.from(flat, Number) : (flat as ArrayLike<number>);
    return formatTensor(values, this.shape, this.dtype, tensorSuffixes(this));
  }
  /** @internal console.log shows the printed tensor. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  // ---- element-wise binary ---------------------------------------------------------------------

  /**
   * Element-wise sum with broadcasting; `alpha` scales `other` first (torch's add).
   * @example tensor([1, 2]).add(10) // [11, 12]; w.add(g, { alpha: -0.1 }) is w - 0.1 g
   */
  add<F extends FloatDType>(this: Tensor<F>, other: Tensor<F> | Scalar, options?: AlphaOptions): Tensor<F>;
  add(other: Tensor | Scalar, options?: AlphaOptions): Tensor;
  add(other: Tensor | Scalar, options?: AlphaOptions): Tensor {
    if (options !== undefined) return withAlpha('add', this, other, options, (o) => this.add(o));
    return op('add', undefined, this._h, operand(other, 'add'));
  }
  /** Element-wise difference; `alpha` scales `other` first. @example tensor([3, 4]).sub(1) // [2, 3] */
  sub<F extends FloatDType>(this: Tensor<F>, other: Tensor<F> | Scalar, options?: AlphaOptions): Tensor<F>;
  sub(other: Tensor | Scalar, options?: AlphaOptions): Tensor;
  sub(other: Tensor | Scalar, options?: AlphaOptions): Tensor {
    if (options !== undefined) return withAlpha('sub', this, other, options, (o) => this.sub(o));
    return op('sub', undefined, this._h, operand(other, 'sub'));
  }
  /** Element-wise product. @example tensor([1, 2]).mul(tensor([3, 4])) // [3, 8] */
  mul<F extends FloatDType>(this: Tensor<F>, other: Tensor<F> | Scalar): Tensor<F>;
  mul(other: Tensor | Scalar): Tensor;
  mul(other: Tensor | Scalar): Tensor {
    return op('mul', undefined, this._h, operand(other, 'mul'));
  }
  /**
   * True division (integers divide as float32); with `roundingMode` 'floor' (floorDivide) or
   * 'trunc' the quotient is rounded and integers stay integers, as torch's div.
   * @example tensor([1, 2]).div(2) // [0.5, 1]; tensor([-7]).div(2, { roundingMode: 'floor' }) // [-4]
   */
  div<F extends FloatDType>(this: Tensor<F>, other: Tensor<F> | Scalar, options?: DivOptions): Tensor<F>;
  div(other: Tensor | Scalar, options?: DivOptions): Tensor;
  div(other: Tensor | Scalar, options?: DivOptions): Tensor {
    if (options !== undefined) {
      const mode = roundingModeOf('div', options);
      if (mode === 'floor') return this.floorDivide(other);
      if (mode === 'trunc') return truncDivide(this, other);
    }
    return op('div', undefined, this._h, operand(other, 'div'));
  }
  /** Element-wise power. @example tensor([2, 3]).pow(2) // [4, 9] */
  pow<F extends FloatDType>(this: Tensor<F>, exponent: Tensor<F> | Scalar): Tensor<F>;
  pow(exponent: Tensor | Scalar): Tensor;
  pow(exponent: Tensor | Scalar): Tensor {
    return op('pow', undefined, this._h, operand(exponent, 'pow'));
  }
  /** Element-wise maximum (NaN propagates). @example tensor([1, 5]).maximum(3) // [3, 5] */
  maximum<F extends FloatDType>(this: Tensor<F>, other: Tensor<F> | Scalar): Tensor<F>;
  maximum(other: Tensor | Scalar): Tensor;
  maximum(other: Tensor | Scalar): Tensor {
    return op('maximum', undefined, this._h, operand(other, 'maximum'));
  }
  /** Element-wise minimum (NaN propagates). @example tensor([1, 5]).minimum(3) // [1, 3] */
  minimum<F extends FloatDType>(this: Tensor<F>, other: Tensor<F> | Scalar): Tensor<F>;
  minimum(other: Tensor | Scalar): Tensor;
  minimum(other: Tensor | Scalar): Tensor {
    return op('minimum', undefined, this._h, operand(other, 'minimum'));
  }
  /** `==` as a bool tensor. @example tensor([1, 2]).eq(2) // [false, true] */
  eq(other: Tensor | Scalar): Tensor<'bool'> {
    return op('eq', undefined, this._h, operand(other, 'eq'));
  }
  /** `!=` as a bool tensor. */
  ne(other: Tensor | Scalar): Tensor<'bool'> {
    return op('ne', undefined, this._h, operand(other, 'ne'));
  }
  /** `<` as a bool tensor. */
  lt(other: Tensor | Scalar): Tensor<'bool'> {
    return op('lt', undefined, this._h, operand(other, 'lt'));
  }
  /** `<=` as a bool tensor. */
  le(other: Tensor | Scalar): Tensor<'bool'> {
    return op('le', undefined, this._h, operand(other, 'le'));
  }
  /** `>` as a bool tensor. */
  gt(other: Tensor | Scalar): Tensor<'bool'> {
    return op('gt', undefined, this._h, operand(other, 'gt'));
  }
  /** `>=` as a bool tensor. */
  ge(other: Tensor | Scalar): Tensor<'bool'> {
    return op('ge', undefined, this._h, operand(other, 'ge'));
  }

  /** In-place add (`alpha` as add's); returns this. @example w.add_(g, { alpha: -0.1 }) */
  add_(other: Tensor | Scalar, options?: AlphaOptions): this {
    if (options !== undefined) return withAlpha('add_', this, other, options, (o) => this.add_(o));
    opInPlace('add_', undefined, this._h, operand(other, 'add_'));
    return this;
  }
  /** In-place subtract (`alpha` as sub's); returns this. */
  sub_(other: Tensor | Scalar, options?: AlphaOptions): this {
    if (options !== undefined) return withAlpha('sub_', this, other, options, (o) => this.sub_(o));
    opInPlace('sub_', undefined, this._h, operand(other, 'sub_'));
    return this;
  }
  /** In-place multiply; returns this. */
  mul_(other: Tensor | Scalar): this {
    opInPlace('mul_', undefined, this._h, operand(other, 'mul_'));
    return this;
  }
  /** In-place divide; returns this (float tensors only, unless rounded as div's `roundingMode`). */
  div_(other: Tensor | Scalar, options?: DivOptions): this {
    if (options !== undefined) {
      const mode = roundingModeOf('div_', options);
      if (mode === 'floor') return this.floorDivide_(other);
      if (mode === 'trunc') return truncDivideInto(this, other);
    }
    opInPlace('div_', undefined, this._h, operand(other, 'div_'));
    return this;
  }
  /** In-place power; returns this. */
  pow_(exponent: Tensor | Scalar): this {
    opInPlace('pow_', undefined, this._h, operand(exponent, 'pow_'));
    return this;
  }

  // ---- element-wise unary ----------------------------------------------------------------------

  /** -x. */ neg(): Tensor<D> {
    return op('neg', undefined, this._h);
  }
  /** |x|. */ abs(): Tensor<D> {
    return op('abs', undefined, this._h);
  }
  /** e^x (integers compute in float32). */ exp(): Tensor<FloatResult<D>> {
    return op('exp', undefined, this._h);
  }
  /** Natural logarithm. */ log(): Tensor<FloatResult<D>> {
    return op('log', undefined, this._h);
  }
  /** log(1 + x), accurate for small x. @example tensor([1e-10]).log1p() // [1e-10] */ log1p(): Tensor<FloatResult<D>> {
    return op('log1p', undefined, this._h);
  }
  /** Square root. */ sqrt(): Tensor<FloatResult<D>> {
    return op('sqrt', undefined, this._h);
  }
  /** 1 / sqrt(x). */ rsqrt(): Tensor<FloatResult<D>> {
    return op('rsqrt', undefined, this._h);
  }
  /** Sine. */ sin(): Tensor<FloatResult<D>> {
    return op('sin', undefined, this._h);
  }
  /** Cosine. */ cos(): Tensor<FloatResult<D>> {
    return op('cos', undefined, this._h);
  }
  /** max(x, 0). @example tensor([-1, 2]).relu() // [0, 2] */ relu(): Tensor<D> {
    return op('relu', undefined, this._h);
  }
  /** 1 / (1 + e^-x). */ sigmoid(): Tensor<FloatResult<D>> {
    return op('sigmoid', undefined, this._h);
  }
  /** Hyperbolic tangent. */ tanh(): Tensor<FloatResult<D>> {
    return op('tanh', undefined, this._h);
  }
  /** GELU, exact erf form. */ gelu(): Tensor<FloatResult<D>> {
    return op('gelu', undefined, this._h);
  }
  /** The error function. @example tensor([0, 1]).erf() // [0, 0.8427] */ erf(): Tensor<FloatResult<D>> {
    return op('erf', undefined, this._h);
  }
  /**
   * Clamps into [min, max]; either bound may be null, and either may be a tensor (broadcast,
   * as maximum/minimum).
   * @example tensor([-2, 0, 2]).clamp(-1, 1) // [-1, 0, 1]
   */
  clamp(min?: number | Tensor | null, max?: number | Tensor | null): Tensor<D> {
    if (min instanceof Tensor || max instanceof Tensor) {
      if (min == null && max == null) fail('INVALID_ARGUMENT', 'clamp: give min or max');
      const lo = min == null ? this : this.maximum(min);
      const hi = max == null ? lo : lo.minimum(max);
      if (lo !== this && hi !== lo) lo.dispose();
      return (hi === this ? this.clone() : hi) as Tensor<D>;
    }
    return op('clamp', clampAttrs('clamp', min, max), this._h);
  }

  /** In-place -x. */ neg_(): this {
    opInPlace('neg_', undefined, this._h);
    return this;
  }
  /** In-place |x|. */ abs_(): this {
    opInPlace('abs_', undefined, this._h);
    return this;
  }
  /** In-place e^x. */ exp_(): this {
    opInPlace('exp_', undefined, this._h);
    return this;
  }
  /** In-place log. */ log_(): this {
    opInPlace('log_', undefined, this._h);
    return this;
  }
  /** In-place log1p. */ log1p_(): this {
    opInPlace('log1p_', undefined, this._h);
    return this;
  }
  /** In-place sqrt. */ sqrt_(): this {
    opInPlace('sqrt_', undefined, this._h);
    return this;
  }
  /** In-place rsqrt. */ rsqrt_(): this {
    opInPlace('rsqrt_', undefined, this._h);
    return this;
  }
  /** In-place sine. */ sin_(): this {
    opInPlace('sin_', undefined, this._h);
    return this;
  }
  /** In-place cosine. */ cos_(): this {
    opInPlace('cos_', undefined, this._h);
    return this;
  }
  /** In-place relu. */ relu_(): this {
    opInPlace('relu_', undefined, this._h);
    return this;
  }
  /** In-place sigmoid. */ sigmoid_(): this {
    opInPlace('sigmoid_', undefined, this._h);
    return this;
  }
  /** In-place tanh. */ tanh_(): this {
    opInPlace('tanh_', undefined, this._h);
    return this;
  }
  /** In-place erf. */ erf_(): this {
    opInPlace('erf_', undefined, this._h);
    return this;
  }
  /** In-place clamp. */
  clamp_(min?: number | null, max?: number | null): this {
    opInPlace('clamp_', clampAttrs('clamp_', min, max), this._h);
    return this;
  }
  /** Fills with `value` in place. @example zeros([3]).fill_(7) */
  fill_(value: number | boolean): this {
    if (typeof value !== 'number' && typeof value !== 'boolean')
      fail('INVALID_ARGUMENT', `fill_: expected a number, got ${describe(value)}`);
    opInPlace('fill_', [Number(value)], this._h);
    return this;
  }
  /** Fills with zeros in place. */
  zero_(): this {
    opInPlace('zero_', undefined, this._h);
    return this;
  }
  /** Copies `src` (broadcast, converted) into this tensor. @example a.copy_(b) */
  copy_(src: Tensor | Scalar): this {
    opInPlace('copy_', undefined, this._h, operand(src, 'copy_'));
    return this;
  }

  // ---- reductions --------------------------------------------------------------------------------

  /** Sum over all or the given dims (integers sum as int64). @example x.sum(1, { keepdim: true }) */
  sum(dim?: Dims | null, options?: KeepDim): Tensor<SumResult<D>> {
    return op('sum', [dimsOpt('sum', dim), checkOptions('sum', options, REDUCE_OPTS).keepdim], this._h);
  }
  /** Mean over all or the given dims (floating tensors). @example x.mean(0) */
  mean(dim?: Dims | null, options?: KeepDim): Tensor<D> {
    return op('mean', [dimsOpt('mean', dim), checkOptions('mean', options, REDUCE_OPTS).keepdim], this._h);
  }
  /** Largest value over all or the given dims (values only; see maxWithIndices). @example x.max(1) */
  max(dim?: Dims | null, options?: KeepDim): Tensor<D> {
    return op('max', [dimsOpt('max', dim), checkOptions('max', options, REDUCE_OPTS).keepdim], this._h);
  }
  /** Smallest value over all or the given dims. @example x.min() */
  min(dim?: Dims | null, options?: KeepDim): Tensor<D> {
    return op('min', [dimsOpt('min', dim), checkOptions('min', options, REDUCE_OPTS).keepdim], this._h);
  }
  /** PyTorch's `max(dim)` pair. @example const { values, indices } = x.maxWithIndices(1) */
  maxWithIndices(dim: number, options?: KeepDim): { values: Tensor<D>; indices: Tensor<'int64'> } {
    return withIndices('max_with_indices', 'maxWithIndices', this, dim, options);
  }
  /** PyTorch's `min(dim)` pair. */
  minWithIndices(dim: number, options?: KeepDim): { values: Tensor<D>; indices: Tensor<'int64'> } {
    return withIndices('min_with_indices', 'minWithIndices', this, dim, options);
  }
  /** Index of the largest value (first on ties) over a dim or the flattened tensor. @example x.argmax(1) */
  argmax(dim?: number | null, options?: KeepDim): Tensor<'int64'> {
    return op(
      'argmax',
      [dim == null ? null : int('argmax', 'dim', dim), checkOptions('argmax', options, REDUCE_OPTS).keepdim],
      this._h,
    );
  }
  /** Index of the smallest value. */
  argmin(dim?: number | null, options?: KeepDim): Tensor<'int64'> {
    return op(
      'argmin',
      [dim == null ? null : int('argmin', 'dim', dim), checkOptions('argmin', options, REDUCE_OPTS).keepdim],
      this._h,
    );
  }
  /** Variance (correction 1 by default). @example x.var(0, { correction: 0 }) */
  var(dim?: Dims | null, options?: VarOptions): Tensor<D> {
    const o = checkOptions('var', options, { keepdim: 'boolean', correction: 'number', unbiased: 'boolean' });
    return op('var', [dimsOpt('var', dim), correctionOf('var', o), o.keepdim], this._h);
  }
  /** Standard deviation (correction 1 by default). */
  std(dim?: Dims | null, options?: VarOptions): Tensor<D> {
    const o = checkOptions('std', options, { keepdim: 'boolean', correction: 'number', unbiased: 'boolean' });
    return op('std', [dimsOpt('std', dim), correctionOf('std', o), o.keepdim], this._h);
  }
  /** Softmax along `dim`, computed stably. @example logits.softmax(-1) */
  softmax(dim: number): Tensor<FloatResult<D>> {
    return op('softmax', [int('softmax', 'dim', dim)], this._h);
  }
  /** log(softmax(x)) along `dim`, computed stably. */
  logSoftmax(dim: number): Tensor<FloatResult<D>> {
    return op('log_softmax', [int('logSoftmax', 'dim', dim)], this._h);
  }
  /** Running sum along `dim` (integers as int64). @example tensor([1, 2, 3]).cumsum(0) // [1, 3, 6] */
  cumsum(dim: number): Tensor<SumResult<D>> {
    return op('cumsum', [int('cumsum', 'dim', dim)], this._h);
  }
  /**
   * Positions that sort the elements along `dim` (default last), ascending unless `descending`.
   * Stable: equal values keep their order; NaN sorts as the largest value.
   * @example tensor([3, 1, 2]).argsort() // [1, 2, 0]
   */
  argsort(dim = -1, options?: { descending?: boolean }): Tensor<'int64'> {
    const o = checkOptions('argsort', options, { descending: 'boolean' });
    return op('argsort', [int('argsort', 'dim', dim), o.descending ?? false], this._h);
  }
  /**
   * The slices at `index` (a 0-D or 1-D integer tensor) along `dim`; differentiable in `this`.
   * @example x.indexSelect(0, tensor([2, 0], { dtype: 'int64' }))
   */
  indexSelect(dim: number, index: Tensor): Tensor<D> {
    if (!(index instanceof Tensor))
      fail('INVALID_ARGUMENT', `indexSelect: the index must be a Tensor, got ${describe(index)}`);
    return op('index_select', [int('indexSelect', 'dim', dim)], this._h, index._h);
  }
  /**
   * Occurrences of each value of a 1-D non-negative integer tensor (or the sum of `weights` at
   * each value): length max(max + 1, minlength). torch.bincount.
   * @example tensor([0, 2, 2], { dtype: 'int64' }).bincount() // [1, 0, 2]
   */
  bincount(options?: { weights?: Tensor; minlength?: number }): Tensor {
    const o = checkOptions('bincount', options, { weights: 'any', minlength: 'integer' });
    const attrs = [int('bincount', 'minlength', o.minlength ?? 0)];
    if (o.weights === undefined) return op('bincount', attrs, this._h);
    if (!(o.weights instanceof Tensor))
      fail('INVALID_ARGUMENT', `bincount: weights must be a Tensor, got ${describe(o.weights)}`);
    return op('bincount', attrs, this._h, o.weights._h);
  }

  // ---- views and movement ------------------------------------------------------------------------

  /** Same elements, new shape (a view when possible, else a copy); one size may be -1. @example x.reshape(2, -1) */
  reshape(...shape: (number | readonly number[])[]): Tensor<D> {
    return op('reshape', [shapeArgs('reshape', shape)], this._h);
  }
  /** Like reshape, but always a view (errors when the strides do not allow one). */
  view(...shape: (number | readonly number[])[]): Tensor<D> {
    return op('view', [shapeArgs('view', shape)], this._h);
  }
  /** Swaps two dims (a view). @example x.transpose(0, 1) */
  transpose(dim0: number, dim1: number): Tensor<D> {
    return op('transpose', [int('transpose', 'dim0', dim0), int('transpose', 'dim1', dim1)], this._h);
  }
  /** Transpose of a tensor with at most 2 dims. @example m.t() */
  t(): Tensor<D> {
    if (this.ndim > 2) fail('INVALID_ARGUMENT', `t: expects a tensor with <= 2 dimensions, got ${this.ndim}`);
    return this.ndim < 2 ? this.view(this.shape) : this.transpose(0, 1);
  }
  /** Transpose with reversed dims (PyTorch's `.T`). */
  get T(): Tensor<D> {
    return this.permute([...this.shape.keys()].reverse());
  }
  /** Reorders dims (a view). @example x.permute(2, 0, 1) */
  permute(...dims: (number | readonly number[])[]): Tensor<D> {
    return op('permute', [shapeArgs('permute', dims)], this._h);
  }
  /** Broadcasts size-1 dims to larger sizes without copying (-1 keeps a size). @example x.expand(4, -1) */
  expand(...shape: (number | readonly number[])[]): Tensor<D> {
    return op('expand', [shapeArgs('expand', shape)], this._h);
  }
  /** expand to another tensor's shape. */
  expandAs(other: Tensor): Tensor<D> {
    if (!(other instanceof Tensor))
      fail('INVALID_ARGUMENT', `expandAs: 'other' must be a Tensor, got ${describe(other)}`);
    return this.expand(other.shape);
  }
  /** Removes size-1 dims (all, or the given ones). @example zeros([1, 3, 1]).squeeze() // [3] */
  squeeze(dim?: Dims | null): Tensor<D> {
    return op('squeeze', [dimsOpt('squeeze', dim)], this._h);
  }
  /** Inserts a size-1 dim. @example zeros([3]).unsqueeze(0) // [1, 3] */
  unsqueeze(dim: number): Tensor<D> {
    return op('unsqueeze', [int('unsqueeze', 'dim', dim)], this._h);
  }
  /** Merges dims startDim..endDim into one. @example zeros([2, 3, 4]).flatten(1) // [2, 12] */
  flatten(startDim = 0, endDim = -1): Tensor<D> {
    return op('flatten', [int('flatten', 'startDim', startDim), int('flatten', 'endDim', endDim)], this._h);
  }
  /** Elements start..start+length along dim (a view). @example x.narrow(0, 1, 2) */
  narrow(dim: number, start: number, length: number): Tensor<D> {
    return op(
      'narrow',
      [int('narrow', 'dim', dim), int('narrow', 'start', start), int('narrow', 'length', length)],
      this._h,
    );
  }
  /** The slice at `index` along dim, which is removed (a view). @example x.select(0, -1) */
  select(dim: number, index: number): Tensor<D> {
    return op('select', [int('select', 'dim', dim), int('select', 'index', index)], this._h);
  }
  /** A row-major copy, or this tensor's data when already contiguous. */
  contiguous(): Tensor<D> {
    return op('contiguous', undefined, this._h);
  }
  /** A copy with its own storage. */
  clone(): Tensor<D> {
    return op('clone', undefined, this._h);
  }
  /**
   * Converts dtype and/or moves to a device (no copy when nothing changes).
   * @example x.to('float64'); x.to('cuda'); x.to({ dtype: 'int32', device: 'cpu' })
   */
  to<T extends DType>(dtype: T): Tensor<T>;
  to(device: DeviceName): Tensor<D>;
  to<T extends DType = D>(options: ToOptions<T>): Tensor<T>;
  to(target: DType | DeviceName | ToOptions): Tensor;
  to(target: DType | DeviceName | ToOptions): Tensor {
    let dtype: DType | undefined;
    let device: string | undefined;
    if (typeof target === 'string') {
      if (isDType(target)) dtype = target;
      else device = target;
    } else {
      const o = checkOptions('to', target, { dtype: 'string', device: 'string' });
      if (o.dtype !== undefined) dtype = checkDType('to', o.dtype);
      device = o.device;
    }
    // Each step returns a new handle (an alias when nothing changes), never `this` itself, so
    // disposing the result never disposes the source.
    let out = device !== undefined ? op('to_device', [device], this._h) : undefined;
    if (dtype !== undefined || out === undefined) {
      const next = op('to_dtype', [dtype ?? this.dtype], (out ?? this)._h);
      out?.dispose();
      out = next;
    }
    return out;
  }
  /** Same as `to('cpu')`. */
  cpu(): Tensor<D> {
    return this.to('cpu');
  }
  /** Same as `to('cuda')` (or `cuda:N`). */
  cuda(index = 0): Tensor<D> {
    return this.to(`cuda:${int('cuda', 'index', index)}`);
  }

  // ---- linear algebra ------------------------------------------------------------------------------

  /** Inner product of two 1-D tensors. @example tensor([1, 2]).dot(tensor([3, 4])) // 11 */
  dot<F extends FloatDType>(this: Tensor<F>, other: Tensor<F>): Tensor<F>;
  dot(other: Tensor): Tensor;
  dot(other: Tensor): Tensor {
    return op('dot', undefined, this._h, operand(other, 'dot'));
  }
  /** Matrix product with PyTorch's 1-D and batch-broadcasting rules. @example a.matmul(b) */
  matmul<F extends FloatDType>(this: Tensor<F>, other: Tensor<F>): Tensor<F>;
  matmul(other: Tensor): Tensor;
  matmul(other: Tensor): Tensor {
    return op('matmul', undefined, this._h, operand(other, 'matmul'));
  }
  /** Matrix-vector product: this [n, m] @ vec [m] -> [n]. @example eye(2).mv(tensor([3, 4])) */
  mv<F extends FloatDType>(this: Tensor<F>, vec: Tensor<F>): Tensor<F>;
  mv(vec: Tensor): Tensor;
  mv(vec: Tensor): Tensor {
    return op('mv', undefined, this._h, operand(vec, 'mv'));
  }
  /** Batched matrix product without broadcasting: [B, n, m] @ [B, m, p] -> [B, n, p]. @example a.bmm(b) */
  bmm<F extends FloatDType>(this: Tensor<F>, other: Tensor<F>): Tensor<F>;
  bmm(other: Tensor): Tensor;
  bmm(other: Tensor): Tensor {
    return op('bmm', undefined, this._h, operand(other, 'bmm'));
  }
  /**
   * `beta * this + alpha * (mat1 @ mat2)`, this broadcast to [n, p] (torch.addmm). With beta 0,
   * this is ignored (NaN in it does not propagate).
   * @example bias.addmm(x, w) // x @ w + bias
   */
  addmm<F extends FloatDType>(
    this: Tensor<F>,
    mat1: Tensor<F>,
    mat2: Tensor<F>,
    options?: { beta?: number; alpha?: number },
  ): Tensor<F>;
  addmm(mat1: Tensor, mat2: Tensor, options?: { beta?: number; alpha?: number }): Tensor;
  addmm(mat1: Tensor, mat2: Tensor, options?: { beta?: number; alpha?: number }): Tensor {
    const o = checkOptions('addmm', options, ADDMM_OPTS);
    return op('addmm', [o.beta ?? 1, o.alpha ?? 1], this._h, operand(mat1, 'addmm'), operand(mat2, 'addmm'));
  }
}

const ADDMM_OPTS = { beta: 'number', alpha: 'number' } as const;
const BACKWARD_OPTS = { retainGraph: 'boolean', createGraph: 'boolean' } as const;

/** Options of `backward()`. */
export interface BackwardOptions {
  /** Keep the graph's saved tensors so backward can run through it again. Default: createGraph. */
  retainGraph?: boolean;
  /** Record the backward pass, so the gradients are themselves differentiable. Default false. */
  createGraph?: boolean;
}

function clampAttrs(op: string, min: number | null | undefined, max: number | null | undefined): Attr[] {
  for (const [n, v] of [
    ['min', min],
    ['max', max],
  ] as const)
    if (v !== undefined && v !== null && typeof v !== 'number')
      fail('INVALID_ARGUMENT', `${op}: '${n}' must be a number, got ${describe(v)}`);
  return [min ?? null, max ?? null];
}

function withIndices<D extends DType>(
  name: 'max_with_indices' | 'min_with_indices',
  opName: string,
  x: Tensor<D>,
  dim: number,
  options?: KeepDim,
): { values: Tensor<D>; indices: Tensor<'int64'> } {
  const [values, indices] = opMulti(
    name,
    [int(opName, 'dim', dim), checkOptions(opName, options, REDUCE_OPTS).keepdim],
    x._h,
  );
  return { values: values as Tensor<D>, indices: indices as Tensor<'int64'> };
}
