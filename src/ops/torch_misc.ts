// torch.* functions that name something tensorkit already does, or whose answer for real tensors is
// fixed: type promotion queries (resultType, promoteTypes), rsub, scalarTensor, chainMatmul,
// frobeniusNorm / nuclearNorm, the complex no-ops of real tensors (conj, resolveConj, resolveNeg,
// conjPhysical, real, isConj, isNeg; imag is an error), and the unsafe / sized split aliases.
import { tensorArg, tensorList } from '../args.js';
import { checkDType, isFloating, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { multiDot, matrixNorm } from '../linalg/index.js';
import { tidy } from '../memory.js';
import { checkOptions, describe, num } from '../options.js';
import { Tensor, type Scalar } from '../tensor.js';
import { full, zeros, type CreateOptions } from './creation.js';

// An operand as add() sees it, keeping its tier: a tensor with dims as an empty one of its dtype
// and rank, a 0-dim tensor as itself, a number as a number.
const tier = (op: string, v: Tensor | Scalar): Tensor | Scalar => {
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  const t = tensorArg(op, 'operand', v);
  return t.ndim === 0 ? t : zeros([0], { dtype: t.dtype, device: t.device });
};

/**
 * The dtype torch's type promotion gives an op of these two operands (torch.result_type): tensors
 * with dims outrank 0-dim tensors, which outrank numbers, within a category (bool < integer <
 * float). @example resultType(tensor([1], { dtype: 'int32' }), 2.5) // 'float32'
 */
export function resultType(a: Tensor | Scalar, b: Tensor | Scalar): DType {
  const op = 'resultType';
  const x = tier(op, a),
    y = tier(op, b);
  if (!(x instanceof Tensor) && !(y instanceof Tensor)) {
    if (typeof x === 'boolean' && typeof y === 'boolean') return 'bool';
    return Number.isInteger(x) && Number.isInteger(y) ? 'int64' : 'float32';
  }
  return tidy(() => (x instanceof Tensor ? x.add(y) : (y as Tensor).add(x)).dtype);
}

/** The dtype two dtypes promote to (torch.promote_types). @example promoteTypes('int32', 'float16') // 'float16' */
export function promoteTypes(a: DType, b: DType): DType {
  const op = 'promoteTypes';
  const da = checkDType(op, a),
    db = checkDType(op, b);
  return tidy(() => zeros([0], { dtype: da }).add(zeros([0], { dtype: db })).dtype);
}

/** other - alpha * input (torch.rsub: sub with the operands reversed). @example rsub(x, 1) // 1 - x */
export function rsub(input: Tensor, other: Tensor | Scalar, options?: { alpha?: number }): Tensor {
  const op = 'rsub';
  const x = tensorArg(op, 'input', input);
  const alpha = num(op, 'alpha', checkOptions(op, options, { alpha: 'number' }).alpha ?? 1);
  if (!(other instanceof Tensor) && typeof other !== 'number' && typeof other !== 'boolean')
    fail('INVALID_ARGUMENT', `${op}: other must be a Tensor or a number, got ${describe(other)}`);
  return tidy(() => {
    const scaled = alpha === 1 ? x : x.mul(alpha);
    return other instanceof Tensor ? other.sub(scaled) : scaled.neg().add(other);
  });
}

/** A 0-dim tensor of a number (torch.scalar_tensor: float32 unless dtype says otherwise). */
export function scalarTensor(s: number | boolean, options?: CreateOptions): Tensor {
  const o = checkOptions('scalarTensor', options, { dtype: 'any', device: 'any', requiresGrad: 'boolean' });
  if (typeof s !== 'number' && typeof s !== 'boolean')
    fail('INVALID_ARGUMENT', `scalarTensor: expected a number, got ${describe(s)}`);
  return full([], Number(s), { dtype: 'float32', ...o });
}

/** The product of matrices in the cheapest order (torch.chain_matmul, now linalg.multiDot). */
export function chainMatmul(...matrices: Tensor[]): Tensor {
  return multiDot(tensorList('chainMatmul', 'matrices', matrices));
}

/** The Frobenius norm over two dims (default the last two; torch.frobenius_norm). */
export function frobeniusNorm(input: Tensor, dim: [number, number] = [-2, -1], keepdim = false): Tensor {
  return matrixNorm(tensorArg('frobeniusNorm', 'input', input), 'fro', { dim, keepdim });
}
/** The nuclear norm (sum of singular values) over two dims (default the last two; torch.nuclear_norm). */
export function nuclearNorm(input: Tensor, dim: [number, number] = [-2, -1], keepdim = false): Tensor {
  return matrixNorm(tensorArg('nuclearNorm', 'input', input), 'nuc', { dim, keepdim });
}

declare module '../tensor.js' {
  interface Tensor<D extends DType = DType> {
    /** The complex conjugate: for real tensors, this tensor (torch.conj). */
    conj(): Tensor<D>;
    /** This tensor (no lazy conjugation exists for real tensors). */
    resolveConj(): Tensor<D>;
    /** This tensor (no lazy negation exists for real tensors). */
    resolveNeg(): Tensor<D>;
    /** A copy (the conjugate of a real tensor). */
    conjPhysical(): Tensor<D>;
    /** Whether the conjugate bit is set: never, for real tensors. */
    isConj(): boolean;
    /** Whether the negative bit is set: never, for real tensors. */
    isNeg(): boolean;
    /** chunk (torch's unsafe_chunk: no view tracking is involved here). */
    unsafeChunk(chunks: number, dim?: number): Tensor<D>[];
    /** split (torch's unsafe_split). */
    unsafeSplit(splitSize: number | readonly number[], dim?: number): Tensor<D>[];
    /** split by a list of sizes (torch's split_with_sizes). */
    splitWithSizes(splitSizes: readonly number[], dim?: number): Tensor<D>[];
    /** The argument of each element: 0 or pi for real tensors (torch's angle). @example x.angle() */
    angle(): Tensor;
  }
}
const proto = Tensor.prototype;
// a view: a new handle on the same storage, so disposing the result leaves this tensor alive
proto.conj = function <D extends DType>(this: Tensor<D>) {
  return this.view(this.shape);
};
proto.resolveConj = proto.conj;
proto.resolveNeg = proto.conj;
proto.conjPhysical = function <D extends DType>(this: Tensor<D>) {
  return this.clone();
};
proto.isConj = () => false;
proto.isNeg = () => false;
proto.unsafeChunk = proto.chunk;
proto.unsafeSplit = proto.split;
proto.splitWithSizes = function <D extends DType>(this: Tensor<D>, splitSizes: readonly number[], dim = 0) {
  if (!Array.isArray(splitSizes))
    fail('INVALID_ARGUMENT', `splitWithSizes: splitSizes must be a list of sizes, got ${describe(splitSizes)}`);
  return this.split(splitSizes, dim);
};

proto.angle = function (this: Tensor) {
  return angle(this);
};

/** The real part: for real tensors, the tensor itself (torch.real). */
export function real(input: Tensor): Tensor {
  return tensorArg('real', 'input', input).conj();
}
/** The imaginary part: refused for real tensors, as torch's (tensorkit has no complex dtypes). */
export function imag(input: Tensor): Tensor {
  const t = tensorArg('imag', 'input', input);
  return fail('DTYPE_MISMATCH', `imag: is not implemented for tensors with non-complex dtypes, got ${t.dtype}`);
}

/**
 * The argument (phase) of each element (torch.angle): for real tensors 0 where x >= 0 (and at
 * -0), pi where x < 0, NaN at NaN; integers and bool give float32. Its gradient is 0, as torch's.
 * @example angle(tensor([1, -2])) // [0, 3.14159...]
 */
export function angle(input: Tensor): Tensor {
  const x = tensorArg('angle', 'input', input);
  return tidy(() => {
    const f = isFloating(x.dtype) ? x : x.to('float32');
    // pi where negative; x enters with a zero derivative (clamped first, since inf * 0 is NaN),
    // which also carries NaN through
    return f.lt(0).to(f.dtype).mul(Math.PI).add(f.clamp(-1, 1).mul(0));
  });
}
