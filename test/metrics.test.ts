// Metrics against hand-computed values: every task and average, logits/probabilities/labels,
// edge cases (no positives, one class, ties), accumulation across batches, collections, errors.
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { metrics, tensor, type Tensor } from '../src/index.js';
import { expectTensorError, settleGarbage } from './helpers/harness.js';

const F = metrics.functional;
const i64 = (v: number[]) => tensor(v, { dtype: 'int64' });
/** A metric's scalar result as a number (disposing the tensor). */
const num = (t: Tensor): number => {
  const v = Number(t.item());
  t.dispose();
  return v;
};
const val = (t: Tensor) => {
  const v = t.ndim === 0 ? (t.item() as number) : (t.toArray() as unknown);
  t.dispose();
  return v;
};
const close = (a: unknown, b: number | number[]) => {
  if (typeof b === 'number') expect(a as number).toBeCloseTo(b, 10);
  else (a as number[]).forEach((x, i) => expect(x).toBeCloseTo(b[i], 10));
};

// Four samples, three classes. argmax preds [0, 1, 2, 0], targets [0, 1, 1, 2]:
// per class tp [1, 1, 0], fp [1, 0, 1], fn [0, 1, 1], support [1, 2, 1].
const logits = () =>
  tensor([
    [2, 1, 0],
    [0, 3, 1],
    [1, 0, 2],
    [3, 1, 0],
  ]);
const y = () => i64([0, 1, 1, 2]);
const mc = { task: 'multiclass', numClasses: 3 } as const;

