/**
 * Constraints, as torch.distributions.constraints: the regions a value or parameter may take.
 * `check(value)` tells per event whether value lies inside; a distribution's `support` and a
 * transform's `domain`/`codomain` are constraints; `bijectTo`/`transformTo` map unconstrained
 * reals onto one, so a constrained parameter can be optimised freely. Semantics and tolerances
 * are torch 1.13's.
 * @example
 * const c = distributions.constraints.interval(0, 1);
 * c.check(tensor([0.5, 2])); // [true, false]
 * const toPositive = distributions.transformTo.call(distributions.constraints.positive);
 * const scale = toPositive.forward(raw); // exp(raw): positive for any raw
 * @module constraints
 */
import { tensorArg } from '../args.js';
import { fail } from '../errors.js';
import * as linalg from '../linalg/index.js';
import { tidy } from '../memory.js';
import { full } from '../ops/creation.js';
import { cat as catTensors, stack as stackTensors } from '../ops/functional.js';
import { checkOptions, describe, intAtLeast } from '../options.js';
import { Tensor } from '../tensor.js';

/** A bound: a number, or a tensor broadcast against the value. */
export type Bound = number | Tensor;

/**
 * A region of values (torch.distributions.constraints.Constraint): `check(value)` gives a bool
 * tensor with value's shape less its `eventDim` rightmost dims, true where the event is inside.
 * @example distributions.constraints.positive.check(tensor([1, -1])) // [true, false]
 */
export abstract class Constraint {
  /** Whether the region is discrete (integers, one-hot vectors, ...). */
  get isDiscrete(): boolean {
    return false;
  }
  /** How many rightmost dims form one event (0: element-wise). */
  get eventDim(): number {
    return 0;
  }
  /** Per event, whether value lies in the region. @example constraints.simplex.check(x) */
  check(value: Tensor): Tensor<'bool'> {
    const v = tensorArg(`constraints.${this.constructor.name}.check`, 'value', value);
    if (v.ndim < this.eventDim)
      fail(
        'SHAPE_MISMATCH',
        `constraints.${this.toString()}.check: the value needs at least ${this.eventDim} dims, got shape [${v.shape.join(', ')}]`,
      );
    return tidy(() => this.test(v));
  }
  /** The constraint as torch prints it, e.g. `Interval(lowerBound=0, upperBound=1)`. */
  toString(): string {
    return `${this.constructor.name}()`;
  }
  /** @internal check on a checked value. */
  protected abstract test(v: Tensor): Tensor<'bool'>;
}

const boundText = (b: Bound) =>
  typeof b === 'number' ? String(b) : b.numel() === 1 ? String(b.item()) : `tensor of shape [${b.shape.join(', ')}]`;
function boundArg(op: string, what: string, b: unknown): Bound {
  if (typeof b === 'number' && !Number.isNaN(b)) return b;
  if (b instanceof Tensor) return tensorArg(op, what, b);
  return fail('INVALID_ARGUMENT', `constraints.${op}: ${what} must be a number or a tensor, got ${describe(b)}`);
}
// The rightmost n dims of a bool tensor reduced by all (a tensor of ndim n or more).
const allRightmost = (t: Tensor, n: number): Tensor<'bool'> =>
  (n > 0 ? t.reshape([...t.shape.slice(0, t.ndim - n), -1]).all(-1) : t) as Tensor<'bool'>;

