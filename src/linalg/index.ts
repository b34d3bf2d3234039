/**
 * Linear algebra, as torch.linalg. Six native factorizations (Cholesky, LU, triangular solve,
 * symmetric eigendecomposition, SVD, QR; computed in float64 whatever the input's float dtype) and
 * everything PyTorch builds from them: `solve`, `inv`, `det`, `slogdet`, `lstsq`, `pinv`,
 * `matrixRank`, `matrixNorm`, `norm`, `cond`, `matrixPower`, `matrixExp`, `multiDot`. Batch dims
 * lead, as in PyTorch, and every result is differentiable (the factorizations have PyTorch's
 * backward formulas; the rest are compositions), to second order.
 *
 * Where PyTorch raises on a singular or non-positive-definite input (`cholesky`, `luFactor`,
 * `solve`, `inv`) this throws a TensorError with code INVALID_ARGUMENT naming the batch element;
 * the `*Ex` forms return the LAPACK-style `info` codes instead and never throw for that.
 * @example
 * const { eigenvalues, eigenvectors } = linalg.eigh(cov);
 * const x = linalg.solve(A, b);
 * @module linalg
 */
import { matrixArg, tensorArg, tensorList } from '../args.js';
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { checkOptions, describe, int, oneOf } from '../options.js';
import { eye, onesLike, tensor } from '../ops/creation.js';
import { opMulti, op } from '../ops/dispatch.js';
import { cat, where } from '../ops/functional.js';
import { broadcastShapes } from '../ops/shaping_more.js';
import { Tensor } from '../tensor.js';
import { checkInfo, orDispose } from './info.js';

const EPS: Partial<Record<DType, number>> = { float32: 1.1920928955078125e-7, float64: 2.220446049250313e-16 };

export { geqrf, householderProduct, ormqr } from './householder.js';
export { ldlFactor, ldlFactorEx, ldlSolve, type LdlOptions } from './ldl.js';

// ---- the native factorizations ------------------------------------------------------------------

/**
 * The Cholesky factorization with its info codes (torch.linalg.cholesky_ex): L lower with
 * A = L L^T (U = L^T with `upper`), reading only that triangle of A; info is 0, or the order of
 * the first leading minor that is not positive-definite. `checkErrors` throws instead.
 * @example const { L, info } = linalg.choleskyEx(A)
 */
export function choleskyEx(
  A: Tensor,
  options?: { upper?: boolean; checkErrors?: boolean },
): { L: Tensor; info: Tensor<'int32'> } {
  const name = 'linalg.choleskyEx';
  const a = matrixArg(name, 'A', A);
  const o = checkOptions(name, options, { upper: 'boolean', checkErrors: 'boolean' });
  const [L, info] = opMulti('linalg_cholesky_ex', [o.upper ?? false], a._h);
  if (o.checkErrors) orDispose([L, info], () => checkInfo(info, (k) => choleskyMessage(name, k)));
  return { L, info: info as Tensor<'int32'> };
}

const choleskyMessage = (op: string, k: number) =>
  `${op}: The factorization could not be completed because the input is not positive-definite (the leading minor of order ${k} is not positive-definite).`;

/**
 * The Cholesky factor of a symmetric positive-definite A (torch.linalg.cholesky): L lower with
 * A = L L^T, or U = L^T with `upper`. Throws INVALID_ARGUMENT when A is not positive-definite.
 * @example const L = linalg.cholesky(A)
 */
export function cholesky(A: Tensor, options?: { upper?: boolean }): Tensor {
  const name = 'linalg.cholesky';
  const o = checkOptions(name, options, { upper: 'boolean' });
  const { L, info } = choleskyEx(matrixArg(name, 'A', A), { upper: o.upper ?? false });
  try {
    checkInfo(info, (k) => choleskyMessage(name, k));
  } catch (e) {
    L.dispose();
    throw e;
  } finally {
    info.dispose();
  }
  return L;
}

/**
 * LU with partial pivoting and its info codes (torch.linalg.lu_factor_ex): LU holds L (unit
 * diagonal, below it) and U; pivots (int32, 1-based) the row swapped with row i at step i; info
 * 0, or the first zero pivot (1-based). Any m x n matrices. @example linalg.luFactorEx(A).LU
 */
export function luFactorEx(
  A: Tensor,
  options?: { checkErrors?: boolean },
): { LU: Tensor; pivots: Tensor<'int32'>; info: Tensor<'int32'> } {
  const name = 'linalg.luFactorEx';
  const a = matrixArg(name, 'A', A);
  const o = checkOptions(name, options, { checkErrors: 'boolean' });
  const [LU, pivots, info] = opMulti('linalg_lu_factor_ex', undefined, a._h);
  if (o.checkErrors) orDispose([LU, pivots, info], () => checkInfo(info, (k) => luMessage(name, k)));
  return { LU, pivots: pivots as Tensor<'int32'>, info: info as Tensor<'int32'> };
}

const luMessage = (op: string, k: number) =>
  `${op}: U[${k},${k}] is zero and using it on luSolve would result in a division by zero. If you still want to perform the factorization, consider calling linalg.lu(A) or linalg.luFactorEx(A)`;

/**
 * The compact LU factorization (torch.linalg.lu_factor): { LU, pivots } for linalg.luSolve.
 * Throws INVALID_ARGUMENT when U has a zero on its diagonal. @example const { LU, pivots } = linalg.luFactor(A)
 */
export function luFactor(A: Tensor): { LU: Tensor; pivots: Tensor<'int32'> } {
  const name = 'linalg.luFactor';
  const { LU, pivots, info } = luFactorEx(matrixArg(name, 'A', A));
  try {
    checkInfo(info, (k) => luMessage(name, k));
  } catch (e) {
    LU.dispose();
    pivots.dispose();
    throw e;
  } finally {
    info.dispose();
  }
  return { LU, pivots };
}

/**
 * Solves A X = B for triangular A (torch.linalg.solve_triangular): only A's `upper` (or lower)
 * triangle is read, its diagonal taken as ones with `unitriangular`; `left: false` solves X A = B.
 * Batch dims broadcast. @example linalg.solveTriangular(L, B, { upper: false })
 */
