// torch's other names and forms of existing ops: numpy's names (absolute, arccos, divide,
// greater, ...), and the in-place form `x.op_(...)` of the ops computed by composition, which
// torch offers for nearly every element-wise method. An in-place form computes the out-of-place
// result and copies it in (copy_ is differentiable, so it is recorded as torch's in-place ops are),
// after torch's two checks: the result has this tensor's shape (no broadcasting into it), and its
// dtype can be cast to this tensor's (no float into an integer tensor, nothing but bool into bool).
import { isFloating, type DType } from '../dtype.js';
import { isGradEnabled } from '../autograd.js';
import { fail } from '../errors.js';
import { Tensor } from '../tensor.js';

declare module '../tensor.js' {
  interface Tensor<D extends DType = DType> {
    /** Alias of {@link Tensor.abs}. */ absolute: Tensor<D>['abs'];
    /** Alias of {@link Tensor.abs_}. */ absolute_(): this;
    /** Alias of {@link Tensor.acos}. */ arccos: Tensor<D>['acos'];
    /** Alias of {@link Tensor.acosh}. */ arccosh: Tensor<D>['acosh'];
    /** Alias of {@link Tensor.asin}. */ arcsin: Tensor<D>['asin'];
    /** Alias of {@link Tensor.asinh}. */ arcsinh: Tensor<D>['asinh'];
    /** Alias of {@link Tensor.atan}. */ arctan: Tensor<D>['atan'];
    /** Alias of {@link Tensor.atan2}. */ arctan2: Tensor<D>['atan2'];
    /** Alias of {@link Tensor.atanh}. */ arctanh: Tensor<D>['atanh'];
    /** Alias of {@link Tensor.div}. */ divide: Tensor<D>['div'];
    /** Alias of {@link Tensor.div}. */ trueDivide: Tensor<D>['div'];
    /** Alias of {@link Tensor.mul}. */ multiply: Tensor<D>['mul'];
    /** Alias of {@link Tensor.sub}. */ subtract: Tensor<D>['sub'];
    /** Alias of {@link Tensor.gt}. */ greater: Tensor<D>['gt'];
    /** Alias of {@link Tensor.ge}. */ greaterEqual: Tensor<D>['ge'];
    /** Alias of {@link Tensor.lt}. */ less: Tensor<D>['lt'];
    /** Alias of {@link Tensor.le}. */ lessEqual: Tensor<D>['le'];
    /** Alias of {@link Tensor.ne}. */ notEqual: Tensor<D>['ne'];
    /** Alias of {@link Tensor.neg}. */ negative: Tensor<D>['neg'];
    /** Alias of {@link Tensor.trunc}. */ fix: Tensor<D>['trunc'];
    /** Alias of {@link Tensor.sign} (for real tensors torch.sgn is sign). */ sgn: Tensor<D>['sign'];
    /** Alias of {@link Tensor.outer}. */ ger: Tensor<D>['outer'];
    /** Alias of {@link Tensor.dim}. */ ndimension: Tensor<D>['dim'];
    /** Alias of {@link Tensor.div_}. */ divide_(other: Tensor | Scalar): this;
    /** Alias of {@link Tensor.div_}. */ trueDivide_(other: Tensor | Scalar): this;
    /** Alias of {@link Tensor.mul_}. */ multiply_(other: Tensor | Scalar): this;
    /** Alias of {@link Tensor.sub_}. */ subtract_(other: Tensor | Scalar): this;
    /** Alias of {@link Tensor.neg_}. */ negative_(): this;
    /** Alias of {@link Tensor.trunc_}. */ fix_(): this;
    /** Alias of {@link Tensor.sign_}. */ sgn_(): this;

