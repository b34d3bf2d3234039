// npm run bench:workers [-- --rounds N]
// DataLoader workers against numWorkers: 0, in interleaved rounds (medians): samples per second
// over an epoch of 256 samples whose transform costs about 1 ms of CPU each (batches of 16), and
// with persistent workers, how long the first batch of the second epoch takes to arrive; and the
// peak RSS growth while 2 workers read a 200 MB SharedTensorDataset.
import { performance } from 'node:perf_hooks';

import { data, rand, randint, type Tensor } from '../src/index.js';

const args = process.argv.slice(2);
const rounds = args.includes('--rounds') ? Number(args[args.indexOf('--rounds') + 1]) : 3;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
const ds = await data.fromModule(new URL('../test/fixtures/worker-dataset.ts', import.meta.url), { n: 256, costMs: 1 });

async function rate(numWorkers: number): Promise<number> {
  const loader = new data.DataLoader(ds, { batchSize: 16, numWorkers, persistentWorkers: numWorkers > 0 });
  for await (const b of loader as AsyncIterable<Tensor[]>) b.forEach((t) => t.dispose()); // warm-up: workers start
  const t0 = performance.now();
  for await (const b of loader as AsyncIterable<Tensor[]>) b.forEach((t) => t.dispose());
  const r = (256 / (performance.now() - t0)) * 1000;
  await loader.shutdown();
  return r;
}

async function firstBatchOfEpoch2(): Promise<number> {
  const loader = new data.DataLoader(ds, { batchSize: 16, numWorkers: 2, persistentWorkers: true });
  for await (const b of loader as AsyncIterable<Tensor[]>) b.forEach((t) => t.dispose());
  const t0 = performance.now();
  const it = loader[Symbol.asyncIterator]();
  const r = await it.next();
  const ms = performance.now() - t0;
  (r.value as Tensor[]).forEach((t) => t.dispose());
  await it.return?.(undefined);
  await loader.shutdown();
  return ms;
}

// Peak RSS growth over an epoch of a 200 MB SharedTensorDataset read by 2 workers.
async function rssGrowth(): Promise<{ baseMb: number; growthMb: number; mb: number }> {
  const images = rand([16384, 3, 32, 32]); // 201 MB of float32, CIFAR-sized
  const labels = randint(0, 10, [16384]);
  const shared = new data.SharedTensorDataset(images, labels);
  images.dispose();
  labels.dispose();
  const mb = (16384 * 3 * 32 * 32 * 4) / 2 ** 20;
  const loader = new data.DataLoader(shared, { batchSize: 256, numWorkers: 2 });
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  for await (const b of loader as AsyncIterable<Tensor[]>) b.forEach((t) => t.dispose());
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { baseMb: base / 2 ** 20, growthMb: (peak - base) / 2 ** 20, mb };
}

const res: Record<string, number[]> = { w0: [], w2: [], first: [] };
for (let r = 0; r < rounds; r++) {
  res.w0.push(await rate(0));
  res.w2.push(await rate(2));
  res.first.push(await firstBatchOfEpoch2());
}
console.log(`samples/s with a ~1 ms transform (batches of 16, median of ${rounds}):`);
console.log(`  numWorkers 0  ${median(res.w0).toFixed(0)}`);
console.log(`  numWorkers 2  ${median(res.w2).toFixed(0)}  (${(median(res.w2) / median(res.w0)).toFixed(2)}x)`);
console.log(`first batch of epoch 2, persistent workers: ${median(res.first).toFixed(1)} ms`);
const m = await rssGrowth();
console.log(
  `an epoch over a ${m.mb.toFixed(0)} MB SharedTensorDataset with 2 workers: peak RSS +${m.growthMb.toFixed(1)} MB over ${m.baseMb.toFixed(0)} MB`,
);
