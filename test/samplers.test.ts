// The samplers of src/data/samplers.ts: each order's law (a permutation, uniform or weighted draws,
// with or without replacement) by its statistics, repeatability per (seed, epoch), BatchSampler's
// grouping, a DataLoader driven by a sampler or a batchSampler (in this thread and with workers),
// and the argument checks.
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { data } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';

const isPermutation = (xs: number[], n: number) =>
  xs.length === n && [...xs].sort((a, b) => a - b).every((v, i) => v === i);

describe('samplers', () => {
  it('SequentialSampler and RandomSampler: orders, repeatable per seed and epoch', () => {
    expect([...new data.SequentialSampler(4)]).toEqual([0, 1, 2, 3]);
    const r = new data.RandomSampler(10, { seed: 3 });
    const e0 = r.indices(0),
      e1 = r.indices(1);
    expect(isPermutation(e0, 10) && isPermutation(e1, 10)).toBe(true);
    expect(e1).not.toEqual(e0);
    expect(new data.RandomSampler(10, { seed: 3 }).indices(1)).toEqual(e1);
    r.setEpoch(1);
    expect([...r]).toEqual(e1);
    // more samples than the dataset without replacement: whole permutations, then the start of one
    const long = new data.RandomSampler(4, { numSamples: 10, seed: 1 }).indices(0);
    expect(isPermutation(long.slice(0, 4), 4) && isPermutation(long.slice(4, 8), 4)).toBe(true);
    expect(long.length).toBe(10);
    // with replacement: uniform over [0, n)
    const draws = new data.RandomSampler(5, { replacement: true, numSamples: 50000, seed: 2 }).indices(0);
    const counts = [0, 0, 0, 0, 0];
    for (const d of draws) counts[d]++;
    for (const c of counts) expect(Math.abs(c / 50000 - 0.2)).toBeLessThan(5 * Math.sqrt((0.2 * 0.8) / 50000));
  });

  it('SubsetRandomSampler permutes exactly its indices', () => {
    const s = new data.SubsetRandomSampler(tk.tensor([7, 3, 9, 1], { dtype: 'int64' }), { seed: 5 });
    const got = s.indices(2);
    expect([...got].sort((a, b) => a - b)).toEqual([1, 3, 7, 9]);
    expect(s.length).toBe(4);
  });

  it('WeightedRandomSampler: frequencies follow the weights; without replacement, distinct and never a zero weight', () => {
    const w = [1, 3, 0, 6];
    const n = 60000;
    const draws = new data.WeightedRandomSampler(w, n, { seed: 7 }).indices(0);
    const counts = [0, 0, 0, 0];
    for (const d of draws) counts[d]++;
    w.forEach((wi, i) => {
      const p = wi / 10;
      expect(Math.abs(counts[i] / n - p), `index ${i}`).toBeLessThanOrEqual(5 * Math.sqrt((p * (1 - p)) / n));
    });
    // without replacement: the first pick has probability w_i / sum(w)
    const firsts = [0, 0, 0, 0];
    const s = new data.WeightedRandomSampler(tk.tensor(w), 3, { replacement: false, seed: 8 });
    for (let e = 0; e < 20000; e++) {
      const pick = s.indices(e);
      expect(new Set(pick).size).toBe(3);
      expect(pick.includes(2)).toBe(false);
      firsts[pick[0]]++;
    }
    w.forEach((wi, i) => {
      const p = wi / 10;
      expect(Math.abs(firsts[i] / 20000 - p)).toBeLessThanOrEqual(5 * Math.sqrt((p * (1 - p)) / 20000) + 1e-12);
    });
  });

  it('BatchSampler groups a sampler per epoch, the last batch shorter unless dropLast', () => {
    const b = new data.BatchSampler(new data.SequentialSampler(7), 3, false);
    expect(b.batches(0)).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(new data.BatchSampler([0, 1, 2, 3, 4, 5, 6], 3, true).batches(0)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    const r = new data.RandomSampler(6, { seed: 1 });
    expect(new data.BatchSampler(r, 2, false).batches(3).flat()).toEqual(r.indices(3));
  });
});

describe('DataLoader with samplers', () => {
  const ds = () => new data.TensorDataset(tk.arange(10, { dtype: 'float32' }).reshape([10, 1]));
  const firstCol = (b: tk.Tensor[]) => Array.from(b[0].reshape([-1]).data() as Float32Array);

  it('a sampler sets the order, a batchSampler the batches; length follows them', () => {
    const s = new data.RandomSampler(10, { seed: 4 });
    const l = new data.DataLoader(ds(), { batchSize: 4, sampler: s });
    expect([...l].map(firstCol).flat()).toEqual(s.indices(0));
    expect([...l].map(firstCol).flat()).toEqual(s.indices(1)); // the loader's epoch 1
    const bs = new data.BatchSampler(
      new data.WeightedRandomSampler([0, 0, 1, 1, 0, 0, 0, 0, 0, 1], 7, { seed: 2 }),
      3,
      false,
    );
    const lb = new data.DataLoader(ds(), { batchSampler: bs });
    expect(lb.length).toBe(3);
    const got = [...lb].map(firstCol);
    expect(got.map((g) => g.length)).toEqual([3, 3, 1]);
    expect(got.flat().every((v) => v === 2 || v === 3 || v === 9)).toBe(true);
    expect(got).toEqual(bs.batches(0));
    const fn = new data.DataLoader(ds(), { batchSampler: (e: number) => [[e, e + 1], [9]] });
    expect([...fn].map(firstCol)).toEqual([[0, 1], [9]]);
    expect([...fn].map(firstCol)).toEqual([[1, 2], [9]]);
  });

  it('with worker threads the batches are the same', async () => {
    const bs = new data.BatchSampler(new data.RandomSampler(10, { seed: 9 }), 4, true);
    const l = new data.DataLoader(ds(), { batchSampler: bs, numWorkers: 2 });
    const got: number[][] = [];
    for await (const b of l) got.push(firstCol(b as tk.Tensor[]));
    await l.shutdown();
    expect(got).toEqual(bs.batches(0));
  });

  it('checks', () => {
    expectTensorError(
      () => new data.DataLoader(ds(), { batchSampler: [[0]], batchSize: 4 }),
      'INVALID_ARGUMENT',
      /batchSampler excludes batchSize/,
    );
    expectTensorError(
      () => new data.DataLoader(ds(), { batchSampler: [[0]], shuffle: true, dropLast: true }),
      'INVALID_ARGUMENT',
      /batchSampler excludes shuffle, dropLast/,
    );
    expectTensorError(
      () => new data.DataLoader(ds(), { batchSampler: 3 as never }),
      'INVALID_ARGUMENT',
      /batchSampler must be/,
    );
    expectTensorError(
      () => [...new data.DataLoader(ds(), { batchSampler: [[]] })],
      'INVALID_ARGUMENT',
      /not a non-empty list/,
    );
    expectTensorError(() => new data.WeightedRandomSampler([1, -1], 2), 'INVALID_ARGUMENT', /non-negative numbers/);
    expectTensorError(() => new data.WeightedRandomSampler([0, 0], 2), 'INVALID_ARGUMENT', /every weight is 0/);
    expectTensorError(
      () => new data.WeightedRandomSampler([1, 0, 2], 3, { replacement: false }),
      'INVALID_ARGUMENT',
      /cannot draw 3 samples without replacement from 2 positive weights/,
    );
    expectTensorError(() => new data.RandomSampler(5, { numSamples: 0 }), 'INVALID_ARGUMENT', /numSamples/);
    expectTensorError(() => new data.SubsetRandomSampler([1, -2]), 'INVALID_ARGUMENT', /non-negative integer indices/);
    expectTensorError(() => new data.BatchSampler(3 as never, 2, false), 'INVALID_ARGUMENT', /sampler must be/);
    expectTensorError(() => new data.BatchSampler([1], 0, false), 'INVALID_ARGUMENT', /batchSize/);
    expectTensorError(
      () => new data.SequentialSampler(3).indices(-1),
      'INVALID_ARGUMENT',
      /non-negative integer epoch/,
    );
  });
});

describe('ChainDataset', () => {
  it('yields its iterable datasets one after another, batched by a DataLoader across the seam', () => {
    class Count extends data.IterableDataset<number> {
      constructor(
        private readonly from: number,
        private readonly n: number,
      ) {
        super();
      }
      *[Symbol.iterator]() {
        for (let i = 0; i < this.n; i++) yield this.from + i;
      }
    }
    const chain = new data.ChainDataset([new Count(0, 3), new Count(10, 2)]);
    expect([...chain]).toEqual([0, 1, 2, 10, 11]);
    const batches = [...new data.DataLoader(chain, { batchSize: 2 })].map((b) => (b as tk.Tensor).toArray());
    expect(batches).toEqual([[0, 1], [2, 10], [11]]);
    expectTensorError(() => new data.ChainDataset([3 as never]), 'INVALID_ARGUMENT', /list of IterableDatasets/);
  });
});
