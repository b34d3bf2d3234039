import { fail } from './errors.js';
import { describe } from './options.js';

/**
 * Element types, as in PyTorch. `float32` is the default. `float16` and `bfloat16` store 2 bytes
 * per element; on the CPU each op on them computes in float32 and rounds its result, as PyTorch's
 * CPU does. The order is the native enum's.
 */
export const DTYPES = ['float32', 'float64', 'int32', 'int64', 'bool', 'float16', 'bfloat16'] as const;
/** An element type: 'float32', 'float64', 'int32', 'int64', 'bool', 'float16' or 'bfloat16'. */
export type DType = (typeof DTYPES)[number];

/** Where a tensor lives: 'cpu' or 'cuda:N' (what `Tensor.device` reads). */
export type Device = 'cpu' | `cuda:${number}`;
/** A device as an argument: a Device, or 'cuda' for the current CUDA device (cuda:0). */
export type DeviceName = Device | 'cuda';

/** The floating dtypes. */
export type FloatDType = 'float32' | 'float64' | 'float16' | 'bfloat16';
/** What an op that computes in floating point returns for an input of dtype D (integers and bool give float32). */
export type FloatResult<D extends DType> = D extends FloatDType ? D : 'float32';
/** What sum and cumsum return for D: integers and bool accumulate as int64. */
export type SumResult<D extends DType> = D extends FloatDType ? D : 'int64';
/**
 * What item() and toArray() give for D: boolean for bool, number otherwise. A tensor whose dtype is
 * not known statically (`Tensor`) reads as number, as PyTorch's item() is typed Number: a bool
 * tensor there still gives a boolean at run time, so check `.dtype` when it can be bool.
 */
export type ItemFor<D extends DType> = [D] extends ['bool'] ? boolean : number;
/** toArray()'s nesting of item values. */
export type NestedArray<T> = T | NestedArray<T>[];

/**
 * What data() returns for dtype D: Float32Array for float32 and the 16-bit floats, Float64Array,
 * Int32Array, BigInt64Array (int64) or Uint8Array (bool). For a dtype not known statically, the union.
 */
export type TypedArrayFor<D extends DType> = D extends 'float32' | 'float16' | 'bfloat16'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int32'
      ? Int32Array
      : D extends 'int64'
        ? BigInt64Array
        : Uint8Array;

/** Any array data() can return: TypedArrayFor<DType>. */
export type AnyTypedArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** Whether s names a device: 'cpu', 'cuda' or 'cuda:N'. */
export function isDeviceName(s: unknown): s is DeviceName {
  return typeof s === 'string' && /^(cpu|cuda(:\d{1,4})?)$/.test(s);
}

export function isDType(s: unknown): s is DType {
  return typeof s === 'string' && (DTYPES as readonly string[]).includes(s);
}

export function checkDType(op: string, s: unknown): DType {
  if (!isDType(s)) fail('INVALID_ARGUMENT', `${op}: unknown dtype, got ${describe(s)} (expected ${DTYPES.join(', ')})`);
  return s;
}

/** Bytes per element as stored. */
export const ITEMSIZE = {
  float32: 4,
  float64: 8,
  int32: 4,
  int64: 8,
  bool: 1,
  float16: 2,
  bfloat16: 2,
} as const satisfies Record<DType, number>;

/** float32, float64, float16 or bfloat16. */
export function isFloating(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';
}

/** float16 or bfloat16: 2-byte storage, read out as float32 values. */
export function isHalf(d: DType): d is 'float16' | 'bfloat16' {
  return d === 'float16' || d === 'bfloat16';
}

/**
 * A typed array of `dtype` viewing `buf` (bool as Uint8Array, int64 as BigInt64Array, the 16-bit
 * floats as Uint16Array of their bits).
 */
export function typedArrayOf(dtype: DType, buf: ArrayBuffer): AnyTypedArray | Uint16Array {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buf);
    case 'float64':
      return new Float64Array(buf);
    case 'int32':
      return new Int32Array(buf);
    case 'int64':
      return new BigInt64Array(buf);
    case 'bool':
      return new Uint8Array(buf);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(buf);
  }
}

/** The numerical properties of a floating dtype (torch.finfo). */
export interface FInfo {
  readonly dtype: FloatDType;
  /** Bits per element. */
  readonly bits: number;
  /** The gap between 1 and the next representable number. */
  readonly eps: number;
  /** The largest finite value. */
  readonly max: number;
  /** The most negative finite value (-max). */
  readonly min: number;
  /** The smallest positive normal number (torch's tiny, smallest_normal). */
  readonly tiny: number;
  /** The same as tiny. */
  readonly smallestNormal: number;
  /** The approximate decimal resolution: 10^-(decimal digits of precision). */
  readonly resolution: number;
}
/** The range of an integer dtype (torch.iinfo): numbers for int32, bigints for int64 (exact). */
export interface IInfo {
  readonly dtype: 'int32' | 'int64';
  readonly bits: number;
  readonly min: number | bigint;
  readonly max: number | bigint;
}

// [bits, eps, max, tiny, resolution], torch's values
const FLOAT_INFO: Record<FloatDType, [number, number, number, number, number]> = {
  float32: [32, 1.1920928955078125e-7, 3.4028234663852886e38, 1.1754943508222875e-38, 1e-6],
  float64: [64, 2.220446049250313e-16, 1.7976931348623157e308, 2.2250738585072014e-308, 1e-15],
  float16: [16, 0.0009765625, 65504, 6.103515625e-5, 0.001],
  bfloat16: [16, 0.0078125, 3.3895313892515355e38, 1.1754943508222875e-38, 0.01],
};

/**
 * The numerical properties of a floating dtype (torch.finfo; float32 by default).
 * @example finfo('float16').max // 65504
 */
export function finfo(dtype: DType = 'float32'): FInfo {
  const d = checkDType('finfo', dtype);
  if (!isFloating(d)) fail('DTYPE_MISMATCH', `finfo: expected a floating dtype, got ${d} (use iinfo)`);
  const [bits, eps, max, tiny, resolution] = FLOAT_INFO[d as FloatDType];
  return { dtype: d as FloatDType, bits, eps, max, min: -max, tiny, smallestNormal: tiny, resolution };
}

/**
 * The range of an integer dtype (torch.iinfo). @example iinfo('int32').max // 2147483647
 */
export function iinfo(dtype: DType): IInfo {
  const d = checkDType('iinfo', dtype);
  if (d === 'int32') return { dtype: d, bits: 32, min: -2147483648, max: 2147483647 };
  if (d === 'int64') return { dtype: d, bits: 64, min: -(2n ** 63n), max: 2n ** 63n - 1n };
  return fail(
    'DTYPE_MISMATCH',
    `iinfo: expected an integer dtype (int32, int64), got ${d}${d === 'bool' ? '' : ' (use finfo)'}`,
  );
}
