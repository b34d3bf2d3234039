// monitor: the two figures. KS per feature on a 1,000 x 784 window against a 1,000 x 784
// reference (detectDrift with method 'ks': 784 exact tests), and MMD with 100 permutations on
// 500 x 32 against 500 x 32; also scipy's ks_2samp over the same 784 columns when numpy/scipy are
// there is not run here (a plain loop in Python would measure the interpreter).
import * as tk from '../../src/index.js';
import { measure, type Options, type Row } from '../lib.js';

export async function* monitorSuite(opts: Options, threads: number[]): AsyncGenerator<Row> {
  const suite = 'monitor';
  tk.manualSeed(0);
  const ref = tk.randn([1000, 784]),
    cur = tk.randn([1000, 784]).add(0.05);
  const a = tk.randn([500, 32]),
    b = tk.randn([500, 32]).add(0.1);
  for (const th of threads) {
    tk.setNumThreads(th);
    const ks = await measure(
      () => void tk.monitor.detectDrift(ref, cur, { method: 'ks' }),
      opts,
      1,
      opts.quick ? 600 : 2000,
    );
    yield { suite, name: 'KS per feature, 1,000 x 784 window vs 1,000 x 784 reference', threads: th, nativeUs: ks };
    const mmd = await measure(
      () => void tk.monitor.mmdDrift(a, b, { nPermutations: 100 }),
      opts,
      1,
      opts.quick ? 600 : 2000,
    );
    yield { suite, name: 'MMD, 100 permutations, 500 x 32 vs 500 x 32', threads: th, nativeUs: mmd };
  }
  for (const t of [ref, cur, a, b]) t.dispose();
}
