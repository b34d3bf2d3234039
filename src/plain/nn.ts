// Convolution, pooling and normalization as naive nested loops over NCHW: the reference for the
// native kernels and the "without a framework" baseline.
import { fail } from '../errors.js';
import { bool, checkOptions, describe, intAtLeast, num } from '../options.js';
import { alloc, plainArg, PlainTensor, type PlainArray } from './tensor.js';

// A list of `n` integers >= min (stride, padding, kernel sizes), or INVALID_ARGUMENT.
function ints(op: string, name: string, v: unknown, n: number, min: number): number[] {
  if (!Array.isArray(v) || v.length !== n || !v.every((x) => Number.isSafeInteger(x) && x >= min))
    fail('INVALID_ARGUMENT', `${op}: '${name}' must be ${n} integers >= ${min}, got ${describe(v)}`);
  return v;
}
// A tensor argument with exactly `nd` dims (or at least `nd` when atLeast).
function dims(op: string, name: string, x: unknown, nd: number, atLeast = false): PlainTensor {
  const t = plainArg(op, name, x);
  if (atLeast ? t.ndim < nd : t.ndim !== nd)
    fail(
      'SHAPE_MISMATCH',
      `${op}: '${name}' must have ${atLeast ? 'at least ' : ''}${nd} dims, got [${t.shape.join(', ')}]`,
    );
  return t;
}
// An optional per-channel tensor: null, or `n` elements.
function perChannel(op: string, name: string, t: unknown, n: number): PlainTensor | null {
  if (t === null || t === undefined) return null;
  if (plainArg(op, name, t).numel() !== n)
    fail('SHAPE_MISMATCH', `${op}: '${name}' must have ${n} elements, got [${(t as PlainTensor).shape.join(', ')}]`);
  return t as PlainTensor;
}

function convParams(op: string, p: unknown): Required<PlainConvParams> {
  const o = checkOptions(op, p as PlainConvParams, {
    stride: 'any',
    padding: 'any',
    dilation: 'any',
    groups: 'integer',
  });
  return {
    stride: ints(op, 'stride', o.stride ?? [1, 1], 2, 1) as [number, number],
    padding: ints(op, 'padding', o.padding ?? [0, 0, 0, 0], 4, 0) as [number, number, number, number],
    dilation: ints(op, 'dilation', o.dilation ?? [1, 1], 2, 1) as [number, number],
    groups: intAtLeast(op, 'groups', o.groups ?? 1, 1),
  };
}

// Checks a convolution's operand shapes against each other: x [N, C, H, W], w [O, C/g, kh, kw],
// y [N, O, OH, OW] with OH, OW what the geometry gives. Returns [OH, OW].
function convGeometry(
  op: string,
  xs: readonly number[],
  ws: readonly number[],
  p: Required<PlainConvParams>,
): [number, number] {
  const [, C, H, W] = xs,
    [O, Cg, kh, kw] = ws;
  if (C !== Cg * p.groups || O % p.groups !== 0)
    fail(
      'SHAPE_MISMATCH',
      `${op}: input [${xs.join(', ')}] and weight [${ws.join(', ')}] do not match for groups ${p.groups}`,
    );
  const OH = outSize(H, kh, p.stride[0], p.padding[0], p.padding[2], p.dilation[0]),
    OW = outSize(W, kw, p.stride[1], p.padding[1], p.padding[3], p.dilation[1]);
  if (!(OH > 0 && OW > 0)) fail('SHAPE_MISMATCH', `${op}: the kernel does not fit the padded input [${xs.join(', ')}]`);
  return [OH, OW];
}

/** Convolution geometry: padding is [top, left, bottom, right]. */
export interface PlainConvParams {
  stride?: [number, number];
  padding?: [number, number, number, number];
  dilation?: [number, number];
  groups?: number;
}

function conv(p: PlainConvParams) {
  return { s: p.stride ?? [1, 1], pad: p.padding ?? [0, 0, 0, 0], d: p.dilation ?? [1, 1], g: p.groups ?? 1 };
}

type ConvMode = 'forward' | 'input' | 'weight';

/**
 * The one loop nest of all three convolution references: for every output position and kernel
 * tap it pairs input element xi, weight element wi and output element yi, then
 * forward: y[yi] += x[xi] * w[wi]; input: x[xi] += y[yi] * w[wi]; weight: w[wi] += y[yi] * x[xi].
 */
function convLoop(
  mode: ConvMode,
  x: PlainArray,
  w: PlainArray,
  y: PlainArray,
  xs: number[],
  ws: number[],
  ys: number[],
  params: PlainConvParams,
): void {
  const { s, pad, d, g } = conv(params);
  const [N, C, H, W] = xs,
    [O, Cg, kh, kw] = ws,
    [, , OH, OW] = ys;
  const Og = O / g;
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      const gi = Math.floor(o / Og);
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          const yi = ((n * O + o) * OH + oh) * OW + ow;
          let acc = 0;
          for (let c = 0; c < Cg; c++)
            for (let i = 0; i < kh; i++) {
              const h = oh * s[0] - pad[0] + i * d[0];
              if (h < 0 || h >= H) continue;
              for (let j = 0; j < kw; j++) {
                const ww = ow * s[1] - pad[1] + j * d[1];
                if (ww < 0 || ww >= W) continue;
                const xi = ((n * C + gi * Cg + c) * H + h) * W + ww,
                  wi = ((o * Cg + c) * kh + i) * kw + j;
                if (mode === 'forward') acc += x[xi] * w[wi];
                else if (mode === 'input') x[xi] += y[yi] * w[wi];
                else w[wi] += y[yi] * x[xi];
              }
            }
          if (mode === 'forward') y[yi] += acc;
        }
    }
}

