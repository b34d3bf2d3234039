// Rows for the dense factorizations (torch.linalg): each native op against its plain reference
// (src/plain/decomp.ts) on float32 and float64, batched and not, in every layout (an expanded
// batch dim; a 2-D input expanded along its rows would be singular, so those rows skip that
// layout), and float64 gradcheck rows for the ops and their compositions.
import * as tk from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { DType } from '../../src/dtype.js';
import * as plain from '../../src/plain/index.js';
import type { PlainTensor } from '../../src/plain/index.js';
import type { OpCase } from './cases.js';
import type { GradCase, GradSpec } from './grad-cases.js';
import type { Layout } from './harness.js';

const { linalg } = tk;
const NO_EXPAND: Layout[] = ['contiguous', 'transposed', 'narrowed'];
const tolOf = (dtype: DType) => (dtype === 'float32' ? { rtol: 1e-4, atol: 1e-4 } : { rtol: 1e-9, atol: 1e-9 });

// Several outputs compared as one: each flattened, then concatenated.
const flat = (...ts: Tensor[]) => tk.cat(ts.map((t) => t.reshape(-1)));
const pflat = (...ts: PlainTensor[]) =>
  plain.cat(
    ts.map((t) => plain.reshape(t, [-1])),
    0,
  );
const toF = (t: PlainTensor, dtype: DType) => plain.to(t, dtype);

// A diagonally dominant matrix (its lower triangle is positive-definite): x + 20 I.
const dominant = (x: Tensor) => x.add(tk.eye(x.shape[x.ndim - 1], { dtype: x.dtype }).mul(20));
const pdominant = (x: PlainTensor) =>
  plain.binary('add', x, plain.binary('mul', plain.eye(x.shape[x.ndim - 1], undefined, x.dtype), 20));

// Native sides build intermediates (the shifted input, factors not compared): tidy keeps only the result.
const tidied = (c: OpCase): OpCase => ({ ...c, native: (...xs) => tk.tidy(() => c.native(...xs)) });

