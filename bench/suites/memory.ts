// memory: what the GC safety net gives back in a loop that never yields to the event loop (each
// step leaves two [64, 64] tensors undisposed). Reported: time per step, and tensors and bytes
// still alive when the loop ends (all 2 x steps of them would be, without the native sweep).
import * as tk from '../../src/index.js';
import type { Options, Row } from '../lib.js';

export async function* memory(opts: Options): AsyncGenerator<Row> {
  const suite = 'memory';
  const steps = opts.smoke ? 500 : 20_000;
  const w = tk.randn([64, 64]);
  await new Promise((r) => setImmediate(r)); // w is watched before the loop starts
  const base = tk.memory();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const y = w.add(1);
    y.mul(2); // both left to the GC
  }
  const us = ((performance.now() - t0) * 1000) / steps;
  const m = tk.memory();
  const live = m.tensors - base.tensors,
    mb = (m.bytes - base.bytes) / 2 ** 20;
  yield {
    suite,
    name: `never-yielding loop, ${steps} steps x 2 forgotten [64, 64] tensors`,
    threads: tk.getNumThreads(),
    nativeUs: us,
    note: `at the end ${live} of ${2 * steps} still alive (${mb.toFixed(0)} MB of ${((2 * steps * 64 * 64 * 4) / 2 ** 20).toFixed(0)})`,
  };
  w.dispose();
}
