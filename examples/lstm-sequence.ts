// An LSTM learns to forecast a sine wave: given 20 samples of sin at a random phase and
// frequency, predict the next one. Run: npx tsx examples/lstm-sequence.ts
import { arange as tk_arange, manualSeed, nn, noGrad, optim, rand, tidy, type Tensor } from '../src/index.js';

export class Forecaster extends nn.Module {
  lstm = new nn.LSTM(1, 24, { batchFirst: true });
  head = new nn.Linear(24, 1);
  forward(x: Tensor): Tensor {
    const [out] = this.lstm.call(x);
    return this.head.forward(out.select(1, -1)); // the last step's hidden state
  }
}

// [n, steps, 1] windows of sin(f t + phase) and the value that follows each.
function batch(n: number, steps: number): [Tensor, Tensor] {
  return tidy(() => {
    const phase = rand([n, 1]).mul(2 * Math.PI),
      freq = rand([n, 1]).mul(0.3).add(0.2);
    const t = tk_arange(steps + 1);
    const wave = t.mul(freq).add(phase).sin(); // [n, steps + 1]
    return [wave.narrow(1, 0, steps).unsqueeze(2).contiguous(), wave.narrow(1, steps, 1).contiguous()];
  });
}

export function main(options: { steps?: number; iterations?: number; seed?: number; log?: (s: string) => void } = {}): {
  mse: number;
} {
  const { steps = 20, iterations = 300, seed = 0, log = console.log } = options;
  manualSeed(seed);
  const model = new Forecaster();
  const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
  for (let it = 1; it <= iterations; it++) {
    const [x, y] = batch(64, steps);
    const loss = tidy(() => {
      opt.zeroGrad();
      const l = nn.functional.mseLoss(model.call(x), y);
      l.backward();
      opt.step();
      return l.item() as number;
    });
    x.dispose();
    y.dispose();
    if (it % 100 === 0) log(`iteration ${it}: mse ${loss.toExponential(2)}`);
  }
  const [x, y] = batch(256, steps);
  const mse = tidy(() => noGrad(() => nn.functional.mseLoss(model.call(x), y).item() as number));
  log(`held-out mse ${mse.toExponential(2)} (predicting sin, values in [-1, 1])`);
  for (const t of [x, y, ...model.parameters()]) t.dispose();
  opt.disposeState();
  return { mse };
}

if (import.meta.url === `file://${process.argv[1]}`) main();
