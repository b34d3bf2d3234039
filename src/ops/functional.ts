// Free-function forms of the ops (torch.add, torch.cat, torch.where, ...).
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

function asTensor(op: string, a: Tensor | Scalar): Tensor {
  if (!(a instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: the first operand must be a Tensor, got ${describe(a)}`);
  return a;
}

/** torch.add. @example add(a, b) */ export const add = (a: Tensor, b: Tensor | Scalar) => asTensor('add', a).add(b);
/** torch.sub. */ export const sub = (a: Tensor, b: Tensor | Scalar) => asTensor('sub', a).sub(b);
/** torch.mul. */ export const mul = (a: Tensor, b: Tensor | Scalar) => asTensor('mul', a).mul(b);
/** torch.div. */ export const div = (a: Tensor, b: Tensor | Scalar) => asTensor('div', a).div(b);
/** torch.pow. */ export const pow = (a: Tensor, b: Tensor | Scalar) => asTensor('pow', a).pow(b);
/** torch.maximum. */ export const maximum = (a: Tensor, b: Tensor | Scalar) => asTensor('maximum', a).maximum(b);
/** torch.minimum. */ export const minimum = (a: Tensor, b: Tensor | Scalar) => asTensor('minimum', a).minimum(b);
/** torch.matmul. @example matmul(a, b) */ export const matmul = (a: Tensor, b: Tensor) => asTensor('matmul', a).matmul(b);
/** torch.dot. */ export const dot = (a: Tensor, b: Tensor) => asTensor('dot', a).dot(b);
/** torch.mv. @example mv(m, v) */ export const mv = (m: Tensor, v: Tensor) => asTensor('mv', m).mv(v);
/** torch.bmm. @example bmm(a, b) */ export const bmm = (a: Tensor, b: Tensor) => asTensor('bmm', a).bmm(b);
/** torch.addmm: beta * input + alpha * (mat1 @ mat2). @example addmm(bias, x, w) */
export const addmm = (input: Tensor, mat1: Tensor, mat2: Tensor, options?: { beta?: number; alpha?: number }) =>
  asTensor('addmm', input).addmm(mat1, mat2, options);
/** torch.exp. */ export const exp = (a: Tensor) => asTensor('exp', a).exp();
/** torch.log. */ export const log = (a: Tensor) => asTensor('log', a).log();
/** torch.sqrt. */ export const sqrt = (a: Tensor) => asTensor('sqrt', a).sqrt();
/** torch.relu. */ export const relu = (a: Tensor) => asTensor('relu', a).relu();
/** torch.sigmoid. */ export const sigmoid = (a: Tensor) => asTensor('sigmoid', a).sigmoid();
/** torch.tanh. */ export const tanh = (a: Tensor) => asTensor('tanh', a).tanh();
/** torch.softmax. */ export const softmax = (a: Tensor, dim: number) => asTensor('softmax', a).softmax(dim);
/** torch.sum. */ export const sum = (a: Tensor, dim?: number | number[]) => asTensor('sum', a).sum(dim);
/** torch.mean. */ export const mean = (a: Tensor, dim?: number | number[]) => asTensor('mean', a).mean(dim);
/** torch.clamp. */ export const clamp = (a: Tensor, min?: number | null, max?: number | null) => asTensor('clamp', a).clamp(min, max);

/** torch.bincount. @example bincount(labels, { minlength: 10 }) */
export const bincount = (x: Tensor, options?: { weights?: Tensor; minlength?: number }) => asTensor('bincount', x).bincount(options);
