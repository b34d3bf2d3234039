// torch.special's Bessel and Airy functions (native/src/kernels/bessel.h, src/ops/special.ts) and
// ndtri (special_more.h), whose tables come from one generator (scripts/gen-special-tables.py):
// their error against the exact values (mpmath, test/fixtures/special-mpmath.json, written with
// PyTorch 1.13's values beside by scripts/fixtures/special_mpmath.py), agreement with PyTorch, the
// edges, and the derivatives tensorkit adds (torch 1.13 records none). The op tables check the
// kernels against the plain reference (src/plain/bessel.ts) in every layout and dtype and
// gradcheck each differentiable one.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { special, tensor, type Tensor } from '../src/index.js';

interface Fix {
  torch: string;
  x: number[];
  functions: Record<string, { exact: (number | null)[]; torch: (number | null)[] }>;
  ndtri: { p: number[]; exact: (number | null)[]; torch: (number | null)[] };
}
const FIX = JSON.parse(readFileSync(new URL('./fixtures/special-mpmath.json', import.meta.url), 'utf8')) as Fix;
const EPS = 2 ** -52;
type Fn = (x: Tensor) => Tensor;
const fnOf = (name: string): Fn => (special as unknown as Record<string, Fn>)[name];

// The scale an error is measured on: the value, or where the function oscillates its local
// amplitude (near a zero no method keeps relative accuracy; torch's and scipy's neither).
function amplitude(name: string, x: number): number {
  const ax = Math.abs(x);
  if (/^bessel[JY]/.test(name)) return Math.min(1, Math.sqrt(2 / (Math.PI * ax)));
  if (name === 'airyAi' && x < -1) return 1 / (Math.sqrt(Math.PI) * ax ** 0.25);
  if (name === 'sphericalBesselJ0') return Math.min(1, 1 / ax);
  return 0;
}

describe('Bessel and Airy functions against their exact values (mpmath) and PyTorch', () => {
  const xs = tensor(FIX.x, { dtype: 'float64' });
  for (const [name, ref] of Object.entries(FIX.functions)) {
    it(`${name}: within 16 ulp of the exact value (of the local amplitude where it oscillates)`, () => {
      const got = fnOf(name)(xs).toArray() as number[];
      let worst = 0,
        at = 0,
        checked = 0;
      ref.exact.forEach((want, i) => {
        if (want === null) return;
        const scale = Math.max(Math.abs(want), amplitude(name, FIX.x[i]));
        const err = Math.abs(got[i] - want) / scale / EPS;
        checked++;
        if (err > worst) [worst, at] = [err, FIX.x[i]];
      });
      expect(checked).toBeGreaterThan(150);
      expect(worst, `${name}: ${worst.toFixed(1)} ulp at x = ${at}`).toBeLessThan(16);
    });
    // torch 1.13's own error reaches 1.6e-6 of the amplitude (J, Y near x = 5.3, Ai at its first
    // zero), and at 1e15 its phase is lost (x - pi/4 rounded): compared up to 1e6 at 1e-5
    it(`${name}: agrees with PyTorch ${FIX.torch} up to its own error`, () => {
      const got = fnOf(name)(xs).toArray() as number[];
      let compared = 0;
      ref.torch.forEach((theirs, i) => {
        const want = ref.exact[i];
        if (theirs === null || want === null || Math.abs(FIX.x[i]) > 1e6) return;
        const scale = Math.max(Math.abs(want), amplitude(name, FIX.x[i]));
        expect(Math.abs(got[i] - theirs) / scale, `${name}(${FIX.x[i]})`).toBeLessThan(1e-5);
        compared++;
      });
      expect(compared).toBeGreaterThan(150);
    });
  }
});

describe('ndtri (rational approximations fitted by the same generator)', () => {
  it('within 4 ulp of the exact quantile from 5e-324 to 1 - 1e-16, and agrees with PyTorch', () => {
    const { p, exact, torch } = FIX.ndtri;
    const got = tensor(p, { dtype: 'float64' }).ndtri().toArray() as number[];
    let worst = 0,
      at = 0;
    exact.forEach((want, i) => {
      if (want === null) return;
      const err = Math.abs(got[i] - want) / Math.abs(want) / EPS;
      if (err > worst) [worst, at] = [err, p[i]];
      if (torch[i] !== null)
        expect(Math.abs(got[i] - torch[i]!) / Math.abs(want), `ndtri(${p[i]})`).toBeLessThan(1e-13);
    });
    expect(worst, `${worst.toFixed(2)} ulp at p = ${at}`).toBeLessThan(4);
  });
});

