// monitor: drift statistics against scipy's own numbers (test/fixtures/drift-scipy.json, written by
// scripts/fixtures/drift_scipy.py), detector calibration, the online monitor, and bad input.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

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

describe('DriftMonitor', () => {
  it('sliding and tumbling windows, data quality, the callback and prediction drift', () => {
    tk.manualSeed(21);
    const ref = tk.randn([400, 3]);
    const seen: monitor.MonitorReport[] = [];
    const mon = new monitor.DriftMonitor(ref, {
      window: 100,
      every: 50,
      onDrift: (r) => void seen.push(r),
      predictionReference: tk.zeros([400, 1]),
    });
    // In distribution: evaluations every 50 rows, no drift.
    for (let i = 0; i < 4; i++) mon.observe(tk.randn([25, 3]), tk.zeros([25, 1]));
    expect(mon.latest()!.windowRows).toBe(100);
    expect(mon.latest()!.isDrift).toBe(false);
    expect(seen).toHaveLength(0);
    // Shifted inputs: drift reported and the callback called.
    mon.observe(tk.randn([100, 3]).add(2), tk.ones([100, 1]));
    expect(mon.latest()!.features.isDrift).toBe(true);
    expect(mon.latest()!.predictions!.isDrift).toBe(true);
    expect(seen.length).toBeGreaterThan(0);
    // Data quality: NaN, Inf, out of the reference's range, a row of the wrong width.
    mon.observe([[NaN, Infinity, 100]]);
    mon.observe([[1, 2]]);
    expect(mon.quality).toMatchObject({ nan: 1, inf: 1, badWidth: 1 });
    expect(mon.quality.outOfRange).toBeGreaterThanOrEqual(1);
    // A throwing callback is counted, not thrown.
    const bad = new monitor.DriftMonitor(ref, {
      window: 20,
      mode: 'tumbling',
      onDrift: () => {
        throw new Error('x');
      },
    });
    for (let i = 0; i < 20; i++) bad.observe([[5, 5, 5]]);
    expect(bad.callbackErrors).toBe(1);
    expect(bad.latest()!.windowRows).toBe(20);
    bad.observe([[5, 5, 5]]);
    expect(bad.latest()!.rowsSeen).toBe(20); // tumbling: the next window starts empty
  });

  it('windowed quality from labels with the metrics classes', () => {
    const mon = new monitor.DriftMonitor([[0], [1], [2], [3]], {
      window: 4,
      every: 4,
      qualityMetric: () => new tk.metrics.Accuracy({ task: 'multiclass', numClasses: 3 }),
    });
    mon.observeLabels(tk.tensor([0, 1, 2, 2], { dtype: 'int64' }), tk.tensor([0, 1, 2, 0], { dtype: 'int64' }));
    const r = mon.observe([[0], [1], [2], [3]])!;
    expect(r.quality).toBeCloseTo(0.75, 6);
    expectTensorError(() => new monitor.DriftMonitor([[0], [1]], { window: 1 }), 'INVALID_ARGUMENT', /window/);
    expectTensorError(
      () => new monitor.DriftMonitor([[0], [1]], { webhook: 'ftp://x' }),
      'INVALID_ARGUMENT',
      /webhook/,
    );
  });

  it('report: a self-contained HTML page with the verdict, the tests and a histogram per feature', () => {
    tk.manualSeed(22);
    const html = monitor.report(tk.randn([200, 2]), tk.randn([200, 2]).add(tk.tensor([0, 1.5])), {
      featureNames: ['steady', 'moved<'],
    });
    expect(html).toContain('Dataset drift: 1 of 2 features');
    expect(html).toContain('moved&#60;');
    expect(html.match(/<svg/g)).toHaveLength(2);
    expect(html).not.toMatch(/(src|href)=["']|<script|<link|@import|url\(/);
  });
});

describe('the server with a monitor', () => {
  it("feeds every request to the model's monitor: /monitor, gauges and data-quality counters; a failing monitor never fails a request", async () => {
    tk.manualSeed(23);
    const lin = new tk.nn.Linear(3, 2);
    const g = tk.jit.trace(lin, [tk.randn([4, 3])], { dynamicAxes: { input0: { 0: 'batch' } } });
    const ref = tk.randn([300, 3]);
    const broken = new monitor.DriftMonitor(ref, { window: 2, every: 1 });
    broken.evaluate = () => {
      throw new Error('broken');
    };
    const server = await tk.serve({
      models: { m: g, b: g },
      port: 0,
      management: false,
      monitors: { m: { reference: ref, window: 40, every: 20 }, b: broken },
    });
    const send = (model: string, rows: number[][]) =>
      fetch(`${server.url}/v2/models/${model}/infer`, {
        method: 'POST',
        body: JSON.stringify({
          inputs: [{ name: 'input0', datatype: 'FP32', shape: [rows.length, 3], data: rows.flat() }],
        }),
      });
    try {
      const shifted = tk.randn([40, 3]).add(3).toArray() as number[][];
      shifted[0]![1] = 1e6; // JSON carries no NaN: a value far outside the reference's range instead
      for (let i = 0; i < 4; i++) expect((await send('m', shifted.slice(i * 10, i * 10 + 10))).status).toBe(200);
      const rep = await (await fetch(`${server.url}/v2/models/m/monitor`)).json();
      expect(rep.latest.isDrift).toBe(true);
      expect(rep.dataQuality.outOfRange).toBeGreaterThanOrEqual(1);
      const metricsText = await (await fetch(`${server.url}/metrics`)).text();
      expect(metricsText).toContain('tk_drift_detected{model="m"} 1');
      expect(metricsText).toMatch(/tk_drift_score\{model="m",feature="f0",method="ks"\} 0\.\d+/);
      expect(metricsText).toMatch(/tk_data_quality_issues_total\{model="m",issue="outOfRange"\} \d+/);
      if (spawnSync('promtool', ['--version']).status === 0) {
        // Debian's prometheus installed: the drift series pass promtool's lint too.
        const lint = spawnSync('promtool', ['check', 'metrics'], { input: metricsText, encoding: 'utf8' });
        expect(lint.stdout + lint.stderr).not.toMatch(/tk_(drift|data_quality|monitor)/);
      }
      // The broken monitor: requests still answered, its errors counted.
      for (let i = 0; i < 3; i++) expect((await send('b', [[1, 2, 3]])).status).toBe(200);
      expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(/tk_monitor_errors_total\{model="b"\} [12]/);
      expect((await fetch(`${server.url}/v2/models/nope/monitor`)).status).toBe(404);
    } finally {
      await server.close();
      g.dispose();
    }
  });
});

describe('examples/monitor-drift.ts', () => {
  it('flags the shifted petals and not the in-distribution traffic, and writes the report', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-drift-'));
    try {
      const { main } = await import('../examples/monitor-drift.js');
      const out = path.join(dir, 'drift.html');
      const r = await main({ out, log: () => {} });
      expect(r[0]).toMatchObject({ phase: 'in distribution', isDrift: false });
      expect(r[1]).toMatchObject({ phase: 'shifted petals', isDrift: true });
      expect(r[1]!.drifted).toEqual(expect.arrayContaining(['petal length', 'petal width']));
      expect(fs.readFileSync(out, 'utf8')).toContain('Dataset drift');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a monitor from a model folder', () => {
  it("config.json's monitor (a reference file of rows) is loaded, and drift is POSTed to its webhook", async () => {
    tk.manualSeed(31);
    const hooks: unknown[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        hooks.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as { port: number }).port;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-monrepo-'));
    const lin = new tk.nn.Linear(2, 1);
    const g = tk.jit.trace(lin, [tk.randn([3, 2])], { dynamicAxes: { input0: { 0: 'batch' } } });
    fs.mkdirSync(path.join(dir, 'lin', '1'), { recursive: true });
    g.save(path.join(dir, 'lin', '1', 'model.tkg'));
    fs.writeFileSync(path.join(dir, 'lin', 'ref.json'), JSON.stringify(tk.randn([200, 2]).toArray()));
    fs.writeFileSync(
      path.join(dir, 'lin', 'config.json'),
      JSON.stringify({
        monitor: { reference: 'ref.json', window: 40, every: 40, webhook: `http://127.0.0.1:${port}/hook` },
      }),
    );
    const server = await tk.serve({ modelRepository: dir, port: 0, management: false });
    try {
      const rows = tk.randn([40, 2]).add(3).toArray() as number[][];
      const r = await fetch(`${server.url}/v2/models/lin/infer`, {
        method: 'POST',
        body: JSON.stringify({ inputs: [{ name: 'input0', datatype: 'FP32', shape: [40, 2], data: rows.flat() }] }),
      });
      expect(r.status).toBe(200);
      expect((await (await fetch(`${server.url}/v2/models/lin/monitor`)).json()).latest.isDrift).toBe(true);
      for (let i = 0; i < 50 && hooks.length === 0; i++) await new Promise((res) => setTimeout(res, 20));
      expect(hooks).toHaveLength(1);
      expect(hooks[0]).toMatchObject({ isDrift: true, windowRows: 40 });
    } finally {
      await server.close();
      receiver.close();
      g.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // A monitor whose reference file is missing fails the start, naming the model.
    const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-monrepo-'));
    fs.mkdirSync(path.join(bad, 'lin', '1'), { recursive: true });
    const g2 = tk.jit.trace(lin, [tk.randn([3, 2])]);
    g2.save(path.join(bad, 'lin', '1', 'model.tkg'));
    fs.writeFileSync(path.join(bad, 'lin', 'config.json'), JSON.stringify({ monitor: { reference: 'nope.json' } }));
    await expect(tk.serve({ modelRepository: bad, port: 0, management: false })).rejects.toThrow(
      /model 'lin': the monitor's reference/,
    );
    g2.dispose();
    fs.rmSync(bad, { recursive: true, force: true });
  });
});
