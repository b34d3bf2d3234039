// Views and movement: cheap metadata ops and copies.
import * as tk from '../../src/index.js';
import * as plain from '../../src/plain/index.js';
import { measure, type Options, type Row } from '../lib.js';

export async function* views(opts: Options): AsyncGenerator<Row> {
  const suite = 'views';
  const x = tk.randn([256, 1024]);
  const px = plain.randn([256, 1024]);
  const rows: [string, () => void, (() => void) | undefined, number?][] = [
    ['transpose (view)', () => x.t().dispose(), undefined],
    ['reshape (view)', () => x.reshape(1024, 256).dispose(), () => plain.reshape(px, [1024, 256])],
    [
      'transpose + contiguous (copy)',
      () => x.t().contiguous().dispose(),
      () => plain.transpose(px, 0, 1),
      8 * 256 * 1024,
    ],
    ['cat 2x [256,1024] dim=1', () => tk.cat([x, x], 1).dispose(), () => plain.cat([px, px], 1), 16 * 256 * 1024],
    ['to float64', () => x.to('float64').dispose(), () => plain.to(px, 'float64'), 12 * 256 * 1024],
  ];
  for (const [name, n, p, bytes] of rows) {
    const nativeUs = await measure(n, opts, name.includes('view') ? 1000 : 1);
    const plainUs = p ? await measure(p, opts) : undefined;
    yield { suite, name, threads: tk.getNumThreads(), nativeUs, plainUs, bytes };
  }
  x.dispose();
}
