// nn.functional: convolution, pooling, normalization, dropout and linear, in PyTorch's names.
// Convolution and pooling run as native ops; the normalizations are compositions of core ops, so
// autograd differentiates them with no formula of their own.
/**
 * Neural-network operations as functions (torch.nn.functional): convolution, pooling, normalization, dropout, linear,
 * activations and losses.
 *
 * @example
 * const y = nn.functional.conv2d(x, w, b, { padding: 1 }).relu();
 * @module functional
 */
import { noGrad } from '../autograd.js';
import { isFloating, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { ones, rand, zeros } from '../ops/creation.js';
import { bool, checkOptions, describe, list, num, oneOf, shapeArgs } from '../options.js';
import { convLayout, optionsOf, pair, poolLayout, tensorArg, type Pair } from './args.js';
import { op as runOp, opMulti, opMultiN, type Attr, type OpName } from '../ops/dispatch.js';
import { Tensor } from '../tensor.js';
import { divisorOf, overrideDivisor } from './volumetric.js';

function call(name: OpName, attrs: Attr[], a: Tensor, b?: Tensor, c?: Tensor): Tensor {
  return runOp(name, attrs, a._h, b?._h, c?._h);
}

/** Options of `conv2d` (and `nn.Conv2d`): stride, padding, dilation and groups. */
export interface ConvOptions {
  stride?: Pair;
  /** An integer, a pair, 'valid' (0) or 'same' (output size = input size; stride 1 only). */
  padding?: Pair | 'same' | 'valid';
  dilation?: Pair;
  groups?: number;
}
const CONV_KEYS = ['stride', 'padding', 'dilation', 'groups'] as const;

// [top, left, bottom, right]; 'same' pads extra on the bottom/right when the total is odd.
function convPadding(op: string, o: ConvOptions, kernel: number[], dilation: number[], stride: number[]): number[] {
  const p = o.padding;
  if (p === 'valid') return [0, 0, 0, 0];
  if (p === 'same') {
    if (stride.some((s) => s !== 1))
      fail(
        'INVALID_ARGUMENT',
        `${op}: padding='same' is not supported for strided convolutions, got stride [${stride}]`,
      );
    const total = kernel.map((k, i) => dilation[i] * (k - 1));
    return [
      Math.floor(total[0] / 2),
      Math.floor(total[1] / 2),
      total[0] - Math.floor(total[0] / 2),
      total[1] - Math.floor(total[1] / 2),
    ];
  }
  if (typeof p === 'string')
    fail('INVALID_ARGUMENT', `${op}: padding must be an integer, a pair, 'same' or 'valid', got "${p}"`);
  const [ph, pw] = pair(op, 'padding', p, 0);
  return [ph, pw, ph, pw];
}

function groupsOf(op: string, g: number | undefined): number {
  if (g === undefined) return 1;
  if (!Number.isInteger(g)) fail('INVALID_ARGUMENT', `${op}: 'groups' must be an integer, got ${describe(g)}`);
  return g;
}

/**
 * 2-D convolution over NCHW input (unbatched [C, H, W] too) with weight [O, C / groups, kh, kw].
 * @example conv2d(x, w, b, { stride: 2, padding: 1 }); conv2d(x, w, null, { padding: 'same', groups: 32 })
 */
export function conv2d<F extends DType>(
  input: Tensor<F>,
  weight: Tensor<F>,
  bias?: Tensor<F> | null,
  opts?: ConvOptions,
): Tensor<F>;
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts?: ConvOptions): Tensor {
  const op = 'conv2d';
  tensorArg(op, 'input', input);
  tensorArg(op, 'weight', weight);
  const b = tensorArg(op, 'bias', bias, true);
  const o = optionsOf(op, opts, CONV_KEYS);
  if (weight.ndim !== 4)
    fail('SHAPE_MISMATCH', `${op}: expected a 4-D weight [O, C/groups, kh, kw], got [${weight.shape.join(', ')}]`);
  const stride = pair(op, 'stride', o.stride, 1),
    dilation = pair(op, 'dilation', o.dilation, 1);
  const padding = convPadding(op, o, weight.shape.slice(2), dilation, stride);
  const attrs = convLayout({ stride, padding, dilation, groups: groupsOf(op, o.groups) });
  if (input instanceof Tensor && input.ndim === 3) {
    const x4 = input.unsqueeze(0);
    const y = b ? call('conv2d', attrs, x4, weight, b) : call('conv2d', attrs, x4, weight);
    const out = y.squeeze(0);
    x4.dispose();
    y.dispose();
    return out;
  }
  return b ? call('conv2d', attrs, input, weight, b) : call('conv2d', attrs, input, weight);
}

