// The multivariate normal (torch.distributions.MultivariateNormal), through the lower Cholesky
// factor of its covariance (src/linalg).
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import * as linalg from '../linalg/index.js';
import { eye, randn } from '../ops/creation.js';
import { broadcastShapes } from '../ops/shaping_more.js';
import { checkOptions } from '../options.js';
import { Tensor } from '../tensor.js';
import * as constraints from './constraints.js';
import type { Constraint } from './constraints.js';
import { check, Distribution, param } from './base.js';

/** How a MultivariateNormal's covariance is given: exactly one of the three. */
export interface MultivariateNormalOptions {
  covarianceMatrix?: Tensor;
  precisionMatrix?: Tensor;
  /** The lower Cholesky factor of the covariance (positive diagonal). */
  scaleTril?: Tensor;
}

/** @internal Exactly one of covarianceMatrix, precisionMatrix and scaleTril: which, and its tensor. */
export function covarianceOption(
  name: string,
  options: MultivariateNormalOptions,
): { which: keyof MultivariateNormalOptions; m: Tensor } {
  const o = checkOptions(name, options, { covarianceMatrix: 'any', precisionMatrix: 'any', scaleTril: 'any' });
  const given = (['covarianceMatrix', 'precisionMatrix', 'scaleTril'] as const).filter((k) => o[k] != null);
  if (given.length !== 1)
    fail(
      'INVALID_ARGUMENT',
      `${name}: exactly one of covarianceMatrix, precisionMatrix or scaleTril must be given, got ${given.length === 0 ? 'none' : given.join(' and ')}`,
    );
  return { which: given[0], m: param(name, given[0], o[given[0]]) };
}

/**
 * @internal The lower Cholesky factor of a covariance given as torch's distributions take it
 * (covarianceMatrix, precisionMatrix or scaleTril, checked), for MultivariateNormal and Wishart.
 */
export function scaleTrilOf(name: string, which: keyof MultivariateNormalOptions, m: Tensor): Tensor {
  return tidy(() => {
    if (which === 'scaleTril') {
      check(name, m.diagonal(0, -2, -1).gt(0), 'scaleTril must have a positive diagonal');
      check(name, m.triu(1).eq(0), 'scaleTril must be lower triangular');
      return m;
    }
    const pd = (f: () => Tensor) => {
      try {
        return f();
      } catch {
        return fail('INVALID_ARGUMENT', `${name}: ${which} must be symmetric positive-definite`);
      }
    };
    if (which === 'covarianceMatrix') return pd(() => linalg.cholesky(m));
    // torch's _precision_to_scale_tril: L = inv(flip(cholesky(flip(P)))^T), by a triangular solve.
    const lf = pd(() => linalg.cholesky(m.flip([-2, -1])));
    const linv = lf.flip([-2, -1]).mT;
    const id = eye(m.shape[m.ndim - 1], { dtype: m.dtype, device: m.device });
    return linalg.solveTriangular(linv, id, { upper: false });
  });
}

function mvnBatch(l: Tensor, m: Tensor, which: string): number[] {
  try {
    return broadcastShapes(l.shape.slice(0, -1), m.shape.slice(0, -2));
  } catch {
    return fail(
      'SHAPE_MISMATCH',
      `MultivariateNormal: loc [${l.shape.join(', ')}] and ${which} [${m.shape.join(', ')}] do not broadcast`,
    );
  }
}

/**
 * The multivariate normal N(loc, Sigma) over the last dim (event shape [k]), Sigma given as
 * `covarianceMatrix`, `precisionMatrix` or `scaleTril` (its lower Cholesky factor); the batch
 * dims of loc and the matrix broadcast. Computed through scaleTril, as torch's: rsample is
 * loc + L eps, logProb uses a triangular solve, no inverse.
 * @example new distributions.MultivariateNormal(zeros([2]), { covarianceMatrix: cov }).logProb(x)
 */
