// npm run demo: what tensorkit does, in about a minute on 2 cores. Trains the Iris MLP and a
// shapes CNN with the Trainer (progress bar, validation accuracy, checkpoints), then times the
// same computations written as plain TypeScript loops and with tensorkit (Lesson 1.3).
// `npm run demo -- --quick` is the reduced run the tests use.
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

import { main as irisLightning } from '../examples/iris-lightning.js';
import { main as withAndWithout, type Comparison } from '../examples/with-and-without.js';
import { data, getCpuCapability, getNumThreads, metrics, nn, optim, train, type Tensor } from '../src/index.js';

class ShapesClassifier extends train.LightningModule {
  conv1 = new nn.Conv2d(1, 8, 3, { padding: 1 });
  conv2 = new nn.Conv2d(8, 16, 3, { padding: 1 });
  pool = new nn.MaxPool2d(2);
  fc = new nn.Linear(16 * 4 * 4, 4);
  valAcc = new metrics.Accuracy({ task: 'multiclass', numClasses: 4 });
  override forward(x: Tensor): Tensor {
    const h = this.pool.forward(this.conv1.forward(x).relu());
    return this.fc.forward(this.pool.forward(this.conv2.forward(h).relu()).flatten(1));
  }
  override trainingStep([x, y]: Tensor[]): Tensor {
    const loss = nn.functional.crossEntropy(this.forward(x), y);
    this.log('loss', loss, { progBar: true });
    return loss;
  }
  override validationStep([x, y]: Tensor[]): void {
    this.valAcc.update(this.forward(x), y);
    this.log('val_acc', this.valAcc, { progBar: true });
  }
  override configureOptimizers() {
    return new optim.Adam(this.parameters(), { lr: 0.01 });
  }
}

export interface DemoResult {
  irisTestAccuracy: number;
  shapesValAccuracy: number;
  comparisons: Comparison[];
  seconds: number;
}

export async function main(
  options: { quick?: boolean; log?: (s: string) => void; progressBar?: boolean } = {},
): Promise<DemoResult> {
  const { quick = false, log = console.log, progressBar = true } = options;
  const t0 = performance.now();
  const runDir = path.join(os.tmpdir(), `tensorkit-demo-${process.pid}`);
  log(`tensorkit demo — ${os.cpus()[0]?.model ?? 'cpu'}, ${getNumThreads()} threads, ${getCpuCapability()} kernels\n`);

  log('1. Iris (150 flowers, 4 measurements, 3 species): an MLP as a LightningModule, trained by the Trainer');
  const iris = await irisLightning({ runDir, maxEpochs: quick ? 15 : 60, progressBar });
  log(
    `   test accuracy ${(iris.test.test_acc * 100).toFixed(1)}%, best checkpoint ${path.basename(iris.bestCheckpoint)}, curves in ${iris.report}\n`,
  );

  log('2. Shapes (16x16 images of circles, squares, triangles, crosses): a CNN');
  const { features, labels } = data.synthetic.shapes({ n: quick ? 800 : 3000, size: 16, seed: 0 });
  const [tr, va] = data.randomSplit(new data.TensorDataset(features, labels), [0.8, 0.2], { seed: 0 });
  const trainer = new train.Trainer({
    maxEpochs: quick ? 3 : 5,
    seed: 0,
    defaultRootDir: runDir,
    enableProgressBar: progressBar,
    logger: new train.CSVLogger(runDir, { name: 'shapes' }),
  });
  const fit = await trainer.fit(new ShapesClassifier(), {
    train: new data.DataLoader(tr, { batchSize: 32, shuffle: true, seed: 0 }),
    val: new data.DataLoader(va, { batchSize: 100 }),
  });
  features.dispose();
  labels.dispose();
  log(`   validation accuracy ${(fit.val_acc * 100).toFixed(1)}%\n`);

  log('3. The same computations as plain TypeScript loops and with tensorkit (examples/with-and-without.ts)');
  const comparisons = withAndWithout({ small: quick, log: (s) => log(`   ${s}`) });
  const seconds = (performance.now() - t0) / 1000;
  log(`\nDone in ${seconds.toFixed(1)} s. More: npm run bench (every op family, plain vs native, 1 and all threads).`);
  return { irisTestAccuracy: iris.test.test_acc, shapesValAccuracy: fit.val_acc, comparisons, seconds };
}

if (import.meta.url === `file://${process.argv[1]}`) await main({ quick: process.argv.includes('--quick') });
