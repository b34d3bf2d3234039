// LightningModule: an nn.Module that also says how to train itself — its step functions, its
// optimizers, and what to log. The Trainer runs the loops around it.
import { fail } from '../errors.js';
import { checkOptions, describe, isOptionsObject, str } from '../options.js';
import type { Metric } from '../metrics/metric.js';
import { Module } from '../nn/module.js';
import type { Tensor } from '../tensor.js';
import type { Trainer } from './trainer.js';

/** Where a logged value goes and how its epoch value is reduced over batches. */
export interface LogOptions {
  /** Log the value at this step (default: true in training, false in validation/test). */
  onStep?: boolean;
  /** Reduce over the epoch and log at its end (default: false in training, true elsewhere). */
  onEpoch?: boolean;
  /** Show it in the progress bar. Default false. */
  progBar?: boolean;
  /** Send it to the loggers. Default true. */
  logger?: boolean;
  /** The epoch reduction: 'mean' (weighted by batch size, default), 'sum', 'max', 'min'. */
  reduceFx?: 'mean' | 'sum' | 'max' | 'min';
  /** The batch size for the weighted mean (default: the first dimension of the batch). */
  batchSize?: number;
}

/** The kinds of LogOptions, checked by log() and by the Trainer. */
export const LOG_OPTIONS = {
  onStep: 'boolean',
  onEpoch: 'boolean',
  progBar: 'boolean',
  logger: 'boolean',
  reduceFx: 'string',
  batchSize: 'integer',
} as const;

/** Anything with the schedulers' step() (ReduceLROnPlateau's takes the monitored value). */
export interface SchedulerLike {
  /** Advances the schedule (by an epoch or a step, as the config says). */
  step(metric?: number): void;
  /** The scheduler's state for a checkpoint. */
  stateDict(): Record<string, unknown>;
  /** Restores the state `stateDict` returned. */
  loadStateDict(sd: Record<string, unknown>): void;
  /** The learning rate of each parameter group after the last step. */
  getLastLr?(): number[];
}
/** A scheduler as `configureOptimizers` returns it, with when to step it. */
export interface SchedulerConfig {
  /** The scheduler to step. */
  scheduler: SchedulerLike;
  /** Step after every epoch (default) or every optimizer step. */
  interval?: 'epoch' | 'step';
  /** Step every `frequency` intervals. Default 1. */
  frequency?: number;
  /** The logged metric passed to step() (ReduceLROnPlateau). */
  monitor?: string;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type { AnyOptimizer } from '../optim/lr_scheduler.js';
import type { AnyOptimizer } from '../optim/lr_scheduler.js';
/** What configureOptimizers() returns: an optimizer, or an optimizer with a scheduler. */
export type OptimizerConfig = AnyOptimizer | { optimizer: AnyOptimizer; lrScheduler?: SchedulerLike | SchedulerConfig };
/** What trainingStep() returns: the loss, an object holding it, or null to skip the batch. */
export type StepOutput = Tensor | { loss: Tensor; [k: string]: unknown } | null | undefined | void;

/**
 * Subclass it: define `trainingStep` and `configureOptimizers` (and `validationStep`,
 * `testStep`, `predictStep` as needed), then `await new Trainer({ maxEpochs: 10 }).fit(model, loaders)`.
 * @example
 * class Classifier extends train.LightningModule {
 *   net = new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Linear(16, 3));
 *   forward(x: Tensor) { return this.net.forward(x); }
 *   trainingStep([x, y]: Tensor[]) {
 *     const loss = nn.functional.crossEntropy(this.forward(x), y);
 *     this.log('train_loss', loss, { progBar: true });
 *     return loss;
 *   }
 *   configureOptimizers() { return new optim.Adam(this.parameters(), { lr: 1e-2 }); }
 * }
 */
export abstract class LightningModule extends Module {
  /** @internal The Trainer running this module (set by fit/validate/test/predict). */
  _trainer: Trainer | null = null;
  /** Hyperparameters (saveHyperparameters), sent to the loggers and saved in checkpoints. */
  hparams: Record<string, unknown> = {};