describe('Bessel and Airy functions: edges, dtypes, names', () => {
  it('limits at the infinities, the poles at 0, NaN off the domain', () => {
    const edge = tensor([-Infinity, -1, -0, 0, Infinity, NaN], { dtype: 'float64' });
    const vals = (name: string) => fnOf(name)(edge).toArray() as number[];
    expect(vals('besselJ0')).toEqual([0, special.besselJ0(tensor([1], { dtype: 'float64' })).item(), 1, 1, 0, NaN]);
    expect(vals('besselJ1').slice(2)).toEqual([-0, 0, 0, NaN]);
    expect(vals('besselY0')).toEqual([NaN, NaN, -Infinity, -Infinity, 0, NaN]);
    expect(vals('besselY1')).toEqual([NaN, NaN, -Infinity, -Infinity, 0, NaN]);
    expect(vals('modifiedBesselK0')).toEqual([NaN, NaN, Infinity, Infinity, 0, NaN]);
    expect(vals('scaledModifiedBesselK1')).toEqual([NaN, NaN, Infinity, Infinity, 0, NaN]);
    expect(vals('sphericalBesselJ0')).toEqual([0, Math.sin(1), 1, 1, 0, NaN]);
    expect(vals('airyAi')[0]).toBe(0);
    expect(vals('airyAi')[4]).toBe(0);
  });

  it('odd and even symmetry, and K underflowing where its scaled form stays finite', () => {
    const x = tensor([0.5, 3, 12, 40], { dtype: 'float64' });
    expect(x.neg().besselJ0().toArray()).toEqual(x.besselJ0().toArray());
    expect(x.neg().besselJ1().toArray()).toEqual(x.besselJ1().neg().toArray());
    const big = tensor([800], { dtype: 'float64' });
    expect(big.modifiedBesselK0().item()).toBe(0);
    // sqrt(pi / 2x) (1 - 1/8x + 9/128x^2 - 225/3072x^3): the next term is 3e-13 of it
    const u = 1 / 800;
    const want = Math.sqrt(Math.PI / 1600) * (1 - u / 8 + (9 * u * u) / 128 - (225 * u ** 3) / 3072);
    expect(big.scaledModifiedBesselK0().item()).toBeCloseTo(want, 13);
  });

  it('integers compute in float32, float32 follows float64, and the free forms match', () => {
    const xi = tensor([1, 2, 3], { dtype: 'int32' });
    const y = xi.besselJ0();
    expect(y.dtype).toBe('float32');
    const want = tensor([1, 2, 3], { dtype: 'float64' }).besselJ0().toArray() as number[];
    (y.toArray() as number[]).forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
    expect(tk.airyAi(tensor([0])).item()).toBeCloseTo(0.3550280538878172, 6);
    expect(special.modifiedBesselI0(tensor([1], { dtype: 'float64' })).item()).toBe(
      tensor([1], { dtype: 'float64' }).i0().item(),
    );
  });
});

describe('Bessel derivatives (beyond torch 1.13, which records none)', () => {
  // d/dx of each against its closed form through other functions, at points on every range
  const xs = [0.05, 0.3, 1.7, 5.5, 9, 30];
  const x64 = () => tensor(xs, { dtype: 'float64' }).requiresGrad_();
  const grad = (name: string): number[] => {
    const x = x64();
    fnOf(name)(x).sum().backward();
    return x.grad!.toArray() as number[];
  };
  const value = (name: string) => fnOf(name)(tensor(xs, { dtype: 'float64' })).toArray() as number[];
  const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 12));

  it("J0' = -J1, Y0' = -Y1, K0' = -K1, J1' = J0 - J1/x, K1' = -K0 - K1/x", () => {
    close(
      grad('besselJ0'),
      value('besselJ1').map((v) => -v),
    );
    close(
      grad('besselY0'),
      value('besselY1').map((v) => -v),
    );
    close(
      grad('modifiedBesselK0'),
      value('modifiedBesselK1').map((v) => -v),
    );
    const [j0, j1, k0, k1] = ['besselJ0', 'besselJ1', 'modifiedBesselK0', 'modifiedBesselK1'].map(value);
    close(
      grad('besselJ1'),
      j0.map((v, i) => v - j1[i] / xs[i]),
    );
    close(
      grad('modifiedBesselK1'),
      k0.map((v, i) => -v - k1[i] / xs[i]),
    );
  });

  it("J1'(0) = 1/2 and the spherical j0's series branch near 0 (where the closed form cancels)", () => {
    const z = tensor([0], { dtype: 'float64' }).requiresGrad_();
    z.besselJ1().sum().backward();
    expect(z.grad!.item()).toBe(0.5);
    const x = tensor([0, 1e-9, 0.1, 0.2499, 0.2501, 2], { dtype: 'float64' }).requiresGrad_();
    x.sphericalBesselJ0().sum().backward();
    // j1 by its Taylor series below 0.3 (six terms: the next is 1e-18 of it there), else in closed form
    const taylor = [1 / 3, -1 / 30, 1 / 840, -1 / 45360, 1 / 3991680, -1 / 518918400];
    const j1 = (v: number) =>
      Math.abs(v) < 0.3
        ? taylor.reduceRight((acc, c) => acc * v * v + c, 0) * v
        : Math.sin(v) / v ** 2 - Math.cos(v) / v;
    (x.grad!.toArray() as number[]).forEach((g, i) => {
      const v = [0, 1e-9, 0.1, 0.2499, 0.2501, 2][i];
      expect(Math.abs(g + j1(v))).toBeLessThan(1e-15 + 1e-13 * Math.abs(j1(v)));
    });
  });

  it('airyAi records no gradient, as torch', () => {
    const x = tensor([0.5], { dtype: 'float64' }).requiresGrad_();
    expect(x.airyAi().requiresGrad).toBe(false);
  });
});
