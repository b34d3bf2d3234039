// torch.linalg (src/linalg, the native factorizations of native/src/kernels/linalg.h): values and
// gradients against PyTorch 1.13's own (test/fixtures/torch-linalg.json, written by
// scripts/fixtures/torch_linalg.py), second derivatives, identities on larger and batched inputs,
// the errors PyTorch raises, empty and NaN inputs, and memory. The op-table rows (against the plain
// references) and the float64 gradcheck rows on every layout are in helpers/cases-decomp.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { linalg, memory, tensor, type Tensor } from '../src/index.js';
import { expectTensorError, settleGarbage } from './helpers/harness.js';
import { closeToTorch, f64, type Nested } from './helpers/torch-rows.js';

interface Row {
  inputs: string[];
  outs: Nested[];
  grads: (Nested | null)[];
}
const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-linalg.json', import.meta.url), 'utf8')) as {
  torch: string;
  inputs: Record<string, Nested>;
  cases: Record<string, Row>;
};

// The fixture's weights: cos(0.7 k) over each output's elements.
const weights = (o: Tensor) => tk.arange(0, o.numel(), 1, { dtype: 'float64' }).mul(0.7).cos().reshape(o.shape);

/**
 * Checks fn's outputs against the row and the gradients of sum(w * term) over `loss(outs)` (by
 * default the floating outputs) against PyTorch's.
 */
function check(
  name: string,
  fn: (...xs: Tensor[]) => Tensor[],
  loss?: (...outs: Tensor[]) => Tensor[],
  tol = 1e-9,
  symmetrised: number[] = [],
) {
  const row = FIX.cases[name];
  tk.tidy(() => {
    const xs = row.inputs.map((k) => f64(FIX.inputs[k]).requiresGrad_());
    const outs = fn(...xs);
    expect(outs.length, `${name}: outputs`).toBe(row.outs.length);
    outs.forEach((o, i) => closeToTorch(o, row.outs[i], `${name} out ${i}`, tol));
    const terms = (loss ? loss(...outs) : outs).filter((o) => o.dtype === 'float64' && o.requiresGrad);
    if (terms.length === 0) return;
    terms
      .map((o): Tensor => o.mul(weights(o)).sum())
      .reduce((a, b) => a.add(b))
      .backward();
    row.grads.forEach((g, i) => {
      if (g === null) return;
      // A symmetric matrix input read through a factorization gets the symmetric gradient (as
      // from PyTorch's cholesky); where PyTorch also uses the raw matrix, compare symmetrised.
      const want = symmetrised.includes(i) ? (f64(g).add(f64(g).mT).mul(0.5).toArray() as Nested) : g;
      closeToTorch(xs[i].grad!, want, `${name} d/d ${row.inputs[i]}`, tol);
    });
  });
}

const sq = (t: Tensor) => t.mul(t);

