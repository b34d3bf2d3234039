// The distributions' base class and shared checks: parameters, sample shapes, supports (torch's
// constraints, checked by logProb and cdf while validation is on), and parameter broadcasting.
// The distributions themselves are in index.ts and multivariate_normal.ts.
import { noGrad } from '../autograd.js';
import { tensorArg } from '../args.js';
import { isFloating } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { full, tensor } from '../ops/creation.js';
import { broadcastShapes } from '../ops/shaping_more.js';
import { describe, intAtLeast, list } from '../options.js';
import { Tensor } from '../tensor.js';
import { ARG_CONSTRAINTS } from './arg_constraints.js';
import * as constraints from './constraints.js';
import type { Constraint } from './constraints.js';

export const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** A parameter: a tensor (floating), or a number made a float32 tensor. */
export function param(name: string, label: string, v: unknown): Tensor {
  if (typeof v === 'number') return tensor(v);
  const t = tensorArg(name, label, v);
  if (!isFloating(t.dtype)) fail('DTYPE_MISMATCH', `${name}: ${label} must be a floating tensor, got ${t.dtype}`);
  return t;
}
function shapeArg(name: string, v: unknown): number[] {
  return (list(name, 'sampleShape', v ?? [], 64) as number[]).map((s) => intAtLeast(name, 'sampleShape', s, 0));
}
// Where a check over a tensor fails, the error names the distribution and the argument.
export function check(name: string, ok: Tensor, what: string): void {
  const pass = tidy(() => ok.all().item() as boolean);
  if (!pass) fail('INVALID_ARGUMENT', `${name}: ${what}`);
}

