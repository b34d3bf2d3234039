// Layers over the functions of functional_more.ts and the shape ops: RMSNorm, InstanceNorm1d/2d/3d,
// Upsample, PixelShuffle, PixelUnshuffle, Unflatten.
import { noGrad } from '../autograd.js';
import { checkDType, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { checkOptions, describe, int, intAtLeast, list } from '../options.js';
import { ones, zeros } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import { tensorArg } from '../args.js';
import { Module, Parameter } from './module.js';
import * as F from './functional.js';

/**
 * Root-mean-square norm over the last dims (torch.nn.RMSNorm), with a learned scale.
 * @example const norm = new nn.RMSNorm(64)
 */
export class RMSNorm extends Module {
  weight: Tensor | null;
  readonly normalizedShape: number[];
  readonly eps: number | null;
  constructor(
    normalizedShape: number | readonly number[],
    options: { eps?: number | null; elementwiseAffine?: boolean } = {},
  ) {
    super();
    const o = checkOptions('RMSNorm', options, { eps: 'any', elementwiseAffine: 'boolean' });
    this.normalizedShape = (
      typeof normalizedShape === 'number' ? [normalizedShape] : list('RMSNorm', 'normalizedShape', normalizedShape, 16)
    ).map((s) => intAtLeast('RMSNorm', 'normalizedShape', s, 1));
    this.eps = o.eps ?? null;
    this.weight = (o.elementwiseAffine ?? true) ? Parameter(ones(this.normalizedShape)) : null;
  }
  forward(x: Tensor): Tensor {
    return F.rmsNorm(x, this.normalizedShape, this.weight, { eps: this.eps });
  }
}

/** Options of the InstanceNorm layers. */
export interface InstanceNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Weight of the newest batch in the running statistics (default 0.1). */
  momentum?: number;
  /** Learn a per-channel scale and shift (default false). */
  affine?: boolean;
  /** Keep running statistics, and normalise with them in eval mode (default false). */
  trackRunningStats?: boolean;
  /** Dtype of the parameters and buffers (default float32). */
  dtype?: DType;
}

// InstanceNorm1d/2d/3d: each (sample, channel) normalised over its `spatial` dims; batched or not.
class InstanceNormBase extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  declare runningMean: Tensor | null;
  declare runningVar: Tensor | null;
  readonly eps: number;
  readonly momentum: number;
  constructor(
    readonly numFeatures: number,
    options: InstanceNormOptions,
    private readonly spatial: number,
    private readonly op: string,
  ) {
    super();
    intAtLeast(op, 'numFeatures', numFeatures, 1);
    const o = checkOptions(op, options, {
      eps: 'number',
      momentum: 'number',
      affine: 'boolean',
      trackRunningStats: 'boolean',
      dtype: 'string',
    });
    const dtype = o.dtype === undefined ? 'float32' : checkDType(op, o.dtype);
    this.eps = o.eps ?? 1e-5;
    this.momentum = o.momentum ?? 0.1;
    const affine = o.affine ?? false;
    this.weight = affine ? Parameter(ones([numFeatures], { dtype })) : null;
    this.bias = affine ? Parameter(zeros([numFeatures], { dtype })) : null;
    const track = o.trackRunningStats ?? false;
    this.registerBuffer('runningMean', track ? zeros([numFeatures], { dtype }) : null);
    this.registerBuffer('runningVar', track ? ones([numFeatures], { dtype }) : null);
  }
  forward(x: Tensor): Tensor {
    tensorArg(this.op, 'input', x);
    const n = this.spatial,
      C = this.numFeatures;
    const batched = x.ndim === n + 2;
    if ((!batched && x.ndim !== n + 1) || x.shape[batched ? 1 : 0] !== C)
      fail(
        'SHAPE_MISMATCH',
        `${this.op}(${C}): expected [N, ${C}, ...${n} spatial] or [${C}, ...${n} spatial], got [${x.shape.join(', ')}]`,
      );
    return tidy(() => {
      const xb = batched ? x : x.unsqueeze(0);
      let y: Tensor;
      if (this.training || !this.runningMean || !this.runningVar) {
        y = F.instanceNorm(xb, this.weight, this.bias, { eps: this.eps });
        if (this.training && this.runningMean && this.runningVar) {
          // PyTorch's update: the batch mean of the per-instance means and unbiased variances.
          const dims = Array.from({ length: n }, (_, i) => i + 2);
          const rm = this.runningMean,
            rv = this.runningVar,
            m = this.momentum;
          noGrad(() => {
            rm.mul_(1 - m).add_(xb.mean(dims).mean(0).mul(m).to(rm.dtype));
            rv.mul_(1 - m).add_(xb.var(dims).mean(0).mul(m).to(rv.dtype));
          });
        }
      } else
        y = F.batchNorm(xb, this.runningMean, this.runningVar, this.weight, this.bias, {
          training: false,
          eps: this.eps,
        });
      return batched ? y : y.squeeze(0);
    });
  }
}