/**
 * 1-D convolution over [N, C, L] input with weight [O, C / groups, k] (runs as conv2d on a
 * height-1 image).
 * @example conv1d(x, w, b, { padding: 'same' })
 */
export function conv1d<F extends DType>(
  input: Tensor<F>,
  weight: Tensor<F>,
  bias?: Tensor<F> | null,
  opts?: Omit<ConvOptions, 'stride' | 'dilation' | 'padding'> & {
    stride?: number;
    dilation?: number;
    padding?: number | 'same' | 'valid';
  },
): Tensor<F>;
export function conv1d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts?: Omit<ConvOptions, 'stride' | 'dilation' | 'padding'> & {
    stride?: number;
    dilation?: number;
    padding?: number | 'same' | 'valid';
  },
): Tensor {
  const op = 'conv1d';
  tensorArg(op, 'input', input);
  tensorArg(op, 'weight', weight);
  const o = optionsOf(op, opts, CONV_KEYS);
  if (weight.ndim !== 3)
    fail('SHAPE_MISMATCH', `${op}: expected a 3-D weight [O, C/groups, k], got [${weight.shape.join(', ')}]`);
  if (input.ndim !== 3 && input.ndim !== 2)
    fail('SHAPE_MISMATCH', `${op}: expected a 3-D [N, C, L] (or 2-D [C, L]) input, got [${input.shape.join(', ')}]`);
  const one = (name: 'stride' | 'dilation', v: number | undefined): [number, number] => {
    if (v !== undefined && !Number.isInteger(v))
      fail('INVALID_ARGUMENT', `${op}: '${name}' must be an integer, got ${describe(v)}`);
    return [1, v ?? 1];
  };
  const p = o.padding;
  const padding: Pair | 'same' | 'valid' | undefined = typeof p === 'number' ? [0, p] : p;
  const x4 = input.unsqueeze(-2),
    w4 = weight.unsqueeze(-2);
  try {
    const y = conv2d(x4, w4, bias, {
      stride: one('stride', o.stride),
      dilation: one('dilation', o.dilation),
      padding,
      groups: o.groups,
    });
    const out = y.squeeze(-2);
    y.dispose();
    return out;
  } finally {
    x4.dispose();
    w4.dispose();
  }
}

/** Options of `convTranspose2d`. */
export interface ConvTransposeOptions {
  stride?: Pair;
  padding?: Pair;
  outputPadding?: Pair;
  dilation?: Pair;
  groups?: number;
}

/**
 * Transposed 2-D convolution (the gradient of conv2d with respect to its input) of [N, C_in, H, W]
 * (or [C_in, H, W]), weight [C_in, C_out / groups, kh, kw]. Output size (H - 1) * stride - 2 * padding + dilation * (kh - 1)
 * + outputPadding + 1.
 * @example convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 })
 */
