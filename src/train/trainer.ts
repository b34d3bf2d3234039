// The Trainer: runs fit (training epochs with periodic validation), validate, test and predict
// loops around a LightningModule, with logging, callbacks, gradient accumulation and clipping,
// learning-rate scheduling, checkpoints, and exact resume.

import { noGrad } from '../autograd.js';
import { DataLoader } from '../data/loader.js';
import { isDeviceName, type DeviceName } from '../dtype.js';
import { fail } from '../errors.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointValue } from '../io/checkpoint.js';
import { tidy } from '../memory.js';
import { Metric } from '../metrics/metric.js';
import { clipGradNorm_, clipGradValue_ } from '../nn/utils.js';
import type { OptimizerStateDict } from '../optim/optimizer.js';
import { getRngState, manualSeed, setRngState, type RngState } from '../ops/creation.js';
import { checkOptions, describe } from '../options.js';
import { Tensor } from '../tensor.js';
import { Callback, EarlyStopping, ModelCheckpoint, ProgressBar } from './callbacks.js';
import { CSVLogger, Logger } from './loggers.js';
import {
  LightningModule,
  LOG_OPTIONS,
  type AnyOptimizer,
  type LogOptions,
  type SchedulerConfig,
  type SchedulerLike,
  type StepOutput,
} from './module.js';

/** Batches: anything iterable, sync or async (a DataLoader, an array of batches, a generator). */
export type Batches = Iterable<unknown> | AsyncIterable<unknown>;
/** Loaders for fit: { train, val }, or just the training batches. */
export type FitLoaders = { train: Batches; val?: Batches } | Batches;

/** Options of `Trainer`. */
export interface TrainerOptions {
  /** Stop after this many epochs. Default 1000 (when maxSteps is not set), as Lightning. */
  maxEpochs?: number;
  /** Stop after this many optimizer steps (-1: no limit). */
  maxSteps?: number;
  /** Validate every fraction of an epoch (≤ 1) or every n training batches (an integer > 1). Default 1. */
  valCheckInterval?: number;
  /** Validate every n epochs. Default 1. */
  checkValEveryNEpoch?: number;
  /** Use only this many batches (an integer) or this fraction (≤ 1) of each loader. Default 1.0. */
  limitTrainBatches?: number;
  limitValBatches?: number;
  limitTestBatches?: number;
  limitPredictBatches?: number;
  /** Validation batches run before training to catch bugs early (results discarded). Default 2. */
  numSanityValSteps?: number;
  /** Sum gradients over this many batches per optimizer step. Default 1. */
  accumulateGradBatches?: number;
  /** Clip gradients before each step: by global norm (default) or by value. */
  gradientClipVal?: number;
  gradientClipAlgorithm?: 'norm' | 'value';
  /** Seed the random stream at the start of fit (also implied by deterministic, with seed 0). */
  seed?: number;
  /** Reproducible runs: seeds the random stream. CPU kernels are deterministic already (fixed
   * reduction order for any thread count). */
  deterministic?: boolean;
  enableProgressBar?: boolean;
  /** Add a ModelCheckpoint (saving the last epoch) unless one is given. Default true. */
  enableCheckpointing?: boolean;
  /** Loggers; true (default) means a CSVLogger under defaultRootDir, false none. */
  logger?: Logger | Logger[] | boolean;
  callbacks?: Callback[];
  /** Where logs and checkpoints go by default. Default process.cwd(). */
  defaultRootDir?: string;
  /** Device for the module and batches: 'cpu' (default), 'cuda', 'cuda:N'. */
  device?: DeviceName;
  /** Send step-level metrics to the loggers every n optimizer steps. Default 50. */
  logEveryNSteps?: number;
}

const OPTION_KINDS = {
  maxEpochs: 'integer',
  maxSteps: 'integer',
  valCheckInterval: 'number',
  checkValEveryNEpoch: 'integer',
  limitTrainBatches: 'number',
  limitValBatches: 'number',
  limitTestBatches: 'number',
  limitPredictBatches: 'number',
  numSanityValSteps: 'integer',
  accumulateGradBatches: 'integer',
  gradientClipVal: 'number',
  gradientClipAlgorithm: 'string',
  seed: 'integer',
  deterministic: 'boolean',
  enableProgressBar: 'boolean',
  enableCheckpointing: 'boolean',
  logger: 'any',
  callbacks: 'any',
  defaultRootDir: 'string',
  device: 'string',
  logEveryNSteps: 'integer',
} as const;

type Stage = 'train' | 'validate' | 'test' | 'predict';

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

// Where fit stands, saved in checkpoints: the epoch, and how many of its batches are done.
interface LoopState {
  epoch: number;
  batchesDone: number;
  epochDone: boolean;
}

