// matmul: GFLOP/s by size, plain triple loop vs native (the blocked kernel of the core issue).
import * as tk from '../../src/index.js';
import * as plain from '../../src/plain/index.js';
import { measure, type Options, type Row } from '../lib.js';

export async function* matmul(opts: Options, threads: number[]): AsyncGenerator<Row> {
  const suite = 'matmul';
  const sizes = opts.quick ? [64, 256, 512] : [64, 128, 256, 512, 1024];
  const plainUs = new Map<number, number>();
  for (const n of sizes.filter((s) => s <= 512)) {
    const a = plain.randn([n, n]), b = plain.randn([n, n]);
    plainUs.set(n, await measure(() => plain.matmul(a, b), opts, 1, n >= 512 ? 1 : 300));
  }
  for (const th of threads) {
    tk.setNumThreads(th);
    for (const n of sizes) {
      const a = tk.randn([n, n]), b = tk.randn([n, n]);
      const nativeUs = await measure(() => a.matmul(b).dispose(), opts);
      yield { suite, name: `sgemm ${n}x${n}`, threads: th, nativeUs, plainUs: plainUs.get(n), flops: 2 * n ** 3 };
      a.dispose();
      b.dispose();
    }
    const x = tk.randn([64, 784]), w = tk.randn([784, 128]);
    yield { suite, name: 'MLP layer [64,784]@[784,128]', threads: th, nativeUs: await measure(() => x.matmul(w).dispose(), opts), flops: 2 * 64 * 784 * 128 };
    x.dispose();
    w.dispose();
  }
}
