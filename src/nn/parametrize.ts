/**
 * Parametrizations, as torch.nn.utils.parametrize: a module's tensor computed on every read from
 * an unconstrained `original` through modules (symmetric, orthogonal, positive weights...), with
 * assignment going back through their `rightInverse`. The original lives at
 * `parametrizations.<name>.original` (torch's state-dict names), so optimizers train it.
 * @example
 * class Symmetric extends nn.Module { forward(x) { return x.triu().add(x.triu(1).mT); } }
 * nn.utils.parametrize.registerParametrization(layer, 'weight', new Symmetric());
 * layer.weight; // symmetric, differentiable in layer.parametrizations.weight.original
 * @module parametrize
 */
import { noGrad } from '../autograd.js';
import { fail, TensorError } from '../errors.js';
import { keep, tidy } from '../memory.js';
import { bool, checkOptions, describe, fn as fnArg, str } from '../options.js';
import { Tensor } from '../tensor.js';
import { ModuleDict, ModuleList } from './containers.js';
import { isParameter, Module, Parameter } from './module.js';

/** A parametrization: a module whose forward maps the original to the tensor, with an optional inverse. */
export type Parametrization = Module & {
  /** An original for a tensor value (forward(rightInverse(v)) == v), used on registration and assignment. */
  rightInverse?(value: Tensor): Tensor;
};

/**
 * The parametrizations of one tensor, applied in order to `original` (torch's ParametrizationList).
 */
export class ParametrizationList extends ModuleList<Parametrization> {
  /** The unconstrained tensor (a parameter, or a buffer where the tensor was one). */
  declare original: Tensor;
  /** The tensor: original through every parametrization. */
  override forward(): Tensor {
    let x = this.original;
    for (let i = 0; i < this.length; i++) x = this.get(i).forward(x) as Tensor;
    return x;
  }
  /** The original for a tensor value: value back through every rightInverse, last first. */
  rightInverse(value: Tensor): Tensor {
    let x = value;
    for (let i = this.length - 1; i >= 0; i--) {
      const p = this.get(i);
      if (typeof p.rightInverse === 'function') x = p.rightInverse(x);
    }
    return x;
  }
}

// The cache of cached(): one value per parametrized tensor while it runs.
let cache: Map<ParametrizationList, Tensor> | null = null;

/**
 * Runs fn with each parametrized tensor computed once (torch's parametrize.cached): inside it,
 * reading module.weight twice returns the same tensor. @example nn.utils.parametrize.cached(() => rnn.call(seq))
 */
export function cached<T>(fn: () => T): T {
  fnArg('cached', 'fn', fn);
  if (cache) return fn(); // nested: the outer scope's cache serves
  cache = new Map();
  try {
    return fn();
  } finally {
    for (const t of cache.values()) t.dispose();
    cache = null;
  }
}

// fn without gradient, its temporaries freed.
const tidyNoGrad = (fn: () => void) => tidy(() => noGrad(fn));

type Fields = Record<string, unknown> & { parametrizations?: ModuleDict<ParametrizationList> };
function checkParametrization(op: string, p: unknown): asserts p is Parametrization {
  if (!(p instanceof Module))
    fail('INVALID_ARGUMENT', `${op}: a parametrization must be an nn.Module, got ${describe(p)}`);
}
// value must be a tensor of `like`'s dtype and shape (the checks torch runs unless unsafe).
function sameKind(op: string, what: string, value: unknown, like: Tensor): void {
  if (!(value instanceof Tensor))
    fail('INVALID_ARGUMENT', `${op}: ${what} must return a Tensor, got ${describe(value)}`);
  if (value.dtype !== like.dtype || value.shape.join() !== like.shape.join())
    fail(
      'INVALID_ARGUMENT',
      `${op}: ${what} gave a ${value.dtype} [${value.shape.join(', ')}] tensor for a ${like.dtype} [${like.shape.join(', ')}] one (pass unsafe: true to allow it)`,
    );
}

/**
 * Parametrizes module[tensorName] by `parametrization` (torch's register_parametrization): the
 * first time, the tensor becomes `parametrizations[tensorName].original` (through rightInverse,
 * where the parametrization has one) and module[tensorName] a computed property; later calls
 * append to the chain. Returns the module.
 * @example nn.utils.parametrize.registerParametrization(lin, 'weight', new Symmetric())
 */
