// PlainTensor: a typed array plus a shape, with no native code behind it. The `plain` kernels
// are naive loops over these — the test oracle, and the "without a framework" baseline.
import { checkDType, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { describe, list } from '../options.js';

/**
 * int64 values are held as integral numbers in a Float64Array (exact up to 2^53); float16 and
 * bfloat16 values in a Float32Array, rounded to the 16-bit format on every write (castValue).
 */
export type PlainArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export class PlainTensor {
  constructor(
    readonly data: PlainArray,
    readonly shape: readonly number[],
    readonly dtype: DType,
  ) {
    checkDType('PlainTensor', dtype);
    if (!(data instanceof ARRAY_OF[dtype]))
      fail(
        'INVALID_ARGUMENT',
        `PlainTensor: ${dtype} values are held in a ${ARRAY_OF[dtype].name}, got ${describe(data)}`,
      );
    plainShape('PlainTensor', shape);
    if (data.length !== numel(shape))
      fail('SHAPE_MISMATCH', `PlainTensor: ${data.length} values for shape [${shape.join(', ')}]`);
  }
  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }
  /** Number of elements. */
  numel(): number {
    return this.data.length;
  }
  /** Nested arrays, like Tensor.toArray(). */
  toArray(): unknown {
    const conv = (i: number) => (this.dtype === 'bool' ? this.data[i] !== 0 : this.data[i]);
    if (this.ndim === 0) return conv(0);
    const st = stridesOf(this.shape);
    const build = (d: number, off: number): unknown[] =>
      Array.from({ length: this.shape[d] }, (_, i) =>
        d === this.ndim - 1 ? conv(off + i) : build(d + 1, off + i * st[d]),
      );
    return build(0, 0);
  }
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: readonly number[]): number[] {
  const st = new Array(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = s;
    s *= shape[i];
  }
  return st;
}

const ARRAY_OF = {
  float32: Float32Array,
  float16: Float32Array,
  bfloat16: Float32Array,
  float64: Float64Array,
  int64: Float64Array,
  int32: Int32Array,
  bool: Uint8Array,
} as const satisfies Record<DType, new (n: number) => PlainArray>;

/** Elements the plain kernels hold in one tensor (2^28: 1 GiB of float32). */
export const MAX_PLAIN_ELEMENTS = 2 ** 28;

/**
 * A shape for a plain tensor: at most 64 non-negative integer sizes, at most MAX_PLAIN_ELEMENTS
 * elements in all (these are naive loops over JS typed arrays). INVALID_ARGUMENT otherwise.
 */
export function plainShape(op: string, shape: unknown): number[] {
  const s = list(op, 'shape', shape, 64);
  if (!s.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
    fail('INVALID_ARGUMENT', `${op}: shape must be a list of non-negative integers, got ${describe(shape)}`);
  let n = 1;
  for (const d of s as number[]) n *= d;
  if (n > MAX_PLAIN_ELEMENTS)
    fail('INVALID_ARGUMENT', `${op}: shape ${describe(shape)} has more than ${MAX_PLAIN_ELEMENTS} elements`);
  return s as number[];
}

/** A PlainTensor argument, or INVALID_ARGUMENT naming the op and the value. */
export function plainArg(op: string, name: string, x: unknown): PlainTensor {
  if (!(x instanceof PlainTensor))
    fail('INVALID_ARGUMENT', `${op}: '${name}' must be a PlainTensor, got ${describe(x)}`);
  return x;
}

/** A PlainTensor, number or boolean operand, or INVALID_ARGUMENT. */
export function plainOperand(op: string, x: unknown): PlainOperand {
  if (x instanceof PlainTensor || typeof x === 'number' || typeof x === 'boolean') return x;
  fail('INVALID_ARGUMENT', `${op}: expected a PlainTensor, number or boolean operand, got ${describe(x)}`);
}

export function alloc(dtype: DType, n: number): PlainArray {
  // Every plain kernel allocates its result here: the one place sizes are bounded.
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_PLAIN_ELEMENTS)
    fail(
      'INVALID_ARGUMENT',
      `plain: a result of ${describe(n)} elements is more than the plain kernels hold (${MAX_PLAIN_ELEMENTS})`,
    );
  switch (dtype) {
    case 'float32':
    case 'float16':
    case 'bfloat16':
      return new Float32Array(n);
    case 'float64':
    case 'int64':
      return new Float64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'bool':
      return new Uint8Array(n);
  }
}

