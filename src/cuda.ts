// CUDA device queries. Without a CUDA build or a driver, isAvailable() is false and everything
// else keeps working on the CPU.
import { binding } from './binding.js';

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
