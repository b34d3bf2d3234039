// Element-wise ops as plain loops, with the core's promotion and broadcasting rules.
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import { describe, num } from '../options.js';
import { NATIVE_OPS, type OpName } from '../ops/ops.generated.js';
import { digamma, erf as erfScalar, erfc, erfinv, lgamma, polygamma as polygammaScalar } from './math.js';
import { besselI, erfcx, hurwitzZeta, igamma, logNdtr, ndtri } from './special.js';
import { airyAi, besselJ, besselK, besselY, sphericalBesselJ0 } from './bessel.js';
import {
  alloc,
  asPlain,
  broadcastIndex,
  broadcastShapes,
  castValue,
  isFloat,
  numel,
  plainArg,
  plainOperand,
  PlainTensor,
  resultType,
  type PlainOperand,
} from './tensor.js';

// An element-wise op's dtype rule: its row of ops.def.
const ruleOf = (name: string): string => (NATIVE_OPS[name as OpName] as { rule: string }).rule;

// The table entry of an op name (own keys only), or INVALID_ARGUMENT listing the names.
function entry<T>(op: string, table: Record<string, T>, name: unknown): T {
  if (typeof name !== 'string' || !Object.hasOwn(table, name))
    fail('INVALID_ARGUMENT', `plain.${op}: unknown op ${describe(name)} (one of ${Object.keys(table).join(', ')})`);
  return table[name];
}

/** A unary kernel on one element. */
export type Fn1 = (x: number) => number;
/** A binary kernel on two elements. */
export type Fn2 = (a: number, b: number) => number;

const intPow = (a: number, b: number, int32: boolean): number => {
  if (b < 0) return a === 1 ? 1 : a === -1 ? (b % 2 ? -1 : 1) : 0;
  let r = 1,
    base = a;
  for (let e = b; e > 0; e = Math.floor(e / 2)) {
    if (e % 2) r = int32 ? Math.imul(r, base) : r * base;
    base = int32 ? Math.imul(base, base) : base * base;
  }
  return r;
};
// Half to even, as nearbyint: Math.round rounds halves up.
const roundHalfEven = (x: number): number => (Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x));
// The divisions' integer kernels: a 0 or -1 divisor as the native functors take them apart (the op
// refuses 0 before). int32 results wrap.
const intRest = (sign: 'divisor' | 'dividend') => (a: number, b: number) => {
  if (b === 0 || b === -1) return 0;
  const m = a % b;
  return sign === 'divisor' && m !== 0 && b < 0 !== m < 0 ? m + b : m;
};
const floatRemainder = (a: number, b: number) => {
  const m = a % b;
  return m !== 0 && b < 0 !== m < 0 ? m + b : m;
};
const intFloorDivide =
  (int32: boolean) =>
  (a: number, b: number): number => {
    if (b === 0) return 0;
    if (b === -1) return int32 ? -a | 0 : -a;
    const q = Math.trunc(a / b);
    return a % b !== 0 && a < 0 !== b < 0 ? q - 1 : q;
  };
// torch's (numpy's) floor division of floats, each step rounded to the compute dtype (r).
const floatFloorDivide =
  (r: (v: number) => number) =>
  (a: number, b: number): number => {
    if (b === 0) return r(a / b);
    const mod = a % b;
    let div = r(r(a - mod) / b);
    if (mod !== 0 && b < 0 !== mod < 0) div = r(div - 1);
    if (div === 0) return a / b < 0 || Object.is(a / b, -0) ? -0 : 0;
    let fd = Math.floor(div);
    if (r(div - fd) > 0.5) fd = r(fd + 1);
    return fd;
  };
const nanMax = (a: number, b: number) => (Number.isNaN(a) ? a : Number.isNaN(b) ? b : a > b ? a : b);
const nanMin = (a: number, b: number) => (Number.isNaN(a) ? a : Number.isNaN(b) ? b : a < b ? a : b);

/**
 * Unary ops: the kernel for the compute dtype. The dtype rule (FLOAT computes integers as
 * float32) is the op's row of ops.def, read from the generated list.
 */
