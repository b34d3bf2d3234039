/**
 * Seeded image transforms for [C, H, W] tensors, as torchvision.transforms.
 *
 * @example
 * const t = data.transforms.compose([data.transforms.randomHorizontalFlip(), data.transforms.normalize([0.5], [0.5])]);
 * @module transforms
 */
export { compose, normalize, randomCrop, randomHorizontalFlip, type Transform } from './images.js';
