// nn.Module: the one base class for layers and models. Parameters, buffers and child modules are
// found from the instance's own fields (so `fc1 = new nn.Linear(4, 16)` registers itself), with
// parameters marked by nn.Parameter() and buffers by registerBuffer().
import { noGrad } from '../autograd.js';
import { fail } from '../errors.js';
import { keep } from '../memory.js';
import { bool, checkOptions, describe, fn as fnArg, isOptionsObject, str } from '../options.js';
import { isDType, isFloating, type DeviceName, type DType } from '../dtype.js';
import { Tensor, type ToOptions } from '../tensor.js';
import {
  addHook,
  type ForwardHook,
  type ForwardPreHook,
  type FullBackwardHook,
  type FullBackwardPreHook,
  type RemovableHandle,
} from './hooks.js';

const PARAM = Symbol('tensorkit.parameter');

/**
 * Marks a tensor as a module parameter: a leaf that requires grad, found by parameters(). It lives
 * as long as its module: no tidy() scope disposes it (keep()), so a model built inside one survives.
 * @example this.weight = nn.Parameter(randn([4, 3]))
 */
export function Parameter(t: Tensor, requiresGrad = true): Tensor {
  if (!(t instanceof Tensor)) fail('INVALID_ARGUMENT', 'Parameter: expected a Tensor');
  t.requiresGrad = requiresGrad;
  (t as unknown as Record<symbol, boolean>)[PARAM] = true;
  return keep(t);
}

