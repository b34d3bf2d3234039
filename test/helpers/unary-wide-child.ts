// Run by test/unary-wide.test.ts in a child process whose TENSORKIT_CPU_CAPABILITY picks the
// float32 loops of exp, exp2, expm1, sinh, cosh, atan, asin, acos, log, log2, log10, log1p,
// sigmoid, tanh, erf, erfc, erfinv, gelu, silu, sin, cos, tan, the activations leaky_relu, elu, hardtanh,
// hardsigmoid and hardswish, the exactly rounded relu, sqrt, rsqrt, reciprocal, floor, ceil,
// round and trunc, and the exact neg, abs, sign and clamp (AVX-512, AVX2 or the baseline build): each op over a sweep of values,
// contiguous (the wide loops, in short and long runs) and strided (the baseline loop), against
// float64 references. Prints { capability, worst, specialsOk, hash } as JSON: per op and layout
// the largest error in float32 units in the last place, whether NaN, +-Inf and -0 came out right,
// and a hash of every result's bits.
import * as tk from '../../src/index.js';
import { erf, erfc, erfinv } from '../../src/plain/math.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function ulpOf(v: number): number {
  f32[0] = Math.abs(v);
  if (!Number.isFinite(f32[0])) return Infinity;
  const a = f32[0];
  u32[0] += 1;
  return f32[0] - a;
}

const REFS: Record<string, (x: number) => number> = {
  exp: Math.exp,
  exp2: (x) => 2 ** x,
  expm1: Math.expm1,
  sinh: Math.sinh,
  cosh: Math.cosh,
  atan: Math.atan,
  asin: Math.asin,
  acos: Math.acos,
  log: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  log1p: Math.log1p,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh,
  erf,
  erfc,
  erfinv,
  gelu: (x) => 0.5 * x * erfc(-x / Math.SQRT2),
  silu: (x) => x / (1 + Math.exp(-x)),
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  // the exactly rounded ops: within 0 ulp (rsqrt: 1 / sqrt rounds twice)
  relu: (x) => (x > 0 || Number.isNaN(x) ? x : 0),
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  reciprocal: (x) => 1 / x,
  floor: Math.floor,
  ceil: Math.ceil,
  round: (x) => {
    const r = Math.round(x); // half up; torch rounds half to even
    return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r === 0 ? (x < 0 || Object.is(x, -0) ? -0 : 0) : r;
  },
  trunc: Math.trunc,
  // the activations, with PyTorch's defaults (hardtanh is exact: clamp's values)
  leaky_relu: (x) => (x > 0 ? x : x * 0.01),
  elu: (x) => (x > 0 ? x : Math.expm1(x) + 0), // + 0: -0 gives +0, as PyTorch's
  hardtanh: (x) => (x < -1 ? -1 : x > 1 ? 1 : x),
  hardsigmoid: (x) => Math.min(Math.max(x + 3, 0), 6) / 6,
  // x relu6(x + 3) rounded to float32 before / 6, as PyTorch's: x > 5.7e37 gives inf as its does
  hardswish: (x) => Math.fround(x * Math.min(Math.max(x + 3, 0), 6)) / 6,
  // exact: -0 gives +0 for neg, abs and sign; sign(NaN) is 0, as PyTorch's
  neg: (x) => -x,
  abs: Math.abs,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  clamp: (x) => (x < -2 ? -2 : x > 0.5 ? 0.5 : x),
};
const run: Record<string, (t: tk.Tensor) => tk.Tensor> = {
  exp: (t) => t.exp(),
  exp2: (t) => t.exp2(),
  expm1: (t) => t.expm1(),
  sinh: (t) => t.sinh(),
  cosh: (t) => t.cosh(),
  atan: (t) => t.atan(),
  asin: (t) => t.asin(),
  acos: (t) => t.acos(),
  log: (t) => t.log(),
  log2: (t) => t.log2(),
  log10: (t) => t.log10(),
  log1p: (t) => t.log1p(),
  sigmoid: (t) => t.sigmoid(),
  tanh: (t) => t.tanh(),
  erf: (t) => t.erf(),
  erfc: (t) => t.erfc(),
  erfinv: (t) => t.erfinv(),
  gelu: (t) => tk.nn.functional.gelu(t),
  silu: (t) => tk.nn.functional.silu(t),
  sin: (t) => t.sin(),
  cos: (t) => t.cos(),
  tan: (t) => t.tan(),
  relu: (t) => t.relu(),
  sqrt: (t) => t.sqrt(),
  rsqrt: (t) => t.rsqrt(),
  reciprocal: (t) => t.reciprocal(),
  floor: (t) => t.floor(),
  ceil: (t) => t.ceil(),
  round: (t) => t.round(),
  trunc: (t) => t.trunc(),
  leaky_relu: (t) => tk.nn.functional.leakyRelu(t),
  elu: (t) => tk.nn.functional.elu(t),
  hardtanh: (t) => tk.nn.functional.hardtanh(t),
  hardsigmoid: (t) => tk.nn.functional.hardsigmoid(t),
  hardswish: (t) => tk.nn.functional.hardswish(t),
  neg: (t) => t.neg(),
  abs: (t) => t.abs(),
  sign: (t) => t.sign(),
  clamp: (t) => t.clamp(-2, 0.5),
};

