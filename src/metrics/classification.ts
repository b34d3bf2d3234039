// Classification metrics (torchmetrics' task-based API): Accuracy, Precision, Recall, F1Score,
// ConfusionMatrix and AUROC for binary, multiclass and multilabel tasks. Predictions may be
// logits, probabilities or labels. Every statistic is computed with tensor ops (argmax,
// comparisons, bincount, argsort, cumsum) in native code; JS only loops over classes in AUROC.
import { isFloating } from '../dtype.js';
import { fail } from '../errors.js';
import { arange, zeros } from '../ops/creation.js';
import { stack, where } from '../ops/functional.js';
import { checkOptions, describe, isOptionsObject } from '../options.js';
import { Tensor } from '../tensor.js';
import { Metric, tensorInput, type Reduction } from './metric.js';

/** The classification task: 'binary', 'multiclass' or 'multilabel'. */
export type Task = 'binary' | 'multiclass' | 'multilabel';
/** How per-class scores combine: pooled counts (micro), a plain mean over classes (macro), a
 * mean weighted by each class's support (weighted), or the per-class vector (none). */
export type Average = 'micro' | 'macro' | 'weighted' | 'none';

/** Options shared by the classification metrics. */
export interface ClassificationOptions {
  task: Task;
  /** Number of classes (multiclass). */
  numClasses?: number;
  /** Number of labels (multilabel). */
  numLabels?: number;
  /** Probability at or above which a binary or multilabel prediction is positive. Default 0.5. */
  threshold?: number;
  /** Default 'micro' (as torchmetrics' task wrappers). */
  average?: Average;
}
/** Options of `Accuracy`. */
export interface AccuracyOptions extends ClassificationOptions {
  /** Multiclass: a sample is correct when its target is among the k highest scores. Default 1. */
  topK?: number;
}

const SPEC = {
  task: 'string',
  numClasses: 'integer',
  numLabels: 'integer',
  threshold: 'number',
  average: 'string',
  topK: 'integer',
  normalize: 'string',
} as const;

interface Resolved {
  task: Task;
  /** Classes (multiclass), labels (multilabel) or 1 (binary). */
  n: number;
  threshold: number;
  average: Average;
  topK: number;
}

function resolve(
  op: string,
  o: AccuracyOptions & { normalize?: string },
  allowed: readonly (keyof typeof SPEC)[],
): Resolved {
  if (!isOptionsObject(o))
    fail(
      'INVALID_ARGUMENT',
      `${op}: expected options with a task ('binary', 'multiclass' or 'multilabel'), got ${describe(o)}`,
    );
  checkOptions(op, o, Object.fromEntries(allowed.map((k) => [k, SPEC[k]])));
  const task = o.task;
  if (task !== 'binary' && task !== 'multiclass' && task !== 'multilabel')
    fail('INVALID_ARGUMENT', `${op}: task must be 'binary', 'multiclass' or 'multilabel', got ${describe(task)}`);
  let n = 1;
  if (task === 'multiclass') {
    if (!Number.isInteger(o.numClasses) || (o.numClasses as number) < 2)
      fail('INVALID_ARGUMENT', `${op}: a multiclass task needs numClasses >= 2, got ${describe(o.numClasses)}`);
    n = o.numClasses as number;
  } else if (task === 'multilabel') {
    if (!Number.isInteger(o.numLabels) || (o.numLabels as number) < 1)
      fail('INVALID_ARGUMENT', `${op}: a multilabel task needs numLabels >= 1, got ${describe(o.numLabels)}`);
    n = o.numLabels as number;
  }
  const threshold = o.threshold ?? 0.5;
  if (!(threshold >= 0 && threshold <= 1))
    fail('INVALID_ARGUMENT', `${op}: threshold must be in [0, 1], got ${describe(o.threshold)}`);
  const average = o.average ?? 'micro';
  if (!['micro', 'macro', 'weighted', 'none'].includes(average))
    fail(
      'INVALID_ARGUMENT',
      `${op}: average must be 'micro', 'macro', 'weighted' or 'none', got ${describe(o.average)}`,
    );
  const topK = o.topK ?? 1;
  if (topK < 1 || (task !== 'multiclass' && topK !== 1) || topK > n)
    fail(
      'INVALID_ARGUMENT',
      `${op}: topK must be in [1, numClasses] and needs a multiclass task, got ${describe(o.topK)}`,
    );
  return { task, n, threshold, average, topK };
}

