// Reliability: what a server needs from the library — indices from users are checked before a
// kernel uses them, terminated workers do not take the process down, each worker has its own
// random stream and frees its tensors when it exits, and running out of memory is an error.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { memory, nn, tensor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const i64 = (v: number[]) => tensor(v, { dtype: 'int64' });

describe('indices from users are checked before any kernel uses them', () => {
  // One row per op that gathers or scatters by user-given indices: out of range, negative, and
  // the wrong dtype, each a TensorError (never a write or read outside the tensor).
  const rows: [string, (idx: tk.Tensor) => unknown][] = [
    ['nn.grad.maxPool2d', (i) => nn.grad.maxPool2d(tk.ones([1, 1, 1, 1]), i.reshape(1, 1, 1, 1), [1, 1, 4, 4])],
    ['nn.functional.embedding', (i) => nn.functional.embedding(i, tk.randn([5, 3]))],
    ['nn.grad.embedding', (i) => nn.grad.embedding(tk.ones([1, 3]), i, 5)],
    ['indexSelect', (i) => tk.randn([5, 2]).indexSelect(0, i)],
    ['nn.grad.indexSelect', (i) => nn.grad.indexSelect(tk.ones([1, 2]), 0, i, 5)],
  ];
  for (const [name, run] of rows) {
    it(name, () => {
      expectTensorError(() => run(i64([1_000_000])), 'INDEX_OUT_OF_RANGE', /out of range/);
      expectTensorError(() => run(i64([-1])), 'INDEX_OUT_OF_RANGE', /index -1 is out of range/);
      expectTensorError(() => run(tensor([0.5])), 'DTYPE_MISMATCH', /int64 or int32/);
      expect(() => run(i64([0]))).not.toThrow();
    });
  }
  it('bincount refuses negative values', () => {
    expectTensorError(() => i64([1, -3]).bincount(), 'INVALID_ARGUMENT', /bincount: values must be non-negative, got -3/);
  });
  it('maxPool2d backward refuses indices of a larger input', () => {
    const x = tk.randn([1, 1, 16, 16]);
    const [, indices] = nn.functional.maxPool2d(x, 2, { returnIndices: true });
    expectTensorError(() => nn.grad.maxPool2d(tk.ones([1, 1, 8, 8]), indices, [1, 1, 2, 2]), 'INDEX_OUT_OF_RANGE', /out of range for an input plane of size 4/);
    expect(nn.grad.maxPool2d(tk.ones([1, 1, 8, 8]), indices, [1, 1, 16, 16]).sum().item()).toBe(64);
  });
  it('embedding backward refuses a gradient with fewer rows than indices', () => {
    expectTensorError(() => nn.grad.embedding(tk.ones([2, 3]), i64([0, 1, 2, 3, 4]), 5), 'SHAPE_MISMATCH', /does not match indices \[5\]/);
  });
});

describe('worker threads', () => {
  it('50 workers terminated during tensor work leave the process running', () => {
    const script = fileURLToPath(new URL('./helpers/worker-terminate-child.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [script, '50'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).not.toMatch(/terminate called|Napi::Error|FATAL/);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('survived 50');
  }, 130_000);

  const inWorker = <T>(code: string, workerData: object = {}): Promise<T> =>
    new Promise((resolve, reject) => {
      const w = new Worker(`
        const { parentPort, workerData } = require('node:worker_threads');
        const b = require('node-gyp-build')(workerData.root);
        class TensorError extends Error { constructor(m, c) { super(m); this.code = c; } }
        b.init(TensorError);
        const id = (n) => b.opNames.indexOf(n);
        const read = (h) => { const buf = new ArrayBuffer(12); b.readInto(h, buf); return Array.from(new Float32Array(buf)); };  // 3 float32
        ${code}
      `, { eval: true, workerData: { root, ...workerData } });
      // Resolve once the worker has exited: its teardown frees its tensors, which would move the
      // process-wide byte counts under a later test.
      let msg: unknown;
      w.once('message', (m) => (msg = m));
      w.once('exit', () => resolve(msg as never));
      w.once('error', reject);
    });

  it('each worker has its own random stream: seeding one leaves the others alone', async () => {
    tk.manualSeed(7);
    const solo = [...tk.rand([3]).data(), ...tk.rand([3]).data()];
    tk.manualSeed(7);
    const first = [...tk.rand([3]).data()];
    // Workers seed and draw while the main thread is between its draws.
    const drawn = await Promise.all([2, 2, 3].map((seed) =>
      inWorker<number[]>(`b.manualSeed(workerData.seed); parentPort.postMessage(read(b.call(id('rand'), [[3]])));`, { seed })));
    const rest = [...tk.rand([3]).data()];
    expect([...first, ...rest]).toEqual(solo);
    expect(drawn[0]).toEqual(drawn[1]);         // same seed, same values
    expect(drawn[0]).not.toEqual(drawn[2]);
    tk.manualSeed(2);
    expect([...tk.rand([3]).data()]).toEqual(drawn[0]);  // and the same stream as the main thread's
    const unseeded = await inWorker<number[]>(`parentPort.postMessage(read(b.call(id('rand'), [[3]])));`);
    tk.manualSeed(67280421310721);  // PyTorch's default seed, where every environment starts
    expect([...tk.rand([3]).data()]).toEqual(unseeded);
  });

  it('the thread count is per environment', async () => {
    const before = tk.getNumThreads();
    const inside = await inWorker<number>(`b.setNumThreads(1); parentPort.postMessage(b.getNumThreads());`);
    expect(inside).toBe(1);
    expect(tk.getNumThreads()).toBe(before);
  });

  it("an exiting worker's live tensors are freed", async () => {
    const base = memory().bytes;
    for (let i = 0; i < 10; i++) {
      // Each worker leaves 4 MB in live tensors it never disposes; inWorker returns once it exited.
      const inside = await inWorker<number>(`globalThis.keep = b.fromData(new Float32Array(1 << 20), [[1 << 20]]); parentPort.postMessage(b.memory().bytes);`);
      expect(inside).toBeGreaterThanOrEqual(base + 4 * 2 ** 20);
      expect(memory().bytes).toBe(base);
    }
  });
});

describe('out of memory', () => {
  it('data() and toArray() of a tensor whose copy cannot be allocated throw OUT_OF_MEMORY', () => {
    // A 1 GB limit on the child's writable memory: the 600 MB tensor fits, a second 600 MB for
    // its copy does not.
    const code = `
      import { zeros, TensorError } from ${JSON.stringify(`${root}src/index.ts`)};
      const t = zeros([150_000_000]);
      for (const f of [() => t.data(), () => t.toArray()]) {
        try { f(); console.log('no error'); } catch (e) { console.log(e instanceof TensorError ? e.code : String(e)); }
      }
    `;
    const out = execFileSync('/bin/sh', ['-c', `ulimit -d 1048576 && exec "$0" --import tsx --input-type=module -e "$1"`, process.execPath, code], { cwd: root, encoding: 'utf8' });
    expect(out.trim().split('\n')).toEqual(['OUT_OF_MEMORY', 'OUT_OF_MEMORY']);
  });
});
