// The LDL^T factorization of symmetric matrices with Bunch-Kaufman pivoting (torch.linalg.ldl_factor,
// ldl_factor_ex, ldl_solve), in LAPACK's compact form as torch returns it: sytf2 with the lower
// triangle ('L'), LD holding L's multipliers below the diagonal and D's 1x1 and 2x2 blocks on and
// beside it, pivots 1-based (a negative pair marks a 2x2 block), the upper triangle zeroed; and
// sytrs for the solve. Computed in float64 on the host, batched over leading dims; as in PyTorch,
// neither has a derivative (their results do not require grad).
import { matrixArg, tensorArg } from '../args.js';
import { noGrad } from '../autograd.js';
import { isFloating } from '../dtype.js';
import { fail } from '../errors.js';
import { checkOptions } from '../options.js';
import { tensor } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import { checkInfo, orDispose } from './info.js';

const ALPHA = (1 + Math.sqrt(17)) / 8; // Bunch-Kaufman's growth bound

// Factors the n x n matrix at a (row-major; only the lower triangle is read) in place; writes the
// pivots and returns info (0, or the first 1-based k whose pivot column is zero).
function sytf2(a: Float64Array, off: number, n: number, ipiv: Int32Array, poff: number): number {
  const A = (i: number, j: number) => off + i * n + j; // (row, col), 0-based
  let info = 0;
  let k = 0;
  while (k < n) {
    let kstep = 1,
      kp = k;
    const absakk = Math.abs(a[A(k, k)]);
    let imax = k,
      colmax = 0;
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(a[A(i, k)]);
      if (v > colmax || Number.isNaN(v)) {
        colmax = v;
        imax = i;
        if (Number.isNaN(v)) break;
      }
    }
    // A zero column (or NaN): recorded in info, left as it is (no interchange, no update).
    const zero = Math.max(absakk, colmax) === 0 || Number.isNaN(absakk) || Number.isNaN(colmax);
    if (zero) {
      if (info === 0) info = k + 1;
    } else if (absakk < ALPHA * colmax) {
      // the largest off-diagonal magnitude in row (and column) imax of the trailing block
      let rowmax = 0;
      for (let j = k; j < imax; j++) rowmax = Math.max(rowmax, Math.abs(a[A(imax, j)]));
      for (let i = imax + 1; i < n; i++) rowmax = Math.max(rowmax, Math.abs(a[A(i, imax)]));
      if (absakk >= ALPHA * colmax * (colmax / rowmax)) kp = k;
      else if (Math.abs(a[A(imax, imax)]) >= ALPHA * rowmax) kp = imax;
      else {
        kp = imax;
        kstep = 2;
      }
    }
    const kk = k + kstep - 1;
    if (kp !== kk) {
      // swap rows and columns kk and kp of the trailing block (its lower triangle)
      for (let i = kp + 1; i < n; i++) swap(a, A(i, kk), A(i, kp));
      for (let j = kk + 1; j < kp; j++) swap(a, A(j, kk), A(kp, j));
      swap(a, A(kk, kk), A(kp, kp));
      if (kstep === 2) swap(a, A(k + 1, k), A(kp, k));
    }
    if (zero) {
      // nothing to eliminate
    } else if (kstep === 1) {
      // A22 -= x x^T / d, then the column becomes L's: x / d
      const r = 1 / a[A(k, k)];
      for (let j = k + 1; j < n; j++) {
        const xj = a[A(j, k)];
        if (xj !== 0) for (let i = j; i < n; i++) a[A(i, j)] -= r * a[A(i, k)] * xj;
      }
      for (let i = k + 1; i < n; i++) a[A(i, k)] *= r;
    } else if (k < n - 2) {
      let d21 = a[A(k + 1, k)];
      const d11 = a[A(k + 1, k + 1)] / d21,
        d22 = a[A(k, k)] / d21;
      const t = 1 / (d11 * d22 - 1);
      d21 = t / d21;
      for (let j = k + 2; j < n; j++) {
        const wk = d21 * (d11 * a[A(j, k)] - a[A(j, k + 1)]);
        const wkp1 = d21 * (d22 * a[A(j, k + 1)] - a[A(j, k)]);
        for (let i = j; i < n; i++) a[A(i, j)] -= a[A(i, k)] * wk + a[A(i, k + 1)] * wkp1;
        a[A(j, k)] = wk;
        a[A(j, k + 1)] = wkp1;
      }
    }
    if (kstep === 1) ipiv[poff + k] = kp + 1;
    else ipiv[poff + k] = ipiv[poff + k + 1] = -(kp + 1);
    k += kstep;
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[A(i, j)] = 0;
  return info;
}
function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

