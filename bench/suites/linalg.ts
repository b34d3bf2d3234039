// torch.linalg: the native factorizations (float64, unblocked, one matrix per thread) against the
// plain-TypeScript references (n <= 128) and, when python3 + numpy are installed, numpy.linalg
// (LAPACK through OpenBLAS) in the same run. peer > 1 would mean tensorkit is faster.
import * as tk from '../../src/index.js';
import * as plain from '../../src/plain/index.js';
import { measure, type Options, type Row } from '../lib.js';
import { startNumpy } from '../peers/numpy.js';

const { linalg } = tk;

export async function* linalgSuite(opts: Options, threads: number[]): AsyncGenerator<Row> {
  const suite = 'linalg';
  const sizes = opts.smoke ? [32] : opts.quick ? [64, 256] : [64, 256, 512];
  const budget = opts.quick ? 150 : 400;
  for (const th of threads) {
    tk.setNumThreads(th);
    const np = opts.smoke ? undefined : await startNumpy(th);
    try {
      for (const n of sizes) {
        tk.manualSeed(1);
        const a = tk.randn([n, n], { dtype: 'float64' });
        const spd = tk.tidy(() => a.matmul(a.mT).add(tk.eye(n, { dtype: 'float64' }).mul(n)));
        const b = tk.randn([n, n], { dtype: 'float64' });
        const [pa, pspd] = [a, spd].map((t) => plain.plainTensor(t.toArray() as number[][], 'float64'));
        // name (its first word is the numpy request), flops (the conventional count), native, plain
        const cases: [string, number, () => unknown, (() => unknown) | undefined][] = [
          ['cholesky', n ** 3 / 3, () => linalg.cholesky(spd), () => plain.choleskyEx(pspd)],
          ['solve (n right-hand sides)', (2 / 3) * n ** 3 + 2 * n ** 3, () => linalg.solve(a, b), undefined],
          ['inv', 2 * n ** 3, () => linalg.inv(a), undefined],
          ['eigh', (4 / 3) * n ** 3 + 6 * n ** 3, () => linalg.eigh(spd), () => plain.eigh(pspd)],
          [
            'svd (reduced)',
            4 * n ** 3 + 8 * n ** 3,
            () => linalg.svd(a, { fullMatrices: false }),
            () => plain.svd(pa, false),
          ],
          ['qr', (4 / 3) * n ** 3 * 2, () => linalg.qr(a), () => plain.qr(pa)],
        ];
        for (const [name, flops, nat, pl] of cases) {
          const nativeUs = await measure(() => tk.tidy(() => void nat()), opts, 1, budget);
          const plainUs = pl && n <= 128 && !opts.smoke ? await measure(() => void pl(), opts, 1, budget) : undefined;
          const request = name.split(' ')[0];
          const peerUs = np ? await np.run(`linalg ${request}`, n, budget) : undefined;
          yield { suite, name: `${name} ${n}x${n} float64`, threads: th, nativeUs, plainUs, flops, peerUs };
        }
        a.dispose();
        spd.dispose();
        b.dispose();
      }
    } finally {
      np?.close();
    }
  }
}
