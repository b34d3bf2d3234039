// torch.nn.functional's other names and forms: the *WithIndices pools (the returnIndices form),
// the deprecated upsample family (interpolate), multilabelMarginLoss (torch's spelling), and
// bilinear, the functional form of nn.Bilinear over any leading dims.
import { tensorArg } from '../args.js';
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { checkOptions, describe, isOptionsObject } from '../options.js';
import type { Tensor } from '../tensor.js';
import { maxPool2d, type PoolOptions } from './functional.js';
import { interpolate, type InterpolateOptions } from './functional_more.js';
import { adaptiveMaxPool1d, adaptiveMaxPool2d, maxPool1d, type Pool1dOptions } from './functional_misc.js';
import { fractionalMaxPool2d, fractionalMaxPool3d, type FractionalMaxPoolOptions } from './fractional_pool.js';
import { multiLabelMarginLoss } from './losses_extra.js';
import { adaptiveMaxPool3d, maxPool3d, type Pool3dOptions } from './volumetric.js';

/** A pool's output and the positions of its maxima. */
export type WithIndices<F extends DType> = [Tensor<F>, Tensor<'int64'>];
// The options with returnIndices set (the pool itself checks the others, naming itself).
function withIndices<O extends object>(op: string, options: O | undefined): O & { returnIndices: true } {
  if (options !== undefined && options !== null && !isOptionsObject(options))
    fail('INVALID_ARGUMENT', `${op}: options must be an object, got ${describe(options)}`);
  if (options && 'returnIndices' in options)
    fail('INVALID_ARGUMENT', `${op}: returnIndices is implied (this form always returns the indices)`);
  return { ...(options ?? ({} as O)), returnIndices: true };
}

/** maxPool1d with returnIndices: [output, indices]. */
export function maxPool1dWithIndices<F extends DType>(
  input: Tensor<F>,
  kernelSize: number,
  options?: Pool1dOptions,
): WithIndices<F> {
  return maxPool1d(input, kernelSize, withIndices('maxPool1dWithIndices', options));
}
/** maxPool2d with returnIndices: [output, indices]. */
export function maxPool2dWithIndices<F extends DType>(
  input: Tensor<F>,
  kernelSize: number | [number, number],
  options?: PoolOptions,
): WithIndices<F> {
  return maxPool2d(input, kernelSize, withIndices('maxPool2dWithIndices', options));
}
/** maxPool3d with returnIndices: [output, indices]. */
export function maxPool3dWithIndices<F extends DType>(
  input: Tensor<F>,
  kernelSize: number | [number, number, number],
  options?: Pool3dOptions,
): WithIndices<F> {
  return maxPool3d(input, kernelSize, withIndices('maxPool3dWithIndices', options));
}
/** adaptiveMaxPool1d with returnIndices: [output, indices]. */
export function adaptiveMaxPool1dWithIndices<F extends DType>(input: Tensor<F>, outputSize: number): WithIndices<F> {
  return adaptiveMaxPool1d(input, outputSize, { returnIndices: true });
}
/** adaptiveMaxPool2d with returnIndices: [output, indices]. */
export function adaptiveMaxPool2dWithIndices<F extends DType>(
  input: Tensor<F>,
  outputSize: number | readonly [number | null, number | null],
): WithIndices<F> {
  return adaptiveMaxPool2d(input, outputSize, { returnIndices: true });
}
/** adaptiveMaxPool3d with returnIndices: [output, indices]. */
export function adaptiveMaxPool3dWithIndices<F extends DType>(
  input: Tensor<F>,
  outputSize: Parameters<typeof adaptiveMaxPool3d>[1],
): WithIndices<F> {
  return adaptiveMaxPool3d(input, outputSize, { returnIndices: true }) as WithIndices<F>;
}
/** fractionalMaxPool2d with returnIndices: [output, indices]. */
export function fractionalMaxPool2dWithIndices<F extends DType>(
  input: Tensor<F>,
  kernelSize: number | readonly [number, number],
  options: FractionalMaxPoolOptions,
): WithIndices<F> {
  return fractionalMaxPool2d(input, kernelSize, withIndices('fractionalMaxPool2dWithIndices', options));
}
/** fractionalMaxPool3d with returnIndices: [output, indices]. */
export function fractionalMaxPool3dWithIndices<F extends DType>(
  input: Tensor<F>,
  kernelSize: number | readonly [number, number, number],
  options: FractionalMaxPoolOptions,
): WithIndices<F> {
  return fractionalMaxPool3d(input, kernelSize, withIndices('fractionalMaxPool3dWithIndices', options));
}

