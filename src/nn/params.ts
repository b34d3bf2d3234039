// Helpers the layer files share (not public): PyTorch's default parameter initialisation and the
// checks of a layer's constructor arguments.
import { checkDType, type DType } from '../dtype.js';
import { tidy } from '../memory.js';
import { rand } from '../ops/creation.js';
import { checkOptions, intAtLeast } from '../options.js';
import type { Tensor } from '../tensor.js';
import { Parameter } from './module.js';

/** A parameter drawn from U(-bound, bound) (kaiming-uniform with a = sqrt(5), as PyTorch's layers). */
export function uniform(shape: number[], bound: number, dtype: DType): Tensor {
  return Parameter(
    tidy(() =>
      rand(shape, { dtype })
        .mul(2 * bound)
        .sub(bound),
    ),
  );
}

/** A positive integer argument of a layer, or INVALID_ARGUMENT. */
export const positiveInt = (op: string, name: string, v: unknown): number => intAtLeast(op, name, v, 1);

/** A layer's options, checked by name and kind; dtype must be one of the dtypes. @internal */
export function layerOptions<T extends object>(
  op: string,
  o: T | undefined,
  spec: Parameters<typeof checkOptions>[2],
): T {
  const r = checkOptions(op, o, spec) as T & { dtype?: unknown };
  if (r.dtype !== undefined) checkDType(op, r.dtype);
  return r;
}

/** The options of the max-pooling layers (MaxPool2d, MaxPool3d). @internal */
export const MAX_POOL_SPEC = {
  stride: 'any',
  padding: 'any',
  dilation: 'any',
  ceilMode: 'boolean',
  returnIndices: 'boolean',
} as const;
/** The options of the average-pooling layers (AvgPool2d, AvgPool3d). @internal */
export const AVG_POOL_SPEC = {
  stride: 'any',
  padding: 'any',
  ceilMode: 'boolean',
  countIncludePad: 'boolean',
  divisorOverride: 'any',
} as const;
