// Image transforms as values (torchvision.transforms): each factory returns a function of one
// image that also carries a `spec` (its name and arguments as plain data), so a DataLoader can
// rebuild it inside its worker threads. Random parameters come from this thread's random stream
// (manualSeed), as torchvision draws from torch's generator; a DataLoader seeds that stream per
// batch, so a batch's augmentations are the same in a worker and in the main thread. A transform
// given its own `seed` draws from a private stream instead (and stays in this thread).
import { fail } from '../errors.js';
import { rand } from '../ops/creation.js';
import { checkOptions, describe, fn, intAtLeast, list, num } from '../options.js';
import { Tensor } from '../tensor.js';
import { seededRandom } from './dataset.js';
import * as TF from './image_ops.js';
import { resizeTarget } from './image_size.js';

/** A transform's name and arguments: enough to build it again in another thread. */
export interface TransformSpec {
  name: string;
  args: unknown[];
  /** Made with its own seed: its stream cannot be split across workers. */
  seeded?: boolean;
}

/** An image transform: a [..., C, H, W] tensor in, a new tensor out (see `data.transforms`). */
export type Transform = ((image: Tensor) => Tensor) & { readonly spec?: TransformSpec };

function described(f: (image: Tensor) => Tensor, name: string, args: unknown[], seeded = false): Transform {
  Object.defineProperty(f, 'spec', { value: { name, args, ...(seeded ? { seeded } : {}) }, enumerable: false });
  return f as Transform;
}

function image(op: string, t: unknown): Tensor {
  if (!(t instanceof Tensor) || t.ndim < 2)
    fail(
      'INVALID_ARGUMENT',
      `${op}: expected an image tensor [..., H, W], got ${t instanceof Tensor ? `[${t.shape.join(', ')}]` : describe(t)}`,
    );
  return t;
}

// k uniform numbers in [0, 1): from the private stream when the transform has a seed, else from
// this thread's generator.
function uniforms(own: (() => number) | undefined, k: number): number[] {
  if (own) return Array.from({ length: k }, own);
  const t = rand([k], { dtype: 'float64' });
  const v = Array.from(t.data() as Float64Array);
  t.dispose();
  return v;
}

function seedOf(op: string, seed: unknown): (() => number) | undefined {
  return seed === undefined ? undefined : seededRandom(intAtLeast(op, 'seed', seed, 0));
}

/** (x - mean[c]) / std[c] per channel. @example transforms.normalize([0.5], [0.25]) */
export function normalize(mean: readonly number[], std: readonly number[]): Transform {
  for (const [name, v] of [
    ['mean', mean],
    ['std', std],
  ] as const)
    if (!list('normalize', name, v).every((x) => typeof x === 'number' && Number.isFinite(x)))
      fail('INVALID_ARGUMENT', `normalize: '${name}' must be a list of finite numbers, got ${describe(v)}`);
  if (mean.length !== std.length || std.some((s) => !(s > 0)))
    fail(
      'INVALID_ARGUMENT',
      `normalize: mean and std need one entry per channel, std > 0; got ${describe(mean)} and ${describe(std)}`,
    );
  const m = [...mean],
    s = [...std];
  return described(
    (img) => {
      image('normalize', img);
      if (img.ndim < 3 || (m.length !== 1 && img.shape[img.ndim - 3] !== m.length))
        fail(
          'SHAPE_MISMATCH',
          `normalize: ${m.length} channel statistics for an image [${img.shape.join(', ')}] (channels at dim -3)`,
        );
      return TF.normalize(img, m, s);
    },
    'normalize',
    [m, s],
  );
}

/** Flips left-right with probability p. @example transforms.randomHorizontalFlip(0.5) */
export function randomHorizontalFlip(p = 0.5, options: { seed?: number } = {}): Transform {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1))
    fail('INVALID_ARGUMENT', `randomHorizontalFlip: p must be in [0, 1], got ${describe(p)}`);
  const { seed } = checkOptions('randomHorizontalFlip', options, { seed: 'integer' });
  const own = seedOf('randomHorizontalFlip', seed);
  return described(
    (img) => {
      image('randomHorizontalFlip', img);
      return uniforms(own, 1)[0] < p ? TF.hflip(img) : img.clone();
    },
    'randomHorizontalFlip',
    [p, { seed }],
    own !== undefined,
  );
}

