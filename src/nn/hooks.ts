// Module hooks, as PyTorch's: forward pre-hooks, forward hooks and full backward hooks. They are
// kept outside the module's fields (a WeakMap), so parameter and child discovery by reflection
// never sees them. While a module has hooks, its instance gets an own `forward` that runs them
// around the class's forward, so they fire whether a parent calls `m.call(x)` or `m.forward(x)`
// (tensorkit's examples write the latter); removing the last hook removes that wrapper.
import { isGradEnabled } from '../autograd.js';
import { CustomFunction, type FunctionCtx } from '../autograd_function.js';
import { fail } from '../errors.js';
import { keep } from '../memory.js';
import { describe, isClass } from '../options.js';
import { Tensor } from '../tensor.js';
import type { Module } from './module.js';

/** `hook(module, inputs)`: may return replacement inputs (an array, or one value for a single input). */
export type ForwardPreHook = (module: Module, inputs: unknown[]) => unknown;
/** `hook(module, inputs, output)`: may return a replacement output (undefined keeps it). */
export type ForwardHook = (module: Module, inputs: unknown[], output: unknown) => unknown;
/**
 * `hook(module, gradInput, gradOutput)`, called when the gradients for the module's tensor inputs
 * are computed: gradOutput holds the gradients of its tensor outputs, gradInput those of its tensor
 * inputs (null where an input needs none). May return replacement gradients for the inputs. The
 * tensors are copies the hooks own (gradOutput's shared by every hook of the call): keep them, or
 * dispose them.
 */
export type FullBackwardHook = (
  module: Module,
  gradInput: (Tensor | null)[],
  gradOutput: (Tensor | null)[],
) => (Tensor | null)[] | undefined | void;

/**
 * `hook(module, gradOutput)`, called in backward when the gradients of the module's tensor outputs
 * are known, before those of its inputs are computed (torch's full backward pre-hook). May return
 * replacement gradients for the outputs. The tensors are copies the hook owns.
 */
export type FullBackwardPreHook = (
  module: Module,
  gradOutput: (Tensor | null)[],
) => (Tensor | null)[] | undefined | void;

/** What `register*Hook` returns: `remove()` unregisters the hook. */
export interface RemovableHandle {
  /** Unregisters the hook (a second call does nothing). */
  remove(): void;
}

interface Hooks {
  pre: Map<number, ForwardPreHook>;
  fwd: Map<number, ForwardHook>;
  bwd: Map<number, FullBackwardHook>;
  bwdPre: Map<number, FullBackwardPreHook>;
  /** The instance's own `forward` before the wrapper (one assigned by the user), if any. */
  own?: PropertyDescriptor;
}

const registry = new WeakMap<Module, Hooks>();
let nextId = 1;

/** Whether any hook is registered on m (nn.Sequential does not fuse such modules). */
export function hasHooks(m: Module): boolean {
  return registry.has(m);
}

type Kind = 'pre' | 'fwd' | 'bwd' | 'bwdPre';

/** @internal Registers `hook` of `kind` on m; see Module.registerForwardHook and friends. */
export function addHook(m: Module, kind: Kind, hook: unknown, op: string): RemovableHandle {
  if (typeof hook !== 'function' || isClass(hook))
    fail('INVALID_ARGUMENT', `${op}: the hook must be a function, got ${describe(hook)}`);
  let h = registry.get(m);
  if (!h) {
    h = {
      pre: new Map(),
      fwd: new Map(),
      bwd: new Map(),
      bwdPre: new Map(),
      own: Object.getOwnPropertyDescriptor(m, 'forward'),
    };
    registry.set(m, h);
    install(m);
  }
  const id = nextId++;
  (h[kind] as Map<number, unknown>).set(id, hook);
  return {
    remove() {
      const cur = registry.get(m);
      if (!cur || !cur[kind].delete(id)) return;
      if (cur.pre.size + cur.fwd.size + cur.bwd.size + cur.bwdPre.size === 0) {
        registry.delete(m);
        if (cur.own) Object.defineProperty(m, 'forward', cur.own);
        else delete (m as unknown as Record<string, unknown>).forward;
      }
    },
  };
}

/**
 * @internal Registers on `to` (a deep copy of `from`) every hook `from` has, after putting back
 * the copy's own forward (the copy holds from's hook wrapper as a copied field). Returns the new
 * handle of each hook function, for the registries that hold handles (pruning).
 */
export function copyHooks(from: Module, to: Module): Map<unknown, RemovableHandle> {
  const handles = new Map<unknown, RemovableHandle>();
  const h = registry.get(from);
  if (!h) return handles;
  if (h.own) Object.defineProperty(to, 'forward', h.own);
  else delete (to as unknown as Record<string, unknown>).forward;
  for (const kind of ['pre', 'fwd', 'bwd', 'bwdPre'] as const)
    for (const fn of h[kind].values()) handles.set(fn, addHook(to, kind, fn, 'deepCopy'));
  return handles;
}

