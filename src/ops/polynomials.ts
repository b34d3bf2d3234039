// torch.special's classical orthogonal polynomials of x and an integer degree n (a number or a
// tensor broadcast with x, truncated; a negative degree gives 0): Chebyshev T, U, V, W and their
// shifted forms on [0, 1], Hermite H (physicists') and He (probabilists'), Laguerre L and Legendre
// P, each by its three-term recurrence, vectorised over the elements up to the largest degree.
// As torch's, the results carry no gradient.
import { tensorArg } from '../args.js';
import { noGrad } from '../autograd.js';
import { isFloating } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { describe } from '../options.js';
import { Tensor } from '../tensor.js';
import { full, onesLike } from './creation.js';
import { where } from './functional.js';

/** The largest degree computed (the recurrence runs once per degree). */
export const MAX_POLYNOMIAL_DEGREE = 65536;

// p_0(x), p_1(x), and p_{k+1} from p_k and p_{k-1}.
interface Recurrence {
  p0: (x: Tensor) => Tensor;
  p1: (x: Tensor) => Tensor;
  next: (k: number, x: Tensor, prev: Tensor, cur: Tensor) => Tensor;
}

function evaluate(op: string, input: Tensor, n: Tensor | number, r: Recurrence, shift: boolean): Tensor {
  const x0 = tensorArg(op, 'input', input);
  if (!(n instanceof Tensor) && typeof n !== 'number')
    fail('INVALID_ARGUMENT', `${op}: n must be a Tensor or a number, got ${describe(n)}`);
  if (typeof n === 'number' && !Number.isFinite(n)) fail('INVALID_ARGUMENT', `${op}: n must be finite, got ${n}`);
  return noGrad(() =>
    tidy(() => {
      let x = isFloating(x0.dtype) ? x0 : x0.to('float32');
      if (shift) x = x.mul(2).sub(1);
      const deg = (n instanceof Tensor ? n : full([], n, { dtype: 'float64', device: x.device })).to('float64').trunc();
      const top = deg.numel() ? Number(deg.max().item()) : 0;
      if (!Number.isFinite(top) || top > MAX_POLYNOMIAL_DEGREE)
        fail('INVALID_ARGUMENT', `${op}: the degree must be at most ${MAX_POLYNOMIAL_DEGREE}, got ${top}`);
      const shape = x.add(deg.to(x.dtype)).shape;
      const xs = x.expand(shape);
      const d = deg.expand(shape);
      let prev = r.p0(xs),
        cur = r.p1(xs);
      let out = where(d.eq(0), prev, where(d.eq(1), cur, 0));
      // each step frees what it replaces: memory stays at a few tensors whatever the degree
      for (let k = 1; k < top; k++) {
        const nxt = tidy(() => r.next(k, xs, prev, cur));
        const picked = tidy(() => where(d.eq(k + 1), nxt, out));
        prev.dispose();
        out.dispose();
        prev = cur;
        cur = nxt;
        out = picked;
      }
      return out;
    }),
  );
}

// p_0 = 1, also where x is NaN or infinite (as torch's)
const ones = (x: Tensor) => onesLike(x);
// 2x p_k - p_{k-1}: the Chebyshev recurrence of all four kinds (they differ in p_1)
const chebyshev = (p1: (x: Tensor) => Tensor): Recurrence => ({
  p0: ones,
  p1,
  next: (_k, x, prev, cur) => x.mul(cur).mul(2).sub(prev),
});
const T = chebyshev((x) => x.mul(1));
const U = chebyshev((x) => x.mul(2));
const V = chebyshev((x) => x.mul(2).sub(1));
const W = chebyshev((x) => x.mul(2).add(1));
const H: Recurrence = { p0: ones, p1: (x) => x.mul(2), next: (k, x, prev, cur) => x.mul(cur).sub(prev.mul(k)).mul(2) };
const HE: Recurrence = { p0: ones, p1: (x) => x.mul(1), next: (k, x, prev, cur) => x.mul(cur).sub(prev.mul(k)) };
const LAGUERRE: Recurrence = {
  p0: ones,
  p1: (x) => x.neg().add(1),
  next: (k, x, prev, cur) =>
    x
      .neg()
      .add(2 * k + 1)
      .mul(cur)
      .sub(prev.mul(k))
      .div(k + 1),
};
const LEGENDRE: Recurrence = {
  p0: ones,
  p1: (x) => x.mul(1),
  next: (k, x, prev, cur) =>
    x
      .mul(cur)
      .mul(2 * k + 1)
      .sub(prev.mul(k))
      .div(k + 1),
};

/** Chebyshev polynomial of the first kind T_n(x) (torch.special.chebyshev_polynomial_t). @example chebyshevPolynomialT(x, 3) */
export const chebyshevPolynomialT = (input: Tensor, n: Tensor | number) =>
  evaluate('chebyshevPolynomialT', input, n, T, false);
/** Chebyshev polynomial of the second kind U_n(x). */
export const chebyshevPolynomialU = (input: Tensor, n: Tensor | number) =>
  evaluate('chebyshevPolynomialU', input, n, U, false);
/** Chebyshev polynomial of the third kind V_n(x). */
export const chebyshevPolynomialV = (input: Tensor, n: Tensor | number) =>
  evaluate('chebyshevPolynomialV', input, n, V, false);
/** Chebyshev polynomial of the fourth kind W_n(x). */
export const chebyshevPolynomialW = (input: Tensor, n: Tensor | number) =>
  evaluate('chebyshevPolynomialW', input, n, W, false);
/** The shifted Chebyshev polynomial T*_n(x) = T_n(2x - 1). */
export const shiftedChebyshevPolynomialT = (input: Tensor, n: Tensor | number) =>
  evaluate('shiftedChebyshevPolynomialT', input, n, T, true);
/** The shifted Chebyshev polynomial U*_n(x) = U_n(2x - 1). */
export const shiftedChebyshevPolynomialU = (input: Tensor, n: Tensor | number) =>
  evaluate('shiftedChebyshevPolynomialU', input, n, U, true);
/** The shifted Chebyshev polynomial V*_n(x) = V_n(2x - 1). */
export const shiftedChebyshevPolynomialV = (input: Tensor, n: Tensor | number) =>
  evaluate('shiftedChebyshevPolynomialV', input, n, V, true);
/** The shifted Chebyshev polynomial W*_n(x) = W_n(2x - 1). */
export const shiftedChebyshevPolynomialW = (input: Tensor, n: Tensor | number) =>
  evaluate('shiftedChebyshevPolynomialW', input, n, W, true);
/** The physicists' Hermite polynomial H_n(x). */
export const hermitePolynomialH = (input: Tensor, n: Tensor | number) =>
  evaluate('hermitePolynomialH', input, n, H, false);
/** The probabilists' Hermite polynomial He_n(x). */
export const hermitePolynomialHe = (input: Tensor, n: Tensor | number) =>
  evaluate('hermitePolynomialHe', input, n, HE, false);
/** The Laguerre polynomial L_n(x). */
export const laguerrePolynomialL = (input: Tensor, n: Tensor | number) =>
  evaluate('laguerrePolynomialL', input, n, LAGUERRE, false);
/** The Legendre polynomial P_n(x). */
export const legendrePolynomialP = (input: Tensor, n: Tensor | number) =>
  evaluate('legendrePolynomialP', input, n, LEGENDRE, false);
