// The training side of `npm run bench:distributed`, run by the launcher (or alone for 1 process):
//   cnn <globalBatch> <steps> [single|nosync]: shapes CNN SGD steps, each rank its share of the
//     global batch, 1 core thread per rank; rank 0 prints images per second over the steps after
//     the first two fifths (warm-up). `nosync` skips the gradient all-reduce: the ceiling of the split.
//   mlp <batch> <steps> <hidden> [copy|view|overlap] [bucketCapMb]: per step, in rotation, blocks
//     of backward with noSync (no communication), of backward with DDP's bucketed all-reduce, and
//     of backward followed by a single all-reduce of the whole gradient (no overlap); rank 0 prints
//     the three medians in ms (of the steps in a block after its first two), and a
//     fourth: the CPU time (both threads) that one all-reduce of the whole gradient costs this rank,
//     measured after the steps with the ranks meeting first (a barrier), so that no wait counts;
//     a fifth: the same for the gradient in memory the ranks map (all-reduced in place, as DDP's
//     buckets are where the ranks share a host); a sixth, seventh and eighth: that in-place
//     all-reduce's wall time after the ranks meet, on buffers each rank has just rewritten (as the
//     fifth), on the gradient a backward has just written there (a twin of the MLP whose gradient
//     destinations are that memory, as DDP's are its buckets), and on buffers rewritten and then
//     swept out of the caches (64 MB of other memory written); a ninth: backward alone's median
//     on the slower of the two ranks, step by step (the first figure is rank 0's).
//     copy and view: DDP's default overlap for this host, with gradients copied into the buckets
//     or as views of them (gradientAsBucketView); overlap: copies, the overlap forced on.
import { performance } from 'node:perf_hooks';

import { ShapesNet } from '../../examples/cnn-shapes.js';
import { binding } from '../../src/binding.js';
import { wrap, type Tensor } from '../../src/tensor.js';
import {
  data,
  distributed as dist,
  manualSeed,
  nn,
  optim,
  randint,
  randn,
  setNumThreads,
  tensor,
  tidy,
  zeros,
} from '../../src/index.js';

const [what, a1, a2, a3, a4, a5] = process.argv.slice(2);
setNumThreads(1);
const median = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1];
const mlp = (hidden: number) =>
  new nn.Sequential(
    new nn.Linear(784, hidden),
    new nn.ReLU(),
    new nn.Linear(hidden, hidden),
    new nn.ReLU(),
    new nn.Linear(hidden, 10),
  );

