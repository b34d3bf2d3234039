// DataLoader workers (PyTorch's num_workers) on worker_threads: each worker builds the dataset
// once, then turns lists of indices into collated batches; the main thread hands out batch
// indices and yields the results in order. A batch's tensors cross without a copy: the worker
// parks each one's native storage in the addon's handoff table and posts the token, and the main
// thread takes the storage over (bindings/handoff.cpp). Buffers made by the addon cannot move
// between threads as JS ArrayBuffers, and N-API cannot read a SharedArrayBuffer, so the other
// way ('copy', kept for comparison) copies the elements out into a moved ArrayBuffer and back in.
import { isMainThread, Worker, workerData } from 'node:worker_threads';

import { fail, TensorError } from '../errors.js';
import { describe } from '../options.js';
import { binding } from '../binding.js';
import { tensor } from '../ops/creation.js';
import { fromHalfBits, fromStoredBytes, storedBytes, Tensor, wrap } from '../tensor.js';
import { ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset } from './dataset.js';
import { ITEMSIZE, type DType } from '../dtype.js';
import { Cifar10, Transformed } from './images.js';
import { transformFromSpec, type TransformSpec } from './image_transforms.js';

/** What `getWorkerInfo()` returns inside a DataLoader worker (null in the main thread). */
export interface WorkerInfo {
  /** This worker's number in [0, numWorkers). */
  id: number;
  numWorkers: number;
  /**
   * The loader's seed + id, manualSeed'd when the worker starts (workerInit sees that stream).
   * Each batch is then built on a stream seeded from the loader's seed, the epoch and the batch's
   * number, so random transforms differ from batch to batch and epoch to epoch, and a batch is the
   * same whichever worker builds it, and after a resume.
   */
  seed: number;
  /** The dataset as this worker built it. */
  dataset: Dataset<unknown> | IterableDataset<unknown>;
}

let info: WorkerInfo | null = null;

/** @internal Set by the worker entry (worker_main.ts). */
export function setWorkerInfo(i: WorkerInfo): void {
  info = i;
}

/**
 * Inside a DataLoader worker, which worker this is (so an IterableDataset can shard itself, or a
 * transform seed itself); null in the main thread.
 * @example const w = data.getWorkerInfo(); const mine = w ? rows.filter((_, i) => i % w.numWorkers === w.id) : rows;
 */
export function getWorkerInfo(): WorkerInfo | null {
  return info;
}

/**
 * A dataset that workers can build themselves: the default export (or `exportName`) of the module
 * at `url`, a Dataset class constructed with `args` or a function returning a dataset. Made with
 * `data.fromModule`; the main thread builds one too (for its length, and numWorkers: 0).
 */
export class ModuleDataset<T = unknown> extends Dataset<T> {
  /** @internal */
  constructor(
    /** The module's URL (a file: URL string). */
    readonly url: string,
    /** The arguments its constructor or factory gets (structured-clonable). */
    readonly args: readonly unknown[],
    /** The dataset built in this thread. */
    readonly inner: Dataset<T>,
  ) {
    super();
  }
  get length(): number {
    return this.inner.length;
  }
  get(i: number): T | Promise<T> {
    return this.inner.get(i);
  }
}

/**
 * An iterable dataset that workers can build themselves (see ModuleDataset): each worker iterates
 * its own copy, and can take its share with `data.getWorkerInfo()`. Made by `data.fromModule`
 * when the module makes an IterableDataset.
 */
export class ModuleIterableDataset<T = unknown> extends IterableDataset<T> {
  /** @internal */
  constructor(
    /** The module's URL (a file: URL string). */
    readonly url: string,
    /** The arguments its constructor or factory gets (structured-clonable). */
    readonly args: readonly unknown[],
    /** The dataset built in this thread. */
    readonly inner: IterableDataset<T>,
  ) {
    super();
  }
  [Symbol.iterator](): Iterator<T> {
    return this.inner[Symbol.iterator]();
  }
}

