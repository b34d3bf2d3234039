// jit.trace: runs a module or function once on example inputs with every native op call recorded
// (src/ops/dispatch.ts calls the recorder), and makes a Graph of the calls.
//
// Dynamic axes: the trace is run again with each dynamic axis one longer. An integer attribute
// that changes between the two runs (a reshape's batch size, a zeros state's shape) becomes
// a * size + b of that axis; anything else that changes (the op sequence, a scalar operand) means
// the program depends on the size in a way a graph cannot follow, and is an error naming the op.
import { binding, type Attr, type Handle, type Operand } from '../binding.js';
import { noGrad } from '../autograd.js';
import { DTYPES, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { keep, tidy } from '../memory.js';
import { Module } from '../nn/module.js';
import { cat } from '../ops/functional.js';
import { setRecorder, type OpRecorder } from '../ops/dispatch.js';
import type { OpName } from '../ops/ops.generated.js';
import { checkOptions, describe, isClass } from '../options.js';
import { Tensor, wrap } from '../tensor.js';
import {
  Graph,
  type GraphConstant,
  type ModuleCall,
  type GraphNode,
  type OutputTemplate,
  type SymDim,
  type SymPatch,
} from './graph.js';

/** Options of `jit.trace`. */
export interface TraceOptions {
  /**
   * Axes whose size may change between runs, by input name: a list of axes (named
   * `<input>_dim<axis>`), or axis → name (inputs sharing a name share the size).
   * @example { dynamicAxes: { input0: { 0: 'batch' } } }
   */
  dynamicAxes?: Record<string, readonly number[] | Record<number, string>>;
  /** Input names (default input0, input1, ...). */
  inputNames?: readonly string[];
  /** Output names (default output0, output1, ...). */
  outputNames?: readonly string[];
}

type Meta = { dtype: DType; shape: number[] };

// One recorded run.
class Recorder implements OpRecorder {
  readonly slots = new Map<Handle, number>();
  readonly nodes: GraphNode[] = [];
  readonly values: Meta[] = [];
  readonly constants = new Map<number, GraphConstant>();
  readonly reads: string[] = [];
  readonly scope: string[] = [];
  readonly calls: ModuleCall[] = [];
  private readonly constSlot = new Map<Handle, number>();
  private readonly producer = new Map<number, string>();
  // Slots whose value depends on an input: reading any other one cannot change with the inputs.
  private readonly dependent = new Set<number>();
  private count = 0;

  constructor(private readonly names: Map<Handle, string>) {}

  newSlot(m: Meta): number {
    this.values.push(m);
    return this.count++;
  }

  private metaOf(slot: number): Meta {
    const meta = binding.meta,
      o = slot * binding.metaSlot;
    const shape: number[] = [];
    for (let i = 0; i < meta[o + 3]; i++) shape.push(meta[o + 4 + i]);
    return { dtype: DTYPES[meta[o]], shape };
  }

  // A slot for an operand the trace did not make: a parameter, buffer or captured tensor becomes
  // a named constant (one per tensor), a boxed scalar a scalar constant.
  private slotOf(x: Operand): number {
    if (Array.isArray(x)) {
      const v = (x as readonly [number | boolean | bigint])[0];
      const dtype: DType =
        typeof v === 'boolean' ? 'bool' : typeof v === 'bigint' || Number.isSafeInteger(v) ? 'int64' : 'float64';
      const s = this.newSlot({ dtype, shape: [] });
      this.constants.set(s, { name: '', scalar: v });
      return s;
    }
    const h = x as Handle;
    const known = this.slots.get(h) ?? this.constSlot.get(h);
    if (known !== undefined) return known;
    // Keep our own reference: the caller may dispose its tensor before the trace ends. The meta
    // slots hold the caller's pending results, so they are restored after describe().
    const saved = binding.meta.slice();
    binding.describe(h);
    const t = keep(wrap(binding.share(h)));
    binding.meta.set(saved);
    const s = this.newSlot({ dtype: t.dtype, shape: [...t.shape] });
    this.constants.set(s, { name: this.names.get(h) ?? `constant${this.constants.size}`, tensor: t });
    this.constSlot.set(h, s);
    return s;
  }

  record(name: OpName, attrs: readonly Attr[] | undefined, inputs: readonly Operand[], outputs: readonly Handle[]) {
    const metas = outputs.map((_, i) => this.metaOf(i));
    const ins = inputs.map((x) => this.slotOf(x));
    const depends = ins.some((s) => this.dependent.has(s));
    const outs = outputs.map((h, i) => {
      const s = this.newSlot(metas[i]);
      this.slots.set(h, s);
      this.producer.set(s, name);
      if (depends) this.dependent.add(s);
      return s;
    });
    if (depends && name.endsWith('_') && ins.length) this.dependent.add(ins[0]); // written in place
    this.nodes.push({
      op: name,
      attrs: (attrs ?? []).map((a) => (Array.isArray(a) ? [...a] : a)) as Attr[],
      inputs: ins,
      outputs: outs,
      patches: [],
      scope: this.scope.join('/'),
    });
  }

  read(h: Handle, how: string) {
    const s = this.slots.get(h);
    if (s === undefined || !this.dependent.has(s)) return; // computed from constants alone
    this.reads.push(
      `jit.trace: ${how}() read the value of a tensor made by '${this.producer.get(s)}' while tracing; ` +
        'the graph keeps the control flow of this one run, so results may be wrong for other inputs',
    );
  }

  alias(from: Handle, to: Handle) {
    const s = this.slots.get(from);
    if (s !== undefined) this.slots.set(to, s);
  }

  /** The slot of a module's argument or result (-1: not a tensor, or one the trace never saw). */
  slotOfValue(v: unknown): number {
    return v instanceof Tensor ? (this.slots.get(v._h) ?? this.constSlot.get(v._h) ?? -1) : -1;
  }

  inputSlot(t: Tensor): number {
    const s = this.newSlot({ dtype: t.dtype, shape: [...t.shape] });
    this.slots.set(t._h, s);
    this.dependent.add(s);
    return s;
  }

  // The template of what the function returned, with each tensor's slot in `outs`.
  outputOf(v: unknown, outs: number[], depth = 0): OutputTemplate {
    if (depth > 32) fail('INVALID_ARGUMENT', 'jit.trace: the returned structure is nested too deeply');
    if (v instanceof Tensor) {
      outs.push(this.slots.get(v._h) ?? this.slotOf(v._h));
      return outs.length - 1;
    }
    if (v === null) return null; // an absent result ({ logits, loss: null }) stays absent
    if (Array.isArray(v)) return v.map((x) => this.outputOf(x, outs, depth + 1));
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.outputOf(x, outs, depth + 1)]));
    return fail(
      'INVALID_ARGUMENT',
      `jit.trace: the traced function must return tensors (or arrays and objects of them, null where absent), got ${describe(v)}`,
    );
  }
}

