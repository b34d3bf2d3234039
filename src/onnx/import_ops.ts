// The ONNX interpreter behind onnx.load: one implementation per ONNX op over tensorkit ops (run
// under jit.trace, so the native calls become the graph), with shape arithmetic on small integer
// tensors done in JS (Ints) so that it leaves no ops.
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { full, tensor } from '../ops/creation.js';
import { op as nativeOp } from '../ops/dispatch.js';
import { cat, where } from '../ops/functional.js';
import * as F from '../nn/functional.js';
import { pad as padFn } from '../nn/functional_more.js';
import { fromStoredBytes, Tensor } from '../tensor.js';
import { recurrent } from './import_rnn.js';
import type { ParsedAttr, ParsedModel, ParsedNode } from './parse.js';

/** A small integer tensor known in JS (shape arithmetic), or a tensor. */
export interface Ints {
  ints: number[];
  dims: number[];
  dtype: DType;
}
type Value = Tensor | Ints;

export const isInts = (v: Value): v is Ints => !(v instanceof Tensor);
// Integer initializers and constants up to this many elements are also kept as JS numbers.
export const SMALL = 64;

export class Interp {
  readonly values = new Map<string, Value>();
  readonly made: Tensor[] = [];

  constructor(
    readonly m: ParsedModel,
    readonly path: string,
  ) {}

  bad(n: ParsedNode | null, what: string): never {
    return fail(
      'IO_ERROR',
      `onnx.load: '${this.path}'${n ? `, node '${n.name || n.opType}' (${n.opType})` : ''}: ${what}`,
    );
  }
  get(n: ParsedNode, name: string | undefined): Value | undefined {
    if (name === undefined || name === '') return undefined;
    const v = this.values.get(name);
    if (!v) this.bad(n, `input '${name}' is not defined before it is used`);
    return v;
  }
  need(n: ParsedNode, i: number): Value {
    const v = this.get(n, n.inputs[i]);
    if (!v) this.bad(n, `input ${i} is missing`);
    return v!;
  }
  t(n: ParsedNode, i: number): Tensor {
    return this.tensorOf(this.need(n, i));
  }
  tensorOf(v: Value): Tensor {
    if (v instanceof Tensor) return v;
    const t =
      v.dtype === 'int64'
        ? tensor(
            BigInt64Array.from(v.ints, (x) => BigInt(x)),
            { shape: v.dims },
          )
        : tensor(v.ints, { dtype: v.dtype, shape: v.dims });
    this.made.push(t);
    return t;
  }
  /** Integer values of an input (shape arithmetic, axes, pads). */
  ints(n: ParsedNode, i: number): number[] | undefined {
    const v = this.get(n, n.inputs[i]);
    if (!v) return undefined;
    if (isInts(v)) return v.ints;
    if (v.numel() > 1 << 16) this.bad(n, `input ${i} is too large to be a list of integers`);
    return Array.from(v.data() as ArrayLike<number | bigint>, Number);
  }
  attr(n: ParsedNode, k: string): ParsedAttr | undefined {
    return n.attrs.get(k);
  }
  int(n: ParsedNode, k: string, def: number): number {
    const a = n.attrs.get(k);
    if (!a) return def;
    if (a.kind !== 'int') this.bad(n, `attribute '${k}' must be an int`);
    return (a as { v: number }).v;
  }
  float(n: ParsedNode, k: string, def: number): number {
    const a = n.attrs.get(k);
    if (!a) return def;
    if (a.kind !== 'float') this.bad(n, `attribute '${k}' must be a float`);
    return (a as { v: number }).v;
  }
  intList(n: ParsedNode, k: string): number[] | undefined {
    const a = n.attrs.get(k);
    if (!a) return undefined;
    if (a.kind !== 'ints') this.bad(n, `attribute '${k}' must be a list of ints`);
    return [...(a as { v: readonly number[] }).v];
  }
  str(n: ParsedNode, k: string, def: string): string {
    const a = n.attrs.get(k);
    if (!a) return def;
    if (a.kind !== 'string') this.bad(n, `attribute '${k}' must be a string`);
    return (a as { v: string }).v;
  }
  set(n: ParsedNode, i: number, v: Value) {
    const name = n.outputs[i];
    if (name) this.values.set(name, v);
  }
  keep<T extends Tensor>(t: T): T {
    this.made.push(t);
    return t;
  }
}

// ---- shape arithmetic in JS -----------------------------------------------------------------

