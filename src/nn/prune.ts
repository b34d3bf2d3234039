/**
 * Pruning, as torch.nn.utils.prune: a module's tensor `name` is re-expressed as
 * `${name}_orig` (the parameter, still trained) times `${name}_mask` (a buffer of 0s and 1s),
 * recomputed before every forward by a pre-hook; pruning the same tensor again prunes among the
 * entries (or channels) still alive. The names are torch's, so pruned state dicts move both ways.
 * @example
 * nn.utils.prune.l1Unstructured(model.fc1, 'weight', 0.3); // the 30% smallest |w| zeroed
 * nn.utils.prune.lnStructured(model.conv1, 'weight', 0.5, 2, 0); // half the filters, by L2 norm
 * nn.utils.prune.remove(model.fc1, 'weight'); // make it permanent
 * @module prune
 */
import { noGrad } from '../autograd.js';
import { fail } from '../errors.js';
import { keep, tidy } from '../memory.js';
import { onesLike, rand, zerosLike } from '../ops/creation.js';
import { cat } from '../ops/functional.js';
import { checkOptions, describe, int } from '../options.js';
import { tensorArg } from '../args.js';
import { Tensor } from '../tensor.js';
import type { RemovableHandle } from './hooks.js';
import { isParameter, Module } from './module.js';

/** An amount to prune: an integer count of entries (or channels), or a fraction strictly between 0 and 1. */
export type Amount = number;

// Python's round (half to even), as torch rounds amount * size.
function pyRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
}
function amountArg(op: string, amount: unknown): Amount {
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0 || (!Number.isInteger(amount) && amount > 1))
    fail(
      'INVALID_ARGUMENT',
      `${op}: amount must be an integer count >= 0 or a fraction in (0, 1), got ${describe(amount)}`,
    );
  return amount;
}
// How many of `size` entries (or channels) to prune.
function toPrune(op: string, amount: Amount, size: number): number {
  const k = Number.isInteger(amount) ? amount : pyRound(amount * size);
  if (k > size)
    fail('INVALID_ARGUMENT', `${op}: amount ${amount} is more than the ${size} entries (or channels) there are`);
  return k;
}
function dimArg(op: string, dim: unknown, ndim: number): number {
  const d = int(op, 'dim', dim);
  if (d < -ndim || d >= ndim) fail('INDEX_OUT_OF_RANGE', `${op}: dim ${d} out of range for a ${ndim}-D tensor`);
  return d < 0 ? d + ndim : d;
}

/**
 * A pruning method: computeMask(t, defaultMask) gives the mask to keep (1) or prune (0) each entry
 * of t, respecting defaultMask (torch's BasePruningMethod). Subclass it for a custom rule:
 * implement maskFor (torch's compute_mask) and apply it with applyPruning.
 * @example class Threshold extends prune.BasePruningMethod { readonly pruningType = 'unstructured'; protected maskFor(t, m) { return m.mul(t.abs().gt(0.1)); } }
 */
export abstract class BasePruningMethod {
  /** unstructured (entries), structured (slices along `dim`) or global. */
  abstract readonly pruningType: 'unstructured' | 'structured' | 'global';
  /** The tensor's name in its module, set when applied. */
  tensorName = '';
  /** The mask (0s and 1s, t's shape) for importance scores t, on top of defaultMask (1s where nothing is pruned yet). */
  computeMask(t: Tensor, defaultMask: Tensor): Tensor {
    const op = `${this.constructor.name}.computeMask`;
    tensorArg(op, 't', t);
    tensorArg(op, 'defaultMask', defaultMask);
    if (defaultMask.shape.join() !== t.shape.join())
      fail('SHAPE_MISMATCH', `${op}: defaultMask is [${defaultMask.shape.join(', ')}], t [${t.shape.join(', ')}]`);
    return this.maskFor(t, defaultMask);
  }
  /** t times the mask computed for it (or for importanceScores). */
  prune(t: Tensor, defaultMask?: Tensor, importanceScores?: Tensor): Tensor {
    tensorArg(`${this.constructor.name}.prune`, 't', t);
    return tidy(() => t.mul(this.computeMask(importanceScores ?? t, defaultMask ?? onesLike(t))));
  }
  /** The rule, on checked tensors (override this in a subclass). */
  protected abstract maskFor(t: Tensor, defaultMask: Tensor): Tensor;
}

