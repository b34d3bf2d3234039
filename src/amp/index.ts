// Automatic mixed precision, as torch.amp.
/**
 * Automatic mixed precision, as torch.amp: `autocast` runs matrix products and convolutions in
 * bfloat16 or float16 (and range-hungry ops in float32) inside a region; `GradScaler` scales the
 * loss so float16 gradients do not underflow, and skips steps whose gradients overflowed.
 *
 * @example
 * const loss = amp.autocast('cpu', () => nn.functional.crossEntropy(model.forward(x), y));
 * loss.backward();
 * @module amp
 */
export {
  autocast,
  getAutocastDtype,
  isAutocastEnabled,
  setAutocastDtype,
  setAutocastEnabled,
  type AmpDevice,
  type AutocastDtype,
  type AutocastOptions,
} from './autocast.js';
export { GradScaler, type GradScalerOptions, type GradScalerState } from './grad_scaler.js';
