// The rest of torch.optim.lr_scheduler: LambdaLR, MultiplicativeLR, ConstantLR, PolynomialLR,
// CosineAnnealingWarmRestarts (SGDR), CyclicLR, and the combinators SequentialLR and
// ChainedScheduler. test/lr-scheduler.test.ts checks each against PyTorch 1.13's lr sequences.
import { fail } from '../errors.js';
import { checkOptions, describe, fn as fnArg, isClass, isOptionsObject, oneOf } from '../options.js';
import { LRScheduler, type AnyOptimizer } from './lr_scheduler.js';
import { checkOptimizer, perGroup, positive, schedOptions } from './scheduler_args.js';

/** A function of the epoch, or one per parameter group. */
export type LrLambda = ((epoch: number) => number) | ((epoch: number) => number)[];

// The lambda of each group, checked.
function lambdas(op: string, optimizer: AnyOptimizer, f: unknown): ((epoch: number) => number)[] {
  const n = optimizer.paramGroups.length;
  const isFn = (g: unknown) => typeof g === 'function' && !isClass(g);
  if (isFn(f)) return Array.from({ length: n }, () => f as (e: number) => number);
  if (Array.isArray(f) && f.length === n && f.every(isFn)) return [...f];
  return fail(
    'INVALID_ARGUMENT',
    `${op}: lrLambda must be a function of the epoch or one per parameter group (${n}), got ${describe(f)}`,
  );
}
// A lambda's value, which must be a finite number.
function factorOf(op: string, f: (e: number) => number, epoch: number): number {
  const v = f(epoch);
  if (typeof v !== 'number' || !Number.isFinite(v))
    fail('INVALID_ARGUMENT', `${op}: lrLambda(${epoch}) must return a finite number, got ${describe(v)}`);
  return v;
}

/**
 * lr = base * lrLambda(epoch), set directly each step (torch's LambdaLR).
 * @example new lrScheduler.LambdaLR(opt, { lrLambda: (e) => 0.95 ** e })
 */
export class LambdaLR extends LRScheduler {
  private readonly fns: ((epoch: number) => number)[];
  constructor(optimizer: AnyOptimizer, options: { lrLambda: LrLambda; lastEpoch?: number }) {
    const o = schedOptions('LambdaLR', options, { lrLambda: 'any' });
    super(optimizer, o.lastEpoch);
    this.fns = lambdas('LambdaLR', optimizer, o.lrLambda);
    this.init();
  }
  protected override get setsDirectly(): boolean {
    return true;
  }
  protected lrAt(e: number): number[] {
    return this.baseLrs.map((b, i) => b * factorOf('LambdaLR', this.fns[i], e));
  }
}

/**
 * Multiplies each group's lr by lrLambda(epoch) every step after the first (torch's
 * MultiplicativeLR). @example new lrScheduler.MultiplicativeLR(opt, { lrLambda: () => 0.95 })
 */
export class MultiplicativeLR extends LRScheduler {
  private readonly fns: ((epoch: number) => number)[];
  constructor(optimizer: AnyOptimizer, options: { lrLambda: LrLambda; lastEpoch?: number }) {
    const o = schedOptions('MultiplicativeLR', options, { lrLambda: 'any' });
    super(optimizer, o.lastEpoch);
    this.fns = lambdas('MultiplicativeLR', optimizer, o.lrLambda);
    this.init();
  }
  protected lrAt(e: number): number[] {
    return this.baseLrs.map((b, i) => {
      let lr = b;
      for (let k = 1; k <= e; k++) lr *= factorOf('MultiplicativeLR', this.fns[i], k);
      return lr;
    });
  }
  // each step multiplies the group's current lr by this epoch's factor (the closed form above,
  // used only by SequentialLR's restart at epoch 0, would re-run every lambda)
  override step(): void {
    this.lastEpoch += 1;
    const e = this.lastEpoch;
    this.optimizer.paramGroups.forEach((g, i) => {
      if (e > 0) g.lr *= factorOf('MultiplicativeLR', this.fns[i], e);
    });
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }
}

/**
 * lr = base * factor for the first totalIters epochs, then base (torch's ConstantLR; a warm-up).
 * @example new lrScheduler.ConstantLR(opt, { factor: 0.5, totalIters: 4 })
 */
