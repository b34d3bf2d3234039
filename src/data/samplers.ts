// Samplers, as torch.utils.data's: the order in which a DataLoader visits a map-style dataset's
// indices (sequential, shuffled, a shuffled subset, weighted draws) and BatchSampler, which groups
// them into batches. Every random order comes from (seed, epoch) alone, as the DataLoader's own
// shuffle does, so a loader resumed at an epoch sees the same order.
import { fail } from '../errors.js';
import { checkOptions, describe, intAtLeast } from '../options.js';
import { Tensor } from '../tensor.js';
import { Dataset, epochRandom, permutation, seedOf } from './dataset.js';
import type { Generator } from '../ops/generator.js';
import type { EpochSampler } from './distributed.js';

function epochArg(op: string, epoch: unknown): number {
  if (!Number.isSafeInteger(epoch) || (epoch as number) < 0)
    fail('INVALID_ARGUMENT', `${op}: expected a non-negative integer epoch, got ${describe(epoch)}`);
  return epoch as number;
}
// numSamples: a positive integer an array can hold.
function countArg(op: string, v: unknown): number {
  const n = intAtLeast(op, 'numSamples', v, 1);
  if (n > 2 ** 31 - 1) fail('INVALID_ARGUMENT', `${op}: numSamples may be at most 2^31 - 1, got ${n}`);
  return n;
}
// A map-style dataset's length, or a length given directly.
function lengthOf(op: string, source: unknown): number {
  const n = source instanceof Dataset ? source.length : source;
  if (!Number.isSafeInteger(n) || (n as number) < 0 || (n as number) > 2 ** 31 - 1)
    fail('INVALID_ARGUMENT', `${op}: expected a map-style dataset or a length below 2^31, got ${describe(source)}`);
  return n as number;
}

/**
 * A sampler: the indices to visit in each epoch (`indices(epoch)`), iterable for the epoch
 * `setEpoch` set. Subclass it for a custom order; a DataLoader takes it as `sampler`.
 * @example class EvenFirst extends data.Sampler { indices() { return [0, 2, 4, 1, 3]; } get length() { return 5; } }
 */
export abstract class Sampler implements EpochSampler, Iterable<number> {
  private epoch = 0;
  /** The indices to visit in `epoch`. */
  abstract indices(epoch: number): number[];
  /** How many indices an epoch yields. */
  abstract get length(): number;
  /** The epoch iteration uses (torch's set_epoch); a DataLoader passes its own instead. */
  setEpoch(epoch: number): void {
    this.epoch = epochArg(`${this.constructor.name}.setEpoch`, epoch);
  }
  /** The indices of the epoch setEpoch set (0 until then). */
  [Symbol.iterator](): Iterator<number> {
    return this.indices(this.epoch)[Symbol.iterator]();
  }
}

/** 0, 1, ..., n - 1 every epoch (torch's SequentialSampler). @example new data.SequentialSampler(ds) */
export class SequentialSampler extends Sampler {
  private readonly n: number;
  constructor(dataSource: Dataset<unknown> | number) {
    super();
    this.n = lengthOf('SequentialSampler', dataSource);
  }
  indices(epoch: number): number[] {
    epochArg('SequentialSampler.indices', epoch);
    return Array.from({ length: this.n }, (_, i) => i);
  }
  get length(): number {
    return this.n;
  }
}

/** Options of `RandomSampler`. */
export interface RandomSamplerOptions {
  /** Draw with replacement (default false: a permutation). */
  replacement?: boolean;
  /** Indices per epoch (default the dataset's length; without replacement, more repeat whole permutations). */
  numSamples?: number;
  /** Seed of the orders (default: drawn from `generator`, or the global stream). */
  seed?: number;
  /** A Generator to draw the seed from (torch's generator). */
  generator?: Generator;
}

/**
 * A new random order every epoch (torch's RandomSampler): a permutation, or numSamples uniform
 * draws with replacement. @example new data.DataLoader(ds, { sampler: new data.RandomSampler(ds, { seed: 0 }) })
 */
