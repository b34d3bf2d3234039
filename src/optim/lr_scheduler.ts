// Learning-rate schedulers (torch.optim.lr_scheduler): each sets every group's lr from the epoch
// count (closed forms) on step(); ReduceLROnPlateau reacts to a metric instead.
import { fail } from '../errors.js';
import { checkOptions, describe, isOptionsObject, oneOf } from '../options.js';
import type { Optimizer } from './optimizer.js';
import { checkOptimizer, perGroup, positive, schedOptions } from './scheduler_args.js';

/** Any optimizer (every one has an lr per group). */
export type AnyOptimizer = Optimizer<{ lr: number }>;

/** Base of the epoch-driven schedulers. Construction sets the initial lr (epoch 0). */
export abstract class LRScheduler {
  readonly baseLrs: number[];
  lastEpoch: number;
  protected lastLr: number[] = [];

  protected constructor(
    readonly optimizer: AnyOptimizer,
    lastEpoch = -1,
  ) {
    checkOptimizer(this.constructor.name, optimizer);
    if (!Number.isSafeInteger(lastEpoch) || lastEpoch < -1)
      fail(
        'INVALID_ARGUMENT',
        `${this.constructor.name}: lastEpoch must be an integer >= -1, got ${describe(lastEpoch)}`,
      );
    for (const g of optimizer.paramGroups) (g as { initialLr?: number }).initialLr ??= g.lr;
    this.baseLrs = optimizer.paramGroups.map((g) => (g as { initialLr?: number }).initialLr!);
    this.lastEpoch = lastEpoch;
  }

  /** Call once at the end of construction of a subclass: applies epoch lastEpoch + 1. */
  protected init(): void {
    this.step();
  }

  /** The lr of each group at `epoch` (the closed form, from the base lrs). */
  protected abstract lrAt(epoch: number): number[];

  /**
   * Whether step() sets each lr from the closed form (torch's LambdaLR, OneCycleLR, CyclicLR)
   * instead of scaling the group's current lr by this schedule's step ratio.
   */
  protected get setsDirectly(): boolean {
    return false;
  }

  /**
   * Advances one epoch (or step, for per-batch schedules) and sets the groups' lr. As torch's,
   * schedules chain: each scales the group's current lr by its own ratio lrAt(e) / lrAt(e - 1),
   * so two schedulers stepped together (or a ChainedScheduler) compose, and one alone follows its
   * closed form.
   */
  step(): void {
    this.lastEpoch += 1;
    this.apply(this.lastEpoch);
  }

  /** @internal Sets the groups' lr for `epoch` (chained, or directly where `direct`). */
  protected apply(epoch: number, direct = this.setsDirectly): void {
    const now = this.lrAt(epoch);
    const prev = direct ? now : epoch === 0 ? this.baseLrs : this.lrAt(epoch - 1);
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = direct ? now[i] : this.chain(g.lr, now[i], prev[i], epoch)));
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** @internal torch's chainable update: lr times now / prev (the closed form where prev is 0). */
  protected chain(lr: number, now: number, prev: number, epoch: number): number {
    void epoch;
    return prev !== 0 && Number.isFinite(prev) ? lr * (now / prev) : now;
  }

  /** @internal Restarts the schedule at epoch 0 from the closed form (SequentialLR's milestones). */
  restart(): void {
    this.lastEpoch = 0;
    this.apply(0, true);
  }

  /** The lr of each group after the last step(). */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The scheduler's state for a checkpoint. */
  stateDict(): Record<string, unknown> {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs], lastLr: [...this.lastLr] };
  }
  /** Restores the state `stateDict` returned. */
  loadStateDict(sd: Record<string, unknown>): void {
    const op = `${this.constructor.name}.loadStateDict`;
    if (!isOptionsObject(sd) || !Number.isSafeInteger(sd.lastEpoch))
      fail('INVALID_ARGUMENT', `${op}: expected { lastEpoch, ... }, got ${describe(sd)}`);
    if (sd.lastLr !== undefined && !(Array.isArray(sd.lastLr) && sd.lastLr.every((x) => typeof x === 'number')))
      fail('INVALID_ARGUMENT', `${op}: lastLr must be a list of numbers, got ${describe(sd.lastLr)}`);
    if (Array.isArray(sd.lastLr) && sd.lastLr.length !== this.optimizer.paramGroups.length)
      fail(
        'INVALID_ARGUMENT',
        `${op}: lastLr has ${sd.lastLr.length} values, the optimizer ${this.optimizer.paramGroups.length} groups`,
      );
    this.lastEpoch = sd.lastEpoch as number;
    if (Array.isArray(sd.lastLr)) {
      this.lastLr = [...(sd.lastLr as number[])];
      // the groups resume from the lr this schedule last set (chained steps scale the current lr)
      this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.lastLr[i]));
    }
  }
}

