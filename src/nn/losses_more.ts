// The rest of torch.nn's losses and distances, composed of core ops so autograd differentiates
// them: klDiv, huberLoss, softMarginLoss, marginRankingLoss, hingeEmbeddingLoss,
// cosineEmbeddingLoss, tripletMarginLoss, multiMarginLoss, multilabelSoftMarginLoss,
// poissonNllLoss, gaussianNllLoss, and the functions they share: cosineSimilarity,
// pairwiseDistance, normalize. Each formula is torch's (1.13), edge terms included; the values and
// gradients are checked against PyTorch's in test/nn-more.test.ts.
import type { DType, FloatResult } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { arange } from '../ops/creation.js';
import { where } from '../ops/functional.js';
import { checkOptions, describe, int, num } from '../options.js';
import { Tensor } from '../tensor.js';
import { tensorArg } from './args.js';
import { lossOptions, reduce, reductionOf, sameShape, type LossOption, type Reduction } from './losses.js';
import { Module } from './module.js';

const shapeText = (t: Tensor) => `[${t.shape.join(', ')}]`;

// ---- distances -----------------------------------------------------------------------------------

/**
 * Cosine of the angle between x1 and x2 along dim (broadcast): x1.x2 / sqrt(max(|x1|^2 |x2|^2,
 * eps^2)). @example F.cosineSimilarity(a, b, { dim: -1 })
 */
export function cosineSimilarity<F extends DType>(
  x1: Tensor<F>,
  x2: Tensor,
  options?: { dim?: number; eps?: number },
): Tensor<FloatResult<F>>;
export function cosineSimilarity(x1: Tensor, x2: Tensor, options?: { dim?: number; eps?: number }): Tensor {
  const op = 'cosineSimilarity';
  tensorArg(op, 'x1', x1);
  tensorArg(op, 'x2', x2);
  const o = checkOptions(op, options, { dim: 'integer', eps: 'number' });
  const dim = int(op, 'dim', o.dim ?? 1),
    eps = num(op, 'eps', o.eps ?? 1e-8);
  return tidy(() => {
    const w12 = x1.mul(x2).sum(dim);
    const w1 = x1.mul(x1).sum(dim),
      w2 = x2.mul(x2).sum(dim);
    return w12.div(
      w1
        .mul(w2)
        .clamp(eps * eps)
        .sqrt(),
    );
  });
}

/**
 * The p-norm of x1 - x2 + eps over the last dim (torch.pairwise_distance).
 * @example F.pairwiseDistance(a, b) // [N]
 */
export function pairwiseDistance<F extends DType>(
  x1: Tensor<F>,
  x2: Tensor,
  options?: { p?: number; eps?: number; keepdim?: boolean },
): Tensor<FloatResult<F>>;
export function pairwiseDistance(
  x1: Tensor,
  x2: Tensor,
  options?: { p?: number; eps?: number; keepdim?: boolean },
): Tensor {
  const op = 'pairwiseDistance';
  tensorArg(op, 'x1', x1);
  tensorArg(op, 'x2', x2);
  const o = checkOptions(op, options, { p: 'number', eps: 'number', keepdim: 'boolean' });
  return distance(x1, x2, num(op, 'p', o.p ?? 2), num(op, 'eps', o.eps ?? 1e-6), o.keepdim ?? false);
}
function distance(x1: Tensor, x2: Tensor, p: number, eps: number, keepdim: boolean): Tensor {
  return tidy(() => {
    const d = x1.sub(x2).add(eps);
    // torch reduces the last dim, or dim 0 of two 1-D inputs (the same dim then).
    return d.vectorNorm(p, { dim: -1, keepdim });
  });
}

/**
 * x divided by its p-norm along dim, the norm at least eps (torch.nn.functional.normalize).
 * @example F.normalize(embeddings, { dim: -1 })
 */
export function normalize<F extends DType>(
  input: Tensor<F>,
  options?: { p?: number; dim?: number; eps?: number },
): Tensor<FloatResult<F>>;
export function normalize(input: Tensor, options?: { p?: number; dim?: number; eps?: number }): Tensor {
  const op = 'normalize';
  tensorArg(op, 'input', input);
  const o = checkOptions(op, options, { p: 'number', dim: 'integer', eps: 'number' });
  const p = num(op, 'p', o.p ?? 2),
    dim = int(op, 'dim', o.dim ?? 1),
    eps = num(op, 'eps', o.eps ?? 1e-12);
  return tidy(() => input.div(input.vectorNorm(p, { dim, keepdim: true }).clamp(eps, null)));
}

