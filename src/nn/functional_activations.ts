// The activations of torch.nn.functional beyond relu, gelu, silu, sigmoid and tanh: elu, selu and
// celu (one native op, elu, with PyTorch's alpha, scale and input scale), hardtanh and relu6,
// hardsigmoid and hardswish (native ops, each with a one-pass backward kernel in nn.grad), and,
// composed of differentiable tensor ops, softplus, logsigmoid, mish, softsign, prelu, glu and the
// rest. Re-exported by functional.ts.
//
// Contract: the values are torch's, and so are the gradients, including at the kinks: where torch
// takes a strict comparison (hardtanh passes the gradient only strictly inside its bounds), so do
// these (the native backward kernels compare as torch's do; the composites choose branches with
// `where` rather than clamping).
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { checkOptions, int, num } from '../options.js';
import { op as runOp } from '../ops/dispatch.js';
import { where } from '../ops/functional.js';
import type { Tensor } from '../tensor.js';
import { tensorArg } from './args.js';

// x scale where x > 0, else alpha scale (e^(x inputScale) - 1): PyTorch's elu kernel, whose
// negative side is expm1 (exact near 0) and whose gradient at 0 is the negative side's.
function expLinear(op: string, input: Tensor, alpha: number, scale: number, inputScale: number): Tensor {
  tensorArg(op, 'input', input);
  num(op, 'alpha', alpha);
  return runOp('elu', [alpha, scale, inputScale], input._h);
}

/** torch.nn.functional.elu: x where x > 0, else alpha (e^x - 1). @example F.elu(x) */
export function elu<F extends DType>(input: Tensor<F>, alpha?: number): Tensor<F>;
export function elu(input: Tensor, alpha = 1): Tensor {
  return expLinear('elu', input, alpha, 1, 1);
}

/** torch.nn.functional.celu: x where x > 0, else alpha (e^(x / alpha) - 1). @example F.celu(x, 2) */
export function celu<F extends DType>(input: Tensor<F>, alpha?: number): Tensor<F>;
export function celu(input: Tensor, alpha = 1): Tensor {
  if (alpha === 0) fail('INVALID_ARGUMENT', 'celu: alpha must not be 0');
  return expLinear('celu', input, alpha, 1, 1 / num('celu', 'alpha', alpha));
}

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/** torch.nn.functional.selu: scale * elu(x, alpha) with the self-normalising constants. @example F.selu(x) */
export function selu<F extends DType>(input: Tensor<F>): Tensor<F>;
export function selu(input: Tensor): Tensor {
  return expLinear('selu', input, SELU_ALPHA, SELU_SCALE, 1);
}

/**
 * torch.nn.functional.softplus: log(1 + e^(beta x)) / beta, and x itself where beta x > threshold
 * (where the two agree to float precision). @example F.softplus(x, { beta: 2 })
 */
export function softplus<F extends DType>(input: Tensor<F>, options?: { beta?: number; threshold?: number }): Tensor<F>;
export function softplus(input: Tensor, options?: { beta?: number; threshold?: number }): Tensor {
  tensorArg('softplus', 'input', input);
  const o = checkOptions('softplus', options, { beta: 'number', threshold: 'number' });
  const beta = num('softplus', 'beta', o.beta ?? 1),
    threshold = num('softplus', 'threshold', o.threshold ?? 20);
  return tidy(() => {
    const bx = input.mul(beta);
    return where(bx.gt(threshold), input, bx.clamp(null, threshold).exp().log1p().div(beta));
  });
}

/** torch.nn.functional.logsigmoid: log(sigmoid(x)), stably: min(x, 0) - log(1 + e^-|x|). */
export function logsigmoid<F extends DType>(input: Tensor<F>): Tensor<F>;
export function logsigmoid(input: Tensor): Tensor {
  tensorArg('logsigmoid', 'input', input);
  // as torch's backward: at 0 the gradient is 1/2 (the positive side's formula)
  return tidy(() => {
    const negative = input.lt(0);
    return where(negative, input, 0).sub(where(negative, input, input.neg()).exp().log1p());
  });
}

/**
 * torch.nn.functional.hardtanh: x clipped to [minVal, maxVal], one native op; the gradient passes
 * strictly inside the bounds only, as torch's. @example F.hardtanh(x, -2, 2)
 */
export function hardtanh<F extends DType>(input: Tensor<F>, minVal?: number, maxVal?: number): Tensor<F>;
export function hardtanh(input: Tensor, minVal = -1, maxVal = 1): Tensor {
  tensorArg('hardtanh', 'input', input);
  num('hardtanh', 'minVal', minVal);
  num('hardtanh', 'maxVal', maxVal);
  if (minVal > maxVal) fail('INVALID_ARGUMENT', `hardtanh: minVal ${minVal} is above maxVal ${maxVal}`);
  return runOp('hardtanh', [minVal, maxVal], input._h);
}

/** torch.nn.functional.relu6: hardtanh(x, 0, 6). @example F.relu6(x) */
export function relu6<F extends DType>(input: Tensor<F>): Tensor<F>;
export function relu6(input: Tensor): Tensor {
  return hardtanh(input, 0, 6);
}

/** torch.nn.functional.hardsigmoid: relu6(x + 3) / 6, one native op. @example F.hardsigmoid(x) */
export function hardsigmoid<F extends DType>(input: Tensor<F>): Tensor<F>;
export function hardsigmoid(input: Tensor): Tensor {
  tensorArg('hardsigmoid', 'input', input);
  return runOp('hardsigmoid', [], input._h);
}

/**
 * torch.nn.functional.hardswish: x relu6(x + 3) / 6 (MobileNetV3), one native op; its gradient,
 * as torch's, is 0 below -3, x / 3 + 1/2 from -3 up to 3 (inclusive), and 1 above. @example F.hardswish(x)
 */
