// The op table of onnx.export: one exporter per native op, writing the ONNX nodes that compute
// it (opset 13-18). A native op with no row is listed in the export's NOT_IMPLEMENTED error.
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import type { GraphNode } from '../jit/graph.js';
import type { OpName } from '../ops/ops.generated.js';
import { tensor } from '../ops/creation.js';
import { storedBytes, Tensor } from '../tensor.js';
import {
  addAff,
  aff,
  affList,
  affOfDim,
  attr,
  int,
  ints,
  staticInts,
  wrapDim,
  type Aff,
  type Ctx,
} from './export_ctx.js';
import { ONNX_DTYPE, type OnnxAttr } from './proto.js';

export type Exporter = (c: Ctx, n: GraphNode) => void;

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
    // ONNX's arithmetic has no bool kernels; on bool, add and max are OR, mul and min are AND.
    const onBool: Record<string, string> = { Add: 'Or', Max: 'Or', Mul: 'And', Min: 'And' };
    if (!compare && t === 'bool' && onBool[opType]) return void c.emit(onBool[opType], ins, [c.out(n.outputs[0])]);
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

// Floor, Ceil and Round are float-only in ONNX: integers pass through, as tensorkit's do.
const rounding =
  (opType: string): Exporter =>
  (c, n) => {
    const floating = c.dtype(n.outputs[0]).startsWith('float');
    c.emit(floating ? opType : 'Identity', [c.read(n.inputs[0])], [c.out(n.outputs[0])]);
  };

// The two operands in the result's dtype, the sign tests and a scalar of it.
function operands(c: Ctx, n: GraphNode) {
  const t = c.dtype(n.outputs[0]);
  const a = c.read(n.inputs[0], t),
    b = c.read(n.inputs[1], t);
  const negative = (x: string) => c.emit('Less', [x, c.scalarOf(t, 0)])[0];
  const isZero = (x: string) => c.emit('Equal', [x, c.scalarOf(t, 0)])[0];
  const sameSign = (x: string, y: string) => c.emit('Equal', [negative(x), negative(y)])[0];
  return { t, a, b, isZero, sameSign };
}

// remainder (the divisor's sign): Mod with fmod 0 for integers; floats (which ONNX's Mod takes
// only with fmod 1) as fmod, plus b where the signs of the rest and b differ.
const remainder: Exporter = (c, n) => {
  const { t, a, b, isZero, sameSign } = operands(c, n);
  if (!t.startsWith('float')) return void c.emit('Mod', [a, b], [c.out(n.outputs[0])], { fmod: int(0) });
  const m = c.emit('Mod', [a, b], 1, { fmod: int(1) })[0];
  const shifted = c.emit('Where', [sameSign(m, b), m, c.emit('Add', [m, b])[0]])[0];
  c.emit('Where', [isZero(m), m, shifted], [c.out(n.outputs[0])]);
};

// floor_divide: Floor(a / b) for floats (as torch's exporter); integers divide toward zero in
// ONNX, so 1 comes off where the rest is not 0 and the signs differ.
const floorDivide: Exporter = (c, n) => {
  const { t, a, b, isZero, sameSign } = operands(c, n);
  if (t.startsWith('float')) return void c.emit('Floor', [c.emit('Div', [a, b])[0]], [c.out(n.outputs[0])]);
  const q = c.emit('Div', [a, b])[0];
  const r = c.emit('Mod', [a, b], 1, { fmod: int(1) })[0];
  const zero = c.scalarOf(t, 0);
  const down = c.emit('Where', [isZero(r), zero, c.emit('Where', [sameSign(a, b), zero, c.scalarOf(t, 1)])[0]])[0];
  c.emit('Sub', [q, down], [c.out(n.outputs[0])]);
};

// log2 and log10: Log(x) / ln(base).
const logBase =
  (lnBase: number): Exporter =>
  (c, n) =>
    void c.emit(
      'Div',
      [c.emit('Log', [c.read(n.inputs[0])])[0], c.scalarOf(c.dtype(n.outputs[0]), lnBase)],
      [c.out(n.outputs[0])],
    );

