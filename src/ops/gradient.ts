// torch.gradient (numpy.gradient): the derivative of sampled values along each dim by central
// differences inside, one-sided first- or second-order differences at the two ends, for uniform
// spacing or the given coordinates. Composed of narrow and arithmetic, so it is differentiable.
import { tensorArg } from '../args.js';
import { isFloating } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { checkOptions, describe, num } from '../options.js';
import { dimOf } from './shaping.js';
import { Tensor } from '../tensor.js';
import { cat } from './functional.js';

/** Options of gradient. */
export interface GradientOptions {
  /**
   * The sample spacing: one number for every dim, a number per dim, or per dim a 1-D tensor of the
   * sample coordinates (default 1).
   */
  spacing?: number | readonly number[] | readonly Tensor[];
  /** The dim or dims to differentiate along (default all). */
  dim?: number | readonly number[];
  /** 1 or 2: the order of the one-sided differences at the ends (default 1). */
  edgeOrder?: 1 | 2;
}

// Values a[i] along dim, as a tensor of `like`'s rank (a 1-D coordinate slice placed at `d`).
const along = (v: Tensor, d: number, ndim: number) =>
  v.reshape(Array.from({ length: ndim }, (_, i) => (i === d ? -1 : 1)));

function alongDim(f: Tensor, d: number, h: number | Tensor, edgeOrder: 1 | 2): Tensor {
  const n = f.shape[d];
  const at = (start: number, len: number) => f.narrow(d, start, len);
  if (typeof h === 'number') {
    const inner = at(2, n - 2)
      .sub(at(0, n - 2))
      .div(2 * h);
    let first: Tensor, last: Tensor;
    if (edgeOrder === 1) {
      first = at(1, 1).sub(at(0, 1)).div(h);
      last = at(n - 1, 1)
        .sub(at(n - 2, 1))
        .div(h);
    } else {
      first = at(0, 1)
        .mul(-3)
        .add(at(1, 1).mul(4))
        .sub(at(2, 1))
        .div(2 * h);
      last = at(n - 1, 1)
        .mul(3)
        .sub(at(n - 2, 1).mul(4))
        .add(at(n - 3, 1))
        .div(2 * h);
    }
    return cat([first, inner, last], d);
  }
  // coordinates x: the weights of the three-point formulas (numpy's)
  const x = along(h.to(f.dtype), d, f.ndim);
  const dx = x.narrow(d, 1, n - 1).sub(x.narrow(d, 0, n - 1)); // dx[i] = x[i+1] - x[i]
  const hl = dx.narrow(d, 0, n - 2),
    hr = dx.narrow(d, 1, n - 2);
  const inner = at(2, n - 2)
    .mul(hl.square())
    .sub(at(0, n - 2).mul(hr.square()))
    .add(at(1, n - 2).mul(hr.square().sub(hl.square())))
    .div(hl.mul(hr).mul(hl.add(hr)));
  let first: Tensor, last: Tensor;
  if (edgeOrder === 1) {
    first = at(1, 1)
      .sub(at(0, 1))
      .div(dx.narrow(d, 0, 1));
    last = at(n - 1, 1)
      .sub(at(n - 2, 1))
      .div(dx.narrow(d, n - 2, 1));
  } else {
    const d1 = dx.narrow(d, 0, 1),
      d2 = dx.narrow(d, 1, 1);
    const s = d1.add(d2);
    first = at(0, 1)
      .mul(d1.mul(2).add(d2).neg().div(d1.mul(s)))
      .add(at(1, 1).mul(s.div(d1.mul(d2))))
      .add(at(2, 1).mul(d1.neg().div(d2.mul(s))));
    const e1 = dx.narrow(d, n - 3, 1),
      e2 = dx.narrow(d, n - 2, 1);
    const t = e1.add(e2);
    last = at(n - 3, 1)
      .mul(e2.div(e1.mul(t)))
      .add(at(n - 2, 1).mul(t.neg().div(e1.mul(e2))))
      .add(at(n - 1, 1).mul(e2.mul(2).add(e1).div(e2.mul(t))));
  }
  return cat([first, inner, last], d);
}

/**
 * The derivative of the samples in input along each dim (torch.gradient): one tensor per dim,
 * central differences inside and one-sided ones of order edgeOrder at the ends; spacing gives
 * the sample distance or coordinates. @example const [dy] = gradient(y, { spacing: [x] })
 */
export function gradient(input: Tensor, options?: GradientOptions): Tensor[] {
  const name = 'gradient';
  const f = tensorArg(name, 'input', input);
  const o = checkOptions(name, options, { spacing: 'any', dim: 'any', edgeOrder: 'integer' });
  const edgeOrder = o.edgeOrder ?? 1;
  if (edgeOrder !== 1 && edgeOrder !== 2)
    fail('INVALID_ARGUMENT', `${name}: edgeOrder must be 1 or 2, got ${edgeOrder}`);
  if (f.ndim === 0) fail('SHAPE_MISMATCH', `${name}: input must have at least 1 dim, got []`);
  const raw = o.dim === undefined ? [...f.shape.keys()] : typeof o.dim === 'number' ? [o.dim] : o.dim;
  if (!Array.isArray(raw)) fail('INVALID_ARGUMENT', `${name}: dim must be a number or a list, got ${describe(o.dim)}`);
  const dims = raw.map((v: unknown) => dimOf(name, f, v));
  if (new Set(dims).size !== dims.length) fail('INVALID_ARGUMENT', `${name}: dim lists a dim twice`);
  const sp = o.spacing ?? 1;
  const spacing: (number | Tensor)[] =
    typeof sp === 'number' ? dims.map(() => num(name, 'spacing', sp)) : Array.isArray(sp) ? [...sp] : [];
  if (typeof sp !== 'number' && !Array.isArray(sp))
    fail('INVALID_ARGUMENT', `${name}: spacing must be a number or a list, got ${describe(sp)}`);
  if (spacing.length !== dims.length)
    fail('INVALID_ARGUMENT', `${name}: expected ${dims.length} spacing values (one per dim), got ${spacing.length}`);
  dims.forEach((d, i) => {
    const h = spacing[i];
    if (f.shape[d] < edgeOrder + 1)
      fail(
        'SHAPE_MISMATCH',
        `${name}: each differentiated dim needs at least edgeOrder + 1 = ${edgeOrder + 1} samples, dim ${d} has ${f.shape[d]}`,
      );
    if (h instanceof Tensor) {
      if (h.ndim !== 1 || h.shape[0] !== f.shape[d])
        fail(
          'SHAPE_MISMATCH',
          `${name}: the coordinates of dim ${d} must be 1-D of size ${f.shape[d]}, got [${h.shape.join(', ')}]`,
        );
    } else num(name, 'spacing', h);
  });
  return dims.map((d, i) =>
    tidy(() => alongDim(isFloating(f.dtype) ? f : f.to('float32'), d, spacing[i], edgeOrder as 1 | 2)),
  );
}