function outSize(inp: number, k: number, s: number, p0: number, p1: number, d: number): number {
  return Math.floor((inp + p0 + p1 - d * (k - 1) - 1) / s) + 1;
}

/** conv2d: x [N, C, H, W], w [O, C/g, kh, kw], bias [O] or null. @example plain.conv2d(x, w, null, { padding: [1, 1, 1, 1] }) */
export function conv2d(
  x: PlainTensor,
  w: PlainTensor,
  bias: PlainTensor | null,
  params: PlainConvParams = {},
): PlainTensor {
  const op = 'conv2d';
  dims(op, 'x', x, 4);
  dims(op, 'w', w, 4);
  params = convParams(op, params);
  convGeometry(op, x.shape, w.shape, params as Required<PlainConvParams>);
  perChannel(op, 'bias', bias, w.shape[0]);
  const { s, pad, d } = conv(params);
  const [N, , H, W] = x.shape,
    [O, , kh, kw] = w.shape;
  const OH = outSize(H, kh, s[0], pad[0], pad[2], d[0]),
    OW = outSize(W, kw, s[1], pad[1], pad[3], d[1]);
  const out = alloc(x.dtype, N * O * OH * OW);
  if (bias) for (let i = 0; i < out.length; i++) out[i] = bias.data[Math.floor(i / (OH * OW)) % O];
  convLoop('forward', x.data, w.data, out, [...x.shape], [...w.shape], [N, O, OH, OW], params);
  return new PlainTensor(out, [N, O, OH, OW], x.dtype);
}

/** The gradient of conv2d with respect to its input ([N, C, H, W]); also the transposed convolution. */
export function conv2dInputGrad(
  gy: PlainTensor,
  w: PlainTensor,
  inputHW: [number, number],
  params: PlainConvParams = {},
): PlainTensor {
  const op = 'conv2dInputGrad';
  dims(op, 'gy', gy, 4);
  dims(op, 'w', w, 4);
  const p = convParams(op, params);
  params = p;
  const hw = ints(op, 'inputHW', inputHW, 2, 1);
  const [OH, OW] = convGeometry(op, [gy.shape[0], w.shape[1] * p.groups, hw[0], hw[1]], w.shape, p);
  if (gy.shape[1] !== w.shape[0] || gy.shape[2] !== OH || gy.shape[3] !== OW)
    fail(
      'SHAPE_MISMATCH',
      `${op}: gy [${gy.shape.join(', ')}] does not match the output [${gy.shape[0]}, ${w.shape[0]}, ${OH}, ${OW}] of that convolution`,
    );
  const [N] = gy.shape,
    C = w.shape[1] * (params.groups ?? 1);
  const out = alloc(gy.dtype, N * C * inputHW[0] * inputHW[1]);
  convLoop('input', out, w.data, gy.data, [N, C, ...inputHW], [...w.shape], [...gy.shape], params);
  return new PlainTensor(out, [N, C, ...inputHW], gy.dtype);
}

/** The gradient of conv2d with respect to a weight of kernel [kh, kw]. */
export function conv2dWeightGrad(
  gy: PlainTensor,
  x: PlainTensor,
  kernel: [number, number],
  params: PlainConvParams = {},
): PlainTensor {
  const op = 'conv2dWeightGrad';
  dims(op, 'gy', gy, 4);
  dims(op, 'x', x, 4);
  const p = convParams(op, params);
  params = p;
  const k = ints(op, 'kernel', kernel, 2, 1);
  if (x.shape[1] % p.groups !== 0)
    fail('SHAPE_MISMATCH', `${op}: groups ${p.groups} must divide the input's ${x.shape[1]} channels`);
  const [OH, OW] = convGeometry(op, x.shape, [gy.shape[1], x.shape[1] / p.groups, k[0], k[1]], p);
  if (gy.shape[0] !== x.shape[0] || gy.shape[2] !== OH || gy.shape[3] !== OW)
    fail(
      'SHAPE_MISMATCH',
      `${op}: gy [${gy.shape.join(', ')}] does not match the convolution of x [${x.shape.join(', ')}]`,
    );
  const O = gy.shape[1],
    Cg = x.shape[1] / (params.groups ?? 1);
  const out = alloc(gy.dtype, O * Cg * kernel[0] * kernel[1]);
  convLoop('weight', x.data, out, gy.data, [...x.shape], [O, Cg, ...kernel], [...gy.shape], params);
  return new PlainTensor(out, [O, Cg, ...kernel], gy.dtype);
}

/** Pooling parameters of the plain pooling loops (kernel, stride, padding, dilation, ceil mode). */
export interface PlainPoolParams {
  kernel: [number, number];
  stride?: [number, number];
  padding?: [number, number];
  dilation?: [number, number];
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

function pooled(inp: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = inp + 2 * p - d * (k - 1) - 1;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= inp + p) out--;
  return out;
}

