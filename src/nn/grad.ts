// nn.grad: the backward kernels of convolution and pooling as functions (torch.nn.grad), for
// custom gradients. Autograd calls the same native ops.
import { binding, encodeAttrs, OP_IDS, type Attr, type Handle } from '../binding.js';
import { fail } from '../errors.js';
import { describe } from '../options.js';
import { Tensor, wrap } from '../tensor.js';
import { pair, type Pair } from './args.js';
import type { ConvOptions, PoolOptions } from './functional.js';

const ID = OP_IDS;

function hw(op: string, name: string, v: readonly number[]): number[] {
  const s = v.slice(-2);
  if (s.length !== 2 || !s.every((x) => Number.isInteger(x) && x > 0)) fail('INVALID_ARGUMENT', `${op}: '${name}' must end with two positive sizes [H, W], got ${describe(v)}`);
  return s;
}
function convAttrs(op: string, o: Omit<ConvOptions, 'padding'> & { padding?: Pair } = {}): Attr[] {
  const [ph, pw] = pair(op, 'padding', o.padding, 0);
  return [pair(op, 'stride', o.stride, 1), [ph, pw, ph, pw], pair(op, 'dilation', o.dilation, 1), o.groups ?? 1];
}
function run(id: number, attrs: Attr[], ...xs: Tensor[]): Tensor {
  for (const x of xs) if (!(x instanceof Tensor)) fail('INVALID_ARGUMENT', `nn.grad: expected tensors, got ${describe(x)}`);
  return wrap(binding.call(id, encodeAttrs(attrs), ...xs.map((x) => x._h)) as Handle);
}

/** d conv2d / d input, for an input of size inputSize ([..., H, W]). @example nn.grad.conv2dInput(x.shape, w, gy, { padding: 1 }) */
export function conv2dInput(inputSize: readonly number[], weight: Tensor, gradOutput: Tensor, opts?: Omit<ConvOptions, 'padding'> & { padding?: Pair }): Tensor {
  return run(ID.conv2d_input_grad, [hw('conv2dInput', 'inputSize', inputSize), ...convAttrs('conv2dInput', opts)], gradOutput, weight);
}
/** d conv2d / d weight, for a weight of size weightSize ([..., kh, kw]). */
export function conv2dWeight(input: Tensor, weightSize: readonly number[], gradOutput: Tensor, opts?: Omit<ConvOptions, 'padding'> & { padding?: Pair }): Tensor {
  return run(ID.conv2d_weight_grad, [hw('conv2dWeight', 'weightSize', weightSize), ...convAttrs('conv2dWeight', opts)], gradOutput, input);
}
/** Scatters gradOutput back to the positions maxPool2d picked (indices from returnIndices). */
export function maxPool2d(gradOutput: Tensor, indices: Tensor, inputSize: readonly number[]): Tensor {
  return run(ID.max_pool2d_backward, [hw('maxPool2d', 'inputSize', inputSize)], gradOutput, indices);
}
/** d avgPool2d / d input. */
export function avgPool2d(gradOutput: Tensor, inputSize: readonly number[], kernelSize: Pair, opts: Omit<PoolOptions, 'dilation'> & { countIncludePad?: boolean } = {}): Tensor {
  const op = 'avgPool2d';
  return run(ID.avg_pool2d_backward, [hw('avgPool2d', 'inputSize', inputSize), pair(op, 'kernelSize', kernelSize, 1), opts.stride === undefined ? null : pair(op, 'stride', opts.stride, 1), pair(op, 'padding', opts.padding, 0), [1, 1], opts.ceilMode ?? false, opts.countIncludePad ?? true], gradOutput);
}
/** d adaptiveAvgPool2d / d input. */
export function adaptiveAvgPool2d(gradOutput: Tensor, inputSize: readonly number[]): Tensor {
  return run(ID.adaptive_avg_pool2d_backward, [hw('adaptiveAvgPool2d', 'inputSize', inputSize)], gradOutput);
}
/** d embedding / d weight: gradOutput rows summed into [numWeights, dim] (paddingIdx skipped). */
export function embedding(gradOutput: Tensor, indices: Tensor, numWeights: number, paddingIdx = -1): Tensor {
  return run(ID.embedding_backward, [numWeights, paddingIdx], gradOutput, indices);
}
/** d indexSelect / d input: gradOutput's slices along dim summed back into an input of `size` there. */
export function indexSelect(gradOutput: Tensor, dim: number, index: Tensor, size: number): Tensor {
  return run(ID.index_select_backward, [dim, size], gradOutput, index);
}
