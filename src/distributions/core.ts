// The distributions of the first batch (torch's most used) and klDivergence; index.ts gathers
// them with more.ts's under the distributions namespace.
import { noGrad } from '../autograd.js';
import { tensorArg } from '../args.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { arange, full, rand, randn, tensor, zerosLike } from '../ops/creation.js';
import { stack, where } from '../ops/functional.js';
import { oneHot } from '../nn/functional_misc.js';
import { broadcastShapes } from '../ops/shaping_more.js';
import { checkOptions, describe, fn as fnArg, intAtLeast } from '../options.js';
import { Tensor } from '../tensor.js';
import { broadcastParams, check, Distribution, epsOf, LOG_SQRT_2PI, optsOf, param, softplus } from './base.js';
import * as constraints from './constraints.js';
import type { Constraint } from './constraints.js';
import { StandardGammaDraw } from './gamma_grad.js';
import { MultivariateNormal } from './multivariate_normal.js';

export { Distribution } from './base.js';
export { MultivariateNormal, type MultivariateNormalOptions } from './multivariate_normal.js';

/** The normal distribution N(loc, scale^2). @example new distributions.Normal(0, 1).logProb(x) */
export class Normal extends Distribution {
  readonly loc: Tensor;
  readonly scale: Tensor;
  constructor(loc: Tensor | number, scale: Tensor | number) {
    const l = param('Normal', 'loc', loc),
      s = param('Normal', 'scale', scale);
    const b = broadcastParams('Normal', l, s);
    super(b.shape);
    [this.loc, this.scale] = b.ps;
    check('Normal', this.scale.gt(0), 'scale must be positive');
  }
  override get hasRsample() {
    return true;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const eps = randn([...sampleShape, ...this.batchShape], { dtype: this.loc.dtype, device: this.loc.device });
      return this.loc.add(eps.mul(this.scale));
    });
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.loc, 'logProb');
    return tidy(() =>
      x.sub(this.loc).square().div(this.scale.square().mul(2)).neg().sub(this.scale.log()).sub(LOG_SQRT_2PI),
    );
  }
  override entropy(): Tensor {
    return tidy(() => this.scale.log().add(0.5 + LOG_SQRT_2PI));
  }
  /** The mode: loc. */
  override get mode(): Tensor {
    return this.loc.clone();
  }
  override get mean(): Tensor {
    return this.loc.clone();
  }
  override get variance(): Tensor {
    return this.scale.square();
  }
  override cdf(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.loc, 'cdf');
    return tidy(() => x.sub(this.loc).div(this.scale.mul(Math.SQRT2)).erf().add(1).mul(0.5));
  }
  override icdf(p: Tensor | number): Tensor {
    const q = this.valueOf(p, this.loc);
    return tidy(() => this.loc.add(this.scale.mul(q.mul(2).sub(1).erfinv()).mul(Math.SQRT2)));
  }
}

/** The uniform distribution on [low, high). */
export class Uniform extends Distribution {
  readonly low: Tensor;
  readonly high: Tensor;
  constructor(low: Tensor | number, high: Tensor | number) {
    const b = broadcastParams('Uniform', param('Uniform', 'low', low), param('Uniform', 'high', high));
    super(b.shape);
    [this.low, this.high] = b.ps;
    check('Uniform', this.low.lt(this.high), 'low must be below high');
  }
  override get hasRsample() {
    return true;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const u = rand([...sampleShape, ...this.batchShape], { dtype: this.low.dtype, device: this.low.device });
      return this.low.add(u.mul(this.high.sub(this.low)));
    });
  }
  override get support(): Constraint {
    return constraints.interval(this.low, this.high);
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.low, 'logProb');
    return tidy(() => {
      const inside = x.ge(this.low).logicalAnd(x.lt(this.high));
      return where(inside, this.high.sub(this.low).log().neg(), -Infinity);
    });
  }
  override entropy(): Tensor {
    return tidy(() => this.high.sub(this.low).log());
  }
  /** NaN: every point of [low, high) is a mode (as torch). */
  override get mode(): Tensor {
    return tidy(() => this.high.mul(NaN));
  }
  override get mean(): Tensor {
    return tidy(() => this.low.add(this.high).div(2));
  }
  override get variance(): Tensor {
    return tidy(() => this.high.sub(this.low).square().div(12));
  }
  override cdf(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.low, 'cdf');
    return tidy(() => x.sub(this.low).div(this.high.sub(this.low)).clamp(0, 1));
  }
  override icdf(p: Tensor | number): Tensor {
    const q = this.valueOf(p, this.low);
    return tidy(() => this.low.add(q.mul(this.high.sub(this.low))));
  }
}

