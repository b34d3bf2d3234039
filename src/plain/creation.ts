// Creation as plain loops, including a TypeScript Philox4x32-10 that reproduces the core's random
// streams bit for bit (same seed, same counters, same conversions).
import { checkDType, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { describe, int, intAtLeast, num } from '../options.js';
import { alloc, castValue, numel, plainShape, PlainTensor } from './tensor.js';

/** `zeros` as plain loops (the reference of tensorkit's `zeros`; random ones use the same Philox stream). */
export const zeros = (shape: readonly number[], dtype: DType = 'float32') =>
  new PlainTensor(alloc(checkDType('zeros', dtype), numel(plainShape('zeros', shape))), shape, dtype);
/** `ones` as plain loops (the reference of tensorkit's `ones`; random ones use the same Philox stream). */
export const ones = (shape: readonly number[], dtype: DType = 'float32') => full(shape, 1, dtype);

/** `full` as plain loops (the reference of tensorkit's `full`; random ones use the same Philox stream). */
export function full(shape: readonly number[], value: number, dtype: DType = 'float32'): PlainTensor {
  if (typeof value !== 'number') fail('INVALID_ARGUMENT', `full: value must be a number, got ${describe(value)}`);
  const t = zeros(shape, dtype);
  t.data.fill(castValue(value, dtype));
  return t;
}

/** `arange` as plain loops (the reference of tensorkit's `arange`; random ones use the same Philox stream). */
export function arange(start: number, end: number, step = 1, dtype?: DType): PlainTensor {
  for (const [k, v] of [
    ['start', start],
    ['end', end],
    ['step', step],
  ] as const)
    num('arange', k, v);
  if (step === 0) fail('INVALID_ARGUMENT', 'arange: step must be nonzero');
  if (dtype !== undefined) checkDType('arange', dtype);
  const dt = dtype ?? ([start, end, step].every(Number.isInteger) ? 'int64' : 'float32');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const out = alloc(dt, n);
  for (let i = 0; i < n; i++) out[i] = castValue(start + i * step, dt);
  return new PlainTensor(out, [n], dt);
}

/** `linspace` as plain loops (the reference of tensorkit's `linspace`; random ones use the same Philox stream). */
export function linspace(start: number, end: number, steps: number, dtype: DType = 'float32'): PlainTensor {
  num('linspace', 'start', start);
  num('linspace', 'end', end);
  intAtLeast('linspace', 'steps', steps, 0);
  checkDType('linspace', dtype);
  const out = alloc(dtype, steps);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  const half = steps > 1 ? Math.floor(steps / 2) : steps; // one step is start, as torch
  for (let i = 0; i < steps; i++) out[i] = castValue(i < half ? start + i * step : end - (steps - 1 - i) * step, dtype);
  return new PlainTensor(out, [steps], dtype);
}

/** `eye` as plain loops (the reference of tensorkit's `eye`; random ones use the same Philox stream). */
export function eye(n: number, m = n, dtype: DType = 'float32'): PlainTensor {
  intAtLeast('eye', 'n', n, 0);
  intAtLeast('eye', 'm', m, 0);
  const t = zeros([n, m], dtype);
  for (let i = 0; i < Math.min(n, m); i++) t.data[i * m + i] = 1;
  return t;
}

// ---- Philox4x32-10 ----------------------------------------------------------------------------

function mulhilo(a: number, b: number): [number, number] {
  const lo = Math.imul(a, b) >>> 0;
  const ah = a >>> 16,
    al = a & 0xffff,
    bh = b >>> 16,
    bl = b & 0xffff;
  const ll = al * bl,
    lh = al * bh,
    hl = ah * bl,
    hh = ah * bh;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  const hi = (hh + Math.floor(lh / 65536) + Math.floor(hl / 65536) + Math.floor(mid / 65536)) >>> 0;
  return [hi, lo];
}

/** The four 32-bit outputs of Philox4x32-10 for a 64-bit counter and key. */
export function philox(counter: bigint, key: bigint): [number, number, number, number] {
  if (typeof counter !== 'bigint' || typeof key !== 'bigint')
    fail('INVALID_ARGUMENT', `philox: counter and key must be bigints, got ${describe(counter)} and ${describe(key)}`);
  let c0 = Number(counter & 0xffffffffn),
    c1 = Number((counter >> 32n) & 0xffffffffn),
    c2 = 0,
    c3 = 0;
  let k0 = Number(key & 0xffffffffn),
    k1 = Number((key >> 32n) & 0xffffffffn);
  for (let r = 0; r < 10; r++) {
    const [hi0, lo0] = mulhilo(0xd2511f53, c0);
    const [hi1, lo1] = mulhilo(0xcd9e8d57, c2);
    const n0 = (hi1 ^ c1 ^ k0) >>> 0,
      n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 = (k0 + 0x9e3779b9) >>> 0;
    k1 = (k1 + 0xbb67ae85) >>> 0;
  }
  return [c0, c1, c2, c3];
}

const DEFAULT_SEED = 67280421310721n;
let seed = DEFAULT_SEED;
let offset = 0n;

/** Seeds plain's stream; after the same seed, plain and native random ops agree. */
export function manualSeed(s: number | bigint): void {
  const ok = typeof s === 'bigint' ? s >= 0n && s < 1n << 64n : Number.isSafeInteger(s) && s >= 0;
  if (!ok)
    fail('INVALID_ARGUMENT', `manualSeed: expected a non-negative integer or bigint below 2^64, got ${describe(s)}`);
  seed = BigInt(s);
  offset = 0n;
}

const u01f = (x: number) => (x >>> 8) * 2 ** -24;
const u01d = (hi: number, lo: number) => (hi * 2 ** 21 + Math.floor(lo / 2 ** 11)) * 2 ** -53;

function random(
  shape: readonly number[],
  dtype: DType,
  kind: 'uniform' | 'normal' | 'integer',
  a: number,
  b: number,
): PlainTensor {
  const op = kind === 'uniform' ? 'rand' : kind === 'normal' ? 'randn' : 'randint';
  const n = numel(plainShape(op, shape));
  checkDType(op, dtype);
  if (kind === 'integer') {
    int(op, 'low', a);
    if (int(op, 'high', b) <= a) fail('INVALID_ARGUMENT', `${op}: high must be greater than low, got [${a}, ${b})`);
  }
  const per = dtype === 'float32' || dtype === 'int32' ? 4 : 2;
  const groups = Math.ceil(n / per);
  const out = alloc(dtype, n);
  for (let g = 0; g < groups; g++) {
    const r = philox(offset + BigInt(g), seed);
    const vals: number[] = [];
    if (kind === 'integer') {
      const range = BigInt(b - a);
      for (let j = 0; j < per; j++) {
        const u = per === 4 ? BigInt(r[j]) : (BigInt(r[2 * j]) << 32n) | BigInt(r[2 * j + 1]);
        vals.push(a + Number(u % range));
      }
    } else {
      const u = Array.from({ length: per }, (_, j) => (per === 4 ? u01f(r[j]) : u01d(r[2 * j], r[2 * j + 1])));
      if (kind === 'uniform') for (let j = 0; j < per; j++) vals.push(a + (b - a) * u[j]);
      else
        for (let j = 0; j < per; j += 2) {
          const rad = Math.sqrt(-2 * Math.log(1 - u[j])),
            th = 6.283185307179586 * u[j + 1];
          vals.push(a + b * rad * Math.cos(th), a + b * rad * Math.sin(th));
        }
    }
    for (let j = 0; j < per && g * per + j < n; j++) out[g * per + j] = castValue(vals[j], dtype);
  }
  offset += BigInt(groups);
  return new PlainTensor(out, shape, dtype);
}

/** `rand` as plain loops (the reference of tensorkit's `rand`; random ones use the same Philox stream). */
export const rand = (shape: readonly number[], dtype: DType = 'float32') => random(shape, dtype, 'uniform', 0, 1);
/** `randn` as plain loops (the reference of tensorkit's `randn`; random ones use the same Philox stream). */
export const randn = (shape: readonly number[], dtype: DType = 'float32') => random(shape, dtype, 'normal', 0, 1);
/** `randint` as plain loops (the reference of tensorkit's `randint`; random ones use the same Philox stream). */
export const randint = (low: number, high: number, shape: readonly number[], dtype: DType = 'int64') =>
  random(shape, dtype, 'integer', low, high);