// GELU at opsets without Gelu: 0.5 x (1 + erf(x / sqrt 2)).
const gelu: Exporter = (c, n) => {
  const t = c.dtype(n.outputs[0]);
  const x = c.read(n.inputs[0]);
  const e = c.emit('Erf', [c.emit('Div', [x, c.scalarOf(t, Math.SQRT2)])[0]])[0];
  const h = c.emit('Mul', [x, c.emit('Add', [e, c.scalarOf(t, 1)])[0]])[0];
  c.emit('Mul', [h, c.scalarOf(t, 0.5)], [c.out(n.outputs[0])]);
};

// clamp and hardtanh: Clip with its bounds as inputs (an absent one left out).
const clip: Exporter = (c, n) => {
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
};
const flt = (v: number): OnnxAttr => ({ kind: 'float', v });

// elu's alpha a, scale s and input scale i (elu 1, 1, 1; selu; celu a, 1, 1/a): Elu when s = i = 1,
// else Selu of u = i x, whose gamma (s / i) and alpha (a i) give s x above 0 and a s (e^(i x) - 1)
// below (i > 0: the sides of u are x's).
const elu: Exporter = (c, n) => {
  const [a, s, i] = [0, 1, 2].map((k) => attr(n, k) as number);
  const x = c.read(n.inputs[0]);
  if (s === 1 && i === 1) return void c.emit('Elu', [x], [c.out(n.outputs[0])], { alpha: flt(a) });
  if (!(i > 0)) fail('NOT_IMPLEMENTED', `onnx.export: elu with an input scale of ${i} (celu with a negative alpha)`);
  const u = i === 1 ? x : c.emit('Mul', [x, c.scalarOf(c.dtype(n.outputs[0]), i)])[0];
  c.emit('Selu', [u], [c.out(n.outputs[0])], { alpha: flt(a * i), gamma: flt(s / i) });
};

