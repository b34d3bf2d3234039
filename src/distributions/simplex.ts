// torch.distributions' families on the unit interval and the simplex: ContinuousBernoulli,
// Kumaraswamy, the relaxed (Gumbel-softmax / Concrete) Bernoulli and one-hot categorical with
// their logit- and log-space bases, and LogisticNormal. Each formula is torch's;
// test/distributions-rest.test.ts checks them against PyTorch's values.
import { tidy } from '../memory.js';
import { fail } from '../errors.js';
import { full, rand } from '../ops/creation.js';
import { where } from '../ops/functional.js';
import { checkOptions, describe } from '../options.js';
import { Tensor } from '../tensor.js';
import * as constraints from './constraints.js';
import type { Constraint } from './constraints.js';
import { broadcastParams, check, Distribution, epsOf, optsOf, param, softplus } from './base.js';
import {
  Categorical,
  Independent,
  Normal,
  probsOrLogits,
  probsToLogits,
  registerKl,
  Uniform,
  type ProbsOrLogits,
} from './core.js';
import {
  AffineTransform,
  ExpTransform,
  PowerTransform,
  SigmoidTransform,
  StickBreakingTransform,
  TransformedDistribution,
} from './transforms.js';

const EULER = 0.5772156649015329;
// torch's clamp_probs: into [eps, 1 - eps] of the dtype.
const clampProbs = (p: Tensor) => p.clamp(epsOf(p), 1 - epsOf(p));

/** Options of ContinuousBernoulli: probs or logits, and the band about 1/2 where Taylor series are used. */
export interface ContinuousBernoulliOptions extends ProbsOrLogits {
  /** Where probs lies in (lims[0], lims[1]], the normaliser and moments are Taylor series about 1/2. Default [0.499, 0.501]. */
  lims?: [number, number];
}

/**
 * The continuous Bernoulli on [0, 1] (Loaiza-Ganem and Cunningham, 2019): density proportional to
 * p^x (1 - p)^(1 - x), the likelihood for [0, 1]-valued data (a VAE's pixels) that Bernoulli is
 * not. Reparameterised samples by the inverse cdf.
 * @example new distributions.ContinuousBernoulli({ logits: decoder.call(z) }).logProb(pixels)
 */
