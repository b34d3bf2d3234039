// The optimizers: PyTorch's update rules, each one fused native kernel per parameter tensor
// (native/src/cpu/optim.cpp); SGD and Adam(W) run a whole parameter group in one native call
// (their foreach ops), the rest one call per parameter.
import { fail } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkRange, Optimizer, type ParamGroup, type ParamGroupInput, type ParamState } from './optimizer.js';

/** What an optimizer takes: a list of tensors, or parameter groups with their own options. */
export type Params<O> = readonly Tensor[] | readonly ParamGroupInput<O>[];

/** Options of `SGD`. */
export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  /** Ascend the objective instead of descending it (the gradient negated). Default false. */
  maximize: boolean;
}

/**
 * Stochastic gradient descent with optional momentum (heavy-ball or Nesterov), dampening and
 * weight decay (torch.optim.SGD).
 * @example const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Params<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super(
      params,
      { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false },
      options,
      'SGD',
    );
  }
  protected validate(g: ParamGroup<SGDOptions>): void {
    checkRange('SGD', 'lr', g.lr, 0);
    checkRange('SGD', 'momentum', g.momentum, 0);
    checkRange('SGD', 'weightDecay', g.weightDecay, 0);
    checkRange('SGD', 'dampening', g.dampening, -Infinity);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0))
      fail('INVALID_ARGUMENT', 'SGD: Nesterov momentum requires a momentum and zero dampening');
  }
  protected update(p: Tensor, grad: Tensor, g: ParamGroup<SGDOptions>, st: ParamState): void {
    this.updateAll([p], [grad], g, [st]);
  }
  protected override updateAll(ps: Tensor[], gs: Tensor[], g: ParamGroup<SGDOptions>, sts: ParamState[]): boolean {
    const tensors: Tensor[] = [],
      first: number[] = [];
    ps.forEach((p, i) => {
      tensors.push(p, gs[i]);
      const st = sts[i];
      first.push(g.momentum !== 0 && st.momentumBuffer === undefined ? 1 : 0);
      if (g.momentum !== 0) tensors.push((st.momentumBuffer ??= this.buffer(p)) as Tensor);
    });
    const per = g.momentum !== 0 ? 3 : 2;
    this.run('sgd_foreach_', tensors, [g.lr, g.momentum, g.dampening, g.weightDecay, g.nesterov, first, per]);
    return true;
  }
}

/** Options of `Adam` and `AdamW`. */
export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  /** Ascend the objective instead of descending it (the gradient negated). Default false. */
  maximize: boolean;
}

function checkAdam(name: string, g: ParamGroup<AdamOptions>): void {
  checkRange(name, 'lr', g.lr, 0);
  checkRange(name, 'eps', g.eps, 0);
  checkRange(name, 'weightDecay', g.weightDecay, 0);
  if (!Array.isArray(g.betas) || g.betas.length !== 2)
    fail('INVALID_ARGUMENT', `${name}: betas must be a pair of numbers`);
  checkRange(name, 'beta1', g.betas[0], 0, 1, true);
  checkRange(name, 'beta2', g.betas[1], 0, 1, true);
}

// Adam and AdamW share the update; `decoupled` picks AdamW's weight decay.
abstract class AdamBase extends Optimizer<AdamOptions> {
  protected abstract readonly decoupled: boolean;
  protected validate(g: ParamGroup<AdamOptions>): void {
    checkAdam(this.name, g);
  }
  protected update(p: Tensor, grad: Tensor, g: ParamGroup<AdamOptions>, st: ParamState): void {
    this.updateAll([p], [grad], g, [st]);
  }
  protected override updateAll(ps: Tensor[], gs: Tensor[], g: ParamGroup<AdamOptions>, sts: ParamState[]): boolean {
    const tensors: Tensor[] = [],
      steps: number[] = [];
    ps.forEach((p, i) => {
      const st = sts[i];
      if (st.step === undefined) {
        st.step = 0;
        st.expAvg = this.buffer(p);
        st.expAvgSq = this.buffer(p);
      }
      if (g.amsgrad) st.maxExpAvgSq ??= this.buffer(p);
      st.step = (st.step as number) + 1;
      steps.push(st.step);
      tensors.push(p, gs[i], st.expAvg as Tensor, st.expAvgSq as Tensor);
      if (g.amsgrad) tensors.push(st.maxExpAvgSq as Tensor);
    });
    this.run('adam_foreach_', tensors, [
      g.lr,
      g.betas[0],
      g.betas[1],
      g.eps,
      g.weightDecay,
      steps,
      g.amsgrad,
      this.decoupled,
    ]);
    return true;
  }
}