export const UNARY: Record<string, (dt: DType, p0?: number, p1?: number, p2?: number) => Fn1> = {
  neg: (dt) => (dt === 'int32' ? (x) => -x | 0 : (x) => -x),
  abs: (dt) => (dt === 'int32' ? (x) => Math.abs(x) | 0 : Math.abs),
  exp: () => Math.exp,
  log: () => Math.log,
  log1p: () => Math.log1p,
  sqrt: () => Math.sqrt,
  rsqrt: () => (x) => 1 / Math.sqrt(x),
  sin: () => Math.sin,
  cos: () => Math.cos,
  relu: () => (x) => (x < 0 ? 0 : x),
  sigmoid: () => (x) => 1 / (1 + Math.exp(-x)),
  tanh: () => Math.tanh,
  gelu: () => (x) => 0.5 * x * erfc(-x * Math.SQRT1_2), // not 1 + erf: that cancels for x << 0
  silu: () => (x) => x / (1 + Math.exp(-x)),
  // the parametrised activations, with torch's defaults; elu's are its alpha, scale, input scale
  leaky_relu:
    (_dt, slope = 0.01) =>
    (x) =>
      x > 0 ? x : x * slope,
  elu:
    (_dt, alpha = 1, scale = 1, inputScale = 1) =>
    (x) =>
      x > 0 ? x * scale : Math.expm1(x * inputScale) * alpha * scale + 0,
  hardtanh:
    (_dt, lo = -1, hi = 1) =>
    (x) =>
      x < lo ? lo : x > hi ? hi : x,
  hardsigmoid: () => (x) => Math.min(Math.max(x + 3, 0), 6) / 6,
  hardswish: () => (x) => (x * Math.min(Math.max(x + 3, 0), 6)) / 6,
  erf: () => erfScalar,
  floor: (dt) => (isFloat(dt) ? Math.floor : (x) => x),
  ceil: (dt) => (isFloat(dt) ? Math.ceil : (x) => x),
  round: (dt) => (isFloat(dt) ? roundHalfEven : (x) => x),
  trunc: (dt) => (isFloat(dt) ? Math.trunc : (x) => x),
  sign: () => (x) => (0 < x ? 1 : 0) - (x < 0 ? 1 : 0),
  tan: () => Math.tan,
  asin: () => Math.asin,
  acos: () => Math.acos,
  atan: () => Math.atan,
  sinh: () => Math.sinh,
  cosh: () => Math.cosh,
  asinh: () => Math.asinh,
  acosh: () => Math.acosh,
  atanh: () => Math.atanh,
  expm1: () => Math.expm1,
  exp2: () => (x) => 2 ** x,
  log2: () => Math.log2,
  log10: () => Math.log10,
  reciprocal: () => (x) => 1 / x,
  erfc: () => erfc,
  erfinv: () => erfinv,
  lgamma: () => lgamma,
  digamma: () => digamma,
  polygamma: (_dt, n) => (x) => polygammaScalar(n ?? 0, x),
  i0: () => (x) => besselI(0, x, false),
  i0e: () => (x) => besselI(0, x, true),
  i1: () => (x) => besselI(1, x, false),
  i1e: () => (x) => besselI(1, x, true),
  ndtri: () => ndtri,
  log_ndtr: () => logNdtr,
  erfcx: () => erfcx,
  bessel_j0: () => (x) => besselJ(0, x),
  bessel_j1: () => (x) => besselJ(1, x),
  bessel_y0: () => (x) => besselY(0, x),
  bessel_y1: () => (x) => besselY(1, x),
  modified_bessel_k0: () => (x) => besselK(0, x, false),
  modified_bessel_k1: () => (x) => besselK(1, x, false),
  scaled_modified_bessel_k0: () => (x) => besselK(0, x, true),
  scaled_modified_bessel_k1: () => (x) => besselK(1, x, true),
  spherical_bessel_j0: () => sphericalBesselJ0,
  airy_ai: () => airyAi,
  bitwise_not: (dt) => (dt === 'bool' ? (x) => (x ? 0 : 1) : (x) => -x - 1),
};

// The bitwise kernels: int32 by JS's 32-bit operators, int64 through BigInt (exact to 2^63).
const int64Op = (f: (a: bigint, b: bigint) => bigint) => (a: number, b: number) =>
  Number(BigInt.asIntN(64, f(BigInt(a), BigInt(b))));
