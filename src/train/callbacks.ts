// Callbacks: code the Trainer runs at fixed points of its loops, with state saved in checkpoints.
// ModelCheckpoint, EarlyStopping, LearningRateMonitor and ProgressBar are built in; subclass
// Callback for your own.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { fail } from '../errors.js';
import { checkOptions, describe, isOptionsObject } from '../options.js';
import type { LightningModule, StepOutput } from './module.js';
import { Trainer } from './trainer.js';

// The Trainer a built-in hook was called with (hooks are public, so they check it too).
function trainerArg(op: string, t: unknown): Trainer {
  if (!(t instanceof Trainer)) fail('INVALID_ARGUMENT', `${op}: expected the Trainer, got ${describe(t)}`);
  return t;
}
// A callback's saved state, as loadStateDict receives it.
function stateArg(op: string, s: unknown): Record<string, unknown> {
  if (!isOptionsObject(s)) fail('INVALID_ARGUMENT', `${op}: expected a state object, got ${describe(s)}`);
  return s as Record<string, unknown>;
}

/**
 * Base class: override the hooks you need. `stateDict()`/`loadStateDict()` carry state across
 * checkpoint and resume, keyed by `stateKey` (the class name unless two instances need telling apart).
 * @example
 * class PrintLoss extends train.Callback {
 *   onTrainEpochEnd(trainer: train.Trainer) { console.log(trainer.callbackMetrics.train_loss); }
 * }
 */
export abstract class Callback {
  /** The key this callback's state is saved under in a checkpoint: the class name by default. */
  get stateKey(): string {
    return this.constructor.name;
  }
  /** Called when `fit` starts, before the sanity validation. */
  onFitStart?(trainer: Trainer, module: LightningModule): void;
  /** Called when the training loop starts (after the sanity validation). */
  onTrainStart?(trainer: Trainer, module: LightningModule): void;
  /** Called at the start of each training epoch. */
  onTrainEpochStart?(trainer: Trainer, module: LightningModule): void;
  /** Called before each training batch. */
  onTrainBatchStart?(trainer: Trainer, module: LightningModule, batch: unknown, batchIdx: number): void;
  /** Called after each training batch, with what `trainingStep` returned. */
  onTrainBatchEnd?(
    trainer: Trainer,
    module: LightningModule,
    outputs: StepOutput,
    batch: unknown,
    batchIdx: number,
  ): void;
  /** Called when a validation run starts. */
  onValidationStart?(trainer: Trainer, module: LightningModule): void;
  /** Called after each validation batch, with what `validationStep` returned. */
  onValidationBatchEnd?(
    trainer: Trainer,
    module: LightningModule,
    outputs: unknown,
    batch: unknown,
    batchIdx: number,
  ): void;
  /** Called when a validation run ends (epoch metrics are computed by then). */
  onValidationEnd?(trainer: Trainer, module: LightningModule): void;
  /** Called at the end of each training epoch, after its validation. */
  onTrainEpochEnd?(trainer: Trainer, module: LightningModule): void;
  /** Called when the training loop ends. */
  onTrainEnd?(trainer: Trainer, module: LightningModule): void;
  /** Called when `fit` ends. */
  onFitEnd?(trainer: Trainer, module: LightningModule): void;
  /** Called when `test` starts. */
  onTestStart?(trainer: Trainer, module: LightningModule): void;
  /** Called after each test batch, with what `testStep` returned. */
  onTestBatchEnd?(trainer: Trainer, module: LightningModule, outputs: unknown, batch: unknown, batchIdx: number): void;
  /** Called when `test` ends. */
  onTestEnd?(trainer: Trainer, module: LightningModule): void;
  /** Called while a checkpoint is assembled; add to or read `checkpoint`. */
  onSaveCheckpoint?(trainer: Trainer, module: LightningModule, checkpoint: Record<string, unknown>): void;
  /** Called when a checkpoint is restored, with the loaded tree. */
  onLoadCheckpoint?(trainer: Trainer, module: LightningModule, checkpoint: Record<string, unknown>): void;
  /** This callback's state for a checkpoint (plain values); empty by default. */
  stateDict(): Record<string, unknown> {
    return {};
  }
  /** Restores the state `stateDict` returned. */
  loadStateDict(_state: Record<string, unknown>): void {}
}

