// More of torch's products and index writes, made of native ops so each is differentiable: mm,
// inner, cross, the add-products (baddbmm, addbmm, addmv, addr), cov and corrcoef; and indexAdd,
// indexCopy, indexFill (with in-place forms) and takeAlongDim, which scatter or gather along one
// dim with a 1-D index.
import { tensorArg } from '../args.js';
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { checkOptions, describe, int, num } from '../options.js';
import { zeros } from './creation.js';
import { cat, where } from './functional.js';
import { dimOf } from './shaping.js';
import { broadcastShapes } from './shaping_more.js';
import { Tensor } from '../tensor.js';

/** beta and alpha of the add-products: beta * this + alpha * product. */
export interface AddProductOptions {
  beta?: number;
  alpha?: number;
}

declare module '../tensor.js' {
  interface Tensor<D extends DType = DType> {
    /** The product of two 2-D tensors (no broadcasting). @example a.mm(b) */
    mm(other: Tensor): Tensor;
    /** Sum of products over the last dims of both (a dot for 1-D; torch.inner). */
    inner(other: Tensor): Tensor;
    /**
     * The cross product of 3-vectors along dim (the first dim of size 3 by default; broadcast).
     * @example a.cross(b, -1)
     */
    cross(other: Tensor, dim?: number): Tensor;
    /** beta * this + alpha * (batch1 @ batch2), batched [B, n, m] @ [B, m, p]. */
    baddbmm(batch1: Tensor, batch2: Tensor, options?: AddProductOptions): Tensor;
    /** beta * this + alpha * sum over the batch of batch1[b] @ batch2[b]. */
    addbmm(batch1: Tensor, batch2: Tensor, options?: AddProductOptions): Tensor;
    /** beta * this + alpha * (mat @ vec). */
    addmv(mat: Tensor, vec: Tensor, options?: AddProductOptions): Tensor;
    /** beta * this + alpha * outer(vec1, vec2). */
    addr(vec1: Tensor, vec2: Tensor, options?: AddProductOptions): Tensor;
    /**
     * The covariance matrix of the variables in the rows (observations in the columns), with
     * optional integer frequency and float observation weights (torch.cov). @example x.cov()
     */
    cov(options?: { correction?: number; fweights?: Tensor | null; aweights?: Tensor | null }): Tensor;
    /** The Pearson correlation matrix of the variables in the rows (torch.corrcoef). */
    corrcoef(): Tensor;
    /**
     * A copy with alpha * source's slices added at `index` (1-D) along dim (torch.index_add);
     * repeated indices add up. @example x.indexAdd(0, tensor([0, 2], { dtype: 'int64' }), rows)
     */
    indexAdd(dim: number, index: Tensor, source: Tensor, options?: { alpha?: number }): Tensor<D>;
    /** In-place indexAdd. */
    indexAdd_(dim: number, index: Tensor, source: Tensor, options?: { alpha?: number }): this;
    /** A copy with source's slices written at `index` along dim (torch.index_copy). */
    indexCopy(dim: number, index: Tensor, source: Tensor): Tensor<D>;
    /** In-place indexCopy. */
    indexCopy_(dim: number, index: Tensor, source: Tensor): this;
    /** A copy with the slices at `index` along dim set to value (torch.index_fill). */
    indexFill(dim: number, index: Tensor, value: number | boolean): Tensor<D>;
    /** In-place indexFill. */
    indexFill_(dim: number, index: Tensor, value: number | boolean): this;
    /**
     * gather with broadcasting: indices and this are broadcast except along dim; without dim,
     * both are flattened (torch.take_along_dim). @example x.takeAlongDim(x.argsort(1), 1)
     */
    takeAlongDim(indices: Tensor, dim?: number | null): Tensor<D>;
  }
}

const proto = Tensor.prototype;
const shapeText = (t: Tensor) => `[${t.shape.join(', ')}]`;

