// DistributedSampler, as PyTorch's: each of numReplicas processes reads its own share of the
// dataset, every rank shuffling with the same seed and epoch so the shares partition one order.
import { fail } from '../errors.js';
import { checkOptions, describe } from '../options.js';
import { Dataset, epochRandom, permutation } from './dataset.js';

/** A sampler whose indices depend on the epoch (DistributedSampler is one). */
export interface EpochSampler {
  /** The indices to visit in `epoch`. */
  indices(epoch: number): Iterable<number>;
}

/** Options of DistributedSampler. */
export interface DistributedSamplerOptions {
  /** Processes sharing the dataset (default: the launcher's world size from the environment). */
  numReplicas?: number;
  /** This process's rank in [0, numReplicas) (default: the launcher's rank). */
  rank?: number;
  /** A new order every epoch, the same on every rank (default true). */
  shuffle?: boolean;
  /** Seed of the shuffles; must be the same on every rank (default 0). */
  seed?: number;
  /** Drop the tail that does not divide evenly (default false: pad by repeating the first indices). */
  dropLast?: boolean;
}

// The launcher's world size and rank: Open MPI's, PMI's, or torchrun's variables.
function fromEnv(kind: 'size' | 'rank'): number | undefined {
  const names =
    kind === 'size' ? ['OMPI_COMM_WORLD_SIZE', 'PMI_SIZE', 'WORLD_SIZE'] : ['OMPI_COMM_WORLD_RANK', 'PMI_RANK', 'RANK'];
  for (const n of names) {
    const v = process.env[n];
    if (v !== undefined && /^\d+$/.test(v)) return Number(v);
  }
  return undefined;
}

/**
 * Indices of one rank's share of a dataset, as torch.utils.data.DistributedSampler: the (shuffled)
 * order of all indices, padded by repeating its start to a multiple of numReplicas (or with the
 * tail dropped), then every numReplicas-th index from `rank`. Pass it as a DataLoader's sampler;
 * the loader's epoch picks the order (or call `setEpoch` when iterating it yourself).
 * @example const loader = new data.DataLoader(ds, { batchSize: 32, sampler: new data.DistributedSampler(ds, { numReplicas: 2, rank }) })
 */
export class DistributedSampler implements EpochSampler {
  readonly numReplicas: number;
  readonly rank: number;
  /** Indices each rank gets per epoch. */
  readonly numSamples: number;
  /** numSamples * numReplicas: the padded (or truncated) order's length. */
  readonly totalSize: number;
  private readonly n: number;
  private readonly o: Required<Pick<DistributedSamplerOptions, 'shuffle' | 'seed' | 'dropLast'>>;
  private epoch = 0;

  constructor(dataset: Dataset<unknown> | number, options: DistributedSamplerOptions = {}) {
    const op = 'DistributedSampler';
    const o = checkOptions(op, options, {
      numReplicas: 'integer',
      rank: 'integer',
      shuffle: 'boolean',
      seed: 'integer',
      dropLast: 'boolean',
    });
    const n = dataset instanceof Dataset ? dataset.length : dataset;
    if (!Number.isSafeInteger(n) || n < 0)
      fail('INVALID_ARGUMENT', `${op}: expected a map-style dataset or a length, got ${describe(dataset)}`);
    const size = o.numReplicas ?? fromEnv('size');
    const rank = o.rank ?? fromEnv('rank');
    if (size === undefined || rank === undefined)
      fail(
        'INVALID_ARGUMENT',
        `${op}: give numReplicas and rank, or run under a launcher that sets them (OMPI_COMM_WORLD_SIZE/RANK, WORLD_SIZE/RANK)`,
      );
    if (size < 1) fail('INVALID_ARGUMENT', `${op}: numReplicas must be >= 1, got ${size}`);
    if (rank < 0 || rank >= size) fail('INVALID_ARGUMENT', `${op}: rank must be in [0, ${size - 1}], got ${rank}`);
    this.n = n;
    this.numReplicas = size;
    this.rank = rank;
    this.o = { shuffle: o.shuffle ?? true, seed: o.seed ?? 0, dropLast: o.dropLast ?? false };
    this.numSamples = this.o.dropLast ? Math.floor(n / size) : Math.ceil(n / size);
    this.totalSize = this.numSamples * size;
  }

  /** This rank's indices for `epoch` (the same seed and epoch on every rank partition one order). */
  indices(epoch: number): number[] {
    if (!Number.isSafeInteger(epoch) || epoch < 0)
      fail(
        'INVALID_ARGUMENT',
        `DistributedSampler.indices: expected a non-negative integer epoch, got ${describe(epoch)}`,
      );
    let order = this.o.shuffle
      ? permutation(this.n, epochRandom(this.o.seed, epoch))
      : Array.from({ length: this.n }, (_, i) => i);
    if (this.totalSize > this.n) {
      // Pad by repeating the order from its start (several times when the dataset is tiny).
      const pad: number[] = [];
      while (pad.length < this.totalSize - this.n) pad.push(...order.slice(0, this.totalSize - this.n - pad.length));
      order = order.concat(pad);
    } else order = order.slice(0, this.totalSize);
    const mine: number[] = [];
    for (let i = this.rank; i < this.totalSize; i += this.numReplicas) mine.push(order[i] as number);
    return mine;
  }

  /** The epoch iteration uses (PyTorch's set_epoch); a DataLoader passes its own instead. */
  setEpoch(epoch: number): void {
    if (!Number.isSafeInteger(epoch) || epoch < 0)
      fail('INVALID_ARGUMENT', `DistributedSampler.setEpoch: expected a non-negative integer, got ${describe(epoch)}`);
    this.epoch = epoch;
  }

  /** numSamples. */
  get length(): number {
    return this.numSamples;
  }

  /** This rank's indices for the epoch `setEpoch` set (0 until then). */
  [Symbol.iterator](): Iterator<number> {
    return this.indices(this.epoch)[Symbol.iterator]();
  }
}
