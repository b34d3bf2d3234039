// More of torch.nn (PyTorch 1.13's formulas), composed of differentiable tensor ops:
// localResponseNorm, lpPool1d/2d, channelShuffle, alphaDropout / featureAlphaDropout, rrelu,
// gumbelSoftmax, and their modules with Softmax2d and the Upsampling* layers. Values and
// gradients of the deterministic ones are checked against PyTorch in test/nn-extra.test.ts.
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { rand, zeros } from '../ops/creation.js';
import { cat, where } from '../ops/functional.js';
import { bool, checkOptions, describe, int, intAtLeast, num } from '../options.js';
import { Tensor } from '../tensor.js';
import { pair, tensorArg, type Pair } from './args.js';
import { avgPool2d } from './functional.js';
import { interpolate } from './functional_more.js';
import { avgPool1d } from './functional_misc.js';
import { Module } from './module.js';

const shapeText = (t: Tensor) => `[${t.shape.join(', ')}]`;

/**
 * Local response normalization across channels (AlexNet's; torch.nn.functional.local_response_norm):
 * x / (k + alpha * mean of x^2 over `size` neighbouring channels)^beta, on [N, C, ...].
 * @example F.localResponseNorm(x, 5, { alpha: 1e-4, beta: 0.75, k: 2 })
 */
export function localResponseNorm<F extends DType>(
  input: Tensor<F>,
  size: number,
  options?: { alpha?: number; beta?: number; k?: number },
): Tensor<F>;
export function localResponseNorm(
  input: Tensor,
  size: number,
  options?: { alpha?: number; beta?: number; k?: number },
): Tensor {
  const op = 'localResponseNorm';
  tensorArg(op, 'input', input);
  intAtLeast(op, 'size', size, 1);
  const o = checkOptions(op, options, { alpha: 'number', beta: 'number', k: 'number' });
  if (input.ndim < 3)
    fail('SHAPE_MISMATCH', `${op}: expected input of 3 or more dims [N, C, ...], got ${shapeText(input)}`);
  const alpha = num(op, 'alpha', o.alpha ?? 1e-4),
    beta = num(op, 'beta', o.beta ?? 0.75),
    k = num(op, 'k', o.k ?? 1);
  return tidy(() => {
    // x^2 padded along channels (size / 2 before, (size - 1) / 2 after), averaged over windows
    const sq = input.mul(input);
    const C = input.shape[1];
    const padShape = (n: number) => input.shape.map((d, i) => (i === 1 ? n : d));
    const opts = { dtype: input.dtype, device: input.device };
    const before = Math.floor(size / 2),
      after = Math.floor((size - 1) / 2);
    const padded = cat([zeros(padShape(before), opts), sq, zeros(padShape(after), opts)], 1);
    const mean = padded.unfold(1, size, 1).mean(-1).narrow(1, 0, C);
    return input.div(mean.mul(alpha).add(k).pow(beta));
  });
}

function lpPool(op: string, input: Tensor, p: number, kernel: number[], pool: () => Tensor): Tensor {
  tensorArg(op, 'input', input);
  if (typeof p !== 'number' || !(p > 0) || !Number.isFinite(p))
    fail('INVALID_ARGUMENT', `${op}: normType must be a positive finite number, got ${describe(p)}`);
  return tidy(() => {
    const out = pool();
    const k = kernel.reduce((a, b) => a * b, 1);
    return out
      .sign()
      .mul(out.abs().relu())
      .mul(k)
      .pow(1 / p);
  });
}

/**
 * Power-average pooling over [N, C, L]: (sum over each window of x^p)^(1/p)
 * (torch.nn.functional.lp_pool1d). @example F.lpPool1d(x, 2, 3, { stride: 2 })
 */
export function lpPool1d<F extends DType>(
  input: Tensor<F>,
  normType: number,
  kernelSize: number,
  options?: { stride?: number; ceilMode?: boolean },
): Tensor<F>;
export function lpPool1d(
  input: Tensor,
  normType: number,
  kernelSize: number,
  options?: { stride?: number; ceilMode?: boolean },
): Tensor {
  const op = 'lpPool1d';
  const o = checkOptions(op, options, { stride: 'integer', ceilMode: 'boolean' });
  const k = intAtLeast(op, 'kernelSize', kernelSize, 1);
  return lpPool(op, input, normType, [k], () =>
    avgPool1d(input.pow(normType), k, { stride: o.stride ?? k, ceilMode: o.ceilMode }),
  );
}

