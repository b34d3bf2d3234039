// CatTransform and StackTransform (torch.distributions.transforms): transforms applied to slices of
// one dim, as torch.cat and torch.stack join them. constraint_registry.ts builds them for the
// cat and stack constraints; test/distributions-constraints.test.ts checks them against torch.
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { cat, stack } from '../ops/functional.js';
import { describe, intAtLeast } from '../options.js';
import { Tensor } from '../tensor.js';
import * as constraints from './constraints.js';
import type { Constraint } from './constraints.js';
import { sumRightmost } from './base.js';
import { Transform } from './transforms.js';

function transformList(op: string, tseq: unknown): Transform[] {
  if (!Array.isArray(tseq) || tseq.length === 0 || !tseq.every((t) => t instanceof Transform))
    fail('INVALID_ARGUMENT', `${op}: expected a non-empty array of Transforms, got ${describe(tseq)}`);
  return [...(tseq as Transform[])];
}
function dimArg(op: string, dim: unknown): number {
  if (!Number.isInteger(dim)) fail('INVALID_ARGUMENT', `${op}: dim must be an integer, got ${describe(dim)}`);
  return dim as number;
}
// dim of a tensor of rank n, made non-negative, or SHAPE_MISMATCH naming the op.
function dimIn(op: string, dim: number, t: Tensor): number {
  if (dim < -t.ndim || dim >= t.ndim)
    fail('SHAPE_MISMATCH', `${op}: dim ${dim} is out of range for a tensor of shape [${t.shape.join(', ')}]`);
  return dim < 0 ? dim + t.ndim : dim;
}
// The common sign of maps, or NOT_IMPLEMENTED when they differ (as torch leaves it undefined).
function commonSign(op: string, ts: readonly Transform[]): number {
  const s = ts[0].sign;
  if (ts.some((t) => t.sign !== s)) fail('NOT_IMPLEMENTED', `${op}.sign: the parts have different signs`);
  return s;
}

// Each transform's map of its own slice.
const eachPart = (ts: readonly Transform[], slices: Tensor[], way: 'forward' | 'inverse') =>
  slices.map((s, i) => (way === 'forward' ? ts[i].forward(s) : ts[i].inverse(s)));

/**
 * Transforms applied to consecutive slices of `dim`, of the given lengths (1 each by default),
 * joined as torch.cat (torch's CatTransform). Each part must keep its event dims
 * (domainEventDim = codomainEventDim).
 * @example new distributions.CatTransform([new ExpTransform(), new SigmoidTransform()], -1, [2, 1]).forward(zeros([4, 3]))
 */