/** The exponential distribution with rate lambda. */
export class Exponential extends Distribution {
  readonly rate: Tensor;
  constructor(rate: Tensor | number) {
    const r = param('Exponential', 'rate', rate);
    super(r.shape);
    this.rate = r;
    check('Exponential', r.gt(0), 'rate must be positive');
  }
  override get hasRsample() {
    return true;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      // -log(1 - u) with u in [0, 1): finite, and exact for small u.
      const u = rand([...sampleShape, ...this.batchShape], { dtype: this.rate.dtype, device: this.rate.device });
      return u.neg().log1p().neg().div(this.rate);
    });
  }
  override get support(): Constraint {
    return constraints.nonnegative;
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.rate, 'logProb');
    return tidy(() => where(x.ge(0), this.rate.log().sub(this.rate.mul(x)), -Infinity));
  }
  override entropy(): Tensor {
    return tidy(() => this.rate.log().neg().add(1));
  }
  /** The mode: 0. */
  override get mode(): Tensor {
    return zerosLike(this.rate);
  }
  override get mean(): Tensor {
    return this.rate.reciprocal();
  }
  override get variance(): Tensor {
    return tidy(() => this.rate.square().reciprocal());
  }
  override cdf(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.rate, 'cdf');
    return tidy(() => this.rate.mul(x.clamp(0, null)).neg().exp().neg().add(1));
  }
  override icdf(p: Tensor | number): Tensor {
    const q = this.valueOf(p, this.rate);
    return tidy(() => q.neg().log1p().neg().div(this.rate));
  }
}

/** The Laplace distribution with location loc and scale b. */
export class Laplace extends Distribution {
  readonly loc: Tensor;
  readonly scale: Tensor;
  constructor(loc: Tensor | number, scale: Tensor | number) {
    const b = broadcastParams('Laplace', param('Laplace', 'loc', loc), param('Laplace', 'scale', scale));
    super(b.shape);
    [this.loc, this.scale] = b.ps;
    check('Laplace', this.scale.gt(0), 'scale must be positive');
  }
  override get hasRsample() {
    return true;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      // torch: u in (-1, 1), loc - scale sign(u) log1p(-|u|)
      const u = rand([...sampleShape, ...this.batchShape], { dtype: this.loc.dtype, device: this.loc.device })
        .mul(2)
        .sub(1)
        .clamp(-1 + 1e-7, 1 - 1e-7);
      return this.loc.sub(this.scale.mul(u.sign()).mul(u.abs().neg().log1p()));
    });
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.loc, 'logProb');
    return tidy(() => x.sub(this.loc).abs().div(this.scale).neg().sub(this.scale.mul(2).log()));
  }
  override entropy(): Tensor {
    return tidy(() => this.scale.mul(2).log().add(1));
  }
  /** The mode: loc. */
  override get mode(): Tensor {
    return this.loc.clone();
  }
  override get mean(): Tensor {
    return this.loc.clone();
  }
  override get variance(): Tensor {
    return tidy(() => this.scale.square().mul(2));
  }
  override cdf(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.loc, 'cdf');
    return tidy(() => {
      const d = x.sub(this.loc);
      return d.sign().mul(d.abs().div(this.scale).neg().expm1()).mul(0.5).neg().add(0.5);
    });
  }
  override icdf(p: Tensor | number): Tensor {
    const q = this.valueOf(p, this.loc);
    return tidy(() => {
      const t = q.sub(0.5);
      return this.loc.sub(this.scale.mul(t.sign()).mul(t.abs().mul(2).neg().log1p()));
    });
  }
}

/** probs or logits, exactly one of them. */
export interface ProbsOrLogits {
  probs?: Tensor;
  logits?: Tensor;
}
/** @internal Exactly one of probs and logits, each a floating tensor. */
export function probsOrLogits(name: string, o: ProbsOrLogits | undefined): ProbsOrLogits {
  const opts = checkOptions(name, o, { probs: 'any', logits: 'any' });
  if ((opts.probs === undefined) === (opts.logits === undefined))
    fail('INVALID_ARGUMENT', `${name}: give exactly one of probs and logits, got ${describe(o)}`);
  return {
    probs: opts.probs === undefined ? undefined : param(name, 'probs', opts.probs),
    logits: opts.logits === undefined ? undefined : param(name, 'logits', opts.logits),
  };
}

