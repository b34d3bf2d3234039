// The dense factorizations as plain loops over one matrix at a time, in JS doubles: the reference
// the native torch.linalg kernels are tested against. They follow the same conventions (LAPACK's
// pivot rule and Householder reflectors, eigenvalues ascending and singular values descending,
// each eigen- or left singular vector signed so its largest entry is positive, missing columns of
// U completed from the standard basis) but not the same code: Cholesky-Banachiewicz by rows,
// Doolittle elimination, classical Jacobi with the largest off-diagonal pivot for eigh, and the
// SVD from the eigenvectors of A^T A.
import { fail } from '../errors.js';
import { alloc, broadcastShapes, numel, plainArg, PlainTensor } from './tensor.js';

type Mat = Float64Array; // row-major

function checkMatrices(op: string, name: string, x: PlainTensor, square: boolean): [number[], number, number] {
  plainArg(op, name, x);
  if (x.ndim < 2) fail('SHAPE_MISMATCH', `${op}: expected ${name} to have at least 2 dimensions`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64')
    fail('DTYPE_MISMATCH', `${op}: expected ${name} to be float32 or float64, got ${x.dtype}`);
  const r = x.shape[x.ndim - 2],
    c = x.shape[x.ndim - 1];
  if (square && r !== c) fail('SHAPE_MISMATCH', `${op}: expected ${name} to be square, got ${r} by ${c}`);
  return [x.shape.slice(0, -2), r, c];
}

// Matrix b of x's batch (broadcast to `batch`), as doubles.
function matrixOf(x: PlainTensor, batch: readonly number[], b: number): Mat {
  const r = x.shape[x.ndim - 2],
    c = x.shape[x.ndim - 1];
  const xb = x.shape.slice(0, -2);
  let off = 0,
    stride = 1,
    rest = b;
  const idx: number[] = [];
  for (let d = batch.length - 1; d >= 0; d--) {
    idx[d] = rest % batch[d];
    rest = Math.floor(rest / batch[d]);
  }
  for (let d = xb.length - 1; d >= 0; d--) {
    const i = idx[d + batch.length - xb.length];
    off += (xb[d] === 1 ? 0 : i) * stride;
    stride *= xb[d];
  }
  return Float64Array.from(x.data.subarray(off * r * c, (off + 1) * r * c));
}

function assemble(mats: readonly ArrayLike<number>[], shape: readonly number[], dtype: PlainTensor['dtype']) {
  const out = alloc(dtype, numel(shape));
  let k = 0;
  for (const m of mats) for (let i = 0; i < m.length; i++) out[k++] = m[i];
  return new PlainTensor(out, shape, dtype);
}

const transposed = (a: Mat, r: number, c: number): Mat => {
  const t = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[j * r + i] = a[i * c + j];
  return t;
};

/** torch.linalg.cholesky_ex as loops: the lower (or upper) factor and the info codes. */
export function choleskyEx(a: PlainTensor, upper = false): { L: PlainTensor; info: PlainTensor } {
  const [batch, n] = checkMatrices('linalg.cholesky', 'A', a, true);
  const Ls: Mat[] = [];
  const info: number[] = [];
  for (let b = 0; b < numel(batch); b++) {
    const m = upper ? transposed(matrixOf(a, batch, b), n, n) : matrixOf(a, batch, b);
    const L = new Float64Array(n * n);
    let bad = 0;
    for (let i = 0; i < n && !bad; i++)
      for (let j = 0; j <= i; j++) {
        let s = m[i * n + j];
        for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
        if (i === j) {
          if (!(s > 0)) {
            bad = i + 1;
            break;
          }
          L[i * n + i] = Math.sqrt(s);
        } else L[i * n + j] = s / L[j * n + j];
      }
    info.push(bad);
    Ls.push(upper ? transposed(L, n, n) : L);
  }
  return { L: assemble(Ls, a.shape, a.dtype), info: assemble([info], batch, 'int32') };
}

/** torch.linalg.lu_factor_ex as loops: packed LU, 1-based pivots and the info codes. */
export function luFactorEx(a: PlainTensor): { LU: PlainTensor; pivots: PlainTensor; info: PlainTensor } {
  const [batch, m, n] = checkMatrices('linalg.lu_factor', 'A', a, false);
  const k = Math.min(m, n);
  const LUs: Mat[] = [];
  const pivs: number[] = [];
  const info: number[] = [];
  for (let b = 0; b < numel(batch); b++) {
    const x = matrixOf(a, batch, b);
    let bad = 0;
    for (let j = 0; j < k; j++) {
      let p = j;
      for (let i = j + 1; i < m; i++) if (Math.abs(x[i * n + j]) > Math.abs(x[p * n + j])) p = i;
      pivs.push(p + 1);
      if (x[p * n + j] === 0) {
        bad ||= j + 1;
        continue;
      }
      for (let c = 0; c < n; c++) [x[j * n + c], x[p * n + c]] = [x[p * n + c], x[j * n + c]];
      for (let i = j + 1; i < m; i++) {
        x[i * n + j] /= x[j * n + j];
        for (let c = j + 1; c < n; c++) x[i * n + c] -= x[i * n + j] * x[j * n + c];
      }
    }
    info.push(bad);
    LUs.push(x);
  }
  return {
    LU: assemble(LUs, a.shape, a.dtype),
    pivots: assemble([pivs], [...batch, k], 'int32'),
    info: assemble([info], batch, 'int32'),
  };
}

/** torch.linalg.solve_triangular as loops (batch dims broadcast). */
export function solveTriangular(
  a: PlainTensor,
  b: PlainTensor,
  o: { upper: boolean; left?: boolean; unitriangular?: boolean },
): PlainTensor {
  const op = 'linalg.solve_triangular';
  const [ab, n] = checkMatrices(op, 'A', a, true);
  const [bb, br, bc] = checkMatrices(op, 'B', b, false);
  const left = o.left ?? true,
    unit = o.unitriangular ?? false;
  if ((left ? br : bc) !== n) fail('SHAPE_MISMATCH', `${op}: incompatible shapes of A and B`);
  const batch = broadcastShapes(ab, bb);
  const xs: Mat[] = [];
  for (let t = 0; t < numel(batch); t++) {
    const A = matrixOf(a, batch, t),
      B = matrixOf(b, batch, t);
    // Column by column of X for A X = B; row by row (x A = b^T) for X A = B.
    const X = new Float64Array(br * bc);
    const count = left ? bc : br;
    for (let v = 0; v < count; v++) {
      const get = (i: number) => (left ? B[i * bc + v] : B[v * bc + i]);
      const set = (i: number, x: number) => (left ? (X[i * bc + v] = x) : (X[v * bc + i] = x));
      const xv = new Float64Array(n);
      // left: A x = b. right: x A = b, i.e. A^T x = b, whose triangle is the other one.
      const coef = (i: number, k: number) => (left ? A[i * n + k] : A[k * n + i]);
      const up = left ? o.upper : !o.upper;
      for (let s = 0; s < n; s++) {
        const i = up ? n - 1 - s : s;
        let acc = get(i);
        for (let k = up ? i + 1 : 0; k < (up ? n : i); k++) acc -= coef(i, k) * xv[k];
        xv[i] = unit ? acc : acc / coef(i, i);
        set(i, xv[i]);
      }
    }
    xs.push(X);
  }
  return assemble(xs, [...batch, br, bc], a.dtype);
}

// Flips column j of x [r, c] so its largest-magnitude entry is positive; returns the sign used.
function signColumn(x: Mat, r: number, c: number, j: number): number {
  let best = 0,
    sign = 1;
  for (let i = 0; i < r; i++)
    if (Math.abs(x[i * c + j]) > best) {
      best = Math.abs(x[i * c + j]);
      sign = x[i * c + j] < 0 ? -1 : 1;
    }
  if (sign < 0) for (let i = 0; i < r; i++) x[i * c + j] = -x[i * c + j];
  return sign;
}

// Symmetric eigenproblem by classical Jacobi (the largest off-diagonal entry each step).
function jacobiEig(s: Mat, n: number): { w: number[]; v: Mat } {
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let it = 0; it < 100 * n * n; it++) {
    let p = 0,
      q = 1,
      big = 0,
      all = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        all += s[i * n + j] ** 2;
        if (j > i && Math.abs(s[i * n + j]) > big) [big, p, q] = [Math.abs(s[i * n + j]), i, j];
      }
    if (!(big * big > 1e-32 * all)) break;
    const theta = (s[q * n + q] - s[p * n + p]) / (2 * s[p * n + q]);
    const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
    const c = 1 / Math.sqrt(t * t + 1),
      sn = t * c;
    for (let k = 0; k < n; k++) {
      const kp = s[k * n + p],
        kq = s[k * n + q];
      s[k * n + p] = c * kp - sn * kq;
      s[k * n + q] = sn * kp + c * kq;
    }
    for (let k = 0; k < n; k++) {
      const pk = s[p * n + k],
        qk = s[q * n + k];
      s[p * n + k] = c * pk - sn * qk;
      s[q * n + k] = sn * pk + c * qk;
      const vp = v[k * n + p],
        vq = v[k * n + q];
      v[k * n + p] = c * vp - sn * vq;
      v[k * n + q] = sn * vp + c * vq;
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => s[i * n + i] - s[j * n + j]);
  const vs = new Float64Array(n * n);
  order.forEach((o, j) => {
    for (let i = 0; i < n; i++) vs[i * n + j] = v[i * n + o];
  });
  return { w: order.map((o) => s[o * n + o]), v: vs };
}

