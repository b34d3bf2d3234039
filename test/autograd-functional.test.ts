// autograd.functional (torch.autograd.functional): vjp, jvp, jacobian, hessian, vhp and hvp
// against PyTorch 1.13's values for the same functions (test/fixtures/torch-functional.json,
// written by scripts/fixtures/torch_functional.py), plus the result structure, createGraph,
// strict, the caller's graph left alone, leaks and argument checks.
import fs from 'node:fs';

import { describe, expect, it } from 'vitest';

import { autograd, memory, nn, tensor, tidy, type Tensor } from '../src/index.js';
import { expectTensorError, settleGarbage } from './helpers/harness.js';

const F = autograd.functional;
const fx = JSON.parse(fs.readFileSync(new URL('./fixtures/torch-functional.json', import.meta.url), 'utf8'));
const t64 = (v: unknown) => tensor(v as number[], { dtype: 'float64' });

// Compares nested arrays of tensors with torch's nested lists.
function near(got: unknown, want: unknown, path = ''): void {
  if (got instanceof Object && 'shape' in (got as object) && typeof (got as Tensor).toArray === 'function') {
    const g = got as Tensor;
    const w = t64(want);
    expect(g.shape, path).toEqual(w.shape);
    expect(Number(g.sub(w).abs().max().item()), path).toBeLessThan(1e-12 * Math.max(1, Number(w.abs().max().item())));
    return;
  }
  expect(Array.isArray(got) && Array.isArray(want), `${path}: structure`).toBe(true);
  expect((got as unknown[]).length, path).toBe((want as unknown[]).length);
  (got as unknown[]).forEach((g, i) => near(g, (want as unknown[])[i], `${path}[${i}]`));
}

const f1 = (x: Tensor) => x.sin().mul(x.sum());
const f2 = (x: Tensor, y: Tensor): Tensor[] => [x.matmul(y).tanh(), x.exp().sum(0)];
const g = (x: Tensor, y: Tensor) =>
  x
    .pow(3)
    .sum()
    .add(x.unsqueeze(2).mul(y.unsqueeze(0)).sin().sum())
    .add(x.sum().mul(y.sum()).pow(2));

describe("autograd.functional against PyTorch's values", () => {
  it('jacobian, vjp, jvp of a function of one tensor', () =>
    tidy(() => {
      const x = t64(fx.x3);
      near(F.jacobian(f1, x), fx.f1_jacobian);
      near(F.vjp(f1, x, t64(fx.v3))[1], fx.f1_vjp);
      near(F.jvp(f1, x, t64(fx.v3))[1], fx.f1_jvp);
      near(F.vjp(f1, x, t64(fx.v3))[0], f1(x).toArray()); // the outputs come back too
    }));

  it('jacobian, vjp, jvp with two inputs and two outputs: results nest as torch', () =>
    tidy(() => {
      const [x, y] = [t64(fx.xm), t64(fx.ym)];
      near(F.jacobian(f2, [x, y]), fx.f2_jacobian); // [output][input]
      near(
        F.vjp(
          f2,
          [x, y],
          [
            tensor(
              [
                [1, 1],
                [1, 1],
              ],
              { dtype: 'float64' },
            ),
            t64([0, 1, 2]),
          ],
        )[1],
        fx.f2_vjp,
      );
      near(
        F.jvp(
          f2,
          [x, y],
          [
            tensor(
              [
                [1, 1, 1],
                [1, 1, 1],
              ],
              { dtype: 'float64' },
            ),
            y.mul(2),
          ],
        )[1],
        fx.f2_jvp,
      );
    }));

  it('hessian, vhp, hvp of a scalar function', () =>
    tidy(() => {
      const [x, y] = [t64(fx.xm), t64(fx.ym)];
      near(F.hessian(g, [x, y]), fx.g_hessian); // H[i][j]
      const [value, vh] = F.vhp(g, [x, y], [x, y]);
      expect(Number((value as Tensor).item())).toBeCloseTo(fx.g_value, 12);
      near(vh, fx.g_vhp);
      near(F.hvp(g, [x, y], [x, y])[1], fx.g_hvp);
      near(
        F.hessian((a: Tensor) => a.pow(3).mul(a.sum()).sum(), t64(fx.x3)),
        fx.h_hessian,
      );
    }));

  it("jvp through the fused cross-entropy with a mean, weights or smoothing (torch's values)", () =>
    tidy(() => {
      // The mean's division of the incoming gradient was a constant op in the recorded backward,
      // so the double-vjp lost it and jvp gave 0.
      const x = tensor(
        [
          [0.1, 0.5, -0.3],
          [0.2, -0.1, 0.4],
        ],
        { dtype: 'float64' },
      );
      const v = tensor(
        [
          [1, 0, 0.5],
          [0, 1, -1],
        ],
        { dtype: 'float64' },
      );
      const t = tensor([0, 2], { dtype: 'int64' });
      const w = tensor([1, 2, 3], { dtype: 'float64' });
      const NF = nn.functional;
      for (const [name, f, want] of [
        ['mean', (a: Tensor) => NF.crossEntropy(a, t), 0.12999725481028612],
        ['weighted', (a: Tensor) => NF.crossEntropy(a, t, { weight: w }), 0.4838796729262065],
        ['smoothing', (a: Tensor) => NF.crossEntropy(a, t, { labelSmoothing: 0.2 }), 0.07999725481028612],
        ['nll weighted', (a: Tensor) => NF.nllLoss(a.logSoftmax(-1), t, { weight: w }), 0.4838796729262065],
      ] as const)
        expect(Number((F.jvp(f, x, v)[1] as Tensor).item()), name).toBeCloseTo(want, 14);
    }));
});