export class ConstantLR extends LRScheduler {
  private readonly factor: number;
  private readonly total: number;
  constructor(optimizer: AnyOptimizer, options: { factor?: number; totalIters?: number; lastEpoch?: number } = {}) {
    const o = schedOptions('ConstantLR', options, { factor: 'number', totalIters: 'integer' });
    super(optimizer, o.lastEpoch);
    this.factor = o.factor ?? 1 / 3;
    this.total = o.totalIters ?? 5;
    if (!(this.factor > 0 && this.factor <= 1))
      fail('INVALID_ARGUMENT', `ConstantLR: factor must be in (0, 1], got ${describe(this.factor)}`);
    positive('ConstantLR', 'totalIters', this.total, true);
    this.init();
  }
  protected lrAt(e: number): number[] {
    return this.baseLrs.map((b) => (e < this.total ? b * this.factor : b));
  }
}

/**
 * lr = base * (1 - min(epoch, totalIters) / totalIters)^power (torch's PolynomialLR).
 * @example new lrScheduler.PolynomialLR(opt, { totalIters: 100, power: 2 })
 */
export class PolynomialLR extends LRScheduler {
  private readonly total: number;
  private readonly power: number;
  constructor(optimizer: AnyOptimizer, options: { totalIters?: number; power?: number; lastEpoch?: number } = {}) {
    const o = schedOptions('PolynomialLR', options, { totalIters: 'integer', power: 'number' });
    super(optimizer, o.lastEpoch);
    this.total = o.totalIters ?? 5;
    this.power = o.power ?? 1;
    positive('PolynomialLR', 'totalIters', this.total, true);
    this.init();
  }
  protected lrAt(e: number): number[] {
    return this.baseLrs.map((b) => b * (1 - Math.min(e, this.total) / this.total) ** this.power);
  }
}

/** Options of `CosineAnnealingWarmRestarts`. */
export interface WarmRestartsOptions {
  /** Epochs of the first cycle. */
  T0: number;
  /** Each cycle is TMult times longer than the last (an integer >= 1). Default 1. */
  TMult?: number;
  /** The lowest lr. Default 0. */
  etaMin?: number;
  lastEpoch?: number;
}

/**
 * SGDR (Loshchilov and Hutter, 2017): cosine annealing from the base lr to etaMin over T0 epochs,
 * then a restart, each cycle TMult times longer (torch's CosineAnnealingWarmRestarts). step(epoch)
 * takes a fractional epoch for per-batch updates, as torch's.
 * @example const s = new lrScheduler.CosineAnnealingWarmRestarts(opt, { T0: 10 }); s.step(epoch + i / iters)
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  /** Epochs since the last restart (fractional under step(epoch)). */
  TCur: number;
  /** The length of the current cycle. */
  TI: number;
  private readonly o: Required<Omit<WarmRestartsOptions, 'lastEpoch'>>;
  constructor(optimizer: AnyOptimizer, options: WarmRestartsOptions) {
    const op = 'CosineAnnealingWarmRestarts';
    const o = schedOptions(op, options, { T0: 'integer', TMult: 'integer', etaMin: 'number' });
    super(optimizer, o.lastEpoch);
    positive(op, 'T0', o.T0, true);
    positive(op, 'TMult', o.TMult ?? 1, true);
    this.o = { T0: o.T0, TMult: o.TMult ?? 1, etaMin: o.etaMin ?? 0 };
    this.TI = o.T0;
    this.TCur = this.lastEpoch;
    this.init();
  }
  protected override get setsDirectly(): boolean {
    return true;
  }
  protected lrAt(): number[] {
    const m = this.o.etaMin;
    return this.baseLrs.map((b) => m + ((b - m) * (1 + Math.cos((Math.PI * this.TCur) / this.TI))) / 2);
  }
  /**
   * Advances one epoch, or (given `epoch`, fractional allowed) jumps to it: TCur and TI follow
   * from the cycle lengths T0, T0 TMult, T0 TMult^2, ...
   */
  override step(epoch?: number): void {
    const op = 'CosineAnnealingWarmRestarts.step';
    if (epoch === undefined) {
      if (this.lastEpoch < 0) return this.stepTo(0);
      this.lastEpoch += 1;
      this.TCur += 1;
      if (this.TCur >= this.TI) {
        this.TCur -= this.TI;
        this.TI *= this.o.TMult;
      }
      return this.apply(this.lastEpoch);
    }
    if (typeof epoch !== 'number' || !Number.isFinite(epoch) || epoch < 0)
      fail('INVALID_ARGUMENT', `${op}: expected a non-negative epoch, got ${describe(epoch)}`);
    this.stepTo(epoch);
  }
  private stepTo(epoch: number): void {
    const { T0, TMult } = this.o;
    if (epoch >= T0) {
      if (TMult === 1) {
        this.TCur = epoch % T0;
        this.TI = T0;
      } else {
        const n = Math.floor(Math.log((epoch / T0) * (TMult - 1) + 1) / Math.log(TMult));
        this.TCur = epoch - (T0 * (TMult ** n - 1)) / (TMult - 1);
        this.TI = T0 * TMult ** n;
      }
    } else {
      this.TI = T0;
      this.TCur = epoch;
    }
    this.lastEpoch = Math.floor(epoch);
    this.apply(this.lastEpoch);
  }
  override restart(): void {
    this.stepTo(0);
  }
  override stateDict(): Record<string, unknown> {
    return { ...super.stateDict(), TCur: this.TCur, TI: this.TI };
  }
  override loadStateDict(sd: Record<string, unknown>): void {
    super.loadStateDict(sd);
    if (typeof sd.TCur === 'number' && typeof sd.TI === 'number') [this.TCur, this.TI] = [sd.TCur, sd.TI];
  }
}

