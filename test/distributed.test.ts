// distributed: the process group, collectives, DistributedDataParallel and the launcher. The
// multi-process tests run real 2-rank jobs through `tensorkit run` (Open MPI's mpirun) and compare
// with one process; they skip, saying why, where Open MPI or the MPI addon is missing.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { runOptions } from '../src/cli.js';
import { cuda, distributed as dist, io, metrics, nn, tensor, train, type DType, type Tensor } from '../src/index.js';
import { mcaDefaultArgs, mpirunCommand, placementArgs } from '../src/distributed/launch.js';
import { ITEMSIZE } from '../src/dtype.js';
import { BIG, DTYPES, N, opsOf, reduceExact, values } from './distributed/collectives.js';
import { bnInput, metricInput } from './distributed/parts-data.js';
import { expectTensorError } from './helpers/harness.js';

const root = path.join(import.meta.dirname, '..');
const cli = path.join(root, 'src', 'cli.ts');
const mpirun = spawnSync('mpirun', ['--version'], { stdio: 'ignore' }).status === 0;
const ready = mpirun && dist.isAvailable();
const why = mpirun
  ? 'the MPI addon was not built (rebuild with Open MPI installed)'
  : 'needs Open MPI: apt-get install openmpi-bin libopenmpi-dev';

const nccl = ncclStatus();
const ncclJob = nccl.usable && cuda.deviceCount() >= 2; // one GPU per rank, as NCCL requires

/** Runs `tensorkit run -n 2 script args`; resolves with its exit code and output. */
function run(
  args: string[],
  timeoutMs = 120_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; out: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const p = spawn(process.execPath, ['--import', 'tsx', cli, 'run', ...args], { cwd: root, env });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, ms: Date.now() - t0 });
    });
  });
}

function isCudaBuild(): boolean {
  return cuda.isCompiled();
}

// Whether backend 'nccl' can start here, or the error initProcessGroup gives for what is missing.
function ncclStatus(): { usable: boolean; lacks: string; expect?: [string, RegExp] } {
  if (!dist.isAvailable())
    return { usable: false, lacks: 'the MPI addon', expect: ['DISTRIBUTED_ERROR', /MPI addon|MPI library/] };
  if (!cuda.isCompiled())
    return { usable: false, lacks: 'a CUDA build', expect: ['NOT_IMPLEMENTED', /built with CUDA/] };
  if (cuda.deviceCount() === 0)
    return { usable: false, lacks: 'a CUDA device', expect: ['CUDA_ERROR', /needs a CUDA device, and there is none/] };
  const probe = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' });
  if (!/libnccl\.so\.2/.test(probe.stdout ?? '') && !process.env.TENSORKIT_NCCL_LIBRARY)
    return { usable: false, lacks: 'NCCL', expect: ['DISTRIBUTED_ERROR', /could not load NCCL/] };
  return { usable: true, lacks: 'nothing' };
}

function tsx(args: string[]): void {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ...args], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
}

