// Scalar math the JS runtime lacks.

/** erf(x), accurate to ~1e-13 (Taylor series near 0, continued fraction for erfc beyond). */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = ax,
      sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  if (ax > 6) return x < 0 ? -1 : 1;
  const tail = erfcTail(ax);
  return x < 0 ? tail - 1 : 1 - tail;
}

// erfc(x) for x >= 2.5: exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) (Lentz's method).
function erfcTail(x: number): number {
  let f = x,
    c = x,
    d = 0;
  for (let n = 1; n < 300; n++) {
    const an = n / 2;
    d = x + an * d;
    d = d === 0 ? 1e-300 : 1 / d;
    c = x + an / c;
    if (c === 0) c = 1e-300;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** erfc(x) = 1 - erf(x), without the cancellation in the upper tail. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 2.5) return 1 - erf(x);
  if (x > 27) return 0;
  return erfcTail(x);
}

/** erf^-1(y): bisection to a bracket, then Newton on erf (an independent route from the native one). */
export function erfinv(y: number): number {
  if (!(y >= -1 && y <= 1)) return NaN;
  if (y === 1) return Infinity;
  if (y === -1) return -Infinity;
  let lo = -6,
    hi = 6;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (erf(mid) < y) lo = mid;
    else hi = mid;
  }
  let x = (lo + hi) / 2;
  for (let i = 0; i < 3; i++) x -= (erf(x) - y) / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
  return x;
}

// Lanczos (g = 7, n = 9) coefficients: ~1e-15 relative over the positive reals.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
/** log|Gamma(x)| (Lanczos; reflection below 0.5; +Infinity at the poles). */
export function lgamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity || x === -Infinity) return Infinity;
  if (x <= 0 && x === Math.floor(x)) return Infinity;
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The digamma function d/dx log Gamma(x) (recurrence to x >= 10, then the asymptotic series). */
export function digamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === 0) return Object.is(x, -0) ? Infinity : -Infinity;
  if (x < 0) {
    if (x === Math.trunc(x)) return NaN;
    return digamma(1 - x) - Math.PI / Math.tan(Math.PI * (x - Math.trunc(x)));
  }
  let r = 0;
  while (x < 10) {
    r -= 1 / x;
    x += 1;
  }
  const z = 1 / (x * x);
  // B2k / (2k) z^k: 1/12, -1/120, 1/252, -1/240, 1/132, -691/32760, 1/12
  const series =
    z * (1 / 12 - z * (1 / 120 - z * (1 / 252 - z * (1 / 240 - z * (1 / 132 - z * (691 / 32760 - z / 12))))));
  return r + Math.log(x) - 0.5 / x - series;
}

/**
 * The Hurwitz zeta function sum_k (k + q)^-s: summed to q + k >= 20 and closed by the
 * Euler-Maclaurin tail (NaN for s < 1 or a non-integer s at negative q, +Infinity at s = 1 and at
 * the poles q = 0, -1, ...).
 */
export function hurwitzZeta(s: number, q: number): number {
  if (Number.isNaN(s) || Number.isNaN(q)) return NaN;
  if (s === 1) return Infinity;
  if (s < 1) return NaN;
  if (q <= 0) {
    if (q === Math.floor(q)) return Infinity;
    if (s !== Math.floor(s)) return NaN;
  }
  let sum = 0;
  while (q < 20) {
    sum += q ** -s;
    q += 1;
  }
  // Euler-Maclaurin: int_q^inf t^-s dt + q^-s / 2 + sum_k B2k/(2k)! s(s+1)...(s+2k-2) q^(-s-2k+1)
  sum += q ** (1 - s) / (s - 1) + 0.5 * q ** -s;
  const B = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6];
  let rising = s,
    fact = 2;
  for (let k = 1; k <= B.length; k++) {
    sum += (B[k - 1] / fact) * rising * q ** (-s - 2 * k + 1);
    rising *= (s + 2 * k - 1) * (s + 2 * k);
    fact *= (2 * k + 1) * (2 * k + 2);
  }
  return sum;
}

/** polygamma(n, x), the n-th derivative of digamma: digamma for n = 0, else (-1)^(n+1) n! zeta(n + 1, x). */
export function polygamma(n: number, x: number): number {
  if (n === 0) return digamma(x);
  if (Number.isNaN(x)) return NaN;
  if (x <= 0 && x === Math.floor(x)) return n % 2 ? Infinity : NaN;
  if (x < 0) {
    if (n !== 1) return NaN; // the reflection below covers trigamma only (as the series needs x > 0)
    const sp = Math.sin(Math.PI * x);
    return -polygamma(1, 1 - x) + (Math.PI * Math.PI) / (sp * sp);
  }
  let nf = 1;
  for (let i = 2; i <= n; i++) nf *= i;
  return (n % 2 ? 1 : -1) * nf * hurwitzZeta(n + 1, x);
}
