// nn.grad: the backward kernels of convolution and pooling as functions (torch.nn.grad), for
// custom gradients. Autograd calls the same native ops.
/**
 * The backward kernels of convolution and pooling as functions (torch.nn.grad), for custom gradients.
 *
 * @example
 * const gx = nn.grad.conv2dInput(x.shape, w, gy, { padding: 1 });
 * @module grad
 */
import { fail } from '../errors.js';
import { checkOptions, describe, int, intAtLeast, list, num } from '../options.js';
import { op, opMultiN, opN, type Attr, type OpName } from '../ops/dispatch.js';
import { Tensor } from '../tensor.js';
import { convLayout, pair, poolLayout, tensorArg, type Pair } from './args.js';
import type { ConvOptions, PoolOptions } from './functional.js';

// The [H, W] of a size argument, checked against the tensor it describes: the same number of
// dims, every size positive, and the leading sizes (N, C, ...) equal to `lead`.
function hw(op: string, name: string, v: unknown, lead: readonly number[], ndim: number): number[] {
  const s = list(op, name, v, 16);
  if (s.length !== ndim || !s.every((x) => Number.isSafeInteger(x) && (x as number) > 0))
    fail('INVALID_ARGUMENT', `${op}: '${name}' must be ${ndim} positive sizes, got ${describe(v)}`);
  const given = (s as number[]).slice(0, -2);
  if (given.some((x, i) => x !== lead[i]))
    fail(
      'SHAPE_MISMATCH',
      `${op}: '${name}' ${describe(v)} does not match the leading sizes [${lead.join(', ')}] of the gradient`,
    );
  return (s as number[]).slice(-2);
}
function convAttrs(op: string, opts: (Omit<ConvOptions, 'padding'> & { padding?: Pair }) | undefined): Attr[] {
  const o = checkOptions(op, opts, { stride: 'any', padding: 'any', dilation: 'any', groups: 'integer' });
  const [ph, pw] = pair(op, 'padding', o.padding, 0);
  return convLayout({
    stride: pair(op, 'stride', o.stride, 1),
    padding: [ph, pw, ph, pw],
    dilation: pair(op, 'dilation', o.dilation, 1),
    groups: intAtLeast(op, 'groups', o.groups ?? 1),
  });
}
function run(name: OpName, attrs: Attr[], a: Tensor, b?: Tensor): Tensor {
  for (const x of b === undefined ? [a] : [a, b])
    if (!(x instanceof Tensor)) fail('INVALID_ARGUMENT', `nn.grad: expected tensors, got ${describe(x)}`);
  return op(name, attrs, a._h, b?._h);
}

