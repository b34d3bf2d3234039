// The families of src/distributions/{simplex,matrix,univariate}.ts against PyTorch 1.13's values
// (log_prob and its parameter gradients, entropy, moments, cdf, icdf, the matrix properties:
// test/fixtures/torch-distributions-rest.json, written by
// scripts/fixtures/torch_distributions_rest.py), their KL pairs, StickBreakingTransform, sampling
// by its statistics, rsample's gradients, supports and argument checks.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { distributions as D, tensor, tidy, type Tensor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';
import { closeToTorch as close, f64, type Nested } from './helpers/torch-rows.js';

type Row = Record<string, Nested> & { params: Nested[]; grads: (Nested | null)[] };
const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-distributions-rest.json', import.meta.url), 'utf8')) as {
  rows: Record<string, Row>;
  vonMisesExact: { logProb: Nested; grads: Nested[]; variance: Nested };
  stickBreaking: { x: Nested; y: Nested; inverse: Nested; ladj: Nested };
  kl: Record<string, Nested>;
  modes: Record<string, Nested>;
  transforms: Record<string, { x: Nested; y: Nested; inverse: Nested; ladj?: Nested }>;
  transformed: Record<string, { batch: number[]; event: number[]; value: Nested; logProb: Nested }>;
};

const MAKE: Record<string, (...ps: Tensor[]) => D.Distribution> = {
  ContinuousBernoulliProbs: (p) => new D.ContinuousBernoulli({ probs: p }),
  ContinuousBernoulliLogits: (l) => new D.ContinuousBernoulli({ logits: l }),
  FisherSnedecor: (a, b) => new D.FisherSnedecor(a, b),
  Kumaraswamy: (a, b) => new D.Kumaraswamy(a, b),
  LogitRelaxedBernoulli: (t, p) => new D.LogitRelaxedBernoulli(t, { probs: p }),
  RelaxedBernoulli: (t, l) => new D.RelaxedBernoulli(t, { logits: l }),
  ExpRelaxedCategorical: (t, l) => new D.ExpRelaxedCategorical(t, { logits: l }),
  RelaxedOneHotCategorical: (t, l) => new D.RelaxedOneHotCategorical(t, { logits: l }),
  LogisticNormal: (m, s) => new D.LogisticNormal(m, s),
  LogisticNormalScalar: (m, s) => new D.LogisticNormal(m, s),
  LowRankMultivariateNormal: (m, w, d) => new D.LowRankMultivariateNormal(m, w, d),
  WishartCovariance: (df, c) => new D.Wishart(df, { covarianceMatrix: c }),
  WishartPrecision: (df, c) => new D.Wishart(df, { precisionMatrix: c }),
  WishartScaleTril: (df, c) => new D.Wishart(df, { scaleTril: c }),
  LKJCholesky: (c) => new D.LKJCholesky(3, c),
  LKJCholesky4: (c) => new D.LKJCholesky(4, c),
};
// Rows whose parameter i is a lower Cholesky factor.
const TRIL_GRAD: Record<string, number> = { WishartScaleTril: 1 };
const PROPS: Record<string, string> = {
  covariance_matrix: 'covarianceMatrix',
  precision_matrix: 'precisionMatrix',
  scale_tril: 'scaleTril',
};

