// DataLoader: batches from a dataset, in order or shuffled with a seed, with a default collate
// that stacks tensors; iterable synchronously or asynchronously (then the next batch is fetched
// while the current one is used).
import { fail } from '../errors.js';
import { getRngState, manualSeed, setRngState, tensor } from '../ops/creation.js';
import { stack } from '../ops/functional.js';
import { checkOptions, describe, list } from '../options.js';
import { Tensor } from '../tensor.js';
import { Dataset, epochRandom, IterableDataset, permutation, seedOf } from './dataset.js';
import type { Generator as RandomGenerator } from '../ops/generator.js';
import type { EpochSampler } from './distributed.js';
import { BatchSampler } from './samplers.js';
import { STREAM_DONE, WorkerPool, workerSource, type Transport, type WorkerSource } from './workers.js';

/**
 * Combines samples into a batch: tensors are stacked along a new dim 0, numbers become a tensor
 * (int64 if all integers, else float32), and arrays and plain objects are collated position by
 * position / key by key. Tensors in the samples are disposed once stacked.
 */
export function defaultCollate(samples: unknown[]): unknown {
  return collate(list('defaultCollate', 'samples', samples), 0);
}

/**
 * The batch `defaultCollate` makes from samples of type T: tensors and numbers become a Tensor,
 * arrays and plain objects are collated element by element, anything else is gathered in an array.
 * A DataLoader without a `collate` option yields this type.
 */
export type Collated<T> = T extends Tensor
  ? Tensor
  : T extends number | boolean
    ? Tensor
    : T extends readonly unknown[]
      ? { -readonly [K in keyof T]: Collated<T[K]> }
      : T extends string
        ? T[]
        : T extends object
          ? { [K in keyof T]: Collated<T[K]> }
          : T[];

// Samples nest at most this deep (a batch of [x, y] pairs is 2); deeper is a malformed sample.
const MAX_COLLATE_DEPTH = 32;

function collate(samples: unknown[], depth: number): unknown {
  if (samples.length === 0) fail('INVALID_ARGUMENT', 'defaultCollate: no samples');
  if (depth > MAX_COLLATE_DEPTH)
    fail(
      'INVALID_ARGUMENT',
      `defaultCollate: samples nest more than ${MAX_COLLATE_DEPTH} levels deep (or contain themselves)`,
    );
  const first = samples[0];
  // Every sample must have the first one's structure.
  const kind = (v: unknown) =>
    v instanceof Tensor ? 'Tensor' : Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
  for (let i = 1; i < samples.length; i++)
    if (kind(samples[i]) !== kind(first))
      fail(
        'INVALID_ARGUMENT',
        `defaultCollate: sample ${i} is ${describe(samples[i])}, sample 0 is ${describe(first)}`,
      );
  if (first instanceof Tensor) {
    const out = stack(samples as Tensor[]);
    for (const s of samples as Tensor[]) s.dispose();
    return out;
  }
  if (typeof first === 'number') {
    const nums = samples as number[];
    return nums.every(Number.isInteger) ? tensor(nums, { dtype: 'int64' }) : tensor(nums);
  }
  if (typeof first === 'boolean') return tensor(samples as boolean[]);
  if (Array.isArray(first)) {
    for (const s of samples as unknown[][])
      if (s.length !== first.length)
        fail('INVALID_ARGUMENT', `defaultCollate: samples have different lengths (${first.length} and ${s.length})`);
    return first.map((_, i) =>
      collate(
        samples.map((s) => (s as unknown[])[i]),
        depth + 1,
      ),
    );
  }
  if (first !== null && typeof first === 'object') {
    const keys = Object.keys(first);
    for (const s of samples)
      for (const k of keys)
        if (!Object.hasOwn(s as object, k))
          fail('INVALID_ARGUMENT', `defaultCollate: a sample lacks the key ${describe(k)} of sample 0`);
    return Object.fromEntries(
      keys.map((k) => [
        k,
        collate(
          samples.map((s) => (s as Record<string, unknown>)[k]),
          depth + 1,
        ),
      ]),
    );
  }
  return samples; // strings and the like stay a list
}

