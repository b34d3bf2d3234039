// Creation functions: tensor, zeros, ones, full, arange, linspace, eye, rand, randn, randint,
// their *Like variants, and manualSeed/seed.
import { randomBytes } from 'node:crypto';

import { binding } from '../binding.js';
import { drawingFrom, type Generator } from './generator.js';
import { checkDType, type AnyTypedArray, type DType, type DeviceName } from '../dtype.js';
import { fail } from '../errors.js';
import { tensorArg } from '../args.js';
import { checkOptions, describe, int, list, num, shapeArgs } from '../options.js';
import { Tensor, wrap } from '../tensor.js';
import { op, type Attr, type OpName } from './dispatch.js';

/** Options of the creation functions; `D` is the dtype asked for (the result is a `Tensor<D>`). */
export interface CreateOptions<D extends DType = DType> {
  dtype?: D;
  device?: DeviceName;
  /** Make the result a leaf that records gradients (floating dtypes only). Default false. */
  requiresGrad?: boolean;
}
export interface TensorOptions<D extends DType = DType> extends CreateOptions<D> {
  /** Shape for flat data (a typed array or flat list); the default is the data's own nesting. */
  shape?: readonly number[];
}

/** Options of the random creation functions: CreateOptions and the stream to draw from. */
export interface RandomOptions<D extends DType = DType> extends CreateOptions<D> {
  /** Draw from this Generator instead of the global stream. */
  generator?: Generator;
}

const CREATE_SPEC = { dtype: 'string', device: 'string', requiresGrad: 'boolean' } as const;
const RANDOM_SPEC = { ...CREATE_SPEC, generator: 'any' } as const;

function createOpts(
  op: string,
  o: RandomOptions | undefined,
  spec: typeof RANDOM_SPEC | typeof CREATE_SPEC = CREATE_SPEC,
): RandomOptions {
  const r = checkOptions(op, o, spec);
  if (r.dtype !== undefined) checkDType(op, r.dtype);
  return r;
}

function make(name: OpName, attrs: Attr[], o: CreateOptions): Tensor {
  const t = op(name, attrs);
  return o.requiresGrad ? withGrad(t) : t;
}

// Sets requiresGrad on a new tensor, disposing it if that is refused (an integer dtype).
function withGrad(t: Tensor): Tensor {
  try {
    t.requiresGrad = true;
  } catch (e) {
    t.dispose();
    throw e;
  }
  return t;
}

type SizeArgs = (number | readonly number[] | CreateOptions | undefined)[];

// zeros([2, 3], opts) or zeros(2, 3) — torch accepts both forms.
function sizeAndOpts(
  op: string,
  args: SizeArgs,
  spec: typeof RANDOM_SPEC | typeof CREATE_SPEC = CREATE_SPEC,
): [number[], RandomOptions] {
  let opts: CreateOptions | undefined;
  let rest = args;
  const last = args[args.length - 1];
  if (last !== undefined && typeof last === 'object' && !Array.isArray(last)) {
    opts = last as CreateOptions;
    rest = args.slice(0, -1);
  } else if (last === undefined && args.length > 0) {
    rest = args.slice(0, -1);
  }
  return [shapeArgs(op, rest), createOpts(op, opts, spec)];
}

