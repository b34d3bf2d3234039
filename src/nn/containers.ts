// Container modules: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict.
import { tensorArg } from '../args.js';
import { fail } from '../errors.js';
import { describe, int, isOptionsObject, list, str } from '../options.js';
import { Tensor } from '../tensor.js';
import { ReLU } from './activations.js';
import { Linear } from './layers.js';
import { hasHooks } from './hooks.js';
import { isParameter, Module, Parameter } from './module.js';

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
  /** Takes the modules in order, or one object of named modules. */
  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    const first = modules[0];
    const isRecord = modules.length === 1 && isOptionsObject(first) && !(first instanceof Module);
    const named = isRecord
      ? Object.entries(first as Record<string, Module>)
      : (modules as Module[]).map((m, i) => [String(i), m] as const);
    for (const [k, m] of named) setChild(this, 'Sequential', k, checkModule('Sequential', m, `module '${k}'`));
  }
  /**
   * Runs each module on the previous one's output. A Linear followed by a ReLU (both exactly those
   * classes, so a subclass's own forward is never bypassed) runs as one fused op, whose result is
   * the same to the bit; not when either has hooks, so each hook sees its own module run.
   */
  forward(x: Tensor): Tensor {
    tensorArg('Sequential', 'input', x);
    const mods = this.children();
    let y = x;
    for (let i = 0; i < mods.length; i++) {
      const m = mods[i] as Module;
      const next1 = mods[i + 1];
      const fuse = m.constructor === Linear && next1?.constructor === ReLU && !hasHooks(m) && !hasHooks(next1);
      const next = fuse ? (m as Linear).forwardRelu(y) : m.forward(y);
      if (fuse) i++;
      if (y !== x) y.dispose();
      y = next;
    }
    return y === x ? x.view(x.shape) : y;
  }
  /** Number of child modules. */
  get length(): number {
    return this.children().length;
  }
}

/**
 * A list of modules registered as children '0', '1', ...; typed by its element (a
 * `ModuleList<Block>` gives Blocks back). @example this.blocks = new nn.ModuleList([new Block(), new Block()])
 */
export class ModuleList<T extends Module = Module> extends Module {
  private count = 0;
  /** Takes the initial modules (registered as children "0", "1", ...). */
  constructor(modules: readonly T[] = []) {
    super();
    list('ModuleList', 'modules', modules).forEach((m) => this.append(m as T));
  }
  /** Adds a module at the end; returns this. */
  append(m: T): this {
    setChild(this, 'ModuleList', String(this.count), checkModule('ModuleList', m, `element ${this.count}`));
    this.count++;
    return this;
  }
  /** The module at index i (negative counts from the end). */
  get(i: number): T {
    int('ModuleList.get', 'index', i);
    if (i < -this.count || i >= this.count)
      fail('INDEX_OUT_OF_RANGE', `ModuleList: index ${i} out of range for length ${this.count}`);
    return (this as unknown as Record<string, T>)[String(i < 0 ? i + this.count : i)];
  }
  /** Number of modules. */
  get length(): number {
    return this.count;
  }
  /** The modules in order. */
  [Symbol.iterator](): Iterator<T> {
    return (this.children() as T[])[Symbol.iterator]();
  }
  /** A ModuleList has no forward of its own (throws NOT_IMPLEMENTED): call its modules. */
  forward(): Tensor {
    fail('NOT_IMPLEMENTED', 'ModuleList has no forward(); call its modules');
  }
}

/** Modules by name, registered as children; typed by its element. @example this.heads = new nn.ModuleDict({ cls: a, box: b }) */
export class ModuleDict<T extends Module = Module> extends Module {
  /** Takes the initial modules by name. */
  constructor(modules: Record<string, T> = {}) {
    super();
    if (!isOptionsObject(modules))
      fail('INVALID_ARGUMENT', `ModuleDict: expected an object of modules, got ${describe(modules)}`);
    for (const [k, m] of Object.entries(modules)) this.set(k, m);
  }
  /** Adds or replaces the module under key; returns this. */
  set(key: string, m: T): this {
    str('ModuleDict.set', 'key', key);
    setChild(this, 'ModuleDict', key, checkModule('ModuleDict', m, describe(key)));
    return this;
  }
  /** The module under key (INDEX_OUT_OF_RANGE when absent). */
  get(key: string): T {
    str('ModuleDict.get', 'key', key);
    const m = Object.hasOwn(this, key) ? (this as unknown as Record<string, unknown>)[key] : undefined;
    if (!(m instanceof Module)) fail('INVALID_ARGUMENT', `ModuleDict: no module named ${describe(key)}`);
    return m as T;
  }
  /** The names, in insertion order. */
  keys(): string[] {
    return Object.entries(this)
      .filter(([, v]) => v instanceof Module)
      .map(([k]) => k);
  }
  /** A ModuleDict has no forward of its own (throws NOT_IMPLEMENTED): call its modules. */
  forward(): Tensor {
    fail('NOT_IMPLEMENTED', 'ModuleDict has no forward(); call its modules');
  }
}