describe('distributed without a process group', () => {
  it('reports a missing group, the nccl backend and bad options as TensorErrors', () => {
    expectTensorError(() => dist.getRank(), 'INVALID_ARGUMENT', /initProcessGroup/);
    expectTensorError(() => dist.getWorldSize(), 'INVALID_ARGUMENT', /initProcessGroup/);
    expectTensorError(() => dist.allReduce(tensor([1])), 'INVALID_ARGUMENT', /no process group/);
    expectTensorError(() => dist.barrier(), 'INVALID_ARGUMENT', /no process group/);
    expectTensorError(() => dist.initProcessGroup({ backend: 'gloo' as never }), 'INVALID_ARGUMENT', /'mpi' or 'nccl'/);
    expectTensorError(() => dist.initProcessGroup({ backnd: 'mpi' } as never), 'INVALID_ARGUMENT', /backend/);
    expectTensorError(
      () => new dist.DistributedDataParallel(new nn.Linear(2, 2)),
      'INVALID_ARGUMENT',
      /initProcessGroup/,
    );
    // The Trainer's strategy option: a name, or { name, ...DDP options }, checked before a group starts
    const trainer = (strategy: unknown) => () => new train.Trainer({ strategy: strategy as never, logger: false });
    expectTensorError(
      trainer({ name: 'ddp', bucketCap: 1 }),
      'INVALID_ARGUMENT',
      /Trainer: strategy 'ddp': unknown option 'bucketCap' \(did you mean 'bucketCapMb'\?\)/,
    );
    expectTensorError(trainer({ name: 'ddp', overlap: 'yes' }), 'INVALID_ARGUMENT', /option 'overlap' must be/);
    expectTensorError(
      trainer({ name: 'fsdp' }),
      'INVALID_ARGUMENT',
      /unknown strategy "fsdp" \(known: 'auto', 'ddp'\)/,
    );
    expectTensorError(trainer('ddq'), 'INVALID_ARGUMENT', /unknown strategy "ddq"/);
    expectTensorError(trainer(5), 'INVALID_ARGUMENT', /strategy must be 'auto', 'ddp' or \{ name: 'ddp'/);
    expectTensorError(trainer({ bucketCapMb: 1 }), 'INVALID_ARGUMENT', /strategy must be/);
    expect(dist.isInitialized()).toBe(false);
  });

  // What backend 'nccl' lacks here, the most basic thing first: the MPI addon (NCCL's id travels
  // over MPI), a CUDA build, a GPU, then NCCL itself. Where all are present it would start a group,
  // which the 2-GPU job below does instead.
  it.skipIf(nccl.usable)(`backend 'nccl' says what it lacks (here: ${nccl.lacks})`, () => {
    const [code, message] = nccl.expect!;
    expectTensorError(() => dist.initProcessGroup({ backend: 'nccl' }), code, message);
    // the Trainer's ddp strategy on CUDA asks for the same backend
    expectTensorError(() => new train.Trainer({ strategy: 'ddp', device: 'cuda', logger: false }), code, message);
    expect(dist.isInitialized()).toBe(false);
  });

  it.skipIf(!dist.isAvailable())(
    `libnccl is opened on first use; a library that is not NCCL is refused, naming what it lacks${dist.isAvailable() ? '' : ` (skipped: ${why})`}`,
    () => {
      // A fresh process each: the library is loaded once per process.
      const probe = (env: Record<string, string>) =>
        spawnSync(
          process.execPath,
          [
            '--import',
            'tsx',
            '-e',
            `import { mpiBinding } from './src/distributed/binding.ts'; import { TensorError } from './src/errors.ts';
             const m = mpiBinding();
             try { console.log(JSON.stringify({ compiled: m.ncclCompiled, version: m.ncclVersion(TensorError) })); }
             catch (e) { console.log(JSON.stringify({ compiled: m.ncclCompiled, tensorError: e instanceof TensorError, code: e.code, message: e.message })); }`,
          ],
          { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } },
        );
      const parse = (r: ReturnType<typeof probe>) => JSON.parse(r.stdout.trim().split('\n').pop()!);
      const plain = parse(probe({}));
      expect(plain.compiled).toBe(isCudaBuild());
      if (!plain.compiled) {
        expect(plain).toMatchObject({ tensorError: true, code: 'NOT_IMPLEMENTED' });
        expect(plain.message).toMatch(/built with CUDA/);
        return;
      }
      if (plain.version !== undefined) expect(plain.version).toBeGreaterThanOrEqual(21000);
      else {
        expect(plain).toMatchObject({ tensorError: true, code: 'DISTRIBUTED_ERROR' });
        expect(plain.message).toMatch(/libnccl\.so\.2.*apt-get install libnccl2.*TENSORKIT_NCCL_LIBRARY/);
      }
      // zlib loads, and has none of NCCL's entry points
      const wrong = parse(probe({ TENSORKIT_NCCL_LIBRARY: 'libz.so.1' }));
      expect(wrong).toMatchObject({ tensorError: true, code: 'DISTRIBUTED_ERROR' });
      expect(wrong.message).toMatch(/has no ncclGetVersion; NCCL 2\.10 or newer is needed/);
    },
  );

  it('parses tensorkit run and builds the mpirun command', () => {
    const o = runOptions(['-n', '2', '--hang-timeout', '5', 'train.ts', '--lr', '0.1']);
    expect(o).toMatchObject({ nproc: 2, script: 'train.ts', args: ['--lr', '0.1'], hangTimeoutS: 5 });
    expect(() => runOptions(['train.ts'])).toThrow(/-n N/);
    expect(() => runOptions(['-n', 'x', 'a.ts'])).toThrow(/whole number/);
    const cmd = mpirunCommand({ nproc: 2, script: 'a.ts', hostfile: 'hosts' }, '/tmp/x');
    expect(cmd.slice(0, 6)).toEqual(['mpirun', '-n', '2', '--oversubscribe', '--bind-to', 'none']);
    expect(cmd).toContain('--hostfile');
    // on this machine: each rank bound to its share of the CPUs, when they fit
    const bound = (k: number) => ['--use-hwthread-cpus', '--map-by', `slot:PE=${k}`, '--bind-to', 'hwthread'];
    expect(mpirunCommand({ nproc: 2, script: 'a.ts' }, '/tmp/x', 8).slice(3, 8)).toEqual(bound(4));
    expect(placementArgs(3, { cpus: 8 })).toEqual(bound(2));
    expect(placementArgs(2, { cpus: 2 })).toEqual(bound(1));
    expect(placementArgs(3, { cpus: 2 })).toEqual(['--oversubscribe', '--bind-to', 'none']);
    expect(placementArgs(2, { cpus: 8, hostfile: 'hosts' })).toEqual(['--oversubscribe', '--bind-to', 'none']);
    // the user's own placement stands alone
    expect(placementArgs(2, { cpus: 8, mpirunArgs: ['--bind-to', 'socket'] })).toEqual([]);
    expect(placementArgs(2, { cpus: 8, mpirunArgs: ['--map-by', 'ppr:1:socket'] })).toEqual([]);
    expect(cmd.slice(-3)).toEqual(['--import', 'tsx', 'a.ts']);
    // Open MPI's shared-memory copies by default, unless the user chose (an argument or OMPI_MCA_)
    const mca = ['--mca', 'btl_vader_single_copy_mechanism', 'none'];
    const has = (c: string[]) => c.some((_, k) => mca.every((m, j) => c[k + j] === m));
    expect(has(cmd)).toBe(process.env.OMPI_MCA_btl_vader_single_copy_mechanism === undefined);
    const own = ['--mca', 'btl_vader_single_copy_mechanism', 'cma'];
    expect(has(mpirunCommand({ nproc: 2, script: 'a.js', mpirunArgs: own }, '/tmp/x'))).toBe(false);
    expect(mcaDefaultArgs([], {})).toEqual(mca);
    expect(mcaDefaultArgs(own, {})).toEqual([]);
    expect(mcaDefaultArgs([], { OMPI_MCA_btl_vader_single_copy_mechanism: 'cma' })).toEqual([]);
  });
});

