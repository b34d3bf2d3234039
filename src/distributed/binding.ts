// The ONLY file that loads the MPI addon (tensorkit_mpi.node, bindings/distributed.cpp). It is a
// second addon so that the main package loads where Open MPI is absent; it is loaded on first use
// of a process group, never at import.
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { TensorError } from '../errors.js';

/** The MPI addon's whole surface. */
export interface MpiBinding {
  /** Starts MPI (once per process); completions call onComplete(id) on the main thread. */
  init(
    errorClass: typeof TensorError,
    onComplete: (id: number) => void,
  ): { rank: number; size: number; library: string; sharedMemory: boolean };
  /** Queues one operation (addresses from the main addon's dataPtr); returns its id. */
  submit(
    kind: string,
    send: bigint | null,
    recv: bigint | null,
    count: number,
    dtype: string,
    reduce: string,
    peer: number,
    tag: number,
    /** The caller waits at once: a blocking MPI call (else nonblocking, polled). */
    blocking: boolean,
    /** -1: host memory, through MPI; N: memory on cuda:N, through NCCL. */
    device: number,
    /** recv in memory other processes can map: the main addon's sharedMemoryOf(), else null. */
    shared: [number, bigint, number] | null,
  ): number;
  /**
   * Blocks until the work completes, or at most `ms` milliseconds; throws its error. Returns
   * whether it completed (then it is forgotten).
   */
  wait(id: number, ms?: number): boolean;
  /** A completed work's error (null: none), forgetting it; undefined when already forgotten. */
  take(id: number): string | null | undefined;
  /** The host all-reduces through shared memory so far: [in place in the ranks' buffers, through the slots]. */
  sharedCalls(): [number, number];
  /** Keeps the process alive while async works are pending (true), or not. */
  ref(on: boolean): void;
  /** MPI_Finalize, or MPI_Abort(code) when abort. */
  finalize(abort: boolean, code?: number): void;
  /** Whether this addon has the NCCL backend (tensorkit built with CUDA). */
  readonly ncclCompiled: boolean;
  /** Loads libnccl; its version code (2.18.3: 21803). Throws why NCCL cannot be used. */
  ncclVersion(errorClass: typeof TensorError): number;
}

/** What installs Open MPI on Debian and Ubuntu. */
export const INSTALL_MPI = 'apt-get install openmpi-bin libopenmpi-dev';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the addon may be: $TENSORKIT_MPI_ADDON, the source build, the prebuild. */
export function mpiAddonPaths(): string[] {
  const env = process.env.TENSORKIT_MPI_ADDON;
  return [
    ...(env ? [env] : []),
    join(root, 'build', 'Release', 'distributed', 'tensorkit_mpi.node'),
    join(root, 'build', 'Debug', 'distributed', 'tensorkit_mpi.node'),
    join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'distributed', 'tensorkit_mpi.node'),
  ];
}

let cached: MpiBinding | undefined;
let cachedPath = '';

/** The file mpiBinding() loaded (after a successful load). */
export function mpiAddonPath(): string {
  return cachedPath;
}

/**
 * The MPI addon, loaded on first call. Throws a DISTRIBUTED_ERROR naming the library and the command
 * that installs it when the addon was not built or libmpi is missing.
 */
export function mpiBinding(): MpiBinding {
  if (cached) return cached;
  const paths = mpiAddonPaths();
  const found = paths.find((p) => existsSync(p));
  if (!found)
    throw new TensorError(
      `distributed: the MPI addon was not built (Open MPI's headers were missing when tensorkit was built); ` +
        `looked in ${paths.join(', ')}. Fix: ${INSTALL_MPI}, then 'npm rebuild tensorkit'`,
      'DISTRIBUTED_ERROR',
    );
  const mod = { exports: {} as MpiBinding };
  try {
    // RTLD_GLOBAL: Open MPI loads its transport plugins with dlopen, and they need libmpi's symbols
    // visible process-wide.
    process.dlopen(mod, found, constants.dlopen.RTLD_NOW | constants.dlopen.RTLD_GLOBAL);
  } catch (e) {
    throw new TensorError(
      `distributed: could not load the MPI addon ${found}: ${(e as Error).message}. ` +
        `The MPI library (libmpi.so.40, Open MPI 4) is missing or broken; install it: ${INSTALL_MPI}`,
      'DISTRIBUTED_ERROR',
    );
  }
  cached = mod.exports;
  cachedPath = found;
  return cached;
}
