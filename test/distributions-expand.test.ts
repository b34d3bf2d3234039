// Distribution.expand (torch's expand): every family broadcast to a larger batch gives the
// original's log-densities, moments and entropy broadcast, draws of the new shape, gradients that
// reach the original parameters, and refuses shapes its batch does not broadcast to. Then
// enumerateSupport (the finite families, shapes as torch's) and perplexity.
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { distributions as D, tensor, type Tensor } from '../src/index.js';
import { FAMILIES } from './helpers/families.js';
import { expectTensorError } from './helpers/harness.js';

// a's values equal b's broadcast to a's shape (NaN where b is NaN)
function expectBroadcastEqual(a: Tensor, b: Tensor, label: string): void {
  const bb = b.expand(a.shape);
  const diff = a.sub(bb).abs().nanToNum({ nan: 0 }).max().item() as number;
  expect(diff, label).toBeLessThan(1e-6);
  expect(a.isnan().eq(bb.isnan()).all().item(), `${label} NaNs`).toBe(true);
}
// a property, or null where the family does not define it
function maybe(f: () => Tensor): Tensor | null {
  try {
    return f();
  } catch (e) {
    if ((e as { code?: string }).code === 'NOT_IMPLEMENTED') return null;
    throw e;
  }
}

describe('Distribution.expand', () => {
  it('every family: batch, draws, logProb, moments and entropy of the expanded batch', () => {
    tk.manualSeed(11);
    for (const [name, make] of Object.entries(FAMILIES)) {
      tk.tidy(() => {
        const d = make();
        const target = d.batchShape.length ? [3, ...d.batchShape] : [3, 2];
        const e = d.expand(target);
        expect(e.batchShape, name).toEqual(target);
        expect(e.eventShape, name).toEqual(d.eventShape);
        expect(e).toBeInstanceOf(d.constructor);
        const x = e.sample([4]);
        expect(x.shape, `${name} sample`).toEqual([4, ...target, ...d.eventShape]);
        expectBroadcastEqual(e.logProb(x), d.logProb(x), `${name} logProb`);
        for (const [prop, f] of [
          ['mean', (q: D.Distribution) => q.mean],
          ['variance', (q: D.Distribution) => q.variance],
          ['entropy', (q: D.Distribution) => q.entropy()],
        ] as const) {
          const a = maybe(() => f(e));
          const b = maybe(() => f(d));
          expect(a === null, `${name} ${prop} defined alike`).toBe(b === null);
          if (a && b) {
            expect(a.shape, `${name} ${prop} shape`).toEqual([...target, ...b.shape.slice(d.batchShape.length)]);
            expectBroadcastEqual(a, b, `${name} ${prop}`);
          }
        }
        // the original is unchanged
        expect(d.batchShape.length, name).toBeLessThan(target.length);
      });
    }
  });

  it('batched parameters, size-1 dims and nested distributions; gradients reach the originals', () => {
    const loc = tensor([0, 1], { requiresGrad: true });
    const n = new D.Normal(loc, 2);
    const e = n.expand([5, 2]);
    expect(e.loc.shape).toEqual([5, 2]);
    e.rsample().sum().backward();
    expect(loc.grad!.toArray()).toEqual([5, 5]);
    expect(new D.Normal(tk.zeros([1]), 1).expand([4]).sample().shape).toEqual([4]);
    const mix = new D.MixtureSameFamily(
      new D.Categorical({ probs: tensor([[0.3, 0.7]]) }),
      new D.Normal(tensor([[-1, 1]]), 1),
    );
    const me = mix.expand([3]);
    expect(me.batchShape).toEqual([3]);
    expect(me.logProb(tensor([0.5, 0, -2])).shape).toEqual([3]);
    expectBroadcastEqual(me.logProb(tensor([0.5, 0, -2])), mix.logProb(tensor([0.5, 0, -2])), 'mixture');
    const ind = new D.Independent(new D.Normal(tk.zeros([2, 3]), 1), 1).expand([4, 2]);
    expect([ind.batchShape, ind.eventShape, ind.sample().shape]).toEqual([[4, 2], [3], [4, 2, 3]]);
  });

  it('a batch that does not broadcast to the shape is refused', () => {
    const d = new D.Normal(tk.zeros([2]), 1);
    expectTensorError(
      () => d.expand([3]),
      'SHAPE_MISMATCH',
      /Normal\.expand: a batch of \[2\] cannot be expanded to \[3\]/,
    );
    expectTensorError(() => d.expand([2, 3]), 'SHAPE_MISMATCH', /cannot be expanded to \[2, 3\]/);
    expectTensorError(() => d.expand([-1]), 'INVALID_ARGUMENT', /Normal\.expand: 'batchShape'/);
    expectTensorError(() => d.expand('2' as never), 'INVALID_ARGUMENT', /batchShape/);
  });
});

