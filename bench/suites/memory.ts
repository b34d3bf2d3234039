// memory: what the GC safety net gives back in a loop that never yields to the event loop (each
// step leaves two [64, 64] tensors undisposed). Reported: time per step, and tensors and bytes
// still alive when the loop ends (all 2 x steps of them would be, without the native sweep).
// And an epoch of a DataLoader over an MNIST-sized TensorDataset, with the major GCs it caused:
// each sample is a view of the 188 MB dataset, which V8 must not count as 188 MB more (it did:
// 6,472 mark-compacts and 31 s an epoch, against 0.17 s).
import * as tk from '../../src/index.js';
import { countMajorGcs } from '../../test/helpers/gc.js';
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

  // DataLoader epoch: 60,000 x 784 float32 rows, shuffled, batch 64.
  const rows = opts.smoke ? 6_000 : 60_000;
  const x = tk.randn([rows, 784]);
  const y = tk.randint(0, 10, [rows]);
  const loader = new tk.data.DataLoader(new tk.data.TensorDataset(x, y), { batchSize: 64, shuffle: true, seed: 0 });
  const gcs = countMajorGcs();
  const t1 = performance.now();
  let batches = 0;
  for (const [a, b] of loader) {
    a.dispose();
    b.dispose();
    batches++;
  }
  const epochUs = (performance.now() - t1) * 1000;
  await new Promise((r) => setTimeout(r, 20)); // the observer's last entries
  const major = gcs.stop();
  yield {
    suite,
    name: `DataLoader epoch, TensorDataset ${rows} x 784 float32, batch 64, shuffled`,
    threads: tk.getNumThreads(),
    nativeUs: epochUs,
    note: `${batches} batches, ${major} major GCs`,
  };
  x.dispose();
  y.dispose();
}