const xs: number[] = [];
for (let i = -20000; i <= 20000; i++) xs.push(i / 1000); // [-20, 20] in steps of 0.001
for (let e = -38; e <= -3; e += 0.05) xs.push(10 ** e, -(10 ** e));
xs.push(88.7, 88.8, -103.9, -104.1, 1e10, -1e10, 3.92, -3.92, 0.7, -0.7, 1, -1, 1e-45, -1e-45);
// sin, cos and tan: near multiples of pi/2 (where the reduction cancels), either side of 2^23 (where
// libm takes over) and far beyond, in blocks that are all near and blocks that mix in a far one.
for (let k = 1; k < 2 ** 23; k = Math.ceil(k * 1.37))
  xs.push(Math.fround((k * Math.PI) / 2), -Math.fround((k * Math.PI) / 2));
for (let e = -149; e <= 127; e++) xs.push(2 ** e, e, e + 0.5); // log2 of a power of two is exact, exp2 of e too
// exp2's ends; expm1's reductions; cosh's overflow
xs.push(127.99, 128, -149.75, -150, -150.5, 16.6, 17.33, 17.4, 0.3466, -0.3466, 89.41, -89.41, 89.42, 89.6);
xs.push(0.41421356, 0.41421358, 2.4142134, 2.4142137, 1e38, -1e38); // atan's reductions
xs.push(-14.3, -14.39, -14.4, -14.41, 14.39, 14.41, -13.2, -13.3); // gelu's cut-off and subnormal tail
xs.push(-87.5, -95, -105, -109.9, -111.9, -112.1, 111.9, 112.1); // silu's subnormal tail and cut-offs
xs.push(-86, -86.001, 88, 88.001, -13, -13.001, 13.001, 86.001); // the near forms' limits (exp, silu, gelu)
xs.push(10.05, 10.1, 10.17, 10.19, -10.19, 9.9); // erfc's last subnormals and cut-off
xs.push(0.49999997, 0.5, 0.50000006, 0.99999994, -0.99999994, 0.9999, -0.97); // erfinv's branches and tail
xs.push(16331238, 8388607.5, 8388608, -8388608, 8388609, 1e6 + 0.5, 3e7, 1e30, -1e38, 105414350, 6.2831855);
const x = tk.tensor(xs);
const specials = tk.tensor([NaN, Infinity, -Infinity, -0]);

const worst: Record<string, number> = {};
let specialsOk = true;
// FNV-1a over every result's bits: equal across levels when they agree bit for bit.
let hash = 0x811c9dc5;
const mix = (a: Float32Array) => {
  for (const b of new Uint8Array(a.buffer, a.byteOffset, a.byteLength)) hash = Math.imul(hash ^ b, 0x01000193) >>> 0;
};
for (const [name, f] of Object.entries(run)) {
  const ref = REFS[name]!;
  const layouts: [string, tk.Tensor][] = [
    ['contiguous', x],
    ['short', x.narrow(0, 18501, 3000).contiguous()], // [-1.5, 1.5], under the grain: the flat path
    ['strided', tk.stack([x, x], 1).select(1, 0)], // every other element: the baseline loop
  ];
  for (const [layout, t] of layouts) {
    const got = f(t).contiguous().data() as Float32Array;
    const input = t.contiguous().data() as Float32Array;
    mix(got);
    let w = 0;
    for (let i = 0; i < got.length; i++) {
      const r = ref(input[i]!);
      if (got[i] === Math.fround(r) || (Number.isNaN(r) && Number.isNaN(got[i]!))) continue; // exact (infinities, NaN)
      const err = Math.abs(got[i]! - r);
      w = Math.max(w, err / ulpOf(r));
    }
    worst[`${name} ${layout}`] = w;
  }
  const s = f(specials).data() as Float32Array;
  const want = [
    name === 'sign' ? 0 : NaN,
    ref(Infinity),
    ref(-Infinity),
    [
      'exp',
      'exp2',
      'cosh',
      'sigmoid',
      'log',
      'log2',
      'log10',
      'cos',
      'relu',
      'rsqrt',
      'reciprocal',
      'hardsigmoid',
      'elu',
      'acos',
      'erfc',
      'neg',
      'abs',
      'sign',
    ].includes(name)
      ? ref(-0)
      : -0,
  ];
  s.forEach((v, i) => {
    const ok = Number.isNaN(want[i]!) ? Number.isNaN(v) : Object.is(v, Math.fround(want[i]!));
    if (!ok) specialsOk = false;
  });
}
console.log(JSON.stringify({ capability: tk.getCpuInfo().capability, worst, specialsOk, hash }));
