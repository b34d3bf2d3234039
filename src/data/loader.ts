// DataLoader: batches from a dataset, in order or shuffled with a seed, with a default collate
// that stacks tensors; iterable synchronously or asynchronously (then the next batch is fetched
// while the current one is used).
import { fail } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { stack } from '../ops/functional.js';
import { checkOptions, describe, list } from '../options.js';
import { Tensor } from '../tensor.js';
import { Dataset, drawSeed, IterableDataset, permutation, seededRandom } from './dataset.js';
import type { EpochSampler } from './distributed.js';
import { ModuleDataset, SharedTensorDataset, WorkerPool } from './workers.js';

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

/** Options of `DataLoader`: batching, shuffling, sampling and collation. */
export interface DataLoaderOptions<T, B> {
  /** Samples per batch. Default 1. */
  batchSize?: number;
  /** A new order every epoch, from `seed` (or the global generator). Default false. */
  shuffle?: boolean;
  /** Seed of the shuffles (default: drawn from the global generator). */
  seed?: number;
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
   * Worker threads that build and collate batches (PyTorch's num_workers; default 0: this thread).
   * The dataset must be one workers can build: `await data.fromModule(url, ...args)`. Batches
   * come in order; iterate with `for await`. Each worker seeds its random stream with seed + id.
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
      dropLast: 'boolean',
      collate: 'function',
      sampler: 'any',
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
    if (nw > 0 && !(dataset instanceof ModuleDataset) && !(dataset instanceof SharedTensorDataset))
      fail(
        'INVALID_ARGUMENT',
        'DataLoader: numWorkers needs a dataset the workers can build: await data.fromModule(url, ...args), or a data.SharedTensorDataset',
      );
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
    this.batchSize = options.batchSize ?? 1;
    if (!Number.isInteger(this.batchSize) || this.batchSize <= 0)
      fail('INVALID_ARGUMENT', `DataLoader: batchSize must be a positive integer, got ${describe(options.batchSize)}`);
    if (dataset instanceof IterableDataset && (options.shuffle || options.sampler))
      fail('INVALID_ARGUMENT', 'DataLoader: an IterableDataset cannot be shuffled or sampled');
    if (dataset instanceof Dataset && dataset.length === 0)
      fail('INVALID_ARGUMENT', 'DataLoader: the dataset is empty');
    this.seed = options.seed ?? drawSeed();
  }

  /** The epoch the next iteration runs (each full or partial iteration counts one). */
  get epoch(): number {
    return this.epochIndex;
  }
  /** Makes the next iteration run epoch `e`: its shuffle order depends only on the seed and e. */
  setEpoch(e: number): void {
    if (!Number.isInteger(e) || e < 0)
      fail('INVALID_ARGUMENT', `DataLoader.setEpoch: expected a non-negative integer, got ${describe(e)}`);
    this.epochIndex = e;
  }
  /** The loader's position (seed and epoch), so a resumed run sees the same batches. */
  stateDict(): { seed: number; epoch: number } {
    return { seed: this.seed, epoch: this.epochIndex };
  }
  /** Restores the seed and epoch `stateDict` returned, so the next epoch's order repeats. */
  loadStateDict(sd: { seed: number; epoch: number }): void {
    if (!sd || !Number.isInteger(sd.seed) || !Number.isInteger(sd.epoch) || sd.epoch < 0)
      fail('INVALID_ARGUMENT', `DataLoader.loadStateDict: expected { seed, epoch } integers, got ${describe(sd)}`);
    this.seed = sd.seed;
    this.epochIndex = sd.epoch;
  }

  /** Number of batches per epoch (map-style datasets). */
  get length(): number {
    if (!(this.dataset instanceof Dataset)) fail('INVALID_ARGUMENT', 'DataLoader: an IterableDataset has no length');
    const n = this.options.sampler ? [...this.indices(this.epochIndex)].length : this.dataset.length;
    return this.options.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
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
      ? permutation(n, seededRandom((this.seed + Math.imul(epoch + 1, 0x9e3779b9)) >>> 0))
      : Array.from({ length: n }, (_, i) => i);
  }

  // Groups a stream of samples into lists of batchSize (the last shorter unless dropLast).
  private *groups(): Generator<T[] | (T | Promise<T>)[]> {
    const source: Iterable<T | Promise<T>> =
      this.dataset instanceof Dataset
        ? (function* (ds: Dataset<T>, idx: Iterable<number>) {
            for (const i of idx) yield ds.get(i);
          })(this.dataset, this.indices(this.epochIndex++))
        : this.dataset;
    let batch: (T | Promise<T>)[] = [];
    for (const s of source) {
      batch.push(s);
      if (batch.length === this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0 && !this.options.dropLast) yield batch;
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
      yield this.collate(g as T[]);
    }
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
    // reads overlap the training step.
    let next = fetch();
    for (;;) {
      const batch = await next;
      if (batch === undefined) return;
      next = fetch();
      yield batch;
    }
  }

  private pool: WorkerPool | undefined;

  // The epoch's batches from the workers: up to prefetchFactor per worker requested ahead, handed
  // out in order. Without persistentWorkers the workers stop when the epoch ends (or fails).
  private async *fromWorkers(): AsyncGenerator<B> {
    const o = this.options;
    const ds = this.dataset;
    const nw = o.numWorkers!;
    const source =
      ds instanceof SharedTensorDataset
        ? { shared: ds.specs }
        : { url: (ds as ModuleDataset).url, args: (ds as ModuleDataset).args };
    this.pool ??= new WorkerPool(source, nw, this.seed, o.timeout ?? 0, o.workerInit);
    const pool = this.pool;
    const epoch = this.epochIndex;
    const groups = this.indexGroups();
    const ahead: Promise<unknown>[] = [];
    let b = 0;
    const fill = () => {
      while (ahead.length < nw * (o.prefetchFactor ?? 2)) {
        const r = groups.next();
        if (r.done) return;
        // Batch b of this epoch is built on its own seeded stream (see WorkerInfo.seed).
        const batchSeed = (this.seed ^ Math.imul(epoch + 1, 0x9e3779b9) ^ Math.imul(++b, 0x85ebca6b)) >>> 0;
        const p = pool.request(r.value, batchSeed);
        p.catch(() => {}); // awaited in order below; a failure is rethrown there
        ahead.push(p);
      }
    };
    let ok = false;
    try {
      fill();
      while (ahead.length) {
        let batch: B;
        if (o.inOrder ?? true) batch = (await ahead.shift()!) as B;
        else {
          // The first batch to arrive, whichever it is (PyTorch's in_order=False).
          const [k, b] = await Promise.race(ahead.map((p, k) => p.then((v) => [k, v] as const)));
          ahead.splice(k, 1);
          batch = b as B;
        }
        fill();
        yield batch;
      }
      ok = true;
    } finally {
      if (!ok || !o.persistentWorkers) await this.shutdown();
    }
  }

  // The epoch's dataset indices in batches (the last shorter unless dropLast).
  private *indexGroups(): Generator<number[]> {
    let g: number[] = [];
    for (const i of this.indices(this.epochIndex++)) {
      g.push(i);
      if (g.length === this.batchSize) {
        yield g;
        g = [];
      }
    }
    if (g.length && !this.options.dropLast) yield g;
  }

  /**
   * Stops the loader's worker threads (persistentWorkers keeps them between epochs until this).
   * @example await loader.shutdown()
   */
  async shutdown(): Promise<void> {
    const p = this.pool;
    this.pool = undefined;
    await p?.close();
  }
}