export function solveTriangular(
  A: Tensor,
  B: Tensor,
  options: { upper: boolean; left?: boolean; unitriangular?: boolean },
): Tensor {
  const name = 'linalg.solveTriangular';
  const a = matrixArg(name, 'A', A),
    b = matrixArg(name, 'B', B);
  const o = checkOptions(name, options, { upper: 'boolean', left: 'boolean', unitriangular: 'boolean' });
  if (typeof o.upper !== 'boolean')
    fail('INVALID_ARGUMENT', `${name}: the 'upper' option is required (true or false), got ${describe(o.upper)}`);
  return op('linalg_solve_triangular', [o.upper, o.left ?? true, o.unitriangular ?? false], a._h, b._h);
}

/**
 * Eigenvalues (ascending) and eigenvectors (columns, each signed so its largest entry is
 * positive) of symmetric matrices (torch.linalg.eigh), reading only the `UPLO` triangle ('L' by
 * default). @example const { eigenvalues, eigenvectors } = linalg.eigh(A)
 */
export function eigh(A: Tensor, options?: { UPLO?: 'L' | 'U' }): { eigenvalues: Tensor; eigenvectors: Tensor } {
  const name = 'linalg.eigh';
  const a = matrixArg(name, 'A', A, true);
  const o = checkOptions(name, options, { UPLO: 'string' });
  const uplo = oneOf(name, 'UPLO', o.UPLO ?? 'L', ['L', 'U'] as const);
  const [eigenvalues, eigenvectors] = opMulti('linalg_eigh', [uplo], a._h);
  return { eigenvalues, eigenvectors };
}

/** The eigenvalues of symmetric matrices, ascending (torch.linalg.eigvalsh). @example linalg.eigvalsh(A) */
export function eigvalsh(A: Tensor, options?: { UPLO?: 'L' | 'U' }): Tensor {
  const o = checkOptions('linalg.eigvalsh', options, { UPLO: 'string' });
  const { eigenvalues, eigenvectors } = eigh(matrixArg('linalg.eigvalsh', 'A', A, true), o);
  eigenvectors.dispose();
  return eigenvalues;
}

/**
 * The singular value decomposition A = U diag(S) Vh (torch.linalg.svd): S descending; U and Vh
 * square with `fullMatrices` (the default, as PyTorch's), else [m, k] and [k, n] with
 * k = min(m, n). Each left singular vector is signed so its largest entry is positive.
 * @example const { U, S, Vh } = linalg.svd(A, { fullMatrices: false })
 */
export function svd(A: Tensor, options?: { fullMatrices?: boolean }): { U: Tensor; S: Tensor; Vh: Tensor } {
  const name = 'linalg.svd';
  const a = matrixArg(name, 'A', A);
  const o = checkOptions(name, options, { fullMatrices: 'boolean' });
  const [U, S, Vh] = opMulti('linalg_svd', [o.fullMatrices ?? true], a._h);
  return { U, S, Vh };
}

/** The singular values, descending (torch.linalg.svdvals). @example linalg.svdvals(A) */
export function svdvals(A: Tensor): Tensor {
  const { U, S, Vh } = svd(matrixArg('linalg.svdvals', 'A', A), { fullMatrices: false });
  U.dispose();
  Vh.dispose();
  return S;
}

/**
 * The QR factorization (torch.linalg.qr) by Householder reflections: mode 'reduced' (Q [m, k],
 * R [k, n]), 'complete' (Q [m, m], R [m, n]) or 'r' (R only; Q empty). R's diagonal has
 * LAPACK's signs, so results equal PyTorch's. @example const { Q, R } = linalg.qr(A)
 */
export function qr(A: Tensor, options?: { mode?: 'reduced' | 'complete' | 'r' }): { Q: Tensor; R: Tensor } {
  const name = 'linalg.qr';
  const a = matrixArg(name, 'A', A);
  const o = checkOptions(name, options, { mode: 'string' });
  const mode = oneOf(name, 'mode', o.mode ?? 'reduced', ['reduced', 'complete', 'r'] as const);
  const [Q, R] = opMulti('linalg_qr', [mode], a._h);
  return { Q, R };
}

// ---- built from the factorizations -----------------------------------------------------------

// The row order of P X (P the permutation of LU pivots [.., k] for n rows): row i is row
// order[i] of X; `inverse` gives P^T X's. One list per batch element, as an int64 index
// [..batch, n, 1]. Reads the pivots (a device sync, as PyTorch's CPU path).
function pivotOrder(op: string, pivots: Tensor, n: number, inverse: boolean): Tensor {
  const k = pivots.shape[pivots.ndim - 1];
  const p = pivots.data() as Int32Array;
  const batches = k === 0 ? p.length : p.length / k;
  const out = new BigInt64Array(batches * n);
  for (let b = 0; b < batches; b++) {
    const r = Array.from({ length: n }, (_, i) => i);
    for (let s = 0; s < k; s++) {
      const j = inverse ? s : k - 1 - s;
      const q = p[b * k + j] - 1;
      // 1-based rows, as luFactor makes them (a row at or below its step)
      if (!(q >= 0 && q < n))
        fail('INVALID_ARGUMENT', `${op}: pivots must be between 1 and ${n}, got ${q + 1} at index ${j}`);
      [r[j], r[q]] = [r[q], r[j]];
    }
    for (let i = 0; i < n; i++) out[b * n + i] = BigInt(r[i]);
  }
  return tensor(out, { dtype: 'int64', device: pivots.device }).reshape([...pivots.shape.slice(0, -1), n, 1]);
}

// Rows of x [.., n, r] permuted by P (or P^T), batch dims of x and pivots broadcast.
function permuteRows(op: string, x: Tensor, pivots: Tensor, inverse: boolean): Tensor {
  const n = x.shape[x.ndim - 2],
    r = x.shape[x.ndim - 1];
  const batch = broadcastShapes(x.shape.slice(0, -2), pivots.shape.slice(0, -1));
  const order = pivotOrder(op, pivots, n, inverse);
  return x.expand([...batch, n, r]).gather(-2, order.expand([...batch, n, r]));
}