export const numelOf = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
export function ints(values: number[], dims: number[] = [values.length], dtype: DType = 'int64'): Ints {
  return { ints: values, dims, dtype };
}
// Numpy broadcasting of two shapes.
function broadcast(a: readonly number[], b: readonly number[], bad: (w: string) => never): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1,
      y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) bad(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}
function jsBinary(
  a: Ints,
  b: Ints,
  f: (x: number, y: number) => number,
  bad: (w: string) => never,
  dtype?: DType,
): Ints {
  const dims = broadcast(a.dims, b.dims, bad);
  const total = numelOf(dims);
  const at = (v: Ints, i: number) => {
    if (v.ints.length === 1) return v.ints[0];
    if (v.ints.length === total) return v.ints[i];
    return bad('integer broadcasting beyond scalars is not supported in shape arithmetic');
  };
  return ints(
    Array.from({ length: total }, (_, i) => f(at(a, i), at(b, i))),
    dims,
    dtype ?? a.dtype,
  );
}

const wrapAxis = (a: number, nd: number) => (a < 0 ? a + nd : a);

export type OpImpl = (c: Interp, n: ParsedNode) => void;

const unary =
  (f: (x: Tensor) => Tensor): OpImpl =>
  (c, n) =>
    c.set(n, 0, f(c.t(n, 0)));

const binary =
  (f: (a: Tensor, b: Tensor) => Tensor, js?: (x: number, y: number) => number, bool = false): OpImpl =>
  (c, n) => {
    const a = c.need(n, 0),
      b = c.need(n, 1);
    if (js && isInts(a) && isInts(b))
      return c.set(
        n,
        0,
        jsBinary(a, b, js, (w) => c.bad(n, w), bool ? 'bool' : undefined),
      );
    c.set(n, 0, f(c.tensorOf(a), c.tensorOf(b)));
  };

function axesOf(c: Interp, n: ParsedNode, inputIndex: number): number[] | undefined {
  return c.intList(n, 'axes') ?? c.ints(n, inputIndex);
}

const reduce =
  (name: 'sum' | 'mean' | 'max' | 'min'): OpImpl =>
  (c, n) => {
    const x = c.t(n, 0);
    const axes = axesOf(c, n, 1);
    const keep = c.int(n, 'keepdims', 1) === 1;
    if ((!axes || axes.length === 0) && c.int(n, 'noop_with_empty_axes', 0) === 1) return c.set(n, 0, x);
    const dims = axes && axes.length ? axes.map((a) => wrapAxis(a, x.ndim)) : undefined;
    c.set(n, 0, nativeOp(name, [dims ?? null, keep], x._h));
  };

// ONNX pads [begin_1..begin_n, end_1..end_n] of an n-D window op (auto_pad resolved).
function padsNd(c: Interp, n: ParsedNode, x: Tensor, kernel: number[], strides: number[], dil: number[]): number[] {
  const nd = kernel.length;
  const autoPad = c.str(n, 'auto_pad', 'NOTSET');
  if (autoPad === 'VALID') return new Array<number>(2 * nd).fill(0);
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const p = new Array<number>(2 * nd).fill(0);
    for (let k = 0; k < nd; k++) {
      const inSize = x.shape[2 + k];
      const out = Math.ceil(inSize / strides[k]);
      const total = Math.max(0, (out - 1) * strides[k] + (kernel[k] - 1) * dil[k] + 1 - inSize);
      const small = Math.floor(total / 2);
      p[k] = autoPad === 'SAME_UPPER' ? small : total - small;
      p[k + nd] = total - p[k];
    }
    return p;
  }
  const p = c.intList(n, 'pads') ?? new Array<number>(2 * nd).fill(0);
  if (p.length !== 2 * nd) c.bad(n, `pads must have ${2 * nd} values, got [${p.join(', ')}]`);
  return p;
}

// The number of spatial dims (1 to 3) of an [N, C, ...] input, and the attribute lists sized to it.
function windowOp(c: Interp, n: ParsedNode, x: Tensor, what: string, kernelDefault?: number[]) {
  const nd = x.ndim - 2;
  if (nd < 1 || nd > 3) c.bad(n, `only 1-D to 3-D ${what} is supported, got input [${x.shape.join(', ')}]`);
  const list = (k: string, def: number) => {
    const v = c.intList(n, k) ?? new Array<number>(nd).fill(def);
    if (v.length !== nd) c.bad(n, `${k} must have ${nd} values, got [${v.join(', ')}]`);
    return v;
  };
  const kernel = c.intList(n, 'kernel_shape') ?? kernelDefault;
  if (!kernel || kernel.length !== nd) c.bad(n, `kernel_shape must have ${nd} values`);
  return { nd, kernel: kernel!, strides: list('strides', 1), dil: list('dilations', 1) };
}
const one = <T>(v: number[]) => (v.length === 1 ? v[0] : v) as T;

