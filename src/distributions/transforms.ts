// Transforms and TransformedDistribution (torch.distributions.transforms): a base distribution
// pushed through invertible element-wise maps, with logProb by the change of variables. Used for
// squashed policies in reinforcement learning (a Normal through tanh), positive or bounded
// parameters (exp, sigmoid, softplus), and location-scale families (affine).
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { describe } from '../options.js';
import { tensorArg } from '../args.js';
import { Tensor } from '../tensor.js';
import { Distribution, param } from './base.js';

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
}

/** y = loc + scale x. @example new AffineTransform(1, 2) */
export class AffineTransform extends Transform {
  readonly loc: Tensor;
  readonly scale: Tensor;
  constructor(loc: Tensor | number, scale: Tensor | number) {
    super();
    this.loc = param('AffineTransform', 'loc', loc);
    this.scale = param('AffineTransform', 'scale', scale);
  }
  protected fwd(x: Tensor): Tensor {
    return tidy(() => x.mul(this.scale).add(this.loc));
  }
  protected inv(y: Tensor): Tensor {
    return tidy(() => y.sub(this.loc).div(this.scale));
  }
  protected ladj(x: Tensor): Tensor {
    return tidy(() => this.scale.abs().log().add(x.mul(0)));
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
      const eps = y.dtype === 'float64' ? 2.220446049250313e-16 : 1.1920928955078125e-7;
      const tiny = y.dtype === 'float64' ? 2.2250738585072014e-308 : 1.1754943508222875e-38;
      const c = y.clamp(tiny, 1 - eps);
      return c.log().sub(c.neg().log1p());
    });
  }
  protected ladj(x: Tensor): Tensor {
    return tidy(() => softplus(x.neg()).neg().sub(softplus(x)));
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
}

// log(1 + e^x), stable for any x.
function softplus(x: Tensor): Tensor {
  return tidy(() => x.clamp(0, null).add(x.abs().neg().exp().log1p()));
}

// +1 where every element of t is positive, -1 where every one is negative (a map's monotonicity).
function signOf(name: string, what: string, t: Tensor): number {
  const pos = tidy(() => t.gt(0).all().item() as boolean);
  if (pos) return 1;
  if (tidy(() => t.lt(0).all().item() as boolean)) return -1;
  return fail('NOT_IMPLEMENTED', `${name}.sign: the ${what} has mixed signs`);
}

const NUMBER_LIKE = { dtype: 'float32', device: 'cpu' } as const;

// The sum of t over its rightmost n dims.
const sumRightmost = (t: Tensor, n: number) => (n > 0 ? t.sum(Array.from({ length: n }, (_, i) => -1 - i)) : t);

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
    super(baseDistribution.batchShape, baseDistribution.eventShape);
    this.baseDist = baseDistribution;
    this.transforms = [...list];
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
    const y0 = this.valueOf(value, this.like());
    return tidy(() => {
      const e = this.eventShape.length;
      let y = y0;
      let lp: Tensor | number = 0;
      for (const t of [...this.transforms].reverse()) {
        const x = t.inverse(y);
        lp = sumRightmost(t.logAbsDetJacobian(x, y), e).neg().add(lp);
        y = x;
      }
      return this.baseDist.logProb(y).add(lp);
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