if (what === 'cnn') {
  const global = Number(a1);
  const steps = Number(a2);
  const single = a3 === 'single';
  if (!single) dist.initProcessGroup();
  const size = single ? 1 : dist.getWorldSize();
  const rank = single ? 0 : dist.getRank();
  manualSeed(0);
  const net = new ShapesNet();
  const ddp = single ? undefined : new dist.DistributedDataParallel(net);
  const model = ddp ?? net;
  const opt = new optim.SGD(net.parameters(), { lr: 0.01 });
  const local = global / size;
  const { features, labels } = data.synthetic.shapes({ n: global * 4, size: 16, seed: 1 });
  // Two processes reach their steady pace only after about a second (JIT tiers, the scheduler).
  const warm = Math.floor((steps * 2) / 5);
  let t0 = 0;
  for (let s = 0; s < steps; s++) {
    if (s === warm) t0 = performance.now();
    tidy(() => {
      const start = (s % 4) * global + rank * local;
      opt.zeroGrad();
      const loss = nn.functional.crossEntropy(
        model.forward(features.narrow(0, start, local)),
        labels.narrow(0, start, local),
      );
      if (a3 === 'nosync') ddp!.noSync(() => loss.backward());
      else loss.backward();
      opt.step();
    });
  }
  // Every rank has finished its steps: the slowest one sets the throughput.
  if (!single) dist.barrier();
  if (rank === 0) console.log(((((steps - warm) * global) / (performance.now() - t0)) * 1000).toFixed(1));
} else if (what === 'mlp') {
  const batch = Number(a1);
  const steps = Number(a2);
  const hidden = Number(a3);
  dist.initProcessGroup();
  manualSeed(0);
  const net = mlp(hidden);
  const model = new dist.DistributedDataParallel(net, {
    gradientAsBucketView: a4 === 'view',
    ...(a4 === 'overlap' ? { overlap: true } : {}),
    bucketCapMb: a5 === undefined ? 25 : Number(a5),
  });
  const x = randn([batch, 784]);
  const y = randint(0, 10, [batch]);
  const params = net.parameters();
  const flat = zeros([params.reduce((n, p) => n + p.numel(), 0)]);
  const times: Record<'alone' | 'ddp' | 'naive' | 'arCpu' | 'arInPlace', number[]> = {
    alone: [],
    ddp: [],
    naive: [],
    arCpu: [],
    arInPlace: [],
  };
  const order = ['alone', 'ddp', 'naive'] as const;
  // Each variant in blocks of BLOCK steps, the first two of a block not counted: each is then
  // timed in its own steady state, as in training, where every step is alike. (Right after a DDP
  // step, half of each gradient's cache lines are in the peer's cache, where that step's
  // all-reduce wrote them: backward alone read 2.28-2.29 ms there against 2.24 two steps later.)
  const BLOCK = 5;
  for (let s = 0; s < steps; s++) {
    for (let k = 0; k < 3 * BLOCK; k++) {
      const v = order[(s + Math.floor(k / BLOCK)) % 3];
      const counted = s >= 1 && k % BLOCK >= 2;
      tidy(() => {
        net.zeroGrad();
        const loss = nn.functional.crossEntropy(model.forward(x), y);
        dist.barrier();
        const t0 = performance.now();
        if (v === 'ddp') loss.backward();
        else model.noSync(() => loss.backward());
        if (v === 'naive') {
          // no overlap: the whole gradient packed, all-reduced and unpacked after backward
          let off = 0;
          for (const p of params) (flat.narrow(0, off, p.numel()).copy_(p.grad!.reshape([-1])), (off += p.numel()));
          dist.allReduce(flat, { op: 'avg' });
          off = 0;
          for (const p of params) (p.grad!.copy_(flat.narrow(0, off, p.numel()).reshape(p.shape)), (off += p.numel()));
        }
        if (counted) times[v].push(performance.now() - t0);
      });
    }
  }
  // Backward alone on both ranks, step by step: without communication the ranks are not coupled,
  // and the slower one sets the pace; with DDP every step waits for the slower rank's backward.
  const aloneBoth = zeros([2 * times.alone.length], { dtype: 'float64' });
  const aloneMine = tensor(times.alone, { dtype: 'float64' });
  dist.allGatherIntoTensor(aloneBoth, aloneMine);
  const a = aloneBoth.data() as Float64Array;
  const aloneSlower = times.alone.map((_, i) => Math.max(a[i], a[i + times.alone.length]));
  aloneBoth.dispose();
  aloneMine.dispose();
  // The all-reduce's own CPU time: the ranks meet first, so no spinning for a late peer counts. Of
  // the flat gradient (copied through the slots), and of the same in memory the ranks map (in place,
  // as DDP's buckets are), rewritten before each call as backward rewrites the buckets.
  const shared = wrap(binding.shareableZeros(flat._h));
  for (const [t, into] of [
    [flat, times.arCpu],
    [shared, times.arInPlace],
  ] as const)
    for (let i = 0; i < 20; i++) {
      t.fill_(i % 7);
      dist.barrier();
      const c0 = process.cpuUsage();
      dist.allReduce(t, { op: 'avg' });
      const c = process.cpuUsage(c0);
      into.push((c.user + c.system) / 1000);
    }
  // The same in-place all-reduce's wall time, side by side: on buffers just rewritten, on the
  // gradient a backward has just written (slower: 0.28-0.39 against 0.19-0.25 ms for the
  // 784-1024-1024-10 MLP on a Zen 5 VM), and on buffers rewritten and then swept out of the caches
  // (which tells whether the caches' capacity alone accounts for that; in calm spells it did not).
  const twin = mlp(hidden);
  const slots: Tensor[] = [];
  let at = 0;
  for (const p of twin.parameters().reverse()) {
    const slot = shared.narrow(0, at, p.numel()).view(p.shape);
    binding.setGradDestination(p._h, slot._h);
    slots.push(slot);
    at += p.numel();
  }
  const wall = { rewritten: [] as number[], afterBackward: [] as number[], swept: [] as number[] };
  const sweep = zeros([16 << 20]);
  for (let i = 0; i < 20; i++)
    for (const k of ['rewritten', 'afterBackward', 'swept'] as const)
      tidy(() => {
        if (k !== 'afterBackward') {
          shared.fill_(i % 7);
          if (k === 'swept') sweep.add_(1); // read and written: through the caches
        } else {
          for (const p of twin.parameters()) p.grad = null; // backward writes into the slots afresh
          nn.functional.crossEntropy(twin.forward(x), y).backward();
        }
        dist.barrier();
        const t0 = performance.now();
        dist.allReduce(shared, { op: 'avg' });
        wall[k].push(performance.now() - t0);
      });
  for (const p of twin.parameters()) binding.setGradDestination(p._h, null);
  for (const slot of slots) slot.dispose();
  sweep.dispose();
  if (dist.getRank() === 0)
    console.log(
      [
        times.alone,
        times.ddp,
        times.naive,
        times.arCpu,
        times.arInPlace,
        wall.rewritten,
        wall.afterBackward,
        wall.swept,
        aloneSlower,
      ]
        .map((t) => median(t).toFixed(3))
        .join(' '),
    );
}
