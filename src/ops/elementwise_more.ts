// Element-wise Tensor methods beyond the core arithmetic, each one native op (ops.def): rounding
// (floor, ceil, round, trunc, sign), the remainders of division (remainder, fmod, floorDivide),
// libm's functions (tan ... reciprocal, atan2), the special functions (erfc, erfinv, lgamma,
// digamma, polygamma), and the in-place forms ops.def gives them.
// Installed on Tensor.prototype when this module loads (src/index.ts imports it).
import { isFloating, type DType, type FloatDType, type FloatResult } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { checkOptions, int } from '../options.js';
import { operand, Tensor, type Scalar } from '../tensor.js';
import { op, opInPlace } from './dispatch.js';
import type { OpName } from './ops.generated.js';

declare module '../tensor.js' {
  interface Tensor<D extends DType = DType> {
    /** Rounds down (integers unchanged). @example tensor([-1.5, 1.5]).floor() // [-2, 1] */
    floor(): Tensor<D>;
    /** Rounds up (integers unchanged). @example tensor([-1.5, 1.5]).ceil() // [-1, 2] */
    ceil(): Tensor<D>;
    /**
     * Rounds to the nearest integer, halves to even (torch.round); `decimals` rounds to that many
     * digits after the point (negative: before it), as torch's.
     * @example tensor([0.5, 1.5, 2.5]).round() // [0, 2, 2]
     */
    round(options?: { decimals?: number }): Tensor<D>;
    /** Rounds toward zero (integers unchanged). @example tensor([-1.5, 1.5]).trunc() // [-1, 1] */
    trunc(): Tensor<D>;
    /** -1, 0 or 1 by the sign of each element (0 for NaN, as torch). */
    sign(): Tensor<D>;
    /** In-place floor. */
    floor_(): this;
    /** In-place ceil. */
    ceil_(): this;
    /** In-place round (halves to even). */
    round_(): this;
    /** In-place trunc. */
    trunc_(): this;
    /** In-place sign. */
    sign_(): this;
    /** Tangent. */
    tan(): Tensor<FloatResult<D>>;
    /** Arcsine (NaN outside [-1, 1]). */
    asin(): Tensor<FloatResult<D>>;
    /** Arccosine (NaN outside [-1, 1]). */
    acos(): Tensor<FloatResult<D>>;
    /** Arctangent. */
    atan(): Tensor<FloatResult<D>>;
    /** Hyperbolic sine. */
    sinh(): Tensor<FloatResult<D>>;
    /** Hyperbolic cosine. */
    cosh(): Tensor<FloatResult<D>>;
    /** Inverse hyperbolic sine. */
    asinh(): Tensor<FloatResult<D>>;
    /** Inverse hyperbolic cosine (NaN below 1). */
    acosh(): Tensor<FloatResult<D>>;
    /** Inverse hyperbolic tangent (NaN outside [-1, 1]). */
    atanh(): Tensor<FloatResult<D>>;
    /** e^x - 1, exact for small x. */
    expm1(): Tensor<FloatResult<D>>;
    /** 2^x. */
    exp2(): Tensor<FloatResult<D>>;
    /** Base-2 logarithm. */
    log2(): Tensor<FloatResult<D>>;
    /** Base-10 logarithm. */
    log10(): Tensor<FloatResult<D>>;
    /** 1 / x (integers compute in float32). */
    reciprocal(): Tensor<FloatResult<D>>;
    /** 1 - erf(x), accurate in the upper tail where 1 - erf(x) is lost to rounding. */
    erfc(): Tensor<FloatResult<D>>;
    /** The inverse of erf on (-1, 1) (+-Infinity at +-1, NaN outside). @example tensor([0.5]).erfinv() */
    erfinv(): Tensor<FloatResult<D>>;
    /** log|Gamma(x)| (+Infinity at 0 and the negative integers). @example tensor([5]).lgamma() // log(24) */
    lgamma(): Tensor<FloatResult<D>>;
    /** d/dx log Gamma(x) (torch.digamma: -Infinity at 0, NaN at the negative integers). */
    digamma(): Tensor<FloatResult<D>>;
    /**
     * The n-th derivative of digamma (n >= 0; torch.polygamma(n, x) is x.polygamma(n) here, or the
     * free polygamma(x, n)). @example x.polygamma(1) // trigamma
     */
    polygamma(n: number): Tensor<FloatResult<D>>;
    /**
     * The remainder of floor division, with the divisor's sign (Python's %, torch.remainder).
     * Integer division by zero throws. @example tensor([-3, 3]).remainder(2) // [1, 1]
     */
    remainder<F extends FloatDType>(this: Tensor<F>, other: Tensor<F> | Scalar): Tensor<F>;
    /** remainder of any dtypes (the result's by promotion). */
    remainder(other: Tensor | Scalar): Tensor;
    /**
     * The remainder of division toward zero, with the dividend's sign (C's fmod, torch.fmod).
     * @example tensor([-3, 3]).fmod(2) // [-1, 1]
     */
    fmod<F extends FloatDType>(this: Tensor<F>, other: Tensor<F> | Scalar): Tensor<F>;
    /** fmod of any dtypes (the result's by promotion). */
    fmod(other: Tensor | Scalar): Tensor;
    /**
     * a / b rounded down, integers staying integers (Python's //, torch.floor_divide). Its
     * gradient is 0. @example tensor([-7, 7]).floorDivide(2) // [-4, 3]
     */
    floorDivide<F extends FloatDType>(this: Tensor<F>, other: Tensor<F> | Scalar): Tensor<F>;
    /** floorDivide of any dtypes (the result's by promotion). */
    floorDivide(other: Tensor | Scalar): Tensor;
    /**
     * atan(this / other) in the right quadrant (torch.atan2), in radians; integers compute in
     * float32. @example tensor([1, -1]).atan2(tensor([-1, -1])) // [2.3562, -2.3562]
     */
    atan2<F extends FloatDType>(this: Tensor<F>, other: Tensor<F> | Scalar): Tensor<F>;
    /** atan2 of any dtypes (the result's by promotion). */
    atan2(other: Tensor | Scalar): Tensor;
    /** In-place remainder; returns this. */
    remainder_(other: Tensor | Scalar): this;
    /** In-place fmod; returns this. */
    fmod_(other: Tensor | Scalar): this;
    /** In-place floor division; returns this. */
    floorDivide_(other: Tensor | Scalar): this;
  }
}