describe('against PyTorch 1.13', () => {
  for (const [name, make] of Object.entries(MAKE))
    it(`${name}: logProb and its parameter gradients, entropy, moments, cdf, icdf`, () =>
      tidy(() => {
        const row = FIX.rows[name];
        const ps = row.params.map((p) => f64(p).requiresGrad_());
        const d = make(...ps);
        const lp = d.logProb(f64(row.value));
        close(lp, row.logProb, `${name} logProb`, 1e-9);
        lp.sum().backward();
        ps.forEach((p, i) => {
          if (row.grads[i] === null) return;
          let [g, want] = [p.grad!, f64(row.grads[i]!)];
          if (TRIL_GRAD[name] === i) {
            // logProb reads only the factor's lower triangle: its upper gradient is 0 (torch's
            // cholesky_solve backward fills it anyway)
            expect(g.triu(1).eq(0).all().item(), `${name}: no gradient above the diagonal`).toBe(true);
            [g, want] = [g.tril(), want.tril()];
          }
          close(g, want.toArray() as Nested, `${name} d logProb / d param ${i}`, 1e-8);
        });
        if (row.entropy !== undefined) close(d.entropy(), row.entropy, `${name} entropy`);
        if (row.mean !== undefined) close(d.mean, row.mean, `${name} mean`);
        if (row.variance !== undefined) close(d.variance, row.variance, `${name} variance`);
        if (row.cdf !== undefined) close(d.cdf(f64(row.value)), row.cdf, `${name} cdf`);
        if (row.icdf !== undefined) close(d.icdf(f64([0.2, 0.7, 0.95])), row.icdf, `${name} icdf`);
        for (const [k, prop] of Object.entries(PROPS))
          if (row[k] !== undefined) close((d as unknown as Record<string, Tensor>)[prop], row[k], `${name} ${prop}`);
      }));

  it('VonMises: exact where torch approximates its Bessel functions (1e-7), torch within that', () =>
    tidy(() => {
      const row = FIX.rows.VonMises;
      const [loc, k] = row.params.map((p) => f64(p).requiresGrad_());
      const d = new D.VonMises(loc, k);
      const lp = d.logProb(f64(row.value));
      close(lp, FIX.vonMisesExact.logProb, 'VonMises logProb (exact)', 1e-13);
      close(lp, row.logProb, 'VonMises logProb (torch)', 1e-6);
      lp.sum().backward();
      close(loc.grad!, FIX.vonMisesExact.grads[0], 'd/dloc (exact)', 1e-13);
      close(k.grad!, FIX.vonMisesExact.grads[1], 'd/dconcentration (exact)', 1e-12);
      close(k.grad!, row.grads[1]!, 'd/dconcentration (torch)', 1e-6);
      close(d.variance, FIX.vonMisesExact.variance, 'VonMises variance (exact)', 1e-13);
      close(d.variance, row.variance, 'VonMises variance (torch)', 1e-6);
      close(d.mean, row.mean, 'VonMises mean');
    }));

  it('the KL pairs: ContinuousBernoulli, and low-rank normals with each other and with full-covariance ones', () =>
    tidy(() => {
      const W = f64([
        [0.5, -0.3],
        [1, 0.2],
        [-0.4, 0.8],
      ]);
      const sq = f64([
        [1, 0.2, 0],
        [0.2, 2, 0.5],
        [0, 0.5, 1.2],
      ]);
      const lr = new D.LowRankMultivariateNormal(f64([0.5, -1, 2]), W, f64([0.7, 0.2, 1.5]));
      const lr2 = new D.LowRankMultivariateNormal(tk.zeros([3], { dtype: 'float64' }), W.flip(0), f64([1, 0.5, 0.3]));
      const mvn = new D.MultivariateNormal(tk.zeros([3], { dtype: 'float64' }), { covarianceMatrix: sq });
      close(
        D.klDivergence(
          new D.ContinuousBernoulli({ probs: f64([0.2, 0.4995, 0.9]) }),
          new D.ContinuousBernoulli({ probs: f64([0.6, 0.1, 0.5005]) }),
        ),
        FIX.kl.ContinuousBernoulli,
        'KL ContinuousBernoulli',
      );
      close(D.klDivergence(lr, lr2), FIX.kl.LowRankLowRank, 'KL LowRank LowRank');
      close(D.klDivergence(lr, mvn), FIX.kl.LowRankMVN, 'KL LowRank MVN');
      close(D.klDivergence(mvn, lr), FIX.kl.MVNLowRank, 'KL MVN LowRank');
      expect(D.klDivergence(lr, lr).item()).toBeCloseTo(0, 12);
    }));

  it('StickBreakingTransform: forward, inverse and log-Jacobian as torch; shapes [..., K-1] <-> [..., K]', () =>
    tidy(() => {
      const sb = new D.StickBreakingTransform();
      const x = f64(FIX.stickBreaking.x);
      const y = sb.forward(x);
      close(y, FIX.stickBreaking.y, 'forward');
      close(sb.inverse(y), FIX.stickBreaking.inverse, 'inverse');
      close(sb.logAbsDetJacobian(x, y), FIX.stickBreaking.ladj, 'log |det J|');
      expect(sb.forwardShape([5, 3])).toEqual([5, 4]);
      expect(sb.inverseShape([5, 4])).toEqual([5, 3]);
      expectTensorError(() => sb.forward(tensor(1)), 'SHAPE_MISMATCH', /needs a last dim/);
      expectTensorError(() => sb.sign, 'NOT_IMPLEMENTED', /not monotone/);
    }));
});