// The single-process reference, element by element (exact in every dtype for these inputs).
const combine = (d: DType, op: string, a: number[], b: number[]) => a.map((x, i) => reduceExact(d, op, x, b[i]));

// Every collective's result on both ranks (collectives.ts's output) against the single-process one.
function expectCollectives(r0: Results, r1: Results, d: DType): void {
  const a = (r: number, salt = 0) => values(d, r, salt);
  for (const op of opsOf(d)) {
    const want = combine(d, op, a(0), a(1));
    expect(r0[`allReduce.${op}.${d}`], `allReduce ${op}`).toEqual(want);
    expect(r1[`allReduce.${op}.${d}`], `allReduce ${op}`).toEqual(want);
  }
  // a transposed [3, 2] view of [2, 3], summed in place
  const sum = combine(d, 'sum', a(0), a(1));
  const transposed = [0, 3, 1, 4, 2, 5].map((i) => sum[i]);
  expect(r0[`allReduce.async.strided.${d}`]).toEqual(transposed);
  expect(r1[`allReduce.async.strided.${d}`]).toEqual(transposed);
  const floating = !(d === 'bool' || d.startsWith('int'));
  if (floating) {
    const avg = combine(d, 'avg', a(0), a(1));
    for (const res of [r0, r1])
      expect(res[`allReduce.async.strided.avg.${d}`]).toEqual([0, 3, 1, 4, 2, 5].map((i) => avg[i]));
  }
  for (const res of [r0, r1]) {
    expect(res[`broadcast.${d}`]).toEqual(a(1));
    expect(res[`allGather.${d}`]).toEqual([...a(0), ...a(1)]);
    expect(res[`allGatherIntoTensor.${d}`]).toEqual([...a(0), ...a(1)]);
  }
  // reduceScatter: rank r gets the reduction of every rank's inputs[r] (salt r)
  for (const op of floating ? ['sum', 'max', 'avg'] : ['sum', 'max']) {
    expect(r0[`reduceScatter.${op}.${d}`]).toEqual(combine(d, op, a(0, 0), a(1, 0)));
    expect(r1[`reduceScatter.${op}.${d}`]).toEqual(combine(d, op, a(0, 1), a(1, 1)));
  }
  expect(r1[`gather.${d}`]).toEqual([...a(0), ...a(1)]);
  expect(r0[`gather.${d}`]).toBeUndefined();
  expect(r0[`scatter.${d}`]).toEqual(a(0, 0));
  expect(r1[`scatter.${d}`]).toEqual(a(0, 1));
  expect(r0[`sendrecv.${d}`]).toEqual(a(1));
  expect(r1[`sendrecv.${d}`]).toEqual(a(0));
  expect((r0[`allGather.${d}`] as number[]).length).toBe(2 * N);
}

type Results = Record<string, number[] | string>;

// Runs collectives.ts in a 2-rank job (with `extra` arguments); what rank 0 and rank 1 wrote.
async function collectivesJob(extra: string[] = [], env?: NodeJS.ProcessEnv): Promise<[Results, Results]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-dist-'));
  const r = await run(['-n', '2', 'test/distributed/collectives.ts', path.join(dir, 'out'), ...extra], 120_000, env);
  expect(r.code, r.out).toBe(0);
  const read = (k: number): Results => JSON.parse(fs.readFileSync(path.join(dir, `out.rank${k}.json`), 'utf8'));
  return [read(0), read(1)];
}

