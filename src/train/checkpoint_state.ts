// What a checkpoint holds of a training run, and putting it back: the module, optimizer and
// scheduler state, callbacks, the loop position, the random stream and the loaders' shuffle
// position, so that a resumed fit equals an uninterrupted one.
import { loadCheckpoint, type CheckpointValue } from '../io/checkpoint.js';
import type { DeviceName } from '../dtype.js';
import { fail } from '../errors.js';
import type { OptimizerStateDict } from '../optim/optimizer.js';
import { getRngState } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import { tensorsIn, type Batches } from './batches.js';
import type { Callback } from './callbacks.js';
import type { AnyOptimizer, LightningModule, SchedulerConfig } from './module.js';

/** @internal Where fit stands, saved in checkpoints: the epoch, and how many of its batches are done. */
export interface LoopState {
  epoch: number;
  batchesDone: number;
  epochDone: boolean;
}

/** @internal The parts of a run a checkpoint holds. */
export interface RunParts {
  module: LightningModule;
  optimizers: readonly AnyOptimizer[];
  lrSchedulers: readonly Required<SchedulerConfig>[];
  callbacks: readonly Callback[];
  loaders: { train?: Batches; val?: Batches };
}

/** @internal Where a run stands. */
export interface RunPosition {
  currentEpoch: number;
  globalStep: number;
  loop: LoopState;
  callbackMetrics: Record<string, number>;
}

/**
 * @internal The full training state as a checkpoint tree. `notify` runs the onSaveCheckpoint
 * hooks on it (they may add to it) before it is returned.
 */
export function checkpointState(
  parts: RunParts,
  pos: RunPosition,
  notify: (ckpt: Record<string, unknown>) => void,
): Record<string, CheckpointValue> {
  const m = parts.module;
  const ckpt: Record<string, unknown> = {
    epoch: pos.currentEpoch,
    globalStep: pos.globalStep,
    loop: { ...pos.loop },
    stateDict: m.stateDict(),
    optimizerStates: parts.optimizers.map((o) => o.stateDict()),
    lrSchedulers: parts.lrSchedulers.map((s) => s.scheduler.stateDict()),
    callbacks: Object.fromEntries(parts.callbacks.map((c) => [c.stateKey, c.stateDict()])),
    rng: getRngState(),
    loaders: Object.fromEntries(
      Object.entries(parts.loaders)
        .filter(([, l]) => typeof (l as { stateDict?: unknown })?.stateDict === 'function')
        .map(([k, l]) => [k, (l as unknown as { stateDict(): unknown }).stateDict()]),
    ),
    hparams: m.hparams,
    callbackMetrics: { ...pos.callbackMetrics },
  };
  notify(ckpt);
  return ckpt as Record<string, CheckpointValue>;
}

/**
 * @internal Loads a checkpoint into the module (weights only unless `full`; then also optimizers,
 * schedulers and callbacks). `restored` receives the tree and, when full, the saved position, while
 * the loaded tensors are still alive (the onLoadCheckpoint hooks run there); they are freed after.
 */
export function restoreCheckpoint(
  ckptPath: string,
  device: DeviceName,
  parts: RunParts,
  full: boolean,
  restored: (ckpt: Record<string, CheckpointValue>, pos: Omit<RunPosition, 'currentEpoch'> | undefined) => void,
): Record<string, CheckpointValue> {
  const ckpt = loadCheckpoint(ckptPath, { device });
  const owned = tensorsIn(ckpt);
  try {
    const sd = ckpt.stateDict as Record<string, Tensor> | undefined;
    if (!sd || typeof sd !== 'object') fail('IO_ERROR', `Trainer: '${ckptPath}' has no model state (stateDict)`);
    parts.module.loadStateDict(sd);
    if (!full) {
      restored(ckpt, undefined);
      return ckpt;
    }
    const opts = (ckpt.optimizerStates ?? []) as unknown[];
    if (opts.length !== parts.optimizers.length)
      fail(
        'IO_ERROR',
        `Trainer: '${ckptPath}' holds ${opts.length} optimizer states, the module configures ${parts.optimizers.length}`,
      );
    parts.optimizers.forEach((o, i) => o.loadStateDict(opts[i] as OptimizerStateDict));
    const scheds = (ckpt.lrSchedulers ?? []) as Record<string, unknown>[];
    parts.lrSchedulers.forEach((s, i) => {
      if (scheds[i]) s.scheduler.loadStateDict(scheds[i]);
    });
    const cbs = (ckpt.callbacks ?? {}) as Record<string, Record<string, unknown>>;
    for (const c of parts.callbacks) if (cbs[c.stateKey]) c.loadStateDict(cbs[c.stateKey]);
    const loop = ckpt.loop as LoopState | undefined;
    restored(ckpt, {
      globalStep: Number(ckpt.globalStep ?? 0),
      loop: loop ? { ...loop } : { epoch: 0, batchesDone: 0, epochDone: false },
      callbackMetrics: (ckpt.callbackMetrics ?? {}) as Record<string, number>,
    });
    return ckpt;
  } finally {
    for (const t of owned) t.dispose(); // loadStateDict calls copy
  }
}
