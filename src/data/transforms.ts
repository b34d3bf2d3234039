// data.transforms: seeded image transforms for [C, H, W] tensors.
export { compose, normalize, randomCrop, randomHorizontalFlip, type Transform } from './images.js';
