// The float32 binary loops at each SIMD level (AVX-512, AVX2, the baseline build), each in a child
// process whose TENSORKIT_CPU_CAPABILITY lowers the level: add, sub, mul, div, maximum, minimum,
// fmod, remainder and floorDivide give the float64 reference rounded to float32 on every element
// (specials and far quotients included), contiguous, against a broadcast scalar on either side and
// strided; atan2 (not exactly rounded) within 3 float32 ulps of it, zeros' signs exact; and every
// level's results are equal bit for bit.
import { describe, expect, it } from 'vitest';

import { detectedLevel as detected, LEVELS, runAtLevel } from './helpers/simd-levels.js';

describe('float32 wide binary loops per SIMD level', () => {
  const hashes = new Set<number>();
  for (const [i, level] of LEVELS.entries())
    it(`TENSORKIT_CPU_CAPABILITY=${level}: exact in every layout, bits equal across levels`, () => {
      const r = runAtLevel<{
        capability: string;
        mismatches: Record<string, number>;
        atan2Ulps: Record<string, number>;
        hash: number;
      }>('./binary-wide-child.ts', level);
      hashes.add(r.hash);
      expect(hashes.size, 'results differ between SIMD levels').toBe(1);
      expect(r.capability).toBe(LEVELS[Math.min(i, detected)]);
      expect(Object.keys(r.mismatches)).toHaveLength(9 * 8);
      for (const [k, v] of Object.entries(r.mismatches)) expect(v, k).toBe(0);
      expect(Object.keys(r.atan2Ulps)).toHaveLength(4);
      for (const [k, v] of Object.entries(r.atan2Ulps)) expect(v, `atan2 ${k}`).toBeLessThanOrEqual(3);
    }, 30_000);
});
