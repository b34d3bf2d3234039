// onnx.export: a jit graph (traced here from a module when one is given) written as an ONNX model.
// Each native op maps to ONNX ops through one table; some module calls (BatchNorm, LayerNorm,
// LSTM, GRU) map to one ONNX op each; subexpressions of constants are folded. Every op that has
// no mapping is listed in one NOT_IMPLEMENTED error.
import { noGrad } from '../autograd.js';
import type { Attr, Handle } from '../binding.js';
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import { writeFileAtomic } from '../io/files.js';
import { Graph, type GraphNode, type ModuleCall } from '../jit/graph.js';
import { trace, type TraceOptions } from '../jit/trace.js';
import { tidy } from '../memory.js';
import { Module } from '../nn/module.js';
import { cat, stack } from '../ops/functional.js';
import { opMultiN, opN, setRecorder } from '../ops/dispatch.js';
import type { OpName } from '../ops/ops.generated.js';
import { checkOptions, describe } from '../options.js';
import { storedBytes, Tensor } from '../tensor.js';
import { tensor, zeros } from '../ops/creation.js';
import { writeModel, type OnnxAttr, type OnnxNode, type OnnxTensor } from './proto.js';

/** Options of `onnx.export`. */
export interface ExportOptions {
  /** Opset version, 13 to 18 (default 17). */
  opset?: number;
  /** As jit.trace's, by input name: axes whose size may change. */
  dynamicAxes?: TraceOptions['dynamicAxes'];
  inputNames?: readonly string[];
  outputNames?: readonly string[];
  /** Fold subexpressions of constants into initializers (default true). */
  doConstantFolding?: boolean;
}

const IR_VERSION = 8;
const RANDOM = new Set<string>(['rand', 'randn', 'randint']);

/** An integer that may depend on a dynamic axis: a * size(sym) + b. */
type Aff = number | { sym: string; a: number; b: number };

class Ctx {
  readonly nodes: OnnxNode[] = [];
  readonly inits = new Map<string, OnnxTensor>();
  readonly names: string[];
  readonly missing = new Set<string>();
  /** Known values of slots: constants and folded results (tensors), or scalar operands. */
  readonly known = new Map<number, Tensor | number | boolean | bigint>();
  private readonly constName = new Map<string, string>();
  private readonly symCache = new Map<string, string>();
  private readonly owned: Tensor[] = [];
  private n = 0;

  constructor(
    readonly g: Graph,
    readonly opset: number,
    readonly fold: boolean,
  ) {
    this.names = Array.from({ length: g.numValues }, (_, s) => `v${s}`);
    for (const i of g.inputs) this.names[i.slot] = i.name;
    for (const [slot, c] of g.constants) {
      this.known.set(slot, 'tensor' in c ? c.tensor : c.scalar);
      if ('tensor' in c) this.names[slot] = c.name;
    }
  }

  fresh(p: string): string {
    return `${p}_${this.n++}`;
  }
  dtype(slot: number): DType {
    const v = this.g.values[slot];
    if (!v) fail('INTERNAL', `onnx.export: no dtype known for value ${slot}`);
    return v.dtype;
  }
  shape(slot: number) {
    return this.g.values[slot]?.shape ?? [];
  }
  emit(
    opType: string,
    inputs: string[],
    outputs: number | string[] = 1,
    attrs: Record<string, OnnxAttr> = {},
  ): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(opType)) : outputs;
    this.nodes.push({ opType, inputs, outputs: outs, name: this.fresh(`${opType}_node`), attrs });
    return outs;
  }
  /** An initializer of raw values (name made fresh unless given). */
  init(dtype: DType, dims: number[], raw: Uint8Array, name = this.fresh('const')): string {
    this.inits.set(name, { name, dtype, dims, raw });
    return name;
  }
  int64s(vs: readonly number[], scalar = false): string {
    const key = `i64:${scalar}:${vs.join(',')}`;
    let name = this.constName.get(key);
    if (!name) {
      const raw = new Uint8Array(new BigInt64Array(vs.map((v) => BigInt(v))).buffer);
      name = this.init('int64', scalar ? [] : [vs.length], raw);
      this.constName.set(key, name);
    }
    return name;
  }
  scalarOf(dtype: DType, v: number | boolean | bigint): string {
    const key = `${dtype}:${String(v)}`;
    let name = this.constName.get(key);
    if (!name) {
      const t = tensor([typeof v === 'bigint' ? Number(v) : (v as number)], { dtype }).reshape([]);
      this.owned.push(t);
      name = this.init(dtype, [], storedBytes(t));
      this.constName.set(key, name);
    }
    return name;
  }
  /** The ONNX name of a slot read as `dtype` (scalars take the dtype their use needs). */
  read(slot: number, dtype?: DType): string {
    const k = this.known.get(slot);
    if (k !== undefined && !(k instanceof Tensor)) return this.scalarOf(dtype ?? this.dtype(slot), k);
    if (k instanceof Tensor && !this.inits.has(this.names[slot]) && !this.emitted.has(slot))
      this.init(k.dtype, [...k.shape], storedBytes(k), this.names[slot]);
    const name = this.names[slot];
    if (dtype && this.dtype(slot) !== dtype)
      return this.emit('Cast', [name], 1, { to: { kind: 'int', v: onnxCode(dtype) } })[0];
    return name;
  }
  /** Slots whose value an emitted node produced (not initializers). */
  readonly emitted = new Set<number>();
  /** Names output slot(s) of a node: the producer writes to them directly. */
  out(slot: number): string {
    this.emitted.add(slot);
    this.known.delete(slot);
    return this.names[slot];
  }
  // One element of a dynamic axis as a 1-D int64 tensor [size].
  private symSize(sym: string): string {
    let name = this.symCache.get(sym);
    if (name) return name;
    for (const i of this.g.inputs) {
      const k = i.shape.indexOf(sym);
      if (k < 0) continue;
      const shape = this.emit('Shape', [i.name])[0];
      name = this.emit('Gather', [shape, this.int64s([k])], 1, { axis: { kind: 'int', v: 0 } })[0];
      this.symCache.set(sym, name);
      return name;
    }
    return fail('INTERNAL', `onnx.export: no input carries dynamic axis '${sym}'`);
  }
  /** A 1-D int64 tensor of integers, computed from the inputs' shapes where dynamic. */
  affInts(vs: Aff[]): string {
    if (vs.every((v) => typeof v === 'number')) return this.int64s(vs as number[]);
    const parts = vs.map((v) => {
      if (typeof v === 'number') return this.int64s([v]);
      let x = this.symSize(v.sym);
      if (v.a !== 1) x = this.emit('Mul', [x, this.int64s([v.a])])[0];
      if (v.b !== 0) x = this.emit('Add', [x, this.int64s([v.b])])[0];
      return x;
    });
    return parts.length === 1 ? parts[0] : this.emit('Concat', parts, 1, { axis: { kind: 'int', v: 0 } })[0];
  }
  dispose() {
    for (const t of this.owned) t.dispose();
  }
  keep(t: Tensor) {
    this.owned.push(t);
    return t;
  }
}

