// optim.swaUtils and nn.utils.deepCopy: AveragedModel (running mean, and an EMA with buffers),
// updateBn, SWALR and BatchNorm's momentum null against PyTorch 1.13 (test/fixtures/torch-swa.json,
// written by scripts/fixtures/torch_swa.py); deepCopy's independence and tied weights.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { nn, optim, type Tensor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';
import { closeToTorch as close, f64, type Nested } from './helpers/torch-rows.js';

type SD = Record<string, Nested>;
const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-swa.json', import.meta.url), 'utf8')) as {
  init: SD;
  xs: Nested[];
  swa: SD;
  ema: SD;
  updateBn: SD;
  evalOut: Nested;
  cumulative: { mean: Nested; var: Nested };
  swalr: Record<string, number[][]>;
};
const ours = (k: string) =>
  k.replace('running_mean', 'runningMean').replace('running_var', 'runningVar').replace('n_averaged', 'nAveraged');
const model = () => {
  const m = new nn.Sequential(
    new nn.Linear(3, 4, { dtype: 'float64' }),
    new nn.BatchNorm1d(4, { dtype: 'float64' }),
    new nn.ReLU(),
    new nn.Linear(4, 2, { dtype: 'float64' }),
  );
  m.loadStateDict(Object.fromEntries(Object.entries(FIX.init).map(([k, v]) => [k, f64(v)])));
  return m;
};
// the fixture's k-th weights: each parameter and running statistic shifted by a fixed pattern
function perturb(m: nn.Module, k: number): void {
  tk.noGrad(() => {
    const ts = [
      ...m.parameters(),
      ...m
        .namedBuffers()
        .filter(([n]) => n.includes('running'))
        .map(([, t]) => t),
    ];
    for (const t of ts)
      t.add_(
        tk
          .arange(t.numel(), { dtype: 'float64' })
          .add(k)
          .sin()
          .mul(0.1 * (k + 1))
          .reshape(t.shape),
      );
  });
}
const checkSd = (m: nn.Module, want: SD, label: string) => {
  const got = m.stateDict();
  for (const [k, v] of Object.entries(want)) close(got[ours(k)], v, `${label} ${k}`, 1e-12);
};

describe('against PyTorch 1.13', () => {
  it('AveragedModel: the running mean of four sets of weights, and an EMA of weights and buffers', () =>
    tk.tidy(() => {
      const base = model();
      const swa = new optim.swaUtils.AveragedModel(base);
      const ema = new optim.swaUtils.AveragedModel(base, {
        avgFn: (a, p) => a.mul(0.75).add(p.mul(0.25)),
        useBuffers: true,
      });
      for (let k = 0; k < 4; k++) {
        perturb(base, k);
        swa.updateParameters(base);
        ema.updateParameters(base);
      }
      checkSd(swa, FIX.swa, 'swa');
      checkSd(ema, FIX.ema, 'ema');
    }));

  it('updateBn: the batch norm statistics of the averaged weights over a loader; then eval output', async () => {
    const base = model();
    const swa = new optim.swaUtils.AveragedModel(base);
    for (let k = 0; k < 4; k++) {
      perturb(base, k);
      swa.updateParameters(base);
    }
    swa.eval();
    await optim.swaUtils.updateBn(
      FIX.xs.map((x) => [f64(x), tk.zeros([5])]),
      swa,
    );
    expect(swa.training).toBe(false); // put back as it was
    checkSd(swa, FIX.updateBn, 'updateBn');
    close(swa.forward(f64(FIX.xs[0])) as Tensor, FIX.evalOut, 'eval output', 1e-12);
    const bn = swa.module.modules().find((m) => m instanceof nn.BatchNorm1d) as nn.BatchNorm1d;
    expect(bn.options.momentum ?? 0.1).toBe(0.1); // restored
  });

  it('BatchNorm with momentum null keeps the cumulative average', () =>
    tk.tidy(() => {
      const bn = new nn.BatchNorm1d(3, { momentum: null, dtype: 'float64' });
      for (const x of FIX.xs) bn.forward(f64(x));
      close(bn.runningMean!, FIX.cumulative.mean, 'running mean', 1e-12);
      close(bn.runningVar!, FIX.cumulative.var, 'running var', 1e-12);
      expect(bn.numBatchesTracked).toBe(3);
      bn.resetRunningStats();
      expect([bn.runningMean!.sum().item(), bn.runningVar!.sum().item(), bn.numBatchesTracked]).toEqual([0, 3, 0]);
    }));

  it('SWALR: cos and linear annealing to swaLr, and at once with annealEpochs 0', () => {
    const cases: Record<string, optim.swaUtils.SWALROptions> = {
      cos: { swaLr: 0.05, annealEpochs: 3 },
      linear: { swaLr: [0.05, 0.1], annealEpochs: 4, annealStrategy: 'linear' },
      none: { swaLr: 0.05, annealEpochs: 0 },
    };
    for (const [name, o] of Object.entries(cases)) {
      const opt = new optim.SGD(
        [
          { params: [tk.zeros([1], { requiresGrad: true })] },
          { params: [tk.zeros([1], { requiresGrad: true })], lr: 0.4 },
        ],
        { lr: 1 },
      );
      const s = new optim.swaUtils.SWALR(opt, o);
      const lrs = [opt.paramGroups.map((g) => g.lr)];
      for (let i = 0; i < 7; i++) {
        s.step();
        lrs.push(opt.paramGroups.map((g) => g.lr));
      }
      lrs.forEach((row, i) =>
        row.forEach((v, j) => expect(Math.abs(v - FIX.swalr[name][i][j]), `${name} step ${i}`).toBeLessThan(1e-12)),
      );
    }
  });
});

