// 3-D convolution and pooling, the transposed 1-D and 3-D convolutions and max unpooling, built on
// the native 2-D kernels so that their kernels, gradients and backends are the tested 2-D ones and
// autograd differentiates the rest:
// - conv3d is one conv2d whose input channels are (channel, depth tap) pairs: the depth windows are
//   a view (Tensor.unfold), copied once into [N * D_out, C * kD, H, W];
// - convTranspose3d is one convTranspose2d with (channel, depth tap) output channels, whose depth
//   taps are then summed into place (col2im along depth);
// - the pools are separable: a box's max (or mean) is the max (or mean) over depth of the 2-D pool
//   of each depth slice, so the second pass is a max or sum over depth windows (a view).
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { arange, tensor, zeros } from '../ops/creation.js';
import { cat } from '../ops/functional.js';
import { checkOptions, describe, int } from '../options.js';
import { Tensor } from '../tensor.js';
import { optionsOf, tensorArg, triple, type Triple } from './args.js';
import { adaptiveAvgPool2d, avgPool2d, conv2d, convTranspose2d, maxPool2d } from './functional.js';
import { adaptiveMaxPoolNd } from './functional_misc.js';
import { pad } from './functional_more.js';

/** Options of `conv3d` (and `nn.Conv3d`): each a number or [depth, height, width]. */
export interface Conv3dOptions {
  stride?: Triple;
  /** An integer, a triple, 'valid' (0) or 'same' (output size = input size; stride 1 only). */
  padding?: Triple | 'same' | 'valid';
  dilation?: Triple;
  groups?: number;
}

// The sizes this file computes with in TypeScript are bounded, so that a hostile value fails here
// instead of sizing an allocation or a JS array (the native 2-D ops check their own).
const LIMIT = 2 ** 20;
function sizes(op: string, name: string, v: Triple | undefined, def: number, min: number): number[] {
  const t = triple(op, name, v, def);
  if (t.some((x) => x < min || x > LIMIT))
    fail('INVALID_ARGUMENT', `${op}: '${name}' must be in [${min}, 2^20], got ${describe(v)}`);
  return t;
}
function groupsOf(op: string, g: unknown): number {
  const v = g === undefined ? 1 : int(op, 'groups', g);
  if (v < 1) fail('INVALID_ARGUMENT', `${op}: 'groups' must be positive, got ${describe(g)}`);
  return v;
}
// [N, C, D, H, W] (or unbatched [C, D, H, W], which gains a batch of 1).
function batched(op: string, input: Tensor): Tensor {
  if (input.ndim !== 5 && input.ndim !== 4)
    fail('SHAPE_MISMATCH', `${op}: expected [N, C, D, H, W] or [C, D, H, W], got [${input.shape.join(', ')}]`);
  return input.ndim === 4 ? input.unsqueeze(0) : input;
}
function sameKind(op: string, input: Tensor, weight: Tensor, bias: Tensor | null): void {
  for (const t of bias ? [weight, bias] : [weight]) {
    if (t.dtype !== input.dtype)
      fail('DTYPE_MISMATCH', `${op}: input is ${input.dtype} but ${t === weight ? 'weight' : 'bias'} is ${t.dtype}`);
    if (t.device !== input.device)
      fail(
        'DEVICE_MISMATCH',
        `${op}: input is on ${input.device} but ${t === weight ? 'weight' : 'bias'} is on ${t.device}`,
      );
  }
}
// Windows of `span` along dim 2, `step` apart, as a last dim of every dilation-th tap (a view).
function depthWindows(x: Tensor, kernel: number, step: number, dilation: number): Tensor {
  const w = x.unfold(2, dilation * (kernel - 1) + 1, step);
  return dilation > 1 ? w.unfold(w.ndim - 1, 1, dilation).squeeze(-1) : w;
}

/**
 * 3-D convolution over [N, C, D, H, W] (unbatched [C, D, H, W] too) with weight
 * [O, C / groups, kD, kH, kW] (torch.nn.functional.conv3d).
 * @example F.conv3d(video, w, b, { stride: [1, 2, 2], padding: 1 })
 */
