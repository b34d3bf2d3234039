// Several metrics updated together and computed into one record, with a key prefix/postfix
// (torchmetrics' MetricCollection): `const val = train.clone({ prefix: 'val_' })`.
import { fail } from '../errors.js';
import { checkOptions, describe } from '../options.js';
import type { Tensor } from '../tensor.js';
import { Metric } from './metric.js';

/** Options of `MetricCollection`: a prefix and postfix for the result names. */
export interface CollectionOptions {
  prefix?: string;
  postfix?: string;
}

/**
 * @example
 * const m = new metrics.MetricCollection({ acc: new metrics.Accuracy({ task: 'multiclass', numClasses: 3 }),
 *   f1: new metrics.F1Score({ task: 'multiclass', numClasses: 3, average: 'macro' }) }, { prefix: 'val_' });
 * m.update(logits, y); m.compute() // { val_acc: Tensor, val_f1: Tensor }
 */
export class MetricCollection {
  readonly metrics: Record<string, Metric<unknown[]>>;
  readonly prefix: string;
  readonly postfix: string;
  constructor(metrics: Record<string, Metric<never>> | Metric<never>[], options: CollectionOptions = {}) {
    const o = checkOptions('MetricCollection', options, { prefix: 'string', postfix: 'string' });
    this.prefix = o.prefix ?? '';
    this.postfix = o.postfix ?? '';
    if (metrics === null || typeof metrics !== 'object')
      fail(
        'INVALID_ARGUMENT',
        `MetricCollection: expected a non-empty object or array of metrics, got ${describe(metrics)}`,
      );
    // Array.from reads holes of a sparse array as undefined (map would skip them).
    const entries = Array.isArray(metrics)
      ? Array.from(metrics, (m, i) => [m instanceof Metric ? m.constructor.name : String(i), m] as const)
      : Object.entries(metrics);
    if (entries.length === 0)
      fail(
        'INVALID_ARGUMENT',
        `MetricCollection: expected a non-empty object or array of metrics, got ${describe(metrics)}`,
      );
    this.metrics = {};
    for (const [k, m] of entries) {
      if (!(m instanceof Metric))
        fail('INVALID_ARGUMENT', `MetricCollection: '${k}' is not a Metric, got ${describe(m)}`);
      if (k in this.metrics)
        fail('INVALID_ARGUMENT', `MetricCollection: two metrics are named '${k}' (pass an object to name them)`);
      this.metrics[k] = m as Metric<unknown[]>;
    }
  }
  /** Updates every metric with the same arguments. */
  update(...args: unknown[]): void {
    for (const m of Object.values(this.metrics)) m.update(...args);
  }
  /** Each metric's value, under prefix + name + postfix. */
  compute(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    try {
      for (const [k, m] of Object.entries(this.metrics)) out[this.prefix + k + this.postfix] = m.compute();
    } catch (e) {
      for (const t of Object.values(out)) t.dispose();
      throw e;
    }
    return out;
  }
  /** Each metric on this batch alone, also folded into the state. */
  forward(...args: unknown[]): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [k, m] of Object.entries(this.metrics)) out[this.prefix + k + this.postfix] = m.forward(...args);
    return out;
  }
  /** Resets every metric. */
  reset(): void {
    for (const m of Object.values(this.metrics)) m.reset();
  }
  /** Frees every metric's state. */
  dispose(): void {
    this.reset();
  }
  /** Empty copies of every metric, under a new prefix/postfix. */
  clone(options: CollectionOptions = {}): MetricCollection {
    const o = checkOptions('MetricCollection.clone', options, { prefix: 'string', postfix: 'string' });
    const copies = Object.fromEntries(Object.entries(this.metrics).map(([k, m]) => [k, m.clone()]));
    return new MetricCollection(copies as Record<string, Metric<never>>, {
      prefix: o.prefix ?? this.prefix,
      postfix: o.postfix ?? this.postfix,
    });
  }
}