/**
 * Power-average pooling over [N, C, H, W] (torch.nn.functional.lp_pool2d).
 * @example F.lpPool2d(x, 2, [2, 2])
 */
export function lpPool2d<F extends DType>(
  input: Tensor<F>,
  normType: number,
  kernelSize: Pair,
  options?: { stride?: Pair; ceilMode?: boolean },
): Tensor<F>;
export function lpPool2d(
  input: Tensor,
  normType: number,
  kernelSize: Pair,
  options?: { stride?: Pair; ceilMode?: boolean },
): Tensor {
  const op = 'lpPool2d';
  const o = checkOptions(op, options, { stride: 'any', ceilMode: 'boolean' });
  const k = pair(op, 'kernelSize', kernelSize, 1);
  return lpPool(op, input, normType, k, () =>
    avgPool2d(input.pow(normType), k as [number, number], {
      stride: o.stride ?? (k as [number, number]),
      ceilMode: o.ceilMode,
    }),
  );
}

/**
 * Splits the channels of [N, C, ...] into `groups` and interleaves them (ShuffleNet's shuffle;
 * torch.nn.functional.channel_shuffle). @example F.channelShuffle(x, 2)
 */
export function channelShuffle<F extends DType>(input: Tensor<F>, groups: number): Tensor<F>;
export function channelShuffle(input: Tensor, groups: number): Tensor {
  const op = 'channelShuffle';
  tensorArg(op, 'input', input);
  const g = intAtLeast(op, 'groups', groups, 1);
  if (input.ndim < 3)
    fail('SHAPE_MISMATCH', `${op}: expected input of 3 or more dims [N, C, ...], got ${shapeText(input)}`);
  const [N, C, ...rest] = input.shape;
  if (C % g !== 0) fail('INVALID_ARGUMENT', `${op}: ${C} channels do not split into ${g} groups`);
  return tidy(() =>
    input
      .reshape([N, g, C / g, ...rest])
      .transpose(1, 2)
      .reshape(input.shape),
  );
}

function probability(op: string, p: unknown): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1))
    fail('INVALID_ARGUMENT', `${op}: probability has to be between 0 and 1, got ${describe(p)}`);
  return p;
}

/** nn.AlphaDropout: alphaDropout in training mode, the identity in eval. @example new nn.AlphaDropout(0.1) */
export class AlphaDropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    probability('AlphaDropout', p);
  }
  forward(input: Tensor): Tensor {
    return alphaDropout(input, this.p, this.training);
  }
}

// SELU's alpha * scale: the value alpha dropout sets a dropped unit to.
const ALPHA_PRIME = 1.7580993408473766;

function alphaDrop(op: string, input: Tensor, p: number, training: boolean, feature: boolean): Tensor {
  tensorArg(op, 'input', input);
  probability(op, p);
  bool(op, 'training', training);
  if (feature && input.ndim < 2)
    fail('SHAPE_MISMATCH', `${op}: expected input of 2 or more dims [N, C, ...], got ${shapeText(input)}`);
  if (!training || p === 0) return input.view(input.shape);
  return tidy(() => {
    if (p === 1) return input.mul(0);
    // (x keep + alpha' (keep - 1)) a + alpha' a p: mean and variance of a SELU-normalized input kept
    const a = 1 / Math.sqrt((ALPHA_PRIME * ALPHA_PRIME * p + 1) * (1 - p));
    const shape = feature ? input.shape.map((d, i) => (i < 2 ? d : 1)) : input.shape;
    const keep = rand(shape, { device: input.device }).ge(p).to(input.dtype);
    return input
      .mul(keep.mul(a))
      .add(keep.sub(1).mul(ALPHA_PRIME * a))
      .add(ALPHA_PRIME * a * p);
  });
}

/**
 * Dropout that keeps a SELU network's self-normalization: dropped units take SELU's negative
 * saturation value and the result is rescaled to the input's mean and variance
 * (torch.nn.functional.alpha_dropout). @example F.alphaDropout(x, 0.1, model.training)
 */
