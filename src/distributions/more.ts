// The rest of torch.distributions' univariate families and the count vectors: LogNormal,
// HalfNormal, Cauchy, HalfCauchy, Gumbel, Weibull, Pareto, Chi2, StudentT (continuous, all with
// rsample), Geometric, Binomial, NegativeBinomial, OneHotCategorical and Multinomial, and
// MixtureSameFamily. Each formula is torch's (its transformed distributions written out in closed
// form); test/distributions-more.test.ts checks them against PyTorch's values.
import { noGrad } from '../autograd.js';
import { tidy } from '../memory.js';
import { arange, eye, full, rand, randn, zerosLike } from '../ops/creation.js';
import { where } from '../ops/functional.js';
import { binomial, poisson } from '../ops/random.js';
import { fail } from '../errors.js';
import { describe, intAtLeast } from '../options.js';
import { oneHot } from '../nn/functional_misc.js';
import { Tensor } from '../tensor.js';
import { broadcastParams, check, Distribution, optsOf, param, tinyOf, validating } from './base.js';
import * as constraints from './constraints.js';
import type { Constraint } from './constraints.js';
import {
  Categorical,
  Gamma,
  klDivergence,
  Normal,
  probsOrLogits,
  probsToLogits,
  registerKl,
  type ProbsOrLogits,
} from './core.js';

const EULER = 0.5772156649015329;
const LOG2 = Math.LN2;
// Uniform draws in (0, 1): the tiniest positive value instead of 0, so logs stay finite.
const openUniform = (shape: number[], like: Tensor) => rand(shape, optsOf(like)).clamp(tinyOf(like), null);

/** exp(X) for X ~ Normal(loc, scale). @example new distributions.LogNormal(0, 1).sample([3]) */
export class LogNormal extends Distribution {
  readonly loc: Tensor;
  readonly scale: Tensor;
  private readonly base: Normal;
  constructor(loc: Tensor | number, scale: Tensor | number) {
    const base = new Normal(loc, scale);
    super(base.batchShape);
    this.base = base;
    [this.loc, this.scale] = [base.loc, base.scale];
  }
  override get hasRsample() {
    return true;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => this.base.rsample(sampleShape).exp());
  }
  override get support(): Constraint {
    return constraints.positive;
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.loc, 'logProb');
    return tidy(() => this.base.logProb(x.log()).sub(x.log()));
  }
  override entropy(): Tensor {
    return tidy(() => this.base.entropy().add(this.loc));
  }
  /** exp(loc - scale^2). */
  override get mode(): Tensor {
    return tidy(() => this.loc.sub(this.scale.square()).exp());
  }
  override get mean(): Tensor {
    return tidy(() => this.loc.add(this.scale.square().div(2)).exp());
  }
  override get variance(): Tensor {
    return tidy(() => {
      const s2 = this.scale.square();
      return s2.expm1().mul(this.loc.mul(2).add(s2).exp());
    });
  }
  override cdf(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.loc, 'cdf');
    return tidy(() => this.base.cdf(x.log()));
  }
  override icdf(p: Tensor | number): Tensor {
    return tidy(() => this.base.icdf(p).exp());
  }
}

// |X| of a location-0 distribution symmetric about 0: density doubled on x >= 0.
abstract class Folded extends Distribution {
  protected constructor(protected readonly base: Distribution & { scale: Tensor }) {
    super(base.batchShape);
  }
  /** The scale of the distribution folded. */
  get scale(): Tensor {
    return this.base.scale;
  }
  override get hasRsample() {
    return true;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => this.base.rsample(sampleShape).abs());
  }
  override get support(): Constraint {
    return constraints.nonnegative;
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.scale, 'logProb');
    return tidy(() => where(x.ge(0), this.base.logProb(x).add(LOG2), full([], -Infinity, optsOf(this.scale))));
  }
  override entropy(): Tensor {
    return tidy(() => this.base.entropy().sub(LOG2));
  }
  override cdf(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.scale, 'cdf');
    return tidy(() => this.base.cdf(x).mul(2).sub(1));
  }
  override icdf(p: Tensor | number): Tensor {
    const q = this.valueOf(p, this.scale);
    return tidy(() => this.base.icdf(q.add(1).div(2)));
  }
}

