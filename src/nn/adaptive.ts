// nn.AdaptiveLogSoftmaxWithLoss (Grave et al., "Efficient softmax approximation for GPUs"): a
// large vocabulary split by frequency into a shortlist, scored by the head with one extra logit
// per cluster, and tail clusters scored by low-rank projections only for the rows whose targets
// fall in them. Parameter names and shapes are PyTorch's (head, tail.i.0, tail.i.1), so its state
// dicts load. Rows are grouped on the host from the targets (a device sync, as PyTorch's nonzero).
import { tensorArg } from '../args.js';
import { isFloating, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { describe, int, num } from '../options.js';
import { tensor, zeros } from '../ops/creation.js';
import { cat } from '../ops/functional.js';
import { Tensor } from '../tensor.js';
import { ModuleList, Sequential } from './containers.js';
import { Linear } from './layers.js';
import { Module } from './module.js';
import { layerOptions } from './params.js';

/** Options of nn.AdaptiveLogSoftmaxWithLoss. */
export interface AdaptiveLogSoftmaxOptions {
  /** Each tail cluster's projection is inFeatures / divValue^(i + 1) wide (default 4). */
  divValue?: number;
  /** A bias on the head (default false). */
  headBias?: boolean;
  /** The parameters' dtype (default float32). */
  dtype?: DType;
}

/** The result of nn.AdaptiveLogSoftmaxWithLoss: each row's target log-probability, and the mean NLL. */
export interface AdaptiveLogSoftmaxOutput {
  /** log p(target) per row: [batch], or a scalar for a single unbatched row. */
  output: Tensor;
  /** The mean of -output. */
  loss: Tensor;
}

/**
 * Adaptive softmax (torch.nn.AdaptiveLogSoftmaxWithLoss): classes below cutoffs[0] are scored
 * by the head; the classes between consecutive cutoffs (and nClasses) form tail clusters scored
 * through projections of width inFeatures / divValue^(i + 1). `call(input, target)` gives
 * `{ output, loss }`; `logProb(input)` the full [batch, nClasses] log-probabilities;
 * `predict(input)` the most likely class.
 * @example
 * const asm = new nn.AdaptiveLogSoftmaxWithLoss(64, 10000, [100, 1000]);
 * const { loss } = asm.call(hidden, targets); loss.backward();
 */
export class AdaptiveLogSoftmaxWithLoss extends Module {
  head: Linear;
  tail: ModuleList<Sequential>;
  /** The cutoffs with nClasses appended (PyTorch's `cutoffs` attribute). */
  readonly cutoffs: readonly number[];
  readonly shortlistSize: number;
  readonly nClusters: number;
  readonly headSize: number;
  readonly divValue: number;

  constructor(
    readonly inFeatures: number,
    readonly nClasses: number,
    cutoffs: readonly number[],
    options: AdaptiveLogSoftmaxOptions = {},
  ) {
    super();
    const name = 'AdaptiveLogSoftmaxWithLoss';
    const o = layerOptions(name, options, { divValue: 'number', headBias: 'boolean', dtype: 'string' });
    int(name, 'inFeatures', inFeatures);
    int(name, 'nClasses', nClasses);
    if (!Array.isArray(cutoffs))
      fail('INVALID_ARGUMENT', `${name}: cutoffs must be an array, got ${describe(cutoffs)}`);
    const sorted = cutoffs.every((c, i) => Number.isSafeInteger(c) && (i === 0 || c > cutoffs[i - 1]));
    if (cutoffs.length === 0 || !sorted || cutoffs[0] <= 0 || cutoffs[cutoffs.length - 1] > nClasses - 1)
      fail(
        'INVALID_ARGUMENT',
        `${name}: cutoffs should be a sequence of unique, positive integers sorted in an increasing order, where each value is between 1 and nClasses-1 (${nClasses - 1}), got ${describe(cutoffs)}`,
      );
    const divValue = num(name, 'divValue', o.divValue ?? 4);
    if (!(divValue > 0) || !Number.isFinite(divValue))
      fail('INVALID_ARGUMENT', `${name}: divValue must be a positive number, got ${divValue}`);
    this.divValue = divValue;
    this.cutoffs = [...cutoffs, nClasses];
    this.shortlistSize = this.cutoffs[0];
    this.nClusters = this.cutoffs.length - 1;
    this.headSize = this.shortlistSize + this.nClusters;
    const dtype = o.dtype;
    this.head = new Linear(inFeatures, this.headSize, { bias: o.headBias ?? false, dtype });
    const tails: Sequential[] = [];
    for (let i = 0; i < this.nClusters; i++) {
      const hsz = Math.floor(inFeatures / divValue ** (i + 1));
      const osz = this.cutoffs[i + 1] - this.cutoffs[i];
      tails.push(
        new Sequential(
          new Linear(inFeatures, hsz, { bias: false, dtype }),
          new Linear(hsz, osz, { bias: false, dtype }),
        ),
      );
    }
    this.tail = new ModuleList(tails);
  }

  private checkInput(op: string, input: unknown): Tensor {
    const x = tensorArg(op, 'input', input);
    if (x.ndim !== 2 || x.shape[1] !== this.inFeatures)
      fail('SHAPE_MISMATCH', `${op}: expected input [batch, ${this.inFeatures}], got [${x.shape.join(', ')}]`);
    if (!isFloating(x.dtype)) fail('DTYPE_MISMATCH', `${op}: expected a floating input, got ${x.dtype}`);
    return x;
  }

  /**
   * Each row's log-probability of its target and the mean negative log-likelihood: input
   * [batch, inFeatures] with target [batch] class indices, or input [inFeatures] with a 0-D target.
   */
  forward(input: Tensor, target: Tensor): AdaptiveLogSoftmaxOutput {
    const op = 'AdaptiveLogSoftmaxWithLoss';
    let x = tensorArg(op, 'input', input);
    let t = tensorArg(op, 'target', target);
    if (t.dtype !== 'int64' && t.dtype !== 'int32')
      fail('DTYPE_MISMATCH', `${op}: target must hold class indices (int64 or int32), got ${t.dtype}`);
    if (t.ndim > 1) fail('SHAPE_MISMATCH', `${op}: 0D or 1D target tensor expected, multi-target not supported`);
    const batched = t.ndim === 1;
    if (batched && (x.ndim !== 2 || x.shape[0] !== t.shape[0]))
      fail(
        'SHAPE_MISMATCH',
        `${op}: Input and target should have the same size in the batch dimension, got input [${x.shape.join(', ')}] and target [${t.shape.join(', ')}]`,
      );
    if (!batched && x.ndim !== 1)
      fail(
        'SHAPE_MISMATCH',
        `${op}: 0D target tensor expects 1D input tensors, but found inputs with size [${x.shape.join(', ')}]`,
      );
    return tidy(() => {
      if (!batched) {
        x = x.unsqueeze(0);
        t = t.reshape([1]);
      }
      x = this.checkInput(op, x);
      const labels = Array.from(t.to('int64').data() as BigInt64Array, Number);
      const bad = labels.findIndex((c) => !(c >= 0 && c < this.nClasses));
      if (bad >= 0)
        fail(
          'INDEX_OUT_OF_RANGE',
          `${op}: Target values should be in [0, ${this.nClasses - 1}], but values in range [${labels.reduce((a, b) => Math.min(a, b))}, ${labels.reduce((a, b) => Math.max(a, b))}] were found`,
        );
      // The head's class for each row (a shortlist class or its cluster's logit), and the rows
      // of each cluster with their targets within it.
      const headClass = labels.slice();
      const parts: Tensor[] = [],
        order: number[] = [];
      const shortRows = labels.flatMap((c, r) => (c < this.shortlistSize ? [r] : []));
      if (shortRows.length > 0) {
        parts.push(zeros([shortRows.length], { dtype: x.dtype, device: x.device }));
        for (const r of shortRows) order.push(r); // (no spread: a batch can outgrow the call stack)
      }
      for (let i = 0; i < this.nClusters; i++) {
        const lo = this.cutoffs[i],
          hi = this.cutoffs[i + 1];
        const rows = labels.flatMap((c, r) => (c >= lo && c < hi ? [r] : []));
        if (rows.length === 0) continue;
        for (const r of rows) headClass[r] = this.shortlistSize + i;
        const idx = tensor(rows, { dtype: 'int64', device: x.device });
        const rel = tensor(
          rows.map((r) => labels[r] - lo),
          { dtype: 'int64', device: x.device },
        );
        const logits = this.tail.get(i).forward(x.indexSelect(0, idx));
        parts.push(logits.logSoftmax(1).gather(1, rel.unsqueeze(1)).squeeze(1));
        for (const r of rows) order.push(r);
      }
      // back into row order: row r is element inverse[r] of the concatenation
      const inverse = new Array<number>(order.length);
      order.forEach((r, k) => (inverse[r] = k));
      const tailTerm = cat(parts, 0).indexSelect(0, tensor(inverse, { dtype: 'int64', device: x.device }));
      const head = this.head.forward(x).logSoftmax(1);
      const chosen = tensor(headClass, { dtype: 'int64', device: x.device }).unsqueeze(1);
      let output = head.gather(1, chosen).squeeze(1).add(tailTerm);
      const loss = output.neg().mean();
      if (!batched) output = output.squeeze(0);
      return { output, loss };
    });
  }

  // log p(class) for every class of each row, from the head's logits.
  private fullLogProb(x: Tensor, headOutput: Tensor): Tensor {
    const head = headOutput.logSoftmax(1);
    const pieces = [head.narrow(1, 0, this.shortlistSize)];
    for (let i = 0; i < this.nClusters; i++) {
      const cluster = this.tail.get(i).forward(x).logSoftmax(1);
      pieces.push(cluster.add(head.narrow(1, this.shortlistSize + i, 1)));
    }
    return cat(pieces, 1);
  }

  /**
   * The log-probabilities of every class, [batch, nClasses] (PyTorch's log_prob).
   * @example asm.logProb(hidden).exp().sum(1) // ones
   */
  logProb(input: Tensor): Tensor {
    const x = this.checkInput('AdaptiveLogSoftmaxWithLoss.logProb', input);
    return tidy(() => this.fullLogProb(x, this.head.forward(x)));
  }

  /**
   * The most likely class of each row, [batch] int64: the head's argmax when it is a shortlist
   * class, else the argmax of the full distribution (PyTorch's predict).
   * @example asm.predict(hidden)
   */
  predict(input: Tensor): Tensor<'int64'> {
    const x = this.checkInput('AdaptiveLogSoftmaxWithLoss.predict', input);
    return tidy(() => {
      const headOutput = this.head.forward(x);
      const best = headOutput.argmax(1);
      const out = Array.from(best.data() as BigInt64Array, Number);
      const rows = out.flatMap((c, r) => (c >= this.shortlistSize ? [r] : []));
      if (rows.length === 0) return best;
      const idx = tensor(rows, { dtype: 'int64', device: x.device });
      const full = this.fullLogProb(x.indexSelect(0, idx), headOutput.indexSelect(0, idx)).argmax(1);
      const fromFull = Array.from(full.data() as BigInt64Array, Number);
      rows.forEach((r, k) => (out[r] = fromFull[k]));
      return tensor(out, { dtype: 'int64', device: x.device });
    }) as Tensor<'int64'>;
  }
}