describe('multiclass', () => {
  it('accuracy, precision, recall and F1 for every average', () => {
    const want = {
      accuracy: { micro: 0.5, macro: (1 + 0.5 + 0) / 3, weighted: (1 + 1 + 0) / 4, none: [1, 0.5, 0] },
      precision: { micro: 0.5, macro: (0.5 + 1 + 0) / 3, weighted: (0.5 + 2 + 0) / 4, none: [0.5, 1, 0] },
      recall: { micro: 0.5, macro: 0.5, weighted: 0.5, none: [1, 0.5, 0] },
      f1Score: { micro: 0.5, macro: (2 / 3 + 2 / 3) / 3, weighted: (2 / 3 + 4 / 3) / 4, none: [2 / 3, 2 / 3, 0] },
    };
    for (const [fn, byAvg] of Object.entries(want))
      for (const [average, v] of Object.entries(byAvg))
        close(val(F[fn as 'accuracy'](logits(), y(), { ...mc, average: average as 'micro' })), v);
  });

  it('takes logits, probabilities or labels alike', () => {
    close(val(F.accuracy(logits().softmax(1), y(), mc)), 0.5);
    close(val(F.accuracy(i64([0, 1, 2, 0]), y(), mc)), 0.5);
    close(val(F.accuracy(tensor([0, 1, 2, 0], { dtype: 'int32' }), tensor([0, 1, 1, 2], { dtype: 'int32' }), mc)), 0.5);
  });

  it('top-k accuracy counts a target among the k best scores (ties to the lower class)', () => {
    close(val(F.accuracy(logits(), y(), { ...mc, topK: 2 })), 0.5);
    close(val(F.accuracy(logits(), y(), { ...mc, topK: 3 })), 1);
    // All scores tied: a stable top-2 keeps classes 0 and 1, so targets 0 and 1 hit, 2 misses.
    close(
      val(
        F.accuracy(
          tensor([
            [1, 1, 1],
            [1, 1, 1],
            [1, 1, 1],
          ]),
          i64([0, 1, 2]),
          { ...mc, topK: 2 },
        ),
      ),
      2 / 3,
    );
  });

  it('macro skips classes absent from both preds and target; one class present', () => {
    // Only class 0 occurs: macro over present classes is 1, not 1/3.
    close(val(F.precision(i64([0, 0]), i64([0, 0]), { ...mc, average: 'macro' })), 1);
    close(val(F.f1Score(i64([0, 0]), i64([0, 0]), { ...mc, average: 'macro' })), 1);
    expect(val(F.precision(i64([0, 0]), i64([0, 0]), { ...mc, average: 'none' }))).toEqual([1, 0, 0]);
  });

  it('confusion matrix, normalized by rows, columns and total', () => {
    expect(val(F.confusionMatrix(logits(), y(), mc))).toEqual([
      [1, 0, 0],
      [0, 1, 1],
      [1, 0, 0],
    ]);
    const cm = F.confusionMatrix(logits(), y(), { ...mc, normalize: 'true' });
    expect(cm.dtype).toBe('float64');
    expect(val(cm)).toEqual([
      [1, 0, 0],
      [0, 0.5, 0.5],
      [1, 0, 0],
    ]);
    expect(val(F.confusionMatrix(logits(), y(), { ...mc, normalize: 'pred' }))).toEqual([
      [0.5, 0, 0],
      [0, 1, 1],
      [0.5, 0, 0],
    ]);
    expect(val(F.confusionMatrix(logits(), y(), { ...mc, normalize: 'all' }))).toEqual([
      [0.25, 0, 0],
      [0, 0.25, 0.25],
      [0.25, 0, 0],
    ]);
  });

  it('one-vs-rest AUROC, macro and weighted', () => {
    const p = tensor([
      [0.7, 0.2, 0.1],
      [0.2, 0.5, 0.3],
      [0.3, 0.3, 0.4],
      [0.1, 0.8, 0.1],
    ]);
    const t = i64([0, 1, 2, 1]);
    // class 0: pos 0.7 over negs {0.2, 0.3, 0.1} -> 1; class 1: pos {0.5, 0.8} vs {0.2, 0.3} -> 1;
    // class 2: pos 0.4 over {0.1, 0.3, 0.1} -> 1.
    close(val(F.auroc(p, t, { ...mc, average: 'none' })), [1, 1, 1]);
    const q = tensor([
      [0.1, 0.2, 0.7],
      [0.2, 0.5, 0.3],
      [0.3, 0.3, 0.4],
      [0.1, 0.8, 0.1],
    ]);
    // class 0: pos 0.1 vs {0.2, 0.3, 0.1}: 0 + 0 + 0.5 -> 1/6; class 1: 1; class 2: pos 0.4 vs {0.7, 0.3, 0.1} -> 2/3.
    close(val(F.auroc(q, t, { ...mc, average: 'none' })), [1 / 6, 1, 2 / 3]);
    close(val(F.auroc(q, t, mc)), (1 / 6 + 1 + 2 / 3) / 3);
    close(val(F.auroc(q, t, { ...mc, average: 'weighted' })), (1 / 6 + 2 + 2 / 3) / 4);
  });
});

