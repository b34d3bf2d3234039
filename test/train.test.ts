// The Trainer end to end: fit/validate/test on Iris and on shape images, checkpoint top-k and
// last, early stopping, exact resume (bit-identical weights), logging semantics, loggers (the
// TensorBoard file parsed back independently), the HTML report, errors, and no leaks.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { data, metrics, nn, optim, train, type Tensor } from '../src/index.js';
import { main as irisLightning } from '../examples/iris-lightning.js';
import { expectTensorError, settleGarbage } from './helpers/harness.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-train-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let dirCount = 0;
const freshDir = () => path.join(root, `run${dirCount++}`);

async function expectRejects(p: Promise<unknown>, code: string, msg: RegExp): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'expected a rejection').toBeInstanceOf(tk.TensorError);
  expect((e as tk.TensorError).code).toBe(code);
  expect((e as Error).message).toMatch(msg);
}

// A small regression problem: y = x · w + noise, as a TensorDataset.
function regression(n = 64, seed = 1) {
  tk.manualSeed(seed);
  const x = tk.randn([n, 4]);
  const y = tk.tidy(() => x.matmul(tk.tensor([[1], [-2], [0.5], [3]])).add(tk.randn([n, 1]).mul(0.1)));
  return new data.TensorDataset(x, y);
}

class Reg extends train.LightningModule {
  net = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(8, 1));
  constructor(readonly sched = false) {
    super();
  }
  override forward(x: Tensor) {
    return this.net.forward(x);
  }
  override trainingStep([x, y]: Tensor[]) {
    const loss = nn.functional.mseLoss(this.forward(x), y);
    this.log('train_loss', loss, { onEpoch: true });
    return loss;
  }
  override validationStep([x, y]: Tensor[]) {
    this.log('val_loss', nn.functional.mseLoss(this.forward(x), y));
  }
  override configureOptimizers() {
    const optimizer = new optim.Adam(this.parameters(), { lr: 0.01 });
    return this.sched
      ? { optimizer, lrScheduler: new optim.lrScheduler.StepLR(optimizer, { stepSize: 2, gamma: 0.5 }) }
      : optimizer;
  }
}

// A module whose validation metric follows a script, one value per validation run.
class Scripted extends train.LightningModule {
  lin = new nn.Linear(1, 1);
  private runs = 0;
  constructor(readonly script: number[]) {
    super();
  }
  override trainingStep([x]: Tensor[]) {
    return this.lin.forward(x).pow(2).mean();
  }
  override validationStep() {
    this.log('score', this.script[Math.min(this.runs, this.script.length - 1)]);
  }
  override onValidationEpochEnd() {
    this.runs++;
  }
  override configureOptimizers() {
    return new optim.SGD(this.parameters(), { lr: 0.01 });
  }
}
const ones = () => [[tk.ones([2, 1])], [tk.ones([2, 1])]];
const quiet = { enableProgressBar: false, numSanityValSteps: 0 } as const;