export class RandomSampler extends Sampler {
  readonly replacement: boolean;
  readonly numSamples: number;
  private readonly n: number;
  private readonly seed: number;
  constructor(dataSource: Dataset<unknown> | number, options: RandomSamplerOptions = {}) {
    super();
    const op = 'RandomSampler';
    const o = checkOptions(op, options, {
      replacement: 'boolean',
      numSamples: 'integer',
      seed: 'integer',
      generator: 'any',
    });
    this.n = lengthOf(op, dataSource);
    this.replacement = o.replacement ?? false;
    this.numSamples = o.numSamples === undefined ? this.n : countArg(op, o.numSamples);
    if (this.n === 0 && this.numSamples > 0) fail('INVALID_ARGUMENT', `${op}: the dataset is empty`);
    this.seed = seedOf(op, o);
  }
  indices(epoch: number): number[] {
    const random = epochRandom(this.seed, epochArg('RandomSampler.indices', epoch));
    if (this.replacement) return Array.from({ length: this.numSamples }, () => Math.floor(random() * this.n));
    // as torch: whole permutations, then the start of one more
    const out: number[] = [];
    while (out.length < this.numSamples)
      out.push(...permutation(this.n, random).slice(0, this.numSamples - out.length));
    return out;
  }
  get length(): number {
    return this.numSamples;
  }
}

// A list of integer indices (an array or a 1-D integer tensor).
function indexList(op: string, v: unknown): number[] {
  const xs =
    v instanceof Tensor ? (v.ndim === 1 ? (v.toArray() as unknown as number[]) : null) : Array.isArray(v) ? v : null;
  if (xs === null || !xs.every((i) => Number.isSafeInteger(i) && i >= 0))
    fail('INVALID_ARGUMENT', `${op}: expected a list of non-negative integer indices, got ${describe(v)}`);
  return [...xs];
}

/**
 * The given indices in a new random order every epoch (torch's SubsetRandomSampler): a random
 * split's training part, say. @example new data.SubsetRandomSampler(trainIdx, { seed: 0 })
 */
export class SubsetRandomSampler extends Sampler {
  readonly subset: readonly number[];
  private readonly seed: number;
  constructor(indices: readonly number[] | Tensor, options: { seed?: number; generator?: Generator } = {}) {
    super();
    const o = checkOptions('SubsetRandomSampler', options, { seed: 'integer', generator: 'any' });
    this.subset = indexList('SubsetRandomSampler', indices);
    this.seed = seedOf('SubsetRandomSampler', o);
  }
  indices(epoch: number): number[] {
    const random = epochRandom(this.seed, epochArg('SubsetRandomSampler.indices', epoch));
    return permutation(this.subset.length, random).map((i) => this.subset[i]);
  }
  get length(): number {
    return this.subset.length;
  }
}

/** Options of `WeightedRandomSampler`. */
export interface WeightedRandomSamplerOptions {
  /** Draw with replacement (default true); without, numSamples distinct indices. */
  replacement?: boolean;
  /** Seed of the draws (default: drawn from `generator`, or the global stream). */
  seed?: number;
  /** A Generator to draw the seed from (torch's generator). */
  generator?: Generator;
}

/**
 * numSamples indices drawn with probability proportional to their weights (torch's
 * WeightedRandomSampler): class-balanced sampling of an imbalanced dataset.
 * @example new data.WeightedRandomSampler(labels.map((y) => 1 / classCount[y]), labels.length)
 */