/** Options of `CyclicLR`. */
export interface CyclicOptions {
  /** The lower lr bound (per group or one for all); set as each group's lr at construction. */
  baseLr: number | number[];
  /** The upper lr bound. */
  maxLr: number | number[];
  /** Steps from baseLr up to maxLr. Default 2000. */
  stepSizeUp?: number;
  /** Steps back down. Default stepSizeUp. */
  stepSizeDown?: number;
  /** triangular (constant amplitude), triangular2 (halved each cycle), exp_range (times gamma^step). Default triangular. */
  mode?: 'triangular' | 'triangular2' | 'exp_range';
  gamma?: number;
  /** A custom amplitude scale in (0, 1] (overrides mode), of the cycle or the step. */
  scaleFn?: (x: number) => number;
  scaleMode?: 'cycle' | 'iterations';
  /** Cycle momentum (SGD) or beta1 (Adam) inversely to the lr. Default true. */
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  lastEpoch?: number;
}

/**
 * Cyclical learning rates (Smith, 2017; torch's CyclicLR), stepped per batch: lr moves between
 * baseLr and maxLr in triangles, momentum the other way.
 * @example new lrScheduler.CyclicLR(opt, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 500 })
 */
export class CyclicLR extends LRScheduler {
  private readonly maxLrs: number[];
  private readonly baseMomenta: number[];
  private readonly maxMomenta: number[];
  private readonly total: number;
  private readonly ratio: number;
  private readonly scale: (x: number) => number;
  private readonly byCycle: boolean;
  constructor(
    optimizer: AnyOptimizer,
    readonly options: CyclicOptions,
  ) {
    super(CyclicLR.prepare(optimizer, options), options.lastEpoch);
    const o = options;
    const n = optimizer.paramGroups.length;
    this.maxLrs = perGroup('CyclicLR', 'maxLr', o.maxLr, n);
    const up = o.stepSizeUp ?? 2000;
    const down = o.stepSizeDown ?? up;
    positive('CyclicLR', 'stepSizeUp', up);
    positive('CyclicLR', 'stepSizeDown', down);
    this.total = up + down;
    this.ratio = up / this.total;
    const mode = oneOf('CyclicLR', 'mode', o.mode ?? 'triangular', ['triangular', 'triangular2', 'exp_range']);
    const gamma = o.gamma ?? 1;
    if (o.scaleFn !== undefined) {
      this.scale = fnArg('CyclicLR', 'scaleFn', o.scaleFn);
      this.byCycle = oneOf('CyclicLR', 'scaleMode', o.scaleMode ?? 'cycle', ['cycle', 'iterations']) === 'cycle';
    } else {
      this.scale =
        mode === 'triangular' ? () => 1 : mode === 'triangular2' ? (x) => 1 / 2 ** (x - 1) : (x) => gamma ** x;
      this.byCycle = mode !== 'exp_range';
    }
    const cycle = o.cycleMomentum ?? true;
    this.baseMomenta = cycle ? optimizer.paramGroups.map((g) => momentumOf(g)!) : [];
    this.maxMomenta = cycle ? perGroup('CyclicLR', 'maxMomentum', o.maxMomentum ?? 0.9, n) : [];
    this.init();
  }
  // Sets each group's lr (and momentum) to the base values before the base class reads them.
  private static prepare(optimizer: AnyOptimizer, options: CyclicOptions): AnyOptimizer {
    if (!isOptionsObject(options))
      fail('INVALID_ARGUMENT', `CyclicLR: expected options with baseLr and maxLr, got ${describe(options)}`);
    checkOptions('CyclicLR', options, {
      baseLr: 'any',
      maxLr: 'any',
      stepSizeUp: 'number',
      stepSizeDown: 'number',
      mode: 'string',
      gamma: 'number',
      scaleFn: 'any',
      scaleMode: 'string',
      cycleMomentum: 'boolean',
      baseMomentum: 'any',
      maxMomentum: 'any',
      lastEpoch: 'integer',
    });
    checkOptimizer('CyclicLR', optimizer);
    const n = optimizer.paramGroups.length;
    const bases = perGroup('CyclicLR', 'baseLr', options.baseLr, n);
    perGroup('CyclicLR', 'maxLr', options.maxLr, n);
    const fresh = (options.lastEpoch ?? -1) === -1;
    if (fresh)
      optimizer.paramGroups.forEach((g, i) => {
        g.lr = bases[i];
        (g as { initialLr?: number }).initialLr = bases[i];
      });
    if (options.cycleMomentum ?? true) {
      if (optimizer.paramGroups.some((g) => momentumOf(g) === undefined))
        fail(
          'INVALID_ARGUMENT',
          'CyclicLR: cycleMomentum needs an optimizer with momentum or betas (pass cycleMomentum: false)',
        );
      const moms = perGroup('CyclicLR', 'baseMomentum', options.baseMomentum ?? 0.8, n);
      if (fresh) optimizer.paramGroups.forEach((g, i) => setMomentum(g, moms[i]));
    }
    return optimizer;
  }
  protected override get setsDirectly(): boolean {
    return true;
  }
  protected lrAt(e: number): number[] {
    const cycle = Math.floor(1 + e / this.total);
    const x = 1 + e / this.total - cycle;
    const f = x <= this.ratio ? x / this.ratio : (x - 1) / (this.ratio - 1);
    const s = this.scale(this.byCycle ? cycle : e);
    if (this.baseMomenta.length)
      this.optimizer.paramGroups.forEach((g, i) =>
        setMomentum(g, this.maxMomenta[i] - (this.maxMomenta[i] - this.baseMomenta[i]) * f * s),
      );
    return this.baseLrs.map((b, i) => b + (this.maxLrs[i] - b) * f * s);
  }
}

