// npm run bench:distributed [-- --rounds N]
// The distributed namespace's figures, each measured side by side with its peer in the same run,
// in interleaved rounds (medians), 2 local ranks under `tensorkit run`:
//   0. all-reduce of 9 KB (the shapes CNN's gradient): tensorkit's right after the ranks meet,
//      and after a millisecond of compute (the communication thread idle meanwhile), against the
//      plain C loop, as latency; and right after the ranks meet once 5000 calls have run (V8 has
//      compiled the collective's JavaScript by then; the first 400 run it cold);
//   1. all-reduce of 25 MB float32: tensorkit's distributed.allReduce (through the shared window,
//      and through MPI_Allreduce with TENSORKIT_SHARED_MEMORY=0) against a plain C loop of
//      MPI_Allreduce (bench/peers/mpi_allreduce.c, compiled here with mpicc), as bandwidth, the
//      loop placed and parameterised as `tensorkit run` does (placementArgs, MCA_DEFAULTS), and,
//      for reference, under Open MPI's own defaults;
//   2. the shapes CNN, 1 core thread per process: 2 ranks against 1 process at the same global
//      batch (64), as images per second over the last 1800 of 3000 steps (2 ranks also with
//      TENSORKIT_SHARED_MEMORY=0); and 2 ranks that skip the all-reduce (noSync), the most this
//      machine gives the split (two processes on two cores);
//   3. backward of an MLP (784-h-h-10, batch 64 per rank; each kind in blocks of steps, timed in
//      its steady state): alone (noSync; also on the slower rank, step by step), with DDP's bucketed
//      all-reduce (its default overlap for this host, with default options and with bucket views,
//      and with the overlap forced on; where the ranks share memory, backward writes the gradients
//      into the buckets either way), and with one all-reduce of the whole gradient after backward
//      (no overlap); and the floor on a machine whose cores the ranks' compute already fills:
//      backward alone plus the CPU time one all-reduce of the gradient costs (in place, as DDP's
//      buckets are; overlap hides waiting, not work); the 1024 MLP once more through MPI_Allreduce
//      (TENSORKIT_SHARED_MEMORY=0: copies into buckets, the large gradients in place);
//      and the least any all-reduce of its gradient can cost here: a C loop whose ranks keep their
//      gradients in one shared window, rewrite them before each call (as backward does), and
//      reduce them where they lie, copying nothing (bench/peers/shared_floor.c); and tensorkit's
//      in-place all-reduce's wall time on buffers just rewritten, on a gradient backward has
//      just written, and on buffers rewritten and then swept out of the caches (64 MB of other
//      memory read and written), which tells whether the caches' capacity alone accounts for
//      the cost after backward.
//   4. the round trip of a cache line between CPUs 0 and 1, where `tensorkit run` binds the 2
//      ranks here (bench/peers/peer_cache.c), at the start of each round and just before its CNN
//      and MLP jobs: this VM's vCPUs sometimes share a cache and sometimes not, which moves the
//      all-reduce's cost (and backward's), so each round's ratios are printed with it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { mcaDefaultArgs, placementArgs } from '../src/distributed/launch.js';

const args = process.argv.slice(2);
const rounds = args.includes('--rounds') ? Number(args[args.indexOf('--rounds') + 1]) : 3;
const root = new URL('..', import.meta.url).pathname;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];

