// The families of src/distributions/more.ts against PyTorch 1.13's values (log_prob and its
// parameter gradients, entropy, moments, cdf, icdf: test/fixtures/torch-distributions-more.json,
// written by scripts/fixtures/torch_distributions_more.py), sampling by its statistics, rsample's
// gradients, supports and argument checks.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { distributions as D, tensor, tidy, type Tensor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';
import { closeToTorch as close, f64, type Nested } from './helpers/torch-rows.js';

interface Row {
  params: Nested[];
  value: Nested;
  logProb: Nested;
  grads: (Nested | null)[];
  entropy?: Nested;
  mean?: Nested;
  variance?: Nested;
  cdf?: Nested;
  icdf?: Nested;
}
const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-distributions-more.json', import.meta.url), 'utf8')) as {
  rows: Record<string, Row>;
  kl: Record<string, Nested>;
};
const ROWS = FIX.rows;

const MAKE: Record<string, (...ps: Tensor[]) => D.Distribution> = {
  LogNormal: (l, s) => new D.LogNormal(l, s),
  HalfNormal: (s) => new D.HalfNormal(s),
  Cauchy: (l, s) => new D.Cauchy(l, s),
  HalfCauchy: (s) => new D.HalfCauchy(s),
  Gumbel: (l, s) => new D.Gumbel(l, s),
  Weibull: (s, k) => new D.Weibull(s, k),
  Pareto: (s, a) => new D.Pareto(s, a),
  Chi2: (df) => new D.Chi2(df),
  StudentT: (df, l, s) => new D.StudentT(df, l, s),
  GeometricProbs: (p) => new D.Geometric({ probs: p }),
  GeometricLogits: (l) => new D.Geometric({ logits: l }),
  BinomialProbs: (n, p) => new D.Binomial(n, { probs: p }),
  BinomialLogits: (n, l) => new D.Binomial(n, { logits: l }),
  NegativeBinomial: (n, p) => new D.NegativeBinomial(n, { probs: p }),
  OneHotCategorical: (l) => new D.OneHotCategorical({ logits: l }),
  Multinomial: (l) => new D.Multinomial(7, { logits: l }),
  TransformedTanh: (m, s) => new D.TransformedDistribution(new D.Normal(m, s), [new D.TanhTransform()]),
  TransformedAffineExp: (m, s) =>
    new D.TransformedDistribution(new D.Normal(m, s), [new D.AffineTransform(1, -2), new D.ExpTransform()]),
  TransformedSigmoid: (m, s) => new D.TransformedDistribution(new D.Normal(m, s), new D.SigmoidTransform()),
  TransformedSoftplusPower: (r) =>
    new D.TransformedDistribution(new D.Exponential(r), [new D.SoftplusTransform(), new D.PowerTransform(2)]),
  TransformedIndependent: (m, s) =>
    new D.TransformedDistribution(new D.Independent(new D.Normal(m, s), 1), [new D.TanhTransform()]),
  MixtureSameFamily: (l, m, s) => new D.MixtureSameFamily(new D.Categorical({ logits: l }), new D.Normal(m, s)),
  MixtureSameFamilyMVN: (l, m) =>
    new D.MixtureSameFamily(new D.Categorical({ logits: l }), new D.Independent(new D.Normal(m, 1), 1)),
};

describe('against PyTorch 1.13', () => {
  for (const [name, make] of Object.entries(MAKE))
    it(`${name}: logProb and its parameter gradients, entropy, moments, cdf, icdf`, () =>
      tidy(() => {
        const row = ROWS[name];
        const ps = row.params.map((p) => f64(p).requiresGrad_());
        const d = make(...ps);
        const lp = d.logProb(f64(row.value));
        close(lp, row.logProb, `${name} logProb`, 1e-9);
        lp.sum().backward();
        ps.forEach((p, i) => {
          if (row.grads[i] === null) return;
          close(p.grad!, row.grads[i]!, `${name} d logProb / d param ${i}`, 1e-8);
        });
        if (row.entropy !== undefined) close(d.entropy(), row.entropy, `${name} entropy`);
        if (row.mean !== undefined) close(d.mean, row.mean, `${name} mean`);
        if (row.variance !== undefined) close(d.variance, row.variance, `${name} variance`);
        if (row.cdf !== undefined) close(d.cdf(f64(row.value)), row.cdf, `${name} cdf`);
        if (row.icdf !== undefined) close(d.icdf(f64([0.2, 0.7, 0.95])), row.icdf, `${name} icdf`);
      }));
});