/** @internal Builds the dataset a module exports (in the main thread and in each worker). */
export async function buildFromModule(
  url: string,
  args: readonly unknown[],
): Promise<Dataset<unknown> | IterableDataset<unknown>> {
  const mod = (await import(url)) as Record<string, unknown>;
  const make = mod.default;
  if (typeof make !== 'function')
    fail(
      'INVALID_ARGUMENT',
      `fromModule: ${url} has no default export that makes a dataset (a Dataset class or a function)`,
    );
  const isClass = /^class\b/.test(Function.prototype.toString.call(make));
  const ds = isClass
    ? new (make as new (...a: unknown[]) => unknown)(...args)
    : await (make as (...a: unknown[]) => unknown)(...args);
  if (!(ds instanceof Dataset) && !(ds instanceof IterableDataset))
    fail(
      'INVALID_ARGUMENT',
      `fromModule: the default export of ${url} made ${describe(ds)}, not a data.Dataset or data.IterableDataset`,
    );
  return ds;
}

/**
 * A dataset DataLoader workers can build: the default export of the module at `url` (a Dataset or
 * IterableDataset subclass, constructed with `args`, or a function of `args` returning one). A
 * map-style dataset gives a ModuleDataset; an iterable one a ModuleIterableDataset.
 * @example const ds = await data.fromModule(new URL('./my-dataset.js', import.meta.url), 'train'); new data.DataLoader(ds, { numWorkers: 2 })
 */
export async function fromModule<T = unknown>(url: string | URL, ...args: unknown[]): Promise<ModuleDataset<T>>;
export async function fromModule<T = unknown>(
  url: string | URL,
  ...args: unknown[]
): Promise<ModuleDataset<T> | ModuleIterableDataset<T>>;
export async function fromModule<T = unknown>(
  url: string | URL,
  ...args: unknown[]
): Promise<ModuleDataset<T> | ModuleIterableDataset<T>> {
  const href = url instanceof URL ? url.href : typeof url === 'string' && /^[a-z]+:/i.test(url) ? url : undefined;
  if (href === undefined)
    fail('INVALID_ARGUMENT', `fromModule: expected a URL (file:... or a URL object), got ${describe(url)}`);
  const inner = await buildFromModule(href, args);
  return inner instanceof Dataset
    ? new ModuleDataset<T>(href, args, inner as Dataset<T>)
    : new ModuleIterableDataset<T>(href, args, inner as IterableDataset<T>);
}

// ---- a read-only dataset every worker reads from one SharedArrayBuffer ---------------------------

// The typed array that views a dtype's stored elements (16-bit floats as their bits).
const SHARED_VIEW = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
} as const satisfies Record<DType, unknown>;

/** @internal One tensor of a SharedTensorDataset as it travels to workers (the buffer is shared). */
export interface SharedSpec {
  buffer: SharedArrayBuffer;
  dtype: DType;
  shape: number[];
}

/**
 * A TensorDataset whose tensors live in SharedArrayBuffers: DataLoader workers read the one copy
 * (a 200 MB CIFAR array is not copied per worker). Sample i is the tensors' rows i (copied out).
 * @example const ds = new data.SharedTensorDataset(images, labels); new data.DataLoader(ds, { batchSize: 64, numWorkers: 2 })
 */
export class SharedTensorDataset extends Dataset<Tensor[]> {
  /** @internal The shared buffers, dtypes and shapes. */
  readonly specs: SharedSpec[];

  constructor(...tensors: Tensor[]) {
    super();
    if (tensors.length === 0 || tensors.some((t) => !(t instanceof Tensor)))
      fail('INVALID_ARGUMENT', 'SharedTensorDataset: expected one or more tensors');
    const n = tensors[0].shape[0];
    if (tensors.some((t) => t.ndim === 0 || t.shape[0] !== n))
      fail(
        'SHAPE_MISMATCH',
        `SharedTensorDataset: every tensor needs the same first dimension, got ${tensors.map((t) => `[${t.shape.join(', ')}]`).join(', ')}`,
      );
    this.specs = tensors.map((t) => {
      // The elements as stored (16-bit floats as their bits), through one JS copy: N-API cannot
      // read into a SharedArrayBuffer.
      const bytes = storedBytes(t);
      const buffer = new SharedArrayBuffer(Math.max(bytes.byteLength, 1));
      new Uint8Array(buffer).set(bytes);
      return { buffer, dtype: t.dtype as DType, shape: [...t.shape] };
    });
  }