/** Bernoulli trials: 1 with probability probs (or sigmoid(logits)). @example new distributions.Bernoulli({ logits }) */
export class Bernoulli extends Distribution {
  /** log(p / (1 - p)) of each trial. */
  readonly logits: Tensor;
  constructor(options: ProbsOrLogits) {
    const o = probsOrLogits('Bernoulli', options);
    const t = (o.probs ?? o.logits)!;
    super(t.shape);
    if (o.probs) check('Bernoulli', o.probs.ge(0).logicalAnd(o.probs.le(1)), 'probs must be in [0, 1]');
    // torch clamps probabilities away from 0 and 1 before taking logits (eps of the dtype).
    this.logits = o.logits ?? tidy(() => probsToLogits(o.probs!, true));
  }
  override get hasEnumerateSupport() {
    return true;
  }
  protected override supportValues(): Tensor {
    return tensor([0, 1], optsOf(this.logits));
  }
  /** The probability of 1. */
  get probs(): Tensor {
    return this.logits.sigmoid();
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const u = rand([...sampleShape, ...this.batchShape], { dtype: this.logits.dtype, device: this.logits.device });
      return u.lt(this.probs).to(this.logits.dtype);
    });
  }
  override get support(): Constraint {
    return constraints.boolean;
  }
  logProb(value: Tensor | number): Tensor {
    return this.bce(this.sampleOf(value, this.logits, 'logProb'));
  }
  // -BCEWithLogits(logits, x), the stable form, for any x in [0, 1] (entropy takes x = probs).
  private bce(x: Tensor): Tensor {
    return tidy(() => {
      const l = this.logits;
      return l.mul(x).sub(l.clamp(0, null)).sub(l.abs().neg().exp().log1p());
    });
  }
  override entropy(): Tensor {
    return tidy(() => this.bce(this.probs).neg());
  }
  /** 1 where probs > 1/2, 0 below, NaN at a tie. */
  override get mode(): Tensor {
    return tidy(() => {
      const p = this.probs;
      return where(p.eq(0.5), NaN, p.ge(0.5).to(p.dtype));
    });
  }
  override get mean(): Tensor {
    return this.probs;
  }
  override get variance(): Tensor {
    return tidy(() => {
      const p = this.probs;
      return p.mul(p.neg().add(1));
    });
  }
}

// torch's probs_to_logits: probabilities clamped to [eps, 1 - eps], then log (or log-odds).
/** @internal torch's probs_to_logits. */
export function probsToLogits(p: Tensor, binary: boolean): Tensor {
  const c = p.clamp(epsOf(p), 1 - epsOf(p));
  return binary ? c.log().sub(c.neg().log1p()) : c.log();
}

/**
 * One of K categories per distribution, with probabilities probs (normalised) or softmax(logits),
 * both over the last dim. @example const a = new distributions.Categorical({ logits }).sample()
 */
