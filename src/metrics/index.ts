/**
 * TorchMetrics-style metrics: stateful `update`/`compute`/`reset` classes, `MetricCollection`, and one-shot
 * `functional` forms.
 *
 * @example
 * const f1 = new metrics.F1Score({ task: 'multiclass', numClasses: 3, average: 'macro' });
 * @module metrics
 */
export { Metric, type Reduction } from './metric.js';
export {
  Accuracy,
  Precision,
  Recall,
  F1Score,
  ConfusionMatrix,
  AUROC,
  binaryAuroc,
  type Task,
  type Average,
  type ClassificationOptions,
  type AccuracyOptions,
  type ConfusionMatrixOptions,
  type AurocOptions,
} from './classification.js';
export { MeanSquaredError, MeanAbsoluteError, R2Score, MeanMetric } from './regression.js';
export { MetricCollection, type CollectionOptions } from './collection.js';
export * as functional from './functional.js';
