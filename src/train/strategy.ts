// Training strategies: how the Trainer spreads a run over processes. `train` knows only this
// interface and a registry; the `distributed` namespace registers 'ddp' (a higher namespace may
// use a lower one, never the reverse), so `new Trainer({ strategy: 'ddp' })` works wherever
// tensorkit's index has been imported.
import type { DeviceName } from '../dtype.js';
import { fail } from '../errors.js';
import { describe } from '../options.js';
import type { Module } from '../nn/module.js';
import type { Batches } from './batches.js';

/** What the Trainer asks of a strategy. */
export interface Strategy {
  readonly name: string;
  /** This process's rank and the number of processes. */
  readonly rank: number;
  readonly worldSize: number;
  /** The device this process trains on, where the strategy places each rank (DDP on 'cuda': cuda:<local rank>). */
  readonly device?: DeviceName;
  /** Sets the module up for the run (DDP: broadcast rank 0's state, hook its gradients). */
  setup(module: Module): void;
  /** Runs a backward whose gradients must not be synchronised yet (gradient accumulation). */
  noSync<T>(fn: () => T): T;
  /** Gives each process its share of a loader's batches (DDP: a DistributedSampler). */
  distribute(batches: Batches): Batches;
  /** Combines logged values across processes (every process calls it at the same points). */
  reduce(values: Record<string, number>, op: 'mean' | 'sum' | 'max' | 'min'): Record<string, number>;
  /** Waits for every process. */
  barrier(): void;
  /** Undoes setup (removes hooks). */
  teardown(): void;
}

/**
 * Makes a strategy; `devices` is the Trainer's option (the processes the user expects), `device`
 * the Trainer's device option, `options` the rest of a `{ name, ...options }` strategy option
 * (the factory checks them).
 */
export type StrategyFactory = (options: {
  devices?: number;
  device: DeviceName;
  options: Record<string, unknown>;
}) => Strategy;

/**
 * A strategy with options, as Lightning's `DDPStrategy(...)`: its registered name and the options
 * it takes. `{ name: 'ddp', gradientAsBucketView: true }` passes DistributedDataParallel's options
 * (bucketCapMb, broadcastBuffers, gradientAsBucketView, overlap, findUnusedParameters).
 * @example new Trainer({ strategy: { name: 'ddp', bucketCapMb: 50 } })
 */
export interface StrategyConfig {
  name: 'ddp';
  [option: string]: unknown;
}

const factories = new Map<string, StrategyFactory>();

/** @internal Registers a strategy by name (the distributed namespace registers 'ddp'). */
export function registerStrategy(name: string, factory: StrategyFactory): void {
  factories.set(name, factory);
}

/**
 * @internal The strategy a Trainer's `strategy` option names (a name, or a StrategyConfig), or
 * INVALID_ARGUMENT listing the known ones.
 */
export function makeStrategy(spec: string | StrategyConfig, devices: number | undefined, device: DeviceName): Strategy {
  const { name, ...options } = typeof spec === 'string' ? { name: spec } : spec;
  const f = typeof name === 'string' ? factories.get(name) : undefined;
  if (!f)
    fail(
      'INVALID_ARGUMENT',
      `Trainer: unknown strategy ${describe(name)} (known: 'auto'${[...factories.keys()].map((k) => `, '${k}'`).join('')})`,
    );
  return f({ devices, device, options });
}
