// More of torch's element-wise functions, composed of native ops so each is differentiable and
// exports to ONNX: lerp, addcmul, addcdiv, square, clampMin/clampMax/clip, logaddexp(2), xlogy,
// xlog1py, logit, hypot, nanToNum, frac, deg2rad/rad2deg, heaviside, the predicates signbit, isposinf,
// isneginf and isclose, the whole-tensor tests allclose and equal, and the dtype shortcuts
// (float, double, half, bfloat16, long, int, bool, typeAs), the new* constructors and tolist.
import { tensorArg } from '../args.js';
import { isFloating, ITEMSIZE, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { checkOptions, describe, num } from '../options.js';
import { full, tensor, zeros, ones, type CreateOptions, type TensorData } from './creation.js';
import { where } from './functional.js';
import { Tensor } from '../tensor.js';

declare module '../tensor.js' {
  interface Tensor<D extends DType = DType> {
    /** this + weight * (end - this), computed as torch does for |weight| >= 0.5 too. @example a.lerp(b, 0.25) */
    lerp(end: Tensor, weight: Tensor | number): Tensor;
    /** this + value * t1 * t2 (broadcast). @example p.addcmul(g, g, { value: 0.1 }) */
    addcmul(tensor1: Tensor, tensor2: Tensor, options?: { value?: number }): Tensor;
    /** this + value * t1 / t2 (broadcast; not for integer tensors, as in torch). */
    addcdiv(tensor1: Tensor, tensor2: Tensor, options?: { value?: number }): Tensor;
    /** x * x (bool as int64). @example tensor([-2, 3]).square() // [4, 9] */
    square(): Tensor;
    /** clamp with a lower bound only. @example x.clampMin(0) */
    clampMin(min: number | Tensor): Tensor<D>;
    /** clamp with an upper bound only. */
    clampMax(max: number | Tensor): Tensor<D>;
    /** Alias of clamp (numpy's name). */
    clip(min?: number | Tensor | null, max?: number | Tensor | null): Tensor<D>;
    /** log(exp(this) + exp(other)) without overflow. @example a.logaddexp(b) */
    logaddexp(other: Tensor | number): Tensor;
    /** log2(2^this + 2^other) without overflow. */
    logaddexp2(other: Tensor | number): Tensor;
    /** this * log(other), 0 where this is 0 (unless other is NaN). @example p.xlogy(p) */
    xlogy(other: Tensor | number): Tensor;
    /**
     * this * log1p(other), 0 where this is 0 (unless other is NaN), as torch.special.xlog1py.
     * @example tensor([0, 2]).xlog1py(tensor([-1, 1])) // [0, 1.3863]
     */
    xlog1py(other: Tensor | number): Tensor;
    /** log(p / (1 - p)); with eps, p is first clamped to [eps, 1 - eps]. @example probs.logit(1e-6) */
    logit(eps?: number | null): Tensor;
    /** sqrt(this^2 + other^2) without overflow. @example a.hypot(b) */
    hypot(other: Tensor | number): Tensor;
    /**
     * NaN, +Infinity and -Infinity replaced by `nan` (0), `posinf` and `neginf` (the dtype's
     * largest and lowest finite values by default). @example x.nanToNum({ nan: 0, posinf: 1e6 })
     */
    nanToNum(options?: { nan?: number; posinf?: number; neginf?: number }): Tensor<D>;
    /** The fractional part, with this's sign: x - trunc(x). @example tensor([-1.5, 2.25]).frac() // [-0.5, 0.25] */
    frac(): Tensor<D>;
    /** Degrees to radians. */
    deg2rad(): Tensor;
    /** Radians to degrees. */
    rad2deg(): Tensor;
    /** 0 below zero, 1 above, `values` where this is zero (torch.heaviside). */
    heaviside(values: Tensor | number): Tensor;
    /** True where the sign bit is set (-0 included). @example tensor([-0, 0]).signbit() // [true, false] */
    signbit(): Tensor<'bool'>;
    /** True where +Infinity. */
    isposinf(): Tensor<'bool'>;
    /** True where -Infinity. */
    isneginf(): Tensor<'bool'>;
    /**
     * Where |this - other| <= atol + rtol * |other| (equal infinities included; NaN only with
     * equalNan). @example a.isclose(b, { atol: 1e-6 })
     */
    isclose(other: Tensor | number, options?: CloseOptions): Tensor<'bool'>;
    /** Whether isclose holds everywhere. @example if (!a.allclose(b)) throw new Error('drift') */
    allclose(other: Tensor | number, options?: CloseOptions): boolean;
    /** Whether the shapes match and every element is equal (NaN never equals). */
    equal(other: Tensor): boolean;
    /** This as float32. */
    float(): Tensor<'float32'>;
    /** This as float64. */
    double(): Tensor<'float64'>;
    /** This as float16. */
    half(): Tensor<'float16'>;
    /** This as bfloat16. */
    bfloat16(): Tensor<'bfloat16'>;
    /** This as int64. */
    long(): Tensor<'int64'>;
    /** This as int32. */
    int(): Tensor<'int32'>;
    /** This as bool (non-zero is true). */
    bool(): Tensor<'bool'>;
    /** This in other's dtype. @example x.typeAs(weights) */
    typeAs<R extends DType>(other: Tensor<R>): Tensor<R>;
    /** Zeros of `shape`, with this tensor's dtype and device unless given. @example x.newZeros([2, 3]) */
    newZeros(shape: readonly number[], options?: CreateOptions): Tensor<D>;
    /** Ones of `shape`, this tensor's dtype and device unless given. */
    newOnes(shape: readonly number[], options?: CreateOptions): Tensor<D>;
    /** `value` in every element of `shape`, this tensor's dtype and device unless given. */
    newFull(shape: readonly number[], value: number | boolean, options?: CreateOptions): Tensor<D>;
    /** A tensor of `shape` with this tensor's dtype and device (zero-filled: nothing is left uninitialised). */
    newEmpty(shape: readonly number[], options?: CreateOptions): Tensor<D>;
    /** A tensor from data, with this tensor's dtype and device unless given. */
    newTensor(data: TensorData, options?: CreateOptions): Tensor<D>;
    /** The values as nested arrays, a number for 0-D (torch.Tensor.tolist). */
    tolist(): unknown;
    /** The number of dims (torch's dim(); also `ndim`). */
    dim(): number;
    /** The number of elements (torch's nelement(); also `numel()`). */
    nelement(): number;
    /** Bytes per element. */
    elementSize(): number;
    /** Whether the dtype is floating point. */
    isFloatingPoint(): boolean;
  }
}

/** Tolerances of isclose and allclose (torch's defaults). */
export interface CloseOptions {
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-8). */
  atol?: number;
  /** Whether NaN equals NaN (default false). */
  equalNan?: boolean;
}

