// Datasets: map-style (length + get(i)) and iterable, with the tensor, subset and concatenation
// wrappers and a seeded random split.
import { fail } from '../errors.js';
import { checkOptions, describe, int, intAtLeast, list } from '../options.js';
import { randint } from '../ops/creation.js';
import { drawingFrom, type Generator } from '../ops/generator.js';
import { Tensor } from '../tensor.js';

/** A seed drawn from the global generator, so manualSeed() makes unseeded shuffles repeatable. */
export function drawSeed(): number {
  const t = randint(0, 2147483647, [1]);
  const v = Number(t.item());
  t.dispose();
  return v;
}

/**
 * The seed of a random order from options: `seed` as given, else one drawn from `generator` (a
 * Generator; torch's way of seeding splits and loaders), else from the global stream.
 */
export function seedOf(op: string, o: { seed?: number; generator?: unknown }): number {
  if (o.seed !== undefined && o.generator !== undefined && o.generator !== null)
    fail('INVALID_ARGUMENT', `${op}: give a seed or a generator, not both`);
  return o.seed ?? drawingFrom(op, o.generator, drawSeed);
}

/** A map-style dataset: `length` samples, sample i from `get(i)` (a value or a promise of one). */
export abstract class Dataset<T> {
  /** Number of samples. */
  abstract get length(): number;
  /** Sample `index` (0 <= index < length), or a promise of it. */
  abstract get(index: number): T | Promise<T>;
}

/** A stream of samples, for data that cannot be indexed (iterate it with a DataLoader). */
export abstract class IterableDataset<T> {
  /** The samples in order. */
  abstract [Symbol.iterator](): Iterator<T>;
}

/** A deterministic generator (mulberry32) for shuffles and splits: same seed, same sequence. */
export function seededRandom(seed: number): () => number {
  if (typeof seed !== 'number' || !Number.isFinite(seed))
    fail('INVALID_ARGUMENT', `seededRandom: expected a finite number seed, got ${describe(seed)}`);
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The random stream of (seed, epoch) that every epoch-dependent order uses (the DataLoader's
 * shuffle, DistributedSampler, the samplers), so an order depends on the seed and epoch alone.
 */
export function epochRandom(seed: number, epoch: number): () => number {
  return seededRandom((seed + Math.imul(epoch + 1, 0x9e3779b9)) >>> 0);
}

/** Elements a synthetic set may hold (2^28 float32 values: 1 GiB). */
const MAX_SYNTHETIC_VALUES = 2 ** 28;

/** Checks a synthetic set's sample count n (>= 1) and that n * perSample values stay reasonable. */
export function sampleCount(op: string, n: unknown, perSample: number): number {
  intAtLeast(op, 'n', n);
  if ((n as number) * perSample > MAX_SYNTHETIC_VALUES)
    fail(
      'INVALID_ARGUMENT',
      `${op}: n = ${n} samples of ${perSample} values each is more than ${MAX_SYNTHETIC_VALUES} values`,
    );
  return int(op, 'n', n);
}

/** A permutation of 0..n-1 (Fisher-Yates). */
export function permutation(n: number, random: () => number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

function checkIndex(op: string, i: number, n: number): number {
  if (!Number.isSafeInteger(i)) fail('INVALID_ARGUMENT', `${op}: index must be an integer, got ${describe(i)}`);
  if (i < -n || i >= n) fail('INDEX_OUT_OF_RANGE', `${op}: index ${i} out of range for a dataset of ${n} samples`);
  return i < 0 ? i + n : i;
}

/**
 * Samples are rows of tensors sharing their first dimension: get(i) is [x[i], y[i], ...] (views).
 * @example const ds = new data.TensorDataset(features, labels)
 */
export class TensorDataset extends Dataset<Tensor[]> {
  readonly tensors: Tensor[];
  constructor(...tensors: Tensor[]) {
    super();
    if (tensors.length === 0) fail('INVALID_ARGUMENT', 'TensorDataset: expected at least one tensor');
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor))
        fail('INVALID_ARGUMENT', `TensorDataset: argument ${i} is not a Tensor, got ${describe(t)}`);
      if (t.ndim === 0) fail('SHAPE_MISMATCH', `TensorDataset: tensor ${i} is 0-dim; samples are taken along dim 0`);
      if (t.shape[0] !== tensors[0].shape[0])
        fail(
          'SHAPE_MISMATCH',
          `TensorDataset: size mismatch between tensors: ${tensors[0].shape[0]} and ${t.shape[0]} (tensor ${i})`,
        );
    });
    this.tensors = tensors;
  }
  /** Number of samples. */
  get length(): number {
    return this.tensors[0].shape[0];
  }
  /** Row `index` of every tensor (views). */
  get(index: number): Tensor[] {
    const i = checkIndex('TensorDataset', index, this.length);
    return this.tensors.map((t) => t.select(0, i));
  }
}