/** |X| for X ~ Normal(0, scale). @example new distributions.HalfNormal(2) */
export class HalfNormal extends Folded {
  constructor(scale: Tensor | number) {
    super(new Normal(0, param('HalfNormal', 'scale', scale)));
  }
  /** The mode: 0. */
  override get mode(): Tensor {
    return zerosLike(this.scale);
  }
  override get mean(): Tensor {
    return tidy(() => this.scale.mul(Math.sqrt(2 / Math.PI)));
  }
  override get variance(): Tensor {
    return tidy(() => this.scale.square().mul(1 - 2 / Math.PI));
  }
}

/** The Cauchy (Lorentz) distribution: no mean (NaN) and an infinite variance, as torch's. */
export class Cauchy extends Distribution {
  readonly loc: Tensor;
  readonly scale: Tensor;
  constructor(loc: Tensor | number, scale: Tensor | number) {
    const b = broadcastParams('Cauchy', param('Cauchy', 'loc', loc), param('Cauchy', 'scale', scale));
    super(b.shape);
    [this.loc, this.scale] = b.ps;
    check('Cauchy', this.scale.gt(0), 'scale must be positive');
  }
  override get hasRsample() {
    return true;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const u = rand([...sampleShape, ...this.batchShape], optsOf(this.loc));
      return u.sub(0.5).mul(Math.PI).tan().mul(this.scale).add(this.loc);
    });
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.loc, 'logProb');
    return tidy(() =>
      x.sub(this.loc).div(this.scale).square().log1p().add(this.scale.log()).add(Math.log(Math.PI)).neg(),
    );
  }
  override entropy(): Tensor {
    return tidy(() => this.scale.log().add(Math.log(4 * Math.PI)));
  }
  /** The mode: loc. */
  override get mode(): Tensor {
    return this.loc.clone();
  }
  override get mean(): Tensor {
    return full(this.batchShape, NaN, optsOf(this.loc));
  }
  override get variance(): Tensor {
    return full(this.batchShape, Infinity, optsOf(this.loc));
  }
  override cdf(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.loc, 'cdf');
    return tidy(() => x.sub(this.loc).div(this.scale).atan().div(Math.PI).add(0.5));
  }
  override icdf(p: Tensor | number): Tensor {
    const q = this.valueOf(p, this.loc);
    return tidy(() => q.sub(0.5).mul(Math.PI).tan().mul(this.scale).add(this.loc));
  }
}

/** |X| for X ~ Cauchy(0, scale). @example new distributions.HalfCauchy(1) */
export class HalfCauchy extends Folded {
  constructor(scale: Tensor | number) {
    super(new Cauchy(0, param('HalfCauchy', 'scale', scale)));
  }
  /** The mode: 0. */
  override get mode(): Tensor {
    return zerosLike(this.scale);
  }
  override get mean(): Tensor {
    return full(this.batchShape, Infinity, optsOf(this.scale));
  }
  override get variance(): Tensor {
    return full(this.batchShape, Infinity, optsOf(this.scale));
  }
}

/** The Gumbel (type-I extreme value) distribution. @example new distributions.Gumbel(0, 1) */
export class Gumbel extends Distribution {
  readonly loc: Tensor;
  readonly scale: Tensor;
  constructor(loc: Tensor | number, scale: Tensor | number) {
    const b = broadcastParams('Gumbel', param('Gumbel', 'loc', loc), param('Gumbel', 'scale', scale));
    super(b.shape);
    [this.loc, this.scale] = b.ps;
    check('Gumbel', this.scale.gt(0), 'scale must be positive');
  }
  override get hasRsample() {
    return true;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const u = openUniform([...sampleShape, ...this.batchShape], this.loc);
      return this.loc.sub(u.log().neg().log().mul(this.scale));
    });
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.loc, 'logProb');
    return tidy(() => {
      const y = this.loc.sub(x).div(this.scale);
      return y.sub(y.exp()).sub(this.scale.log());
    });
  }
  override entropy(): Tensor {
    return tidy(() => this.scale.log().add(1 + EULER));
  }
  /** The mode: loc. */
  override get mode(): Tensor {
    return this.loc.clone();
  }
  override get mean(): Tensor {
    return tidy(() => this.loc.add(this.scale.mul(EULER)));
  }
  override get variance(): Tensor {
    return tidy(() => this.scale.square().mul((Math.PI * Math.PI) / 6));
  }
  override cdf(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.loc, 'cdf');
    return tidy(() => x.sub(this.loc).div(this.scale).neg().exp().neg().exp());
  }
  override icdf(p: Tensor | number): Tensor {
    const q = this.valueOf(p, this.loc);
    return tidy(() => this.loc.sub(q.log().neg().log().mul(this.scale)));
  }
}