describe.skipIf(!ready)(`collectives in a 2-rank job${ready ? '' : ` (skipped: ${why})`}`, () => {
  let r0: Results;
  let r1: Results;
  beforeAll(async () => void ([r0, r1] = await collectivesJob()), 120_000);

  it.each(DTYPES)('every collective on %s equals the single-process result on both ranks', (d) =>
    expectCollectives(r0, r1, d),
  );

  it('an async collective leaves the event loop running while it waits for a late rank', () => {
    expect(r0['eventLoop.sum']).toEqual([3]);
    expect(r1['eventLoop.sum']).toEqual([3]);
    expect((r0['eventLoop.waitedMs'] as number[])[0]).toBeGreaterThan(200); // rank 0 waited for rank 1
    expect((r0['eventLoop.ticks'] as number[])[0]).toBeGreaterThan(10); // and its 10 ms timer ran
  });

  it('large all-reduces go through shared memory, exact on every element, every dtype and op', () => {
    for (const res of [r0, r1]) {
      expect(res['sharedMemory']).toEqual([1]); // both ranks on this host
      expectBig(res);
    }
  });

  it('DDP writes gradients into buckets in memory the ranks map and all-reduces them in place', () => {
    for (const res of [r0, r1]) expectDdp(res);
  });

  it("a peer's shareable buffer is unmapped once the peer has freed it and shows a new one", () => {
    for (const res of [r0, r1]) {
      const [before, after, least, most] = res['sharedMaps'];
      expect(before).toBeGreaterThanOrEqual(1); // at least the peer's last buffer
      expect(after).toBe(before); // not 12 more
      expect([least, most]).toEqual([3, 3]); // 1 + 2, every cycle
    }
  });

  it('ranks that call different collectives, sizes or dtypes all fail naming the difference, and go on', () => {
    expectMismatches(r0, r1);
  });

  it('a collective called with async on one rank and without on the other meets', () => {
    for (const res of [r0, r1]) expect(res['mixedAsync']).toEqual([3, 5, 10, 20]);
  });

  it('blocking collectives meet a peer 30 ms late, and a mismatch found that late fails both ranks', () => {
    expectLate(r0, r1);
  });

  it('bad calls inside the job throw TensorErrors with codes, and the job goes on', () => {
    for (const res of [r0, r1]) {
      expect(res['error.avgInt']).toBe('DTYPE_MISMATCH');
      expect(res['error.badRank']).toBe('INVALID_ARGUMENT');
      expect(res['error.badOp']).toBe('INVALID_ARGUMENT');
      expect(res['error.selfSend']).toBe('INVALID_ARGUMENT');
      expect(res['error.disposed']).toBe('DISPOSED');
      expect(res['error.shape']).toBe('SHAPE_MISMATCH');
    }
  });
});

// collectives.ts's large all-reduces: every element right ([mismatches, first index]).
function expectBig(res: Results): void {
  for (const where of ['', 'shared.', 'mixed.'])
    for (const d of DTYPES)
      for (const op of opsOf(d))
        for (const n of BIG) expect(res[`big.${where}${op}.${d}.${n}`], `${where}${op} ${d} ${n}`).toEqual([0, -1]);
  // Which path each all-reduce took: [in place, through the slots]. Shared memory takes 4 KiB and
  // up; in place only where both ranks' tensors are in memory they map.
  let k = 0;
  for (const d of DTYPES) for (const n of BIG) if (n * ITEMSIZE[d] >= 4096) k += opsOf(d).length;
  const shared = res['sharedMemory'][0] === 1;
  expect(k).toBeGreaterThan(20);
  expect(res['calls.']).toEqual(shared ? [0, k] : [0, 0]);
  expect(res['calls.shared.']).toEqual(shared ? [k, 0] : [0, 0]);
  expect(res['calls.mixed.']).toEqual(shared ? [0, k] : [0, 0]);
}

// DDP on Linear(256, 512), x all rank+1 in 3 rows (collectives.ts): with shared memory, one bucket
// in memory the ranks map, all-reduced in place at each of the 23 synced passes; without, the
// 512 KiB weight all-reduced in place on its own (through MPI). The same averages either way.
function expectDdp(res: Results): void {
  const shared = res['sharedMemory'][0] === 1;
  for (const view of ['false', 'true']) {
    expect(res[`ddp.${view}.buckets`]).toEqual(shared ? [512 + 512 * 256] : [512, 512 * 256]);
    expect(res[`ddp.${view}`]).toEqual([13.5, 13.5, 9, 9, 0, shared ? 23 : 0, 0]);
    // a non-contiguous .grad the user set: accumulated into, then averaged like the rest
    expect(res[`ddpUserGrad.${view}`]).toEqual([3.5, 3.5, 2, 2, shared || view === 'true' ? 1 : 0]);
  }
  // Linear(640, 512) then Linear(512, 4): biases and the small weight (2564 elements) in a first
  // bucket of their own only where some rank overlaps, or where the big weight skips the buckets
  const all = 4 + 512 * 4 + 512 + 640 * 512;
  for (const overlap of ['false', 'mixed']) {
    expect(res[`ddpFirstBucket.${overlap}.buckets`]).toEqual(shared && overlap === 'false' ? [all] : [2564, 640 * 512]);
    expect(res[`ddpFirstBucket.${overlap}.diffs`]).toEqual([0, 0, 0, 0]);
    for (const s of res[`ddpFirstBucket.${overlap}.scales`]) expect(s).toBeGreaterThan(0.01);
  }
}

function expectLate(r0: Results, r1: Results): void {
  for (const res of [r0, r1]) expect(res['late']).toEqual([2, 10, 7, 3]);
  expect(r0['late.mismatch']).toMatch(/^DISTRIBUTED_ERROR: allReduce: rank 1 called allReduce \(sum\) of 4 float32/);
  expect(r1['late.mismatch']).toMatch(/^DISTRIBUTED_ERROR: allReduce: rank 0 called allReduce \(sum\) of 3 float32/);
}

