// Argument checks shared by the learning-rate schedulers (lr_scheduler.ts, lr_scheduler_more.ts).
import { fail } from '../errors.js';
import { checkOptions, describe } from '../options.js';
import { Optimizer } from './optimizer.js';

/** @internal INVALID_ARGUMENT unless optimizer is an Optimizer. */
export function checkOptimizer(op: string, optimizer: unknown): void {
  if (!(optimizer instanceof Optimizer))
    fail('INVALID_ARGUMENT', `${op}: expected an optimizer, got ${describe(optimizer)}`);
}

/** @internal A scheduler's options, checked by name and kind before the base constructor reads lastEpoch. */
export function schedOptions<T extends object>(
  op: string,
  options: T | undefined,
  spec: Parameters<typeof checkOptions>[2],
): T {
  return checkOptions(op, options, { ...spec, lastEpoch: 'integer' });
}

/** @internal INVALID_ARGUMENT unless v is a positive number (integer where asked). */
export function positive(op: string, name: string, v: unknown, integer = false): void {
  if (typeof v !== 'number' || !(v > 0) || (integer && !Number.isInteger(v)))
    fail(
      'INVALID_ARGUMENT',
      `${op}: '${name}' must be a positive ${integer ? 'integer' : 'number'}, got ${describe(v)}`,
    );
}

/**
 * @internal A number or one per parameter group, each `kind` (a finite number by default):
 * INVALID_ARGUMENT naming op and option otherwise.
 */
export function perGroup(
  op: string,
  name: string,
  v: unknown,
  n: number,
  kind: [string, (x: number) => boolean] = ['number', Number.isFinite],
): number[] {
  const vs = Array.isArray(v) ? v : Array.from({ length: n }, () => v);
  if (vs.length !== n || vs.some((x) => typeof x !== 'number' || !kind[1](x)))
    fail(
      'INVALID_ARGUMENT',
      `${op}: ${name} must be a ${kind[0]} or one per parameter group (${n}), got ${describe(v)}`,
    );
  return vs as number[];
}
