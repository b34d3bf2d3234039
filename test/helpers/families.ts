// One instance of every distribution family (batch []), built as scripts/fixtures/
// torch_constraints.py builds torch's: shared by the supports and expand tests.
import * as tk from '../../src/index.js';
import { distributions as D, tensor } from '../../src/index.js';

/** Family name (torch's, or Transformed* for TransformedDistribution cases) to a fresh instance. */
export const FAMILIES: Record<string, () => D.Distribution> = {
  Normal: () => new D.Normal(0, 1),
  Uniform: () => new D.Uniform(0, 2),
  Exponential: () => new D.Exponential(1),
  Laplace: () => new D.Laplace(0, 1),
  Bernoulli: () => new D.Bernoulli({ probs: tensor(0.3) }),
  Categorical: () => new D.Categorical({ logits: tk.zeros([4]) }),
  Gamma: () => new D.Gamma(2, 1),
  Beta: () => new D.Beta(2, 3),
  Poisson: () => new D.Poisson(tensor(2)),
  Dirichlet: () => new D.Dirichlet(tk.ones([3])),
  MultivariateNormal: () => new D.MultivariateNormal(tk.zeros([3]), { covarianceMatrix: tk.eye(3) }),
  LogNormal: () => new D.LogNormal(0, 1),
  HalfNormal: () => new D.HalfNormal(1),
  Cauchy: () => new D.Cauchy(0, 1),
  HalfCauchy: () => new D.HalfCauchy(1),
  Gumbel: () => new D.Gumbel(0, 1),
  Weibull: () => new D.Weibull(1, 2),
  Pareto: () => new D.Pareto(1, 2),
  StudentT: () => new D.StudentT(3),
  Chi2: () => new D.Chi2(3),
  Geometric: () => new D.Geometric({ probs: tensor(0.3) }),
  Binomial: () => new D.Binomial(5, { probs: tensor(0.3) }),
  NegativeBinomial: () => new D.NegativeBinomial(5, { probs: tensor(0.3) }),
  OneHotCategorical: () => new D.OneHotCategorical({ logits: tk.zeros([3]) }),
  Multinomial: () => new D.Multinomial(4, { logits: tk.zeros([3]) }),
  ContinuousBernoulli: () => new D.ContinuousBernoulli({ probs: tensor(0.3) }),
  Kumaraswamy: () => new D.Kumaraswamy(2, 3),
  LogitRelaxedBernoulli: () => new D.LogitRelaxedBernoulli(0.5, { probs: tensor(0.3) }),
  RelaxedBernoulli: () => new D.RelaxedBernoulli(0.5, { probs: tensor(0.3) }),
  ExpRelaxedCategorical: () => new D.ExpRelaxedCategorical(0.5, { logits: tk.zeros([3]) }),
  RelaxedOneHotCategorical: () => new D.RelaxedOneHotCategorical(0.5, { logits: tk.zeros([3]) }),
  LogisticNormal: () => new D.LogisticNormal(tk.zeros([2]), tk.ones([2])),
  LowRankMultivariateNormal: () => new D.LowRankMultivariateNormal(tk.zeros([3]), tk.ones([3, 1]), tk.ones([3])),
  Wishart: () => new D.Wishart(5, { covarianceMatrix: tk.eye(3) }),
  LKJCholesky: () => new D.LKJCholesky(3, 1),
  FisherSnedecor: () => new D.FisherSnedecor(3, 4),
  VonMises: () => new D.VonMises(0, 1),
  OneHotCategoricalStraightThrough: () => new D.OneHotCategoricalStraightThrough({ logits: tk.zeros([3]) }),
  Independent: () => new D.Independent(new D.Normal(tk.zeros([2, 3]), 1), 1),
  MixtureSameFamily: () =>
    new D.MixtureSameFamily(new D.Categorical({ logits: tk.zeros([2]) }), new D.Normal(tk.zeros([2]), 1)),
  TransformedExp: () => new D.TransformedDistribution(new D.Normal(0, 1), [new D.ExpTransform()]),
  TransformedStick: () =>
    new D.TransformedDistribution(new D.Normal(tk.zeros([3]), 1), [new D.StickBreakingTransform()]),
  TransformedAffineVector: () =>
    new D.TransformedDistribution(new D.MultivariateNormal(tk.zeros([3]), { covarianceMatrix: tk.eye(3) }), [
      new D.AffineTransform(0, 2),
    ]),
};