function expectMismatches(r0: Results, r1: Results): void {
  const head = 'DISTRIBUTED_ERROR: allReduce: ';
  expect(r0['mismatch.count']).toBe(
    `${head}rank 1 called allReduce (sum) of 7 float32 elements per rank where rank 0 called allReduce (sum) of 6 float32 elements per rank; every rank must call the same collectives in the same order, with the same sizes`,
  );
  expect(r1['mismatch.count']).toMatch(/^DISTRIBUTED_ERROR: allReduce: rank 0 called allReduce \(sum\) of 6 float32/);
  expect(r0['mismatch.kind']).toMatch(/^DISTRIBUTED_ERROR: broadcast: rank 1 called allReduce \(max\) of 1 float32/);
  expect(r1['mismatch.kind']).toMatch(/^DISTRIBUTED_ERROR: allReduce: rank 0 called broadcast \(root 0\) of 1 float32/);
  expect(r0['mismatch.big']).toMatch(new RegExp(`rank 1 called allReduce \\(sum\\) of ${BIG[0] - 1000} float32`));
  expect(r1['mismatch.async']).toMatch(
    /rank 0 called allReduce \(sum\) of 2 float32 elements per rank where rank 1 called allReduce \(sum\) of 2 float64/,
  );
  expect(r0['mismatch.async']).toMatch(/^DISTRIBUTED_ERROR: /);
  for (const res of [r0, r1]) expect(res['mismatch.after']).toEqual([3]);
}

describe.skipIf(!ready)(`collectives in a 3-rank job${ready ? '' : ` (skipped: ${why})`}`, () => {
  it('every collective is exact on every element for an odd world size, placed as the launcher places it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-dist3-'));
    const r = await run(['-n', '3', 'test/distributed/three.ts', path.join(dir, 'out')]);
    expect(r.code, r.out).toBe(0);
    const cpus = os.availableParallelism();
    for (let k = 0; k < 3; k++) {
      const res = JSON.parse(fs.readFileSync(path.join(dir, `out.rank${k}.json`), 'utf8')) as Record<string, unknown>;
      expect(res.size).toBe(3);
      expect(res.sharedMemory).toBe(true);
      // bound to a third of the CPUs where 3 fit, else free to use them all (oversubscribed)
      const share = cpus >= 3 ? Math.floor(cpus / 3) : cpus;
      expect(res.cpus).toBe(share);
      expect(res.threads).toBe(share);
      const cases = Object.keys(res).filter((key) => /^(allReduce|broadcast|allGather|reduceScatter)/.test(key));
      // all-reduces: 5 ops on float32 and float64, 4 on int32, 3 sizes each; then 3 more per dtype
      expect(cases.length).toBe(3 * (5 + 5 + 4) + 3 * 3);
      for (const key of cases) expect(res[key], key).toEqual([0, -1]);
    }
  }, 120_000);
});

describe.skipIf(!ready)(
  `collectives in a 2-rank job through MPI's messages only (TENSORKIT_SHARED_MEMORY=0)${ready ? '' : ` (skipped: ${why})`}`,
  () => {
    let r0: Results;
    let r1: Results;
    beforeAll(
      async () => void ([r0, r1] = await collectivesJob([], { ...process.env, TENSORKIT_SHARED_MEMORY: '0' })),
      120_000,
    );

    it.each(DTYPES)('every collective on %s equals the single-process result on both ranks', (d) =>
      expectCollectives(r0, r1, d),
    );

    it('large all-reduces through MPI_Allreduce are exact too', () => {
      for (const res of [r0, r1]) {
        expect(res['sharedMemory']).toEqual([0]);
        expectBig(res);
        expectDdp(res); // a large gradient all-reduced where backward put it
      }
      expectMismatches(r0, r1);
      expectLate(r0, r1);
    });
  },
);

describe.skipIf(!ncclJob)(
  `collectives on CUDA tensors through NCCL in a 2-rank job${ncclJob ? '' : ` (skipped: needs 2 CUDA devices and NCCL; this machine has ${nccl.usable ? `${cuda.deviceCount()} device` : `no ${nccl.lacks.replace(/^(a|the) /, '')}`})`}`,
  () => {
    let r0: Results;
    let r1: Results;
    beforeAll(async () => void ([r0, r1] = await collectivesJob(['nccl'])), 120_000);

    it.each(DTYPES)('every collective on %s (on cuda:<rank>) equals the single-process result', (d) =>
      expectCollectives(r0, r1, d),
    );

    it('one call with tensors on two devices is a DEVICE_MISMATCH', () => {
      expect(r0['error.mixedDevices']).toBe('DEVICE_MISMATCH');
      expect(r1['error.mixedDevices']).toBe('DEVICE_MISMATCH');
    });
  },
);