/** A function jit.trace can record: tensors in, tensors (or arrays and objects of them) out. */
export type TracedFunction = (...xs: Tensor[]) => unknown;
type Fn = TracedFunction;

interface Run {
  rec: Recorder;
  inputs: number[];
  outputs: number[];
  template: OutputTemplate;
}

// Wraps every submodule's forward so the recorder knows the module a call was made in.
function withScopes<T>(root: Module | null, rec: Recorder, fn: () => T): T {
  if (!root) return fn();
  const patched: Module[] = [];
  for (const [path, m] of root.namedModules()) {
    if (Object.prototype.hasOwnProperty.call(m, 'forward')) continue;
    const forward = (m as unknown as { forward: (...a: unknown[]) => unknown }).forward;
    const label = `${path}:${m.constructor.name}`;
    Object.defineProperty(m, 'forward', {
      configurable: true,
      writable: true,
      value: function (this: Module, ...a: unknown[]) {
        rec.scope.push(label);
        const first = rec.nodes.length;
        let out: unknown;
        try {
          out = forward.apply(this, a);
        } finally {
          rec.scope.pop();
        }
        const flat = flatten(out);
        rec.calls.push({
          path,
          type: m.constructor.name,
          config: settingsOf(m),
          inputs: flatten(a).map((x) => rec.slotOfValue(x)),
          outputs: flat.map((x) => rec.slotOfValue(x)),
          first,
          last: rec.nodes.length,
        });
        return out;
      },
    });
    patched.push(m);
  }
  try {
    return fn();
  } finally {
    for (const m of patched) delete (m as unknown as { forward?: unknown }).forward;
  }
}

