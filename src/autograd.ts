// Autograd controls: grad mode, autograd.grad / backward over several tensors, and gradcheck.
// The engine itself is native (native/src/autograd/); this file only marshals and validates.
/**
 * Autograd controls, as torch.autograd: `grad` (gradients of outputs with respect to chosen inputs, optionally
 * differentiable), `backward` over several tensors, `gradcheck` and `gradgradcheck`, and grad mode (`noGrad`,
 * `enableGrad`).
 *
 * @example
 * const [g] = autograd.grad(x.pow(3).sum(), [x]);
 * @module autograd
 */
import { tensorList } from './args.js';
import { recordFunction } from './profiler.js';
import { binding, type Handle } from './binding.js';
import { fail, messageOf } from './errors.js';
import { tidy } from './memory.js';
import { checkOptions, describe, fn as fnArg, isClass } from './options.js';
import { tensor } from './ops/creation.js';
import { setNodeTracing } from './ops/dispatch.js';
import { Tensor, wrap } from './tensor.js';

/** Whether ops record a graph for backward on this thread (true by default). */
export function isGradEnabled(): boolean {
  return binding.isGradEnabled();
}

/**
 * Turns recording on or off and returns the previous mode. Prefer `noGrad(fn)`, which restores
 * the mode; this form is for code that awaits (grad mode is per thread, not per async context).
 * @example const prev = setGradEnabled(false); try { await evaluate(); } finally { setGradEnabled(prev); }
 */
export function setGradEnabled(on: boolean): boolean {
  if (typeof on !== 'boolean') fail('INVALID_ARGUMENT', `setGradEnabled: expected a boolean, got ${describe(on)}`);
  return binding.setGradEnabled(on);
}

/** Options of anomaly detection. */
export interface AnomalyOptions {
  /** Check every gradient backward computes for NaN (default true). */
  checkNan?: boolean;
}
let anomaly = { enabled: false, checkNan: true };

/**
 * Turns anomaly detection on or off on this thread (torch.autograd.set_detect_anomaly). While on,
 * each op records where it was called (a cost: a stack trace per op), an error thrown while
 * backward differentiates an op names that call site, and with `checkNan` (default) backward
 * checks each gradient it computes and throws at the first NaN, naming the op that made it
 * (`MulBackward returned NaN values in its gradient for input 0`) and where that op was called.
 * For debugging: it slows every op and backward step.
 * @example autograd.setDetectAnomaly(true); loss.backward(); // a NaN gradient throws, naming its op
 */
export function setDetectAnomaly(on: boolean, options?: AnomalyOptions): void {
  const op = 'setDetectAnomaly';
  if (typeof on !== 'boolean') fail('INVALID_ARGUMENT', `${op}: expected a boolean, got ${describe(on)}`);
  const o = checkOptions(op, options, { checkNan: 'boolean' });
  anomaly = { enabled: on, checkNan: o.checkNan ?? true };
  binding.setAnomalyMode(anomaly.enabled, anomaly.checkNan);
  setNodeTracing(on);
}

/** Whether anomaly detection is on (torch.is_anomaly_enabled). */
export function isAnomalyEnabled(): boolean {
  return anomaly.enabled;
}

/** Whether anomaly detection checks gradients for NaN (torch.is_anomaly_check_nan_enabled). */
export function isAnomalyCheckNanEnabled(): boolean {
  return anomaly.checkNan;
}

/**
 * Runs `fn` with anomaly detection on (torch.autograd.detect_anomaly), restoring the previous
 * setting when it returns; `fn` must be synchronous (use setDetectAnomaly around awaits).
 * @example autograd.detectAnomaly(() => model.forward(x).sum().backward());
 */
export function detectAnomaly<T>(fn: () => T, options?: AnomalyOptions): T {
  if (typeof fn !== 'function' || isClass(fn))
    fail('INVALID_ARGUMENT', `detectAnomaly: expected a function, got ${describe(fn)}`);
  const prev = { ...anomaly };
  setDetectAnomaly(true, options);
  try {
    return fn();
  } finally {
    setDetectAnomaly(prev.enabled, { checkNan: prev.checkNan });
  }
}

