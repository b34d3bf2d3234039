// Householder reflectors in LAPACK's packed form: geqrf (the native QR kernel stopped before it
// forms Q), householderProduct (orgqr) and ormqr, which apply them. A reflector is
// H_i = I - tau_i v_i v_i^T with v_i = (0 .. 0, 1, A[i + 1 .., i]): the 1 on the diagonal is
// implied and nothing on or above the diagonal of A is read. The last two are compositions of
// matmuls, so they are differentiable (to any order) in A, tau and the other operand.
import { matrixArg, tensorArg } from '../args.js';
import { isFloating } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { bool } from '../options.js';
import { eye } from '../ops/creation.js';
import { opMulti } from '../ops/dispatch.js';
import type { Tensor } from '../tensor.js';

/**
 * The QR factorization in LAPACK's packed form (torch.geqrf): `a` holds R on and above its
 * diagonal and the Householder vectors below it, `tau` [.., min(m, n)] their scales, so that
 * `householderProduct(a, tau)` is Q. Not differentiable (as in PyTorch: use linalg.qr).
 * @example const { a, tau } = tk.geqrf(A); const Q = linalg.householderProduct(a, tau)
 */
export function geqrf(A: Tensor): { a: Tensor; tau: Tensor } {
  const input = matrixArg('geqrf', 'input', A);
  const [a, tau] = opMulti('linalg_qr', ['geqrf'], input.detach()._h);
  return { a, tau };
}

// Checks the reflectors and their scales: tau [.., k] with input's batch dims and dtype, k at
// most input's columns. Returns k.
function reflectors(op: string, input: Tensor, tau: Tensor): number {
  if (!isFloating(input.dtype)) fail('DTYPE_MISMATCH', `${op}: expected a floating input, got ${input.dtype}`);
  if (tau.dtype !== input.dtype)
    fail('DTYPE_MISMATCH', `${op}: tau must have the input's dtype ${input.dtype}, got ${tau.dtype}`);
  if (tau.ndim !== input.ndim - 1)
    fail(
      'SHAPE_MISMATCH',
      `${op}: expected tau to have one dimension less than input, but got tau.ndim equal to ${tau.ndim} and input.ndim equal to ${input.ndim}`,
    );
  const batch = input.shape.slice(0, -2);
  if (batch.some((s, i) => s !== tau.shape[i]))
    fail(
      'SHAPE_MISMATCH',
      `${op}: expected batch dimensions of tau to be equal to input.shape[:-2], got [${tau.shape.slice(0, -1).join(', ')}] and [${batch.join(', ')}]`,
    );
  const k = tau.shape[tau.ndim - 1];
  if (k > input.shape[input.ndim - 1])
    fail(
      'SHAPE_MISMATCH',
      `${op}: input.shape[-1] must be greater than or equal to tau.shape[-1], got ${input.shape[input.ndim - 1]} and ${k}`,
    );
  return k;
}

// Applies the reflectors i = 0 .. k - 1 of input to c: H_0 .. H_{k-1} c from the left (the
// reverse order when `transpose`), or c H_0 .. H_{k-1} from the right (reversed when not). Column
// i of V is v_i, zero above row i, so each step is one rank-1 update of the whole of c.
function applyReflectors(input: Tensor, tau: Tensor, k: number, c: Tensor, left: boolean, transpose: boolean): Tensor {
  const mn = input.shape[input.ndim - 2];
  const V = input
    .narrow(-1, 0, k)
    .tril(-1)
    .add(eye(mn, k, { dtype: input.dtype, device: input.device }));
  const forward = left === transpose; // H_0 first
  for (let s = 0; s < k; s++) {
    const i = forward ? s : k - 1 - s;
    const v = V.narrow(-1, i, 1); // [.., mn, 1]
    const t = tau.narrow(-1, i, 1).unsqueeze(-1); // [.., 1, 1]
    c = c.sub(left ? v.matmul(v.mT.matmul(c)).mul(t) : c.matmul(v).matmul(v.mT).mul(t));
  }
  return c;
}

/**
 * The first n columns of the product H_0 .. H_{k-1} of Householder reflectors (torch.linalg.
 * householder_product, torch.orgqr): input [.., m, n] (m >= n) holds v_i below its diagonal,
 * tau [.., k] (k <= n) their scales; with geqrf's output it is linalg.qr's Q. Differentiable.
 * @example const { a, tau } = tk.geqrf(A); linalg.householderProduct(a, tau)
 */
export function householderProduct(A: Tensor, tau: Tensor): Tensor {
  const op = 'linalg.householderProduct';
  const input = matrixArg(op, 'input', A);
  const t = tensorArg(op, 'tau', tau);
  const m = input.shape[input.ndim - 2],
    n = input.shape[input.ndim - 1];
  if (m < n)
    fail(
      'SHAPE_MISMATCH',
      `${op}: input.shape[-2] must be greater than or equal to input.shape[-1], got ${m} and ${n}`,
    );
  const k = reflectors(op, input, t);
  return tidy(() => {
    const I = eye(m, n, { dtype: input.dtype, device: input.device }).expand(input.shape);
    return applyReflectors(input, t, k, I, true, false);
  });
}

/**
 * Multiplies `other` [.., m, n] by Q = H_0 .. H_{k-1}, the full orthogonal matrix of geqrf's
 * reflectors (torch.ormqr): Q other (`left`, the default) or other Q, with Q^T when `transpose`.
 * input [.., mn, k'] (mn is m when left, else n), tau [.., k]. Differentiable.
 * @example const { a, tau } = tk.geqrf(A); tk.ormqr(a, tau, B, true, true) // Q^T B
 */
export function ormqr(A: Tensor, tau: Tensor, other: Tensor, left = true, transpose = false): Tensor {
  const op = 'ormqr';
  const input = matrixArg(op, 'input', A);
  const t = tensorArg(op, 'tau', tau);
  const c = matrixArg(op, 'other', other);
  bool(op, 'left', left);
  bool(op, 'transpose', transpose);
  const k = reflectors(op, input, t);
  const mn = input.shape[input.ndim - 2];
  const side = left ? c.shape[c.ndim - 2] : c.shape[c.ndim - 1];
  if (side !== mn)
    fail(
      'SHAPE_MISMATCH',
      `${op}: input.shape[-2] must equal other.shape[${left ? -2 : -1}] (left=${left}), got ${mn} and ${side}`,
    );
  if (k > mn) fail('SHAPE_MISMATCH', `${op}: tau.shape[-1] must be at most input.shape[-2], got ${k} and ${mn}`);
  if (c.dtype !== input.dtype)
    fail('DTYPE_MISMATCH', `${op}: other must have the input's dtype ${input.dtype}, got ${c.dtype}`);
  const batch = input.shape.slice(0, -2);
  if (c.ndim !== input.ndim || batch.some((s, i) => s !== c.shape[i]))
    fail(
      'SHAPE_MISMATCH',
      `${op}: expected batch dimensions of other to be equal to input.shape[:-2], got [${c.shape.slice(0, -2).join(', ')}] and [${batch.join(', ')}]`,
    );
  return tidy(() => applyReflectors(input, t, k, c, left, transpose));
}
