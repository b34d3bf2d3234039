// Attribution methods with Captum's semantics and defaults, on the autograd engine: gradients of
// a selected output for a batch of inputs (saliency, input x gradient, integrated gradients,
// gradient SHAP, noise tunnel) and perturbation (occlusion, feature ablation). Every method takes
// one input tensor whose first dim is the batch, and returns attributions of the input's shape.
import { grad as autogradGrad, noGrad } from '../autograd.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { Module } from '../nn/module.js';
import { full, rand, randint, randn, tensor, zeros } from '../ops/creation.js';
import { cat } from '../ops/functional.js';
import { checkOptions, describe, int, isClass, num, oneOf } from '../options.js';
import { Tensor } from '../tensor.js';

/** A model or a function of the input batch to outputs [N] or [N, C, ...]. */
export type ForwardFn = Module | ((input: Tensor) => Tensor);
/**
 * Which output to explain: a class index for every sample, one index per sample (array or int
 * tensor [N]), or a function of the output giving one value per sample ([N]). Ignored (may be
 * omitted) when the output is already [N].
 */
export type Target = number | readonly number[] | Tensor | ((output: Tensor) => Tensor) | undefined;

/** Options shared by every method. */
export interface TargetOptions {
  target?: Target;
}

export function runForward(f: ForwardFn, x: Tensor, op: string): Tensor {
  if (!(f instanceof Module) && (typeof f !== 'function' || /^class\b/.test(Function.prototype.toString.call(f))))
    fail('INVALID_ARGUMENT', `${op}: the model must be an nn.Module or a function of the input, got ${describe(f)}`);
  const out = f instanceof Module ? (f.call(x) as unknown) : typeof f === 'function' ? f(x) : undefined;
  if (!(out instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: the model must return a Tensor, got ${describe(out)}`);
  return out;
}

// The selected output per sample [N] for an output of n rows (the target repeated when the batch
// was tiled `reps` times, as Captum expands it with the inputs).
export function selectTarget(out: Tensor, target: Target, reps: number, op: string): Tensor {
  const n = out.shape[0] ?? 0;
  if (typeof target === 'function') {
    const s = target(out);
    if (!(s instanceof Tensor) || s.ndim !== 1 || s.shape[0] !== n)
      fail('INVALID_ARGUMENT', `${op}: a target function must return one value per sample [${n}], got ${describe(s)}`);
    return s;
  }
  if (out.ndim === 1) return out;
  if (target === undefined)
    fail('INVALID_ARGUMENT', `${op}: the output is [${out.shape.join(', ')}]: give a target (class index)`);
  const flat = out.reshape([n, -1]);
  const width = flat.shape[1] as number;
  let idx: number[];
  if (typeof target === 'number') idx = new Array(n).fill(int(op, 'target', target));
  else {
    const per =
      target instanceof Tensor
        ? (Array.from(target.data() as ArrayLike<number | bigint>, Number) as number[])
        : [...target];
    if (per.length * reps !== n)
      fail('SHAPE_MISMATCH', `${op}: expected ${n / reps} targets (one per sample), got ${per.length}`);
    idx = Array.from({ length: n }, (_, i) => per[i % per.length] as number);
  }
  for (const t of idx)
    if (!Number.isSafeInteger(t) || t < 0 || t >= width)
      fail('INDEX_OUT_OF_RANGE', `${op}: target ${describe(t)} is out of range for ${width} outputs`);
  return flat.gather(1, tensor(idx, { dtype: 'int64' }).reshape([n, 1])).reshape([n]);
}

/** The gradient of the selected outputs with respect to x (a batch), and those outputs. */
export function gradients(f: ForwardFn, x: Tensor, target: Target, reps: number, op: string): [Tensor, Tensor] {
  return tidy(() => {
    const xr = x.detach().requiresGrad_(true);
    const sel = selectTarget(runForward(f, xr, op), target, reps, op);
    const [g] = autogradGrad(sel.sum(), xr, { allowUnused: true });
    return [g ?? zeros(x.shape, { dtype: x.dtype as never }), sel.detach()] as [Tensor, Tensor];
  });
}

// Evaluates the selected outputs without recording gradients.
export function evaluate(f: ForwardFn, x: Tensor, target: Target, reps: number, op: string): Tensor {
  return noGrad(() => tidy(() => selectTarget(runForward(f, x, op), target, reps, op)));
}

function checkInput(op: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: inputs must be a Tensor, got ${describe(x)}`);
  if (x.ndim < 1) fail('SHAPE_MISMATCH', `${op}: inputs need a batch dim, got a 0-dim tensor`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64')
    fail('DTYPE_MISMATCH', `${op}: inputs must be float32 or float64, got ${x.dtype}`);
  return x;
}

// A baseline as a tensor broadcastable to x (a number, or a tensor of x's shape, of x's shape
// without the batch dim, or with batch 1).
function baselineOf(op: string, x: Tensor, b: unknown): Tensor {
  if (b === undefined || b === null) return zeros([1, ...x.shape.slice(1)], { dtype: x.dtype as never });
  if (typeof b === 'number')
    return full([1, ...x.shape.slice(1)], num(op, 'baselines', b), { dtype: x.dtype as never });
  if (!(b instanceof Tensor))
    fail('INVALID_ARGUMENT', `${op}: baselines must be a number or a Tensor, got ${describe(b)}`);
  const s = b.ndim === x.ndim - 1 ? [1, ...b.shape] : b.shape;
  if (s.length !== x.ndim || s.some((d, i) => d !== x.shape[i] && !(i === 0 && d === 1)))
    fail('SHAPE_MISMATCH', `${op}: baselines [${b.shape.join(', ')}] do not match inputs [${x.shape.join(', ')}]`);
  return b.to(x.dtype).reshape(s);
}

// Sum over every dim but the batch: [N].
const perSample = (t: Tensor) => (t.ndim === 1 ? t : t.reshape([t.shape[0] as number, -1]).sum(1));

/** Options of saliency. */
export interface SaliencyOptions extends TargetOptions {
  /** Absolute gradients (default true, as Captum). */
  abs?: boolean;
}

/** Saliency: the gradient of the target at the input, absolute by default. @example explain.saliency(model, x, { target: 0 }) */
export function saliency(f: ForwardFn, inputs: Tensor, options: SaliencyOptions = {}): Tensor {
  const op = 'explain.saliency';
  const o = checkOptions(op, options, { target: 'any', abs: 'boolean' });
  const x = checkInput(op, inputs);
  return tidy(() => {
    const [g] = gradients(f, x, o.target as Target, 1, op);
    return o.abs === false ? g : g.abs();
  });
}

/** Input x gradient. @example explain.inputXGradient(model, x, { target: 0 }) */
export function inputXGradient(f: ForwardFn, inputs: Tensor, options: TargetOptions = {}): Tensor {
  const op = 'explain.inputXGradient';
  const o = checkOptions(op, options, { target: 'any' });
  const x = checkInput(op, inputs);
  return tidy(() => gradients(f, x, o.target as Target, 1, op)[0].mul(x));
}

/** Integration rules of integratedGradients (Captum's names). */
export type IntegrationMethod =
  'gausslegendre' | 'riemann_left' | 'riemann_right' | 'riemann_middle' | 'riemann_trapezoid';

/**
 * Nodes in (0, 1) and step sizes of an n-point rule, as Captum's approximation_methods: Gauss-
 * Legendre on [0, 1]; Riemann sums with steps 1/n (the trapezoid halves the first and last, so its
 * steps sum to 1 - 1/n: Captum's convention, kept so results match it).
 */
export function integrationRule(method: IntegrationMethod, n: number): { alphas: number[]; steps: number[] } {
  oneOf('integrationRule', 'method', method, [
    'gausslegendre',
    'riemann_left',
    'riemann_right',
    'riemann_middle',
    'riemann_trapezoid',
  ] as const);
  if (!Number.isSafeInteger(n) || n < 1 || n > 1e6)
    fail('INVALID_ARGUMENT', `integrationRule: n must be an integer in [1, 1e6], got ${describe(n)}`);
  if (method === 'gausslegendre') {
    const [x, w] = legendreGauss(n);
    return { alphas: x.map((v) => 0.5 * (1 + v)), steps: w.map((v) => 0.5 * v) };
  }
  if (n < 2) fail('INVALID_ARGUMENT', `integratedGradients: Riemann rules need nSteps >= 2, got ${n}`);
  const steps = new Array(n).fill(1 / n);
  const lin = (a: number, b: number) => Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
  switch (method) {
    case 'riemann_trapezoid':
      steps[0] /= 2;
      steps[n - 1] /= 2;
      return { alphas: lin(0, 1), steps };
    case 'riemann_left':
      return { alphas: lin(0, 1 - 1 / n), steps };
    case 'riemann_middle':
      return { alphas: lin(1 / (2 * n), 1 - 1 / (2 * n)), steps };
    default:
      return { alphas: lin(1 / n, 1), steps };
  }
}

// Nodes (ascending, in [-1, 1]) and weights of n-point Gauss-Legendre quadrature: Newton's method
// on P_n from Chebyshev guesses, as numpy's leggauss, to double precision.
function legendreGauss(n: number): [number[], number[]] {
  const x = new Array<number>(n),
    w = new Array<number>(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1,
        p1 = z;
      for (let k = 2; k <= n; k++) [p0, p1] = [p1, ((2 * k - 1) * z * p1 - (k - 1) * p0) / k];
      if (n === 1) p1 = z;
      dp = (n * (z * p1 - (n === 1 ? 1 : p0))) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-16) break;
    }
    let p0 = 1,
      p1 = z;
    for (let k = 2; k <= n; k++) [p0, p1] = [p1, ((2 * k - 1) * z * p1 - (k - 1) * p0) / k];
    dp = n === 1 ? 1 : (n * (z * p1 - p0)) / (z * z - 1);
    x[i] = -z;
    x[n - 1 - i] = z;
    w[i] = w[n - 1 - i] = 2 / ((1 - z * z) * dp * dp);
  }
  return [x, w];
}