export function convTranspose2d<F extends DType>(
  input: Tensor<F>,
  weight: Tensor<F>,
  bias?: Tensor<F> | null,
  opts?: ConvTransposeOptions,
): Tensor<F>;
export function convTranspose2d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts?: ConvTransposeOptions,
): Tensor {
  const op = 'convTranspose2d';
  tensorArg(op, 'input', input);
  tensorArg(op, 'weight', weight);
  const b = tensorArg(op, 'bias', bias, true);
  const o = optionsOf(op, opts, ['stride', 'padding', 'outputPadding', 'dilation', 'groups']);
  if (input.ndim !== 4 && input.ndim !== 3)
    fail('SHAPE_MISMATCH', `${op}: expected [N, C, H, W] or [C, H, W], got [${input.shape.join(', ')}]`);
  if (weight.ndim !== 4)
    fail(
      'SHAPE_MISMATCH',
      `${op}: expected a 4-D weight [C_in, C_out/groups, kh, kw], got [${weight.shape.join(', ')}]`,
    );
  const stride = pair(op, 'stride', o.stride, 1),
    dilation = pair(op, 'dilation', o.dilation, 1);
  const [ph, pw] = pair(op, 'padding', o.padding, 0),
    outPad = pair(op, 'outputPadding', o.outputPadding, 0);
  for (let i = 0; i < 2; i++)
    if (outPad[i] < 0 || (outPad[i] >= stride[i] && outPad[i] >= dilation[i]))
      fail(
        'INVALID_ARGUMENT',
        `${op}: outputPadding must be smaller than either stride or dilation, got outputPadding ${outPad[i]}, stride ${stride[i]}, dilation ${dilation[i]}`,
      );
  const lead = input.ndim - 2;
  const size = [0, 1].map(
    (i) =>
      (input.shape[lead + i] - 1) * stride[i] -
      2 * [ph, pw][i] +
      dilation[i] * (weight.shape[2 + i] - 1) +
      outPad[i] +
      1,
  );
  if (size.some((s) => s <= 0)) fail('SHAPE_MISMATCH', `${op}: the output size [${size}] would not be positive`);
  const attrs = [size, ...convLayout({ stride, padding: [ph, pw, ph, pw], dilation, groups: groupsOf(op, o.groups) })];
  if (input.ndim === 4 && !b) return call('conv2d_input_grad', attrs, input, weight);
  return tidy(() => {
    const y = call('conv2d_input_grad', attrs, input.ndim === 3 ? input.unsqueeze(0) : input, weight);
    const out = b ? y.add(b.reshape(1, -1, 1, 1)) : y;
    return input.ndim === 3 ? out.squeeze(0) : out;
  });
}

/** Options of the pooling functions. */
export interface PoolOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  ceilMode?: boolean;
}

function poolAttrs(op: string, kernelSize: Pair, o: PoolOptions & { countIncludePad?: boolean }): Attr[] {
  const k = pair(op, 'kernelSize', kernelSize, 1);
  for (const key of ['ceilMode', 'countIncludePad'] as const)
    if (o[key] !== undefined && typeof o[key] !== 'boolean')
      fail('INVALID_ARGUMENT', `${op}: '${key}' must be a boolean, got ${describe(o[key])}`);
  return poolLayout({
    kernelSize: k,
    stride: o.stride === undefined ? null : pair(op, 'stride', o.stride, 1),
    padding: pair(op, 'padding', o.padding, 0),
    dilation: pair(op, 'dilation', o.dilation, 1),
    ceilMode: o.ceilMode ?? false,
    countIncludePad: o.countIncludePad ?? true,
  });
}

/**
 * 2-D max pooling over [N, C, H, W] or [C, H, W]; stride defaults to the kernel size. With
 * `returnIndices`, also the flat h * W + w position of each maximum.
 * @example maxPool2d(x, 2); const [y, idx] = maxPool2d(x, 3, { stride: 2, padding: 1, returnIndices: true })
 */
export function maxPool2d<F extends DType>(
  input: Tensor<F>,
  kernelSize: Pair,
  opts?: PoolOptions & { returnIndices?: false },
): Tensor<F>;
export function maxPool2d<F extends DType>(
  input: Tensor<F>,
  kernelSize: Pair,
  opts: PoolOptions & { returnIndices: true },
): [Tensor<F>, Tensor<'int64'>];
export function maxPool2d(
  input: Tensor,
  kernelSize: Pair,
  opts?: PoolOptions & { returnIndices?: boolean },
): Tensor | [Tensor, Tensor] {
  const op = 'maxPool2d';
  tensorArg(op, 'input', input);
  const o = optionsOf(op, opts, ['stride', 'padding', 'dilation', 'ceilMode', 'returnIndices']);
  const [values, indices] = opMulti(
    'max_pool2d',
    [...poolAttrs(op, kernelSize, o), o.returnIndices ?? false],
    input._h,
  );
  if (o.returnIndices) return [values, indices];
  indices.dispose();
  return values;
}

/** Options of `avgPool2d`. */
export interface AvgPoolOptions extends Omit<PoolOptions, 'dilation'> {
  /** Count the zero padding in each window's divisor (default true). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead of its size. */
  divisorOverride?: number | null;
}

/**
 * 2-D average pooling; `countIncludePad` (default true) divides by the padded window size.
 * @example avgPool2d(x, 2); avgPool2d(x, 3, { stride: 1, padding: 1, countIncludePad: false })
 */
