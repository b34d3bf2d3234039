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
import { rand, randn } from '../ops/creation.js';
import { checkOptions, describe, num } from '../options.js';
import { Tensor } from '../tensor.js';

/** A nonlinearity name for `calculateGain`, as torch.nn.init. */
export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain). @example calculateGain('relu') // sqrt(2) */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  if (param !== undefined && param !== null) num('calculateGain', 'param', param);
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
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
