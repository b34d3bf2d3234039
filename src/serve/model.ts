// One loaded version of a served model: its graph, signature, settings, batcher and handler, and
// a count of the requests that hold it, so an unload or reload waits for every accepted request
// before the graph is freed.
import { resolve as resolvePath } from 'node:path';

import { binding } from '../binding.js';
import { fail } from '../errors.js';
import { Graph, load as loadGraph } from '../jit/graph.js';
import { load as loadOnnx } from '../onnx/import.js';
import { zeros } from '../ops/creation.js';
import type * as TK from '../index.js';
import { Tensor } from '../tensor.js';
import { Batcher, type BatcherSettings, type JobResult } from './batcher.js';
import type { ModelConfig } from './config.js';
import { badRequest } from './errors.js';
import { defaultHandler, loadHandler, type HandlerContext, type ServeHandler } from './handler.js';
import { checkInputs, signatureOf, V2_DATATYPE, type Signature } from './signature.js';
import { disposeAll, tensorOf, type OutputValues, type Values } from './values.js';

/** Where a model version comes from: a graph (file path or loaded `jit.Graph`) and its settings. */
export interface ModelSource {
  /** A `.tkg` (jit graph) or `.onnx` file, or a loaded Graph (which the server does not free). */
  graph: string | Graph;
  config?: ModelConfig;
  /** A handler for /predictions: an object of hooks, or a module path. */
  handler?: ServeHandler | string;
  /** The version number (default 1). */
  version?: number;
}

/** What the server observes of every model (its metrics). */
export interface ModelHooks {
  /** Once per run of the batcher, with its rows. */
  onBatch?(model: string, rows: number): void;
  /** Once per answered job (a v2 request or a handler's `ctx.infer`), with where its time went. */
  onJob?(model: string, queueMs: number, inferMs: number): void;
  /** Once per answered job, with its inputs (values and shapes, in signature order) and outputs. */
  onInfer?(model: string, inputs: Values[], shapes: number[][], outputs: OutputValues[]): void;
}

/** Settings every model starts from where its config is silent. */
export interface ModelDefaults {
  timeoutMs: number;
}

/** The settings as resolved for one version. */
export type ResolvedSettings = BatcherSettings & { timeoutMs: number; threads?: number };

export class ModelVersion {
  readonly batcher: Batcher;
  readonly settings: ResolvedSettings;
  readonly handler: ServeHandler;
  readonly context: HandlerContext;
  loadSeconds = 0;
  private holders = 0;
  private idle: (() => void)[] = [];

  private constructor(
    readonly name: string,
    readonly version: number,
    readonly graph: Graph,
    private readonly ownsGraph: boolean,
    readonly platform: string,
    readonly config: ModelConfig,
    readonly signature: Signature,
    defaults: ModelDefaults,
    handler: ServeHandler | undefined,
    tk: typeof TK,
    private readonly hooks: ModelHooks,
  ) {
    const c = config;
    const maxBatchSize = c.maxBatchSize ?? (signature.batched ? 64 : 0);
    if (maxBatchSize > 0 && !signature.batched)
      fail(
        'INVALID_ARGUMENT',
        `serve: model '${name}' has maxBatchSize ${maxBatchSize} but no batch axis (dim 0 of every input and output dynamic, with one name: trace with dynamicAxes)`,
      );
    this.settings = {
      maxBatchSize,
      dynamicBatching: c.dynamicBatching ?? true,
      maxQueueDelayMs: c.maxQueueDelayMs ?? 0,
      preferredBatchSizes: c.preferredBatchSizes ?? [],
      instanceCount: c.instanceCount ?? 1,
      maxQueueSize: c.maxQueueSize ?? 1024,
      timeoutMs: c.timeoutMs ?? defaults.timeoutMs,
      threads: c.threads,
    };
    this.batcher = new Batcher(
      (xs) => this.run(xs),
      this.settings,
      signature.batched,
      signature.inputs.map((s) => s.dtype),
      name,
      (rows) => hooks.onBatch?.(name, rows),
    );
    this.handler = { ...defaultHandler, ...handler }; // a hook the module leaves out is the default one
    this.context = {
      model: name,
      version,
      config,
      signature,
      parameters: (config.parameters ?? {}) as Record<string, unknown>,
      tk,
      infer: (inputs) => this.inferTensors(inputs),
    };
  }