const proto = Tensor.prototype;
// A Tensor or a number, as the native binary ops take their second operand.
function other(name: string, v: unknown): Tensor | number {
  if (v instanceof Tensor) return v;
  if (typeof v === 'number' || typeof v === 'boolean') return Number(v);
  return fail('INVALID_ARGUMENT', `${name}: expected a Tensor or a number, got ${describe(v)}`);
}

proto.lerp = function (this: Tensor, end: Tensor, weight: Tensor | number) {
  const name = 'lerp';
  const e = tensorArg(name, 'end', end);
  if (!(weight instanceof Tensor)) num(name, 'weight', weight);
  return tidy(() => {
    const d = e.sub(this);
    // torch: start + w * d below |w| = 0.5, end - (1 - w) * d above, so w = 1 gives end exactly.
    const small = this.add(d.mul(weight));
    const large = e.sub(d.mul(typeof weight === 'number' ? 1 - weight : weight.neg().add(1)));
    if (typeof weight === 'number') return Math.abs(weight) < 0.5 ? small : large;
    return where(weight.abs().lt(0.5), small, large);
  });
};

function addc(
  name: string,
  x: Tensor,
  t1: Tensor,
  t2: Tensor,
  options: { value?: number } | undefined,
  divide: boolean,
) {
  const a = tensorArg(name, 'tensor1', t1),
    b = tensorArg(name, 'tensor2', t2);
  const value = num(name, 'value', checkOptions(name, options, { value: 'number' }).value ?? 1);
  if (divide && !isFloating(a.dtype) && !isFloating(b.dtype))
    fail(
      'DTYPE_MISMATCH',
      `${name}: integer division is not supported; give floating tensor1 or tensor2, got ${a.dtype} and ${b.dtype}`,
    );
  return tidy(() => {
    const p = divide ? a.div(b) : a.mul(b);
    return x.add(value === 1 ? p : p.mul(value));
  });
}
proto.addcmul = function (this: Tensor, tensor1: Tensor, tensor2: Tensor, options?: { value?: number }) {
  return addc('addcmul', this, tensor1, tensor2, options, false);
};
proto.addcdiv = function (this: Tensor, tensor1: Tensor, tensor2: Tensor, options?: { value?: number }) {
  return addc('addcdiv', this, tensor1, tensor2, options, true);
};
proto.square = function (this: Tensor) {
  return tidy(() =>
    (this.dtype === 'bool' ? this.to('int64') : this).mul(this.dtype === 'bool' ? this.to('int64') : this),
  );
};
proto.clampMin = function (this: Tensor, min: number | Tensor) {
  return this.clamp(min, null);
};
proto.clampMax = function (this: Tensor, max: number | Tensor) {
  return this.clamp(null, max);
};
proto.clip = function (this: Tensor, min?: number | Tensor | null, max?: number | Tensor | null) {
  return this.clamp(min, max);
};