// The checked pooling parameters; defaults filled in.
function poolParams(op: string, p: unknown, dilation = true): PlainPoolParams {
  const o = checkOptions(op, p as PlainPoolParams, {
    kernel: 'any',
    stride: 'any',
    padding: 'any',
    dilation: 'any',
    ceilMode: 'boolean',
    countIncludePad: 'boolean',
  });
  const kernel = ints(op, 'kernel', o.kernel, 2, 1) as [number, number];
  const out: PlainPoolParams = {
    kernel,
    stride: ints(op, 'stride', o.stride ?? kernel, 2, 1) as [number, number],
    padding: ints(op, 'padding', o.padding ?? [0, 0], 2, 0) as [number, number],
    dilation: ints(op, 'dilation', o.dilation ?? [1, 1], 2, 1) as [number, number],
    ceilMode: o.ceilMode ?? false,
    countIncludePad: o.countIncludePad ?? true,
  };
  if (!dilation && (out.dilation![0] !== 1 || out.dilation![1] !== 1))
    fail('INVALID_ARGUMENT', `${op}: dilation is not supported`);
  if (out.padding!.some((v, i) => 2 * v > kernel[i]))
    fail('INVALID_ARGUMENT', `${op}: padding should be at most half of the kernel size`);
  return out;
}
// Pooled output sizes, each at least 1.
function pooledSizes(op: string, H: number, W: number, p: PlainPoolParams): [number, number] {
  const OH = pooled(H, p.kernel[0], p.stride![0], p.padding![0], p.dilation![0], !!p.ceilMode),
    OW = pooled(W, p.kernel[1], p.stride![1], p.padding![1], p.dilation![1], !!p.ceilMode);
  if (!(OH > 0 && OW > 0)) fail('SHAPE_MISMATCH', `${op}: the kernel does not fit the padded input [${H}, ${W}]`);
  return [OH, OW];
}

function planes(x: PlainTensor): [number, number, number, number[]] {
  const nd = x.ndim;
  const H = x.shape[nd - 2],
    W = x.shape[nd - 1];
  return [x.numel() / (H * W), H, W, x.shape.slice(0, nd - 2) as number[]];
}

/** max pooling: values and flat (h * W + w) indices per plane. */
export function maxPool2d(x: PlainTensor, p: PlainPoolParams): { values: PlainTensor; indices: PlainTensor } {
  dims('maxPool2d', 'x', x, 2, true);
  p = poolParams('maxPool2d', p);
  const [P, H, W, lead] = planes(x);
  pooledSizes('maxPool2d', H, W, p);
  const [kh, kw] = p.kernel,
    s = p.stride ?? p.kernel,
    pad = p.padding ?? [0, 0],
    d = p.dilation ?? [1, 1];
  const OH = pooled(H, kh, s[0], pad[0], d[0], !!p.ceilMode),
    OW = pooled(W, kw, s[1], pad[1], d[1], !!p.ceilMode);
  const vals = alloc(x.dtype, P * OH * OW),
    idx = new Float64Array(P * OH * OW);
  for (let q = 0; q < P; q++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        let best = -Infinity,
          arg = -1;
        for (let i = 0; i < kh; i++) {
          const h = oh * s[0] - pad[0] + i * d[0];
          if (h < 0 || h >= H) continue;
          for (let j = 0; j < kw; j++) {
            const c = ow * s[1] - pad[1] + j * d[1];
            if (c < 0 || c >= W) continue;
            const v = x.data[q * H * W + h * W + c];
            if (v > best || arg < 0) {
              best = v;
              arg = h * W + c;
            }
          }
        }
        vals[(q * OH + oh) * OW + ow] = best;
        idx[(q * OH + oh) * OW + ow] = arg;
      }
  const shape = [...lead, OH, OW];
  return { values: new PlainTensor(vals, shape, x.dtype), indices: new PlainTensor(idx, shape, 'int64') };
}

/** Scatters gy back to the positions max pooling picked. */
export function maxPool2dBackward(gy: PlainTensor, indices: PlainTensor, inputHW: [number, number]): PlainTensor {
  const op = 'maxPool2dBackward';
  dims(op, 'gy', gy, 2, true);
  if (plainArg(op, 'indices', indices).shape.join() !== gy.shape.join())
    fail(
      'SHAPE_MISMATCH',
      `${op}: indices [${indices.shape.join(', ')}] must have gy's shape [${gy.shape.join(', ')}]`,
    );
  const [P, OH, OW, lead] = planes(gy);
  const [H, W] = ints(op, 'inputHW', inputHW, 2, 1);
  for (const v of indices.data)
    if (!(v >= 0 && v < H * W))
      fail('INDEX_OUT_OF_RANGE', `${op}: index ${v} is out of range for an input plane of size ${H * W}`);
  const out = alloc(gy.dtype, P * H * W);
  for (let q = 0; q < P; q++)
    for (let o = 0; o < OH * OW; o++) out[q * H * W + indices.data[q * OH * OW + o]] += gy.data[q * OH * OW + o];
  return new PlainTensor(out, [...lead, H, W], gy.dtype);
}

function avgBox(p: PlainPoolParams, H: number, W: number, oh: number, ow: number) {
  const s = p.stride ?? p.kernel,
    pad = p.padding ?? [0, 0];
  const h0 = oh * s[0] - pad[0],
    w0 = ow * s[1] - pad[1];
  const h1 = Math.min(h0 + p.kernel[0], H + pad[0]),
    w1 = Math.min(w0 + p.kernel[1], W + pad[1]);
  const padded = (h1 - h0) * (w1 - w0);
  const b = { h0: Math.max(h0, 0), h1: Math.min(h1, H), w0: Math.max(w0, 0), w1: Math.min(w1, W) };
  const n = (p.countIncludePad ?? true) ? padded : (b.h1 - b.h0) * (b.w1 - b.w0);
  return { ...b, n };
}

