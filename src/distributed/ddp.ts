// DistributedDataParallel, as torch.nn.parallel's: every rank holds a replica of the model, computes
// gradients on its own share of the batch, and averages them with the other ranks during backward.
//
// How: parameters are grouped into buckets (reverse registration order, which is about the order
// backward produces them; where a rank overlaps, the first bucket small so communication starts
// early). A hook on each parameter fires when backward has accumulated its gradient; when the last
// gradient of a bucket is in, the bucket is packed into one flat tensor and its all-reduce starts
// on the communication thread while backward goes on (buckets start in index order, the same on
// every rank). When every bucket has been launched (all gradients are in), the last hook waits for
// them and writes the averaged gradients back into each parameter's .grad. With
// findUnusedParameters, the graph walked after forward says which parameters backward will not
// reach; they count as ready.
// Where the ranks do not share memory, a large gradient on the CPU is all-reduced in place, on its
// own: copying it into a bucket and back would cost more memory traffic than the extra
// collective's latency. Where the ranks' compute
// threads fill every core of the host, the buckets' all-reduces all run once the last gradient is
// in instead (DDPOptions.overlap): overlap needs a core to run on.
// Where every rank runs on one host (CPU gradients, the 'mpi' backend, the group's shared memory
// on), the buckets live in memory the ranks map (binding.shareableZeros) and each parameter's
// gradient destination is its slot in the bucket: backward writes the gradients there (a linear
// layer's straight out of its GEMM), and the all-reduce reduces the buckets where they lie, in
// every rank's memory at once, copying nothing. `.grad` is then the bucket's view, as with
// gradientAsBucketView.
// Buffers (batch-norm statistics) travel from rank 0 at each forward coalesced, one broadcast
// per dtype, as PyTorch's _sync_buffers: one per buffer cost a collective's latency each.
import { availableParallelism, cpus } from 'node:os';