const bitwise =
  (f32: (a: number, b: number) => number, f64: (a: bigint, b: bigint) => bigint) =>
  (dt: DType): Fn2 =>
    dt === 'int64' ? int64Op(f64) : dt === 'bool' ? (a, b) => f32(a, b) & 1 : (a, b) => f32(a, b) | 0;
// Shifts by a negative amount or by the width or more: 0 left, the sign fill right (torch's).
const shift = (left: boolean) => (dt: DType) => {
  const width = dt === 'int64' ? 64 : 32;
  return (a: number, b: number): number => {
    if (b < 0 || b >= width) return left ? 0 : a < 0 ? -1 : 0;
    if (dt === 'int32') return left ? a << b : a >> b;
    return Number(BigInt.asIntN(64, left ? BigInt(a) << BigInt(b) : BigInt(a) >> BigInt(b)));
  };
};
const gcdOf = (a: number, b: number): number => {
  let x = Math.abs(a),
    y = Math.abs(b);
  while (y) [x, y] = [y, x % y];
  return x;
};

/** Binary ops: the kernel for the compute dtype (the rule, as for UNARY, comes from ops.def). */
export const BINARY: Record<string, (dt: DType, p0?: number, p1?: number, p2?: number) => Fn2> = {
  add: (dt) => (dt === 'bool' ? (a, b) => (a || b ? 1 : 0) : dt === 'int32' ? (a, b) => (a + b) | 0 : (a, b) => a + b),
  sub: (dt) => (dt === 'int32' ? (a, b) => (a - b) | 0 : (a, b) => a - b),
  mul: (dt) => (dt === 'bool' ? (a, b) => (a && b ? 1 : 0) : dt === 'int32' ? Math.imul : (a, b) => a * b),
  div: () => (a, b) => a / b,
  pow: (dt) => (isFloat(dt) ? Math.pow : (a, b) => intPow(a, b, dt === 'int32')),
  maximum: () => nanMax,
  minimum: () => nanMin,
  remainder: (dt) => (isFloat(dt) ? floatRemainder : intRest('divisor')),
  fmod: (dt) => (isFloat(dt) ? (a, b) => a % b : intRest('dividend')),
  atan2: () => Math.atan2,
  floor_divide: (dt) =>
    isFloat(dt) ? floatFloorDivide(dt === 'float32' ? Math.fround : (v) => v) : intFloorDivide(dt === 'int32'),
  eq: () => (a, b) => (a === b ? 1 : 0),
  ne: () => (a, b) => (a !== b ? 1 : 0),
  lt: () => (a, b) => (a < b ? 1 : 0),
  le: () => (a, b) => (a <= b ? 1 : 0),
  gt: () => (a, b) => (a > b ? 1 : 0),
  ge: () => (a, b) => (a >= b ? 1 : 0),
  zeta: () => hurwitzZeta,
  gammainc: () => (a, x) => igamma(a, x, false),
  gammaincc: () => (a, x) => igamma(a, x, true),
  nextafter: (dt) => (a, b) => nextafter(a, b, dt === 'float32'),
  // gelu's derivative times the gradient: g (Phi(x) + x phi(x))
  gelu_backward: () => (g, x) => g * (0.5 * erfc(-x * Math.SQRT1_2) + x * Math.exp(-0.5 * x * x) * 0.3989422804014327),
  // silu's: g s (1 + x (1 - s)), s = sigmoid(x)
  silu_backward: () => (g, x) => {
    const sg = 1 / (1 + Math.exp(-x));
    return g * sg * (1 + x * (1 - sg));
  },
  // the activations' backward kernels, g times the local derivative, comparing as torch's do
  leaky_relu_backward:
    (_dt, slope = 0.01) =>
    (g, x) =>
      x > 0 ? g : g * slope,
  elu_backward:
    (_dt, alpha = 1, scale = 1, inputScale = 1) =>
    (g, x) =>
      x > 0 ? g * scale : g * alpha * scale * inputScale * Math.exp(x * inputScale),
  hardtanh_backward:
    (_dt, lo = -1, hi = 1) =>
    (g, x) =>
      x > lo && x < hi ? g : 0,
  hardsigmoid_backward: () => (g, x) => (x > -3 && x < 3 ? g / 6 : 0),
  hardswish_backward: () => (g, x) => (x < -3 ? 0 : x > 3 ? g : g * (x / 3 + 0.5)),
  relu_backward: () => (g, y) => (y > 0 ? g : 0),
  bitwise_and: bitwise(
    (a, b) => a & b,
    (a, b) => a & b,
  ),
  bitwise_or: bitwise(
    (a, b) => a | b,
    (a, b) => a | b,
  ),
  bitwise_xor: bitwise(
    (a, b) => a ^ b,
    (a, b) => a ^ b,
  ),
  bitwise_left_shift: shift(true),
  bitwise_right_shift: shift(false),
  gcd: (dt) => (a, b) => castValue(gcdOf(a, b), dt),
  lcm: (dt) => (a, b) => {
    const g = gcdOf(a, b);
    return g === 0 ? 0 : castValue(Math.abs((a / g) * b), dt);
  },
};

