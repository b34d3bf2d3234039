// The rest of the distributed namespace in a `tensorkit run -n 2` job: SyncBatchNorm, metrics that
// synchronise on compute(), and the Trainer's 'ddp' strategy. Each rank writes what it got to
// <out>.rank<r>.json; test/distributed.test.ts recomputes the single-process results.
//   tsx src/cli.ts run -n 2 test/distributed/parts.ts <out> <dir>
import { readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

import { ShapesNet } from '../../examples/cnn-shapes.js';
import {
  data,
  distributed as dist,
  full,
  getNumThreads,
  manualSeed,
  memory,
  metrics,
  nn,
  optim,
  randn,
  tensor,
  tidy,
  train,
  zeros,
  type Tensor,
  type TensorError,
} from '../../src/index.js';
import { averagedGradients } from './ddp-reference.js';
import { bnInput, metricInput } from './parts-data.js';

const [out, dir] = process.argv.slice(2);
dist.initProcessGroup();
const rank = dist.getRank();
const res: Record<string, unknown> = {};
const arr = (t: Tensor) => Array.from(t.data() as Float32Array);

// SyncBatchNorm on this rank's half of the batch (rows rank*4 .. rank*4+4 of 8)
{
  const { x, coef } = bnInput();
  const xr = x.narrow(0, rank * 4, 4).detach();
  xr.requiresGrad = true;
  const bn = new nn.SyncBatchNorm(3);
  const y = bn.forward(xr);
  y.mul(coef.narrow(0, rank * 4, 4))
    .sum()
    .backward();
  const wg = bn.weight!.grad!;
  dist.allReduce(wg); // the full batch's weight gradient is the sum of the ranks' parts
  res.bn = {
    y: arr(y),
    xGrad: arr(xr.grad!),
    weightGrad: arr(wg),
    runningMean: arr(bn.runningMean!),
    runningVar: arr(bn.runningVar!),
  };
  const conv = nn.SyncBatchNorm.convertSyncBatchnorm(new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2)));
  res.converted = conv.modules().map((m) => m.constructor.name);
}

// DDP's broadcastBuffers: each rank's train-mode forward moves its BatchNorm statistics with its
// own rows; the next forward starts from rank 0's, in both dtypes (float32 statistics, and an
// int64 buffer set per rank).
for (const broadcastBuffers of [true, false]) {
  const { x } = bnInput();
  const bn = new nn.BatchNorm2d(3);
  const seen = tensor([10 + rank], { dtype: 'int64' });
  bn.registerBuffer('seen', seen);
  // rank 0's at the start; made and run in tidy() scopes, which must not free its own tensors
  const ddp = tidy(() => new dist.DistributedDataParallel(bn, { broadcastBuffers }));
  tidy(() => ddp.forward(x.narrow(0, rank * 4, 4))); // moves this rank's statistics with its own rows
  seen.fill_(20 + rank);
  const state = () => ({ mean: arr(bn.runningMean!), seen: Number(seen.item()) });
  const own = state();
  ddp.eval();
  tidy(() => ddp.forward(x.narrow(0, rank * 4, 4))); // eval: syncs the buffers, then changes none
  ((res.buffers ??= {}) as Record<string, unknown>)[String(broadcastBuffers)] = { own, synced: state() };
  ddp.dispose();
}

// A DDP made inside tidy() keeps its buckets: two backward passes of sum(Linear(x)) with x all
// rank+1 (3 rows) average to 4.5 per weight entry and 3 per bias entry each, accumulated.
for (const gradientAsBucketView of [false, true]) {
  const lin = new nn.Linear(4, 2);
  const ddp = tidy(() => new dist.DistributedDataParallel(lin, { gradientAsBucketView }));
  for (let i = 0; i < 2; i++)
    tidy(() =>
      ddp
        .forward(full([3, 4], rank + 1))
        .sum()
        .backward(),
    );
  ((res.tidyDdp ??= {}) as Record<string, unknown>)[String(gradientAsBucketView)] = [
    arr(lin.weight.grad!),
    arr(lin.bias!.grad!),
  ];
  ddp.dispose();
}

