// One-shot forms of the metrics (torchmetrics.functional): build, update once, compute, free.
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
export const precision = (preds: Tensor, target: Tensor, options: ClassificationOptions) =>
  once(new Precision(options), preds, target);
export const recall = (preds: Tensor, target: Tensor, options: ClassificationOptions) =>
  once(new Recall(options), preds, target);
export const f1Score = (preds: Tensor, target: Tensor, options: ClassificationOptions) =>
  once(new F1Score(options), preds, target);
export const confusionMatrix = (preds: Tensor, target: Tensor, options: ConfusionMatrixOptions) =>
  once(new ConfusionMatrix(options), preds, target);
export const auroc = (preds: Tensor, target: Tensor, options: AurocOptions) => once(new AUROC(options), preds, target);
export const meanSquaredError = (preds: Tensor, target: Tensor, options: { squared?: boolean } = {}) =>
  once(new MeanSquaredError(options), preds, target);
export const meanAbsoluteError = (preds: Tensor, target: Tensor) => once(new MeanAbsoluteError(), preds, target);
export const r2Score = (
  preds: Tensor,
  target: Tensor,
  options: { multioutput?: 'uniformAverage' | 'varianceWeighted' | 'rawValues' } = {},
) => once(new R2Score(options), preds, target);
