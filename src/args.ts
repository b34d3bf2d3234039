// Argument checks that need the Tensor class (options.ts has the ones that do not): every public
// function that takes tensors checks them here before calling a method on them.
import { fail } from './errors.js';
import { describe, list } from './options.js';
import { Tensor } from './tensor.js';

/** The tensor argument `name` of `op` (null if optional and absent), or INVALID_ARGUMENT. */
export function tensorArg(op: string, name: string, t: unknown, optional: true): Tensor | null;
export function tensorArg(op: string, name: string, t: unknown, optional?: false): Tensor;
export function tensorArg(op: string, name: string, t: unknown, optional = false): Tensor | null {
  if ((t === null || t === undefined) && optional) return null;
  if (!(t instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: '${name}' must be a Tensor, got ${describe(t)}`);
  return t;
}

/** An array of tensors, or INVALID_ARGUMENT naming the first element that is not one. */
export function tensorList(op: string, name: string, v: unknown): Tensor[] {
  const xs = list(op, name, v);
  for (let i = 0; i < xs.length; i++)
    if (!(xs[i] instanceof Tensor))
      fail('INVALID_ARGUMENT', `${op}: ${name}[${i}] must be a Tensor, got ${describe(xs[i])}`);
  return xs as Tensor[];
}

/**
 * The tensor argument `name` of `op` as a batch of matrices (at least 2 dims; `square`: the last
 * two equal), or SHAPE_MISMATCH naming its shape.
 */
export function matrixArg(op: string, name: string, v: unknown, square = false): Tensor {
  const a = tensorArg(op, name, v);
  if (a.ndim < 2)
    fail('SHAPE_MISMATCH', `${op}: expected ${name} to have at least 2 dimensions, got [${a.shape.join(', ')}]`);
  if (square && a.shape[a.ndim - 1] !== a.shape[a.ndim - 2])
    fail(
      'SHAPE_MISMATCH',
      `${op}: expected ${name} to be a batch of square matrices, but they are ${a.shape[a.ndim - 2]} by ${a.shape[a.ndim - 1]} matrices`,
    );
  return a;
}
