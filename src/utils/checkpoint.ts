// Gradient checkpointing (torch.utils.checkpoint): a segment's activations are not kept for
// backward; backward runs the segment again to rebuild them. It is one autograd.Function whose
// inputs are the segment's tensor arguments and the leaves (parameters) the segment uses, found by
// walking the graph of the forward run before that graph is dropped; its backward recomputes the
// segment and differentiates it with autograd.grad, a backward nested in the running one (the
// engine stashes the outer backward's state meanwhile). As torch's non-reentrant checkpoint, it
// therefore works under backward() and autograd.grad, gives parameters their gradients even when
// no argument requires grad, and, under createGraph, is differentiable again.
/**
 * Gradient checkpointing, as torch.utils.checkpoint: `checkpoint(fn, args)` runs `fn` without
 * keeping its intermediate activations and runs it again during backward to get them, trading
 * compute (one more forward of the segment) for memory. `checkpointSequential` does it for the
 * segments of a sequence of modules.
 *
 * @example
 * const h = utils.checkpoint.checkpoint((x) => block.forward(x), [x]);
 * @module utils/checkpoint
 */
import { binding } from '../binding.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { Module } from '../nn/module.js';
import { Sequential } from '../nn/containers.js';
import { enableGrad } from '../autograd.js';
import { CustomFunction, type FunctionCtx } from '../autograd_function.js';
import { getRngState, type RngState } from '../ops/creation.js';
import { Generator } from '../ops/generator.js';
import { checkOptions, describe, fn as fnArg } from '../options.js';
import { Tensor, wrap } from '../tensor.js';

/** Options of `checkpoint` and `checkpointSequential`. */
export interface CheckpointOptions {
  /**
   * Put the random stream back to where it was at the forward run before backward recomputes,
   * so dropout and other random ops draw what they drew then (default true; false saves nothing
   * but makes a segment with random ops recompute different values).
   */
  preserveRngState?: boolean;
}

const OPTIONS = { preserveRngState: 'boolean' } as const;

type SegmentFn = (...args: never[]) => Tensor | readonly Tensor[];

// What one checkpointed call keeps for its backward besides the saved inputs.
interface Segment {
  fn: SegmentFn;
  /** fn's arguments, tensors replaced by undefined (they come back as saved tensors). */
  args: unknown[];
  tensorAt: number[];
  rng: RngState | null;
  /** The shape and dtype of each output, to check the recomputation against. */
  outputs: { shape: number[]; dtype: string }[];
}

function outputsOf(op: string, r: unknown): { list: Tensor[]; many: boolean } {
  if (r instanceof Tensor) return { list: [r], many: false };
  if (Array.isArray(r) && r.length > 0 && r.every((t) => t instanceof Tensor))
    return { list: r as Tensor[], many: true };
  return fail('INVALID_ARGUMENT', `${op}: fn must return a Tensor or a non-empty array of Tensors, got ${describe(r)}`);
}

class CheckpointFunction extends CustomFunction {
  // The outputs were computed before apply (the forward run that also finds the leaves): forward
  // only saves the tensor arguments and the leaves (so an in-place change to either before
  // backward is an error, as for any op) and hands the outputs over.
  static forward(ctx: FunctionCtx, seg: Segment, outs: Tensor[], ...inputs: Tensor[]): Tensor[] {
    ctx.seg = seg;
    ctx.saveForBackward(...inputs);
    const nonFloat = outs.filter((t) => !t.isFloatingPoint());
    if (nonFloat.length) ctx.markNonDifferentiable(...nonFloat);
    return outs;
  }

  static backward(ctx: FunctionCtx, ...grads: (Tensor | null)[]): (Tensor | null)[] {
    const op = 'checkpoint';
    const seg = ctx.seg as Segment;
    // Under createGraph the gradient must itself be differentiable back to the inputs, so the
    // recomputation runs on the inputs themselves (joining the outer graph); otherwise on detached
    // copies, a graph of its own that the nested backward walks alone.
    const createGraph = binding.isGradEnabled();
    const saved = ctx.savedTensors as Tensor[];
    const leaves = saved.slice(seg.tensorAt.length);
    const needs = seg.tensorAt.map((_, k) => ctx.needsInputGrad[k + 2]!);
    const inputs = saved
      .slice(0, seg.tensorAt.length)
      .map((t, k) => (createGraph || !needs[k] ? t : t.detach().requiresGrad_(true)));
    const args = seg.args.slice();
    seg.tensorAt.forEach((pos, k) => (args[pos] = inputs[k]));
    const run = () => (seg.fn as (...a: unknown[]) => unknown)(...args);
    // A Generator at the forward run's state each time, so a second backward (retainGraph) draws alike.
    const recomputed = enableGrad(() => (seg.rng ? new Generator().setState(seg.rng)._draw(run) : run()));
    const { list } = outputsOf(op, recomputed);
    const same =
      list.length === seg.outputs.length &&
      list.every((t, i) => t.dtype === seg.outputs[i]!.dtype && t.shape.join() === seg.outputs[i]!.shape.join());
    if (!same)
      fail(
        'INVALID_ARGUMENT',
        `${op}: the recomputed segment returned ${list.map((t) => `${t.dtype}[${t.shape.join(', ')}]`).join(', ')} but the forward run returned ${seg.outputs.map((o) => `${o.dtype}[${o.shape.join(', ')}]`).join(', ')}; fn must compute the same thing when run again`,
      );
    const roots: Tensor[] = [];
    const gs: Tensor[] = [];
    list.forEach((t, i) => {
      if (grads[i] && t.requiresGrad) {
        roots.push(t);
        gs.push(grads[i]!);
      }
    });
    const targets = [...inputs.filter((_, k) => needs[k]), ...leaves];
    const found =
      roots.length === 0 || targets.length === 0
        ? targets.map(() => null)
        : (binding
            .autogradGrad(
              roots.map((t) => t._h),
              targets.map((t) => t._h),
              gs.map((t) => t._h),
              createGraph,
              createGraph,
              true,
              true,
            )
            .map((h) => (h === null ? null : wrap(h))) as (Tensor | null)[]);
    let next = 0;
    const inputGrads = needs.map((n) => (n ? found[next++]! : null));
    return [null, null, ...inputGrads, ...found.slice(next)];
  }
}

