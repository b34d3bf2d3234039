// svdLowrank and pcaLowrank (torch.svd_lowrank / torch.pca_lowrank): randomized, so checked
// against the exact SVD's invariants: exact reconstruction at rank <= q, the leading singular
// values and subspaces of a matrix with a decaying spectrum, orthonormal factors, batches, wide
// matrices, M, centring, gradients, and the argument checks.
import { describe, expect, it } from 'vitest';

import {
  gradcheck,
  linalg,
  manualSeed,
  pcaLowrank,
  randn,
  svdLowrank,
  tensor,
  tidy,
  type Tensor,
} from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';

const maxAbs = (t: Tensor) => Number(t.abs().max().item());
const reconstruct = (U: Tensor, S: Tensor, V: Tensor) => U.mul(S.unsqueeze(-2)).matmul(V.mT);
const orthonormal = (Q: Tensor) => maxAbs(Q.mT.matmul(Q).sub(linalgEye(Q.shape[Q.ndim - 1])));
const linalgEye = (n: number) =>
  tensor(
    Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))),
    { dtype: 'float64' },
  );

// X (m x r) Y (r x n): rank r exactly.
const rankR = (m: number, n: number, r: number, batch: number[] = []) =>
  randn([...batch, m, r], { dtype: 'float64' }).matmul(randn([...batch, r, n], { dtype: 'float64' }));

describe('svdLowrank', () => {
  it('recovers a rank-3 matrix exactly with q >= 3, tall and wide, with orthonormal factors', () =>
    tidy(() => {
      manualSeed(1);
      for (const [m, n] of [
        [40, 12],
        [12, 40],
      ]) {
        const A = rankR(m, n, 3);
        const { U, S, V } = svdLowrank(A, { q: 5 });
        expect([U.shape, S.shape, V.shape]).toEqual([[m, 5], [5], [n, 5]]);
        expect(maxAbs(reconstruct(U, S, V).sub(A))).toBeLessThan(1e-10 * maxAbs(A));
        expect(orthonormal(U)).toBeLessThan(1e-12);
        expect(orthonormal(V)).toBeLessThan(1e-12);
        const exact = linalg.svdvals(A).narrow(0, 0, 3);
        expect(maxAbs(S.narrow(0, 0, 3).sub(exact))).toBeLessThan(1e-10 * Number(exact.max().item()));
        expect(maxAbs(S.narrow(0, 3, 2))).toBeLessThan(1e-10 * Number(exact.max().item())); // beyond the rank: 0
      }
    }));

  it('finds the leading singular values and vectors of a decaying spectrum', () =>
    tidy(() => {
      manualSeed(2);
      // A = P diag(2^-k) R with orthonormal P (60 x 20), R (20 x 20)
      const P = linalg.qr(randn([60, 20], { dtype: 'float64' })).Q;
      const R = linalg.qr(randn([20, 20], { dtype: 'float64' })).Q;
      const s = tensor(
        Array.from({ length: 20 }, (_, k) => 2 ** -k),
        { dtype: 'float64' },
      );
      const A = P.mul(s).matmul(R.mT);
      const { U, S } = svdLowrank(A, { q: 8, niter: 4 });
      expect(maxAbs(S.narrow(0, 0, 4).sub(s.narrow(0, 0, 4)))).toBeLessThan(1e-9);
      // the leading left singular vectors up to sign: |<u_k, p_k>| = 1
      const overlap = U.narrow(1, 0, 4)
        .mul(P.narrow(1, 0, 4))
        .sum(0)
        .abs();
      expect(maxAbs(overlap.sub(1))).toBeLessThan(1e-8);
    }));

  it('takes batches, M, integer input, and is repeatable under manualSeed', () =>
    tidy(() => {
      manualSeed(3);
      const A = rankR(20, 7, 2, [3]);
      const { U, S, V } = svdLowrank(A, { q: 2 });
      expect([U.shape, S.shape, V.shape]).toEqual([
        [3, 20, 2],
        [3, 2],
        [3, 7, 2],
      ]);
      expect(maxAbs(reconstruct(U, S, V).sub(A))).toBeLessThan(1e-10 * maxAbs(A));
      const shift = randn([1, 7], { dtype: 'float64' });
      const r = svdLowrank(A.add(shift), { q: 2, M: shift });
      expect(maxAbs(reconstruct(r.U, r.S, r.V).sub(A))).toBeLessThan(1e-10 * maxAbs(A));
      const ints = svdLowrank(
        tensor(
          [
            [2, 0],
            [0, 1],
            [0, 0],
          ],
          { dtype: 'int64' },
        ),
        { q: 2 },
      );
      expect(ints.S.dtype).toBe('float32');
      expect(Array.from(ints.S.data() as Float32Array).map((v) => Math.round(v * 1e5) / 1e5)).toEqual([2, 1]);
      manualSeed(9);
      const a = svdLowrank(randn([10, 10], { dtype: 'float64' }), { q: 3, niter: 0 }).S;
      manualSeed(9);
      const b = svdLowrank(randn([10, 10], { dtype: 'float64' }), { q: 3, niter: 0 }).S;
      expect(maxAbs(a.sub(b))).toBe(0);
    }));

  it('is differentiable (float64 gradcheck of the singular values)', () =>
    tidy(() => {
      manualSeed(4);
      const A = randn([5, 3], { dtype: 'float64', requiresGrad: true });
      const f = (a: Tensor) => {
        manualSeed(0); // the same sketch at every evaluation
        return svdLowrank(a, { q: 3 }).S.sum();
      };
      expect(gradcheck(f, [A])).toBe(true);
    }));

  it('checks its arguments', () => {
    expectTensorError(() => svdLowrank(tensor([1, 2])), 'SHAPE_MISMATCH', /svdLowrank: A must have at least 2 dims/);
    expectTensorError(
      () => svdLowrank(randn([4, 3]), { q: 4 }),
      'INVALID_ARGUMENT',
      /svdLowrank: q \(4\) must not exceed min\(m, n\) = 3/,
    );
    expectTensorError(() => svdLowrank(randn([4, 3]), { q: -1 }), 'INVALID_ARGUMENT', /q/);
    expectTensorError(() => svdLowrank(randn([4, 3]), { niter: -1 }), 'INVALID_ARGUMENT', /niter/);
    expectTensorError(() => svdLowrank(randn([4, 3]), { M: 3 as never }), 'INVALID_ARGUMENT', /svdLowrank/);
    expectTensorError(() => svdLowrank('A' as never), 'INVALID_ARGUMENT', /svdLowrank/);
  });
});

