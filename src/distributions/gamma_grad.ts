// Reparameterised Gamma draws by implicit differentiation (Figurnov et al., 2018): a draw x of
// Gamma(alpha, 1) is a fixed quantile u = P(alpha, x) of its distribution, so
// dx/dalpha = -(dP/dalpha)(alpha, x) / f(x; alpha), P the regularised lower incomplete gamma and f
// the density. dP/dalpha comes from P's series sum_k x^(alpha+k) e^-x / Gamma(alpha+k+1), each
// term differentiated (times log x - digamma(alpha+k+1)); past alpha = 1000 from the
// Wilson-Hilferty cube-root normal approximation, whose derivative is within 1e-6 there. The
// result agrees with PyTorch's _standard_gamma_grad (itself an approximation) to 1e-3 relative.
// Beta and Dirichlet draws are ratios of these, so they become reparameterised too.
import { CustomFunction, type FunctionCtx } from '../autograd_function.js';
import { tidy } from '../memory.js';
import { tensor } from '../ops/creation.js';
import { digamma, lgamma } from '../plain/math.js';
import type { Tensor } from '../tensor.js';

/** dx/dalpha at a draw x of Gamma(alpha, 1), the quantile held fixed. */
export function standardGammaGrad(alpha: number, x: number): number {
  if (!(x > 0) || !(alpha > 0)) return Number.isNaN(x) || Number.isNaN(alpha) ? NaN : 0;
  if (!Number.isFinite(x)) return NaN;
  if (alpha > 1000) {
    const s = Math.sqrt(1 / (9 * alpha));
    const z = (Math.cbrt(x / alpha) - 1 + 1 / (9 * alpha)) / s;
    const b = 1 - 1 / (9 * alpha) + z * s;
    return b ** 3 + 3 * alpha * b * b * (1 / (9 * alpha * alpha) - z / (6 * alpha ** 1.5));
  }
  const lx = Math.log(x);
  let logTerm = alpha * lx - x - lgamma(alpha + 1);
  let psi = digamma(alpha + 1);
  let sum = 0;
  // The terms rise until k ~ x - alpha, then fall geometrically; stop when they no longer count.
  const minTerms = x + 50 + 10 * Math.sqrt(x);
  for (let k = 0; k < 1e6; k++) {
    const term = Math.exp(logTerm) * (lx - psi);
    sum += term;
    if (k > minTerms && Math.abs(term) <= 1e-17 * Math.abs(sum)) break;
    psi += 1 / (alpha + k + 1);
    logTerm += lx - Math.log(alpha + k + 1);
  }
  const logDensity = (alpha - 1) * lx - x - lgamma(alpha);
  return -sum / Math.exp(logDensity);
}

/**
 * @internal x (standard Gamma draws of concentration alpha, drawn without gradient) as an output
 * of alpha: the backward multiplies by dx/dalpha. The backward is not itself differentiable.
 */
export class StandardGammaDraw extends CustomFunction {
  static forward(ctx: FunctionCtx, alpha: Tensor, x: Tensor): Tensor {
    ctx.saveForBackward(alpha, x);
    return x.clone();
  }
  static backward(ctx: FunctionCtx, g: Tensor): (Tensor | null)[] {
    const [alpha, x] = ctx.savedTensors as Tensor[];
    return tidy(() => {
      const a = alpha.to('float64').data() as Float64Array,
        v = x.to('float64').data() as Float64Array;
      const d = Float64Array.from(a, (ai, i) => standardGammaGrad(ai, v[i]));
      const dxda = tensor(d, { dtype: 'float64', device: x.device }).reshape(x.shape).to(g.dtype);
      return [g.mul(dxda), null];
    });
  }
}