describe('enumerateSupport and perplexity', () => {
  it("the finite families enumerate their support with torch's shapes; probabilities over it sum to 1", () =>
    tk.tidy(() => {
      const cases: [string, D.Distribution, number[], number[]][] = [
        ['Bernoulli', new D.Bernoulli({ probs: tensor([0.2, 0.7]) }), [2, 2], [2, 1]],
        [
          'Categorical',
          new D.Categorical({
            probs: tensor([
              [0.2, 0.3, 0.5],
              [0.6, 0.3, 0.1],
            ]),
          }),
          [3, 2],
          [3, 1],
        ],
        ['Binomial', new D.Binomial(4, { probs: tensor([0.2, 0.7]) }), [5, 2], [5, 1]],
        [
          'OneHotCategorical',
          new D.OneHotCategorical({
            probs: tensor([
              [0.2, 0.8],
              [0.5, 0.5],
            ]),
          }),
          [2, 2, 2],
          [2, 1, 2],
        ],
        [
          'OneHotCategoricalStraightThrough',
          new D.OneHotCategoricalStraightThrough({ logits: tk.zeros([3]) }),
          [3, 3],
          [3, 3],
        ],
      ];
      for (const [name, d, full, compact] of cases) {
        expect(d.hasEnumerateSupport, name).toBe(true);
        const values = d.enumerateSupport();
        expect(values.shape, name).toEqual(full);
        expect(d.enumerateSupport(false).shape, `${name} compact`).toEqual(compact);
        const total = d.logProb(values).exp().sum(0);
        expect(total.sub(1).abs().max().item(), `${name} total`).toBeLessThan(1e-6);
      }
      expect(new D.Categorical({ logits: tk.zeros([3]) }).enumerateSupport().dtype).toBe('int64');
      expect(new D.Binomial(3, { probs: tensor(0.5) }).enumerateSupport().toArray()).toEqual([0, 1, 2, 3]);
      for (const d of [new D.Normal(0, 1), new D.Poisson(tensor(1)), new D.Geometric({ probs: tensor(0.5) })]) {
        expect(d.hasEnumerateSupport).toBe(false);
        expectTensorError(() => d.enumerateSupport(), 'NOT_IMPLEMENTED', /enumerateSupport is not defined/);
      }
      expectTensorError(
        () => new D.Binomial(tensor([2, 3]), { probs: tensor([0.2, 0.7]) }).enumerateSupport(),
        'NOT_IMPLEMENTED',
        /total counts differ across the batch/,
      );
      expectTensorError(
        () => new D.Bernoulli({ probs: tensor(0.5) }).enumerateSupport(1 as never),
        'INVALID_ARGUMENT',
        /expand must be a boolean/,
      );
    }));

  it('perplexity is exp(entropy)', () => {
    expect(new D.Normal(0, 1).perplexity().item()).toBeCloseTo(Math.sqrt(2 * Math.PI * Math.E), 5);
    expect(new D.Categorical({ logits: tk.zeros([4]) }).perplexity().item()).toBeCloseTo(4, 5);
  });
});