/** Options of integratedGradients. */
export interface IntegratedGradientsOptions extends TargetOptions {
  /** A number, or a tensor of the inputs' shape (or one sample's): default zeros. */
  baselines?: number | Tensor;
  nSteps?: number;
  method?: IntegrationMethod;
  /** At most this many scaled inputs per forward/backward (bounds memory; default all at once). */
  internalBatchSize?: number;
  /** Also return sum(attributions) - (f(x) - f(baseline)) per sample. */
  returnConvergenceDelta?: boolean;
}

/**
 * Integrated gradients (Sundararajan et al. 2017), as Captum's IntegratedGradients:
 * (x - baseline) * the integral of the gradient along the straight path, by `method` with `nSteps`
 * (default gausslegendre, 50).
 * @example const { attributions, delta } = explain.integratedGradients(model, x, { target: 0, returnConvergenceDelta: true })
 */
export function integratedGradients(
  f: ForwardFn,
  inputs: Tensor,
  options: IntegratedGradientsOptions & { returnConvergenceDelta: true },
): { attributions: Tensor; delta: Tensor };
export function integratedGradients(f: ForwardFn, inputs: Tensor, options?: IntegratedGradientsOptions): Tensor;
export function integratedGradients(
  f: ForwardFn,
  inputs: Tensor,
  options: IntegratedGradientsOptions = {},
): Tensor | { attributions: Tensor; delta: Tensor } {
  const op = 'explain.integratedGradients';
  const o = checkOptions(op, options, {
    target: 'any',
    baselines: 'any',
    nSteps: 'integer',
    method: 'string',
    internalBatchSize: 'integer',
    returnConvergenceDelta: 'boolean',
  });
  const x = checkInput(op, inputs);
  const n = o.nSteps ?? 50;
  if (n < 1) fail('INVALID_ARGUMENT', `${op}: nSteps must be >= 1, got ${n}`);
  const method = oneOf(op, 'method', o.method ?? 'gausslegendre', [
    'gausslegendre',
    'riemann_left',
    'riemann_right',
    'riemann_middle',
    'riemann_trapezoid',
  ] as const);
  const { alphas, steps } = integrationRule(method, n);
  const N = x.shape[0] as number;
  const chunk = internalBatch(op, o.internalBatchSize, N, n);
  return tidy(() => {
    const base = baselineOf(op, x, o.baselines);
    const diff = x.sub(base);
    // Captum's order: all samples at alpha_0, then alpha_1, ...; chunks of whole alphas.
    // Accumulated in place: one chunk's tensors at a time are alive.
    const total: Tensor = zeros(x.shape, { dtype: x.dtype as never });
    for (let a0 = 0; a0 < n; a0 += chunk) {
      const a1 = Math.min(n, a0 + chunk);
      tidy(() => {
        const scaled = noGrad(() =>
          cat(
            alphas.slice(a0, a1).map((a) => base.add(diff.mul(a))),
            0,
          ),
        );
        const [g] = gradients(f, scaled, o.target as Target, a1 - a0, op);
        const w = tensor(steps.slice(a0, a1), { dtype: x.dtype as never }).reshape([a1 - a0, ...x.shape.map(() => 1)]);
        const sum = g
          .reshape([a1 - a0, ...x.shape])
          .mul(w)
          .sum(0);
        total.add_(sum);
      });
    }
    const attributions = total.mul(diff);
    if (!o.returnConvergenceDelta) return attributions;
    return { attributions, delta: convergenceDelta(f, x, base, attributions, o.target as Target, op) };
  });
}