export function registerParametrization<M extends Module>(
  module: M,
  tensorName: string,
  parametrization: Parametrization,
  options: { unsafe?: boolean } = {},
): M {
  const op = 'registerParametrization';
  if (!(module instanceof Module)) fail('INVALID_ARGUMENT', `${op}: expected an nn.Module, got ${describe(module)}`);
  str(op, 'tensorName', tensorName);
  checkParametrization(op, parametrization);
  const unsafe = checkOptions(op, options, { unsafe: 'boolean' }).unsafe ?? false;
  const f = module as unknown as Fields;
  const existing = f.parametrizations?.keys().includes(tensorName) ? f.parametrizations.get(tensorName) : null;
  if (existing) {
    if (!unsafe)
      tidyNoGrad(() => {
        const y = existing.forward();
        const x = parametrization.forward(y);
        sameKind(op, 'the parametrization', x, y);
        if (typeof parametrization.rightInverse === 'function')
          sameKind(op, 'rightInverse', parametrization.rightInverse(x), y);
      });
    existing.append(parametrization);
    return module;
  }
  const original = f[tensorName];
  if (!(original instanceof Tensor))
    fail('INVALID_ARGUMENT', `${op}: ${module.constructor.name} has no tensor '${tensorName}' (a parameter or buffer)`);
  const list = new ParametrizationList([parametrization]);
  const asParameter = isParameter(original);
  tidyNoGrad(() => {
    const init = initialOriginal(list, original);
    if (!unsafe) {
      sameKind(op, 'rightInverse', init, original);
      sameKind(op, 'the parametrization', parametrization.forward(init), original);
    }
    // the same tensor object stays the original, so an optimizer holding it still trains it
    if (init !== original) {
      if (init.shape.join() === original.shape.join() && init.dtype === original.dtype) original.copy_(init);
      else fail('NOT_IMPLEMENTED', `${op}: a rightInverse that changes the shape or dtype of '${tensorName}'`);
    }
  });
  if (asParameter) list.original = original;
  else {
    list.registerBuffer('original', original);
    module._buffers.delete(tensorName);
  }
  delete f[tensorName];
  if (!f.parametrizations) f.parametrizations = new ModuleDict<ParametrizationList>();
  f.parametrizations.set(tensorName, list);
  // The accessor finds its list through `this`, so a copy of the module (nn.utils.deepCopy)
  // reads its own original, not this module's.
  const listOf = (self: unknown) => (self as Fields).parametrizations!.get(tensorName);
  Object.defineProperty(module, tensorName, {
    configurable: true,
    enumerable: false, // not walked as a field: the original is the parameter
    get(this: Module) {
      const l = listOf(this);
      if (!cache) return l.forward();
      let t = cache.get(l);
      if (!t) cache.set(l, (t = keep(l.forward())));
      return t;
    },
    set(this: Module, value: unknown) {
      const where = `${this.constructor.name}.${tensorName}`;
      if (!(value instanceof Tensor)) fail('INVALID_ARGUMENT', `${where}: expected a Tensor, got ${describe(value)}`);
      const l = listOf(this);
      tidyNoGrad(() => {
        const x = l.rightInverse(value);
        sameKind(where, 'rightInverse', x, l.original);
        l.original.copy_(x);
      });
    },
  });
  return module;
}

// The original for a tensor at registration: a rightInverse that is NOT_IMPLEMENTED counts as the
// identity there (torch's rule, e.g. orthogonal's matrix maps without trivialization); on
// assignment it throws.
function initialOriginal(list: ParametrizationList, original: Tensor): Tensor {
  try {
    return list.rightInverse(original);
  } catch (e) {
    if (e instanceof TensorError && e.code === 'NOT_IMPLEMENTED') return original;
    throw e;
  }
}

/** Whether module[tensorName] (or, without a name, any tensor of module) is parametrized. */
export function isParametrized(module: Module, tensorName?: string): boolean {
  if (!(module instanceof Module))
    fail('INVALID_ARGUMENT', `isParametrized: expected an nn.Module, got ${describe(module)}`);
  const d = (module as unknown as Fields).parametrizations;
  if (!(d instanceof ModuleDict)) return false;
  if (tensorName === undefined) return d.keys().length > 0;
  str('isParametrized', 'tensorName', tensorName);
  return d.keys().includes(tensorName);
}

/**
 * Removes the parametrizations of module[tensorName] (torch's remove_parametrizations): the
 * tensor is a plain parameter (or buffer) again, holding its current parametrized value
 * (leaveParametrized, default) or the original. The tensor object is the original's.
 * @example nn.utils.parametrize.removeParametrizations(lin, 'weight')
 */
export function removeParametrizations<M extends Module>(
  module: M,
  tensorName: string,
  options: { leaveParametrized?: boolean } = {},
): M {
  const op = 'removeParametrizations';
  if (!isParametrized(module, tensorName))
    fail('INVALID_ARGUMENT', `${op}: ${describe(tensorName)} of ${module.constructor.name} is not parametrized`);
  const leave = checkOptions(op, options, { leaveParametrized: 'boolean' }).leaveParametrized ?? true;
  bool(op, 'leaveParametrized', leave);
  const f = module as unknown as Fields;
  const list = f.parametrizations!.get(tensorName);
  const original = list.original;
  if (leave)
    tidyNoGrad(() => {
      const t = list.forward();
      if (t.shape.join() !== original.shape.join() || t.dtype !== original.dtype)
        fail('NOT_IMPLEMENTED', `${op}: the parametrized '${tensorName}' differs in shape or dtype from its original`);
      original.copy_(t);
    });
  const wasBuffer = list._buffers.has('original');
  delete (module as unknown as Record<string, unknown>)[tensorName]; // the accessor
  if (wasBuffer) module.registerBuffer(tensorName, original);
  else f[tensorName] = isParameter(original) ? original : Parameter(original);
  delete (f.parametrizations as unknown as Record<string, unknown>)[tensorName];
  if (f.parametrizations!.keys().length === 0) delete f.parametrizations;
  return module;
}