/** interpolate under its deprecated name (torch.nn.functional.upsample). */
export function upsample<F extends DType>(input: Tensor<F>, options: InterpolateOptions): Tensor<F> {
  return interpolate(input, options);
}
/** Nearest-neighbour upsampling (torch's deprecated upsample_nearest): interpolate, mode 'nearest'. */
export function upsampleNearest<F extends DType>(
  input: Tensor<F>,
  options: { size?: number | readonly number[]; scaleFactor?: number | readonly number[] },
): Tensor<F> {
  const o = checkOptions('upsampleNearest', options, { size: 'any', scaleFactor: 'any' });
  return interpolate(input, { ...o, mode: 'nearest' });
}
/** Bilinear upsampling with alignCorners (torch's deprecated upsample_bilinear). */
export function upsampleBilinear<F extends DType>(
  input: Tensor<F>,
  options: { size?: number | readonly number[]; scaleFactor?: number | readonly number[] },
): Tensor<F> {
  const o = checkOptions('upsampleBilinear', options, { size: 'any', scaleFactor: 'any' });
  return interpolate(input, { ...o, mode: 'bilinear', alignCorners: true });
}

/** multiLabelMarginLoss under torch's spelling (F.multilabel_margin_loss). */
export const multilabelMarginLoss = multiLabelMarginLoss;

/**
 * y = x1^T A x2 + b for A [out, in1, in2] over any leading dims: input1 [..., in1] and input2
 * [..., in2] give [..., out] (torch.nn.functional.bilinear). @example F.bilinear(a, b, w, bias)
 */
export function bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const op = 'bilinear';
  const x1 = tensorArg(op, 'input1', input1),
    x2 = tensorArg(op, 'input2', input2),
    w = tensorArg(op, 'weight', weight);
  if (bias !== undefined && bias !== null) tensorArg(op, 'bias', bias);
  if (w.ndim !== 3) fail('SHAPE_MISMATCH', `${op}: weight must be [out, in1, in2], got [${w.shape.join(', ')}]`);
  const [out, in1, in2] = w.shape;
  const lead1 = x1.shape.slice(0, -1),
    lead2 = x2.shape.slice(0, -1);
  if (
    x1.ndim < 1 ||
    x2.ndim < 1 ||
    x1.shape[x1.ndim - 1] !== in1 ||
    x2.shape[x2.ndim - 1] !== in2 ||
    lead1.join() !== lead2.join()
  )
    fail(
      'SHAPE_MISMATCH',
      `${op}: expected inputs [..., ${in1}] and [..., ${in2}] with the same leading dims, got [${x1.shape.join(', ')}] and [${x2.shape.join(', ')}]`,
    );
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== out))
    fail('SHAPE_MISMATCH', `${op}: bias must be [${out}], got [${bias.shape.join(', ')}]`);
  return tidy(() => {
    // [n, in1] @ [in1, out * in2] -> [n, out, in2], times x2, summed over in2
    const a = x1.reshape([-1, in1]),
      b = x2.reshape([-1, in2]);
    const t = a.matmul(w.permute(1, 0, 2).reshape([in1, out * in2])).reshape([-1, out, in2]);
    const y = t
      .mul(b.unsqueeze(1))
      .sum(2)
      .reshape([...lead1, out]);
    return bias ? y.add(bias) : y;
  });
}