// ---- losses --------------------------------------------------------------------------------------

function tensors(op: string, ...ts: [string, unknown][]): Tensor[] {
  return ts.map(([name, t]) => tensorArg(op, name, t));
}

/**
 * The Kullback-Leibler divergence of target from input (input holds log-probabilities; target
 * probabilities, or log-probabilities with logTarget). 'batchmean' divides the sum by the batch
 * size, the mathematically right mean. @example F.klDiv(logq, p, { reduction: 'batchmean' })
 */
export function klDiv<F extends DType>(
  input: Tensor<F>,
  target: Tensor,
  options?: { reduction?: Reduction | 'batchmean'; logTarget?: boolean },
): Tensor<FloatResult<F>>;
export function klDiv(
  input: Tensor,
  target: Tensor,
  options?: { reduction?: Reduction | 'batchmean'; logTarget?: boolean },
): Tensor {
  const op = 'klDiv';
  tensors(op, ['input', input], ['target', target]);
  const o = lossOptions(op, options, ['reduction', 'logTarget'], true);
  const r = reductionOf(op, o.reduction, true) as Reduction | 'batchmean';
  return tidy(() => {
    const loss = o.logTarget ? target.exp().mul(target.sub(input)) : target.xlogy(target).sub(target.mul(input));
    if (r !== 'batchmean') return reduce(loss, r);
    return loss.sum().div(input.ndim === 0 ? 1 : input.shape[0]);
  });
}

/**
 * Huber loss: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta). @example F.huberLoss(pred, y, { delta: 2 })
 */
export function huberLoss<F extends DType>(
  input: Tensor<F>,
  target: Tensor,
  options?: { reduction?: Reduction; delta?: number },
): Tensor<FloatResult<F>>;
export function huberLoss(input: Tensor, target: Tensor, options?: { reduction?: Reduction; delta?: number }): Tensor {
  const op = 'huberLoss';
  tensors(op, ['input', input], ['target', target]);
  sameShape(op, input, target);
  const o = lossOptions(op, options, ['reduction', 'delta']);
  const delta = o.delta ?? 1;
  if (!(delta > 0)) fail('INVALID_ARGUMENT', `${op}: delta must be positive, got ${describe(delta)}`);
  return tidy(() => {
    const d = input.sub(target).abs();
    return reduce(where(d.lt(delta), d.square().mul(0.5), d.sub(0.5 * delta).mul(delta)), reductionOf(op, o.reduction));
  });
}

/** log(1 + exp(-y x)) for labels y of +-1. @example F.softMarginLoss(scores, y) */
export function softMarginLoss<F extends DType>(
  input: Tensor<F>,
  target: Tensor,
  options?: { reduction?: Reduction },
): Tensor<FloatResult<F>>;
export function softMarginLoss(input: Tensor, target: Tensor, options?: { reduction?: Reduction }): Tensor {
  const op = 'softMarginLoss';
  tensors(op, ['input', input], ['target', target]);
  sameShape(op, input, target);
  const o = lossOptions(op, options, ['reduction']);
  return tidy(() => reduce(target.neg().mul(input).exp().log1p(), reductionOf(op, o.reduction)));
}

/** max(0, -y (x1 - x2) + margin), y +-1: ranks x1 above x2 where y = 1. @example F.marginRankingLoss(a, b, y) */
export function marginRankingLoss<F extends DType>(
  input1: Tensor<F>,
  input2: Tensor,
  target: Tensor,
  options?: { margin?: number; reduction?: Reduction },
): Tensor<FloatResult<F>>;
export function marginRankingLoss(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  options?: { margin?: number; reduction?: Reduction },
): Tensor {
  const op = 'marginRankingLoss';
  tensors(op, ['input1', input1], ['input2', input2], ['target', target]);
  const o = lossOptions(op, options, ['margin', 'reduction']);
  return tidy(() =>
    reduce(
      target
        .neg()
        .mul(input1.sub(input2))
        .add(o.margin ?? 0)
        .clamp(0, null),
      reductionOf(op, o.reduction),
    ),
  );
}