describe.skipIf(!ready)(`DistributedDataParallel${ready ? '' : ` (skipped: ${why})`}`, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-ddp-'));
  const f = (n: string) => path.join(dir, n);
  let single: Record<string, number[]>;
  beforeAll(() => {
    tsx(['test/distributed/ddp-train.ts', 'single', f('single.json')]);
    single = JSON.parse(fs.readFileSync(f('single.json'), 'utf8'));
  }, 120_000);

  // Every tensor within `tol` (1e-5) of the single-process weights, relative to the tensor's norm.
  const expectClose = (file: string, tol = 1e-5, reference?: string) => {
    const got = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, number[]>;
    const ref = reference ? (JSON.parse(fs.readFileSync(reference, 'utf8')) as Record<string, number[]>) : single;
    expect(Object.keys(got)).toEqual(Object.keys(ref));
    for (const [k, want] of Object.entries(ref)) {
      let d = 0;
      let n = 0;
      want.forEach((w, i) => ((d += (w - got[k][i]) ** 2), (n += w * w)));
      expect(Math.sqrt(d / n), k).toBeLessThan(tol);
    }
    return got;
  };

  it('2 ranks × 16 images train the shapes CNN to the weights of 1 process × 32 over 50 steps', async () => {
    const r = await run(['-n', '2', 'test/distributed/ddp-train.ts', 'ddp', f('ddp.json')]);
    expect(r.code, r.out).toBe(0);
    expectClose(f('ddp.json'));
    // the replicas are identical, though rank 1 started from other weights
    expect(fs.readFileSync(f('ddp.json.rank1'), 'utf8')).toBe(fs.readFileSync(f('ddp.json'), 'utf8'));
  }, 120_000);

  it('3 ranks × 16 images train to the weights of 1 process × 48 (an average that divides by 3)', async () => {
    tsx(['test/distributed/ddp-train.ts', 'single', f('single48.json'), '--global', '48', '--steps', '20']);
    const r = await run([
      '-n',
      '3',
      'test/distributed/ddp-train.ts',
      'ddp',
      f('ddp48.json'),
      '--global',
      '48',
      '--steps',
      '20',
    ]);
    expect(r.code, r.out).toBe(0);
    expectClose(f('ddp48.json'), 1e-5, f('single48.json'));
    for (const k of [1, 2])
      expect(fs.readFileSync(f(`ddp48.json.rank${k}`), 'utf8')).toBe(fs.readFileSync(f('ddp48.json'), 'utf8'));
  }, 120_000);

  // CUDA's kernels sum in another order than the CPU's: 1e-4 against the CPU reference.
  it.skipIf(!ncclJob)(
    `on cuda:<rank> through NCCL, 2 ranks train to the weights of 1 process${ncclJob ? '' : ' (skipped: needs 2 CUDA devices and NCCL)'}`,
    async () => {
      const r = await run(['-n', '2', 'test/distributed/ddp-train.ts', 'ddp-nccl', f('nccl.json')]);
      expect(r.code, r.out).toBe(0);
      expectClose(f('nccl.json'), 1e-4);
      expect(fs.readFileSync(f('nccl.json.rank1'), 'utf8')).toBe(fs.readFileSync(f('nccl.json'), 'utf8'));
    },
    120_000,
  );

  it('noSync accumulates two micro-batches per rank to the same weights', async () => {
    const r = await run(['-n', '2', 'test/distributed/ddp-train.ts', 'ddp-accum', f('accum.json')]);
    expect(r.code, r.out).toBe(0);
    expectClose(f('accum.json'));
  }, 120_000);

  it('a checkpoint written under DDP resumes in one process, and the reverse', async () => {
    let r = await run([
      '-n',
      '2',
      'test/distributed/ddp-train.ts',
      'ddp',
      f('a.json'),
      '--steps',
      '25',
      '--save-at',
      '25',
      '--save',
      f('ddp.ckpt'),
    ]);
    expect(r.code, r.out).toBe(0);
    tsx([
      'test/distributed/ddp-train.ts',
      'single',
      f('a2.json'),
      '--from',
      '25',
      '--steps',
      '25',
      '--load',
      f('ddp.ckpt'),
    ]);
    expectClose(f('a2.json'));
    tsx([
      'test/distributed/ddp-train.ts',
      'single',
      f('b.json'),
      '--steps',
      '25',
      '--save-at',
      '25',
      '--save',
      f('single.ckpt'),
    ]);
    r = await run([
      '-n',
      '2',
      'test/distributed/ddp-train.ts',
      'ddp',
      f('b2.json'),
      '--from',
      '25',
      '--steps',
      '25',
      '--load',
      f('single.ckpt'),
    ]);
    expect(r.code, r.out).toBe(0);
    expectClose(f('b2.json'));
  }, 180_000);
});

