// The GEMM beyond the op table: thread counts, the portable kernel, operands read in place,
// beta = 0 semantics, and the kernel selection.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import * as plain from '../src/plain/index.js';
import { productTol } from './helpers/cases.js';
import { expectMatch } from './helpers/harness.js';

const defaultThreads = tk.getNumThreads();
afterEach(() => tk.setNumThreads(defaultThreads));

function pair(shape: number[], seed: number, dtype: tk.DType = 'float32') {
  tk.manualSeed(seed);
  const native = tk.randn(shape, { dtype });
  return { native, plain: plain.plainTensor(Array.from(native.data(), Number), dtype, shape) };
}

describe('matmul threads', () => {
  for (const threads of [1, 2, 3]) {
    it(`gives the reference result on ${threads} thread(s)`, () => {
      tk.setNumThreads(threads);
      for (const [M, K, N] of [
        [200, 300, 150],
        [1, 500, 300],
        [300, 400, 1],
        [5, 1000, 7],
      ]) {
        const a = pair([M, K], M),
          b = pair([K, N], N);
        expectMatch(
          a.native.matmul(b.native),
          plain.matmul(a.plain, b.plain),
          `${M}x${K}x${N}`,
          productTol(K, 'float32'),
        );
        tk.tidy(() => {
          const batched = a.native
            .reshape(1, M, K)
            .expand(3, M, K)
            .bmm(b.native.reshape(1, K, N).expand(3, K, N));
          expect(batched.sub(a.native.matmul(b.native)).abs().max().item()).toBe(0);
        });
      }
    });
  }

  it('gives bit-identical results for any thread count', () => {
    const a = pair([333, 517], 1).native,
      b = pair([517, 211], 2).native;
    tk.setNumThreads(1);
    const one = a.matmul(b).data();
    tk.setNumThreads(4);
    expect(a.matmul(b).data()).toEqual(one);
  });
});

describe('matmul operands', () => {
  it('reads transposed operands in place (no copy)', () => {
    const n = 768; // 2.25 MiB per operand: a new peak in this process
    const a = tk.randn([n, n]),
      b = tk.randn([n, n]);
    const before = tk.memory();
    expect(before.peakBytes).toBe(before.bytes); // so any extra allocation would show in the peak
    const out = a.transpose(0, 1).matmul(b.transpose(0, 1));
    const after = tk.memory();
    // Only the output was allocated; a contiguous copy of either operand would raise the peak.
    expect(after.peakBytes - before.peakBytes).toBeLessThanOrEqual(n * n * 4);
    tk.tidy(() => {
      const ref = a.contiguous().transpose(0, 1).contiguous().matmul(b.transpose(0, 1).contiguous());
      expect(out.sub(ref).abs().max().item()).toBe(0);
    });
  });

  it('addmm with beta 0 ignores NaN in the input, as PyTorch does', () => {
    const x = tk.ones(2, 3),
      w = tk.ones(3, 4);
    const y = tk.full([2, 4], NaN).addmm(x, w, { beta: 0, alpha: 2 });
    expect(y.toArray()).toEqual([
      [6, 6, 6, 6],
      [6, 6, 6, 6],
    ]);
    // With the default beta = 1 the NaN does propagate.
    expect(Array.from(tk.full([4], NaN).addmm(x, w).data()).every(Number.isNaN)).toBe(true);
  });

  it('matmul with an empty inner dimension gives zeros', () => {
    expect(
      tk
        .zeros([2, 0])
        .matmul(tk.zeros([0, 3]))
        .toArray(),
    ).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(
      tk
        .ones(2)
        .addmm(tk.zeros([2, 0]), tk.zeros([0, 2]), { beta: 3 })
        .toArray(),
    ).toEqual([
      [3, 3],
      [3, 3],
    ]);
  });
});