describe('binary', () => {
  // preds thresholded: [1, 0, 1, 1, 0]; target [1, 0, 0, 1, 1] -> tp 2, fp 1, fn 1, tn 1.
  const probs = () => tensor([0.9, 0.2, 0.6, 0.5, 0.4]);
  const t = () => i64([1, 0, 0, 1, 1]);
  const bin = { task: 'binary' } as const;
  it('accuracy, precision, recall, F1 and the confusion matrix', () => {
    close(val(F.accuracy(probs(), t(), bin)), 3 / 5);
    close(val(F.precision(probs(), t(), bin)), 2 / 3);
    close(val(F.recall(probs(), t(), bin)), 2 / 3);
    close(val(F.f1Score(probs(), t(), bin)), 2 / 3);
    expect(val(F.confusionMatrix(probs(), t(), bin))).toEqual([
      [1, 1],
      [1, 2],
    ]);
    close(val(F.accuracy(probs(), t(), { ...bin, threshold: 0.35 })), 4 / 5);
  });
  it('logits are squashed with a sigmoid; labels and bool targets work', () => {
    close(val(F.accuracy(tensor([3, -2, 0.5, 0, -0.5]), t(), bin)), 3 / 5);
    close(val(F.accuracy(i64([1, 0, 1, 1, 0]), tensor([true, false, false, true, true]), bin)), 3 / 5);
  });
  it('no positives: precision/recall/F1 are 0, not NaN; AUROC is 0', () => {
    const none = i64([0, 0, 0]);
    close(val(F.precision(tensor([0.1, 0.2, 0.3]), none, bin)), 0);
    close(val(F.recall(tensor([0.7, 0.2, 0.3]), none, bin)), 0);
    close(val(F.f1Score(tensor([0.7, 0.2, 0.3]), none, bin)), 0);
    close(val(F.accuracy(tensor([0.1, 0.2, 0.3]), none, bin)), 1);
    close(val(F.auroc(tensor([0.1, 0.2, 0.3]), none, bin)), 0);
  });
  it('AUROC: the sklearn example, perfect, reversed and tied scores', () => {
    close(val(F.auroc(tensor([0.1, 0.4, 0.35, 0.8]), i64([0, 0, 1, 1]), bin)), 0.75);
    close(val(F.auroc(tensor([0.1, 0.2, 0.3, 0.4]), i64([0, 0, 1, 1]), bin)), 1);
    close(val(F.auroc(tensor([0.4, 0.3, 0.2, 0.1]), i64([0, 0, 1, 1]), bin)), 0);
    close(val(F.auroc(tensor([0.5, 0.5, 0.5, 0.5]), i64([0, 1, 0, 1]), bin)), 0.5);
    close(val(F.auroc(tensor([0.5, 0.5, 0.5, 0.8]), i64([0, 1, 0, 1]), bin)), 0.75);
  });
});

describe('multilabel', () => {
  // preds (>= 0.5) [[1, 0], [1, 1], [0, 0]]; target [[1, 0], [0, 1], [1, 0]]:
  // label 0: tp 1, fp 1, fn 1, tn 0; label 1: tp 1, fp 0, fn 0, tn 2.
  const p = () =>
    tensor([
      [0.8, 0.1],
      [0.6, 0.9],
      [0.2, 0.3],
    ]);
  const t = () => i64([1, 0, 0, 1, 1, 0]).reshape(3, 2);
  const ml = { task: 'multilabel', numLabels: 2 } as const;
  it('per-label decisions and averages', () => {
    close(val(F.accuracy(p(), t(), { ...ml, average: 'none' })), [1 / 3, 1]);
    close(val(F.accuracy(p(), t(), ml)), 4 / 6);
    close(val(F.precision(p(), t(), { ...ml, average: 'macro' })), (0.5 + 1) / 2);
    close(val(F.recall(p(), t(), { ...ml, average: 'weighted' })), (0.5 * 2 + 1 * 1) / 3);
    close(val(F.f1Score(p(), t(), ml)), 4 / (4 + 1 + 1));
    expect(val(F.confusionMatrix(p(), t(), ml))).toEqual([
      [
        [0, 1],
        [1, 1],
      ],
      [
        [2, 0],
        [0, 1],
      ],
    ]);
    close(val(F.auroc(p(), t(), { ...ml, average: 'none' })), [0.5, 1]);
  });
});