export class WeightedRandomSampler extends Sampler {
  readonly weights: readonly number[];
  readonly numSamples: number;
  readonly replacement: boolean;
  private readonly seed: number;
  private readonly cumulative: Float64Array;
  constructor(weights: readonly number[] | Tensor, numSamples: number, options: WeightedRandomSamplerOptions = {}) {
    super();
    const op = 'WeightedRandomSampler';
    const o = checkOptions(op, options, { replacement: 'boolean', seed: 'integer', generator: 'any' });
    const w =
      weights instanceof Tensor ? (weights.ndim === 1 ? (weights.toArray() as unknown as number[]) : null) : weights;
    if (!Array.isArray(w) || !w.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0))
      fail(
        'INVALID_ARGUMENT',
        `${op}: weights must be a 1-D list of finite non-negative numbers, got ${describe(weights)}`,
      );
    this.weights = [...w];
    this.numSamples = countArg(op, numSamples);
    this.replacement = o.replacement ?? true;
    const positive = this.weights.filter((x) => x > 0).length;
    if (positive === 0) fail('INVALID_ARGUMENT', `${op}: every weight is 0`);
    if (!this.replacement && this.numSamples > positive)
      fail(
        'INVALID_ARGUMENT',
        `${op}: cannot draw ${this.numSamples} samples without replacement from ${positive} positive weights`,
      );
    this.cumulative = new Float64Array(this.weights.length);
    let s = 0;
    this.weights.forEach((x, i) => (this.cumulative[i] = s += x));
    this.seed = seedOf(op, o);
  }
  indices(epoch: number): number[] {
    const random = epochRandom(this.seed, epochArg('WeightedRandomSampler.indices', epoch));
    if (!this.replacement) {
      // Efraimidis and Spirakis: the k largest of log(u) / w are a draw without replacement, in order
      const keys = this.weights.map((w, i) => [w > 0 ? Math.log(random()) / w : -Infinity, i]);
      keys.sort((a, b) => b[0] - a[0]);
      return keys.slice(0, this.numSamples).map(([, i]) => i);
    }
    const c = this.cumulative;
    const total = c[c.length - 1];
    return Array.from({ length: this.numSamples }, () => {
      const u = random() * total;
      let lo = 0,
        hi = c.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (c[mid] > u) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    });
  }
  get length(): number {
    return this.numSamples;
  }
}

/**
 * Groups a sampler's indices into batches of batchSize (the last shorter unless dropLast), as
 * torch's BatchSampler; a DataLoader takes it as `batchSampler`.
 * @example new data.DataLoader(ds, { batchSampler: new data.BatchSampler(new data.RandomSampler(ds), 32, false) })
 */
export class BatchSampler implements Iterable<number[]> {
  readonly batchSize: number;
  readonly dropLast: boolean;
  private epoch = 0;
  constructor(
    readonly sampler: Iterable<number> | EpochSampler,
    batchSize: number,
    dropLast: boolean,
  ) {
    const op = 'BatchSampler';
    const ok =
      typeof (sampler as EpochSampler)?.indices === 'function' ||
      typeof (sampler as Iterable<number>)?.[Symbol.iterator] === 'function';
    if (!ok)
      fail('INVALID_ARGUMENT', `${op}: sampler must be a sampler or an iterable of indices, got ${describe(sampler)}`);
    this.batchSize = intAtLeast(op, 'batchSize', batchSize, 1);
    if (typeof dropLast !== 'boolean')
      fail('INVALID_ARGUMENT', `${op}: dropLast must be a boolean, got ${describe(dropLast)}`);
    this.dropLast = dropLast;
  }
  /** The batches of `epoch` (the sampler's indices of that epoch, grouped). */
  batches(epoch: number): number[][] {
    epochArg('BatchSampler.batches', epoch);
    const s = this.sampler as EpochSampler;
    const idx = typeof s.indices === 'function' ? s.indices(epoch) : (this.sampler as Iterable<number>);
    const out: number[][] = [];
    let b: number[] = [];
    for (const i of idx) {
      b.push(i);
      if (b.length === this.batchSize) {
        out.push(b);
        b = [];
      }
    }
    if (b.length && !this.dropLast) out.push(b);
    return out;
  }
  /** The epoch iteration uses; a DataLoader passes its own instead. */
  setEpoch(epoch: number): void {
    this.epoch = epochArg('BatchSampler.setEpoch', epoch);
  }
  /** The batches of the epoch setEpoch set. */
  [Symbol.iterator](): Iterator<number[]> {
    return this.batches(this.epoch)[Symbol.iterator]();
  }
}