/** Whether a monitored metric improves by going down ('min') or up ('max'). */
export type Mode = 'min' | 'max';

function checkMode(op: string, mode: unknown): Mode {
  if (mode !== undefined && mode !== 'min' && mode !== 'max')
    fail('INVALID_ARGUMENT', `${op}: mode must be 'min' or 'max', got ${describe(mode)}`);
  return (mode ?? 'min') as Mode;
}

/** Options of `ModelCheckpoint`. */
export interface ModelCheckpointOptions {
  /** Directory (default: <logger logDir>/checkpoints, or <defaultRootDir>/checkpoints). */
  dirpath?: string;
  /** Name template: '{epoch}', '{step}' and any logged metric, with an optional format
   * ('{val_loss:.3f}'); each becomes name=value. Default '{epoch}-{step}'. */
  filename?: string;
  /** A logged metric to rank checkpoints by (none: keep the latest). */
  monitor?: string;
  mode?: Mode;
  /** Keep the best k (-1: all, 0: none). Default 1. */
  saveTopK?: number;
  /** Also keep 'last.ckpt', overwritten each time. Default false. */
  saveLast?: boolean;
  /** Save every n epochs. Default 1. */
  everyNEpochs?: number;
}

/**
 * Saves checkpoints at the end of each epoch (after validation), keeping the best `saveTopK` by
 * `monitor` and optionally `last.ckpt`. A mid-epoch validation (valCheckInterval < 1) saves too.
 * @example new train.ModelCheckpoint({ monitor: 'val_loss', mode: 'min', saveTopK: 2, saveLast: true })
 */
export class ModelCheckpoint extends Callback {
  dirpath: string | undefined;
  readonly filename: string;
  readonly monitor: string | undefined;
  readonly mode: Mode;
  readonly saveTopK: number;
  readonly saveLast: boolean;
  readonly everyNEpochs: number;
  /** Saved paths and their scores (the kept top k). */
  bestKModels: Record<string, number> = {};
  bestModelPath = '';
  bestModelScore: number | undefined;
  lastModelPath = '';

  constructor(options: ModelCheckpointOptions = {}) {
    super();
    const o = checkOptions('ModelCheckpoint', options, {
      dirpath: 'string',
      filename: 'string',
      monitor: 'string',
      mode: 'string',
      saveTopK: 'integer',
      saveLast: 'boolean',
      everyNEpochs: 'integer',
    });
    this.dirpath = o.dirpath;
    this.filename = o.filename ?? '{epoch}-{step}';
    this.monitor = o.monitor;
    this.mode = checkMode('ModelCheckpoint', o.mode);
    this.saveTopK = o.saveTopK ?? 1;
    if (this.saveTopK < -1)
      fail('INVALID_ARGUMENT', `ModelCheckpoint: saveTopK must be -1, 0 or positive, got ${this.saveTopK}`);
    if (this.saveTopK > 1 && !this.monitor)
      fail('INVALID_ARGUMENT', `ModelCheckpoint: saveTopK=${this.saveTopK} needs a monitor to rank checkpoints by`);
    this.saveLast = o.saveLast ?? false;
    this.everyNEpochs = o.everyNEpochs ?? 1;
    if (this.everyNEpochs < 1)
      fail('INVALID_ARGUMENT', `ModelCheckpoint: everyNEpochs must be >= 1, got ${this.everyNEpochs}`);
  }

  override get stateKey(): string {
    return `ModelCheckpoint{monitor=${this.monitor ?? ''},mode=${this.mode}}`;
  }

