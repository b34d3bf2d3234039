// torch.special's functions as Tensor methods: the native ones (ops.def: i0, i0e, i1, i1e, ndtri,
// logNdtr, erfcx, the Bessel functions J0 ... K1, sphericalBesselJ0, airyAi, zeta, gammainc,
// gammaincc, nextafter) and the ones composed of native ops, so
// differentiable and exportable (ndtr, sinc, entr, multigammaln; xlog1py is beside xlogy in
// pointwise_more.ts). The `special` namespace (src/special/index.ts) gives them torch.special's
// names as free functions.
import { isFloating, type DType, type FloatDType, type FloatResult } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { int } from '../options.js';
import { Tensor } from '../tensor.js';
import { installElementwise } from './elementwise_more.js';
import { where } from './functional.js';

declare module '../tensor.js' {
  interface Tensor<D extends DType = DType> {
    /** The modified Bessel function of the first kind, order 0. @example tensor([0, 1]).i0() // [1, 1.2661] */
    i0(): Tensor<FloatResult<D>>;
    /** In-place i0 (a floating tensor); returns this. */
    i0_(): this;
    /** i0(x) * exp(-|x|), finite where i0 overflows. @example tensor([1000]).i0e() // [0.012617] */
    i0e(): Tensor<FloatResult<D>>;
    /** The modified Bessel function of the first kind, order 1 (odd). @example tensor([1]).i1() // [0.5652] */
    i1(): Tensor<FloatResult<D>>;
    /** i1(x) * exp(-|x|). @example tensor([1]).i1e() // [0.2079] */
    i1e(): Tensor<FloatResult<D>>;
    /** The standard normal CDF, (1 + erf(x / sqrt 2)) / 2. @example tensor([0]).ndtr() // [0.5] */
    ndtr(): Tensor<FloatResult<D>>;
    /**
     * The standard normal quantile (the inverse of ndtr): -inf at 0, +inf at 1, NaN outside [0, 1].
     * @example tensor([0.975]).ndtri() // [1.96]
     */
    ndtri(): Tensor<FloatResult<D>>;
    /** log(ndtr(x)), accurate far into the lower tail. @example tensor([-40]).logNdtr() // [-804.608] */
    logNdtr(): Tensor<FloatResult<D>>;
    /** exp(x^2) * erfc(x), finite where erfc underflows. @example tensor([30]).erfcx() // [0.018795] */
    erfcx(): Tensor<FloatResult<D>>;
    /**
     * The Bessel function of the first kind, order 0 (torch.special.bessel_j0); differentiable
     * (torch 1.13's is not). @example tensor([2.404825557695773]).besselJ0() // [~0] (its first zero)
     */
    besselJ0(): Tensor<FloatResult<D>>;
    /** The Bessel function of the first kind, order 1 (odd). @example tensor([1]).besselJ1() // [0.4401] */
    besselJ1(): Tensor<FloatResult<D>>;
    /**
     * The Bessel function of the second kind, order 0: -inf at 0, NaN for x < 0.
     * @example tensor([1]).besselY0() // [0.0883]
     */
    besselY0(): Tensor<FloatResult<D>>;
    /** The Bessel function of the second kind, order 1: -inf at 0, NaN for x < 0. @example tensor([1]).besselY1() // [-0.7812] */
    besselY1(): Tensor<FloatResult<D>>;
    /**
     * The modified Bessel function of the second kind, order 0: +inf at 0, NaN for x < 0.
     * @example tensor([1]).modifiedBesselK0() // [0.4210]
     */
    modifiedBesselK0(): Tensor<FloatResult<D>>;
    /** The modified Bessel function of the second kind, order 1. @example tensor([1]).modifiedBesselK1() // [0.6019] */
    modifiedBesselK1(): Tensor<FloatResult<D>>;
    /**
     * modifiedBesselK0(x) * exp(x), finite where K0 underflows.
     * @example tensor([1000]).scaledModifiedBesselK0() // [0.039623]
     */
    scaledModifiedBesselK0(): Tensor<FloatResult<D>>;
    /** modifiedBesselK1(x) * exp(x). @example tensor([1]).scaledModifiedBesselK1() // [1.6362] */
    scaledModifiedBesselK1(): Tensor<FloatResult<D>>;
    /** The spherical Bessel function j0 = sin(x) / x, 1 at 0. @example tensor([Math.PI]).sphericalBesselJ0() // [~0] */
    sphericalBesselJ0(): Tensor<FloatResult<D>>;
    /**
     * The Airy function Ai (torch.special.airy_ai); not differentiable, as torch's: the result
     * records no gradient. @example tensor([0]).airyAi() // [0.3550]
     */
    airyAi(): Tensor<FloatResult<D>>;
    /** sin(pi x) / (pi x), 1 at 0 (torch.sinc). @example tensor([0, 0.5]).sinc() // [1, 0.6366] */
    sinc(): Tensor<FloatResult<D>>;
    /** -x log(x): 0 at 0, -inf for x < 0 (torch.special.entr). @example tensor([0.5]).entr() // [0.3466] */
    entr(): Tensor<FloatResult<D>>;
    /**
     * The Hurwitz zeta function sum_k (k + q)^-x of x = this (torch.special.zeta); differentiable
     * in q only. @example tensor([2]).zeta(1) // [1.6449] (pi^2 / 6)
     */
    zeta<F extends FloatDType>(this: Tensor<F>, q: Tensor<F> | Scalar): Tensor<F>;
    /** zeta of any dtypes (integers compute in float32). */
    zeta(q: Tensor | Scalar): Tensor;
    /**
     * The regularized lower incomplete gamma function P(a = this, x) (torch.special.gammainc,
     * torch.igamma); differentiable in x only. @example tensor([1]).gammainc(tensor([1])) // [0.6321]
     */
    gammainc<F extends FloatDType>(this: Tensor<F>, x: Tensor<F> | Scalar): Tensor<F>;
    /** gammainc of any dtypes (integers compute in float32). */
    gammainc(x: Tensor | Scalar): Tensor;
    /** The regularized upper incomplete gamma function Q(a = this, x) = 1 - P(a, x). */
    gammaincc<F extends FloatDType>(this: Tensor<F>, x: Tensor<F> | Scalar): Tensor<F>;
    /** gammaincc of any dtypes (integers compute in float32). */
    gammaincc(x: Tensor | Scalar): Tensor;
    /** Alias of {@link Tensor.gammainc} (torch's Tensor.igamma). */
    igamma(x: Tensor | Scalar): Tensor;
    /** Alias of {@link Tensor.gammaincc} (torch's Tensor.igammac). */
    igammac(x: Tensor | Scalar): Tensor;
    /**
     * The next representable value after this toward other (floating tensors only; not
     * differentiable). @example tensor([1], { dtype: 'float64' }).nextafter(2).sub(1) // [2.22e-16]
     */
    nextafter(other: Tensor | Scalar): Tensor<D>;
    /** In-place nextafter; returns this. */
    nextafter_(other: Tensor | Scalar): this;
    /**
     * The log of the multivariate gamma function of dimension p (torch.special.multigammaln,
     * Tensor.mvlgamma): every element must be greater than (p - 1) / 2. @example x.multigammaln(3)
     */
    multigammaln(p: number): Tensor<FloatResult<D>>;
    /** Alias of {@link Tensor.multigammaln} (torch's Tensor.mvlgamma). */
    mvlgamma(p: number): Tensor<FloatResult<D>>;
  }
}

