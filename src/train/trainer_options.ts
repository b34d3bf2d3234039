// The Trainer's options: their types and defaults, and the checks that turn what a user passed into
// the settings the loops run with (callbacks and loggers made, defaults filled in).
import { isDeviceName, type DeviceName } from '../dtype.js';
import { fail } from '../errors.js';
import { checkOptions, describe, isOptionsObject } from '../options.js';
import { Callback, ModelCheckpoint, ProgressBar } from './callbacks.js';
import { CSVLogger, Logger } from './loggers.js';
import { precisionArg, type Precision } from './precision.js';
import { makeStrategy, type Strategy, type StrategyConfig } from './strategy.js';

/** Options of `Trainer`. */
export interface TrainerOptions {
  /** Stop after this many epochs. Default 1000 (when maxSteps is not set), as Lightning. */
  maxEpochs?: number;
  /** Stop after this many optimizer steps (-1: no limit). */
  maxSteps?: number;
  /** Validate every fraction of an epoch (≤ 1) or every n training batches (an integer > 1). Default 1. */
  valCheckInterval?: number;
  /** Validate every n epochs. Default 1. */
  checkValEveryNEpoch?: number;
  /** Use only this many batches (an integer) or this fraction (≤ 1) of each loader. Default 1.0. */
  limitTrainBatches?: number;
  limitValBatches?: number;
  limitTestBatches?: number;
  limitPredictBatches?: number;
  /** Validation batches run before training to catch bugs early (results discarded). Default 2. */
  numSanityValSteps?: number;
  /** Sum gradients over this many batches per optimizer step. Default 1. */
  accumulateGradBatches?: number;
  /** Clip gradients before each step: by global norm (default) or by value. */
  gradientClipVal?: number;
  gradientClipAlgorithm?: 'norm' | 'value';
  /** Seed the random stream at the start of fit (also implied by deterministic, with seed 0). */
  seed?: number;
  /** Reproducible runs: seeds the random stream. CPU kernels are deterministic already (fixed
   * reduction order for any thread count). */
  deterministic?: boolean;
  enableProgressBar?: boolean;
  /** Add a ModelCheckpoint (saving the last epoch) unless one is given. Default true. */
  enableCheckpointing?: boolean;
  /** Loggers; true (default) means a CSVLogger under defaultRootDir, false none. */
  logger?: Logger | Logger[] | boolean;
  callbacks?: Callback[];
  /** Where logs and checkpoints go by default. Default process.cwd(). */
  defaultRootDir?: string;
  /**
   * Device for the module and batches: 'cpu' (default), 'cuda', 'cuda:N'. With strategy 'ddp',
   * 'cuda' puts each rank on cuda:<its local rank> and averages through backend 'nccl'.
   */
  device?: DeviceName;
  /** Send step-level metrics to the loggers every n optimizer steps. Default 50. */
  logEveryNSteps?: number;
  /**
   * 'auto' (default): one process. 'ddp': data-parallel over the ranks of a `tensorkit run -n N`
   * job (the distributed namespace's DistributedDataParallel): each rank trains on its share of
   * every loader (a DistributedSampler is put in), gradients and logged metrics are averaged over
   * the ranks, and only rank 0 logs, shows progress and writes checkpoints. `{ name: 'ddp',
   * ...options }` passes DistributedDataParallel's options (Lightning's `DDPStrategy(...)`).
   */
  strategy?: 'auto' | 'ddp' | StrategyConfig;
  /** The number of processes a 'ddp' run expects; an error when the job has another number. */
  devices?: number;
  /**
   * '32-true' (default): steps run as written. 'bf16-mixed': every step (training, validation,
   * test, predict) runs under amp.autocast in bfloat16. '16-mixed': autocast in float16, with a
   * GradScaler scaling the loss (gradients are unscaled before clipping; a step whose gradients
   * overflowed is skipped); its state is saved in checkpoints. As Lightning's `precision`.
   */
  precision?: Precision;
}

const OPTION_KINDS = {
  maxEpochs: 'integer',
  maxSteps: 'integer',
  valCheckInterval: 'number',
  checkValEveryNEpoch: 'integer',
  limitTrainBatches: 'number',
  limitValBatches: 'number',
  limitTestBatches: 'number',
  limitPredictBatches: 'number',
  numSanityValSteps: 'integer',
  accumulateGradBatches: 'integer',
  gradientClipVal: 'number',
  gradientClipAlgorithm: 'string',
  seed: 'integer',
  deterministic: 'boolean',
  enableProgressBar: 'boolean',
  enableCheckpointing: 'boolean',
  logger: 'any',
  callbacks: 'any',
  defaultRootDir: 'string',
  device: 'string',
  logEveryNSteps: 'integer',
  strategy: 'any',
  devices: 'integer',
  precision: 'any',
} as const;

