// The rest of torch.distributions.transforms: maps that act on whole events (Independent, Reshape,
// Softmax, LowerCholesky, CorrCholesky), the non-bijective |x|, and a distribution's own cdf as a
// transform (copulas). Formulas as torch's; test/distributions-rest.test.ts checks them.
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { describe, intAtLeast, list } from '../options.js';
import { eye, full, tensor } from '../ops/creation.js';
import { cat } from '../ops/functional.js';
import { Tensor } from '../tensor.js';
import { Distribution, epsOf, extend, softplus, sumRightmost } from './base.js';
import { Transform } from './transforms.js';
import * as constraints from './constraints.js';
import type { Constraint } from './constraints.js';

const shapeText = (s: readonly number[]) => `[${s.join(', ')}]`;

/** y = |x|: not invertible (inverse gives y back) and without a log-Jacobian, as torch's AbsTransform. */
export class AbsTransform extends Transform {
  override get codomain(): Constraint {
    return constraints.positive;
  }
  override get bijective(): boolean {
    return false;
  }
  protected fwd(x: Tensor): Tensor {
    return x.abs();
  }
  protected inv(y: Tensor): Tensor {
    return y.clone();
  }
  protected ladj(): Tensor {
    return fail('NOT_IMPLEMENTED', 'AbsTransform.logAbsDetJacobian: |x| is not bijective');
  }
}

/**
 * base acting on events of reinterpretedBatchNdims more dims (torch's IndependentTransform): the
 * log-Jacobian summed over them.
 * @example new distributions.IndependentTransform(new distributions.ExpTransform(), 1)
 */
export class IndependentTransform extends Transform {
  readonly baseTransform: Transform;
  readonly reinterpretedBatchNdims: number;
  constructor(baseTransform: Transform, reinterpretedBatchNdims: number) {
    super();
    if (!(baseTransform instanceof Transform))
      fail(
        'INVALID_ARGUMENT',
        `IndependentTransform: baseTransform must be a Transform, got ${describe(baseTransform)}`,
      );
    this.baseTransform = baseTransform;
    this.reinterpretedBatchNdims = intAtLeast(
      'IndependentTransform',
      'reinterpretedBatchNdims',
      reinterpretedBatchNdims,
      0,
    );
  }
  override get domainEventDim(): number {
    return this.baseTransform.domainEventDim + this.reinterpretedBatchNdims;
  }
  override get codomainEventDim(): number {
    return this.baseTransform.codomainEventDim + this.reinterpretedBatchNdims;
  }
  override get sign(): number {
    return this.baseTransform.sign;
  }
  protected override fwdShape(shape: number[]): number[] {
    return this.baseTransform.forwardShape(shape);
  }
  protected override invShape(shape: number[]): number[] {
    return this.baseTransform.inverseShape(shape);
  }
  override get domain(): Constraint {
    return extend(this.baseTransform.domain, this.domainEventDim);
  }
  override get codomain(): Constraint {
    return extend(this.baseTransform.codomain, this.codomainEventDim);
  }
  override get bijective(): boolean {
    return this.baseTransform.bijective;
  }
  protected fwd(x: Tensor): Tensor {
    return this.baseTransform.forward(x);
  }
  protected inv(y: Tensor): Tensor {
    return this.baseTransform.inverse(y);
  }
  protected ladj(x: Tensor, y: Tensor): Tensor {
    return tidy(() => sumRightmost(this.baseTransform.logAbsDetJacobian(x, y), this.reinterpretedBatchNdims));
  }
}

/**
 * Reshapes the rightmost dims of inShape into outShape (torch's ReshapeTransform): volume
 * preserving, so its log-Jacobian is 0.
 * @example new distributions.ReshapeTransform([6], [2, 3]).forward(zeros([4, 6])) // [4, 2, 3]
 */
export class ReshapeTransform extends Transform {
  readonly inShape: number[];
  readonly outShape: number[];
  constructor(inShape: readonly number[], outShape: readonly number[]) {
    super();
    const name = 'ReshapeTransform';
    const dims = (label: string, v: unknown) =>
      (list(name, label, v, 64) as number[]).map((d) => intAtLeast(name, label, d, 0));
    this.inShape = dims('inShape', inShape);
    this.outShape = dims('outShape', outShape);
    const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);
    if (numel(this.inShape) !== numel(this.outShape))
      fail(
        'SHAPE_MISMATCH',
        `${name}: inShape ${shapeText(this.inShape)} and outShape ${shapeText(this.outShape)} hold different numbers of elements`,
      );
  }
  override get domainEventDim(): number {
    return this.inShape.length;
  }
  override get codomainEventDim(): number {
    return this.outShape.length;
  }
  // shape's batch dims, after checking its rightmost dims are `event`.
  private batchOf(shape: readonly number[], event: number[], op: string): number[] {
    const cut = shape.length - event.length;
    if (cut < 0 || event.some((d, i) => shape[cut + i] !== d))
      fail(
        'SHAPE_MISMATCH',
        `ReshapeTransform.${op}: expected a shape ending in ${shapeText(event)}, got ${shapeText(shape)}`,
      );
    return shape.slice(0, cut);
  }
  protected override fwdShape(shape: number[]): number[] {
    return [...this.batchOf(shape, this.inShape, 'forward'), ...this.outShape];
  }
  protected override invShape(shape: number[]): number[] {
    return [...this.batchOf(shape, this.outShape, 'inverse'), ...this.inShape];
  }
  protected fwd(x: Tensor): Tensor {
    return x.reshape(this.fwdShape([...x.shape]));
  }
  protected inv(y: Tensor): Tensor {
    return y.reshape(this.invShape([...y.shape]));
  }
  protected ladj(x: Tensor): Tensor {
    return full(this.batchOf(x.shape, this.inShape, 'logAbsDetJacobian'), 0, { dtype: x.dtype, device: x.device });
  }
}

