// Reductions and predicates built from native ops: logsumexp, norms, cumprod (native), any/all,
// isnan/isinf/isfinite, logical ops, outer, and the free cdist and einsum.
import { fail } from '../errors.js';
import type { DType } from '../dtype.js';
import { tidy } from '../memory.js';
import { checkOptions, describe, int, list, str } from '../options.js';
import { op } from './dispatch.js';
import { full, zeros } from './creation.js';
import { where } from './functional.js';
import { Tensor, type Dims, type KeepDim } from '../tensor.js';

/** Options of vectorNorm and norm. */
export interface NormOrdOptions extends KeepDim {
  /** Dims to reduce (default all). */
  dim?: Dims | null;
}

declare module '../tensor.js' {
  interface Tensor<D extends DType = DType> {
    /** log(sum(exp(x))) over dim, computed stably. @example logits.logsumexp(-1) */
    logsumexp(dim: Dims, options?: KeepDim): Tensor<D>;
    /**
     * The ord-norm over dims (all by default): 2 (default), any p > 0 or p < 0 ((sum |x|^p)^(1/p),
     * 0 where a slice holds a zero), Infinity (max |x|), -Infinity (min |x|) or 0 (count of
     * non-zeros). Its gradient at 0 is 0 (PyTorch's
     * subgradient). @example x.vectorNorm(2, { dim: -1 })
     */
    vectorNorm(ord?: number, options?: NormOrdOptions): Tensor<D>;
    /** torch.norm: the vector norm, with 'fro' meaning 2. @example w.norm() */
    norm(p?: number | 'fro', options?: NormOrdOptions): Tensor<D>;
    /** Running product along dim (integers give int64). Differentiable, exactly where x holds zeros. */
    cumprod(dim: number): Tensor<D>;
    /** Whether any element (along dim) is non-zero: bool. @example mask.any() */
    any(dim?: number, options?: KeepDim): Tensor<'bool'>;
    /** Whether every element (along dim) is non-zero: bool. */
    all(dim?: number, options?: KeepDim): Tensor<'bool'>;
    /** True where NaN. */
    isnan(): Tensor<'bool'>;
    /** True where +-Infinity. */
    isinf(): Tensor<'bool'>;
    /** True where neither NaN nor infinite. */
    isfinite(): Tensor<'bool'>;
    /** Element-wise NOT of truthiness: bool. @example mask.logicalNot() */
    logicalNot(): Tensor<'bool'>;
    /** Element-wise AND of truthiness (broadcast): bool. */
    logicalAnd(other: Tensor): Tensor<'bool'>;
    /** Element-wise OR of truthiness (broadcast): bool. */
    logicalOr(other: Tensor): Tensor<'bool'>;
    /** The outer product of two 1-D tensors: [n, m]. @example a.outer(b) */
    outer(other: Tensor): Tensor;
  }
}

function tensorOf(opName: string, name: string, v: unknown): Tensor {
  if (!(v instanceof Tensor)) fail('INVALID_ARGUMENT', `${opName}: '${name}' must be a Tensor, got ${describe(v)}`);
  return v;
}

function dimList(opName: string, x: Tensor, dim: Dims | null | undefined): number[] {
  if (dim === undefined || dim === null) return x.shape.map((_, i) => i);
  const ds = typeof dim === 'number' ? [dim] : (list(opName, 'dim', dim, 64) as number[]);
  return ds.map((d) => {
    const v = int(opName, 'dim', d);
    const n = Math.max(x.ndim, 1);
    if (v < -n || v >= n)
      fail('INDEX_OUT_OF_RANGE', `${opName}: dim ${v} is out of range for a tensor of dimension ${x.ndim}`);
    return v < 0 ? v + n : v;
  });
}

// max (or min) over several dims, keeping them.
function extreme(x: Tensor, dims: number[], min = false): Tensor {
  return tidy(() => {
    let r: Tensor = x;
    for (const d of dims) r = min ? r.min(d, { keepdim: true }) : r.max(d, { keepdim: true });
    return r === x ? x.clone() : r;
  });
}

const proto = Tensor.prototype;