function avgSizes(op: string, x: PlainTensor, p: PlainPoolParams, inputHW?: [number, number]) {
  dims(op, 'x', x, 2, true);
  const [P, h, w, lead] = planes(x);
  const [H, W] = inputHW === undefined ? [h, w] : ints(op, 'inputHW', inputHW, 2, 1);
  const [OH, OW] = pooledSizes(op, H, W, p);
  if (inputHW !== undefined && (OH !== h || OW !== w))
    fail(
      'SHAPE_MISMATCH',
      `${op}: gy [${x.shape.join(', ')}] does not match the pooled size [${OH}, ${OW}] of [${H}, ${W}]`,
    );
  return { P, H, W, OH, OW, lead };
}

/** Average pooling (countIncludePad: divide by the padded window, PyTorch's default). */
export function avgPool2d(x: PlainTensor, p: PlainPoolParams): PlainTensor {
  p = poolParams('avgPool2d', p, false);
  const { P, H, W, OH, OW, lead } = avgSizes('avgPool2d', x, p);
  const out = alloc(x.dtype, P * OH * OW);
  for (let q = 0; q < P; q++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        const b = avgBox(p, H, W, oh, ow);
        let acc = 0;
        for (let h = b.h0; h < b.h1; h++) for (let c = b.w0; c < b.w1; c++) acc += x.data[q * H * W + h * W + c];
        out[(q * OH + oh) * OW + ow] = b.n > 0 ? acc / b.n : 0;
      }
  return new PlainTensor(out, [...lead, OH, OW], x.dtype);
}

/** The gradient of avgPool2d for an input of size inputHW. */
export function avgPool2dBackward(gy: PlainTensor, inputHW: [number, number], p: PlainPoolParams): PlainTensor {
  p = poolParams('avgPool2dBackward', p, false);
  const { P, H, W, OH, OW } = avgSizes('avgPool2dBackward', gy, p, inputHW);
  const out = alloc(gy.dtype, P * H * W);
  for (let q = 0; q < P; q++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        const b = avgBox(p, H, W, oh, ow);
        if (b.n === 0) continue;
        const v = gy.data[(q * OH + oh) * OW + ow] / b.n;
        for (let h = b.h0; h < b.h1; h++) for (let c = b.w0; c < b.w1; c++) out[q * H * W + h * W + c] += v;
      }
  return new PlainTensor(out, [...gy.shape.slice(0, -2), H, W], gy.dtype);
}

const start = (i: number, inp: number, out: number) => Math.floor((i * inp) / out);
const end = (i: number, inp: number, out: number) => Math.ceil(((i + 1) * inp) / out);

/** Adaptive average pooling to [OH, OW]. */
export function adaptiveAvgPool2d(x: PlainTensor, size: [number, number]): PlainTensor {
  dims('adaptiveAvgPool2d', 'x', x, 2, true);
  const [P, H, W, lead] = planes(x);
  const [OH, OW] = ints('adaptiveAvgPool2d', 'size', size, 2, 1);
  if (H === 0 || W === 0)
    fail('SHAPE_MISMATCH', `adaptiveAvgPool2d: input [${x.shape.join(', ')}] has an empty spatial dimension`);
  const out = alloc(x.dtype, P * OH * OW);
  for (let q = 0; q < P; q++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        const h0 = start(oh, H, OH),
          h1 = end(oh, H, OH),
          w0 = start(ow, W, OW),
          w1 = end(ow, W, OW);
        let acc = 0;
        for (let h = h0; h < h1; h++) for (let c = w0; c < w1; c++) acc += x.data[q * H * W + h * W + c];
        out[(q * OH + oh) * OW + ow] = acc / ((h1 - h0) * (w1 - w0));
      }
  return new PlainTensor(out, [...lead, OH, OW], x.dtype);
}

/** The gradient of adaptiveAvgPool2d for an input of size inputHW. */
export function adaptiveAvgPool2dBackward(gy: PlainTensor, inputHW: [number, number]): PlainTensor {
  dims('adaptiveAvgPool2dBackward', 'gy', gy, 2, true);
  const [P, OH, OW, lead] = planes(gy);
  const [H, W] = ints('adaptiveAvgPool2dBackward', 'inputHW', inputHW, 2, 1);
  const out = alloc(gy.dtype, P * H * W);
  for (let q = 0; q < P; q++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        const h0 = start(oh, H, OH),
          h1 = end(oh, H, OH),
          w0 = start(ow, W, OW),
          w1 = end(ow, W, OW);
        const v = gy.data[(q * OH + oh) * OW + ow] / ((h1 - h0) * (w1 - w0));
        for (let h = h0; h < h1; h++) for (let c = w0; c < w1; c++) out[q * H * W + h * W + c] += v;
      }
  return new PlainTensor(out, [...lead, H, W], gy.dtype);
}

/**
 * Normalizes x over groups of elements: `groupOf(i)` names the statistics group of flat element
 * i; each group is shifted to mean 0 and scaled to variance 1 (biased), then `affine(i, v)`.
 */