function isAsync(b: Batches): b is AsyncIterable<unknown> {
  return typeof (b as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}
function checkBatches(op: string, name: string, b: unknown): Batches {
  if (
    b === null ||
    typeof b !== 'object' ||
    (typeof (b as Iterable<unknown>)[Symbol.iterator] !== 'function' &&
      typeof (b as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function')
  )
    fail(
      'INVALID_ARGUMENT',
      `${op}: ${name} must be an iterable of batches (a DataLoader, an array), got ${describe(b)}`,
    );
  return b as Batches;
}

// Every tensor in a batch (nested arrays and plain objects).
function tensorsIn(x: unknown, out: Tensor[] = []): Tensor[] {
  if (x instanceof Tensor) out.push(x);
  else if (Array.isArray(x)) for (const v of x) tensorsIn(v, out);
  else if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype)
    for (const v of Object.values(x)) tensorsIn(v, out);
  return out;
}
function mapTensors(x: unknown, f: (t: Tensor) => Tensor): unknown {
  if (x instanceof Tensor) return f(x);
  if (Array.isArray(x)) return x.map((v) => mapTensors(v, f));
  if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype)
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, mapTensors(v, f)]));
  return x;
}

/**
 * Runs the training, validation and test loops of a LightningModule.
 * @example
 * const trainer = new train.Trainer({ maxEpochs: 20, callbacks: [new train.EarlyStopping({ monitor: 'val_loss' })] });
 * const metrics = await trainer.fit(model, { train: trainLoader, val: valLoader });
 * await trainer.test(model, testLoader);
 */
export class Trainer {
  readonly maxEpochs: number;
  readonly maxSteps: number;
  readonly accumulateGradBatches: number;
  readonly callbacks: Callback[];
  readonly loggers: Logger[];
  readonly defaultRootDir: string;
  readonly device: DeviceName;
  /** Latest value of everything logged (epoch values once an epoch ends). */
  callbackMetrics: Record<string, number> = {};
  /** What was last sent to the loggers. */
  loggedMetrics: Record<string, number> = {};
  /** What the progress bar shows. */
  progressBarMetrics: Record<string, number> = {};
  currentEpoch = 0;
  /** Optimizer steps taken. */
  globalStep = 0;
  /** Set (by a callback, or the module) to end fit after the current batch. */
  shouldStop = false;
  /** True while the sanity validation runs (its results are discarded). */
  sanityChecking = false;
  /** True when the running validation is not at an epoch's end. */
  midEpoch = false;
  /** Batches of the current training epoch seen so far, and the epoch's planned count. */
  batchesThisEpoch = 0;
  numTrainingBatches: number | undefined;
  optimizers: AnyOptimizer[] = [];
  lrSchedulers: Required<SchedulerConfig>[] = [];
  /** True when fit has validation batches. */
  hasValidation = false;

  private readonly o: TrainerOptions;
  private module: LightningModule | null = null;
  private stage: Stage = 'train';
  private accums = new Map<string, Accum>();
  private stepLogged: Record<string, number> = {};
  private batchSize = 1;
  private loaders: { train?: Batches; val?: Batches } = {};
  private loop: LoopState = { epoch: 0, batchesDone: 0, epochDone: false };

