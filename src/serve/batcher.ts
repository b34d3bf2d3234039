// The dynamic batcher, as Triton's: requests queue per model version; whenever an instance is free
// it takes the queued requests that fit in maxBatchSize (the same shape past the batch dim, in
// arrival order), copies their rows into one array per input, runs the graph once off the event
// loop, reads each output once, and hands each request its rows. maxQueueDelayMs lets the oldest
// request wait for a fuller batch; preferred sizes end that wait early. Each job is settled exactly
// once: by its result, its timeout (504) or the model's failure (500).
import type { DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { HttpError } from './errors.js';
import { disposeAll, readValues, rowsOf, tensorOf, valuesArray, type OutputValues, type Values } from './values.js';

/** The batcher's settings (a live copy: the management API changes them between batches). */
export interface BatcherSettings {
  maxBatchSize: number;
  dynamicBatching: boolean;
  maxQueueDelayMs: number;
  preferredBatchSizes: number[];
  instanceCount: number;
  maxQueueSize: number;
}

/** What a settled job gets: its rows of each output, and where its time went. */
export interface JobResult {
  outputs: OutputValues[];
  queueMs: number;
  inferMs: number;
}

interface Job {
  inputs: Values[];
  shapes: number[][];
  rows: number;
  key: string;
  enqueued: number;
  state: 'queued' | 'running' | 'done';
  timer?: NodeJS.Timeout;
  resolve: (r: JobResult) => void;
  reject: (e: unknown) => void;
}

export class Batcher {
  private queue: Job[] = [];
  private busy = 0;
  private waitTimer: NodeJS.Timeout | null = null;
  private idle: (() => void)[] = [];

  /**
   * @param run runs the model on inputs in signature order; resolves to outputs in signature order
   * @param settings read at every decision, so changes apply to the next batch
   * @param batched whether dim 0 of every input and output is the batch axis
   * @param dtypes the inputs' dtypes
   * @param onBatch called once per run with its row count
   */
  constructor(
    private readonly run: (inputs: Tensor[]) => Promise<Tensor[]>,
    readonly settings: BatcherSettings,
    private readonly batched: boolean,
    private readonly dtypes: readonly DType[],
    private readonly name: string,
    private readonly onBatch?: (rows: number) => void,
  ) {}

  /** Requests waiting for an instance. */
  get queued(): number {
    return this.queue.length;
  }
  /** Runs executing now. */
  get running(): number {
    return this.busy;
  }

  /**
   * Queues one request's inputs (values and shapes in signature order; `rows` is dim 0 where the
   * model is batched). Rejects with 503 when the queue is full and 504 when `timeoutMs` passes first.
   */
  submit(inputs: Values[], shapes: number[][], rows: number, timeoutMs: number): Promise<JobResult> {
    if (this.queue.length >= this.settings.maxQueueSize) {
      return Promise.reject(
        new HttpError(503, `model '${this.name}' has ${this.queue.length} requests queued, its limit; retry later`, {
          'Retry-After': '1',
        }),
      );
    }
    return new Promise<JobResult>((resolve, reject) => {
      const key = this.batched ? shapes.map((s) => s.slice(1).join(',')).join(';') : '';
      const job: Job = { inputs, shapes, rows, key, enqueued: performance.now(), state: 'queued', resolve, reject };
      job.timer = setTimeout(() => this.expire(job, timeoutMs), timeoutMs);
      this.queue.push(job);
      this.kick();
    });
  }

  /** Resolves once nothing is queued or running. */
  drain(): Promise<void> {
    if (this.queue.length === 0 && this.busy === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  private expire(job: Job, ms: number): void {
    if (job.state === 'done') return;
    const where = job.state === 'queued' ? 'waiting in the queue' : 'while the model ran';
    if (job.state === 'queued') this.queue.splice(this.queue.indexOf(job), 1);
    job.state = 'done';
    job.reject(new HttpError(504, `model '${this.name}' did not answer within ${ms} ms (timed out ${where})`));
    this.settle();
  }

  private settle(): void {
    if (this.queue.length === 0 && this.busy === 0) for (const r of this.idle.splice(0)) r();
  }

  /** Starts batches while instances are free (after a submit, a finished run, or a settings change). */
  kick(): void {
    while (this.busy < this.settings.instanceCount && this.queue.length > 0) {
      const batch = this.take();
      if (!batch) return;
      this.busy++;
      void this.exec(batch)
        .catch((e: unknown) => batch.forEach((j) => this.fail(j, e))) // never a job left unanswered
        .finally(() => {
          this.busy--;
          this.kick();
          this.settle();
        });
    }
  }

  /** The next batch, or null to wait (maxQueueDelayMs) for more requests. */
  private take(): Job[] | null {
    const s = this.settings;
    if (!this.batched || !s.dynamicBatching || s.maxBatchSize <= 1) return [this.queue.shift()!];
    const first = this.queue[0];
    const picked: Job[] = [];
    let total = 0;
    for (const j of this.queue) {
      // (the first always goes: it may hold more rows than a maxBatchSize lowered after it came)
      if (j !== first && (j.key !== first.key || total + j.rows > s.maxBatchSize)) continue;
      picked.push(j);
      total += j.rows;
      if (total >= s.maxBatchSize) break;
    }
    let n = picked.length;
    if (s.preferredBatchSizes.length > 0 && total < s.maxBatchSize) {
      // the longest prefix whose rows are a preferred size
      let sum = 0,
        best = 0;
      picked.forEach((j, i) => {
        sum += j.rows;
        if (s.preferredBatchSizes.includes(sum)) best = i + 1;
      });
      if (best > 0) n = best;
      else if (this.mustWait(first)) return null;
    } else if (total < s.maxBatchSize && this.mustWait(first)) return null;
    const chosen = new Set(picked.slice(0, n));
    this.queue = this.queue.filter((j) => !chosen.has(j));
    return picked.slice(0, n);
  }

  /** Whether the oldest job may still wait; if so, wakes the batcher when its delay ends. */
  private mustWait(first: Job): boolean {
    const left = this.settings.maxQueueDelayMs - (performance.now() - first.enqueued);
    if (left <= 0) return false;
    if (!this.waitTimer)
      this.waitTimer = setTimeout(() => {
        this.waitTimer = null;
        this.kick();
      }, Math.ceil(left));
    return true;
  }

  private fail(j: Job, e: unknown): void {
    if (j.state !== 'running') return;
    j.state = 'done';
    clearTimeout(j.timer);
    j.reject(new HttpError(500, `model '${this.name}' failed: ${(e as Error)?.message ?? String(e)}`));
  }

  /** Runs `batch` as one: its rows copied into one tensor per input; the outputs read once. */
  private async runBatch(batch: Job[]): Promise<OutputValues[]> {
    const rows = batch.reduce((a, j) => a + j.rows, 0);
    const inputs = this.dtypes.map((dtype, k) => {
      const first = batch[0];
      if (batch.length === 1) return tensorOf(first.inputs[k], first.shapes[k], dtype);
      const all = valuesArray(
        dtype,
        batch.reduce((a, j) => a + j.inputs[k].length, 0),
      );
      let at = 0;
      for (const j of batch) {
        (all as Float32Array).set(j.inputs[k] as Float32Array, at);
        at += j.inputs[k].length;
      }
      return tensorOf(all, [rows, ...first.shapes[k].slice(1)], dtype);
    });
    let outputs: Tensor[] = [];
    try {
      outputs = await this.run(inputs);
      if (batch.length > 1)
        for (const o of outputs)
          if (o.ndim === 0 || o.shape[0] !== rows)
            throw new Error(`an output of shape [${o.shape}] for a batch of ${rows} rows: the model is not batch-wise`);
      return outputs.map(readValues);
    } finally {
      disposeAll(inputs);
      disposeAll(new Set(outputs)); // a graph may return one tensor twice
    }
  }

  private resolve(j: Job, outputs: OutputValues[], start: number, inferMs: number): void {
    if (j.state !== 'running') return; // timed out while it ran
    j.state = 'done';
    clearTimeout(j.timer);
    j.resolve({ outputs, queueMs: start - j.enqueued, inferMs });
  }

  /** After a batch failed: each job runs by itself, so one bad request fails only itself. */
  private async alone(batch: Job[]): Promise<void> {
    for (const j of batch) {
      if (j.state !== 'running') continue;
      const start = performance.now();
      try {
        const outputs = await this.runBatch([j]);
        this.resolve(j, outputs, start, performance.now() - start);
      } catch (e) {
        this.fail(j, e);
      }
    }
  }

  private async exec(batch: Job[]): Promise<void> {
    const start = performance.now();
    for (const j of batch) j.state = 'running';
    const rows = batch.reduce((a, j) => a + j.rows, 0);
    let outputs: OutputValues[];
    try {
      outputs = await this.runBatch(batch);
    } catch (e) {
      if (batch.length > 1) await this.alone(batch);
      else this.fail(batch[0], e);
      return;
    }
    const inferMs = performance.now() - start;
    this.onBatch?.(rows);
    let offset = 0;
    for (const j of batch) {
      this.resolve(j, batch.length === 1 ? outputs : outputs.map((o) => rowsOf(o, offset, j.rows)), start, inferMs);
      offset += j.rows;
    }
  }
}
