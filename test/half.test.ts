// float16 and bfloat16: conversions against an independent reference (every 16-bit pattern, and
// float32 rounding cases), PyTorch's promotion rules, every op of the shared tables run on 16-bit
// inputs, autograd and training in 16 bits, safetensors F16/BF16 round trips, and finfo/iinfo.
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { memory, tensor, type DType, type Tensor } from '../src/index.js';
import * as plain from '../src/plain/index.js';
import { fromHalfBits, storedBytes } from '../src/tensor.js';
import { ALL_CASES, type OpCase } from './helpers/cases.js';
import { disposeAll, expectTensorError, input, LAYOUTS, prng, type HalfDType } from './helpers/harness.js';

const HALVES: HalfDType[] = ['float16', 'bfloat16'];
// A 16-bit (or float32) tensor's values.
const f32 = (t: Tensor) => t.data() as Float32Array;

// The value of 16-bit patterns by the formats' definitions (sign, biased exponent, mantissa).
function f16Value(h: number): number {
  const s = h & 0x8000 ? -1 : 1,
    e = (h >> 10) & 0x1f,
    m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
function bf16Value(h: number): number {
  const s = h & 0x8000 ? -1 : 1,
    e = (h >> 7) & 0xff,
    m = h & 0x7f;
  if (e === 0) return s * m * 2 ** -133;
  if (e === 255) return m ? NaN : s * Infinity;
  return s * (1 + m / 128) * 2 ** (e - 127);
}
const VALUE = { float16: f16Value, bfloat16: bf16Value };

const allPatterns = () => Uint16Array.from({ length: 65536 }, (_, i) => i);

describe('16-bit conversions', () => {
  for (const dt of HALVES) {
    it(`${dt}: every bit pattern reads out as its value and converts back to the same bits`, () => {
      const bits = allPatterns();
      const t = fromHalfBits(bits, [65536], dt);
      const vals = t.data();
      let bad = 0;
      for (let i = 0; i < 65536; i++) {
        const want = VALUE[dt](i),
          got = vals[i];
        if (!(Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want)))) bad++;
      }
      expect(bad).toBe(0);
      // float32 -> 16 bits is exact on 16-bit values; NaN stays a NaN of the same sign.
      const f = t.to('float32'),
        back = f.to(dt);
      const again = new Uint16Array(storedBytes(back).buffer);
      for (let i = 0; i < 65536; i++) {
        if (Number.isNaN(vals[i])) {
          expect(Number.isNaN(VALUE[dt](again[i])) && (again[i] & 0x8000) === (i & 0x8000)).toBe(true);
        } else if (again[i] !== i) expect.fail(`${dt} pattern ${i} came back as ${again[i]}`);
      }
      disposeAll(t, f, back);
    });

    it(`${dt}: float32 values round to nearest, ties to even, as the reference`, () => {
      const round = dt === 'float16' ? plain.roundToFloat16 : plain.roundToBfloat16;
      const rnd = prng(7);
      const xs: number[] = [
        0,
        -0,
        Infinity,
        -Infinity,
        NaN,
        1,
        -1,
        65504,
        65519.99,
        65520,
        65536,
        1e5,
        2 ** -14,
        2 ** -24,
        2 ** -25,
        3 * 2 ** -26,
        2 ** -25 * 1.0001,
        1e-8,
        -1e-8,
        3.4e38,
        -3.4e38,
        1e-40,
        1 + 2 ** -11,
        1 + 3 * 2 ** -11,
        1 + 2 ** -8,
        1 + 3 * 2 ** -8,
        1 + 2 ** -8 + 2 ** -20,
        2047.5,
        2048.5,
      ];
      // Halfway points and their neighbours across the exponent range, and random magnitudes.
      for (let e = -30; e <= 20; e++)
        for (const m of [0.5, 1.5, 2.5]) {
          const h = (1 + m / (dt === 'float16' ? 1024 : 128)) * 2 ** e;
          xs.push(h, Math.fround(h * (1 + 2 ** -20)), Math.fround(h * (1 - 2 ** -20)));
        }
      for (let i = 0; i < 20000; i++) xs.push((rnd() < 0.5 ? -1 : 1) * 2 ** (rnd() * 60 - 40) * (1 + rnd()));
      const src = Float32Array.from(xs);
      const t = tensor(src),
        h = t.to(dt),
        got = h.data();
      for (let i = 0; i < src.length; i++) {
        const want = round(src[i]);
        if (!(Object.is(got[i], want) || (Number.isNaN(got[i]) && Number.isNaN(want))))
          expect.fail(`${dt}(${src[i]}) is ${got[i]}, expected ${want}`);
      }
      disposeAll(t, h);
    });

    it(`${dt}: converts to and from the other dtypes`, () =>
      tk.tidy(() => {
        const h = tensor([0.1, -2.5, 300.7, 1e6, -1e-30], { dtype: 'float64' }).to(dt);
        expect(Array.from(f32(h))).toEqual([0.1, -2.5, 300.7, 1e6, -1e-30].map((v) => plain.castValue(v, dt)));
        expect(Array.from(h.to('int32').data() as Int32Array)).toEqual(
          Array.from(f32(h), (v) => (Number.isFinite(v) ? Math.trunc(v) + 0 : -2147483648)),
        );
        expect(Array.from(f32(tensor([3, -7, 4097], { dtype: 'int64' }).to(dt)))).toEqual(
          [3, -7, 4097].map((v) => plain.castValue(v, dt)),
        );
        expect(tensor([0, 0.5, -0], { dtype: dt }).to('bool').toArray()).toEqual([false, true, false]);
        expect(tensor([true, false]).to(dt).toArray()).toEqual([1, 0]);
        expect(tensor([2.75], { dtype: dt }).item()).toBe(2.75);
        expect(tensor([NaN], { dtype: dt }).to('int64').toArray()).toEqual([-9223372036854775808]);
      }));
  }

  it('a 16-bit tensor takes 2 bytes per element', () => {
    const before = memory().bytes;
    const t = tk.zeros([1000], { dtype: 'float16' });
    expect(memory().bytes - before).toBeGreaterThanOrEqual(2000);
    expect(memory().bytes - before).toBeLessThan(4000);
    t.dispose();
  });
});