/** A tensor of zeros. @example zeros([2, 3]); zeros(2, 3, { dtype: 'int32' }) */
export function zeros<D extends DType = 'float32'>(shape: readonly number[], options?: CreateOptions<D>): Tensor<D>;
export function zeros<D extends DType = 'float32'>(
  ...sizeAndOptions: [...size: number[], options: CreateOptions<D>]
): Tensor<D>;
export function zeros(...size: number[]): Tensor<'float32'>;
export function zeros(...args: SizeArgs): Tensor {
  const [s, o] = sizeAndOpts('zeros', args);
  return make('zeros', [s, o.dtype, o.device], o);
}
/** A tensor of ones. @example ones([4]) */
export function ones<D extends DType = 'float32'>(shape: readonly number[], options?: CreateOptions<D>): Tensor<D>;
export function ones<D extends DType = 'float32'>(
  ...sizeAndOptions: [...size: number[], options: CreateOptions<D>]
): Tensor<D>;
export function ones(...size: number[]): Tensor<'float32'>;
export function ones(...args: SizeArgs): Tensor {
  const [s, o] = sizeAndOpts('ones', args);
  return make('ones', [s, o.dtype, o.device], o);
}
/** A tensor filled with `value` (float32 unless `dtype`; bool for a boolean value). @example full([2], 7) */
export function full<D extends DType>(
  shape: readonly number[],
  value: number | boolean,
  options: CreateOptions<D> & { dtype: D },
): Tensor<D>;
export function full(shape: readonly number[], value: boolean, options?: CreateOptions): Tensor<'bool'>;
export function full(shape: readonly number[], value: number, options?: CreateOptions): Tensor<'float32'>;
export function full(shape: readonly number[], value: number | boolean, options?: CreateOptions): Tensor;
export function full(shape: readonly number[], value: number | boolean, options?: CreateOptions): Tensor {
  const o = createOpts('full', options);
  if (typeof value !== 'number' && typeof value !== 'boolean')
    fail('INVALID_ARGUMENT', `full: value must be a number or boolean, got ${describe(value)}`);
  const s = shapeArgs('full', [list('full', 'shape', shape)]);
  return make('full', [s, Number(value), o.dtype ?? (typeof value === 'boolean' ? 'bool' : undefined), o.device], o);
}

/**
 * Values from start (inclusive) to end (exclusive) by step. int64 when all arguments are
 * integers (as in PyTorch), float32 otherwise.
 * @example arange(5) // [0, 1, 2, 3, 4];  arange(0, 1, 0.25) // [0, 0.25, 0.5, 0.75]
 */
export function arange<D extends DType>(end: number, options: CreateOptions<D> & { dtype: D }): Tensor<D>;
export function arange<D extends DType>(
  start: number,
  end: number,
  options: CreateOptions<D> & { dtype: D },
): Tensor<D>;
export function arange<D extends DType>(
  start: number,
  end: number,
  step: number,
  options: CreateOptions<D> & { dtype: D },
): Tensor<D>;
export function arange(end: number, options?: CreateOptions): Tensor<'int64' | 'float32'>;
export function arange(start: number, end: number, options?: CreateOptions): Tensor<'int64' | 'float32'>;
export function arange(start: number, end: number, step: number, options?: CreateOptions): Tensor<'int64' | 'float32'>;
export function arange(...args: (number | CreateOptions | undefined)[]): Tensor {
  const last = args[args.length - 1];
  const opts = last !== null && typeof last === 'object' ? (args.pop() as CreateOptions) : undefined;
  while (args.length && args[args.length - 1] === undefined) args.pop();
  const nums = args as number[];
  for (const n of nums)
    if (typeof n !== 'number') fail('INVALID_ARGUMENT', `arange: expected numbers, got ${describe(n)}`);
  if (nums.length < 1 || nums.length > 3)
    fail('INVALID_ARGUMENT', `arange: expected 1 to 3 numbers, got ${nums.length}`);
  const [start, end, step] = nums.length === 1 ? [0, nums[0], 1] : [nums[0], nums[1], nums[2] ?? 1];
  const o = createOpts('arange', opts);
  return make('arange', [start, end, step, o.dtype, o.device], o);
}

/** `steps` evenly spaced values from start to end inclusive. @example linspace(0, 1, 5) */
export function linspace<D extends DType = 'float32'>(
  start: number,
  end: number,
  steps: number,
  options?: CreateOptions<D>,
): Tensor<D>;
export function linspace(start: number, end: number, steps: number, options?: CreateOptions): Tensor {
  const o = createOpts('linspace', options);
  return make(
    'linspace',
    [num('linspace', 'start', start), num('linspace', 'end', end), int('linspace', 'steps', steps), o.dtype, o.device],
    o,
  );
}

