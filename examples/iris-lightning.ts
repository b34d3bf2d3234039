// The course's chapters 2–3 on Iris: the MLP as a LightningModule, trained by the Trainer with
// validation metrics, checkpointing, early stopping, CSV + TensorBoard logs, an HTML report of
// the curves; then tested, saved as safetensors, reloaded in eval() mode and used for inference.
// Run: npx tsx examples/iris-lightning.ts [runDir]
import * as os from 'node:os';
import * as path from 'node:path';

import { data, io, manualSeed, metrics, nn, optim, tidy, train, type Tensor } from '../src/index.js';

export class IrisClassifier extends train.LightningModule {
  fc1: nn.Linear;
  fc2: nn.Linear;
  valAcc = new metrics.Accuracy({ task: 'multiclass', numClasses: 3 });
  testMetrics = new metrics.MetricCollection(
    {
      acc: new metrics.Accuracy({ task: 'multiclass', numClasses: 3 }),
      f1: new metrics.F1Score({ task: 'multiclass', numClasses: 3, average: 'macro' }),
    },
    { prefix: 'test_' },
  );

  constructor(
    readonly lr = 0.01,
    hidden = 16,
  ) {
    super();
    this.fc1 = new nn.Linear(4, hidden);
    this.fc2 = new nn.Linear(hidden, 3);
    this.saveHyperparameters({ lr, hidden });
  }
  override forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).relu());
  }
  override trainingStep([x, y]: Tensor[]): Tensor {
    const loss = nn.functional.crossEntropy(this.forward(x), y);
    this.log('train_loss', loss, { progBar: true, onEpoch: true });
    return loss;
  }
  override validationStep([x, y]: Tensor[]): void {
    const logits = this.forward(x);
    this.log('val_loss', nn.functional.crossEntropy(logits, y), { progBar: true });
    this.valAcc.update(logits, y);
    this.log('val_acc', this.valAcc, { progBar: true });
  }
  override testStep([x, y]: Tensor[]): void {
    this.testMetrics.update(this.forward(x), y);
    for (const [k, m] of Object.entries(this.testMetrics.metrics)) this.log(`test_${k}`, m);
  }
  override configureOptimizers() {
    const optimizer = new optim.Adam(this.parameters(), { lr: this.lr });
    return {
      optimizer,
      lrScheduler: {
        scheduler: new optim.lrScheduler.ReduceLROnPlateau(optimizer, { patience: 10 }),
        monitor: 'val_loss',
      },
    };
  }
}

export interface IrisRun {
  fit: Record<string, number>;
  test: Record<string, number>;
  bestCheckpoint: string;
  report: string;
  logDir: string;
  inferenceAccuracy: number;
}

export async function main(
  options: { runDir?: string; maxEpochs?: number; seed?: number; progressBar?: boolean } = {},
): Promise<IrisRun> {
  const { runDir = path.join(os.tmpdir(), 'tensorkit-iris'), maxEpochs = 100, seed = 0, progressBar = true } = options;
  manualSeed(seed);
  const { features, labels } = data.iris();
  const x = tidy(() => features.sub(features.mean(0)).div(features.std(0)));
  const [trainSet, valSet, testSet] = data.randomSplit(new data.TensorDataset(x, labels), [0.7, 0.15, 0.15], { seed });
  const loaders = {
    train: new data.DataLoader(trainSet, { batchSize: 16, shuffle: true, seed }),
    val: new data.DataLoader(valSet, { batchSize: 64 }),
  };
  const model = new IrisClassifier();
  const checkpoint = new train.ModelCheckpoint({
    monitor: 'val_loss',
    mode: 'min',
    saveTopK: 2,
    saveLast: true,
    filename: '{epoch}-{val_loss:.3f}',
  });
  const trainer = new train.Trainer({
    maxEpochs,
    seed,
    defaultRootDir: runDir,
    enableProgressBar: progressBar,
    logEveryNSteps: 5,
    logger: [new train.CSVLogger(runDir, { name: 'iris' }), new train.TensorBoardLogger(runDir, { name: 'iris-tb' })],
    callbacks: [
      checkpoint,
      new train.EarlyStopping({ monitor: 'val_loss', patience: 15 }),
      new train.LearningRateMonitor(),
    ],
  });
  const fit = await trainer.fit(model, loaders);
  const test = await trainer.test(model, new data.DataLoader(testSet, { batchSize: 64 }), {
    ckptPath: checkpoint.bestModelPath,
  });
  const report = train.report(trainer.logDir);

  // Lesson 3.2: save the weights, load them into a fresh model, eval() mode, predict.
  const weights = path.join(runDir, 'iris.safetensors');
  const sd = model.stateDict();
  io.save(sd, weights, { metadata: { classes: 'setosa,versicolor,virginica' } });
  for (const t of Object.values(sd)) t.dispose();
  const fresh = new IrisClassifier();
  const loaded = io.load(weights);
  fresh.loadStateDict(loaded);
  for (const t of Object.values(loaded)) t.dispose();
  fresh.eval();
  const inferenceAccuracy = tidy(() => fresh.forward(x).argmax(1).eq(labels).to('float32').mean().item() as number);
  for (const t of [features, labels, x]) t.dispose();
  return { fit, test, bestCheckpoint: checkpoint.bestModelPath, report, logDir: trainer.logDir, inferenceAccuracy };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await main({ runDir: process.argv[2] });
  console.log(
    `test: ${JSON.stringify(r.test)}\nbest checkpoint: ${r.bestCheckpoint}\nreport: ${r.report}\naccuracy of the reloaded model on all of Iris: ${(r.inferenceAccuracy * 100).toFixed(1)}%`,
  );
}
