// nn.utils: gradient clipping over a model's parameters.
/**
 * Gradient clipping over a model's parameters (torch.nn.utils).
 *
 * @example
 * nn.utils.clipGradNorm_(model.parameters(), 1.0);
 * @module utils
 */
import { tensorList } from '../args.js';
import { noGrad } from '../autograd.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { stack } from '../ops/functional.js';
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
