/**
 * Ready-made parametrizations, as torch.nn.utils.parametrizations: `orthogonal` keeps a weight
 * orthogonal (its columns, or rows when wide, orthonormal) while it trains freely, and
 * `spectralNorm` divides a weight by its largest singular value (estimated by power iteration).
 * Buffers and state-dict names are torch's (`parametrizations.weight.0.base`, `..._u`, `..._v`),
 * so checkpoints move both ways.
 * @example
 * nn.utils.parametrizations.orthogonal(rnn.cell, 'weightHh'); // an orthogonal recurrent matrix
 * nn.utils.parametrizations.spectralNorm(critic.fc1); // a 1-Lipschitz layer (GAN critics)
 * @module parametrizations
 */
import { noGrad } from '../autograd.js';
import { fail } from '../errors.js';
import * as linalg from '../linalg/index.js';
import { geqrf, householderProduct } from '../linalg/householder.js';
import { tidy } from '../memory.js';
import { eye, randn, zeros } from '../ops/creation.js';
import { cat, where } from '../ops/functional.js';
import { checkOptions, describe, intAtLeast, str } from '../options.js';
import { Tensor } from '../tensor.js';
import { ConvTranspose1d, ConvTranspose2d, ConvTranspose3d } from './conv_layers.js';
import { normalize } from './losses_more.js';
import { Module } from './module.js';
import { registerParametrization } from './parametrize.js';

/** The maps of orthogonal: 'matrixExp', 'cayley' or 'householder'. */
export type OrthogonalMap = 'matrixExp' | 'cayley' | 'householder';
/** Options of orthogonal. */
export interface OrthogonalOptions {
  /** The map from unconstrained matrices: matrixExp (square default), cayley, householder (non-square default). */
  orthogonalMap?: OrthogonalMap;
  /** Train a correction to a fixed orthogonal `base` (default true, torch's dynamic trivialization). */
  useTrivialization?: boolean;
}
/** Options of spectralNorm. */
export interface SpectralNormOptions {
  /** Power iterations per forward in training (default 1). */
  nPowerIterations?: number;
  /** The floor of the norms divided by (default 1e-12). */
  eps?: number;
  /** The dim of the output channels (default 0; 1 for the ConvTranspose layers). */
  dim?: number;
}

const MAPS: readonly OrthogonalMap[] = ['matrixExp', 'cayley', 'householder'];
const epsOf = (t: Tensor) => (t.dtype === 'float64' ? 2.220446049250313e-16 : 1.1920928955078125e-7);

// torch's _make_orthogonal: Q of the QR of A with R's diagonal made positive (unique).
function makeOrthogonal(A: Tensor): Tensor {
  return tidy(() => {
    const { a, tau } = geqrf(A);
    return householderProduct(a, tau).mul(a.diagonal(0, -2, -1).sgn().unsqueeze(-2));
  });
}
// Whether Q^T Q is the identity to 10 n eps (torch's _is_orthogonal).
function isOrthogonal(Q: Tensor): boolean {
  return tidy(() => {
    const n = Q.shape[Q.ndim - 2],
      k = Q.shape[Q.ndim - 1];
    const I = eye(k, { dtype: Q.dtype, device: Q.device });
    return Q.mT.matmul(Q).allclose(I, { atol: 10 * n * epsOf(Q) });
  });
}

// A [.., n, k] matrix made tall (n >= k) by transposing a wide one, as torch's maps work on.
function tall(x: Tensor): { m: Tensor; n: number; k: number; transposed: boolean } {
  const rows = x.shape[x.ndim - 2],
    cols = x.shape[x.ndim - 1];
  return rows < cols ? { m: x.mT, n: cols, k: rows, transposed: true } : { m: x, n: rows, k: cols, transposed: false };
}

/**
 * torch's _Orthogonal: X (unconstrained, [.., n, k]) to an orthogonal matrix by the chosen map,
 * times the fixed `base` under trivialization; wide matrices are handled transposed.
 */
