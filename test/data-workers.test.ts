// DataLoader workers: batches equal to numWorkers: 0, worker ids and seeds, errors and crashes
// surfacing in the main thread, timeouts, persistent workers, and nothing left behind.
import { describe, expect, it } from 'vitest';

import { liveWorkers } from '../src/data/workers.js';
import { data, manualSeed, memory, nn, optim, tensor, TensorError, train, type Tensor } from '../src/index.js';
import type { WorkerDatasetOptions } from './fixtures/worker-dataset.js';

const url = new URL('./fixtures/worker-dataset.ts', import.meta.url);
const make = (o: WorkerDatasetOptions = {}) => data.fromModule<[Tensor, number]>(url, o);

async function epoch(loader: data.DataLoader<[Tensor, number]>): Promise<{ x: number[][]; y: number[][] }> {
  const x: number[][] = [];
  const y: number[][] = [];
  for await (const [xb, yb] of loader as AsyncIterable<Tensor[]>) {
    x.push(Array.from(xb.data() as Float32Array));
    y.push(Array.from(yb.data() as BigInt64Array, Number));
    xb.dispose();
    yb.dispose();
  }
  return { x, y };
}

async function rejection(p: Promise<unknown>): Promise<TensorError> {
  try {
    await p;
  } catch (e) {
    return e as TensorError;
  }
  throw new Error('expected a rejection');
}

