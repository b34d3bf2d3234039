/**
 * Two-sample statistics for drift, on plain numbers: ks2samp, chi2Contingency, proportionZTest,
 * wasserstein, jensenShannon, psi and Evidently's binning (binnedShares).
 * @example monitor.stats.ks2samp([1, 2, 3], [4, 5, 6]).pValue
 * @module stats
 */
// Two-sample statistics for drift: Kolmogorov–Smirnov (exact and asymptotic p-values, as scipy's
// ks_2samp), chi-squared on a contingency table (scipy's chi2_contingency, Yates' correction at one
// degree of freedom), a two-proportion z-test, and the binned distances Evidently uses (PSI,
// Jensen–Shannon) plus the 1-D Wasserstein distance. Plain numbers in, plain numbers out.
import { fail } from '../errors.js';
import { describe } from '../options.js';
import { chi2Sf, lgamma, normalSf } from './special.js';

// A sample argument: an array of numbers or a (non-bigint) typed array.
function sample(op: string, name: string, v: unknown): ArrayLike<number> {
  const ok =
    (Array.isArray(v) && v.every((x) => typeof x === 'number')) ||
    (ArrayBuffer.isView(v) &&
      !(v instanceof DataView) &&
      !(v instanceof BigInt64Array) &&
      !(v instanceof BigUint64Array));
  if (!ok) fail('INVALID_ARGUMENT', `${op}: ${name} must be an array of numbers, got ${describe(v)}`);
  return v as ArrayLike<number>;
}

/** Sorted copy of finite values (NaN and ±Inf are data-quality issues, counted elsewhere). */
export function sortedFinite(v: ArrayLike<number>): Float64Array {
  sample('sortedFinite', 'values', v);
  const out = new Float64Array(v.length);
  let k = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as number;
    if (Number.isFinite(x)) out[k++] = x;
  }
  return out.subarray(0, k).sort();
}

