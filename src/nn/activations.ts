// Activation modules (and Identity): each the module form of a Tensor method or an nn.functional op.
import { tensorArg } from '../args.js';
import { int, num } from '../options.js';
import type { Tensor } from '../tensor.js';
import * as F from './functional.js';
import { Module } from './module.js';

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
/** GELU (exact erf form). */
export class GELU extends Module {
  forward(x: Tensor): Tensor {
    return tensorArg('GELU', 'input', x).gelu();
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
