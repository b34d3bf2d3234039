// The last of torch.nn's losses and distances (PyTorch 1.13's formulas), composed of differentiable
// tensor ops: multiLabelMarginLoss, tripletMarginWithDistanceLoss and pdist, with their modules.
// Values and gradients are checked against PyTorch in test/nn-extra.test.ts.
import type { DType, FloatResult } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { arange, tensor } from '../ops/creation.js';
import { where } from '../ops/functional.js';
import { checkOptions, describe, fn as fnArg, num } from '../options.js';
import { Tensor } from '../tensor.js';
import { tensorArg } from './args.js';
import { lossOptions, reduce, reductionOf, type Reduction } from './losses.js';
import { pairwiseDistance } from './losses_more.js';
import { Module } from './module.js';

const shapeText = (t: Tensor) => `[${t.shape.join(', ')}]`;

/**
 * The multi-class multi-label hinge loss (torch.nn.functional.multilabel_margin_loss): target
 * [N, C] (or [C]) lists each sample's classes, ended by the first -1; per sample,
 * sum over its classes j and the other classes i of max(0, 1 - (x[j] - x[i])), over C.
 * @example F.multiLabelMarginLoss(scores, tensor([[3, 0, -1, 1]], { dtype: 'int64' }))
 */
export function multiLabelMarginLoss<F extends DType>(
  input: Tensor<F>,
  target: Tensor,
  options?: { reduction?: Reduction },
): Tensor<FloatResult<F>>;
export function multiLabelMarginLoss(input: Tensor, target: Tensor, options?: { reduction?: Reduction }): Tensor {
  const op = 'multiLabelMarginLoss';
  tensorArg(op, 'input', input);
  tensorArg(op, 'target', target);
  const o = lossOptions(op, options, ['reduction']);
  if ((input.ndim !== 1 && input.ndim !== 2) || target.shape.join() !== input.shape.join())
    fail(
      'SHAPE_MISMATCH',
      `${op}: expected input [N, C] (or [C]) and target of the same shape, got ${shapeText(input)} and ${shapeText(target)}`,
    );
  if (target.dtype !== 'int64' && target.dtype !== 'int32')
    fail('DTYPE_MISMATCH', `${op}: target must hold class indices (int64), got ${target.dtype}`);
  const C = input.shape[input.ndim - 1];
  return tidy(() => {
    const x = input.ndim === 1 ? input.unsqueeze(0) : input;
    const t = (target.ndim === 1 ? target.unsqueeze(0) : target).to('int64');
    if (t.numel() > 0) {
      const lo = t.min().item() as number,
        hi = t.max().item() as number;
      if (lo < -1 || hi >= C)
        fail('INDEX_OUT_OF_RANGE', `${op}: target ${lo < -1 ? lo : hi} is out of range [-1, ${C}) for ${C} classes`);
    }
    // the targets before the first -1, and each sample's classes among them as a mask over C
    const valid = t.ne(-1).to(x.dtype).cumprod(1); // [N, J]
    const tc = where(t.lt(0), 0, t);
    const classes = arange(C, { dtype: 'int64', device: x.device }).reshape([1, 1, C]);
    const isTarget = tc.unsqueeze(2).eq(classes).to(x.dtype).mul(valid.unsqueeze(2)).amax(1); // [N, C]
    const xy = x.gather(1, tc); // [N, J]
    const margins = x.unsqueeze(1).sub(xy.unsqueeze(2)).add(1).relu(); // [N, J, C]
    const mask = valid.unsqueeze(2).mul(isTarget.neg().add(1).unsqueeze(1));
    let loss = margins.mul(mask).sum([1, 2]).div(C);
    if (input.ndim === 1) loss = loss.reshape([]);
    return reduce(loss, reductionOf(op, o.reduction));
  });
}

/** The options of `F.tripletMarginWithDistanceLoss`. */
export interface TripletDistanceOptions {
  /** (x1, x2) => the distance of each pair (default: F.pairwiseDistance). */
  distanceFunction?: ((x1: Tensor, x2: Tensor) => Tensor) | null;
  /** Default 1; must be positive. */
  margin?: number;
  /** Use the smaller of d(anchor, negative) and d(positive, negative) (default false). */
  swap?: boolean;
  reduction?: Reduction;
}
const TRIPLET_OPTIONS = { distanceFunction: 'any', margin: 'number', swap: 'boolean', reduction: 'string' } as const;