proto.logsumexp = function (this: Tensor, dim: Dims, options?: KeepDim) {
  const name = 'logsumexp';
  const keepdim = checkOptions(name, options, { keepdim: 'boolean' }).keepdim ?? false;
  const ds = dimList(name, this, dim);
  return tidy(() => {
    // Shift by the (constant) max; a slice that is all -inf keeps shift 0 so the result is -inf.
    const m = extreme(this.detach(), ds);
    const shift = where(m.isfinite(), m, zeros([], { dtype: this.dtype, device: this.device }));
    const s = this.sub(shift).exp().sum(ds, { keepdim: true }).log().add(shift);
    return keepdim ? s : s.squeeze(ds);
  });
};

proto.vectorNorm = function (this: Tensor, ord = 2, options?: NormOrdOptions) {
  const name = 'vectorNorm';
  const o = checkOptions(name, options, { dim: 'any', keepdim: 'boolean' });
  // (not num(): +-Infinity are orders here)
  if (typeof ord !== 'number' || Number.isNaN(ord))
    fail('INVALID_ARGUMENT', `${name}: 'ord' must be a number (+-Infinity included), got ${describe(ord)}`);
  const p = ord;
  const ds = dimList(name, this, o.dim);
  const keepdim = o.keepdim ?? false;
  if (this.dtype !== 'float32' && this.dtype !== 'float64' && this.dtype !== 'float16' && this.dtype !== 'bfloat16')
    fail('DTYPE_MISMATCH', `${name}: expected a floating tensor, got ${this.dtype}`);
  // max, min and negative orders have no identity: an empty slice has no norm (as torch)
  if (p < 0 || p === Infinity)
    for (const d of ds)
      if ((this.shape[d] ?? 1) === 0)
        fail('INVALID_ARGUMENT', `${name}: cannot compute the ${p} norm over dim ${d} of size 0 (no identity)`);
  return tidy(() => {
    const red = (t: Tensor, how: 'max' | 'min' | 'sum') => {
      const r = how === 'sum' ? t.sum(ds, { keepdim: true }) : extreme(t, ds, how === 'min');
      return keepdim ? r : r.squeeze(ds);
    };
    const a = this.abs();
    const scalar = (v: number) => full([], v, { dtype: this.dtype, device: this.device });
    if (p === Infinity) return red(a, 'max');
    if (p === -Infinity) return red(a, 'min');
    if (p === 0) return red(a.ne(0).to(this.dtype), 'sum');
    if (p === 1) return red(a, 'sum');
    if (p < 0) {
      // (sum |x|^p)^(1/p) is 0 where a slice holds a zero; computed from a stand-in of ones there,
      // then masked, so that its gradient is 0 rather than NaN (as torch's).
      const zeroed = red(a.eq(0).to(this.dtype), 'max').gt(0);
      const safe = where(a.eq(0), scalar(1), a);
      return where(zeroed, scalar(0), red(safe.pow(p), 'sum').pow(1 / p));
    }
    // (sum |x|^p)^(1/p), written so its gradient at a zero norm is 0, not NaN: the norm of a
    // zero slice is computed from a safe stand-in and masked back to 0.
    const total = red(a.pow(p), 'sum');
    const zero = total.eq(0);
    const safe = where(zero, scalar(1), total);
    return where(zero, scalar(0), safe.pow(1 / p));
  });
};

proto.norm = function (this: Tensor, p: number | 'fro' = 'fro', options?: NormOrdOptions) {
  if (p !== 'fro' && typeof p !== 'number')
    fail('INVALID_ARGUMENT', `norm: p must be a number or 'fro', got ${describe(p)}`);
  return this.vectorNorm(p === 'fro' ? 2 : p, options);
};

proto.cumprod = function (this: Tensor, dim: number) {
  return op('cumprod', [int('cumprod', 'dim', dim)], this._h);
};