export function conv3d<F extends DType>(
  input: Tensor<F>,
  weight: Tensor<F>,
  bias?: Tensor<F> | null,
  opts?: Conv3dOptions,
): Tensor<F>;
export function conv3d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts?: Conv3dOptions): Tensor {
  const op = 'conv3d';
  tensorArg(op, 'input', input);
  tensorArg(op, 'weight', weight);
  const b = tensorArg(op, 'bias', bias, true);
  const o = optionsOf(op, opts, ['stride', 'padding', 'dilation', 'groups']);
  if (weight.ndim !== 5)
    fail('SHAPE_MISMATCH', `${op}: expected a 5-D weight [O, C/groups, kD, kH, kW], got [${weight.shape.join(', ')}]`);
  const x = batched(op, input);
  sameKind(op, input, weight, b);
  const stride = sizes(op, 'stride', o.stride, 1, 1),
    dilation = sizes(op, 'dilation', o.dilation, 1, 1),
    groups = groupsOf(op, o.groups);
  const [O, Cg, kD, kH, kW] = weight.shape;
  const [N, C, D, H, W] = x.shape;
  if (C !== Cg * groups)
    fail(
      'SHAPE_MISMATCH',
      `${op}: weight [${weight.shape.join(', ')}] with groups ${groups} expects ${Cg * groups} input channels, got input [${input.shape.join(', ')}]`,
    );
  // Depth padding [before, after] is applied here; height and width go to conv2d.
  let depthPad: [number, number], hw: [number, number] | 'same';
  if (o.padding === 'same') {
    if (stride.some((s) => s !== 1))
      fail(
        'INVALID_ARGUMENT',
        `${op}: padding='same' is not supported for strided convolutions, got stride [${stride}]`,
      );
    const total = dilation[0] * (kD - 1);
    depthPad = [Math.floor(total / 2), total - Math.floor(total / 2)];
    hw = 'same';
  } else if (o.padding === 'valid') {
    depthPad = [0, 0];
    hw = [0, 0];
  } else {
    if (typeof o.padding === 'string')
      fail('INVALID_ARGUMENT', `${op}: padding must be an integer, a triple, 'same' or 'valid', got "${o.padding}"`);
    const p = sizes(op, 'padding', o.padding, 0, 0);
    depthPad = [p[0], p[0]];
    hw = [p[1], p[2]];
  }
  const span = dilation[0] * (kD - 1) + 1;
  if (D + depthPad[0] + depthPad[1] < span)
    fail(
      'SHAPE_MISMATCH',
      `${op}: the padded input depth ${D + depthPad[0] + depthPad[1]} is smaller than the dilated kernel depth ${span}`,
    );
  return tidy(() => {
    const padded = depthPad[0] || depthPad[1] ? pad(x, [0, 0, 0, 0, ...depthPad]) : x;
    const win = depthWindows(padded, kD, stride[0], dilation[0]); // [N, C, Do, H, W, kD]
    const Do = win.shape[2];
    const cols = win.permute(0, 2, 1, 5, 3, 4).reshape(N * Do, C * kD, H, W);
    const y = conv2d(cols, weight.reshape(O, Cg * kD, kH, kW), b, {
      stride: [stride[1], stride[2]],
      dilation: [dilation[1], dilation[2]],
      padding: hw,
      groups,
    });
    const out = y.reshape(N, Do, O, y.shape[2], y.shape[3]).permute(0, 2, 1, 3, 4).contiguous();
    return input.ndim === 4 ? out.squeeze(0) : out;
  });
}

/** Options of `convTranspose3d`: each a number or [depth, height, width]. */
export interface ConvTranspose3dOptions {
  stride?: Triple;
  padding?: Triple;
  outputPadding?: Triple;
  dilation?: Triple;
  groups?: number;
}

function outputPaddingOf(op: string, outPad: number[], stride: number[], dilation: number[]): void {
  outPad.forEach((p, i) => {
    if (p >= stride[i] && p >= dilation[i])
      fail(
        'INVALID_ARGUMENT',
        `${op}: outputPadding must be smaller than either stride or dilation, got outputPadding ${p}, stride ${stride[i]}, dilation ${dilation[i]}`,
      );
  });
}

/**
 * Transposed 3-D convolution (the gradient of conv3d with respect to its input), weight
 * [C_in, C_out / groups, kD, kH, kW]; each output size is (in - 1) * stride - 2 * padding +
 * dilation * (k - 1) + outputPadding + 1.
 * @example F.convTranspose3d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 })
 */
