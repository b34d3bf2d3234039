/**
 * Forward-mode automatic differentiation, as torch.autograd.forward_ad: inside a dual level, a
 * dual tensor (`makeDual(primal, tangent)`) carries a tangent through the ops applied to it, and
 * `unpackDual(y).tangent` is the directional derivative J t of y along the tangents.
 *
 * The tangents are not pushed op by op: the ops record the usual reverse-mode graph, and
 * unpackDual computes J t from it by the double-vjp identity (J t = d/du <J^T u, t>), two
 * backward passes per unpacked tensor. Values are those of true forward mode; so is the cost
 * when one output is unpacked, and ops run under noGrad() carry no tangent. One level at a time,
 * as torch 1.13.
 * @example
 * const jt = autograd.forwardAd.dualLevel(() => {
 *   const x = autograd.forwardAd.makeDual(primal, direction);
 *   return autograd.forwardAd.unpackDual(model.call(x)).tangent;
 * });
 * @module forwardAd
 */
import { tensorArg } from './args.js';
import { grad } from './autograd.js';
import { fail } from './errors.js';
import { tidy } from './memory.js';
import { zerosLike } from './ops/creation.js';
import { checkOptions, fn as fnArg } from './options.js';
import type { Tensor } from './tensor.js';

/** What unpackDual returns: the primal (a view) and the tangent (null for a tensor that has none). */
export interface UnpackedDual {
  primal: Tensor;
  tangent: Tensor | null;
}

interface Level {
  readonly id: number;
  /** The dual tensors made at this level and their tangents. */
  readonly duals: { dual: Tensor; tangent: Tensor; differentiable: boolean }[];
}
let current: Level | null = null;
let nextId = 0;

function levelOf(op: string, level: unknown): Level | null {
  const o = checkOptions(op, level as { level?: number } | undefined, { level: 'integer' });
  if (o.level !== undefined && (current === null || o.level !== current.id))
    fail('INVALID_ARGUMENT', `${op}: dual level ${o.level} is not the current one (${current?.id ?? 'none'})`);
  return current;
}

/**
 * Enters a new dual level and returns its id (torch's enter_dual_level); prefer dualLevel(fn).
 * Only one level may be active (nested forward mode is not supported, as in torch 1.13).
 */
export function enterDualLevel(): number {
  if (current !== null)
    fail('NOT_IMPLEMENTED', 'enterDualLevel: nested forward mode AD is not supported (a dual level is active)');
  current = { id: nextId++, duals: [] };
  return current.id;
}

/** Leaves the current dual level (torch's exit_dual_level): its dual tensors lose their tangents. */
export function exitDualLevel(options?: { level?: number }): void {
  const level = levelOf('exitDualLevel', options);
  if (level === null) fail('INVALID_ARGUMENT', 'exitDualLevel: no dual level is active');
  current = null;
}

/**
 * Runs fn inside a new dual level and leaves it after, even if fn throws (torch's `with
 * dual_level():`). Returns fn's result. @example forwardAd.dualLevel(() => unpackDual(f(makeDual(x, v))).tangent)
 */
export function dualLevel<T>(fn: () => T): T {
  fnArg('dualLevel', 'fn', fn);
  enterDualLevel();
  try {
    return fn();
  } finally {
    current = null;
  }
}

/**
 * A dual tensor: `primal`'s values, carrying `tangent` (same shape and dtype) through the ops
 * applied to it (torch's make_dual). A primal that requires grad stays differentiable through it.
 * @example const x = forwardAd.makeDual(primal, ones([3]))
 */
export function makeDual(tensor: Tensor, tangent: Tensor, options?: { level?: number }): Tensor {
  const op = 'makeDual';
  const p = tensorArg(op, 'tensor', tensor);
  const t = tensorArg(op, 'tangent', tangent);
  const level = levelOf(op, options);
  if (level === null)
    fail(
      'INVALID_ARGUMENT',
      `${op}: to create a dual tensor, you need to be within a dual level (forwardAd.dualLevel)`,
    );
  if (p.dtype !== 'float32' && p.dtype !== 'float64')
    fail('DTYPE_MISMATCH', `${op}: expected a float32 or float64 primal, got ${p.dtype}`);
  if (t.dtype !== p.dtype)
    fail('DTYPE_MISMATCH', `${op}: expected the tangent to have the primal's dtype ${p.dtype}, got ${t.dtype}`);
  if (t.shape.join() !== p.shape.join())
    fail(
      'SHAPE_MISMATCH',
      `${op}: expected the tangent to have the primal's shape [${p.shape.join(', ')}], got [${t.shape.join(', ')}]`,
    );
  if (t.device !== p.device)
    fail('DEVICE_MISMATCH', `${op}: expected the tangent on the primal's device ${p.device}, got ${t.device}`);
  // A node the graph can be differentiated at: a view of a primal that records, else a new leaf.
  const dual = p.requiresGrad ? p.view(p.shape) : p.detach().requiresGrad_();
  level.duals.push({ dual, tangent: t, differentiable: p.requiresGrad || t.requiresGrad });
  return dual;
}

/**
 * The primal (a view) and tangent of tensor at the current level (torch's unpack_dual): the
 * tangent is J t, the derivative of tensor along every dual's tangent, or null where tensor does
 * not depend on a dual (or no level is active). @example const { tangent } = forwardAd.unpackDual(y)
 */
export function unpackDual(tensor: Tensor, options?: { level?: number }): UnpackedDual {
  const op = 'unpackDual';
  const y = tensorArg(op, 'tensor', tensor);
  const level = levelOf(op, options);
  const primal = y.view(y.shape);
  if (level === null || level.duals.length === 0 || !y.requiresGrad) return { primal, tangent: null };
  const own = level.duals.find((d) => d.dual === y);
  if (own) return { primal, tangent: own.tangent };
  const tangent = tidy(() => {
    const u = zerosLike(y).requiresGrad_();
    const duals = level.duals;
    // J^T u for each dual, differentiable in u
    const gs = grad(
      [y],
      duals.map((d) => d.dual),
      { gradOutputs: [u], createGraph: true, retainGraph: true, allowUnused: true },
    );
    let inner: Tensor | null = null;
    gs.forEach((g, i) => {
      if (g === null) return;
      const term = g.mul(duals[i].tangent).sum();
      inner = inner === null ? term : inner.add(term);
    });
    if (inner === null) return null;
    const differentiable = duals.some((d, i) => gs[i] !== null && d.differentiable);
    // retained: this pass can reach the forward graph's nodes, which later unpacks and backward need
    const [jt] = grad([inner], [u], { createGraph: differentiable, retainGraph: true, allowUnused: true });
    return jt ?? zerosLike(y);
  });
  return { primal, tangent };
}
