/**
 * Probability distributions, as torch.distributions: parameters as tensors (broadcast together),
 * `sample`/`rsample` (reparameterised, so gradients flow to the parameters), `logProb`,
 * `entropy`, `mean`/`variance`/`stddev`, `cdf`/`icdf` where closed forms exist, `Independent`
 * to treat batch dims as event dims, and `klDivergence` for the pairs with a closed form. Each
 * formula is torch's; values are checked against PyTorch's in test/distributions.test.ts.
 * @example
 * const pi = new distributions.Categorical({ logits: policy.call(obs) });
 * const a = pi.sample();
 * const loss = pi.logProb(a).mul(advantage).mean().neg();
 * @module distributions
 */
export {
  Bernoulli,
  Beta,
  Categorical,
  Dirichlet,
  Distribution,
  Exponential,
  Gamma,
  Independent,
  klDivergence,
  registerKl,
  Laplace,
  MultivariateNormal,
  Normal,
  Poisson,
  Uniform,
  type DistributionClass,
  type MultivariateNormalOptions,
  type ProbsOrLogits,
} from './core.js';
export * from './more.js';
export * from './transforms.js';
export * from './simplex.js';
export * from './matrix.js';
export * from './univariate.js';
export * from './transforms_more.js';
export * from './transforms_cat.js';
export * from './constraint_registry.js';
export * as constraints from './constraints.js';