describe('16-bit type promotion (torch.result_type)', () => {
  const cases: [DType | number, DType | number, DType, string?][] = [
    ['float16', 'float16', 'float16'],
    ['bfloat16', 'bfloat16', 'bfloat16'],
    ['float16', 'bfloat16', 'float32'],
    ['float16', 'float32', 'float32'],
    ['bfloat16', 'float64', 'float64'],
    ['float16', 'int64', 'float16'],
    ['bool', 'bfloat16', 'bfloat16'],
    ['float16', 2.5, 'float16'],
    ['bfloat16', 3, 'bfloat16'],
    ['float16', 'float32', 'float16', '0-dim float32'],
    ['int32', 'float16', 'float16', '0-dim float16'],
  ];
  for (const [a, b, want, note] of cases)
    it(`${a} + ${b}${note ? ` (${note})` : ''} -> ${want}`, () => {
      const x = tensor([1, 2], { dtype: a as DType });
      const y = typeof b === 'number' ? b : note ? tensor(1, { dtype: b }) : tensor([3, 4], { dtype: b });
      const z = x.add(y);
      expect(z.dtype).toBe(want);
      disposeAll(x, y, z);
    });
});

// ---- every op of the shared tables on 16-bit inputs ------------------------------------------

// A row runs in 16 bits when it has float32 inputs and none in float64 (that row tests float64),
// except conversions, which the tests above cover.
const halfable = (c: OpCase) =>
  c.inputs.some((s) => (s.dtype ?? 'float32') === 'float32') &&
  !c.inputs.some((s) => s.dtype === 'float64') &&
  !c.ops.includes('to_dtype') &&
  !c.ops.some((o) => NO_HALF.includes(o));