/** @internal The seed of batch b (from 1) of an epoch: the random stream the batch is built on. */
export function batchSeed(seed: number, epoch: number, b: number): number {
  return (seed ^ Math.imul(epoch + 1, 0x9e3779b9) ^ Math.imul(b, 0x85ebca6b)) >>> 0;
}

// Runs fn on the random stream of `seed`, then puts this thread's stream back.
function onStream<R>(seed: number, fn: () => R): R {
  const saved = getRngState();
  manualSeed(seed);
  try {
    return fn();
  } finally {
    setRngState(saved);
  }
}

// A map-style epoch's batch requests: those sent (in order) and a way to send the next.
interface EpochRequests {
  epoch: number;
  batch: number;
  seed: number;
  ahead: Promise<unknown>[];
  next: () => boolean;
}

// Frees the batches of requests nobody will take, as they arrive.
function discard(ahead: Promise<unknown>[]): void {
  for (const p of ahead.splice(0)) p.then(disposeBatch, () => {});
}

function disposeBatch(b: unknown): void {
  if (b instanceof Tensor) b.dispose();
  else if (Array.isArray(b)) b.forEach(disposeBatch);
  else if (b !== null && typeof b === 'object') Object.values(b).forEach(disposeBatch);
}

let transportInUse: Transport = 'handoff';
/** @internal How workers' batches reach this thread (the benchmark compares both). */
export function setWorkerTransport(t: Transport): void {
  transportInUse = t;
}

/** Options of `DataLoader`: batching, shuffling, sampling and collation. */
export interface DataLoaderOptions<T, B> {
  /** Samples per batch. Default 1. */
  batchSize?: number;
  /** A new order every epoch, from `seed` (or the global generator). Default false. */
  shuffle?: boolean;
  /** Seed of the shuffles (default: drawn from `generator`, or the global stream). */
  seed?: number;
  /** A Generator to draw the shuffles' seed from (torch's generator). */
  generator?: RandomGenerator;
  /** Drop the last incomplete batch. Default false. */
  dropLast?: boolean;
  /** Turns a list of samples into a batch (default: `defaultCollate`, which stacks tensors and numbers). */
  collate?: (samples: T[]) => B;
  /**
   * Indices to visit per epoch (overrides shuffle): an iterable, a function of the epoch, or an
   * object with `indices(epoch)` (a `DistributedSampler`).
   */
  sampler?: Iterable<number> | ((epoch: number) => Iterable<number>) | EpochSampler;
  /**
   * Whole batches of indices per epoch instead of batchSize, shuffle, sampler and dropLast (torch's
   * batch_sampler): a `BatchSampler`, an iterable of index lists, or a function of the epoch.
   */
  batchSampler?: Iterable<number[]> | ((epoch: number) => Iterable<number[]>) | BatchSampler;
  /**
   * Worker threads that build and collate batches (PyTorch's num_workers; default 0: this thread).
   * The dataset must be one workers can build: `await data.fromModule(url, ...args)`, a
   * TensorDataset or SharedTensorDataset (shared, not copied per worker), `data.cifar10`, or
   * `Transformed` (with data.transforms), `Subset` and `ConcatDataset` of those, or an instance of
   * a Dataset class that names the module exporting it (`static moduleUrl = import.meta.url`),
   * whose own fields are structured-cloned into each worker (tensors as copies). Batches come in
   * order; iterate with `for await`. Every batch is built on a random stream seeded from (seed,
   * epoch, batch number), in a worker or not, so batches are byte-identical for any numWorkers.
   */
  numWorkers?: number;
  /** Batches requested ahead per worker (default 2). */
  prefetchFactor?: number;
  /** Keep the workers between epochs (default false: they stop at each epoch's end). */
  persistentWorkers?: boolean;
  /** Milliseconds a worker may take for one batch before the loader fails (default 0: no limit). */
  timeout?: number;
  /** A module URL whose default export each worker calls with `{ id, numWorkers, seed }` at start. */
  workerInit?: string;
  /**
   * With workers, hand out batches in order (default true); false yields each batch as it arrives,
   * so one slow batch does not hold up the others (every batch still comes once per epoch).
   */
  inOrder?: boolean;
}

/**
 * Batches over a dataset. `for (const [x, y] of loader)` or `for await (...)`.
 * @example const loader = new data.DataLoader(ds, { batchSize: 32, shuffle: true, seed: 0 })
 */