function withMode<T>(on: boolean, fn: () => T, op: string): T {
  if (typeof fn !== 'function') fail('INVALID_ARGUMENT', `${op}: expected a function, got ${describe(fn)}`);
  const prev = binding.setGradEnabled(on);
  try {
    return fn();
  } catch (e) {
    // A class is typeof 'function' but cannot be called; checked only here, off the hot path.
    if (isClass(fn)) fnArg(op, 'fn', fn);
    throw e;
  } finally {
    binding.setGradEnabled(prev);
  }
}

/**
 * Runs `fn` without recording gradients (torch.no_grad): results do not require grad, and
 * in-place updates of parameters are allowed. `fn` must be synchronous: the mode is restored when
 * it returns, not when a promise it returns settles (use setGradEnabled around awaits).
 * @example noGrad(() => w.sub_(w.grad!.mul(0.1)));
 */
export function noGrad<T>(fn: () => T): T {
  return withMode(false, fn, 'noGrad');
}

let inference = false;

/**
 * Runs `fn` in inference mode (torch.inference_mode): no graph is recorded, as under noGrad, and
 * isInferenceModeEnabled() is true inside. torch also marks the tensors made there as inference
 * tensors that autograd later refuses; here they are ordinary tensors that do not require grad.
 * `mode` false runs `fn` unchanged (torch's inference_mode(False)). Synchronous only, as noGrad.
 * @example const logits = inferenceMode(() => model.forward(x));
 */
export function inferenceMode<T>(fn: () => T, mode = true): T {
  if (typeof mode !== 'boolean')
    fail('INVALID_ARGUMENT', `inferenceMode: mode must be a boolean, got ${describe(mode)}`);
  const prev = inference;
  inference = mode;
  try {
    return mode ? withMode(false, fn, 'inferenceMode') : withMode(binding.isGradEnabled(), fn, 'inferenceMode');
  } finally {
    inference = prev;
  }
}

/** Whether code runs inside inferenceMode (torch.is_inference_mode_enabled). */
export function isInferenceModeEnabled(): boolean {
  return inference;
}

/** Runs `fn` with recording on, inside a `noGrad` block (torch.enable_grad). */
export function enableGrad<T>(fn: () => T): T {
  return withMode(true, fn, 'enableGrad');
}

/** Options of `autograd.grad`. */
export interface GradOptions {
  /** d(output)/d(...) to start from, one per output (null: 1 for a one-element output). */
  gradOutputs?: readonly (Tensor | null)[] | null;
  /** Keep saved tensors for another backward. Default: createGraph. */
  retainGraph?: boolean;
  /** Record the backward, so the gradients are differentiable (second derivatives). */
  createGraph?: boolean;
  /** Return null for an input the outputs do not depend on, instead of throwing. */
  allowUnused?: boolean;
}