/** torch.linalg.eigh as loops: eigenvalues ascending, eigenvectors as columns. */
export function eigh(a: PlainTensor, uplo: 'L' | 'U' = 'L'): { eigenvalues: PlainTensor; eigenvectors: PlainTensor } {
  const [batch, n] = checkMatrices('linalg.eigh', 'A', a, true);
  const ws: number[][] = [],
    vs: Mat[] = [];
  for (let b = 0; b < numel(batch); b++) {
    const m = matrixOf(a, batch, b);
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) {
        if (uplo === 'L') m[i * n + j] = m[j * n + i];
        else m[j * n + i] = m[i * n + j];
      }
    const { w, v } = jacobiEig(m, n);
    for (let j = 0; j < n; j++) signColumn(v, n, n, j);
    ws.push(w);
    vs.push(v);
  }
  return { eigenvalues: assemble(ws, [...batch, n], a.dtype), eigenvectors: assemble(vs, a.shape, a.dtype) };
}

// Gram-Schmidt completion of u's first `have` orthonormal columns (u [m, cols]) from e_0, e_1, ...
function complete(u: Mat, m: number, cols: number, have: number): void {
  for (let e = 0; e < m && have < cols; e++) {
    const x = new Float64Array(m);
    x[e] = 1;
    for (let pass = 0; pass < 2; pass++)
      for (let j = 0; j < have; j++) {
        let d = 0;
        for (let i = 0; i < m; i++) d += u[i * cols + j] * x[i];
        for (let i = 0; i < m; i++) x[i] -= d * u[i * cols + j];
      }
    const nn = x.reduce((s, v) => s + v * v, 0);
    if (nn <= 0.5 / m) continue;
    for (let i = 0; i < m; i++) u[i * cols + have] = x[i] / Math.sqrt(nn);
    have++;
  }
}