export const decompCases: OpCase[] = (['float32', 'float64'] as DType[]).flatMap((dtype): OpCase[] => {
  const tol = tolOf(dtype);
  const rows: OpCase[] = [
    {
      ops: ['linalg_cholesky_ex'],
      name: `cholesky ${dtype} batched`,
      inputs: [{ shape: [2, 4, 4], dtype }],
      native: (x) => {
        const { L, info } = linalg.choleskyEx(dominant(x));
        return flat(L, info.to(dtype));
      },
      plain: (x) => {
        const { L, info } = plain.choleskyEx(pdominant(x));
        return pflat(L, toF(info, dtype));
      },
      tol,
    },
    {
      ops: ['linalg_cholesky_ex'],
      name: `cholesky upper ${dtype}`,
      inputs: [{ shape: [5, 5], dtype }],
      layouts: NO_EXPAND,
      native: (x) => linalg.choleskyEx(dominant(x), { upper: true }).L,
      plain: (x) => plain.choleskyEx(pdominant(x), true).L,
      tol,
    },
    {
      ops: ['linalg_cholesky_ex'],
      name: `cholesky of an indefinite matrix ${dtype}: info names the minor`,
      inputs: [{ shape: [2, 3, 3], dtype }],
      native: (x) => linalg.choleskyEx(x.sub(1)).info.to(dtype),
      plain: (x) => toF(plain.choleskyEx(plain.binary('sub', x, 1)).info, dtype),
    },
    {
      ops: ['linalg_lu_factor_ex'],
      name: `luFactor ${dtype} batched`,
      inputs: [{ shape: [2, 5, 5], dtype }],
      native: (x) => {
        const { LU, pivots, info } = linalg.luFactorEx(x);
        return flat(LU, pivots.to(dtype), info.to(dtype));
      },
      plain: (x) => {
        const { LU, pivots, info } = plain.luFactorEx(x);
        return pflat(LU, toF(pivots, dtype), toF(info, dtype));
      },
      tol,
    },
    ...(
      [
        [4, 6],
        [6, 3],
      ] as const
    ).map(([m, n]): OpCase => ({
      ops: ['linalg_lu_factor_ex'],
      name: `luFactor ${dtype} ${m} x ${n}`,
      inputs: [{ shape: [m, n], dtype }],
      layouts: NO_EXPAND,
      native: (x) => {
        const { LU, pivots } = linalg.luFactorEx(x);
        return flat(LU, pivots.to(dtype));
      },
      plain: (x) => {
        const { LU, pivots } = plain.luFactorEx(x);
        return pflat(LU, toF(pivots, dtype));
      },
      tol,
    })),
    ...(
      [
        [true, true, false],
        [false, true, true],
        [true, false, false],
        [false, false, true],
      ] as const
    ).map(([upper, left, unitriangular]): OpCase => ({
      ops: ['linalg_solve_triangular'],
      name: `solveTriangular ${dtype} upper=${upper} left=${left} unit=${unitriangular}, batch broadcast`,
      inputs: [
        { shape: [2, 4, 4], dtype },
        { shape: left ? [4, 3] : [3, 4], dtype },
      ],
      native: (a, b) => linalg.solveTriangular(dominant(a), b, { upper, left, unitriangular }),
      plain: (a, b) => plain.solveTriangular(pdominant(a), b, { upper, left, unitriangular }),
      tol,
    })),
    {
      ops: ['linalg_eigh'],
      name: `eigh ${dtype} batched`,
      inputs: [{ shape: [2, 5, 5], dtype }],
      native: (x) => {
        const { eigenvalues, eigenvectors } = linalg.eigh(x);
        return flat(eigenvalues, eigenvectors);
      },
      plain: (x) => {
        const { eigenvalues, eigenvectors } = plain.eigh(x);
        return pflat(eigenvalues, eigenvectors);
      },
      tol,
    },
    {
      ops: ['linalg_eigh'],
      name: `eigh UPLO=U ${dtype}`,
      inputs: [{ shape: [4, 4], dtype }],
      layouts: NO_EXPAND,
      native: (x) => {
        const { eigenvalues, eigenvectors } = linalg.eigh(x, { UPLO: 'U' });
        return flat(eigenvalues, eigenvectors);
      },
      plain: (x) => {
        const { eigenvalues, eigenvectors } = plain.eigh(x, 'U');
        return pflat(eigenvalues, eigenvectors);
      },
      tol,
    },
    ...(
      [
        [2, 5, 3, true],
        [2, 3, 5, true],
        [2, 5, 3, false],
        [2, 3, 5, false],
        [2, 4, 4, true],
      ] as const
    ).map(([b, m, n, full]): OpCase => ({
      ops: ['linalg_svd'],
      name: `svd ${dtype} [${b}, ${m}, ${n}] fullMatrices=${full}`,
      inputs: [{ shape: [b, m, n], dtype }],
      native: (x) => {
        const { U, S, Vh } = linalg.svd(x, { fullMatrices: full });
        return flat(U, S, Vh);
      },
      plain: (x) => {
        const { U, S, Vh } = plain.svd(x, full);
        return pflat(U, S, Vh);
      },
      tol: dtype === 'float32' ? { rtol: 1e-3, atol: 1e-3 } : { rtol: 1e-8, atol: 1e-8 },
    })),
    ...(
      [
        [2, 5, 3, 'reduced'],
        [2, 3, 5, 'reduced'],
        [2, 5, 3, 'complete'],
        [2, 3, 5, 'complete'],
      ] as const
    ).map(([b, m, n, mode]): OpCase => ({
      ops: ['linalg_qr'],
      name: `qr ${dtype} [${b}, ${m}, ${n}] ${mode}`,
      inputs: [{ shape: [b, m, n], dtype }],
      native: (x) => {
        const { Q, R } = linalg.qr(x, { mode });
        return flat(Q, R);
      },
      plain: (x) => {
        const { Q, R } = plain.qr(x, mode);
        return pflat(Q, R);
      },
      tol,
    })),
    {
      ops: ['linalg_qr'],
      name: `qr mode r ${dtype}`,
      inputs: [{ shape: [4, 3], dtype }],
      layouts: NO_EXPAND,
      native: (x) => linalg.qr(x, { mode: 'r' }).R,
      plain: (x) => plain.qr(x).R,
      tol,
    },
    ...(
      [
        [2, 5, 3],
        [2, 3, 5],
      ] as const
    ).map(([b, m, n]): OpCase => ({
      ops: ['linalg_qr'],
      name: `geqrf ${dtype} [${b}, ${m}, ${n}]`,
      inputs: [{ shape: [b, m, n], dtype }],
      native: (x) => {
        const { a, tau } = tk.geqrf(x);
        return flat(a, tau);
      },
      plain: (x) => {
        const { a, tau } = plain.geqrf(x);
        return pflat(a, tau);
      },
      tol,
    })),
  ];
  return rows.map(tidied);
});

