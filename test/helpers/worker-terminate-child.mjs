// Starts workers that loop over tensor work (matmul, sum, backward, free) through the native
// binding and terminates each one mid-work, after a random delay; prints "survived N" if the
// process is still alive at the end. Run as a child so an abort fails the test instead of vitest.
//   node test/helpers/worker-terminate-child.mjs <count>
import { Worker } from 'node:worker_threads';

const root = new URL('../..', import.meta.url).pathname;
const code = `
  const { parentPort, workerData } = require('node:worker_threads');
  const b = require('node-gyp-build')(workerData.root);
  class TensorError extends Error { constructor(m, c) { super(m); this.code = c; } }
  b.init(TensorError);
  const id = (n) => b.opNames.indexOf(n);
  const w = b.fromData(new Float32Array(64 * 64).fill(0.01), [[64, 64]]);
  b.setRequiresGrad(w, true);
  parentPort.postMessage('started');
  for (;;) {
    const m = b.call(id('matmul'), undefined, w, w);
    const l = b.call(id('sum'), undefined, m);
    b.backward([l], [null], false, false);
    b.setGrad(w, null);
    b.free(m); b.free(l);
    try { b.call(id('add'), undefined, w, b.fromData(new Float32Array(3), [[3]])); } catch {}
  }
`;
const count = Number(process.argv[2] ?? 50);
let seed = 12345;
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
for (let i = 0; i < count; i++) {
  const w = new Worker(code, { eval: true, workerData: { root } });
  w.on('error', () => {});
  // Half are terminated while starting up (loading the addon), half in the loop.
  if (i % 2) await new Promise((r) => w.once('message', r));
  await new Promise((r) => setTimeout(r, random() * 60));
  await w.terminate();
}
console.log(`survived ${count}`);
