// The convolution layers (torch.nn.Conv1d/2d/3d and ConvTranspose1d/2d/3d) over one base: the
// channel and group checks, PyTorch's initialisation (U(+-1/sqrt(fan_in)) for weight and bias,
// fan_in being weight dim 1 times the kernel, so out_channels / groups for the transposed ones),
// and paddingMode ('reflect', 'replicate', 'circular': F.pad first, then no padding in the
// convolution, as PyTorch does).
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { describe, oneOf } from '../options.js';
import type { Tensor } from '../tensor.js';
import { tensorArg, type Pair, type Triple } from './args.js';
import * as F from './functional.js';
import { Module } from './module.js';
import { layerOptions, positiveInt, uniform } from './params.js';

/** How a convolution layer pads its input: zeros (the default), or one of F.pad's modes. */
export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

/** Options of `Conv1d`, `Conv2d` and `Conv3d`: sizes are one number, or one per spatial dim. */
export interface ConvModuleOptions<S = Pair> {
  /** Step of the window (default 1). */
  stride?: S;
  /** Padding on each side, or 'same' / 'valid' (default 0). */
  padding?: S | 'same' | 'valid';
  /** Spacing of the window's taps (default 1). */
  dilation?: S;
  /** Channel groups (default 1; in channels for depthwise). */
  groups?: number;
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Dtype of the parameters (default float32). */
  dtype?: DType;
  /** What the padding holds: 'zeros' (default), or F.pad's 'reflect', 'replicate' or 'circular'. */
  paddingMode?: PaddingMode;
}

/** Options of `ConvTranspose1d`, `ConvTranspose2d` and `ConvTranspose3d`. */
export interface ConvTransposeModuleOptions<S = Pair> {
  stride?: S;
  /** Removed from each side of the output (dilation * (k - 1) - padding of zeros is the input's). */
  padding?: S;
  /** Added to one side of the output, to pick among the sizes a strided convolution maps from. */
  outputPadding?: S;
  dilation?: S;
  groups?: number;
  bias?: boolean;
  dtype?: DType;
}

const CONV_SPEC = {
  stride: 'any',
  padding: 'any',
  dilation: 'any',
  groups: 'integer',
  bias: 'boolean',
  dtype: 'string',
} as const;

// One size per spatial dim from a number or a list of `dims` numbers (each at least `min`).
function perDim(op: string, name: string, v: unknown, dims: number, def: number, min: number): number[] {
  if (v === undefined) return new Array<number>(dims).fill(def);
  const list = typeof v === 'number' ? new Array<number>(dims).fill(v) : v;
  if (!Array.isArray(list) || list.length !== dims || !list.every((x) => Number.isSafeInteger(x) && x >= min))
    fail('INVALID_ARGUMENT', `${op}: '${name}' must be an integer >= ${min} or ${dims} of them, got ${describe(v)}`);
  return [...(list as number[])];
}

// The base of the six: parameters shaped and initialised as PyTorch's.
abstract class ConvNd<O extends { groups?: number; bias?: boolean; dtype?: DType }> extends Module {
  weight: Tensor;
  bias: Tensor | null;
  /** The kernel's size along each spatial dim. */
  readonly kernelSize: number[];
  readonly options: O;
  protected constructor(
    protected readonly op: string,
    dims: number,
    transposed: boolean,
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: unknown,
    options: O | undefined,
  ) {
    super();
    // the transposed layers add outputPadding; the others paddingMode
    const spec = transposed
      ? { ...CONV_SPEC, outputPadding: 'any' as const }
      : { ...CONV_SPEC, paddingMode: 'string' as const };
    this.options = layerOptions(op, options ?? ({} as O), spec);
    const g = this.options.groups ?? 1;
    positiveInt(op, 'inChannels', inChannels);
    positiveInt(op, 'outChannels', outChannels);
    positiveInt(op, 'groups', g);
    if (inChannels % g !== 0 || outChannels % g !== 0)
      fail(
        'INVALID_ARGUMENT',
        `${op}: groups (${g}) must divide inChannels (${inChannels}) and outChannels (${outChannels})`,
      );
    this.kernelSize = perDim(op, 'kernelSize', kernelSize, dims, 1, 1);
    const taps = this.kernelSize.reduce((a, b) => a * b, 1);
    const bound = 1 / Math.sqrt(((transposed ? outChannels : inChannels) / g) * taps),
      dtype = this.options.dtype ?? 'float32';
    const shape = transposed ? [inChannels, outChannels / g] : [outChannels, inChannels / g];
    this.weight = uniform([...shape, ...this.kernelSize], bound, dtype);
    this.bias = this.options.bias === false ? null : uniform([outChannels], bound, dtype);
  }
}

