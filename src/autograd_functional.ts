// torch.autograd.functional: vjp, jvp, jacobian, hessian, vhp and hvp of a function of tensors,
// all by reverse mode (autograd.grad). jvp and hvp use the double-vjp trick: with u a dummy
// cotangent, g(u) = Jᵀu is linear in u, so the vjp of g with v is J v. The jacobian takes one
// backward per output element (torch's default, vectorize=false).
//
// As torch's: `inputs` is a Tensor or an array of tensors and each result mirrors that structure
// (a Tensor for a Tensor, an array for an array); inputs are detached copies that require grad,
// so the caller's graph is untouched unless `createGraph` (then results are differentiable, and
// inputs that require grad stay connected); an output that does not depend on an input gives
// zeros, or with `strict` a TensorError.
import { grad } from './autograd.js';
import { isFloating } from './dtype.js';
import { fail } from './errors.js';
import { tidy } from './memory.js';
import { checkOptions, describe, isClass } from './options.js';
import { eye, onesLike, zerosLike } from './ops/creation.js';
import { stack } from './ops/functional.js';
import { Tensor } from './tensor.js';

/** Options of the functional derivatives. */
export interface FunctionalOptions {
  /** Record the computation, so the results are differentiable (default false: detached). */
  createGraph?: boolean;
  /** Throw when an output is independent of an input, instead of giving zeros (default false). */
  strict?: boolean;
}
/** One tensor, or several. */
export type Tensors = Tensor | readonly Tensor[];
/** A function of tensors, as the functional derivatives take it. */
export type TensorFunction = (...inputs: Tensor[]) => Tensors;

interface Prepared {
  list: Tensor[];
  single: boolean;
}