describe('transforms', () => {
  it('Compose, Independent, Reshape, Softmax, LowerCholesky, CumulativeDistribution, CorrCholesky, Abs: as torch', () =>
    tidy(() => {
      const make: Record<string, () => D.Transform> = {
        Compose: () =>
          new D.ComposeTransform([
            new D.AffineTransform(0.5, -2),
            new D.ExpTransform(),
            new D.StickBreakingTransform(),
          ]),
        Independent: () => new D.IndependentTransform(new D.SigmoidTransform(), 1),
        Reshape: () => new D.ReshapeTransform([2, 3], [3, 2]),
        Softmax: () => new D.SoftmaxTransform(),
        LowerCholesky: () => new D.LowerCholeskyTransform(),
        CumulativeDistribution: () => new D.CumulativeDistributionTransform(new D.Normal(f64(0.5), f64(2))),
        CorrCholesky: () => new D.CorrCholeskyTransform(),
        CorrCholesky4: () => new D.CorrCholeskyTransform(),
        Abs: () => new D.AbsTransform(),
      };
      expect(Object.keys(make).sort()).toEqual(Object.keys(FIX.transforms).sort());
      for (const [name, f] of Object.entries(make)) {
        const row = FIX.transforms[name];
        const t = f();
        const x = f64(row.x);
        const y = t.forward(x);
        close(y, row.y, `${name} forward`);
        close(t.inverse(y), row.inverse, `${name} inverse`);
        if (row.ladj !== undefined) close(t.logAbsDetJacobian(x, y), row.ladj, `${name} log |det J|`);
        else expectTensorError(() => t.logAbsDetJacobian(x, y), 'NOT_IMPLEMENTED', /not (bijective|defined)/);
      }
    }));

  it('a TransformedDistribution through event-changing maps: LKJ-like factors from R^3, a Gaussian copula', () =>
    tidy(() => {
      const corr = new D.TransformedDistribution(new D.Normal(tk.zeros([3], { dtype: 'float64' }), 1), [
        new D.CorrCholeskyTransform(),
      ]);
      const row = FIX.transformed.corrCholesky;
      expect([corr.batchShape, corr.eventShape]).toEqual([row.batch, row.event]);
      close(corr.logProb(f64(row.value)), row.logProb, 'CorrCholesky logProb');
      const L = corr.sample([4]);
      expect(L.shape).toEqual([4, 3, 3]);
      expect(L.matmul(L.mT).diagonal(0, -2, -1).sub(1).abs().max().item()).toBeLessThan(1e-12);
      const cov = f64([
        [1, 0.6],
        [0.6, 1],
      ]);
      const copula = new D.TransformedDistribution(
        new D.MultivariateNormal(tk.zeros([2], { dtype: 'float64' }), { covarianceMatrix: cov }),
        [new D.CumulativeDistributionTransform(new D.Normal(0, 1))],
      );
      const c = FIX.transformed.copula;
      expect([copula.batchShape, copula.eventShape]).toEqual([c.batch, c.event]);
      close(copula.logProb(f64(c.value)), c.logProb, 'copula logProb');
    }));

  it('shapes and checks', () => {
    const c = new D.ComposeTransform([new D.StickBreakingTransform(), new D.SoftmaxTransform()]);
    expect([c.domainEventDim, c.codomainEventDim, c.forwardShape([5, 2])]).toEqual([1, 1, [5, 3]]);
    expect(new D.ComposeTransform([]).forward(tensor([1, 2])).toArray()).toEqual([1, 2]);
    expect(new D.IndependentTransform(new D.ExpTransform(), 2).domainEventDim).toBe(2);
    expect(new D.CorrCholeskyTransform().forwardShape([7, 6])).toEqual([7, 4, 4]);
    expect(new D.CorrCholeskyTransform().inverseShape([4, 4])).toEqual([6]);
    expectTensorError(() => new D.CorrCholeskyTransform().forwardShape([5]), 'SHAPE_MISMATCH', /n\(n-1\)\/2/);
    expectTensorError(() => new D.ReshapeTransform([2, 3], [4]), 'SHAPE_MISMATCH', /different numbers of elements/);
    expectTensorError(
      () => new D.ReshapeTransform([2, 3], [6]).forward(tk.zeros([3, 2])),
      'SHAPE_MISMATCH',
      /expected a shape ending in \[2, 3\], got \[3, 2\]/,
    );
    expectTensorError(() => new D.ComposeTransform([1] as never), 'INVALID_ARGUMENT', /array of Transforms/);
    expectTensorError(() => new D.LowerCholeskyTransform().forward(tk.zeros([2, 3])), 'SHAPE_MISMATCH', /square/);
  });
});