// The neighbouring float (float64, or float32 when `single`) of a toward b, by its bit pattern.
function nextafter(a: number, b: number, single: boolean): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  if (a === b) return b;
  if (a === 0) return (b > 0 ? 1 : -1) * (single ? 1.401298464324817e-45 : Number.MIN_VALUE);
  const up = b > a === a > 0;
  if (single) {
    const v = new Float32Array([a]),
      u = new Int32Array(v.buffer);
    u[0] += up ? 1 : -1;
    return v[0];
  }
  const v = new Float64Array([a]),
    u = new BigInt64Array(v.buffer);
  u[0] += up ? 1n : -1n;
  return v[0];
}

const toCompute = (v: number, dt: DType) => (dt === 'float32' ? Math.fround(v) : castValue(v, dt));

/** Applies a unary op; p0..p2 are a parametrised op's parameters. @example plain.unary('exp', x) */
export function unary(
  name: string,
  x: PlainTensor,
  p0?: number | null,
  p1?: number | null,
  p2?: number | null,
): PlainTensor {
  if (name === 'clamp') return clamp(x, p0, p1);
  const make = entry('unary', UNARY, name),
    rule = ruleOf(name);
  plainArg(name, 'x', x);
  const dt: DType = rule === 'FLOAT' ? (isFloat(x.dtype) ? x.dtype : 'float32') : x.dtype;
  if (rule === 'BITWISE' && isFloat(dt)) fail('DTYPE_MISMATCH', `${name}: expected an integer or bool tensor`);
  if (dt === 'bool' && rule !== 'BITWISE') fail('DTYPE_MISMATCH', `${name}: not supported for bool tensors`);
  const f = make(dt, p0 ?? undefined, p1 ?? undefined, p2 ?? undefined);
  const out = alloc(dt, x.numel());
  for (let i = 0; i < out.length; i++) out[i] = f(toCompute(x.data[i], dt));
  return new PlainTensor(out, x.shape, dt);
}

/** clamp(x, min, max); integers with a fractional bound compute in float32. */
export function clamp(x: PlainTensor, min?: number | null, max?: number | null): PlainTensor {
  plainArg('clamp', 'x', x);
  if (min != null) num('clamp', 'min', min);
  if (max != null) num('clamp', 'max', max);
  const lo = min ?? -Infinity,
    hi = max ?? Infinity;
  const frac = (v: number) => Number.isFinite(v) && !Number.isInteger(v);
  const dt: DType = !isFloat(x.dtype) && (frac(lo) || frac(hi)) ? 'float32' : x.dtype;
  const out = alloc(dt, x.numel());
  const l = dt === 'float32' ? Math.fround(lo) : lo,
    h = dt === 'float32' ? Math.fround(hi) : hi;
  for (let i = 0; i < out.length; i++) {
    const v = x.data[i];
    out[i] = Number.isNaN(v) ? v : v < l ? (l > h ? h : l) : v > h ? h : v;
  }
  return new PlainTensor(out, x.shape, dt);
}