// The instance's own forward: its forward so far (the class's, or one assigned to the instance)
// with the hooks around it.
function install(m: Module): void {
  const base = m.forward as (...a: unknown[]) => unknown;
  Object.defineProperty(m, 'forward', {
    value: function hooked(this: Module, ...args: unknown[]) {
      return runHooked(this, base, args);
    },
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

const tensorsIn = (v: unknown): Tensor[] =>
  v instanceof Tensor ? [v] : Array.isArray(v) ? v.filter((x): x is Tensor => x instanceof Tensor) : [];

function runHooked(m: Module, base: (...a: unknown[]) => unknown, args: unknown[]): unknown {
  const h = registry.get(m);
  if (!h) return base.apply(m, args);
  for (const hook of [...h.pre.values()]) {
    const r = hook(m, args);
    if (r !== undefined) args = Array.isArray(r) ? r : [r];
  }
  const backward = h.bwd.size + h.bwdPre.size > 0 && isGradEnabled();
  const state: BackwardState = { module: m, hooks: h, gradOutput: null, inputsWrapped: false };
  if (backward) {
    // The module's tensor inputs that need gradients pass through an identity node whose backward
    // runs the hooks, once every gradient of the module's inputs is known.
    const idx = args.flatMap((a, i) => (a instanceof Tensor && a.requiresGrad ? [i] : []));
    if (idx.length > 0) {
      const outs = HookInputs.apply(state, ...idx.map((i) => args[i] as Tensor)) as Tensor[];
      args = args.slice();
      idx.forEach((i, k) => (args[i] = outs[k]));
      state.inputsWrapped = true;
    }
  }
  let out = base.apply(m, args);
  for (const hook of [...h.fwd.values()]) {
    const r = hook(m, args, out);
    if (r !== undefined) out = r;
  }
  if (backward) {
    // The tensor outputs pass through an identity node that records the gradients arriving at them.
    const outs = tensorsIn(out).filter((t) => t.requiresGrad);
    if (outs.length > 0) {
      const wrapped = HookOutputs.apply(state, ...outs) as Tensor[];
      if (out instanceof Tensor) out = wrapped[0];
      else if (Array.isArray(out)) {
        let k = 0;
        out = out.map((v) => (v instanceof Tensor && v.requiresGrad ? wrapped[k++] : v));
      }
    }
  }
  return out;
}

interface BackwardState {
  module: Module;
  hooks: Hooks;
  gradOutput: (Tensor | null)[] | null;
  inputsWrapped: boolean;
}

// Kept: the backward's own tensors are freed when it returns, and tidy() must not take these.
const copies = (ts: (Tensor | null)[]) => ts.map((t) => (t ? keep(t.detach().clone()) : null));

function callBackwardHooks(st: BackwardState, gradInput: (Tensor | null)[]): (Tensor | null)[] {
  let gi = gradInput;
  for (const hook of [...st.hooks.bwd.values()]) {
    const r = hook(st.module, copies(gi), st.gradOutput ?? []);
    if (r !== undefined && r !== null) {
      if (!Array.isArray(r) || r.length !== gi.length)
        fail(
          'INVALID_ARGUMENT',
          `registerFullBackwardHook: a hook must return undefined or ${gi.length} gradients, got ${describe(r)}`,
        );
      gi = r;
    }
  }
  return gi;
}

// Identity nodes (views of their inputs): the first argument is the call's state, the rest tensors.
class HookOutputs extends CustomFunction {
  static forward(ctx: FunctionCtx, st: BackwardState, ...ts: Tensor[]): Tensor[] {
    ctx.st = st;
    return ts.map((t) => t.view(t.shape));
  }
  static backward(ctx: FunctionCtx, ...given: (Tensor | null)[]): (Tensor | null)[] {
    const st = ctx.st as BackwardState;
    let grads = given;
    for (const hook of [...st.hooks.bwdPre.values()]) {
      const r = hook(st.module, copies(grads));
      if (r === undefined || r === null) continue;
      if (!Array.isArray(r) || r.length !== grads.length || r.some((g) => g !== null && !(g instanceof Tensor)))
        fail(
          'INVALID_ARGUMENT',
          `registerFullBackwardPreHook: a hook must return undefined or ${grads.length} gradients (Tensor or null), got ${describe(r)}`,
        );
      grads = r;
    }
    st.gradOutput = copies(grads); // the engine frees its own before the inputs' node runs
    // No input needs a gradient: PyTorch calls the hooks here, with gradInput empty.
    if (!st.inputsWrapped) callBackwardHooks(st, []);
    return [null, ...grads];
  }
}
class HookInputs extends CustomFunction {
  static forward(ctx: FunctionCtx, st: BackwardState, ...ts: Tensor[]): Tensor[] {
    ctx.st = st;
    return ts.map((t) => t.view(t.shape));
  }
  static backward(ctx: FunctionCtx, ...grads: (Tensor | null)[]): (Tensor | null)[] {
    return [null, ...callBackwardHooks(ctx.st as BackwardState, grads)];
  }
}