// The dense factorizations refuse 16-bit inputs, as PyTorch's linalg does (checked below).
const NO_HALF: OpCase['ops'] = [
  'linalg_cholesky_ex',
  'linalg_lu_factor_ex',
  'linalg_solve_triangular',
  'linalg_eigh',
  'linalg_svd',
  'linalg_qr',
];
// Where a float32 row's result is not float32 in 16 bits: bincount's weights other than float32
// give float64 (PyTorch's rule).
const resultDtype = (c: OpCase, ref: DType, dt: HalfDType): DType =>
  ref !== 'float32' ? ref : c.ops.includes('bincount') ? 'float64' : dt;

// 4 units in the last place of the 16-bit format, relative, and an absolute floor for results
// near zero that are differences of rounded values.
const HALF_TOL = { float16: { rtol: 4 * 2 ** -10, atol: 2e-3 }, bfloat16: { rtol: 4 * 2 ** -7, atol: 2e-2 } };

function runHalf(c: OpCase, dt: HalfDType): number {
  let ran = 0;
  const rnd = prng(1234);
  const layouts = c.layouts ?? LAYOUTS;
  for (const layout of layouts) {
    const pairs = c.inputs.map((spec) => input(spec, layout, rnd, { half: dt }));
    if (pairs.some((p) => p === undefined)) {
      disposeAll(pairs.filter(Boolean).map((p) => p!.native));
      continue;
    }
    const ref = c.plain(...pairs.map((p) => p!.plain));
    const out = c.native(...pairs.map((p) => p!.native));
    try {
      const label = `${c.name} in ${dt} [${layout}]`;
      expect(out.shape, label).toEqual(ref.shape);
      const wantDtype = resultDtype(c, ref.dtype, dt);
      expect(out.dtype, `${label}: dtype`).toBe(wantDtype);
      const got = out.data();
      const { rtol, atol } = wantDtype === dt ? HALF_TOL[dt] : { rtol: 1e-6, atol: 0 };
      const scale = (ref.data as Float32Array).reduce(
        (m: number, v: number) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m),
        0,
      );
      for (let i = 0; i < ref.data.length; i++) {
        const want = wantDtype === dt ? plain.castValue(ref.data[i], dt) : ref.data[i];
        const x = Number(got[i]);
        if (Number.isNaN(want) || Number.isNaN(x)) {
          expect(Number.isNaN(x) && Number.isNaN(want), `${label}: element ${i} is ${x}, expected ${want}`).toBe(true);
          continue;
        }
        if (x === want) continue;
        if (!(Math.abs(x - want) <= atol * Math.max(1, scale) + rtol * Math.abs(want)))
          expect.fail(`${label}: element ${i} is ${x}, expected ${want} (rtol ${rtol}, atol ${atol} x ${scale})`);
      }
    } finally {
      disposeAll(
        out,
        pairs.map((p) => p!.native),
      );
    }
    ran++;
  }
  return ran;
}

for (const dt of HALVES)
  describe(`every op in ${dt}`, () => {
    for (const c of ALL_CASES.filter(halfable)) it(c.name, () => expect(runHalf(c, dt)).toBeGreaterThan(0));
    it(`${dt}: the dense factorizations refuse 16-bit input (as PyTorch's linalg)`, () => {
      const a = tk.eye(3, { dtype: dt });
      const fns = [
        () => tk.linalg.choleskyEx(a),
        () => tk.linalg.luFactorEx(a),
        () => tk.linalg.solveTriangular(a, a, { upper: true }),
        () => tk.linalg.eigh(a),
        () => tk.linalg.svd(a),
        () => tk.linalg.qr(a),
      ];
      for (const f of fns) expect(f).toThrow(new RegExp(`expected A to be float32 or float64, got ${dt}`));
      a.dispose();
    });
    it('leaves no tensors alive', () => expect(memory().tensors).toBe(0));
  });

