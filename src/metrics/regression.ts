// Regression and aggregation metrics: mean squared and absolute error, R², and a running
// (weighted) mean for anything else worth averaging (a loss, a score).
import { fail } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { where } from '../ops/functional.js';
import { checkOptions, oneOf } from '../options.js';
import { Tensor } from '../tensor.js';
import { Metric, tensorInput, type Reduction } from './metric.js';

function pair(op: string, preds: Tensor, target: Tensor): { p: Tensor; t: Tensor } {
  tensorInput(op, 'preds', preds);
  tensorInput(op, 'target', target);
  if (preds.shape.join() !== target.shape.join())
    fail(
      'SHAPE_MISMATCH',
      `${op}: preds [${preds.shape.join(', ')}] and target [${target.shape.join(', ')}] must have the same shape`,
    );
  return { p: preds.to('float64'), t: target.to('float64') };
}

/**
 * Mean of (preds - target)²; its square root with `squared: false` (RMSE).
 * @example const mse = new metrics.MeanSquaredError(); mse.update(pred, y); mse.compute()
 */
export class MeanSquaredError extends Metric {
  override readonly higherIsBetter = false;
  protected readonly stateReductions: Record<string, Reduction> = { sum: 'sum', n: 'sum' };
  private readonly squared: boolean;
  constructor(options: { squared?: boolean } = {}) {
    super(checkOptions('MeanSquaredError', options, { squared: 'boolean' }));
    this.squared = options?.squared ?? true;
  }
  protected batchStats(preds: Tensor, target: Tensor): Record<string, Tensor> {
    const { p, t } = pair('MeanSquaredError', preds, target);
    const d = p.sub(t);
    return { sum: d.mul(d).sum(), n: tensor(p.numel(), { dtype: 'float64' }) };
  }
  protected computeFrom(s: Record<string, Tensor>): Tensor {
    const m = s.sum.div(s.n);
    return this.squared ? m : m.sqrt();
  }
}

/** Mean of |preds - target|. @example new metrics.MeanAbsoluteError() */
export class MeanAbsoluteError extends Metric {
  override readonly higherIsBetter = false;
  protected readonly stateReductions: Record<string, Reduction> = { sum: 'sum', n: 'sum' };
  constructor(options: Record<string, never> = {}) {
    super(checkOptions('MeanAbsoluteError', options, {}));
  }
  protected batchStats(preds: Tensor, target: Tensor): Record<string, Tensor> {
    const { p, t } = pair('MeanAbsoluteError', preds, target);
    return { sum: p.sub(t).abs().sum(), n: tensor(p.numel(), { dtype: 'float64' }) };
  }
  protected computeFrom(s: Record<string, Tensor>): Tensor {
    return s.sum.div(s.n);
  }
}

/**
 * Coefficient of determination, 1 - SS_res / SS_tot, per output column for [N, D] inputs,
 * averaged ('uniformAverage', default), weighted by each column's variance ('varianceWeighted')
 * or kept ('rawValues'). A constant target scores 1 when predicted exactly, else 0 (sklearn).
 * @example const r2 = new metrics.R2Score(); r2.update(pred, y); r2.compute()
 */
export class R2Score extends Metric {
  protected readonly stateReductions: Record<string, Reduction> = {
    sumY: 'sum',
    sumY2: 'sum',
    sumErr2: 'sum',
    n: 'sum',
  };
  private readonly multioutput: string;
  constructor(options: { multioutput?: 'uniformAverage' | 'varianceWeighted' | 'rawValues' } = {}) {
    super(checkOptions('R2Score', options, { multioutput: 'string' }));
    this.multioutput = oneOf('R2Score', 'multioutput', options?.multioutput ?? 'uniformAverage', [
      'uniformAverage',
      'varianceWeighted',
      'rawValues',
    ]);
  }
  protected batchStats(preds: Tensor, target: Tensor): Record<string, Tensor> {
    const { p, t } = pair('R2Score', preds, target);
    if (p.ndim < 1 || p.ndim > 2)
      fail('SHAPE_MISMATCH', `R2Score: expected [N] or [N, D] inputs, got [${p.shape.join(', ')}]`);
    const d = p.sub(t);
    return {
      sumY: t.sum(0),
      sumY2: t.mul(t).sum(0),
      sumErr2: d.mul(d).sum(0),
      n: tensor(p.shape[0], { dtype: 'float64' }),
    };
  }
  protected computeFrom(s: Record<string, Tensor>): Tensor {
    const n = Number(s.n.item());
    if (n < 2) fail('INVALID_ARGUMENT', `R2Score.compute: needs at least 2 samples, got ${n}`);
    const ssTot = s.sumY2.sub(s.sumY.mul(s.sumY).div(n));
    // 1 - res/tot where the target varies; a constant target gives 1 if fitted exactly, else 0.
    const raw = where(ssTot.le(0), s.sumErr2.eq(0).to('float64'), s.sumErr2.div(ssTot).neg().add(1));
    if (this.multioutput === 'rawValues' || raw.ndim === 0) return raw;
    if (this.multioutput === 'uniformAverage') return raw.mean();
    const tot = ssTot.sum();
    return Number(tot.item()) === 0 ? raw.mean() : raw.mul(ssTot).sum().div(tot);
  }
}

/**
 * A running mean of values (tensors or numbers), optionally weighted.
 * @example const m = new metrics.MeanMetric(); m.update(loss); m.update(2, 3); m.compute()
 */
export class MeanMetric extends Metric<[Tensor | number, (Tensor | number)?]> {
  protected readonly stateReductions: Record<string, Reduction> = { sum: 'sum', weight: 'sum' };
  constructor(options: Record<string, never> = {}) {
    super(checkOptions('MeanMetric', options, {}));
  }
  protected batchStats(value: Tensor | number, weight: Tensor | number = 1): Record<string, Tensor> {
    const asT = (v: Tensor | number, name: string) => {
      if (typeof v === 'number') return tensor(v, { dtype: 'float64' });
      return tensorInput('MeanMetric', name, v).to('float64');
    };
    const v = asT(value, 'value');
    const w = asT(weight, 'weight').expand(v.shape);
    return { sum: v.mul(w).sum(), weight: w.sum() };
  }
  protected computeFrom(s: Record<string, Tensor>): Tensor {
    return s.sum.div(s.weight);
  }
}