  /** @internal A worker's view of the same buffers. */
  static fromSpecs(specs: SharedSpec[]): SharedTensorDataset {
    const ds = Object.create(SharedTensorDataset.prototype) as SharedTensorDataset;
    (ds as { specs: SharedSpec[] }).specs = specs;
    return ds;
  }

  get length(): number {
    return this.specs[0].shape[0];
  }

  get(i: number): Tensor[] {
    if (!Number.isInteger(i) || i < 0 || i >= this.length)
      fail('INDEX_OUT_OF_RANGE', `SharedTensorDataset: index ${describe(i)} is outside [0, ${this.length})`);
    return this.specs.map(({ buffer, dtype, shape }) => {
      const rowShape = shape.slice(1);
      const count = rowShape.reduce((a, b) => a * b, 1);
      // The core copies the row straight out of the shared memory: no JS copy, no garbage.
      const view = new SHARED_VIEW[dtype](buffer as unknown as ArrayBuffer, i * count * ITEMSIZE[dtype], count);
      return view instanceof Uint16Array
        ? fromHalfBits(view, rowShape, dtype as 'float16' | 'bfloat16')
        : wrap(binding.fromData(view as Float32Array, [rowShape]));
    });
  }

  /**
   * @internal The collated batch of these rows (what defaultCollate makes of their samples),
   * gathered by the core straight from the shared memory: one copy per tensor.
   */
  rows(indices: readonly number[]): Tensor[] {
    return this.specs.map(({ buffer, dtype, shape }) => {
      const view = new SHARED_VIEW[dtype](
        buffer as unknown as ArrayBuffer,
        0,
        shape.reduce((a, b) => a * b, 1),
      );
      return wrap(binding.fromRows(view, [shape.slice(1)], indices, dtype));
    });
  }
}

// ---- datasets across threads ---------------------------------------------------------------------

/**
 * @internal A dataset as plain data a worker can build again: a module and its arguments, shared
 * buffers, or one of the built-in wrappers (transformed, subset, concatenation) around those.
 */
export type WorkerSource =
  | { kind: 'module'; url: string; args: readonly unknown[] }
  | { kind: 'shared'; specs: SharedSpec[] }
  | { kind: 'cifar10'; bytes: SharedArrayBuffer }
  | { kind: 'transformed'; of: WorkerSource; transform: TransformSpec }
  | { kind: 'subset'; of: WorkerSource; indices: readonly number[] }
  | { kind: 'concat'; of: WorkerSource[] }
  | { kind: 'instance'; url: string; name: string; state: Record<string, unknown> };

// A TensorDataset's tensors are copied into shared memory once per dataset, not once per loader.
const sharedCopies = new WeakMap<TensorDataset, SharedTensorDataset>();

/**
 * @internal What a worker needs to build `ds` again, or INVALID_ARGUMENT naming the part that
 * cannot cross (a dataset class the workers cannot import, a transform that is a plain function).
 */