const conv: OpImpl = (c, n) => {
  const x = c.t(n, 0),
    w = c.t(n, 1);
  const { nd, kernel, strides, dil } = windowOp(c, n, x, 'convolution', w.shape.slice(2));
  const pads = padsNd(c, n, x, kernel, strides, dil);
  const b = n.inputs[2] ? c.t(n, 2) : undefined;
  const groups = c.int(n, 'group', 1);
  if (nd === 2) return c.set(n, 0, nativeOp('conv2d', [strides, pads, dil, groups], x._h, w._h, b?._h));
  // 1-D and 3-D take symmetric padding; other pads are applied first.
  const symmetric = pads.slice(0, nd).every((p, i) => p === pads[nd + i]);
  const xin = symmetric
    ? x
    : c.keep(F.pad(x, Array.from({ length: nd }, (_, i) => [pads[nd - 1 - i], pads[2 * nd - 1 - i]]).flat()));
  const padding = symmetric ? pads.slice(0, nd) : new Array<number>(nd).fill(0);
  const o = { stride: one<never>(strides), padding: one<never>(padding), dilation: one<never>(dil), groups };
  c.set(n, 0, nd === 1 ? F.conv1d(xin, w, b, o) : F.conv3d(xin, w, b, o));
};

const convTranspose: OpImpl = (c, n) => {
  const x = c.t(n, 0),
    w = c.t(n, 1);
  const { nd, strides, dil } = windowOp(c, n, x, 'transposed convolution', w.shape.slice(2));
  const pads = c.intList(n, 'pads') ?? new Array<number>(2 * nd).fill(0);
  if (
    c.str(n, 'auto_pad', 'NOTSET') !== 'NOTSET' ||
    pads.length !== 2 * nd ||
    pads.some((p, i) => p !== pads[(i + nd) % (2 * nd)])
  )
    c.bad(n, 'only symmetric explicit pads are supported');
  let outPad = c.intList(n, 'output_padding') ?? new Array<number>(nd).fill(0);
  const outShape = c.intList(n, 'output_shape');
  const k = w.shape.slice(2);
  const natural = k.map((kk, i) => (x.shape[2 + i] - 1) * strides[i] - 2 * pads[i] + dil[i] * (kk - 1) + 1);
  if (outShape) outPad = natural.map((m, i) => outShape[outShape.length - nd + i] - m);
  const b = n.inputs[2] ? c.t(n, 2) : null;
  const o = {
    stride: one<never>(strides),
    padding: one<never>(pads.slice(0, nd)),
    outputPadding: one<never>(outPad),
    dilation: one<never>(dil),
    groups: c.int(n, 'group', 1),
  };
  const f = [F.convTranspose1d, F.convTranspose2d, F.convTranspose3d][nd - 1] as typeof F.convTranspose3d;
  c.set(n, 0, f(x, w, b, o));
};

const pool =
  (kind: 'max' | 'avg'): OpImpl =>
  (c, n) => {
    const x = c.t(n, 0);
    if (n.outputs.length > 1 && n.outputs[1]) c.bad(n, 'the indices output of MaxPool is not supported');
    const { nd, kernel, strides, dil } = windowOp(c, n, x, 'pooling');
    const p = padsNd(c, n, x, kernel, strides, dil);
    if (p.some((v, i) => v !== p[(i + nd) % (2 * nd)])) c.bad(n, `asymmetric pads [${p.join(', ')}] are not supported`);
    const ceilMode = c.int(n, 'ceil_mode', 0) === 1;
    const k = one<never>(kernel),
      stride = one<never>(strides),
      padding = one<never>(p.slice(0, nd));
    if (kind === 'max') {
      const f = [F.maxPool1d, F.maxPool2d, F.maxPool3d][nd - 1] as typeof F.maxPool3d;
      return c.set(n, 0, f(x, k, { stride, padding, dilation: one<never>(dil), ceilMode }));
    }
    if (dil.some((d) => d !== 1)) c.bad(n, 'AveragePool with dilations is not supported');
    const countIncludePad = c.int(n, 'count_include_pad', 0) === 1;
    const f = [F.avgPool1d, F.avgPool2d, F.avgPool3d][nd - 1] as typeof F.avgPool3d;
    c.set(n, 0, f(x, k, { stride, padding, ceilMode, countIncludePad }));
  };

