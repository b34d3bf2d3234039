import { fail } from './errors.js';

/** Element types, as in PyTorch. `float32` is the default. */
export const DTYPES = ['float32', 'float64', 'int32', 'int64', 'bool'] as const;
export type DType = (typeof DTYPES)[number];

/** 'cpu', 'cuda' or 'cuda:N'. */
export type DeviceName = 'cpu' | 'cuda' | `cuda:${number}`;

export type TypedArrayFor<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int32'
      ? Int32Array
      : D extends 'int64'
        ? BigInt64Array
        : Uint8Array;

export type AnyTypedArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export function isDType(s: unknown): s is DType {
  return typeof s === 'string' && (DTYPES as readonly string[]).includes(s);
}

export function checkDType(op: string, s: unknown): DType {
  if (!isDType(s))
    fail('INVALID_ARGUMENT', `${op}: unknown dtype, got ${JSON.stringify(s)} (expected ${DTYPES.join(', ')})`);
  return s;
}

export function isFloating(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

/** A typed array of `dtype` viewing `buf` (bool as Uint8Array, int64 as BigInt64Array). */
export function typedArrayOf(dtype: DType, buf: ArrayBuffer): AnyTypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(buf);
    case 'float64': return new Float64Array(buf);
    case 'int32': return new Int32Array(buf);
    case 'int64': return new BigInt64Array(buf);
    case 'bool': return new Uint8Array(buf);
  }
}
