// Collectives on a world of any size (test/distributed.test.ts runs 3 ranks: an odd size, whose
// 'avg' divides rather than multiplies, and whose shared-window all-reduce splits each chunk in
// three). Each rank checks every element of its results against the exact reduction of every
// rank's input and writes what it found (out.rank<r>.json): mismatches per case, [count, first index].
//   tsx src/cli.ts run -n 3 test/distributed/three.ts <out>
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

import { distributed as dist, getNumThreads, tensor, zeros, type DType, type Tensor } from '../../src/index.js';
import { BIG, value } from './collectives.js';

const out = process.argv[2];
dist.initProcessGroup();
const rank = dist.getRank();
const size = dist.getWorldSize();
const ranks = Array.from({ length: size }, (_, r) => r);
const res: Record<string, unknown> = {
  size,
  sharedMemory: dist.getBackend().sharedMemory,
  cpus: availableParallelism(),
  threads: getNumThreads(),
};

// The exact reduction of every rank's element i, rounded to the dtype once (as a reduction in the
// dtype's own arithmetic, or float32's for float16, rounds): the inputs are small integers and halves.
const round = (d: DType, x: number) => (d === 'float32' ? Math.fround(x) : x);
function expected(d: DType, op: string, i: number, salt = 0): number {
  const xs = ranks.map((r) => value(d, r, i, salt));
  if (op === 'sum') return xs.reduce((a, b) => a + b);
  if (op === 'avg') return round(d, xs.reduce((a, b) => a + b) / size);
  if (op === 'max') return Math.max(...xs);
  if (op === 'min') return Math.min(...xs);
  return xs.reduce((a, b) => a * b) + 0;
}

function check(name: string, t: Tensor, want: (i: number) => number): void {
  const got = t.data() as ArrayLike<number | bigint>;
  let bad = 0;
  let first = -1;
  for (let i = 0; i < got.length; i++)
    if (Number(got[i]) !== want(i)) {
      bad++;
      if (first < 0) first = i;
    }
  res[name] = [bad, first];
}

const input = (d: DType, n: number, r = rank, salt = 0) =>
  tensor(
    Array.from({ length: n }, (_, i) => value(d, r, i, salt)),
    { dtype: d as never },
  ) as Tensor;

const DTYPES: DType[] = ['float32', 'float64', 'int32'];
for (const d of DTYPES) {
  const ops = d === 'int32' ? ['sum', 'max', 'min', 'product'] : ['sum', 'avg', 'max', 'min', 'product'];
  // 6 elements go through MPI_Allreduce; the large ones through the shared window, where it is on
  for (const n of [6, ...BIG])
    for (const op of ops) {
      const t = input(d, n);
      dist.allReduce(t, { op: op as never });
      check(`allReduce.${op}.${d}.${n}`, t, (i) => expected(d, op, i));
    }
  const b = input(d, 1031);
  dist.broadcast(b, { src: size - 1 });
  check(`broadcast.${d}`, b, (i) => value(d, size - 1, i));
  const all = zeros([6 * size], { dtype: d });
  dist.allGatherIntoTensor(all, input(d, 6));
  check(`allGatherIntoTensor.${d}`, all, (i) => value(d, Math.floor(i / 6), i % 6));
  // rank r gets the reduction of every rank's r-th input (salt r)
  const mine = zeros([6], { dtype: d });
  dist.reduceScatter(
    mine,
    ranks.map((r) => input(d, 6, rank, r)),
    { op: d === 'int32' ? 'sum' : 'avg' },
  );
  check(`reduceScatter.${d}`, mine, (i) => expected(d, d === 'int32' ? 'sum' : 'avg', i, rank));
}
writeFileSync(`${out}.rank${rank}.json`, JSON.stringify(res));
