// torch.nn.functional.unfold (im2col: every sliding block of an image as a column) and fold
// (col2im: columns summed back into an image, the adjoint of unfold), with nn.Unfold and nn.Fold.
// unfold is views (pad, Tensor.unfold, permute) and one copy; fold is one indexAdd over a
// precomputed index. Both are differentiable, to any order.
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { tensor, zeros } from '../ops/creation.js';
import { checkOptions, describe, int } from '../options.js';
import type { Tensor } from '../tensor.js';
import { tensorArg } from './args.js';
import { pad } from './functional_more.js';
import { Module } from './module.js';

/** Options of unfold and fold: each a number or [height, width]. */
export interface FoldOptions {
  dilation?: number | readonly [number, number];
  padding?: number | readonly [number, number];
  stride?: number | readonly [number, number];
}

interface Geometry {
  kh: number;
  kw: number;
  dh: number;
  dw: number;
  ph: number;
  pw: number;
  sh: number;
  sw: number;
}

function pair(op: string, name: string, v: unknown, min: number): [number, number] {
  const vs = typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? v : null;
  if (!vs) fail('INVALID_ARGUMENT', `${op}: '${name}' must be a number or [height, width], got ${describe(v)}`);
  const [a, b] = vs.map((x, i) => int(op, `${name}[${i}]`, x));
  if (a < min || b < min || a > 2 ** 20 || b > 2 ** 20)
    fail('INVALID_ARGUMENT', `${op}: '${name}' must be in [${min}, 2^20], got [${a}, ${b}]`);
  return [a, b];
}

function geometry(op: string, kernelSize: unknown, options: FoldOptions | undefined): Geometry {
  const o = checkOptions(op, options, { dilation: 'any', padding: 'any', stride: 'any' });
  const [kh, kw] = pair(op, 'kernelSize', kernelSize, 1);
  const [dh, dw] = pair(op, 'dilation', o.dilation ?? 1, 1);
  const [ph, pw] = pair(op, 'padding', o.padding ?? 0, 0);
  const [sh, sw] = pair(op, 'stride', o.stride ?? 1, 1);
  return { kh, kw, dh, dw, ph, pw, sh, sw };
}

// Blocks along one dim: floor((size + 2 pad - dil (k - 1) - 1) / stride) + 1.
const blocks = (size: number, k: number, d: number, p: number, s: number) =>
  Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;

/**
 * Every kernelSize block of an image as a column (torch.nn.functional.unfold, im2col): input
 * [N, C, H, W] (or [C, H, W]) -> [N, C * kh * kw, L] with L the number of block positions,
 * columns ordered (c, ki, kj) as PyTorch's. @example F.unfold(x, 3, { padding: 1 }) // [N, 9C, H*W]
 */
export function unfold<F extends DType>(
  input: Tensor<F>,
  kernelSize: number | [number, number],
  options?: FoldOptions,
): Tensor<F>;
export function unfold(input: Tensor, kernelSize: number | [number, number], options?: FoldOptions): Tensor {
  const op = 'unfold';
  const x = tensorArg(op, 'input', input);
  if (x.ndim !== 3 && x.ndim !== 4)
    fail('SHAPE_MISMATCH', `${op}: expected [N, C, H, W] or [C, H, W], got [${x.shape.join(', ')}]`);
  const g = geometry(op, kernelSize, options);
  const [H, W] = x.shape.slice(-2);
  const oh = blocks(H, g.kh, g.dh, g.ph, g.sh),
    ow = blocks(W, g.kw, g.dw, g.pw, g.sw);
  if (oh < 1 || ow < 1)
    fail(
      'SHAPE_MISMATCH',
      `${op}: no block of ${g.kh}x${g.kw} (dilation ${g.dh}x${g.dw}) fits an input of ${H}x${W} with padding ${g.ph}x${g.pw}`,
    );
  return tidy(() => {
    const x4 = x.ndim === 3 ? x.unsqueeze(0) : x;
    const p = g.ph || g.pw ? pad(x4, [g.pw, g.pw, g.ph, g.ph]) : x4;
    // [N, C, oh, ow, span_h, span_w] windows; every dilation-th element of each
    let w = p.unfold(2, g.dh * (g.kh - 1) + 1, g.sh).unfold(3, g.dw * (g.kw - 1) + 1, g.sw);
    if (g.dh > 1 || g.dw > 1) w = w.unfold(4, 1, g.dh).unfold(5, 1, g.dw).squeeze([6, 7]);
    const [N, C] = x4.shape;
    const cols = w.permute(0, 1, 4, 5, 2, 3).reshape(N, C * g.kh * g.kw, oh * ow);
    return x.ndim === 3 ? cols.squeeze(0) : cols;
  });
}

