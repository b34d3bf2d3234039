// A served model's settings: what config.json in a model folder holds, what the management API's
// PUT takes, and their checks. Names follow Triton's model configuration where one exists
// (max_batch_size, dynamic_batching.max_queue_delay, preferred_batch_size, instance_group.count).
import { fail } from '../errors.js';
import { checkOptions, describe } from '../options.js';

/** One input or output as the config names it: shape dims of -1 are dynamic. */
export interface TensorConfig {
  /** The name clients use (renames the graph's input or output at the same position). */
  name?: string;
  /** KServe v2 datatype ('FP32', 'INT64', …) or a tensorkit dtype ('float32', …). */
  datatype?: string;
  /** The full shape, batch dim included; -1 for a dynamic dim. */
  shape?: number[];
}

/**
 * A model's serving settings (`config.json` beside its version folders). Every field is optional.
 *
 * @example
 * { "maxBatchSize": 64, "maxQueueDelayMs": 1, "instanceCount": 1, "timeoutMs": 5000 }
 */
export interface ModelConfig {
  /** The name it is served under (default: the folder name). */
  name?: string;
  /** The most rows one request or one batch may hold; 0 when the graph has no batch axis. Default 64 (0 without a batch axis). */
  maxBatchSize?: number;
  /** Whether queued requests are concatenated into one run (default true where maxBatchSize > 0). */
  dynamicBatching?: boolean;
  /** How long the oldest queued request may wait for a fuller batch (default 0: run what is there). */
  maxQueueDelayMs?: number;
  /** Batch sizes to prefer when more requests could wait (Triton's preferred_batch_size). */
  preferredBatchSizes?: number[];
  /** How many runs of the model may execute at once (default 1). */
  instanceCount?: number;
  /** The core threads each run uses (default: the process's setting, `setNumThreads`). */
  threads?: number;
  /** Requests that may wait in the queue before new ones get 503 (default 1024). */
  maxQueueSize?: number;
  /** Time from arrival to answer before a request gets 504 (default: the server's, 30,000 ms). */
  timeoutMs?: number;
  /** Which versions to serve: 'latest' (default), 'all', or a list of numbers. */
  versionPolicy?: 'latest' | 'all' | number[];
  /** The graph file in each version folder (default: the one *.tkg or *.onnx file there). */
  graphFile?: string;
  /** A handler module (.js, .mjs or .ts, relative to the model folder) for /predictions. */
  handler?: string;
  /** Run one request of zeros after loading, so weights are packed before traffic (default true). */
  warmup?: boolean;
  /** Inputs by position: names, datatypes and shapes, checked against the graph's. */
  inputs?: TensorConfig[];
  /** Outputs by position, as inputs. */
  outputs?: TensorConfig[];
  /** Free-form values handed to the handler (e.g. class names). */
  parameters?: Record<string, unknown>;
  /**
   * Drift monitoring of the model's first input: `reference` names a JSON file of rows (an array
   * of arrays of numbers) in the model's folder; the rest are `monitor.DriftMonitor`'s options
   * (window, every, mode, detectors, mmd, webhook).
   */
  monitor?: { reference: string; [option: string]: unknown };
}

/** The settings the management API may change on a loaded model. */
export const LIVE_KEYS = [
  'maxBatchSize',
  'dynamicBatching',
  'maxQueueDelayMs',
  'preferredBatchSizes',
  'instanceCount',
  'threads',
  'maxQueueSize',
  'timeoutMs',
] as const;

/**
 * What the management API's load may override: not the handler or graph file (a request must not
 * choose which code or file the server loads), nor the name.
 */
export const LOAD_KEYS = [...LIVE_KEYS, 'versionPolicy', 'warmup', 'inputs', 'outputs', 'parameters'] as const;

const SPEC = {
  name: 'string',
  maxBatchSize: 'integer',
  dynamicBatching: 'boolean',
  maxQueueDelayMs: 'number',
  preferredBatchSizes: 'any',
  instanceCount: 'integer',
  threads: 'integer',
  maxQueueSize: 'integer',
  timeoutMs: 'number',
  versionPolicy: 'any',
  graphFile: 'string',
  handler: 'string',
  warmup: 'boolean',
  inputs: 'any',
  outputs: 'any',
  parameters: 'any',
  monitor: 'any',
} as const;