function onnxCode(d: DType): number {
  const codes: Record<string, number> = {
    float32: 1,
    int32: 6,
    int64: 7,
    bool: 9,
    float16: 10,
    float64: 11,
    bfloat16: 16,
  };
  return codes[d];
}

// ---- attribute access -------------------------------------------------------------------------

function attr(n: GraphNode, k: number): Attr {
  return n.attrs[k];
}
function aff(n: GraphNode, k: number, elem: number, v: number): Aff {
  const p = n.patches.find((q) => q.attr === k && q.elem === elem);
  return p ? { sym: p.sym, a: p.a, b: p.b } : v;
}
function affList(n: GraphNode, k: number): Aff[] {
  const a = attr(n, k);
  const list = typeof a === 'number' ? [a] : (a as number[]);
  return list.map((v, e) => aff(n, k, typeof a === 'number' ? -1 : e, v));
}
function staticInts(c: Ctx, n: GraphNode, k: number, what: string): number[] | undefined {
  if (n.patches.some((p) => p.attr === k)) {
    c.missing.add(`${n.op} (${what} depends on a dynamic axis)`);
    return undefined;
  }
  const a = attr(n, k);
  return a === null || a === undefined ? undefined : typeof a === 'number' ? [a] : [...(a as number[])];
}
const wrapDim = (d: number, nd: number) => (d < 0 ? d + nd : d);
const int = (v: number): OnnxAttr => ({ kind: 'int', v });
const ints = (v: readonly number[]): OnnxAttr => ({ kind: 'ints', v });

// ---- the op table -----------------------------------------------------------------------------

type Exporter = (c: Ctx, n: GraphNode) => void;

const simple =
  (opType: string): Exporter =>
  (c, n) =>
    void c.emit(opType, [c.read(n.inputs[0])], [c.out(n.outputs[0])]);

// Element-wise binary ops compute in the result's dtype (comparisons: the operands' common type).
const binary =
  (opType: string, compare = false, negate = false): Exporter =>
  (c, n) => {
    const [a, b] = n.inputs;
    const tensorOf = (s: number) => (c.known.get(s) instanceof Tensor || !c.known.has(s) ? c.dtype(s) : undefined);
    let t: DType;
    if (!compare) t = c.dtype(n.outputs[0]);
    else {
      const ta = tensorOf(a),
        tb = tensorOf(b);
      t = ta ?? tb ?? 'float32';
      if (ta && tb && ta !== tb) t = ta.startsWith('float') ? ta : tb.startsWith('float') ? tb : ta;
      const other = ta ? b : a;
      const s = c.known.get(other);
      if (!(s instanceof Tensor) && typeof s === 'number' && !Number.isInteger(s) && !t.startsWith('float'))
        t = 'float32';
    }
    const ins = [c.read(a, t), c.read(b, t)];
    if (negate) {
      const eq = c.emit(opType, ins)[0];
      c.emit('Not', [eq], [c.out(n.outputs[0])]);
    } else c.emit(opType, ins, [c.out(n.outputs[0])]);
  };

function reduceAxes(
  c: Ctx,
  n: GraphNode,
  opType: string,
  x: string,
  axes: number[] | undefined,
  keep: boolean,
  out: string,
) {
  const attrs: Record<string, OnnxAttr> = { keepdims: int(keep ? 1 : 0) };
  const inputsAxes = opType === 'ReduceSum' || c.opset >= 18;
  if (axes && axes.length) {
    if (inputsAxes) return c.emit(opType, [x, c.int64s(axes)], [out], attrs);
    attrs.axes = ints(axes);
  }
  return c.emit(opType, [x], [out], attrs);
}

const reduce =
  (opType: string): Exporter =>
  (c, n) => {
    const axes = staticInts(c, n, 0, 'dim');
    const x = c.read(n.inputs[0], c.dtype(n.outputs[0]));
    reduceAxes(c, n, opType, x, axes, attr(n, 1) === true, c.out(n.outputs[0]));
  };

