// Run by test/reduce-wide.test.ts in a child process whose TENSORKIT_CPU_CAPABILITY picks the
// float32 row kernels of the reductions (native/src/cpu/rows.cpp: AVX-512, AVX2 or the baseline
// build): sum, mean, max/min, argmax/argmin, var/std, softmax/logSoftmax, crossEntropy and cumsum
// over rows of every length around the kernels' block sizes (16, 32, 64), long rows, a full
// reduction split into chunks, and rows holding NaN, +-Inf, +-0 and ties, each against a float64
// reference computed here. Prints { capability, failures, checked, hash } as JSON: the checks
// that failed (op, row length, detail), how many ran, and a hash of every result's bits.
import * as tk from '../../src/index.js';

const failures: string[] = [];
let checked = 0;
let hash = 0x811c9dc5;
const mix = (a: Float32Array | Float64Array | BigInt64Array) => {
  for (const b of new Uint8Array(a.buffer, a.byteOffset, a.byteLength)) hash = Math.imul(hash ^ b, 0x01000193) >>> 0;
};
function check(ok: boolean, what: string) {
  checked++;
  if (!ok && failures.length < 50) failures.push(what);
}
// |got - want| within rel * |want| + abs (NaN matches NaN, infinities must match exactly).
function near(got: number, want: number, rel: number, abs = 0): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  return Math.abs(got - want) <= rel * Math.abs(want) + abs;
}

// Deterministic float32 rows (an LCG, independent of tensorkit's generator).
let seed = 12345;
function rand(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 2 ** 32;
}
function rows(R: number, C: number, scale: number): Float32Array {
  const a = new Float32Array(R * C);
  for (let i = 0; i < a.length; i++) a[i] = (rand() * 2 - 1) * scale;
  return a;
}

function checkRows(label: string, data: Float32Array, R: number, C: number) {
  const x = tk.tensor(data, { shape: [R, C] });
  const row = (r: number) => Array.from(data.subarray(r * C, (r + 1) * C));
  const res = {
    sum: x.sum(1).data() as Float32Array,
    mean: x.mean(1).data() as Float32Array,
    max: x.max(1).data() as Float32Array,
    min: x.min(1).data() as Float32Array,
    argmax: x.argmax(1).data() as BigInt64Array,
    argmin: x.argmin(1).data() as BigInt64Array,
    maxv: x.maxWithIndices(1).values.data() as Float32Array,
    var: x.var(1).data() as Float32Array,
    std: x.std(1).data() as Float32Array,
    softmax: x.softmax(-1).data() as Float32Array,
    logSoftmax: x.logSoftmax(-1).data() as Float32Array,
    cumsum: x.cumsum(1).data() as Float32Array,
    sum0: x.sum(0).data() as Float32Array,
  };
  for (const v of Object.values(res)) mix(v);
  for (let r = 0; r < R; r++) {
    const v = row(r);
    const at = `${label} row ${r} (length ${C})`;
    const hasNaN = v.some(Number.isNaN);
    const s = v.reduce((a, b) => a + b, 0);
    check(near(res.sum[r]!, s, 2 ** -23), `sum ${at}: ${res.sum[r]} vs ${s}`);
    check(near(res.mean[r]!, s / C, 2 ** -23), `mean ${at}`);
    // max/min, NaN-propagating; argmax/argmin the first index holding it (the first NaN).
    const firstNaN = v.findIndex(Number.isNaN);
    const mx = hasNaN ? NaN : Math.max(...v),
      mn = hasNaN ? NaN : Math.min(...v);
    check(near(res.max[r]!, mx, 0), `max ${at}: ${res.max[r]} vs ${mx}`);
    check(near(res.min[r]!, mn, 0), `min ${at}`);
    const amax = hasNaN ? firstNaN : v.findIndex((e) => e === mx);
    const amin = hasNaN ? firstNaN : v.findIndex((e) => e === mn);
    check(Number(res.argmax[r]) === amax, `argmax ${at}: ${res.argmax[r]} vs ${amax}`);
    check(Number(res.argmin[r]) === amin, `argmin ${at}: ${res.argmin[r]} vs ${amin}`);
    check(Object.is(res.maxv[r], hasNaN ? NaN : Math.fround(v[amax]!)), `max value (sign of zero) ${at}`);
    const m = s / C;
    const q = v.reduce((a, b) => a + (b - m) * (b - m), 0) / (C - 1);
    if (C > 1) {
      // (in float32: the row holding 1e30 has a variance past float32's range)
      check(near(res.var[r]!, Math.fround(q), 1e-6), `var ${at}: ${res.var[r]} vs ${q}`);
      check(near(res.std[r]!, Math.fround(Math.sqrt(q)), 1e-6), `std ${at}`);
    }
    const finiteMax = hasNaN ? NaN : mx;
    const z = v.reduce((a, b) => a + Math.exp(b - finiteMax), 0);
    let run = 0;
    for (let c = 0; c < C; c++) {
      const sm = Math.exp(v[c]! - finiteMax) / z;
      const ls = v[c]! - finiteMax - Math.log(z);
      check(
        near(res.softmax[r * C + c]!, sm, 4e-7, 1e-30),
        `softmax ${at} col ${c}: ${res.softmax[r * C + c]} vs ${sm}`,
      );
      check(near(res.logSoftmax[r * C + c]!, ls, 4e-7, 4e-7 * Math.abs(finiteMax)), `logSoftmax ${at} col ${c}`);
      run = Math.fround(run + v[c]!); // cumsum: float32, in order
      check(Object.is(res.cumsum[r * C + c], run), `cumsum ${at} col ${c}`);
    }
  }
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let r = 0; r < R; r++) s += data[r * C + c]!;
    check(near(res.sum0[c]!, s, 2 ** -23), `sum(0) ${label} col ${c}`);
  }
  // crossEntropy of the rows against targets: -mean(logSoftmax[r, t_r]).
  if (data.every(Number.isFinite)) {
    const t = Array.from({ length: R }, (_, r) => (r * 7) % C);
    const got = tk.nn.functional.crossEntropy(x, tk.tensor(t, { dtype: 'int64' }), { reduction: 'none' });
    const g = got.data() as Float32Array;
    mix(g);
    for (let r = 0; r < R; r++) {
      const v = row(r);
      const m = Math.max(...v);
      const want = -(v[t[r]!]! - m - Math.log(v.reduce((a, b) => a + Math.exp(b - m), 0)));
      check(near(g[r]!, want, 1e-6, 1e-6 * Math.abs(m)), `crossEntropy ${label} row ${r}: ${g[r]} vs ${want}`);
    }
  }
}

