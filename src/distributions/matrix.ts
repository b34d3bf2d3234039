// torch.distributions' families with matrix parameters or values: LowRankMultivariateNormal (a
// Gaussian with covariance W W^T + diag(D), computed through its k x k "capacitance" matrix),
// Wishart (positive-definite matrices; Bartlett's sampler) and LKJCholesky (Cholesky factors of
// correlation matrices; the onion method). Each formula is torch's; test/distributions-rest.test.ts
// checks them against PyTorch's values.
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import * as linalg from '../linalg/index.js';
import { arange, eye, full, randn } from '../ops/creation.js';
import { cat, where } from '../ops/functional.js';
import { broadcastShapes } from '../ops/shaping_more.js';
import { intAtLeast } from '../options.js';
import { Tensor } from '../tensor.js';
import { broadcastParams, check, Distribution, epsOf, optsOf, param, tinyOf } from './base.js';
import * as constraints from './constraints.js';
import type { Constraint } from './constraints.js';

import { Beta, registerKl } from './core.js';
import { Chi2 } from './more.js';
import {
  covarianceOption,
  MultivariateNormal,
  scaleTrilOf,
  type MultivariateNormalOptions,
} from './multivariate_normal.js';

const LOG_2PI = Math.log(2 * Math.PI);
const shapeText = (s: readonly number[]) => `[${s.join(', ')}]`;
// The parameters' batch shapes broadcast, or SHAPE_MISMATCH naming them.
function batchOf(name: string, shapes: (readonly number[])[], what: () => string): number[] {
  try {
    return broadcastShapes(...shapes);
  } catch {
    return fail('SHAPE_MISMATCH', `${name}: ${what()} do not broadcast`);
  }
}

/**
 * The multivariate normal with covariance covFactor covFactor^T + diag(covDiag)
 * (torch.distributions.LowRankMultivariateNormal): loc [..., n], covFactor [..., n, r],
 * covDiag [..., n] > 0. logProb and entropy cost O(n r^2) by the Woodbury identity and the
 * matrix determinant lemma, never forming the n x n covariance.
 * @example new distributions.LowRankMultivariateNormal(zeros([100]), W, ones([100])).logProb(x)
 */