/** d conv2d / d input, for an input of size inputSize ([..., H, W]). @example nn.grad.conv2dInput(x.shape, w, gy, { padding: 1 }) */
export function conv2dInput(
  inputSize: readonly number[],
  weight: Tensor,
  gradOutput: Tensor,
  opts?: Omit<ConvOptions, 'padding'> & { padding?: Pair },
): Tensor {
  const op = 'conv2dInput';
  tensorArg(op, 'weight', weight);
  tensorArg(op, 'gradOutput', gradOutput);
  const attrs = convAttrs(op, opts);
  // inputSize is [N, C, H, W]: N from the gradient, C = the weight's input channels x groups.
  const size = hw(op, 'inputSize', inputSize, [gradOutput.shape[0], (weight.shape[1] ?? 0) * (attrs[3] as number)], 4);
  return run('conv2d_input_grad', [size, ...attrs], gradOutput, weight);
}
/** d conv2d / d weight, for a weight of size weightSize ([..., kh, kw]). */
export function conv2dWeight(
  input: Tensor,
  weightSize: readonly number[],
  gradOutput: Tensor,
  opts?: Omit<ConvOptions, 'padding'> & { padding?: Pair },
): Tensor {
  const op = 'conv2dWeight';
  tensorArg(op, 'input', input);
  tensorArg(op, 'gradOutput', gradOutput);
  const attrs = convAttrs(op, opts);
  // weightSize is [O, C / groups, kh, kw]: O from the gradient's channels, C from the input's.
  const size = hw(op, 'weightSize', weightSize, [gradOutput.shape[1], (input.shape[1] ?? 0) / (attrs[3] as number)], 4);
  return run('conv2d_weight_grad', [size, ...attrs], gradOutput, input);
}
/** Scatters gradOutput back to the positions maxPool2d picked (indices from returnIndices). */
export function maxPool2d(gradOutput: Tensor, indices: Tensor, inputSize: readonly number[]): Tensor {
  const g = tensorArg('maxPool2d', 'gradOutput', gradOutput);
  return run(
    'max_pool2d_backward',
    [hw('maxPool2d', 'inputSize', inputSize, g.shape.slice(0, -2), g.ndim)],
    gradOutput,
    indices,
  );
}
/** d avgPool2d / d input. */
export function avgPool2d(
  gradOutput: Tensor,
  inputSize: readonly number[],
  kernelSize: Pair,
  opts: Omit<PoolOptions, 'dilation'> & { countIncludePad?: boolean } = {},
): Tensor {
  const op = 'avgPool2d';
  const g = tensorArg(op, 'gradOutput', gradOutput);
  const o = checkOptions(op, opts, { stride: 'any', padding: 'any', ceilMode: 'boolean', countIncludePad: 'boolean' });
  return run(
    'avg_pool2d_backward',
    [
      hw(op, 'inputSize', inputSize, g.shape.slice(0, -2), g.ndim),
      ...poolLayout({
        kernelSize: pair(op, 'kernelSize', kernelSize, 1),
        stride: o.stride === undefined ? null : pair(op, 'stride', o.stride, 1),
        padding: pair(op, 'padding', o.padding, 0),
        dilation: [1, 1],
        ceilMode: o.ceilMode ?? false,
        countIncludePad: o.countIncludePad ?? true,
      }),
    ],
    gradOutput,
  );
}
/** d adaptiveAvgPool2d / d input. */
export function adaptiveAvgPool2d(gradOutput: Tensor, inputSize: readonly number[]): Tensor {
  const g = tensorArg('adaptiveAvgPool2d', 'gradOutput', gradOutput);
  return run(
    'adaptive_avg_pool2d_backward',
    [hw('adaptiveAvgPool2d', 'inputSize', inputSize, g.shape.slice(0, -2), g.ndim)],
    gradOutput,
  );
}
/** d embedding / d weight: gradOutput rows summed into [numWeights, dim] (paddingIdx skipped). */
export function embedding(gradOutput: Tensor, indices: Tensor, numWeights: number, paddingIdx = -1): Tensor {
  return run(
    'embedding_backward',
    [intAtLeast('embedding', 'numWeights', numWeights, 0), int('embedding', 'paddingIdx', paddingIdx)],
    gradOutput,
    indices,
  );
}
/** d indexSelect / d input: gradOutput's slices along dim summed back into an input of `size` there. */
export function indexSelect(gradOutput: Tensor, dim: number, index: Tensor, size: number): Tensor {
  return run(
    'index_select_backward',
    [int('indexSelect', 'dim', dim), intAtLeast('indexSelect', 'size', size, 0)],
    gradOutput,
    index,
  );
}
/**
 * d gelu / d input (the exact, erf form) times gradOutput, broadcast together: gradOutput (Phi(x) +
 * x phi(x)) in one pass (autograd's kernel). @example nn.grad.gelu(gy, x)
 */
export function gelu(gradOutput: Tensor, input: Tensor): Tensor {
  return run('gelu_backward', [], gradOutput, input);
}
/**
 * d silu / d input times gradOutput, broadcast together: gradOutput s (1 + x (1 - s)), s =
 * sigmoid(x), in one pass (autograd's kernel). @example nn.grad.silu(gy, x)
 */
