// Optimizers against hand-written references of PyTorch's update rules, over several steps;
// parameter groups, state dicts, gradient clipping, the schedulers' lr sequences, bad input.
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { nn, noGrad, optim, tensor, tidy, type Tensor } from '../src/index.js';
import { opInPlaceN } from '../src/ops/dispatch.js';
import { expectTensorError, prng } from './helpers/harness.js';

const { lrScheduler } = optim;

// ---- references: PyTorch's algorithms element by element, in float64 -------------------------
type Ref = (p: number[], g: number[], s: Record<string, number[] | number>) => void;
const zeros = (n: number) => new Array(n).fill(0);

function sgdRef(o: {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}): Ref {
  return (p, g, s) => {
    p.forEach((_, i) => {
      let d = g[i] + (o.weightDecay ?? 0) * p[i];
      if (o.momentum) {
        const buf = (s.buf ??= zeros(p.length)) as number[];
        buf[i] = s.started ? o.momentum * buf[i] + (1 - (o.dampening ?? 0)) * d : d;
        d = o.nesterov ? d + o.momentum * buf[i] : buf[i];
      }
      p[i] -= o.lr * d;
    });
    s.started = 1;
  };
}

function adamRef(o: {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  decoupled?: boolean;
}): Ref {
  const [b1, b2] = o.betas ?? [0.9, 0.999],
    eps = o.eps ?? 1e-8,
    wd = o.weightDecay ?? 0;
  return (p, g, s) => {
    const t = ((s.t as number) ?? 0) + 1;
    s.t = t;
    const m = (s.m ??= zeros(p.length)) as number[],
      v = (s.v ??= zeros(p.length)) as number[],
      vm = (s.vm ??= zeros(p.length)) as number[];
    p.forEach((_, i) => {
      if (o.decoupled) p[i] *= 1 - o.lr * wd;
      const gi = g[i] + (o.decoupled ? 0 : wd * p[i]);
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      vm[i] = Math.max(vm[i], v[i]);
      const second = o.amsgrad ? vm[i] : v[i];
      p[i] -= ((o.lr / (1 - b1 ** t)) * m[i]) / (Math.sqrt(second) / Math.sqrt(1 - b2 ** t) + eps);
    });
  };
}

function rmspropRef(o: {
  lr: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
}): Ref {
  const a = o.alpha ?? 0.99,
    eps = o.eps ?? 1e-8;
  return (p, g, s) => {
    const sq = (s.sq ??= zeros(p.length)) as number[],
      ga = (s.ga ??= zeros(p.length)) as number[],
      buf = (s.buf ??= zeros(p.length)) as number[];
    p.forEach((_, i) => {
      const gi = g[i] + (o.weightDecay ?? 0) * p[i];
      sq[i] = a * sq[i] + (1 - a) * gi * gi;
      let avg = Math.sqrt(sq[i]) + eps;
      if (o.centered) {
        ga[i] = a * ga[i] + (1 - a) * gi;
        avg = Math.sqrt(sq[i] - ga[i] * ga[i]) + eps;
      }
      if (o.momentum) {
        buf[i] = o.momentum * buf[i] + gi / avg;
        p[i] -= o.lr * buf[i];
      } else p[i] -= (o.lr * gi) / avg;
    });
  };
}

function adagradRef(o: {
  lr: number;
  lrDecay?: number;
  weightDecay?: number;
  eps?: number;
  initialAccumulatorValue?: number;
}): Ref {
  return (p, g, s) => {
    const t = ((s.t as number) ?? 0) + 1;
    s.t = t;
    const sum = (s.sum ??= zeros(p.length).map(() => o.initialAccumulatorValue ?? 0)) as number[];
    const clr = o.lr / (1 + (t - 1) * (o.lrDecay ?? 0));
    p.forEach((_, i) => {
      const gi = g[i] + (o.weightDecay ?? 0) * p[i];
      sum[i] += gi * gi;
      p[i] -= (clr * gi) / (Math.sqrt(sum[i]) + (o.eps ?? 1e-10));
    });
  };
}

