// torch.distributions.constraint_registry: from a constraint to a transform that maps
// unconstrained reals onto it. bijectTo gives bijections (for HMC-style reparameterisation, where
// log-Jacobians must be exact); transformTo may give a map that is onto but not one-to-one (softmax
// onto the simplex), as for optimising a constrained parameter. Each entry is torch 1.13's.
import { fail } from '../errors.js';
import { describe, fn as fnArg } from '../options.js';
import { Tensor } from '../tensor.js';
import * as constraints from './constraints.js';
import { Constraint } from './constraints.js';
import {
  AffineTransform,
  ComposeTransform,
  ExpTransform,
  SigmoidTransform,
  StickBreakingTransform,
  Transform,
} from './transforms.js';
import {
  CorrCholeskyTransform,
  IndependentTransform,
  LowerCholeskyTransform,
  SoftmaxTransform,
} from './transforms_more.js';
import { CatTransform, StackTransform } from './transforms_cat.js';

/** A function from a constraint to a transform onto it. */
export type TransformFactory = (constraint: Constraint) => Transform;
/** A constraint class, or an instance standing for its class. */
export type ConstraintKey = Constraint | (abstract new (...args: never[]) => Constraint);

/** The identity map (torch's identity_transform: an empty ComposeTransform). */
export const identityTransform: Transform = new ComposeTransform([]);

/**
 * A table from constraint classes to transform factories (torch's ConstraintRegistry). Lookup is
 * by the constraint's exact class, as torch's; register your own Constraint subclasses.
 * @example distributions.bijectTo.call(distributions.constraints.positive).forward(x) // exp(x)
 */
export class ConstraintRegistry {
  private readonly table = new Map<unknown, TransformFactory>();
  constructor(private readonly label = 'ConstraintRegistry') {}
  /**
   * Registers factory for the class of `constraint` (an instance stands for its class), replacing
   * any earlier entry. @example registry.register(myConstraint, (c) => new ExpTransform())
   */
  register(constraint: ConstraintKey, factory: TransformFactory): void {
    const op = `${this.label}.register`;
    const key =
      constraint instanceof Constraint
        ? constraint.constructor
        : typeof constraint === 'function' && constraint.prototype instanceof Constraint
          ? constraint
          : fail('INVALID_ARGUMENT', `${op}: expected a Constraint or a Constraint class, got ${describe(constraint)}`);
    this.table.set(key, fnArg(op, 'factory', factory) as TransformFactory);
  }
  /** The transform onto constraint; NOT_IMPLEMENTED when its class has no entry. */
  call(constraint: Constraint): Transform {
    const op = `${this.label}.call`;
    if (!(constraint instanceof Constraint))
      fail('INVALID_ARGUMENT', `${op}: expected a Constraint, got ${describe(constraint)}`);
    const factory = this.table.get(constraint.constructor);
    if (!factory) return fail('NOT_IMPLEMENTED', `${op}: cannot transform ${constraint.toString()} constraints`);
    const t = factory(constraint);
    if (!(t instanceof Transform))
      fail(
        'INVALID_ARGUMENT',
        `${op}: the factory for ${constraint.toString()} returned ${describe(t)}, not a Transform`,
      );
    return t;
  }
}

/** Bijections from unconstrained space onto each constraint (torch's biject_to). */
export const bijectTo = new ConstraintRegistry('bijectTo');
/** Maps from unconstrained space onto each constraint, not always one-to-one (torch's transform_to). */
export const transformTo = new ConstraintRegistry('transformTo');

// The bounds of a bounded constraint (the registry's entries read them as torch's do).
type Bounded = Constraint & { lowerBound?: number | Tensor; upperBound?: number | Tensor };
type Nested = Constraint & {
  baseConstraint: Constraint;
  reinterpretedBatchNdims: number;
  cseq: Constraint[];
  dim: number;
  lengths: number[];
};

function registerBoth(cs: Constraint[], factory: (c: Constraint, r: ConstraintRegistry) => Transform): void {
  for (const r of [bijectTo, transformTo]) for (const c of cs) r.register(c, (x) => factory(x, r));
}
registerBoth([constraints.real], () => identityTransform);
registerBoth([constraints.realVector], (c, r) => {
  const n = c as Nested;
  return new IndependentTransform(r.call(n.baseConstraint), n.reinterpretedBatchNdims);
});
// positive and nonnegative are GreaterThan(0) and GreaterThanEq(0): torch's later greater_than
// entry replaces its exp entry for them, so they map by exp then a shift by 0, as here.
registerBoth(
  [constraints.greaterThan(0), constraints.greaterThanEq(0)],
  (c) => new ComposeTransform([new ExpTransform(), new AffineTransform((c as Bounded).lowerBound!, 1)]),
);
registerBoth(
  [constraints.lessThan(0)],
  (c) => new ComposeTransform([new ExpTransform(), new AffineTransform((c as Bounded).upperBound!, -1)]),
);
registerBoth([constraints.interval(0, 1), constraints.halfOpenInterval(0, 1)], (c) => {
  const { lowerBound: lo, upperBound: hi } = c as Bounded;
  if (lo === 0 && hi === 1) return new SigmoidTransform();
  const scale = typeof hi === 'number' ? (typeof lo === 'number' ? hi - lo : lo!.neg().add(hi)) : hi!.sub(lo!);
  return new ComposeTransform([new SigmoidTransform(), new AffineTransform(lo!, scale)]);
});
bijectTo.register(constraints.simplex, () => new StickBreakingTransform());
transformTo.register(constraints.simplex, () => new SoftmaxTransform());
transformTo.register(constraints.lowerCholesky, () => new LowerCholeskyTransform());
registerBoth([constraints.corrCholesky], () => new CorrCholeskyTransform());
registerBoth([constraints.cat([constraints.real])], (c, r) => {
  const n = c as Nested;
  return new CatTransform(
    n.cseq.map((x) => r.call(x)),
    n.dim,
    n.lengths,
  );
});
registerBoth([constraints.stack([constraints.real])], (c, r) => {
  const n = c as Nested;
  return new StackTransform(
    n.cseq.map((x) => r.call(x)),
    n.dim,
  );
});
