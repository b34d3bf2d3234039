// The 3-D pooling layers and the max-unpooling layers (torch.nn.MaxPool3d, AvgPool3d,
// AdaptiveAvgPool3d, AdaptiveMaxPool3d, MaxUnpool1d/2d/3d): their options checked when made, the
// functional forms (volumetric.ts) in forward.
import { fail } from '../errors.js';
import { checkOptions, describe } from '../options.js';
import type { Tensor } from '../tensor.js';
import { triple, type Triple } from './args.js';
import * as F from './functional.js';
import { Module } from './module.js';
import { AVG_POOL_SPEC, MAX_POOL_SPEC } from './params.js';

function kernel3(op: string, k: unknown): void {
  if (triple(op, 'kernelSize', k as Triple, 1).some((v) => v < 1))
    fail('INVALID_ARGUMENT', `${op}: 'kernelSize' must be positive, got ${describe(k)}`);
}

/** 3-D max pooling layer; with `returnIndices: true`, forward returns [values, indices]. @example new nn.MaxPool3d([1, 2, 2]) */
export class MaxPool3d<R extends boolean = false> extends Module {
  readonly options: F.Pool3dOptions & { returnIndices?: R };
  constructor(
    readonly kernelSize: Triple,
    options: F.Pool3dOptions & { returnIndices?: R } = {},
  ) {
    super();
    kernel3('MaxPool3d', kernelSize);
    this.options = checkOptions('MaxPool3d', options, MAX_POOL_SPEC);
  }
  forward(x: Tensor): R extends true ? [Tensor, Tensor<'int64'>] : Tensor;
  forward(x: Tensor): Tensor | [Tensor, Tensor] {
    const { returnIndices, ...o } = this.options;
    return returnIndices
      ? F.maxPool3d(x, this.kernelSize, { ...o, returnIndices: true })
      : F.maxPool3d(x, this.kernelSize, o);
  }
}

/** 3-D average pooling layer. @example new nn.AvgPool3d(2) */
export class AvgPool3d extends Module {
  readonly options: F.AvgPool3dOptions;
  constructor(
    readonly kernelSize: Triple,
    options: F.AvgPool3dOptions = {},
  ) {
    super();
    kernel3('AvgPool3d', kernelSize);
    this.options = checkOptions('AvgPool3d', options, AVG_POOL_SPEC);
  }
  forward(x: Tensor): Tensor {
    return F.avgPool3d(x, this.kernelSize, this.options);
  }
}

function adaptiveSize(op: string, s: F.AdaptiveSize3d): void {
  const sizes = typeof s === 'number' ? [s] : s;
  if (
    !Array.isArray(sizes) ||
    (typeof s !== 'number' && sizes.length !== 3) ||
    !sizes.every((v) => v === null || (Number.isSafeInteger(v) && (v as number) >= 1))
  )
    fail(
      'INVALID_ARGUMENT',
      `${op}: 'outputSize' must be a positive integer or three of them (or null), got ${describe(s)}`,
    );
}

/** Adaptive 3-D average pooling layer. @example new nn.AdaptiveAvgPool3d(1) */
export class AdaptiveAvgPool3d extends Module {
  /** `outputSize`: one size, or [d, h, w] where null keeps the input's size. */
  constructor(readonly outputSize: F.AdaptiveSize3d) {
    super();
    adaptiveSize('AdaptiveAvgPool3d', outputSize);
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool3d(x, this.outputSize);
  }
}

/** Adaptive 3-D max pooling layer. @example new nn.AdaptiveMaxPool3d([1, 7, 7]) */
export class AdaptiveMaxPool3d extends Module {
  constructor(
    readonly outputSize: F.AdaptiveSize3d,
    readonly options: { returnIndices?: boolean } = {},
  ) {
    super();
    adaptiveSize('AdaptiveMaxPool3d', outputSize);
    checkOptions('AdaptiveMaxPool3d', options, { returnIndices: 'boolean' });
  }
  forward(x: Tensor): Tensor | [Tensor, Tensor] {
    return this.options.returnIndices
      ? F.adaptiveMaxPool3d(x, this.outputSize, { returnIndices: true })
      : F.adaptiveMaxPool3d(x, this.outputSize);
  }
}

// MaxUnpool1d/2d/3d: forward(x, indices, outputSize?) as PyTorch's.
function unpoolModule(dims: 1 | 2 | 3) {
  const name = `MaxUnpool${dims}d`;
  const unpool = [F.maxUnpool1d, F.maxUnpool2d, F.maxUnpool3d][dims - 1] as typeof F.maxUnpool3d;
  return class extends Module {
    readonly options: Omit<F.MaxUnpoolOptions, 'outputSize'>;
    constructor(
      readonly kernelSize: number | readonly number[],
      options: Omit<F.MaxUnpoolOptions, 'outputSize'> = {},
    ) {
      super();
      const k = typeof kernelSize === 'number' ? [kernelSize] : kernelSize;
      if (!Array.isArray(k) || !k.every((v) => Number.isSafeInteger(v) && v >= 1))
        fail('INVALID_ARGUMENT', `${name}: 'kernelSize' must be positive integers, got ${describe(kernelSize)}`);
      this.options = checkOptions(name, options, { stride: 'any', padding: 'any' });
    }
    /** x and the indices maxPool returned; `outputSize` when the pooled input's size was ambiguous. */
    forward(x: Tensor, indices: Tensor, outputSize?: readonly number[] | null): Tensor {
      return unpool(x, indices, this.kernelSize as Triple, { ...this.options, outputSize });
    }
  };
}
/** The partial inverse of MaxPool1d. @example new nn.MaxUnpool1d(2).call(y, indices) */
export class MaxUnpool1d extends unpoolModule(1) {}
/** The partial inverse of MaxPool2d. @example new nn.MaxUnpool2d(2).call(y, indices) */
export class MaxUnpool2d extends unpoolModule(2) {}
/** The partial inverse of MaxPool3d. @example new nn.MaxUnpool3d(2).call(y, indices) */
export class MaxUnpool3d extends unpoolModule(3) {}
