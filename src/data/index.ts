// tensorkit.data: datasets and the DataLoader.
export {
  Dataset,
  IterableDataset,
  TensorDataset,
  Subset,
  ConcatDataset,
  randomSplit,
  seededRandom,
} from './dataset.js';
export { DataLoader, defaultCollate, type DataLoaderOptions } from './loader.js';
export { iris, readCsv, synthetic, type Labeled, type CsvOptions } from './datasets.js';
export { Cifar10, cifar10, Transformed, type Transform } from './images.js';
export * as transforms from './transforms.js';