/**
 * Solves A X = B from linalg.luFactor's result (torch.linalg.lu_solve); `adjoint` solves
 * A^T X = B, `left: false` X A = B. Batch dims broadcast. @example linalg.luSolve(LU, pivots, B)
 */
export function luSolve(
  LU: Tensor,
  pivots: Tensor,
  B: Tensor,
  options?: { left?: boolean; adjoint?: boolean },
): Tensor {
  const name = 'linalg.luSolve';
  const lu = matrixArg(name, 'LU', LU, true),
    b = matrixArg(name, 'B', B);
  const piv = tensorArg(name, 'pivots', pivots);
  const o = checkOptions(name, options, { left: 'boolean', adjoint: 'boolean' });
  const n = lu.shape[lu.ndim - 1];
  if (piv.dtype !== 'int32' || piv.ndim !== lu.ndim - 1 || piv.shape[piv.ndim - 1] !== n)
    fail(
      'SHAPE_MISMATCH',
      `${name}: expected int32 pivots of shape [..., ${n}] (linalg.luFactor's), got ${piv.dtype} [${piv.shape.join(', ')}]`,
    );
  const left = o.left ?? true,
    adjoint = o.adjoint ?? false;
  checkSolveShapes(name, lu, b, left);
  return tidy(() => {
    // X A = B is A^T X^T = B^T; X A^T = B is A X^T = B^T.
    const rhs = left ? b : b.mT;
    const transposed = left ? adjoint : !adjoint;
    let x: Tensor;
    if (!transposed) {
      x = solveTriangular(lu, permuteRows(name, rhs, piv, true), { upper: false, unitriangular: true });
      x = solveTriangular(lu, x, { upper: true });
    } else {
      x = solveTriangular(lu.mT, rhs, { upper: false });
      x = permuteRows(name, solveTriangular(lu.mT, x, { upper: true, unitriangular: true }), piv, false);
    }
    return left ? x : x.mT;
  });
}

/**
 * The LU factorization with partial pivoting as three matrices (torch.linalg.lu): A = P L U with
 * P a permutation, L [m, k] unit lower and U [k, n] upper triangular. @example const { P, L, U } = linalg.lu(A)
 */
export function lu(A: Tensor): { P: Tensor; L: Tensor; U: Tensor } {
  const name = 'linalg.lu';
  const a = matrixArg(name, 'A', A);
  return tidy(() => {
    const { LU, pivots } = luFactorEx(a);
    return unpackLU(name, LU, pivots, true, true) as { P: Tensor; L: Tensor; U: Tensor };
  });
}

// P, L and U of a compact factorization LU [.., m, n] with pivots [.., min(m, n)].
function unpackLU(
  name: string,
  LU: Tensor,
  pivots: Tensor,
  data: boolean,
  perm: boolean,
): { P: Tensor | null; L: Tensor | null; U: Tensor | null } {
  const m = LU.shape[LU.ndim - 2],
    n = LU.shape[LU.ndim - 1],
    k = Math.min(m, n);
  const L = data
    ? LU.narrow(-1, 0, k)
        .tril(-1)
        .add(eye(m, k, { dtype: LU.dtype, device: LU.device }))
    : null;
  const U = data ? LU.narrow(-2, 0, k).triu() : null;
  let P: Tensor | null = null;
  if (perm) {
    const order = pivotOrder(name, pivots, m, false).squeeze(-1); // row i of P is e_order[i]
    P = order
      .unsqueeze(-1)
      .eq(tensor([...Array(m).keys()], { dtype: 'int64', device: LU.device }))
      .to(LU.dtype);
  }
  return { P, L, U };
}

/**
 * P, L and U from luFactor's compact LU and pivots (torch.lu_unpack): A = P L U. `unpackData:
 * false` leaves L and U null, `unpackPivots: false` P. Differentiable in LU.
 * @example const { LU, pivots } = linalg.luFactor(A); const { P, L, U } = luUnpack(LU, pivots)
 */
export function luUnpack(
  LU: Tensor,
  pivots: Tensor,
  options?: { unpackData?: boolean; unpackPivots?: boolean },
): { P: Tensor | null; L: Tensor | null; U: Tensor | null } {
  const name = 'luUnpack';
  const lu = matrixArg(name, 'LU', LU);
  const piv = tensorArg(name, 'pivots', pivots);
  const o = checkOptions(name, options, { unpackData: 'boolean', unpackPivots: 'boolean' });
  const k = Math.min(lu.shape[lu.ndim - 2], lu.shape[lu.ndim - 1]);
  if (piv.dtype !== 'int32' || piv.shape.join() !== [...lu.shape.slice(0, -2), k].join())
    fail(
      'SHAPE_MISMATCH',
      `${name}: expected int32 pivots of shape [${[...lu.shape.slice(0, -2), k].join(', ')}], got ${piv.dtype} [${piv.shape.join(', ')}]`,
    );
  return tidy(() => unpackLU(name, lu, piv, o.unpackData ?? true, o.unpackPivots ?? true)) as {
    P: Tensor | null;
    L: Tensor | null;
    U: Tensor | null;
  };
}

// A [.., n, n] against B [.., n, k] (left) or [.., k, n]: PyTorch's message where they disagree.
// (A vector B counts as a column, or with left: false a row.)
function checkSolveShapes(name: string, a: Tensor, b: Tensor, left: boolean, vector = false): void {
  const n = a.shape[a.ndim - 1];
  const last = b.shape[b.ndim - 1];
  const [r, c] = vector ? (left ? [last, 1] : [1, last]) : [b.shape[b.ndim - 2], last];
  if ((left ? r : c) !== n)
    fail(
      'SHAPE_MISMATCH',
      `${name}: Incompatible shapes of A and B for the equation ${left ? 'AX = B' : 'XA = B'} (${n}x${n} and ${r}x${c})`,
    );
}

