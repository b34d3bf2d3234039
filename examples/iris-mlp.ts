// The course's "refactor the scikit-learn Iris model into a framework": an MLP on the Iris table,
// trained with a DataLoader, Adam and cross-entropy; reports train/validation/test accuracy.
// Run: npx tsx examples/iris-mlp.ts
import { data, manualSeed, nn, noGrad, optim, tidy, type Tensor } from '../src/index.js';

export class IrisNet extends nn.Module {
  fc1 = new nn.Linear(4, 16);
  fc2 = new nn.Linear(16, 3);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).relu());
  }
}

function accuracy(model: nn.Module, ds: data.Dataset<Tensor[]>): number {
  return tidy(() =>
    noGrad(() => {
      let correct = 0;
      for (const [x, y] of new data.DataLoader(ds, { batchSize: 64 }) as Iterable<Tensor[]>)
        correct += model.call(x).argmax(1).eq(y).sum().item() as number;
      return correct / ds.length;
    }),
  );
}

export function main(options: { epochs?: number; seed?: number; log?: (s: string) => void } = {}): {
  train: number;
  val: number;
  test: number;
} {
  const { epochs = 150, seed = 0, log = console.log } = options;
  manualSeed(seed);
  const { features, labels } = data.iris();
  // Standardise each feature (statistics of the whole table, as the course's scikit-learn version).
  const x = tidy(() => features.sub(features.mean(0)).div(features.std(0)));
  const all = new data.TensorDataset(x, labels);
  const [train, val, test] = data.randomSplit(all, [0.7, 0.15, 0.15], { seed });
  const model = new IrisNet();
  const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
  const loader = new data.DataLoader(train, { batchSize: 16, shuffle: true, seed });
  for (let epoch = 1; epoch <= epochs; epoch++) {
    let total = 0;
    for (const [xb, yb] of loader as Iterable<Tensor[]>)
      total += tidy(() => {
        opt.zeroGrad();
        const loss = nn.functional.crossEntropy(model.call(xb), yb);
        loss.backward();
        opt.step();
        return loss.item() as number;
      });
    if (epoch % 50 === 0 || epoch === epochs)
      log(
        `epoch ${epoch}: loss ${(total / loader.length).toFixed(4)}, val accuracy ${(accuracy(model, val) * 100).toFixed(1)}%`,
      );
  }
  const result = { train: accuracy(model, train), val: accuracy(model, val), test: accuracy(model, test) };
  log(
    `accuracy: train ${(result.train * 100).toFixed(1)}%, validation ${(result.val * 100).toFixed(1)}%, test ${(result.test * 100).toFixed(1)}%`,
  );
  for (const t of [features, labels, x, ...model.parameters()]) t.dispose();
  opt.disposeState();
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) main();