const isFloat = (t: Tensor) => isFloating(t.dtype);
const isLabels = (t: Tensor) => t.dtype === 'int32' || t.dtype === 'int64' || t.dtype === 'bool';

function shapeStr(t: Tensor): string {
  return `[${t.shape.join(', ')}]`;
}

// Range checks read two numbers back (a min and a max): cheap next to the batch itself.
function checkRange(op: string, what: string, t: Tensor, lo: number, hi: number): void {
  if (t.numel() === 0) return;
  const mn = Number(t.min().item()),
    mx = Number(t.max().item());
  if (mn < lo || mx > hi)
    fail('INVALID_ARGUMENT', `${op}: ${what} must be in [${lo}, ${hi}], got values in [${mn}, ${mx}]`);
}

// Scores as probabilities: values outside [0, 1] are taken as logits and squashed (torchmetrics'
// rule), with a softmax over classes for multiclass and a sigmoid otherwise.
function probabilities(p: Tensor, task: Task): Tensor {
  if (p.numel() === 0) return p;
  const outside = Number(p.min().item()) < 0 || Number(p.max().item()) > 1;
  if (!outside) return p;
  return task === 'multiclass' ? p.softmax(1) : p.sigmoid();
}

/** Binary or multilabel predictions as 0/1 float64, target as 0/1 float64 (same shape). */
function binaryInputs(op: string, r: Resolved, preds: Tensor, target: Tensor): { p: Tensor; t: Tensor } {
  if (preds.shape.join() !== target.shape.join())
    fail('SHAPE_MISMATCH', `${op}: preds ${shapeStr(preds)} and target ${shapeStr(target)} must have the same shape`);
  if (r.task === 'multilabel' && (preds.ndim !== 2 || preds.shape[1] !== r.n))
    fail('SHAPE_MISMATCH', `${op}: multilabel preds must be [N, ${r.n}], got ${shapeStr(preds)}`);
  if (!isLabels(target)) fail('DTYPE_MISMATCH', `${op}: target must hold integer or bool labels, got ${target.dtype}`);
  checkRange(op, 'target', target, 0, 1);
  const t = target.to('float64');
  if (isFloat(preds)) return { p: probabilities(preds, r.task).ge(r.threshold).to('float64'), t };
  checkRange(op, 'integer preds', preds, 0, 1);
  return { p: preds.to('float64'), t };
}

/** Multiclass predicted labels (int64 [N]) and target (int64 [N]). */
function multiclassInputs(op: string, r: Resolved, preds: Tensor, target: Tensor): { p: Tensor; t: Tensor } {
  if (target.ndim !== 1 || !isLabels(target) || target.dtype === 'bool')
    fail(
      target.ndim !== 1 ? 'SHAPE_MISMATCH' : 'DTYPE_MISMATCH',
      `${op}: multiclass target must be 1-D integer labels, got ${target.dtype} ${shapeStr(target)}`,
    );
  checkRange(op, 'target', target, 0, r.n - 1);
  const N = target.shape[0];
  if (isFloat(preds)) {
    if (preds.ndim !== 2 || preds.shape[0] !== N || preds.shape[1] !== r.n)
      fail('SHAPE_MISMATCH', `${op}: multiclass scores must be [N, ${r.n}] for target [${N}], got ${shapeStr(preds)}`);
    return { p: preds.argmax(1), t: target.to('int64') };
  }
  if (preds.ndim !== 1 || preds.shape[0] !== N || preds.dtype === 'bool')
    fail(
      'SHAPE_MISMATCH',
      `${op}: multiclass labels must be 1-D like the target [${N}], got ${preds.dtype} ${shapeStr(preds)}`,
    );
  checkRange(op, 'predicted labels', preds, 0, r.n - 1);
  return { p: preds.to('int64'), t: target.to('int64') };
}

