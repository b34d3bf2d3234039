// F.multiHeadAttentionForward and nn.MultiheadAttention against PyTorch 1.13
// (test/fixtures/torch-mha.json, written by scripts/fixtures/torch_mha.py): self- and
// cross-attention, float and bool masks with key padding, bias_k/bias_v and add_zero_attn,
// separate projections (kdim, vdim), unbatched inputs, the fused path without weights, per-head
// weights; outputs, weights and gradients; the module with kdim/vdim/addBiasKv/addZeroAttn loaded
// from torch's state dict; and the checks.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { nn } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';
import { closeToTorch as close, f64, type Nested } from './helpers/torch-rows.js';

interface Case {
  out: Nested;
  weights: Nested | null;
  gq: Nested;
  grads: Record<string, Nested>;
  extra: {
    attnMask?: string;
    keyPaddingMask?: string;
    averageAttnWeights?: boolean;
    biasKv?: boolean;
    addZeroAttn?: boolean;
    separate?: boolean;
  };
}
const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-mha.json', import.meta.url), 'utf8')) as {
  E: number;
  H: number;
  params: Record<string, Nested>;
  inputs: Record<string, Nested>;
  cases: Record<string, Case>;
  module: { state: Record<string, Nested>; out: Nested; weights: Nested };
};
const F = nn.functional;
const bool = (v: Nested) => f64(v).ne(0);
const INPUTS: Record<string, [string, string, string]> = {
  self: ['x', 'x', 'x'],
  crossMasks: ['x', 'kv', 'kv'],
  biasZero: ['x', 'kv', 'kv'],
  separate: ['x', 'k3', 'v4'],
  unbatched: ['xu', 'xu', 'xu'],
  noWeights: ['x', 'kv', 'kv'],
};

describe('F.multiHeadAttentionForward against PyTorch 1.13', () => {
  for (const [name, [qn, kn, vn]] of Object.entries(INPUTS))
    it(`${name}: output, weights, and the gradients of the query and the weights`, () =>
      tk.tidy(() => {
        const c = FIX.cases[name];
        const e = c.extra;
        const ps = Object.fromEntries(Object.entries(FIX.params).map(([k, v]) => [k, f64(v).requiresGrad_()]));
        const q = f64(FIX.inputs[qn]).requiresGrad_();
        const k = kn === qn ? q : f64(FIX.inputs[kn]);
        const v = vn === kn ? k : f64(FIX.inputs[vn]);
        const mask =
          e.attnMask === 'bmask3'
            ? bool(FIX.inputs.bmask3).narrow(2, 0, 5)
            : e.attnMask
              ? f64(FIX.inputs[e.attnMask])
              : null;
        const [out, w] = F.multiHeadAttentionForward(
          q,
          k,
          v,
          FIX.E,
          FIX.H,
          e.separate ? null : ps.inW,
          ps.inB,
          e.biasKv ? ps.biasK : null,
          e.biasKv ? ps.biasV : null,
          e.addZeroAttn ?? false,
          0,
          ps.outW,
          ps.outB,
          {
            training: false,
            needWeights: c.weights !== null,
            attnMask: mask,
            keyPaddingMask: e.keyPaddingMask ? bool(FIX.inputs.kpm) : null,
            averageAttnWeights: e.averageAttnWeights,
            useSeparateProjWeight: e.separate,
            qProjWeight: e.separate ? ps.qW : null,
            kProjWeight: e.separate ? ps.kW : null,
            vProjWeight: e.separate ? ps.vW : null,
          },
        );
        close(out, c.out, `${name} output`, 1e-12);
        if (c.weights === null) expect(w).toBeNull();
        else close(w!, c.weights, `${name} weights`, 1e-12);
        out
          .mul(tk.linspace(0.5, 1.5, out.numel(), { dtype: 'float64' }).reshape(out.shape))
          .sum()
          .backward();
        close(q.grad!, c.gq, `${name} d/d query`, 1e-11);
        for (const [p, g] of Object.entries(c.grads)) close(ps[p].grad!, g, `${name} d/d ${p}`, 1e-11);
      }));
});

describe('nn.MultiheadAttention', () => {
  it("kdim, vdim, addBiasKv, addZeroAttn, batchFirst: torch's state dict names and outputs", () =>
    tk.tidy(() => {
      const m = new nn.MultiheadAttention(FIX.E, FIX.H, {
        kdim: 3,
        vdim: 4,
        addBiasKv: true,
        addZeroAttn: true,
        batchFirst: true,
      });
      expect(Object.keys(m.stateDict()).sort()).toEqual(Object.keys(FIX.module.state).sort());
      m.loadStateDict(Object.fromEntries(Object.entries(FIX.module.state).map(([k, v]) => [k, f64(v)])));
      m.eval();
      // the module's parameters are float32 (loadStateDict keeps their dtype)
      const in32 = (n: string) => f64(FIX.inputs[n]).to('float32').transpose(0, 1);
      const [y, w] = m.call(in32('x'), in32('k3'), in32('v4'), { keyPaddingMask: bool(FIX.inputs.kpm) });
      close(y, FIX.module.out, 'module output', 1e-5);
      close(w!, FIX.module.weights, 'module weights', 1e-5);
    }));

  it('the fused path (no weights) equals the explicit one, with causal and padding masks', () =>
    tk.tidy(() => {
      tk.manualSeed(2);
      const m = new nn.MultiheadAttention(8, 2, { batchFirst: true });
      const x = tk.randn([2, 5, 8]);
      const keyPaddingMask = tk.tensor([
        [false, false, true, false, false],
        [false, false, false, false, true], // no query left with every key masked (that row is NaN, as torch's)
      ]);
      for (const o of [{}, { isCausal: true }, { keyPaddingMask }, { keyPaddingMask, isCausal: true }]) {
        const [a] = m.call(x, x, x, { ...o, needWeights: false });
        const [b] = m.call(x, x, x, { ...o, needWeights: true });
        expect(a.sub(b).abs().max().item()).toBeLessThan(1e-5);
      }
    }));

  it('checks', () => {
    const m = new nn.MultiheadAttention(6, 2, { kdim: 3 });
    expectTensorError(
      () => m.call(tk.zeros([4, 1, 6]), tk.zeros([5, 1, 6]), tk.zeros([5, 1, 6])),
      'SHAPE_MISMATCH',
      /key ending in 3/,
    );
    // a self-attention call on zeros of width 6, with the given query, heads, biasK and options
    const call = (
      q: tk.Tensor,
      heads: number,
      biasK: tk.Tensor | null = null,
      o: nn.functional.MhaForwardOptions = {},
    ) => {
      const kv = tk.zeros([4, 1, 6]);
      const w = tk.zeros([18, 6]);
      return F.multiHeadAttentionForward(
        q,
        kv,
        kv,
        6,
        heads,
        w,
        null,
        biasK,
        null,
        false,
        0,
        tk.zeros([6, 6]),
        null,
        o,
      );
    };
    const q = tk.zeros([4, 1, 6]);
    expectTensorError(() => call(q, 4), 'INVALID_ARGUMENT', /not divisible by numHeads 4/);
    expectTensorError(
      () => call(q, 2, null, { attnMask: tk.zeros([3, 4]) }),
      'SHAPE_MISMATCH',
      /2-D attnMask is \[3, 4\], but should be \[4, 4\]/,
    );
    expectTensorError(() => call(q, 2, tk.zeros([1, 1, 6])), 'INVALID_ARGUMENT', /both biasK and biasV/);
    expectTensorError(() => call(tk.zeros([4, 6]), 2), 'SHAPE_MISMATCH', /all be 3-D/);
  });
});