function normalize(
  x: PlainTensor,
  groups: number,
  groupOf: (i: number) => number,
  eps: number,
  affine: (i: number, v: number) => number,
): PlainTensor {
  const sum = new Float64Array(groups),
    sq = new Float64Array(groups),
    cnt = new Float64Array(groups);
  for (let i = 0; i < x.numel(); i++) {
    const g = groupOf(i);
    sum[g] += x.data[i];
    cnt[g]++;
  }
  for (let i = 0; i < x.numel(); i++) {
    const g = groupOf(i);
    const dlt = x.data[i] - sum[g] / cnt[g];
    sq[g] += dlt * dlt;
  }
  const out = alloc(x.dtype, x.numel());
  for (let i = 0; i < x.numel(); i++) {
    const g = groupOf(i);
    out[i] = affine(i, (x.data[i] - sum[g] / cnt[g]) / Math.sqrt(sq[g] / cnt[g] + eps));
  }
  return new PlainTensor(out, x.shape, x.dtype);
}

/** Batch normalization with batch statistics (training mode) over [N, C, ...]. */
export function batchNorm(
  x: PlainTensor,
  weight: PlainTensor | null,
  bias: PlainTensor | null,
  eps = 1e-5,
): PlainTensor {
  dims('batchNorm', 'x', x, 2, true);
  perChannel('batchNorm', 'weight', weight, x.shape[1]);
  perChannel('batchNorm', 'bias', bias, x.shape[1]);
  num('batchNorm', 'eps', eps);
  const C = x.shape[1],
    inner = x.numel() / (x.shape[0] * C);
  const ch = (i: number) => Math.floor(i / inner) % C;
  return normalize(x, C, ch, eps, (i, v) => v * (weight ? weight.data[ch(i)] : 1) + (bias ? bias.data[ch(i)] : 0));
}

/** Batch normalization with given statistics (eval mode): (x - mean[c]) / sqrt(var[c] + eps) w + b. */
export function batchNormInference(
  x: PlainTensor,
  weight: PlainTensor | null,
  bias: PlainTensor | null,
  mean: PlainTensor,
  variance: PlainTensor,
  eps = 1e-5,
): PlainTensor {
  const op = 'batchNormInference';
  dims(op, 'x', x, 2, true);
  const C = x.shape[1],
    inner = x.numel() / (x.shape[0] * C);
  perChannel(op, 'weight', weight, C);
  perChannel(op, 'bias', bias, C);
  for (const [k, t] of Object.entries({ mean, variance }))
    if (!perChannel(op, k, t, C)) fail('INVALID_ARGUMENT', `${op}: '${k}' is required`);
  num(op, 'eps', eps);
  const out = alloc(x.dtype, x.numel());
  for (let i = 0; i < x.numel(); i++) {
    const c = Math.floor(i / inner) % C;
    const v = (x.data[i] - mean.data[c]) / Math.sqrt(variance.data[c] + eps);
    out[i] = v * (weight ? weight.data[c] : 1) + (bias ? bias.data[c] : 0);
  }
  return new PlainTensor(out, x.shape, x.dtype);
}

/**
 * The gradients of batch normalization [dx, dw, db] from g, given the statistics used (the
 * batch's biased ones in training): db = sum g, dw = sum g xhat, and dx by the chain rule through
 * the mean and variance in training, w g / sqrt(var + eps) otherwise.
 */
export function batchNormBackward(
  g: PlainTensor,
  x: PlainTensor,
  weight: PlainTensor,
  mean: PlainTensor,
  variance: PlainTensor,
  training: boolean,
  eps = 1e-5,
): PlainTensor[] {
  const op = 'batchNormBackward';
  dims(op, 'x', x, 2, true);
  plainArg(op, 'g', g);
  if (g.shape.join() !== x.shape.join())
    fail('SHAPE_MISMATCH', `${op}: g [${g.shape.join(', ')}] must have x's shape [${x.shape.join(', ')}]`);
  const C = x.shape[1],
    inner = x.numel() / (x.shape[0] * C),
    M = x.numel() / C;
  for (const [k, t] of Object.entries({ weight, mean, variance }))
    if (!perChannel(op, k, t, C)) fail('INVALID_ARGUMENT', `${op}: '${k}' is required`);
  bool(op, 'training', training);
  num(op, 'eps', eps);
  const ch = (i: number) => Math.floor(i / inner) % C;
  const inv = Array.from({ length: C }, (_, c) => 1 / Math.sqrt(variance.data[c] + eps));
  const xhat = (i: number) => (x.data[i] - mean.data[ch(i)]) * inv[ch(i)];
  const sg = new Float64Array(C),
    sgx = new Float64Array(C);
  for (let i = 0; i < x.numel(); i++) {
    sg[ch(i)] += g.data[i];
    sgx[ch(i)] += g.data[i] * xhat(i);
  }
  const dx = alloc(x.dtype, x.numel());
  for (let i = 0; i < x.numel(); i++) {
    const c = ch(i),
      k = weight.data[c] * inv[c];
    dx[i] = training ? k * (g.data[i] - sg[c] / M - (xhat(i) * sgx[c]) / M) : k * g.data[i];
  }
  const perC = (v: Float64Array) => {
    const out = alloc(x.dtype, C);
    out.set(v);
    return new PlainTensor(out, [C], x.dtype);
  };
  return [new PlainTensor(dx, x.shape, x.dtype), perC(sgx), perC(sg)];
}

