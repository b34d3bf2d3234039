// The ONLY file that loads the native addon. Its whole surface is the `Binding` interface.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { TensorError } from './errors.js';

/** A native tensor reference: an id into the binding's per-thread handle table. */
export type Handle = number & { readonly __tkHandle: unique symbol };
/** A tensor operand as the binding accepts it: a handle, or a scalar boxed in a 1-element array. */
export type Operand = Handle | readonly [number | boolean | bigint];
/** Positional op options: numbers, booleans, strings, integer lists, or null for "default". */
export type Attr = number | boolean | string | readonly number[] | null | undefined;

/** What `memory()` reports. */
export interface MemoryInfo {
  /** Tensors alive in this JS environment (not yet disposed or collected). */
  tensors: number;
  /** Bytes of native storage alive in the process. */
  bytes: number;
  /** Storage blocks alive in the process (views share one). */
  storages: number;
  /** Freed bytes kept by the caching allocators for reuse. */
  cachedBytes: number;
  /** Highest `bytes` seen. */
  peakBytes: number;
  /** Bytes this JS environment has reported to V8 as external memory (GC pressure). */
  reportedBytes: number;
}

/** What the CPU is and which kernels run on it (getCpuInfo). */
export interface CpuInfo {
  /** The SIMD level kernels run with now (lowered by TENSORKIT_CPU_CAPABILITY or setCpuCapability). */
  capability: 'avx512' | 'avx2' | 'default';
  /** What the hardware supports. */
  detected: 'avx512' | 'avx2' | 'default';
  /** Data-cache bytes per core (l3: the share one core can count on). */
  l1d: number;
  l2: number;
  l3: number;
  /** cpuid's vendor string, display family and model ('' and 0 off x86). */
  vendor: string;
  family: number;
  model: number;
  /** The core's name in the kernel table ('zen5', 'sapphirerapids', ...), or '' when unknown. */
  microarch: string;
  /**
   * The GEMM kernel: its level, and where the choice came from — 'table' (a known core),
   * 'calibrated' (both kernels timed once at the first product, with their GFLOP/s), 'instruction
   * set' (one candidate) or 'lowered' (the active capability capped it).
   */
  gemm: { level: 'avx512' | 'avx2' | 'default'; source: string; avx512Gflops?: number; avx2Gflops?: number };
}

