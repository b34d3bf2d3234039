// torch.amp.GradScaler: loss scaling for float16 training. The loss is multiplied by a scale
// before backward so small float16 gradients do not flush to zero; before the optimizer step the
// gradients are divided back and checked, a step whose gradients overflowed is skipped, and the
// scale backs off; after growthInterval clean steps it grows again. The scale and the growth
// tracker are numbers here (torch keeps them as device tensors to avoid a sync; the finite check
// reads one flag back per optimizer either way).
import { noGrad } from '../autograd.js';
import { isAvailable as cudaAvailable } from '../cuda.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { Optimizer } from '../optim/optimizer.js';
import { checkOptions, describe } from '../options.js';
import { Tensor } from '../tensor.js';
import type { AmpDevice } from './policy.js';

/** Options of `GradScaler`, as torch's. */
export interface GradScalerOptions {
  /** The scale to start from (default 2^16). */
  initScale?: number;
  /** What the scale is multiplied by after growthInterval steps without inf/NaN (default 2). */
  growthFactor?: number;
  /** What the scale is multiplied by after a step with inf/NaN gradients (default 0.5). */
  backoffFactor?: number;
  /** Clean steps between growths (default 2000). */
  growthInterval?: number;
  /** false makes every method a pass-through (default true). */
  enabled?: boolean;
}

/** A GradScaler's state as `stateDict()` returns it (torch's keys, in camelCase). */
export interface GradScalerState {
  scale: number;
  growthFactor: number;
  backoffFactor: number;
  growthInterval: number;
  growthTracker: number;
}

// Per optimizer, in the current iteration: whether its gradients were unscaled, whether it
// stepped, and whether an unscaled gradient held inf or NaN.
interface Stage {
  unscaled: boolean;
  stepped: boolean;
  foundInf: boolean;
}

function positive(op: string, name: string, v: unknown, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > max)
    fail(
      'INVALID_ARGUMENT',
      `${op}: ${name} must be a finite number > 0${max < Infinity ? ` and <= ${max}` : ''}, got ${describe(v)}`,
    );
  return v;
}

/**
 * Scales the loss for float16 training and undoes it before the step (torch.amp.GradScaler):
 * `scale(loss).backward()`, then `step(optimizer)` (which unscales, and skips the step when a
 * gradient is inf or NaN), then `update()` once per iteration. Call `unscale_(optimizer)` first
 * to clip the true gradients.
 * @example
 * const scaler = new amp.GradScaler('cpu');
 * const loss = amp.autocast('cpu', () => lossFn(model.forward(x), y), { dtype: 'float16' });
 * scaler.scale(loss).backward();
 * scaler.unscale_(opt);
 * nn.utils.clipGradNorm_(model.parameters(), 1);
 * scaler.step(opt);
 * scaler.update();
 * opt.zeroGrad();
 */
export class GradScaler {
  /** The device kind of the tensors it scales (torch's `device`; informational here). */
  readonly device: AmpDevice;
  private scaleValue: number;
  private growthFactor: number;
  private backoffFactor: number;
  private growthInterval: number;
  private growthTracker = 0;
  private readonly enabled: boolean;
  private stages = new Map<Optimizer<object>, Stage>();

