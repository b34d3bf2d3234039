// Tensor.apply_, map_ and map2_ (torch's): a JS function called on every element, in place, on
// the CPU. For quick element-wise code with no op to express it; not differentiable (as torch,
// refused on a tensor that requires grad) and slow (one JS call per element).
import { tensorArg } from '../args.js';
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import { noGrad } from '../autograd.js';
import { tidy } from '../memory.js';
import { describe, fn as fnArg } from '../options.js';
import { Tensor } from '../tensor.js';
import { tensor } from './creation.js';
import { broadcastShapes } from './shaping_more.js';

/** An element as the callbacks see it: a number, or a boolean for bool tensors. */
type Element = number | boolean;

declare module '../tensor.js' {
  interface Tensor<D extends DType = DType> {
    /**
     * Replaces every element x by fn(x), in place (torch's apply_; CPU only, not differentiable).
     * Integer results are truncated, as torch's. @example x.apply_((v) => (v as number) ** 2 % 7)
     */
    apply_(fn: (x: number | boolean) => number | boolean): this;
    /**
     * Replaces every element x by fn(x, y) with y the matching element of `other` broadcast to
     * this shape, in place (torch's map_). @example a.map_(b, (x, y) => Math.max(x as number, y as number))
     */
    map_(other: Tensor, fn: (x: number | boolean, y: number | boolean) => number | boolean): this;
    /** As map_, with two tensors broadcast to this shape (torch's map2_). */
    map2_(
      x: Tensor,
      y: Tensor,
      fn: (a: number | boolean, b: number | boolean, c: number | boolean) => number | boolean,
    ): this;
  }
}

// The elements of t (broadcast to shape) as JS values, row-major.
function elementsOf(t: Tensor, shape: readonly number[]): Element[] {
  return tidy(() => {
    const data = t.expand(shape).contiguous().data();
    return t.dtype === 'bool'
      ? Array.from(data as Uint8Array, (b) => b !== 0)
      : Array.from(data as ArrayLike<number | bigint>, Number);
  });
}

function mapInPlace(op: string, self: Tensor, others: Tensor[], fn: (...xs: Element[]) => Element): Tensor {
  if (!(self instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: expected a Tensor, got ${describe(self)}`);
  fnArg(op, 'fn', fn);
  const ts = others.map((t, i) => tensorArg(op, others.length === 1 ? 'other' : ['x', 'y'][i], t));
  for (const t of [self, ...ts])
    if (t.device !== 'cpu')
      fail('DEVICE_MISMATCH', `${op}: is only implemented on CPU tensors, got one on ${t.device}`);
  if (self.requiresGrad)
    fail('INVALID_ARGUMENT', `${op}: cannot be called on a tensor that requires grad (use x.detach().${op}(...))`);
  for (const t of ts) {
    let ok = false;
    try {
      ok = broadcastShapes(t.shape, self.shape).join() === self.shape.join();
    } catch {
      ok = false;
    }
    if (!ok)
      fail(
        'SHAPE_MISMATCH',
        `${op}: a tensor of shape [${t.shape.join(', ')}] does not broadcast to this tensor's [${self.shape.join(', ')}]`,
      );
  }
  const columns = [self, ...ts].map((t) => elementsOf(t, self.shape));
  const isBool = self.dtype === 'bool';
  const integer = self.dtype === 'int32' || self.dtype === 'int64';
  const out = columns[0].map((_, i) => {
    const v = fn(...columns.map((c) => c[i]));
    if (isBool ? typeof v !== 'boolean' && typeof v !== 'number' : typeof v !== 'number')
      fail(
        'INVALID_ARGUMENT',
        `${op}: fn must return a ${isBool ? 'boolean' : 'number'}, got ${describe(v)} for element ${i}`,
      );
    return isBool ? Boolean(v) : integer ? Math.trunc(v as number) : (v as number);
  });
  noGrad(() =>
    tidy(() => {
      const values =
        self.dtype === 'int64'
          ? tensor(
              (out as number[]).map((v) => BigInt(Number.isFinite(v) ? v : 0)),
              { dtype: 'int64' },
            )
          : tensor(out as number[] | boolean[], { dtype: self.dtype });
      self.copy_(values.reshape(self.shape));
    }),
  );
  return self;
}

const proto = Tensor.prototype as unknown as Record<string, unknown>;
proto.apply_ = function (this: Tensor, fn: (x: Element) => Element) {
  return mapInPlace('apply_', this, [], fn);
};
proto.map_ = function (this: Tensor, other: Tensor, fn: (x: Element, y: Element) => Element) {
  return mapInPlace('map_', this, [other], fn);
};
proto.map2_ = function (this: Tensor, x: Tensor, y: Tensor, fn: (a: Element, b: Element, c: Element) => Element) {
  return mapInPlace('map2_', this, [x, y], fn);
};