// Nested arrays as one list (a module's [out, [h, c]]).
function flatten(v: unknown, out: unknown[] = [], depth = 0): unknown[] {
  if (Array.isArray(v) && depth < 8) v.forEach((x) => flatten(x, out, depth + 1));
  else out.push(v);
  return out;
}

// A module's own settings: its number, boolean, string and number-list fields.
function settingsOf(m: Module): ModuleCall['config'] {
  const out: ModuleCall['config'] = {};
  for (const [k, v] of Object.entries(m)) {
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') out[k] = v;
    else if (Array.isArray(v) && v.length <= 16 && v.every((x) => typeof x === 'number')) out[k] = [...v];
    else if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
      for (const [k2, x] of Object.entries(v))
        if (typeof x === 'number' || typeof x === 'boolean' || typeof x === 'string') out[`${k}.${k2}`] = x;
  }
  return out;
}

function runOnce(target: Fn, root: Module | null, names: Map<Handle, string>, inputs: Tensor[]): Run {
  const rec = new Recorder(names);
  const inSlots = inputs.map((t) => rec.inputSlot(t));
  const outs: number[] = [];
  let template: OutputTemplate = 0;
  const prev = setRecorder(rec);
  try {
    noGrad(() =>
      tidy(() => {
        const result = withScopes(root, rec, () => target(...inputs));
        template = rec.outputOf(result, outs);
      }),
    );
  } finally {
    setRecorder(prev);
  }
  return { rec, inputs: inSlots, outputs: outs, template };
}

const sameAttrShape = (a: Attr, b: Attr) =>
  Array.isArray(a)
    ? Array.isArray(b) && a.length === b.length
    : typeof a === typeof b && (typeof a !== 'string' || a === b);

