// nn.utils.parametrizations (orthogonal, spectralNorm) against PyTorch 1.13
// (test/fixtures/torch-parametrizations.json, written by scripts/fixtures/torch_parametrizations.py):
// weights after registration, after moving the original (with the gradient of sum(W * C)) and after
// assignment, for every map and shape; spectral norm's power iteration in training and eval; the
// state-dict names; training keeps the constraint; the checks.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { nn, optim, type Tensor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';
import { closeToTorch as close, f64, type Nested } from './helpers/torch-rows.js';

const PZ = nn.utils.parametrizations;
interface OrthRow {
  W: Nested;
  C: Nested;
  map: 'matrixExp' | 'cayley' | 'householder';
  in: number;
  out: number;
  trivialization: boolean;
  weight0: Nested;
  state: Record<string, Nested>;
  moved: Nested;
  weight1: Nested;
  grad: Nested;
  assigned: Nested;
  weightAssigned: Nested | null;
}
interface SpecRow {
  C: Nested;
  name: string;
  tensor: 'weight' | 'bias';
  options: { n_power_iterations?: number; dim?: number };
  state: Record<string, Nested>;
  weightTrain: Nested;
  grad: Nested;
  stateAfter: Record<string, Nested>;
  weightEval: Nested;
}
const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-parametrizations.json', import.meta.url), 'utf8')) as {
  orthogonal: OrthRow[];
  spectralNorm: SpecRow[];
};

const o64 = { dtype: 'float64' } as const;
// a module's parametrizations (the field registerParametrization adds)
const listOf = (m: nn.Module, name: string) =>
  (m as unknown as { parametrizations: nn.ModuleDict<nn.utils.parametrize.ParametrizationList> }).parametrizations.get(
    name,
  );
const stateOf = (s: Record<string, Nested>) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, f64(v)]));
// [n, k] orthonormal columns (or rows when wide): the Gram matrix is the identity
function orthonormalError(W: Tensor): number {
  const G = W.shape[0] < W.shape[1] ? W.matmul(W.mT) : W.mT.matmul(W);
  return G.sub(tk.eye(G.shape[0], { dtype: W.dtype }))
    .abs()
    .max()
    .item() as number;
}

describe('orthogonal', () => {
  it("every map, shape and trivialization gives torch's weights, gradients and assignments", () => {
    for (const r of FIX.orthogonal) {
      const label = `${r.map} ${r.out}x${r.in} trivialization ${r.trivialization}`;
      const lin = new nn.Linear(r.in, r.out, o64);
      tk.noGrad(() => lin.weight.copy_(f64(r.W)));
      PZ.orthogonal(lin, 'weight', { orthogonalMap: r.map, useTrivialization: r.trivialization });
      expect(Object.keys(lin.stateDict()).sort(), label).toEqual(Object.keys(r.state).sort());
      close(lin.weight, r.weight0, `${label} weight after registration`, 1e-10);
      // torch's state (a non-square base has random columns), then the moved original
      lin.loadStateDict(stateOf(r.state));
      const orig = listOf(lin, 'weight').original;
      tk.noGrad(() => orig.copy_(f64(r.moved)));
      const W = lin.weight;
      close(W, r.weight1, `${label} weight`, 1e-10);
      // householder reads the original's diagonal as int() signs (it gets no gradient, so stays
      // -1 in training); moved off -1 here it zeroes columns, as in torch
      if (r.map !== 'householder') expect(orthonormalError(W), label).toBeLessThan(1e-12);
      W.mul(f64(r.C)).sum().backward();
      close(orig.grad!, r.grad, `${label} grad`, 1e-9);
      if (r.weightAssigned === null)
        expectTensorError(
          () => {
            lin.weight = f64(r.assigned);
          },
          'NOT_IMPLEMENTED',
          /orthogonal\.rightInverse: it is not possible to assign to the matrixExp or cayley parametrizations/,
        );
      else {
        lin.weight = f64(r.assigned);
        close(lin.weight, r.weightAssigned, `${label} assigned`, 1e-10);
      }
    }
  });

  it('training keeps the weight orthogonal; a float32 batch of matrices; removal keeps the value', () => {
    tk.manualSeed(5);
    // fit an orthogonal map to a rotation's action: the weight stays orthogonal at every step
    const lin = new nn.Linear(3, 3, { bias: false });
    PZ.orthogonal(lin);
    const target = tk.linalg.qr(tk.randn([3, 3])).Q;
    const x = tk.randn([64, 3]);
    const y = x.matmul(target.mT);
    const opt = new optim.Adam(lin.parameters(), { lr: 0.05 });
    for (let i = 0; i < 150; i++) {
      opt.zeroGrad();
      tk.tidy(() => nn.functional.mseLoss(lin.forward(x), y).backward());
      opt.step();
      if (i % 50 === 0) expect(orthonormalError(lin.weight)).toBeLessThan(1e-5);
    }
    const det = tk.linalg.det(target).item() as number;
    // a connected map reaches the target when it shares the weight's determinant sign
    if (Math.sign(det) === Math.sign(tk.linalg.det(lin.weight).item() as number))
      expect(lin.weight.sub(target).abs().max().item()).toBeLessThan(1e-2);
    // a batch of wide matrices as one parameter
    class Holder extends nn.Module {
      w = nn.Parameter(tk.randn([2, 3, 5]));
      forward() {
        return this.w;
      }
    }
    const h = PZ.orthogonal(new Holder(), 'w');
    const w = (h as unknown as { w: Tensor }).w;
    expect(w.shape).toEqual([2, 3, 5]);
    for (const i of [0, 1]) expect(orthonormalError(w.select(0, i))).toBeLessThan(1e-5);
    const before = lin.weight.clone();
    nn.utils.parametrize.removeParametrizations(lin, 'weight');
    expect(lin.weight.sub(before).abs().max().item()).toBe(0);
  });

  it('arguments are checked', () => {
    expectTensorError(() => PZ.orthogonal({} as never), 'INVALID_ARGUMENT', /orthogonal: expected an nn.Module/);
    expectTensorError(
      () => PZ.orthogonal(new nn.Linear(2, 2), 'nope'),
      'INVALID_ARGUMENT',
      /Linear has no parameter or buffer named "nope"/,
    );
    expectTensorError(
      () => PZ.orthogonal(new nn.Linear(2, 2), 'bias'),
      'SHAPE_MISMATCH',
      /expected a matrix or batch of matrices, got a tensor of 1 dims/,
    );
    expectTensorError(
      () => PZ.orthogonal(new nn.Linear(2, 2), 'weight', { orthogonalMap: 'qr' as never }),
      'INVALID_ARGUMENT',
      /orthogonalMap must be one of matrixExp, cayley, householder, got "qr"/,
    );
    const lin = PZ.orthogonal(new nn.Linear(2, 3));
    expectTensorError(
      () => {
        lin.weight = tk.eye(3);
      },
      'SHAPE_MISMATCH',
      /orthogonal\.rightInverse: expected a matrix or batch of matrices of shape \[3, 2\], got \[3, 3\]/,
    );
  });
});

