/**
 * ONNX, as torch.onnx: `export` writes a module (traced) or a jit graph as an ONNX model;
 * `load` runs an ONNX model (tensorkit's or PyTorch's) as a native jit graph; `loadWeights` reads
 * its weights by name.
 *
 * @example
 * onnx.export(model, [x], 'model.onnx'); const g = onnx.load('model.onnx'); const y = g.run([x]);
 * @module onnx
 */
export { exportModel as export, toOnnx, type ExportOptions } from './export.js';
export { load, loadWeights, SUPPORTED_OPS } from './import.js';