/** The KS statistic D = sup |F_a - F_b| of two sorted samples. */
export function ksStatistic(a: Float64Array, b: Float64Array): number {
  if (!(a instanceof Float64Array) || !(b instanceof Float64Array))
    fail('INVALID_ARGUMENT', `ksStatistic: expected two sorted Float64Arrays, got ${describe(a)} and ${describe(b)}`);
  if (a.length === 0 || b.length === 0) fail('INVALID_ARGUMENT', 'ksStatistic: both samples must be non-empty');
  const n = a.length,
    m = b.length;
  let i = 0,
    j = 0,
    d = 0;
  while (i < n && j < m) {
    const x = Math.min(a[i] as number, b[j] as number);
    while (i < n && (a[i] as number) <= x) i++;
    while (j < m && (b[j] as number) <= x) j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  return d;
}

/** Result of ks2samp. */
export interface KsResult {
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymp';
}

/**
 * Two-sided two-sample KS test, as scipy.stats.ks_2samp(method='auto'): exact p-values for small
 * samples (equal sizes by the reflection formula in O(n); unequal by counting lattice paths, while
 * n * m <= 1e6), the asymptotic Kolmogorov distribution beyond.
 * @example ks2samp([1, 2, 3], [4, 5, 6]).pValue // 0.1
 */
export function ks2samp(x: ArrayLike<number>, y: ArrayLike<number>): KsResult {
  return ksSorted(sortedFinite(x), sortedFinite(y));
}

/** @internal ks2samp of two samples already sorted and finite (detectDrift sorts once). */
export function ksSorted(a: Float64Array, b: Float64Array): KsResult {
  if (!(a instanceof Float64Array) || !(b instanceof Float64Array))
    fail('INVALID_ARGUMENT', `ks2samp: expected two sorted Float64Arrays, got ${describe(a)} and ${describe(b)}`);
  if (a.length === 0 || b.length === 0)
    fail('INVALID_ARGUMENT', 'ks2samp: both samples need at least one finite value');
  const d = ksStatistic(a, b);
  const n = a.length,
    m = b.length;
  if (n === m) return { statistic: d, pValue: ksEqualExact(d, n), method: 'exact' };
  if (n * m <= 1e6) return { statistic: d, pValue: ksExact(d, n, m), method: 'exact' };
  return { statistic: d, pValue: ksAsymp(d, n, m), method: 'asymp' };
}

// P(D >= d) for n = m: 2 * sum_j (-1)^(j+1) C(2n, n - j k) / C(2n, n), k = ceil(d n) (d is a
// multiple of 1/n).
// log(i!) for i <= 2n, kept for the last n (every feature of a window has the same n).
let logFact: Float64Array = new Float64Array([0]);
function logFactorials(upTo: number): Float64Array {
  if (logFact.length <= upTo) {
    const t = new Float64Array(upTo + 1);
    for (let i = 1; i <= upTo; i++) t[i] = lgamma(i + 1);
    logFact = t;
  }
  return logFact;
}

function ksEqualExact(d: number, n: number): number {
  const k = Math.round(d * n);
  if (k <= 0) return 1;
  const lf = logFactorials(2 * n);
  const lc = (r: number) => (lf[2 * n] as number) - (lf[r] as number) - (lf[2 * n - r] as number);
  const base = lc(n);
  let s = 0;
  for (let j = 1; n - j * k >= 0; j++) s += (j % 2 ? 1 : -1) * Math.exp(lc(n - j * k) - base);
  return Math.min(1, Math.max(0, 2 * s));
}

// P(D >= d) by counting paths inside |i/n - j/m| < d (R's psmirnov2x, in probabilities).
function ksExact(d: number, n: number, m: number): number {
  if (n > m) [n, m] = [m, n];
  const q = (0.5 + Math.floor(d * n * m - 1e-7)) / (n * m);
  const u = new Float64Array(m + 1);
  for (let j = 0; j <= m; j++) u[j] = j / m > q ? 0 : 1;
  for (let i = 1; i <= n; i++) {
    const w = i / (i + m);
    u[0] = i / n > q ? 0 : w * (u[0] as number);
    for (let j = 1; j <= m; j++) u[j] = Math.abs(i / n - j / m) > q ? 0 : w * (u[j] as number) + (u[j - 1] as number);
  }
  return Math.min(1, Math.max(0, 1 - (u[m] as number)));
}

// The Kolmogorov limit with Stephens' small-sample correction.
function ksAsymp(d: number, n: number, m: number): number {
  const en = Math.sqrt((n * m) / (n + m));
  const lam = (en + 0.12 + 0.11 / en) * d;
  if (lam < 0.2) return 1;
  let s = 0;
  for (let j = 1; j <= 100; j++) {
    const t = 2 * (j % 2 ? 1 : -1) * Math.exp(-2 * j * j * lam * lam);
    s += t;
    if (Math.abs(t) < 1e-16) break;
  }
  return Math.min(1, Math.max(0, s));
}

/** Result of chi2Contingency. */
export interface Chi2Result {
  statistic: number;
  pValue: number;
  dof: number;
}

/**
 * Pearson's chi-squared test of independence on a table of counts (rows: samples, columns:
 * categories), as scipy.stats.chi2_contingency with its default Yates correction when dof = 1.
 * @example chi2Contingency([[10, 20], [20, 10]]).pValue
 */
export function chi2Contingency(table: readonly (readonly number[])[], correction = true): Chi2Result {
  if (
    !Array.isArray(table) ||
    !table.every((row) => Array.isArray(row) && row.every((v) => typeof v === 'number' && v >= 0))
  )
    fail('INVALID_ARGUMENT', `chi2Contingency: table must be rows of non-negative counts, got ${describe(table)}`);
  const r = table.length,
    c = table[0]?.length ?? 0;
  if (r < 2 || c < 2 || table.some((row) => row.length !== c))
    fail('INVALID_ARGUMENT', `chi2Contingency: need a rectangular table of at least 2 x 2 counts, got ${r} x ${c}`);
  const rows = table.map((row) => row.reduce((a: number, b: number) => a + b, 0));
  const cols = Array.from({ length: c }, (_, j) => table.reduce((a, row) => a + (row[j] as number), 0));
  const total = rows.reduce((a, b) => a + b, 0);
  if (rows.some((v) => v === 0) || cols.some((v) => v === 0))
    fail('INVALID_ARGUMENT', 'chi2Contingency: a row or column sums to zero (no expected frequency)');
  const dof = (r - 1) * (c - 1);
  let stat = 0;
  for (let i = 0; i < r; i++)
    for (let j = 0; j < c; j++) {
      const e = ((rows[i] as number) * (cols[j] as number)) / total;
      let diff = (table[i]![j] as number) - e;
      if (correction && dof === 1) diff = Math.sign(diff) * Math.max(0, Math.abs(diff) - 0.5);
      stat += (diff * diff) / e;
    }
  return { statistic: stat, pValue: chi2Sf(stat, dof), dof };
}

/** Two-sided two-proportion z-test (Evidently's z-test for binary features). @example proportionZTest(30, 100, 50, 100) */
export function proportionZTest(k1: number, n1: number, k2: number, n2: number): { statistic: number; pValue: number } {
  for (const [name, v] of [
    ['k1', k1],
    ['n1', n1],
    ['k2', k2],
    ['n2', n2],
  ] as const)
    if (typeof v !== 'number' || !(v >= 0))
      fail('INVALID_ARGUMENT', `proportionZTest: ${name} must be a count, got ${describe(v)}`);
  if (k1 > n1 || k2 > n2)
    fail('INVALID_ARGUMENT', `proportionZTest: more successes than trials (${k1}/${n1}, ${k2}/${n2})`);
  if (!(n1 > 0 && n2 > 0)) fail('INVALID_ARGUMENT', 'proportionZTest: both samples must be non-empty');
  const p1 = k1 / n1,
    p2 = k2 / n2,
    p = (k1 + k2) / (n1 + n2);
  const se = Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
  if (se === 0) return { statistic: 0, pValue: p1 === p2 ? 1 : 0 };
  const z = (p1 - p2) / se;
  return { statistic: z, pValue: 2 * normalSf(Math.abs(z)) };
}

/** The 1-D Wasserstein-1 distance of two samples (scipy.stats.wasserstein_distance). */
export function wasserstein(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const a = sortedFinite(sample('wasserstein', 'x', x)),
    b = sortedFinite(sample('wasserstein', 'y', y));
  if (a.length === 0 || b.length === 0) fail('INVALID_ARGUMENT', 'wasserstein: both samples need a finite value');
  // Integral of |F_a - F_b| over the merged breakpoints.
  let i = 0,
    j = 0,
    prev = Math.min(a[0] as number, b[0] as number),
    s = 0;
  while (i < a.length || j < b.length) {
    const x0 =
      j >= b.length || (i < a.length && (a[i] as number) <= (b[j] as number)) ? (a[i] as number) : (b[j] as number);
    s += Math.abs(i / a.length - j / b.length) * (x0 - prev);
    while (i < a.length && (a[i] as number) === x0) i++;
    while (j < b.length && (b[j] as number) === x0) j++;
    prev = x0;
  }
  return s;
}

/** Jensen–Shannon distance of two distributions (scipy.spatial.distance.jensenshannon, natural log). */
export function jensenShannon(p: ArrayLike<number>, q: ArrayLike<number>): number {
  sample('jensenShannon', 'p', p);
  sample('jensenShannon', 'q', q);
  if (p.length !== q.length || p.length === 0)
    fail('INVALID_ARGUMENT', 'jensenShannon: need two distributions of one length');
  let sp = 0,
    sq = 0;
  for (let i = 0; i < p.length; i++) ((sp += p[i] as number), (sq += q[i] as number));
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const a = (p[i] as number) / sp,
      b = (q[i] as number) / sq,
      mm = (a + b) / 2;
    if (a > 0) js += a * Math.log(a / mm);
    if (b > 0) js += b * Math.log(b / mm);
  }
  return Math.sqrt(Math.max(0, js / 2));
}

