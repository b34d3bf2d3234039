// A request's tensors travel through the server as plain typed arrays of values (what `data()`
// returns for the dtype: Float32Array for float32 and the 16-bit floats, Float64Array, Int32Array,
// BigInt64Array, Uint8Array for bool), not as native tensors: the batcher copies a batch's rows
// into one array and makes one tensor of it, and reads each output once, so a request costs no
// native call of its own.
import type { AnyTypedArray, DType } from '../dtype.js';
import { isHalf, ITEMSIZE, typedArrayOf } from '../dtype.js';
import { tensor } from '../ops/creation.js';
import { storedBytes, type Tensor } from '../tensor.js';

/** Values of one tensor, as `data()` gives them for its dtype. */
export type Values = AnyTypedArray;

/** One output of a model run (or a request's rows of it): values, and the stored bits of 16-bit floats. */
export interface OutputValues {
  shape: number[];
  values: Values;
  /** float16/bfloat16 only: the stored bits, for the binary tensor extension. */
  bits?: Uint16Array;
}

/** Frees every tensor in a list, a set or a record. */
export function disposeAll(ts: Iterable<Tensor> | Record<string, Tensor>): void {
  for (const t of Symbol.iterator in ts ? (ts as Iterable<Tensor>) : Object.values(ts)) t.dispose();
}

/** A zeroed values array of `n` elements for `dtype`. */
export function valuesArray(dtype: DType, n: number): Values {
  return isHalf(dtype) ? new Float32Array(n) : (typedArrayOf(dtype, new ArrayBuffer(n * ITEMSIZE[dtype])) as Values);
}

/** A tensor of `dtype` holding `values` (copied). */
export function tensorOf(values: Values, shape: readonly number[], dtype: DType): Tensor {
  if (dtype === 'float32' || dtype === 'float64' || dtype === 'int32' || dtype === 'int64')
    return tensor(values, { shape });
  return tensor(values, { shape, dtype }); // bool from 0/1 bytes; 16-bit floats rounded from float32 (exact for their values)
}

/** A tensor's values (and bits, for 16-bit floats), read once. */
export function readValues(t: Tensor): OutputValues {
  const out: OutputValues = { shape: t.shape.slice(), values: t.data() as Values };
  if (isHalf(t.dtype)) {
    const b = storedBytes(t);
    out.bits = new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2);
  }
  return out;
}

/** Rows [from, from + n) of an output whose dim 0 is the batch. */
export function rowsOf(o: OutputValues, from: number, n: number): OutputValues {
  const per = o.shape.slice(1).reduce((a, b) => a * b, 1);
  return {
    shape: [n, ...o.shape.slice(1)],
    values: o.values.subarray(from * per, (from + n) * per) as Values,
    ...(o.bits ? { bits: o.bits.subarray(from * per, (from + n) * per) } : {}),
  };
}
