// torch.nn.functional's one-hot encoding, the 1-D pools (the 2-D native pools over a height of 1,
// so their kernels and gradients are the tested ones), channel dropout (dropout1d, dropout2d),
// and their modules.
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { arange, rand } from '../ops/creation.js';
import { bool, checkOptions, describe, int, intAtLeast } from '../options.js';
import type { Tensor } from '../tensor.js';
import { tensorArg } from './args.js';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from './functional.js';
import { Module } from './module.js';

/**
 * Class indices (int64, >= 0) as one-hot vectors: a new last dim of numClasses (max + 1 when -1).
 * int64. @example F.oneHot(tensor([0, 2], { dtype: 'int64' }), 3) // [[1, 0, 0], [0, 0, 1]]
 */
export function oneHot(input: Tensor, numClasses = -1): Tensor<'int64'> {
  const op = 'oneHot';
  tensorArg(op, 'input', input);
  if (input.dtype !== 'int64' && input.dtype !== 'int32')
    fail('DTYPE_MISMATCH', `${op}: expected class indices (int64), got ${input.dtype}`);
  let n = int(op, 'numClasses', numClasses);
  return tidy(() => {
    if (input.numel() > 0 && (input.min().item() as number) < 0)
      fail('INVALID_ARGUMENT', `${op}: class values must be non-negative`);
    const top = input.numel() > 0 ? (input.max().item() as number) : -1;
    if (n === -1) {
      if (input.numel() === 0) fail('INVALID_ARGUMENT', `${op}: cannot infer numClasses from an empty tensor`);
      n = top + 1;
    } else if (n < 1 || top >= n)
      fail('INVALID_ARGUMENT', `${op}: class values must be smaller than numClasses (${n}), got ${top}`);
    return input
      .unsqueeze(-1)
      .eq(arange(n, { dtype: 'int64', device: input.device }))
      .to('int64');
  });
}

/** Options of the 1-D pools. */
export interface Pool1dOptions {
  stride?: number;
  padding?: number;
  dilation?: number;
  ceilMode?: boolean;
}

// [N, C, L] or [C, L] as [.., 1, L] for the 2-D pools; one value v as [1, v] (no change in height).
function asImage(op: string, input: Tensor): Tensor {
  tensorArg(op, 'input', input);
  if (input.ndim !== 2 && input.ndim !== 3)
    fail('SHAPE_MISMATCH', `${op}: expected [N, C, L] or [C, L], got [${input.shape.join(', ')}]`);
  return input.unsqueeze(-2);
}
// A width-only value as the 2-D pools' [height, width] (height: stride 1, padding 0, dilation 1).
const wide = (v: number | undefined, height: number): [number, number] | undefined =>
  v === undefined ? undefined : [height, v];

/** 1-D max pooling over [N, C, L]; stride defaults to the kernel size. @example F.maxPool1d(x, 2) */
export function maxPool1d<F extends DType>(input: Tensor<F>, kernelSize: number, options?: Pool1dOptions): Tensor<F>;
export function maxPool1d(input: Tensor, kernelSize: number, options?: Pool1dOptions): Tensor {
  const op = 'maxPool1d';
  const o = checkOptions(op, options, {
    stride: 'integer',
    padding: 'integer',
    dilation: 'integer',
    ceilMode: 'boolean',
  });
  const k = intAtLeast(op, 'kernelSize', kernelSize, 1);
  return tidy(() =>
    maxPool2d(asImage(op, input), [1, k], {
      stride: wide(o.stride, 1),
      padding: wide(o.padding, 0),
      dilation: wide(o.dilation, 1),
      ceilMode: o.ceilMode,
    }).squeeze(-2),
  );
}

/** 1-D average pooling over [N, C, L]. @example F.avgPool1d(x, 3, { stride: 1, padding: 1 }) */
export function avgPool1d<F extends DType>(
  input: Tensor<F>,
  kernelSize: number,
  options?: Omit<Pool1dOptions, 'dilation'> & { countIncludePad?: boolean },
): Tensor<F>;
export function avgPool1d(
  input: Tensor,
  kernelSize: number,
  options?: Omit<Pool1dOptions, 'dilation'> & { countIncludePad?: boolean },
): Tensor {
  const op = 'avgPool1d';
  const o = checkOptions(op, options, {
    stride: 'integer',
    padding: 'integer',
    ceilMode: 'boolean',
    countIncludePad: 'boolean',
  });
  const k = intAtLeast(op, 'kernelSize', kernelSize, 1);
  return tidy(() =>
    avgPool2d(asImage(op, input), [1, k], {
      stride: wide(o.stride, 1),
      padding: wide(o.padding, 0),
      ceilMode: o.ceilMode,
      countIncludePad: o.countIncludePad,
    }).squeeze(-2),
  );
}