// Per-class true positives, false positives, false negatives, true negatives (float64 [n]).
function statScores(op: string, r: Resolved, preds: Tensor, target: Tensor): Record<string, Tensor> {
  tensorInput(op, 'preds', preds);
  tensorInput(op, 'target', target);
  if (r.task === 'multiclass') {
    const { p, t } = multiclassInputs(op, r, preds, target);
    const C = r.n,
      N = t.shape[0];
    if (r.topK > 1) {
      if (!isFloat(preds)) fail('INVALID_ARGUMENT', `${op}: topK > 1 needs scores, not labels`);
      // The target's score, then its rank: scores above it, plus equal scores at lower class
      // indices (the order a stable top-k keeps ties in). Correct when the rank is below k.
      const cls = arange(C, { dtype: 'int64' }).unsqueeze(0);
      const ts = preds
        .reshape(-1)
        .indexSelect(0, arange(N, { dtype: 'int64' }).mul(C).add(t))
        .unsqueeze(1);
      let rank: Tensor = preds.gt(ts).sum(1);
      // Ties with the target's score (besides itself) are rare with float scores: the tie term
      // costs three more [N, C] passes, so it runs only when some row has one.
      const ties = preds.eq(ts);
      if (Number(ties.sum().item()) > N) rank = rank.add(ties.mul(cls.lt(t.unsqueeze(1))).sum(1));
      const tp = t.bincount({ weights: rank.lt(r.topK).to('float64'), minlength: C });
      const fn = t.bincount({ minlength: C }).to('float64').sub(tp);
      // Top-k has no single predicted class: only accuracy (tp, fn) is defined.
      const zero = zeros([C], { dtype: 'float64' });
      return { tp, fp: zero, fn, tn: zero.clone() };
    }
    // One pass over the batch: the confusion matrix (target-major), then per-class counts from
    // its diagonal, rows and columns (tiny [C, C] ops).
    const cm = t
      .mul(C)
      .add(p)
      .bincount({ minlength: C * C })
      .to('float64');
    const tp = cm.indexSelect(0, arange(C, { dtype: 'int64' }).mul(C + 1));
    const m = cm.reshape(C, C);
    const fn = m.sum(1).sub(tp),
      fp = m.sum(0).sub(tp);
    return { tp, fp, fn, tn: tp.add(fp).add(fn).neg().add(N) };
  }
  const { p, t } = binaryInputs(op, r, preds, target);
  const dims = r.task === 'multilabel' ? 0 : null;
  const sum = (x: Tensor) => (dims === null ? x.sum().reshape(1) : x.sum(dims));
  // tp from one product; the rest from the predicted and actual positive counts.
  const tp = sum(p.mul(t)),
    fp = sum(p).sub(tp),
    fn = sum(t).sub(tp);
  const n = r.task === 'multilabel' ? p.shape[0] : p.numel();
  return { tp, fp, fn, tn: tp.add(fp).add(fn).neg().add(n) };
}

const safeDiv = (a: Tensor, b: Tensor) => where(b.eq(0), 0, a.div(b));

