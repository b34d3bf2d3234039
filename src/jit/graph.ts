// jit.Graph: a straight-line program of native op calls (the op table is the IR), made by
// jit.trace or onnx.load, run by the native executor in one call (native/src/graph/).
//
// The IR keeps what was traced: parameters stay named constants, views of them stay nodes. Only
// the executable built from it folds the nodes that read constants alone (weight.t(), a zeros
// state) into constants, once, so that the file, the ONNX export and the weights keep their names.
import { binding, type Attr, type Handle } from '../binding.js';
import { noGrad } from '../autograd.js';
import { isDType, type DType } from '../dtype.js';
import { fail, TensorError } from '../errors.js';
import { loadWithMetadata, save as saveSafetensors } from '../io/safetensors.js';
import { keep } from '../memory.js';
import { opMultiN, opN, setRecorder } from '../ops/dispatch.js';
import { OP_ID, OP_NAMES, type OpName } from '../ops/ops.generated.js';
import { describe } from '../options.js';
import { Tensor, wrap } from '../tensor.js';

/** A dimension: a size, or the name of a dynamic axis. */
export type SymDim = number | string;

/** A graph input or output: its name, dtype and shape (names where an axis is dynamic). */
export interface ValueInfo {
  name: string;
  dtype: DType;
  shape: SymDim[];
}

/** An integer attribute set per run to `a * size(sym) + b` (elem -1: a number attribute). */
export interface SymPatch {
  attr: number;
  elem: number;
  sym: string;
  a: number;
  b: number;
}

/** One native op call: value slots in and out, positional attributes as the op table takes them. */
export interface GraphNode {
  op: OpName;
  attrs: Attr[];
  /** Value slots read (-1: an absent optional operand). */
  inputs: number[];
  /** Value slots written (none for an in-place op, which writes inputs[0]). */
  outputs: number[];
  patches: SymPatch[];
  /** The module the call was made in, as "path:Class/path:Class" (empty at top level). */
  scope: string;
}

/** A constant slot: a named tensor (a parameter, a buffer or a captured tensor), or a scalar operand. */
export type GraphConstant = { name: string; tensor: Tensor } | { name: string; scalar: number | boolean | bigint };

/**
 * One call of a submodule during the trace: the nodes it made ([first, last)), its tensor
 * arguments and results as slots (-1: not a tensor), and its settings (the module's own numbers,
 * booleans, strings and number lists). The ONNX exporter writes some modules as one ONNX op.
 */
export interface ModuleCall {
  path: string;
  type: string;
  config: Record<string, number | boolean | string | number[]>;
  inputs: number[];
  outputs: number[];
  first: number;
  last: number;
}

/** Where each output goes in the structure the traced function returned. */
export type OutputTemplate = number | null | OutputTemplate[] | { [key: string]: OutputTemplate };

/** What a graph is made of (jit.trace and onnx.load build it; `new jit.Graph(parts)`). */
export interface GraphParts {
  numValues: number;
  /** The dynamic axes' names. */
  symbols: string[];
  inputs: (ValueInfo & { slot: number })[];
  outputs: (ValueInfo & { slot: number })[];
  constants: Map<number, GraphConstant>;
  nodes: GraphNode[];
  /** dtype and shape of each slot, where known. */
  values: ({ dtype: DType; shape: SymDim[] } | undefined)[];
  /** The structure run() returns; default: one tensor when there is one output, else an array. */
  template?: OutputTemplate;
  /** Submodule calls seen by the trace (none for a loaded ONNX model). */
  modules?: ModuleCall[];
}

/** A graph's inputs: positional, one tensor, or by input name. */
export type GraphInputs = Tensor | readonly Tensor[] | Record<string, Tensor>;

type NativeGraph = object & { readonly __tkGraph: unique symbol };
interface GraphBinding {
  graphCreate(spec: object): NativeGraph;
  graphRun(g: NativeGraph, ...inputs: Handle[]): Handle | Handle[];
  graphRunAsync(g: NativeGraph, inputs: Handle[]): Promise<Handle[]>;
  graphDispose(g: NativeGraph): void;
  graphFusedChains(g: NativeGraph): number[];
  graphPlannedOps(g: NativeGraph): string[];
}
const gb = binding as unknown as GraphBinding;