export function convTranspose3d<F extends DType>(
  input: Tensor<F>,
  weight: Tensor<F>,
  bias?: Tensor<F> | null,
  opts?: ConvTranspose3dOptions,
): Tensor<F>;
export function convTranspose3d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts?: ConvTranspose3dOptions,
): Tensor {
  const op = 'convTranspose3d';
  tensorArg(op, 'input', input);
  tensorArg(op, 'weight', weight);
  const b = tensorArg(op, 'bias', bias, true);
  const o = optionsOf(op, opts, ['stride', 'padding', 'outputPadding', 'dilation', 'groups']);
  if (weight.ndim !== 5)
    fail(
      'SHAPE_MISMATCH',
      `${op}: expected a 5-D weight [C_in, C_out/groups, kD, kH, kW], got [${weight.shape.join(', ')}]`,
    );
  const x = batched(op, input);
  sameKind(op, input, weight, b);
  const stride = sizes(op, 'stride', o.stride, 1, 1),
    dilation = sizes(op, 'dilation', o.dilation, 1, 1),
    padding = sizes(op, 'padding', o.padding, 0, 0),
    outPad = sizes(op, 'outputPadding', o.outputPadding, 0, 0),
    groups = groupsOf(op, o.groups);
  outputPaddingOf(op, outPad, stride, dilation);
  const [Cin, Og, kD, kH, kW] = weight.shape;
  const [N, C, D, H, W] = x.shape;
  if (C !== Cin || Cin % groups !== 0)
    fail(
      'SHAPE_MISMATCH',
      `${op}: weight [${weight.shape.join(', ')}] with groups ${groups} expects ${Cin} input channels, got input [${input.shape.join(', ')}]`,
    );
  // The full depth before padding crops it: every input slice's kD taps, stride apart.
  const full = (D - 1) * stride[0] + dilation[0] * (kD - 1) + 1;
  const Do = full - 2 * padding[0] + outPad[0];
  if (Do <= 0 || D === 0) fail('SHAPE_MISMATCH', `${op}: the output depth ${Do} would not be positive`);
  return tidy(() => {
    const slices = x.permute(0, 2, 1, 3, 4).reshape(N * D, C, H, W);
    const z = convTranspose2d(slices, weight.reshape(Cin, Og * kD, kH, kW), null, {
      stride: [stride[1], stride[2]],
      padding: [padding[1], padding[2]],
      outputPadding: [outPad[1], outPad[2]],
      dilation: [dilation[1], dilation[2]],
      groups,
    });
    const [Ho, Wo] = z.shape.slice(2);
    const O = Og * groups;
    const taps = z.reshape(N, D, O, kD, Ho, Wo);
    // col2im along depth: tap k of input slice d lands at d * stride + k * dilation. Each tap's
    // slices are spread `stride` apart (zeros between) and shifted into place, then summed: plain
    // pads, reshapes and adds, which every backend and ONNX have.
    const spread = (t: Tensor): Tensor => {
      if (stride[0] === 1) return t;
      const gaps = zeros([N, D, stride[0] - 1, O, Ho, Wo], { dtype: t.dtype, device: t.device });
      return cat([t.unsqueeze(2), gaps], 2)
        .reshape(N, D * stride[0], O, Ho, Wo)
        .narrow(1, 0, (D - 1) * stride[0] + 1);
    };
    let summed: Tensor | null = null;
    for (let k = 0; k < kD; k++) {
      const at = k * dilation[0];
      const placed = pad(spread(taps.select(3, k)), [0, 0, 0, 0, 0, 0, at, full - at - ((D - 1) * stride[0] + 1)]);
      summed = summed ? summed.add(placed) : placed;
    }
    // padding crops the start and end; outputPadding adds back at the end (zeros past `full`)
    let out = pad(summed!.permute(0, 2, 1, 3, 4), [0, 0, 0, 0, -padding[0], outPad[0] - padding[0]]);
    if (b) out = out.add(b.reshape(1, -1, 1, 1, 1));
    return input.ndim === 4 ? out.squeeze(0) : out;
  });
}

/** Options of `convTranspose1d`. */
export interface ConvTranspose1dOptions {
  stride?: number;
  padding?: number;
  outputPadding?: number;
  dilation?: number;
  groups?: number;
}

/**
 * Transposed 1-D convolution of [N, C_in, L] (or [C_in, L]) with weight [C_in, C_out / groups, k]
 * (runs as convTranspose2d on a height-1 image).
 * @example F.convTranspose1d(x, w, b, { stride: 2 })
 */
