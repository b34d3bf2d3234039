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