/** The n x m identity (m defaults to n). @example eye(3) */
export function eye<D extends DType = 'float32'>(n: number, options?: CreateOptions<D>): Tensor<D>;
export function eye<D extends DType = 'float32'>(n: number, m?: number, options?: CreateOptions<D>): Tensor<D>;
export function eye(n: number, m?: number | CreateOptions, options?: CreateOptions): Tensor {
  if (m !== null && typeof m === 'object') [m, options] = [undefined, m];
  const o = createOpts('eye', options);
  return make('eye', [int('eye', 'n', n), m === undefined ? null : int('eye', 'm', m), o.dtype, o.device], o);
}

/** Uniform samples in [0, 1), reproducible after manualSeed() (or from a Generator). @example rand([2, 2]) */
export function rand<D extends DType = 'float32'>(shape: readonly number[], options?: RandomOptions<D>): Tensor<D>;
export function rand<D extends DType = 'float32'>(
  ...sizeAndOptions: [...size: number[], options: RandomOptions<D>]
): Tensor<D>;
export function rand(...size: number[]): Tensor<'float32'>;
export function rand(...args: SizeArgs): Tensor {
  const [s, o] = sizeAndOpts('rand', args, RANDOM_SPEC);
  return drawingFrom('rand', o.generator, () => make('rand', [s, o.dtype, o.device], o));
}
/** Standard normal samples. @example randn(3, 4) */
export function randn<D extends DType = 'float32'>(shape: readonly number[], options?: RandomOptions<D>): Tensor<D>;
export function randn<D extends DType = 'float32'>(
  ...sizeAndOptions: [...size: number[], options: RandomOptions<D>]
): Tensor<D>;
export function randn(...size: number[]): Tensor<'float32'>;
export function randn(...args: SizeArgs): Tensor {
  const [s, o] = sizeAndOpts('randn', args, RANDOM_SPEC);
  return drawingFrom('randn', o.generator, () => make('randn', [s, o.dtype, o.device], o));
}
/** Integers uniform in [low, high) (int64 by default). @example randint(0, 10, [5]) */
export function randint<D extends DType = 'int64'>(
  low: number,
  high: number,
  shape: readonly number[],
  options?: RandomOptions<D>,
): Tensor<D>;
export function randint(low: number, high: number, shape: readonly number[], options?: RandomOptions): Tensor {
  const s = shapeArgs('randint', [list('randint', 'shape', shape)]),
    o = createOpts('randint', options, RANDOM_SPEC);
  const attrs = [int('randint', 'low', low), int('randint', 'high', high), s, o.dtype, o.device];
  return drawingFrom('randint', o.generator, () => make('randint', attrs, o));
}

/** Seeds the random stream: the same seed gives the same rand/randn/randint results. @example manualSeed(42) */
export function manualSeed(seed: number | bigint): void {
  if (typeof seed === 'bigint') {
    if (seed < 0n || seed >= 1n << 64n)
      fail('INVALID_ARGUMENT', `manualSeed: a bigint seed must be in [0, 2^64), got ${describe(seed)}`);
  } else if (!Number.isSafeInteger(seed) || seed < 0)
    fail('INVALID_ARGUMENT', `manualSeed: expected a non-negative integer (or a bigint), got ${describe(seed)}`);
  binding.manualSeed(seed);
}
/**
 * Seeds the random stream from the operating system's entropy and returns that seed (torch.seed):
 * a fresh, non-reproducible stream that initialSeed() can report for later replay.
 * @example const s = seed(); ...; manualSeed(s) // replays the same draws
 */
export function seed(): bigint {
  const s = randomBytes(8).readBigUInt64LE(0);
  binding.manualSeed(s);
  return s;
}
/** The current seed. */
export function initialSeed(): bigint {
  return binding.initialSeed();
}