/** lr = base * gamma^floor(epoch / stepSize). @example new lrScheduler.StepLR(opt, { stepSize: 30, gamma: 0.1 }) */
export class StepLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    readonly options: { stepSize: number; gamma?: number; lastEpoch?: number },
  ) {
    super(optimizer, schedOptions('StepLR', options, { stepSize: 'integer', gamma: 'number' }).lastEpoch);
    this.options = options ?? {};
    positive('StepLR', 'stepSize', this.options.stepSize, true);
    this.init();
  }
  protected lrAt(e: number): number[] {
    return this.baseLrs.map((b) => b * (this.options.gamma ?? 0.1) ** Math.floor(e / this.options.stepSize));
  }
}

/** lr = base * gamma^(milestones passed). @example new lrScheduler.MultiStepLR(opt, { milestones: [30, 80] }) */
export class MultiStepLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    readonly options: { milestones: number[]; gamma?: number; lastEpoch?: number },
  ) {
    super(optimizer, schedOptions('MultiStepLR', options, { milestones: 'any', gamma: 'number' }).lastEpoch);
    this.options = options = options ?? {};
    if (!Array.isArray(options.milestones) || options.milestones.some((m) => !Number.isInteger(m)))
      fail(
        'INVALID_ARGUMENT',
        `MultiStepLR: 'milestones' must be a list of integers, got ${describe(options.milestones)}`,
      );
    this.init();
  }
  protected lrAt(e: number): number[] {
    const passed = this.options.milestones.filter((m) => m <= e).length;
    return this.baseLrs.map((b) => b * (this.options.gamma ?? 0.1) ** passed);
  }
}

/** lr = base * gamma^epoch. @example new lrScheduler.ExponentialLR(opt, { gamma: 0.95 }) */
export class ExponentialLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    readonly options: { gamma: number; lastEpoch?: number },
  ) {
    super(optimizer, schedOptions('ExponentialLR', options, { gamma: 'number' }).lastEpoch);
    this.options = options ?? {};
    positive('ExponentialLR', 'gamma', this.options.gamma);
    this.init();
  }
  protected lrAt(e: number): number[] {
    return this.baseLrs.map((b) => b * this.options.gamma ** e);
  }
}

/** lr = etaMin + (base - etaMin)(1 + cos(pi epoch / TMax)) / 2. @example new lrScheduler.CosineAnnealingLR(opt, { TMax: 100 }) */
export class CosineAnnealingLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    readonly options: { TMax: number; etaMin?: number; lastEpoch?: number },
  ) {
    super(optimizer, schedOptions('CosineAnnealingLR', options, { TMax: 'number', etaMin: 'number' }).lastEpoch);
    this.options = options ?? {};
    positive('CosineAnnealingLR', 'TMax', this.options.TMax);
    this.init();
  }
  protected lrAt(e: number): number[] {
    const min = this.options.etaMin ?? 0;
    return this.baseLrs.map((b) => min + ((b - min) * (1 + Math.cos((Math.PI * e) / this.options.TMax))) / 2);
  }
  // torch's recursive form: the ratio of the cosine terms applied to lr - etaMin, and just past
  // the bottom of the curve (where that ratio is 0/0) the step up added.
  protected override chain(lr: number, now: number, prev: number, epoch: number): number {
    const min = this.options.etaMin ?? 0;
    const T = this.options.TMax;
    if (epoch === 0) return lr;
    if ((epoch - 1 - T) % (2 * T) === 0) return lr + (now - min);
    void prev;
    const c = (k: number) => 1 + Math.cos((Math.PI * k) / T);
    return (c(epoch) / c(epoch - 1)) * (lr - min) + min;
  }
}

