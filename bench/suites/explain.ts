// explain: the two figures. Integrated gradients with 50 steps on one 16x16 shapes image
// (the example CNN: about one forward and backward at batch 50), and occlusion of a 32x32 image
// with 4x4 windows at stride 2 (225 windows; the same CNN's layout widened to 32x32), evaluated
// all at once and one window per forward (Captum's default).
import * as tk from '../../src/index.js';
import { ShapesNet } from '../../examples/cnn-shapes.js';
import { measure, type Options, type Row } from '../lib.js';

const { nn, explain } = tk;

class Shapes32 extends nn.Module {
  conv1 = new nn.Conv2d(1, 8, 3, { padding: 1 });
  conv2 = new nn.Conv2d(8, 16, 3, { padding: 1 });
  pool = new nn.MaxPool2d(2);
  fc = new nn.Linear(16 * 8 * 8, 4);
  forward(x: tk.Tensor): tk.Tensor {
    const h = this.pool.forward(this.conv1.forward(x).relu());
    return this.fc.forward(this.pool.forward(this.conv2.forward(h).relu()).flatten(1));
  }
}

export async function* explainSuite(opts: Options, threads: number[]): AsyncGenerator<Row> {
  const suite = 'explain';
  tk.manualSeed(0);
  const small = new ShapesNet();
  const big = new Shapes32();
  small.eval();
  big.eval();
  const x16 = tk.data.synthetic.shapes({ n: 1, size: 16, seed: 1 }).features;
  const x32 = tk.data.synthetic.shapes({ n: 1, size: 32, seed: 1 }).features;
  for (const th of threads) {
    tk.setNumThreads(th);
    const ig = await measure(() => explain.integratedGradients(small, x16, { target: 0 }).dispose(), opts);
    yield { suite, name: 'integratedGradients, 50 steps, one 16x16 shapes image', threads: th, nativeUs: ig };
    for (const per of [225, 1]) {
      const us = await measure(
        () =>
          explain
            .occlusion(big, x32, { target: 0, windowShape: [1, 4, 4], strides: 2, perturbationsPerEval: per })
            .dispose(),
        opts,
      );
      yield {
        suite,
        name: `occlusion 32x32, 4x4 windows at stride 2 (225), perturbationsPerEval ${per}`,
        threads: th,
        nativeUs: us,
      };
    }
  }
  for (const t of [x16, x32, ...small.parameters(), ...big.parameters()]) t.dispose();
}