class Real extends Constraint {
  protected test(v: Tensor) {
    return v.eq(v); // false for NaN
  }
}
class BooleanConstraint extends Constraint {
  override get isDiscrete() {
    return true;
  }
  override toString() {
    return 'Boolean()';
  }
  protected test(v: Tensor) {
    return v.eq(0).logicalOr(v.eq(1));
  }
}
class OneHot extends Constraint {
  override get isDiscrete() {
    return true;
  }
  override get eventDim() {
    return 1;
  }
  protected test(v: Tensor) {
    return v.eq(0).logicalOr(v.eq(1)).all(-1).logicalAnd(v.sum(-1).eq(1));
  }
}
const isInteger = (v: Tensor) => (v.dtype === 'float32' || v.dtype === 'float64' ? v.eq(v.floor()) : v.eq(v));
class IntegerInterval extends Constraint {
  constructor(
    readonly lowerBound: Bound,
    readonly upperBound: Bound,
  ) {
    super();
  }
  override get isDiscrete() {
    return true;
  }
  protected test(v: Tensor) {
    return isInteger(v).logicalAnd(v.ge(this.lowerBound)).logicalAnd(v.le(this.upperBound));
  }
  override toString() {
    return `IntegerInterval(lowerBound=${boundText(this.lowerBound)}, upperBound=${boundText(this.upperBound)})`;
  }
}
class IntegerGreaterThan extends Constraint {
  constructor(readonly lowerBound: Bound) {
    super();
  }
  override get isDiscrete() {
    return true;
  }
  protected test(v: Tensor) {
    return isInteger(v).logicalAnd(v.ge(this.lowerBound));
  }
  override toString() {
    return `IntegerGreaterThan(lowerBound=${boundText(this.lowerBound)})`;
  }
}
class IntegerLessThan extends Constraint {
  constructor(readonly upperBound: Bound) {
    super();
  }
  override get isDiscrete() {
    return true;
  }
  protected test(v: Tensor) {
    return isInteger(v).logicalAnd(v.le(this.upperBound));
  }
  override toString() {
    return `IntegerLessThan(upperBound=${boundText(this.upperBound)})`;
  }
}
class GreaterThan extends Constraint {
  constructor(readonly lowerBound: Bound) {
    super();
  }
  protected test(v: Tensor) {
    return v.gt(this.lowerBound);
  }
  override toString() {
    return `GreaterThan(lowerBound=${boundText(this.lowerBound)})`;
  }
}
class GreaterThanEq extends Constraint {
  constructor(readonly lowerBound: Bound) {
    super();
  }
  protected test(v: Tensor) {
    return v.ge(this.lowerBound);
  }
  override toString() {
    return `GreaterThanEq(lowerBound=${boundText(this.lowerBound)})`;
  }
}
class LessThan extends Constraint {
  constructor(readonly upperBound: Bound) {
    super();
  }
  protected test(v: Tensor) {
    return v.lt(this.upperBound);
  }
  override toString() {
    return `LessThan(upperBound=${boundText(this.upperBound)})`;
  }
}
class Interval extends Constraint {
  constructor(
    readonly lowerBound: Bound,
    readonly upperBound: Bound,
  ) {
    super();
  }
  protected test(v: Tensor) {
    return v.ge(this.lowerBound).logicalAnd(v.le(this.upperBound));
  }
  override toString() {
    return `Interval(lowerBound=${boundText(this.lowerBound)}, upperBound=${boundText(this.upperBound)})`;
  }
}
class HalfOpenInterval extends Interval {
  protected override test(v: Tensor) {
    return v.ge(this.lowerBound).logicalAnd(v.lt(this.upperBound));
  }
  override toString() {
    return super.toString().replace('Interval', 'HalfOpenInterval');
  }
}
class Simplex extends Constraint {
  override get eventDim() {
    return 1;
  }
  protected test(v: Tensor) {
    return v.ge(0).all(-1).logicalAnd(v.sum(-1).sub(1).abs().lt(1e-6));
  }
}
class Multinomial extends Constraint {
  constructor(readonly upperBound: number) {
    super();
  }
  override get isDiscrete() {
    return true;
  }
  override get eventDim() {
    return 1;
  }
  // torch checks x >= 0 and sum <= upperBound; the counts are also required to be integers here.
  protected test(v: Tensor) {
    return isInteger(v).logicalAnd(v.ge(0)).all(-1).logicalAnd(v.sum(-1).le(this.upperBound));
  }
  override toString() {
    return `Multinomial(upperBound=${this.upperBound})`;
  }
}
const isLowerTriangular = (v: Tensor) => allRightmost(v.tril().eq(v), 2);
class LowerTriangular extends Constraint {
  override get eventDim() {
    return 2;
  }
  protected test(v: Tensor) {
    return isLowerTriangular(v);
  }
}
class LowerCholesky extends Constraint {
  override get eventDim() {
    return 2;
  }
  protected test(v: Tensor) {
    return isLowerTriangular(v).logicalAnd(v.diagonal(0, -2, -1).gt(0).all(-1));
  }
}
class CorrCholesky extends LowerCholesky {
  protected override test(v: Tensor) {
    // torch's tolerance: eps * n * 10 on each row's norm
    const n = v.shape[v.ndim - 1];
    const tol = (v.dtype === 'float64' ? 2.220446049250313e-16 : 1.1920928955078125e-7) * n * 10;
    const unit = linalg.vectorNorm(v.detach(), 2, { dim: -1 }).sub(1).abs().le(tol).all(-1);
    return super.test(v).logicalAnd(unit);
  }
}
class Square extends Constraint {
  override get eventDim() {
    return 2;
  }
  protected test(v: Tensor) {
    return full(v.shape.slice(0, -2), v.shape[v.ndim - 1] === v.shape[v.ndim - 2], { device: v.device });
  }
}
class Symmetric extends Square {
  protected override test(v: Tensor) {
    const square = super.test(v);
    if (!square.all().item()) return square;
    return allRightmost(v.isclose(v.mT, { atol: 1e-6 }), 2);
  }
}
class PositiveSemidefinite extends Symmetric {
  protected override test(v: Tensor) {
    const sym = super.test(v);
    if (!sym.all().item()) return sym;
    return linalg.eigvalsh(v).ge(0).all(-1);
  }
}
class PositiveDefinite extends Symmetric {
  protected override test(v: Tensor) {
    const sym = super.test(v);
    if (!sym.all().item()) return sym;
    return linalg.choleskyEx(v).info.eq(0);
  }
}
class IndependentConstraint extends Constraint {
  constructor(
    readonly baseConstraint: Constraint,
    readonly reinterpretedBatchNdims: number,
  ) {
    super();
  }
  override get isDiscrete() {
    return this.baseConstraint.isDiscrete;
  }
  override get eventDim() {
    return this.baseConstraint.eventDim + this.reinterpretedBatchNdims;
  }
  protected test(v: Tensor) {
    return allRightmost(this.baseConstraint.check(v), this.reinterpretedBatchNdims);
  }
  override toString() {
    return `IndependentConstraint(${this.baseConstraint.toString()}, ${this.reinterpretedBatchNdims})`;
  }
}
// A dim of a tensor of rank n, made non-negative, or a SHAPE_MISMATCH naming the constraint.
function dimOf(c: Constraint, dim: number, n: number): number {
  if (dim < -n || dim >= n)
    fail('SHAPE_MISMATCH', `constraints.${c.toString()}.check: dim ${dim} is out of range for a value of ${n} dims`);
  return dim < 0 ? dim + n : dim;
}
class Cat extends Constraint {
  constructor(
    readonly cseq: readonly Constraint[],
    readonly dim: number,
    readonly lengths: readonly number[],
  ) {
    super();
  }
  override get isDiscrete() {
    return this.cseq.some((c) => c.isDiscrete);
  }
  override get eventDim() {
    return Math.max(...this.cseq.map((c) => c.eventDim));
  }
  protected test(v: Tensor) {
    const d = dimOf(this, this.dim, v.ndim);
    const total = this.lengths.reduce((a, b) => a + b, 0);
    if (v.shape[d] !== total)
      fail(
        'SHAPE_MISMATCH',
        `constraints.Cat.check: dim ${this.dim} has size ${v.shape[d]}, the lengths sum to ${total}`,
      );
    let start = 0;
    const parts = this.cseq.map((c, i) => {
      const part = c.check(v.narrow(d, start, this.lengths[i]));
      start += this.lengths[i];
      return part;
    });
    return catTensors(parts, this.dim) as Tensor<'bool'>;
  }
  override toString() {
    return `Cat([${this.cseq.map(String).join(', ')}], dim=${this.dim})`;
  }
}
class Stack extends Constraint {
  constructor(
    readonly cseq: readonly Constraint[],
    readonly dim: number,
  ) {
    super();
  }
  override get isDiscrete() {
    return this.cseq.some((c) => c.isDiscrete);
  }
  override get eventDim() {
    const d = Math.max(...this.cseq.map((c) => c.eventDim));
    return this.dim + d < 0 ? d + 1 : d;
  }
  protected test(v: Tensor) {
    const d = dimOf(this, this.dim, v.ndim);
    if (v.shape[d] !== this.cseq.length)
      fail(
        'SHAPE_MISMATCH',
        `constraints.Stack.check: dim ${this.dim} has size ${v.shape[d]}, expected one entry per constraint (${this.cseq.length})`,
      );
    return stackTensors(
      this.cseq.map((c, i) => c.check(v.select(d, i))),
      this.dim,
    ) as Tensor<'bool'>;
  }
  override toString() {
    return `Stack([${this.cseq.map(String).join(', ')}], dim=${this.dim})`;
  }
}
class Dependent extends Constraint {
  constructor(
    private readonly discrete?: boolean,
    private readonly events?: number,
  ) {
    super();
  }
  override get isDiscrete(): boolean {
    return (
      this.discrete ?? fail('NOT_IMPLEMENTED', 'constraints.dependent: isDiscrete cannot be determined statically')
    );
  }
  override get eventDim(): number {
    return this.events ?? fail('NOT_IMPLEMENTED', 'constraints.dependent: eventDim cannot be determined statically');
  }
  override check(value: Tensor): Tensor<'bool'> {
    void value;
    return fail('NOT_IMPLEMENTED', 'constraints.dependent: cannot determine the validity of a dependent constraint');
  }
  protected test(): Tensor<'bool'> {
    return fail('NOT_IMPLEMENTED', 'constraints.dependent: cannot determine the validity of a dependent constraint');
  }
}

