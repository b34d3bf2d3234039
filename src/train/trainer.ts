// The Trainer: runs fit (training epochs with periodic validation), validate, test and predict
// loops around a LightningModule, with logging, callbacks, gradient accumulation and clipping,
// learning-rate scheduling, checkpoints, and exact resume.

import { noGrad } from '../autograd.js';
import { DataLoader } from '../data/loader.js';
import type { DeviceName } from '../dtype.js';
import { fail } from '../errors.js';
import { saveCheckpoint, type CheckpointValue } from '../io/checkpoint.js';
import { tidy } from '../memory.js';
import { Metric } from '../metrics/metric.js';
import { clipGradNorm_, clipGradValue_ } from '../nn/utils.js';
import { manualSeed, setRngState, type RngState } from '../ops/creation.js';
import { checkOptions, describe } from '../options.js';
import { Tensor } from '../tensor.js';
import { EarlyStopping, ModelCheckpoint, type Callback } from './callbacks.js';
import type { Logger } from './loggers.js';
import {
  LightningModule,
  type AnyOptimizer,
  type LogOptions,
  type SchedulerConfig,
  type SchedulerLike,
  type StepOutput,
} from './module.js';
import {
  batchLimit,
  checkBatches,
  forEachBatch,
  inferBatchSize,
  releaseBatch,
  tensorsIn,
  toDevice,
  type Batches,
  type FitLoaders,
} from './batches.js';
import { checkpointState, restoreCheckpoint, type LoopState, type RunParts } from './checkpoint_state.js';
import { PrecisionPlugin } from './precision.js';
import { MetricLog, type Stage } from './logging.js';
import type { Strategy } from './strategy.js';
import { trainerSettings, type TrainerOptions } from './trainer_options.js';

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
  /** The 'ddp' strategy's process group view, or undefined for one process. */
  readonly strategy: Strategy | undefined;

  private readonly o: TrainerOptions;
  private module: LightningModule | null = null;
  private stage: Stage = 'train';
  private readonly logs: MetricLog;
  private batchSize = 1;
  private loaders: { train?: Batches; val?: Batches } = {};
  private loop: LoopState = { epoch: 0, batchesDone: 0, epochDone: false };
  private readonly precision: PrecisionPlugin;

  constructor(options: TrainerOptions = {}) {
    const s = trainerSettings(options);
    this.o = s.o;
    this.maxEpochs = s.maxEpochs;
    this.maxSteps = s.maxSteps;
    this.accumulateGradBatches = s.accumulateGradBatches;
    this.defaultRootDir = s.defaultRootDir;
    this.device = s.device;
    this.callbacks = s.callbacks;
    this.loggers = s.loggers;
    this.strategy = s.strategy;
    this.precision = new PrecisionPlugin(s.precision, this.device);
    this.logs = new MetricLog(this.loggers, this.strategy && ((v, op) => this.strategy!.reduce(v, op)));
  }

  /** Latest value of everything logged (epoch values once an epoch ends). */
  get callbackMetrics(): Record<string, number> {
    return this.logs.callbackMetrics;
  }
  /** Replaces the record (the loops reset it between runs). */
  set callbackMetrics(v: Record<string, number>) {
    this.logs.callbackMetrics = v;
  }
  /** What was last sent to the loggers. */
  get loggedMetrics(): Record<string, number> {
    return this.logs.loggedMetrics;
  }
  /** What the progress bar shows. */
  get progressBarMetrics(): Record<string, number> {
    return this.logs.progressBarMetrics;
  }

  /** @internal LightningModule.log. */
  _log(name: string, value: number | Tensor | Metric<never>, options: LogOptions): void {
    this.logs.log(name, value, options, this.stage, this.batchSize);
  }
  /** @internal Values from callbacks (learning rates): straight to the loggers and metrics. */
  _logExternal(values: Record<string, number>): void {
    Object.assign(this.callbackMetrics, values);
    if (!this.sanityChecking) this.logs.send(values, this.currentEpoch, this.globalStep);
  }
  /** @internal A monitored metric's value (callbacks, schedulers); INVALID_ARGUMENT listing what was logged when it is missing. */
  monitored(name: string, who: string): number {
    return this.logs.monitored(name, who);
  }
  private endEpochLogging(): void {
    this.logs.endEpoch(this.sanityChecking, this.currentEpoch, this.globalStep);
  }

  /** Whether this process is rank 0 (always, without a distributed strategy): it logs and saves. */
  get isGlobalZero(): boolean {
    return !this.strategy || this.strategy.rank === 0;
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

  private parts(): RunParts {
    return {
      module: this.module!,
      optimizers: this.optimizers,
      lrSchedulers: this.lrSchedulers,
      callbacks: this.callbacks,
      loaders: this.loaders,
    };
  }

  /**
   * Saves the full training state to `filePath` (atomically). Fit resumes from it exactly.
   * @example trainer.saveCheckpoint('runs/manual.ckpt')
   */
  saveCheckpoint(filePath: string): void {
    if (!this.module) fail('INVALID_ARGUMENT', 'Trainer.saveCheckpoint: no module (call fit first)');
    if (!this.isGlobalZero) return; // the replicas are equal: rank 0 writes for the job
    const m = this.module;
    const pos = {
      currentEpoch: this.currentEpoch,
      globalStep: this.globalStep,
      loop: this.loop,
      callbackMetrics: this.callbackMetrics,
    };
    const state = checkpointState(this.parts(), pos, (ckpt) => {
      const scaler = this.precision.stateDict();
      if (scaler) ckpt.gradScaler = { ...scaler };
      m.onSaveCheckpoint?.(ckpt);
      this.callbackHook('onSaveCheckpoint', ckpt);
    });
    try {
      saveCheckpoint(state, filePath);
    } finally {
      for (const t of Object.values(state.stateDict as Record<string, Tensor>)) t.dispose(); // views made for saving
    }
  }

  private restore(ckptPath: string, m: LightningModule, full: boolean): Record<string, CheckpointValue> {
    return restoreCheckpoint(ckptPath, this.device, this.parts(), full, (ckpt, pos) => {
      if (!pos) return;
      this.globalStep = pos.globalStep;
      this.loop = pos.loop;
      this.currentEpoch = this.loop.epochDone ? this.loop.epoch + 1 : this.loop.epoch;
      Object.assign(this.callbackMetrics, pos.callbackMetrics);
      this.precision.loadStateDict(ckpt.gradScaler);
      m.onLoadCheckpoint?.(ckpt as Record<string, unknown>);
      this.callbackHook('onLoadCheckpoint', ckpt);
    });
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
    this.loaders = {
      train: this.strategy ? this.strategy.distribute(trainB) : trainB,
      val: valB && this.strategy ? this.strategy.distribute(valB) : valB,
    };
    this.hasValidation = valB !== undefined && (this.o.limitValBatches ?? 1) > 0;
    this.shouldStop = false;
    this.loop = { epoch: 0, batchesDone: 0, epochDone: false };
    this.currentEpoch = 0;
    this.globalStep = 0;
    if (this.o.seed !== undefined || this.o.deterministic) manualSeed(this.o.seed ?? 0);
    let status: 'success' | 'failed' = 'failed';
    try {
      this.setupOptimizers(m);
      this.strategy?.setup(m);
      let restored: Record<string, CheckpointValue> | undefined;
      if (ckptPath) restored = this.restore(ckptPath, m, true);
      if (Object.keys(m.hparams).length) for (const l of this.loggers) l.logHyperparams(m.hparams);
      this.hook('onFitStart');
      if (valB && (this.o.numSanityValSteps ?? 2) > 0) {
        this.sanityChecking = true;
        try {
          await this.evaluate(
            'validate',
            this.loaders.val!,
            Math.min(this.o.numSanityValSteps ?? 2, batchLimit(this.loaders.val!, this.o.limitValBatches) ?? Infinity),
          );
        } finally {
          this.sanityChecking = false;
          this.callbackMetrics = restored ? { ...(restored.callbackMetrics as Record<string, number>) } : {};
          this.logs.progressBarMetrics = {};
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
        await this.trainEpoch(m, this.loaders.train!, this.loaders.val);
        this.currentEpoch++;
      }
      this.hook('onTrainEnd');
      this.hook('onFitEnd');
      status = 'success';
      return { ...this.callbackMetrics };
    } finally {
      this.strategy?.teardown();
      for (const l of this.loggers) l.finalize(status);
      m.train();
    }
  }

  private async trainEpoch(m: LightningModule, trainB: Batches, valB: Batches | undefined): Promise<void> {
    const epoch = this.currentEpoch;
    const resumeSkip = this.loop.epoch === epoch && !this.loop.epochDone ? this.loop.batchesDone : 0;
    this.loop = { epoch, batchesDone: resumeSkip, epochDone: false };
    const loader = trainB as { setEpoch?(e: number, batch?: number): void };
    // A DataLoader skips the batches a resumed epoch already did without loading them; other
    // batch sources are read and the done ones dropped.
    const skipsItself = trainB instanceof DataLoader && resumeSkip > 0;
    if (typeof loader.setEpoch === 'function') loader.setEpoch(epoch, ...(skipsItself ? [resumeSkip] : []));
    m.train();
    this.stage = 'train';
    this.logs.accums.clear();
    const limit = batchLimit(trainB, this.o.limitTrainBatches);
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
        this.precision.unscale(this.optimizers);
        const withGrad = params.filter((p) => p.grad);
        if ((this.o.gradientClipAlgorithm ?? 'norm') === 'norm') clipGradNorm_(withGrad, this.o.gradientClipVal);
        else clipGradValue_(withGrad, this.o.gradientClipVal);
      }
      for (const opt of this.optimizers) {
        this.precision.step(opt);
        opt.zeroGrad();
      }
      this.precision.update();
      pending = 0;
      this.globalStep++;
      this.stepSchedulers('step', this.globalStep);
      if (this.globalStep % (this.o.logEveryNSteps ?? 50) === 0)
        this.logs.send(this.logs.stepLogged, this.currentEpoch, this.globalStep);
    };
    await forEachBatch(trainB, limit, resumeSkip, skipsItself, (raw, i) => {
      const batch = toDevice(raw, this.device);
      this.batchSize = inferBatchSize(batch);
      this.callbackHook('onTrainBatchStart', batch, i);
      this.logs.stepLogged = {};
      let out: StepOutput;
      try {
        out = tidy(() => {
          const o = this.precision.forward(() => m.trainingStep(batch, i));
          const loss =
            o instanceof Tensor ? o : o && typeof o === 'object' ? (o as { loss?: unknown }).loss : undefined;
          if (o !== null && o !== undefined && !(loss instanceof Tensor))
            fail('INVALID_ARGUMENT', `trainingStep: expected a loss Tensor, { loss }, or null, got ${describe(o)}`);
          if (loss instanceof Tensor) {
            if (loss.numel() !== 1)
              fail('INVALID_ARGUMENT', `trainingStep: the loss must be a scalar, got shape [${loss.shape.join(', ')}]`);
            const scaled = acc > 1 ? loss.div(acc) : loss;
            // Accumulating batches keep their gradients local; the step's last one averages them.
            const last = (i + 1) % acc === 0 || (limit !== undefined && i + 1 === limit);
            if (this.strategy && !last) this.strategy.noSync(() => this.precision.backward(scaled));
            else this.precision.backward(scaled);
          }
          return undefined;
        });
        pending++;
        if ((i + 1) % acc === 0 || (limit !== undefined && i + 1 === limit)) optimizerStep();
      } finally {
        releaseBatch(raw, batch, owned);
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
            await this.evaluate('validate', valB!, batchLimit(valB!, this.o.limitValBatches));
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
    const trainAccums = this.logs.accums;
    this.logs.accums = new Map();
    if (valDue && !this.shouldStop) await this.evaluate('validate', valB!, batchLimit(valB!, this.o.limitValBatches));
    this.stage = 'train';
    this.logs.accums = trainAccums;
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
    const saved = this.logs.accums;
    this.logs.accums = new Map();
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
      await forEachBatch(batches, limit, 0, false, (raw, i) => {
        const batch = toDevice(raw, this.device);
        this.batchSize = inferBatchSize(batch);
        try {
          tidy(() =>
            noGrad(() => {
              this.precision.forward(() => step.call(m, batch, i));
            }),
          );
        } finally {
          releaseBatch(raw, batch, owned);
        }
        this.callbackHook(stage === 'validate' ? 'onValidationBatchEnd' : 'onTestBatchEnd', undefined, batch, i);
      });
      this.endEpochLogging();
      this.hook(stage === 'validate' ? 'onValidationEpochEnd' : 'onTestEpochEnd');
      this.callbackHook(stage === 'validate' ? 'onValidationEnd' : 'onTestEnd');
    } finally {
      this.logs.accums = saved;
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
      batchLimit(batches, stage === 'test' ? this.o.limitTestBatches : this.o.limitValBatches),
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
      await forEachBatch(batches, batchLimit(batches, this.o.limitPredictBatches), 0, false, (raw, i) => {
        const batch = toDevice(raw, this.device);
        try {
          outs.push(tidy(() => noGrad(() => this.precision.forward(() => m.predictStep(batch, i)))));
        } finally {
          releaseBatch(raw, batch, owned);
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
