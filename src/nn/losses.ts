// Loss functions (torch.nn.functional names), compositions of core ops so autograd
// differentiates them. Class-index targets select through a one-hot mask (eq against arange).
import { isFloating, type DType, type FloatResult } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { arange } from '../ops/creation.js';
import { op as runOp } from '../ops/dispatch.js';
import { where } from '../ops/functional.js';
import { checkOptions, describe } from '../options.js';
import { Tensor } from '../tensor.js';
import { tensorArg } from './args.js';
import { Module } from './module.js';

/** How a loss reduces over the batch: 'mean' (default), 'sum' or 'none'. */
export type Reduction = 'mean' | 'sum' | 'none';

/** @internal The reduction option, checked ('mean' when absent); klDiv adds 'batchmean'. */
export function reductionOf(op: string, r: unknown, batchmean = false): Reduction {
  if (r === undefined) return 'mean';
  if (r !== 'mean' && r !== 'sum' && r !== 'none' && !(batchmean && r === 'batchmean'))
    fail(
      'INVALID_ARGUMENT',
      `${op}: reduction must be 'mean', 'sum'${batchmean ? ", 'batchmean'" : ''} or 'none', got ${describe(r)}`,
    );
  return r as Reduction;
}

// Every loss option, by kind; each loss takes some of them.
const LOSS_OPTIONS = {
  weight: 'any',
  posWeight: 'any',
  ignoreIndex: 'integer',
  reduction: 'string',
  labelSmoothing: 'number',
  beta: 'number',
  delta: 'number',
  margin: 'number',
  p: 'number',
  eps: 'number',
  swap: 'boolean',
  logInput: 'boolean',
  full: 'boolean',
  logTarget: 'boolean',
} as const;
/** @internal */
export type LossOption = keyof typeof LOSS_OPTIONS;

/**
 * @internal Checks a loss's options (names, kinds, the reduction, the weight tensors): at the
 * call, and when a loss module is made, so a misspelled option fails at once.
 */
export function lossOptions<T extends object>(
  op: string,
  options: T | undefined,
  names: readonly LossOption[],
  batchmean = false,
): T {
  const o = checkOptions(op, options, Object.fromEntries(names.map((n) => [n, LOSS_OPTIONS[n]]))) as T & {
    reduction?: unknown;
    weight?: unknown;
    posWeight?: unknown;
  };
  reductionOf(op, o.reduction, batchmean);
  if (names.includes('weight')) tensorArg(op, 'weight', o.weight, true);
  if (names.includes('posWeight')) tensorArg(op, 'posWeight', o.posWeight, true);
  return o;
}
const NLL_OPTIONS = ['weight', 'ignoreIndex', 'reduction'] as const;
const CE_OPTIONS = [...NLL_OPTIONS, 'labelSmoothing'] as const;

/** @internal The per-element loss reduced as asked. */
export function reduce(loss: Tensor, r: Reduction): Tensor {
  return r === 'none' ? loss : r === 'sum' ? loss.sum() : loss.mean();
}

/** @internal Refuses a target whose shape is not the input's. */
export function sameShape(op: string, input: Tensor, target: Tensor): void {
  if (input.shape.join() !== target.shape.join())
    fail(
      'SHAPE_MISMATCH',
      `${op}: target shape [${target.shape.join(', ')}] must match input shape [${input.shape.join(', ')}]`,
    );
}

/** Mean (or sum) squared error. @example mseLoss(pred, y) */
export function mseLoss<F extends DType>(
  input: Tensor<F>,
  target: Tensor,
  options?: { reduction?: Reduction },
): Tensor<FloatResult<F>>;
export function mseLoss(input: Tensor, target: Tensor, options?: { reduction?: Reduction }): Tensor {
  const op = 'mseLoss';
  tensorArg(op, 'input', input);
  tensorArg(op, 'target', target);
  sameShape(op, input, target);
  const r = reductionOf(op, lossOptions(op, options, ['reduction']).reduction);
  return tidy(() => reduce(input.sub(target).pow(2), r));
}