installElementwise({
  unary: [
    ['i0', 'i0'],
    ['i0e', 'i0e'],
    ['i1', 'i1'],
    ['i1e', 'i1e'],
    ['ndtri', 'ndtri'],
    ['logNdtr', 'log_ndtr'],
    ['erfcx', 'erfcx'],
    ['besselJ0', 'bessel_j0'],
    ['besselJ1', 'bessel_j1'],
    ['besselY0', 'bessel_y0'],
    ['besselY1', 'bessel_y1'],
    ['modifiedBesselK0', 'modified_bessel_k0'],
    ['modifiedBesselK1', 'modified_bessel_k1'],
    ['scaledModifiedBesselK0', 'scaled_modified_bessel_k0'],
    ['scaledModifiedBesselK1', 'scaled_modified_bessel_k1'],
    ['sphericalBesselJ0', 'spherical_bessel_j0'],
    ['airyAi', 'airy_ai'],
  ],
  unaryInPlace: [['i0_', 'i0_']],
  binary: [
    ['zeta', 'zeta'],
    ['gammainc', 'gammainc'],
    ['gammaincc', 'gammaincc'],
    ['igamma', 'gammainc'],
    ['igammac', 'gammaincc'],
    ['nextafter', 'nextafter'],
  ],
  binaryInPlace: [['nextafter_', 'nextafter_']],
});

const proto = Tensor.prototype;
// The floating form of x: integers and bool compute in float32, as the native FLOAT-rule ops.
const floating = (x: Tensor): Tensor => (isFloating(x.dtype) ? x : x.to('float32'));
proto.ndtr = function (this: Tensor) {
  return tidy(() => floating(this).mul(-Math.SQRT1_2).erfc().mul(0.5)) as Tensor<never>;
};
// 1 where x is 0; x is swapped for 1 there before the division, so the branch not taken has
// neither a 0 / 0 value nor a NaN gradient.
proto.sinc = function (this: Tensor) {
  return tidy(() => {
    const x = floating(this);
    const zero = x.eq(0);
    const px = where(zero, 1, x).mul(Math.PI);
    return where(zero, 1, px.sin().div(px));
  }) as Tensor<never>;
};
proto.entr = function (this: Tensor) {
  return tidy(() => {
    const x = floating(this);
    const pos = x.gt(0);
    const r = where(pos, x.mul(where(pos, x, 1).log()).neg(), where(x.eq(0), 0, -Infinity));
    return where(x.isnan(), x, r);
  }) as Tensor<never>;
};
// log Gamma_p(x) = p (p - 1) / 4 log(pi) + sum_{i < p} lgamma(x - i / 2).
proto.multigammaln = function (this: Tensor, p: number) {
  const name = 'multigammaln';
  const d = int(name, 'p', p);
  if (d < 1) fail('INVALID_ARGUMENT', `${name}: p must be a positive integer, got ${d}`);
  return tidy(() => {
    const x = floating(this);
    if (
      x
        .le((d - 1) / 2)
        .any()
        .item()
    )
      fail('INVALID_ARGUMENT', `${name}: all elements must be greater than (p - 1) / 2 = ${(d - 1) / 2}`);
    let s = x.lgamma();
    for (let i = 1; i < d; i++) s = s.add(x.sub(i / 2).lgamma());
    return s.add((d * (d - 1) * Math.log(Math.PI)) / 4);
  }) as Tensor<never>;
};
proto.mvlgamma = proto.multigammaln;