export class Categorical extends Distribution {
  /** Normalised log-probabilities (from logits: minus their logsumexp; from probs: their log). */
  readonly logits: Tensor;
  /** The normalised probabilities. */
  readonly probs: Tensor;
  constructor(options: ProbsOrLogits) {
    const o = probsOrLogits('Categorical', options);
    const t = (o.probs ?? o.logits)!;
    if (t.ndim < 1) fail('SHAPE_MISMATCH', `Categorical: probs or logits need a last dim of categories, got []`);
    super(t.shape.slice(0, -1));
    if (o.probs) {
      check('Categorical', o.probs.ge(0), 'probs must be non-negative');
      check('Categorical', o.probs.sum(-1).gt(0), 'each row of probs needs a positive sum');
      // torch: probs normalised; logits their log, clamped away from 0
      this.probs = tidy(() => o.probs!.div(o.probs!.sum(-1, { keepdim: true })));
      this.logits = tidy(() => probsToLogits(this.probs, false));
    } else {
      this.logits = tidy(() => o.logits!.sub(o.logits!.logsumexp(-1, { keepdim: true })));
      this.probs = this.logits.softmax(-1);
    }
  }
  override get hasEnumerateSupport() {
    return true;
  }
  protected override supportValues(): Tensor {
    return arange(this.numCategories, { dtype: 'int64', device: this.logits.device });
  }
  /** The number of categories. */
  get numCategories(): number {
    return this.logits.shape[this.logits.ndim - 1];
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const k = this.numCategories;
      const n = sampleShape.reduce((a, b) => a * b, 1);
      const rows = this.probs.reshape([-1, k]);
      const draws = rows.multinomial(Math.max(n, 1), { replacement: true }).narrow(1, 0, n); // [B, n]
      return draws.t().reshape([...sampleShape, ...this.batchShape]);
    });
  }
  override get support(): Constraint {
    return constraints.integerInterval(0, this.numCategories - 1);
  }
  logProb(value: Tensor | number): Tensor {
    const v = this.validate(
      typeof value === 'number' ? tensor(value, { dtype: 'int64' }) : tensorArg('Categorical.logProb', 'value', value),
      'logProb',
    );
    return tidy(() => {
      const idx = v.to('int64');
      const shape = broadcastShapes(idx.shape, this.batchShape);
      const l = this.logits.expand([...shape, this.numCategories]);
      return l.gather(-1, idx.expand(shape).unsqueeze(-1)).squeeze(-1);
    });
  }
  override entropy(): Tensor {
    return tidy(() => {
      // -sum p log p, with log p clamped at the dtype's lowest so 0 * -inf counts as 0
      const min = this.logits.dtype === 'float64' ? -1.7976931348623157e308 : -3.4028234663852886e38;
      return this.probs.mul(this.logits.clamp(min, null)).sum(-1).neg();
    });
  }
  /** The likeliest category (int64). */
  override get mode(): Tensor {
    return this.probs.argmax(-1);
  }
  override get mean(): Tensor {
    return full(this.batchShape, NaN, { dtype: this.logits.dtype });
  }
  override get variance(): Tensor {
    return full(this.batchShape, NaN, { dtype: this.logits.dtype });
  }
}

/**
 * The gamma distribution with shape concentration and rate (torch's parameters). Sampled by
 * Marsaglia and Tsang's method (vectorised rejection; concentration < 1 boosted by U^(1/a)).
 */
export class Gamma extends Distribution {
  readonly concentration: Tensor;
  readonly rate: Tensor;
  constructor(concentration: Tensor | number, rate: Tensor | number) {
    const b = broadcastParams('Gamma', param('Gamma', 'concentration', concentration), param('Gamma', 'rate', rate));
    super(b.shape);
    [this.concentration, this.rate] = b.ps;
    check('Gamma', this.concentration.gt(0).logicalAnd(this.rate.gt(0)), 'concentration and rate must be positive');
  }
  override get hasRsample() {
    return true;
  }
  // Marsaglia-Tsang draws of Gamma(alpha, 1) (no gradient), made differentiable in alpha by
  // implicit reparameterisation (gamma_grad.ts), then divided by the rate.
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const a = this.concentration.expand([...sampleShape, ...this.batchShape]);
      return StandardGammaDraw.apply(
        a,
        noGrad(() => this.standardDraws(sampleShape)),
      ).div(this.rate);
    });
  }
  private standardDraws(sampleShape: number[]): Tensor {
    return tidy(() => {
      const shape = [...sampleShape, ...this.batchShape];
      const opts = { dtype: this.rate.dtype, device: this.rate.device };
      const a = this.concentration.expand(shape);
      const boosted = a.lt(1);
      const alpha = where(boosted, a.add(1), a);
      const d = alpha.sub(1 / 3);
      const c = d.mul(9).rsqrt();
      let out = full(shape, NaN, opts);
      let todo = full(shape, true, { device: this.rate.device });
      // Each round accepts a candidate with probability >= 0.95; 64 rounds leave none in practice.
      for (let round = 0; round < 64 && (todo.any().item() as boolean); round++) {
        const x = randn(shape, opts);
        const v = x.mul(c).add(1).pow(3);
        const u = rand(shape, opts);
        const ok = v.gt(0).logicalAnd(
          u.log().lt(
            x
              .square()
              .mul(0.5)
              .add(d)
              .sub(d.mul(v))
              .add(d.mul(v.clamp(1e-30, null).log())),
          ),
        );
        const take = ok.logicalAnd(todo);
        out = where(take, d.mul(v), out);
        todo = todo.logicalAnd(ok.logicalNot());
      }
      const u = rand(shape, opts);
      return where(boosted, out.mul(u.pow(a.reciprocal())), out);
    });
  }
  override get support(): Constraint {
    return constraints.nonnegative;
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.rate, 'logProb');
    return tidy(() => {
      const a = this.concentration,
        r = this.rate;
      return a.xlogy(r).add(a.sub(1).xlogy(x)).sub(r.mul(x)).sub(a.lgamma());
    });
  }
  override entropy(): Tensor {
    return tidy(() => {
      const a = this.concentration;
      return a.sub(this.rate.log()).add(a.lgamma()).add(a.neg().add(1).mul(a.digamma()));
    });
  }
  /** (concentration - 1) / rate, or 0 where concentration < 1. */
  override get mode(): Tensor {
    return tidy(() => this.concentration.sub(1).div(this.rate).clamp(0, null));
  }
  override get mean(): Tensor {
    return tidy(() => this.concentration.div(this.rate));
  }
  override get variance(): Tensor {
    return tidy(() => this.concentration.div(this.rate.square()));
  }
}