/** Mean (or sum) absolute error. @example l1Loss(pred, y) */
export function l1Loss<F extends DType>(
  input: Tensor<F>,
  target: Tensor,
  options?: { reduction?: Reduction },
): Tensor<FloatResult<F>>;
export function l1Loss(input: Tensor, target: Tensor, options?: { reduction?: Reduction }): Tensor {
  const op = 'l1Loss';
  tensorArg(op, 'input', input);
  tensorArg(op, 'target', target);
  sameShape(op, input, target);
  const r = reductionOf(op, lossOptions(op, options, ['reduction']).reduction);
  return tidy(() => reduce(input.sub(target).abs(), r));
}

/** Huber-style loss: 0.5 d^2 / beta below beta, |d| - beta / 2 above. @example smoothL1Loss(pred, y, { beta: 1 }) */
export function smoothL1Loss<F extends DType>(
  input: Tensor<F>,
  target: Tensor,
  options?: { reduction?: Reduction; beta?: number },
): Tensor<FloatResult<F>>;
export function smoothL1Loss(
  input: Tensor,
  target: Tensor,
  options?: { reduction?: Reduction; beta?: number },
): Tensor {
  const op = 'smoothL1Loss';
  tensorArg(op, 'input', input);
  tensorArg(op, 'target', target);
  sameShape(op, input, target);
  const o = lossOptions(op, options, ['reduction', 'beta']);
  const r = reductionOf(op, o.reduction),
    beta = o.beta ?? 1;
  if (typeof beta !== 'number' || !(beta >= 0))
    fail('INVALID_ARGUMENT', `${op}: beta must be non-negative, got ${describe(beta)}`);
  return tidy(() => {
    const d = input.sub(target).abs();
    if (beta === 0) return reduce(d, r);
    return reduce(where(d.lt(beta), d.pow(2).mul(0.5 / beta), d.sub(0.5 * beta)), r);
  });
}

/**
 * Binary cross-entropy of probabilities (logs clamped at -100, as PyTorch does).
 * @example binaryCrossEntropy(probs, labels)
 */
export function binaryCrossEntropy<F extends DType>(
  input: Tensor<F>,
  target: Tensor,
  options?: { weight?: Tensor | null; reduction?: Reduction },
): Tensor<FloatResult<F>>;
export function binaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  options?: { weight?: Tensor | null; reduction?: Reduction },
): Tensor {
  const op = 'binaryCrossEntropy';
  tensorArg(op, 'input', input);
  tensorArg(op, 'target', target);
  sameShape(op, input, target);
  const o = lossOptions(op, options, ['weight', 'reduction']);
  const r = reductionOf(op, o.reduction);
  return tidy(() => {
    const logp = input.log().clamp(-100),
      log1mp = input.neg().add(1).log().clamp(-100);
    let loss = target.mul(logp).add(target.neg().add(1).mul(log1mp)).neg();
    if (o.weight) loss = loss.mul(o.weight);
    return reduce(loss, r);
  });
}

/**
 * Binary cross-entropy on logits, computed stably (log-sum-exp form); posWeight weighs the
 * positive term per class.
 * @example binaryCrossEntropyWithLogits(logits, labels, { posWeight: tensor([3]) })
 */
export function binaryCrossEntropyWithLogits<F extends DType>(
  input: Tensor<F>,
  target: Tensor,
  options?: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction },
): Tensor<FloatResult<F>>;
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options?: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction },
): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  tensorArg(op, 'input', input);
  tensorArg(op, 'target', target);
  sameShape(op, input, target);
  const o = lossOptions(op, options, ['weight', 'posWeight', 'reduction']);
  const r = reductionOf(op, o.reduction);
  return tidy(() => {
    // (1 - t) x + (1 + (pw - 1) t) (log(1 + e^-|x|) + max(-x, 0))
    const softplus = input.abs().neg().exp().add(1).log().add(input.neg().clamp(0));
    const logWeight = o.posWeight ? o.posWeight.sub(1).mul(target).add(1) : null;
    let loss = target
      .neg()
      .add(1)
      .mul(input)
      .add(logWeight ? logWeight.mul(softplus) : softplus);
    if (o.weight) loss = loss.mul(o.weight);
    return reduce(loss, r);
  });
}

