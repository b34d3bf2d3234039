// Datasets and the DataLoader: order, seeded shuffles, splits, collation, async prefetch, errors.
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { data, manualSeed, tensor, tidy, type Tensor } from '../src/index.js';
import { expectTensorError, settleGarbage } from './helpers/harness.js';

const range = (n: number) =>
  tensor(
    Array.from({ length: n }, (_, i) => i),
    { dtype: 'int64' },
  );

class Squares extends data.Dataset<number> {
  gets: number[] = [];
  constructor(
    readonly n: number,
    readonly async = false,
  ) {
    super();
  }
  get length() {
    return this.n;
  }
  get(i: number): number | Promise<number> {
    this.gets.push(i);
    return this.async ? Promise.resolve(i * i) : i * i;
  }
}

describe('datasets', () => {
  it('TensorDataset yields rows of each tensor', () =>
    tidy(() => {
      const ds = new data.TensorDataset(range(5), tk.ones([5, 2]));
      expect(ds.length).toBe(5);
      const [x, y] = ds.get(-1);
      expect([x.item(), y.shape]).toEqual([4, [2]]);
      expectTensorError(
        () => new data.TensorDataset(range(5), tk.ones([4])),
        'SHAPE_MISMATCH',
        /TensorDataset: size mismatch between tensors: 5 and 4 \(tensor 1\)/,
      );
      expectTensorError(
        () => ds.get(5),
        'INDEX_OUT_OF_RANGE',
        /TensorDataset: index 5 out of range for a dataset of 5 samples/,
      );
    }));

  it('Subset, ConcatDataset and randomSplit (counts or fractions, seeded)', () => {
    const sq = new Squares(10);
    expect(new data.Subset(sq, [3, 1]).get(0)).toBe(9);
    const cat = new data.ConcatDataset([new Squares(2), new Squares(3)]);
    expect([cat.length, cat.get(3)]).toEqual([5, 1]);
    const [a, b] = data.randomSplit(sq, [0.7, 0.3], { seed: 1 });
    expect([a.length, b.length]).toEqual([7, 3]);
    expect([...a.indices, ...b.indices].sort((x, y) => x - y)).toEqual([...Array(10).keys()]);
    const [a2] = data.randomSplit(sq, [7, 3], { seed: 1 });
    expect(a2.indices).toEqual(a.indices);
    expect(data.randomSplit(sq, [0.34, 0.33, 0.33], { seed: 2 }).map((s) => s.length)).toEqual([4, 3, 3]);
    expectTensorError(
      () => data.randomSplit(sq, [5, 6]),
      'INVALID_ARGUMENT',
      /randomSplit: sum of input lengths \(11\) does not equal the length of the dataset \(10\)/,
    );
  });
});

