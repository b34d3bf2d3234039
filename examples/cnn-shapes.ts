// A small CNN on synthetic images of drawn shapes (circle, square, triangle, cross): Conv2d,
// MaxPool2d, Linear, Adam, cross-entropy, a seeded DataLoader. Reports accuracy, epoch time and
// images per second. Run: npx tsx examples/cnn-shapes.ts [--device cuda]
import { performance } from 'node:perf_hooks';

import { data, manualSeed, nn, noGrad, optim, tidy, type DeviceName, type Tensor } from '../src/index.js';

export class ShapesNet extends nn.Module {
  conv1 = new nn.Conv2d(1, 8, 3, { padding: 1 });
  conv2 = new nn.Conv2d(8, 16, 3, { padding: 1 });
  pool = new nn.MaxPool2d(2);
  fc = new nn.Linear(16 * 4 * 4, 4);
  forward(x: Tensor): Tensor {
    const h = this.pool.forward(this.conv1.forward(x).relu());
    return this.fc.forward(this.pool.forward(this.conv2.forward(h).relu()).flatten(1));
  }
}

export function main(
  options: { n?: number; epochs?: number; seed?: number; device?: DeviceName; log?: (s: string) => void } = {},
) {
  const { n = 2000, epochs = 6, seed = 0, device = 'cpu', log = console.log } = options;
  manualSeed(seed);
  const { features, labels, classNames } = data.synthetic.shapes({ n, size: 16, seed });
  const [train, test] = data.randomSplit(new data.TensorDataset(features, labels), [0.8, 0.2], { seed });
  const model = new ShapesNet().to(device);
  const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
  const loader = new data.DataLoader(train, { batchSize: 32, shuffle: true, seed });
  let imagesPerSecond = 0,
    epochMs = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const t0 = performance.now();
    let total = 0;
    model.train();
    for (const [xb, yb] of loader as Iterable<Tensor[]>)
      total += tidy(() => {
        opt.zeroGrad();
        const loss = nn.functional.crossEntropy(model.call(xb.to(device as never)), yb.to(device as never));
        loss.backward();
        opt.step();
        return loss.item() as number;
      });
    epochMs = performance.now() - t0;
    imagesPerSecond = (train.length / epochMs) * 1000;
    log(
      `epoch ${epoch}: loss ${(total / loader.length).toFixed(4)}, ${epochMs.toFixed(0)} ms (${imagesPerSecond.toFixed(0)} images/s)`,
    );
  }
  model.eval();
  const acc = tidy(() =>
    noGrad(() => {
      let correct = 0;
      for (const [x, y] of new data.DataLoader(test, { batchSize: 256 }) as Iterable<Tensor[]>)
        correct += model
          .call(x.to(device as never))
          .argmax(1)
          .eq(y.to(device as never))
          .sum()
          .item() as number;
      return correct / test.length;
    }),
  );
  log(`test accuracy ${(acc * 100).toFixed(1)}% over ${classNames.join(', ')}`);
  for (const t of [features, labels, ...model.parameters()]) t.dispose();
  opt.disposeState();
  return { accuracy: acc, epochMs, imagesPerSecond };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--device');
  main({ device: i > 0 ? (process.argv[i + 1] as DeviceName) : 'cpu' }); // Module.to checks it
}