type ConvFn<S> = (x: Tensor, w: Tensor, b: Tensor | null, o: Omit<ConvModuleOptions<S>, 'bias' | 'dtype'>) => Tensor;

// Conv1d/2d/3d: the functional convolution, after F.pad when paddingMode is not 'zeros'.
abstract class ConvLayer<S> extends ConvNd<ConvModuleOptions<S>> {
  /** What the padding holds. */
  readonly paddingMode: PaddingMode;
  // F.pad's amounts (last dim first) when paddingMode pads before the convolution; else null.
  private readonly modePad: number[] | null;
  protected constructor(
    op: string,
    dims: number,
    inChannels: number,
    outChannels: number,
    kernelSize: unknown,
    options: ConvModuleOptions<S> | undefined,
    private readonly conv: ConvFn<S>,
  ) {
    super(op, dims, false, inChannels, outChannels, kernelSize, options);
    const o = this.options;
    this.paddingMode = oneOf(op, 'paddingMode', o.paddingMode ?? 'zeros', [
      'zeros',
      'reflect',
      'replicate',
      'circular',
    ] as const);
    const stride = perDim(op, 'stride', o.stride, dims, 1, 1);
    const dilation = perDim(op, 'dilation', o.dilation, dims, 1, 1);
    if (o.padding === 'same' && stride.some((s) => s !== 1))
      fail(
        'INVALID_ARGUMENT',
        `${op}: padding='same' is not supported for strided convolutions, got stride [${stride}]`,
      );
    let sides: [number, number][];
    if (o.padding === 'same')
      sides = this.kernelSize.map((k, i) => {
        const total = dilation[i] * (k - 1);
        return [Math.floor(total / 2), total - Math.floor(total / 2)];
      });
    else if (o.padding === 'valid') sides = this.kernelSize.map(() => [0, 0]);
    else sides = perDim(op, 'padding', o.padding, dims, 0, 0).map((p) => [p, p]);
    this.modePad = this.paddingMode === 'zeros' || sides.every(([a, b]) => a + b === 0) ? null : sides.reverse().flat();
  }
  forward(x: Tensor): Tensor {
    tensorArg(this.op, 'input', x);
    const { stride, padding, dilation, groups } = this.options;
    if (!this.modePad) return this.conv(x, this.weight, this.bias, { stride, padding, dilation, groups });
    const amounts = this.modePad,
      mode = this.paddingMode as Exclude<PaddingMode, 'zeros'>;
    return tidy(() => this.conv(F.pad(x, amounts, mode), this.weight, this.bias, { stride, dilation, groups }));
  }
}

/** 1-D convolution layer over [N, C, L]. @example new nn.Conv1d(8, 16, 5, { padding: 'same' }) */
export class Conv1d extends ConvLayer<number> {
  constructor(inChannels: number, outChannels: number, kernelSize: number, options: ConvModuleOptions<number> = {}) {
    super('Conv1d', 1, inChannels, outChannels, kernelSize, options, F.conv1d);
  }
}

/** 2-D convolution layer. @example new nn.Conv2d(3, 16, 3, { padding: 1 }) */
export class Conv2d extends ConvLayer<Pair> {
  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: ConvModuleOptions<Pair> = {}) {
    super('Conv2d', 2, inChannels, outChannels, kernelSize, options, F.conv2d);
  }
}

/**
 * 3-D convolution layer over [N, C, D, H, W] (video, volumes).
 * @example new nn.Conv3d(3, 16, [3, 7, 7], { stride: [1, 2, 2], padding: [1, 3, 3] })
 */