export function silu(gradOutput: Tensor, input: Tensor): Tensor {
  return run('silu_backward', [], gradOutput, input);
}
/**
 * d leakyRelu / d input times gradOutput: gradOutput where input > 0, else negativeSlope times it,
 * in one pass (autograd's kernel). @example nn.grad.leakyRelu(gy, x, 0.2)
 */
export function leakyRelu(gradOutput: Tensor, input: Tensor, negativeSlope = 0.01): Tensor {
  return run('leaky_relu_backward', [num('leakyRelu', 'negativeSlope', negativeSlope)], gradOutput, input);
}
/**
 * d elu / d input times gradOutput, for PyTorch's elu with `alpha`, `scale` and `inputScale` (elu:
 * 1, 1, 1; selu and celu set them): gradOutput scale where input > 0, else gradOutput alpha scale
 * inputScale e^(input inputScale). @example nn.grad.elu(gy, x, { alpha: 0.5 })
 */
export function elu(
  gradOutput: Tensor,
  input: Tensor,
  options?: { alpha?: number; scale?: number; inputScale?: number },
): Tensor {
  const o = checkOptions('elu', options, { alpha: 'number', scale: 'number', inputScale: 'number' });
  return run('elu_backward', [o.alpha ?? 1, o.scale ?? 1, o.inputScale ?? 1], gradOutput, input);
}
/**
 * d hardtanh / d input times gradOutput: gradOutput strictly inside (minVal, maxVal), else 0, as
 * PyTorch's. @example nn.grad.hardtanh(gy, x, 0, 6)
 */
export function hardtanh(gradOutput: Tensor, input: Tensor, minVal = -1, maxVal = 1): Tensor {
  return run(
    'hardtanh_backward',
    [num('hardtanh', 'minVal', minVal), num('hardtanh', 'maxVal', maxVal)],
    gradOutput,
    input,
  );
}
/**
 * d relu / d input times gradOutput: gradOutput where output = relu(input) > 0, else 0 (PyTorch's
 * threshold_backward; the input gives the same). @example nn.grad.relu(gy, y)
 */
export function relu(gradOutput: Tensor, output: Tensor): Tensor {
  return run('relu_backward', [], gradOutput, output);
}
/** d hardsigmoid / d input times gradOutput: gradOutput / 6 strictly inside (-3, 3), else 0. @example nn.grad.hardsigmoid(gy, x) */
export function hardsigmoid(gradOutput: Tensor, input: Tensor): Tensor {
  return run('hardsigmoid_backward', [], gradOutput, input);
}
/**
 * d hardswish / d input times gradOutput: 0 below -3, gradOutput (input / 3 + 1/2) from -3 up to
 * 3 (inclusive), gradOutput above, as PyTorch's. @example nn.grad.hardswish(gy, x)
 */
export function hardswish(gradOutput: Tensor, input: Tensor): Tensor {
  return run('hardswish_backward', [], gradOutput, input);
}
/** d cumprod / d input: exact where the input holds zeros. @example nn.grad.cumprod(gy, x, 1) */
export function cumprod(gradOutput: Tensor, input: Tensor, dim: number): Tensor {
  return run('cumprod_backward', [int('cumprod', 'dim', dim)], gradOutput, input);
}
/**
 * d scaledDotProductAttention / d (query, key, value), from the output, its gradient and each
 * query row's log-sum-exp (the fused kernel's backward). @example const [dq, dk, dv] = nn.grad.scaledDotProductAttention(g, q, k, v, out, lse, { scale: 0.25 })
 */