/** Layer normalization over the trailing `normalized` elements. */
export function layerNorm(
  x: PlainTensor,
  normalized: number,
  weight: PlainTensor | null,
  bias: PlainTensor | null,
  eps = 1e-5,
): PlainTensor {
  plainArg('layerNorm', 'x', x);
  if (intAtLeast('layerNorm', 'normalized', normalized, 1) && x.numel() % normalized !== 0)
    fail('SHAPE_MISMATCH', `layerNorm: ${normalized} does not divide the ${x.numel()} elements`);
  perChannel('layerNorm', 'weight', weight, normalized);
  perChannel('layerNorm', 'bias', bias, normalized);
  num('layerNorm', 'eps', eps);
  return normalize(
    x,
    x.numel() / normalized,
    (i) => Math.floor(i / normalized),
    eps,
    (i, v) => v * (weight ? weight.data[i % normalized] : 1) + (bias ? bias.data[i % normalized] : 0),
  );
}

/**
 * The gradients of layerNorm over the trailing `normalized` elements by the chain rule, given each
 * row's mean and rstd = 1 / sqrt(biased variance + eps): with xhat = (x - mean) rstd and gh = g w,
 * dx = rstd (gh - mean(gh) - xhat mean(gh xhat)), dw = sum over rows of g xhat, db = sum of g.
 * Returns [dx, dw, db] (dw null without a weight).
 */
export function layerNormBackward(
  g: PlainTensor,
  x: PlainTensor,
  normalized: number,
  weight: PlainTensor | null,
  mean: PlainTensor,
  rstd: PlainTensor,
): [PlainTensor, PlainTensor | null, PlainTensor] {
  const op = 'layerNormBackward';
  plainArg(op, 'x', x);
  plainArg(op, 'g', g);
  if (g.shape.join() !== x.shape.join())
    fail('SHAPE_MISMATCH', `${op}: g [${g.shape.join(', ')}] must have x's shape [${x.shape.join(', ')}]`);
  if (intAtLeast(op, 'normalized', normalized, 1) && x.numel() % normalized !== 0)
    fail('SHAPE_MISMATCH', `${op}: ${normalized} does not divide the ${x.numel()} elements`);
  const N = normalized,
    M = x.numel() / N;
  perChannel(op, 'weight', weight, N);
  for (const [k, t] of Object.entries({ mean, rstd }))
    if (!perChannel(op, k, t, M)) fail('INVALID_ARGUMENT', `${op}: '${k}' is required`);
  const dx = alloc(x.dtype, x.numel());
  const dw = new Float64Array(N),
    db = new Float64Array(N);
  for (let r = 0; r < M; r++) {
    const xhat = (j: number) => (x.data[r * N + j] - mean.data[r]) * rstd.data[r];
    const gh = (j: number) => g.data[r * N + j] * (weight ? weight.data[j] : 1);
    let s1 = 0,
      s2 = 0;
    for (let j = 0; j < N; j++) {
      s1 += gh(j);
      s2 += gh(j) * xhat(j);
      dw[j] += g.data[r * N + j] * xhat(j);
      db[j] += g.data[r * N + j];
    }
    for (let j = 0; j < N; j++) dx[r * N + j] = rstd.data[r] * (gh(j) - s1 / N - (xhat(j) * s2) / N);
  }
  const perN = (v: Float64Array) => {
    const out = alloc(x.dtype, N);
    out.set(v);
    return new PlainTensor(out, [N], x.dtype);
  };
  return [new PlainTensor(dx, x.shape, x.dtype), weight ? perN(dw) : null, perN(db)];
}

/** Group normalization of [N, C, ...] in `numGroups` channel groups. */
export function groupNorm(
  x: PlainTensor,
  numGroups: number,
  weight: PlainTensor | null,
  bias: PlainTensor | null,
  eps = 1e-5,
): PlainTensor {
  dims('groupNorm', 'x', x, 2, true);
  if (x.shape[1] % intAtLeast('groupNorm', 'numGroups', numGroups, 1) !== 0)
    fail('INVALID_ARGUMENT', `groupNorm: ${numGroups} groups do not divide ${x.shape[1]} channels`);
  perChannel('groupNorm', 'weight', weight, x.shape[1]);
  perChannel('groupNorm', 'bias', bias, x.shape[1]);
  num('groupNorm', 'eps', eps);
  const C = x.shape[1],
    inner = x.numel() / (x.shape[0] * C),
    per = (C / numGroups) * inner;
  const ch = (i: number) => Math.floor(i / inner) % C;
  return normalize(
    x,
    x.numel() / per,
    (i) => Math.floor(i / per),
    eps,
    (i, v) => v * (weight ? weight.data[ch(i)] : 1) + (bias ? bias.data[ch(i)] : 0),
  );
}

// Checks q, k, v (and g, the mask) for the plain attention: PlainTensors of matching head shapes.
function checkAttention(
  op: string,
  q: unknown,
  k: unknown,
  v: unknown,
  scale: unknown,
  causal: unknown,
  mask?: unknown,
): void {
  const [pq, pk, pv] = [plainArg(op, 'q', q), plainArg(op, 'k', k), plainArg(op, 'v', v)];
  num(op, 'scale', scale);
  if (typeof causal !== 'boolean') fail('INVALID_ARGUMENT', `${op}: causal must be a boolean, got ${describe(causal)}`);
  const lead = (t: PlainTensor) => t.shape.slice(0, -2).join();
  if (pq.ndim < 2 || pk.ndim !== pq.ndim || pv.ndim !== pq.ndim || lead(pq) !== lead(pk) || lead(pq) !== lead(pv))
    fail(
      'SHAPE_MISMATCH',
      `${op}: q, k and v must be [..., L, E], [..., S, E] and [..., S, Ev] with the same leading dims`,
    );
  if (pk.shape[pk.ndim - 1] !== pq.shape[pq.ndim - 1] || pv.shape[pv.ndim - 2] !== pk.shape[pk.ndim - 2])
    fail(
      'SHAPE_MISMATCH',
      `${op}: q [${pq.shape.join(', ')}], k [${pk.shape.join(', ')}] and v [${pv.shape.join(', ')}] do not fit`,
    );
  if (mask !== undefined) {
    const m = plainArg(op, 'mask', mask);
    const want = [...pq.shape.slice(0, -1), pk.shape[pk.ndim - 2]];
    if (m.shape.join() !== want.join())
      fail('SHAPE_MISMATCH', `${op}: the mask must be [${want.join(', ')}], got [${m.shape.join(', ')}]`);
  }
}

