// The model server: every route's status codes and bodies against the KServe v2 protocol and
// TorchServe's API, the binary tensor extension, dynamic batching (concurrent requests answer as
// single runs), each robustness rule with its status code, the management API, /metrics (through
// promtool where Debian's prometheus is installed), the CLI, and drain on SIGTERM.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { serve, tensor, memory, TensorError, type ModelServer, type Tensor } from '../src/index.js';
import { Batcher, type BatcherSettings } from '../src/serve/batcher.js';
import { parseInfer } from '../src/serve/codec.js';
import { HttpError } from '../src/serve/errors.js';
import { serveOptions } from '../src/cli.js';
import { addModel, embeddingGraph, mlpGraph, pairGraph, slowGraph } from './helpers/serve.js';

declare global {
  interface Response {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    json(): Promise<any>; // the tests read bodies whose shape they check
  }
}

const repo = mkdtempSync(join(tmpdir(), 'tk-serve-'));
const mlp = mlpGraph();
let server: ModelServer;
let base: string;
let mg: string;

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
const infer = (model: string, inputs: unknown[], extra: object = {}) =>
  post(`/v2/models/${model}/infer`, { inputs, ...extra });
const fp32 = (name: string, shape: number[], data: number[]) => ({ name, datatype: 'FP32', shape, data });
const rows = (n: number, k: number, seed = 0) => Array.from({ length: n * k }, (_, i) => Math.sin(i * 0.37 + seed));

/** The single-run answer of the MLP for `data` ([n, 8]). */
function mlpRef(data: number[], n: number): number[] {
  const x = tensor(Float32Array.from(data), { shape: [n, 8] });
  const y = mlp.run([x]) as Tensor;
  const out = Array.from(y.data() as Float32Array);
  x.dispose();
  y.dispose();
  return out;
}

beforeAll(async () => {
  addModel(repo, 'mlp', mlpGraph([8, 16, 4], 7), { maxQueueDelayMs: 2 });
  addModel(repo, 'mlp', mlp, undefined, 2);
  addModel(repo, 'pair', pairGraph(), { inputs: [{ name: 'a' }, { name: 'b', datatype: 'FP32', shape: [-1, 3] }] });
  addModel(repo, 'embed', embeddingGraph(), { handler: 'handler.ts' });
  writeFileSync(
    join(repo, 'embed', 'handler.ts'),
    `export function postprocess(out: Record<string, { shape: number[] }>): { shape: number[] } {
       return { shape: out.output0.shape };
     }`,
  );
  addModel(repo, 'slow', slowGraph(384, 12), { maxBatchSize: 1 });
  // the slow graph behind a handler that first sleeps: requests stay in flight as long as a test needs
  addModel(repo, 'sleepy', slowGraph(), {
    maxBatchSize: 1,
    maxQueueSize: 2,
    handler: 'handler.mjs',
    parameters: { sleepMs: 150 },
  });
  // ... and behind one that holds requests until `gather` have come, then lets them all go at once
  addModel(repo, 'gather', slowGraph(), {
    maxBatchSize: 1,
    maxQueueSize: 2,
    handler: 'handler.mjs',
    parameters: { gather: 8 },
  });
  const handler = `const waiting = [];
     export async function inference(inputs, ctx) {
       const { sleepMs, gather } = ctx.parameters;
       if (gather) await new Promise((r) => { waiting.push(r); if (waiting.length >= gather) for (const w of waiting.splice(0)) w(); });
       else await new Promise((r) => setTimeout(r, sleepMs));
       return ctx.infer(inputs);
     }`;
  writeFileSync(join(repo, 'sleepy', 'handler.mjs'), handler);
  writeFileSync(join(repo, 'gather', 'handler.mjs'), handler);
  addModel(repo, 'all', mlpGraph([8, 16, 4], 3), { versionPolicy: 'all' });
  addModel(repo, 'all', mlpGraph([8, 16, 4], 4), undefined, 2);
  writeFileSync(
    join(repo, 'pair', 'handler.mjs'),
    `export function preprocess(req, ctx) {
       if (req.json.fail === 'pre') throw new Error('bad payload');
       return { a: ctx.tk.tensor([req.json.a]), b: ctx.tk.tensor([req.json.b]) };
     }
     export function postprocess(out, req, ctx) {
       if (req.json.fail === 'post') throw new Error('postprocess exploded');
       return { sum: Array.from(out.sum.data()), label: ctx.parameters.label };
     }`,
  );
  writeFileSync(
    join(repo, 'pair', 'config.json'),
    JSON.stringify({
      handler: 'handler.mjs',
      parameters: { label: 'pairs' },
      inputs: [{ name: 'a' }, { name: 'b', datatype: 'FP32', shape: [-1, 3] }],
    }),
  );
  server = await serve({ modelRepository: repo, port: 0, management: { port: 0 }, bodyLimit: 1 << 16 });
  base = server.url;
  mg = server.managementUrl!;
});