type Group = { momentum?: number; betas?: [number, number] };
const momentumOf = (g: object) => (g as Group).betas?.[0] ?? (g as Group).momentum;
function setMomentum(g: object, m: number): void {
  const gg = g as Group;
  if (gg.betas) gg.betas = [m, gg.betas[1]];
  else gg.momentum = m;
}

// Every scheduler given, on this optimizer.
function schedulersOf(op: string, optimizer: AnyOptimizer | null, v: unknown): LRScheduler[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((s) => s instanceof LRScheduler))
    fail('INVALID_ARGUMENT', `${op}: schedulers must be a non-empty list of lr schedulers, got ${describe(v)}`);
  const opt = optimizer ?? (v[0] as LRScheduler).optimizer;
  const bad = (v as LRScheduler[]).findIndex((s) => s.optimizer !== opt);
  if (bad >= 0) fail('INVALID_ARGUMENT', `${op}: scheduler ${bad} belongs to another optimizer`);
  return [...(v as LRScheduler[])];
}

/**
 * Runs schedulers one after another, switching at milestones (torch's SequentialLR): at each
 * milestone the next scheduler restarts from its epoch 0. The usual warm-up-then-decay.
 * @example new lrScheduler.SequentialLR(opt, { schedulers: [warmup, cosine], milestones: [5] })
 */