const constraintArg = (op: string, what: string, c: unknown): Constraint =>
  c instanceof Constraint
    ? c
    : fail('INVALID_ARGUMENT', `constraints.${op}: ${what} must be a Constraint, got ${describe(c)}`);
function constraintList(op: string, cseq: unknown): Constraint[] {
  if (!Array.isArray(cseq) || cseq.length === 0)
    fail('INVALID_ARGUMENT', `constraints.${op}: expected a non-empty array of Constraints, got ${describe(cseq)}`);
  return cseq.map((c, i) => constraintArg(op, `cseq[${i}]`, c));
}
const intArg = (op: string, what: string, v: unknown) => {
  if (!Number.isInteger(v))
    fail('INVALID_ARGUMENT', `constraints.${op}: ${what} must be an integer, got ${describe(v)}`);
  return v as number;
};

/** The extended real line (every value but NaN). */
export const real: Constraint = new Real();
/** Vectors of reals: independent(real, 1). */
export const realVector: Constraint = new IndependentConstraint(real, 1);
/** 0 or 1. */
export const boolean: Constraint = new BooleanConstraint();
/** One-hot vectors (event dim 1). */
export const oneHot: Constraint = new OneHot();
/** Integers >= 0. */
export const nonnegativeInteger: Constraint = new IntegerGreaterThan(0);
/** Integers >= 1. */
export const positiveInteger: Constraint = new IntegerGreaterThan(1);
/** x > 0. */
export const positive: Constraint = new GreaterThan(0);
/** x >= 0. */
export const nonnegative: Constraint = new GreaterThanEq(0);
/** [0, 1]. */
export const unitInterval: Constraint = new Interval(0, 1);
/** Vectors with non-negative entries summing to 1 (to 1e-6). */
export const simplex: Constraint = new Simplex();
/** Lower-triangular square matrices. */
export const lowerTriangular: Constraint = new LowerTriangular();
/** Lower-triangular matrices with a positive diagonal (Cholesky factors). */
export const lowerCholesky: Constraint = new LowerCholesky();
/** Cholesky factors of correlation matrices: lowerCholesky with unit-norm rows. */
export const corrCholesky: Constraint = new CorrCholesky();
/** Square matrices. */
export const square: Constraint = new Square();
/** Symmetric matrices (to atol 1e-6, as torch). */
export const symmetric: Constraint = new Symmetric();
/** Symmetric matrices with eigenvalues >= 0. */
export const positiveSemidefinite: Constraint = new PositiveSemidefinite();
/** Symmetric matrices with a Cholesky factor. */
export const positiveDefinite: Constraint = new PositiveDefinite();
/** A support that depends on other variables: it cannot be checked (torch's constraints.dependent). */
export const dependent: Constraint = new Dependent();