/** The beta distribution on (0, 1) with concentrations alpha and beta (sampled through two gammas). */
export class Beta extends Distribution {
  readonly concentration1: Tensor;
  readonly concentration0: Tensor;
  constructor(concentration1: Tensor | number, concentration0: Tensor | number) {
    const b = broadcastParams(
      'Beta',
      param('Beta', 'concentration1', concentration1),
      param('Beta', 'concentration0', concentration0),
    );
    super(b.shape);
    [this.concentration1, this.concentration0] = b.ps;
    check('Beta', this.concentration1.gt(0).logicalAnd(this.concentration0.gt(0)), 'concentrations must be positive');
  }
  override get hasRsample() {
    return true;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const x = new Gamma(this.concentration1, 1).rsample(sampleShape);
      const y = new Gamma(this.concentration0, 1).rsample(sampleShape);
      return x.div(x.add(y));
    });
  }
  override get support(): Constraint {
    return constraints.unitInterval;
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.concentration1, 'logProb');
    return tidy(() => {
      const a = this.concentration1,
        b = this.concentration0;
      const lbeta = a.lgamma().add(b.lgamma()).sub(a.add(b).lgamma());
      return a
        .sub(1)
        .xlogy(x)
        .add(b.sub(1).xlogy(x.neg().add(1)))
        .sub(lbeta);
    });
  }
  override entropy(): Tensor {
    return tidy(() => {
      const a = this.concentration1,
        b = this.concentration0,
        t = a.add(b);
      const lbeta = a.lgamma().add(b.lgamma()).sub(t.lgamma());
      return lbeta.sub(a.sub(1).mul(a.digamma())).sub(b.sub(1).mul(b.digamma())).add(t.sub(2).mul(t.digamma()));
    });
  }
  /** The mode of the Dirichlet over (x, 1 - x), as torch. */
  override get mode(): Tensor {
    return tidy(() => dirichletMode(stack([this.concentration1, this.concentration0], -1)).select(-1, 0));
  }
  override get mean(): Tensor {
    return tidy(() => this.concentration1.div(this.concentration1.add(this.concentration0)));
  }
  override get variance(): Tensor {
    return tidy(() => {
      const a = this.concentration1,
        b = this.concentration0,
        t = a.add(b);
      return a.mul(b).div(t.square().mul(t.add(1)));
    });
  }
}

/**
 * Poisson counts with the given rate. Sampled exactly, vectorised over the batch: by multiplying
 * uniforms below rate 10 (Knuth), by Hormann's transformed rejection (PTRS, numpy's method) above.
 */
