// nn.Module: the one base class for layers and models. Parameters, buffers and child modules are
// found from the instance's own fields (so `fc1 = new nn.Linear(4, 16)` registers itself), with
// parameters marked by nn.Parameter() and buffers by registerBuffer().
import { fail } from '../errors.js';
import { Tensor } from '../tensor.js';

const PARAM = Symbol('tensorkit.parameter');

/**
 * Marks a tensor as a module parameter: a leaf that requires grad, found by parameters().
 * @example this.weight = nn.Parameter(randn([4, 3]))
 */
export function Parameter(t: Tensor, requiresGrad = true): Tensor {
  if (!(t instanceof Tensor)) fail('INVALID_ARGUMENT', 'Parameter: expected a Tensor');
  t.requiresGrad = requiresGrad;
  (t as unknown as Record<symbol, boolean>)[PARAM] = true;
  return t;
}

/** Whether t was made by nn.Parameter(). */
export function isParameter(t: unknown): t is Tensor {
  return t instanceof Tensor && (t as unknown as Record<symbol, boolean>)[PARAM] === true;
}

/**
 * Base class of every layer and model. Subclass it, assign parameters (nn.Parameter), buffers
 * (registerBuffer) and child modules as fields, and implement forward().
 * @example
 * class Net extends nn.Module {
 *   fc = new nn.Linear(4, 3);
 *   forward(x: Tensor) { return this.fc.forward(x).relu(); }
 * }
 */
export abstract class Module {
  /** Training mode (dropout active, batch norm on batch statistics); set by train()/eval(). */
  training = true;
  private readonly _buffers = new Set<string>();

  abstract forward(...args: Tensor[]): Tensor;

  /** forward(), as calling a PyTorch module. @example const y = model.call(x) */
  call(...args: Tensor[]): Tensor {
    return this.forward(...args);
  }

  /** Registers a non-trainable tensor (running statistics) saved in the state dict. */
  registerBuffer(name: string, t: Tensor | null): void {
    this._buffers.add(name);
    (this as unknown as Record<string, Tensor | null>)[name] = t;
  }

  /** [name, parameter] pairs, children's prefixed with their field name ("fc1.weight"). */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [k, v] of Object.entries(this)) {
      if (isParameter(v)) out.push([prefix + k, v]);
      else if (v instanceof Module) out.push(...v.namedParameters(`${prefix}${k}.`));
    }
    return out;
  }
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }
  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [k, v] of Object.entries(this)) {
      if (this._buffers.has(k) && v instanceof Tensor) out.push([prefix + k, v]);
      else if (v instanceof Module) out.push(...v.namedBuffers(`${prefix}${k}.`));
    }
    return out;
  }
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }
  /** Direct child modules. */
  children(): Module[] {
    return Object.values(this).filter((v): v is Module => v instanceof Module);
  }
  /** Sets training mode on this module and every descendant; returns this. */
  train(mode = true): this {
    this.training = mode;
    for (const c of this.children()) c.train(mode);
    return this;
  }
  /** Same as train(false). */
  eval(): this {
    return this.train(false);
  }
  /** Clears the gradients of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }
}