function listOf(op: string, what: string, v: unknown): Prepared {
  const single = v instanceof Tensor;
  const list = single ? [v] : v;
  if (!Array.isArray(list) || list.length === 0)
    fail('INVALID_ARGUMENT', `${op}: ${what} must be a Tensor or a non-empty array of tensors, got ${describe(v)}`);
  list.forEach((t, i) => {
    if (!(t instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: ${what}[${i}] is not a Tensor, got ${describe(t)}`);
  });
  return { list: list as Tensor[], single };
}

// The inputs as the function sees them: floating tensors requiring grad, detached from the
// caller's graph unless createGraph (where a view keeps an input that requires grad connected).
function prepareInputs(op: string, inputs: unknown, create: boolean): Prepared {
  const p = listOf(op, 'inputs', inputs);
  return {
    single: p.single,
    list: p.list.map((x, i) => {
      if (!isFloating(x.dtype))
        fail('DTYPE_MISMATCH', `${op}: inputs[${i}] must be floating to be differentiated, got ${x.dtype}`);
      if (create && x.requiresGrad) return x.view(x.shape);
      const d = x.detach();
      d.requiresGrad = true;
      return d;
    }),
  };
}

function callFunc(op: string, func: TensorFunction, inputs: Tensor[]): Prepared {
  if (typeof func !== 'function' || isClass(func))
    fail('INVALID_ARGUMENT', `${op}: func must be a function of tensors, got ${describe(func)}`);
  return listOf(op, "func's result", func(...inputs));
}

function checkLike(op: string, what: string, v: Tensor[], like: Tensor[]): void {
  if (v.length !== like.length)
    fail('INVALID_ARGUMENT', `${op}: expected ${like.length} tensors in ${what}, got ${v.length}`);
  v.forEach((t, i) => {
    if (t.shape.join() !== like[i].shape.join())
      fail(
        'SHAPE_MISMATCH',
        `${op}: ${what}[${i}] has shape [${t.shape.join(', ')}], expected [${like[i].shape.join(', ')}]`,
      );
  });
}

// v as given, or ones for single-element tensors where it is omitted (torch allows only that).
function vectorFor(op: string, v: unknown, like: Prepared, what: string): Tensor[] {
  if (v === undefined || v === null) {
    like.list.forEach((t, i) => {
      if (t.numel() !== 1)
        fail(
          'INVALID_ARGUMENT',
          `${op}: v can be omitted only when each of the ${what} has one element; ${what}[${i}] has shape [${t.shape.join(', ')}]`,
        );
    });
    return like.list.map((t) => onesLike(t));
  }
  const p = listOf(op, 'v', v);
  checkLike(op, 'v', p.list, like.list);
  return p.list;
}

// The vjp of `outs` with cotangents `vs`, per input: zeros (or, strict, an error) where no output
// depends on the input.
function vjpOf(op: string, outs: Tensor[], vs: Tensor[], ins: Tensor[], create: boolean, strict: boolean): Tensor[] {
  const live = outs.map((o, i) => [o, vs[i]] as const).filter(([o]) => o.requiresGrad);
  const gs = live.length
    ? grad(
        live.map(([o]) => o),
        ins,
        { gradOutputs: live.map(([, v]) => v), createGraph: create, retainGraph: true, allowUnused: true },
      )
    : ins.map(() => null);
  return gs.map((g, i) => {
    if (g !== null) return g;
    if (strict) fail('INVALID_ARGUMENT', `${op}: the output is independent of inputs[${i}] (strict mode)`);
    return zerosLike(ins[i]);
  });
}

// What a result hands back: detached unless createGraph.
const out = (t: Tensor, create: boolean) => (create ? t : t.detach());
const shaped = (ts: Tensor[], single: boolean, create: boolean): Tensors =>
  single ? out(ts[0], create) : ts.map((t) => out(t, create));

function opts(op: string, options: FunctionalOptions | undefined) {
  const o = checkOptions(op, options, { createGraph: 'boolean', strict: 'boolean' });
  return { create: o.createGraph ?? false, strict: o.strict ?? false };
}

/**
 * The vector-Jacobian product vᵀJ of func at inputs (torch.autograd.functional.vjp), with func's
 * outputs: `[outputs, vjp]`. `v` matches the outputs (omit it for one-element outputs).
 * @example const [y, g] = autograd.functional.vjp((x) => x.pow(2), x, ones([3])); // g = 2x
 */
export function vjp(
  func: TensorFunction,
  inputs: Tensors,
  v?: Tensors | null,
  options?: FunctionalOptions,
): [Tensors, Tensors] {
  const op = 'vjp';
  const { create, strict } = opts(op, options);
  return tidy(() => {
    const ins = prepareInputs(op, inputs, create);
    const outs = callFunc(op, func, ins.list);
    const vs = vectorFor(op, v, outs, 'outputs');
    const g = vjpOf(op, outs.list, vs, ins.list, create, strict);
    return [shaped(outs.list, outs.single, create), shaped(g, ins.single, create)];
  });
}

/**
 * The Jacobian-vector product J v of func at inputs (torch.autograd.functional.jvp), by the
 * double-vjp trick, with func's outputs: `[outputs, jvp]`. `v` matches the inputs (omit it for
 * one-element inputs).
 * @example const [y, d] = autograd.functional.jvp((x) => x.sin(), x, ones([3])); // d = cos x
 */
export function jvp(
  func: TensorFunction,
  inputs: Tensors,
  v?: Tensors | null,
  options?: FunctionalOptions,
): [Tensors, Tensors] {
  const op = 'jvp';
  const { create, strict } = opts(op, options);
  return tidy(() => {
    const ins = prepareInputs(op, inputs, create);
    const vs = vectorFor(op, v, ins, 'inputs');
    const outs = callFunc(op, func, ins.list);
    const us = outs.list.map((o) => {
      const u = zerosLike(o);
      u.requiresGrad = true;
      return u;
    });
    const gi = vjpOf(op, outs.list, us, ins.list, true, strict); // Jᵀu, differentiable in u
    const jv = vjpOf(op, gi, vs, us, create, false); // the vjp of u -> Jᵀu with v: J v
    return [shaped(outs.list, outs.single, create), shaped(jv, outs.single, create)];
  });
}

// One row of the Jacobian per element of each output: rows[j][i] is d out_j / d in_i reshaped to
// out_j's shape followed by in_i's.
function jacobianRows(op: string, outs: Tensor[], ins: Tensor[], create: boolean, strict: boolean): Tensor[][] {
  return outs.map((o, j) => {
    const n = o.numel();
    if (!o.requiresGrad) {
      if (strict) fail('INVALID_ARGUMENT', `${op}: output ${j} is independent of the inputs (strict mode)`);
      return ins.map((x) =>
        zerosLike(x)
          .reshape([1, ...x.shape])
          .expand([n, ...x.shape])
          .reshape([...o.shape, ...x.shape]),
      );
    }
    const basis = eye(n, { dtype: o.dtype, device: o.device });
    const perRow = Array.from({ length: n }, (_, k) =>
      vjpOf(op, [o], [basis.select(0, k).reshape(o.shape)], ins, create, strict),
    );
    return ins.map((x, i) =>
      n === 0
        ? zerosLike(x).reshape([...o.shape, ...x.shape])
        : stack(
            perRow.map((r) => r[i]),
            0,
          ).reshape([...o.shape, ...x.shape]),
    );
  });
}

/**
 * The Jacobian of func at inputs (torch.autograd.functional.jacobian): for one output and one
 * input a Tensor of shape [...output.shape, ...input.shape]; for several inputs an array over
 * them; for several outputs an array over the outputs (of arrays over the inputs if both).
 * @example const J = autograd.functional.jacobian((x) => x.pow(2), tensor([1, 2])); // diag(2, 4)
 */
export function jacobian(
  func: TensorFunction,
  inputs: Tensors,
  options?: FunctionalOptions,
): Tensor | Tensor[] | Tensor[][] {
  const op = 'jacobian';
  const { create, strict } = opts(op, options);
  return tidy(() => {
    const ins = prepareInputs(op, inputs, create);
    const outs = callFunc(op, func, ins.list);
    const rows = jacobianRows(op, outs.list, ins.list, create, strict).map((r) => r.map((t) => out(t, create)));
    const perOutput = rows.map((r) => (ins.single ? r[0] : r));
    return (outs.single ? perOutput[0] : perOutput) as Tensor | Tensor[] | Tensor[][];
  });
}

// The gradient of a scalar function, differentiable (the inner function of hessian, vhp, hvp).
function gradientOf(op: string, func: TensorFunction, ins: Tensor[], strict: boolean): { value: Tensor; g: Tensor[] } {
  const outs = callFunc(op, func, ins);
  if (outs.list.length !== 1 || outs.list[0].numel() !== 1)
    fail(
      'INVALID_ARGUMENT',
      `${op}: func must return a single one-element tensor, got ${outs.list.length} tensors of shape [${outs.list[0].shape.join(', ')}]`,
    );
  const value = outs.list[0];
  return { value, g: vjpOf(op, [value], [onesLike(value)], ins, true, strict) };
}

/**
 * The Hessian of a scalar func at inputs (torch.autograd.functional.hessian): for one input a
 * Tensor of shape [...input.shape, ...input.shape]; for several, H[i][j] = d²f / d in_i d in_j.
 * @example const H = autograd.functional.hessian((x) => x.pow(3).sum(), tensor([1, 2])); // diag(6x)
 */
export function hessian(func: TensorFunction, inputs: Tensors, options?: FunctionalOptions): Tensor | Tensor[][] {
  const op = 'hessian';
  const { create, strict } = opts(op, options);
  return tidy(() => {
    const ins = prepareInputs(op, inputs, create);
    const { g } = gradientOf(op, func, ins.list, strict);
    const rows = jacobianRows(op, g, ins.list, create, strict).map((r) => r.map((t) => out(t, create)));
    return ins.single ? rows[0][0] : rows;
  });
}

/**
 * vᵀH for a scalar func (torch.autograd.functional.vhp): `[func(inputs), vhp]`, v matching the
 * inputs (omit it for one-element inputs).
 * @example const [f, g] = autograd.functional.vhp((x) => x.pow(3).sum(), x, ones([2]));
 */
export function vhp(
  func: TensorFunction,
  inputs: Tensors,
  v?: Tensors | null,
  options?: FunctionalOptions,
): [Tensor, Tensors] {
  const op = 'vhp';
  const { create, strict } = opts(op, options);
  return tidy(() => {
    const ins = prepareInputs(op, inputs, create);
    const vs = vectorFor(op, v, ins, 'inputs');
    const { value, g } = gradientOf(op, func, ins.list, strict);
    const r = vjpOf(op, g, vs, ins.list, create, strict);
    return [out(value, create), shaped(r, ins.single, create)];
  });
}

/**
 * H v for a scalar func (torch.autograd.functional.hvp), by the double-vjp trick (exact where H
 * is not symmetric): `[func(inputs), hvp]`.
 * @example const [f, hv] = autograd.functional.hvp((x) => x.pow(3).sum(), x, ones([2]));
 */
export function hvp(
  func: TensorFunction,
  inputs: Tensors,
  v?: Tensors | null,
  options?: FunctionalOptions,
): [Tensor, Tensors] {
  const op = 'hvp';
  const { create, strict } = opts(op, options);
  return tidy(() => {
    const ins = prepareInputs(op, inputs, create);
    const vs = vectorFor(op, v, ins, 'inputs');
    const { value, g } = gradientOf(op, func, ins.list, strict);
    const us = g.map((t) => {
      const u = zerosLike(t);
      u.requiresGrad = true;
      return u;
    });
    const hu = vjpOf(op, g, us, ins.list, true, strict); // Hᵀu
    const r = vjpOf(op, hu, vs, us, create, false); // H v
    return [out(value, create), shaped(r, ins.single, create)];
  });
}
