/**
 * The closed list of error codes, shared with the C++ core (`native/include/tk/error.h`);
 * a test checks that the two lists are equal.
 */
export const ERROR_CODES = [
  'SHAPE_MISMATCH',
  'DTYPE_MISMATCH',
  'DEVICE_MISMATCH',
  'INVALID_ARGUMENT',
  'INDEX_OUT_OF_RANGE',
  'NOT_IMPLEMENTED',
  'DISPOSED',
  'OUT_OF_MEMORY',
  'CUDA_ERROR',
  'IO_ERROR',
  'DISTRIBUTED_ERROR',
  'INTERNAL',
] as const;

/** A `TensorError`'s code, one of `ERROR_CODES`. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Every error tensorkit raises, from TypeScript or from the native core. `code` says what kind
 * of failure it is; the message names the op and the offending value.
 *
 * @example
 * try { tensor([1, 2]).add(tensor([1, 2, 3])); }
 * catch (e) { if (e instanceof TensorError && e.code === 'SHAPE_MISMATCH') console.log(e.message); }
 */
export class TensorError extends Error {
  readonly code: ErrorCode;
  constructor(message: string, code: ErrorCode | string) {
    super(messageOf(message));
    this.name = 'TensorError';
    this.code =
      typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code) ? (code as ErrorCode) : 'INTERNAL';
  }
}

/**
 * Any value as an error message: String(v), or its type tag when String() throws (a symbol, an
 * object without a prototype), so constructing an error never throws a second error.
 */
export function messageOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '';
  try {
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/** Throws a TensorError; for checks only JS can make (argument types, option names). */
export function fail(code: ErrorCode, message: string): never {
  throw new TensorError(message, code);
}