const argReduce =
  (opType: string, withValues: string | null): Exporter =>
  (c, n) => {
    let x = c.read(n.inputs[0]);
    const d = attr(n, 0);
    const keep = attr(n, 1) === true;
    let axis = typeof d === 'number' ? d : 0;
    if (typeof d !== 'number') x = c.emit('Reshape', [x, c.int64s([-1])])[0];
    const outs = n.outputs;
    if (withValues) {
      reduceAxes(c, n, withValues, x, [axis], keep, c.out(outs[0]));
      c.emit(opType, [x], [c.out(outs[1])], { axis: int(axis), keepdims: int(keep ? 1 : 0) });
    } else c.emit(opType, [x], [c.out(outs[0])], { axis: int(axis), keepdims: int(keep ? 1 : 0) });
    axis = 0;
  };

function shapeOf(c: Ctx, slot: number): number[] | undefined {
  const s = c.shape(slot);
  return s.every((d) => typeof d === 'number') ? (s as number[]) : undefined;
}

// var/std: sum((x - mean)^2) / (n - correction) over static sizes.
const variance =
  (std: boolean): Exporter =>
  (c, n) => {
    const shape = c.shape(n.inputs[0]);
    const nd = shape.length;
    const dims = staticInts(c, n, 0, 'dim') ?? shape.map((_, i) => i);
    const axes = dims.map((d) => wrapDim(d, nd));
    const sizes = axes.map((a) => shape[a]);
    if (!sizes.every((s) => typeof s === 'number')) return void c.missing.add(`${n.op} over a dynamic axis`);
    const count = (sizes as number[]).reduce((p, q) => p * q, 1);
    const corr = (attr(n, 1) as number | null) ?? 1;
    const keep = attr(n, 2) === true;
    const t = c.dtype(n.outputs[0]);
    const x = c.read(n.inputs[0], t);
    const mean = reduceAxes(c, n, 'ReduceMean', x, axes, true, c.fresh('mean'))[0];
    const d = c.emit('Sub', [x, mean])[0];
    const sq = c.emit('Mul', [d, d])[0];
    const sum = reduceAxes(c, n, 'ReduceSum', sq, axes, keep, c.fresh('sum'))[0];
    const out = c.out(n.outputs[0]);
    const v = std ? c.fresh('var') : out;
    c.emit('Div', [sum, c.scalarOf(t, Math.max(0, count - corr))], [v]);
    if (std) c.emit('Sqrt', [v], [out]);
  };

function conv2dAttrs(n: GraphNode, first: number, kernel: number[]): Record<string, OnnxAttr> {
  const two = (k: number, def: number) => {
    const a = attr(n, k);
    if (a === null || a === undefined) return [def, def];
    const v = typeof a === 'number' ? [a] : (a as number[]);
    return v.length === 1 ? [v[0], v[0]] : [v[0], v[1]];
  };
  const padsOf = () => {
    const a = attr(n, first + 1);
    if (a === null || a === undefined) return [0, 0, 0, 0];
    const v = typeof a === 'number' ? [a] : (a as number[]);
    return v.length === 1 ? [v[0], v[0], v[0], v[0]] : v.length === 2 ? [v[0], v[1], v[0], v[1]] : v;
  };
  const groups = attr(n, first + 3);
  return {
    kernel_shape: ints(kernel),
    strides: ints(two(first, 1)),
    pads: ints(padsOf()),
    dilations: ints(two(first + 2, 1)),
    group: int(typeof groups === 'number' ? groups : 1),
  };
}

function poolAttrs(n: GraphNode): { dil: number[]; [k: string]: OnnxAttr | number[] } {
  const two = (k: number, def: number[]) => {
    const a = attr(n, k);
    if (a === null || a === undefined) return def;
    const v = typeof a === 'number' ? [a] : (a as number[]);
    return v.length === 1 ? [v[0], v[0]] : [v[0], v[1]];
  };
  const kernel = two(0, [1, 1]);
  const pad = two(2, [0, 0]);
  return {
    kernel_shape: ints(kernel),
    strides: ints(two(1, kernel)),
    pads: ints([pad[0], pad[1], pad[0], pad[1]]),
    ceil_mode: int(attr(n, 4) === true ? 1 : 0),
    dil: two(3, [1, 1]),
  };
}

// GELU at opsets without Gelu: 0.5 x (1 + erf(x / sqrt 2)).
const gelu: Exporter = (c, n) => {
  const t = c.dtype(n.outputs[0]);
  const x = c.read(n.inputs[0]);
  const e = c.emit('Erf', [c.emit('Div', [x, c.scalarOf(t, Math.SQRT2)])[0]])[0];
  const h = c.emit('Mul', [x, c.emit('Add', [e, c.scalarOf(t, 1)])[0]])[0];
  c.emit('Mul', [h, c.scalarOf(t, 0.5)], [c.out(n.outputs[0])]);
};

