// Fixed inputs shared by test/distributed/parts.ts (each rank takes its rows) and the single-process
// references in test/distributed.test.ts (all rows).
import { tensor, type Tensor } from '../../src/index.js';

const wave = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.sin(i * k + 0.3) * (1 + (i % 5)));

/** SyncBatchNorm: an [8, 3, 2, 2] batch and the loss coefficients. */
export function bnInput(): { x: Tensor; coef: Tensor } {
  return {
    x: tensor(wave(96, 0.7), { shape: [8, 3, 2, 2] }),
    coef: tensor(wave(96, 1.3), { shape: [8, 3, 2, 2] }),
  };
}

/** Metrics: 8 rows of 3-class predictions, targets, and binary scores. */
export function metricInput(): { preds: Tensor; target: Tensor; scores: Tensor } {
  return {
    preds: tensor([0, 1, 2, 2, 1, 0, 1, 2], { dtype: 'int64' }),
    target: tensor([0, 1, 1, 2, 0, 0, 2, 2], { dtype: 'int64' }),
    scores: tensor([0.1, 0.8, 0.7, 0.9, 0.3, 0.2, 0.6, 0.4]),
  };
}