/**
 * Scales lr linearly from startFactor to endFactor over totalIters epochs.
 * @example new lrScheduler.LinearLR(opt, { startFactor: 0.1, totalIters: 5 })
 */
export class LinearLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    readonly options: { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number } = {},
  ) {
    super(
      optimizer,
      schedOptions('LinearLR', options, { startFactor: 'number', endFactor: 'number', totalIters: 'integer' })
        .lastEpoch,
    );
    this.options = options = options ?? {};
    const s = options.startFactor ?? 1 / 3,
      e = options.endFactor ?? 1;
    if (!(s > 0 && s <= 1)) fail('INVALID_ARGUMENT', `LinearLR: startFactor must be in (0, 1], got ${describe(s)}`);
    if (!(e >= 0 && e <= 1)) fail('INVALID_ARGUMENT', `LinearLR: endFactor must be in [0, 1], got ${describe(e)}`);
    positive('LinearLR', 'totalIters', options.totalIters ?? 5, true);
    this.init();
  }
  protected lrAt(epoch: number): number[] {
    const s = this.options.startFactor ?? 1 / 3,
      e = this.options.endFactor ?? 1,
      n = this.options.totalIters ?? 5;
    const f = s + ((e - s) * Math.min(epoch, n)) / n;
    return this.baseLrs.map((b) => b * f);
  }
}

/** Options of `OneCycleLR`. */
export interface OneCycleOptions {
  maxLr: number | number[];
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
  /** Cycle momentum (SGD) or beta1 (Adam) inversely to the lr. Default true. */
  cycleMomentum?: boolean;
  baseMomentum?: number;
  maxMomentum?: number;
  lastEpoch?: number;
}

/**
 * The 1cycle policy, stepped per batch: lr rises from maxLr / divFactor to maxLr over pctStart of
 * the steps, then anneals to maxLr / (divFactor * finalDivFactor); momentum moves the other way.
 * @example new lrScheduler.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 1000 })
 */