describe(`torch.linalg against PyTorch ${FIX.torch}`, () => {
  it('cholesky (lower and upper) and choleskyEx info', () => {
    check('cholesky', (s) => [linalg.cholesky(s), linalg.cholesky(s, { upper: true })]);
    check('choleskyEx', (a) => [linalg.choleskyEx(a).info]);
  });
  it('luFactor, luFactorEx of a wide matrix, lu', () => {
    check('luFactor', (a) => {
      const { LU, pivots } = linalg.luFactor(a);
      return [LU, pivots];
    });
    check('luFactorWide', (a) => {
      const { LU, pivots } = linalg.luFactorEx(a);
      return [LU, pivots];
    });
    for (const name of ['lu', 'luTall'])
      check(name, (a) => {
        const { P, L, U } = linalg.lu(a);
        return [P, L, U];
      });
  });
  it('solve (matrix, vector, left: false; batch broadcast) and solveTriangular', () => {
    check('solve', (a, b, v) => [linalg.solve(a, b), linalg.solve(a, v), linalg.solve(a, b.mT, { left: false })]);
    check('solveBatched', (a, c) => [linalg.solve(a, c.narrow(0, 0, 3))]);
    check('solveTriangular', (a, b) => [
      linalg.solveTriangular(a, b, { upper: true }),
      linalg.solveTriangular(a, b, { upper: false, unitriangular: true }),
      linalg.solveTriangular(a, b.mT, { upper: false, left: false }),
      linalg.solveTriangular(a, b.mT, { upper: true, left: false, unitriangular: true }),
    ]);
  });
  it('luSolve with adjoint and left', () => {
    const { LU, pivots } = linalg.luFactor(f64(FIX.inputs.A));
    check('luSolve', (b) => [
      linalg.luSolve(LU, pivots, b),
      linalg.luSolve(LU, pivots, b, { adjoint: true }),
      linalg.luSolve(LU, pivots, b.mT, { left: false }),
      linalg.luSolve(LU, pivots, b.mT, { left: false, adjoint: true }),
    ]);
    LU.dispose();
    pivots.dispose();
  });
  it('inv, det, slogdet, logdet (NaN for a negative determinant)', () => {
    check('inv', (a) => [linalg.inv(a), a.inverse()]);
    check('invBatched', (a) => [linalg.inv(a)]);
    check('det', (a, bt) => [linalg.det(a), bt.det()]);
    check('slogdet', (a) => {
      const { sign, logabsdet } = linalg.slogdet(a);
      return [sign, logabsdet];
    });
    check('logdet', (s, a) => [s.logdet(), tk.logdet(a)]);
  });
  it('eigh (both triangles) and eigvalsh', () => {
    check(
      'eigh',
      (s) => {
        const l = linalg.eigh(s),
          u = linalg.eigh(s, { UPLO: 'U' });
        return [l.eigenvalues, l.eigenvectors, u.eigenvalues, u.eigenvectors];
      },
      (w, v, w2, v2) => [w, sq(v), w2.mul(2), sq(v2).mul(3)],
    );
    check('eigvalsh', (s) => [linalg.eigvalsh(s)]);
  });
  it('svd (tall, wide, square), full matrices, svdvals', () => {
    for (const name of ['svdT', 'svdW', 'svdA'])
      check(
        name,
        (a) => {
          const { U, S, Vh } = linalg.svd(a, { fullMatrices: false });
          return [U, S, Vh];
        },
        (u, s, vh) => [sq(u), s, sq(vh).mul(2)],
      );
    check('svdFullT', (a) => [linalg.svd(a).S]);
    check('svdvals', (a) => [linalg.svdvals(a)]);
    const { U, Vh } = linalg.svd(f64(FIX.inputs.T));
    expect([U.shape, Vh.shape]).toEqual([
      [5, 5],
      [3, 3],
    ]);
  });
  it('qr: reduced (tall, wide), complete, r', () => {
    for (const name of ['qrT', 'qrW'])
      check(name, (a) => {
        const { Q, R } = linalg.qr(a);
        return [Q, R];
      });
    check('qrCompleteA', (a) => {
      const { Q, R } = linalg.qr(a, { mode: 'complete' });
      return [Q, R];
    });
    check('qrCompleteT', (a) => [
      linalg.qr(a.detach(), { mode: 'complete' }).Q,
      linalg.qr(a.detach(), { mode: 'r' }).R,
    ]);
  });
  it('pinv (also hermitian), matrixRank with tolerances', () => {
    check('pinv', (a) => [linalg.pinv(a), linalg.pinv(a.mT), a.pinverse()], undefined, 1e-8);
    // PyTorch differentiates hermitian pinv as the general pinv (its own pinv_backward), whose
    // gradient is not symmetric; ours comes through eigh and is its symmetric part.
    check('pinvHermitian', (s) => [linalg.pinv(s, { hermitian: true })], undefined, 1e-9, [0]);
    check('matrixRank', (a) => [
      linalg.matrixRank(a),
      linalg.matrixRank(a, { atol: 1 }),
      linalg.matrixRank(a, { rtol: 0.5 }),
      linalg.matrixRank(a.matmul(a.mT), { hermitian: true }),
    ]);
  });
  it('matrixNorm (every ord, other dims), norm, cond', () => {
    const ords = ['fro', 'nuc', 1, -1, 2, -2, Infinity, -Infinity] as const;
    check('matrixNorm', (a) => ords.map((o) => linalg.matrixNorm(a, o)));
    check('matrixNormDims', (a) =>
      (['fro', 1, 2] as const).map((o) => linalg.matrixNorm(a, o, { dim: [0, 2], keepdim: true })),
    );
    check('norm', (a, v) => [
      linalg.norm(a),
      linalg.norm(a, 'nuc'),
      linalg.norm(a, 2),
      linalg.norm(v, 3),
      linalg.norm(a, null, { dim: 1 }),
      linalg.norm(v, Infinity),
    ]);
    check('cond', (a) => [linalg.cond(a), linalg.cond(a, -2)], undefined, 1e-8);
    check('condP', (a) => ([1, 'fro', Infinity, -1, 'nuc'] as const).map((p) => linalg.cond(a.detach(), p)));
  });
  it('lstsq (tall with residuals, wide minimum-norm)', () => {
    // PyTorch's residuals carry no gradient (only the solution is differentiable there); ours do,
    // so the comparison's loss is the solution's alone, as PyTorch's effectively was.
    check(
      'lstsq',
      (a, b) => [linalg.lstsq(a, b).solution, linalg.lstsq(a, b, { driver: 'gelsd' }).residuals],
      (sol) => [sol],
    );
    check('lstsqWide', (a, b) => [linalg.lstsq(a, b.narrow(0, 0, 3)).solution], undefined, 1e-8);
  });
  it('matrixPower, matrixExp, multiDot, choleskySolve/Inverse, vecdot', () => {
    check('matrixPower', (a) => [linalg.matrixPower(a, 3), linalg.matrixPower(a, -2), a.matrixPower(0)]);
    check('matrixExp', (a) => [linalg.matrixExp(a), a.mul(3).matrixExp()], undefined, 1e-8);
    check('multiDot', (t, w, c, v) => [
      linalg.multiDot([t, w, c]),
      linalg.multiDot([v.narrow(0, 0, 3), w, t, v.narrow(0, 0, 3)]),
      linalg.multiDot([w, c]),
    ]);
    check('choleskySolve', (b, s) => [
      b.choleskySolve(linalg.cholesky(s)),
      tk.choleskySolve(b, linalg.cholesky(s, { upper: true }), true),
      linalg.cholesky(s).choleskyInverse(),
    ]);
    check('vecdot', (a, x) => [linalg.vecdot(a, x), linalg.vecdot(a, x, { dim: 0 })]);
  });
  it('solveEx (info codes), tensorinv, tensorsolve (dims)', () => {
    check('solveEx', (a, b, v) => {
      const { result, info } = linalg.solveEx(a, b);
      return [result, info, linalg.solveEx(a, b.mT, { left: false }).result, linalg.solveEx(a, v).result];
    });
    check('solveExSingular', (s) => [linalg.solveEx(s.detach(), tk.ones([2], { dtype: 'float64' })).info]);
    check('tensorinv', (a) => [linalg.tensorinv(a), linalg.tensorinv(a.reshape([6, 2, 3]), { ind: 1 })]);
    check('tensorsolve', (a, b) => [
      linalg.tensorsolve(a, b),
      linalg.tensorsolve(a.permute([2, 0, 1]), b, { dims: [0] }),
    ]);
  });
  it('geqrf, householderProduct (orgqr) and ormqr', () => {
    check('geqrf', (a, w, bt) => [a, w, bt].flatMap((x) => Object.values(tk.geqrf(x))));
    check('householderProduct', (a, t, bt, tb) => [
      linalg.householderProduct(a, t),
      a.orgqr(t.narrow(0, 0, 2)),
      tk.orgqr(bt, tb),
    ]);
    check('ormqr', (a, t, c) => [
      tk.ormqr(a, t, c),
      a.ormqr(t, c, true, true),
      tk.ormqr(a, t, c.mT, false),
      tk.ormqr(a, t, c.mT, false, true),
    ]);
  });
});