export function workerSource(ds: unknown): WorkerSource {
  if (ds instanceof ModuleDataset || ds instanceof ModuleIterableDataset)
    return { kind: 'module', url: ds.url, args: ds.args };
  if (ds instanceof SharedTensorDataset) return { kind: 'shared', specs: ds.specs };
  if (ds instanceof TensorDataset) {
    let shared = sharedCopies.get(ds);
    if (!shared) sharedCopies.set(ds, (shared = new SharedTensorDataset(...ds.tensors)));
    return { kind: 'shared', specs: shared.specs };
  }
  if (ds instanceof Cifar10) return { kind: 'cifar10', bytes: ds.sharedBytes };
  if (ds instanceof Transformed) {
    const spec = ds.transform.spec;
    if (!spec)
      fail(
        'INVALID_ARGUMENT',
        'DataLoader: workers can run the data.transforms transforms (and compose of them), not a plain function; build the dataset in a module and use data.fromModule',
      );
    if (spec.seeded)
      fail(
        'INVALID_ARGUMENT',
        'DataLoader: a transform made with its own seed cannot run in workers (each would repeat its stream); leave seed out: the loader seeds every batch',
      );
    return { kind: 'transformed', of: workerSource(ds.dataset), transform: spec };
  }
  if (ds instanceof Subset) return { kind: 'subset', of: workerSource(ds.dataset), indices: [...ds.indices] };
  if (ds instanceof ConcatDataset) return { kind: 'concat', of: ds.datasets.map(workerSource) };
  const url = (ds as { constructor?: { moduleUrl?: unknown } })?.constructor?.moduleUrl;
  if ((ds instanceof Dataset || ds instanceof IterableDataset) && typeof url === 'string')
    return instanceSource(ds, url);
  fail(
    'INVALID_ARGUMENT',
    `DataLoader: numWorkers needs a dataset the workers can build: await data.fromModule(url, ...args), a TensorDataset or SharedTensorDataset, data.cifar10, Transformed, Subset and ConcatDataset of those, or a Dataset class that exports itself from its module and says where (static moduleUrl = import.meta.url); got ${describe(ds)}`,
  );
}

// A Dataset whose class names its module (static moduleUrl): its own fields, structured-cloned
// into each worker (tensors as their elements), and its class imported there by name.
function instanceSource(ds: object, url: string): WorkerSource {
  const name = ds.constructor.name;
  const state: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ds)) {
    const value =
      v instanceof Tensor ? { [TENSOR_FIELD]: { bytes: storedBytes(v), dtype: v.dtype, shape: [...v.shape] } } : v;
    try {
      structuredClone(value);
    } catch (e) {
      fail(
        'INVALID_ARGUMENT',
        `DataLoader: the field ${describe(k)} of ${name} cannot be sent to workers (${(e as Error).message}); build it in the constructor from clonable arguments, or use data.fromModule`,
      );
    }
    state[k] = value;
  }
  return { kind: 'instance', url, name, state };
}

const TENSOR_FIELD = '__tensorkitTensor';

async function buildInstance(src: { url: string; name: string; state: Record<string, unknown> }) {
  const mod = (await import(src.url)) as Record<string, unknown>;
  const C = [mod[src.name], mod.default].find(
    (c) => typeof c === 'function' && (c as { name: string }).name === src.name,
  );
  if (!C) fail('INVALID_ARGUMENT', `DataLoader worker: ${src.url} exports no class named ${describe(src.name)}`);
  const ds = Object.create((C as { prototype: object }).prototype) as Record<string, unknown>;
  for (const [k, v] of Object.entries(src.state)) {
    const t = (v as Record<string, { bytes: Uint8Array; dtype: DType; shape: number[] }> | null)?.[TENSOR_FIELD];
    ds[k] = t ? fromStoredBytes(t.bytes, t.dtype, t.shape) : v;
  }
  return ds as unknown as Dataset<unknown>;
}

/** @internal Builds a WorkerSource's dataset (in a worker). */
export async function buildSource(src: WorkerSource): Promise<Dataset<unknown> | IterableDataset<unknown>> {
  switch (src.kind) {
    case 'module':
      return buildFromModule(src.url, src.args);
    case 'shared':
      return SharedTensorDataset.fromSpecs(src.specs);
    case 'cifar10':
      return Cifar10.fromShared(src.bytes);
    case 'transformed':
      return new Transformed(
        (await buildSource(src.of)) as Dataset<[Tensor, unknown]>,
        transformFromSpec(src.transform),
      ) as Dataset<unknown>;
    case 'subset':
      return new Subset((await buildSource(src.of)) as Dataset<unknown>, src.indices);
    case 'concat':
      return new ConcatDataset((await Promise.all(src.of.map(buildSource))) as Dataset<unknown>[]);
    case 'instance':
      return buildInstance(src);
  }
}