export interface Binding {
  init(errorClass: typeof TensorError): void;
  /** attrs: undefined, a JS array, or the item count of attributes encoded into attrBuf. */
  call(op: number, attrs: readonly Attr[] | number | undefined, ...inputs: Operand[]): Handle | Handle[] | undefined;
  /** A Uint16Array holds the bits of `dtype` (float16 or bfloat16). */
  fromData(
    data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array,
    shape: [readonly number[]],
    dtype?: string,
  ): Handle;
  /** Copies the elements (row-major, as stored) into `buf`, which must have exactly their size. */
  /** Copies the elements into buf at byteOffset (default 0: then buf must be exactly their size). */
  readInto(h: Handle, buf: ArrayBuffer, byteOffset?: number): void;
  item(h: Handle): number | boolean;
  /**
   * The arrays of numbers that are the values of members named `key` in a JSON text (native/src/io/
   * number_text.cpp): `spans` holds begin, end and value count per array, `values` their numbers.
   */
  scanNumberArrays(bytes: Uint8Array, key: string): { spans: Float64Array; values: Float64Array };
  /** Releases the tensor behind a handle; later uses of the id report DISPOSED. Idempotent. */
  free(h: Handle): void;
  /** Weakly watches tensors that outlived their tick (objects, their ids, count); may sweep (bindings/gc.cpp). */
  watch(objects: readonly object[], ids: Float64Array, n: number): void;
  /** Frees the handles of watched tensors the GC collected; returns how many are still watched. */
  sweep(): number;
  strides(h: Handle): number[];
  storageOffset(h: Handle): number;
  isContiguous(h: Handle): boolean;
  /**
   * The address of element 0 of a contiguous CPU tensor, for the MPI addon only (src/distributed/),
   * which uses the memory while it holds a `share()` of the tensor.
   */
  dataPtr(h: Handle): bigint;
  /** A new CPU tensor of zeros of h's shape and dtype in memory other processes can map. */
  shareableZeros(h: Handle): Handle;
  /** [memfd, its inode, byte offset of element 0] of a contiguous tensor in shareable memory, else null. */
  sharedMemoryOf(h: Handle): [number, bigint, number] | null;
  memory(): MemoryInfo;
  emptyCache(): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  manualSeed(seed: number | bigint): void;
  initialSeed(): bigint;
  getRngState(): [bigint, bigint];
  setRngState(seed: bigint, offset: bigint): void;
  cudaInfo(): { compiled: boolean; deviceCount: number; status: string };
  cudaMemory(device: number): import('./cuda.js').CudaMemoryStats;
  cudaResetPeak(device: number): void;
  cudaSynchronize(device: number): void;
  cudaEmptyCache(): void;
  cpuInfo(): CpuInfo;
  // ---- autograd (bindings/autograd.cpp) ----
  requiresGrad(h: Handle): boolean;
  setRequiresGrad(h: Handle, on: boolean): void;
  isLeaf(h: Handle): boolean;
  gradFn(h: Handle): string | null;
  /** For each leaf, whether a backward from the roots reaches it (accumulates into its .grad). */
  reaches(roots: Handle[], leaves: Handle[]): boolean[];
  /** New handles on the leaves requiring grad that a backward from roots reaches, in a fixed order. */
  leavesOf(roots: Handle[]): Handle[];
  grad(h: Handle): Handle | null;
  /** The address of element 0 of h's .grad where it is contiguous (as dataPtr), else null (src/distributed/). */
  gradDataPtr(h: Handle): bigint | null;
  setGrad(h: Handle, g: Handle | null): void;
  /** Where backward writes a leaf's gradient while its .grad is unset (null: nowhere special). */
  setGradDestination(h: Handle, dest: Handle | null): void;
  retainGrad(h: Handle): void;
  retainsGrad(h: Handle): boolean;
  detach(h: Handle): Handle;
  /** Writes an existing handle's metadata to meta slot 0. */
  describe(h: Handle): void;
  /** `h.data = src` for a leaf (keeps requiresGrad, drops the gradient); writes h's new meta to slot 0. */
  setData(h: Handle, src: Handle): void;
  /** Hooks a leaf (id) or unhooks it (null): after backward accumulates its .grad, the dispatcher gets id. */
  setPostAccumulateHook(h: Handle, id: number | null): void;
  setPostAccumulateDispatcher(fn: (id: number) => void): void;
  /** Adds a gradient hook to h (Tensor.registerHook); the dispatcher gets (id, a handle to the gradient). */
  addGradHook(h: Handle, id: number): void;
  /** Removes h's gradient hook `id` (a no-op where h no longer holds it). */
  removeGradHook(h: Handle, id: number): void;
  /** The function that runs gradient hooks: (id, gradient handle it owns) => a new handle to the replacement, or null. */
  setGradHookDispatcher(fn: (id: number, grad: Handle) => Handle | null): void;
  /** Ids of gradient hooks freed (with their tensor or graph node) since the last call. */
  takeReleasedGradHooks(): number[];
  /** Anomaly detection on this thread: node traces kept, errors in backward traced, NaN gradients refused (checkNan). */
  setAnomalyMode(enabled: boolean, checkNan: boolean): void;
  /** Attaches where h's op was called to the node that made h (no-op for a leaf, or a node that has one). */
  setNodeTrace(h: Handle, trace: string): void;
  /** Returns the previous mode. */
  setGradEnabled(on: boolean): boolean;
  isGradEnabled(): boolean;
  differentiable(op: string): boolean;
  backward(roots: Handle[], grads: (Handle | null)[], retainGraph: boolean, createGraph: boolean): void;
  /** The function that runs autograd.Function backwards: (id, gradient handles, saved handles) => one handle or null per tensor input. */
  setFunctionHook(fn: (id: number, grads: (Handle | null)[], saved: (Handle | null)[]) => (Handle | null)[]): void;
  /** Links outputs to one custom node; returns the outputs' handles (a new one where an output became an alias). */
  recordFunction(
    id: number,
    name: string,
    inputs: Handle[],
    outputs: Handle[],
    saved: (Handle | null)[],
    nonDifferentiable: boolean[],
    dirty: boolean[],
  ): Handle[];
  /** Ids of recorded Function calls whose graph node was freed since the last call. */
  takeReleasedFunctions(): number[];
  /** A new handle to the same tensor (same autograd identity). */
  share(h: Handle): Handle;
  /**
   * The rows `indices` of an array viewed as [rows, ...rowShape] (it may live in a
   * SharedArrayBuffer), stacked into a new tensor; a Uint16Array holds float16 bits unless `dtype`.
   */
  fromRows(data: ArrayBufferView, rowShape: readonly number[][], indices: readonly number[], dtype?: string): Handle;
  /** Parks a CPU tensor without autograd history for another thread of this process, under a group; returns its token. */
  handoffPut(h: Handle, group: number): number;
  /** Takes the tensor parked under `token` (a handle in this thread); the token is spent. */
  handoffTake(token: number): Handle;
  /** Frees the tensor parked under `token`, if any (a batch nobody will take). */
  handoffDrop(token: number): boolean;
  /** Frees every tensor still parked under `group`; returns how many there were. */
  handoffDropGroup(group: number): number;
  /** Tensors parked now. */
  handoffCount(): number;
  autogradGrad(
    outputs: Handle[],
    inputs: Handle[],
    gradOutputs: (Handle | null)[],
    retainGraph: boolean,
    createGraph: boolean,
    allowUnused: boolean,
    /** Skip the hooks of the inputs' own gradients (utils.checkpoint: the outer backward runs them). */
    skipInputHooks?: boolean,
  ): (Handle | null)[];
  /** Result metadata of the last call: per output slot, [dtype, deviceType, deviceIndex, ndim, ...shape]. */
  readonly meta: Float64Array;
  /** Shared buffer for numeric attributes (see encodeAttrs). */
  readonly attrBuf: Float64Array;
  readonly metaSlot: number;
  /** Index in `meta` of the flag asking memory.ts to hand its pending tensors to the GC now. */
  readonly unwatchedFlag: number;
  readonly opNames: readonly string[];
  readonly errorCodes: readonly string[];
  readonly dtypes: readonly string[];
  readonly maxDims: number;
}

function packageRoot(): string {
  // src/binding.ts and dist/binding.js both sit one level below the package root.
  return join(dirname(fileURLToPath(import.meta.url)), '..');
}

function load(): Binding {
  const root = packageRoot();
  const require = createRequire(import.meta.url);
  try {
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => Binding;
    return nodeGypBuild(root);
  } catch (e) {
    const napi = process.versions.napi;
    throw new TensorError(
      `tensorkit: could not load the native addon for ${process.platform}-${process.arch} ` +
        `(Node-API ${napi}, node ${process.version}). Looked in ${join(root, 'build/Release')} and ` +
        `${join(root, 'prebuilds', `${process.platform}-${process.arch}`)}. ` +
        `Fix: run 'npm rebuild tensorkit' (needs cmake and a C++20 compiler) or 'npm run prebuild'. ` +
        `Cause: ${(e as Error).message}`,
      'INTERNAL',
    );
  }
}

export const binding: Binding = load();
binding.init(TensorError);