export class CatTransform extends Transform {
  readonly transforms: readonly Transform[];
  readonly dim: number;
  readonly lengths: readonly number[];
  constructor(tseq: readonly Transform[], dim = 0, lengths?: readonly number[]) {
    super();
    const op = 'CatTransform';
    this.transforms = transformList(op, tseq);
    this.dim = dimArg(op, dim);
    const ls = lengths === undefined ? this.transforms.map(() => 1) : lengths;
    if (!Array.isArray(ls) || ls.length !== this.transforms.length)
      fail(
        'INVALID_ARGUMENT',
        `${op}: lengths must give one length per transform (${this.transforms.length}), got ${describe(lengths)}`,
      );
    this.lengths = ls.map((l) => intAtLeast(op, 'lengths', l, 0));
    const uneven = this.transforms.find((t) => t.domainEventDim !== t.codomainEventDim);
    if (uneven)
      fail(
        'INVALID_ARGUMENT',
        `${op}: each part must keep its event dims, ${uneven.constructor.name} maps ${uneven.domainEventDim} to ${uneven.codomainEventDim}`,
      );
  }
  /** The largest event dim of the parts. */
  get eventDim(): number {
    return Math.max(...this.transforms.map((t) => t.domainEventDim));
  }
  override get domainEventDim(): number {
    return this.eventDim;
  }
  override get codomainEventDim(): number {
    return this.eventDim;
  }
  override get sign(): number {
    return commonSign('CatTransform', this.transforms);
  }
  override get bijective(): boolean {
    return this.transforms.every((t) => t.bijective);
  }
  override get domain(): Constraint {
    return constraints.cat(
      this.transforms.map((t) => t.domain),
      this.dim,
      this.lengths,
    );
  }
  override get codomain(): Constraint {
    return constraints.cat(
      this.transforms.map((t) => t.codomain),
      this.dim,
      this.lengths,
    );
  }
  // Each part's slice of x, after checking dim's size.
  private slices(op: string, x: Tensor): Tensor[] {
    const d = dimIn(`CatTransform.${op}`, this.dim, x);
    const total = this.lengths.reduce((a, b) => a + b, 0);
    if (x.shape[d] !== total)
      fail('SHAPE_MISMATCH', `CatTransform.${op}: dim ${this.dim} has size ${x.shape[d]}, the lengths sum to ${total}`);
    let start = 0;
    return this.lengths.map((l) => {
      const s = x.narrow(d, start, l);
      start += l;
      return s;
    });
  }
  protected fwd(x: Tensor): Tensor {
    return tidy(() => cat(eachPart(this.transforms, this.slices('forward', x), 'forward'), this.dim));
  }
  protected inv(y: Tensor): Tensor {
    return tidy(() => cat(eachPart(this.transforms, this.slices('inverse', y), 'inverse'), this.dim));
  }
  protected ladj(x: Tensor, y: Tensor): Tensor {
    return tidy(() => {
      const ys = this.slices('logAbsDetJacobian', y);
      const e = this.eventDim;
      const parts = this.slices('logAbsDetJacobian', x).map((s, i) => {
        const t = this.transforms[i];
        return sumRightmost(t.logAbsDetJacobian(s, ys[i]), e - t.domainEventDim);
      });
      // dim inside the event: the parts' Jacobians sum; outside it they sit side by side.
      const d = (this.dim >= 0 ? this.dim - x.ndim : this.dim) + e;
      return d < 0 ? cat(parts, d) : parts.reduce((a, b) => a.add(b));
    });
  }
}

/**
 * Transforms applied to the entries of `dim`, joined as torch.stack (torch's StackTransform).
 * @example new distributions.StackTransform([new ExpTransform(), new TanhTransform()], 1).forward(zeros([4, 2]))
 */
export class StackTransform extends Transform {
  readonly transforms: readonly Transform[];
  readonly dim: number;
  constructor(tseq: readonly Transform[], dim = 0) {
    super();
    this.transforms = transformList('StackTransform', tseq);
    this.dim = dimArg('StackTransform', dim);
  }
  override get domainEventDim(): number {
    return this.domain.eventDim;
  }
  override get codomainEventDim(): number {
    return this.codomain.eventDim;
  }
  override get sign(): number {
    return commonSign('StackTransform', this.transforms);
  }
  override get bijective(): boolean {
    return this.transforms.every((t) => t.bijective);
  }
  override get domain(): Constraint {
    return constraints.stack(
      this.transforms.map((t) => t.domain),
      this.dim,
    );
  }
  override get codomain(): Constraint {
    return constraints.stack(
      this.transforms.map((t) => t.codomain),
      this.dim,
    );
  }
  // The entries of x along dim, after checking there is one per transform.
  private slices(op: string, x: Tensor): Tensor[] {
    const d = dimIn(`StackTransform.${op}`, this.dim, x);
    if (x.shape[d] !== this.transforms.length)
      fail(
        'SHAPE_MISMATCH',
        `StackTransform.${op}: dim ${this.dim} has size ${x.shape[d]}, expected one entry per transform (${this.transforms.length})`,
      );
    return this.transforms.map((_, i) => x.select(d, i));
  }
  protected fwd(x: Tensor): Tensor {
    return tidy(() => stack(eachPart(this.transforms, this.slices('forward', x), 'forward'), this.dim));
  }
  protected inv(y: Tensor): Tensor {
    return tidy(() => stack(eachPart(this.transforms, this.slices('inverse', y), 'inverse'), this.dim));
  }
  protected ladj(x: Tensor, y: Tensor): Tensor {
    return tidy(() => {
      const ys = this.slices('logAbsDetJacobian', y);
      return stack(
        this.slices('logAbsDetJacobian', x).map((s, i) => this.transforms[i].logAbsDetJacobian(s, ys[i])),
        this.dim,
      );
    });
  }
}
