// Drift detectors over tables (rows x features): per-feature tests chosen as Evidently's default
// policy, corrected across features, a dataset verdict; and MMD with a permutation test for
// multivariate drift, its kernel matrix from the GEMM.
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { randint, tensor } from '../ops/creation.js';
import { checkOptions, describe, num, oneOf } from '../options.js';
import { Tensor } from '../tensor.js';
import {
  binnedShares,
  chi2Contingency,
  jensenShannon,
  ksSorted,
  proportionZTest,
  psi,
  sortedFinite,
  wasserstein,
} from './stats.js';

/** A table: a 2-D tensor [rows, features], or rows of numbers. */
export type Table = Tensor | readonly (readonly number[])[];
/** Per-feature methods. */
export type DriftMethod = 'ks' | 'chisquare' | 'ztest' | 'psi' | 'wasserstein' | 'jensenshannon';
/** A feature's kind (inferred when not given: binary with 2 values, categorical up to 5 integers, else numerical). */
export type FeatureType = 'numerical' | 'categorical' | 'binary';

/** One feature's result. */
export interface FeatureDrift {
  feature: string;
  type: FeatureType;
  method: DriftMethod;
  /** The test statistic (KS D, chi-squared, z) or the distance (PSI, normed Wasserstein, JS). */
  statistic: number;
  /** Tests only. */
  pValue?: number;
  /** Distances only (same as statistic). */
  distance?: number;
  /** The p-value threshold after correction, or the distance threshold. */
  threshold: number;
  isDrift: boolean;
  /** PSI only: 'none' below 0.1, 'moderate' below 0.25, 'significant' from 0.25. */
  level?: 'none' | 'moderate' | 'significant';
}

/** The dataset's result (alibi-detect's and Evidently's shape). */
export interface DriftResult {
  isDrift: boolean;
  /** The share of features that drifted. */
  statistic: number;
  /** The share at which the dataset is said to drift. */
  threshold: number;
  method: 'share of drifted features';
  nFeatures: number;
  nDrifted: number;
  perFeature: FeatureDrift[];
}

/** Options of detectDrift. */
export interface DriftOptions {
  /** Feature names (default 'f0', 'f1', ...). */
  featureNames?: readonly string[];
  /** Per-feature kinds (default: inferred). */
  featureTypes?: readonly FeatureType[];
  /** One method for every feature, or per feature name; default Evidently's policy. */
  method?: DriftMethod | Record<string, DriftMethod>;
  /** The tests' significance level (default 0.05). */
  pValue?: number;
  /** Across features: 'bonferroni' (default), 'fdr' (Benjamini–Hochberg) or 'none'. */
  correction?: 'bonferroni' | 'fdr' | 'none';
  /** Distance thresholds: psi 0.1, wasserstein 0.1 (over the reference's std), jensenshannon 0.1. */
  thresholds?: Partial<Record<'psi' | 'wasserstein' | 'jensenshannon', number>>;
  /** Reference rows up to which tests are used, distances above (default 1000, as Evidently). */
  testsUpTo?: number;
  /** The dataset drifts when at least this share of features do (default 0.5). */
  driftShare?: number;
}

/** @internal detectDrift's option checks (monitor.report takes the same options). */
export const DRIFT_SPEC = {
  featureNames: 'any',
  featureTypes: 'any',
  method: 'any',
  pValue: 'number',
  correction: 'string',
  thresholds: 'any',
  testsUpTo: 'integer',
  driftShare: 'number',
} as const;

const METHODS: readonly DriftMethod[] = ['ks', 'chisquare', 'ztest', 'psi', 'wasserstein', 'jensenshannon'];
const TESTS = new Set<DriftMethod>(['ks', 'chisquare', 'ztest']);