/** x where y = 1, max(0, margin - x) where y = -1 (y +-1). @example F.hingeEmbeddingLoss(d, y) */
export function hingeEmbeddingLoss<F extends DType>(
  input: Tensor<F>,
  target: Tensor,
  options?: { margin?: number; reduction?: Reduction },
): Tensor<FloatResult<F>>;
export function hingeEmbeddingLoss(
  input: Tensor,
  target: Tensor,
  options?: { margin?: number; reduction?: Reduction },
): Tensor {
  const op = 'hingeEmbeddingLoss';
  tensors(op, ['input', input], ['target', target]);
  const o = lossOptions(op, options, ['margin', 'reduction']);
  return tidy(() => {
    const clamped = input
      .neg()
      .add(o.margin ?? 1)
      .clamp(0, null);
    const loss = where(target.ne(1), clamped, 0).add(where(target.ne(-1), input, 0));
    return reduce(loss, reductionOf(op, o.reduction));
  });
}

/**
 * 1 - cos(x1, x2) where y = 1, max(0, cos - margin) where y = -1, the cosine over dim 1 of
 * [N, D] inputs (dim 0 of [D]). @example F.cosineEmbeddingLoss(a, b, y, { margin: 0.2 })
 */
export function cosineEmbeddingLoss<F extends DType>(
  input1: Tensor<F>,
  input2: Tensor,
  target: Tensor,
  options?: { margin?: number; reduction?: Reduction },
): Tensor<FloatResult<F>>;
export function cosineEmbeddingLoss(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  options?: { margin?: number; reduction?: Reduction },
): Tensor {
  const op = 'cosineEmbeddingLoss';
  tensors(op, ['input1', input1], ['input2', input2], ['target', target]);
  if (input1.ndim < 1 || input1.ndim > 2 || shapeText(input1) !== shapeText(input2))
    fail(
      'SHAPE_MISMATCH',
      `${op}: expected two 1-D or 2-D inputs of one shape, got ${shapeText(input1)} and ${shapeText(input2)}`,
    );
  const o = lossOptions(op, options, ['margin', 'reduction']);
  const d = input1.ndim === 2 ? 1 : 0;
  return tidy(() => {
    // torch's form: eps 1e-12 added to each squared norm.
    const prod = input1.mul(input2).sum(d);
    const cos = prod.div(input1.square().sum(d).add(1e-12).mul(input2.square().sum(d).add(1e-12)).sqrt());
    const loss = where(target.eq(1), cos.neg().add(1), 0).add(
      where(target.eq(-1), cos.sub(o.margin ?? 0).clamp(0, null), 0),
    );
    return reduce(loss, reductionOf(op, o.reduction));
  });
}

/**
 * max(d(a, p) - d(a, n) + margin, 0) with d the pairwise p-distance; `swap` uses the smaller of
 * d(a, n) and d(p, n). @example F.tripletMarginLoss(anchor, pos, neg, { margin: 0.5 })
 */
export function tripletMarginLoss<F extends DType>(
  anchor: Tensor<F>,
  positive: Tensor,
  negative: Tensor,
  options?: { margin?: number; p?: number; eps?: number; swap?: boolean; reduction?: Reduction },
): Tensor<FloatResult<F>>;
export function tripletMarginLoss(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  options?: { margin?: number; p?: number; eps?: number; swap?: boolean; reduction?: Reduction },
): Tensor {
  const op = 'tripletMarginLoss';
  tensors(op, ['anchor', anchor], ['positive', positive], ['negative', negative]);
  const o = lossOptions(op, options, ['margin', 'p', 'eps', 'swap', 'reduction']);
  const p = o.p ?? 2,
    eps = o.eps ?? 1e-6;
  if (!(p > 0)) fail('INVALID_ARGUMENT', `${op}: p must be positive, got ${describe(p)}`);
  return tidy(() => {
    const dPos = distance(anchor, positive, p, eps, false);
    let dNeg = distance(anchor, negative, p, eps, false);
    if (o.swap) dNeg = dNeg.minimum(distance(positive, negative, p, eps, false));
    return reduce(
      dPos
        .sub(dNeg)
        .add(o.margin ?? 1)
        .clamp(0, null),
      reductionOf(op, o.reduction),
    );
  });
}