export class Conv3d extends ConvLayer<Triple> {
  constructor(inChannels: number, outChannels: number, kernelSize: Triple, options: ConvModuleOptions<Triple> = {}) {
    super('Conv3d', 3, inChannels, outChannels, kernelSize, options, F.conv3d);
  }
}

type ConvTransposeFn<S> = (
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  o: Omit<ConvTransposeModuleOptions<S>, 'bias' | 'dtype'>,
) => Tensor;

// ConvTranspose1d/2d/3d; forward(x, outputSize) picks outputPadding as PyTorch's does.
abstract class ConvTransposeLayer<S> extends ConvNd<ConvTransposeModuleOptions<S>> {
  protected constructor(
    op: string,
    private readonly dims: number,
    inChannels: number,
    outChannels: number,
    kernelSize: unknown,
    options: ConvTransposeModuleOptions<S> | undefined,
    private readonly convT: ConvTransposeFn<S>,
  ) {
    super(op, dims, true, inChannels, outChannels, kernelSize, options);
  }
  /**
   * The transposed convolution of x. `outputSize` (the spatial size, or the full shape) chooses the
   * output padding among the sizes that the matching strided convolution maps to x's size.
   */
  forward(x: Tensor, outputSize?: readonly number[] | null): Tensor {
    tensorArg(this.op, 'input', x);
    const { stride, padding, outputPadding, dilation, groups } = this.options;
    if (outputSize == null)
      return this.convT(x, this.weight, this.bias, { stride, padding, outputPadding, dilation, groups });
    return this.convT(x, this.weight, this.bias, {
      stride,
      padding,
      outputPadding: this.outputPaddingFor(x, outputSize) as S,
      dilation,
      groups,
    });
  }
  // torch's _output_padding: the requested size minus the smallest, which must be under one stride.
  private outputPaddingFor(x: Tensor, outputSize: readonly number[]): number | number[] {
    const op = this.op,
      n = this.dims;
    if (
      !Array.isArray(outputSize) ||
      (outputSize.length !== n && outputSize.length !== n + 2) ||
      !outputSize.every(Number.isSafeInteger)
    )
      fail('INVALID_ARGUMENT', `${op}: outputSize must hold ${n} or ${n + 2} sizes, got ${describe(outputSize)}`);
    const want = outputSize.slice(-n) as number[];
    const stride = perDim(op, 'stride', this.options.stride, n, 1, 1),
      padding = perDim(op, 'padding', this.options.padding, n, 0, 0),
      dilation = perDim(op, 'dilation', this.options.dilation, n, 1, 1);
    const inSize = x.shape.slice(-n);
    const pads = want.map((size, i) => {
      const min = (inSize[i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (this.kernelSize[i] - 1) + 1;
      if (size < min || size > min + stride[i] - 1)
        fail(
          'INVALID_ARGUMENT',
          `${op}: requested an output size of [${want.join(', ')}], but valid sizes range from ${min} to ${min + stride[i] - 1} along spatial dim ${i}`,
        );
      return size - min;
    });
    return n === 1 ? pads[0] : pads;
  }
}

/** Transposed 1-D convolution layer. @example new nn.ConvTranspose1d(16, 8, 4, { stride: 2, padding: 1 }) */
export class ConvTranspose1d extends ConvTransposeLayer<number> {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number,
    options: ConvTransposeModuleOptions<number> = {},
  ) {
    super('ConvTranspose1d', 1, inChannels, outChannels, kernelSize, options, F.convTranspose1d);
  }
}

/** Transposed 2-D convolution layer. @example new nn.ConvTranspose2d(16, 8, 2, { stride: 2 }) */
export class ConvTranspose2d extends ConvTransposeLayer<Pair> {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: Pair,
    options: ConvTransposeModuleOptions<Pair> = {},
  ) {
    super('ConvTranspose2d', 2, inChannels, outChannels, kernelSize, options, F.convTranspose2d);
  }
}

/** Transposed 3-D convolution layer. @example new nn.ConvTranspose3d(16, 8, 2, { stride: 2 }) */
export class ConvTranspose3d extends ConvTransposeLayer<Triple> {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: Triple,
    options: ConvTransposeModuleOptions<Triple> = {},
  ) {
    super('ConvTranspose3d', 3, inChannels, outChannels, kernelSize, options, F.convTranspose3d);
  }
}
