// Reliability: what a server needs from the library — indices from users are checked before a
// kernel uses them, terminated workers do not take the process down, each worker has its own
// random stream and frees its tensors when it exits, and running out of memory is an error.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { data, io, memory, nn, optim, tensor } from '../src/index.js';
import { expectTensorError, settleGarbage } from './helpers/harness.js';

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
    expectTensorError(
      () => i64([1, -3]).bincount(),
      'INVALID_ARGUMENT',
      /bincount: values must be non-negative, got -3/,
    );
  });
  it('maxPool2d backward refuses indices of a larger input', () => {
    const x = tk.randn([1, 1, 16, 16]);
    const [, indices] = nn.functional.maxPool2d(x, 2, { returnIndices: true });
    expectTensorError(
      () => nn.grad.maxPool2d(tk.ones([1, 1, 8, 8]), indices, [1, 1, 2, 2]),
      'INDEX_OUT_OF_RANGE',
      /out of range for an input plane of size 4/,
    );
    expect(
      nn.grad
        .maxPool2d(tk.ones([1, 1, 8, 8]), indices, [1, 1, 16, 16])
        .sum()
        .item(),
    ).toBe(64);
  });
  it('embedding backward refuses a gradient with fewer rows than indices', () => {
    expectTensorError(
      () => nn.grad.embedding(tk.ones([2, 3]), i64([0, 1, 2, 3, 4]), 5),
      'SHAPE_MISMATCH',
      /does not match indices \[5\]/,
    );
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
      const w = new Worker(
        `
        const { parentPort, workerData } = require('node:worker_threads');
        const b = require('node-gyp-build')(workerData.root);
        class TensorError extends Error { constructor(m, c) { super(m); this.code = c; } }
        b.init(TensorError);
        const id = (n) => b.opNames.indexOf(n);
        const read = (h) => { const buf = new ArrayBuffer(12); b.readInto(h, buf); return Array.from(new Float32Array(buf)); };  // 3 float32
        ${code}
      `,
        { eval: true, workerData: { root, ...workerData } },
      );
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
    const drawn = await Promise.all(
      [2, 2, 3].map((seed) =>
        inWorker<number[]>(`b.manualSeed(workerData.seed); parentPort.postMessage(read(b.call(id('rand'), [[3]])));`, {
          seed,
        }),
      ),
    );
    const rest = [...tk.rand([3]).data()];
    expect([...first, ...rest]).toEqual(solo);
    expect(drawn[0]).toEqual(drawn[1]); // same seed, same values
    expect(drawn[0]).not.toEqual(drawn[2]);
    tk.manualSeed(2);
    expect([...tk.rand([3]).data()]).toEqual(drawn[0]); // and the same stream as the main thread's
    const unseeded = await inWorker<number[]>(`parentPort.postMessage(read(b.call(id('rand'), [[3]])));`);
    tk.manualSeed(67280421310721); // PyTorch's default seed, where every environment starts
    expect([...tk.rand([3]).data()]).toEqual(unseeded);
  });

  it('the thread count is per environment', async () => {
    const before = tk.getNumThreads();
    const inside = await inWorker<number>(`b.setNumThreads(1); parentPort.postMessage(b.getNumThreads());`);
    expect(inside).toBe(1);
    expect(tk.getNumThreads()).toBe(before);
  });

  it("an exiting worker's live tensors are freed", async () => {
    // The byte count is process-wide, and the main thread's garbage from earlier tests may be
    // swept while a worker runs: so each round checks that the worker's 4 MB was counted and that
    // the count after it exited is no higher than before it started (a leak would add 4 MB).
    settleGarbage();
    for (let i = 0; i < 10; i++) {
      const before = memory().bytes;
      // Each worker leaves 4 MB in live tensors it never disposes; inWorker returns once it exited.
      const inside = await inWorker<number>(
        `globalThis.keep = b.fromData(new Float32Array(1 << 20), [[1 << 20]]); parentPort.postMessage(b.memory().bytes);`,
      );
      expect(inside).toBeGreaterThanOrEqual(4 * 2 ** 20);
      expect(memory().bytes).toBeLessThanOrEqual(before);
    }
  });
});

