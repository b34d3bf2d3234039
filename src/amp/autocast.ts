// Automatic mixed precision (torch.autocast): inside a region, the ops of policy.ts run on casts of
// their float operands. It acts where every native op is called (dispatch.ts's caster), so a layer,
// a functional call and a plain matmul are treated alike. The casts are ordinary recorded ops:
// backward brings the gradient back to each operand in its own dtype (float32 weights get float32
// gradients). A float32 leaf that requires grad (a parameter) is cast once per region, as torch
// caches it, so a weight used at every step of a loop is not converted again each time.
import { binding, type Handle, type Operand } from '../binding.js';
import { fail } from '../errors.js';
import { keep } from '../memory.js';
import { setCaster, op, type OpCaster, type OpName } from '../ops/dispatch.js';
import { checkOptions, describe, fn as fnArg } from '../options.js';
import { handleMeta, type Tensor } from '../tensor.js';
import type { DType } from '../dtype.js';
import { policyOf, type AmpDevice } from './policy.js';

export type { AmpDevice };

/** The dtypes autocast can run ops in. */
export type AutocastDtype = 'bfloat16' | 'float16';

/** Options of `autocast`. */
export interface AutocastOptions {
  /** The lower precision (default: bfloat16 on 'cpu', float16 on 'cuda', as torch). */
  dtype?: AutocastDtype;
  /** false runs `fn` with autocast off for the device (torch's enabled=False). Default true. */
  enabled?: boolean;
  /**
   * Cast each parameter once per region (default true). A parameter updated in place inside the
   * region keeps its first cast until the region ends, as with torch: step optimizers outside it.
   */
  cacheEnabled?: boolean;
}

const DEFAULT_DTYPE: Record<AmpDevice, AutocastDtype> = { cpu: 'bfloat16', cuda: 'float16' };
const state: Record<AmpDevice, { enabled: boolean; dtype: AutocastDtype }> = {
  cpu: { enabled: false, dtype: DEFAULT_DTYPE.cpu },
  cuda: { enabled: false, dtype: DEFAULT_DTYPE.cuda },
};
let cacheEnabled = true;
let depth = 0; // autocast() regions open
const cache = new Map<Handle, Tensor>();

function deviceArg(op: string, d: unknown): AmpDevice {
  if (d !== 'cpu' && d !== 'cuda')
    fail('INVALID_ARGUMENT', `${op}: deviceType must be 'cpu' or 'cuda', got ${describe(d)}`);
  return d;
}

function dtypeArg(op: string, d: unknown): AutocastDtype {
  if (d !== 'bfloat16' && d !== 'float16')
    fail('INVALID_ARGUMENT', `${op}: dtype must be 'bfloat16' or 'float16', got ${describe(d)}`);
  return d;
}

// Per float dtype, how wide it is: promote casts to the widest (float16 with bfloat16 is float32).
const WIDTH: Partial<Record<DType, number>> = { float16: 1, bfloat16: 1, float32: 2, float64: 3 };

function castTo(h: Handle, to: DType, cacheable: boolean): { t: Tensor; temp: boolean } {
  if (cacheable) {
    const hit = cache.get(h);
    if (hit) return { t: hit, temp: false };
    if (binding.requiresGrad(h) && binding.gradFn(h) === null) {
      const t = keep(op('to_dtype', [to], h));
      cache.set(h, t);
      return { t, temp: false };
    }
  }
  return { t: op('to_dtype', [to], h), temp: true };
}

const autocaster: OpCaster = {
  cast(name: OpName, inputs: readonly (Operand | undefined)[]) {
    if (!policyOf('cpu', name) && !policyOf('cuda', name)) return null; // most ops: no metadata read
    const metas = inputs.map((x) => (typeof x === 'number' ? handleMeta(x) : null));
    const first = metas.find((m) => m !== null);
    if (!first) return null;
    const dev: AmpDevice = first.device === 'cpu' ? 'cpu' : 'cuda';
    const s = state[dev];
    if (!s.enabled) return null;
    const policy = policyOf(dev, name);
    if (!policy) return null;
    const isFloat = metas.map((m) => m !== null && WIDTH[m.dtype] !== undefined);
    let to: DType;
    let eligible = isFloat;
    if (policy === 'promote') {
      const floats = new Set(metas.filter((m, i) => isFloat[i]).map((m) => m!.dtype));
      if (floats.size < 2) return null;
      to = Math.max(...[...floats].map((d) => WIDTH[d]!)) === 3 ? 'float64' : 'float32';
    } else {
      to = policy === 'lower' ? s.dtype : 'float32';
      // float64 is left alone (as torch does), integers and bools too.
      eligible = metas.map((m, i) => isFloat[i] && m!.dtype !== 'float64');
    }
    if (!metas.some((m, i) => eligible[i] && m!.dtype !== to)) return null;
    // Only inside autocast(), whose end frees the cache (setAutocastEnabled has no end).
    const cacheable = policy === 'lower' && cacheEnabled && depth > 0 && binding.isGradEnabled();
    const temps: Tensor[] = [];
    const out: Operand[] = [];
    inputs.forEach((x, i) => {
      if (x === undefined) return;
      const m = metas[i];
      if (!eligible[i] || m!.dtype === to) return void out.push(x);
      const c = castTo(x as Handle, to, cacheable && m!.dtype === 'float32');
      if (c.temp) temps.push(c.t);
      out.push(c.t._h);
    });
    return { inputs: out, temps };
  },
};

