// The HTTP server (fastify): KServe v2 inference and health routes, TorchServe's /ping and
// /predictions, Prometheus /metrics, and a management API on its own port. Inference never runs on
// the event loop: a request is parsed and checked here, then queued for its model's batcher, which
// runs graphs as Node-API async work. Every accepted request is answered exactly once: routes are
// async functions whose one result or one error becomes the response.
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import type { Writable } from 'node:stream';

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { fail, TensorError } from '../errors.js';
import { Graph } from '../jit/graph.js';
import type { Table } from '../monitor/drift.js';
import { DriftMonitor, type DriftMonitorOptions } from '../monitor/online.js';
import { checkOptions, describe } from '../options.js';
import { encodeOutput, parseInfer, rawInput, toValues, type InferRequest } from './codec.js';
import { checkConfig, LIVE_KEYS, LOAD_KEYS, type ModelConfig } from './config.js';
import { badRequest, HttpError } from './errors.js';
import { checkHandler, type HandlerRequest } from './handler.js';
import { ServerMetrics } from './metrics.js';
import type { ModelSource, ModelVersion } from './model.js';
import { ModelRegistry, type ModelEntry } from './repository.js';
import { checkInputs, v2Shape } from './signature.js';
import { disposeAll, type Values } from './values.js';

/** Settings of `serve`. */
export interface ServeOptions {
  /** A folder of models: one subfolder per model, numbered version folders in it. */
  modelRepository?: string;
  /** Models given directly, by name: a graph file path, a loaded `jit.Graph`, or a source with its config. */
  models?: Record<string, string | Graph | ModelSource>;
  /** The address the inference API listens on (default '127.0.0.1'; '0.0.0.0' for every interface). */
  host?: string;
  /** Its port (default 8080; 0 picks a free one). */
  port?: number;
  /** The management API: `false` for none; by default on 127.0.0.1:8081. A token is required off loopback. */
  management?: false | { host?: string; port?: number; token?: string };
  /** The largest request body in bytes (default 64 MiB); a larger one gets 413. */
  bodyLimit?: number;
  /** Time a request may take before it gets 504, where its model's config does not say (default 30,000 ms). */
  timeoutMs?: number;
  /** JSON lines, one per request: false (default), 'stdout', 'stderr', a file path, or a writable stream. */
  accessLog?: false | 'stdout' | 'stderr' | string | Writable;
  /**
   * Drift monitors by model name: a `monitor.DriftMonitor`, or its options with the `reference`
   * table. Every answered request's first input (rows flattened to the reference's width) and
   * first output feed it; `GET /v2/models/{m}/monitor` returns its latest report.
   */
  monitors?: Record<string, DriftMonitor | (DriftMonitorOptions & { reference: Table })>;
}

/** A model's state as the management API reports it. */
export interface ModelStatus {
  name: string;
  state: 'READY' | 'LOADING' | 'UNAVAILABLE';
  reason?: string;
  versions: {
    version: number;
    platform: string;
    loadSeconds: number;
    inflight: number;
    queued: number;
    running: number;
  }[];
  settings?: Record<string, unknown>;
}

