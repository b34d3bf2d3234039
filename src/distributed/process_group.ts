// The process group and its collectives, as torch.distributed's: initProcessGroup() once per
// process (the launcher's environment gives rank and world size), then collectives on tensors.
// Operations run on the MPI addon's communication thread (a blocking collective, on the caller's
// thread while that one is idle); the sync form waits for it, the `{ async: true }` form returns a
// Work whose wait() is a Promise, so the event loop keeps running.
// Under backend 'nccl', an operation on CUDA tensors goes to NCCL (queued on its own stream after
// tensorkit's stream for the device has been synchronised); CPU tensors still go through MPI.
import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';

import { tensorArg, tensorList } from '../args.js';
import { noGrad } from '../autograd.js';
import { binding, type Handle } from '../binding.js';
import type { DType } from '../dtype.js';
import { fail, TensorError } from '../errors.js';
import { cat } from '../ops/functional.js';
import { zeros } from '../ops/creation.js';
import { checkOptions, describe } from '../options.js';
import { Tensor } from '../tensor.js';
import { INSTALL_MPI, mpiAddonPath, mpiBinding, type MpiBinding } from './binding.js';
import { installGroupHelpers } from './installs.js';
import { startHeartbeat, waiting } from './watchdog.js';

/** The communication library: 'mpi' (Open MPI, CPU tensors) or 'nccl' (GPU tensors). */
export type Backend = 'mpi' | 'nccl';
/** How allReduce and reduceScatter combine the ranks' tensors (torch.distributed.ReduceOp). */
export type ReduceOp = 'sum' | 'avg' | 'max' | 'min' | 'product';
const REDUCE_OPS: readonly ReduceOp[] = ['sum', 'avg', 'max', 'min', 'product'];

/** Options of initProcessGroup. */
export interface InitProcessGroupOptions {
  /**
   * 'mpi' (default): CPU tensors. 'nccl': CUDA tensors through NCCL (and CPU tensors still through
   * MPI); needs a CUDA build, a GPU and NCCL 2.10 or newer (libnccl.so.2).
   */
  backend?: Backend;
}

interface Group {
  mpi: MpiBinding;
  rank: number;
  size: number;
  backend: Backend;
  library: string;
  sharedMemory: boolean;
}

/** How long a blocking wait lasts before the watchdog is told this rank waits (far below its beat). */
const QUIET_WAIT_MS = 20;

let group: Group | undefined;
let destroyed = false;
const pending = new Map<number, Work>();
let asyncPending = 0;

