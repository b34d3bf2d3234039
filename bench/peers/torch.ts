// The optional PyTorch peer of the programs suite: torch_programs.py in a python3 that has torch
// (Debian's python3-torch installs into /usr/bin/python3, which may not be the first python3).
import { fileURLToPath } from 'node:url';

import { pythonWith, startPython } from './python.js';

const SCRIPT = fileURLToPath(new URL('./torch_programs.py', import.meta.url));
const PYTHONS = ['python3', '/usr/bin/python3'];

export interface TorchPeer {
  /** e.g. "PyTorch 1.13.1 (2 threads, OpenBLAS)" */
  readonly label: string;
  /** The BLAS under PyTorch's matrix products: 'OpenBLAS', 'MKL', ..., 'reference' (netlib's, slow). */
  readonly blas: string;
  /** Median milliseconds per call of the named program (bench/programs.ts) over `budgetMs`. */
  time(program: string, budgetMs: number): Promise<number>;
  close(): void;
}

export function torchAvailable(): boolean {
  return pythonWith('torch', PYTHONS) !== null;
}

export async function startTorch(threads: number): Promise<TorchPeer | undefined> {
  const python = pythonWith('torch', PYTHONS);
  if (!python) return undefined;
  const n = String(threads);
  // glibc's malloc serves blocks above its mmap threshold (128 KiB until a freed block raises it) by
  // fresh mappings, so a new PyTorch process page-faults its multi-MB activations in on every step:
  // the 3-D CNN step measured 57-78 ms cold against 21-23 ms once an earlier program had raised
  // the threshold. Fixed thresholds give PyTorch its warmed allocator from the first program.
  const p = await startPython(python, SCRIPT, [n], {
    OMP_NUM_THREADS: n,
    MKL_NUM_THREADS: n,
    OPENBLAS_NUM_THREADS: n,
    MALLOC_MMAP_THRESHOLD_: String(2 ** 28),
    MALLOC_TRIM_THRESHOLD_: String(2 ** 30),
  });
  const blas = String(p.hello.blas ?? 'unknown');
  const threadsText = `${p.hello.threads} thread${p.hello.threads === 1 ? '' : 's'}`;
  return {
    label: `PyTorch ${p.hello.torch} (${threadsText}, ${blas === 'reference' ? 'reference BLAS' : blas})`,
    blas,
    async time(program, budgetMs) {
      return (await p.ask(`${program} ${budgetMs}`)).ms as number;
    },
    close: () => p.close(),
  };
}