const f64 = (shape: number[], grad = true): GradSpec => ({ shape, dtype: 'float64', range: [-1, 1], grad });
const eye64 = (n: number) => tk.eye(n, { dtype: 'float64' });
const spd = (x: Tensor) => x.matmul(x.mT).add(eye64(x.shape[x.ndim - 1]).mul(2));
const sym = (x: Tensor) => x.add(x.mT);
const wellPosed = (x: Tensor) => x.add(eye64(x.shape[x.ndim - 1]).mul(3));

export const decompGradRows: GradCase[] = [
  { ops: ['linalg_cholesky_ex'], name: 'cholesky', inputs: [f64([2, 3, 3])], fn: (x) => linalg.cholesky(spd(x)) },
  {
    ops: ['linalg_cholesky_ex'],
    name: 'cholesky upper',
    inputs: [f64([3, 3])],
    layouts: NO_EXPAND,
    fn: (x) => linalg.cholesky(spd(x), { upper: true }),
  },
  {
    ops: ['linalg_solve_triangular'],
    name: 'solveTriangular lower, batch broadcast',
    inputs: [f64([2, 3, 3]), f64([3, 2])],
    fn: (a, b) => linalg.solveTriangular(wellPosed(a), b, { upper: false }),
  },
  {
    ops: ['linalg_solve_triangular'],
    name: 'solveTriangular upper right unit',
    inputs: [f64([3, 3]), f64([2, 3])],
    layouts: NO_EXPAND,
    fn: (a, b) => linalg.solveTriangular(a, b, { upper: true, left: false, unitriangular: true }),
  },
  {
    ops: ['linalg_lu_factor_ex'],
    name: 'luFactor (packed LU)',
    inputs: [f64([2, 4, 4])],
    fn: (a) => linalg.luFactorEx(wellPosed(a)).LU,
  },
  ...(
    [
      [3, 5],
      [5, 3],
    ] as const
  ).map(([m, n]): GradCase => ({
    ops: ['linalg_lu_factor_ex'],
    name: `luFactor ${m} x ${n} (packed LU)`,
    inputs: [f64([2, m, n])],
    fn: (a) => linalg.luFactorEx(a).LU,
  })),
  {
    ops: ['linalg_lu_factor_ex', 'linalg_solve_triangular'],
    name: 'solve, batch broadcast',
    inputs: [f64([2, 3, 3]), f64([3, 2])],
    fn: (a, b) => linalg.solve(wellPosed(a), b),
  },
  {
    ops: ['linalg_lu_factor_ex', 'linalg_solve_triangular'],
    name: 'inv',
    inputs: [f64([3, 3])],
    layouts: NO_EXPAND,
    fn: (a) => linalg.inv(wellPosed(a)),
  },
  {
    ops: ['linalg_lu_factor_ex'],
    name: 'det and slogdet',
    inputs: [f64([2, 3, 3])],
    fn: (a) => tk.cat([linalg.det(wellPosed(a)), linalg.slogdet(wellPosed(a)).logabsdet]),
  },
  {
    ops: ['linalg_eigh'],
    name: 'eigh values and vectors',
    inputs: [f64([2, 4, 4])],
    fn: (a) => {
      const { eigenvalues, eigenvectors } = linalg.eigh(sym(a));
      return tk.cat([eigenvalues.reshape(-1), eigenvectors.reshape(-1)]);
    },
  },
  {
    ops: ['linalg_eigh'],
    name: 'eigvalsh (no eigenvector gradient)',
    inputs: [f64([3, 3])],
    layouts: NO_EXPAND,
    fn: (a) => linalg.eigvalsh(sym(a), { UPLO: 'U' }),
  },
  ...(
    [
      [5, 3],
      [3, 5],
      [4, 4],
    ] as const
  ).map(([m, n]): GradCase => ({
    ops: ['linalg_svd'],
    name: `svd ${m} x ${n}, every factor`,
    inputs: [f64([2, m, n])],
    fn: (a) => {
      const { U, S, Vh } = linalg.svd(a, { fullMatrices: false });
      return tk.cat([U.reshape(-1), S.reshape(-1), Vh.reshape(-1)]);
    },
  })),
  {
    ops: ['linalg_svd'],
    name: 'svdvals, pinv and the nuclear norm',
    inputs: [f64([4, 3])],
    layouts: NO_EXPAND,
    fn: (a) => tk.cat([linalg.svdvals(a), linalg.pinv(a).reshape(-1), linalg.matrixNorm(a, 'nuc').reshape(1)]),
  },
  ...(
    [
      [5, 3],
      [3, 5],
    ] as const
  ).map(([m, n]): GradCase => ({
    ops: ['linalg_qr'],
    name: `qr ${m} x ${n}`,
    inputs: [f64([2, m, n])],
    fn: (a) => {
      const { Q, R } = linalg.qr(a);
      return tk.cat([Q.reshape(-1), R.reshape(-1)]);
    },
  })),
  {
    ops: ['matmul'],
    name: 'householderProduct and ormqr (left, right, transposed)',
    inputs: [f64([2, 5, 3]), f64([2, 3]), f64([2, 5, 2]), f64([2, 2, 5])],
    fn: (a, tau, c, r) =>
      tk.cat([
        linalg.householderProduct(a, tau).reshape(-1),
        tk.ormqr(a, tau, c, true, true).reshape(-1),
        tk.ormqr(a, tau, r, false).reshape(-1),
      ]),
  },
  {
    ops: ['linalg_lu_factor_ex', 'linalg_solve_triangular'],
    name: 'tensorinv, tensorsolve and solveEx',
    inputs: [f64([2, 3, 3, 2]), f64([2, 3, 6]), f64([2, 3])],
    layouts: NO_EXPAND,
    fn: (a, s, b) =>
      tk.cat([
        linalg.tensorinv(wellPosed(a.reshape([6, 6])).reshape([2, 3, 3, 2])).reshape(-1),
        linalg.tensorsolve(wellPosed(s.reshape([6, 6])).reshape([2, 3, 6]), b),
        linalg.solveEx(wellPosed(s.reshape([6, 6])), b.reshape(-1), { left: false }).result,
      ]),
  },
  {
    ops: ['linalg_lu_factor_ex', 'linalg_solve_triangular'],
    name: 'matrixExp and matrixPower(-2)',
    inputs: [f64([3, 3])],
    layouts: NO_EXPAND,
    fn: (a) => tk.cat([linalg.matrixExp(a).reshape(-1), linalg.matrixPower(wellPosed(a), -2).reshape(-1)]),
  },
  {
    ops: ['linalg_svd'],
    name: 'lstsq',
    inputs: [f64([5, 3]), f64([5, 2])],
    layouts: NO_EXPAND,
    fn: (a, b) => linalg.lstsq(a, b).solution,
  },
];
