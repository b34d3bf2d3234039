// distributions: logProb (and its gradients in the parameters), entropy, moments, cdf, icdf and
// the closed-form KL divergences against PyTorch 1.13's (the 'distributions' case of
// test/fixtures/torch-port.json, written by scripts/fixtures/torch_port.py); sampling by its
// statistics; rsample's gradients; errors and memory.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { standardGammaGrad } from '../src/distributions/gamma_grad.js';
import { distributions as D, memory, tensor, type Tensor } from '../src/index.js';
import { disposeAll, expectTensorError, settleGarbage } from './helpers/harness.js';
import { closeToTorch as close, f64, type Nested } from './helpers/torch-rows.js';

interface DistRow {
  params: Nested[];
  value: Nested;
  logProb: Nested;
  grads: Nested[];
  entropy?: Nested;
  mean?: Nested;
  variance?: Nested;
  cdf?: Nested;
  icdf?: Nested;
}
const C = (
  JSON.parse(readFileSync(new URL('./fixtures/torch-port.json', import.meta.url), 'utf8')) as {
    cases: { distributions: { dists: Record<string, DistRow>; kl: Record<string, Nested> } };
  }
).cases.distributions;

const MAKE: Record<string, (...ps: Tensor[]) => D.Distribution> = {
  Normal: (l, s) => new D.Normal(l, s),
  Uniform: (lo, hi) => new D.Uniform(lo, hi),
  Exponential: (r) => new D.Exponential(r),
  Laplace: (l, s) => new D.Laplace(l, s),
  BernoulliProbs: (p) => new D.Bernoulli({ probs: p }),
  BernoulliLogits: (l) => new D.Bernoulli({ logits: l }),
  CategoricalLogits: (l) => new D.Categorical({ logits: l }),
  CategoricalProbs: (p) => new D.Categorical({ probs: p }),
  Gamma: (a, r) => new D.Gamma(a, r),
  Beta: (a, b) => new D.Beta(a, b),
  Poisson: (r) => new D.Poisson(r),
  Independent: (l, s) => new D.Independent(new D.Normal(l, s), 1),
};
const INT_VALUES = new Set(['CategoricalLogits', 'CategoricalProbs']);

describe('against PyTorch 1.13', () => {
  for (const [name, make] of Object.entries(MAKE))
    it(`${name}: logProb and its parameter gradients, entropy, moments, cdf, icdf`, () => {
      const row = C.dists[name];
      const ps = row.params.map((p) => f64(p).requiresGrad_());
      const d = make(...ps);
      const value = INT_VALUES.has(name) ? tensor(row.value as number[], { dtype: 'int64' }) : f64(row.value);
      const lp = d.logProb(value);
      close(lp, row.logProb, `${name} logProb`);
      lp.sum().backward();
      ps.forEach((p, i) => close(p.grad!, row.grads[i], `${name} d logProb / d param ${i}`));
      if (row.entropy !== undefined) close(d.entropy(), row.entropy, `${name} entropy`);
      if (row.mean !== undefined) close(d.mean, row.mean, `${name} mean`);
      if (row.variance !== undefined) close(d.variance, row.variance, `${name} variance`);
      if (row.cdf !== undefined) close(d.cdf(f64(row.value)), row.cdf, `${name} cdf`);
      if (row.icdf !== undefined) close(d.icdf(f64([0.2, 0.7, 0.95])), row.icdf, `${name} icdf`);
    });

  it('klDivergence for every closed-form pair', () => {
    const loc = f64([0.5, -1, 2]),
      scl = f64([1.5, 0.3, 2]),
      xv = f64([0.7, -0.2, 3.5]),
      pr = f64([0.2, 0.7, 0.95]);
    const lg = f64([
      [0.3, -1.2, 2, 0.1],
      [1, 1, -0.5, 0],
    ]);
    const kl: Record<string, () => Tensor> = {
      Normal: () => D.klDivergence(new D.Normal(loc, scl), new D.Normal(xv, scl.flip(0))),
      Uniform: () =>
        D.klDivergence(new D.Uniform(loc.sub(1), loc.add(1)), new D.Uniform(loc.sub(2), loc.add(f64([2, 0.5, 3])))),
      Exponential: () => D.klDivergence(new D.Exponential(scl), new D.Exponential(pr)),
      Laplace: () => D.klDivergence(new D.Laplace(loc, scl), new D.Laplace(xv, pr)),
      Bernoulli: () => D.klDivergence(new D.Bernoulli({ probs: pr }), new D.Bernoulli({ logits: loc })),
      Categorical: () => D.klDivergence(new D.Categorical({ logits: lg }), new D.Categorical({ logits: lg.flip(1) })),
      Gamma: () => D.klDivergence(new D.Gamma(scl, pr), new D.Gamma(pr.mul(2), scl)),
      Beta: () => D.klDivergence(new D.Beta(scl, pr), new D.Beta(pr.mul(2), scl)),
      Independent: () =>
        D.klDivergence(new D.Independent(new D.Normal(loc, scl), 1), new D.Independent(new D.Normal(xv, pr), 1)),
    };
    for (const [name, f] of Object.entries(kl)) close(f(), C.kl[name], `KL ${name}`);
  });
});