/** Converts a value to what a `dtype` element holds (truncation toward zero for integers). */
export function castValue(v: number, dtype: DType): number {
  if (typeof v !== 'number') fail('INVALID_ARGUMENT', `castValue: expected a number, got ${describe(v)}`);
  switch (dtype) {
    case 'bool':
      return v !== 0 ? 1 : 0;
    case 'int32':
      return Number.isFinite(v) && v >= -2147483648 && v < 2147483648 ? Math.trunc(v) : -2147483648;
    case 'int64':
      return Number.isFinite(v) ? Math.trunc(v) : -9223372036854775808;
    // Through float32 first, as the core converts (and c10::Half(float(d)) does).
    case 'float16':
      return roundToFloat16(Math.fround(v));
    case 'bfloat16':
      return roundToBfloat16(Math.fround(v));
    case 'float32':
    case 'float64':
      return v;
    default:
      checkDType('castValue', dtype);
      return v;
  }
}

// Rounds v to a binary float with `mant` stored mantissa bits, exponents down to `emin` (below it
// the quantum stays 2^(emin - mant): subnormals) and largest finite `max`, to nearest with ties
// to even; beyond `max` after rounding is infinity. Written with exact arithmetic on doubles (a
// power-of-two scale, then integer rounding), independently of the core's bit manipulation.
function roundBinary(v: number, mant: number, emin: number, max: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  const a = Math.abs(v);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  const q = 2 ** (Math.max(e, emin) - mant);
  const r = a / q;
  let n = Math.floor(r);
  const frac = r - n;
  if (frac > 0.5 || (frac === 0.5 && n % 2 === 1)) n++;
  const out = n * q;
  return (v < 0 ? -1 : 1) * (out > max ? Infinity : out);
}

/** The nearest float16 value (ties to even; overflow to infinity; NaN stays NaN). */
export const roundToFloat16 = (v: number): number => roundBinary(num('roundToFloat16', v), 10, -14, 65504);
/** The nearest bfloat16 value (ties to even; overflow to infinity; NaN stays NaN). */
export const roundToBfloat16 = (v: number): number =>
  roundBinary(num('roundToBfloat16', v), 7, -126, (2 - 2 ** -7) * 2 ** 127);

function num(op: string, v: unknown): number {
  if (typeof v !== 'number') fail('INVALID_ARGUMENT', `${op}: expected a number, got ${describe(v)}`);
  return v;
}

/** A PlainTensor from nested arrays, flat values with a shape, or a typed array. */
export function plainTensor(values: unknown, dtype: DType = 'float32', shape?: readonly number[]): PlainTensor {
  checkDType('plainTensor', dtype);
  if (shape !== undefined) plainShape('plainTensor', shape);
  if (ArrayBuffer.isView(values)) {
    if (values instanceof DataView)
      fail('INVALID_ARGUMENT', 'plainTensor: a DataView is not supported, pass a typed array');
    const arr = values as unknown as ArrayLike<number | bigint>;
    if (arr.length > MAX_PLAIN_ELEMENTS)
      fail('INVALID_ARGUMENT', `plainTensor: more than ${MAX_PLAIN_ELEMENTS} values`);
    const out = alloc(dtype, arr.length);
    for (let i = 0; i < arr.length; i++) out[i] = castValue(Number(arr[i]), dtype);
    return new PlainTensor(out, shape ?? [arr.length], dtype);
  }
  const inferred: number[] = [];
  let cur = values;
  while (Array.isArray(cur)) {
    if (inferred.length === 64)
      fail('INVALID_ARGUMENT', 'plainTensor: the nested array is more than 64 levels deep (or contains itself)');
    inferred.push(cur.length);
    cur = cur[0];
  }
  const flat = (Array.isArray(values) ? (values as unknown[]).flat(64) : [values]) as (number | boolean)[];
  if (flat.length > MAX_PLAIN_ELEMENTS) fail('INVALID_ARGUMENT', `plainTensor: more than ${MAX_PLAIN_ELEMENTS} values`);
  for (const v of flat)
    if (typeof v !== 'number' && typeof v !== 'boolean' && typeof v !== 'bigint')
      fail('INVALID_ARGUMENT', `plainTensor: expected numbers, booleans or bigints, got ${describe(v)}`);
  const out = alloc(dtype, flat.length);
  flat.forEach((v, i) => (out[i] = castValue(Number(v), dtype)));
  return new PlainTensor(out, shape ?? inferred, dtype);
}