// DDP makes no tensor it does not free: 100 steps outside any tidy() (the loss made in one) leave
// the live tensor count where it was, with copies and with bucket views, and a buffer to sync.
for (const gradientAsBucketView of [false, true]) {
  const net = new nn.Sequential(new nn.Linear(4, 8), new nn.BatchNorm1d(8), new nn.Linear(8, 2));
  const ddp = new dist.DistributedDataParallel(net, { gradientAsBucketView });
  const x = full([6, 4], rank + 1).add(tensor([0, 1, 2, 3]));
  const step = () => {
    net.zeroGrad();
    const l = tidy(() => ddp.forward(x).sum());
    l.backward();
    l.dispose();
  };
  for (let i = 0; i < 3; i++) step();
  const base = memory().tensors;
  for (let i = 0; i < 100; i++) step();
  ((res.ddpLive ??= {}) as Record<string, unknown>)[String(gradientAsBucketView)] = memory().tensors - base;
  ddp.dispose();
}

// DDPOptions.overlap: the buckets' all-reduces started during backward (true), all run after it
// (false), this host's default, or 'mixed' (rank 0 overlapping, rank 1 not, as on two unlike
// hosts), average alike: the reference is each rank's own gradient (noSync) averaged with
// distributed.allReduce. Small buckets make four: three bucketed and
// Linear(256, 512)'s 512 KiB weight in place. Two steps: the second starts from reset buckets.
for (const overlap of [true, false, undefined, 'mixed'] as const) {
  manualSeed(7);
  const net = new nn.Sequential(new nn.Linear(256, 512), new nn.ReLU(), new nn.Linear(512, 8), new nn.Linear(8, 3));
  const ddp = new dist.DistributedDataParallel(net, {
    overlap: overlap === 'mixed' ? rank === 0 : overlap,
    bucketCapMb: 0.004,
  });
  manualSeed(100 + rank);
  const x = randn([3, 256]);
  const pass = () => tidy(() => ddp.forward(x).pow(2).sum().backward());
  const reference = averagedGradients(ddp, net, pass);
  const diffs: number[] = [];
  for (let step = 0; step < 2; step++) {
    net.zeroGrad();
    pass();
    diffs.push(Math.max(...net.parameters().map((p, i) => Number(p.grad!.sub(reference[i]).abs().max().item()))));
  }
  ((res.overlap ??= {}) as Record<string, unknown>)[String(overlap)] = {
    diffs,
    overlapped: ddp.overlapped,
    buckets: ddp.bucketSizes(),
    threads: getNumThreads(),
    cpus: availableParallelism(), // this rank's share when tensorkit run bound it
    scale: Math.max(...reference.map((g) => Number(g.abs().max().item()))),
  };
  ddp.dispose();
}

// A parameter that takes no part in the loss: its bucket never fills, so the last backward never
// finished; the next forward runs what that backward launched or deferred (keeping the ranks in
// step, 'mixed' too: the collective after it still meets) and names the parameter's shapes.
class Partly extends nn.Module {
  a = new nn.Linear(4, 8);
  b = new nn.Linear(8, 2);
  unused = new nn.Linear(3, 5);
  forward(x: Tensor): Tensor {
    return this.b.forward(this.a.forward(x));
  }
}
for (const overlap of [true, false, 'mixed'] as const) {
  const ddp = new dist.DistributedDataParallel(new Partly(), {
    overlap: overlap === 'mixed' ? rank === 0 : overlap,
    bucketCapMb: 1e-6,
  });
  const x = full([2, 4], rank + 1);
  tidy(() => ddp.forward(x).sum().backward());
  let error: { code?: string; message: string } = { message: 'no error' };
  try {
    ddp.forward(x);
  } catch (e) {
    error = e as typeof error;
  }
  const after = tensor([rank + 1]);
  dist.allReduce(after);
  ((res.unusedParam ??= {}) as Record<string, unknown>)[String(overlap)] = {
    code: error.code,
    message: error.message,
    after: Number(after.item()),
  };
  ddp.dispose();
}