export const EXPORTERS: Partial<Record<OpName, Exporter>> = {
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
  // 1 - Erf: ONNX has no erfc (the far tail loses digits to the subtraction).
  erfc: (c, n) => {
    const t = c.dtype(n.outputs[0]);
    c.emit('Sub', [c.scalarOf(t, 1), c.emit('Erf', [c.read(n.inputs[0], t)])[0]], [c.out(n.outputs[0])]);
  },
  floor: rounding('Floor'),
  ceil: rounding('Ceil'),
  round: rounding('Round'),
  trunc: (c, n) => {
    const x = c.read(n.inputs[0]);
    if (!c.dtype(n.outputs[0]).startsWith('float')) return void c.emit('Identity', [x], [c.out(n.outputs[0])]);
    const neg = c.emit('Less', [x, c.scalarOf(c.dtype(n.outputs[0]), 0)])[0];
    c.emit('Where', [neg, c.emit('Ceil', [x])[0], c.emit('Floor', [x])[0]], [c.out(n.outputs[0])]);
  },
  sign: simple('Sign'),
  tan: simple('Tan'),
  asin: simple('Asin'),
  acos: simple('Acos'),
  atan: simple('Atan'),
  sinh: simple('Sinh'),
  cosh: simple('Cosh'),
  asinh: simple('Asinh'),
  acosh: simple('Acosh'),
  atanh: simple('Atanh'),
  reciprocal: simple('Reciprocal'),
  expm1: (c, n) => {
    const x = c.read(n.inputs[0]);
    c.emit('Sub', [c.emit('Exp', [x])[0], c.scalarOf(c.dtype(n.outputs[0]), 1)], [c.out(n.outputs[0])]);
  },
  exp2: (c, n) =>
    void c.emit('Pow', [c.scalarOf(c.dtype(n.outputs[0]), 2), c.read(n.inputs[0])], [c.out(n.outputs[0])]),
  log2: logBase(Math.LN2),
  log10: logBase(Math.LN10),
  gelu,
  // silu: x Sigmoid(x) (ONNX has no Silu; PyTorch's exporter writes the same two nodes)
  silu: (c, n) => {
    const x = c.read(n.inputs[0]);
    c.emit('Mul', [x, c.emit('Sigmoid', [x])[0]], [c.out(n.outputs[0])]);
  },
  log1p: (c, n) => {
    const x = c.read(n.inputs[0]);
    c.emit('Log', [c.emit('Add', [x, c.scalarOf(c.dtype(n.outputs[0]), 1)])[0]], [c.out(n.outputs[0])]);
  },
  rsqrt: (c, n) => void c.emit('Reciprocal', [c.emit('Sqrt', [c.read(n.inputs[0])])[0]], [c.out(n.outputs[0])]),
  clamp: clip,
  hardtanh: clip,
  leaky_relu: (c, n) =>
    void c.emit('LeakyRelu', [c.read(n.inputs[0])], [c.out(n.outputs[0])], { alpha: flt(attr(n, 0) as number) }),
  elu,
  // PyTorch's hardsigmoid is ONNX's with alpha 1/6 (ONNX's default is 0.2)
  hardsigmoid: (c, n) =>
    void c.emit('HardSigmoid', [c.read(n.inputs[0])], [c.out(n.outputs[0])], { alpha: flt(1 / 6), beta: flt(0.5) }),
  // HardSwish from opset 14; before, x HardSigmoid(x)
  hardswish: (c, n) => {
    const x = c.read(n.inputs[0]);
    if (c.opset >= 14) return void c.emit('HardSwish', [x], [c.out(n.outputs[0])]);
    const h = c.emit('HardSigmoid', [x], 1, { alpha: flt(1 / 6), beta: flt(0.5) })[0];
    c.emit('Mul', [x, h], [c.out(n.outputs[0])]);
  },
  add: binary('Add'),
  sub: binary('Sub'),
  mul: binary('Mul'),
  div: binary('Div'),
  pow: binary('Pow'),
  maximum: binary('Max'),
  minimum: binary('Min'),
  remainder,
  fmod: (c, n) => {
    const { a, b } = operands(c, n);
    c.emit('Mod', [a, b], [c.out(n.outputs[0])], { fmod: int(1) });
  },
  floor_divide: floorDivide,
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
  argsort: (c, n) => {
    // TopK over the whole dim, sorted; its ties keep the lower index first, as the stable argsort.
    const s = c.shape(n.inputs[0]);
    const d = wrapDim(attr(n, 0) as number, Math.max(1, s.length));
    const size = s.length === 0 ? 1 : s[d];
    if (typeof size !== 'number') return void c.missing.add('argsort along a dynamic dim');
    c.emit('TopK', [c.read(n.inputs[0]), c.int64s([size])], [c.fresh('TopK_values'), c.out(n.outputs[0])], {
      axis: int(d),
      largest: int(attr(n, 1) === true ? 1 : 0),
      sorted: int(1),
    });
  },
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
  unfold: (c, n) => {
    // The windows' elements gathered along dim, reshaped to [.., n, size, ..] (Reshape's 0 keeps
    // the leading dims; the trailing ones must be static), then size moved last.
    const s = c.shape(n.inputs[0]);
    const nd = s.length;
    const d = wrapDim(attr(n, 0) as number, nd),
      size = attr(n, 1) as number,
      step = attr(n, 2) as number;
    const len = s[d],
      after = s.slice(d + 1);
    if (typeof len !== 'number' || after.some((v) => typeof v !== 'number'))
      return void c.missing.add('unfold of or before a dynamic dim');
    const count = Math.floor((len - size) / step) + 1;
    const at: number[] = [];
    for (let w = 0; w < count; w++) for (let k = 0; k < size; k++) at.push(w * step + k);
    const picked = c.emit('Gather', [c.read(n.inputs[0]), c.int64s(at)], 1, { axis: int(d) })[0];
    const shaped = c.emit('Reshape', [
      picked,
      c.int64s([...new Array<number>(d).fill(0), count, size, ...(after as number[])]),
    ])[0];
    const perm = Array.from({ length: nd + 1 }, (_, i) => i).filter((i) => i !== d + 1);
    c.emit('Transpose', [shaped], [c.out(n.outputs[0])], { perm: ints([...perm, d + 1]) });
  },
  diagonal: (c, n) => {
    // The two dims moved last and merged (Reshape's 0 keeps the others, dynamic or not), then
    // the diagonal's flat positions gathered: n and m must be static.
    const s = c.shape(n.inputs[0]);
    const nd = s.length;
    const off = attr(n, 0) as number,
      d1 = wrapDim(attr(n, 1) as number, nd),
      d2 = wrapDim(attr(n, 2) as number, nd);
    const [rows, cols] = [s[d1], s[d2]];
    if (typeof rows !== 'number' || typeof cols !== 'number') return void c.missing.add('diagonal of a dynamic dim');
    const len = Math.max(0, off >= 0 ? Math.min(rows, cols - off) : Math.min(rows + off, cols));
    const at = Array.from({ length: len }, (_, i) => (off >= 0 ? i * cols + i + off : (i - off) * cols + i));
    const rest = s.map((_, d) => d).filter((d) => d !== d1 && d !== d2);
    const moved = c.emit('Transpose', [c.read(n.inputs[0])], 1, { perm: ints([...rest, d1, d2]) })[0];
    const flat = c.emit('Reshape', [moved, c.int64s([...rest.map(() => 0), rows * cols])])[0];
    c.emit('Gather', [flat, c.int64s(at)], [c.out(n.outputs[0])], { axis: int(rest.length) });
  },
  contiguous: simple('Identity'),
  clone: simple('Identity'),
  to_device: simple('Identity'),
  to_dtype: (c, n) =>
    void c.emit('Cast', [c.read(n.inputs[0])], [c.out(n.outputs[0])], { to: int(ONNX_DTYPE[c.dtype(n.outputs[0])]) }),
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
  linear: (c, n) => linearNode(c, n, false),
  linear_relu: (c, n) => linearNode(c, n, true),
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
  batch_norm: (c, n) => {
    // Eval mode (the running statistics as inputs 3 and 4); a traced training-mode call has none.
    if (attr(n, 0) !== false || n.inputs.length !== 5) return void c.missing.add('batch_norm in training mode');
    if (n.outputs.slice(1).some((o) => usedLater(c, o))) return void c.missing.add('batch_norm statistics outputs');
    c.emit(
      'BatchNormalization',
      n.inputs.map((i) => c.read(i)),
      [c.out(n.outputs[0])],
      {
        epsilon: { kind: 'float', v: (attr(n, 1) as number | undefined) ?? 1e-5 },
      },
    );
  },
  layer_norm: (c, n) => {
    // attrs [normalized_ndim, eps, has_weight, has_bias]; inputs x, then weight and bias when present.
    if (n.outputs.slice(1).some((o) => usedLater(c, o))) return void c.missing.add('layer_norm statistics outputs');
    const k = attr(n, 0) as number,
      eps = (attr(n, 1) as number | undefined) ?? 1e-5;
    const hw = attr(n, 2) === true,
      hb = attr(n, 3) === true;
    const t = c.dtype(n.outputs[0]);
    const shape = c.shape(n.inputs[0]);
    const axes = Array.from({ length: k }, (_, i) => shape.length - k + i);
    const x = c.read(n.inputs[0]);
    const w = hw ? c.read(n.inputs[1]) : undefined,
      b = hb ? c.read(n.inputs[hw ? 2 : 1]) : undefined;
    const out = c.out(n.outputs[0]);
    if (c.opset >= 17) {
      // LayerNormalization requires a scale: ones of the normalized shape when there is no weight.
      let scale = w;
      if (!scale) {
        const sizes = axes.map((a) => shape[a]);
        if (!sizes.every((s) => typeof s === 'number'))
          return void c.missing.add('layer_norm without a weight over a dynamic dim');
        const one = c.keep(tensor(new Array((sizes as number[]).reduce((p, q) => p * q, 1)).fill(1), { dtype: t }));
        scale = c.init(t, sizes as number[], storedBytes(one));
      }
      c.emit('LayerNormalization', [x, scale, ...(b ? [b] : [])], [out], {
        axis: int(shape.length - k),
        epsilon: { kind: 'float', v: eps },
      });
      return;
    }
    // Before opset 17: (x - mean) / sqrt(mean((x - mean)^2) + eps) w + b, written out.
    const mean = reduceAxes(c, n, 'ReduceMean', x, axes, true, c.fresh('mean'))[0];
    const d = c.emit('Sub', [x, mean])[0];
    const v = reduceAxes(c, n, 'ReduceMean', c.emit('Mul', [d, d])[0], axes, true, c.fresh('var'))[0];
    const sd = c.emit('Sqrt', [c.emit('Add', [v, c.scalarOf(t, eps)])[0]])[0];
    let y = c.emit('Div', [d, sd], w || b ? 1 : [out])[0];
    if (w) y = c.emit('Mul', [y, w], b ? 1 : [out])[0];
    if (b) c.emit('Add', [y, b], [out]);
  },
  adaptive_avg_pool2d: (c, n) => {
    const [oh, ow] = attr(n, 0) as number[];
    if (oh === 1 && ow === 1) return void c.emit('GlobalAveragePool', [c.read(n.inputs[0])], [c.out(n.outputs[0])]);
    // Only the spatial sizes need be static (a dynamic batch is fine).
    const [h, w] = c.shape(n.inputs[0]).slice(-2);
    if (typeof h !== 'number' || typeof w !== 'number' || h % oh || w % ow)
      return void c.missing.add('adaptive_avg_pool2d to a size that does not divide the input');
    const k = [h / oh, w / ow];
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
  sdpa: (c, n) => {
    // softmax(scale * q k^T + mask) v, written out (ONNX 17 has no attention op).
    if (n.outputs.length > 1 && usedLater(c, n.outputs[1])) return void c.missing.add('sdpa log-sum-exp');
    const [q, k, v, mask] = n.inputs;
    const t = c.dtype(n.outputs[0]);
    const nd = c.shape(k).length;
    const perm = Array.from({ length: nd }, (_, i) => (i === nd - 2 ? nd - 1 : i === nd - 1 ? nd - 2 : i));
    const kt = c.emit('Transpose', [c.read(k)], 1, { perm: ints(perm) })[0];
    let scores = c.emit('Mul', [c.emit('MatMul', [c.read(q), kt])[0], c.scalarOf(t, attr(n, 0) as number)])[0];
    if (attr(n, 1) === true) {
      const L = c.shape(q)[c.shape(q).length - 2],
        S = c.shape(k)[nd - 2];
      if (typeof L !== 'number' || typeof S !== 'number')
        return void c.missing.add('causal sdpa over a dynamic sequence length');
      const m = c.keep(
        tensor(
          Array.from({ length: L * S }, (_, i) => (i % S > Math.floor(i / S) ? -Infinity : 0)),
          { dtype: t },
        ),
      );
      scores = c.emit('Add', [scores, c.init(t, [L, S], storedBytes(m))])[0];
    } else if (mask !== undefined && mask >= 0) scores = c.emit('Add', [scores, c.read(mask, t)])[0];
    const w = c.emit('Softmax', [scores], 1, { axis: int(-1) })[0];
    c.emit('MatMul', [w, c.read(v)], [c.out(n.outputs[0])]);
  },
  zeros: (c, n) => constantOfShape(c, n, 0, 0),
  ones: (c, n) => constantOfShape(c, n, 0, 1),
  full: (c, n) => constantOfShape(c, n, 0, attr(n, 1) as number),
};

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
// linear / linear_relu (x, weight [out, in], optional bias): Gemm with transB for a 2-D x (the
// weight stays in PyTorch's layout), MatMul by the transposed weight and Add otherwise; then Relu.
function linearNode(c: Ctx, n: GraphNode, relu: boolean) {
  const [x, w, b] = n.inputs as [number, number, number | undefined];
  const out = c.out(n.outputs[0]);
  let y: string;
  if (c.shape(x).length === 2) {
    const ins = [c.read(x), c.read(w)];
    if (b !== undefined) ins.push(c.read(b));
    y = c.emit('Gemm', ins, relu ? 1 : [out], { transB: int(1) })[0] as string;
  } else {
    const wt = c.emit('Transpose', [c.read(w)], 1, { perm: ints([1, 0]) })[0] as string;
    const last = b === undefined && !relu;
    y = c.emit('MatMul', [c.read(x), wt], last ? [out] : 1)[0] as string;
    if (b !== undefined) y = c.emit('Add', [y, c.read(b)], relu ? 1 : [out])[0] as string;
  }
  if (relu) c.emit('Relu', [y], [out]);
}
function gemmOrMatMul(c: Ctx, n: GraphNode) {
  const [a, b] = n.inputs;
  if (c.shape(a).length === 2 && c.shape(b).length === 2) {
    const [bName, transB] = throughTranspose(c, b);
    if (transB) return void c.emit('Gemm', [c.read(a), bName], [c.out(n.outputs[0])], { transB: int(1) });
  }
  c.emit('MatMul', [c.read(a), c.read(b)], [c.out(n.outputs[0])]);
}
