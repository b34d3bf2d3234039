// Argument checks shared by nn.functional, nn.grad and the losses.
import { fail } from '../errors.js';
import { checkOptions, describe } from '../options.js';

import type { Attr } from '../ops/dispatch.js';

export { tensorArg } from '../args.js';

// The positional attribute layouts of the conv and pool ops, written once on this side (the native
// op layer reads them in the same order): callers fill in named values.

/** conv2d's attributes (its gradients take the input size before them). */
export function convLayout(a: { stride: number[]; padding: number[]; dilation: number[]; groups: number }): Attr[] {
  return [a.stride, a.padding, a.dilation, a.groups];
}

/** The pooling ops' attributes (max_pool2d adds returnIndices after them; the backward ops the input size before). */
export function poolLayout(a: {
  kernelSize: number[];
  stride: number[] | null;
  padding: number[];
  dilation: number[];
  ceilMode: boolean;
  countIncludePad: boolean;
}): Attr[] {
  return [a.kernelSize, a.stride, a.padding, a.dilation, a.ceilMode, a.countIncludePad];
}

/** A size for both spatial dims, or [height, width]. */
export type Pair = number | readonly [number, number];

/** An integer or a pair of integers as a pair (`def` twice when undefined). */
export function pair(op: string, name: string, v: Pair | undefined, def: number): number[] {
  if (v === undefined) return [def, def];
  const list = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(list) || list.length !== 2 || !list.every((x) => Number.isSafeInteger(x)))
    fail('INVALID_ARGUMENT', `${op}: '${name}' must be an integer or a pair of integers, got ${describe(v)}`);
  return [...list];
}

/** checkOptions for options whose values the caller validates itself. */
export function optionsOf<T extends object>(op: string, o: T | undefined, names: readonly string[]): T {
  return checkOptions(op, o, Object.fromEntries(names.map((n) => [n, 'any' as const])));
}

/** A size for all three spatial dims, or [depth, height, width]. */
export type Triple = number | readonly [number, number, number];

/** An integer or three integers as a triple (`def` three times when undefined). */
export function triple(op: string, name: string, v: Triple | undefined, def: number): number[] {
  if (v === undefined) return [def, def, def];
  const list = typeof v === 'number' ? [v, v, v] : v;
  if (!Array.isArray(list) || list.length !== 3 || !list.every((x) => Number.isSafeInteger(x)))
    fail('INVALID_ARGUMENT', `${op}: '${name}' must be an integer or three integers, got ${describe(v)}`);
  return [...list];
}