// Solves (L D L^T) X = B for the factor at ld (n x n) and B at b (n x m, row-major), in place.
function sytrs(
  ld: Float64Array,
  loff: number,
  n: number,
  ipiv: Int32Array,
  poff: number,
  b: Float64Array,
  boff: number,
  m: number,
) {
  const L = (i: number, j: number) => ld[loff + i * n + j];
  const B = (i: number, j: number) => boff + i * m + j;
  const swapRows = (i: number, j: number) => {
    if (i !== j) for (let c = 0; c < m; c++) swap(b, B(i, c), B(j, c));
  };
  // L D Y = B, forward
  for (let k = 0; k < n;) {
    if (ipiv[poff + k] > 0) {
      swapRows(k, ipiv[poff + k] - 1);
      for (let i = k + 1; i < n; i++) for (let c = 0; c < m; c++) b[B(i, c)] -= L(i, k) * b[B(k, c)];
      const d = L(k, k);
      for (let c = 0; c < m; c++) b[B(k, c)] /= d;
      k += 1;
    } else {
      swapRows(k + 1, -ipiv[poff + k] - 1);
      for (let i = k + 2; i < n; i++)
        for (let c = 0; c < m; c++) b[B(i, c)] -= L(i, k) * b[B(k, c)] + L(i, k + 1) * b[B(k + 1, c)];
      const akm1k = L(k + 1, k),
        akm1 = L(k, k) / akm1k,
        ak = L(k + 1, k + 1) / akm1k;
      const denom = akm1 * ak - 1;
      for (let c = 0; c < m; c++) {
        const bkm1 = b[B(k, c)] / akm1k,
          bk = b[B(k + 1, c)] / akm1k;
        b[B(k, c)] = (ak * bkm1 - bk) / denom;
        b[B(k + 1, c)] = (akm1 * bk - bkm1) / denom;
      }
      k += 2;
    }
  }
  // L^T X = Y, backward
  for (let k = n - 1; k >= 0;) {
    const twoByTwo = ipiv[poff + k] < 0;
    const cols = twoByTwo ? [k, k - 1] : [k];
    for (const col of cols)
      for (let c = 0; c < m; c++) {
        let s = 0;
        for (let i = k + 1; i < n; i++) s += L(i, col) * b[B(i, c)];
        b[B(col, c)] -= s;
      }
    swapRows(k, Math.abs(ipiv[poff + k]) - 1);
    k -= twoByTwo ? 2 : 1;
  }
}

/** Options of ldlFactor and ldlFactorEx. */
export interface LdlOptions {
  /** A is Hermitian (for real matrices the same as symmetric; accepted for torch's signature). */
  hermitian?: boolean;
}

/**
 * The LDL^T factorization of symmetric matrices with its info codes (torch.linalg.ldl_factor_ex):
 * LD and pivots in LAPACK's compact form (only A's lower triangle is read), info 0 or the first
 * zero pivot (1-based); `checkErrors` throws on a non-zero info. Not differentiable.
 * @example const { LD, pivots } = linalg.ldlFactorEx(A)
 */
export function ldlFactorEx(
  A: Tensor,
  options?: LdlOptions & { checkErrors?: boolean },
): { LD: Tensor; pivots: Tensor<'int32'>; info: Tensor<'int32'> } {
  const name = 'linalg.ldlFactorEx';
  const a = matrixArg(name, 'A', A, true);
  const o = checkOptions(name, options, { hermitian: 'boolean', checkErrors: 'boolean' });
  if (!isFloating(a.dtype)) fail('DTYPE_MISMATCH', `${name}: expected a floating tensor, got ${a.dtype}`);
  const n = a.shape[a.ndim - 1],
    batch = a.shape.slice(0, -2),
    count = batch.reduce((x, y) => x * y, 1);
  const data = Float64Array.from(noGrad(() => a.to('float64').to('cpu').contiguous().data()) as Float64Array);
  const ipiv = new Int32Array(count * n),
    infos = new Int32Array(count);
  for (let b = 0; b < count; b++) infos[b] = sytf2(data, b * n * n, n, ipiv, b * n);
  const LD = tensor(data, { shape: a.shape, dtype: 'float64' }).to({ dtype: a.dtype, device: a.device });
  const pivots = tensor(ipiv, { shape: [...batch, n], dtype: 'int32' }).to(a.device) as Tensor<'int32'>;
  const info = tensor(infos, { shape: batch, dtype: 'int32' }).to(a.device) as Tensor<'int32'>;
  if (o.checkErrors) orDispose([LD, pivots, info], () => checkInfo(info, (k) => ldlMessage(name, k)));
  return { LD, pivots, info };
}

