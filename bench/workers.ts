// npm run bench:workers [-- --rounds N]
// DataLoader workers, in interleaved rounds (medians):
// - samples per second over an epoch of 256 samples whose transform costs about 1 ms of CPU
//   each (batches of 16), 2 workers against numWorkers: 0;
// - with persistent workers, how long the first batch of the second epoch takes to arrive, right
//   after the first epoch, and when each batch is used for 10 ms (the workers then build the
//   next epoch's first batches while the last ones are used);
// - how a worker's batch reaches the main thread: handed over (the storage changes owner) or
//   copied (out into a moved ArrayBuffer and back in), per 3 MB CIFAR-sized batch and per epoch;
// - the native image transforms (random crop with padding, flip, colour jitter, normalize) per
//   32x32 image against the same steps as plain TypeScript loops (src/plain/image.ts);
// - peak RSS growth while 2 workers read a 200 MB SharedTensorDataset, on the built package
//   (bench/workers/rss.mjs runs on dist/, which this builds first).
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import { binding } from '../src/binding.js';
import { setWorkerTransport } from '../src/data/loader.js';
import { fromWire, toWire } from '../src/data/workers.js';
import { data, manualSeed, plain, rand, randint, type Tensor } from '../src/index.js';

const args = process.argv.slice(2);
const rounds = args.includes('--rounds') ? Number(args[args.indexOf('--rounds') + 1]) : 3;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
const ds = await data.fromModule(new URL('../test/fixtures/worker-dataset.ts', import.meta.url), { n: 256, costMs: 1 });
const drain = async (loader: AsyncIterable<unknown>) => {
  for await (const b of loader as AsyncIterable<Tensor[]>) b.forEach((t) => t.dispose());
};

async function rate(numWorkers: number): Promise<number> {
  const loader = new data.DataLoader(ds, { batchSize: 16, numWorkers, persistentWorkers: numWorkers > 0 });
  await drain(loader); // warm-up: workers start
  const t0 = performance.now();
  await drain(loader);
  const r = (256 / (performance.now() - t0)) * 1000;
  await loader.shutdown();
  return r;
}

// With `stepMs` of training work per batch (a busy wait), the workers build the next epoch's
// first batches while the last ones of this epoch are used.
async function firstBatchOfEpoch2(stepMs = 0): Promise<number> {
  const loader = new data.DataLoader(ds, { batchSize: 16, numWorkers: 2, persistentWorkers: true });
  for await (const b of loader as AsyncIterable<Tensor[]>) {
    const end = performance.now() + stepMs;
    while (performance.now() < end);
    b.forEach((t) => t.dispose());
  }
  const t0 = performance.now();
  const it = loader[Symbol.asyncIterator]();
  const r = await it.next();
  const ms = performance.now() - t0;
  (r.value as Tensor[]).forEach((t) => t.dispose());
  await it.return?.(undefined);
  await loader.shutdown();
  return ms;
}

// The receiving side alone: a 256-image batch made into a main-thread tensor, per transport.
function receiveUs(transport: 'handoff' | 'copy'): number {
  const n = 50;
  let total = 0;
  for (let k = 0; k < n; k++) {
    const t = rand([256, 3, 32, 32]);
    const wire = toWire(t, [], transport, 1);
    const t0 = performance.now();
    (fromWire(wire) as Tensor).dispose();
    total += performance.now() - t0;
  }
  return (total / n) * 1000;
}

// An epoch of 4096 CIFAR-sized images from shared memory, 2 workers, batches of 256.
const images = rand([4096, 3, 32, 32]);
const labels = randint(0, 10, [4096]);
const cifarLike = new data.SharedTensorDataset(images, labels);
async function epochMs(transport: 'handoff' | 'copy'): Promise<number> {
  setWorkerTransport(transport);
  const loader = new data.DataLoader(cifarLike, { batchSize: 256, numWorkers: 2, persistentWorkers: true });
  await drain(loader);
  const t0 = performance.now();
  await drain(loader);
  const ms = performance.now() - t0;
  await loader.shutdown();
  setWorkerTransport('handoff');
  return ms;
}

