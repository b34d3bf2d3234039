// The server's Prometheus metrics (prom-client, one registry per server so two servers in a process
// do not mix): requests by model and status, latency histograms for queue, inference and the whole
// request, the batch sizes the batcher formed, requests in flight, model load times, and
// prom-client's process and Node metrics (CPU, memory, event-loop delay).
import type * as Prom from 'prom-client';

import { memory } from '../memory.js';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

type Child<M extends { labels: (...a: never[]) => unknown }> = ReturnType<M['labels']>;

/** One model's metrics, with their labels bound once (prom-client hashes labels on every call otherwise). */
export interface ModelMetrics {
  requestSeconds: Child<Prom.Histogram<'model'>>;
  queueSeconds: Child<Prom.Histogram<'model'>>;
  inferenceSeconds: Child<Prom.Histogram<'model'>>;
  batchSize: Child<Prom.Histogram<'model'>>;
  inflight: Child<Prom.Gauge<'model'>>;
  requests(status: number): Child<Prom.Counter<'model' | 'status'>>;
}

export class ServerMetrics {
  private readonly models = new Map<string, ModelMetrics>();

  readonly registry: Prom.Registry;
  readonly requests: Prom.Counter<'model' | 'status'>;
  readonly requestSeconds: Prom.Histogram<'model'>;
  readonly queueSeconds: Prom.Histogram<'model'>;
  readonly inferenceSeconds: Prom.Histogram<'model'>;
  readonly batchSize: Prom.Histogram<'model'>;
  readonly inflight: Prom.Gauge<'model'>;
  readonly queued: Prom.Gauge<'model'>;
  readonly loadSeconds: Prom.Gauge<'model' | 'version'>;
  readonly driftScore: Prom.Gauge<'model' | 'feature' | 'method'>;
  readonly driftDetected: Prom.Gauge<'model'>;
  readonly dataQuality: Prom.Counter<'model' | 'issue'>;
  readonly monitorErrors: Prom.Counter<'model'>;

  constructor(prom: typeof Prom, queueDepth: () => Record<string, number>) {
    const registers = [(this.registry = new prom.Registry())];
    this.requests = new prom.Counter({
      name: 'tk_requests_total',
      help: 'Inference requests answered, by model and HTTP status',
      labelNames: ['model', 'status'],
      registers,
    });
    const hist = (name: string, help: string, buckets = LATENCY_BUCKETS) =>
      new prom.Histogram({ name, help, labelNames: ['model'], buckets, registers });
    this.requestSeconds = hist('tk_request_duration_seconds', 'Time from a request arriving to its answer');
    this.queueSeconds = hist('tk_queue_duration_seconds', 'Time a request waited for a model instance');
    this.inferenceSeconds = hist('tk_inference_duration_seconds', 'Time of the model run a request was part of');
    this.batchSize = hist('tk_batch_size', 'Rows in each batch the batcher ran', BATCH_BUCKETS);
    this.inflight = new prom.Gauge({
      name: 'tk_inflight_requests',
      help: 'Inference requests accepted and not yet answered',
      labelNames: ['model'],
      registers,
    });
    this.queued = new prom.Gauge({
      name: 'tk_queue_size',
      help: 'Requests waiting in the batcher queue',
      labelNames: ['model'],
      registers,
      collect() {
        this.reset();
        for (const [m, n] of Object.entries(queueDepth())) this.set({ model: m }, n);
      },
    });
    this.loadSeconds = new prom.Gauge({
      name: 'tk_model_load_seconds',
      help: 'Time the last load of a model version took (file, warm-up run, handler)',
      labelNames: ['model', 'version'],
      registers,
    });
    // drift monitoring (models with a monitor): the last window's per-feature scores and verdict
    this.driftScore = new prom.Gauge({
      name: 'tk_drift_score',
      help: "The last window's drift statistic per feature (p-value tests: the statistic; distances: the distance)",
      labelNames: ['model', 'feature', 'method'],
      registers,
    });
    this.driftDetected = new prom.Gauge({
      name: 'tk_drift_detected',
      help: 'Whether the last monitored window drifted (1) or not (0)',
      labelNames: ['model'],
      registers,
    });
    this.dataQuality = new prom.Counter({
      name: 'tk_data_quality_issues_total',
      help: 'Input values that were NaN, infinite or outside the reference range, and rows of the wrong width',
      labelNames: ['model', 'issue'],
      registers,
    });
    this.monitorErrors = new prom.Counter({
      name: 'tk_monitor_errors_total',
      help: 'Monitor evaluations that threw (the request was still answered)',
      labelNames: ['model'],
      registers,
    });
    // the core's own memory (tensors are native memory V8's heap metrics do not show)
    new prom.Gauge({
      name: 'tk_live_tensors',
      help: "Tensors alive in this process (the models' weights among them)",
      registers,
      collect() {
        this.set(memory().tensors);
      },
    });
    new prom.Gauge({
      name: 'tk_native_memory_bytes',
      help: 'Bytes held by live tensors (cached allocator blocks not included)',
      registers,
      collect() {
        this.set(memory().bytes);
      },
    });
    prom.collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 1 });
    // prom-client names these gauges *_total, which promtool rejects (the suffix is for counters);
    // nodejs_active_handles and nodejs_active_requests carry the same numbers by type.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
      this.registry.removeSingleMetric(name);
  }

  /** The metrics of `model` (bound once, then reused). */
  of(model: string): ModelMetrics {
    let m = this.models.get(model);
    if (!m) {
      const byStatus = new Map<number, Child<Prom.Counter<'model' | 'status'>>>();
      m = {
        requestSeconds: this.requestSeconds.labels(model),
        queueSeconds: this.queueSeconds.labels(model),
        inferenceSeconds: this.inferenceSeconds.labels(model),
        batchSize: this.batchSize.labels(model),
        inflight: this.inflight.labels(model),
        requests: (status) => {
          let c = byStatus.get(status);
          if (!c) byStatus.set(status, (c = this.requests.labels(model, String(status))));
          return c;
        },
      };
      this.models.set(model, m);
    }
    return m;
  }
}