  /** The Trainer running this module (INVALID_ARGUMENT outside fit/validate/test/predict). */
  get trainer(): Trainer {
    if (!this._trainer)
      fail(
        'INVALID_ARGUMENT',
        `${this.constructor.name}: not attached to a Trainer (call trainer.fit(module, ...) first)`,
      );
    return this._trainer;
  }
  /** The epoch being run (0-based). */
  get currentEpoch(): number {
    return this._trainer?.currentEpoch ?? 0;
  }
  /** Optimizer steps taken so far. */
  get globalStep(): number {
    return this._trainer?.globalStep ?? 0;
  }

  /** Stores hyperparameters for the loggers and checkpoints. @example this.saveHyperparameters({ lr, hidden }) */
  saveHyperparameters(params: Record<string, unknown>): void {
    if (!isOptionsObject(params))
      fail('INVALID_ARGUMENT', `saveHyperparameters: expected an object, got ${describe(params)}`);
    this.hparams = { ...this.hparams, ...params };
  }

  /**
   * Records a scalar (a number, a one-element tensor, or a Metric, computed and reset at the
   * epoch's end) under `name`. @example this.log('val_acc', acc, { progBar: true })
   */
  log(name: string, value: number | Tensor | Metric<never>, options: LogOptions = {}): void {
    str(`${this.constructor.name}.log`, 'name', name);
    checkOptions(`${this.constructor.name}.log`, options, LOG_OPTIONS);
    if (!this._trainer)
      fail('INVALID_ARGUMENT', `${this.constructor.name}.log: '${name}' was logged outside a Trainer loop`);
    this._trainer._log(name, value, options);
  }
  /** log() for each entry. */
  logDict(values: Record<string, number | Tensor | Metric<never>>, options: LogOptions = {}): void {
    checkOptions(`${this.constructor.name}.logDict`, options, LOG_OPTIONS);
    if (!isOptionsObject(values))
      fail(
        'INVALID_ARGUMENT',
        `${this.constructor.name}.logDict: expected an object of values, got ${describe(values)}`,
      );
    for (const [k, v] of Object.entries(values)) this.log(k, v, options);
  }

  /** The default forward: subclasses that call it must define their own. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  forward(..._args: any[]): any {
    fail('NOT_IMPLEMENTED', `${this.constructor.name}: forward() is not defined`);
  }
  /** One training batch: return the loss (or { loss }, or null to skip). */
  trainingStep(_batch: unknown, _batchIdx: number): StepOutput {
    fail('NOT_IMPLEMENTED', `${this.constructor.name}: trainingStep() is not defined (fit needs it)`);
  }
  /** One validation batch (under noGrad and eval()); log what you measure. */
  validationStep?(batch: unknown, batchIdx: number): unknown;
  /** One test batch (under noGrad and eval()). */
  testStep?(batch: unknown, batchIdx: number): unknown;
  /** One prediction batch (under noGrad and eval()); the default calls forward(batch). */
  predictStep(batch: unknown, _batchIdx: number): unknown {
    return this.forward(batch);
  }
  /** The optimizer (and scheduler) for fit. */
  configureOptimizers(): OptimizerConfig {
    fail('NOT_IMPLEMENTED', `${this.constructor.name}: configureOptimizers() is not defined (fit needs it)`);
  }

  // Hooks, in the order the Trainer calls them; all optional.
  /** Called when `fit` starts. */
  onFitStart?(): void;
  /** Called when the training loop starts. */
  onTrainStart?(): void;
  /** Called at the start of each training epoch. */
  onTrainEpochStart?(): void;
  /** Called after each training batch, with what `trainingStep` returned. */
  onTrainBatchEnd?(outputs: StepOutput, batch: unknown, batchIdx: number): void;
  /** Called when a validation run starts. */
  onValidationEpochStart?(): void;
  /** Called when a validation run ends. */
  onValidationEpochEnd?(): void;
  /** Called at the end of each training epoch. */
  onTrainEpochEnd?(): void;
  /** Called when the training loop ends. */
  onTrainEnd?(): void;
  /** Called when `fit` ends. */
  onFitEnd?(): void;
  /** Called when `test` starts. */
  onTestEpochStart?(): void;
  /** Called when `test` ends. */
  onTestEpochEnd?(): void;
  /** Add to (or read from) a checkpoint being saved/loaded. */
  onSaveCheckpoint?(checkpoint: Record<string, unknown>): void;
  /** Called with a checkpoint being restored, before the Trainer applies it. */
  onLoadCheckpoint?(checkpoint: Record<string, unknown>): void;
}
