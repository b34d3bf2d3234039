// Run by test/binary-wide.test.ts in a child process whose TENSORKIT_CPU_CAPABILITY picks the
// float32 binary loops (AVX-512, AVX2 or the baseline build): add, sub, mul, div, maximum,
// minimum, fmod, remainder and floorDivide over a sweep of dividends against divisors that include
// 0, -0, +-Inf, NaN, subnormals and quotients past 2^28 (where fmod leaves its double-arithmetic
// path for libm), in each layout with a wide loop (both contiguous, a broadcast scalar on either
// side) and a strided one (the baseline loop). Prints { capability, mismatches, hash } as JSON:
// per op and layout how many results differ from the float64 reference rounded to float32 (0
// expected: every one of these ops is exactly rounded), and a hash of every result's bits; and for
// atan2, which is not exactly rounded, its largest error in float32 ulps per layout (zeros' signs
// and NaN must match Math.atan2's exactly).
import * as tk from '../../src/index.js';

const f = Math.fround;
const fmod = (a: number, b: number) => a % b; // exact for doubles, so for float32 values too
const REFS: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => f(a + b),
  sub: (a, b) => f(a - b),
  mul: (a, b) => f(a * b),
  div: (a, b) => f(a / b),
  // NaN propagates; of two equal values (+0 and -0) the second
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a > b ? a : b),
  minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a < b ? a : b),
  fmod: (a, b) => f(fmod(a, b)),
  remainder: (a, b) => {
    const m = fmod(a, b);
    return m !== 0 && b < 0 !== m < 0 ? f(m + b) : m;
  },
  // torch's (and CPython's) formula from the exact remainder, each step rounded to float32 as the
  // kernel's are
  floorDivide: (a, b) => {
    if (b === 0) return f(a / b);
    const mod = fmod(a, b);
    let div = f(f(a - mod) / b);
    if (mod !== 0 && b < 0 !== mod < 0) div = f(div - 1);
    if (div === 0) return Math.sign(a / b) < 0 || Object.is(a / b, -0) ? -0 : 0;
    let fl = Math.floor(div);
    if (f(div - fl) > 0.5) fl = f(fl + 1);
    return fl;
  },
};
const run: Record<string, (a: tk.Tensor, b: tk.Tensor | number) => tk.Tensor> = {
  add: (a, b) => tk.add(a, b),
  sub: (a, b) => tk.sub(a, b),
  mul: (a, b) => tk.mul(a, b),
  div: (a, b) => tk.div(a, b),
  maximum: (a, b) => tk.maximum(a, tk.asTensor(b)),
  minimum: (a, b) => tk.minimum(a, tk.asTensor(b)),
  fmod: (a, b) => tk.fmod(a, b),
  remainder: (a, b) => tk.remainder(a, b),
  floorDivide: (a, b) => tk.floorDivide(a, b),
};

const as: number[] = [];
for (let i = -20000; i <= 20000; i++) as.push(i / 1000);
as.push(1e30, -1e30, 3e9, -3e9, 268435456, 1e-40, -1e-40, 0, -0, Infinity, -Infinity, NaN, 16777217, 7.5, -7.5);
const divisors = [3, -3, 0.7, -0.7, 0.001, 1e-40, -1e-40, 0, -0, Infinity, -Infinity, NaN, 1e30, 2.5, -2.5, 1, 0.1];
const bs = as.map((_, i) => divisors[i % divisors.length]!);
const A = tk.tensor(as),
  B = tk.tensor(bs);
const strided = (t: tk.Tensor) => tk.stack([t, t], 1).select(1, 0);
const mismatches: Record<string, number> = {};
let hash = 0x811c9dc5;
const mix = (a: Float32Array) => {
  for (const b of new Uint8Array(a.buffer, a.byteOffset, a.byteLength)) hash = Math.imul(hash ^ b, 0x01000193) >>> 0;
};
const same = (got: number, want: number) => (Number.isNaN(want) ? Number.isNaN(got) : Object.is(got, f(want)));
const a32 = A.data() as Float32Array,
  b32 = B.data() as Float32Array;
for (const [name, op] of Object.entries(run)) {
  const ref = REFS[name]!;
  const count = (got: Float32Array, x: (i: number) => number, y: (i: number) => number) => {
    mix(got);
    let n = 0;
    for (let i = 0; i < got.length; i++) if (!same(got[i]!, ref(x(i), y(i)))) n++;
    return n;
  };
  mismatches[`${name} contiguous`] = count(
    op(A, B).data() as Float32Array,
    (i) => a32[i]!,
    (i) => b32[i]!,
  );
  mismatches[`${name} strided`] = count(
    op(strided(A), strided(B)).contiguous().data() as Float32Array,
    (i) => a32[i]!,
    (i) => b32[i]!,
  );
  for (const s of [3, -0.7, 0.001]) {
    mismatches[`${name} tensor by ${s}`] = count(
      op(A, s).data() as Float32Array,
      (i) => a32[i]!,
      () => f(s),
    );
    mismatches[`${name} ${s} by tensor`] = count(
      op(tk.tensor(s), A).data() as Float32Array,
      () => f(s),
      (i) => a32[i]!,
    );
  }
}
const u32 = new Uint32Array(1),
  f32 = new Float32Array(u32.buffer);
const ulpOf = (v: number) => {
  f32[0] = Math.abs(v);
  const a = f32[0]!;
  u32[0]! += 1;
  return f32[0]! - a;
};
const atan2Ulps: Record<string, number> = {};
const atan2Err = (got: Float32Array, x: (i: number) => number, y: (i: number) => number) => {
  mix(got);
  let w = 0;
  for (let i = 0; i < got.length; i++) {
    const want = Math.atan2(x(i), y(i));
    if (Number.isNaN(want) || want === 0 || !Number.isFinite(got[i]!)) {
      if (!same(got[i]!, want)) w = Infinity;
    } else w = Math.max(w, Math.abs(got[i]! - want) / ulpOf(want));
  }
  return w;
};
atan2Ulps.contiguous = atan2Err(
  tk.atan2(A, B).data() as Float32Array,
  (i) => a32[i]!,
  (i) => b32[i]!,
);
atan2Ulps.strided = atan2Err(
  tk.atan2(strided(A), strided(B)).contiguous().data() as Float32Array,
  (i) => a32[i]!,
  (i) => b32[i]!,
);
atan2Ulps['swapped, by -0.7'] = atan2Err(
  tk.atan2(B, -0.7).data() as Float32Array,
  (i) => b32[i]!,
  () => f(-0.7),
);
atan2Ulps['3 by tensor'] = atan2Err(
  tk.atan2(tk.tensor(3), A).data() as Float32Array,
  () => 3,
  (i) => a32[i]!,
);
console.log(JSON.stringify({ capability: tk.getCpuInfo().capability, mismatches, atan2Ulps, hash }));
