// nn.init: in-place initialisers (torch.nn.init), run outside the graph. Random ones draw from
// the global generator (manualSeed).
/**
 * In-place initialisers (torch.nn.init), run outside the graph; the random ones draw from the global generator
 * (`manualSeed`).
 *
 * @example
 * nn.init.kaimingUniform_(layer.weight, { nonlinearity: 'relu' });
 * @module init
 */
import { noGrad } from '../autograd.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { qr } from '../linalg/index.js';
import { erf } from '../plain/math.js';
import { eye, rand, randn, tensor } from '../ops/creation.js';
import { checkOptions, describe, int, num } from '../options.js';
import { Tensor } from '../tensor.js';

/** A nonlinearity name for `calculateGain`, as torch.nn.init. */
export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain). @example calculateGain('relu') // sqrt(2) */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  if (param !== undefined && param !== null) num('calculateGain', 'param', param);
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
  }
  fail('INVALID_ARGUMENT', `calculateGain: unsupported nonlinearity ${describe(nonlinearity)}`);
}

function target(op: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: expected a Tensor, got ${describe(t)}`);
  if (t.dtype !== 'float32' && t.dtype !== 'float64')
    fail('DTYPE_MISMATCH', `${op}: expected a floating tensor, got ${t.dtype}`);
  return t;
}

// [fanIn, fanOut] of a weight: dim 1 and dim 0 times the receptive field (the product of dims
// 2..). `op` names the caller in errors.
function fans(op: string, t: Tensor): [number, number] {
  target(op, t);
  if (t.ndim < 2)
    fail(
      'INVALID_ARGUMENT',
      `${op}: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, got [${t.shape.join(', ')}]`,
    );
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return [t.shape[1] * receptive, t.shape[0] * receptive];
}

/**
 * [fanIn, fanOut] of a weight of at least 2 dims: dim 1 and dim 0 times the receptive field (the
 * product of dims 2..), as torch.nn.init._calculate_fan_in_and_fan_out.
 * @example nn.init.calculateFanInAndFanOut(new nn.Conv2d(3, 8, 3).weight) // [27, 72]
 */
export function calculateFanInAndFanOut(tensor: Tensor): [number, number] {
  return fans('calculateFanInAndFanOut', tensor);
}

function fill(t: Tensor, make: () => Tensor): Tensor {
  noGrad(() => tidy(() => void t.copy_(make())));
  return t;
}

/** Fills with U(a, b). @example uniform_(w, -0.1, 0.1) */
export function uniform_(t: Tensor, a = 0, b = 1): Tensor {
  target('uniform_', t);
  num('uniform_', 'a', a);
  num('uniform_', 'b', b);
  if (a > b) fail('INVALID_ARGUMENT', `uniform_: expects a [a, b) range with a <= b, got a ${a} > b ${b}`);
  return fill(t, () =>
    rand(t.shape, { dtype: t.dtype })
      .mul(b - a)
      .add(a),
  );
}
/** Fills with N(mean, std^2). @example normal_(w, 0, 0.02) */
export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  target('normal_', t);
  num('normal_', 'mean', mean);
  if (num('normal_', 'std', std) < 0) fail('INVALID_ARGUMENT', `normal_: std must be >= 0, got ${std}`);
  return fill(t, () => randn(t.shape, { dtype: t.dtype }).mul(std).add(mean));
}
/** Fills with a value. */
export function constant_(t: Tensor, value: number): Tensor {
  target('constant_', t);
  if (typeof value !== 'number')
    fail('INVALID_ARGUMENT', `constant_: 'value' must be a number, got ${describe(value)}`);
  noGrad(() => t.fill_(value));
  return t;
}
/** Fills with 0. */
export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}
/** Fills with 1. */
export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

/** Glorot uniform: U(+-gain * sqrt(6 / (fanIn + fanOut))). @example xavierUniform_(w) */
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const [fi, fo] = fans('xavierUniform_', t);
  num('xavierUniform_', 'gain', gain);
  const a = gain * Math.sqrt(6 / (fi + fo));
  return uniform_(t, -a, a);
}
/** Glorot normal: N(0, gain^2 * 2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  const [fi, fo] = fans('xavierNormal_', t);
  num('xavierNormal_', 'gain', gain);
  return normal_(t, 0, gain * Math.sqrt(2 / (fi + fo)));
}

/** Options of `kaimingUniform_` and `kaimingNormal_`. */
export interface KaimingOptions {
  /** The negative slope of a following leaky ReLU. Default 0. */
  a?: number;
  /** 'fanIn' (default) keeps the forward variance, 'fanOut' the backward one. */
  mode?: 'fanIn' | 'fanOut';
  nonlinearity?: Nonlinearity;
}
function kaimingStd(op: string, t: Tensor, options: KaimingOptions): number {
  const o = checkOptions(op, options, { a: 'number', mode: 'string', nonlinearity: 'string' });
  const [fi, fo] = fans(op, t);
  const mode = o.mode ?? 'fanIn';
  if (mode !== 'fanIn' && mode !== 'fanOut')
    fail('INVALID_ARGUMENT', `${op}: mode must be 'fanIn' or 'fanOut', got ${describe(mode)}`);
  return calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(mode === 'fanIn' ? fi : fo);
}
/** He uniform: U(+-sqrt(3) * gain / sqrt(fan)). @example kaimingUniform_(w, { nonlinearity: 'relu' }) */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd('kaimingUniform_', t, options);
  return uniform_(t, -bound, bound);
}
/** He normal: N(0, (gain / sqrt(fan))^2). */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd('kaimingNormal_', t, options));
}

/**
 * Fills with N(mean, std^2) truncated to [a, b] (torch.nn.init.trunc_normal_): uniform draws
 * between the bounds' normal CDFs, mapped back through the inverse CDF.
 * @example truncNormal_(w, 0, 0.02, -0.04, 0.04)
 */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2): Tensor {
  const op = 'truncNormal_';
  target(op, t);
  num(op, 'mean', mean);
  num(op, 'std', std);
  for (const [k, v] of Object.entries({ a, b }))
    if (typeof v !== 'number' || Number.isNaN(v))
      fail('INVALID_ARGUMENT', `${op}: '${k}' must be a number (infinite allowed), got ${describe(v)}`);
  if (std < 0) fail('INVALID_ARGUMENT', `${op}: std must be >= 0, got ${std}`);
  if (!(a < b)) fail('INVALID_ARGUMENT', `${op}: expects a < b, got a ${a}, b ${b}`);
  // The standard normal CDF at the bounds, in [0, 1]; std 0 puts every value at the clamped mean.
  const cdf = (x: number) => (std === 0 ? (x <= mean ? 0 : 1) : 0.5 * (1 + erf((x - mean) / std / Math.SQRT2)));
  const [lo, hi] = [cdf(a), cdf(b)];
  return fill(t, () =>
    rand(t.shape, { dtype: 'float64' })
      .mul(2 * (hi - lo))
      .add(2 * lo - 1)
      .clamp(-1 + 1e-16, 1 - 1e-16)
      .erfinv()
      .mul(std * Math.SQRT2)
      .add(mean)
      .clamp(a, b)
      .to(t.dtype),
  );
}

/**
 * Fills a 2-D tensor with the identity (ones on the diagonal, as torch.nn.init.eye_): a Linear
 * layer then passes its inputs through. @example eye_(linear.weight)
 */
export function eye_(t: Tensor): Tensor {
  target('eye_', t);
  if (t.ndim !== 2) fail('SHAPE_MISMATCH', `eye_: only 2-D tensors are supported, got [${t.shape.join(', ')}]`);
  return fill(t, () => eye(t.shape[0], t.shape[1], { dtype: t.dtype }));
}

/**
 * Fills a 3-, 4- or 5-D convolution weight with the Dirac delta (torch.nn.init.dirac_): each of
 * the first min(out / groups, in) output channels of a group copies one input channel, so the
 * convolution keeps its input. @example dirac_(conv.weight)
 */
export function dirac_(t: Tensor, groups = 1): Tensor {
  const op = 'dirac_';
  target(op, t);
  if (t.ndim < 3 || t.ndim > 5)
    fail('SHAPE_MISMATCH', `${op}: only 3-, 4- and 5-D tensors are supported, got [${t.shape.join(', ')}]`);
  const g = int(op, 'groups', groups);
  if (g < 1 || t.shape[0] % g !== 0)
    fail('INVALID_ARGUMENT', `${op}: dim 0 (${t.shape[0]}) must be divisible by groups, got ${describe(groups)}`);
  const perGroup = t.shape[0] / g,
    n = Math.min(perGroup, t.shape[1]);
  const kernel = t.shape.slice(2),
    taps = kernel.reduce((x, y) => x * y, 1);
  const centre = kernel.reduce((acc, k) => acc * k + Math.floor(k / 2), 0);
  const values = new Array<number>(t.numel()).fill(0);
  for (let gi = 0; gi < g; gi++)
    for (let d = 0; d < n; d++) values[((gi * perGroup + d) * t.shape[1] + d) * taps + centre] = 1;
  return fill(t, () => tensor(values, { dtype: t.dtype, shape: t.shape }));
}

/**
 * Fills with a (semi-)orthogonal matrix (torch.nn.init.orthogonal_): the Q of a Gaussian matrix's
 * QR, with R's diagonal signs folded in so the draw is uniform; dims after the first are
 * flattened. @example orthogonal_(rnn.weightHh, Math.SQRT2)
 */
export function orthogonal_(t: Tensor, gain = 1): Tensor {
  const op = 'orthogonal_';
  target(op, t);
  num(op, 'gain', gain);
  if (t.ndim < 2)
    fail('SHAPE_MISMATCH', `${op}: only tensors with 2 or more dimensions are supported, got [${t.shape.join(', ')}]`);
  if (t.numel() === 0) return t;
  const rows = t.shape[0],
    cols = t.numel() / rows;
  return fill(t, () => {
    let flat = randn([rows, cols], { dtype: 'float64' });
    if (rows < cols) flat = flat.t();
    const { Q, R } = qr(flat);
    let q = Q.mul(R.diagonal().sign());
    if (rows < cols) q = q.t();
    return q.mul(gain).reshape(t.shape).to(t.dtype);
  });
}

/**
 * Fills a 2-D tensor with N(0, std^2) and then zeroes a `sparsity` fraction of each column
 * (torch.nn.init.sparse_, Martens 2010). @example sparse_(w, 0.9)
 */
export function sparse_(t: Tensor, sparsity: number, std = 0.01): Tensor {
  const op = 'sparse_';
  target(op, t);
  if (t.ndim !== 2) fail('SHAPE_MISMATCH', `${op}: only 2-D tensors are supported, got [${t.shape.join(', ')}]`);
  if (!(num(op, 'sparsity', sparsity) >= 0 && sparsity <= 1))
    fail('INVALID_ARGUMENT', `${op}: sparsity must be in [0, 1], got ${sparsity}`);
  if (num(op, 'std', std) < 0) fail('INVALID_ARGUMENT', `${op}: std must be >= 0, got ${std}`);
  const [rows, cols] = t.shape;
  const zeroed = Math.ceil(sparsity * rows);
  return fill(t, () => {
    const w = randn([rows, cols], { dtype: t.dtype }).mul(std);
    if (zeroed === 0 || cols === 0) return w;
    // a random `zeroed` rows of each column: the first of a per-column random permutation
    const rowsToZero = rand([rows, cols]).argsort(0).narrow(0, 0, zeroed);
    return w.scatter(0, rowsToZero, 0);
  });
}