/** Keeps every entry (torch's prune.Identity; prune.identity applies it). */
class Identity extends BasePruningMethod {
  readonly pruningType = 'unstructured' as const;
  protected maskFor(_t: Tensor, defaultMask: Tensor): Tensor {
    return defaultMask.clone();
  }
}

/** Prunes `amount` entries at random (torch's RandomUnstructured). */
export class RandomUnstructured extends BasePruningMethod {
  readonly pruningType = 'unstructured' as const;
  constructor(readonly amount: Amount) {
    super();
    amountArg('RandomUnstructured', amount);
  }
  protected maskFor(t: Tensor, defaultMask: Tensor): Tensor {
    const k = toPrune('RandomUnstructured', this.amount, t.numel());
    return tidy(() => zeroAt(defaultMask, k ? rand(t.shape).reshape([-1]).topk(k).indices : null));
  }
}

/** Prunes the `amount` entries of smallest absolute value (torch's L1Unstructured). */
export class L1Unstructured extends BasePruningMethod {
  readonly pruningType = 'unstructured' as const;
  constructor(readonly amount: Amount) {
    super();
    amountArg('L1Unstructured', amount);
  }
  protected maskFor(t: Tensor, defaultMask: Tensor): Tensor {
    const k = toPrune('L1Unstructured', this.amount, t.numel());
    return tidy(() => zeroAt(defaultMask, k ? t.abs().reshape([-1]).topk(k, 0, { largest: false }).indices : null));
  }
}
// mask (cloned) with the flat positions `at` set to 0.
function zeroAt(mask: Tensor, at: Tensor | null): Tensor {
  const flat = mask.reshape([-1]).clone();
  if (at) flat.indexFill_(0, at, 0);
  return flat.reshape(mask.shape);
}

/** A norm order of LnStructured: a number, Infinity, -Infinity or 'fro'. */
export type NormOrder = number | 'fro';

// mask with the slices along dim at `keep` kept (1), the others 0, times defaultMask.
function channelMask(t: Tensor, dim: number, keepIdx: Tensor, defaultMask: Tensor): Tensor {
  const mask = zerosLike(t);
  const ones = onesLike(t.indexSelect(dim, keepIdx));
  return mask.indexCopy(dim, keepIdx, ones).mul(defaultMask.to(mask.dtype));
}

/**
 * Prunes the `amount` slices along `dim` (filters, rows) of smallest Ln norm (torch's LnStructured).
 */
export class LnStructured extends BasePruningMethod {
  readonly pruningType = 'structured' as const;
  constructor(
    readonly amount: Amount,
    readonly n: NormOrder,
    readonly dim = -1,
  ) {
    super();
    amountArg('LnStructured', amount);
    if (!(n === 'fro' || (typeof n === 'number' && !Number.isNaN(n))))
      fail('INVALID_ARGUMENT', `LnStructured: n must be a number, Infinity or 'fro', got ${describe(n)}`);
  }
  protected maskFor(t: Tensor, defaultMask: Tensor): Tensor {
    const op = 'LnStructured';
    const dim = dimArg(op, this.dim, t.ndim);
    const size = t.shape[dim];
    const k = toPrune(op, this.amount, size);
    if (k === 0) return defaultMask.clone();
    return tidy(() => {
      const others = Array.from({ length: t.ndim }, (_, i) => i).filter((i) => i !== dim);
      const norms = t.vectorNorm(this.n === 'fro' ? 2 : this.n, { dim: others });
      const keepIdx = norms.topk(size - k).indices;
      return channelMask(t, dim, keepIdx, defaultMask);
    });
  }
}

/** Prunes `amount` slices along `dim` at random (torch's RandomStructured). */
export class RandomStructured extends BasePruningMethod {
  readonly pruningType = 'structured' as const;
  constructor(
    readonly amount: Amount,
    readonly dim = -1,
  ) {
    super();
    amountArg('RandomStructured', amount);
  }
  protected maskFor(t: Tensor, defaultMask: Tensor): Tensor {
    const op = 'RandomStructured';
    const dim = dimArg(op, this.dim, t.ndim);
    const size = t.shape[dim];
    const k = toPrune(op, this.amount, size);
    if (k === 0) return defaultMask.clone();
    return tidy(() => channelMask(t, dim, rand([size]).topk(size - k).indices, defaultMask));
  }
}