  override onFitStart(trainer: Trainer): void {
    this.dirpath ??= path.join(trainerArg('ModelCheckpoint.onFitStart', trainer).logDir, 'checkpoints');
  }
  override onValidationEnd(trainer: Trainer, module: LightningModule): void {
    if (trainerArg('ModelCheckpoint.onValidationEnd', trainer).sanityChecking || !trainer.midEpoch) return;
    this.save(trainer, module);
  }
  override onTrainEpochEnd(trainer: Trainer, module: LightningModule): void {
    if ((trainerArg('ModelCheckpoint.onTrainEpochEnd', trainer).currentEpoch + 1) % this.everyNEpochs === 0)
      this.save(trainer, module);
  }

  // The file name for the current state: the template with its fields filled in.
  private formatName(trainer: Trainer): string {
    const values: Record<string, number> = {
      ...trainer.callbackMetrics,
      epoch: trainer.currentEpoch,
      step: trainer.globalStep,
    };
    return this.filename.replace(/\{([^}:]+)(?::([^}]*))?\}/g, (_m, key: string, fmt: string | undefined) => {
      const v = values[key];
      if (v === undefined)
        fail(
          'INVALID_ARGUMENT',
          `ModelCheckpoint: the filename uses '${key}', which was not logged (logged: ${Object.keys(trainer.callbackMetrics).join(', ') || 'nothing'})`,
        );
      const m = fmt && /^\.(\d+)f$/.exec(fmt);
      return `${key}=${m ? v.toFixed(Number(m[1])) : Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)))}`;
    });
  }

  private better(a: number, b: number): boolean {
    if (Number.isNaN(a)) return false;
    if (Number.isNaN(b)) return true;
    return this.mode === 'min' ? a < b : a > b;
  }

  private save(trainer: Trainer, module: LightningModule): void {
    const dir = this.dirpath ?? path.join(trainer.logDir, 'checkpoints');
    if (this.saveTopK !== 0) {
      let score: number | undefined;
      if (this.monitor) score = trainer.monitored(this.monitor, 'ModelCheckpoint');
      const file = path.join(dir, `${this.formatName(trainer)}.ckpt`);
      const entries = Object.entries(this.bestKModels);
      if (!this.monitor) {
        // No ranking: keep the latest k.
        trainer.saveCheckpoint(file);
        this.bestKModels[file] = trainer.globalStep;
        const order = Object.entries(this.bestKModels).sort((a, b) => b[1] - a[1]);
        for (const [f] of this.saveTopK > 0 ? order.slice(this.saveTopK) : []) this.remove(f);
        this.bestModelPath = file;
      } else {
        const worst = entries.sort((a, b) => (this.better(a[1], b[1]) ? -1 : 1)).at(-1);
        const full = this.saveTopK !== -1 && entries.length >= this.saveTopK;
        if (!full || (worst && this.better(score!, worst[1]))) {
          trainer.saveCheckpoint(file);
          this.bestKModels[file] = score!;
          if (full && worst && worst[0] !== file) this.remove(worst[0]);
          const best = Object.entries(this.bestKModels).sort((a, b) => (this.better(a[1], b[1]) ? -1 : 1))[0];
          this.bestModelPath = best[0];
          this.bestModelScore = best[1];
        }
      }
    }
    if (this.saveLast) {
      this.lastModelPath = path.join(dir, 'last.ckpt');
      trainer.saveCheckpoint(this.lastModelPath);
    }
    void module;
  }

  private remove(file: string): void {
    delete this.bestKModels[file];
    fs.rmSync(file, { force: true });
  }

  override stateDict(): Record<string, unknown> {
    return {
      bestKModels: { ...this.bestKModels },
      bestModelPath: this.bestModelPath,
      bestModelScore: this.bestModelScore ?? null,
      lastModelPath: this.lastModelPath,
      dirpath: this.dirpath ?? null,
    };
  }
  override loadStateDict(state: Record<string, unknown>): void {
    const s = stateArg('ModelCheckpoint.loadStateDict', state);
    const best = s.bestKModels ?? {};
    if (!isOptionsObject(best) || Object.values(best).some((v) => typeof v !== 'number'))
      fail(
        'INVALID_ARGUMENT',
        `ModelCheckpoint.loadStateDict: bestKModels must map paths to scores, got ${describe(best)}`,
      );
    this.bestKModels = { ...(best as Record<string, number>) };
    this.bestModelPath = String(s.bestModelPath ?? '');
    this.bestModelScore = typeof s.bestModelScore === 'number' ? s.bestModelScore : undefined;
    this.lastModelPath = String(s.lastModelPath ?? '');
  }
}