describe('DataLoader', () => {
  it('batches in order, with dropLast and length', () =>
    tidy(() => {
      const ds = new data.TensorDataset(range(10), range(10).mul(10));
      const batches = [...new data.DataLoader(ds, { batchSize: 4 })] as Tensor[][];
      expect(batches.map(([x]) => x.toArray())).toEqual([
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9],
      ]);
      expect(batches[2][1].toArray()).toEqual([80, 90]);
      const dropped = new data.DataLoader(ds, { batchSize: 4, dropLast: true });
      expect([dropped.length, [...dropped].length, new data.DataLoader(ds, { batchSize: 4 }).length]).toEqual([
        2, 2, 3,
      ]);
    }));

  it('shuffles with a seed: reproducible, a new order each epoch, every sample once', () => {
    const order = (l: data.DataLoader<number, unknown>) => ([...l] as Tensor[]).flatMap((b) => b.toArray() as number[]);
    const a = new data.DataLoader(new Squares(20), { batchSize: 6, shuffle: true, seed: 7 });
    const b = new data.DataLoader(new Squares(20), { batchSize: 6, shuffle: true, seed: 7 });
    const e1 = order(a),
      e2 = order(a);
    expect(order(b)).toEqual(e1);
    expect(e2).not.toEqual(e1);
    expect([...e1].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i * i).sort((x, y) => x - y));
    tk.manualSeed(3);
    const c = order(new data.DataLoader(new Squares(20), { batchSize: 6, shuffle: true }));
    tk.manualSeed(3);
    expect(order(new data.DataLoader(new Squares(20), { batchSize: 6, shuffle: true }))).toEqual(c);
  });

  it("an epoch's order depends on (seed, epoch) only: setEpoch and stateDict put a loader back", () => {
    const order = (l: data.DataLoader<number, unknown>) => ([...l] as Tensor[]).flatMap((b) => b.toArray() as number[]);
    const a = new data.DataLoader(new Squares(20), { batchSize: 6, shuffle: true, seed: 11 });
    const epochs = [order(a), order(a), order(a)];
    expect(a.epoch).toBe(3);
    const b = new data.DataLoader(new Squares(20), { batchSize: 6, shuffle: true, seed: 99 });
    b.loadStateDict({ seed: 11, epoch: 2 });
    expect(order(b)).toEqual(epochs[2]);
    b.setEpoch(1);
    expect(order(b)).toEqual(epochs[1]);
    expect(b.stateDict()).toEqual({ seed: 11, epoch: 2, batch: 0 });
    expectTensorError(
      () => b.setEpoch(-1),
      'INVALID_ARGUMENT',
      /DataLoader.setEpoch: expected a non-negative integer, got -1/,
    );
  });

  it('custom collate, samplers, and iterable datasets', () => {
    const sum = new data.DataLoader(new Squares(5), {
      batchSize: 2,
      collate: (s: number[]) => s.reduce((p, q) => p + q, 0),
    });
    expect([...sum]).toEqual([1, 13, 16]);
    const sampled = new data.DataLoader(new Squares(5), {
      batchSize: 2,
      sampler: (epoch) => (epoch === 0 ? [4, 0] : [1]),
      collate: (s: number[]) => s,
    });
    expect([...sampled]).toEqual([[16, 0]]);
    expect([...sampled]).toEqual([[1]]);
    class Count extends data.IterableDataset<{ x: number; tag: string }> {
      *[Symbol.iterator]() {
        for (let i = 0; i < 5; i++) yield { x: i, tag: `s${i}` };
      }
    }
    const batches = [...new data.DataLoader(new Count(), { batchSize: 2 })] as { x: Tensor; tag: string[] }[];
    expect(batches.map((b) => [b.x.toArray(), b.tag])).toEqual([
      [
        [0, 1],
        ['s0', 's1'],
      ],
      [
        [2, 3],
        ['s2', 's3'],
      ],
      [[4], ['s4']],
    ]);
    batches.forEach((b) => b.x.dispose());
  });

  it('for await prefetches the next batch while the current one is used', async () => {
    const ds = new Squares(6, true);
    const seen: number[][] = [];
    for await (const b of new data.DataLoader(ds, { batchSize: 2, collate: (s: number[]) => s })) {
      seen.push(b as number[]);
      // while batch k is in use, the samples of batch k + 1 have already been requested
      if (seen.length < 3) expect(ds.gets.length).toBe(2 * (seen.length + 1));
    }
    expect(seen).toEqual([
      [0, 1],
      [4, 9],
      [16, 25],
    ]);
    expect(() => [...new data.DataLoader(new Squares(2, true))]).toThrow(/iterate with for await/);
  });

  it('bad input', () => {
    expectTensorError(
      () => new data.DataLoader(new Squares(0)),
      'INVALID_ARGUMENT',
      /DataLoader: the dataset is empty/,
    );
    expectTensorError(
      () => new data.DataLoader(new Squares(3), { batchSize: 0 }),
      'INVALID_ARGUMENT',
      /DataLoader: batchSize must be a positive integer, got 0/,
    );
    expectTensorError(
      () => new data.DataLoader([1, 2] as never),
      'INVALID_ARGUMENT',
      /DataLoader: expected a Dataset or IterableDataset/,
    );
  });

  it('epochs over a TensorDataset leave no tensors behind', () => {
    const x = tk.randn([50, 3]),
      y = range(50);
    const loader = new data.DataLoader(new data.TensorDataset(x, y), { batchSize: 8, shuffle: true, seed: 0 });
    settleGarbage();
    const base = tk.memory();
    for (let epoch = 0; epoch < 5; epoch++)
      for (const batch of loader) tidy(() => (batch as Tensor[]).forEach((t) => t.dispose()));
    expect(tk.memory().tensors).toBe(base.tensors);
    x.dispose();
    y.dispose();
  });
});

