// The public entry points of the package, found by walking what `tensorkit` exports: every
// function, every class constructor, and every public method, getter and setter of every class
// (TS-private, protected and @internal members are left out: they are not API). Instances to call
// methods on come from the factories below; a class with neither a factory nor an abstract
// marker fails the walk, so a new public class cannot silently escape the fuzzer.
import ts from 'typescript';

import * as tk from '../../src/index.js';
import { data, metrics, nn, optim, train, type Tensor } from '../../src/index.js';
import { isInternal, modifiers, parsedSources } from '../helpers/sources.js';

export interface Entry {
  /** 'tk.nn.functional.conv2d', 'new tk.optim.SGD', 'tk.Tensor#matmul', 'tk.Tensor#set requiresGrad'. */
  name: string;
  /** Arguments usually given (the function's length, at least 1 for setters). */
  arity: number;
  /** Calls the entry point with these arguments (the receiver is made inside, fresh each time). */
  invoke(args: unknown[]): unknown;
}

interface ClassFacts {
  abstract: boolean;
  /** A protected or private constructor: not callable by users. */
  hiddenCtor: boolean;
  /** Members users cannot reach from TypeScript: private, protected, @internal, or _-prefixed. */
  hidden: Set<string>;
}

// Syntactic facts about every class under src/, from the TypeScript parser (no type checking).
function classFacts(): Map<string, ClassFacts> {
  const out = new Map<string, ClassFacts>();
  const hasMod = (n: ts.Node, k: ts.SyntaxKind) => modifiers(n).includes(k);
  for (const { sf } of parsedSources()) {
    sf.forEachChild(function visit(node) {
      if (ts.isClassDeclaration(node) && node.name) {
        const facts: ClassFacts = {
          abstract: hasMod(node, ts.SyntaxKind.AbstractKeyword),
          hiddenCtor: false,
          hidden: new Set(),
        };
        for (const m of node.members) {
          if (ts.isConstructorDeclaration(m)) {
            facts.hiddenCtor = hasMod(m, ts.SyntaxKind.PrivateKeyword) || hasMod(m, ts.SyntaxKind.ProtectedKeyword);
            continue;
          }
          const name = m.name && (ts.isIdentifier(m.name) || ts.isPrivateIdentifier(m.name)) ? m.name.text : undefined;
          if (!name) continue;
          if (
            hasMod(m, ts.SyntaxKind.PrivateKeyword) ||
            hasMod(m, ts.SyntaxKind.ProtectedKeyword) ||
            isInternal(m) ||
            name.startsWith('_') ||
            name.startsWith('#')
          )
            facts.hidden.add(name);
        }
        out.set(node.name.text, facts);
      }
      node.forEachChild(visit);
    });
  }
  return out;
}

// ---- instances to call methods on ----------------------------------------------------------------

const param = () => {
  const p = nn.Parameter(tk.randn([3]));
  p.grad = tk.randn([3]);
  return p;
};
const sgd = () => new optim.SGD([param()], { lr: 0.1 });
const dataset = () => new data.TensorDataset(tk.randn([6, 4]), tk.randint(0, 3, [6]));

/** A LightningModule as a user writes one: the Iris-sized classifier. */
export class TinyModule extends train.LightningModule {
  net = new nn.Linear(4, 3);
  override forward(x: Tensor): Tensor {
    return this.net.forward(x);
  }
  override trainingStep(batch: unknown): Tensor {
    const [x, y] = batch as Tensor[];
    const loss = nn.functional.crossEntropy(this.forward(x), y);
    this.log('train_loss', loss);
    return loss;
  }
  override validationStep(batch: unknown): void {
    const [x, y] = batch as Tensor[];
    this.log('val_loss', nn.functional.crossEntropy(this.forward(x), y));
  }
  override configureOptimizers() {
    return new optim.SGD(this.parameters(), { lr: 0.1 });
  }
}
class TinyIterable extends data.IterableDataset<Tensor> {
  *[Symbol.iterator]() {
    yield tk.ones([2]);
  }
}
class TinyDataset extends data.Dataset<number> {
  get length() {
    return 3;
  }
  get(i: number) {
    return i;
  }
}
class TinyCallback extends train.Callback {}
class TinyLogger extends train.Logger {
  logMetrics(): void {}
}

/** A custom autograd Function as a user writes one; its forward uses free functions, which check their arguments. */
class FuzzSquare extends tk.autograd.Function {
  static forward(ctx: tk.autograd.FunctionCtx, x: Tensor): Tensor {
    ctx.saveForBackward(x);
    return tk.mul(x, x);
  }
  static backward(ctx: tk.autograd.FunctionCtx, g: Tensor): Tensor {
    const [x] = ctx.savedTensors;
    return tk.mul(g, tk.mul(x!, 2));
  }
}