export function hardswish<F extends DType>(input: Tensor<F>): Tensor<F>;
export function hardswish(input: Tensor): Tensor {
  tensorArg('hardswish', 'input', input);
  return runOp('hardswish', [], input._h);
}

/** torch.nn.functional.mish: x tanh(softplus(x)). */
export function mish<F extends DType>(input: Tensor<F>): Tensor<F>;
export function mish(input: Tensor): Tensor {
  tensorArg('mish', 'input', input);
  return tidy(() => input.mul(softplus(input).tanh()));
}

/** torch.nn.functional.softsign: x / (1 + |x|). */
export function softsign<F extends DType>(input: Tensor<F>): Tensor<F>;
export function softsign(input: Tensor): Tensor {
  tensorArg('softsign', 'input', input);
  return tidy(() => input.div(input.abs().add(1)));
}

/**
 * torch.nn.functional.prelu: x where x > 0, else weight x; `weight` holds 1 value or one per
 * channel (dim 1 of the input). @example F.prelu(x, tensor([0.25]))
 */
export function prelu<F extends DType>(input: Tensor<F>, weight: Tensor<F>): Tensor<F>;
export function prelu(input: Tensor, weight: Tensor): Tensor {
  tensorArg('prelu', 'input', input);
  tensorArg('prelu', 'weight', weight);
  const n = weight.numel();
  if (weight.ndim > 1) fail('SHAPE_MISMATCH', `prelu: weight must be 1-D, got [${weight.shape.join(', ')}]`);
  const channels = input.ndim >= 2 ? input.shape[1] : 1;
  if (n !== 1 && n !== channels)
    fail(
      'SHAPE_MISMATCH',
      `prelu: weight has ${n} values; expected 1 or the ${channels} channels of input [${input.shape.join(', ')}]`,
    );
  return tidy(() => {
    // [C] broadcast along dim 1: [C, 1, ..., 1]
    const w =
      n === 1 || input.ndim < 2 ? weight.reshape([]) : weight.reshape([n, ...input.shape.slice(2).map(() => 1)]);
    return where(input.gt(0), input, input.mul(w));
  });
}

/** torch.nn.functional.glu: a sigmoid(b), a and b the two halves of `dim` (even). @example F.glu(x, -1) */
export function glu<F extends DType>(input: Tensor<F>, dim?: number): Tensor<F>;
export function glu(input: Tensor, dim = -1): Tensor {
  tensorArg('glu', 'input', input);
  const d = int('glu', 'dim', dim);
  if (input.ndim === 0) fail('SHAPE_MISMATCH', 'glu: expected a tensor with dims, got a 0-dim one');
  const k = d < 0 ? d + input.ndim : d;
  if (k < 0 || k >= input.ndim)
    fail('INDEX_OUT_OF_RANGE', `glu: dim ${d} is out of range for a tensor of dimension ${input.ndim}`);
  const size = input.shape[k];
  if (size % 2 !== 0) fail('SHAPE_MISMATCH', `glu: dim ${d} must have an even size, got ${size}`);
  return tidy(() => input.narrow(k, 0, size / 2).mul(input.narrow(k, size / 2, size / 2).sigmoid()));
}

/** torch.nn.functional.softmin: softmax of -x along dim. @example F.softmin(costs, -1) */
export function softmin<F extends DType>(input: Tensor<F>, dim: number): Tensor<F>;
export function softmin(input: Tensor, dim: number): Tensor {
  tensorArg('softmin', 'input', input);
  const d = int('softmin', 'dim', dim);
  return tidy(() => input.neg().softmax(d));
}

/** torch.nn.functional.threshold: x where x > threshold, else value. @example F.threshold(x, 0.1, 0) */
export function threshold<F extends DType>(input: Tensor<F>, threshold: number, value: number): Tensor<F>;
export function threshold(input: Tensor, threshold: number, value: number): Tensor {
  tensorArg('threshold', 'input', input);
  const t = num('threshold', 'threshold', threshold),
    v = num('threshold', 'value', value);
  return tidy(() => where(input.gt(t), input, v));
}

function lambdOf(op: string, lambd: number): number {
  const l = num(op, 'lambd', lambd);
  if (!(l >= 0)) fail('INVALID_ARGUMENT', `${op}: lambd must be non-negative, got ${l}`);
  return l;
}
/** torch.nn.functional.hardshrink: x where |x| > lambd, else 0. @example F.hardshrink(x, 0.5) */
export function hardshrink<F extends DType>(input: Tensor<F>, lambd?: number): Tensor<F>;
export function hardshrink(input: Tensor, lambd = 0.5): Tensor {
  tensorArg('hardshrink', 'input', input);
  const l = lambdOf('hardshrink', lambd);
  return tidy(() => where(input.abs().gt(l), input, 0));
}
/** torch.nn.functional.softshrink: x - lambd above lambd, x + lambd below -lambd, else 0. */
export function softshrink<F extends DType>(input: Tensor<F>, lambd?: number): Tensor<F>;
export function softshrink(input: Tensor, lambd = 0.5): Tensor {
  tensorArg('softshrink', 'input', input);
  const l = lambdOf('softshrink', lambd);
  return tidy(() => where(input.gt(l), input.sub(l), where(input.lt(-l), input.add(l), 0)));
}
/** torch.nn.functional.tanhshrink: x - tanh(x). */
export function tanhshrink<F extends DType>(input: Tensor<F>): Tensor<F>;
export function tanhshrink(input: Tensor): Tensor {
  tensorArg('tanhshrink', 'input', input);
  return tidy(() => input.sub(input.tanh()));
}
