// nn.utils.weightNorm / spectralNorm (src/nn/reparam.ts) against PyTorch 1.13's weight_norm and
// spectral_norm (test/fixtures/torch-reparam.json, written by scripts/fixtures/torch_reparam.py):
// registered parameters and buffers, outputs, gradients, the power iteration's u and v in training
// and eval; then removal, state dicts, optimizers, errors and memory.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { memory, nn, type Tensor } from '../src/index.js';
import { expectTensorError, settleGarbage } from './helpers/harness.js';
import { closeToTorch, f64, type Nested } from './helpers/torch-rows.js';

interface Step {
  training: boolean;
  out: Nested;
  u: Nested;
  v: Nested;
  grad_orig: Nested;
}
interface Case {
  kind: 'weight_norm' | 'spectral_norm';
  layer: 'linear' | 'conv';
  dim?: number | null;
  iters?: number;
  weight: Nested;
  bias: Nested;
  x: Nested;
  keys: string[];
  g?: Nested;
  v?: Nested;
  out?: Nested;
  grad_g?: Nested;
  grad_v?: Nested;
  u0?: Nested;
  v0?: Nested;
  steps?: Step[];
}
const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-reparam.json', import.meta.url), 'utf8')) as {
  torch: string;
  cases: Case[];
};
type Layer = nn.Linear | nn.Conv2d;
type Fields = Record<string, Tensor>;

function layerOf(c: Case): Layer {
  const m = c.layer === 'linear' ? new nn.Linear(5, 4) : new nn.Conv2d(2, 3, 3);
  m.to('float64');
  tk.noGrad(() => {
    m.weight.copy_(f64(c.weight));
    m.bias!.copy_(f64(c.bias));
  });
  return m;
}
const cosWeights = (out: Tensor) =>
  tk.arange(0, out.numel(), 1, { dtype: 'float64' }).mul(0.7).cos().reshape(out.shape);
const keysOf = (m: nn.Module) => {
  const sd = m.stateDict();
  const keys = Object.keys(sd).sort();
  Object.values(sd).forEach((t) => t.dispose());
  return keys;
};

describe(`weightNorm and spectralNorm against PyTorch ${FIX.torch}`, () => {
  for (const c of FIX.cases.filter((k) => k.kind === 'weight_norm'))
    it(`weightNorm ${c.layer} dim ${c.dim}`, () => {
      tk.tidy(() => {
        const m = nn.utils.weightNorm(layerOf(c), { dim: c.dim ?? null });
        const f = m as unknown as Fields;
        expect(keysOf(m)).toEqual([...c.keys].sort());
        closeToTorch(f.weight_g, c.g!, 'g');
        closeToTorch(f.weight_v, c.v!, 'v');
        closeToTorch(m.weight, c.weight, 'the weight is unchanged');
        const out = m.call(f64(c.x));
        closeToTorch(out, c.out!, 'out');
        out.mul(cosWeights(out)).sum().backward();
        closeToTorch(f.weight_g.grad!, c.grad_g!, 'd/d g');
        closeToTorch(f.weight_v.grad!, c.grad_v!, 'd/d v');
      });
    });

  for (const c of FIX.cases.filter((k) => k.kind === 'spectral_norm'))
    it(`spectralNorm ${c.layer}, ${c.iters} iterations: training steps, then eval`, () => {
      tk.tidy(() => {
        const m = nn.utils.spectralNorm(layerOf(c), { nPowerIterations: c.iters });
        const f = m as unknown as Fields;
        expect(keysOf(m)).toEqual([...c.keys].sort());
        // start from PyTorch's random u and v
        tk.noGrad(() => {
          f.weight_u.copy_(f64(c.u0!));
          f.weight_v.copy_(f64(c.v0!));
        });
        for (const [i, s] of c.steps!.entries()) {
          m.train(s.training);
          f.weight_orig.grad = null;
          const out = m.call(f64(c.x));
          closeToTorch(out, s.out, `step ${i} out`);
          closeToTorch(f.weight_u, s.u, `step ${i} u`);
          closeToTorch(f.weight_v, s.v, `step ${i} v`);
          out.mul(cosWeights(out)).sum().backward();
          closeToTorch(f.weight_orig.grad!, s.grad_orig, `step ${i} d/d weight_orig`);
        }
      });
    });
});

