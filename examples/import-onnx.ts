// Load a model PyTorch exported to ONNX and run it natively (no Python, no model code); then take
// its weights into a tensorkit module and fine-tune them, and export the result: the course's
// transfer learning from a pretrained model, and ONNX as the exchange format.
// Run: npx tsx examples/import-onnx.ts
// examples/data/torch-mlp.onnx was written by scripts/fixtures/torch_onnx.py (PyTorch 1.13, opset
// 17): softmax(b(tanh(h) + sigmoid(h))) with h = relu(a(x)), a: 6 -> 8, b: 8 -> 5.
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import { manualSeed, nn, onnx, optim, randn, tidy, type Tensor } from '../src/index.js';

const MODEL = path.join(path.dirname(fileURLToPath(import.meta.url)), 'data', 'torch-mlp.onnx');

// The same network written in tensorkit, with PyTorch's parameter names (a.weight, b.bias, ...).
export class TorchMlp extends nn.Module {
  a = new nn.Linear(6, 8);
  b = new nn.Linear(8, 5);
  forward(x: Tensor): Tensor {
    const h = this.a.call(x).relu();
    return this.b.call(h.tanh().add(h.sigmoid())).softmax(1);
  }
}

export async function main(options: { steps?: number; log?: (s: string) => void } = {}) {
  const { steps = 200, log = console.log } = options;
  manualSeed(0);
  // 1. Run the ONNX file as a native graph, synchronously and off the event loop.
  const graph = onnx.load(MODEL);
  log(`loaded ${path.basename(MODEL)}: inputs ${graph.inputs.map((i) => `${i.name} [${i.shape}]`).join(', ')}`);
  const x = randn([4, 6]);
  const y = graph.run({ input: x }) as Tensor;
  const yAsync = (await graph.runAsync({ input: x })) as Tensor;
  log(
    `outputs [${y.shape}], rows sum to ${y.sum(1).mean().item().toFixed(4)}; async run equal: ${y.sub(yAsync).abs().max().item() === 0}`,
  );

  // 2. The same weights in a tensorkit module: outputs agree.
  const model = new TorchMlp();
  model.loadStateDict(onnx.loadWeights(MODEL));
  model.eval();
  const agree = model.call(x).sub(y).abs().max().item() as number;
  log(`tensorkit module with the ONNX weights: max |module - graph| = ${agree.toExponential(2)}`);

  // 3. Fine-tune it on a new task (predict class argmax of the first 5 inputs), then export again.
  model.train();
  const opt = new optim.Adam(model.parameters(), { lr: 0.02 });
  let first = 0,
    last = 0;
  for (let step = 0; step < steps; step++) {
    last = tidy(() => {
      const xb = randn([64, 6]);
      const target = xb.narrow(1, 0, 5).argmax(1);
      opt.zeroGrad();
      const loss = nn.functional.nllLoss(model.call(xb).add(1e-6).log(), target);
      loss.backward();
      opt.step();
      return loss.item() as number;
    });
    if (step === 0) first = last;
  }
  log(`fine-tuned ${steps} steps: loss ${first.toFixed(3)} -> ${last.toFixed(3)}`);
  const out = path.join(os.tmpdir(), 'torch-mlp-finetuned.onnx');
  onnx.export(model.eval(), [x], out, { dynamicAxes: { input0: { 0: 'batch' } } });
  const again = onnx.load(out);
  log(
    `exported ${out}; reloaded graph matches the module: ${(again.run([x]) as Tensor).sub(model.call(x)).abs().max().item() === 0}`,
  );
  graph.dispose();
  again.dispose();
  opt.disposeState();
  return { agree, firstLoss: first, lastLoss: last };
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