/** The Weibull distribution with scale λ and concentration k. @example new distributions.Weibull(1, 1.5) */
export class Weibull extends Distribution {
  readonly scale: Tensor;
  readonly concentration: Tensor;
  constructor(scale: Tensor | number, concentration: Tensor | number) {
    const b = broadcastParams(
      'Weibull',
      param('Weibull', 'scale', scale),
      param('Weibull', 'concentration', concentration),
    );
    super(b.shape);
    [this.scale, this.concentration] = b.ps;
    check('Weibull', this.scale.gt(0).logicalAnd(this.concentration.gt(0)), 'scale and concentration must be positive');
  }
  override get hasRsample() {
    return true;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const e = openUniform([...sampleShape, ...this.batchShape], this.scale)
        .log()
        .neg(); // Exponential(1)
      return e.pow(this.concentration.reciprocal()).mul(this.scale);
    });
  }
  override get support(): Constraint {
    return constraints.positive;
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.scale, 'logProb');
    return tidy(() => {
      const k = this.concentration,
        z = x.div(this.scale);
      return k.div(this.scale).log().add(k.sub(1).mul(z.log())).sub(z.pow(k));
    });
  }
  override entropy(): Tensor {
    return tidy(() => {
      const k = this.concentration;
      return k.reciprocal().neg().add(1).mul(EULER).add(this.scale.div(k).log()).add(1);
    });
  }
  /**
   * scale ((k - 1) / k)^(1/k), and 0 where k <= 1 (the density is largest at 0). torch 1.13 takes
   * the power of the negative base there: NaN, or scale itself at k = 1/2.
   */
  override get mode(): Tensor {
    return tidy(() => {
      const k = this.concentration;
      return where(k.gt(1), k.sub(1).div(k).pow(k.reciprocal()).mul(this.scale), 0);
    });
  }
  override get mean(): Tensor {
    return tidy(() => this.concentration.reciprocal().add(1).lgamma().exp().mul(this.scale));
  }
  override get variance(): Tensor {
    return tidy(() => {
      const k = this.concentration;
      return this.scale
        .square()
        .mul(k.reciprocal().mul(2).add(1).lgamma().exp().sub(k.reciprocal().add(1).lgamma().mul(2).exp()));
    });
  }
  override cdf(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.scale, 'cdf');
    return tidy(() => x.div(this.scale).pow(this.concentration).neg().expm1().neg());
  }
  override icdf(p: Tensor | number): Tensor {
    const q = this.valueOf(p, this.scale);
    return tidy(() => q.neg().log1p().neg().pow(this.concentration.reciprocal()).mul(this.scale));
  }
}

/** The Pareto (type I) distribution on [scale, inf). @example new distributions.Pareto(1, 3) */
export class Pareto extends Distribution {
  readonly scale: Tensor;
  readonly alpha: Tensor;
  constructor(scale: Tensor | number, alpha: Tensor | number) {
    const b = broadcastParams('Pareto', param('Pareto', 'scale', scale), param('Pareto', 'alpha', alpha));
    super(b.shape);
    [this.scale, this.alpha] = b.ps;
    check('Pareto', this.scale.gt(0).logicalAnd(this.alpha.gt(0)), 'scale and alpha must be positive');
  }
  override get hasRsample() {
    return true;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const e = openUniform([...sampleShape, ...this.batchShape], this.scale)
        .log()
        .neg()
        .div(this.alpha);
      return e.exp().mul(this.scale);
    });
  }
  override get support(): Constraint {
    return constraints.greaterThanEq(this.scale);
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.scale, 'logProb');
    return tidy(() =>
      this.alpha
        .log()
        .sub(this.alpha.mul(x.div(this.scale).log()))
        .sub(x.log()),
    );
  }
  override entropy(): Tensor {
    return tidy(() => this.scale.div(this.alpha).log().add(this.alpha.reciprocal()).add(1));
  }
  /** The mode: scale. */
  override get mode(): Tensor {
    return this.scale.clone();
  }
  override get mean(): Tensor {
    return tidy(() => {
      const a = this.alpha.clamp(1, null);
      return a.mul(this.scale).div(a.sub(1));
    });
  }
  override get variance(): Tensor {
    return tidy(() => {
      const a = this.alpha.clamp(2, null);
      return this.scale
        .square()
        .mul(a)
        .div(a.sub(1).square().mul(a.sub(2)));
    });
  }
  override cdf(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.scale, 'cdf');
    return tidy(() => this.scale.div(x).pow(this.alpha).neg().add(1));
  }
  override icdf(p: Tensor | number): Tensor {
    const q = this.valueOf(p, this.scale);
    return tidy(() => q.neg().log1p().div(this.alpha).neg().exp().mul(this.scale));
  }
}