describe('OneHotCategoricalStraightThrough and registerKl', () => {
  it('rsample: a one-hot value, the gradient of probs', () =>
    tidy(() => {
      tk.manualSeed(25);
      const logits = tensor([0.2, -0.5, 1], { dtype: 'float64', requiresGrad: true });
      const d = new D.OneHotCategoricalStraightThrough({ logits });
      const y = d.rsample([6]);
      expect(y.shape).toEqual([6, 3]);
      expect(y.sum(-1).toArray()).toEqual([1, 1, 1, 1, 1, 1]);
      expect(y.eq(0).logicalOr(y.eq(1)).all().item()).toBe(true);
      const w = tensor([1, 2, 3], { dtype: 'float64' });
      y.mul(w).sum().backward();
      // d/dlogits sum_draws w . probs = 6 J_softmax w
      const p = logits.softmax(-1).detach();
      const want = p.mul(w.sub(p.mul(w).sum())).mul(6);
      close(logits.grad!, want.toArray() as Nested, 'straight-through gradient', 1e-12);
      expect(d.sample().requiresGrad).toBe(false);
    }));

  it('registerKl adds a pair that klDivergence then uses; bad arguments are refused', () =>
    tidy(() => {
      class Shifted extends D.Normal {}
      D.registerKl(Shifted, D.Laplace, (p, q) => p.loc.sub(q.loc).abs());
      expect(D.klDivergence(new Shifted(3, 1), new D.Laplace(1, 1)).item()).toBe(2);
      expect(D.klDivergence(new Shifted(3, 1), new D.Normal(3, 1)).item()).toBe(0); // the built-in pair first
      expectTensorError(
        () => D.registerKl(Object as never, D.Normal, () => tensor(0)),
        'INVALID_ARGUMENT',
        /Distribution classes/,
      );
      expectTensorError(
        () => D.registerKl(D.Normal, D.Normal, 3 as never),
        'INVALID_ARGUMENT',
        /'rule' must be a function/,
      );
    }));
});