import { noGrad } from '../autograd.js';
import { binding } from '../binding.js';
import { ITEMSIZE, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { keep } from '../memory.js';
import { tensor, zeros } from '../ops/creation.js';
import { checkOptions, fn as functionArg } from '../options.js';
import { Module } from '../nn/module.js';
import { Tensor, wrap } from '../tensor.js';
import {
  allGatherIntoTensor,
  allReduce,
  allReduceHeld,
  broadcast,
  getBackend,
  getRank,
  getWorldSize,
  holdBuffer,
  isInitialized,
  type HeldBuffer,
  type Work,
} from './process_group.js';

/** Options of DistributedDataParallel. */
export interface DDPOptions {
  /**
   * Bucket size in MiB (default 25, as PyTorch). Where some rank overlaps (`overlap`, as decided
   * when the wrapper is made), the first bucket holds at most 1 MiB, so that the first all-reduce
   * starts early in backward; where none does, every bucket fills to the cap: the all-reduces all
   * run after backward, and fewer of them wait less for the peers. Where the ranks do not share a
   * host's memory, a CPU gradient of 512 KiB or more skips the buckets: it is averaged in place,
   * on its own.
   */
  bucketCapMb?: number;
  /** Copy rank 0's buffers (batch-norm statistics) to every rank at each forward (default true). */
  broadcastBuffers?: boolean;
  /**
   * Make each parameter's `.grad` a view into its bucket (default false, as PyTorch): the averaged
   * gradients are then written in place, with no copy back, and gradients that accumulate into an
   * existing `.grad` (no zeroGrad, or noSync) need no copy in either. A `.grad` kept from an
   * earlier step then changes with the bucket. (A CPU gradient averaged in place has no bucket:
   * its `.grad` stays the tensor backward made.) Where every rank runs on one host, backward
   * writes the gradients straight into the buckets, in memory the ranks share, and `.grad` is the
   * bucket's view whatever this option says.
   */
  gradientAsBucketView?: boolean;
  /**
   * Start each bucket's all-reduce while backward goes on, as soon as the bucket is full (true),
   * or all of them, in the same order, once backward has produced the last gradient (false).
   * Default: overlap for GPU gradients, and for CPU gradients where a rank has a core beyond its
   * compute threads (`getNumThreads()`): of its share of the cores when it is bound to one (as
   * `tensorkit run` binds ranks), else of the host's cores split between its ranks (ranks per
   * host from Open MPI's OMPI_COMM_WORLD_LOCAL_SIZE). Where compute fills every core, the communication thread's
   * copies and additions can only take turns with backward, and MPI's wait for a peer whose
   * thread the scheduler has paused spins away compute time: on 2 ranks × 1 thread on 2 cores,
   * backward with DDP on the 784-1024-1024-10 MLP took 3.1-3.3 ms overlapped and 2.7-2.9 ms with
   * the all-reduces after it (backward alone 1.9 ms). Each backward decides for itself (the
   * default reads `getNumThreads()` then); the buckets are made once, from the ranks' choices (or
   * defaults) when the wrapper is made: a small first bucket wherever one of them overlaps.
   */
  overlap?: boolean;
  /**
   * Allow parameters that a forward's outputs do not depend on (torch's find_unused_parameters;
   * default false). After each forward the recorded graph is walked from the outputs; at the
   * first gradient of the backward, the parameters it cannot reach count as ready, with zeros
   * where they have no gradient, so their buckets still all-reduce and a parameter used on some
   * ranks only averages with zeros from the others. A parameter no rank used and none had a
   * gradient for keeps none (one more small all-reduce per step tells which); one holding a
   * gradient from earlier passes (noSync) is averaged like the rest. Without this option, an unused
   * parameter makes the next forward throw, naming it. Like torch, the walk starts from what
   * forward returned (tensors, and arrays and plain objects of them): a loss that leaves out an
   * output some parameter is reached through leaves that parameter waiting, and the next forward
   * throws.
   * @example new distributed.DistributedDataParallel(multiTaskNet, { findUnusedParameters: true })
   */
  findUnusedParameters?: boolean;
}

/** @internal DDPOptions' names and kinds (the Trainer's 'ddp' strategy checks them too). */
export const DDP_OPTION_KINDS = {
  bucketCapMb: 'number',
  broadcastBuffers: 'boolean',
  gradientAsBucketView: 'boolean',
  overlap: 'boolean',
  findUnusedParameters: 'boolean',
} as const;

interface Slot {
  param: Tensor;
  offset: number;
  numel: number;
  /**
   * The slot's view of its bucket, in the parameter's shape (made once: a step copies through it
   * without making slices); under gradientAsBucketView its address, to tell a `.grad` that is it.
   */
  view?: Tensor;
  ptr?: bigint;
}

interface Bucket {
  slots: Slot[];
  /** The flat gradient buffer; undefined for a large CPU gradient all-reduced in place (one slot). */
  flat: Tensor | undefined;
  /** In place: the gradient being all-reduced, held until #finish (a non-contiguous one gets its average copied back then). */
  grad?: Tensor;
  ready: number;
  /** Full this backward: what its all-reduce averages (flat, or the gradient in place). */
  data?: Tensor;
  /** A CPU bucket's flat buffer, held for its blocking all-reduce (allReduceHeld). */
  held?: HeldBuffer;
  work: Work | undefined;
}

/**
 * PyTorch's first bucket: small, so the first all-reduce starts after the last layers' gradients.
 * Only where a rank overlaps: where none does, a small first bucket is one more collective after
 * backward, a rendezvous where the ranks wait for the slower one and a call's fixed costs, a few
 * tens of µs. (The 784-1024-1024-10 MLP's job, 2 ranks on 2 cores, nine runs side by side: backward
 * with DDP over backward alone 1-3% lower without it in seven, as 1.19-1.20x against 1.21-1.24x.)
 */
const FIRST_BUCKET_BYTES = 1024 * 1024;
/**
 * A CPU gradient this large is all-reduced in place instead of through a bucket. A collective
 * costs about 20 µs more than none; copying 512 KiB into a bucket (and back) costs about as much
 * each way on a memory-bound core, and more above. (On a GPU copies are cheap: buckets always.)
 * Measured on the 784-1024-1024-10 MLP, batch 64, 2 ranks (bench:distributed's job): backward
 * with DDP took 3.3-3.5 ms with its two weight gradients in place, 4.0-4.2 ms with every gradient
 * in buckets (backward alone 2.0 ms).
 */
const DIRECT_BYTES = 512 * 1024;

// A tensor of t's shape and dtype in memory the ranks can map (zeros); t is disposed.
function shareable(t: Tensor): Tensor {
  const s = wrap(binding.shareableZeros(t._h));
  t.dispose();
  return s;
}

// The tensors in a forward's result: a tensor, or arrays and plain objects of them (nested).
function tensorsIn(v: unknown, out: Tensor[], depth: number): void {
  if (v instanceof Tensor) out.push(v);
  else if (depth < 8 && Array.isArray(v)) for (const x of v) tensorsIn(x, out, depth + 1);
  else if (depth < 8 && v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
    for (const x of Object.values(v)) tensorsIn(x, out, depth + 1);
}

/**
 * Wraps a module for data-parallel training across the ranks of the process group: rank 0's
 * parameters and buffers are copied to every rank at construction, and backward leaves the
 * gradients averaged over all ranks, so every replica takes the same optimizer step.
 * @example
 * distributed.initProcessGroup();
 * const model = new distributed.DistributedDataParallel(net);
 * const loss = nn.functional.crossEntropy(model.forward(x), y);
 * opt.zeroGrad(); loss.backward(); opt.step();
 */
export class DistributedDataParallel<M extends Module = Module> extends Module {
  /** The wrapped module (save `ddp.module.stateDict()` to load it without DDP). */
  readonly module: M;
  readonly #buckets: Bucket[] = [];
  readonly #bucketOf = new Map<Tensor, Bucket>();
  readonly #hooks: { remove(): void }[] = [];
  readonly #broadcastBuffers: boolean;
  /** Gradients are views of their buckets (gradientAsBucketView, or #shared). */
  readonly #asView: boolean;
  /** The buckets are in memory the ranks share, and backward writes the gradients into them. */
  readonly #shared: boolean;
  readonly #overlap: boolean | undefined;
  /** findUnusedParameters: the parameters that require grad, in registration order. */
  readonly #params: Tensor[] | undefined;
  /** The last forward's parameters its outputs cannot reach, until backward marks them ready. */
  #unused: Tensor[] = [];
  /** This backward's unused parameters that had no .grad: a parameter no rank used gets none back. */
  readonly #hadNoGrad = new Set<Tensor>();
  /** This backward's parameters marked ready as unused (a gradient for one after is an error). */
  readonly #markedUnused = new Set<Tensor>();
  readonly #size: number;
  readonly #rank: number;
  /** broadcastBuffers: one flat tensor per buffer dtype and device ("float32 cpu"), kept while the sizes hold. */
  readonly #bufferFlats = new Map<string, Tensor>();
  #sync = true;
  /** The next bucket to launch: buckets launch in index order, whatever order they fill in. */
  #next = 0;
  /** This backward's full buckets whose all-reduce waits for the last one, in the order they filled. */
  readonly #deferred: Bucket[] = [];
  /** The CPUs this process may use (its affinity mask) and the host's, once read. */
  #cores: { mine: number; host: number } | undefined;
  /** Whether this backward overlaps (decided when its first bucket fills; undefined before one has). */
  #overlapping: boolean | undefined;

  constructor(module: M, options: DDPOptions = {}) {
    super();
    const op = 'DistributedDataParallel';
    if (!(module instanceof Module)) fail('INVALID_ARGUMENT', `${op}: expected an nn.Module`);
    const o = checkOptions(op, options, DDP_OPTION_KINDS);
    const capMb = o.bucketCapMb ?? 25;
    if (!(capMb > 0)) fail('INVALID_ARGUMENT', `${op}: bucketCapMb must be > 0, got ${capMb}`);
    if (!isInitialized())
      fail('INVALID_ARGUMENT', `${op}: no process group; call distributed.initProcessGroup() first`);
    this.module = module;
    this.#broadcastBuffers = o.broadcastBuffers ?? true;
    this.#overlap = o.overlap;
    this.#size = getWorldSize();
    this.#rank = getRank();
    const params = module.parameters().filter((p) => p.requiresGrad);
    this.#params = o.findUnusedParameters ? params : undefined;
    const backend = getBackend();
    const nccl = backend.backend === 'nccl';
    this.#shared = backend.sharedMemory && this.#size > 1 && params.every((p) => p.device === 'cpu');
    this.#asView = (o.gradientAsBucketView ?? false) || this.#shared;
    for (const p of params) {
      if (p.device !== 'cpu' && !nccl)
        fail('DEVICE_MISMATCH', `${op}: the 'mpi' backend averages CPU gradients, got a parameter on ${p.device}`);
      if (p.device !== params[0].device)
        fail(
          'DEVICE_MISMATCH',
          `${op}: every parameter must be on one device, got ${params[0].device} and ${p.device}`,
        );
    }
    // (every rank makes the same buckets: a small first one wherever some rank may overlap)
    const smallFirst = this.#checkReplicas(
      op,
      params,
      o.overlap ?? (params.length > 0 && this.#coresToSpare(params[0])),
    );
    // Every replica starts from rank 0's state.
    noGrad(() => {
      for (const t of [...module.parameters(), ...module.buffers()]) broadcast(t, { src: 0 });
    });
    this.#makeBuckets(params, capMb * 1024 * 1024, smallFirst);
    for (const p of params) this.#hooks.push(p.registerPostAccumulateGradHook((t) => this.#ready(t)));
  }

  // The same parameter shapes on every rank, or an error naming the first rank that differs; and
  // whether any rank means to overlap (`overlap`: this rank's guess, made now).
  #checkReplicas(op: string, params: Tensor[], overlap: boolean): boolean {
    const n = this.#size;
    let sig = 0;
    for (const p of params) sig = (sig * 31 + p.shape.reduce((a, b) => a * 7 + b, p.ndim)) % 1_000_000_007;
    const mine = tensor([params.length, sig, overlap ? 1 : 0], { dtype: 'int64' });
    const all = zeros([3 * n], { dtype: 'int64' });
    allGatherIntoTensor(all, mine);
    const v = all.data() as BigInt64Array;
    mine.dispose();
    all.dispose();
    for (let r = 1; r < n; r++)
      if (v[3 * r] !== v[0] || v[3 * r + 1] !== v[1])
        fail(
          'SHAPE_MISMATCH',
          `${op}: rank ${r} has a different model (${v[3 * r]} parameters) than rank 0 (${v[0]} parameters), or shapes that differ`,
        );
    for (let r = 0; r < n; r++) if (v[3 * r + 2] !== 0n) return true;
    return false;
  }

  #makeBuckets(params: Tensor[], capBytes: number, smallFirst: boolean): void {
    let slots: Slot[] = [];
    let numel = 0; // of the open bucket
    let dtype: DType | undefined;
    const close = () => {
      if (!slots.length) return;
      const plain = zeros([numel], { dtype: slots[0].param.dtype, device: slots[0].param.device });
      // kept: they live as long as the wrapper, whatever tidy() scope constructs it
      const flat = keep(this.#shared ? shareable(plain) : plain);
      const b: Bucket = { slots, flat, ready: 0, work: undefined };
      if (flat.device === 'cpu') b.held = holdBuffer(flat);
      this.#buckets.push(b);
      for (const s of slots) {
        this.#bucketOf.set(s.param, b);
        const slice = flat.narrow(0, s.offset, s.numel);
        s.view = keep(slice.view(s.param.shape));
        slice.dispose();
        if (this.#asView) s.ptr = binding.dataPtr(s.view._h);
        if (this.#shared) binding.setGradDestination(s.param._h, s.view._h);
      }
      slots = [];
      numel = 0;
    };
    for (const p of [...params].reverse()) {
      const item = ITEMSIZE[p.dtype as DType];
      if (p.device === 'cpu' && !this.#shared && p.numel() * item >= DIRECT_BYTES) {
        close(); // the buckets stay in the order backward fills them
        const b: Bucket = {
          slots: [{ param: p, offset: 0, numel: p.numel() }],
          flat: undefined,
          ready: 0,
          work: undefined,
        };
        this.#buckets.push(b);
        this.#bucketOf.set(p, b);
        continue;
      }
      const cap = smallFirst && this.#buckets.length === 0 ? Math.min(capBytes, FIRST_BUCKET_BYTES) : capBytes;
      if (slots.length && (p.dtype !== dtype || (numel + p.numel()) * item > cap)) close();
      dtype = p.dtype as DType;
      slots.push({ param: p, offset: numel, numel: p.numel() });
      numel += p.numel();
    }
    close();
  }

  /**
   * Bucket sizes in elements, in launch order (for inspection and tests); a large CPU gradient,
   * all-reduced in place, counts as a bucket of its own.
   */
  bucketSizes(): number[] {
    return this.#buckets.map((b) => b.flat?.numel() ?? b.slots[0].numel);
  }

  // A parameter's gradient is in: when its bucket is complete, pack it and start the all-reduce;
  // when every bucket has started, wait for all and write the averages back.
  #ready(p: Tensor): void {
    if (!this.#sync) return;
    // findUnusedParameters: the first gradient of a backward marks what it will never reach. (It
    // cannot complete every bucket: p's own still waits for p.)
    if (this.#unused.length) this.#markUnused();
    if (this.#markedUnused.has(p)) {
      this.#abandon();
      fail(
        'INVALID_ARGUMENT',
        `DistributedDataParallel: a parameter of shape [${p.shape.join(', ')}] got a gradient after ` +
          `findUnusedParameters had marked it unused: the loss used outputs of an earlier forward; ` +
          `run one forward per backward`,
      );
    }
    try {
      this.#bucketReady(p);
    } catch (e) {
      // A collective failed (the group destroyed, a peer gone, ranks that disagree): this
      // backward's averages are lost, and the next forward must not blame its gradients.
      this.#forget();
      throw e;
    }
  }

  // Drops this backward's progress without starting anything; the all-reduces already launched
  // are waited for (their errors dropped), so none is still writing a bucket when the next
  // backward does.
  #forget(): void {
    this.#deferred.length = 0;
    this.#hadNoGrad.clear();
    this.#markedUnused.clear();
    for (const b of this.#buckets) {
      try {
        b.work?.waitSync();
      } catch {
        // the error that matters is the one being thrown
      }
      b.work = undefined;
      b.grad?.dispose();
      b.grad = undefined;
      b.data = undefined;
      b.ready = 0;
    }
    this.#next = 0;
  }

  // findUnusedParameters: the parameters the last forward's outputs cannot reach count as ready.
  #markUnused(): void {
    for (const q of this.#unused.splice(0)) {
      const g = q.grad;
      if (g) g.dispose();
      else this.#hadNoGrad.add(q);
      this.#markedUnused.add(q);
      this.#bucketReady(q);
    }
  }

  // Buckets launch in index order, as torch's reducer does: a bucket that fills early waits for
  // the ones before it. Every rank then issues the same collectives in the same order even where
  // their backward passes fill buckets in different orders (parameters used on some ranks only,
  // with findUnusedParameters), and whether they overlap or not.
  #bucketReady(p: Tensor): void {
    const b = this.#bucketOf.get(p)!;
    if (++b.ready < b.slots.length) return;
    b.data = b.flat ? this.#pack(b, b.flat) : this.#inPlace(b);
    for (let n = this.#buckets[this.#next]; n?.data; n = this.#buckets[this.#next]) {
      if (this.#next === 0) this.#overlapping = this.#overlap ?? this.#coresToSpare(p);
      if (++this.#next < this.#buckets.length) {
        if (this.#overlapping) n.work = allReduce(n.data, { op: 'avg', async: true });
        else this.#deferred.push(n);
        continue;
      }
      // The last bucket: backward has nothing left to overlap, so it runs as a blocking call (MPI
      // meets the peers at once, where the async form polls for them), after the deferred ones.
      this.#runDeferred();
      this.#allReduceNow(n);
      this.#finish();
      return;
    }
  }

  // The deferred buckets' all-reduces, in bucket order.
  #runDeferred(): void {
    for (const b of this.#deferred.splice(0)) this.#allReduceNow(b);
  }

  // A full bucket's all-reduce, blocking (a CPU bucket's through the buffer held for it).
  #allReduceNow(b: Bucket): void {
    if (b.held) allReduceHeld(b.held, 'avg');
    else allReduce(b.data!, { op: 'avg' });
  }

  // DDPOptions.overlap's default: a GPU gradient always (NCCL works on the device); a CPU one
  // where this rank has a core beyond its compute threads: of its own share of the cores when it
  // is bound to one (tensorkit run's default; the affinity mask is smaller than the host), else of
  // the host's cores split between its ranks.
  #coresToSpare(p: Tensor): boolean {
    if (p.device !== 'cpu') return true;
    const threads = binding.getNumThreads();
    // (read once: os.cpus() parses /proc, 50 µs, a twentieth of a small model's step)
    const c = (this.#cores ??= { mine: availableParallelism(), host: cpus().length });
    if (c.mine < c.host) return c.mine >= threads + 1;
    const local = Number(process.env.OMPI_COMM_WORLD_LOCAL_SIZE) || this.#size;
    return c.host >= local * (threads + 1);
  }

  /**
   * Whether the last synchronised backward's all-reduces overlapped it (DDPOptions.overlap, or its
   * default on this host); undefined before the first.
   */
  get overlapped(): boolean | undefined {
    return this.#overlapping;
  }

  // A large CPU gradient, all-reduced where it is.
  #inPlace(b: Bucket): Tensor {
    const p = b.slots[0].param;
    let g = p.grad; // one handle, held (and disposed) by the bucket until #finish
    if (!g) {
      g = zeros(p.shape, { dtype: p.dtype as DType });
      p.grad = g;
    }
    return (b.grad = g);
  }

  // The bucket's gradients copied into its flat buffer (unless they are views of it already).
  #pack(b: Bucket, flat: Tensor): Tensor {
    noGrad(() => {
      for (const s of b.slots) {
        // already the bucket's memory (asked natively: at the end of backward, with the caches full
        // of its data, a handle made and disposed per parameter cost the MLP's step 35-43 µs)
        if (this.#asView && binding.gradDataPtr(s.param._h) === s.ptr) continue;
        const g = s.param.grad; // elsewhere (set by the user, or not contiguous): copied in
        if (g) s.view!.copy_(g);
        else s.view!.zero_();
        if (this.#asView) s.param.grad = s.view!;
        g?.dispose();
      }
    });
    return flat;
  }

  #finish(): void {
    this.#next = 0;
    // findUnusedParameters: which parameters no rank's backward reached (nor had a .grad for)
    let nowhere: Set<Tensor> | undefined;
    if (this.#params) {
      const params = this.#params;
      const used = tensor(
        params.map((q) => (this.#hadNoGrad.has(q) ? 0 : 1)),
        { dtype: 'int32' },
      );
      allReduce(used, { op: 'max' });
      const u = used.data() as Int32Array;
      used.dispose();
      nowhere = new Set(params.filter((_, i) => u[i] === 0));
      this.#hadNoGrad.clear();
      this.#markedUnused.clear();
    }
    noGrad(() => {
      for (const b of this.#buckets) {
        const w = b.work;
        b.work = undefined;
        b.ready = 0;
        w?.waitSync(); // averaged on the communication thread
        b.data = undefined;
        if (!b.flat) {
          b.grad?.dispose(); // averaged where it is
          b.grad = undefined;
          continue;
        }
        if (this.#asView) continue; // the gradients are views of flat
        for (const s of b.slots) {
          const g = s.param.grad;
          if (g) {
            g.copy_(s.view!);
            g.dispose();
          } else if (!nowhere?.has(s.param)) {
            // unused here, used on another rank (findUnusedParameters): the average is its gradient
            const c = s.view!.clone();
            s.param.grad = c;
            c.dispose();
          }
        }
      }
    });
    // a parameter no rank used keeps no gradient (bucket views and in-place zeros go)
    for (const q of nowhere ?? []) q.grad = null;
  }

  /**
   * Runs the wrapped module's forward. First it checks that the last backward averaged every
   * gradient, and copies rank 0's buffers to every rank (broadcastBuffers).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  forward(...args: any[]): any {
    this.#checkPrevious();
    if (this.#broadcastBuffers && this.#size > 1) this.#syncBuffers();
    const out = this.module.forward(...args);
    if (this.#params) {
      const roots: Tensor[] = [];
      tensorsIn(out, roots, 0);
      const reached = binding.reaches(
        roots.map((t) => t._h),
        this.#params.map((p) => p._h),
      );
      this.#unused = this.#params.filter((_, i) => !reached[i]);
    }
    return out;
  }

  // Rank 0's buffers to every rank: packed per dtype (and device) into one flat tensor, one
  // broadcast each.
  #syncBuffers(): void {
    const groups = new Map<string, Tensor[]>();
    for (const b of this.module.buffers()) {
      const key = `${b.dtype} ${b.device}`;
      const list = groups.get(key);
      if (list) list.push(b);
      else groups.set(key, [b]);
    }
    noGrad(() => {
      for (const [key, bufs] of groups) {
        const n = bufs.reduce((k, b) => k + b.numel(), 0);
        let flat = this.#bufferFlats.get(key);
        if (flat?.numel() !== n) {
          flat?.dispose();
          // lives across the caller's tidy() scopes
          flat = keep(zeros([n], { dtype: bufs[0].dtype, device: bufs[0].device }));
          this.#bufferFlats.set(key, flat);
        }
        const parts = (fn: (part: Tensor, b: Tensor) => void) => {
          let off = 0;
          for (const b of bufs) {
            const slice = flat!.narrow(0, off, b.numel());
            const part = slice.view(b.shape);
            fn(part, b);
            part.dispose();
            slice.dispose();
            off += b.numel();
          }
        };
        if (this.#rank === 0) parts((part, b) => part.copy_(b));
        broadcast(flat, { src: 0 });
        if (this.#rank !== 0) parts((part, b) => b.copy_(part));
      }
    });
  }

  // Ends a backward that cannot finish, before its error is thrown: runs what was deferred, so
  // the ranks stay in step, then drains what was launched and resets for the next one.
  #abandon(): void {
    try {
      this.#runDeferred();
    } finally {
      this.#forget();
    }
  }

  #checkPrevious(): void {
    if (!this.#buckets.some((b) => b.ready > 0)) return;
    const missing = this.#buckets.flatMap((b) => (b.ready > 0 ? [] : b.slots.map((s) => s.param.shape)));
    this.#abandon();
    fail(
      'INVALID_ARGUMENT',
      `DistributedDataParallel: the last backward produced no gradient for some parameters ` +
        `(${missing.length ? `shapes ${missing.map((s) => `[${s.join(', ')}]`).join(', ')}` : 'part of a bucket'}), ` +
        `so their all-reduce never ran; every parameter that requires grad must take part in the loss ` +
        `(or set requiresGrad = false on the ones that do not)`,
    );
  }

  /**
   * Skips the gradient all-reduce for the backward passes run inside (gradient accumulation): the
   * gradients add up locally, and the first backward after it averages the sum. With a function,
   * runs it and returns its result; without, returns a handle to dispose (`using`).
   * @example for (const mb of micro.slice(0, -1)) model.noSync(() => loss(mb).backward()); loss(last).backward();
   */
  noSync<T>(fn: () => T): T;
  noSync(): {
    /** Turns synchronisation back on. */
    [Symbol.dispose](): void;
  };
  noSync<T>(fn?: () => T): T | { [Symbol.dispose](): void } {
    // Checked before turning synchronisation off, so a bad argument leaves it on.
    if (fn !== undefined) functionArg('DistributedDataParallel.noSync', 'fn', fn);
    const prev = this.#sync;
    this.#sync = false;
    if (fn === undefined) return { [Symbol.dispose]: () => void (this.#sync = prev) };
    let result: T;
    try {
      result = fn();
    } finally {
      this.#sync = prev;
    }
    if (result instanceof Promise)
      fail('INVALID_ARGUMENT', 'noSync: the function returned a Promise; run backward synchronously inside noSync');
    return result;
  }

  /** Removes the gradient hooks and frees the buckets; the wrapped module is untouched. */
  dispose(): void {
    for (const h of this.#hooks.splice(0)) h.remove();
    for (const b of this.#buckets.splice(0)) {
      for (const s of b.slots) {
        if (this.#shared && !s.param.isDisposed) binding.setGradDestination(s.param._h, null);
        s.view?.dispose();
      }
      b.flat?.dispose();
      b.grad?.dispose();
    }
    this.#bucketOf.clear();
    for (const f of this.#bufferFlats.values()) f.dispose();
    this.#bufferFlats.clear();
  }
}
