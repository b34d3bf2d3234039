// Crash-safe file writes: every file tensorkit writes (weights, checkpoints, logs, reports) goes
// to a temporary name in the same directory, is flushed to disk, then renamed over the target, so
// a crash mid-write leaves the old file or the new one, never half of one.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { fail, TensorError } from '../errors.js';
import { describe } from '../options.js';

/** A TensorError IO_ERROR for a failed file operation, naming the op, the path and the cause. */
export function ioError(op: string, file: string, e: unknown): never {
  if (e instanceof TensorError) throw e;
  const why = e instanceof Error ? ((e as NodeJS.ErrnoException).code ?? e.message) : String(e);
  fail('IO_ERROR', `${op}: cannot access '${file}': ${why}`);
}

// Temporary files are named `.<target>.<pid>.<random>.tmp` beside the target, so the next write
// to the same target can recognise the ones a crashed writer left behind.
const tmpPattern = (base: string) =>
  new RegExp(`^\\.${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)\\.[a-z0-9]+\\.tmp$`);

// Temporary files this process is writing right now (another call may be mid-write).
const inFlight = new Set<string>();

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by someone else
  }
}

/**
 * Removes temporary files of `target` left by writers that died mid-write (a kill -9, a power
 * cut): those of processes no longer running, and this process's own that no write is using.
 * Best effort: a file that cannot be removed stays.
 */
function removeStaleTemps(dir: string, target: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  const re = tmpPattern(target);
  for (const n of names) {
    const m = re.exec(n);
    if (!m) continue;
    const full = path.join(dir, n);
    const pid = Number(m[1]);
    if (inFlight.has(full) || (pid !== process.pid && processAlive(pid))) continue;
    try {
      fs.rmSync(full, { force: true });
    } catch {
      /* best effort */
    }
  }
}

/**
 * Writes `chunks` to `file` atomically: temporary file, fsync, rename, then an fsync of the
 * directory so the rename itself is durable. Creates missing parent directories. An existing
 * target must be a regular file (a symbolic link is followed to one): renaming over a device, a
 * directory or a socket would replace it. Stale temporary files of the same target, left by a
 * writer that crashed, are removed.
 * @example io.writeFileAtomic('notes.txt', ['hello\n'])
 */
export function writeFileAtomic(file: string, chunks: readonly (Uint8Array | string)[], op = 'write'): void {
  if (typeof op !== 'string') op = 'writeFileAtomic';
  if (typeof file !== 'string' || file === '' || file.includes('\0'))
    fail('INVALID_ARGUMENT', `${op}: expected a file path, got ${describe(file)}`);
  if (!Array.isArray(chunks) || !chunks.every((c) => typeof c === 'string' || c instanceof Uint8Array))
    fail('INVALID_ARGUMENT', `${op}: expected a list of strings and Uint8Arrays to write, got ${describe(chunks)}`);
  let target = path.resolve(file);
  try {
    const st = fs.lstatSync(target);
    if (st.isSymbolicLink()) target = fs.realpathSync(target);
    if (!fs.statSync(target).isFile())
      fail('IO_ERROR', `${op}: '${file}' exists and is not a regular file; refusing to replace it`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') ioError(op, file, e);
  }
  const dir = path.dirname(target),
    base = path.basename(target);
  const tmp = path.join(dir, `.${base}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  let fd: number | undefined;
  inFlight.add(tmp);
  try {
    fs.mkdirSync(dir, { recursive: true });
    removeStaleTemps(dir, base);
    fd = fs.openSync(tmp, 'w', 0o644);
    for (const c of chunks) {
      const b = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
      let off = 0;
      while (off < b.byteLength) off += fs.writeSync(fd, b, off, b.byteLength - off);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined)
      try {
        fs.closeSync(fd);
      } catch {
        /* already failing */
      }
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      /* already failing */
    }
    ioError(op, file, e);
  } finally {
    inFlight.delete(tmp);
  }
  syncDir(dir);
}

// Best effort: some platforms (Windows) cannot open a directory for fsync.
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* not supported here */
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
