// torch's options of the arithmetic methods: add/sub's alpha, div's roundingMode, var/std's
// unbiased. Tensor is only a type here (operands are told apart with memory.ts's isTensor), so
// tensor.ts imports this module without a cycle.
import { isFloating, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { isTensor, tidy } from '../memory.js';
import { checkOptions, describe } from '../options.js';
import type { Scalar, Tensor } from '../tensor.js';

/** Options of `div` and `div_`. */
export interface DivOptions {
  /** Round the quotient: 'floor' (floorDivide) or 'trunc' (toward zero); null or absent: true division. */
  roundingMode?: 'floor' | 'trunc' | null;
}
/** Options of `add` and `sub` (and their in-place forms). */
export interface AlphaOptions {
  /** The multiplier of `other` (torch's alpha): x + alpha * other. Default 1. */
  alpha?: number;
}

/** @internal var/std's correction from `correction` or torch's older `unbiased`. */
export function correctionOf(op: string, o: { correction?: number; unbiased?: boolean }): number | undefined {
  if (o.unbiased === undefined) return o.correction;
  if (o.correction !== undefined) fail('INVALID_ARGUMENT', `${op}: give either 'correction' or 'unbiased', not both`);
  return o.unbiased ? 1 : 0;
}

/** @internal div's roundingMode, checked. */
export function roundingModeOf(op: string, options: DivOptions): 'floor' | 'trunc' | null {
  const mode = checkOptions(op, options, { roundingMode: 'any' }).roundingMode ?? null;
  if (mode !== null && mode !== 'floor' && mode !== 'trunc')
    fail('INVALID_ARGUMENT', `${op}: roundingMode must be 'floor', 'trunc' or null, got ${describe(mode)}`);
  return mode;
}

/**
 * @internal a / b rounded toward zero (div's 'trunc'): trunc(a / b) for floats, as torch's; for
 * integers the exact quotient of a - fmod(a, b), which b divides (true division would go through
 * float32).
 */
export function truncDivide(a: Tensor, b: Tensor | Scalar): Tensor {
  const floating = isFloating(a.dtype) || (isTensor(b) ? isFloating(b.dtype) : !Number.isInteger(Number(b)));
  return tidy(() => (floating ? a.div(b).trunc_() : a.sub(a.fmod(b)).floorDivide(b)));
}

/**
 * @internal add/sub with torch's alpha: `other` scaled, then `run` with it. As torch, an integral
 * result takes only an integral alpha.
 */
export function withAlpha<R>(
  op: string,
  self: Tensor,
  other: Tensor | Scalar,
  options: AlphaOptions,
  run: (scaled: Tensor | Scalar) => R,
): R {
  const alpha = checkOptions(op, options, { alpha: 'number' }).alpha ?? 1;
  if (!Number.isFinite(alpha)) fail('INVALID_ARGUMENT', `${op}: 'alpha' must be a finite number, got ${alpha}`);
  // anything but a tensor or a scalar: the plain call refuses it, naming the op
  if (alpha === 1 || (!isTensor(other) && typeof other !== 'number' && typeof other !== 'boolean')) return run(other);
  const integral = (d: DType) => !isFloating(d);
  const otherIntegral = isTensor(other) ? integral(other.dtype) : Number.isInteger(Number(other));
  if (!Number.isInteger(alpha) && integral(self.dtype) && otherIntegral)
    fail('INVALID_ARGUMENT', `${op}: for integral tensors alpha must be an integer, got ${alpha}`);
  if (!isTensor(other)) return run(Number(other) * alpha);
  const scaled = other.mul(alpha);
  try {
    return run(scaled);
  } finally {
    scaled.dispose();
  }
}

/**
 * @internal div_(b, { roundingMode: 'trunc' }): the quotient written into `a`; as the native
 * in-place ops, a float quotient is not written into an integer tensor.
 */
export function truncDivideInto<T extends Tensor>(a: T, b: Tensor | Scalar): T {
  const q = truncDivide(a, b);
  try {
    if (isFloating(q.dtype) && !isFloating(a.dtype))
      fail('DTYPE_MISMATCH', `div_: result type ${q.dtype} can't be cast to the desired output type ${a.dtype}`);
    return a.copy_(q);
  } finally {
    q.dispose();
  }
}