export class SequentialLR {
  readonly optimizer: AnyOptimizer;
  lastEpoch: number;
  private readonly schedulers: LRScheduler[];
  private readonly milestones: number[];
  private lastLr: number[];
  constructor(
    optimizer: AnyOptimizer,
    options: { schedulers: LRScheduler[]; milestones: number[]; lastEpoch?: number },
  ) {
    const op = 'SequentialLR';
    checkOptimizer(op, optimizer);
    const o = checkOptions(op, options, { schedulers: 'any', milestones: 'any', lastEpoch: 'integer' });
    this.schedulers = schedulersOf(op, optimizer, o.schedulers);
    const ms = o.milestones;
    if (
      !Array.isArray(ms) ||
      ms.length !== this.schedulers.length - 1 ||
      !ms.every((m, i) => Number.isSafeInteger(m) && m > 0 && (i === 0 || m > ms[i - 1]))
    )
      fail(
        'INVALID_ARGUMENT',
        `${op}: milestones must be ${this.schedulers.length - 1} increasing positive integers (one fewer than the schedulers), got ${describe(ms)}`,
      );
    this.optimizer = optimizer;
    this.milestones = [...ms];
    this.lastEpoch = (o.lastEpoch ?? -1) + 1;
    // as torch: the groups back at their initial lr, every scheduler's construction step undone,
    // and the first scheduler's epoch 0 applied
    for (const g of optimizer.paramGroups) g.lr = (g as { initialLr?: number }).initialLr ?? g.lr;
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0].step();
    this.lastLr = this.schedulers[0].getLastLr();
  }
  /** Advances one epoch: the current scheduler steps, or at a milestone the next one restarts. */
  step(): void {
    this.lastEpoch += 1;
    const idx = this.milestones.filter((m) => m <= this.lastEpoch).length;
    const s = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.restart();
    else s.step();
    this.lastLr = s.getLastLr();
  }
  /** The lr of each group after the last step(). */
  getLastLr(): number[] {
    return [...this.lastLr];
  }
  /** Its state and each scheduler's, for a checkpoint. */
  stateDict(): Record<string, unknown> {
    return {
      lastEpoch: this.lastEpoch,
      lastLr: [...this.lastLr],
      schedulers: this.schedulers.map((s) => s.stateDict()),
    };
  }
  /** Restores the state `stateDict` returned (the current scheduler's last). */
  loadStateDict(sd: Record<string, unknown>): void {
    const op = 'SequentialLR.loadStateDict';
    if (
      !isOptionsObject(sd) ||
      !Number.isSafeInteger(sd.lastEpoch) ||
      !Array.isArray(sd.schedulers) ||
      sd.schedulers.length !== this.schedulers.length
    )
      fail(
        'INVALID_ARGUMENT',
        `${op}: expected { lastEpoch, schedulers: [${this.schedulers.length} states] }, got ${describe(sd)}`,
      );
    this.lastEpoch = sd.lastEpoch as number;
    const current = this.milestones.filter((m) => m <= this.lastEpoch).length;
    const states = sd.schedulers as Record<string, unknown>[];
    this.schedulers.forEach((s, i) => i !== current && s.loadStateDict(states[i]));
    this.schedulers[current].loadStateDict(states[current]);
    this.lastLr = this.schedulers[current].getLastLr();
  }
}

/**
 * Steps several schedulers together each epoch (torch's ChainedScheduler): their factors multiply,
 * as schedulers stepped side by side do. @example new lrScheduler.ChainedScheduler([constant, exponential])
 */
export class ChainedScheduler {
  readonly optimizer: AnyOptimizer;
  private readonly schedulers: LRScheduler[];
  constructor(schedulers: LRScheduler[]) {
    this.schedulers = schedulersOf('ChainedScheduler', null, schedulers);
    this.optimizer = this.schedulers[0].optimizer;
  }
  /** Steps every scheduler in order. */
  step(): void {
    for (const s of this.schedulers) s.step();
  }
  /** The lr of each group now. */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
  /** Each scheduler's state, for a checkpoint. */
  stateDict(): Record<string, unknown> {
    return { schedulers: this.schedulers.map((s) => s.stateDict()) };
  }
  /** Restores the state `stateDict` returned (in order, so the last scheduler's lr stands). */
  loadStateDict(sd: Record<string, unknown>): void {
    if (!isOptionsObject(sd) || !Array.isArray(sd.schedulers) || sd.schedulers.length !== this.schedulers.length)
      fail(
        'INVALID_ARGUMENT',
        `ChainedScheduler.loadStateDict: expected { schedulers: [${this.schedulers.length} states] }, got ${describe(sd)}`,
      );
    this.schedulers.forEach((s, i) => s.loadStateDict((sd.schedulers as Record<string, unknown>[])[i]));
  }
}