export class Poisson extends Distribution {
  readonly rate: Tensor;
  constructor(rate: Tensor | number) {
    const r = param('Poisson', 'rate', rate);
    super(r.shape);
    this.rate = r;
    check('Poisson', r.ge(0), 'rate must be non-negative');
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const shape = [...sampleShape, ...this.batchShape];
      const opts = { dtype: 'float64' as const, device: this.rate.device };
      const lam = this.rate.to('float64').expand(shape);
      const small = lam.lt(10);
      // Knuth: the count of uniforms whose running product stays above e^-lambda.
      const limit = lam.neg().exp();
      let prod: Tensor = full(shape, 1, opts);
      let count: Tensor = full(shape, 0, opts);
      let live = small.logicalAnd(lam.gt(0));
      for (let i = 0; live.any().item() as boolean; i++) {
        if (i > 1000) fail('INTERNAL', 'Poisson: the small-rate sampler did not finish');
        prod = where(live, prod.mul(rand(shape, opts)), prod);
        const more = live.logicalAnd(prod.gt(limit));
        count = where(more, count.add(1), count);
        live = more;
      }
      // PTRS for lambda >= 10 (its constants are the paper's, as numpy's random_poisson_ptrs).
      const big = small.logicalNot();
      let out = where(big, NaN, count);
      if (big.any().item() as boolean) {
        const L = where(big, lam, 10); // keep the formulas finite off the big entries
        const slam = L.sqrt(),
          loglam = L.log();
        const b = slam.mul(2.53).add(0.931);
        const a = b.mul(0.02483).add(-0.059);
        const invalpha = b.sub(3.4).reciprocal().mul(1.1328).add(1.1239);
        const vr = b.sub(2).reciprocal().mul(-3.6224).add(0.9277);
        let todo = big;
        for (let round = 0; todo.any().item() as boolean; round++) {
          if (round > 200) fail('INTERNAL', 'Poisson: the rejection sampler did not finish');
          const U = rand(shape, opts).sub(0.5);
          const V = rand(shape, opts);
          const us = U.abs().neg().add(0.5);
          const k = a.mul(2).div(us).add(b).mul(U).add(L).add(0.43).floor();
          const quick = us.ge(0.07).logicalAnd(V.le(vr));
          const reject = k.lt(0).logicalOr(us.lt(0.013).logicalAnd(V.gt(us)));
          const lhs = V.log().add(invalpha.log()).sub(a.div(us.square()).add(b).log());
          const rhs = L.neg().add(k.mul(loglam)).sub(k.add(1).lgamma());
          const ok = quick.logicalOr(reject.logicalNot().logicalAnd(lhs.le(rhs)));
          const take = todo.logicalAnd(ok);
          out = where(take, k, out);
          todo = todo.logicalAnd(ok.logicalNot());
        }
      }
      return out.to(this.rate.dtype);
    });
  }
  override get support(): Constraint {
    return constraints.nonnegativeInteger;
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.rate, 'logProb');
    return tidy(() => x.xlogy(this.rate).sub(this.rate).sub(x.add(1).lgamma()));
  }
  /** floor(rate). */
  override get mode(): Tensor {
    return this.rate.floor();
  }
  override get mean(): Tensor {
    return this.rate.clone();
  }
  override get variance(): Tensor {
    return this.rate.clone();
  }
}

/**
 * Treats the last `reinterpretedBatchNdims` batch dims of `base` as event dims: logProb and
 * entropy sum over them (a diagonal Gaussian from a batch of Normals).
 * @example new distributions.Independent(new distributions.Normal(mu, sigma), 1)
 */
export class Independent extends Distribution {
  constructor(
    readonly base: Distribution,
    readonly reinterpretedBatchNdims: number,
  ) {
    if (!(base instanceof Distribution))
      fail('INVALID_ARGUMENT', `Independent: base must be a Distribution, got ${describe(base)}`);
    const k = intAtLeast('Independent', 'reinterpretedBatchNdims', reinterpretedBatchNdims, 0);
    if (k > base.batchShape.length)
      fail('INVALID_ARGUMENT', `Independent: cannot move ${k} dims of a batch of [${base.batchShape.join(', ')}]`);
    const cut = base.batchShape.length - k;
    super(base.batchShape.slice(0, cut), [...base.batchShape.slice(cut), ...base.eventShape]);
  }
  override get support(): Constraint {
    return constraints.independent(this.base.support, this.reinterpretedBatchNdims);
  }
  override get hasRsample() {
    return this.base.hasRsample;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return this.hasRsample ? this.base.rsample(sampleShape) : this.base.sample(sampleShape);
  }
  private sumEvent(t: Tensor): Tensor {
    const k = this.reinterpretedBatchNdims;
    if (k === 0) return t;
    return t.sum(Array.from({ length: k }, (_, i) => -1 - i));
  }
  logProb(value: Tensor | number): Tensor {
    return tidy(() => this.sumEvent(this.base.logProb(value)));
  }
  override entropy(): Tensor {
    return tidy(() => this.sumEvent(this.base.entropy()));
  }
  /** The base's mode. */
  override get mode(): Tensor {
    return this.base.mode;
  }
  override get mean(): Tensor {
    return this.base.mean;
  }
  override get variance(): Tensor {
    return this.base.variance;
  }
}

/**
 * The Dirichlet distribution over the probability simplex (event shape [K]): concentration
 * [..., K] > 0. Sampled as normalised Gamma draws, reparameterised (rsample) through them.
 * @example new distributions.Dirichlet(tensor([1, 2, 3])).sample([5]) // [5, 3], rows sum to 1
 */
