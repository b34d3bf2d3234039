// Activation modules (and Identity): each the module form of a Tensor method or an nn.functional op.
import { tensorArg } from '../args.js';
import type { DType } from '../dtype.js';
import { full } from '../ops/creation.js';
import { checkOptions, int, intAtLeast, num, oneOf } from '../options.js';
import type { Tensor } from '../tensor.js';
import * as F from './functional.js';
import { Module, Parameter } from './module.js';

/** Returns its input (a new handle to the same data). */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return tensorArg('Identity', 'input', x).view(x.shape);
  }
}

/** max(x, 0). */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return tensorArg('ReLU', 'input', x).relu();
  }
}
/** x for x > 0, negativeSlope * x otherwise. */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
    num('LeakyReLU', 'negativeSlope', negativeSlope);
  }
  forward(x: Tensor): Tensor {
    return F.leakyRelu(x, this.negativeSlope);
  }
}
/** GELU: the exact erf form, or PyTorch's tanh approximation ({ approximate: 'tanh' }). */
export class GELU extends Module {
  constructor(readonly options: F.GeluOptions = {}) {
    super();
    const o = checkOptions('GELU', options, { approximate: 'string' });
    oneOf('GELU', 'approximate', o.approximate ?? 'none', ['none', 'tanh'] as const);
  }
  forward(x: Tensor): Tensor {
    return F.gelu(tensorArg('GELU', 'input', x), this.options);
  }
}
/** x * sigmoid(x). */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return F.silu(x);
  }
}
/** 1 / (1 + e^-x). */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return tensorArg('Sigmoid', 'input', x).sigmoid();
  }
}
/** tanh(x). */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tensorArg('Tanh', 'input', x).tanh();
  }
}
/** Softmax along dim. @example new nn.Softmax(-1) */
export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
    int('Softmax', 'dim', dim);
  }
  forward(x: Tensor): Tensor {
    return tensorArg('Softmax', 'input', x).softmax(this.dim);
  }
}
/** log(softmax(x)) along dim. */
export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
    int('LogSoftmax', 'dim', dim);
  }
  forward(x: Tensor): Tensor {
    return tensorArg('LogSoftmax', 'input', x).logSoftmax(this.dim);
  }
}

/** elu: x where x > 0, else alpha (e^x - 1). */
export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
    num('ELU', 'alpha', alpha);
  }
  forward(x: Tensor): Tensor {
    return F.elu(x, this.alpha);
  }
}
/** celu: x where x > 0, else alpha (e^(x / alpha) - 1). */
export class CELU extends Module {
  constructor(readonly alpha = 1) {
    super();
    num('CELU', 'alpha', alpha);
  }
  forward(x: Tensor): Tensor {
    return F.celu(x, this.alpha);
  }
}
/** selu: the self-normalising scaled ELU. */
export class SELU extends Module {
  forward(x: Tensor): Tensor {
    return F.selu(x);
  }
}
/** softplus: log(1 + e^(beta x)) / beta (x above the threshold). @example new nn.Softplus({ beta: 2 }) */
export class Softplus extends Module {
  constructor(readonly options: { beta?: number; threshold?: number } = {}) {
    super();
    checkOptions('Softplus', options, { beta: 'number', threshold: 'number' });
  }
  forward(x: Tensor): Tensor {
    return F.softplus(x, this.options);
  }
}
/** log(sigmoid(x)), computed stably. */
export class LogSigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.logsigmoid(x);
  }
}
/** x clipped to [minVal, maxVal] (default [-1, 1]). */
export class Hardtanh extends Module {
  constructor(
    readonly minVal = -1,
    readonly maxVal = 1,
  ) {
    super();
    num('Hardtanh', 'minVal', minVal);
    num('Hardtanh', 'maxVal', maxVal);
  }
  forward(x: Tensor): Tensor {
    return F.hardtanh(x, this.minVal, this.maxVal);
  }
}
/** min(max(x, 0), 6) (MobileNet). */
export class ReLU6 extends Module {
  forward(x: Tensor): Tensor {
    return F.relu6(x);
  }
}
/** relu6(x + 3) / 6. */
export class Hardsigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.hardsigmoid(x);
  }
}
/** x relu6(x + 3) / 6 (MobileNetV3). */
export class Hardswish extends Module {
  forward(x: Tensor): Tensor {
    return F.hardswish(x);
  }
}
/** x tanh(softplus(x)). */
export class Mish extends Module {
  forward(x: Tensor): Tensor {
    return F.mish(x);
  }
}
/** x / (1 + |x|). */
export class Softsign extends Module {
  forward(x: Tensor): Tensor {
    return F.softsign(x);
  }
}
/**
 * x where x > 0, else a x with a learnt: one value (numParameters 1, the default) or one per
 * channel (dim 1), starting at `init` (0.25). @example new nn.PReLU({ numParameters: 16 })
 */
export class PReLU extends Module {
  weight: Tensor;
  constructor(options: { numParameters?: number; init?: number; dtype?: DType } = {}) {
    super();
    const o = checkOptions('PReLU', options, { numParameters: 'number', init: 'number', dtype: 'string' });
    const n = intAtLeast('PReLU', 'numParameters', o.numParameters ?? 1);
    this.weight = Parameter(full([n], num('PReLU', 'init', o.init ?? 0.25), { dtype: o.dtype ?? 'float32' }));
  }
  forward(x: Tensor): Tensor {
    return F.prelu(x, this.weight);
  }
}
/** a sigmoid(b), a and b the halves of `dim` (default -1). */
export class GLU extends Module {
  constructor(readonly dim = -1) {
    super();
    int('GLU', 'dim', dim);
  }
  forward(x: Tensor): Tensor {
    return F.glu(x, this.dim);
  }
}
/** softmax of -x along `dim`. */
export class Softmin extends Module {
  constructor(readonly dim: number) {
    super();
    int('Softmin', 'dim', dim);
  }
  forward(x: Tensor): Tensor {
    return F.softmin(x, this.dim);
  }
}
/** x where x > threshold, else value. @example new nn.Threshold(0.1, 20) */
export class Threshold extends Module {
  constructor(
    readonly threshold: number,
    readonly value: number,
  ) {
    super();
    num('Threshold', 'threshold', threshold);
    num('Threshold', 'value', value);
  }
  forward(x: Tensor): Tensor {
    return F.threshold(x, this.threshold, this.value);
  }
}
/** x where |x| > lambd (0.5), else 0. */
export class Hardshrink extends Module {
  constructor(readonly lambd = 0.5) {
    super();
    num('Hardshrink', 'lambd', lambd);
  }
  forward(x: Tensor): Tensor {
    return F.hardshrink(x, this.lambd);
  }
}
/** x shrunk toward 0 by lambd (0.5), 0 inside [-lambd, lambd]. */
export class Softshrink extends Module {
  constructor(readonly lambd = 0.5) {
    super();
    num('Softshrink', 'lambd', lambd);
  }
  forward(x: Tensor): Tensor {
    return F.softshrink(x, this.lambd);
  }
}
/** x - tanh(x). */
export class Tanhshrink extends Module {
  forward(x: Tensor): Tensor {
    return F.tanhshrink(x);
  }
}