// Every row length around the block sizes, and long rows (several blocks plus a tail).
for (const C of [1, 2, 3, 7, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 100, 129, 1000, 1023, 4099])
  checkRows('random', rows(3, C, 4), 3, C);
// Specials: NaN early, in the tail block, last; +-Inf; +-0 ties; the extreme in the overlapped
// tail (the last 16 elements re-read by max); all equal values.
{
  const C = 70;
  const base = rows(12, C, 2);
  const set = (r: number, c: number, v: number) => (base[r * C + c] = v);
  set(0, 3, NaN);
  set(1, 66, NaN);
  set(2, 69, NaN);
  set(3, 10, Infinity);
  set(4, 20, -Infinity);
  for (let c = 0; c < C; c++) base[5 * C + c] = c % 3 === 0 ? -0 : c % 3 === 1 ? 0 : -1; // max 0 first at 0 (-0)
  for (let c = 0; c < C; c++) base[6 * C + c] = 1.5; // all equal
  set(7, 68, 100); // the max in the re-read tail
  set(7, 55, 100); // a tie before it
  set(8, 0, -100); // the min first
  set(9, 17, NaN);
  set(9, 40, NaN);
  for (let c = 0; c < C; c++) base[10 * C + c] = -Infinity; // softmax of all -inf: NaN
  set(11, 5, 1e30); // softmax: one element takes everything
  checkRows('specials', base, 12, C);
  checkRows('specials, short', base.subarray(0, 12 * 9), 12, 9);
}
// A full reduction in 32K-element chunks (1M elements: 32 chunks, summed in chunk order).
{
  const n = 1 << 20;
  const data = rows(1, n, 1);
  const got = tk.tensor(data).sum().item();
  mix(new Float64Array([got]));
  let s = 0;
  for (const v of data) s += v;
  check(near(got, s, 2 ** -23), `sum of 1M: ${got} vs ${s}`);
}
console.log(JSON.stringify({ capability: tk.getCpuInfo().capability, failures, checked, hash }));
