// Transforms and TransformedDistribution (torch.distributions.transforms): a base distribution
// pushed through invertible element-wise maps, with logProb by the change of variables. Used for
// squashed policies in reinforcement learning (a Normal through tanh), positive or bounded
// parameters (exp, sigmoid, softplus), and location-scale families (affine).
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { describe, intAtLeast, list as listArg } from '../options.js';
import { tensorArg } from '../args.js';
import { Tensor } from '../tensor.js';
import * as constraints from './constraints.js';
import type { Constraint } from './constraints.js';
import { arange, full } from '../ops/creation.js';
import { cat } from '../ops/functional.js';
import { Distribution, epsOf, extend, param, softplus, sumRightmost, tinyOf } from './base.js';
import { Independent } from './core.js';

/** An invertible element-wise map with the log of its Jacobian's absolute determinant. */
export abstract class Transform {
  /** y = f(x). */
  forward(x: Tensor): Tensor {
    return this.fwd(tensorArg(`${this.constructor.name}.forward`, 'x', x));
  }
  /** x = f⁻¹(y). */
  inverse(y: Tensor): Tensor {
    return this.inv(tensorArg(`${this.constructor.name}.inverse`, 'y', y));
  }
  /** log |df/dx| at x, where y = f(x). */
  logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    const op = `${this.constructor.name}.logAbsDetJacobian`;
    return this.ladj(tensorArg(op, 'x', x), tensorArg(op, 'y', y));
  }
  /** +1 for an increasing map, -1 for a decreasing one (cdf and icdf need it). */
  get sign(): number {
    return 1;
  }
  /** The rightmost input dims the map acts on jointly (torch's domain.event_dim; 0: element-wise). */
  get domainEventDim(): number {
    return 0;
  }
  /** The rightmost output dims it produces jointly (torch's codomain.event_dim). */
  get codomainEventDim(): number {
    return 0;
  }
  /** Where inputs lie (a constraint; unconstrained reals over domainEventDim dims unless the map needs less). */
  get domain(): Constraint {
    return extend(constraints.real, this.domainEventDim);
  }
  /** Where outputs lie (a constraint). @example new ExpTransform().codomain // GreaterThan(lowerBound=0) */
  get codomain(): Constraint {
    return extend(constraints.real, this.codomainEventDim);
  }
  /** Whether the map is a bijection of domain onto codomain (so inverse is exact). */
  get bijective(): boolean {
    return true;
  }
  /** The output shape for an input of this shape. @example new StickBreakingTransform().forwardShape([5, 3]) // [5, 4] */
  forwardShape(shape: readonly number[]): number[] {
    return this.fwdShape(shapeArg(`${this.constructor.name}.forwardShape`, shape));
  }
  /** The input shape for an output of this shape. */
  inverseShape(shape: readonly number[]): number[] {
    return this.invShape(shapeArg(`${this.constructor.name}.inverseShape`, shape));
  }
  /** @internal forwardShape, on a checked shape (element-wise maps keep it). */
  protected fwdShape(shape: number[]): number[] {
    return shape;
  }
  /** @internal inverseShape, on a checked shape. */
  protected invShape(shape: number[]): number[] {
    return shape;
  }
  /** Applies the transform (torch's `t(x)`). @example new ExpTransform().call(x) */
  call(x: Tensor): Tensor {
    return this.forward(x);
  }
  /** @internal f, on a checked tensor. */
  protected abstract fwd(x: Tensor): Tensor;
  /** @internal f⁻¹, on a checked tensor. */
  protected abstract inv(y: Tensor): Tensor;
  /** @internal log |df/dx|, on checked tensors. */
  protected abstract ladj(x: Tensor, y: Tensor): Tensor;
}

/** y = exp(x). */
export class ExpTransform extends Transform {
  protected fwd(x: Tensor): Tensor {
    return x.exp();
  }
  protected inv(y: Tensor): Tensor {
    return y.log();
  }
  protected ladj(x: Tensor): Tensor {
    return x.clone();
  }
  override get codomain(): Constraint {
    return constraints.positive;
  }
}