/**
 * The softmax over the last dim, onto the simplex (torch's SoftmaxTransform): not bijective
 * (logits are defined up to a constant), so inverse gives log y and there is no log-Jacobian.
 * Use StickBreakingTransform where a density is needed.
 */
export class SoftmaxTransform extends Transform {
  override get domainEventDim(): number {
    return 1;
  }
  override get codomainEventDim(): number {
    return 1;
  }
  override get codomain(): Constraint {
    return constraints.simplex;
  }
  override get bijective(): boolean {
    return false;
  }
  protected fwd(x: Tensor): Tensor {
    if (x.ndim < 1) fail('SHAPE_MISMATCH', 'SoftmaxTransform: the input needs a last dim, got []');
    return x.softmax(-1);
  }
  protected inv(y: Tensor): Tensor {
    return y.log();
  }
  protected ladj(): Tensor {
    return fail('NOT_IMPLEMENTED', 'SoftmaxTransform.logAbsDetJacobian: softmax is not bijective');
  }
}

// x must be [..., n, n].
function squareArg(name: string, x: Tensor): void {
  if (x.ndim < 2 || x.shape[x.ndim - 1] !== x.shape[x.ndim - 2])
    fail('SHAPE_MISMATCH', `${name}: expected square matrices [..., n, n], got ${shapeText(x.shape)}`);
}

/**
 * Unconstrained square matrices to lower-triangular ones with a positive diagonal (torch's
 * LowerCholeskyTransform): the strict lower triangle kept, the diagonal exponentiated.
 * @example new distributions.LowerCholeskyTransform().forward(randn([3, 3]))
 */
export class LowerCholeskyTransform extends Transform {
  override get domainEventDim(): number {
    return 2;
  }
  override get codomainEventDim(): number {
    return 2;
  }
  override get codomain(): Constraint {
    return constraints.lowerCholesky;
  }
  override get bijective(): boolean {
    return false;
  }
  protected fwd(x: Tensor): Tensor {
    squareArg('LowerCholeskyTransform.forward', x);
    return tidy(() => x.tril(-1).add(x.diagonal(0, -2, -1).exp().diagEmbed()));
  }
  protected inv(y: Tensor): Tensor {
    squareArg('LowerCholeskyTransform.inverse', y);
    return tidy(() => y.tril(-1).add(y.diagonal(0, -2, -1).log().diagEmbed()));
  }
  protected ladj(): Tensor {
    return fail('NOT_IMPLEMENTED', 'LowerCholeskyTransform.logAbsDetJacobian: not defined (as torch)');
  }
}

/**
 * x -> distribution.cdf(x) (torch's CumulativeDistributionTransform): onto [0, 1], with the
 * density as its Jacobian; pushing a correlated Gaussian through Normal(0, 1)'s gives a copula.
 * @example new distributions.TransformedDistribution(mvn, [new distributions.CumulativeDistributionTransform(new distributions.Normal(0, 1))])
 */
export class CumulativeDistributionTransform extends Transform {
  readonly distribution: Distribution;
  constructor(distribution: Distribution) {
    super();
    if (!(distribution instanceof Distribution))
      fail(
        'INVALID_ARGUMENT',
        `CumulativeDistributionTransform: expected a Distribution, got ${describe(distribution)}`,
      );
    this.distribution = distribution;
  }
  override get domainEventDim(): number {
    return this.distribution.eventShape.length;
  }
  override get domain(): Constraint {
    return this.distribution.support;
  }
  override get codomain(): Constraint {
    return constraints.unitInterval;
  }
  protected fwd(x: Tensor): Tensor {
    return this.distribution.cdf(x);
  }
  protected inv(y: Tensor): Tensor {
    return this.distribution.icdf(y);
  }
  protected ladj(x: Tensor): Tensor {
    return this.distribution.logProb(x);
  }
}

