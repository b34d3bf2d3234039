// Containers and activation modules.
import { fail } from '../errors.js';
import { describe } from '../options.js';
import type { Tensor } from '../tensor.js';
import * as F from './functional.js';
import { Module } from './module.js';

function checkModule(op: string, m: unknown, at: string): Module {
  if (!(m instanceof Module)) fail('INVALID_ARGUMENT', `${op}: ${at} is not a Module, got ${describe(m)}`);
  return m;
}

/**
 * Runs its modules in order; children are named '0', '1', ... (or by the keys of an object).
 * @example const mlp = new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Linear(16, 3))
 */
export class Sequential extends Module {
  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    const first = modules[0];
    const isRecord = modules.length === 1 && typeof first === 'object' && first !== null && !(first instanceof Module) && !Array.isArray(first);
    const named = isRecord ? Object.entries(first as Record<string, Module>) : (modules as Module[]).map((m, i) => [String(i), m] as const);
    for (const [k, m] of named) (this as unknown as Record<string, Module>)[k] = checkModule('Sequential', m, `module '${k}'`);
  }
  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.children()) {
      const next = m.forward(y);
      if (y !== x) y.dispose();
      y = next;
    }
    return y === x ? x.view(x.shape) : y;
  }
  get length(): number {
    return this.children().length;
  }
}

/** A list of modules registered as children '0', '1', ... @example this.layers = new nn.ModuleList([a, b]) */
export class ModuleList extends Module {
  private count = 0;
  constructor(modules: readonly Module[] = []) {
    super();
    modules.forEach((m) => this.append(m));
  }
  append(m: Module): this {
    (this as unknown as Record<string, Module>)[String(this.count)] = checkModule('ModuleList', m, `element ${this.count}`);
    this.count++;
    return this;
  }
  get(i: number): Module {
    const m = (this as unknown as Record<string, Module>)[String(i < 0 ? i + this.count : i)];
    if (!(m instanceof Module)) fail('INDEX_OUT_OF_RANGE', `ModuleList: index ${i} out of range for length ${this.count}`);
    return m;
  }
  get length(): number {
    return this.count;
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }
  forward(): Tensor {
    fail('NOT_IMPLEMENTED', 'ModuleList has no forward(); call its modules');
  }
}

/** Modules by name, registered as children. @example this.heads = new nn.ModuleDict({ cls: a, box: b }) */
export class ModuleDict extends Module {
  constructor(modules: Record<string, Module> = {}) {
    super();
    for (const [k, m] of Object.entries(modules)) this.set(k, m);
  }
  set(key: string, m: Module): this {
    if (key in this && !((this as unknown as Record<string, unknown>)[key] instanceof Module)) fail('INVALID_ARGUMENT', `ModuleDict: key '${key}' is reserved`);
    (this as unknown as Record<string, Module>)[key] = checkModule('ModuleDict', m, `'${key}'`);
    return this;
  }
  get(key: string): Module {
    const m = (this as unknown as Record<string, unknown>)[key];
    if (!(m instanceof Module)) fail('INVALID_ARGUMENT', `ModuleDict: no module named '${key}'`);
    return m;
  }
  keys(): string[] {
    return Object.entries(this).filter(([, v]) => v instanceof Module).map(([k]) => k);
  }
  forward(): Tensor {
    fail('NOT_IMPLEMENTED', 'ModuleDict has no forward(); call its modules');
  }
}

/** Returns its input (a new handle to the same data). */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x.view(x.shape);
  }
}

/** max(x, 0). */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}
/** x for x > 0, negativeSlope * x otherwise. */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.leakyRelu(x, this.negativeSlope);
  }
}
/** GELU (exact erf form). */
export class GELU extends Module {
  forward(x: Tensor): Tensor {
    return x.gelu();
  }
}
/** x * sigmoid(x). */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return F.silu(x);
  }
}
/** 1 / (1 + e^-x). */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}
/** tanh(x). */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}
/** Softmax along dim. @example new nn.Softmax(-1) */
export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.softmax(this.dim);
  }
}
/** log(softmax(x)) along dim. */
export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.logSoftmax(this.dim);
  }
}