function handles(op: string, what: string, xs: Tensor | readonly (Tensor | null)[], nullable: true): (Handle | null)[];
function handles(op: string, what: string, xs: Tensor | readonly Tensor[], nullable?: false): Handle[];
function handles(
  op: string,
  what: string,
  xs: Tensor | readonly (Tensor | null)[],
  nullable = false,
): (Handle | null)[] {
  const list = xs instanceof Tensor ? [xs] : xs;
  if (!Array.isArray(list))
    fail('INVALID_ARGUMENT', `${op}: '${what}' must be a Tensor or an array of tensors, got ${describe(xs)}`);
  return list.map((x, i) => {
    if (x === null && nullable) return null;
    if (!(x instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: ${what}[${i}] is not a Tensor, got ${describe(x)}`);
    return x._h;
  });
}

const GRAD_OPTS = {
  gradOutputs: 'any',
  retainGraph: 'boolean',
  createGraph: 'boolean',
  allowUnused: 'boolean',
} as const;

/**
 * The gradients of `outputs` with respect to `inputs` (torch.autograd.grad), without touching
 * any `.grad`. With `createGraph` the results are themselves differentiable.
 * @example const [dx] = grad(x.pow(3).sum(), [x], { createGraph: true }); // 3x^2
 */
export function grad(
  outputs: Tensor | readonly Tensor[],
  inputs: Tensor | readonly Tensor[],
  options?: GradOptions,
): (Tensor | null)[] {
  const o = checkOptions('grad', options, GRAD_OPTS);
  const outs = handles('grad', 'outputs', outputs);
  const ins = handles('grad', 'inputs', inputs);
  const gos = o.gradOutputs == null ? [] : handles('grad', 'gradOutputs', o.gradOutputs, true);
  const create = o.createGraph ?? false;
  const hs = recordFunction('autograd::grad', () =>
    binding.autogradGrad(outs, ins, gos, o.retainGraph ?? create, create, o.allowUnused ?? false),
  );
  return hs.map((h) => {
    if (h === null) return null;
    binding.describe(h);
    return wrap(h);
  });
}

/**
 * Backward from several tensors at once (torch.autograd.backward): sums into the leaves' `.grad`.
 * @example backward([loss1, loss2]);
 */
export function backward(
  tensors: Tensor | readonly Tensor[],
  gradTensors?: readonly (Tensor | null)[] | null,
  options?: { retainGraph?: boolean; createGraph?: boolean },
): void {
  const o = checkOptions('backward', options, { retainGraph: 'boolean', createGraph: 'boolean' });
  const roots = handles('backward', 'tensors', tensors);
  const gs = gradTensors == null ? [] : handles('backward', 'gradTensors', gradTensors, true);
  binding.backward(roots, gs, o.retainGraph ?? o.createGraph ?? false, o.createGraph ?? false);
}

// ---- gradcheck ---------------------------------------------------------------------------------

/** Options of `gradcheck` and `gradgradcheck`: tolerances and the finite-difference step. */
export interface GradcheckOptions {
  /** Finite-difference step. Default 1e-6. */
  eps?: number;
  /** Absolute tolerance. Default 1e-5. */
  atol?: number;
  /** Relative tolerance. Default 1e-3. */
  rtol?: number;
  /** Throw a GradcheckError describing the first mismatch (default), or return false. */
  raiseException?: boolean;
}

/** Thrown by gradcheck when the analytic and numerical Jacobians differ. */
export class GradcheckError extends Error {
  override name = 'GradcheckError';
  constructor(message?: string) {
    super(messageOf(message));
  }
}

/** A function of tensors that `gradcheck` differentiates: tensors in, a tensor or tensors out. */
export type Fn = (...xs: Tensor[]) => Tensor | readonly Tensor[];

function outputsOf(r: Tensor | readonly Tensor[], op: string): Tensor[] {
  const list = r instanceof Tensor ? [r] : r;
  if (!Array.isArray(list) || list.some((t) => !(t instanceof Tensor)))
    fail('INVALID_ARGUMENT', `${op}: fn must return a Tensor or an array of tensors, got ${describe(r)}`);
  return list as Tensor[];
}

function values(t: Tensor): number[] {
  return Array.from(t.data() as Float64Array, Number);
}

/**
 * Checks the gradients autograd computes for `fn` against float64 central differences
 * (torch.autograd.gradcheck). Inputs with `requiresGrad` are checked and must be float64; each
 * output element's gradient row is compared with (f(x + eps) - f(x - eps)) / 2 eps per input
 * element. Returns true, or throws a GradcheckError naming the input, element and both values.
 * @example gradcheck((x) => x.pow(3).sum(), [randn([3], { dtype: 'float64' }).requiresGrad_()]);
 */
export function gradcheck(fn: Fn, inputs: readonly Tensor[], options?: GradcheckOptions): boolean {
  const o = checkOptions('gradcheck', options, {
    eps: 'number',
    atol: 'number',
    rtol: 'number',
    raiseException: 'boolean',
  });
  const eps = o.eps ?? 1e-6,
    atol = o.atol ?? 1e-5,
    rtol = o.rtol ?? 1e-3;
  fnArg('gradcheck', 'fn', fn);
  tensorList('gradcheck', 'inputs', inputs);
  const wrt = inputs.map((x, i) => [x, i] as const).filter(([x]) => x.requiresGrad);
  if (wrt.length === 0) fail('INVALID_ARGUMENT', 'gradcheck: no input requires grad');
  for (const [x, i] of wrt)
    if (x.dtype !== 'float64')
      fail('DTYPE_MISMATCH', `gradcheck: input ${i} is ${x.dtype}; finite differences need float64 inputs`);

  const mismatch = tidy(() => {
    // Analytic Jacobian: one backward per output element, through the inputs as given (strided
    // and broadcast layouts included).
    const outs = outputsOf(fn(...inputs), 'gradcheck');
    const analytic: number[][][] = wrt.map(() => []); // [input][output element][input element]
    for (const out of outs) {
      if (out.dtype !== 'float64') fail('DTYPE_MISMATCH', `gradcheck: outputs must be float64, got ${out.dtype}`);
      const n = out.numel();
      for (let j = 0; j < n; j++) {
        const onehot = new Float64Array(n);
        onehot[j] = 1;
        const g = tensor(onehot, { dtype: 'float64', shape: out.shape });
        const gs = out.requiresGrad
          ? grad(
              [out],
              wrt.map(([x]) => x),
              { gradOutputs: [g], retainGraph: true, allowUnused: true },
            )
          : wrt.map(() => null);
        wrt.forEach(([x], k) => analytic[k].push(gs[k] ? values(gs[k]) : new Array(x.numel()).fill(0)));
      }
    }
    // Numerical Jacobian: perturb one element of a contiguous copy at a time. Grad mode stays
    // on, since fn may itself take gradients (gradgradcheck).
    const evalAt = (i: number, idx: number, delta: number): number[] =>
      tidy(() => {
        const x = inputs[i];
        const v = Float64Array.from(values(x));
        v[idx] += delta;
        const xp = tensor(v, { dtype: 'float64', shape: x.shape }).requiresGrad_(x.requiresGrad);
        return outputsOf(fn(...inputs.map((y, j) => (j === i ? xp : y))), 'gradcheck').flatMap(values);
      });
    for (let k = 0; k < wrt.length; k++) {
      const [x, i] = wrt[k];
      for (let e = 0; e < x.numel(); e++) {
        const plus = evalAt(i, e, eps),
          minus = evalAt(i, e, -eps);
        for (let j = 0; j < plus.length; j++) {
          const num = (plus[j] - minus[j]) / (2 * eps);
          const ana = analytic[k][j][e];
          if (!(Math.abs(ana - num) <= atol + rtol * Math.abs(num)))
            return `gradcheck: Jacobian mismatch for output element ${j} with respect to input ${i}, element ${e}: analytic ${ana}, numerical ${num} (atol ${atol}, rtol ${rtol})`;
        }
      }
    }
    return null;
  });
  if (mismatch === null) return true;
  if (o.raiseException === false) return false;
  throw new GradcheckError(mismatch);
}

/**
 * gradcheck of the gradients themselves: checks second derivatives of `fn` by running gradcheck
 * on `x => grad(fn(x), x, { createGraph: true })` with fixed random output gradients.
 * @example gradgradcheck((x) => x.pow(3).sum(), [x]);
 */
export function gradgradcheck(fn: Fn, inputs: readonly Tensor[], options?: GradcheckOptions): boolean {
  fnArg('gradgradcheck', 'fn', fn);
  tensorList('gradgradcheck', 'inputs', inputs);
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  let gradOutputs: Tensor[] | undefined;
  try {
    return gradcheck(
      (...xs) => {
        const outs = outputsOf(fn(...xs), 'gradgradcheck');
        gradOutputs ??= outs.map((t) =>
          tensor(Float64Array.from({ length: t.numel() }, rnd), { dtype: 'float64', shape: t.shape }),
        );
        const wrt = xs.filter((x) => x.requiresGrad);
        const gs = grad(outs, wrt, { gradOutputs, createGraph: true, allowUnused: true });
        return gs.map((g, i) => g ?? wrt[i].mul(0));
      },
      inputs,
      options,
    );
  } finally {
    gradOutputs?.forEach((t) => t.dispose());
  }
}

export { CustomFunction as Function, FunctionCtx } from './autograd_function.js';
/** torch.autograd.functional: vjp, jvp, jacobian, hessian, vhp, hvp. */
export * as functional from './autograd_functional.js';
/** torch.autograd.forward_ad: dualLevel, makeDual, unpackDual. */
export * as forwardAd from './autograd_forward.js';