// The strict lower triangle's positions of an n x n matrix, row by row (torch's tril_indices order),
// as flat indices; `below` = 1 for diag -1, 2 for diag -2.
function trilPositions(n: number, below: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j <= i - below; j++) out.push(i * n + j);
  return out;
}
// [..., n, n] -> the entries at trilPositions(n, below), [..., count].
function trilToVec(y: Tensor, below: number): Tensor {
  const n = y.shape[y.ndim - 1];
  const idx = tensor(trilPositions(n, below), { dtype: 'int64', device: y.device });
  return y.reshape([...y.shape.slice(0, -2), n * n]).indexSelect(-1, idx);
}
// [..., n(n-1)/2] -> [..., n, n] with the vector below the diagonal (row by row), zeros elsewhere.
function vecToStrictTril(v: Tensor, n: number): Tensor {
  const m = v.shape[v.ndim - 1];
  const where = new Array<number>(n * n).fill(m); // index m: the appended zero
  trilPositions(n, 1).forEach((p, k) => (where[p] = k));
  const padded = cat([v, full([...v.shape.slice(0, -1), 1], 0, { dtype: v.dtype, device: v.device })], -1);
  const idx = tensor(where, { dtype: 'int64', device: v.device });
  return padded.indexSelect(-1, idx).reshape([...v.shape.slice(0, -1), n, n]);
}
// n for a vector of n(n-1)/2 entries, or SHAPE_MISMATCH.
function corrDim(name: string, m: number): number {
  const n = Math.round(Math.sqrt(0.25 + 2 * m) + 0.5);
  if ((n * (n - 1)) / 2 !== m) fail('SHAPE_MISMATCH', `${name}: the last dim must be n(n-1)/2 for some n, got ${m}`);
  return n;
}

/**
 * Unconstrained vectors of n(n-1)/2 entries to Cholesky factors of n x n correlation matrices
 * (torch's CorrCholeskyTransform): tanh to partial correlations in (-1, 1), then a signed stick
 * breaking along each row so rows have unit norm. LKJCholesky's support, reached from R^k.
 * @example new distributions.CorrCholeskyTransform().forward(zeros([3])) // the 3 x 3 identity
 */
export class CorrCholeskyTransform extends Transform {
  override get domainEventDim(): number {
    return 1;
  }
  override get codomainEventDim(): number {
    return 2;
  }
  override get sign(): number {
    return fail('NOT_IMPLEMENTED', 'CorrCholeskyTransform.sign: the map is not monotone');
  }
  protected override fwdShape(shape: number[]): number[] {
    if (shape.length < 1) fail('SHAPE_MISMATCH', 'CorrCholeskyTransform: the input needs a last dim, got []');
    const n = corrDim('CorrCholeskyTransform', shape[shape.length - 1]);
    return [...shape.slice(0, -1), n, n];
  }
  protected override invShape(shape: number[]): number[] {
    if (shape.length < 2 || shape[shape.length - 1] !== shape[shape.length - 2])
      fail('SHAPE_MISMATCH', `CorrCholeskyTransform: expected square matrices [..., n, n], got ${shapeText(shape)}`);
    const n = shape[shape.length - 1];
    return [...shape.slice(0, -2), (n * (n - 1)) / 2];
  }
  override get codomain(): Constraint {
    return constraints.corrCholesky;
  }
  protected fwd(x: Tensor): Tensor {
    const n = this.fwdShape([...x.shape])[x.ndim];
    return tidy(() => {
      const r = vecToStrictTril(x.tanh().clamp(-1 + epsOf(x), 1 - epsOf(x)), n);
      // the stick left before each entry of a row: prod_{k<j} sqrt(1 - r_ik^2)
      const left = r.square().neg().add(1).sqrt().cumprod(-1);
      const one = full([...left.shape.slice(0, -1), 1], 1, { dtype: x.dtype, device: x.device });
      const shifted = cat([one, left.narrow(-1, 0, n - 1)], -1);
      return r.add(eye(n, { dtype: x.dtype, device: x.device })).mul(shifted);
    });
  }
  protected inv(y: Tensor): Tensor {
    this.invShape([...y.shape]);
    return tidy(() => {
      const left = y.square().cumsum(-1).neg().add(1);
      const n = y.shape[y.ndim - 1];
      const one = full([...left.shape.slice(0, -1), 1], 1, { dtype: y.dtype, device: y.device });
      const shifted = cat([one, left.narrow(-1, 0, n - 1)], -1);
      return trilToVec(y, 1).div(trilToVec(shifted, 1).sqrt()).atanh();
    });
  }
  protected ladj(x: Tensor, y: Tensor): Tensor {
    return tidy(() => {
      const left = y.square().cumsum(-1).neg().add(1);
      const stick = trilToVec(left, 2).log().sum(-1).mul(0.5);
      // log(1 - tanh(x)^2) = 2 (log 2 - x - softplus(-2x))
      const tanh = x
        .add(softplus(x.mul(-2)))
        .sub(Math.LN2)
        .sum(-1)
        .mul(-2);
      return stick.add(tanh);
    });
  }
}
