// Layers over nn.functional: pooling, normalization, dropout, flatten, linear (the convolutions are
// in conv_layers.ts).
// Parameters start as PyTorch's do (kaiming-uniform weights with a = sqrt(5), i.e. U(+-1/sqrt(fan_in)),
// and the same bound for biases; norms start at weight 1, bias 0).
import { bilinear } from './functional_aliases.js';
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { full, ones, zeros } from '../ops/creation.js';
import { cat as catTensors } from '../ops/functional.js';
import { noGrad } from '../autograd.js';
import { checkOptions, describe, int, intAtLeast, shapeArgs } from '../options.js';
import { Tensor } from '../tensor.js';
import { pair, tensorArg, type Pair } from './args.js';
import { embeddingTable } from './embedding_bag.js';
import * as F from './functional.js';
import { Module, Parameter } from './module.js';
import { AVG_POOL_SPEC, layerOptions, MAX_POOL_SPEC, positiveInt, uniform } from './params.js';
import { crossProcessSum, sumAcrossProcesses } from './sync.js';

// A kernel size: a positive integer or a pair of them.
function kernelPair(op: string, k: unknown, name = 'kernelSize'): [number, number] {
  const [kh, kw] = pair(op, name, k as Pair, 1);
  if (kh < 1 || kw < 1) fail('INVALID_ARGUMENT', `${op}: '${name}' must be positive, got ${describe(k)}`);
  return [kh, kw];
}
const NORM_SPEC = {
  eps: 'number',
  momentum: 'any',
  affine: 'boolean',
  trackRunningStats: 'boolean',
  dtype: 'string',
} as const;

/**
 * Max pooling layer; with `returnIndices: true`, forward returns [values, indices] (the flat
 * h * W + w position of each maximum, as torch's return_indices), which nn.MaxUnpool2d takes.
 * @example new nn.MaxPool2d(2); const [y, idx] = new nn.MaxPool2d(2, { returnIndices: true }).call(x)
 */
export class MaxPool2d<R extends boolean = false> extends Module {
  readonly options: F.PoolOptions & { returnIndices?: R };
  constructor(
    readonly kernelSize: Pair,
    options: F.PoolOptions & { returnIndices?: R } = {},
  ) {
    super();
    kernelPair('MaxPool2d', kernelSize);
    this.options = checkOptions('MaxPool2d', options, MAX_POOL_SPEC);
  }
  forward(x: Tensor): R extends true ? [Tensor, Tensor<'int64'>] : Tensor;
  forward(x: Tensor): Tensor | [Tensor, Tensor] {
    const { returnIndices, ...o } = this.options;
    return returnIndices
      ? F.maxPool2d(x, this.kernelSize, { ...o, returnIndices: true })
      : F.maxPool2d(x, this.kernelSize, o);
  }
}

/** Average pooling layer. @example new nn.AvgPool2d(2) */
export class AvgPool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly options: F.AvgPoolOptions = {},
  ) {
    super();
    kernelPair('AvgPool2d', kernelSize);
    this.options = checkOptions('AvgPool2d', options, AVG_POOL_SPEC);
  }
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, this.options);
  }
}

/** Adaptive average pooling layer. @example new nn.AdaptiveAvgPool2d(1) */
export class AdaptiveAvgPool2d extends Module {
  /** `outputSize`: one size, or [h, w] where null keeps the input's size (torch's None). */
  constructor(readonly outputSize: F.AdaptiveSize) {
    super();
    const sizes = Array.isArray(outputSize) ? outputSize : [outputSize, outputSize];
    if (sizes.length !== 2 || !sizes.every((v) => v === null || (Number.isSafeInteger(v) && (v as number) >= 1)))
      fail(
        'INVALID_ARGUMENT',
        `AdaptiveAvgPool2d: 'outputSize' must be a positive integer or a pair of them (or null), got ${describe(outputSize)}`,
      );
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }
}

/** Options of the BatchNorm layers. */
export interface BatchNormModuleOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /**
   * Weight of the newest batch in the running statistics (default 0.1); null keeps a cumulative
   * average over every batch since the statistics were reset (torch's momentum=None).
   */
  momentum?: number | null;
  /** Learn a per-channel scale and shift (default true). */
  affine?: boolean;
  /** Keep running statistics for eval mode (default true). */
  trackRunningStats?: boolean;
  /** Dtype of the parameters and buffers (default float32). */
  dtype?: DType;
}