describe('deepCopy', () => {
  it('copies parameters and buffers (still parameters, still tied), shares nothing with the original', () =>
    tk.tidy(() => {
      class Tied extends nn.Module {
        emb = new nn.Embedding(5, 3);
        head = new nn.Linear(3, 5, { bias: false });
        norm = new nn.BatchNorm1d(3);
        extra = { scale: 2, steps: [1, 2] };
        constructor() {
          super();
          this.head.weight = this.emb.weight;
        }
        forward(i: Tensor) {
          return this.head.forward(this.norm.forward(this.emb.forward(i))).mul(this.extra.scale);
        }
      }
      tk.manualSeed(3);
      const a = new Tied();
      const b = nn.utils.deepCopy(a);
      expect(b).toBeInstanceOf(Tied);
      expect(b.parameters().length).toBe(a.parameters().length); // the tie is one parameter
      expect(b.head.weight).toBe(b.emb.weight);
      expect(b.head.weight).not.toBe(a.head.weight);
      expect(nn.isParameter(b.emb.weight) && b.emb.weight.requiresGrad).toBe(true);
      const i = tk.tensor([0, 3, 4], { dtype: 'int64' });
      a.eval();
      b.eval();
      expect(b.forward(i).toArray()).toEqual(a.forward(i).toArray());
      tk.noGrad(() => b.emb.weight.add_(1));
      b.extra.steps.push(3);
      b.train();
      expect(a.training).toBe(false);
      expect(a.extra.steps).toEqual([1, 2]);
      expect(b.forward(i).sub(a.forward(i)).abs().max().item()).toBeGreaterThan(0);
      expectTensorError(() => nn.utils.deepCopy({} as never), 'INVALID_ARGUMENT', /expected an nn.Module/);
    }));

  it("hooks and pruning come along: once each, on the copy's own tensors", () =>
    tk.tidy(() => {
      const fc = new nn.Linear(4, 3);
      let calls = 0;
      fc.registerForwardHook(() => void calls++);
      nn.utils.prune.l1Unstructured(fc, 'weight', 0.5);
      const c = nn.utils.deepCopy(fc);
      const x = tk.randn([2, 4]);
      c.forward(x);
      expect(calls).toBe(1); // the copy's hook ran once (not twice, not zero times)
      const orig = (c as unknown as Record<string, Tensor>).weight_orig;
      tk.noGrad(() => orig.fill_(2));
      c.forward(x); // the copy's pruning hook recomputes its weight from its own weight_orig
      expect(c.weight.sum().item()).toBe(12); // half of the 12 entries kept, each 2
      expect(fc.weight.sum().item()).not.toBe(12);
      nn.utils.prune.remove(c, 'weight');
      expect(nn.utils.prune.isPruned(c)).toBe(false);
      expect(nn.utils.prune.isPruned(fc)).toBe(true);
    }));

  it('argument checks of the SWA utilities', async () => {
    const m = model();
    const swa = new optim.swaUtils.AveragedModel(m);
    expectTensorError(
      () => swa.updateParameters(new nn.Linear(2, 2) as never),
      'SHAPE_MISMATCH',
      /do not match the averaged copy/,
    );
    const bad = new optim.swaUtils.AveragedModel(m, { avgFn: () => 3 as never });
    bad.updateParameters(m);
    expectTensorError(() => bad.updateParameters(m), 'INVALID_ARGUMENT', /avgFn must return a tensor/);
    const opt = new optim.SGD([tk.zeros([1], { requiresGrad: true })], { lr: 1 });
    expectTensorError(() => new optim.swaUtils.SWALR(opt, { swaLr: -1 }), 'INVALID_ARGUMENT', /swaLr/);
    expectTensorError(
      () => new optim.swaUtils.SWALR(opt, { swaLr: 0.1, annealStrategy: 'step' as never }),
      'INVALID_ARGUMENT',
      /annealStrategy/,
    );
    expectTensorError(
      () => new nn.BatchNorm1d(3, { momentum: 2 }),
      'INVALID_ARGUMENT',
      /momentum must be a number in \[0, 1\] or null/,
    );
    await expect(optim.swaUtils.updateBn(3 as never, m)).rejects.toThrow(/loader must be iterable/);
  });
});