// B is a vector right-hand side (PyTorch's rule): 1-D, or A's shape without its last dim.
function isVectorRhs(a: Tensor, b: Tensor): boolean {
  return b.ndim === 1 || (b.ndim === a.ndim - 1 && b.shape.every((s, i) => s === a.shape[i]));
}

/**
 * Solves A X = B for square A with the LU factorization's info codes (torch.linalg.solve_ex):
 * info is 0, or the first zero pivot (1-based; the result is then not finite). B a matrix
 * [..., n, k] or a vector [..., n]; `left: false` solves X A = B; batch dims broadcast;
 * `checkErrors` throws for a singular A instead. @example const { result, info } = linalg.solveEx(A, b)
 */
export function solveEx(
  A: Tensor,
  B: Tensor,
  options?: { left?: boolean; checkErrors?: boolean },
): { result: Tensor; info: Tensor<'int32'> } {
  const name = 'linalg.solveEx';
  const o = checkOptions(name, options, { left: 'boolean', checkErrors: 'boolean' });
  return solveWithInfo(name, A, B, o.left ?? true, o.checkErrors ?? false);
}

function solveWithInfo(
  name: string,
  A: Tensor,
  B: Tensor,
  left: boolean,
  check: boolean,
): { result: Tensor; info: Tensor<'int32'> } {
  const a = matrixArg(name, 'A', A, true);
  const b = tensorArg(name, 'B', B);
  const vector = isVectorRhs(a, b);
  if (!vector && b.ndim < 2)
    fail('SHAPE_MISMATCH', `${name}: expected B to be a vector or a batch of matrices, got a 0-D tensor`);
  checkSolveShapes(name, a, b, left, vector);
  return tidy(() => {
    const rhs = vector ? (left ? b.unsqueeze(-1) : b.unsqueeze(-2)) : b;
    const { LU, pivots, info } = luFactorEx(a);
    if (check) checkInfo(info, () => `${name}: The solver failed because the input matrix is singular.`);
    const x = luSolve(LU, pivots, rhs, { left });
    return { result: vector ? x.squeeze(left ? -1 : -2) : x, info };
  });
}

/**
 * Solves A X = B for square, invertible A (torch.linalg.solve) by LU with partial pivoting; B a
 * matrix [..., n, k] or a vector [..., n]; `left: false` solves X A = B. Batch dims broadcast.
 * Throws INVALID_ARGUMENT for a singular A. @example const x = linalg.solve(A, b)
 */
export function solve(A: Tensor, B: Tensor, options?: { left?: boolean }): Tensor {
  const name = 'linalg.solve';
  const o = checkOptions(name, options, { left: 'boolean' });
  const { result, info } = solveWithInfo(name, A, B, o.left ?? true, true);
  info.dispose();
  return result;
}

/**
 * The inverse and info codes of square matrices (torch.linalg.inv_ex): info is 0, or the first
 * zero pivot of the LU factorization (1-based; the inverse is then not finite).
 * @example const { inverse, info } = linalg.invEx(A)
 */
export function invEx(A: Tensor): { inverse: Tensor; info: Tensor<'int32'> } {
  const name = 'linalg.invEx';
  const a = matrixArg(name, 'A', A, true);
  const n = a.shape[a.ndim - 1];
  return tidy(() => {
    const { LU, pivots, info } = luFactorEx(a);
    const inverse = luSolve(LU, pivots, eye(n, { dtype: a.dtype, device: a.device }));
    return { inverse, info };
  });
}

/**
 * The inverse of square matrices (torch.linalg.inv), by LU with partial pivoting. Throws
 * INVALID_ARGUMENT for a singular matrix. @example linalg.inv(A)
 */
export function inv(A: Tensor): Tensor {
  const name = 'linalg.inv';
  const a = matrixArg(name, 'A', A, true);
  return tidy(() => {
    const { inverse, info } = invEx(a);
    checkInfo(
      info,
      (k) =>
        `${name}: The diagonal element ${k} is zero, the inversion could not be completed because the input matrix is singular.`,
    );
    return inverse;
  });
}

const prod = (xs: readonly number[]) => xs.reduce((p, v) => p * v, 1);

/**
 * The inverse of A in the tensor sense of tensordot (torch.linalg.tensorinv): A's first `ind`
 * dims against the rest, whose sizes must have equal products; the result has shape
 * A.shape[ind:] + A.shape[:ind], and tensordot(tensorinv(A), A, ind) is the identity.
 * @example linalg.tensorinv(A.reshape([4, 6, 8, 3])) // [8, 3, 4, 6]
 */
export function tensorinv(A: Tensor, options?: { ind?: number }): Tensor {
  const name = 'linalg.tensorinv';
  const a = tensorArg(name, 'A', A);
  const o = checkOptions(name, options, { ind: 'integer' });
  const ind = o.ind ?? 2;
  if (ind <= 0) fail('INVALID_ARGUMENT', `${name}: Expected a strictly positive integer for 'ind', but got ${ind}`);
  const rows = a.shape.slice(0, ind),
    cols = a.shape.slice(ind);
  if (prod(rows) !== prod(cols) || ind > a.ndim)
    fail(
      'SHAPE_MISMATCH',
      `${name}: Expected self to satisfy the requirement prod(self.shape[ind:]) == prod(self.shape[:ind]), but got ${prod(cols)} != ${prod(rows)} (shape [${a.shape.join(', ')}], ind ${ind})`,
    );
  return tidy(() => inv(a.reshape([prod(rows), prod(cols)])).reshape([...cols, ...rows]));
}

/**
 * Solves tensordot(A, X, X.ndim) = B for X (torch.linalg.tensorsolve): X has shape
 * A.shape[B.ndim:], whose product must equal B's size; `dims` first moves those dims of A to the
 * end. @example linalg.tensorsolve(A /* [2, 3, 6] *\/, B /* [2, 3] *\/) // [6]
 */