export class OneCycleLR extends LRScheduler {
  private readonly total: number;
  private readonly phases: { end: number; lr: [string, string]; mom: [string, string] }[];
  constructor(
    optimizer: AnyOptimizer,
    readonly options: OneCycleOptions,
  ) {
    super(OneCycleLR.prepare(optimizer, options), options.lastEpoch);
    oneOf('OneCycleLR', 'annealStrategy', this.options.annealStrategy ?? 'cos', ['cos', 'linear']);
    const total = options.totalSteps ?? (options.epochs ?? 0) * (options.stepsPerEpoch ?? 0);
    positive('OneCycleLR', 'totalSteps (or epochs * stepsPerEpoch)', total, true);
    this.total = total;
    const pct = options.pctStart ?? 0.3;
    if (!(pct >= 0 && pct <= 1))
      fail('INVALID_ARGUMENT', `OneCycleLR: pctStart must be in [0, 1], got ${describe(pct)}`);
    this.phases = options.threePhase
      ? [
          { end: pct * total - 1, lr: ['initialLr', 'maxLr'], mom: ['maxMomentum', 'baseMomentum'] },
          { end: 2 * pct * total - 2, lr: ['maxLr', 'initialLr'], mom: ['baseMomentum', 'maxMomentum'] },
          { end: total - 1, lr: ['initialLr', 'minLr'], mom: ['maxMomentum', 'maxMomentum'] },
        ]
      : [
          { end: pct * total - 1, lr: ['initialLr', 'maxLr'], mom: ['maxMomentum', 'baseMomentum'] },
          { end: total - 1, lr: ['maxLr', 'minLr'], mom: ['baseMomentum', 'maxMomentum'] },
        ];
    this.init();
  }
  // Each group starts at maxLr / divFactor (PyTorch sets initial_lr so), peaks at maxLr and ends
  // at minLr.
  private static prepare(optimizer: AnyOptimizer, options: OneCycleOptions): AnyOptimizer {
    if (!isOptionsObject(options))
      fail('INVALID_ARGUMENT', `OneCycleLR: expected options with maxLr, got ${describe(options)}`);
    checkOptions('OneCycleLR', options, {
      maxLr: 'any',
      totalSteps: 'integer',
      epochs: 'integer',
      stepsPerEpoch: 'integer',
      pctStart: 'number',
      annealStrategy: 'string',
      divFactor: 'number',
      finalDivFactor: 'number',
      threePhase: 'boolean',
      cycleMomentum: 'boolean',
      baseMomentum: 'number',
      maxMomentum: 'number',
      lastEpoch: 'integer',
    });
    checkOptimizer('OneCycleLR', optimizer);
    for (const k of ['divFactor', 'finalDivFactor'] as const)
      if (options[k] !== undefined) positive('OneCycleLR', k, options[k]);
    const groups = optimizer.paramGroups;
    const max = perGroup('OneCycleLR', 'maxLr', options.maxLr, groups.length, ['positive number', (m) => m > 0]);
    const div = options.divFactor ?? 25;
    groups.forEach((g, i) => {
      const gg = g as unknown as Record<string, number>;
      gg.initialLr = max[i] / div;
      gg.maxLr = max[i];
      gg.minLr = gg.initialLr / (options.finalDivFactor ?? 1e4);
    });
    return optimizer;
  }
  protected override get setsDirectly(): boolean {
    return true;
  }
  private anneal(start: number, end: number, pct: number): number {
    return this.options.annealStrategy === 'linear'
      ? (end - start) * pct + start
      : end + ((start - end) / 2) * (1 + Math.cos(Math.PI * pct));
  }
  protected lrAt(step: number): number[] {
    if (step > this.total)
      fail('INVALID_ARGUMENT', `OneCycleLR: stepped ${step} times, more than totalSteps (${this.total})`);
    const cycle = this.options.cycleMomentum ?? true;
    return this.optimizer.paramGroups.map((g) => {
      const gg = g as unknown as {
        initialLr: number;
        maxLr: number;
        minLr: number;
        momentum?: number;
        betas?: [number, number];
      };
      const values: Record<string, number> = {
        initialLr: gg.initialLr,
        maxLr: gg.maxLr,
        minLr: gg.minLr,
        baseMomentum: this.options.baseMomentum ?? 0.85,
        maxMomentum: this.options.maxMomentum ?? 0.95,
      };
      let start = 0,
        lr = gg.initialLr;
      for (const ph of this.phases) {
        if (step <= ph.end || ph === this.phases[this.phases.length - 1]) {
          const pct = (step - start) / (ph.end - start);
          lr = this.anneal(values[ph.lr[0]], values[ph.lr[1]], pct);
          if (cycle) {
            const m = this.anneal(values[ph.mom[0]], values[ph.mom[1]], pct);
            if (gg.betas) gg.betas = [m, gg.betas[1]];
            else if (gg.momentum !== undefined) gg.momentum = m;
          }
          break;
        }
        start = ph.end;
      }
      return lr;
    });
  }
}

/** Options of `ReduceLROnPlateau`. */
export interface PlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  minLr?: number | number[];
  eps?: number;
}

/**
 * Cuts the lr by `factor` when a metric stops improving for `patience` epochs.
 * @example const s = new lrScheduler.ReduceLROnPlateau(opt, { patience: 3 }); s.step(valLoss)
 */
