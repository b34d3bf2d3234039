// Pictures of attributions: a heat map (optionally blended over the image) as PNG bytes, with
// Captum's normalisation (visualize_image_attr: sum over channels, sign, outlier percentile), and a
// self-contained HTML report (images inlined as data: URLs, bar charts as inline SVG).
import { PNG } from 'pngjs';

import { fail } from '../errors.js';
import { escapeHtml } from '../html.js';
import { checkOptions, describe, num, oneOf } from '../options.js';
import { Tensor } from '../tensor.js';

/** Which attributions a picture shows (Captum's `sign`). */
export type AttributionSign = 'absolute_value' | 'positive' | 'negative' | 'all';
/** Colour maps: Captum's defaults per sign, plus jet and viridis. */
export type Colormap = 'blues' | 'greens' | 'reds' | 'rdwhgn' | 'jet' | 'viridis';

/** Options of heatmap. */
export interface HeatmapOptions {
  /** The image to blend under the map: [C, H, W] or [1, C, H, W] with values in [0, 1]. */
  image?: Tensor;
  /** Default 'absolute_value'. */
  sign?: AttributionSign;
  /** The top percentage (by cumulative |attribution|) clipped to full colour; default 2. */
  outlierPerc?: number;
  /** Opacity of the map over the image; default 0.5 (1 without an image). */
  alpha?: number;
  /** Default by sign: blues (absolute_value), greens (positive), reds (negative), rdwhgn (all). */
  colormap?: Colormap;
  /** Each pixel drawn as scale x scale pixels (nearest); default 1. */
  scale?: number;
}

const STOPS: Record<Colormap, [number, number, number][]> = {
  blues: [
    [247, 251, 255],
    [198, 219, 239],
    [107, 174, 214],
    [33, 113, 181],
    [8, 48, 107],
  ],
  greens: [
    [247, 252, 245],
    [199, 233, 192],
    [116, 196, 118],
    [35, 139, 69],
    [0, 68, 27],
  ],
  reds: [
    [255, 245, 240],
    [252, 187, 161],
    [251, 106, 74],
    [203, 24, 29],
    [103, 0, 13],
  ],
  rdwhgn: [
    [255, 0, 0],
    [255, 255, 255],
    [0, 255, 0],
  ],
  jet: [
    [0, 0, 128],
    [0, 0, 255],
    [0, 255, 255],
    [255, 255, 0],
    [255, 0, 0],
    [128, 0, 0],
  ],
  viridis: [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ],
};

function colour(map: Colormap, t: number): [number, number, number] {
  const s = STOPS[map];
  const p = Math.min(1, Math.max(0, t)) * (s.length - 1);
  const i = Math.min(s.length - 2, Math.floor(p)),
    f = p - i;
  const a = s[i] as [number, number, number],
    b = s[i + 1] as [number, number, number];
  return [0, 1, 2].map((k) => Math.round((a[k] as number) * (1 - f) + (b[k] as number) * f)) as [
    number,
    number,
    number,
  ];
}

