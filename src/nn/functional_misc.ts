// torch.nn.functional's one-hot encoding, the 1-D pools (the 2-D native pools over a height of 1,
// so their kernels and gradients are the tested ones), adaptive max pooling (separable maxes over
// torch's windows), channel dropout (dropout1d/2d/3d), and their modules, with the padding
// layers (F.pad as modules).
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { arange, rand } from '../ops/creation.js';
import { cat } from '../ops/functional.js';
import { bool, checkOptions, describe, int, intAtLeast, list } from '../options.js';
import type { Tensor } from '../tensor.js';
import { tensorArg } from './args.js';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from './functional.js';
import { pad } from './functional_more.js';
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

/**
 * 1-D max pooling over [N, C, L]; stride defaults to the kernel size. With `returnIndices`, also
 * the position along L of each maximum (for maxUnpool1d). @example F.maxPool1d(x, 2)
 */
export function maxPool1d<F extends DType>(
  input: Tensor<F>,
  kernelSize: number,
  options?: Pool1dOptions & { returnIndices?: false },
): Tensor<F>;
export function maxPool1d<F extends DType>(
  input: Tensor<F>,
  kernelSize: number,
  options: Pool1dOptions & { returnIndices: true },
): [Tensor<F>, Tensor<'int64'>];
export function maxPool1d(
  input: Tensor,
  kernelSize: number,
  options?: Pool1dOptions & { returnIndices?: boolean },
): Tensor | [Tensor, Tensor] {
  const op = 'maxPool1d';
  const o = checkOptions(op, options, {
    stride: 'integer',
    padding: 'integer',
    dilation: 'integer',
    ceilMode: 'boolean',
    returnIndices: 'boolean',
  });
  const k = intAtLeast(op, 'kernelSize', kernelSize, 1);
  const opts = {
    stride: wide(o.stride, 1),
    padding: wide(o.padding, 0),
    dilation: wide(o.dilation, 1),
    ceilMode: o.ceilMode,
  };
  if (!o.returnIndices) return tidy(() => maxPool2d(asImage(op, input), [1, k], opts).squeeze(-2));
  // the 2-D pool's flat index h * L + l is l itself (one row)
  return tidy(() => {
    const [y, idx] = maxPool2d(asImage(op, input), [1, k], { ...opts, returnIndices: true });
    return [y.squeeze(-2), idx.squeeze(-2)] as [Tensor, Tensor];
  });
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

/** Zeroes whole channels of [N, C, D, H, W] with probability p (scaling the rest). @example F.dropout3d(x, 0.2) */
export function dropout3d<F extends DType>(input: Tensor<F>, p?: number, training?: boolean): Tensor<F>;
export function dropout3d(input: Tensor, p = 0.5, training = true): Tensor {
  return channelDropout('dropout3d', input, p, training, 3);
}

/**
 * nn.MaxPool1d; with `returnIndices: true`, forward returns [values, indices].
 * @example new nn.MaxPool1d(2)
 */
export class MaxPool1d<R extends boolean = false> extends Module {
  readonly options: Pool1dOptions & { returnIndices?: R };
  constructor(
    readonly kernelSize: number,
    options: Pool1dOptions & { returnIndices?: R } = {},
  ) {
    super();
    intAtLeast('MaxPool1d', 'kernelSize', kernelSize, 1);
    this.options = checkOptions('MaxPool1d', options, {
      stride: 'integer',
      padding: 'integer',
      dilation: 'integer',
      ceilMode: 'boolean',
      returnIndices: 'boolean',
    });
  }
  forward(x: Tensor): R extends true ? [Tensor, Tensor<'int64'>] : Tensor;
  forward(x: Tensor): Tensor | [Tensor, Tensor] {
    const { returnIndices, ...o } = this.options;
    return returnIndices
      ? maxPool1d(x, this.kernelSize, { ...o, returnIndices: true })
      : maxPool1d(x, this.kernelSize, o);
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
/** nn.Dropout3d: whole channels of [N, C, D, H, W] zeroed while training. */
export class Dropout3d extends ChannelDropout {
  constructor(p = 0.5) {
    super(p, dropout3d, 'Dropout3d');
  }
}

// The window of output cell i of n over a dim of size len (torch's adaptive pooling bounds).
const windowOf = (i: number, n: number, len: number): [number, number] => [
  Math.floor((i * len) / n),
  Math.ceil(((i + 1) * len) / n),
];
/**
 * @internal Adaptive max pooling over the last `sizes.length` dims of x, separable and from the
 * last dim back: each row's first maximum, then the first row holding the largest, so the first
 * maximum in row-major order wins and takes the window's whole gradient, as PyTorch's. With
 * `withIndices`, also each maximum's flat position over the pooled dims (h * W + w, ...).
 */
export function adaptiveMaxPoolNd(x: Tensor, sizes: readonly number[], withIndices: boolean): [Tensor, Tensor | null] {
  const k = sizes.length,
    first = x.ndim - k;
  const spatial = x.shape.slice(first);
  let pos: Tensor | null = withIndices
    ? arange(
        spatial.reduce((a, b) => a * b, 1),
        { dtype: 'int64', device: x.device },
      )
        .reshape(spatial)
        .expand(x.shape)
    : null;
  let y = x;
  // the values and positions of each window's first maximum along dim d (kept)
  const pick = (v: Tensor, p: Tensor | null, d: number): [Tensor, Tensor | null] => {
    const { values, indices } = v.maxWithIndices(d, { keepdim: true });
    return [values, p ? p.gather(d, indices) : null];
  };
  for (let i = k - 1; i >= 0; i--) {
    const d = first + i,
      n = sizes[i],
      len = y.shape[d];
    if (n === len) continue;
    if (len % n === 0) {
      // equal windows: one reshape and max
      const shape = [...y.shape.slice(0, d), n, len / n, ...y.shape.slice(d + 1)];
      const [v, p] = pick(y.reshape(shape), pos ? pos.reshape(shape) : null, d + 1);
      y = v.squeeze(d + 1);
      pos = p ? p.squeeze(d + 1) : null;
      continue;
    }
    const parts = Array.from({ length: n }, (_, w) => {
      const [s, e] = windowOf(w, n, len);
      return pick(y.narrow(d, s, e - s), pos ? pos.narrow(d, s, e - s) : null, d);
    });
    y = cat(
      parts.map(([v]) => v),
      d,
    );
    pos = pos
      ? cat(
          parts.map(([, p]) => p!),
          d,
        )
      : null;
  }
  return [y === x ? x.clone() : y, pos ? pos.contiguous() : null];
}

/**
 * Max pooling of [N, C, H, W] (or [C, H, W]) to a fixed output size; null keeps the input's size.
 * With `returnIndices`, also the flat h * W + w position of each maximum (the first in row-major
 * order, as PyTorch), for maxUnpool2d.
 * @example F.adaptiveMaxPool2d(features, [7, 7]); const [y, idx] = F.adaptiveMaxPool2d(x, 3, { returnIndices: true })
 */
export function adaptiveMaxPool2d<F extends DType>(
  input: Tensor<F>,
  outputSize: number | readonly [number | null, number | null],
  options?: { returnIndices?: false },
): Tensor<F>;
export function adaptiveMaxPool2d<F extends DType>(
  input: Tensor<F>,
  outputSize: number | readonly [number | null, number | null],
  options: { returnIndices: true },
): [Tensor<F>, Tensor<'int64'>];
export function adaptiveMaxPool2d(
  input: Tensor,
  outputSize: number | readonly [number | null, number | null],
  options?: { returnIndices?: boolean },
): Tensor | [Tensor, Tensor] {
  const op = 'adaptiveMaxPool2d';
  tensorArg(op, 'input', input);
  const withIndices = checkOptions(op, options, { returnIndices: 'boolean' }).returnIndices ?? false;
  if (input.ndim !== 3 && input.ndim !== 4)
    fail('SHAPE_MISMATCH', `${op}: expected [N, C, H, W] or [C, H, W], got [${input.shape.join(', ')}]`);
  const [H, W] = input.shape.slice(-2);
  const sizes =
    typeof outputSize === 'number'
      ? [outputSize, outputSize]
      : (list(op, 'outputSize', outputSize, 2) as (number | null)[]);
  if (sizes.length !== 2)
    fail('INVALID_ARGUMENT', `${op}: outputSize must be a size or [h, w], got ${describe(outputSize)}`);
  const oh = sizes[0] === null ? H : intAtLeast(op, 'outputSize', sizes[0], 1);
  const ow = sizes[1] === null ? W : intAtLeast(op, 'outputSize', sizes[1], 1);
  if (H === 0 || W === 0) fail('SHAPE_MISMATCH', `${op}: the input's spatial size must be non-zero, got [${H}, ${W}]`);
  // One narrow and max per output cell along a dim when the size does not divide: a size past any
  // real use is refused before that loop (the fuzzer asked for 2^32).
  if (oh > 65536 || ow > 65536) fail('INVALID_ARGUMENT', `${op}: outputSize must be at most 65536, got [${oh}, ${ow}]`);
  return tidy(() => {
    const [y, idx] = adaptiveMaxPoolNd(input, [oh, ow], withIndices);
    return idx ? [y, idx] : y;
  });
}
/**
 * Max pooling of [N, C, L] (or [C, L]) to a fixed length; with `returnIndices`, also each
 * maximum's position. @example F.adaptiveMaxPool1d(x, 1)
 */
export function adaptiveMaxPool1d<F extends DType>(
  input: Tensor<F>,
  outputSize: number,
  options?: { returnIndices?: false },
): Tensor<F>;
export function adaptiveMaxPool1d<F extends DType>(
  input: Tensor<F>,
  outputSize: number,
  options: { returnIndices: true },
): [Tensor<F>, Tensor<'int64'>];
export function adaptiveMaxPool1d(
  input: Tensor,
  outputSize: number,
  options?: { returnIndices?: boolean },
): Tensor | [Tensor, Tensor] {
  const op = 'adaptiveMaxPool1d';
  const n = intAtLeast(op, 'outputSize', outputSize, 1);
  const withIndices = checkOptions(op, options, { returnIndices: 'boolean' }).returnIndices ?? false;
  return tidy(() => {
    const image = asImage(op, input);
    const r = withIndices
      ? adaptiveMaxPool2d(image, [1, n], { returnIndices: true })
      : [adaptiveMaxPool2d(image, [1, n])];
    const out = r.map((t) => t.squeeze(-2));
    return withIndices ? (out as [Tensor, Tensor]) : out[0];
  });
}
/** nn.AdaptiveMaxPool2d. @example new nn.AdaptiveMaxPool2d(1) */
export class AdaptiveMaxPool2d extends Module {
  constructor(
    readonly outputSize: number | readonly [number | null, number | null],
    readonly options: { returnIndices?: boolean } = {},
  ) {
    super();
    if (typeof outputSize === 'number') intAtLeast('AdaptiveMaxPool2d', 'outputSize', outputSize, 1);
    checkOptions('AdaptiveMaxPool2d', options, { returnIndices: 'boolean' });
  }
  forward(x: Tensor): Tensor | [Tensor, Tensor] {
    return this.options.returnIndices
      ? adaptiveMaxPool2d(x, this.outputSize, { returnIndices: true })
      : adaptiveMaxPool2d(x, this.outputSize);
  }
}
/** nn.AdaptiveMaxPool1d. */
export class AdaptiveMaxPool1d extends Module {
  constructor(
    readonly outputSize: number,
    readonly options: { returnIndices?: boolean } = {},
  ) {
    super();
    intAtLeast('AdaptiveMaxPool1d', 'outputSize', outputSize, 1);
    checkOptions('AdaptiveMaxPool1d', options, { returnIndices: 'boolean' });
  }
  forward(x: Tensor): Tensor | [Tensor, Tensor] {
    return this.options.returnIndices
      ? adaptiveMaxPool1d(x, this.outputSize, { returnIndices: true })
      : adaptiveMaxPool1d(x, this.outputSize);
  }
}

// ---- padding layers (torch.nn.ZeroPad2d, ConstantPad1d, ReflectionPad2d, ...): F.pad as a module

// An int pads every side; a list is [left, right] (1-D), [left, right, top, bottom] (2-D), or
// [left, right, top, bottom, front, back] (3-D).
function padding(name: string, p: number | readonly number[], sides: number): number[] {
  const ps = typeof p === 'number' ? new Array<number>(sides).fill(p) : (list(name, 'padding', p, sides) as number[]);
  if (ps.length !== sides)
    fail('INVALID_ARGUMENT', `${name}: padding must be one size or ${sides} sizes, got ${describe(p)}`);
  return ps.map((v) => int(name, 'padding', v));
}
function padModule(name: string, mode: 'constant' | 'reflect' | 'replicate' | 'circular', sides: number) {
  return class extends Module {
    readonly padding: number[];
    constructor(
      padding_: number | readonly number[],
      readonly value = 0,
    ) {
      super();
      this.padding = padding(name, padding_, sides);
      if (typeof value !== 'number')
        fail('INVALID_ARGUMENT', `${name}: value must be a number, got ${describe(value)}`);
    }
    forward(x: Tensor): Tensor {
      return pad(x, this.padding, mode, this.value);
    }
  };
}
/** Pads the last dim with zeros: [left, right] or one size. */
export class ZeroPad1d extends padModule('ZeroPad1d', 'constant', 2) {}
/** Pads the last two dims with zeros: [left, right, top, bottom] or one size. @example new nn.ZeroPad2d(1) */
export class ZeroPad2d extends padModule('ZeroPad2d', 'constant', 4) {}
/** Pads the last dim with `value`. @example new nn.ConstantPad1d([2, 0], -1) */
export class ConstantPad1d extends padModule('ConstantPad1d', 'constant', 2) {}
/** Pads the last two dims with `value`. */
export class ConstantPad2d extends padModule('ConstantPad2d', 'constant', 4) {}
/** Pads the last dim with its reflection (the edge not repeated). */
export class ReflectionPad1d extends padModule('ReflectionPad1d', 'reflect', 2) {}
/** Pads the last two dims with their reflection. @example new nn.ReflectionPad2d(1) */
export class ReflectionPad2d extends padModule('ReflectionPad2d', 'reflect', 4) {}
/** Pads the last dim by repeating its edge. */
export class ReplicationPad1d extends padModule('ReplicationPad1d', 'replicate', 2) {}
/** Pads the last two dims by repeating their edges. */
export class ReplicationPad2d extends padModule('ReplicationPad2d', 'replicate', 4) {}
/** Pads the last three dims with zeros: [left, right, top, bottom, front, back] or one size. */
export class ZeroPad3d extends padModule('ZeroPad3d', 'constant', 6) {}
/** Pads the last three dims with `value`. @example new nn.ConstantPad3d(1, 0.5) */
export class ConstantPad3d extends padModule('ConstantPad3d', 'constant', 6) {}
/** Pads the last three dims with their reflection. */
export class ReflectionPad3d extends padModule('ReflectionPad3d', 'reflect', 6) {}
/** Pads the last three dims by repeating their edges. */
export class ReplicationPad3d extends padModule('ReplicationPad3d', 'replicate', 6) {}