export function convTranspose1d<F extends DType>(
  input: Tensor<F>,
  weight: Tensor<F>,
  bias?: Tensor<F> | null,
  opts?: ConvTranspose1dOptions,
): Tensor<F>;
export function convTranspose1d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts?: ConvTranspose1dOptions,
): Tensor {
  const op = 'convTranspose1d';
  tensorArg(op, 'input', input);
  tensorArg(op, 'weight', weight);
  const o = optionsOf(op, opts, ['stride', 'padding', 'outputPadding', 'dilation', 'groups']);
  if (weight.ndim !== 3)
    fail('SHAPE_MISMATCH', `${op}: expected a 3-D weight [C_in, C_out/groups, k], got [${weight.shape.join(', ')}]`);
  if (input.ndim !== 3 && input.ndim !== 2)
    fail('SHAPE_MISMATCH', `${op}: expected [N, C, L] or [C, L], got [${input.shape.join(', ')}]`);
  const one = (name: keyof ConvTranspose1dOptions, def: number): [number, number] => {
    const v = o[name];
    if (v !== undefined && !Number.isSafeInteger(v))
      fail('INVALID_ARGUMENT', `${op}: '${name}' must be an integer, got ${describe(v)}`);
    return [name === 'stride' || name === 'dilation' ? 1 : 0, v ?? def];
  };
  return tidy(() => {
    const x4 = input.ndim === 2 ? input.unsqueeze(0).unsqueeze(-2) : input.unsqueeze(-2);
    const y = convTranspose2d(x4, weight.unsqueeze(-2), bias, {
      stride: one('stride', 1),
      padding: one('padding', 0),
      outputPadding: one('outputPadding', 0),
      dilation: one('dilation', 1),
      groups: o.groups,
    }).squeeze(-2);
    return input.ndim === 2 ? y.squeeze(0) : y;
  });
}

/** Options of `maxPool3d`: each a number or [depth, height, width]. */
export interface Pool3dOptions {
  /** Default: the kernel size. */
  stride?: Triple;
  padding?: Triple;
  dilation?: Triple;
  ceilMode?: boolean;
}

interface PoolGeometry {
  k: number[];
  s: number[];
  p: number[];
  d: number[];
  ceil: boolean;
}
function poolGeometry(
  op: string,
  kernelSize: Triple,
  o: { stride?: Triple; padding?: Triple; dilation?: Triple; ceilMode?: boolean },
): PoolGeometry {
  const k = sizes(op, 'kernelSize', kernelSize, 1, 1);
  const s = o.stride === undefined ? k : sizes(op, 'stride', o.stride, 1, 1);
  const p = sizes(op, 'padding', o.padding, 0, 0);
  const d = sizes(op, 'dilation', o.dilation, 1, 1);
  if (o.ceilMode !== undefined && typeof o.ceilMode !== 'boolean')
    fail('INVALID_ARGUMENT', `${op}: 'ceilMode' must be a boolean, got ${describe(o.ceilMode)}`);
  p.forEach((v, i) => {
    if (v > k[i] / 2)
      fail(
        'INVALID_ARGUMENT',
        `${op}: padding should be at most half of the kernel size, got padding ${v}, kernel ${k[i]}`,
      );
  });
  return { k, s, p, d, ceil: o.ceilMode ?? false };
}
// torch's pooling output size along one dim: floor (or ceil) division, and with ceilMode no window
// that starts in the right padding.
function pooledSize(op: string, len: number, g: PoolGeometry, i: number): number {
  const { k, s, p, d, ceil } = g;
  let n = Math.floor((len + 2 * p[i] - d[i] * (k[i] - 1) - 1 + (ceil ? s[i] - 1 : 0)) / s[i]) + 1;
  if (ceil && (n - 1) * s[i] >= len + p[i]) n--;
  if (n < 1) fail('SHAPE_MISMATCH', `${op}: the output size along dim ${2 + i} would be ${n}, input size ${len}`);
  return n;
}
// The depth-padded input for depth windows: `p` before, and after it exactly what the last window
// reaches (more in ceilMode, fewer when the stride leaves a remainder: a crop).
function depthPadded(t: Tensor, g: PoolGeometry, Do: number, value: number): Tensor {
  const D = t.shape[2];
  const after = (Do - 1) * g.s[0] + g.d[0] * (g.k[0] - 1) + 1 - D - g.p[0];
  return pad(t, [0, 0, 0, 0, g.p[0], after], 'constant', value);
}

/**
 * 3-D max pooling over [N, C, D, H, W] (or [C, D, H, W]); stride defaults to the kernel size. With
 * `returnIndices`, also the flat d * H * W + h * W + w position of each maximum (the first in
 * (d, h, w) order on ties, as PyTorch), for maxUnpool3d.
 * @example F.maxPool3d(x, 2); const [y, idx] = F.maxPool3d(x, [1, 3, 3], { padding: [0, 1, 1], returnIndices: true })
 */