describe('klDivergence against PyTorch 1.13', () => {
  it('every closed-form pair of these families', () =>
    tidy(() => {
      const loc = f64([0.5, -1, 2]),
        scl = f64([1.5, 0.3, 2]),
        pos = f64([0.7, 0.2, 3.5]),
        pr = f64([0.2, 0.7, 0.95]),
        cnt = f64([5, 3, 10]);
      const lg = f64([
        [0.3, -1.2, 2, 0.1],
        [1, 1, -0.5, 0],
      ]);
      const kl: Record<string, () => Tensor> = {
        LogNormal: () => D.klDivergence(new D.LogNormal(loc, scl), new D.LogNormal(pos, scl.flip(0))),
        HalfNormal: () => D.klDivergence(new D.HalfNormal(scl), new D.HalfNormal(pos)),
        Cauchy: () => D.klDivergence(new D.Cauchy(loc, scl), new D.Cauchy(pos, pr)),
        Gumbel: () => D.klDivergence(new D.Gumbel(loc, scl), new D.Gumbel(pos, pr.add(0.5))),
        Pareto: () => D.klDivergence(new D.Pareto(scl, pos.add(1)), new D.Pareto(f64([1, 0.5, 1]), pr.mul(3))),
        Geometric: () => D.klDivergence(new D.Geometric({ probs: pr }), new D.Geometric({ probs: pr.flip(0) })),
        OneHotCategorical: () =>
          D.klDivergence(new D.OneHotCategorical({ logits: lg }), new D.OneHotCategorical({ logits: lg.flip(1) })),
        Binomial: () =>
          D.klDivergence(new D.Binomial(cnt, { probs: pr }), new D.Binomial(f64([5, 2, 10]), { probs: pr.flip(0) })),
      };
      for (const [name, f] of Object.entries(kl)) close(f(), FIX.kl[name], `KL ${name}`);
      expectTensorError(
        () => D.klDivergence(new D.Binomial(2, { probs: pr }), new D.Binomial(3, { probs: pr })),
        'NOT_IMPLEMENTED',
        /q.totalCount > p.totalCount/,
      );
      expectTensorError(
        () => D.klDivergence(new D.Cauchy(0, 1), new D.Gumbel(0, 1)),
        'NOT_IMPLEMENTED',
        /no closed form for Cauchy and Gumbel/,
      );
    }));
});