// Reduces per-class (num, den) to the requested average. Macro and weighted skip multiclass
// classes that never occur in preds or target (torchmetrics' rule).
function averaged(
  r: Resolved,
  s: Record<string, Tensor>,
  num: (s: Record<string, Tensor>) => Tensor,
  den: (s: Record<string, Tensor>) => Tensor,
): Tensor {
  if (r.task === 'binary') return safeDiv(num(s), den(s)).reshape([]);
  if (r.average === 'micro') {
    const tot = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.sum()]));
    return safeDiv(num(tot), den(tot));
  }
  const score = safeDiv(num(s), den(s));
  if (r.average === 'none') return score;
  let w = r.average === 'weighted' ? s.tp.add(s.fn) : zeros(score.shape, { dtype: 'float64' }).add(1);
  if (r.task === 'multiclass') w = where(s.tp.add(s.fp).add(s.fn).eq(0), 0, w);
  return safeDiv(score.mul(w).sum(), w.sum());
}

const STAT_OPTIONS = ['task', 'numClasses', 'numLabels', 'threshold', 'average'] as const;

abstract class StatScoresMetric extends Metric {
  protected readonly stateReductions: Record<string, Reduction> = { tp: 'sum', fp: 'sum', fn: 'sum', tn: 'sum' };
  /** @internal The options, resolved and checked. */
  protected readonly r: Resolved;
  protected constructor(options: AccuracyOptions, allowed: readonly (keyof typeof SPEC)[]) {
    super(options);
    this.r = resolve(new.target.name, options, allowed);
  }
  protected batchStats(preds: Tensor, target: Tensor): Record<string, Tensor> {
    return statScores(this.constructor.name, this.r, preds, target);
  }
}

/**
 * The fraction of correct predictions (multiclass: optionally within the top k scores;
 * multilabel: of correct label decisions).
 * @example const acc = new metrics.Accuracy({ task: 'multiclass', numClasses: 3 }); acc.update(logits, y); acc.compute()
 */
export class Accuracy extends StatScoresMetric {
  constructor(options: AccuracyOptions) {
    super(options, [...STAT_OPTIONS, 'topK']);
  }
  protected computeFrom(s: Record<string, Tensor>): Tensor {
    // Binary and multilabel count both kinds of correct decision; multiclass accuracy per class is
    // recall (its true negatives are everyone else's samples).
    if (this.r.task === 'multiclass')
      return averaged(
        this.r,
        s,
        (x) => x.tp,
        (x) => x.tp.add(x.fn),
      );
    return averaged(
      this.r,
      s,
      (x) => x.tp.add(x.tn),
      (x) => x.tp.add(x.tn).add(x.fp).add(x.fn),
    );
  }
}

/** tp / (tp + fp): how many predicted positives are right (0 when nothing is predicted). */
export class Precision extends StatScoresMetric {
  constructor(options: ClassificationOptions) {
    super(options, STAT_OPTIONS);
  }
  protected computeFrom(s: Record<string, Tensor>): Tensor {
    return averaged(
      this.r,
      s,
      (x) => x.tp,
      (x) => x.tp.add(x.fp),
    );
  }
}

/** tp / (tp + fn): how many actual positives are found (0 when there are none). */
export class Recall extends StatScoresMetric {
  constructor(options: ClassificationOptions) {
    super(options, STAT_OPTIONS);
  }
  protected computeFrom(s: Record<string, Tensor>): Tensor {
    return averaged(
      this.r,
      s,
      (x) => x.tp,
      (x) => x.tp.add(x.fn),
    );
  }
}

/** The harmonic mean of precision and recall: 2 tp / (2 tp + fp + fn). */
export class F1Score extends StatScoresMetric {
  constructor(options: ClassificationOptions) {
    super(options, STAT_OPTIONS);
  }
  protected computeFrom(s: Record<string, Tensor>): Tensor {
    return averaged(
      this.r,
      s,
      (x) => x.tp.mul(2),
      (x) => x.tp.mul(2).add(x.fp).add(x.fn),
    );
  }
}