// Ops whose result differs per call: never folded into constants.
const RANDOM_OPS: ReadonlySet<string> = new Set<OpName>(['rand', 'randn', 'randint']);

/**
 * @internal The results of node n computed now, when it may be folded into constants (not
 * random, not in place, no dynamic attribute) and `operand` knows every input; else null.
 */
export function foldNode(
  n: GraphNode,
  operand: (slot: number) => Handle | readonly [number | boolean | bigint] | undefined,
): Tensor[] | null {
  if (RANDOM_OPS.has(n.op) || n.op.endsWith('_') || n.patches.length) return null;
  const ins = n.inputs.map((s) => (s < 0 ? undefined : operand(s)));
  if (!ins.every((x) => x !== undefined)) return null;
  return noGrad(() => {
    const prev = setRecorder(null);
    try {
      return n.outputs.length === 1 ? [opN(n.op, n.attrs, ins as Handle[])] : opMultiN(n.op, n.attrs, ins as Handle[]);
    } finally {
      setRecorder(prev);
    }
  });
}
const FORMAT = 'tensorkit.jit';

/**
 * A captured model: run it with `run` (one native call) or `runAsync` (off the event loop), save
 * it with `save`, load it back with `jit.load` in a process that has no model code.
 * @example const g = jit.trace(model, [x]); const y = g.run([x]); await g.runAsync([x])
 */
export class Graph {
  readonly numValues: number;
  readonly symbols: readonly string[];
  readonly inputs: readonly (ValueInfo & { slot: number })[];
  readonly outputs: readonly (ValueInfo & { slot: number })[];
  readonly constants: ReadonlyMap<number, GraphConstant>;
  readonly nodes: readonly GraphNode[];
  readonly values: readonly ({ dtype: DType; shape: SymDim[] } | undefined)[];
  readonly template: OutputTemplate;
  readonly modules: readonly ModuleCall[];
  /** Warnings the trace gave (values read into JS while tracing). */
  warnings: string[] = [];
  private native: NativeGraph | null;
  private folded: Tensor[] = [];

  constructor(parts: GraphParts) {
    parts = checkParts(parts);
    this.numValues = parts.numValues;
    this.symbols = parts.symbols;
    this.inputs = parts.inputs;
    this.outputs = parts.outputs;
    this.constants = parts.constants;
    this.nodes = parts.nodes;
    this.values = parts.values;
    this.template = parts.template ?? (parts.outputs.length === 1 ? 0 : parts.outputs.map((_, i) => i));
    this.modules = parts.modules ?? [];
    this.native = this.build();
  }

  // The executable: constants, folded subexpressions of constants, input specs, the node list.
  private build(): NativeGraph {
    const constOperand = new Map<number, Handle | readonly [number | boolean | bigint]>();
    for (const [slot, c] of this.constants) constOperand.set(slot, 'tensor' in c ? c.tensor._h : [c.scalar]);
    // Folding is off when any node writes in place: a folded value could be one it changes.
    const foldable = !this.nodes.some((n) => n.op.endsWith('_'));
    const nodes: unknown[] = [];
    for (const n of this.nodes) {
      const res = foldable ? foldNode(n, (s) => constOperand.get(s)) : null;
      if (res) {
        res.forEach((t, k) => {
          keep(t);
          this.folded.push(t);
          constOperand.set(n.outputs[k], t._h);
        });
        continue;
      }
      nodes.push([
        OP_ID[n.op],
        n.attrs.map((a) => (a === undefined ? null : a)),
        n.inputs,
        n.outputs,
        n.patches.map((p) => [p.attr, p.elem, this.symIndex(p.sym), p.a, p.b]),
      ]);
    }
    return gb.graphCreate({
      numValues: this.numValues,
      numSyms: this.symbols.length,
      constants: [...constOperand],
      inputs: this.inputs.map((i) => [
        i.slot,
        i.dtype,
        i.shape.map((d) => (typeof d === 'number' ? d : -1 - this.symIndex(d))),
      ]),
      nodes,
      outputs: this.outputs.map((o) => o.slot),
    });
  }

  private symIndex(s: string): number {
    const i = this.symbols.indexOf(s);
    if (i < 0) fail('INVALID_ARGUMENT', `jit.Graph: unknown dynamic axis '${s}'`);
    return i;
  }