// ---- dtype promotion, mirroring the core (PyTorch's rules) ------------------------------------

const RANK: Record<DType, number> = { bool: 0, int32: 1, int64: 2, float16: 3, bfloat16: 3, float32: 4, float64: 5 };
export const isFloat = (d: DType) => d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';
export const promote = (a: DType, b: DType): DType =>
  a !== b && RANK[a] === 3 && RANK[b] === 3 ? 'float32' : RANK[a] >= RANK[b] ? a : b;

/** A JS number operand counts like a PyTorch Python scalar. */
export type PlainOperand = PlainTensor | number | boolean;

export function resultType(ops: readonly PlainOperand[]): DType {
  for (const o of list('resultType', 'operands', ops)) plainOperand('resultType', o);
  let dim: DType | undefined, zero: DType | undefined, wrapped: DType | undefined;
  const upd = (s: DType | undefined, d: DType) => (s ? promote(s, d) : d);
  for (const o of ops) {
    if (typeof o === 'boolean') wrapped = upd(wrapped, 'bool');
    else if (typeof o === 'number') wrapped = upd(wrapped, Number.isInteger(o) ? 'int64' : 'float32');
    else if (o.ndim === 0) zero = upd(zero, o.dtype);
    else dim = upd(dim, o.dtype);
  }
  const combine = (h: DType | undefined, l: DType | undefined): DType | undefined => {
    if (!h) return l;
    if (!l) return h;
    if (isFloat(h)) return h;
    if (h === 'bool' || isFloat(l)) return promote(h, l);
    return h;
  };
  return combine(dim, combine(zero, wrapped)) ?? 'float32';
}

/** A PlainTensor for an operand (numbers become 0-dim tensors). */
export function asPlain(o: PlainOperand): PlainTensor {
  if (o instanceof PlainTensor) return o;
  plainOperand('asPlain', o);
  const dt: DType = typeof o === 'boolean' ? 'bool' : Number.isInteger(o) ? 'int64' : 'float64';
  const a = alloc(dt, 1);
  a[0] = Number(o);
  return new PlainTensor(a, [], dt);
}

/** NumPy broadcasting of two shapes. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  plainShape('broadcastShapes', a);
  plainShape('broadcastShapes', b);
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[i - (n - a.length)] ?? 1;
    const db = b[i - (n - b.length)] ?? 1;
    if (da !== db && da !== 1 && db !== 1)
      fail('SHAPE_MISMATCH', `shapes [${a.join(', ')}] and [${b.join(', ')}] cannot be broadcast`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** For each output index, the flat input index of a tensor broadcast to `shape`. */
export function broadcastIndex(from: readonly number[], shape: readonly number[]): Int32Array | Float64Array {
  const n = numel(shape);
  const idx = n < 2 ** 31 ? new Int32Array(n) : new Float64Array(n);
  const fst = stridesOf(from);
  const off = shape.length - from.length;
  const pos = new Array(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let j = 0;
    for (let d = off; d < shape.length; d++) if (from[d - off] !== 1) j += pos[d] * fst[d - off];
    idx[i] = j;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++pos[d] < shape[d]) break;
      pos[d] = 0;
    }
  }
  return idx;
}

export function normDim(d: number, ndim: number): number {
  const n = Math.max(ndim, 1);
  if (!Number.isSafeInteger(d)) fail('INVALID_ARGUMENT', `dim must be an integer, got ${describe(d)}`);
  if (d < -n || d >= n) fail('INDEX_OUT_OF_RANGE', `dim ${d} out of range for ${ndim} dims`);
  return d < 0 ? d + n : d;
}