class OrthogonalParametrization extends Module {
  declare base?: Tensor | null;
  constructor(
    readonly shape: readonly number[],
    readonly orthogonalMap: OrthogonalMap,
    useTrivialization: boolean,
  ) {
    super();
    if (useTrivialization) this.registerBuffer('base', null);
  }
  override forward(input: Tensor): Tensor {
    return tidy(() => {
      const { m: X, n, k, transposed } = tall(input);
      let Q: Tensor;
      if (this.orthogonalMap === 'householder') {
        const A = X.tril(-1);
        const tau = A.square().sum(-2).add(1).reciprocal().mul(2);
        // torch multiplies column j by int(X[j, j]): -1 from rightInverse, and no gradient reaches it
        Q = householderProduct(A, tau).mul(X.diagonal(0, -2, -1).detach().trunc().unsqueeze(-2));
      } else {
        let L = X.tril();
        if (n !== k) L = cat([L, zeros([...L.shape.slice(0, -2), n, n - k], { dtype: L.dtype, device: L.device })], -1);
        const A = L.sub(L.mT);
        if (this.orthogonalMap === 'matrixExp') Q = linalg.matrixExp(A);
        else {
          const I = eye(n, { dtype: A.dtype, device: A.device });
          Q = linalg.solve(I.sub(A.mul(0.5)), I.add(A.mul(0.5)));
        }
        if (n !== k) Q = Q.narrow(-1, 0, k);
      }
      if (this.base) Q = this.base.matmul(Q);
      return transposed ? Q.mT : Q;
    });
  }
  /** The unconstrained value for an orthogonal (or any full-rank) Q, as torch's right_inverse. */
  rightInverse(Q: Tensor): Tensor {
    const op = 'orthogonal.rightInverse';
    if (!(Q instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: expected a Tensor, got ${describe(Q)}`);
    if (Q.shape.join() !== this.shape.join())
      fail(
        'SHAPE_MISMATCH',
        `${op}: expected a matrix or batch of matrices of shape [${this.shape.join(', ')}], got [${Q.shape.join(', ')}]`,
      );
    return noGrad(() =>
      tidy(() => {
        const { m: q, n, k, transposed } = tall(Q);
        if (this.base === undefined) {
          if (this.orthogonalMap !== 'householder')
            fail(
              'NOT_IMPLEMENTED',
              `${op}: it is not possible to assign to the matrixExp or cayley parametrizations when useTrivialization is false`,
            );
          // q's reflectors, the diagonal set to the signs forward reads back (-1 where tau is 0)
          const { a, tau } = geqrf(q);
          const signs = a.diagonal(0, -2, -1).sgn().mul(tau.eq(0).to(a.dtype).mul(-2).add(1));
          const A = where(eye(n, k, { dtype: 'bool', device: a.device }), signs.unsqueeze(-2), a);
          return transposed ? A.mT : A;
        }
        let base: Tensor;
        if (n === k) base = isOrthogonal(q) ? q.clone() : makeOrthogonal(q);
        else {
          const N = randn([...q.shape.slice(0, -2), n, n - k], { dtype: q.dtype, device: q.device });
          base = makeOrthogonal(cat([q, N], -1));
        }
        const old = this.base;
        this.registerBuffer('base', base.contiguous());
        old?.dispose();
        // -I: every map sends it to the identity, so the tensor starts as base
        const [rows, cols] = Q.shape.slice(-2);
        return eye(rows, cols, { dtype: Q.dtype, device: Q.device }).neg().expand(Q.shape).contiguous();
      }),
    );
  }
}

/**
 * Makes module[name] orthogonal (torch.nn.utils.parametrizations.orthogonal): a [.., n, k]
 * weight keeps orthonormal columns (rows when n < k) while its unconstrained original trains.
 * The map is matrixExp for square weights and householder otherwise unless `orthogonalMap` says;
 * with `useTrivialization` (default) the weight is a fixed orthogonal `base` (registered from the
 * current weight, or its QR's Q) times the map's image, so it starts where it was. Returns the module.
 * @example nn.utils.parametrizations.orthogonal(new nn.Linear(4, 4)).weight // orthogonal
 */
export function orthogonal<M extends Module>(module: M, name = 'weight', options?: OrthogonalOptions): M {
  const op = 'orthogonal';
  if (!(module instanceof Module)) fail('INVALID_ARGUMENT', `${op}: expected an nn.Module, got ${describe(module)}`);
  str(op, 'name', name);
  const o = checkOptions(op, options, { orthogonalMap: 'string', useTrivialization: 'boolean' });
  const weight = (module as unknown as Record<string, unknown>)[name];
  if (!(weight instanceof Tensor))
    fail('INVALID_ARGUMENT', `${op}: ${module.constructor.name} has no parameter or buffer named ${describe(name)}`);
  if (weight.ndim < 2)
    fail('SHAPE_MISMATCH', `${op}: expected a matrix or batch of matrices, got a tensor of ${weight.ndim} dims`);
  const square = weight.shape[weight.ndim - 1] === weight.shape[weight.ndim - 2];
  const map = o.orthogonalMap ?? (square ? 'matrixExp' : 'householder');
  if (!MAPS.includes(map as OrthogonalMap))
    fail('INVALID_ARGUMENT', `${op}: orthogonalMap must be one of ${MAPS.join(', ')}, got ${describe(map)}`);
  const p = new OrthogonalParametrization(weight.shape, map as OrthogonalMap, o.useTrivialization ?? true);
  return registerParametrization(module, name, p, { unsafe: true });
}

/**
 * torch's _SpectralNorm: weight / sigma, sigma = u^T W v with u, v the power method's estimates of
 * W's top singular vectors (one step per forward in training); a 1-D weight is normalised.
 */
class SpectralNormParametrization extends Module {
  declare _u?: Tensor;
  declare _v?: Tensor;
  constructor(
    weight: Tensor,
    readonly nPowerIterations: number,
    readonly dim: number,
    readonly eps: number,
  ) {
    super();
    if (weight.ndim > 1)
      noGrad(() =>
        tidy(() => {
          const W = this.matrix(weight.detach());
          const [h, w] = W.shape;
          const o = { dtype: W.dtype, device: W.device };
          this.registerBuffer('_u', normalize(randn([h], o), { dim: 0, eps }));
          this.registerBuffer('_v', normalize(randn([w], o), { dim: 0, eps }));
          this.powerMethod(W, 15);
        }),
      );
  }
  // The weight as [channels along dim, the rest].
  private matrix(weight: Tensor): Tensor {
    const perm = [this.dim, ...weight.shape.map((_, i) => i).filter((i) => i !== this.dim)];
    return (this.dim === 0 ? weight : weight.permute(perm)).flatten(1);
  }
  // n steps of power iteration on W, updating _u and _v in place (torch's out=).
  private powerMethod(W: Tensor, n: number): void {
    noGrad(() =>
      tidy(() => {
        for (let i = 0; i < n; i++) {
          this._u!.copy_(normalize(W.mv(this._v!), { dim: 0, eps: this.eps }));
          this._v!.copy_(normalize(W.t().mv(this._u!), { dim: 0, eps: this.eps }));
        }
      }),
    );
  }
  override forward(weight: Tensor): Tensor {
    if (weight.ndim === 1) return normalize(weight, { dim: 0, eps: this.eps });
    return tidy(() => {
      const W = this.matrix(weight);
      if (this.training) this.powerMethod(W.detach(), this.nPowerIterations);
      const sigma = this._u!.clone().dot(W.mv(this._v!.clone()));
      return weight.div(sigma);
    });
  }
  /** The weight itself: any matrix is its own original (as torch's). */
  rightInverse(value: Tensor): Tensor {
    return value;
  }
}

/**
 * Divides module[name] by its spectral norm (torch.nn.utils.parametrizations.spectral_norm): the
 * largest singular value of the weight flattened to [size(dim), -1], estimated by power
 * iteration that advances nPowerIterations steps per forward in training (15 on registration).
 * Returns the module.
 * @example nn.utils.parametrizations.spectralNorm(new nn.Linear(20, 40)).weight // sigma_max ~ 1
 */
export function spectralNorm<M extends Module>(module: M, name = 'weight', options?: SpectralNormOptions): M {
  const op = 'spectralNorm';
  if (!(module instanceof Module)) fail('INVALID_ARGUMENT', `${op}: expected an nn.Module, got ${describe(module)}`);
  str(op, 'name', name);
  const o = checkOptions(op, options, { nPowerIterations: 'integer', eps: 'number', dim: 'integer' });
  const weight = (module as unknown as Record<string, unknown>)[name];
  if (!(weight instanceof Tensor))
    fail('INVALID_ARGUMENT', `${op}: ${module.constructor.name} has no parameter or buffer named ${describe(name)}`);
  const n = intAtLeast(op, 'nPowerIterations', o.nPowerIterations ?? 1, 1);
  const eps = o.eps ?? 1e-12;
  if (!(eps > 0)) fail('INVALID_ARGUMENT', `${op}: eps must be positive, got ${describe(eps)}`);
  const transposed =
    module instanceof ConvTranspose1d || module instanceof ConvTranspose2d || module instanceof ConvTranspose3d;
  const dim = o.dim ?? (transposed ? 1 : 0);
  const nd = Math.max(weight.ndim, 1);
  if (dim < -nd || dim >= nd)
    fail('INDEX_OUT_OF_RANGE', `${op}: dim ${dim} is out of range for a weight of ${weight.ndim} dims`);
  const p = new SpectralNormParametrization(weight, n, dim < 0 ? dim + nd : dim, eps);
  return registerParametrization(module, name, p);
}
