// `tensorkit run -n N script`: starts N ranks of a script under Open MPI's mpirun, with defaults
// that suit one machine (each rank bound to its share of the CPUs, or unbound and oversubscribed
// where they do not fit, see placementArgs; shared-memory messages copied through Open MPI's
// queues, see MCA_DEFAULTS) and a watchdog: a rank that dies, or stops responding outside a
// communication, stops the whole job with a message naming it, instead of leaving the other ranks
// waiting forever.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

import { INSTALL_MPI } from './binding.js';
import type { Heartbeat } from './watchdog.js';

/** Options of launch(). */
export interface LaunchOptions {
  /** Ranks to start. */
  nproc: number;
  /** The script (.ts through tsx, or .js/.mjs) and its arguments. */
  script: string;
  args?: string[];
  /** An MPI hostfile for several machines ("host slots=N" lines). */
  hostfile?: string;
  /** Seconds before the whole job is stopped (default: none). */
  timeoutS?: number;
  /** Seconds without a heartbeat, outside a communication, before a rank counts as hung (default 60). */
  hangTimeoutS?: number;
  /** More arguments for mpirun, before the program. */
  mpirunArgs?: string[];
  /** Where rank output and launcher messages go (default: inherited stdio and stderr). */
  stdio?: 'inherit' | 'pipe';
  log?: (line: string) => void;
}

/**
 * @internal Open MPI parameters the launcher sets unless the user sets them (with `--mpirun-arg
 * --mca ...` or an OMPI_MCA_ variable): what suits ranks that share a machine's memory.
 *
 * btl_vader_single_copy_mechanism none: ranks on one host pass messages through Open MPI's
 * shared-memory queues (32 KiB fragments, one copy in and one out) instead of its default single
 * copy with process_vm_readv (CMA), which pins the peer's pages call by call. Measured with the
 * plain C MPI_Allreduce loop on 2 local ranks (AMD EPYC Zen 5, Open MPI 4.1.4): 25 MiB 4.8-5.0 →
 * 3.1-3.4 ms, 7.4 MB 0.75-1.2 → 0.46-0.65 ms, 1 MB 118-188 → 61-98 µs, 80 KB 11-12 → 4-5 µs: the
 * pipelined copies stay in cache, and cost less than pinning. (Only messages within a host go this
 * way; across hosts nothing changes.)
 */
export const MCA_DEFAULTS: Readonly<Record<string, string>> = { btl_vader_single_copy_mechanism: 'none' };

/** @internal The `--mca` pairs for MCA_DEFAULTS that neither `args` nor `env` already set. */
export function mcaDefaultArgs(args: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(MCA_DEFAULTS))
    if (!args.includes(k) && env[`OMPI_MCA_${k}`] === undefined) out.push('--mca', k, v);
  return out;
}

/** mpirun's options that place ranks on CPUs: given any, the user's placement stands alone. */
const PLACEMENT =
  /^--?(bind-to|map-by|rank-by|cpu-set|cpu-list|rankfile|use-hwthread-cpus|oversubscribe|nooversubscribe)$/;

/**
 * @internal Where mpirun puts the ranks. A job on this machine whose ranks fit its CPUs (`cpus`,
 * this process's share of them) binds each rank to floor(cpus / nproc) of them, as torchrun's
 * ranks get their share of threads: a rank's default core threads then follow its share
 * (getNumThreads() reads the affinity mask), and the scheduler no longer moves ranks between cores,
 * which cost 2 ranks × 1 thread 2-12% of the shapes CNN's throughput on 2 vCPUs (paired runs:
 * 60.0-72.0k images/s unbound, 63.7-75.1k bound; one process gained nothing from binding). More
 * ranks than CPUs, or a hostfile (other machines, other cores): unbound, oversubscription allowed.
 * Placement options among the user's mpirun arguments replace all of this.
 */
export function placementArgs(
  nproc: number,
  o: { hostfile?: string; mpirunArgs?: readonly string[]; cpus?: number } = {},
): string[] {
  if ((o.mpirunArgs ?? []).some((a) => PLACEMENT.test(a))) return [];
  const cpus = o.cpus ?? availableParallelism();
  if (o.hostfile || nproc > cpus) return ['--oversubscribe', '--bind-to', 'none'];
  // hardware threads as mpirun's CPUs: `cpus` counts them, and so does the rank's affinity mask
  return ['--use-hwthread-cpus', '--map-by', `slot:PE=${Math.floor(cpus / nproc)}`, '--bind-to', 'hwthread'];
}