/** The chi-squared distribution with df degrees of freedom: Gamma(df / 2, 1 / 2). */
export class Chi2 extends Gamma {
  constructor(df: Tensor | number) {
    const d = param('Chi2', 'df', df);
    super(
      tidy(() => d.mul(0.5)),
      tidy(() => zerosLike(d).add(0.5)),
    );
  }
  /** The degrees of freedom. */
  get df(): Tensor {
    return tidy(() => this.concentration.mul(2));
  }
}

/** Student's t with df degrees of freedom, location and scale. @example new distributions.StudentT(3) */
export class StudentT extends Distribution {
  readonly df: Tensor;
  readonly loc: Tensor;
  readonly scale: Tensor;
  private readonly chi2: Chi2;
  constructor(df: Tensor | number, loc: Tensor | number = 0, scale: Tensor | number = 1) {
    const b = broadcastParams(
      'StudentT',
      param('StudentT', 'df', df),
      param('StudentT', 'loc', loc),
      param('StudentT', 'scale', scale),
    );
    super(b.shape);
    [this.df, this.loc, this.scale] = b.ps;
    check('StudentT', this.df.gt(0).logicalAnd(this.scale.gt(0)), 'df and scale must be positive');
    this.chi2 = new Chi2(this.df);
  }
  override get hasRsample() {
    return true;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const x = randn([...sampleShape, ...this.batchShape], optsOf(this.df));
      const z = this.chi2.rsample(sampleShape);
      return x.mul(z.div(this.df).rsqrt()).mul(this.scale).add(this.loc);
    });
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.loc, 'logProb');
    return tidy(() => {
      const df = this.df,
        y = x.sub(this.loc).div(this.scale);
      const z = this.scale
        .log()
        .add(df.log().mul(0.5))
        .add(0.5 * Math.log(Math.PI))
        .add(df.mul(0.5).lgamma())
        .sub(df.add(1).mul(0.5).lgamma());
      return df.add(1).mul(-0.5).mul(y.square().div(df).log1p()).sub(z);
    });
  }
  override entropy(): Tensor {
    return tidy(() => {
      const df = this.df;
      const lbeta = df
        .mul(0.5)
        .lgamma()
        .add(0.5 * Math.log(Math.PI))
        .sub(df.add(1).mul(0.5).lgamma());
      return this.scale
        .log()
        .add(
          df
            .add(1)
            .mul(0.5)
            .mul(df.add(1).mul(0.5).digamma().sub(df.mul(0.5).digamma())),
        )
        .add(df.log().mul(0.5))
        .add(lbeta);
    });
  }
  /** The mode: loc. */
  override get mode(): Tensor {
    return this.loc.clone();
  }
  override get mean(): Tensor {
    return tidy(() => where(this.df.gt(1), this.loc, full([], NaN, optsOf(this.df))));
  }
  override get variance(): Tensor {
    return tidy(() => {
      const df = this.df;
      const finite = this.scale.square().mul(df).div(df.sub(2));
      return where(df.gt(2), finite, where(df.gt(1), full([], Infinity, optsOf(df)), full([], NaN, optsOf(df))));
    });
  }
}

// probs or logits of a binary event, both kept (torch's lazy pair, computed once here).
function binaryParams(name: string, options: ProbsOrLogits): { probs: Tensor; logits: Tensor } {
  const o = probsOrLogits(name, options);
  if (o.probs) {
    check(name, o.probs.ge(0).logicalAnd(o.probs.le(1)), 'probs must be in [0, 1]');
    return { probs: o.probs, logits: tidy(() => probsToLogits(o.probs!, true)) };
  }
  return { probs: tidy(() => o.logits!.sigmoid()), logits: o.logits! };
}

/**
 * The number of failures before the first success of Bernoulli(probs) trials (support 0, 1, ...).
 * @example new distributions.Geometric({ probs: tensor(0.3) })
 */