// log_b(b^a + b^c) = m + log_b(1 + b^-(|a - c|)), m = max(a, c); equal infinities give themselves
// (their difference is NaN).
function logAddExp(a: Tensor, c: Tensor | number, base2: boolean): Tensor {
  return tidy(() => {
    const b =
      c instanceof Tensor
        ? c
        : full([], Number(c), { dtype: isFloating(a.dtype) ? a.dtype : 'float32', device: a.device });
    const m = a.maximum(b);
    const gap = a.sub(b).abs().neg();
    const r = base2 ? m.add(gap.exp2().log1p().div(Math.LN2)) : m.add(gap.exp().log1p());
    return where(a.isinf().logicalAnd(a.eq(b)), m, r);
  });
}
proto.logaddexp = function (this: Tensor, o: Tensor | number) {
  return logAddExp(this, other('logaddexp', o), false);
};
proto.logaddexp2 = function (this: Tensor, o: Tensor | number) {
  return logAddExp(this, other('logaddexp2', o), true);
};
// x * f(y), 0 where x is 0 unless y is NaN: xlogy (f = log) and torch.special's xlog1py (log1p).
function xlogTerm(name: string, x: Tensor, o: Tensor | number, f: (y: Tensor) => Tensor): Tensor {
  const y = other(name, o);
  return tidy(() => {
    const yt = y instanceof Tensor ? y : full([], Number(y), { dtype: 'float64', device: x.device });
    return where(x.eq(0).logicalAnd(yt.isnan().logicalNot()), 0, x.mul(f(yt)));
  });
}
proto.xlogy = function (this: Tensor, o: Tensor | number) {
  return xlogTerm('xlogy', this, o, (y) => y.log());
};
proto.xlog1py = function (this: Tensor, o: Tensor | number) {
  return xlogTerm('xlog1py', this, o, (y) => y.log1p());
};
proto.logit = function (this: Tensor, eps?: number | null) {
  const e = eps === undefined || eps === null ? null : num('logit', 'eps', eps);
  return tidy(() => {
    const p = e === null ? this : this.clamp(e, 1 - e);
    return p.div(p.neg().add(1)).log();
  });
};
proto.hypot = function (this: Tensor, o: Tensor | number) {
  const y = other('hypot', o);
  return tidy(() => {
    const b =
      y instanceof Tensor
        ? y
        : full([], Number(y), { dtype: isFloating(this.dtype) ? this.dtype : 'float32', device: this.device });
    // Scaled by the larger magnitude so the squares cannot overflow; 0 where both are 0.
    const ax = this.abs(),
      ay = b.abs();
    const big = ax.maximum(ay),
      small = ax.minimum(ay);
    const safe = where(big.eq(0), 1, big);
    const r = big.mul(small.div(safe).square().add(1).sqrt());
    // An infinite side wins over a NaN one, as C's hypot.
    return where(ax.isinf().logicalOr(ay.isinf()), Infinity, r);
  });
};