// ---- autograd, training and weight files ------------------------------------------------------

describe('16-bit autograd and training', () => {
  for (const dt of HALVES)
    it(`${dt}: gradients through conv, pooling, matmul and losses are close to float32's`, () =>
      tk.tidy(() => {
        const rnd = prng(3);
        const vals = (n: number) => Array.from({ length: n }, () => plain.castValue(rnd() * 2 - 1, dt));
        const [xv, wv, fv] = [vals(2 * 3 * 6 * 6), vals(4 * 3 * 3 * 3), vals(16 * 5)];
        const grads = (d: DType) => {
          const x = tensor(xv, { shape: [2, 3, 6, 6], dtype: d, requiresGrad: true });
          const w = tensor(wv, { shape: [4, 3, 3, 3], dtype: d, requiresGrad: true });
          const fc = tensor(fv, { shape: [16, 5], dtype: d, requiresGrad: true });
          // avgPool: max pooling may pick another of two values that round to a tie.
          const h = tk.nn.functional.avgPool2d(tk.nn.functional.conv2d(x, w, undefined, { padding: 1 }).tanh(), 3);
          const logits = h.reshape([2, 16]).matmul(fc);
          const loss = tk.nn.functional.crossEntropy(logits, tensor([1, 4], { dtype: 'int64' }));
          loss.backward();
          return [loss, x.grad!, w.grad!, fc.grad!];
        };
        // The same values rounded once more: the reference runs in float32 on 16-bit inputs.
        const [refs, halves] = [grads('float32'), grads(dt)];
        const ulp = dt === 'float16' ? 2 ** -10 : 2 ** -7;
        halves.forEach((h, i) => {
          expect(h.dtype).toBe(dt);
          const a = f32(h),
            b = f32(refs[i]);
          const scale = b.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
          for (let j = 0; j < b.length; j++) expect(Math.abs(a[j] - b[j])).toBeLessThanOrEqual(16 * ulp * scale);
        });
      }));

  it('a model converted to bfloat16 trains; an optimizer made before the move keeps its parameters and its state follows', () => {
    const model = new tk.nn.Sequential(new tk.nn.Linear(4, 16), new tk.nn.ReLU(), new tk.nn.Linear(16, 3));
    const opt = new tk.optim.Adam(model.parameters(), { lr: 0.02 });
    const rnd = prng(11);
    const X = Array.from({ length: 64 }, () => Array.from({ length: 4 }, () => rnd() * 2 - 1));
    const y = X.map((r) => (r[0] + r[1] > 0.3 ? 0 : r[2] > 0 ? 1 : 2));
    const step = (dtype: DType) =>
      tk.tidy(() => {
        opt.zeroGrad();
        const loss = tk.nn.functional.crossEntropy(model.call(tensor(X, { dtype })), tensor(y, { dtype: 'int64' }));
        loss.backward();
        opt.step();
        return loss.item() as number;
      });
    const first = step('float32'); // state is created in float32
    const params = model.parameters();
    model.to('bfloat16');
    expect(model.parameters().every((p, i) => p === params[i] && p.dtype === 'bfloat16')).toBe(true);
    let last = first;
    for (let i = 0; i < 60; i++) last = step('bfloat16');
    expect(last).toBeLessThan(first * 0.6);
    for (const st of opt.state.values())
      for (const v of Object.values(st)) if (v instanceof tk.Tensor) expect(v.dtype).toBe('bfloat16');
    opt.disposeState();
    for (const p of model.parameters()) p.dispose();
    expect(memory().tensors).toBe(0);
  });
});

