// A CNN on CIFAR-10 from the official binary files: npx tsx examples/cifar10-cnn.ts <dir>
// (the directory holding data_batch_1.bin ... test_batch.bin; nothing is downloaded). Uses the
// seeded augmentations (random crop with padding, horizontal flip) and normalisation.
import { performance } from 'node:perf_hooks';

import { data, manualSeed, nn, noGrad, optim, tidy, type Tensor } from '../src/index.js';

export class Net extends nn.Module {
  features = new nn.Sequential(
    new nn.Conv2d(3, 32, 3, { padding: 1 }),
    new nn.BatchNorm2d(32),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 3, { padding: 1 }),
    new nn.BatchNorm2d(64),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(64, 128, 3, { padding: 1 }),
    new nn.BatchNorm2d(128),
    new nn.ReLU(),
    new nn.AdaptiveAvgPool2d(1),
  );
  head = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    return this.head.forward(this.features.call(x).flatten(1));
  }
}

const MEAN = [0.4914, 0.4822, 0.4465],
  STD = [0.247, 0.2435, 0.2616];

export function main(options: {
  dir: string;
  epochs?: number;
  limit?: number;
  seed?: number;
  log?: (s: string) => void;
}) {
  const { dir, epochs = 10, limit, seed = 0, log = console.log } = options;
  manualSeed(seed);
  const t = data.transforms;
  const trainFull = data.cifar10(dir, { train: true }),
    testFull = data.cifar10(dir, { train: false });
  const cap = <T>(ds: data.Dataset<T>) =>
    limit && limit < ds.length ? new data.Subset(ds, [...Array(limit).keys()]) : ds;
  const train = new data.Transformed(
    cap(trainFull),
    t.compose([t.randomCrop(32, { padding: 4, seed }), t.randomHorizontalFlip(0.5, { seed }), t.normalize(MEAN, STD)]),
  );
  const test = new data.Transformed(cap(testFull), t.normalize(MEAN, STD));
  const model = new Net();
  const opt = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });
  const loader = new data.DataLoader(train, { batchSize: 64, shuffle: true, seed });
  const sched = new optim.lrScheduler.OneCycleLR(opt, { maxLr: 0.1, epochs, stepsPerEpoch: loader.length });
  for (let epoch = 1; epoch <= epochs; epoch++) {
    model.train();
    const t0 = performance.now();
    let total = 0;
    for (const [x, y] of loader as Iterable<Tensor[]>) {
      total += tidy(() => {
        opt.zeroGrad();
        const loss = nn.functional.crossEntropy(model.call(x), y);
        loss.backward();
        opt.step();
        return loss.item() as number;
      });
      x.dispose();
      y.dispose();
      sched.step();
    }
    const sec = (performance.now() - t0) / 1000;
    log(
      `epoch ${epoch}: loss ${(total / loader.length).toFixed(3)}, ${sec.toFixed(1)} s (${(train.length / sec).toFixed(0)} images/s)`,
    );
  }
  model.eval();
  let correct = 0;
  for (const [x, y] of new data.DataLoader(test, { batchSize: 256 }) as Iterable<Tensor[]>) {
    correct += tidy(() => noGrad(() => model.call(x).argmax(1).eq(y).sum().item() as number));
    x.dispose();
    y.dispose();
  }
  const accuracy = correct / test.length;
  log(`test accuracy ${(accuracy * 100).toFixed(1)}%`);
  for (const p of [...model.parameters(), ...model.buffers()]) p.dispose();
  opt.disposeState();
  return { accuracy };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (!dir) {
    console.log('usage: npx tsx examples/cifar10-cnn.ts <directory with data_batch_*.bin and test_batch.bin>');
    process.exit(1);
  }
  main({ dir });
}
