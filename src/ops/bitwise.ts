// The bitwise ops on integer and bool tensors (ops.def: bitwiseNot, bitwiseAnd, bitwiseOr,
// bitwiseXor; on integers only the shifts, gcd and lcm), their in-place forms, and logicalXor
// beside logicalAnd / logicalOr. Floating operands are DTYPE_MISMATCH, as torch's; none of these
// is differentiable.
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { describe } from '../options.js';
import { Tensor, type Scalar } from '../tensor.js';
import { installElementwise } from './elementwise_more.js';

declare module '../tensor.js' {
  interface Tensor<D extends DType = DType> {
    /** ~x for integers, logical not for bool. @example tensor([0, 5], { dtype: 'int32' }).bitwiseNot() // [-1, -6] */
    bitwiseNot(): Tensor<D>;
    /** In-place bitwiseNot; returns this. */
    bitwiseNot_(): this;
    /** this & other (integers, bool). @example tensor([12], { dtype: 'int32' }).bitwiseAnd(10) // [8] */
    bitwiseAnd(other: Tensor | Scalar): Tensor;
    /** In-place bitwiseAnd; returns this. */
    bitwiseAnd_(other: Tensor | Scalar): this;
    /** this | other (integers, bool). @example tensor([12], { dtype: 'int32' }).bitwiseOr(10) // [14] */
    bitwiseOr(other: Tensor | Scalar): Tensor;
    /** In-place bitwiseOr; returns this. */
    bitwiseOr_(other: Tensor | Scalar): this;
    /** this ^ other (integers, bool). @example tensor([12], { dtype: 'int32' }).bitwiseXor(10) // [6] */
    bitwiseXor(other: Tensor | Scalar): Tensor;
    /** In-place bitwiseXor; returns this. */
    bitwiseXor_(other: Tensor | Scalar): this;
    /**
     * this << other on integers, wrapping; a shift by a negative amount or by the width or more
     * gives 0, as torch's. @example tensor([3], { dtype: 'int32' }).bitwiseLeftShift(2) // [12]
     */
    bitwiseLeftShift(other: Tensor | Scalar): Tensor;
    /** In-place bitwiseLeftShift; returns this. */
    bitwiseLeftShift_(other: Tensor | Scalar): this;
    /**
     * this >> other on integers (arithmetic: the sign fills in); a shift by a negative amount or
     * by the width or more gives 0 or -1. @example tensor([-8], { dtype: 'int32' }).bitwiseRightShift(1) // [-4]
     */
    bitwiseRightShift(other: Tensor | Scalar): Tensor;
    /** In-place bitwiseRightShift; returns this. */
    bitwiseRightShift_(other: Tensor | Scalar): this;
    /** The greatest common divisor of the magnitudes (integers; gcd(0, 0) = 0). @example a.gcd(b) */
    gcd(other: Tensor | Scalar): Tensor;
    /** In-place gcd; returns this. */
    gcd_(other: Tensor | Scalar): this;
    /** The least common multiple of the magnitudes (integers; 0 when either is 0). @example a.lcm(b) */
    lcm(other: Tensor | Scalar): Tensor;
    /** In-place lcm; returns this. */
    lcm_(other: Tensor | Scalar): this;
    /** Element-wise exclusive or of the truth values (bool result). @example a.logicalXor(b) */
    logicalXor(other: Tensor | Scalar): Tensor<'bool'>;
  }
}

const FAMILY: [
  string,
  'bitwise_and' | 'bitwise_or' | 'bitwise_xor' | 'bitwise_left_shift' | 'bitwise_right_shift' | 'gcd' | 'lcm',
][] = [
  ['bitwiseAnd', 'bitwise_and'],
  ['bitwiseOr', 'bitwise_or'],
  ['bitwiseXor', 'bitwise_xor'],
  ['bitwiseLeftShift', 'bitwise_left_shift'],
  ['bitwiseRightShift', 'bitwise_right_shift'],
  ['gcd', 'gcd'],
  ['lcm', 'lcm'],
];
installElementwise({
  unary: [['bitwiseNot', 'bitwise_not']],
  unaryInPlace: [['bitwiseNot_', 'bitwise_not_']],
  binary: FAMILY,
  binaryInPlace: FAMILY.map(([m, o]) => [`${m}_`, `${o}_`] as [string, `${typeof o}_`]),
});

Tensor.prototype.logicalXor = function (this: Tensor, other: Tensor | Scalar) {
  if (!(other instanceof Tensor) && typeof other !== 'number' && typeof other !== 'boolean')
    fail('INVALID_ARGUMENT', `logicalXor: expected a Tensor or a number, got ${describe(other)}`);
  return tidy(() => this.ne(0).ne(other instanceof Tensor ? other.ne(0) : Number(other) !== 0)) as Tensor<'bool'>;
};
