// autograd.Function: an op whose forward and backward are written in TypeScript. The forward runs
// under noGrad; its call is then recorded as one node of the native engine, whose backward calls
// back into TS (bindings/autograd.cpp, JsBackward). Saved tensors are kept natively, with their
// version, so a tensor modified in place after it was saved makes backward throw, as for any op.
import { binding, type Handle } from './binding.js';
import { fail } from './errors.js';
import { collectMade } from './memory.js';
import { nodeTracing, traceNodes } from './ops/dispatch.js';
import { describe } from './options.js';
import { Tensor, wrap } from './tensor.js';

/** What forward records for backward: one per call of `Function.apply`. */
/** The static side of a Function subclass, as apply() and the backward hook call it. */
interface FunctionClass {
  name: string;
  forward?: (ctx: FunctionCtx, ...args: unknown[]) => unknown;
  backward?: (ctx: FunctionCtx, ...gradOutputs: (Tensor | null)[]) => unknown;
}

interface Recorded {
  cls: FunctionClass;
  ctx: FunctionCtx;
  /** Positions of the tensor arguments among forward's arguments (the node's inputs, in order). */
  tensorArgs: number[];
  nArgs: number;
}

const recorded = new Map<number, Recorded>();
let nextId = 1;

function dropReleased(): void {
  for (const id of binding.takeReleasedFunctions()) recorded.delete(id);
}

function wrapOrNull(h: Handle | null): Tensor | null {
  if (h === null) return null;
  binding.describe(h);
  return wrap(h);
}

/**
 * The context of one `Function.apply` call, passed to `forward` and `backward`. Besides the
 * methods below, forward may set any field (`ctx.k = 3`) for backward to read.
 */
export class FunctionCtx {
  /** Per forward argument: whether it is a tensor whose gradient is needed (set before forward runs). */
  readonly needsInputGrad: readonly boolean[];
  /** Any value forward stores for backward. */
  [field: string]: unknown;
  /** @internal */
  _toSave: (Tensor | null)[] = [];
  /** @internal */
  _saved: (Tensor | null)[] | undefined;
  /** @internal */
  _dirty = new Set<Tensor>();
  /** @internal */
  _nonDifferentiable = new Set<Tensor>();
  /** @internal */
  _inForward = true;

  /** @internal */
  constructor(needsInputGrad: boolean[]) {
    this.needsInputGrad = needsInputGrad;
  }

  /**
   * Keeps tensors (inputs or outputs of forward) for backward, where `savedTensors` returns them.
   * Call it in forward. @example ctx.saveForBackward(x, result)
   */
  saveForBackward(...tensors: (Tensor | null | undefined)[]): void {
    if (!this._inForward) fail('INVALID_ARGUMENT', 'saveForBackward: call it in forward');
    tensors.forEach((t, i) => {
      if (t != null && !(t instanceof Tensor))
        fail('INVALID_ARGUMENT', `saveForBackward: argument ${i} is not a Tensor or null, got ${describe(t)}`);
    });
    this._toSave = tensors.map((t) => t ?? null);
  }

  /**
   * The tensors given to saveForBackward, in order (readable in backward). A saved tensor
   * modified in place since makes backward throw.
   */
  get savedTensors(): (Tensor | null)[] {
    if (!this._saved)
      fail(
        'INVALID_ARGUMENT',
        'savedTensors: only available in backward (and freed after it unless backward ran with retainGraph)',
      );
    return this._saved;
  }

  /** Declares inputs forward modified in place (and returns): their history is rebased on this call. */
  markDirty(...tensors: Tensor[]): void {
    if (!this._inForward) fail('INVALID_ARGUMENT', 'markDirty: call it in forward');
    for (const t of tensors) {
      if (!(t instanceof Tensor)) fail('INVALID_ARGUMENT', `markDirty: expected Tensors, got ${describe(t)}`);
      this._dirty.add(t);
    }
  }

  /** Declares outputs that carry no gradient (indices, masks): they do not require grad. */
  markNonDifferentiable(...tensors: Tensor[]): void {
    if (!this._inForward) fail('INVALID_ARGUMENT', 'markNonDifferentiable: call it in forward');
    for (const t of tensors) {
      if (!(t instanceof Tensor))
        fail('INVALID_ARGUMENT', `markNonDifferentiable: expected Tensors, got ${describe(t)}`);
      this._nonDifferentiable.add(t);
    }
  }
}

/**
 * A differentiable op written by you (torch.autograd.Function): subclass with static `forward`
 * and `backward`, and call it with `apply`. forward runs without recording; backward receives one
 * gradient per output and returns one gradient (or null) per forward argument. A backward written
 * with tensor ops is itself differentiable under `createGraph`.
 * @example
 * class Exp extends autograd.Function {
 *   static forward(ctx: autograd.FunctionCtx, x: Tensor) {
 *     const y = x.exp();
 *     ctx.saveForBackward(y);
 *     return y;
 *   }
 *   static backward(ctx: autograd.FunctionCtx, g: Tensor) {
 *     const [y] = ctx.savedTensors;
 *     return g.mul(y!);
 *   }
 * }
 * const y = Exp.apply(x);
 */