export class DataLoader<T, B = Collated<T>> implements Iterable<B>, AsyncIterable<B> {
  readonly batchSize: number;
  private epochIndex = 0;
  private seed: number;
  // Batches of epochIndex the next iteration skips (a mid-epoch resume).
  private startBatch = 0;
  // The epoch being iterated and the batches handed out of it (until the next iteration starts).
  private cursor: { epoch: number; batch: number } | undefined;
  private source: WorkerSource | undefined;
  constructor(
    readonly dataset: Dataset<T> | IterableDataset<T>,
    readonly options: DataLoaderOptions<T, B> = {},
  ) {
    if (!(dataset instanceof Dataset) && !(dataset instanceof IterableDataset))
      fail('INVALID_ARGUMENT', `DataLoader: expected a Dataset or IterableDataset, got ${describe(dataset)}`);
    this.options = options = checkOptions('DataLoader', options, {
      batchSize: 'any',
      shuffle: 'boolean',
      seed: 'integer',
      generator: 'any',
      dropLast: 'boolean',
      collate: 'function',
      sampler: 'any',
      batchSampler: 'any',
      numWorkers: 'integer',
      prefetchFactor: 'integer',
      persistentWorkers: 'boolean',
      timeout: 'number',
      workerInit: 'string',
      inOrder: 'boolean',
    });
    const nw = options.numWorkers ?? 0;
    if (nw < 0 || nw > 256) fail('INVALID_ARGUMENT', `DataLoader: numWorkers must be in [0, 256], got ${nw}`);
    if ((options.prefetchFactor ?? 2) < 1)
      fail('INVALID_ARGUMENT', `DataLoader: prefetchFactor must be >= 1, got ${options.prefetchFactor}`);
    if (!((options.timeout ?? 0) >= 0))
      fail('INVALID_ARGUMENT', `DataLoader: timeout must be >= 0, got ${options.timeout}`);
    // Checked (and a TensorDataset shared) now, so a dataset workers cannot build fails here.
    if (nw > 0) this.source = workerSource(dataset);
    if (nw > 0 && options.collate)
      fail(
        'INVALID_ARGUMENT',
        'DataLoader: with numWorkers the workers collate with defaultCollate; drop the collate option',
      );
    const sampler = options.sampler;
    if (
      sampler !== undefined &&
      typeof sampler !== 'function' &&
      typeof (sampler as Iterable<number>)?.[Symbol.iterator] !== 'function' &&
      typeof (sampler as { indices?: unknown })?.indices !== 'function'
    )
      fail(
        'INVALID_ARGUMENT',
        `DataLoader: sampler must be an iterable of indices, a function of the epoch or an object with indices(epoch), got ${describe(sampler)}`,
      );
    const bs = options.batchSampler;
    if (bs !== undefined) {
      if (
        !(bs instanceof BatchSampler) &&
        typeof bs !== 'function' &&
        typeof (bs as Iterable<number[]>)?.[Symbol.iterator] !== 'function'
      )
        fail(
          'INVALID_ARGUMENT',
          `DataLoader: batchSampler must be a BatchSampler, an iterable of index lists or a function of the epoch, got ${describe(bs)}`,
        );
      const clash = (['batchSize', 'shuffle', 'sampler', 'dropLast'] as const).filter(
        (k) => options[k] !== undefined && options[k] !== false && !(k === 'batchSize' && options[k] === 1),
      );
      if (clash.length)
        fail('INVALID_ARGUMENT', `DataLoader: batchSampler excludes ${clash.join(', ')} (the batches are its own)`);
    }
    this.batchSize = options.batchSize ?? 1;
    if (!Number.isInteger(this.batchSize) || this.batchSize <= 0)
      fail('INVALID_ARGUMENT', `DataLoader: batchSize must be a positive integer, got ${describe(options.batchSize)}`);
    if (dataset instanceof IterableDataset && (options.shuffle || options.sampler || options.batchSampler))
      fail('INVALID_ARGUMENT', 'DataLoader: an IterableDataset cannot be shuffled or sampled');
    if (dataset instanceof Dataset && dataset.length === 0)
      fail('INVALID_ARGUMENT', 'DataLoader: the dataset is empty');
    this.seed = seedOf('DataLoader', options);
  }