/**
 * Adam (torch.optim.Adam): bias-corrected first and second moments, optional AMSGrad; weight
 * decay adds to the gradient (L2).
 * @example const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
 */
export class Adam extends AdamBase {
  protected readonly decoupled = false;
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(
      params,
      { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false },
      options,
      'Adam',
    );
  }
}

/**
 * AdamW (torch.optim.AdamW): Adam with decoupled weight decay (parameters shrink by lr * wd).
 * @example const opt = new optim.AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.01 });
 */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(
      params,
      { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false },
      options,
      'AdamW',
    );
  }
}

/** Options of `RMSprop`. */
export interface RMSpropOptions {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  /** Ascend the objective instead of descending it (the gradient negated). Default false. */
  maximize: boolean;
}

/**
 * RMSprop (torch.optim.RMSprop), optionally centered and with momentum.
 * @example const opt = new optim.RMSprop(model.parameters(), { lr: 1e-2 });
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Params<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super(
      params,
      { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false },
      options,
      'RMSprop',
    );
  }
  protected validate(g: ParamGroup<RMSpropOptions>): void {
    for (const k of ['lr', 'alpha', 'eps', 'weightDecay', 'momentum'] as const) checkRange('RMSprop', k, g[k], 0);
  }
  protected update(p: Tensor, grad: Tensor, g: ParamGroup<RMSpropOptions>, st: ParamState): void {
    if (st.step === undefined) {
      st.step = 0;
      st.squareAvg = this.buffer(p);
      if (g.momentum > 0) st.momentumBuffer = this.buffer(p);
      if (g.centered) st.gradAvg = this.buffer(p);
    }
    st.step = (st.step as number) + 1;
    const tensors = [p, grad, st.squareAvg as Tensor];
    if (g.momentum > 0) tensors.push((st.momentumBuffer ??= this.buffer(p)) as Tensor);
    if (g.centered) tensors.push((st.gradAvg ??= this.buffer(p)) as Tensor);
    this.run('rmsprop_step_', tensors, [g.lr, g.alpha, g.eps, g.weightDecay, g.momentum, g.centered]);
  }
}

/** Options of `Adagrad`. */
export interface AdagradOptions {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  eps: number;
  /** Where the sum of squared gradients starts (torch's initial_accumulator_value). Default 0. */
  initialAccumulatorValue: number;
  /** Ascend the objective instead of descending it (the gradient negated). Default false. */
  maximize: boolean;
}

/**
 * Adagrad (torch.optim.Adagrad): per-element learning rates from the summed squared gradients.
 * @example const opt = new optim.Adagrad(model.parameters(), { lr: 0.1 });
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: Params<AdagradOptions>, options: Partial<AdagradOptions> = {}) {
    super(
      params,
      { lr: 1e-2, lrDecay: 0, weightDecay: 0, eps: 1e-10, initialAccumulatorValue: 0, maximize: false },
      options,
      'Adagrad',
    );
  }
  protected validate(g: ParamGroup<AdagradOptions>): void {
    for (const k of ['lr', 'lrDecay', 'weightDecay', 'eps', 'initialAccumulatorValue'] as const)
      checkRange('Adagrad', k, g[k], 0);
  }
  protected update(p: Tensor, grad: Tensor, g: ParamGroup<AdagradOptions>, st: ParamState): void {
    if (st.step === undefined) {
      st.step = 0;
      st.sum = this.buffer(p);
      if (g.initialAccumulatorValue !== 0) (st.sum as Tensor).fill_(g.initialAccumulatorValue);
    }
    st.step = (st.step as number) + 1;
    this.run('adagrad_step_', [p, grad, st.sum as Tensor], [g.lr, g.lrDecay, g.weightDecay, g.eps, st.step]);
  }
}
