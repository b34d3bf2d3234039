// The torch.Tensor methods (and torch.* functions) of linear algebra: the .mT view, inverse, det, logdet,
// slogdet, pinverse, matrixPower, matrixExp, cholesky, choleskySolve, choleskyInverse, geqrf, orgqr,
// ormqr, and torch.svd and torch.qr with their older conventions (V rather than Vh; `some`). Each is a call into the
// linalg namespace.
import { tensorArg } from '../args.js';
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { bool, num } from '../options.js';
import { freeFunction } from '../ops/free.js';
import { where } from '../ops/functional.js';
import { Tensor } from '../tensor.js';
import { geqrf as geqrfOf, householderProduct, ormqr as ormqrOf } from './householder.js';
import * as linalg from './index.js';

declare module '../tensor.js' {
  interface Tensor<D extends DType = DType> {
    /** The last two dims swapped, a view (PyTorch's `.mT`): a batch of matrices transposed. */
    readonly mT: Tensor<D>;
    /** The inverse of square matrices (torch.inverse; linalg.inv). @example A.inverse() */
    inverse(): Tensor<D>;
    /** The determinant (torch.det; linalg.det). @example A.det() */
    det(): Tensor<D>;
    /** log(det): NaN where the determinant is negative, -Infinity where it is 0 (torch.logdet). */
    logdet(): Tensor<D>;
    /** { sign, logabsdet } of the determinant (torch.slogdet; linalg.slogdet). */
    slogdet(): { sign: Tensor<D>; logabsdet: Tensor<D> };
    /** The pseudo-inverse, singular values below rcond * largest dropped (torch.pinverse). */
    pinverse(rcond?: number): Tensor<D>;
    /** This square matrix to an integer power (torch.matrix_power). @example A.matrixPower(2) */
    matrixPower(n: number): Tensor<D>;
    /** The matrix exponential (torch.matrix_exp). */
    matrixExp(): Tensor<D>;
    /** The Cholesky factor, lower (or upper) (torch.cholesky). @example A.cholesky() */
    cholesky(upper?: boolean): Tensor<D>;
    /** Solves A X = this given A's Cholesky factor L (torch.cholesky_solve). @example B.choleskySolve(L) */
    choleskySolve(L: Tensor, upper?: boolean): Tensor<D>;
    /** The inverse of A from this, its Cholesky factor (torch.cholesky_inverse). */
    choleskyInverse(upper?: boolean): Tensor<D>;
    /**
     * torch.svd: { U, S, V } with this = U diag(S) V^T (V, not Vh), reduced unless `some` is
     * false. @example const { U, S, V } = A.svd()
     */
    svd(some?: boolean): { U: Tensor<D>; S: Tensor<D>; V: Tensor<D> };
    /** torch.qr: { Q, R }, reduced unless `some` is false. @example const { Q, R } = A.qr() */
    qr(some?: boolean): { Q: Tensor<D>; R: Tensor<D> };
    /** torch.geqrf: the QR factorization as packed reflectors and tau. @example const { a, tau } = A.geqrf() */
    geqrf(): { a: Tensor<D>; tau: Tensor<D> };
    /** torch.orgqr: Q from this (geqrf's `a`) and tau (linalg.householderProduct). @example a.orgqr(tau) */
    orgqr(tau: Tensor): Tensor<D>;
    /**
     * torch.ormqr: `other` multiplied by the Q of this (geqrf's `a`) and tau, on the left or the
     * right, transposed or not. @example a.ormqr(tau, B) // Q B
     */
    ormqr(tau: Tensor, other: Tensor, left?: boolean, transpose?: boolean): Tensor<D>;
  }
}

const proto = Tensor.prototype;

Object.defineProperty(proto, 'mT', {
  get(this: Tensor) {
    if (this.ndim < 2) fail('SHAPE_MISMATCH', `mT: expected a tensor with at least 2 dimensions, got ${this.ndim}`);
    return this.transpose(-2, -1);
  },
  configurable: true,
});

proto.inverse = function (this: Tensor) {
  return linalg.inv(this);
};
proto.det = function (this: Tensor) {
  return linalg.det(this);
};
proto.logdet = function (this: Tensor) {
  const { sign, logabsdet } = linalg.slogdet(this);
  return tidy(() => where(sign.lt(0), NaN, logabsdet));
};
proto.slogdet = function (this: Tensor) {
  return linalg.slogdet(this);
};
proto.pinverse = function (this: Tensor, rcond = 1e-15) {
  return linalg.pinv(this, { rtol: num('pinverse', 'rcond', rcond) });
};
proto.matrixPower = function (this: Tensor, n: number) {
  return linalg.matrixPower(this, n);
};
proto.matrixExp = function (this: Tensor) {
  return linalg.matrixExp(this);
};
proto.cholesky = function (this: Tensor, upper = false) {
  return linalg.cholesky(this, { upper: bool('cholesky', 'upper', upper) });
};
proto.choleskySolve = function (this: Tensor, L: Tensor, upper = false) {
  return linalg.choleskySolve(this, tensorArg('choleskySolve', 'L', L), {
    upper: bool('choleskySolve', 'upper', upper),
  });
};
proto.choleskyInverse = function (this: Tensor, upper = false) {
  return linalg.choleskyInverse(this, { upper: bool('choleskyInverse', 'upper', upper) });
};
proto.svd = function (this: Tensor, some = true) {
  const { U, S, Vh } = linalg.svd(this, { fullMatrices: !bool('svd', 'some', some) });
  const V = Vh.mT.contiguous();
  Vh.dispose();
  return { U, S, V };
};
proto.qr = function (this: Tensor, some = true) {
  return linalg.qr(this, { mode: bool('qr', 'some', some) ? 'reduced' : 'complete' });
};

proto.geqrf = function (this: Tensor) {
  return geqrfOf(this);
};
proto.orgqr = function (this: Tensor, tau: Tensor) {
  return householderProduct(this, tau);
};
proto.ormqr = function (this: Tensor, tau: Tensor, other: Tensor, left = true, transpose = false) {
  return ormqrOf(this, tau, other, left, transpose);
};

/** torch.inverse. @example inverse(A) */
export const inverse = freeFunction('inverse');
/** torch.det. @example det(A) */
export const det = freeFunction('det');
/** torch.logdet. */
export const logdet = freeFunction('logdet');
/** torch.slogdet. */
export const slogdet = freeFunction('slogdet');
/** torch.pinverse. */
export const pinverse = freeFunction('pinverse');
/** torch.matrix_power. */
export const matrixPower = freeFunction('matrixPower');
/** torch.matrix_exp. */
export const matrixExp = freeFunction('matrixExp');
/** torch.cholesky. */
export const cholesky = freeFunction('cholesky');
/** torch.cholesky_solve(B, L). */
export const choleskySolve = freeFunction('choleskySolve');
/** torch.cholesky_inverse. */
export const choleskyInverse = freeFunction('choleskyInverse');
/** torch.svd. */
export const svd = freeFunction('svd');
/** torch.qr. */
export const qr = freeFunction('qr');
/** torch.geqrf: { a, tau }, the QR factorization as LAPACK's packed reflectors. @example geqrf(A) */
export const geqrf = freeFunction('geqrf');
/** torch.orgqr(a, tau): Q from geqrf's reflectors (linalg.householderProduct). */
export const orgqr = freeFunction('orgqr');
/** torch.ormqr(a, tau, other, left?, transpose?): other multiplied by geqrf's Q. */
export const ormqr = freeFunction('ormqr');
