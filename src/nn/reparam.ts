// Weight reparametrizations, as torch.nn.utils.weight_norm and spectral_norm (PyTorch 1.13): the
// layer's weight parameter is replaced by new parameters (and, for spectral norm, buffers) under
// PyTorch's names, so state dicts interchange, and `module.weight` becomes a getter that computes
// the weight from them at each read. A getter, not a value a pre-hook writes before each forward,
// because tensorkit disposes what a tidy() made: a weight stored by one forward would be gone by
// the next read; computed on read, it is always current (after an optimizer step too).
// Spectral norm's power iteration still runs once per training forward, in a pre-hook, as PyTorch's.
import { noGrad } from '../autograd.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { randn } from '../ops/creation.js';
import { checkOptions, describe, int, intAtLeast, num, str } from '../options.js';
import { Tensor } from '../tensor.js';
import type { RemovableHandle } from './hooks.js';
import { isParameter, Module, Parameter } from './module.js';

interface Reparam {
  kind: 'weightNorm' | 'spectralNorm';
  hook?: RemovableHandle;
}
// module -> weight name -> its reparametrization
const registry = new WeakMap<Module, Map<string, Reparam>>();

type Fields = Record<string, unknown>;

function target(op: string, module: unknown, name: unknown): { m: Module; name: string; weight: Tensor } {
  if (!(module instanceof Module)) fail('INVALID_ARGUMENT', `${op}: expected an nn.Module, got ${describe(module)}`);
  str(op, 'name', name);
  const n = name as string;
  const prior = registry.get(module)?.get(n);
  if (prior) fail('INVALID_ARGUMENT', `${op}: '${n}' of ${module.constructor.name} already has ${prior.kind}`);
  const weight = (module as unknown as Fields)[n];
  if (!Object.hasOwn(module, n) || !isParameter(weight))
    fail('INVALID_ARGUMENT', `${op}: ${module.constructor.name} has no parameter '${n}'`);
  return { m: module, name: n, weight };
}

// Replaces the parameter field with a getter (not enumerable: never listed as a parameter).
function install(m: Module, name: string, r: Reparam, compute: () => Tensor): void {
  delete (m as unknown as Fields)[name];
  Object.defineProperty(m, name, { get: compute, configurable: true, enumerable: false });
  let map = registry.get(m);
  if (!map) registry.set(m, (map = new Map()));
  map.set(name, r);
}

// Makes `module[name]` a parameter again, holding the current computed weight, and drops the
// reparametrization's fields (parameters and buffers).
function uninstall(op: string, module: unknown, options: unknown, kind: Reparam['kind'], fields: string[]): Module {
  if (!(module instanceof Module)) fail('INVALID_ARGUMENT', `${op}: expected an nn.Module, got ${describe(module)}`);
  const name = checkOptions(op, options as { name?: string }, { name: 'string' }).name ?? 'weight';
  const r = registry.get(module)?.get(name);
  if (r?.kind !== kind) fail('INVALID_ARGUMENT', `${op}: ${kind} of '${name}' not found in ${module.constructor.name}`);
  const f = module as unknown as Fields;
  const weight = noGrad(() => f[name] as Tensor);
  r.hook?.remove();
  registry.get(module)!.delete(name);
  delete f[name];
  f[name] = Parameter(weight);
  for (const k of fields.map((s) => `${name}_${s}`)) {
    (f[k] as Tensor).dispose();
    delete f[k];
    module._buffers.delete(k);
  }
  return module;
}

// The norm of v over every dim but `dim` (all of them when dim is null), keeping v's rank.
function normExceptDim(v: Tensor, dim: number | null): Tensor {
  if (dim === null) return v.pow(2).sum().sqrt();
  const dims = v.shape.map((_, i) => i).filter((i) => i !== dim);
  return dims.length ? v.pow(2).sum(dims, { keepdim: true }).sqrt() : v.abs();
}

function dimOf(op: string, weight: Tensor, dim: unknown): number | null {
  if (dim === null) return null;
  const d = int(op, 'dim', dim);
  if (d < -weight.ndim || d >= weight.ndim)
    fail('INVALID_ARGUMENT', `${op}: dim ${d} is out of range for a weight of ${weight.ndim} dims`);
  return d < 0 ? d + weight.ndim : d;
}

/**
 * Weight normalization (torch.nn.utils.weight_norm): `module[name]` becomes g v / ||v|| with the
 * parameters `${name}_g` (the norms over every dim but `dim`; default 0, null for the norm of the
 * whole tensor) and `${name}_v` (the direction), initialised so the weight is unchanged. Returns
 * the module. Unlike PyTorch's, a negative dim counts from the end (PyTorch reads -1 as null).
 * @example const fc = nn.utils.weightNorm(new nn.Linear(20, 40)); fc.weight_g // [40, 1]
 */