function gemm(c: Interp, n: ParsedNode) {
  let a = c.t(n, 0),
    b = c.t(n, 1);
  if (c.int(n, 'transA', 0)) a = c.keep(a.t());
  if (c.int(n, 'transB', 0)) b = c.keep(b.t());
  const alpha = c.float(n, 'alpha', 1),
    beta = c.float(n, 'beta', 1);
  const bias = n.inputs[2] ? c.t(n, 2) : undefined;
  if (bias && bias.ndim <= 2) return c.set(n, 0, bias.addmm(a, b, { beta, alpha }));
  let y = a.matmul(b);
  if (alpha !== 1) y = y.mul(alpha);
  if (bias) y = y.add(beta === 1 ? bias : bias.mul(beta));
  c.set(n, 0, y);
}

function tensorAttr(c: Interp, n: ParsedNode, a: ParsedAttr): Value {
  if (a.kind === 'tensor') {
    const { dtype, dims, raw } = a.v;
    if ((dtype === 'int64' || dtype === 'int32') && numelOf(dims) <= SMALL) {
      const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const vals = Array.from({ length: numelOf(dims) }, (_, i) =>
        dtype === 'int64' ? Number(dv.getBigInt64(i * 8, true)) : dv.getInt32(i * 4, true),
      );
      return ints(vals, [...dims], dtype);
    }
    return c.keep(fromStoredBytes(raw, dtype, dims));
  }
  if (a.kind === 'float') return c.keep(tensor([a.v]).reshape([]));
  if (a.kind === 'floats') return c.keep(tensor([...a.v]));
  if (a.kind === 'int') return ints([a.v], []);
  if (a.kind === 'ints') return ints([...a.v]);
  return c.bad(n, `unsupported Constant value (${a.kind})`);
}

const DT: Record<number, DType> = {
  1: 'float32',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  16: 'bfloat16',
};

