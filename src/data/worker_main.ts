// The entry of a DataLoader worker thread (started by WorkerPool in workers.ts): builds the
// dataset from its source, seeds this worker's random stream (the loader's seed + worker id), runs
// the optional init module, then answers each { id, indices } with the collated batch or the error.
import { parentPort, workerData } from 'node:worker_threads';

import { TensorError } from '../errors.js';
import { manualSeed } from '../ops/creation.js';
import type { Dataset, IterableDataset } from './dataset.js';
import { defaultCollate } from './loader.js';
import {
  buildSource,
  setWorkerInfo,
  SharedTensorDataset,
  toWire,
  type Transport,
  type WorkerSource,
} from './workers.js';

interface Start {
  source: WorkerSource;
  id: number;
  numWorkers: number;
  seed: number;
  workerInit?: string;
  transport: Transport;
  group: number;
}

const start = workerData as Start;
const ready = (async () => {
  const dataset = await buildSource(start.source);
  manualSeed(start.seed);
  setWorkerInfo({ id: start.id, numWorkers: start.numWorkers, seed: start.seed, dataset });
  if (start.workerInit) {
    const init = ((await import(start.workerInit)) as { default?: unknown }).default;
    if (typeof init === 'function') await init({ id: start.id, numWorkers: start.numWorkers, seed: start.seed });
  }
  return dataset;
})();

// Each epoch of an iterable dataset is one pass of this worker's iterator (a new epoch starts a
// new pass).
let pass: { epoch: number; it: Iterator<unknown> } | undefined;

interface Request {
  id: number;
  seed: number;
  indices?: number[];
  epoch?: number;
  batchSize?: number;
  dropLast?: boolean;
}

parentPort!.on('message', async (m: Request) => {
  try {
    const ds = await ready;
    manualSeed(m.seed);
    let samples: unknown[];
    if (m.indices && ds instanceof SharedTensorDataset) {
      // Rows of shared tensors: gathered in one copy each, as defaultCollate would stack them.
      const transfer: ArrayBuffer[] = [];
      const batch = toWire(ds.rows(m.indices), transfer, start.transport, start.group);
      return parentPort!.postMessage({ id: m.id, batch }, transfer);
    }
    if (m.indices) samples = await Promise.all(m.indices.map((i) => (ds as Dataset<unknown>).get(i)));
    else {
      if (pass?.epoch !== m.epoch) pass = { epoch: m.epoch!, it: (ds as IterableDataset<unknown>)[Symbol.iterator]() };
      const it = pass!.it;
      samples = [];
      while (samples.length < m.batchSize!) {
        const r = it.next();
        if (r.done) break;
        samples.push(r.value);
      }
      if (samples.length === 0 || (m.dropLast && samples.length < m.batchSize!))
        return parentPort!.postMessage({ id: m.id, done: true });
    }
    const transfer: ArrayBuffer[] = [];
    const batch = toWire(defaultCollate(samples), transfer, start.transport, start.group);
    parentPort!.postMessage({ id: m.id, batch }, transfer);
  } catch (e) {
    const err = e as Error;
    parentPort!.postMessage({
      id: m.id,
      error: {
        message: err?.message ?? String(e),
        stack: err?.stack,
        code: e instanceof TensorError ? e.code : undefined,
      },
    });
  }
});
