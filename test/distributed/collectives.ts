// Runs every collective on every dtype in a `tensorkit run -n 2` job and writes what rank 0 and
// rank 1 ended up with (out.rank0.json, out.rank1.json). test/distributed.test.ts recomputes each
// result in one process from the same inputs (inputs(), below) and compares. With `nccl`, the
// tensors live on cuda:<rank> and travel through backend 'nccl' (two GPUs).
//   tsx src/cli.ts run -n 2 test/distributed/collectives.ts <out> [nccl]
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { binding } from '../../src/binding.js';
import { wrap } from '../../src/tensor.js';
import { sharedMemoryCalls } from '../../src/distributed/process_group.js';
import {
  distributed as dist,
  full,
  memory,
  nn,
  TensorError,
  tensor,
  tidy,
  zeros as zerosOn,
  type DType,
  type Tensor,
} from '../../src/index.js';

import { averagedGradients } from './ddp-reference.js';

export const DTYPES: DType[] = ['float32', 'float64', 'int32', 'int64', 'bool', 'float16', 'bfloat16'];
export const N = 6;

/** Element i of rank r's input for dtype d: small values every dtype holds exactly (products included). */
export function value(d: DType, r: number, i: number, salt = 0): number {
  if (d === 'bool') return (i + r + salt) % 3 === 0 ? 1 : 0;
  const v = ((i * 3 + r * 5 + salt) % 7) - 3;
  return d.includes('float') ? v / 2 : v;
}

/** Rank r's input for dtype d (N elements). */
export function values(d: DType, r: number, salt = 0): number[] {
  return Array.from({ length: N }, (_, i) => value(d, r, i, salt));
}

/**
 * The reduction of two ranks' elements, computed exactly: the inputs are small halves and integers
 * that every dtype holds exactly, so sums, products and averages are exact in each dtype too.
 */
export function reduceExact(d: DType, op: string, x: number, y: number): number {
  if (d === 'bool') return op === 'sum' || op === 'max' ? Number(x || y) : Number(x && y);
  if (op === 'sum') return x + y;
  if (op === 'avg') return (x + y) / 2;
  if (op === 'max') return Math.max(x, y);
  if (op === 'min') return Math.min(x, y);
  return x * y + 0; // -0 is 0 once it has been through JSON
}

/** The reduce ops a dtype has. */
export const opsOf = (d: DType) =>
  d === 'bool' || d.startsWith('int')
    ? (['sum', 'max', 'min', 'product'] as const)
    : (['sum', 'avg', 'max', 'min', 'product'] as const);

/**
 * Sizes of the large all-reduces: several chunks of the shared-memory path (shared_reduce.h) for
 * every dtype, an odd count, and one just over the size it starts at.
 */
export const BIG = [300_007, 1031];

// Where main() puts its tensors: 'cpu', or 'cuda:<rank>' under backend 'nccl'.
let device = 'cpu';

export function inputs(d: DType, r: number, salt = 0): Tensor {
  const v = values(d, r, salt);
  return tensor(d === 'bool' ? v.map(Boolean) : v, { dtype: d as never, device: device as never }) as Tensor;
}

const zeros = (shape: number[], o: { dtype?: DType } = {}) => zerosOn(shape, { ...o, device: device as never });

const nums = (t: Tensor): number[] => Array.from(t.data() as ArrayLike<number | bigint | boolean>, Number);

