// Deterministic freeing: tidy() scopes, keep(), memory().
import { binding, type MemoryInfo } from './binding.js';
import { fail } from './errors.js';
import { describe, fn as fnArg, isClass } from './options.js';
import type { Tensor } from './tensor.js';

// Each open tidy() scope is the list of tensors made inside it (arrays: a Set per scope cost
// more than the small op it wraps).
const scopes: Tensor[][] = [];

// The GC safety net. Most tensors are disposed (by dispose() or tidy()) within the tick that
// made them, so a new tensor first goes on a pending list; a microtask (or a full list, or the
// native side's flag once the pending tensors hold 256 MB more) hands the ones still alive to the
// binding, which keeps a weak reference to each (bindings/gc.cpp), reports their memory to V8
// (only then: memory freed within its tick never makes V8 collect) and frees the native handle
// of any whose object the GC collected. It sweeps inside that call when its list or its native
// bytes have doubled since the last sweep, so a loop that never yields to the event loop still
// gets its forgotten tensors back (a FinalizationRegistry callback would wait for the event
// loop). Between ops, a sentinel object registered with a FinalizationRegistry says when a GC
// ran: its callback sweeps, and arms a new sentinel while anything is still watched, so an idle
// program's garbage goes at its next GC.
const sentinels = new FinalizationRegistry<number>(() => {
  sentinelQueued = false;
  if (binding.sweep() > 0) armSentinel();
});
let sentinelQueued = false;
function armSentinel(): void {
  if (sentinelQueued) return;
  sentinelQueued = true;
  sentinels.register({}, 0);
}
let pending: Tensor[] = [];
let flushQueued = false;
const PENDING_LIMIT = 256;

const UNWATCHED_FLAG = binding.unwatchedFlag;

let survivorIds = new Float64Array(PENDING_LIMIT);

function registerSurvivors(): void {
  flushQueued = false;
  const list = pending;
  pending = [];
  const alive: Tensor[] = [];
  if (list.length > survivorIds.length) survivorIds = new Float64Array(list.length);
  for (const t of list) {
    if (t._disposed) continue;
    survivorIds[alive.length] = t._h;
    alive.push(t);
  }
  if (alive.length === 0 && binding.meta[UNWATCHED_FLAG] === 0) return;
  binding.watch(alive, survivorIds, alive.length); // also clears the flag
  armSentinel();
}

/** @internal Takes charge of a new tensor: the tidy() scope, if any, and the GC safety net. */
export function track(t: Tensor): void {
  if (scopes.length) scopes[scopes.length - 1].push(t);
  pending.push(t);
  // Also when the native side says the pending tensors hold 256 MB more than at the last hand-over
  // (a few big tensors forgotten in a loop that never yields).
  if (pending.length >= PENDING_LIMIT || binding.meta[UNWATCHED_FLAG] !== 0) registerSurvivors();
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
  } else if (Object.getPrototypeOf(v) === Object.prototype || (v as { _holdsTensors?: boolean })._holdsTensors) {
    for (const x of Object.values(v)) collect(x, out, depth + 1);
  }
}

/** @internal Whether `v` is a Tensor, told without importing tensor.ts (which imports this module). */
export function isTensor(v: unknown): v is Tensor {
  return v !== null && typeof v === 'object' && (v as { __isTensor?: boolean }).__isTensor === true;
}

/**
 * Runs `fn` and disposes every tensor created inside it, except those it returns (a tensor, or
 * tensors inside a returned array, plain object or `nn.utils.PackedSequence`) and those passed to `keep()` (module
 * parameters and buffers are kept: they live with their module).
 *
 * @example
 * const y = tidy(() => x.mul(2).add(1).relu());   // the two intermediates are freed now
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') fail('INVALID_ARGUMENT', `tidy: expected a function, got ${describe(fn)}`);
  const scope: Tensor[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) if (!t._kept) t.dispose();
    // A class is typeof 'function' but cannot be called; checked only here, off the hot path.
    if (isClass(fn)) fnArg('tidy', 'fn', fn);
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

/**
 * @internal Runs fn with the tensors it makes collected into `made` (nothing is disposed); a tidy()
 * inside fn passes what it returns up into `made`.
 */
export function collectMade<T>(fn: () => T, made: Tensor[]): T {
  scopes.push(made);
  try {
    return fn();
  } finally {
    scopes.pop();
  }
}

/** Exempts `t` from disposal by any tidy() scope. @example tidy(() => { keep(w.add(1)); }) */
export function keep<T extends Tensor>(t: T): T {
  if (!isTensor(t)) fail('INVALID_ARGUMENT', `keep: expected a Tensor, got ${describe(t)}`);
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
