// The float32 row kernels of the reductions (native/src/cpu/rows.cpp) at each SIMD level
// (AVX-512, AVX2, the baseline build), each in a child process whose TENSORKIT_CPU_CAPABILITY
// lowers the level: sum, mean, max/min, argmax/argmin, var/std, softmax/logSoftmax, crossEntropy
// and cumsum against float64 references over rows of every length around the block sizes and
// rows with NaN, +-Inf, +-0 and ties; and every level's results equal bit for bit (sums run over
// a fixed lane layout, not in the compiler's order).
import { describe, expect, it } from 'vitest';

import { detectedLevel as detected, LEVELS, runAtLevel } from './helpers/simd-levels.js';

describe('float32 reduction rows per SIMD level', () => {
  const hashes = new Set<number>();
  for (const [i, level] of LEVELS.entries())
    it(`TENSORKIT_CPU_CAPABILITY=${level}: every reduction matches float64, bits equal across levels`, () => {
      const r = runAtLevel<{
        capability: string;
        failures: string[];
        checked: number;
        hash: number;
      }>('./reduce-wide-child.ts', level);
      expect(r.capability).toBe(LEVELS[Math.min(i, detected)]);
      expect(r.failures).toEqual([]);
      expect(r.checked).toBeGreaterThan(20000);
      hashes.add(r.hash);
      expect(hashes.size, 'results differ between SIMD levels').toBe(1);
    }, 30_000);
});
