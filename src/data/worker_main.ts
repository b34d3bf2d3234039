// The entry of a DataLoader worker thread (started by WorkerPool in workers.ts): builds the
// dataset from its module, seeds this worker's random stream (the loader's seed + worker id), runs
// the optional init module, then answers each { id, indices } with the collated batch or the error.
import { parentPort, workerData } from 'node:worker_threads';

import { TensorError } from '../errors.js';
import { manualSeed } from '../ops/creation.js';
import { defaultCollate } from './loader.js';
import { buildFromModule, setWorkerInfo, SharedTensorDataset, toWire, type SharedSpec } from './workers.js';

interface Start {
  url?: string;
  args?: unknown[];
  shared?: SharedSpec[];
  id: number;
  numWorkers: number;
  seed: number;
  workerInit?: string;
}

const start = workerData as Start;
const ready = (async () => {
  const dataset = start.shared
    ? SharedTensorDataset.fromSpecs(start.shared)
    : await buildFromModule(start.url!, start.args ?? []);
  manualSeed(start.seed);
  setWorkerInfo({ id: start.id, numWorkers: start.numWorkers, seed: start.seed, dataset });
  if (start.workerInit) {
    const init = ((await import(start.workerInit)) as { default?: unknown }).default;
    if (typeof init === 'function') await init({ id: start.id, numWorkers: start.numWorkers, seed: start.seed });
  }
  return dataset;
})();

parentPort!.on('message', async (m: { id: number; indices: number[]; seed: number }) => {
  try {
    const ds = await ready;
    manualSeed(m.seed);
    const samples = await Promise.all(m.indices.map((i) => ds.get(i)));
    const transfer: ArrayBuffer[] = [];
    const batch = toWire(defaultCollate(samples), transfer);
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
