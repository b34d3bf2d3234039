/**
 * The image transforms as functions of an image (torchvision.transforms.functional), each one
 * native kernel. Images are [..., C, H, W] float tensors with values in [0, 1] (crop and flip take
 * any dtype); every leading dim is a batch that gets the same change.
 *
 * @example
 * const TF = data.transforms.functional;
 * const out = TF.normalize(TF.hflip(TF.crop(img, -4, -4, 40, 40)), [0.5, 0.5, 0.5], [0.25, 0.25, 0.25]);
 * @module functional
 */
import { tensorArg } from '../args.js';
import { fail } from '../errors.js';
import { op } from '../ops/dispatch.js';
import { tensor } from '../ops/creation.js';
import { checkOptions, describe, int, list, num } from '../options.js';
import { resizeTarget } from './image_size.js';
import type { Tensor } from '../tensor.js';

/**
 * The [height, width] window at (top, left) of the image's last two dims; where the window
 * leaves the image (negative or large offsets) it holds `fill` (default 0), as torchvision's crop.
 * @example TF.crop(img, -4, -4, 40, 40) // 4 pixels of zero padding on every side
 */
export function crop(
  img: Tensor,
  top: number,
  left: number,
  height: number,
  width: number,
  options: { fill?: number } = {},
): Tensor {
  tensorArg('crop', 'img', img);
  const { fill = 0 } = checkOptions('crop', options, { fill: 'number' });
  return op('image_crop', [int('crop', 'top', top), int('crop', 'left', left), height, width, fill], img._h);
}

/** The image mirrored left to right (its last dim reversed). @example TF.hflip(img) */
export function hflip(img: Tensor): Tensor {
  return op('image_hflip', [], tensorArg('hflip', 'img', img)._h);
}

/**
 * (img - mean[c]) / std[c] over the channel dim (-3), in the image's float dtype.
 * @example TF.normalize(img, [0.4914, 0.4822, 0.4465], [0.247, 0.243, 0.261])
 */
export function normalize(img: Tensor, mean: readonly number[], std: readonly number[]): Tensor {
  tensorArg('normalize', 'img', img);
  const m = tensor(numbers('normalize', 'mean', mean), { dtype: 'float64' }),
    s = tensor(numbers('normalize', 'std', std), { dtype: 'float64' });
  try {
    return op('image_normalize', [], img._h, m._h, s._h);
  } finally {
    m.dispose();
    s.dispose();
  }
}

/**
 * Bilinear resize of the last two dims (align_corners false, no antialiasing: F.interpolate's
 * 'bilinear'). `size` [h, w] is exact; a number is the new smaller edge, keeping the aspect ratio
 * (the longer edge truncated, as torchvision).
 * @example TF.resize(img, [64, 64])
 */
export function resize(img: Tensor, size: number | readonly [number, number]): Tensor {
  tensorArg('resize', 'img', img);
  const [h, w] = resizeTarget(img.shape, size);
  return op('image_resize', [h, w], img._h);
}

/** Factors of `adjustColor`; a step whose factor is absent is skipped. */
export interface ColorAdjustment {
  /** Multiplies the pixels (0 black, 1 unchanged). */
  brightness?: number;
  /** Blends with the mean gray level (0 flat gray, 1 unchanged). */
  contrast?: number;
  /** Blends with the grayscale image (0 gray, 1 unchanged). */
  saturation?: number;
  /** Shifts the hue, in turns, in [-0.5, 0.5]. */
  hue?: number;
  /** The order of the steps (default the order above), as ColorJitter's random order. */
  order?: readonly ('brightness' | 'contrast' | 'saturation' | 'hue')[];
}

const STEPS = ['brightness', 'contrast', 'saturation', 'hue'] as const;

/**
 * torchvision's colour adjustments on [..., C, H, W] images (C 1 or 3, values in [0, 1]) in one
 * pass: brightness, contrast, saturation and hue, in `order`, each clamped to [0, 1].
 * @example TF.adjustColor(img, { brightness: 1.2, hue: 0.05, order: ['hue', 'brightness'] })
 */
export function adjustColor(img: Tensor, adjustment: ColorAdjustment): Tensor {
  tensorArg('adjustColor', 'img', img);
  const a = checkOptions('adjustColor', adjustment, {
    brightness: 'number',
    contrast: 'number',
    saturation: 'number',
    hue: 'number',
    order: 'any',
  });
  const order = list('adjustColor', 'order', a.order ?? STEPS.filter((s) => a[s] !== undefined)).map((s) => {
    const k = STEPS.indexOf(s as (typeof STEPS)[number]);
    if (k < 0 || a[s as (typeof STEPS)[number]] === undefined)
      fail(
        'INVALID_ARGUMENT',
        `adjustColor: order lists steps that have a factor (${STEPS.filter((t) => a[t] !== undefined).join(', ')}), got ${describe(s)}`,
      );
    return k;
  });
  return op('image_adjust', [order, a.brightness ?? 1, a.contrast ?? 1, a.saturation ?? 1, a.hue ?? 0], img._h);
}

/** Pixels times `factor`, clamped to [0, 1]. @example TF.adjustBrightness(img, 1.5) */
export function adjustBrightness(img: Tensor, factor: number): Tensor {
  return adjustColor(img, { brightness: num('adjustBrightness', 'factor', factor) });
}
/** A blend with the image's mean gray level (0 gray, 1 unchanged). @example TF.adjustContrast(img, 0.5) */
export function adjustContrast(img: Tensor, factor: number): Tensor {
  return adjustColor(img, { contrast: num('adjustContrast', 'factor', factor) });
}
/** A blend with the grayscale image (0 gray, 1 unchanged). @example TF.adjustSaturation(img, 2) */
export function adjustSaturation(img: Tensor, factor: number): Tensor {
  return adjustColor(img, { saturation: num('adjustSaturation', 'factor', factor) });
}
/** The hue shifted by `factor` turns, in [-0.5, 0.5]. @example TF.adjustHue(img, 0.1) */
export function adjustHue(img: Tensor, factor: number): Tensor {
  return adjustColor(img, { hue: num('adjustHue', 'factor', factor) });
}

function numbers(op: string, name: string, v: unknown): number[] {
  const xs = list(op, name, v);
  if (xs.length === 0 || !xs.every((x) => typeof x === 'number' && Number.isFinite(x)))
    fail('INVALID_ARGUMENT', `${op}: '${name}' must be a non-empty list of finite numbers, got ${describe(v)}`);
  return xs as number[];
}
