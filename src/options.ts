// Validation of what only JS can see: option names and types, argument types.
import { fail } from './errors.js';

type Kind = 'boolean' | 'number' | 'integer' | 'string' | 'dims' | 'any';

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
    case 'boolean': return typeof v === 'boolean';
    case 'number': return typeof v === 'number';
    case 'integer': return Number.isInteger(v);
    case 'string': return typeof v === 'string';
    case 'dims': return Number.isInteger(v) || (Array.isArray(v) && v.every((x) => Number.isInteger(x)));
    case 'any': return true;
  }
}

/**
 * Checks an options object: unknown names are an INVALID_ARGUMENT error naming the nearest valid
 * option, and each value must be of its declared kind (undefined means "default").
 */
export function checkOptions<T extends object>(op: string, opts: T | undefined, spec: Record<string, Kind>): T {
  if (opts === undefined || opts === null) return {} as T;
  if (typeof opts !== 'object' || Array.isArray(opts))
    fail('INVALID_ARGUMENT', `${op}: options must be an object, got ${describe(opts)}`);
  const allowed = Object.keys(spec);
  for (const [k, v] of Object.entries(opts)) {
    const kind = spec[k];
    if (kind === undefined && v === undefined) continue;  // undefined means "default", for any name
    if (kind === undefined) {
      const hint = nearest(k, allowed);
      fail('INVALID_ARGUMENT', `${op}: unknown option '${k}'` + (hint ? ` (did you mean '${hint}'?)` : allowed.length ? ` (valid options: ${allowed.join(', ')})` : ''));
    }
    if (v !== undefined && !matches(kind, v))
      fail('INVALID_ARGUMENT', `${op}: option '${k}' must be ${kind === 'dims' ? 'an integer or a list of integers' : `a ${kind}`}, got ${describe(v)}`);
  }
  return opts;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map(describe).join(', ')}]`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return String(v);
}

/** An integer argument, or INVALID_ARGUMENT naming the op and the value. */
export function int(op: string, name: string, v: unknown): number {
  if (!Number.isInteger(v)) fail('INVALID_ARGUMENT', `${op}: '${name}' must be an integer, got ${describe(v)}`);
  return v as number;
}

/** A shape given as numbers or one array (`reshape(2, 3)` or `reshape([2, 3])`). */
export function shapeArgs(op: string, args: readonly (number | readonly number[])[]): number[] {
  const s = args.length === 1 && Array.isArray(args[0]) ? (args[0] as readonly number[]) : (args as readonly number[]);
  for (const d of s)
    if (!Number.isInteger(d)) fail('INVALID_ARGUMENT', `${op}: shape must be a list of integers, got ${describe(s)}`);
  return [...s];
}