  constructor(options: TrainerOptions = {}) {
    const o = checkOptions('Trainer', options, OPTION_KINDS);
    this.o = o;
    const intAtLeast = (name: keyof TrainerOptions, v: number | undefined, lo: number) => {
      if (v !== undefined && !(Number.isInteger(v) && v >= lo))
        fail('INVALID_ARGUMENT', `Trainer: ${name} must be an integer >= ${lo}, got ${describe(v)}`);
    };
    intAtLeast('maxEpochs', o.maxEpochs, 1);
    intAtLeast('maxSteps', o.maxSteps, -1);
    intAtLeast('checkValEveryNEpoch', o.checkValEveryNEpoch, 1);
    intAtLeast('accumulateGradBatches', o.accumulateGradBatches, 1);
    intAtLeast('numSanityValSteps', o.numSanityValSteps, 0);
    intAtLeast('logEveryNSteps', o.logEveryNSteps, 1);
    for (const k of [
      'limitTrainBatches',
      'limitValBatches',
      'limitTestBatches',
      'limitPredictBatches',
      'valCheckInterval',
    ] as const) {
      const v = o[k];
      if (v !== undefined && !(v > 0 && (v <= 1 || Number.isInteger(v))))
        fail(
          'INVALID_ARGUMENT',
          `Trainer: ${k} must be a fraction in (0, 1] or a positive integer, got ${describe(v)}`,
        );
    }
    if (o.gradientClipVal !== undefined && !(o.gradientClipVal > 0))
      fail('INVALID_ARGUMENT', `Trainer: gradientClipVal must be positive, got ${describe(o.gradientClipVal)}`);
    if (
      o.gradientClipAlgorithm !== undefined &&
      o.gradientClipAlgorithm !== 'norm' &&
      o.gradientClipAlgorithm !== 'value'
    )
      fail(
        'INVALID_ARGUMENT',
        `Trainer: gradientClipAlgorithm must be 'norm' or 'value', got ${describe(o.gradientClipAlgorithm)}`,
      );
    this.maxSteps = o.maxSteps ?? -1;
    this.maxEpochs = o.maxEpochs ?? (this.maxSteps === -1 ? 1000 : -1);
    this.accumulateGradBatches = o.accumulateGradBatches ?? 1;
    this.defaultRootDir = o.defaultRootDir ?? process.cwd();
    const device = o.device ?? 'cpu';
    if (!isDeviceName(device))
      fail('INVALID_ARGUMENT', `Trainer: device must be 'cpu', 'cuda' or 'cuda:N', got ${describe(o.device)}`);
    this.device = device;
    const cbs = o.callbacks ?? [];
    if (!Array.isArray(cbs) || cbs.some((c) => !(c instanceof Callback)))
      fail('INVALID_ARGUMENT', `Trainer: callbacks must be an array of Callback, got ${describe(cbs)}`);
    this.callbacks = [...cbs];
    if ((o.enableCheckpointing ?? true) && !this.callbacks.some((c) => c instanceof ModelCheckpoint))
      this.callbacks.push(new ModelCheckpoint());
    if ((o.enableProgressBar ?? true) && !this.callbacks.some((c) => c instanceof ProgressBar))
      this.callbacks.push(new ProgressBar());
    const lg = o.logger ?? true;
    if (lg === true) this.loggers = [new CSVLogger(this.defaultRootDir)];
    else if (lg === false) this.loggers = [];
    else {
      const list = Array.isArray(lg) ? lg : [lg];
      if (list.some((l) => !(l instanceof Logger)))
        fail(
          'INVALID_ARGUMENT',
          `Trainer: logger must be a Logger, an array of them, or a boolean, got ${describe(lg)}`,
        );
      this.loggers = list;
    }
  }

  /** The first logger's run directory (or defaultRootDir): where checkpoints go by default. */
  get logDir(): string {
    return this.loggers[0]?.logDir ?? this.defaultRootDir;
  }
  /** The first logger. */
  get logger(): Logger | undefined {
    return this.loggers[0];
  }
  /** The ModelCheckpoint callback, if any. */
  get checkpointCallback(): ModelCheckpoint | undefined {
    return this.callbacks.find((c): c is ModelCheckpoint => c instanceof ModelCheckpoint);
  }
  /** The EarlyStopping callback, if any. */
  get earlyStoppingCallback(): EarlyStopping | undefined {
    return this.callbacks.find((c): c is EarlyStopping => c instanceof EarlyStopping);
  }

  // ---- logging ---------------------------------------------------------------------------------

