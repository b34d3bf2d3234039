/**
 * Graph capture, as TorchScript's trace: `trace` records the native ops a module runs into a
 * `Graph`, which runs in one native call (`run`) or off the event loop (`runAsync`), and saves to
 * one file that `load` reads with no model code.
 *
 * @example
 * const g = jit.trace(model, [x], { dynamicAxes: { input0: { 0: 'batch' } } }); const y = g.run([x]);
 * @module jit
 */
export { trace, type TraceOptions, type TracedFunction } from './trace.js';
export {
  Graph,
  load,
  type GraphConstant,
  type GraphInputs,
  type GraphNode,
  type GraphParts,
  type ModuleCall,
  type OutputTemplate,
  type SymDim,
  type SymPatch,
  type ValueInfo,
} from './graph.js';