export function scaledDotProductAttention(
  gradOutput: Tensor,
  query: Tensor,
  key: Tensor,
  value: Tensor,
  output: Tensor,
  lse: Tensor,
  options: { scale: number; isCausal?: boolean; attnMask?: Tensor | null },
): [Tensor, Tensor, Tensor] {
  const op = 'scaledDotProductAttention';
  const ts = [gradOutput, query, key, value, output, lse];
  ts.forEach((t, i) => {
    if (!(t instanceof Tensor))
      fail('INVALID_ARGUMENT', `nn.grad.${op}: argument ${i} must be a Tensor, got ${describe(t)}`);
  });
  const o = checkOptions(`nn.grad.${op}`, options, { scale: 'number', isCausal: 'boolean', attnMask: 'any' });
  if (typeof o.scale !== 'number') fail('INVALID_ARGUMENT', `nn.grad.${op}: options.scale is required`);
  const hs = ts.map((t) => t._h);
  if (o.attnMask != null) {
    if (!(o.attnMask instanceof Tensor)) fail('INVALID_ARGUMENT', `nn.grad.${op}: attnMask must be a Tensor`);
    hs.push(o.attnMask._h);
  }
  const [dq, dk, dv] = opMultiN('sdpa_backward', [o.scale, o.isCausal ?? false], hs);
  return [dq, dk, dv];
}
/**
 * d crossEntropy / d input (with `fromLogits: false`, of nllLoss): the fused backward kernel, given
 * the loss's gradient (the loss's shape). Options as crossEntropy's; reduction 'mean' by default.
 * @example const gx = nn.grad.crossEntropy(tk.tensor(1), logits, labels)
 */
export function crossEntropy(
  gradOutput: Tensor,
  input: Tensor,
  target: Tensor,
  options: {
    weight?: Tensor | null;
    ignoreIndex?: number;
    labelSmoothing?: number;
    reduction?: 'none' | 'mean' | 'sum';
    fromLogits?: boolean;
  } = {},
): Tensor {
  const op = 'nn.grad.crossEntropy';
  tensorArg(op, 'gradOutput', gradOutput);
  tensorArg(op, 'input', input);
  tensorArg(op, 'target', target);
  const o = checkOptions(op, options, {
    weight: 'any',
    ignoreIndex: 'number',
    labelSmoothing: 'number',
    reduction: 'string',
    fromLogits: 'boolean',
  });
  const reductions = { none: 0, mean: 1, sum: 2 } as const;
  const r = reductions[(o.reduction ?? 'mean') as keyof typeof reductions] as number | undefined;
  if (r === undefined)
    fail('INVALID_ARGUMENT', `${op}: reduction must be 'none', 'mean' or 'sum', got ${describe(o.reduction)}`);
  const attrs = [int(op, 'ignoreIndex', o.ignoreIndex ?? -100), o.labelSmoothing ?? 0, r, o.fromLogits ?? true];
  const w = o.weight == null ? undefined : tensorArg(op, 'weight', o.weight);
  const ins = [gradOutput._h, input._h, target._h];
  if (w) ins.push(w._h);
  return opN('cross_entropy_backward', attrs, ins);
}

/** The gradients `nn.grad.linear` returns. */
export interface LinearGrads {
  input: Tensor;
  weight: Tensor;
  bias: Tensor;
}

/**
 * The gradients of `linear` (or of `linearRelu`, given its output) for the loss gradient
 * `gradOutput` ([..., out]), from one native call: d input = g @ W, d weight = g^T @ x, d bias =
 * the column sums of g. With `output`, g counts only where output > 0 (the ReLU's mask, applied
 * inside the products).
 * @example const { input, weight, bias } = nn.grad.linear(gy, x, w, { output: y })
 */
export function linear(
  gradOutput: Tensor,
  input: Tensor,
  weight: Tensor,
  options: { output?: Tensor | null } = {},
): LinearGrads {
  const op = 'nn.grad.linear';
  tensorArg(op, 'gradOutput', gradOutput);
  tensorArg(op, 'input', input);
  tensorArg(op, 'weight', weight);
  const o = checkOptions(op, options, { output: 'any' });
  const y = o.output == null ? undefined : tensorArg(op, 'output', o.output);
  const ins = [gradOutput._h, input._h, weight._h];
  if (y) ins.push(y._h);
  const [gx, gw, gb] = opMultiN('linear_backward', [true, true, true], ins) as [Tensor, Tensor, Tensor];
  return { input: gx, weight: gw, bias: gb };
}