  constructor(device: AmpDevice = 'cuda', options?: GradScalerOptions) {
    const op = 'GradScaler';
    if (device !== 'cpu' && device !== 'cuda')
      fail('INVALID_ARGUMENT', `${op}: device must be 'cpu' or 'cuda', got ${describe(device)}`);
    this.device = device;
    const o = checkOptions(op, options, {
      initScale: 'number',
      growthFactor: 'number',
      backoffFactor: 'number',
      growthInterval: 'number',
      enabled: 'boolean',
    });
    this.scaleValue = positive(op, 'initScale', o.initScale ?? 2 ** 16);
    this.growthFactor = o.growthFactor ?? 2;
    if (!(this.growthFactor > 1) || !Number.isFinite(this.growthFactor))
      fail('INVALID_ARGUMENT', `${op}: growthFactor must be a finite number > 1, got ${describe(o.growthFactor)}`);
    this.backoffFactor = o.backoffFactor ?? 0.5;
    if (!(this.backoffFactor > 0 && this.backoffFactor < 1))
      fail('INVALID_ARGUMENT', `${op}: backoffFactor must be in (0, 1), got ${describe(o.backoffFactor)}`);
    this.growthInterval = o.growthInterval ?? 2000;
    if (!Number.isSafeInteger(this.growthInterval) || this.growthInterval < 1)
      fail('INVALID_ARGUMENT', `${op}: growthInterval must be a positive integer, got ${describe(o.growthInterval)}`);
    // torch disables a CUDA scaler, with a warning, where there is no GPU.
    this.enabled = (o.enabled ?? true) && (device === 'cpu' || cudaAvailable());
    if ((o.enabled ?? true) && !this.enabled)
      process.emitWarning('GradScaler: enabled for cuda, but CUDA is not available; disabling', 'AmpWarning');
  }

  /** Whether scaling is on. */
  isEnabled(): boolean {
    return this.enabled;
  }

  /**
   * `outputs` (a tensor, or an array of tensors) multiplied by the scale; unchanged when disabled.
   * @example scaler.scale(loss).backward()
   */
  scale<T extends Tensor | readonly Tensor[]>(outputs: T): T {
    const op = 'GradScaler.scale';
    const list = outputs instanceof Tensor ? [outputs] : outputs;
    if (!Array.isArray(list) || list.some((t) => !(t instanceof Tensor)))
      fail('INVALID_ARGUMENT', `${op}: expected a Tensor or an array of Tensors, got ${describe(outputs)}`);
    if (!this.enabled) return outputs;
    const scaled = (list as Tensor[]).map((t) => {
      if (!t.isFloatingPoint()) fail('DTYPE_MISMATCH', `${op}: outputs must be floating, got ${t.dtype}`);
      return t.mul(this.scaleValue);
    });
    return (outputs instanceof Tensor ? scaled[0] : scaled) as unknown as T;
  }

  private stageOf(optimizer: unknown, op: string): Stage {
    if (!(optimizer instanceof Optimizer))
      fail('INVALID_ARGUMENT', `${op}: expected an optimizer, got ${describe(optimizer)}`);
    let s = this.stages.get(optimizer as Optimizer<object>);
    if (!s) this.stages.set(optimizer as Optimizer<object>, (s = { unscaled: false, stepped: false, foundInf: false }));
    return s;
  }

  /**
   * Divides `optimizer`'s gradients by the scale, in place, and notes whether any is inf or NaN.
   * Call it before clipping gradients; at most once per optimizer between update()s.
   * @example scaler.unscale_(opt); nn.utils.clipGradNorm_(params, 1);
   */
  unscale_(optimizer: Optimizer<object>): void {
    const op = 'GradScaler.unscale_';
    const stage = this.stageOf(optimizer, op);
    if (!this.enabled) return;
    if (stage.unscaled)
      fail('INVALID_ARGUMENT', `${op}: unscale_() has already been called on this optimizer since the last update()`);
    if (stage.stepped) fail('INVALID_ARGUMENT', `${op}: unscale_() is being called after step()`);
    const inv = 1 / this.scaleValue;
    const grads = optimizer.paramGroups.flatMap((g) => g.params.map((p) => p.grad).filter((g) => g !== null));
    for (const g of grads)
      if (g.dtype === 'float16')
        fail(
          'DTYPE_MISMATCH',
          `${op}: attempting to unscale float16 gradients; keep the parameters in float32 and run the forward under amp.autocast`,
        );
    stage.foundInf = tidy(() => {
      let finite: Tensor | null = null;
      noGrad(() => {
        for (const g of grads) {
          g.mul_(inv);
          const ok = g.isfinite().all();
          finite = finite ? finite.logicalAnd(ok) : ok;
        }
      });
      return finite !== null && !(finite as Tensor).item();
    });
    for (const g of grads) g.dispose();
    stage.unscaled = true;
  }

