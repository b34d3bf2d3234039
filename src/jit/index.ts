// jit: graph capture (trace), the native graph executor (Graph.run/runAsync) and graph files.
export { trace, type TraceOptions } from './trace.js';
export {
  Graph,
  load,
  type GraphConstant,
  type GraphInputs,
  type GraphNode,
  type GraphParts,
  type OutputTemplate,
  type SymDim,
  type SymPatch,
  type ValueInfo,
} from './graph.js';
