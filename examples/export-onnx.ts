// Train the shapes CNN, capture it with jit.trace, export it to ONNX with a dynamic batch axis,
// and run the file in onnxruntime-node next to tensorkit's own graph executor: the course's "you're
// not locked in". Run: npx tsx examples/export-onnx.ts [out.onnx]
import * as os from 'node:os';
import * as path from 'node:path';

import { data, jit, manualSeed, nn, noGrad, onnx, optim, tidy, type Tensor } from '../src/index.js';
import { ShapesNet } from './cnn-shapes.js';

/**
 * Trains the shapes CNN for a few epochs on 1,200 synthetic images (the export and serve examples
 * start from it); `dispose()` frees the model, the data and the optimizer state.
 */
export function trainShapes(epochs: number) {
  manualSeed(0);
  const { features, labels, classNames } = data.synthetic.shapes({ n: 1200, size: 16, seed: 0 });
  const [train, test] = data.randomSplit(new data.TensorDataset(features, labels), [0.8, 0.2], { seed: 0 });
  const model = new ShapesNet();
  const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
  for (let epoch = 1; epoch <= epochs; epoch++)
    for (const [xb, yb] of new data.DataLoader(train, { batchSize: 32, shuffle: true, seed: epoch }))
      tidy(() => {
        opt.zeroGrad();
        nn.functional.crossEntropy(model.call(xb), yb).backward();
        opt.step();
      });
  model.eval();
  const [x, y] = [...new data.DataLoader(test, { batchSize: test.length })][0] as Tensor[];
  const dispose = () => {
    for (const t of [features, labels, ...model.parameters()]) t.dispose();
    opt.disposeState();
  };
  return { model, x, y, classNames, testSize: test.length, dispose };
}

export async function main(options: { epochs?: number; out?: string; log?: (s: string) => void } = {}) {
  const { epochs = 3, log = console.log } = options;
  const out = options.out ?? path.join(os.tmpdir(), 'shapes-cnn.onnx');
  const { model, x, y, testSize, dispose } = trainShapes(epochs);
  const test = { length: testSize };
  const accuracy = noGrad(() => (model.call(x).argmax(1).eq(y).sum().item() as number) / test.length);
  log(`trained: test accuracy ${(accuracy * 100).toFixed(1)}%`);

  // The graph runs the model in one native call; its results are bit-identical to eager.
  const graph = jit.trace(model, [x.narrow(0, 0, 4)], { dynamicAxes: { input0: { 0: 'batch' } } });
  const eager = noGrad(() => model.call(x));
  const fromGraph = graph.run([x]) as Tensor;
  log(`jit graph: ${graph.nodes.length} native ops; max |graph - eager| = ${fromGraph.sub(eager).abs().max().item()}`);

  onnx.export(graph, null, out);
  log(`wrote ${out}`);
  let ortMaxDiff: number | null = null;
  try {
    const ort = (await import('onnxruntime-node' as string)) as typeof import('onnxruntime-node');
    const session = await ort.InferenceSession.create(out);
    const result = await session.run({ input0: new ort.Tensor('float32', x.data() as Float32Array, x.shape) });
    const got = result.output0.data as Float32Array;
    const want = eager.data() as Float32Array;
    ortMaxDiff = Math.max(...Array.from(want, (v, i) => Math.abs(v - got[i])));
    log(`onnxruntime-node: ${test.length} images, max |onnxruntime - tensorkit| = ${ortMaxDiff.toExponential(2)}`);
    await session.release();
  } catch (e) {
    log(`onnxruntime-node not available (${(e as Error).message.split('\n')[0]}); the file is still written`);
  }
  graph.dispose();
  dispose();
  return { accuracy, ortMaxDiff, path: out };
}

if (import.meta.url === `file://${process.argv[1]}`) await main({ out: process.argv[2] });
