// Randomized low-rank SVD and PCA (torch.svd_lowrank, torch.pca_lowrank): Halko, Martinsson and
// Tropp's range finder (2011, algorithm 4.4: a Gaussian sketch of the range, `niter` power
// iterations re-orthonormalized by QR each half step), then the exact SVD of the small projection
// (algorithm 5.1). Built from differentiable ops (matmul, qr, svd), so gradients flow as torch's.
import { tensorArg } from '../args.js';
import { isFloating } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { checkOptions, intAtLeast } from '../options.js';
import { randn } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import { qr, svd } from './index.js';

/** A ≈ U diag(S) Vᵀ: U is [..., m, q], S [..., q], V [..., n, q] (V itself, not Vᵀ, as torch). */
export interface LowRankSvd {
  U: Tensor;
  S: Tensor;
  V: Tensor;
}

/** Options of svdLowrank. */
export interface SvdLowrankOptions {
  /** The rank sought, slightly overestimated: at most min(m, n) (default 6, or min(m, n) if smaller). */
  q?: number;
  /** Power iterations: more are slower and more accurate where the spectrum decays slowly (default 2). */
  niter?: number;
  /** A tensor broadcast to A's shape subtracted from it first (torch's M, e.g. the column means). */
  M?: Tensor | null;
}

// An orthonormal basis [..., m, q] of (approximately) A's range.
function rangeBasis(A: Tensor, q: number, niter: number): Tensor {
  const n = A.shape[A.ndim - 1];
  const sketch = randn([n, q], { dtype: A.dtype, device: A.device });
  let Q = qr(A.matmul(sketch)).Q;
  for (let i = 0; i < niter; i++) {
    Q = qr(A.mT.matmul(Q)).Q;
    Q = qr(A.matmul(Q)).Q;
  }
  return Q;
}

function lowrank(A: Tensor, q: number, niter: number): LowRankSvd {
  const [m, n] = A.shape.slice(-2);
  if (m < n) {
    // The transpose's: its basis is n x q rather than the m x q sketch of a wide matrix.
    const r = lowrank(A.mT, q, niter);
    return { U: r.V, S: r.S, V: r.U };
  }
  const Q = rangeBasis(A, q, niter);
  const { U, S, Vh } = svd(Q.mT.matmul(A), { fullMatrices: false }); // the q x n projection
  return { U: Q.matmul(U), S, V: Vh.mT };
}

function matrixInput(op: string, A: Tensor): Tensor {
  const a = tensorArg(op, 'A', A);
  if (a.ndim < 2)
    fail('SHAPE_MISMATCH', `${op}: A must have at least 2 dims (a batch of matrices), got [${a.shape.join(', ')}]`);
  return a;
}

function rankArg(op: string, q: number | undefined, m: number, n: number): number {
  const k = q === undefined ? Math.min(6, m, n) : intAtLeast(op, 'q', q, 0);
  if (k > Math.min(m, n))
    fail('INVALID_ARGUMENT', `${op}: q (${k}) must not exceed min(m, n) = ${Math.min(m, n)} for a ${m} x ${n} matrix`);
  return k;
}

/**
 * A rank-q approximation of the SVD of A (or A - M) by randomized range finding
 * (torch.svd_lowrank): `A ≈ U diag(S) Vᵀ`, exact when A has rank ≤ q. Batch dims lead. Integer
 * inputs compute in float32. Uses the global random generator (manualSeed makes it repeatable).
 * @example const { U, S, V } = svdLowrank(A, { q: 10 });
 */
export function svdLowrank(A: Tensor, options?: SvdLowrankOptions): LowRankSvd {
  const op = 'svdLowrank';
  const a = matrixInput(op, A);
  const o = checkOptions(op, options, { q: 'integer', niter: 'integer', M: 'any' });
  const [m, n] = a.shape.slice(-2);
  const q = rankArg(op, o.q, m, n);
  const niter = intAtLeast(op, 'niter', o.niter ?? 2, 0);
  const M = o.M === undefined || o.M === null ? null : tensorArg(op, 'M', o.M);
  return tidy(() => {
    let x = isFloating(a.dtype) ? a : a.to('float32');
    if (M !== null) x = x.sub(M);
    return lowrank(x, q, niter);
  });
}

/**
 * Principal component analysis of the rows of A by randomized low-rank SVD (torch.pca_lowrank):
 * with `center` (default) the column means are subtracted first. V's columns are the principal
 * directions, S²/(m - 1) the variances along them, and U diag(S) the rows' coordinates.
 * @example const { V } = pcaLowrank(X, { q: 2 }); const projected = X.sub(X.mean(0)).matmul(V);
 */
export function pcaLowrank(A: Tensor, options?: { q?: number; center?: boolean; niter?: number }): LowRankSvd {
  const op = 'pcaLowrank';
  const a = matrixInput(op, A);
  const o = checkOptions(op, options, { q: 'integer', center: 'boolean', niter: 'integer' });
  const [m, n] = a.shape.slice(-2);
  const q = rankArg(op, o.q, m, n);
  const niter = intAtLeast(op, 'niter', o.niter ?? 2, 0);
  return tidy(() => {
    const x = isFloating(a.dtype) ? a : a.to('float32');
    return lowrank(o.center === false ? x : x.sub(x.mean(-2, { keepdim: true })), q, niter);
  });
}