// Registers a parameter under `key` as an own field (a tensor not yet one is made one, as PyTorch
// wraps it in nn.Parameter); reserved names are refused as for modules.
function setParam(owner: Module, op: string, key: string, t: unknown): void {
  if (!(t instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: ${describe(key)} is not a Tensor, got ${describe(t)}`);
  const cur = (owner as unknown as Record<string, unknown>)[key];
  if ((key in owner && !isParameter(cur)) || key === '__proto__')
    fail('INVALID_ARGUMENT', `${op}: the name ${describe(key)} is reserved`);
  const p = isParameter(t) ? t : Parameter(t);
  Object.defineProperty(owner, key, { value: p, writable: true, enumerable: true, configurable: true });
}

/**
 * A list of parameters, registered as "0", "1", ... (torch.nn.ParameterList); tensors are made
 * parameters. @example this.scales = new nn.ParameterList([ones([4]), ones([8])])
 */
export class ParameterList extends Module {
  private count = 0;
  constructor(parameters: readonly Tensor[] = []) {
    super();
    list('ParameterList', 'parameters', parameters).forEach((t) => this.append(t as Tensor));
  }
  /** Adds a parameter at the end; returns this. */
  append(t: Tensor): this {
    setParam(this, 'ParameterList', String(this.count), t);
    this.count++;
    return this;
  }
  /** The parameter at index i (negative counts from the end). */
  get(i: number): Tensor {
    int('ParameterList.get', 'index', i);
    if (i < -this.count || i >= this.count)
      fail('INDEX_OUT_OF_RANGE', `ParameterList: index ${i} out of range for length ${this.count}`);
    return (this as unknown as Record<string, Tensor>)[String(i < 0 ? i + this.count : i)];
  }
  /** Number of parameters. */
  get length(): number {
    return this.count;
  }
  /** The parameters in order. */
  [Symbol.iterator](): Iterator<Tensor> {
    return Array.from({ length: this.count }, (_, i) => this.get(i))[Symbol.iterator]();
  }
  /** A ParameterList has no forward of its own (throws NOT_IMPLEMENTED). */
  forward(): Tensor {
    fail('NOT_IMPLEMENTED', 'ParameterList has no forward(); use its parameters');
  }
}

/**
 * Parameters by name (torch.nn.ParameterDict); tensors are made parameters.
 * @example this.gains = new nn.ParameterDict({ low: ones([4]), high: ones([4]) })
 */
export class ParameterDict extends Module {
  constructor(parameters: Record<string, Tensor> = {}) {
    super();
    if (!isOptionsObject(parameters))
      fail('INVALID_ARGUMENT', `ParameterDict: expected an object of tensors, got ${describe(parameters)}`);
    for (const [k, t] of Object.entries(parameters)) this.set(k, t);
  }
  /** Adds or replaces the parameter under key; returns this. */
  set(key: string, t: Tensor): this {
    str('ParameterDict.set', 'key', key);
    setParam(this, 'ParameterDict', key, t);
    return this;
  }
  /** The parameter under key (INVALID_ARGUMENT when absent). */
  get(key: string): Tensor {
    str('ParameterDict.get', 'key', key);
    const t = Object.hasOwn(this, key) ? (this as unknown as Record<string, unknown>)[key] : undefined;
    if (!isParameter(t)) fail('INVALID_ARGUMENT', `ParameterDict: no parameter named ${describe(key)}`);
    return t;
  }
  /** The names, in insertion order. */
  keys(): string[] {
    return Object.entries(this)
      .filter(([, v]) => isParameter(v))
      .map(([k]) => k);
  }
  /** A ParameterDict has no forward of its own (throws NOT_IMPLEMENTED). */
  forward(): Tensor {
    fail('NOT_IMPLEMENTED', 'ParameterDict has no forward(); use its parameters');
  }
}
