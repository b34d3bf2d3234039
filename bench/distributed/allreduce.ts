// tensorkit's side of the all-reduce bench: the same loop as bench/peers/mpi_allreduce.c (barrier,
// then one in-place float32 sum, timed), through distributed.allReduce; prints the median. With a
// third argument, each rank first computes that many milliseconds (a spin) after the barrier, as a
// training step does before its all-reduce. With a fourth, that many untimed calls first (each
// after a barrier, as the timed ones), so that V8 has compiled the collective's JavaScript.
//   allreduce.ts <count> <iters> [computeMs] [warmup]
import { performance } from 'node:perf_hooks';

import { distributed as dist, zeros } from '../../src/index.js';

const count = Number(process.argv[2] ?? 6553600);
const iters = Number(process.argv[3] ?? 20);
const computeMs = Number(process.argv[4] ?? 0);
const warmup = Number(process.argv[5] ?? 1);
dist.initProcessGroup();
const t = zeros([count]).add(1);
for (let i = 0; i < warmup; i++) {
  dist.barrier();
  dist.allReduce(t);
}
const times: number[] = [];
for (let i = 0; i < iters; i++) {
  dist.barrier();
  for (const s = performance.now(); performance.now() - s < computeMs;);
  const t0 = performance.now();
  dist.allReduce(t);
  times.push((performance.now() - t0) / 1000);
}
times.sort((a, b) => a - b);
if (dist.getRank() === 0) console.log(times[iters >> 1].toFixed(9));