describe('pcaLowrank', () => {
  it('centres the columns: directions and variances of a stretched point cloud', () =>
    tidy(() => {
      manualSeed(5);
      // 500 points, standard deviations 5 and 1 along (1, 1)/sqrt2 and (1, -1)/sqrt2, offset by (10, -3)
      const z = randn([500, 2], { dtype: 'float64' }).mul(tensor([5, 1], { dtype: 'float64' }));
      const rot = tensor(
        [
          [Math.SQRT1_2, Math.SQRT1_2],
          [Math.SQRT1_2, -Math.SQRT1_2],
        ],
        { dtype: 'float64' },
      );
      const X = z.matmul(rot).add(tensor([10, -3], { dtype: 'float64' }));
      const { U, S, V } = pcaLowrank(X, { q: 2 });
      const centred = X.sub(X.mean(0, { keepdim: true }));
      expect(maxAbs(reconstruct(U, S, V).sub(centred))).toBeLessThan(1e-9);
      expect(maxAbs(S.sub(linalg.svdvals(centred)))).toBeLessThan(1e-9);
      expect(Math.abs(Number(V.select(1, 0).dot(rot.select(0, 0)).item()))).toBeGreaterThan(0.999);
      const variance = S.square().div(499);
      expect(Number(variance.select(0, 0).item())).toBeGreaterThan(20);
      expect(Number(variance.select(0, 1).item())).toBeLessThan(1.3);
      // without centring, the offset dominates the first direction
      const raw = pcaLowrank(X, { q: 2, center: false });
      expect(maxAbs(reconstruct(raw.U, raw.S, raw.V).sub(X))).toBeLessThan(1e-9);
    }));

  it('defaults q to min(6, m, n) and checks its options', () =>
    tidy(() => {
      expect(pcaLowrank(randn([30, 10])).S.shape).toEqual([6]);
      expect(pcaLowrank(randn([30, 4])).S.shape).toEqual([4]);
      expectTensorError(
        () => pcaLowrank(randn([3, 3]), { centre: true } as never),
        'INVALID_ARGUMENT',
        /did you mean 'center'/,
      );
    }));
});