/** Average pooling of [N, C, L] to a fixed length. @example F.adaptiveAvgPool1d(x, 1) */
export function adaptiveAvgPool1d<F extends DType>(input: Tensor<F>, outputSize: number): Tensor<F>;
export function adaptiveAvgPool1d(input: Tensor, outputSize: number): Tensor {
  const op = 'adaptiveAvgPool1d';
  const n = intAtLeast(op, 'outputSize', outputSize, 1);
  return tidy(() => adaptiveAvgPool2d(asImage(op, input), [1, n]).squeeze(-2));
}

// Zeroes whole channels (dim 1 of a batch, dim 0 without one), scaling the kept ones by 1/(1-p).
function channelDropout(op: string, input: Tensor, p: number, training: boolean, spatial: number): Tensor {
  tensorArg(op, 'input', input);
  if (typeof p !== 'number' || !(p >= 0 && p <= 1))
    fail('INVALID_ARGUMENT', `${op}: probability has to be between 0 and 1, got ${describe(p)}`);
  bool(op, 'training', training);
  if (input.ndim !== spatial + 1 && input.ndim !== spatial + 2)
    fail(
      'SHAPE_MISMATCH',
      `${op}: expected ${spatial + 2}-D (batched) or ${spatial + 1}-D input, got [${input.shape.join(', ')}]`,
    );
  if (!training || p === 0) return input.view(input.shape);
  return tidy(() => {
    if (p === 1) return input.mul(0);
    const lead = input.ndim - spatial;
    const keep = rand([...input.shape.slice(0, lead), ...new Array<number>(spatial).fill(1)], { device: input.device })
      .ge(p)
      .to(input.dtype);
    return input.mul(keep.mul(1 / (1 - p)));
  });
}
/** Zeroes whole channels of [N, C, L] with probability p (scaling the rest). @example F.dropout1d(x, 0.2) */
export function dropout1d<F extends DType>(input: Tensor<F>, p?: number, training?: boolean): Tensor<F>;
export function dropout1d(input: Tensor, p = 0.5, training = true): Tensor {
  return channelDropout('dropout1d', input, p, training, 1);
}
/** Zeroes whole channels of [N, C, H, W] with probability p (scaling the rest). @example F.dropout2d(x, 0.2) */
export function dropout2d<F extends DType>(input: Tensor<F>, p?: number, training?: boolean): Tensor<F>;
export function dropout2d(input: Tensor, p = 0.5, training = true): Tensor {
  return channelDropout('dropout2d', input, p, training, 2);
}

/** nn.MaxPool1d. @example new nn.MaxPool1d(2) */
export class MaxPool1d extends Module {
  readonly options: Pool1dOptions;
  constructor(
    readonly kernelSize: number,
    options: Pool1dOptions = {},
  ) {
    super();
    intAtLeast('MaxPool1d', 'kernelSize', kernelSize, 1);
    this.options = checkOptions('MaxPool1d', options, {
      stride: 'integer',
      padding: 'integer',
      dilation: 'integer',
      ceilMode: 'boolean',
    });
  }
  forward(x: Tensor): Tensor {
    return maxPool1d(x, this.kernelSize, this.options);
  }
}
/** nn.AvgPool1d. */
export class AvgPool1d extends Module {
  readonly options: Omit<Pool1dOptions, 'dilation'> & { countIncludePad?: boolean };
  constructor(
    readonly kernelSize: number,
    options: Omit<Pool1dOptions, 'dilation'> & { countIncludePad?: boolean } = {},
  ) {
    super();
    intAtLeast('AvgPool1d', 'kernelSize', kernelSize, 1);
    this.options = checkOptions('AvgPool1d', options, {
      stride: 'integer',
      padding: 'integer',
      ceilMode: 'boolean',
      countIncludePad: 'boolean',
    });
  }
  forward(x: Tensor): Tensor {
    return avgPool1d(x, this.kernelSize, this.options);
  }
}
/** nn.AdaptiveAvgPool1d. */
export class AdaptiveAvgPool1d extends Module {
  constructor(readonly outputSize: number) {
    super();
    intAtLeast('AdaptiveAvgPool1d', 'outputSize', outputSize, 1);
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool1d(x, this.outputSize);
  }
}
// Channel dropout as a module: the probability checked when it is made, active while training.
class ChannelDropout extends Module {
  constructor(
    readonly p: number,
    private readonly f: (x: Tensor, p: number, training: boolean) => Tensor,
    name: string,
  ) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1))
      fail('INVALID_ARGUMENT', `${name}: probability has to be between 0 and 1, got ${describe(p)}`);
  }
  forward(x: Tensor): Tensor {
    return this.f(x, this.p, this.training);
  }
}
/** nn.Dropout1d: whole channels of [N, C, L] zeroed while training. */
export class Dropout1d extends ChannelDropout {
  constructor(p = 0.5) {
    super(p, dropout1d, 'Dropout1d');
  }
}
/** nn.Dropout2d: whole channels of [N, C, H, W] zeroed while training. */
export class Dropout2d extends ChannelDropout {
  constructor(p = 0.5) {
    super(p, dropout2d, 'Dropout2d');
  }
}