/** torch.linalg.svd as loops: U, S (descending), Vh; from the eigenvectors of A^T A (or A A^T). */
export function svd(a: PlainTensor, fullMatrices = true): { U: PlainTensor; S: PlainTensor; Vh: PlainTensor } {
  const [batch, m, n] = checkMatrices('linalg.svd', 'A', a, false);
  const k = Math.min(m, n),
    tall = m >= n;
  const M = tall ? m : n,
    N = tall ? n : m,
    uc = fullMatrices ? M : N;
  const Us: Mat[] = [],
    Ss: number[][] = [],
    Vhs: Mat[] = [];
  for (let b = 0; b < numel(batch); b++) {
    const A0 = matrixOf(a, batch, b);
    const A = tall ? A0 : transposed(A0, m, n); // [M, N], M >= N
    const G = new Float64Array(N * N);
    for (let i = 0; i < N; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let r = 0; r < M; r++) s += A[r * N + i] * A[r * N + j];
        G[i * N + j] = s;
      }
    const { w, v } = jacobiEig(G, N);
    const order = Array.from({ length: N }, (_, i) => N - 1 - i); // descending
    const S = order.map((o) => Math.sqrt(Math.max(w[o], 0)));
    const V = new Float64Array(N * N);
    order.forEach((o, j) => {
      for (let i = 0; i < N; i++) V[i * N + j] = v[i * N + o];
    });
    const U = new Float64Array(M * uc);
    let have = 0;
    while (have < N && S[have] > 0 && S[have] > S[0] * M * 2.220446049250313e-16) {
      for (let i = 0; i < M; i++) {
        let s = 0;
        for (let r = 0; r < N; r++) s += A[i * N + r] * V[r * N + have];
        U[i * uc + have] = s / S[have];
      }
      have++;
    }
    complete(U, M, uc, have);
    // The caller's U (U here for a tall A, V for a wide one) gets the positive largest entries.
    for (let j = 0; j < N; j++)
      if (tall ? signColumn(U, M, uc, j) < 0 : signColumn(V, N, N, j) < 0)
        for (let i = 0; i < (tall ? N : M); i++) {
          if (tall) V[i * N + j] = -V[i * N + j];
          else U[i * uc + j] = -U[i * uc + j];
        }
    Ss.push(S);
    if (tall) {
      Us.push(U);
      Vhs.push(transposed(V, N, N));
    } else {
      Us.push(V); // A^T = U' S V'^T: U = V', Vh = U'^T
      Vhs.push(transposed(U, M, uc));
    }
  }
  return {
    U: assemble(Us, [...batch, m, tall ? uc : m], a.dtype),
    S: assemble(Ss, [...batch, k], a.dtype),
    Vh: assemble(Vhs, [...batch, tall ? n : uc, n], a.dtype),
  };
}