// The CIFAR augmentation per image: native transforms against the plain loops.
const T = data.transforms;
const augment = T.compose([
  T.randomCrop(32, { padding: 4 }),
  T.randomHorizontalFlip(),
  T.colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 }),
  T.normalize([0.49, 0.48, 0.45], [0.25, 0.24, 0.26]),
]);
const one = images.select(0, 0).contiguous();
function nativeUs(): number {
  manualSeed(1);
  const n = 2000;
  const t0 = performance.now();
  for (let k = 0; k < n; k++) augment(one).dispose();
  return ((performance.now() - t0) / n) * 1000;
}
const onePlain = new plain.PlainTensor(one.data() as Float32Array, one.shape, 'float32');
function plainUs(): number {
  const rnd = data.seededRandom(1);
  const n = 200;
  const t0 = performance.now();
  for (let k = 0; k < n; k++) {
    let x = plain.imageCrop(onePlain, Math.floor(rnd() * 9) - 4, Math.floor(rnd() * 9) - 4, 32, 32);
    if (rnd() < 0.5) x = plain.imageHflip(x);
    const order = [0, 1, 2, 3].sort(() => rnd() - 0.5);
    x = plain.imageAdjust(x, order, [0.6 + rnd() * 0.8, 0.6 + rnd() * 0.8, 0.6 + rnd() * 0.8, rnd() * 0.2 - 0.1]);
    plain.imageNormalize(x, [0.49, 0.48, 0.45], [0.25, 0.24, 0.26]);
  }
  return ((performance.now() - t0) / n) * 1000;
}

const res: Record<string, number[]> = {
  w0: [],
  w2: [],
  first: [],
  firstStep: [],
  recvHandoff: [],
  recvCopy: [],
  epochHandoff: [],
  epochCopy: [],
  native: [],
  plain: [],
};
for (let r = 0; r < rounds; r++) {
  res.w0.push(await rate(0));
  res.w2.push(await rate(2));
  res.first.push(await firstBatchOfEpoch2());
  res.firstStep.push(await firstBatchOfEpoch2(10));
  res.recvHandoff.push(receiveUs('handoff'));
  res.recvCopy.push(receiveUs('copy'));
  res.epochHandoff.push(await epochMs('handoff'));
  res.epochCopy.push(await epochMs('copy'));
  res.native.push(nativeUs());
  res.plain.push(plainUs());
}
const m = (k: string) => median(res[k]);
console.log(`samples/s with a ~1 ms transform (batches of 16, median of ${rounds}):`);
console.log(`  numWorkers 0  ${m('w0').toFixed(0)}`);
console.log(`  numWorkers 2  ${m('w2').toFixed(0)}  (${(m('w2') / m('w0')).toFixed(2)}x)`);
console.log(
  `first batch of epoch 2, persistent workers: ${m('first').toFixed(1)} ms; with a 10 ms training step per batch: ${m('firstStep').toFixed(2)} ms`,
);
console.log(`a worker's 3 MB batch [256, 3, 32, 32] made a main-thread tensor:`);
console.log(
  `  handed over ${m('recvHandoff').toFixed(1)} us, copied ${m('recvCopy').toFixed(1)} us (${(m('recvCopy') / m('recvHandoff')).toFixed(1)}x)`,
);
console.log(
  `  an epoch of 4096 shared images, 2 workers, batches of 256: handed over ${m('epochHandoff').toFixed(1)} ms, copied ${m('epochCopy').toFixed(1)} ms`,
);
console.log(`CIFAR augmentation (crop+pad 4, flip, colour jitter, normalize) per 3x32x32 image:`);
console.log(
  `  native ${m('native').toFixed(1)} us, plain TypeScript loops ${m('plain').toFixed(1)} us (${(m('plain') / m('native')).toFixed(1)}x)`,
);
images.dispose();
labels.dispose();
one.dispose();

const root = fileURLToPath(new URL('..', import.meta.url));
execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
const rss = JSON.parse(
  execFileSync(process.execPath, ['--expose-gc', 'bench/workers/rss.mjs'], { cwd: root, encoding: 'utf8' }),
) as { mb: number; baseMb: number; growthMb: number };
console.log(
  `an epoch over a ${rss.mb.toFixed(0)} MB SharedTensorDataset with 2 workers (built package): peak RSS +${rss.growthMb.toFixed(1)} MB over ${rss.baseMb.toFixed(0)} MB`,
);
console.log(`(tensors parked and never taken: ${binding.handoffCount()})`);
