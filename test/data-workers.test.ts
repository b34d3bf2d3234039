// DataLoader workers: batches equal to numWorkers: 0, worker ids and seeds, errors and crashes
// surfacing in the main thread, timeouts, persistent workers, and nothing left behind.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { binding } from '../src/binding.js';
import { setWorkerTransport } from '../src/data/loader.js';
import { liveWorkers } from '../src/data/workers.js';
import * as tk from '../src/index.js';
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

// A linear classifier of the fixture's 3x8x8 images, for the Trainer tests.
class M extends train.LightningModule {
  fc = new nn.Linear(192, 10);
  override trainingStep([x, y]: Tensor[]): Tensor {
    return nn.functional.crossEntropy(this.fc.forward(x.flatten(1)), y);
  }
  override configureOptimizers() {
    return new optim.SGD(this.parameters(), { lr: 0.1 });
  }
}

// A quiet Trainer for two epochs.
const twoEpochs = (callbacks?: train.Callback[]) =>
  new train.Trainer({ maxEpochs: 2, logger: false, enableProgressBar: false, enableCheckpointing: false, callbacks });

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
    // Epoch 2's first batches were requested when epoch 1 ended; moved back to epoch 0, the loader
    // drops them and gives epoch 0 again.
    workers.setEpoch(0);
    inline.setEpoch(0);
    expect(await epoch(workers)).toEqual(await epoch(inline));
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
    // a batch gathered in one copy from the shared rows equals the stacked samples, every dtype
    const [hb, fb] = mixed.rows([1, 0, 1]);
    expect(hb.toArray()).toEqual([
      [3, 65504],
      [0.5, -1.25],
      [3, 65504],
    ]);
    expect(fb.toArray()).toEqual([
      [false, true],
      [true, false],
      [false, true],
    ]);
    [hb, fb, h1, f1].forEach((t) => t.dispose());
    expect(() => mixed.rows([2])).toThrow(/row index 2 is outside \[0, 2\)/);
    expect(() => mixed.rows([0.5])).toThrow(/row index 0.5/);
    // the core reads typed arrays over shared memory (what get(i) does, with no JS copy)
    const shared = new Float32Array(new SharedArrayBuffer(12));
    shared.set([1, 2, 3]);
    expect(tensor(shared).toArray()).toEqual([1, 2, 3]);
    features.dispose();
    labels.dispose();
  });

  it('works under the Trainer: the weights of numWorkers: 0', async () => {
    const ds = await make({ n: 48 });
    const fit = async (numWorkers: number) => {
      manualSeed(0);
      const m = new M();
      const trainer = twoEpochs();
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
    class Local extends data.Dataset<number> {
      get length() {
        return 4;
      }
      get(i: number) {
        return i;
      }
    }
    expect(() => new data.DataLoader(new Local(), { numWorkers: 2 })).toThrow(/data\.fromModule/);
    const own = data.transforms.randomHorizontalFlip(0.5, { seed: 1 });
    const images = new data.TensorDataset(tk.rand([4, 1, 2, 2]), tk.zeros([4]));
    expect(() => new data.DataLoader(new data.Transformed(images, own), { numWorkers: 2 })).toThrow(/own seed/);
    expect(() => new data.DataLoader(new data.Transformed(images, (x) => x.clone()), { numWorkers: 2 })).toThrow(
      /not a plain function/,
    );
    images.tensors.forEach((t) => t.dispose());
    const ds = await make();
    expect(() => new data.DataLoader(ds, { numWorkers: 2, collate: (s) => s })).toThrow(/collate/);
    expect(() => new data.DataLoader(ds, { numWorkers: -1 })).toThrow(/numWorkers/);
    expect(() => [...new data.DataLoader(ds, { numWorkers: 1 })]).toThrow(/for await/);
    await expect(data.fromModule('not a url')).rejects.toThrow(/expected a URL/);
  });

  it('native transforms over shared tensors, Subset and ConcatDataset: batches byte-identical to numWorkers: 0', async () => {
    const T = data.transforms;
    const base = new data.TensorDataset(tk.rand([30, 3, 8, 8]), tk.randint(0, 10, [30]));
    const mixed = new data.ConcatDataset([new data.Subset(base, [29, 3, 17, 8, 0, 11, 5, 22]), base]);
    const augment = T.compose([
      T.randomCrop(8, { padding: 2 }),
      T.randomHorizontalFlip(),
      T.colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 }),
      T.normalize([0.5, 0.5, 0.5], [0.2, 0.2, 0.2]),
    ]);
    const ds = new data.Transformed(mixed, augment);
    const opts = { batchSize: 7, shuffle: true, seed: 3 };
    const inline = new data.DataLoader(ds, opts);
    const workers = new data.DataLoader(ds, { ...opts, numWorkers: 2, persistentWorkers: true });
    const raw = await epoch(new data.DataLoader(mixed, opts) as never);
    const seen: number[][][] = [];
    for (let e = 0; e < 2; e++) {
      const a = await epoch(inline as never);
      const b = await epoch(workers as never);
      expect(b).toEqual(a); // bit for bit: same kernels on the same per-batch streams
      expect(a.x.length).toBe(6); // 38 samples in batches of 7
      seen.push(a.x);
    }
    expect(seen[1]).not.toEqual(seen[0]); // new augmentations each epoch
    expect(seen[0][0]).not.toEqual(raw.x[0]); // the transforms did change the images
    await workers.shutdown();
    base.tensors.forEach((t) => t.dispose());
    expect(liveWorkers()).toBe(0);
  });

  it('batches are handed over, not copied; the copy transport gives the same bytes; nothing stays parked', async () => {
    const ds = await make({ n: 40, noise: true });
    const opts = { batchSize: 4, shuffle: true, seed: 2, numWorkers: 2 };
    const before = memory().tensors;
    const handed = await epoch(new data.DataLoader(ds, opts));
    setWorkerTransport('copy');
    try {
      expect(await epoch(new data.DataLoader(ds, opts))).toEqual(handed);
    } finally {
      setWorkerTransport('handoff');
    }
    // A loop left early: the batches fetched ahead are freed, and so are those still parked.
    const loader = new data.DataLoader(ds, { ...opts, prefetchFactor: 4 });
    for await (const b of loader as AsyncIterable<Tensor[]>) {
      b.forEach((t) => t.dispose());
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(binding.handoffCount()).toBe(0);
    expect(memory().tensors).toBe(before);
    expect(liveWorkers()).toBe(0);
  });

  it('an IterableDataset from a module: each worker iterates its share (getWorkerInfo), batches come in turn', async () => {
    const ds = await data.fromModule<[Tensor, number]>(new URL('./fixtures/worker-iterable.ts', import.meta.url), 21);
    const labels = async (numWorkers: number) =>
      (await epoch(new data.DataLoader(ds, { batchSize: 4, numWorkers }) as never)).y;
    expect(await labels(2)).toEqual([
      [0, 2, 4, 6],
      [1, 3, 5, 7],
      [8, 10, 12, 14],
      [9, 11, 13, 15],
      [16, 18, 20],
      [17, 19],
    ]);
    expect((await labels(0)).flat()).toEqual(Array.from({ length: 21 }, (_, i) => i));
    const dropped = await epoch(new data.DataLoader(ds, { batchSize: 4, numWorkers: 3, dropLast: true }) as never);
    expect(dropped.y.every((b) => b.length === 4)).toBe(true); // 7 samples per worker: one full batch each
    expect(dropped.y.length).toBe(3);
    expect(liveWorkers()).toBe(0);
  });

  it('resumes mid-epoch: stateDict holds the batch position, and the rest of the epoch repeats exactly', async () => {
    const ds = await make({ n: 40, noise: true });
    const opts = { batchSize: 4, shuffle: true, seed: 8 };
    const full = await epoch(new data.DataLoader(ds, { ...opts, numWorkers: 2 }));
    for (const numWorkers of [2, 0]) {
      const first = new data.DataLoader(ds, { ...opts, numWorkers });
      const it = first[Symbol.asyncIterator]();
      for (let k = 0; k < 3; k++) ((await it.next()).value as Tensor[]).forEach((t) => t.dispose());
      const sd = first.stateDict();
      expect(sd).toEqual({ seed: 8, epoch: 0, batch: 3 });
      await it.return?.(undefined);
      const resumed = new data.DataLoader(ds, { ...opts, seed: 1, numWorkers });
      resumed.loadStateDict(JSON.parse(JSON.stringify(sd)));
      expect((await epoch(resumed)).x).toEqual(full.x.slice(3));
      expect(resumed.stateDict()).toEqual({ seed: 8, epoch: 1, batch: 0 });
    }
    expect(liveWorkers()).toBe(0);
  });

  it('resumes mid-epoch under the Trainer with workers and random data: the weights of an uninterrupted run', async () => {
    const ds = await make({ n: 40, noise: true });
    const ck = join(mkdtempSync(join(tmpdir(), 'tk-workers-')), 'mid.ckpt');
    class SaveAt extends train.Callback {
      override onTrainBatchEnd(trainer: train.Trainer) {
        if (trainer.globalStep === 13) {
          trainer.saveCheckpoint(ck);
          trainer.shouldStop = true;
        }
      }
    }
    const run = async (o: { callbacks?: train.Callback[]; ckptPath?: string } = {}) => {
      manualSeed(0);
      const m = new M();
      const trainer = twoEpochs(o.callbacks);
      const loader = new data.DataLoader(ds, { batchSize: 4, shuffle: true, seed: 4, numWorkers: 2 });
      await trainer.fit(m, loader, { ckptPath: o.ckptPath });
      return Array.from(m.fc.weight.data() as Float32Array);
    };
    const full = await run();
    await run({ callbacks: [new SaveAt()] });
    expect(tk.io.loadCheckpoint(ck).loop).toEqual({ epoch: 1, batchesDone: 3, epochDone: false });
    expect(await run({ ckptPath: ck })).toEqual(full);
    expect(liveWorkers()).toBe(0);
  });

  it('a Dataset class that names its module crosses as an instance: fields cloned (tensors too), same batches', async () => {
    const { Jittered } = await import('./fixtures/worker-instance.js');
    const ds = new Jittered(tk.rand([10, 3]), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 0.5);
    const opts = { batchSize: 3, shuffle: true, seed: 6 };
    const a = await epoch(new data.DataLoader(ds, opts));
    expect(await epoch(new data.DataLoader(ds, { ...opts, numWorkers: 2 }))).toEqual(a);
    (ds as unknown as { fn: unknown }).fn = () => 1;
    expect(() => new data.DataLoader(ds, { numWorkers: 2 })).toThrow(
      /the field "fn" of Jittered cannot be sent to workers/,
    );
    ds.table.dispose();
    expect(liveWorkers()).toBe(0);
  });

  it('a script that never shuts down its persistent workers still exits', () => {
    const script = fileURLToPath(new URL('./fixtures/persistent-exit.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('done 4');
    expect(r.status).toBe(0);
  });
});