// findUnusedParameters: `b` takes part on rank 0 only, `c` on no rank. Each parameter its own
// bucket; overlapping and not. a's gradient is the average, b's is rank 0's halved (rank 1 adds
// zeros), c keeps no gradient; two steps, and 20 more leave no tensor behind.
class Branchy extends nn.Module {
  a = new nn.Linear(4, 3);
  b = new nn.Linear(4, 3);
  c = new nn.Linear(4, 3);
  useB: boolean | undefined; // default: on rank 0 only
  forward(x: Tensor): Tensor {
    const y = this.a.forward(x);
    return (this.useB ?? rank === 0) ? y.add(this.b.forward(x).mul(2)) : y;
  }
}
for (const overlap of [true, false]) {
  manualSeed(11);
  const net = new Branchy();
  const ddp = new dist.DistributedDataParallel(net, { findUnusedParameters: true, overlap, bucketCapMb: 1e-6 });
  manualSeed(200 + rank);
  const x = randn([5, 4]);
  const pass = () => tidy(() => ddp.forward(x).pow(2).sum().backward());
  net.zeroGrad();
  ddp.noSync(pass);
  const local = [net.a.weight, net.a.bias!, net.b.weight, net.b.bias!].map((p) => p.grad?.clone() ?? zeros(p.shape));
  for (const g of local) dist.allReduce(g, { op: 'avg' });
  const diffs: number[] = [];
  const cGrad: boolean[] = [];
  for (let step = 0; step < 2; step++) {
    net.zeroGrad();
    pass();
    tidy(() => {
      const got = [net.a.weight, net.a.bias!, net.b.weight, net.b.bias!].map((p) => p.grad!);
      diffs.push(Math.max(...got.map((g, i) => Number(g.sub(local[i]).abs().max().item()))));
      cGrad.push(net.c.weight.grad !== null || net.c.bias!.grad !== null);
    });
  }
  const base = memory().tensors;
  for (let i = 0; i < 20; i++) (net.zeroGrad(), pass());
  const live = memory().tensors - base;
  // Two forwards, one backward: the second forward left b out, the first used it, so b's gradient
  // comes after b was marked unused: an error, and the next step is right again.
  let twice: { code?: string; message: string } = { message: 'no error' };
  net.zeroGrad();
  try {
    tidy(() => {
      net.useB = true;
      const first = ddp.forward(x);
      net.useB = false;
      const second = ddp.forward(x);
      first.add(second).sum().backward();
    });
  } catch (e) {
    twice = e as typeof twice;
  }
  net.useB = undefined;
  net.zeroGrad();
  pass();
  tidy(() => {
    const got = [net.a.weight, net.a.bias!, net.b.weight, net.b.bias!].map((p) => p.grad!);
    diffs.push(Math.max(...got.map((g, i) => Number(g.sub(local[i]).abs().max().item()))));
  });
  ((res.findUnused ??= {}) as Record<string, unknown>)[String(overlap)] = {
    twice: [twice.code, twice.message],
    diffs,
    cGrad,
    bScale: Number(local[2].abs().max().item()),
    live,
  };
  ddp.dispose();
}

