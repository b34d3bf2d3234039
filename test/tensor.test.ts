// The Tensor API surface: creation from JS data, metadata, data out, printing, dtype rules.
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { tensor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';

describe('tensor()', () => {
  it('reads numbers, nested arrays, booleans and bigints', () => {
    expect(tensor(3).shape).toEqual([]);
    expect(tensor(3).item()).toBe(3);
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect([x.shape, x.dtype, x.device, x.ndim, x.numel()]).toEqual([[2, 3], 'float32', 'cpu', 2, 6]);
    expect(x.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(tensor([true, false]).dtype).toBe('bool');
    expect(tensor([true, false]).toArray()).toEqual([true, false]);
    expect(tensor([1n, 2n]).dtype).toBe('int64');
    expect(tensor([]).shape).toEqual([0]);
    expect(tensor([[], []]).shape).toEqual([2, 0]);
  });

  it('reads typed arrays with their dtype', () => {
    expect(tensor(new Float64Array([1, 2])).dtype).toBe('float64');
    expect(tensor(new Int32Array([1, 2])).dtype).toBe('int32');
    expect(tensor(new BigInt64Array([1n, 2n])).dtype).toBe('int64');
    expect(tensor(new Uint8Array([200, 3])).toArray()).toEqual([200, 3]);
    expect(tensor(new Uint8Array([2, 0]), { dtype: 'bool' }).toArray()).toEqual([true, false]);
    const s = tensor(new Float32Array(6).fill(1), { shape: [2, 3] });
    expect(s.shape).toEqual([2, 3]);
    // A copy: later writes to the source do not show.
    const src = new Float32Array([1, 2]);
    const t = tensor(src);
    src[0] = 9;
    expect(t.toArray()).toEqual([1, 2]);
  });

  it('converts to the requested dtype with truncation toward zero', () => {
    expect(tensor([1.7, -1.7], { dtype: 'int32' }).toArray()).toEqual([1, -1]);
    expect(tensor([1, 2], { dtype: 'int64' }).data()).toEqual(new BigInt64Array([1n, 2n]));
    expect(tensor([0, 2], { dtype: 'bool' }).toArray()).toEqual([false, true]);
  });

  it('data() returns the typed array of the dtype', () => {
    expect(tensor([1]).data()).toBeInstanceOf(Float32Array);
    expect(tensor([1], { dtype: 'float64' }).data()).toBeInstanceOf(Float64Array);
    expect(tk.arange(3).data()).toBeInstanceOf(BigInt64Array);
    expect(tensor([true]).data()).toBeInstanceOf(Uint8Array);
  });
});

describe('dtype promotion follows PyTorch', () => {
  const cases: [() => tk.Tensor, tk.DType][] = [
    [() => tensor([1], { dtype: 'int32' }).add(2), 'int32'],
    [() => tensor([1], { dtype: 'int32' }).add(2.5), 'float32'],
    [() => tensor([1], { dtype: 'int32' }).div(2), 'float32'],
    [() => tensor([1], { dtype: 'int64' }).add(tensor([1], { dtype: 'int32' })), 'int64'],
    [() => tensor([1], { dtype: 'float32' }).add(tensor(1, { dtype: 'float64' })), 'float32'],
    [() => tensor([1], { dtype: 'int32' }).add(tensor(1, { dtype: 'float64' })), 'float64'],
    [() => tensor([1], { dtype: 'float32' }).add(tensor([1], { dtype: 'float64' })), 'float64'],
    [() => tensor([true]).add(1), 'int64'],
    [() => tensor([true]).add(true), 'bool'],
    [() => tensor([1], { dtype: 'int32' }).sum(), 'int64'],
    [() => tensor([1]).lt(2), 'bool'],
    [() => tk.arange(3), 'int64'],
    [() => tk.arange(0, 1, 0.5), 'float32'],
  ];
  cases.forEach(([f, dt], i) => it(`case ${i}: ${f.toString().slice(6)}`, () => expect(f().dtype).toBe(dt)));
});

describe('views and metadata', () => {
  it('views share storage and report strides', () => {
    const x = tk.arange(12, { dtype: 'float32' }).reshape(3, 4);
    expect(x.stride()).toEqual([4, 1]);
    const t = x.t();
    expect(t.stride()).toEqual([1, 4]);
    expect(t.isContiguous()).toBe(false);
    const n = x.narrow(1, 1, 2);
    expect(n.storageOffset()).toBe(1);
    x.add_(1);
    expect(t.toArray()).toEqual([
      [1, 5, 9],
      [2, 6, 10],
      [3, 7, 11],
      [4, 8, 12],
    ]);
    expect(x.T.shape).toEqual([4, 3]);
    expect(x.size(-1)).toBe(4);
  });

  it('to() never returns the same object, so disposing the result keeps the source', () => {
    const x = tensor([1, 2]);
    const y = x.to('float32');
    expect(y).not.toBe(x);
    y.dispose();
    expect(x.toArray()).toEqual([1, 2]);
    expect(x.to({ dtype: 'int32' }).dtype).toBe('int32');
    expect(x.cpu().device).toBe('cpu');
  });
});

describe('printing', () => {
  it('looks like PyTorch', () => {
    expect(
      String(
        tensor([
          [1, 2],
          [3, 4],
        ]),
      ),
    ).toBe('tensor([[1., 2.],\n        [3., 4.]])');
    expect(String(tensor([1.5, -2.25]))).toBe('tensor([ 1.5000, -2.2500])');
    expect(String(tensor(3.5))).toBe('tensor(3.5000)');
    expect(String(tensor([1, 2], { dtype: 'int32' }))).toBe('tensor([1, 2], dtype=int32)');
    expect(String(tk.arange(3))).toBe('tensor([0, 1, 2])');
    expect(String(tensor([true, false]))).toBe('tensor([ True, False])');
    expect(String(tensor([1e-5, 1]))).toBe('tensor([1.0000e-05, 1.0000e+00])');
    expect(String(tensor([NaN, 1.5], { dtype: 'float64' }))).toBe('tensor([   nan, 1.5000], dtype=float64)');
    expect(String(tk.zeros([0, 3]))).toBe('tensor([], size=[0, 3])');
  });

  it('elides the middle of large tensors', () => {
    const s = String(tk.arange(2000));
    expect(s).toBe('tensor([   0,    1,    2,  ..., 1997, 1998, 1999])'); // torch's (its ellipsis is an element: ' ...')
  });
});

describe('float32 exp (the vectorised polynomial)', () => {
  it('is within 2 ulp of the correctly rounded result over the whole range, with IEEE specials', () => {
    const xs: number[] = [NaN, Infinity, -Infinity, 0, -0, 88.72, 88.73, 100, -87.3, -100, -103.9, -104, -200];
    for (let i = 0; i < 20000; i++) xs.push(-110 + (200 * i) / 20000);
    const got = tensor(xs).exp().data() as Float32Array;
    const want = Float32Array.from(xs.map((x) => Math.exp(Math.fround(x))));
    for (let i = 0; i < xs.length; i++) {
      const g = got[i],
        w = want[i];
      if (Number.isNaN(w)) expect(g).toBeNaN();
      else if (!Number.isFinite(w) || w === 0) expect(g).toBe(w);
      else if (w < 1.2e-38)
        expect(Math.abs(g - w)).toBeLessThanOrEqual(3e-45); // subnormals: absolute
      else expect(Math.abs(g - w) / w, `exp(${xs[i]})`).toBeLessThan(2.5e-7);
    }
  });
});

describe("data(out): reading into a caller's typed array", () => {
  it('copies into the array (at any offset in its buffer) and returns it', () =>
    tk.tidy(() => {
      const t = tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      const out = new Float32Array(6);
      expect(t.data(out)).toBe(out);
      expect(Array.from(out)).toEqual([1, 2, 3, 4, 5, 6]);
      const big = new Float32Array(10).fill(-1);
      const view = big.subarray(3, 9);
      t.t().data(view); // a transposed view reads out row-major, as data() does
      expect(Array.from(big)).toEqual([-1, -1, -1, 1, 4, 2, 5, 3, 6, -1]);
      expect(Array.from(tensor([1.5, 2], { dtype: 'float16' }).data(new Float32Array(2)))).toEqual([1.5, 2]);
      expect(Array.from(tensor([true, false]).data(new Uint8Array(2)))).toEqual([1, 0]);
      const i64 = tensor([7, -8], { dtype: 'int64' }).data(new BigInt64Array(2));
      expect(Array.from(i64)).toEqual([7n, -8n]);
    }));

  it('refuses an array of another type or length', () =>
    tk.tidy(() => {
      const t = tensor([1, 2, 3]);
      expectTensorError(
        () => t.data(new Float64Array(3) as never),
        'INVALID_ARGUMENT',
        /data: out must be a Float32Array for a float32 tensor/,
      );
      expectTensorError(() => t.data(new Float32Array(4)), 'SHAPE_MISMATCH', /data: out has 4 elements, the tensor 3/);
      expectTensorError(() => t.data([1, 2, 3] as never), 'INVALID_ARGUMENT', /data: out must be a Float32Array/);
    }));
});

describe('pow with a scalar exponent of 1, 2, 3 or -1 (the multiply paths)', () => {
  it('gives what Math.pow gives, signed zeros, infinities and NaN included, in float32 and float64', () => {
    const xs = [-2, -0, 0, 1.5, -0.75, 3e-20, 1e20, Infinity, -Infinity, NaN];
    for (const dtype of ['float32', 'float64'] as const)
      for (const e of [1, 2, 3, -1]) {
        const round = dtype === 'float32' ? Math.fround : (v: number) => v;
        const got = Array.from(tensor(xs, { dtype }).pow(e).data() as Float32Array);
        const want = xs.map((x) => round(round(x) ** e));
        got.forEach((g, i) =>
          expect(Object.is(g, want[i]), `${dtype} ${xs[i]} ** ${e}: ${g} vs ${want[i]}`).toBe(true),
        );
      }
  });
});

describe('outputs larger than the last-level cache (non-temporal stores)', () => {
  it('give the same numbers, out of place and in place into an unaligned view', () => {
    const n = Math.floor(tk.getCpuInfo().l3 / 4) + 1029; // float32: just over the cache
    const a = tk.arange(0, n + 3, 1, { dtype: 'float32' }),
      b = tk.full([n + 3], 0.5);
    const check = (t: tk.Tensor, f: (i: number) => number, offset = 0) => {
      const d = t.data() as Float32Array;
      let bad = 0;
      for (let i = 0; i < d.length; i++) if (d[i] !== Math.fround(f(i + offset))) bad++;
      expect(bad).toBe(0);
    };
    const sum = a.add(b);
    check(sum, (i) => i + 0.5);
    const scaled = a.mul(2);
    check(scaled, (i) => 2 * i);
    const relu = a.neg().relu();
    check(relu, () => 0);
    const view = a.narrow(0, 3, n); // a float32 view 12 bytes past a 16-byte boundary
    view.add_(b.narrow(0, 0, n));
    check(view, (i) => i + 0.5, 3);
    for (const t of [sum, scaled, relu, view, a, b]) t.dispose();
  });
});

describe('random streams', () => {
  it('manualSeed makes rand/randn/randint reproducible', () => {
    tk.manualSeed(123);
    const a = [tk.rand([5]).toArray(), tk.randn([5]).toArray(), tk.randint(0, 9, [5]).toArray()];
    tk.manualSeed(123);
    const b = [tk.rand([5]).toArray(), tk.randn([5]).toArray(), tk.randint(0, 9, [5]).toArray()];
    expect(b).toEqual(a);
    expect(tk.initialSeed()).toBe(123n);
  });

  it('seed() seeds from entropy and returns the seed, which replays the stream', () => {
    const s = tk.seed();
    expect(typeof s).toBe('bigint');
    expect(tk.initialSeed()).toBe(s);
    const a = tk.rand([4]).toArray();
    tk.manualSeed(s);
    expect(tk.rand([4]).toArray()).toEqual(a);
    expect(tk.seed()).not.toBe(s); // 2^-64 chance of a false failure
  });

  it('getRngState/setRngState resume the stream where it was taken', () => {
    tk.manualSeed(7);
    tk.rand([3]).dispose();
    const s = tk.getRngState();
    expect(s).toEqual({ seed: 7n, offset: 1n });
    const a = tk.randn([6]).toArray();
    tk.rand([100]).dispose();
    tk.setRngState(s);
    expect(tk.randn([6]).toArray()).toEqual(a);
    expectTensorError(
      () => tk.setRngState({ seed: -1n, offset: 0n }),
      'INVALID_ARGUMENT',
      /setRngState: expected \{ seed: bigint, offset: bigint \}/,
    );
    expectTensorError(() => tk.setRngState({ seed: 1, offset: 0n } as never), 'INVALID_ARGUMENT', /setRngState/);
  });

  it('has the expected moments', () => {
    tk.manualSeed(1);
    const u = tk.rand([100_000]);
    const n = tk.randn([100_000], { dtype: 'float64' });
    expect(u.mean().item()).toBeCloseTo(0.5, 2);
    expect(u.min().item()).toBeGreaterThanOrEqual(0);
    expect(u.max().item()).toBeLessThan(1);
    expect(n.mean().item()).toBeCloseTo(0, 1);
    expect(n.std().item()).toBeCloseTo(1, 1);
    const r = tk.randint(3, 7, [10_000]);
    expect([r.min().item(), r.max().item()]).toEqual([3, 6]);
  });

  it('*Like variants copy shape, dtype and device', () => {
    const x = tk.zeros([2, 3], { dtype: 'float64' });
    for (const t of [tk.zerosLike(x), tk.onesLike(x), tk.fullLike(x, 2), tk.randLike(x), tk.randnLike(x)])
      expect([t.shape, t.dtype, t.device]).toEqual([[2, 3], 'float64', 'cpu']);
    expect(tk.randintLike(x, 0, 5).dtype).toBe('int64');
    expect(tk.onesLike(x, { dtype: 'int32' }).dtype).toBe('int32');
  });
});

describe('cuda', () => {
  it('reports availability without a GPU and the CPU keeps working', () => {
    expect(typeof tk.cuda.isAvailable()).toBe('boolean');
    expect(typeof tk.cuda.status()).toBe('string');
    if (!tk.cuda.isAvailable()) expect(tk.cuda.deviceCount()).toBe(0);
  });

  it.runIf(!tk.cuda.isAvailable())('the device calls say why CUDA is unavailable; emptyCache is a no-op', () => {
    const why = tk.cuda.isCompiled() ? /cuda device 0 is not available/ : /built without CUDA/;
    expectTensorError(() => tk.cuda.memory(), 'CUDA_ERROR', why);
    expectTensorError(() => tk.cuda.synchronize('cuda:0'), 'CUDA_ERROR', why);
    expectTensorError(() => tk.cuda.resetPeakMemoryStats(0), 'CUDA_ERROR', why);
    expect(() => tk.cuda.emptyCache()).not.toThrow();
  });

  it('device arguments are checked', () => {
    expectTensorError(
      () => tk.cuda.memory('gpu'),
      'INVALID_ARGUMENT',
      /cuda.memory: expected a device index or 'cuda\[:N\]', got "gpu"/,
    );
    expectTensorError(() => tk.cuda.synchronize(-1), 'INVALID_ARGUMENT', /cuda.synchronize: expected a device index/);
  });

  it.runIf(tk.cuda.isAvailable())('moves tensors to the GPU and back through the staging buffers', () => {
    const x = tk.randn([3, 4]);
    const g = x.to('cuda');
    expect(g.device).toBe('cuda:0');
    expect(g.to('cpu').toArray()).toEqual(x.toArray());
    // 12 MB: three 4 MiB staging chunks each way, the last one partial.
    const big = tk.arange(0, 3_000_001, 1, { dtype: 'float32' });
    const back = big.cuda().cpu();
    tk.cuda.synchronize();
    expect(back.ne(big).sum().item()).toBe(0);
    for (const t of [x, g, big, back]) t.dispose();
  });

  it.runIf(tk.cuda.isAvailable())('the caching allocator reuses freed blocks and reports its figures', () => {
    tk.cuda.emptyCache();
    tk.cuda.resetPeakMemoryStats();
    const m0 = tk.cuda.memory();
    const a = tk.zeros([1 << 20], { device: 'cuda' }); // 4 MiB
    const m1 = tk.cuda.memory();
    expect(m1.allocatedBytes - m0.allocatedBytes).toBe(4 << 20);
    a.dispose();
    const m2 = tk.cuda.memory();
    expect([m2.allocatedBytes, m2.cachedBytes - m0.cachedBytes]).toEqual([m0.allocatedBytes, 4 << 20]);
    const b = tk.zeros([1 << 20], { device: 'cuda' });
    const m3 = tk.cuda.memory();
    expect([m3.cacheHits - m2.cacheHits, m3.rawAllocs - m2.rawAllocs]).toEqual([1, 0]);
    expect(m3.peakAllocatedBytes).toBeGreaterThanOrEqual(m0.allocatedBytes + (4 << 20));
    b.dispose();
    tk.cuda.emptyCache();
    expect(tk.cuda.memory().cachedBytes).toBe(0);
  });
});

// fill runs a memset for values whose bytes are all alike and 32-byte pattern stores for others;
// same-dtype copies run libc's memmove. Lengths around the store widths (32 and 128 bytes) and
// past the thread split, for every dtype, with the sign of zero and NaN kept.
describe('fill and same-dtype copy', () => {
  const lengths = [0, 1, 3, 7, 8, 9, 31, 33, 63, 65, 1000, 100_003];
  const values = [0, -0, 2.5, -1, 1, NaN, 65504, 1e30];
  const same = (a: number | bigint | boolean, b: number) =>
    typeof a === 'bigint' ? a === BigInt(b) : typeof a === 'boolean' ? a === (b !== 0) : Object.is(a, b);
  for (const dtype of tk.DTYPES)
    it(`${dtype}: full() and fill_() give every element, copies keep every bit`, () => {
      const isInt = dtype === 'int32' || dtype === 'int64';
      for (const v of values) {
        if (v === 1e30 && dtype !== 'float32' && dtype !== 'float64' && dtype !== 'bfloat16') continue; // out of range
        if ((isInt || dtype === 'bool') && Number.isNaN(v)) continue;
        const want = isInt ? Math.trunc(v) || 0 : dtype === 'bool' ? Number(v !== 0) : tk.tensor([v], { dtype }).item();
        for (const n of lengths)
          tk.tidy(() => {
            const x = tk.full([n], v, { dtype });
            const y = tk
              .zeros([n + 5], { dtype })
              .narrow(0, 2, n)
              .fill_(v); // an unaligned start
            for (const t of [x, y, x.clone(), y.contiguous(), tk.empty([n], { dtype }).copy_(x)]) {
              const d = t.data() as ArrayLike<number | bigint | boolean>;
              for (let i = 0; i < n; i++) if (!same(d[i]!, want)) expect.fail(`${dtype} ${v} [${n}] @${i}: ${d[i]}`);
            }
          });
      }
    });
  it('a strided fill leaves the elements between untouched', () => {
    const x = tk.zeros([8, 9]);
    x.select(1, 4).fill_(3);
    x.narrow(0, 1, 2).narrow(1, 0, 2).fill_(-0);
    expect(x.sum().item()).toBe(24);
    const d = x.data();
    expect(Object.is(d[1 * 9 + 1], -0)).toBe(true);
    expect(Object.is(d[3 * 9 + 1], 0)).toBe(true);
    x.dispose();
  });
});
