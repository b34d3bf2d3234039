/**
 * tensorkit: a PyTorch-style tensor library for Node.js with a native C++ core.
 *
 * @example
 * import { tensor, randn, tidy } from 'tensorkit';
 * const x = randn([64, 4]);
 * const y = tidy(() => x.matmul(randn([4, 3])).relu().sum(1));
 */
import { binding, type CpuInfo } from './binding.js';
import { fail } from './errors.js';
import { describe } from './options.js';

export {
  Tensor,
  type BackwardOptions,
  type Scalar,
  type Dims,
  type KeepDim,
  type VarOptions,
  type AlphaOptions,
  type DivOptions,
  type ToOptions,
} from './tensor.js';
export { TensorError, ERROR_CODES, type ErrorCode } from './errors.js';
export {
  DTYPES,
  type DType,
  type Device,
  type DeviceName,
  type FloatDType,
  type TypedArrayFor,
  type FloatResult,
  type SumResult,
  type ItemFor,
  type NestedArray,
  type AnyTypedArray,
  finfo,
  iinfo,
  type FInfo,
  type IInfo,
} from './dtype.js';
export { tidy, keep, memory, emptyCache } from './memory.js';
export type { Attr, CpuInfo, MemoryInfo } from './binding.js';
export {
  tensor,
  zeros,
  ones,
  full,
  arange,
  linspace,
  eye,
  rand,
  randn,
  randint,
  manualSeed,
  seed,
  initialSeed,
  getRngState,
  setRngState,
  type RngState,
  zerosLike,
  onesLike,
  fullLike,
  randLike,
  randnLike,
  randintLike,
  type CreateOptions,
  type RandomOptions,
  type TensorOptions,
  type TensorData,
  type NestedOf,
} from './ops/creation.js';
export * from './ops/functional.js';
// Tensor methods defined outside tensor.ts (declaration merging): loaded here, with the class.
import './ops/indexing.js';
import './ops/shaping.js';
import './ops/sorting.js';
import './ops/math.js';
import './ops/elementwise_more.js';
import './ops/pointwise_more.js';
import './ops/reductions_more.js';
import './ops/shaping_more.js';
import './ops/linalg_more.js';
import './linalg/methods.js';
import './ops/special.js';
import './ops/bitwise.js';
import './ops/composites.js';
import './ops/scatter_more.js';
export {
  asStridedScatter,
  diagonalScatter,
  selectScatter,
  sliceScatter,
  type IndexReduceMode,
} from './ops/scatter_more.js';
// torch.* names of nn.functional's operations (torch.conv2d, torch.dropout, torch.layer_norm, ...).
export {
  adaptiveAvgPool1d,
  adaptiveMaxPool1d,
  alphaDropout,
  avgPool1d,
  batchNorm,
  bilinear,
  binaryCrossEntropyWithLogits,
  celu,
  channelShuffle,
  conv1d,
  conv2d,
  conv3d,
  convTranspose1d,
  convTranspose2d,
  convTranspose3d,
  cosineEmbeddingLoss,
  cosineSimilarity,
  ctcLoss,
  dropout,
  embedding,
  embeddingBag,
  featureAlphaDropout,
  groupNorm,
  hardshrink,
  hingeEmbeddingLoss,
  instanceNorm,
  klDiv,
  layerNorm,
  marginRankingLoss,
  maxPool1d,
  maxPool2d,
  maxPool3d,
  pairwiseDistance,
  pdist,
  pixelShuffle,
  pixelUnshuffle,
  poissonNllLoss,
  prelu,
  rrelu,
  selu,
  threshold,
  tripletMarginLoss,
} from './nn/functional.js';
export { gradient, type GradientOptions } from './ops/gradient.js';
export {
  angle,
  chainMatmul,
  frobeniusNorm,
  imag,
  nuclearNorm,
  promoteTypes,
  real,
  resultType,
  rsub,
  scalarTensor,
} from './ops/torch_misc.js';
import './ops/aliases.js';
export {
  aliasCopy,
  asStridedCopy,
  detachCopy,
  diagonalCopy,
  expandCopy,
  narrowCopy,
  permuteCopy,
  selectCopy,
  sliceCopy,
  splitCopy,
  splitWithSizesCopy,
  squeezeCopy,
  tCopy,
  transposeCopy,
  unbindCopy,
  unfoldCopy,
  unsqueezeCopy,
  viewCopy,
} from './ops/view_copies.js';
import './ops/random.js';
import './tensor_hooks.js';
export { getPrintoptions, setPrintoptions, type PrintOptions } from './format.js';
import './ops/tensor_more.js';
import './ops/tensor_apply.js';
export type { GradHookFn } from './tensor_hooks.js';
export { histogram, histogramdd, type HistogramOptions } from './ops/histogram.js';
export { luUnpack } from './linalg/index.js';
export { asarray, asTensor, frombuffer, type FrombufferOptions } from './ops/interop.js';
export { pcaLowrank, svdLowrank, type LowRankSvd, type SvdLowrankOptions } from './linalg/lowrank.js';
export { bernoulli, binomial, normal, poisson, type DrawOptions } from './ops/random.js';
export { Generator, type GeneratorState } from './ops/generator.js';
export { canCast } from './ops/aliases.js';
export { slice, type IndexItem, type Slice, type ScatterReduceMode } from './ops/indexing.js';
export { meshgrid } from './ops/shaping.js';
export type { ValuesIndices } from './ops/sorting.js';
export { cdist, einsum, type NormOrdOptions } from './ops/math.js';
export type { CloseOptions } from './ops/pointwise_more.js';
export type { AddProductOptions } from './ops/linalg_more.js';
export {
  cholesky,
  choleskyInverse,
  choleskySolve,
  det,
  geqrf,
  inverse,
  logdet,
  matrixExp,
  matrixPower,
  orgqr,
  ormqr,
  pinverse,
  qr,
  slogdet,
  svd,
} from './linalg/methods.js';
export {
  bartlettWindow,
  blackmanWindow,
  bucketize,
  empty,
  emptyLike,
  hammingWindow,
  hannWindow,
  histc,
  isin,
  kaiserWindow,
  logspace,
  emptyStrided,
  randperm,
  searchsorted,
  vander,
  type SearchsortedOptions,
  type WindowOptions,
} from './ops/creation_more.js';
export {
  cumulativeTrapezoid,
  stdMean,
  trapezoid,
  trapz,
  varMean,
  type QuantileInterpolation,
  type QuantileOptions,
} from './ops/reductions_more.js';
export {
  atleast1d,
  atleast2d,
  atleast3d,
  blockDiag,
  broadcastShapes,
  broadcastTensors,
  cartesianProd,
  columnStack,
  combinations,
  concat,
  concatenate,
  dstack,
  hstack,
  kron,
  tensordot,
  trilIndices,
  triuIndices,
  rowStack,
  vstack,
} from './ops/shaping_more.js';
export * as cuda from './cuda.js';
export * as autograd from './autograd.js';
export * as amp from './amp/index.js';
export * as distributions from './distributions/index.js';
export * as linalg from './linalg/index.js';
export * as special from './special/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as data from './data/index.js';
export * as io from './io/index.js';
export * as metrics from './metrics/index.js';
export * as train from './train/index.js';
export * as jit from './jit/index.js';
export * as onnx from './onnx/index.js';
export * as explain from './explain/index.js';
export * as monitor from './monitor/index.js';
export * as distributed from './distributed/index.js';
export * as profiler from './profiler.js';
export * as utils from './utils/index.js';
export {
  serve,
  HttpError,
  type HandlerContext,
  type HandlerRequest,
  type ModelConfig,
  type ModelServer,
  type ModelSource,
  type ModelStatus,
  type ServeHandler,
  type ServeOptions,
  type Signature,
  type TensorConfig,
  type TensorSpec,
} from './serve/index.js';
export {
  noGrad,
  enableGrad,
  inferenceMode,
  isInferenceModeEnabled,
  isGradEnabled,
  setGradEnabled,
  gradcheck,
  gradgradcheck,
  GradcheckError,
  type GradOptions,
  type GradcheckOptions,
  type Fn as GradcheckFn,
} from './autograd.js';
export type { FreeFunction, MethodName } from './ops/free.js';
export * as plain from './plain/index.js';