// Metrics: each rank updates with its own rows (rank 0: 5 rows, rank 1: 3); compute() gives the
// metric over all 8 rows on both ranks.
{
  const { preds, target, scores } = metricInput();
  const [start, n] = rank === 0 ? [0, 5] : [5, 3];
  const acc = new metrics.Accuracy({ task: 'multiclass', numClasses: 3 });
  acc.update(preds.narrow(0, start, n), target.narrow(0, start, n));
  const auroc = new metrics.AUROC({ task: 'binary' });
  auroc.update(scores.narrow(0, start, n), target.narrow(0, start, n).gt(0).to('int64'));
  res.accuracy = Number(acc.compute().item());
  res.auroc = Number(auroc.compute().item());
  acc.syncOnCompute = false;
  res.localAccuracy = Number(acc.compute().item());
  // sync(): the combined state stays until unsync(); compute() does not sync it again
  const code = (f: () => void) => {
    try {
      f();
      return 'none';
    } catch (e) {
      return (e as { code?: string }).code ?? String(e);
    }
  };
  res.unsyncFirst = code(() => acc.unsync());
  acc.sync();
  auroc.sync();
  res.synced = [acc.isSynced, auroc.isSynced];
  auroc.syncOnCompute = false;
  res.syncedAccuracy = Number(acc.compute().item());
  res.syncedAuroc = Number(auroc.compute().item());
  res.syncTwice = code(() => acc.sync());
  res.updateSynced = code(() => acc.update(preds.narrow(0, start, n), target.narrow(0, start, n)));
  // counts: a compute() that synced the synced state again would double them
  const cm = new metrics.ConfusionMatrix({ task: 'multiclass', numClasses: 3 });
  cm.update(preds.narrow(0, start, n), target.narrow(0, start, n));
  cm.sync();
  res.syncedCounts = Array.from(cm.compute().to('float64').data() as Float64Array);
  cm.unsync();
  res.localCounts = Array.from(cm.compute().to('float64').data() as Float64Array); // syncs on compute
  acc.unsync();
  auroc.unsync();
  res.afterUnsync = [acc.isSynced, Number(acc.compute().item())];
}

// Trainer({ strategy: 'ddp' }): the same LightningModule code as one process.
class Shapes extends train.LightningModule {
  net = new ShapesNet();
  batches = 0;
  override forward(x: Tensor): Tensor {
    return this.net.forward(x);
  }
  override trainingStep([x, y]: Tensor[]): Tensor {
    this.batches++;
    const loss = nn.functional.crossEntropy(this.forward(x), y);
    this.log('train_loss', loss, { onEpoch: true });
    this.log('rank', rank, { onEpoch: true, onStep: false });
    return loss;
  }
  override configureOptimizers() {
    return new optim.SGD(this.parameters(), { lr: 0.05 });
  }
}

{
  const { features, labels } = data.synthetic.shapes({ n: 128, size: 16, seed: 5 });
  const loader = new data.DataLoader(new data.TensorDataset(features, labels), {
    batchSize: 16,
    shuffle: true,
    seed: 3,
  });
  const m = new Shapes();
  const trainer = new train.Trainer({
    strategy: 'ddp',
    devices: 2,
    maxEpochs: 2,
    defaultRootDir: dir,
    enableProgressBar: true,
    logger: new train.CSVLogger(dir),
  });
  await trainer.fit(m, loader);
  res.trainer = {
    batches: m.batches,
    loggers: trainer.loggers.length,
    progressBar: trainer.callbacks.some((c) => c instanceof train.ProgressBar),
    metrics: trainer.callbackMetrics,
    weights: m.net.parameters().map(arr),
    isGlobalZero: trainer.isGlobalZero,
  };
  dist.barrier();
  res.files = readdirSync(dir, { recursive: true }).map(String).sort();
  // { name: 'ddp', ...options }: DistributedDataParallel's options, which setup() passes on
  const configured = new train.Trainer({
    strategy: { name: 'ddp', bucketCapMb: 10, overlap: false },
    logger: false,
    enableCheckpointing: false,
  });
  res.strategyOptions = (configured.strategy as unknown as { options: unknown }).options;
}

// Last: DDP once the group is destroyed. Each backward throws the all-reduce's error (the second
// too: the failed one is forgotten, not blamed on the gradients); nothing crashes.
{
  const lin = new nn.Linear(4, 2);
  const ddp = new dist.DistributedDataParallel(lin);
  const x = full([3, 4], 1);
  dist.destroyProcessGroup();
  res.afterDestroy = [0, 1].map(() => {
    try {
      tidy(() => ddp.forward(x).sum().backward());
      return 'no error';
    } catch (e) {
      return `${(e as TensorError).code} ${(e as Error).message}`;
    }
  });
}

writeFileSync(`${out}.rank${rank}.json`, JSON.stringify(res));