export class ContinuousBernoulli extends Distribution {
  /** The parameter p, clamped into [eps, 1 - eps]. */
  readonly probs: Tensor;
  /** log(p / (1 - p)). */
  readonly logits: Tensor;
  readonly lims: [number, number];
  constructor(options: ContinuousBernoulliOptions) {
    const name = 'ContinuousBernoulli';
    const { lims, ...rest } = checkOptions(name, options, { probs: 'any', logits: 'any', lims: 'any' });
    const o = probsOrLogits(name, rest);
    if (
      lims !== undefined &&
      !(Array.isArray(lims) && lims.length === 2 && lims[0] < lims[1] && lims.every(Number.isFinite))
    )
      fail('INVALID_ARGUMENT', `${name}: lims must be two increasing finite numbers, got ${describe(lims)}`);
    super((o.probs ?? o.logits)!.shape);
    if (o.probs) check(name, o.probs.ge(0).logicalAnd(o.probs.le(1)), 'probs must be in [0, 1]');
    this.lims = lims ? [lims[0], lims[1]] : [0.499, 0.501];
    this.probs = tidy(() => clampProbs(o.probs ?? o.logits!.sigmoid()));
    this.logits = o.logits ?? tidy(() => probsToLogits(this.probs, true));
  }
  override get hasRsample() {
    return true;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => this.icdf(rand([...sampleShape, ...this.batchShape], optsOf(this.probs))));
  }
  override get support(): Constraint {
    return constraints.unitInterval;
  }
  // Where probs is far enough from 1/2 for the closed forms.
  private outside(): Tensor {
    return this.probs.le(this.lims[0]).logicalOr(this.probs.gt(this.lims[1]));
  }
  // probs, or lims[0] inside the band (so the closed forms' unused branch stays finite).
  private cut(): Tensor {
    return where(this.outside(), this.probs, this.lims[0]);
  }
  /** @internal The log normaliser log C(p). */
  logNorm(): Tensor {
    return tidy(() => {
      const c = this.cut();
      const below = where(c.le(0.5), c, 0);
      const above = where(c.ge(0.5), c, 1);
      const closed = c
        .neg()
        .log1p()
        .sub(c.log())
        .abs()
        .log()
        .sub(where(c.le(0.5), below.mul(-2).log1p(), above.mul(2).sub(1).log()));
      const x = this.probs.sub(0.5).square();
      const taylor = x
        .mul(104 / 45)
        .add(4 / 3)
        .mul(x)
        .add(Math.LN2);
      return where(this.outside(), closed, taylor);
    });
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.probs, 'logProb');
    return tidy(() => {
      const l = this.logits; // -BCEWithLogits(l, x), the stable form
      return l.mul(x).sub(l.clamp(0, null)).sub(l.abs().neg().exp().log1p()).add(this.logNorm());
    });
  }
  override get mean(): Tensor {
    return tidy(() => {
      const c = this.cut();
      const closed = c.div(c.mul(2).sub(1)).add(c.neg().log1p().sub(c.log()).reciprocal());
      const x = this.probs.sub(0.5);
      const taylor = x
        .square()
        .mul(16 / 45)
        .add(1 / 3)
        .mul(x)
        .add(0.5);
      return where(this.outside(), closed, taylor);
    });
  }
  override get variance(): Tensor {
    return tidy(() => {
      const c = this.cut();
      const closed = c
        .mul(c.sub(1))
        .div(c.mul(-2).add(1).square())
        .add(c.neg().log1p().sub(c.log()).square().reciprocal());
      const x = this.probs.sub(0.5).square();
      const taylor = x
        .mul(128 / 945)
        .sub(1 / 15)
        .mul(x)
        .add(1 / 12);
      return where(this.outside(), closed, taylor);
    });
  }
  override cdf(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.probs, 'cdf');
    return tidy(() => {
      const c = this.cut();
      const closed = c
        .pow(x)
        .mul(c.neg().add(1).pow(x.neg().add(1)))
        .add(c)
        .sub(1)
        .div(c.mul(2).sub(1));
      const inner = where(this.outside(), closed, x);
      return where(x.le(0), 0, where(x.ge(1), 1, inner));
    });
  }
  override icdf(p: Tensor | number): Tensor {
    const u = this.valueOf(p, this.probs);
    return tidy(() => {
      const c = this.cut();
      const l1 = c.neg().log1p();
      const closed = c
        .neg()
        .add(u.mul(c.mul(2).sub(1)))
        .log1p()
        .sub(l1)
        .div(c.log().sub(l1));
      return where(this.outside(), closed, u);
    });
  }
  override entropy(): Tensor {
    return tidy(() => {
      const l0 = this.probs.neg().log1p();
      return this.mean.mul(l0.sub(this.probs.log())).sub(this.logNorm()).sub(l0);
    });
  }
}

registerKl(ContinuousBernoulli, ContinuousBernoulli, (p, q) =>
  p.mean
    .mul(p.logits.sub(q.logits))
    .add(p.logNorm())
    .add(p.probs.neg().log1p())
    .sub(q.logNorm())
    .sub(q.probs.neg().log1p()),
);

// The n-th raw moment of Kumaraswamy(a, b): b B(1 + n/a, b).
const kumaraswamyMoment = (a: Tensor, b: Tensor, n: number) =>
  tidy(() => {
    const arg = a.reciprocal().mul(n).add(1);
    return b.mul(arg.lgamma().add(b.lgamma()).sub(arg.add(b).lgamma()).exp());
  });

/**
 * Kumaraswamy(a, b) on (0, 1), a Beta look-alike with a closed-form cdf: U^(1/b) of a uniform,
 * through 1 - x and x^(1/a) (torch's construction).
 * @example new distributions.Kumaraswamy(2, 5).rsample([8])
 */