const proto = Tensor.prototype as unknown as Record<string, unknown>;

// [method, native op]: one op each, and `method_` for the ones with an in-place row
const UNARY: [string, OpName][] = [
  ['floor', 'floor'],
  ['ceil', 'ceil'],
  ['trunc', 'trunc'],
  ['sign', 'sign'],
  ['tan', 'tan'],
  ['asin', 'asin'],
  ['acos', 'acos'],
  ['atan', 'atan'],
  ['sinh', 'sinh'],
  ['cosh', 'cosh'],
  ['asinh', 'asinh'],
  ['acosh', 'acosh'],
  ['atanh', 'atanh'],
  ['expm1', 'expm1'],
  ['exp2', 'exp2'],
  ['log2', 'log2'],
  ['log10', 'log10'],
  ['reciprocal', 'reciprocal'],
  ['erfc', 'erfc'],
  ['erfinv', 'erfinv'],
  ['lgamma', 'lgamma'],
  ['digamma', 'digamma'],
];
const UNARY_IN_PLACE: [string, OpName][] = [
  ['floor_', 'floor_'],
  ['ceil_', 'ceil_'],
  ['round_', 'round_'],
  ['trunc_', 'trunc_'],
  ['sign_', 'sign_'],
];
const BINARY: [string, OpName][] = [
  ['remainder', 'remainder'],
  ['fmod', 'fmod'],
  ['floorDivide', 'floor_divide'],
  ['atan2', 'atan2'],
];
const BINARY_IN_PLACE: [string, OpName][] = [
  ['remainder_', 'remainder_'],
  ['fmod_', 'fmod_'],
  ['floorDivide_', 'floor_divide_'],
];

/**
 * @internal Installs one-op methods on Tensor.prototype: each [method, native op] row of the
 * four tables (unary, unary in place, binary, binary in place). The other op families' modules
 * (special.ts, bitwise.ts) install theirs with it too.
 */
export function installElementwise(tables: {
  unary?: [string, OpName][];
  unaryInPlace?: [string, OpName][];
  binary?: [string, OpName][];
  binaryInPlace?: [string, OpName][];
}): void {
  for (const [method, name] of tables.unary ?? [])
    proto[method] = function (this: Tensor) {
      return op(name, undefined, this._h);
    };
  for (const [method, name] of tables.unaryInPlace ?? [])
    proto[method] = function (this: Tensor) {
      opInPlace(name, undefined, this._h);
      return this;
    };
  for (const [method, name] of tables.binary ?? [])
    proto[method] = function (this: Tensor, other: Tensor | Scalar) {
      return op(name, undefined, this._h, operand(other, method));
    };
  for (const [method, name] of tables.binaryInPlace ?? [])
    proto[method] = function (this: Tensor, other: Tensor | Scalar) {
      opInPlace(name, undefined, this._h, operand(other, method));
      return this;
    };
}
installElementwise({ unary: UNARY, unaryInPlace: UNARY_IN_PLACE, binary: BINARY, binaryInPlace: BINARY_IN_PLACE });

proto.round = function (this: Tensor, options?: { decimals?: number }) {
  const decimals = int('round', 'decimals', checkOptions('round', options, { decimals: 'number' }).decimals ?? 0);
  if (decimals === 0) return op('round', undefined, this._h);
  if (!isFloating(this.dtype))
    fail('DTYPE_MISMATCH', `round: decimals needs a floating tensor, got ${this.dtype} (integers are whole already)`);
  // as torch's: scaled by 10^decimals (divided by 10^-decimals when negative), rounded, back
  const k = 10 ** Math.abs(decimals);
  return tidy(() => (decimals > 0 ? this.mul(k).round_().div_(k) : this.div(k).round_().mul_(k)));
};

proto.polygamma = function (this: Tensor, n: number) {
  const order = int('polygamma', 'n', n);
  if (order < 0) fail('INVALID_ARGUMENT', `polygamma: n must be a non-negative integer, got ${order}`);
  return op('polygamma', [order], this._h);
};