/** The random stream's whole state: its seed and how far it has been drawn. */
export interface RngState {
  seed: bigint;
  offset: bigint;
}
/** The random stream's state, to restore later with setRngState (torch.get_rng_state). @example const s = getRngState() */
export function getRngState(): RngState {
  const [seed, offset] = binding.getRngState();
  return { seed, offset };
}
/** Restores a state from getRngState: later draws repeat the ones made after it was taken. @example setRngState(s) */
export function setRngState(state: RngState): void {
  const ok = (v: unknown) => typeof v === 'bigint' && v >= 0n && v < 1n << 64n;
  if (state === null || typeof state !== 'object' || !ok(state.seed) || !ok(state.offset))
    fail(
      'INVALID_ARGUMENT',
      `setRngState: expected { seed: bigint, offset: bigint } from getRngState(), got ${describe(state)}`,
    );
  binding.setRngState(state.seed, state.offset);
}

// The options of a *Like function, defaulting to t's dtype and device (requiresGrad as given).
function likeOpts(op: string, t: Tensor, o: CreateOptions | undefined): CreateOptions {
  tensorArg(op, 'input', t);
  const r = createOpts(op, o);
  return { dtype: r.dtype ?? t.dtype, device: r.device ?? t.device, requiresGrad: r.requiresGrad };
}
/** zeros with t's shape, dtype and device. @example zerosLike(x) */
export function zerosLike<D extends DType, R extends DType = D>(t: Tensor<D>, options?: CreateOptions<R>): Tensor<R>;
export function zerosLike(t: Tensor, options?: CreateOptions): Tensor {
  const o = likeOpts('zerosLike', t, options);
  return zeros(t.shape, o);
}
/** ones with t's shape, dtype and device. */
export function onesLike<D extends DType, R extends DType = D>(t: Tensor<D>, options?: CreateOptions<R>): Tensor<R>;
export function onesLike(t: Tensor, options?: CreateOptions): Tensor {
  const o = likeOpts('onesLike', t, options);
  return ones(t.shape, o);
}
/** full with t's shape, dtype and device. */
export function fullLike<D extends DType, R extends DType = D>(
  t: Tensor<D>,
  value: number | boolean,
  options?: CreateOptions<R>,
): Tensor<R>;
export function fullLike(t: Tensor, value: number | boolean, options?: CreateOptions): Tensor {
  const o = likeOpts('fullLike', t, options);
  return full(t.shape, value, o);
}
/** rand with t's shape, dtype and device. */
export function randLike<D extends DType, R extends DType = D>(t: Tensor<D>, options?: CreateOptions<R>): Tensor<R>;
export function randLike(t: Tensor, options?: CreateOptions): Tensor {
  const o = likeOpts('randLike', t, options);
  return rand(t.shape, o);
}
/** randn with t's shape, dtype and device. */
export function randnLike<D extends DType, R extends DType = D>(t: Tensor<D>, options?: CreateOptions<R>): Tensor<R>;
export function randnLike(t: Tensor, options?: CreateOptions): Tensor {
  const o = likeOpts('randnLike', t, options);
  return randn(t.shape, o);
}
/** randint with t's shape and device (int64 unless dtype). */
export function randintLike<R extends DType = 'int64'>(
  t: Tensor,
  low: number,
  high: number,
  options?: CreateOptions<R>,
): Tensor<R>;
export function randintLike(t: Tensor, low: number, high: number, options?: CreateOptions): Tensor {
  const o = likeOpts('randintLike', t, options);
  return randint(low, high, t.shape, {
    dtype: options?.dtype ?? 'int64',
    device: o.device,
    requiresGrad: o.requiresGrad,
  });
}

// ---- tensor(data) ---------------------------------------------------------------------------------

