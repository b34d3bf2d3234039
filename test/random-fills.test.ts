// The random in-place fills and samplers (src/ops/random.ts): each distribution's mean and
// variance over 200,000 seeded draws against the closed forms (within 3% of the variance's scale,
// far wider than the sampling error at this n, so no seed is lucky), the supports, the seed's
// reproducibility, the autograd rules, and the errors.
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { type Tensor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';

const N = 200_000;
const z = () => tk.zeros([N], { dtype: 'float64' });
const moments = (t: Tensor) => ({
  mean: t.double().mean().item(),
  var: t.double().var().item(),
  min: Number(t.min().item()),
  max: Number(t.max().item()),
});
function expectMoments(t: Tensor, mean: number, variance: number, label: string) {
  const m = moments(t);
  // the sampling error of the mean is sqrt(var / N) ~ 0.2% of sd; of the variance, ~0.3%
  expect(Math.abs(m.mean - mean), `${label} mean ${m.mean}`).toBeLessThan(0.03 * Math.sqrt(variance));
  expect(Math.abs(m.var - variance), `${label} variance ${m.var}`).toBeLessThan(0.03 * variance);
  return m;
}

describe('random fills', () => {
  it('uniform_, normal_, logNormal_, exponential_, geometric_: moments and supports', () => {
    tk.manualSeed(7);
    let m = expectMoments(z().uniform_(-1, 3), 1, 16 / 12, 'uniform_');
    expect(m.min).toBeGreaterThanOrEqual(-1);
    expect(m.max).toBeLessThan(3);
    expectMoments(z().normal_(2, 3), 2, 9, 'normal_');
    const s = 0.5;
    expectMoments(z().logNormal_(0, s), Math.exp((s * s) / 2), (Math.exp(s * s) - 1) * Math.exp(s * s), 'logNormal_');
    m = expectMoments(z().exponential_(2), 0.5, 0.25, 'exponential_');
    expect(m.min).toBeGreaterThanOrEqual(0);
    const g = z().geometric_(0.25);
    m = expectMoments(g, 4, 0.75 / 0.0625, 'geometric_');
    expect(m.min).toBe(1);
    expect(g.eq(g.round()).all().item()).toBe(true);
  });
  it('cauchy_ (median and quartiles), random_, bernoulli_ and bernoulli', () => {
    tk.manualSeed(8);
    const c = z().cauchy_(1, 2);
    // quartiles of Cauchy(1, 2): 1 -+ 2
    expect(Math.abs(c.quantile(0.5).item() - 1)).toBeLessThan(0.03);
    expect(Math.abs(c.quantile(0.25).item() + 1)).toBeLessThan(0.05);
    const r = tk.zeros([N], { dtype: 'int64' }).random_(3, 10);
    expect(r.dtype).toBe('int64');
    expectMoments(r, 6, (49 - 1) / 12, 'random_(3, 10)');
    expect(moments(r).min).toBe(3);
    expect(moments(r).max).toBe(9);
    const r2 = tk.zeros([1000]).random_(4);
    expect(r2.min().item()).toBe(0);
    expect(r2.max().item()).toBe(3);
    const all = tk.zeros([1000]).random_();
    expect(all.max().item()).toBeLessThanOrEqual(2 ** 24);
    expect(all.eq(all.round()).all().item()).toBe(true);
    expectMoments(z().bernoulli_(0.3), 0.3, 0.21, 'bernoulli_');
    const p = tk.linspace(0, 1, N, { dtype: 'float64' });
    const b = z().bernoulli_(p);
    expect(b.mul(p).sum().item() / b.sum().item()).toBeCloseTo(2 / 3, 2); // E[p | hit] = 2/3
    const bb = tk.full([N], 0.7, { dtype: 'float64' }).bernoulli();
    expect(bb.dtype).toBe('float64');
    expectMoments(bb, 0.7, 0.21, 'bernoulli()');
    expectMoments(tk.bernoulli(tk.zeros([N]), 0.4), 0.4, 0.24, 'bernoulli(input, p)');
  });
  it('normal and poisson as free functions', () => {
    tk.manualSeed(9);
    expectMoments(tk.normal(tk.full([N], 5, { dtype: 'float64' }), 2), 5, 4, 'normal(mean tensor, 2)');
    expectMoments(tk.normal(0, tk.full([N], 3)), 0, 9, 'normal(0, std tensor)');
    const n = tk.normal(1, 2, [3, 4]);
    expect(n.shape).toEqual([3, 4]);
    expect(n.dtype).toBe('float32');
    expectMoments(tk.poisson(tk.full([N], 4.5, { dtype: 'float64' })), 4.5, 4.5, 'poisson(4.5)');
    expectMoments(tk.poisson(tk.full([N], 30, { dtype: 'float64' })), 30, 30, 'poisson(30)');
  });
  it('binomial: moments in both samplers and the flip, the exact pmf in the rejection sampler', () => {
    tk.manualSeed(10);
    const n = 100_000;
    const draw = (count: number, p: number) =>
      tk.binomial(tk.full([n], count, { dtype: 'float64' }), tk.full([n], p, { dtype: 'float64' }));
    const within = (t: Tensor, mean: number, variance: number, label: string) => {
      expect(Math.abs(t.mean().item() - mean), `${label} mean`).toBeLessThan(0.03 * Math.sqrt(variance) + 1e-12);
      expect(Math.abs(t.var().item() - variance), `${label} variance`).toBeLessThan(0.04 * variance + 1e-12);
    };
    within(draw(20, 0.1), 2, 1.8, 'waiting times');
    within(draw(50, 0.9), 45, 4.5, 'flipped');
    const big = draw(1000, 0.3);
    within(big, 300, 210, 'BTRS');
    // total variation distance to the exact pmf: sampling noise alone is ~0.01 at this n
    const counts = big.to('int64').bincount({ minlength: 1001 }).tolist() as number[];
    let tv = 0;
    const lg = (v: number) => tk.tensor([v], { dtype: 'float64' }).lgamma().item();
    const logC = lg(1001);
    for (let k = 200; k <= 400; k++) {
      const pmf = Math.exp(logC - lg(k + 1) - lg(1001 - k) + k * Math.log(0.3) + (1000 - k) * Math.log(0.7));
      tv += Math.abs(Number(counts[k]) / n - pmf);
    }
    expect(tv / 2).toBeLessThan(0.02);
    expect(tk.binomial(tk.tensor([0, 5, 5]), tk.tensor([0.3, 0, 1])).tolist()).toEqual([0, 0, 5]);
    expectTensorError(
      () => tk.binomial(tk.tensor([1.5]), tk.tensor([0.5])),
      'INVALID_ARGUMENT',
      /binomial: count must hold non-negative whole numbers/,
    );
    expectTensorError(
      () => tk.binomial(tk.tensor([2]), tk.tensor([1.5])),
      'INVALID_ARGUMENT',
      /binomial: prob must be in \[0, 1\]/,
    );
  });
  it('a seed reproduces the draws', () => {
    const draw = () => [tk.zeros([5]).uniform_().tolist(), tk.zeros([5]).exponential_().tolist()];
    tk.manualSeed(3);
    const a = draw();
    tk.manualSeed(3);
    expect(draw()).toEqual(a);
  });
  it('autograd: a leaf that requires grad is filled only under noGrad; a filled result has no gradient path back', () => {
    const w = tk.zeros([3], { requiresGrad: true });
    expectTensorError(() => w.normal_(), 'INVALID_ARGUMENT', /normal_: a leaf tensor that requires grad/);
    tk.noGrad(() => w.normal_());
    expect(w.abs().sum().item()).toBeGreaterThan(0);
    const x = tk.ones([3], { requiresGrad: true });
    const y = x.mul(2);
    y.uniform_();
    y.add(x).sum().backward();
    expect(x.grad!.tolist()).toEqual([1, 1, 1]); // only the path that skips the fill
  });
  it('errors name the op and the value', () => {
    expectTensorError(
      () => tk.zeros([2]).uniform_(2, 1),
      'INVALID_ARGUMENT',
      /uniform_: expects from <= to, got from 2/,
    );
    expectTensorError(() => tk.zeros([2]).normal_(0, -1), 'INVALID_ARGUMENT', /normal_: std must be >= 0, got -1/);
    expectTensorError(
      () => tk.zeros([2], { dtype: 'int32' }).normal_(),
      'DTYPE_MISMATCH',
      /normal_: expected a floating/,
    );
    expectTensorError(() => tk.zeros([2]).exponential_(0), 'INVALID_ARGUMENT', /exponential_: lambd must be > 0/);
    expectTensorError(() => tk.zeros([2]).geometric_(1.5), 'INVALID_ARGUMENT', /geometric_: p must be in \(0, 1\]/);
    expectTensorError(() => tk.zeros([2]).random_(5, 5), 'INVALID_ARGUMENT', /random_: expects from < to/);
    expectTensorError(() => tk.zeros([2]).bernoulli_(2), 'INVALID_ARGUMENT', /bernoulli_: p must be in \[0, 1\]/);
    expectTensorError(() => tk.full([2], 1.5).bernoulli(), 'INVALID_ARGUMENT', /bernoulli: the probabilities/);
    expectTensorError(() => tk.normal(0, 1), 'INVALID_ARGUMENT', /normal: with a number mean and std, give the size/);
    expectTensorError(
      () => tk.normal(tk.zeros([2]), 1, 3 as never),
      'INVALID_ARGUMENT',
      /normal: 'size' must be an array, got 3/,
    );
    expectTensorError(
      () => tk.poisson(tk.full([2], -1)),
      'INVALID_ARGUMENT',
      /poisson: the rates must be non-negative/,
    );
    expectTensorError(
      () => tk.normal('a' as never, 1),
      'INVALID_ARGUMENT',
      /normal: mean must be a Tensor or a number/,
    );
  });
});
