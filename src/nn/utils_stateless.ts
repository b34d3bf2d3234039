/**
 * torch.nn.utils.stateless's name, for code ported from PyTorch: functionalCall (the same
 * function nn.utils has). @example nn.utils.stateless.functionalCall(model, params, [x])
 * @module stateless
 */
export { functionalCall, type FunctionalCallOptions } from './functional_call.js';
