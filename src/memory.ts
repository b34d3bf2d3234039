// Deterministic freeing: tidy() scopes, keep(), memory().
import { binding, type Handle, type MemoryInfo } from './binding.js';
import { fail } from './errors.js';
import type { Tensor } from './tensor.js';

// Each open tidy() scope is the list of tensors made inside it (arrays: a Set per scope cost
// more than the small op it wraps).
const scopes: Tensor[][] = [];

// The GC safety net. A FinalizationRegistry entry costs ~300 ns, more than a whole small op, and
// most tensors are disposed (by dispose() or tidy()) within the tick that made them. So a new
// tensor first goes on a pending list; a microtask (or a full list) registers the ones still
// alive, and only those. The registry's callback frees the native handle of a collected tensor
// (a no-op for one already disposed: the binding ignores stale ids).
const registry = new FinalizationRegistry<Handle>((h) => binding.free(h));
let pending: Tensor[] = [];
let flushQueued = false;
const PENDING_LIMIT = 256;

function registerSurvivors(): void {
  flushQueued = false;
  const list = pending;
  pending = [];
  for (const t of list) {
    if (!t._disposed) registry.register(t, t._h);
  }
}

/** @internal Takes charge of a new tensor: the tidy() scope, if any, and the GC safety net. */
export function track(t: Tensor): void {
  if (scopes.length) scopes[scopes.length - 1].push(t);
  pending.push(t);
  if (pending.length >= PENDING_LIMIT) registerSurvivors();
  else if (!flushQueued) {
    flushQueued = true;
    queueMicrotask(registerSurvivors);
  }
}

function collect(v: unknown, out: Set<Tensor>, depth = 0): void {
  if (depth > 4 || v === null || typeof v !== 'object') return;
  if (isTensor(v)) {
    out.add(v);
  } else if (Array.isArray(v)) {
    for (const x of v) collect(x, out, depth + 1);
  } else if (v instanceof Map) {
    for (const x of v.values()) collect(x, out, depth + 1);
  } else if (Object.getPrototypeOf(v) === Object.prototype) {
    for (const x of Object.values(v)) collect(x, out, depth + 1);
  }
}

function isTensor(v: unknown): v is Tensor {
  return v !== null && typeof v === 'object' && (v as { __isTensor?: boolean }).__isTensor === true;
}

/**
 * Runs `fn` and disposes every tensor created inside it, except those it returns (a tensor, or
 * tensors inside a returned array or plain object) and those passed to `keep()`.
 *
 * @example
 * const y = tidy(() => x.mul(2).add(1).relu());   // the two intermediates are freed now
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') fail('INVALID_ARGUMENT', 'tidy: expected a function');
  const scope: Tensor[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) if (!t._kept) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const t of scope) if (!t._kept) t.dispose();
    fail('INVALID_ARGUMENT', 'tidy: the function must be synchronous (it returned a Promise)');
  }
  // A lone returned tensor is the common case: no set needed.
  const single = isTensor(result) ? result : undefined;
  let kept: Set<Tensor> | undefined;
  if (!single && result !== null && typeof result === 'object') {
    kept = new Set();
    collect(result, kept);
  }
  const parent = scopes.length ? scopes[scopes.length - 1] : undefined;
  for (const t of scope) {
    if (t._kept) continue;
    if (t === single || kept?.has(t)) parent?.push(t);
    else t.dispose();
  }
  return result;
}

/** Exempts `t` from disposal by any tidy() scope. @example tidy(() => { keep(w.add(1)); }) */
export function keep<T extends Tensor>(t: T): T {
  t._kept = true;
  return t;
}

/**
 * Live tensors in this JS environment and native bytes in the process.
 * @example const before = memory().tensors; ...; console.log(memory().tensors - before);
 */
export function memory(): MemoryInfo {
  return binding.memory();
}

/** Returns freed blocks held by the caching allocators to the system. */
export function emptyCache(): void {
  binding.emptyCache();
}
