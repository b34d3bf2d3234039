// Validation of what only JS can see: option names and types, argument types. Every public entry
// point checks its arguments with these (or with the tensor checks in args.ts) before using them,
// so a wrong argument is a TensorError naming the op and the value, never a TypeError from deep
// inside the library.
import { fail } from './errors.js';

type Kind = 'boolean' | 'number' | 'integer' | 'string' | 'dims' | 'function' | 'any';

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}

/** The allowed name closest to `name`, for "did you mean" hints. */
export function nearest(name: string, allowed: readonly string[]): string | undefined {
  if (name.length > 100) return undefined;
  let best: string | undefined;
  let bestD = Infinity;
  for (const a of allowed) {
    const d = editDistance(name, a);
    if (d < bestD) {
      bestD = d;
      best = a;
    }
  }
  return bestD <= Math.max(2, Math.floor(name.length / 2)) ? best : undefined;
}

function matches(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case 'boolean':
      return typeof v === 'boolean';
    case 'number':
      return typeof v === 'number';
    case 'integer':
      return Number.isSafeInteger(v);
    case 'string':
      return typeof v === 'string';
    case 'dims':
      return Number.isSafeInteger(v) || (Array.isArray(v) && v.length <= 64 && v.every((x) => Number.isSafeInteger(x)));
    case 'function':
      return typeof v === 'function' && !isClass(v);
    case 'any':
      return true;
  }
}
const KIND_NAMES: Record<Kind, string> = {
  boolean: 'a boolean',
  number: 'a number',
  integer: 'an integer',
  string: 'a string',
  dims: 'an integer or a list of integers',
  function: 'a function',
  any: 'any value',
};

/** Options objects hold a handful of names; anything with more is not one (a typed array, say). */
const MAX_OPTION_KEYS = 64;

/**
 * Checks an options object: it must be a plain object (or a class instance holding fields, not
 * an array, typed array, tensor, map or function), unknown names are an INVALID_ARGUMENT error
 * naming the nearest valid option, and each value must be of its declared kind (undefined means
 * "default"). Returns the options for reading.
 */
export function checkOptions<T extends object>(op: string, opts: T | undefined, spec: Record<string, Kind>): T {
  if (opts === undefined || opts === null) return {} as T;
  if (!isOptionsObject(opts)) fail('INVALID_ARGUMENT', `${op}: options must be an object, got ${describe(opts)}`);
  const keys = Object.keys(opts);
  if (keys.length > MAX_OPTION_KEYS)
    fail('INVALID_ARGUMENT', `${op}: options must be an object of named settings, got one with ${keys.length} keys`);
  const allowed = Object.keys(spec);
  for (const k of keys) {
    const v = (opts as Record<string, unknown>)[k];
    const kind = Object.hasOwn(spec, k) ? spec[k] : undefined;
    if (kind === undefined && v === undefined) continue; // undefined means "default", for any name
    if (kind === undefined) {
      const hint = nearest(k, allowed);
      fail(
        'INVALID_ARGUMENT',
        `${op}: unknown option '${k.length > 60 ? `${k.slice(0, 60)}…` : k}'` +
          (hint
            ? ` (did you mean '${hint}'?)`
            : allowed.length
              ? ` (valid options: ${allowed.join(', ')})`
              : ' (it takes no options)'),
      );
    }
    if (v !== undefined && !matches(kind, v))
      fail('INVALID_ARGUMENT', `${op}: option '${k}' must be ${KIND_NAMES[kind]}, got ${describe(v)}`);
  }
  return opts;
}

/** A plain object or a class instance of fields; not an array, view, collection, tensor or function. */
export function isOptionsObject(v: unknown): v is object {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v) || v instanceof ArrayBuffer)
    return false;
  if (
    v instanceof Map ||
    v instanceof Set ||
    v instanceof Date ||
    v instanceof RegExp ||
    v instanceof Promise ||
    v instanceof Error
  )
    return false;
  return (v as { __isTensor?: unknown }).__isTensor !== true;
}

const DESCRIBE_ITEMS = 6;

/**
 * A short, bounded description of any value for an error message: `[2, 3]`, `"abc"`, `3n`,
 * `Tensor [2, 3] float32`, `Float32Array(4000000)`, `{ lr: 0.1 }`. Safe on cyclic and
 * arbitrarily deep or large values; never prints `[object Object]`.
 */
