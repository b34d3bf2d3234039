// matmul: GFLOP/s by shape and thread count, with the plain triple loop (N <= 512) and, when
// python3 + numpy are installed, numpy's matmul (OpenBLAS) timed in the same run. Each shape is
// measured in alternating rounds (tensorkit, numpy, tensorkit, numpy, ...) and the best median
// of each side kept, so a noisy stretch on a shared machine hits both alike.
import * as tk from '../../src/index.js';
import * as plain from '../../src/plain/index.js';
import { measure, type Options, type Row } from '../lib.js';
import { numpyAvailable, startNumpy } from '../peers/numpy.js';

interface Shape {
  name: string;
  M: number;
  K: number;
  N: number;
  dtype: tk.DType;
  transposeA?: boolean;
}

function shapes(quick: boolean): Shape[] {
  const square = (quick ? [64, 256, 512] : [64, 128, 256, 512, 1024, 2048]).map((n): Shape => ({
    name: `sgemm ${n}x${n}`,
    M: n,
    K: n,
    N: n,
    dtype: 'float32',
  }));
  return [
    ...square,
    { name: 'MLP layer [64,784]@[784,256]', M: 64, K: 784, N: 256, dtype: 'float32' },
    { name: 'sgemm a.T@b 1024 (a transposed view)', M: 1024, K: 1024, N: 1024, dtype: 'float32', transposeA: true },
    ...(quick ? [256] : [256, 1024]).map((n): Shape => ({
      name: `dgemm ${n}x${n}`,
      M: n,
      K: n,
      N: n,
      dtype: 'float64',
    })),
  ];
}

export async function* matmul(opts: Options, threads: number[]): AsyncGenerator<Row> {
  const suite = 'matmul';
  const rounds = opts.quick ? 1 : 3;
  const budget = opts.quick ? 150 : 400;
  // The Lesson 1.3 baseline: the naive triple loop in plain TypeScript.
  const plainUs = new Map<number, number>();
  for (const n of opts.smoke ? [64, 256] : opts.quick ? [64, 256, 512] : [64, 128, 256, 512]) {
    const a = plain.randn([n, n]),
      b = plain.randn([n, n]);
    plainUs.set(n, await measure(() => plain.matmul(a, b), opts, 1, n >= 512 ? 1 : 300));
  }
  if (!numpyAvailable()) console.log('  (python3 with numpy not found: no peer comparison)');
  for (const th of threads) {
    tk.setNumThreads(th);
    const np = opts.smoke ? undefined : await startNumpy(th);
    if (np && th === threads[0]) console.log(`  peer: ${np.label}`);
    try {
      for (const s of shapes(opts.quick)) {
        const a0 = tk.randn(s.transposeA ? [s.K, s.M] : [s.M, s.K], { dtype: s.dtype });
        const a = s.transposeA ? a0.transpose(0, 1) : a0;
        const b = tk.randn([s.K, s.N], { dtype: s.dtype });
        let nativeUs = Infinity,
          peerUs = Infinity;
        for (let r = 0; r < rounds; r++) {
          nativeUs = Math.min(nativeUs, await measure(() => a.matmul(b).dispose(), opts, 1, budget));
          if (np) peerUs = Math.min(peerUs, await np.matmul(s.M, s.K, s.N, s.dtype, !!s.transposeA, budget));
        }
        const square = s.M === s.K && s.K === s.N && s.dtype === 'float32' && !s.transposeA;
        yield {
          suite,
          name: s.name,
          threads: th,
          nativeUs,
          flops: 2 * s.M * s.K * s.N,
          plainUs: square ? plainUs.get(s.M) : undefined,
          peerUs: np ? peerUs : undefined,
        };
        a0.dispose();
        b.dispose();
      }
    } finally {
      np?.close();
    }
  }
}
