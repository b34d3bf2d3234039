// The optional numpy peer: a python3 child that times numpy's matmul on request, so a row can
// show tensorkit and OpenBLAS measured side by side in one run.
import { fileURLToPath } from 'node:url';

import { pythonWith, startPython } from './python.js';

const SCRIPT = fileURLToPath(new URL('./numpy_matmul.py', import.meta.url));

export interface NumpyPeer {
  /** e.g. "numpy 2.3.5, scipy-openblas 0.3.31" */
  readonly label: string;
  /** Median microseconds per call of a @ b ([M, K] @ [K, N]; `transposeA`: a is a transposed view). */
  matmul(M: number, K: number, N: number, dtype: string, transposeA: boolean, budgetMs: number): Promise<number>;
  /** Median microseconds of a named workload of numpy_matmul.py (e.g. "mlp_step", "add"). */
  run(name: string, arg: number, budgetMs: number): Promise<number>;
  close(): void;
}

export function numpyAvailable(): boolean {
  return pythonWith('numpy') !== null;
}

/** Starts the peer with `threads` BLAS threads, or returns undefined when numpy is missing. */
export async function startNumpy(threads: number): Promise<NumpyPeer | undefined> {
  const python = pythonWith('numpy');
  if (!python) return undefined;
  // A short thread timeout: OpenBLAS workers otherwise spin after each call and steal the cores
  // from the tensorkit measurement that follows.
  const n = String(threads);
  const p = await startPython(python, SCRIPT, [], {
    OPENBLAS_NUM_THREADS: n,
    OMP_NUM_THREADS: n,
    MKL_NUM_THREADS: n,
    OPENBLAS_THREAD_TIMEOUT: '4',
  });
  return {
    label: `numpy ${p.hello.numpy}, ${p.hello.blas}`,
    async matmul(M, K, N, dtype, transposeA, budgetMs) {
      return (await p.ask(`matmul ${M} ${K} ${N} ${dtype} ${transposeA ? 1 : 0} ${budgetMs}`)).us as number;
    },
    async run(name, arg, budgetMs) {
      return (await p.ask(`${name} ${arg} ${budgetMs}`)).us as number;
    },
    close: () => p.close(),
  };
}