export class Kumaraswamy extends TransformedDistribution {
  /** a (torch's concentration1). */
  readonly concentration1: Tensor;
  /** b (torch's concentration0). */
  readonly concentration0: Tensor;
  constructor(concentration1: Tensor | number, concentration0: Tensor | number) {
    const name = 'Kumaraswamy';
    const {
      ps: [a, b],
    } = broadcastParams(
      name,
      param(name, 'concentration1', concentration1),
      param(name, 'concentration0', concentration0),
    );
    check(name, a.gt(0).logicalAnd(b.gt(0)), 'concentrations must be positive');
    super(new Uniform(full(b.shape, 0, optsOf(b)), full(b.shape, 1, optsOf(b))), [
      new PowerTransform(tidy(() => b.reciprocal())),
      new AffineTransform(1, -1),
      new PowerTransform(tidy(() => a.reciprocal())),
    ]);
    [this.concentration1, this.concentration0] = [a, b];
  }
  override get support(): Constraint {
    return constraints.unitInterval;
  }
  /** ((a - 1) / (ab - 1))^(1/a); NaN where a < 1 or b < 1. (torch 1.13's own formula takes log1p(-b) and is NaN for every b > 1.) */
  override get mode(): Tensor {
    return tidy(() => {
      const [a, b] = [this.concentration1, this.concentration0];
      const m = a.sub(1).div(a.mul(b).sub(1)).pow(a.reciprocal());
      return where(a.lt(1).logicalOr(b.lt(1)), NaN, m);
    });
  }
  override get mean(): Tensor {
    return kumaraswamyMoment(this.concentration1, this.concentration0, 1);
  }
  override get variance(): Tensor {
    return tidy(() =>
      kumaraswamyMoment(this.concentration1, this.concentration0, 2).sub(
        kumaraswamyMoment(this.concentration1, this.concentration0, 1).square(),
      ),
    );
  }
  override entropy(): Tensor {
    return tidy(() => {
      const [a, b] = [this.concentration1, this.concentration0];
      const t1 = a.reciprocal().neg().add(1);
      const t0 = b.reciprocal().neg().add(1);
      return t0
        .add(t1.mul(b.add(1).digamma().add(EULER)))
        .sub(a.log())
        .sub(b.log());
    });
  }
}

// The temperature: a positive floating tensor.
function temperatureOf(name: string, t: unknown): Tensor {
  const temp = param(name, 'temperature', t);
  check(name, temp.gt(0), 'temperature must be positive');
  return temp;
}

/**
 * The logit of a RelaxedBernoulli draw (torch's LogitRelaxedBernoulli): the logistic
 * (logits + logistic noise) / temperature on the real line.
 * @example new distributions.LogitRelaxedBernoulli(0.5, { probs }).rsample()
 */
export class LogitRelaxedBernoulli extends Distribution {
  readonly temperature: Tensor;
  readonly logits: Tensor;
  constructor(temperature: Tensor | number, options: ProbsOrLogits) {
    const name = 'LogitRelaxedBernoulli';
    const temp = temperatureOf(name, temperature);
    const o = probsOrLogits(name, options);
    super((o.probs ?? o.logits)!.shape);
    if (o.probs) check(name, o.probs.ge(0).logicalAnd(o.probs.le(1)), 'probs must be in [0, 1]');
    this.temperature = temp;
    this.logits = o.logits ?? tidy(() => probsToLogits(o.probs!, true));
  }
  /** sigmoid(logits). */
  get probs(): Tensor {
    return this.logits.sigmoid();
  }
  override get hasRsample() {
    return true;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const shape = [...sampleShape, ...this.batchShape];
      const p = clampProbs(this.probs.expand(shape));
      const u = clampProbs(rand(shape, optsOf(p)));
      return u.log().sub(u.neg().log1p()).add(p.log()).sub(p.neg().log1p()).div(this.temperature);
    });
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.logits, 'logProb');
    return tidy(() => {
      const diff = this.logits.sub(x.mul(this.temperature));
      return this.temperature.log().add(diff).sub(softplus(diff).mul(2));
    });
  }
}

/**
 * The relaxed Bernoulli (Concrete, Gumbel-sigmoid; Maddison et al., Jang et al. 2017): values in
 * (0, 1) with reparameterised draws that approach Bernoulli's as the temperature falls.
 * @example const gate = new distributions.RelaxedBernoulli(0.3, { logits }).rsample()
 */
export class RelaxedBernoulli extends TransformedDistribution {
  constructor(temperature: Tensor | number, options: ProbsOrLogits) {
    super(new LogitRelaxedBernoulli(temperature, options), new SigmoidTransform());
  }
  private get logit(): LogitRelaxedBernoulli {
    return this.baseDist as LogitRelaxedBernoulli;
  }
  /** The relaxation temperature. */
  get temperature(): Tensor {
    return this.logit.temperature;
  }
  /** The log-odds of 1. */
  get logits(): Tensor {
    return this.logit.logits;
  }
  /** The probability of 1. */
  get probs(): Tensor {
    return this.logit.probs;
  }
  override get support(): Constraint {
    return constraints.unitInterval;
  }
  override logProb(value: Tensor | number): Tensor {
    return super.logProb(this.sampleOf(value, this.logits, 'logProb'));
  }
}