describe('mode', () => {
  it('every family with a mode in torch 1.13, against its values', () =>
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
      const sq = f64([
        [1, 0.2, 0],
        [0.2, 2, 0.5],
        [0, 0.5, 1.2],
      ]);
      const S = f64([
        [2, 0.3, -0.4],
        [0.3, 1, 0.2],
        [-0.4, 0.2, 1.5],
      ]);
      const W = f64([
        [0.5, -0.3],
        [1, 0.2],
        [-0.4, 0.8],
      ]);
      const families: Record<string, D.Distribution> = {
        Normal: new D.Normal(loc, scl),
        Uniform: new D.Uniform(loc, loc.add(1)),
        Exponential: new D.Exponential(pos),
        Laplace: new D.Laplace(loc, scl),
        Bernoulli: new D.Bernoulli({ probs: f64([0.5, 0.7, 0.2]) }),
        Categorical: new D.Categorical({ logits: lg }),
        Gamma: new D.Gamma(f64([0.5, 2, 5]), f64([1, 2, 0.5])),
        Beta: new D.Beta(f64([0.5, 2, 0.5]), f64([0.3, 3, 2])),
        Poisson: new D.Poisson(f64([0.5, 3.7, 10])),
        Independent: new D.Independent(new D.Normal(lg, 1), 1),
        Dirichlet: new D.Dirichlet(
          f64([
            [0.5, 0.3, 0.9],
            [2, 3, 0.5],
          ]),
        ),
        MultivariateNormal: new D.MultivariateNormal(loc, { covarianceMatrix: sq }),
        LogNormal: new D.LogNormal(loc, scl),
        HalfNormal: new D.HalfNormal(scl),
        Cauchy: new D.Cauchy(loc, scl),
        HalfCauchy: new D.HalfCauchy(scl),
        Gumbel: new D.Gumbel(loc, scl),
        Weibull: new D.Weibull(scl, f64([2, 3, 1])),
        Pareto: new D.Pareto(scl, pos),
        StudentT: new D.StudentT(pos, loc, scl),
        Chi2: new D.Chi2(f64([1, 2.5, 7])),
        Geometric: new D.Geometric({ probs: pr }),
        Binomial: new D.Binomial(cnt, { probs: pr }),
        NegativeBinomial: new D.NegativeBinomial(cnt, { probs: pr }),
        OneHotCategorical: new D.OneHotCategorical({ logits: lg }),
        FisherSnedecor: new D.FisherSnedecor(f64([1, 4, 12]), f64([1.5, 3, 10])),
        VonMises: new D.VonMises(f64([0.5, -2, 3]), f64([0.3, 2.5, 40])),
        LowRankMultivariateNormal: new D.LowRankMultivariateNormal(loc, W, f64([0.7, 0.2, 1.5])),
        Wishart: new D.Wishart(f64([4, 7.5]), { covarianceMatrix: S }),
      };
      expect(Object.keys(families).sort()).toEqual(Object.keys(FIX.modes).sort());
      for (const [name, d] of Object.entries(families)) close(d.mode, FIX.modes[name], `${name} mode`);
    }));

  it('where torch 1.13 is wrong: Kumaraswamy, and Weibull below k = 1, maximise the density', () =>
    tidy(() => {
      const a = f64([2, 3, 0.5]),
        b = f64([2, 0.5, 3]);
      const k = new D.Kumaraswamy(a, b);
      const m = k.mode;
      // ((a - 1) / (ab - 1))^(1/a): sqrt(1/3) for (2, 2); NaN where a or b is below 1
      expect(m.select(0, 0).item()).toBeCloseTo(Math.sqrt(1 / 3), 14);
      expect(Number.isNaN(m.select(0, 1).item() as number) && Number.isNaN(m.select(0, 2).item() as number)).toBe(true);
      const k2 = new D.Kumaraswamy(f64([2, 4]), f64([2, 1.5]));
      const m2 = k2.mode;
      for (const h of [1e-3, -1e-3]) expect(k2.logProb(m2.add(h)).lt(k2.logProb(m2)).all().item()).toBe(true);
      const w = new D.Weibull(f64([3, 2]), f64([0.5, 1]));
      expect(w.mode.toArray()).toEqual([0, 0]);
      expectTensorError(
        () => new D.RelaxedBernoulli(1, { probs: tensor(0.5) }).mode,
        'NOT_IMPLEMENTED',
        /mode is not defined/,
      );
    }));
});

// sample mean within 5 standard errors of the true one
function expectMean(label: string, xs: Tensor, mean: number, sd: number): void {
  const n = xs.numel();
  const m = xs.mean().item() as number;
  expect(Math.abs(m - mean), `${label}: mean ${m} vs ${mean}`).toBeLessThan((5 * sd) / Math.sqrt(n));
}