/**
 * The multi-class hinge loss of [N, C] scores and class indices: per sample,
 * sum over i != y of max(0, margin - x[y] + x[i])^p (times weight[y]), over C. p is 1 or 2.
 * @example F.multiMarginLoss(scores, labels)
 */
export function multiMarginLoss<F extends DType>(
  input: Tensor<F>,
  target: Tensor,
  options?: { p?: number; margin?: number; weight?: Tensor | null; reduction?: Reduction },
): Tensor<FloatResult<F>>;
export function multiMarginLoss(
  input: Tensor,
  target: Tensor,
  options?: { p?: number; margin?: number; weight?: Tensor | null; reduction?: Reduction },
): Tensor {
  const op = 'multiMarginLoss';
  tensors(op, ['input', input], ['target', target]);
  const o = lossOptions(op, options, ['p', 'margin', 'weight', 'reduction']);
  const p = o.p ?? 1;
  if (p !== 1 && p !== 2) fail('INVALID_ARGUMENT', `${op}: p must be 1 or 2, got ${describe(p)}`);
  const x = input.ndim === 1 ? input.unsqueeze(0) : input;
  const y = target.ndim === 0 ? target.unsqueeze(0) : target;
  if (x.ndim !== 2 || y.ndim !== 1 || y.shape[0] !== x.shape[0])
    fail(
      'SHAPE_MISMATCH',
      `${op}: expected input [N, C] (or [C]) and target [N], got ${shapeText(input)} and ${shapeText(target)}`,
    );
  if (y.dtype !== 'int64' && y.dtype !== 'int32')
    fail('DTYPE_MISMATCH', `${op}: target must hold class indices (int64), got ${y.dtype}`);
  const C = x.shape[1];
  return tidy(() => {
    const idx = y.to('int64').unsqueeze(1);
    const xy = x.gather(1, idx); // [N, 1]
    let m = xy
      .neg()
      .add(x)
      .add(o.margin ?? 1)
      .clamp(0, null);
    if (p === 2) m = m.square();
    if (o.weight) m = m.mul(o.weight.index([y.to('int64')]).unsqueeze(1));
    // The target's own column does not count.
    const mask = idx.ne(arange(C, { dtype: 'int64', device: x.device }).reshape([1, C]));
    let loss = where(mask, m, 0).sum(1).div(C);
    if (input.ndim === 1) loss = loss.reshape([]);
    return reduce(loss, reductionOf(op, o.reduction));
  });
}
/**
 * The multi-label one-vs-all loss of [N, C] logits and 0/1 targets: per sample, the mean over
 * classes of -(y logsigmoid(x) + (1 - y) logsigmoid(-x)), weighted per class.
 * @example F.multilabelSoftMarginLoss(logits, y)
 */
export function multilabelSoftMarginLoss<F extends DType>(
  input: Tensor<F>,
  target: Tensor,
  options?: { weight?: Tensor | null; reduction?: Reduction },
): Tensor<FloatResult<F>>;
export function multilabelSoftMarginLoss(
  input: Tensor,
  target: Tensor,
  options?: { weight?: Tensor | null; reduction?: Reduction },
): Tensor {
  const op = 'multilabelSoftMarginLoss';
  tensors(op, ['input', input], ['target', target]);
  sameShape(op, input, target);
  const o = lossOptions(op, options, ['weight', 'reduction']);
  return tidy(() => {
    // logsigmoid(x) = -softplus(-x), computed stably: min(x, 0) - log1p(e^-|x|)
    const logsig = (t: Tensor) => t.clamp(null, 0).sub(t.abs().neg().exp().log1p());
    let loss = target
      .mul(logsig(input))
      .add(target.neg().add(1).mul(logsig(input.neg())))
      .neg();
    if (o.weight) loss = loss.mul(o.weight);
    return reduce(loss.mean(-1), reductionOf(op, o.reduction));
  });
}