export class LowRankMultivariateNormal extends Distribution {
  readonly loc: Tensor;
  readonly covFactor: Tensor;
  readonly covDiag: Tensor;
  // The lower Cholesky factor of I + W^T D^-1 W, [..., r, r].
  private readonly capacitanceTril: Tensor;
  constructor(loc: Tensor, covFactor: Tensor, covDiag: Tensor) {
    const name = 'LowRankMultivariateNormal';
    const l = param(name, 'loc', loc);
    const w = param(name, 'covFactor', covFactor);
    const d = param(name, 'covDiag', covDiag);
    if (l.ndim < 1) fail('SHAPE_MISMATCH', `${name}: loc must be at least 1-D, got a 0-D tensor`);
    const n = l.shape[l.ndim - 1];
    if (w.ndim < 2 || w.shape[w.ndim - 2] !== n)
      fail(
        'SHAPE_MISMATCH',
        `${name}: covFactor must be [..., ${n}, rank] for loc ${shapeText(l.shape)}, got ${shapeText(w.shape)}`,
      );
    if (d.ndim < 1 || d.shape[d.ndim - 1] !== n)
      fail(
        'SHAPE_MISMATCH',
        `${name}: covDiag must be [..., ${n}] for loc ${shapeText(l.shape)}, got ${shapeText(d.shape)}`,
      );
    const batch = batchOf(
      name,
      [l.shape.slice(0, -1), w.shape.slice(0, -2), d.shape.slice(0, -1)],
      () => `loc ${shapeText(l.shape)}, covFactor ${shapeText(w.shape)} and covDiag ${shapeText(d.shape)}`,
    );
    super(batch, [n]);
    check(name, d.gt(0), 'covDiag must be positive');
    const r = w.shape[w.ndim - 1];
    this.loc = l.expand([...batch, n]);
    this.covFactor = w.expand([...batch, n, r]);
    this.covDiag = d.expand([...batch, n]);
    this.capacitanceTril = tidy(() => {
      const wtDinv = w.mT.div(d.unsqueeze(-2));
      // broadcast to the batch, as every field (expand() relies on it)
      return linalg.cholesky(wtDinv.matmul(w).add(eye(r, optsOf(w)))).expand([...batch, r, r]);
    });
  }
  override get support(): Constraint {
    return constraints.realVector;
  }
  override get hasRsample() {
    return true;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const shape = [...sampleShape, ...this.batchShape];
      const r = this.covFactor.shape[this.covFactor.ndim - 1];
      const epsW = randn([...shape, r, 1], optsOf(this.loc));
      const epsD = randn([...shape, ...this.eventShape], optsOf(this.loc));
      return this.loc.add(this.covFactor.matmul(epsW).squeeze(-1)).add(this.covDiag.sqrt().mul(epsD));
    });
  }
  // log det(W W^T + D) = log det(C) + log det(D).
  private logDet(): Tensor {
    return this.capacitanceTril.diagonal(0, -2, -1).log().sum(-1).mul(2).add(this.covDiag.log().sum(-1));
  }
  // x^T (W W^T + D)^-1 x = x^T D^-1 x - ||C^-1 W^T D^-1 x||^2 (Woodbury), x [..., n].
  private mahalanobis(x: Tensor): Tensor {
    const wtDinvX = this.covFactor.mT.div(this.covDiag.unsqueeze(-2)).matmul(x.unsqueeze(-1)); // [..., r, 1]
    const lead = wtDinvX.shape.slice(0, -2);
    const r = this.capacitanceTril.shape[this.capacitanceTril.ndim - 1];
    const z = linalg.solveTriangular(this.capacitanceTril.expand([...lead, r, r]), wtDinvX, { upper: false });
    return x
      .square()
      .div(this.covDiag)
      .sum(-1)
      .sub(z.square().sum([-2, -1]));
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.loc, 'logProb');
    const n = this.eventShape[0];
    return tidy(() =>
      this.mahalanobis(x.sub(this.loc))
        .add(this.logDet())
        .add(n * LOG_2PI)
        .mul(-0.5),
    );
  }
  override entropy(): Tensor {
    const n = this.eventShape[0];
    return tidy(() =>
      this.logDet()
        .add(n * (1 + LOG_2PI))
        .mul(0.5),
    );
  }
  /** The mode: loc. */
  override get mode(): Tensor {
    return this.loc.clone();
  }
  override get mean(): Tensor {
    return this.loc.clone();
  }
  override get variance(): Tensor {
    return tidy(() => this.covFactor.square().sum(-1).add(this.covDiag));
  }
  /** W W^T + diag(D). */
  get covarianceMatrix(): Tensor {
    return tidy(() => this.covFactor.matmul(this.covFactor.mT).add(this.covDiag.diagEmbed()));
  }
  /** The inverse covariance by Woodbury: D^-1 - A^T A, A = C^-1 W^T D^-1. */
  get precisionMatrix(): Tensor {
    return tidy(() => {
      const a = linalg.solveTriangular(this.capacitanceTril, this.covFactor.mT.div(this.covDiag.unsqueeze(-2)), {
        upper: false,
      });
      return this.covDiag.reciprocal().diagEmbed().sub(a.mT.matmul(a));
    });
  }
  /** The lower Cholesky factor of the covariance, as D^1/2 cholesky(I + D^-1/2 W W^T D^-1/2) (well conditioned). */
  get scaleTril(): Tensor {
    return tidy(() => {
      const n = this.eventShape[0];
      const sd = this.covDiag.sqrt().unsqueeze(-1);
      const w = this.covFactor.div(sd);
      return sd.mul(linalg.cholesky(w.matmul(w.mT).add(eye(n, optsOf(w)))));
    });
  }
}

// The low-rank pairs through the full-covariance form (O(n^3) rather than torch's O(n r^2) route;
// the same KL).
const asFull = (p: LowRankMultivariateNormal) => new MultivariateNormal(p.loc, { scaleTril: p.scaleTril });
registerKl(LowRankMultivariateNormal, LowRankMultivariateNormal, (p, q) => asFull(p).klTo(asFull(q)));
registerKl(LowRankMultivariateNormal, MultivariateNormal, (p, q) => asFull(p).klTo(q));
registerKl(MultivariateNormal, LowRankMultivariateNormal, (p, q) => p.klTo(asFull(q)));

// sum_{i < p} digamma(x - i/2), torch's _mvdigamma.
const mvdigamma = (x: Tensor, p: number) =>
  x
    .unsqueeze(-1)
    .sub(arange(p, optsOf(x)).div(2))
    .digamma()
    .sum(-1);

