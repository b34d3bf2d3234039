// Image transforms as plain loops: the reference for the native image kernels (native/src/cpu/
// image.cpp), written with the same arithmetic in the same order, in double, rounded to the
// image's dtype where the kernel stores.
import { fail } from '../errors.js';
import { describe } from '../options.js';
import { alloc, castValue, plainArg, PlainTensor } from './tensor.js';

function image(op: string, x: unknown, minDims: number, floating: boolean): PlainTensor {
  const t = plainArg(op, 'x', x);
  if (t.ndim < minDims)
    fail('SHAPE_MISMATCH', `${op}: expected an image with ${minDims} or more dims, got [${t.shape.join(', ')}]`);
  if (floating && t.dtype !== 'float32' && t.dtype !== 'float64')
    fail('DTYPE_MISMATCH', `${op}: the reference takes float32 or float64 images, got ${t.dtype}`);
  return t;
}

// Rounds a double the way the kernel's store into the image's dtype does.
const storeAs = (dtype: string) => (dtype === 'float32' ? Math.fround : (v: number) => v);

/** out[..., y, x] = x[..., top + y, left + x] inside the image, else fill. */
export function imageCrop(x: PlainTensor, top: number, left: number, h: number, w: number, fill = 0): PlainTensor {
  const t = image('imageCrop', x, 2, false);
  for (const [name, v] of Object.entries({ top, left, h, w }))
    if (!Number.isSafeInteger(v) || ((name === 'h' || name === 'w') && v < 1))
      fail(
        'INVALID_ARGUMENT',
        `imageCrop: ${name} must be an integer${name.length === 1 ? ' >= 1' : ''}, got ${describe(v)}`,
      );
  const nd = t.ndim,
    H = t.shape[nd - 2],
    W = t.shape[nd - 1];
  const P = t.numel() / (H * W || 1) || t.shape.slice(0, nd - 2).reduce((a, b) => a * b, 1);
  const out = alloc(t.dtype, P * h * w);
  const f = castValue(fill, t.dtype);
  for (let p = 0; p < P; p++)
    for (let y = 0; y < h; y++)
      for (let c = 0; c < w; c++) {
        const sy = top + y,
          sx = left + c;
        out[(p * h + y) * w + c] = sy >= 0 && sy < H && sx >= 0 && sx < W ? t.data[(p * H + sy) * W + sx] : f;
      }
  return new PlainTensor(out, [...t.shape.slice(0, nd - 2), h, w], t.dtype);
}

/** Each row (last dim) reversed. */
export function imageHflip(x: PlainTensor): PlainTensor {
  const t = image('imageHflip', x, 1, false);
  const W = t.shape[t.ndim - 1];
  const out = alloc(t.dtype, t.numel());
  for (let r = 0; r < t.numel() / (W || 1); r++) for (let c = 0; c < W; c++) out[r * W + c] = t.data[r * W + W - 1 - c];
  return new PlainTensor(out, t.shape, t.dtype);
}

/** (x - mean[c]) / std[c] over the channel dim (-3), in the image's dtype. */
export function imageNormalize(x: PlainTensor, mean: readonly number[], std: readonly number[]): PlainTensor {
  const t = image('imageNormalize', x, 3, true);
  const nd = t.ndim,
    C = t.shape[nd - 3],
    S = t.shape[nd - 2] * t.shape[nd - 1];
  const r = storeAs(t.dtype);
  const out = alloc(t.dtype, t.numel());
  for (let i = 0; i < t.numel(); i++) {
    const c = Math.floor(i / S) % C;
    const m = r(mean.length === 1 ? mean[0] : mean[c]),
      s = r(std.length === 1 ? std[0] : std[c]);
    out[i] = r(r(t.data[i] - m) / s);
  }
  return new PlainTensor(out, t.shape, t.dtype);
}

// The two source indices of each output coordinate and the second one's weight (align_corners false).
function taps(inp: number, outp: number): [number, number, number][] {
  const scale = inp / outp;
  return Array.from({ length: outp }, (_, o) => {
    const src = Math.max((o + 0.5) * scale - 0.5, 0);
    const i0 = Math.min(Math.trunc(src), inp - 1);
    return [i0, Math.min(i0 + 1, inp - 1), src - i0];
  });
}