type Make = (params: Tensor[]) => optim.Optimizer<{ lr: number }>;
const CASES: [string, Make, Ref][] = [
  ['SGD', (ps) => new optim.SGD(ps, { lr: 0.1 }), sgdRef({ lr: 0.1 })],
  [
    'SGD momentum + dampening + weight decay',
    (ps) => new optim.SGD(ps, { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }),
    sgdRef({ lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }),
  ],
  [
    'SGD Nesterov',
    (ps) => new optim.SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true }),
    sgdRef({ lr: 0.05, momentum: 0.9, nesterov: true }),
  ],
  ['Adam', (ps) => new optim.Adam(ps, { lr: 0.01 }), adamRef({ lr: 0.01 })],
  [
    'Adam weight decay + AMSGrad',
    (ps) => new optim.Adam(ps, { lr: 0.01, weightDecay: 0.1, amsgrad: true, betas: [0.8, 0.9] }),
    adamRef({ lr: 0.01, weightDecay: 0.1, amsgrad: true, betas: [0.8, 0.9] }),
  ],
  [
    'AdamW',
    (ps) => new optim.AdamW(ps, { lr: 0.01, weightDecay: 0.1 }),
    adamRef({ lr: 0.01, weightDecay: 0.1, decoupled: true }),
  ],
  ['RMSprop', (ps) => new optim.RMSprop(ps, { lr: 0.01 }), rmspropRef({ lr: 0.01 })],
  [
    'RMSprop centered + momentum + weight decay',
    (ps) => new optim.RMSprop(ps, { lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.1 }),
    rmspropRef({ lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.1 }),
  ],
  ['Adagrad', (ps) => new optim.Adagrad(ps, { lr: 0.1 }), adagradRef({ lr: 0.1 })],
  [
    'Adagrad lr decay + weight decay',
    (ps) => new optim.Adagrad(ps, { lr: 0.1, lrDecay: 0.1, weightDecay: 0.05 }),
    adagradRef({ lr: 0.1, lrDecay: 0.1, weightDecay: 0.05 }),
  ],
  [
    'Adagrad initialAccumulatorValue',
    (ps) => new optim.Adagrad(ps, { lr: 0.1, initialAccumulatorValue: 0.5 }),
    adagradRef({ lr: 0.1, initialAccumulatorValue: 0.5 }),
  ],
];

describe('optimizer updates match the reference over 5 steps', () => {
  for (const [name, make, ref] of CASES)
    it(name, () =>
      tidy(() => {
        const rnd = prng(42);
        const init = Array.from({ length: 12 }, () => rnd() * 2 - 1);
        const w = tensor(init, { dtype: 'float64', shape: [3, 4], requiresGrad: true });
        const opt = make([w]);
        const p = [...init],
          state = {};
        for (let step = 0; step < 5; step++) {
          const g = Array.from({ length: 12 }, () => rnd() * 2 - 1);
          w.grad = tensor(g, { dtype: 'float64', shape: [3, 4] });
          opt.step();
          ref(p, g, state);
          const got = Array.from(w.data() as Float64Array);
          got.forEach((v, i) => expect(Math.abs(v - p[i])).toBeLessThan(1e-12 * (1 + Math.abs(p[i]))));
        }
        opt.disposeState();
      }),
    );

  it('float32 parameters update in float32', () =>
    tidy(() => {
      const w = tk.ones([5], { requiresGrad: true });
      const opt = new optim.Adam([w], { lr: 0.1 });
      w.grad = tk.ones([5]);
      opt.step();
      expect(w.dtype).toBe('float32');
      expect(Array.from(w.data()).every((v) => Math.abs(v - 0.9) < 1e-6)).toBe(true);
      opt.disposeState();
    }));
});