export function alphaDropout<F extends DType>(input: Tensor<F>, p?: number, training?: boolean): Tensor<F>;
export function alphaDropout(input: Tensor, p = 0.5, training = false): Tensor {
  return alphaDrop('alphaDropout', input, p, training, false);
}

/**
 * alphaDropout of whole channels of [N, C, ...] (torch.nn.functional.feature_alpha_dropout).
 * @example F.featureAlphaDropout(x, 0.2, true)
 */
export function featureAlphaDropout<F extends DType>(input: Tensor<F>, p?: number, training?: boolean): Tensor<F>;
export function featureAlphaDropout(input: Tensor, p = 0.5, training = false): Tensor {
  return alphaDrop('featureAlphaDropout', input, p, training, true);
}

/**
 * Randomized leaky ReLU (torch.nn.functional.rrelu): in training each negative element is scaled
 * by a slope drawn uniformly from [lower, upper]; otherwise by their mean.
 * @example F.rrelu(x, { training: true })
 */
export function rrelu<F extends DType>(
  input: Tensor<F>,
  options?: { lower?: number; upper?: number; training?: boolean },
): Tensor<F>;
export function rrelu(input: Tensor, options?: { lower?: number; upper?: number; training?: boolean }): Tensor {
  const op = 'rrelu';
  tensorArg(op, 'input', input);
  const o = checkOptions(op, options, { lower: 'number', upper: 'number', training: 'boolean' });
  const lower = num(op, 'lower', o.lower ?? 1 / 8),
    upper = num(op, 'upper', o.upper ?? 1 / 3);
  if (lower > upper) fail('INVALID_ARGUMENT', `${op}: lower ${lower} must not exceed upper ${upper}`);
  return tidy(() => {
    const slope = o.training
      ? rand(input.shape, { dtype: input.dtype, device: input.device })
          .mul(upper - lower)
          .add(lower)
      : (lower + upper) / 2;
    return where(input.ge(0), input, input.mul(slope));
  });
}

/**
 * Samples from the Gumbel-softmax distribution (torch.nn.functional.gumbel_softmax):
 * softmax((logits + g) / tau) with g Gumbel noise; `hard` returns the one-hot of its argmax with
 * the soft sample's gradient (the straight-through estimator).
 * @example const y = F.gumbelSoftmax(logits, { tau: 0.5, hard: true })
 */
export function gumbelSoftmax<F extends DType>(
  logits: Tensor<F>,
  options?: { tau?: number; hard?: boolean; dim?: number },
): Tensor<F>;
export function gumbelSoftmax(logits: Tensor, options?: { tau?: number; hard?: boolean; dim?: number }): Tensor {
  const op = 'gumbelSoftmax';
  tensorArg(op, 'logits', logits);
  const o = checkOptions(op, options, { tau: 'number', hard: 'boolean', dim: 'integer' });
  const tau = num(op, 'tau', o.tau ?? 1);
  if (!(tau > 0)) fail('INVALID_ARGUMENT', `${op}: tau must be positive, got ${tau}`);
  const dim = int(op, 'dim', o.dim ?? -1);
  return tidy(() => {
    // -log(E), E ~ Exp(1) = -log(U): Gumbel(0, 1); U away from 0 and 1 so both logs are finite
    const u = rand(logits.shape, { dtype: logits.dtype, device: logits.device }).clamp(1e-10, 1 - 1e-7);
    const gumbels = u.log().neg().log().neg();
    const soft = logits.add(gumbels).div(tau).softmax(dim);
    if (!o.hard) return soft;
    const index = soft.argmax(dim, { keepdim: true });
    const hard = soft.mul(0).scatter(dim, index, 1);
    return hard.sub(soft.detach()).add(soft);
  });
}

/** nn.LocalResponseNorm. @example new nn.LocalResponseNorm(5, { alpha: 1e-4, beta: 0.75, k: 2 }) */
export class LocalResponseNorm extends Module {
  constructor(
    readonly size: number,
    readonly options: { alpha?: number; beta?: number; k?: number } = {},
  ) {
    super();
    intAtLeast('LocalResponseNorm', 'size', size, 1);
    checkOptions('LocalResponseNorm', options, { alpha: 'number', beta: 'number', k: 'number' });
  }
  forward(input: Tensor): Tensor {
    return localResponseNorm(input, this.size, this.options);
  }
}