export class Dirichlet extends Distribution {
  readonly concentration: Tensor;
  constructor(concentration: Tensor) {
    const a = param('Dirichlet', 'concentration', concentration);
    if (a.ndim < 1) fail('SHAPE_MISMATCH', 'Dirichlet: concentration must be at least 1-D, got a 0-D tensor');
    super(a.shape.slice(0, -1), a.shape.slice(-1));
    this.concentration = a;
    check('Dirichlet', a.gt(0), 'concentration must be positive');
  }
  override get hasRsample() {
    return true;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const g = new Gamma(this.concentration, 1).rsample(sampleShape);
      return g.div(g.sum(-1, { keepdim: true }));
    });
  }
  override get support(): Constraint {
    return constraints.simplex;
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.concentration, 'logProb');
    return tidy(() => {
      const a = this.concentration;
      return a.sub(1).xlogy(x).sum(-1).add(a.sum(-1).lgamma()).sub(a.lgamma().sum(-1));
    });
  }
  override entropy(): Tensor {
    return tidy(() => {
      const a = this.concentration,
        k = a.shape[a.ndim - 1];
      const a0 = a.sum(-1);
      return a
        .lgamma()
        .sum(-1)
        .sub(a0.lgamma())
        .add(a0.sub(k).mul(a0.digamma()))
        .sub(a.sub(1).mul(a.digamma()).sum(-1));
    });
  }
  /**
   * (a - 1) / sum(a - 1), each a - 1 clamped at 0; where every a < 1 the density is unbounded at
   * every vertex, and the mode is the first vertex (as torch).
   */
  override get mode(): Tensor {
    return dirichletMode(this.concentration);
  }
  override get mean(): Tensor {
    return tidy(() => this.concentration.div(this.concentration.sum(-1, { keepdim: true })));
  }
  override get variance(): Tensor {
    return tidy(() => {
      const a = this.concentration,
        a0 = a.sum(-1, { keepdim: true });
      return a.mul(a0.sub(a)).div(a0.square().mul(a0.add(1)));
    });
  }
}

// The closed forms other files add (more.ts), tried in order after the ones below.
/** A Distribution class (or subclass), as registerKl takes it. */
export type DistributionClass<D extends Distribution> = abstract new (...args: never[]) => D;
const KL_RULES: [DistributionClass<Distribution>, DistributionClass<Distribution>, (p: never, q: never) => Tensor][] =
  [];
/**
 * Adds the KL divergence of a pair of families for klDivergence (torch's register_kl): rule(p, q)
 * applies where p is a P and q a Q (subclasses included). The built-in pairs come first, then the
 * registered ones in the order registered.
 * @example distributions.registerKl(MyDist, distributions.Normal, (p, q) => p.klToNormal(q))
 */
export function registerKl<P extends Distribution, Q extends Distribution>(
  p: DistributionClass<P>,
  q: DistributionClass<Q>,
  rule: (p: P, q: Q) => Tensor,
): void {
  const isClass = (c: unknown) =>
    typeof c === 'function' && (c === Distribution || c.prototype instanceof Distribution);
  if (!isClass(p) || !isClass(q))
    fail('INVALID_ARGUMENT', `registerKl: p and q must be Distribution classes, got ${describe(p)} and ${describe(q)}`);
  fnArg('registerKl', 'rule', rule);
  KL_RULES.push([p, q, rule as (p: never, q: never) => Tensor]);
}

/**
 * KL(p || q) for the pairs with a closed form: Normal, Uniform, Exponential, Laplace, Bernoulli,
 * Categorical, Gamma, Beta, Dirichlet and MultivariateNormal with their own kind, Independent
 * pairs over those, (from more.ts) LogNormal, HalfNormal, Cauchy, Gumbel, Pareto, Geometric,
 * OneHotCategorical and Binomial pairs, ContinuousBernoulli pairs (simplex.ts), and
 * LowRankMultivariateNormal with itself and with MultivariateNormal either way (matrix.ts).
 * @example klDivergence(new Normal(mu, sigma), new Normal(0, 1)).sum()
 */
