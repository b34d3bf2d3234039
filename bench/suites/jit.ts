// jit: inference through the native graph executor (graph.run: the whole graph in one native
// call) against the same model run eagerly (one N-API call per op) and against onnxruntime-node
// running the same model exported by onnx.export, in one run. Plus the time to export a
// 10M-parameter model.
//
// Rows: `native` is graph.run; `vs peer` is the peer's time over graph.run (>1: graph.run is faster).
// onnxruntime's run() returns a promise, so it is timed awaited (one call per sample, medians, as
// the compare suite does); tensorkit's calls are synchronous.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

import * as tk from '../../src/index.js';
import { toOnnx } from '../../src/onnx/export.js';
import { measure, measureAsync, type Options, type Row } from '../lib.js';
import { plainElementwise } from '../../examples/with-and-without.js';
import { loadOnnx } from '../peers/onnx.js';

const { nn } = tk;

// LeNet-5 on 28x28 digits (ReLU, max-pool), as the classic inference benchmark.
class LeNet extends nn.Module {
  c1 = new nn.Conv2d(1, 6, 5, { padding: 2 });
  c2 = new nn.Conv2d(6, 16, 5);
  f1 = new nn.Linear(16 * 5 * 5, 120);
  f2 = new nn.Linear(120, 84);
  f3 = new nn.Linear(84, 10);
  forward(x: tk.Tensor): tk.Tensor {
    const F = nn.functional;
    const h1 = F.maxPool2d(this.c1.call(x).relu(), 2);
    const h = F.maxPool2d(this.c2.call(h1).relu(), 2);
    return this.f3.call(this.f2.call(this.f1.call(h.flatten(1)).relu()).relu());
  }
}

function mlp(): tk.nn.Module {
  return new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 10));
}

export async function* jit(opts: Options, threads: number[]): AsyncGenerator<Row> {
  const suite = 'jit';
  const ort = await loadOnnx();
  if (typeof ort === 'string') console.log(`  (${ort})`);
  const workloads: [string, tk.nn.Module, number[], number][] = [
    [
      'LeNet-5 inference, batch 64',
      new LeNet(),
      [64, 1, 28, 28],
      2 * 64 * (28 * 28 * 6 * 25 + 10 * 10 * 16 * 150 + 400 * 120 + 120 * 84 + 84 * 10),
    ],
    ['MLP 784-256-10 forward, batch 1', mlp(), [1, 784], 2 * (784 * 256 + 256 * 10)],
    ['MLP 784-256-10 forward, batch 64', mlp(), [64, 784], 2 * 64 * (784 * 256 + 256 * 10)],
  ];
  for (const [name, model, shape, flops] of workloads) {
    model.eval();
    const x = tk.randn(shape);
    const graph = tk.jit.trace(model, [x]);
    const bytes = Buffer.concat(toOnnx(graph));
    for (const th of threads) {
      tk.setNumThreads(th);
      const inner = shape[0] === 1 ? 20 : 1;
      const runUs = await measure(() => (graph.run([x]) as tk.Tensor).dispose(), opts, inner);
      const eagerUs = await measure(() => tk.tidy(() => void tk.noGrad(() => model.call(x))), opts, inner);
      const base = { suite, name, threads: th, nativeUs: runUs, flops };
      yield {
        ...base,
        peerUs: eagerUs,
        note: "peer: the same model run eagerly (tidy, noGrad; its weights share the graph's packed panels)",
      };
      if (typeof ort !== 'string') {
        const s = await ort.session(bytes, { input0: [x.data() as Float32Array, shape] }, th);
        // ORT's run() returns a promise: timed awaited, one call per sample.
        const awaitedUs = await measureAsync(s.run, opts);
        await s.close();
        yield {
          ...base,
          peerUs: awaitedUs,
          note: `${ort.label}, the onnx.export of this model (${th} intra-op thread${th > 1 ? 's' : ''})`,
        };
      }
    }
    graph.dispose();
    x.dispose();
  }
  // Lesson 1.3's element-wise row: relu(x * y + 1) on 1M floats as a traced graph (one fused pass)
  // against the one fused plain-TypeScript loop, and against the same three ops run eagerly.
  {
    const n = opts.smoke ? 1 << 12 : 1 << 20;
    const x = tk.randn([n]),
      y = tk.randn([n]);
    const xa = x.data() as Float32Array,
      ya = y.data() as Float32Array;
    const f = (a: tk.Tensor, b: tk.Tensor) => a.mul(b).add(1).relu();
    const graph = tk.jit.trace(f, [x, y]);
    const plainUs = await measure(() => plainElementwise(xa, ya), opts);
    for (const th of threads) {
      tk.setNumThreads(th);
      const runUs = await measure(() => (graph.run([x, y]) as tk.Tensor).dispose(), opts);
      const eagerUs = await measure(() => tk.tidy(() => void f(x, y)), opts);
      yield {
        suite,
        name: `relu(x * y + 1), ${n >> 20 ? `${n >> 20}M` : n} f32: traced graph (fused ${graph.fusedChains().join('+')} ops)`,
        threads: th,
        nativeUs: runUs,
        plainUs,
        peerUs: eagerUs,
        bytes: 12 * n,
        note: 'plain: one fused TypeScript loop (examples/with-and-without.ts); peer: the three ops run eagerly',
      };
    }
    graph.dispose();
    x.dispose();
    y.dispose();
  }
  // Export time of a 10M-parameter model (the whole file written, atomically).
  const big = new nn.Sequential(
    new nn.Linear(784, 4096),
    new nn.ReLU(),
    new nn.Linear(4096, 1792),
    new nn.ReLU(),
    new nn.Linear(1792, 10),
  );
  const params = big.parameters().reduce((n, p) => n + p.numel(), 0);
  const file = path.join(os.tmpdir(), `tk-bench-export-${process.pid}.onnx`);
  const xb = tk.randn([1, 784]);
  const exportUs = await measure(() => tk.onnx.export(big, [xb], file), opts, 1, opts.smoke ? 1 : 2000);
  const t0 = performance.now();
  tk.onnx.export(big, [xb], file);
  const once = performance.now() - t0;
  fs.rmSync(file, { force: true });
  yield {
    suite,
    name: `onnx.export of a ${(params / 1e6).toFixed(1)}M-parameter MLP (${((params * 4) / 2 ** 20).toFixed(0)} MiB)`,
    threads: tk.getNumThreads(),
    nativeUs: exportUs,
    bytes: params * 4,
    note: `one cold export: ${once.toFixed(0)} ms`,
  };
}
