/**
 * Weight files and checkpoints: safetensors read and write (readable by Python's safetensors), checkpoints of any
 * tree of tensors and values; every write is atomic.
 *
 * @example
 * io.save(model.stateDict(), 'model.safetensors'); model.loadStateDict(io.load('model.safetensors'));
 * @module io
 */
export {
  save,
  load,
  loadWithMetadata,
  serialize,
  deserialize,
  readHeader,
  MAX_HEADER_BYTES,
  type TensorInfo,
  type SafetensorsHeader,
  type LoadOptions,
} from './safetensors.js';
export { saveCheckpoint, loadCheckpoint, type CheckpointValue } from './checkpoint.js';
export { writeFileAtomic } from './files.js';
export { loadTorch, saveTorch, type TorchValue } from './torch_pt.js';
