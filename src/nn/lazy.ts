// torch's lazy modules: LazyLinear, LazyConv1d/2d/3d, LazyConvTranspose1d/2d/3d, LazyBatchNorm1d/2d/3d
// and LazyInstanceNorm1d/2d/3d infer their input size (inFeatures, inChannels, numFeatures) from
// the first input. Until then each parameter and buffer is an empty placeholder; the first forward
// (or a loadStateDict, from the checkpoint's shapes, Module._materializeFrom) builds the module it stands for and moves that
// module's freshly initialised tensors into the placeholders with _setData, so every tensor keeps
// its identity: an optimizer made before the first forward still holds the model's parameters, as
// PyTorch's UninitializedParameter.materialize() gives. Afterwards forward is the built module's.
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import { getRngState, setRngState, zeros } from '../ops/creation.js';
import { Tensor } from '../tensor.js';
import type { Pair, Triple } from './args.js';
import {
  Conv1d,
  Conv2d,
  Conv3d,
  ConvTranspose1d,
  ConvTranspose2d,
  ConvTranspose3d,
  type ConvModuleOptions,
  type ConvTransposeModuleOptions,
} from './conv_layers.js';
import { BatchNorm1d, BatchNorm2d, BatchNorm3d, Linear, type BatchNormModuleOptions } from './layers.js';
import { InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, type InstanceNormOptions } from './layers_more.js';
import { isParameter, Module, Parameter } from './module.js';

/**
 * The base of the lazy modules: `M` is the module built at the first input, by `make(n)` for the
 * inferred input size n.
 */
abstract class LazyModule<M extends Module> extends Module {
  #built: M | null = null;
  readonly #names: { params: string[]; buffers: string[] };
  /**
   * @param op the class name, for errors.
   * @param make builds the real module for input size n.
   * @param probeSize an input size valid for the options (its module only tells which tensors
   *   exist, and checks the options now, so a bad one fails at construction as torch's do).
   */
  protected constructor(
    private readonly op: string,
    private readonly make: (n: number) => M,
    probeSize: number,
  ) {
    super();
    // The probe must not consume random numbers: the real module's initialisation draws them later.
    const rng = getRngState();
    const probe = make(probeSize);
    setRngState(rng);
    const self = this as unknown as Record<string, Tensor | null>;
    const params: string[] = [],
      buffers: string[] = [];
    for (const [k, v] of Object.entries(probe)) {
      if (isParameter(v)) {
        params.push(k);
        self[k] = Parameter(zeros([0], { dtype: v.dtype }));
      } else if (probe._buffers.has(k)) {
        buffers.push(k);
        this.registerBuffer(k, v instanceof Tensor ? zeros([0], { dtype: v.dtype }) : null);
      } else if (v === null && ['weight', 'bias'].includes(k)) self[k] = null;
      if (v instanceof Tensor) v.dispose();
    }
    this.#names = { params, buffers };
  }

  /** Whether the parameters are still placeholders (no input seen yet). */
  hasUninitializedParams(): boolean {
    return this.#built === null;
  }
  /** The module this one became at its first input (null before). */
  get materialized(): M | null {
    return this.#built;
  }
  /** The input size to build for, read from an input. */
  protected abstract inferSize(x: Tensor): number;
  /** The input size a checkpoint's tensor of this name implies (null: it does not tell). */
  protected abstract sizeFromState(name: string, shape: readonly number[]): number | null;

