// The stateful metric base: update(batch) folds a batch's statistics into running state tensors,
// compute() turns the state into the metric, reset() starts over. Each subclass says how a batch
// becomes statistics (tensor ops, run natively) and how statistics become the value; the base
// owns the state's lifetime, so a metric used inside tidy() or a training step keeps its state.
import { noGrad } from '../autograd.js';
import { fail } from '../errors.js';
import { cat } from '../ops/functional.js';
import { keep, tidy } from '../memory.js';
import { describe } from '../options.js';
import { Tensor } from '../tensor.js';

/** How a state combines across batches: summed, or concatenated (kept whole, as AUROC needs). */
export type Reduction = 'sum' | 'cat';

/**
 * @internal Combines metric states across the processes of a distributed job; installed by
 * distributed.initProcessGroup() (metrics sit below the distributed namespace and cannot import it).
 */
export interface StateSync {
  worldSize: number;
  /** A new tensor: t summed over every process. */
  sum(t: Tensor): Tensor;
  /** A new tensor: every process's t concatenated along dim 0, in rank order (sizes may differ). */
  cat(t: Tensor): Tensor;
}

let stateSync: StateSync | undefined;

/** @internal Installs (or, with undefined, removes) the cross-process state combiner. */
export function setStateSync(s: StateSync | undefined): void {
  stateSync = s;
}

/**
 * The base of stateful metrics: `update(preds, target)` per batch, `compute()` for the value, `reset()` to start over, `forward()` for one batch's value while accumulating. Subclass it for your own metric.
 * @example
 * const acc = new metrics.Accuracy({ task: 'multiclass', numClasses: 3 });
 * for (const [x, y] of loader) acc.update(model.call(x), y);
 * console.log(acc.compute().item());
 */
export abstract class Metric<Args extends unknown[] = [Tensor, Tensor]> {
  /** Whether a higher value is better (torchmetrics' higher_is_better), for callers choosing a mode. */
  readonly higherIsBetter: boolean = true;
  private sums = new Map<string, Tensor>();
  private lists = new Map<string, Tensor[]>();
  private updates = 0;
  /** While synced: this rank's own state, put back by unsync(). */
  private local: { sums: Map<string, Tensor>; lists: Map<string, Tensor[]> } | undefined;
  /** The value forward() last returned, as a number (what a step-level log of this metric shows). */
  lastForward: number | undefined;
  /**
   * In a distributed job, compute() first combines every rank's state (summed states are summed,
   * concatenated ones gathered), as torchmetrics' sync_on_compute: every rank must then call
   * compute() at the same point, and all get the metric over all ranks' data. Default true.
   */
  syncOnCompute = true;

  /** The options this metric was built with (clone() builds a twin from them). */
  constructor(readonly options: object = {}) {}

  /** Each state's reduction, by name. */
  protected abstract readonly stateReductions: Record<string, Reduction>;
  /** A batch's statistics: one tensor per state (created inside tidy() and noGrad()). */
  protected abstract batchStats(...args: Args): Record<string, Tensor>;
  /** The metric from statistics (summed states as they are, cat states concatenated along dim 0). */
  protected abstract computeFrom(stats: Record<string, Tensor>): Tensor;

  /** Folds a batch into the state. @example acc.update(logits, labels) */
  update(...args: Args): void {
    this.checkUnsynced('update');
    this.fold(this.stats(args));
  }

  /**
   * In a distributed job, replaces this rank's state with every rank's combined (summed states
   * summed, concatenated ones gathered), as torchmetrics' sync(): every rank must call it at the
   * same point. compute() then gives the metric over all ranks without syncing again; unsync()
   * puts this rank's own state back (update() is refused until then). Outside a distributed job,
   * or with one rank, nothing happens.
   * @example acc.sync(); const global = acc.compute(); acc.unsync();
   */
  sync(): void {
    if (this.local) fail('INVALID_ARGUMENT', `${this.constructor.name}.sync: already synced (call unsync() first)`);
    if (!stateSync || stateSync.worldSize <= 1) return;
    this.checkData('sync');
    const stats = tidy(() => noGrad(() => this.statistics(true)));
    this.local = { sums: this.sums, lists: this.lists };
    this.sums = new Map();
    this.lists = new Map();
    for (const [k, t] of Object.entries(stats))
      if (this.stateReductions[k] === 'cat') this.lists.set(k, [keep(t)]);
      else this.sums.set(k, keep(t));
  }