export class Geometric extends Distribution {
  readonly probs: Tensor;
  readonly logits: Tensor;
  constructor(options: ProbsOrLogits) {
    const p = binaryParams('Geometric', options);
    super(p.probs.shape);
    [this.probs, this.logits] = [p.probs, p.logits];
    check('Geometric', this.probs.gt(0), 'probs must be positive');
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() =>
      openUniform([...sampleShape, ...this.batchShape], this.probs)
        .log()
        .div(this.probs.neg().log1p())
        .floor(),
    );
  }
  override get support(): Constraint {
    return constraints.nonnegativeInteger;
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.probs, 'logProb');
    return tidy(() => {
      // probs 1 at value 0: 0 * log(0) counts as 0, as torch's
      const p = where(this.probs.eq(1).logicalAnd(x.eq(0)), full([], 0, optsOf(this.probs)), this.probs);
      return x.mul(p.neg().log1p()).add(this.probs.log());
    });
  }
  override entropy(): Tensor {
    return tidy(() => {
      const l = this.logits,
        p = this.probs;
      const bce = l.clamp(0, null).sub(l.mul(p)).add(l.abs().neg().exp().log1p());
      return bce.div(p);
    });
  }
  /** The mode: 0 failures. */
  override get mode(): Tensor {
    return zerosLike(this.probs);
  }
  override get mean(): Tensor {
    return tidy(() => this.probs.reciprocal().sub(1));
  }
  override get variance(): Tensor {
    return tidy(() => this.probs.reciprocal().sub(1).div(this.probs));
  }
}

// torch's _clamp_by_zero: max(x, 0) with the gradient 1/2 at 0.
const clampByZero = (x: Tensor) => x.clamp(0, null).add(x).sub(x.clamp(null, 0)).div(2);

/** Successes in totalCount Bernoulli(probs) trials. @example new distributions.Binomial(10, { probs: tensor(0.3) }) */
export class Binomial extends Distribution {
  readonly totalCount: Tensor;
  readonly probs: Tensor;
  readonly logits: Tensor;
  constructor(totalCount: Tensor | number, options: ProbsOrLogits) {
    const p = binaryParams('Binomial', options);
    const b = broadcastParams(
      'Binomial',
      param('Binomial', 'totalCount', totalCount).to(p.probs.dtype),
      p.probs,
      p.logits,
    );
    super(b.shape);
    [this.totalCount, this.probs, this.logits] = b.ps;
    check(
      'Binomial',
      this.totalCount.ge(0).logicalAnd(this.totalCount.eq(this.totalCount.floor())),
      'totalCount must be a non-negative integer',
    );
  }
  override get hasEnumerateSupport() {
    return true;
  }
  protected override supportValues(): Tensor {
    const [lo, hi] = tidy(() => [this.totalCount.min().item() as number, this.totalCount.max().item() as number]);
    if (lo !== hi)
      fail('NOT_IMPLEMENTED', 'Binomial.enumerateSupport: the total counts differ across the batch (as torch)');
    return arange(hi + 1, optsOf(this.probs));
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const shape = [...sampleShape, ...this.batchShape];
      return binomial(this.totalCount.expand(shape).contiguous(), this.probs.expand(shape).contiguous());
    });
  }
  override get support(): Constraint {
    return constraints.integerInterval(0, this.totalCount);
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.probs, 'logProb');
    return tidy(() => {
      const n = this.totalCount,
        l = this.logits;
      const normalize = n.mul(clampByZero(l)).add(n.mul(l.abs().neg().exp().log1p())).sub(n.add(1).lgamma());
      return x.mul(l).sub(x.add(1).lgamma()).sub(n.sub(x).add(1).lgamma()).sub(normalize);
    });
  }
  override entropy(): Tensor {
    const max = this.totalCount.numel() ? Number(this.totalCount.max().item()) : 0;
    if (this.totalCount.numel() && Number(this.totalCount.min().item()) !== max)
      fail(
        'NOT_IMPLEMENTED',
        'Binomial.entropy: the total counts differ across the batch (as torch, which enumerates one support)',
      );
    return tidy(() => {
      const ks = Array.from({ length: max + 1 }, (_, k) => this.logProb(full(this.batchShape, k, optsOf(this.probs))));
      return ks.reduce((acc, lp) => acc.sub(lp.exp().mul(lp)), zerosLike(this.probs));
    });
  }
  /** floor((n + 1) p), at most n. */
  override get mode(): Tensor {
    return tidy(() => this.totalCount.add(1).mul(this.probs).floor().clamp(null, this.totalCount));
  }
  override get mean(): Tensor {
    return tidy(() => this.totalCount.mul(this.probs));
  }
  override get variance(): Tensor {
    return tidy(() => this.totalCount.mul(this.probs).mul(this.probs.neg().add(1)));
  }
}