/** The samples of `dataset` at `indices`. @example new data.Subset(ds, [0, 2, 4]) */
export class Subset<T> extends Dataset<T> {
  constructor(
    readonly dataset: Dataset<T>,
    readonly indices: readonly number[],
  ) {
    super();
    if (!(dataset instanceof Dataset)) fail('INVALID_ARGUMENT', `Subset: expected a Dataset, got ${describe(dataset)}`);
    for (const i of list('Subset', 'indices', indices)) checkIndex('Subset', i as number, dataset.length);
  }
  /** Number of samples. */
  get length(): number {
    return this.indices.length;
  }
  /** Sample `index`. */
  get(index: number): T | Promise<T> {
    return this.dataset.get(this.indices[checkIndex('Subset', index, this.length)]);
  }
}

/** Datasets one after another. @example new data.ConcatDataset([train, extra]) */
export class ConcatDataset<T> extends Dataset<T> {
  private readonly ends: number[] = [];
  constructor(readonly datasets: readonly Dataset<T>[]) {
    super();
    if (!Array.isArray(datasets) || datasets.length === 0)
      fail('INVALID_ARGUMENT', 'ConcatDataset: expected a non-empty list of datasets');
    let n = 0;
    for (const d of datasets) {
      if (!(d instanceof Dataset)) fail('INVALID_ARGUMENT', `ConcatDataset: expected Datasets, got ${describe(d)}`);
      this.ends.push((n += d.length));
    }
  }
  get length(): number {
    return this.ends[this.ends.length - 1];
  }
  get(index: number): T | Promise<T> {
    const i = checkIndex('ConcatDataset', index, this.length);
    const k = this.ends.findIndex((e) => i < e);
    return this.datasets[k].get(i - (k === 0 ? 0 : this.ends[k - 1]));
  }
}

/** Iterable datasets one after another (torch's ChainDataset). @example new data.ChainDataset([logsA, logsB]) */
export class ChainDataset<T> extends IterableDataset<T> {
  constructor(readonly datasets: readonly IterableDataset<T>[]) {
    super();
    if (!Array.isArray(datasets) || !datasets.every((d) => d instanceof IterableDataset))
      fail('INVALID_ARGUMENT', `ChainDataset: expected a list of IterableDatasets, got ${describe(datasets)}`);
  }
  *[Symbol.iterator](): Iterator<T> {
    for (const d of this.datasets) yield* d;
  }
}

/**
 * Splits a dataset into non-overlapping random subsets of the given lengths (counts summing to
 * its length, or fractions summing to 1; remainders go round-robin, as in PyTorch).
 * @example const [train, val] = data.randomSplit(ds, [0.8, 0.2], { seed: 42 })
 */
export function randomSplit<T>(
  dataset: Dataset<T>,
  lengths: readonly number[],
  options: { seed?: number; generator?: Generator } = {},
): Subset<T>[] {
  if (!(dataset instanceof Dataset))
    fail('INVALID_ARGUMENT', `randomSplit: expected a Dataset, got ${describe(dataset)}`);
  options = checkOptions('randomSplit', options, { seed: 'integer', generator: 'any' });
  const n = dataset.length;
  if (!Array.isArray(lengths) || lengths.length === 0 || lengths.some((l) => typeof l !== 'number' || !(l >= 0)))
    fail('INVALID_ARGUMENT', `randomSplit: lengths must be non-negative numbers, got ${describe(lengths)}`);
  let counts = [...lengths];
  const total = lengths.reduce((a, b) => a + b, 0);
  if (Math.abs(total - 1) < 1e-9 && lengths.some((l) => !Number.isInteger(l))) {
    counts = lengths.map((f) => Math.floor(n * f));
    let rest = n - counts.reduce((a, b) => a + b, 0);
    for (let i = 0; rest > 0; i = (i + 1) % counts.length, rest--) counts[i]++;
  } else if (total !== n || counts.some((c) => !Number.isInteger(c))) {
    fail(
      'INVALID_ARGUMENT',
      `randomSplit: sum of input lengths (${total}) does not equal the length of the dataset (${n})`,
    );
  }
  const perm = permutation(n, seededRandom(seedOf('randomSplit', options)));
  const out: Subset<T>[] = [];
  let at = 0;
  for (const c of counts) {
    out.push(new Subset(dataset, perm.slice(at, at + c)));
    at += c;
  }
  return out;
}