function internalBatch(op: string, v: number | undefined, N: number, n: number): number {
  if (v === undefined) return n;
  if (v < 1) fail('INVALID_ARGUMENT', `${op}: internalBatchSize must be >= 1, got ${v}`);
  // Whole alphas per chunk: at least one, as Captum.
  return Math.max(1, Math.floor(v / N));
}

function convergenceDelta(f: ForwardFn, x: Tensor, base: Tensor, attr: Tensor, target: Target, op: string): Tensor {
  return tidy(() => {
    const fx = evaluate(f, x, target, 1, op);
    const fb = evaluate(f, base.expand(x.shape).contiguous(), target, 1, op);
    return perSample(attr).sub(fx.sub(fb));
  });
}

/** Types of noiseTunnel. */
export type NoiseTunnelType = 'smoothgrad' | 'smoothgrad_sq' | 'vargrad';
/** noiseTunnel's own options; the rest go to the method. */
export interface NoiseTunnelOptions {
  type?: NoiseTunnelType;
  nSamples?: number;
  stdevs?: number;
  /** Noisy copies of the batch per call of the method (Captum's nt_samples_batch_size; default all). */
  ntSamplesBatchSize?: number;
  /** The wrapped method's options (target, abs, baselines, ...). */
  [option: string]: unknown;
}
/** An attribution method noiseTunnel can wrap. */
export type AttributionMethod<O> = (f: ForwardFn, inputs: Tensor, options: O) => Tensor;