class BatchNormBase extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  declare runningMean: Tensor | null;
  declare runningVar: Tensor | null;
  constructor(
    readonly numFeatures: number,
    readonly options: BatchNormModuleOptions,
    protected readonly dims: number[],
    protected readonly op: string,
  ) {
    super();
    positiveInt(op, 'numFeatures', numFeatures);
    this.options = options = layerOptions(op, options, NORM_SPEC);
    const dtype = options.dtype ?? 'float32';
    const affine = options.affine ?? true;
    this.weight = affine ? Parameter(ones([numFeatures], { dtype })) : null;
    this.bias = affine ? Parameter(zeros([numFeatures], { dtype })) : null;
    const m = options.momentum;
    if (!(m === undefined || m === null || (typeof m === 'number' && m >= 0 && m <= 1)))
      fail('INVALID_ARGUMENT', `${op}: momentum must be a number in [0, 1] or null, got ${describe(m)}`);
    const track = options.trackRunningStats ?? true;
    this.registerBuffer('runningMean', track ? zeros([numFeatures], { dtype }) : null);
    this.registerBuffer('runningVar', track ? ones([numFeatures], { dtype }) : null);
  }
  /**
   * Training batches seen since the statistics were reset (torch's num_batches_tracked; a count,
   * not a buffer: state dicts leave it out as before).
   */
  numBatchesTracked = 0;
  /** @internal This training batch's weight in the running statistics (counting the batch). */
  protected runningFactor(): number {
    this.numBatchesTracked += 1;
    const m = this.options.momentum;
    return m === null ? 1 / this.numBatchesTracked : (m ?? 0.1);
  }
  /** Running mean 0, variance 1 and the batch count 0 (torch's reset_running_stats). */
  resetRunningStats(): void {
    noGrad(() => {
      this.runningMean?.zero_();
      this.runningVar?.fill_(1);
    });
    this.numBatchesTracked = 0;
  }
  forward(x: Tensor): Tensor {
    tensorArg(this.op, 'input', x);
    if (!this.dims.includes(x.ndim))
      fail('SHAPE_MISMATCH', `${this.op}: expected a ${this.dims.join('-D or ')}-D input, got [${x.shape.join(', ')}]`);
    const useBatch = this.training || !this.runningMean;
    return F.batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, {
      training: useBatch,
      momentum: this.training && this.runningMean ? this.runningFactor() : 0.1,
      eps: this.options.eps ?? 1e-5,
    });
  }
}

/** Batch norm over [N, C] or [N, C, L]. @example new nn.BatchNorm1d(64) */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormModuleOptions = {}) {
    super(numFeatures, options, [2, 3], 'BatchNorm1d');
  }
}

/** Batch norm over [N, C, H, W]. @example new nn.BatchNorm2d(32) */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormModuleOptions = {}) {
    super(numFeatures, options, [4], 'BatchNorm2d');
  }
}

/** Batch norm over [N, C, D, H, W]. @example new nn.BatchNorm3d(16) */
export class BatchNorm3d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormModuleOptions = {}) {
    super(numFeatures, options, [5], 'BatchNorm3d');
  }
}

/**
 * Batch norm whose statistics cover the whole batch across the processes of a distributed job
 * (torch.nn.SyncBatchNorm): in training, every rank normalises with the mean and variance of all
 * ranks' batches, and gradients flow back through them. Outside a process group of more than one
 * rank, or in eval mode, it is BatchNorm. Inputs [N, C], [N, C, L], [N, C, H, W] or [N, C, D, H, W].
 * @example const model = nn.SyncBatchNorm.convertSyncBatchnorm(net); // BatchNorm layers become SyncBatchNorm
 */