// ---- batches across threads ---------------------------------------------------------------------

/** @internal How a batch's tensors reach the main thread: handed over (no copy) or copied. */
export type Transport = 'handoff' | 'copy';

type Wire =
  | { t: 1; dtype: DType; shape: number[]; data: ArrayBufferView }
  | { t: 2; token: number }
  | Wire[]
  | { [k: string]: Wire }
  | unknown;

/**
 * @internal A collated batch as plain data. 'handoff': each tensor parked in the addon's table
 * under `group` (the main thread takes its storage over); 'copy': its elements copied into a JS
 * ArrayBuffer listed in `transfer`, which postMessage moves.
 */
export function toWire(b: unknown, transfer: ArrayBuffer[], transport: Transport = 'copy', group = 0): Wire {
  if (b instanceof Tensor) {
    let w: Wire;
    if (transport === 'handoff') {
      // Without autograd history (a graph's nodes stay in their thread), contiguous.
      const d = b.detach(),
        c = d.contiguous();
      w = { t: 2 as const, token: binding.handoffPut(c._h, group) };
      c.dispose();
      d.dispose();
    } else {
      const data = b.data() as ArrayBufferView;
      transfer.push(data.buffer as ArrayBuffer);
      w = { t: 1 as const, dtype: b.dtype, shape: [...b.shape], data };
    }
    b.dispose();
    return w;
  }
  if (Array.isArray(b)) return b.map((x) => toWire(x, transfer, transport, group));
  if (b !== null && typeof b === 'object')
    return Object.fromEntries(Object.entries(b).map(([k, v]) => [k, toWire(v, transfer, transport, group)]));
  return b;
}

/** @internal The batch back in this thread: handed-over tensors taken, copied ones copied in once. */
export function fromWire(w: Wire): unknown {
  if (Array.isArray(w)) return w.map(fromWire);
  if (w !== null && typeof w === 'object') {
    const o = w as Record<string, unknown>;
    if (o.t === 2 && typeof o.token === 'number') return wrap(binding.handoffTake(o.token));
    if (o.t === 1 && ArrayBuffer.isView(o.data))
      return tensor(o.data as Float32Array, { shape: o.shape as number[], dtype: o.dtype as DType } as never);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, fromWire(v)]));
  }
  return w;
}

/** @internal Frees the handed-over tensors of a batch nobody will take. */
export function dropWire(w: Wire): void {
  if (Array.isArray(w)) w.forEach(dropWire);
  else if (w !== null && typeof w === 'object') {
    const o = w as Record<string, unknown>;
    if (o.t === 2 && typeof o.token === 'number') binding.handoffDrop(o.token);
    else if (o.t !== 1) Object.values(o).forEach(dropWire);
  }
}

// ---- the main thread's pool -----------------------------------------------------------------------

interface Pending {
  resolve: (b: unknown) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

/** @internal What requestStream gives once a worker's pass over an iterable dataset has ended. */
export const STREAM_DONE: unique symbol = Symbol('end of a worker stream');

let live = 0;
/** @internal Worker threads alive in this process (tests check that none are left). */
export function liveWorkers(): number {
  return live;
}

const workerEntry = (): URL => {
  const ts = import.meta.url.endsWith('.ts');
  return new URL(ts ? './worker_main.ts' : './worker_main.js', import.meta.url);
};

/** @internal The workers of one DataLoader. */
export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private failure: Error | undefined;
  private next = 0;
  private closed = false;
  // This pool's tag on the tensors its workers park (process-wide unique in practice).
  private readonly group = Math.floor(Math.random() * 2 ** 52);