describe('sampling', () => {
  const stats = (x: Tensor) => [x.mean().item() as number, x.var().item() as number];
  it("draws match each distribution's mean and variance (20,000 draws, 4 standard errors)", () => {
    tk.manualSeed(7);
    const n = 20000;
    const cases: [string, D.Distribution, number, number][] = [
      ['Normal', new D.Normal(1.5, 2), 1.5, 4],
      ['Uniform', new D.Uniform(-1, 3), 1, 16 / 12],
      ['Exponential', new D.Exponential(2), 0.5, 0.25],
      ['Laplace', new D.Laplace(-1, 0.5), -1, 0.5],
      ['Bernoulli', new D.Bernoulli({ probs: tensor(0.3) }), 0.3, 0.21],
      ['Gamma (a >= 1)', new D.Gamma(3, 2), 1.5, 0.75],
      ['Gamma (a < 1)', new D.Gamma(0.4, 1), 0.4, 0.4],
      ['Beta', new D.Beta(2, 5), 2 / 7, 10 / (49 * 8)],
      ['Poisson (small rate)', new D.Poisson(3.5), 3.5, 3.5],
      ['Poisson (large rate)', new D.Poisson(tensor(40, { dtype: 'float64' })), 40, 40],
    ];
    for (const [name, d, mean, variance] of cases) {
      const x = d.sample([n]);
      expect(x.shape, name).toEqual([n]);
      const [m, v] = stats(x);
      expect(Math.abs(m - mean), `${name} mean ${m}`).toBeLessThan(4 * Math.sqrt(variance / n));
      expect(Math.abs(v - variance) / variance, `${name} variance ${v}`).toBeLessThan(0.06);
    }
  });

  it('Poisson draws are integers with the distribution of counts (a chi-square goodness of fit)', () => {
    tk.manualSeed(10);
    for (const rate of [0, 2.5, 25]) {
      const x = new D.Poisson(tensor([rate, rate], { dtype: 'float64' })).sample([4000]);
      expect(x.shape).toEqual([4000, 2]);
      expect(x.sub(x.round()).abs().max().item()).toBe(0);
      if (rate === 0) {
        expect(x.sum().item()).toBe(0);
        continue;
      }
      // counts in bins with at least 5 expected against the Poisson pmf (exp of logProb)
      const flat = x.reshape([-1]);
      const n = flat.numel();
      const top = Math.ceil(rate + 6 * Math.sqrt(rate));
      const observed = flat
        .clamp(0, top)
        .to('int64')
        .bincount({ minlength: top + 1 })
        .toArray() as number[];
      const pmf = new D.Poisson(rate)
        .logProb(tk.arange(top + 1, { dtype: 'float64' }))
        .exp()
        .toArray() as number[];
      let chi2 = 0,
        bins = 0,
        eAcc = 0,
        oAcc = 0;
      for (let k = 0; k <= top; k++) {
        eAcc += pmf[k] * n;
        oAcc += observed[k];
        if (eAcc >= 5 || k === top) {
          chi2 += (oAcc - eAcc) ** 2 / eAcc;
          bins++;
          eAcc = 0;
          oAcc = 0;
        }
      }
      // 99.9th percentile of chi-square with bins - 1 degrees of freedom, roughly: df + 3.1 sqrt(2 df) + 4
      const df = bins - 1;
      expect(chi2, `rate ${rate}: chi2 ${chi2} over ${df} dof`).toBeLessThan(df + 3.1 * Math.sqrt(2 * df) + 4);
    }
  });

  it('Categorical draws follow the probabilities, per batch row, in [...sampleShape, ...batchShape]', () => {
    tk.manualSeed(8);
    const probs = tensor([
      [0.1, 0.6, 0.3],
      [0.5, 0.0, 0.5],
    ]);
    const c = new D.Categorical({ probs });
    const x = c.sample([6000]);
    expect(x.shape).toEqual([6000, 2]);
    expect(x.dtype).toBe('int64');
    const freq = (row: number) =>
      (x.select(1, row).bincount({ minlength: 3 }).to('float32').div(6000).toArray() as number[]).map(
        (v) => +v.toFixed(2),
      );
    const f0 = freq(0),
      f1 = freq(1);
    [0.1, 0.6, 0.3].forEach((p, i) => expect(Math.abs(f0[i] - p)).toBeLessThan(0.03));
    expect(f1[1]).toBe(0);
    expect(Math.abs(f1[0] - 0.5)).toBeLessThan(0.03);
    expect(new D.Categorical({ logits: tk.zeros([4]) }).sample().shape).toEqual([]);
  });

  it('rsample is differentiable in the parameters; sample is not', () => {
    tk.manualSeed(9);
    const loc = tensor([0.5, -1], { dtype: 'float64', requiresGrad: true });
    const scale = tensor([2, 0.5], { dtype: 'float64', requiresGrad: true });
    const d = new D.Normal(loc, scale);
    const x = d.rsample([1000]);
    x.sum().backward();
    expect(loc.grad!.toArray()).toEqual([1000, 1000]); // d x / d loc = 1 per draw
    // d x / d scale = eps = (x - loc) / scale, summed
    const eps = x.detach().sub(loc.detach()).div(scale.detach()).sum(0);
    expect(scale.grad!.sub(eps).abs().max().item()).toBeLessThan(1e-9);
    expect(d.sample([3]).requiresGrad).toBe(false);
    expect(new D.Independent(d, 1).rsample([2]).requiresGrad).toBe(true);
    expectTensorError(
      () => new D.Bernoulli({ probs: tensor(0.5) }).rsample(),
      'NOT_IMPLEMENTED',
      /Bernoulli: rsample is not defined/,
    );
  });
});