/** x > lowerBound. @example constraints.greaterThan(1) */
export function greaterThan(lowerBound: Bound): Constraint {
  return new GreaterThan(boundArg('greaterThan', 'lowerBound', lowerBound));
}
/** x >= lowerBound. @example constraints.greaterThanEq(scale) */
export function greaterThanEq(lowerBound: Bound): Constraint {
  return new GreaterThanEq(boundArg('greaterThanEq', 'lowerBound', lowerBound));
}
/** x < upperBound. @example constraints.lessThan(0) */
export function lessThan(upperBound: Bound): Constraint {
  return new LessThan(boundArg('lessThan', 'upperBound', upperBound));
}
/** lowerBound <= x <= upperBound. @example constraints.interval(-1, 1) */
export function interval(lowerBound: Bound, upperBound: Bound): Constraint {
  return new Interval(boundArg('interval', 'lowerBound', lowerBound), boundArg('interval', 'upperBound', upperBound));
}
/** lowerBound <= x < upperBound. @example constraints.halfOpenInterval(0, 1) */
export function halfOpenInterval(lowerBound: Bound, upperBound: Bound): Constraint {
  return new HalfOpenInterval(
    boundArg('halfOpenInterval', 'lowerBound', lowerBound),
    boundArg('halfOpenInterval', 'upperBound', upperBound),
  );
}
/** Integers in [lowerBound, upperBound]. @example constraints.integerInterval(0, 9) */
export function integerInterval(lowerBound: Bound, upperBound: Bound): Constraint {
  return new IntegerInterval(
    boundArg('integerInterval', 'lowerBound', lowerBound),
    boundArg('integerInterval', 'upperBound', upperBound),
  );
}
/** Integers <= upperBound. */
export function integerLessThan(upperBound: Bound): Constraint {
  return new IntegerLessThan(boundArg('integerLessThan', 'upperBound', upperBound));
}
/** Integers >= lowerBound. */
export function integerGreaterThan(lowerBound: Bound): Constraint {
  return new IntegerGreaterThan(boundArg('integerGreaterThan', 'lowerBound', lowerBound));
}
/**
 * Non-negative integer counts summing to at most upperBound (event dim 1; torch checks only
 * x >= 0 and the sum, this also that the counts are integers). @example constraints.multinomial(10)
 */