/** Options of `EarlyStopping`. */
export interface EarlyStoppingOptions {
  monitor: string;
  mode?: Mode;
  /** Validation checks without improvement before stopping. Default 3. */
  patience?: number;
  /** The least change that counts as an improvement. Default 0. */
  minDelta?: number;
  /** Stop when the value reaches this. */
  stoppingThreshold?: number;
  /** Stop when the value gets worse than this. */
  divergenceThreshold?: number;
  /** Stop on NaN or infinity. Default true. */
  checkFinite?: boolean;
}

/**
 * Stops training when a monitored metric stops improving for `patience` validation checks (or
 * at the end of training epochs when there is no validation).
 * @example new train.EarlyStopping({ monitor: 'val_loss', patience: 5 })
 */
export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly mode: Mode;
  readonly patience: number;
  readonly minDelta: number;
  wait = 0;
  best: number;
  stoppedEpoch = 0;
  /** Why training stopped, if it did. */
  reason = '';
  private readonly o: EarlyStoppingOptions;

  constructor(options: EarlyStoppingOptions) {
    super();
    const o = checkOptions('EarlyStopping', options, {
      monitor: 'string',
      mode: 'string',
      patience: 'integer',
      minDelta: 'number',
      stoppingThreshold: 'number',
      divergenceThreshold: 'number',
      checkFinite: 'boolean',
    });
    if (typeof o.monitor !== 'string')
      fail('INVALID_ARGUMENT', `EarlyStopping: 'monitor' is required, got ${describe(o.monitor)}`);
    this.o = o;
    this.monitor = o.monitor;
    this.mode = checkMode('EarlyStopping', o.mode);
    this.patience = o.patience ?? 3;
    if (this.patience < 0) fail('INVALID_ARGUMENT', `EarlyStopping: patience must be >= 0, got ${this.patience}`);
    this.minDelta = Math.abs(o.minDelta ?? 0);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  override get stateKey(): string {
    return `EarlyStopping{monitor=${this.monitor},mode=${this.mode}}`;
  }

  override onValidationEnd(trainer: Trainer): void {
    if (!trainerArg('EarlyStopping.onValidationEnd', trainer).sanityChecking) this.check(trainer);
  }
  override onTrainEpochEnd(trainer: Trainer): void {
    if (!trainerArg('EarlyStopping.onTrainEpochEnd', trainer).hasValidation) this.check(trainer);
  }

  private check(trainer: Trainer): void {
    const v = trainer.monitored(this.monitor, 'EarlyStopping');
    const sign = this.mode === 'min' ? 1 : -1;
    let stop = false;
    if ((this.o.checkFinite ?? true) && !Number.isFinite(v)) {
      stop = true;
      this.reason = `${this.monitor} = ${v} is not finite`;
    } else if (this.o.stoppingThreshold !== undefined && sign * (v - this.o.stoppingThreshold) <= 0) {
      stop = true;
      this.reason = `${this.monitor} = ${v} reached the stopping threshold ${this.o.stoppingThreshold}`;
    } else if (this.o.divergenceThreshold !== undefined && sign * (v - this.o.divergenceThreshold) > 0) {
      stop = true;
      this.reason = `${this.monitor} = ${v} passed the divergence threshold ${this.o.divergenceThreshold}`;
    } else if (sign * (v - this.best) < -this.minDelta) {
      this.best = v;
      this.wait = 0;
    } else {
      this.wait += 1;
      if (this.wait >= this.patience) {
        stop = true;
        this.reason = `${this.monitor} did not improve by more than ${this.minDelta} in ${this.wait} checks (best ${this.best})`;
      }
    }
    if (stop) {
      this.stoppedEpoch = trainer.currentEpoch;
      trainer.shouldStop = true;
    }
  }

  override stateDict(): Record<string, unknown> {
    return { wait: this.wait, best: this.best, stoppedEpoch: this.stoppedEpoch };
  }
  override loadStateDict(state: Record<string, unknown>): void {
    const s = stateArg('EarlyStopping.loadStateDict', state);
    if (typeof s.best !== 'number' || (s.wait !== undefined && !Number.isSafeInteger(s.wait)))
      fail(
        'INVALID_ARGUMENT',
        `EarlyStopping.loadStateDict: expected { wait, best, stoppedEpoch }, got ${describe(s)}`,
      );
    this.wait = Number(s.wait ?? 0);
    this.best = Number(s.best);
    this.stoppedEpoch = Number(s.stoppedEpoch ?? 0);
  }
}

