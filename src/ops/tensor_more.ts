// The rest of torch.Tensor's everyday surface, by composition: the in-place forms of the matrix
// products and of a few special functions, the view-scatter functions as methods, hardshrink and
// prelu as methods, the device queries (isCpu, isCuda, getDevice), the size queries (nbytes,
// itemsize), `H`, and `type()`.
import { tensorArg } from '../args.js';
import { DTYPES, ITEMSIZE, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { hardshrink, prelu } from '../nn/functional_activations.js';
import { describe } from '../options.js';
import { Tensor } from '../tensor.js';
import { inPlaceOf } from './aliases.js';
import type { ScatterReduceMode } from './indexing.js';
import { asStridedScatter, diagonalScatter, selectScatter, sliceScatter } from './scatter_more.js';

declare module '../tensor.js' {
  interface Tensor<D extends DType = DType> {
    /** In-place addmm; returns this. @example bias.addmm_(x, w) */
    addmm_(mat1: Tensor, mat2: Tensor, options?: { beta?: number; alpha?: number }): this;
    /** In-place addbmm; returns this. */
    addbmm_(batch1: Tensor, batch2: Tensor, options?: { beta?: number; alpha?: number }): this;
    /** In-place baddbmm; returns this. */
    baddbmm_(batch1: Tensor, batch2: Tensor, options?: { beta?: number; alpha?: number }): this;
    /** In-place addmv; returns this. */
    addmv_(mat: Tensor, vec: Tensor, options?: { beta?: number; alpha?: number }): this;
    /** In-place addr; returns this. */
    addr_(vec1: Tensor, vec2: Tensor, options?: { beta?: number; alpha?: number }): this;
    /** In-place igamma; returns this. */
    igamma_(other: Tensor | Scalar): this;
    /** In-place igammac; returns this. */
    igammac_(other: Tensor | Scalar): this;
    /** In-place mvlgamma; returns this. */
    mvlgamma_(p: number): this;
    /** In-place scatterReduce; returns this. */
    scatterReduce_(
      dim: number,
      index: Tensor,
      src: Tensor,
      reduce: ScatterReduceMode,
      options?: { includeSelf?: boolean },
    ): this;
    /** In-place floatPower: this must be float64, as torch's float_power_ requires. */
    floatPower_(exponent: Tensor | number): this;
    /** torch.diagonal_scatter as a method. @example zeros([3, 3]).diagonalScatter(ones([3])) */
    diagonalScatter(src: Tensor, offset?: number, dim1?: number, dim2?: number): Tensor<D>;
    /** torch.select_scatter as a method. @example zeros([2, 3]).selectScatter(ones([3]), 0, 1) */
    selectScatter(src: Tensor, dim: number, index: number): Tensor<D>;
    /** torch.slice_scatter as a method. @example zeros([8]).sliceScatter(ones([4]), { step: 2 }) */
    sliceScatter(
      src: Tensor,
      options?: { dim?: number; start?: number | null; end?: number | null; step?: number },
    ): Tensor<D>;
    /** torch.as_strided_scatter as a method. @example zeros([2, 3]).asStridedScatter(ones([2]), [2], [4]) */
    asStridedScatter(
      src: Tensor,
      size: readonly number[],
      stride: readonly number[],
      storageOffset?: number,
    ): Tensor<D>;
    /** nn.functional.hardshrink as a method (lambd default 0.5). @example x.hardshrink(0.5) */
    hardshrink(lambd?: number): Tensor<D>;
    /** nn.functional.prelu as a method. @example x.prelu(weight) */
    prelu(weight: Tensor): Tensor<D>;
    /** Whether the tensor is on the CPU. */
    readonly isCpu: boolean;
    /** Whether the tensor is on a CUDA device. */
    readonly isCuda: boolean;
    /** The CUDA device index, or -1 on the CPU (torch's get_device). @example x.getDevice() // -1 */
    getDevice(): number;
    /** Bytes of the elements this tensor views (numel * itemsize), as torch's nbytes. */
    readonly nbytes: number;
    /** Bytes per element, as torch's itemsize (2 for the 16-bit floats, 1 for bool). */
    readonly itemsize: number;
    /** A 2-D tensor's transpose (torch's `H`; the conjugate transpose, and real tensors have no conjugate). */
    readonly H: Tensor<D>;
    /**
     * torch's type name of this tensor (Tensor.type()): 'torch.FloatTensor', 'torch.cuda.LongTensor', ...
     * @example x.type() // 'torch.FloatTensor'
     */
    type(): string;
    /** The tensor converted to `dtype` (torch's Tensor.type(dtype)). @example x.type('float64') */
    type<T extends DType>(dtype: T): Tensor<T>;
    /** The tensor converted to a torch type name's dtype and device. @example x.type('torch.DoubleTensor') */
    type(dtype: string): Tensor;
  }
}

const proto = Tensor.prototype as unknown as Record<string, unknown>;

for (const name of ['addmm', 'addbmm', 'baddbmm', 'addmv', 'addr', 'igamma', 'igammac', 'mvlgamma', 'scatterReduce'])
  proto[`${name}_`] = inPlaceOf(name);

const floatPowerInPlace = inPlaceOf('floatPower');
proto.floatPower_ = function (this: Tensor, exponent: Tensor | number) {
  if (this.dtype !== 'float64')
    fail(
      'DTYPE_MISMATCH',
      `floatPower_: the base has dtype ${this.dtype} but the operation's result requires float64 (use floatPower, or a float64 tensor)`,
    );
  return floatPowerInPlace.call(this, exponent);
};

proto.diagonalScatter = function (this: Tensor, src: Tensor, offset?: number, dim1?: number, dim2?: number) {
  return diagonalScatter(this, src, offset, dim1, dim2);
};
proto.selectScatter = function (this: Tensor, src: Tensor, dim: number, index: number) {
  return selectScatter(this, src, dim, index);
};
proto.sliceScatter = function (this: Tensor, src: Tensor, options?: Parameters<typeof sliceScatter>[2]) {
  return sliceScatter(this, src, options);
};
proto.asStridedScatter = function (
  this: Tensor,
  src: Tensor,
  size: readonly number[],
  stride: readonly number[],
  storageOffset?: number,
) {
  return asStridedScatter(this, src, size, stride, storageOffset);
};
proto.hardshrink = function (this: Tensor, lambd?: number) {
  return hardshrink(this, lambd);
};
proto.prelu = function (this: Tensor, weight: Tensor) {
  return prelu(this, tensorArg('prelu', 'weight', weight));
};

// torch's legacy type names, per dtype.
const TYPE_NAMES: Record<DType, string> = {
  float32: 'FloatTensor',
  float64: 'DoubleTensor',
  int32: 'IntTensor',
  int64: 'LongTensor',
  bool: 'BoolTensor',
  float16: 'HalfTensor',
  bfloat16: 'BFloat16Tensor',
};

const getters: Record<string, (this: Tensor) => unknown> = {
  isCpu() {
    return this.device === 'cpu';
  },
  isCuda() {
    return this.device !== 'cpu';
  },
  nbytes() {
    return this.numel() * ITEMSIZE[this.dtype];
  },
  itemsize() {
    return ITEMSIZE[this.dtype];
  },
  H() {
    if (this.ndim !== 2)
      fail(
        'SHAPE_MISMATCH',
        `H: only matrices (2-D tensors) have H, got a ${this.ndim}-D tensor; for batches of matrices use mH`,
      );
    return this.transpose(0, 1);
  },
};
for (const [name, get] of Object.entries(getters)) Object.defineProperty(proto, name, { get, configurable: true });

proto.getDevice = function (this: Tensor) {
  return this.device === 'cpu' ? -1 : Number(this.device.slice('cuda:'.length));
};

proto.type = function (this: Tensor, dtype?: unknown) {
  const name = (d: DType) => `torch.${this.device === 'cpu' ? '' : 'cuda.'}${TYPE_NAMES[d]}`;
  if (dtype === undefined) return name(this.dtype);
  if (typeof dtype === 'string') {
    if ((DTYPES as readonly string[]).includes(dtype)) return this.to(dtype as DType);
    const legacy = (Object.keys(TYPE_NAMES) as DType[]).find(
      (d) => dtype === `torch.${TYPE_NAMES[d]}` || dtype === `torch.cuda.${TYPE_NAMES[d]}`,
    );
    if (legacy !== undefined)
      return dtype.startsWith('torch.cuda.')
        ? this.to({ device: this.device === 'cpu' ? 'cuda' : this.device, dtype: legacy })
        : this.to({ device: 'cpu', dtype: legacy });
  }
  return fail(
    'INVALID_ARGUMENT',
    `type: expected a dtype (${DTYPES.join(', ')}) or a torch type name such as 'torch.FloatTensor', got ${describe(dtype)}`,
  );
};