/** Class name -> the subclass whose static methods are fuzzed (the base class's are called on it). */
const STATIC_RECEIVERS: Record<string, object> = { CustomFunction: FuzzSquare };

const quietTrainer = () =>
  new train.Trainer({ maxEpochs: 1, enableProgressBar: false, enableCheckpointing: false, logger: false });

/** Class name -> a fresh, valid instance. Abstract classes get a small concrete subclass. */
export const FACTORIES: Record<string, () => object> = {
  Tensor: () => tk.randn([2, 3]),
  TensorError: () => new tk.TensorError('m', 'INVALID_ARGUMENT'),
  GradcheckError: () => new tk.GradcheckError('m'),
  HttpError: () => new tk.HttpError(400, 'm'),
  DistributedSampler: () => new tk.data.DistributedSampler(10, { numReplicas: 3, rank: 1 }),
  Sampler: () => new tk.data.SequentialSampler(4),
  ChainDataset: () => new tk.data.ChainDataset([]),
  SequentialSampler: () => new tk.data.SequentialSampler(5),
  RandomSampler: () => new tk.data.RandomSampler(6, { seed: 1 }),
  SubsetRandomSampler: () => new tk.data.SubsetRandomSampler([3, 1, 4], { seed: 1 }),
  WeightedRandomSampler: () => new tk.data.WeightedRandomSampler([1, 2, 0.5], 4, { seed: 1 }),
  BatchSampler: () => new tk.data.BatchSampler(new tk.data.SequentialSampler(5), 2, false),
  // The process group is MPI's singleton (world size 1) in the fuzz child, started on first use.
  DistributedDataParallel: () => {
    if (!tk.distributed.isInitialized()) tk.distributed.initProcessGroup();
    return new tk.distributed.DistributedDataParallel(new nn.Linear(2, 2));
  },
  Work: () => {
    if (!tk.distributed.isInitialized()) tk.distributed.initProcessGroup();
    return tk.distributed.barrier({ async: true });
  },
  SyncBatchNorm: () => new nn.SyncBatchNorm(3),
  SharedTensorDataset: () => new tk.data.SharedTensorDataset(tk.randn([4, 2]), tk.tensor([0, 1, 2, 3])),
  ModuleDataset: () => new tk.data.ModuleDataset('file:///nowhere.js', [], new TinyDataset()),
  ModuleIterableDataset: () =>
    new tk.data.ModuleIterableDataset('file:///nowhere.js', [], {
      *[Symbol.iterator]() {
        yield 1;
      },
    }),
  // monitor (no webhook: the fuzzer must not reach the network)
  DriftMonitor: () => new tk.monitor.DriftMonitor(tk.randn([20, 3]), { window: 8, every: 4 }),
  // jit
  Graph: () => tk.jit.trace(new nn.Linear(3, 2), [tk.randn([2, 3])], { dynamicAxes: { input0: [0] } }),
  // nn
  Module: () => new nn.Linear(3, 2),
  Linear: () => new nn.Linear(3, 2),
  Conv2d: () => new nn.Conv2d(1, 2, 3),
  Conv1d: () => new nn.Conv1d(2, 2, 3),
  ConvTranspose2d: () => new nn.ConvTranspose2d(2, 1, 2),
  Conv3d: () => new nn.Conv3d(1, 2, 2, { paddingMode: 'circular', padding: 1 }),
  ConvTranspose1d: () => new nn.ConvTranspose1d(2, 1, 3, { stride: 2 }),
  ConvTranspose3d: () => new nn.ConvTranspose3d(2, 1, 2),
  MaxPool3d: () => new nn.MaxPool3d(2),
  AvgPool3d: () => new nn.AvgPool3d(2, { divisorOverride: 3 }),
  AdaptiveAvgPool3d: () => new nn.AdaptiveAvgPool3d([1, null, 2]),
  AdaptiveMaxPool3d: () => new nn.AdaptiveMaxPool3d(2),
  MaxUnpool1d: () => new nn.MaxUnpool1d(2),
  MaxUnpool2d: () => new nn.MaxUnpool2d(2),
  MaxUnpool3d: () => new nn.MaxUnpool3d(2),
  BatchNorm3d: () => new nn.BatchNorm3d(3),
  InstanceNorm1d: () => new nn.InstanceNorm1d(2, { trackRunningStats: true }),
  InstanceNorm3d: () => new nn.InstanceNorm3d(2),
  Dropout3d: () => new nn.Dropout3d(0.2),
  ZeroPad3d: () => new nn.ZeroPad3d(1),
  ConstantPad3d: () => new nn.ConstantPad3d(1, 2),
  ReflectionPad3d: () => new nn.ReflectionPad3d(1),
  ReplicationPad3d: () => new nn.ReplicationPad3d([1, 0, 0, 1, 1, 0]),
  Transformer: () =>
    new nn.Transformer({ dModel: 4, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 8 }),
  MaxPool2d: () => new nn.MaxPool2d(2),
  AvgPool2d: () => new nn.AvgPool2d(2),
  AdaptiveAvgPool2d: () => new nn.AdaptiveAvgPool2d(2),
  BatchNorm1d: () => new nn.BatchNorm1d(3),
  BatchNorm2d: () => new nn.BatchNorm2d(3),
  LayerNorm: () => new nn.LayerNorm(3),
  GroupNorm: () => new nn.GroupNorm(1, 3),
  Dropout: () => new nn.Dropout(),
  Flatten: () => new nn.Flatten(),
  Embedding: () => new nn.Embedding(5, 3),
  Bilinear: () => new nn.Bilinear(2, 3, 4),
  Identity: () => new nn.Identity(),
  ReLU: () => new nn.ReLU(),
  LeakyReLU: () => new nn.LeakyReLU(),
  GELU: () => new nn.GELU(),
  SiLU: () => new nn.SiLU(),
  Sigmoid: () => new nn.Sigmoid(),
  Tanh: () => new nn.Tanh(),
  Softmax: () => new nn.Softmax(1),
  LogSoftmax: () => new nn.LogSoftmax(1),
  ELU: () => new nn.ELU(),
  CELU: () => new nn.CELU(),
  SELU: () => new nn.SELU(),
  Softplus: () => new nn.Softplus(),
  LogSigmoid: () => new nn.LogSigmoid(),
  Hardtanh: () => new nn.Hardtanh(),
  ReLU6: () => new nn.ReLU6(),
  Hardsigmoid: () => new nn.Hardsigmoid(),
  Hardswish: () => new nn.Hardswish(),
  Mish: () => new nn.Mish(),
  Softsign: () => new nn.Softsign(),
  PReLU: () => new nn.PReLU({ numParameters: 3 }),
  GLU: () => new nn.GLU(),
  Distribution: () => new tk.distributions.Normal(0, 1),
  Normal: () => new tk.distributions.Normal(tk.zeros([3]), tk.ones([3])),
  Uniform: () => new tk.distributions.Uniform(0, 2),
  Exponential: () => new tk.distributions.Exponential(tk.tensor([0.5, 2])),
  Laplace: () => new tk.distributions.Laplace(0, 1),
  Bernoulli: () => new tk.distributions.Bernoulli({ probs: tk.tensor([0.2, 0.9]) }),
  Categorical: () => new tk.distributions.Categorical({ logits: tk.randn([2, 4]) }),
  Gamma: () => new tk.distributions.Gamma(2, 1),
  Beta: () => new tk.distributions.Beta(2, 3),
  Poisson: () => new tk.distributions.Poisson(tk.tensor([1, 4])),
  Unfold: () => new tk.nn.Unfold(2, { padding: 1 }),
  EmbeddingBag: () => new tk.nn.EmbeddingBag(10, 3, { mode: 'max' }),
  CTCLoss: () => new tk.nn.CTCLoss({ blank: 1, zeroInfinity: true }),
  FractionalMaxPool2d: () => new tk.nn.FractionalMaxPool2d(2, { outputRatio: 0.5 }),
  FractionalMaxPool3d: () => new tk.nn.FractionalMaxPool3d(2, { outputSize: 2, returnIndices: true }),
  AdaptiveLogSoftmaxWithLoss: () => new tk.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3, 6], { divValue: 2 }),
  LocalResponseNorm: () => new tk.nn.LocalResponseNorm(3),
  LPPool1d: () => new tk.nn.LPPool1d(2, 2),
  LPPool2d: () => new tk.nn.LPPool2d(2, 2),
  ChannelShuffle: () => new tk.nn.ChannelShuffle(2),
  AlphaDropout: () => new tk.nn.AlphaDropout(0.2),
  FeatureAlphaDropout: () => new tk.nn.FeatureAlphaDropout(0.2),
  RReLU: () => new tk.nn.RReLU(),
  Softmax2d: () => new tk.nn.Softmax2d(),
  UpsamplingNearest2d: () => new tk.nn.UpsamplingNearest2d({ scaleFactor: 2 }),
  UpsamplingBilinear2d: () => new tk.nn.UpsamplingBilinear2d({ scaleFactor: 2 }),
  MultiLabelMarginLoss: () => new tk.nn.MultiLabelMarginLoss(),
  TripletMarginWithDistanceLoss: () => new tk.nn.TripletMarginWithDistanceLoss({ swap: true }),
  ParameterList: () => new tk.nn.ParameterList([tk.ones([2])]),
  ParameterDict: () => new tk.nn.ParameterDict({ a: tk.ones([2]) }),
  PackedSequence: () => tk.nn.utils.packSequence([tk.randn([3, 2]), tk.randn([1, 2])]),
  Fold: () => new tk.nn.Fold([4, 4], 2, { stride: 2 }),
  Dirichlet: () => new tk.distributions.Dirichlet(tk.ones([2, 3])),
  MultivariateNormal: () =>
    new tk.distributions.MultivariateNormal(tk.zeros([2, 3]), { covarianceMatrix: tk.eye(3).mul(2) }),
  Independent: () => new tk.distributions.Independent(new tk.distributions.Normal(tk.zeros([2, 3]), 1), 1),
  LogNormal: () => new tk.distributions.LogNormal(tk.zeros([3]), 1),
  HalfNormal: () => new tk.distributions.HalfNormal(tk.tensor([1, 2])),
  Cauchy: () => new tk.distributions.Cauchy(0, tk.tensor([1, 3])),
  HalfCauchy: () => new tk.distributions.HalfCauchy(2),
  Gumbel: () => new tk.distributions.Gumbel(tk.zeros([2]), 1),
  Weibull: () => new tk.distributions.Weibull(1, tk.tensor([0.5, 2])),
  Pareto: () => new tk.distributions.Pareto(1, tk.tensor([1.5, 3])),
  Chi2: () => new tk.distributions.Chi2(tk.tensor([1, 4])),
  StudentT: () => new tk.distributions.StudentT(tk.tensor([2, 5]), 0, 1),
  Geometric: () => new tk.distributions.Geometric({ probs: tk.tensor([0.3, 0.8]) }),
  Binomial: () => new tk.distributions.Binomial(5, { probs: tk.tensor([0.3, 0.8]) }),
  NegativeBinomial: () => new tk.distributions.NegativeBinomial(3, { logits: tk.tensor([0.3, -1]) }),
  OneHotCategorical: () => new tk.distributions.OneHotCategorical({ logits: tk.randn([2, 4]) }),
  Multinomial: () => new tk.distributions.Multinomial(5, { probs: tk.tensor([0.2, 0.3, 0.5]) }),
  TransformedDistribution: () =>
    new tk.distributions.TransformedDistribution(new tk.distributions.Normal(0, 1), [
      new tk.distributions.TanhTransform(),
    ]),
  Transform: () => new tk.distributions.ExpTransform(),
  ExpTransform: () => new tk.distributions.ExpTransform(),
  AffineTransform: () => new tk.distributions.AffineTransform(1, tk.tensor([2, 3])),
  SigmoidTransform: () => new tk.distributions.SigmoidTransform(),
  TanhTransform: () => new tk.distributions.TanhTransform(),
  SoftplusTransform: () => new tk.distributions.SoftplusTransform(),
  PowerTransform: () => new tk.distributions.PowerTransform(2),
  MixtureSameFamily: () =>
    new tk.distributions.MixtureSameFamily(
      new tk.distributions.Categorical({ probs: tk.tensor([0.4, 0.6]) }),
      new tk.distributions.Normal(tk.tensor([-1, 1]), 1),
    ),
  StickBreakingTransform: () => new tk.distributions.StickBreakingTransform(),
  ContinuousBernoulli: () => new tk.distributions.ContinuousBernoulli({ probs: tk.tensor([0.2, 0.5, 0.9]) }),
  Kumaraswamy: () => new tk.distributions.Kumaraswamy(2, tk.tensor([1, 3])),
  LogitRelaxedBernoulli: () => new tk.distributions.LogitRelaxedBernoulli(0.5, { probs: tk.tensor([0.2, 0.9]) }),
  RelaxedBernoulli: () => new tk.distributions.RelaxedBernoulli(0.5, { logits: tk.tensor([0.2, -1]) }),
  ExpRelaxedCategorical: () => new tk.distributions.ExpRelaxedCategorical(1, { logits: tk.randn([2, 3]) }),
  RelaxedOneHotCategorical: () => new tk.distributions.RelaxedOneHotCategorical(0.7, { probs: tk.tensor([0.2, 0.8]) }),
  LogisticNormal: () => new tk.distributions.LogisticNormal(tk.zeros([2]), 1),
  LowRankMultivariateNormal: () =>
    new tk.distributions.LowRankMultivariateNormal(tk.zeros([3]), tk.ones([3, 1]), tk.ones([3])),
  Wishart: () => new tk.distributions.Wishart(4, { covarianceMatrix: tk.eye(2) }),
  LKJCholesky: () => new tk.distributions.LKJCholesky(3, 1.5),
  FisherSnedecor: () => new tk.distributions.FisherSnedecor(3, tk.tensor([5, 9])),
  VonMises: () => new tk.distributions.VonMises(0, tk.tensor([0.5, 4])),
  OneHotCategoricalStraightThrough: () =>
    new tk.distributions.OneHotCategoricalStraightThrough({ logits: tk.randn([2, 3]) }),
  Generator: () => new tk.Generator().manualSeed(1),
  GradScaler: () => new tk.amp.GradScaler('cpu', { initScale: 8 }),
  Profile: () => tk.profiler.profile(() => tk.tidy(() => tk.ones([2]).add(1)), { recordShapes: true }),
  KeyAverages: () => tk.profiler.profile(() => tk.tidy(() => tk.ones([2]).add(1))).keyAverages(),
  CatTransform: () =>
    new tk.distributions.CatTransform(
      [new tk.distributions.ExpTransform(), new tk.distributions.TanhTransform()],
      -1,
      [2, 1],
    ),
  StackTransform: () =>
    new tk.distributions.StackTransform(
      [new tk.distributions.ExpTransform(), new tk.distributions.SigmoidTransform()],
      0,
    ),
  ConstraintRegistry: () => tk.distributions.transformTo,
  Constraint: () => tk.distributions.constraints.interval(tk.tensor([0, 1]), 2),
  ComposeTransform: () =>
    new tk.distributions.ComposeTransform([
      new tk.distributions.ExpTransform(),
      new tk.distributions.AffineTransform(1, 2),
    ]),
  IndependentTransform: () => new tk.distributions.IndependentTransform(new tk.distributions.TanhTransform(), 1),
  ReshapeTransform: () => new tk.distributions.ReshapeTransform([2, 3], [6]),
  SoftmaxTransform: () => new tk.distributions.SoftmaxTransform(),
  LowerCholeskyTransform: () => new tk.distributions.LowerCholeskyTransform(),
  CumulativeDistributionTransform: () =>
    new tk.distributions.CumulativeDistributionTransform(new tk.distributions.Normal(0, 1)),
  CorrCholeskyTransform: () => new tk.distributions.CorrCholeskyTransform(),
  AbsTransform: () => new tk.distributions.AbsTransform(),
  RNNCell: () => new nn.RNNCell(3, 4),
  LSTMCell: () => new nn.LSTMCell(3, 4),
  GRUCell: () => new nn.GRUCell(3, 4),
  AdaptiveMaxPool1d: () => new nn.AdaptiveMaxPool1d(2),
  AdaptiveMaxPool2d: () => new nn.AdaptiveMaxPool2d([2, null]),
  ZeroPad1d: () => new nn.ZeroPad1d(1),
  ZeroPad2d: () => new nn.ZeroPad2d([1, 0, 2, 1]),
  ConstantPad1d: () => new nn.ConstantPad1d(2, 3),
  ConstantPad2d: () => new nn.ConstantPad2d(1, -1),
  ReflectionPad1d: () => new nn.ReflectionPad1d(1),
  ReflectionPad2d: () => new nn.ReflectionPad2d(1),
  ReplicationPad1d: () => new nn.ReplicationPad1d(2),
  ReplicationPad2d: () => new nn.ReplicationPad2d([1, 1, 0, 2]),
  Softmin: () => new nn.Softmin(1),
  Threshold: () => new nn.Threshold(0.1, 0),
  Hardshrink: () => new nn.Hardshrink(),
  Softshrink: () => new nn.Softshrink(),
  Tanhshrink: () => new nn.Tanhshrink(),
  MaxPool1d: () => new nn.MaxPool1d(2),
  AvgPool1d: () => new nn.AvgPool1d(2),
  AdaptiveAvgPool1d: () => new nn.AdaptiveAvgPool1d(2),
  Dropout1d: () => new nn.Dropout1d(0.2),
  Dropout2d: () => new nn.Dropout2d(0.2),
  CosineSimilarity: () => new nn.CosineSimilarity(),
  PairwiseDistance: () => new nn.PairwiseDistance(),
  KLDivLoss: () => new nn.KLDivLoss({ reduction: 'batchmean' }),
  HuberLoss: () => new nn.HuberLoss(),
  SoftMarginLoss: () => new nn.SoftMarginLoss(),
  MarginRankingLoss: () => new nn.MarginRankingLoss(),
  HingeEmbeddingLoss: () => new nn.HingeEmbeddingLoss(),
  CosineEmbeddingLoss: () => new nn.CosineEmbeddingLoss(),
  TripletMarginLoss: () => new nn.TripletMarginLoss(),
  MultiMarginLoss: () => new nn.MultiMarginLoss(),
  MultiLabelSoftMarginLoss: () => new nn.MultiLabelSoftMarginLoss(),
  PoissonNLLLoss: () => new nn.PoissonNLLLoss(),
  GaussianNLLLoss: () => new nn.GaussianNLLLoss(),
  Sequential: () => new nn.Sequential(new nn.Linear(3, 2), new nn.ReLU()),
  ModuleList: () => new nn.ModuleList([new nn.Linear(3, 2)]),
  ModuleDict: () => new nn.ModuleDict({ fc: new nn.Linear(3, 2) }),
  RNN: () => new nn.RNN(3, 4),
  LSTM: () => new nn.LSTM(3, 4),
  GRU: () => new nn.GRU(3, 4),
  CrossEntropyLoss: () => new nn.CrossEntropyLoss(),
  NLLLoss: () => new nn.NLLLoss(),
  MSELoss: () => new nn.MSELoss(),
  L1Loss: () => new nn.L1Loss(),
  SmoothL1Loss: () => new nn.SmoothL1Loss(),
  BCELoss: () => new nn.BCELoss(),
  BCEWithLogitsLoss: () => new nn.BCEWithLogitsLoss(),
  // optim
  Optimizer: sgd,
  SGD: sgd,
  Adam: () => new optim.Adam([param()]),
  AdamW: () => new optim.AdamW([param()]),
  RMSprop: () => new optim.RMSprop([param()]),
  Adagrad: () => new optim.Adagrad([param()]),
  LRScheduler: () => new optim.lrScheduler.StepLR(sgd(), { stepSize: 2 }),
  StepLR: () => new optim.lrScheduler.StepLR(sgd(), { stepSize: 2 }),
  MultiStepLR: () => new optim.lrScheduler.MultiStepLR(sgd(), { milestones: [1, 2] }),
  ExponentialLR: () => new optim.lrScheduler.ExponentialLR(sgd(), { gamma: 0.9 }),
  CosineAnnealingLR: () => new optim.lrScheduler.CosineAnnealingLR(sgd(), { TMax: 10 }),
  LinearLR: () => new optim.lrScheduler.LinearLR(sgd()),
  OneCycleLR: () => new optim.lrScheduler.OneCycleLR(sgd(), { maxLr: 0.1, totalSteps: 10 }),
  LambdaLR: () => new optim.lrScheduler.LambdaLR(sgd(), { lrLambda: (e) => 0.9 ** e }),
  MultiplicativeLR: () => new optim.lrScheduler.MultiplicativeLR(sgd(), { lrLambda: () => 0.9 }),
  ConstantLR: () => new optim.lrScheduler.ConstantLR(sgd(), { factor: 0.5 }),
  PolynomialLR: () => new optim.lrScheduler.PolynomialLR(sgd(), { totalIters: 4 }),
  CosineAnnealingWarmRestarts: () => new optim.lrScheduler.CosineAnnealingWarmRestarts(sgd(), { T0: 3, TMult: 2 }),
  CyclicLR: () => new optim.lrScheduler.CyclicLR(sgd(), { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 3 }),
  SequentialLR: () => {
    const o = sgd();
    return new optim.lrScheduler.SequentialLR(o, {
      schedulers: [new optim.lrScheduler.ConstantLR(o), new optim.lrScheduler.ExponentialLR(o, { gamma: 0.9 })],
      milestones: [3],
    });
  },
  ChainedScheduler: () => {
    const o = sgd();
    return new optim.lrScheduler.ChainedScheduler([
      new optim.lrScheduler.ConstantLR(o),
      new optim.lrScheduler.ExponentialLR(o, { gamma: 0.9 }),
    ]);
  },
  ReduceLROnPlateau: () => new optim.lrScheduler.ReduceLROnPlateau(sgd()),
  AveragedModel: () => new optim.swaUtils.AveragedModel(new nn.Linear(2, 2)),
  BasePruningMethod: () => new nn.utils.prune.L1Unstructured(0.5),
  ParametrizationList: () => {
    const m = nn.utils.parametrize.registerParametrization(new nn.Linear(2, 2), 'weight', new nn.Identity());
    return (m as unknown as { parametrizations: nn.ModuleDict }).parametrizations.get('weight');
  },
  RandomUnstructured: () => new nn.utils.prune.RandomUnstructured(2),
  L1Unstructured: () => new nn.utils.prune.L1Unstructured(0.3),
  LnStructured: () => new nn.utils.prune.LnStructured(1, 2, 0),
  RandomStructured: () => new nn.utils.prune.RandomStructured(1, 0),
  CustomFromMask: () => new nn.utils.prune.CustomFromMask(tk.ones([2, 2])),
  PruningContainer: () => new nn.utils.prune.PruningContainer(new nn.utils.prune.L1Unstructured(1)),
  SWALR: () => new optim.swaUtils.SWALR(sgd(), { swaLr: 0.05, annealEpochs: 2 }),
  // metrics
  Metric: () => new metrics.MeanMetric(),
  Accuracy: () => new metrics.Accuracy({ task: 'multiclass', numClasses: 3 }),
  Precision: () => new metrics.Precision({ task: 'multiclass', numClasses: 3 }),
  Recall: () => new metrics.Recall({ task: 'binary' }),
  F1Score: () => new metrics.F1Score({ task: 'multiclass', numClasses: 3 }),
  ConfusionMatrix: () => new metrics.ConfusionMatrix({ task: 'multiclass', numClasses: 3 }),
  AUROC: () => new metrics.AUROC({ task: 'binary' }),
  MeanSquaredError: () => new metrics.MeanSquaredError(),
  MeanAbsoluteError: () => new metrics.MeanAbsoluteError(),
  R2Score: () => new metrics.R2Score(),
  MeanMetric: () => new metrics.MeanMetric(),
  MetricCollection: () =>
    new metrics.MetricCollection([new metrics.MeanSquaredError(), new metrics.MeanAbsoluteError()]),
  // data
  Dataset: () => new TinyDataset(),
  IterableDataset: () => new TinyIterable(),
  TensorDataset: dataset,
  Subset: () => new data.Subset(dataset(), [0, 2]),
  ConcatDataset: () => new data.ConcatDataset([dataset(), dataset()]),
  DataLoader: () => new data.DataLoader(dataset(), { batchSize: 2 }),
  Transformed: () =>
    new data.Transformed(new data.TensorDataset(tk.randn([2, 3, 8, 8]), tk.zeros([2])), (x: Tensor) => x),
  // train
  LightningModule: () => new TinyModule(),
  Trainer: quietTrainer,
  Callback: () => new TinyCallback(),
  ModelCheckpoint: () => new train.ModelCheckpoint({ dirpath: 'ckpt' }),
  EarlyStopping: () => new train.EarlyStopping({ monitor: 'val_loss' }),
  LearningRateMonitor: () => new train.LearningRateMonitor(),
  ProgressBar: () => new train.ProgressBar({ stream: { write: () => true } as never }),
  Logger: () => new TinyLogger('logs'),
  CSVLogger: () => new train.CSVLogger('logs'),
  JSONLLogger: () => new train.JSONLLogger('logs'),
  TensorBoardLogger: () => new train.TensorBoardLogger('logs'),
  InstanceNorm2d: () => new nn.InstanceNorm2d(2),
  LazyLinear: () => new nn.LazyLinear(2),
  LazyConv1d: () => new nn.LazyConv1d(2, 3),
  LazyConv2d: () => new nn.LazyConv2d(2, 3),
  LazyConv3d: () => new nn.LazyConv3d(2, 1),
  LazyConvTranspose1d: () => new nn.LazyConvTranspose1d(2, 3),
  LazyConvTranspose2d: () => new nn.LazyConvTranspose2d(2, 3),
  LazyConvTranspose3d: () => new nn.LazyConvTranspose3d(2, 1),
  LazyBatchNorm1d: () => new nn.LazyBatchNorm1d(),
  LazyBatchNorm2d: () => new nn.LazyBatchNorm2d(),
  LazyBatchNorm3d: () => new nn.LazyBatchNorm3d(),
  LazyInstanceNorm1d: () => new nn.LazyInstanceNorm1d(),
  LazyInstanceNorm2d: () => new nn.LazyInstanceNorm2d(),
  LazyInstanceNorm3d: () => new nn.LazyInstanceNorm3d(),
  RMSNorm: () => new nn.RMSNorm(3),
  Upsample: () => new nn.Upsample({ scaleFactor: 2 }),
  PixelShuffle: () => new nn.PixelShuffle(2),
  PixelUnshuffle: () => new nn.PixelUnshuffle(2),
  Unflatten: () => new nn.Unflatten(1, [2, 2]),
  MultiheadAttention: () => new nn.MultiheadAttention(4, 2),
  TransformerEncoderLayer: () => new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8 }),
  TransformerDecoderLayer: () => new nn.TransformerDecoderLayer(4, 2, { dimFeedforward: 8 }),
  TransformerEncoder: () => new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8 }), 1),
  TransformerDecoder: () => new nn.TransformerDecoder(new nn.TransformerDecoderLayer(4, 2, { dimFeedforward: 8 }), 1),
  Adadelta: () => new optim.Adadelta([param()]),
  Adamax: () => new optim.Adamax([param()]),
  NAdam: () => new optim.NAdam([param()]),
  RAdam: () => new optim.RAdam([param()]),
  Rprop: () => new optim.Rprop([param()]),
  ASGD: () => new optim.ASGD([param()]),
  LBFGS: () => new optim.LBFGS([param()]),
  CustomFunction: () => new (FuzzSquare as unknown as new () => object)(),
  FunctionCtx: () => new tk.autograd.FunctionCtx([true]),
  // plain
  PlainTensor: () =>
    tk.plain.plainTensor([
      [1, 2],
      [3, 4],
    ]),
};
/** Classes whose only instances need outside data (a CIFAR-10 folder): constructors only. */
const NO_INSTANCE = new Set(['Cifar10']);