  constructor(
    source: WorkerSource,
    readonly numWorkers: number,
    seed: number,
    private readonly timeoutMs: number,
    workerInit: string | undefined,
    transport: Transport = 'handoff',
  ) {
    const entry = workerEntry();
    for (let id = 0; id < numWorkers; id++) {
      const data = { source, id, numWorkers, seed: seed + id, workerInit, transport, group: this.group };
      // From the TypeScript sources (tests, tsx), the worker registers tsx's loader before its
      // entry: a Worker does not inherit the main thread's --import hooks on Node 20.
      const w = entry.pathname.endsWith('.ts')
        ? new Worker(
            `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); });`,
            { eval: true, workerData: data },
          )
        : new Worker(entry, { workerData: data });
      live++;
      w.on(
        'message',
        (m: {
          id: number;
          batch?: Wire;
          done?: boolean;
          error?: { message: string; stack?: string; code?: string };
        }) => {
          const p = this.pending.get(m.id);
          if (!p) return dropWire(m.batch); // failed or shut down meanwhile
          this.settle(m.id);
          if (m.error) {
            const e = new TensorError(
              `DataLoader worker ${id}: ${m.error.message}\n(in the worker) ${m.error.stack ?? ''}`,
              m.error.code ?? 'INVALID_ARGUMENT',
            );
            p.reject(e);
          } else p.resolve(m.done ? STREAM_DONE : fromWire(m.batch));
        },
      );
      w.on('error', (e) =>
        this.fail(new TensorError(`DataLoader worker ${id} failed: ${e.message}\n${e.stack ?? ''}`, 'INTERNAL')),
      );
      w.on('exit', (code) => {
        live--;
        if (!this.closed)
          this.fail(new TensorError(`DataLoader worker ${id} exited unexpectedly (exit code ${code})`, 'INTERNAL'));
      });
      this.workers.push(w);
    }
    this.keepAlive(); // nothing requested yet
  }

  private settle(id: number): void {
    const p = this.pending.get(id);
    if (p?.timer) clearTimeout(p.timer);
    this.pending.delete(id);
    this.keepAlive();
  }

  // Idle workers do not keep the process alive (a script that never calls shutdown() on a loader
  // with persistentWorkers still exits); workers with batches in flight do.
  private keepAlive(): void {
    const busy = this.pending.size > 0;
    if (busy === this.refd) return;
    this.refd = busy;
    for (const w of this.workers)
      if (busy) w.ref();
      else w.unref();
  }
  private refd = true;

  // Fails every batch in flight and every later request; the loader then closes the pool.
  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    for (const [id, p] of [...this.pending]) {
      this.settle(id);
      p.reject(e);
    }
  }

  /**
   * The next batch of worker `w`'s own pass over an iterable dataset in `epoch` (a new epoch
   * starts a new pass), built on the stream of `seed`; STREAM_DONE once its pass has ended.
   */
  requestStream(w: number, epoch: number, seed: number, batchSize: number, dropLast: boolean): Promise<unknown> {
    return this.send(w, { epoch, seed, batchSize, dropLast });
  }

  /**
   * The batch of these dataset indices, from the next worker in turn, which seeds its random
   * stream with `seed` first (so the batch does not depend on which worker built it).
   */
  request(indices: number[], seed: number): Promise<unknown> {
    return this.send(this.next % this.numWorkers, { indices, seed });
  }

  private send(worker: number, msg: object): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed)
      return Promise.reject(new TensorError('DataLoader: its workers were shut down', 'INVALID_ARGUMENT'));
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const p: Pending = { resolve, reject };
      if (this.timeoutMs > 0)
        p.timer = setTimeout(
          () =>
            this.fail(
              new TensorError(
                `DataLoader: worker ${worker} took more than ${this.timeoutMs} ms for a batch (timeout)`,
                'INTERNAL',
              ),
            ),
          this.timeoutMs,
        );
      this.pending.set(id, p);
      this.keepAlive();
      this.workers[worker].postMessage({ id, ...msg });
    });
  }

  /** Stops the workers (idempotent); resolves once they have exited. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [id, p] of [...this.pending]) {
      this.settle(id);
      p.reject(new TensorError('DataLoader: its workers were shut down', 'INVALID_ARGUMENT'));
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
    binding.handoffDropGroup(this.group); // batches parked but never delivered
  }
}

/** @internal In a worker thread started by a WorkerPool. */
export function inPoolWorker(): boolean {
  return !isMainThread && (workerData as { numWorkers?: unknown } | null)?.numWorkers !== undefined;
}