/** Instance norm of [N, C, L] or [C, L] (torch.nn.InstanceNorm1d). @example new nn.InstanceNorm1d(16) */
export class InstanceNorm1d extends InstanceNormBase {
  constructor(numFeatures: number, options: InstanceNormOptions = {}) {
    super(numFeatures, options, 1, 'InstanceNorm1d');
  }
}
/**
 * Instance norm of [N, C, H, W] or [C, H, W] (torch.nn.InstanceNorm2d; affine and running
 * statistics off by default). @example new nn.InstanceNorm2d(16, { affine: true })
 */
export class InstanceNorm2d extends InstanceNormBase {
  constructor(numFeatures: number, options: InstanceNormOptions = {}) {
    super(numFeatures, options, 2, 'InstanceNorm2d');
  }
}
/** Instance norm of [N, C, D, H, W] or [C, D, H, W] (torch.nn.InstanceNorm3d). @example new nn.InstanceNorm3d(8) */
export class InstanceNorm3d extends InstanceNormBase {
  constructor(numFeatures: number, options: InstanceNormOptions = {}) {
    super(numFeatures, options, 3, 'InstanceNorm3d');
  }
}

/** Resizes by a size or scale factor (torch.nn.Upsample). @example new nn.Upsample({ scaleFactor: 2, mode: 'bilinear' }) */
export class Upsample extends Module {
  constructor(readonly options: F.InterpolateOptions) {
    super();
    checkOptions('Upsample', options, { size: 'any', scaleFactor: 'any', mode: 'string', alignCorners: 'boolean' });
  }
  forward(x: Tensor): Tensor {
    return F.interpolate(x, this.options);
  }
}

/** [N, C*r*r, H, W] -> [N, C, H*r, W*r]. @example new nn.PixelShuffle(2) */
export class PixelShuffle extends Module {
  constructor(readonly upscaleFactor: number) {
    super();
    intAtLeast('PixelShuffle', 'upscaleFactor', upscaleFactor, 1);
  }
  forward(x: Tensor): Tensor {
    return F.pixelShuffle(x, this.upscaleFactor);
  }
}

/** [N, C, H*r, W*r] -> [N, C*r*r, H, W]. */
export class PixelUnshuffle extends Module {
  constructor(readonly downscaleFactor: number) {
    super();
    intAtLeast('PixelUnshuffle', 'downscaleFactor', downscaleFactor, 1);
  }
  forward(x: Tensor): Tensor {
    return F.pixelUnshuffle(x, this.downscaleFactor);
  }
}

/** Expands one dim into several (torch.nn.Unflatten). @example new nn.Unflatten(1, [16, 7, 7]) */
export class Unflatten extends Module {
  readonly sizes: number[];
  constructor(
    readonly dim: number,
    sizes: readonly number[],
  ) {
    super();
    int('Unflatten', 'dim', dim);
    this.sizes = list('Unflatten', 'sizes', sizes, 16).map((s) => int('Unflatten', 'sizes', s));
    if (this.sizes.filter((s) => s === -1).length > 1 || this.sizes.some((s) => s < -1 || s === 0))
      fail('INVALID_ARGUMENT', `Unflatten: sizes must be positive (one may be -1), got ${describe(sizes)}`);
  }
  forward(x: Tensor): Tensor {
    tensorArg('Unflatten', 'input', x);
    const n = Math.max(x.ndim, 1);
    const d = this.dim < 0 ? this.dim + n : this.dim;
    if (d < 0 || d >= x.ndim)
      fail('INDEX_OUT_OF_RANGE', `Unflatten: dim ${this.dim} is out of range for [${x.shape.join(', ')}]`);
    return x.reshape([...x.shape.slice(0, d), ...this.sizes, ...x.shape.slice(d + 1)]);
  }
}
