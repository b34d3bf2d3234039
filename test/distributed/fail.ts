// A 2-rank job that fails on purpose, for the watchdog tests in test/distributed.test.ts:
//   loop <pidfile>: all-reduces forever; rank 1 writes its pid once it is running (to be killed)
//   hang: rank 1 spins in JS without returning to the event loop; rank 0 waits in an all-reduce
//   throw: rank 1 throws; rank 0 waits in an all-reduce
import { writeFileSync } from 'node:fs';

import { distributed as dist, tensor } from '../../src/index.js';

const [mode, pidFile] = process.argv.slice(2);
dist.initProcessGroup();
const rank = dist.getRank();
for (let i = 0; ; i++) {
  dist.allReduce(tensor([1, 2, 3]));
  if (i === 5 && rank === 1) {
    if (mode === 'loop') writeFileSync(pidFile, String(process.pid));
    if (mode === 'hang') for (;;);
    if (mode === 'throw') throw new Error('planned failure on rank 1');
  }
  await new Promise((r) => setTimeout(r, 20));
}