// A picture tensor's values with its channels, height and width: accepts [H, W], [C, H, W] or
// [1, C, H, W].
function planes(op: string, t: Tensor, what: string): { d: Float64Array; c: number; h: number; w: number } {
  if (!(t instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: ${what} must be a Tensor, got ${describe(t)}`);
  const s = t.ndim === 4 && t.shape[0] === 1 ? t.shape.slice(1) : t.shape;
  if (s.length !== 2 && s.length !== 3)
    fail('SHAPE_MISMATCH', `${op}: ${what} must be [H, W], [C, H, W] or [1, C, H, W], got [${t.shape.join(', ')}]`);
  const [c, h, w] = (s.length === 2 ? [1, ...s] : s) as [number, number, number];
  return { d: t.contiguous().to('float64').data() as Float64Array, c, h, w };
}

// [H, W] values summed over channels.
function plane(op: string, t: Tensor, what: string): { v: Float64Array; h: number; w: number; c: number } {
  const { d, c, h, w } = planes(op, t, what);
  const v = new Float64Array(h * w);
  for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) v[i] = (v[i] as number) + (d[k * h * w + i] as number);
  return { v, h, w, c };
}

// PNG bytes of a w x h picture drawn `scale` times larger (nearest), rgb(i) the colour of pixel i.
function png(w: number, h: number, scale: number, rgb: (i: number) => readonly number[]): Buffer {
  const W = w * scale;
  const out = new PNG({ width: W, height: h * scale });
  for (let i = 0; i < w * h; i++) {
    const c = rgb(i);
    const y0 = Math.floor(i / w) * scale,
      x0 = (i % w) * scale;
    for (let y = y0; y < y0 + scale; y++)
      for (let x = x0; x < x0 + scale; x++) {
        const q = (y * W + x) * 4;
        for (let k = 0; k < 3; k++) out.data[q + k] = Math.round(c[k] as number);
        out.data[q + 3] = 255;
      }
  }
  return PNG.sync.write(out);
}

/**
 * Captum's normalisation: keep the sign's part, then divide by the value at which the sorted
 * |values| reach (100 - outlierPerc)% of their total, clipped to [-1, 1].
 */
export function normalizeAttribution(values: Float64Array, sign: AttributionSign, outlierPerc: number): Float64Array {
  const op = 'explain.normalizeAttribution';
  if (!(values instanceof Float64Array))
    fail('INVALID_ARGUMENT', `${op}: values must be a Float64Array, got ${describe(values)}`);
  oneOf(op, 'sign', sign, ['absolute_value', 'positive', 'negative', 'all'] as const);
  if (num(op, 'outlierPerc', outlierPerc) < 0 || outlierPerc >= 100)
    fail('INVALID_ARGUMENT', `${op}: outlierPerc must be in [0, 100), got ${outlierPerc}`);
  const kept = values.map((x) =>
    sign === 'absolute_value'
      ? Math.abs(x)
      : sign === 'positive'
        ? Math.max(x, 0)
        : sign === 'negative'
          ? Math.min(x, 0)
          : x,
  );
  const mags = Array.from(kept, Math.abs).sort((a, b) => a - b);
  const total = mags.reduce((a, b) => a + b, 0);
  let acc = 0,
    thr = mags[mags.length - 1] ?? 0;
  for (const m of mags) {
    acc += m;
    if (acc >= total * 0.01 * (100 - outlierPerc)) {
      thr = m;
      break;
    }
  }
  if (!(thr > 0)) return kept.map(() => 0);
  return kept.map((x) => Math.max(-1, Math.min(1, x / thr)));
}

/**
 * A heat map of attributions as PNG bytes, blended over `image` when given (shown in grey, as
 * Captum's blended_heat_map). @example fs.writeFileSync('ig.png', explain.heatmap(attr[0], { image: x[0] }))
 */
export function heatmap(attributions: Tensor, options: HeatmapOptions = {}): Buffer {
  const op = 'explain.heatmap';
  const o = checkOptions(op, options, {
    image: 'any',
    sign: 'string',
    outlierPerc: 'number',
    alpha: 'number',
    colormap: 'string',
    scale: 'integer',
  });
  const sign = oneOf(op, 'sign', o.sign ?? 'absolute_value', [
    'absolute_value',
    'positive',
    'negative',
    'all',
  ] as const);
  const map = oneOf(
    op,
    'colormap',
    o.colormap ?? ({ absolute_value: 'blues', positive: 'greens', negative: 'reds', all: 'rdwhgn' } as const)[sign],
    ['blues', 'greens', 'reds', 'rdwhgn', 'jet', 'viridis'] as const,
  );
  const perc = num(op, 'outlierPerc', o.outlierPerc ?? 2);
  if (perc < 0 || perc >= 100) fail('INVALID_ARGUMENT', `${op}: outlierPerc must be in [0, 100), got ${perc}`);
  const scale = o.scale ?? 1;
  if (scale < 1 || scale > 64) fail('INVALID_ARGUMENT', `${op}: scale must be in [1, 64], got ${scale}`);
  const a = plane(op, attributions, 'attributions');
  const norm = normalizeAttribution(a.v, sign, perc);
  let grey: Float64Array | null = null;
  if (o.image !== undefined) {
    const im = plane(op, o.image, 'image');
    if (im.h !== a.h || im.w !== a.w)
      fail('SHAPE_MISMATCH', `${op}: the image is ${im.h}x${im.w} but the attributions are ${a.h}x${a.w}`);
    grey = im.v.map((x) => Math.min(1, Math.max(0, x / im.c)));
  }
  const alpha = num(op, 'alpha', o.alpha ?? (grey ? 0.5 : 1));
  if (alpha < 0 || alpha > 1) fail('INVALID_ARGUMENT', `${op}: alpha must be in [0, 1], got ${alpha}`);
  return png(a.w, a.h, scale, (i) => {
    const c = colour(map, sign === 'all' ? ((norm[i] as number) + 1) / 2 : Math.abs(norm[i] as number));
    if (!grey) return c;
    const g = (grey[i] as number) * 255;
    return c.map((v) => g * (1 - alpha) + v * alpha);
  });
}

/** An image tensor ([C, H, W] or [1, C, H, W], values in [0, 1]; 1 or 3 channels) as PNG bytes. @example explain.imagePng(x[0]) */
export function imagePng(image: Tensor, options: { scale?: number } = {}): Buffer {
  const op = 'explain.imagePng';
  const scale = checkOptions(op, options, { scale: 'integer' }).scale ?? 1;
  const { d, c, h, w } = planes(op, image, 'image');
  if (c !== 1 && c !== 3)
    fail('SHAPE_MISMATCH', `${op}: image must be [H, W] or [1|3, H, W], got [${image.shape.join(', ')}]`);
  return png(w, h, scale, (i) =>
    [0, 1, 2].map((k) => 255 * Math.min(1, Math.max(0, d[(c === 3 ? k : 0) * h * w + i] as number))),
  );
}

const dataUrl = (png: Buffer) => `data:image/png;base64,${png.toString('base64')}`;

/** A horizontal bar chart of feature attributions as an inline SVG string. @example explain.barChart([0.4, -0.1], ['a', 'b']) */
export function barChart(values: readonly number[], names?: readonly string[]): string {
  const op = 'explain.barChart';
  if (!Array.isArray(values) || !values.every((v) => typeof v === 'number' && Number.isFinite(v)))
    fail('INVALID_ARGUMENT', `${op}: values must be an array of finite numbers, got ${describe(values)}`);
  if (names !== undefined && (!Array.isArray(names) || !names.every((n) => typeof n === 'string')))
    fail('INVALID_ARGUMENT', `${op}: names must be an array of strings, got ${describe(names)}`);
  const n = values.length;
  const max = Math.max(1e-12, ...values.map((v) => Math.abs(v)));
  const rowH = 22,
    labelW = 140,
    half = 180,
    W = labelW + 2 * half + 70;
  const rows = values.map((v, i) => {
    const len = (Math.abs(v) / max) * half;
    const x = v >= 0 ? labelW + half : labelW + half - len;
    const y = i * rowH + 4;
    const name = escapeHtml(names?.[i] ?? `feature ${i}`);
    return (
      `<text x="${labelW - 6}" y="${y + 14}" text-anchor="end">${name}</text>` +
      `<rect x="${x.toFixed(1)}" y="${y}" width="${len.toFixed(1)}" height="${rowH - 8}" fill="${v >= 0 ? '#2a9d4b' : '#d1495b'}"/>` +
      `<text x="${(v >= 0 ? x + len + 4 : x - 4).toFixed(1)}" y="${y + 14}" text-anchor="${v >= 0 ? 'start' : 'end'}">${v.toPrecision(3)}</text>`
    );
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${n * rowH + 8}" font-family="sans-serif" font-size="12">` +
    `<line x1="${labelW + half}" y1="0" x2="${labelW + half}" y2="${n * rowH + 8}" stroke="#888"/>${rows.join('')}</svg>`
  );
}

/** One section of a report: an image with its attributions, or a row of tabular attributions. */
export interface ReportItem {
  title?: string;
  /** Attributions of one sample: [H, W] / [C, H, W] (an image) or [F] (tabular). */
  attributions: Tensor;
  /** The input image ([C, H, W], values in [0, 1]), shown and blended under the heat map. */
  image?: Tensor;
  /** Tabular feature names (default 'feature i'). */
  featureNames?: readonly string[];
  /** A line of text under the title (the prediction, the method). */
  caption?: string;
  heatmap?: HeatmapOptions;
}

/**
 * A self-contained HTML page of attributions: per item the image, its heat map overlay, or for
 * tabular inputs a bar chart (SVG). Nothing is loaded from elsewhere (images are data: URLs).
 * @example fs.writeFileSync('report.html', explain.report({ title: 'Iris', items: [{ attributions: attr[0], featureNames }] }))
 */
export function report(options: { title?: string; items: readonly ReportItem[] }): string {
  const op = 'explain.report';
  const o = checkOptions(op, options, { title: 'string', items: 'any' });
  if (!Array.isArray(o.items)) fail('INVALID_ARGUMENT', `${op}: items must be an array, got ${describe(o.items)}`);
  const title = escapeHtml(o.title ?? 'Attributions');
  const sections = (o.items as ReportItem[]).map((it, k) => {
    const a = it.attributions;
    if (!(a instanceof Tensor))
      fail('INVALID_ARGUMENT', `${op}: items[${k}].attributions must be a Tensor, got ${describe(a)}`);
    const head = `<h2>${escapeHtml(it.title ?? `Item ${k + 1}`)}</h2>${it.caption ? `<p>${escapeHtml(it.caption)}</p>` : ''}`;
    const flat = a.ndim === 1 || (a.ndim === 2 && a.shape[0] === 1);
    if (flat) {
      const vals = Array.from(a.contiguous().to('float64').data() as Float64Array);
      return `<section>${head}${barChart(vals, it.featureNames)}</section>`;
    }
    const scale = Math.max(1, Math.floor(192 / Math.max(...a.shape.slice(-2))));
    const pics = [
      it.image
        ? `<figure><img alt="input" src="${dataUrl(imagePng(it.image, { scale }))}"><figcaption>input</figcaption></figure>`
        : '',
      `<figure><img alt="attributions" src="${dataUrl(heatmap(a, { ...it.heatmap, image: it.image, scale }))}"><figcaption>${it.image ? 'overlay' : 'attributions'}</figcaption></figure>`,
    ];
    return `<section>${head}<div class="row">${pics.join('')}</div></section>`;
  });
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title><style>
body{font-family:sans-serif;margin:2em;color:#222}section{margin-bottom:2em}.row{display:flex;gap:1em}
figure{margin:0}img{image-rendering:pixelated;border:1px solid #ccc}figcaption{text-align:center;font-size:12px}
</style></head><body><h1>${title}</h1>${sections.join('\n')}</body></html>`;
}
