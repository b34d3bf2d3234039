// Generator (torch.Generator): a private random stream. Seeded alike it gives the global stream's
// draws; drawing from it leaves the global stream where it was; every function that takes
// `generator` (creation, samplers, fills, data splits and loaders) replays under the same seed.
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { data, Generator, tensor, type Tensor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';

const arr = (t: Tensor) => t.toArray();

describe('Generator', () => {
  it("seeded alike, it draws the global stream's values, and leaves the global stream alone", () => {
    tk.manualSeed(5);
    const global = arr(tk.rand([4]));
    const g = new Generator().manualSeed(5);
    expect(arr(tk.rand([4], { generator: g }))).toEqual(global);
    tk.manualSeed(1);
    const a = arr(tk.randn([3]));
    tk.manualSeed(1);
    tk.randn([100], { generator: g }).dispose();
    expect(arr(tk.randn([3]))).toEqual(a);
    expect(tk.initialSeed()).toBe(1n);
  });

  it('advances with each draw; getState/setState replay; seed() and initialSeed as torch', () => {
    const g = new Generator();
    expect(g.initialSeed()).toBe(67280421310721n); // torch's default seed
    g.manualSeed(7);
    const s = g.getState();
    const first = arr(tk.rand([3], { generator: g }));
    expect(arr(tk.rand([3], { generator: g }))).not.toEqual(first);
    g.setState(s);
    expect(arr(tk.rand([3], { generator: g }))).toEqual(first);
    const fresh = g.seed();
    expect(g.initialSeed()).toBe(fresh);
    expect(new Generator('cuda').device).toBe('cuda:0');
  });

  it('every random function replays from the same seed', () => {
    const g = new Generator();
    const p = tensor([0.2, 0.5, 0.9], { dtype: 'float64' });
    const draws: [string, () => Tensor][] = [
      ['randn', () => tk.randn([5], { generator: g })],
      ['randint', () => tk.randint(0, 100, [5], { generator: g })],
      ['randperm', () => tk.randperm(8, { generator: g })],
      ['normal', () => tk.normal(0, 2, [5], { generator: g })],
      ['bernoulli', () => tk.bernoulli(p, undefined, { generator: g })],
      ['Tensor.bernoulli', () => p.bernoulli({ generator: g })],
      ['poisson', () => tk.poisson(tensor([1, 5, 20]), { generator: g })],
      ['binomial', () => tk.binomial(tensor([10, 50]), tensor([0.3, 0.6]), { generator: g })],
      ['multinomial', () => tensor([0.1, 0.2, 0.7]).multinomial(4, { replacement: true, generator: g })],
      ['uniform_', () => tk.zeros([5]).uniform_(-1, 1, { generator: g })],
      ['normal_', () => tk.zeros([5]).normal_(0, 1, { generator: g })],
      ['logNormal_', () => tk.zeros([5]).logNormal_(1, 2, { generator: g })],
      ['exponential_', () => tk.zeros([5]).exponential_(1, { generator: g })],
      ['cauchy_', () => tk.zeros([5]).cauchy_(0, 1, { generator: g })],
      ['geometric_', () => tk.zeros([5]).geometric_(0.3, { generator: g })],
      ['random_', () => tk.zeros([5]).random_(0, 10, { generator: g })],
      ['bernoulli_', () => tk.zeros([5]).bernoulli_(0.5, { generator: g })],
    ];
    for (const [name, draw] of draws) {
      g.manualSeed(11);
      const a = arr(draw());
      const b = arr(draw()); // the stream moved on
      g.manualSeed(11);
      expect(arr(draw()), `${name} replays`).toEqual(a);
      if (name !== 'bernoulli' && name !== 'Tensor.bernoulli') expect(b, `${name} advances`).not.toEqual(a);
    }
  });

  it('randomSplit, DataLoader and the samplers take a generator for their seed', async () => {
    const ds = new data.TensorDataset(tk.arange(20));
    const split = (seed: number) =>
      data.randomSplit(ds, [0.5, 0.5], { generator: new Generator().manualSeed(seed) }).map((s) => s.indices);
    expect(split(3)).toEqual(split(3));
    expect(split(3)).not.toEqual(split(4));
    const order = async (seed: number) => {
      const loader = new data.DataLoader(ds, {
        batchSize: 20,
        shuffle: true,
        generator: new Generator().manualSeed(seed),
      });
      for await (const [x] of loader) return arr(x as Tensor);
      return [];
    };
    expect(await order(9)).toEqual(await order(9));
    const sampler = (seed: number) =>
      new data.RandomSampler(ds, { generator: new Generator().manualSeed(seed) }).indices(0);
    expect(sampler(2)).toEqual(sampler(2));
    expect(
      new data.SubsetRandomSampler([1, 2, 3], { generator: new Generator().manualSeed(1) }).indices(0).sort(),
    ).toEqual([1, 2, 3]);
    const w = new data.WeightedRandomSampler([1, 2, 3], 5, { generator: new Generator().manualSeed(1) });
    expect(w.indices(0).length).toBe(5);
    expectTensorError(
      () => data.randomSplit(ds, [10, 10], { seed: 1, generator: new Generator() }),
      'INVALID_ARGUMENT',
      /randomSplit: give a seed or a generator, not both/,
    );
  });

  it('bad generators and seeds are refused by name', () => {
    expectTensorError(
      () => tk.rand([2], { generator: 3 as never }),
      'INVALID_ARGUMENT',
      /rand: generator must be a Generator, got 3/,
    );
    expectTensorError(
      () => tk.zeros([2]).uniform_(0, 1, { generator: {} as never }),
      'INVALID_ARGUMENT',
      /uniform_: generator must be a Generator/,
    );
    expectTensorError(() => tk.zeros([2]).uniform_(0, 1, { gen: 1 } as never), 'INVALID_ARGUMENT', /uniform_/);
    expectTensorError(
      () => new Generator().manualSeed(-1),
      'INVALID_ARGUMENT',
      /Generator.manualSeed: expected a non-negative integer/,
    );
    expectTensorError(
      () => new Generator('gpu' as never),
      'INVALID_ARGUMENT',
      /Generator: expected a device, got "gpu"/,
    );
    expectTensorError(() => new Generator().setState({ seed: 1 } as never), 'INVALID_ARGUMENT', /Generator.setState/);
    expectTensorError(() => tk.zeros([2], { generator: new Generator() } as never), 'INVALID_ARGUMENT', /zeros/);
  });
});
