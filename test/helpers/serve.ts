// Graphs and a model repository for the server's tests and benchmark: an MLP, a two-input
// two-output graph, an int64 embedding (which fails at run time for an id out of range), and a slow
// graph (chained 3-D matmuls).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { jit, manualSeed, nn, randn, tensor, type Tensor } from '../../src/index.js';

const batch = { 0: 'batch' } as const;

/** A Linear-ReLU-Linear MLP, `sizes` = [in, hidden, out], batch axis dynamic. */
export function mlpGraph(sizes: [number, number, number] = [8, 16, 4], seed = 0): jit.Graph {
  manualSeed(seed);
  const m = new nn.Sequential(new nn.Linear(sizes[0], sizes[1]), new nn.ReLU(), new nn.Linear(sizes[1], sizes[2]));
  return jit.trace(m, [randn([2, sizes[0]])], { dynamicAxes: { input0: batch } });
}

/** Inputs 'a' and 'b' ([batch, 3]), outputs 'sum' and 'prod'. */
export function pairGraph(): jit.Graph {
  return jit.trace((a: Tensor, b: Tensor) => [a.add(b), a.mul(b)], [randn([2, 3]), randn([2, 3])], {
    inputNames: ['a', 'b'],
    outputNames: ['sum', 'prod'],
    dynamicAxes: { a: batch, b: batch },
  });
}

/** An Embedding(10, 4) over int64 token ids [batch, 3] → [batch, 3, 4]. */
export function embeddingGraph(): jit.Graph {
  manualSeed(1);
  const e = new nn.Embedding(10, 4);
  return jit.trace(
    e,
    [
      tensor([
        [1n, 2n, 3n],
        [4n, 5n, 6n],
      ]),
    ],
    { dynamicAxes: { input0: batch } },
  );
}

/** x [batch, 1] → mean of (x * C) @ C @ C ... (`steps` products of n×n): slow on purpose. */
export function slowGraph(n = 256, steps = 16): jit.Graph {
  manualSeed(2);
  const c = randn([n, n]).div(Math.sqrt(n));
  return jit.trace(
    (x: Tensor) => {
      let h = x.unsqueeze(2).mul(c);
      for (let i = 0; i < steps; i++) h = h.matmul(c);
      return h.mean([1, 2]).unsqueeze(1);
    },
    [randn([2, 1])],
    { dynamicAxes: { input0: batch } },
  );
}

/** Writes a graph into `repo/<name>/<version>/model.tkg` with an optional config.json. */
export function addModel(repo: string, name: string, g: jit.Graph, config?: object, version = 1): void {
  const dir = join(repo, name, String(version));
  mkdirSync(dir, { recursive: true });
  g.save(join(dir, 'model.tkg'));
  if (config) writeFileSync(join(repo, name, 'config.json'), JSON.stringify(config));
}
