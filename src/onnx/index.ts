// onnx: export jit graphs (or modules, traced) as ONNX models, and load ONNX models as jit graphs.
export { exportModel as export, toOnnx, type ExportOptions } from './export.js';
export { load, loadWeights, SUPPORTED_OPS } from './import.js';
