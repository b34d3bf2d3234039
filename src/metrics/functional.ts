// One-shot forms of the metrics (torchmetrics.functional): build, update once, compute, free.
/**
 * One-shot forms of the metrics (torchmetrics.functional): build, update once, compute, free.
 *
 * @example
 * metrics.functional.accuracy(logits, y, { task: 'multiclass', numClasses: 3 })
 * @module functional
 */
import type { Tensor } from '../tensor.js';
import {
  Accuracy,
  AUROC,
  ConfusionMatrix,
  F1Score,
  Precision,
  Recall,
  type AccuracyOptions,
  type AurocOptions,
  type ClassificationOptions,
  type ConfusionMatrixOptions,
} from './classification.js';
import type { Metric } from './metric.js';
import { MeanAbsoluteError, MeanSquaredError, R2Score } from './regression.js';

function once(m: Metric, preds: Tensor, target: Tensor): Tensor {
  try {
    m.update(preds, target);
    return m.compute();
  } finally {
    m.dispose();
  }
}

/** @example metrics.functional.accuracy(logits, y, { task: 'multiclass', numClasses: 3 }) */
export const accuracy = (preds: Tensor, target: Tensor, options: AccuracyOptions) =>
  once(new Accuracy(options), preds, target);
/**
 * Precision in one call (torchmetrics.functional.precision). @example metrics.functional.precision(logits, y, { task:
 * 'multiclass', numClasses: 3 })
 */
export const precision = (preds: Tensor, target: Tensor, options: ClassificationOptions) =>
  once(new Precision(options), preds, target);
/** Recall in one call. */
export const recall = (preds: Tensor, target: Tensor, options: ClassificationOptions) =>
  once(new Recall(options), preds, target);
/** F1 score in one call. */
export const f1Score = (preds: Tensor, target: Tensor, options: ClassificationOptions) =>
  once(new F1Score(options), preds, target);
/** The confusion matrix in one call. */
export const confusionMatrix = (preds: Tensor, target: Tensor, options: ConfusionMatrixOptions) =>
  once(new ConfusionMatrix(options), preds, target);
/** Area under the ROC curve in one call. */
export const auroc = (preds: Tensor, target: Tensor, options: AurocOptions) => once(new AUROC(options), preds, target);
/** Mean squared error (its root with `{ squared: false }`) in one call. */
export const meanSquaredError = (preds: Tensor, target: Tensor, options: { squared?: boolean } = {}) =>
  once(new MeanSquaredError(options), preds, target);
/** Mean absolute error in one call. */
export const meanAbsoluteError = (preds: Tensor, target: Tensor) => once(new MeanAbsoluteError(), preds, target);
/** The coefficient of determination R² in one call. */
export const r2Score = (
  preds: Tensor,
  target: Tensor,
  options: { multioutput?: 'uniformAverage' | 'varianceWeighted' | 'rawValues' } = {},
) => once(new R2Score(options), preds, target);