afterAll(async () => {
  await server?.close();
  rmSync(repo, { recursive: true, force: true });
});

describe('KServe v2 routes', () => {
  it('server metadata, liveness and readiness', async () => {
    const meta = await (await fetch(`${base}/v2`)).json();
    expect(meta).toMatchObject({ name: 'tensorkit', extensions: expect.arrayContaining(['binary_tensor_data']) });
    const live = await fetch(`${base}/v2/health/live`);
    expect([live.status, await live.json()]).toEqual([200, { live: true }]);
    const ready = await fetch(`${base}/v2/health/ready`);
    expect([ready.status, await ready.json()]).toEqual([200, { ready: true }]);
  });

  it('model metadata (latest and per version) with -1 for the batch dim', async () => {
    const r = await fetch(`${base}/v2/models/mlp`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({
      name: 'mlp',
      versions: ['2'],
      platform: 'tensorkit_graph',
      inputs: [{ name: 'input0', datatype: 'FP32', shape: [-1, 8] }],
      outputs: [{ name: 'output0', datatype: 'FP32', shape: [-1, 4] }],
    });
    const all = await (await fetch(`${base}/v2/models/all/versions/1`)).json();
    expect(all).toMatchObject({ name: 'all', versions: ['2', '1'], version: '1' });
    expect((await fetch(`${base}/v2/models/pair`)).ok).toBe(true);
    expect((await (await fetch(`${base}/v2/models/pair`)).json()).inputs.map((i: { name: string }) => i.name)).toEqual([
      'a',
      'b',
    ]);
  });

  it('model readiness, unknown models, versions and routes', async () => {
    expect((await fetch(`${base}/v2/models/mlp/ready`)).status).toBe(200);
    expect((await fetch(`${base}/v2/models/all/versions/1/ready`)).status).toBe(200);
    expect((await fetch(`${base}/v2/models/all/versions/3/ready`)).status).toBe(400);
    const unknown = await fetch(`${base}/v2/models/nope`);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error).toMatch(/no model 'nope'/);
    expect((await fetch(`${base}/v2/models/mlp/versions/1`)).status).toBe(404); // policy 'latest' serves 2 only
    expect((await fetch(`${base}/v2/models/mlp/versions/x1`)).status).toBe(400);
    expect((await fetch(`${base}/v2/nothing/here`)).status).toBe(404);
    expect((await infer('nope', [])).status).toBe(404);
  });

  it('infer: JSON in and out, id echoed, answers equal a single run of the graph', async () => {
    const data = rows(2, 8);
    const r = await infer('all', [fp32('input0', [2, 8], data)], { id: 'req-1' });
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body).toMatchObject({ model_name: 'all', model_version: '2', id: 'req-1' });
    expect(body.outputs).toHaveLength(1);
    expect(body.outputs[0]).toMatchObject({ name: 'output0', datatype: 'FP32', shape: [2, 4] });
    const v1 = await (await post('/v2/models/all/versions/1/infer', { inputs: [fp32('input0', [2, 8], data)] })).json();
    expect(v1.model_version).toBe('1');
    expect(v1.outputs[0].data).not.toEqual(body.outputs[0].data); // another version, other weights
    const nested = await infer('mlp', [
      { name: 'input0', datatype: 'FP32', shape: [2, 8], data: [data.slice(0, 8), data.slice(8)] },
    ]);
    expect(nested.status).toBe(200);
  });

  it('infer: two inputs and a chosen output; int64 inputs; BOOL is refused by datatype', async () => {
    const a = [1, 2, 3],
      b = [4, 5, 6];
    const r = await infer('pair', [fp32('a', [1, 3], a), fp32('b', [1, 3], b)], { outputs: [{ name: 'prod' }] });
    const body = await r.json();
    expect(body.outputs).toEqual([{ name: 'prod', datatype: 'FP32', shape: [1, 3], data: [4, 10, 18] }]);
    const e = await infer('embed', [{ name: 'input0', datatype: 'INT64', shape: [1, 3], data: [1, '2', 9] }]);
    expect(e.status).toBe(200);
    expect((await e.json()).outputs[0].shape).toEqual([1, 3, 4]);
    const bad = await infer('embed', [{ name: 'input0', datatype: 'INT64', shape: [1, 3], data: [1, 2.5, 9] }]);
    expect([bad.status, (await bad.json()).error]).toEqual([
      400,
      expect.stringMatching(/value 1 is 2\.5, expected an integer/),
    ]);
  });

  it('the binary tensor extension: binary inputs and outputs, and a raw octet-stream body', async () => {
    const x = Float32Array.from(rows(3, 8, 1));
    const head = Buffer.from(
      JSON.stringify({
        inputs: [{ name: 'input0', datatype: 'FP32', shape: [3, 8], parameters: { binary_data_size: x.byteLength } }],
        outputs: [{ name: 'output0', parameters: { binary_data: true } }],
      }),
    );
    const r = await post('/v2/models/mlp/infer', Buffer.concat([head, Buffer.from(x.buffer)]), {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(head.length),
    });
    expect(r.status).toBe(200);
    const n = Number(r.headers.get('inference-header-content-length'));
    const buf = Buffer.from(await r.arrayBuffer());
    const json = JSON.parse(buf.subarray(0, n).toString());
    expect(json.outputs[0]).toEqual({
      name: 'output0',
      datatype: 'FP32',
      shape: [3, 4],
      parameters: { binary_data_size: 48 },
    });
    const out = new Float32Array(buf.buffer.slice(buf.byteOffset + n, buf.byteOffset + n + 48));
    const want = mlpRef(Array.from(x), 3);
    out.forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    const raw = await post('/v2/models/mlp/infer', Buffer.from(x.buffer), {
      'content-type': 'application/octet-stream',
    });
    expect(raw.status).toBe(200);
    expect((await raw.json()).outputs[0].shape).toEqual([3, 4]);
    const short = await post('/v2/models/mlp/infer', Buffer.from(x.buffer, 0, 30), {
      'content-type': 'application/octet-stream',
    });
    expect([short.status, (await short.json()).error]).toEqual([
      400,
      expect.stringMatching(/not a whole number of FP32 rows/),
    ]);
    const lying = await post('/v2/models/mlp/infer', Buffer.concat([head, Buffer.from(x.buffer)]), {
      'inference-header-content-length': String(head.length + 4),
    });
    expect(lying.status).toBe(400);
  });

  it('every signature mismatch is a 400 that says what was wrong', async () => {
    const cases: [unknown, RegExp][] = [
      [{ inputs: [fp32('input0', [1, 7], rows(1, 7))] }, /dim 1 is 7, the model takes 8/],
      [{ inputs: [fp32('x', [1, 8], rows(1, 8))] }, /unknown input 'x'; the model's inputs are 'input0'/],
      [
        { inputs: [{ ...fp32('input0', [1, 8], rows(1, 8)), datatype: 'FP64' }] },
        /datatype FP64 given, the model takes FP32/,
      ],
      [{ inputs: [fp32('input0', [1, 8], rows(1, 7))] }, /7 values given, shape \[1,8\] holds 8/],
      [{ inputs: [fp32('input0', [8], rows(1, 8))] }, /shape \[8\] has rank 1/],
      [{ inputs: [fp32('input0', [65, 8], rows(65, 8))] }, /65 rows is over the model's maxBatchSize of 64/],
      [
        { inputs: [{ ...fp32('input0', [1, 8], rows(1, 8)), data: ['a', ...rows(1, 7)] }] },
        /value 0 is "a", expected a number/,
      ],
      [{ inputs: [] }, /'inputs' must be a non-empty list/],
      [{ inputs: [fp32('input0', [1, 8], rows(1, 8))], outputs: [{ name: 'logits' }] }, /unknown output 'logits'/],
      [{ inputs: [{ name: 'input0', datatype: 'FP32', shape: [1, -8], data: [] }] }, /'shape' must be a list/],
      ['{"inputs": [', /not valid JSON/],
      [[1, 2], /must be a JSON object/],
    ];
    for (const [body, msg] of cases) {
      const r = await post('/v2/models/mlp/infer', typeof body === 'string' ? body : JSON.stringify(body));
      expect([r.status, (await r.json()).error]).toEqual([400, expect.stringMatching(msg)]);
    }
    const pair = await infer('pair', [fp32('a', [1, 3], [1, 2, 3])]);
    expect([pair.status, (await pair.json()).error]).toEqual([400, expect.stringMatching(/missing input 'b'/)]);
    const mixed = await infer('pair', [fp32('a', [1, 3], [1, 2, 3]), fp32('b', [2, 3], rows(2, 3))]);
    expect([mixed.status, (await mixed.json()).error]).toEqual([
      400,
      expect.stringMatching(/another input has 1 there/),
    ]);
    expect((await post('/v2/models/mlp/infer', '')).status).toBe(400);
  });

  it('a body over the limit is a 413; explain is a 501; a model failure is a 500 for that request only', async () => {
    const big = await infer('mlp', [fp32('input0', [1000, 8], rows(1000, 8))]);
    expect([big.status, (await big.json()).error]).toEqual([413, expect.stringMatching(/over the size limit/)]);
    const ex = await post('/v2/models/mlp/explain', {});
    expect(ex.status).toBe(501);
    expect((await post('/v2/models/nope/explain', {})).status).toBe(404);
    // an id past the embedding fails inside the model; the requests batched with it still answer
    const ids = (v: number[]) => infer('embed', [{ name: 'input0', datatype: 'INT64', shape: [1, 3], data: v }]);
    await fetch(`${mg}/models/embed`, { method: 'PUT', body: JSON.stringify({ maxQueueDelayMs: 20 }) });
    const [good1, bad, good2] = await Promise.all([ids([1, 2, 3]), ids([1, 12, 3]), ids([4, 5, 6])]);
    expect([bad.status, (await bad.json()).error]).toEqual([500, expect.stringMatching(/model 'embed' failed: .*12/)]);
    expect([good1.status, good2.status]).toEqual([200, 200]);
    expect((await good2.json()).outputs[0].shape).toEqual([1, 3, 4]);
  });
});

describe('the JSON fast path', () => {
  const flat = (v: unknown): unknown[] =>
    v instanceof Float64Array ? Array.from(v) : Array.isArray(v) ? v.flat(Infinity) : [v];
  /** parseInfer's inputs' data, flattened, or the status it refused the body with. */
  const ours = (body: string) => {
    try {
      return parseInfer(Buffer.from(body), {}).inputs.map((i) => flat(i.data));
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      return e.status;
    }
  };
  /** The same from JSON.parse alone. */
  const reference = (body: string) => {
    try {
      const j = JSON.parse(body);
      return Array.isArray(j?.inputs) ? j.inputs.map((i: { data: unknown }) => flat(i?.data)) : 400;
    } catch {
      return 400;
    }
  };

  it('reads numbers as JSON.parse does, and leaves strings, booleans and odd numbers to it', () => {
    const nums = [
      0,
      -0,
      1,
      -1,
      0.1,
      1 / 3,
      Math.PI * 1e-300,
      1.7976931348623157e308,
      5e-324,
      123456789012345680000,
      2 ** 53 + 2,
    ];
    const texts = ['1e2', '1E-2', '-0.0', '1e+2', '0.30000000000000004', '9007199254740993', '1e400', '-1e-400'];
    const bodies = [
      JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP64', shape: [nums.length], data: nums }] }),
      `{"inputs":[{"name":"x","data":[${texts.join(',')}],"shape":[8],"datatype":"FP64"}]}`,
      JSON.stringify({ id: '"data":[1,2]', inputs: [{ name: 'x', datatype: 'INT64', shape: [3], data: [1, '2', 3] }] }),
      JSON.stringify({
        inputs: [
          {
            name: 'a',
            datatype: 'FP32',
            shape: [2, 2],
            data: [
              [1, 2],
              [3, 4],
            ],
          },
          { name: 'b', datatype: 'BOOL', shape: [2], data: [true, false], parameters: { data: [9] } },
        ],
      }),
      `{ "inputs" : [ { "name" : "x" , "datatype": "FP32", "shape": [3], "data" : [ 1 , [ 2 , 3 ] ] } ] }`,
    ];
    for (const b of bodies) expect(ours(b)).toEqual(reference(b));
    const random = Array.from({ length: 2000 }, (_, i) => (Math.random() - 0.5) * 10 ** ((i % 40) - 20));
    const big = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP64', shape: [2000], data: random }] });
    expect(ours(big)).toEqual([random]);
  });

  it('a mangled body is a 400 or reads as JSON.parse reads it (3,000 mutations)', () => {
    const body = JSON.stringify({
      id: 'z',
      inputs: [
        {
          name: 'x',
          datatype: 'FP32',
          shape: [2, 3],
          data: [
            [1.5, -2, 3e-3],
            [4, 5, 6],
          ],
        },
      ],
    });
    let seed = 7;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const alphabet = '[]{}",:0123456789.eE-+ datn\\';
    for (let k = 0; k < 3000; k++) {
      const chars = [...body];
      for (let m = 0; m < 1 + rnd(3); m++) {
        const at = rnd(chars.length);
        const op = rnd(3);
        if (op === 0) chars.splice(at, 1);
        else if (op === 1) chars.splice(at, 0, alphabet[rnd(alphabet.length)]);
        else chars[at] = alphabet[rnd(alphabet.length)];
      }
      const text = chars.join('').slice(0, rnd(4) === 0 ? rnd(body.length) : undefined);
      const got = ours(text);
      const want = reference(text);
      if (got === 400) continue; // refused (the checks past JSON.parse refuse more than it does)
      expect(got).toEqual(want);
    }
  });
});

describe('batching and robustness', () => {
  it('48 concurrent requests are batched, and each answers as its single run does', async () => {
    const before = await server.metrics();
    const count = (text: string) => Number(/tk_batch_size_count\{model="mlp"\} (\d+)/.exec(text)?.[1] ?? 0);
    const inputs = Array.from({ length: 48 }, (_, i) => rows(1 + (i % 3), 8, i));
    const answers = await Promise.all(
      inputs.map((d) => infer('mlp', [fp32('input0', [d.length / 8, 8], d)]).then((r) => r.json())),
    );
    const batches = count(await server.metrics()) - count(before);
    expect(batches).toBeLessThan(48); // some requests shared a run
    answers.forEach((a, i) => {
      const want = mlpRef(inputs[i], inputs[i].length / 8);
      expect(a.outputs[0].shape).toEqual([inputs[i].length / 8, 4]);
      // the same rows as a lone run, to float32 rounding (a batch's GEMM sums in another order)
      (a.outputs[0].data as number[]).forEach((v, k) =>
        expect(Math.abs(v - want[k])).toBeLessThan(1e-5 * (1 + Math.abs(want[k]))),
      );
    });
  });

  it('the batcher: greedy batches, maxQueueDelayMs, preferred sizes, timeouts, exactly-once answers', async () => {
    const runs: number[] = [];
    const settings: BatcherSettings = {
      maxBatchSize: 4,
      dynamicBatching: true,
      maxQueueDelayMs: 30,
      preferredBatchSizes: [],
      instanceCount: 1,
      maxQueueSize: 100,
    };
    const b = new Batcher(
      async ([x]) => {
        runs.push(x.shape[0]);
        await new Promise((r) => setTimeout(r, 5));
        return [x.mul(2)];
      },
      settings,
      true,
      ['float32'],
      'm',
    );
    const job = (v: number) => b.submit([Float32Array.of(v)], [[1, 1]], 1, 1000).then((r) => r.outputs[0].values[0]);
    // the first three wait (delay) for a fourth that never comes, then run together
    expect(await Promise.all([job(1), job(2), job(3)])).toEqual([2, 4, 6]);
    expect(runs).toEqual([3]);
    settings.preferredBatchSizes = [2];
    runs.length = 0;
    expect(await Promise.all([job(1), job(2), job(3)])).toEqual([2, 4, 6]);
    expect(runs).toEqual([2, 1]); // a preferred batch at once, the rest after its delay
    settings.maxQueueDelayMs = 0;
    settings.preferredBatchSizes = [];
    runs.length = 0;
    expect(await Promise.all([1, 2, 3, 4, 5, 6].map(job))).toEqual([2, 4, 6, 8, 10, 12]);
    expect(runs).toEqual([1, 4, 1]); // greedy: one starts alone, the next four fill a batch
    // a job over a maxBatchSize lowered after it was queued still runs (alone)
    const running = b.submit([Float32Array.of(1)], [[1, 1]], 1, 1000); // runs; the next one queues
    const big = b.submit([new Float32Array(3)], [[3, 1]], 3, 1000);
    settings.maxBatchSize = 2;
    expect((await running).outputs[0].shape).toEqual([1, 1]);
    expect((await big).outputs[0].shape).toEqual([3, 1]);
    settings.maxBatchSize = 4;
    const slow = await b.submit([Float32Array.of(1)], [[1, 1]], 1, 1).then(
      () => 'answered',
      (e) => e.status,
    );
    expect(slow).toBe(504);
    await b.drain();
    expect(b.queued + b.running).toBe(0);
  });

  it('a full queue answers 503 with Retry-After; a timeout answers 504', async () => {
    // the eight leave the handler together: one runs, two queue (maxQueueSize 2), five get 503
    const rs = await Promise.all(Array.from({ length: 8 }, () => post('/predictions/gather', [1])));
    expect(rs.map((r) => r.status).sort()).toEqual([200, 200, 200, 503, 503, 503, 503, 503]);
    const busy = rs.find((r) => r.status === 503)!;
    expect(busy.headers.get('retry-after')).toBe('1');
    expect((await busy.json()).error).toMatch(/2 requests queued, its limit/);
    await server.load('slow', { timeoutMs: 1, threads: 1 }); // a run takes several ms on one thread
    const t = await infer('slow', [fp32('input0', [1, 1], [1])]);
    expect([t.status, (await t.json()).error]).toEqual([504, expect.stringMatching(/did not answer within 1 ms/)]);
    await server.load('slow', { timeoutMs: 30_000 });
    await server.load('sleepy', { timeoutMs: 50 });
    const h = await post('/predictions/sleepy', [1]);
    expect([h.status, (await h.json()).error]).toEqual([504, expect.stringMatching(/did not answer within 50 ms/)]);
    await server.load('sleepy', { timeoutMs: 30_000, maxQueueSize: 100 });
  });

  it('unload and reload while serving drop no accepted request', async () => {
    const inflight = () => server.models().find((m) => m.name === 'sleepy')?.versions[0]?.inflight ?? 0;
    const until = async (ok: () => boolean) => {
      while (!ok()) await new Promise((r) => setTimeout(r, 2));
    };
    const pending = Array.from({ length: 6 }, () => post('/predictions/sleepy', [1]));
    await until(() => inflight() === 6);
    const reload = await fetch(`${mg}/models/sleepy/load`, { method: 'POST' }); // returns once the old version drained
    expect(reload.status).toBe(200);
    const more = Array.from({ length: 4 }, () => post('/predictions/sleepy', [1]));
    await until(() => inflight() === 4);
    const unload = await fetch(`${mg}/models/sleepy/unload`, { method: 'POST' });
    expect([unload.status, await unload.json()]).toEqual([200, { name: 'sleepy', state: 'UNLOADED' }]);
    expect((await Promise.all([...pending, ...more])).map((r) => r.status)).toEqual(Array(10).fill(200));
    expect((await post('/predictions/sleepy', [1])).status).toBe(404);
    expect((await fetch(`${mg}/models/sleepy/load`, { method: 'POST' })).status).toBe(200);
    expect((await post('/predictions/sleepy', [1])).status).toBe(200);
  });
});

describe('TorchServe API and handlers', () => {
  it('/ping and /predictions with the default handler (one sample or a batch)', async () => {
    const ping = await fetch(`${base}/ping`);
    expect([ping.status, await ping.json()]).toEqual([200, { status: 'Healthy' }]);
    const one = rows(1, 8, 3);
    const r = await post('/predictions/mlp', one);
    expect(r.status).toBe(200);
    const got = (await r.json()) as number[];
    const want = mlpRef(one, 1);
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    const two = await (await post('/predictions/mlp', [one, one])).json();
    expect(two).toHaveLength(2);
    const ragged = await post('/predictions/mlp', [one, one.slice(1)]);
    expect([ragged.status, (await ragged.json()).error]).toEqual([400, expect.stringMatching(/ragged/)]);
    const put = await fetch(`${base}/predictions/mlp/2`, {
      method: 'PUT',
      body: JSON.stringify(one),
      headers: { 'content-type': 'application/json' },
    });
    expect([put.status, ((await put.json()) as number[]).length]).toEqual([200, 4]); // curl -T, as TorchServe
    expect((await post('/explanations/mlp', one)).status).toBe(501);
    const bytes = await post('/predictions/mlp', Buffer.from(Float32Array.from(one).buffer), {
      'content-type': 'application/octet-stream',
    });
    expect((await bytes.json())[0]).toHaveLength(4);
  });

  it('a handler module: preprocess, inference, postprocess; a failing handler is a 500 for that request only', async () => {
    const ts = await post('/predictions/embed', [[1, 2, 3]]); // a TypeScript handler, through tsx
    expect([ts.status, await ts.json()]).toEqual([200, { shape: [1, 3, 4] }]);
    const r = await post('/predictions/pair', { a: [1, 2, 3], b: [1, 1, 1] });
    expect([r.status, await r.json()]).toEqual([200, { sum: [2, 3, 4], label: 'pairs' }]);
    const pre = await post('/predictions/pair', { a: [1, 2, 3], b: [1, 1, 1], fail: 'pre' });
    expect([pre.status, (await pre.json()).error]).toEqual([
      500,
      expect.stringMatching(/failed in preprocess: bad payload/),
    ]);
    const postFail = await post('/predictions/pair', { a: [1, 2, 3], b: [1, 1, 1], fail: 'post' });
    expect([postFail.status, (await postFail.json()).error]).toEqual([
      500,
      expect.stringMatching(/postprocess exploded/),
    ]);
    const shape = await post('/predictions/pair', { a: [1, 2], b: [1, 1] });
    expect([shape.status, (await shape.json()).error]).toEqual([
      400,
      expect.stringMatching(/dim 1 is 2, the model takes 3/),
    ]);
    expect((await post('/predictions/pair', { a: [1, 2, 3], b: [1, 1, 1] })).status).toBe(200);
  });
});

describe('management API and metrics', () => {
  it('lists, describes and updates models; reports unknown ones; checks the token', async () => {
    const list = await (await fetch(`${mg}/models`)).json();
    expect(list.models.map((m: { name: string }) => m.name)).toEqual([
      'all',
      'embed',
      'gather',
      'mlp',
      'pair',
      'sleepy',
      'slow',
    ]);
    const one = await (await fetch(`${mg}/models/mlp`)).json();
    expect(one).toMatchObject({ name: 'mlp', state: 'READY', versions: [{ version: 2, platform: 'tensorkit_graph' }] });
    const put = await fetch(`${mg}/models/mlp`, {
      method: 'PUT',
      body: JSON.stringify({ maxQueueDelayMs: 1, instanceCount: 2 }),
    });
    expect((await put.json()).settings).toMatchObject({ maxQueueDelayMs: 1, instanceCount: 2 });
    const bad = await fetch(`${mg}/models/mlp`, { method: 'PUT', body: JSON.stringify({ handler: 'x.js' }) });
    expect([bad.status, (await bad.json()).error]).toEqual([400, expect.stringMatching(/unknown option 'handler'/)]);
    const code = await fetch(`${mg}/models/mlp/load`, {
      method: 'POST',
      body: JSON.stringify({ config: { handler: '/tmp/x.mjs' } }),
    });
    expect([code.status, (await code.json()).error]).toEqual([400, expect.stringMatching(/unknown option 'handler'/)]);
    expect((await fetch(`${mg}/models/nope`)).status).toBe(404);
    expect((await fetch(`${mg}/models/nope/load`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${mg}/models/..%2F..%2Fetc/load`, { method: 'POST' })).status).toBe(404);
    const idx = await (await fetch(`${mg}/v2/repository/index`, { method: 'POST' })).json();
    expect(idx).toContainEqual({ name: 'mlp', state: 'READY' });

    await expect(serve({ models: { m: mlp }, port: 0, management: { host: '0.0.0.0', port: 0 } })).rejects.toThrow(
      /needs a token/,
    );
    const s = await serve({ models: { m: mlp }, port: 0, management: { port: 0, token: 's3cret' } });
    try {
      expect((await fetch(`${s.managementUrl}/models`)).status).toBe(401);
      const ok = await fetch(`${s.managementUrl}/models`, { headers: { authorization: 'Bearer s3cret' } });
      expect(ok.status).toBe(200);
      expect((await fetch(`${s.url}/v2/models/m`)).status).toBe(200); // a Graph given directly
    } finally {
      await s.close();
    }
    expect(mlp.run([tensor(rows(1, 8), { shape: [1, 8] })])).toBeDefined(); // the server did not free a graph it was given
  });

  it('/metrics is Prometheus text with the request, latency, batch and process metrics', async () => {
    const r = await fetch(`${base}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await r.text();
    for (const name of [
      'tk_requests_total{model="mlp",status="200"}',
      'tk_requests_total{model="mlp",status="400"}',
      'tk_request_duration_seconds_bucket',
      'tk_queue_duration_seconds_bucket',
      'tk_inference_duration_seconds_bucket',
      'tk_batch_size_bucket',
      'tk_inflight_requests',
      'tk_model_load_seconds{model="mlp",version="2"}',
      'process_cpu_seconds_total',
      'tk_live_tensors',
      'tk_native_memory_bytes',
      'nodejs_eventloop_lag_p99_seconds',
    ])
      expect(text).toContain(name);
    expect(text).toContain('tk_requests_total{model="_unknown",status="404"}');
    // handlers' ctx.infer jobs are timed as v2 requests are ('gather' is only served through /predictions)
    expect(text).toMatch(/tk_queue_duration_seconds_count\{model="gather"\} [1-9]/);
  });

  const promtool = spawnSync('promtool', ['--version']).status === 0;
  it.skipIf(!promtool)(
    "/metrics passes promtool check metrics (skipped where Debian's prometheus package is not installed)",
    async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);
    },
  );
});

describe('the CLI', () => {
  it('--help documents every flag; arguments become serve options', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const flag of [
      '--model-repository',
      '--model NAME=FILE',
      '--host',
      '--port',
      '--management-host',
      '--management-port',
      '--management-token',
      '--no-management',
      '--body-limit',
      '--timeout-ms',
      '--threads',
      '--access-log',
      '--help',
    ])
      expect(r.stdout).toContain(flag);
    expect(
      serveOptions(['-m', 'models', '--port', '9000', '--access-log', 'none', '--model', 'a=x.tkg'], {}).options,
    ).toEqual({
      modelRepository: 'models',
      models: { a: 'x.tkg' },
      host: undefined,
      port: 9000,
      management: { host: undefined, port: undefined },
      bodyLimit: undefined,
      timeoutMs: undefined,
      accessLog: false,
    });
    expect(serveOptions([], { TENSORKIT_MANAGEMENT_TOKEN: 't' }).options.management).toMatchObject({ token: 't' });
    expect(() => serveOptions(['--port', 'eighty'])).toThrow(/--port must be a whole number/);
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--bogus'], {
      encoding: 'utf8',
    });
    expect([bad.status, bad.stderr]).toEqual([1, expect.stringMatching(/Unknown option '--bogus'/)]);
  });

  it('serves a repository, logs JSON lines, and on SIGTERM answers every in-flight request before it exits 0', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'serve', '-m', repo, '--port', '0', '--no-management', '--threads', '1'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '',
      err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    while (!/Inference API: +http:\/\/127\.0\.0\.1:(\d+)/.test(err)) {
      if (child.exitCode !== null) throw new Error(err);
      await new Promise((r) => setTimeout(r, 20));
    }
    const url = /Inference API: +(http:\/\/127\.0\.0\.1:\d+)/.exec(err)![1];
    expect(err).toMatch(/sleepy +READY/);
    const req = () =>
      fetch(`${url}/predictions/sleepy`, {
        method: 'POST',
        body: '[1]',
        headers: { 'content-type': 'application/json' },
      });
    expect((await req()).status).toBe(200);
    const pending = [req(), req()];
    const inflight = async () =>
      Number(
        /tk_inflight_requests\{model="sleepy"\} (\d+)/.exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? 0,
      );
    while ((await inflight()) < 2) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGTERM');
    const codes = (await Promise.all(pending)).map((r) => r.status);
    expect(codes).toEqual([200, 200]);
    expect(await exited).toBe(0);
    expect(err).toMatch(/SIGTERM: draining/);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.url === '/predictions/sleepy').map((l) => l.status)).toEqual([200, 200, 200]);
    expect(lines[0]).toMatchObject({
      method: expect.any(String),
      status: expect.any(Number),
      ms: expect.any(Number),
      time: expect.any(String),
    });
    await expect(req()).rejects.toThrow(); // nothing listens any more
  }, 60_000);
});