export class ReduceLROnPlateau {
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  constructor(
    readonly optimizer: AnyOptimizer,
    readonly options: PlateauOptions = {},
  ) {
    const op = 'ReduceLROnPlateau';
    checkOptimizer(op, optimizer);
    this.options = options = checkOptions(op, options, {
      mode: 'string',
      factor: 'number',
      patience: 'integer',
      threshold: 'number',
      thresholdMode: 'string',
      cooldown: 'integer',
      minLr: 'any',
      eps: 'number',
    });
    oneOf(op, 'thresholdMode', options.thresholdMode ?? 'rel', ['rel', 'abs']);
    const mins = options.minLr ?? 0;
    if (!(
      typeof mins === 'number' ||
      (Array.isArray(mins) && mins.length === optimizer.paramGroups.length && mins.every((m) => typeof m === 'number'))
    ))
      fail('INVALID_ARGUMENT', `${op}: minLr must be a number or one per parameter group, got ${describe(mins)}`);
    const f = options.factor ?? 0.1;
    if (!(f < 1)) fail('INVALID_ARGUMENT', `ReduceLROnPlateau: factor should be < 1.0, got ${describe(f)}`);
    if (options.mode !== undefined && options.mode !== 'min' && options.mode !== 'max')
      fail('INVALID_ARGUMENT', `ReduceLROnPlateau: mode must be 'min' or 'max', got ${describe(options.mode)}`);
    this.best = (options.mode ?? 'min') === 'min' ? Infinity : -Infinity;
  }
  private better(a: number): boolean {
    const { mode = 'min', threshold = 1e-4, thresholdMode = 'rel' } = this.options;
    if (mode === 'min') return thresholdMode === 'rel' ? a < this.best * (1 - threshold) : a < this.best - threshold;
    return thresholdMode === 'rel' ? a > this.best * (threshold + 1) : a > this.best + threshold;
  }
  /** Records this epoch's metric; reduces the lr after `patience` epochs without improvement. */
  step(metric: number): void {
    if (typeof metric !== 'number' || Number.isNaN(metric))
      fail('INVALID_ARGUMENT', `ReduceLROnPlateau.step: expected a number metric, got ${describe(metric)}`);
    this.lastEpoch += 1;
    if (this.better(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else this.numBadEpochs += 1;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > (this.options.patience ?? 10)) {
      const mins = this.options.minLr ?? 0;
      this.optimizer.paramGroups.forEach((g, i) => {
        const min = Array.isArray(mins) ? mins[i] : mins;
        const next = Math.max(g.lr * (this.options.factor ?? 0.1), min);
        if (g.lr - next > (this.options.eps ?? 1e-8)) g.lr = next;
      });
      this.cooldownCounter = this.options.cooldown ?? 0;
      this.numBadEpochs = 0;
    }
  }
  /** The lr of each group now. */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
  /** The scheduler's state for a checkpoint. */
  stateDict(): Record<string, unknown> {
    return {
      best: this.best,
      numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter,
      lastEpoch: this.lastEpoch,
    };
  }
  /** Restores the state `stateDict` returned. */
  loadStateDict(sd: Record<string, unknown>): void {
    const ints = ['numBadEpochs', 'cooldownCounter', 'lastEpoch'];
    if (
      !isOptionsObject(sd) ||
      typeof sd.best !== 'number' ||
      ints.some((k) => sd[k] !== undefined && !Number.isSafeInteger(sd[k]))
    )
      fail(
        'INVALID_ARGUMENT',
        `ReduceLROnPlateau.loadStateDict: expected { best, numBadEpochs, cooldownCounter, lastEpoch }, got ${describe(sd)}`,
      );
    Object.assign(this, {
      best: sd.best,
      numBadEpochs: sd.numBadEpochs ?? 0,
      cooldownCounter: sd.cooldownCounter ?? 0,
      lastEpoch: sd.lastEpoch ?? 0,
    });
  }
}
