// Fractional max pooling (Graham, "Fractional Max-Pooling"; torch.nn.functional.
// fractional_max_pool2d/3d and their modules): kernel-sized windows whose starts follow a
// pseudo-random sequence per (sample, channel) plane, so the output can be any size between the
// input's and the input's minus the kernel. The starts are PyTorch's generate_intervals, in the
// input's precision, so the same random samples give PyTorch's windows exactly. The pooling is a
// gather of every window (indices built on the host) and a max: the gradient goes through the
// gather to each window's maximum (the first, in row-major order, where several tie).
import { tensorArg } from '../args.js';
import { isFloating, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { checkOptions, describe, intAtLeast, list } from '../options.js';
import { rand, tensor } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** Options of F.fractionalMaxPool2d/3d and their modules: outputSize or outputRatio, not both. */
export interface FractionalMaxPoolOptions {
  /** The output's spatial size (one number for every dim, or one per dim). */
  outputSize?: number | readonly number[];
  /** The output's size as a fraction of the input's, in (0, 1): floor(input * ratio). */
  outputRatio?: number | readonly number[];
  /** Also return each maximum's flat position within its plane (for maxUnpool). */
  returnIndices?: boolean;
  /**
   * The samples in [0, 1) that place the windows, [N, C, dims] in the input's dtype (PyTorch's
   * `_random_samples`); drawn with `rand` each call when absent.
   */
  randomSamples?: Tensor;
}

const SPEC = { outputSize: 'any', outputRatio: 'any', returnIndices: 'boolean', randomSamples: 'any' } as const;

// A number for every one of k dims, or k numbers.
function perDim(op: string, name: string, v: unknown, k: number): number[] {
  const xs = typeof v === 'number' ? new Array<number>(k).fill(v) : (list(op, name, v) as unknown[]);
  if (xs.length !== k || !xs.every((x) => typeof x === 'number'))
    fail('INVALID_ARGUMENT', `${op}: '${name}' must be a number or ${k} numbers, got ${describe(v)}`);
  return xs as number[];
}

// PyTorch's generate_intervals: the start of each of `out` windows of size `pool` over `size`,
// computed in float32 unless the input is float64 (as ATen does in scalar_t).
function intervals(sample: number, size: number, out: number, pool: number, f32: boolean): number[] {
  const r = f32 ? Math.fround : (v: number) => v;
  const seq = new Array<number>(out);
  if (out > 1) {
    const alpha = r(r(size - pool) / r(out - 1));
    const base = Math.trunc(r(sample * alpha));
    for (let i = 0; i < out - 1; i++) seq[i] = Math.trunc(r(r(i + sample) * alpha)) - base;
  }
  if (out > 0) seq[out - 1] = size - pool;
  return seq;
}

// The row-major multi-index of flat position p in a box of the given sizes, into at.
function unravel(p: number, sizes: readonly number[], at: number[]): void {
  for (let i = sizes.length - 1; i >= 0; i--) {
    at[i] = p % sizes[i];
    p = Math.floor(p / sizes[i]);
  }
}

function fractionalMaxPool(
  op: string,
  input: Tensor,
  kernelSize: number | readonly number[],
  options: FractionalMaxPoolOptions | undefined,
  k: number,
): [Tensor, Tensor | null] {
  tensorArg(op, 'input', input);
  const o = checkOptions(op, options, SPEC);
  if (input.ndim !== k + 1 && input.ndim !== k + 2)
    fail(
      'SHAPE_MISMATCH',
      `${op}: expected a ${k + 1}-D (unbatched) or ${k + 2}-D input [${k === 2 ? 'N, C, H, W' : 'N, C, D, H, W'}], got [${input.shape.join(', ')}]`,
    );
  if (!isFloating(input.dtype)) fail('DTYPE_MISMATCH', `${op}: expected a floating input, got ${input.dtype}`);
  const kernel = perDim(op, 'kernelSize', kernelSize, k).map((v) => intAtLeast(op, 'kernelSize', v, 1));
  const size = input.shape.slice(-k);
  if ((o.outputSize === undefined) === (o.outputRatio === undefined))
    fail('INVALID_ARGUMENT', `${op}: give exactly one of outputSize and outputRatio`);
  const out =
    o.outputSize !== undefined
      ? perDim(op, 'outputSize', o.outputSize, k).map((v) => intAtLeast(op, 'outputSize', v, 1))
      : perDim(op, 'outputRatio', o.outputRatio, k).map((r, i) => {
          if (!(r > 0 && r < 1))
            fail('INVALID_ARGUMENT', `${op}: outputRatio must be between 0 and 1, got ${describe(o.outputRatio)}`);
          return Math.floor(size[i] * r);
        });
  const dims = k === 2 ? ['height', 'width'] : ['time', 'height', 'width'];
  out.forEach((n, i) => {
    if (n < 1) fail('INVALID_ARGUMENT', `${op}: the output ${dims[i]} ${n} must be at least 1 (outputRatio too small)`);
    if (n + kernel[i] - 1 > size[i])
      fail(
        'SHAPE_MISMATCH',
        `${op}: pool ${dims[i]} ${kernel[i]} too large relative to input ${dims[i]} ${size[i]} (output ${dims[i]} ${n})`,
      );
  });
  const batched = input.ndim === k + 2;
  const N = batched ? input.shape[0] : 1,
    C = input.shape[batched ? 1 : 0];
  let samples = o.randomSamples;
  if (samples !== undefined) {
    tensorArg(op, 'randomSamples', samples);
    if (samples.ndim !== 3 || samples.shape[0] !== N || samples.shape[1] !== C || samples.shape[2] !== k)
      fail('SHAPE_MISMATCH', `${op}: expected randomSamples [${N}, ${C}, ${k}], got [${samples.shape.join(', ')}]`);
    if (samples.dtype !== input.dtype)
      fail('DTYPE_MISMATCH', `${op}: randomSamples must have the input's dtype ${input.dtype}, got ${samples.dtype}`);
  }
  // The windows are gathered whole: refuse what the host-built int32 index cannot hold.
  const cells = N * C * out.reduce((a, b) => a * b, 1) * kernel.reduce((a, b) => a * b, 1);
  if (cells > 2 ** 27 || size.reduce((a, b) => a * b, 1) > 2 ** 31 - 1)
    fail(
      'INVALID_ARGUMENT',
      `${op}: ${cells} window elements over planes of [${size.join(', ')}] exceed what this pooling gathers at once (2^27 elements, 2^31 per plane)`,
    );
  return tidy(() => {
    samples ??= rand([N, C, k], { dtype: input.dtype, device: input.device });
    const u = Array.from(samples.to('float64').data() as Float64Array);
    const bad = u.findIndex((v) => !(v >= 0 && v < 1));
    if (bad >= 0) fail('INVALID_ARGUMENT', `${op}: randomSamples must lie in [0, 1), got ${u[bad]}`);
    // PyTorch's sample order within a plane: [w, h] in 2-D, [t, h, w] in 3-D.
    const sampleDim = k === 2 ? [1, 0] : [0, 1, 2];
    const f32 = input.dtype !== 'float64';
    const strides = size.map((_, i) => size.slice(i + 1).reduce((a, b) => a * b, 1));
    const P = out.reduce((a, b) => a * b, 1),
      K = kernel.reduce((a, b) => a * b, 1);
    // The flat in-plane position of every window element: [N * C, P, K].
    const idx = new Int32Array(N * C * P * K);
    const oPos = new Array<number>(k),
      wPos = new Array<number>(k);
    for (let plane = 0; plane < N * C; plane++) {
      const seqs = size.map((s, i) => intervals(u[plane * k + sampleDim[i]], s, out[i], kernel[i], f32));
      let at = plane * P * K;
      for (let p = 0; p < P; p++) {
        unravel(p, out, oPos);
        for (let w = 0; w < K; w++) {
          let flat = 0;
          unravel(w, kernel, wPos);
          for (let i = 0; i < k; i++) flat += (seqs[i][oPos[i]] + wPos[i]) * strides[i];
          idx[at++] = flat;
        }
      }
    }
    const x = input.reshape([N, C, -1]);
    const where = tensor(idx, { dtype: 'int32', device: input.device }).to('int64').reshape([N, C, P, K]);
    const { values, indices } = x
      .gather(2, where.reshape([N, C, P * K]))
      .reshape([N, C, P, K])
      .maxWithIndices(3);
    const shape = batched ? [N, C, ...out] : [C, ...out];
    const y = values.reshape(shape);
    return [y, o.returnIndices ? where.gather(3, indices.unsqueeze(3)).reshape(shape) : null];
  });
}

/**
 * Fractional max pooling of [N, C, H, W] (or [C, H, W]) (torch.nn.functional.
 * fractional_max_pool2d): kernelSize windows at pseudo-random starts, to `outputSize` or
 * `outputRatio` of the input; `randomSamples` [N, C, 2] fixes the windows. With
 * `returnIndices`, also each maximum's flat h * W + w position.
 * @example F.fractionalMaxPool2d(x, 3, { outputRatio: 0.5 })
 */
export function fractionalMaxPool2d<F extends DType>(
  input: Tensor<F>,
  kernelSize: number | readonly [number, number],
  options: FractionalMaxPoolOptions & { returnIndices?: false },
): Tensor<F>;
/** With `returnIndices`: [output, indices]. */
export function fractionalMaxPool2d<F extends DType>(
  input: Tensor<F>,
  kernelSize: number | readonly [number, number],
  options: FractionalMaxPoolOptions & { returnIndices: true },
): [Tensor<F>, Tensor<'int64'>];
export function fractionalMaxPool2d(
  input: Tensor,
  kernelSize: number | readonly [number, number],
  options: FractionalMaxPoolOptions,
): Tensor | [Tensor, Tensor] {
  const [y, idx] = fractionalMaxPool('fractionalMaxPool2d', input, kernelSize, options, 2);
  return idx ? [y, idx] : y;
}

/**
 * Fractional max pooling of [N, C, D, H, W] (or [C, D, H, W]) (torch.nn.functional.
 * fractional_max_pool3d); `randomSamples` [N, C, 3]; indices are flat d * H * W + h * W + w.
 * @example F.fractionalMaxPool3d(x, 2, { outputSize: [4, 4, 4] })
 */
export function fractionalMaxPool3d<F extends DType>(
  input: Tensor<F>,
  kernelSize: number | readonly [number, number, number],
  options: FractionalMaxPoolOptions & { returnIndices?: false },
): Tensor<F>;
/** With `returnIndices`: [output, indices]. */
export function fractionalMaxPool3d<F extends DType>(
  input: Tensor<F>,
  kernelSize: number | readonly [number, number, number],
  options: FractionalMaxPoolOptions & { returnIndices: true },
): [Tensor<F>, Tensor<'int64'>];
export function fractionalMaxPool3d(
  input: Tensor,
  kernelSize: number | readonly [number, number, number],
  options: FractionalMaxPoolOptions,
): Tensor | [Tensor, Tensor] {
  const [y, idx] = fractionalMaxPool('fractionalMaxPool3d', input, kernelSize, options, 3);
  return idx ? [y, idx] : y;
}

/**
 * nn.FractionalMaxPool2d: fresh random windows each call unless `randomSamples` is given.
 * @example new nn.FractionalMaxPool2d(3, { outputRatio: [0.5, 0.5] })
 */
export class FractionalMaxPool2d extends Module {
  constructor(
    readonly kernelSize: number | readonly [number, number],
    readonly options: FractionalMaxPoolOptions,
  ) {
    super();
    checkModuleOptions('FractionalMaxPool2d', options);
  }
  forward(x: Tensor): Tensor | [Tensor, Tensor] {
    const [y, idx] = fractionalMaxPool('FractionalMaxPool2d', x, this.kernelSize, this.options, 2);
    return idx ? [y, idx] : y;
  }
}

/** nn.FractionalMaxPool3d. @example new nn.FractionalMaxPool3d(2, { outputSize: 8 }) */
export class FractionalMaxPool3d extends Module {
  constructor(
    readonly kernelSize: number | readonly [number, number, number],
    readonly options: FractionalMaxPoolOptions,
  ) {
    super();
    checkModuleOptions('FractionalMaxPool3d', options);
  }
  forward(x: Tensor): Tensor | [Tensor, Tensor] {
    const [y, idx] = fractionalMaxPool('FractionalMaxPool3d', x, this.kernelSize, this.options, 3);
    return idx ? [y, idx] : y;
  }
}

// The modules check what they can before an input arrives (PyTorch raises in __init__).
function checkModuleOptions(op: string, options: FractionalMaxPoolOptions): void {
  const o = checkOptions(op, options, SPEC);
  if ((o.outputSize === undefined) === (o.outputRatio === undefined))
    fail('INVALID_ARGUMENT', `${op}: give exactly one of outputSize and outputRatio`);
  if (o.randomSamples !== undefined) tensorArg(op, 'randomSamples', o.randomSamples);
}