// Compares the base run with a run where symbol `sym` (size d0 in the base) was one longer;
// adds a patch for every integer that moved, and makes the moved dims symbolic.
function diffRuns(
  base: Run,
  grown: Run,
  sym: string,
  d0: number,
  patches: Map<GraphNode, SymPatch[]>,
  shapes: SymDim[][],
) {
  const b = base.rec,
    g = grown.rec;
  const where = (n: GraphNode) => `'${n.op}'${n.scope ? ` in ${n.scope}` : ''}`;
  const differs = (what: string) =>
    fail(
      'NOT_IMPLEMENTED',
      `jit.trace: ${what} when dynamic axis '${sym}' changes size; the traced program depends on that size in a way a graph cannot express (use a fixed size, or compute it from tensor ops)`,
    );
  if (b.nodes.length !== g.nodes.length) differs(`the number of ops changes (${b.nodes.length} vs ${g.nodes.length})`);
  b.nodes.forEach((n, i) => {
    const m = g.nodes[i];
    if (n.op !== m.op || n.inputs.join() !== m.inputs.join() || n.attrs.length !== m.attrs.length)
      differs(`op ${i} (${where(n)}) changes into '${m.op}'`);
    n.attrs.forEach((a, k) => {
      const c = m.attrs[k];
      if (!sameAttrShape(a, c)) differs(`option ${k} of ${where(n)} changes`);
      const moved = (x: number, y: number, elem: number) => {
        if (x === y || Object.is(x, y)) return;
        if (!Number.isInteger(x) || !Number.isInteger(y)) differs(`option ${k} of ${where(n)} changes`);
        const list = patches.get(n) ?? [];
        if (list.some((p) => p.attr === k && p.elem === elem))
          differs(`option ${k} of ${where(n)} depends on more than one dynamic axis`);
        list.push({ attr: k, elem, sym, a: y - x, b: x - (y - x) * d0 });
        patches.set(n, list);
      };
      if (Array.isArray(a)) (a as number[]).forEach((x, e) => moved(x, (c as number[])[e], e));
      else if (typeof a === 'number') moved(a, c as number, -1);
    });
  });
  for (const [slot, c] of b.constants) {
    const d = g.constants.get(slot);
    // Object.is: a NaN operand (where(m, NaN, x)) equals itself in both runs.
    if ('scalar' in c && (!d || !('scalar' in d) || !Object.is(d.scalar, c.scalar))) {
      const user = b.nodes.find((n) => n.inputs.includes(slot));
      differs(`the number operand ${String(c.scalar)} of ${user ? where(user) : 'an op'}`);
    }
  }
  b.values.forEach((v, s) => {
    const w = g.values[s];
    v.shape.forEach((x, k) => {
      const y = w.shape[k];
      if (x === y) return;
      const a = y - x,
        b0 = x - a * d0;
      shapes[s][k] = a === 1 && b0 === 0 ? sym : `${a}*${sym}${b0 ? (b0 > 0 ? '+' : '') + b0 : ''}`;
    });
  });
}

/**
 * Records the native ops a module (or function) runs on example inputs into a `jit.Graph`.
 * Traces in eval mode without gradients and restores each module's mode afterwards. Control flow
 * is fixed to what this run took: a read of a tensor's value while tracing gives a warning.
 * @example const graph = jit.trace(model, [x], { dynamicAxes: { input0: { 0: 'batch' } } })
 */
export function trace(
  target: Module | Fn,
  exampleInputs: Tensor | readonly Tensor[],
  options: TraceOptions = {},
): Graph {
  return traceWith(target, exampleInputs, options, new Map(), true);
}

/**
 * @internal trace() with names for captured constants (besides a module's parameters and
 * buffers), and with the read warnings optional (onnx.load reads its own constants).
 */
