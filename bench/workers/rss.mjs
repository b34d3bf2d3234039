// Peak RSS growth while 2 DataLoader workers read a 200 MB SharedTensorDataset for one epoch,
// run on the built package (dist/) as an application would: under tsx each worker thread would
// also compile the TypeScript sources, which measures tsx rather than the loader.
// node bench/workers/rss.mjs  (after npm run build:ts); prints one JSON line.
import { data, rand, randint } from '../../dist/index.js';

const images = rand([16384, 3, 32, 32]); // 201 MB of float32, CIFAR-sized
const labels = randint(0, 10, [16384]);
const shared = new data.SharedTensorDataset(images, labels);
images.dispose();
labels.dispose();
const mb = (16384 * 3 * 32 * 32 * 4) / 2 ** 20;
global.gc?.();
await new Promise((r) => setTimeout(r, 100));
const loader = new data.DataLoader(shared, { batchSize: 256, numWorkers: 2 });
const base = process.memoryUsage().rss;
let peak = base;
const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
let batches = 0;
for await (const b of loader) {
  b.forEach((t) => t.dispose());
  batches++;
}
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage().rss);
console.log(JSON.stringify({ mb, baseMb: base / 2 ** 20, growthMb: (peak - base) / 2 ** 20, batches }));