/** The base class: shapes, sampling without gradient, and the moments derived from others. */
export abstract class Distribution {
  /** The shape of a batch of independent distributions. */
  readonly batchShape: number[];
  /** The shape of one draw. */
  readonly eventShape: number[];
  constructor(batchShape: readonly number[], eventShape: readonly number[] = []) {
    this.batchShape = [...batchShape];
    this.eventShape = [...eventShape];
  }
  /** Whether rsample gives reparameterised (differentiable) draws. */
  get hasRsample(): boolean {
    return false;
  }
  /** Draws of shape [...sampleShape, ...batchShape, ...eventShape], without gradient. */
  sample(sampleShape: readonly number[] = []): Tensor {
    return noGrad(() => this.rsampleImpl(shapeArg(this.constructor.name, sampleShape)));
  }
  /** Reparameterised draws: differentiable in the parameters. @example normal.rsample([16]) */
  rsample(sampleShape: readonly number[] = []): Tensor {
    if (!this.hasRsample) fail('NOT_IMPLEMENTED', `${this.constructor.name}: rsample is not defined (use sample)`);
    return this.rsampleImpl(shapeArg(this.constructor.name, sampleShape));
  }
  /** The log density (or mass) of value, broadcast against the batch. */
  abstract logProb(value: Tensor | number): Tensor;
  /** The entropy of each distribution in the batch. */
  entropy(): Tensor {
    return fail('NOT_IMPLEMENTED', `${this.constructor.name}: entropy is not defined`);
  }
  /** The mean of each distribution in the batch. */
  get mean(): Tensor {
    return fail('NOT_IMPLEMENTED', `${this.constructor.name}: mean is not defined`);
  }
  /** The mode (the most likely value) of each distribution in the batch. */
  get mode(): Tensor {
    return fail('NOT_IMPLEMENTED', `${this.constructor.name}: mode is not defined`);
  }
  /** The variance of each distribution in the batch. */
  get variance(): Tensor {
    return fail('NOT_IMPLEMENTED', `${this.constructor.name}: variance is not defined`);
  }
  /** The standard deviation: sqrt(variance). */
  get stddev(): Tensor {
    return tidy(() => this.variance.sqrt());
  }
  /**
   * The constraint of each parameter the family takes (torch's arg_constraints), e.g. Normal's
   * `{ loc: real, scale: positive }`; what a variational guide maps unconstrained values onto.
   * @example for (const [k, c] of Object.entries(d.argConstraints)) transformTo.call(c)
   */
  get argConstraints(): Record<string, Constraint> {
    for (let p = Object.getPrototypeOf(this); p && p !== Distribution.prototype; p = Object.getPrototypeOf(p)) {
      const entry = Object.hasOwn(ARG_CONSTRAINTS, p.constructor.name)
        ? ARG_CONSTRAINTS[p.constructor.name]
        : undefined;
      if (entry) return { ...(typeof entry === 'function' ? entry(this) : entry) };
    }
    return {};
  }
  /** exp(entropy): the effective number of equally likely outcomes (torch's perplexity). */
  perplexity(): Tensor {
    return tidy(() => this.entropy().exp());
  }
  /** Whether enumerateSupport is defined (a finite discrete support). */
  get hasEnumerateSupport(): boolean {
    return false;
  }
  /**
   * Every value of a finite discrete support, along a new leading dim (torch's
   * enumerate_support): [K, ...batchShape, ...eventShape], or with expand false [K, 1, ..., 1,
   * ...eventShape] to broadcast. @example new distributions.Bernoulli({ probs }).enumerateSupport() // [2, ...batch]
   */
  enumerateSupport(expand = true): Tensor {
    if (typeof expand !== 'boolean')
      fail(
        'INVALID_ARGUMENT',
        `${this.constructor.name}.enumerateSupport: expand must be a boolean, got ${describe(expand)}`,
      );
    if (!this.hasEnumerateSupport)
      fail('NOT_IMPLEMENTED', `${this.constructor.name}: enumerateSupport is not defined (the support is not finite)`);
    const values = this.supportValues(); // [K, ...eventShape]
    return tidy(() => {
      const k = values.shape[0];
      const ones = this.batchShape.map(() => 1);
      const v = values.reshape([k, ...ones, ...this.eventShape]);
      return expand ? v.expand([k, ...this.batchShape, ...this.eventShape]).contiguous() : v;
    });
  }
  /** @internal The finite support's values, [K, ...eventShape] (enumerateSupport adds the batch). */
  protected supportValues(): Tensor {
    return fail('NOT_IMPLEMENTED', `${this.constructor.name}: enumerateSupport is not defined`);
  }
  /** The cumulative distribution function at value. */
  cdf(value: Tensor | number): Tensor {
    void value;
    return fail('NOT_IMPLEMENTED', `${this.constructor.name}: cdf is not defined`);
  }
  /** The inverse of cdf at probability p. */
  icdf(p: Tensor | number): Tensor {
    void p;
    return fail('NOT_IMPLEMENTED', `${this.constructor.name}: icdf is not defined`);
  }
  /**
   * The distribution with its batch broadcast to batchShape (torch's expand): parameters become
   * broadcast views of this one's (no copy; gradients reach the originals), so a batch of [3]
   * can become [2, 3], or [1] become [4].
   * @example new distributions.Normal(tensor([0, 1]), 1).expand([5, 2]).sample() // [5, 2]
   */
  expand(batchShape: readonly number[]): this {
    const name = `${this.constructor.name}.expand`;
    const shape = (list(name, 'batchShape', batchShape, 64) as number[]).map((s) =>
      intAtLeast(name, 'batchShape', s, 0),
    );
    const old = this.batchShape;
    let fits = false;
    try {
      fits = broadcastShapes(old, shape).join() === shape.join();
    } catch {
      fits = false;
    }
    if (!fits)
      fail('SHAPE_MISMATCH', `${name}: a batch of [${old.join(', ')}] cannot be expanded to [${shape.join(', ')}]`);
    // Every parameter field (and nested distribution) is stored broadcast to the batch, so one
    // whose leading dims are the batch's is expanded there, keeping its trailing dims; the rest
    // (numbers, transforms, scalars like a temperature) are shared.
    const startsWithBatch = (s: readonly number[]) => s.length >= old.length && old.every((d, i) => s[i] === d);
    const copy = Object.create(Object.getPrototypeOf(this) as object) as Record<string, unknown>;
    for (const [k, v] of Object.entries(this)) {
      if (SHARED_FIELDS.has(k)) copy[k] = v;
      else if (v instanceof Tensor && startsWithBatch(v.shape))
        copy[k] = v.expand([...shape, ...v.shape.slice(old.length)]);
      else if (v instanceof Distribution && startsWithBatch(v.batchShape))
        copy[k] = v.expand([...shape, ...v.batchShape.slice(old.length)]);
      else copy[k] = v;
    }
    copy.batchShape = [...shape];
    return copy as this;
  }
  /** @internal Draws (with gradient where the distribution supports it). */
  protected rsampleImpl(sampleShape: number[]): Tensor {
    void sampleShape;
    return fail('NOT_IMPLEMENTED', `${this.constructor.name}: sampling is not defined`);
  }
  /** @internal The value as a tensor of the parameters' dtype. */
  protected valueOf(v: Tensor | number, like: Tensor): Tensor {
    if (typeof v === 'number') return full([], v, { dtype: like.dtype, device: like.device });
    return tensorArg(`${this.constructor.name}.logProb`, 'value', v);
  }
  /**
   * Where values lie (torch's `support`, a constraint): logProb and cdf check their value
   * against it while validation is on. @example new distributions.Gamma(2, 1).support.check(x)
   */
  get support(): Constraint {
    return constraints.real;
  }
  /**
   * @internal valueOf, then (unless validation is off) INVALID_ARGUMENT naming the first value
   * outside the support, as PyTorch's validate_args (on by default) raises.
   */
  protected sampleOf(v: Tensor | number, like: Tensor, method: string): Tensor {
    return this.validate(this.valueOf(v, like), method);
  }
  /** @internal x, after the support check of sampleOf (the first event outside is named). */
  protected validate(x: Tensor, method: string): Tensor {
    const support = this.support;
    if (!validateArgs || constraints.isDependent(support)) return x;
    const bad = tidy(() => {
      const ok = support.check(x); // x broadcast against the parameters, less the event dims
      if (ok.all().item()) return null;
      const i = (ok.reshape(-1).data() as Uint8Array).findIndex((b) => !b);
      const event = x.shape.slice(x.ndim - support.eventDim);
      const v = x
        .expand([...ok.shape, ...event])
        .reshape([-1, ...event])
        .select(0, i)
        .reshape(-1);
      const values = Array.from(v.data() as ArrayLike<number | bigint>, Number);
      return event.length === 0
        ? String(values[0])
        : `the event [${values.slice(0, 8).join(', ')}${values.length > 8 ? ', ...' : ''}] at index ${i}`;
    });
    if (bad !== null)
      fail(
        'INVALID_ARGUMENT',
        `${this.constructor.name}.${method}: the value must be within the support (${support.toString()}), got ${bad}`,
      );
    return x;
  }
  /**
   * Whether logProb and cdf check their value against the support (default true, as PyTorch's
   * Distribution.set_default_validate_args); with false, a value outside gives -Infinity (or 0).
   * @example distributions.Distribution.setDefaultValidateArgs(false)
   */
  static setDefaultValidateArgs(value: boolean): void {
    if (typeof value !== 'boolean')
      fail('INVALID_ARGUMENT', `Distribution.setDefaultValidateArgs: expected a boolean, got ${describe(value)}`);
    validateArgs = value;
  }
}