export function avgPool2d<F extends DType>(input: Tensor<F>, kernelSize: Pair, opts?: AvgPoolOptions): Tensor<F>;
export function avgPool2d(input: Tensor, kernelSize: Pair, opts?: AvgPoolOptions): Tensor {
  const op = 'avgPool2d';
  tensorArg(op, 'input', input);
  const o = optionsOf(op, opts, ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride']);
  const divisor = divisorOf(op, o.divisorOverride);
  const attrs = poolAttrs(op, kernelSize, o);
  if (divisor === null) return call('avg_pool2d', attrs, input);
  const a = call('avg_pool2d', attrs, input);
  const [k, stride, padding] = attrs as [number[], number[] | null, number[]];
  const out = overrideDivisor(a, input.shape.slice(-2), k, stride ?? k, padding, o.countIncludePad ?? true, divisor);
  a.dispose();
  return out;
}

/** An output size of adaptive pooling: one size, or [h, w] where null keeps the input's size. */
export type AdaptiveSize = number | readonly [number | null, number | null];

/**
 * Average pooling to a fixed output size (each cell averages its share of the input); null in
 * [h, w] keeps the input's size there (torch's None).
 * @example adaptiveAvgPool2d(features, 1) // global average pooling
 */
export function adaptiveAvgPool2d<F extends DType>(input: Tensor<F>, outputSize: AdaptiveSize): Tensor<F>;
export function adaptiveAvgPool2d(input: Tensor, outputSize: AdaptiveSize): Tensor {
  const op = 'adaptiveAvgPool2d';
  tensorArg(op, 'input', input);
  // null: the input's size there, as torch's None (an input without two spatial dims fails natively)
  const kept = (v: number | null, fromEnd: number) => (v === null ? (input.shape[input.ndim - fromEnd] ?? 1) : v);
  const size = Array.isArray(outputSize) ? [kept(outputSize[0], 2), kept(outputSize[1], 1)] : outputSize;
  return call('adaptive_avg_pool2d', [pair(op, 'outputSize', size as Pair, 1)], input);
}

/**
 * y = x @ weight.T + bias, weight [out, in] (PyTorch's layout), x [..., in]. One native op: the
 * bias is added as the product is stored, and one call computes all three gradients.
 * @example linear(x, w, b)
 */
export function linear<F extends DType>(input: Tensor<F>, weight: Tensor<F>, bias?: Tensor<F> | null): Tensor<F>;
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return linearOp('linear', input, weight, bias);
}

/**
 * relu(linear(x, weight, bias)) in one native op (torch.ao.nn.intrinsic's LinearReLU): the ReLU
 * is applied to each tile of the product as it is stored, and in the backward its mask is applied
 * inside the two products instead of as a pass of its own. `nn.Sequential` uses it for a Linear
 * followed by a ReLU.
 * @example linearRelu(x, w, b)
 */
export function linearRelu<F extends DType>(input: Tensor<F>, weight: Tensor<F>, bias?: Tensor<F> | null): Tensor<F>;
export function linearRelu(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return linearOp('linearRelu', input, weight, bias);
}

function linearOp(op: 'linear' | 'linearRelu', input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  tensorArg(op, 'input', input);
  tensorArg(op, 'weight', weight);
  const b = tensorArg(op, 'bias', bias, true);
  return call(op === 'linear' ? 'linear' : 'linear_relu', [], input, weight, b ?? undefined);
}

/** Options of `batchNorm`. */
export interface BatchNormOptions {
  /** Use batch statistics and update the running ones (default false: use the running ones). */
  training?: boolean;
  momentum?: number;
  eps?: number;
}

function channelShape(x: Tensor): number[] {
  return x.shape.map((s, i) => (i === 1 ? s : 1));
}

/**
 * Batch normalization over [N, C, ...]. In training, normalizes with the batch's mean and biased
 * variance and moves runningMean/runningVar (unbiased variance) by `momentum`; otherwise uses the
 * running statistics.
 * @example batchNorm(x, rm, rv, gamma, beta, { training: true })
 */
