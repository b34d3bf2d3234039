// The in-place activations of torch.nn.functional (F.relu_, F.elu_, F.leaky_relu_, ...): each
// writes the activation into `input` and returns it. The activation is computed from a copy, so
// its backward still has the values it read (input itself is overwritten, and autograd's version
// check would otherwise refuse the backward), as torch's in-place forms differentiate through
// their result.
import { tensorArg } from '../args.js';
import { tidy } from '../memory.js';
import type { Tensor } from '../tensor.js';
import { celu, elu, hardtanh, selu, threshold } from './functional_activations.js';
import { leakyRelu } from './functional.js';
import { rrelu } from './layers_extra.js';

function inPlace(op: string, input: Tensor, f: (x: Tensor) => Tensor): Tensor {
  tensorArg(op, 'input', input);
  tidy(() => void input.copy_(f(input.clone())));
  return input;
}

/** F.relu in place. @example F.relu_(x) */
export function relu_(input: Tensor): Tensor {
  return tensorArg('relu_', 'input', input).relu_();
}
/** F.elu in place. @example F.elu_(x, 1) */
export function elu_(input: Tensor, alpha = 1): Tensor {
  return inPlace('elu_', input, (x) => elu(x, alpha));
}
/** F.celu in place. */
export function celu_(input: Tensor, alpha = 1): Tensor {
  return inPlace('celu_', input, (x) => celu(x, alpha));
}
/** F.selu in place. */
export function selu_(input: Tensor): Tensor {
  return inPlace('selu_', input, (x) => selu(x));
}
/** F.hardtanh in place. @example F.hardtanh_(x, -2, 2) */
export function hardtanh_(input: Tensor, minVal = -1, maxVal = 1): Tensor {
  return inPlace('hardtanh_', input, (x) => hardtanh(x, minVal, maxVal));
}
/** F.leakyRelu in place. @example F.leakyRelu_(x, 0.2) */
export function leakyRelu_(input: Tensor, negativeSlope = 0.01): Tensor {
  return inPlace('leakyRelu_', input, (x) => leakyRelu(x, negativeSlope));
}
/** F.rrelu in place. */
export function rrelu_(input: Tensor, options?: { lower?: number; upper?: number; training?: boolean }): Tensor {
  return inPlace('rrelu_', input, (x) => rrelu(x, options));
}
/** F.threshold in place: values at or below threshold become value. @example F.threshold_(x, 0.1, 0) */
export function threshold_(input: Tensor, thresholdValue: number, value: number): Tensor {
  return inPlace('threshold_', input, (x) => threshold(x, thresholdValue, value));
}