export abstract class CustomFunction {
  // forward and backward are not declared here: a subclass then defines them without `override`
  // (TypeScript has no abstract statics), and apply() takes forward's own parameter types.

  /** Runs forward and records the call for backward. @example const y = MyReLU.apply(x) */
  static apply<A extends unknown[], R>(this: { forward(ctx: FunctionCtx, ...args: A): R }, ...args: A): R {
    const cls = this as unknown as FunctionClass;
    const name = cls.name || 'Function';
    if (typeof cls.forward !== 'function')
      fail('INVALID_ARGUMENT', `${name}.apply: call apply on a subclass that defines static forward(ctx, ...args)`);
    dropReleased();
    const tensorArgs = args.flatMap((a, i) => (a instanceof Tensor ? [i] : []));
    const recording = binding.isGradEnabled();
    const needs = args.map((a) => recording && a instanceof Tensor && a.requiresGrad);
    const ctx = new FunctionCtx(needs);
    const prev = binding.setGradEnabled(false);
    let out: unknown;
    try {
      out = cls.forward(ctx, ...args);
    } finally {
      binding.setGradEnabled(prev);
      ctx._inForward = false;
    }
    const many = Array.isArray(out);
    const outs = (many ? out : [out]) as unknown[];
    outs.forEach((o, i) => {
      if (!(o instanceof Tensor))
        fail(
          'INVALID_ARGUMENT',
          `${name}.forward: must return a Tensor or an array of Tensors, got ${many ? `${describe(o)} at index ${i}` : describe(o)}`,
        );
    });
    if (!needs.some(Boolean)) return out as R;
    const inputs = tensorArgs.map((i) => args[i] as Tensor);
    const tensors = outs as Tensor[];
    for (const d of ctx._dirty)
      if (!inputs.includes(d)) fail('INVALID_ARGUMENT', `${name}: markDirty was given a tensor that is not an input`);
    const id = nextId++;
    const hs = binding.recordFunction(
      id,
      name,
      inputs.map((t) => t._h),
      tensors.map((t) => t._h),
      ctx._toSave.map((t) => t?._h ?? null),
      tensors.map((t) => ctx._nonDifferentiable.has(t)),
      inputs.map((t) => ctx._dirty.has(t)),
    );
    if (nodeTracing()) traceNodes(name, hs);
    // The node holds what backward needs; the context keeps no tensor alive.
    ctx._toSave = [];
    ctx._dirty.clear();
    ctx._nonDifferentiable.clear();
    recorded.set(id, { cls, ctx, tensorArgs, nArgs: args.length });
    const result = tensors.map((t, i) => (hs[i] === t._h ? t : wrapOrNull(hs[i])!));
    return (many ? result : result[0]) as R;
  }
}

// Called by the engine (JsBackward) for a recorded call: wraps the gradients and saved tensors,
// runs the subclass's backward, checks its result, and hands back one new handle (or null) per
// tensor input. Every tensor made here (but those passed to keep()) is disposed before returning;
// the engine owns the handles.
function runBackward(id: number, gradHandles: (Handle | null)[], savedHandles: (Handle | null)[]): (Handle | null)[] {
  const rec = recorded.get(id);
  if (!rec) return fail('INTERNAL', `autograd.Function: no record of call ${id}`);
  const name = rec.cls.name || 'Function';
  const grads = gradHandles.map(wrapOrNull);
  const saved = savedHandles.map(wrapOrNull);
  const made: Tensor[] = [];
  rec.ctx._saved = saved;
  try {
    const backward = rec.cls.backward;
    if (typeof backward !== 'function')
      fail('NOT_IMPLEMENTED', `${name}.backward: a Function subclass must define static backward(ctx, ...gradOutputs)`);
    const r = collectMade(() => backward.call(rec.cls, rec.ctx, ...grads), made);
    const list = (Array.isArray(r) ? r : [r]) as unknown[];
    // One per argument; PyTorch also accepts trailing nulls beyond them.
    if (list.length < rec.nArgs || list.slice(rec.nArgs).some((g) => g != null))
      fail(
        'INVALID_ARGUMENT',
        `${name}.backward: returned ${list.length} gradients, expected ${rec.nArgs} (one per forward argument)`,
      );
    list.slice(0, rec.nArgs).forEach((g, i) => {
      if (g == null) return;
      if (!(g instanceof Tensor))
        fail('INVALID_ARGUMENT', `${name}.backward: gradient ${i} must be a Tensor or null, got ${describe(g)}`);
      if (!rec.tensorArgs.includes(i))
        fail('INVALID_ARGUMENT', `${name}.backward: returned a gradient for argument ${i}, which is not a tensor`);
    });
    return rec.tensorArgs.map((i) => {
      const g = list[i];
      return g instanceof Tensor ? binding.share(g._h) : null;
    });
  } finally {
    rec.ctx._saved = undefined;
    // What backward made and kept (keep()) outlives it, as under tidy().
    for (const t of [...grads, ...saved, ...made]) if (t && !t._kept) t.dispose();
  }
}

binding.setFunctionHook(runBackward);
