// The binding's promises: errors as TensorError, dispose/tidy/using, no leaks, memory reported
// to V8, loading in worker threads.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { memory, TensorError, tidy, keep, type Tensor } from '../src/index.js';
import { countMajorGcs } from './helpers/gc.js';
import { settleGarbage } from './helpers/harness.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TensorError);
    return (e as TensorError).code;
  }
  return undefined;
}

describe('TensorError from native code', () => {
  it('is an instance of the TS class with a code', () => {
    try {
      tk.zeros([2]).add(tk.zeros([3]));
      expect.fail('no throw');
    } catch (e) {
      expect(e).toBeInstanceOf(TensorError);
      expect(e).toBeInstanceOf(Error);
      expect((e as TensorError).name).toBe('TensorError');
      expect((e as TensorError).code).toBe('SHAPE_MISMATCH');
    }
  });
});

describe('dispose', () => {
  it('frees now, is idempotent, and later use throws DISPOSED naming the op', () => {
    const before = memory().tensors;
    const x = tk.ones([4]);
    expect(memory().tensors).toBe(before + 1);
    x.dispose();
    x.dispose();
    expect(x.isDisposed).toBe(true);
    expect(memory().tensors).toBe(before);
    expect(codeOf(() => x.add(1))).toBe('DISPOSED');
    expect(() => x.sum()).toThrow(/sum: tensor was disposed/);
    expect(() => x.data()).toThrow(/data: tensor was disposed/);
    expect(codeOf(() => tk.ones([4]).add(x))).toBe('DISPOSED');
    expect(x.shape).toEqual([4]); // metadata stays readable
  });

  it('a view keeps its storage alive after the base is disposed', () => {
    const base = tk.arange(6, { dtype: 'float32' }).reshape(2, 3);
    const v = base.t();
    base.dispose();
    expect(v.toArray()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    v.dispose();
  });

  it('`using` frees the tensor at the end of the block', () => {
    const before = memory().tensors;
    {
      using x = tk.ones([3]);
      using s = x.sum();
      expect(memory().tensors).toBe(before + 2);
      expect(s.item()).toBe(3);
    }
    expect(memory().tensors).toBe(before);
  });
});

describe('tidy', () => {
  it('disposes intermediates and keeps the result', () => {
    const x = tk.ones([3]);
    const before = memory().tensors;
    const y = tidy(() => x.mul(2).add(1).relu());
    expect(memory().tensors).toBe(before + 1);
    expect(y.toArray()).toEqual([3, 3, 3]);
    expect(x.isDisposed).toBe(false);
    y.dispose();
    x.dispose();
  });

  it('keeps tensors inside returned arrays and objects, and keep()', () => {
    const before = memory().tensors;
    let kept!: tk.Tensor;
    const r = tidy(() => {
      const a = tk.ones([2]);
      kept = keep(a.add(5));
      return { a, list: [a.mul(3)], n: 1 };
    });
    expect(memory().tensors).toBe(before + 3);
    expect(kept.toArray()).toEqual([6, 6]);
    for (const t of [r.a, r.list[0], kept]) t.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('nests: an inner result belongs to the outer scope', () => {
    const before = memory().tensors;
    tidy(() => {
      const inner = tidy(() => tk.ones([2]).add(1));
      expect(inner.isDisposed).toBe(false);
      return undefined;
    });
    expect(memory().tensors).toBe(before);
  });

  it('disposes everything when the function throws', () => {
    const before = memory().tensors;
    expect(() =>
      tidy(() => {
        tk.ones([2]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(memory().tensors).toBe(before);
  });
});

describe('no leaks', () => {
  it('10,000 create/op/dispose cycles return tensors and bytes to baseline', () => {
    const x = tk.randn([64]);
    for (let i = 0; i < 100; i++) tidy(() => x.add(1).mul(x).sum()); // warm the caches
    settleGarbage();
    const base = memory();
    for (let i = 0; i < 10_000; i++) {
      const a = tk.randn([64]);
      const b = a.add(x);
      const c = b.mul(2);
      const s = c.sum(0, { keepdim: true });
      const r = c.reshape(8, 8);
      const v = r.t();
      for (const t of [a, b, c, s, r, v]) t.dispose();
    }
    const after = memory();
    expect(after.tensors).toBe(base.tensors);
    expect(after.bytes).toBe(base.bytes);
    expect(after.storages).toBe(base.storages);
    x.dispose();
  });

  // Reports reach V8 in steps of at least 1 MiB; a free flushes what is pending past that.
  const reported = () => (tk.zeros([1]).dispose(), memory().reportedBytes);
  const MiB = 2 ** 20;
  const nextTick = () => new Promise((r) => setImmediate(r));

  it('reports native bytes to V8 once a tensor is left to the GC (it outlived its tick)', async () => {
    const before = reported();
    const big = tk.zeros([16, 1024, 1024]); // 64 MiB
    expect(reported() - before).toBeLessThan(MiB); // maybe disposed in this tick: not yet
    await nextTick();
    const during = reported();
    expect(during - before).toBeGreaterThanOrEqual(64 * MiB - MiB);
    big.dispose();
    expect(during - reported()).toBeGreaterThanOrEqual(64 * MiB - MiB);
  });

  it('never reports what tidy() or dispose() frees in the tick that made it', () => {
    const before = reported();
    let most = 0; // seen while the temporaries are alive
    for (let i = 0; i < 20; i++)
      tk.tidy(() => {
        tk.zeros([8, 1024, 1024]).add(1); // 2 x 32 MiB each
        most = Math.max(most, memory().reportedBytes - before);
      });
    tk.zeros([8, 1024, 1024]).dispose();
    expect(most).toBeLessThan(MiB);
    expect(Math.abs(reported() - before)).toBeLessThan(MiB);
  });

  it('reports a storage once, however many views share it', async () => {
    const big = tk.zeros([4, 1024, 1024]); // 16 MiB
    await nextTick();
    const base = reported();
    const views = tk.tidy(() => Array.from({ length: 200 }, (_, i) => big.narrow(1, i, 8).transpose(0, 1)));
    const alias = big.view([-1]);
    await nextTick(); // all of them left to the GC now
    expect(Math.abs(reported() - base)).toBeLessThan(MiB); // not 200 x 16 MiB
    big.dispose();
    for (const v of views) v.dispose();
    expect(Math.abs(reported() - base)).toBeLessThan(MiB); // the alias still holds the storage
    alias.dispose(); // the last holder
    expect(Math.abs(base - reported() - 16 * MiB)).toBeLessThan(MiB);
  });

  it('a loop that never yields hands its big tensors to the GC by bytes, not only by count', () => {
    // 24 tensors of 16 MiB, forgotten without yielding: far fewer than the 256 that make a
    // hand-over by count, but past the native side's 256 MiB, so they are watched (and reported
    // to V8) within the loop, where the GC can free them, and not after it.
    const before = reported();
    const made: Tensor[] = [];
    for (let i = 0; i < 24; i++) made.push(tk.zeros([4, 1024, 1024]));
    expect(reported() - before).toBeGreaterThanOrEqual(255 * MiB);
    for (const t of made) t.dispose();
  });

  it('a loop of views over a large buffer triggers no major garbage collections', async () => {
    // Counting every view's storage made V8 see gigabytes of external memory here and run a
    // mark-compact every few milliseconds (it slowed DDP's bucket copies 5x).
    const big = tk.zeros([2, 1024, 1024]); // 8 MiB
    await nextTick(); // watched and reported, as a long-lived buffer is
    settleGarbage(); // what earlier tests left is collected before counting
    const gcs = countMajorGcs();
    // 20 views held at once look like 160 MiB more to V8 if each counts the storage: past the
    // 64 MiB of growth at which V8 starts a major GC.
    for (let i = 0; i < 300; i++) tk.tidy(() => Array.from({ length: 20 }, (_, j) => big.narrow(0, j % 2, 1)));
    await new Promise((r) => setTimeout(r, 50));
    const major = gcs.stop();
    big.dispose();
    expect(major).toBeLessThanOrEqual(3); // 44-59 when each view counted
  });

  it('garbage collection frees tensors that were never disposed (the finalizer safety net)', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'run with --expose-gc (vitest.config.ts)').toBeTypeOf('function');
    const base = memory();
    (() => {
      for (let i = 0; i < 2000; i++) tk.ones([256]).add(1);
    })();
    expect(memory().tensors).toBeGreaterThanOrEqual(base.tensors + 1000);
    for (let i = 0; i < 20 && memory().tensors > base.tensors; i++) {
      gc!();
      await new Promise((r) => setTimeout(r, 10));
    }
    // Earlier tests' undisposed tensors may be collected too, so the count can drop below base.
    expect(memory().tensors).toBeLessThanOrEqual(base.tensors);
    expect(memory().bytes).toBeLessThanOrEqual(base.bytes);
  });

  it('emptyCache returns cached blocks', () => {
    tk.zeros([1024, 1024]).dispose();
    expect(memory().cachedBytes).toBeGreaterThan(0);
    tk.emptyCache();
    expect(memory().cachedBytes).toBe(0);
  });
});

describe('threads', () => {
  const taskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  it.skipIf(!taskset)(
    `defaults to the CPUs the process may run on, not every core${taskset ? '' : ' (skipped: no taskset here)'}`,
    () => {
      // a process bound to one CPU (as tensorkit run binds ranks) gets one thread by default
      const probe = `import { getNumThreads } from './src/index.ts'; console.log(getNumThreads());`;
      const run = (pre: string[]) => {
        const cmd = [...pre, process.execPath, '--import', 'tsx', '--input-type=module', '-e', probe];
        const r = spawnSync(cmd[0], cmd.slice(1), {
          cwd: fileURLToPath(new URL('..', import.meta.url)),
          encoding: 'utf8',
        });
        expect(r.status, r.stderr).toBe(0);
        return Number(r.stdout.trim());
      };
      expect(run(['taskset', '-c', '0'])).toBe(1);
      expect(run([])).toBe(availableParallelism());
    },
  );

  it('gives the same results on 1 thread and on all threads', () => {
    const n = tk.getNumThreads();
    tk.manualSeed(3);
    const x = tk.randn([512, 700]);
    const run = () => tidy(() => [x.exp().add(x).sum(1), x.matmul(x.t()).sum(0), x.t().contiguous().mul(2)]);
    tk.setNumThreads(1);
    const one = run();
    tk.setNumThreads(Math.max(2, n));
    const many = run();
    tk.setNumThreads(n);
    for (let i = 0; i < one.length; i++)
      expect(Array.from(many[i].data() as Float32Array)).toEqual(Array.from(one[i].data() as Float32Array));
    tk.manualSeed(3);
    const again = tk.randn([512, 700]);
    expect(again.eq(x).sum().item()).toBe(512 * 700);
    for (const t of [x, again, ...one, ...many]) t.dispose();
  });

  it("costs each thread little memory: the addon's thread-local block is small", () => {
    // glibc allocates and zeroes a shared library's whole TLS block for every thread that touches
    // one of its thread_locals (each JS worker, each pool thread): big per-thread scratch belongs
    // on the heap (a 12 MB block once made every DataLoader worker cost 12 MB more).
    const gyp = createRequire(import.meta.url)('node-gyp-build') as { path(dir: string): string };
    const file = readFileSync(gyp.path(fileURLToPath(new URL('..', import.meta.url))));
    const phoff = Number(file.readBigUInt64LE(0x20)),
      size = file.readUInt16LE(0x36),
      count = file.readUInt16LE(0x38);
    let tls = 0;
    for (let i = 0; i < count; i++) {
      const at = phoff + i * size;
      if (file.readUInt32LE(at) === 7) tls = Number(file.readBigUInt64LE(at + 0x28)); // PT_TLS, p_memsz
    }
    expect(tls).toBeLessThan(256 * 1024);
  });

  it('loads and runs in several worker threads at once', async () => {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const b = require('node-gyp-build')(workerData.root);
      class TensorError extends Error { constructor(m, c) { super(m); this.code = c; } }
      b.init(TensorError);
      const id = (n) => b.opNames.indexOf(n);
      const x = b.fromData(new Float32Array([1, 2, 3, 4]), [[4]]);
      let s = 0;
      for (let i = 0; i < 200; i++) {
        const y = b.call(id('mul'), undefined, x, [2]);
        const z = b.call(id('sum'), undefined, y);
        s = b.item(z);
        b.free(y); b.free(z);
      }
      let code = '';
      try { b.call(id('add'), undefined, x, b.fromData(new Float32Array(3), [[3]])); } catch (e) { code = e.code; }
      parentPort.postMessage({ s, code, live: b.memory().tensors });
    `;
    const root = new URL('..', import.meta.url).pathname;
    const runOne = () =>
      new Promise<{ s: number; code: string; live: number }>((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: { root } });
        // Resolve once the worker has exited: its teardown frees its tensors, which would move the
        // process-wide byte counts under a later test.
        let msg: unknown;
        w.once('message', (m) => (msg = m));
        w.once('exit', () => resolve(msg as never));
        w.once('error', reject);
      });
    const results = await Promise.all([runOne(), runOne(), runOne()]);
    for (const r of results) expect(r).toEqual({ s: 20, code: 'SHAPE_MISMATCH', live: 2 });
    // The main thread still works after the workers exit.
    expect(tk.ones([2]).add(1).toArray()).toEqual([2, 2]);
  });
});