describe.skipIf(!ready)(
  `SyncBatchNorm, metrics and the Trainer in a 2-rank job${ready ? '' : ` (skipped: ${why})`}`,
  () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-parts-'));
    const logs = path.join(dir, 'logs');
    let r: Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    beforeAll(async () => {
      fs.mkdirSync(logs);
      const job = await run(['-n', '2', 'test/distributed/parts.ts', path.join(dir, 'out'), logs]);
      expect(job.code, job.out).toBe(0);
      r = [0, 1].map((k) => JSON.parse(fs.readFileSync(path.join(dir, `out.rank${k}.json`), 'utf8')));
    }, 120_000);
    const close = (got: number[], want: number[], tol = 1e-5) => {
      expect(got.length).toBe(want.length);
      got.forEach((g, i) =>
        expect(Math.abs(g - want[i]), `[${i}] ${g} vs ${want[i]}`).toBeLessThan(tol * (1 + Math.abs(want[i]))),
      );
    };

    it('SyncBatchNorm over 2 ranks × 4 rows equals BatchNorm2d over the 8 rows: output, gradients, statistics', () => {
      const { x, coef } = bnInput();
      const xs = x.detach();
      xs.requiresGrad = true;
      const bn = new nn.BatchNorm2d(3);
      const y = bn.forward(xs);
      y.mul(coef).sum().backward();
      const rows = (t: Tensor, k: number) =>
        Array.from(
          t
            .narrow(0, k * 4, 4)
            .contiguous()
            .data() as Float32Array,
        );
      for (const k of [0, 1]) {
        close(r[k].bn.y, rows(y, k));
        close(r[k].bn.xGrad, rows(xs.grad!, k), 1e-4);
        close(r[k].bn.weightGrad, Array.from(bn.weight!.grad!.data() as Float32Array), 1e-4);
        close(r[k].bn.runningMean, Array.from(bn.runningMean!.data() as Float32Array));
        close(r[k].bn.runningVar, Array.from(bn.runningVar!.data() as Float32Array));
        expect(r[k].converted).toEqual(['Sequential', 'Conv2d', 'SyncBatchNorm']);
      }
    });

    it("DDP's broadcastBuffers starts each forward from rank 0's buffers, float and integer (coalesced per dtype)", () => {
      const [own0, own1] = [r[0].buffers.true.own, r[1].buffers.true.own];
      expect(own0.mean).not.toEqual(own1.mean); // each rank's rows moved its own statistics
      expect([own0.seen, own1.seen]).toEqual([20, 21]);
      for (const k of [0, 1]) expect(r[k].buffers.true.synced).toEqual(own0);
      // broadcastBuffers: false leaves each rank its own
      for (const k of [0, 1]) expect(r[k].buffers.false.synced).toEqual(r[k].buffers.false.own);
      expect(r[1].buffers.false.synced.seen).toBe(21);
    });

    it('a DDP made inside tidy() keeps its buckets across later scopes (copies and bucket views)', () => {
      for (const k of [0, 1])
        for (const view of ['false', 'true']) expect(r[k].tidyDdp[view]).toEqual([Array(8).fill(9), Array(2).fill(6)]);
    });

    it("DDP's all-reduces overlapped with backward, run after it, this host's default or mixed, average alike", () => {
      // 2 ranks on this host, each bound to half its CPUs (tensorkit run), with as many core threads
      // by default; overlap by default only with a core beyond them
      const share = Math.floor(os.availableParallelism() / 2);
      for (const k of [0, 1])
        for (const overlap of ['true', 'false', 'undefined', 'mixed']) {
          const o = r[k].overlap[overlap];
          expect(o.buckets).toEqual([35, 4096, 512, 256 * 512]);
          expect(o.scale).toBeGreaterThan(1);
          // the same sum times 1/2 either way: equal to the last bit
          expect(o.diffs).toEqual([0, 0]);
          expect(o.cpus).toBe(share);
          expect(o.threads).toBe(share);
          const byDefault = o.cpus >= o.threads + 1;
          const expected = { true: true, false: false, undefined: byDefault, mixed: k === 0 }[overlap];
          expect(o.overlapped).toBe(expected);
        }
    });

    it('a parameter outside the loss is named at the next forward, and the ranks stay in step', () => {
      for (const k of [0, 1])
        for (const overlap of ['true', 'false', 'mixed']) {
          const u = r[k].unusedParam[overlap];
          expect(u.code).toBe('INVALID_ARGUMENT');
          expect(u.message).toMatch(/produced no gradient for some parameters \(shapes \[5\], \[5, 3\]\)/);
          expect(u.after).toBe(3);
        }
    });

    it('findUnusedParameters: a parameter used on one rank averages with zeros, one used on none keeps no gradient', () => {
      for (const k of [0, 1])
        for (const overlap of ['true', 'false']) {
          const f = r[k].findUnused[overlap];
          expect(f.bScale).toBeGreaterThan(0.1); // rank 0's gradient of b, halved: not all zeros
          expect(f.diffs).toEqual([0, 0, 0]); // the third after the error below
          expect(f.cGrad).toEqual([false, false]);
          expect(f.live).toBe(0);
          expect(f.twice[0]).toBe('INVALID_ARGUMENT');
          expect(f.twice[1]).toMatch(
            /shape \[3(, 4)?\] got a gradient after findUnusedParameters had marked it unused/,
          );
        }
    });

    it('DDP steps outside tidy() leave no tensors behind (copies and bucket views)', () => {
      for (const k of [0, 1]) expect(r[k].ddpLive).toEqual({ false: 0, true: 0 });
    });

    it("metrics combine every rank's state on compute(): sums summed, cat states gathered (5 rows + 3 rows)", () => {
      const { preds, target, scores } = metricInput();
      const acc = new metrics.Accuracy({ task: 'multiclass', numClasses: 3 });
      acc.update(preds, target);
      const auroc = new metrics.AUROC({ task: 'binary' });
      auroc.update(scores, target.gt(0).to('int64'));
      for (const k of [0, 1]) {
        expect(r[k].accuracy).toBeCloseTo(Number(acc.compute().item()), 6);
        expect(r[k].auroc).toBeCloseTo(Number(auroc.compute().item()), 6);
      }
      const local = new metrics.Accuracy({ task: 'multiclass', numClasses: 3 });
      local.update(preds.narrow(0, 5, 3), target.narrow(0, 5, 3));
      expect(r[1].localAccuracy).toBeCloseTo(Number(local.compute().item()), 6);
      // sync()/unsync(), as torchmetrics'
      for (const k of [0, 1]) {
        expect(r[k].synced).toEqual([true, true]);
        expect(r[k].syncedAccuracy).toBeCloseTo(Number(acc.compute().item()), 6);
        expect(r[k].syncedAuroc).toBeCloseTo(Number(auroc.compute().item()), 6);
        expect([r[k].unsyncFirst, r[k].syncTwice, r[k].updateSynced]).toEqual([
          'INVALID_ARGUMENT',
          'INVALID_ARGUMENT',
          'INVALID_ARGUMENT',
        ]);
        expect(r[k].afterUnsync[0]).toBe(false);
      }
      expect(r[1].afterUnsync[1]).toBeCloseTo(Number(local.compute().item()), 6);
      const cm = new metrics.ConfusionMatrix({ task: 'multiclass', numClasses: 3 });
      cm.update(preds, target);
      const counts = Array.from(cm.compute().to('float64').data() as Float64Array);
      for (const k of [0, 1]) {
        expect(r[k].syncedCounts).toEqual(counts); // all 8 rows, once
        expect(r[k].localCounts).toEqual(counts); // unsync, then compute() syncs on its own
      }
    });

    it("Trainer({ strategy: 'ddp' }): half the batches per rank, equal replicas, metrics averaged, rank 0 alone logs and saves", () => {
      const [t0, t1] = [r[0].trainer, r[1].trainer];
      expect(t0.batches).toBe(8); // 128 images, batches of 16, 2 ranks, 2 epochs
      expect(t1.batches).toBe(8);
      expect(t0.weights).toEqual(t1.weights);
      expect(t0.metrics.rank).toBe(0.5); // each rank logged its rank: the mean over ranks
      expect(t0.metrics.train_loss).toBe(t1.metrics.train_loss);
      expect([t0.loggers, t1.loggers]).toEqual([1, 0]);
      expect([t0.progressBar, t1.progressBar]).toEqual([true, false]);
      expect([t0.isGlobalZero, t1.isGlobalZero]).toEqual([true, false]);
      const ckpts = r[0].files.filter((f: string) => f.endsWith('.ckpt'));
      expect(ckpts).toEqual(['lightning_logs/version_0/checkpoints/epoch=1-step=8.ckpt']);
      // the checkpoint loads in one process and holds the replicas' weights
      const ck = io.loadCheckpoint(path.join(logs, ckpts[0])) as Record<string, unknown>;
      const sd = ck.stateDict as Record<string, Tensor>;
      expect(Array.from(sd['net.fc.bias'].data() as Float32Array)).toEqual(t0.weights[t0.weights.length - 1]);
    });

    it("Trainer({ strategy: { name: 'ddp', ...options } }) keeps DistributedDataParallel's options", () => {
      for (const k of [0, 1]) expect(r[k].strategyOptions).toEqual({ bucketCapMb: 10, overlap: false });
    });

    it('DDP after destroyProcessGroup(): each backward throws the all-reduce error, none blames the gradients', () => {
      const e = 'DISTRIBUTED_ERROR allReduce: the process group was destroyed';
      for (const k of [0, 1]) expect(r[k].afterDestroy).toEqual([e, e]);
    });
  },
);