proto.any = function (this: Tensor, dim?: number, options?: KeepDim) {
  const keepdim = checkOptions('any', options, { keepdim: 'boolean' }).keepdim ?? false;
  return tidy(() =>
    this.ne(0)
      .to('int64')
      .sum(dim === undefined ? null : int('any', 'dim', dim), { keepdim })
      .gt(0),
  );
};
proto.all = function (this: Tensor, dim?: number, options?: KeepDim) {
  const keepdim = checkOptions('all', options, { keepdim: 'boolean' }).keepdim ?? false;
  return tidy(() =>
    this.eq(0)
      .to('int64')
      .sum(dim === undefined ? null : int('all', 'dim', dim), { keepdim })
      .eq(0),
  );
};
proto.isnan = function (this: Tensor) {
  return this.ne(this);
};
proto.isinf = function (this: Tensor) {
  return tidy(() => this.abs().eq(Infinity));
};
proto.isfinite = function (this: Tensor) {
  // x - x is 0 for every finite x, NaN for NaN and +-inf; integers are always finite.
  return tidy(() => (this.dtype === 'bool' ? this.ne(2) : this.sub(this).eq(0)));
};
proto.logicalNot = function (this: Tensor) {
  return this.eq(0);
};
proto.logicalAnd = function (this: Tensor, other: Tensor) {
  tensorOf('logicalAnd', 'other', other);
  return tidy(() => this.ne(0).mul(other.ne(0)).to('bool'));
};
proto.logicalOr = function (this: Tensor, other: Tensor) {
  tensorOf('logicalOr', 'other', other);
  return tidy(() => this.ne(0).add(other.ne(0)).to('bool'));
};
proto.outer = function (this: Tensor, other: Tensor) {
  const name = 'outer';
  tensorOf(name, 'other', other);
  if (this.ndim !== 1 || other.ndim !== 1)
    fail(
      'SHAPE_MISMATCH',
      `${name}: expected two 1-D tensors, got [${this.shape.join(', ')}] and [${other.shape.join(', ')}]`,
    );
  return tidy(() => this.unsqueeze(1).mul(other.unsqueeze(0)));
};

/**
 * Pairwise p-norm distances between the rows of x1 [..., P, M] and x2 [..., R, M]: [..., P, R]
 * (torch.cdist). @example cdist(a, b) // Euclidean
 */
export function cdist(x1: Tensor, x2: Tensor, p = 2): Tensor {
  const name = 'cdist';
  tensorOf(name, 'x1', x1);
  tensorOf(name, 'x2', x2);
  if (x1.ndim < 2 || x2.ndim < 2 || x1.shape[x1.ndim - 1] !== x2.shape[x2.ndim - 1])
    fail(
      'SHAPE_MISMATCH',
      `${name}: expected [..., P, M] and [..., R, M], got [${x1.shape.join(', ')}] and [${x2.shape.join(', ')}]`,
    );
  return tidy(() => x1.unsqueeze(-2).sub(x2.unsqueeze(-3)).vectorNorm(p, { dim: -1 }));
}

