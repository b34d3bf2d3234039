// What LightningModule.log records: step values as they come, epoch values accumulated (weighted
// means, sums, extremes, or a Metric computed at the end), and the rows sent to the loggers.
import { fail } from '../errors.js';
import { Metric } from '../metrics/metric.js';
import { checkOptions, describe } from '../options.js';
import { Tensor } from '../tensor.js';
import type { Logger } from './loggers.js';
import { LOG_OPTIONS, type LogOptions } from './module.js';

/** Which loop is running. */
export type Stage = 'train' | 'validate' | 'test' | 'predict';

// One logged name's epoch accumulator.
interface Accum {
  reduce: 'mean' | 'sum' | 'max' | 'min';
  total: number;
  weight: number;
  /** A logged Metric: computed and reset at the epoch's end instead of averaged. */
  metric?: Metric<never>;
  progBar: boolean;
  logger: boolean;
}

/** @internal The Trainer's record of logged values. */
export class MetricLog {
  /** Latest value of everything logged (epoch values once an epoch ends). */
  callbackMetrics: Record<string, number> = {};
  /** What was last sent to the loggers. */
  loggedMetrics: Record<string, number> = {};
  /** What the progress bar shows. */
  progressBarMetrics: Record<string, number> = {};
  /** Epoch accumulators by name (the loops swap in a fresh map for a nested validation run). */
  accums = new Map<string, Accum>();
  /** Step values logged in the current batch, for the loggers. */
  stepLogged: Record<string, number> = {};

  /**
   * `reduce` (a distributed run's) combines epoch values over the processes; every process reaches
   * endEpoch at the same points, logging the same names.
   */
  constructor(
    private readonly loggers: readonly Logger[],
    private readonly reduce?: (
      values: Record<string, number>,
      op: 'mean' | 'sum' | 'max' | 'min',
    ) => Record<string, number>,
  ) {}

  /** LightningModule.log, during `stage`, for a batch of `batchSize` samples. */
  log(
    name: string,
    value: number | Tensor | Metric<never>,
    options: LogOptions,
    stage: Stage,
    batchSize: number,
  ): void {
    if (typeof name !== 'string' || name === '' || name === '__proto__')
      fail('INVALID_ARGUMENT', `log: the name must be a non-empty string (and not '__proto__'), got ${describe(name)}`);
    if (stage === 'predict') fail('INVALID_ARGUMENT', `log: '${name}' was logged in predictStep, which logs nothing`);
    const o = checkOptions('log', options, LOG_OPTIONS);
    const training = stage === 'train';
    const onStep = o.onStep ?? training,
      onEpoch = o.onEpoch ?? !training;
    const reduce = o.reduceFx ?? 'mean';
    if (!['mean', 'sum', 'max', 'min'].includes(reduce))
      fail('INVALID_ARGUMENT', `log: reduceFx must be 'mean', 'sum', 'max' or 'min', got ${describe(o.reduceFx)}`);
    let v: number | undefined;
    let metric: Metric<never> | undefined;
    if (value instanceof Metric) metric = value;
    else if (value instanceof Tensor) {
      if (value.numel() !== 1)
        fail('INVALID_ARGUMENT', `log: '${name}' must be a scalar, got a tensor of shape [${value.shape.join(', ')}]`);
      v = Number(value.item());
    } else if (typeof value === 'number') v = value;
    else
      fail(
        'INVALID_ARGUMENT',
        `log: '${name}' must be a number, a one-element Tensor or a Metric, got ${describe(value)}`,
      );
    if (metric && onStep) v = metric.lastForward;
    const bs = o.batchSize ?? batchSize;
    if (onStep && v !== undefined) {
      const key = onEpoch ? `${name}_step` : name;
      this.callbackMetrics[key] = v;
      if (o.progBar) this.progressBarMetrics[key] = v;
      if (o.logger ?? true) this.stepLogged[key] = v;
    }
    if (onEpoch) {
      let a = this.accums.get(name);
      if (!a) {
        a = {
          reduce,
          total: reduce === 'max' ? -Infinity : reduce === 'min' ? Infinity : 0,
          weight: 0,
          progBar: o.progBar ?? false,
          logger: o.logger ?? true,
          metric,
        };
        this.accums.set(name, a);
      }
      if (!metric && v !== undefined) {
        if (reduce === 'mean') {
          a.total += v * bs;
          a.weight += bs;
        } else if (reduce === 'sum') a.total += v;
        else a.total = reduce === 'max' ? Math.max(a.total, v) : Math.min(a.total, v);
      }
      a.metric = metric ?? a.metric;
    }
  }