  /**
   * Unscales `optimizer`'s gradients if unscale_ was not called, then runs `optimizer.step()`
   * unless a gradient was inf or NaN; returns what step returned (undefined when skipped). Once
   * per optimizer between update()s.
   * @example scaler.step(opt)
   */
  step(optimizer: Optimizer<object>): unknown {
    const op = 'GradScaler.step';
    const stage = this.stageOf(optimizer, op);
    if (!this.enabled) return optimizer.step();
    if (stage.stepped) fail('INVALID_ARGUMENT', `${op}: step() has already been called since the last update()`);
    if (!stage.unscaled) this.unscale_(optimizer);
    stage.stepped = true;
    return stage.foundInf ? undefined : optimizer.step();
  }

  /**
   * Ends the iteration: backs the scale off if an optimizer found inf/NaN gradients, else grows it
   * after growthInterval clean iterations; `newScale` sets it instead. Call after the step()s.
   * @example scaler.update()
   */
  update(newScale?: number): void {
    const op = 'GradScaler.update';
    if (!this.enabled) return;
    if (newScale !== undefined) {
      this.scaleValue = positive(op, 'newScale', newScale);
    } else {
      const stages = [...this.stages.values()].filter((s) => s.unscaled);
      if (stages.length === 0)
        fail(
          'INVALID_ARGUMENT',
          `${op}: no inf checks were recorded prior to update(); call step() (or unscale_()) first`,
        );
      if (stages.some((s) => s.foundInf)) {
        this.scaleValue *= this.backoffFactor;
        this.growthTracker = 0;
      } else if (++this.growthTracker === this.growthInterval) {
        const grown = this.scaleValue * this.growthFactor;
        if (Number.isFinite(grown)) this.scaleValue = grown;
        this.growthTracker = 0;
      }
    }
    this.stages = new Map();
  }

  /** The current scale (1 when disabled). @example scaler.getScale() // 65536 */
  getScale(): number {
    return this.enabled ? this.scaleValue : 1;
  }

  /** The state to save with a checkpoint (torch's state_dict; empty when disabled). */
  stateDict(): GradScalerState | Record<string, never> {
    if (!this.enabled) return {};
    return {
      scale: this.scaleValue,
      growthFactor: this.growthFactor,
      backoffFactor: this.backoffFactor,
      growthInterval: this.growthInterval,
      growthTracker: this.growthTracker,
    };
  }

  /** Restores a state from stateDict. @example scaler.loadStateDict(ckpt.scaler) */
  loadStateDict(state: GradScalerState): void {
    const op = 'GradScaler.loadStateDict';
    if (!this.enabled) return;
    if (state === null || typeof state !== 'object' || Object.keys(state).length === 0)
      fail('INVALID_ARGUMENT', `${op}: the state is empty or not an object (was it saved from a disabled GradScaler?)`);
    const s = checkOptions(op, state, {
      scale: 'number',
      growthFactor: 'number',
      backoffFactor: 'number',
      growthInterval: 'number',
      growthTracker: 'number',
    });
    this.scaleValue = positive(op, 'scale', s.scale);
    this.growthFactor = positive(op, 'growthFactor', s.growthFactor);
    this.backoffFactor = positive(op, 'backoffFactor', s.backoffFactor, 1);
    this.growthInterval = positive(op, 'growthInterval', s.growthInterval);
    const t = s.growthTracker;
    if (!Number.isSafeInteger(t) || (t as number) < 0)
      fail('INVALID_ARGUMENT', `${op}: growthTracker must be a non-negative integer, got ${describe(t)}`);
    this.growthTracker = t as number;
  }
}