describe('serve() arguments and startup', () => {
  it('refuses bad options and sources as TensorErrors, and a model that fails to load fails the start', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /give a modelRepository folder or models/],
      [{ models: { a: 5 } }, /models\.a must be a graph file, a jit\.Graph or \{ graph, config \}/],
      [{ models: { a: { graph: 5 } } }, /models\.a\.graph must be a \.tkg or \.onnx path or a jit\.Graph/],
      [{ models: { a: { graph: mlp, handler: { preprocess: 1 } } } }, /'preprocess' must be a function, got 1/],
      [{ models: { a: { graph: mlp, config: { maxBatchSize: -1 } } } }, /maxBatchSize must be in 0\.\.1048576/],
      [{ models: { a: mlp }, port: 70000 }, /port must be in 0\.\.65535/],
      [{ modelRepository: join(repo, 'nope') }, /is not a folder/],
      [{ models: { a: join(repo, 'missing.tkg') } }, /model 'a' failed to load/],
    ];
    for (const [opts, msg] of cases) {
      const e = await serve(opts as never).then(
        (s) => s.close().then(() => null),
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(TensorError);
      expect((e as Error).message).toMatch(msg);
    }
    const bad = mkdtempSync(join(tmpdir(), 'tk-serve-bad-'));
    addModel(bad, 'ok', mlp);
    addModel(bad, 'mismatch', mlp, { inputs: [{ datatype: 'INT64' }] });
    await expect(serve({ modelRepository: bad, port: 0, management: false })).rejects.toThrow(
      /model 'mismatch' failed to load: .*the config says INT64, the graph has FP32/,
    );
    rmSync(bad, { recursive: true, force: true });
  });
});