/** A running server (what `serve` resolves to). */
export interface ModelServer {
  /** The inference API's base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** The management API's base URL, or null when it is off. */
  readonly managementUrl: string | null;
  /** Every model's state. */
  models(): ModelStatus[];
  /** Loads or reloads a model (from the repository, or the source it was given), with settings to override. */
  load(name: string, config?: ModelConfig): Promise<ModelStatus>;
  /** Stops serving a model once its accepted requests are answered. */
  unload(name: string): Promise<void>;
  /** The Prometheus text of /metrics. */
  metrics(): Promise<string>;
  /** Stops taking requests, answers every accepted one, frees the models, closes the ports. */
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
type Params = { m: string; v?: string };

function statusOf(e: ModelEntry): ModelStatus {
  return {
    name: e.name,
    state: e.state,
    ...(e.reason ? { reason: e.reason } : {}),
    versions: e.versions.map((v) => ({
      version: v.version,
      platform: v.platform,
      loadSeconds: v.loadSeconds,
      inflight: v.inflight,
      queued: v.batcher.queued,
      running: v.batcher.running,
    })),
    ...(e.versions[0] ? { settings: { ...e.versions[0].settings } } : {}),
  };
}

function logStream(a: ServeOptions['accessLog']): Writable | null {
  if (!a) return null;
  if (a === 'stdout') return process.stdout;
  if (a === 'stderr') return process.stderr;
  if (typeof a === 'string') return createWriteStream(a, { flags: 'a' });
  return a;
}

/** The error as one response: its status, headers and `{ error }` body. */
function sendError(err: unknown, reply: FastifyReply): FastifyReply {
  let status = 500;
  let headers: Record<string, string> = {};
  let message = (err as Error)?.message ?? String(err);
  if (err instanceof HttpError) ({ status, headers } = err);
  else if (!(err instanceof TensorError)) {
    const code = (err as { statusCode?: number; code?: string }).statusCode;
    if (typeof code === 'number' && code >= 400 && code < 500) status = code;
    if ((err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      message = 'the request body is over the size limit';
  }
  return reply.code(status).headers(headers).send({ error: message });
}

function versionOf(p: Params): number | undefined {
  if (p.v === undefined) return undefined;
  if (!/^[1-9]\d{0,8}$/.test(p.v)) throw new HttpError(400, `version must be a positive integer, got ${describe(p.v)}`);
  return Number(p.v);
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const got = Buffer.from(header ?? '');
  const want = Buffer.from(`Bearer ${token}`);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Rejects with a 504 when `p` does not settle within `ms`. */
function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HttpError(504, `${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * Starts a model server: KServe v2 (`/v2/...`) and TorchServe (`/ping`, `/predictions/{m}`)
 * inference APIs, `/metrics`, and a management API on its own port. Models come from a repository
 * folder, from files or from loaded graphs.
 *
 * @example
 * const server = await serve({ models: { mlp: 'mlp.tkg' }, port: 0 });
 * const r = await fetch(`${server.url}/v2/models/mlp/infer`, { method: 'POST', body: JSON.stringify({
 *   inputs: [{ name: 'input0', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] }) });
 * await server.close();
 */
export async function serve(options: ServeOptions = {}): Promise<ModelServer> {
  const o = checkOptions('serve', options, {
    modelRepository: 'string',
    models: 'any',
    host: 'string',
    port: 'integer',
    management: 'any',
    bodyLimit: 'integer',
    timeoutMs: 'number',
    accessLog: 'any',
    monitors: 'any',
  });
  const monitors = new Map<string, DriftMonitor>();
  if (o.monitors !== undefined) {
    if (o.monitors === null || typeof o.monitors !== 'object')
      fail(
        'INVALID_ARGUMENT',
        `serve: monitors must be an object of monitors by model name, got ${describe(o.monitors)}`,
      );
    for (const [name, m] of Object.entries(o.monitors)) {
      if (m instanceof DriftMonitor) monitors.set(name, m);
      else if (m && typeof m === 'object' && 'reference' in m) {
        const { reference, ...rest } = m;
        monitors.set(name, new DriftMonitor(reference, rest));
      } else
        fail(
          'INVALID_ARGUMENT',
          `serve: monitors.${name.slice(0, 64)} must be a DriftMonitor or { reference, ...options }, got ${describe(m)}`,
        );
    }
  }
  const mgmt =
    o.management === false
      ? null
      : checkOptions('serve: management', o.management ?? {}, { host: 'string', port: 'integer', token: 'string' });
  if (mgmt && !LOOPBACK.has(mgmt.host ?? '127.0.0.1') && !mgmt.token)
    fail(
      'INVALID_ARGUMENT',
      `serve: the management API on '${mgmt.host}' (not loopback) needs a token (management.token, or --management-token)`,
    );
  for (const [k, v] of [
    ['port', o.port],
    ['management.port', mgmt?.port],
  ] as const)
    if (v !== undefined && (v < 0 || v > 65535)) fail('INVALID_ARGUMENT', `serve: ${k} must be in 0..65535, got ${v}`);
  const bodyLimit = o.bodyLimit ?? 64 << 20;
  if (bodyLimit < 1) fail('INVALID_ARGUMENT', `serve: bodyLimit must be positive, got ${bodyLimit}`);
  const timeoutMs = o.timeoutMs ?? 30_000;
  if (!(timeoutMs >= 1)) fail('INVALID_ARGUMENT', `serve: timeoutMs must be at least 1, got ${timeoutMs}`);
  if (o.models !== undefined && (o.models === null || typeof o.models !== 'object'))
    fail('INVALID_ARGUMENT', `serve: models must be an object of sources by name, got ${describe(o.models)}`);
  const sources: Record<string, ModelSource> = {};
  for (const [name, s] of Object.entries(o.models ?? {})) {
    const src = (typeof s === 'string' || s instanceof Graph ? { graph: s } : s) as ModelSource;
    const where = `serve: models.${name.slice(0, 64)}`;
    if (!src || typeof src !== 'object')
      fail('INVALID_ARGUMENT', `${where} must be a graph file, a jit.Graph or { graph, config }, got ${describe(s)}`);
    checkOptions(where, src, { graph: 'any', config: 'any', handler: 'any', version: 'integer' });
    if (typeof src.graph !== 'string' && !(src.graph instanceof Graph))
      fail(
        'INVALID_ARGUMENT',
        `${where}.graph must be a .tkg or .onnx path or a jit.Graph, got ${describe(src.graph)}`,
      );
    if (src.handler !== undefined && typeof src.handler !== 'string')
      src.handler =
        src.handler && typeof src.handler === 'object'
          ? checkHandler(`${where}.handler`, src.handler as Record<string, unknown>, 'INVALID_ARGUMENT')
          : fail(
              'INVALID_ARGUMENT',
              `${where}.handler must be a module path or an object of hooks, got ${describe(src.handler)}`,
            );
    if (src.version !== undefined && src.version < 1)
      fail('INVALID_ARGUMENT', `${where}.version must be at least 1, got ${src.version}`);
    if (src.config !== undefined) checkConfig(`${where}.config`, src.config);
    sources[name] = src;
  }
  if (o.modelRepository === undefined && Object.keys(sources).length === 0)
    fail('INVALID_ARGUMENT', 'serve: give a modelRepository folder or models');

  const [{ default: fastify }, prom] = await Promise.all([import('fastify'), import('prom-client')]);
  const log = logStream(o.accessLog);
  let closing = false;
  // eslint-disable-next-line prefer-const
  let metrics: ServerMetrics;
  const registry = new ModelRegistry(
    o.modelRepository,
    sources,
    { timeoutMs },
    {
      onLoad: (v) => metrics.loadSeconds.set({ model: v.name, version: String(v.version) }, v.loadSeconds),
      onBatch: (model, rows) => metrics.of(model).batchSize.observe(rows),
      onJob: (model, queueMs, inferMs) => {
        const m = metrics.of(model);
        m.queueSeconds.observe(queueMs / 1000);
        m.inferenceSeconds.observe(inferMs / 1000);
      },
      onInfer: (model, inputs, _shapes, outputs) => {
        const mon = monitors.get(model);
        if (mon) observe(model, mon, inputs[0], outputs[0]?.values);
      },
    },
  );
  // A monitor never fails a request: what it throws is counted, and serving goes on.
  const observe = (model: string, mon: DriftMonitor, x: Values | undefined, y: Values | undefined) => {
    try {
      const before = { ...mon.quality };
      const rep = mon.observe((x ?? []) as ArrayLike<number>, y as ArrayLike<number> | undefined);
      for (const issue of ['nan', 'inf', 'outOfRange', 'badWidth'] as const) {
        const d = mon.quality[issue] - before[issue];
        if (d > 0) metrics.dataQuality.inc({ model, issue }, d);
      }
      if (rep) {
        metrics.driftDetected.set({ model }, rep.isDrift ? 1 : 0);
        for (const f of rep.features.perFeature)
          metrics.driftScore.set({ model, feature: f.feature, method: f.method }, f.statistic);
        if (rep.mmd) metrics.driftScore.set({ model, feature: '*', method: 'mmd' }, rep.mmd.statistic);
      }
    } catch {
      metrics.monitorErrors.inc({ model });
    }
  };
  metrics = new ServerMetrics(prom, () =>
    Object.fromEntries(registry.all.map((e) => [e.name, e.versions.reduce((a, v) => a + v.batcher.queued, 0)])),
  );
  await registry.loadAll();
  // Monitors a model's config.json asks for (serve's monitors option wins).
  for (const name of registry.index()) {
    if (monitors.has(name)) continue;
    const { config, dir } = registry.configOf(name);
    if (!config.monitor || !dir) continue;
    const { reference, ...rest } = config.monitor;
    const file = join(dir, reference);
    let rows: unknown;
    try {
      rows = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      await registry.close();
      fail(
        'IO_ERROR',
        `serve: model '${name}': the monitor's reference '${file}' is not a JSON file of rows: ${(e as Error).message}`,
      );
    }
    try {
      monitors.set(name, new DriftMonitor(rows as Table, rest as DriftMonitorOptions));
    } catch (e) {
      await registry.close();
      fail('INVALID_ARGUMENT', `serve: model '${name}': ${(e as Error).message}`);
    }
  }

  const app = fastify({ bodyLimit, logger: false, return503OnClosing: true, forceCloseConnections: 'idle' });
  const apps: FastifyInstance[] = [app];
  for (const a of [app]) {
    a.removeAllContentTypeParsers();
    a.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  }

  const lookup = (p: Params): ModelVersion => {
    const version = versionOf(p);
    const e = registry.entry(p.m);
    if (!e)
      throw new HttpError(
        404,
        `no model '${p.m.slice(0, 128)}'${registry.index().length ? '' : ' (no models are loaded)'}`,
      );
    if (e.state !== 'READY')
      throw new HttpError(503, `model '${p.m}' is ${e.state.toLowerCase()}${e.reason ? `: ${e.reason}` : ''}`);
    const v = registry.get(p.m, version);
    if (!v)
      throw new HttpError(
        404,
        `model '${p.m}' has no version ${version}; loaded: ${e.versions.map((x) => x.version).join(', ')}`,
      );
    return v;
  };

  // While draining, each answer closes its connection: a keep-alive socket that was busy when close()
  // began would otherwise hold the port open until its idle timeout.
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  app.setErrorHandler((err, _req, reply) => sendError(err, reply));
  app.setNotFoundHandler((req, reply) =>
    sendError(new HttpError(404, `no route ${req.method} ${req.url.slice(0, 200)}`), reply),
  );
  app.addHook('onResponse', (req, reply, done) => {
    const cfg = req.routeOptions.config as { infer?: boolean };
    const model = (req.params as Params | undefined)?.m;
    if (cfg?.infer) {
      const label = model !== undefined && registry.entry(model) ? model : '_unknown';
      const m = metrics.of(label);
      m.requests(reply.statusCode).inc();
      m.requestSeconds.observe(reply.elapsedTime / 1000);
    }
    if (log)
      log.write(
        `${JSON.stringify({
          time: new Date().toISOString(),
          id: req.id,
          remote: req.ip,
          method: req.method,
          url: req.url.slice(0, 512),
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 1000) / 1000,
          bytesIn: Number(req.headers['content-length'] ?? 0),
          ...(model !== undefined ? { model: model.slice(0, 128) } : {}),
        })}\n`,
      );
    done();
  });

  /** Holds a version for one request: its in-flight count and gauge, released exactly once. */
  const hold = async <T>(v: ModelVersion, fn: () => Promise<T>): Promise<T> => {
    const gauge = metrics.of(v.name).inflight;
    v.acquire();
    gauge.inc();
    try {
      return await fn();
    } finally {
      gauge.dec();
      v.release();
    }
  };

  // KServe v2: server and health
  app.get('/v2', async () => ({
    name: 'tensorkit',
    version: '0.1.0',
    extensions: ['binary_tensor_data', 'model_repository'],
  }));
  app.get('/v2/health/live', async () => ({ live: true }));
  app.get('/v2/health/ready', async (_req, reply) => {
    const ready = !closing && registry.ready;
    return reply.code(ready ? 200 : 400).send({ ready });
  });
  const metadata = async (req: FastifyRequest) => {
    const p = req.params as Params;
    const v = lookup(p);
    const e = registry.entry(p.m)!;
    const tensors = (list: ModelVersion['signature']['inputs']) =>
      list.map((s) => ({ name: s.name, datatype: s.datatype, shape: v2Shape(s.shape) }));
    return {
      name: v.name,
      versions: e.versions.map((x) => String(x.version)),
      platform: v.platform,
      inputs: tensors(v.signature.inputs),
      outputs: tensors(v.signature.outputs),
      ...(p.v !== undefined ? { version: String(v.version) } : {}),
    };
  };
  const ready = async (req: FastifyRequest, reply: FastifyReply) => {
    const p = req.params as Params;
    const version = versionOf(p);
    const e = registry.entry(p.m);
    if (!e) throw new HttpError(404, `no model '${p.m.slice(0, 128)}'`);
    const r = !closing && registry.get(p.m, version) !== undefined;
    return reply.code(r ? 200 : 400).send({ name: p.m, ready: r });
  };
  const infer = async (req: FastifyRequest, reply: FastifyReply) => {
    const v = lookup(req.params as Params);
    return hold(v, async () => {
      const sig = v.signature;
      const body = req.body as Buffer | undefined;
      const raw =
        String(req.headers['content-type'] ?? '').startsWith('application/octet-stream') &&
        !req.headers['inference-header-content-length'];
      if (raw && sig.inputs.length !== 1)
        badRequest(
          `a raw octet-stream body is one input; model '${v.name}' has ${sig.inputs.length}: use the binary tensor extension`,
        );
      const parsed: InferRequest = raw
        ? { inputs: [rawInput(body, sig.inputs[0])], binaryOutput: false }
        : parseInfer(body, req.headers);
      const { ordered, rows } = checkInputs(sig, v.settings.maxBatchSize, parsed.inputs);
      const wanted = (parsed.outputs ?? sig.outputs.map((s) => ({ name: s.name, binary: false }))).map((w) => {
        const idx = sig.outputs.findIndex((s) => s.name === w.name);
        if (idx < 0)
          badRequest(
            `unknown output '${w.name}'; the model's outputs are ${sig.outputs.map((s) => `'${s.name}'`).join(', ')}`,
          );
        return { idx, binary: w.binary || parsed.binaryOutput };
      });
      const values = ordered.map((w, i) => toValues(w, sig.inputs[i]));
      const r = await v.infer(
        values,
        ordered.map((w) => w.shape),
        rows,
      );
      const parts = wanted.map((w) => encodeOutput(sig.outputs[w.idx], r.outputs[w.idx], w.binary));
      const json = {
        model_name: v.name,
        model_version: String(v.version),
        ...(parsed.id !== undefined ? { id: parsed.id } : {}),
        outputs: parts.map((p) => p.json),
      };
      if (!parts.some((p) => p.bytes)) return reply.send(json);
      const head = Buffer.from(JSON.stringify(json));
      return reply
        .header('Inference-Header-Content-Length', String(head.length))
        .type('application/octet-stream')
        .send(Buffer.concat([head, ...parts.filter((p) => p.bytes).map((p) => p.bytes!)]));
    });
  };
  const explain = async (req: FastifyRequest) => {
    lookup(req.params as Params);
    throw new HttpError(
      501,
      'explain is not served: a served graph has no gradients; run the explain namespace on the model in code',
    );
  };
  app.get('/v2/models/:m/monitor', async (req) => {
    const { m } = req.params as Params;
    lookup(req.params as Params);
    const mon = monitors.get(m);
    if (!mon) throw new HttpError(404, `model '${m}' has no monitor (serve's monitors option)`);
    return { model_name: m, dataQuality: mon.quality, latest: mon.latest() };
  });
  for (const base of ['/v2/models/:m', '/v2/models/:m/versions/:v']) {
    app.get(base, metadata);
    app.get(`${base}/ready`, ready);
    app.post(`${base}/infer`, { config: { infer: true } }, infer);
    app.post(`${base}/explain`, explain);
  }

  // TorchServe
  app.get('/ping', async (_req, reply) => {
    const ok = !closing && registry.ready;
    return reply.code(ok ? 200 : 500).send({ status: ok ? 'Healthy' : 'Unhealthy' });
  });
  const predictions = async (req: FastifyRequest, reply: FastifyReply) => {
    const v = lookup(req.params as Params);
    const run = hold(v, async () => {
      const h = v.handler;
      const ctx = v.context;
      const contentType = String(req.headers['content-type'] ?? '');
      const body = (req.body as Buffer | undefined) ?? Buffer.alloc(0);
      const hr: HandlerRequest = { body, contentType, headers: req.headers };
      if (/json/i.test(contentType)) {
        try {
          hr.json = JSON.parse(body.toString('utf8'));
        } catch (e) {
          badRequest(`the body is not valid JSON: ${(e as Error).message}`);
        }
      }
      const stage = async <T>(name: string, f: () => T | Promise<T>): Promise<T> => {
        try {
          return await f();
        } catch (e) {
          if (e instanceof HttpError) throw e;
          if (name === 'preprocess' && e instanceof TensorError && e.code !== 'INTERNAL' && e.code !== 'OUT_OF_MEMORY')
            throw new HttpError(400, `model '${v.name}' preprocess: ${e.message}`);
          throw new HttpError(
            500,
            `model '${v.name}' handler failed in ${name}: ${(e as Error)?.message ?? String(e)}`,
          );
        }
      };
      const inputs = await stage('preprocess', () => h.preprocess!(hr, ctx));
      const outputs = await stage('inference', () => (h.inference ? h.inference(inputs, ctx) : ctx.infer(inputs)));
      try {
        return await stage('postprocess', () => (h.postprocess ? h.postprocess(outputs, hr, ctx) : outputs));
      } finally {
        disposeAll(outputs);
      }
    });
    const out = await withDeadline(run, v.settings.timeoutMs, `model '${v.name}'`);
    if (out instanceof Uint8Array)
      return reply.type('application/octet-stream').send(Buffer.from(out.buffer, out.byteOffset, out.byteLength));
    if (typeof out === 'string') return reply.type('text/plain; charset=utf-8').send(out);
    if (out === undefined) return reply.code(204).send();
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(out));
  };
  // TorchServe takes PUT too (`curl -T image.jpg .../predictions/m`); its explanations API waits, as ours
  for (const path of ['/predictions/:m', '/predictions/:m/:v']) {
    app.post(path, { config: { infer: true } }, predictions);
    app.put(path, { config: { infer: true } }, predictions);
    app.post(path.replace('predictions', 'explanations'), explain);
  }