/** The gradients `nn.grad.layerNorm` returns (`weight` null when no weight was given). */
export interface LayerNormGrads {
  input: Tensor;
  weight: Tensor | null;
  bias: Tensor;
}

/**
 * The gradients of layerNorm over the trailing `normalizedShape` dims from one native call (CPU),
 * given the statistics the forward normalised with: each row's `mean` and `rstd` = 1 / sqrt(biased
 * variance + eps), in the input's shape with the normalized dims 1 (any floating dtype; read in
 * float64 for float64 input, else float32). With xhat = (x - mean) rstd and gh = g w: d input = rstd (gh - mean(gh) - xhat
 * mean(gh xhat)) over each row, d weight = sum(g xhat) and d bias = sum(g) over the leading dims.
 * @example
 * const mean = x.mean(-1, { keepdim: true });
 * const rstd = x.var(-1, { correction: 0, keepdim: true }).add(1e-5).rsqrt();
 * const { input, weight, bias } = nn.grad.layerNorm(gy, x, [512], mean, rstd, w);
 */
export function layerNorm(
  gradOutput: Tensor,
  input: Tensor,
  normalizedShape: number | readonly number[],
  mean: Tensor,
  rstd: Tensor,
  weight?: Tensor | null,
): LayerNormGrads {
  const op = 'nn.grad.layerNorm';
  for (const [k, v] of Object.entries({ gradOutput, input, mean, rstd })) tensorArg(op, k, v);
  const w = tensorArg(op, 'weight', weight, true);
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : list(op, 'normalizedShape', normalizedShape);
  const tail = input.shape.slice(input.ndim - ns.length);
  if (ns.length === 0 || ns.length > input.ndim || ns.some((s, i) => s !== tail[i]))
    fail(
      'SHAPE_MISMATCH',
      `${op}: normalizedShape ${describe(normalizedShape)} does not match the trailing dims of input [${input.shape.join(', ')}]`,
    );
  const ins = [gradOutput._h, input._h, mean._h, rstd._h, ...(w ? [w._h] : [])];
  const r = opMultiN('layer_norm_backward', [ns.length, true, true, true], ins);
  return w ? { input: r[0], weight: r[1], bias: r[2] } : { input: r[0], weight: null, bias: r[1] };
}

/** The gradients `nn.grad.batchNorm` returns. */
export interface BatchNormGrads {
  input: Tensor;
  weight: Tensor;
  bias: Tensor;
}

/**
 * The gradients of batchNorm over [N, C, ...] from one native call (CPU), given the statistics
 * the forward normalised with: the batch's mean and biased variance when `training` (default
 * true), else the running ones ([C] each; float64 for float64 input, else float32). With
 * xhat = (x - mean) / sqrt(var + eps): d bias = sum(g), d weight = sum(g xhat), and d input =
 * w / sqrt(var + eps) (g - mean(g) - xhat mean(g xhat)) in training (w g / sqrt(var + eps) otherwise).
 * @example const { input, weight, bias } = nn.grad.batchNorm(gy, x, w, mean, variance)
 */
export function batchNorm(
  gradOutput: Tensor,
  input: Tensor,
  weight: Tensor,
  mean: Tensor,
  variance: Tensor,
  options: { training?: boolean; eps?: number } = {},
): BatchNormGrads {
  const op = 'nn.grad.batchNorm';
  for (const [k, v] of Object.entries({ gradOutput, input, weight, mean, variance })) tensorArg(op, k, v);
  const o = checkOptions(op, options, { training: 'boolean', eps: 'number' });
  const ins = [gradOutput._h, input._h, weight._h, mean._h, variance._h];
  const [gx, gw, gb] = opMultiN('batch_norm_backward', [o.training ?? true, o.eps ?? 1e-5], ins) as [
    Tensor,
    Tensor,
    Tensor,
  ];
  return { input: gx, weight: gw, bias: gb };
}

export { ctcLossGrad as ctcLoss } from './ctc.js';