proto.mm = function (this: Tensor, other: Tensor) {
  const b = tensorArg('mm', 'other', other);
  if (this.ndim !== 2 || b.ndim !== 2)
    fail('SHAPE_MISMATCH', `mm: expected two 2-D tensors, got ${shapeText(this)} and ${shapeText(b)}`);
  return this.matmul(b);
};
proto.inner = function (this: Tensor, other: Tensor) {
  const b = tensorArg('inner', 'other', other);
  if (this.ndim === 0 || b.ndim === 0) return this.mul(b);
  if (this.shape[this.ndim - 1] !== b.shape[b.ndim - 1])
    fail('SHAPE_MISMATCH', `inner: the last dims differ, got ${shapeText(this)} and ${shapeText(b)}`);
  return tidy(() => {
    const a2 = this.reshape([-1, this.shape[this.ndim - 1]]);
    const b2 = b.reshape([-1, b.shape[b.ndim - 1]]);
    return a2.matmul(b2.t()).reshape([...this.shape.slice(0, -1), ...b.shape.slice(0, -1)]);
  });
};
proto.cross = function (this: Tensor, other: Tensor, dim?: number) {
  const name = 'cross';
  const b = tensorArg(name, 'other', other);
  const shape = broadcastShapes(this.shape, b.shape);
  let d: number;
  if (dim === undefined || dim === null) {
    d = shape.indexOf(3);
    if (d < 0) fail('SHAPE_MISMATCH', `${name}: no dim of size 3 in ${shapeText(this)} and ${shapeText(b)}`);
  } else {
    d = int(name, 'dim', dim);
    if (d < -shape.length || d >= shape.length)
      fail('INDEX_OUT_OF_RANGE', `${name}: dim ${d} is out of range for ${shape.length} dims`);
    if (d < 0) d += shape.length;
    if (shape[d] !== 3) fail('SHAPE_MISMATCH', `${name}: dim ${d} must have size 3, got ${shape[d]}`);
  }
  return tidy(() => {
    const x = this.expand(shape),
      y = b.expand(shape);
    const c = (t: Tensor, i: number) => t.narrow(d, i, 1);
    const part = (i: number, j: number) =>
      c(x, i)
        .mul(c(y, j))
        .sub(c(x, j).mul(c(y, i)));
    return cat([part(1, 2), part(2, 0), part(0, 1)], d);
  });
};

function addProduct(name: string, x: Tensor, product: () => Tensor, options: AddProductOptions | undefined): Tensor {
  const o = checkOptions(name, options, { beta: 'number', alpha: 'number' });
  const beta = num(name, 'beta', o.beta ?? 1),
    alpha = num(name, 'alpha', o.alpha ?? 1);
  return tidy(() => {
    const p = product();
    const scaled = alpha === 1 ? p : p.mul(alpha);
    // beta 0 ignores this (NaN in it does not propagate), as torch's; its shape still broadcasts.
    if (beta === 0) return scaled.add(zeros(x.shape, { dtype: x.dtype, device: x.device }));
    return scaled.add(beta === 1 ? x : x.mul(beta));
  });
}
proto.baddbmm = function (this: Tensor, batch1: Tensor, batch2: Tensor, options?: AddProductOptions) {
  const a = tensorArg('baddbmm', 'batch1', batch1),
    b = tensorArg('baddbmm', 'batch2', batch2);
  return addProduct('baddbmm', this, () => a.bmm(b), options);
};
proto.addbmm = function (this: Tensor, batch1: Tensor, batch2: Tensor, options?: AddProductOptions) {
  const a = tensorArg('addbmm', 'batch1', batch1),
    b = tensorArg('addbmm', 'batch2', batch2);
  return addProduct('addbmm', this, () => a.bmm(b).sum(0), options);
};
proto.addmv = function (this: Tensor, mat: Tensor, vec: Tensor, options?: AddProductOptions) {
  const m = tensorArg('addmv', 'mat', mat),
    v = tensorArg('addmv', 'vec', vec);
  return addProduct('addmv', this, () => m.mv(v), options);
};
proto.addr = function (this: Tensor, vec1: Tensor, vec2: Tensor, options?: AddProductOptions) {
  const a = tensorArg('addr', 'vec1', vec1),
    b = tensorArg('addr', 'vec2', vec2);
  if (a.ndim !== 1 || b.ndim !== 1)
    fail('SHAPE_MISMATCH', `addr: expected two 1-D vectors, got ${shapeText(a)} and ${shapeText(b)}`);
  return addProduct('addr', this, () => a.outer(b), options);
};