    // In place, by composition (see the file's header for the checks).
    /** In-place acos; returns this. */ acos_(): this;
    /** In-place acosh; returns this. */ acosh_(): this;
    /** In-place asin; returns this. */ asin_(): this;
    /** In-place asinh; returns this. */ asinh_(): this;
    /** In-place atan; returns this. */ atan_(): this;
    /** In-place atanh; returns this. */ atanh_(): this;
    /** In-place atan2; returns this. */ atan2_(other: Tensor | Scalar): this;
    /** In-place sinh; returns this. */ sinh_(): this;
    /** In-place cosh; returns this. */ cosh_(): this;
    /** In-place tan; returns this. */ tan_(): this;
    /** In-place erfc; returns this. */ erfc_(): this;
    /** In-place erfinv; returns this. */ erfinv_(): this;
    /** In-place exp2; returns this. */ exp2_(): this;
    /** In-place expm1; returns this. */ expm1_(): this;
    /** In-place log2; returns this. */ log2_(): this;
    /** In-place log10; returns this. */ log10_(): this;
    /** In-place lgamma; returns this. */ lgamma_(): this;
    /** In-place digamma; returns this. */ digamma_(): this;
    /** In-place polygamma; returns this. */ polygamma_(n: number): this;
    /** In-place reciprocal; returns this. */ reciprocal_(): this;
    /** In-place sinc; returns this. */ sinc_(): this;
    /** In-place logit; returns this. */ logit_(eps?: number | null): this;
    /** In-place xlogy; returns this. */ xlogy_(other: Tensor | number): this;
    /** In-place hypot; returns this. */ hypot_(other: Tensor | number): this;
    /** In-place lerp; returns this. */ lerp_(end: Tensor, weight: Tensor | number): this;
    /** In-place addcmul; returns this. */ addcmul_(
      tensor1: Tensor,
      tensor2: Tensor,
      options?: { value?: number },
    ): this;
    /** In-place addcdiv; returns this. */ addcdiv_(
      tensor1: Tensor,
      tensor2: Tensor,
      options?: { value?: number },
    ): this;
    /** In-place clampMin; returns this. */ clampMin_(min: number | Tensor): this;
    /** In-place clampMax; returns this. */ clampMax_(max: number | Tensor): this;
    /** In-place clip; returns this. */ clip_(min?: number | Tensor | null, max?: number | Tensor | null): this;
    /** In-place deg2rad; returns this. */ deg2rad_(): this;
    /** In-place rad2deg; returns this. */ rad2deg_(): this;
    /** In-place frac; returns this. */ frac_(): this;
    /** In-place heaviside; returns this. */ heaviside_(values: Tensor): this;
    /** In-place nanToNum; returns this. */ nanToNum_(options?: {
      nan?: number;
      posinf?: number;
      neginf?: number;
    }): this;
    /** In-place square; returns this. */ square_(): this;
    /** In-place tril; returns this. */ tril_(diagonal?: number): this;
    /** In-place triu; returns this. */ triu_(diagonal?: number): this;
    /** In-place cumsum; returns this. */ cumsum_(dim: number): this;
    /** In-place cumprod; returns this. */ cumprod_(dim: number): this;
    /** In-place eq (1 where equal, in this tensor's dtype); returns this. */ eq_(other: Tensor | Scalar): this;
    /** In-place ne; returns this. */ ne_(other: Tensor | Scalar): this;
    /** In-place lt; returns this. */ lt_(other: Tensor | Scalar): this;
    /** In-place le; returns this. */ le_(other: Tensor | Scalar): this;
    /** In-place gt; returns this. */ gt_(other: Tensor | Scalar): this;
    /** In-place ge; returns this. */ ge_(other: Tensor | Scalar): this;
    /** Alias of {@link Tensor.gt_}. */ greater_(other: Tensor | Scalar): this;
    /** Alias of {@link Tensor.ge_}. */ greaterEqual_(other: Tensor | Scalar): this;
    /** Alias of {@link Tensor.lt_}. */ less_(other: Tensor | Scalar): this;
    /** Alias of {@link Tensor.le_}. */ lessEqual_(other: Tensor | Scalar): this;
    /** Alias of {@link Tensor.ne_}. */ notEqual_(other: Tensor | Scalar): this;
    /** In-place logicalAnd; returns this. */ logicalAnd_(other: Tensor): this;
    /** In-place logicalOr; returns this. */ logicalOr_(other: Tensor): this;
    /** In-place logicalNot; returns this. */ logicalNot_(): this;
    /** In-place logicalXor; returns this. */ logicalXor_(other: Tensor | Scalar): this;
    /** Alias of {@link Tensor.acos_}. */ arccos_(): this;
    /** Alias of {@link Tensor.acosh_}. */ arccosh_(): this;
    /** Alias of {@link Tensor.asin_}. */ arcsin_(): this;
    /** Alias of {@link Tensor.asinh_}. */ arcsinh_(): this;
    /** Alias of {@link Tensor.atan_}. */ arctan_(): this;
    /** Alias of {@link Tensor.atan2_}. */ arctan2_(other: Tensor | Scalar): this;
    /** Alias of {@link Tensor.atanh_}. */ arctanh_(): this;
  }
}

const proto = Tensor.prototype as unknown as Record<string, unknown>;