/**
 * Noise tunnel (SmoothGrad, SmoothGrad^2, VarGrad), as Captum's NoiseTunnel: the method on
 * `nSamples` (default 5) copies of each input with N(0, stdevs^2) noise added (default 1.0), then
 * the mean (of squares) or the variance over the copies. Method options pass through.
 * @example explain.noiseTunnel(explain.saliency, model, x, { type: 'smoothgrad', nSamples: 10, stdevs: 0.1, target: 0 })
 */
export function noiseTunnel<O extends TargetOptions>(
  method: AttributionMethod<O>,
  f: ForwardFn,
  inputs: Tensor,
  options: O & NoiseTunnelOptions,
): Tensor {
  const op = 'explain.noiseTunnel';
  if (typeof method !== 'function' || isClass(method))
    fail('INVALID_ARGUMENT', `${op}: method must be an attribution function, got ${describe(method)}`);
  const x = checkInput(op, inputs);
  const { type, nSamples, stdevs, ntSamplesBatchSize, ...rest } = options ?? ({} as never);
  const kind = oneOf(op, 'type', type ?? 'smoothgrad', ['smoothgrad', 'smoothgrad_sq', 'vargrad'] as const);
  const S = int(op, 'nSamples', nSamples ?? 5);
  if (S < 1) fail('INVALID_ARGUMENT', `${op}: nSamples must be >= 1, got ${S}`);
  const sd = num(op, 'stdevs', stdevs ?? 1);
  const N = x.shape[0] as number;
  const tgt = (rest as TargetOptions).target;
  return tidy(() => {
    const noisy = noisyCopies(x, S, sd);
    const per = chunkBy(op, ntSamplesBatchSize, S);
    const a = byCopies(S, per, (s0, s1) => {
      const opts = { ...rest, target: expandTarget(tgt, s1 - s0) } as unknown as O;
      return method(f, noisy.narrow(0, s0 * N, (s1 - s0) * N), opts);
    }).reshape([S, N, ...x.shape.slice(1)]);
    if (kind === 'smoothgrad') return a.mean(0);
    const sq = a.mul(a).mean(0);
    if (kind === 'smoothgrad_sq') return sq;
    const m = a.mean(0);
    return sq.sub(m.mul(m));
  });
}

