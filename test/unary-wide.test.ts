// The float32 loops of exp, exp2, expm1, sinh, cosh, atan, asin, acos, log, log2, log10, log1p,
// sigmoid, tanh, erf, erfc, erfinv, gelu, silu, sin, cos, tan, leaky_relu, elu, hardtanh, hardsigmoid,
// hardswish, the exactly rounded relu, sqrt, rsqrt, reciprocal, floor, ceil, round and trunc and
// the exact neg, abs, sign and clamp at each SIMD level (AVX-512, AVX2, the baseline build), each
// in a child process whose TENSORKIT_CPU_CAPABILITY lowers the level: every result within 3
// float32 ulps of a float64 reference (the exactly rounded ones: 0) over [-20, 20], tiny
// magnitudes and powers of two, in the wide loops (long and short runs) and the strided baseline
// loop alike, and NaN, +-Inf and -0 handled; and every level's results equal bit for bit (the wide
// loops round as the baseline). (scripts/check-activations.cpp checks exp2, expm1, sinh, cosh,
// atan, asin, acos, tanh, erf, erfc, erfinv, log, log2, log10, log1p, sin, cos and tan over every float32,
// and atan2 over 10^8 pairs.)
import { describe, expect, it } from 'vitest';

import { detectedLevel as detected, LEVELS, runAtLevel } from './helpers/simd-levels.js';

// The correctly rounded ones: the float32 nearest the exact value, always.
const EXACT = /^(relu|sqrt|reciprocal|floor|ceil|round|trunc|hardtanh|neg|abs|sign|clamp) /;

describe('float32 wide unary loops per SIMD level', () => {
  const hashes = new Set<number>();
  for (const [i, level] of LEVELS.entries())
    it(`TENSORKIT_CPU_CAPABILITY=${level}: within 3 ulp of float64, specials exact, bits equal across levels`, () => {
      const r = runAtLevel<{
        capability: string;
        worst: Record<string, number>;
        specialsOk: boolean;
        hash: number;
      }>('./unary-wide-child.ts', level);
      hashes.add(r.hash);
      expect(hashes.size, 'results differ between SIMD levels').toBe(1);
      expect(r.capability).toBe(LEVELS[Math.min(i, detected)]);
      expect(Object.keys(r.worst)).toHaveLength(117);
      for (const [k, v] of Object.entries(r.worst)) expect(v, k).toBeLessThanOrEqual(EXACT.test(k) ? 0 : 3);
      expect(r.specialsOk).toBe(true);
    }, 30_000);
});