/**
 * Logs each optimizer's learning rate as 'lr-<Optimizer>' ('lr-<Optimizer>/pg<i>' for several
 * parameter groups), every epoch or every step.
 * @example new train.LearningRateMonitor({ loggingInterval: 'step' })
 */
export class LearningRateMonitor extends Callback {
  readonly loggingInterval: 'epoch' | 'step';
  constructor(options: { loggingInterval?: 'epoch' | 'step' } = {}) {
    super();
    const o = checkOptions('LearningRateMonitor', options, { loggingInterval: 'string' });
    if (o.loggingInterval !== undefined && o.loggingInterval !== 'epoch' && o.loggingInterval !== 'step')
      fail(
        'INVALID_ARGUMENT',
        `LearningRateMonitor: loggingInterval must be 'epoch' or 'step', got ${describe(o.loggingInterval)}`,
      );
    this.loggingInterval = o.loggingInterval ?? 'epoch';
  }
  // The current learning rates by log name.
  private rates(trainer: Trainer): Record<string, number> {
    const out: Record<string, number> = {};
    const seen = new Map<string, number>();
    for (const opt of trainer.optimizers) {
      const base = `lr-${opt.constructor.name}`;
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      const name = n ? `${base}-${n}` : base;
      const groups = opt.paramGroups as { lr: number }[];
      groups.forEach((g, i) => {
        out[groups.length > 1 ? `${name}/pg${i + 1}` : name] = g.lr;
      });
    }
    return out;
  }
  override onTrainEpochStart(trainer: Trainer): void {
    trainerArg('LearningRateMonitor.onTrainEpochStart', trainer);
    if (this.loggingInterval === 'epoch') trainer._logExternal(this.rates(trainer));
  }
  override onTrainBatchStart(trainer: Trainer, _m: LightningModule, _b: unknown, batchIdx: number): void {
    trainerArg('LearningRateMonitor.onTrainBatchStart', trainer);
    if (!Number.isSafeInteger(batchIdx))
      fail(
        'INVALID_ARGUMENT',
        `LearningRateMonitor.onTrainBatchStart: batchIdx must be an integer, got ${describe(batchIdx)}`,
      );
    if (this.loggingInterval === 'step' && batchIdx % trainer.accumulateGradBatches === 0)
      trainer._logExternal(this.rates(trainer));
  }
}

/** Options of `ProgressBar`. */
export interface ProgressBarOptions {
  /** Where to write (default process.stderr). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Non-TTY output: at most one line per this many seconds (besides epoch ends). Default 10. */
  printIntervalS?: number;
}

/**
 * Epoch, step, it/s, ETA and the progress-bar metrics: one redrawn line on a terminal, plain
 * lines (at each epoch's end and every printIntervalS seconds) otherwise. The Trainer adds one
 * unless enableProgressBar is false.
 */