  private handles(inputs: GraphInputs, op: string): Handle[] {
    if (!this.native) fail('DISPOSED', `${op}: the graph was disposed`);
    if (Array.isArray(inputs) && inputs.length === 1 && this.inputs.length === 1 && inputs[0] instanceof Tensor)
      return [inputs[0]._h]; // the common case, without the general checks' allocations
    let list: unknown[];
    if (inputs instanceof Tensor) list = [inputs];
    else if (Array.isArray(inputs)) list = inputs;
    else if (inputs && typeof inputs === 'object') {
      const byName = inputs as Record<string, unknown>;
      for (const k of Object.keys(byName))
        if (!this.inputs.some((i) => i.name === k))
          fail(
            'INVALID_ARGUMENT',
            `${op}: unknown input '${k}'; the graph's inputs are ${this.inputs.map((i) => `'${i.name}'`).join(', ')}`,
          );
      list = this.inputs.map((i) => byName[i.name]);
    } else
      fail(
        'INVALID_ARGUMENT',
        `${op}: expected a Tensor, an array of tensors or an object by name, got ${describe(inputs)}`,
      );
    if (list.length !== this.inputs.length)
      fail('INVALID_ARGUMENT', `${op}: expected ${this.inputs.length} input(s), got ${list.length}`);
    return list.map((t, i) => {
      if (!(t instanceof Tensor))
        fail('INVALID_ARGUMENT', `${op}: input '${this.inputs[i].name}' must be a Tensor, got ${describe(t)}`);
      return t._h;
    });
  }

  private results(r: Handle | Handle[]): unknown {
    if (!Array.isArray(r)) return this.template === 0 ? wrap(r) : this.rebuild([wrap(r)]);
    const hs = r;
    const many = hs.length > binding.meta.length / binding.metaSlot;
    const ts = hs.map((h, i) => {
      if (many) binding.describe(h);
      return wrap(h, many ? 0 : i);
    });
    return this.rebuild(ts);
  }

  private rebuild(ts: Tensor[]): unknown {
    const go = (t: OutputTemplate): unknown =>
      t === null
        ? null
        : typeof t === 'number'
          ? ts[t]
          : Array.isArray(t)
            ? t.map(go)
            : Object.fromEntries(Object.entries(t).map(([k, v]) => [k, go(v)]));
    return go(this.template);
  }

  /**
   * Runs the whole graph in one native call. Inputs by position, or by name; the result has the
   * structure the traced function returned.
   * @example const logits = graph.run([x]) as Tensor
   */
  run(inputs: GraphInputs): Tensor | unknown {
    const hs = this.handles(inputs, 'graph.run');
    return this.results(hs.length === 1 ? gb.graphRun(this.native!, hs[0]) : gb.graphRun(this.native!, ...hs));
  }

  /**
   * The chains of element-wise ops the executor runs as single passes (no intermediate tensors):
   * each one's op count. A chain runs fused when its inputs are float32 or float64 on the CPU,
   * contiguous, and all of one shape or single elements; else op by op, with the same numbers.
   * @example jit.trace((x, y) => x.mul(y).add(1).relu(), [x, y]).fusedChains() // [3]
   */
  fusedChains(): number[] {
    if (!this.native) fail('DISPOSED', 'jit.Graph.fusedChains: the graph was disposed');
    return gb.graphFusedChains(this.native);
  }

  /**
   * The native ops the executor runs, in order: the recorded nodes after folding (a `relu` of a
   * `linear` becomes one `linear_relu`, the ReLU applied as the product is stored). Members of a
   * fused chain are still listed one by one (see `fusedChains`).
   * @example jit.trace(mlp, [x]).plannedOps() // ['linear_relu', 'linear']
   */
  plannedOps(): string[] {
    if (!this.native) fail('DISPOSED', 'jit.Graph.plannedOps: the graph was disposed');
    return gb.graphPlannedOps(this.native);
  }

  /**
   * Runs the graph as Node-API async work, off the event loop (the core's threads work inside).
   * Many calls may run one graph at once: weights are shared, activations are per run.
   * @example const y = (await graph.runAsync([x])) as Tensor
   */
  async runAsync(inputs: GraphInputs): Promise<Tensor | unknown> {
    const hs = this.handles(inputs, 'graph.runAsync');
    return this.results(await gb.graphRunAsync(this.native!, hs));
  }