describe('datasets that ship or are generated', () => {
  it('iris: 150 samples, 3 balanced classes, the known column means', () =>
    tidy(() => {
      const { features, labels, classNames, featureNames } = data.iris();
      expect([features.shape, labels.shape, labels.dtype]).toEqual([[150, 4], [150], 'int64']);
      expect(classNames).toEqual(['setosa', 'versicolor', 'virginica']);
      expect(featureNames[2]).toBe('petal_length');
      expect((features.mean(0).toArray() as number[]).map((v) => +v.toFixed(4))).toEqual([
        5.8433, 3.0573, 3.758, 1.1993,
      ]);
      expect(labels.eq(2).sum().item()).toBe(50);
    }));

  it('readCsv parses numeric columns and names string labels', () =>
    tidy(() => {
      const csv = 'a,b,kind\n1,2,cat\n3,4.5,dog\n5,6,cat\n';
      const r = data.readCsv({ text: csv }, { labelColumn: 'kind' });
      expect([r.features.toArray(), r.labels.toArray(), r.classNames, r.featureNames]).toEqual([
        [
          [1, 2],
          [3, 4.5],
          [5, 6],
        ],
        [0, 1, 0],
        ['cat', 'dog'],
        ['a', 'b'],
      ]);
      expect(
        data.readCsv({ text: '1;2\n3;4' }, { header: false, delimiter: ';', labelColumn: 1 }).labels.toArray(),
      ).toEqual([2, 4]);
      expectTensorError(
        () => data.readCsv({ text: 'a,b\n1,x\n' }),
        'INVALID_ARGUMENT',
        /readCsv: row 1, column 'b' is not a number: "x"/,
      );
      expectTensorError(
        () => data.readCsv('/nonexistent/file.csv'),
        'IO_ERROR',
        /readCsv: cannot read \/nonexistent\/file.csv/,
      );
    }));

  it('synthetic blobs and spirals are seeded', () =>
    tidy(() => {
      const a = data.synthetic.blobs({ n: 30, centers: 3, seed: 5 }),
        b = data.synthetic.blobs({ n: 30, centers: 3, seed: 5 });
      expect(Array.from(a.features.data(), Number)).toEqual(Array.from(b.features.data(), Number));
      expect([a.features.shape, a.labels.eq(1).sum().item()]).toEqual([[30, 2], 10]);
      const s = data.synthetic.spirals({ n: 40, classes: 4 });
      expect([s.features.shape, s.classNames.length]).toEqual([[40, 2], 4]);
    }));

  it('the Iris MLP example reaches high test accuracy (reduced run)', async () => {
    const { main } = await import('../examples/iris-mlp.js');
    const r = main({ epochs: 80, log: () => undefined });
    expect(r.test).toBeGreaterThanOrEqual(0.9);
    expect(r.train).toBeGreaterThanOrEqual(0.95);
  }, 30000);
});

