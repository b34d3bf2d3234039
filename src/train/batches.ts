// Batches as the Trainer's loops see them: any sync or async iterable, limited, moved to the
// device, and freed after their step when the loader made them.
import { DataLoader } from '../data/loader.js';
import type { DeviceName } from '../dtype.js';
import { fail } from '../errors.js';
import { describe } from '../options.js';
import { Tensor } from '../tensor.js';

/** Batches: anything iterable, sync or async (a DataLoader, an array of batches, a generator). */
export type Batches = Iterable<unknown> | AsyncIterable<unknown>;
/** Loaders for fit: { train, val }, or just the training batches. */
export type FitLoaders = { train: Batches; val?: Batches } | Batches;

function isAsync(b: Batches): b is AsyncIterable<unknown> {
  return typeof (b as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}
/** `b` as batches, or INVALID_ARGUMENT naming what it is. */
export function checkBatches(op: string, name: string, b: unknown): Batches {
  if (
    b === null ||
    typeof b !== 'object' ||
    (typeof (b as Iterable<unknown>)[Symbol.iterator] !== 'function' &&
      typeof (b as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function')
  )
    fail(
      'INVALID_ARGUMENT',
      `${op}: ${name} must be an iterable of batches (a DataLoader, an array), got ${describe(b)}`,
    );
  return b as Batches;
}

// Every tensor in a batch (nested arrays and plain objects).
export function tensorsIn(x: unknown, out: Tensor[] = []): Tensor[] {
  if (x instanceof Tensor) out.push(x);
  else if (Array.isArray(x)) for (const v of x) tensorsIn(v, out);
  else if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype)
    for (const v of Object.values(x)) tensorsIn(v, out);
  return out;
}
export function mapTensors(x: unknown, f: (t: Tensor) => Tensor): unknown {
  if (x instanceof Tensor) return f(x);
  if (Array.isArray(x)) return x.map((v) => mapTensors(v, f));
  if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype)
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, mapTensors(v, f)]));
  return x;
}

/** How many batches of `b` a limit (a fraction of its length, or a count) allows; undefined: all, length unknown. */
export function batchLimit(b: Batches, frac: number | undefined): number | undefined {
  const len = (b as { length?: unknown }).length;
  const n = typeof len === 'number' ? len : undefined;
  if (frac === undefined || frac === 1) return n;
  if (Number.isInteger(frac) && frac > 1) return n === undefined ? frac : Math.min(frac, n);
  if (n === undefined)
    fail('INVALID_ARGUMENT', `Trainer: a fractional batch limit (${frac}) needs batches with a length`);
  return Math.max(1, Math.floor(n * frac));
}

/** The batch with its tensors on `device` (the batch itself on the CPU). */
export function toDevice(batch: unknown, device: DeviceName): unknown {
  return device === 'cpu' ? batch : mapTensors(batch, (t) => t.to(device));
}

// After a step: device copies are ours; the batch itself only when a DataLoader made it (its
// collate makes new tensors). Batches from an array or a generator belong to the caller.
export function releaseBatch(raw: unknown, batch: unknown, owned: boolean): void {
  if (batch !== raw) for (const t of tensorsIn(batch)) t.dispose();
  if (owned) for (const t of tensorsIn(raw)) t.dispose();
}

/** The batch size: the first dim of the batch's first tensor (1 without one). */
export function inferBatchSize(batch: unknown): number {
  const first = tensorsIn(batch)[0];
  return first && first.ndim > 0 ? first.shape[0] : 1;
}

// Calls fn on each batch (sync or async sources) up to `limit`, skipping the first `skip`
// (freed unused; or, preSkipped, already left out by the source); fn returns true to stop. Awaits only what is a promise, so a synchronous
// source costs no microtask hops per batch.
export async function forEachBatch(
  b: Batches,
  limit: number | undefined,
  skip: number,
  preSkipped: boolean,
  fn: (batch: unknown, i: number) => boolean | void | Promise<boolean | void>,
): Promise<void> {
  const owned = b instanceof DataLoader;
  const it: Iterator<unknown> | AsyncIterator<unknown> = isAsync(b)
    ? b[Symbol.asyncIterator]()
    : (b as Iterable<unknown>)[Symbol.iterator]();
  let i = preSkipped ? skip : 0; // the source already left out the first `skip` batches
  let done = false;
  try {
    for (;;) {
      let r = it.next();
      if (r instanceof Promise) r = await r;
      if ((r as IteratorResult<unknown>).done) {
        done = true;
        return;
      }
      const batch = (r as IteratorResult<unknown>).value;
      if ((limit !== undefined && i >= limit) || i < skip) {
        releaseBatch(batch, batch, owned);
        if (i++ >= skip) return;
        continue;
      }
      let stop = fn(batch, i++);
      if (stop instanceof Promise) stop = await stop;
      if (stop === true) return;
    }
  } finally {
    if (!done) await it.return?.(); // close a generator left mid-way
  }
}