export function maxPool3d<F extends DType>(
  input: Tensor<F>,
  kernelSize: Triple,
  opts?: Pool3dOptions & { returnIndices?: false },
): Tensor<F>;
export function maxPool3d<F extends DType>(
  input: Tensor<F>,
  kernelSize: Triple,
  opts: Pool3dOptions & { returnIndices: true },
): [Tensor<F>, Tensor<'int64'>];
export function maxPool3d(
  input: Tensor,
  kernelSize: Triple,
  opts?: Pool3dOptions & { returnIndices?: boolean },
): Tensor | [Tensor, Tensor] {
  const op = 'maxPool3d';
  tensorArg(op, 'input', input);
  const o = optionsOf(op, opts, ['stride', 'padding', 'dilation', 'ceilMode', 'returnIndices']);
  if (o.returnIndices !== undefined && typeof o.returnIndices !== 'boolean')
    fail('INVALID_ARGUMENT', `${op}: 'returnIndices' must be a boolean, got ${describe(o.returnIndices)}`);
  const g = poolGeometry(op, kernelSize, o);
  const x = batched(op, input);
  const [N, C, D, H, W] = x.shape;
  const Do = pooledSize(op, D, g, 0);
  const [values, indices] = tidy(() => {
    const [v2, i2] = maxPool2d(x.reshape(N, C * D, H, W), [g.k[1], g.k[2]], {
      stride: [g.s[1], g.s[2]],
      padding: [g.p[1], g.p[2]],
      dilation: [g.d[1], g.d[2]],
      ceilMode: g.ceil,
      returnIndices: true,
    });
    const [Ho, Wo] = v2.shape.slice(2);
    const unbatch = (t: Tensor) => (input.ndim === 4 ? t.squeeze(0) : t);
    if (g.k[0] === 1) {
      // A depth window of one slice (no padding: at most half the kernel): every s-th 2-D pool is
      // the answer, so no max over depth and no gradient through one.
      const slices = (t: Tensor) => {
        const v = t.reshape(N, C, D, Ho, Wo);
        return g.s[0] === 1 ? v : v.unfold(2, 1, g.s[0]).squeeze(-1).contiguous();
      };
      if (!o.returnIndices) return [unbatch(slices(v2)), null];
      const depth = arange(0, Do, 1, { dtype: 'int64', device: x.device }).reshape(1, 1, Do, 1, 1).mul(g.s[0]);
      return [unbatch(slices(v2)), unbatch(depth.mul(H * W).add(slices(i2)))];
    }
    const windows = (t: Tensor, fillValue: number) =>
      depthWindows(depthPadded(t.reshape(N, C, D, Ho, Wo), g, Do, fillValue), g.k[0], g.s[0], g.d[0]);
    const best = windows(v2, -Infinity).maxWithIndices(-1);
    if (!o.returnIndices) return [unbatch(best.values), null];
    // The maximum's depth from its window position j, and its in-plane index from the 2-D pool.
    const j = best.indices;
    const inPlane = windows(i2, 0).gather(-1, j.unsqueeze(-1)).squeeze(-1);
    const depth = arange(0, Do, 1, { dtype: 'int64', device: x.device })
      .reshape(1, 1, Do, 1, 1)
      .mul(g.s[0])
      .sub(g.p[0])
      .add(j.mul(g.d[0]));
    return [unbatch(best.values), unbatch(depth.mul(H * W).add(inPlane))];
  });
  return indices ? [values, indices] : values;
}

// torch's divisor of average pooling along one dim, per output position: the window clipped to
// the padded input (countIncludePad) or to the input itself.
function poolCounts(len: number, k: number, s: number, p: number, out: number, includePad: boolean): number[] {
  return Array.from({ length: out }, (_, o) => {
    const start = o * s - p;
    const end = Math.min(start + k, len + p);
    return includePad ? end - start : Math.min(end, len) - Math.max(start, 0);
  });
}

/**
 * A 2-D average pool `a` of an input of spatial size [H, W] rescaled to window sums over `divisor`
 * (divisorOverride): times each window's count, over the divisor. k, s, p are [height, width].
 * @internal avgPool2d's and avgPool3d's
 */
