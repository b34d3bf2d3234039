// The learning-rate schedulers against PyTorch 1.13's lr (and momentum) sequences
// (test/fixtures/torch-lr-scheduler.json, written by scripts/fixtures/torch_lr_scheduler.py):
// each alone, chained (ChainedScheduler, or stepped side by side), and in sequence (SequentialLR),
// on an SGD of two groups (lr 1 and 0.5, momentum 0.9); then state dicts and argument checks.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { optim } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';

const S = optim.lrScheduler;
type Seq = { lr: number[][]; momentum: number[][] };
const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-lr-scheduler.json', import.meta.url), 'utf8')) as {
  cases: Record<string, Seq>;
};
const sgd = () =>
  new optim.SGD(
    [{ params: [tk.zeros([1], { requiresGrad: true })] }, { params: [tk.zeros([1], { requiresGrad: true })], lr: 0.5 }],
    { lr: 1, momentum: 0.9 },
  );
type Opt = ReturnType<typeof sgd>;
type Steppable = { step(epoch?: number): void };

function run(make: (o: Opt) => Steppable, steps: number, step?: (s: Steppable, i: number) => void): Seq {
  const o = sgd();
  const s = make(o);
  const snap = (k: 'lr' | 'momentum') => o.paramGroups.map((g) => g[k] as number);
  const out: Seq = { lr: [snap('lr')], momentum: [snap('momentum')] };
  for (let i = 0; i < steps; i++) {
    if (step) step(s, i);
    else s.step();
    out.lr.push(snap('lr'));
    out.momentum.push(snap('momentum'));
  }
  return out;
}

const CASES: Record<string, [(o: Opt) => Steppable, number, ((s: Steppable, i: number) => void)?]> = {
  StepLR: [(o) => new S.StepLR(o, { stepSize: 3, gamma: 0.5 }), 10],
  MultiStepLR: [(o) => new S.MultiStepLR(o, { milestones: [2, 5, 5], gamma: 0.5 }), 8],
  ExponentialLR: [(o) => new S.ExponentialLR(o, { gamma: 0.9 }), 6],
  CosineAnnealingLR: [(o) => new S.CosineAnnealingLR(o, { TMax: 4, etaMin: 0.05 }), 14],
  LinearLR: [(o) => new S.LinearLR(o, { startFactor: 0.25, endFactor: 0.9, totalIters: 4 }), 7],
  LambdaLR: [(o) => new S.LambdaLR(o, { lrLambda: (e) => 0.9 ** e + 0.01 * e }), 6],
  LambdaLRPerGroup: [(o) => new S.LambdaLR(o, { lrLambda: [(e) => 1 / (e + 1), (e) => 0.5 ** e] }), 5],
  MultiplicativeLR: [(o) => new S.MultiplicativeLR(o, { lrLambda: (e) => (e % 2 ? 0.8 : 1.1) }), 6],
  ConstantLR: [(o) => new S.ConstantLR(o, { factor: 0.5, totalIters: 3 }), 6],
  PolynomialLR: [(o) => new S.PolynomialLR(o, { totalIters: 5, power: 2 }), 8],
  WarmRestarts: [(o) => new S.CosineAnnealingWarmRestarts(o, { T0: 3, TMult: 2, etaMin: 0.01 }), 16],
  WarmRestartsMult1: [(o) => new S.CosineAnnealingWarmRestarts(o, { T0: 4 }), 10],
  WarmRestartsFractional: [
    (o) => new S.CosineAnnealingWarmRestarts(o, { T0: 2, TMult: 2, etaMin: 0.1 }),
    12,
    (s, i) => (i < 10 ? s.step(i / 4) : s.step()),
  ],
  CyclicTriangular: [(o) => new S.CyclicLR(o, { baseLr: 0.1, maxLr: 1, stepSizeUp: 3 }), 12],
  CyclicTriangular2: [
    (o) =>
      new S.CyclicLR(o, {
        baseLr: [0.1, 0.05],
        maxLr: [1, 0.4],
        stepSizeUp: 2,
        stepSizeDown: 3,
        mode: 'triangular2',
        baseMomentum: 0.7,
        maxMomentum: 0.95,
      }),
    14,
  ],
  CyclicExpRange: [
    (o) =>
      new S.CyclicLR(o, { baseLr: 0.1, maxLr: 1, stepSizeUp: 2, mode: 'exp_range', gamma: 0.9, cycleMomentum: false }),
    10,
  ],
  SequentialWarmupCosine: [
    (o) =>
      new S.SequentialLR(o, {
        schedulers: [new S.LinearLR(o, { startFactor: 0.1, totalIters: 3 }), new S.CosineAnnealingLR(o, { TMax: 6 })],
        milestones: [3],
      }),
    12,
  ],
  SequentialThree: [
    (o) =>
      new S.SequentialLR(o, {
        schedulers: [
          new S.ConstantLR(o, { factor: 0.1, totalIters: 2 }),
          new S.ExponentialLR(o, { gamma: 0.9 }),
          new S.StepLR(o, { stepSize: 2, gamma: 0.5 }),
        ],
        milestones: [2, 5],
      }),
    10,
  ],
  Chained: [
    (o) =>
      new S.ChainedScheduler([
        new S.ConstantLR(o, { factor: 0.5, totalIters: 2 }),
        new S.ExponentialLR(o, { gamma: 0.9 }),
      ]),
    6,
  ],
  ChainedCosine: [
    (o) =>
      new S.ChainedScheduler([
        new S.CosineAnnealingLR(o, { TMax: 3, etaMin: 0.1 }),
        new S.StepLR(o, { stepSize: 2, gamma: 0.5 }),
      ]),
    9,
  ],
  SideBySide: [
    (o) => {
      const a = new S.StepLR(o, { stepSize: 2, gamma: 0.5 });
      const b = new S.LinearLR(o, { startFactor: 0.5, totalIters: 3 });
      return {
        step: () => {
          a.step();
          b.step();
        },
      };
    },
    6,
  ],
};

