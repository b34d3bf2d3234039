// train: the Trainer's cost per step over a hand-written loop (same model, batches, optimizer
// and logged loss), and metric update/compute times on 10,000 predictions.
//
// The Trainer and the hand loop run alternately, several times each, and the overhead is the
// ratio of their median per-step times: the machine's drift hits both alike.
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';

import * as tk from '../../src/index.js';
import { measure, type Options, type Row } from '../lib.js';

const { nn, optim, train, metrics } = tk;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// The MLP benchmark model (784-256-10, batch 64) as a LightningModule.
class Mlp extends train.LightningModule {
  fc1 = new nn.Linear(784, 256);
  fc2 = new nn.Linear(256, 10);
  override forward(x: tk.Tensor) {
    return this.fc2.forward(this.fc1.forward(x).relu());
  }
  override trainingStep([x, y]: tk.Tensor[]) {
    const loss = nn.functional.crossEntropy(this.forward(x), y);
    this.log('train_loss', loss, { progBar: true });
    return loss;
  }
  override configureOptimizers() {
    return new optim.SGD(this.parameters(), { lr: 0.01 });
  }
}

async function trainerOverhead(opts: Options, th: number): Promise<Row[]> {
  tk.setNumThreads(th);
  tk.manualSeed(0);
  const steps = opts.smoke ? 4 : opts.quick ? 32 : 64,
    rounds = opts.smoke ? 1 : opts.quick ? 5 : 11;
  const batches = Array.from({ length: steps }, () => [tk.randn([64, 784]), tk.randint(0, 10, [64])]);
  const model = new Mlp();
  const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
  // The hand-written loop a user would write: zeroGrad, forward, loss, backward, step, and the
  // loss read back for printing.
  const hand = () => {
    let total = 0;
    for (const [x, y] of batches)
      total += tk.tidy(() => {
        opt.zeroGrad();
        const loss = nn.functional.crossEntropy(model.forward(x), y);
        loss.backward();
        opt.step();
        return loss.item() as number;
      });
    return total;
  };
  // A terminal that discards: the bar redraws at most 10 times a second, as on a real one.
  const sink = Object.assign(new Writable({ write: (_c, _e, cb) => cb() }), { isTTY: true });
  const bare = new train.Trainer({
    maxEpochs: 1,
    logger: false,
    enableCheckpointing: false,
    enableProgressBar: false,
    numSanityValSteps: 0,
  });
  const dir = `${process.env.TMPDIR ?? '/tmp'}/tk-bench-train-${process.pid}`;
  // The usual setup minus checkpoints (their cost is per epoch, timed separately below).
  const logged = () =>
    new train.Trainer({
      maxEpochs: 1,
      defaultRootDir: dir,
      logEveryNSteps: 16,
      numSanityValSteps: 0,
      enableCheckpointing: false,
      callbacks: [new train.ProgressBar({ stream: sink as never })],
    });
  const perStep = async (f: () => unknown) => {
    const t0 = performance.now();
    await f();
    return ((performance.now() - t0) * 1000) / steps;
  };
  const h: number[] = [],
    b: number[] = [],
    f: number[] = [],
    ratio: number[] = [];
  hand();
  await bare.fit(model, batches); // warm-up
  for (let r = 0; r < rounds; r++) {
    const hu = await perStep(hand);
    const bu = await perStep(() => bare.fit(model, batches));
    h.push(hu, await perStep(hand));
    b.push(bu);
    ratio.push(bu / ((hu + h[h.length - 1]) / 2)); // the Trainer against the hand loops around it
    f.push(await perStep(() => logged().fit(model, batches)));
  }
  const ckptMs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    bare.saveCheckpoint(`${dir}/bench.ckpt`);
    ckptMs.push(performance.now() - t0);
  }
  const [hu, bu, fu] = [median(h), median(b), median(f)];
  for (const [x, y] of batches) {
    x.dispose();
    y.dispose();
  }
  opt.disposeState();
  for (const o of bare.optimizers) o.disposeState();
  (await import('node:fs')).rmSync(dir, { recursive: true, force: true });
  const suite = 'train';
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
  return [
    { suite, name: 'MLP 784-256-10 b64 step: hand-written loop', threads: th, nativeUs: hu },
    {
      suite,
      name: 'MLP 784-256-10 b64 step: Trainer.fit (bare)',
      threads: th,
      nativeUs: bu,
      note: `${pct(median(ratio) - 1)} over the hand loop (median of ${rounds} paired ratios)`,
    },
    {
      suite,
      name: 'MLP 784-256-10 b64 step: Trainer.fit (CSV logger, progress bar)',
      threads: th,
      nativeUs: fu,
      note: `${pct(fu / hu - 1)} over the hand loop (incl. one fsync'd metrics.csv write per ${steps}-step fit)`,
    },
    {
      suite,
      name: 'Trainer.saveCheckpoint (MLP 784-256-10 + SGD state, 0.8 MB, fsync)',
      threads: th,
      nativeUs: median(ckptMs) * 1000,
    },
  ];
}