describe('sampling', () => {
  it("draws match each distribution's mean and variance (40,000 draws, 5 standard errors)", () =>
    tidy(() => {
      tk.manualSeed(11);
      const n = 40000;
      const cases: [string, D.Distribution, number, number][] = [
        ['LogNormal', new D.LogNormal(0, 0.5), Math.exp(0.125), (Math.exp(0.25) - 1) * Math.exp(0.25)],
        ['HalfNormal', new D.HalfNormal(2), 2 * Math.sqrt(2 / Math.PI), 4 * (1 - 2 / Math.PI)],
        ['Gumbel', new D.Gumbel(1, 2), 1 + 2 * 0.5772156649015329, (Math.PI ** 2 / 6) * 4],
        [
          'Weibull',
          new D.Weibull(2, 3),
          2 *
            Math.exp(
              tk
                .tensor(1 + 1 / 3, { dtype: 'float64' })
                .lgamma()
                .item() as number,
            ),
          NaN,
        ],
        ['Pareto', new D.Pareto(1, 5), 5 / 4, 5 / (16 * 3)],
        ['Chi2', new D.Chi2(4), 4, 8],
        ['StudentT', new D.StudentT(6, 1, 2), 1, (4 * 6) / 4],
        ['Geometric', new D.Geometric({ probs: tensor(0.3) }), 0.7 / 0.3, 0.7 / 0.09],
        ['Binomial', new D.Binomial(12, { probs: tensor(0.35) }), 12 * 0.35, 12 * 0.35 * 0.65],
        ['NegativeBinomial', new D.NegativeBinomial(4, { probs: tensor(0.4) }), (4 * 0.4) / 0.6, (4 * 0.4) / 0.36],
      ];
      for (const [name, d, mean, variance] of cases) {
        const x = d.sample([n]);
        expect(x.shape, name).toEqual([n]);
        const m = x.mean().item() as number,
          v = x.var().item() as number;
        const sd = Math.sqrt(Number.isNaN(variance) ? v : variance);
        expect(Math.abs(m - mean), `${name} mean ${m} vs ${mean}`).toBeLessThan((5 * sd) / Math.sqrt(n));
        if (!Number.isNaN(variance))
          expect(Math.abs(v / variance - 1), `${name} variance ${v} vs ${variance}`).toBeLessThan(0.1);
      }
      // Cauchy has no moments: its median and quartiles instead
      const c = new D.Cauchy(2, 3).sample([n]).sort(0).values;
      expect(Math.abs((c.select(0, n / 2).item() as number) - 2)).toBeLessThan(0.15);
      expect(Math.abs((c.select(0, (3 * n) / 4).item() as number) - 5)).toBeLessThan(0.25);
      const oh = new D.OneHotCategorical({ probs: tensor([0.2, 0.5, 0.3]) }).sample([n]);
      expect(oh.shape).toEqual([n, 3]);
      expect(oh.sum(1).eq(1).all().item()).toBe(true);
      const freq = Array.from(oh.mean(0).data() as Float32Array);
      [0.2, 0.5, 0.3].forEach((p, i) => expect(Math.abs(freq[i] - p)).toBeLessThan(0.01));
      // a two-component mixture: mean and variance by the laws of total expectation and variance
      const mix = new D.MixtureSameFamily(
        new D.Categorical({ probs: tensor([0.3, 0.7]) }),
        new D.Normal(tensor([-2, 1]), tensor([0.5, 1])),
      );
      const xs = mix.sample([n]);
      expect(xs.shape).toEqual([n]);
      expect(Math.abs((xs.mean().item() as number) - 0.1)).toBeLessThan(0.03);
      expect(Math.abs((xs.var().item() as number) / (mix.variance.item() as number) - 1)).toBeLessThan(0.05);
      const mv = new D.MixtureSameFamily(
        new D.Categorical({ probs: tensor([0.5, 0.5]) }),
        new D.Independent(
          new D.Normal(
            tensor([
              [0, 0],
              [10, 10],
            ]),
            1,
          ),
          1,
        ),
      );
      const ys = mv.sample([1000]);
      expect(ys.shape).toEqual([1000, 2]);
      // each draw comes whole from one component: both coordinates near 0 or both near 10
      expect(ys.select(1, 0).sub(ys.select(1, 1)).abs().max().item()).toBeLessThan(8);
      const mn = new D.Multinomial(9, { probs: tensor([0.25, 0.75]) }).sample([n]);
      expect(mn.sum(1).eq(9).all().item()).toBe(true);
      expect(Math.abs((mn.select(1, 0).mean().item() as number) - 2.25)).toBeLessThan(0.05);
    }));

  it('rsample is differentiable in the parameters of the continuous families', () =>
    tidy(() => {
      tk.manualSeed(12);
      const s = tensor(2, { dtype: 'float64', requiresGrad: true });
      for (const d of [
        new D.LogNormal(0, s),
        new D.HalfNormal(s),
        new D.Gumbel(0, s),
        new D.Weibull(s, 2),
        new D.Pareto(s, 3),
        new D.StudentT(5, 0, s),
        new D.Cauchy(0, s),
        new D.HalfCauchy(s),
      ]) {
        s.grad = null;
        d.rsample([64]).sum().backward();
        expect(Number.isFinite(s.grad!.item() as number), d.constructor.name).toBe(true);
      }
      // a scale family: d/ds of the draws' sum is their sum / s
      s.grad = null;
      const x = new D.HalfNormal(s).rsample([100]);
      x.sum().backward();
      expect(s.grad!.item()).toBeCloseTo((x.sum().item() as number) / 2, 10);
    }));
});

