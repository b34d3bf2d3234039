/**
 * Stochastic weight averaging (torch.optim.swa_utils): `AveragedModel` keeps a running (or
 * exponential) average of a model's weights, `SWALR` anneals the lr to a constant SWA lr, and
 * `updateBn` recomputes the batch norms' statistics for the averaged weights.
 * @example
 * const swa = new optim.swaUtils.AveragedModel(model);
 * const sched = new optim.swaUtils.SWALR(opt, { swaLr: 0.05 });
 * // each epoch after the start: swa.updateParameters(model); sched.step();
 * await optim.swaUtils.updateBn(loader, swa);
 * @module swaUtils
 */
import { noGrad } from '../autograd.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { tensor } from '../ops/creation.js';
import { checkOptions, describe, oneOf } from '../options.js';
import { Tensor } from '../tensor.js';
import { deepCopy } from '../nn/copy.js';
import { BatchNorm1d, BatchNorm2d, BatchNorm3d, SyncBatchNorm } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { LRScheduler, type AnyOptimizer } from './lr_scheduler.js';
import { perGroup, schedOptions } from './scheduler_args.js';

/** The average of one tensor: (averaged, current, how many were averaged so far) -> the new average. */
export type AvgFn = (averaged: Tensor, current: Tensor, numAveraged: number) => Tensor;

/** Options of `AveragedModel`. */
export interface AveragedModelOptions {
  /** The update (default: the running mean averaged + (current - averaged) / (n + 1)). */
  avgFn?: AvgFn;
  /** Average the buffers too (default false: they stay the copy's until updateBn). */
  useBuffers?: boolean;
}

/**
 * A copy of `model` whose weights are the average of the model's at each updateParameters call
 * (torch's AveragedModel): the SWA model, or with avgFn an exponential moving average. Its
 * forward is the copy's.
 * @example const ema = new optim.swaUtils.AveragedModel(model, { avgFn: (a, p) => a.mul(0.999).add(p.mul(0.001)) })
 */
export class AveragedModel<M extends Module = Module> extends Module {
  readonly module: M;
  /** How many times the weights were averaged (a buffer, int64). */
  declare nAveraged: Tensor;
  readonly useBuffers: boolean;
  private readonly avgFn: AvgFn;
  constructor(model: M, options: AveragedModelOptions = {}) {
    super();
    const op = 'AveragedModel';
    if (!(model instanceof Module)) fail('INVALID_ARGUMENT', `${op}: expected an nn.Module, got ${describe(model)}`);
    const o = checkOptions(op, options, { avgFn: 'function', useBuffers: 'boolean' });
    this.module = deepCopy(model);
    this.registerBuffer('nAveraged', tensor(0, { dtype: 'int64' }));
    this.useBuffers = o.useBuffers ?? false;
    this.avgFn = o.avgFn ?? ((a, p, n) => a.add(p.sub(a).div(n + 1)));
  }
  /** The averaged copy's forward. */
  forward(...args: unknown[]): unknown {
    return (this.module as unknown as { forward(...a: unknown[]): unknown }).forward(...args);
  }
  /** Folds model's current weights (and buffers, with useBuffers) into the average. */
  updateParameters(model: M): void {
    const op = 'AveragedModel.updateParameters';
    if (!(model instanceof Module)) fail('INVALID_ARGUMENT', `${op}: expected an nn.Module, got ${describe(model)}`);
    const mine = this.useBuffers ? [...this.module.parameters(), ...this.module.buffers()] : this.module.parameters();
    const theirs = this.useBuffers ? [...model.parameters(), ...model.buffers()] : model.parameters();
    if (mine.length !== theirs.length || mine.some((t, i) => t.shape.join() !== theirs[i].shape.join()))
      fail(
        'SHAPE_MISMATCH',
        `${op}: the model's tensors do not match the averaged copy's (${theirs.length} vs ${mine.length})`,
      );
    const n = Number(this.nAveraged.item());
    noGrad(() =>
      mine.forEach((a, i) =>
        tidy(() => {
          const p = theirs[i].detach().to(a.dtype);
          if (n === 0) return void a.copy_(p);
          const next = this.avgFn(a.detach(), p, n);
          if (!(next instanceof Tensor) || next.shape.join() !== a.shape.join())
            fail(
              'INVALID_ARGUMENT',
              `${op}: avgFn must return a tensor of shape [${a.shape.join(', ')}], got ${describe(next)}`,
            );
          a.copy_(next);
        }),
      ),
    );
    noGrad(() => this.nAveraged.add_(1));
  }
}