/**
 * The negative log-likelihood of a Poisson target: exp(x) - y x with logInput (default), else
 * x - y log(x + eps); `full` adds Stirling's term where y > 1. @example F.poissonNllLoss(logRate, counts)
 */
export function poissonNllLoss<F extends DType>(
  input: Tensor<F>,
  target: Tensor,
  options?: { logInput?: boolean; full?: boolean; eps?: number; reduction?: Reduction },
): Tensor<FloatResult<F>>;
export function poissonNllLoss(
  input: Tensor,
  target: Tensor,
  options?: { logInput?: boolean; full?: boolean; eps?: number; reduction?: Reduction },
): Tensor {
  const op = 'poissonNllLoss';
  tensors(op, ['input', input], ['target', target]);
  const o = lossOptions(op, options, ['logInput', 'full', 'eps', 'reduction']);
  const eps = o.eps ?? 1e-8;
  return tidy(() => {
    let loss = (o.logInput ?? true) ? input.exp().sub(target.mul(input)) : input.sub(target.mul(input.add(eps).log()));
    if (o.full) {
      const stirling = target
        .xlogy(target)
        .sub(target)
        .add(
          target
            .mul(2 * Math.PI)
            .log()
            .mul(0.5),
        );
      loss = loss.add(where(target.gt(1), stirling, 0));
    }
    return reduce(loss, reductionOf(op, o.reduction));
  });
}

/**
 * The negative log-likelihood of a Gaussian with mean `input` and variance `var` (input's shape,
 * or one dim fewer, or 1 in the last dim): 0.5 (log(var) + (x - y)^2 / var), var at least eps (the
 * clamp passes the gradient through, as torch's). @example F.gaussianNllLoss(mu, y, sigma2)
 */
export function gaussianNllLoss<F extends DType>(
  input: Tensor<F>,
  target: Tensor,
  variance: Tensor,
  options?: { full?: boolean; eps?: number; reduction?: Reduction },
): Tensor<FloatResult<F>>;
export function gaussianNllLoss(
  input: Tensor,
  target: Tensor,
  variance: Tensor,
  options?: { full?: boolean; eps?: number; reduction?: Reduction },
): Tensor {
  const op = 'gaussianNllLoss';
  tensors(op, ['input', input], ['target', target], ['var', variance]);
  const o = lossOptions(op, options, ['full', 'eps', 'reduction']);
  const eps = o.eps ?? 1e-6;
  let v = variance;
  const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((s, i) => s === b[i]);
  if (!same(v.shape, input.shape)) {
    if (same(input.shape.slice(0, -1), v.shape)) v = v.unsqueeze(-1);
    else if (!(same(input.shape.slice(0, -1), v.shape.slice(0, -1)) && v.shape[v.ndim - 1] === 1))
      fail('SHAPE_MISMATCH', `${op}: var ${shapeText(variance)} does not fit input ${shapeText(input)}`);
  }
  return tidy(() => {
    if ((v.lt(0).any().item() as boolean) === true) fail('INVALID_ARGUMENT', `${op}: var has negative entries`);
    // max(var, eps) in value, the identity in gradient.
    const vc = v.add(v.clamp(eps, null).sub(v).detach());
    let loss = vc.log().add(input.sub(target).square().div(vc)).mul(0.5);
    if (o.full) loss = loss.add(0.5 * Math.log(2 * Math.PI));
    return reduce(loss, reductionOf(op, o.reduction));
  });
}

// ---- modules -------------------------------------------------------------------------------------

// A loss module: options checked when it is made, then passed to the function on each call.
function lossModule<A extends unknown[], O extends object>(
  name: string,
  names: readonly LossOption[],
  f: (...args: [...A, O | undefined]) => Tensor,
  batchmean = false,
) {
  return class extends Module {
    readonly options: O;
    constructor(options: O = {} as O) {
      super();
      this.options = lossOptions(name, options, names, batchmean);
    }
    forward(...args: A): Tensor {
      return f(...args, this.options);
    }
  };
}

/** nn.KLDivLoss. @example new nn.KLDivLoss({ reduction: 'batchmean' }).call(logq, p) */
export class KLDivLoss extends lossModule<
  [Tensor, Tensor],
  { reduction?: Reduction | 'batchmean'; logTarget?: boolean }