/**
 * y = loc + scale x. Numbers stay numbers in the arithmetic (as torch's Python scalars), so a
 * float64 input keeps float64 precision. @example new AffineTransform(1, 2)
 */
export class AffineTransform extends Transform {
  readonly loc: Tensor;
  readonly scale: Tensor;
  private readonly locArg: Tensor | number;
  private readonly scaleArg: Tensor | number;
  constructor(loc: Tensor | number, scale: Tensor | number) {
    super();
    this.loc = param('AffineTransform', 'loc', loc);
    this.scale = param('AffineTransform', 'scale', scale);
    this.locArg = typeof loc === 'number' ? loc : this.loc;
    this.scaleArg = typeof scale === 'number' ? scale : this.scale;
  }
  protected fwd(x: Tensor): Tensor {
    return tidy(() => x.mul(this.scaleArg).add(this.locArg));
  }
  protected inv(y: Tensor): Tensor {
    return tidy(() => y.sub(this.locArg).div(this.scaleArg));
  }
  protected ladj(x: Tensor): Tensor {
    const s = this.scaleArg;
    if (typeof s === 'number') return full(x.shape, Math.log(Math.abs(s)), { dtype: x.dtype, device: x.device });
    return tidy(() => s.abs().log().add(x.mul(0)));
  }
  override get sign(): number {
    return signOf('AffineTransform', 'scale', this.scale);
  }
}

/** y = sigmoid(x). */
export class SigmoidTransform extends Transform {
  protected fwd(x: Tensor): Tensor {
    return x.sigmoid();
  }
  protected inv(y: Tensor): Tensor {
    return tidy(() => {
      // torch clamps to (tiny, 1 - eps) so the logit stays finite
      const c = y.clamp(tinyOf(y), 1 - epsOf(y));
      return c.log().sub(c.neg().log1p());
    });
  }
  protected ladj(x: Tensor): Tensor {
    return tidy(() => softplus(x.neg()).neg().sub(softplus(x)));
  }
  override get codomain(): Constraint {
    return constraints.unitInterval;
  }
}

/** y = tanh(x), as torch's TanhTransform (its log-Jacobian in the stable form). */
export class TanhTransform extends Transform {
  protected fwd(x: Tensor): Tensor {
    return x.tanh();
  }
  protected inv(y: Tensor): Tensor {
    return y.atanh();
  }
  protected ladj(x: Tensor): Tensor {
    return tidy(() =>
      x
        .neg()
        .add(Math.LN2)
        .sub(softplus(x.mul(-2)))
        .mul(2),
    );
  }
  override get codomain(): Constraint {
    return constraints.interval(-1, 1);
  }
}

/** y = softplus(x) = log(1 + e^x). */
export class SoftplusTransform extends Transform {
  protected fwd(x: Tensor): Tensor {
    return softplus(x);
  }
  protected inv(y: Tensor): Tensor {
    return tidy(() => y.add(y.neg().expm1().neg().log()));
  }
  protected ladj(x: Tensor): Tensor {
    return tidy(() => softplus(x.neg()).neg());
  }
  override get codomain(): Constraint {
    return constraints.positive;
  }
}

/** y = x^exponent on x > 0. @example new PowerTransform(0.5) */
export class PowerTransform extends Transform {
  readonly exponent: Tensor;
  constructor(exponent: Tensor | number) {
    super();
    this.exponent = param('PowerTransform', 'exponent', exponent);
  }
  protected fwd(x: Tensor): Tensor {
    return x.pow(this.exponent);
  }
  protected inv(y: Tensor): Tensor {
    return tidy(() => y.pow(this.exponent.reciprocal()));
  }
  protected ladj(x: Tensor, y: Tensor): Tensor {
    return tidy(() => this.exponent.mul(y).div(x).abs().log());
  }
  override get sign(): number {
    return signOf('PowerTransform', 'exponent', this.exponent);
  }
  override get domain(): Constraint {
    return constraints.positive;
  }
  override get codomain(): Constraint {
    return constraints.positive;
  }
}

