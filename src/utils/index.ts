// torch.utils counterparts that are not data loading (tk.data) or modules (nn.utils).
/**
 * Utilities, as torch.utils: `checkpoint` (gradient checkpointing).
 *
 * @example
 * const y = utils.checkpoint.checkpointSequential(model, 2, x);
 * @module utils
 */
export * as checkpoint from './checkpoint.js';