export function tensorsolve(A: Tensor, B: Tensor, options?: { dims?: number[] }): Tensor {
  const name = 'linalg.tensorsolve';
  let a = tensorArg(name, 'A', A);
  const b = tensorArg(name, 'B', B);
  const o = checkOptions(name, options, { dims: 'dims' });
  return tidy(() => {
    if (o.dims !== undefined) {
      const dims = [o.dims].flat(); // 'dims' also lets one integer through
      const moved = dims.map((d) => (d < 0 ? d + a.ndim : d));
      if (moved.some((d) => d < 0 || d >= a.ndim) || new Set(moved).size !== moved.length)
        fail('INVALID_ARGUMENT', `${name}: dims [${dims.join(', ')}] must be distinct dims of A (${a.ndim} dims)`);
      const rest = [...a.shape.keys()].filter((d) => !moved.includes(d));
      a = a.permute([...rest, ...moved]);
    }
    const shape = a.shape.slice(b.ndim);
    if (b.ndim > a.ndim || prod(shape) !== b.numel())
      fail(
        'SHAPE_MISMATCH',
        `${name}: Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]), but got ${prod(shape)} != ${b.numel()} (A [${a.shape.join(', ')}], B [${b.shape.join(', ')}])`,
      );
    return solve(a.reshape([b.numel(), b.numel()]), b.flatten()).reshape(shape);
  });
}

// (-1)^(number of actual row swaps) of LU pivots [.., k], in dtype.
function pivotSign(pivots: Tensor, dtype: DType): Tensor {
  const k = pivots.shape[pivots.ndim - 1];
  const steps = tensor(
    Int32Array.from({ length: k }, (_, i) => i + 1),
    { dtype: 'int32', device: pivots.device },
  );
  const swaps = pivots.ne(steps).to('int64').sum(-1);
  return swaps.remainder(2).mul(-2).add(1).to(dtype);
}

/** The determinant of square matrices (torch.linalg.det), from the LU factorization. @example linalg.det(A) */
export function det(A: Tensor): Tensor {
  const a = matrixArg('linalg.det', 'A', A, true);
  return tidy(() => {
    const { LU, pivots } = luFactorEx(a);
    return LU.diagonal(0, -2, -1).prod(-1).mul(pivotSign(pivots, a.dtype));
  });
}

/**
 * The sign and the log of the absolute value of the determinant (torch.linalg.slogdet): sign 0
 * and logabsdet -Infinity for a singular matrix. @example const { sign, logabsdet } = linalg.slogdet(A)
 */
export function slogdet(A: Tensor): { sign: Tensor; logabsdet: Tensor } {
  const a = matrixArg('linalg.slogdet', 'A', A, true);
  return tidy(() => {
    const { LU, pivots } = luFactorEx(a);
    const d = LU.diagonal(0, -2, -1);
    return { sign: d.sign().prod(-1).mul(pivotSign(pivots, a.dtype)), logabsdet: d.abs().log().sum(-1) };
  });
}

// The tolerance of pinv and matrixRank: max(atol, rtol * largest singular value), rtol by
// default eps * max(m, n) when neither is given (PyTorch's rule), 0 when only atol is.
function svTolerance(name: string, a: Tensor, smax: Tensor, o: { atol?: number; rtol?: number }): Tensor {
  const eps = EPS[a.dtype] ?? EPS.float32!;
  const atol = o.atol ?? 0;
  const rtol =
    o.rtol ?? (o.atol !== undefined && o.atol > 0 ? 0 : eps * Math.max(a.shape[a.ndim - 1], a.shape[a.ndim - 2]));
  if (!(atol >= 0) || !(rtol >= 0))
    fail('INVALID_ARGUMENT', `${name}: atol and rtol must be non-negative, got ${atol} and ${rtol}`);
  return smax.mul(rtol).clampMin(atol);
}

/** Options of pinv and matrixRank: absolute and relative tolerances on singular values. */
export interface RankOptions {
  atol?: number;
  rtol?: number;
  /** A is symmetric: use eigh (its lower triangle), faster and symmetric-exact. */
  hermitian?: boolean;
}

/**
 * The Moore-Penrose pseudo-inverse (torch.linalg.pinv) from the SVD (eigh with `hermitian`),
 * singular values at or below max(atol, rtol * largest) treated as zero. @example linalg.pinv(A)
 */
export function pinv(A: Tensor, options?: RankOptions): Tensor {
  const name = 'linalg.pinv';
  const a = matrixArg(name, 'A', A, (options as RankOptions | undefined)?.hermitian === true);
  const o = checkOptions(name, options, { atol: 'number', rtol: 'number', hermitian: 'boolean' });
  return tidy(() => {
    // 1/s where s is kept, 0 elsewhere, without 1/0 in the unused branch (its gradient would be NaN)
    const invKept = (s: Tensor, tol: Tensor) => {
      const keep = s.abs().gt(tol);
      return where(keep, where(keep, s, 1).reciprocal(), 0);
    };
    if (o.hermitian) {
      const { eigenvalues: w, eigenvectors: V } = eigh(a);
      const inv = invKept(w, svTolerance(name, a, w.abs().amax(-1, { keepdim: true }), o));
      return V.mul(inv.unsqueeze(-2)).matmul(V.mT);
    }
    const { U, S, Vh } = svd(a, { fullMatrices: false });
    const inv = invKept(
      S,
      svTolerance(name, a, S.narrow(-1, 0, Math.min(1, S.shape[S.ndim - 1])).amax(-1, { keepdim: true }), o),
    );
    return Vh.mT.mul(inv.unsqueeze(-2)).matmul(U.mT);
  });
}

/**
 * The numerical rank (torch.linalg.matrix_rank): the number of singular values above
 * max(atol, rtol * largest), int64. @example linalg.matrixRank(A)
 */
export function matrixRank(A: Tensor, options?: RankOptions): Tensor<'int64'> {
  const name = 'linalg.matrixRank';
  const a = matrixArg(name, 'A', A, (options as RankOptions | undefined)?.hermitian === true);
  const o = checkOptions(name, options, { atol: 'number', rtol: 'number', hermitian: 'boolean' });
  return tidy(() => {
    const s = o.hermitian ? eigvalsh(a).abs() : svdvals(a);
    const smax = s.shape[s.ndim - 1] === 0 ? s.sum(-1, { keepdim: true }) : s.amax(-1, { keepdim: true });
    return s.gt(svTolerance(name, a, smax, o)).sum(-1) as Tensor<'int64'>;
  });
}