/** Options of `SWALR`. */
export interface SWALROptions {
  /** The SWA learning rate (one for every group, or one per group). */
  swaLr: number | number[];
  /** Epochs of annealing from the current lr to swaLr (default 10; 0: at once). */
  annealEpochs?: number;
  /** cos (default) or linear. */
  annealStrategy?: 'cos' | 'linear';
  lastEpoch?: number;
}

/**
 * Anneals each group's lr to swaLr over annealEpochs, then holds it (torch's SWALR); set per
 * group as `swaLr` on the optimizer's groups.
 * @example const sched = new optim.swaUtils.SWALR(opt, { swaLr: 0.05, annealEpochs: 5 })
 */
export class SWALR extends LRScheduler {
  private readonly anneal: number;
  private readonly cos: boolean;
  constructor(optimizer: AnyOptimizer, options: SWALROptions) {
    const op = 'SWALR';
    const o = schedOptions(op, options, { swaLr: 'any', annealEpochs: 'integer', annealStrategy: 'string' });
    super(optimizer, o.lastEpoch);
    const lrs = perGroup(op, 'swaLr', o.swaLr, optimizer.paramGroups.length, ['non-negative number', (x) => x >= 0]);
    optimizer.paramGroups.forEach((g, i) => ((g as unknown as { swaLr: number }).swaLr = lrs[i]));
    this.anneal = o.annealEpochs ?? 10;
    if (this.anneal < 0) fail('INVALID_ARGUMENT', `${op}: annealEpochs must be >= 0, got ${this.anneal}`);
    this.cos = oneOf(op, 'annealStrategy', o.annealStrategy ?? 'cos', ['cos', 'linear']) === 'cos';
    this.init();
  }
  private alpha(t: number): number {
    return this.cos ? (1 - Math.cos(Math.PI * t)) / 2 : t;
  }
  protected lrAt(): number[] {
    // torch's rule: the lr the schedule started from is recovered from the current one, so the
    // schedule follows the group's lr wherever it came from
    const step = this.anneal === 0 ? Math.max(1, this.lastEpoch) : this.lastEpoch;
    const prevAlpha = this.alpha(Math.max(0, Math.min(1, (step - 1) / Math.max(1, this.anneal))));
    const alpha = this.alpha(Math.max(0, Math.min(1, step / Math.max(1, this.anneal))));
    return this.optimizer.paramGroups.map((g) => {
      const swa = (g as unknown as { swaLr: number }).swaLr;
      const start = prevAlpha === 1 ? swa : (g.lr - prevAlpha * swa) / (1 - prevAlpha);
      return swa * alpha + start * (1 - alpha);
    });
  }
  protected override get setsDirectly(): boolean {
    return true;
  }
}

/**
 * Recomputes every batch norm's running statistics as the plain average over one pass of
 * `loader` (torch's update_bn): after weight averaging, the statistics of the averaged weights.
 * Each batch is a tensor or a list whose first element is the input.
 * @example await optim.swaUtils.updateBn(trainLoader, swaModel)
 */
export async function updateBn(loader: Iterable<unknown> | AsyncIterable<unknown>, model: Module): Promise<void> {
  const op = 'updateBn';
  if (!(model instanceof Module)) fail('INVALID_ARGUMENT', `${op}: expected an nn.Module, got ${describe(model)}`);
  const iterable =
    loader !== null &&
    typeof loader === 'object' &&
    (Symbol.asyncIterator in loader || Symbol.iterator in (loader as object));
  if (!iterable) fail('INVALID_ARGUMENT', `${op}: loader must be iterable, got ${describe(loader)}`);
  type Norm = BatchNorm1d | BatchNorm2d | BatchNorm3d | SyncBatchNorm;
  const isNorm = (m: Module): m is Norm =>
    m instanceof BatchNorm1d || m instanceof BatchNorm2d || m instanceof BatchNorm3d || m instanceof SyncBatchNorm;
  const norms = model.modules().filter((m): m is Norm => isNorm(m) && !!m.runningMean);
  if (!norms.length) return;
  const saved = norms.map((m) => m.options.momentum);
  const wasTraining = model.training;
  try {
    model.train();
    for (const m of norms) {
      m.resetRunningStats();
      (m.options as { momentum?: number | null }).momentum = null; // a cumulative average
    }
    for await (const batch of loader as AsyncIterable<unknown>) {
      const input = Array.isArray(batch) ? batch[0] : batch;
      noGrad(() => tidy(() => void (model as unknown as { forward(x: unknown): unknown }).forward(input)));
    }
  } finally {
    norms.forEach((m, i) => ((m.options as { momentum?: number | null }).momentum = saved[i]));
    model.train(wasTraining);
  }
}
