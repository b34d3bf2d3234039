// Padded and packed sequences (torch.nn.utils.rnn: pad_sequence, PackedSequence and its pack/pad
// functions). A packed batch is sequences of different lengths laid out time step by time step,
// each step holding only the sequences still running, longest first. The recurrent layers take
// and return them (rnn.ts), so padding never enters a recurrence and each sequence's final state
// is that of its own last step.
import { tensorList } from '../args.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { full, tensor } from '../ops/creation.js';
import { cat, stack } from '../ops/functional.js';
import { checkOptions, describe } from '../options.js';
import { Tensor } from '../tensor.js';
import { tensorArg } from './args.js';

/**
 * Sequences packed time step by time step: `data` [sum of lengths, *] holds step 0 of every
 * sequence, then step 1 of those at least 2 long, and so on, longest first; `batchSizes[t]` is
 * how many sequences step t holds. `sortedIndices[i]` is the batch position of the i-th longest
 * sequence and `unsortedIndices` its inverse (null when the batch was given sorted). `data`
 * belongs to the tidy() scope it was made in, as any tensor; tidy() keeps a returned one.
 * @example const packed = nn.utils.packPaddedSequence(x, [5, 2, 4], { enforceSorted: false });
 */
export class PackedSequence {
  /** @internal tidy() keeps the data of a PackedSequence it returns. */
  readonly _holdsTensors = true;
  /** @internal */
  constructor(
    readonly data: Tensor,
    readonly batchSizes: readonly number[],
    readonly sortedIndices: readonly number[] | null,
    readonly unsortedIndices: readonly number[] | null,
  ) {}
  /** Each sequence's length, in the batch's original order. */
  lengths(): number[] {
    const sorted = Array.from(
      { length: this.batchSizes[0] ?? 0 },
      (_, i) => this.batchSizes.filter((b) => b > i).length,
    );
    return this.unsortedIndices ? this.unsortedIndices.map((j) => sorted[j]) : sorted;
  }
  /** Frees `data`. */
  dispose(): void {
    this.data.dispose();
  }
  /** Frees `data` at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

function lengthsOf(op: string, lengths: unknown, N: number, T: number): number[] {
  let xs: unknown = lengths;
  if (lengths instanceof Tensor) {
    if (lengths.ndim !== 1) fail('SHAPE_MISMATCH', `${op}: lengths must be 1-D, got [${lengths.shape.join(', ')}]`);
    xs = (lengths.toArray() as unknown[]).map(Number);
  }
  if (!Array.isArray(xs) || xs.length !== N || !xs.every((v) => Number.isSafeInteger(v) && v >= 1 && v <= T))
    fail('INVALID_ARGUMENT', `${op}: lengths must be ${N} integers in [1, ${T}], got ${describe(lengths)}`);
  return xs as number[];
}

// The order longest first (stable), checked to be the identity when enforceSorted.
function order(op: string, lengths: number[], enforceSorted: boolean): number[] | null {
  const idx = lengths.map((_, i) => i);
  if (enforceSorted) {
    for (let i = 1; i < lengths.length; i++)
      if (lengths[i] > lengths[i - 1])
        fail(
          'INVALID_ARGUMENT',
          `${op}: lengths must be sorted longest first when enforceSorted is true, got [${lengths.join(', ')}]`,
        );
    return null;
  }
  return idx.sort((a, b) => lengths[b] - lengths[a] || a - b);
}

const inverse = (p: readonly number[]) => {
  const inv = new Array<number>(p.length);
  p.forEach((j, i) => (inv[j] = i));
  return inv;
};
const int64 = (xs: readonly number[], device: Tensor['device']) => tensor([...xs], { dtype: 'int64', device });

/**
 * @internal The packed rows of x [T, N, *] (batch longest first): step t's first batchSizes[t].
 */
export function packRows(x: Tensor, batchSizes: readonly number[]): Tensor {
  return cat(
    batchSizes.map((b, t) => x.select(0, t).narrow(0, 0, b)),
    0,
  );
}

/**
 * @internal A packed sequence's data as [total, N, *], batch longest first (the packed order),
 * `value` past each sequence's end and in the steps after the longest.
 */
export function padRows(p: PackedSequence, total = p.batchSizes.length, value = 0): Tensor {
  const { data, batchSizes } = p;
  const N = batchSizes[0] ?? 0;
  const pad = (rows: number) => full([rows, ...data.shape.slice(1)], value, { dtype: data.dtype, device: data.device });
  let at = 0;
  const steps = batchSizes.map((b) => {
    const rows = data.narrow(0, at, b);
    at += b;
    return b < N ? cat([rows, pad(N - b)], 0) : rows;
  });
  for (let t = batchSizes.length; t < total; t++) steps.push(pad(N));
  return stack(steps, 0);
}

/**
 * Packs a padded batch ([T, N, *], or [N, T, *] with batchFirst) whose sequences have the given
 * lengths (torch.nn.utils.rnn.pack_padded_sequence). With enforceSorted (default true) the
 * lengths must be longest first; otherwise the batch is sorted here and the order recorded.
 * Differentiable in the input.
 * @example const packed = nn.utils.packPaddedSequence(x, lengths, { batchFirst: true, enforceSorted: false })
 */
export function packPaddedSequence(
  input: Tensor,
  lengths: Tensor | readonly number[],
  options?: { batchFirst?: boolean; enforceSorted?: boolean },
): PackedSequence {
  const op = 'packPaddedSequence';
  tensorArg(op, 'input', input);
  const o = checkOptions(op, options, { batchFirst: 'boolean', enforceSorted: 'boolean' });
  if (input.ndim < 2) fail('SHAPE_MISMATCH', `${op}: input must be [T, N, *], got [${input.shape.join(', ')}]`);
  const bf = o.batchFirst ?? false;
  const [T, N] = bf ? [input.shape[1], input.shape[0]] : [input.shape[0], input.shape[1]];
  const lens = lengthsOf(op, lengths, N, T);
  const sorted = order(op, lens, o.enforceSorted ?? true);
  const sortedLens = sorted ? sorted.map((i) => lens[i]) : lens;
  const batchSizes = Array.from({ length: sortedLens[0] ?? 0 }, (_, t) => sortedLens.filter((l) => l > t).length);
  const data = tidy(() => {
    let x = bf ? input.transpose(0, 1) : input; // [T, N, *]
    if (sorted) x = x.indexSelect(1, int64(sorted, input.device));
    return packRows(x, batchSizes);
  });
  return new PackedSequence(data, batchSizes, sorted, sorted && inverse(sorted));
}

/**
 * Unpacks to a padded batch and the lengths (torch.nn.utils.rnn.pad_packed_sequence): [T, N, *]
 * (or [N, T, *] with batchFirst) in the original batch order, padded with paddingValue up to
 * totalLength (default: the longest). Differentiable in `sequence.data`.
 * @example const [padded, lengths] = nn.utils.padPackedSequence(out, { batchFirst: true })
 */
export function padPackedSequence(
  sequence: PackedSequence,
  options?: { batchFirst?: boolean; paddingValue?: number; totalLength?: number },
): [Tensor, number[]] {
  const op = 'padPackedSequence';
  if (!(sequence instanceof PackedSequence))
    fail('INVALID_ARGUMENT', `${op}: expected a PackedSequence, got ${describe(sequence)}`);
  const o = checkOptions(op, options, { batchFirst: 'boolean', paddingValue: 'number', totalLength: 'integer' });
  const T = sequence.batchSizes.length;
  const total = o.totalLength ?? T;
  if (total < T)
    fail('INVALID_ARGUMENT', `${op}: totalLength ${total} is less than the longest sequence's length ${T}`);
  const padded = tidy(() => {
    let x = padRows(sequence, total, o.paddingValue ?? 0); // [total, N, *], sorted order
    if (sequence.unsortedIndices) x = x.indexSelect(1, int64(sequence.unsortedIndices, x.device));
    return o.batchFirst ? x.transpose(0, 1).contiguous() : x;
  });
  return [padded, sequence.lengths()];
}

/**
 * Packs a list of sequences ([L_i, *] each) of different lengths
 * (torch.nn.utils.rnn.pack_sequence). enforceSorted (default true): longest first.
 * @example const packed = nn.utils.packSequence([a, b, c], { enforceSorted: false })
 */
export function packSequence(sequences: readonly Tensor[], options?: { enforceSorted?: boolean }): PackedSequence {
  const op = 'packSequence';
  const seqs = tensorList(op, 'sequences', sequences);
  const o = checkOptions(op, options, { enforceSorted: 'boolean' });
  if (seqs.length === 0) fail('INVALID_ARGUMENT', `${op}: expected at least one sequence`);
  if (seqs.some((s) => s.ndim === 0)) fail('SHAPE_MISMATCH', `${op}: every sequence needs a length dim`);
  return tidy(() => {
    const lengths = seqs.map((s) => s.shape[0]);
    const trailing = seqs[0].shape.slice(1);
    const T = Math.max(...lengths);
    const padded = stack(
      seqs.map((s) => {
        if (s.shape.slice(1).join() !== trailing.join())
          fail('SHAPE_MISMATCH', `${op}: every sequence needs the trailing shape [${trailing.join(', ')}]`);
        return s.shape[0] === T
          ? s
          : cat([s, full([T - s.shape[0], ...trailing], 0, { dtype: s.dtype, device: s.device })], 0);
      }),
      1,
    );
    return packPaddedSequence(padded, lengths, { enforceSorted: o.enforceSorted ?? true });
  });
}

/**
 * Splits a padded batch back into its sequences (torch.nn.utils.rnn.unpad_sequence): padded
 * [T, N, *] (or [N, T, *] with batchFirst) and each sequence's length give N tensors [L_i, *].
 * Differentiable. @example const [a, b] = nn.utils.unpadSequence(padded, [3, 2], { batchFirst: true })
 */
export function unpadSequence(
  paddedSequences: Tensor,
  lengths: Tensor | readonly number[],
  options?: { batchFirst?: boolean },
): Tensor[] {
  const op = 'unpadSequence';
  const x = tensorArg(op, 'paddedSequences', paddedSequences);
  const o = checkOptions(op, options, { batchFirst: 'boolean' });
  if (x.ndim < 2) fail('SHAPE_MISMATCH', `${op}: paddedSequences must be [T, N, *], got [${x.shape.join(', ')}]`);
  const bf = o.batchFirst ?? false;
  const [T, N] = bf ? [x.shape[1], x.shape[0]] : [x.shape[0], x.shape[1]];
  const lens = lengthsOf(op, lengths, N, T);
  return lens.map((l, i) => (bf ? x.select(0, i) : x.select(1, i)).narrow(0, 0, l).contiguous());
}

/**
 * The sequences of a PackedSequence, in the batch's original order (torch.nn.utils.rnn.
 * unpack_sequence): the inverse of packSequence. Differentiable in `sequence.data`.
 * @example const seqs = nn.utils.unpackSequence(nn.utils.packSequence([a, b], { enforceSorted: false }))
 */
export function unpackSequence(sequence: PackedSequence): Tensor[] {
  if (!(sequence instanceof PackedSequence))
    fail('INVALID_ARGUMENT', `unpackSequence: expected a PackedSequence, got ${describe(sequence)}`);
  return tidy(() => {
    const [padded, lengths] = padPackedSequence(sequence, { batchFirst: true });
    return unpadSequence(padded, lengths, { batchFirst: true });
  });
}

/**
 * Stacks sequences of different lengths ([L_i, *] each, same trailing shape and dtype) into one
 * tensor, padded with paddingValue: [maxL, B, *], or [B, maxL, *] with batchFirst
 * (torch.nn.utils.rnn.pad_sequence). Differentiable in the sequences.
 * @example const batch = nn.utils.padSequence(sentences, { batchFirst: true })
 */
export function padSequence(
  sequences: readonly Tensor[],
  options?: { batchFirst?: boolean; paddingValue?: number },
): Tensor {
  const op = 'padSequence';
  const seqs = tensorList(op, 'sequences', sequences);
  const o = checkOptions(op, options, { batchFirst: 'boolean', paddingValue: 'number' });
  if (seqs.length === 0) fail('INVALID_ARGUMENT', `${op}: expected at least one sequence`);
  const trailing = seqs[0].shape.slice(1);
  seqs.forEach((s, i) => {
    if (s.ndim === 0) fail('SHAPE_MISMATCH', `${op}: sequences[${i}] must have a length dim, got []`);
    if (s.shape.slice(1).join() !== trailing.join())
      fail(
        'SHAPE_MISMATCH',
        `${op}: sequences[${i}] is [${s.shape.join(', ')}]; every sequence needs the trailing shape [${trailing.join(', ')}]`,
      );
  });
  const maxLen = Math.max(...seqs.map((s) => s.shape[0]));
  return tidy(() => {
    const padded = seqs.map((s) => {
      const missing = maxLen - s.shape[0];
      if (missing === 0) return s;
      return cat([s, full([missing, ...trailing], o.paddingValue ?? 0, { dtype: s.dtype, device: s.device })], 0);
    });
    return stack(padded, o.batchFirst ? 0 : 1);
  });
}