/**
 * The Wishart distribution over p x p positive-definite matrices (torch.distributions.Wishart):
 * df > p - 1 degrees of freedom and a scale given as covarianceMatrix, precisionMatrix or
 * scaleTril. rsample by Bartlett's decomposition (differentiable in the scale; the chi-square
 * diagonal through Gamma's implicit reparameterisation).
 * @example new distributions.Wishart(5, { covarianceMatrix: eye(3) }).rsample()
 */
export class Wishart extends Distribution {
  readonly df: Tensor;
  readonly scaleTril: Tensor;
  private readonly chi2: Chi2;
  constructor(df: Tensor | number, options: MultivariateNormalOptions) {
    const name = 'Wishart';
    const { which, m } = covarianceOption(name, options);
    if (m.ndim < 2 || m.shape[m.ndim - 1] !== m.shape[m.ndim - 2])
      fail('SHAPE_MISMATCH', `${name}: ${which} must be [..., p, p], got ${shapeText(m.shape)}`);
    const p = m.shape[m.ndim - 1];
    const nu = typeof df === 'number' ? full([], df, optsOf(m)) : param(name, 'df', df);
    const batch = batchOf(
      name,
      [m.shape.slice(0, -2), nu.shape],
      () => `df ${shapeText(nu.shape)} and ${which} ${shapeText(m.shape)}`,
    );
    super(batch, [p, p]);
    check(name, nu.gt(p - 1), `df must be greater than p - 1 = ${p - 1}, got ${describeTensor(nu)}`);
    this.df = nu.expand(batch);
    this.scaleTril = tidy(() => scaleTrilOf(name, which, m).expand([...batch, p, p]));
    this.chi2 = new Chi2(tidy(() => this.df.unsqueeze(-1).sub(arange(p, optsOf(m)))));
  }
  override get hasRsample() {
    return true;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const p = this.eventShape[0];
      const eps = epsOf(this.scaleTril);
      // Bartlett: A lower triangular, sqrt(chi2(df - i)) on the diagonal, N(0, 1) below it
      const diag = this.chi2.rsample(sampleShape).sqrt().clamp(eps, null).diagEmbed();
      const below = randn([...sampleShape, ...this.batchShape, p, p], optsOf(diag)).tril(-1);
      const chol = this.scaleTril.matmul(diag.add(below));
      return chol.matmul(chol.mT);
    });
  }
  override get support(): Constraint {
    return constraints.positiveDefinite;
  }
  private halfLogDet(): Tensor {
    return this.scaleTril.diagonal(0, -2, -1).log().sum(-1);
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.scaleTril, 'logProb');
    const p = this.eventShape[0];
    return tidy(() => {
      const nu = this.df;
      const lead = broadcastShapes(x.shape.slice(0, -2), this.batchShape);
      const L = this.scaleTril.expand([...lead, p, p]);
      const tr = linalg
        .choleskySolve(x.expand([...lead, p, p]), L)
        .diagonal(0, -2, -1)
        .sum(-1);
      return nu
        .mul(this.halfLogDet().add((p * Math.LN2) / 2))
        .neg()
        .sub(nu.div(2).mvlgamma(p))
        .add(
          nu
            .sub(p + 1)
            .div(2)
            .mul(linalg.slogdet(x).logabsdet),
        )
        .sub(tr.div(2));
    });
  }
  override entropy(): Tensor {
    const p = this.eventShape[0];
    return tidy(() => {
      const nu = this.df;
      return this.halfLogDet()
        .add((p * Math.LN2) / 2)
        .mul(p + 1)
        .add(nu.div(2).mvlgamma(p))
        .sub(
          nu
            .sub(p + 1)
            .div(2)
            .mul(mvdigamma(nu.div(2), p)),
        )
        .add(nu.mul(p / 2));
    });
  }
  /** L L^T. */
  get covarianceMatrix(): Tensor {
    return tidy(() => this.scaleTril.matmul(this.scaleTril.mT));
  }
  /** The inverse of the scale matrix. */
  get precisionMatrix(): Tensor {
    return linalg.choleskyInverse(this.scaleTril);
  }
  /** (df - p - 1) times the scale matrix; NaN where df <= p + 1. */
  override get mode(): Tensor {
    return tidy(() => {
      const f = this.df.sub(this.eventShape[0] + 1);
      return where(f.gt(0), f, NaN).unsqueeze(-1).unsqueeze(-1).mul(this.covarianceMatrix);
    });
  }
  override get mean(): Tensor {
    return tidy(() => this.df.unsqueeze(-1).unsqueeze(-1).mul(this.covarianceMatrix));
  }
  override get variance(): Tensor {
    return tidy(() => {
      const v = this.covarianceMatrix;
      const d = v.diagonal(0, -2, -1);
      return this.df
        .unsqueeze(-1)
        .unsqueeze(-1)
        .mul(v.square().add(d.unsqueeze(-1).mul(d.unsqueeze(-2))));
    });
  }
}
const describeTensor = (t: Tensor) => (t.numel() === 1 ? String(t.item()) : `a tensor of shape ${shapeText(t.shape)}`);

