// nn.utils: gradient clipping over a model's parameters and parameter vectors; from packed.ts the
// padded and packed sequences (also as the namespace rnn, torch's nn.utils.rnn), from reparam.ts
// the weight and spectral normalizations, (fusion.ts) conv/linear + batch norm folding, and
// (functional_call.ts) functionalCall (also as the namespace stateless).
/**
 * Gradient clipping over a model's parameters, parameters as one vector, padSequence, the
 * weightNorm and spectralNorm reparametrizations (torch.nn.utils and its rnn.pad_sequence),
 * batch-norm folding (fuseConvBnEval, fuseLinearBnEval) and functionalCall.
 *
 * @example
 * nn.utils.clipGradNorm_(model.parameters(), 1.0);
 * @module utils
 */
import { tensorList } from '../args.js';
import { noGrad } from '../autograd.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { cat, stack } from '../ops/functional.js';
import { describe } from '../options.js';
import { Tensor } from '../tensor.js';

function gradsOf(op: string, params: Tensor | readonly Tensor[]): Tensor[] {
  const list = tensorList(op, 'parameters', params instanceof Tensor ? [params] : params);
  // A tensor listed twice (a tied weight) has one gradient: count and scale it once.
  return [...new Set(list)].map((p) => p.grad).filter((g): g is Tensor => g !== null);
}

/**
 * Scales all gradients together so their global norm is at most maxNorm; returns the norm before
 * clipping (torch.nn.utils.clip_grad_norm_). normType: a positive number or Infinity.
 * @example nn.utils.clipGradNorm_(model.parameters(), 1.0)
 */
export function clipGradNorm_(params: Tensor | readonly Tensor[], maxNorm: number, normType = 2): number {
  const op = 'clipGradNorm_';
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0))
    fail('INVALID_ARGUMENT', `${op}: maxNorm must be a non-negative number, got ${describe(maxNorm)}`);
  if (typeof normType !== 'number' || !(normType > 0))
    fail('INVALID_ARGUMENT', `${op}: normType must be positive (or Infinity), got ${describe(normType)}`);
  const grads = gradsOf(op, params);
  try {
    if (grads.length === 0) return 0;
    const total = tidy(() =>
      noGrad(() => {
        const norms = grads.map((g) =>
          normType === Infinity ? g.abs().max().to('float64') : g.abs().pow(normType).sum().to('float64'),
        );
        const all = stack(norms);
        return normType === Infinity ? (all.max().item() as number) : (all.sum().item() as number) ** (1 / normType);
      }),
    );
    const coef = maxNorm / (total + 1e-6);
    if (coef < 1) noGrad(() => grads.forEach((g) => g.mul_(coef)));
    return total;
  } finally {
    grads.forEach((g) => g.dispose());
  }
}

/**
 * Clamps every gradient element into [-clipValue, clipValue] (torch.nn.utils.clip_grad_value_).
 * @example nn.utils.clipGradValue_(model.parameters(), 0.5)
 */
export function clipGradValue_(params: Tensor | readonly Tensor[], clipValue: number): void {
  const op = 'clipGradValue_';
  if (typeof clipValue !== 'number' || !(clipValue >= 0))
    fail('INVALID_ARGUMENT', `${op}: clipValue must be a non-negative number, got ${describe(clipValue)}`);
  const grads = gradsOf(op, params);
  noGrad(() => grads.forEach((g) => g.clamp_(-clipValue, clipValue)));
  grads.forEach((g) => g.dispose());
}

/**
 * The parameters flattened and concatenated into one 1-D tensor (torch.nn.utils.parameters_to_vector).
 * @example const v = nn.utils.parametersToVector(model.parameters())
 */
export function parametersToVector(parameters: readonly Tensor[]): Tensor {
  const ps = tensorList('parametersToVector', 'parameters', parameters);
  if (ps.length === 0) fail('INVALID_ARGUMENT', 'parametersToVector: expected at least one parameter');
  return tidy(() => cat(ps.map((p) => p.reshape([-1]))));
}

/**
 * Copies consecutive slices of a 1-D vector into the parameters, in place (torch.nn.utils.vector_to_parameters).
 * @example nn.utils.vectorToParameters(v, model.parameters())
 */
export function vectorToParameters(vec: Tensor, parameters: readonly Tensor[]): void {
  const op = 'vectorToParameters';
  if (!(vec instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: expected a Tensor, got ${describe(vec)}`);
  const ps = tensorList(op, 'parameters', parameters);
  const total = ps.reduce((n, p) => n + p.numel(), 0);
  if (vec.ndim !== 1 || vec.numel() !== total)
    fail('SHAPE_MISMATCH', `${op}: expected a 1-D vector of ${total} elements, got [${vec.shape.join(', ')}]`);
  noGrad(() =>
    tidy(() => {
      let off = 0;
      for (const p of ps) {
        p.copy_(vec.narrow(0, off, p.numel()).reshape(p.shape));
        off += p.numel();
      }
    }),
  );
}

export { weightNorm, removeWeightNorm, spectralNorm, removeSpectralNorm, type SpectralNormOptions } from './reparam.js';
// torch.nn.utils.rnn's and stateless's functions, both here and under those namespaces.
export * from './utils_rnn.js';
export * as rnn from './utils_rnn.js';
export * from './utils_stateless.js';
export * as stateless from './utils_stateless.js';
export {
  fuseConvBnEval,
  fuseConvBnWeights,
  fuseLinearBnEval,
  fuseLinearBnWeights,
  type FusableBatchNorm,
  type FusableConv,
} from './fusion.js';
export { deepCopy } from './copy.js';
export * as prune from './prune.js';
export * as parametrize from './parametrize.js';
export * as parametrizations from './parametrizations.js';
