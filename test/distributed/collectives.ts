// Runs every collective on every dtype in a `tensorkit run -n 2` job and writes what rank 0 and
// rank 1 ended up with (out.rank0.json, out.rank1.json). test/distributed.test.ts recomputes each
// result in one process from the same inputs (inputs(), below) and compares. With `nccl`, the
// tensors live on cuda:<rank> and travel through backend 'nccl' (two GPUs).
//   tsx src/cli.ts run -n 2 test/distributed/collectives.ts <out> [nccl]
import { writeFileSync } from 'node:fs';

import {
  distributed as dist,
  TensorError,
  tensor,
  zeros as zerosOn,
  type DType,
  type Tensor,
} from '../../src/index.js';

export const DTYPES: DType[] = ['float32', 'float64', 'int32', 'int64', 'bool', 'float16', 'bfloat16'];
export const N = 6;

/** Rank r's input for dtype d: small values every dtype holds exactly (products included). */
export function values(d: DType, r: number, salt = 0): number[] {
  return Array.from({ length: N }, (_, i) => {
    if (d === 'bool') return (i + r + salt) % 3 === 0 ? 1 : 0;
    const v = ((i * 3 + r * 5 + salt) % 7) - 3;
    return d.includes('float') ? v / 2 : v;
  });
}

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
    const ops =
      d === 'bool' || d.startsWith('int')
        ? (['sum', 'max', 'min', 'product'] as const)
        : (['sum', 'avg', 'max', 'min', 'product'] as const);
    for (const op of ops) {
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

if (process.argv[2]) await main(process.argv[2], process.argv[3] === 'nccl' ? 'nccl' : 'mpi');