describe('weightNorm and spectralNorm', () => {
  it('remove* restores a parameter holding the current weight; the state dict names follow', () => {
    tk.tidy(() => {
      const fc = nn.utils.weightNorm(new nn.Linear(3, 2));
      const f = fc as unknown as Fields;
      tk.noGrad(() => f.weight_g.mul_(2));
      const w = fc.weight.clone();
      nn.utils.removeWeightNorm(fc);
      expect(keysOf(fc)).toEqual(['bias', 'weight']);
      expect(fc.weight.sub(w).abs().max().item()).toBe(0);
      expect(nn.isParameter(fc.weight)).toBe(true);
      expect(fc.parameters()).toHaveLength(2);

      const sn = nn.utils.spectralNorm(new nn.Linear(6, 5), { nPowerIterations: 20 });
      sn.call(tk.randn([1, 6])); // training: the iteration converges on sigma
      const normed = sn.weight.clone();
      expect(tk.linalg.matrixNorm(normed, 2).item()).toBeCloseTo(1, 4);
      nn.utils.removeSpectralNorm(sn);
      expect(keysOf(sn)).toEqual(['bias', 'weight']);
      expect(sn.buffers()).toHaveLength(0);
      expect(sn.weight.sub(normed).abs().max().item()).toBe(0);
      // and again: a module can be reparametrized after removal
      nn.utils.spectralNorm(sn);
      expect(keysOf(sn)).toEqual(['bias', 'weight_orig', 'weight_u', 'weight_v']);
    });
  });

  it('trains: an optimizer over the new parameters moves the computed weight', () => {
    tk.tidy(() => {
      tk.manualSeed(3);
      const fc = nn.utils.weightNorm(new nn.Linear(4, 1), { dim: null });
      expect((fc as unknown as Fields).weight_g.shape).toEqual([]);
      const opt = new tk.optim.SGD(fc.parameters(), { lr: 0.1 });
      const x = tk.randn([32, 4]),
        y = x.sum(1, { keepdim: true });
      const lossAt = () => tk.tidy(() => nn.functional.mseLoss(fc.call(x), y).item() as number);
      const first = lossAt();
      for (let i = 0; i < 50; i++)
        tk.tidy(() => {
          opt.zeroGrad();
          nn.functional.mseLoss(fc.call(x), y).backward();
          opt.step();
        });
      expect(lossAt()).toBeLessThan(first / 10);
    });
  });

  it('ConvTranspose layers normalise over dim 1 by default, as PyTorch', () => {
    tk.tidy(() => {
      const ct = nn.utils.spectralNorm(new nn.ConvTranspose2d(3, 5, 2));
      expect((ct as unknown as Fields).weight_u.shape).toEqual([5]);
      expect((ct as unknown as Fields).weight_v.shape).toEqual([12]);
      expect(ct.call(tk.randn([1, 3, 4, 4])).shape).toEqual([1, 5, 5, 5]);
    });
  });

  it('bad input is a TensorError naming the function and the value', () => {
    tk.tidy(() => {
      const fc = new nn.Linear(3, 2);
      expectTensorError(
        () => nn.utils.weightNorm({} as never),
        'INVALID_ARGUMENT',
        /weightNorm: expected an nn.Module/,
      );
      expectTensorError(() => nn.utils.weightNorm(fc, { name: 'kernel' }), 'INVALID_ARGUMENT', /no parameter 'kernel'/);
      expectTensorError(() => nn.utils.weightNorm(fc, { dim: 2 }), 'INVALID_ARGUMENT', /dim 2 is out of range/);
      expectTensorError(() => nn.utils.weightNorm(fc, { dims: 0 } as never), 'INVALID_ARGUMENT', /dims/);
      nn.utils.weightNorm(fc);
      expectTensorError(() => nn.utils.weightNorm(fc), 'INVALID_ARGUMENT', /already has weightNorm/);
      expectTensorError(() => nn.utils.spectralNorm(fc), 'INVALID_ARGUMENT', /already has weightNorm/);
      expectTensorError(
        () => nn.utils.removeSpectralNorm(fc),
        'INVALID_ARGUMENT',
        /spectralNorm of 'weight' not found/,
      );
      const other = new nn.Linear(3, 2);
      expectTensorError(() => nn.utils.removeWeightNorm(other), 'INVALID_ARGUMENT', /weightNorm of 'weight' not found/);
      expectTensorError(
        () => nn.utils.spectralNorm(other, { nPowerIterations: 0 }),
        'INVALID_ARGUMENT',
        /nPowerIterations/,
      );
      expectTensorError(() => nn.utils.spectralNorm(other, { eps: 0 }), 'INVALID_ARGUMENT', /eps must be positive/);
    });
  });

  it('leaves nothing behind', () => {
    settleGarbage();
    const before = memory();
    const wn = nn.utils.weightNorm(new nn.Linear(8, 4));
    const sn = nn.utils.spectralNorm(new nn.Conv2d(2, 3, 3));
    for (let i = 0; i < 50; i++)
      tk.tidy(() => {
        wn.call(tk.randn([2, 8]))
          .sum()
          .backward();
        sn.call(tk.randn([1, 2, 5, 5]))
          .sum()
          .backward();
      });
    nn.utils.removeWeightNorm(wn);
    nn.utils.removeSpectralNorm(sn);
    for (const p of [...wn.parameters(), ...sn.parameters()]) {
      p.grad = null;
      p.dispose();
    }
    settleGarbage();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});