  app.get('/metrics', async (_req, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  // Management
  let mg: FastifyInstance | null = null;
  if (mgmt) {
    const m = (mg = fastify({ bodyLimit: 1 << 20, logger: false, forceCloseConnections: 'idle' }));
    apps.push(m);
    m.removeAllContentTypeParsers();
    m.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
      if (body === '') return done(null, undefined);
      try {
        done(null, JSON.parse(body as string));
      } catch (e) {
        done(new HttpError(400, `the body is not valid JSON: ${(e as Error).message}`), undefined);
      }
    });
    m.setErrorHandler((err, _req, reply) => sendError(err, reply));
    m.setNotFoundHandler((req, reply) =>
      sendError(new HttpError(404, `no route ${req.method} ${req.url.slice(0, 200)}`), reply),
    );
    const token = mgmt.token;
    if (token)
      m.addHook('onRequest', async (req) => {
        if (!tokenMatches(req.headers.authorization, token))
          throw new HttpError(401, 'the management API needs Authorization: Bearer <token>');
      });
    const known = (name: string): ModelEntry => {
      const e = registry.entry(name);
      if (!e) throw new HttpError(404, `model '${name.slice(0, 128)}' is not loaded`);
      return e;
    };
    const asUserError = async <T>(f: () => Promise<T>): Promise<T> => {
      try {
        return await f();
      } catch (e) {
        if (e instanceof TensorError) throw new HttpError(/no model|not loaded/.test(e.message) ? 404 : 400, e.message);
        throw e;
      }
    };
    const load = (req: FastifyRequest) =>
      asUserError(async () => {
        const name = (req.params as Params).m;
        const body = req.body as { config?: unknown } | undefined;
        const cfg = body?.config !== undefined ? checkConfig(`load '${name}'`, body.config, LOAD_KEYS) : undefined;
        return statusOf(await registry.load(name, cfg));
      });
    const unload = (req: FastifyRequest) =>
      asUserError(async () => {
        const name = (req.params as Params).m;
        known(name);
        await registry.unload(name);
        return { name, state: 'UNLOADED' };
      });
    m.get('/models', async () => ({
      models: registry
        .index()
        .map((n) => (registry.entry(n) ? statusOf(registry.entry(n)!) : { name: n, state: 'UNLOADED', versions: [] })),
    }));
    m.get('/models/:m', async (req) => statusOf(known((req.params as Params).m)));
    m.post('/models/:m/load', load);
    m.post('/models/:m/unload', unload);
    m.put('/models/:m', async (req) =>
      asUserError(async () => {
        const name = (req.params as Params).m;
        known(name);
        const settings = checkConfig(`update '${name}'`, req.body ?? {}, LIVE_KEYS);
        const e = registry.update(name, settings);
        for (const v of e.versions) v.batcher.kick();
        return statusOf(e);
      }),
    );
    // Triton's model-repository extension
    m.post('/v2/repository/index', async () =>
      registry.index().map((n) => ({ name: n, state: registry.entry(n)?.state ?? 'UNAVAILABLE' })),
    );
    m.post('/v2/repository/models/:m/load', load);
    m.post('/v2/repository/models/:m/unload', unload);
  }