describe('spectralNorm', () => {
  const make: Record<string, () => nn.Module> = {
    linear: () => new nn.Linear(5, 4, o64),
    linear3: () => new nn.Linear(5, 4, o64),
    conv2d: () => new nn.Conv2d(3, 4, 2, o64),
    convTranspose2d: () => new nn.ConvTranspose2d(3, 4, 2, o64),
    linearDim1: () => new nn.Linear(5, 4, o64),
    bias: () => new nn.Linear(5, 4, o64),
  };
  it("power iteration in training, none in eval: torch's weights, gradients, u and v", () => {
    for (const r of FIX.spectralNorm) {
      const m = make[r.name]();
      PZ.spectralNorm(m, r.tensor, { nPowerIterations: r.options.n_power_iterations, dim: r.options.dim });
      expect(Object.keys(m.stateDict()).sort(), r.name).toEqual(Object.keys(r.state).sort());
      m.loadStateDict(stateOf(r.state));
      const W = (m as unknown as Record<string, Tensor>)[r.tensor];
      close(W, r.weightTrain, `${r.name} training weight`, 1e-10);
      W.mul(f64(r.C)).sum().backward();
      const orig = listOf(m, r.tensor).original;
      close(orig.grad!, r.grad, `${r.name} grad`, 1e-9);
      const after = m.stateDict();
      for (const [k, v] of Object.entries(r.stateAfter)) close(after[k], v, `${r.name} ${k} after`, 1e-10);
      m.eval();
      close((m as unknown as Record<string, Tensor>)[r.tensor], r.weightEval, `${r.name} eval weight`, 1e-10);
      close(
        (m as unknown as Record<string, Tensor>)[r.tensor],
        r.weightEval,
        `${r.name} eval again (no iteration)`,
        1e-10,
      );
    }
  });

  it('the spectral norm converges to 1 as the power iteration runs; ConvTranspose uses dim 1', () => {
    tk.manualSeed(9);
    const lin = PZ.spectralNorm(new nn.Linear(20, 30));
    for (let i = 0; i < 30; i++) lin.weight;
    expect(tk.linalg.svdvals(lin.weight).max().item()).toBeCloseTo(1, 4);
    const ct = PZ.spectralNorm(new nn.ConvTranspose2d(3, 4, 2));
    const u = (listOf(ct, 'weight').get(0) as unknown as { _u: Tensor })._u;
    expect(u.shape).toEqual([4]); // out channels sit at dim 1 of a transposed convolution's weight
  });

  it('arguments are checked', () => {
    expectTensorError(
      () => PZ.spectralNorm(new nn.Linear(2, 2), 'weight', { nPowerIterations: 0 }),
      'INVALID_ARGUMENT',
      /nPowerIterations/,
    );
    expectTensorError(
      () => PZ.spectralNorm(new nn.Linear(2, 2), 'weight', { eps: -1 }),
      'INVALID_ARGUMENT',
      /eps must be positive, got -1/,
    );
    expectTensorError(
      () => PZ.spectralNorm(new nn.Linear(2, 2), 'weight', { dim: 2 }),
      'INDEX_OUT_OF_RANGE',
      /dim 2 is out of range for a weight of 2 dims/,
    );
    expectTensorError(
      () => PZ.spectralNorm(new nn.Linear(2, 2), 'weight', { dims: 1 } as never),
      'INVALID_ARGUMENT',
      /dims/,
    );
    expectTensorError(
      () => PZ.spectralNorm(new nn.Linear(2, 2), 'nope'),
      'INVALID_ARGUMENT',
      /no parameter or buffer named "nope"/,
    );
  });
});