/**
 * Successes before totalCount failures of Bernoulli(probs) trials (torch's parametrisation).
 * @example new distributions.NegativeBinomial(5, { probs: tensor(0.4) })
 */
export class NegativeBinomial extends Distribution {
  readonly totalCount: Tensor;
  readonly probs: Tensor;
  readonly logits: Tensor;
  constructor(totalCount: Tensor | number, options: ProbsOrLogits) {
    const p = binaryParams('NegativeBinomial', options);
    const b = broadcastParams(
      'NegativeBinomial',
      param('NegativeBinomial', 'totalCount', totalCount).to(p.probs.dtype),
      p.probs,
      p.logits,
    );
    super(b.shape);
    [this.totalCount, this.probs, this.logits] = b.ps;
    check('NegativeBinomial', this.totalCount.gt(0), 'totalCount must be positive');
    check('NegativeBinomial', this.probs.lt(1), 'probs must be below 1');
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const rate = new Gamma(this.totalCount, this.logits.neg().exp()).sample(sampleShape);
      return poisson(rate);
    });
  }
  override get support(): Constraint {
    return constraints.nonnegativeInteger;
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.probs, 'logProb');
    return tidy(() => {
      const n = this.totalCount,
        l = this.logits;
      const logSigmoid = (t: Tensor) => t.neg().clamp(0, null).neg().sub(t.abs().neg().exp().log1p());
      const unnormalized = n.mul(logSigmoid(l.neg())).add(x.mul(logSigmoid(l)));
      const raw: Tensor = n.add(x).lgamma().neg().add(x.add(1).lgamma()).add(n.lgamma());
      const normalization = where(n.add(x).eq(0), full([], 0, optsOf(n)), raw);
      return unnormalized.sub(normalization);
    });
  }
  /** floor((n - 1) p / (1 - p)), at least 0. */
  override get mode(): Tensor {
    return tidy(() => this.totalCount.sub(1).mul(this.logits.exp()).floor().clamp(0, null));
  }
  override get mean(): Tensor {
    return tidy(() => this.totalCount.mul(this.logits.exp()));
  }
  override get variance(): Tensor {
    return tidy(() => this.totalCount.mul(this.logits.exp()).div(this.logits.neg().sigmoid()));
  }
}

/** Categorical draws as one-hot vectors over the last dim. @example new distributions.OneHotCategorical({ logits }) */
export class OneHotCategorical extends Distribution {
  private readonly categorical: Categorical;
  constructor(options: ProbsOrLogits) {
    const c = new Categorical(options);
    super(c.batchShape, [c.numCategories]);
    this.categorical = c;
  }
  override get hasEnumerateSupport() {
    return true;
  }
  protected override supportValues(): Tensor {
    return eye(this.categorical.numCategories, optsOf(this.probs));
  }
  /** The normalised probabilities. */
  get probs(): Tensor {
    return this.categorical.probs;
  }
  /** The normalised log-probabilities. */
  get logits(): Tensor {
    return this.categorical.logits;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() =>
      oneHot(this.categorical.sample(sampleShape), this.categorical.numCategories).to(this.probs.dtype),
    );
  }
  override get support(): Constraint {
    return constraints.oneHot;
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.probs, 'logProb');
    return tidy(() => this.categorical.logProb(x.argmax(-1)));
  }
  override entropy(): Tensor {
    return this.categorical.entropy();
  }
  /** The one-hot vector of the likeliest category. */
  override get mode(): Tensor {
    return tidy(() => {
      const p = this.probs;
      return oneHot(p.argmax(-1), p.shape[p.ndim - 1]).to(p.dtype);
    });
  }
  override get mean(): Tensor {
    return this.probs.clone();
  }
  override get variance(): Tensor {
    return tidy(() => this.probs.mul(this.probs.neg().add(1)));
  }
}

/**
 * OneHotCategorical whose rsample passes gradients straight through (torch's
 * OneHotCategoricalStraightThrough; Bengio et al. 2013): the value is a one-hot draw, the
 * gradient that of probs.
 * @example const y = new distributions.OneHotCategoricalStraightThrough({ logits }).rsample() // y.backward reaches logits
 */