/**
 * Runs `fn(...args)` without keeping the activations inside it for backward; backward runs `fn`
 * again (with the random stream put back, so dropout draws the same mask) and differentiates that
 * run. Memory for the segment's activations is traded for one more forward of it. `fn` must
 * compute the same thing when run again, and return a Tensor or an array of Tensors; the tensors
 * among `args` (top level) and the parameters `fn` uses receive gradients, under backward() and
 * autograd.grad alike (torch's non-reentrant checkpoint). With grad mode off, it is just `fn(...args)`.
 * @example
 * const y = utils.checkpoint.checkpoint((x: Tensor) => block.forward(x), [x]);
 * y.sum().backward(); // block's activations are recomputed here
 */
export function checkpoint<A extends unknown[], R extends Tensor | Tensor[]>(
  fn: (...args: A) => R,
  args: A,
  options?: CheckpointOptions,
): R {
  const op = 'checkpoint';
  fnArg(op, 'fn', fn);
  if (!Array.isArray(args))
    fail('INVALID_ARGUMENT', `${op}: args must be an array of fn's arguments, got ${describe(args)}`);
  const o = checkOptions(op, options, OPTIONS);
  if (!binding.isGradEnabled()) return fn(...args);
  const tensorAt = args.flatMap((a, i) => (a instanceof Tensor ? [i] : []));
  const rng = (o.preserveRngState ?? true) ? getRngState() : null;
  // The forward run, with the arguments detached: the graph it records then holds only what
  // depends on leaves fn reaches by itself (its parameters), which the walk collects. That graph
  // and every intermediate are dropped here; the outputs go on detached.
  const { outs, leaves, many } = tidy(() => {
    const detached = args.map((a) => (a instanceof Tensor ? a.detach() : a)) as A;
    const { list, many } = outputsOf(op, fn(...detached));
    const leaves = binding.leavesOf(list.map((t) => t._h)).map(wrap);
    return { outs: list.map((t) => t.detach()), leaves, many };
  });
  const inputs = tensorAt.map((i) => args[i] as Tensor);
  const seg: Segment = {
    fn: fn as unknown as SegmentFn,
    args: args.map((a) => (a instanceof Tensor ? undefined : a)),
    tensorAt,
    rng,
    outputs: outs.map((t) => ({ shape: t.shape.slice(), dtype: t.dtype })),
  };
  const r = CheckpointFunction.apply(seg, outs, ...inputs, ...leaves);
  for (const l of leaves) l.dispose(); // the node holds them now
  return (many ? r : r[0]) as R;
}

/**
 * Runs a sequence of modules (an nn.Sequential or an array of modules or functions) split into
 * `segments` runs of about equal length, every run but the last under `checkpoint`
 * (torch.utils.checkpoint.checkpoint_sequential): only the inputs of the runs are kept for
 * backward.
 * @example
 * const y = utils.checkpoint.checkpointSequential(model, 2, x);
 */
export function checkpointSequential(
  functions: Sequential | readonly (Module | ((x: Tensor) => Tensor))[],
  segments: number,
  input: Tensor,
  options?: CheckpointOptions,
): Tensor {
  const op = 'checkpointSequential';
  const list = functions instanceof Sequential ? functions.children() : functions;
  if (!Array.isArray(list) || list.length === 0)
    fail(
      'INVALID_ARGUMENT',
      `${op}: expected an nn.Sequential or a non-empty array of modules, got ${describe(functions)}`,
    );
  const steps = list.map((f, i) => {
    if (f instanceof Module) return (x: Tensor) => f.forward(x) as Tensor;
    if (typeof f === 'function') return f as (x: Tensor) => Tensor;
    return fail('INVALID_ARGUMENT', `${op}: functions[${i}] must be a Module or a function, got ${describe(f)}`);
  });
  if (!Number.isInteger(segments) || segments < 1 || segments > steps.length)
    fail('INVALID_ARGUMENT', `${op}: segments must be an integer in [1, ${steps.length}], got ${describe(segments)}`);
  if (!(input instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: input must be a Tensor, got ${describe(input)}`);
  checkOptions(op, options, OPTIONS);
  const run = (from: number, to: number) => (x: Tensor) => {
    let y = x;
    for (let i = from; i < to; i++) y = steps[i]!(y);
    return y;
  };
  const size = Math.floor(steps.length / segments);
  let x = input;
  let end = 0;
  for (let s = 0; s < segments - 1; s++) {
    const start = s * size;
    end = start + size;
    x = checkpoint(run(start, end), [x], options);
  }
  return run(end, steps.length)(x);
}