describe('optimizer behaviour', () => {
  it('trains a small model: loss goes down, parameters stay leaves', () =>
    tidy(() => {
      tk.manualSeed(1);
      const model = new nn.Linear(4, 1);
      const x = tk.randn([32, 4]),
        y = x.matmul(tensor([[1], [-2], [3], [0.5]])).add(0.3);
      const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
      const lossAt = () => tidy(() => model.forward(x).sub(y).pow(2).mean().item() as number);
      const before = lossAt();
      for (let i = 0; i < 100; i++)
        tidy(() => {
          opt.zeroGrad();
          model.forward(x).sub(y).pow(2).mean().backward();
          opt.step();
        });
      expect(lossAt()).toBeLessThan(before * 1e-3);
      expect(model.weight.isLeaf && model.weight.requiresGrad).toBe(true);
      opt.disposeState();
    }));

  it('parameter groups take their own options; parameters without a gradient are skipped', () =>
    tidy(() => {
      const a = tk.ones([2], { requiresGrad: true }),
        b = tk.ones([2], { requiresGrad: true }),
        c = tk.ones([2], { requiresGrad: true });
      const opt = new optim.SGD([{ params: [a] }, { params: [b, c], lr: 0.5 }], { lr: 0.1 });
      a.grad = tk.ones([2]);
      b.grad = tk.ones([2]);
      opt.step();
      expect(a.toArray()).toEqual([0.9, 0.9].map(Math.fround));
      expect(b.toArray()).toEqual([0.5, 0.5]);
      expect(c.toArray()).toEqual([1, 1]);
      expect(opt.state.has(c)).toBe(false);
      opt.zeroGrad();
      expect(a.grad).toBeNull();
      a.grad = tk.ones([2]);
      opt.zeroGrad(false);
      expect(a.grad!.toArray()).toEqual([0, 0]);
    }));

  it('a state dict round trip continues training identically', () =>
    tidy(() => {
      const rnd = prng(7);
      const grads = Array.from({ length: 6 }, () => Array.from({ length: 4 }, () => rnd() - 0.5));
      const w1 = tk.zeros([4], { dtype: 'float64', requiresGrad: true });
      const o1 = new optim.Adam([w1], { lr: 0.1, amsgrad: true });
      for (let i = 0; i < 3; i++) {
        w1.grad = tensor(grads[i], { dtype: 'float64' });
        o1.step();
      }
      const w2 = tensor(w1).requiresGrad_();
      const o2 = new optim.Adam([w2], { lr: 999 });
      o2.loadStateDict(o1.stateDict());
      expect(o2.paramGroups[0].lr).toBe(0.1);
      for (let i = 3; i < 6; i++) {
        w1.grad = tensor(grads[i], { dtype: 'float64' });
        w2.grad = tensor(grads[i], { dtype: 'float64' });
        o1.step();
        o2.step();
      }
      expect(Array.from(w2.data())).toEqual(Array.from(w1.data()));
      expect(o2.state.get(w2)!.step).toBe(6);
      o1.disposeState();
      o2.disposeState();
    }));

  it('clips gradients by global norm and by value', () =>
    tidy(() => {
      const a = tk.zeros([2], { requiresGrad: true }),
        b = tk.zeros([1], { requiresGrad: true });
      a.grad = tensor([3, 0]);
      b.grad = tensor([4]);
      expect(nn.utils.clipGradNorm_([a, b], 1)).toBeCloseTo(5, 5);
      expect((a.grad!.toArray() as number[]).map((v) => +v.toFixed(4))).toEqual([0.6, 0]);
      expect(+(b.grad!.item() as number).toFixed(4)).toBe(0.8);
      a.grad = tensor([3, -9]);
      expect(nn.utils.clipGradNorm_([a], 100, Infinity)).toBe(9);
      nn.utils.clipGradValue_([a], 2);
      expect(a.grad!.toArray()).toEqual([2, -2]);
    }));

  it('optimizer state survives an enclosing tidy()', () => {
    const w = tk.ones([3], { requiresGrad: true });
    const opt = new optim.Adam([w]);
    tidy(() => {
      w.grad = tk.ones([3]);
      opt.step();
    });
    const st = opt.state.get(w)!;
    expect((st.expAvg as Tensor).isDisposed).toBe(false);
    opt.disposeState();
    w.grad = null;
    w.dispose();
  });

  it('10,000 update steps leave live tensors and bytes at baseline', () => {
    const w = tk.randn([64], { requiresGrad: true });
    const opt = new optim.AdamW([w], { lr: 1e-3, amsgrad: true });
    const step = () =>
      tidy(() => {
        w.mul(w).sum().backward();
        opt.step();
        opt.zeroGrad();
      });
    step();
    const base = tk.memory();
    for (let i = 0; i < 10000; i++) step();
    const after = tk.memory();
    expect([after.tensors, after.storages, after.bytes]).toEqual([base.tensors, base.storages, base.bytes]);
    opt.disposeState();
    w.dispose();
  });

  it("LBFGS frees its scalars and the losses of the closure's re-evaluations (steps outside tidy)", () => {
    const w = tk.randn([8], { requiresGrad: true });
    const target = tk.randn([8]);
    const opt = new optim.LBFGS([w], { lr: 0.1, maxIter: 5, historySize: 2 });
    const closure = () => {
      opt.zeroGrad();
      const loss = tidy(() => w.sub(target).pow(2).sum());
      loss.backward();
      return loss;
    };
    const step = () => (opt.step(closure) as Tensor).dispose(); // the first loss is the caller's
    for (let i = 0; i < 5; i++) step(); // the history is full (historySize 2)
    const base = tk.memory();
    for (let i = 0; i < 50; i++) step();
    const after = tk.memory();
    expect([after.tensors, after.storages]).toEqual([base.tensors, base.storages]);
    opt.disposeState();
    w.dispose();
    target.dispose();
  });
});