/** Options of `randomCrop`. */
export interface RandomCropOptions {
  /** Zero (fill) padding added before cropping: one value for every side, [left/right, top/bottom] or [left, top, right, bottom]. */
  padding?: number | readonly number[];
  /** Pad an image smaller than the crop up to its size (default false: an error). */
  padIfNeeded?: boolean;
  /** The value of padded pixels (default 0). */
  fill?: number;
  /** A private stream for the crop positions (default: this thread's generator). */
  seed?: number;
}

function sides(op: string, padding: unknown): [number, number, number, number] {
  const p = typeof padding === 'number' ? [padding] : list(op, 'padding', padding);
  if (![1, 2, 4].includes(p.length) || !p.every((v) => Number.isSafeInteger(v) && (v as number) >= 0))
    fail('INVALID_ARGUMENT', `${op}: padding must be 1, 2 or 4 integers >= 0, got ${describe(padding)}`);
  const n = p as number[];
  return n.length === 1
    ? [n[0], n[0], n[0], n[0]]
    : n.length === 2
      ? [n[0], n[1], n[0], n[1]]
      : [n[0], n[1], n[2], n[3]];
}

function cropSize(op: string, size: unknown): [number, number] {
  if (Array.isArray(size) && size.length === 2)
    return [intAtLeast(op, 'size[0]', size[0]), intAtLeast(op, 'size[1]', size[1])];
  const s = intAtLeast(op, 'size', size);
  return [s, s];
}

/**
 * A random size x size (or [h, w]) window after padding (torchvision's RandomCrop, constant
 * padding): one native crop, no padded copy.
 * @example transforms.randomCrop(32, { padding: 4 })
 */
export function randomCrop(size: number | readonly [number, number], options: RandomCropOptions = {}): Transform {
  const [th, tw] = cropSize('randomCrop', size);
  const o = checkOptions('randomCrop', options, {
    padding: 'any',
    padIfNeeded: 'boolean',
    fill: 'number',
    seed: 'integer',
  });
  const [pl, pt, pr, pb] = sides('randomCrop', o.padding ?? 0);
  const fill = o.fill ?? 0;
  const own = seedOf('randomCrop', o.seed);
  return described(
    (img) => {
      image('randomCrop', img);
      const H = img.shape[img.ndim - 2],
        W = img.shape[img.ndim - 1];
      let top = pt,
        left = pl,
        Hp = H + pt + pb,
        Wp = W + pl + pr;
      // torchvision pads both sides of a short dimension by the shortfall.
      if (o.padIfNeeded && Hp < th) ((top += th - Hp), (Hp += 2 * (th - Hp)));
      if (o.padIfNeeded && Wp < tw) ((left += tw - Wp), (Wp += 2 * (tw - Wp)));
      if (th > Hp || tw > Wp)
        fail('INVALID_ARGUMENT', `randomCrop: crop size [${th}, ${tw}] is larger than the padded image [${Hp}, ${Wp}]`);
      const [u, v] = uniforms(own, 2);
      const i = Math.floor(u * (Hp - th + 1)),
        j = Math.floor(v * (Wp - tw + 1));
      return TF.crop(img, i - top, j - left, th, tw, { fill });
    },
    'randomCrop',
    [[th, tw], { ...o }],
    own !== undefined,
  );
}

