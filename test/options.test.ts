// Every options object in the package goes through the one checker: a misspelled or unknown name
// is an INVALID_ARGUMENT error naming it (and the nearest valid name when there is one), never
// silently ignored. The table has one row per public function, constructor and method that
// takes options; a test fails when the source gains one that the table lacks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { data, io, metrics, nn, optim, train, TensorError, type Tensor } from '../src/index.js';
import { publicOptionParams } from './helpers/option-params.js';
import * as plain from '../src/plain/index.js';

const O = { zzzUnknown: 1 } as never;
const lin = () => new nn.Linear(3, 2);
const dir = mkdtempSync(join(tmpdir(), 'tk-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const x = () => tk.randn([2, 3]);
const img = () => tk.randn([1, 2, 6, 6]);
const vol = () => tk.randn([1, 2, 3, 3, 3]);
const labels = () => tk.tensor([0, 2], { dtype: 'int64' });
const p = () => nn.Parameter(tk.randn([3]));
const sgd = () => new optim.SGD([p()], { lr: 0.1 });
const ds = () => new data.TensorDataset(tk.randn([4, 3]), tk.tensor([0, 1, 0, 1], { dtype: 'int64' }));
const mc = { task: 'multiclass', numClasses: 3 } as const;
const file = (name: string) => join(dir, name);
const saved = (() => {
  let path: string | undefined;
  return () => (path ??= (io.save({ w: tk.ones([2]) }, file('w.safetensors')), file('w.safetensors')));
})();
const ckpt = (() => {
  let path: string | undefined;
  return () => (path ??= (io.saveCheckpoint({ a: 1 }, file('c.ckpt')), file('c.ckpt')));
})();
class Tiny extends train.LightningModule {
  net = new nn.Linear(3, 2);
  override forward(t: Tensor) {
    return this.net.forward(t);
  }
  override trainingStep(b: unknown) {
    const [xb, yb] = b as Tensor[];
    return nn.functional.crossEntropy(this.forward(xb), yb);
  }
  override configureOptimizers() {
    return new optim.SGD(this.parameters(), { lr: 0.1 });
  }
}
const quiet = () =>
  new train.Trainer({ maxEpochs: 1, enableProgressBar: false, enableCheckpointing: false, logger: false });
const loader = () => new data.DataLoader(ds(), { batchSize: 2 });

/** Each row calls the entry point with O (an unknown option) where its options go. */
const ROWS: Record<string, () => unknown> = {
  'autograd.ts:backward': () => tk.autograd.backward(x().requiresGrad_().sum(), null, O),
  'autograd.ts:grad': () => {
    const t = x().requiresGrad_();
    return tk.autograd.grad(t.sum(), [t], O);
  },
  'autograd.ts:gradcheck': () => tk.gradcheck((t) => t.sum(), [tk.randn([2], { dtype: 'float64' }).requiresGrad_()], O),
  'autograd.ts:gradgradcheck': () =>
    tk.gradgradcheck((t) => t.sum(), [tk.randn([2], { dtype: 'float64' }).requiresGrad_()], O),
  'distributed/ddp.ts:DistributedDataParallel.constructor': () =>
    new tk.distributed.DistributedDataParallel(new nn.Linear(2, 2), O),
  'distributed/process_group.ts:allGather': () => tk.distributed.allGather([x()], x(), O),
  'distributed/process_group.ts:allGatherIntoTensor': () => tk.distributed.allGatherIntoTensor(x(), x(), O),
  'distributed/process_group.ts:allReduce': () => tk.distributed.allReduce(x(), O),
  'distributed/process_group.ts:barrier': () => tk.distributed.barrier(O),
  'distributed/process_group.ts:broadcast': () => tk.distributed.broadcast(x(), O),
  'distributed/process_group.ts:gather': () => tk.distributed.gather(x(), O),
  'distributed/process_group.ts:initProcessGroup': () => tk.distributed.initProcessGroup(O),
  'distributed/process_group.ts:recv': () => tk.distributed.recv(x(), 0, O),
  'distributed/process_group.ts:reduceScatter': () => tk.distributed.reduceScatter(x(), [x()], O),
  'distributed/process_group.ts:scatter': () => tk.distributed.scatter(x(), O),
  'distributed/process_group.ts:send': () => tk.distributed.send(x(), 0, O),
  'nn/layers.ts:SyncBatchNorm.constructor': () => new nn.SyncBatchNorm(2, O),
  'nn/activations.ts:PReLU.constructor': () => new nn.PReLU(O),
  'nn/activations.ts:Softplus.constructor': () => new nn.Softplus(O),
  'nn/activations.ts:GELU.constructor': () => new nn.GELU(O),
  'data/dataset.ts:randomSplit': () => data.randomSplit(ds(), [2, 2], O),
  'data/datasets.ts:readCsv': () => data.readCsv({ text: 'a,b\n1,2' }, O),
  'data/images.ts:Cifar10.constructor': () => new data.Cifar10(dir, O),
  'data/images.ts:cifar10': () => data.cifar10(dir, O),
  'data/image_transforms.ts:randomCrop': () => data.transforms.randomCrop(4, O),
  'data/image_transforms.ts:randomHorizontalFlip': () => data.transforms.randomHorizontalFlip(0.5, O),
  'data/image_transforms.ts:colorJitter': () => data.transforms.colorJitter(O),
  'data/image_ops.ts:crop': () => data.transforms.functional.crop(x(), 0, 0, 1, 1, O),
  'data/image_ops.ts:adjustColor': () => data.transforms.functional.adjustColor(x(), O),
  'data/images.ts:shapes': () => data.synthetic.shapes(O),
  'data/datasets.ts:blobs': () => data.synthetic.blobs(O),
  'data/datasets.ts:spirals': () => data.synthetic.spirals(O),
  'data/loader.ts:DataLoader.constructor': () => new data.DataLoader(ds(), O),
  'io/checkpoint.ts:loadCheckpoint': () => io.loadCheckpoint(ckpt(), O),
  'io/safetensors.ts:deserialize': () => io.deserialize(io.serialize({ w: tk.ones([1]) }), O),
  'io/safetensors.ts:load': () => io.load(saved(), O),
  'io/safetensors.ts:loadWithMetadata': () => io.loadWithMetadata(saved(), O),
  'jit/trace.ts:trace': () => tk.jit.trace((t: tk.Tensor) => t.relu(), [x()], O),
  'serve/server.ts:serve': () => tk.serve(O),
  'onnx/export.ts:exportModel': () => tk.onnx.export(new tk.nn.Linear(2, 2), [tk.randn([1, 2])], file('o.onnx'), O),
  'onnx/export.ts:toOnnx': () =>
    tk.onnx.toOnnx(
      tk.jit.trace((t: tk.Tensor) => t.relu(), [x()]),
      O,
    ),
  'io/safetensors.ts:save': () => io.save({ w: tk.ones([1]) }, file('o.safetensors'), O),
  'io/safetensors.ts:serialize': () => io.serialize({ w: tk.ones([1]) }, O),
  'metrics/classification.ts:AUROC.constructor': () => new metrics.AUROC({ task: 'binary', ...(O as object) } as never),
  'metrics/classification.ts:Accuracy.constructor': () => new metrics.Accuracy({ ...mc, ...(O as object) }),
  'metrics/classification.ts:ConfusionMatrix.constructor': () =>
    new metrics.ConfusionMatrix({ ...mc, ...(O as object) }),
  'metrics/classification.ts:F1Score.constructor': () => new metrics.F1Score({ ...mc, ...(O as object) }),
  'metrics/classification.ts:Precision.constructor': () => new metrics.Precision({ ...mc, ...(O as object) }),
  'metrics/classification.ts:Recall.constructor': () => new metrics.Recall({ ...mc, ...(O as object) }),
  'metrics/collection.ts:MetricCollection.clone': () =>
    new metrics.MetricCollection([new metrics.MeanMetric()]).clone(O),
  'metrics/collection.ts:MetricCollection.constructor': () =>
    new metrics.MetricCollection([new metrics.MeanMetric()], O),
  'metrics/functional.ts:accuracy': () => metrics.functional.accuracy(x(), labels(), { ...mc, ...(O as object) }),
  'metrics/functional.ts:auroc': () =>
    metrics.functional.auroc(tk.rand([2]), tk.tensor([0, 1]), { task: 'binary', ...(O as object) } as never),
  'metrics/functional.ts:confusionMatrix': () =>
    metrics.functional.confusionMatrix(x(), labels(), { ...mc, ...(O as object) }),
  'metrics/functional.ts:f1Score': () => metrics.functional.f1Score(x(), labels(), { ...mc, ...(O as object) }),
  'metrics/functional.ts:meanSquaredError': () => metrics.functional.meanSquaredError(x(), x(), O),
  'metrics/functional.ts:precision': () => metrics.functional.precision(x(), labels(), { ...mc, ...(O as object) }),
  'metrics/functional.ts:r2Score': () => metrics.functional.r2Score(x(), x(), O),
  'metrics/functional.ts:recall': () => metrics.functional.recall(x(), labels(), { ...mc, ...(O as object) }),
  // The abstract base stores its subclass's options; each subclass checks them.
  'metrics/metric.ts:Metric.constructor': () => new metrics.MeanMetric(O),
  'metrics/regression.ts:MeanAbsoluteError.constructor': () => new metrics.MeanAbsoluteError(O),
  'metrics/regression.ts:MeanMetric.constructor': () => new metrics.MeanMetric(O),
  'metrics/regression.ts:MeanSquaredError.constructor': () => new metrics.MeanSquaredError(O),
  'metrics/regression.ts:R2Score.constructor': () => new metrics.R2Score(O),
  'nn/functional_activations.ts:softplus': () => nn.functional.softplus(img(), O),
  'nn/functional.ts:gelu': () => nn.functional.gelu(x(), O),
  'nn/functional.ts:avgPool2d': () => nn.functional.avgPool2d(img(), 2, O),
  'nn/functional.ts:batchNorm': () => nn.functional.batchNorm(img(), null, null, null, null, O),
  'nn/functional.ts:groupNorm': () => nn.functional.groupNorm(img(), 1, null, null, O),
  'nn/functional.ts:layerNorm': () => nn.functional.layerNorm(img(), [2, 2], null, null, O),
  'nn/functional.ts:conv1d': () => nn.functional.conv1d(tk.randn([1, 2, 5]), tk.randn([1, 2, 3]), null, O),
  'nn/functional.ts:conv2d': () => nn.functional.conv2d(img(), tk.randn([1, 2, 3, 3]), null, O),
  'nn/functional.ts:convTranspose2d': () => nn.functional.convTranspose2d(img(), tk.randn([2, 1, 2, 2]), null, O),
  'nn/functional.ts:embedding': () => nn.functional.embedding(labels(), tk.randn([3, 2]), O),
  'nn/functional.ts:maxPool2d': () => nn.functional.maxPool2d(img(), 2, O),
  'nn/grad.ts:batchNorm': () =>
    nn.grad.batchNorm(tk.ones([2, 2]), tk.ones([2, 2]), tk.ones([2]), tk.zeros([2]), tk.ones([2]), O),
  'nn/grad.ts:elu': () => nn.grad.elu(x(), x(), O),
  'nn/grad.ts:avgPool2d': () => nn.grad.avgPool2d(tk.ones([1, 2, 3, 3]), [1, 2, 6, 6], 2, O),
  'nn/grad.ts:conv2dInput': () => nn.grad.conv2dInput([1, 2, 6, 6], tk.randn([1, 2, 3, 3]), tk.ones([1, 1, 4, 4]), O),
  'nn/grad.ts:conv2dWeight': () => nn.grad.conv2dWeight(img(), [1, 2, 3, 3], tk.ones([1, 1, 4, 4]), O),
  'nn/init.ts:kaimingNormal_': () => nn.init.kaimingNormal_(tk.zeros([2, 3]), O),
  'nn/init.ts:kaimingUniform_': () => nn.init.kaimingUniform_(tk.zeros([2, 3]), O),
  'nn/layers.ts:AvgPool2d.constructor': () => new nn.AvgPool2d(2, O),
  'nn/layers.ts:BatchNorm1d.constructor': () => new nn.BatchNorm1d(3, O),
  'nn/layers.ts:BatchNorm2d.constructor': () => new nn.BatchNorm2d(3, O),
  'nn/layers.ts:BatchNorm3d.constructor': () => new nn.BatchNorm3d(3, O),
  'nn/conv_layers.ts:Conv1d.constructor': () => new nn.Conv1d(2, 2, 3, O),
  'nn/conv_layers.ts:Conv2d.constructor': () => new nn.Conv2d(2, 4, 3, O),
  'nn/conv_layers.ts:Conv3d.constructor': () => new nn.Conv3d(2, 4, 3, O),
  'nn/conv_layers.ts:ConvTranspose1d.constructor': () => new nn.ConvTranspose1d(2, 1, 2, O),
  'nn/conv_layers.ts:ConvTranspose2d.constructor': () => new nn.ConvTranspose2d(2, 1, 2, O),
  'nn/conv_layers.ts:ConvTranspose3d.constructor': () => new nn.ConvTranspose3d(2, 1, 2, O),
  'nn/pool_layers.ts:AvgPool3d.constructor': () => new nn.AvgPool3d(2, O),
  'nn/pool_layers.ts:MaxPool3d.constructor': () => new nn.MaxPool3d(2, O),
  'nn/pool_layers.ts:MaxUnpool2d.constructor': () => new nn.MaxUnpool2d(2, O),
  'nn/volumetric.ts:conv3d': () => nn.functional.conv3d(vol(), tk.randn([1, 2, 2, 2, 2]), null, O),
  'nn/volumetric.ts:convTranspose1d': () =>
    nn.functional.convTranspose1d(tk.randn([1, 2, 5]), tk.randn([2, 1, 2]), null, O),
  'nn/volumetric.ts:convTranspose3d': () => nn.functional.convTranspose3d(vol(), tk.randn([2, 1, 2, 2, 2]), null, O),
  'nn/volumetric.ts:maxPool3d': () => nn.functional.maxPool3d(vol(), 2, O),
  'nn/volumetric.ts:avgPool3d': () => nn.functional.avgPool3d(vol(), 2, O),
  'nn/volumetric.ts:maxUnpool1d': () =>
    nn.functional.maxUnpool1d(tk.ones([1, 1, 2]), tk.zeros([1, 1, 2], { dtype: 'int64' }), 2, O),
  'nn/volumetric.ts:maxUnpool2d': () =>
    nn.functional.maxUnpool2d(tk.ones([1, 1, 2, 2]), tk.zeros([1, 1, 2, 2], { dtype: 'int64' }), 2, O),
  'nn/volumetric.ts:maxUnpool3d': () =>
    nn.functional.maxUnpool3d(vol(), tk.zeros([1, 2, 3, 3, 3], { dtype: 'int64' }), 2, O),
  'nn/layers.ts:Bilinear.constructor': () => new nn.Bilinear(2, 3, 4, O),
  'nn/layers.ts:Embedding.constructor': () => new nn.Embedding(5, 3, O),
  'nn/layers.ts:GroupNorm.constructor': () => new nn.GroupNorm(1, 3, O),
  'nn/layers.ts:LayerNorm.constructor': () => new nn.LayerNorm(3, O),
  'nn/layers.ts:Linear.constructor': () => new nn.Linear(3, 2, O),
  'nn/layers.ts:MaxPool2d.constructor': () => new nn.MaxPool2d(2, O),
  'nn/losses.ts:BCELoss.constructor': () => new nn.BCELoss(O),
  'nn/losses.ts:BCEWithLogitsLoss.constructor': () => new nn.BCEWithLogitsLoss(O),
  'nn/losses.ts:CrossEntropyLoss.constructor': () => new nn.CrossEntropyLoss(O),
  'nn/losses.ts:L1Loss.constructor': () => new nn.L1Loss(O),
  'nn/losses.ts:MSELoss.constructor': () => new nn.MSELoss(O),
  'nn/losses.ts:NLLLoss.constructor': () => new nn.NLLLoss(O),
  'nn/losses.ts:SmoothL1Loss.constructor': () => new nn.SmoothL1Loss(O),
  'nn/losses.ts:binaryCrossEntropy': () => nn.functional.binaryCrossEntropy(tk.rand([2]), tk.rand([2]), O),
  'nn/losses.ts:binaryCrossEntropyWithLogits': () =>
    nn.functional.binaryCrossEntropyWithLogits(tk.rand([2]), tk.rand([2]), O),
  'nn/losses.ts:crossEntropy': () => nn.functional.crossEntropy(x(), labels(), O),
  'nn/losses.ts:l1Loss': () => nn.functional.l1Loss(x(), x(), O),
  'nn/losses.ts:mseLoss': () => nn.functional.mseLoss(x(), x(), O),
  'nn/losses.ts:nllLoss': () => nn.functional.nllLoss(x(), labels(), O),
  'nn/losses.ts:smoothL1Loss': () => nn.functional.smoothL1Loss(x(), x(), O),
  'nn/packed.ts:padSequence': () => nn.utils.padSequence([tk.ones([2])], O),
  'nn/rnn.ts:RNNCell.constructor': () => new nn.RNNCell(3, 4, O),
  'nn/rnn.ts:LSTMCell.constructor': () => new nn.LSTMCell(3, 4, O),
  'nn/rnn.ts:GRUCell.constructor': () => new nn.GRUCell(3, 4, O),
  'nn/losses_more.ts:cosineSimilarity': () => nn.functional.cosineSimilarity(x(), x(), O),
  'nn/losses_more.ts:pairwiseDistance': () => nn.functional.pairwiseDistance(x(), x(), O),
  'nn/losses_more.ts:normalize': () => nn.functional.normalize(x(), O),
  'nn/losses_more.ts:klDiv': () => nn.functional.klDiv(x(), x(), O),
  'nn/losses_more.ts:huberLoss': () => nn.functional.huberLoss(x(), x(), O),
  'nn/losses_more.ts:softMarginLoss': () => nn.functional.softMarginLoss(x(), x(), O),
  'nn/losses_more.ts:marginRankingLoss': () => nn.functional.marginRankingLoss(x(), x(), x(), O),
  'nn/losses_more.ts:hingeEmbeddingLoss': () => nn.functional.hingeEmbeddingLoss(x(), x(), O),
  'nn/losses_more.ts:cosineEmbeddingLoss': () => nn.functional.cosineEmbeddingLoss(x(), x(), tk.ones([2]), O),
  'nn/losses_more.ts:tripletMarginLoss': () => nn.functional.tripletMarginLoss(x(), x(), x(), O),
  'nn/losses_more.ts:multiMarginLoss': () => nn.functional.multiMarginLoss(x(), labels(), O),
  'nn/losses_more.ts:multilabelSoftMarginLoss': () => nn.functional.multilabelSoftMarginLoss(x(), x(), O),
  'nn/losses_more.ts:poissonNllLoss': () => nn.functional.poissonNllLoss(x(), x(), O),
  'nn/losses_more.ts:gaussianNllLoss': () => nn.functional.gaussianNllLoss(x(), x(), x().abs(), O),
  'nn/losses_more.ts:CosineSimilarity.constructor': () => new nn.CosineSimilarity(O),
  'nn/losses_more.ts:PairwiseDistance.constructor': () => new nn.PairwiseDistance(O),
  'nn/losses_more.ts:KLDivLoss.constructor': () => new nn.KLDivLoss(O),
  'nn/losses_more.ts:HuberLoss.constructor': () => new nn.HuberLoss(O),
  'nn/losses_more.ts:SoftMarginLoss.constructor': () => new nn.SoftMarginLoss(O),
  'nn/losses_more.ts:MarginRankingLoss.constructor': () => new nn.MarginRankingLoss(O),
  'nn/losses_more.ts:HingeEmbeddingLoss.constructor': () => new nn.HingeEmbeddingLoss(O),
  'nn/losses_more.ts:CosineEmbeddingLoss.constructor': () => new nn.CosineEmbeddingLoss(O),
  'nn/losses_more.ts:TripletMarginLoss.constructor': () => new nn.TripletMarginLoss(O),
  'nn/losses_more.ts:MultiMarginLoss.constructor': () => new nn.MultiMarginLoss(O),
  'nn/losses_more.ts:MultiLabelSoftMarginLoss.constructor': () => new nn.MultiLabelSoftMarginLoss(O),
  'nn/losses_more.ts:PoissonNLLLoss.constructor': () => new nn.PoissonNLLLoss(O),
  'nn/losses_more.ts:GaussianNLLLoss.constructor': () => new nn.GaussianNLLLoss(O),
  'nn/functional_misc.ts:maxPool1d': () => nn.functional.maxPool1d(tk.ones([1, 2, 6]), 2, O),
  'nn/functional_misc.ts:avgPool1d': () => nn.functional.avgPool1d(tk.ones([1, 2, 6]), 2, O),
  'nn/functional_misc.ts:MaxPool1d.constructor': () => new nn.MaxPool1d(2, O),
  'nn/functional_misc.ts:AvgPool1d.constructor': () => new nn.AvgPool1d(2, O),
  'nn/module.ts:Module.loadStateDict': () => {
    const m = new nn.Linear(3, 2);
    return m.loadStateDict(m.stateDict(), O);
  },
  'nn/module.ts:Module.to': () => new nn.Linear(3, 2).to(O),
  'nn/rnn.ts:GRU.constructor': () => new nn.GRU(3, 4, O),
  'nn/rnn.ts:LSTM.constructor': () => new nn.LSTM(3, 4, O),
  'nn/rnn.ts:RNN.constructor': () => new nn.RNN(3, 4, O),
  'ops/creation.ts:arange': () => tk.arange(3, O),
  'ops/creation.ts:eye': () => tk.eye(2, O),
  'ops/creation.ts:full': () => tk.full([2], 1, O),
  'ops/creation.ts:fullLike': () => tk.fullLike(x(), 1, O),
  'ops/creation.ts:linspace': () => tk.linspace(0, 1, 3, O),
  'ops/creation.ts:onesLike': () => tk.onesLike(x(), O),
  'ops/creation.ts:randLike': () => tk.randLike(x(), O),
  'ops/creation.ts:randint': () => tk.randint(0, 3, [2], O),
  'ops/creation.ts:randintLike': () => tk.randintLike(x(), 0, 3, O),
  'ops/creation.ts:randnLike': () => tk.randnLike(x(), O),
  'ops/creation.ts:tensor': () => tk.tensor([1], O),
  'ops/creation.ts:zerosLike': () => tk.zerosLike(x(), O),
  'ops/creation.ts:zeros': () => tk.zeros([2], O),
  'ops/creation.ts:ones': () => tk.ones([2], O),
  'ops/creation.ts:rand': () => tk.rand([2], O),
  'ops/creation.ts:randn': () => tk.randn([2], O),
  'ops/functional.ts:addmm': () => tk.addmm(x(), x(), tk.randn([3, 3]), O),
  'ops/functional.ts:bincount': () => tk.bincount(labels(), O),
  'optim/lr_scheduler.ts:CosineAnnealingLR.constructor': () =>
    new optim.lrScheduler.CosineAnnealingLR(sgd(), { TMax: 5, ...(O as object) }),
  'optim/lr_scheduler.ts:ExponentialLR.constructor': () =>
    new optim.lrScheduler.ExponentialLR(sgd(), { gamma: 0.9, ...(O as object) }),
  'optim/lr_scheduler.ts:LinearLR.constructor': () => new optim.lrScheduler.LinearLR(sgd(), O),
  'optim/lr_scheduler.ts:MultiStepLR.constructor': () =>
    new optim.lrScheduler.MultiStepLR(sgd(), { milestones: [1], ...(O as object) }),
  'optim/lr_scheduler.ts:OneCycleLR.constructor': () =>
    new optim.lrScheduler.OneCycleLR(sgd(), { maxLr: 0.1, totalSteps: 5, ...(O as object) }),
  'optim/lr_scheduler.ts:ReduceLROnPlateau.constructor': () => new optim.lrScheduler.ReduceLROnPlateau(sgd(), O),
  'optim/lr_scheduler.ts:StepLR.constructor': () =>
    new optim.lrScheduler.StepLR(sgd(), { stepSize: 2, ...(O as object) }),
  'optim/lr_scheduler_more.ts:ConstantLR.constructor': () => new optim.lrScheduler.ConstantLR(sgd(), O),
  'optim/lr_scheduler_more.ts:PolynomialLR.constructor': () => new optim.lrScheduler.PolynomialLR(sgd(), O),
  'optim/lr_scheduler_more.ts:LambdaLR.constructor': () =>
    new optim.lrScheduler.LambdaLR(sgd(), { lrLambda: () => 1, ...(O as object) }),
  'optim/lr_scheduler_more.ts:MultiplicativeLR.constructor': () =>
    new optim.lrScheduler.MultiplicativeLR(sgd(), { lrLambda: () => 1, ...(O as object) }),
  'optim/lr_scheduler_more.ts:CosineAnnealingWarmRestarts.constructor': () =>
    new optim.lrScheduler.CosineAnnealingWarmRestarts(sgd(), { T0: 2, ...(O as object) }),
  'optim/lr_scheduler_more.ts:CyclicLR.constructor': () =>
    new optim.lrScheduler.CyclicLR(sgd(), { baseLr: 0.1, maxLr: 1, ...(O as object) }),
  'optim/lr_scheduler_more.ts:SequentialLR.constructor': () => {
    const o = sgd();
    return new optim.lrScheduler.SequentialLR(o, {
      schedulers: [new optim.lrScheduler.StepLR(o, { stepSize: 1 })],
      milestones: [],
      ...(O as object),
    });
  },
  'nn/mha_functional.ts:multiHeadAttentionForward': () => {
    const t = tk.zeros([2, 1, 4]);
    return nn.functional.multiHeadAttentionForward(
      t,
      t,
      t,
      4,
      2,
      tk.zeros([12, 4]),
      null,
      null,
      null,
      false,
      0,
      tk.zeros([4, 4]),
      null,
      O,
    );
  },
  'nn/functional_inplace.ts:rrelu_': () => nn.functional.rrelu_(tk.randn([3]), O),
  'amp/autocast.ts:autocast': () => tk.amp.autocast('cpu', () => 1, O),
  'amp/grad_scaler.ts:GradScaler.constructor': () => new tk.amp.GradScaler('cpu', O),
  'utils/checkpoint.ts:checkpoint': () => tk.utils.checkpoint.checkpoint((t: Tensor) => t.exp(), [x()], O),
  'utils/checkpoint.ts:checkpointSequential': () =>
    tk.utils.checkpoint.checkpointSequential([(t: Tensor) => t.exp()], 1, x(), O),
  'nn/parametrizations.ts:orthogonal': () => nn.utils.parametrizations.orthogonal(lin(), 'weight', O),
  'nn/parametrizations.ts:spectralNorm': () => nn.utils.parametrizations.spectralNorm(lin(), 'weight', O),
  'nn/parametrize.ts:registerParametrization': () =>
    nn.utils.parametrize.registerParametrization(new nn.Linear(2, 2), 'weight', new nn.Identity(), O),
  'nn/parametrize.ts:removeParametrizations': () => {
    const m = nn.utils.parametrize.registerParametrization(new nn.Linear(2, 2), 'weight', new nn.Identity());
    return nn.utils.parametrize.removeParametrizations(m, 'weight', O);
  },
  'nn/prune.ts:l1Unstructured': () => nn.utils.prune.l1Unstructured(new nn.Linear(2, 2), 'weight', 1, O),
  'nn/prune.ts:lnStructured': () => nn.utils.prune.lnStructured(new nn.Linear(2, 2), 'weight', 1, 2, 0, O),
  'nn/prune.ts:globalUnstructured': () =>
    nn.utils.prune.globalUnstructured([[new nn.Linear(2, 2), 'weight']], nn.utils.prune.L1Unstructured, {
      amount: 1,
      ...(O as object),
    }),
  'optim/optimizers.ts:Adagrad.constructor': () => new optim.Adagrad([p()], O),
  'optim/swa_utils.ts:AveragedModel.constructor': () => new optim.swaUtils.AveragedModel(new nn.Linear(1, 1), O),
  'optim/swa_utils.ts:SWALR.constructor': () => new optim.swaUtils.SWALR(sgd(), { swaLr: 0.1, ...(O as object) }),
  'optim/optimizers.ts:Adam.constructor': () => new optim.Adam([p()], O),
  'optim/optimizers.ts:AdamW.constructor': () => new optim.AdamW([p()], O),
  'optim/optimizers.ts:RMSprop.constructor': () => new optim.RMSprop([p()], O),
  'optim/optimizers.ts:SGD.constructor': () => new optim.SGD([p()], O),
  'optim/optimizer.ts:Optimizer.addParamGroup': () => sgd().addParamGroup({ params: [p()], ...(O as object) }),
  'tensor.ts:Tensor.add': () => x().add(x(), O),
  'tensor.ts:Tensor.add_': () => x().add_(x(), O),
  'tensor.ts:Tensor.addmm': () => x().addmm(x(), tk.randn([3, 3]), O),
  'tensor.ts:Tensor.argmax': () => x().argmax(0, O),
  'tensor.ts:Tensor.argmin': () => x().argmin(0, O),
  'tensor.ts:Tensor.argsort': () => x().argsort(0, O),
  'tensor.ts:Tensor.backward': () => x().requiresGrad_().sum().backward(null, O),
  'tensor.ts:Tensor.bincount': () => labels().bincount(O),
  'tensor.ts:Tensor.div': () => x().div(2, O),
  'tensor.ts:Tensor.div_': () => x().div_(2, O),
  'tensor.ts:Tensor.max': () => x().max(0, O),
  'tensor.ts:Tensor.maxWithIndices': () => x().maxWithIndices(0, O),
  'tensor.ts:Tensor.mean': () => x().mean(0, O),
  'tensor.ts:Tensor.min': () => x().min(0, O),
  'tensor.ts:Tensor.minWithIndices': () => x().minWithIndices(0, O),
  'tensor.ts:Tensor.std': () => x().std(0, O),
  'tensor.ts:Tensor.sub': () => x().sub(1, O),
  'tensor.ts:Tensor.sub_': () => x().sub_(1, O),
  'tensor.ts:Tensor.sum': () => x().sum(0, O),
  'tensor.ts:Tensor.to': () => x().to(O),
  'tensor.ts:Tensor.var': () => x().var(0, O),
  'train/callbacks.ts:EarlyStopping.constructor': () => new train.EarlyStopping({ monitor: 'loss', ...(O as object) }),
  'train/callbacks.ts:LearningRateMonitor.constructor': () => new train.LearningRateMonitor(O),
  'train/callbacks.ts:ModelCheckpoint.constructor': () => new train.ModelCheckpoint(O),
  'train/callbacks.ts:ProgressBar.constructor': () => new train.ProgressBar(O),
  'train/loggers.ts:Logger.constructor': () => new train.CSVLogger(dir, O),
  'train/module.ts:LightningModule.log': () => new Tiny().log('x', 1, O),
  'train/module.ts:LightningModule.logDict': () => new Tiny().logDict({ x: 1 }, O),
  'train/report.ts:report': () => train.report(dir, O),
  'train/report.ts:svgLineChart': () => train.svgLineChart('t', [], O),
  'train/trainer.ts:Trainer.constructor': () => new train.Trainer(O),
  'train/trainer.ts:Trainer.fit': () => quiet().fit(new Tiny(), loader(), O),
  'train/trainer.ts:Trainer.predict': () => quiet().predict(new Tiny(), loader(), O),
  'train/trainer.ts:Trainer.test': () => quiet().test(new Tiny(), loader(), O),
  'train/trainer.ts:Trainer.validate': () => quiet().validate(new Tiny(), loader(), O),
  // issue 18: attention, transformer, shape and optimizer entry points
  'nn/functional_more.ts:instanceNorm': () => nn.functional.instanceNorm(img(), null, null, O),
  'nn/functional_more.ts:interpolate': () => nn.functional.interpolate(img(), O),
  'nn/functional_more.ts:rmsNorm': () => nn.functional.rmsNorm(x(), [3], null, O),
  'nn/functional_more.ts:scaledDotProductAttention': () => nn.functional.scaledDotProductAttention(x(), x(), x(), O),
  'nn/layers_more.ts:InstanceNorm1d.constructor': () => new nn.InstanceNorm1d(2, O),
  'nn/layers_more.ts:InstanceNorm2d.constructor': () => new nn.InstanceNorm2d(2, O),
  'nn/lazy.ts:LazyLinear.constructor': () => new nn.LazyLinear(2, O),
  'nn/lazy.ts:LazyConv1d.constructor': () => new nn.LazyConv1d(2, 3, O),
  'nn/lazy.ts:LazyConv2d.constructor': () => new nn.LazyConv2d(2, 3, O),
  'nn/lazy.ts:LazyConv3d.constructor': () => new nn.LazyConv3d(2, 3, O),
  'nn/lazy.ts:LazyConvTranspose1d.constructor': () => new nn.LazyConvTranspose1d(2, 3, O),
  'nn/lazy.ts:LazyConvTranspose2d.constructor': () => new nn.LazyConvTranspose2d(2, 3, O),
  'nn/lazy.ts:LazyConvTranspose3d.constructor': () => new nn.LazyConvTranspose3d(2, 3, O),
  'nn/lazy.ts:LazyBatchNorm1d.constructor': () => new nn.LazyBatchNorm1d(O),
  'nn/lazy.ts:LazyBatchNorm2d.constructor': () => new nn.LazyBatchNorm2d(O),
  'nn/lazy.ts:LazyBatchNorm3d.constructor': () => new nn.LazyBatchNorm3d(O),
  'nn/lazy.ts:LazyInstanceNorm1d.constructor': () => new nn.LazyInstanceNorm1d(O),
  'nn/lazy.ts:LazyInstanceNorm2d.constructor': () => new nn.LazyInstanceNorm2d(O),
  'nn/lazy.ts:LazyInstanceNorm3d.constructor': () => new nn.LazyInstanceNorm3d(O),
  'nn/layers_more.ts:InstanceNorm3d.constructor': () => new nn.InstanceNorm3d(2, O),
  'nn/layers_more.ts:RMSNorm.constructor': () => new nn.RMSNorm(3, O),
  'nn/layers_more.ts:Upsample.constructor': () => new nn.Upsample(O),
  'nn/transformer.ts:MultiheadAttention.constructor': () => new nn.MultiheadAttention(4, 2, O),
  'nn/transformer.ts:MultiheadAttention.forward': () => {
    const t = tk.randn([2, 1, 4]);
    return new nn.MultiheadAttention(4, 2).forward(t, t, t, O);
  },
  'nn/transformer.ts:TransformerDecoder.constructor': () =>
    new nn.TransformerDecoder(new nn.TransformerDecoderLayer(4, 2, { dimFeedforward: 8 }), 1, O),
  'nn/transformer.ts:TransformerDecoder.forward': () =>
    new nn.TransformerDecoder(new nn.TransformerDecoderLayer(4, 2, { dimFeedforward: 8 }), 1).forward(
      tk.randn([2, 1, 4]),
      tk.randn([3, 1, 4]),
      O,
    ),
  'nn/transformer.ts:Transformer.constructor': () => new nn.Transformer(O),
  'nn/transformer.ts:Transformer.forward': () =>
    new nn.Transformer({ dModel: 4, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 8 }).forward(
      tk.randn([3, 1, 4]),
      tk.randn([2, 1, 4]),
      O,
    ),
  'nn/transformer.ts:TransformerDecoderLayer.constructor': () => new nn.TransformerDecoderLayer(4, 2, O),
  'nn/transformer.ts:TransformerDecoderLayer.forward': () =>
    new nn.TransformerDecoderLayer(4, 2, { dimFeedforward: 8 }).forward(tk.randn([2, 1, 4]), tk.randn([3, 1, 4]), O),
  'nn/transformer.ts:TransformerEncoder.constructor': () =>
    new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8 }), 1, O),
  'nn/transformer.ts:TransformerEncoder.forward': () =>
    new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8 }), 1).forward(
      tk.randn([2, 1, 4]),
      O,
    ),
  'nn/transformer.ts:TransformerEncoderLayer.constructor': () => new nn.TransformerEncoderLayer(4, 2, O),
  'nn/transformer.ts:TransformerEncoderLayer.forward': () =>
    new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8 }).forward(tk.randn([2, 1, 4]), O),
  'ops/shaping.ts:meshgrid': () => tk.meshgrid([tk.arange(2)], O),
  'optim/optimizers_more.ts:Adadelta.constructor': () => new optim.Adadelta([p()], O),
  'optim/optimizers_more.ts:Adamax.constructor': () => new optim.Adamax([p()], O),
  'optim/optimizers_more.ts:LBFGS.constructor': () => new optim.LBFGS([p()], O),
  'optim/optimizers_more.ts:NAdam.constructor': () => new optim.NAdam([p()], O),
  'optim/optimizers_more.ts:Rprop.constructor': () => new optim.Rprop([p()], O),
  'optim/optimizers_more.ts:ASGD.constructor': () => new optim.ASGD([p()], O),
  'optim/optimizers_more.ts:RAdam.constructor': () => new optim.RAdam([p()], O),
  'nn/grad.ts:crossEntropy': () =>
    nn.grad.crossEntropy(tk.ones([]), tk.ones([2, 3]), tk.zeros([2], { dtype: 'int64' }), O),
  'nn/grad.ts:linear': () => nn.grad.linear(tk.ones([2, 3]), tk.ones([2, 4]), tk.ones([3, 4]), O),
  'explain/attribution.ts:featureAblation': () => tk.explain.featureAblation(lin(), tk.ones([2, 3]), O),
  'explain/attribution.ts:gradientShap': () => tk.explain.gradientShap(lin(), tk.ones([2, 3]), O as never),
  'explain/attribution.ts:inputXGradient': () => tk.explain.inputXGradient(lin(), tk.ones([2, 3]), O),
  'explain/attribution.ts:integratedGradients': () => tk.explain.integratedGradients(lin(), tk.ones([2, 3]), O),
  'explain/attribution.ts:noiseTunnel': () => tk.explain.noiseTunnel(tk.explain.saliency, lin(), tk.ones([2, 3]), O),
  'explain/attribution.ts:occlusion': () => tk.explain.occlusion(lin(), tk.ones([2, 3]), O as never),
  'explain/attribution.ts:saliency': () => tk.explain.saliency(lin(), tk.ones([2, 3]), O),
  'explain/layer.ts:layerGradCam': () => tk.explain.layerGradCam(lin(), new nn.ReLU(), tk.ones([2, 3]), O),
  'explain/visualize.ts:heatmap': () => tk.explain.heatmap(tk.ones([3, 3]), O),
  'explain/visualize.ts:imagePng': () => tk.explain.imagePng(tk.ones([3, 3]), O),
  'explain/visualize.ts:report': () => tk.explain.report(O as never),
  'data/distributed.ts:DistributedSampler.constructor': () => new tk.data.DistributedSampler(4, O),
  'data/samplers.ts:RandomSampler.constructor': () => new tk.data.RandomSampler(4, O),
  'data/samplers.ts:SubsetRandomSampler.constructor': () => new tk.data.SubsetRandomSampler([1], O),
  'data/samplers.ts:WeightedRandomSampler.constructor': () => new tk.data.WeightedRandomSampler([1], 1, O),
  'monitor/drift.ts:detectDrift': () => tk.monitor.detectDrift([[1], [2]], [[1], [2]], O),
  'monitor/drift.ts:mmdDrift': () => tk.monitor.mmdDrift([[1], [2]], [[1], [2]], O),
  'monitor/online.ts:DriftMonitor.constructor': () => new tk.monitor.DriftMonitor([[1], [2]], O),
  'monitor/report.ts:report': () => tk.monitor.report([[1], [2]], [[1], [2]], O),
  'plain/nn.ts:crossEntropy': () => plain.crossEntropy(plain.ones([2, 3]), plain.zeros([2], 'int64'), O),
  'plain/nn.ts:crossEntropyBackward': () =>
    plain.crossEntropyBackward(plain.ones([]), plain.ones([2, 3]), plain.zeros([2], 'int64'), O),
  'nn/grad.ts:scaledDotProductAttention': () => {
    const t = tk.ones([1, 2, 2]);
    return nn.grad.scaledDotProductAttention(t, t, t, t, t, tk.ones([1, 2]), O);
  },
  // Tensor methods defined outside tensor.ts (the parser above does not see them)
  'ops/indexing.ts:Tensor.indexPut_': () => x().indexPut_([0], 1, O),
  'ops/indexing.ts:Tensor.scatterReduce': () =>
    x().scatterReduce(0, tk.zeros([1, 3], { dtype: 'int64' }), x(), 'sum', O),
  'ops/indexing.ts:Tensor.nonzero': () => x().nonzero(O),
  'ops/sorting.ts:Tensor.sort': () => x().sort(0, O),
  'ops/sorting.ts:Tensor.topk': () => x().topk(1, 0, O),
  'ops/sorting.ts:Tensor.multinomial': () => x().abs().multinomial(1, O),
  'ops/sorting.ts:Tensor.unique': () => x().unique(O),
  'ops/math.ts:Tensor.logsumexp': () => x().logsumexp(0, O),
  'ops/elementwise_more.ts:Tensor.round': () => x().round(O),
  'ops/math.ts:Tensor.vectorNorm': () => x().vectorNorm(2, O),
  'ops/math.ts:Tensor.any': () => x().any(0, O),
  'ops/math.ts:Tensor.all': () => x().all(0, O),
  'distributions/core.ts:Bernoulli.constructor': () => new tk.distributions.Bernoulli(O),
  'distributions/multivariate_normal.ts:MultivariateNormal.constructor': () =>
    new tk.distributions.MultivariateNormal(tk.zeros([2]), O),
  'distributions/core.ts:Categorical.constructor': () => new tk.distributions.Categorical(O),
  'distributions/more.ts:Geometric.constructor': () => new tk.distributions.Geometric(O),
  'distributions/more.ts:Binomial.constructor': () => new tk.distributions.Binomial(3, O),
  'distributions/more.ts:NegativeBinomial.constructor': () => new tk.distributions.NegativeBinomial(3, O),
  'distributions/more.ts:OneHotCategorical.constructor': () => new tk.distributions.OneHotCategorical(O),
  'distributions/more.ts:Multinomial.constructor': () => new tk.distributions.Multinomial(3, O),
  'distributions/simplex.ts:ContinuousBernoulli.constructor': () => new tk.distributions.ContinuousBernoulli(O),
  'distributions/simplex.ts:LogitRelaxedBernoulli.constructor': () => new tk.distributions.LogitRelaxedBernoulli(1, O),
  'distributions/simplex.ts:RelaxedBernoulli.constructor': () => new tk.distributions.RelaxedBernoulli(1, O),
  'distributions/simplex.ts:ExpRelaxedCategorical.constructor': () => new tk.distributions.ExpRelaxedCategorical(1, O),
  'distributions/simplex.ts:RelaxedOneHotCategorical.constructor': () =>
    new tk.distributions.RelaxedOneHotCategorical(1, O),
  'distributions/matrix.ts:Wishart.constructor': () => new tk.distributions.Wishart(3, O),
  'distributions/constraints.ts:dependentWith': () => tk.distributions.constraints.dependentWith(O),
  'ops/creation_more.ts:logspace': () => tk.logspace(0, 1, 3, O),
  'ops/creation_more.ts:randperm': () => tk.randperm(3, O),
  'ops/creation_more.ts:empty': () => tk.empty([2], O),
  'ops/creation_more.ts:emptyLike': () => tk.emptyLike(x(), O),
  'ops/creation_more.ts:emptyStrided': () => tk.emptyStrided([2], [1], O),
  'format.ts:setPrintoptions': () => tk.setPrintoptions(O),
  'nn/functional_call.ts:functionalCall': () =>
    tk.nn.utils.functionalCall(new tk.nn.Linear(1, 1), {}, [tk.ones([1, 1])], O),
  'ops/interop.ts:frombuffer': () => tk.frombuffer(new Float32Array(2), { dtype: 'float32', ...(O as object) }),
  'ops/interop.ts:asTensor': () => tk.asTensor(x(), O),
  'ops/interop.ts:asarray': () => tk.asarray(x(), O),
  'linalg/lowrank.ts:svdLowrank': () => tk.svdLowrank(tk.eye(3), O),
  'linalg/lowrank.ts:pcaLowrank': () => tk.pcaLowrank(tk.eye(3), O),
  'autograd.ts:setDetectAnomaly': () => tk.autograd.setDetectAnomaly(false, O),
  'autograd_forward.ts:makeDual': () =>
    tk.autograd.forwardAd.dualLevel(() => tk.autograd.forwardAd.makeDual(x(), x(), O)),
  'autograd_forward.ts:unpackDual': () =>
    tk.autograd.forwardAd.dualLevel(() => tk.autograd.forwardAd.unpackDual(x(), O)),
  'autograd_forward.ts:exitDualLevel': () => {
    tk.autograd.forwardAd.enterDualLevel();
    try {
      tk.autograd.forwardAd.exitDualLevel(O);
    } finally {
      tk.autograd.forwardAd.exitDualLevel();
    }
  },
  'autograd_functional.ts:vjp': () => tk.autograd.functional.vjp((a) => a.sum(), tk.ones([2]), null, O),
  'autograd_functional.ts:jvp': () => tk.autograd.functional.jvp((a) => a, tk.ones([1]), null, O),
  'autograd_functional.ts:jacobian': () => tk.autograd.functional.jacobian((a) => a, tk.ones([2]), O),
  'autograd_functional.ts:hessian': () => tk.autograd.functional.hessian((a) => a.sum(), tk.ones([2]), O),
  'autograd_functional.ts:vhp': () => tk.autograd.functional.vhp((a) => a.sum(), tk.ones([1]), null, O),
  'autograd_functional.ts:hvp': () => tk.autograd.functional.hvp((a) => a.sum(), tk.ones([1]), null, O),
  'autograd.ts:detectAnomaly': () => tk.autograd.detectAnomaly(() => 0, O),
  'ops/tensor_more.ts:Tensor.addmm_': () => tk.zeros([2, 2]).addmm_(tk.eye(2), tk.eye(2), O),
  'ops/tensor_more.ts:Tensor.sliceScatter': () => x().sliceScatter(x(), O),
  'ops/tensor_more.ts:Tensor.scatterReduce_': () =>
    x().scatterReduce_(0, tk.zeros([1, 3], { dtype: 'int64' }), x(), 'sum', O),
  'ops/creation_more.ts:searchsorted': () => tk.searchsorted(tk.tensor([1, 2]), x(), O),
  'ops/creation_more.ts:bucketize': () => tk.bucketize(x(), tk.tensor([1, 2]), O),
  'ops/creation_more.ts:histc': () => tk.histc(x(), O),
  'ops/creation_more.ts:isin': () => tk.isin(x(), x(), O),
  'ops/random.ts:normal': () => tk.normal(x(), 1, undefined, O),
  'profiler.ts:Profile.constructor': () => new tk.profiler.Profile(O),
  'profiler.ts:Profile.keyAverages': () => new tk.profiler.Profile().keyAverages(O),
  'profiler.ts:KeyAverages.table': () => new tk.profiler.Profile().keyAverages().table(O),
  'profiler.ts:profile': () => tk.profiler.profile(() => 1, O),
  'ops/random.ts:bernoulli': () => tk.bernoulli(tk.rand([2]), undefined, O),
  'ops/random.ts:poisson': () => tk.poisson(tk.rand([2]), O),
  'ops/random.ts:binomial': () => tk.binomial(tk.ones([2]), tk.rand([2]), O),
  'ops/histogram.ts:histogram': () => tk.histogram(x(), 2, O),
  'ops/scatter_more.ts:sliceScatter': () => tk.sliceScatter(x(), x(), O),
  'ops/gradient.ts:gradient': () => tk.gradient(x(), O),
  'ops/torch_misc.ts:rsub': () => tk.rsub(x(), 1, O),
  'ops/torch_misc.ts:scalarTensor': () => tk.scalarTensor(1, O),
  'linalg/index.ts:luUnpack': () => tk.luUnpack(tk.eye(2), tk.tensor([1, 2], { dtype: 'int32' }), O),
  'ops/histogram.ts:histogramdd': () => tk.histogramdd(x(), 2, O),
  'ops/creation_more.ts:hannWindow': () => tk.hannWindow(4, O),
  'ops/creation_more.ts:hammingWindow': () => tk.hammingWindow(4, O),
  'ops/creation_more.ts:blackmanWindow': () => tk.blackmanWindow(4, O),
  'ops/creation_more.ts:bartlettWindow': () => tk.bartlettWindow(4, O),
  'ops/creation_more.ts:kaiserWindow': () => tk.kaiserWindow(4, O),
  'ops/shaping_more.ts:combinations': () => tk.combinations(tk.tensor([1, 2, 3]), O),
  'ops/reductions_more.ts:trapz': () => tk.trapz(x(), O),
  'ops/composites.ts:Tensor.histc': () => x().histc(O),
  'ops/aliases.ts:Tensor.nanToNum_': () => x().nanToNum_(O),
  'ops/aliases.ts:Tensor.addcmul_': () => x().addcmul_(x(), x(), O),
  'linalg/index.ts:cholesky': () => tk.linalg.cholesky(tk.eye(2), O),
  'linalg/index.ts:choleskyEx': () => tk.linalg.choleskyEx(tk.eye(2), O),
  'linalg/index.ts:choleskyInverse': () => tk.linalg.choleskyInverse(tk.eye(2), O),
  'linalg/index.ts:choleskySolve': () => tk.linalg.choleskySolve(tk.ones([2, 1]), tk.eye(2), O),
  'linalg/index.ts:cross': () => tk.linalg.cross(tk.ones([3]), tk.ones([3]), O),
  'linalg/index.ts:diagonal': () => tk.linalg.diagonal(tk.eye(2), O),
  'linalg/index.ts:eigh': () => tk.linalg.eigh(tk.eye(2), O),
  'linalg/index.ts:eigvalsh': () => tk.linalg.eigvalsh(tk.eye(2), O),
  'linalg/index.ts:lstsq': () => tk.linalg.lstsq(tk.eye(2), tk.eye(2), O),
  'linalg/index.ts:luFactorEx': () => tk.linalg.luFactorEx(tk.eye(2), O),
  'linalg/index.ts:luSolve': () => tk.linalg.luSolve(tk.eye(2), tk.tensor([1, 2], { dtype: 'int32' }), tk.eye(2), O),
  'linalg/index.ts:matrixNorm': () => tk.linalg.matrixNorm(tk.eye(2), 'fro', O),
  'linalg/index.ts:matrixRank': () => tk.linalg.matrixRank(tk.eye(2), O),
  'linalg/index.ts:norm': () => tk.linalg.norm(tk.eye(2), null, O),
  'linalg/index.ts:pinv': () => tk.linalg.pinv(tk.eye(2), O),
  'linalg/index.ts:qr': () => tk.linalg.qr(tk.eye(2), O),
  'linalg/index.ts:solve': () => tk.linalg.solve(tk.eye(2), tk.ones([2]), O),
  'linalg/index.ts:solveEx': () => tk.linalg.solveEx(tk.eye(2), tk.ones([2]), O),
  'linalg/index.ts:solveTriangular': () => tk.linalg.solveTriangular(tk.eye(2), tk.eye(2), O),
  'linalg/index.ts:tensorinv': () => tk.linalg.tensorinv(tk.eye(2), O),
  'linalg/index.ts:tensorsolve': () => tk.linalg.tensorsolve(tk.eye(2), tk.ones([2]), O),
  'linalg/index.ts:svd': () => tk.linalg.svd(tk.eye(2), O),
  'linalg/index.ts:vecdot': () => tk.linalg.vecdot(tk.ones([2]), tk.ones([2]), O),
  'linalg/index.ts:vander': () => tk.linalg.vander(tk.ones([2]), O),
  'linalg/ldl.ts:ldlFactor': () => tk.linalg.ldlFactor(tk.eye(2), O),
  'linalg/ldl.ts:ldlFactorEx': () => tk.linalg.ldlFactorEx(tk.eye(2), O),
  'linalg/ldl.ts:ldlSolve': () =>
    tk.linalg.ldlSolve(tk.eye(2), tk.tensor([1, 2], { dtype: 'int32' }), tk.ones([2, 1]), O),
  'linalg/index.ts:vectorNorm': () => tk.linalg.vectorNorm(tk.ones([2]), 2, O),
  'nn/embedding_bag.ts:embeddingBag': () =>
    tk.nn.functional.embeddingBag(tk.ones([1, 2], { dtype: 'int64' }), tk.ones([3, 2]), O),
  'nn/embedding_bag.ts:EmbeddingBag.constructor': () => new tk.nn.EmbeddingBag(3, 2, O),
  'nn/ctc.ts:ctcLoss': () =>
    tk.nn.functional.ctcLoss(tk.zeros([2, 1, 3]), tk.ones([1, 1], { dtype: 'int64' }), [2], [1], O),
  'nn/ctc.ts:ctcLossGrad': () =>
    tk.nn.grad.ctcLoss(tk.ones([1]), tk.zeros([2, 1, 3]), tk.ones([1, 1], { dtype: 'int64' }), [2], [1], O),
  'nn/ctc.ts:CTCLoss.constructor': () => new tk.nn.CTCLoss(O),
  'nn/fractional_pool.ts:fractionalMaxPool2d': () => tk.nn.functional.fractionalMaxPool2d(img(), 2, O),
  'nn/functional_aliases.ts:maxPool1dWithIndices': () => nn.functional.maxPool1dWithIndices(tk.ones([1, 2, 6]), 2, O),
  'nn/functional_aliases.ts:maxPool2dWithIndices': () => nn.functional.maxPool2dWithIndices(img(), 2, O),
  'nn/functional_aliases.ts:maxPool3dWithIndices': () => nn.functional.maxPool3dWithIndices(vol(), 2, O),
  'nn/functional_aliases.ts:fractionalMaxPool2dWithIndices': () =>
    nn.functional.fractionalMaxPool2dWithIndices(img(), 2, O),
  'nn/functional_aliases.ts:fractionalMaxPool3dWithIndices': () =>
    nn.functional.fractionalMaxPool3dWithIndices(vol(), 2, O),
  'nn/functional_aliases.ts:upsample': () => nn.functional.upsample(img(), O),
  'nn/functional_aliases.ts:upsampleNearest': () => nn.functional.upsampleNearest(img(), O),
  'nn/functional_aliases.ts:upsampleBilinear': () => nn.functional.upsampleBilinear(img(), O),
  'nn/fractional_pool.ts:fractionalMaxPool3d': () => tk.nn.functional.fractionalMaxPool3d(vol(), 2, O),
  'nn/fractional_pool.ts:FractionalMaxPool2d.constructor': () => new tk.nn.FractionalMaxPool2d(2, O),
  'nn/fractional_pool.ts:FractionalMaxPool3d.constructor': () => new tk.nn.FractionalMaxPool3d(2, O),
  'nn/adaptive.ts:AdaptiveLogSoftmaxWithLoss.constructor': () => new tk.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3], O),
  'plain/ctc.ts:ctcLoss': () => plain.ctcLoss(plain.zeros([2, 1, 3]), plain.ones([1, 1], 'int64'), [2], [1], O),
  'plain/ctc.ts:ctcLossBackward': () =>
    plain.ctcLossBackward(plain.ones([1]), plain.zeros([2, 1, 3]), plain.ones([1, 1], 'int64'), [2], [1], O),
  'nn/reparam.ts:weightNorm': () => tk.nn.utils.weightNorm(new tk.nn.Linear(2, 2), O),
  'nn/reparam.ts:removeWeightNorm': () =>
    tk.nn.utils.removeWeightNorm(tk.nn.utils.weightNorm(new tk.nn.Linear(2, 2)), O),
  'nn/reparam.ts:spectralNorm': () => tk.nn.utils.spectralNorm(new tk.nn.Linear(2, 2), O),
  'nn/reparam.ts:removeSpectralNorm': () =>
    tk.nn.utils.removeSpectralNorm(tk.nn.utils.spectralNorm(new tk.nn.Linear(2, 2)), O),
  'nn/packed.ts:packPaddedSequence': () => tk.nn.utils.packPaddedSequence(tk.ones([2, 1]), [2], O),
  'nn/packed.ts:padPackedSequence': () =>
    tk.nn.utils.padPackedSequence(tk.nn.utils.packPaddedSequence(tk.ones([2, 1]), [2]), O),
  'nn/packed.ts:packSequence': () => tk.nn.utils.packSequence([tk.ones([2])], O),
  'nn/packed.ts:unpadSequence': () => tk.nn.utils.unpadSequence(tk.ones([2, 1]), [2], O),
  'nn/grid_sample.ts:gridSample': () => tk.nn.functional.gridSample(tk.ones([1, 1, 2, 2]), tk.zeros([1, 1, 1, 2]), O),
  'nn/grid_sample.ts:affineGrid': () => tk.nn.functional.affineGrid(tk.zeros([1, 2, 3]), [1, 1, 2, 2], O),
  'nn/layers_extra.ts:LPPool1d.constructor': () => new tk.nn.LPPool1d(2, 2, O),
  'nn/layers_extra.ts:LPPool2d.constructor': () => new tk.nn.LPPool2d(2, 2, O),
  'nn/layers_extra.ts:LocalResponseNorm.constructor': () => new tk.nn.LocalResponseNorm(2, O),
  'nn/layers_extra.ts:UpsamplingBilinear2d.constructor': () => new tk.nn.UpsamplingBilinear2d(O),
  'nn/layers_extra.ts:UpsamplingNearest2d.constructor': () => new tk.nn.UpsamplingNearest2d(O),
  'nn/layers_extra.ts:gumbelSoftmax': () => tk.nn.functional.gumbelSoftmax(tk.ones([2]), O),
  'nn/layers_extra.ts:localResponseNorm': () => tk.nn.functional.localResponseNorm(tk.ones([1, 2, 2]), 2, O),
  'nn/layers_extra.ts:lpPool1d': () => tk.nn.functional.lpPool1d(tk.ones([1, 1, 4]), 2, 2, O),
  'nn/layers_extra.ts:lpPool2d': () => tk.nn.functional.lpPool2d(tk.ones([1, 1, 4, 4]), 2, 2, O),
  'nn/layers_extra.ts:rrelu': () => tk.nn.functional.rrelu(tk.ones([2]), O),
  'nn/losses_extra.ts:MultiLabelMarginLoss.constructor': () => new tk.nn.MultiLabelMarginLoss(O),
  'nn/losses_extra.ts:TripletMarginWithDistanceLoss.constructor': () => new tk.nn.TripletMarginWithDistanceLoss(O),
  'nn/losses_extra.ts:multiLabelMarginLoss': () =>
    tk.nn.functional.multiLabelMarginLoss(tk.ones([1, 2]), tk.zeros([1, 2], { dtype: 'int64' }), O),
  'nn/losses_extra.ts:tripletMarginWithDistanceLoss': () =>
    tk.nn.functional.tripletMarginWithDistanceLoss(tk.ones([1, 2]), tk.ones([1, 2]), tk.ones([1, 2]), O),
  'nn/functional_misc.ts:AdaptiveMaxPool1d.constructor': () => new tk.nn.AdaptiveMaxPool1d(1, O),
  'nn/functional_misc.ts:AdaptiveMaxPool2d.constructor': () => new tk.nn.AdaptiveMaxPool2d(1, O),
  'nn/functional_misc.ts:adaptiveMaxPool1d': () => tk.nn.functional.adaptiveMaxPool1d(tk.ones([1, 1, 4]), 2, O),
  'nn/functional_misc.ts:adaptiveMaxPool2d': () => tk.nn.functional.adaptiveMaxPool2d(img(), 2, O),
  'nn/pool_layers.ts:AdaptiveMaxPool3d.constructor': () => new tk.nn.AdaptiveMaxPool3d(1, O),
  'nn/volumetric.ts:adaptiveMaxPool3d': () => tk.nn.functional.adaptiveMaxPool3d(tk.ones([1, 1, 2, 2, 2]), 1, O),
  'nn/fold.ts:unfold': () => tk.nn.functional.unfold(tk.ones([1, 1, 3, 3]), 2, O),
  'nn/fold.ts:fold': () => tk.nn.functional.fold(tk.ones([1, 4, 4]), [3, 3], 2, O),
  'nn/fold.ts:Unfold.constructor': () => new tk.nn.Unfold(2, O),
  'nn/fold.ts:Fold.constructor': () => new tk.nn.Fold([3, 3], 2, O),
  'ops/linalg_more.ts:Tensor.cov': () => x().cov(O),
  'ops/linalg_more.ts:Tensor.baddbmm': () => tk.ones([2, 2]).baddbmm(tk.ones([1, 2, 2]), tk.ones([1, 2, 2]), O),
  'ops/linalg_more.ts:Tensor.addbmm': () => tk.ones([2, 2]).addbmm(tk.ones([1, 2, 2]), tk.ones([1, 2, 2]), O),
  'ops/linalg_more.ts:Tensor.addmv': () => tk.ones([2]).addmv(tk.ones([2, 2]), tk.ones([2]), O),
  'ops/linalg_more.ts:Tensor.addr': () => tk.ones([2, 2]).addr(tk.ones([2]), tk.ones([2]), O),
  'ops/linalg_more.ts:Tensor.indexAdd': () => x().indexAdd(0, tk.tensor([0], { dtype: 'int64' }), tk.ones([1, 3]), O),
  'ops/linalg_more.ts:Tensor.indexAdd_': () => x().indexAdd_(0, tk.tensor([0], { dtype: 'int64' }), tk.ones([1, 3]), O),
  'ops/reductions_more.ts:Tensor.prod': () => x().prod(0, O),
  'ops/reductions_more.ts:Tensor.amax': () => x().amax(0, O),
  'ops/reductions_more.ts:Tensor.amin': () => x().amin(0, O),
  'ops/reductions_more.ts:Tensor.aminmax': () => x().aminmax(O),
  'ops/reductions_more.ts:Tensor.nansum': () => x().nansum(0, O),
  'ops/reductions_more.ts:Tensor.nanmean': () => x().nanmean(0, O),
  'ops/reductions_more.ts:Tensor.median': () => x().median(0, O),
  'ops/reductions_more.ts:Tensor.medianWithIndices': () => x().medianWithIndices(0, O),
  'ops/reductions_more.ts:Tensor.nanmedian': () => x().nanmedian(0, O),
  'ops/reductions_more.ts:Tensor.nanmedianWithIndices': () => x().nanmedianWithIndices(0, O),
  'ops/reductions_more.ts:Tensor.kthvalue': () => x().kthvalue(1, 0, O),
  'ops/reductions_more.ts:Tensor.mode': () => x().mode(0, O),
  'ops/creation_more.ts:vander': () => tk.vander(tk.ones([2]), O),
  'ops/reductions_more.ts:trapezoid': () => tk.trapezoid(tk.ones([2]), O),
  'ops/reductions_more.ts:cumulativeTrapezoid': () => tk.cumulativeTrapezoid(tk.ones([2]), O),
  'ops/sorting.ts:Tensor.uniqueConsecutive': () => x().uniqueConsecutive(O),
  'ops/reductions_more.ts:Tensor.quantile': () => x().quantile(0.5, 0, O),
  'ops/reductions_more.ts:Tensor.nanquantile': () => x().nanquantile(0.5, 0, O),
  'ops/reductions_more.ts:Tensor.diff': () => x().diff(1, 0, O),
  'ops/reductions_more.ts:stdMean': () => tk.stdMean(x(), 0, O),
  'ops/reductions_more.ts:varMean': () => tk.varMean(x(), 0, O),
  'ops/pointwise_more.ts:Tensor.addcmul': () => x().addcmul(x(), x(), O),
  'ops/pointwise_more.ts:Tensor.addcdiv': () => x().addcdiv(x(), x(), O),
  'ops/pointwise_more.ts:Tensor.nanToNum': () => x().nanToNum(O),
  'ops/pointwise_more.ts:Tensor.isclose': () => x().isclose(x(), O),
  'ops/pointwise_more.ts:Tensor.allclose': () => x().allclose(x(), O),
  'ops/pointwise_more.ts:Tensor.newZeros': () => x().newZeros([2], O),
  'ops/pointwise_more.ts:Tensor.newOnes': () => x().newOnes([2], O),
  'ops/pointwise_more.ts:Tensor.newFull': () => x().newFull([2], 1, O),
  'ops/pointwise_more.ts:Tensor.newEmpty': () => x().newEmpty([2], O),
  'ops/pointwise_more.ts:Tensor.newTensor': () => x().newTensor([2], O),
};