export const OPS: Record<string, OpImpl> = {
  Identity: (c, n) => c.set(n, 0, c.need(n, 0)),
  Dropout: (c, n) => {
    if (n.outputs[1]) c.bad(n, 'the mask output of Dropout is not supported');
    c.set(n, 0, c.need(n, 0));
  },
  Relu: unary((x) => x.relu()),
  Sigmoid: unary((x) => x.sigmoid()),
  Tanh: unary((x) => x.tanh()),
  Exp: unary((x) => x.exp()),
  Log: unary((x) => x.log()),
  Sqrt: unary((x) => x.sqrt()),
  Neg: unary((x) => x.neg()),
  Abs: unary((x) => x.abs()),
  Erf: unary((x) => x.erf()),
  Sin: unary((x) => x.sin()),
  Cos: unary((x) => x.cos()),
  Reciprocal: unary((x) => x.reciprocal()),
  Tan: unary((x) => x.tan()),
  Asin: unary((x) => x.asin()),
  Acos: unary((x) => x.acos()),
  Atan: unary((x) => x.atan()),
  Sinh: unary((x) => x.sinh()),
  Cosh: unary((x) => x.cosh()),
  Asinh: unary((x) => x.asinh()),
  Acosh: unary((x) => x.acosh()),
  Atanh: unary((x) => x.atanh()),
  Floor: unary((x) => x.floor()),
  Ceil: unary((x) => x.ceil()),
  Round: unary((x) => x.round()),
  Sign: unary((x) => x.sign()),
  // fmod 1: C's fmod; 0 (integers only in the spec): the divisor's sign, Python's %
  Mod: (c, n) => c.set(n, 0, c.int(n, 'fmod', 0) === 1 ? c.t(n, 0).fmod(c.t(n, 1)) : c.t(n, 0).remainder(c.t(n, 1))),
  Not: unary((x) => x.logicalNot()),
  Gelu: (c, n) => {
    const approximate = c.str(n, 'approximate', 'none');
    if (approximate !== 'none' && approximate !== 'tanh')
      c.bad(n, `approximate='${approximate}' is not 'none' or 'tanh'`);
    c.set(n, 0, F.gelu(c.t(n, 0), { approximate: approximate as 'none' | 'tanh' }));
  },
  // the activations PyTorch exports (ONNX's defaults where an attribute is absent)
  LeakyRelu: (c, n) => c.set(n, 0, F.leakyRelu(c.t(n, 0), c.float(n, 'alpha', 0.01))),
  Elu: (c, n) => c.set(n, 0, F.elu(c.t(n, 0), c.float(n, 'alpha', 1))),
  Celu: (c, n) => c.set(n, 0, F.celu(c.t(n, 0), c.float(n, 'alpha', 1))),
  Selu: (c, n) => {
    const alpha = c.float(n, 'alpha', 1.67326319217681884765625),
      gamma = c.float(n, 'gamma', 1.05070102214813232421875);
    c.set(
      n,
      0,
      tidy(() => F.elu(c.t(n, 0), alpha).mul(gamma)),
    );
  },
  // max(0, min(1, alpha x + beta)); PyTorch's hardsigmoid where alpha is 1/6 and beta 1/2
  HardSigmoid: (c, n) => {
    const alpha = c.float(n, 'alpha', 0.2),
      beta = c.float(n, 'beta', 0.5),
      x = c.t(n, 0);
    const torchForm = Math.fround(alpha) === Math.fround(1 / 6) && beta === 0.5;
    c.set(n, 0, torchForm ? F.hardsigmoid(x) : tidy(() => x.mul(alpha).add(beta).clamp(0, 1)));
  },
  HardSwish: unary((x) => F.hardswish(x)),
  Softmax: (c, n) => c.set(n, 0, c.t(n, 0).softmax(c.int(n, 'axis', c.m.opset >= 13 ? -1 : 1))),
  LogSoftmax: (c, n) => c.set(n, 0, c.t(n, 0).logSoftmax(c.int(n, 'axis', c.m.opset >= 13 ? -1 : 1))),
  Add: binary(
    (a, b) => a.add(b),
    (x, y) => x + y,
  ),
  Sub: binary(
    (a, b) => a.sub(b),
    (x, y) => x - y,
  ),
  Mul: binary(
    (a, b) => a.mul(b),
    (x, y) => x * y,
  ),
  // integers divide toward zero in ONNX (tensorkit's div alone is true division)
  Div: binary(
    (a, b) => (a.dtype.startsWith('float') ? a.div(b) : a.div(b, { roundingMode: 'trunc' })),
    (x, y) => Math.trunc(x / y),
  ),
  Pow: binary((a, b) => a.pow(b)),
  And: binary(
    (a, b) => a.logicalAnd(b),
    (x, y) => Number(Boolean(x) && Boolean(y)),
    true,
  ),
  Or: binary(
    (a, b) => a.logicalOr(b),
    (x, y) => Number(Boolean(x) || Boolean(y)),
    true,
  ),
  Xor: binary(
    (a, b) => a.ne(0).ne(b.ne(0)),
    (x, y) => Number(Boolean(x) !== Boolean(y)),
    true,
  ),
  Max: binary((a, b) => a.maximum(b), Math.max),
  Min: binary((a, b) => a.minimum(b), Math.min),
  Equal: binary(
    (a, b) => a.eq(b),
    (x, y) => Number(x === y),
    true,
  ),
  Less: binary(
    (a, b) => a.lt(b),
    (x, y) => Number(x < y),
    true,
  ),
  LessOrEqual: binary(
    (a, b) => a.le(b),
    (x, y) => Number(x <= y),
    true,
  ),
  Greater: binary(
    (a, b) => a.gt(b),
    (x, y) => Number(x > y),
    true,
  ),
  GreaterOrEqual: binary(
    (a, b) => a.ge(b),
    (x, y) => Number(x >= y),
    true,
  ),
  Where: (c, n) => {
    const [k, a, b] = [0, 1, 2].map((i) => c.need(n, i));
    if (isInts(k) && isInts(a) && isInts(b)) {
      const kb = jsBinary(
        k,
        a,
        (x, y) => (x ? y : NaN),
        (w) => c.bad(n, w),
      );
      return c.set(
        n,
        0,
        jsBinary(
          kb,
          b,
          (x, y) => (Number.isNaN(x) ? y : x),
          (w) => c.bad(n, w),
          a.dtype,
        ),
      );
    }
    c.set(n, 0, where(c.tensorOf(k), c.tensorOf(a), c.tensorOf(b)));
  },
  MatMul: (c, n) => c.set(n, 0, c.t(n, 0).matmul(c.t(n, 1))),
  Gemm: gemm,
  Conv: conv,
  ConvTranspose: convTranspose,
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
  GlobalAveragePool: (c, n) => {
    const x = c.t(n, 0);
    if (x.ndim < 3) c.bad(n, `expected an [N, C, ...spatial] input, got [${x.shape.join(', ')}]`);
    c.set(
      n,
      0,
      x.mean(
        x.shape.slice(2).map((_, i) => i + 2),
        { keepdim: true },
      ),
    );
  },
  BatchNormalization: (c, n) => {
    if (n.outputs.filter(Boolean).length > 1 || c.int(n, 'training_mode', 0))
      c.bad(n, 'only inference mode is supported');
    const [x, s, b, m, v] = [0, 1, 2, 3, 4].map((i) => c.t(n, i));
    c.set(n, 0, F.batchNorm(x, m, v, s, b, { eps: c.float(n, 'epsilon', 1e-5) }));
  },
  LayerNormalization: (c, n) => {
    if (n.outputs.filter(Boolean).length > 1) c.bad(n, 'the mean and inverse-deviation outputs are not supported');
    const x = c.t(n, 0);
    const axis = wrapAxis(c.int(n, 'axis', -1), x.ndim);
    const s = c.t(n, 1),
      b = n.inputs[2] ? c.t(n, 2) : null;
    c.set(n, 0, F.layerNorm(x, x.shape.slice(axis), s, b, { eps: c.float(n, 'epsilon', 1e-5) }));
  },
  Reshape: (c, n) => {
    const x = c.need(n, 0);
    const shape = c.ints(n, 1)!;
    const src = isInts(x) ? x.dims : (x as Tensor).shape;
    const allowZero = c.int(n, 'allowzero', 0) === 1;
    const target = shape.map((d, i) => (d === 0 && !allowZero ? src[i] : d));
    if (isInts(x)) {
      const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      return c.set(
        n,
        0,
        ints(
          x.ints,
          target.map((d) => (d === -1 ? x.ints.length / known : d)),
          x.dtype,
        ),
      );
    }
    c.set(n, 0, (x as Tensor).reshape(target));
  },
  Flatten: (c, n) => {
    const x = c.t(n, 0);
    const axis = wrapAxis(c.int(n, 'axis', 1), x.ndim);
    if (axis === 1 && x.ndim >= 2) return c.set(n, 0, x.flatten(1));
    c.set(n, 0, x.reshape([numelOf(x.shape.slice(0, axis)), -1]));
  },
  Transpose: (c, n) => {
    const x = c.t(n, 0);
    const perm = c.intList(n, 'perm') ?? x.shape.map((_, i) => x.ndim - 1 - i);
    c.set(n, 0, x.permute(perm));
  },
  Concat: (c, n) => {
    const vs = n.inputs.filter(Boolean).map((_, i) => c.need(n, i));
    const axis = c.int(n, 'axis', 0);
    if (vs.every(isInts) && vs.every((v) => (v as Ints).dims.length === 1))
      return c.set(
        n,
        0,
        ints(
          vs.flatMap((v) => (v as Ints).ints),
          undefined,
          (vs[0] as Ints).dtype,
        ),
      );
    const ts = vs.map((v) => c.tensorOf(v));
    c.set(n, 0, cat(ts, wrapAxis(axis, ts[0].ndim)));
  },
  Shape: (c, n) => {
    const x = c.need(n, 0);
    const s = isInts(x) ? x.dims : (x as Tensor).shape;
    const nd = s.length;
    const clampAxis = (a: number) => Math.min(Math.max(wrapAxis(a, nd), 0), nd);
    c.set(n, 0, ints(s.slice(clampAxis(c.int(n, 'start', 0)), clampAxis(c.int(n, 'end', nd)))));
  },
  Size: (c, n) => {
    const x = c.need(n, 0);
    c.set(n, 0, ints([numelOf(isInts(x) ? x.dims : (x as Tensor).shape)], []));
  },
  Constant: (c, n) => {
    const [a] = [...n.attrs.values()];
    if (!a || n.attrs.size !== 1) c.bad(n, 'a Constant needs exactly one value attribute');
    c.set(n, 0, tensorAttr(c, n, a));
  },
  ConstantOfShape: (c, n) => {
    const shape = c.ints(n, 0)!;
    if (shape.some((d) => d < 0) || numelOf(shape) > 2 ** 31) c.bad(n, `bad shape [${shape.join(', ')}]`);
    const a = c.attr(n, 'value');
    const v = a ? tensorAttr(c, n, a) : ints([0], [1], 'float32');
    if (isInts(v) && numelOf(shape) <= SMALL)
      return c.set(n, 0, ints(new Array(numelOf(shape)).fill(v.ints[0]), shape, v.dtype));
    const vt = c.tensorOf(v);
    c.set(n, 0, full(shape, Number((vt.data() as ArrayLike<number | bigint>)[0]), { dtype: vt.dtype }));
  },
  Cast: (c, n) => {
    const to = DT[c.int(n, 'to', 1)];
    if (!to) c.bad(n, `unsupported target type ${c.int(n, 'to', 1)}`);
    const x = c.need(n, 0);
    if (isInts(x) && (to === 'int64' || to === 'int32')) return c.set(n, 0, ints(x.ints, x.dims, to));
    c.set(n, 0, c.tensorOf(x).to(to));
  },
  Unsqueeze: (c, n) => {
    const x = c.need(n, 0);
    const axes = axesOf(c, n, 1) ?? [];
    const nd = (isInts(x) ? x.dims : (x as Tensor).shape).length + axes.length;
    const sorted = axes.map((a) => wrapAxis(a, nd)).sort((a, b) => a - b);
    if (isInts(x)) {
      const dims = [...x.dims];
      for (const a of sorted) dims.splice(a, 0, 1);
      return c.set(n, 0, ints(x.ints, dims, x.dtype));
    }
    let t = x as Tensor;
    for (const a of sorted) t = t.unsqueeze(a);
    c.set(n, 0, t);
  },
  Squeeze: (c, n) => {
    const x = c.need(n, 0);
    const shape = isInts(x) ? x.dims : (x as Tensor).shape;
    const axes = (axesOf(c, n, 1) ?? shape.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) =>
      wrapAxis(a, shape.length),
    );
    if (isInts(x))
      return c.set(
        n,
        0,
        ints(
          x.ints,
          shape.filter((_, i) => !axes.includes(i)),
          x.dtype,
        ),
      );
    c.set(n, 0, axes.length ? (x as Tensor).squeeze(axes) : x);
  },
  Gather: (c, n) => {
    const x = c.need(n, 0),
      idx = c.need(n, 1);
    const shape = isInts(x) ? x.dims : (x as Tensor).shape;
    const axis = wrapAxis(c.int(n, 'axis', 0), shape.length);
    if (isInts(x) && isInts(idx) && x.dims.length === 1) {
      const pick = idx.ints.map((i) => x.ints[i < 0 ? i + x.ints.length : i]);
      if (pick.some((v) => v === undefined)) c.bad(n, 'index out of range');
      return c.set(n, 0, ints(pick, idx.dims, x.dtype));
    }
    const t = c.tensorOf(x);
    if (isInts(idx) && idx.dims.length === 0) {
      const i = idx.ints[0];
      return c.set(n, 0, t.select(axis, i));
    }
    const it = c.tensorOf(idx);
    if (axis === 0 && t.ndim === 2) return c.set(n, 0, F.embedding(it, t));
    const flat = it.reshape([-1]);
    const picked = t.indexSelect(axis, flat);
    c.set(n, 0, picked.reshape([...shape.slice(0, axis), ...it.shape, ...shape.slice(axis + 1)]));
  },
  GatherElements: (c, n) => {
    const x = c.t(n, 0);
    c.set(n, 0, x.gather(wrapAxis(c.int(n, 'axis', 0), x.ndim), c.t(n, 1)));
  },
  Slice: (c, n) => {
    const x = c.need(n, 0);
    const shape = isInts(x) ? x.dims : (x as Tensor).shape;
    const starts = c.intList(n, 'starts') ?? c.ints(n, 1)!;
    const ends = c.intList(n, 'ends') ?? c.ints(n, 2)!;
    const axes = (c.intList(n, 'axes') ?? c.ints(n, 3) ?? starts.map((_, i) => i)).map((a) =>
      wrapAxis(a, shape.length),
    );
    const steps = c.ints(n, 4) ?? starts.map(() => 1);
    let t: Value = x;
    axes.forEach((axis, k) => {
      const size = shape[axis],
        step = steps[k];
      if (step === 0) c.bad(n, 'a step of 0');
      const clampS = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + size : v, lo), hi);
      const s = step > 0 ? clampS(starts[k], 0, size) : clampS(starts[k], -1, size - 1);
      const e = step > 0 ? clampS(ends[k], 0, size) : clampS(ends[k], -1, size - 1);
      const picks: number[] = [];
      for (let i = s; step > 0 ? i < e : i > e; i += step) picks.push(i);
      if (isInts(t) && t.dims.length === 1)
        t = ints(
          picks.map((i) => (t as Ints).ints[i]),
          [picks.length],
          t.dtype,
        );
      else {
        const tt = c.tensorOf(t);
        t =
          step === 1
            ? tt.narrow(axis, s, Math.max(0, e - s))
            : tt.indexSelect(axis, c.keep(tensor(BigInt64Array.from(picks, (i) => BigInt(i)))));
      }
    });
    c.set(n, 0, t);
  },
  Pad: (c, n) => {
    const x = c.t(n, 0);
    const pads = c.intList(n, 'pads') ?? c.ints(n, 1)!;
    const nd = x.ndim;
    const axes = (c.ints(n, 3) ?? x.shape.map((_, i) => i)).map((a) => wrapAxis(a, nd));
    if (pads.length !== 2 * axes.length) c.bad(n, `pads has ${pads.length} values for ${axes.length} axes`);
    const mode = c.str(n, 'mode', 'constant');
    const modes: Record<string, 'constant' | 'reflect' | 'replicate'> = {
      constant: 'constant',
      reflect: 'reflect',
      edge: 'replicate',
    };
    if (!modes[mode]) c.bad(n, `mode '${mode}' is not supported`);
    const value = n.inputs[2] ? Number((c.ints(n, 2) ?? [0])[0]) : c.float(n, 'value', 0);
    // torch order: the last axis first, (begin, end) each.
    const per = new Map(axes.map((a, k) => [a, [pads[k], pads[k + axes.length]]] as const));
    let last = -1;
    for (const a of axes) if (per.get(a)!.some((v) => v !== 0)) last = Math.max(last, a);
    if (last < 0) return c.set(n, 0, x);
    const torchPads: number[] = [];
    for (let a = nd - 1; a >= Math.min(...axes.filter((q) => per.get(q)!.some((v) => v !== 0))); a--)
      torchPads.push(...(per.get(a) ?? [0, 0]));
    c.set(n, 0, padFn(x, torchPads, modes[mode], value));
  },
  Expand: (c, n) => {
    const x = c.t(n, 0);
    const shape = c.ints(n, 1)!;
    c.set(n, 0, x.expand(broadcast(x.shape, shape, (w) => c.bad(n, w))));
  },
  Clip: (c, n) => {
    const x = c.t(n, 0);
    const bound = (i: number, k: string) => {
      const a = c.attr(n, k);
      if (a) return (a as { v: number }).v;
      const v = c.get(n, n.inputs[i]);
      if (!v) return null;
      return Number((isInts(v) ? v.ints : Array.from(v.data() as ArrayLike<number>))[0]);
    };
    const lo = bound(1, 'min'),
      hi = bound(2, 'max');
    c.set(n, 0, lo === null && hi === null ? x : x.clamp(lo, hi));
  },
  ReduceSum: reduce('sum'),
  ReduceMean: reduce('mean'),
  ReduceMax: reduce('max'),
  ReduceMin: reduce('min'),
  ReduceProd: (c, n) => {
    const x = c.need(n, 0);
    if (!isInts(x) || c.attr(n, 'axes')) c.bad(n, 'ReduceProd is supported on shape values only');
    c.set(n, 0, ints([(x as Ints).ints.reduce((a, b) => a * b, 1)], c.int(n, 'keepdims', 1) ? [1] : []));
  },
  Range: (c, n) => {
    const [s, e, d] = [0, 1, 2].map((i) => c.ints(n, i)![0]);
    if (!d) c.bad(n, 'a delta of 0');
    const count = Math.max(0, Math.ceil((e - s) / d));
    if (count > 1 << 24) c.bad(n, `a range of ${count} elements`);
    const vals = Array.from({ length: count }, (_, i) => s + i * d);
    c.set(n, 0, count <= SMALL ? ints(vals) : c.keep(tensor(BigInt64Array.from(vals, (v) => BigInt(v)))));
  },
  CumSum: (c, n) => {
    if (c.int(n, 'exclusive', 0) || c.int(n, 'reverse', 0)) c.bad(n, 'exclusive and reverse sums are not supported');
    const x = c.t(n, 0);
    c.set(n, 0, x.cumsum(wrapAxis(c.ints(n, 1)![0], x.ndim)));
  },
  TopK: (c, n) => {
    const x = c.t(n, 0);
    const k = c.ints(n, 1)?.[0];
    const axis = wrapAxis(c.int(n, 'axis', -1), x.ndim);
    if (k === undefined || k < 0 || k > x.shape[axis]) c.bad(n, `k must be a constant in [0, ${x.shape[axis]}]`);
    // The stable argsort keeps the lower index first among equal values, as TopK's spec asks.
    const idx = x.argsort(axis, { descending: c.int(n, 'largest', 1) === 1 }).narrow(axis, 0, k!);
    c.set(n, 0, x.gather(axis, idx));
    c.set(n, 1, idx);
  },
  ArgMax: (c, n) => c.set(n, 0, c.t(n, 0).argmax(c.int(n, 'axis', 0), { keepdim: c.int(n, 'keepdims', 1) === 1 })),
  LSTM: recurrent('LSTM'),
  GRU: recurrent('GRU'),
};
