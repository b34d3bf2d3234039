// Crash-safe file writes: every file tensorkit writes (weights, checkpoints, logs, reports) goes
// to a temporary name in the same directory, is flushed to disk, then renamed over the target, so
// a crash mid-write leaves the old file or the new one, never half of one.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { fail, TensorError } from '../errors.js';

/** A TensorError IO_ERROR for a failed file operation, naming the op, the path and the cause. */
export function ioError(op: string, file: string, e: unknown): never {
  if (e instanceof TensorError) throw e;
  const why = e instanceof Error ? ((e as NodeJS.ErrnoException).code ?? e.message) : String(e);
  fail('IO_ERROR', `${op}: cannot access '${file}': ${why}`);
}

/**
 * Writes `chunks` to `file` atomically: temporary file, fsync, rename, then an fsync of the
 * directory so the rename itself is durable. Creates missing parent directories.
 */
export function writeFileAtomic(file: string, chunks: readonly (Uint8Array | string)[], op = 'write'): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  let fd: number | undefined;
  try {
    fs.mkdirSync(dir, { recursive: true });
    fd = fs.openSync(tmp, 'w', 0o644);
    for (const c of chunks) {
      const b = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
      let off = 0;
      while (off < b.byteLength) off += fs.writeSync(fd, b, off, b.byteLength - off);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) try { fs.closeSync(fd); } catch { /* already failing */ }
    try { fs.rmSync(tmp, { force: true }); } catch { /* already failing */ }
    ioError(op, file, e);
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
