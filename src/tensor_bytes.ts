// A tensor's elements as stored, out and in (io, serve, onnx and the data workers read and write
// them): split from tensor.ts, which re-exports them.
import { binding } from './binding.js';
import { isHalf, typedArrayOf, type DType } from './dtype.js';
import { readOut, wrap, type Tensor } from './tensor.js';

/** Internal (io): a contiguous CPU copy of t's elements as stored (16-bit floats as their bits). */
export function storedBytes(t: Tensor): Uint8Array {
  return new Uint8Array(readOut(t, 'io.save'));
}

/**
 * Internal (io): a tensor of `dtype` and `shape` from its elements' little-endian bytes, as
 * storedBytes() gives them (copied, so the source may be any slice of a file).
 */
export function fromStoredBytes(bytes: Uint8Array, dtype: DType, shape: readonly number[]): Tensor {
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  if (isHalf(dtype)) return fromHalfBits(new Uint16Array(buf), shape, dtype);
  const arr = typedArrayOf(dtype, buf);
  if (arr instanceof Uint8Array) arr.forEach((v, i) => (arr[i] = v ? 1 : 0)); // bool
  return wrap(binding.fromData(arr as Exclude<typeof arr, Uint16Array>, [shape]));
}

/** Internal (io): a float16 or bfloat16 tensor from the elements' bits. */
export function fromHalfBits(bits: Uint16Array, shape: readonly number[], dtype: 'float16' | 'bfloat16'): Tensor {
  return wrap(binding.fromData(bits, [shape], dtype));
}
