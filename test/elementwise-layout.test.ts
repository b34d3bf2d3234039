// Element-wise results are laid out in memory as PyTorch lays them out (TensorIterator's rule):
// a transposed, permuted (channels-last) or sliced input gives a result in the same dim order,
// a broadcast dim or a number defers to the other operand, and contiguous inputs give a
// contiguous result; clone() keeps the memory order too (preserve_format). test/fixtures/
// torch-layout.json holds PyTorch 1.13's shapes, strides and values for each case
// (scripts/fixtures/torch_layout.py wrote it).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { TensorError, type Tensor } from '../src/index.js';

type Operand = {
  shape?: number[];
  perm?: number[];
  narrow?: [number, number, number];
  expand?: number[];
  number?: number;
};
const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-layout.json', import.meta.url), 'utf8')) as {
  cases: { op: string; operands: Operand[]; shape: number[]; stride: number[]; values: number[] }[];
};

// The operand as the fixture script makes it: arange(1, n + 1) / 7 of `shape`, then each of perm,
// narrow and expand in the order the spec lists them; a number becomes a 0-dim float64 tensor.
function make(spec: Operand): Tensor {
  if (spec.number !== undefined) return tk.tensor(spec.number, { dtype: 'float64' });
  const n = spec.shape!.reduce((a, b) => a * b, 1);
  let t = tk
    .arange(1, n + 1, 1, { dtype: 'float64' })
    .reshape(spec.shape!)
    .div(7);
  for (const [k, v] of Object.entries(spec)) {
    if (k === 'perm') t = t.permute(v as number[]);
    else if (k === 'narrow') t = t.narrow(...(v as [number, number, number]));
    else if (k === 'expand') t = t.expand(v as number[]);
  }
  return t;
}

const UNARY: Record<string, (x: Tensor) => Tensor> = {
  exp: (x) => x.exp(),
  relu: (x) => x.relu(),
  neg: (x) => x.neg(),
  sigmoid: (x) => x.sigmoid(),
  abs: (x) => x.abs(),
  float: (x) => x.to('float32'),
  clone: (x) => x.clone(),
};
const BINARY: Record<string, (a: Tensor, b: Tensor) => Tensor> = {
  add: (a, b) => a.add(b),
  sub: (a, b) => a.sub(b),
  mul: (a, b) => a.mul(b),
  div: (a, b) => a.div(b),
  pow: (a, b) => a.pow(b),
  maximum: (a, b) => tk.maximum(a, b),
};

describe('element-wise result layout, against PyTorch 1.13 (test/fixtures/torch-layout.json)', () => {
  for (const c of FIX.cases) {
    const what = c.operands
      .map((o) => (o.number !== undefined ? String(o.number) : JSON.stringify(o).replace(/"/g, '')))
      .join(' , ');
    it(`${c.op}(${what}): strides ${JSON.stringify(c.stride)}`, () => {
      const args = c.operands.map(make);
      const y = args.length === 1 ? UNARY[c.op]!(args[0]!) : BINARY[c.op]!(args[0]!, args[1]!);
      expect(y.shape).toEqual(c.shape);
      expect(y.stride()).toEqual(c.stride);
      const got = Array.from(y.data() as Float32Array | Float64Array);
      got.forEach((v, i) =>
        expect(Math.abs(v - c.values[i]!), `[${i}]`).toBeLessThanOrEqual(
          (y.dtype === 'float32' ? 1e-7 : 1e-12) * (1 + Math.abs(v)),
        ),
      );
    });
  }
});

describe('a result laid out as its transposed input', () => {
  it('is not contiguous, so view() refuses it as PyTorch does while reshape() copies', () => {
    const y = tk.randn([3, 4]).t().exp();
    expect(y.isContiguous()).toBe(false);
    expect(() => y.view([12])).toThrow(TensorError);
    const r = y.reshape([12]);
    expect(r.isContiguous()).toBe(true);
    expect(r.data()).toEqual(y.contiguous().data());
  });

  it('takes gradients back to its input and in-place ops into its own memory order', () => {
    const x = tk.randn([5, 3], { dtype: 'float64', requiresGrad: true });
    const y = x.t().exp();
    y.mul(y.detach()).sum().backward(); // d/dx of sum(exp(x) c) at c = exp(x): exp(x)^2
    const e = x.detach().exp();
    expect(tk.allclose(x.grad!, e.mul(e), { rtol: 1e-12 })).toBe(true);
    const z = y.detach().clone();
    z.add_(1);
    expect(tk.allclose(z, y.detach().add(1))).toBe(true);
  });

  it('follows the other operand when one is contiguous and the first is a broadcast row', () => {
    const a = tk.randn([1, 4]).expand([3, 4]);
    const b = tk.randn([4, 3]).t();
    expect(a.add(b).stride()).toEqual([1, 3]);
    expect(tk.allclose(a.add(b), a.contiguous().add(b.contiguous()))).toBe(true);
  });
});