/** Applies a binary op with broadcasting and type promotion. @example plain.binary('add', a, 2) */
export function binary(
  name: string,
  a: PlainOperand,
  b: PlainOperand,
  p0?: number,
  p1?: number,
  p2?: number,
): PlainTensor {
  const make = entry('binary', BINARY, name),
    rule = ruleOf(name);
  plainOperand(name, a);
  plainOperand(name, b);
  const promoted = resultType([a, b]);
  let compute = promoted,
    result = promoted;
  if (rule === 'TRUEDIV') compute = result = isFloat(promoted) ? promoted : 'float32';
  else if (rule === 'COMPARE') result = 'bool';
  else if ((rule === 'ARITH_NOBOOL' || rule === 'INTEGER') && promoted === 'bool')
    fail('DTYPE_MISMATCH', `${name}: not supported for bool tensors`);
  if ((rule === 'BITWISE' || rule === 'INTEGER') && isFloat(promoted))
    fail('DTYPE_MISMATCH', `${name}: expected integer tensors, got ${promoted}`);
  if (rule === 'FLOAT_ONLY' && !isFloat(promoted)) fail('DTYPE_MISMATCH', `${name}: expected floating tensors`);
  if (name === 'pow' && !isFloat(compute) && typeof b === 'number' && b < 0)
    fail('INVALID_ARGUMENT', `pow: integers to negative integer powers are not allowed, got exponent ${b}`);
  const A = asPlain(a),
    B = asPlain(b);
  if ((name === 'remainder' || name === 'fmod' || name === 'floor_divide') && !isFloat(compute))
    for (let i = 0; i < B.data.length; i++)
      if (Number(B.data[i]) === 0) fail('INVALID_ARGUMENT', `${name}: integer division by zero`);
  const shape = broadcastShapes(A.shape, B.shape);
  const ia = broadcastIndex(A.shape, shape),
    ib = broadcastIndex(B.shape, shape);
  // x.pow(0.5) and x.pow(-0.5) of a number exponent are sqrt and rsqrt, as in PyTorch (they differ
  // from Math.pow at -0 and -Infinity); a tensor exponent keeps pow's values
  const viaUnary = name === 'pow' && typeof b === 'number' && isFloat(compute) && (b === 0.5 || b === -0.5);
  const f = viaUnary ? UNARY[b === 0.5 ? 'sqrt' : 'rsqrt'](compute) : make(compute, p0, p1, p2);
  const out = alloc(result, numel(shape));
  for (let i = 0; i < out.length; i++) out[i] = f(toCompute(A.data[ia[i]], compute), toCompute(B.data[ib[i]], compute));
  return new PlainTensor(out, shape, result);
}

/** where(cond, a, b) with broadcasting. */
export function where(cond: PlainTensor, a: PlainOperand, b: PlainOperand): PlainTensor {
  plainArg('where', 'cond', cond);
  plainOperand('where', a);
  plainOperand('where', b);
  const dt = resultType([a, b]);
  const A = asPlain(a),
    B = asPlain(b);
  const shape = broadcastShapes(broadcastShapes(cond.shape, A.shape), B.shape);
  const ic = broadcastIndex(cond.shape, shape),
    ia = broadcastIndex(A.shape, shape),
    ib = broadcastIndex(B.shape, shape);
  const out = alloc(dt, numel(shape));
  for (let i = 0; i < out.length; i++) out[i] = toCompute(cond.data[ic[i]] ? A.data[ia[i]] : B.data[ib[i]], dt);
  return new PlainTensor(out, shape, dt);
}