const EXPORTERS: Partial<Record<OpName, Exporter>> = {
  neg: simple('Neg'),
  abs: simple('Abs'),
  exp: simple('Exp'),
  log: simple('Log'),
  sqrt: simple('Sqrt'),
  sin: simple('Sin'),
  cos: simple('Cos'),
  relu: simple('Relu'),
  sigmoid: simple('Sigmoid'),
  tanh: simple('Tanh'),
  erf: simple('Erf'),
  gelu,
  log1p: (c, n) => {
    const x = c.read(n.inputs[0]);
    c.emit('Log', [c.emit('Add', [x, c.scalarOf(c.dtype(n.outputs[0]), 1)])[0]], [c.out(n.outputs[0])]);
  },
  rsqrt: (c, n) => void c.emit('Reciprocal', [c.emit('Sqrt', [c.read(n.inputs[0])])[0]], [c.out(n.outputs[0])]),
  clamp: (c, n) => {
    const t = c.dtype(n.outputs[0]);
    const lo = attr(n, 0),
      hi = attr(n, 1);
    const ins = [
      c.read(n.inputs[0], t),
      typeof lo === 'number' ? c.scalarOf(t, lo) : '',
      typeof hi === 'number' ? c.scalarOf(t, hi) : '',
    ];
    while (ins[ins.length - 1] === '') ins.pop();
    c.emit('Clip', ins, [c.out(n.outputs[0])]);
  },
  add: binary('Add'),
  sub: binary('Sub'),
  mul: binary('Mul'),
  div: binary('Div'),
  pow: binary('Pow'),
  maximum: binary('Max'),
  minimum: binary('Min'),
  eq: binary('Equal', true),
  ne: binary('Equal', true, true),
  lt: binary('Less', true),
  le: binary('LessOrEqual', true),
  gt: binary('Greater', true),
  ge: binary('GreaterOrEqual', true),
  where: (c, n) => {
    const t = c.dtype(n.outputs[0]);
    c.emit(
      'Where',
      [c.read(n.inputs[0], 'bool'), c.read(n.inputs[1], t), c.read(n.inputs[2], t)],
      [c.out(n.outputs[0])],
    );
  },
  sum: reduce('ReduceSum'),
  mean: reduce('ReduceMean'),
  max: reduce('ReduceMax'),
  min: reduce('ReduceMin'),
  argmax: argReduce('ArgMax', null),
  argmin: argReduce('ArgMin', null),
  max_with_indices: argReduce('ArgMax', 'ReduceMax'),
  min_with_indices: argReduce('ArgMin', 'ReduceMin'),
  var: variance(false),
  std: variance(true),
  softmax: (c, n) =>
    void c.emit('Softmax', [c.read(n.inputs[0])], [c.out(n.outputs[0])], { axis: int(attr(n, 0) as number) }),
  log_softmax: (c, n) =>
    void c.emit('LogSoftmax', [c.read(n.inputs[0])], [c.out(n.outputs[0])], { axis: int(attr(n, 0) as number) }),
  cumsum: (c, n) =>
    void c.emit('CumSum', [c.read(n.inputs[0]), c.int64s([attr(n, 0) as number], true)], [c.out(n.outputs[0])]),
  reshape: (c, n) => void c.emit('Reshape', [c.read(n.inputs[0]), c.affInts(affList(n, 0))], [c.out(n.outputs[0])]),
  view: (c, n) => void c.emit('Reshape', [c.read(n.inputs[0]), c.affInts(affList(n, 0))], [c.out(n.outputs[0])]),
  transpose: (c, n) => {
    const nd = c.shape(n.inputs[0]).length;
    const perm = Array.from({ length: nd }, (_, i) => i);
    const a = wrapDim(attr(n, 0) as number, nd),
      b = wrapDim(attr(n, 1) as number, nd);
    [perm[a], perm[b]] = [perm[b], perm[a]];
    c.emit('Transpose', [c.read(n.inputs[0])], [c.out(n.outputs[0])], { perm: ints(perm) });
  },
  permute: (c, n) => {
    const nd = c.shape(n.inputs[0]).length;
    const perm = staticInts(c, n, 0, 'dims')?.map((d) => wrapDim(d, nd));
    if (perm) c.emit('Transpose', [c.read(n.inputs[0])], [c.out(n.outputs[0])], { perm: ints(perm) });
  },
  expand: (c, n) => {
    // -1 keeps a dim: Expand broadcasts a 1 to the input's size, which is the same.
    const shape = affList(n, 0).map((v) => (v === -1 ? 1 : v));
    c.emit('Expand', [c.read(n.inputs[0]), c.affInts(shape)], [c.out(n.outputs[0])]);
  },
  squeeze: (c, n) => {
    const shape = c.shape(n.inputs[0]);
    const dims = staticInts(c, n, 0, 'dim') ?? shape.flatMap((d, i) => (d === 1 ? [i] : []));
    const axes = dims.map((d) => wrapDim(d, shape.length)).filter((d) => shape[d] === 1);
    if (!axes.length) return void c.emit('Identity', [c.read(n.inputs[0])], [c.out(n.outputs[0])]);
    c.emit('Squeeze', [c.read(n.inputs[0]), c.int64s(axes)], [c.out(n.outputs[0])]);
  },
  unsqueeze: (c, n) => {
    const nd = c.shape(n.inputs[0]).length + 1;
    c.emit('Unsqueeze', [c.read(n.inputs[0]), c.int64s([wrapDim(attr(n, 0) as number, nd)])], [c.out(n.outputs[0])]);
  },
  flatten: (c, n) => {
    const shape = c.shape(n.inputs[0]);
    const nd = shape.length;
    const s = wrapDim((attr(n, 0) as number | null) ?? 0, Math.max(nd, 1)),
      e = wrapDim((attr(n, 1) as number | null) ?? -1, Math.max(nd, 1));
    if (s === 1 && e === nd - 1 && nd >= 2)
      return void c.emit('Flatten', [c.read(n.inputs[0])], [c.out(n.outputs[0])], { axis: int(1) });
    const target: Aff[] = [...shape.slice(0, s).map(() => 0), -1, ...shape.slice(e + 1).map((d) => affOfDim(d))];
    c.emit('Reshape', [c.read(n.inputs[0]), c.affInts(target)], [c.out(n.outputs[0])]);
  },
  narrow: (c, n) => {
    const dim = wrapDim(attr(n, 0) as number, c.shape(n.inputs[0]).length);
    const start = aff(n, 1, -1, attr(n, 1) as number),
      len = aff(n, 2, -1, attr(n, 2) as number);
    const end = addAff(start, len);
    if (end === null) return void c.missing.add('narrow (start and length on different dynamic axes)');
    c.emit(
      'Slice',
      [c.read(n.inputs[0]), c.affInts([start]), c.affInts([end]), c.int64s([dim])],
      [c.out(n.outputs[0])],
    );
  },
  select: (c, n) => {
    const dim = wrapDim(attr(n, 0) as number, c.shape(n.inputs[0]).length);
    const idx = aff(n, 1, -1, attr(n, 1) as number);
    const i = typeof idx === 'number' ? c.int64s([idx], true) : c.emit('Squeeze', [c.affInts([idx]), c.int64s([0])])[0];
    c.emit('Gather', [c.read(n.inputs[0]), i], [c.out(n.outputs[0])], { axis: int(dim) });
  },
  contiguous: simple('Identity'),
  clone: simple('Identity'),
  to_device: simple('Identity'),
  to_dtype: (c, n) =>
    void c.emit('Cast', [c.read(n.inputs[0])], [c.out(n.outputs[0])], { to: int(onnxCode(c.dtype(n.outputs[0]))) }),
  cat: (c, n) => {
    const t = c.dtype(n.outputs[0]);
    const nd = c.shape(n.outputs[0]).length;
    c.emit(
      'Concat',
      n.inputs.map((s) => c.read(s, t)),
      [c.out(n.outputs[0])],
      {
        axis: int(wrapDim((attr(n, 0) as number | null) ?? 0, nd)),
      },
    );
  },
  stack: (c, n) => {
    const t = c.dtype(n.outputs[0]);
    const nd = c.shape(n.outputs[0]).length;
    const d = wrapDim((attr(n, 0) as number | null) ?? 0, nd);
    const parts = n.inputs.map((s) => c.emit('Unsqueeze', [c.read(s, t), c.int64s([d])])[0]);
    c.emit('Concat', parts, [c.out(n.outputs[0])], { axis: int(d) });
  },
  matmul: (c, n) => gemmOrMatMul(c, n),
  bmm: (c, n) => void c.emit('MatMul', [c.read(n.inputs[0]), c.read(n.inputs[1])], [c.out(n.outputs[0])]),
  mv: (c, n) => void c.emit('MatMul', [c.read(n.inputs[0]), c.read(n.inputs[1])], [c.out(n.outputs[0])]),
  dot: (c, n) => void c.emit('MatMul', [c.read(n.inputs[0]), c.read(n.inputs[1])], [c.out(n.outputs[0])]),
  addmm: (c, n) => {
    const beta = (attr(n, 0) as number | null) ?? 1,
      alpha = (attr(n, 1) as number | null) ?? 1;
    const [bias, a, b] = n.inputs;
    const [bName, transB] = throughTranspose(c, b);
    c.emit('Gemm', [c.read(a), bName, c.read(bias)], [c.out(n.outputs[0])], {
      alpha: { kind: 'float', v: alpha },
      beta: { kind: 'float', v: beta },
      transB: int(transB ? 1 : 0),
    });
  },
  conv2d: (c, n) => {
    const w = c.shape(n.inputs[1]) as number[];
    const ins = n.inputs
      .slice(0, 3)
      .filter((s) => s >= 0)
      .map((s) => c.read(s));
    c.emit('Conv', ins, [c.out(n.outputs[0])], conv2dAttrs(n, 0, [w[2], w[3]]));
  },
  conv2d_input_grad: (c, n) => {
    const w = c.shape(n.inputs[1]) as number[];
    const a = conv2dAttrs(n, 1, [w[2], w[3]]);
    const inHW = attr(n, 0) as number[];
    const gy = c.shape(n.inputs[0]);
    const list = (x: OnnxAttr) => (x as { v: readonly number[] }).v;
    const s = list(a.strides),
      p = list(a.pads),
      d = list(a.dilations);
    const op = [0, 1].map(
      (k) => inHW[k] - ((Number(gy[2 + k]) - 1) * s[k] - p[k] - p[k + 2] + d[k] * (w[2 + k] - 1) + 1),
    );
    c.emit('ConvTranspose', [c.read(n.inputs[0]), c.read(n.inputs[1])], [c.out(n.outputs[0])], {
      ...a,
      output_padding: ints(op),
    });
  },
  max_pool2d: (c, n) => {
    if (n.outputs.length > 1 && usedLater(c, n.outputs[1])) return void c.missing.add('max_pool2d indices');
    const { dil, ...a } = poolAttrs(n);
    c.emit('MaxPool', [c.read(n.inputs[0])], [c.out(n.outputs[0])], {
      ...(a as Record<string, OnnxAttr>),
      dilations: ints(dil),
    });
  },
  avg_pool2d: (c, n) => {
    const { dil, ...a } = poolAttrs(n);
    if (dil[0] !== 1 || dil[1] !== 1) return void c.missing.add('avg_pool2d with dilation');
    c.emit('AveragePool', [c.read(n.inputs[0])], [c.out(n.outputs[0])], {
      ...(a as Record<string, OnnxAttr>),
      count_include_pad: int(attr(n, 5) === false ? 0 : 1),
    });
  },
  adaptive_avg_pool2d: (c, n) => {
    const [oh, ow] = attr(n, 0) as number[];
    if (oh === 1 && ow === 1) return void c.emit('GlobalAveragePool', [c.read(n.inputs[0])], [c.out(n.outputs[0])]);
    const s = shapeOf(c, n.inputs[0]);
    if (!s || s[2] % oh || s[3] % ow)
      return void c.missing.add('adaptive_avg_pool2d to a size that does not divide the input');
    const k = [s[2] / oh, s[3] / ow];
    c.emit('AveragePool', [c.read(n.inputs[0])], [c.out(n.outputs[0])], { kernel_shape: ints(k), strides: ints(k) });
  },
  embedding: (c, n) =>
    void c.emit('Gather', [c.read(n.inputs[0]), c.read(n.inputs[1])], [c.out(n.outputs[0])], { axis: int(0) }),
  index_select: (c, n) =>
    void c.emit('Gather', [c.read(n.inputs[0]), c.read(n.inputs[1])], [c.out(n.outputs[0])], {
      axis: int(wrapDim(attr(n, 0) as number, c.shape(n.inputs[0]).length)),
    }),
  gather: (c, n) =>
    void c.emit('GatherElements', [c.read(n.inputs[0]), c.read(n.inputs[1])], [c.out(n.outputs[0])], {
      axis: int(wrapDim(attr(n, 0) as number, c.shape(n.inputs[0]).length)),
    }),
  zeros: (c, n) => constantOfShape(c, n, 0, 0),
  ones: (c, n) => constantOfShape(c, n, 0, 1),
  full: (c, n) => constantOfShape(c, n, 0, attr(n, 1) as number),
};