/** The given mask (torch's CustomFromMask). */
export class CustomFromMask extends BasePruningMethod {
  readonly pruningType = 'global' as const;
  constructor(readonly mask: Tensor) {
    super();
    if (!(mask instanceof Tensor))
      fail('INVALID_ARGUMENT', `CustomFromMask: mask must be a Tensor, got ${describe(mask)}`);
  }
  protected maskFor(t: Tensor, defaultMask: Tensor): Tensor {
    if (this.mask.shape.join() !== t.shape.join())
      fail(
        'SHAPE_MISMATCH',
        `CustomFromMask: the mask is [${this.mask.shape.join(', ')}], the tensor [${t.shape.join(', ')}]`,
      );
    return tidy(() => defaultMask.mul(this.mask.to(defaultMask.dtype)));
  }
}

/**
 * The pruning methods applied to one tensor, in order (torch's PruningContainer): each new one
 * computes its mask among the entries (unstructured) or channels (structured) still alive.
 */
export class PruningContainer extends BasePruningMethod {
  readonly pruningType = 'global' as const; // never consulted: the last method's type decides
  readonly methods: BasePruningMethod[] = [];
  constructor(...methods: BasePruningMethod[]) {
    super();
    for (const m of methods) this.addPruningMethod(m);
  }
  /** Appends a method acting on the same tensor. */
  addPruningMethod(method: BasePruningMethod): void {
    if (!(method instanceof BasePruningMethod))
      fail('INVALID_ARGUMENT', `PruningContainer: expected a pruning method, got ${describe(method)}`);
    if (this.methods.length === 0) this.tensorName = method.tensorName;
    else if (method.tensorName !== this.tensorName)
      fail(
        'INVALID_ARGUMENT',
        `PruningContainer: its methods act on '${this.tensorName}', got one on '${method.tensorName}'`,
      );
    this.methods.push(method);
  }
  protected maskFor(t: Tensor, defaultMask: Tensor): Tensor {
    const method = this.methods[this.methods.length - 1];
    if (!method) return defaultMask.clone();
    return tidy(() => {
      const mask = defaultMask.to(t.dtype);
      if (method.pruningType === 'unstructured') {
        const alive = mask.eq(1);
        const partial = method.computeMask(t.maskedSelect(alive), mask.maskedSelect(alive));
        return mask.maskedScatter(alive, partial.to(mask.dtype));
      }
      if (method.pruningType === 'structured') {
        const dim = dimArg('PruningContainer', (method as unknown as { dim: number }).dim, t.ndim);
        const others = Array.from({ length: t.ndim }, (_, i) => i).filter((i) => i !== dim);
        const live = (others.length ? mask.sum(others) : mask).ne(0).nonzero().reshape([-1]);
        const partial = method.computeMask(t.indexSelect(dim, live), mask.indexSelect(dim, live));
        return mask.indexCopy(dim, live, partial.to(mask.dtype));
      }
      return method.computeMask(t, mask);
    });
  }
}

// The pruning hook of each pruned tensor of each module.
type Pruned = { method: BasePruningMethod; handle: RemovableHandle; hook: unknown };
const PRUNED = new WeakMap<Module, Map<string, Pruned>>();

/**
 * @internal Gives `to`, a deep copy of `from` whose hooks were re-registered (`handles`: the new
 * handle of each hook function), from's pruning state, so prune.remove and further pruning work
 * on the copy.
 */
export function copyPruning(from: Module, to: Module, handles: Map<unknown, RemovableHandle>): void {
  const mine = PRUNED.get(from);
  if (!mine) return;
  const theirs = new Map<string, Pruned>();
  for (const [name, e] of mine) {
    const method = e.method instanceof PruningContainer ? new PruningContainer(...e.method.methods) : e.method;
    theirs.set(name, { method, handle: handles.get(e.hook)!, hook: e.hook });
  }
  PRUNED.set(to, theirs);
}
type Fields = Record<string, Tensor | null | undefined>;

// Sets module[name] = orig * mask, kept (it is the module's until the next forward replaces it).
function applyMask(module: Module, name: string): void {
  const f = module as unknown as Fields;
  const orig = f[`${name}_orig`]!,
    mask = f[`${name}_mask`]!;
  const old: Tensor | null | undefined = f[name];
  const wasParameter: boolean = isParameter(old);
  f[name] = keep(mask.to(orig.dtype).mul(orig));
  if (old instanceof Tensor && old !== orig && !wasParameter) old.dispose();
}