const FINITE: Partial<Record<DType, number>> = {
  float32: 3.4028234663852886e38,
  float64: Number.MAX_VALUE,
  float16: 65504,
  bfloat16: 3.3895313892515355e38,
};
proto.nanToNum = function (this: Tensor, options?: { nan?: number; posinf?: number; neginf?: number }) {
  const name = 'nanToNum';
  const o = checkOptions(name, options, { nan: 'number', posinf: 'number', neginf: 'number' });
  if (!isFloating(this.dtype)) return this.clone();
  const big = FINITE[this.dtype]!;
  return tidy(() => {
    let r = where(this.isnan(), o.nan ?? 0, this);
    r = where(r.isposinf(), o.posinf ?? big, r);
    return where(r.isneginf(), o.neginf ?? -big, r);
  });
};
proto.frac = function (this: Tensor) {
  if (!isFloating(this.dtype)) fail('DTYPE_MISMATCH', `frac: expected a floating tensor, got ${this.dtype}`);
  return tidy(() => this.sub(this.trunc()));
};
proto.deg2rad = function (this: Tensor) {
  return tidy(() => (isFloating(this.dtype) ? this : this.to('float32')).mul(Math.PI / 180));
};
proto.rad2deg = function (this: Tensor) {
  return tidy(() => (isFloating(this.dtype) ? this : this.to('float32')).mul(180 / Math.PI));
};
proto.heaviside = function (this: Tensor, values: Tensor | number) {
  const v = other('heaviside', values);
  return tidy(() => where(this.eq(0), v, this.gt(0).to(this.dtype)));
};
proto.signbit = function (this: Tensor) {
  if (!isFloating(this.dtype)) return this.lt(0);
  // -0 is below nothing, but 1 / -0 is -Infinity.
  return tidy(() => this.lt(0).logicalOr(this.eq(0).logicalAnd(this.reciprocal().lt(0))));
};
proto.isposinf = function (this: Tensor) {
  return this.eq(Infinity);
};
proto.isneginf = function (this: Tensor) {
  return this.eq(-Infinity);
};
proto.isclose = function (this: Tensor, o: Tensor | number, options?: CloseOptions) {
  const name = 'isclose';
  const y = other(name, o);
  const opts = checkOptions(name, options, { rtol: 'number', atol: 'number', equalNan: 'boolean' });
  const rtol = opts.rtol ?? 1e-5,
    atol = opts.atol ?? 1e-8;
  if (!(rtol >= 0) || !(atol >= 0))
    fail(
      'INVALID_ARGUMENT',
      `${name}: rtol and atol must be non-negative, got ${describe(rtol)} and ${describe(atol)}`,
    );
  return tidy(() => {
    const b = y instanceof Tensor ? y : full([], Number(y), { dtype: 'float64', device: this.device });
    const a64 = this.to('float64'),
      b64 = b.to('float64');
    // Infinities are close only to themselves (their difference is infinite or NaN).
    const near = a64.sub(b64).abs().le(b64.abs().mul(rtol).add(atol));
    let r = this.eq(b).logicalOr(near.logicalAnd(a64.isfinite()).logicalAnd(b64.isfinite()));
    if (opts.equalNan) r = r.logicalOr(a64.isnan().logicalAnd(b64.isnan()));
    return r;
  });
};
proto.allclose = function (this: Tensor, o: Tensor | number, options?: CloseOptions) {
  return tidy(() => this.isclose(o, options).all().item() as boolean);
};
proto.equal = function (this: Tensor, o: Tensor) {
  const b = tensorArg('equal', 'other', o);
  if (b.ndim !== this.ndim || b.shape.some((s, i) => s !== this.shape[i])) return false;
  return tidy(() => this.eq(b).all().item() as boolean);
};

const cast = <R extends DType>(dtype: R) =>
  function (this: Tensor) {
    return this.to(dtype);
  };
proto.float = cast('float32');
proto.double = cast('float64');
proto.half = cast('float16');
proto.bfloat16 = cast('bfloat16');
proto.long = cast('int64');
proto.int = cast('int32');
proto.bool = cast('bool');
proto.typeAs = function (this: Tensor, o: Tensor) {
  return this.to(tensorArg('typeAs', 'other', o).dtype);
} as Tensor['typeAs'];

// torch's new_* constructors: this tensor's dtype and device unless the options name others.
function like(name: string, x: Tensor, options: CreateOptions | undefined): CreateOptions {
  const o = checkOptions(name, options, { dtype: 'any', device: 'any', requiresGrad: 'boolean' });
  return { ...o, dtype: o.dtype ?? x.dtype, device: o.device ?? x.device };
}
proto.newZeros = function (this: Tensor, shape: readonly number[], options?: CreateOptions) {
  return zeros(shape, like('newZeros', this, options));
};
proto.newOnes = function (this: Tensor, shape: readonly number[], options?: CreateOptions) {
  return ones(shape, like('newOnes', this, options));
};
proto.newFull = function (this: Tensor, shape: readonly number[], value: number | boolean, options?: CreateOptions) {
  return full(shape, value, like('newFull', this, options));
};
proto.newEmpty = function (this: Tensor, shape: readonly number[], options?: CreateOptions) {
  return zeros(shape, like('newEmpty', this, options));
};
proto.newTensor = function (this: Tensor, data: TensorData, options?: CreateOptions) {
  return tensor(data, like('newTensor', this, options));
};
proto.tolist = function (this: Tensor) {
  return this.ndim === 0 ? this.item() : this.toArray();
};
proto.dim = function (this: Tensor) {
  return this.ndim;
};
proto.nelement = function (this: Tensor) {
  return this.numel();
};
proto.elementSize = function (this: Tensor) {
  return ITEMSIZE[this.dtype];
};
proto.isFloatingPoint = function (this: Tensor) {
  return isFloating(this.dtype);
};
