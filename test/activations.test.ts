// The activations with their own float32 math and fused backward (gelu, silu: accurate where
// PyTorch's forms cancel or overflow, against mpmath's values) and GELU's tanh approximation
// (against PyTorch 1.13's values).
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { gradcheck, nn, tensor, tidy } from '../src/index.js';

const F = nn.functional;

describe('activations', () => {
  it('gelu keeps its digits in the negative tail (x Phi(x), not x (1 + erf) / 2) in float32 and float64', () =>
    tidy(() => {
      // mpmath's x * ncdf(x) at 40 digits; PyTorch 1.13 gives 0 for the last three in float32
      const want: [number, number][] = [
        [-3, -0.004049694094890283579955],
        [-6, -5.919525870226188844205e-9],
        [-10, -7.619853024160526065973e-23],
        [-13, -7.952313719414843586958e-38],
      ];
      const x = tensor(want.map(([v]) => v));
      const got32 = F.gelu(x).data() as Float32Array;
      const got64 = F.gelu(x.to('float64')).data() as Float64Array;
      want.forEach(([v, w], i) => {
        expect(Math.abs(got32[i]! / w - 1), `float32 at ${v}`).toBeLessThan(3 * 2 ** -23);
        expect(Math.abs(got64[i]! / w - 1), `float64 at ${v}`).toBeLessThan(1e-13);
      });
      // the ends: x Phi(x) -> -0 below (float32 has no subnormal for gelu(-20) = -5.5e-88), x above;
      // -inf gives NaN, as PyTorch's (x (1 + erf) / 2 there is -inf * 0)
      const ends = [-20, -1e30, 20, 1e30, Infinity, -Infinity];
      expect(Array.from(F.gelu(tensor(ends)).data(), Number)).toEqual([-0, -0, 20, Math.fround(1e30), Infinity, NaN]);
      const ends64 = Array.from(F.gelu(tensor(ends, { dtype: 'float64' })).data(), Number);
      expect(Math.abs(ends64[0]! / -5.507248237212467e-88 - 1)).toBeLessThan(1e-12);
      expect(ends64.slice(1)).toEqual([-0, 20, 1e30, Infinity, NaN]);
    }));

  it('gelu backward runs one fused kernel (nn.grad.gelu) accurate in the tail; createGraph keeps ops', () =>
    tidy(() => {
      // mpmath's Phi(x) + x phi(x); PyTorch 1.13's float32 gives -2.98e-8 at -6 and 0 below
      const want: [number, number][] = [
        [-3, -0.01194564720418392700016],
        [-6, -3.546870945390201478128e-8],
        [-10, -7.618400096464814085679e-22],
        [-13, -1.033730444011335615024e-36],
        [0.5, 0.867495124656162842525],
        [3, 1.011945647204183927],
      ];
      for (const dtype of ['float32', 'float64'] as const) {
        const x = tensor(
          want.map(([v]) => v),
          { dtype },
        ).requiresGrad_();
        const g = tk.onesLike(x);
        F.gelu(x).backward(g);
        const got = Array.from(x.grad!.data(), Number);
        expect(got).toEqual(Array.from(nn.grad.gelu(g, x.detach()).data(), Number));
        want.forEach(([v, w], i) => {
          const tol = dtype === 'float32' ? 4 * 2 ** -23 : 1e-13;
          expect(Math.abs(got[i]! / w - 1), `${dtype} at ${v}`).toBeLessThan(tol);
        });
        // +-inf: NaN, as PyTorch's (x phi(x) is inf * 0 there); -20: 0 to float32's range
        const ends = nn.grad.gelu(tensor([1, 1, 1, 2], { dtype }), tensor([Infinity, -Infinity, -20, 40], { dtype }));
        const e = Array.from(ends.data(), Number);
        expect(e.slice(0, 2)).toEqual([NaN, NaN]);
        expect(e[3]).toBe(2);
        if (dtype === 'float32') expect(e[2]).toBe(-0);
        else expect(Math.abs(e[2]! / -1.1014360483133464e-86 - 1)).toBeLessThan(1e-12); // mpmath; PyTorch -1.1042e-86
      }
      // recorded (createGraph): the differentiable form, so the second derivative exists
      const x = tensor([-1, 0.3, 2], { dtype: 'float64' }).requiresGrad_();
      const [d1] = tk.autograd.grad([F.gelu(x).sum()], [x], { createGraph: true });
      const [d2] = tk.autograd.grad([d1!.sum()], [x]);
      // d2 = phi(x) (2 - x^2)
      const phi = (v: number) => Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
      Array.from(d2!.data(), Number).forEach((v, i) => {
        const xv = [-1, 0.3, 2][i]!;
        expect(v).toBeCloseTo(phi(xv) * (2 - xv * xv), 12);
      });
    }));

  it('silu is one native op, accurate into the subnormal tail, with a fused backward (nn.grad.silu)', () =>
    tidy(() => {
      // mpmath's x sigmoid(x) and its derivative; PyTorch 1.13's float32 gives -0 at -90 and -105
      const want: [number, number, number][] = [
        [-3, -0.1422776195327003426365, -0.08810410601516961706923],
        [-20, -4.122307236380407162862e-8, -3.916191866064678329162e-8],
        [-90, -7.374611361591463887325e-38, -7.292671235351558733021e-38],
        [2.5, 2.310354549946891122017, 1.099401111341526841138],
      ];
      for (const dtype of ['float32', 'float64'] as const) {
        const x = tensor(
          want.map(([v]) => v),
          { dtype },
        ).requiresGrad_();
        const y = F.silu(x);
        const g = tk.onesLike(x);
        y.backward(g);
        const got = Array.from(y.data(), Number);
        const dx = Array.from(x.grad!.data(), Number);
        expect(dx).toEqual(Array.from(nn.grad.silu(g, x.detach()).data(), Number));
        const tol = dtype === 'float32' ? 4 * 2 ** -23 : 1e-13;
        want.forEach(([v, w, d], i) => {
          expect(Math.abs(got[i]! / w - 1), `${dtype} silu(${v})`).toBeLessThan(tol);
          expect(Math.abs(dx[i]! / d - 1), `${dtype} silu'(${v})`).toBeLessThan(tol);
        });
        // -inf: NaN, as PyTorch's (-inf * 0); the backward NaN at +-inf too (1 + inf * 0)
        const ends = tensor([Infinity, -Infinity, -120], { dtype });
        expect(Array.from(F.silu(ends).data(), Number).slice(0, 2)).toEqual([Infinity, NaN]);
        expect(Array.from(nn.grad.silu(tk.onesLike(ends), ends).data(), Number).slice(0, 2)).toEqual([NaN, NaN]);
      }
      // float32's subnormal tail rounds once: silu(-105) = -2.6319e-44, 18.8 units of 2^-149
      const sub = F.silu(tensor([-105])).item() as number;
      expect(Math.abs(sub - -2.631895849694950831758e-44)).toBeLessThanOrEqual(2 ** -149);
      expect(F.silu(tensor([-120])).item()).toBe(-0);
      // recorded (createGraph): differentiable ops, so d2 = s (1 - s) (2 + x (1 - 2 s)) exists
      const x = tensor([-0.5], { dtype: 'float64' }).requiresGrad_();
      const [d1] = tk.autograd.grad([F.silu(x).sum()], [x], { createGraph: true });
      const [d2] = tk.autograd.grad([d1!.sum()], [x]);
      expect(d2!.item()).toBeCloseTo(0.4412290269770286078589, 12);
    }));

  it("gelu's tanh approximation is PyTorch's, in F.gelu and nn.GELU", () =>
    tidy(() => {
      // torch.nn.functional.gelu(x, approximate='tanh') in float64, and its gradient
      const xs = [-3, -1, -0.1, 0.5, 2, 6];
      const want = [
        -0.0036373920817729943, -0.15880800939172324, -0.04601724895456484, 0.34571400982514394, 1.954597694087775,
        5.9999999999156035,
      ];
      const wantGrad = [
        -0.011584166630969648, -0.08296408384578252, 0.4204782107282433, 0.8673699035346424, 1.0860992566236183,
        1.0000000007709977,
      ];
      const x = tensor(xs, { dtype: 'float64' }).requiresGrad_();
      const y = F.gelu(x, { approximate: 'tanh' });
      y.backward(tk.onesLike(y));
      Array.from(y.data(), Number).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 14));
      Array.from(x.grad!.data(), Number).forEach((v, i) => expect(v).toBeCloseTo(wantGrad[i]!, 14));
      expect(
        gradcheck((a) => F.gelu(a, { approximate: 'tanh' }), [tk.randn([3, 4], { dtype: 'float64' }).requiresGrad_()]),
      ).toBe(true);
      // float32 (1 + tanh cancels below 0, as in PyTorch's float32), the module, integers as float32
      const x32 = tensor(xs);
      const y32 = Array.from(F.gelu(x32, { approximate: 'tanh' }).data(), Number);
      y32.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-6 * Math.max(1, Math.abs(want[i]!))));
      expect(Array.from(new nn.GELU({ approximate: 'tanh' }).call(x32).data(), Number)).toEqual(y32);
      expect(Array.from(new nn.GELU().call(x32).data(), Number)).toEqual(Array.from(x32.gelu().data(), Number));
      const ints = F.gelu(tensor([-1, 2], { dtype: 'int32' }), { approximate: 'tanh' });
      expect(ints.dtype).toBe('float32');
      expect(Array.from(ints.data(), Number)).toEqual([y32[1], y32[4]]);
      // a bad value names the option and its choices
      expect(() => F.gelu(x32, { approximate: 'erf' as never })).toThrow(
        /gelu: 'approximate' must be one of 'none', 'tanh', got .*erf/,
      );
      expect(() => new nn.GELU({ approximate: 'fast' as never })).toThrow(/GELU: 'approximate' must be one of/);
    }));
});