function affOfDim(d: number | string): Aff {
  if (typeof d === 'number') return d;
  const m = /^(?:(-?\d+)\*)?([^*+-]+?)(?:([+-]\d+))?$/.exec(d);
  return m ? { sym: m[2], a: m[1] ? Number(m[1]) : 1, b: m[3] ? Number(m[3]) : 0 } : -1;
}
function addAff(x: Aff, y: Aff): Aff | null {
  if (typeof x === 'number' && typeof y === 'number') return x + y;
  if (typeof x === 'number') return { ...(y as Exclude<Aff, number>), b: (y as { b: number }).b + x };
  if (typeof y === 'number') return { ...x, b: x.b + y };
  return x.sym === y.sym ? { sym: x.sym, a: x.a + y.a, b: x.b + y.b } : null;
}

function constantOfShape(c: Ctx, n: GraphNode, k: number, value: number) {
  const t = c.dtype(n.outputs[0]);
  const v = tensor([value], { dtype: t });
  c.keep(v);
  c.emit('ConstantOfShape', [c.affInts(affList(n, k))], [c.out(n.outputs[0])], {
    value: { kind: 'tensor', v: { name: 'value', dtype: t, dims: [1], raw: storedBytes(v) } },
  });
}

// The producer of a slot, if a node made it.
function producer(c: Ctx, slot: number): GraphNode | undefined {
  return c.g.nodes.find((n) => n.outputs.includes(slot));
}
function usedLater(c: Ctx, slot: number): boolean {
  return c.g.nodes.some((n) => n.inputs.includes(slot)) || c.g.outputs.some((o) => o.slot === slot);
}
// A weight read through `.t()` (Linear): Gemm reads the weight itself with transB, so the
// initializer keeps the parameter's name and layout.
function throughTranspose(c: Ctx, slot: number): [string, boolean] {
  const p = producer(c, slot);
  if (
    p &&
    p.op === 'transpose' &&
    c.shape(p.inputs[0]).length === 2 &&
    c.known.has(p.inputs[0]) &&
    !c.emitted.has(slot)
  )
    return [c.read(p.inputs[0]), true];
  return [c.read(slot), false];
}
function gemmOrMatMul(c: Ctx, n: GraphNode) {
  const [a, b] = n.inputs;
  if (c.shape(a).length === 2 && c.shape(b).length === 2) {
    const [bName, transB] = throughTranspose(c, b);
    if (transB) return void c.emit('Gemm', [c.read(a), bName], [c.out(n.outputs[0])], { transB: int(1) });
  }
  c.emit('MatMul', [c.read(a), c.read(b)], [c.out(n.outputs[0])]);
}