describe('sampling', () => {
  it("draws match each univariate family's mean and variance (40,000 draws, 5 standard errors)", () =>
    tidy(() => {
      tk.manualSeed(21);
      const n = 40000;
      const cases: [string, D.Distribution][] = [
        ['ContinuousBernoulli', new D.ContinuousBernoulli({ probs: tensor(0.8, { dtype: 'float64' }) })],
        ['ContinuousBernoulli (Taylor band)', new D.ContinuousBernoulli({ probs: tensor(0.5, { dtype: 'float64' }) })],
        ['Kumaraswamy', new D.Kumaraswamy(tensor(2, { dtype: 'float64' }), 3)],
        ['FisherSnedecor', new D.FisherSnedecor(tensor(6, { dtype: 'float64' }), 12)],
      ];
      for (const [name, d] of cases) {
        const x = d.sample([n]);
        expect(x.shape, name).toEqual([n]);
        const variance = d.variance.item() as number;
        expectMean(name, x, d.mean.item() as number, Math.sqrt(variance));
        expect(Math.abs((x.var().item() as number) / variance - 1), `${name} variance`).toBeLessThan(0.1);
      }
      // von Mises: angles in [-pi, pi), E cos(x - loc) = I1(k)/I0(k) = 1 - circular variance
      const vm = new D.VonMises(tensor(3, { dtype: 'float64' }), 2);
      const a = vm.sample([n]);
      expect(a.ge(-Math.PI).logicalAnd(a.lt(Math.PI)).all().item()).toBe(true);
      expectMean('VonMises E cos', a.sub(3).cos(), 1 - (vm.variance.item() as number), 1);
      expectMean('VonMises E sin', a.sub(3).sin(), 0, 1);
    }));

  it('the relaxed families: draws in (0, 1) or on the simplex, rounding to Bernoulli and Categorical exactly', () =>
    tidy(() => {
      tk.manualSeed(22);
      const n = 40000;
      // sigmoid((logit + L) / T) > 1/2 exactly when logit + L > 0: probability p at any temperature
      const rb = new D.RelaxedBernoulli(0.3, { probs: tensor(0.3) }).sample([n]);
      expect(rb.ge(0).logicalAnd(rb.le(1)).all().item()).toBe(true); // float32 sigmoid saturates
      expectMean('RelaxedBernoulli rounds to Bernoulli(0.3)', rb.gt(0.5).float(), 0.3, Math.sqrt(0.21));
      // the Gumbel-max trick: argmax of a relaxed one-hot draw is Categorical(probs)
      const probs = [0.2, 0.5, 0.3];
      const oh = new D.RelaxedOneHotCategorical(2, { probs: tensor(probs) }).sample([n]);
      expect(oh.shape).toEqual([n, 3]);
      expect(oh.sum(-1).sub(1).abs().max().item()).toBeLessThan(1e-5);
      const hits = tk.nn.functional.oneHot(oh.argmax(-1), 3).float();
      probs.forEach((p, i) => expectMean(`Gumbel-max category ${i}`, hits.select(1, i), p, Math.sqrt(p * (1 - p))));
      const ln = new D.LogisticNormal(tk.zeros([2, 3]), 1);
      expect(ln.batchShape).toEqual([2]);
      expect(ln.eventShape).toEqual([4]);
      const s = ln.sample([5]);
      expect(s.shape).toEqual([5, 2, 4]);
      expect(s.gt(0).all().item()).toBe(true);
      expect(s.sum(-1).sub(1).abs().max().item()).toBeLessThan(1e-5);
    }));

  it('the matrix families: low-rank covariance, Wishart mean, LKJ factors of correlation matrices', () =>
    tidy(() => {
      tk.manualSeed(23);
      const n = 20000;
      const o = { dtype: 'float64' } as const;
      const W = tensor([[1], [0.5], [-1]], o);
      const lr = new D.LowRankMultivariateNormal(tensor([1, 2, 3], o), W, tensor([0.5, 1, 2], o));
      const x = lr.sample([n]);
      expect(x.shape).toEqual([n, 3]);
      const c = x
        .sub(x.mean(0))
        .mT.matmul(x.sub(x.mean(0)))
        .div(n - 1);
      expect(c.sub(lr.covarianceMatrix).abs().max().item()).toBeLessThan(0.15);
      expect(lr.scaleTril.matmul(lr.scaleTril.mT).sub(lr.covarianceMatrix).abs().max().item()).toBeLessThan(1e-12);
      expect(lr.precisionMatrix.matmul(lr.covarianceMatrix).sub(tk.eye(3, o)).abs().max().item()).toBeLessThan(1e-12);

      const S = tensor(
        [
          [2, 0.3],
          [0.3, 1],
        ],
        o,
      );
      const wi = new D.Wishart(5, { covarianceMatrix: S });
      const ws = wi.sample([n]);
      expect(ws.shape).toEqual([n, 2, 2]);
      expect(ws.sub(ws.mT).abs().max().item()).toBeLessThan(1e-12);
      const relErr = ws.mean(0).sub(wi.mean).div(wi.variance.sqrt()).abs().max().item() as number;
      expect(relErr * Math.sqrt(n)).toBeLessThan(5);

      // LKJ: every correlation of a dim-d draw is 2 Beta(b, b) - 1 with b = eta - 1 + d/2, so
      // E r^2 = 1 / (2b + 1), the same for each pair (torch 1.13's sampler misses this past row 1)
      for (const [d, eta] of [
        [3, 1],
        [3, 2],
        [4, 0.7],
      ]) {
        const L = new D.LKJCholesky(d, tensor(eta, o)).sample([n]);
        expect(L.shape).toEqual([n, d, d]);
        expect(L.triu(1).eq(0).all().item()).toBe(true);
        const corr = L.matmul(L.mT);
        expect(corr.diagonal(0, -2, -1).sub(1).abs().max().item()).toBeLessThan(1e-12);
        const er2 = 1 / (2 * (eta - 1 + d / 2) + 1);
        for (let i = 1; i < d; i++)
          for (let j = 0; j < i; j++)
            expectMean(`LKJ(${d}, ${eta}) E r_${i}${j}^2`, corr.select(-2, i).select(-1, j).square(), er2, 0.35);
      }
    }));

  it('rsample is differentiable in the parameters', () =>
    tidy(() => {
      tk.manualSeed(24);
      const o = { dtype: 'float64', requiresGrad: true } as const;
      const p = tensor(0.3, o);
      new D.ContinuousBernoulli({ probs: p }).rsample([64]).sum().backward();
      expect(Number.isFinite(p.grad!.item() as number)).toBe(true);
      const a = tensor(2, o);
      new D.Kumaraswamy(a, 3).rsample([64]).sum().backward();
      expect(a.grad!.item()).toBeGreaterThan(0); // x = (1 - U^(1/b))^(1/a) grows with a
      const df = tensor(5, o);
      new D.FisherSnedecor(df, 8).rsample([64]).sum().backward();
      expect(Number.isFinite(df.grad!.item() as number)).toBe(true);
      const t = tensor(0.5, o);
      new D.RelaxedOneHotCategorical(t, { logits: tensor([0.1, 0.2, 0.3]) }).rsample([8]).square().sum().backward();
      expect(Number.isFinite(t.grad!.item() as number)).toBe(true);
      // location: d/dloc of the draws' sum is the number of draws
      const loc = tensor([0, 0], o);
      new D.LowRankMultivariateNormal(
        loc,
        tensor([[1], [2]], { dtype: 'float64' }),
        tensor([1, 1], { dtype: 'float64' }),
      )
        .rsample([10])
        .sum()
        .backward();
      expect(loc.grad!.toArray()).toEqual([10, 10]);
      const L = tensor(
        [
          [1, 0],
          [0.5, 2],
        ],
        o,
      );
      new D.Wishart(4, { scaleTril: L }).rsample([4]).sum().backward();
      expect(L.grad!.isfinite().all().item()).toBe(true);
      expect(new D.VonMises(0, 1).hasRsample).toBe(false);
      expect(new D.LKJCholesky(3).hasRsample).toBe(false);
      // float32 draws: the all-zero first row is normalised by the dtype's smallest normal, not
      // Number.MIN_VALUE (0 in float32, which made that row NaN)
      const L32 = new D.LKJCholesky(3, 1).sample([20]);
      expect(L32.dtype).toBe('float32');
      expect(L32.isnan().any().item()).toBe(false);
      expect(L32.select(-2, 0).toArray()).toEqual(new Array(20).fill([1, 0, 0]));
    }));
});