export function batchNorm<F extends DType>(
  input: Tensor<F>,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight?: Tensor | null,
  bias?: Tensor | null,
  opts?: BatchNormOptions,
): Tensor<F>;
export function batchNorm(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight?: Tensor | null,
  bias?: Tensor | null,
  opts?: BatchNormOptions,
): Tensor {
  const op = 'batchNorm';
  tensorArg(op, 'input', input);
  const o = checkOptions(op, opts, { training: 'boolean', momentum: 'number', eps: 'number' });
  const training = o.training ?? false,
    momentum = o.momentum ?? 0.1,
    eps = o.eps ?? 1e-5;
  if (input.ndim < 2)
    fail('SHAPE_MISMATCH', `${op}: expected an input of at least 2 dims [N, C, ...], got [${input.shape.join(', ')}]`);
  const C = input.shape[1];
  for (const [name, t] of [
    ['runningMean', runningMean],
    ['runningVar', runningVar],
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    const v = tensorArg(op, name, t, true);
    if (v && (v.ndim !== 1 || v.shape[0] !== C))
      fail('SHAPE_MISMATCH', `${op}: '${name}' must be [${C}], got [${v.shape.join(', ')}]`);
  }
  if (!training && (!runningMean || !runningVar))
    fail('INVALID_ARGUMENT', `${op}: running statistics are required when not training`);
  const fused = fusedBatchNorm(input, runningMean, runningVar, weight ?? null, bias ?? null, training, momentum, eps);
  if (fused) return fused;
  const dims = input.shape.map((_, i) => i).filter((i) => i !== 1);
  const cs = channelShape(input);
  return tidy(() => {
    let mean: Tensor, variance: Tensor;
    if (training) {
      const n = input.numel() / C;
      if (n <= 1)
        fail(
          'INVALID_ARGUMENT',
          `${op}: expected more than 1 value per channel when training, got input [${input.shape.join(', ')}]`,
        );
      mean = input.mean(dims, { keepdim: true });
      variance = input.var(dims, { correction: 0, keepdim: true });
      if (runningMean && runningVar)
        noGrad(() => {
          runningMean.mul_(1 - momentum).add_(mean.reshape(C).mul(momentum));
          runningVar.mul_(1 - momentum).add_(variance.reshape(C).mul((momentum * n) / (n - 1)));
        });
    } else {
      mean = runningMean!.reshape(cs);
      variance = runningVar!.reshape(cs);
    }
    let y = input.sub(mean).mul(variance.add(eps).rsqrt());
    if (weight) y = y.mul(weight.reshape(cs));
    if (bias) y = y.add(bias.reshape(cs));
    return y;
  });
}

// The fused native op (native/src/ops/norm.cpp) on the CPU: statistics, normalisation and affine
// in three passes, and a backward in two, against ~15 full-size passes of the composite below
// (which runs where this returns null: other devices, a weight or bias of another dtype, running
// statistics that require gradients). It returns the batch statistics; the running ones are
// updated here, as the composite does.
function fusedBatchNorm(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  training: boolean,
  momentum: number,
  eps: number,
): Tensor | null {
  if (input.device !== 'cpu' || !isFloating(input.dtype)) return null;
  for (const t of [weight, bias]) if (t && (t.dtype !== input.dtype || t.device !== 'cpu')) return null;
  for (const t of [runningMean, runningVar])
    if (t && (t.requiresGrad || t.device !== 'cpu' || !isFloating(t.dtype))) return null;
  const C = input.shape[1];
  return tidy(() => {
    const w = weight ?? ones([C], { dtype: input.dtype }),
      b = bias ?? zeros([C], { dtype: input.dtype });
    const stats = training ? [] : [runningMean!._h, runningVar!._h];
    const [y, mean, variance] = opMultiN('batch_norm', [training, eps], [input._h, w._h, b._h, ...stats]);
    if (training && runningMean && runningVar) {
      const n = input.numel() / C;
      noGrad(() => {
        runningMean.mul_(1 - momentum).add_(mean.mul(momentum).to(runningMean.dtype));
        runningVar.mul_(1 - momentum).add_(variance.mul((momentum * n) / (n - 1)).to(runningVar.dtype));
      });
    }
    return y;
  });
}

/** Options of layerNorm and groupNorm. */
export interface NormOptions {
  /** Added to the variance before its square root. Default 1e-5. */
  eps?: number;
}
const NORM_OPTS = { eps: 'number' } as const;

/**
 * Layer normalization over the trailing dims given by `normalizedShape` (biased variance).
 * @example layerNorm(x, [512], gamma, beta, { eps: 1e-6 })
 */
export function layerNorm<F extends DType>(
  input: Tensor<F>,
  normalizedShape: number | readonly number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  options?: NormOptions,
): Tensor<F>;
export function layerNorm(
  input: Tensor,
  normalizedShape: number | readonly number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  options?: NormOptions,
): Tensor {
  const op = 'layerNorm';
  tensorArg(op, 'input', input);
  const ns = shapeArgs(op, [
    typeof normalizedShape === 'number' ? [normalizedShape] : list(op, 'normalizedShape', normalizedShape),
  ]);
  const eps = checkOptions(op, options, NORM_OPTS).eps ?? 1e-5;
  const tail = input.shape.slice(input.ndim - ns.length);
  if (ns.length === 0 || ns.length > input.ndim || ns.some((s, i) => s !== tail[i]))
    fail(
      'SHAPE_MISMATCH',
      `${op}: normalizedShape [${ns.join(', ')}] does not match the trailing dims of input [${input.shape.join(', ')}]`,
    );
  const w = tensorArg(op, 'weight', weight, true),
    b = tensorArg(op, 'bias', bias, true);
  for (const [name, v] of [
    ['weight', w],
    ['bias', b],
  ] as const)
    if (v && v.shape.join() !== ns.join())
      fail('SHAPE_MISMATCH', `${op}: '${name}' must be [${ns.join(', ')}], got [${v.shape.join(', ')}]`);
  // The fused native op (native/src/ops/norm.cpp) on the CPU: three passes per row forward and a
  // fused backward, where the composite below makes eight full-size passes and records ~20 ops of
  // gradient. The composite runs elsewhere (other devices, a weight or bias of another dtype).
  if (
    input.device === 'cpu' &&
    isFloating(input.dtype) &&
    [w, b].every((t) => !t || (t.dtype === input.dtype && t.device === 'cpu'))
  )
    return tidy(() => {
      const ins = [input._h, ...(w ? [w._h] : []), ...(b ? [b._h] : [])];
      return opMultiN('layer_norm', [ns.length, eps, !!w, !!b], ins)[0];
    });
  const dims = ns.map((_, i) => input.ndim - ns.length + i);
  return tidy(() => {
    const mean = input.mean(dims, { keepdim: true });
    const variance = input.var(dims, { correction: 0, keepdim: true });
    let y = input.sub(mean).mul(variance.add(eps).rsqrt());
    if (w) y = y.mul(w);
    if (b) y = y.add(b);
    return y;
  });
}

/**
 * Group normalization of [N, C, ...]: statistics per sample over `numGroups` groups of channels,
 * then a per-channel affine.
 * @example groupNorm(x, 8, gamma, beta, { eps: 1e-6 })
 */
export function groupNorm<F extends DType>(
  input: Tensor<F>,
  numGroups: number,
  weight?: Tensor | null,
  bias?: Tensor | null,
  options?: NormOptions,
): Tensor<F>;
export function groupNorm(
  input: Tensor,
  numGroups: number,
  weight?: Tensor | null,
  bias?: Tensor | null,
  options?: NormOptions,
): Tensor {
  const op = 'groupNorm';
  tensorArg(op, 'input', input);
  if (input.ndim < 2)
    fail('SHAPE_MISMATCH', `${op}: expected an input of at least 2 dims [N, C, ...], got [${input.shape.join(', ')}]`);
  const [N, C] = input.shape;
  const eps = checkOptions(op, options, NORM_OPTS).eps ?? 1e-5;
  if (!Number.isInteger(numGroups) || numGroups <= 0 || C % numGroups !== 0)
    fail(
      'INVALID_ARGUMENT',
      `${op}: numGroups must be a positive divisor of the ${C} channels, got ${describe(numGroups)}`,
    );
  for (const [name, t] of [
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    const v = tensorArg(op, name, t, true);
    if (v && (v.ndim !== 1 || v.shape[0] !== C))
      fail('SHAPE_MISMATCH', `${op}: '${name}' must be [${C}], got [${v.shape.join(', ')}]`);
  }
  const cs = channelShape(input);
  return tidy(() => {
    const g = input.reshape(N, numGroups, -1);
    const mean = g.mean(2, { keepdim: true });
    const variance = g.var(2, { correction: 0, keepdim: true });
    let y = g.sub(mean).mul(variance.add(eps).rsqrt()).reshape(input.shape);
    if (weight) y = y.mul(weight.reshape(cs));
    if (bias) y = y.add(bias.reshape(cs));
    return y;
  });
}

/**
 * Zeroes each element with probability p and scales the rest by 1 / (1 - p) (training), or
 * passes x through (not training). Draws from the global generator: seed with manualSeed().
 * @example dropout(h, 0.5, true)
 */
export function dropout<F extends DType>(input: Tensor<F>, p?: number, training?: boolean): Tensor<F>;
export function dropout(input: Tensor, p = 0.5, training = true): Tensor {
  const op = 'dropout';
  tensorArg(op, 'input', input);
  if (typeof p !== 'number' || !(p >= 0 && p <= 1))
    fail('INVALID_ARGUMENT', `${op}: probability has to be between 0 and 1, got ${describe(p)}`);
  bool(op, 'training', training);
  if (!training || p === 0) return input.view(input.shape);
  return tidy(() => {
    if (p === 1) return input.mul(0);
    const keep = rand(input.shape, { device: input.device }).ge(p).to(input.dtype);
    return input.mul(keep.mul(1 / (1 - p)));
  });
}

export {
  mseLoss,
  l1Loss,
  smoothL1Loss,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  nllLoss,
  crossEntropy,
  type Reduction,
  type NllOptions,
  type CrossEntropyOptions,
} from './losses.js';

/**
 * x for x > 0, negativeSlope * x otherwise, one native op (as its backward, nn.grad.leakyRelu).
 * Integers compute in float32. @example leakyRelu(x, 0.2)
 */
export function leakyRelu<F extends DType>(input: Tensor<F>, negativeSlope?: number): Tensor<F>;
export function leakyRelu(input: Tensor, negativeSlope = 0.01): Tensor {
  tensorArg('leakyRelu', 'input', input);
  return call('leaky_relu', [num('leakyRelu', 'negativeSlope', negativeSlope)], input);
}

/** GELU's options: approximate 'none' (default) or 'tanh', as PyTorch's. */
export interface GeluOptions {
  approximate?: 'none' | 'tanh';
}
/**
 * GELU, x Phi(x): with approximate 'none' (the default) the exact form, one native op accurate in
 * the negative tail, its backward one kernel; with 'tanh' PyTorch's approximation 0.5 x (1 +
 * tanh(sqrt(2 / pi) (x + 0.044715 x^3))) (GPT-2's), from differentiable ops. Integers compute in
 * float32. @example gelu(x); gelu(x, { approximate: 'tanh' })
 */
export function gelu<F extends DType>(input: Tensor<F>, options?: GeluOptions): Tensor<F>;
export function gelu(input: Tensor, options?: GeluOptions): Tensor {
  tensorArg('gelu', 'input', input);
  const o = checkOptions('gelu', options, { approximate: 'string' });
  if (oneOf('gelu', 'approximate', o.approximate ?? 'none', ['none', 'tanh'] as const) === 'none') return input.gelu();
  return tidy(() => {
    const x = isFloating(input.dtype) ? input : input.to('float32');
    const inner = x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
    return x.mul(0.5).mul(inner.tanh().add(1));
  });
}

/**
 * x * sigmoid(x) (swish), one native op, accurate into the subnormal tail; its backward is one
 * kernel too (nn.grad.silu). @example silu(x)
 */
export function silu<F extends DType>(input: Tensor<F>): Tensor<F>;
export function silu(input: Tensor): Tensor {
  tensorArg('silu', 'input', input);
  return call('silu', [], input);
}

/** The Tensor methods torch.nn.functional also has, as free functions. @example F.relu(x); F.softmax(x, -1) */
export { relu, sigmoid, tanh, softmax, logSoftmax } from '../ops/functional.generated.js';

/**
 * Rows of `weight` [num, dim] at integer `input` indices: [..., dim]. The paddingIdx row gets no
 * gradient.
 * @example embedding(tokens, table)
 */
export function embedding<W extends DType>(
  input: Tensor,
  weight: Tensor<W>,
  options?: { paddingIdx?: number | null },
): Tensor<W>;
export function embedding(input: Tensor, weight: Tensor, options: { paddingIdx?: number | null } = {}): Tensor {
  tensorArg('embedding', 'input', input);
  tensorArg('embedding', 'weight', weight);
  let pad = checkOptions('embedding', options, { paddingIdx: 'any' }).paddingIdx ?? -1;
  if (!Number.isInteger(pad))
    fail('INVALID_ARGUMENT', `embedding: paddingIdx must be an integer, got ${describe(pad)}`);
  if (pad < -1 && weight.ndim === 2) pad += weight.shape[0];
  return call('embedding', [pad], weight, input);
}

export { multiHeadAttentionForward, type MhaForwardOptions } from './mha_functional.js';
export { relu_, elu_, celu_, selu_, hardtanh_, leakyRelu_, rrelu_, threshold_ } from './functional_inplace.js';
export {
  elu,
  celu,
  selu,
  softplus,
  logsigmoid,
  hardtanh,
  relu6,
  hardsigmoid,
  hardswish,
  mish,
  softsign,
  prelu,
  glu,
  softmin,
  threshold,
  hardshrink,
  softshrink,
  tanhshrink,
} from './functional_activations.js';
export {
  cosineSimilarity,
  pairwiseDistance,
  normalize,
  klDiv,
  huberLoss,
  softMarginLoss,
  marginRankingLoss,
  hingeEmbeddingLoss,
  cosineEmbeddingLoss,
  tripletMarginLoss,
  multiMarginLoss,
  multilabelSoftMarginLoss,
  poissonNllLoss,
  gaussianNllLoss,
} from './losses_more.js';
export {
  oneHot,
  maxPool1d,
  avgPool1d,
  adaptiveAvgPool1d,
  adaptiveMaxPool1d,
  adaptiveMaxPool2d,
  dropout1d,
  dropout2d,
  dropout3d,
  type Pool1dOptions,
} from './functional_misc.js';
export { unfold, fold, type FoldOptions } from './fold.js';
export {
  conv3d,
  convTranspose1d,
  convTranspose3d,
  maxPool3d,
  avgPool3d,
  adaptiveAvgPool3d,
  adaptiveMaxPool3d,
  maxUnpool1d,
  maxUnpool2d,
  maxUnpool3d,
  type Conv3dOptions,
  type ConvTranspose1dOptions,
  type ConvTranspose3dOptions,
  type Pool3dOptions,
  type AvgPool3dOptions,
  type AdaptiveSize3d,
  type MaxUnpoolOptions,
} from './volumetric.js';
export { embeddingBag, type BagMode, type EmbeddingBagOptions } from './embedding_bag.js';
export { ctcLoss, type CtcLossOptions, type CtcLengths } from './ctc.js';
export {
  localResponseNorm,
  lpPool1d,
  lpPool2d,
  channelShuffle,
  alphaDropout,
  featureAlphaDropout,
  rrelu,
  gumbelSoftmax,
} from './layers_extra.js';
export {
  multiLabelMarginLoss,
  tripletMarginWithDistanceLoss,
  pdist,
  type TripletDistanceOptions,
} from './losses_extra.js';
export { fractionalMaxPool2d, fractionalMaxPool3d, type FractionalMaxPoolOptions } from './fractional_pool.js';
export {
  gridSample,
  affineGrid,
  type GridSampleOptions,
  type GridSampleMode,
  type GridPaddingMode,
} from './grid_sample.js';
export {
  scaledDotProductAttention,
  pad,
  interpolate,
  pixelShuffle,
  pixelUnshuffle,
  rmsNorm,
  instanceNorm,
  type AttentionOptions,
  type PadMode,
  type InterpolateOptions,
  type InterpolateMode,
} from './functional_more.js';
export {
  maxPool1dWithIndices,
  maxPool2dWithIndices,
  maxPool3dWithIndices,
  adaptiveMaxPool1dWithIndices,
  adaptiveMaxPool2dWithIndices,
  adaptiveMaxPool3dWithIndices,
  fractionalMaxPool2dWithIndices,
  fractionalMaxPool3dWithIndices,
  upsample,
  upsampleNearest,
  upsampleBilinear,
  multilabelMarginLoss,
  bilinear,
  type WithIndices,
} from './functional_aliases.js';
