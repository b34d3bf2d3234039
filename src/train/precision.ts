// The Trainer's `precision` (Lightning's precision plugins): '32-true' runs as written;
// 'bf16-mixed' runs every step under amp.autocast in bfloat16; '16-mixed' under autocast in
// float16 with a GradScaler (the loss scaled before backward, the gradients unscaled before
// clipping, a step whose gradients overflowed skipped). The scaler's state goes in checkpoints.
import { autocast, type AmpDevice } from '../amp/autocast.js';
import { GradScaler, type GradScalerState } from '../amp/grad_scaler.js';
import type { DeviceName } from '../dtype.js';
import { fail } from '../errors.js';
import { describe } from '../options.js';
import type { Tensor } from '../tensor.js';
import type { AnyOptimizer } from './module.js';

/** The Trainer's precision settings, as Lightning's (`32` is `'32-true'`). */
export type Precision = '32-true' | '32' | 32 | 'bf16-mixed' | '16-mixed';

const NAMES: readonly unknown[] = ['32-true', '32', 32, 'bf16-mixed', '16-mixed'];

/** @internal Checks a `precision` option value. */
export function precisionArg(v: unknown): Precision {
  if (!NAMES.includes(v))
    fail('INVALID_ARGUMENT', `Trainer: precision must be '32-true', 'bf16-mixed' or '16-mixed', got ${describe(v)}`);
  return v as Precision;
}

/** @internal What a step of the Trainer's loops does differently under a precision. */
export class PrecisionPlugin {
  private readonly amp: { device: AmpDevice; dtype: 'bfloat16' | 'float16' } | null;
  /** The loss scaler of '16-mixed'. */
  readonly scaler: GradScaler | null;

  constructor(precision: Precision, device: DeviceName) {
    const dev: AmpDevice = device === 'cpu' ? 'cpu' : 'cuda';
    this.amp =
      precision === 'bf16-mixed'
        ? { device: dev, dtype: 'bfloat16' }
        : precision === '16-mixed'
          ? { device: dev, dtype: 'float16' }
          : null;
    this.scaler = precision === '16-mixed' ? new GradScaler(dev) : null;
  }

  /** Runs a step (training, validation, test, predict) under the precision's autocast. */
  forward<T>(fn: () => T): T {
    return this.amp ? autocast(this.amp.device, fn, { dtype: this.amp.dtype }) : fn();
  }

  /** Backpropagates `loss` (scaled under '16-mixed'). */
  backward(loss: Tensor): void {
    if (this.scaler) this.scaler.scale(loss).backward();
    else loss.backward();
  }

  /** Makes the gradients true ones before they are clipped. */
  unscale(optimizers: readonly AnyOptimizer[]): void {
    if (this.scaler) for (const o of optimizers) this.scaler.unscale_(o);
  }

  /** Steps `optimizer` (skipped under '16-mixed' when a gradient is inf or NaN). */
  step(optimizer: AnyOptimizer): void {
    if (this.scaler) this.scaler.step(optimizer);
    else optimizer.step();
  }

  /** Ends an optimizer step: the scaler adjusts its scale. */
  update(): void {
    this.scaler?.update();
  }

  /** The scaler's state for a checkpoint (undefined without one). */
  stateDict(): GradScalerState | undefined {
    return this.scaler ? (this.scaler.stateDict() as GradScalerState) : undefined;
  }

  loadStateDict(state: unknown): void {
    if (this.scaler && state) this.scaler.loadStateDict(state as GradScalerState);
  }
}