/** torch.can_cast: whether a value of dtype `from` may be written into a tensor of dtype `to` by an in-place op. */
export function canCast(from: DType, to: DType): boolean {
  if (isFloating(from) && !isFloating(to)) return false;
  return !(from !== 'bool' && to === 'bool');
}

/** @internal The in-place form of method `name`, composed as the file's header says. */
export function inPlaceOf(name: string): (this: Tensor, ...args: unknown[]) => Tensor {
  const outOfPlace = proto[name] as (this: Tensor, ...a: unknown[]) => Tensor;
  return function (this: Tensor, ...args: unknown[]) {
    // Recorded, the out-of-place op may save this tensor for its gradient: it then reads a copy,
    // so the write below does not change what it saved (torch saves the original self likewise).
    const recorded = this.requiresGrad && isGradEnabled();
    if (recorded && this.isLeaf)
      fail(
        'INVALID_ARGUMENT',
        `${name}_: a leaf tensor that requires grad is used in an in-place operation; run it under noGrad() or use ${name}()`,
      );
    const src = recorded ? this.clone() : this;
    let r: Tensor;
    try {
      r = outOfPlace.apply(src, args);
    } finally {
      if (src !== this) src.dispose();
    }
    try {
      if (r.shape.length !== this.shape.length || r.shape.some((s, i) => s !== this.shape[i]))
        fail(
          'SHAPE_MISMATCH',
          `${name}_: the result's shape [${r.shape.join(', ')}] is not this tensor's [${this.shape.join(', ')}] (an in-place op cannot broadcast its target)`,
        );
      if (!canCast(r.dtype, this.dtype))
        fail(
          'DTYPE_MISMATCH',
          `${name}_: the result type ${r.dtype} can't be cast to this tensor's dtype ${this.dtype}`,
        );
      this.copy_(r);
    } finally {
      r.dispose();
    }
    return this;
  };
}

const ALIASES: Record<string, string> = {
  absolute: 'abs',
  absolute_: 'abs_',
  arccos: 'acos',
  arccosh: 'acosh',
  arcsin: 'asin',
  arcsinh: 'asinh',
  arctan: 'atan',
  arctan2: 'atan2',
  arctanh: 'atanh',
  divide: 'div',
  divide_: 'div_',
  trueDivide: 'div',
  trueDivide_: 'div_',
  multiply: 'mul',
  multiply_: 'mul_',
  subtract: 'sub',
  subtract_: 'sub_',
  greater: 'gt',
  greaterEqual: 'ge',
  less: 'lt',
  lessEqual: 'le',
  notEqual: 'ne',
  negative: 'neg',
  negative_: 'neg_',
  fix: 'trunc',
  fix_: 'trunc_',
  sgn: 'sign',
  sgn_: 'sign_',
  ger: 'outer',
  ndimension: 'dim',
};
/** @internal The composed in-place forms, by out-of-place method. */
export const COMPOSED_IN_PLACE = [
  'acos',
  'acosh',
  'asin',
  'asinh',
  'atan',
  'atanh',
  'atan2',
  'sinh',
  'cosh',
  'tan',
  'erfc',
  'erfinv',
  'exp2',
  'expm1',
  'log2',
  'log10',
  'lgamma',
  'digamma',
  'polygamma',
  'reciprocal',
  'sinc',
  'logit',
  'xlogy',
  'hypot',
  'lerp',
  'addcmul',
  'addcdiv',
  'clampMin',
  'clampMax',
  'clip',
  'deg2rad',
  'rad2deg',
  'frac',
  'heaviside',
  'nanToNum',
  'square',
  'tril',
  'triu',
  'cumsum',
  'cumprod',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'logicalAnd',
  'logicalOr',
  'logicalNot',
  'logicalXor',
  'copysign',
  'ldexp',
  'renorm',
  'maskedScatter',
  'indexReduce',
  'put',
] as const;
const IN_PLACE_ALIASES: Record<string, string> = {
  greater_: 'gt_',
  greaterEqual_: 'ge_',
  less_: 'lt_',
  lessEqual_: 'le_',
  notEqual_: 'ne_',
  arccos_: 'acos_',
  arccosh_: 'acosh_',
  arcsin_: 'asin_',
  arcsinh_: 'asinh_',
  arctan_: 'atan_',
  arctan2_: 'atan2_',
  arctanh_: 'atanh_',
};

for (const [alias, target] of Object.entries(ALIASES)) proto[alias] = proto[target];
for (const name of COMPOSED_IN_PLACE) proto[`${name}_`] = inPlaceOf(name);
for (const [alias, target] of Object.entries(IN_PLACE_ALIASES)) proto[alias] = proto[target];