proto.cov = function (
  this: Tensor,
  options?: { correction?: number; fweights?: Tensor | null; aweights?: Tensor | null },
) {
  const name = 'cov';
  const o = checkOptions(name, options, { correction: 'number', fweights: 'any', aweights: 'any' });
  if (this.ndim > 2) fail('SHAPE_MISMATCH', `${name}: expected a 1-D or 2-D tensor, got ${shapeText(this)}`);
  const correction = num(name, 'correction', o.correction ?? 1);
  const x = this.ndim < 2 ? this.reshape([1, -1]) : this;
  const n = x.shape[1];
  const weightOf = (label: 'fweights' | 'aweights', v: unknown): Tensor | null => {
    if (v === undefined || v === null) return null;
    const w = tensorArg(name, label, v);
    if (w.ndim !== 1 || w.shape[0] !== n)
      fail(
        'SHAPE_MISMATCH',
        `${name}: ${label} must be 1-D with one weight per observation (${n}), got ${shapeText(w)}`,
      );
    if ((w.lt(0).any().item() as boolean) === true) fail('INVALID_ARGUMENT', `${name}: ${label} cannot be negative`);
    if (label === 'fweights' && w.dtype !== 'int64' && w.dtype !== 'int32')
      fail('DTYPE_MISMATCH', `${name}: fweights must be integers, got ${w.dtype}`);
    return w;
  };
  const fw = weightOf('fweights', o.fweights),
    aw = weightOf('aweights', o.aweights);
  return tidy(() => {
    const xf = x.dtype === 'float64' || x.dtype === 'float32' ? x : x.to('float32');
    // torch.cov: w = fw * aw; mean = sum(x w) / sum(w); the divisor sum(w) - correction * (aw ?
    // sum(w aw) / sum(w) : 1), clamped at 0.
    let w: Tensor | null = fw ? fw.to(xf.dtype) : null;
    if (aw) w = w ? w.mul(aw) : aw.to(xf.dtype);
    const wsum = w ? w.sum() : null;
    const mean = w ? xf.mul(w).sum(1, { keepdim: true }).div(wsum!) : xf.mean(1, { keepdim: true });
    const centred = xf.sub(mean);
    const prod = centred.mul(w ?? 1).matmul(centred.t());
    let denom: Tensor | number;
    if (!w) denom = Math.max(n - correction, 0);
    else if (correction === 0) denom = wsum!;
    else if (!aw) denom = wsum!.sub(correction).clamp(0, null);
    else denom = wsum!.sub(w.mul(aw).sum().div(wsum!).mul(correction)).clamp(0, null);
    const c = prod.div(denom);
    return this.ndim < 2 ? c.reshape([]) : c;
  });
};
proto.corrcoef = function (this: Tensor) {
  if (this.ndim > 2) fail('SHAPE_MISMATCH', `corrcoef: expected a 1-D or 2-D tensor, got ${shapeText(this)}`);
  return tidy(() => {
    const c = this.cov();
    if (c.ndim === 0) return c.div(c);
    const d = c.diagonal().sqrt();
    // Rounding can push |r| past 1; torch clips to [-1, 1].
    return c.div(d.unsqueeze(1)).div(d.unsqueeze(0)).clamp(-1, 1);
  });
};

// index (1-D integers) along d, checked against source: source has this's shape except d, where
// it has one slice per index.
function indexFor(name: string, x: Tensor, dim: number, index: Tensor, source?: Tensor): { d: number; idx: Tensor } {
  const d = dimOf(name, x, dim);
  const idx = tensorArg(name, 'index', index);
  if (idx.ndim > 1) fail('SHAPE_MISMATCH', `${name}: index must be 0-D or 1-D, got ${shapeText(idx)}`);
  if (idx.dtype !== 'int64' && idx.dtype !== 'int32')
    fail('DTYPE_MISMATCH', `${name}: index must hold integers (int64), got ${idx.dtype}`);
  if (source) {
    const k = idx.numel();
    const want = x.ndim === 0 ? [] : x.shape.map((s, i) => (i === d ? k : s));
    const got = source.ndim === 0 && k === 1 ? want : source.shape;
    if (want.length !== got.length || want.some((s, i) => s !== got[i]))
      fail(
        'SHAPE_MISMATCH',
        `${name}: source must be [${want.join(', ')}] for ${k} indices along dim ${d}, got ${shapeText(source)}`,
      );
  }
  return { d, idx: idx.reshape([-1]) };
}
// The index as a scatter/gather index for a source of `shape`: its value at every position along d.
function spread(idx: Tensor, d: number, shape: readonly number[]): Tensor {
  const at = shape.map((s, i) => (i === d ? s : 1));
  return idx
    .to('int64')
    .reshape(at.length ? at : [1])
    .expand(shape.length ? shape : [1]);
}