describe.skipIf(!ready)(`examples/ddp-shapes.ts${ready ? '' : ` (skipped: ${why})`}`, () => {
  it('trains on 2 ranks to the losses of 1 process and a test accuracy over 90%', async () => {
    const two = await run(['-n', '2', 'examples/ddp-shapes.ts']);
    expect(two.code, two.out).toBe(0);
    const losses = (out: string) => [...out.matchAll(/loss (\d+\.\d+)/g)].map((m) => Number(m[1]));
    const one = spawnSync(process.execPath, ['--import', 'tsx', 'examples/ddp-shapes.ts'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(one.status, one.stderr).toBe(0);
    expect(losses(two.out)).toHaveLength(5);
    losses(two.out).forEach((l, i) => expect(l).toBeCloseTo(losses(one.stdout)[i], 3));
    expect(Number(/test accuracy (\d+\.\d)%/.exec(two.out)?.[1])).toBeGreaterThan(90);
  }, 120_000);
});

describe.skipIf(!ready)(`tensorkit run's watchdog${ready ? '' : ` (skipped: ${why})`}`, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-watch-'));

  it('killing one rank makes the job exit non-zero within 30 s, naming the rank', async () => {
    const pidFile = path.join(dir, 'pid1');
    const job = run(['-n', '2', 'test/distributed/fail.ts', 'loop', pidFile]);
    const t0 = Date.now();
    while (!fs.existsSync(pidFile) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 100));
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const r = await job;
    expect(r.code).not.toBe(0);
    expect(Date.now() - killedAt).toBeLessThan(30_000);
    expect(r.out).toMatch(new RegExp(`rank 1 \\(pid ${pid}\\) died`));
  }, 120_000);

  it('a rank that hangs outside a collective is named and the job stopped', async () => {
    const r = await run(['-n', '2', '--hang-timeout', '3', 'test/distributed/fail.ts', 'hang']);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/rank 1 \(pid \d+\) stopped responding: no heartbeat for \d+ s/);
    expect(r.ms).toBeLessThan(30_000);
  }, 60_000);

  it('a rank that throws fails the job with its exit code, and its error is printed', async () => {
    const r = await run(['-n', '2', 'test/distributed/fail.ts', 'throw']);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('planned failure on rank 1');
    expect(r.out).toMatch(/rank 1 \(pid \d+\) exited with code 1/);
  }, 60_000);
});
