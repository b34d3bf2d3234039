// tensorkit's side of the all-reduce bandwidth bench: the same loop as bench/peers/mpi_allreduce.c
// (barrier, then one in-place float32 sum, timed), through distributed.allReduce; prints the median.
import { performance } from 'node:perf_hooks';

import { distributed as dist, zeros } from '../../src/index.js';

const count = Number(process.argv[2] ?? 6553600);
const iters = Number(process.argv[3] ?? 20);
dist.initProcessGroup();
const t = zeros([count]).add(1);
dist.allReduce(t); // warm-up
const times: number[] = [];
for (let i = 0; i < iters; i++) {
  dist.barrier();
  const t0 = performance.now();
  dist.allReduce(t);
  times.push((performance.now() - t0) / 1000);
}
times.sort((a, b) => a - b);
if (dist.getRank() === 0) console.log(times[iters >> 1].toFixed(9));