/** @internal The mpirun command line launch() runs (exported for tests and for printing). */
export function mpirunCommand(o: LaunchOptions, runDir: string, cpus?: number): string[] {
  const cmd = ['mpirun', '-n', String(o.nproc), ...placementArgs(o.nproc, { ...o, cpus })];
  if (process.getuid?.() === 0) cmd.push('--allow-run-as-root');
  cmd.push(...mcaDefaultArgs(o.mpirunArgs));
  if (o.hostfile) cmd.push('--hostfile', o.hostfile);
  // Ranks on other hosts get these from mpirun; local ones inherit the environment anyway.
  cmd.push('-x', `TENSORKIT_RUN_DIR=${runDir}`, '-x', 'PATH');
  cmd.push(...(o.mpirunArgs ?? []));
  cmd.push(process.execPath);
  if (/\.(c|m)?ts$/.test(o.script)) cmd.push('--import', 'tsx');
  cmd.push(o.script, ...(o.args ?? []));
  return cmd;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readBeats(dir: string, n: number): (Heartbeat | undefined)[] {
  const out: (Heartbeat | undefined)[] = [];
  for (let r = 0; r < n; r++) {
    try {
      out.push(JSON.parse(readFileSync(join(dir, `rank-${r}.json`), 'utf8')) as Heartbeat);
    } catch {
      out.push(undefined); // not started yet, or caught mid-write: read again next tick
    }
  }
  return out;
}

/**
 * @internal `tensorkit run`'s body (src/cli.ts checks its arguments).
 * Runs the job; resolves to its exit code (0 when every rank exited 0). A rank that dies or hangs
 * makes it stop every rank and resolve non-zero, after logging which rank and why.
 * @example process.exitCode = await launch({ nproc: 2, script: 'train.ts' });
 */
export function launch(o: LaunchOptions): Promise<number> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  if (spawnSync('mpirun', ['--version'], { stdio: 'ignore' }).status !== 0) {
    log(`tensorkit run: mpirun not found; install Open MPI: ${INSTALL_MPI}`);
    return Promise.resolve(127);
  }
  if (!existsSync(o.script)) {
    log(`tensorkit run: no such script: ${o.script}`);
    return Promise.resolve(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'tensorkit-run-'));
  const cmd = mpirunCommand(o, dir);
  const child: ChildProcess = spawn(cmd[0], cmd.slice(1), { stdio: o.stdio ?? 'inherit' });
  const hangMs = (o.hangTimeoutS ?? 60) * 1000;
  const started = Date.now();
  const here = hostname();
  let failure: string | undefined;
  const timers: NodeJS.Timeout[] = [];

  // mpirun stops the job by itself when a rank exits or dies (and may crash if signalled while it
  // does), so it gets `graceMs` first; a hung job is stopped at once. SIGKILL follows 3 s later.
  const stop = (why: string, beats: (Heartbeat | undefined)[], graceMs = 0): void => {
    if (failure) return;
    failure = why;
    log(`tensorkit run: ${why}; stopping all ${o.nproc} ranks`);
    timers.push(
      setTimeout(() => {
        child.kill('SIGTERM'); // mpirun forwards it to every rank
        timers.push(
          setTimeout(() => {
            for (const b of beats) if (b && b.host === here && alive(b.pid)) process.kill(b.pid, 'SIGKILL');
            child.kill('SIGKILL');
          }, 3000),
        );
      }, graceMs),
    );
  };

  const watch = setInterval(() => {
    const now = Date.now();
    const beats = readBeats(dir, o.nproc);
    if (o.timeoutS !== undefined && now - started > o.timeoutS * 1000)
      return stop(`the job ran past its timeout of ${o.timeoutS} s`, beats);
    const failed = beats.filter((b) => b?.state === 'failed');
    if (failed.length)
      return stop(
        failed.map((b) => `rank ${b!.rank} (pid ${b!.pid}) exited with code ${b!.code}`).join(', '),
        beats,
        5000,
      );
    const dead = beats.filter((b) => b && b.state === 'running' && b.host === here && !alive(b.pid));
    if (dead.length) return stop(dead.map((b) => `rank ${b!.rank} (pid ${b!.pid}) died`).join(', '), beats, 5000);
    const running = beats.filter((b): b is Heartbeat => b?.state === 'running');
    const hung = running.filter((b) => b.wait === null && now - b.beat > hangMs);
    if (hung.length)
      return stop(
        hung
          .map(
            (b) =>
              `rank ${b.rank} (pid ${b.pid}) stopped responding: no heartbeat for ${((now - b.beat) / 1000).toFixed(0)} s`,
          )
          .join(', '),
        beats,
      );
    if (running.length === o.nproc && running.every((b) => b.wait !== null && now - b.since > hangMs))
      return stop(
        `every rank has waited over ${hangMs / 1000} s in a communication (` +
          running.map((b) => `rank ${b.rank} in ${b.wait}`).join(', ') +
          '): the ranks called different collectives, or in a different order',
        beats,
      );
  }, 500);

  return new Promise((resolve) => {
    child.on('error', (e) => {
      log(`tensorkit run: could not start mpirun: ${e.message}`);
    });
    child.on('exit', (code, signal) => {
      clearInterval(watch);
      for (const t of timers) clearTimeout(t);
      if (!failure && code !== 0) {
        const beats = readBeats(dir, o.nproc);
        const gone = beats
          .filter((b) => b && b.state !== 'exited')
          .map((b) => `rank ${b!.rank} (pid ${b!.pid}${b!.state === 'failed' ? `, exit code ${b!.code}` : ''})`);
        log(
          `tensorkit run: the job failed (mpirun ${signal ? `killed by ${signal}` : `exit code ${code}`})` +
            (gone.length ? `; ranks that did not finish: ${gone.join(', ')}` : ''),
        );
      }
      rmSync(dir, { recursive: true, force: true });
      resolve(failure ? 1 : (code ?? 1));
    });
  });
}