describe('Trainer on real data', () => {
  it('Iris: fit with validation metrics, early stopping, checkpoints, loggers, test from the best checkpoint, reload for inference', async () => {
    const dir = freshDir();
    const r = await irisLightning({ runDir: dir, maxEpochs: 40, progressBar: false });
    expect(r.fit.val_acc).toBeGreaterThan(0.8);
    expect(r.test.test_acc).toBeGreaterThan(0.8);
    expect(r.test.test_f1).toBeGreaterThan(0.7);
    expect(r.inferenceAccuracy).toBeGreaterThan(0.85);
    const ckpts = fs.readdirSync(path.join(r.logDir, 'checkpoints')).sort();
    expect(ckpts).toContain('last.ckpt');
    expect(ckpts.filter((f) => f !== 'last.ckpt')).toHaveLength(2);
    expect(path.basename(r.bestCheckpoint)).toMatch(/^epoch=\d+-val_loss=\d\.\d{3}\.ckpt$/);
    const csv = fs.readFileSync(path.join(r.logDir, 'metrics.csv'), 'utf8').split('\n');
    expect(csv[0].split(',')).toEqual(
      expect.arrayContaining([
        'step',
        'epoch',
        'lr-Adam',
        'train_loss_step',
        'train_loss_epoch',
        'val_loss',
        'val_acc',
        'test_acc',
        'test_f1',
      ]),
    );
    expect(fs.readFileSync(path.join(r.logDir, 'hparams.yaml'), 'utf8')).toBe('"lr": 0.01\n"hidden": 16\n');
    const html = fs.readFileSync(r.report, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|src=|href=/); // self-contained
    for (const g of ['loss', 'acc', 'lr-Adam']) expect(html).toContain(`aria-label="${g}"`);
  }, 60_000);

  it('shape images: a CNN LightningModule learns through the Trainer (predict too)', async () => {
    class ShapesNet extends train.LightningModule {
      conv = new nn.Conv2d(1, 8, 3, { padding: 1 });
      pool = new nn.MaxPool2d(2);
      fc = new nn.Linear(8 * 8 * 8, 4);
      acc = new metrics.Accuracy({ task: 'multiclass', numClasses: 4 });
      override forward(x: Tensor) {
        return this.fc.forward(this.pool.forward(this.conv.forward(x).relu()).flatten(1));
      }
      override trainingStep([x, y]: Tensor[]) {
        return nn.functional.crossEntropy(this.forward(x), y);
      }
      override validationStep([x, y]: Tensor[]) {
        this.acc.update(this.forward(x), y);
        this.log('val_acc', this.acc);
      }
      override predictStep([x]: Tensor[]) {
        return this.forward(x).argmax(1);
      }
      override configureOptimizers() {
        return new optim.Adam(this.parameters(), { lr: 0.01 });
      }
    }
    tk.manualSeed(0);
    const { features, labels } = data.synthetic.shapes({ n: 480, size: 16, seed: 0 });
    const [tr, va] = data.randomSplit(new data.TensorDataset(features, labels), [0.75, 0.25], { seed: 0 });
    const model = new ShapesNet();
    const trainer = new train.Trainer({
      maxEpochs: 3,
      logger: false,
      enableCheckpointing: false,
      enableProgressBar: false,
    });
    const m = await trainer.fit(model, {
      train: new data.DataLoader(tr, { batchSize: 32, shuffle: true, seed: 0 }),
      val: new data.DataLoader(va, { batchSize: 60 }),
    });
    expect(m.val_acc).toBeGreaterThan(0.6);
    const preds = (await trainer.predict(model, new data.DataLoader(va, { batchSize: 60 }))) as Tensor[];
    expect(preds).toHaveLength(2);
    expect(preds[0].shape).toEqual([60]);
    expect(preds[0].dtype).toBe('int64');
    for (const p of preds) p.dispose();
    expect((await trainer.validate(model, new data.DataLoader(va, { batchSize: 60 }))).val_acc).toBeCloseTo(
      m.val_acc,
      10,
    );
  }, 60_000);
});

