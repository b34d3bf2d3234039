// The Trainer's 'ddp' strategy: DistributedDataParallel's gradient averaging on the module's
// parameters, a DistributedSampler for each loader, logged metrics averaged across ranks.
import { noGrad } from '../autograd.js';
import { DistributedSampler } from '../data/distributed.js';
import { DataLoader } from '../data/loader.js';
import { Dataset } from '../data/dataset.js';
import type { DeviceName } from '../dtype.js';
import { fail } from '../errors.js';
import type { Module } from '../nn/module.js';
import { tensor } from '../ops/creation.js';
import type { Batches } from '../train/batches.js';
import { registerStrategy, type Strategy } from '../train/strategy.js';
import { checkOptions } from '../options.js';
import { DDP_OPTION_KINDS, DistributedDataParallel, type DDPOptions } from './ddp.js';
import {
  allReduce,
  barrier,
  broadcast,
  getRank,
  getWorldSize,
  initProcessGroup,
  isInitialized,
} from './process_group.js';

class DDPStrategy implements Strategy {
  readonly name = 'ddp';
  readonly rank: number;
  readonly worldSize: number;
  readonly device: DeviceName;
  /** DistributedDataParallel's options, from `strategy: { name: 'ddp', ...options }`. */
  readonly options: DDPOptions;
  #ddp: DistributedDataParallel | undefined;
  #module: Module | undefined;

  constructor(devices: number | undefined, device: DeviceName, options: Record<string, unknown>) {
    // The names first, before a process group starts; DistributedDataParallel checks the values.
    this.options = checkOptions("Trainer: strategy 'ddp'", options as DDPOptions, DDP_OPTION_KINDS);
    // On CUDA, gradients average through NCCL, and each rank of a machine takes its own GPU
    // ('cuda' means cuda:<local rank>, as Lightning's ddp; 'cuda:N' is taken as given).
    const gpu = device !== 'cpu';
    if (!isInitialized()) initProcessGroup({ backend: gpu ? 'nccl' : 'mpi' });
    this.rank = getRank();
    this.worldSize = getWorldSize();
    this.device = device === 'cuda' ? `cuda:${localRank(this.rank)}` : device;
    if (devices !== undefined && devices !== this.worldSize)
      fail(
        'INVALID_ARGUMENT',
        `Trainer: devices is ${devices} but this job has ${this.worldSize} rank(s); start it with 'npx tensorkit run -n ${devices} <script>'`,
      );
  }

  setup(module: Module): void {
    this.#ddp?.dispose();
    this.#module = module;
    this.#ddp = new DistributedDataParallel(module, this.options);
  }

  noSync<T>(fn: () => T): T {
    return this.#ddp ? this.#ddp.noSync(fn) : fn();
  }

  distribute(batches: Batches): Batches {
    if (!(batches instanceof DataLoader) || !(batches.dataset instanceof Dataset) || batches.options.sampler)
      return batches; // iterables, iterable datasets and custom samplers are the user's to shard
    const o = batches.options;
    const sampler = new DistributedSampler(batches.dataset, {
      numReplicas: this.worldSize,
      rank: this.rank,
      shuffle: o.shuffle ?? false,
      seed: o.seed ?? 0, // one order for all ranks, even where the loader would draw its own seed
    });
    return new DataLoader(batches.dataset, { ...o, shuffle: undefined, sampler }) as Batches;
  }

  reduce(values: Record<string, number>, op: 'mean' | 'sum' | 'max' | 'min'): Record<string, number> {
    const keys = Object.keys(values).sort();
    if (this.worldSize === 1 || keys.length === 0) return values;
    const t = tensor(
      keys.map((k) => values[k]),
      { dtype: 'float64' },
    );
    allReduce(t, { op: op === 'mean' ? 'avg' : op });
    const v = t.data() as Float64Array;
    t.dispose();
    const out: Record<string, number> = {};
    keys.forEach((k, i) => (out[k] = v[i]));
    return out;
  }

  barrier(): void {
    barrier();
  }

  /** Copies rank 0's buffers (batch-norm statistics) to every rank. */
  syncBuffers(): void {
    if (this.#module) noGrad(() => this.#module!.buffers().forEach((b) => broadcast(b, { src: 0 })));
  }

  teardown(): void {
    this.#ddp?.dispose();
    this.#ddp = undefined;
  }
}

// This process's index among the ranks on its machine (Open MPI's launcher says), else its rank.
function localRank(rank: number): number {
  const v = Number(process.env.OMPI_COMM_WORLD_LOCAL_RANK);
  return Number.isInteger(v) && v >= 0 ? v : rank;
}

registerStrategy('ddp', ({ devices, device, options }) => new DDPStrategy(devices, device, options));