/** A value or nested arrays of values of one kind. */
export type NestedOf<T> = T | readonly NestedOf<T>[];
// Nested arrays of any element kind, as tensor() walks them.
type Nested = NestedOf<number | boolean | bigint>;
/** What tensor() accepts: a number, boolean or bigint, nested arrays of them, a typed array or a Tensor. */
export type TensorData = NestedOf<number | boolean | bigint> | AnyTypedArray | ArrayLike<number> | Tensor;

/** Shape of a nested array (along its first elements); deeper than a tensor can be is an error. */
function inferShape(data: Nested): number[] {
  const shape: number[] = [];
  let cur: Nested = data;
  while (Array.isArray(cur)) {
    // Also stops an array that contains itself.
    if (shape.length === binding.maxDims)
      fail(
        'INVALID_ARGUMENT',
        `tensor: the nested array is more than ${binding.maxDims} levels deep (or contains itself); a tensor has at most ${binding.maxDims} dimensions`,
      );
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  return shape;
}

const INT_RANGE = { int32: [-(2 ** 31), 2 ** 31], int64: [-(2 ** 63), 2 ** 63] } as const;

// Values for an integer dtype must fit it (PyTorch: "value cannot be converted to type int64_t
// without overflow"); fractions truncate toward zero, as in PyTorch.
function checkIntegers(values: readonly (number | boolean | bigint)[], dtype: 'int32' | 'int64'): void {
  const [lo, hi] = INT_RANGE[dtype];
  for (const v of values) {
    const ok = typeof v === 'bigint' ? v >= BigInt(lo) && v < BigInt(hi) : Number(v) >= lo && Number(v) < hi;
    if (!ok) fail('INVALID_ARGUMENT', `tensor: value ${describe(v)} cannot be converted to ${dtype} without overflow`);
  }
}

function flatten(
  data: Nested,
  shape: number[],
): { values: (number | boolean | bigint)[]; kind: 'number' | 'boolean' | 'bigint' } {
  const values: (number | boolean | bigint)[] = [];
  let kind: 'number' | 'boolean' | 'bigint' | undefined;
  const walk = (v: Nested, dim: number, path: number[]) => {
    if (dim === shape.length) {
      const t = typeof v;
      if (t !== 'number' && t !== 'boolean' && t !== 'bigint')
        fail(
          'INVALID_ARGUMENT',
          `tensor: expected numbers, booleans or bigints, got ${describe(v)} at [${path.join(', ')}]`,
        );
      if (Array.isArray(v)) fail('INVALID_ARGUMENT', `tensor: ragged nested array: too deep at [${path.join(', ')}]`);
      if (kind === undefined || kind === 'boolean') kind = t as typeof kind;
      else if (t === 'number' && kind === 'bigint') kind = 'number';
      values.push(v as number | boolean | bigint);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim])
      fail(
        'INVALID_ARGUMENT',
        `tensor: ragged nested array: expected ${shape[dim]} elements at [${path.join(', ')}], got ${Array.isArray(v) ? v.length : describe(v)}`,
      );
    for (let i = 0; i < v.length; i++) walk(v[i], dim + 1, [...path, i]);
  };
  walk(data, 0, []);
  return { values, kind: kind ?? 'number' };
}

function fromTyped(
  arr: AnyTypedArray | Int8Array | Int16Array | Uint16Array | Uint8ClampedArray | Uint32Array,
  shape: readonly number[],
): Tensor {
  // Types the core has no dtype for are widened to one that holds their values.
  let src: AnyTypedArray;
  if (
    arr instanceof Float32Array ||
    arr instanceof Float64Array ||
    arr instanceof Int32Array ||
    arr instanceof BigInt64Array
  )
    src = arr;
  else if (arr instanceof Uint32Array) src = Float64Array.from(arr);
  else src = Int32Array.from(arr as ArrayLike<number>);
  return wrap(binding.fromData(src, [shape]));
}

