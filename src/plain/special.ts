// Scalar special functions for the plain reference kernels (torch.special's Bessel, normal and
// incomplete-gamma functions), each by a route independent of the native one where a simple one
// exists: Bessel functions by their integral over a period (the trapezoid rule converges
// geometrically there), the normal quantile by bisection and Newton, the Hurwitz zeta by direct
// summation closed by Euler-Maclaurin, the incomplete gamma by its series and Lentz's fraction.
import { erfc, lgamma } from './math.js';
export { hurwitzZeta } from './math.js';

/**
 * I_nu(x) (nu 0 or 1) as (1/pi) int_0^pi e^(x cos t) cos(nu t) dt; `scaled` multiplies by
 * e^-|x| inside the integral, so nothing overflows.
 */
export function besselI(nu: 0 | 1, x: number, scaled: boolean): number {
  if (Number.isNaN(x)) return NaN;
  if (!Number.isFinite(x)) return scaled ? 0 : nu === 1 && x < 0 ? -Infinity : Infinity;
  const n = 400,
    shift = scaled ? Math.abs(x) : 0;
  let sum = 0;
  for (let i = 0; i <= n; i++) {
    const t = (Math.PI * i) / n;
    const w = i === 0 || i === n ? 0.5 : 1;
    sum += w * Math.exp(x * Math.cos(t) - shift) * Math.cos(nu * t);
  }
  return sum / n;
}

/** e^(x^2) erfc(x): the continued fraction's value without its e^(-x^2) factor past 2.5. */
export function erfcx(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return x < -26.7 ? Infinity : 2 * Math.exp(x * x) - erfcx(-x);
  if (x === Infinity) return 0;
  if (x < 2.5) return Math.exp(x * x) * erfc(x);
  let f = x,
    c = x,
    d = 0;
  for (let n = 1; n < 300; n++) {
    d = x + (n / 2) * d;
    d = d === 0 ? 1e-300 : 1 / d;
    c = x + n / 2 / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return 1 / Math.sqrt(Math.PI) / f;
}

/** log Phi(x), through erfcx in the lower tail. */
export function logNdtr(x: number): number {
  const t = x / Math.SQRT2;
  if (x < 0) return Math.log(erfcx(-t) / 2) - t * t;
  return Math.log1p(-erfc(t) / 2);
}

/** Phi^-1(p): bisection on Phi to a bracket, then Newton steps. */
export function ndtri(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const upper = p > 0.5,
    q = upper ? 1 - p : p;
  const phi = (x: number) => erfc(-x / Math.SQRT2) / 2;
  let lo = -40,
    hi = 0;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (phi(mid) < q) lo = mid;
    else hi = mid;
  }
  let x = (lo + hi) / 2;
  for (let i = 0; i < 2; i++) {
    const pdf = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    if (pdf > 0) x -= (phi(x) - q) / pdf;
  }
  return upper ? -x : x;
}

/** The regularized incomplete gamma function: P(a, x), or Q(a, x) when `upper`. */
export function igamma(a: number, x: number, upper: boolean): number {
  if (Number.isNaN(a) || Number.isNaN(x) || a < 0 || x < 0) return NaN;
  if (a === 0) return x > 0 ? (upper ? 0 : 1) : NaN;
  if (x === 0) return upper ? 1 : 0;
  if (a === Infinity) return x === Infinity ? NaN : upper ? 1 : 0;
  if (x === Infinity) return upper ? 0 : 1;
  const prefix = Math.exp(a * Math.log(x) - x - lgamma(a));
  if (x < a + 1) {
    let term = 1 / a,
      sum = term;
    for (let n = 1; n < 100000; n++) {
      term *= x / (a + n);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    const p = sum * prefix;
    return upper ? 1 - p : p;
  }
  // Q = prefix / (x + 1 - a - 1 (1 - a) / (x + 3 - a - 2 (2 - a) / (x + 5 - a - ...))) by Lentz
  let b = x + 1 - a,
    c = 1e300,
    d = 1 / b,
    h = d;
  for (let n = 1; n < 100000; n++) {
    const an = -n * (n - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const q = prefix * h;
  return upper ? q : 1 - q;
}
