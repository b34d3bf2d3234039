// deepCopy: Python's copy.deepcopy of a module (a target network, an EMA of the weights, a
// teacher for distillation), which JavaScript has no built-in for.
import { noGrad } from '../autograd.js';
import { fail } from '../errors.js';
import { keep } from '../memory.js';
import { describe } from '../options.js';
import { Tensor } from '../tensor.js';
import { copyHooks } from './hooks.js';
import { isParameter, Module, Parameter } from './module.js';
import { copyPruning } from './prune.js';

/**
 * A deep copy of a module: an object of the same class whose parameters and buffers are clones
 * (parameters stay parameters, with their requiresGrad; a tensor reachable twice, a tied weight,
 * is cloned once and stays tied), whose child modules are copied the same way, and whose other
 * fields are copied when they are arrays, plain objects, Maps, Sets or typed arrays, and shared
 * otherwise (functions, instances of other classes). Hooks are registered on the copies too (the
 * same functions), pruning included.
 * @example const target = nn.utils.deepCopy(qNetwork); // a DQN target network
 */
export function deepCopy<M extends Module>(module: M): M {
  if (!(module instanceof Module)) fail('INVALID_ARGUMENT', `deepCopy: expected an nn.Module, got ${describe(module)}`);
  const seen = new Map<unknown, unknown>();
  const out = noGrad(() => copy(module, seen)) as M;
  // hooks live outside the fields (a registry): the copies get their own registrations
  for (const [from, to] of seen)
    if (from instanceof Module) copyPruning(from, to as Module, copyHooks(from, to as Module));
  return out;
}

function copy(v: unknown, seen: Map<unknown, unknown>): unknown {
  if (v === null || typeof v !== 'object') return v; // primitives; functions are shared
  if (seen.has(v)) return seen.get(v);
  if (v instanceof Tensor) {
    if (v._disposed) return v; // a stale handle (a freed cache) stays one
    const c = v.detach().clone();
    const out = isParameter(v) ? Parameter(c, v.requiresGrad) : keep(v.requiresGrad ? c.requiresGrad_() : c);
    seen.set(v, out);
    return out;
  }
  if (ArrayBuffer.isView(v)) {
    const out = (v as unknown as { slice(): unknown }).slice?.() ?? v;
    seen.set(v, out);
    return out;
  }
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    seen.set(v, out);
    for (const x of v) out.push(copy(x, seen));
    return out;
  }
  if (v instanceof Map) {
    const out = new Map();
    seen.set(v, out);
    for (const [k, x] of v) out.set(k, copy(x, seen));
    return out;
  }
  if (v instanceof Set) {
    const out = new Set();
    seen.set(v, out);
    for (const x of v) out.add(copy(x, seen));
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  if (!(v instanceof Module) && proto !== Object.prototype && proto !== null) return v;
  const out = Object.create(proto) as object;
  seen.set(v, out);
  for (const key of Reflect.ownKeys(v)) {
    const d = Object.getOwnPropertyDescriptor(v, key)!;
    if ('value' in d) d.value = copy(d.value, seen);
    Object.defineProperty(out, key, d);
  }
  return out;
}