const ldlMessage = (op: string, k: number) =>
  `${op}: D[${k},${k}] is zero: the matrix is singular (ldlFactorEx returns the factorization with its info code)`;

/**
 * The LDL^T factorization of symmetric matrices (torch.linalg.ldl_factor): { LD, pivots } for
 * ldlSolve; throws INVALID_ARGUMENT, naming the batch element, when D has a zero pivot.
 * @example const { LD, pivots } = linalg.ldlFactor(A); linalg.ldlSolve(LD, pivots, B)
 */
export function ldlFactor(A: Tensor, options?: LdlOptions): { LD: Tensor; pivots: Tensor<'int32'> } {
  const name = 'linalg.ldlFactor';
  const o = checkOptions(name, options, { hermitian: 'boolean' });
  const { LD, pivots, info } = ldlFactorEx(matrixArg(name, 'A', A, true), o);
  try {
    orDispose([LD, pivots], () => checkInfo(info, (k) => ldlMessage(name, k)));
  } finally {
    info.dispose();
  }
  return { LD, pivots };
}

/**
 * Solves A X = B from ldlFactor's LD and pivots (torch.linalg.ldl_solve); B [..., n, k] with batch
 * dims matching LD's. Not differentiable. @example linalg.ldlSolve(LD, pivots, B)
 */
export function ldlSolve(LD: Tensor, pivots: Tensor, B: Tensor, options?: LdlOptions): Tensor {
  const name = 'linalg.ldlSolve';
  const ld = matrixArg(name, 'LD', LD, true),
    piv = tensorArg(name, 'pivots', pivots),
    rhs = matrixArg(name, 'B', B);
  checkOptions(name, options, { hermitian: 'boolean' });
  const n = ld.shape[ld.ndim - 1],
    batch = ld.shape.slice(0, -2),
    m = rhs.shape[rhs.ndim - 1];
  if (!isFloating(ld.dtype) || rhs.dtype !== ld.dtype)
    fail('DTYPE_MISMATCH', `${name}: LD and B must have one floating dtype, got ${ld.dtype} and ${rhs.dtype}`);
  if (piv.dtype !== 'int32') fail('DTYPE_MISMATCH', `${name}: pivots must be int32, got ${piv.dtype}`);
  if (piv.shape.join() !== [...batch, n].join())
    fail('SHAPE_MISMATCH', `${name}: pivots must be [${[...batch, n].join(', ')}], got [${piv.shape.join(', ')}]`);
  if (rhs.shape.slice(0, -2).join() !== batch.join() || rhs.shape[rhs.ndim - 2] !== n)
    fail(
      'SHAPE_MISMATCH',
      `${name}: B must be [${[...batch, n, 'k'].join(', ')}] for LD [${ld.shape.join(', ')}], got [${rhs.shape.join(', ')}]`,
    );
  const count = batch.reduce((x, y) => x * y, 1);
  const host = (t: Tensor) => noGrad(() => t.to('cpu').contiguous().data());
  const ldData = Float64Array.from(host(ld.to('float64')) as Float64Array);
  const ipiv = Int32Array.from(host(piv) as Int32Array);
  // pivots must be ones ldlFactor could have made, or the solve would index out of the matrix
  for (let b = 0; b < count; b++)
    for (let k = 0; k < n;) {
      const p = ipiv[b * n + k];
      // a 1x1 pivot swaps k with a row at or below it; a 2x2 block's pair names a row below k + 1
      const two = p < 0;
      const ok = two ? k + 1 < n && ipiv[b * n + k + 1] === p && -p >= k + 2 && -p <= n : p >= k + 1 && p <= n;
      if (!ok)
        fail(
          'INVALID_ARGUMENT',
          `${name}: pivots[${count === 1 ? '' : `${b}, `}${k}] = ${p} is not a pivot ldlFactor makes`,
        );
      k += two ? 2 : 1;
    }
  const out = Float64Array.from(host(rhs.to('float64')) as Float64Array);
  for (let b = 0; b < count; b++) sytrs(ldData, b * n * n, n, ipiv, b * n, out, b * n * m, m);
  return tensor(out, { shape: rhs.shape, dtype: 'float64' }).to({ dtype: rhs.dtype, device: rhs.device });
}