function sh(cmd: string, a: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, a, { cwd: root, encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`${cmd} ${a.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout.trim().split('\n').pop()!.trim();
}
const tk = (n: number, script: string, ...a: string[]) =>
  sh(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'run', '-n', String(n), script, ...a]);
// the same, with CPU all-reduces through MPI_Allreduce rather than the shared window
const tkMpi = (n: number, script: string, ...a: string[]) =>
  sh(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'run', '-n', String(n), script, ...a], {
    ...process.env,
    TENSORKIT_SHARED_MEMORY: '0',
  });
const mpirunArgs = ['-n', '2', ...(process.getuid?.() === 0 ? ['--allow-run-as-root'] : [])];
// a C peer on 2 ranks, placed and parameterised as `tensorkit run` places its ranks; its output as a number
const cPeer = (program: string, ...a: string[]) =>
  Number(sh('mpirun', [...mpirunArgs, ...placementArgs(2), ...mcaDefaultArgs(), program, ...a]));

const binDir = mkdtempSync(join(tmpdir(), 'tk-bench-mpi-'));
const bin = join(binDir, 'mpi_allreduce');
sh('mpicc', ['-O2', 'bench/peers/mpi_allreduce.c', '-o', bin]);
const floorBin = join(binDir, 'shared_floor');
sh('mpicc', ['-O3', '-march=native', 'bench/peers/shared_floor.c', '-o', floorBin]);
const cacheBin = join(binDir, 'peer_cache');
sh('cc', ['-O2', '-pthread', 'bench/peers/peer_cache.c', '-o', cacheBin]);
// ns; each round's [at its start, before the CNN's 2-rank job, before the 1024 MLP's DDP job]
const roundTrip: number[][] = [];
const probe = () => {
  try {
    return Number(sh(cacheBin, ['0', '1']));
  } catch {
    return NaN; // a machine with one CPU
  }
};
// the 784-1024-1024-10 MLP's gradient, in elements
const MLP_GRAD = 784 * 1024 + 1024 + 1024 * 1024 + 1024 + 1024 * 10 + 10;
const floorMs: number[] = [];
const COUNT = 6_553_600; // 25 MiB of float32
const ar = { c: [] as number[], cOmpi: [] as number[], tk: [] as number[], tkMpi: [] as number[] };
const SMALL = 2276; // the shapes CNN's gradient, 9 KB
const small = { c: [] as number[], tk: [] as number[], tkAfter: [] as number[], tkWarm: [] as number[] };
const cnn = { one: [] as number[], two: [] as number[], twoMpi: [] as number[], ceiling: [] as number[] };
interface MlpFigures {
  alone: number[];
  ddp: number[];
  naive: number[];
  arCpu: number[];
  arInPlace: number[];
  wallRewritten: number[];
  wallAfterBackward: number[];
  wallSwept: number[];
  aloneSlower: number[];
}
const mlp: Record<string, MlpFigures> = {};
for (let r = 0; r < rounds; r++) {
  roundTrip.push([probe()]);
  ar.c.push(cPeer(bin, String(COUNT), '20'));
  small.c.push(cPeer(bin, String(SMALL), '400'));
  small.tk.push(Number(tk(2, 'bench/distributed/allreduce.ts', String(SMALL), '400')));
  small.tkAfter.push(Number(tk(2, 'bench/distributed/allreduce.ts', String(SMALL), '400', '1')));
  small.tkWarm.push(Number(tk(2, 'bench/distributed/allreduce.ts', String(SMALL), '400', '0', '5000')));
  ar.cOmpi.push(Number(sh('mpirun', [...mpirunArgs, bin, String(COUNT), '20'])));
  floorMs.push(cPeer(floorBin, String(MLP_GRAD), '50') * 1e3);
  ar.tk.push(Number(tk(2, 'bench/distributed/allreduce.ts', String(COUNT), '20')));
  ar.tkMpi.push(Number(tkMpi(2, 'bench/distributed/allreduce.ts', String(COUNT), '20')));
  cnn.one.push(
    Number(sh(process.execPath, ['--import', 'tsx', 'bench/distributed/train.ts', 'cnn', '64', '3000', 'single'])),
  );
  roundTrip[r].push(probe());
  cnn.two.push(Number(tk(2, 'bench/distributed/train.ts', 'cnn', '64', '3000')));
  cnn.twoMpi.push(Number(tkMpi(2, 'bench/distributed/train.ts', 'cnn', '64', '3000')));
  cnn.ceiling.push(Number(tk(2, 'bench/distributed/train.ts', 'cnn', '64', '3000', 'nosync')));
  for (const [h, mode] of [
    ...['256', '1024'].flatMap((h) => ['copy', 'view', 'overlap'].map((mode) => [h, mode])),
    ['1024', 'copy mpi'],
  ]) {
    const job = mode.endsWith(' mpi') ? tkMpi : tk;
    if (h === '1024' && mode === 'copy') roundTrip[r].push(probe());
    const [alone, ddp, naive, arCpu, arInPlace, wallRewritten, wallAfterBackward, wallSwept, aloneSlower] = job(
      2,
      'bench/distributed/train.ts',
      'mlp',
      '64',
      '30',
      h,
      mode.split(' ')[0],
    )
      .split(' ')
      .map(Number);
    const m = (mlp[`${h} ${mode}`] ??= {
      alone: [],
      ddp: [],
      naive: [],
      arCpu: [],
      arInPlace: [],
      wallRewritten: [],
      wallAfterBackward: [],
      wallSwept: [],
      aloneSlower: [],
    });
    m.alone.push(alone);
    m.ddp.push(ddp);
    m.naive.push(naive);
    m.arCpu.push(arCpu);
    m.arInPlace.push(arInPlace);
    m.wallRewritten.push(wallRewritten);
    m.wallAfterBackward.push(wallAfterBackward);
    m.wallSwept.push(wallSwept);
    m.aloneSlower.push(aloneSlower);
  }
  process.stderr.write(`round ${r + 1}/${rounds} done\n`);
}
const gbs = (s: number) => ((COUNT * 4) / s / 1e9).toFixed(2);
const us = (v: number[]) => (median(v) * 1e6).toFixed(1);
console.log(`all-reduce 9 KB float32, 2 ranks (median of ${rounds} runs of 400 calls each):`);
console.log(`  plain C MPI_Allreduce, placed and parameterised as tensorkit run  ${us(small.c)} us`);
console.log(
  `  distributed.allReduce, as the ranks meet  ${us(small.tk)} us (${(median(small.tk) / median(small.c)).toFixed(2)}x the C loop's time)`,
);
console.log(
  `  distributed.allReduce, after 1 ms of compute  ${us(small.tkAfter)} us (${(median(small.tkAfter) / median(small.c)).toFixed(2)}x)`,
);
console.log(
  `  distributed.allReduce, as the ranks meet, after 5000 calls  ${us(small.tkWarm)} us (${(median(small.tkWarm) / median(small.c)).toFixed(2)}x)`,
);
console.log(`all-reduce 25 MiB float32, 2 ranks (median of ${rounds} runs of 20 calls each):`);
console.log(
  `  plain C MPI_Allreduce, Open MPI's defaults  ${(median(ar.cOmpi) * 1e3).toFixed(2)} ms  ${gbs(median(ar.cOmpi))} GB/s`,
);
console.log(
  `  plain C MPI_Allreduce, tensorkit run's parameters  ${(median(ar.c) * 1e3).toFixed(2)} ms  ${gbs(median(ar.c))} GB/s`,
);
for (const [name, v] of [
  ['distributed.allReduce (shared window)', ar.tk],
  ['distributed.allReduce (MPI_Allreduce)', ar.tkMpi],
] as const)
  console.log(
    `  ${name}  ${(median(v) * 1e3).toFixed(2)} ms  ${gbs(median(v))} GB/s  (${(median(ar.c) / median(v)).toFixed(2)}x the C loop's bandwidth)`,
  );
console.log('shapes CNN, global batch 64, 1 core thread per process:');
console.log(`  1 process   ${median(cnn.one).toFixed(0)} images/s`);
for (const [name, v] of [
  ['2 ranks (DDP)', cnn.two],
  ['2 ranks (DDP), MPI_Allreduce', cnn.twoMpi],
  ['2 ranks, no all-reduce (ceiling)', cnn.ceiling],
] as const)
  console.log(`  ${name}  ${median(v).toFixed(0)} images/s  (${(median(v) / median(cnn.one)).toFixed(2)}x)`);
console.log('MLP backward, batch 64 per rank, 2 ranks (ms, median step):');
for (const [k, m] of Object.entries(mlp)) {
  const [h, mode, via] = k.split(' ');
  const a = median(m.alone);
  // what DDP's all-reduces cost at the least on cores the compute fills: in place where the ranks
  // share memory (DDP's buckets then are), else through copies
  const floor = a + median(via ? m.arCpu : m.arInPlace);
  const label =
    { copy: 'default options', view: 'gradientAsBucketView', overlap: 'overlap: true' }[mode]! +
    (via ? ', MPI_Allreduce' : '');
  console.log(
    `  784-${h}-${h}-10 ${label.padEnd(21)}  backward ${a.toFixed(3)}  + DDP ${median(m.ddp).toFixed(3)} (${(median(m.ddp) / a).toFixed(2)}x)  + one all-reduce after ${median(m.naive).toFixed(3)} (${(median(m.naive) / a).toFixed(2)}x)  floor on busy cores ${floor.toFixed(3)} (${(floor / a).toFixed(2)}x)  backward on the slower rank ${median(m.aloneSlower).toFixed(3)} (DDP ${(median(m.ddp) / median(m.aloneSlower)).toFixed(2)}x that)`,
  );
}
const m1024 = mlp['1024 copy'];
const backward1024 = median(m1024.alone);
console.log(
  `  784-1024-1024-10's gradient, all-reduced where it lies (C, buffers in a shared window, rewritten before each call)  ${median(floorMs).toFixed(3)} ms, ${((median(floorMs) / backward1024) * 100).toFixed(0)}% of backward alone; tensorkit's all-reduce of it: in place ${median(m1024.arInPlace).toFixed(3)} ms of CPU, through copies ${median(m1024.arCpu).toFixed(3)} ms`,
);
const afterBackward = median(m1024.wallAfterBackward);
console.log(
  `  the same in-place all-reduce, wall time as the ranks meet: on buffers just rewritten ${median(m1024.wallRewritten).toFixed(3)} ms; on the gradient a backward has just written ${afterBackward.toFixed(3)} ms (backward alone plus that: ${((backward1024 + afterBackward) / backward1024).toFixed(2)}x); on buffers rewritten, then 64 MB swept through the caches ${median(m1024.wallSwept).toFixed(3)} ms`,
);
console.log(
  'each round (cache-line round trip between CPUs 0 and 1 at its start, before the CNN, before the MLP; then its ratios):',
);
for (let r = 0; r < rounds; r++) {
  console.log(
    `  round ${r + 1}: ${roundTrip[r].join(' / ')} ns;  CNN 2 ranks ${(cnn.two[r] / cnn.one[r]).toFixed(2)}x (ceiling ${(cnn.ceiling[r] / cnn.one[r]).toFixed(2)}x);  MLP DDP ${(m1024.ddp[r] / m1024.alone[r]).toFixed(2)}x, the all-reduce after backward ${m1024.wallAfterBackward[r].toFixed(3)} ms, backward alone ${m1024.alone[r].toFixed(3)} ms;  25 MiB ${(ar.c[r] / ar.tk[r]).toFixed(2)}x the C loop's bandwidth`,
  );
}