// S copies of the batch stacked sample-major (copy s of input i at row s * N + i, so a per-sample
// target repeats), each with N(0, sd^2) noise added.
function noisyCopies(x: Tensor, S: number, sd: number): Tensor {
  return noGrad(() => {
    const rep = cat(
      Array.from({ length: S }, () => x),
      0,
    );
    return sd === 0 ? rep : rep.add(randn(rep.shape, { dtype: x.dtype as never }).mul(sd));
  });
}

// Copies of the batch per pass: `v` (default all S), checked.
function chunkBy(op: string, v: unknown, S: number): number {
  if (v === undefined) return S;
  const k = int(op, 'batch size', v);
  if (k < 1) fail('INVALID_ARGUMENT', `${op}: the batch size must be >= 1, got ${k}`);
  return k;
}

// fn over copies [s0, s1) of the batch, `per` copies at a time, concatenated along the rows.
function byCopies(S: number, per: number, fn: (s0: number, s1: number) => Tensor): Tensor {
  if (per >= S) return fn(0, S);
  const parts: Tensor[] = [];
  for (let s0 = 0; s0 < S; s0 += per) parts.push(fn(s0, Math.min(S, s0 + per)));
  return cat(parts, 0);
}

// A per-sample target repeated for S tiled copies of the batch.
function expandTarget(t: Target, S: number): Target {
  if (t === undefined || typeof t === 'number' || typeof t === 'function') return t;
  const per = t instanceof Tensor ? (Array.from(t.data() as ArrayLike<number | bigint>, Number) as number[]) : [...t];
  return Array.from({ length: S }, () => per).flat();
}

/** Options of gradientShap. */
export interface GradientShapOptions extends TargetOptions {
  /** The baseline distribution [K, ...sample shape] (required, as in Captum). */
  baselines: Tensor;
  nSamples?: number;
  stdevs?: number;
  /** At most this many rows (whole copies of the batch) per forward/backward (default all). */
  internalBatchSize?: number;
}

/**
 * Gradient SHAP, as Captum's GradientShap: per input, `nSamples` (default 5) draws of a baseline
 * from the distribution, a point on the path at alpha ~ U(0, 1) and optional N(0, stdevs^2) noise
 * on the input (default 0); the mean of gradient(point) * (input - baseline).
 * @example explain.gradientShap(model, x, { baselines: background, nSamples: 20, target: 1 })
 */
export function gradientShap(f: ForwardFn, inputs: Tensor, options: GradientShapOptions): Tensor {
  const op = 'explain.gradientShap';
  const o = checkOptions(op, options, {
    target: 'any',
    baselines: 'any',
    nSamples: 'integer',
    stdevs: 'number',
    internalBatchSize: 'integer',
  });
  const x = checkInput(op, inputs);
  const dist = o.baselines;
  if (!(dist instanceof Tensor) || dist.ndim !== x.ndim || dist.shape.slice(1).join() !== x.shape.slice(1).join())
    fail(
      'SHAPE_MISMATCH',
      `${op}: baselines must be a distribution [K, ${x.shape.slice(1).join(', ')}], got ${describe(dist)}`,
    );
  const S = o.nSamples ?? 5;
  if (S < 1) fail('INVALID_ARGUMENT', `${op}: nSamples must be >= 1, got ${S}`);
  const sd = o.stdevs ?? 0;
  const N = x.shape[0] as number;
  return tidy(() => {
    const [pts, diff] = noGrad(() => {
      const noisy = noisyCopies(x, S, sd);
      const pick = randint(0, dist.shape[0] as number, [S * N]);
      const base = dist.to(x.dtype).indexSelect(0, pick);
      const alpha = rand([S * N], { dtype: x.dtype as never }).reshape([S * N, ...x.shape.slice(1).map(() => 1)]);
      const d = noisy.sub(base);
      return [base.add(d.mul(alpha)), d];
    });
    const g = byCopies(
      S,
      internalBatch(op, o.internalBatchSize, N, S),
      (s0, s1) => gradients(f, pts.narrow(0, s0 * N, (s1 - s0) * N), o.target as Target, s1 - s0, op)[0],
    );
    return g
      .mul(diff)
      .reshape([S, N, ...x.shape.slice(1)])
      .mean(0);
  });
}

