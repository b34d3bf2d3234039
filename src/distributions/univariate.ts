// torch.distributions' FisherSnedecor (the F distribution) and VonMises (the circular normal).
// Formulas as torch's, except VonMises' Bessel functions: torch approximates log I0 and log I1 by
// Abramowitz and Stegun's polynomials (about 1e-7 relative); these use the exact i0e and i1e.
// test/distributions-rest.test.ts checks both against PyTorch's values.
import { tidy } from '../memory.js';
import { fail } from '../errors.js';
import { rand } from '../ops/creation.js';
import { where } from '../ops/functional.js';
import { Tensor } from '../tensor.js';
import { broadcastParams, check, Distribution, optsOf, param, tinyOf } from './base.js';
import * as constraints from './constraints.js';
import type { Constraint } from './constraints.js';

import { Gamma } from './core.js';

/**
 * The F distribution with df1 and df2 degrees of freedom (torch.distributions.FisherSnedecor):
 * the ratio of two scaled chi-squares, reparameterised through Gamma's draws.
 * @example new distributions.FisherSnedecor(5, 10).logProb(1.2)
 */
export class FisherSnedecor extends Distribution {
  readonly df1: Tensor;
  readonly df2: Tensor;
  private readonly gamma1: Gamma;
  private readonly gamma2: Gamma;
  constructor(df1: Tensor | number, df2: Tensor | number) {
    const name = 'FisherSnedecor';
    const b = broadcastParams(name, param(name, 'df1', df1), param(name, 'df2', df2));
    super(b.shape);
    [this.df1, this.df2] = b.ps;
    check(name, this.df1.gt(0).logicalAnd(this.df2.gt(0)), 'df1 and df2 must be positive');
    this.gamma1 = new Gamma(
      tidy(() => this.df1.mul(0.5)),
      this.df1,
    );
    this.gamma2 = new Gamma(
      tidy(() => this.df2.mul(0.5)),
      this.df2,
    );
  }
  override get hasRsample() {
    return true;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      // X1 ~ Gamma(df1/2, df1), X2 ~ Gamma(df2/2, df2): X1 / X2 ~ F(df1, df2)
      const x1 = this.gamma1.rsample(sampleShape);
      const x2 = this.gamma2.rsample(sampleShape).clamp(tinyOf(this.df1), null);
      return x1.div(x2).clamp(tinyOf(this.df1), null);
    });
  }
  override get support(): Constraint {
    return constraints.positive;
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.df1, 'logProb');
    return tidy(() => {
      const c1 = this.df1.mul(0.5);
      const c2 = this.df2.mul(0.5);
      const c3 = this.df1.div(this.df2);
      const t1 = c1.add(c2).lgamma().sub(c1.lgamma()).sub(c2.lgamma());
      const t2 = c1.mul(c3.log()).add(c1.sub(1).mul(x.log()));
      const t3 = c1.add(c2).mul(c3.mul(x).log1p());
      return t1.add(t2).sub(t3);
    });
  }
  /** (df1 - 2)/df1 * df2/(df2 + 2); NaN where df1 <= 2. */
  override get mode(): Tensor {
    return tidy(() => {
      const [d1, d2] = [this.df1, this.df2];
      return where(d1.gt(2), d1.sub(2).div(d1).mul(d2).div(d2.add(2)), NaN);
    });
  }
  /** df2 / (df2 - 2); NaN where df2 <= 2. */
  override get mean(): Tensor {
    return tidy(() => where(this.df2.gt(2), this.df2.div(this.df2.sub(2)), NaN));
  }
  /** NaN where df2 <= 4. */
  override get variance(): Tensor {
    return tidy(() => {
      const [d1, d2] = [this.df1, this.df2];
      const v = d2
        .square()
        .mul(2)
        .mul(d1.add(d2).sub(2))
        .div(d1.mul(d2.sub(2).square()).mul(d2.sub(4)));
      return where(d2.gt(4), v, NaN);
    });
  }
}

// log I_order(x) for x > 0, by the exponentially scaled Bessel functions.
const logI = (x: Tensor, order: 0 | 1) => (order === 0 ? x.i0e() : x.i1e()).log().add(x);

/**
 * The von Mises distribution on the circle (torch.distributions.VonMises): density
 * exp(concentration cos(x - loc)) / (2 pi I0(concentration)); values are angles, any real x
 * read modulo 2 pi. Sampled by Best and Fisher's rejection method into [-pi, pi) (no rsample).
 * mean and variance are the circular ones (loc, and 1 - I1/I0).
 * @example new distributions.VonMises(0, 4).sample([100])
 */
export class VonMises extends Distribution {
  readonly loc: Tensor;
  readonly concentration: Tensor;
  constructor(loc: Tensor | number, concentration: Tensor | number) {
    const name = 'VonMises';
    const b = broadcastParams(name, param(name, 'loc', loc), param(name, 'concentration', concentration));
    super(b.shape);
    [this.loc, this.concentration] = b.ps;
    check(name, this.concentration.gt(0), 'concentration must be positive');
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.loc, 'logProb');
    return tidy(() =>
      this.concentration
        .mul(x.sub(this.loc).cos())
        .sub(Math.log(2 * Math.PI))
        .sub(logI(this.concentration, 0)),
    );
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const shape = [...sampleShape, ...this.batchShape];
      const k = this.concentration.expand(shape);
      const tau = k.square().mul(4).add(1).sqrt().add(1);
      const rho = tau.sub(tau.mul(2).sqrt()).div(k.mul(2));
      const r = rho.square().add(1).div(rho.mul(2));
      let x = k.mul(0);
      let done = k.mul(0).ne(0);
      // Each round accepts a draw with probability >= 0.65 (Best and Fisher), so the loop is
      // short; a cap keeps a pathological parameter (NaN) from spinning forever.
      for (let round = 0; round < 1000 && !(done.all().item() as boolean); round++) {
        const [u1, u2, u3] = rand([3, ...shape], optsOf(k)).unbind(0);
        const z = u1.mul(Math.PI).cos();
        const f = r.mul(z).add(1).div(r.add(z));
        const c = k.mul(r.sub(f));
        const accept = c
          .mul(c.neg().add(2))
          .sub(u2)
          .gt(0)
          .logicalOr(c.div(u2).log().add(1).sub(c).ge(0))
          .logicalAnd(done.logicalNot());
        x = where(accept, u3.sub(0.5).sign().mul(f.acos()), x);
        done = done.logicalOr(accept);
      }
      if (!(done.all().item() as boolean))
        fail('INVALID_ARGUMENT', 'VonMises.sample: the rejection sampler did not converge');
      return x
        .add(Math.PI)
        .add(this.loc)
        .remainder(2 * Math.PI)
        .sub(Math.PI);
    });
  }
  /** The mode: loc. */
  override get mode(): Tensor {
    return this.loc.clone();
  }
  /** The circular mean: loc. */
  override get mean(): Tensor {
    return this.loc.clone();
  }
  /** The circular variance 1 - I1(k) / I0(k). */
  override get variance(): Tensor {
    return tidy(() => logI(this.concentration, 1).sub(logI(this.concentration, 0)).exp().neg().add(1));
  }
}