const near = (a: number[][], e: number[][], label: string) => {
  expect(a.length, label).toBe(e.length);
  a.forEach((row, i) =>
    row.forEach((v, j) => {
      if (Math.abs(v - e[i][j]) > 1e-12 * (1 + Math.abs(e[i][j])))
        expect.fail(`${label} after ${i} steps, group ${j}: ${v} vs PyTorch ${e[i][j]}`);
    }),
  );
};

describe('against PyTorch 1.13', () => {
  it('every case of the fixture is run here', () =>
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(FIX.cases).sort()));
  for (const [name, [make, steps, step]] of Object.entries(CASES))
    it(`${name}: lr and momentum after construction and each step`, () => {
      const got = run(make, steps, step);
      near(got.lr, FIX.cases[name].lr, `${name} lr`);
      near(got.momentum, FIX.cases[name].momentum, `${name} momentum`);
    });
});

describe('state and checks', () => {
  it('SequentialLR and CosineAnnealingWarmRestarts resume from their state dicts mid-run', () => {
    const mk = (o: Opt) =>
      new S.SequentialLR(o, {
        schedulers: [new S.LinearLR(o, { startFactor: 0.1, totalIters: 3 }), new S.CosineAnnealingLR(o, { TMax: 6 })],
        milestones: [3],
      });
    const oa = sgd();
    const a = mk(oa);
    for (let i = 0; i < 5; i++) a.step();
    const ob = sgd();
    const b = mk(ob);
    b.loadStateDict(a.stateDict());
    for (let i = 0; i < 4; i++) {
      a.step();
      b.step();
      expect(b.getLastLr()).toEqual(a.getLastLr());
    }
    const w = new S.CosineAnnealingWarmRestarts(sgd(), { T0: 3, TMult: 2 });
    w.step(4.5);
    const w2 = new S.CosineAnnealingWarmRestarts(sgd(), { T0: 3, TMult: 2 });
    w2.loadStateDict(w.stateDict());
    w.step();
    w2.step();
    expect(w2.getLastLr()).toEqual(w.getLastLr());
    expect([w2.TCur, w2.TI]).toEqual([2.5, 6]);
  });

  it('bad arguments are refused by name', () => {
    const o = sgd();
    expectTensorError(
      () => new S.LambdaLR(o, { lrLambda: 3 as never }),
      'INVALID_ARGUMENT',
      /lrLambda must be a function/,
    );
    expectTensorError(
      () => new S.LambdaLR(o, { lrLambda: [() => 1] }),
      'INVALID_ARGUMENT',
      /one per parameter group \(2\)/,
    );
    expectTensorError(
      () => new S.LambdaLR(o, { lrLambda: () => NaN }),
      'INVALID_ARGUMENT',
      /lrLambda\(0\) must return a finite number, got NaN/,
    );
    expectTensorError(() => new S.ConstantLR(o, { factor: 2 }), 'INVALID_ARGUMENT', /factor must be in \(0, 1\]/);
    expectTensorError(() => new S.PolynomialLR(o, { totalIters: 0 }), 'INVALID_ARGUMENT', /totalIters/);
    expectTensorError(() => new S.CosineAnnealingWarmRestarts(o, { T0: 0 }), 'INVALID_ARGUMENT', /T0/);
    expectTensorError(
      () => new S.CosineAnnealingWarmRestarts(o, { T0: 2 }).step(-1),
      'INVALID_ARGUMENT',
      /expected a non-negative epoch, got -1/,
    );
    expectTensorError(
      () =>
        new S.CyclicLR(new optim.Adagrad([tk.zeros([1], { requiresGrad: true })], { lr: 1 }), {
          baseLr: 0.1,
          maxLr: 1,
        }),
      'INVALID_ARGUMENT',
      /cycleMomentum needs an optimizer with momentum or betas/,
    );
    expectTensorError(
      () => new S.CyclicLR(o, { baseLr: 0.1, maxLr: [1] }),
      'INVALID_ARGUMENT',
      /maxLr must be a number or one per/,
    );
    expectTensorError(
      () => new S.CyclicLR(o, { baseLr: 0.1, maxLr: 1, mode: 'sine' as never }),
      'INVALID_ARGUMENT',
      /mode/,
    );
    const s1 = new S.StepLR(o, { stepSize: 2 });
    expectTensorError(
      () => new S.SequentialLR(o, { schedulers: [s1, new S.StepLR(sgd(), { stepSize: 2 })], milestones: [2] }),
      'INVALID_ARGUMENT',
      /scheduler 1 belongs to another optimizer/,
    );
    expectTensorError(
      () => new S.SequentialLR(o, { schedulers: [s1, new S.StepLR(o, { stepSize: 2 })], milestones: [] }),
      'INVALID_ARGUMENT',
      /milestones must be 1 increasing positive integers/,
    );
    expectTensorError(() => new S.ChainedScheduler([]), 'INVALID_ARGUMENT', /non-empty list of lr schedulers/);
  });
});
