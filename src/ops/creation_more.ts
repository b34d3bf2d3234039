// More of torch's constructors and binning functions: logspace, randperm, empty/emptyLike (zero
// filled: nothing uninitialised ever reaches JS), and searchsorted, bucketize and histc, which
// place values among boundaries: searchsorted by a vectorised binary search (log2(m) rounds of
// gather), so it costs O(n log m), not the O(n m) of comparing every pair.
import { noGrad } from '../autograd.js';
import { tensorArg } from '../args.js';
import { isFloating, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { checkOptions, intAtLeast, num, oneOf } from '../options.js';
import { full, linspace, ones, rand, zeros, zerosLike, type CreateOptions } from './creation.js';
import { cat, where } from './functional.js';
import type { Tensor } from '../tensor.js';

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
export function randperm(n: number, options?: CreateOptions): Tensor {
  const name = 'randperm';
  const o = checkOptions(name, options, { dtype: 'any', device: 'any', requiresGrad: 'boolean' });
  const count = intAtLeast(name, 'n', n, 0);
  return noGrad(() =>
    tidy(() => {
      // The order of n uniform keys is a uniform permutation; float64 keys all but never tie (and a
      // tie still gives a permutation: argsort is stable).
      const p = rand([count], { dtype: 'float64', device: o.device }).argsort(0);
      return o.dtype ? p.to(o.dtype) : p;
    }),
  );
}

/** A tensor of `shape` (zero-filled: nothing is left uninitialised). @example empty([2, 3]) */
export function empty<D extends DType = 'float32'>(shape: readonly number[], options?: CreateOptions<D>): Tensor<D> {
  return zeros(shape, options);
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