/** A matrix norm's order: 'fro', 'nuc', +-1, +-2 or +-Infinity. */
export type MatrixOrd = 'fro' | 'nuc' | number;

function matrixDims(name: string, x: Tensor, dim: unknown): [number, number] {
  const d = dim ?? [-2, -1];
  if (!Array.isArray(d) || d.length !== 2)
    fail('INVALID_ARGUMENT', `${name}: 'dim' must be a list of two dims, got ${describe(dim)}`);
  const nd = x.ndim;
  const [a, b] = d.map((v, i) => {
    const k = int(name, `dim[${i}]`, v);
    if (k < -nd || k >= nd) fail('INDEX_OUT_OF_RANGE', `${name}: dim ${k} is out of range for ${nd} dims`);
    return k < 0 ? k + nd : k;
  });
  if (a === b) fail('INVALID_ARGUMENT', `${name}: the two dims must differ, got ${a} and ${b}`);
  return [a, b];
}

/**
 * A matrix norm over two dims (torch.linalg.matrix_norm; the last two by default): 'fro'
 * (default), 'nuc' (sum of singular values), 2 / -2 (largest / smallest singular value), 1 / -1
 * (max / min column sum of |A|), Infinity / -Infinity (max / min row sum).
 * @example linalg.matrixNorm(A, 'nuc')
 */
export function matrixNorm(
  A: Tensor,
  ord: MatrixOrd = 'fro',
  options?: { dim?: [number, number]; keepdim?: boolean },
): Tensor {
  const name = 'linalg.matrixNorm';
  const a = matrixArg(name, 'A', A);
  const o = checkOptions(name, options, { dim: 'any', keepdim: 'boolean' });
  const [d0, d1] = matrixDims(name, a, o.dim);
  const keepdim = o.keepdim ?? false;
  if (!['fro', 'nuc', 1, -1, 2, -2, Infinity, -Infinity].includes(ord as never))
    fail(
      'INVALID_ARGUMENT',
      `${name}: ord must be 'fro', 'nuc', 1, -1, 2, -2, Infinity or -Infinity, got ${describe(ord)}`,
    );
  return tidy(() => {
    let r: Tensor;
    if (ord === 'fro') r = a.vectorNorm(2, { dim: [d0, d1], keepdim: true });
    else if (ord === 'nuc' || ord === 2 || ord === -2) {
      const s = svdvals(a.movedim([d0, d1], [-2, -1]));
      r = ord === 'nuc' ? s.sum(-1) : ord === 2 ? s.amax(-1) : s.amin(-1);
      r = r.unsqueeze(-1).unsqueeze(-1).movedim([-2, -1], [d0, d1]);
    } else {
      const byCols = ord === 1 || ord === -1; // sum over rows (d0), extremum over columns (d1)
      const sums = a.abs().sum(byCols ? d0 : d1, { keepdim: true });
      r =
        (ord as number) > 0
          ? sums.amax(byCols ? d1 : d0, { keepdim: true })
          : sums.amin(byCols ? d1 : d0, { keepdim: true });
    }
    return keepdim ? r : r.squeeze([d0, d1]);
  });
}

/** The vector norm (torch.linalg.vector_norm): Tensor.vectorNorm as a function. @example linalg.vectorNorm(x, 1) */
export function vectorNorm(
  x: Tensor,
  ord = 2,
  options?: { dim?: number | number[] | null; keepdim?: boolean },
): Tensor {
  return tensorArg('linalg.vectorNorm', 'x', x).vectorNorm(ord, options);
}

/**
 * torch.linalg.norm: a matrix norm when `ord` is a string or `dim` names two dims (or A is 2-D
 * and ord is given), else the vector norm (of all elements when dim is absent).
 * @example linalg.norm(A) // Frobenius for a matrix: the 2-norm of all elements
 */
export function norm(
  A: Tensor,
  ord?: MatrixOrd | null,
  options?: { dim?: number | number[] | null; keepdim?: boolean },
): Tensor {
  const name = 'linalg.norm';
  const a = tensorArg(name, 'A', A);
  const o = checkOptions(name, options, { dim: 'any', keepdim: 'boolean' });
  const twoDims = Array.isArray(o.dim) && o.dim.length === 2;
  const matrix =
    typeof ord === 'string' || twoDims || (ord !== undefined && ord !== null && a.ndim === 2 && o.dim == null);
  if (matrix) {
    if (a.ndim < 2) fail('SHAPE_MISMATCH', `${name}: a matrix norm needs at least 2 dims, got [${a.shape.join(', ')}]`);
    return matrixNorm(a, ord ?? 'fro', { dim: (o.dim as [number, number]) ?? [-2, -1], keepdim: o.keepdim });
  }
  return a.vectorNorm((ord as number | null | undefined) ?? 2, { dim: o.dim, keepdim: o.keepdim });
}

/**
 * The condition number (torch.linalg.cond): for p null or 2 the ratio of the largest to the
 * smallest singular value (-2: its inverse); otherwise matrixNorm(A, p) * matrixNorm(inv(A), p),
 * Infinity for a singular A.
 * @example linalg.cond(A)
 */
export function cond(A: Tensor, p: MatrixOrd | null = null): Tensor {
  const name = 'linalg.cond';
  const a = matrixArg(name, 'A', A, !(p === null || p === 2 || p === -2));
  return tidy(() => {
    if (p === null || p === 2 || p === -2) {
      const s = svdvals(a);
      const k = s.shape[s.ndim - 1];
      const hi = s.narrow(-1, 0, 1).squeeze(-1),
        lo = s.narrow(-1, k - 1, 1).squeeze(-1);
      return p === -2 ? lo.div(hi) : hi.div(lo);
    }
    // A singular matrix has condition number Infinity (PyTorch's), not an error.
    const { inverse, info } = invEx(a);
    const c = matrixNorm(a, p).mul(matrixNorm(inverse, p));
    return where(info.ne(0), Infinity, c);
  });
}

