/**
 * Data loading, as torch.utils.data: datasets (`TensorDataset`, `Subset`, `ConcatDataset`, iterable ones), the
 * `DataLoader` and its samplers, readers (Iris, CSV, CIFAR-10), synthetic sets and image transforms.
 *
 * @example
 * const loader = new data.DataLoader(new data.TensorDataset(x, y), { batchSize: 32, shuffle: true });
 * @module data
 */
export {
  Dataset,
  IterableDataset,
  TensorDataset,
  Subset,
  ConcatDataset,
  ChainDataset,
  randomSplit,
  seededRandom,
} from './dataset.js';
export { DataLoader, defaultCollate, type DataLoaderOptions, type Collated } from './loader.js';
export {
  fromModule,
  getWorkerInfo,
  ModuleDataset,
  ModuleIterableDataset,
  SharedTensorDataset,
  type WorkerInfo,
} from './workers.js';
export { DistributedSampler, type DistributedSamplerOptions, type EpochSampler } from './distributed.js';
export {
  Sampler,
  SequentialSampler,
  RandomSampler,
  SubsetRandomSampler,
  WeightedRandomSampler,
  BatchSampler,
  type RandomSamplerOptions,
  type WeightedRandomSamplerOptions,
} from './samplers.js';
export { iris, readCsv, synthetic, type Labeled, type CsvOptions } from './datasets.js';
export { Cifar10, cifar10, Transformed } from './images.js';
export type { Transform } from './image_transforms.js';
export * as transforms from './transforms.js';