export function klDivergence(p: Distribution, q: Distribution): Tensor {
  const name = 'klDivergence';
  if (!(p instanceof Distribution) || !(q instanceof Distribution))
    fail('INVALID_ARGUMENT', `${name}: expected two Distributions, got ${describe(p)} and ${describe(q)}`);
  return tidy(() => {
    if (p instanceof Independent && q instanceof Independent) {
      if (p.reinterpretedBatchNdims !== q.reinterpretedBatchNdims)
        fail('SHAPE_MISMATCH', `${name}: Independent pairs must reinterpret as many dims`);
      const k = klDivergence(p.base, q.base);
      const n = p.reinterpretedBatchNdims;
      return n === 0 ? k : k.sum(Array.from({ length: n }, (_, i) => -1 - i));
    }
    if (p instanceof MultivariateNormal && q instanceof MultivariateNormal) return p.klTo(q);
    if (p instanceof Dirichlet && q instanceof Dirichlet) {
      const [a, b] = [p.concentration, q.concentration];
      const a0 = a.sum(-1);
      return a0
        .lgamma()
        .sub(b.sum(-1).lgamma())
        .sub(a.lgamma().sub(b.lgamma()).sum(-1))
        .add(
          a
            .sub(b)
            .mul(a.digamma().sub(a0.digamma().unsqueeze(-1)))
            .sum(-1),
        );
    }
    if (p instanceof Normal && q instanceof Normal) {
      const vr = p.scale.div(q.scale).square();
      const t1 = p.loc.sub(q.loc).div(q.scale).square();
      return vr.add(t1).sub(1).sub(vr.log()).mul(0.5);
    }
    if (p instanceof Uniform && q instanceof Uniform) {
      const inside = q.low.le(p.low).logicalAnd(q.high.ge(p.high));
      return where(inside, q.high.sub(q.low).div(p.high.sub(p.low)).log(), Infinity);
    }
    if (p instanceof Exponential && q instanceof Exponential) {
      const r = q.rate.div(p.rate);
      return r.sub(r.log()).sub(1);
    }
    if (p instanceof Laplace && q instanceof Laplace) {
      const sr = p.scale.div(q.scale);
      const d = p.loc.sub(q.loc).abs().div(q.scale);
      return sr
        .log()
        .neg()
        .add(sr.mul(d.div(sr).neg().exp()))
        .add(d)
        .sub(1);
    }
    if (p instanceof Bernoulli && q instanceof Bernoulli) {
      const pp = p.probs;
      const t1 = pp.mul(softplus(q.logits.neg()).sub(softplus(p.logits.neg())));
      const t2 = pp
        .neg()
        .add(1)
        .mul(softplus(q.logits).sub(softplus(p.logits)));
      return t1.add(t2);
    }
    if (p instanceof Categorical && q instanceof Categorical) {
      const t = p.probs.mul(p.logits.sub(q.logits));
      // 0 log 0 terms (probability 0 in p) count as 0, as torch's
      return where(p.probs.eq(0), 0, t).sum(-1);
    }
    if (p instanceof Gamma && q instanceof Gamma) {
      const [a1, b1, a2, b2] = [p.concentration, p.rate, q.concentration, q.rate];
      return a2
        .mul(b1.div(b2).log())
        .add(a2.lgamma())
        .sub(a1.lgamma())
        .add(a1.sub(a2).mul(a1.digamma()))
        .add(b2.sub(b1).mul(a1.div(b1)));
    }
    if (p instanceof Beta && q instanceof Beta) {
      const [a1, b1, a2, b2] = [p.concentration1, p.concentration0, q.concentration1, q.concentration0];
      const lbeta = (a: Tensor, b: Tensor) => a.lgamma().add(b.lgamma()).sub(a.add(b).lgamma());
      const t1 = a1.add(b1);
      return lbeta(a2, b2)
        .sub(lbeta(a1, b1))
        .add(a1.sub(a2).mul(a1.digamma()))
        .add(b1.sub(b2).mul(b1.digamma()))
        .add(a2.sub(a1).add(b2).sub(b1).mul(t1.digamma()));
    }
    for (const [P, Q, rule] of KL_RULES) if (p instanceof P && q instanceof Q) return rule(p as never, q as never);
    return fail('NOT_IMPLEMENTED', `${name}: no closed form for ${p.constructor.name} and ${q.constructor.name}`);
  });
}
// The Dirichlet mode over the last dim (Beta's too).
function dirichletMode(a: Tensor): Tensor {
  return tidy(() => {
    const am1 = a.sub(1).clamp(0, null);
    const k = a.shape[a.ndim - 1];
    const first = oneHot(zerosLike(a.select(-1, 0)).to('int64'), k).to(a.dtype);
    return where(a.lt(1).all(-1, { keepdim: true }), first, am1.div(am1.sum(-1, { keepdim: true })));
  });
}
