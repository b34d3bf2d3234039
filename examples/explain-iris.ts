// Which measurements made the Iris MLP say "virginica"? Integrated gradients and feature ablation
// on the trained model, averaged per class, printed and written as an HTML bar chart.
// Run: npx tsx examples/explain-iris.ts [report.html]
import fs from 'node:fs';

import { data, explain, manualSeed, nn, optim, tidy, type Tensor } from '../src/index.js';
import { IrisNet } from './iris-mlp.js';

const FEATURES = ['sepal length', 'sepal width', 'petal length', 'petal width'];

export function main(options: { out?: string; log?: (s: string) => void } = {}): Record<string, number[]> {
  const { out = 'explain-iris.html', log = console.log } = options;
  manualSeed(0);
  const { features, labels } = data.iris();
  const x = tidy(() => features.sub(features.mean(0)).div(features.std(0)));
  const model = new IrisNet();
  const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
  for (let epoch = 0; epoch < 100; epoch++)
    for (const [xb, yb] of new data.DataLoader(new data.TensorDataset(x, labels), {
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
  const result: Record<string, number[]> = {};
  const items: explain.ReportItem[] = [];
  tidy(() => {
    const y = Array.from(labels.data() as BigInt64Array, Number);
    // Baseline: the average flower (0 after standardising).
    const ig = explain.integratedGradients(model, x, { target: y });
    const fa = explain.featureAblation(model, x, { target: y });
    ['setosa', 'versicolor', 'virginica'].forEach((name, c) => {
      const rows = labels.eq(c).nonzero().reshape([-1]);
      for (const [method, a] of [
        ['integrated gradients', ig],
        ['feature ablation', fa],
      ] as const) {
        const mean = a.indexSelect(0, rows).mean(0);
        result[`${name} ${method}`] = Array.from(mean.data() as Float32Array);
        items.push({
          title: `${name}: ${method}`,
          attributions: mean,
          featureNames: FEATURES,
          caption: `mean over the ${rows.shape[0]} ${name} flowers`,
        });
        log(
          `${name.padEnd(10)} ${method.padEnd(20)} ${result[`${name} ${method}`]!.map((v, i) => `${FEATURES[i]} ${v.toFixed(3)}`).join(', ')}`,
        );
      }
    });
    fs.writeFileSync(out, explain.report({ title: 'Iris MLP: feature attributions', items }));
  });
  for (const t of [features, labels, x, ...model.parameters()]) t.dispose();
  opt.disposeState();
  log(`wrote ${out}`);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) main({ out: process.argv[2] });