/** nn.LPPool1d. @example new nn.LPPool1d(2, 3, { stride: 2 }) */
export class LPPool1d extends Module {
  constructor(
    readonly normType: number,
    readonly kernelSize: number,
    readonly options: { stride?: number; ceilMode?: boolean } = {},
  ) {
    super();
    checkOptions('LPPool1d', options, { stride: 'integer', ceilMode: 'boolean' });
    intAtLeast('LPPool1d', 'kernelSize', kernelSize, 1);
  }
  forward(input: Tensor): Tensor {
    return lpPool1d(input, this.normType, this.kernelSize, this.options);
  }
}

/** nn.LPPool2d. @example new nn.LPPool2d(2, 2) */
export class LPPool2d extends Module {
  constructor(
    readonly normType: number,
    readonly kernelSize: Pair,
    readonly options: { stride?: Pair; ceilMode?: boolean } = {},
  ) {
    super();
    checkOptions('LPPool2d', options, { stride: 'any', ceilMode: 'boolean' });
    pair('LPPool2d', 'kernelSize', kernelSize, 1);
  }
  forward(input: Tensor): Tensor {
    return lpPool2d(input, this.normType, this.kernelSize, this.options);
  }
}

/** nn.ChannelShuffle. @example new nn.ChannelShuffle(4) */
export class ChannelShuffle extends Module {
  constructor(readonly groups: number) {
    super();
    intAtLeast('ChannelShuffle', 'groups', groups, 1);
  }
  forward(input: Tensor): Tensor {
    return channelShuffle(input, this.groups);
  }
}

/** nn.FeatureAlphaDropout. @example new nn.FeatureAlphaDropout(0.2) */
export class FeatureAlphaDropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    probability('FeatureAlphaDropout', p);
  }
  forward(input: Tensor): Tensor {
    return featureAlphaDropout(input, this.p, this.training);
  }
}

/** nn.RReLU: random slopes in training mode, their mean in eval. @example new nn.RReLU(0.1, 0.3) */
export class RReLU extends Module {
  constructor(
    readonly lower = 1 / 8,
    readonly upper = 1 / 3,
  ) {
    super();
    num('RReLU', 'lower', lower);
    num('RReLU', 'upper', upper);
    if (lower > upper) fail('INVALID_ARGUMENT', `RReLU: lower ${lower} must not exceed upper ${upper}`);
  }
  forward(input: Tensor): Tensor {
    return rrelu(input, { lower: this.lower, upper: this.upper, training: this.training });
  }
}

/** nn.Softmax2d: softmax over the channels of [N, C, H, W] or [C, H, W]. @example new nn.Softmax2d() */
export class Softmax2d extends Module {
  forward(input: Tensor): Tensor {
    tensorArg('Softmax2d', 'input', input);
    if (input.ndim !== 3 && input.ndim !== 4)
      fail('SHAPE_MISMATCH', `Softmax2d: expected [N, C, H, W] or [C, H, W], got ${shapeText(input)}`);
    return input.softmax(-3);
  }
}

/** The output size of the Upsampling layers: a size or a scale factor (one, or one per spatial dim). */
export interface UpsampleSize {
  size?: number | readonly number[];
  scaleFactor?: number | readonly number[];
}

/** nn.UpsamplingNearest2d: interpolate in 'nearest' mode. @example new nn.UpsamplingNearest2d({ scaleFactor: 2 }) */
export class UpsamplingNearest2d extends Module {
  constructor(readonly options: UpsampleSize) {
    super();
    checkOptions('UpsamplingNearest2d', options, { size: 'any', scaleFactor: 'any' });
  }
  forward(input: Tensor): Tensor {
    return interpolate(input, { ...this.options, mode: 'nearest' });
  }
}

/**
 * nn.UpsamplingBilinear2d: interpolate in 'bilinear' mode with alignCorners (as PyTorch's).
 * @example new nn.UpsamplingBilinear2d({ size: [64, 64] })
 */
export class UpsamplingBilinear2d extends Module {
  constructor(readonly options: UpsampleSize) {
    super();
    checkOptions('UpsamplingBilinear2d', options, { size: 'any', scaleFactor: 'any' });
  }
  forward(input: Tensor): Tensor {
    return interpolate(input, { ...this.options, mode: 'bilinear', alignCorners: true });
  }
}