export function overrideDivisor(
  a: Tensor,
  [H, W]: number[],
  k: number[],
  s: number[],
  p: number[],
  includePad: boolean,
  divisor: number,
): Tensor {
  const [Ho, Wo] = a.shape.slice(-2);
  const wc = poolCounts(W, k[1], s[1], p[1], Wo, includePad);
  const scale = poolCounts(H, k[0], s[0], p[0], Ho, includePad).flatMap((h) => wc.map((w) => (h * w) / divisor));
  return tidy(() => a.mul(tensor(scale, { dtype: a.dtype, device: a.device }).reshape(Ho, Wo)));
}

/** Options of `avgPool3d`: each a number or [depth, height, width]. */
export interface AvgPool3dOptions {
  /** Default: the kernel size. */
  stride?: Triple;
  padding?: Triple;
  ceilMode?: boolean;
  /** Count the zero padding in each window's divisor (default true). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead. */
  divisorOverride?: number | null;
}

/** A divisorOverride: null when absent, else a non-zero integer. @internal */
export function divisorOf(op: string, v: unknown): number | null {
  if (v === undefined || v === null) return null;
  const n = int(op, 'divisorOverride', v);
  if (n === 0) fail('INVALID_ARGUMENT', `${op}: divisorOverride must not be zero`);
  return n;
}

/**
 * 3-D average pooling over [N, C, D, H, W] (or [C, D, H, W]); stride defaults to the kernel size.
 * @example F.avgPool3d(x, 2); F.avgPool3d(x, 3, { stride: 1, padding: 1, countIncludePad: false })
 */