export class OneHotCategoricalStraightThrough extends OneHotCategorical {
  override get hasRsample() {
    return true;
  }
  /** @internal A one-hot draw plus probs - probs.detach(). */
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const draw = noGrad(() => super.rsampleImpl(sampleShape));
      return draw.add(this.probs.sub(this.probs.detach()));
    });
  }
}

/** Counts of totalCount categorical draws, per category. @example new distributions.Multinomial(10, { probs }) */
export class Multinomial extends Distribution {
  readonly totalCount: number;
  private readonly categorical: Categorical;
  constructor(totalCount: number, options: ProbsOrLogits) {
    const n = intAtLeast('Multinomial', 'totalCount', totalCount, 0);
    const c = new Categorical(options);
    super(c.batchShape, [c.numCategories]);
    this.totalCount = n;
    this.categorical = c;
  }
  /** The normalised probabilities. */
  get probs(): Tensor {
    return this.categorical.probs;
  }
  /** The normalised log-probabilities. */
  get logits(): Tensor {
    return this.categorical.logits;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const k = this.categorical.numCategories;
      const draws = this.categorical.sample([this.totalCount, ...sampleShape]);
      return oneHot(draws, k).to(this.probs.dtype).sum(0);
    });
  }
  override get support(): Constraint {
    return constraints.multinomial(this.totalCount);
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.probs, 'logProb');
    // torch's constraint admits sums below totalCount; a count vector of another total has no
    // probability here, so it is refused while validating.
    if (validating())
      check(
        'Multinomial.logProb',
        x.sum(-1).eq(this.totalCount),
        `the counts must sum to totalCount (${this.totalCount})`,
      );
    return tidy(() => {
      const l = where(x.eq(0).logicalAnd(this.logits.eq(-Infinity)), full([], 0, optsOf(this.probs)), this.logits);
      return x.sum(-1).add(1).lgamma().sub(x.add(1).lgamma().sum(-1)).add(l.mul(x).sum(-1));
    });
  }
  override get mean(): Tensor {
    return tidy(() => this.probs.mul(this.totalCount));
  }
  override get variance(): Tensor {
    return tidy(() => this.probs.mul(this.probs.neg().add(1)).mul(this.totalCount));
  }
}

/**
 * A mixture of K components of one family (torch.distributions.MixtureSameFamily): the mixture
 * weights a Categorical over the last batch dim of the components, e.g. a Gaussian mixture:
 * `new MixtureSameFamily(new Categorical({ logits }), new Normal(locs, scales))` with locs [..., K].
 * @example const gmm = new distributions.MixtureSameFamily(new distributions.Categorical({ probs: w }), new distributions.Normal(mu, sigma))
 */
