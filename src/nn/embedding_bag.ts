// torch.nn.functional.embedding_bag and nn.EmbeddingBag: the sum, mean or max of the embeddings of
// each bag of indices, without materialising [bags, bag size, dim]. Bags are the rows of a 2-D
// input, or the slices of a 1-D input between `offsets`. Built from the embedding lookup and one
// indexAdd (sum, mean) or scatterReduce (max) into [bags, dim], so the gradient reaches the weight
// as PyTorch's does (max: to the rows that gave each maximum).
import { checkDType, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { arange, randn, zeros } from '../ops/creation.js';
import { searchsorted } from '../ops/creation_more.js';
import { where } from '../ops/functional.js';
import { bool, checkOptions, describe, int, intAtLeast, oneOf } from '../options.js';
import type { Tensor } from '../tensor.js';
import { tensorArg } from './args.js';
import { embedding } from './functional.js';
import { Module, Parameter } from './module.js';

/** How a bag's embeddings combine. */
export type BagMode = 'sum' | 'mean' | 'max';

/** Options of embeddingBag. */
export interface EmbeddingBagOptions {
  /** Start of each bag in a 1-D input (int64), required for it; not allowed for a 2-D input. */
  offsets?: Tensor | null;
  /** 'mean' (default), 'sum' or 'max'. */
  mode?: BagMode;
  /** A weight per index (input's shape), multiplying its embedding; mode 'sum' only. */
  perSampleWeights?: Tensor | null;
  /** offsets has one more entry, the end of the last bag (the CSR layout). */
  includeLastOffset?: boolean;
  /** Indices equal to it are left out of their bag (and of its count for 'mean'). */
  paddingIdx?: number | null;
}

/**
 * The sum, mean or max of each bag of embeddings (torch.nn.functional.embedding_bag): input
 * [B, N] (B bags of N) or 1-D with offsets; weight [num, dim] -> [B, dim]. An empty bag gives
 * zeros. @example F.embeddingBag(tensor([1, 2, 4, 5, 4], { dtype: 'int64' }), w, { offsets: tensor([0, 2], { dtype: 'int64' }) })
 */
export function embeddingBag<W extends DType>(
  input: Tensor,
  weight: Tensor<W>,
  options?: EmbeddingBagOptions,
): Tensor<W>;
export function embeddingBag(input: Tensor, weight: Tensor, options?: EmbeddingBagOptions): Tensor {
  const op = 'embeddingBag';
  const x = tensorArg(op, 'input', input);
  const w = tensorArg(op, 'weight', weight);
  const o = checkOptions(op, options, {
    offsets: 'any',
    mode: 'string',
    perSampleWeights: 'any',
    includeLastOffset: 'boolean',
    paddingIdx: 'any',
  });
  const mode = oneOf(op, 'mode', o.mode ?? 'mean', ['sum', 'mean', 'max'] as const);
  const offsets = tensorArg(op, 'offsets', o.offsets, true);
  const psw = tensorArg(op, 'perSampleWeights', o.perSampleWeights, true);
  const last = bool(op, 'includeLastOffset', o.includeLastOffset ?? false);
  if (w.ndim !== 2) fail('SHAPE_MISMATCH', `${op}: weight must be 2-D [num, dim], got [${w.shape.join(', ')}]`);
  if (x.dtype !== 'int64' && x.dtype !== 'int32')
    fail('DTYPE_MISMATCH', `${op}: input must hold int64 or int32 indices, got ${x.dtype}`);
  let pad = o.paddingIdx ?? null;
  if (pad !== null) {
    pad = int(op, 'paddingIdx', pad);
    if (pad < -w.shape[0] || pad >= w.shape[0])
      fail('INVALID_ARGUMENT', `${op}: paddingIdx must be within num (${w.shape[0]}), got ${pad}`);
    if (pad < 0) pad += w.shape[0];
  }
  if (psw && mode !== 'sum')
    fail('INVALID_ARGUMENT', `${op}: perSampleWeights is only supported for mode 'sum', got mode '${mode}'`);
  if (psw && (psw.ndim !== x.ndim || psw.shape.some((s, i) => s !== x.shape[i])))
    fail(
      'SHAPE_MISMATCH',
      `${op}: perSampleWeights must have input's shape [${x.shape.join(', ')}], got [${psw.shape.join(', ')}]`,
    );
  let bags: number;
  if (x.ndim === 2) {
    if (offsets) fail('INVALID_ARGUMENT', `${op}: offsets must be absent for a 2-D input, got ${describe(offsets)}`);
    bags = x.shape[0];
  } else if (x.ndim === 1) {
    if (!offsets) fail('INVALID_ARGUMENT', `${op}: a 1-D input needs offsets (the start of each bag)`);
    if (offsets.ndim !== 1 || (offsets.dtype !== 'int64' && offsets.dtype !== 'int32'))
      fail(
        'SHAPE_MISMATCH',
        `${op}: offsets must be a 1-D int64 tensor, got ${offsets.dtype} [${offsets.shape.join(', ')}]`,
      );
    const off = Array.from(offsets.data() as ArrayLike<number | bigint>, Number);
    const n = x.shape[0];
    if (off.length > 0 && off[0] !== 0) fail('INVALID_ARGUMENT', `${op}: offsets[0] must be 0, got ${off[0]}`);
    for (let i = 1; i < off.length; i++)
      if (off[i] < off[i - 1] || off[i] > n)
        fail('INVALID_ARGUMENT', `${op}: offsets must be non-decreasing and at most ${n}, got ${off[i]} at ${i}`);
    if (last && off.length > 0 && off[off.length - 1] !== n)
      fail(
        'INVALID_ARGUMENT',
        `${op}: with includeLastOffset the last offset must be ${n}, got ${off[off.length - 1]}`,
      );
    bags = last ? Math.max(off.length - 1, 0) : off.length;
  } else return fail('SHAPE_MISMATCH', `${op}: input must be 1-D (with offsets) or 2-D, got [${x.shape.join(', ')}]`);
  const dim = w.shape[1];
  return tidy(() => {
    const idx = x.reshape(-1);
    const T = idx.shape[0];
    // Each index's bag: its row for a 2-D input, else the last offset at or before it.
    const bag =
      x.ndim === 2
        ? arange(bags, { dtype: 'int64', device: x.device }).repeatInterleave(x.shape[1])
        : searchsorted(
            (last ? offsets!.narrow(0, 0, bags) : offsets!).to('int64'),
            arange(T, { dtype: 'int64', device: x.device }),
            { right: true },
          ).sub(1);
    const keep = pad === null ? null : idx.ne(pad);
    let e = embedding(idx, w);
    if (psw) e = e.mul(psw.reshape(-1, 1));
    if (mode === 'max') {
      const vals = keep ? where(keep.unsqueeze(1), e, -Infinity) : e;
      const init = zeros([bags, dim], { dtype: w.dtype, device: w.device });
      const m = init.scatterReduce(0, bag.unsqueeze(1).expand(T, dim), vals, 'amax', { includeSelf: false });
      return where(m.eq(-Infinity), 0, m); // an empty bag (or padding only) gives zeros
    }
    if (keep) e = where(keep.unsqueeze(1), e, 0);
    const sums = zeros([bags, dim], { dtype: w.dtype, device: w.device }).indexAdd(0, bag, e);
    if (mode === 'sum') return sums;
    const ones = keep ? keep.to(w.dtype) : zeros([T], { dtype: w.dtype, device: w.device }).add(1);
    const count = zeros([bags], { dtype: w.dtype, device: w.device }).indexAdd(0, bag, ones);
    return sums.div(count.clampMin(1).unsqueeze(1));
  });
}

/**
 * @internal The table of nn.Embedding and nn.EmbeddingBag: [numEmbeddings, embeddingDim] drawn
 * N(0, 1) as a parameter, the paddingIdx row (negative: counted from the end) zeroed.
 */
export function embeddingTable(
  op: string,
  numEmbeddings: number,
  embeddingDim: number,
  paddingIdx: unknown,
  dtype: unknown,
): { weight: Tensor; paddingIdx: number | null } {
  intAtLeast(op, 'numEmbeddings', numEmbeddings, 1);
  intAtLeast(op, 'embeddingDim', embeddingDim, 1);
  if (dtype !== undefined) checkDType(op, dtype);
  let pad = (paddingIdx ?? null) as number | null;
  if (pad !== null) {
    if (!Number.isInteger(pad) || pad >= numEmbeddings || pad < -numEmbeddings)
      fail('INVALID_ARGUMENT', `${op}: paddingIdx must be within numEmbeddings, got ${describe(pad)}`);
    if (pad < 0) pad += numEmbeddings;
  }
  const w = randn([numEmbeddings, embeddingDim], { dtype: (dtype as DType | undefined) ?? 'float32' });
  if (pad !== null) {
    const row = w.select(0, pad);
    row.zero_();
    row.dispose();
  }
  return { weight: Parameter(w), paddingIdx: pad };
}

/** nn.EmbeddingBag: a table [num, dim] reduced per bag. @example new nn.EmbeddingBag(1000, 16, { mode: 'sum' }) */
export class EmbeddingBag extends Module {
  weight: Tensor;
  readonly mode: BagMode;
  readonly paddingIdx: number | null;
  readonly includeLastOffset: boolean;
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: { mode?: BagMode; paddingIdx?: number | null; includeLastOffset?: boolean; dtype?: DType } = {},
  ) {
    super();
    const name = 'EmbeddingBag';
    const o = checkOptions(name, options, {
      mode: 'string',
      paddingIdx: 'any',
      includeLastOffset: 'boolean',
      dtype: 'string',
    });
    this.mode = oneOf(name, 'mode', o.mode ?? 'mean', ['sum', 'mean', 'max'] as const);
    this.includeLastOffset = o.includeLastOffset ?? false;
    const table = embeddingTable(name, numEmbeddings, embeddingDim, o.paddingIdx, o.dtype);
    this.paddingIdx = table.paddingIdx;
    this.weight = table.weight;
  }
  /** x: [B, N] bags, or 1-D with offsets; perSampleWeights for mode 'sum'. */
  forward(x: Tensor, offsets?: Tensor | null, perSampleWeights?: Tensor | null): Tensor {
    return embeddingBag(x, this.weight, {
      offsets,
      perSampleWeights,
      mode: this.mode,
      paddingIdx: this.paddingIdx,
      includeLastOffset: this.includeLastOffset,
    });
  }
}