export function weightNorm<M extends Module>(module: M, options: { name?: string; dim?: number | null } = {}): M {
  const op = 'weightNorm';
  const o = checkOptions(op, options, { name: 'string', dim: 'any' });
  const { m, name, weight } = target(op, module, o.name ?? 'weight');
  const dim = dimOf(op, weight, o.dim === undefined ? 0 : o.dim);
  const f = m as unknown as Fields;
  const g = Parameter(noGrad(() => normExceptDim(weight, dim)));
  const v = Parameter(noGrad(() => weight.clone()));
  install(m, name, { kind: 'weightNorm' }, () => {
    const gt = f[`${name}_g`] as Tensor,
      vt = f[`${name}_v`] as Tensor;
    return tidy(() => vt.mul(gt.div(normExceptDim(vt, dim))));
  });
  f[`${name}_g`] = g;
  f[`${name}_v`] = v;
  weight.dispose();
  return module;
}

/**
 * Undoes weightNorm: `module[name]` is a parameter again, holding the current g v / ||v||.
 * @example nn.utils.removeWeightNorm(fc)
 */
export function removeWeightNorm<M extends Module>(module: M, options: { name?: string } = {}): M {
  return uninstall('removeWeightNorm', module, options, 'weightNorm', ['g', 'v']) as M;
}

/** The options of `nn.utils.spectralNorm`. */
export interface SpectralNormOptions {
  /** The weight's field (default 'weight'). */
  name?: string;
  /** Power iterations per training forward (default 1). */
  nPowerIterations?: number;
  /** Floor of the norms the iteration divides by (default 1e-12). */
  eps?: number;
  /** The dim of output channels (default 0; 1 for ConvTranspose layers). */
  dim?: number;
}

const isTransposedConv = (m: Module) => /^ConvTranspose[123]d$/.test(m.constructor.name);

/**
 * Spectral normalization (torch.nn.utils.spectral_norm): `module[name]` becomes W / sigma, sigma
 * the largest singular value of W as a matrix [W.shape[dim], rest], estimated by power iteration.
 * W is kept as the parameter `${name}_orig`, the singular vectors as the buffers `${name}_u` and
 * `${name}_v` (random at first); each forward in training mode runs nPowerIterations steps of the
 * iteration first (no gradient flows through u and v). Returns the module.
 * @example const d = nn.utils.spectralNorm(new nn.Linear(64, 1)); // a GAN discriminator's layer
 */
export function spectralNorm<M extends Module>(module: M, options: SpectralNormOptions = {}): M {
  const op = 'spectralNorm';
  const o = checkOptions(op, options, { name: 'string', nPowerIterations: 'integer', eps: 'number', dim: 'integer' });
  const { m, name, weight } = target(op, module, o.name ?? 'weight');
  const iters = intAtLeast(op, 'nPowerIterations', o.nPowerIterations ?? 1, 1);
  const eps = num(op, 'eps', o.eps ?? 1e-12);
  if (!(eps > 0)) fail('INVALID_ARGUMENT', `${op}: eps must be positive, got ${eps}`);
  const dim = dimOf(op, weight, o.dim ?? (isTransposedConv(m) ? 1 : 0))!;
  if (weight.ndim === 0) fail('INVALID_ARGUMENT', `${op}: the weight must have at least 1 dim`);
  const f = m as unknown as Fields;
  // W as [rows, cols], rows along dim
  const matrix = (w: Tensor) => {
    const order = [dim, ...w.shape.map((_, i) => i).filter((i) => i !== dim)];
    return w.permute(order).reshape([w.shape[dim], -1]);
  };
  const normalize = (x: Tensor) => x.div(x.pow(2).sum().sqrt().clamp(eps));
  const rows = weight.shape[dim],
    cols = weight.numel() / Math.max(rows, 1);
  const opts = { dtype: weight.dtype, device: weight.device };
  const [u, v] = noGrad(() => tidy(() => [normalize(randn([rows], opts)), normalize(randn([cols], opts))]));
  const orig = `${name}_orig`,
    uName = `${name}_u`,
    vName = `${name}_v`;
  const hook = m.registerForwardPreHook((mod) => {
    if (!mod.training) return undefined;
    noGrad(() =>
      tidy(() => {
        const W = matrix(f[orig] as Tensor);
        const ut = f[uName] as Tensor,
          vt = f[vName] as Tensor;
        for (let i = 0; i < iters; i++) {
          vt.copy_(normalize(W.t().mv(ut)));
          ut.copy_(normalize(W.mv(vt)));
        }
      }),
    );
    return undefined;
  });
  install(m, name, { kind: 'spectralNorm', hook }, () =>
    tidy(() => {
      const w = f[orig] as Tensor;
      const sigma = (f[uName] as Tensor).dot(matrix(w).mv(f[vName] as Tensor));
      return w.div(sigma);
    }),
  );
  f[orig] = weight; // the same parameter object, renamed (an optimizer holding it keeps working)
  m.registerBuffer(uName, u);
  m.registerBuffer(vName, v);
  return module;
}

/**
 * Undoes spectralNorm: `module[name]` is a parameter again, holding the current W / sigma.
 * @example nn.utils.removeSpectralNorm(layer)
 */
export function removeSpectralNorm<M extends Module>(module: M, options: { name?: string } = {}): M {
  return uninstall('removeSpectralNorm', module, options, 'spectralNorm', ['orig', 'u', 'v']) as M;
}