/** Columns of a table as Float64Arrays, checked. */
export function columns(op: string, t: Table, what: string): Float64Array[] {
  let rows: number, cols: number, flat: ArrayLike<number>;
  if (t instanceof Tensor) {
    if (t.ndim !== 2) fail('SHAPE_MISMATCH', `${op}: ${what} must be [rows, features], got [${t.shape.join(', ')}]`);
    [rows, cols] = t.shape as [number, number];
    flat = t.contiguous().to('float64').data() as Float64Array;
  } else if (Array.isArray(t)) {
    rows = t.length;
    const first: unknown = t[0];
    if (rows && !Array.isArray(first))
      fail('INVALID_ARGUMENT', `${op}: ${what} must be rows of numbers, got row 0 = ${describe(first)}`);
    cols = rows ? (first as readonly number[]).length : 0;
    const f = new Float64Array(rows * cols);
    t.forEach((r, i) => {
      if (!Array.isArray(r) || r.length !== cols)
        fail(
          'SHAPE_MISMATCH',
          `${op}: ${what} row ${i} has ${Array.isArray(r) ? r.length : describe(r)} values, expected ${cols}`,
        );
      r.forEach((v: unknown, j: number) => {
        if (typeof v !== 'number')
          fail('INVALID_ARGUMENT', `${op}: ${what}[${i}][${j}] is not a number, got ${describe(v)}`);
        f[i * cols + j] = v;
      });
    });
    flat = f;
  } else fail('INVALID_ARGUMENT', `${op}: ${what} must be a 2-D Tensor or an array of rows, got ${describe(t)}`);
  if (rows === 0 || cols === 0) fail('INVALID_ARGUMENT', `${op}: ${what} is empty ([${rows}, ${cols}])`);
  return Array.from({ length: cols }, (_, j) => {
    const c = new Float64Array(rows);
    for (let i = 0; i < rows; i++) c[i] = flat[i * cols + j] as number;
    return c;
  });
}

function inferType(ref: Float64Array, cur: Float64Array): FeatureType {
  const vals = new Set<number>();
  for (const s of [ref, cur])
    for (const v of s) {
      if (!Number.isFinite(v)) continue;
      vals.add(v);
      if (vals.size > 5) return 'numerical';
    }
  if (vals.size <= 2) return 'binary';
  return [...vals].every(Number.isInteger) ? 'categorical' : 'numerical';
}

function counts(keys: number[], s: Float64Array): number[] {
  const at = new Map(keys.map((k, i) => [k, i]));
  const c = new Array<number>(keys.length).fill(0);
  for (const v of s) if (at.has(v)) c[at.get(v) as number]! += 1;
  return c;
}

// One feature: the method's statistic and p-value or distance (thresholds applied by the caller).
function featureStat(
  method: DriftMethod,
  ref: Float64Array,
  cur: Float64Array,
): { statistic: number; pValue?: number } {
  const a = sortedFinite(ref),
    b = sortedFinite(cur);
  if (a.length === 0 || b.length === 0)
    fail('INVALID_ARGUMENT', 'detectDrift: a feature has no finite value in a window');
  switch (method) {
    case 'ks': {
      const r = ksSorted(a, b);
      return { statistic: r.statistic, pValue: r.pValue };
    }
    case 'chisquare':
    case 'ztest': {
      const keys = [...new Set([...a, ...b])].sort((p, q) => p - q);
      if (keys.length < 2) return { statistic: 0, pValue: 1 }; // one value in both: nothing moved
      const ca = counts(keys, a),
        cb = counts(keys, b);
      if (method === 'ztest') {
        if (keys.length > 2)
          fail('INVALID_ARGUMENT', `detectDrift: the z-test is for binary features, got ${keys.length} values`);
        const r = proportionZTest(ca[1] as number, a.length, cb[1] as number, b.length);
        return { statistic: r.statistic, pValue: r.pValue };
      }
      const r = chi2Contingency([ca, cb]);
      return { statistic: r.statistic, pValue: r.pValue };
    }
    case 'wasserstein': {
      let mean = 0;
      for (const v of a) mean += v;
      mean /= a.length;
      let v2 = 0;
      for (const v of a) v2 += (v - mean) ** 2;
      const sd = Math.max(Math.sqrt(v2 / a.length), 0.001); // Evidently's floor for constant features
      return { statistic: wasserstein(a, b) / sd };
    }
    case 'psi': {
      const [r, c] = binnedShares(a, b);
      return { statistic: psi(r, c) };
    }
    case 'jensenshannon': {
      const [r, c] = binnedShares(a, b);
      return { statistic: jensenShannon(r, c) };
    }
  }
}

/**
 * Per-feature drift between a reference table and a current window, and the dataset verdict.
 * Default policy, as Evidently's: up to 1,000 reference rows, KS for numerical features,
 * chi-squared for categorical, a z-test for binary ones (p < 0.05, Bonferroni-corrected across
 * features); above, the Wasserstein distance over the reference's standard deviation (numerical,
 * 0.1) and Jensen–Shannon (categorical, 0.1). The dataset drifts when half the features do.
 * NaN and ±Inf values are left out of the statistics (count them with `dataQuality`).
 * @example const r = monitor.detectDrift(train, lastHour, { featureNames: ['age', 'income'] })
 */