// Python's round(): halves to even.
const roundHalfEven = (v: number) => {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/** The central size x size (or [h, w]) window, zero-padded if the image is smaller. @example transforms.centerCrop(224) */
export function centerCrop(size: number | readonly [number, number]): Transform {
  const [th, tw] = cropSize('centerCrop', size);
  return described(
    (img) => {
      image('centerCrop', img);
      const H = img.shape[img.ndim - 2],
        W = img.shape[img.ndim - 1];
      return TF.crop(img, roundHalfEven((H - th) / 2), roundHalfEven((W - tw) / 2), th, tw);
    },
    'centerCrop',
    [[th, tw]],
  );
}

/**
 * Bilinear resize to [h, w], or of the smaller edge to `size` keeping the aspect ratio
 * (torchvision's Resize without antialiasing).
 * @example transforms.resize([64, 64])
 */
export function resize(size: number | readonly [number, number]): Transform {
  resizeTarget([1, 1], size); // checks size now
  const s = Array.isArray(size) ? [...size] : size;
  return described((img) => TF.resize(image('resize', img), s as number), 'resize', [s]);
}

/** Ranges of `colorJitter`: a number j is [max(0, 1 - j), 1 + j] (hue: [-j, j]), or an explicit [min, max]. */
export interface ColorJitterOptions {
  brightness?: number | readonly [number, number];
  contrast?: number | readonly [number, number];
  saturation?: number | readonly [number, number];
  hue?: number | readonly [number, number];
  /** A private stream (default: this thread's generator). */
  seed?: number;
}

function jitterRange(name: string, v: unknown, hue: boolean): [number, number] | undefined {
  if (v === undefined) return undefined;
  let r: [number, number];
  if (typeof v === 'number') {
    num('colorJitter', name, v);
    if (v < 0 || (hue && v > 0.5))
      fail('INVALID_ARGUMENT', `colorJitter: ${name} must be in [0, ${hue ? '0.5' : 'inf'}), got ${v}`);
    r = hue ? [-v, v] : [Math.max(0, 1 - v), 1 + v];
  } else {
    const l = list('colorJitter', name, v);
    if (
      l.length !== 2 ||
      !l.every((x) => typeof x === 'number' && Number.isFinite(x)) ||
      (l[0] as number) > (l[1] as number)
    )
      fail('INVALID_ARGUMENT', `colorJitter: ${name} must be a number or [min, max], got ${describe(v)}`);
    r = [l[0] as number, l[1] as number];
    if (hue ? r[0] < -0.5 || r[1] > 0.5 : r[0] < 0)
      fail(
        'INVALID_ARGUMENT',
        `colorJitter: ${name} range ${describe(v)} is outside ${hue ? '[-0.5, 0.5]' : '[0, inf)'}`,
      );
  }
  // A range that is one point leaves the step out, as torchvision's None.
  return r[0] === r[1] && r[0] === (hue ? 0 : 1) ? undefined : r;
}

/**
 * Random brightness, contrast, saturation and hue in a random order (torchvision's ColorJitter),
 * one native pass per image.
 * @example transforms.colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 })
 */
export function colorJitter(options: ColorJitterOptions = {}): Transform {
  const o = checkOptions('colorJitter', options, {
    brightness: 'any',
    contrast: 'any',
    saturation: 'any',
    hue: 'any',
    seed: 'integer',
  });
  const steps = ['brightness', 'contrast', 'saturation', 'hue'] as const;
  const ranges = steps.map((s) => jitterRange(s, o[s], s === 'hue'));
  const own = seedOf('colorJitter', o.seed);
  return described(
    (img) => {
      image('colorJitter', img);
      // One draw of 8: a random order (by sorting 4 uniforms), then a factor per step.
      const u = uniforms(own, 8);
      const order = [0, 1, 2, 3].sort((a, b) => u[a] - u[b]).filter((k) => ranges[k] !== undefined);
      if (order.length === 0) return img.clone();
      const adj: TF.ColorAdjustment = { order: order.map((k) => steps[k]) };
      for (const k of order) {
        const [lo, hi] = ranges[k]!;
        adj[steps[k]] = lo + u[4 + k] * (hi - lo);
      }
      return TF.adjustColor(img, adj);
    },
    'colorJitter',
    [{ ...o }],
    own !== undefined,
  );
}

/** Applies transforms in order, disposing the intermediates. @example transforms.compose([randomCrop(32, { padding: 4 }), normalize(m, s)]) */
export function compose(transforms: readonly Transform[]): Transform {
  const ts = list('compose', 'transforms', transforms).map((t, i) => fn('compose', `transforms[${i}]`, t) as Transform);
  const run = (img: Tensor) => {
    let cur = img;
    for (const t of ts) {
      const next = t(cur);
      if (cur !== img) cur.dispose();
      cur = next;
    }
    return cur === img ? img.clone() : cur;
  };
  // Buildable elsewhere only if every part is.
  if (!ts.every((t) => t.spec)) return run;
  return described(
    run,
    'compose',
    [ts.map((t) => t.spec)],
    ts.some((t) => t.spec!.seeded),
  );
}

const MAKERS: Record<string, (...args: never[]) => Transform> = {
  normalize,
  randomHorizontalFlip,
  randomCrop,
  centerCrop,
  resize,
  colorJitter,
  compose: (specs: TransformSpec[]) => compose(specs.map(transformFromSpec)),
};

/** @internal Builds the transform a spec describes (in a DataLoader worker). */
export function transformFromSpec(spec: TransformSpec): Transform {
  const make = MAKERS[spec?.name];
  if (!make) fail('INVALID_ARGUMENT', `transforms: no transform named ${describe(spec?.name)}`);
  return (make as (...a: unknown[]) => Transform)(...spec.args);
}