describe('shapes, Independent and errors', () => {
  it('batch and event shapes, broadcasting of parameters', () => {
    const d = new D.Normal(tk.zeros([3, 1]), tk.ones([4]));
    expect([d.batchShape, d.eventShape]).toEqual([[3, 4], []]);
    expect(d.sample([2]).shape).toEqual([2, 3, 4]);
    const ind = new D.Independent(d, 1);
    expect([ind.batchShape, ind.eventShape]).toEqual([[3], [4]]);
    expect(ind.logProb(tk.zeros([3, 4])).shape).toEqual([3]);
    expect(new D.Categorical({ logits: tk.zeros([5, 3]) }).batchShape).toEqual([5]);
    // Outside the support: an error naming the value, as PyTorch's validate_args (on by default);
    // with validation off, the density's own value there.
    expectTensorError(
      () => new D.Uniform(0, 1).logProb(2),
      'INVALID_ARGUMENT',
      /Uniform\.logProb: the value must be within the support \(Interval\(lowerBound=0, upperBound=1\)\), got 2/,
    );
    expectTensorError(
      () => new D.Exponential(1).cdf(tensor([1, -1])),
      'INVALID_ARGUMENT',
      /Exponential\.cdf: .*\(GreaterThanEq\(lowerBound=0\)\), got -1/,
    );
    expectTensorError(
      () => new D.Poisson(2).logProb(1.5),
      'INVALID_ARGUMENT',
      /IntegerGreaterThan\(lowerBound=0\)\), got 1.5/,
    );
    expectTensorError(
      () => new D.Bernoulli({ probs: tensor(0.3) }).logProb(0.5),
      'INVALID_ARGUMENT',
      /\(Boolean\(\)\), got 0.5/,
    );
    expectTensorError(
      () => new D.Beta(2, 2).logProb(1.5),
      'INVALID_ARGUMENT',
      /Interval\(lowerBound=0, upperBound=1\)\), got 1.5/,
    );
    expectTensorError(
      () => new D.Gamma(2, 1).logProb(-1),
      'INVALID_ARGUMENT',
      /GreaterThanEq\(lowerBound=0\)\), got -1/,
    );
    expectTensorError(() => new D.Normal(0, 1).logProb(NaN), 'INVALID_ARGUMENT', /Real\(\)\), got NaN/);
    expectTensorError(
      () => new D.Categorical({ logits: tk.zeros([3]) }).logProb(tensor([0, 3], { dtype: 'int64' })),
      'INVALID_ARGUMENT',
      /IntegerInterval\(lowerBound=0, upperBound=2\)\), got 3/,
    );
    expect(new D.Uniform(tk.zeros([2]), 1).logProb(tensor([0.5, 1])).shape).toEqual([2]); // the closed end is in
    D.Distribution.setDefaultValidateArgs(false);
    try {
      expect(new D.Uniform(0, 1).logProb(2).item()).toBe(-Infinity);
      expect(new D.Exponential(1).logProb(-1).item()).toBe(-Infinity);
    } finally {
      D.Distribution.setDefaultValidateArgs(true);
    }
    expectTensorError(() => D.Distribution.setDefaultValidateArgs('no' as never), 'INVALID_ARGUMENT', /boolean/);
    // Dirichlet: draws on the simplex with the right mean; its support is the simplex
    tk.manualSeed(9);
    const dir = new D.Dirichlet(tensor([1, 2, 3], { dtype: 'float64' }));
    const draws = dir.sample([4000]);
    expect(draws.sum(-1).sub(1).abs().max().item()).toBeLessThan(1e-12);
    expect(draws.mean(0).sub(dir.mean).abs().max().item()).toBeLessThan(0.02);
    expectTensorError(
      () => dir.logProb(tensor([0.5, 0.6, 0.1], { dtype: 'float64' })),
      'INVALID_ARGUMENT',
      /\(Simplex\(\)\), got the event \[0.5, 0.6, 0.1\] at index 0/,
    );
    expectTensorError(() => new D.Dirichlet(tensor([1, 0])), 'INVALID_ARGUMENT', /concentration must be positive/);
    expect(new D.Normal(0, 1).stddev.item()).toBe(1);
  });

  it('refuse bad parameters and arguments, naming the distribution', () => {
    expectTensorError(() => new D.Normal(0, -1), 'INVALID_ARGUMENT', /Normal: scale must be positive/);
    expectTensorError(
      () => new D.Normal(tk.zeros([2]), tk.ones([3])),
      'SHAPE_MISMATCH',
      /Normal: parameter shapes \[2\] and \[3\] do not broadcast/,
    );
    expectTensorError(() => new D.Uniform(1, 1), 'INVALID_ARGUMENT', /Uniform: low must be below high/);
    expectTensorError(() => new D.Bernoulli({}), 'INVALID_ARGUMENT', /Bernoulli: give exactly one of probs and logits/);
    expectTensorError(
      () => new D.Bernoulli({ probs: tensor([1.5]) }),
      'INVALID_ARGUMENT',
      /Bernoulli: probs must be in \[0, 1\]/,
    );
    expectTensorError(
      () => new D.Categorical({ probs: tensor([0, 0]) }),
      'INVALID_ARGUMENT',
      /Categorical: each row of probs needs a positive sum/,
    );
    expectTensorError(
      () => new D.Categorical({ logits: tensor(1) }),
      'SHAPE_MISMATCH',
      /Categorical: probs or logits need a last dim/,
    );
    expectTensorError(
      () => new D.Normal(tensor([1], { dtype: 'int64' }), 1),
      'DTYPE_MISMATCH',
      /Normal: loc must be a floating tensor/,
    );
    expectTensorError(() => new D.Normal(0, 1).sample([-1]), 'INVALID_ARGUMENT', /sampleShape/);
    expectTensorError(
      () => new D.Independent(new D.Normal(0, 1), 1),
      'INVALID_ARGUMENT',
      /Independent: cannot move 1 dims/,
    );
    expectTensorError(
      () => D.klDivergence(new D.Normal(0, 1), new D.Laplace(0, 1)),
      'NOT_IMPLEMENTED',
      /no closed form for Normal and Laplace/,
    );
    expectTensorError(() => new D.Poisson(1).entropy(), 'NOT_IMPLEMENTED', /Poisson: entropy is not defined/);
    expectTensorError(() => new D.Poisson(1).rsample(), 'NOT_IMPLEMENTED', /Poisson: rsample is not defined/);
  });
});