/** @internal What the loops run with: the checked options, and the values derived from them. */
export interface TrainerSettings {
  o: TrainerOptions;
  maxEpochs: number;
  maxSteps: number;
  accumulateGradBatches: number;
  defaultRootDir: string;
  device: DeviceName;
  callbacks: Callback[];
  loggers: Logger[];
  strategy: Strategy | undefined;
  precision: Precision;
}

/** @internal Checks `options` (INVALID_ARGUMENT naming the option) and fills in the defaults. */
export function trainerSettings(options: TrainerOptions): TrainerSettings {
  const o = checkOptions('Trainer', options, OPTION_KINDS);
  const intAtLeast = (name: keyof TrainerOptions, v: number | undefined, lo: number) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= lo))
      fail('INVALID_ARGUMENT', `Trainer: ${name} must be an integer >= ${lo}, got ${describe(v)}`);
  };
  intAtLeast('maxEpochs', o.maxEpochs, 1);
  intAtLeast('maxSteps', o.maxSteps, -1);
  intAtLeast('checkValEveryNEpoch', o.checkValEveryNEpoch, 1);
  intAtLeast('accumulateGradBatches', o.accumulateGradBatches, 1);
  intAtLeast('numSanityValSteps', o.numSanityValSteps, 0);
  intAtLeast('logEveryNSteps', o.logEveryNSteps, 1);
  for (const k of [
    'limitTrainBatches',
    'limitValBatches',
    'limitTestBatches',
    'limitPredictBatches',
    'valCheckInterval',
  ] as const) {
    const v = o[k];
    if (v !== undefined && !(v > 0 && (v <= 1 || Number.isInteger(v))))
      fail('INVALID_ARGUMENT', `Trainer: ${k} must be a fraction in (0, 1] or a positive integer, got ${describe(v)}`);
  }
  if (o.gradientClipVal !== undefined && !(o.gradientClipVal > 0))
    fail('INVALID_ARGUMENT', `Trainer: gradientClipVal must be positive, got ${describe(o.gradientClipVal)}`);
  if (
    o.gradientClipAlgorithm !== undefined &&
    o.gradientClipAlgorithm !== 'norm' &&
    o.gradientClipAlgorithm !== 'value'
  )
    fail(
      'INVALID_ARGUMENT',
      `Trainer: gradientClipAlgorithm must be 'norm' or 'value', got ${describe(o.gradientClipAlgorithm)}`,
    );
  const maxSteps = o.maxSteps ?? -1;
  const defaultRootDir = o.defaultRootDir ?? process.cwd();
  const device = o.device ?? 'cpu';
  if (!isDeviceName(device))
    fail('INVALID_ARGUMENT', `Trainer: device must be 'cpu', 'cuda' or 'cuda:N', got ${describe(o.device)}`);
  intAtLeast('devices', o.devices, 1);
  const spec = o.strategy;
  if (spec !== undefined && typeof spec !== 'string' && !(isOptionsObject(spec) && 'name' in spec))
    fail(
      'INVALID_ARGUMENT',
      `Trainer: strategy must be 'auto', 'ddp' or { name: 'ddp', ...options }, got ${describe(spec)}`,
    );
  const strategy = spec === undefined || spec === 'auto' ? undefined : makeStrategy(spec, o.devices, device);
  const leader = !strategy || strategy.rank === 0;
  const cbs = o.callbacks ?? [];
  if (!Array.isArray(cbs) || cbs.some((c) => !(c instanceof Callback)))
    fail('INVALID_ARGUMENT', `Trainer: callbacks must be an array of Callback, got ${describe(cbs)}`);
  const callbacks = [...cbs];
  if ((o.enableCheckpointing ?? true) && !callbacks.some((c) => c instanceof ModelCheckpoint))
    callbacks.push(new ModelCheckpoint());
  if ((o.enableProgressBar ?? true) && leader && !callbacks.some((c) => c instanceof ProgressBar))
    callbacks.push(new ProgressBar());
  if (!leader)
    for (let i = callbacks.length - 1; i >= 0; i--) if (callbacks[i] instanceof ProgressBar) callbacks.splice(i, 1);
  const lg = o.logger ?? true;
  let loggers: Logger[];
  if (lg === true) loggers = [new CSVLogger(defaultRootDir)];
  else if (lg === false) loggers = [];
  else {
    const list = Array.isArray(lg) ? lg : [lg];
    if (list.some((l) => !(l instanceof Logger)))
      fail('INVALID_ARGUMENT', `Trainer: logger must be a Logger, an array of them, or a boolean, got ${describe(lg)}`);
    loggers = list;
  }
  if (!leader) loggers = []; // rank 0 logs for the job

  return {
    o,
    maxEpochs: o.maxEpochs ?? (maxSteps === -1 ? 1000 : -1),
    maxSteps,
    accumulateGradBatches: o.accumulateGradBatches ?? 1,
    defaultRootDir,
    device: strategy?.device ?? device,
    callbacks,
    loggers,
    strategy,
    precision: o.precision === undefined ? '32-true' : precisionArg(o.precision),
  };
}
