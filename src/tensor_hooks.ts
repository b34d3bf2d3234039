// Tensor.registerHook (torch's Tensor.register_hook): a function the backward engine calls with the
// gradient computed for a tensor, before it is accumulated, captured or passed on; it may return a
// replacement. The engine keeps one native hook per registration (a leaf's on the leaf, a
// non-leaf's on the node that made it) that calls the dispatcher below with the registration's id.
import { binding, type Handle } from './binding.js';
import type { DType } from './dtype.js';
import { fail } from './errors.js';
import { collectMade } from './memory.js';
import { describe, isClass } from './options.js';
import { Tensor, wrap } from './tensor.js';

/** A gradient hook: may return a replacement gradient (same shape, dtype and device), or nothing. */
export type GradHookFn<D extends DType = DType> = (grad: Tensor<D>) => Tensor | undefined | void;

declare module './tensor.js' {
  interface Tensor<D extends DType = DType> {
    /**
     * Calls `hook(grad)` each time backward computes this tensor's gradient, before it is used: a
     * leaf's before it is added to `.grad`, a non-leaf's before it flows on to the tensors it was
     * made from (and before `retainGrad()` stores it, or `autograd.grad` returns it). A hook may
     * return a replacement of the same shape, dtype and device; hooks run in the order registered,
     * each given the previous one's result. As torch's `register_hook`. The hook runs as inside
     * `tidy()`: the gradient and the tensors it makes are disposed when it returns, except the
     * one it returns and those passed to `keep()`.
     * @example
     * const h = x.registerHook((g) => g.clamp(-1, 1)); // clip this tensor's gradient
     * loss.backward();
     * h.remove();
     */
    registerHook(hook: GradHookFn<D>): {
      /** Unhooks `hook` (idempotent). */
      remove(): void;
    };
  }
}

const hooks = new Map<number, (grad: Tensor) => unknown>();
let nextId = 1;

function runHook(id: number, gh: Handle): Handle | null {
  const g = wrap(gh);
  const made: Tensor[] = [];
  try {
    const fn = hooks.get(id);
    if (!fn) return null; // removed while its tensor (or node) still holds it
    const r = collectMade(() => fn(g), made);
    if (r === undefined || r === null) return null;
    if (!(r instanceof Tensor))
      fail('INVALID_ARGUMENT', `registerHook: a hook must return a Tensor or undefined, got ${describe(r)}`);
    return binding.share(r._h);
  } finally {
    for (const t of [g, ...made]) if (!t._kept) t.dispose();
  }
}
binding.setGradHookDispatcher(runHook);

Tensor.prototype.registerHook = function (this: Tensor, hook: GradHookFn) {
  if (typeof hook !== 'function' || isClass(hook))
    fail('INVALID_ARGUMENT', `registerHook: expected a function, got ${describe(hook)}`);
  for (const dead of binding.takeReleasedGradHooks()) hooks.delete(dead);
  const id = nextId++;
  binding.addGradHook(this._h, id); // throws for a tensor that does not require grad
  hooks.set(id, hook as (grad: Tensor) => unknown);
  return {
    remove: () => {
      if (!hooks.delete(id)) return;
      if (!this.isDisposed) binding.removeGradHook(this._h, id);
    },
  };
};