export class SyncBatchNorm extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormModuleOptions = {}) {
    super(numFeatures, options, [2, 3, 4, 5], 'SyncBatchNorm');
  }
  /** Normalises x with the statistics of every rank's batch (training), or as BatchNorm. */
  override forward(x: Tensor): Tensor {
    const group = crossProcessSum();
    if (!this.training || !group || group.worldSize === 1) return super.forward(x);
    tensorArg(this.op, 'input', x);
    if (!this.dims.includes(x.ndim))
      fail('SHAPE_MISMATCH', `${this.op}: expected a ${this.dims.join('-D or ')}-D input, got [${x.shape.join(', ')}]`);
    const c = this.numFeatures;
    if (x.shape[1] !== c) fail('SHAPE_MISMATCH', `${this.op}: expected ${c} channels, got [${x.shape.join(', ')}]`);
    const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
    const shape = x.shape.map((d, i) => (i === 1 ? c : 1));
    const eps = this.options.eps ?? 1e-5;
    const momentum = this.runningMean ? this.runningFactor() : 0.1;
    return tidy(() => {
      // One all-reduce of [sum, sum of squares, count] (differentiable: its backward all-reduces
      // the gradient), then the batch norm formula on the global statistics.
      const local = x.numel() / c;
      const stats = sumAcrossProcesses(
        catTensors([x.sum(dims), x.mul(x).sum(dims), full([1], local, { dtype: x.dtype })]),
      );
      const n = stats.narrow(0, 2 * c, 1);
      const mean = stats.narrow(0, 0, c).div(n);
      const variance = stats.narrow(0, c, c).div(n).sub(mean.mul(mean));
      let y = x.sub(mean.reshape(shape)).div(variance.add(eps).sqrt().reshape(shape));
      if (this.weight && this.bias) y = y.mul(this.weight.reshape(shape)).add(this.bias.reshape(shape));
      if (this.runningMean && this.runningVar) {
        const total = Number(n.item());
        noGrad(() => {
          this.runningMean!.mul_(1 - momentum).add_(mean.detach().mul(momentum));
          this.runningVar!.mul_(1 - momentum).add_(variance.detach().mul((momentum * total) / Math.max(total - 1, 1)));
        });
      }
      return y;
    });
  }

  /**
   * Replaces every BatchNorm1d and BatchNorm2d inside `module` with a SyncBatchNorm holding the same
   * parameters and statistics (torch's convert_sync_batchnorm); returns the module (or the new
   * layer, when `module` itself is a batch norm).
   * @example const net = nn.SyncBatchNorm.convertSyncBatchnorm(new Net());
   */
  static convertSyncBatchnorm<M extends Module>(module: M): M | SyncBatchNorm {
    if (!(module instanceof Module)) fail('INVALID_ARGUMENT', 'convertSyncBatchnorm: expected an nn.Module');
    const convert = (m: BatchNormBase): SyncBatchNorm => {
      const s = new SyncBatchNorm(m.numFeatures, m.options);
      for (const k of ['weight', 'bias', 'runningMean', 'runningVar'] as const) {
        s[k]?.dispose();
        (s as unknown as Record<string, Tensor | null>)[k] = m[k];
      }
      s.training = m.training;
      return s;
    };
    if (module instanceof BatchNormBase && !(module instanceof SyncBatchNorm)) return convert(module);
    for (const m of module.modules())
      for (const [k, v] of Object.entries(m))
        if (v instanceof BatchNormBase && !(v instanceof SyncBatchNorm))
          (m as unknown as Record<string, Module>)[k] = convert(v);
    return module;
  }
}

/** Layer norm over the trailing dims. @example new nn.LayerNorm([512]) */
export class LayerNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  readonly normalizedShape: number[];
  constructor(
    normalizedShape: number | readonly number[],
    readonly options: { eps?: number; elementwiseAffine?: boolean; dtype?: DType } = {},
  ) {
    super();
    this.options = options = layerOptions('LayerNorm', options, {
      eps: 'number',
      elementwiseAffine: 'boolean',
      dtype: 'string',
    });
    this.normalizedShape = shapeArgs('LayerNorm', [
      typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape,
    ]);
    if (this.normalizedShape.length === 0 || this.normalizedShape.some((d) => d < 1))
      fail(
        'INVALID_ARGUMENT',
        `LayerNorm: normalizedShape must be one or more positive sizes, got ${describe(normalizedShape)}`,
      );
    const dtype = options.dtype ?? 'float32';
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? Parameter(ones(this.normalizedShape, { dtype })) : null;
    this.bias = affine ? Parameter(zeros(this.normalizedShape, { dtype })) : null;
  }
  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.normalizedShape, this.weight, this.bias, { eps: this.options.eps });
  }
}

/** Group norm. @example new nn.GroupNorm(8, 64) */
export class GroupNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    readonly options: { eps?: number; affine?: boolean; dtype?: DType } = {},
  ) {
    super();
    this.options = options = layerOptions('GroupNorm', options, { eps: 'number', affine: 'boolean', dtype: 'string' });
    positiveInt('GroupNorm', 'numGroups', numGroups);
    positiveInt('GroupNorm', 'numChannels', numChannels);
    if (numChannels % numGroups !== 0)
      fail('INVALID_ARGUMENT', `GroupNorm: numGroups (${numGroups}) must divide numChannels (${numChannels})`);
    const dtype = options.dtype ?? 'float32';
    const affine = options.affine ?? true;
    this.weight = affine ? Parameter(ones([numChannels], { dtype })) : null;
    this.bias = affine ? Parameter(zeros([numChannels], { dtype })) : null;
  }
  forward(x: Tensor): Tensor {
    return F.groupNorm(x, this.numGroups, this.weight, this.bias, { eps: this.options.eps });
  }
}

