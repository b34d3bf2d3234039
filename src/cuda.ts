// CUDA device queries. Without a CUDA build or a driver, isAvailable() is false and everything
// else keeps working on the CPU.
/**
 * CUDA device queries and memory statistics, as torch.cuda. Without a CUDA build or a driver, `isAvailable()` is
 * false and everything else runs on the CPU.
 *
 * @example
 * if (cuda.isAvailable()) model.to('cuda');
 * @module cuda
 */
import { binding } from './binding.js';
import { fail } from './errors.js';
import { describe } from './options.js';

/** Whether a CUDA device can be used. @example const dev = cuda.isAvailable() ? 'cuda' : 'cpu' */
export function isAvailable(): boolean {
  return binding.cudaInfo().deviceCount > 0;
}
/** Number of usable CUDA devices (0 without a driver). */
export function deviceCount(): number {
  return binding.cudaInfo().deviceCount;
}
/** Whether this build of tensorkit includes the CUDA backend. */
export function isCompiled(): boolean {
  return binding.cudaInfo().compiled;
}
/** Why CUDA is or is not usable, for diagnostics. */
export function status(): string {
  return binding.cudaInfo().status;
}

/** One CUDA device's caching-allocator figures (PyTorch's `torch.cuda.memory_stats`, renamed). */
export interface CudaMemoryStats {
  /** Bytes in blocks held by live tensors. */
  allocatedBytes: number;
  /** Bytes obtained from the driver: allocated plus cached. */
  reservedBytes: number;
  peakAllocatedBytes: number;
  peakReservedBytes: number;
  /** Freed blocks kept for reuse (returned by `emptyCache()`). */
  cachedBytes: number;
  /** Allocation requests served, and how many of them came from the cache. */
  allocCalls: number;
  cacheHits: number;
  /** cudaMalloc and cudaFree calls made. */
  rawAllocs: number;
  rawFrees: number;
  /** Times cudaMalloc failed and the cache was emptied before retrying; requests that still failed. */
  oomRetries: number;
  ooms: number;
}

function deviceIndex(op: string, device: number | string): number {
  if (typeof device === 'number' && Number.isInteger(device) && device >= 0) return device;
  const m = typeof device === 'string' ? /^cuda(?::(\d+))?$/.exec(device) : null;
  if (!m) fail('INVALID_ARGUMENT', `${op}: expected a device index or 'cuda[:N]', got ${describe(device)}`);
  return m[1] === undefined ? 0 : Number(m[1]);
}

/**
 * The caching allocator's figures for a CUDA device. Throws CUDA_ERROR (with the reason) where
 * that device is not available.
 * @example const { allocatedBytes, cachedBytes } = cuda.memory();
 */
export function memory(device: number | string = 0): CudaMemoryStats {
  return binding.cudaMemory(deviceIndex('cuda.memory', device));
}

/** Restarts the peak figures of `memory()` from the current ones. */
export function resetPeakMemoryStats(device: number | string = 0): void {
  binding.cudaResetPeak(deviceIndex('cuda.resetPeakMemoryStats', device));
}

/**
 * Returns the cached (free) device blocks to the driver, for other processes; live tensors are
 * untouched. A no-op without CUDA. (`tk.emptyCache()` empties the CPU cache as well.)
 * @example cuda.emptyCache();
 */
export function emptyCache(): void {
  binding.cudaEmptyCache();
}

/**
 * Waits until every kernel and copy queued on the device's stream has finished: ops on CUDA
 * tensors return once queued, so time GPU work between two synchronize() calls. CUDA_ERROR where
 * the device is not available.
 * @example cuda.synchronize(); const t0 = performance.now(); y = model.call(x); cuda.synchronize();
 */
export function synchronize(device: number | string = 0): void {
  binding.cudaSynchronize(deviceIndex('cuda.synchronize', device));
}