  /** Puts back this rank's own state after sync() (torchmetrics' unsync()). */
  unsync(): void {
    if (!this.local) fail('INVALID_ARGUMENT', `${this.constructor.name}.unsync: not synced (call sync() first)`);
    this.disposeState();
    this.sums = this.local.sums;
    this.lists = this.local.lists;
    this.local = undefined;
  }

  /** Whether sync() has replaced the state with every rank's (until unsync()). */
  get isSynced(): boolean {
    return this.local !== undefined;
  }

  // The state as statistics (cat states concatenated along dim 0), combined over every rank when
  // `all` (each rank walks the states in the same sorted order: the collectives must match).
  private statistics(all: boolean): Record<string, Tensor> {
    const stats: Record<string, Tensor> = Object.fromEntries(this.sums);
    for (const [k, l] of this.lists) stats[k] = l.length === 1 ? l[0] : cat(l, 0);
    if (all && stateSync)
      for (const k of Object.keys(stats).sort())
        stats[k] = this.stateReductions[k] === 'cat' ? stateSync.cat(stats[k]) : stateSync.sum(stats[k]);
    return stats;
  }

  private checkData(op: string): void {
    if (this.updates === 0)
      fail('INVALID_ARGUMENT', `${this.constructor.name}.${op}: no data yet (call update() first)`);
  }

  private checkUnsynced(op: string): void {
    if (this.local)
      fail('INVALID_ARGUMENT', `${this.constructor.name}.${op}: the metric is synced; call unsync() first`);
  }

  /** The metric over everything seen since the last reset (a new tensor). @example acc.compute().item() */
  compute(): Tensor {
    this.checkData('compute');
    const all = this.syncOnCompute && !this.local && stateSync !== undefined && stateSync.worldSize > 1;
    return tidy(() => noGrad(() => this.computeFrom(this.statistics(all))));
  }

  /** The metric on this batch alone, also folded into the state (torchmetrics' forward). */
  forward(...args: Args): Tensor {
    this.checkUnsynced('forward');
    const stats = this.stats(args);
    let value: Tensor;
    try {
      value = tidy(() => noGrad(() => this.computeFrom(stats)));
    } catch (e) {
      for (const t of Object.values(stats)) t.dispose();
      throw e;
    }
    this.fold(stats);
    this.lastForward = value.numel() === 1 ? Number(value.item()) : undefined;
    return value;
  }

  /** Forgets everything seen (frees the state; a synced metric is unsynced first). */
  reset(): void {
    if (this.local) this.unsync();
    this.disposeState();
    this.updates = 0;
  }

  private disposeState(): void {
    for (const t of this.sums.values()) t.dispose();
    for (const l of this.lists.values()) for (const t of l) t.dispose();
    this.sums = new Map();
    this.lists = new Map();
  }

  /** Frees the state; the metric can still be used (it starts empty). */
  dispose(): void {
    this.reset();
  }

  /** Number of update() calls since the last reset. */
  get updateCount(): number {
    return this.updates;
  }

  /** A new, empty metric with the same options. */
  clone(): this {
    const C = this.constructor as new (o: object) => this;
    return new C(this.options);
  }

  // Takes ownership of a batch's statistics: sums are added to the state, cat parts appended.
  private fold(stats: Record<string, Tensor>): void {
    for (const [k, t] of Object.entries(stats)) {
      if (this.stateReductions[k] === 'cat') {
        const l = this.lists.get(k) ?? [];
        l.push(t);
        this.lists.set(k, l);
        continue;
      }
      const old = this.sums.get(k);
      if (!old) {
        this.sums.set(k, t);
        continue;
      }
      const sum = keep(noGrad(() => old.add(t)));
      old.dispose();
      t.dispose();
      this.sums.set(k, sum);
    }
    this.updates++;
  }

  private stats(args: Args): Record<string, Tensor> {
    const s = tidy(() => noGrad(() => this.batchStats(...args)));
    for (const [k, t] of Object.entries(s)) {
      if (!(k in this.stateReductions))
        fail('INTERNAL', `${this.constructor.name}: batchStats returned an undeclared state '${k}'`);
      keep(t); // until folded in: the caller may be inside its own tidy()
    }
    return s;
  }
}

/** A TensorError unless `t` is a Tensor; names the metric and argument. */
export function tensorInput(op: string, name: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: ${name} must be a Tensor, got ${describe(t)}`);
  return t;
}