  /**
   * Frees the executable and the graph's references to its constants (a traced module's
   * parameters stay alive with the module). Idempotent.
   */
  dispose(): void {
    if (this.native) gb.graphDispose(this.native);
    this.native = null;
    for (const t of this.folded) t.dispose();
    this.folded = [];
    for (const c of this.constants.values()) if ('tensor' in c) c.tensor.dispose();
  }

  /** The graph's weights by name (what `loadStateDict` takes). */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const c of this.constants.values()) if ('tensor' in c) out[c.name] = c.tensor;
    return out;
  }

  /**
   * Writes the graph to one file (safetensors: the constants as tensors, the program in the
   * header's metadata), atomically. `jit.load` reads it in any process.
   * @example graph.save('model.tkg'); const g = jit.load('model.tkg')
   */
  save(path: string): void {
    const tensors: Record<string, Tensor> = {};
    const constants: [number, string | { scalar: string | number | boolean; bigint?: true }][] = [];
    for (const [slot, c] of this.constants) {
      if ('tensor' in c) {
        const prev = tensors[c.name];
        if (prev && prev !== c.tensor) fail('INVALID_ARGUMENT', `graph.save: two constants are named '${c.name}'`);
        tensors[c.name] = c.tensor;
        constants.push([slot, c.name]);
      } else
        constants.push([
          slot,
          typeof c.scalar === 'bigint' ? { scalar: String(c.scalar), bigint: true } : { scalar: c.scalar },
        ]);
    }
    const program = {
      version: 1,
      numValues: this.numValues,
      symbols: this.symbols,
      inputs: this.inputs,
      outputs: this.outputs,
      constants,
      nodes: this.nodes.map((n) => [n.op, n.attrs.map((a) => a ?? null), n.inputs, n.outputs, n.patches, n.scope]),
      values: this.values.map((v) => v ?? null),
      template: this.template,
      modules: this.modules,
    };
    saveSafetensors(tensors, path, { metadata: { format: FORMAT, program: JSON.stringify(program) } });
  }
}

// ---- loading ------------------------------------------------------------------------------------

/** Reports a defect in a graph's description (IO_ERROR from a file, INVALID_ARGUMENT from code). */
type Bad = (what: string) => never;

function isInt(v: unknown, lo = -(2 ** 31), hi = 2 ** 31 - 1): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}

function readDims(bad: Bad, v: unknown, what: string): SymDim[] {
  if (!Array.isArray(v) || v.length > binding.maxDims) bad(`${what}: bad shape`);
  return (v as unknown[]).map((d) =>
    isInt(d, 0, Number.MAX_SAFE_INTEGER) || (typeof d === 'string' && d.length > 0 && d.length < 256)
      ? d
      : bad(`${what}: bad dim ${describe(d)}`),
  );
}

function readAttr(bad: Bad, a: unknown): Attr {
  if (a === null || a === undefined) return null;
  if (typeof a === 'number' || typeof a === 'boolean') return a;
  if (typeof a === 'string' && a.length < 1024) return a;
  if (Array.isArray(a) && a.length <= 4096 && a.every((x) => typeof x === 'number')) return a as number[];
  return bad(`bad attribute ${describe(a)}`);
}

function readInfo(bad: Bad, v: unknown, numValues: number, what: string): ValueInfo & { slot: number } {
  const o = v as Record<string, unknown>;
  if (!o || typeof o !== 'object') bad(`bad ${what}`);
  if (typeof o.name !== 'string' || !isInt(o.slot, 0, numValues - 1) || !isDType(o.dtype as string))
    bad(`bad ${what} ${describe(o.name)}`);
  return {
    name: o.name as string,
    slot: o.slot as number,
    dtype: o.dtype as DType,
    shape: readDims(bad, o.shape, what),
  };
}

