// Data-parallel training of the shapes CNN across processes: each rank trains on its share of the
// data (DistributedSampler) and DistributedDataParallel averages the gradients during backward, so
// every rank ends with the same weights. Run on 2 processes:
//   npx tensorkit run -n 2 examples/ddp-shapes.ts        (or: npx tsx src/cli.ts run -n 2 examples/ddp-shapes.ts)
// With one process (no launcher) it trains alone.
import { performance } from 'node:perf_hooks';

import {
  data,
  distributed,
  manualSeed,
  nn,
  noGrad,
  optim,
  setNumThreads,
  tensor,
  tidy,
  type Tensor,
} from '../src/index.js';
import { ShapesNet } from './cnn-shapes.js';

distributed.initProcessGroup();
const rank = distributed.getRank();
const world = distributed.getWorldSize();
setNumThreads(1); // one core per rank: the ranks share the machine
const log = (s: string) => rank === 0 && console.log(s);

manualSeed(0);
const { features, labels, classNames } = data.synthetic.shapes({ n: 2000, size: 16, seed: 0 });
const [train, test] = data.randomSplit(new data.TensorDataset(features, labels), [0.8, 0.2], { seed: 0 });
const globalBatch = 64;
const sampler = new data.DistributedSampler(train, { numReplicas: world, rank, shuffle: true, seed: 0 });
const loader = new data.DataLoader(train, { batchSize: globalBatch / world, sampler });

const model = new distributed.DistributedDataParallel(new ShapesNet()); // rank 0's weights everywhere
const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
for (let epoch = 1; epoch <= 5; epoch++) {
  const t0 = performance.now();
  let total = 0;
  for (const [x, y] of loader as Iterable<Tensor[]>)
    total += tidy(() => {
      opt.zeroGrad();
      const loss = nn.functional.crossEntropy(model.forward(x), y);
      loss.backward(); // gradients averaged over the ranks here
      opt.step();
      return loss.item() as number;
    });
  // The mean loss over every rank's batches.
  const mean = tidy(() => {
    const t = tensor([total / loader.length]);
    distributed.allReduce(t, { op: 'avg' });
    return t.item() as number;
  });
  const ms = performance.now() - t0;
  log(
    `epoch ${epoch}: loss ${mean.toFixed(4)}, ${ms.toFixed(0)} ms (${((train.length / ms) * 1000).toFixed(0)} images/s on ${world} rank(s))`,
  );
}

if (rank === 0) {
  const acc = tidy(() =>
    noGrad(() => {
      model.eval();
      let correct = 0;
      for (const [x, y] of new data.DataLoader(test, { batchSize: 256 }) as Iterable<Tensor[]>)
        correct += model.forward(x).argmax(1).eq(y).sum().item() as number;
      return correct / test.length;
    }),
  );
  log(`test accuracy ${(acc * 100).toFixed(1)}% over ${classNames.join(', ')}`);
}