describe('linalg beyond the fixture', () => {
  const eye = (n: number) => tk.eye(n, { dtype: 'float64' });
  it('second derivatives (gradgradcheck) of every factorization', () => {
    tk.tidy(() => {
      tk.manualSeed(11);
      const r = (...s: number[]) => tk.randn(s, { dtype: 'float64' }).requiresGrad_();
      const gg = tk.autograd.gradgradcheck;
      expect(gg((x) => linalg.cholesky(x.matmul(x.mT).add(eye(3))), [r(3, 3)])).toBe(true);
      expect(gg((a, b) => linalg.solve(a.add(eye(3).mul(3)), b), [r(3, 3), r(3, 2)])).toBe(true);
      expect(gg((a) => linalg.det(a), [r(2, 3, 3)])).toBe(true);
      expect(gg((a) => linalg.eigh(a.add(a.mT)).eigenvectors, [r(3, 3)])).toBe(true);
      expect(gg((a) => linalg.svd(a, { fullMatrices: false }).U, [r(4, 3)])).toBe(true);
      expect(gg((a) => linalg.qr(a).R, [r(3, 4)])).toBe(true);
    });
  });
  it('identities hold on larger and batched float32 inputs', () => {
    tk.tidy(() => {
      tk.manualSeed(12);
      const a = tk.randn([3, 40, 40]);
      const spd = a.matmul(a.mT).add(tk.eye(40).mul(40));
      const err = (x: Tensor, y: Tensor) => x.sub(y).abs().max().item();
      const L = linalg.cholesky(spd);
      expect(err(L.matmul(L.mT), spd)).toBeLessThan(1e-3);
      const { eigenvalues, eigenvectors: V } = linalg.eigh(spd);
      expect(err(V.mul(eigenvalues.unsqueeze(-2)).matmul(V.mT), spd)).toBeLessThan(1e-3);
      const { U, S, Vh } = linalg.svd(a.narrow(1, 0, 25), { fullMatrices: false });
      expect(err(U.mul(S.unsqueeze(-2)).matmul(Vh), a.narrow(1, 0, 25))).toBeLessThan(1e-4);
      const { Q, R } = linalg.qr(a);
      expect(err(Q.matmul(R), a)).toBeLessThan(1e-4);
      expect(err(Q.mT.matmul(Q), tk.eye(40))).toBeLessThan(1e-5);
      expect(err(a.matmul(linalg.inv(a)), tk.eye(40))).toBeLessThan(1e-3);
      const { P, L: Lu, U: Uu } = linalg.lu(a);
      expect(err(P.matmul(Lu).matmul(Uu), a)).toBeLessThan(1e-4);
    });
  });
  it('the blocked CPU paths (n >= 128: LU and Cholesky panels, triangular solves by GEMM) agree with the plain references', () => {
    tk.tidy(() => {
      tk.manualSeed(13);
      const n = 150;
      const a = tk.randn([2, n, n], { dtype: 'float64' });
      const pa = tk.plain.plainTensor(a.toArray() as number[][][], 'float64');
      const { LU, pivots } = linalg.luFactorEx(a);
      const ref = tk.plain.luFactorEx(pa);
      expect(Array.from(pivots.data())).toEqual(Array.from(ref.pivots.data));
      closeToTorch(LU.reshape(-1), Array.from(ref.LU.data) as unknown as Nested, 'blocked LU', 1e-9);
      for (const upper of [false, true])
        for (const left of [true, false]) {
          const b = tk.randn(left ? [2, n, 20] : [2, 20, n], { dtype: 'float64' });
          const tri = a.add(tk.eye(n, { dtype: 'float64' }).mul(30));
          const x = linalg.solveTriangular(tri, b, { upper, left });
          const want = tk.plain.solveTriangular(
            tk.plain.plainTensor(tri.toArray() as number[][][], 'float64'),
            tk.plain.plainTensor(b.toArray() as number[][][], 'float64'),
            { upper, left },
          );
          closeToTorch(
            x.reshape(-1),
            Array.from(want.data) as unknown as Nested,
            `blocked trsm upper=${upper} left=${left}`,
          );
        }
      const err = linalg
        .inv(a)
        .matmul(a)
        .sub(tk.eye(n, { dtype: 'float64' }))
        .abs()
        .max()
        .item();
      expect(err).toBeLessThan(1e-9);
      // blocked Cholesky: the factor, and the order of a failing minor past the first block
      const spd = a.matmul(a.mT).add(tk.eye(n, { dtype: 'float64' }));
      const chol = tk.plain.choleskyEx(tk.plain.plainTensor(spd.toArray() as number[][][], 'float64'));
      closeToTorch(linalg.cholesky(spd).reshape(-1), Array.from(chol.L.data) as unknown as Nested, 'blocked cholesky');
      const bad = spd.clone();
      bad.select(0, 1).select(0, 140).select(0, 140).fill_(-1);
      expect(Array.from(linalg.choleskyEx(bad).info.data())).toEqual([0, 141]);
    });
  });
  it('the blocked CPU QR (min(m, n) >= 128: geqrf panels, orgqr blocks by GEMM) agrees with the plain references', () => {
    tk.tidy(() => {
      tk.manualSeed(17);
      // tall, wide, square with a partial last block, and a batch of two
      for (const shape of [
        [300, 150],
        [140, 270],
        [2, 193, 193],
      ]) {
        const a = tk.randn(shape, { dtype: 'float64' });
        const mats = (a.ndim === 3 ? a.unbind(0) : [a]).map((x) =>
          tk.plain.plainTensor(x.toArray() as number[][], 'float64'),
        );
        const label = `[${shape.join(', ')}]`;
        const raw = tk.geqrf(a);
        const ref = mats.map((m) => tk.plain.geqrf(m));
        closeToTorch(
          raw.a.reshape(-1),
          ref.flatMap((r) => Array.from(r.a.data)) as unknown as Nested,
          `geqrf ${label}`,
          1e-9,
        );
        closeToTorch(
          raw.tau.reshape(-1),
          ref.flatMap((r) => Array.from(r.tau.data)) as unknown as Nested,
          `tau ${label}`,
          1e-9,
        );
        for (const mode of ['reduced', 'complete'] as const) {
          const { Q, R } = linalg.qr(a, { mode });
          const want = mats.map((m) => tk.plain.qr(m, mode));
          closeToTorch(
            Q.reshape(-1),
            want.flatMap((w) => Array.from(w.Q.data)) as unknown as Nested,
            `Q ${mode} ${label}`,
            1e-9,
          );
          closeToTorch(
            R.reshape(-1),
            want.flatMap((w) => Array.from(w.R.data)) as unknown as Nested,
            `R ${mode} ${label}`,
            1e-9,
          );
        }
      }
      // a zero column past the first block stays zero under the earlier reflections: none there
      // (tau 0), as geqrf
      const z = tk.randn([200, 160], { dtype: 'float64' });
      z.select(1, 130).zero_();
      const { tau } = tk.geqrf(z);
      const want = tk.plain.geqrf(tk.plain.plainTensor(z.toArray() as number[][], 'float64')).tau;
      closeToTorch(tau, Array.from(want.data) as unknown as Nested, 'tau with zero columns', 1e-9);
      expect(tau.data()[130]).toBe(0);
    });
  });
  it('jit.trace records the factorizations and replays them on new inputs', () => {
    tk.tidy(() => {
      class M extends tk.nn.Module {
        forward(x: Tensor) {
          const { Q, R } = linalg.qr(x);
          const e = linalg.eigh(x.matmul(x.mT), { UPLO: 'U' });
          const t = linalg.solveTriangular(x.narrow(0, 0, 3).add(tk.eye(3).mul(3)), x, { upper: true, left: false });
          return Q.sum().add(R.sum()).add(e.eigenvalues.sum()).add(linalg.svdvals(x).sum()).add(t.sum());
        }
      }
      const m = new M();
      const g = tk.jit.trace(m, [tk.randn([4, 3])]);
      const y = tk.randn([4, 3]);
      expect((g.run([y]) as Tensor).item()).toBeCloseTo(m.call(y).item() as number, 4);
    });
  });
  it('empty matrices and batches', () => {
    tk.tidy(() => {
      const z = tk.zeros([0, 0], { dtype: 'float64' });
      expect(linalg.det(z).item()).toBe(1);
      expect(linalg.inv(z).shape).toEqual([0, 0]);
      expect(linalg.cholesky(z).shape).toEqual([0, 0]);
      const { U, S, Vh } = linalg.svd(tk.zeros([3, 0]));
      expect([U.shape, S.shape, Vh.shape]).toEqual([[3, 3], [0], [0, 0]]);
      expect(U.toArray()).toEqual(tk.eye(3).toArray());
      expect(linalg.qr(tk.zeros([2, 0]), { mode: 'complete' }).Q.toArray()).toEqual(tk.eye(2).toArray());
      expect(linalg.eigh(tk.zeros([0, 2, 2])).eigenvectors.shape).toEqual([0, 2, 2]);
      expect(linalg.solve(tk.zeros([0, 3, 3]), tk.zeros([3])).shape).toEqual([0, 3]);
    });
  });
  it('NaN in, NaN out (no hang, no crash)', () => {
    tk.tidy(() => {
      const a = tensor([
        [1, NaN],
        [NaN, 2],
      ]);
      expect(Number.isNaN(linalg.eigvalsh(a).sum().item())).toBe(true);
      expect(Number.isNaN(linalg.svdvals(a).sum().item())).toBe(true);
      expect(linalg.choleskyEx(a).info.item()).toBe(2);
      expect(Number.isNaN(linalg.qr(a).R.sum().item())).toBe(true);
    });
  });
  it('a singular matrix: info codes, inf and the errors PyTorch raises', () => {
    tk.tidy(() => {
      const s = tensor([
        [
          [1, 2],
          [2, 4],
        ],
        [
          [2, 0],
          [0, 1],
        ],
      ]);
      expect(Array.from(linalg.luFactorEx(s).info.data())).toEqual([2, 0]);
      expect(Array.from(linalg.invEx(s).info.data())).toEqual([2, 0]);
      expect(Array.from(linalg.det(s).data() as Float32Array, (v) => v + 0)).toEqual([0, 2]);
      expect(linalg.slogdet(s).logabsdet.data()[0]).toBe(-Infinity);
      expect(linalg.matrixRank(s).tolist()).toEqual([1, 2]);
      expect(linalg.cond(s, 1).tolist()).toEqual([Infinity, 2]);
      expectTensorError(
        () => linalg.inv(s),
        'INVALID_ARGUMENT',
        /\(Batch element 0\): linalg\.inv: The diagonal element 2 is zero/,
      );
      expectTensorError(
        () => linalg.solve(s, tk.ones([2])),
        'INVALID_ARGUMENT',
        /linalg\.solve: The solver failed because the input matrix is singular/,
      );
      expectTensorError(() => linalg.luFactor(s), 'INVALID_ARGUMENT', /U\[2,2\] is zero/);
      expectTensorError(
        () =>
          linalg.cholesky(
            tensor([
              [1, 2],
              [2, 1],
            ]),
          ),
        'INVALID_ARGUMENT',
        /not positive-definite \(the leading minor of order 2 is not positive-definite\)/,
      );
      expectTensorError(() => linalg.choleskyEx(s, { checkErrors: true }), 'INVALID_ARGUMENT', /Batch element 0/);
      expect(Array.from(linalg.solveEx(s, tk.ones([2])).info.data())).toEqual([2, 0]);
      expectTensorError(
        () => linalg.solveEx(s, tk.ones([2]), { checkErrors: true }),
        'INVALID_ARGUMENT',
        /\(Batch element 0\): linalg\.solveEx: The solver failed/,
      );
    });
  });
  it('bad input is a TensorError naming the op and the value', () => {
    tk.tidy(() => {
      const m = tk.ones([2, 3]);
      expectTensorError(
        () => linalg.cholesky(m),
        'SHAPE_MISMATCH',
        /linalg\.cholesky: expected A to be a batch of square matrices, but they are 2 by 3/,
      );
      expectTensorError(
        () => linalg.eigh(tk.ones([3])),
        'SHAPE_MISMATCH',
        /linalg\.eigh: expected A to have at least 2 dimensions/,
      );
      expectTensorError(
        () => linalg.svd(tk.ones([2, 2], { dtype: 'int32' })),
        'DTYPE_MISMATCH',
        /linalg\.svd: expected A to be float32 or float64, got int32/,
      );
      expectTensorError(() => linalg.qr(tk.ones([2, 2], { dtype: 'float16' })), 'DTYPE_MISMATCH', /got float16/);
      expectTensorError(() => linalg.qr(m, { mode: 'full' as never }), 'INVALID_ARGUMENT', /mode/);
      expectTensorError(() => linalg.eigh(tk.eye(2), { UPLO: 'X' as never }), 'INVALID_ARGUMENT', /UPLO/);
      expectTensorError(
        () => linalg.solveTriangular(tk.eye(2), m, {} as never),
        'INVALID_ARGUMENT',
        /'upper' option is required/,
      );
      expectTensorError(
        () => linalg.solveTriangular(tk.eye(3), m, { upper: true }),
        'SHAPE_MISMATCH',
        /incompatible shapes/,
      );
      expectTensorError(
        () => linalg.solveTriangular(tk.eye(2), tk.ones([2, 2], { dtype: 'float64' }), { upper: true }),
        'DTYPE_MISMATCH',
        /same dtype/,
      );
      expectTensorError(
        () => linalg.luSolve(tk.eye(2), tk.tensor([1, 2]), tk.eye(2)),
        'SHAPE_MISMATCH',
        /int32 pivots/,
      );
      expectTensorError(() => linalg.matrixNorm(m, 3), 'INVALID_ARGUMENT', /ord must be/);
      expectTensorError(() => linalg.matrixNorm(m, 'fro', { dim: [0, 0] }), 'INVALID_ARGUMENT', /must differ/);
      expectTensorError(() => linalg.multiDot([m]), 'INVALID_ARGUMENT', /at least 2/);
      expectTensorError(() => linalg.multiDot([m, m]), 'SHAPE_MISMATCH', /cannot be multiplied/);
      expectTensorError(() => linalg.lstsq(m, tk.ones([3, 1])), 'SHAPE_MISMATCH', /different numbers of rows/);
      expectTensorError(() => linalg.pinv(m, { atol: -1 }), 'INVALID_ARGUMENT', /non-negative/);
      expectTensorError(() => m.mT.mT.reshape(6).mT, 'SHAPE_MISMATCH', /mT/);
      expectTensorError(
        () => linalg.solve(tk.ones([2, 3, 4, 4]), tk.ones([3])),
        'SHAPE_MISMATCH',
        /linalg\.solve: Incompatible shapes of A and B for the equation AX = B \(4x4 and 3x1\)/,
      );
      expectTensorError(
        () => linalg.solveEx(tk.eye(3), m.mT, { left: false }),
        'SHAPE_MISMATCH',
        /XA = B \(3x3 and 3x2\)/,
      );
      const { LU, pivots } = linalg.luFactor(tk.eye(3));
      expectTensorError(
        () => linalg.luSolve(LU, pivots, m),
        'SHAPE_MISMATCH',
        /linalg\.luSolve: .*AX = B \(3x3 and 2x3\)/,
      );
      expectTensorError(() => linalg.tensorinv(m), 'SHAPE_MISMATCH', /prod\(self\.shape\[ind:\]\) == .*\b1 != 6/);
      expectTensorError(() => linalg.tensorinv(tk.ones([2, 2]), { ind: 0 }), 'INVALID_ARGUMENT', /'ind', but got 0/);
      expectTensorError(() => linalg.tensorsolve(tk.ones([2, 3, 4]), m), 'SHAPE_MISMATCH', /4 != 6/);
      expectTensorError(
        () => linalg.tensorsolve(tk.ones([2, 3, 6]), m, { dims: [5] }),
        'INVALID_ARGUMENT',
        /dims \[5\]/,
      );
      const tau = tk.ones([2]);
      expectTensorError(() => tk.geqrf(tk.ones([3])), 'SHAPE_MISMATCH', /geqrf: expected input to have at least 2/);
      expectTensorError(() => tk.geqrf(tk.ones([2, 2], { dtype: 'int32' })), 'DTYPE_MISMATCH', /geqrf/);
      expectTensorError(
        () => linalg.householderProduct(m, tau),
        'SHAPE_MISMATCH',
        /shape\[-2\] must be greater .* 2 and 3/,
      );
      expectTensorError(
        () => linalg.householderProduct(m.mT, tk.ones([3])),
        'SHAPE_MISMATCH',
        /tau\.shape\[-1\], got 2 and 3/,
      );
      expectTensorError(() => linalg.householderProduct(m.mT, tk.ones([1, 2])), 'SHAPE_MISMATCH', /one dimension less/);
      expectTensorError(
        () => linalg.householderProduct(tk.ones([2, 3, 2]), tk.ones([3, 2])),
        'SHAPE_MISMATCH',
        /batch dimensions of tau .* \[3\] and \[2\]/,
      );
      expectTensorError(
        () => linalg.householderProduct(m.mT, tk.ones([2], { dtype: 'float64' })),
        'DTYPE_MISMATCH',
        /tau/,
      );
      expectTensorError(
        () => tk.ormqr(m.mT, tau, tk.ones([2, 3])),
        'SHAPE_MISMATCH',
        /other\.shape\[-2\] \(left=true\), got 3 and 2/,
      );
      expectTensorError(
        () => tk.ormqr(m.mT, tau, tk.ones([3, 2]), 'yes' as never),
        'INVALID_ARGUMENT',
        /ormqr: 'left' must be a boolean, got "yes"/,
      );
      expectTensorError(() => tk.ormqr(m.mT, tau, tk.ones([2, 3, 2])), 'SHAPE_MISMATCH', /batch dimensions of other/);
      // geqrf has no derivative (as in PyTorch): its outputs do not track the input
      expect(tk.geqrf(tk.ones([3, 2]).requiresGrad_()).a.requiresGrad).toBe(false);
    });
  });
  it('gradients PyTorch does not define are errors at backward, not wrong numbers', () => {
    tk.tidy(() => {
      const a = tk.randn([4, 3], { dtype: 'float64' }).requiresGrad_();
      expectTensorError(() => linalg.qr(a, { mode: 'r' }).R.sum().backward(), 'INVALID_ARGUMENT', /mode='r'/);
      expectTensorError(() => linalg.qr(a, { mode: 'complete' }).Q.sum().backward(), 'NOT_IMPLEMENTED', /complete/);
    });
  });
  it('leaves no tensors or bytes behind after many calls, errors included', () => {
    settleGarbage();
    const before = memory();
    for (let i = 0; i < 200; i++)
      tk.tidy(() => {
        const a = tk.randn([3, 3], { dtype: 'float64' }).requiresGrad_();
        const loss = linalg.det(a).add(linalg.svdvals(a).sum()).add(linalg.eigvalsh(a).sum()).add(linalg.qr(a).R.sum());
        loss
          .add(linalg.solve(a.add(tk.eye(3, { dtype: 'float64' }).mul(5)), tk.ones([3], { dtype: 'float64' })).sum())
          .backward();
        try {
          linalg.inv(tk.zeros([2, 2]));
        } catch {
          /* singular: the error path must free its tensors too */
        }
      });
    settleGarbage();
    const after = memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
  });
});