  /**
   * Loads a version: the graph (an IO_ERROR for a bad file), its signature under the config, the
   * handler; then one warm-up run of zeros, so the first request does not pay for weight packing.
   */
  static async load(
    name: string,
    source: ModelSource,
    defaults: ModelDefaults,
    dir: string | undefined,
    hooks: ModelHooks = {},
  ): Promise<ModelVersion> {
    const t0 = performance.now();
    const config = source.config ?? {};
    const own = typeof source.graph === 'string';
    const path = source.graph as string;
    const graph = own ? (path.endsWith('.onnx') ? loadOnnx(path) : loadGraph(path)) : (source.graph as Graph);
    try {
      const sig = signatureOf(`serve: model '${name}'`, graph, config);
      const h = source.handler ?? config.handler;
      const handler = typeof h === 'string' ? await loadHandler(resolvePath(dir ?? '.', h)) : h;
      const platform = own && path.endsWith('.onnx') ? 'onnx' : 'tensorkit_graph';
      const tk = await import('../index.js'); // the server's own module, for handlers (index imports serve)
      const v = new ModelVersion(
        name,
        source.version ?? 1,
        graph,
        own,
        platform,
        config,
        sig,
        defaults,
        handler,
        tk,
        hooks,
      );
      if (config.warmup !== false) await v.warmup();
      await v.handler.initialize?.(v.context);
      v.loadSeconds = (performance.now() - t0) / 1000;
      return v;
    } catch (e) {
      if (own) graph.dispose();
      throw e;
    }
  }

  private async warmup(): Promise<void> {
    const inputs = this.signature.inputs.map((s) =>
      zeros(
        s.shape.map((d) => (typeof d === 'number' ? d : 1)),
        { dtype: s.dtype },
      ),
    );
    disposeAll(await this.run(inputs));
    disposeAll(inputs);
  }

  /** One run of the graph off the event loop, with the version's thread count; outputs in signature order. */
  private async run(inputs: Tensor[]): Promise<Tensor[]> {
    const prev = binding.getNumThreads();
    let p: Promise<unknown>;
    if (this.settings.threads) binding.setNumThreads(this.settings.threads);
    try {
      p = this.graph.runAsync(inputs);
    } finally {
      if (this.settings.threads) binding.setNumThreads(prev);
    }
    return leaves(this.graph.template, await p);
  }

  /** Queues checked inputs (values and shapes in signature order) for the batcher. */
  async infer(inputs: Values[], shapes: number[][], rows: number): Promise<JobResult> {
    const r = await this.batcher.submit(inputs, shapes, rows, this.settings.timeoutMs);
    this.hooks.onJob?.(this.name, r.queueMs, r.inferMs);
    this.hooks.onInfer?.(this.name, inputs, shapes, r.outputs);
    return r;
  }

  private async inferTensors(inputs: Tensor | Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const sig = this.signature;
    let list: { name: string; tensor: Tensor }[];
    if (inputs instanceof Tensor) {
      if (sig.inputs.length !== 1) {
        inputs.dispose();
        badRequest(`model '${this.name}' has ${sig.inputs.length} inputs; pass them by name`);
      }
      list = [{ name: sig.inputs[0].name, tensor: inputs }];
    } else list = Object.entries(inputs).map(([name, tensor]) => ({ name, tensor }));
    let checked: ReturnType<typeof checkInputs>;
    let values: Values[];
    try {
      for (const { name, tensor } of list)
        if (!(tensor instanceof Tensor)) badRequest(`input '${name}' must be a Tensor`);
      checked = checkInputs(
        sig,
        this.settings.maxBatchSize,
        list.map(({ name, tensor: t }) => ({
          name,
          datatype: V2_DATATYPE[t.dtype],
          shape: t.shape.slice(),
          tensor: t,
        })),
      );
      values = checked.ordered.map((w) => w.tensor!.data() as Values);
    } finally {
      for (const { tensor } of list) if (tensor instanceof Tensor) tensor.dispose();
    }
    const r = await this.infer(
      values,
      checked.ordered.map((w) => w.shape),
      checked.rows,
    );
    return Object.fromEntries(
      sig.outputs.map((s, i) => [s.name, tensorOf(r.outputs[i].values, r.outputs[i].shape, s.dtype)]),
    );
  }

  /** Marks a request as holding this version (the graph stays until every holder releases). */
  acquire(): void {
    this.holders++;
  }
  release(): void {
    if (--this.holders === 0) for (const r of this.idle.splice(0)) r();
  }
  /** Requests holding this version now. */
  get inflight(): number {
    return this.holders;
  }

  /** Waits for every accepted request to be answered, then frees the graph (when the server loaded it). */
  async retire(): Promise<void> {
    if (this.holders > 0) await new Promise<void>((r) => this.idle.push(r));
    await this.batcher.drain();
    if (this.ownsGraph) this.graph.dispose();
  }
}

/** The graph's result as a list in output order (the template's leaf numbers index it). */
function leaves(template: Graph['template'], result: unknown): Tensor[] {
  if (result instanceof Tensor) return [result];
  const out: Tensor[] = [];
  const walk = (t: Graph['template'], r: unknown) => {
    if (t === null) return;
    if (typeof t === 'number') out[t] = r as Tensor;
    else if (Array.isArray(t)) t.forEach((x, i) => walk(x, (r as unknown[])[i]));
    else for (const [k, x] of Object.entries(t)) walk(x, (r as Record<string, unknown>)[k]);
  };
  walk(template, result);
  return out;
}
