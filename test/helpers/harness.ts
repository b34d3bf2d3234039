// The shared op-check harness: inputs in several layouts (contiguous, transposed, narrowed,
// expanded), a plain-TS reference computed from the same logical values, and a comparison that
// checks shape, dtype and values.
import { expect } from 'vitest';

import { tensor, TensorError, type DType, type Tensor } from '../../src/index.js';
import * as plain from '../../src/plain/index.js';
import { PlainTensor } from '../../src/plain/index.js';
import { seededRandom } from '../../src/data/dataset.js';
import { binding } from '../../src/binding.js';

/** Deterministic values, so a failure reproduces (the library's seeded generator, mulberry32). */
export const prng = seededRandom;

export interface InputSpec {
  shape: number[];
  dtype?: DType;
  /** Value range; integers are drawn in [lo, hi]. Default [-3, 3]. */
  range?: [number, number];
}

export function values(spec: InputSpec, rnd: () => number): number[] {
  const [lo, hi] = spec.range ?? [-3, 3];
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const dt = spec.dtype ?? 'float32';
  return Array.from({ length: n }, () => {
    if (dt === 'bool') return rnd() < 0.5 ? 0 : 1;
    if (dt === 'int32' || dt === 'int64') return Math.floor(lo + rnd() * (hi - lo + 1));
    return lo + rnd() * (hi - lo);
  });
}

export interface Pair {
  native: Tensor;
  plain: PlainTensor;
}

/** A 16-bit float dtype that float32 inputs are made in instead (see `input`). */
export type HalfDType = 'float16' | 'bfloat16';

/** Where and how `input` makes the native side. */
export interface InputOptions {
  /** float32 inputs are made in this 16-bit dtype (the reference keeps float32 of the same values). */
  half?: HalfDType;
  /** The device of the native side (its views are taken there). Default 'cpu'. */
  device?: string;
}

function make(vals: number[], shape: number[], dtype: DType, o: InputOptions): Pair {
  const device = (o.device ?? 'cpu') as 'cpu';
  if (o.half && dtype === 'float32') {
    // Values the 16-bit dtype holds exactly: the reference sees the same numbers as float32.
    const r = vals.map((v) => plain.castValue(v, o.half!));
    return { native: tensor(r, { dtype: o.half, shape, device }), plain: plain.plainTensor(r, 'float32', shape) };
  }
  const native = tensor(dtype === 'bool' ? vals.map((v) => v !== 0) : vals, { dtype, shape, device });
  return { native, plain: plain.plainTensor(vals, dtype, shape) };
}

// The view keeps the base's storage alive natively, so the base handle can go at once.
function viewOf(base: Pair, native: Tensor, p: PlainTensor): Pair {
  base.native.dispose();
  return { native, plain: p };
}

export type Layout = 'contiguous' | 'transposed' | 'narrowed' | 'expanded';
export const LAYOUTS: Layout[] = ['contiguous', 'transposed', 'narrowed', 'expanded'];

/**
 * An input of the given logical shape in the given layout. The plain side is derived with plain
 * ops from the same base values, independently of the native view machinery.
 */
export function input(spec: InputSpec, layout: Layout, rnd: () => number, o: InputOptions = {}): Pair | undefined {
  const dtype = spec.dtype ?? 'float32';
  const shape = spec.shape;
  const nd = shape.length;
  switch (layout) {
    case 'contiguous':
      return make(values(spec, rnd), shape, dtype, o);
    case 'transposed': {
      if (nd < 2) return undefined;
      const base = [...shape];
      [base[nd - 1], base[nd - 2]] = [base[nd - 2], base[nd - 1]];
      const p = make(values({ ...spec, shape: base }, rnd), base, dtype, o);
      return viewOf(p, p.native.transpose(-1, -2), plain.transpose(p.plain, -1, -2));
    }
    case 'narrowed': {
      if (nd < 1) return undefined;
      const base = [...shape];
      base[nd - 1] += 3;
      const p = make(values({ ...spec, shape: base }, rnd), base, dtype, o);
      return viewOf(p, p.native.narrow(-1, 1, shape[nd - 1]), plain.narrow(p.plain, -1, 1, shape[nd - 1]));
    }
    case 'expanded': {
      if (nd < 1 || shape[0] === 1) return undefined;
      const base = [1, ...shape.slice(1)];
      const p = make(values({ ...spec, shape: base }, rnd), base, dtype, o);
      return viewOf(p, p.native.expand(shape), plain.expand(p.plain, shape));
    }
  }
}

export interface Tol {
  rtol?: number;
  atol?: number;
}

export function defaultTol(dtype: DType): Required<Tol> {
  return dtype === 'float64'
    ? { rtol: 1e-10, atol: 1e-12 }
    : dtype === 'float32'
      ? { rtol: 2e-5, atol: 1e-6 }
      : { rtol: 0, atol: 0 };
}

/** Asserts the native result equals the reference in shape, dtype and values (NaN == NaN). */
export function expectMatch(actual: Tensor, ref: PlainTensor, label: string, tol?: Tol): void {
  expect(actual.shape, `${label}: shape`).toEqual(ref.shape);
  expect(actual.dtype, `${label}: dtype`).toBe(ref.dtype);
  const { rtol, atol } = { ...defaultTol(actual.dtype), ...tol };
  const a = actual.data();
  for (let i = 0; i < ref.data.length; i++) {
    const x = Number(a[i]),
      y = ref.data[i];
    if (Number.isNaN(y) || Number.isNaN(x)) {
      expect(Number.isNaN(x) && Number.isNaN(y), `${label}: element ${i} is ${x}, expected ${y}`).toBe(true);
      continue;
    }
    if (x === y) continue;
    const ok = Math.abs(x - y) <= atol + rtol * Math.abs(y);
    if (!ok) expect.fail(`${label}: element ${i} is ${x}, expected ${y} (rtol ${rtol}, atol ${atol})`);
  }
}

/** Disposes every tensor reachable in v (results, pairs). */
export function disposeAll(...vs: unknown[]): void {
  for (const v of vs) {
    if (v && typeof v === 'object') {
      if ('dispose' in v && typeof (v as Tensor).dispose === 'function') (v as Tensor).dispose();
      else if (Array.isArray(v)) disposeAll(...v);
      else disposeAll(...Object.values(v));
    }
  }
}

/** Asserts fn throws a TensorError with this code and a message matching msg. */
export function expectTensorError(fn: () => unknown, code: string, msg: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TensorError);
    expect((e as TensorError).code).toBe(code);
    expect((e as Error).message).toMatch(msg);
    return;
  }
  expect.fail('expected a TensorError');
}

/**
 * Frees every tensor the GC can collect now (a full GC, then the safety net's sweep), so a test
 * that counts live tensors before and after a loop is not disturbed by earlier tests' garbage
 * being swept in the middle of it (sweeps run inside ops, bindings/gc.cpp).
 */
export function settleGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
  binding.sweep();
}
