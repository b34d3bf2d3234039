// Rprop and ASGD (and maximize, on Adam, SGD and Rprop) against PyTorch 1.13's iterates (test/fixtures/torch-optim-more.json, written by
// scripts/fixtures/torch_optim_more.py): 30 steps on a fixed float64 objective, every iterate
// within 1e-10, and ASGD's averaged iterate; then their argument checks and state dicts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { optim, type Tensor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';

const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-optim-more.json', import.meta.url), 'utf8')) as {
  c: number[];
  s: number[];
  runs: Record<string, { w: number[][]; ax?: number[] }>;
};
const o64 = { dtype: 'float64' } as const;
const c = tk.tensor(FIX.c, o64),
  s = tk.tensor(FIX.s, o64);
const f = (w: Tensor) => w.sub(c).square().mul(s).sum().add(w.pow(4).sum().mul(0.1)).add(w.mul(3).sin().sum());

const MAKE: Record<string, (p: Tensor[]) => optim.Optimizer<{ lr: number }>> = {
  Rprop: (p) => new optim.Rprop(p),
  RpropTuned: (p) => new optim.Rprop(p, { lr: 0.05, etas: [0.3, 1.5], stepSizes: [1e-3, 0.2] }),
  ASGD: (p) => new optim.ASGD(p, { lr: 0.05 }),
  ASGDAveraging: (p) => new optim.ASGD(p, { lr: 0.05, lambd: 1e-2, alpha: 0.6, t0: 10, weightDecay: 0.05 }),
  AdamMaximize: (p) => new optim.Adam(p, { lr: 0.05, maximize: true }),
  SGDMaximize: (p) => new optim.SGD(p, { lr: 0.01, momentum: 0.9, nesterov: true, maximize: true }),
  RpropMaximize: (p) => new optim.Rprop(p, { maximize: true }),
};

describe('against PyTorch 1.13', () => {
  for (const [name, make] of Object.entries(MAKE))
    it(`${name}: 30 iterates`, () =>
      tk.tidy(() => {
        const w = tk.zeros([6], { ...o64, requiresGrad: true });
        const opt = make([w]);
        const run = FIX.runs[name];
        run.w.forEach((want, step) => {
          opt.zeroGrad();
          tk.tidy(() => (name.endsWith('Maximize') ? f(w).neg() : f(w)).backward());
          opt.step();
          (w.toArray() as number[]).forEach((v, i) => {
            if (Math.abs(v - want[i]) > 1e-10 * (1 + Math.abs(want[i])))
              expect.fail(`${name} step ${step + 1} w[${i}]: ${v} vs PyTorch ${want[i]}`);
          });
        });
        if (run.ax) {
          const ax = (opt.stateDict().state as Record<number, { ax: Tensor }>)[0].ax.toArray() as number[];
          ax.forEach((v, i) => expect(Math.abs(v - run.ax![i])).toBeLessThan(1e-10 * (1 + Math.abs(run.ax![i]))));
        }
        opt.disposeState();
      }));
});

describe('checks and state', () => {
  it('refuses bad options by name', () => {
    const p = () => [tk.zeros([2], { requiresGrad: true })];
    expectTensorError(() => new optim.Rprop(p(), { etas: [1.5, 1.2] }), 'INVALID_ARGUMENT', /Rprop: etas must be/);
    expectTensorError(() => new optim.Rprop(p(), { etas: null as never }), 'INVALID_ARGUMENT', /Rprop: etas must be/);
    expectTensorError(() => new optim.Rprop(p(), { stepSizes: [1, 0.5] }), 'INVALID_ARGUMENT', /stepSizes must be/);
    expectTensorError(() => new optim.ASGD(p(), { t0: -1 }), 'INVALID_ARGUMENT', /ASGD/);
    expectTensorError(() => new optim.ASGD(p(), { lr: -0.1 }), 'INVALID_ARGUMENT', /ASGD/);
  });

  it('a state dict resumes the run exactly', () =>
    tk.tidy(() => {
      for (const make of [MAKE.RpropTuned, MAKE.ASGDAveraging]) {
        const a = tk.zeros([6], { ...o64, requiresGrad: true });
        const oa = make([a]);
        const stepIt = (w: Tensor, o: optim.Optimizer<{ lr: number }>) => {
          o.zeroGrad();
          tk.tidy(() => f(w).backward());
          o.step();
        };
        for (let i = 0; i < 12; i++) stepIt(a, oa);
        const b = a.detach().clone().requiresGrad_();
        const ob = make([b]);
        ob.loadStateDict(oa.stateDict());
        for (let i = 0; i < 5; i++) {
          stepIt(a, oa);
          stepIt(b, ob);
        }
        expect(b.toArray()).toEqual(a.toArray());
        oa.disposeState();
        ob.disposeState();
      }
    }));
});
