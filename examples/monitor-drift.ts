// Drift monitoring of a served model: trains the Iris MLP, serves it with a DriftMonitor on its
// inputs, sends in-distribution traffic and then traffic whose petals are longer, and shows the
// drift flagged (GET /v2/models/iris/monitor and the Prometheus gauges), then writes the HTML
// drift report. Run: npx tsx examples/monitor-drift.ts [report.html]
import fs from 'node:fs';

import { data, jit, manualSeed, monitor, nn, optim, randint, randn, serve, tidy, type Tensor } from '../src/index.js';
import { IrisNet } from './iris-mlp.js';

const FEATURES = ['sepal length', 'sepal width', 'petal length', 'petal width'];

export async function main(options: { out?: string; log?: (s: string) => void } = {}) {
  const { out = 'monitor-drift.html', log = console.log } = options;
  manualSeed(0);
  const iris = data.iris();
  const x = iris.features;
  const model = new IrisNet();
  const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
  for (let epoch = 0; epoch < 60; epoch++)
    for (const [xb, yb] of new data.DataLoader(new data.TensorDataset(x, iris.labels), {
      batchSize: 16,
      shuffle: true,
      seed: epoch,
    }) as Iterable<Tensor[]>)
      tidy(() => {
        opt.zeroGrad();
        nn.functional.crossEntropy(model.call(xb), yb).backward();
        opt.step();
      });
  model.eval();
  const graph = jit.trace(model, [x.narrow(0, 0, 2)], { dynamicAxes: { input0: { 0: 'batch' } } });
  // The reference: the training rows, kept as plain rows for the monitor and the report.
  const reference = x.toArray() as number[][];
  const server = await serve({
    models: { iris: graph },
    port: 0,
    management: false,
    monitors: { iris: { reference, window: 60, every: 30, detectors: { featureNames: FEATURES } } },
  });
  const send = (rows: number[][]) =>
    fetch(`${server.url}/v2/models/iris/infer`, {
      method: 'POST',
      body: JSON.stringify({
        inputs: [{ name: 'input0', datatype: 'FP32', shape: [rows.length, 4], data: rows.flat() }],
      }),
    }).then((r) => r.json());
  const status = async () =>
    (await (await fetch(`${server.url}/v2/models/iris/monitor`)).json()).latest as monitor.MonitorReport;
  const results: { phase: string; isDrift: boolean; drifted: string[] }[] = [];
  try {
    // In distribution: rows resampled from the reference with a little noise.
    manualSeed(1);
    // 60 reference rows with 5% of each feature's spread added as noise.
    const pick = (n: number) =>
      tidy(() => {
        const rows = x.indexSelect(0, randint(0, 150, [n]));
        return rows.add(randn([n, 4]).mul(x.std(0)).mul(0.05)).toArray() as number[][];
      });
    const normal = pick(60);
    for (let i = 0; i < 60; i += 10) await send(normal.slice(i, i + 10));
    let s = await status();
    results.push({
      phase: 'in distribution',
      isDrift: s.isDrift,
      drifted: s.features.perFeature.filter((f) => f.isDrift).map((f) => f.feature),
    });
    // Shifted: petals 1.5 cm longer and 0.6 cm wider (a new cultivar, a new camera...).
    const shifted = normal.map((r) => [r[0]!, r[1]!, r[2]! + 1.5, r[3]! + 0.6]);
    for (let i = 0; i < 60; i += 10) await send(shifted.slice(i, i + 10));
    s = await status();
    results.push({
      phase: 'shifted petals',
      isDrift: s.isDrift,
      drifted: s.features.perFeature.filter((f) => f.isDrift).map((f) => f.feature),
    });
    const gauges = (await (await fetch(`${server.url}/metrics`)).text())
      .split('\n')
      .filter((l) => l.startsWith('tk_drift'));
    for (const r of results)
      log(`${r.phase}: ${r.isDrift ? 'DRIFT' : 'no drift'}${r.drifted.length ? ` (${r.drifted.join(', ')})` : ''}`);
    log(gauges.join('\n'));
    fs.writeFileSync(
      out,
      monitor.report(reference, shifted, {
        title: 'Iris inputs: reference vs shifted traffic',
        featureNames: FEATURES,
      }),
    );
    log(`wrote ${out}`);
  } finally {
    await server.close();
    graph.dispose();
    for (const t of [iris.features, iris.labels, ...model.parameters()]) t.dispose();
    opt.disposeState();
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) void main({ out: process.argv[2] });