describe('regression and means', () => {
  it('MSE, RMSE, MAE and R² (sklearn examples), incl. multi-output and constant targets', () => {
    const p = tensor([2.5, 0.0, 2, 8]),
      t = tensor([3, -0.5, 2, 7]);
    close(val(F.meanSquaredError(p, t)), 0.375);
    close(val(F.meanSquaredError(p, t, { squared: false })), Math.sqrt(0.375));
    close(val(F.meanAbsoluteError(p, t)), 0.5);
    close(val(F.r2Score(p, t)), 0.9486081370449679);
    const P = tensor([
        [0, 2],
        [-1, 2],
        [8, -5],
      ]),
      T = tensor([
        [0.5, 1],
        [-1, 1],
        [7, -6],
      ]);
    close(val(F.r2Score(P, T, { multioutput: 'rawValues' })), [0.9654377880184332, 0.9081632653061225]);
    close(val(F.r2Score(P, T)), 0.9368005266622779);
    close(val(F.r2Score(P, T, { multioutput: 'varianceWeighted' })), 0.9382566585956417);
    close(val(F.r2Score(tensor([1, 1, 1]), tensor([1, 1, 1]))), 1);
    close(val(F.r2Score(tensor([1, 2, 1]), tensor([1, 1, 1]))), 0);
    expectTensorError(
      () => F.r2Score(tensor([1]), tensor([1])),
      'INVALID_ARGUMENT',
      /R2Score.compute: needs at least 2 samples, got 1/,
    );
  });
  it('MeanMetric: numbers and tensors, weighted', () => {
    const m = new metrics.MeanMetric();
    m.update(2);
    m.update(tensor([4, 6]));
    m.update(10, 2);
    close(val(m.compute()), (2 + 4 + 6 + 20) / 5);
    m.reset();
    expectTensorError(() => m.compute(), 'INVALID_ARGUMENT', /MeanMetric.compute: no data yet/);
  });
});