function readTemplate(bad: Bad, t: unknown, n: number, depth = 0): OutputTemplate {
  if (depth > 32) bad('output structure nested too deeply');
  if (t === null || isInt(t, 0, n - 1)) return t as OutputTemplate;
  if (Array.isArray(t)) return t.map((x) => readTemplate(bad, x, n, depth + 1));
  if (t && typeof t === 'object')
    return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, readTemplate(bad, v, n, depth + 1)]));
  return bad('bad output structure');
}

/** Checks a parsed program and builds the graph's parts; every defect is an IO_ERROR naming it. */
function readProgram(bad: Bad, p: Record<string, unknown>, tensors: Record<string, Tensor>): GraphParts {
  if (p.version !== 1) bad(`unsupported version ${describe(p.version)}`);
  const numValues = p.numValues;
  if (!isInt(numValues, 0, 1 << 24)) bad('bad value count');
  const nv = numValues as number;
  const symbols = p.symbols;
  if (!Array.isArray(symbols) || !symbols.every((s) => typeof s === 'string')) bad('bad dynamic axes');
  const list = (v: unknown, what: string): unknown[] => (Array.isArray(v) ? v : bad(`${what} must be a list`));
  const inputs = list(p.inputs, 'inputs').map((v) => readInfo(bad, v, nv, 'input'));
  const outputs = list(p.outputs, 'outputs').map((v) => readInfo(bad, v, nv, 'output'));
  const constants = new Map<number, GraphConstant>();
  for (const c of list(p.constants, 'constants')) {
    if (!Array.isArray(c) || !isInt(c[0], 0, nv - 1)) bad('bad constant');
    const [slot, v] = c as [number, unknown];
    if (typeof v === 'string') {
      const t = tensors[v];
      if (!t) bad(`constant '${v}' has no tensor`);
      constants.set(slot, { name: v, tensor: t });
    } else {
      const s = (v as { scalar?: unknown; bigint?: unknown } | null)?.scalar;
      if ((v as { bigint?: unknown }).bigint === true && typeof s === 'string' && /^-?\d{1,19}$/.test(s))
        constants.set(slot, { name: '', scalar: BigInt(s) });
      else if (typeof s === 'number' || typeof s === 'boolean') constants.set(slot, { name: '', scalar: s });
      else bad('bad scalar constant');
    }
  }
  const nodes = list(p.nodes, 'nodes').map((n): GraphNode => {
    if (!Array.isArray(n) || n.length !== 6) bad('bad node');
    const [op, attrs, ins, outs, patches, scope] = n as unknown[];
    if (typeof op !== 'string' || !(OP_NAMES as readonly string[]).includes(op)) bad(`unknown op ${describe(op)}`);
    const slots = (v: unknown, lo: number) =>
      Array.isArray(v) && v.length <= 1024 && v.every((s) => isInt(s, lo, nv - 1))
        ? (v as number[])
        : bad(`node ${op}: bad value slots`);
    return {
      op: op as OpName,
      attrs: list(attrs, 'attributes').map((a) => readAttr(bad, a)),
      inputs: slots(ins, -1),
      outputs: slots(outs, 0),
      patches: list(patches, 'patches').map((q) => {
        const o = q as Record<string, unknown>;
        if (!o || !isInt(o.attr, 0) || !isInt(o.elem, -1) || typeof o.sym !== 'string' || !isInt(o.a) || !isInt(o.b))
          bad(`node ${op}: bad dynamic attribute`);
        return { attr: o.attr, elem: o.elem, sym: o.sym, a: o.a, b: o.b } as SymPatch;
      }),
      scope: typeof scope === 'string' ? scope : '',
    };
  });
  const values = list(p.values, 'values').map((v, i) => {
    if (v === null) return undefined;
    const o = v as { dtype?: unknown; shape?: unknown };
    if (!isDType(o.dtype as string)) bad(`value ${i}: bad dtype`);
    return { dtype: o.dtype as DType, shape: readDims(bad, o.shape, `value ${i}`) };
  });
  const modules = (p.modules === undefined ? [] : list(p.modules, 'modules')).map((v): ModuleCall => {
    const o = v as Record<string, unknown>;
    const slots = (x: unknown) =>
      Array.isArray(x) && x.every((s) => isInt(s, -1, nv - 1)) ? (x as number[]) : bad('bad module call');
    if (!o || typeof o.path !== 'string' || typeof o.type !== 'string' || !o.config || typeof o.config !== 'object')
      bad('bad module call');
    if (!isInt(o.first, 0) || !isInt(o.last, 0) || (o.first as number) > (o.last as number)) bad('bad module call');
    for (const c of Object.values(o.config as object))
      if (
        !['number', 'boolean', 'string'].includes(typeof c) &&
        !(Array.isArray(c) && c.every((x) => typeof x === 'number'))
      )
        bad('bad module setting');
    return {
      path: o.path as string,
      type: o.type as string,
      config: o.config as ModuleCall['config'],
      inputs: slots(o.inputs),
      outputs: slots(o.outputs),
      first: o.first as number,
      last: o.last as number,
    };
  });
  return {
    modules,
    numValues: nv,
    symbols: symbols as string[],
    inputs,
    outputs,
    constants,
    nodes,
    values,
    template: readTemplate(bad, p.template, outputs.length),
  };
}