async function unknownOptionError(fn: () => unknown): Promise<TensorError> {
  try {
    await fn();
  } catch (e) {
    return e as TensorError;
  }
  throw new Error('no error');
}

describe('every options object refuses unknown names', () => {
  it('the table covers every public entry point that takes options', () => {
    const missing = publicOptionParams().filter((k) => !(k in ROWS));
    expect(missing).toEqual([]);
  });
  for (const [name, fn] of Object.entries(ROWS)) {
    it(name, async () => {
      const e = await unknownOptionError(fn);
      expect(e).toBeInstanceOf(TensorError);
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.message).toMatch(/unknown option 'zzzUnknown'/);
    });
  }
});

describe('misspellings name the option meant', () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'SGD momentun',
      () => new optim.SGD([p()], { lr: 0.1, momentun: 0.9 } as never),
      /SGD: unknown option 'momentun' \(did you mean 'momentum'\?\)/,
    ],
    [
      'Adam weight_decay',
      () => new optim.Adam([p()], { weight_decay: 0.1 } as never),
      /Adam: unknown option 'weight_decay' \(did you mean 'weightDecay'\?\)/,
    ],
    [
      'Conv2d paddng',
      () => new nn.Conv2d(2, 4, 3, { paddng: 1 } as never),
      /Conv2d: unknown option 'paddng' \(did you mean 'padding'\?\)/,
    ],
    [
      'DataLoader batchsize',
      () => new data.DataLoader(ds(), { batchsize: 2 } as never),
      /DataLoader: unknown option 'batchsize' \(did you mean 'batchSize'\?\)/,
    ],
    [
      'io.save metadat',
      () => io.save({ w: tk.ones([1]) }, file('m.safetensors'), { metadat: {} } as never),
      /io.save: unknown option 'metadat' \(did you mean 'metadata'\?\)/,
    ],
  ];
  for (const [name, fn, re] of cases)
    it(name, () => {
      expect(fn).toThrow(TensorError);
      expect(fn).toThrow(re);
    });
  it('a string where options go is refused (SGD([p], "abc"))', () => {
    expect(() => new optim.SGD([p()], 'abc' as never)).toThrow(/SGD: options must be an object, got "abc"/);
  });
  it('a typed array where options go is refused without walking its elements', () => {
    expect(() => tk.zeros([2], new Float32Array(4e6) as never)).toThrow(
      /zeros: options must be an object, got Float32Array\(4000000\)/,
    );
  });
});