export function traceWith(
  target: Module | Fn,
  exampleInputs: Tensor | readonly Tensor[],
  options: TraceOptions,
  constantNames: Map<Handle, string>,
  warn: boolean,
): Graph {
  const op = 'jit.trace';
  const o = checkOptions(op, options, { dynamicAxes: 'any', inputNames: 'any', outputNames: 'any' });
  const root = target instanceof Module ? target : null;
  if (!root && (typeof target !== 'function' || isClass(target)))
    fail('INVALID_ARGUMENT', `${op}: expected a Module or a function, got ${describe(target)}`);
  if (!(exampleInputs instanceof Tensor) && !Array.isArray(exampleInputs))
    fail(
      'INVALID_ARGUMENT',
      `${op}: example inputs must be a Tensor or an array of tensors, got ${describe(exampleInputs)}`,
    );
  const inputs = exampleInputs instanceof Tensor ? [exampleInputs] : [...exampleInputs];
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor))
      fail('INVALID_ARGUMENT', `${op}: example input ${i} must be a Tensor, got ${describe(t)}`);
  });
  const inputNames = o.inputNames ? [...o.inputNames] : inputs.map((_, i) => `input${i}`);
  if (inputNames.length !== inputs.length || !inputNames.every((n) => typeof n === 'string'))
    fail('INVALID_ARGUMENT', `${op}: inputNames must be ${inputs.length} string(s), got ${describe(o.inputNames)}`);
  // Symbol per (input, axis).
  const axisSym: Map<string, string>[] = inputs.map(() => new Map());
  for (const [name, axes] of Object.entries(o.dynamicAxes ?? {})) {
    const i = inputNames.indexOf(name);
    if (i < 0)
      fail('INVALID_ARGUMENT', `${op}: dynamicAxes names unknown input '${name}' (inputs: ${inputNames.join(', ')})`);
    const entries: [number, string][] = Array.isArray(axes)
      ? axes.map((a) => [a, `${name}_dim${a}`])
      : Object.entries(axes as Record<string, string>).map(([a, s]) => [Number(a), s]);
    for (const [a, s] of entries) {
      if (!Number.isInteger(a) || a < 0 || a >= inputs[i].ndim)
        fail(
          'INVALID_ARGUMENT',
          `${op}: dynamic axis ${a} of input '${name}' is out of range for shape [${inputs[i].shape.join(', ')}]`,
        );
      if (typeof s !== 'string' || s === '')
        fail('INVALID_ARGUMENT', `${op}: a dynamic axis needs a name, got ${describe(s)}`);
      axisSym[i].set(String(a), s);
    }
  }
  const fn: Fn = root ? (...xs) => (root as unknown as { forward: Fn }).forward(...xs) : (target as Fn);
  const names = new Map<Handle, string>(constantNames);
  const modes: [Module, boolean][] = [];
  if (root) {
    for (const [n, p] of root.namedParameters()) names.set(p._h, n);
    for (const [n, b] of root.namedBuffers()) names.set(b._h, n);
    for (const [, m] of root.namedModules('', false)) modes.push([m, m.training]);
    root.eval();
  }
  try {
    const base = runOnce(fn, root, names, inputs);
    const patches = new Map<GraphNode, SymPatch[]>();
    const shapes: SymDim[][] = base.rec.values.map((v) => [...v.shape]);
    const symbols = [...new Set(axisSym.flatMap((m) => [...m.values()]))];
    for (const sym of symbols) {
      let d0 = -1;
      const grown = inputs.map((t, i) => {
        let x = t;
        for (const [a, s] of axisSym[i])
          if (s === sym) {
            if (d0 >= 0 && t.shape[Number(a)] !== d0)
              fail('INVALID_ARGUMENT', `${op}: axes named '${sym}' have different sizes in the example inputs`);
            d0 = t.shape[Number(a)];
            x = cat([x, x.narrow(Number(a), 0, 1)], Number(a));
          }
        return x;
      });
      try {
        const run = runOnce(fn, root, names, grown);
        diffRuns(base, run, sym, d0, patches, shapes);
        for (const c of run.rec.constants.values()) if ('tensor' in c) c.tensor.dispose();
      } finally {
        grown.forEach((g, i) => g !== inputs[i] && g.dispose());
      }
    }
    for (const [n, ps] of patches) n.patches = ps;
    if (warn) for (const w of new Set(base.rec.reads)) process.emitWarning(w, 'TracerWarning');
    const outputNames = o.outputNames ? [...o.outputNames] : base.outputs.map((_, i) => `output${i}`);
    if (outputNames.length !== base.outputs.length)
      fail(
        'INVALID_ARGUMENT',
        `${op}: outputNames must be ${base.outputs.length} string(s), got ${describe(o.outputNames)}`,
      );
    const info = (slot: number, name: string) => ({
      name,
      slot,
      dtype: base.rec.values[slot].dtype,
      shape: shapes[slot],
    });
    const graph = new Graph({
      numValues: base.rec.values.length,
      symbols,
      inputs: base.inputs.map((s, i) => info(s, inputNames[i])),
      outputs: base.outputs.map((s, i) => info(s, outputNames[i])),
      constants: base.rec.constants,
      nodes: base.rec.nodes,
      values: base.rec.values.map((v, s) => ({ dtype: v.dtype, shape: shapes[s] })),
      template: base.template,
      modules: base.rec.calls,
    });
    graph.warnings = [...new Set(base.rec.reads)];
    return graph;
  } finally {
    for (const [m, t] of modes) m.training = t;
  }
}