  const host = o.host ?? '127.0.0.1';
  try {
    await app.listen({ host, port: o.port ?? 8080 });
    if (mg) await mg.listen({ host: mgmt!.host ?? '127.0.0.1', port: mgmt!.port ?? 8081 });
  } catch (e) {
    await Promise.all(apps.map((a) => a.close()));
    await registry.close();
    fail('IO_ERROR', `serve: cannot listen: ${(e as Error).message}`);
  }
  const urlOf = (a: FastifyInstance, h: string) => {
    const addr = a.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const shown = h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h.includes(':') ? `[${h}]` : h;
    return `http://${shown}:${port}`;
  };
  let closed: Promise<void> | null = null;
  return {
    url: urlOf(app, host),
    managementUrl: mg ? urlOf(mg, mgmt!.host ?? '127.0.0.1') : null,
    models: () =>
      registry
        .index()
        .map((n) =>
          registry.entry(n) ? statusOf(registry.entry(n)!) : { name: n, state: 'UNAVAILABLE', versions: [] },
        ),
    load: async (name, config) =>
      statusOf(await registry.load(name, config === undefined ? undefined : checkConfig(`load '${name}'`, config))),
    unload: (name) => registry.unload(name),
    metrics: () => metrics.registry.metrics(),
    close: () =>
      (closed ??= (async () => {
        closing = true;
        await Promise.all(apps.map((a) => a.close())); // stops accepting; waits for the requests in flight
        await registry.close();
        if (log && log !== process.stdout && log !== process.stderr && typeof o.accessLog === 'string')
          await new Promise<void>((r) => log.end(r));
      })()),
  };
}