/**
 * Loads a graph written by `graph.save`: no model code is needed. A damaged or hostile file is an
 * IO_ERROR.
 * @example const g = jit.load('model.tkg'); const y = g.run([x])
 */
export function load(path: string): Graph {
  const bad: Bad = (what) => fail('IO_ERROR', `jit.load: '${path}' is not a valid tensorkit graph: ${what}`);
  const { tensors, metadata } = loadWithMetadata(path);
  const free = () => Object.values(tensors).forEach((t) => t.dispose());
  try {
    if (metadata.format !== FORMAT || typeof metadata.program !== 'string')
      bad('no tensorkit program in the header (is it a plain weights file?)');
    let program: unknown;
    try {
      program = JSON.parse(metadata.program);
    } catch {
      bad('the program is not valid JSON');
    }
    if (!program || typeof program !== 'object') bad('the program is not an object');
    const parts = readProgram(bad, program as Record<string, unknown>, tensors);
    for (const t of Object.values(tensors)) keep(t);
    try {
      return new Graph(parts);
    } catch (e) {
      if (e instanceof TensorError && e.code !== 'IO_ERROR') bad(e.message);
      throw e;
    }
  } catch (e) {
    free();
    throw e;
  }
}

/** Checks parts given to `new Graph` as jit.load checks a file (INVALID_ARGUMENT for a defect). */
function checkParts(parts: GraphParts): GraphParts {
  const bad: Bad = (what) => fail('INVALID_ARGUMENT', `jit.Graph: ${what}`);
  if (!parts || typeof parts !== 'object') bad(`expected the graph's parts, got ${describe(parts)}`);
  if (!(parts.constants instanceof Map)) bad('constants must be a Map of slot to constant');
  const tensors: Record<string, Tensor> = {};
  const constants: unknown[] = [];
  for (const [slot, c] of parts.constants) {
    if (!c || typeof c !== 'object') bad(`constant ${describe(slot)} must be an object`);
    if ('tensor' in c) {
      if (!(c.tensor instanceof Tensor)) bad(`constant ${describe(slot)} must hold a Tensor`);
      tensors[`#${slot}`] = c.tensor;
      constants.push([slot, `#${slot}`]);
    } else
      constants.push([
        slot,
        typeof c.scalar === 'bigint' ? { scalar: String(c.scalar), bigint: true } : { scalar: c.scalar },
      ]);
  }
  const nodes = Array.isArray(parts.nodes)
    ? parts.nodes.map((n) =>
        n && typeof n === 'object' ? [n.op, n.attrs, n.inputs, n.outputs, n.patches, n.scope] : null,
      )
    : parts.nodes;
  const checked = readProgram(
    bad,
    {
      version: 1,
      numValues: parts.numValues,
      symbols: parts.symbols,
      inputs: parts.inputs,
      outputs: parts.outputs,
      constants,
      nodes,
      values: Array.isArray(parts.values) ? parts.values.map((v) => v ?? null) : parts.values,
      template:
        parts.template ??
        (Array.isArray(parts.outputs) && parts.outputs.length === 1 ? 0 : parts.outputs?.map((_, i) => i)),
      modules: parts.modules ?? [],
    },
    tensors,
  );
  for (const [slot, c] of parts.constants)
    if ('tensor' in c) checked.constants.set(slot, { name: String(c.name), tensor: c.tensor });
  return checked;
}