export function multinomial(upperBound: number): Constraint {
  return new Multinomial(intAtLeast('constraints.multinomial', 'upperBound', upperBound, 0));
}
/**
 * base with its rightmost reinterpretedBatchNdims dims made part of the event: an event is valid
 * when every entry is. @example constraints.independent(constraints.positive, 1)
 */
export function independent(baseConstraint: Constraint, reinterpretedBatchNdims: number): Constraint {
  return new IndependentConstraint(
    constraintArg('independent', 'baseConstraint', baseConstraint),
    intAtLeast('constraints.independent', 'reinterpretedBatchNdims', reinterpretedBatchNdims, 0),
  );
}
/**
 * cseq applied to consecutive slices of dim, of the given lengths (1 each by default), as
 * torch.cat joins them. @example constraints.cat([constraints.real, constraints.positive], -1, [2, 1])
 */
export function cat(cseq: readonly Constraint[], dim = 0, lengths?: readonly number[]): Constraint {
  const cs = constraintList('cat', cseq);
  const d = intArg('cat', 'dim', dim);
  const ls = lengths === undefined ? cs.map(() => 1) : lengths;
  if (!Array.isArray(ls) || ls.length !== cs.length)
    fail(
      'INVALID_ARGUMENT',
      `constraints.cat: lengths must give one length per constraint (${cs.length}), got ${describe(lengths)}`,
    );
  return new Cat(
    cs,
    d,
    ls.map((l) => intAtLeast('constraints.cat', 'lengths', l, 0)),
  );
}
/** cseq applied to the entries of dim, as torch.stack joins them. @example constraints.stack([constraints.real, constraints.positive], -1) */
export function stack(cseq: readonly Constraint[], dim = 0): Constraint {
  return new Stack(constraintList('stack', cseq), intArg('stack', 'dim', dim));
}
/**
 * A dependent constraint with isDiscrete and eventDim known statically (torch's
 * `constraints.dependent(is_discrete=..., event_dim=...)`).
 */
export function dependentWith(options: { isDiscrete?: boolean; eventDim?: number }): Constraint {
  const { isDiscrete, eventDim } = checkOptions('constraints.dependentWith', options, {
    isDiscrete: 'boolean',
    eventDim: 'number',
  });
  return new Dependent(
    isDiscrete,
    eventDim === undefined ? undefined : intAtLeast('constraints.dependentWith', 'eventDim', eventDim, 0),
  );
}
/** Whether c is a dependent constraint (torch's constraints.is_dependent). */
export function isDependent(c: unknown): boolean {
  return c instanceof Dependent;
}
