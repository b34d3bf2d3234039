// The PyTorch examples' MNIST CNN (pytorch/examples, mnist/main.py), ported line for line: the same
// Net, Adadelta with lr 1.0, StepLR(step 1, gamma 0.7), nll_loss over log_softmax, train() and
// test(). MNIST itself is not shipped (nothing is downloaded), so the digits are drawn here: a
// 5x7 font scaled, shifted and blurred with noise into 28x28 images.
// Run: npx tsx examples/mnist-cnn.ts
import { manualSeed, nn, noGrad, optim, tensor, tidy, type Tensor } from '../src/index.js';
import { seededRandom } from '../src/data/dataset.js';
import { DataLoader, TensorDataset } from '../src/data/index.js';

const F = nn.functional;

export class Net extends nn.Module {
  conv1 = new nn.Conv2d(1, 32, 3, { stride: 1 });
  conv2 = new nn.Conv2d(32, 64, 3, { stride: 1 });
  dropout1 = new nn.Dropout(0.25);
  dropout2 = new nn.Dropout(0.5);
  fc1 = new nn.Linear(9216, 128);
  fc2 = new nn.Linear(128, 10);

  forward(x: Tensor): Tensor {
    x = this.conv1.call(x);
    x = F.relu(x);
    x = this.conv2.call(x);
    x = F.relu(x);
    x = F.maxPool2d(x, 2);
    x = this.dropout1.call(x);
    x = x.flatten(1);
    x = this.fc1.call(x);
    x = F.relu(x);
    x = this.dropout2.call(x);
    x = this.fc2.call(x);
    return F.logSoftmax(x, 1);
  }
}

const FONT = [
  '01110100011001110101110011000101110', // 0
  '00100011000010000100001000010001110', // 1
  '01110100010000100010001000100011111', // 2
  '11111000100010000010000011000101110', // 3
  '00010001100101010010111110001000010', // 4
  '11111100001111000001000011000101110', // 5
  '00110010001000011110100011000101110', // 6
  '11111000010001000100010000100001000', // 7
  '01110100011000101110100011000101110', // 8
  '01110100011000101111000010001001100', // 9
];

/** n MNIST-shaped samples: [n, 1, 28, 28] float32 images (normalised like MNIST) and int64 labels. */
export function drawDigits(n: number, seed: number): [Tensor, Tensor] {
  const rnd = seededRandom(seed);
  const img = new Float32Array(n * 784);
  const labels: number[] = [];
  for (let s = 0; s < n; s++) {
    const d = Math.floor(rnd() * 10);
    labels.push(d);
    const scale = 2.4 + rnd() * 0.8; // glyph cells of ~3 pixels
    const ox = 4 + rnd() * 8,
      oy = 2 + rnd() * 4;
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) {
        const gx = Math.floor((x - ox) / scale),
          gy = Math.floor((y - oy) / scale);
        const on = gx >= 0 && gx < 5 && gy >= 0 && gy < 7 && FONT[d][gy * 5 + gx] === '1';
        img[s * 784 + y * 28 + x] = ((on ? 0.9 : 0) + 0.1 * rnd() - 0.1307) / 0.3081;
      }
  }
  return [tensor(img, { shape: [n, 1, 28, 28] }), tensor(labels, { dtype: 'int64' })];
}

function train(
  model: Net,
  loader: DataLoader<Tensor[]>,
  optimizer: optim.Adadelta,
  epoch: number,
  log: (s: string) => void,
): void {
  model.train();
  let batchIdx = 0;
  for (const [data, target] of loader) {
    tidy(() => {
      optimizer.zeroGrad();
      const output = model.call(data);
      const loss = F.nllLoss(output, target);
      loss.backward();
      optimizer.step();
      if (batchIdx % 10 === 0)
        log(`Train Epoch: ${epoch} [${batchIdx * data.size(0)}]\tLoss: ${loss.item().toFixed(6)}`);
    });
    data.dispose();
    target.dispose();
    batchIdx++;
  }
}

function test(model: Net, loader: DataLoader<Tensor[]>, log: (s: string) => void): { loss: number; accuracy: number } {
  model.eval();
  let testLoss = 0,
    correct = 0,
    n = 0;
  noGrad(() => {
    for (const [data, target] of loader) {
      tidy(() => {
        const output = model.call(data);
        testLoss += F.nllLoss(output, target, { reduction: 'sum' }).item();
        const pred = output.argmax(1, { keepdim: true });
        correct += pred.eq(target.viewAs(pred)).sum().item();
        n += data.size(0);
      });
      data.dispose();
      target.dispose();
    }
  });
  testLoss /= n;
  log(
    `Test set: Average loss: ${testLoss.toFixed(4)}, Accuracy: ${correct}/${n} (${((100 * correct) / n).toFixed(0)}%)`,
  );
  return { loss: testLoss, accuracy: correct / n };
}

export function main(
  options: { epochs?: number; trainSize?: number; testSize?: number; log?: (s: string) => void } = {},
): { loss: number; accuracy: number } {
  const { epochs = 3, trainSize = 2048, testSize = 512, log = console.log } = options;
  manualSeed(1);
  const [xTrain, yTrain] = drawDigits(trainSize, 1);
  const [xTest, yTest] = drawDigits(testSize, 2);
  const trainLoader = new DataLoader(new TensorDataset(xTrain, yTrain), { batchSize: 64, shuffle: true });
  const testLoader = new DataLoader(new TensorDataset(xTest, yTest), { batchSize: 256 });
  const model = new Net();
  const optimizer = new optim.Adadelta(model.parameters(), { lr: 1.0 });
  const scheduler = new optim.lrScheduler.StepLR(optimizer, { stepSize: 1, gamma: 0.7 });
  let result = { loss: NaN, accuracy: 0 };
  for (let epoch = 1; epoch <= epochs; epoch++) {
    train(model, trainLoader, optimizer, epoch, log);
    result = test(model, testLoader, log);
    scheduler.step();
  }
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) main();
