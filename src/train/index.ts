// Lightning-style training: LightningModule, Trainer, callbacks, loggers, and an HTML report.
export {
  LightningModule,
  type LogOptions,
  type OptimizerConfig,
  type SchedulerConfig,
  type SchedulerLike,
  type StepOutput,
} from './module.js';
export { Trainer, type TrainerOptions, type Batches, type FitLoaders } from './trainer.js';
export {
  Callback,
  ModelCheckpoint,
  EarlyStopping,
  LearningRateMonitor,
  ProgressBar,
  type ModelCheckpointOptions,
  type EarlyStoppingOptions,
  type ProgressBarOptions,
} from './callbacks.js';
export { Logger, CSVLogger, JSONLLogger, TensorBoardLogger, type LoggerOptions } from './loggers.js';
export { readScalarEvents, type ScalarEvent } from './events.js';
export { report, svgLineChart, escapeHtml, type ReportOptions } from './report.js';