describe('examples/serve-shapes.ts', () => {
  it('trains, serves through a repository with a handler, and answers as the model in process', async () => {
    const { main } = await import('../examples/serve-shapes.js');
    const r = await main({ epochs: 2, log: () => undefined });
    expect(r.accuracy).toBe(r.localAccuracy);
    expect(r.accuracy).toBeGreaterThan(0.6);
    expect(r.label).toBe(r.rawLabel);
    expect(r.batches).toBeLessThan(66); // concurrent requests shared runs
  }, 60_000);
});

const infer2 = (url: string, inputs: unknown[]) =>
  fetch(`${url}/v2/models/mlp/infer`, { method: 'POST', body: JSON.stringify({ inputs }) }).then((r) =>
    r.arrayBuffer(),
  );

/** Lets the GC collect what earlier tests dropped (the finalizer sweep frees their tensors). */
async function settled() {
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setTimeout(r, 20));
  }
  return memory();
}

describe('memory', () => {
  it('a server frees what it loaded and what requests made', async () => {
    const before = await settled();
    const s = await serve({ modelRepository: repo, port: 0, management: false });
    // 1,000 requests, 50 at a time (so batched), one in ten refused
    for (let i = 0; i < 20; i++)
      await Promise.all(
        Array.from({ length: 50 }, (_, k) =>
          infer2(
            s.url,
            k % 10 === 0 ? [fp32('input0', [2, 7], rows(2, 7))] : [fp32('input0', [2, 8], rows(2, 8, i + k))],
          ),
        ),
      );
    await s.close();
    const after = await settled();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
  });
});
