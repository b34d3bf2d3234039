// compare: the same workloads on tensorkit and on the optional peers installed next to it —
// onnxruntime-node, TensorFlow.js (cpu and wasm backends) — in one process run, so the ratios
// sit side by side. numpy's matrix products are in the matmul suite. A missing peer is a note.
//
// Each row is one (workload, peer) pair: `native` is tensorkit, `vs peer` the peer's time over
// tensorkit's (>1: tensorkit is faster).
import * as tk from '../../src/index.js';
import { measure, measureAsync, type Options, type Row } from '../lib.js';
import { loadOnnx, onnxModel, onnxNode } from '../peers/onnx.js';
import { loadTfjs, type Tf } from '../peers/tfjs.js';

interface Workload {
  name: string;
  flops?: number;
  bytes?: number;
  /** Input shapes (NCHW for conv), float32 random. */
  inputs: Record<string, number[]>;
  tensorkit: (x: Record<string, tk.Tensor>) => tk.Tensor;
  onnx: { nodes: Uint8Array[]; output: [string, number[]] };
  /** The tfjs version (conv in NHWC, its native layout: the same arithmetic). */
  tfjs: (tf: Tf, x: Record<string, Tf>) => Tf;
  tfjsShapes?: Record<string, number[]>;
}

const N1M = 1 << 20;
const WORKLOADS: Workload[] = [
  {
    name: 'add 1M f32',
    bytes: 12 * N1M,
    inputs: { a: [N1M], b: [N1M] },
    tensorkit: (x) => x.a.add(x.b),
    onnx: { nodes: [onnxNode('Add', ['a', 'b'], ['y'])], output: ['y', [N1M]] },
    tfjs: (tf, x) => tf.add(x.a, x.b),
  },
  ...[256, 512].map((n): Workload => ({
    name: `sgemm ${n}x${n}`,
    flops: 2 * n ** 3,
    inputs: { a: [n, n], b: [n, n] },
    tensorkit: (x) => x.a.matmul(x.b),
    onnx: { nodes: [onnxNode('MatMul', ['a', 'b'], ['y'])], output: ['y', [n, n]] },
    tfjs: (tf, x) => tf.matMul(x.a, x.b),
  })),
  {
    name: 'MLP 784-256-10 forward, batch 64',
    flops: 2 * 64 * (784 * 256 + 256 * 10),
    inputs: { x: [64, 784], w1: [784, 256], b1: [256], w2: [256, 10], b2: [10] },
    tensorkit: (x) => x.b2.addmm(x.b1.addmm(x.x, x.w1).relu(), x.w2),
    onnx: {
      nodes: [
        onnxNode('MatMul', ['x', 'w1'], ['h0']),
        onnxNode('Add', ['h0', 'b1'], ['h1']),
        onnxNode('Relu', ['h1'], ['h']),
        onnxNode('MatMul', ['h', 'w2'], ['y0']),
        onnxNode('Add', ['y0', 'b2'], ['y']),
      ],
      output: ['y', [64, 10]],
    },
    tfjs: (tf, x) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x.x, x.w1), x.b1)), x.w2), x.b2),
  },
  {
    name: 'conv2d case B: 64->64, 16x16 (b32, 3x3, pad 1)',
    flops: 2 * 32 * 64 * 16 * 16 * 64 * 9,
    inputs: { x: [32, 64, 16, 16], w: [64, 64, 3, 3] },
    tensorkit: (x) => tk.nn.functional.conv2d(x.x, x.w, null, { padding: 1 }),
    onnx: {
      nodes: [onnxNode('Conv', ['x', 'w'], ['y'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })],
      output: ['y', [32, 64, 16, 16]],
    },
    tfjs: (tf, x) => tf.conv2d(x.x, x.w, 1, 'same'),
    tfjsShapes: { x: [32, 16, 16, 64], w: [3, 3, 64, 64] },
  },
];

function randomArray(n: number): Float32Array {
  const r = tk.data.seededRandom(n);
  return Float32Array.from({ length: n }, () => r() - 0.5);
}
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

export async function* compare(opts: Options, threads: number[]): AsyncGenerator<Row> {
  const suite = 'compare';
  const onnx = await loadOnnx();
  const tfjs = await loadTfjs();
  for (const p of [onnx, tfjs]) if (typeof p === 'string') console.log(`  (${p})`);
  if (typeof onnx === 'string' && typeof tfjs === 'string') return;
  for (const w of WORKLOADS) {
    const data = Object.fromEntries(Object.entries(w.inputs).map(([k, s]) => [k, randomArray(numel(s))]));
    const x = Object.fromEntries(Object.entries(w.inputs).map(([k, s]) => [k, tk.tensor(data[k], { shape: s })]));
    // tfjs: one backend at a time, single-threaded (its cpu backend is plain JS; the wasm
    // backend runs on one thread in Node), so it is compared at 1 thread only.
    const tfjsUs: Record<string, number> = {};
    if (typeof tfjs !== 'string') {
      for (const b of tfjs.backends) {
        await tfjs.tf.setBackend(b);
        const tx = Object.fromEntries(
          Object.entries(w.tfjsShapes ?? w.inputs).map(([k, s]) => [k, tfjs.tf.tensor(data[k], s)]),
        );
        // The cpu backend's conv is ~100x slower than the rest; a short budget keeps the run sane.
        tfjsUs[b] = await measure(
          () =>
            tfjs.tf.tidy(() => {
              w.tfjs(tfjs.tf, tx).dataSync();
            }),
          opts,
          1,
          b === 'cpu' && w.name.startsWith('conv') ? 1 : undefined,
        );
        for (const t of Object.values(tx)) (t as { dispose(): void }).dispose();
      }
    }
    for (const th of threads) {
      tk.setNumThreads(th);
      const nativeUs = await measure(() => w.tensorkit(x).dispose(), opts, 1);
      const base = { suite, name: w.name, threads: th, nativeUs, flops: w.flops, bytes: w.bytes };
      if (typeof onnx !== 'string') {
        const feeds = Object.fromEntries(
          Object.entries(w.inputs).map(([k, s]): [string, [Float32Array, number[]]] => [k, [data[k], s]]),
        );
        const s = await onnx.session(
          onnxModel(w.onnx.nodes, w.inputs, { [w.onnx.output[0]]: w.onnx.output[1] }),
          feeds,
          th,
        );
        const peerUs = await measureAsync(s.run, opts);
        await s.close();
        yield { ...base, peerUs, note: `${onnx.label} (${th} intra-op thread${th > 1 ? 's' : ''})` };
      }
      if (th === 1)
        for (const [b, us] of Object.entries(tfjsUs))
          yield { ...base, peerUs: us, note: `${(tfjs as { label: string }).label}, ${b} backend` };
    }
    for (const t of Object.values(x)) t.dispose();
  }
}