function install(): void {
  setCaster(state.cpu.enabled || state.cuda.enabled ? autocaster : null);
}

function clearCache(): void {
  for (const t of cache.values()) t.dispose();
  cache.clear();
}

/**
 * Runs `fn` with automatic mixed precision on `deviceType`'s tensors (torch.autocast): matrix
 * products, linear layers, convolutions and attention run in `dtype` (bfloat16 on 'cpu', float16
 * on 'cuda', by default), ops that need the range (losses, linear algebra; on 'cuda' also exp,
 * log, softmax, sums) run in float32, and cat/stack promote mixed inputs; other ops run in their
 * inputs' dtype. float64 tensors are left alone. Gradients flow back through the casts, so float32
 * parameters get float32 gradients; call backward after the region, as with torch. `fn` must be
 * synchronous (use setAutocastEnabled around awaits).
 * @example
 * const loss = amp.autocast('cpu', () => lossFn(model.forward(x), y));
 * loss.backward();
 */
export function autocast<T>(deviceType: AmpDevice, fn: () => T, options?: AutocastOptions): T {
  const op = 'autocast';
  const dev = deviceArg(op, deviceType);
  fnArg(op, 'fn', fn);
  const o = checkOptions(op, options, { dtype: 'string', enabled: 'boolean', cacheEnabled: 'boolean' });
  const dtype = o.dtype === undefined ? state[dev].dtype : dtypeArg(op, o.dtype);
  const prev = { ...state[dev] };
  const prevCache = cacheEnabled;
  state[dev] = { enabled: o.enabled ?? true, dtype };
  cacheEnabled = o.cacheEnabled ?? true;
  depth++;
  install();
  let result: T;
  try {
    result = fn();
  } finally {
    state[dev] = prev;
    cacheEnabled = prevCache;
    if (--depth === 0) clearCache();
    install();
  }
  if (result instanceof Promise)
    fail(
      'INVALID_ARGUMENT',
      `${op}: fn must be synchronous (it returned a Promise); use setAutocastEnabled around awaits`,
    );
  return result;
}

/** Whether autocast is on for `deviceType` (torch.is_autocast_enabled). @example amp.isAutocastEnabled('cpu') */
export function isAutocastEnabled(deviceType: AmpDevice = 'cpu'): boolean {
  return state[deviceArg('isAutocastEnabled', deviceType)].enabled;
}

/**
 * Turns autocast on or off for `deviceType` and returns the previous setting (torch's
 * set_autocast_enabled), for code that awaits inside the region; prefer `autocast(fn)`. Casts
 * are not cached there (nothing would end the cache).
 * @example const prev = amp.setAutocastEnabled('cpu', true); try { await step(); } finally { amp.setAutocastEnabled('cpu', prev); }
 */
export function setAutocastEnabled(deviceType: AmpDevice, on: boolean): boolean {
  const dev = deviceArg('setAutocastEnabled', deviceType);
  if (typeof on !== 'boolean') fail('INVALID_ARGUMENT', `setAutocastEnabled: expected a boolean, got ${describe(on)}`);
  const prev = state[dev].enabled;
  state[dev].enabled = on;
  install();
  return prev;
}

/** The dtype autocast lowers to on `deviceType` (torch.get_autocast_dtype). @example amp.getAutocastDtype('cpu') // 'bfloat16' */
export function getAutocastDtype(deviceType: AmpDevice = 'cpu'): AutocastDtype {
  return state[deviceArg('getAutocastDtype', deviceType)].dtype;
}

/** Sets the dtype autocast lowers to on `deviceType` (torch.set_autocast_dtype). @example amp.setAutocastDtype('cpu', 'float16') */
export function setAutocastDtype(deviceType: AmpDevice, dtype: AutocastDtype): void {
  state[deviceArg('setAutocastDtype', deviceType)].dtype = dtypeArg('setAutocastDtype', dtype);
}