function tripletOptions(op: string, options: TripletDistanceOptions | undefined): TripletDistanceOptions {
  const o = checkOptions(op, options, TRIPLET_OPTIONS) as TripletDistanceOptions;
  if (o.distanceFunction != null) fnArg(op, 'distanceFunction', o.distanceFunction);
  const margin = num(op, 'margin', o.margin ?? 1);
  if (!(margin > 0)) fail('INVALID_ARGUMENT', `${op}: margin must be greater than 0, got ${margin}`);
  reductionOf(op, o.reduction);
  return o;
}

/**
 * The triplet loss under any distance (torch.nn.functional.triplet_margin_with_distance_loss):
 * max(d(a, p) - d(a, n) + margin, 0). @example F.tripletMarginWithDistanceLoss(a, p, n, { distanceFunction: (x, y) => F.cosineSimilarity(x, y).neg().add(1) })
 */
export function tripletMarginWithDistanceLoss<F extends DType>(
  anchor: Tensor<F>,
  positive: Tensor,
  negative: Tensor,
  options?: TripletDistanceOptions,
): Tensor<FloatResult<F>>;
export function tripletMarginWithDistanceLoss(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  options?: TripletDistanceOptions,
): Tensor {
  const op = 'tripletMarginWithDistanceLoss';
  for (const [k, v] of [
    ['anchor', anchor],
    ['positive', positive],
    ['negative', negative],
  ] as const)
    tensorArg(op, k, v);
  const o = tripletOptions(op, options);
  const dist = o.distanceFunction ?? ((a: Tensor, b: Tensor) => pairwiseDistance(a, b));
  const measured = (a: Tensor, b: Tensor) => {
    const d = dist(a, b);
    if (!(d instanceof Tensor))
      fail('INVALID_ARGUMENT', `${op}: distanceFunction must return a Tensor, got ${describe(d)}`);
    return d;
  };
  return tidy(() => {
    const dPos = measured(anchor, positive);
    let dNeg = measured(anchor, negative);
    if (o.swap) dNeg = dNeg.minimum(measured(positive, negative));
    return reduce(
      dPos
        .sub(dNeg)
        .add(o.margin ?? 1)
        .relu(),
      reductionOf(op, o.reduction),
    );
  });
}

/**
 * The p-norm distances between the rows of input [N, M], i < j in row-major order:
 * [N (N - 1) / 2] (torch.nn.functional.pdist). p >= 0, Infinity too. The gradient at a zero
 * distance is 0, as PyTorch's.
 * @example F.pdist(points) // every pairwise distance once
 */
export function pdist<F extends DType>(input: Tensor<F>, p?: number): Tensor<FloatResult<F>>;
export function pdist(input: Tensor, p = 2): Tensor {
  const op = 'pdist';
  tensorArg(op, 'input', input);
  if (typeof p !== 'number' || !(p >= 0)) fail('INVALID_ARGUMENT', `${op}: p must be >= 0, got ${describe(p)}`);
  if (input.ndim !== 2) fail('SHAPE_MISMATCH', `${op}: expected input [N, M], got ${shapeText(input)}`);
  const N = input.shape[0];
  const rows: number[] = [],
    cols: number[] = [];
  for (let i = 0; i < N; i++)
    for (let j = i + 1; j < N; j++) {
      rows.push(i);
      cols.push(j);
    }
  return tidy(() => {
    const idx = (v: number[]) => tensor(v, { dtype: 'int64', device: input.device });
    const diff = input
      .indexSelect(0, idx(rows))
      .sub(input.indexSelect(0, idx(cols)))
      .abs();
    if (p === Infinity) return diff.amax(1);
    if (p === 0) return diff.ne(0).to(input.dtype).sum(1);
    // sum(|d|^p)^(1/p) with the root taken only where the sum is positive: 0 (and gradient 0) elsewhere
    const s = diff.pow(p).sum(1);
    const pos = s.gt(0);
    return where(pos, where(pos, s, 1).pow(1 / p), 0);
  });
}

/** nn.MultiLabelMarginLoss. @example new nn.MultiLabelMarginLoss().call(scores, targets) */
export class MultiLabelMarginLoss extends Module {
  constructor(readonly options: { reduction?: Reduction } = {}) {
    super();
    lossOptions('MultiLabelMarginLoss', options, ['reduction']);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return multiLabelMarginLoss(input, target, this.options);
  }
}

/** nn.TripletMarginWithDistanceLoss. @example new nn.TripletMarginWithDistanceLoss({ margin: 0.5, swap: true }) */
export class TripletMarginWithDistanceLoss extends Module {
  constructor(readonly options: TripletDistanceOptions = {}) {
    super();
    tripletOptions('TripletMarginWithDistanceLoss', options);
  }
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return tripletMarginWithDistanceLoss(anchor, positive, negative, this.options);
  }
}