/**
 * The LKJ distribution over Cholesky factors L of dim x dim correlation matrices
 * (torch.distributions.LKJCholesky): L L^T has density proportional to det^(concentration - 1);
 * concentration 1 is uniform over correlation matrices. Sampled by the onion method (no rsample).
 * @example const L = new distributions.LKJCholesky(3, 2).sample() // L.matmul(L.mT) has unit diagonal
 */
export class LKJCholesky extends Distribution {
  readonly dim: number;
  readonly concentration: Tensor;
  private readonly beta: Beta;
  constructor(dim: number, concentration: Tensor | number = 1) {
    const name = 'LKJCholesky';
    const n = intAtLeast(name, 'dim', dim, 2);
    const eta = param(name, 'concentration', concentration);
    super(eta.shape, [n, n]);
    check(name, eta.gt(0), 'concentration must be positive');
    this.dim = n;
    this.concentration = eta;
    // The onion method (Lewandowski, Kurowicka and Joe 2009, sec. 3.2): row i >= 1 takes a squared
    // length y_i ~ Beta(i/2, eta + (dim - 1 - i)/2) (row 0's entry is a placeholder). torch 1.13 (and
    // torch today) gives row i concentration1 = i - 1/2, right only for i = 1, so its draws for
    // dim >= 3 have too-wide correlations past the first row (E r_31^2 = 0.30 at eta = 1, dim = 3,
    // where the marginal Beta(3/2, 3/2) on [-1, 1] has 1/4); this follows the paper.
    const [c1, c0] = tidy(() => {
      const offset = cat([full([1], 0, optsOf(eta)), arange(n - 1, optsOf(eta))]);
      const marginal = eta.add(0.5 * (n - 2));
      const { ps } = broadcastParams(name, offset.add(1).mul(0.5), marginal.unsqueeze(-1).sub(offset.mul(0.5)));
      return ps.map((p) => p.contiguous());
    });
    this.beta = new Beta(c1, c0);
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const n = this.dim;
      const y = this.beta.sample(sampleShape).unsqueeze(-1);
      const u = randn([...sampleShape, ...this.batchShape, n, n], optsOf(this.concentration)).tril(-1);
      // rows of u on the unit sphere; row 0 (all zero) stays zero
      const norm = u.norm(2, { dim: -1, keepdim: true });
      const sphere = u.div(norm.clamp(tinyOf(u), null)); // the smallest normal of the dtype: MIN_VALUE is 0 in float32
      const w = y.sqrt().mul(sphere);
      const diag = w.square().sum(-1).neg().add(1).clamp(tinyOf(w), null).sqrt();
      return w.add(diag.diagEmbed());
    });
  }
  override get support(): Constraint {
    return constraints.corrCholesky;
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.concentration, 'logProb');
    const n = this.dim;
    return tidy(() => {
      const diag = x.diagonal(0, -2, -1).narrow(-1, 1, n - 1);
      const order = this.concentration
        .sub(1)
        .mul(2)
        .unsqueeze(-1)
        .add(arange(n - 2, -1, -1, optsOf(diag)));
      const unnormalised = order.mul(diag.log()).sum(-1);
      const dm1 = n - 1;
      const alpha = this.concentration.add(0.5 * dm1);
      const normalise = alpha
        .sub(0.5)
        .mvlgamma(dm1)
        .sub(alpha.lgamma().mul(dm1))
        .add(0.5 * dm1 * Math.log(Math.PI));
      return unnormalised.sub(normalise);
    });
  }
}
