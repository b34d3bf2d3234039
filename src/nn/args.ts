// Argument checks shared by nn.functional, nn.grad and the losses.
import { fail } from '../errors.js';
import { checkOptions, describe } from '../options.js';

export { tensorArg } from '../args.js';

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