// ---- modules written as one ONNX op -----------------------------------------------------------

type ModuleExporter = (c: Ctx, call: ModuleCall) => boolean;

function constantNamed(c: Ctx, name: string): number | undefined {
  for (const [slot, k] of c.g.constants) if ('tensor' in k && k.name === name) return slot;
  return undefined;
}
function param(c: Ctx, call: ModuleCall, ...names: string[]): number | undefined {
  for (const n of names) {
    const s = constantNamed(c, call.path ? `${call.path}.${n}` : n);
    if (s !== undefined) return s;
  }
  return undefined;
}
function filled(c: Ctx, like: number, v: number): string {
  const t = c.known.get(like) as Tensor;
  const f = c.keep(v === 0 ? t.mul(0) : t.mul(0).add(v));
  return c.init(f.dtype, [...f.shape], storedBytes(f));
}

const batchNorm: ModuleExporter = (c, call) => {
  const mean = param(c, call, 'runningMean', 'running_mean'),
    v = param(c, call, 'runningVar', 'running_var');
  if (mean === undefined || v === undefined || call.inputs[0] < 0 || call.outputs.length !== 1) return false;
  const w = param(c, call, 'weight'),
    b = param(c, call, 'bias');
  const eps = (call.config['options.eps'] as number | undefined) ?? 1e-5;
  c.emit(
    'BatchNormalization',
    [
      c.read(call.inputs[0]),
      w !== undefined ? c.read(w) : filled(c, mean, 1),
      b !== undefined ? c.read(b) : filled(c, mean, 0),
      c.read(mean),
      c.read(v),
    ],
    [c.out(call.outputs[0])],
    { epsilon: { kind: 'float', v: eps } },
  );
  return true;
};

const layerNorm: ModuleExporter = (c, call) => {
  if (c.opset < 17 || call.inputs[0] < 0 || call.outputs.length !== 1) return false;
  const shape = call.config.normalizedShape as number[] | undefined;
  const w = param(c, call, 'weight'),
    b = param(c, call, 'bias');
  if (!shape || w === undefined || b === undefined) return false;
  const eps = (call.config['options.eps'] as number | undefined) ?? 1e-5;
  c.emit('LayerNormalization', [c.read(call.inputs[0]), c.read(w), c.read(b)], [c.out(call.outputs[0])], {
    axis: int(-shape.length),
    epsilon: { kind: 'float', v: eps },
  });
  return true;
};