  /** Builds the real module for input size n and moves its tensors into the placeholders. */
  private materialize(n: number): M {
    const real = this.make(n);
    const self = this as unknown as Record<string, Tensor | null>;
    const realFields = real as unknown as Record<string, Tensor | null>;
    for (const k of [...this.#names.params, ...this.#names.buffers]) {
      const mine = self[k],
        fresh = realFields[k];
      if (!mine || !fresh) continue;
      // the placeholder's dtype and device win: Module.to may have moved it before this
      const moved = fresh.to({ dtype: mine.dtype, device: mine.device });
      mine._setData(moved);
      if (moved !== fresh) moved.dispose();
      fresh.dispose();
      realFields[k] = mine;
    }
    this.#built = real;
    return real;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  forward(...args: any[]): any {
    let real = this.#built;
    if (!real) {
      const x = args[0];
      if (!(x instanceof Tensor)) fail('INVALID_ARGUMENT', `${this.op}: expected a Tensor input, got ${typeof x}`);
      real = this.materialize(this.inferSize(x));
    }
    if (real.training !== this.training) real.train(this.training);
    return real.forward(...args);
  }

  override _materializeFrom(sd: Record<string, unknown>, prefix: string): void {
    if (this.#built) return;
    for (const k of this.#names.params.concat(this.#names.buffers)) {
      const t = Object.hasOwn(sd, prefix + k) ? sd[prefix + k] : undefined;
      const n = t instanceof Tensor ? this.sizeFromState(k, t.shape) : null;
      if (n !== null) {
        this.materialize(n);
        return;
      }
    }
  }
}

/**
 * Linear whose inFeatures is the last dim of the first input (torch.nn.LazyLinear).
 * @example const fc = new nn.LazyLinear(10); fc.call(randn([4, 37])); // weight [10, 37]
 */
export class LazyLinear extends LazyModule<Linear> {
  declare weight: Tensor;
  declare bias: Tensor | null;
  constructor(
    readonly outFeatures: number,
    options: { bias?: boolean; dtype?: DType } = {},
  ) {
    super('LazyLinear', (n) => new Linear(n, outFeatures, options), 1);
  }
  protected inferSize(x: Tensor): number {
    if (x.ndim === 0) fail('SHAPE_MISMATCH', 'LazyLinear: expected an input with at least 1 dim, got []');
    return x.shape[x.ndim - 1];
  }
  protected sizeFromState(name: string, shape: readonly number[]): number | null {
    return name === 'weight' && shape.length === 2 ? shape[1] : null;
  }
}

// The convolutions: inChannels is dim 1 of a batched input, dim 0 of an unbatched one.
abstract class LazyConvNd<M extends Module> extends LazyModule<M> {
  private readonly groups: number;
  protected constructor(
    op: string,
    private readonly spatial: number,
    private readonly transposed: boolean,
    make: (n: number) => M,
    options: { groups?: number } | undefined,
  ) {
    const g = options?.groups;
    const groups = typeof g === 'number' && Number.isInteger(g) && g > 0 ? g : 1;
    super(op, make, groups);
    this.groups = groups;
  }
  protected inferSize(x: Tensor): number {
    const n = this.spatial;
    if (x.ndim !== n + 1 && x.ndim !== n + 2)
      fail(
        'SHAPE_MISMATCH',
        `${this.constructor.name}: expected a ${n + 2}-D (batched) or ${n + 1}-D input, got [${x.shape.join(', ')}]`,
      );
    return x.shape[x.ndim === n + 2 ? 1 : 0];
  }
  protected sizeFromState(name: string, shape: readonly number[]): number | null {
    // weight: [out, in / groups, ...k] (convolution), [in, out / groups, ...k] (transposed)
    if (name !== 'weight' || shape.length !== this.spatial + 2) return null;
    return this.transposed ? shape[0] : shape[1] * this.groups;
  }
}

/** Conv1d whose inChannels comes from the first input (torch.nn.LazyConv1d). @example new nn.LazyConv1d(16, 3) */
export class LazyConv1d extends LazyConvNd<Conv1d> {
  constructor(outChannels: number, kernelSize: number, options: ConvModuleOptions<number> = {}) {
    super('LazyConv1d', 1, false, (n) => new Conv1d(n, outChannels, kernelSize, options), options);
  }
}
/** Conv2d whose inChannels comes from the first input (torch.nn.LazyConv2d). @example new nn.LazyConv2d(32, 3, { padding: 1 }) */
export class LazyConv2d extends LazyConvNd<Conv2d> {
  constructor(outChannels: number, kernelSize: Pair, options: ConvModuleOptions<Pair> = {}) {
    super('LazyConv2d', 2, false, (n) => new Conv2d(n, outChannels, kernelSize, options), options);
  }
}
/** Conv3d whose inChannels comes from the first input (torch.nn.LazyConv3d). */
export class LazyConv3d extends LazyConvNd<Conv3d> {
  constructor(outChannels: number, kernelSize: Triple, options: ConvModuleOptions<Triple> = {}) {
    super('LazyConv3d', 3, false, (n) => new Conv3d(n, outChannels, kernelSize, options), options);
  }
}
/** ConvTranspose1d whose inChannels comes from the first input (torch.nn.LazyConvTranspose1d). */
export class LazyConvTranspose1d extends LazyConvNd<ConvTranspose1d> {
  constructor(outChannels: number, kernelSize: number, options: ConvTransposeModuleOptions<number> = {}) {
    super('LazyConvTranspose1d', 1, true, (n) => new ConvTranspose1d(n, outChannels, kernelSize, options), options);
  }
}
/** ConvTranspose2d whose inChannels comes from the first input (torch.nn.LazyConvTranspose2d). */
export class LazyConvTranspose2d extends LazyConvNd<ConvTranspose2d> {
  constructor(outChannels: number, kernelSize: Pair, options: ConvTransposeModuleOptions<Pair> = {}) {
    super('LazyConvTranspose2d', 2, true, (n) => new ConvTranspose2d(n, outChannels, kernelSize, options), options);
  }
}
/** ConvTranspose3d whose inChannels comes from the first input (torch.nn.LazyConvTranspose3d). */
export class LazyConvTranspose3d extends LazyConvNd<ConvTranspose3d> {
  constructor(outChannels: number, kernelSize: Triple, options: ConvTransposeModuleOptions<Triple> = {}) {
    super('LazyConvTranspose3d', 3, true, (n) => new ConvTranspose3d(n, outChannels, kernelSize, options), options);
  }
}

// The normalizations: numFeatures is the channel dim (1 when batched).
abstract class LazyNorm<M extends Module> extends LazyModule<M> {
  protected constructor(
    op: string,
    make: (n: number) => M,
    private readonly channelDim: (ndim: number) => number,
  ) {
    super(op, make, 1);
  }
  protected inferSize(x: Tensor): number {
    const d = this.channelDim(x.ndim);
    if (d < 0 || d >= x.ndim)
      fail('SHAPE_MISMATCH', `${this.constructor.name}: cannot find the channel dim of [${x.shape.join(', ')}]`);
    return x.shape[d];
  }
  protected sizeFromState(name: string, shape: readonly number[]): number | null {
    return shape.length === 1 && name !== 'numBatchesTracked' ? shape[0] : null;
  }
}
/** BatchNorm1d whose numFeatures comes from the first input ([N, C] or [N, C, L]). */
export class LazyBatchNorm1d extends LazyNorm<BatchNorm1d> {
  constructor(options: BatchNormModuleOptions = {}) {
    super(
      'LazyBatchNorm1d',
      (n) => new BatchNorm1d(n, options),
      () => 1,
    );
  }
}
/** BatchNorm2d whose numFeatures comes from the first input. @example new nn.LazyBatchNorm2d() */
export class LazyBatchNorm2d extends LazyNorm<BatchNorm2d> {
  constructor(options: BatchNormModuleOptions = {}) {
    super(
      'LazyBatchNorm2d',
      (n) => new BatchNorm2d(n, options),
      () => 1,
    );
  }
}
/** BatchNorm3d whose numFeatures comes from the first input. */
export class LazyBatchNorm3d extends LazyNorm<BatchNorm3d> {
  constructor(options: BatchNormModuleOptions = {}) {
    super(
      'LazyBatchNorm3d',
      (n) => new BatchNorm3d(n, options),
      () => 1,
    );
  }
}
/** InstanceNorm1d whose numFeatures comes from the first input ([N, C, L] or [C, L]). */
export class LazyInstanceNorm1d extends LazyNorm<InstanceNorm1d> {
  constructor(options: InstanceNormOptions = {}) {
    super(
      'LazyInstanceNorm1d',
      (n) => new InstanceNorm1d(n, options),
      (nd) => (nd === 3 ? 1 : 0),
    );
  }
}
/** InstanceNorm2d whose numFeatures comes from the first input ([N, C, H, W] or [C, H, W]). */
export class LazyInstanceNorm2d extends LazyNorm<InstanceNorm2d> {
  constructor(options: InstanceNormOptions = {}) {
    super(
      'LazyInstanceNorm2d',
      (n) => new InstanceNorm2d(n, options),
      (nd) => (nd === 4 ? 1 : 0),
    );
  }
}
/** InstanceNorm3d whose numFeatures comes from the first input ([N, C, D, H, W] or [C, D, H, W]). */
export class LazyInstanceNorm3d extends LazyNorm<InstanceNorm3d> {
  constructor(options: InstanceNormOptions = {}) {
    super(
      'LazyInstanceNorm3d',
      (n) => new InstanceNorm3d(n, options),
      (nd) => (nd === 5 ? 1 : 0),
    );
  }
}
