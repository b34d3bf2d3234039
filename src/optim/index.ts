/**
 * Optimizers (SGD, Adam, AdamW, RMSprop, Adagrad) with one fused native update per parameter, and learning-rate
 * schedulers (`lrScheduler`).
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
export * as lrScheduler from './lr_scheduler.js';
export type { AnyOptimizer } from './lr_scheduler.js';