// q [..., L, E] as N = prod(leading) heads of [L, E].
function heads(x: PlainTensor): { N: number; rows: number; cols: number } {
  const rows = x.shape[x.ndim - 2],
    cols = x.shape[x.ndim - 1];
  return { N: x.numel() / Math.max(rows * cols, 1), rows, cols };
}

// The full weight matrix of head n: P[i][j] = softmax_j(scale q_i . k_j + mask), causal above the diagonal masked.
function attentionWeights(
  q: PlainTensor,
  k: PlainTensor,
  n: number,
  scale: number,
  causal: boolean,
  mask?: PlainTensor,
): { P: number[][]; lse: number[] } {
  const { rows: L, cols: E } = heads(q);
  const S = k.shape[k.ndim - 2];
  const P: number[][] = [],
    lse: number[] = [];
  for (let i = 0; i < L; i++) {
    const s: number[] = [];
    for (let j = 0; j < S; j++) {
      let v = 0;
      for (let e = 0; e < E; e++) v += q.data[(n * L + i) * E + e] * k.data[(n * S + j) * E + e];
      v *= scale;
      if (mask) v += mask.data[(n * L + i) * S + j];
      if (causal && j > i) v = -Infinity;
      s.push(v);
    }
    const m = Math.max(...s);
    const l = s.reduce((a, v) => a + Math.exp(v - m), 0);
    P.push(s.map((v) => Math.exp(v - m) / l));
    lse.push(m + Math.log(l));
  }
  return { P, lse };
}

/**
 * softmax(q k^T scale + mask) v per head, and each row's log-sum-exp, with the weights stored: the
 * reference for the fused attention kernel. mask: additive, already [..., L, S].
 */
export function scaledDotProductAttention(
  q: PlainTensor,
  k: PlainTensor,
  v: PlainTensor,
  scale: number,
  causal = false,
  mask?: PlainTensor,
): [PlainTensor, PlainTensor] {
  checkAttention('scaledDotProductAttention', q, k, v, scale, causal, mask);
  const { N, rows: L } = heads(q);
  const S = k.shape[k.ndim - 2],
    Ev = v.shape[v.ndim - 1];
  const out = alloc(q.dtype, N * L * Ev),
    lse = alloc(q.dtype, N * L);
  for (let n = 0; n < N; n++) {
    const w = attentionWeights(q, k, n, scale, causal, mask);
    for (let i = 0; i < L; i++) {
      lse[n * L + i] = w.lse[i];
      for (let e = 0; e < Ev; e++) {
        let a = 0;
        for (let j = 0; j < S; j++) a += w.P[i][j] * v.data[(n * S + j) * Ev + e];
        out[(n * L + i) * Ev + e] = a;
      }
    }
  }
  return [
    new PlainTensor(out, [...q.shape.slice(0, -1), Ev], q.dtype),
    new PlainTensor(lse, q.shape.slice(0, -1), q.dtype),
  ];
}

/** The gradients of scaledDotProductAttention for q, k and v, from the full weight matrices. */
export function scaledDotProductAttentionBackward(
  g: PlainTensor,
  q: PlainTensor,
  k: PlainTensor,
  v: PlainTensor,
  scale: number,
  causal = false,
  mask?: PlainTensor,
): [PlainTensor, PlainTensor, PlainTensor] {
  const op = 'scaledDotProductAttentionBackward';
  checkAttention(op, q, k, v, scale, causal, mask);
  const gt = plainArg(op, 'g', g);
  const want = [...q.shape.slice(0, -1), v.shape[v.ndim - 1]];
  if (gt.shape.join() !== want.join())
    fail('SHAPE_MISMATCH', `${op}: g must be [${want.join(', ')}], got [${gt.shape.join(', ')}]`);
  const { N, rows: L, cols: E } = heads(q);
  const S = k.shape[k.ndim - 2],
    Ev = v.shape[v.ndim - 1];
  const dq = alloc(q.dtype, q.numel()),
    dk = alloc(q.dtype, k.numel()),
    dv = alloc(q.dtype, v.numel());
  for (let n = 0; n < N; n++) {
    const { P } = attentionWeights(q, k, n, scale, causal, mask);
    for (let i = 0; i < L; i++) {
      const dP: number[] = [];
      for (let j = 0; j < S; j++) {
        let a = 0;
        for (let e = 0; e < Ev; e++) a += g.data[(n * L + i) * Ev + e] * v.data[(n * S + j) * Ev + e];
        dP.push(a);
      }
      const rowsum = P[i].reduce((a, p, j) => a + p * dP[j], 0);
      for (let j = 0; j < S; j++) {
        const ds = P[i][j] * (dP[j] - rowsum) * scale;
        for (let e = 0; e < E; e++) {
          dq[(n * L + i) * E + e] += ds * k.data[(n * S + j) * E + e];
          dk[(n * S + j) * E + e] += ds * q.data[(n * L + i) * E + e];
        }
        for (let e = 0; e < Ev; e++) dv[(n * S + j) * Ev + e] += P[i][j] * g.data[(n * L + i) * Ev + e];
      }
    }
  }
  return [
    new PlainTensor(dq, q.shape, q.dtype),
    new PlainTensor(dk, k.shape, q.dtype),
    new PlainTensor(dv, v.shape, q.dtype),
  ];
}