export function detectDrift(reference: Table, current: Table, options: DriftOptions = {}): DriftResult {
  const op = 'monitor.detectDrift';
  const o = checkOptions(op, options, DRIFT_SPEC);
  const R = columns(op, reference, 'reference'),
    C = columns(op, current, 'current');
  if (R.length !== C.length)
    fail('SHAPE_MISMATCH', `${op}: the reference has ${R.length} features but the current window ${C.length}`);
  const F = R.length;
  const names = o.featureNames ? [...o.featureNames] : R.map((_, j) => `f${j}`);
  if (names.length !== F) fail('SHAPE_MISMATCH', `${op}: ${names.length} feature names for ${F} features`);
  const alpha = num(op, 'pValue', o.pValue ?? 0.05);
  if (!(alpha > 0 && alpha < 1)) fail('INVALID_ARGUMENT', `${op}: pValue must be in (0, 1), got ${alpha}`);
  const correction = oneOf(op, 'correction', o.correction ?? 'bonferroni', ['bonferroni', 'fdr', 'none'] as const);
  const thr = { psi: 0.1, wasserstein: 0.1, jensenshannon: 0.1, ...(o.thresholds ?? {}) };
  const share = num(op, 'driftShare', o.driftShare ?? 0.5);
  const small = (R[0] as Float64Array).length <= (o.testsUpTo ?? 1000);
  const rows = R.map((ref, j) => {
    const cur = C[j] as Float64Array;
    const type = o.featureTypes?.[j] ?? inferType(ref, cur);
    const m = o.method;
    let method: DriftMethod;
    if (typeof m === 'string') method = m;
    else if (m && typeof m === 'object' && (m as Record<string, DriftMethod>)[names[j] as string])
      method = (m as Record<string, DriftMethod>)[names[j] as string] as DriftMethod;
    else if (small) method = type === 'numerical' ? 'ks' : type === 'binary' ? 'ztest' : 'chisquare';
    else method = type === 'numerical' ? 'wasserstein' : 'jensenshannon';
    if (!METHODS.includes(method))
      fail('INVALID_ARGUMENT', `${op}: unknown method ${describe(method)} for ${names[j]}`);
    return { feature: names[j] as string, type, method, ...featureStat(method, ref, cur) };
  });
  // Corrected p-value thresholds across the features that were tested.
  const tested = rows.filter((r) => TESTS.has(r.method));
  let pThr = alpha;
  if (correction === 'bonferroni') pThr = alpha / Math.max(1, tested.length);
  else if (correction === 'fdr') {
    const ps = tested.map((r) => r.pValue as number).sort((a, b) => a - b);
    pThr = 0;
    ps.forEach((p, k) => {
      if (p <= ((k + 1) / ps.length) * alpha) pThr = p;
    });
  }
  const perFeature: FeatureDrift[] = rows.map((r) => {
    if (TESTS.has(r.method)) {
      const p = r.pValue as number;
      const isDrift = correction === 'fdr' ? p <= pThr && pThr > 0 : p < pThr;
      return { ...r, threshold: pThr, isDrift };
    }
    const t = thr[r.method as 'psi' | 'wasserstein' | 'jensenshannon'];
    const f: FeatureDrift = { ...r, distance: r.statistic, threshold: t, isDrift: r.statistic >= t };
    if (r.method === 'psi') f.level = r.statistic < 0.1 ? 'none' : r.statistic < 0.25 ? 'moderate' : 'significant';
    return f;
  });
  const nDrifted = perFeature.filter((f) => f.isDrift).length;
  return {
    isDrift: nDrifted / F >= share,
    statistic: nDrifted / F,
    threshold: share,
    method: 'share of drifted features',
    nFeatures: F,
    nDrifted,
    perFeature,
  };
}

/** Result of mmdDrift. */
export interface MmdResult {
  isDrift: boolean;
  /** The unbiased MMD^2 estimate. */
  statistic: number;
  pValue: number;
  threshold: number;
  method: 'mmd';
  /** The RBF kernel's bandwidth (median heuristic unless given). */
  sigma: number;
  perFeature: [];
}

/**
 * Multivariate drift by the maximum mean discrepancy with an RBF kernel and a permutation test,
 * as alibi-detect's MMDDrift: the bandwidth from the median heuristic (sigma^2 = median pairwise
 * squared distance / 2, over the pooled sample), the kernel matrix computed once with the GEMM,
 * and `nPermutations` (default 100) relabellings of the pooled rows; p = the share of permuted
 * MMD^2 at least the observed one. Permutations follow `manualSeed`.
 * @example monitor.mmdDrift(reference, current, { nPermutations: 200 }).pValue
 */