async function main(out: string, backend: 'mpi' | 'nccl'): Promise<void> {
  dist.initProcessGroup({ backend });
  const rank = dist.getRank();
  if (backend === 'nccl') device = `cuda:${rank}`;
  const size = dist.getWorldSize();
  const res: Record<string, number[] | string> = {};
  for (const d of DTYPES) {
    for (const op of opsOf(d)) {
      const t = inputs(d, rank);
      dist.allReduce(t, { op });
      res[`allReduce.${op}.${d}`] = nums(t);
    }
    // async form, on a strided (transposed) view
    const m = inputs(d, rank).reshape([2, 3]).t();
    const w = dist.allReduce(m, { async: true });
    await w.wait();
    res[`allReduce.async.strided.${d}`] = nums(m.contiguous());
    if (!(d === 'bool' || d.startsWith('int'))) {
      // 'avg' divides on the communication thread, before the strided view gets its copy back
      const v = inputs(d, rank).reshape([2, 3]).t();
      await dist.allReduce(v, { op: 'avg', async: true }).wait();
      res[`allReduce.async.strided.avg.${d}`] = nums(v.contiguous());
    }
    const b = inputs(d, rank);
    dist.broadcast(b, { src: 1 });
    res[`broadcast.${d}`] = nums(b);
    const parts = [zeros([N], { dtype: d }), zeros([N], { dtype: d })];
    dist.allGather(parts, inputs(d, rank));
    res[`allGather.${d}`] = parts.flatMap(nums);
    const flat = zeros([N * size], { dtype: d });
    dist.allGatherIntoTensor(flat, inputs(d, rank));
    res[`allGatherIntoTensor.${d}`] = nums(flat);
    for (const op of d === 'bool' || d.startsWith('int')
      ? (['sum', 'max'] as const)
      : (['sum', 'max', 'avg'] as const)) {
      const o = zeros([N], { dtype: d });
      dist.reduceScatter(o, [inputs(d, rank, 0), inputs(d, rank, 1)], { op });
      res[`reduceScatter.${op}.${d}`] = nums(o);
    }
    const gl = rank === 1 ? [zeros([N], { dtype: d }), zeros([N], { dtype: d })] : undefined;
    dist.gather(inputs(d, rank), { dst: 1, gatherList: gl });
    if (gl) res[`gather.${d}`] = gl.flatMap(nums);
    const s = zeros([N], { dtype: d });
    dist.scatter(s, { src: 0, scatterList: rank === 0 ? [inputs(d, 0, 0), inputs(d, 0, 1)] : undefined });
    res[`scatter.${d}`] = nums(s);
    // send and recv both ways at once, asynchronously: a rank may queue a send before its recv
    // (on MPI; NCCL runs a rank's operations in order on one stream, so there rank 1 receives first)
    const got = zeros([N], { dtype: d });
    const peer = 1 - rank;
    const sendFirst = backend === 'mpi' || rank === 0;
    const ws = [
      ...(sendFirst ? [dist.send(inputs(d, rank), peer, { async: true, tag: 7 })] : []),
      dist.recv(got, peer, { async: true, tag: 7 }),
      ...(sendFirst ? [] : [dist.send(inputs(d, rank), peer, { async: true, tag: 7 })]),
    ];
    await Promise.all(ws.map((x) => x.wait()));
    res[`sendrecv.${d}`] = nums(got);
  }
  // The event loop runs while an async collective waits: rank 1 joins 300 ms late, and rank 0's
  // timers keep firing meanwhile.
  {
    const t = tensor([rank + 1]);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    if (rank === 1) await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await dist.allReduce(t, { async: true }).wait();
    clearInterval(timer);
    res['eventLoop.ticks'] = [ticks];
    res['eventLoop.waitedMs'] = [Date.now() - t0];
    res['eventLoop.sum'] = [Number(t.item())];
  }
  // Async is each rank's own choice (as torch's async_op): rank 0 calls every collective here with
  // { async: true }, rank 1 without, one after another, and they meet.
  {
    const mixed = rank === 0;
    const a = tensor([rank + 1]);
    const b = tensor([rank === 0 ? 5 : 0]);
    const gathered = tensor([0, 0]);
    // (typed as the sync form: `async` is not a literal here)
    const works: (dist.Work | undefined)[] = [
      dist.allReduce(a, { async: mixed }),
      dist.broadcast(b, { src: 0, async: mixed }),
      dist.allGatherIntoTensor(gathered, tensor([10 * (rank + 1)]), { async: mixed }),
      dist.barrier({ async: mixed }),
    ];
    await Promise.all(works.map((w) => w?.wait()));
    res['mixedAsync'] = [Number(a.item()), Number(b.item()), ...nums(gathered)];
  }
  // A collective's error as "CODE: message" ('none' when it ran).
  const failure = (e: unknown) => (e instanceof TensorError ? `${e.code}: ${e.message}` : String(e));
  const message = (f: () => unknown) => {
    try {
      f();
      return 'none';
    } catch (e) {
      return failure(e);
    }
  };
  // Blocking collectives whose peer is late: the early rank's calls run on its own thread and wait
  // for the peer there a while, then go to the communication thread (process_group.h); either
  // way they meet, and a mismatch found that late fails both ranks alike. Rank 1 arrives 30 ms
  // after rank 0 at the first three, rank 0 after rank 1 at the fourth.
  {
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const late = (r: number) => void (rank === r && Atomics.wait(pause, 0, 0, 30));
    const a = tensor([rank + 1, 10 * rank]);
    late(1);
    dist.allReduce(a, { op: 'max' });
    const b = tensor([rank === 0 ? 7 : 0]);
    late(1);
    dist.broadcast(b, { src: 0 });
    late(1);
    dist.barrier();
    const c = tensor([rank + 1]);
    late(0);
    dist.allReduce(c);
    res['late'] = [...nums(a), ...nums(b), ...nums(c)];
    late(1);
    res['late.mismatch'] = message(() => dist.allReduce(zerosOn([rank === 0 ? 3 : 4])));
  }
  // Large all-reduces of CPU tensors (through shared memory when the group has it, sharedMemory):
  // each rank checks every element against the exact reduction; [mismatches, first index].
  res['sharedMemory'] = [dist.getBackend().sharedMemory ? 1 : 0];
  // The same in memory the ranks can map (as DDP's buckets are): 'shared', both ranks' tensors
  // shareable, at offsets that differ by rank (so the ranks reduce in place in each other's
  // memory); 'mixed', rank 0's only (the ranks agree to go through the slots instead).
  for (const where of ['', 'shared.', 'mixed.']) {
    const calls = sharedMemoryCalls();
    for (const d of DTYPES)
      for (const op of opsOf(d))
        for (const n of BIG) {
          const mine = Array.from({ length: n }, (_, i) => value(d, rank, i));
          let t = tensor(d === 'bool' ? mine.map(Boolean) : mine, { dtype: d as never }) as Tensor;
          let flat: Tensor | undefined;
          if (where === 'shared.' || (where === 'mixed.' && rank === 0)) {
            const offset = 5 + 11 * rank;
            const plain = zerosOn([n + offset], { dtype: d as never });
            flat = wrap(binding.shareableZeros(plain._h));
            plain.dispose();
            const part = flat.narrow(0, offset, n);
            part.copy_(t);
            t.dispose();
            t = part;
          }
          dist.allReduce(t, { op });
          const got = t.data() as ArrayLike<number | bigint | boolean>;
          let bad = 0;
          let first = -1;
          for (let i = 0; i < n; i++)
            if (Number(got[i]) !== reduceExact(d, op, value(d, 0, i), value(d, 1, i))) {
              bad++;
              if (first < 0) first = i;
            }
          res[`big.${where}${op}.${d}.${n}`] = [bad, first];
          t.dispose();
          flat?.dispose();
        }
    const now = sharedMemoryCalls();
    res[`calls.${where}`] = [now.inPlace - calls.inPlace, now.throughSlots - calls.throughSlots];
  }
  // A peer's buffer stays mapped here only while the peer holds it: once a rank has freed
  // shareable memory and shows a new buffer, its peers unmap the old one (else every new model's
  // buckets would keep the last model's pages alive in every peer). Counted in /proc/self/maps,
  // where this process's own memfds and its mappings of the peer's show: 12 make, all-reduce and
  // free cycles leave as many as one did. Each cycle then opens a file and keeps it open, so the
  // next memfd gets a new number (a freed number that comes back names the new memfd, and was
  // remapped before; one that does not, as here, left the old mapping behind).
  if (dist.getBackend().sharedMemory) {
    const held: number[] = [];
    const maps = () =>
      readFileSync('/proc/self/maps', 'utf8')
        .split('\n')
        .filter((l) => l.includes('tensorkit-shared')).length;
    const cycle = () => {
      const t = tidy(() => wrap(binding.shareableZeros(zerosOn([1 << 16])._h)));
      dist.allReduce(t.fill_(rank + 1));
      const got = t.max().item();
      t.dispose();
      held.push(openSync('/dev/null', 'r'));
      return got;
    };
    const results = [cycle()];
    const before = maps();
    for (let i = 0; i < 12; i++) results.push(cycle());
    res['sharedMaps'] = [before, maps(), Math.min(...results), Math.max(...results)];
    for (const fd of held) closeSync(fd);
  }
  // DDP where the group shares memory: backward writes the gradients into buckets in memory the
  // ranks map, and every bucket all-reduces in place; without it, a large CPU gradient
  // (Linear(256, 512)'s 512 KiB weight) is all-reduced in place on its own, not through a bucket.
  // Either way the same averages (4.5 per weight entry, 3 per bias entry, for x all rank+1 in 3
  // rows), accumulated over a synced pass and a noSync pass before a synced one, with and without
  // bucket views; steps leave no tensor behind.
  if (backend === 'mpi')
    for (const gradientAsBucketView of [false, true]) {
      const lin = new nn.Linear(256, 512);
      const ddp = new dist.DistributedDataParallel(lin, { gradientAsBucketView });
      const x = full([3, 256], rank + 1);
      const pass = () => tidy(() => ddp.forward(x).sum().backward());
      const calls = sharedMemoryCalls();
      pass();
      ddp.noSync(pass);
      pass();
      const range = (t: Tensor) => [t.min().item(), t.max().item()];
      const w = range(lin.weight.grad!);
      const b = range(lin.bias!.grad!);
      lin.zeroGrad();
      pass();
      const base = memory().tensors;
      for (let i = 0; i < 20; i++) (lin.zeroGrad(), pass());
      const now = sharedMemoryCalls();
      res[`ddp.${gradientAsBucketView}.buckets`] = ddp.bucketSizes();
      // weight's min and max, bias's, live tensors, all-reduces in place, through the slots
      res[`ddp.${gradientAsBucketView}`] = [
        ...w,
        ...b,
        memory().tensors - base,
        now.inPlace - calls.inPlace,
        now.throughSlots - calls.throughSlots,
      ];
      ddp.dispose();
      x.dispose();
    }
  // A .grad the user set, not contiguous (a transpose), is accumulated into by backward and then
  // copied into its bucket like any gradient that is not the bucket's view: rank r's r + 2(r+1)
  // per entry (x all r+1, 2 rows), averaged to 3.5; the bias's 2 (rows) on each. Under bucket views
  // (and wherever the ranks share memory) .grad is the bucket's view after.
  if (backend === 'mpi')
    for (const gradientAsBucketView of [false, true]) {
      const lin = new nn.Linear(3, 4);
      const ddp = new dist.DistributedDataParallel(lin, { gradientAsBucketView });
      const mine = full([3, 4], rank);
      lin.weight.grad = mine.t();
      const x = full([2, 3], rank + 1);
      tidy(() => ddp.forward(x).sum().backward());
      res[`ddpUserGrad.${gradientAsBucketView}`] = tidy(() => {
        const [w, b] = [lin.weight.grad!, lin.bias!.grad!];
        return [w.min().item(), w.max().item(), b.min().item(), b.max().item(), w.isContiguous() ? 1 : 0];
      });
      for (const t of [mine, x]) t.dispose();
      ddp.dispose();
    }
  // The first bucket is small (1 MiB) only where some rank overlaps: the ranks agree on it when
  // the wrapper is made, so that their buckets, and the collectives they call, are alike; where
  // none overlaps, the gradients share one bucket (where the ranks share memory; elsewhere the
  // 1.25 MiB weight is all-reduced in place on its own). Either way the average of every rank's
  // gradient, to the last bit.
  if (backend === 'mpi')
    for (const overlap of [false, 'mixed'] as const) {
      const net = new nn.Sequential(new nn.Linear(640, 512), new nn.ReLU(), new nn.Linear(512, 4));
      const ddp = new dist.DistributedDataParallel(net, { overlap: overlap === 'mixed' ? rank === 0 : false });
      const x = tidy(() => full([2, 640], 1).mul(tensor([[rank + 1], [0.5 - rank]])));
      const pass = () => tidy(() => ddp.forward(x).pow(2).sum().backward());
      const reference = averagedGradients(ddp, net, pass);
      net.zeroGrad();
      pass();
      res[`ddpFirstBucket.${overlap}.buckets`] = ddp.bucketSizes();
      // per parameter: how far from the reference, and the reference's largest magnitude
      res[`ddpFirstBucket.${overlap}.diffs`] = net
        .parameters()
        .map((p, i) => tidy(() => p.grad!.sub(reference[i]).abs().max().item()));
      res[`ddpFirstBucket.${overlap}.scales`] = reference.map((g) => tidy(() => g.abs().max().item()));
      for (const t of [x, ...reference]) t.dispose();
      ddp.dispose();
    }
  // Ranks that call different collectives, or one on different sizes or dtypes, all get an error
  // naming the difference (none runs it), and the group goes on.
  res['mismatch.count'] = message(() => dist.allReduce(zerosOn([rank === 0 ? 6 : 7])));
  res['mismatch.kind'] = message(() =>
    rank === 0 ? dist.broadcast(tensor([1]), { src: 0 }) : dist.allReduce(tensor([1]), { op: 'max' }),
  );
  res['mismatch.big'] = message(() => dist.allReduce(zerosOn([rank === 0 ? BIG[0] : BIG[0] - 1000])));
  try {
    await dist.allReduce(zerosOn([2], { dtype: rank === 0 ? 'float32' : 'float64' }), { async: true }).wait();
    res['mismatch.async'] = 'none';
  } catch (e) {
    res['mismatch.async'] = failure(e);
  }
  const after = tensor([rank + 1]);
  dist.allReduce(after);
  res['mismatch.after'] = nums(after);
  // errors: a TensorError with a code, the process goes on
  const code = (f: () => unknown) => {
    try {
      f();
      return 'none';
    } catch (e) {
      return e instanceof TensorError ? e.code : String(e);
    }
  };
  res['error.avgInt'] = code(() => dist.allReduce(tensor([1, 2], { dtype: 'int32' }), { op: 'avg' }));
  res['error.badRank'] = code(() => dist.broadcast(tensor([1]), { src: 5 }));
  res['error.badOp'] = code(() => dist.allReduce(tensor([1]), { op: 'mean' as never }));
  res['error.selfSend'] = code(() => dist.send(tensor([1]), rank));
  res['error.disposed'] = code(() => {
    const t = tensor([1]);
    t.dispose();
    dist.allReduce(t);
  });
  res['error.shape'] = code(() => dist.allGather([zeros([2]), zeros([3])], zeros([2])));
  // one call's tensors on two devices
  if (backend === 'nccl')
    res['error.mixedDevices'] = code(() => dist.allGatherIntoTensor(zerosOn([N * size]), inputs('float32', rank)));
  dist.barrier();
  writeFileSync(`${out}.rank${rank}.json`, JSON.stringify(res));
}

// The job runs when this file is the script (three.ts imports its inputs without running it).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await main(process.argv[2], process.argv[3] === 'nccl' ? 'nccl' : 'mpi');
