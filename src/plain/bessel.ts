// Plain references for torch.special's Bessel functions J0, J1, Y0, Y1, K0, K1 and the Airy
// function Ai, by routes independent of the native kernels' Chebyshev tables (kernels/bessel.h):
// J_n by its integral over a period (the trapezoid rule converges geometrically on a periodic
// integrand), Y_n by Neumann's series in J_{n+2k}, J and Y past 25 by Hankel's asymptotic series,
// K_nu by the trapezoid rule on int_0^inf e^(-x cosh t) cosh(nu t) dt (even and analytic, so again
// geometric), Ai for x > 1 through K_1/3 and elsewhere by its Maclaurin series. Accurate to about
// 1e-14 on the ranges the tests use (the Maclaurin series loses digits as x goes below -3).

const EULER = 0.5772156649015329;
const HANKEL_FROM = 25;

/** J_n(x) = (1/pi) int_0^pi cos(n t - x sin t) dt, by the trapezoid rule. */
function jIntegral(n: number, x: number): number {
  const m = 40 + Math.ceil(Math.abs(x));
  let sum = 0;
  for (let i = 0; i <= m; i++) {
    const t = (Math.PI * i) / m;
    sum += (i === 0 || i === m ? 0.5 : 1) * Math.cos(n * t - x * Math.sin(t));
  }
  return sum / m;
}

/**
 * Hankel's expansion for x >= 25: J = sqrt(2/(pi x)) (P cos chi - Q sin chi), Y = sqrt(2/(pi x))
 * (P sin chi + Q cos chi), chi = x - (2 nu + 1) pi / 4, P and Q the even and odd terms of
 * sum_k a_k(nu) / x^k, a_k = prod_{j <= k} (4 nu^2 - (2j - 1)^2) / (k! 8^k), signs alternating by pairs.
 */
function hankel(nu: 0 | 1, x: number): { j: number; y: number } {
  const mu = 4 * nu * nu;
  let p = 1,
    q = 0,
    term = 1;
  for (let k = 1; k < 60; k++) {
    const next = (term * (mu - (2 * k - 1) ** 2)) / (k * 8 * x);
    if (Math.abs(next) > Math.abs(term)) break; // the asymptotic series starts to diverge
    term = next;
    const sign = Math.floor(k / 2) % 2 === 0 ? 1 : -1;
    if (k % 2 === 0) p += sign * term;
    else q += sign * term;
    if (Math.abs(term) < 1e-18) break;
  }
  // cos(x - pi/4) = (cos x + sin x) / sqrt 2 and its kin: no rounded multiple of pi in the phase
  const s = Math.sin(x),
    c = Math.cos(x);
  const cosChi = nu ? (s - c) / Math.SQRT2 : (c + s) / Math.SQRT2;
  const sinChi = nu ? -(s + c) / Math.SQRT2 : (s - c) / Math.SQRT2;
  const scale = Math.sqrt(2 / (Math.PI * x));
  return { j: scale * (p * cosChi - q * sinChi), y: scale * (p * sinChi + q * cosChi) };
}

/** J0 or J1. */
export function besselJ(nu: 0 | 1, x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (!Number.isFinite(x)) return 0;
  const ax = Math.abs(x),
    sign = nu === 1 && x < 0 ? -1 : 1;
  return sign * (ax >= HANKEL_FROM ? hankel(nu, ax).j : jIntegral(nu, ax));
}

/**
 * Y0 or Y1 by Neumann's series in the J_n:
 * Y0 = 2/pi (ln(x/2) + gamma) J0 - 4/pi sum_k (-1)^k J_2k / k,
 * Y1 = -2 J0 / (pi x) + 2/pi (ln(x/2) + gamma - 1) J1 - 2/pi sum_k (-1)^k (2k + 1) J_2k+1 / (k (k + 1)).
 */
export function besselY(nu: 0 | 1, x: number): number {
  if (Number.isNaN(x) || x < 0) return NaN;
  if (x === 0) return -Infinity;
  if (x === Infinity) return 0;
  if (x >= HANKEL_FROM) return hankel(nu, x).y;
  const terms = Math.ceil(x / 2) + 25;
  let sum = 0;
  for (let k = 1; k <= terms; k++) {
    const sign = k % 2 ? -1 : 1;
    sum += nu === 0 ? (sign * jIntegral(2 * k, x)) / k : (sign * (2 * k + 1) * jIntegral(2 * k + 1, x)) / (k * (k + 1));
  }
  const log = Math.log(x / 2) + EULER;
  if (nu === 0) return (2 / Math.PI) * log * jIntegral(0, x) - (4 / Math.PI) * sum;
  return (-2 * jIntegral(0, x)) / (Math.PI * x) + (2 / Math.PI) * (log - 1) * jIntegral(1, x) - (2 / Math.PI) * sum;
}

/**
 * K_nu(x) = int_0^inf e^(-x cosh t) cosh(nu t) dt by the trapezoid rule (step 0.1; the integrand
 * is even and analytic in a strip, so the error is below e^-90); `scaled` multiplies by e^x
 * inside the integral (cosh t - 1 = 2 sinh^2(t/2), no cancellation).
 */
export function besselK(nu: number, x: number, scaled: boolean): number {
  if (Number.isNaN(x) || x < 0) return NaN;
  if (x === 0) return Infinity;
  if (x === Infinity) return 0;
  const h = 0.1;
  let sum = 0;
  for (let i = 0; ; i++) {
    const t = i * h,
      sh = Math.sinh(t / 2);
    const f = Math.exp(-x * 2 * sh * sh - (scaled ? 0 : x)) * Math.cosh(nu * t);
    sum += (i === 0 ? 0.5 : 1) * f;
    if (i > 0 && f < 1e-18 * sum) break;
  }
  return h * sum;
}

/** sin(x) / x, 1 at 0. */
export function sphericalBesselJ0(x: number): number {
  if (x === 0) return 1;
  if (!Number.isFinite(x)) return Number.isNaN(x) ? NaN : 0;
  return Math.sin(x) / x;
}

/**
 * Ai(x): for x > 1, sqrt(x / 3) K_1/3(zeta) / pi with zeta = 2/3 x^3/2; otherwise the Maclaurin
 * series Ai(0) f(x) + Ai'(0) g(x), f = sum 3^k (1/3)_k x^3k / (3k)!, g = sum 3^k (2/3)_k x^(3k+1) / (3k+1)!.
 */
export function airyAi(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (!Number.isFinite(x)) return 0;
  if (x > 1) return (Math.sqrt(x / 3) * besselK(1 / 3, (2 / 3) * x * Math.sqrt(x), false)) / Math.PI;
  const ai0 = 0.3550280538878172,
    aip0 = -0.2588194037928068;
  let f = 1,
    g = x,
    tf = 1,
    tg = x;
  const x3 = x * x * x;
  for (let k = 1; k < 200; k++) {
    tf *= x3 / ((3 * k - 1) * (3 * k));
    tg *= x3 / (3 * k * (3 * k + 1));
    f += tf;
    g += tg;
    if (Math.abs(tf) + Math.abs(tg) < 1e-18 * (Math.abs(f) + Math.abs(g))) break;
  }
  return ai0 * f + aip0 * g;
}
