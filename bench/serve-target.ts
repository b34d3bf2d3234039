// A server process for `npm run bench:serve`, so the load generator runs in another process (as a
// real client would). Prints `PORT <n>` once listening; SIGTERM ends it.
//   tsx bench/serve-target.ts tensorkit <model repository> [threads]
//   tsx bench/serve-target.ts ort <model.onnx>
// The `ort` server is the peer: a minimal fastify route that takes the same KServe v2 JSON body
// and calls onnxruntime-node's InferenceSession.run once per request (no batching).
import { serve, setNumThreads } from '../src/index.js';

const [kind, path, threads] = process.argv.slice(2);

if (kind === 'tensorkit') {
  if (threads) setNumThreads(Number(threads));
  const s = await serve({ modelRepository: path, port: 0, management: false });
  console.log(`PORT ${new URL(s.url).port}`);
  process.on('SIGTERM', () => void s.close().then(() => process.exit(0)));
} else if (kind === 'ort') {
  const ort = await import('onnxruntime-node');
  const { default: fastify } = await import('fastify');
  const session = await ort.InferenceSession.create(path);
  const [input] = session.inputNames;
  const [output] = session.outputNames;
  const app = fastify({ logger: false, bodyLimit: 64 << 20 });
  type Body = { inputs: { shape: number[]; data: number[] }[] };
  app.post('/v2/models/:m/infer', async (req) => {
    const x = (req.body as Body).inputs[0];
    const r = await session.run({ [input]: new ort.Tensor('float32', Float32Array.from(x.data), x.shape) });
    const y = r[output];
    return {
      model_name: 'm',
      outputs: [{ name: output, datatype: 'FP32', shape: y.dims, data: Array.from(y.data as Float32Array) }],
    };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  console.log(`PORT ${typeof addr === 'object' && addr ? addr.port : 0}`);
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
} else {
  console.error('usage: serve-target.ts tensorkit <repo> [threads] | ort <model.onnx>');
  process.exit(2);
}