>('KLDivLoss', ['reduction', 'logTarget'], klDiv, true) {}
/** nn.HuberLoss. */
export class HuberLoss extends lossModule<[Tensor, Tensor], { reduction?: Reduction; delta?: number }>(
  'HuberLoss',
  ['reduction', 'delta'],
  huberLoss,
) {}
/** nn.SoftMarginLoss. */
export class SoftMarginLoss extends lossModule<[Tensor, Tensor], { reduction?: Reduction }>(
  'SoftMarginLoss',
  ['reduction'],
  softMarginLoss,
) {}
/** nn.MarginRankingLoss. */
export class MarginRankingLoss extends lossModule<[Tensor, Tensor, Tensor], { margin?: number; reduction?: Reduction }>(
  'MarginRankingLoss',
  ['margin', 'reduction'],
  marginRankingLoss,
) {}
/** nn.HingeEmbeddingLoss. */
export class HingeEmbeddingLoss extends lossModule<[Tensor, Tensor], { margin?: number; reduction?: Reduction }>(
  'HingeEmbeddingLoss',
  ['margin', 'reduction'],
  hingeEmbeddingLoss,
) {}
/** nn.CosineEmbeddingLoss. */
export class CosineEmbeddingLoss extends lossModule<
  [Tensor, Tensor, Tensor],
  { margin?: number; reduction?: Reduction }
>('CosineEmbeddingLoss', ['margin', 'reduction'], cosineEmbeddingLoss) {}
/** nn.TripletMarginLoss. */
export class TripletMarginLoss extends lossModule<
  [Tensor, Tensor, Tensor],
  { margin?: number; p?: number; eps?: number; swap?: boolean; reduction?: Reduction }
>('TripletMarginLoss', ['margin', 'p', 'eps', 'swap', 'reduction'], tripletMarginLoss) {}
/** nn.MultiMarginLoss. */
export class MultiMarginLoss extends lossModule<
  [Tensor, Tensor],
  { p?: number; margin?: number; weight?: Tensor | null; reduction?: Reduction }
>('MultiMarginLoss', ['p', 'margin', 'weight', 'reduction'], multiMarginLoss) {}
/** nn.MultiLabelSoftMarginLoss. */
export class MultiLabelSoftMarginLoss extends lossModule<
  [Tensor, Tensor],
  { weight?: Tensor | null; reduction?: Reduction }
>('MultiLabelSoftMarginLoss', ['weight', 'reduction'], multilabelSoftMarginLoss) {}
/** nn.PoissonNLLLoss. */
export class PoissonNLLLoss extends lossModule<
  [Tensor, Tensor],
  { logInput?: boolean; full?: boolean; eps?: number; reduction?: Reduction }
>('PoissonNLLLoss', ['logInput', 'full', 'eps', 'reduction'], poissonNllLoss) {}
/** nn.GaussianNLLLoss: forward(input, target, var). */
export class GaussianNLLLoss extends lossModule<
  [Tensor, Tensor, Tensor],
  { full?: boolean; eps?: number; reduction?: Reduction }
>('GaussianNLLLoss', ['full', 'eps', 'reduction'], gaussianNllLoss) {}

/** nn.CosineSimilarity: cosineSimilarity along `dim` (1). */
export class CosineSimilarity extends Module {
  readonly options: { dim?: number; eps?: number };
  constructor(options: { dim?: number; eps?: number } = {}) {
    super();
    this.options = checkOptions('CosineSimilarity', options, { dim: 'integer', eps: 'number' });
  }
  forward(x1: Tensor, x2: Tensor): Tensor {
    return cosineSimilarity(x1, x2, this.options);
  }
}
/** nn.PairwiseDistance: pairwiseDistance over the last dim. */
export class PairwiseDistance extends Module {
  readonly options: { p?: number; eps?: number; keepdim?: boolean };
  constructor(options: { p?: number; eps?: number; keepdim?: boolean } = {}) {
    super();
    this.options = checkOptions('PairwiseDistance', options, { p: 'number', eps: 'number', keepdim: 'boolean' });
  }
  forward(x1: Tensor, x2: Tensor): Tensor {
    return pairwiseDistance(x1, x2, this.options);
  }
}