  /** The epoch the next iteration runs (each full or partial iteration counts one). */
  get epoch(): number {
    return this.epochIndex;
  }
  /**
   * Makes the next iteration run epoch `e` (its shuffle order and random streams depend only on
   * the seed and e), from batch `batch` on: the batches before it are not loaded.
   * @example loader.setEpoch(3)
   */
  setEpoch(e: number, batch = 0): void {
    if (!Number.isInteger(e) || e < 0)
      fail('INVALID_ARGUMENT', `DataLoader.setEpoch: expected a non-negative integer, got ${describe(e)}`);
    if (!Number.isInteger(batch) || batch < 0)
      fail('INVALID_ARGUMENT', `DataLoader.setEpoch: batch must be a non-negative integer, got ${describe(batch)}`);
    this.epochIndex = e;
    this.startBatch = batch;
  }
  /**
   * The loader's position: seed, epoch and the batches of it already handed out (mid-epoch while
   * an iteration is under way or was left), so a resumed run sees the same remaining batches, with
   * the same random transforms (every batch's stream comes from seed, epoch and batch number).
   * Exact for map-style datasets with inOrder (the default); an IterableDataset resumes at its epoch.
   */
  stateDict(): { seed: number; epoch: number; batch: number } {
    const c = this.cursor;
    return c ? { seed: this.seed, ...c } : { seed: this.seed, epoch: this.epochIndex, batch: this.startBatch };
  }
  /** Restores what `stateDict` returned: the next iteration continues that epoch at that batch. */
  loadStateDict(sd: { seed: number; epoch: number; batch?: number }): void {
    const batch = sd?.batch ?? 0;
    if (
      !sd ||
      !Number.isInteger(sd.seed) ||
      !Number.isInteger(sd.epoch) ||
      sd.epoch < 0 ||
      !Number.isInteger(batch) ||
      batch < 0
    )
      fail(
        'INVALID_ARGUMENT',
        `DataLoader.loadStateDict: expected { seed, epoch, batch } non-negative integers, got ${describe(sd)}`,
      );
    this.seed = sd.seed;
    this.epochIndex = sd.epoch;
    this.startBatch = batch;
    this.cursor = undefined;
  }