describe('matmul memory', () => {
  it('frees everything after thousands of products (tidy and dispose)', () => {
    const a = tk.randn([33, 40]),
      b = tk.randn([40, 17]),
      v = tk.randn([40]),
      bias = tk.randn([17]);
    const a3 = tk.randn([2, 33, 40]),
      b3 = tk.randn([2, 40, 17]);
    const base = tk.memory();
    for (let i = 0; i < 2000; i++) {
      tk.tidy(() => {
        a.matmul(b).relu();
        a.mv(v);
        a3.bmm(b3);
        bias.addmm(a, b, { beta: 0.5 });
        a.t().matmul(a).sum();
      });
      a.matmul(b).dispose();
    }
    const end = tk.memory();
    expect(end.storages).toBe(base.storages);
    expect(end.bytes).toBe(base.bytes);
    for (const t of [a, b, v, bias, a3, b3]) t.dispose();
  });
});

describe('CPU kernel selection', () => {
  it('reports the capability in use, the core, and the GEMM kernel chosen for it', () => {
    expect(['avx512', 'avx2', 'default']).toContain(tk.getCpuCapability());
    const ci = tk.getCpuInfo();
    const rank = { default: 0, avx2: 1, avx512: 2 } as const;
    expect(rank[ci.gemm.level]).toBeLessThanOrEqual(rank[ci.capability]);
    expect(['table', 'calibrated', 'instruction set', 'lowered']).toContain(ci.gemm.source);
    if (process.arch === 'x64') {
      expect(ci.vendor.length).toBe(12);
      expect(ci.family).toBeGreaterThan(0);
    }
    // A core the table names gets the table's level without timing anything.
    if (ci.microarch === 'zen5') expect(ci.gemm).toEqual({ level: 'avx512', source: 'table' });
  });

  const runChild = (env: Record<string, string>) => {
    const child = fileURLToPath(new URL('./helpers/matmul-child.ts', import.meta.url));
    const out = execFileSync(process.execPath, ['--import', 'tsx', child], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    return JSON.parse(out.trim().split('\n').pop()!);
  };

  // The path an unknown core takes: both kernels timed at the first product, the faster kept.
  it('calibrates where asked (TENSORKIT_GEMM_CALIBRATE=1), and the chosen kernel matches plain', () => {
    const { gemm, worst } = runChild({ TENSORKIT_GEMM_CALIBRATE: '1' });
    if (tk.getCpuInfo().detected === 'avx512') {
      expect(gemm.source).toBe('calibrated');
      expect(gemm.avx512Gflops).toBeGreaterThan(0);
      expect(gemm.avx2Gflops).toBeGreaterThan(0);
      expect(gemm.level).toBe(gemm.avx2Gflops > 1.03 * gemm.avx512Gflops ? 'avx2' : 'avx512');
    } else {
      expect(gemm.source).toBe('instruction set');
    }
    expect(worst).toBeLessThan(1e-3); // products are exact; the child's convolutions take Winograd here
  }, 30_000);

  it('the capability still lowers the GEMM kernel (TENSORKIT_CPU_CAPABILITY=avx2)', () => {
    const { capability, gemm, worst } = runChild({ TENSORKIT_CPU_CAPABILITY: 'avx2' });
    if (tk.getCpuInfo().detected === 'default') return;
    expect(capability).toBe('avx2');
    expect(gemm.level).toBe('avx2');
    expect(worst).toBeLessThan(1e-3); // products are exact; the child's convolutions take Winograd here
  }, 30_000);

  // The test machine runs its best kernel everywhere else; the portable one (what arm64 and old
  // x86-64 get) is checked here in a process where the environment lowers the level.
  it('the portable kernel matches plain (TENSORKIT_CPU_CAPABILITY=default)', () => {
    const { capability, gemm, worst } = runChild({ TENSORKIT_CPU_CAPABILITY: 'default' });
    expect(capability).toBe('default');
    expect(gemm.level).toBe('default');
    expect(worst).toBe(0);
  }, 30_000);
});