describe('distributions.MultivariateNormal against PyTorch', () => {
  const { MultivariateNormal, klDivergence } = tk.distributions;
  it('logProb, entropy, moments and KL from covariance, precision and scaleTril', () => {
    check(
      'multivariateNormal',
      (loc, cov, val) => {
        const p = new MultivariateNormal(loc, { covarianceMatrix: cov });
        const q = new MultivariateNormal(tk.zeros([3], { dtype: 'float64' }), { precisionMatrix: cov });
        const r = new MultivariateNormal(loc.select(0, 0), { scaleTril: linalg.cholesky(cov) });
        return [
          p.logProb(val),
          p.entropy(),
          p.variance,
          p.covarianceMatrix,
          p.precisionMatrix,
          q.scaleTril,
          q.logProb(val),
          r.logProb(val),
          klDivergence(p, q),
          klDivergence(q, r),
        ];
        // (PyTorch's covarianceMatrix is the argument itself, so its gradient there is not symmetric)
      },
      undefined,
      1e-9,
      [1],
    );
  });
  it('rsample: reparameterised draws with the right mean and covariance', () => {
    tk.tidy(() => {
      tk.manualSeed(5);
      const loc = tensor([1, -2], { dtype: 'float64' }).requiresGrad_();
      const cov = tensor(
        [
          [2, 0.6],
          [0.6, 1],
        ],
        { dtype: 'float64' },
      );
      const d = new MultivariateNormal(loc, { covarianceMatrix: cov });
      const x = d.rsample([20000]);
      expect(x.shape).toEqual([20000, 2]);
      const mean = x.mean(0);
      closeToTorch(mean, [1, -2], 'sample mean', 0.05);
      const c = x.sub(mean).mT.matmul(x.sub(mean)).div(19999);
      closeToTorch(
        c,
        [
          [2, 0.6],
          [0.6, 1],
        ],
        'sample covariance',
        0.05,
      );
      x.sum().backward();
      closeToTorch(loc.grad!, [20000, 20000], 'd sum / d loc');
      expect(d.sample([3]).requiresGrad).toBe(false);
    });
  });
  it('refuses what PyTorch refuses', () => {
    tk.tidy(() => {
      const loc = tk.zeros([2]);
      expectTensorError(() => new MultivariateNormal(loc, {}), 'INVALID_ARGUMENT', /exactly one of/);
      expectTensorError(
        () => new MultivariateNormal(loc, { covarianceMatrix: tk.eye(2), scaleTril: tk.eye(2) }),
        'INVALID_ARGUMENT',
        /covarianceMatrix and scaleTril/,
      );
      expectTensorError(
        () => new MultivariateNormal(loc, { covarianceMatrix: tk.eye(3) }),
        'SHAPE_MISMATCH',
        /\[\.\.\., 2, 2\]/,
      );
      expectTensorError(
        () =>
          new MultivariateNormal(loc, {
            covarianceMatrix: tensor([
              [1, 2],
              [2, 1],
            ]),
          }),
        'INVALID_ARGUMENT',
        /positive-definite/,
      );
      expectTensorError(
        () =>
          new MultivariateNormal(loc, {
            scaleTril: tensor([
              [1, 1],
              [0, 1],
            ]),
          }),
        'INVALID_ARGUMENT',
        /lower triangular/,
      );
      expectTensorError(
        () => new MultivariateNormal(tk.zeros([]), { covarianceMatrix: tk.eye(1) }),
        'SHAPE_MISMATCH',
        /at least 1-D/,
      );
    });
  });
});