describe('16-bit safetensors', () => {
  it('F16 and BF16 are written as stored and load back with their dtype and bits', () =>
    tk.tidy(() => {
      const h = tensor(
        [
          [1, -2.5],
          [65504, 1e-7],
        ],
        { dtype: 'float16' },
      );
      const b = tensor([3.14159, -1e30, 0], { dtype: 'bfloat16' });
      const bytes = tk.io.serialize({ h, b });
      const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
      const header = JSON.parse(
        Buffer.from(bytes)
          .subarray(8, 8 + n)
          .toString(),
      );
      expect([header.h.dtype, header.b.dtype]).toEqual(['F16', 'BF16']);
      expect(header.h.data_offsets[1] - header.h.data_offsets[0]).toBe(8);
      const back = tk.io.deserialize(bytes).tensors;
      expect([back.h.dtype, back.b.dtype]).toEqual(['float16', 'bfloat16']);
      expect(Array.from(storedBytes(back.h))).toEqual(Array.from(storedBytes(h)));
      expect(Array.from(f32(back.b))).toEqual(Array.from(f32(b)));
      // The exact F16 bits of 1, -2.5, 65504 and 1e-7 (subnormal 2 x 2^-24 after rounding).
      expect(Array.from(new Uint16Array(storedBytes(h).buffer))).toEqual([0x3c00, 0xc100, 0x7bff, 0x0002]);
    }));
});

describe('finfo and iinfo (torch.finfo, torch.iinfo)', () => {
  it("each float dtype's eps, max and tiny are what its rounding does (and torch's numbers)", () => {
    for (const d of ['float32', 'float64', 'float16', 'bfloat16'] as const) {
      const f = tk.finfo(d);
      const round = (v: number) => tk.tensor([v], { dtype: 'float64' }).to(d).to('float64').item();
      expect(round(1 + f.eps), `${d} 1 + eps`).toBe(1 + f.eps);
      expect(round(1 + f.eps / 4), `${d} 1 + eps/4`).toBe(1);
      expect(round(f.max), `${d} max`).toBe(f.max);
      expect(round(-f.max * (1 + f.eps)), `${d} beyond max`).toBe(-Infinity);
      expect(round(f.tiny), `${d} tiny`).toBe(f.tiny);
      expect([f.min, f.smallestNormal, f.dtype]).toEqual([-f.max, f.tiny, d]);
    }
    expect(tk.finfo()).toEqual(tk.finfo('float32'));
    expect(tk.finfo('float16')).toMatchObject({ bits: 16, eps: 0.0009765625, max: 65504, resolution: 0.001 });
    expect(tk.finfo('bfloat16')).toMatchObject({ eps: 0.0078125, max: 3.3895313892515355e38, resolution: 0.01 });
    expect(tk.finfo('float64').resolution).toBe(1e-15);
  });

  it('int32 in numbers, int64 exactly in bigints; the wrong kind is refused', () => {
    expect(tk.iinfo('int32')).toEqual({ dtype: 'int32', bits: 32, min: -2147483648, max: 2147483647 });
    const i64 = tk.iinfo('int64');
    expect([i64.min, i64.max]).toEqual([-9223372036854775808n, 9223372036854775807n]);
    expect(tk.tensor([i64.max], { dtype: 'int64' }).data()[0]).toBe(i64.max);
    expectTensorError(
      () => tk.finfo('int32'),
      'DTYPE_MISMATCH',
      /finfo: expected a floating dtype, got int32 \(use iinfo\)/,
    );
    expectTensorError(
      () => tk.iinfo('float32'),
      'DTYPE_MISMATCH',
      /iinfo: expected an integer dtype .*got float32 \(use finfo\)/,
    );
    expectTensorError(() => tk.iinfo('bool'), 'DTYPE_MISMATCH', /got bool$/);
    expectTensorError(() => tk.finfo('float8' as never), 'INVALID_ARGUMENT', /finfo: unknown dtype, got "float8"/);
  });
});