export function avgPool3d<F extends DType>(input: Tensor<F>, kernelSize: Triple, opts?: AvgPool3dOptions): Tensor<F>;
export function avgPool3d(input: Tensor, kernelSize: Triple, opts?: AvgPool3dOptions): Tensor {
  const op = 'avgPool3d';
  tensorArg(op, 'input', input);
  const o = optionsOf(op, opts, ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride']);
  if (o.countIncludePad !== undefined && typeof o.countIncludePad !== 'boolean')
    fail('INVALID_ARGUMENT', `${op}: 'countIncludePad' must be a boolean, got ${describe(o.countIncludePad)}`);
  const divisor = divisorOf(op, o.divisorOverride);
  const g = poolGeometry(op, kernelSize, o);
  const include = o.countIncludePad ?? true;
  const x = batched(op, input);
  const [N, C, D, H, W] = x.shape;
  const Do = pooledSize(op, D, g, 0);
  return tidy(() => {
    const hw: [number, number] = [g.k[1], g.k[2]],
      s: [number, number] = [g.s[1], g.s[2]],
      p: [number, number] = [g.p[1], g.p[2]];
    let a: Tensor = avgPool2d(x.reshape(N, C * D, H, W), hw, {
      stride: s,
      padding: p,
      ceilMode: g.ceil,
      countIncludePad: include,
    });
    // Each 2-D average was divided by its height-width count; the depth count finishes torch's
    // product of per-dim counts (or the 2-D sums go over the override).
    if (divisor !== null) a = overrideDivisor(a, [H, W], hw, s, p, include, divisor);
    const [Ho, Wo] = a.shape.slice(2);
    let out: Tensor = depthWindows(depthPadded(a.reshape(N, C, D, Ho, Wo), g, Do, 0), g.k[0], g.s[0], 1).sum(-1);
    if (divisor === null) {
      const inv = poolCounts(D, g.k[0], g.s[0], g.p[0], Do, include).map((c) => 1 / c);
      out = out.mul(tensor(inv, { dtype: x.dtype, device: x.device }).reshape(Do, 1, 1));
    }
    return input.ndim === 4 ? out.squeeze(0) : out;
  });
}

/** An output size of 3-D adaptive pooling: one size, or [d, h, w] where null keeps the input's size. */
export type AdaptiveSize3d = number | readonly [number | null, number | null, number | null];

function adaptiveSizes(op: string, x: Tensor, outputSize: AdaptiveSize3d): number[] {
  const s = typeof outputSize === 'number' ? [outputSize, outputSize, outputSize] : outputSize;
  if (!Array.isArray(s) || s.length !== 3)
    fail('INVALID_ARGUMENT', `${op}: outputSize must be a size or [d, h, w], got ${describe(outputSize)}`);
  return s.map((v: number | null, i: number) => {
    if (v === null) return x.shape[2 + i];
    const n = int(op, 'outputSize', v);
    if (n < 1 || n > 65536) fail('INVALID_ARGUMENT', `${op}: outputSize must be in [1, 65536], got ${describe(v)}`);
    return n;
  });
}

/**
 * Average pooling of [N, C, D, H, W] (or [C, D, H, W]) to a fixed output size (each cell averages its
 * share of the input); null keeps the input's size there.
 * @example F.adaptiveAvgPool3d(features, 1) // global average pooling
 */
export function adaptiveAvgPool3d<F extends DType>(input: Tensor<F>, outputSize: AdaptiveSize3d): Tensor<F>;
export function adaptiveAvgPool3d(input: Tensor, outputSize: AdaptiveSize3d): Tensor {
  const op = 'adaptiveAvgPool3d';
  tensorArg(op, 'input', input);
  const x = batched(op, input);
  const [od, oh, ow] = adaptiveSizes(op, x, outputSize);
  const [N, C, D, H, W] = x.shape;
  if (D === 0 || H === 0 || W === 0)
    fail('SHAPE_MISMATCH', `${op}: the input's spatial size must be non-zero, got [${D}, ${H}, ${W}]`);
  return tidy(() => {
    // Separable and exact: every depth slice's window holds the same number of values.
    const planes = adaptiveAvgPool2d(x.reshape(N, C * D, H, W), [oh, ow]).reshape(N, C, D, oh * ow);
    const out = adaptiveAvgPool2d(planes, [od, oh * ow]).reshape(N, C, od, oh, ow);
    return input.ndim === 4 ? out.squeeze(0) : out;
  });
}

/**
 * Max pooling of [N, C, D, H, W] (or [C, D, H, W]) to a fixed output size; null keeps the input's
 * size there. @example F.adaptiveMaxPool3d(features, [1, 7, 7])
 */
export function adaptiveMaxPool3d<F extends DType>(
  input: Tensor<F>,
  outputSize: AdaptiveSize3d,
  options?: { returnIndices?: false },
): Tensor<F>;
export function adaptiveMaxPool3d<F extends DType>(
  input: Tensor<F>,
  outputSize: AdaptiveSize3d,
  options: { returnIndices: true },
): [Tensor<F>, Tensor<'int64'>];
export function adaptiveMaxPool3d(
  input: Tensor,
  outputSize: AdaptiveSize3d,
  options?: { returnIndices?: boolean },
): Tensor | [Tensor, Tensor] {
  const op = 'adaptiveMaxPool3d';
  tensorArg(op, 'input', input);
  const withIndices = checkOptions(op, options, { returnIndices: 'boolean' }).returnIndices ?? false;
  const x = batched(op, input);
  const sizes3 = adaptiveSizes(op, x, outputSize);
  if (x.shape.slice(2).some((s) => s === 0))
    fail('SHAPE_MISMATCH', `${op}: the input's spatial size must be non-zero, got [${x.shape.slice(2).join(', ')}]`);
  return tidy(() => {
    const r = adaptiveMaxPoolNd(x, sizes3, withIndices).filter((t): t is Tensor => t !== null);
    const out = input.ndim === 4 ? r.map((t) => t.squeeze(0)) : r;
    return withIndices ? (out as [Tensor, Tensor]) : out[0];
  });
}

/** Options of the max-unpooling functions: one number per spatial dim, or one for all. */
export interface MaxUnpoolOptions {
  /** Default: the kernel size. */
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  /** The output's spatial size (or its full shape), when the pooling's input size is ambiguous. */
  outputSize?: readonly number[] | null;
}

// The partial inverse of max pooling over `dims` spatial dims (torch's max_unpool1d/2d/3d): each
// value goes to the flat position its index names in a zero output of size
// (in - 1) * stride - 2 * padding + kernel per dim (or `outputSize`). Differentiable in the values.
function maxUnpool(
  input: Tensor,
  indices: Tensor,
  kernelSize: number | readonly number[],
  dims: 1 | 2 | 3,
  opts?: MaxUnpoolOptions,
): Tensor {
  const op = `maxUnpool${dims}d`;
  tensorArg(op, 'input', input);
  tensorArg(op, 'indices', indices);
  const o = optionsOf(op, opts, ['stride', 'padding', 'outputSize']);
  const each = (name: string, v: number | readonly number[] | undefined, def: number[], min: number): number[] => {
    if (v === undefined) return def;
    const a = typeof v === 'number' ? new Array<number>(dims).fill(v) : v;
    if (!Array.isArray(a) || a.length !== dims || a.some((x) => !Number.isSafeInteger(x) || x < min || x > LIMIT))
      fail('INVALID_ARGUMENT', `${op}: '${name}' must be ${dims} integer(s) in [${min}, 2^20], got ${describe(v)}`);
    return [...a];
  };
  const k = each('kernelSize', kernelSize, [], 1);
  const s = each('stride', o.stride, k, 1);
  const p = each('padding', o.padding, new Array<number>(dims).fill(0), 0);
  if (input.ndim !== dims + 1 && input.ndim !== dims + 2)
    fail('SHAPE_MISMATCH', `${op}: expected a ${dims + 1}-D or ${dims + 2}-D input, got [${input.shape.join(', ')}]`);
  if (indices.dtype !== 'int64') fail('DTYPE_MISMATCH', `${op}: expected int64 indices, got ${indices.dtype}`);
  if (indices.shape.join() !== input.shape.join())
    fail(
      'SHAPE_MISMATCH',
      `${op}: indices [${indices.shape.join(', ')}] must have the input's shape [${input.shape.join(', ')}]`,
    );
  const inSize = input.shape.slice(-dims);
  const def = inSize.map((n, i) => (n - 1) * s[i] - 2 * p[i] + k[i]);
  let outSize = def;
  if (o.outputSize != null) {
    const given = each('outputSize', o.outputSize.slice(-dims), [], 0);
    given.forEach((n, i) => {
      if (n < def[i] - s[i] || n > def[i] + s[i])
        fail(
          'INVALID_ARGUMENT',
          `${op}: outputSize [${given.join(', ')}] must be within a stride of the default size [${def.join(', ')}]`,
        );
    });
    outSize = given;
  }
  if (outSize.some((n) => n <= 0))
    fail('SHAPE_MISMATCH', `${op}: the output size [${outSize.join(', ')}] would not be positive`);
  const lead = input.shape.slice(0, input.ndim - dims);
  const plane = outSize.reduce((a, b) => a * b, 1);
  return tidy(() => {
    const idx = indices.reshape(...lead, -1);
    if (idx.numel() > 0) {
      const lo = idx.min().item() as number,
        hi = idx.max().item() as number;
      if (lo < 0 || hi >= plane)
        fail('INDEX_OUT_OF_RANGE', `${op}: found an invalid max index ${lo < 0 ? lo : hi} (output size ${plane})`);
    }
    return zeros([...lead, plane], { dtype: input.dtype, device: input.device })
      .scatter(-1, idx, input.reshape(...lead, -1))
      .reshape(...lead, ...outSize);
  });
}

/**
 * The partial inverse of maxPool1d: values placed at their indices in zeros of [N, C, L_out].
 * @example const [y, i] = F.maxPool1d(x, 2, { returnIndices: true }); F.maxUnpool1d(y, i, 2)
 */
export function maxUnpool1d<F extends DType>(
  input: Tensor<F>,
  indices: Tensor,
  kernelSize: number | readonly [number],
  opts?: MaxUnpoolOptions,
): Tensor<F>;
export function maxUnpool1d(
  input: Tensor,
  indices: Tensor,
  kernelSize: number | readonly [number],
  opts?: MaxUnpoolOptions,
): Tensor {
  return maxUnpool(input, indices, kernelSize, 1, opts);
}
/**
 * The partial inverse of maxPool2d: values placed at their flat h * W + w indices in zeros.
 * @example const [y, i] = F.maxPool2d(x, 2, { returnIndices: true }); F.maxUnpool2d(y, i, 2) // x's shape
 */
export function maxUnpool2d<F extends DType>(
  input: Tensor<F>,
  indices: Tensor,
  kernelSize: number | readonly [number, number],
  opts?: MaxUnpoolOptions,
): Tensor<F>;
export function maxUnpool2d(
  input: Tensor,
  indices: Tensor,
  kernelSize: number | readonly [number, number],
  opts?: MaxUnpoolOptions,
): Tensor {
  return maxUnpool(input, indices, kernelSize, 2, opts);
}
/**
 * The partial inverse of maxPool3d: values placed at their flat d * H * W + h * W + w indices.
 * @example const [y, i] = F.maxPool3d(x, 2, { returnIndices: true }); F.maxUnpool3d(y, i, 2)
 */
export function maxUnpool3d<F extends DType>(
  input: Tensor<F>,
  indices: Tensor,
  kernelSize: Triple,
  opts?: MaxUnpoolOptions,
): Tensor<F>;
export function maxUnpool3d(input: Tensor, indices: Tensor, kernelSize: Triple, opts?: MaxUnpoolOptions): Tensor {
  return maxUnpool(input, indices, kernelSize, 3, opts);
}
