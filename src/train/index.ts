/**
 * Lightning-style training: `LightningModule`, `Trainer`, callbacks, loggers (CSV, JSON lines, TensorBoard) and an
 * HTML report.
 *
 * @example
 * await new train.Trainer({ maxEpochs: 10 }).fit(model, { train: loader });
 * @module train
 */
export {
  LightningModule,
  type LogOptions,
  type OptimizerConfig,
  type SchedulerConfig,
  type SchedulerLike,
  type StepOutput,
} from './module.js';
export { Trainer } from './trainer.js';
export type { Strategy, StrategyConfig } from './strategy.js';
export type { Batches, FitLoaders } from './batches.js';
export type { TrainerOptions } from './trainer_options.js';
export type { Precision } from './precision.js';
export {
  Callback,
  ModelCheckpoint,
  EarlyStopping,
  LearningRateMonitor,
  ProgressBar,
  type ModelCheckpointOptions,
  type EarlyStoppingOptions,
  type ProgressBarOptions,
  type Mode,
} from './callbacks.js';
export { Logger, CSVLogger, JSONLLogger, TensorBoardLogger, type LoggerOptions } from './loggers.js';
export { readScalarEvents, type ScalarEvent } from './events.js';
export { report, svgLineChart, escapeHtml, type ReportOptions } from './report.js';