// ONNX orders LSTM gates i, o, f, c where PyTorch has i, f, g, o; GRU z, r, h where PyTorch has r, z, n.
const GATE_ORDER: Record<string, number[]> = { LSTM: [0, 3, 1, 2], GRU: [1, 0, 2] };

const recurrent: ModuleExporter = (c, call) => {
  const cell = call.type;
  const cfg = call.config;
  const H = cfg.hiddenSize as number,
    L = cfg.numLayers as number,
    bidir = cfg.bidirectional === true,
    batchFirst = cfg.batchFirst === true;
  const lstm = cell === 'LSTM';
  const x = call.inputs[0];
  // Initial states given: keep the traced ops (ONNX takes them, but their layout differs per layer).
  if (x < 0 || call.inputs.slice(1).some((s) => s >= 0)) return false;
  const nd = c.shape(x).length;
  const order = GATE_ORDER[cell];
  const dirs = bidir ? 2 : 1;
  const gates = order.length;
  const reorder = (t: Tensor) => {
    const chunks = Array.from({ length: gates }, (_, i) => t.narrow(0, i * H, H));
    return cat(
      order.map((i) => chunks[i]),
      0,
    );
  };
  let X = c.read(x);
  if (nd === 2) X = c.emit('Unsqueeze', [X, c.int64s([1])])[0];
  else if (batchFirst) X = c.emit('Transpose', [X], 1, { perm: ints([1, 0, 2]) })[0];
  const hs: string[] = [],
    cs: string[] = [];
  for (let l = 0; l < L; l++) {
    const get = (kind: string, sfx: string) => {
      const s = param(c, call, `${kind}_l${l}${sfx}`);
      return s === undefined ? undefined : (c.known.get(s) as Tensor);
    };
    const sfxs = bidir ? ['', '_reverse'] : [''];
    const ws = sfxs.map((s) => get('weight_ih', s)),
      rs = sfxs.map((s) => get('weight_hh', s));
    if (ws.some((w) => !w) || rs.some((r) => !r)) return false;
    const [W, R, B] = tidy(() => {
      const bias = sfxs.map((s) => {
        const bi = get('bias_ih', s),
          bh = get('bias_hh', s);
        return bi && bh ? cat([reorder(bi), reorder(bh)], 0) : zeros([2 * gates * H], { dtype: ws[0]!.dtype });
      });
      return [
        stack(
          ws.map((w) => reorder(w!)),
          0,
        ),
        stack(
          rs.map((r) => reorder(r!)),
          0,
        ),
        stack(bias, 0),
      ].map((t) => c.keep(t.contiguous()));
    });
    const pre = `${call.path || cell}.onnx_l${l}`;
    const ins = [
      X,
      c.init(W.dtype, [...W.shape], storedBytes(W), `${pre}.W`),
      c.init(R.dtype, [...R.shape], storedBytes(R), `${pre}.R`),
      c.init(B.dtype, [...B.shape], storedBytes(B), `${pre}.B`),
    ];
    const attrs: Record<string, OnnxAttr> = {
      hidden_size: int(H),
      direction: { kind: 'string', v: bidir ? 'bidirectional' : 'forward' },
    };
    if (!lstm) attrs.linear_before_reset = int(1);
    const outs = c.emit(cell, ins, lstm ? 3 : 2, attrs);
    hs.push(outs[1]);
    if (lstm) cs.push(outs[2]);
    // Y [T, dirs, N, H] -> [T, N, dirs * H]
    const y = c.emit('Transpose', [outs[0]], 1, { perm: ints([0, 2, 1, 3]) })[0];
    X = c.emit('Reshape', [y, c.int64s([0, 0, dirs * H])])[0];
  }
  const [outSlot, hSlot, cSlot] = call.outputs;
  const finish = (v: string, slot: number | undefined, unbatchedAxis: number) => {
    if (slot === undefined || slot < 0) return;
    if (nd === 2) c.emit('Squeeze', [v, c.int64s([unbatchedAxis])], [c.out(slot)]);
    else c.emit('Identity', [v], [c.out(slot)]);
  };
  const out = nd === 3 && batchFirst ? c.emit('Transpose', [X], 1, { perm: ints([1, 0, 2]) })[0] : X;
  finish(out, outSlot, 1);
  finish(hs.length === 1 ? hs[0] : c.emit('Concat', hs, 1, { axis: int(0) })[0], hSlot, 1);
  if (lstm) finish(cs.length === 1 ? cs[0] : c.emit('Concat', cs, 1, { axis: int(0) })[0], cSlot, 1);
  return true;
};

const MODULES: Record<string, ModuleExporter> = {
  BatchNorm1d: batchNorm,
  BatchNorm2d: batchNorm,
  LayerNorm: layerNorm,
  LSTM: recurrent,
  GRU: recurrent,
};

// A module call can be written as one op when nothing it computed inside is read outside it
// except its results.
function selfContained(g: Graph, call: ModuleCall): boolean {
  const inside = new Set<number>();
  for (let i = call.first; i < call.last; i++) for (const s of g.nodes[i].outputs) inside.add(s);
  const results = new Set(call.outputs);
  for (let i = call.last; i < g.nodes.length; i++)
    for (const s of g.nodes[i].inputs) if (inside.has(s) && !results.has(s)) return false;
  for (const o of g.outputs) if (inside.has(o.slot) && !results.has(o.slot)) return false;
  for (let i = call.first; i < call.last; i++) if (g.nodes[i].op.endsWith('_')) return false;
  return call.outputs.every((s) => s < 0 || inside.has(s));
}

