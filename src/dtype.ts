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