/**
 * Prunes module[name] by `method` (torch's BasePruningMethod.apply): the first time, the
 * parameter moves to `${name}_orig` and a `${name}_mask` buffer and a forward pre-hook appear;
 * later, methods stack in a PruningContainer. Returns the method (or container) now in charge.
 */
export function applyPruning(
  module: Module,
  name: string,
  method: BasePruningMethod,
  importanceScores?: Tensor | null,
): BasePruningMethod {
  const op = 'prune';
  if (!(module instanceof Module)) fail('INVALID_ARGUMENT', `${op}: expected an nn.Module, got ${describe(module)}`);
  if (typeof name !== 'string') fail('INVALID_ARGUMENT', `${op}: name must be a string, got ${describe(name)}`);
  if (!(method instanceof BasePruningMethod))
    fail('INVALID_ARGUMENT', `${op}: expected a pruning method, got ${describe(method)}`);
  const f = module as unknown as Fields;
  const hooks = PRUNED.get(module) ?? new Map();
  const prior = hooks.get(name);
  method.tensorName = name;
  let current: BasePruningMethod = method;
  if (prior) {
    current = prior.method instanceof PruningContainer ? prior.method : new PruningContainer(prior.method);
    (current as PruningContainer).addPruningMethod(method);
  } else if (!isParameter(f[name]))
    fail('INVALID_ARGUMENT', `${op}: ${module.constructor.name} has no parameter '${name}'`);
  const orig = prior ? f[`${name}_orig`]! : f[name]!;
  const scores = importanceScores ?? orig;
  if (!(scores instanceof Tensor) || scores.shape.join() !== orig.shape.join())
    fail('SHAPE_MISMATCH', `${op}: importanceScores must have the parameter's shape [${orig.shape.join(', ')}]`);
  const defaultMask = prior ? f[`${name}_mask`]!.clone() : onesLike(orig);
  try {
    const mask = noGrad(() => current.computeMask(scores.detach(), defaultMask));
    if (!prior) {
      f[`${name}_orig`] = orig;
      f[name] = null;
    }
    module.registerBuffer(`${name}_mask`, mask.to(orig.dtype));
  } finally {
    defaultMask.dispose();
  }
  applyMask(module, name);
  prior?.handle.remove();
  const hook = (m: Module) => void applyMask(m, name);
  const handle = module.registerForwardPreHook(hook);
  hooks.set(name, { method: current, handle, hook });
  PRUNED.set(module, hooks);
  return current;
}

/** Options of the pruning functions. */
export interface PruneOptions {
  /** Scores ranking the entries instead of the tensor itself (same shape). */
  importanceScores?: Tensor | null;
}
const scoresOf = (op: string, o: PruneOptions | undefined) =>
  checkOptions(op, o, { importanceScores: 'any' }).importanceScores ?? null;

/** Marks module[name] pruned with nothing removed (torch's prune.identity). */
export function identity(module: Module, name: string): Module {
  applyPruning(module, name, new Identity());
  return module;
}
/** Prunes `amount` entries of module[name] at random. @example prune.randomUnstructured(fc, 'weight', 0.2) */
export function randomUnstructured(module: Module, name: string, amount: Amount): Module {
  applyPruning(module, name, new RandomUnstructured(amount));
  return module;
}
/** Prunes the `amount` entries of module[name] of smallest |value| (or importance score). @example prune.l1Unstructured(fc, 'weight', 0.3) */
export function l1Unstructured(module: Module, name: string, amount: Amount, options?: PruneOptions): Module {
  applyPruning(module, name, new L1Unstructured(amount), scoresOf('l1Unstructured', options));
  return module;
}
/** Prunes `amount` slices of module[name] along dim at random. @example prune.randomStructured(conv, 'weight', 0.25, 0) */
export function randomStructured(module: Module, name: string, amount: Amount, dim: number): Module {
  applyPruning(module, name, new RandomStructured(amount, dim));
  return module;
}
/** Prunes the `amount` slices along dim of smallest Ln norm. @example prune.lnStructured(conv, 'weight', 0.5, 2, 0) */
export function lnStructured(
  module: Module,
  name: string,
  amount: Amount,
  n: NormOrder,
  dim: number,
  options?: PruneOptions,
): Module {
  applyPruning(module, name, new LnStructured(amount, n, dim), scoresOf('lnStructured', options));
  return module;
}
/** Prunes module[name] by a given mask of 0s and 1s. @example prune.customFromMask(fc, 'bias', mask) */
export function customFromMask(module: Module, name: string, mask: Tensor): Module {
  applyPruning(module, name, new CustomFromMask(mask));
  return module;
}