describe('supports and checks', () => {
  it('values outside the support are refused, parameters are checked', () => {
    const e = tk.eye(2);
    expectTensorError(
      () => new D.ContinuousBernoulli({ probs: tensor(0.3) }).logProb(1.5),
      'INVALID_ARGUMENT',
      /ContinuousBernoulli.logProb: the value must be within the support \(Interval\(lowerBound=0, upperBound=1\)\), got 1.5/,
    );
    expectTensorError(() => new D.ContinuousBernoulli({ probs: tensor(1.2) }), 'INVALID_ARGUMENT', /probs must be in/);
    expectTensorError(
      () => new D.ContinuousBernoulli({ probs: tensor(0.2), lims: [0.6, 0.4] }),
      'INVALID_ARGUMENT',
      /lims must be two increasing/,
    );
    expectTensorError(() => new D.ContinuousBernoulli({}), 'INVALID_ARGUMENT', /exactly one of probs and logits/);
    expectTensorError(
      () => new D.FisherSnedecor(1, 2).logProb(-1),
      'INVALID_ARGUMENT',
      /support \(GreaterThan\(lowerBound=0\)\), got -1/,
    );
    expectTensorError(() => new D.FisherSnedecor(0, 2), 'INVALID_ARGUMENT', /df1 and df2 must be positive/);
    expectTensorError(() => new D.Kumaraswamy(-1, 2), 'INVALID_ARGUMENT', /concentrations must be positive/);
    expectTensorError(() => new D.VonMises(0, 0), 'INVALID_ARGUMENT', /concentration must be positive/);
    expectTensorError(
      () => new D.RelaxedBernoulli(0, { probs: tensor(0.5) }),
      'INVALID_ARGUMENT',
      /temperature must be positive/,
    );
    expectTensorError(
      () => new D.RelaxedBernoulli(1, { probs: tensor(0.5) }).logProb(2),
      'INVALID_ARGUMENT',
      /RelaxedBernoulli.logProb: the value must be within the support/,
    );
    expectTensorError(
      () => new D.LowRankMultivariateNormal(tk.zeros([3]), tk.ones([2, 1]), tk.ones([3])),
      'SHAPE_MISMATCH',
      /covFactor must be \[..., 3, rank\]/,
    );
    expectTensorError(
      () => new D.LowRankMultivariateNormal(tk.zeros([2, 3]), tk.ones([4, 3, 1]), tk.ones([3])),
      'SHAPE_MISMATCH',
      /do not broadcast/,
    );
    expectTensorError(
      () => new D.LowRankMultivariateNormal(tk.zeros([3]), tk.ones([3, 1]), tk.zeros([3])),
      'INVALID_ARGUMENT',
      /covDiag must be positive/,
    );
    expectTensorError(
      () => new D.Wishart(0.5, { covarianceMatrix: e }),
      'INVALID_ARGUMENT',
      /df must be greater than p - 1 = 1, got 0.5/,
    );
    expectTensorError(
      () => new D.Wishart(3, { covarianceMatrix: e, scaleTril: e }),
      'INVALID_ARGUMENT',
      /exactly one of covarianceMatrix/,
    );
    expectTensorError(
      () =>
        new D.Wishart(3, {
          covarianceMatrix: tensor([
            [1, 2],
            [2, 1],
          ]),
        }),
      'INVALID_ARGUMENT',
      /symmetric positive-definite/,
    );
    expectTensorError(
      () =>
        new D.Wishart(3, { covarianceMatrix: e }).logProb(
          tensor([
            [1, 2],
            [2, 1],
          ]),
        ),
      'INVALID_ARGUMENT',
      /Wishart.logProb: the value must be within the support \(PositiveDefinite\(\)\), got the event \[/,
    );
    expectTensorError(() => new D.LKJCholesky(1), 'INVALID_ARGUMENT', /dim/);
    expectTensorError(
      () =>
        new D.LKJCholesky(2).logProb(
          tensor([
            [1, 0],
            [1, 1],
          ]),
        ),
      'INVALID_ARGUMENT',
      /LKJCholesky.logProb: the value must be within the support/,
    );
    expectTensorError(
      () => new D.TransformedDistribution(new D.Normal(0, 1), new D.StickBreakingTransform()),
      'SHAPE_MISMATCH',
      /the transforms act on 1 dims, the base has shape \[\]/,
    );
  });
});