/** Options of the plain crossEntropy (as the native op's): reduction 'mean' by default. */
export interface PlainCrossEntropyOptions {
  weight?: PlainTensor | null;
  ignoreIndex?: number;
  labelSmoothing?: number;
  reduction?: 'none' | 'mean' | 'sum';
  /** false: x holds log-probabilities (nllLoss). Default true. */
  fromLogits?: boolean;
}

// Per position p of x [N, C, ...] (or [C]): the coefficients a_c with loss_p = sum_c a_c logp_c,
// logp (the log-softmax, or x itself), and the target weight w_t (0 where ignored).
function crossEntropyTerms(op: string, x: PlainTensor, t: PlainTensor, opts: PlainCrossEntropyOptions) {
  const o = checkOptions(op, opts, {
    weight: 'any',
    ignoreIndex: 'integer',
    labelSmoothing: 'number',
    reduction: 'string',
    fromLogits: 'boolean',
  });
  const xt = plainArg(op, 'x', x),
    tt = plainArg(op, 'target', t);
  const C = xt.ndim === 1 ? xt.shape[0] : xt.shape[1];
  const N = xt.ndim === 1 ? 1 : xt.shape[0];
  const S = xt.ndim <= 2 ? 1 : xt.shape.slice(2).reduce((a, b) => a * b, 1);
  if (tt.numel() !== N * S) fail('SHAPE_MISMATCH', `${op}: target has ${tt.numel()} positions, x ${N * S}`);
  const e = o.labelSmoothing ?? 0,
    ignore = o.ignoreIndex ?? -100;
  const w = (c: number) => (o.weight ? Number(o.weight.data[c]) : 1);
  const at = (n: number, c: number, s: number) => (n * C + c) * S + s;
  const terms: { idx: number[]; logp: number[]; a: number[]; wt: number }[] = [];
  for (let n = 0; n < N; n++)
    for (let s = 0; s < S; s++) {
      const idx = Array.from({ length: C }, (_, c) => at(n, c, s));
      const xs = idx.map((i) => Number(xt.data[i]));
      const target = Number(tt.data[n * S + s]);
      if (target !== ignore && (target < 0 || target >= C))
        fail('INDEX_OUT_OF_RANGE', `${op}: target ${target} is out of bounds for ${C} classes`);
      let logp = xs;
      if (o.fromLogits ?? true) {
        const m = Math.max(...xs);
        const lse = m + Math.log(xs.reduce((acc, v) => acc + Math.exp(v - m), 0));
        logp = xs.map((v) => v - lse);
      }
      const ignored = target === ignore;
      const a = xs.map((_, c) => (ignored ? 0 : -((c === target ? (1 - e) * w(target) : 0) + (e / C) * w(c))));
      terms.push({ idx, logp, a, wt: ignored ? 0 : w(target) });
    }
  return { xt, tt, terms, fromLogits: o.fromLogits ?? true, reduction: o.reduction ?? 'mean' };
}

/**
 * Cross-entropy over class indices by its definition (the reference for the fused native op):
 * loss_p = -(1 - e) w_t logp_t - (e / C) sum_c w_c logp_c; mean divides by sum w_t.
 */
export function crossEntropy(x: PlainTensor, target: PlainTensor, o: PlainCrossEntropyOptions = {}): PlainTensor {
  const { xt, tt, terms, reduction } = crossEntropyTerms('crossEntropy', x, target, o);
  const losses = terms.map(({ logp, a }) => a.reduce((acc, ac, c) => acc + ac * logp[c], 0));
  const total = losses.reduce((p, q) => p + q, 0);
  const wsum = terms.reduce((p, q) => p + q.wt, 0);
  const vals = reduction === 'none' ? losses : [reduction === 'sum' ? total : total / wsum];
  const out = alloc(xt.dtype, vals.length);
  vals.forEach((v, i) => (out[i] = v));
  return new PlainTensor(out, reduction === 'none' ? tt.shape : [], xt.dtype);
}

/** d crossEntropy / d x by the chain rule through logp: d logp_c / d x_j = [c == j] - p_j. */
export function crossEntropyBackward(
  g: PlainTensor,
  x: PlainTensor,
  target: PlainTensor,
  o: PlainCrossEntropyOptions = {},
): PlainTensor {
  const { xt, terms, fromLogits, reduction } = crossEntropyTerms('crossEntropyBackward', x, target, o);
  const wsum = terms.reduce((p, q) => p + q.wt, 0);
  const out = alloc(xt.dtype, xt.numel());
  terms.forEach(({ idx, logp, a }, p) => {
    const s =
      reduction === 'none' ? Number(g.data[p]) : reduction === 'sum' ? Number(g.data[0]) : Number(g.data[0]) / wsum;
    const asum = a.reduce((acc, v) => acc + v, 0);
    idx.forEach((i, j) => {
      out[i] = s * (fromLogits ? a[j] - Math.exp(logp[j]) * asum : a[j]);
    });
  });
  return new PlainTensor(out, xt.shape, xt.dtype);
}
