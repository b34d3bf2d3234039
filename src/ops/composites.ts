// More of torch's Tensor methods, composed of existing ops (so differentiable where torch's are,
// and on every device): the NaN-ignoring fmax / fmin, copysign, floatPower, ldexp, frexp,
// argwhere, diagflat, msort, dist, vdot, renorm, sumToSize, positive, adjoint / mH, the method
// forms of where, kron and histc, and the dtype and size predicates (isSigned, isComplex, isreal,
// isNonzero, isSameSize).
import { tensorArg } from '../args.js';
import { isFloating, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { describe, int, num } from '../options.js';
import { dimOf } from './shaping.js';
import { Tensor, type Scalar } from '../tensor.js';
import { full, onesLike } from './creation.js';
import { histc } from './creation_more.js';
import { where } from './functional.js';
import { kron } from './shaping_more.js';

declare module '../tensor.js' {
  interface Tensor<D extends DType = DType> {
    /** maximum that ignores NaN (NaN only where both are). @example tensor([NaN, 1]).fmax(tensor([2, NaN])) // [2, 1] */
    fmax(other: Tensor | Scalar): Tensor;
    /** minimum that ignores NaN (NaN only where both are). */
    fmin(other: Tensor | Scalar): Tensor;
    /** |this| with the sign of other (its sign bit: -0 counts as negative). @example tensor([3]).copysign(-0) // [-3] */
    copysign(other: Tensor | Scalar): Tensor;
    /** In-place copysign; returns this. */
    copysign_(other: Tensor | Scalar): this;
    /** pow computed in float64 (torch.float_power). @example tensor([2]).floatPower(0.5) // float64 [1.4142] */
    floatPower(exponent: Tensor | number): Tensor<'float64'>;
    /** this * 2^other. @example tensor([3]).ldexp(tensor([2])) // [12] */
    ldexp(other: Tensor | number): Tensor;
    /** In-place ldexp; returns this. */
    ldexp_(other: Tensor | number): this;
    /**
     * Splits into mantissa in [0.5, 1) (signed) and int32 exponent with this = mantissa * 2^exponent
     * (0, infinities and NaN keep exponent 0). @example const { mantissa, exponent } = x.frexp()
     */
    frexp(): { mantissa: Tensor<D>; exponent: Tensor<'int32'> };
    /** The indices of the nonzero elements, one row each ([n, ndim], torch.argwhere). */
    argwhere(): Tensor<'int64'>;
    /** A 2-d tensor with the flattened input on the given diagonal. @example tensor([1, 2]).diagflat() */
    diagflat(offset?: number): Tensor<D>;
    /** Sorted along dim 0 (the values of sort(0)). */
    msort(): Tensor<D>;
    /** The p-norm of this - other (default p = 2). @example a.dist(b) */
    dist(other: Tensor, p?: number): Tensor;
    /** The dot product of two 1-d tensors (real: dot). */
    vdot(other: Tensor): Tensor;
    /**
     * Each slice along dim whose p-norm exceeds maxnorm scaled down to norm maxnorm (torch.renorm).
     * @example w.renorm(2, 0, 1) // each row's 2-norm at most 1
     */
    renorm(p: number, dim: number, maxnorm: number): Tensor<D>;
    /** In-place renorm; returns this. */
    renorm_(p: number, dim: number, maxnorm: number): this;
    /** Sums the broadcast dims away, to a shape this broadcasts from. @example g.sumToSize([1, 3]) */
    sumToSize(...size: (number | readonly number[])[]): Tensor;
    /** This tensor (torch.positive; refused for bool, as torch's). */
    positive(): Tensor<D>;
    /** The conjugate transpose of the last two dims: for real tensors, mT. */
    adjoint(): Tensor<D>;
    /** The conjugate transpose (for real tensors, mT). */
    readonly mH: Tensor<D>;
    /** this where condition, else other (torch's Tensor.where). @example x.where(x.gt(0), 0) */
    where(condition: Tensor, other: Tensor | Scalar): Tensor;
    /** The Kronecker product (torch's Tensor.kron). */
    kron(other: Tensor): Tensor;
    /** A histogram (torch's Tensor.histc). @example x.histc({ bins: 10 }) */
    histc(options?: { bins?: number; min?: number; max?: number }): Tensor;
    /** Whether the dtype is signed (every dtype but bool). */
    isSigned(): boolean;
    /** Whether the dtype is complex (never: tensorkit's dtypes are real). */
    isComplex(): boolean;
    /** Which elements are real (all of a real tensor). */
    isreal(): Tensor<'bool'>;
    /** The truth of a one-element tensor (torch.is_nonzero); any other size throws. */
    isNonzero(): boolean;
    /** Whether other has this tensor's shape. */
    isSameSize(other: Tensor): boolean;
  }
}

const proto = Tensor.prototype;
// A number as a 0-dim tensor: of like's dtype (float32 for a fractional number and an integer
// tensor), so it promotes as torch's number operands do.
function operandLike(name: string, like: Tensor, v: unknown): Tensor {
  if (v instanceof Tensor) return v;
  if (typeof v === 'number' || typeof v === 'boolean') {
    const keep = isFloating(like.dtype) || (Number.isInteger(Number(v)) && like.dtype !== 'bool');
    return full([], Number(v), { dtype: keep ? like.dtype : 'float32', device: like.device });
  }
  return fail('INVALID_ARGUMENT', `${name}: expected a Tensor or a number, got ${describe(v)}`);
}

function nanIgnoring(a: Tensor, b: Tensor, pick: 'maximum' | 'minimum'): Tensor {
  return tidy(() => where(a.isnan(), b, where(b.isnan(), a, a[pick](b))));
}
proto.fmax = function (this: Tensor, other: Tensor | Scalar) {
  return nanIgnoring(this, operandLike('fmax', this, other), 'maximum');
};
proto.fmin = function (this: Tensor, other: Tensor | Scalar) {
  return nanIgnoring(this, operandLike('fmin', this, other), 'minimum');
};
proto.copysign = function (this: Tensor, other: Tensor | Scalar) {
  const o = operandLike('copysign', this, other);
  return tidy(() => {
    const a = (isFloating(this.dtype) ? this : this.to('float32')).abs();
    return where(o.signbit(), a.neg(), a);
  });
};
proto.floatPower = function (this: Tensor, exponent: Tensor | number) {
  const e = exponent instanceof Tensor ? exponent : num('floatPower', 'exponent', exponent);
  return tidy(() => this.to('float64').pow(e instanceof Tensor ? e.to('float64') : e)) as Tensor<'float64'>;
};
proto.ldexp = function (this: Tensor, other: Tensor | number) {
  const o = operandLike('ldexp', this, other);
  return tidy(() => {
    const x = isFloating(this.dtype) ? this : this.to('float32');
    // integer exponents take x's dtype first (in float32, 2^1023 would be inf)
    return x.mul((isFloating(o.dtype) ? o : o.to(x.dtype)).exp2());
  });
};
// exponent = floor(log2|x|) + 1, then corrected by one where log2 rounded across a power of two;
// computed in float64 (every float dtype's values and exponents are exact there).
proto.frexp = function <D extends DType>(this: Tensor<D>) {
  if (!isFloating(this.dtype)) fail('DTYPE_MISMATCH', `frexp: expected a floating tensor, got ${this.dtype}`);
  return tidy(() => {
    const x = this.to('float64');
    const finite = x.isfinite().logicalAnd(x.ne(0));
    const ax = where(finite, x.abs(), 1);
    // ax * 2^-e as two power-of-two factors: 2^-e alone over- or underflows at the ends of the range
    const scale = (e: Tensor) => {
      const half = e.div(2).floor();
      return ax.mul(half.neg().exp2()).mul(half.sub(e).exp2());
    };
    let e: Tensor = ax.log2().floor().add(1);
    const m0 = scale(e);
    e = where(m0.ge(1), e.add(1), where(m0.lt(0.5), e.sub(1), e));
    const m = scale(e);
    const mantissa = where(finite, where(x.lt(0), m.neg(), m), x).to(this.dtype);
    const exponent = where(finite, e, 0).to('int32');
    return { mantissa, exponent };
  }) as unknown as { mantissa: Tensor<D>; exponent: Tensor<'int32'> };
};
proto.argwhere = function (this: Tensor) {
  return this.nonzero();
};
proto.diagflat = function <D extends DType>(this: Tensor<D>, offset = 0) {
  const k = int('diagflat', 'offset', offset);
  return tidy(() => this.reshape([-1]).diag(k));
};
proto.msort = function <D extends DType>(this: Tensor<D>) {
  if (this.ndim === 0) return this.clone();
  const { values, indices } = this.sort(0);
  indices.dispose();
  return values;
};
proto.dist = function (this: Tensor, other: Tensor, p = 2) {
  const o = tensorArg('dist', 'other', other);
  const ord = num('dist', 'p', p);
  return tidy(() => this.sub(o).norm(ord));
};
proto.vdot = function (this: Tensor, other: Tensor) {
  return this.dot(tensorArg('vdot', 'other', other));
};
proto.renorm = function <D extends DType>(this: Tensor<D>, p: number, dim: number, maxnorm: number) {
  const name = 'renorm';
  const ord = num(name, 'p', p),
    cap = num(name, 'maxnorm', maxnorm);
  if (!(ord > 0)) fail('INVALID_ARGUMENT', `${name}: p must be positive, got ${ord}`);
  if (!(cap >= 0)) fail('INVALID_ARGUMENT', `${name}: maxnorm must be non-negative, got ${cap}`);
  if (!isFloating(this.dtype)) fail('DTYPE_MISMATCH', `${name}: expected a floating tensor, got ${this.dtype}`);
  if (this.ndim < 2) fail('SHAPE_MISMATCH', `${name}: expected at least 2 dimensions, got ${this.ndim}`);
  const d = dimOf(name, this, dim);
  const others = [...this.shape.keys()].filter((i) => i !== d);
  return tidy(() => {
    // torch: the factor maxnorm / (norm + 1e-7) where the norm exceeds maxnorm, 1 elsewhere
    const norms = this.norm(ord, { dim: others, keepdim: true });
    return this.mul(where(norms.gt(cap), norms.add(1e-7).reciprocal().mul(cap), 1));
  }) as Tensor<D>;
};
proto.sumToSize = function (this: Tensor, ...size: (number | readonly number[])[]) {
  const name = 'sumToSize';
  const target = size.flat().map((s) => int(name, 'size', s));
  const lead = this.ndim - target.length;
  if (lead < 0 || target.some((s, i) => s !== 1 && s !== this.shape[lead + i]))
    fail('SHAPE_MISMATCH', `${name}: [${target.join(', ')}] is not a shape [${this.shape.join(', ')}] broadcasts from`);
  return tidy(() => {
    const dims = [...Array(lead).keys()];
    target.forEach((s, i) => {
      if (s === 1 && this.shape[lead + i] !== 1) dims.push(lead + i);
    });
    const r = dims.length ? this.sum(dims, { keepdim: true }) : this.clone();
    return r.reshape(target);
  });
};
proto.positive = function <D extends DType>(this: Tensor<D>) {
  if (this.dtype === 'bool') fail('DTYPE_MISMATCH', 'positive: not supported for bool tensors, got bool');
  return this.view(this.shape);
};
proto.adjoint = function <D extends DType>(this: Tensor<D>) {
  return this.mT;
};
Object.defineProperty(proto, 'mH', {
  get(this: Tensor) {
    return this.mT;
  },
  configurable: true,
});
proto.where = function (this: Tensor, condition: Tensor, other: Tensor | Scalar) {
  return where(tensorArg('where', 'condition', condition), this, other);
};
proto.kron = function (this: Tensor, other: Tensor) {
  return kron(this, other);
};
proto.histc = function (this: Tensor, options?: { bins?: number; min?: number; max?: number }) {
  return histc(this, options);
};
proto.isSigned = function (this: Tensor) {
  return this.dtype !== 'bool';
};
proto.isComplex = function () {
  return false;
};
proto.isreal = function (this: Tensor) {
  return onesLike(this, { dtype: 'bool' });
};
proto.isNonzero = function (this: Tensor) {
  if (this.numel() !== 1)
    fail('INVALID_ARGUMENT', `isNonzero: expected a tensor with one element, got ${this.numel()} elements`);
  const v = this.item();
  return typeof v === 'boolean' ? v : v !== 0;
};
proto.isSameSize = function (this: Tensor, other: Tensor) {
  const o = tensorArg('isSameSize', 'other', other);
  return o.shape.length === this.shape.length && o.shape.every((s, i) => s === this.shape[i]);
};