describe('images', () => {
  it('reads CIFAR-10 binary files (generated here in the official layout) and rejects bad ones', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'cifar-'));
    const record = (label: number, fill: (i: number) => number) => {
      const b = Buffer.alloc(3073);
      b[0] = label;
      for (let i = 0; i < 3072; i++) b[1 + i] = fill(i);
      return b;
    };
    for (let f = 1; f <= 5; f++)
      writeFileSync(join(dir, `data_batch_${f}.bin`), Buffer.concat([record(f, (i) => i % 256), record(9, () => 255)]));
    writeFileSync(
      join(dir, 'test_batch.bin'),
      record(3, (i) => (i < 1024 ? 255 : 0)),
    );
    tidy(() => {
      const train = data.cifar10(dir, { train: true });
      expect(train.length).toBe(10);
      const [img, label] = train.get(2);
      expect([img.shape, label.item()]).toEqual([[3, 32, 32], 2]);
      expect(img.select(0, 0).select(0, 0).narrow(0, 0, 3).toArray()).toEqual([0, 1 / 255, 2 / 255].map(Math.fround));
      const [timg, tl] = data.cifar10(dir, { train: false }).get(0);
      expect([tl.item(), timg.select(0, 0).mean().item(), timg.select(0, 1).mean().item()]).toEqual([3, 1, 0]); // red plane first
      const loader = new data.DataLoader(train, { batchSize: 4 });
      const [xb, yb] = [...loader][0] as Tensor[];
      expect([xb.shape, yb.toArray()]).toEqual([
        [4, 3, 32, 32],
        [1, 9, 2, 9],
      ]);
    });
    // the CIFAR example runs end to end on these files (an epoch of 10 images)
    const { main } = await import('../examples/cifar10-cnn.js');
    const r = main({ dir, epochs: 1, log: () => undefined });
    expect([0, 1]).toContain(r.accuracy); // the generated test set holds one image
    writeFileSync(join(dir, 'test_batch.bin'), Buffer.alloc(3000));
    expectTensorError(
      () => data.cifar10(dir, { train: false }),
      'IO_ERROR',
      /test_batch.bin has 3000 bytes, not a whole number of 3073-byte records/,
    );
    writeFileSync(
      join(dir, 'test_batch.bin'),
      record(12, () => 0),
    );
    expectTensorError(() => data.cifar10(dir, { train: false }), 'IO_ERROR', /record 0 has label 12, expected 0-9/);
    expectTensorError(() => data.cifar10(join(dir, 'missing')), 'IO_ERROR', /cifar10: cannot read/);
  });

  it('seeded transforms: flip, crop with padding, normalize, compose', () =>
    tidy(() => {
      const img = tensor([
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
      ]); // [1, 2, 3]
      expect(data.transforms.randomHorizontalFlip(1)(img).toArray()).toEqual([
        [
          [3, 2, 1],
          [6, 5, 4],
        ],
      ]);
      expect(data.transforms.randomHorizontalFlip(0)(img).toArray()).toEqual(img.toArray());
      const crop = data.transforms.randomCrop(3, { padding: 1, seed: 4 });
      const a = crop(img).toArray(),
        b = data.transforms.randomCrop(3, { padding: 1, seed: 4 })(img).toArray();
      expect(a).toEqual(b);
      expect((a as number[][][])[0].length).toBe(3);
      expect(data.transforms.normalize([2], [0.5])(img).toArray()).toEqual([
        [
          [-2, 0, 2],
          [4, 6, 8],
        ],
      ]);
      const t = data.transforms.compose([data.transforms.randomHorizontalFlip(1), data.transforms.normalize([0], [2])]);
      expect(t(img).toArray()).toEqual([
        [
          [1.5, 1, 0.5],
          [3, 2.5, 2],
        ],
      ]);
      expectTensorError(
        () => data.transforms.randomCrop(9)(img),
        'INVALID_ARGUMENT',
        /randomCrop: crop size \[9, 9\] is larger than the padded image \[2, 3\]/,
      );
    }));

  it("native transforms: random parameters from this thread's stream (or a private seed), torchvision semantics", () =>
    tidy(() => {
      const T = data.transforms,
        TF = T.functional;
      const img = tk.rand([3, 6, 8]);
      const aug = T.compose([
        T.randomCrop([5, 7], { padding: [1, 2] }),
        T.randomHorizontalFlip(),
        T.colorJitter({ hue: 0.2 }),
      ]);
      manualSeed(4);
      const a = aug(img).toArray();
      manualSeed(4);
      expect(aug(img).toArray()).toEqual(a); // the thread's stream decides
      expect(aug(img).toArray()).not.toEqual(a);
      const own = T.randomCrop(4, { padding: 2, seed: 9 });
      const first = own(img).toArray();
      manualSeed(4);
      expect(T.randomCrop(4, { padding: 2, seed: 9 })(img).toArray()).toEqual(first); // private stream
      // centerCrop rounds halves to even, as Python's round(): (6 - 3) / 2 = 1.5 -> 2, (8 - 3) / 2 = 2.5 -> 2
      expect(T.centerCrop(3)(img).toArray()).toEqual(TF.crop(img, 2, 2, 3, 3).toArray());
      expect(T.resize(3)(img).shape).toEqual([3, 3, 4]); // the smaller edge to 3, the other truncated
      expect(T.resize([2, 5])(img).shape).toEqual([3, 2, 5]);
      expect(T.colorJitter({ brightness: 0 })(img).toArray()).toEqual(img.toArray()); // a zero range: no step
      // brightness 0 is black; contrast 0 is the mean gray; saturation 0 is the grayscale image
      expect(TF.adjustBrightness(img, 0).sum().item()).toBe(0);
      const flat = TF.adjustContrast(img, 0);
      expect(flat.max().item() - (flat.min().item() as number)).toBeLessThan(1e-6);
      const gray = TF.adjustSaturation(img, 0);
      expect(gray.select(0, 0).toArray()).toEqual(gray.select(0, 2).toArray());
      expect(TF.adjustHue(img, 0).sub(img).abs().max().item()).toBeLessThan(1e-6);
      // a crop far outside is all fill; hflip twice is the identity
      expect(TF.crop(img, 100, 100, 2, 2, { fill: 7 }).toArray()).toEqual(tk.full([3, 2, 2], 7).toArray());
      expect(TF.hflip(TF.hflip(img)).toArray()).toEqual(img.toArray());
      expectTensorError(() => TF.normalize(img, [0.5, 0.5], [1, 1]), 'SHAPE_MISMATCH', /one value per channel \(3\)/);
      expectTensorError(() => TF.normalize(img, [0], [0]), 'INVALID_ARGUMENT', /std nonzero/);
      expectTensorError(() => TF.resize(tk.ones([2, 2], { dtype: 'int32' }), 3), 'DTYPE_MISMATCH', /floating image/);
      expectTensorError(() => TF.adjustHue(img, 0.7), 'INVALID_ARGUMENT', /hue must be in \[-0.5, 0.5\]/);
      expectTensorError(() => TF.adjustColor(tk.rand([2, 4, 4]), { contrast: 2 }), 'SHAPE_MISMATCH', /1 or 3 channels/);
      expectTensorError(
        () => TF.adjustColor(img, { brightness: 2, order: ['hue'] }),
        'INVALID_ARGUMENT',
        /order lists steps that have a factor \(brightness\), got "hue"/,
      );
      expectTensorError(() => TF.crop(img, 0, 0, 0, 2), 'INVALID_ARGUMENT', /height must be in \[1, 2\^31\]/);
      expectTensorError(() => T.colorJitter({ hue: 0.6 }), 'INVALID_ARGUMENT', /hue must be in \[0, 0.5\)/);
      expectTensorError(() => T.randomCrop(4, { padding: [1, 2, 3] }), 'INVALID_ARGUMENT', /padding must be 1, 2 or 4/);
    }));

  it('synthetic shapes, and the CNN example learns them (reduced run)', async () => {
    tidy(() => {
      const s = data.synthetic.shapes({ n: 8, size: 12 });
      expect([s.features.shape, s.labels.toArray()]).toEqual([
        [8, 1, 12, 12],
        [0, 1, 2, 3, 0, 1, 2, 3],
      ]);
    });
    const { main } = await import('../examples/cnn-shapes.js');
    const r = main({ n: 800, epochs: 4, log: () => undefined });
    expect(r.accuracy).toBeGreaterThanOrEqual(0.9);
  }, 60000);
});

