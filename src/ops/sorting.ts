// Sorting and sampling: sort and topk (the stable native argsort, then gather, so the values are
// differentiable), multinomial, unique and uniqueConsecutive.
import { fail } from '../errors.js';
import type { DType } from '../dtype.js';
import { tidy } from '../memory.js';
import { checkOptions, intAtLeast } from '../options.js';
import { drawingFrom, type Generator } from './generator.js';
import { noGrad } from '../autograd.js';
import { rand, tensor } from './creation.js';
import { cat } from './functional.js';
import { Tensor } from '../tensor.js';
import { dimOf } from './shaping.js';

/** Values and their positions, as sort, topk and the like return them. */
export interface ValuesIndices<D extends DType = DType> {
  values: Tensor<D>;
  indices: Tensor<'int64'>;
}

declare module '../tensor.js' {
  interface Tensor<D extends DType = DType> {
    /**
     * Sorted values along dim and where they were (stable: equal values keep their order; NaN
     * last ascending). Differentiable through the values. @example const { values, indices } = x.sort(-1, { descending: true })
     */
    sort(dim?: number, options?: { descending?: boolean; stable?: boolean }): ValuesIndices<D>;
    /**
     * The k largest (or smallest) values along dim and their positions, sorted. Differentiable
     * through the values. @example const { values } = logits.topk(10); // logits.lt(values.index([':', [-1]]))
     */
    topk(k: number, dim?: number, options?: { largest?: boolean; sorted?: boolean }): ValuesIndices<D>;
    /**
     * Draws `numSamples` category indices per row from non-negative weights (1-D or 2-D), with
     * or without replacement. int64. @example const next = probs.multinomial(1)
     */
    multinomial(numSamples: number, options?: { replacement?: boolean; generator?: Generator }): Tensor<'int64'>;
    /**
     * The distinct values, sorted; optionally the inverse positions (each element's slot in the
     * values) and the counts. @example const { values, counts } = labels.unique({ returnCounts: true })
     */
    unique(options?: { sorted?: boolean; returnInverse?: boolean; returnCounts?: boolean }): {
      values: Tensor<D>;
      inverse?: Tensor<'int64'>;
      counts?: Tensor<'int64'>;
    };
    /**
     * Each run of equal consecutive elements (or slices along `dim`) kept once
     * (torch.unique_consecutive; NaN never equals NaN); optionally each element's run and the run
     * lengths. @example tensor([1, 1, 2, 2, 3, 1]).uniqueConsecutive().values // [1, 2, 3, 1]
     */
    uniqueConsecutive(options?: { returnInverse?: boolean; returnCounts?: boolean; dim?: number | null }): {
      values: Tensor<D>;
      inverse?: Tensor<'int64'>;
      counts?: Tensor<'int64'>;
    };
  }
}

const proto = Tensor.prototype;

proto.sort = function (this: Tensor, dim = -1, options?: { descending?: boolean; stable?: boolean }) {
  const op = 'sort';
  const o = checkOptions(op, options, { descending: 'boolean', stable: 'boolean' });
  const d = dimOf(op, this, dim);
  const indices = this.argsort(d, { descending: o.descending ?? false });
  return { values: this.gather(d, indices), indices };
} as Tensor['sort'];

proto.topk = function (this: Tensor, k: number, dim = -1, options?: { largest?: boolean; sorted?: boolean }) {
  const op = 'topk';
  const o = checkOptions(op, options, { largest: 'boolean', sorted: 'boolean' });
  const d = dimOf(op, this, dim);
  const n = this.ndim === 0 ? 1 : this.shape[d];
  const kk = intAtLeast(op, 'k', k, 0);
  if (kk > n) fail('INDEX_OUT_OF_RANGE', `${op}: k (${kk}) is larger than dimension ${d} of size ${n}`);
  const indices = tidy(() =>
    this.argsort(d, { descending: o.largest ?? true })
      .narrow(d, 0, kk)
      .contiguous(),
  );
  return { values: this.gather(d, indices), indices };
} as Tensor['topk'];