  /** Number of batches per epoch (map-style datasets). */
  get length(): number {
    if (!(this.dataset instanceof Dataset)) fail('INVALID_ARGUMENT', 'DataLoader: an IterableDataset has no length');
    if (this.options.batchSampler) return [...this.batchesOf(this.epochIndex)].length;
    const n = this.options.sampler ? [...this.indices(this.epochIndex)].length : this.dataset.length;
    return this.options.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  // Epoch `epoch`'s batches from the batchSampler option.
  private batchesOf(epoch: number): Iterable<number[]> {
    const bs = this.options.batchSampler!;
    if (bs instanceof BatchSampler) return bs.batches(epoch);
    return typeof bs === 'function' ? bs(epoch) : bs;
  }

  private indices(epoch: number): Iterable<number> {
    const s = this.options.sampler;
    if (s) {
      if (typeof s === 'function') return s(epoch);
      if (typeof (s as { indices?: unknown }).indices === 'function') return (s as EpochSampler).indices(epoch);
      return s as Iterable<number>;
    }
    const n = (this.dataset as Dataset<T>).length;
    // Each epoch's order comes from (seed, epoch) alone, so a loader can be put back at any epoch.
    return this.options.shuffle
      ? permutation(n, epochRandom(this.seed, epoch))
      : Array.from({ length: n }, (_, i) => i);
  }

  // The next iteration's batches of samples: for a map-style dataset, each batch's samples are
  // read on that batch's random stream (this thread's stream is put back after); an iterable
  // dataset's stream is cut into lists of batchSize.
  private *groups(): Generator<(T | Promise<T>)[]> {
    const ds = this.dataset;
    if (ds instanceof Dataset) {
      for (const [b, idx] of this.indexGroups())
        yield onStream(batchSeed(this.seed, this.cursor!.epoch, b), () => idx.map((i) => ds.get(i)));
      return;
    }
    this.cursor = { epoch: this.epochIndex++, batch: 0 };
    this.startBatch = 0;
    let batch: (T | Promise<T>)[] = [];
    for (const s of ds) {
      batch.push(s);
      if (batch.length === this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0 && !this.options.dropLast) yield batch;
  }

  // A batch was handed out.
  private handed(): void {
    if (this.cursor) this.cursor.batch++;
  }

  private collate(samples: T[]): B {
    return (this.options.collate ?? (defaultCollate as (s: T[]) => B))(samples);
  }

  /** The batches of the next epoch, made synchronously. */
  *[Symbol.iterator](): Iterator<B> {
    if ((this.options.numWorkers ?? 0) > 0)
      fail('INVALID_ARGUMENT', 'DataLoader: a loader with numWorkers is iterated with for await');
    for (const g of this.groups()) {
      if (g.some((s) => s instanceof Promise))
        fail('INVALID_ARGUMENT', 'DataLoader: the dataset returns promises; iterate with for await');
      const batch = this.collate(g as T[]);
      this.handed();
      yield batch;
    }
    this.cursor = undefined; // the epoch is complete
  }

  /** The batches of the next epoch, prefetching the next batch while this one is used (`for await`). */
  async *[Symbol.asyncIterator](): AsyncIterator<B> {
    if ((this.options.numWorkers ?? 0) > 0) {
      yield* this.fromWorkers();
      return;
    }
    const it = this.groups();
    const fetch = async (): Promise<B | undefined> => {
      const r = it.next();
      if (r.done) return undefined;
      // A synchronous dataset's samples need no Promise.all (it costs a microtask per sample).
      return this.collate(r.value.some((v) => v instanceof Promise) ? await Promise.all(r.value) : (r.value as T[]));
    };
    // The next batch is requested before the current one is handed out, so an async dataset's
    // reads overlap the training step. (Samples a dataset resolves later, after an await, are
    // not made on their batch's stream: only the synchronous part of get() is.)
    let next = fetch();
    for (;;) {
      const batch = await next;
      if (batch === undefined) {
        this.cursor = undefined; // the epoch is complete
        return;
      }
      next = fetch();
      this.handed();
      yield batch;
    }
  }

  private pool: WorkerPool | undefined;

  // The epoch's batches from the workers: up to prefetchFactor per worker requested ahead, handed
  // out in order. Without persistentWorkers the workers stop when the epoch ends (or fails).
  private async *fromWorkers(): AsyncGenerator<B> {
    const o = this.options;
    const nw = o.numWorkers!;
    this.pool ??= new WorkerPool(this.source!, nw, this.seed, o.timeout ?? 0, o.workerInit, transportInUse);
    const pool = this.pool;
    const depth = nw * (o.prefetchFactor ?? 2);
    let ahead: Promise<unknown>[] = [];
    let next: () => boolean; // requests one more batch; false when there is none
    if (this.dataset instanceof Dataset) {
      // With persistent workers, the previous epoch's end already requested this epoch's first
      // batches (its order is known from seed and epoch): used if the loader was not moved since.
      const early = this.early;
      this.early = undefined;
      let stream: EpochRequests;
      if (early && early.epoch === this.epochIndex && early.batch === this.startBatch && early.seed === this.seed) {
        this.epochIndex++;
        this.startBatch = 0;
        this.cursor = { epoch: early.epoch, batch: early.batch };
        stream = early;
      } else {
        if (early) discard(early.ahead);
        const epoch = this.epochIndex++;
        stream = this.requests(pool, epoch, this.startBatch);
        this.cursor = { epoch, batch: this.startBatch };
        this.startBatch = 0;
      }
      ahead = stream.ahead;
      next = stream.next;
    } else {
      // An iterable dataset: each worker iterates its own copy (getWorkerInfo shards it) and
      // batches come from the workers in turn, skipping those that ran out, as PyTorch's.
      const epoch = this.epochIndex++;
      this.cursor = { epoch, batch: 0 };
      this.startBatch = 0;
      const live = Array.from({ length: nw }, (_, w) => w);
      const sent = new Array<number>(nw).fill(0);
      let turn = 0;
      next = () => {
        if (live.length === 0) return false;
        const w = live[turn++ % live.length];
        const k = ++sent[w];
        const p = pool.requestStream(w, epoch, batchSeed(this.seed, epoch, k * nw + w), this.batchSize, !!o.dropLast);
        // A worker that ran out leaves the turn; requests already sent to it answer "done" too.
        ahead.push(p.then((v) => (v === STREAM_DONE && live.includes(w) && live.splice(live.indexOf(w), 1), v)));
        return true;
      };
    }
    // With persistent workers the next epoch's first batches are requested as soon as this
    // epoch's last are (its order is known from seed and epoch), keeping the workers busy across
    // the epoch boundary; the next iteration takes them if the loader was not moved meanwhile.
    const across = !!o.persistentWorkers && this.dataset instanceof Dataset;
    let exhausted = false;
    const fill = () => {
      while (!exhausted && ahead.length < depth)
        if (next())
          ahead[ahead.length - 1].catch(() => {}); // rethrown when awaited
        else exhausted = true;
      if (!exhausted || !across || this.pool !== pool) return;
      const early = (this.early ??= this.requests(pool, this.epochIndex, this.startBatch));
      while (ahead.length + early.ahead.length < depth && early.next())
        early.ahead[early.ahead.length - 1].catch(() => {});
    };
    let ok = false;
    try {
      fill();
      while (ahead.length) {
        let batch: unknown;
        if (o.inOrder ?? true) batch = await ahead.shift()!;
        else {
          // The first batch to arrive, whichever it is (PyTorch's in_order=False).
          const [k, v] = await Promise.race(ahead.map((p, k) => p.then((v) => [k, v] as const)));
          ahead.splice(k, 1);
          batch = v;
        }
        fill();
        if (batch === STREAM_DONE) continue;
        this.handed();
        yield batch as B;
      }
      ok = true;
      this.cursor = undefined; // the epoch is complete
    } finally {
      discard(ahead); // batches fetched ahead that nobody will use (the loop stopped early)
      if (!ok || !o.persistentWorkers) await this.shutdown();
    }
  }

  // Batches requested ahead for the next epoch (persistent workers only).
  private early: EpochRequests | undefined;

  // The requests of a map-style epoch from batch `skip` on, made by next() one batch at a time.
  private requests(pool: WorkerPool, epoch: number, skip: number): EpochRequests {
    const groups = this.groupsOf(epoch, skip);
    const ahead: Promise<unknown>[] = [];
    const next = () => {
      const r = groups.next();
      if (r.done) return false;
      const [b, idx] = r.value;
      ahead.push(pool.request(idx, batchSeed(this.seed, epoch, b)));
      return true;
    };
    return { epoch, batch: skip, seed: this.seed, ahead, next };
  }

  // The next iteration's dataset indices in batches (the last shorter unless dropLast), with their
  // batch numbers from 1; the first startBatch batches are skipped unread.
  private *indexGroups(): Generator<[number, number[]]> {
    const epoch = this.epochIndex++;
    const skip = this.startBatch;
    this.startBatch = 0;
    this.cursor = { epoch, batch: skip };
    yield* this.groupsOf(epoch, skip);
  }

  // Epoch `epoch`'s batches of indices from batch `skip` on, numbered from 1 (no loader state changes).
  private *groupsOf(epoch: number, skip: number): Generator<[number, number[]]> {
    let b = 0;
    if (this.options.batchSampler) {
      for (const g of this.batchesOf(epoch)) {
        if (!Array.isArray(g) || g.length === 0)
          fail('INVALID_ARGUMENT', `DataLoader: batchSampler gave ${describe(g)}, not a non-empty list of indices`);
        if (++b > skip) yield [b, [...g]];
      }
      return;
    }
    let g: number[] = [];
    for (const i of this.indices(epoch)) {
      g.push(i);
      if (g.length === this.batchSize) {
        if (++b > skip) yield [b, g];
        g = [];
      }
    }
    if (g.length && !this.options.dropLast && ++b > skip) yield [b, g];
  }

  /**
   * Stops the loader's worker threads (persistentWorkers keeps them between epochs until this).
   * @example await loader.shutdown()
   */
  async shutdown(): Promise<void> {
    if (this.early) discard(this.early.ahead);
    this.early = undefined;
    const p = this.pool;
    this.pool = undefined;
    await p?.close();
  }
}
