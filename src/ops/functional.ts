// Free functions: the ops that exist only in this form (cat, stack, where), and the generated free
// form of every op method (torch.add, torch.sum, ...).
import { tensorList } from '../args.js';
import type { Handle } from '../binding.js';
import { fail } from '../errors.js';
import { describe, int } from '../options.js';
import { operand, Tensor, type Scalar } from '../tensor.js';
import { op, opN } from './dispatch.js';

function tensors(name: string, xs: readonly Tensor[]): Handle[] {
  return tensorList(name, 'tensors', xs).map((x) => x._h);
}

/** Concatenates along an existing dim. @example cat([a, b], 0) */
export function cat(xs: readonly Tensor[], dim = 0): Tensor {
  return opN('cat', [int('cat', 'dim', dim)], tensors('cat', xs));
}
/** Stacks along a new dim. @example stack([a, b], 1) */
export function stack(xs: readonly Tensor[], dim = 0): Tensor {
  return opN('stack', [int('stack', 'dim', dim)], tensors('stack', xs));
}
/** Elements of `a` where `cond` is true, else of `b` (broadcasting). @example where(x.gt(0), x, 0) */
export function where(cond: Tensor, a: Tensor | Scalar, b: Tensor | Scalar): Tensor {
  if (!(cond instanceof Tensor)) fail('INVALID_ARGUMENT', `where: condition must be a Tensor, got ${describe(cond)}`);
  return op('where', undefined, cond._h, operand(a, 'where'), operand(b, 'where'));
}

/** Whether obj is a Tensor (torch.is_tensor). @example isTensor(zeros([1])) // true */
export function isTensor(obj: unknown): obj is Tensor {
  return obj instanceof Tensor;
}

export * from './functional.generated.js';
export * from './functional_methods.js';
export * from './functional_inplace.js';