describe('DataLoader numWorkers', () => {
  it('gives the batches of numWorkers: 0, shuffled, epoch after epoch', async () => {
    const ds = await make({ n: 70 });
    const opts = { batchSize: 8, shuffle: true, seed: 11 };
    const inline = new data.DataLoader(ds, opts);
    const workers = new data.DataLoader(ds, { ...opts, numWorkers: 2, persistentWorkers: true });
    for (let e = 0; e < 2; e++) {
      const a = await epoch(inline);
      const b = await epoch(workers);
      expect(b.x.length).toBe(9); // 70 samples: 8 full batches and 6 left
      expect(b).toEqual(a);
    }
    await workers.shutdown();
    expect(liveWorkers()).toBe(0);
  });

  it('random transforms: a batch is the same whichever worker builds it, new each epoch, repeated after a restart', async () => {
    const ds = await make({ n: 32, noise: true });
    const opts = { batchSize: 4, shuffle: true, seed: 5 };
    const one = new data.DataLoader(ds, { ...opts, numWorkers: 1, persistentWorkers: true });
    const three = new data.DataLoader(ds, { ...opts, numWorkers: 3 });
    const a1 = await epoch(one);
    const a2 = await epoch(one);
    await one.shutdown();
    expect((await epoch(three)).x).toEqual(a1.x);
    expect(a2.x).not.toEqual(a1.x); // new noise in epoch 2
    // a loader put back at epoch 1 (a resumed run) builds epoch 1's batches again
    const resumed = new data.DataLoader(ds, { ...opts, numWorkers: 2 });
    resumed.setEpoch(1);
    expect((await epoch(resumed)).x).toEqual(a2.x);
  });

  it('inOrder: false hands out batches as they arrive: a slow first batch comes last', async () => {
    const ds = await make({ n: 16, slowFirstMs: 400 });
    const labels = async (inOrder: boolean) =>
      (await epoch(new data.DataLoader(ds, { batchSize: 4, numWorkers: 2, inOrder }))).y.map((b) => b[0]);
    expect(await labels(true)).toEqual([0, 4, 8, 2]); // labels are i % 10 of each batch's first index
    const any = await labels(false);
    expect(any[any.length - 1]).toBe(0);
    expect([...any].sort()).toEqual([0, 2, 4, 8]);
  });

  it('each worker knows its id and seed (the loader seed + id); the main thread has no worker info', async () => {
    expect(data.getWorkerInfo()).toBeNull();
    const loader = new data.DataLoader(await make({ n: 16, reportWorker: true }), {
      batchSize: 4,
      seed: 100,
      numWorkers: 2,
    });
    const { y } = await epoch(loader);
    // batches go to the workers in turn: 0, 1, 0, 1
    expect(y.map((b) => b[0])).toEqual([100, 1101, 100, 1101]);
  });

  it("a worker's error surfaces with the worker id and the original stack, and the loader stops", async () => {
    const loader = new data.DataLoader(await make({ n: 32, throwAt: 13 }), { batchSize: 4, numWorkers: 2 });
    const e = await rejection(epoch(loader));
    expect(e).toBeInstanceOf(TensorError);
    expect(e.message).toMatch(/DataLoader worker 1: planted failure at sample 13/); // batch 3 went to worker 1
    expect(e.message).toMatch(/worker-dataset\.ts/);
    expect(liveWorkers()).toBe(0);
  });

  it('a worker that dies fails the loader instead of hanging', async () => {
    const loader = new data.DataLoader(await make({ n: 32, exitAt: 5 }), { batchSize: 4, numWorkers: 2 });
    const e = await rejection(epoch(loader));
    expect(e.message).toMatch(/DataLoader worker 1 exited unexpectedly \(exit code 7\)/);
    expect(liveWorkers()).toBe(0);
  });

  it('timeout fails a batch that takes too long', async () => {
    const loader = new data.DataLoader(await make({ n: 8, sleepMs: 2000 }), {
      batchSize: 4,
      numWorkers: 1,
      timeout: 200,
    });
    const t0 = Date.now();
    const e = await rejection(epoch(loader));
    expect(e.message).toMatch(/worker 0 took more than 200 ms/);
    expect(Date.now() - t0).toBeLessThan(1900);
    expect(liveWorkers()).toBe(0);
  });

  it('persistent workers stay between epochs; without, none is left after 10 epochs, nor any tensor', async () => {
    const ds = await make({ n: 24 });
    const persistent = new data.DataLoader(ds, { batchSize: 8, numWorkers: 2, persistentWorkers: true });
    await epoch(persistent);
    expect(liveWorkers()).toBe(2);
    const t0 = performance.now();
    const it = persistent[Symbol.asyncIterator]();
    const first = await it.next();
    const firstMs = performance.now() - t0;
    (first.value as Tensor[]).forEach((t) => t.dispose());
    await it.return?.(undefined);
    expect(firstMs).toBeLessThan(2000); // no worker start (the bench measures it)
    await persistent.shutdown();
    expect(liveWorkers()).toBe(0);
    const before = memory();
    const loader = new data.DataLoader(ds, { batchSize: 8, numWorkers: 2 });
    for (let e = 0; e < 10; e++) await epoch(loader);
    expect(liveWorkers()).toBe(0);
    expect(memory().tensors).toBe(before.tensors);
  });

  it('a SharedTensorDataset: workers read one shared copy, and give the batches of numWorkers: 0', async () => {
    const { features, labels } = data.synthetic.shapes({ n: 40, size: 8, seed: 2 });
    const ds = new data.SharedTensorDataset(features, labels);
    expect(ds.length).toBe(40);
    const opts = { batchSize: 6, shuffle: true, seed: 9 };
    const a = await epoch(new data.DataLoader(ds, opts) as never);
    const b = await epoch(new data.DataLoader(ds, { ...opts, numWorkers: 2 }) as never);
    expect(b).toEqual(a);
    expect(a.x.flat().length).toBe(40 * 64);
    expect(() => ds.get(40)).toThrow(/outside \[0, 40\)/);
    // every dtype's rows come back as stored (16-bit floats by their bits, bools as 0/1)
    const half = tensor(
      [
        [0.5, -1.25],
        [3, 65504],
      ],
      { dtype: 'float16' },
    );
    const flags = tensor([
      [true, false],
      [false, true],
    ]);
    const mixed = new data.SharedTensorDataset(half, flags);
    const [h1, f1] = mixed.get(1);
    expect([h1.dtype, f1.dtype]).toEqual(['float16', 'bool']);
    expect(h1.toArray()).toEqual([3, 65504]);
    expect(f1.toArray()).toEqual([false, true]);
    expect(() => new data.SharedTensorDataset(features, labels.narrow(0, 0, 3))).toThrow(/same first dimension/);
    features.dispose();
    labels.dispose();
  });

  it('works under the Trainer: the weights of numWorkers: 0', async () => {
    const ds = await make({ n: 48 });
    class M extends train.LightningModule {
      fc = new nn.Linear(192, 10);
      override trainingStep([x, y]: Tensor[]): Tensor {
        return nn.functional.crossEntropy(this.fc.forward(x.flatten(1)), y);
      }
      override configureOptimizers() {
        return new optim.SGD(this.parameters(), { lr: 0.1 });
      }
    }
    const fit = async (numWorkers: number) => {
      manualSeed(0);
      const m = new M();
      const trainer = new train.Trainer({
        maxEpochs: 2,
        logger: false,
        enableProgressBar: false,
        enableCheckpointing: false,
      });
      const loader = new data.DataLoader(ds, {
        batchSize: 8,
        shuffle: true,
        seed: 4,
        numWorkers,
        persistentWorkers: numWorkers > 0,
      });
      await trainer.fit(m, loader);
      await loader.shutdown();
      expect(trainer.globalStep).toBe(12);
      return Array.from(m.fc.weight.data() as Float32Array);
    };
    expect(await fit(2)).toEqual(await fit(0));
    expect(liveWorkers()).toBe(0);
  });

  it('refuses what workers cannot do, naming the fix', async () => {
    const plain = new data.TensorDataset(data.synthetic.blobs({ n: 8 }).features);
    expect(() => new data.DataLoader(plain, { numWorkers: 2 })).toThrow(/data\.fromModule/);
    const ds = await make();
    expect(() => new data.DataLoader(ds, { numWorkers: 2, collate: (s) => s })).toThrow(/collate/);
    expect(() => new data.DataLoader(ds, { numWorkers: -1 })).toThrow(/numWorkers/);
    expect(() => [...new data.DataLoader(ds, { numWorkers: 1 })]).toThrow(/for await/);
    await expect(data.fromModule('not a url')).rejects.toThrow(/expected a URL/);
  });
});