// Blocks until work `id` has completed; its error message, or null. Most waits end within
// microseconds: the watchdog hears of one (a file write each way, a third of a small collective's
// cost) only once it has lasted QUIET_WAIT_MS.
function waitFor(mpi: MpiBinding, id: number, op: string): string | null {
  try {
    if (!mpi.wait(id, QUIET_WAIT_MS)) {
      waiting(op);
      try {
        mpi.wait(id);
      } finally {
        waiting(null);
      }
    }
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * A communication in flight, from a collective called with `{ async: true }` (torch's Work).
 * `wait()` resolves when it has completed and its results are in the tensors.
 * @example const w = distributed.allReduce(t, { async: true }); compute(); await w.wait();
 */
export class Work {
  #state: 'pending' | 'done' | 'failed' = 'pending';
  #error: TensorError | undefined;
  #settle: Array<[() => void, (e: TensorError) => void]> = [];
  #async = false;

  /** @internal */
  constructor(
    /** @internal */ readonly id: number,
    private readonly op: string,
    private readonly finish: (ok: boolean) => void,
  ) {}

  /** @internal Counts this work as keeping the process alive until it completes. */
  markAsync(g: Group): void {
    this.#async = true;
    if (asyncPending++ === 0) g.mpi.ref(true);
  }

  /** Whether the work has completed (successfully or not). */
  isCompleted(): boolean {
    return this.#state !== 'pending';
  }

  /** Resolves when the work has completed; rejects with its DISTRIBUTED_ERROR. */
  wait(): Promise<void> {
    if (this.#state === 'done') return Promise.resolve();
    if (this.#state === 'failed') return Promise.reject(this.#error);
    return new Promise((resolve, reject) => this.#settle.push([resolve, reject]));
  }

  /** Blocks this thread until the work has completed (the sync form's wait). */
  waitSync(): void {
    if (this.#state === 'pending') {
      pending.delete(this.id);
      this.complete(waitFor(requireGroup(this.op).mpi, this.id, this.op));
    }
    if (this.#state === 'failed') throw this.#error;
  }

  /** @internal Runs the work's finishing steps once and settles its waiters. */
  complete(err: string | null): void {
    if (this.#state !== 'pending') return;
    try {
      this.finish(err === null);
    } catch (e) {
      err ??= (e as Error).message;
    }
    if (err === null) {
      this.#state = 'done';
    } else {
      this.#state = 'failed';
      this.#error = new TensorError(err.startsWith(this.op) ? err : `${this.op}: ${err}`, 'DISTRIBUTED_ERROR');
    }
    if (this.#async && --asyncPending === 0 && group && !destroyed) group.mpi.ref(false);
    for (const [res, rej] of this.#settle.splice(0))
      if (err === null) res();
      else rej(this.#error!);
  }
}

function onComplete(id: number): void {
  const w = pending.get(id);
  if (!w) return; // waited for synchronously
  pending.delete(id);
  const err = group!.mpi.take(id);
  w.complete(err ?? null);
}

function requireGroup(op: string): Group {
  if (!group) fail('INVALID_ARGUMENT', `${op}: no process group; call distributed.initProcessGroup() first`);
  if (destroyed) fail('DISTRIBUTED_ERROR', `${op}: the process group was destroyed`);
  return group;
}

// Finalises MPI as the process exits normally. A failing process exits without it: MPI_Finalize
// would wait for peers that wait for it, and MPI_Abort here would kill the process before Node has
// printed the error. The launcher sees a rank exit non-zero, stops the others and names the rank.
function onExit(code: number): void {
  if (!group || destroyed || code !== 0) return;
  destroyed = true;
  try {
    group.mpi.finalize(false);
  } catch {
    // exiting anyway
  }
}

/**
 * Joins this process to the group the launcher started (`npx tensorkit run -n N script`, or
 * mpirun): rank and world size come from MPI. Once per process.
 * @example distributed.initProcessGroup({ backend: 'mpi' }); console.log(distributed.getRank(), distributed.getWorldSize());
 */
export function initProcessGroup(options: InitProcessGroupOptions = {}): void {
  const op = 'initProcessGroup';
  const o = checkOptions(op, options, { backend: 'string' });
  const backend = o.backend ?? 'mpi';
  if (backend !== 'mpi' && backend !== 'nccl')
    fail('INVALID_ARGUMENT', `${op}: backend must be 'mpi' or 'nccl', got ${describe(backend)}`);
  if (group && !destroyed) fail('INVALID_ARGUMENT', `${op}: the process group is already initialised`);
  if (destroyed) fail('DISTRIBUTED_ERROR', `${op}: MPI cannot be initialised twice in one process`);
  const mpi = mpiBinding();
  let library = '';
  if (backend === 'nccl') library = `, ${ncclLibrary(op, mpi)}`;
  checkCanStart(op, mpiAddonPath());
  const info = mpi.init(TensorError, onComplete);
  group = {
    mpi,
    rank: info.rank,
    size: info.size,
    backend,
    library: info.library + library,
    sharedMemory: info.sharedMemory,
  };
  process.on('exit', onExit);
  startHeartbeat(info.rank);
  installGroupHelpers(info.size);
}

// Why backend 'nccl' cannot run here, most basic reason first, or NCCL's version as text.
function ncclLibrary(op: string, mpi: MpiBinding): string {
  const cuda = binding.cudaInfo();
  if (!cuda.compiled || !mpi.ncclCompiled)
    fail(
      'NOT_IMPLEMENTED',
      `${op}: backend 'nccl' needs tensorkit built with CUDA (nvcc found at build time), and this build has none; use 'mpi' with CPU tensors`,
    );
  if (cuda.deviceCount === 0)
    fail('CUDA_ERROR', `${op}: backend 'nccl' needs a CUDA device, and there is none (${cuda.status})`);
  const v = mpi.ncclVersion(TensorError); // throws why NCCL cannot be loaded
  return `NCCL ${Math.floor(v / 10000)}.${Math.floor(v / 100) % 100}.${v % 100}`;
}

// Open MPI aborts the process when MPI_Init fails, whatever the error handler. Under mpirun (its
// OMPI_ variables set) it starts reliably; outside, MPI starts a one-rank "singleton" by launching
// its daemon, which fails in environments Open MPI does not like: that start is tried first in a
// child process, so a failure is an error here rather than an abort.
function checkCanStart(op: string, addon: string): void {
  if (process.env.OMPI_COMM_WORLD_SIZE !== undefined) return;
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      `const m = { exports: {} }; process.dlopen(m, ${JSON.stringify(addon)}, ${constants.dlopen.RTLD_NOW | constants.dlopen.RTLD_GLOBAL}); m.exports.init(Error, () => {}); m.exports.finalize(false);`,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (probe.status !== 0)
    fail(
      'DISTRIBUTED_ERROR',
      `${op}: this process was not started by mpirun, and MPI could not start a one-process group here ` +
        `(${(probe.stderr.match(/Returned[^\n]*|orte_init failed|not found/)?.[0] ?? `exit ${probe.status ?? probe.signal}`).trim()}); ` +
        `start the script with 'npx tensorkit run -n N <script>', or check the Open MPI installation (${INSTALL_MPI}) and that its bin folder is on PATH`,
    );
}

/** Whether initProcessGroup() has run (and destroyProcessGroup() has not). */
export function isInitialized(): boolean {
  return group !== undefined && !destroyed;
}

/** Whether the MPI addon and library load on this machine. */
export function isAvailable(): boolean {
  try {
    mpiBinding();
    return true;
  } catch {
    return false;
  }
}

/** This process's rank in [0, getWorldSize()). @example if (distributed.getRank() === 0) console.log('leader') */
export function getRank(): number {
  return requireGroup('getRank').rank;
}

/** The number of processes in the group. @example const n = distributed.getWorldSize() */
export function getWorldSize(): number {
  return requireGroup('getWorldSize').size;
}

/**
 * @internal How many host all-reduces went through shared memory so far: in place in the ranks'
 * buffers (every rank's tensor in memory the ranks map, as DDP's buckets are) and through the
 * slots (the rest). For tests and benchmarks.
 */
export function sharedMemoryCalls(): { inPlace: number; throughSlots: number } {
  const [inPlace, throughSlots] = requireGroup('sharedMemoryCalls').mpi.sharedCalls();
  return { inPlace, throughSlots };
}

/**
 * The group's backend, the MPI library's version string, and whether all-reduces of CPU tensors
 * go through memory the ranks share (`sharedMemory`: every rank on one host, and the environment
 * variable TENSORKIT_SHARED_MEMORY is not `0`) rather than through MPI's messages.
 * @example console.log(distributed.getBackend().library)
 */
export function getBackend(): { backend: Backend; library: string; sharedMemory: boolean } {
  const g = requireGroup('getBackend');
  return { backend: g.backend, library: g.library, sharedMemory: g.sharedMemory };
}

/**
 * Finishes the queued works and finalises MPI. Called at exit when not called before; MPI cannot
 * start again in the same process.
 * @example distributed.destroyProcessGroup()
 */
export function destroyProcessGroup(): void {
  if (!group || destroyed) return;
  destroyed = true;
  installGroupHelpers(undefined);
  group.mpi.finalize(false);
  for (const w of pending.values()) w.complete('the process group was destroyed');
  pending.clear();
}

/** Options every collective takes. */
export interface CollectiveOptions {
  /** Return a Work at once instead of waiting (default false). */
  async?: boolean;
}

// ---- buffers: the memory of a contiguous tensor, held until the work completes -------------------

interface Buffer {
  ptr: bigint;
  /** -1: host memory (MPI); N: on cuda:N (NCCL). */
  device: number;
  /** After success, for written buffers that were copies: write back into the caller's tensor. */
  back?: () => void;
  /** Host memory peer processes can map (binding.sharedMemoryOf), where the group can use it. */
  shared: [number, bigint, number] | null;
  release(): void;
}

// -1 for a CPU tensor; N for a tensor on cuda:N, which only backend 'nccl' communicates.
function deviceOf(op: string, t: Tensor): number {
  if (t.device === 'cpu') return -1;
  if (group?.backend !== 'nccl')
    fail(
      'DEVICE_MISMATCH',
      `${op}: the 'mpi' backend communicates CPU tensors, got a tensor on ${t.device} (backend 'nccl' communicates CUDA tensors)`,
    );
  return Number(t.device.slice('cuda:'.length));
}

function bufferOf(op: string, t: Tensor, written: boolean): Buffer {
  const device = deviceOf(op, t);
  const src = t.isContiguous() ? t : noGrad(() => t.contiguous());
  const h: Handle = binding.share(src._h);
  const ptr = binding.dataPtr(h);
  return {
    ptr,
    device,
    shared: device < 0 && group?.sharedMemory ? binding.sharedMemoryOf(h) : null,
    back: written && src !== t ? () => noGrad(() => t.copy_(src)) : undefined,
    release: () => {
      binding.free(h);
      if (src !== t) src.dispose();
    },
  };
}

function dtypeFor(op: string, t: Tensor, reduce?: ReduceOp): string {
  if (reduce === 'avg' && !/^(float|bfloat)/.test(t.dtype))
    fail('DTYPE_MISMATCH', `${op}: op 'avg' needs a floating dtype, got ${t.dtype}`);
  return t.dtype;
}

function reduceOf(op: string, v: unknown): ReduceOp {
  const r = v ?? 'sum';
  if (!REDUCE_OPS.includes(r as ReduceOp))
    fail('INVALID_ARGUMENT', `${op}: op must be one of ${REDUCE_OPS.join(', ')}, got ${describe(r)}`);
  return r as ReduceOp;
}

function rankArg(op: string, name: string, v: unknown, g: Group): number {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) >= g.size)
    fail('INVALID_ARGUMENT', `${op}: ${name} must be a rank in [0, ${g.size}), got ${describe(v)}`);
  return v as number;
}

// One tensor per rank, each on the CPU with `like`'s dtype and element count (a list argument of
// allGather, reduceScatter, gather and scatter).
function perRank(op: string, name: string, v: unknown, like: Tensor, g: Group): Tensor[] {
  const xs = tensorList(op, name, v);
  if (xs.length !== g.size)
    fail('INVALID_ARGUMENT', `${op}: ${name} must hold ${g.size} tensors (one per rank), got ${xs.length}`);
  xs.forEach((x, i) => sameAs(op, `${name}[${i}]`, x, like));
  return xs;
}

// Makes a work's buffers in order; when one cannot be made (a disposed tensor), releases the
// ones made before it, so nothing is left held.
function buffers(...make: (() => Buffer | null)[]): (Buffer | null)[] {
  const out: (Buffer | null)[] = [];
  try {
    for (const m of make) out.push(m());
  } catch (e) {
    for (const b of out) b?.release();
    throw e;
  }
  return out;
}

// The memory of a tensor this module made for one work: released with the work, then freed.
function owned(op: string, t: Tensor, written: boolean): Buffer {
  const b = bufferOf(op, t, written);
  const release = b.release;
  b.release = () => (release(), t.dispose());
  return b;
}

// The per-rank tensors packed into one buffer, in rank order.
function packed(op: string, xs: Tensor[]): Buffer {
  return owned(
    op,
    noGrad(() => cat(xs.map((x) => x.reshape([-1])))),
    false,
  );
}

// After a gather into `all` (n elements per rank): each rank's part copied into its tensor.
function unpack(all: Tensor, n: number, outs: Tensor[]): () => void {
  return () => noGrad(() => outs.forEach((x, i) => x.copy_(all.narrow(0, i * n, n).reshape(x.shape))));
}

// Submits one operation; `finish` runs after it completes (ok: whether it succeeded) and must
// release every buffer.
function launch(
  g: Group,
  op: string,
  kind: string,
  send: Buffer | null,
  recv: Buffer | null,
  count: number,
  dtype: string,
  reduce: string,
  peer: number,
  tag: number,
  isAsync: boolean,
  after?: () => void,
): Work | undefined {
  const bufs = [send, recv].filter((b): b is Buffer => b !== null);
  const device = bufs[0]?.device ?? -1;
  const finish = (ok: boolean): void => {
    try {
      if (ok) {
        for (const b of bufs) b.back?.();
        after?.();
      }
    } finally {
      for (const b of bufs) b.release();
    }
  };
  let id: number;
  try {
    if (bufs.some((b) => b.device !== device))
      fail(
        'DEVICE_MISMATCH',
        `${op}: every tensor of one call must be on one device, got ${bufs.map((b) => (b.device < 0 ? 'cpu' : `cuda:${b.device}`)).join(' and ')}`,
      );
    // NCCL works on its own stream: what tensorkit queued on the device's stream (the kernels that
    // wrote the inputs) must finish first.
    if (device >= 0) binding.cudaSynchronize(device);
    id = g.mpi.submit(
      kind,
      send?.ptr ?? null,
      recv?.ptr ?? null,
      count,
      dtype,
      reduce,
      peer,
      tag,
      !isAsync,
      device,
      recv?.shared ?? null,
    );
  } catch (e) {
    finish(false);
    throw e;
  }
  if (isAsync) {
    const w = new Work(id, op, finish);
    pending.set(id, w);
    w.markAsync(g);
    return w;
  }
  // Blocking: the same wait and finishing steps as a Work's, without making one. (Called right
  // after compute, as collectives in a training step are, all of this runs cold: a Work cost a
  // 9 KB all-reduce after the shapes CNN's backward 9-13 µs on the later rank, 67-93 against
  // 56-80 µs in four side-by-side runs.)
  let err = waitFor(g.mpi, id, op);
  try {
    finish(err === null);
  } catch (e) {
    err ??= (e as Error).message;
  }
  if (err !== null) fail('DISTRIBUTED_ERROR', err.startsWith(op) ? err : `${op}: ${err}`);
  return undefined;
}

function sameAs(op: string, what: string, t: Tensor, ref: Tensor): void {
  if (t.device !== ref.device) fail('DEVICE_MISMATCH', `${op}: ${what} must be on ${ref.device}, got ${t.device}`);
  if (t.dtype !== ref.dtype) fail('DTYPE_MISMATCH', `${op}: ${what} must be ${ref.dtype}, got ${t.dtype}`);
  if (t.numel() !== ref.numel())
    fail(
      'SHAPE_MISMATCH',
      `${op}: ${what} must have ${ref.numel()} elements, got ${t.numel()} ([${t.shape.join(', ')}])`,
    );
}

function collectiveOptions<T extends object>(
  op: string,
  options: T | undefined,
  extra: Record<string, 'string' | 'integer'>,
) {
  return checkOptions(op, options ?? ({} as T), { async: 'boolean', ...extra }) as T & CollectiveOptions;
}

/** Options of allReduce. */
export interface AllReduceOptions extends CollectiveOptions {
  /** How values combine (default 'sum'; 'avg' divides the sum by the world size). */
  op?: ReduceOp;
}

/**
 * Combines `tensor` across all ranks, in place: afterwards every rank holds the sum (or the
 * average, max, min, product) of all ranks' tensors. bool tensors combine with or ('sum', 'max')
 * or and ('min', 'product').
 * @example distributed.allReduce(grad, { op: 'avg' });
 */
export function allReduce(tensor: Tensor, options: AllReduceOptions & { async: true }): Work;
export function allReduce(tensor: Tensor, options?: AllReduceOptions): undefined;
export function allReduce(tensor: Tensor, options?: AllReduceOptions): Work | undefined {
  const op = 'allReduce';
  const o = collectiveOptions(op, options, { op: 'string' });
  const t = tensorArg(op, 'tensor', tensor);
  const g = requireGroup(op);
  const reduce = reduceOf(op, o.op);
  const dtype = dtypeFor(op, t, reduce);
  const buf = bufferOf(op, t, true);
  // 'avg' divides natively, on the communication thread, as the sum comes in
  return launch(g, op, 'allReduce', null, buf, t.numel(), dtype, reduce, 0, 0, !!o.async);
}

/**
 * @internal A contiguous CPU tensor's memory as a blocking all-reduce needs it (its address, and
 * where the group shares memory, its place in a memfd the peers map), found once, for memory
 * whose holder keeps it alive and in place across calls: DistributedDataParallel's buckets.
 */
export interface HeldBuffer extends Buffer {
  readonly count: number;
  readonly dtype: DType;
}

/** @internal The HeldBuffer of `t` (contiguous, on the CPU). */
export function holdBuffer(t: Tensor): HeldBuffer {
  const g = requireGroup('allReduce');
  if (t.device !== 'cpu' || !t.isContiguous())
    fail('INTERNAL', 'allReduce: a held buffer must be a contiguous CPU tensor');
  return {
    ptr: binding.dataPtr(t._h),
    device: -1,
    shared: g.sharedMemory ? binding.sharedMemoryOf(t._h) : null,
    release: () => {},
    count: t.numel(),
    dtype: t.dtype,
  };
}

/**
 * @internal allReduce(t, { op }), blocking, of memory its caller holds (holdBuffer(t)): what DDP
 * runs once backward has produced the last gradient, without the public call's checks and its
 * handle shared and freed, address and shared-memory place asked again. Right after backward all
 * of that runs cold: in the shapes CNN's DDP step the public call took 25-64 µs, of which the
 * native call 8-11 (timestamps around each); with this path (and a Work then still made) the step
 * was 0.6-1.4% shorter in four side-by-side runs. The collective itself is the same.
 */
export function allReduceHeld(b: HeldBuffer, op: ReduceOp): void {
  launch(requireGroup('allReduce'), 'allReduce', 'allReduce', null, b, b.count, b.dtype, op, 0, 0, false);
}

/** Options of broadcast. */
export interface BroadcastOptions extends CollectiveOptions {
  /** The rank whose tensor every rank receives (default 0). */
  src?: number;
}

/**
 * Copies rank `src`'s tensor into `tensor` on every other rank.
 * @example distributed.broadcast(param, { src: 0 });
 */
export function broadcast(tensor: Tensor, options: BroadcastOptions & { async: true }): Work;
export function broadcast(tensor: Tensor, options?: BroadcastOptions): undefined;
export function broadcast(tensor: Tensor, options?: BroadcastOptions): Work | undefined {
  const op = 'broadcast';
  const o = collectiveOptions(op, options, { src: 'integer' });
  const t = tensorArg(op, 'tensor', tensor);
  const g = requireGroup(op);
  const src = rankArg(op, 'src', o.src ?? 0, g);
  return launch(g, op, 'broadcast', null, bufferOf(op, t, true), t.numel(), dtypeFor(op, t), 'sum', src, 0, !!o.async);
}

// A contiguous scratch tensor of `n` elements of t's dtype, on t's device.
function scratch(t: Tensor, n: number): Tensor {
  return zeros([n], { dtype: t.dtype, device: t.device });
}

/**
 * Gathers every rank's `tensor` into `outputs` (one per rank, in rank order) on every rank.
 * @example const parts = [zeros([2]), zeros([2])]; distributed.allGather(parts, mine);
 */
export function allGather(outputs: Tensor[], tensor: Tensor, options: CollectiveOptions & { async: true }): Work;
export function allGather(outputs: Tensor[], tensor: Tensor, options?: CollectiveOptions): undefined;
export function allGather(outputs: Tensor[], tensor: Tensor, options?: CollectiveOptions): Work | undefined {
  const op = 'allGather';
  const o = collectiveOptions(op, options, {});
  const t = tensorArg(op, 'tensor', tensor);
  const g = requireGroup(op);
  const outs = perRank(op, 'outputs', outputs, t, g);
  const n = t.numel();
  let all!: Tensor;
  const [send, recv] = buffers(
    () => bufferOf(op, t, false),
    () => owned(op, (all = scratch(t, n * g.size)), true),
  );
  return launch(g, op, 'allGather', send, recv, n, t.dtype, 'sum', 0, 0, !!o.async, unpack(all, n, outs));
}

/**
 * Gathers every rank's `input` into `output` (world size × input's elements, in rank order).
 * @example const all = zeros([2 * 3]); distributed.allGatherIntoTensor(all, mine);
 */
export function allGatherIntoTensor(output: Tensor, input: Tensor, options: CollectiveOptions & { async: true }): Work;
export function allGatherIntoTensor(output: Tensor, input: Tensor, options?: CollectiveOptions): undefined;
export function allGatherIntoTensor(output: Tensor, input: Tensor, options?: CollectiveOptions): Work | undefined {
  const op = 'allGatherIntoTensor';
  const o = collectiveOptions(op, options, {});
  const out = tensorArg(op, 'output', output);
  const t = tensorArg(op, 'input', input);
  const g = requireGroup(op);
  if (out.device !== t.device) fail('DEVICE_MISMATCH', `${op}: output must be on ${t.device}, got ${out.device}`);
  if (out.dtype !== t.dtype) fail('DTYPE_MISMATCH', `${op}: output must be ${t.dtype}, got ${out.dtype}`);
  if (out.numel() !== t.numel() * g.size)
    fail('SHAPE_MISMATCH', `${op}: output must have ${g.size} × ${t.numel()} elements, got ${out.numel()}`);
  const [send, recv] = buffers(
    () => bufferOf(op, t, false),
    () => bufferOf(op, out, true),
  );
  return launch(g, op, 'allGather', send, recv, t.numel(), t.dtype, 'sum', 0, 0, !!o.async);
}

/** Options of reduceScatter. */
export interface ReduceScatterOptions extends CollectiveOptions {
  /** How values combine (default 'sum'). */
  op?: ReduceOp;
}

/**
 * Reduces `inputs[r]` over all ranks into rank r's `output`.
 * @example distributed.reduceScatter(out, [a, b]); // rank 0 gets a0+a1, rank 1 gets b0+b1
 */
export function reduceScatter(output: Tensor, inputs: Tensor[], options: ReduceScatterOptions & { async: true }): Work;
export function reduceScatter(output: Tensor, inputs: Tensor[], options?: ReduceScatterOptions): undefined;
export function reduceScatter(output: Tensor, inputs: Tensor[], options?: ReduceScatterOptions): Work | undefined {
  const op = 'reduceScatter';
  const o = collectiveOptions(op, options, { op: 'string' });
  const out = tensorArg(op, 'output', output);
  const g = requireGroup(op);
  const reduce = reduceOf(op, o.op);
  const dtype = dtypeFor(op, out, reduce);
  const ins = perRank(op, 'inputs', inputs, out, g);
  const [send, recv] = buffers(
    () => packed(op, ins),
    () => bufferOf(op, out, true),
  );
  // 'avg' divides natively, on the communication thread, as the sum comes in
  return launch(g, op, 'reduceScatter', send, recv, out.numel(), dtype, reduce, 0, 0, !!o.async);
}

/** Options of gather. */
export interface GatherOptions extends CollectiveOptions {
  /** On rank `dst` only: one tensor per rank to receive into. */
  gatherList?: Tensor[];
  /** The receiving rank (default 0). */
  dst?: number;
}

/**
 * Sends every rank's `tensor` to rank `dst`, which receives them in `gatherList` (rank order).
 * @example distributed.gather(mine, rank === 0 ? { gatherList: [zeros([3]), zeros([3])] } : {});
 */
export function gather(tensor: Tensor, options: GatherOptions & { async: true }): Work;
export function gather(tensor: Tensor, options?: GatherOptions): undefined;
export function gather(tensor: Tensor, options?: GatherOptions): Work | undefined {
  const op = 'gather';
  const o = checkOptions(op, options ?? {}, { async: 'boolean', gatherList: 'any', dst: 'integer' });
  const t = tensorArg(op, 'tensor', tensor);
  const g = requireGroup(op);
  const dst = rankArg(op, 'dst', o.dst ?? 0, g);
  const n = t.numel();
  let outs: Tensor[] | undefined;
  if (g.rank === dst) outs = perRank(op, 'gatherList', o.gatherList, t, g);
  else if (o.gatherList !== undefined)
    fail('INVALID_ARGUMENT', `${op}: gatherList is given only on rank dst (${dst}); this is rank ${g.rank}`);
  let all!: Tensor;
  const [send, recv] = buffers(
    () => bufferOf(op, t, false),
    () => (outs ? owned(op, (all = scratch(t, n * g.size)), true) : null),
  );
  const after = outs ? unpack(all, n, outs) : undefined;
  return launch(g, op, 'gather', send, recv, n, t.dtype, 'sum', dst, 0, !!o.async, after);
}

/** Options of scatter. */
export interface ScatterOptions extends CollectiveOptions {
  /** On rank `src` only: one tensor per rank to send. */
  scatterList?: Tensor[];
  /** The sending rank (default 0). */
  src?: number;
}

/**
 * Rank `src` sends `scatterList[r]` to rank r, which receives it in `tensor`.
 * @example distributed.scatter(mine, rank === 0 ? { scatterList: [a, b] } : {});
 */
export function scatter(tensor: Tensor, options: ScatterOptions & { async: true }): Work;
export function scatter(tensor: Tensor, options?: ScatterOptions): undefined;
export function scatter(tensor: Tensor, options?: ScatterOptions): Work | undefined {
  const op = 'scatter';
  const o = checkOptions(op, options ?? {}, { async: 'boolean', scatterList: 'any', src: 'integer' });
  const t = tensorArg(op, 'tensor', tensor);
  const g = requireGroup(op);
  const src = rankArg(op, 'src', o.src ?? 0, g);
  let ins: Tensor[] | undefined;
  if (g.rank === src) ins = perRank(op, 'scatterList', o.scatterList, t, g);
  else if (o.scatterList !== undefined)
    fail('INVALID_ARGUMENT', `${op}: scatterList is given only on rank src (${src}); this is rank ${g.rank}`);
  const [send, recv] = buffers(
    () => (ins ? packed(op, ins) : null),
    () => bufferOf(op, t, true),
  );
  return launch(g, op, 'scatter', send, recv, t.numel(), t.dtype, 'sum', src, 0, !!o.async);
}

/** Options of send and recv. */
export interface P2POptions extends CollectiveOptions {
  /** Matches a send with a recv (default 0). */
  tag?: number;
}

/**
 * Sends `tensor` to rank `dst` (which calls recv). `{ async: true }` is torch's isend.
 * @example if (rank === 0) distributed.send(t, 1); else distributed.recv(t, 0);
 */
export function send(tensor: Tensor, dst: number, options: P2POptions & { async: true }): Work;
export function send(tensor: Tensor, dst: number, options?: P2POptions): undefined;
export function send(tensor: Tensor, dst: number, options?: P2POptions): Work | undefined {
  return p2p('send', tensor, dst, options);
}

/**
 * Receives into `tensor` what rank `src` sends. `{ async: true }` is torch's irecv.
 * @example distributed.recv(t, 0);
 */
export function recv(tensor: Tensor, src: number, options: P2POptions & { async: true }): Work;
export function recv(tensor: Tensor, src: number, options?: P2POptions): undefined;
export function recv(tensor: Tensor, src: number, options?: P2POptions): Work | undefined {
  return p2p('recv', tensor, src, options);
}

function p2p(op: 'send' | 'recv', tensor: Tensor, peer: number, options?: P2POptions): Work | undefined {
  const o = collectiveOptions(op, options, { tag: 'integer' });
  const t = tensorArg(op, 'tensor', tensor);
  const g = requireGroup(op);
  const p = rankArg(op, op === 'send' ? 'dst' : 'src', peer, g);
  if (p === g.rank) fail('INVALID_ARGUMENT', `${op}: a rank cannot ${op} to itself (rank ${p})`);
  const tag = o.tag ?? 0;
  if (tag < 0 || tag > 32767) fail('INVALID_ARGUMENT', `${op}: tag must be in [0, 32767], got ${tag}`);
  const b = bufferOf(op, t, op === 'recv');
  return launch(
    g,
    op,
    op,
    op === 'send' ? b : null,
    op === 'recv' ? b : null,
    t.numel(),
    t.dtype,
    'sum',
    p,
    tag,
    !!o.async,
  );
}

/**
 * Waits until every rank has reached the barrier.
 * @example distributed.barrier();
 */
export function barrier(options: CollectiveOptions & { async: true }): Work;
export function barrier(options?: CollectiveOptions): undefined;
export function barrier(options?: CollectiveOptions): Work | undefined {
  const op = 'barrier';
  const o = collectiveOptions(op, options, {});
  const g = requireGroup(op);
  return launch(g, op, 'barrier', null, null, 0, 'float32', 'sum', 0, 0, !!o.async);
}