/**
 * The least-squares solution of A X = B (torch.linalg.lstsq): the minimum-norm X from the SVD
 * (singular values at or below rcond * largest dropped; rcond eps * max(m, n) by default), with
 * residuals (squared, per column, when m > n and A has full rank; else empty), rank and the
 * singular values. Every `driver` name PyTorch takes is accepted; all use the SVD (gelsd's
 * result; for full-rank A, gelsy's too). @example linalg.lstsq(A, B).solution
 */
export function lstsq(
  A: Tensor,
  B: Tensor,
  options?: { rcond?: number | null; driver?: 'gels' | 'gelsy' | 'gelsd' | 'gelss' | null },
): { solution: Tensor; residuals: Tensor; rank: Tensor<'int64'>; singularValues: Tensor } {
  const name = 'linalg.lstsq';
  const a = matrixArg(name, 'A', A),
    b = matrixArg(name, 'B', B);
  const o = checkOptions(name, options, { rcond: 'any', driver: 'any' });
  if (o.driver != null) oneOf(name, 'driver', o.driver, ['gels', 'gelsy', 'gelsd', 'gelss'] as const);
  if (o.rcond != null && !(typeof o.rcond === 'number' && o.rcond >= 0))
    fail('INVALID_ARGUMENT', `${name}: 'rcond' must be a non-negative number, got ${describe(o.rcond)}`);
  const m = a.shape[a.ndim - 2],
    n = a.shape[a.ndim - 1];
  if (b.shape[b.ndim - 2] !== m)
    fail(
      'SHAPE_MISMATCH',
      `${name}: A [${a.shape.join(', ')}] and B [${b.shape.join(', ')}] have different numbers of rows`,
    );
  return tidy(() => {
    const { U, S, Vh } = svd(a, { fullMatrices: false });
    const eps = EPS[a.dtype] ?? EPS.float32!;
    const rcond = o.rcond ?? eps * Math.max(m, n);
    const smax = S.shape[S.ndim - 1] === 0 ? S.sum(-1, { keepdim: true }) : S.narrow(-1, 0, 1);
    const keep = S.gt(smax.mul(rcond));
    const sinv = where(keep, where(keep, S, 1).reciprocal(), 0);
    const solution = Vh.mT.mul(sinv.unsqueeze(-2)).matmul(U.mT.matmul(b));
    const rank = keep.sum(-1) as Tensor<'int64'>;
    const fullRank = m > n && (rank.data() as BigInt64Array).every((r) => Number(r) === n);
    const residuals = fullRank
      ? a.matmul(solution).sub(b).square().sum(-2)
      : tensor([], { dtype: a.dtype, device: a.device });
    return { solution, residuals, rank, singularValues: S };
  });
}

/**
 * A square matrix to an integer power (torch.linalg.matrix_power) by repeated squaring; 0 gives
 * the identity, a negative power the inverse's. @example linalg.matrixPower(A, 3)
 */
export function matrixPower(A: Tensor, n: number): Tensor {
  const name = 'linalg.matrixPower';
  const a = matrixArg(name, 'A', A, true);
  const k = int(name, 'n', n);
  const size = a.shape[a.ndim - 1];
  return tidy(() => {
    if (k === 0) return eye(size, { dtype: a.dtype, device: a.device }).expand(a.shape).clone();
    let base = k < 0 ? inv(a) : a;
    let result: Tensor | null = null;
    for (let e = Math.abs(k); e > 0; e = Math.floor(e / 2)) {
      if (e % 2 === 1) result = result ? result.matmul(base) : base;
      if (e > 1) base = base.matmul(base);
    }
    return result === a ? a.clone() : result!;
  });
}

/**
 * The matrix exponential (torch.linalg.matrix_exp): scaling and squaring with the [6/6] Padé
 * approximant (the matrix scaled to 1-norm below 1/2, where its error is below float64's
 * rounding), so differentiable through matmul and solve. @example linalg.matrixExp(A)
 */
export function matrixExp(A: Tensor): Tensor {
  const name = 'linalg.matrixExp';
  const a = matrixArg(name, 'A', A, true);
  const n = a.shape[a.ndim - 1];
  if (n === 0 || a.numel() === 0) return a.clone();
  return tidy(() => {
    const norm1 = matrixNorm(a.detach(), 1).amax().item();
    if (!Number.isFinite(norm1)) return a.mul(NaN);
    const s = norm1 > 0.5 ? Math.ceil(Math.log2(norm1 / 0.5)) : 0;
    const x = s > 0 ? a.div(2 ** s) : a;
    const I = eye(n, { dtype: a.dtype, device: a.device });
    // Padé [6/6]: N(x) = sum c_j x^j, D(x) = N(-x)
    const c = [1, 1 / 2, 5 / 44, 1 / 66, 1 / 792, 1 / 15840, 1 / 665280];
    const x2 = x.matmul(x),
      x4 = x2.matmul(x2),
      x6 = x4.matmul(x2);
    const even = I.mul(c[0]).add(x2.mul(c[2])).add(x4.mul(c[4])).add(x6.mul(c[6]));
    const odd = x.matmul(I.mul(c[1]).add(x2.mul(c[3])).add(x4.mul(c[5])));
    let r = solve(even.sub(odd), even.add(odd));
    for (let i = 0; i < s; i++) r = r.matmul(r);
    return r;
  });
}

/**
 * The product of a chain of matrices in the cheapest order (torch.linalg.multi_dot): the first
 * may be 1-D (a row vector) and the last 1-D (a column), their dims dropped from the result.
 * @example linalg.multiDot([a, b, c])
 */