export function describe(v: unknown, depth = 0): string {
  switch (typeof v) {
    case 'undefined':
      return 'undefined';
    case 'string':
      return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
    case 'number':
      return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint':
      return `${v}n`;
    case 'boolean':
      return String(v);
    case 'symbol':
      return v.toString();
    case 'function':
      return v.name ? `function ${v.name}` : 'a function';
  }
  if (v === null) return 'null';
  const o = v as object;
  if ((o as { __isTensor?: unknown }).__isTensor === true) {
    const t = o as { shape: readonly number[]; dtype: string; isDisposed: boolean };
    return `Tensor [${t.shape.join(', ')}] ${t.dtype}${t.isDisposed ? ' (disposed)' : ''}`;
  }
  if (ArrayBuffer.isView(o)) return `${o.constructor.name}(${(o as { length?: number }).length ?? o.byteLength})`;
  if (o instanceof ArrayBuffer) return `ArrayBuffer(${o.byteLength})`;
  if (Array.isArray(o)) {
    if (depth >= 2) return o.length ? '[…]' : '[]';
    const items = o.slice(0, DESCRIBE_ITEMS).map((x) => describe(x, depth + 1));
    if (o.length > DESCRIBE_ITEMS) items.push(`… ${o.length} items`);
    return `[${items.join(', ')}]`;
  }
  const name = (o.constructor as { name?: unknown } | undefined)?.name;
  const proto = Object.getPrototypeOf(o);
  if (proto !== null && proto !== Object.prototype) return typeof name === 'string' && name ? name : 'an object';
  if (depth >= 1) return '{…}';
  const keys = Object.keys(o);
  const shown = keys
    .slice(0, 4)
    .map(
      (k) =>
        `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${describe((o as Record<string, unknown>)[k], depth + 1)}`,
    );
  if (keys.length > 4) shown.push(`… ${keys.length} keys`);
  return keys.length ? `{ ${shown.join(', ')} }` : '{}';
}

/** An integer argument (a safe integer: above 2^53 a double is not an exact integer), or INVALID_ARGUMENT. */
export function int(op: string, name: string, v: unknown): number {
  if (!Number.isSafeInteger(v)) {
    const why =
      typeof v === 'number' && Number.isInteger(v) ? 'an integer of magnitude at most 2^53 - 1' : 'an integer';
    fail('INVALID_ARGUMENT', `${op}: '${name}' must be ${why}, got ${describe(v)}`);
  }
  return v as number;
}

/** A finite number argument, or INVALID_ARGUMENT. */
export function num(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    fail('INVALID_ARGUMENT', `${op}: '${name}' must be a finite number, got ${describe(v)}`);
  return v;
}

/** An integer argument >= min (1 by default), or INVALID_ARGUMENT. */
export function intAtLeast(op: string, name: string, v: unknown, min = 1): number {
  if (!Number.isSafeInteger(v) || (v as number) < min)
    fail('INVALID_ARGUMENT', `${op}: '${name}' must be an integer >= ${min}, got ${describe(v)}`);
  return v as number;
}

/** A boolean argument, or INVALID_ARGUMENT. */
export function bool(op: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') fail('INVALID_ARGUMENT', `${op}: '${name}' must be a boolean, got ${describe(v)}`);
  return v;
}

/** A string argument, or INVALID_ARGUMENT. */
export function str(op: string, name: string, v: unknown): string {
  if (typeof v !== 'string') fail('INVALID_ARGUMENT', `${op}: '${name}' must be a string, got ${describe(v)}`);
  return v;
}

/** One of the listed strings, or INVALID_ARGUMENT listing them. */
export function oneOf<T extends string>(op: string, name: string, v: unknown, allowed: readonly T[]): T {
  if (!(allowed as readonly unknown[]).includes(v))
    fail(
      'INVALID_ARGUMENT',
      `${op}: '${name}' must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(v)}`,
    );
  return v as T;
}

/** Whether v is a class (typeof 'function', but calling it without `new` throws). */
export function isClass(v: unknown): boolean {
  // A class's prototype property is read-only; a plain function's is writable, an arrow's absent.
  return typeof v === 'function' && Object.getOwnPropertyDescriptor(v, 'prototype')?.writable === false;
}

/** A callable function argument (not a class), or INVALID_ARGUMENT. */
export function fn<F extends (...a: never[]) => unknown>(op: string, name: string, v: unknown): F {
  if (typeof v !== 'function' || isClass(v))
    fail(
      'INVALID_ARGUMENT',
      `${op}: '${name}' must be a function, got ${isClass(v) ? `the class ${(v as { name: string }).name || '(anonymous)'}` : describe(v)}`,
    );
  return v as F;
}

/** An array argument (not array-like), at most `max` long, or INVALID_ARGUMENT. */
export function list(op: string, name: string, v: unknown, max = 2 ** 32 - 1): unknown[] {
  if (!Array.isArray(v)) fail('INVALID_ARGUMENT', `${op}: '${name}' must be an array, got ${describe(v)}`);
  if (v.length > max) fail('INVALID_ARGUMENT', `${op}: '${name}' may have at most ${max} items, got ${v.length}`);
  return v;
}

/** Dimensions beyond this are refused in JS before they reach the core (which allows 16). */
const MAX_SHAPE_DIMS = 64;

/** A shape given as numbers or one array (`reshape(2, 3)` or `reshape([2, 3])`). */
export function shapeArgs(op: string, args: readonly unknown[]): number[] {
  const s = args.length === 1 && Array.isArray(args[0]) ? (args[0] as readonly unknown[]) : args;
  if (s.length > MAX_SHAPE_DIMS)
    fail('INVALID_ARGUMENT', `${op}: shape may have at most ${MAX_SHAPE_DIMS} dimensions, got ${s.length}`);
  for (const d of s)
    if (!Number.isSafeInteger(d))
      fail('INVALID_ARGUMENT', `${op}: shape must be a list of integers, got ${describe(s)}`);
  return [...s] as number[];
}