export async function* trainSuite(opts: Options, threads: number[]): AsyncGenerator<Row> {
  for (const th of threads) for (const r of await trainerOverhead(opts, th)) yield r;

  // Metric updates on 10,000 predictions (1 thread: the size where per-op overhead shows).
  tk.setNumThreads(1);
  tk.manualSeed(1);
  const N = 10_000;
  const logits = tk.randn([N, 10]),
    labels = tk.randint(0, 10, [N]);
  const probs = tk.rand([N]),
    binary = tk.randint(0, 2, [N]);
  const mc = { task: 'multiclass', numClasses: 10 } as const;
  // The plain-TypeScript accuracy: argmax per row in a JS loop.
  const ld = logits.data() as Float32Array,
    yd = labels.data() as BigInt64Array;
  const plainAcc = () => {
    let correct = 0;
    for (let i = 0; i < N; i++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (ld[i * 10 + c] > ld[i * 10 + best]) best = c;
      if (BigInt(best) === yd[i]) correct++;
    }
    return correct / N;
  };
  const cases: [string, tk.metrics.Metric<never>, () => void, (() => void)?][] = [];
  const add = (
    name: string,
    m: tk.metrics.Metric<never>,
    fn: (m: tk.metrics.Metric<never>) => void,
    plain?: () => void,
  ) => cases.push([name, m, () => fn(m), plain]);
  add(
    'Accuracy multiclass update [10000, 10] logits',
    new metrics.Accuracy(mc) as never,
    (m) => (m as tk.metrics.Accuracy).update(logits, labels),
    plainAcc,
  );
  add('Accuracy multiclass top-5 update', new metrics.Accuracy({ ...mc, topK: 5 }) as never, (m) =>
    (m as tk.metrics.Accuracy).update(logits, labels),
  );
  add('F1Score macro update', new metrics.F1Score({ ...mc, average: 'macro' }) as never, (m) =>
    (m as tk.metrics.F1Score).update(logits, labels),
  );
  add('ConfusionMatrix update', new metrics.ConfusionMatrix(mc) as never, (m) =>
    (m as tk.metrics.ConfusionMatrix).update(logits, labels),
  );
  add('Accuracy binary update [10000] probabilities', new metrics.Accuracy({ task: 'binary' }) as never, (m) =>
    (m as tk.metrics.Accuracy).update(probs, binary),
  );
  add('AUROC binary update', new metrics.AUROC({ task: 'binary' }) as never, (m) => {
    (m as tk.metrics.AUROC).update(probs, binary);
    m.reset();
  });
  const auc = new metrics.AUROC({ task: 'binary' });
  auc.update(probs, binary);
  add('AUROC binary compute (10,000 scores)', auc as never, (m) => m.compute().dispose());
  add('MeanSquaredError update', new metrics.MeanSquaredError() as never, (m) =>
    (m as tk.metrics.MeanSquaredError).update(probs, probs),
  );
  for (const [name, m, fn, plain] of cases) {
    const nativeUs = await measure(fn, opts);
    const plainUs = plain ? await measure(plain, opts) : undefined;
    yield { suite: 'metrics', name, threads: 1, nativeUs, plainUs };
    m.reset();
  }
  for (const t of [logits, labels, probs, binary]) t.dispose();
}