/** Options of `ConfusionMatrix`. */
export interface ConfusionMatrixOptions {
  task: Task;
  numClasses?: number;
  numLabels?: number;
  threshold?: number;
  /** Divide by row sums ('true'), column sums ('pred'), the total ('all'), or not ('none', default). */
  normalize?: 'true' | 'pred' | 'all' | 'none';
}

/**
 * Counts of (target, prediction) pairs: [C, C] with rows the true class (binary: [2, 2];
 * multilabel: [L, 2, 2]).
 * @example const cm = new metrics.ConfusionMatrix({ task: 'multiclass', numClasses: 3 })
 */
export class ConfusionMatrix extends Metric {
  override readonly higherIsBetter = false;
  protected readonly stateReductions: Record<string, Reduction> = { counts: 'sum' };
  private readonly r: Resolved;
  private readonly normalize: string;
  constructor(options: ConfusionMatrixOptions) {
    super(options);
    this.r = resolve('ConfusionMatrix', options as AccuracyOptions, [
      'task',
      'numClasses',
      'numLabels',
      'threshold',
      'normalize',
    ]);
    this.normalize = options.normalize ?? 'none';
    if (!['true', 'pred', 'all', 'none'].includes(this.normalize))
      fail(
        'INVALID_ARGUMENT',
        `ConfusionMatrix: normalize must be 'true', 'pred', 'all' or 'none', got ${describe(options.normalize)}`,
      );
  }
  protected batchStats(preds: Tensor, target: Tensor): Record<string, Tensor> {
    const op = 'ConfusionMatrix';
    tensorInput(op, 'preds', preds);
    tensorInput(op, 'target', target);
    if (this.r.task === 'multiclass') {
      const { p, t } = multiclassInputs(op, this.r, preds, target);
      const C = this.r.n;
      return {
        counts: t
          .mul(C)
          .add(p)
          .bincount({ minlength: C * C })
          .reshape(C, C),
      };
    }
    const { p, t } = binaryInputs(op, this.r, preds, target);
    // Cell index 2 * target + pred, counted per label.
    const cell = t.mul(2).add(p).to('int64');
    if (this.r.task === 'binary') return { counts: cell.flatten().bincount({ minlength: 4 }).reshape(2, 2) };
    const L = this.r.n;
    const perLabel = cell.add(arange(L, { dtype: 'int64' }).mul(4)); // [N, L]: label l's cells at 4l..4l+3
    return {
      counts: perLabel
        .flatten()
        .bincount({ minlength: 4 * L })
        .reshape(L, 2, 2),
    };
  }
  protected computeFrom(s: Record<string, Tensor>): Tensor {
    const c = s.counts;
    if (this.normalize === 'none') return c.clone();
    const f = c.to('float64');
    const last = c.ndim - 1;
    const den =
      this.normalize === 'true'
        ? f.sum(last, { keepdim: true })
        : this.normalize === 'pred'
          ? f.sum(last - 1, { keepdim: true })
          : f.sum(last === 1 ? [0, 1] : [1, 2], { keepdim: true });
    return safeDiv(f, den);
  }
}

/** Options of `AUROC`. */
export interface AurocOptions {
  task: Task;
  numClasses?: number;
  numLabels?: number;
  /** Multiclass/multilabel: 'macro' (default), 'weighted' (by positives) or 'none'. */
  average?: 'macro' | 'weighted' | 'none';
}

// Area under the ROC curve of scores s against 0/1 labels y (float64), ties counted half:
// AUC = P(s+ > s-) + P(s+ == s-) / 2. Two stable sorts order ties negatives-first (A) and
// positives-first (B); a positive then has, before it, the negatives below it plus (A) or minus
// (B) the negatives tied with it, and the mean of the two counts is the tie-corrected one.
// No positives or no negatives gives 0 (torchmetrics' convention).
/**
 * Area under the ROC curve of scores against 0/1 labels, ties counted half (0 without positives or negatives). @example
 * metrics.binaryAuroc(scores, labels)
 */