describe('callbacks', () => {
  it('ModelCheckpoint keeps the top k by the monitored value, and last.ckpt', async () => {
    const dir = freshDir();
    const cb = new train.ModelCheckpoint({
      monitor: 'score',
      mode: 'min',
      saveTopK: 2,
      saveLast: true,
      filename: '{epoch}-{score:.1f}',
    });
    const model = new Scripted([5, 3, 4, 1, 2]);
    await new train.Trainer({ ...quiet, maxEpochs: 5, defaultRootDir: dir, logger: false, callbacks: [cb] }).fit(
      model,
      { train: ones(), val: ones() },
    );
    expect(fs.readdirSync(path.join(dir, 'checkpoints')).sort()).toEqual([
      'epoch=3-score=1.0.ckpt',
      'epoch=4-score=2.0.ckpt',
      'last.ckpt',
    ]);
    expect(path.basename(cb.bestModelPath)).toBe('epoch=3-score=1.0.ckpt');
    expect(cb.bestModelScore).toBe(1);
    expect(Object.values(cb.bestKModels).sort()).toEqual([1, 2]);
    // The checkpoint holds the full training state.
    const ck = tk.io.loadCheckpoint(cb.lastModelPath);
    expect(Object.keys(ck).sort()).toEqual(
      [
        'callbackMetrics',
        'callbacks',
        'epoch',
        'globalStep',
        'hparams',
        'loaders',
        'loop',
        'lrSchedulers',
        'optimizerStates',
        'rng',
        'stateDict',
      ].sort(),
    );
    expect([ck.epoch, ck.globalStep, ck.loop]).toEqual([4, 10, { epoch: 4, batchesDone: 2, epochDone: true }]);
    // max mode, keep all.
    const all = new train.ModelCheckpoint({
      monitor: 'score',
      mode: 'max',
      saveTopK: -1,
      dirpath: path.join(dir, 'all'),
    });
    await new train.Trainer({ ...quiet, maxEpochs: 3, logger: false, callbacks: [all] }).fit(new Scripted([1, 3, 2]), {
      train: ones(),
      val: ones(),
    });
    expect(fs.readdirSync(path.join(dir, 'all'))).toHaveLength(3);
    expect(path.basename(all.bestModelPath)).toBe('epoch=1-step=4.ckpt');
  });

  it('EarlyStopping stops after `patience` checks without improvement; thresholds and NaN stop too', async () => {
    const es = new train.EarlyStopping({ monitor: 'score', patience: 2, minDelta: 0.5 });
    const t = new train.Trainer({
      ...quiet,
      maxEpochs: 50,
      logger: false,
      enableCheckpointing: false,
      callbacks: [es],
    });
    // improves (5 -> 4 -> 3), then within minDelta twice (2.8, 2.9): stops after epoch 4.
    await t.fit(new Scripted([5, 4, 3, 2.8, 2.9, 1, 1, 1]), { train: ones(), val: ones() });
    expect([t.currentEpoch, es.stoppedEpoch, es.best, es.wait]).toEqual([5, 4, 3, 2]);
    expect(es.reason).toMatch(/score did not improve by more than 0.5 in 2 checks/);
    const th = new train.EarlyStopping({ monitor: 'score', mode: 'max', stoppingThreshold: 0.9, patience: 100 });
    const t2 = new train.Trainer({
      ...quiet,
      maxEpochs: 50,
      logger: false,
      enableCheckpointing: false,
      callbacks: [th],
    });
    await t2.fit(new Scripted([0.5, 0.7, 0.95, 0.96]), { train: ones(), val: ones() });
    expect(t2.currentEpoch).toBe(3);
    const nan = new train.EarlyStopping({ monitor: 'score' });
    const t3 = new train.Trainer({
      ...quiet,
      maxEpochs: 50,
      logger: false,
      enableCheckpointing: false,
      callbacks: [nan],
    });
    await t3.fit(new Scripted([1, NaN]), { train: ones(), val: ones() });
    expect([t3.currentEpoch, nan.reason]).toEqual([2, 'score = NaN is not finite']);
  });

  it('a monitored key that was never logged is an error listing the logged keys', async () => {
    const t = new train.Trainer({
      ...quiet,
      maxEpochs: 2,
      logger: false,
      enableCheckpointing: false,
      callbacks: [new train.EarlyStopping({ monitor: 'val_los' })],
    });
    await expectRejects(
      t.fit(new Scripted([1]), { train: ones(), val: ones() }),
      'INVALID_ARGUMENT',
      /EarlyStopping: monitored metric 'val_los' was never logged; logged metrics: score/,
    );
    const t2 = new train.Trainer({
      ...quiet,
      maxEpochs: 2,
      logger: false,
      callbacks: [new train.ModelCheckpoint({ monitor: 'acc' })],
    });
    await expectRejects(
      t2.fit(new Reg(), { train: [[tk.ones([2, 4]), tk.ones([2, 1])]] }),
      'INVALID_ARGUMENT',
      /ModelCheckpoint: monitored metric 'acc' was never logged; logged metrics: train_loss_step, train_loss, train_loss_epoch/,
    );
  });

  it('LearningRateMonitor logs each scheduled learning rate; the progress bar prints plain lines off a TTY', async () => {
    const lines: string[] = [];
    const stream = {
      isTTY: false,
      write: (s: string) => {
        lines.push(s);
        return true;
      },
    } as unknown as NodeJS.WritableStream;
    const dir = freshDir();
    const t = new train.Trainer({
      maxEpochs: 4,
      numSanityValSteps: 0,
      defaultRootDir: dir,
      enableCheckpointing: false,
      logger: new train.JSONLLogger(dir),
      callbacks: [new train.LearningRateMonitor(), new train.ProgressBar({ stream, printIntervalS: 1000 })],
    });
    const ds = regression(32);
    await t.fit(new Reg(true), new data.DataLoader(ds, { batchSize: 16 }));
    const rows = fs
      .readFileSync(path.join(t.logDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.filter((r) => 'lr-Adam' in r).map((r) => r['lr-Adam'])).toEqual([0.01, 0.01, 0.005, 0.005]);
    expect(lines).toHaveLength(4);
    // No eta when the epoch ran within one millisecond (the rate is then unknown).
    expect(lines[0]).toMatch(/^Epoch 1\/4 100% 2\/2 \[\d\d:\d\d(?: eta 00:00)?, [\d.]+ it\/s\]\n$/);
    expect(lines.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
  });
});

describe('resume', () => {
  // A run with everything that carries state: dropout (the random stream), shuffling (the
  // loader), Adam moments, a StepLR schedule, epoch-level logging.
  async function run(
    maxEpochs: number,
    opts: { ckptPath?: string; callbacks?: train.Callback[]; dir?: string; loaderSeed?: number } = {},
  ) {
    tk.manualSeed(99);
    const model = new Reg(true);
    const loader = new data.DataLoader(regression(80), { batchSize: 16, shuffle: true, seed: opts.loaderSeed ?? 5 });
    const trainer = new train.Trainer({
      ...quiet,
      maxEpochs,
      deterministic: true,
      seed: 7,
      logger: false,
      defaultRootDir: opts.dir ?? freshDir(),
      enableCheckpointing: !!opts.dir,
      callbacks: opts.callbacks ?? (opts.dir ? [new train.ModelCheckpoint({ saveLast: true, saveTopK: 0 })] : []),
    });
    await trainer.fit(model, { train: loader, val: [[tk.ones([2, 4]), tk.ones([2, 1])]] }, { ckptPath: opts.ckptPath });
    return { model, trainer, weights: model.parameters().map((p) => Array.from(p.data() as Float32Array)) };
  }

  it('from an epoch-end checkpoint gives bit-identical weights to an uninterrupted run', async () => {
    const full = await run(5);
    const dir = freshDir();
    const first = await run(2, { dir });
    expect(first.weights).not.toEqual(full.weights);
    // The resumed run's loader starts from another seed: the checkpoint puts its position back.
    const resumed = await run(5, { ckptPath: path.join(dir, 'checkpoints', 'last.ckpt'), loaderSeed: 1234 });
    expect(resumed.trainer.globalStep).toBe(full.trainer.globalStep);
    expect(resumed.weights).toEqual(full.weights);
  });

  it('from a mid-epoch checkpoint too (the epoch resumes at the next batch)', async () => {
    const full = await run(3);
    const ck = path.join(freshDir(), 'mid.ckpt');
    class SaveAt extends train.Callback {
      override onTrainBatchEnd(trainer: train.Trainer) {
        if (trainer.globalStep === 7) {
          trainer.saveCheckpoint(ck);
          trainer.shouldStop = true;
        }
      }
    }
    await run(3, { callbacks: [new SaveAt()] });
    const c = tk.io.loadCheckpoint(ck);
    expect(c.loop).toEqual({ epoch: 1, batchesDone: 2, epochDone: false });
    const resumed = await run(3, { ckptPath: ck });
    expect(resumed.weights).toEqual(full.weights);
  });

  it('a damaged checkpoint is an IO_ERROR', async () => {
    const dir = freshDir();
    await run(1, { dir });
    const p = path.join(dir, 'checkpoints', 'last.ckpt');
    fs.writeFileSync(p, fs.readFileSync(p).subarray(0, 100));
    await expectRejects(run(2, { ckptPath: p }), 'IO_ERROR', /not a valid safetensors file/);
  });
});

describe('the training loop', () => {
  it('onStep/onEpoch keys, epoch means weighted by batch size, logEveryNSteps, maxSteps, limits', async () => {
    class Logs extends train.LightningModule {
      lin = new nn.Linear(1, 1);
      override trainingStep([x]: Tensor[], i: number) {
        this.log('a', i); // step only
        this.log('b', x.shape[0], { onStep: true, onEpoch: true });
        this.log('c', i, { onStep: false, onEpoch: true, reduceFx: 'max' });
        return this.lin.forward(x).mean();
      }
      override configureOptimizers() {
        return new optim.SGD(this.parameters(), { lr: 0.1 });
      }
    }
    const batches = () => [[tk.ones([4, 1])], [tk.ones([2, 1])], [tk.ones([2, 1])]];
    const dir = freshDir();
    const csv = new train.CSVLogger(dir);
    const t = new train.Trainer({ ...quiet, maxEpochs: 2, logger: csv, enableCheckpointing: false, logEveryNSteps: 2 });
    const m = await t.fit(new Logs(), batches());
    // b's epoch mean is weighted by batch size: (4*4 + 2*2 + 2*2) / 8 = 3.
    expect(m).toMatchObject({ a: 2, b_step: 2, b_epoch: 3, b: 3, c: 2 });
    const rows = fs.readFileSync(path.join(csv.logDir, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(rows[0]).toBe('step,a,b_step,epoch,b_epoch,c');
    expect(rows.slice(1)).toEqual(['2,1,2,0,,', '3,,,0,3,2', '4,0,4,1,,', '6,2,2,1,,', '6,,,1,3,2']);
    const s = new train.Trainer({ ...quiet, maxSteps: 4, logger: false, enableCheckpointing: false });
    await s.fit(new Logs(), batches());
    expect([s.globalStep, s.currentEpoch]).toEqual([4, 2]);
    const l = new train.Trainer({
      ...quiet,
      maxEpochs: 2,
      limitTrainBatches: 2,
      logger: false,
      enableCheckpointing: false,
    });
    await l.fit(new Logs(), batches());
    expect(l.globalStep).toBe(4);
  });

  it('accumulateGradBatches over two half batches equals one whole batch; clipping bounds the step', async () => {
    const ds = regression(32);
    async function fitWith(bs: number, acc: number, clip?: number) {
      tk.manualSeed(3);
      class Lin extends train.LightningModule {
        lin = new nn.Linear(4, 1);
        override trainingStep([x, y]: Tensor[]) {
          return nn.functional.mseLoss(this.lin.forward(x), y);
        }
        override configureOptimizers() {
          return new optim.SGD(this.parameters(), { lr: 0.05 });
        }
      }
      const m = new Lin();
      const before = m.lin.weight.data() as Float32Array;
      await new train.Trainer({
        ...quiet,
        maxEpochs: 1,
        accumulateGradBatches: acc,
        gradientClipVal: clip,
        logger: false,
        enableCheckpointing: false,
      }).fit(m, new data.DataLoader(ds, { batchSize: bs }));
      return {
        w: Array.from(m.lin.weight.data() as Float32Array),
        moved: Math.hypot(...Array.from(m.lin.weight.data() as Float32Array).map((v, i) => v - before[i])),
      };
    }
    const whole = await fitWith(32, 1),
      halves = await fitWith(16, 2);
    whole.w.forEach((v, i) => expect(halves.w[i]).toBeCloseTo(v, 6));
    // A source without a length that ends mid-accumulation still steps on what it gathered.
    class Count extends train.LightningModule {
      lin = new nn.Linear(1, 1);
      override trainingStep([x]: Tensor[]) {
        return this.lin.forward(x).mean();
      }
      override configureOptimizers() {
        return new optim.SGD(this.parameters(), { lr: 0.1 });
      }
    }
    const gen = function* () {
      for (let i = 0; i < 3; i++) yield [tk.ones([1, 1])];
    };
    const tc = new train.Trainer({
      ...quiet,
      maxEpochs: 1,
      accumulateGradBatches: 2,
      logger: false,
      enableCheckpointing: false,
    });
    await tc.fit(new Count(), { [Symbol.iterator]: gen } as Iterable<unknown>);
    expect(tc.globalStep).toBe(2);
    const clipped = await fitWith(32, 1, 0.01);
    expect(clipped.moved).toBeLessThanOrEqual(0.05 * 0.01 * 1.0001);
    expect(whole.moved).toBeGreaterThan(0.05 * 0.01 * 2);
  });

  it('valCheckInterval validates mid-epoch; validation runs under noGrad and eval()', async () => {
    const seen: [boolean, boolean][] = [];
    class V extends train.LightningModule {
      lin = new nn.Linear(1, 1);
      override trainingStep([x]: Tensor[]) {
        return this.lin.forward(x).mean();
      }
      override validationStep([x]: Tensor[]) {
        seen.push([tk.isGradEnabled(), this.training]);
        this.log('v', this.lin.forward(x).mean());
      }
      override configureOptimizers() {
        return new optim.SGD(this.parameters(), { lr: 0.1 });
      }
    }
    const t = new train.Trainer({
      enableProgressBar: false,
      maxEpochs: 1,
      valCheckInterval: 2,
      logger: false,
      enableCheckpointing: false,
      numSanityValSteps: 1,
    });
    await t.fit(new V(), { train: Array.from({ length: 6 }, () => [tk.ones([1, 1])]), val: [[tk.ones([1, 1])]] });
    expect(seen).toHaveLength(1 + 3); // sanity check, after batches 2 and 4, at the epoch's end
    expect(seen.every(([g, tr]) => !g && !tr)).toBe(true);
  });

  it('bad modules, options and outputs throw TensorErrors that say what is wrong', async () => {
    expectTensorError(
      () => new train.Trainer({ maxEpoch: 3 } as never),
      'INVALID_ARGUMENT',
      /Trainer: unknown option 'maxEpoch' \(did you mean 'maxEpochs'\?\)/,
    );
    expectTensorError(
      () => new train.Trainer({ valCheckInterval: 1.5 }),
      'INVALID_ARGUMENT',
      /valCheckInterval must be a fraction in \(0, 1\] or a positive integer, got 1.5/,
    );
    expectTensorError(
      () => new train.Trainer({ callbacks: [{}] as never }),
      'INVALID_ARGUMENT',
      /callbacks must be an array of Callback/,
    );
    expectTensorError(
      () => new train.Trainer({ device: 'tpu' as never }),
      'INVALID_ARGUMENT',
      /Trainer: device must be 'cpu', 'cuda' or 'cuda:N', got "tpu"/,
    );
    if (!tk.cuda.isAvailable())
      await expectRejects(
        new train.Trainer({ ...quiet, device: 'cuda', logger: false, enableCheckpointing: false }).fit(
          new Scripted([1]),
          ones(),
        ),
        'CUDA_ERROR',
        /cuda device 0 is not available/,
      );
    const t = new train.Trainer({ ...quiet, maxEpochs: 1, logger: false, enableCheckpointing: false });
    await expectRejects(t.fit({} as never, ones()), 'INVALID_ARGUMENT', /Trainer.fit: expected a LightningModule, got/);
    class NoOpt extends train.LightningModule {
      lin = new nn.Linear(1, 1);
      override trainingStep() {
        return null;
      }
    }
    await expectRejects(t.fit(new NoOpt(), ones()), 'NOT_IMPLEMENTED', /NoOpt: configureOptimizers\(\) is not defined/);
    class BadOut extends train.LightningModule {
      lin = new nn.Linear(1, 1);
      override trainingStep() {
        return 3 as never;
      }
      override configureOptimizers() {
        return new optim.SGD(this.parameters(), { lr: 1 });
      }
    }
    await expectRejects(
      t.fit(new BadOut(), ones()),
      'INVALID_ARGUMENT',
      /trainingStep: expected a loss Tensor, \{ loss \}, or null, got 3/,
    );
    class BadLog extends BadOut {
      override trainingStep(batch?: unknown) {
        this.log('v', (batch as Tensor[])[0]);
        return null as never;
      }
    }
    await expectRejects(
      t.fit(new BadLog(), ones()),
      'INVALID_ARGUMENT',
      /log: 'v' must be a scalar, got a tensor of shape \[2, 1\]/,
    );
    await expectRejects(
      t.fit(new BadOut(), 42 as never),
      'INVALID_ARGUMENT',
      /Trainer.fit: the training batches must be an iterable of batches/,
    );
    expectTensorError(
      () => new BadOut().log('x', 1),
      'INVALID_ARGUMENT',
      /BadOut.log: 'x' was logged outside a Trainer loop/,
    );
    await expectRejects(
      t.validate(new BadOut(), ones()),
      'NOT_IMPLEMENTED',
      /BadOut: validationStep\(\) is not defined/,
    );
  });

  it('returns live tensors and native bytes to baseline after many fits', async () => {
    const ds = regression(64);
    const run = async () => {
      const m = new Reg(true);
      const t = new train.Trainer({
        ...quiet,
        numSanityValSteps: 2,
        maxEpochs: 3,
        logger: false,
        enableCheckpointing: false,
      });
      await t.fit(m, {
        train: new data.DataLoader(ds, { batchSize: 8, shuffle: true, seed: 1 }),
        val: new data.DataLoader(ds, { batchSize: 32 }),
      });
      for (const o of t.optimizers) o.disposeState();
      m.zeroGrad();
      for (const p of m.parameters()) p.dispose();
    };
    await run();
    settleGarbage();
    const base = tk.memory();
    for (let i = 0; i < 5; i++) await run();
    const after = tk.memory();
    expect(after.tensors).toBe(base.tensors);
    expect(after.bytes).toBe(base.bytes);
  });
});

// An independent reader for the TensorBoard check: bitwise CRC-32C and a hand walk over the
// protobuf bytes, sharing no code with the writer.
function crc32cBitwise(b: Uint8Array): number {
  let c = ~0 >>> 0;
  for (const byte of b) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}
const mask = (c: number) => ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;

describe('loggers and the report', () => {
  it('TensorBoardLogger writes TFRecord-framed Event protos with scalar summaries', () => {
    const dir = freshDir();
    const tb = new train.TensorBoardLogger(dir, { name: 'tb' });
    tb.logMetrics({ loss: 0.5, acc: 0.25 }, 3);
    tb.logMetrics({ loss: 0.125 }, 300);
    tb.save();
    expect(path.basename(tb.eventFile!)).toMatch(/^events\.out\.tfevents\.\d+\./);
    const b = fs.readFileSync(tb.eventFile!);
    const events: Buffer[] = [];
    for (let p = 0; p < b.length;) {
      const n = Number(b.readBigUInt64LE(p));
      expect(b.readUInt32LE(p + 8)).toBe(mask(crc32cBitwise(b.subarray(p, p + 8))));
      const d = b.subarray(p + 12, p + 12 + n);
      expect(b.readUInt32LE(p + 12 + n)).toBe(mask(crc32cBitwise(d)));
      events.push(d);
      p += 16 + n;
    }
    expect(events).toHaveLength(3);
    // Event 0: wall_time (field 1, fixed64), step 0 (field 2), file_version (field 3).
    expect(events[0][0]).toBe(0x09);
    expect(events[0].subarray(9, 11)).toEqual(Buffer.from([0x10, 0x00]));
    expect(events[0].subarray(11).toString('latin1')).toBe('\x1a\x0dbrain.Event:2');
    // Event 2: step 300 as a varint (0xac 0x02), then summary (field 5) { value { tag "loss", simple_value 0.125 } }.
    const e = events[2];
    expect(e.subarray(9, 12)).toEqual(Buffer.from([0x10, 0xac, 0x02]));
    const summary = Buffer.concat([
      Buffer.from([0x0a, 0x04]),
      Buffer.from('loss'),
      Buffer.from([0x15]),
      Buffer.from(new Float32Array([0.125]).buffer),
    ]);
    expect(e.subarray(12)).toEqual(
      Buffer.concat([Buffer.from([0x2a, summary.length + 2, 0x0a, summary.length]), summary]),
    );
    expect(train.readScalarEvents(b).map((s) => [s.step, s.tag, s.value])).toEqual([
      [3, 'loss', 0.5],
      [3, 'acc', 0.25],
      [300, 'loss', 0.125],
    ]);
  });

  it('CSV, JSONL and TensorBoard runs all render to a report; versions count up', () => {
    const dir = freshDir();
    for (const L of [train.CSVLogger, train.JSONLLogger, train.TensorBoardLogger]) {
      const lg = new L(dir, { name: L.name });
      expect(lg.version).toBe(0);
      for (let s = 1; s <= 5; s++) lg.logMetrics({ train_loss: 1 / s, val_loss: 1.2 / s, 'a,b': s }, s);
      lg.logHyperparams({ lr: 0.1 });
      lg.finalize('success');
      expect(new L(dir, { name: L.name }).version).toBe(1);
      const page = fs.readFileSync(train.report(lg.logDir, { title: `<${L.name}>` }), 'utf8');
      expect(page).toContain(`<title>&lt;${L.name}&gt;</title>`);
      expect(page.match(/<svg/g)).toHaveLength(2); // 'loss' (train and val together) and 'a,b'
      expect(page.match(/<polyline/g)).toHaveLength(3);
      expect(page).toContain('&quot;lr&quot;: 0.1');
    }
    fs.mkdirSync(path.join(dir, 'empty'));
    expectTensorError(() => train.report(path.join(dir, 'empty')), 'INVALID_ARGUMENT', /holds no logged metrics/);
    expectTensorError(() => train.report(path.join(dir, 'missing')), 'IO_ERROR', /cannot read the log directory/);
  });
});
