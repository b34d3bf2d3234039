/**
 * Image transforms for [..., C, H, W] tensors, as torchvision.transforms: each is one native
 * kernel, draws its random parameters from this thread's random stream (or a private `seed`), and
 * can run inside DataLoader workers. `functional` holds the deterministic functions
 * (torchvision.transforms.functional).
 *
 * @example
 * const t = data.transforms.compose([data.transforms.randomCrop(32, { padding: 4 }), data.transforms.randomHorizontalFlip(), data.transforms.normalize([0.5], [0.5])]);
 * @module transforms
 */
export {
  centerCrop,
  colorJitter,
  compose,
  normalize,
  randomCrop,
  randomHorizontalFlip,
  resize,
  type ColorJitterOptions,
  type RandomCropOptions,
  type Transform,
  type TransformSpec,
} from './image_transforms.js';
export * as functional from './image_ops.js';
