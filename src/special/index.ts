/**
 * torch.special: the special functions under torch's names, each the free form of a Tensor method
 * (so `special.i0e(x)` is `x.i0e()`), plus torch.special's aliases of functions found elsewhere
 * (expit is sigmoid, gammaln lgamma, psi digamma).
 * @example
 * import { special, tensor } from 'tensorkit';
 * special.ndtri(tensor([0.025, 0.975])); // [-1.96, 1.96]
 * @module
 */
import { tensorArg } from '../args.js';
import { fail } from '../errors.js';
import { full } from '../ops/creation.js';
import { freeFunction } from '../ops/free.js';
import { describe } from '../options.js';
import { Tensor } from '../tensor.js';

export {
  airyAi,
  besselJ0,
  besselJ1,
  besselY0,
  besselY1,
  digamma,
  erf,
  erfc,
  erfcx,
  erfinv,
  exp2,
  expm1,
  gammainc,
  gammaincc,
  i0,
  i0e,
  i1,
  i1e,
  log1p,
  logNdtr,
  logSoftmax,
  modifiedBesselK0,
  modifiedBesselK1,
  ndtri,
  round,
  scaledModifiedBesselK0,
  scaledModifiedBesselK1,
  softmax,
  sphericalBesselJ0,
} from '../ops/functional.generated.js';
export { entr, logit, logsumexp, multigammaln, ndtr, sinc, xlog1py, xlogy } from '../ops/functional_methods.js';

export {
  chebyshevPolynomialT,
  chebyshevPolynomialU,
  chebyshevPolynomialV,
  chebyshevPolynomialW,
  shiftedChebyshevPolynomialT,
  shiftedChebyshevPolynomialU,
  shiftedChebyshevPolynomialV,
  shiftedChebyshevPolynomialW,
  hermitePolynomialH,
  hermitePolynomialHe,
  laguerrePolynomialL,
  legendrePolynomialP,
} from '../ops/polynomials.js';

/** The logistic sigmoid 1 / (1 + exp(-x)) (torch.special.expit). */
export const expit = freeFunction('sigmoid');
/** log|Gamma(x)| (torch.special.gammaln). */
export const gammaln = freeFunction('lgamma');
/** digamma (torch.special.psi). */
export const psi = freeFunction('digamma');
/** The modified Bessel function I0 (torch.special.modified_bessel_i0; the same function as i0). */
export const modifiedBesselI0 = freeFunction('i0');
/** The modified Bessel function I1 (torch.special.modified_bessel_i1; the same function as i1). */
export const modifiedBesselI1 = freeFunction('i1');

/**
 * The n-th derivative of digamma, order first as torch.special.polygamma(n, input).
 * @example special.polygamma(1, x) // trigamma
 */
export function polygamma(n: number, input: Tensor): Tensor {
  return tensorArg('polygamma', 'input', input).polygamma(n);
}

/**
 * The Hurwitz zeta function sum_k (k + q)^-x; either argument may be a number (not both).
 * @example special.zeta(2, tensor([1])) // [1.6449]
 */
export function zeta(x: Tensor | number, q: Tensor | number): Tensor {
  if (x instanceof Tensor) return x.zeta(q);
  if (!(q instanceof Tensor))
    fail('INVALID_ARGUMENT', `zeta: x or q must be a Tensor, got ${describe(x)} and ${describe(q)}`);
  if (typeof x !== 'number') fail('INVALID_ARGUMENT', `zeta: x must be a Tensor or a number, got ${describe(x)}`);
  const xt = full([], x, { dtype: q.dtype === 'float64' ? 'float64' : 'float32', device: q.device });
  try {
    return xt.zeta(q);
  } finally {
    xt.dispose();
  }
}
