// The rank's side of `tensorkit run`'s watchdog: under the launcher (TENSORKIT_RUN_DIR set), each
// rank keeps a small heartbeat file there, rewritten every second from the event loop and whenever
// the rank starts or stops waiting for a communication. The launcher reads them: a rank whose
// heartbeat stops while it is not waiting is hung (or stopped), and is named.
import { closeSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** What a heartbeat file holds (JSON, padded to a fixed size). */
export interface Heartbeat {
  rank: number;
  pid: number;
  host: string;
  /** Date.now() of the last beat. */
  beat: number;
  /** The communication this rank is blocked in, or null. */
  wait: string | null;
  /** When it started waiting (ms). */
  since: number;
  /** 'exited' once the process has ended with code 0, 'failed' with another code. */
  state: 'running' | 'exited' | 'failed';
  /** The exit code, once ended. */
  code?: number;
}

/** Heartbeat files are rewritten in place at this size. */
export const HEARTBEAT_BYTES = 256;
/** Milliseconds between beats. */
export const BEAT_MS = 1000;

let fd: number | undefined;
let beat: Heartbeat | undefined;

function write(): void {
  if (fd === undefined || !beat) return;
  beat.beat = Date.now();
  const text = JSON.stringify(beat).padEnd(HEARTBEAT_BYTES, ' ');
  try {
    writeSync(fd, text, 0, 'utf8');
  } catch {
    // the launcher's folder is gone: nothing to report to
  }
}

/** Starts beating when the launcher asked for it (its folder is in TENSORKIT_RUN_DIR). */
export function startHeartbeat(rank: number): void {
  const dir = process.env.TENSORKIT_RUN_DIR;
  if (!dir || fd !== undefined) return;
  try {
    fd = openSync(join(dir, `rank-${rank}.json`), 'w');
  } catch {
    return;
  }
  beat = { rank, pid: process.pid, host: hostname(), beat: 0, wait: null, since: 0, state: 'running' };
  write();
  setInterval(write, BEAT_MS).unref();
  process.on('exit', (code) => {
    if (beat) {
      beat.state = code === 0 ? 'exited' : 'failed';
      beat.code = code;
    }
    write();
    if (fd !== undefined) closeSync(fd);
  });
}

/** Marks this rank as blocked in `op` (null: no longer). */
export function waiting(op: string | null): void {
  if (!beat) return;
  beat.wait = op;
  beat.since = Date.now();
  write();
}