// PyTorch's batch-norm buffer names and tensorkit's (the only state-dict names that differ).
const TORCH_NAMES: [RegExp, string | null][] = [
  [/(^|\.)running_mean$/, '$1runningMean'],
  [/(^|\.)running_var$/, '$1runningVar'],
  [/(^|\.)num_batches_tracked$/, null], // torch's counter: no buffer here
];
// sd with PyTorch's names read as tensorkit's, where `own` (the module's names) has no such key.
function fromTorchNames(sd: Record<string, Tensor>, own: Set<string>): Record<string, Tensor> {
  if (!Object.keys(sd).some((k) => !own.has(k) && TORCH_NAMES.some(([re]) => re.test(k)))) return sd;
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(sd)) {
    const rule = own.has(k) ? undefined : TORCH_NAMES.find(([re]) => re.test(k));
    if (!rule) out[k] = v;
    else if (rule[1] !== null) out[k.replace(rule[0], rule[1])] = v;
  }
  return out;
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
  /** @internal Names of the fields registered as buffers. */
  readonly _buffers = new Set<string>();

  // Modules take and return what they like (an RNN returns [output, state]); call() keeps the
  // subclass's own forward() signature.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  /** The module's computation; `call(...)` runs it. Subclasses declare their own arguments and result. */
  abstract forward(...args: any[]): any;

  /** forward(), as calling a PyTorch module. @example const y = model.call(x) */
  call<A extends unknown[], R>(this: { forward(...args: A): R }, ...args: A): R {
    return this.forward(...args);
  }

  /**
   * Runs `hook(module, inputs)` before each forward; a returned value replaces the inputs.
   * @example const h = layer.registerForwardPreHook((m, [x]) => [x.mul(2)]); h.remove();
   */
  registerForwardPreHook(hook: ForwardPreHook): RemovableHandle {
    return addHook(this, 'pre', hook, 'registerForwardPreHook');
  }

  /**
   * Runs `hook(module, inputs, output)` after each forward (also when a parent calls
   * `forward` directly); a returned value replaces the output.
   * @example model.conv2.registerForwardHook((m, inputs, out) => { acts = out; })
   */
  registerForwardHook(hook: ForwardHook): RemovableHandle {
    return addHook(this, 'fwd', hook, 'registerForwardHook');
  }

  /**
   * Runs `hook(module, gradInput, gradOutput)` in backward once the gradients for the module's
   * tensor inputs are computed (PyTorch's register_full_backward_hook); a returned array replaces
   * gradInput. Only the calls made while gradients are recorded are hooked.
   * @example layer.registerFullBackwardHook((m, gIn, gOut) => { grads = gOut[0]; })
   */
  registerFullBackwardHook(hook: FullBackwardHook): RemovableHandle {
    return addHook(this, 'bwd', hook, 'registerFullBackwardHook');
  }

  /**
   * Runs `hook(module, gradOutput)` in backward when the gradients of the module's outputs are
   * known, before its inputs' are computed (PyTorch's register_full_backward_pre_hook); a returned
   * array replaces gradOutput (what the module's backward and its full backward hooks then see).
   * @example layer.registerFullBackwardPreHook((m, gOut) => gOut.map((g) => g?.clamp(-1, 1) ?? null))
   */
  registerFullBackwardPreHook(hook: FullBackwardPreHook): RemovableHandle {
    return addHook(this, 'bwdPre', hook, 'registerFullBackwardPreHook');
  }

  /**
   * Registers a non-trainable tensor (running statistics) saved in the state dict. Like a
   * parameter, it lives as long as the module (no tidy() scope disposes it).
   */
  registerBuffer(name: string, t: Tensor | null): void {
    str('registerBuffer', 'name', name);
    if (t !== null && !(t instanceof Tensor))
      fail('INVALID_ARGUMENT', `registerBuffer: the buffer must be a Tensor or null, got ${describe(t)}`);
    // Not a method or other inherited member (that would shadow it), not empty, not dotted.
    if (
      name === '' ||
      name.includes('.') ||
      name === '__proto__' ||
      (name in this && !Object.hasOwn(this, name) && !this._buffers.has(name))
    )
      fail(
        'INVALID_ARGUMENT',
        `registerBuffer: ${describe(name)} is not a valid buffer name (empty, dotted, or a member of ${this.constructor.name})`,
      );
    this._buffers.add(name);
    (this as unknown as Record<string, Tensor | null>)[name] = t === null ? null : keep(t);
  }

  /**
   * [name, parameter] pairs, children's prefixed with their field name ("fc1.weight"). A tensor
   * reachable under several names (tied weights: `this.lmHead.weight = this.wte.weight`) is
   * listed once, under the first name met, as PyTorch's `remove_duplicate`; pass false to list
   * every name.
   * @example for (const [name, p] of model.namedParameters()) console.log(name, p.shape)
   */
  namedParameters(prefix = '', removeDuplicate = true): [string, Tensor][] {
    str('namedParameters', 'prefix', prefix);
    bool('namedParameters', 'removeDuplicate', removeDuplicate);
    return this._walk(prefix, removeDuplicate, (_m, _k, v) => isParameter(v));
  }
  /**
   * Every parameter of this module and its children, in field order, each tensor once (a shared
   * weight is not listed twice). @example new optim.SGD(model.parameters(), { lr: 0.1 })
   */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }
  /**
   * [name, buffer] pairs (running statistics and other registered tensors), children's prefixed
   * with their field name; a shared buffer once unless removeDuplicate is false.
   */
  namedBuffers(prefix = '', removeDuplicate = true): [string, Tensor][] {
    str('namedBuffers', 'prefix', prefix);
    bool('namedBuffers', 'removeDuplicate', removeDuplicate);
    return this._walk(prefix, removeDuplicate, (m, k, v) => m._buffers.has(k) && v instanceof Tensor);
  }
  /** Every buffer of this module and its children, each tensor once. */
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }
  /** @internal The tensors `pick` accepts, depth first in field order; a shared module is walked once. */
  _walk(
    prefix: string,
    removeDuplicate: boolean,
    pick: (m: Module, key: string, value: unknown) => boolean,
  ): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<unknown>();
    for (const [path, m] of this.namedModules(prefix.endsWith('.') ? prefix.slice(0, -1) : prefix, removeDuplicate))
      for (const [k, v] of Object.entries(m)) {
        if (!pick(m, k, v) || (removeDuplicate && seen.has(v))) continue;
        seen.add(v);
        out.push([path ? `${path}.${k}` : k, v as Tensor]);
      }
    return out;
  }
  /** Direct child modules, each once. */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }
  /** [field name, module] of each direct child, a module held by two fields once (first name). @example for (const [name, m] of model.namedChildren()) ... */
  namedChildren(): [string, Module][] {
    const seen = new Set<Module>();
    const out: [string, Module][] = [];
    for (const [k, v] of Object.entries(this))
      if (v instanceof Module && !seen.has(v)) {
        seen.add(v);
        out.push([k, v]);
      }
    return out;
  }
  /**
   * Adds a child module under `name` (torch's add_module; null keeps the name as an empty slot).
   * For modules built from data, where a field cannot be written in the class body.
   * @example for (let i = 0; i < n; i++) net.addModule(`block${i}`, new Block())
   */
  addModule(name: string, module: Module | null): void {
    this._checkNewName('addModule', name);
    if (module !== null && !(module instanceof Module))
      fail('INVALID_ARGUMENT', `addModule: ${describe(module)} is not an nn.Module (or null)`);
    (this as unknown as Record<string, unknown>)[name] = module;
  }
  /** The same as addModule (torch's register_module). */
  registerModule(name: string, module: Module | null): void {
    this.addModule(name, module);
  }
  /**
   * Adds a parameter under `name` (torch's register_parameter): one made by nn.Parameter, or null.
   * @example m.registerParameter('scale', nn.Parameter(ones([1])))
   */
  registerParameter(name: string, param: Tensor | null): void {
    this._checkNewName('registerParameter', name);
    if (param !== null && !isParameter(param))
      fail(
        'INVALID_ARGUMENT',
        `registerParameter: ${describe(param)} is not a parameter (wrap the tensor in nn.Parameter(...), or pass null)`,
      );
    (this as unknown as Record<string, unknown>)[name] = param;
  }
  /** @internal A name a new member may take: not empty, not dotted, not an inherited member. */
  _checkNewName(op: string, name: string): void {
    str(op, 'name', name);
    if (name === '' || name.includes('.') || name === '__proto__' || (name in this && !Object.hasOwn(this, name)))
      fail(
        'INVALID_ARGUMENT',
        `${op}: ${describe(name)} is not a valid name (empty, dotted, or a member of ${this.constructor.name})`,
      );
    if (this._buffers.has(name))
      fail('INVALID_ARGUMENT', `${op}: ${describe(name)} is already a buffer of ${this.constructor.name}`);
  }
  /**
   * The module at a dotted path of field names ('' is this one), as torch's get_submodule.
   * @example model.getSubmodule('encoder.layers.0.selfAttn')
   */
  getSubmodule(target: string): Module {
    str('getSubmodule', 'target', target);
    let m: Module = this;
    let path = this.constructor.name;
    for (const part of target === '' ? [] : target.split('.')) {
      const v = Object.hasOwn(m, part) ? (m as unknown as Record<string, unknown>)[part] : undefined;
      if (!(v instanceof Module))
        fail(
          'INVALID_ARGUMENT',
          v === undefined
            ? `getSubmodule: ${path} has no attribute ${describe(part)}`
            : `getSubmodule: ${path}.${part} is not an nn.Module, got ${describe(v)}`,
        );
      m = v;
      path = `${path}.${part}`;
    }
    return m;
  }
  /** The parameter at a dotted path ('fc1.weight'), as torch's get_parameter. */
  getParameter(target: string): Tensor {
    return this._getTensor('getParameter', target, (m, k, v) => isParameter(v), 'a parameter');
  }
  /** The buffer at a dotted path ('bn.runningMean'), as torch's get_buffer. */
  getBuffer(target: string): Tensor {
    return this._getTensor('getBuffer', target, (m, k, v) => m._buffers.has(k) && v instanceof Tensor, 'a buffer');
  }
  /** @internal getParameter/getBuffer: the module's path, then its field `pick` accepts. */
  _getTensor(op: string, target: string, pick: (m: Module, k: string, v: unknown) => boolean, what: string): Tensor {
    str(op, 'target', target);
    const cut = target.lastIndexOf('.');
    const m = this.getSubmodule(cut < 0 ? '' : target.slice(0, cut));
    const k = target.slice(cut + 1);
    const v = Object.hasOwn(m, k) ? (m as unknown as Record<string, unknown>)[k] : undefined;
    if (!pick(m, k, v))
      fail(
        'INVALID_ARGUMENT',
        v === undefined
          ? `${op}: ${m.constructor.name} has no attribute ${describe(k)}`
          : `${op}: ${describe(target)} is not ${what}`,
      );
    return v as Tensor;
  }
  /**
   * Sets requiresGrad on every parameter (torch's requires_grad_): false freezes the module.
   * Returns this. @example backbone.requiresGrad_(false)
   */
  requiresGrad_(requiresGrad = true): this {
    bool('requiresGrad_', 'requiresGrad', requiresGrad);
    for (const p of this.parameters()) p.requiresGrad = requiresGrad;
    return this;
  }
  /** Sets training mode on this module and every descendant; returns this. */
  train(mode = true): this {
    bool('train', 'mode', mode);
    this.training = mode;
    for (const c of this.children()) c.train(mode);
    return this;
  }
  /** Same as train(false). */
  eval(): this {
    return this.train(false);
  }
  /**
   * Clears the gradients of every parameter: to null (setToNone, the default), or to zeros in
   * place. @example model.zeroGrad()
   */
  zeroGrad(setToNone = true): void {
    bool('zeroGrad', 'setToNone', setToNone);
    for (const p of this.parameters()) {
      if (setToNone) p.grad = null;
      else {
        const g = p.grad; // a new handle to the gradient: zero it, then let the handle go
        if (g) {
          noGrad(() => g.zero_());
          g.dispose();
        }
      }
    }
  }

  /**
   * [name, module] pairs of this module ('') and every descendant, depth first; a module reachable
   * by several paths is listed once (first path) unless removeDuplicate is false.
   */
  namedModules(prefix = '', removeDuplicate = true): [string, Module][] {
    str('namedModules', 'prefix', prefix);
    bool('namedModules', 'removeDuplicate', removeDuplicate);
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (m: Module, path: string): void => {
      if (removeDuplicate && seen.has(m)) return;
      seen.add(m);
      out.push([path, m]);
      for (const [k, v] of Object.entries(m)) if (v instanceof Module) visit(v, path ? `${path}.${k}` : k);
    };
    visit(this, prefix);
    return out;
  }
  /** This module and every descendant. */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }
  /** Calls fn on every descendant, then on this module (PyTorch's order); returns this. */
  apply(fn: (m: Module) => void): this {
    fnArg('apply', 'fn', fn);
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /**
   * Parameters and buffers by dotted name, as detached views sharing their storage (new handles:
   * dispose them, or the dict, when done). @example io.save(model.stateDict(), 'model.safetensors')
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    // Every name, as PyTorch: a tied weight is saved under each of its names.
    for (const [k, t] of [...this.namedParameters('', false), ...this.namedBuffers('', false)]) out[k] = t.detach();
    return out;
  }

  /**
   * @internal Lets a module whose tensor shapes are not known yet (the lazy modules) take them
   * from a state dict before it is loaded; keys are this module's own under `prefix`.
   */
  _materializeFrom(_sd: Record<string, unknown>, _prefix: string): void {}

  /**
   * Copies tensors from a state dict into the parameters and buffers of the same names (shapes
   * must match; dtypes convert). strict (default): every key must match both ways, else
   * INVALID_ARGUMENT listing the differences; otherwise they are returned. PyTorch's state dicts
   * load as they are: its batch-norm buffer names (`running_mean`, `running_var`) are read as
   * tensorkit's (`runningMean`, `runningVar`) and its `num_batches_tracked` counters are skipped,
   * where the module has no parameter or buffer of that name itself.
   * @example model.loadStateDict(io.loadTorch('model.pt') as Record<string, Tensor>)
   */
  loadStateDict(
    sd: Record<string, Tensor>,
    options: { strict?: boolean } = {},
  ): { missingKeys: string[]; unexpectedKeys: string[] } {
    const name = this.constructor.name;
    if (!isOptionsObject(sd))
      fail('INVALID_ARGUMENT', `${name}.loadStateDict: expected an object of tensors, got ${describe(sd)}`);
    const strict = checkOptions(`${name}.loadStateDict`, options, { strict: 'boolean' }).strict ?? true;
    sd = fromTorchNames(
      sd,
      new Set([...this.namedParameters('', false), ...this.namedBuffers('', false)].map(([k]) => k)),
    );
    // Lazy modules (nn.LazyLinear, ...) first take their shapes from the checkpoint.
    for (const [prefix, m] of this.namedModules('', false)) m._materializeFrom(sd, prefix === '' ? '' : `${prefix}.`);
    const own = new Map([...this.namedParameters('', false), ...this.namedBuffers('', false)]);
    // Own keys only: a key like 'constructor' must not find an inherited value.
    const missingKeys = [...own.keys()].filter((k) => !Object.hasOwn(sd, k));
    const unexpectedKeys = Object.keys(sd).filter((k) => !own.has(k));
    if (strict && (missingKeys.length || unexpectedKeys.length))
      fail(
        'INVALID_ARGUMENT',
        `${name}.loadStateDict: ${missingKeys.length ? `missing keys ${JSON.stringify(missingKeys)}` : ''}${missingKeys.length && unexpectedKeys.length ? '; ' : ''}${unexpectedKeys.length ? `unexpected keys ${JSON.stringify(unexpectedKeys)}` : ''}`,
      );
    for (const [k, src] of Object.entries(sd)) {
      const dst = own.get(k);
      if (!dst) continue;
      if (!(src instanceof Tensor))
        fail('INVALID_ARGUMENT', `${name}.loadStateDict: '${k}' is not a Tensor, got ${describe(src)}`);
      if (src.shape.join() !== dst.shape.join())
        fail(
          'SHAPE_MISMATCH',
          `${name}.loadStateDict: size mismatch for ${k}: the checkpoint has [${src.shape.join(', ')}], the module [${dst.shape.join(', ')}]`,
        );
    }
    noGrad(() => {
      for (const [k, src] of Object.entries(sd)) own.get(k)?.copy_(src);
    });
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Moves (or converts) every parameter and buffer in place, as PyTorch's does: each tensor
   * object keeps its identity and now holds the converted data (`param.data = ...`), and a
   * parameter's gradient is converted with it. So an optimizer made before the move keeps
   * working, and its state follows the parameters on the next step. Returns this.
   * @example model.to('cuda'); model.to({ dtype: 'float64' }); model.to('bfloat16')
   */
  to(target: DType | DeviceName | ToOptions): this {
    const o: ToOptions =
      typeof target === 'string'
        ? isDType(target)
          ? { dtype: target }
          : { device: target as DeviceName }
        : checkOptions('Module.to', target ?? {}, { dtype: 'string', device: 'string' });
    if (o.dtype !== undefined && isDType(o.dtype) && !isFloating(o.dtype))
      fail('DTYPE_MISMATCH', `Module.to: only floating dtypes are accepted (as torch's), got ${o.dtype}`);
    for (const m of this.modules())
      for (const [k, v] of Object.entries(m)) {
        if (!(v instanceof Tensor) || (!isParameter(v) && !m._buffers.has(k))) continue;
        // as torch's: the dtype applies to floating tensors only (an int64 counter stays one)
        const dest = isFloating(v.dtype) ? o : { device: o.device ?? v.device };
        const moved = noGrad(() => v.to(dest));
        if (moved.device === v.device && moved.dtype === v.dtype) {
          moved.dispose(); // nothing changed: keep the original tensor
          continue;
        }
        const grad = v.grad;
        const movedGrad = grad?.to(dest);
        v._setData(moved);
        moved.dispose();
        if (movedGrad) v.grad = movedGrad;
        grad?.dispose();
        movedGrad?.dispose();
      }
    return this;
  }

  /** The parameters and buffers as float16 (torch's half()); returns this. */
  half(): this {
    return this.to('float16');
  }
  /** ... as bfloat16; returns this. */
  bfloat16(): this {
    return this.to('bfloat16');
  }
  /** ... as float32; returns this. */
  float(): this {
    return this.to('float32');
  }
  /** ... as float64; returns this. @example model.double() // for gradcheck */
  double(): this {
    return this.to('float64');
  }
  /** Moves the parameters and buffers to the CPU; returns this. */
  cpu(): this {
    return this.to('cpu');
  }
  /** Moves the parameters and buffers to a CUDA device (cuda:0 by default); returns this. */
  cuda(device: number = 0): this {
    if (!Number.isInteger(device) || device < 0)
      fail('INVALID_ARGUMENT', `cuda: expected a device index, got ${describe(device)}`);
    return this.to(`cuda:${device}`);
  }
  /** Extra text for this module's line in toString() (torch's extra_repr); '' by default. Override it. */
  extraRepr(): string {
    return '';
  }

  /** A readable tree of the modules with parameter counts (and each one's extraRepr()). */
  toString(): string {
    const count = this.parameters().reduce((n, p) => n + p.numel(), 0);
    const extra = this.extraRepr();
    const lines = [`${this.constructor.name}(${extra ? `${extra}; ` : ''}${count.toLocaleString('en-US')} parameters)`];
    for (const [k, v] of Object.entries(this))
      if (v instanceof Module) lines.push(`  (${k}): ${v.toString().split('\n').join('\n  ')}`);
    return lines.join('\n');
  }
}
