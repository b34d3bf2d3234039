// Rows checked against PyTorch's numbers (test/fixtures/torch-port.json, written by
// scripts/fixtures/torch_port.py): each row maps three float64 inputs to outputs; the fixture holds
// PyTorch's outputs and the gradients of sum(out_i * linspace(0.5, 1.5)) over the floating ones.
import { expect } from 'vitest';

import * as tk from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

/** A JSON value of the fixture: NaN and the infinities travel as strings ('nan', 'inf', '-inf'). */
export type Nested = number | string | boolean | null | Nested[];
/** PyTorch's outputs of one row and the gradients of its inputs (null: no gradient reached it). */
export interface TorchRow {
  outs: Nested[];
  grads: (Nested | null)[];
}

const decode = (v: Nested): number =>
  typeof v === 'string' ? Number(v.replace('nan', 'NaN').replace('inf', 'Infinity')) : Number(v);
const flat = (v: Nested): number[] => (Array.isArray(v) ? v.flatMap(flat) : [decode(v)]);
export const shapeOf = (v: Nested): number[] =>
  Array.isArray(v) ? [v.length, ...(v.length ? shapeOf(v[0]) : [])] : [];

/** A fixture array as a float64 tensor. */
export const f64 = (v: Nested): Tensor<'float64'> => tk.tensor(flat(v), { dtype: 'float64', shape: shapeOf(v) });

/** Shape, then each value within tol relative (NaN only where PyTorch has NaN, infinities exact). */
export function closeToTorch(actual: Tensor, expected: Nested, label: string, tol = 1e-9): void {
  expect(actual.shape, `${label} shape`).toEqual(shapeOf(expected));
  const a = flat(actual.to('float64').toArray() as Nested),
    e = flat(expected);
  for (let i = 0; i < e.length; i++) {
    const ok = Number.isNaN(e[i])
      ? Number.isNaN(a[i])
      : !Number.isFinite(e[i])
        ? a[i] === e[i]
        : Math.abs(a[i] - e[i]) <= tol * (1 + Math.abs(e[i]));
    if (!ok) expect.fail(`${label}[${i}]: ${a[i]} vs PyTorch ${e[i]}`);
  }
}

/** Runs fn on the inputs (made to require gradients) and checks its outputs and gradients against want. */
export function checkTorchRow(name: string, fn: (...xs: Tensor[]) => Tensor[], inputs: Nested[], want: TorchRow): void {
  const xs = inputs.map((v) => f64(v).requiresGrad_());
  const outs = fn(...xs);
  expect(outs.length, `${name}: outputs`).toBe(want.outs.length);
  outs.forEach((o, i) => closeToTorch(o, want.outs[i], `${name} out ${i}`));
  outs
    .filter((o) => o.dtype === 'float64')
    .map((o): Tensor => o.mul(tk.linspace(0.5, 1.5, o.numel(), { dtype: 'float64' }).reshape(o.shape)).sum())
    .reduce((a, b) => a.add(b))
    .backward();
  want.grads.forEach((g, i) => {
    if (g === null) expect(xs[i].grad, `${name} d/d input ${i}`).toBeNull();
    else closeToTorch(xs[i].grad!, g, `${name} d/d input ${i}`);
  });
}
