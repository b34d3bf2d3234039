// Layers over the functions of functional_more.ts and the shape ops: RMSNorm, InstanceNorm2d,
// Upsample, PixelShuffle, PixelUnshuffle, Unflatten.
import { fail } from '../errors.js';
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

/**
 * Instance norm of [N, C, H, W] (torch.nn.InstanceNorm2d; affine off by default, no running
 * statistics). @example new nn.InstanceNorm2d(16, { affine: true })
 */
export class InstanceNorm2d extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  readonly eps: number;
  constructor(
    readonly numFeatures: number,
    options: { eps?: number; affine?: boolean } = {},
  ) {
    super();
    intAtLeast('InstanceNorm2d', 'numFeatures', numFeatures, 1);
    const o = checkOptions('InstanceNorm2d', options, { eps: 'number', affine: 'boolean' });
    this.eps = o.eps ?? 1e-5;
    const affine = o.affine ?? false;
    this.weight = affine ? Parameter(ones([numFeatures])) : null;
    this.bias = affine ? Parameter(zeros([numFeatures])) : null;
  }
  forward(x: Tensor): Tensor {
    tensorArg('InstanceNorm2d', 'input', x);
    if (x.ndim !== 4 || x.shape[1] !== this.numFeatures)
      fail(
        'SHAPE_MISMATCH',
        `InstanceNorm2d(${this.numFeatures}): expected [N, ${this.numFeatures}, H, W], got [${x.shape.join(', ')}]`,
      );
    return F.instanceNorm(x, this.weight, this.bias, { eps: this.eps });
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