export class MultivariateNormal extends Distribution {
  readonly loc: Tensor;
  readonly scaleTril: Tensor;
  constructor(loc: Tensor, options: MultivariateNormalOptions) {
    const name = 'MultivariateNormal';
    const l = param(name, 'loc', loc);
    if (l.ndim < 1) fail('SHAPE_MISMATCH', `${name}: loc must be at least 1-D, got a 0-D tensor`);
    const { which, m } = covarianceOption(name, options);
    const k = l.shape[l.ndim - 1];
    if (m.ndim < 2 || m.shape[m.ndim - 1] !== k || m.shape[m.ndim - 2] !== k)
      fail(
        'SHAPE_MISMATCH',
        `${name}: ${which} must be [..., ${k}, ${k}] for loc [${l.shape.join(', ')}], got [${m.shape.join(', ')}]`,
      );
    const batch = mvnBatch(l, m, which);
    super(batch, [k]);
    const tril = tidy(() => scaleTrilOf(name, which, m).expand([...batch, k, k]));
    this.scaleTril = tril;
    this.loc = l.expand([...batch, k]);
  }
  override get support(): Constraint {
    return constraints.realVector;
  }
  override get hasRsample() {
    return true;
  }
  protected override rsampleImpl(sampleShape: number[]): Tensor {
    return tidy(() => {
      const eps = randn([...sampleShape, ...this.batchShape, ...this.eventShape], {
        dtype: this.loc.dtype,
        device: this.loc.device,
      });
      return this.loc.add(this.scaleTril.matmul(eps.unsqueeze(-1)).squeeze(-1));
    });
  }
  private halfLogDet(): Tensor {
    return this.scaleTril.diagonal(0, -2, -1).log().sum(-1);
  }
  // ||L^-1 diff||^2 over the event dim, diff [..., k] broadcast against the batch.
  private mahalanobis(diff: Tensor): Tensor {
    const shape = broadcastShapes(diff.shape, this.loc.shape);
    const d = diff.expand(shape);
    const lead = shape.slice(0, -1);
    const L = this.scaleTril.expand([...lead, ...this.eventShape, ...this.eventShape]);
    return linalg.solveTriangular(L, d.unsqueeze(-1), { upper: false }).squeeze(-1).square().sum(-1);
  }
  logProb(value: Tensor | number): Tensor {
    const x = this.sampleOf(value, this.loc, 'logProb');
    const k = this.eventShape[0];
    return tidy(() =>
      this.mahalanobis(x.sub(this.loc))
        .add(k * Math.log(2 * Math.PI))
        .mul(-0.5)
        .sub(this.halfLogDet()),
    );
  }
  override entropy(): Tensor {
    const k = this.eventShape[0];
    return tidy(() => this.halfLogDet().add(0.5 * k * (1 + Math.log(2 * Math.PI))));
  }
  /** The mode: loc. */
  override get mode(): Tensor {
    return this.loc.clone();
  }
  override get mean(): Tensor {
    return this.loc.clone();
  }
  override get variance(): Tensor {
    return tidy(() => this.scaleTril.square().sum(-1));
  }
  /** L L^T. */
  get covarianceMatrix(): Tensor {
    return tidy(() => this.scaleTril.matmul(this.scaleTril.mT));
  }
  /** The inverse covariance, from L (torch.cholesky_inverse). */
  get precisionMatrix(): Tensor {
    return linalg.choleskyInverse(this.scaleTril);
  }
  /** @internal For klDivergence: half log det(Sigma) and the Mahalanobis term. */
  klTo(q: MultivariateNormal): Tensor {
    if (q.eventShape[0] !== this.eventShape[0])
      fail('SHAPE_MISMATCH', `klDivergence: MultivariateNormals of ${this.eventShape[0]} and ${q.eventShape[0]} dims`);
    const k = this.eventShape[0];
    return tidy(() => {
      const shape = broadcastShapes(this.scaleTril.shape, q.scaleTril.shape);
      // ||Lq^-1 Lp||_F^2 = tr(Sigma_q^-1 Sigma_p)
      const tr = linalg
        .solveTriangular(q.scaleTril.expand(shape), this.scaleTril.expand(shape), { upper: false })
        .square()
        .sum([-2, -1]);
      return q
        .halfLogDet()
        .sub(this.halfLogDet())
        .add(
          tr
            .add(q.mahalanobis(q.loc.sub(this.loc)))
            .sub(k)
            .mul(0.5),
        );
    });
  }
}