/** Options of occlusion. */
export interface OcclusionOptions extends TargetOptions {
  /** The window, one size per non-batch dim (e.g. [1, 4, 4] for [N, 1, H, W] images). */
  windowShape: readonly number[];
  /** One stride for all dims or one per dim (default 1). */
  strides?: number | readonly number[];
  /** The value windows are replaced with: a number or a tensor as integratedGradients' (default 0). */
  baselines?: number | Tensor;
  /** Windows evaluated per forward (default 1; more is faster and uses more memory). */
  perturbationsPerEval?: number;
}

/**
 * Occlusion (Zeiler and Fergus 2014), as Captum's Occlusion: each window position is replaced by
 * the baseline; every element gets the mean over the windows covering it of f(x) - f(occluded).
 * @example explain.occlusion(model, img, { windowShape: [1, 4, 4], strides: 2, target: 3, perturbationsPerEval: 64 })
 */
export function occlusion(f: ForwardFn, inputs: Tensor, options: OcclusionOptions): Tensor {
  const op = 'explain.occlusion';
  const o = checkOptions(op, options, {
    target: 'any',
    windowShape: 'any',
    strides: 'any',
    baselines: 'any',
    perturbationsPerEval: 'integer',
  });
  const x = checkInput(op, inputs);
  const dims = x.shape.slice(1);
  const win = o.windowShape;
  if (
    !Array.isArray(win) ||
    win.length !== dims.length ||
    win.some((w, i) => !Number.isSafeInteger(w) || w < 1 || w > (dims[i] as number))
  )
    fail(
      'INVALID_ARGUMENT',
      `${op}: windowShape must be ${dims.length} sizes within [${dims.join(', ')}], got ${describe(win)}`,
    );
  const st =
    typeof o.strides === 'number' || o.strides === undefined
      ? dims.map(() => (o.strides as number | undefined) ?? 1)
      : [...o.strides];
  if (st.length !== dims.length || st.some((s) => !Number.isSafeInteger(s) || s < 1))
    fail(
      'INVALID_ARGUMENT',
      `${op}: strides must be a positive integer or ${dims.length} of them, got ${describe(o.strides)}`,
    );
  const counts = dims.map((d, i) => Math.floor((d - (win[i] as number)) / (st[i] as number)) + 1);
  const positions: number[][] = [];
  const walk = (k: number, at: number[]) => {
    if (k === dims.length) return void positions.push(at);
    for (let p = 0; p < (counts[k] as number); p++) walk(k + 1, [...at, p * (st[k] as number)]);
  };
  walk(0, []);
  // One mask per window over one sample's elements (1 inside), all in one flat array:
  // occluded = x * (1 - m) + base * m.
  const sz = dims.reduce((a, b) => a * b, 1);
  const masks = new Float64Array(positions.length * sz);
  positions.forEach((at, p) => {
    const rec = (k: number, off: number) => {
      if (k === dims.length) return void (masks[p * sz + off] = 1);
      const stride = dims.slice(k + 1).reduce((a, b) => a * b, 1);
      for (let j = 0; j < (win[k] as number); j++) rec(k + 1, off + ((at[k] as number) + j) * stride);
    };
    rec(0, 0);
  });
  return ablate(op, f, x, masks, o.baselines, o.target as Target, o.perturbationsPerEval, true);
}