export function mmdDrift(
  reference: Table,
  current: Table,
  options: { nPermutations?: number; pValue?: number; sigma?: number } = {},
): MmdResult {
  const op = 'monitor.mmdDrift';
  const o = checkOptions(op, options, { nPermutations: 'integer', pValue: 'number', sigma: 'number' });
  const P = o.nPermutations ?? 100;
  if (P < 1) fail('INVALID_ARGUMENT', `${op}: nPermutations must be >= 1, got ${P}`);
  const alpha = o.pValue ?? 0.05;
  const X = columns(op, reference, 'reference'),
    Y = columns(op, current, 'current');
  if (X.length !== Y.length)
    fail('SHAPE_MISMATCH', `${op}: the reference has ${X.length} features but the current window ${Y.length}`);
  const n = (X[0] as Float64Array).length,
    m = (Y[0] as Float64Array).length,
    d = X.length,
    N = n + m;
  if (n < 2 || m < 2) fail('INVALID_ARGUMENT', `${op}: each sample needs at least 2 rows, got ${n} and ${m}`);
  const Z = new Float64Array(N * d);
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < n; i++) Z[i * d + j] = (X[j] as Float64Array)[i] as number;
    for (let i = 0; i < m; i++) Z[(n + i) * d + j] = (Y[j] as Float64Array)[i] as number;
  }
  if (!Z.every(Number.isFinite)) fail('INVALID_ARGUMENT', `${op}: the samples hold NaN or infinite values`);
  // Squared distances |zi|^2 + |zj|^2 - 2 zi.zj, the products by the GEMM.
  const D2 = tidy(() => {
    const z = tensor(Z, { dtype: 'float64' }).reshape([N, d]);
    return z.matmul(z.t()).data() as Float64Array;
  });
  const sq = new Float64Array(N);
  for (let i = 0; i < N; i++) sq[i] = D2[i * N + i] as number;
  for (let i = 0; i < N; i++)
    for (let j = 0; j < N; j++)
      D2[i * N + j] = Math.max(0, (sq[i] as number) + (sq[j] as number) - 2 * (D2[i * N + j] as number));
  let sigma = o.sigma;
  if (sigma === undefined) {
    const upper = new Float64Array((N * (N - 1)) / 2);
    let k = 0;
    for (let i = 0; i < N; i++) for (let j = i + 1; j < N; j++) upper[k++] = D2[i * N + j] as number;
    upper.sort();
    const med = upper[upper.length >> 1] as number;
    sigma = Math.sqrt(Math.max(med, 1e-12) / 2);
  }
  if (!(sigma > 0)) fail('INVALID_ARGUMENT', `${op}: sigma must be > 0, got ${sigma}`);
  const K = D2; // in place: the kernel exp(-d^2 / (2 sigma^2))
  const g = 1 / (2 * sigma * sigma);
  for (let i = 0; i < K.length; i++) K[i] = Math.exp(-(K[i] as number) * g);
  const label = new Uint8Array(N);
  const mmd2 = () => {
    let xx = 0,
      yy = 0,
      xy = 0;
    for (let i = 0; i < N; i++) {
      const li = label[i],
        row = i * N;
      for (let j = i + 1; j < N; j++) {
        const v = K[row + j] as number;
        if (li !== label[j]) xy += v;
        else if (li === 0) xx += v;
        else yy += v;
      }
    }
    return (2 * xx) / (n * (n - 1)) + (2 * yy) / (m * (m - 1)) - (2 * xy) / (n * m);
  };
  for (let i = n; i < N; i++) label[i] = 1;
  const observed = mmd2();
  // Permutations seeded from the core's generator (manualSeed), drawn here in JS.
  let s = (Number(tidy(() => randint(0, 2 ** 31 - 1, [1]).item())) | 0) >>> 0 || 1;
  const rnd = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
  const perm = Array.from({ length: N }, (_, i) => i);
  let atLeast = 0;
  for (let p = 0; p < P; p++) {
    for (let i = N - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [perm[i], perm[j]] = [perm[j] as number, perm[i] as number];
    }
    label.fill(0);
    for (let i = n; i < N; i++) label[perm[i] as number] = 1;
    if (mmd2() >= observed) atLeast++;
  }
  const pValue = atLeast / P;
  return {
    isDrift: pValue < alpha,
    statistic: observed,
    pValue,
    threshold: alpha,
    method: 'mmd',
    sigma,
    perFeature: [],
  };
}