/** Dropout: active in training mode, the identity in eval mode. @example new nn.Dropout(0.5) */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1))
      fail('INVALID_ARGUMENT', `Dropout: probability has to be between 0 and 1, got ${describe(p)}`);
  }
  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training);
  }
}

/** Flattens dims startDim..endDim (default: all but the batch dim). @example new nn.Flatten() */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
    int('Flatten', 'startDim', startDim);
    int('Flatten', 'endDim', endDim);
  }
  forward(x: Tensor): Tensor {
    return tensorArg('Flatten', 'input', x).flatten(this.startDim, this.endDim);
  }
}

/** y = x W^T + b with W [out, in]. @example new nn.Linear(784, 256) */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: { bias?: boolean; dtype?: DType } = {},
  ) {
    super();
    options = layerOptions('Linear', options, { bias: 'boolean', dtype: 'string' });
    // Zero features are allowed, as in PyTorch (an adaptive softmax's narrowest tail projection).
    intAtLeast('Linear', 'inFeatures', inFeatures, 0);
    intAtLeast('Linear', 'outFeatures', outFeatures, 0);
    const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0,
      dtype = options.dtype ?? 'float32';
    this.weight = uniform([outFeatures, inFeatures], bound, dtype);
    this.bias = options.bias === false ? null : uniform([outFeatures], bound, dtype);
  }
  forward(x: Tensor): Tensor {
    return this.run(x, false);
  }
  /**
   * relu(forward(x)) as one fused op (F.linearRelu): what nn.Sequential runs for a Linear followed
   * by a ReLU. @example layer.forwardRelu(x)
   */
  forwardRelu(x: Tensor): Tensor {
    return this.run(x, true);
  }
  private run(x: Tensor, relu: boolean): Tensor {
    if (x instanceof Tensor && (x.ndim === 0 || x.shape[x.ndim - 1] !== this.inFeatures))
      fail(
        'SHAPE_MISMATCH',
        `Linear(inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}): expected input [..., ${this.inFeatures}], got [${x.shape.join(', ')}]`,
      );
    return relu ? F.linearRelu(x, this.weight, this.bias) : F.linear(x, this.weight, this.bias);
  }
}

/**
 * A lookup table of numEmbeddings vectors of size embeddingDim, initialised N(0, 1) (the
 * paddingIdx row zero, and it gets no gradient).
 * @example const emb = new nn.Embedding(1000, 64); emb.call(tokens) // [..., 64]
 */
export class Embedding extends Module {
  weight: Tensor;
  readonly paddingIdx: number | null;
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: { paddingIdx?: number; dtype?: DType } = {},
  ) {
    super();
    options = layerOptions('Embedding', options, { paddingIdx: 'any', dtype: 'string' });
    const table = embeddingTable('Embedding', numEmbeddings, embeddingDim, options.paddingIdx, options.dtype);
    this.paddingIdx = table.paddingIdx;
    this.weight = table.weight;
  }
  forward(x: Tensor): Tensor {
    return F.embedding(x, this.weight, { paddingIdx: this.paddingIdx });
  }
}

/**
 * y = x1^T A x2 + b with A [out, in1, in2] (torch.nn.Bilinear).
 * @example new nn.Bilinear(8, 6, 4).call(a, b) // [N, 4]
 */
export class Bilinear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(
    readonly in1Features: number,
    readonly in2Features: number,
    readonly outFeatures: number,
    options: { bias?: boolean; dtype?: DType } = {},
  ) {
    super();
    options = layerOptions('Bilinear', options, { bias: 'boolean', dtype: 'string' });
    for (const [k, v] of [
      ['in1Features', in1Features],
      ['in2Features', in2Features],
      ['outFeatures', outFeatures],
    ] as const)
      positiveInt('Bilinear', k, v);
    const bound = 1 / Math.sqrt(in1Features),
      dtype = options.dtype ?? 'float32';
    this.weight = uniform([outFeatures, in1Features, in2Features], bound, dtype);
    this.bias = options.bias === false ? null : uniform([outFeatures], bound, dtype);
  }
  forward(x1: Tensor, x2: Tensor): Tensor {
    return bilinear(x1, x2, this.weight, this.bias);
  }
}