/** Bilinear resize of the last two dims to [h, w] (align_corners false, no antialias). */
export function imageResize(x: PlainTensor, h: number, w: number): PlainTensor {
  const t = image('imageResize', x, 2, true);
  const nd = t.ndim,
    H = t.shape[nd - 2],
    W = t.shape[nd - 1];
  const P = t.numel() / (H * W);
  const ty = taps(H, h),
    tx = taps(W, w);
  const out = alloc(t.dtype, P * h * w);
  const d = t.data;
  for (let p = 0; p < P; p++)
    for (let y = 0; y < h; y++) {
      const [a0, a1, wy] = ty[y];
      for (let c = 0; c < w; c++) {
        const [b0, b1, wx] = tx[c];
        const top = (1 - wx) * d[(p * H + a0) * W + b0] + wx * d[(p * H + a0) * W + b1];
        const bot = (1 - wx) * d[(p * H + a1) * W + b0] + wx * d[(p * H + a1) * W + b1];
        out[(p * h + y) * w + c] = (1 - wy) * top + wy * bot;
      }
    }
  return new PlainTensor(out, [...t.shape.slice(0, nd - 2), h, w], t.dtype);
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

// torchvision's _rgb2hsv, the hue shift and _hsv2rgb for one pixel.
function shiftHue(r: number, g: number, b: number, hue: number): [number, number, number] {
  const maxc = Math.max(r, g, b),
    minc = Math.min(r, g, b);
  const eq = maxc === minc;
  const cr = maxc - minc;
  const s = cr / (eq ? 1 : maxc);
  const dv = eq ? 1 : cr;
  const rc = (maxc - r) / dv,
    gc = (maxc - g) / dv,
    bc = (maxc - b) / dv;
  let h =
    (maxc === r ? bc - gc : 0) +
    (maxc === g && maxc !== r ? 2 + rc - bc : 0) +
    (maxc !== g && maxc !== r ? 4 + gc - rc : 0);
  h = h / 6 + 1; // in [5/6, 2): % 1 is h - 1 from 1 on, exactly
  if (h >= 1) h -= 1;
  h = h + hue;
  h = h - Math.floor(h);
  const v = maxc;
  const i = Math.floor(h * 6),
    f = h * 6 - i;
  const p = clamp01(v * (1 - s)),
    q = clamp01(v * (1 - s * f)),
    t = clamp01(v * (1 - s * (1 - f)));
  switch ((((i | 0) % 6) + 6) % 6) {
    case 0:
      return [v, t, p];
    case 1:
      return [q, v, p];
    case 2:
      return [p, v, t];
    case 3:
      return [p, q, v];
    case 4:
      return [t, p, v];
    default:
      return [v, p, q];
  }
}

/**
 * torchvision's colour jitter steps on [..., C, H, W] (C 1 or 3) in `order` (0 brightness,
 * 1 contrast, 2 saturation, 3 hue), with factors [brightness, contrast, saturation, hue].
 */
export function imageAdjust(x: PlainTensor, order: readonly number[], factors: readonly number[]): PlainTensor {
  const t = image('imageAdjust', x, 3, true);
  const nd = t.ndim,
    C = t.shape[nd - 3],
    S = t.shape[nd - 2] * t.shape[nd - 1];
  if (C !== 1 && C !== 3) fail('SHAPE_MISMATCH', `imageAdjust: expected 1 or 3 channels, got ${C}`);
  const st = storeAs(t.dtype);
  const out = alloc(t.dtype, t.numel());
  out.set(t.data);
  for (let n = 0; n < t.numel() / (C * S); n++) {
    const o = n * C * S;
    const R = o,
      G = C === 3 ? o + S : o,
      B = C === 3 ? o + 2 * S : o;
    const gray = (i: number) => st(0.2989 * out[R + i] + 0.587 * out[G + i] + 0.114 * out[B + i]);
    for (const k of order) {
      const f = factors[k];
      if (k === 0) for (let i = 0; i < C * S; i++) out[o + i] = clamp01(f * out[o + i]);
      else if (k === 1) {
        let sum = 0;
        for (let i = 0; i < S; i++) sum += C === 3 ? gray(i) : out[o + i];
        const mean = sum / S;
        for (let i = 0; i < C * S; i++) out[o + i] = clamp01(f * out[o + i] + (1 - f) * mean);
      } else if (k === 2 && C === 3)
        for (let i = 0; i < S; i++) {
          const l = gray(i);
          out[R + i] = clamp01(f * out[R + i] + (1 - f) * l);
          out[G + i] = clamp01(f * out[G + i] + (1 - f) * l);
          out[B + i] = clamp01(f * out[B + i] + (1 - f) * l);
        }
      else if (k === 3 && C === 3)
        for (let i = 0; i < S; i++)
          [out[R + i], out[G + i], out[B + i]] = shiftHue(out[R + i], out[G + i], out[B + i], f);
    }
  }
  return new PlainTensor(out, t.shape, t.dtype);
}
