// Each family's arg_constraints (torch's): the constraint of every parameter it takes, by the
// family's class name (a subclass without an entry takes its parent's). One table, so a new family
// adds one row; test/distributions-constraints.test.ts checks every row against torch 1.13's.
import * as C from './constraints.js';
import type { Constraint } from './constraints.js';

type Params = Record<string, Constraint>;
const PROBS: Params = { probs: C.unitInterval, logits: C.real };
const PROBS_VECTOR: Params = { probs: C.simplex, logits: C.independent(C.real, 1) };
const LOC_SCALE: Params = { loc: C.real, scale: C.positive };
const COVARIANCE: Params = {
  covarianceMatrix: C.positiveDefinite,
  precisionMatrix: C.positiveDefinite,
  scaleTril: C.lowerCholesky,
};

/** Family name to its parameters' constraints (a function where they depend on the instance). */
export const ARG_CONSTRAINTS: Record<string, Params | ((d: { eventShape: number[] }) => Params)> = {
  Bernoulli: PROBS,
  Beta: { concentration1: C.positive, concentration0: C.positive },
  Binomial: { totalCount: C.nonnegativeInteger, ...PROBS },
  Categorical: PROBS_VECTOR,
  Cauchy: LOC_SCALE,
  Chi2: { df: C.positive },
  ContinuousBernoulli: PROBS,
  Dirichlet: { concentration: C.independent(C.positive, 1) },
  Exponential: { rate: C.positive },
  FisherSnedecor: { df1: C.positive, df2: C.positive },
  Gamma: { concentration: C.positive, rate: C.positive },
  Geometric: PROBS,
  Gumbel: LOC_SCALE,
  HalfCauchy: { scale: C.positive },
  HalfNormal: { scale: C.positive },
  Independent: {},
  Kumaraswamy: { concentration1: C.positive, concentration0: C.positive },
  LKJCholesky: { concentration: C.positive },
  Laplace: LOC_SCALE,
  LogNormal: LOC_SCALE,
  LogisticNormal: LOC_SCALE,
  LogitRelaxedBernoulli: PROBS,
  ExpRelaxedCategorical: PROBS_VECTOR,
  LowRankMultivariateNormal: {
    loc: C.realVector,
    covFactor: C.independent(C.real, 2),
    covDiag: C.independent(C.positive, 1),
  },
  MixtureSameFamily: {},
  Multinomial: PROBS_VECTOR,
  MultivariateNormal: { loc: C.realVector, ...COVARIANCE },
  NegativeBinomial: { totalCount: C.nonnegative, probs: C.halfOpenInterval(0, 1), logits: C.real },
  Normal: LOC_SCALE,
  OneHotCategorical: PROBS_VECTOR,
  Pareto: { alpha: C.positive, scale: C.positive },
  Poisson: { rate: C.nonnegative },
  RelaxedBernoulli: PROBS,
  RelaxedOneHotCategorical: PROBS_VECTOR,
  StudentT: { df: C.positive, ...LOC_SCALE },
  TransformedDistribution: {},
  // the bounds constrain each other
  Uniform: {
    low: C.dependentWith({ isDiscrete: false, eventDim: 0 }),
    high: C.dependentWith({ isDiscrete: false, eventDim: 0 }),
  },
  VonMises: { loc: C.real, concentration: C.positive },
  Weibull: { scale: C.positive, concentration: C.positive },
  Wishart: (d) => ({ ...COVARIANCE, df: C.greaterThan(d.eventShape[0] - 1) }),
};
