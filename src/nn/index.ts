/**
 * Neural-network building blocks, as torch.nn: the `Module` base class, layers, containers,
 * activations, losses, recurrent layers, `functional` (the same operations as functions), `init`,
 * `grad` (the backward kernels) and `utils` (gradient clipping).
 * @example
 * const net = new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Linear(16, 3));
 * const logits = net.call(randn([8, 4]));
 * @module nn
 */
export * as functional from './functional.js';
export { Module, Parameter, isParameter } from './module.js';
export type { ForwardHook, ForwardPreHook, FullBackwardHook, FullBackwardPreHook, RemovableHandle } from './hooks.js';
export * from './layers.js';
export * from './conv_layers.js';
export * from './pool_layers.js';
export type { Pair, Triple } from './args.js';
export * from './containers.js';
export {
  LocalResponseNorm,
  LPPool1d,
  LPPool2d,
  ChannelShuffle,
  AlphaDropout,
  FeatureAlphaDropout,
  RReLU,
  Softmax2d,
  UpsamplingNearest2d,
  UpsamplingBilinear2d,
  type UpsampleSize,
} from './layers_extra.js';
export { MultiLabelMarginLoss, TripletMarginWithDistanceLoss, type TripletDistanceOptions } from './losses_extra.js';
export * from './activations.js';
export * as init from './init.js';
export { CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, SmoothL1Loss, BCELoss, BCEWithLogitsLoss } from './losses.js';
export {
  KLDivLoss,
  HuberLoss,
  SoftMarginLoss,
  MarginRankingLoss,
  HingeEmbeddingLoss,
  CosineEmbeddingLoss,
  TripletMarginLoss,
  MultiMarginLoss,
  MultiLabelSoftMarginLoss,
  PoissonNLLLoss,
  GaussianNLLLoss,
  CosineSimilarity,
  PairwiseDistance,
} from './losses_more.js';
export {
  MaxPool1d,
  AvgPool1d,
  AdaptiveAvgPool1d,
  AdaptiveMaxPool1d,
  AdaptiveMaxPool2d,
  Dropout1d,
  Dropout2d,
  Dropout3d,
  ZeroPad1d,
  ZeroPad2d,
  ConstantPad1d,
  ConstantPad2d,
  ReflectionPad1d,
  ReflectionPad2d,
  ReplicationPad1d,
  ReplicationPad2d,
  ZeroPad3d,
  ConstantPad3d,
  ReflectionPad3d,
  ReplicationPad3d,
} from './functional_misc.js';
export * as grad from './grad.js';
export * as utils from './utils.js';
export { RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell, type RNNOptions, type RNNCellOptions } from './rnn.js';
export {
  RMSNorm,
  InstanceNorm1d,
  InstanceNorm2d,
  InstanceNorm3d,
  Upsample,
  PixelShuffle,
  PixelUnshuffle,
  Unflatten,
  type InstanceNormOptions,
} from './layers_more.js';
export { Unfold, Fold, type FoldOptions } from './fold.js';
export { EmbeddingBag, type BagMode, type EmbeddingBagOptions } from './embedding_bag.js';
export { CTCLoss, type CtcLossOptions, type CtcLengths } from './ctc.js';
export { FractionalMaxPool2d, FractionalMaxPool3d, type FractionalMaxPoolOptions } from './fractional_pool.js';
export {
  AdaptiveLogSoftmaxWithLoss,
  type AdaptiveLogSoftmaxOptions,
  type AdaptiveLogSoftmaxOutput,
} from './adaptive.js';
export {
  MultiheadAttention,
  TransformerEncoderLayer,
  TransformerDecoderLayer,
  TransformerEncoder,
  TransformerDecoder,
  Transformer,
  type TransformerOptions,
  type TransformerForwardOptions,
  type MultiheadAttentionOptions,
  type AttentionForwardOptions,
  type TransformerLayerOptions,
  type DecoderForwardOptions,
} from './transformer.js';
export {
  LazyLinear,
  LazyConv1d,
  LazyConv2d,
  LazyConv3d,
  LazyConvTranspose1d,
  LazyConvTranspose2d,
  LazyConvTranspose3d,
  LazyBatchNorm1d,
  LazyBatchNorm2d,
  LazyBatchNorm3d,
  LazyInstanceNorm1d,
  LazyInstanceNorm2d,
  LazyInstanceNorm3d,
} from './lazy.js';
