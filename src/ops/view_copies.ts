// torch's *_copy functions (torch.transpose_copy, torch.view_copy, ...): the view op's result as
// a new contiguous tensor with its own storage, so a write to it never reaches the input (nor a
// write to the input the copy). Each is the view followed by clone, so it is differentiable
// through the view; the list forms (splitCopy, unbindCopy) copy every part.
import { tensorArg } from '../args.js';
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { int } from '../options.js';
import { Tensor } from '../tensor.js';
import { slice } from './indexing.js';

declare module '../tensor.js' {
  interface Tensor<D extends DType = DType> {
    /** narrow as a contiguous copy with its own storage (torch's Tensor.narrow_copy). @example x.narrowCopy(0, 1, 2) */
    narrowCopy(dim: number, start: number, length: number): Tensor<D>;
  }
}

type Viewing = 'transpose' | 'permute' | 'view' | 'expand' | 'squeeze' | 'unsqueeze' | 'select' | 'narrow';
type Listing = 'split' | 'splitWithSizes' | 'unbind';

// The free function `name` that applies the method and copies its result.
function copying<M extends Viewing | Listing | 'diagonal' | 'unfold' | 'asStrided' | 't' | 'detach'>(
  name: string,
  method: M,
) {
  return (<D extends DType>(input: Tensor<D>, ...args: unknown[]) => {
    const x = tensorArg(name, 'input', input);
    return tidy(() => {
      const v = (x[method] as (...a: unknown[]) => Tensor | Tensor[]).apply(x, args);
      return Array.isArray(v) ? v.map((t) => t.clone()) : v.clone();
    });
  }) as unknown as <D extends DType>(input: Tensor<D>, ...args: Parameters<Tensor<D>[M]>) => ReturnType<Tensor<D>[M]>;
}

/** transpose as a contiguous copy (torch.transpose_copy). @example transposeCopy(x, 0, 1) */
export const transposeCopy = copying('transposeCopy', 'transpose');
/** t as a contiguous copy (torch.t_copy). @example tCopy(m) */
export const tCopy = copying('tCopy', 't');
/** permute as a contiguous copy (torch.permute_copy). @example permuteCopy(x, [2, 0, 1]) */
export const permuteCopy = copying('permuteCopy', 'permute');
/** view as a contiguous copy (torch.view_copy). @example viewCopy(x, [2, -1]) */
export const viewCopy = copying('viewCopy', 'view');
/** expand as a contiguous copy, each repeated element stored (torch.expand_copy). @example expandCopy(x, [4, 3]) */
export const expandCopy = copying('expandCopy', 'expand');
/** squeeze as a contiguous copy (torch.squeeze_copy). @example squeezeCopy(x, 0) */
export const squeezeCopy = copying('squeezeCopy', 'squeeze');
/** unsqueeze as a contiguous copy (torch.unsqueeze_copy). @example unsqueezeCopy(x, 1) */
export const unsqueezeCopy = copying('unsqueezeCopy', 'unsqueeze');
/** select as a contiguous copy (torch.select_copy). @example selectCopy(x, 0, 2) */
export const selectCopy = copying('selectCopy', 'select');
/** narrow as a contiguous copy (torch.narrow_copy). @example narrowCopy(x, 1, 0, 2) */
export const narrowCopy = copying('narrowCopy', 'narrow');
/** diagonal as a contiguous copy (torch.diagonal_copy). @example diagonalCopy(m) */
export const diagonalCopy = copying('diagonalCopy', 'diagonal');
/** unfold as a contiguous copy, each window stored (torch.unfold_copy). @example unfoldCopy(x, 0, 3, 1) */
export const unfoldCopy = copying('unfoldCopy', 'unfold');
/** asStrided as a contiguous copy (torch.as_strided_copy). @example asStridedCopy(x, [3, 3], [1, 1]) */
export const asStridedCopy = copying('asStridedCopy', 'asStrided');
/** detach as a copy with its own storage and no gradient history (torch.detach_copy). @example detachCopy(x) */
export const detachCopy = copying('detachCopy', 'detach');
/** split with every part a contiguous copy (torch.split_copy). @example splitCopy(x, 2) */
export const splitCopy = copying('splitCopy', 'split');
/** splitWithSizes with every part a contiguous copy (torch.split_with_sizes_copy). @example splitWithSizesCopy(x, [1, 2]) */
export const splitWithSizesCopy = copying('splitWithSizesCopy', 'splitWithSizes');
/** unbind with every slice a contiguous copy (torch.unbind_copy). @example unbindCopy(x, 0) */
export const unbindCopy = copying('unbindCopy', 'unbind');

/** A copy of the input with its own storage (torch.alias_copy: the alias op's copy form). @example aliasCopy(x) */
export function aliasCopy<D extends DType>(input: Tensor<D>): Tensor<D> {
  return tensorArg('aliasCopy', 'input', input).clone() as Tensor<D>;
}

/**
 * The elements start, start + step, ... before end along dim, copied (torch.slice_copy): start and
 * end as Python's slice (null: the ends; negative: from the end; clamped to the size).
 * @example sliceCopy(x, 1, 0, null, 2) // every other column
 */
export function sliceCopy<D extends DType>(
  input: Tensor<D>,
  dim = 0,
  start: number | null = null,
  end: number | null = null,
  step = 1,
): Tensor<D> {
  const name = 'sliceCopy';
  const x = tensorArg(name, 'input', input);
  const d = int(name, 'dim', dim);
  if (d < -x.ndim || d >= x.ndim)
    fail('INDEX_OUT_OF_RANGE', `${name}: dim ${d} is out of range for a tensor of ${x.ndim} dims`);
  const lead = new Array<string>(d < 0 ? x.ndim + d : d).fill(':');
  return tidy(() => x.index([...lead, slice(start, end, step)]).clone()) as Tensor<D>;
}

Tensor.prototype.narrowCopy = function (this: Tensor, dim: number, start: number, length: number) {
  return narrowCopy(this, dim, start, length);
};