/**
 * The log of a RelaxedOneHotCategorical draw (torch's ExpRelaxedCategorical): log-softmax of
 * (logits + Gumbel noise) / temperature over the last dim.
 * @example new distributions.ExpRelaxedCategorical(1, { logits }).rsample()
 */
export class ExpRelaxedCategorical extends Distribution {
  readonly temperature: Tensor;
  private readonly categorical: Categorical;
  constructor(temperature: Tensor | number, options: ProbsOrLogits) {
    const name = 'ExpRelaxedCategorical';
    const temp = temperatureOf(name, temperature);
    const c = new Categorical(probsOrLogits(name, options));
    super(c.batchShape, [c.numCategories]);
    this.temperature = temp;
    this.categorical = c;
  }
  override get support(): Constraint {
    return constraints.realVector;
  }
  /** The normalised log-probabilities. */
  get logits(): Tensor {
    return this.categorical.logits;
  }
  /** The normalised probabilities. */
  get probs(): Tensor {
    return this.categorical.probs;
  }
  override get hasRsample() {
    return true;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const u = clampProbs(rand([...sampleShape, ...this.batchShape, ...this.eventShape], optsOf(this.logits)));
      const scores = this.logits.sub(u.log().neg().log()).div(this.temperature);
      return scores.sub(scores.logsumexp(-1, { keepdim: true }));
    });
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.logits, 'logProb');
    const k = this.eventShape[0];
    return tidy(() => {
      // log Gamma(K) + (K - 1) log T, then the log-softmax of logits - T x summed
      const logScale = this.temperature
        .log()
        .mul(k - 1)
        .add(lgammaOf(k));
      const score = this.logits.sub(x.mul(this.temperature));
      return score
        .sub(score.logsumexp(-1, { keepdim: true }))
        .sum(-1)
        .add(logScale);
    });
  }
}
// log Gamma(k) for a positive integer k: log (k - 1)!.
const lgammaOf = (k: number) => {
  let s = 0;
  for (let i = 2; i < k; i++) s += Math.log(i);
  return s;
};

/**
 * The relaxed one-hot categorical (Gumbel-softmax; Jang et al., Maddison et al. 2017): points of
 * the simplex with reparameterised draws that approach one-hot vectors as the temperature falls.
 * @example const y = new distributions.RelaxedOneHotCategorical(0.5, { logits }).rsample()
 */
export class RelaxedOneHotCategorical extends TransformedDistribution {
  constructor(temperature: Tensor | number, options: ProbsOrLogits) {
    super(new ExpRelaxedCategorical(temperature, options), new ExpTransform());
  }
  override get support(): Constraint {
    return constraints.simplex;
  }
  private get exp(): ExpRelaxedCategorical {
    return this.baseDist as ExpRelaxedCategorical;
  }
  /** The relaxation temperature. */
  get temperature(): Tensor {
    return this.exp.temperature;
  }
  /** The normalised log-probabilities. */
  get logits(): Tensor {
    return this.exp.logits;
  }
  /** The normalised probabilities. */
  get probs(): Tensor {
    return this.exp.probs;
  }
}

/**
 * The logistic normal on the K-simplex: a Normal over K - 1 coordinates through stick breaking
 * (torch's LogisticNormal; event shape [K]).
 * @example new distributions.LogisticNormal(zeros([3]), ones([3])).sample() // 4 shares summing to 1
 */
export class LogisticNormal extends TransformedDistribution {
  constructor(loc: Tensor | number, scale: Tensor | number) {
    const base = new Normal(loc, scale);
    // a scalar Normal is taken as one coordinate (two categories), as torch's expand([1])
    super(base.batchShape.length ? base : new Normal(base.loc.reshape([1]), base.scale.reshape([1])), [
      new StickBreakingTransform(),
    ]);
  }
  override get support(): Constraint {
    return constraints.simplex;
  }
  private get normal(): Normal {
    return (this.baseDist as Independent).base as Normal;
  }
  /** The underlying Normal's location (K - 1 coordinates). */
  get loc(): Tensor {
    return this.normal.loc;
  }
  /** The underlying Normal's scale. */
  get scale(): Tensor {
    return this.normal.scale;
  }
}
