// The optional numpy peer: a python3 child that times numpy's matmul on request, so a row can
// show tensorkit and OpenBLAS measured side by side in one run. Absent python3 or numpy, the
// bench says so and goes on — never a dependency.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./numpy_matmul.py', import.meta.url));

export interface NumpyPeer {
  /** e.g. "numpy 2.3.5, scipy-openblas 0.3.31" */
  readonly label: string;
  /** Median microseconds per call of a @ b ([M, K] @ [K, N]; `transposeA`: a is a transposed view). */
  matmul(M: number, K: number, N: number, dtype: string, transposeA: boolean, budgetMs: number): Promise<number>;
  close(): void;
}

let available: boolean | undefined;
export function numpyAvailable(): boolean {
  available ??= spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
  return available;
}

/** Starts the peer with `threads` BLAS threads, or returns undefined when numpy is missing. */
export async function startNumpy(threads: number): Promise<NumpyPeer | undefined> {
  if (!numpyAvailable()) return undefined;
  // A short thread timeout: OpenBLAS workers otherwise spin after each call and steal the cores
  // from the tensorkit measurement that follows.
  const env = {
    ...process.env,
    OPENBLAS_NUM_THREADS: String(threads),
    OMP_NUM_THREADS: String(threads),
    MKL_NUM_THREADS: String(threads),
    OPENBLAS_THREAD_TIMEOUT: '4',
  };
  const child: ChildProcessWithoutNullStreams = spawn('python3', [SCRIPT], { env });
  const lines: Interface = createInterface({ input: child.stdout });
  const it = lines[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const r = await it.next();
    if (r.done) throw new Error('numpy peer exited');
    return JSON.parse(r.value) as Record<string, unknown>;
  };
  const hello = await next();
  return {
    label: `numpy ${hello.numpy}, ${hello.blas}`,
    async matmul(M, K, N, dtype, transposeA, budgetMs) {
      child.stdin.write(`${M} ${K} ${N} ${dtype} ${transposeA ? 1 : 0} ${budgetMs}\n`);
      return (await next()).us as number;
    },
    close() {
      child.stdin.end();
      child.kill();
    },
  };
}
