// Why did the shapes CNN say "triangle"? Trains the small CNN of examples/cnn-shapes.ts, then
// writes Grad-CAM and integrated-gradients heat maps of a few test images as PNG files and an
// HTML report. Run: npx tsx examples/explain-shapes.ts [outDir]
import fs from 'node:fs';
import path from 'node:path';

import { data, explain, manualSeed, nn, noGrad, optim, tidy, type Tensor } from '../src/index.js';
import { ShapesNet } from './cnn-shapes.js';

/**
 * The shapes CNN trained briefly (4 epochs on 1,000 images; about 95% test accuracy), in eval
 * mode, with the data set: images 1000..1199 were not trained on. The caller disposes them.
 */
export function trainShapes(): { model: ShapesNet; features: Tensor; labels: Tensor; classNames: string[] } {
  manualSeed(0);
  const { features, labels, classNames } = data.synthetic.shapes({ n: 1200, size: 16, seed: 0 });
  const model = new ShapesNet();
  const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
  const train = new data.TensorDataset(features.narrow(0, 0, 1000), labels.narrow(0, 0, 1000));
  for (let epoch = 0; epoch < 4; epoch++)
    for (const [xb, yb] of new data.DataLoader(train, { batchSize: 32, shuffle: true, seed: epoch }) as Iterable<
      Tensor[]
    >)
      tidy(() => {
        opt.zeroGrad();
        nn.functional.crossEntropy(model.call(xb), yb).backward();
        opt.step();
      });
  opt.disposeState();
  model.eval();
  return { model, features, labels, classNames };
}

export function main(options: { outDir?: string; log?: (s: string) => void } = {}): string[] {
  const { outDir = 'explain-shapes', log = console.log } = options;
  const { model, features, labels, classNames } = trainShapes();
  fs.mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  const items: explain.ReportItem[] = [];
  tidy(() => {
    const x = features.narrow(0, 1000, 4).contiguous();
    const pred = noGrad(() => Array.from(model.call(x).argmax(1).data() as BigInt64Array, Number));
    const { attributions: ig, delta } = explain.integratedGradients(model, x, {
      target: pred,
      returnConvergenceDelta: true,
    });
    const cam = nn.functional.interpolate(
      explain.layerGradCam(model, model.conv2, x, { target: pred, reluAttributions: true }),
      {
        size: [16, 16],
        mode: 'bilinear',
      },
    );
    for (let i = 0; i < 4; i++) {
      const img = x.select(0, i);
      for (const [name, a] of [
        ['ig', ig.select(0, i)],
        ['gradcam', cam.select(0, i)],
      ] as const) {
        const file = path.join(outDir, `${i}-${name}.png`);
        fs.writeFileSync(file, explain.heatmap(a, { image: img, scale: 8 }));
        written.push(file);
      }
      const label = classNames[pred[i] as number];
      items.push({
        title: `Image ${i}: ${label}`,
        attributions: ig.select(0, i),
        image: img,
        caption: `integrated gradients (delta ${(delta.data()[i] as number).toFixed(4)})`,
      });
      items.push({
        title: `Image ${i}: ${label}`,
        attributions: cam.select(0, i),
        image: img,
        caption: 'Grad-CAM on conv2',
      });
      log(`image ${i}: predicted ${label}, IG convergence delta ${(delta.data()[i] as number).toFixed(4)}`);
    }
    const html = path.join(outDir, 'report.html');
    fs.writeFileSync(html, explain.report({ title: 'Shapes CNN: what it looked at', items }));
    written.push(html);
  });
  for (const t of [features, labels, ...model.parameters()]) t.dispose();
  log(`wrote ${written.join(', ')}`);
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) main({ outDir: process.argv[2] });