proto.multinomial = function (
  this: Tensor,
  numSamples: number,
  options?: { replacement?: boolean; generator?: Generator },
) {
  const op = 'multinomial';
  const o = checkOptions(op, options, { replacement: 'boolean', generator: 'any' });
  const replacement = o.replacement ?? false;
  const s = intAtLeast(op, 'numSamples', numSamples, 1);
  if (this.ndim !== 1 && this.ndim !== 2)
    fail('SHAPE_MISMATCH', `${op}: expected 1-D or 2-D weights, got [${this.shape.join(', ')}]`);
  if (this.dtype !== 'float32' && this.dtype !== 'float64')
    fail('DTYPE_MISMATCH', `${op}: expected float32 or float64 weights, got ${this.dtype}`);
  const C = this.shape[this.ndim - 1];
  if (!replacement && s > C)
    fail('INVALID_ARGUMENT', `${op}: cannot draw ${s} samples without replacement from ${C} categories`);
  return drawingFrom(op, o.generator, () =>
    noGrad(() =>
      tidy(() => {
        const w = this.ndim === 1 ? this.unsqueeze(0) : this;
        const bad = w.lt(0).sum().item() as number;
        if (bad > 0 || (w.sub(w).ne(0).sum().item() as number) > 0)
          fail('INVALID_ARGUMENT', `${op}: weights must be finite and non-negative`);
        const total = w.sum(1, { keepdim: true });
        if ((total.le(0).sum().item() as number) > 0)
          fail('INVALID_ARGUMENT', `${op}: every row needs a positive total weight`);
        let out: Tensor;
        if (replacement) {
          // Inverse CDF: the category whose cumulative weight first exceeds u * total.
          const cdf = w.cumsum(1).div(total); // [N, C]
          const u = rand([w.shape[0], s, 1], { dtype: w.dtype, device: w.device });
          out = cdf
            .unsqueeze(1)
            .le(u)
            .sum(2)
            .clamp(0, C - 1); // [N, S]
        } else {
          // Gumbel top-k: the k largest of log(w) + Gumbel noise are a draw without replacement
          // (zero weights, at -inf, are never drawn while others remain).
          const g = rand([w.shape[0], C], { dtype: w.dtype, device: w.device }).clamp(1e-20, 1).log().neg().log().neg();
          out = w.log().add(g).topk(s, 1).indices;
        }
        const r = out.to('int64');
        return this.ndim === 1 ? r.reshape([s]) : r;
      }),
    ),
  );
};

proto.unique = function (
  this: Tensor,
  options?: { sorted?: boolean; returnInverse?: boolean; returnCounts?: boolean },
) {
  const op = 'unique';
  const o = checkOptions(op, options, { sorted: 'boolean', returnInverse: 'boolean', returnCounts: 'boolean' });
  return noGrad(() =>
    tidy(() => {
      const flat = this.reshape([-1]);
      const { values: sorted, indices } = flat.sort(0);
      const n = sorted.numel();
      const vals = n === 0 ? [] : (sorted.to(this.dtype === 'bool' ? 'int64' : this.dtype).toArray() as number[]);
      const starts: number[] = [];
      for (let i = 0; i < n; i++)
        if (i === 0 || (!Object.is(vals[i], vals[i - 1]) && vals[i] !== vals[i - 1])) starts.push(i);
      const pos = tensor(starts, { dtype: 'int64' });
      const values = sorted.indexSelect(0, pos);
      const out: { values: Tensor; inverse?: Tensor; counts?: Tensor } = { values };
      if (o.returnCounts)
        out.counts = tensor(
          starts.map((s, i) => (i + 1 < starts.length ? starts[i + 1] : n) - s),
          { dtype: 'int64' },
        );
      if (o.returnInverse) {
        // slot of each sorted element, scattered back to the original order
        const slot: number[] = new Array(n);
        let k = -1;
        for (let i = 0; i < n; i++) {
          if (starts[k + 1] === i) k++;
          slot[i] = k;
        }
        const inv = tensor(new Array(n).fill(0), { dtype: 'int64' }).scatter(
          0,
          indices,
          tensor(slot, { dtype: 'int64' }),
        );
        out.inverse = inv.reshape(this.shape);
      }
      return out;
    }),
  );
} as Tensor['unique'];

proto.uniqueConsecutive = function (
  this: Tensor,
  options?: { returnInverse?: boolean; returnCounts?: boolean; dim?: number | null },
) {
  const op = 'uniqueConsecutive';
  const o = checkOptions(op, options, { returnInverse: 'boolean', returnCounts: 'boolean', dim: 'any' });
  const byDim = o.dim !== undefined && o.dim !== null;
  const d = byDim ? dimOf(op, this, o.dim as number) : 0;
  return noGrad(() =>
    tidy(() => {
      // Rows: the elements (flattened), or the slices along dim (moved first, the rest flattened).
      const x = byDim ? this.movedim(d, 0) : this.reshape([-1]);
      const n = x.ndim === 0 ? 1 : x.shape[0];
      const rows = x.reshape([n, x.shape.slice(1).reduce((a, b) => a * b, 1)]);
      const differs =
        n > 1
          ? rows
              .narrow(0, 1, n - 1)
              .ne(rows.narrow(0, 0, n - 1))
              .any(1)
          : tensor([], { dtype: 'bool', device: this.device });
      const starts = n > 0 ? cat([tensor([true], { device: this.device }), differs]) : differs;
      const pos = starts.nonzero().reshape([-1]);
      const values = byDim ? x.indexSelect(0, pos).movedim(0, d) : x.indexSelect(0, pos);
      const out: { values: Tensor; inverse?: Tensor; counts?: Tensor } = { values };
      if (o.returnInverse) {
        const inv = starts.to('int64').cumsum(0).sub(1);
        out.inverse = byDim ? inv : inv.reshape(this.shape);
      }
      if (o.returnCounts) out.counts = cat([pos, tensor([n], { dtype: 'int64', device: this.device })]).diff();
      return out;
    }),
  );
} as Tensor['uniqueConsecutive'];