  /** Sends values to the loggers as one row, at `step`, tagged with the epoch. */
  send(values: Record<string, number>, epoch: number, step: number): void {
    if (!Object.keys(values).length) return;
    const row = { ...values, epoch };
    this.loggedMetrics = { ...this.loggedMetrics, ...row };
    for (const l of this.loggers) l.logMetrics(row, step);
  }

  /** Epoch values of everything logged with onEpoch: into callbackMetrics, and the loggers unless `quiet`. */
  endEpoch(quiet: boolean, epoch: number, step: number): void {
    const values = new Map<string, number>();
    for (const [name, a] of this.accums) {
      if (a.metric) {
        // A Metric combines its own state over the processes in compute().
        if (a.metric.updateCount === 0) continue;
        const t = a.metric.compute();
        values.set(name, t.numel() === 1 ? Number(t.item()) : NaN);
        t.dispose();
        a.metric.reset();
      } else if (a.reduce === 'mean') values.set(name, a.weight ? a.total / a.weight : NaN);
      else values.set(name, a.total);
    }
    if (this.reduce) this.reduceAcrossProcesses(values);
    const out: Record<string, number> = {};
    for (const [name, a] of this.accums) {
      const v = values.get(name);
      if (v === undefined) continue;
      const stepKey = `${name}_step`;
      const key = stepKey in this.callbackMetrics ? `${name}_epoch` : name;
      this.callbackMetrics[name] = v;
      this.callbackMetrics[key] = v;
      if (a.progBar) this.progressBarMetrics[name] = v;
      if (a.logger) out[key] = v;
    }
    this.accums.clear();
    if (!quiet) this.send(out, epoch, step);
  }

  // Means are combined exactly, as sums of totals and of weights; sums, maxima and minima by their
  // own op. Metrics were combined already.
  private reduceAcrossProcesses(values: Map<string, number>): void {
    const groups: Record<'sum' | 'max' | 'min', Record<string, number>> = { sum: {}, max: {}, min: {} };
    for (const [name, a] of this.accums) {
      if (a.metric) continue;
      if (a.reduce === 'mean') {
        groups.sum[`${name}\u0000total`] = a.total;
        groups.sum[`${name}\u0000weight`] = a.weight;
      } else groups[a.reduce][name] = a.total;
    }
    const sum = this.reduce!(groups.sum, 'sum');
    const max = this.reduce!(groups.max, 'max');
    const min = this.reduce!(groups.min, 'min');
    for (const [name, a] of this.accums) {
      if (a.metric) continue;
      if (a.reduce === 'mean') {
        const w = sum[`${name}\u0000weight`];
        values.set(name, w ? sum[`${name}\u0000total`] / w : NaN);
      } else values.set(name, (a.reduce === 'sum' ? sum : a.reduce === 'max' ? max : min)[name]);
    }
  }

  /** A monitored metric's value (callbacks, schedulers); INVALID_ARGUMENT listing what was logged when it is missing. */
  monitored(name: string, who: string): number {
    const v = this.callbackMetrics[name];
    if (v === undefined) {
      const keys = Object.keys(this.callbackMetrics);
      fail(
        'INVALID_ARGUMENT',
        `${who}: monitored metric '${name}' was never logged; logged metrics: ${keys.length ? keys.join(', ') : 'none'}`,
      );
    }
    return v;
  }
}