/** Options of featureAblation. */
export interface FeatureAblationOptions extends TargetOptions {
  /** Integer feature ids of one sample's shape (or [1, ...]): elements of one id are ablated together. Default: each element alone. */
  featureMask?: Tensor;
  baselines?: number | Tensor;
  perturbationsPerEval?: number;
}

/**
 * Feature ablation, as Captum's FeatureAblation: each feature (group of elements sharing an id in
 * `featureMask`) is replaced by the baseline, and its elements get f(x) - f(ablated).
 * @example explain.featureAblation(model, rows, { target: 2 })
 */
export function featureAblation(f: ForwardFn, inputs: Tensor, options: FeatureAblationOptions = {}): Tensor {
  const op = 'explain.featureAblation';
  const o = checkOptions(op, options, {
    target: 'any',
    featureMask: 'any',
    baselines: 'any',
    perturbationsPerEval: 'integer',
  });
  const x = checkInput(op, inputs);
  const dims = x.shape.slice(1);
  const sz = dims.reduce((a, b) => a * b, 1);
  let ids: number[];
  if (o.featureMask === undefined) ids = Array.from({ length: sz }, (_, i) => i);
  else {
    const fm = o.featureMask;
    if (!(fm instanceof Tensor) || fm.numel() !== sz)
      fail(
        'SHAPE_MISMATCH',
        `${op}: featureMask must have one sample's ${sz} elements [${dims.join(', ')}], got ${describe(fm)}`,
      );
    ids = Array.from(fm.contiguous().data() as ArrayLike<number | bigint>, Number);
    if (ids.some((v) => !Number.isSafeInteger(v)))
      fail('DTYPE_MISMATCH', `${op}: featureMask must hold integer feature ids`);
  }
  const groups = [...new Set(ids)].sort((a, b) => a - b);
  const masks = new Float64Array(groups.length * sz);
  const slot = new Map(groups.map((g, k) => [g, k]));
  ids.forEach((v, i) => (masks[(slot.get(v) as number) * sz + i] = 1));
  return ablate(op, f, x, masks, o.baselines, o.target as Target, o.perturbationsPerEval, false);
}

// Shared by occlusion and feature ablation: for each mask m (one sample's elements), the output
// drop f(x) - f(x with m's elements set to the baseline), spread over m's elements; averaged over
// the masks covering an element when `average` (occlusion), else summed (disjoint features).
function ablate(
  op: string,
  f: ForwardFn,
  x: Tensor,
  masks: Float64Array, // [count, one sample's elements], flat
  baselines: unknown,
  target: Target,
  perEval: number | undefined,
  average: boolean,
): Tensor {
  const P = perEval ?? 1;
  if (P < 1) fail('INVALID_ARGUMENT', `${op}: perturbationsPerEval must be >= 1, got ${P}`);
  const N = x.shape[0] as number;
  const dims = x.shape.slice(1);
  return tidy(() => {
    const base = baselineOf(op, x, baselines);
    const fx = evaluate(f, x, target, 1, op); // [N]
    const sz = dims.reduce((a, b) => a * b, 1);
    const count = sz === 0 ? 0 : masks.length / sz;
    const all = tensor(masks, { dtype: x.dtype as never }).reshape([count, 1, ...dims]);
    const total: Tensor = zeros(x.shape, { dtype: x.dtype as never });
    const cover: Tensor = zeros([1, ...dims], { dtype: x.dtype as never });
    for (let m0 = 0; m0 < count; m0 += P) {
      const G = Math.min(P, count - m0);
      tidy(() => {
        const M = all.narrow(0, m0, G);
        const occluded = noGrad(() =>
          x
            .unsqueeze(0)
            .mul(M.neg().add(1))
            .add(base.unsqueeze(0).mul(M))
            .reshape([G * N, ...dims]),
        );
        const drop = fx.repeat([G]).sub(evaluate(f, occluded, target, G, op)); // [G * N]
        const contrib = M.mul(drop.reshape([G, N, ...dims.map(() => 1)])).sum(0);
        total.add_(contrib);
        cover.add_(M.sum(0));
      });
    }
    if (!average) return total;
    return total.div(cover.clamp(1, Infinity));
  });
}