/** Options of `nllLoss`. */
export interface NllOptions {
  /** A weight per class ([C]). */
  weight?: Tensor | null;
  /** Targets equal to this contribute nothing (and don't count in the mean). Default -100. */
  ignoreIndex?: number;
  reduction?: Reduction;
}

// Checks class-index targets against input [N, C, ...] and returns the one-hot mask (input's
// dtype, input's shape), the per-sample weights and the not-ignored mask (both target-shaped).
function classTargets(
  op: string,
  input: Tensor,
  target: Tensor,
  weight: Tensor | null | undefined,
  ignoreIndex: number,
): { onehot: Tensor; w: Tensor; keep: Tensor } {
  if (target.dtype !== 'int64' && target.dtype !== 'int32')
    fail(
      'DTYPE_MISMATCH',
      `${op}: class-index targets must be int64 (or int32), got ${target.dtype}; pass probabilities as a float tensor of the input's shape`,
    );
  if (input.ndim < 1) fail('SHAPE_MISMATCH', `${op}: input must have a class dim, got a 0-dim tensor`);
  const unbatched = input.ndim === 1;
  const C = unbatched ? input.shape[0] : input.shape[1];
  const expected = unbatched ? [] : [input.shape[0], ...input.shape.slice(2)];
  if (target.shape.join() !== expected.join())
    fail(
      'SHAPE_MISMATCH',
      `${op}: expected target of shape [${expected.join(', ')}] for input [${input.shape.join(', ')}], got [${target.shape.join(', ')}]`,
    );
  if (weight && (weight.ndim !== 1 || weight.shape[0] !== C))
    fail('SHAPE_MISMATCH', `${op}: weight must be [${C}], got [${weight.shape.join(', ')}]`);
  return tidy(() => {
    const keep = target.ne(ignoreIndex);
    if (target.numel() > 0) {
      const valid = where(keep, target, 0);
      const lo = valid.min().item() as number,
        hi = valid.max().item() as number;
      if (lo < 0 || hi >= C)
        fail('INDEX_OUT_OF_RANGE', `${op}: target ${lo < 0 ? lo : hi} is out of bounds for ${C} classes`);
    }
    // Class positions broadcast along the class dim: [C] for unbatched, else [1, C, 1, ...].
    const cls = arange(C, { dtype: 'int64' }).reshape(unbatched ? [C] : [1, C, ...input.shape.slice(2).map(() => 1)]);
    const t = unbatched ? target : target.unsqueeze(1);
    const onehot = t.to('int64').eq(cls).to(input.dtype);
    const wc = weight ? (unbatched ? weight : weight.reshape(cls.shape)) : null;
    const w = (wc ? onehot.mul(wc).sum(unbatched ? 0 : 1) : onehot.sum(unbatched ? 0 : 1)).mul(keep.to(input.dtype));
    return { onehot, w, keep };
  });
}

/**
 * Negative log-likelihood of log-probabilities [N, C, ...] (or [C]) at class-index targets.
 * @example nllLoss(logits.logSoftmax(1), labels)
 */
export function nllLoss<F extends DType>(
  input: Tensor<F>,
  target: Tensor,
  options?: NllOptions,
): Tensor<FloatResult<F>>;
export function nllLoss(input: Tensor, target: Tensor, options?: NllOptions): Tensor {
  const op = 'nllLoss';
  tensorArg(op, 'input', input);
  tensorArg(op, 'target', target);
  const o = lossOptions(op, options, NLL_OPTIONS);
  return nll(op, input, target, o, reductionOf(op, o.reduction));
}

const REDUCTIONS: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };

// The fused native op (native/src/ops/loss.cpp) for class-index targets on the CPU: one pass per
// row instead of the ~15 small ops below, and a backward written in one more. Null where it does
// not apply (probability targets, other devices), and the composite runs.
function fusedClassLoss(
  input: Tensor,
  target: Tensor,
  o: NllOptions,
  r: Reduction,
  labelSmoothing: number,
  fromLogits: boolean,
): Tensor | null {
  if (target.dtype !== 'int64' && target.dtype !== 'int32') return null;
  if (!isFloating(input.dtype) || input.device !== 'cpu' || target.device !== 'cpu') return null;
  const w = o.weight ?? null;
  if (w && (w.device !== 'cpu' || !isFloating(w.dtype))) return null;
  const ignore = o.ignoreIndex ?? -100;
  if (!Number.isInteger(ignore))
    fail(
      'INVALID_ARGUMENT',
      `${fromLogits ? 'crossEntropy' : 'nllLoss'}: ignoreIndex must be an integer, got ${describe(ignore)}`,
    );
  const attrs = [ignore, labelSmoothing, REDUCTIONS[r], fromLogits];
  if (!w) return runOp('cross_entropy', attrs, input._h, target._h);
  if (w.dtype === input.dtype) return runOp('cross_entropy', attrs, input._h, target._h, w._h);
  return tidy(() => runOp('cross_entropy', attrs, input._h, target._h, w.to(input.dtype)._h));
}

// nllLoss's body; errors name `op`, the function the user called.
function nll(op: string, input: Tensor, target: Tensor, o: NllOptions, r: Reduction): Tensor {
  if (op === 'nllLoss') {
    const fused = fusedClassLoss(input, target, o, r, 0, false);
    if (fused) return fused;
  }
  const { onehot, w, keep } = classTargets(op, input, target, o.weight, o.ignoreIndex ?? -100);
  const classDim = input.ndim === 1 ? 0 : 1;
  try {
    return tidy(() => {
      const picked = input.mul(onehot).sum(classDim); // input[n, t_n]
      const loss = picked.mul(w).neg();
      if (r === 'none') return loss;
      return r === 'sum' ? loss.sum() : loss.sum().div(w.sum());
    });
  } finally {
    for (const t of [onehot, w, keep]) t.dispose();
  }
}

/** Options of `crossEntropy`. */
export interface CrossEntropyOptions extends NllOptions {
  /** Mixes the target with the uniform distribution: (1 - e) target + e / C. Default 0. */
  labelSmoothing?: number;
}

/**
 * Cross-entropy of logits [N, C, ...] against class indices (int) or class probabilities (a
 * float tensor of the input's shape); log-softmax over the class dim is included.
 * @example crossEntropy(logits, labels, { labelSmoothing: 0.1 })
 */
