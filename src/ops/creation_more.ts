// More of torch's constructors and binning functions: logspace, randperm, empty/emptyLike (zero
// filled: nothing uninitialised ever reaches JS), and searchsorted, bucketize and histc, which
// place values among boundaries: searchsorted by a vectorised binary search (log2(m) rounds of
// gather), so it costs O(n log m), not the O(n m) of comparing every pair.
import { noGrad } from '../autograd.js';
import { tensorArg } from '../args.js';
import { isFloating, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { checkOptions, describe, intAtLeast, num, oneOf, shapeArgs } from '../options.js';
import {
  arange,
  full,
  linspace,
  ones,
  rand,
  zeros,
  zerosLike,
  type CreateOptions,
  type RandomOptions,
} from './creation.js';
import { cat, where } from './functional.js';
import { Tensor } from '../tensor.js';

/**
 * `steps` points from base^start to base^end, evenly spaced in the exponent (torch.logspace).
 * @example logspace(-3, 0, 4) // [0.001, 0.01, 0.1, 1]
 */
export function logspace(
  start: number,
  end: number,
  steps: number,
  options?: CreateOptions & { base?: number },
): Tensor {
  const name = 'logspace';
  const o = checkOptions(name, options, { dtype: 'any', device: 'any', requiresGrad: 'boolean', base: 'number' });
  const base = num(name, 'base', o.base ?? 10);
  const { base: _b, ...create } = o;
  void _b;
  const dtype = create.dtype ?? 'float32';
  return tidy(() => {
    // The exponents in float64, so an integer or float32 result rounds once.
    const e = linspace(num(name, 'start', start), num(name, 'end', end), steps, {
      dtype: 'float64',
      device: create.device,
    });
    const r = full([], base, { dtype: 'float64', device: create.device }).pow(e).to(dtype);
    if (create.requiresGrad) r.requiresGrad_();
    return r;
  });
}

/** A random permutation of 0..n-1 (int64 unless dtype says otherwise). @example randperm(5) */
export function randperm(n: number, options?: RandomOptions): Tensor {
  const name = 'randperm';
  const o = checkOptions(name, options, { dtype: 'any', device: 'any', requiresGrad: 'boolean', generator: 'any' });
  const count = intAtLeast(name, 'n', n, 0);
  return noGrad(() =>
    tidy(() => {
      // The order of n uniform keys is a uniform permutation; float64 keys all but never tie (and a
      // tie still gives a permutation: argsort is stable).
      const p = rand([count], { dtype: 'float64', device: o.device, generator: o.generator }).argsort(0);
      return o.dtype ? p.to(o.dtype) : p;
    }),
  );
}

/** A tensor of `shape` (zero-filled: nothing is left uninitialised). @example empty([2, 3]) */
export function empty<D extends DType = 'float32'>(shape: readonly number[], options?: CreateOptions<D>): Tensor<D> {
  return zeros(shape, options);
}
/**
 * A tensor of `shape` laid out with `stride` over its own zero-filled storage, just large enough
 * (torch.empty_strided). Strides may overlap (0 repeats an element), as torch's.
 * @example emptyStrided([2, 3], [1, 2]).stride() // [1, 2]: column-major
 */
export function emptyStrided<D extends DType = 'float32'>(
  shape: readonly number[],
  stride: readonly number[],
  options?: CreateOptions<D>,
): Tensor<D> {
  const op = 'emptyStrided';
  const dims = shapeArgs(op, [shape]);
  if (!Array.isArray(stride) || stride.length !== dims.length)
    fail('INVALID_ARGUMENT', `${op}: expected ${dims.length} strides (one per dim), got ${describe(stride)}`);
  dims.forEach((n, i) => intAtLeast(op, `shape[${i}]`, n, 0));
  stride.forEach((s, i) => intAtLeast(op, `stride[${i}]`, s, 0));
  const o = checkOptions(op, options, { dtype: 'string', device: 'string', requiresGrad: 'boolean' });
  const len = dims.some((n) => n === 0) ? 0 : 1 + dims.reduce((a, n, i) => a + (n - 1) * stride[i], 0);
  const storage = zeros([len], { dtype: o.dtype, device: o.device });
  let t: Tensor<D> | undefined;
  try {
    t = storage.asStrided(dims, stride, 0);
    if (o.requiresGrad) t.requiresGrad = true;
    return t;
  } catch (e) {
    t?.dispose();
    throw e;
  } finally {
    storage.dispose();
  }
}
/** empty with t's shape (and its dtype and device unless given). */
export function emptyLike<D extends DType>(t: Tensor<D>, options?: CreateOptions): Tensor<D> {
  return zerosLike(t, options) as Tensor<D>;
}

/** Options of searchsorted. */
export interface SearchsortedOptions {
  /** Return the last suitable index (after equal values) instead of the first. */
  right?: boolean;
  /** 'left' or 'right': the same as `right`. */
  side?: 'left' | 'right';
  /** int32 indices instead of int64. */
  outInt32?: boolean;
  /** Indices that sort an unsorted sortedSequence along its last dim. */
  sorter?: Tensor | null;
}

/**
 * Where each value would go in `sortedSequence` (sorted along its last dim) to keep it sorted:
 * the first such index, or the last with `right`. A 1-D sequence serves every value; otherwise
 * its leading dims match the values'. @example searchsorted(tensor([1, 3, 5]), tensor([3, 6])) // [1, 3]
 */
export function searchsorted(sortedSequence: Tensor, values: Tensor | number, options?: SearchsortedOptions): Tensor {
  const name = 'searchsorted';
  let seq = tensorArg(name, 'sortedSequence', sortedSequence);
  const o = checkOptions(name, options, { right: 'boolean', side: 'string', outInt32: 'boolean', sorter: 'any' });
  const side = o.side === undefined ? undefined : oneOf(name, 'side', o.side, ['left', 'right'] as const);
  if (side !== undefined && o.right !== undefined && (side === 'right') !== o.right)
    fail('INVALID_ARGUMENT', `${name}: side '${side}' contradicts right ${o.right}`);
  const right = side === 'right' || (o.right ?? false);
  if (seq.ndim === 0) fail('SHAPE_MISMATCH', `${name}: sortedSequence must have at least 1 dim, got []`);
  const scalar = typeof values === 'number';
  const v = scalar ? full([], values, { dtype: seq.dtype, device: seq.device }) : tensorArg(name, 'values', values);
  if (seq.ndim > 1 && (v.ndim !== seq.ndim || v.shape.slice(0, -1).some((s, i) => s !== seq.shape[i])))
    fail(
      'SHAPE_MISMATCH',
      `${name}: the leading dims of sortedSequence [${seq.shape.join(', ')}] and values [${v.shape.join(', ')}] must match`,
    );
  return noGrad(() =>
    tidy(() => {
      if (o.sorter !== undefined && o.sorter !== null) {
        const s = tensorArg(name, 'sorter', o.sorter);
        if (s.shape.join() !== seq.shape.join())
          fail('SHAPE_MISMATCH', `${name}: sorter must have sortedSequence's shape [${seq.shape.join(', ')}]`);
        seq = seq.gather(-1, s.to('int64'));
      }
      const m = seq.shape[seq.ndim - 1];
      // Values as rows that gather from the sequence's last dim: [rows..., n].
      const vv = seq.ndim === 1 ? v.reshape([-1]) : v;
      let lo: Tensor = zeros(vv.shape, { dtype: 'int64', device: vv.device });
      let hi: Tensor = full(vv.shape, m, { dtype: 'int64', device: vv.device });
      for (let span = m; span > 0; span = Math.floor(span / 2)) {
        const mid = lo.add(hi).floorDivide(2);
        const at =
          seq.ndim === 1
            ? seq.gather(0, mid.clamp(0, Math.max(m - 1, 0)))
            : seq.gather(-1, mid.clamp(0, Math.max(m - 1, 0)));
        // Moves right past equal values only with `right`; NaN sorts last (nothing is above it).
        const goRight = lo
          .lt(hi)
          .logicalAnd(
            right
              ? at.le(vv).logicalOr(vv.isnan())
              : at.lt(vv).logicalOr(vv.isnan().logicalAnd(at.isnan().logicalNot())),
          );
        const stay = lo.lt(hi).logicalAnd(goRight.logicalNot());
        lo = where(goRight, mid.add(1), lo);
        hi = where(stay, mid, hi);
      }
      // The loop halves the open range each round: one more round settles ranges of width 1.
      const r = seq.ndim === 1 ? lo.reshape(v.shape) : lo;
      return o.outInt32 ? r.to('int32') : r;
    }),
  );
}

/**
 * The bucket of each value among 1-D sorted `boundaries`: i with boundaries[i-1] < x <=
 * boundaries[i] (with `right`, boundaries[i-1] <= x < boundaries[i]). @example bucketize(x, tensor([0, 1, 2]))
 */
export function bucketize(
  input: Tensor,
  boundaries: Tensor,
  options?: { right?: boolean; outInt32?: boolean },
): Tensor {
  const name = 'bucketize';
  tensorArg(name, 'input', input);
  const b = tensorArg(name, 'boundaries', boundaries);
  const o = checkOptions(name, options, { right: 'boolean', outInt32: 'boolean' });
  if (b.ndim !== 1) fail('SHAPE_MISMATCH', `${name}: boundaries must be 1-D, got [${b.shape.join(', ')}]`);
  return searchsorted(b, input, o);
}

/**
 * A histogram of `bins` equal bins over [min, max] (the data's range when both are 0); values
 * outside are left out, max falls in the last bin (torch.histc). @example histc(x, { bins: 10 })
 */
export function histc(input: Tensor, options?: { bins?: number; min?: number; max?: number }): Tensor {
  const name = 'histc';
  const x = tensorArg(name, 'input', input);
  const o = checkOptions(name, options, { bins: 'integer', min: 'number', max: 'number' });
  const bins = intAtLeast(name, 'bins', o.bins ?? 100, 1);
  if (!isFloating(x.dtype)) fail('DTYPE_MISMATCH', `${name}: expected a floating tensor, got ${x.dtype}`);
  let lo = num(name, 'min', o.min ?? 0),
    hi = num(name, 'max', o.max ?? 0);
  if (lo > hi) fail('INVALID_ARGUMENT', `${name}: max (${hi}) must not be below min (${lo})`);
  return noGrad(() =>
    tidy(() => {
      const flat = x.reshape([-1]);
      if (lo === hi && flat.numel() > 0) {
        lo = flat.min().item() as number;
        hi = flat.max().item() as number;
      }
      if (lo === hi) {
        lo -= 1;
        hi += 1;
      }
      if (!Number.isFinite(lo) || !Number.isFinite(hi))
        fail('INVALID_ARGUMENT', `${name}: range of [${lo}, ${hi}] is not finite`);
      const inside = flat.ge(lo).logicalAnd(flat.le(hi));
      const kept = flat.maskedSelect(inside);
      const bin = kept
        .sub(lo)
        .mul(bins / (hi - lo))
        .floor()
        .clamp(0, bins - 1)
        .to('int64');
      return bin.bincount({ minlength: bins }).to(x.dtype);
    }),
  );
}

/**
 * The Vandermonde matrix of a 1-D x (torch.vander): columns x^(N-1), ..., x^0, or x^0, ...,
 * x^(N-1) with `increasing`; N defaults to x's length. @example vander(tensor([1, 2, 3]), { N: 3 })
 */
export function vander(x: Tensor, options?: { N?: number | null; increasing?: boolean }): Tensor {
  const name = 'vander';
  const t = tensorArg(name, 'x', x);
  const o = checkOptions(name, options, { N: 'any', increasing: 'boolean' });
  if (t.ndim !== 1) fail('SHAPE_MISMATCH', `${name}: x must be 1-D, got [${t.shape.join(', ')}]`);
  const n = o.N === undefined || o.N === null ? t.shape[0] : intAtLeast(name, 'N', o.N, 0);
  if (n > 2 ** 20) fail('INVALID_ARGUMENT', `${name}: N must be at most 2^20, got ${n}`);
  return tidy(() => {
    const src = t.dtype === 'bool' ? t.to('int64') : t;
    if (n === 0) return zeros([t.shape[0], 0], { dtype: src.dtype, device: t.device });
    // cumulative products of [1, x, x, ...] give exact integer powers (as torch's cumprod)
    const cols = cat(
      [ones([t.shape[0], 1], { dtype: src.dtype, device: t.device }), src.unsqueeze(1).expand(t.shape[0], n - 1)],
      1,
    ).cumprod(1);
    return o.increasing ? cols : cols.flip(1);
  });
}

/**
 * Whether each element of `elements` occurs in `testElements` (torch.isin; `invert` negates).
 * Either may be a number. @example isin(tensor([1, 2, 3]), tensor([2, 5])) // [false, true, false]
 */
export function isin(
  elements: Tensor | number,
  testElements: Tensor | number,
  options?: { assumeUnique?: boolean; invert?: boolean },
): Tensor<'bool'> {
  const name = 'isin';
  const o = checkOptions(name, options, { assumeUnique: 'boolean', invert: 'boolean' });
  for (const [arg, v] of [
    ['elements', elements],
    ['testElements', testElements],
  ] as const)
    if (!(v instanceof Tensor) && typeof v !== 'number')
      fail('INVALID_ARGUMENT', `${name}: ${arg} must be a Tensor or a number, got ${describe(v)}`);
  if (typeof elements === 'number' && typeof testElements === 'number')
    fail('INVALID_ARGUMENT', `${name}: at least one of elements and testElements must be a Tensor`);
  return noGrad(() =>
    tidy(() => {
      const like = (elements instanceof Tensor ? elements : testElements) as Tensor;
      const asTensor = (v: Tensor | number, arg: string) =>
        typeof v === 'number' ? full([], v, { dtype: like.dtype, device: like.device }) : tensorArg(name, arg, v);
      let e = asTensor(elements, 'elements'),
        t = asTensor(testElements, 'testElements').reshape([-1]);
      // one dtype for the search: float64 when either is floating, else int64
      if (e.dtype !== t.dtype) {
        const common = isFloating(e.dtype) || isFloating(t.dtype) ? 'float64' : 'int64';
        e = e.to(common);
        t = t.to(common);
      }
      let hit: Tensor;
      if (t.numel() === 0) hit = zeros(e.shape, { dtype: 'bool', device: e.device });
      else {
        const sorted = t.sort(0).values;
        const at = searchsorted(sorted, e.reshape([-1])).clamp(null, t.numel() - 1);
        hit = sorted
          .indexSelect(0, at)
          .eq(e.reshape([-1]))
          .reshape(e.shape);
      }
      return (o.invert ? hit.logicalNot() : hit) as Tensor<'bool'>;
    }),
  );
}

/** Options of the window functions. */
export interface WindowOptions extends CreateOptions {
  /** A window for spectral analysis (length N + 1 with the last value dropped; default true) or a symmetric one (false). */
  periodic?: boolean;
}
// A window of `length` values from f(n, M) over n = 0..M-1, M = length (+1 when periodic), in float64.
function windowOf(
  name: string,
  length: number,
  options: WindowOptions | undefined,
  extra: Record<string, 'number'>,
  f: (n: Tensor, m: number) => Tensor,
): Tensor {
  const o = checkOptions(name, options, {
    periodic: 'boolean',
    dtype: 'any',
    device: 'any',
    requiresGrad: 'boolean',
    ...extra,
  });
  const n = intAtLeast(name, 'windowLength', length, 0);
  const dtype = o.dtype ?? 'float32';
  if (!isFloating(dtype)) fail('DTYPE_MISMATCH', `${name}: expected a floating dtype, got ${dtype}`);
  const r = noGrad(() =>
    tidy(() => {
      if (n <= 1) return full([n], 1, { dtype, device: o.device });
      const m = (o.periodic ?? true) ? n + 1 : n;
      return f(arange(0, n, 1, { dtype: 'float64', device: o.device }), m).to(dtype);
    }),
  );
  if (o.requiresGrad) r.requiresGrad_();
  return r;
}
const cosTerm = (n: Tensor, m: number, k: number) => n.mul((2 * Math.PI * k) / (m - 1)).cos();

/** The Hann window 0.5 - 0.5 cos(2 pi n / (M - 1)) (torch.hann_window). @example hannWindow(8) */
export function hannWindow(windowLength: number, options?: WindowOptions): Tensor {
  return windowOf('hannWindow', windowLength, options, {}, (n, m) => cosTerm(n, m, 1).mul(-0.5).add(0.5));
}
/** The Hamming window alpha - beta cos(2 pi n / (M - 1)) (alpha 0.54, beta 0.46 by default). */
export function hammingWindow(
  windowLength: number,
  options?: WindowOptions & { alpha?: number; beta?: number },
): Tensor {
  const alpha = options?.alpha ?? 0.54,
    beta = options?.beta ?? 0.46;
  return windowOf('hammingWindow', windowLength, options, { alpha: 'number', beta: 'number' }, (n, m) =>
    cosTerm(n, m, 1).mul(-beta).add(alpha),
  );
}
/** The Blackman window 0.42 - 0.5 cos(2 pi n / (M - 1)) + 0.08 cos(4 pi n / (M - 1)). */
export function blackmanWindow(windowLength: number, options?: WindowOptions): Tensor {
  return windowOf('blackmanWindow', windowLength, options, {}, (n, m) =>
    cosTerm(n, m, 2)
      .mul(0.08)
      .sub(cosTerm(n, m, 1).mul(0.5))
      .add(0.42),
  );
}
/** The triangular Bartlett window 1 - |2n / (M - 1) - 1|. */
export function bartlettWindow(windowLength: number, options?: WindowOptions): Tensor {
  return windowOf('bartlettWindow', windowLength, options, {}, (n, m) =>
    n
      .mul(2 / (m - 1))
      .sub(1)
      .abs()
      .neg()
      .add(1),
  );
}
/** The Kaiser window I0(beta sqrt(1 - (2n / (M - 1) - 1)^2)) / I0(beta) (beta 12 by default). */
export function kaiserWindow(windowLength: number, options?: WindowOptions & { beta?: number }): Tensor {
  const beta = options?.beta ?? 12;
  return windowOf('kaiserWindow', windowLength, options, { beta: 'number' }, (n, m) => {
    const t = n.mul(2 / (m - 1)).sub(1);
    const arg = t.square().neg().add(1).clamp(0, null).sqrt().mul(beta);
    return arg.i0().div(full([], beta, { dtype: 'float64', device: n.device }).i0());
  });
}