  /** @internal LightningModule.log. */
  _log(name: string, value: number | Tensor | Metric<never>, options: LogOptions): void {
    if (typeof name !== 'string' || name === '' || name === '__proto__')
      fail('INVALID_ARGUMENT', `log: the name must be a non-empty string (and not '__proto__'), got ${describe(name)}`);
    if (this.stage === 'predict')
      fail('INVALID_ARGUMENT', `log: '${name}' was logged in predictStep, which logs nothing`);
    const o = checkOptions('log', options, LOG_OPTIONS);
    const training = this.stage === 'train';
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
    const bs = o.batchSize ?? this.batchSize;
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

  /** @internal Values from callbacks (learning rates): straight to the loggers and metrics. */
  _logExternal(values: Record<string, number>): void {
    Object.assign(this.callbackMetrics, values);
    if (!this.sanityChecking) this.sendToLoggers(values);
  }

  private sendToLoggers(values: Record<string, number>): void {
    if (!Object.keys(values).length) return;
    const row = { ...values, epoch: this.currentEpoch };
    this.loggedMetrics = { ...this.loggedMetrics, ...row };
    for (const l of this.loggers) l.logMetrics(row, this.globalStep);
  }

  // Epoch values of everything logged with onEpoch: into callbackMetrics and the loggers.
  private endEpochLogging(): void {
    const out: Record<string, number> = {};
    for (const [name, a] of this.accums) {
      let v: number;
      if (a.metric) {
        if (a.metric.updateCount === 0) continue;
        const t = a.metric.compute();
        v = t.numel() === 1 ? Number(t.item()) : NaN;
        t.dispose();
        a.metric.reset();
      } else if (a.reduce === 'mean') v = a.weight ? a.total / a.weight : NaN;
      else v = a.total;
      const stepKey = `${name}_step`;
      const key = stepKey in this.callbackMetrics ? `${name}_epoch` : name;
      this.callbackMetrics[name] = v;
      this.callbackMetrics[key] = v;
      if (a.progBar) this.progressBarMetrics[name] = v;
      if (a.logger) out[key] = v;
    }
    this.accums.clear();
    if (!this.sanityChecking) this.sendToLoggers(out);
  }

  /** @internal A monitored metric's value (callbacks, schedulers); INVALID_ARGUMENT listing what was logged when it is missing. */
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

  // ---- helpers -----------------------------------------------------------------------------------

  private hook(name: string, ...args: unknown[]): void {
    const m = this.module!;
    const mh = (m as unknown as Record<string, unknown>)[name];
    if (typeof mh === 'function') (mh as (...a: unknown[]) => void).call(m, ...args);
    for (const c of this.callbacks) {
      const f = (c as unknown as Record<string, unknown>)[name];
      if (typeof f === 'function') (f as (...a: unknown[]) => void).call(c, this, m, ...args);
    }
  }
  private callbackHook(name: string, ...args: unknown[]): void {
    for (const c of this.callbacks) {
      const f = (c as unknown as Record<string, unknown>)[name];
      if (typeof f === 'function') (f as (...a: unknown[]) => void).call(c, this, this.module, ...args);
    }
  }

  private limit(b: Batches, frac: number | undefined): number | undefined {
    const len = (b as { length?: unknown }).length;
    const n = typeof len === 'number' ? len : undefined;
    if (frac === undefined || frac === 1) return n;
    if (Number.isInteger(frac) && frac > 1) return n === undefined ? frac : Math.min(frac, n);
    if (n === undefined)
      fail('INVALID_ARGUMENT', `Trainer: a fractional batch limit (${frac}) needs batches with a length`);
    return Math.max(1, Math.floor(n * frac));
  }

  private toDevice(batch: unknown): unknown {
    return this.device === 'cpu' ? batch : mapTensors(batch, (t) => t.to(this.device));
  }

  // After a step: device copies are ours; the batch itself only when a DataLoader made it (its
  // collate makes new tensors). Batches from an array or a generator belong to the caller.
  private release(raw: unknown, batch: unknown, owned: boolean): void {
    if (batch !== raw) for (const t of tensorsIn(batch)) t.dispose();
    if (owned) for (const t of tensorsIn(raw)) t.dispose();
  }

  private inferBatchSize(batch: unknown): number {
    const first = tensorsIn(batch)[0];
    return first && first.ndim > 0 ? first.shape[0] : 1;
  }

  // Calls fn on each batch (sync or async sources) up to `limit`, skipping the first `skip`
  // (freed unused); fn returns true to stop. Awaits only what is a promise, so a synchronous
  // source costs no microtask hops per batch.
  private async forEachBatch(
    b: Batches,
    limit: number | undefined,
    skip: number,
    fn: (batch: unknown, i: number) => boolean | void | Promise<boolean | void>,
  ): Promise<void> {
    const owned = b instanceof DataLoader;
    const it: Iterator<unknown> | AsyncIterator<unknown> = isAsync(b)
      ? b[Symbol.asyncIterator]()
      : (b as Iterable<unknown>)[Symbol.iterator]();
    let i = 0;
    let done = false;
    try {
      for (;;) {
        let r = it.next();
        if (r instanceof Promise) r = await r;
        if ((r as IteratorResult<unknown>).done) {
          done = true;
          return;
        }
        const batch = (r as IteratorResult<unknown>).value;
        if ((limit !== undefined && i >= limit) || i < skip) {
          this.release(batch, batch, owned);
          if (i++ >= skip) return;
          continue;
        }
        let stop = fn(batch, i++);
        if (stop instanceof Promise) stop = await stop;
        if (stop === true) return;
      }
    } finally {
      if (!done) await it.return?.(); // close a generator left mid-way
    }
  }

  private attach(module: unknown, op: string): LightningModule {
    if (!(module instanceof LightningModule))
      fail('INVALID_ARGUMENT', `Trainer.${op}: expected a LightningModule, got ${describe(module)}`);
    module._trainer = this;
    this.module = module;
    if (this.device !== 'cpu') module.to(this.device);
    return module;
  }

  private setupOptimizers(m: LightningModule): void {
    const cfg = m.configureOptimizers();
    const isOpt = (o: unknown): o is AnyOptimizer =>
      !!o &&
      typeof o === 'object' &&
      Array.isArray((o as AnyOptimizer).paramGroups) &&
      typeof (o as AnyOptimizer).step === 'function';
    this.lrSchedulers = [];
    if (isOpt(cfg)) this.optimizers = [cfg];
    else if (cfg && typeof cfg === 'object' && isOpt((cfg as { optimizer?: unknown }).optimizer)) {
      this.optimizers = [cfg.optimizer];
      const s = cfg.lrScheduler;
      if (s) {
        const conf: SchedulerConfig = 'scheduler' in s ? s : { scheduler: s as SchedulerLike };
        const c = checkOptions('configureOptimizers: lrScheduler', conf, {
          scheduler: 'any',
          interval: 'string',
          frequency: 'integer',
          monitor: 'string',
        });
        if (!c.scheduler || typeof c.scheduler.step !== 'function')
          fail(
            'INVALID_ARGUMENT',
            `configureOptimizers: lrScheduler.scheduler must be a scheduler, got ${describe(c.scheduler)}`,
          );
        if (c.interval !== undefined && c.interval !== 'epoch' && c.interval !== 'step')
          fail(
            'INVALID_ARGUMENT',
            `configureOptimizers: interval must be 'epoch' or 'step', got ${describe(c.interval)}`,
          );
        this.lrSchedulers.push({
          scheduler: c.scheduler,
          interval: c.interval ?? 'epoch',
          frequency: c.frequency ?? 1,
          monitor: c.monitor ?? '',
        });
      }
    } else
      fail(
        'INVALID_ARGUMENT',
        `configureOptimizers: expected an optimizer or { optimizer, lrScheduler }, got ${describe(cfg)}`,
      );
  }

  private stepSchedulers(interval: 'epoch' | 'step', count: number): void {
    for (const s of this.lrSchedulers) {
      if (s.interval !== interval || count % s.frequency !== 0) continue;
      if (s.monitor) s.scheduler.step(this.monitored(s.monitor, 'lrScheduler'));
      else s.scheduler.step();
    }
  }

  // ---- checkpoints -------------------------------------------------------------------------------

  /** The full training state: module, optimizers, schedulers, loop position, callbacks, RNG. */
  private checkpointState(): Record<string, CheckpointValue> {
    const m = this.module!;
    const ckpt: Record<string, unknown> = {
      epoch: this.currentEpoch,
      globalStep: this.globalStep,
      loop: { ...this.loop },
      stateDict: m.stateDict(),
      optimizerStates: this.optimizers.map((o) => o.stateDict()),
      lrSchedulers: this.lrSchedulers.map((s) => s.scheduler.stateDict()),
      callbacks: Object.fromEntries(this.callbacks.map((c) => [c.stateKey, c.stateDict()])),
      rng: getRngState(),
      loaders: Object.fromEntries(
        Object.entries(this.loaders)
          .filter(([, l]) => typeof (l as { stateDict?: unknown })?.stateDict === 'function')
          .map(([k, l]) => [k, (l as unknown as { stateDict(): unknown }).stateDict()]),
      ),
      hparams: m.hparams,
      callbackMetrics: { ...this.callbackMetrics },
    };
    m.onSaveCheckpoint?.(ckpt);
    this.callbackHook('onSaveCheckpoint', ckpt);
    return ckpt as Record<string, CheckpointValue>;
  }

  /**
   * Saves the full training state to `filePath` (atomically). Fit resumes from it exactly.
   * @example trainer.saveCheckpoint('runs/manual.ckpt')
   */
  saveCheckpoint(filePath: string): void {
    if (!this.module) fail('INVALID_ARGUMENT', 'Trainer.saveCheckpoint: no module (call fit first)');
    const state = this.checkpointState();
    try {
      saveCheckpoint(state, filePath);
    } finally {
      for (const t of Object.values(state.stateDict as Record<string, Tensor>)) t.dispose(); // views made for saving
    }
  }

  private restore(ckptPath: string, m: LightningModule, full: boolean): Record<string, CheckpointValue> {
    const ckpt = loadCheckpoint(ckptPath, { device: this.device });
    const owned = tensorsIn(ckpt);
    try {
      const sd = ckpt.stateDict as Record<string, Tensor> | undefined;
      if (!sd || typeof sd !== 'object') fail('IO_ERROR', `Trainer: '${ckptPath}' has no model state (stateDict)`);
      m.loadStateDict(sd);
      if (!full) return ckpt;
      const opts = (ckpt.optimizerStates ?? []) as unknown[];
      if (opts.length !== this.optimizers.length)
        fail(
          'IO_ERROR',
          `Trainer: '${ckptPath}' holds ${opts.length} optimizer states, the module configures ${this.optimizers.length}`,
        );
      this.optimizers.forEach((o, i) => o.loadStateDict(opts[i] as OptimizerStateDict));
      const scheds = (ckpt.lrSchedulers ?? []) as Record<string, unknown>[];
      this.lrSchedulers.forEach((s, i) => {
        if (scheds[i]) s.scheduler.loadStateDict(scheds[i]);
      });
      const cbs = (ckpt.callbacks ?? {}) as Record<string, Record<string, unknown>>;
      for (const c of this.callbacks) if (cbs[c.stateKey]) c.loadStateDict(cbs[c.stateKey]);
      this.globalStep = Number(ckpt.globalStep ?? 0);
      const loop = ckpt.loop as LoopState | undefined;
      if (loop) this.loop = { ...loop };
      this.currentEpoch = this.loop.epochDone ? this.loop.epoch + 1 : this.loop.epoch;
      Object.assign(this.callbackMetrics, (ckpt.callbackMetrics ?? {}) as Record<string, number>);
      m.onLoadCheckpoint?.(ckpt as Record<string, unknown>);
      this.callbackHook('onLoadCheckpoint', ckpt);
      return ckpt;
    } finally {
      for (const t of owned) t.dispose(); // loadStateDict calls copy
    }
  }

  // ---- loops -------------------------------------------------------------------------------------

  /**
   * Trains `module`: epochs of training batches with validation (every valCheckInterval) until
   * maxEpochs/maxSteps or a callback stops it. `ckptPath` resumes a run saved by this Trainer's
   * checkpoints: weights, optimizer and scheduler state, loop position, callbacks, RNG and the
   * loaders' shuffle position, so the result equals an uninterrupted run. Returns callbackMetrics.
   * @example await trainer.fit(model, { train: trainLoader, val: valLoader })
   */
  async fit(
    module: LightningModule,
    loaders: FitLoaders,
    options: { ckptPath?: string } = {},
  ): Promise<Record<string, number>> {
    const m = this.attach(module, 'fit');
    const { ckptPath } = checkOptions('Trainer.fit', options, { ckptPath: 'string' });
    const isPair =
      loaders !== null &&
      typeof loaders === 'object' &&
      'train' in (loaders as object) &&
      !(Symbol.iterator in (loaders as object)) &&
      !(Symbol.asyncIterator in (loaders as object));
    const trainB = checkBatches(
      'Trainer.fit',
      'the training batches',
      isPair ? (loaders as { train: Batches }).train : loaders,
    );
    const valB =
      isPair && (loaders as { val?: Batches }).val !== undefined
        ? checkBatches('Trainer.fit', 'the validation batches', (loaders as { val: Batches }).val)
        : undefined;
    this.loaders = { train: trainB, val: valB };
    this.hasValidation = valB !== undefined && (this.o.limitValBatches ?? 1) > 0;
    this.shouldStop = false;
    this.loop = { epoch: 0, batchesDone: 0, epochDone: false };
    this.currentEpoch = 0;
    this.globalStep = 0;
    if (this.o.seed !== undefined || this.o.deterministic) manualSeed(this.o.seed ?? 0);
    let status: 'success' | 'failed' = 'failed';
    try {
      this.setupOptimizers(m);
      let restored: Record<string, CheckpointValue> | undefined;
      if (ckptPath) restored = this.restore(ckptPath, m, true);
      if (Object.keys(m.hparams).length) for (const l of this.loggers) l.logHyperparams(m.hparams);
      this.hook('onFitStart');
      if (valB && (this.o.numSanityValSteps ?? 2) > 0) {
        this.sanityChecking = true;
        try {
          await this.evaluate(
            'validate',
            valB,
            Math.min(this.o.numSanityValSteps ?? 2, this.limit(valB, this.o.limitValBatches) ?? Infinity),
          );
        } finally {
          this.sanityChecking = false;
          this.callbackMetrics = restored ? { ...(restored.callbackMetrics as Record<string, number>) } : {};
          this.progressBarMetrics = {};
        }
      }
      // The loaders' shuffle positions and the random stream are put back after the sanity check,
      // which may have drawn on them.
      if (restored) {
        const ls = (restored.loaders ?? {}) as Record<string, unknown>;
        for (const [k, l] of Object.entries(this.loaders)) {
          const target = l as unknown as { loadStateDict?(s: unknown): void };
          if (ls[k] && typeof target?.loadStateDict === 'function') target.loadStateDict(ls[k]);
        }
        if (restored.rng) setRngState(restored.rng as unknown as RngState);
      }
      this.hook('onTrainStart');
      while (
        !this.shouldStop &&
        (this.maxEpochs < 0 || this.currentEpoch < this.maxEpochs) &&
        (this.maxSteps < 0 || this.globalStep < this.maxSteps)
      ) {
        await this.trainEpoch(m, trainB, valB);
        this.currentEpoch++;
      }
      this.hook('onTrainEnd');
      this.hook('onFitEnd');
      status = 'success';
      return { ...this.callbackMetrics };
    } finally {
      for (const l of this.loggers) l.finalize(status);
      m.train();
    }
  }

  private async trainEpoch(m: LightningModule, trainB: Batches, valB: Batches | undefined): Promise<void> {
    const epoch = this.currentEpoch;
    const resumeSkip = this.loop.epoch === epoch && !this.loop.epochDone ? this.loop.batchesDone : 0;
    this.loop = { epoch, batchesDone: resumeSkip, epochDone: false };
    const loader = trainB as { setEpoch?(e: number): void };
    if (typeof loader.setEpoch === 'function') loader.setEpoch(epoch);
    m.train();
    this.stage = 'train';
    this.accums.clear();
    const limit = this.limit(trainB, this.o.limitTrainBatches);
    this.numTrainingBatches = limit;
    this.batchesThisEpoch = resumeSkip;
    const valDue = valB !== undefined && this.hasValidation && (epoch + 1) % (this.o.checkValEveryNEpoch ?? 1) === 0;
    const vci = this.o.valCheckInterval ?? 1;
    const valEvery = vci > 1 ? vci : limit !== undefined ? Math.max(1, Math.floor(limit * vci)) : undefined;
    if (vci < 1 && limit === undefined)
      fail('INVALID_ARGUMENT', 'Trainer: a fractional valCheckInterval needs training batches with a length');
    const acc = this.accumulateGradBatches;
    const params = this.optimizers.flatMap((o) => o.paramGroups.flatMap((g: { params: Tensor[] }) => g.params));
    this.hook('onTrainEpochStart');
    const owned = trainB instanceof DataLoader;
    let pending = 0; // batches whose gradients await an optimizer step
    const optimizerStep = () => {
      if (this.o.gradientClipVal !== undefined) {
        const withGrad = params.filter((p) => p.grad);
        if ((this.o.gradientClipAlgorithm ?? 'norm') === 'norm') clipGradNorm_(withGrad, this.o.gradientClipVal);
        else clipGradValue_(withGrad, this.o.gradientClipVal);
      }
      for (const opt of this.optimizers) {
        opt.step();
        opt.zeroGrad();
      }
      pending = 0;
      this.globalStep++;
      this.stepSchedulers('step', this.globalStep);
      if (this.globalStep % (this.o.logEveryNSteps ?? 50) === 0) this.sendToLoggers(this.stepLogged);
    };
    await this.forEachBatch(trainB, limit, resumeSkip, (raw, i) => {
      const batch = this.toDevice(raw);
      this.batchSize = this.inferBatchSize(batch);
      this.callbackHook('onTrainBatchStart', batch, i);
      this.stepLogged = {};
      let out: StepOutput;
      try {
        out = tidy(() => {
          const o = m.trainingStep(batch, i);
          const loss =
            o instanceof Tensor ? o : o && typeof o === 'object' ? (o as { loss?: unknown }).loss : undefined;
          if (o !== null && o !== undefined && !(loss instanceof Tensor))
            fail('INVALID_ARGUMENT', `trainingStep: expected a loss Tensor, { loss }, or null, got ${describe(o)}`);
          if (loss instanceof Tensor) {
            if (loss.numel() !== 1)
              fail('INVALID_ARGUMENT', `trainingStep: the loss must be a scalar, got shape [${loss.shape.join(', ')}]`);
            (acc > 1 ? loss.div(acc) : loss).backward();
          }
          return undefined;
        });
        pending++;
        if ((i + 1) % acc === 0 || (limit !== undefined && i + 1 === limit)) optimizerStep();
      } finally {
        this.release(raw, batch, owned);
      }
      this.batchesThisEpoch = i + 1;
      this.loop.batchesDone = i + 1;
      m.onTrainBatchEnd?.(out, batch, i);
      this.callbackHook('onTrainBatchEnd', out, batch, i);
      const stop = this.shouldStop || (this.maxSteps >= 0 && this.globalStep >= this.maxSteps);
      const isLast = limit !== undefined && i + 1 === limit;
      if (!stop && valDue && valEvery !== undefined && (i + 1) % valEvery === 0 && !isLast)
        return (async () => {
          this.midEpoch = true;
          try {
            await this.evaluate('validate', valB!, this.limit(valB!, this.o.limitValBatches));
          } finally {
            this.midEpoch = false;
          }
          m.train();
          this.stage = 'train';
          return this.shouldStop;
        })();
      return stop;
    });
    // An epoch of unknown length can end mid-accumulation: its gradients still take a step.
    if (pending > 0 && !this.shouldStop) optimizerStep();
    // Epoch end: validation, the epoch's training metrics, epoch schedulers, then the hooks
    // (ModelCheckpoint saves here, so a checkpoint holds the state the next epoch starts from).
    const trainAccums = this.accums;
    this.accums = new Map();
    if (valDue && !this.shouldStop) await this.evaluate('validate', valB!, this.limit(valB!, this.o.limitValBatches));
    this.stage = 'train';
    this.accums = trainAccums;
    this.endEpochLogging();
    this.stepSchedulers('epoch', epoch + 1);
    this.loop.epochDone = true;
    this.hook('onTrainEpochEnd');
    for (const l of this.loggers) l.save();
  }

  // The validation or test loop: eval mode, no gradients; epoch metrics at the end.
  private async evaluate(stage: 'validate' | 'test', batches: Batches, limit: number | undefined): Promise<void> {
    const m = this.module!;
    const wasTraining = m.training;
    const prevStage = this.stage;
    const saved = this.accums;
    this.accums = new Map();
    this.stage = stage;
    m.eval();
    const step = stage === 'validate' ? m.validationStep : m.testStep;
    if (typeof step !== 'function')
      fail(
        'NOT_IMPLEMENTED',
        `${m.constructor.name}: ${stage === 'validate' ? 'validationStep' : 'testStep'}() is not defined`,
      );
    this.hook(stage === 'validate' ? 'onValidationEpochStart' : 'onTestEpochStart');
    this.callbackHook(stage === 'validate' ? 'onValidationStart' : 'onTestStart');
    try {
      const owned = batches instanceof DataLoader;
      await this.forEachBatch(batches, limit, 0, (raw, i) => {
        const batch = this.toDevice(raw);
        this.batchSize = this.inferBatchSize(batch);
        try {
          tidy(() =>
            noGrad(() => {
              step.call(m, batch, i);
            }),
          );
        } finally {
          this.release(raw, batch, owned);
        }
        this.callbackHook(stage === 'validate' ? 'onValidationBatchEnd' : 'onTestBatchEnd', undefined, batch, i);
      });
      this.endEpochLogging();
      this.hook(stage === 'validate' ? 'onValidationEpochEnd' : 'onTestEpochEnd');
      this.callbackHook(stage === 'validate' ? 'onValidationEnd' : 'onTestEnd');
    } finally {
      this.accums = saved;
      this.stage = prevStage;
      m.train(wasTraining);
    }
  }

  /**
   * Runs the validation loop once (optionally on weights from `ckptPath`); returns its metrics.
   * @example const { val_acc } = await trainer.validate(model, valLoader)
   */
  async validate(
    module: LightningModule,
    batches: Batches,
    options: { ckptPath?: string } = {},
  ): Promise<Record<string, number>> {
    return this.evalOnly('validate', module, batches, options);
  }

  /** Runs the test loop (testStep) once; returns the logged test metrics. @example await trainer.test(model, testLoader) */
  async test(
    module: LightningModule,
    batches: Batches,
    options: { ckptPath?: string } = {},
  ): Promise<Record<string, number>> {
    return this.evalOnly('test', module, batches, options);
  }

  private async evalOnly(
    stage: 'validate' | 'test',
    module: LightningModule,
    batches: Batches,
    options: { ckptPath?: string },
  ): Promise<Record<string, number>> {
    const m = this.attach(module, stage);
    const { ckptPath } = checkOptions(`Trainer.${stage}`, options, { ckptPath: 'string' });
    checkBatches(`Trainer.${stage}`, 'the batches', batches);
    if (ckptPath) this.restore(ckptPath, m, false);
    const before = { ...this.callbackMetrics };
    this.callbackMetrics = {};
    await this.evaluate(
      stage,
      batches,
      this.limit(batches, stage === 'test' ? this.o.limitTestBatches : this.o.limitValBatches),
    );
    for (const l of this.loggers) l.save();
    const result = { ...this.callbackMetrics };
    this.callbackMetrics = { ...before, ...result };
    return result;
  }

  /**
   * predictStep on every batch (eval mode, no gradients); returns the outputs in order (tensors
   * are the caller's to dispose).
   * @example const outs = await trainer.predict(model, loader)
   */
  async predict(module: LightningModule, batches: Batches, options: { ckptPath?: string } = {}): Promise<unknown[]> {
    const m = this.attach(module, 'predict');
    const { ckptPath } = checkOptions('Trainer.predict', options, { ckptPath: 'string' });
    checkBatches('Trainer.predict', 'the batches', batches);
    if (ckptPath) this.restore(ckptPath, m, false);
    const wasTraining = m.training;
    const prev = this.stage;
    this.stage = 'predict';
    m.eval();
    const outs: unknown[] = [];
    try {
      const owned = batches instanceof DataLoader;
      await this.forEachBatch(batches, this.limit(batches, this.o.limitPredictBatches), 0, (raw, i) => {
        const batch = this.toDevice(raw);
        try {
          outs.push(tidy(() => noGrad(() => m.predictStep(batch, i))));
        } finally {
          this.release(raw, batch, owned);
        }
      });
    } catch (e) {
      for (const t of tensorsIn(outs)) t.dispose();
      throw e;
    } finally {
      this.stage = prev;
      m.train(wasTraining);
    }
    return outs;
  }
}
