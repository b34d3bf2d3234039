/**
 * Optimizers (SGD, Adam, AdamW, RMSprop, Adagrad with one fused native update per parameter; Adadelta, Adamax,
 * NAdam, RAdam, Rprop, ASGD and LBFGS from tensor ops), and learning-rate
 * schedulers (`lrScheduler`), and stochastic weight averaging (`swaUtils`).
 *
 * @example
 * const opt = new optim.AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.01 });
 * @module optim
 */
export {
  Optimizer,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
  type OptimizerStateDict,
} from './optimizer.js';
export {
  SGD,
  Adam,
  AdamW,
  RMSprop,
  Adagrad,
  type SGDOptions,
  type AdamOptions,
  type RMSpropOptions,
  type AdagradOptions,
  type Params,
} from './optimizers.js';
export {
  Adadelta,
  Adamax,
  NAdam,
  RAdam,
  Rprop,
  ASGD,
  LBFGS,
  type RpropOptions,
  type ASGDOptions,
  type AdadeltaOptions,
  type AdamaxOptions,
  type NAdamOptions,
  type LBFGSOptions,
} from './optimizers_more.js';
export * as lrScheduler from './schedulers.js';
export * as swaUtils from './swa_utils.js';
export type { AnyOptimizer } from './lr_scheduler.js';