/**
 * Einstein summation (torch.einsum): 'ij,jk->ik', 'bhqd,bhkd->bhqk', '...ij->...ji'; a label
 * twice in one operand takes the diagonal ('ii->i', and 'ii' is the trace). Without '->' the
 * output is the labels seen once, sorted. Contracted pairwise with batched matmuls, so
 * differentiable.
 * @example einsum('bij,bjk->bik', a, b)
 */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  const name = 'einsum';
  const eq = str(name, 'equation', equation).replace(/\s+/g, '');
  operands.forEach((t, i) => tensorOf(name, `operands[${i}]`, t));
  const [lhs, rhsGiven] = eq.includes('->') ? eq.split('->') : [eq, undefined];
  const terms = lhs.split(',');
  if (terms.length !== operands.length)
    fail('INVALID_ARGUMENT', `${name}: the equation has ${terms.length} operands, got ${operands.length} tensors`);
  // '...' becomes fresh labels (upper-case Greek, never valid in the equation) per operand.
  const ell = '\u0391\u0392\u0393\u0394\u0395\u0396\u0397\u0398\u0399\u039a\u039b\u039c'.split('');
  let maxEll = 0;
  const labels = terms.map((t, i) => {
    if (!/^[a-zA-Z]*(\.\.\.)?[a-zA-Z]*$/.test(t)) fail('INVALID_ARGUMENT', `${name}: bad operand term '${t}'`);
    const n = operands[i].ndim - (t.length - (t.includes('...') ? 3 : 0));
    if (n < 0 || (!t.includes('...') && n !== 0))
      fail(
        'SHAPE_MISMATCH',
        `${name}: term '${t}' does not match operand ${i} of shape [${operands[i].shape.join(', ')}]`,
      );
    maxEll = Math.max(maxEll, n);
    const e = ell.slice(ell.length - n); // right-aligned, so broadcast ellipses line up
    const ls = t
      .replace('...', '\u0000')
      .split('')
      .flatMap((c) => (c === '\u0000' ? e : [c]));
    return ls;
  });
  const ellAll = ell.slice(ell.length - maxEll);
  let out: string[];
  if (rhsGiven !== undefined) {
    if (!/^[a-zA-Z]*(\.\.\.)?[a-zA-Z]*$/.test(rhsGiven))
      fail('INVALID_ARGUMENT', `${name}: bad output term '${rhsGiven}'`);
    out = rhsGiven
      .replace('...', '\u0000')
      .split('')
      .flatMap((c) => (c === '\u0000' ? ellAll : [c]));
    for (const l of out)
      if (!labels.some((ls) => ls.includes(l)))
        fail('INVALID_ARGUMENT', `${name}: output label '${l}' is not in any operand`);
  } else {
    const count = new Map<string, number>();
    for (const ls of labels) for (const l of ls) count.set(l, (count.get(l) ?? 0) + 1);
    out = [
      ...ellAll,
      ...[...count]
        .filter(([l, c]) => c === 1 && !ellAll.includes(l))
        .map(([l]) => l)
        .sort(),
    ];
  }
  return tidy(() => {
    const sizes = new Map<string, number>();
    const ts = operands.map((t0, i) => {
      // A label repeated within one operand takes the diagonal of those dims ('ii->i', 'ii->').
      let t = t0;
      for (let k = labels[i].findIndex((l, j) => labels[i].indexOf(l) !== j); k >= 0;) {
        const l = labels[i][k],
          first = labels[i].indexOf(l);
        if (t.shape[first] !== t.shape[k])
          fail(
            'SHAPE_MISMATCH',
            `${name}: label '${l}' is repeated in operand ${i} over dims of sizes ${t.shape[first]} and ${t.shape[k]}`,
          );
        t = t.diagonal(0, first, k);
        labels[i] = [...labels[i].filter((_, j) => j !== first && j !== k), l];
        k = labels[i].findIndex((m, j) => labels[i].indexOf(m) !== j);
      }
      labels[i].forEach((l, k) => {
        const s = t.shape[k];
        const prev = sizes.get(l);
        if (prev !== undefined && prev !== s && prev !== 1 && s !== 1)
          fail('SHAPE_MISMATCH', `${name}: label '${l}' has sizes ${prev} and ${s}`);
        if (prev === undefined || prev === 1) sizes.set(l, s);
      });
      return t;
    });
    let cur = ts[0];
    let curL = labels[0];
    for (let i = 1; i <= ts.length; i++) {
      const later = new Set([...out, ...labels.slice(i + 1).flat()]);
      if (i === ts.length) {
        // Sum what the output does not keep.
        const drop = curL.filter((l) => !out.includes(l));
        if (drop.length) {
          cur = cur.sum(drop.map((l) => curL.indexOf(l)));
          curL = curL.filter((l) => out.includes(l));
        }
        break;
      }
      const b = ts[i];
      const bL = labels[i];
      const keepOf = (l: string) => later.has(l);
      // Labels only in one side and not needed later are summed there first.
      const sumAway = (t: Tensor, L: string[], other: string[]): [Tensor, string[]] => {
        const drop = L.filter((l) => !keepOf(l) && !other.includes(l));
        if (!drop.length) return [t, L];
        return [t.sum(drop.map((l) => L.indexOf(l))), L.filter((l) => !drop.includes(l))];
      };
      [cur, curL] = sumAway(cur, curL, bL);
      const [bt, bL2] = sumAway(b, bL, curL);
      const batch = curL.filter((l) => bL2.includes(l) && keepOf(l));
      const contract = curL.filter((l) => bL2.includes(l) && !keepOf(l));
      const aOnly = curL.filter((l) => !bL2.includes(l));
      const bOnly = bL2.filter((l) => !curL.includes(l));
      const size = (l: string) => sizes.get(l) ?? 1;
      const prod = (ls: string[]) => ls.reduce((p, l) => p * size(l), 1);
      const shaped = (t: Tensor, L: string[], order: string[]) =>
        t.permute(order.map((l) => L.indexOf(l))).expand(order.map(size));
      const A = shaped(cur, curL, [...batch, ...aOnly, ...contract]).reshape([
        prod(batch),
        prod(aOnly),
        prod(contract),
      ]);
      const B = shaped(bt, bL2, [...batch, ...contract, ...bOnly]).reshape([prod(batch), prod(contract), prod(bOnly)]);
      cur = A.bmm(B).reshape([...batch, ...aOnly, ...bOnly].map(size));
      curL = [...batch, ...aOnly, ...bOnly];
    }
    return cur.permute(out.map((l) => curL.indexOf(l)));
  });
}
