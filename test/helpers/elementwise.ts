// The element-wise ops the test tables cover, read from the generated op list (so a new op in
// ops.def is tested without editing a list here), and the one fact the tables need that ops.def
// does not hold: each unary op's input domain.
import * as tk from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { NATIVE_OPS, OP_NAMES, type OpName } from '../../src/ops/ops.generated.js';
import { OP_EXPOSURE } from '../../src/ops/table.js';

type Facts = (typeof NATIVE_OPS)[OpName];
type OutOfPlace<K extends string> = {
  [N in OpName]: (typeof NATIVE_OPS)[N] extends { kind: K; inplace: boolean } ? N : never;
}[OpName];

/** Unary element-wise ops (not the in-place twins; clamp and polygamma, with their parameters, have their own rows). */
export type UnaryName = Exclude<OutOfPlace<'unary'>, 'clamp' | 'polygamma'>;
/** Binary element-wise ops (not the in-place twins). */
export type BinaryName = OutOfPlace<'binary'>;

const facts = (n: OpName): Facts => NATIVE_OPS[n];

export const UNARY_OPS = OP_NAMES.filter(
  (n) => facts(n).kind === 'unary' && 'inplace' in facts(n) && n !== 'clamp' && n !== 'polygamma',
) as UnaryName[];
export const BINARY_OPS = OP_NAMES.filter((n) => facts(n).kind === 'binary' && 'inplace' in facts(n)) as BinaryName[];

/** The Tensor method of an op name (snake_case in ops.def, camelCase in TS: floor_divide is floorDivide). */
export function methodOf<N extends string>(op: N): string {
  return op.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Runs an element-wise op where the package exposes it (src/ops/table.ts): the Tensor method of its
 * name, a.op(b), or its nn function, nn.functional.silu(a) or nn.grad.gelu(a, b).
 */
export function callOp(op: OpName, a: Tensor, b?: Tensor | number): Tensor {
  const where = OP_EXPOSURE[op];
  if (where.startsWith('nn:')) {
    const [space, fn] = where.slice(3).split('.') as [string, string];
    const f = (tk.nn as unknown as Record<string, Record<string, (...xs: unknown[]) => Tensor>>)[space]![fn]!;
    return b === undefined ? f(a) : f(a, b);
  }
  const m = a[where as 'add'] as (o?: Tensor | number) => Tensor;
  return b === undefined ? (m as () => Tensor).call(a) : m.call(a, b);
}

/** The dtype rule and in-place flag of an element-wise op, from ops.def. */
export function ruleOf(n: UnaryName | BinaryName): { rule: string; inplace: boolean } {
  const f = facts(n) as { rule: string; inplace: boolean };
  return { rule: f.rule, inplace: f.inplace };
}

/** Where a unary op is defined (real, finite, away from poles), for float inputs. Default [-3, 3]. */
export const UNARY_DOMAIN: Partial<Record<UnaryName, [number, number]>> = {
  log: [0.5, 3],
  log1p: [-0.5, 3],
  sqrt: [0.5, 3],
  rsqrt: [0.5, 3],
  tan: [-1.2, 1.2],
  asin: [-0.9, 0.9],
  acos: [-0.9, 0.9],
  atanh: [-0.9, 0.9],
  acosh: [1.1, 3],
  log2: [0.5, 3],
  log10: [0.5, 3],
  reciprocal: [0.5, 3],
  erfinv: [-0.9, 0.9],
  ndtri: [0.05, 0.95],
  // the second-kind Bessel functions: real for x > 0, poles at 0
  bessel_y0: [0.2, 6],
  bessel_y1: [0.2, 6],
  modified_bessel_k0: [0.2, 6],
  modified_bessel_k1: [0.2, 6],
  scaled_modified_bessel_k0: [0.2, 6],
  scaled_modified_bessel_k1: [0.2, 6],
  // away from the poles at 0, -1, -2, ...
  lgamma: [0.2, 6],
  digamma: [0.2, 6],
};