// ---- the exporter -------------------------------------------------------------------------------

function fold(c: Ctx, n: GraphNode): boolean {
  if (!c.fold || RANDOM.has(n.op) || n.op.endsWith('_') || n.patches.length) return false;
  if (!n.inputs.every((s) => s >= 0 && c.known.has(s))) return false;
  const ins = n.inputs.map((s) => {
    const k = c.known.get(s)!;
    return k instanceof Tensor ? k._h : ([k] as const);
  });
  const res = noGrad(() => {
    const prev = setRecorder(null);
    try {
      return n.outputs.length === 1 ? [opN(n.op, n.attrs, ins as Handle[])] : opMultiN(n.op, n.attrs, ins as Handle[]);
    } finally {
      setRecorder(prev);
    }
  });
  res.forEach((t, k) => {
    c.keep(t);
    c.known.set(n.outputs[k], t);
    c.names[n.outputs[k]] = c.fresh('folded');
  });
  return true;
}

/** The ONNX model of a graph, as file chunks. */
export function toOnnx(g: Graph, options: { opset?: number; doConstantFolding?: boolean } = {}): Uint8Array[] {
  if (!(g instanceof Graph)) fail('INVALID_ARGUMENT', `onnx.toOnnx: expected a jit.Graph, got ${describe(g)}`);
  const opts = checkOptions('onnx.toOnnx', options, { opset: 'integer', doConstantFolding: 'boolean' });
  const opset = opts.opset ?? 17;
  if (!Number.isInteger(opset) || opset < 13 || opset > 18)
    fail('INVALID_ARGUMENT', `onnx.export: opset must be 13 to 18, got ${describe(opts.opset)}`);
  const c = new Ctx(g, opset, opts.doConstantFolding ?? true);
  try {
    // Graph outputs are written by their producers under the output names.
    const outNames = new Map<number, string>();
    for (const o of g.outputs)
      if (!outNames.has(o.slot) && !g.inputs.some((i) => i.slot === o.slot) && !g.constants.has(o.slot)) {
        outNames.set(o.slot, o.name);
        c.names[o.slot] = o.name;
      }
    const calls = [...g.modules].filter((m) => MODULES[m.type]).sort((a, b) => a.first - b.first || b.last - a.last);
    let ci = 0;
    for (let i = 0; i < g.nodes.length; i++) {
      while (ci < calls.length && calls[ci].first < i) ci++;
      const call = calls[ci];
      if (call && call.first === i && call.last > i && selfContained(g, call) && MODULES[call.type](c, call)) {
        i = call.last - 1;
        ci++;
        continue;
      }
      const n = g.nodes[i];
      if (fold(c, n)) continue;
      const base = n.op.endsWith('_') ? (n.op.slice(0, -1) as OpName) : n.op;
      const ex = EXPORTERS[base];
      if (!ex) {
        c.missing.add(n.op);
        continue;
      }
      if (base !== n.op) {
        // In place: the result gets a new name that later reads of the slot use.
        const slot = n.inputs[0];
        if (c.known.has(slot)) {
          c.missing.add(`${n.op} on a constant`);
          continue;
        }
        const renamed = { ...n, outputs: [slot] };
        c.names[slot] = c.fresh(base);
        ex(c, renamed);
      } else ex(c, n);
    }
    if (c.missing.size)
      fail(
        'NOT_IMPLEMENTED',
        `onnx.export: no ONNX mapping for ${[...c.missing].map((m) => `'${m}'`).join(', ')} (opset ${opset})`,
      );
    for (const o of g.outputs) {
      if (outNames.get(o.slot) === o.name && c.emitted.has(o.slot)) continue;
      c.emit('Identity', [c.read(o.slot)], [o.name]);
    }
    return writeModel({
      irVersion: IR_VERSION,
      opset,
      producer: 'tensorkit',
      graphName: 'tensorkit',
      nodes: c.nodes,
      initializers: [...c.inits.values()],
      inputs: g.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: i.shape })),
      outputs: g.outputs.map((o) => ({ name: o.name, dtype: o.dtype, shape: o.shape })),
    });
  } finally {
    c.dispose();
  }
}

/**
 * Writes a module (traced on `example`) or a jit graph as an ONNX model, atomically. Default
 * opset 17 (IR 8); 13 to 18 are accepted.
 * @example onnx.export(model, [x], 'model.onnx', { dynamicAxes: { input0: { 0: 'batch' } } })
 */
export function exportModel(
  target: Module | Graph,
  example: Tensor | readonly Tensor[] | null,
  path: string,
  options: ExportOptions = {},
): void {
  const op = 'onnx.export';
  const o = checkOptions(op, options, {
    opset: 'integer',
    dynamicAxes: 'any',
    inputNames: 'any',
    outputNames: 'any',
    doConstantFolding: 'boolean',
  });
  if (typeof path !== 'string' || path === '')
    fail('INVALID_ARGUMENT', `${op}: expected a file path, got ${describe(path)}`);
  let g: Graph;
  let own = false;
  if (target instanceof Graph) g = target;
  else if (target instanceof Module) {
    if (!example) fail('INVALID_ARGUMENT', `${op}: a module needs example inputs to trace`);
    g = trace(target, example, { dynamicAxes: o.dynamicAxes, inputNames: o.inputNames, outputNames: o.outputNames });
    own = true;
  } else return fail('INVALID_ARGUMENT', `${op}: expected a Module or a jit.Graph, got ${describe(target)}`);
  try {
    writeFileAtomic(path, toOnnx(g, { opset: o.opset, doConstantFolding: o.doConstantFolding }), op);
  } finally {
    if (own) g.dispose();
  }
}
