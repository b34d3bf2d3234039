// Tensors from what a program already holds: frombuffer (bytes, e.g. a Node Buffer read from a
// file), asTensor and asarray (torch.as_tensor / torch.asarray: the tensor itself where no
// conversion is needed, else a converted copy).
import type { DeviceName, DType } from '../dtype.js';
import { checkDType, ITEMSIZE } from '../dtype.js';
import { fail } from '../errors.js';
import { checkOptions, describe, int } from '../options.js';
import { binding } from '../binding.js';
import { Tensor, wrap } from '../tensor.js';
import { tensor, type TensorData } from './creation.js';

/** Options of frombuffer. */
export interface FrombufferOptions<D extends DType> {
  /** How the bytes read: each element is itemsize bytes in the machine's byte order (little-endian). */
  dtype: D;
  /** Elements to read (default -1: all the bytes after offset, which must be a whole number of them). */
  count?: number;
  /** Bytes to skip first (default 0). */
  offset?: number;
  requiresGrad?: boolean;
}

/**
 * A 1-D tensor of the bytes of `buffer` read as `dtype` (torch.frombuffer). The bytes are copied
 * (torch shares the buffer's memory; a tensor here owns native memory), so later writes to either
 * do not show in the other. Bool reads each byte as true where it is not 0.
 * @example frombuffer(fs.readFileSync('weights.bin'), { dtype: 'float32', offset: 16 })
 */
export function frombuffer<D extends DType>(
  buffer: ArrayBuffer | ArrayBufferView,
  options: FrombufferOptions<D>,
): Tensor<D> {
  const op = 'frombuffer';
  let bytes: Uint8Array;
  if (
    buffer instanceof ArrayBuffer ||
    (typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer)
  )
    bytes = new Uint8Array(buffer);
  else if (ArrayBuffer.isView(buffer)) bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  else
    return fail(
      'INVALID_ARGUMENT',
      `${op}: expected an ArrayBuffer, a Buffer or a typed array, got ${describe(buffer)}`,
    );
  if (options === undefined || options === null || typeof options !== 'object' || !('dtype' in options))
    fail('INVALID_ARGUMENT', `${op}: options.dtype is required (how to read the bytes), got ${describe(options)}`);
  const o = checkOptions(op, options, {
    dtype: 'string',
    count: 'integer',
    offset: 'integer',
    requiresGrad: 'boolean',
  });
  checkDType(op, o.dtype);
  const dtype = o.dtype;
  const size = ITEMSIZE[dtype];
  const offset = int(op, 'offset', o.offset ?? 0);
  const count = int(op, 'count', o.count ?? -1);
  const len = bytes.byteLength;
  if (len === 0 || count === 0)
    fail('INVALID_ARGUMENT', `${op}: both the buffer length (${len}) and count (${count}) must not be 0`);
  if (offset < 0 || offset >= len)
    fail(
      'INDEX_OUT_OF_RANGE',
      `${op}: offset (${offset} bytes) must be in [0, ${len - 1}] for a buffer of ${len} bytes`,
    );
  if (count < -1) fail('INVALID_ARGUMENT', `${op}: count must be -1 (all) or positive, got ${count}`);
  if (count === -1 && (len - offset) % size !== 0)
    fail(
      'INVALID_ARGUMENT',
      `${op}: the buffer length (${len} bytes) after offset (${offset} bytes) must be a multiple of the ${dtype} element size (${size})`,
    );
  const n = count === -1 ? (len - offset) / size : count;
  if (offset + n * size > len)
    fail(
      'INDEX_OUT_OF_RANGE',
      `${op}: ${n} ${dtype} elements from offset ${offset} need ${offset + n * size} bytes, the buffer has ${len}`,
    );
  // A copy into an aligned buffer: the typed array views need offsets that are multiples of size.
  const copy = bytes.slice(offset, offset + n * size).buffer;
  const shape: [readonly number[]] = [[n]];
  let h;
  if (dtype === 'float16' || dtype === 'bfloat16') h = binding.fromData(new Uint16Array(copy), shape, dtype);
  else if (dtype === 'bool')
    h = binding.fromData(
      new Uint8Array(copy).map((b) => (b !== 0 ? 1 : 0)),
      shape,
    );
  else if (dtype === 'float32') h = binding.fromData(new Float32Array(copy), shape);
  else if (dtype === 'float64') h = binding.fromData(new Float64Array(copy), shape);
  else if (dtype === 'int32') h = binding.fromData(new Int32Array(copy), shape);
  else h = binding.fromData(new BigInt64Array(copy), shape);
  const t = wrap(h) as Tensor<D>;
  if (o.requiresGrad) t.requiresGrad = true;
  return t;
}

/**
 * `data` as a tensor of the dtype and device given (torch.as_tensor): a tensor that already is
 * one is returned itself, not copied; another is converted (`to`), anything else read as
 * tensor() reads it.
 * @example asTensor(x) === x; asTensor([1, 2], { dtype: 'int64' })
 */
export function asTensor(data: Tensor | TensorData, options?: { dtype?: DType; device?: DeviceName }): Tensor {
  const o = checkOptions('asTensor', options, { dtype: 'string', device: 'string' });
  if (!(data instanceof Tensor)) return tensor(data, o);
  if (o.dtype !== undefined) checkDType('asTensor', o.dtype);
  const dtype = o.dtype ?? data.dtype;
  const device = o.device === undefined ? data.device : o.device === 'cuda' ? 'cuda:0' : o.device;
  return dtype === data.dtype && device === data.device ? data : data.to({ dtype, device });
}

/**
 * torch.asarray: as asTensor, with `copy` saying whether the result may be `obj` itself (undefined,
 * the default: when no conversion is needed), must be a copy (true), or must not be (false:
 * a TensorError where a conversion is needed); and requiresGrad.
 * @example asarray(x, { copy: true }) // a copy even where x already fits
 */
export function asarray(
  obj: Tensor | TensorData,
  options?: { dtype?: DType; device?: DeviceName; copy?: boolean; requiresGrad?: boolean },
): Tensor {
  const op = 'asarray';
  const o = checkOptions(op, options, { dtype: 'string', device: 'string', copy: 'boolean', requiresGrad: 'boolean' });
  let t: Tensor;
  if (obj instanceof Tensor) {
    const r = asTensor(obj, { dtype: o.dtype, device: o.device });
    if (r !== obj && o.copy === false)
      fail(
        'INVALID_ARGUMENT',
        `${op}: copy is false, but a ${obj.dtype} tensor on ${obj.device} needs a conversion to ${r.dtype} on ${r.device}`,
      );
    t = r === obj && o.copy === true ? obj.clone() : r;
  } else {
    if (o.copy === false)
      fail('INVALID_ARGUMENT', `${op}: copy is false, but ${describe(obj)} is not a tensor (it must be copied)`);
    t = tensor(obj, { dtype: o.dtype, device: o.device });
  }
  if (o.requiresGrad) t.requiresGrad = true;
  return t;
}