interface Reflector {
  v: Float64Array;
  tau: number;
  j: number;
}

// Householder QR of R [m, n] in place (R on return, zeros below the diagonal), with LAPACK's
// reflectors (a column already zero below the diagonal gets none: tau 0).
function householder(R: Float64Array, m: number, n: number): Reflector[] {
  const reflectors: Reflector[] = [];
  for (let j = 0; j < Math.min(m, n); j++) {
    const alpha = R[j * n + j];
    let xn = 0;
    for (let i = j + 1; i < m; i++) xn += R[i * n + j] ** 2;
    if (xn === 0) continue;
    const beta = -(alpha >= 0 ? 1 : -1) * Math.hypot(alpha, Math.sqrt(xn));
    const v = new Float64Array(m);
    v[j] = 1;
    for (let i = j + 1; i < m; i++) v[i] = R[i * n + j] / (alpha - beta);
    const tau = (beta - alpha) / beta;
    for (let c = j; c < n; c++) {
      let d = 0;
      for (let i = j; i < m; i++) d += v[i] * R[i * n + c];
      for (let i = j; i < m; i++) R[i * n + c] -= tau * v[i] * d;
    }
    for (let i = j + 1; i < m; i++) R[i * n + j] = 0;
    reflectors.push({ v, tau, j });
  }
  for (let i = 1; i < m; i++) for (let j = 0; j < Math.min(i, n); j++) R[i * n + j] = 0;
  return reflectors;
}

/** torch.linalg.qr as loops (Householder, LAPACK's signs): Q and R for mode 'reduced' or 'complete'. */
export function qr(a: PlainTensor, mode: 'reduced' | 'complete' = 'reduced'): { Q: PlainTensor; R: PlainTensor } {
  const [batch, m, n] = checkMatrices('linalg.qr', 'A', a, false);
  const k = Math.min(m, n),
    qc = mode === 'complete' ? m : k;
  const Qs: Mat[] = [],
    Rs: Mat[] = [];
  for (let b = 0; b < numel(batch); b++) {
    const R = matrixOf(a, batch, b);
    const Q = new Float64Array(m * qc);
    for (let i = 0; i < Math.min(m, qc); i++) Q[i * qc + i] = 1;
    for (const { v, tau, j } of householder(R, m, n).reverse())
      for (let c = 0; c < qc; c++) {
        let d = 0;
        for (let i = j; i < m; i++) d += v[i] * Q[i * qc + c];
        for (let i = j; i < m; i++) Q[i * qc + c] -= tau * v[i] * d;
      }
    const rr = mode === 'complete' ? m : k;
    Qs.push(Q);
    Rs.push(R.subarray(0, rr * n));
  }
  return {
    Q: assemble(Qs, [...batch, m, qc], a.dtype),
    R: assemble(Rs, [...batch, mode === 'complete' ? m : k, n], a.dtype),
  };
}

/** torch.geqrf as loops: R with the Householder vectors below its diagonal, and their tau. */
export function geqrf(a: PlainTensor): { a: PlainTensor; tau: PlainTensor } {
  const [batch, m, n] = checkMatrices('geqrf', 'input', a, false);
  const k = Math.min(m, n);
  const As: Mat[] = [],
    taus: Mat[] = [];
  for (let b = 0; b < numel(batch); b++) {
    const R = matrixOf(a, batch, b);
    const tau = new Float64Array(k);
    for (const { v, tau: t, j } of householder(R, m, n)) {
      tau[j] = t;
      for (let i = j + 1; i < m; i++) R[i * n + j] = v[i];
    }
    As.push(R);
    taus.push(tau);
  }
  return { a: assemble(As, [...batch, m, n], a.dtype), tau: assemble(taus, [...batch, k], a.dtype) };
}