/** The unstructured methods globalUnstructured takes. */
export type UnstructuredMethod = new (amount: Amount) => BasePruningMethod & { pruningType: 'unstructured' };

/**
 * Prunes the tensors of several modules as one (torch's global_unstructured): the scores of all of
 * them are ranked together, so the amount falls where the smallest ones are, in any layer.
 * @example prune.globalUnstructured([[fc1, 'weight'], [fc2, 'weight']], prune.L1Unstructured, { amount: 0.2 })
 */
export function globalUnstructured(
  parameters: [Module, string][],
  pruningMethod: UnstructuredMethod,
  options: { amount: Amount; importanceScores?: Map<Module, Record<string, Tensor>> },
): void {
  const op = 'globalUnstructured';
  if (!Array.isArray(parameters) || !parameters.every((p) => Array.isArray(p) && p[0] instanceof Module))
    fail('INVALID_ARGUMENT', `${op}: parameters must be a list of [module, name] pairs, got ${describe(parameters)}`);
  if (typeof pruningMethod !== 'function' || !(pruningMethod.prototype instanceof BasePruningMethod))
    fail('INVALID_ARGUMENT', `${op}: expected a pruning method class, got ${describe(pruningMethod)}`);
  const o = checkOptions(op, options, { amount: 'number', importanceScores: 'any' });
  const method = new pruningMethod(o.amount);
  if (method.pruningType !== 'unstructured')
    fail('INVALID_ARGUMENT', `${op}: only unstructured methods prune globally, got a ${method.pruningType} one`);
  const pieces = parameters.map(([m, name]) => {
    const f = m as unknown as Fields;
    const t = f[`${name}_orig`] ?? f[name];
    if (!(t instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: ${m.constructor.name} has no tensor '${name}'`);
    const score = o.importanceScores?.get(m)?.[name] ?? t;
    const mask = f[`${name}_mask`] ?? null;
    return { m, name, score, mask, n: t.numel(), shape: t.shape };
  });
  const masks = noGrad(() =>
    tidy(() => {
      const scores = cat(pieces.map((p) => p.score.detach().reshape([-1]).to('float64')));
      const defaults = cat(pieces.map((p) => (p.mask ?? onesLike(p.score)).reshape([-1]).to('float64')));
      const container = new PruningContainer();
      container.addPruningMethod(method);
      const all = container.computeMask(scores, defaults);
      let at = 0;
      return pieces.map((p) => {
        const piece = all.narrow(0, at, p.n).reshape(p.shape);
        at += p.n;
        return keep(piece);
      });
    }),
  );
  pieces.forEach((p, i) => {
    customFromMask(p.m, p.name, masks[i]);
    masks[i].dispose();
  });
}

/**
 * Makes the pruning of module[name] permanent (torch's prune.remove): the parameter holds the
 * masked values again under `name`; `${name}_orig`, `${name}_mask` and the hook go.
 * @example prune.remove(fc, 'weight')
 */
export function remove(module: Module, name: string): Module {
  const hooks = module instanceof Module ? PRUNED.get(module) : undefined;
  const entry = hooks?.get(name);
  if (!entry)
    fail('INVALID_ARGUMENT', `prune.remove: parameter ${describe(name)} of ${describe(module)} is not pruned`);
  const f = module as unknown as Fields;
  const orig = f[`${name}_orig`]!;
  noGrad(() => orig.copy_(f[`${name}_mask`]!.to(orig.dtype).mul(orig)));
  const computed = f[name];
  f[name] = orig;
  if (computed && computed !== orig) computed.dispose();
  delete f[`${name}_orig`];
  f[`${name}_mask`]?.dispose();
  delete f[`${name}_mask`];
  module._buffers.delete(`${name}_mask`);
  entry.handle.remove();
  hooks!.delete(name);
  return module;
}

/** Whether any tensor of module (or its children) is pruned (torch's prune.is_pruned). */
export function isPruned(module: Module): boolean {
  if (!(module instanceof Module)) fail('INVALID_ARGUMENT', `isPruned: expected an nn.Module, got ${describe(module)}`);
  return module.modules().some((m) => (PRUNED.get(m)?.size ?? 0) > 0);
}