function isClass(f: unknown): f is new (...a: unknown[]) => object {
  return typeof f === 'function' && /^class\b/.test(Function.prototype.toString.call(f));
}

/** Every public entry point, in a fixed order (the same in every process). */
export function entries(): Entry[] {
  const facts = classFacts();
  const out: Entry[] = [];
  const seenNs = new Set<unknown>();
  const seenClass = new Set<unknown>();
  const seenFn = new Set<unknown>();
  const addClass = (path: string, C: new (...a: unknown[]) => object) => {
    if (seenClass.has(C)) return;
    seenClass.add(C);
    const f = facts.get(C.name);
    if (!f) throw new Error(`fuzz: no source facts for class ${C.name} (${path})`);
    if (!f.abstract && !f.hiddenCtor)
      out.push({ name: `new ${path}`, arity: C.length, invoke: (args) => new C(...args) });
    // Static methods (autograd.Function.apply), called on a concrete subclass where one is given.
    for (const n of Object.getOwnPropertyNames(C).sort()) {
      const d = Object.getOwnPropertyDescriptor(C, n)!;
      if (typeof d.value !== 'function' || f.hidden.has(n) || n.startsWith('_')) continue;
      const receiver = STATIC_RECEIVERS[C.name] ?? C;
      out.push({
        name: `${path}.${n}`,
        arity: d.value.length,
        invoke: (args) => (d.value as (...a: unknown[]) => unknown).apply(receiver, args),
      });
    }
    if (NO_INSTANCE.has(C.name)) return;
    const make = FACTORIES[C.name];
    if (!make) throw new Error(`fuzz: class ${path} needs an instance factory in test/fuzz/entries.ts`);
    // Public members along the prototype chain, up to (not including) Object/Error.
    const names = new Map<string, PropertyDescriptor>();
    let hidden = new Set<string>(f.hidden);
    for (
      let p = C.prototype, K: unknown = C;
      p && p !== Object.prototype && p !== Error.prototype;
      p = Object.getPrototypeOf(p), K = Object.getPrototypeOf(K)
    ) {
      const kf = facts.get((K as { name: string }).name);
      if (kf) hidden = new Set([...hidden, ...kf.hidden]);
      for (const n of Object.getOwnPropertyNames(p)) {
        if (n === 'constructor' || names.has(n)) continue;
        names.set(n, Object.getOwnPropertyDescriptor(p, n)!);
      }
    }
    for (const [n, d] of [...names].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (hidden.has(n) || n.startsWith('_')) continue;
      // An inherited method is the same code on every subclass: it is fuzzed once, on the first
      // class that has it (forward() and any override are their own functions).
      const fn = d.value ?? d.get ?? d.set;
      if (seenFn.has(fn)) continue;
      seenFn.add(fn);
      // The function found here is called (not the instance's member of that name, which a
      // factory's subclass may override with test code).
      if (typeof d.value === 'function')
        out.push({
          name: `${path}#${n}`,
          arity: d.value.length,
          invoke: (args) => (d.value as (...a: unknown[]) => unknown).apply(make(), args),
        });
      if (d.get) out.push({ name: `${path}#get ${n}`, arity: 0, invoke: () => d.get!.call(make()) });
      if (d.set) out.push({ name: `${path}#set ${n}`, arity: 1, invoke: (args) => d.set!.call(make(), args[0]) });
    }
  };
  const walk = (ns: Record<string, unknown>, path: string) => {
    for (const k of Object.keys(ns).sort()) {
      const v = ns[k];
      const p = `${path}.${k}`;
      if (isClass(v)) addClass(p, v);
      else if (typeof v === 'function') {
        if (seenFn.has(v)) continue; // re-exported under another name (tk.noGrad, tk.autograd.noGrad)
        seenFn.add(v);
        out.push({ name: p, arity: v.length, invoke: (args) => (v as (...a: unknown[]) => unknown)(...args) });
      } else if (v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v) && !seenNs.has(v)) {
        seenNs.add(v);
        walk(v as Record<string, unknown>, p);
      }
    }
  };
  walk(tk as unknown as Record<string, unknown>, 'tk');
  return out;
}