describe('stateful use', () => {
  it('sync() outside a distributed job leaves the state as it is; unsync() then has nothing to undo', () => {
    const acc = new metrics.Accuracy({ task: 'multiclass', numClasses: 3 });
    const labels = (v: number[]) => tensor(v, { dtype: 'int64' });
    acc.update(tk.eye(3).narrow(0, 0, 2), labels([0, 2]));
    acc.sync();
    expect(acc.isSynced).toBe(false);
    expect(Number(acc.compute().item())).toBeCloseTo(0.5, 6);
    expectTensorError(() => acc.unsync(), 'INVALID_ARGUMENT', /Accuracy\.unsync: not synced/);
    acc.update(tk.eye(3).narrow(0, 2, 1), labels([2])); // update is still allowed
    expect(Number(acc.compute().item())).toBeCloseTo(2 / 3, 6);
  });

  it('accumulates across batches exactly as one batch; forward gives the batch value', () => {
    tk.manualSeed(3);
    const scores = tk.randn([200, 5]);
    const labels = tk.randint(0, 5, [200]);
    for (const M of [metrics.Accuracy, metrics.Precision, metrics.Recall, metrics.F1Score] as const) {
      for (const average of ['micro', 'macro', 'weighted'] as const) {
        const m = new M({ task: 'multiclass', numClasses: 5, average });
        for (let i = 0; i < 200; i += 64)
          m.update(scores.narrow(0, i, Math.min(64, 200 - i)), labels.narrow(0, i, Math.min(64, 200 - i)));
        expect(num(m.compute()), `${M.name} ${average}`).toBeCloseTo(
          num(new M({ task: 'multiclass', numClasses: 5, average }).forward(scores, labels)),
          12,
        );
        m.dispose();
      }
    }
    const auc = new metrics.AUROC({ task: 'multiclass', numClasses: 5 });
    const b1 = auc.forward(scores.narrow(0, 0, 100), labels.narrow(0, 0, 100));
    expect(num(b1)).toBeCloseTo(
      num(F.auroc(scores.narrow(0, 0, 100), labels.narrow(0, 0, 100), { task: 'multiclass', numClasses: 5 })),
      12,
    );
    auc.update(scores.narrow(0, 100, 100), labels.narrow(0, 100, 100));
    expect(num(auc.compute())).toBeCloseTo(num(F.auroc(scores, labels, { task: 'multiclass', numClasses: 5 })), 12);
    expect(auc.updateCount).toBe(2);
  });

  it('MetricCollection: prefixed keys, clone, reset', () => {
    const c = new metrics.MetricCollection(
      { acc: new metrics.Accuracy(mc), f1: new metrics.F1Score({ ...mc, average: 'macro' }) },
      { prefix: 'train_' },
    );
    c.update(logits(), y());
    const r = c.compute();
    expect(Object.keys(r)).toEqual(['train_acc', 'train_f1']);
    close(val(r.train_acc), 0.5);
    const v = c.clone({ prefix: 'val_' });
    expect(() => v.compute()).toThrow(/no data yet/);
    v.update(i64([0, 1, 1, 2]), y());
    expect(Object.keys(v.compute())).toEqual(['val_acc', 'val_f1']);
    c.reset();
    expect(() => c.compute()).toThrow(/no data yet/);
    expectTensorError(
      () => new metrics.MetricCollection({ a: 1 } as never),
      'INVALID_ARGUMENT',
      /MetricCollection: 'a' is not a Metric, got 1/,
    );
  });

  it('keeps its state inside tidy() and frees it on reset: no leak over many updates', () => {
    const m = new metrics.F1Score({ ...mc, average: 'macro' });
    const auc = new metrics.AUROC({ task: 'binary' });
    settleGarbage();
    const base = tk.memory().tensors;
    for (let i = 0; i < 300; i++)
      tk.tidy(() => {
        m.update(logits(), y());
        auc.update(tensor([0.2, 0.7]), i64([0, 1]));
      });
    close(val(m.compute()), (2 / 3 + 2 / 3) / 3);
    close(val(auc.compute()), 1);
    m.reset();
    auc.reset();
    expect(tk.memory().tensors).toBe(base);
  });

  it('bad input throws a TensorError naming the metric and the value', () => {
    expectTensorError(
      () => new metrics.Accuracy({ task: 'multiclas' } as never),
      'INVALID_ARGUMENT',
      /Accuracy: task must be 'binary', 'multiclass' or 'multilabel', got "multiclas"/,
    );
    expectTensorError(
      () => new metrics.Accuracy({ task: 'multiclass' }),
      'INVALID_ARGUMENT',
      /Accuracy: a multiclass task needs numClasses >= 2, got undefined/,
    );
    expectTensorError(
      () => new metrics.Precision({ ...mc, topK: 2 } as never),
      'INVALID_ARGUMENT',
      /Precision: unknown option 'topK'/,
    );
    expectTensorError(
      () => new metrics.Accuracy({ ...mc, averge: 'macro' } as never),
      'INVALID_ARGUMENT',
      /unknown option 'averge' \(did you mean 'average'\?\)/,
    );
    expectTensorError(
      () => new metrics.Accuracy({ ...mc, topK: 4 }),
      'INVALID_ARGUMENT',
      /topK must be in \[1, numClasses\]/,
    );
    const acc = new metrics.Accuracy(mc);
    expectTensorError(
      () => acc.update(logits(), i64([0, 1, 3, 2])),
      'INVALID_ARGUMENT',
      /Accuracy: target must be in \[0, 2\], got values in \[0, 3\]/,
    );
    expectTensorError(
      () => acc.update(tensor([[1, 2]]), i64([0])),
      'SHAPE_MISMATCH',
      /Accuracy: multiclass scores must be \[N, 3\] for target \[1\], got \[1, 2\]/,
    );
    expectTensorError(
      () => acc.update(logits(), tensor([0, 1, 1, 2])),
      'DTYPE_MISMATCH',
      /multiclass target must be 1-D integer labels, got float32 \[4\]/,
    );
    expectTensorError(
      () => acc.update(logits(), 'y' as never),
      'INVALID_ARGUMENT',
      /Accuracy: target must be a Tensor, got "y"/,
    );
    expectTensorError(
      () => F.accuracy(tensor([0.5]), i64([2]), { task: 'binary' }),
      'INVALID_ARGUMENT',
      /target must be in \[0, 1\], got values in \[2, 2\]/,
    );
    expectTensorError(
      () => F.meanSquaredError(tensor([1, 2]), tensor([1])),
      'SHAPE_MISMATCH',
      /MeanSquaredError: preds \[2\] and target \[1\] must have the same shape/,
    );
    expect(acc.updateCount).toBe(0);
  });
});
