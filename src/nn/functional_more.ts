// More of torch.nn.functional, composed of differentiable tensor ops: scaledDotProductAttention,
// pad, interpolate, pixelShuffle/pixelUnshuffle, rmsNorm and instanceNorm. Re-exported by
// functional.ts.
import { fail } from '../errors.js';
import type { DType } from '../dtype.js';
import { tidy } from '../memory.js';
import { checkOptions, describe, int, intAtLeast, list, num, oneOf } from '../options.js';
import { full, ones, tensor } from '../ops/creation.js';
import { cat } from '../ops/functional.js';
import { Tensor } from '../tensor.js';
import { opMultiN } from '../ops/dispatch.js';
import '../ops/indexing.js';
import '../ops/shaping.js';
import { adaptiveAvgPool2d, dropout } from './functional.js';
import { adaptiveAvgPool3d } from './volumetric.js';

function tensorOf(op: string, name: string, v: unknown): Tensor {
  if (!(v instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: '${name}' must be a Tensor, got ${describe(v)}`);
  return v;
}

/** Options of `scaledDotProductAttention`. */
export interface AttentionOptions {
  /** Added to the scores (float) or where false masks a score out (bool); broadcast to [..., L, S]. */
  attnMask?: Tensor | null;
  /** Dropout on the attention weights (applied only when > 0). Default 0. */
  dropoutP?: number;
  /** Each query attends to keys at its position and before (a lower-triangular mask). */
  isCausal?: boolean;
  /** Multiplies q k^T; default 1 / sqrt(E). */
  scale?: number | null;
}

/**
 * softmax(q k^T * scale + mask) v over query [..., L, E], key [..., S, E], value [..., S, Ev]
 * (torch.nn.functional.scaled_dot_product_attention). Differentiable. Masked-out positions get
 * weight 0; a row with every position masked gives NaN, as PyTorch.
 * @example const y = F.scaledDotProductAttention(q, k, v, { isCausal: true })
 */
export function scaledDotProductAttention<F extends DType>(
  query: Tensor<F>,
  key: Tensor,
  value: Tensor,
  options?: AttentionOptions,
): Tensor<F>;
export function scaledDotProductAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  options?: AttentionOptions,
): Tensor {
  const op = 'scaledDotProductAttention';
  tensorOf(op, 'query', query);
  tensorOf(op, 'key', key);
  tensorOf(op, 'value', value);
  const o = checkOptions(op, options, { attnMask: 'any', dropoutP: 'number', isCausal: 'boolean', scale: 'any' });
  if (query.ndim < 2 || key.ndim < 2 || value.ndim < 2)
    fail('SHAPE_MISMATCH', `${op}: query, key and value need at least 2 dims [..., L, E]`);
  const E = query.shape[query.ndim - 1];
  if (key.shape[key.ndim - 1] !== E)
    fail('SHAPE_MISMATCH', `${op}: query [..., ${E}] and key [${key.shape.join(', ')}] differ in the embedding size`);
  if (key.shape[key.ndim - 2] !== value.shape[value.ndim - 2])
    fail(
      'SHAPE_MISMATCH',
      `${op}: key [${key.shape.join(', ')}] and value [${value.shape.join(', ')}] differ in length`,
    );
  const mask = o.attnMask == null ? null : tensorOf(op, 'attnMask', o.attnMask);
  if (mask && o.isCausal) fail('INVALID_ARGUMENT', `${op}: give attnMask or isCausal, not both`);
  const scale = o.scale == null ? 1 / Math.sqrt(E) : num(op, 'scale', o.scale);
  const p = o.dropoutP ?? 0;
  if (!(p >= 0 && p < 1)) fail('INVALID_ARGUMENT', `${op}: dropoutP must be in [0, 1), got ${describe(p)}`);
  // The fused native kernel (no [L, S] weights stored) when it applies: on the CPU, without
  // dropout, with q, k and v of one shape prefix and a mask that needs no gradient.
  const fused =
    query.device === 'cpu' &&
    p === 0 &&
    query.ndim === key.ndim &&
    query.ndim === value.ndim &&
    query.shape.slice(0, -2).join() === key.shape.slice(0, -2).join() &&
    query.shape.slice(0, -2).join() === value.shape.slice(0, -2).join() &&
    query.dtype === key.dtype &&
    query.dtype === value.dtype &&
    !(mask && mask.requiresGrad);
  if (fused) {
    const hs = [query._h, key._h, value._h];
    if (mask) hs.push(mask._h);
    const [out, lse] = opMultiN('sdpa', [scale, o.isCausal ?? false], hs);
    lse.dispose();
    return out;
  }
  return tidy(() => {
    let scores = query.matmul(key.transpose(-2, -1)).mul(scale);
    const L = query.shape[query.ndim - 2],
      S = key.shape[key.ndim - 2];
    if (o.isCausal) {
      const keep = ones([L, S], { dtype: 'bool', device: query.device }).tril();
      scores = scores.maskedFill(keep.logicalNot(), -Infinity);
    } else if (mask) {
      scores = mask.dtype === 'bool' ? scores.maskedFill(mask.logicalNot(), -Infinity) : scores.add(mask);
    }
    let w = scores.softmax(-1);
    if (p > 0) w = dropout(w, p, true);
    return w.matmul(value);
  });
}

/** How `pad` fills: a constant, the mirror image without the edge, the edge repeated, or wrapping. */
export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

/**
 * Pads the last dims: `pad` lists (before, after) pairs from the last dim backwards, as PyTorch
 * ([left, right, top, bottom] pads W then H). Negative amounts crop. Differentiable.
 * @example F.pad(x, [1, 1, 2, 2], 'reflect')
 */
export function pad<F extends DType>(
  input: Tensor<F>,
  pad: readonly number[],
  mode?: PadMode,
  value?: number,
): Tensor<F>;
export function pad(input: Tensor, padding: readonly number[], mode: PadMode = 'constant', value = 0): Tensor {
  const op = 'pad';
  tensorOf(op, 'input', input);
  const amounts = list(op, 'pad', padding, 2 * 16).map((v) => int(op, 'pad', v));
  if (amounts.length % 2 !== 0 || amounts.length / 2 > input.ndim)
    fail(
      'INVALID_ARGUMENT',
      `${op}: pad must hold (before, after) pairs for at most ${input.ndim} dims, got ${describe(padding)}`,
    );
  const m = oneOf(op, 'mode', mode, ['constant', 'reflect', 'replicate', 'circular'] as const);
  // Any number, as torch's: -Infinity pads for a max (F.pad(x, p, value=-inf)).
  if (typeof value !== 'number') fail('INVALID_ARGUMENT', `${op}: 'value' must be a number, got ${describe(value)}`);
  return tidy(() => {
    let y = input;
    for (let k = 0; k < amounts.length / 2; k++) {
      const d = input.ndim - 1 - k;
      const [before, after] = [amounts[2 * k], amounts[2 * k + 1]];
      const n = y.shape[d];
      if (m === 'constant') {
        if (before < 0) y = y.narrow(d, -before, y.shape[d] + before);
        if (after < 0) y = y.narrow(d, 0, y.shape[d] + after);
        const parts: Tensor[] = [];
        const block = (len: number) => {
          const s = [...y.shape];
          s[d] = len;
          return full(s, value, { dtype: y.dtype, device: y.device });
        };
        if (before > 0) parts.push(block(before));
        parts.push(y);
        if (after > 0) parts.push(block(after));
        y = parts.length > 1 ? cat(parts, d) : y;
        continue;
      }
      if (before < 0 || after < 0) fail('INVALID_ARGUMENT', `${op}: negative padding needs mode 'constant'`);
      if (m === 'reflect' && (before >= n || after >= n))
        fail(
          'INVALID_ARGUMENT',
          `${op}: reflect padding (${before}, ${after}) must be smaller than the dimension size ${n}`,
        );
      if (m === 'circular' && (before > n || after > n))
        fail(
          'INVALID_ARGUMENT',
          `${op}: circular padding (${before}, ${after}) must be at most the dimension size ${n}`,
        );
      if (n === 0) fail('INVALID_ARGUMENT', `${op}: cannot ${m}-pad an empty dimension`);
      const src = (i: number): number => {
        if (i >= 0 && i < n) return i;
        if (m === 'replicate') return i < 0 ? 0 : n - 1;
        if (m === 'circular') return ((i % n) + n) % n;
        return i < 0 ? -i : 2 * (n - 1) - i; // reflect
      };
      const at = Array.from({ length: before + n + after }, (_, j) => src(j - before));
      y = y.indexSelect(d, tensor(at, { dtype: 'int64' }));
    }
    return y === input ? input.clone() : y;
  });
}

/** How `interpolate` resamples (PyTorch's modes). */
export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'trilinear' | 'bicubic' | 'area';
const INTERPOLATE_MODES = ['nearest', 'nearest-exact', 'linear', 'bilinear', 'trilinear', 'bicubic', 'area'] as const;
// The modes tied to one number of spatial dims.
const MODE_DIMS: Partial<Record<InterpolateMode, number>> = { linear: 1, bilinear: 2, trilinear: 3, bicubic: 2 };

/** Options of `interpolate`. */
export interface InterpolateOptions {
  /** The output's spatial size (one number for every spatial dim, or one per dim). */
  size?: number | readonly number[];
  /** Multiplies the spatial size (one factor or one per spatial dim). */
  scaleFactor?: number | readonly number[];
  /**
   * 'nearest' (default, torch's floor rule), 'nearest-exact' (pixel centres), 'linear' (3-D input),
   * 'bilinear' or 'bicubic' (4-D), 'trilinear' (5-D), or 'area' (adaptive average pooling).
   */
  mode?: InterpolateMode;
  /** The linear modes and bicubic: align the corner pixels' centres (PyTorch's align_corners). Default false. */
  alignCorners?: boolean;
  /** Derive the source coordinates from the computed size instead of the given scaleFactor. */
  recomputeScaleFactor?: boolean;
  /**
   * 'bilinear' and 'bicubic': when shrinking, widen the filter by the scale so every input pixel
   * counts (PIL's resize; torchvision's antialiased Resize). Default false.
   */
  antialias?: boolean;
}

// The antialiased resize of one dim as a matrix [m, n] (PyTorch 1.13's _compute_weights_aa): output
// j takes the input pixels within the filter's support around its centre, the filter (triangle,
// or Keys cubic with a = -0.5 as PIL) stretched by the scale when shrinking, weights normalised.
function antialiasMatrix(n: number, m: number, scale: number, cubic: boolean): Float64Array {
  const filter = cubic
    ? (x: number) => {
        const a = -0.5,
          t = Math.abs(x);
        if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
        if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
        return 0;
      }
    : (x: number) => Math.max(0, 1 - Math.abs(x));
  const support = (cubic ? 2 : 1) * (scale >= 1 ? scale : 1);
  const inv = scale >= 1 ? 1 / scale : 1;
  const out = new Float64Array(m * n);
  for (let j = 0; j < m; j++) {
    const centre = scale * (j + 0.5);
    const lo = Math.max(Math.trunc(centre - support + 0.5), 0);
    const hi = Math.min(Math.trunc(centre + support + 0.5), n);
    let total = 0;
    for (let i = lo; i < hi; i++) total += out[j * n + i] = filter((i - centre + 0.5) * inv);
    if (total !== 0) for (let i = lo; i < hi; i++) out[j * n + i] /= total;
  }
  return out;
}

// Cubic convolution weights of the four taps around a fractional offset t (Keys, A = -0.75, as PyTorch).
function cubicWeights(t: number): number[] {
  const A = -0.75;
  const near = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
  const far = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  return [far(t + 1), near(t), near(1 - t), far(2 - t)];
}

/**
 * Resizes the spatial dims of [N, C, ...] (torch.nn.functional.interpolate). Every mode is
 * separable, so it is made of index selections and weighted sums per dim (differentiable); 'area'
 * is adaptive average pooling. Source coordinates follow PyTorch's, including its use of a given
 * scaleFactor instead of the size ratio.
 * @example F.interpolate(img, { scaleFactor: 2, mode: 'bilinear' }); F.interpolate(vol, { size: [8, 32, 32], mode: 'trilinear' })
 */
export function interpolate<F extends DType>(input: Tensor<F>, options: InterpolateOptions): Tensor<F>;
export function interpolate(input: Tensor, options: InterpolateOptions): Tensor {
  const op = 'interpolate';
  tensorOf(op, 'input', input);
  const o = checkOptions(op, options, {
    size: 'any',
    scaleFactor: 'any',
    mode: 'string',
    alignCorners: 'boolean',
    recomputeScaleFactor: 'boolean',
    antialias: 'boolean',
  });
  const mode = oneOf(op, 'mode', o.mode ?? 'nearest', INTERPOLATE_MODES);
  if (o.antialias && mode !== 'bilinear' && mode !== 'bicubic')
    fail('INVALID_ARGUMENT', `${op}: antialias is only supported for the bilinear and bicubic modes, not ${mode}`);
  const sp = input.ndim - 2;
  if (sp < 1) fail('SHAPE_MISMATCH', `${op}: expected [N, C, ...spatial], got [${input.shape.join(', ')}]`);
  const need = MODE_DIMS[mode];
  if (need !== undefined && sp !== need)
    fail('SHAPE_MISMATCH', `${op}: ${mode} needs a ${need + 2}-D input, got [${input.shape.join(', ')}]`);
  if (sp > 3) fail('SHAPE_MISMATCH', `${op}: expected 1 to 3 spatial dims, got [${input.shape.join(', ')}]`);
  if (o.alignCorners !== undefined && need === undefined)
    fail('INVALID_ARGUMENT', `${op}: alignCorners can only be set with the linear modes and bicubic, not ${mode}`);
  if ((o.size == null) === (o.scaleFactor == null))
    fail('INVALID_ARGUMENT', `${op}: give exactly one of size and scaleFactor`);
  const each = (v: number | readonly number[], name: string) => {
    const a = typeof v === 'number' ? Array(sp).fill(v) : list(op, name, v, sp);
    if (a.length !== sp) fail('INVALID_ARGUMENT', `${op}: '${name}' needs ${sp} values, got ${describe(v)}`);
    return a.map((x) => num(op, name, x));
  };
  const inSize = input.shape.slice(2);
  let scales = o.scaleFactor != null ? each(o.scaleFactor, 'scaleFactor') : undefined;
  const outSize =
    o.size != null
      ? each(o.size, 'size').map((s) => intAtLeast(op, 'size', s, 1))
      : inSize.map((s, i) => Math.floor(s * scales![i]));
  outSize.forEach((s) => {
    if (!(s >= 1 && s <= 2 ** 24))
      fail('INVALID_ARGUMENT', `${op}: the output size must be in [1, 2^24], got [${outSize.join(', ')}]`);
  });
  if (o.recomputeScaleFactor) scales = undefined;
  if (inSize.some((n) => n === 0))
    fail('SHAPE_MISMATCH', `${op}: the input's spatial size must be non-zero, got [${inSize.join(', ')}]`);
  if (mode === 'area') return adaptiveAvg(input, outSize);
  const align = o.alignCorners ?? false;
  return tidy(() => {
    let y = input;
    const at = (d: number, idx: number[]) => y.indexSelect(d, tensor(idx, { dtype: 'int64', device: y.device }));
    const weight = (d: number, w: number[]) => {
      const shape = Array(y.ndim).fill(1);
      shape[d] = w.length;
      return tensor(w, { dtype: y.dtype, device: y.device }).reshape(shape);
    };
    for (let k = 0; k < sp; k++) {
      const d = 2 + k,
        n = inSize[k],
        m = outSize[k];
      // PyTorch's source scale: the given scale when one was given (not the size ratio).
      const ratio = scales && scales[k] > 0 ? 1 / scales[k] : n / m;
      const js = Array.from({ length: m }, (_, j) => j);
      if (mode === 'nearest' || mode === 'nearest-exact') {
        // PyTorch computes these indices in float32 (floorf of a float scale).
        const fs = Math.fround(ratio);
        y = at(
          d,
          js.map((j) =>
            Math.min(n - 1, mode === 'nearest' ? Math.floor(Math.fround(j * fs)) : Math.floor((j + 0.5) * fs)),
          ),
        );
        continue;
      }
      const alignScale = m > 1 ? (n - 1) / (m - 1) : 0;
      if (o.antialias) {
        // y along d times the matrix: the dim moved last, a matmul, moved back
        const W = tensor(antialiasMatrix(n, m, align ? alignScale : ratio, mode === 'bicubic'), {
          dtype: y.dtype,
          device: y.device,
        }).reshape([m, n]);
        const last = y.ndim - 1;
        y = y.transpose(d, last).matmul(W.t()).transpose(d, last);
        continue;
      }
      if (mode === 'bicubic') {
        // Four taps around an unclamped source coordinate; taps past an edge read the edge.
        const src = js.map((j) => (align ? alignScale * j : ratio * (j + 0.5) - 0.5));
        const base = src.map(Math.floor);
        const ws = src.map((s, j) => cubicWeights(s - base[j]));
        let acc: Tensor | null = null;
        for (let t = 0; t < 4; t++) {
          const term = at(
            d,
            base.map((b) => Math.min(n - 1, Math.max(0, b - 1 + t))),
          ).mul(
            weight(
              d,
              ws.map((w) => w[t]),
            ),
          );
          acc = acc ? acc.add(term) : term;
        }
        y = acc!;
        continue;
      }
      const lo: number[] = [],
        hi: number[] = [],
        w: number[] = [];
      for (const j of js) {
        const s = align ? alignScale * j : Math.max(0, (j + 0.5) * ratio - 0.5);
        const i0 = Math.min(n - 1, Math.floor(s));
        lo.push(i0);
        hi.push(Math.min(n - 1, i0 + 1));
        w.push(s - i0);
      }
      const a = at(d, lo);
      y = a.add(at(d, hi).sub(a).mul(weight(d, w)));
    }
    return y === input ? input.clone() : y;
  });
}

/** [N, C*r*r, H, W] -> [N, C, H*r, W*r] (torch.nn.functional.pixel_shuffle). @example F.pixelShuffle(x, 2) */
export function pixelShuffle<F extends DType>(input: Tensor<F>, upscaleFactor: number): Tensor<F>;
export function pixelShuffle(input: Tensor, upscaleFactor: number): Tensor {
  const op = 'pixelShuffle';
  tensorOf(op, 'input', input);
  const r = intAtLeast(op, 'upscaleFactor', upscaleFactor, 1);
  if (input.ndim < 3 || input.shape[input.ndim - 3] % (r * r) !== 0)
    fail('SHAPE_MISMATCH', `${op}: expected [..., C*${r * r}, H, W], got [${input.shape.join(', ')}]`);
  const lead = input.shape.slice(0, -3);
  const [C, H, W] = input.shape.slice(-3);
  const c = C / (r * r);
  const b = lead.length;
  return tidy(() =>
    input
      .reshape([...lead, c, r, r, H, W])
      .permute([...lead.map((_, i) => i), b, b + 3, b + 1, b + 4, b + 2])
      .reshape([...lead, c, H * r, W * r]),
  );
}

/** The inverse of pixelShuffle: [N, C, H*r, W*r] -> [N, C*r*r, H, W]. */
export function pixelUnshuffle<F extends DType>(input: Tensor<F>, downscaleFactor: number): Tensor<F>;
export function pixelUnshuffle(input: Tensor, downscaleFactor: number): Tensor {
  const op = 'pixelUnshuffle';
  tensorOf(op, 'input', input);
  const r = intAtLeast(op, 'downscaleFactor', downscaleFactor, 1);
  if (input.ndim < 3 || input.shape[input.ndim - 1] % r !== 0 || input.shape[input.ndim - 2] % r !== 0)
    fail('SHAPE_MISMATCH', `${op}: expected [..., C, H*${r}, W*${r}], got [${input.shape.join(', ')}]`);
  const lead = input.shape.slice(0, -3);
  const [C, H, W] = input.shape.slice(-3);
  const b = lead.length;
  return tidy(() =>
    input
      .reshape([...lead, C, H / r, r, W / r, r])
      .permute([...lead.map((_, i) => i), b, b + 2, b + 4, b + 1, b + 3])
      .reshape([...lead, C * r * r, H / r, W / r]),
  );
}

/**
 * x / sqrt(mean(x^2) + eps) over the last dims of normalizedShape, times weight
 * (torch.nn.functional.rms_norm; eps defaults to the dtype's machine epsilon).
 * @example F.rmsNorm(x, [64], w)
 */
export function rmsNorm<F extends DType>(
  input: Tensor<F>,
  normalizedShape: number | readonly number[],
  weight?: Tensor | null,
  options?: { eps?: number | null },
): Tensor<F>;
export function rmsNorm(
  input: Tensor,
  normalizedShape: number | readonly number[],
  weight?: Tensor | null,
  options?: { eps?: number | null },
): Tensor {
  const op = 'rmsNorm';
  tensorOf(op, 'input', input);
  const shape = (
    typeof normalizedShape === 'number' ? [normalizedShape] : list(op, 'normalizedShape', normalizedShape, 16)
  ).map((s) => intAtLeast(op, 'normalizedShape', s, 1));
  if (input.shape.slice(-shape.length).join() !== shape.join() || shape.length > input.ndim)
    fail('SHAPE_MISMATCH', `${op}: the input [${input.shape.join(', ')}] does not end in [${shape.join(', ')}]`);
  const o = checkOptions(op, options, { eps: 'any' });
  const eps =
    o.eps == null ? (input.dtype === 'float64' ? 2.220446049250313e-16 : 1.1920928955078125e-7) : num(op, 'eps', o.eps);
  const w = weight == null ? null : tensorOf(op, 'weight', weight);
  if (w && w.shape.join() !== shape.join())
    fail(
      'SHAPE_MISMATCH',
      `${op}: weight [${w.shape.join(', ')}] must have the normalized shape [${shape.join(', ')}]`,
    );
  const dims = shape.map((_, i) => input.ndim - shape.length + i);
  return tidy(() => {
    const y = input.mul(input.pow(2).mean(dims, { keepdim: true }).add(eps).rsqrt());
    return w ? y.mul(w) : y;
  });
}

/** Instance norm: each (sample, channel) of [N, C, ...] normalized over its spatial positions. */
export function instanceNorm<F extends DType>(
  input: Tensor<F>,
  weight?: Tensor | null,
  bias?: Tensor | null,
  options?: { eps?: number },
): Tensor<F>;
export function instanceNorm(
  input: Tensor,
  weight?: Tensor | null,
  bias?: Tensor | null,
  options?: { eps?: number },
): Tensor {
  const op = 'instanceNorm';
  tensorOf(op, 'input', input);
  if (input.ndim < 3) fail('SHAPE_MISMATCH', `${op}: expected [N, C, ...spatial], got [${input.shape.join(', ')}]`);
  const eps = num(op, 'eps', checkOptions(op, options, { eps: 'number' }).eps ?? 1e-5);
  const C = input.shape[1];
  const dims = input.shape.slice(2).map((_, i) => i + 2);
  for (const [name, t] of [
    ['weight', weight],
    ['bias', bias],
  ] as const)
    if (t != null && (tensorOf(op, name, t).ndim !== 1 || t.shape[0] !== C))
      fail('SHAPE_MISMATCH', `${op}: ${name} must be [${C}], got [${t.shape.join(', ')}]`);
  return tidy(() => {
    const mean = input.mean(dims, { keepdim: true });
    const varr = input.var(dims, { keepdim: true, correction: 0 });
    let y = input.sub(mean).mul(varr.add(eps).rsqrt());
    const bshape = [1, C, ...dims.map(() => 1)];
    if (weight != null) y = y.mul(weight.reshape(bshape));
    if (bias != null) y = y.add(bias.reshape(bshape));
    return y;
  });
}

// 'area' interpolation: adaptive average pooling over 1 to 3 spatial dims.
function adaptiveAvg(input: Tensor, size: number[]): Tensor {
  if (size.length === 3) return adaptiveAvgPool3d(input, size as [number, number, number]);
  if (size.length === 2) return adaptiveAvgPool2d(input, size as [number, number]);
  return tidy(() => adaptiveAvgPool2d(input.unsqueeze(-2), [1, size[0]]).squeeze(-2));
}