export class ProgressBar extends Callback {
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly interval: number;
  private start = 0;
  private lastPrint = 0;
  private total: number | undefined;
  private readonly tty: boolean;

  constructor(options: ProgressBarOptions = {}) {
    super();
    const o = checkOptions('ProgressBar', options, { stream: 'any', printIntervalS: 'number' });
    if (o.stream !== undefined && typeof (o.stream as { write?: unknown })?.write !== 'function')
      fail('INVALID_ARGUMENT', `ProgressBar: stream must be a writable stream, got ${describe(o.stream)}`);
    this.stream = o.stream ?? process.stderr;
    this.interval = (o.printIntervalS ?? 10) * 1000;
    this.tty = Boolean(this.stream.isTTY);
  }

  private metrics(trainer: Trainer): string {
    return Object.entries(trainer.progressBarMetrics)
      .map(([k, v]) => `${k}=${fmt(v)}`)
      .join(' ');
  }

  // The status line for the current batch.
  private line(trainer: Trainer, batchIdx: number): string {
    const done = batchIdx + 1;
    const elapsed = (Date.now() - this.start) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const of = this.total !== undefined ? `/${this.total}` : '';
    const pct = this.total ? ` ${String(Math.floor((100 * done) / this.total)).padStart(3)}%` : '';
    const eta = this.total && rate > 0 ? ` eta ${duration((this.total - done) / rate)}` : '';
    const ep = trainer.maxEpochs > 0 ? `/${trainer.maxEpochs}` : '';
    return `Epoch ${trainer.currentEpoch + 1}${ep}${pct} ${done}${of} [${duration(elapsed)}${eta}, ${rate.toFixed(rate < 10 ? 2 : 1)} it/s] ${this.metrics(trainer)}`.trimEnd();
  }

  override onTrainEpochStart(trainer: Trainer): void {
    trainerArg('ProgressBar.onTrainEpochStart', trainer);
    this.start = Date.now();
    this.lastPrint = this.start;
    this.total = trainer.numTrainingBatches;
  }
  override onTrainBatchEnd(trainer: Trainer, _m: LightningModule, _o: StepOutput, _b: unknown, batchIdx: number): void {
    trainerArg('ProgressBar.onTrainBatchEnd', trainer);
    if (!Number.isSafeInteger(batchIdx))
      fail('INVALID_ARGUMENT', `ProgressBar.onTrainBatchEnd: batchIdx must be an integer, got ${describe(batchIdx)}`);
    const now = Date.now();
    if (this.tty) {
      if (now - this.lastPrint < 100 && batchIdx + 1 !== this.total) return; // at most 10 redraws a second
      this.stream.write(`\r\x1b[2K${this.line(trainer, batchIdx)}`);
    } else {
      if (now - this.lastPrint < this.interval) return;
      this.stream.write(`${this.line(trainer, batchIdx)}\n`);
    }
    this.lastPrint = now;
  }
  override onTrainEpochEnd(trainer: Trainer): void {
    trainerArg('ProgressBar.onTrainEpochEnd', trainer);
    const n = (this.total ?? trainer.batchesThisEpoch) - 1;
    this.stream.write(
      `${this.tty ? '\r\x1b[2K' : ''}${this.line(trainer, Math.max(n, trainer.batchesThisEpoch - 1))}\n`,
    );
  }
  override onTestEnd(trainer: Trainer): void {
    trainerArg('ProgressBar.onTestEnd', trainer);
    const m = Object.entries(trainer.callbackMetrics)
      .map(([k, v]) => `${k}=${fmt(v)}`)
      .join(' ');
    this.stream.write(`Test: ${m}\n`);
  }
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? v.toFixed(4) : v.toExponential(3);
}
function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60),
    sec = Math.floor(s % 60);
  return m >= 60
    ? `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}:${String(sec).padStart(2, '0')}`
    : `${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
}