// Fields expand() shares rather than broadcasts: parameters that are one value for the whole
// batch and event (torch's relaxed distributions leave the temperature as given too).
const SHARED_FIELDS = new Set(['temperature']);
let validateArgs = true;
/** Whether values are being validated (Distribution.setDefaultValidateArgs). */
export const validating = () => validateArgs;

/** c made an event of d dims (independent over those it lacks), as torch's compositions do. */
export const extend = (c: Constraint, d: number): Constraint =>
  d > c.eventDim ? constraints.independent(c, d - c.eventDim) : c;
/** The dtype and device of t, for creating tensors beside it. */
export const optsOf = (t: Tensor) => ({ dtype: t.dtype, device: t.device });
/** torch.finfo(t.dtype).eps: float64's, else float32's. */
export const epsOf = (t: Tensor) => (t.dtype === 'float64' ? 2.220446049250313e-16 : 1.1920928955078125e-7);
/** torch.finfo(t.dtype).tiny: the smallest normal number. */
export const tinyOf = (t: Tensor) => (t.dtype === 'float64' ? 2.2250738585072014e-308 : 1.1754943508222875e-38);
/** log(1 + e^x), stable for any x. */
export const softplus = (x: Tensor): Tensor => tidy(() => x.clamp(0, null).add(x.abs().neg().exp().log1p()));
/** The sum of t over its rightmost n dims (torch's _sum_rightmost). */
export const sumRightmost = (t: Tensor, n: number) => (n > 0 ? t.sum(Array.from({ length: n }, (_, i) => -1 - i)) : t);

// The parameters broadcast to one batch shape (views).
export function broadcastParams(name: string, ...ps: Tensor[]): { shape: number[]; ps: Tensor[] } {
  let shape: number[];
  try {
    shape = broadcastShapes(...ps.map((p) => p.shape));
  } catch {
    return fail(
      'SHAPE_MISMATCH',
      `${name}: parameter shapes ${ps.map((p) => `[${p.shape.join(', ')}]`).join(' and ')} do not broadcast`,
    );
  }
  return { shape, ps: ps.map((p) => p.expand(shape)) };
}