describe('learning-rate schedulers', () => {
  const sgd = (lr = 1) => new optim.SGD([tk.zeros([1], { requiresGrad: true })], { lr, momentum: 0.9 });
  const run = (s: { step(): void; getLastLr(): number[] }, n: number) => {
    const out = [s.getLastLr()[0]];
    for (let i = 1; i < n; i++) {
      s.step();
      out.push(s.getLastLr()[0]);
    }
    return out.map((v) => +v.toFixed(6));
  };

  it('StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR', () => {
    expect(run(new lrScheduler.StepLR(sgd(), { stepSize: 2, gamma: 0.1 }), 6)).toEqual([1, 1, 0.1, 0.1, 0.01, 0.01]);
    expect(run(new lrScheduler.MultiStepLR(sgd(), { milestones: [2, 5], gamma: 0.5 }), 6)).toEqual([
      1, 1, 0.5, 0.5, 0.5, 0.25,
    ]);
    expect(run(new lrScheduler.ExponentialLR(sgd(), { gamma: 0.5 }), 4)).toEqual([1, 0.5, 0.25, 0.125]);
    expect(run(new lrScheduler.CosineAnnealingLR(sgd(), { TMax: 4, etaMin: 0 }), 5)).toEqual([
      1, 0.853553, 0.5, 0.146447, 0,
    ]);
    expect(run(new lrScheduler.LinearLR(sgd(), { startFactor: 0.5, totalIters: 4 }), 6)).toEqual([
      0.5, 0.625, 0.75, 0.875, 1, 1,
    ]);
  });

  it('OneCycleLR warms up, anneals and cycles momentum the other way', () => {
    const opt = sgd();
    const s = new lrScheduler.OneCycleLR(opt, { maxLr: 1, totalSteps: 10 });
    const lrs = run(s, 10);
    expect(lrs[0]).toBe(0.04);
    expect(lrs[2]).toBe(1); // end of warm-up: 0.3 * 10 - 1
    expect(lrs[9]).toBe(0.000004);
    expect(lrs.slice(2).every((v, i, a) => i === 0 || v <= a[i - 1])).toBe(true);
    expect(opt.paramGroups[0].momentum).toBeCloseTo(0.95, 6);
    s.step(); // step 10 == totalSteps is still allowed (as in PyTorch)
    expectTensorError(() => s.step(), 'INVALID_ARGUMENT', /OneCycleLR: stepped 11 times, more than totalSteps \(10\)/);
  });

  it('ReduceLROnPlateau cuts the lr after patience epochs without improvement', () => {
    const opt = sgd();
    const s = new lrScheduler.ReduceLROnPlateau(opt, { patience: 2, factor: 0.5 });
    for (const m of [1, 0.5, 0.5, 0.5]) s.step(m);
    expect(s.getLastLr()).toEqual([1]);
    s.step(0.5);
    expect(s.getLastLr()).toEqual([0.5]);
    s.step(0.1);
    expect(s.best).toBe(0.1);
  });

  it('state dicts round trip', () => {
    const a = new lrScheduler.StepLR(sgd(), { stepSize: 2 });
    a.step();
    a.step();
    a.step();
    const b = new lrScheduler.StepLR(sgd(), { stepSize: 2 });
    b.loadStateDict(a.stateDict());
    a.step();
    b.step();
    expect(b.getLastLr()).toEqual(a.getLastLr());
    expect(b.lastEpoch).toBe(4);
  });
});