/**
 * The unconstrained R^(K-1) onto the K-simplex by stick breaking (torch's StickBreakingTransform):
 * each coordinate, shifted by log of the sticks left, takes a sigmoid share of what remains.
 * Acts on the last dim jointly; not monotone, so no cdf through it.
 * @example new distributions.StickBreakingTransform().forward(zeros([3])) // [0.25, 0.25, 0.25, 0.25]
 */
export class StickBreakingTransform extends Transform {
  override get domainEventDim(): number {
    return 1;
  }
  override get codomainEventDim(): number {
    return 1;
  }
  override get codomain(): Constraint {
    return constraints.simplex;
  }
  override get sign(): number {
    return fail('NOT_IMPLEMENTED', 'StickBreakingTransform.sign: the map is not monotone (no cdf or icdf through it)');
  }
  protected override fwdShape(shape: number[]): number[] {
    if (shape.length < 1) fail('SHAPE_MISMATCH', 'StickBreakingTransform: the input needs a last dim, got []');
    return [...shape.slice(0, -1), shape[shape.length - 1] + 1];
  }
  protected override invShape(shape: number[]): number[] {
    if (shape.length < 1 || shape[shape.length - 1] < 1)
      fail(
        'SHAPE_MISMATCH',
        `StickBreakingTransform: the output needs a last dim of at least 1, got [${shape.join(', ')}]`,
      );
    return [...shape.slice(0, -1), shape[shape.length - 1] - 1];
  }
  protected fwd(x: Tensor): Tensor {
    this.fwdShape([...x.shape]);
    return tidy(() => {
      const z = clippedSigmoid(x.sub(logSticks(x.shape[x.ndim - 1], x)));
      const one = full([...x.shape.slice(0, -1), 1], 1, { dtype: x.dtype, device: x.device });
      return cat([z, one], -1).mul(cat([one, z.neg().add(1).cumprod(-1)], -1));
    });
  }
  protected inv(y: Tensor): Tensor {
    const k = this.invShape([...y.shape])[y.ndim - 1];
    return tidy(() => {
      const head = y.narrow(-1, 0, k);
      // the stick left, clamped positive: rounding can leave y[-1] ~ 0 or the head summing past 1
      const left = head.cumsum(-1).neg().add(1).clamp(tinyOf(y), null);
      return head.log().sub(left.log()).add(logSticks(k, y));
    });
  }
  protected ladj(x: Tensor, y: Tensor): Tensor {
    return tidy(() => {
      const k = x.shape[x.ndim - 1];
      const s = x.sub(logSticks(k, x));
      // log(1 - sigmoid(s)) = -s + log sigmoid(s)
      return s
        .neg()
        .sub(softplus(s.neg()))
        .add(y.narrow(-1, 0, k).log())
        .sum(-1);
    });
  }
}
/**
 * Transforms applied in order as one (torch's ComposeTransform): its event dims are those the
 * chain needs, its log-Jacobian the sum of the parts' (each summed over the dims it leaves).
 * @example new distributions.ComposeTransform([new AffineTransform(0, 2), new ExpTransform()]).forward(x)
 */