describe('autograd.functional semantics', () => {
  it('shapes: a Tensor per Tensor, [...out, ...in] for the jacobian; one-element v may be omitted', () =>
    tidy(() => {
      const x = tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { dtype: 'float64' },
      );
      const J = F.jacobian((a: Tensor) => a.sum(1), x) as Tensor;
      expect(J.shape).toEqual([2, 2, 2]);
      const [, gs] = F.vjp((a: Tensor) => a.square().sum(), x);
      expect((gs as Tensor).toArray()).toEqual([
        [2, 4],
        [6, 8],
      ]);
      const [, d] = F.jvp((a: Tensor) => a.mul(3), tensor([2], { dtype: 'float64' }));
      expect((d as Tensor).toArray()).toEqual([3]);
      expectTensorError(
        () => F.vjp((a: Tensor) => a.mul(2), x),
        'INVALID_ARGUMENT',
        /vjp: v can be omitted only when each of the outputs has one element; outputs\[0\] has shape \[2, 2\]/,
      );
    }));

  it("leaves the caller's graph alone unless createGraph, which makes results differentiable", () =>
    tidy(() => {
      const w = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
      const J = F.jacobian((a: Tensor) => a.pow(3), w) as Tensor; // diag(3 w^2)
      expect(J.requiresGrad).toBe(false);
      expect(w.grad).toBeNull();
      const Jg = F.jacobian((a: Tensor) => a.pow(3), w, { createGraph: true }) as Tensor;
      expect(Jg.requiresGrad).toBe(true);
      Jg.sum().backward(); // d/dw sum(diag(3 w^2)) = 6 w
      expect(w.grad!.toArray()).toEqual([6, 12]);
    }));

  it('independent outputs give zeros, or with strict an error', () =>
    tidy(() => {
      const x = tensor([1, 2], { dtype: 'float64' });
      const y = tensor([3], { dtype: 'float64' });
      const J = F.jacobian((a: Tensor, b: Tensor) => a.mul(2), [x, y]) as Tensor[];
      expect(J[1].toArray()).toEqual([[0], [0]]);
      expect((F.jacobian(() => tensor([5, 6], { dtype: 'float64' }), x) as Tensor).toArray()).toEqual([
        [0, 0],
        [0, 0],
      ]);
      expectTensorError(
        () => F.jacobian((a: Tensor, b: Tensor) => a.mul(2), [x, y], { strict: true }),
        'INVALID_ARGUMENT',
        /jacobian: the output is independent of inputs\[1\] \(strict mode\)/,
      );
      expect((F.hessian((a: Tensor) => a.mul(2).sum(), x) as Tensor).toArray()).toEqual([
        [0, 0],
        [0, 0],
      ]); // linear
    }));

  it('frees everything it makes', () => {
    settleGarbage();
    const x = tensor([0.5, 1.5, -1], { dtype: 'float64' });
    const before = memory().tensors;
    for (let i = 0; i < 200; i++) {
      (F.jacobian(f1, x) as Tensor).dispose();
      const [v, h] = F.hvp((a: Tensor) => a.pow(4).sum(), x, x);
      (v as Tensor).dispose();
      (h as Tensor).dispose();
    }
    expect(memory().tensors).toBe(before);
    x.dispose();
  });

  it('checks its arguments', () => {
    const x = tensor([1, 2], { dtype: 'float64' });
    expectTensorError(
      () => F.jacobian(3 as never, x),
      'INVALID_ARGUMENT',
      /jacobian: func must be a function of tensors, got 3/,
    );
    expectTensorError(
      () => F.jacobian((a: Tensor) => a, 'x' as never),
      'INVALID_ARGUMENT',
      /jacobian: inputs must be a Tensor or a non-empty array/,
    );
    expectTensorError(() => F.jacobian((a: Tensor) => a, []), 'INVALID_ARGUMENT', /non-empty/);
    expectTensorError(
      () => F.jacobian(() => 7 as never, x),
      'INVALID_ARGUMENT',
      /jacobian: func's result must be a Tensor/,
    );
    expectTensorError(
      () => F.jacobian((a: Tensor) => a, tensor([1, 2], { dtype: 'int64' })),
      'DTYPE_MISMATCH',
      /jacobian: inputs\[0\] must be floating/,
    );
    expectTensorError(
      () => F.hessian((a: Tensor) => a.mul(2), x),
      'INVALID_ARGUMENT',
      /hessian: func must return a single one-element tensor/,
    );
    expectTensorError(
      () => F.jvp((a: Tensor) => a, x, tensor([1, 2, 3], { dtype: 'float64' })),
      'SHAPE_MISMATCH',
      /jvp: v\[0\] has shape \[3\], expected \[2\]/,
    );
    expectTensorError(
      () => F.vhp((a: Tensor) => a.sum(), x, [x, x]),
      'INVALID_ARGUMENT',
      /vhp: expected 1 tensors in v, got 2/,
    );
    expectTensorError(
      () => F.jacobian((a: Tensor) => a, x, { creatGraph: true } as never),
      'INVALID_ARGUMENT',
      /did you mean 'createGraph'/,
    );
  });
});
