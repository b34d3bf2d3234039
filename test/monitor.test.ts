// monitor: drift statistics against scipy's own numbers (test/fixtures/drift-scipy.json, written by
// scripts/fixtures/drift_scipy.py), detector calibration, the online monitor, and bad input.
import fs from 'node:fs';

import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { monitor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';

const fx = JSON.parse(fs.readFileSync(new URL('./fixtures/drift-scipy.json', import.meta.url), 'utf8')) as {
  ks: { a: number[]; b: number[]; statistic: number; pvalue: number }[];
  chi2: { table: number[][]; statistic: number; pvalue: number; dof: number }[];
  ztest: { k1: number; n1: number; k2: number; n2: number; statistic: number; pvalue: number }[];
  wasserstein: { a: number[]; b: number[]; distance: number }[];
  binned: { a: number[]; b: number[]; ref: number[]; cur: number[]; js: number; psi: number }[];
};
const { stats } = monitor;

describe("drift statistics equal scipy's", () => {
  it.each(fx.ks.map((c) => [`${c.a.length} vs ${c.b.length}`, c] as const))('ks_2samp %s', (_, c) => {
    const r = stats.ks2samp(c.a, c.b);
    expect(r.statistic).toBeCloseTo(c.statistic, 12);
    // Exact p-values: to 1e-9 for small samples, within 0.03 of scipy's exact at >= 100 a side.
    if (r.method === 'exact') expect(Math.abs(r.pValue - c.pvalue)).toBeLessThan(1e-9);
    else expect(Math.abs(r.pValue - c.pvalue)).toBeLessThan(0.03);
  });
  it('chi2_contingency (Yates at one degree of freedom), the z-test, wasserstein_distance', () => {
    for (const c of fx.chi2) {
      const r = stats.chi2Contingency(c.table);
      expect(Math.abs(r.statistic - c.statistic)).toBeLessThan(1e-9);
      expect(Math.abs(r.pValue - c.pvalue)).toBeLessThan(1e-9);
      expect(r.dof).toBe(c.dof);
    }
    for (const c of fx.ztest) {
      const r = stats.proportionZTest(c.k1, c.n1, c.k2, c.n2);
      expect(Math.abs(r.statistic - c.statistic)).toBeLessThan(1e-9);
      expect(Math.abs(r.pValue - c.pvalue)).toBeLessThan(1e-9);
    }
    for (const c of fx.wasserstein) expect(Math.abs(stats.wasserstein(c.a, c.b) - c.distance)).toBeLessThan(1e-9);
  });
  it("Evidently's binning, jensenshannon and PSI", () => {
    for (const c of fx.binned) {
      const [r, u] = stats.binnedShares(c.a, c.b);
      expect(Array.from(r)).toHaveLength(c.ref.length);
      r.forEach((v, i) => expect(Math.abs(v - c.ref[i]!)).toBeLessThan(1e-12));
      u.forEach((v, i) => expect(Math.abs(v - c.cur[i]!)).toBeLessThan(1e-12));
      expect(Math.abs(stats.jensenShannon(c.ref, c.cur) - c.js)).toBeLessThan(1e-9);
      expect(Math.abs(stats.psi(c.ref, c.cur) - c.psi)).toBeLessThan(1e-9);
    }
  });
});

describe('detectors', () => {
  it('calibration: no drift at alpha 0.05 gives a false-positive rate in [0.02, 0.07] over 1,000 KS trials; a 0.5 sigma shift at 200 a side is found in >= 95%', () => {
    tk.manualSeed(11);
    const trials = 1000;
    const a = tk.randn([trials, 200]).toArray() as number[][],
      b = tk.randn([trials, 200]).toArray() as number[][],
      c = tk.randn([trials, 200]).add(0.5).toArray() as number[][];
    let fp = 0,
      tp = 0;
    for (let t = 0; t < trials; t++) {
      if (stats.ks2samp(a[t]!, b[t]!).pValue < 0.05) fp++;
      if (stats.ks2samp(a[t]!, c[t]!).pValue < 0.05) tp++;
    }
    expect(fp / trials).toBeGreaterThanOrEqual(0.02);
    expect(fp / trials).toBeLessThanOrEqual(0.07);
    expect(tp / trials).toBeGreaterThanOrEqual(0.95);
  });

  it("MMD's permutation test: false-positive rate over 200 trials in [0.02, 0.08]; a shifted mean is found", () => {
    tk.manualSeed(12);
    let fp = 0;
    for (let t = 0; t < 200; t++) {
      const x = tk.randn([40, 3]),
        y = tk.randn([40, 3]);
      if (monitor.mmdDrift(x, y).isDrift) fp++;
      x.dispose();
      y.dispose();
    }
    expect(fp / 200).toBeGreaterThanOrEqual(0.02);
    expect(fp / 200).toBeLessThanOrEqual(0.08);
    const r = monitor.mmdDrift(tk.randn([100, 4]), tk.randn([100, 4]).add(0.7));
    expect(r.isDrift).toBe(true);
    expect(r.pValue).toBeLessThan(0.05);
    expect(r.sigma).toBeGreaterThan(0);
  });

  it("the default policy is Evidently's: tests up to 1,000 reference rows, distances above; half the features drifting is dataset drift", () => {
    tk.manualSeed(13);
    const ref = tk.cat(
      [tk.randn([300, 2]), tk.randint(0, 4, [300, 1]).to('float32'), tk.randint(0, 2, [300, 1]).to('float32')],
      1,
    );
    const cur = tk.cat(
      [
        tk.randn([300, 2]).add(tk.tensor([1, 0])),
        tk.randint(0, 4, [300, 1]).to('float32'),
        tk.randint(0, 2, [300, 1]).to('float32'),
      ],
      1,
    );
    const r = monitor.detectDrift(ref, cur, { featureNames: ['a', 'b', 'cat', 'bin'] });
    expect(r.perFeature.map((f) => [f.feature, f.type, f.method])).toEqual([
      ['a', 'numerical', 'ks'],
      ['b', 'numerical', 'ks'],
      ['cat', 'categorical', 'chisquare'],
      ['bin', 'binary', 'ztest'],
    ]);
    expect(r.perFeature[0]!.isDrift).toBe(true);
    expect(r.perFeature[0]!.threshold).toBeCloseTo(0.05 / 4, 12); // Bonferroni over 4 tests
    expect(r.nDrifted).toBe(1);
    expect(r.isDrift).toBe(false);
    const big = monitor.detectDrift(tk.randn([1500, 2]), tk.randn([500, 2]).add(tk.tensor([0.5, 0.6])));
    expect(big.perFeature.map((f) => f.method)).toEqual(['wasserstein', 'wasserstein']);
    expect(big.isDrift).toBe(true);
    const p = monitor.detectDrift(ref, cur, { method: 'psi' });
    expect(p.perFeature[0]!.level).not.toBe('none');
    expect(p.perFeature[1]!.level).toBe('none');
  });

  it('bad input: empty windows, mismatched features, a feature with no finite value → TensorError; constant features and NaN are handled', () => {
    expectTensorError(
      () => monitor.detectDrift(tk.zeros([0, 3]), tk.zeros([5, 3])),
      'INVALID_ARGUMENT',
      /reference is empty/,
    );
    expectTensorError(
      () => monitor.detectDrift(tk.zeros([4, 3]), tk.zeros([5, 2])),
      'SHAPE_MISMATCH',
      /3 features but the current window 2/,
    );
    expectTensorError(() => monitor.detectDrift([[NaN], [NaN]], [[1], [2]]), 'INVALID_ARGUMENT', /no finite value/);
    expectTensorError(
      () => monitor.detectDrift([[1], [2]], [[1, 2]]),
      'SHAPE_MISMATCH',
      /1 features but the current window 2/,
    );
    expectTensorError(() => monitor.mmdDrift([[1]], [[1], [2]]), 'INVALID_ARGUMENT', /at least 2 rows/);
    const flat = monitor.detectDrift(tk.ones([50, 2]), tk.ones([60, 2]));
    expect(flat.isDrift).toBe(false);
    const withNaN = monitor.detectDrift([[1], [2], [NaN], [3]], [[1], [2], [3], [Infinity]]);
    expect(withNaN.perFeature[0]!.pValue).toBeGreaterThan(0.5);
  });
});