describe('DistributedSampler', () => {
  const shares = (n: number, size: number, o: data.DistributedSamplerOptions = {}, epoch = 0) =>
    Array.from({ length: size }, (_, rank) =>
      new data.DistributedSampler(n, { numReplicas: size, rank, ...o }).indices(epoch),
    );

  it('partitions the dataset exactly: every index once across ranks when the size divides, padded by repeats otherwise', () => {
    for (const shuffle of [false, true]) {
      const s = shares(12, 3, { shuffle, seed: 5 });
      expect(s.map((x) => x.length)).toEqual([4, 4, 4]);
      expect(s.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    }
    // 10 over 3: 4 each, the order's first two repeated.
    const p = shares(10, 3, { shuffle: false });
    expect(p).toEqual([
      [0, 3, 6, 9],
      [1, 4, 7, 0],
      [2, 5, 8, 1],
    ]);
    // dropLast: 3 each, the tail dropped, no index twice.
    const d = shares(10, 3, { shuffle: false, dropLast: true });
    expect(d.map((x) => x.length)).toEqual([3, 3, 3]);
    expect(new Set(d.flat()).size).toBe(9);
    // More ranks than samples: padded several times over.
    expect(shares(2, 5, { shuffle: false }).flat()).toEqual([0, 1, 0, 1, 0]);
  });

  it('the same seed and epoch give every rank the same order; a new epoch a new one; the DataLoader passes its epoch', () => {
    const e0 = shares(100, 4, { seed: 1 }, 0),
      e1 = shares(100, 4, { seed: 1 }, 1);
    expect(new Set(e0.flat()).size).toBe(100);
    expect(e1.flat()).not.toEqual(e0.flat());
    expect(shares(100, 4, { seed: 1 }, 1)).toEqual(e1);
    tidy(() => {
      const ds = new data.TensorDataset(tk.arange(0, 20));
      const sampler = new data.DistributedSampler(ds, { numReplicas: 2, rank: 1, seed: 3 });
      const loader = new data.DataLoader(ds, { batchSize: 4, sampler });
      expect(loader.length).toBe(3);
      const epoch = (l: typeof loader) =>
        [...l].flatMap((b) => Array.from((b as Tensor[])[0]!.data() as BigInt64Array, Number));
      expect(epoch(loader)).toEqual(sampler.indices(0));
      expect(epoch(loader)).toEqual(sampler.indices(1));
      sampler.setEpoch(1);
      expect([...sampler]).toEqual(sampler.indices(1));
    });
  });

  it('reads the launcher’s rank and size from the environment, and checks its arguments', () => {
    const saved = { ...process.env };
    try {
      process.env.OMPI_COMM_WORLD_SIZE = '4';
      process.env.OMPI_COMM_WORLD_RANK = '2';
      const s = new data.DistributedSampler(8);
      expect([s.numReplicas, s.rank, s.length]).toEqual([4, 2, 2]);
      delete process.env.OMPI_COMM_WORLD_SIZE;
      delete process.env.OMPI_COMM_WORLD_RANK;
      delete process.env.WORLD_SIZE;
      delete process.env.PMI_SIZE;
      expectTensorError(() => new data.DistributedSampler(8), 'INVALID_ARGUMENT', /give numReplicas and rank/);
    } finally {
      process.env = saved;
    }
    expectTensorError(
      () => new data.DistributedSampler(8, { numReplicas: 2, rank: 2 }),
      'INVALID_ARGUMENT',
      /rank must be in \[0, 1\]/,
    );
    expectTensorError(
      () => new data.DistributedSampler(-1, { numReplicas: 1, rank: 0 }),
      'INVALID_ARGUMENT',
      /dataset or a length/,
    );
  });
});
