// The target size of a resize (kept out of transforms.functional, which exports every function
// of image_ops.ts).
import { fail } from '../errors.js';
import { describe } from '../options.js';

/** The [h, w] that `size` asks for an image of `shape` (see resize). */
export function resizeTarget(shape: readonly number[], size: unknown): [number, number] {
  if (Array.isArray(size)) {
    if (size.length !== 2 || !size.every((v) => Number.isSafeInteger(v) && v >= 1))
      fail('INVALID_ARGUMENT', `resize: size must be [height, width] of positive integers, got ${describe(size)}`);
    return [size[0], size[1]];
  }
  if (!Number.isSafeInteger(size) || (size as number) < 1)
    fail('INVALID_ARGUMENT', `resize: size must be a positive integer or [height, width], got ${describe(size)}`);
  if (shape.length < 2) fail('SHAPE_MISMATCH', `resize: expected an image [..., H, W], got [${shape.join(', ')}]`);
  const H = shape[shape.length - 2],
    W = shape[shape.length - 1],
    s = size as number;
  return H <= W ? [s, Math.max(1, Math.trunc((s * W) / H))] : [Math.max(1, Math.trunc((s * H) / W)), s];
}