/**
 * Threads CPU kernels started from this thread may use (defaults to the number of cores this process
 * may run on: all of them, or its share where it is bound, as `tensorkit run` binds each rank). The
 * setting belongs to the calling JS environment: a worker thread's setNumThreads leaves the main
 * thread's alone (the threads themselves are one pool shared by all).
 * @example setNumThreads(1)
 */
export function setNumThreads(n: number): void {
  if (!Number.isSafeInteger(n) || n < 1 || n > 1024)
    fail('INVALID_ARGUMENT', `setNumThreads: expected an integer in 1..1024, got ${describe(n)}`);
  binding.setNumThreads(n);
}
/** Threads used by CPU kernels. */
export function getNumThreads(): number {
  return binding.getNumThreads();
}
/**
 * The SIMD level CPU kernels (matmul above all) run with: `'avx512'`, `'avx2'` (AVX2 + FMA) or
 * `'default'` (portable vectors), as torch.backends.cpu.get_cpu_capability(). Chosen at load from
 * what the CPU supports; `TENSORKIT_CPU_CAPABILITY=default|avx2` in the environment lowers it.
 * @example getCpuCapability() // 'avx2'
 */
export function getCpuCapability(): 'avx512' | 'avx2' | 'default' {
  return binding.cpuInfo().capability;
}
/**
 * The CPU (cpuid vendor, family, model, and its name in the kernel table), its caches, and the
 * GEMM kernel chosen for it: from the table for known cores, else timed once at the first product
 * (`TENSORKIT_GEMM_CALIBRATE=1` times it on known cores too).
 * @example getCpuInfo().gemm // { level: 'avx512', source: 'table' }
 */
export function getCpuInfo(): CpuInfo {
  return binding.cpuInfo();
}