// ulimit -d counts ASan's shadow memory, so under scripts/asan.sh the child could not start.
const underAsan = (process.env.LD_PRELOAD ?? '').includes('asan');

describe('out of memory', () => {
  it.skipIf(underAsan)(
    'data() and toArray() of a tensor whose copy cannot be allocated throw OUT_OF_MEMORY (skipped under ASan: ulimit -d counts its shadow memory)',
    () => {
      // A 1 GB limit on the child's writable memory: the 600 MB tensor fits, a second 600 MB for
      // its copy does not.
      const code = `
      import { zeros, TensorError } from ${JSON.stringify(`${root}src/index.ts`)};
      const t = zeros([150_000_000]);
      for (const f of [() => t.data(), () => t.toArray()]) {
        try { f(); console.log('no error'); } catch (e) { console.log(e instanceof TensorError ? e.code : String(e)); }
      }
    `;
      const out = execFileSync(
        '/bin/sh',
        ['-c', `ulimit -d 1048576 && exec "$0" --import tsx --input-type=module -e "$1"`, process.execPath, code],
        { cwd: root, encoding: 'utf8' },
      );
      expect(out.trim().split('\n')).toEqual(['OUT_OF_MEMORY', 'OUT_OF_MEMORY']);
    },
  );
});

describe('loaded files cannot inject values', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tk-rel-io-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // A checkpoint written by hand: the tree JSON is whatever an attacker puts there.
  const forged = (tree: string, tensors: Record<string, tk.Tensor> = {}) => {
    const bytes = io.serialize(tensors, {
      metadata: { format: 'tensorkit.checkpoint', 'tensorkit.checkpoint.version': '1', 'tensorkit.checkpoint': tree },
    });
    const f = join(dir, `f${Math.random().toString(36).slice(2)}.ckpt`);
    writeFileSync(f, bytes);
    return f;
  };

  for (const name of ['constructor', 'toString', 'valueOf', '__proto__', 'hasOwnProperty'])
    it(`a tensor reference named '${name}' is a missing tensor, not an inherited value`, () => {
      expectTensorError(
        () => io.loadCheckpoint(forged(`{"a":{"$tensor":${JSON.stringify(name)}}}`)),
        'IO_ERROR',
        /refers to a missing tensor/,
      );
    });

  it('a "__proto__" key is a plain key: it replaces no prototype and pollutes nothing', () => {
    const c = io.loadCheckpoint(forged('{"__proto__":{"isAdmin":true},"epoch":3}')) as Record<string, unknown>;
    expect(c.isAdmin).toBeUndefined();
    expect(Object.getPrototypeOf(c)).toBeNull();
    expect(Object.keys(c).sort()).toEqual(['__proto__', 'epoch']);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('io.save of a tensor named __proto__ round-trips', () => {
    const f = join(dir, 'proto.safetensors');
    const sd = { ['__proto__']: tk.tensor([1, 2]), constructor: tk.tensor([3]) } as Record<string, tk.Tensor>;
    Object.defineProperty(sd, '__proto__', { value: tk.tensor([1, 2]), enumerable: true });
    io.save(sd, f);
    const back = io.load(f);
    expect(Object.keys(back).sort()).toEqual(['__proto__', 'constructor']);
    expect([...back.__proto__.data()]).toEqual([1, 2]);
    expect(Object.getPrototypeOf(back)).toBeNull();
  });

  it('a checkpoint nested 20,000 levels deep is IO_ERROR, not a stack overflow', () => {
    expectTensorError(
      () => io.loadCheckpoint(forged(`{"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}`)),
      'IO_ERROR',
      /nests more than 1000 levels|not valid JSON/,
    );
  });

  it('a safetensors header with 70 dims is IO_ERROR naming the file', () => {
    const head = JSON.stringify({ t: { dtype: 'F32', shape: Array(70).fill(1), data_offsets: [0, 4] } });
    const pad = head + ' '.repeat((8 - (head.length % 8)) % 8);
    const b = Buffer.alloc(8 + pad.length + 4);
    b.writeBigUInt64LE(BigInt(pad.length));
    b.write(pad, 8);
    const f = join(dir, 'dims.safetensors');
    writeFileSync(f, b);
    expectTensorError(() => io.load(f), 'IO_ERROR', /dims\.safetensors.*70 dimensions/);
  });

  it('a directory is IO_ERROR, not a raw EISDIR', () => {
    expectTensorError(() => io.load(dir), 'IO_ERROR', /is not a regular file/);
  });
});

describe('values that should be errors are errors', () => {
  const rows: [string, () => unknown, string, RegExp][] = [
    [
      'tensor(2n ** 64n)',
      () => tk.tensor(2n ** 64n),
      'INVALID_ARGUMENT',
      /cannot be converted to int64 without overflow/,
    ],
    [
      'tensor(2n ** 63n)',
      () => tk.tensor(2n ** 63n),
      'INVALID_ARGUMENT',
      /cannot be converted to int64 without overflow/,
    ],
    [
      'tensor([1e30], int64)',
      () => tk.tensor([1e30], { dtype: 'int64' }),
      'INVALID_ARGUMENT',
      /cannot be converted to int64/,
    ],
    [
      'xavierNormal_(t, [2, 3])',
      () => nn.init.xavierNormal_(tk.zeros([2, 3]), [2, 3] as never),
      'INVALID_ARGUMENT',
      /'gain' must be a finite number/,
    ],
    ['uniform_(t, 5, 1)', () => nn.init.uniform_(tk.zeros([2]), 5, 1), 'INVALID_ARGUMENT', /a <= b/],
    ['normal_(t, 0, -1)', () => nn.init.normal_(tk.zeros([2]), 0, -1), 'INVALID_ARGUMENT', /std must be >= 0/],
    [
      "calculateGain('leaky_relu', [1, 0])",
      () => nn.init.calculateGain('leaky_relu', [1, 0] as never),
      'INVALID_ARGUMENT',
      /'param' must be a finite number/,
    ],
    [
      'nn.grad.adaptiveAvgPool2d N and C',
      () => nn.grad.adaptiveAvgPool2d(tk.ones([2, 3, 1, 1]), [5, 7, 4, 4]),
      'SHAPE_MISMATCH',
      /does not match the leading sizes \[2, 3\]/,
    ],
    [
      'an integer above 2^53',
      () => tk.zeros([2]).narrow(0, 2 ** 53 + 2, 1),
      'INVALID_ARGUMENT',
      /magnitude at most 2\^53/,
    ],
    [
      'opt.step(3)',
      () => new optim.SGD([nn.Parameter(tk.zeros([1]))]).step(3 as never),
      'INVALID_ARGUMENT',
      /'closure' must be a function, got 3/,
    ],
    [
      "F.relu('x')",
      () => nn.functional.relu('x' as never),
      'INVALID_ARGUMENT',
      /relu: 'input' must be a Tensor, got "x"/,
    ],
    [
      'BatchNorm1d.forward([1, 2, 3])',
      () => new nn.BatchNorm1d(3).forward([1, 2, 3] as never),
      'INVALID_ARGUMENT',
      /BatchNorm1d: 'input' must be a Tensor, got \[1, 2, 3\]/,
    ],
    [
      'zerosLike()',
      () => (tk.zerosLike as () => unknown)(),
      'INVALID_ARGUMENT',
      /zerosLike: 'input' must be a Tensor, got undefined/,
    ],
    ['keep(5)', () => tk.keep(5 as never), 'INVALID_ARGUMENT', /keep: expected a Tensor, got 5/],
    [
      'nn.grad.avgPool2d(g, 4, 2)',
      () => nn.grad.avgPool2d(tk.ones([1, 1, 2, 2]), 4 as never, 2),
      'INVALID_ARGUMENT',
      /avgPool2d: 'inputSize' must be an array, got 4/,
    ],
    ['data.cifar10(5)', () => data.cifar10(5 as never), 'INVALID_ARGUMENT', /cifar10: 'dir' must be a string, got 5/],
    [
      'tensor(<cyclic array>)',
      () => {
        const a: unknown[] = [];
        a.push(a);
        return tk.tensor(a as never);
      },
      'INVALID_ARGUMENT',
      /more than 16 levels deep \(or contains itself\)/,
    ],
    [
      'zeros(<100,000-deep array>)',
      () => {
        let a: unknown = [1];
        for (let i = 0; i < 100_000; i++) a = [a];
        return tk.zeros(a as never);
      },
      'INVALID_ARGUMENT',
      /zeros: shape must be a list of integers, got \[\[/,
    ],
    [
      'a class where a function goes',
      () => tk.noGrad(class {} as never),
      'INVALID_ARGUMENT',
      /noGrad: 'fn' must be a function, got the class/,
    ],
  ];
  for (const [name, fn, code, re] of rows) it(name, () => expectTensorError(fn, code, re));

  it('x.shape cannot be mutated', () => {
    const t = tk.zeros([2, 3]);
    expect(() => {
      (t.shape as number[])[0] = 5;
    }).toThrow(TypeError);
    expect(() => {
      (t.shape as number[]).push(1);
    }).toThrow(TypeError);
    expect(t.numel()).toBe(6);
  });
});

describe('memory in a loop that never yields', () => {
  // 20,000 steps, each leaving two tensors for the GC: before the native sweep (bindings/gc.cpp)
  // all 40,000 stayed alive until the loop returned to the event loop.
  it('forgotten tensors are reclaimed at later ops, without the event loop turning', () => {
    const code = `
      import { randn, memory } from ${JSON.stringify(`${root}src/index.ts`)};
      const w = randn([64, 64]);
      for (let i = 0; i < 20000; i++) { const y = w.add(1); y.mul(2); }
      console.log(memory().tensors);
    `;
    const live = Number(
      execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
        cwd: root,
        encoding: 'utf8',
      }).trim(),
    );
    expect(live).toBeLessThan(20_000);
  });
});

describe('atomic writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tk-rel-atomic-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the next write to a target removes temporary files crashed writers left', () => {
    const target = join(dir, 'model.safetensors');
    const dead = join(dir, '.model.safetensors.999999999.abc123.tmp'); // a writer that is gone
    const mine = join(dir, `.model.safetensors.${process.pid}.def456.tmp`); // ours, no write using it
    const alive = join(dir, '.model.safetensors.1.ghi789.tmp'); // pid 1 is running
    const other = join(dir, '.other.safetensors.999999999.abc123.tmp'); // another target's
    for (const f of [dead, mine, alive, other]) writeFileSync(f, 'partial');
    io.save({ w: tk.ones([2]) }, target);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(mine)).toBe(false);
    expect(existsSync(alive)).toBe(true);
    expect(existsSync(other)).toBe(true);
    expect([...io.load(target).w.data()]).toEqual([1, 1]);
  });

  it('refuses to replace something that is not a regular file', () => {
    mkdirSync(join(dir, 'adir'));
    expectTensorError(
      () => io.writeFileAtomic(join(dir, 'adir'), ['x']),
      'IO_ERROR',
      /exists and is not a regular file/,
    );
  });

  it('every save killed with SIGKILL leaves a loadable file, and the next save cleans up', async () => {
    const target = join(dir, 'run.ckpt');
    io.saveCheckpoint({ step: 0, w: tk.zeros([256, 256]) }, target);
    const code = `
      import { io, randn } from ${JSON.stringify(`${root}src/index.ts`)};
      const w = randn([256, 256]);
      for (let step = 1; ; step++) io.saveCheckpoint({ step, w }, ${JSON.stringify(target)});
    `;
    for (let k = 0; k < 3; k++) {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
        cwd: root,
        stdio: 'ignore',
      });
      await new Promise((r) => setTimeout(r, 1300 + 200 * k)); // past the child's start-up, into its saves
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const c = io.loadCheckpoint(target);
      expect(typeof c.step).toBe('number');
      (c.w as tk.Tensor).dispose();
    }
    io.saveCheckpoint({ step: -1 }, target);
    expect(readdirSync(dir).filter((f) => f.startsWith('.run.ckpt.'))).toEqual([]);
  }, 60_000);
});