// Named forms, so `plain.add(a, b)` reads like `a.add(b)`.
/** `add` as plain loops: the reference the native `Tensor.add` is tested against. */
export const add = (a: PlainOperand, b: PlainOperand) => binary('add', a, b);
/** `sub` as plain loops: the reference the native `Tensor.sub` is tested against. */
export const sub = (a: PlainOperand, b: PlainOperand) => binary('sub', a, b);
/** `mul` as plain loops: the reference the native `Tensor.mul` is tested against. */
export const mul = (a: PlainOperand, b: PlainOperand) => binary('mul', a, b);
/** `div` as plain loops: the reference the native `Tensor.div` is tested against. */
export const div = (a: PlainOperand, b: PlainOperand) => binary('div', a, b);
/** `remainder` as plain loops (the divisor's sign). */
export const remainder = (a: PlainOperand, b: PlainOperand) => binary('remainder', a, b);
/** `fmod` as plain loops (the dividend's sign). */
export const fmod = (a: PlainOperand, b: PlainOperand) => binary('fmod', a, b);
/** `floorDivide` as plain loops. */
export const floorDivide = (a: PlainOperand, b: PlainOperand) => binary('floor_divide', a, b);
/** `pow` as plain loops: the reference the native `Tensor.pow` is tested against. */
export const pow = (a: PlainOperand, b: PlainOperand) => binary('pow', a, b);
/** `maximum` as plain loops: the reference the native `Tensor.maximum` is tested against. */
export const maximum = (a: PlainOperand, b: PlainOperand) => binary('maximum', a, b);
/** `minimum` as plain loops: the reference the native `Tensor.minimum` is tested against. */
export const minimum = (a: PlainOperand, b: PlainOperand) => binary('minimum', a, b);
/** `eq` as plain loops: the reference the native `Tensor.eq` is tested against. */
export const eq = (a: PlainOperand, b: PlainOperand) => binary('eq', a, b);
/** `ne` as plain loops: the reference the native `Tensor.ne` is tested against. */
export const ne = (a: PlainOperand, b: PlainOperand) => binary('ne', a, b);
/** `lt` as plain loops: the reference the native `Tensor.lt` is tested against. */
export const lt = (a: PlainOperand, b: PlainOperand) => binary('lt', a, b);
/** `le` as plain loops: the reference the native `Tensor.le` is tested against. */
export const le = (a: PlainOperand, b: PlainOperand) => binary('le', a, b);
/** `gt` as plain loops: the reference the native `Tensor.gt` is tested against. */
export const gt = (a: PlainOperand, b: PlainOperand) => binary('gt', a, b);
/** `ge` as plain loops: the reference the native `Tensor.ge` is tested against. */
export const ge = (a: PlainOperand, b: PlainOperand) => binary('ge', a, b);
/** `neg` as plain loops: the reference the native `Tensor.neg` is tested against. */
export const neg = (x: PlainTensor) => unary('neg', x);
/** `abs` as plain loops: the reference the native `Tensor.abs` is tested against. */
export const abs = (x: PlainTensor) => unary('abs', x);
/** `exp` as plain loops: the reference the native `Tensor.exp` is tested against. */
export const exp = (x: PlainTensor) => unary('exp', x);
/** `log` as plain loops: the reference the native `Tensor.log` is tested against. */
export const log = (x: PlainTensor) => unary('log', x);
/** `log1p` as plain loops: the reference the native `Tensor.log1p` is tested against. */
export const log1p = (x: PlainTensor) => unary('log1p', x);
/** `sqrt` as plain loops: the reference the native `Tensor.sqrt` is tested against. */
export const sqrt = (x: PlainTensor) => unary('sqrt', x);
/** `rsqrt` as plain loops: the reference the native `Tensor.rsqrt` is tested against. */
export const rsqrt = (x: PlainTensor) => unary('rsqrt', x);
/** `sin` as plain loops: the reference the native `Tensor.sin` is tested against. */
export const sin = (x: PlainTensor) => unary('sin', x);
/** `cos` as plain loops: the reference the native `Tensor.cos` is tested against. */
export const cos = (x: PlainTensor) => unary('cos', x);
/** `relu` as plain loops: the reference the native `Tensor.relu` is tested against. */
export const relu = (x: PlainTensor) => unary('relu', x);
/** `sigmoid` as plain loops: the reference the native `Tensor.sigmoid` is tested against. */
export const sigmoid = (x: PlainTensor) => unary('sigmoid', x);
/** `tanh` as plain loops: the reference the native `Tensor.tanh` is tested against. */
export const tanh = (x: PlainTensor) => unary('tanh', x);
/** `gelu` as plain loops: the reference the native `Tensor.gelu` is tested against. */
export const gelu = (x: PlainTensor) => unary('gelu', x);
/** `floor` as plain loops. */
export const floor = (x: PlainTensor) => unary('floor', x);
/** `ceil` as plain loops. */
export const ceil = (x: PlainTensor) => unary('ceil', x);
/** `round` (halves to even) as plain loops. */
export const round = (x: PlainTensor) => unary('round', x);
/** `trunc` as plain loops. */
export const trunc = (x: PlainTensor) => unary('trunc', x);
/** `sign` as plain loops. */
export const sign = (x: PlainTensor) => unary('sign', x);
/** `erf` as plain loops: the reference the native `Tensor.erf` is tested against. */
export const erf = (x: PlainTensor) => unary('erf', x);
/** `polygamma(n)` as plain loops (digamma for n = 0). */
export const polygamma = (n: number, x: PlainTensor) => unary('polygamma', x, n);