function range(op: string, key: string, v: number | undefined, lo: number, hi: number): void {
  if (v !== undefined && !(v >= lo && v <= hi))
    fail('INVALID_ARGUMENT', `${op}: ${key} must be in ${lo}..${hi}, got ${v}`);
}

/**
 * Checks a config object (from a file, the API or the management API); `op` names the source in
 * messages. Returns it unchanged.
 */
export function checkConfig(op: string, c: unknown, only?: readonly string[]): ModelConfig {
  const spec = only ? Object.fromEntries(Object.entries(SPEC).filter(([k]) => only.includes(k))) : SPEC;
  const cfg = checkOptions(op, c as ModelConfig, spec as Record<string, 'any'>);
  range(op, 'maxBatchSize', cfg.maxBatchSize, 0, 1 << 20);
  range(op, 'maxQueueDelayMs', cfg.maxQueueDelayMs, 0, 60_000);
  range(op, 'instanceCount', cfg.instanceCount, 1, 64);
  range(op, 'threads', cfg.threads, 1, 1024);
  range(op, 'maxQueueSize', cfg.maxQueueSize, 1, 1 << 24);
  range(op, 'timeoutMs', cfg.timeoutMs, 1, 24 * 3600_000);
  if (cfg.name !== undefined && !/^[A-Za-z0-9_.-]{1,128}$/.test(cfg.name))
    fail('INVALID_ARGUMENT', `${op}: name must be 1-128 letters, digits, '_', '.' or '-', got ${describe(cfg.name)}`);
  const p = cfg.preferredBatchSizes;
  if (p !== undefined && (!Array.isArray(p) || p.length > 64 || !p.every((x) => Number.isSafeInteger(x) && x >= 1)))
    fail('INVALID_ARGUMENT', `${op}: preferredBatchSizes must be a list of positive integers, got ${describe(p)}`);
  const v = cfg.versionPolicy;
  if (
    v !== undefined &&
    v !== 'latest' &&
    v !== 'all' &&
    !(Array.isArray(v) && v.length <= 1024 && v.every((x) => Number.isSafeInteger(x) && x >= 1))
  )
    fail('INVALID_ARGUMENT', `${op}: versionPolicy must be 'latest', 'all' or a list of versions, got ${describe(v)}`);
  for (const key of ['inputs', 'outputs'] as const) {
    const list = cfg[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length > 1024)
      fail('INVALID_ARGUMENT', `${op}: ${key} must be a list, got ${describe(list)}`);
    list.forEach((t, i) => {
      checkOptions(`${op}: ${key}[${i}]`, t, { name: 'string', datatype: 'string', shape: 'any' });
      if (
        t.shape !== undefined &&
        (!Array.isArray(t.shape) || t.shape.length > 64 || !t.shape.every((d) => Number.isSafeInteger(d) && d >= -1))
      )
        fail(
          'INVALID_ARGUMENT',
          `${op}: ${key}[${i}].shape must be a list of sizes (-1 for dynamic), got ${describe(t.shape)}`,
        );
    });
  }
  const mon = cfg.monitor;
  if (
    mon !== undefined &&
    (mon === null ||
      typeof mon !== 'object' ||
      typeof mon.reference !== 'string' ||
      !/^[A-Za-z0-9_.-]{1,128}$/.test(mon.reference) ||
      mon.reference.startsWith('.'))
  )
    fail(
      'INVALID_ARGUMENT',
      `${op}: monitor must be { reference: '<file in the model folder>.json', ...options }, got ${describe(mon)}`,
    );
  const params = cfg.parameters;
  if (params !== undefined && (params === null || typeof params !== 'object' || Array.isArray(params)))
    fail('INVALID_ARGUMENT', `${op}: parameters must be an object, got ${describe(params)}`);
  if (
    cfg.graphFile !== undefined &&
    (cfg.graphFile.includes('/') || cfg.graphFile.includes('\\') || cfg.graphFile.startsWith('.'))
  )
    fail(
      'INVALID_ARGUMENT',
      `${op}: graphFile must be a file name inside the version folder, got ${describe(cfg.graphFile)}`,
    );
  return cfg;
}