/**
 * Columns summed back into an image (torch.nn.functional.fold, col2im; the adjoint of unfold):
 * input [N, C * kh * kw, L] (or unbatched) -> [N, C, H, W] for outputSize [H, W], overlapping
 * blocks adding up. @example F.fold(F.unfold(x, 2, { stride: 2 }), [H, W], 2, { stride: 2 }) // x
 */
export function fold<F extends DType>(
  input: Tensor<F>,
  outputSize: number | [number, number],
  kernelSize: number | [number, number],
  options?: FoldOptions,
): Tensor<F>;
export function fold(
  input: Tensor,
  outputSize: number | [number, number],
  kernelSize: number | [number, number],
  options?: FoldOptions,
): Tensor {
  const op = 'fold';
  const x = tensorArg(op, 'input', input);
  if (x.ndim !== 2 && x.ndim !== 3)
    fail('SHAPE_MISMATCH', `${op}: expected [N, C * kh * kw, L] or [C * kh * kw, L], got [${x.shape.join(', ')}]`);
  const [H, W] = pair(op, 'outputSize', outputSize, 1);
  const g = geometry(op, kernelSize, options);
  const [rows, L] = x.shape.slice(-2);
  const k = g.kh * g.kw;
  if (rows % k !== 0)
    fail('SHAPE_MISMATCH', `${op}: expected the size of dim -2 (${rows}) to be divisible by kh * kw = ${k}`);
  const oh = blocks(H, g.kh, g.dh, g.ph, g.sh),
    ow = blocks(W, g.kw, g.dw, g.pw, g.sw);
  if (oh < 1 || ow < 1 || oh * ow !== L)
    fail(
      'SHAPE_MISMATCH',
      `${op}: ${L} blocks given, but a ${H}x${W} output with these settings has ${Math.max(oh, 0)}x${Math.max(ow, 0)}`,
    );
  const C = rows / k,
    Hp = H + 2 * g.ph,
    Wp = W + 2 * g.pw;
  if (C * Hp * Wp > 2 ** 31) fail('INVALID_ARGUMENT', `${op}: the padded output of ${C}x${Hp}x${Wp} is too large`);
  return tidy(() => {
    // Where column row (c, ki, kj) at block l lands in the padded [C, Hp, Wp] output, flattened.
    const idx = new BigInt64Array(rows * L);
    for (let c = 0, r = 0; c < C; c++)
      for (let ki = 0; ki < g.kh; ki++)
        for (let kj = 0; kj < g.kw; kj++, r++)
          for (let l = 0; l < L; l++) {
            const y = Math.floor(l / ow) * g.sh + ki * g.dh,
              xx = (l % ow) * g.sw + kj * g.dw;
            idx[r * L + l] = BigInt((c * Hp + y) * Wp + xx);
          }
    const x3 = x.ndim === 2 ? x.unsqueeze(0) : x;
    const N = x3.shape[0];
    const index = tensor(idx, { dtype: 'int64', device: x.device });
    const out = zeros([N, C * Hp * Wp], { dtype: x.dtype, device: x.device })
      .indexAdd(1, index, x3.reshape(N, rows * L))
      .reshape(N, C, Hp, Wp)
      .narrow(2, g.ph, H)
      .narrow(3, g.pw, W);
    return x.ndim === 2 ? out.squeeze(0) : out;
  });
}

/** nn.Unfold: F.unfold as a module. @example new nn.Unfold(3, { padding: 1 }) */
export class Unfold extends Module {
  readonly options: FoldOptions;
  constructor(
    readonly kernelSize: number | [number, number],
    options: FoldOptions = {},
  ) {
    super();
    geometry('Unfold', kernelSize, options);
    this.options = options;
  }
  forward(x: Tensor): Tensor {
    return unfold(x, this.kernelSize, this.options);
  }
}

/** nn.Fold: F.fold as a module. @example new nn.Fold([4, 5], 2) */
export class Fold extends Module {
  readonly options: FoldOptions;
  constructor(
    readonly outputSize: number | [number, number],
    readonly kernelSize: number | [number, number],
    options: FoldOptions = {},
  ) {
    super();
    pair('Fold', 'outputSize', outputSize, 1);
    geometry('Fold', kernelSize, options);
    this.options = options;
  }
  forward(x: Tensor): Tensor {
    return fold(x, this.outputSize, this.kernelSize, this.options);
  }
}