export class ComposeTransform extends Transform {
  readonly parts: readonly Transform[];
  constructor(parts: readonly Transform[]) {
    super();
    if (!Array.isArray(parts) || !parts.every((t) => t instanceof Transform))
      fail('INVALID_ARGUMENT', `ComposeTransform: expected an array of Transforms, got ${describe(parts)}`);
    this.parts = [...parts];
  }
  override get domainEventDim(): number {
    const p = this.parts;
    let d = p.length ? p[p.length - 1].codomainEventDim : 0;
    for (const t of [...p].reverse()) d = Math.max(d + t.domainEventDim - t.codomainEventDim, t.domainEventDim);
    return d;
  }
  override get codomainEventDim(): number {
    const p = this.parts;
    let d = p.length ? p[0].domainEventDim : 0;
    for (const t of p) d = Math.max(d + t.codomainEventDim - t.domainEventDim, t.codomainEventDim);
    return d;
  }
  override get sign(): number {
    return this.parts.reduce((s, t) => s * t.sign, 1);
  }
  override get domain(): Constraint {
    return this.parts.length ? extend(this.parts[0].domain, this.domainEventDim) : constraints.real;
  }
  override get codomain(): Constraint {
    const p = this.parts;
    return p.length ? extend(p[p.length - 1].codomain, this.codomainEventDim) : constraints.real;
  }
  override get bijective(): boolean {
    return this.parts.every((t) => t.bijective);
  }
  protected override fwdShape(shape: number[]): number[] {
    return this.parts.reduce((s, t) => t.forwardShape(s), shape);
  }
  protected override invShape(shape: number[]): number[] {
    return this.parts.reduceRight((s, t) => t.inverseShape(s), shape);
  }
  protected fwd(x: Tensor): Tensor {
    return tidy(() => this.parts.reduce((v, t) => t.forward(v), x.clone()));
  }
  protected inv(y: Tensor): Tensor {
    return tidy(() => this.parts.reduceRight((v, t) => t.inverse(v), y.clone()));
  }
  protected ladj(x: Tensor, y: Tensor): Tensor {
    return tidy(() => {
      if (!this.parts.length) return x.mul(0);
      const xs = [x];
      for (const t of this.parts.slice(0, -1)) xs.push(t.forward(xs[xs.length - 1]));
      xs.push(y);
      let e = this.domainEventDim;
      let sum: Tensor | null = null;
      this.parts.forEach((t, i) => {
        const term = sumRightmost(t.logAbsDetJacobian(xs[i], xs[i + 1]), e - t.domainEventDim);
        sum = sum === null ? term : sum.add(term);
        e += t.codomainEventDim - t.domainEventDim;
      });
      return sum!;
    });
  }
}

// A shape argument: non-negative integers.
const shapeArg = (name: string, v: unknown) =>
  (listArg(name, 'shape', v, 64) as number[]).map((d) => intAtLeast(name, 'shape', d, 0));
// log([k, k - 1, ..., 1]): how many sticks remain at each step.
const logSticks = (k: number, like: Tensor) => arange(k, 0, -1, { dtype: like.dtype, device: like.device }).log();
// sigmoid clamped to [tiny, 1 - eps], as torch's _clipped_sigmoid.
function clippedSigmoid(x: Tensor): Tensor {
  return x.sigmoid().clamp(tinyOf(x), 1 - epsOf(x));
}

// +1 where every element of t is positive, -1 where every one is negative (a map's monotonicity).
function signOf(name: string, what: string, t: Tensor): number {
  const pos = tidy(() => t.gt(0).all().item() as boolean);
  if (pos) return 1;
  if (tidy(() => t.lt(0).all().item() as boolean)) return -1;
  return fail('NOT_IMPLEMENTED', `${name}.sign: the ${what} has mixed signs`);
}

const NUMBER_LIKE = { dtype: 'float32', device: 'cpu' } as const;

/**
 * base pushed through transforms in order (torch.distributions.TransformedDistribution):
 * samples are the transforms of base samples, logProb(y) is the base's at the inverse minus the
 * log-Jacobians. cdf and icdf where every transform is monotone.
 * @example const squashed = new distributions.TransformedDistribution(new distributions.Normal(mu, sigma), [new distributions.TanhTransform()])
 */