describe('memory', () => {
  it('a thousand policy-gradient steps leave tensors and bytes at baseline', () => {
    settleGarbage();
    const before = memory();
    const w = tk.randn([4, 3]).requiresGrad_();
    const obs = tk.randn([8, 4]);
    for (let i = 0; i < 1000; i++)
      tk.tidy(() => {
        const pi = new D.Categorical({ logits: obs.matmul(w) });
        const a = pi.sample();
        const v = new D.Normal(obs.sum(1), 1);
        pi.logProb(a).mean().neg().add(pi.entropy().mean().mul(-0.01)).add(v.rsample().mean()).backward();
        w.grad = null;
      });
    disposeAll(w, obs);
    settleGarbage();
    const after = memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
  });
});

describe('reparameterised Gamma, Beta and Dirichlet draws', () => {
  const G = JSON.parse(readFileSync(new URL('./fixtures/torch-gamma-grad.json', import.meta.url), 'utf8')) as {
    rows: [number, number, number][];
  };
  it(`dx/dalpha at fixed quantile matches PyTorch's _standard_gamma_grad (${G.rows.length} draws, alpha 0.05 to 20000)`, () => {
    for (const [a, x, want] of G.rows) {
      const got = standardGammaGrad(a, x);
      // PyTorch's is an approximation (Jankowiak and Obermeyer), within 1e-3 of the exact value
      expect(Math.abs(got - want), `alpha ${a}, x ${x}: ${got} vs ${want}`).toBeLessThan(2e-3 * Math.abs(want) + 1e-12);
    }
  });
  it('the gradients are unbiased: d E[x] / d parameters, averaged over draws', () => {
    tk.tidy(() => {
      tk.manualSeed(21);
      const n = 20000;
      const a = tensor([2.5], { dtype: 'float64' }).requiresGrad_(),
        r = tensor([2], { dtype: 'float64' }).requiresGrad_();
      new D.Gamma(a, r).rsample([n]).mean().backward(); // E = a / r
      expect(a.grad!.item()).toBeCloseTo(1 / 2, 1);
      expect(r.grad!.item()).toBeCloseTo(-2.5 / 4, 1);
      const p = tensor([2], { dtype: 'float64' }).requiresGrad_(),
        q = tensor([3], { dtype: 'float64' }).requiresGrad_();
      new D.Beta(p, q).rsample([n]).mean().backward(); // E = p / (p + q)
      expect(p.grad!.item()).toBeCloseTo(3 / 25, 1);
      expect(q.grad!.item()).toBeCloseTo(-2 / 25, 1);
      const c = tensor([1, 2, 3], { dtype: 'float64' }).requiresGrad_();
      new D.Dirichlet(c).rsample([n]).select(-1, 0).mean().backward(); // E[x0] = c0 / sum c
      closeArr(Array.from(c.grad!.data() as Float64Array), [5 / 36, -1 / 36, -1 / 36], 0.01);
      expect(new D.Gamma(1, 1).hasRsample && new D.Beta(1, 1).hasRsample).toBe(true);
    });
  });
});

function closeArr(got: number[], want: number[], tol: number) {
  got.forEach((g, i) => expect(Math.abs(g - want[i]), `${i}: ${g} vs ${want[i]}`).toBeLessThan(tol));
}
