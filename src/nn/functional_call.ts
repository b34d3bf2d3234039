// functionalCall (torch.func.functional_call / torch.nn.utils.stateless.functional_call): runs a
// module with some of its parameters and buffers replaced by given tensors, for that call only:
// meta-learning's inner steps, ensembles of weights, the gradient with respect to a set of weights
// that are not the module's own. The module's fields are swapped and always restored.
import { fail } from '../errors.js';
import { checkOptions, describe, isOptionsObject } from '../options.js';
import { Tensor } from '../tensor.js';
import type { Module } from './module.js';

/** Options of functionalCall. */
export interface FunctionalCallOptions {
  /** A weight tied under several names is replaced under all of them when one is given (default true). */
  tieWeights?: boolean;
  /** Every parameter and buffer must be given (default false: the others stay the module's). */
  strict?: boolean;
}

/**
 * `module.call(...args)` with the parameters and buffers named in `tensors` ("fc1.weight", as
 * namedParameters names them) replaced for this call; the module is unchanged afterwards, even
 * when the call throws. `args` is the argument list (a non-array value is the single argument).
 * Gradients flow to the given tensors, not to the module's own.
 * @example
 * const fast = { 'fc.weight': w.sub(g.mul(0.1)) };              // a MAML inner step
 * const loss = nn.utils.functionalCall(model, fast, [x]).sub(y).square().mean();
 */
export function functionalCall(
  module: Module,
  tensors: Record<string, Tensor> | Map<string, Tensor>,
  args: unknown,
  options?: FunctionalCallOptions,
): unknown {
  const op = 'functionalCall';
  if (module === null || typeof module !== 'object' || typeof (module as Module).namedParameters !== 'function')
    fail('INVALID_ARGUMENT', `${op}: expected an nn.Module, got ${describe(module)}`);
  const o = checkOptions(op, options, { tieWeights: 'boolean', strict: 'boolean' });
  const given =
    tensors instanceof Map ? new Map(tensors) : isOptionsObject(tensors) ? new Map(Object.entries(tensors)) : null;
  if (given === null) fail('INVALID_ARGUMENT', `${op}: expected an object or Map of tensors, got ${describe(tensors)}`);
  for (const [k, v] of given)
    if (!(v instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: '${k}' is not a Tensor, got ${describe(v)}`);
  // Every name of every parameter and buffer, with the tensor it holds now.
  const names = new Map([...module.namedParameters('', false), ...module.namedBuffers('', false)]);
  const unknown = [...given.keys()].filter((k) => !names.has(k));
  if (unknown.length)
    fail(
      'INVALID_ARGUMENT',
      `${op}: ${JSON.stringify(unknown)} name no parameter or buffer of ${module.constructor.name}`,
    );
  // The replacement of each original tensor; with tieWeights, every name of a given one takes it.
  const byTensor = new Map<Tensor, [string, Tensor]>();
  if (o.tieWeights ?? true)
    for (const [k, v] of given) {
      const orig = names.get(k)!;
      const prev = byTensor.get(orig);
      if (prev && prev[1] !== v)
        fail(
          'INVALID_ARGUMENT',
          `${op}: '${prev[0]}' and '${k}' are tied (one tensor) but were given different tensors`,
        );
      byTensor.set(orig, [k, v]);
    }
  const plan: [string, Tensor][] = [...names].flatMap(([k, orig]) => {
    const v = given.get(k) ?? byTensor.get(orig)?.[1];
    return v === undefined ? [] : [[k, v]];
  });
  if (o.strict) {
    const missing = [...names.keys()].filter((k) => !plan.some(([p]) => p === k));
    if (missing.length) fail('INVALID_ARGUMENT', `${op}: strict, and ${JSON.stringify(missing)} were not given`);
  }
  // Swap the fields, call, restore.
  const restore: [Record<string, unknown>, string, unknown][] = [];
  try {
    for (const [path, v] of plan) {
      const parts = path.split('.');
      let owner = module as unknown as Record<string, unknown>;
      for (const p of parts.slice(0, -1)) owner = owner[p] as Record<string, unknown>;
      const key = parts[parts.length - 1];
      restore.push([owner, key, owner[key]]);
      owner[key] = v;
    }
    const list = Array.isArray(args) ? args : [args];
    return (module as unknown as { call(...a: unknown[]): unknown }).call(...list);
  } finally {
    for (const [owner, key, v] of restore.reverse()) owner[key] = v;
  }
}