/** Population stability index of two binned distributions: sum (cur - ref) ln(cur / ref). */
export function psi(ref: ArrayLike<number>, cur: ArrayLike<number>): number {
  sample('psi', 'ref', ref);
  sample('psi', 'cur', cur);
  if (ref.length !== cur.length)
    fail('INVALID_ARGUMENT', `psi: ${ref.length} reference bins but ${cur.length} current ones`);
  let s = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i] as number,
      c = cur[i] as number;
    s += (c - r) * Math.log(c / r);
  }
  return s;
}

/**
 * Evidently's binning of one feature: Sturges bins (numpy's histogram_bin_edges over both
 * samples) when the reference has more than `maxDistinct` distinct values, one bin per value
 * otherwise; shares per sample, zeros replaced by a small share (0.0001, or the smallest non-zero
 * share / 1e6 when that is below it) so logarithms stay finite.
 */
export function binnedShares(
  ref: ArrayLike<number>,
  cur: ArrayLike<number>,
  maxDistinct = 20,
): [Float64Array, Float64Array] {
  const a = sortedFinite(sample('binnedShares', 'ref', ref)),
    b = sortedFinite(sample('binnedShares', 'cur', cur));
  if (a.length === 0 || b.length === 0) fail('INVALID_ARGUMENT', 'binnedShares: both samples need a finite value');
  const distinct = new Set(a).size;
  let ra: Float64Array, ca: Float64Array;
  if (distinct > maxDistinct) {
    const lo = Math.min(a[0] as number, b[0] as number),
      hi = Math.max(a[a.length - 1] as number, b[b.length - 1] as number);
    const k = Math.ceil(Math.log2(a.length + b.length) + 1);
    const count = (s: Float64Array) => {
      const h = new Float64Array(k);
      for (const v of s) {
        let i = hi > lo ? Math.floor(((v - lo) / (hi - lo)) * k) : 0;
        if (i >= k) i = k - 1; // numpy: the last bin is closed
        h[i] = (h[i] as number) + 1;
      }
      return h.map((c) => c / s.length);
    };
    ra = count(a);
    ca = count(b);
  } else {
    const keys = [...new Set([...a, ...b])].sort((p, q) => p - q);
    const at = new Map(keys.map((v, i) => [v, i]));
    const count = (s: Float64Array) => {
      const h = new Float64Array(keys.length);
      for (const v of s) h[at.get(v) as number] = (h[at.get(v) as number] as number) + 1;
      return h.map((c) => c / s.length);
    };
    ra = count(a);
    ca = count(b);
  }
  const fill = (h: Float64Array) => {
    let min = Infinity;
    for (const v of h) if (v > 0) min = Math.min(min, v);
    const eps = min <= 0.0001 ? min / 1e6 : 0.0001;
    return h.map((v) => (v === 0 ? eps : v));
  };
  return [fill(ra), fill(ca)];
}
