// torch's random in-place fills and samplers as Tensor methods: uniform_, normal_, logNormal_,
// exponential_, cauchy_, geometric_, random_ and bernoulli_, bernoulli() (this tensor as the
// probabilities), and the free bernoulli, normal and poisson. Every draw comes from the global
// generator (manualSeed), on the tensor's device.
//
// A fill replaces the values: under autograd its previous history gets no gradient (the result is
// a constant, written by the differentiable copy_), and, as torch's, a leaf that requires grad
// can only be filled under noGrad (nn.init's functions do that).
import { isGradEnabled, noGrad } from '../autograd.js';
import { tensorArg } from '../args.js';
import { isFloating, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { checkOptions, describe, int, list, num } from '../options.js';
import { Tensor } from '../tensor.js';
import { full, rand, randint, randn, type RandomOptions } from './creation.js';
import { drawingFrom, type Generator } from './generator.js';
import { where } from './functional.js';
import { Poisson } from '../distributions/index.js';

/** The options of the random fills and samplers: the stream to draw from (default the global one). */
export interface DrawOptions {
  generator?: Generator;
}

declare module '../tensor.js' {
  interface Tensor<D extends DType = DType> {
    /** Fills with U(from, to) (default [0, 1)); returns this. @example zeros([3]).uniform_(-0.1, 0.1) */
    uniform_(from?: number, to?: number, options?: DrawOptions): this;
    /** Fills with N(mean, std^2); returns this. @example w.normal_(0, 0.02) */
    normal_(mean?: number, std?: number, options?: DrawOptions): this;
    /** Fills with exp(N(mean, std^2)) (default mean 1, std 2, as torch); returns this. */
    logNormal_(mean?: number, std?: number, options?: DrawOptions): this;
    /** Fills with Exponential(lambd) draws (rate lambd, default 1); returns this. */
    exponential_(lambd?: number, options?: DrawOptions): this;
    /** Fills with Cauchy(median, sigma) draws; returns this. */
    cauchy_(median?: number, sigma?: number, options?: DrawOptions): this;
    /** Fills with the number of Bernoulli(p) trials up to the first success (1, 2, ...); returns this. */
    geometric_(p: number, options?: DrawOptions): this;
    /**
     * Fills with integers uniform in [from, to); random_(to) draws from [0, to), random_() from
     * [0, 2^24] for float32 and [0, 2^53] for float64 (every integer exact, as torch), [0, 2^31 - 1]
     * for int32 and [0, 2^53] for int64 (JavaScript's exact integers; torch's reaches 2^63 - 1).
     * @example zeros([4], { dtype: 'int64' }).random_(10)
     */
    random_(from?: number, to?: number | null, options?: DrawOptions): this;
    /** Fills with 1 with probability p (a number or a tensor broadcast to this), else 0; returns this. */
    bernoulli_(p?: number | Tensor, options?: DrawOptions): this;
    /** 0/1 draws with this tensor's values as the probabilities (in [0, 1]), in its dtype. */
    bernoulli(options?: DrawOptions): Tensor<D>;
  }
}

const proto = Tensor.prototype;

// Writes sample (made without gradient, as a constant) into t; the checks torch makes first.
function fillWith<T extends Tensor>(name: string, t: T, sample: () => Tensor, options?: DrawOptions): T {
  const { generator } = checkOptions(name, options, { generator: 'any' });
  if (isGradEnabled() && t.requiresGrad && t.isLeaf)
    fail(
      'INVALID_ARGUMENT',
      `${name}: a leaf tensor that requires grad cannot be filled in place; run it under noGrad() (as nn.init does)`,
    );
  const s = drawingFrom(name, generator, () => noGrad(() => tidy(sample)));
  try {
    t.copy_(s);
  } finally {
    s.dispose();
  }
  return t;
}
function floating(name: string, t: Tensor): void {
  if (!isFloating(t.dtype)) fail('DTYPE_MISMATCH', `${name}: expected a floating tensor, got ${t.dtype}`);
}
// Draws in float64 on the tensor's device (the value then rounds once to its dtype).
const uniformDraws = (t: Tensor) => rand(t.shape, { dtype: 'float64', device: t.device });
const normalDraws = (t: Tensor) => randn(t.shape, { dtype: 'float64', device: t.device });

proto.uniform_ = function <T extends Tensor>(this: T, from = 0, to = 1, options?: DrawOptions) {
  const name = 'uniform_';
  const a = num(name, 'from', from),
    b = num(name, 'to', to);
  floating(name, this);
  if (!(a <= b)) fail('INVALID_ARGUMENT', `${name}: expects from <= to, got from ${a} and to ${b}`);
  return fillWith(
    name,
    this,
    () =>
      uniformDraws(this)
        .mul(b - a)
        .add(a),
    options,
  );
};
proto.normal_ = function <T extends Tensor>(this: T, mean = 0, std = 1, options?: DrawOptions) {
  const name = 'normal_';
  const m = num(name, 'mean', mean),
    s = num(name, 'std', std);
  floating(name, this);
  if (!(s >= 0)) fail('INVALID_ARGUMENT', `${name}: std must be >= 0, got ${s}`);
  return fillWith(name, this, () => normalDraws(this).mul(s).add(m), options);
};
proto.logNormal_ = function <T extends Tensor>(this: T, mean = 1, std = 2, options?: DrawOptions) {
  const name = 'logNormal_';
  const m = num(name, 'mean', mean),
    s = num(name, 'std', std);
  floating(name, this);
  if (!(s > 0)) fail('INVALID_ARGUMENT', `${name}: std must be > 0, got ${s}`);
  return fillWith(name, this, () => normalDraws(this).mul(s).add(m).exp(), options);
};
// Inverse CDFs of uniforms u in [0, 1): -log(1 - u) / lambd is finite (1 - u > 0).
proto.exponential_ = function <T extends Tensor>(this: T, lambd = 1, options?: DrawOptions) {
  const name = 'exponential_';
  const l = num(name, 'lambd', lambd);
  floating(name, this);
  if (!(l > 0)) fail('INVALID_ARGUMENT', `${name}: lambd must be > 0, got ${l}`);
  return fillWith(name, this, () => uniformDraws(this).neg().log1p().neg().div(l), options);
};
proto.cauchy_ = function <T extends Tensor>(this: T, median = 0, sigma = 1, options?: DrawOptions) {
  const name = 'cauchy_';
  const m = num(name, 'median', median),
    s = num(name, 'sigma', sigma);
  floating(name, this);
  if (!(s > 0)) fail('INVALID_ARGUMENT', `${name}: sigma must be > 0, got ${s}`);
  return fillWith(name, this, () => uniformDraws(this).sub(0.5).mul(Math.PI).tan().mul(s).add(m), options);
};
// The number of trials to the first success: ceil(log(1 - u) / log(1 - p)), at least 1.
proto.geometric_ = function <T extends Tensor>(this: T, p: number, options?: DrawOptions) {
  const name = 'geometric_';
  const q = num(name, 'p', p);
  if (!(q > 0 && q <= 1)) fail('INVALID_ARGUMENT', `${name}: p must be in (0, 1], got ${q}`);
  if (this.dtype === 'bool') fail('DTYPE_MISMATCH', `${name}: not supported for bool tensors`);
  return fillWith(
    name,
    this,
    () =>
      q === 1
        ? full(this.shape, 1, { dtype: 'float64', device: this.device })
        : uniformDraws(this).neg().log1p().div(Math.log1p(-q)).ceil().clamp(1, null),
    options,
  );
};

// The largest integer random_() draws for a dtype: every integer up to it is representable.
const RANDOM_TOP: Record<DType, number> = {
  float32: 2 ** 24,
  float64: 2 ** 53,
  float16: 2 ** 11,
  bfloat16: 2 ** 8,
  int32: 2 ** 31 - 1,
  int64: 2 ** 53,
  bool: 1,
};
proto.random_ = function <T extends Tensor>(this: T, from?: number, to?: number | null, options?: DrawOptions) {
  const name = 'random_';
  let lo = 0,
    hi: number;
  if (from === undefined) hi = RANDOM_TOP[this.dtype] + 1;
  else if (to === undefined) hi = int(name, 'to', from);
  else {
    lo = int(name, 'from', from);
    hi = to === null ? RANDOM_TOP[this.dtype] + 1 : int(name, 'to', to);
  }
  if (!(lo < hi)) fail('INVALID_ARGUMENT', `${name}: expects from < to, got from ${lo} and to ${hi}`);
  return fillWith(name, this, () => randint(lo, hi, this.shape, { dtype: 'int64', device: this.device }), options);
};
proto.bernoulli_ = function <T extends Tensor>(this: T, p: number | Tensor = 0.5, options?: DrawOptions) {
  const name = 'bernoulli_';
  let prob: Tensor | number;
  if (p instanceof Tensor) prob = p;
  else {
    prob = num(name, 'p', p);
    if (!(prob >= 0 && prob <= 1)) fail('INVALID_ARGUMENT', `${name}: p must be in [0, 1], got ${prob}`);
  }
  return fillWith(
    name,
    this,
    () => {
      const u = uniformDraws(this);
      return u.lt(prob instanceof Tensor ? prob.to('float64').expand(this.shape) : prob);
    },
    options,
  );
};
proto.bernoulli = function <D extends DType>(this: Tensor<D>, options?: DrawOptions) {
  return bernoulli(this, undefined, options) as Tensor<D>;
};

/**
 * 0/1 draws with the probabilities `input` (in [0, 1]; or `p` for every element), in input's
 * dtype (torch.bernoulli). @example bernoulli(full([3], 0.3))
 */
export function bernoulli(input: Tensor, p?: number, options?: DrawOptions): Tensor {
  const name = 'bernoulli';
  const x = tensorArg(name, 'input', input);
  const { generator } = checkOptions(name, options, { generator: 'any' });
  floating(name, x);
  return drawingFrom(name, generator, () =>
    noGrad(() =>
      tidy(() => {
        const probs = p === undefined ? x.to('float64') : full([], num(name, 'p', p), { dtype: 'float64' });
        if (probs.lt(0).logicalOr(probs.gt(1)).logicalOr(probs.isnan()).any().item())
          fail('INVALID_ARGUMENT', `${name}: the probabilities must be in [0, 1]`);
        return uniformDraws(x).lt(probs).to(x.dtype);
      }),
    ),
  );
}

/**
 * Normal draws with mean and standard deviation (torch.normal): either may be a tensor (they
 * broadcast), or both numbers with a `size`. @example normal(zeros([3]), 1) // N(0, 1) x 3
 */
export function normal(
  mean: Tensor | number,
  std: Tensor | number = 1,
  size?: readonly number[],
  options?: RandomOptions,
): Tensor {
  const name = 'normal';
  for (const [arg, v] of [
    ['mean', mean],
    ['std', std],
  ] as const)
    if (!(v instanceof Tensor) && typeof v !== 'number')
      fail('INVALID_ARGUMENT', `${name}: ${arg} must be a Tensor or a number, got ${describe(v)}`);
  const o = checkOptions(name, options, { dtype: 'any', device: 'any', requiresGrad: 'boolean', generator: 'any' });
  if (typeof mean === 'number' && typeof std === 'number' && size === undefined)
    fail('INVALID_ARGUMENT', `${name}: with a number mean and std, give the size of the result`);
  if (typeof std === 'number' && !(std >= 0)) fail('INVALID_ARGUMENT', `${name}: std must be >= 0, got ${std}`);
  const r = noGrad(() =>
    tidy(() => {
      const like = mean instanceof Tensor ? mean : std instanceof Tensor ? std : null;
      const dtype = o.dtype ?? (like && isFloating(like.dtype) ? like.dtype : 'float32');
      const device = o.device ?? like?.device;
      if (std instanceof Tensor && std.lt(0).any().item())
        fail('INVALID_ARGUMENT', `${name}: std must be >= 0 everywhere`);
      const shape =
        size !== undefined
          ? (list(name, 'size', size, 64) as unknown[]).map((s) => int(name, 'size', s))
          : mean instanceof Tensor && std instanceof Tensor
            ? mean.add(std).shape
            : like!.shape;
      const z = randn(shape, { dtype: 'float64', device, generator: o.generator });
      return z
        .mul(std instanceof Tensor ? std.to('float64') : std)
        .add(mean instanceof Tensor ? mean.to('float64') : mean)
        .to(dtype);
    }),
  );
  if (o.requiresGrad) r.requiresGrad_();
  return r;
}

/**
 * Poisson draws with the rates `input` (>= 0), in its dtype (torch.poisson): distributions.Poisson's
 * sampler (Knuth's method below rate 10, Hormann's PTRS above). @example poisson(full([4], 3))
 */
export function poisson(input: Tensor, options?: DrawOptions): Tensor {
  const name = 'poisson';
  const rates = tensorArg(name, 'input', input);
  const { generator } = checkOptions(name, options, { generator: 'any' });
  floating(name, rates);
  return drawingFrom(name, generator, () =>
    noGrad(() =>
      tidy(() => {
        if (rates.lt(0).logicalOr(rates.isnan()).any().item())
          fail('INVALID_ARGUMENT', `${name}: the rates must be non-negative`);
        return new Poisson(rates).sample();
      }),
    ),
  );
}

/**
 * Binomial draws: successes in `count` trials of probability `prob` (torch.binomial; the two
 * broadcast, counts whole and non-negative, probabilities in [0, 1]), as prob's dtype. Waiting
 * times between successes where n min(p, 1 - p) < 10, Hormann's BTRS rejection above (torch's and
 * numpy's method). @example binomial(full([4], 10), full([4], 0.3))
 */
export function binomial(count: Tensor, prob: Tensor, options?: DrawOptions): Tensor {
  const name = 'binomial';
  const n0 = tensorArg(name, 'count', count),
    p0 = tensorArg(name, 'prob', prob);
  const { generator } = checkOptions(name, options, { generator: 'any' });
  floating(name, p0);
  return drawingFrom(name, generator, () =>
    noGrad(() =>
      tidy(() => {
        const shape = n0.add(p0).shape;
        const opts = { dtype: 'float64' as const, device: p0.device };
        const n = n0.to('float64').expand(shape),
          p = p0.to('float64').expand(shape);
        if (n.lt(0).logicalOr(n.ne(n.floor())).any().item())
          fail('INVALID_ARGUMENT', `${name}: count must hold non-negative whole numbers`);
        if (p.lt(0).logicalOr(p.gt(1)).logicalOr(p.isnan()).any().item())
          fail('INVALID_ARGUMENT', `${name}: prob must be in [0, 1]`);
        // draw with q = min(p, 1 - p), then flip back
        const flip = p.gt(0.5);
        const q = where(flip, p.neg().add(1), p);
        const small = n.mul(q).lt(10);
        let k: Tensor = full(shape, 0, opts);
        // waiting times: trials to each success are geometric; count the successes within n
        {
          const lq = where(q.gt(0), q.neg().log1p(), -1); // q = 0: no success (masked below)
          let used: Tensor = full(shape, 0, opts);
          let live = small.logicalAnd(q.gt(0)).logicalAnd(n.gt(0));
          for (let i = 0; live.any().item(); i++) {
            if (i > 10000) fail('INTERNAL', `${name}: the waiting-time sampler did not finish`);
            used = used.add(rand(shape, opts).neg().log1p().div(lq).ceil().clamp(1, null));
            const hit = live.logicalAnd(used.le(n));
            k = where(hit, k.add(1), k);
            live = hit;
          }
        }
        const big = small.logicalNot();
        if (big.any().item()) {
          // BTRS (Hormann 1993), with the exact log-factorial acceptance test
          const N = where(big, n, 100),
            Q = where(big, q, 0.5);
          const spq = N.mul(Q).mul(Q.neg().add(1)).sqrt();
          const b = spq.mul(2.53).add(1.15);
          const a = b.mul(0.0248).add(Q.mul(0.01)).add(-0.0873);
          const c = N.mul(Q).add(0.5);
          const vr = b.reciprocal().mul(-4.2).add(0.92);
          const alpha = b.reciprocal().mul(5.1).add(2.83).mul(spq);
          const lpq = Q.div(Q.neg().add(1)).log();
          const m = N.add(1).mul(Q).floor();
          const h = m.add(1).lgamma().add(N.sub(m).add(1).lgamma());
          let todo = big;
          for (let round = 0; todo.any().item(); round++) {
            if (round > 1000) fail('INTERNAL', `${name}: the rejection sampler did not finish`);
            const U = rand(shape, opts).sub(0.5),
              V = rand(shape, opts);
            const us = U.abs().neg().add(0.5);
            const kk = a.mul(2).div(us).add(b).mul(U).add(c).floor();
            const inRange = kk.ge(0).logicalAnd(kk.le(N));
            const quick = us.ge(0.07).logicalAnd(V.le(vr));
            const lhs = V.mul(alpha).div(a.div(us.square()).add(b)).log();
            const safeK = where(inRange, kk, 0);
            const rhs = h.sub(safeK.add(1).lgamma()).sub(N.sub(safeK).add(1).lgamma()).add(safeK.sub(m).mul(lpq));
            const ok = inRange.logicalAnd(quick.logicalOr(lhs.le(rhs)));
            const take = todo.logicalAnd(ok);
            k = where(take, kk, k);
            todo = todo.logicalAnd(ok.logicalNot());
          }
        }
        return where(flip, n.sub(k), k).to(p0.dtype);
      }),
    ),
  );
}