export function multiDot(tensors: readonly Tensor[]): Tensor {
  const name = 'linalg.multiDot';
  const ts = tensorList(name, 'tensors', tensors);
  if (ts.length < 2) fail('INVALID_ARGUMENT', `${name}: expected at least 2 tensors, got ${ts.length}`);
  ts.forEach((t, i) => {
    const ok = t.ndim === 2 || (t.ndim === 1 && (i === 0 || i === ts.length - 1));
    if (!ok)
      fail(
        'SHAPE_MISMATCH',
        `${name}: tensor ${i} must be 2-D${i === 0 || i === ts.length - 1 ? ' or 1-D' : ''}, got [${t.shape.join(', ')}]`,
      );
  });
  return tidy(() => {
    const ms = ts.map((t, i) => (t.ndim === 2 ? t : i === 0 ? t.unsqueeze(0) : t.unsqueeze(1)));
    for (let i = 1; i < ms.length; i++)
      if (ms[i - 1].shape[1] !== ms[i].shape[0])
        fail(
          'SHAPE_MISMATCH',
          `${name}: tensors ${i - 1} and ${i} cannot be multiplied ([${ms[i - 1].shape.join(', ')}] @ [${ms[i].shape.join(', ')}])`,
        );
    // The classic matrix-chain order: cost[i][j] the fewest multiplications for ms[i..j].
    const N = ms.length;
    const dims = [ms[0].shape[0], ...ms.map((x) => x.shape[1])];
    const cost = Array.from({ length: N }, () => new Array<number>(N).fill(0));
    const split = Array.from({ length: N }, () => new Array<number>(N).fill(0));
    for (let len = 1; len < N; len++)
      for (let i = 0; i + len < N; i++) {
        const j = i + len;
        cost[i][j] = Infinity;
        for (let k = i; k < j; k++) {
          const c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1];
          if (c < cost[i][j]) [cost[i][j], split[i][j]] = [c, k];
        }
      }
    const chain = (i: number, j: number): Tensor =>
      i === j ? ms[i] : chain(i, split[i][j]).matmul(chain(split[i][j] + 1, j));
    let r = chain(0, N - 1);
    if (ts[N - 1].ndim === 1) r = r.squeeze(1);
    if (ts[0].ndim === 1) r = r.squeeze(0);
    return r;
  });
}

/** The dot product along a dim (torch.linalg.vecdot). @example linalg.vecdot(x, y) */
export function vecdot(x: Tensor, y: Tensor, options?: { dim?: number }): Tensor {
  const name = 'linalg.vecdot';
  const a = tensorArg(name, 'x', x),
    b = tensorArg(name, 'y', y);
  const o = checkOptions(name, options, { dim: 'integer' });
  return tidy(() => a.mul(b).sum(o.dim ?? -1));
}

/** torch.linalg.diagonal: the diagonal of the last two dims by default. @example linalg.diagonal(A) */
export function diagonal(A: Tensor, options?: { offset?: number; dim1?: number; dim2?: number }): Tensor {
  const name = 'linalg.diagonal';
  const a = tensorArg(name, 'A', A);
  const o = checkOptions(name, options, { offset: 'integer', dim1: 'integer', dim2: 'integer' });
  return a.diagonal(o.offset ?? 0, o.dim1 ?? -2, o.dim2 ?? -1);
}

/** torch.linalg.cross: the cross product along dim (-1 by default). @example linalg.cross(a, b) */
export function cross(a: Tensor, b: Tensor, options?: { dim?: number }): Tensor {
  const name = 'linalg.cross';
  const o = checkOptions(name, options, { dim: 'integer' });
  return tensorArg(name, 'a', a).cross(tensorArg(name, 'b', b), o.dim ?? -1);
}

/**
 * Solves A X = B given A's Cholesky factor (torch.cholesky_solve): L lower, or U with `upper`.
 * @example linalg.choleskySolve(B, L)
 */
export function choleskySolve(B: Tensor, L: Tensor, options?: { upper?: boolean }): Tensor {
  const name = 'choleskySolve';
  const b = matrixArg(name, 'B', B),
    l = matrixArg(name, 'L', L, true);
  const o = checkOptions(name, options, { upper: 'boolean' });
  return tidy(() => {
    const low = o.upper ? l.mT : l;
    return solveTriangular(low.mT, solveTriangular(low, b, { upper: false }), { upper: true });
  });
}

/** The inverse of A from its Cholesky factor (torch.cholesky_inverse). @example linalg.choleskyInverse(L) */
export function choleskyInverse(L: Tensor, options?: { upper?: boolean }): Tensor {
  const l = matrixArg('choleskyInverse', 'L', L, true);
  const n = l.shape[l.ndim - 1];
  return tidy(() => choleskySolve(eye(n, { dtype: l.dtype, device: l.device }).expand(l.shape), l, options));
}

/**
 * The Vandermonde matrix of the last dim, powers increasing (torch.linalg.vander): x [..., n] gives
 * [..., n, N] with columns x^0 .. x^(N-1) (N defaults to n), as cumulative products (exact for
 * integers, and differentiable at 0). @example linalg.vander(tensor([1, 2, 3])) // [[1, 1, 1], [1, 2, 4], [1, 3, 9]]
 */
export function vander(x: Tensor, options?: { N?: number | null }): Tensor {
  const name = 'linalg.vander';
  const t = tensorArg(name, 'x', x);
  const o = checkOptions(name, options, { N: 'any' });
  if (t.ndim < 1) fail('SHAPE_MISMATCH', `${name}: x must have at least 1 dimension, got []`);
  if (t.dtype === 'bool') fail('DTYPE_MISMATCH', `${name}: not supported for bool tensors`);
  const n = o.N === undefined || o.N === null ? t.shape[t.ndim - 1] : int(name, 'N', o.N);
  if (n < 2) fail('INVALID_ARGUMENT', `${name}: N must be greater than 1, got ${n}`);
  if (n > 2 ** 20) fail('INVALID_ARGUMENT', `${name}: N must be at most 2^20, got ${n}`);
  return tidy(() => {
    const col = t.unsqueeze(-1);
    return cat([onesLike(col), col.expand([...t.shape, n - 1])], -1).cumprod(-1);
  });
}