export class MixtureSameFamily extends Distribution {
  readonly mixtureDistribution: Categorical;
  readonly componentDistribution: Distribution;
  constructor(mixtureDistribution: Categorical, componentDistribution: Distribution) {
    const op = 'MixtureSameFamily';
    if (!(mixtureDistribution instanceof Categorical))
      fail('INVALID_ARGUMENT', `${op}: the mixture must be a Categorical, got ${describe(mixtureDistribution)}`);
    if (!(componentDistribution instanceof Distribution))
      fail('INVALID_ARGUMENT', `${op}: the components must be a Distribution, got ${describe(componentDistribution)}`);
    const cb = componentDistribution.batchShape;
    const k = mixtureDistribution.numCategories;
    if (cb.length < 1 || cb[cb.length - 1] !== k)
      fail(
        'SHAPE_MISMATCH',
        `${op}: the components' batch shape [${cb.join(', ')}] must end in the mixture's ${k} categories`,
      );
    const mb = mixtureDistribution.batchShape;
    const batch = cb.slice(0, -1);
    if (mb.length !== batch.length || mb.some((d, i) => d !== batch[i]))
      fail(
        'SHAPE_MISMATCH',
        `${op}: the mixture's batch shape [${mb.join(', ')}] must be the components' [${batch.join(', ')}] without K`,
      );
    super(batch, componentDistribution.eventShape);
    this.mixtureDistribution = mixtureDistribution;
    this.componentDistribution = componentDistribution;
  }
  /** The components' support. */
  override get support(): Constraint {
    return this.componentDistribution.support;
  }
  // The mixture's log-weights, shaped to broadcast against the components' per-K results.
  private logWeights(): Tensor {
    return this.mixtureDistribution.logits;
  }
  private weights(eventDims: number): Tensor {
    const p = this.mixtureDistribution.probs;
    return eventDims ? p.reshape([...p.shape, ...new Array<number>(eventDims).fill(1)]) : p;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const e = this.eventShape.length;
      const which = this.mixtureDistribution.sample(sampleShape); // [S..., B...]
      const all = this.componentDistribution.sample(sampleShape); // [S..., B..., K, E...]
      const kDim = all.ndim - e - 1;
      const idx = which.reshape([...which.shape, 1, ...new Array<number>(e).fill(1)]);
      const full = idx.expand([...which.shape, 1, ...this.eventShape]);
      return all.gather(kDim, full).squeeze(kDim);
    });
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.valueOf(value, this.mixtureDistribution.probs);
    return tidy(() => {
      const e = this.eventShape.length;
      const lp = this.componentDistribution.logProb(x.unsqueeze(x.ndim - e)); // [..., K]
      return lp.add(this.logWeights()).logsumexp(-1);
    });
  }
  override cdf(value: Tensor | number): Tensor {
    const x = this.valueOf(value, this.mixtureDistribution.probs);
    return tidy(() => this.componentDistribution.cdf(x.unsqueeze(x.ndim)).mul(this.mixtureDistribution.probs).sum(-1));
  }
  override get mean(): Tensor {
    return tidy(() => {
      const e = this.eventShape.length;
      return this.componentDistribution.mean.mul(this.weights(e)).sum(-1 - e);
    });
  }
  override get variance(): Tensor {
    return tidy(() => {
      const e = this.eventShape.length;
      const w = this.weights(e);
      const m = this.componentDistribution.mean;
      const within = this.componentDistribution.variance.mul(w).sum(-1 - e);
      const mean = m.mul(w).sum(-1 - e, { keepdim: true });
      const between = m
        .sub(mean)
        .square()
        .mul(w)
        .sum(-1 - e);
      return within.add(between);
    });
  }
}

// ---- the closed-form KL divergences of these families (torch's registrations) -------------------

registerKl(LogNormal, LogNormal, (p, q) => klDivergence(new Normal(p.loc, p.scale), new Normal(q.loc, q.scale)));
registerKl(HalfNormal, HalfNormal, (p, q) => klDivergence(new Normal(0, p.scale), new Normal(0, q.scale)));
registerKl(Cauchy, Cauchy, (p, q) =>
  p.scale.add(q.scale).square().add(p.loc.sub(q.loc).square()).log().sub(p.scale.mul(q.scale).mul(4).log()),
);
registerKl(Gumbel, Gumbel, (p, q) => {
  const ct1 = p.scale.div(q.scale),
    ct2 = q.loc.div(q.scale),
    ct3 = p.loc.div(q.scale);
  const t1 = ct1.log().neg().sub(ct2).add(ct3);
  const t3 = ct2.add(ct1.add(1).lgamma()).sub(ct3).exp();
  return t1
    .add(ct1.mul(EULER))
    .add(t3)
    .sub(1 + EULER);
});
registerKl(Pareto, Pareto, (p, q) => {
  const alphaRatio = q.alpha.div(p.alpha);
  const r = q.alpha.mul(p.scale.div(q.scale).log()).sub(alphaRatio.log()).add(alphaRatio).sub(1);
  return where(p.scale.lt(q.scale), full([], Infinity, optsOf(r)), r); // p reaches below q's support
});
registerKl(Geometric, Geometric, (p, q) => p.entropy().neg().sub(q.probs.neg().log1p().div(p.probs)).sub(q.logits));
registerKl(OneHotCategorical, OneHotCategorical, (p, q) =>
  klDivergence(new Categorical({ logits: p.logits }), new Categorical({ logits: q.logits })),
);
registerKl(Binomial, Binomial, (p, q) => {
  if (p.totalCount.lt(q.totalCount).any().item())
    fail('NOT_IMPLEMENTED', 'klDivergence: Binomials where q.totalCount > p.totalCount (as torch)');
  const kl = p.totalCount.mul(
    p.probs.mul(p.logits.sub(q.logits)).add(p.probs.neg().log1p()).sub(q.probs.neg().log1p()),
  );
  return where(p.totalCount.gt(q.totalCount), full([], Infinity, optsOf(kl)), kl);
});
