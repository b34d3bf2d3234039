// Weight files and checkpoints: the safetensors format, crash-safe writes.
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
