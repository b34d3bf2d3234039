// Containers and activation modules.
import { tensorArg } from '../args.js';
import { fail } from '../errors.js';
import { describe, int, isOptionsObject, list, num, str } from '../options.js';
import type { Tensor } from '../tensor.js';
import * as F from './functional.js';
import { Module } from './module.js';

function checkModule(op: string, m: unknown, at: string): Module {
  if (!(m instanceof Module)) fail('INVALID_ARGUMENT', `${op}: ${at} is not a Module, got ${describe(m)}`);
  return m;
}

// Registers a child under `key` as an own field. A key naming a method or field of the container
// ('forward', 'training', '__proto__') would break it, so it is refused.
function setChild(owner: Module, op: string, key: string, m: Module): void {
  const cur = (owner as unknown as Record<string, unknown>)[key];
  if ((key in owner && !(cur instanceof Module)) || key === '__proto__')
    fail('INVALID_ARGUMENT', `${op}: the name ${describe(key)} is reserved`);
  Object.defineProperty(owner, key, { value: m, writable: true, enumerable: true, configurable: true });
}

/**
 * Runs its modules in order; children are named '0', '1', ... (or by the keys of an object).
 * @example const mlp = new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Linear(16, 3))
 */
export class Sequential extends Module {
  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    const first = modules[0];
    const isRecord = modules.length === 1 && isOptionsObject(first) && !(first instanceof Module);
    const named = isRecord
      ? Object.entries(first as Record<string, Module>)
      : (modules as Module[]).map((m, i) => [String(i), m] as const);
    for (const [k, m] of named) setChild(this, 'Sequential', k, checkModule('Sequential', m, `module '${k}'`));
  }
  forward(x: Tensor): Tensor {
    tensorArg('Sequential', 'input', x);
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
    list('ModuleList', 'modules', modules).forEach((m) => this.append(m as Module));
  }
  append(m: Module): this {
    setChild(this, 'ModuleList', String(this.count), checkModule('ModuleList', m, `element ${this.count}`));
    this.count++;
    return this;
  }
  get(i: number): Module {
    int('ModuleList.get', 'index', i);
    if (i < -this.count || i >= this.count)
      fail('INDEX_OUT_OF_RANGE', `ModuleList: index ${i} out of range for length ${this.count}`);
    return (this as unknown as Record<string, Module>)[String(i < 0 ? i + this.count : i)];
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
    if (!isOptionsObject(modules))
      fail('INVALID_ARGUMENT', `ModuleDict: expected an object of modules, got ${describe(modules)}`);
    for (const [k, m] of Object.entries(modules)) this.set(k, m);
  }
  set(key: string, m: Module): this {
    str('ModuleDict.set', 'key', key);
    setChild(this, 'ModuleDict', key, checkModule('ModuleDict', m, describe(key)));
    return this;
  }
  get(key: string): Module {
    str('ModuleDict.get', 'key', key);
    const m = Object.hasOwn(this, key) ? (this as unknown as Record<string, unknown>)[key] : undefined;
    if (!(m instanceof Module)) fail('INVALID_ARGUMENT', `ModuleDict: no module named ${describe(key)}`);
    return m;
  }
  keys(): string[] {
    return Object.entries(this)
      .filter(([, v]) => v instanceof Module)
      .map(([k]) => k);
  }
  forward(): Tensor {
    fail('NOT_IMPLEMENTED', 'ModuleDict has no forward(); call its modules');
  }
}

/** Returns its input (a new handle to the same data). */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return tensorArg('Identity', 'input', x).view(x.shape);
  }
}

/** max(x, 0). */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return tensorArg('ReLU', 'input', x).relu();
  }
}
/** x for x > 0, negativeSlope * x otherwise. */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
    num('LeakyReLU', 'negativeSlope', negativeSlope);
  }
  forward(x: Tensor): Tensor {
    return F.leakyRelu(x, this.negativeSlope);
  }
}
/** GELU (exact erf form). */
export class GELU extends Module {
  forward(x: Tensor): Tensor {
    return tensorArg('GELU', 'input', x).gelu();
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
    return tensorArg('Sigmoid', 'input', x).sigmoid();
  }
}
/** tanh(x). */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tensorArg('Tanh', 'input', x).tanh();
  }
}
/** Softmax along dim. @example new nn.Softmax(-1) */
export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
    int('Softmax', 'dim', dim);
  }
  forward(x: Tensor): Tensor {
    return tensorArg('Softmax', 'input', x).softmax(this.dim);
  }
}
/** log(softmax(x)) along dim. */
export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
    int('LogSoftmax', 'dim', dim);
  }
  forward(x: Tensor): Tensor {
    return tensorArg('LogSoftmax', 'input', x).logSoftmax(this.dim);
  }
}