export function crossEntropy<F extends DType>(
  input: Tensor<F>,
  target: Tensor,
  options?: CrossEntropyOptions,
): Tensor<FloatResult<F>>;
export function crossEntropy(input: Tensor, target: Tensor, options?: CrossEntropyOptions): Tensor {
  const op = 'crossEntropy';
  tensorArg(op, 'input', input);
  tensorArg(op, 'target', target);
  const o = lossOptions(op, options, CE_OPTIONS);
  const r = reductionOf(op, o.reduction);
  const eps = o.labelSmoothing ?? 0;
  if (typeof eps !== 'number' || !(eps >= 0 && eps <= 1))
    fail('INVALID_ARGUMENT', `${op}: labelSmoothing must be in [0, 1], got ${describe(eps)}`);
  const classDim = input.ndim === 1 ? 0 : 1;
  const C = input.shape[classDim];
  if (isFloating(target.dtype) && target.shape.join() !== input.shape.join()) {
    const indexShape = input.shape.filter((_, i) => i !== classDim);
    if (target.shape.join() === indexShape.join())
      fail(
        'DTYPE_MISMATCH',
        `${op}: class-index targets must be int64, got a ${target.dtype} target of shape [${target.shape.join(', ')}]; make them with tensor([...], { dtype: 'int64' }) or target.to('int64') (a floating target is read as class probabilities and must have the input's shape [${input.shape.join(', ')}])`,
      );
  }
  if (isFloating(target.dtype)) {
    // Probabilities: -sum_c w_c t_c log p_c, mean over the samples.
    sameShape(op, input, target);
    if (o.ignoreIndex !== undefined) fail('INVALID_ARGUMENT', `${op}: ignoreIndex applies only to class-index targets`);
    return tidy(() => {
      const logp = input.logSoftmax(classDim);
      let t = eps > 0 ? target.mul(1 - eps).add(eps / C) : target;
      if (o.weight)
        t = t.mul(input.ndim === 1 ? o.weight : o.weight.reshape([1, C, ...input.shape.slice(2).map(() => 1)]));
      const loss = logp.mul(t).sum(classDim).neg();
      return reduce(loss, r);
    });
  }
  const fused = fusedClassLoss(input, target, o, r, eps, true);
  if (fused) return fused;
  return tidy(() => {
    const logp = input.logSoftmax(classDim);
    const base = nll(op, logp, target, o, r);
    if (eps === 0) return base;
    // The smoothing term: -sum_c w_c log p_c / C per (not ignored) sample, reduced like nll.
    const { w, keep } = classTargets(op, input, target, o.weight, o.ignoreIndex ?? -100);
    const wc = o.weight
      ? logp.mul(input.ndim === 1 ? o.weight : o.weight.reshape([1, C, ...input.shape.slice(2).map(() => 1)]))
      : logp;
    let smooth = wc.sum(classDim).neg().div(C).mul(keep.to(input.dtype));
    if (r === 'sum') smooth = smooth.sum();
    else if (r === 'mean') smooth = smooth.sum().div(w.sum());
    return base.mul(1 - eps).add(smooth.mul(eps));
  });
}

// ---- modules ---------------------------------------------------------------------------------

/** nn.CrossEntropyLoss. @example const lossFn = new nn.CrossEntropyLoss({ labelSmoothing: 0.1 }); lossFn.call(logits, y) */
export class CrossEntropyLoss extends Module {
  constructor(readonly options: CrossEntropyOptions = {}) {
    super();
    this.options = lossOptions('CrossEntropyLoss', options, CE_OPTIONS);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, this.options);
  }
}
/** nn.NLLLoss. */
export class NLLLoss extends Module {
  constructor(readonly options: NllOptions = {}) {
    super();
    this.options = lossOptions('NLLLoss', options, NLL_OPTIONS);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, this.options);
  }
}
/** nn.MSELoss. */
export class MSELoss extends Module {
  constructor(readonly options: { reduction?: Reduction } = {}) {
    super();
    this.options = lossOptions('MSELoss', options, ['reduction']);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, this.options);
  }
}
/** nn.L1Loss. */
export class L1Loss extends Module {
  constructor(readonly options: { reduction?: Reduction } = {}) {
    super();
    this.options = lossOptions('L1Loss', options, ['reduction']);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, this.options);
  }
}
/** nn.SmoothL1Loss. */
export class SmoothL1Loss extends Module {
  constructor(readonly options: { reduction?: Reduction; beta?: number } = {}) {
    super();
    this.options = lossOptions('SmoothL1Loss', options, ['reduction', 'beta']);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, this.options);
  }
}
/** nn.BCELoss. */
export class BCELoss extends Module {
  constructor(readonly options: { weight?: Tensor | null; reduction?: Reduction } = {}) {
    super();
    this.options = lossOptions('BCELoss', options, ['weight', 'reduction']);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, this.options);
  }
}
/** nn.BCEWithLogitsLoss. */
export class BCEWithLogitsLoss extends Module {
  constructor(readonly options: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {}) {
    super();
    this.options = lossOptions('BCEWithLogitsLoss', options, ['weight', 'posWeight', 'reduction']);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, this.options);
  }
}