export class TransformedDistribution extends Distribution {
  readonly baseDist: Distribution;
  readonly transforms: readonly Transform[];
  constructor(baseDistribution: Distribution, transforms: Transform | readonly Transform[]) {
    const op = 'TransformedDistribution';
    if (!(baseDistribution instanceof Distribution))
      fail('INVALID_ARGUMENT', `${op}: the base must be a Distribution, got ${describe(baseDistribution)}`);
    const list = transforms instanceof Transform ? [transforms] : transforms;
    if (!Array.isArray(list) || !list.every((t) => t instanceof Transform))
      fail('INVALID_ARGUMENT', `${op}: expected a Transform or an array of them, got ${describe(transforms)}`);
    // torch's shapes: the composed map's domain event dims (base batch dims reinterpreted as
    // event dims where it needs more), its output shape, and the event dims of that output.
    const compose = new ComposeTransform(list);
    const [domainDim, codomainDim] = [compose.domainEventDim, compose.codomainEventDim];
    const baseShape = [...baseDistribution.batchShape, ...baseDistribution.eventShape];
    const baseEventDim = baseDistribution.eventShape.length;
    if (baseShape.length < domainDim)
      fail(
        'SHAPE_MISMATCH',
        `${op}: the transforms act on ${domainDim} dims, the base has shape [${baseShape.join(', ')}]`,
      );
    const shape = compose.forwardShape(baseShape);
    const cut = shape.length - (codomainDim + Math.max(baseEventDim - domainDim, 0));
    super(shape.slice(0, cut), shape.slice(cut));
    this.baseDist =
      domainDim > baseEventDim ? new Independent(baseDistribution, domainDim - baseEventDim) : baseDistribution;
    this.transforms = [...list];
  }
  /**
   * The last transform's codomain, made independent over the event dims it leaves (torch's); the
   * base's support when there are no transforms.
   */
  override get support(): Constraint {
    const last = this.transforms[this.transforms.length - 1];
    if (!last) return this.baseDist.support;
    const c = last.codomain;
    const extra = this.eventShape.length - c.eventDim;
    return extra > 0 ? constraints.independent(c, extra) : c;
  }
  override get hasRsample() {
    return this.baseDist.hasRsample;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      let x = this.baseDist.hasRsample ? this.baseDist.rsample(sampleShape) : this.baseDist.sample(sampleShape);
      for (const t of this.transforms) x = t.forward(x);
      return x;
    });
  }
  logProb(value: Tensor | number): Tensor {
    const y0 = this.validate(this.valueOf(value, this.like()), 'logProb');
    return tidy(() => {
      let e = this.eventShape.length;
      let y = y0;
      let lp: Tensor | number = 0;
      for (const t of [...this.transforms].reverse()) {
        const x = t.inverse(y);
        e += t.domainEventDim - t.codomainEventDim;
        lp = sumRightmost(t.logAbsDetJacobian(x, y), e - t.domainEventDim)
          .neg()
          .add(lp);
        y = x;
      }
      return sumRightmost(this.baseDist.logProb(y), e - this.baseDist.eventShape.length).add(lp);
    });
  }
  override cdf(value: Tensor | number): Tensor {
    const y0 = this.valueOf(value, this.like());
    return tidy(() => {
      let y = y0;
      let sign = 1;
      for (const t of [...this.transforms].reverse()) {
        y = t.inverse(y);
        sign *= t.sign;
      }
      const c = this.baseDist.cdf(y);
      return sign > 0 ? c : c.neg().add(1);
    });
  }
  override icdf(p: Tensor | number): Tensor {
    const q0 = this.valueOf(p, this.like());
    return tidy(() => {
      const sign = this.transforms.reduce((s, t) => s * t.sign, 1);
      let x = this.baseDist.icdf(sign > 0 ? q0 : q0.neg().add(1));
      for (const t of this.transforms) x = t.forward(x);
      return x;
    });
  }
  // What valueOf reads a number as: a float32 CPU scalar, torch's default dtype (the base's
  // parameters then promote it). Only its dtype and device are read.
  private like(): Tensor {
    return NUMBER_LIKE as unknown as Tensor;
  }
}