describe('bad input', () => {
  const w = () => tk.zeros([2], { requiresGrad: true });
  const CASES: [string, () => unknown, string, RegExp][] = [
    ['negative lr', () => new optim.SGD([w()], { lr: -1 }), 'INVALID_ARGUMENT', /SGD: invalid lr value: -1/],
    [
      'beta out of range',
      () => new optim.Adam([w()], { betas: [1, 0.999] }),
      'INVALID_ARGUMENT',
      /Adam: invalid beta1 value: 1/,
    ],
    [
      'nesterov without momentum',
      () => new optim.SGD([w()], { lr: 0.1, nesterov: true }),
      'INVALID_ARGUMENT',
      /SGD: Nesterov momentum requires a momentum and zero dampening/,
    ],
    [
      'empty parameter list',
      () => new optim.Adam([]),
      'INVALID_ARGUMENT',
      /Adam: optimizer got an empty parameter list/,
    ],
    [
      'non-leaf parameter',
      () => new optim.SGD([w().mul(2)]),
      'INVALID_ARGUMENT',
      /SGD: can't optimize a non-leaf tensor/,
    ],
    [
      'a parameter in two groups',
      () => {
        const p = w();
        return new optim.SGD([{ params: [w(), p] }, { params: [p] }]);
      },
      'INVALID_ARGUMENT',
      /SGD: params\[0\] of parameter group 1 \(shape \[2\]\) is already params\[1\] of group 0; a tensor may belong to one group only/,
    ],
    [
      'non-contiguous parameter',
      () => {
        const p = tk.zeros([2, 3]).t().requiresGrad_();
        const o = new optim.SGD([p], { lr: 1 });
        p.grad = tk.ones([3, 2]);
        o.step();
      },
      'INVALID_ARGUMENT',
      /sgd_foreach_: the parameter must be contiguous/,
    ],
    [
      'state dict with other groups',
      () => new optim.SGD([w()]).loadStateDict({ state: {}, paramGroups: [] }),
      'INVALID_ARGUMENT',
      /loadStateDict: the state dict has 0 parameter groups, the optimizer 1/,
    ],
    [
      'a fused update outside noGrad',
      () => opInPlaceN('sgd_step_', [0.1], [w()._h, tk.ones([2])._h]),
      'INVALID_ARGUMENT',
      /sgd_step_: a leaf tensor that requires grad is used in an in-place operation/,
    ],
    [
      'a fused update with mismatched state',
      () => noGrad(() => opInPlaceN('sgd_step_', [0.1, 0.9], [tk.zeros([2])._h, tk.ones([2])._h, tk.zeros([3])._h])),
      'SHAPE_MISMATCH',
      /sgd_step_: optimizer state of shape \[3\] does not match the parameter's \[2\]/,
    ],
    [
      'clip with a negative norm',
      () => nn.utils.clipGradNorm_([w()], -1),
      'INVALID_ARGUMENT',
      /clipGradNorm_: maxNorm must be a non-negative number, got -1/,
    ],
    [
      'StepLR without a step size',
      () => new lrScheduler.StepLR(new optim.SGD([w()]), {} as never),
      'INVALID_ARGUMENT',
      /StepLR: 'stepSize' must be a positive integer/,
    ],
    [
      'plateau with a NaN metric',
      () => new lrScheduler.ReduceLROnPlateau(new optim.SGD([w()])).step(NaN),
      'INVALID_ARGUMENT',
      /ReduceLROnPlateau.step: expected a number metric/,
    ],
  ];
  for (const [name, fn, code, msg] of CASES) it(name, () => tidy(() => expectTensorError(fn, code, msg)));
});
