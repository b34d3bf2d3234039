// Train the shapes CNN, capture it with jit.trace, put it in a model repository (a graph file, a
// config and a handler), serve it, and query it with fetch: KServe v2 tensors in and out, and
// TorchServe-style /predictions through the handler, which answers with class names.
// Run: npx tsx examples/serve-shapes.ts [--keep] (--keep serves on :8080 until Ctrl-C).
// The same repository serves from the command line: npx tensorkit serve --model-repository <dir>
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { jit, noGrad, serve } from '../src/index.js';
import { trainShapes } from './export-onnx.js';

/** The handler beside the graph: JSON `{ pixels }` or raw 8-bit grey bytes in, `{ label, probabilities }` out. */
const HANDLER = `// preprocess -> inference (batched by the server) -> postprocess, as TorchServe's handlers
export function preprocess(req, ctx) {
  const size = ctx.parameters.size;
  const pixels = req.json ? req.json.pixels : Array.from(req.body, (b) => b / 255);
  if (!Array.isArray(pixels) || pixels.length !== size * size)
    throw new Error('expected ' + size * size + ' pixels, got ' + (Array.isArray(pixels) ? pixels.length : typeof pixels));
  return ctx.tk.tensor(pixels, { shape: [1, 1, size, size] });
}
export function postprocess(outputs, req, ctx) {
  const p = outputs.output0.softmax(1);
  const probabilities = Array.from(p.data());
  p.dispose();
  const best = probabilities.indexOf(Math.max(...probabilities));
  return { label: ctx.parameters.classNames[best], probabilities };
}
`;

export async function main(
  options: { epochs?: number; port?: number; keep?: boolean; log?: (s: string) => void } = {},
) {
  const { epochs = 3, port = 0, keep = false, log = console.log } = options;
  const { model, x, y, classNames, dispose } = trainShapes(epochs);

  // The model repository: <repo>/<model>/<version>/model.tkg, config.json and handler.mjs beside.
  const repo = mkdtempSync(path.join(os.tmpdir(), 'tk-models-'));
  mkdirSync(path.join(repo, 'shapes', '1'), { recursive: true });
  const graph = jit.trace(model, [x.narrow(0, 0, 2)], { dynamicAxes: { input0: { 0: 'batch' } } });
  graph.save(path.join(repo, 'shapes', '1', 'model.tkg'));
  writeFileSync(
    path.join(repo, 'shapes', 'config.json'),
    JSON.stringify(
      { maxBatchSize: 32, maxQueueDelayMs: 2, handler: 'handler.mjs', parameters: { classNames, size: 16 } },
      null,
      2,
    ),
  );
  writeFileSync(path.join(repo, 'shapes', 'handler.mjs'), HANDLER);
  log(`model repository: ${repo}`);

  const server = await serve({ modelRepository: repo, port, management: false });
  log(`serving on ${server.url}`);
  try {
    const meta = (await (await fetch(`${server.url}/v2/models/shapes`)).json()) as { inputs: unknown[] };
    log(`metadata: inputs ${JSON.stringify(meta.inputs)}`);

    // KServe v2: 64 test images as 64 concurrent requests; the batcher runs them in a few batches.
    const n = 64;
    const images = x.narrow(0, 0, n);
    const pixels = images.data() as Float32Array;
    const t0 = performance.now();
    const answers = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const r = await fetch(`${server.url}/v2/models/shapes/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            id: `img-${i}`,
            inputs: [
              {
                name: 'input0',
                datatype: 'FP32',
                shape: [1, 1, 16, 16],
                data: Array.from(pixels.subarray(i * 256, (i + 1) * 256)),
              },
            ],
          }),
        });
        const body = (await r.json()) as { outputs: { data: number[] }[] };
        const logits = body.outputs[0].data;
        return logits.indexOf(Math.max(...logits));
      }),
    );
    const ms = performance.now() - t0;
    const truth = Array.from(y.narrow(0, 0, n).data() as BigInt64Array, Number);
    const served = answers.filter((a, i) => a === truth[i]).length / n;
    const local = noGrad(
      () =>
        (model
          .call(images)
          .argmax(1)
          .eq(y.narrow(0, 0, n))
          .sum()
          .item() as number) / n,
    );
    log(
      `v2 infer: ${n} concurrent requests in ${ms.toFixed(0)} ms, accuracy ${(served * 100).toFixed(1)}% (in-process: ${(local * 100).toFixed(1)}%)`,
    );

    // TorchServe-style, through the handler: JSON pixels, then the same image as raw bytes.
    const first = Array.from(pixels.subarray(0, 256));
    const pred = (await (
      await fetch(`${server.url}/predictions/shapes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pixels: first }),
      })
    ).json()) as { label: string };
    const bytes = Uint8Array.from(first, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
    const predRaw = (await (
      await fetch(`${server.url}/predictions/shapes`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: bytes,
      })
    ).json()) as { label: string };
    log(`predictions: ${pred.label} (JSON), ${predRaw.label} (raw bytes); truth ${classNames[truth[0]]}`);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const batches = Number(/^tk_batch_size_count\{model="shapes"\} (\d+)/m.exec(metrics)?.[1]);
    log(`/metrics: ${batches} batches ran the ${n + 2} requests`);
    if (keep) {
      log('serving until Ctrl-C');
      await new Promise<void>((r) => process.once('SIGINT', () => r()));
    }
    return {
      accuracy: served,
      localAccuracy: local,
      label: pred.label,
      rawLabel: predRaw.label,
      truth: classNames[truth[0]],
      batches,
    };
  } finally {
    await server.close();
    graph.dispose();
    dispose();
    rmSync(repo, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const keep = process.argv.includes('--keep');
  await main({ keep, port: keep ? 8080 : 0 });
}