describe('TransformedDistribution', () => {
  it('rsample is the transform of the base draws, differentiable; samples land in the image', () =>
    tidy(() => {
      tk.manualSeed(13);
      const mu = tensor([0.5, -1], { dtype: 'float64', requiresGrad: true });
      const d = new D.TransformedDistribution(new D.Normal(mu, 1), [new D.TanhTransform()]);
      const a = d.rsample([500]);
      expect(a.abs().lt(1).all().item()).toBe(true);
      a.sum().backward();
      expect(mu.grad!.gt(0).all().item()).toBe(true); // tanh is increasing
      tk.manualSeed(14);
      const b = new D.Normal(mu, 1).sample([3]);
      tk.manualSeed(14);
      expect(d.sample([3]).toArray()).toEqual(b.tanh().toArray());
      expect(new D.ExpTransform().call(tensor([0])).toArray()).toEqual([1]);
    }));

  it('checks its arguments', () => {
    expectTensorError(
      () => new D.TransformedDistribution(3 as never, []),
      'INVALID_ARGUMENT',
      /the base must be a Distribution/,
    );
    expectTensorError(
      () => new D.TransformedDistribution(new D.Normal(0, 1), [3 as never]),
      'INVALID_ARGUMENT',
      /expected a Transform or an array/,
    );
    expectTensorError(
      () => new D.TransformedDistribution(new D.Normal(0, 1), new D.AffineTransform(0, tensor([1, -1]))).cdf(0),
      'NOT_IMPLEMENTED',
      /mixed signs/,
    );
  });
});

describe('supports and checks', () => {
  it('values outside the support are refused, parameters are checked', () => {
    expectTensorError(
      () => new D.LogNormal(0, 1).logProb(-1),
      'INVALID_ARGUMENT',
      /LogNormal.logProb: the value must be within the support \(GreaterThan\(lowerBound=0\)\), got -1/,
    );
    expectTensorError(
      () => new D.Pareto(2, 1).logProb(1),
      'INVALID_ARGUMENT',
      /support \(GreaterThanEq\(lowerBound=2\)\), got 1/,
    );
    expectTensorError(
      () => new D.Binomial(3, { probs: tensor(0.5) }).logProb(4),
      'INVALID_ARGUMENT',
      /Binomial.logProb/,
    );
    expectTensorError(
      () => new D.Geometric({ probs: tensor(0.5) }).logProb(1.5),
      'INVALID_ARGUMENT',
      /IntegerGreaterThan\(lowerBound=0\)\), got 1.5/,
    );
    expectTensorError(
      () => new D.OneHotCategorical({ probs: tensor([0.5, 0.5]) }).logProb(tensor([1, 1])),
      'INVALID_ARGUMENT',
      /support \(OneHot\(\)\), got the event \[1, 1\] at index 0/,
    );
    expectTensorError(
      () => new D.Multinomial(3, { probs: tensor([0.5, 0.5]) }).logProb(tensor([1, 1])),
      'INVALID_ARGUMENT',
      /Multinomial.logProb: the counts must sum to totalCount \(3\)/,
    );
    expectTensorError(() => new D.Cauchy(0, -1), 'INVALID_ARGUMENT', /Cauchy: scale must be positive/);
    expectTensorError(() => new D.StudentT(0), 'INVALID_ARGUMENT', /StudentT: df and scale must be positive/);
    expectTensorError(
      () => new D.Binomial(2.5, { probs: tensor(0.5) }),
      'INVALID_ARGUMENT',
      /totalCount must be a non-negative integer/,
    );
    expectTensorError(() => new D.Geometric({}), 'INVALID_ARGUMENT', /give exactly one of probs and logits/);
    expectTensorError(() => new D.Multinomial(-1, { probs: tensor([1]) }), 'INVALID_ARGUMENT', /Multinomial/);
    expectTensorError(() => new D.Weibull(1, [2] as never), 'INVALID_ARGUMENT', /Weibull/);
    expectTensorError(
      () => new D.Binomial(tensor([2, 3]), { probs: tensor([0.5, 0.5]) }).entropy(),
      'NOT_IMPLEMENTED',
      /total counts differ/,
    );
  });
});