export function binaryAuroc(s: Tensor, y: Tensor): Tensor {
  tensorInput('binaryAuroc', 'scores', s);
  tensorInput('binaryAuroc', 'labels', y);
  if (s.ndim !== 1 || y.ndim !== 1 || s.shape[0] !== y.shape[0])
    fail(
      'SHAPE_MISMATCH',
      `binaryAuroc: scores and labels must be 1-D of one length, got ${shapeStr(s)} and ${shapeStr(y)}`,
    );
  if (!isFloat(y)) fail('DTYPE_MISMATCH', `binaryAuroc: labels must be floating 0/1 values, got ${y.dtype}`);
  const P = Number(y.sum().item()),
    N = y.numel() - P;
  if (P === 0 || N === 0) return zeros([], { dtype: 'float64' });
  const below = (descendingLabels: boolean) => {
    const byLabel = y.argsort(0, { descending: descendingLabels });
    const s1 = s.indexSelect(0, byLabel),
      y1 = y.indexSelect(0, byLabel);
    const ys = y1.indexSelect(0, s1.argsort(0));
    const neg = ys.neg().add(1);
    return ys.mul(neg.cumsum(0).sub(neg)).sum();
  };
  return below(false)
    .add(below(true))
    .div(2 * P * N);
}

/**
 * Area under the ROC curve (ranking quality of scores; 0.5 is chance). Keeps every score seen
 * since the last reset, as torchmetrics does.
 * @example const auc = new metrics.AUROC({ task: 'binary' }); auc.update(probs, labels)
 */
export class AUROC extends Metric {
  protected readonly stateReductions: Record<string, Reduction> = { preds: 'cat', target: 'cat' };
  private readonly r: Resolved;
  private readonly avg: string;
  constructor(options: AurocOptions) {
    super(options);
    this.r = resolve('AUROC', { ...options, average: undefined } as AccuracyOptions, [
      'task',
      'numClasses',
      'numLabels',
      'average',
    ]);
    this.avg = options.average ?? 'macro';
    if (!['macro', 'weighted', 'none'].includes(this.avg))
      fail(
        'INVALID_ARGUMENT',
        `AUROC: average must be 'macro', 'weighted' or 'none', got ${describe(options.average)}`,
      );
  }
  protected batchStats(preds: Tensor, target: Tensor): Record<string, Tensor> {
    const op = 'AUROC';
    tensorInput(op, 'preds', preds);
    tensorInput(op, 'target', target);
    if (!isFloat(preds)) fail('DTYPE_MISMATCH', `${op}: preds must be floating scores, got ${preds.dtype}`);
    if (this.r.task === 'multiclass') {
      multiclassInputs(op, this.r, preds, target);
      return { preds: probabilities(preds, 'multiclass').to('float64'), target: target.to('int64') };
    }
    binaryInputs(op, this.r, preds, target);
    return {
      preds: preds.to('float64').reshape(this.r.task === 'binary' ? [-1] : [-1, this.r.n]),
      target: target.to('float64').reshape(this.r.task === 'binary' ? [-1] : [-1, this.r.n]),
    };
  }
  protected computeFrom(s: Record<string, Tensor>): Tensor {
    if (this.r.task === 'binary') return binaryAuroc(s.preds, s.target);
    const per: Tensor[] = [],
      pos: Tensor[] = [];
    for (let c = 0; c < this.r.n; c++) {
      const y = this.r.task === 'multiclass' ? s.target.eq(c).to('float64') : s.target.select(1, c).contiguous();
      per.push(binaryAuroc(s.preds.select(1, c).contiguous(), y));
      pos.push(y.sum());
    }
    const score = stack(per, 0);
    if (this.avg === 'none') return score;
    const w = this.avg === 'weighted' ? stack(pos, 0) : zeros([this.r.n], { dtype: 'float64' }).add(1);
    return safeDiv(score.mul(w).sum(), w.sum());
  }
}