proto.indexAdd = function (this: Tensor, dim: number, index: Tensor, source: Tensor, options?: { alpha?: number }) {
  const name = 'indexAdd';
  const src = tensorArg(name, 'source', source);
  const alpha = num(name, 'alpha', checkOptions(name, options, { alpha: 'number' }).alpha ?? 1);
  const { d, idx } = indexFor(name, this, dim, index, src);
  return tidy(() => {
    const s = this.ndim === 0 ? src.reshape([1]) : src;
    const base = this.ndim === 0 ? this.reshape([1]) : this;
    const r = base.scatterAdd(d, spread(idx, d, s.shape), alpha === 1 ? s : s.mul(alpha));
    return this.ndim === 0 ? r.reshape([]) : r;
  });
};
proto.indexCopy = function (this: Tensor, dim: number, index: Tensor, source: Tensor) {
  const name = 'indexCopy';
  const src = tensorArg(name, 'source', source);
  const { d, idx } = indexFor(name, this, dim, index, src);
  return tidy(() => {
    const s = this.ndim === 0 ? src.reshape([1]) : src;
    const base = this.ndim === 0 ? this.reshape([1]) : this;
    const r = base.scatter(d, spread(idx, d, s.shape), s);
    return this.ndim === 0 ? r.reshape([]) : r;
  });
};
proto.indexFill = function (this: Tensor, dim: number, index: Tensor, value: number | boolean) {
  const name = 'indexFill';
  if (typeof value !== 'number' && typeof value !== 'boolean')
    fail('INVALID_ARGUMENT', `${name}: value must be a number, got ${describe(value)}`);
  const { d, idx } = indexFor(name, this, dim, index);
  return tidy(() => {
    const size = this.ndim === 0 ? 1 : this.shape[d];
    const hit = zeros([size], { dtype: 'bool', device: this.device }).scatter(0, idx.to('int64'), true);
    const mask = this.ndim === 0 ? hit.reshape([]) : hit.reshape(this.shape.map((s, i) => (i === d ? s : 1)));
    return where(mask, value, this).to(this.dtype);
  });
};
for (const name of ['indexAdd', 'indexCopy', 'indexFill'] as const) {
  const outOfPlace = proto[name] as (this: Tensor, ...a: unknown[]) => Tensor;
  (proto as unknown as Record<string, unknown>)[`${name}_`] = function (this: Tensor, ...args: unknown[]) {
    const r = outOfPlace.apply(this, args);
    this.copy_(r);
    r.dispose();
    return this;
  };
}

proto.takeAlongDim = function (this: Tensor, indices: Tensor, dim?: number | null) {
  const name = 'takeAlongDim';
  const idx = tensorArg(name, 'indices', indices);
  if (idx.dtype !== 'int64' && idx.dtype !== 'int32')
    fail('DTYPE_MISMATCH', `${name}: indices must hold integers (int64), got ${idx.dtype}`);
  if (dim === undefined || dim === null) return tidy(() => this.reshape([-1]).gather(0, idx.reshape([-1]).to('int64')));
  const d = dimOf(name, this, dim);
  if (idx.ndim !== this.ndim)
    fail('SHAPE_MISMATCH', `${name}: indices need as many dims as the input (${this.ndim}), got ${shapeText(idx)}`);
  return tidy(() => {
    const wide = broadcastShapes(
      this.shape.map((s, i) => (i === d ? 1 : s)),
      idx.shape.map((s, i) => (i === d ? 1 : s)),
    );
    const xs = wide.map((s, i) => (i === d ? this.shape[d] : s));
    const is = wide.map((s, i) => (i === d ? idx.shape[d] : s));
    return this.expand(xs).gather(d, idx.expand(is).to('int64'));
  });
};