/**
 * A tensor from a number, a boolean, nested arrays, or a typed array (a copy). JS numbers give
 * float32 unless `dtype` says otherwise (JS has no integer literals); booleans give bool; bigints
 * and BigInt64Array give int64; Int32Array gives int32; Float64Array gives float64.
 *
 * @example
 * tensor([[1, 2], [3, 4]]);                 // float32 [2, 2]
 * tensor([1, 2, 3], { dtype: 'int64' });
 * tensor(new Float32Array(6), { shape: [2, 3] });
 */
export function tensor<D extends DType>(data: TensorData, options: TensorOptions<D> & { dtype: D }): Tensor<D>;
export function tensor<D extends DType>(data: Tensor<D>, options?: TensorOptions<D>): Tensor<D>;
export function tensor(data: NestedOf<number> | Float32Array, options?: TensorOptions): Tensor<'float32'>;
export function tensor(data: NestedOf<boolean>, options?: TensorOptions): Tensor<'bool'>;
export function tensor(data: NestedOf<bigint> | BigInt64Array, options?: TensorOptions): Tensor<'int64'>;
export function tensor(data: Float64Array | Uint32Array, options?: TensorOptions): Tensor<'float64'>;
export function tensor(
  data: Int32Array | Int16Array | Int8Array | Uint16Array | Uint8Array | Uint8ClampedArray,
  options?: TensorOptions,
): Tensor<'int32'>;
export function tensor(data: TensorData, options?: TensorOptions): Tensor;
export function tensor(data: TensorData, options?: TensorOptions): Tensor {
  const o = checkOptions('tensor', options, {
    dtype: 'string',
    device: 'string',
    shape: 'dims',
    requiresGrad: 'boolean',
  });
  if (o.dtype !== undefined) checkDType('tensor', o.dtype);
  let t: Tensor;
  if (data instanceof Tensor) {
    const d = data.detach(); // a copy outside the graph, as torch.tensor(t)
    t = d.clone();
    d.dispose();
  } else if (ArrayBuffer.isView(data)) {
    if (data instanceof DataView) fail('INVALID_ARGUMENT', 'tensor: a DataView is not supported, pass a typed array');
    const arr = data as AnyTypedArray;
    const shape = o.shape !== undefined ? shapeArgs('tensor', [list('tensor', 'shape', o.shape)]) : [arr.length];
    if (o.dtype === 'bool' && arr instanceof Uint8Array) t = wrap(binding.fromData(arr, [shape]));
    else t = fromTyped(arr, shape);
  } else {
    if (data === null || data === undefined || (typeof data === 'object' && !Array.isArray(data)))
      fail(
        'INVALID_ARGUMENT',
        `tensor: expected a number, boolean, nested array or typed array, got ${describe(data)}`,
      );
    const nested = data as Nested;
    const shape = inferShape(nested);
    const { values, kind } = flatten(nested, shape);
    const finalShape = o.shape !== undefined ? shapeArgs('tensor', [list('tensor', 'shape', o.shape)]) : shape;
    const target = o.dtype ?? (kind === 'boolean' ? 'bool' : kind === 'bigint' ? 'int64' : 'float32');
    if (target === 'int32' || target === 'int64') checkIntegers(values, target);
    let arr: AnyTypedArray;
    if (kind === 'bigint' && (target === 'int64' || o.dtype === undefined))
      arr = BigInt64Array.from(values as bigint[], (v) => BigInt(v));
    else if (target === 'float32') arr = Float32Array.from(values, Number);
    else if (target === 'bool') arr = Uint8Array.from(values, (v) => (Number(v) !== 0 ? 1 : 0));
    else arr = Float64Array.from(values, Number); // converted natively (safe casts) below
    t = wrap(binding.fromData(arr, [finalShape]));
  }
  if (o.dtype !== undefined && t.dtype !== o.dtype) {
    const c = t.to(o.dtype);
    t.dispose();
    t = c;
  }
  if (o.device !== undefined && o.device !== 'cpu') {
    const c = t.to(o.device);
    t.dispose();
    t = c;
  }
  return o.requiresGrad ? withGrad(t) : t;
}
