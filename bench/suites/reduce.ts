// Reductions and softmax: plain vs native.
import * as tk from '../../src/index.js';
import * as plain from '../../src/plain/index.js';
import { measure, type Options, type Row } from '../lib.js';

export async function* reduce(opts: Options, threads: number[]): AsyncGenerator<Row> {
  const suite = 'reduce';
  const x = tk.randn([1024, 1024]);
  const px = plain.randn([1024, 1024]);
  const bytes = 4 * 1024 * 1024;
  // Class scores: many short rows (what metrics and predictions take the argmax of).
  const scores = tk.randn([10000, 10]),
    pscores = plain.randn([10000, 10]);
  const cases: [string, () => void, () => void][] = [
    ['sum all 1M', () => x.sum().dispose(), () => plain.sum(px)],
    ['sum dim=1 [1024,1024]', () => x.sum(1).dispose(), () => plain.sum(px, 1)],
    ['sum dim=0 [1024,1024]', () => x.sum(0).dispose(), () => plain.sum(px, 0)],
    ['max dim=1', () => x.max(1).dispose(), () => plain.max(px, 1)],
    ['argmax dim=1', () => x.argmax(1).dispose(), () => plain.argmax(px, 1)],
    ['argmax dim=1 of [10000,10] class scores', () => scores.argmax(1).dispose(), () => plain.argmax(pscores, 1)],
    ['var dim=1', () => x.var(1).dispose(), () => plain.variance(px, 1)],
    ['softmax dim=-1', () => x.softmax(-1).dispose(), () => plain.softmax(px, -1)],
    ['logSoftmax dim=-1', () => x.logSoftmax(-1).dispose(), () => plain.logSoftmax(px, -1)],
    ['cumsum dim=1', () => x.cumsum(1).dispose(), () => plain.cumsum(px, 1)],
  ];
  const plainUs = new Map<string, number>();
  for (const [name, , p] of cases) plainUs.set(name, await measure(p, opts, 1, opts.quick ? 300 : 800));
  for (const th of threads) {
    tk.setNumThreads(th);
    for (const [name, n] of cases)
      yield { suite, name, threads: th, nativeUs: await measure(n, opts), plainUs: plainUs.get(name), bytes };
  }
  x.dispose();
  scores.dispose();
}
