// Folding an eval-mode batch norm into the convolution or linear layer before it
// (torch.nn.utils.fuse_conv_bn_eval / fuse_linear_bn_eval and their *_weights forms): with
// s = gamma / sqrt(runningVar + eps) per output channel, W' = W s and b' = (b - runningMean) s + beta,
// so conv(x; W', b') = bn(conv(x; W, b)) and inference runs one op instead of two.
import { tensorArg } from '../args.js';
import { noGrad } from '../autograd.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { describe } from '../options.js';
import { Tensor } from '../tensor.js';
import { Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d } from './conv_layers.js';
import { BatchNorm1d, BatchNorm2d, BatchNorm3d, Linear } from './layers.js';
import { Parameter } from './module.js';

/** The convolutions fuseConvBnEval folds a batch norm into. */
export type FusableConv = Conv1d | Conv2d | Conv3d | ConvTranspose1d | ConvTranspose2d | ConvTranspose3d;
/** The batch norms fuseConvBnEval folds. */
export type FusableBatchNorm = BatchNorm1d | BatchNorm2d | BatchNorm3d;
const CONVS = [Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d];
const TRANSPOSED = [ConvTranspose1d, ConvTranspose2d, ConvTranspose3d];

// The per-channel scale and the fused bias, in the convolution's dtype.
function scaleAndBias(
  op: string,
  bias: Tensor | null,
  mean: Tensor,
  variance: Tensor,
  eps: number,
  gamma: Tensor | null,
  beta: Tensor | null,
  dtype: Tensor['dtype'],
): [Tensor, Tensor] {
  if (!(eps >= 0)) fail('INVALID_ARGUMENT', `${op}: eps must be >= 0, got ${describe(eps)}`);
  const n = mean.numel();
  for (const [name, t] of [
    ['runningVar', variance],
    ['the batch norm weight', gamma],
    ['the batch norm bias', beta],
    ['the layer bias', bias],
  ] as const)
    if (t !== null && (t.ndim !== 1 || t.shape[0] !== n))
      fail('SHAPE_MISMATCH', `${op}: ${name} has shape [${t.shape.join(', ')}], expected [${n}] (one per channel)`);
  const s = variance
    .add(eps)
    .rsqrt()
    .mul(gamma ?? 1);
  const b = (bias ?? mean.mul(0))
    .sub(mean)
    .mul(s)
    .add(beta ?? 0);
  return [s.to(dtype), b.to(dtype)];
}

/**
 * The fused weight and bias of a convolution followed by an eval-mode batch norm
 * (torch.nn.utils.fuse_conv_bn_weights): `[W', b']`. `transpose` for a transposed convolution
 * (its output channels are the weight's dim 1, per group). Not recorded for autograd.
 * @example const [w, b] = nn.utils.fuseConvBnWeights(conv.weight, conv.bias, bn.runningMean!, bn.runningVar!, 1e-5, bn.weight, bn.bias)
 */
export function fuseConvBnWeights(
  convWeight: Tensor,
  convBias: Tensor | null,
  runningMean: Tensor,
  runningVar: Tensor,
  eps: number,
  bnWeight: Tensor | null,
  bnBias: Tensor | null,
  transpose = false,
  groups = 1,
): [Tensor, Tensor] {
  return fuseWeights(
    'fuseConvBnWeights',
    convWeight,
    convBias,
    runningMean,
    runningVar,
    eps,
    bnWeight,
    bnBias,
    transpose,
    groups,
  );
}

function fuseWeights(
  op: string,
  convWeight: Tensor,
  convBias: Tensor | null,
  runningMean: Tensor,
  runningVar: Tensor,
  eps: number,
  bnWeight: Tensor | null,
  bnBias: Tensor | null,
  transpose: boolean,
  groups: number,
): [Tensor, Tensor] {
  const w = tensorArg(op, 'weight', convWeight);
  const mean = tensorArg(op, 'runningMean', runningMean);
  const variance = tensorArg(op, 'runningVar', runningVar);
  const opt = (name: string, t: Tensor | null) => (t === null || t === undefined ? null : tensorArg(op, name, t));
  if (w.ndim < 2) fail('SHAPE_MISMATCH', `${op}: the weight must have at least 2 dims, got [${w.shape.join(', ')}]`);
  const n = mean.numel();
  const [cin, per] = w.shape;
  if (!transpose && w.shape[0] !== n)
    fail('SHAPE_MISMATCH', `${op}: the weight has ${w.shape[0]} output channels, the batch norm ${n}`);
  if (transpose && (!Number.isSafeInteger(groups) || groups < 1 || cin % groups !== 0 || per * groups !== n))
    fail(
      'SHAPE_MISMATCH',
      `${op}: a transposed weight [${w.shape.join(', ')}] with groups ${describe(groups)} does not give the batch norm's ${n} channels`,
    );
  return noGrad(() =>
    tidy(() => {
      const [s, b] = scaleAndBias(
        op,
        opt('bias', convBias),
        mean,
        variance,
        eps,
        opt('bnWeight', bnWeight),
        opt('bnBias', bnBias),
        w.dtype,
      );
      const spatial = new Array<number>(w.ndim - 2).fill(1);
      // a transposed weight is [in, out / groups, ...]: input channel i is in group floor(i / (in / groups))
      const scale = transpose
        ? s
            .reshape([groups, 1, per])
            .expand([groups, cin / groups, per])
            .reshape([cin, per, ...spatial])
        : s.reshape([-1, 1, ...spatial]);
      return [Parameter(w.mul(scale)), Parameter(b)];
    }),
  );
}

/**
 * The fused weight and bias of a linear layer followed by an eval-mode batch norm
 * (torch.nn.utils.fuse_linear_bn_weights): `[W', b']`.
 */
export function fuseLinearBnWeights(
  linearWeight: Tensor,
  linearBias: Tensor | null,
  runningMean: Tensor,
  runningVar: Tensor,
  eps: number,
  bnWeight: Tensor | null,
  bnBias: Tensor | null,
): [Tensor, Tensor] {
  const op = 'fuseLinearBnWeights';
  const w = tensorArg(op, 'weight', linearWeight);
  if (w.ndim !== 2) fail('SHAPE_MISMATCH', `${op}: the weight must be 2-D, got [${w.shape.join(', ')}]`);
  return fuseWeights(op, w, linearBias, runningMean, runningVar, eps, bnWeight, bnBias, false, 1);
}

function checkEval(op: string, first: unknown, firstKind: string, bn: unknown): FusableBatchNorm {
  if (!(bn instanceof BatchNorm1d || bn instanceof BatchNorm2d || bn instanceof BatchNorm3d))
    fail('INVALID_ARGUMENT', `${op}: expected a BatchNorm1d/2d/3d, got ${describe(bn)}`);
  if ((first as { training: boolean }).training || bn.training)
    fail(
      'INVALID_ARGUMENT',
      `${op}: fusion is for eval mode only; call eval() on the ${firstKind} and the batch norm first`,
    );
  if (bn.runningMean === null || bn.runningVar === null)
    fail('INVALID_ARGUMENT', `${op}: the batch norm keeps no running statistics (trackRunningStats false)`);
  return bn;
}

/**
 * A new convolution computing `bn(conv(x))` of eval-mode modules in one op
 * (torch.nn.utils.fuse_conv_bn_eval): the same configuration as conv, in eval mode, with the
 * folded weight and a bias. conv and bn are unchanged.
 * @example const fused = nn.utils.fuseConvBnEval(conv.eval(), bn.eval()); fused.call(x) // = bn(conv(x))
 */
export function fuseConvBnEval<C extends FusableConv>(conv: C, bn: FusableBatchNorm): C {
  const op = 'fuseConvBnEval';
  if (!CONVS.some((K) => conv instanceof K))
    fail('INVALID_ARGUMENT', `${op}: expected a Conv1d/2d/3d or ConvTranspose1d/2d/3d, got ${describe(conv)}`);
  const norm = checkEval(op, conv, 'convolution', bn);
  const transposed = TRANSPOSED.some((K) => conv instanceof K);
  const options = { ...conv.options, bias: true } as never;
  const Ctor = conv.constructor as new (i: number, o: number, k: unknown, opts: never) => C;
  const fused = new Ctor(conv.inChannels, conv.outChannels, conv.kernelSize, options);
  return fold(op, fused, conv, norm, transposed, conv.options.groups ?? 1);
}

/**
 * A new linear layer computing `bn(linear(x))` of eval-mode modules in one op
 * (torch.nn.utils.fuse_linear_bn_eval). linear and bn are unchanged.
 * @example const fused = nn.utils.fuseLinearBnEval(fc.eval(), bn.eval())
 */
export function fuseLinearBnEval(linear: Linear, bn: BatchNorm1d): Linear {
  const op = 'fuseLinearBnEval';
  if (!(linear instanceof Linear)) fail('INVALID_ARGUMENT', `${op}: expected a Linear, got ${describe(linear)}`);
  const norm = checkEval(op, linear, 'linear layer', bn);
  const fused = new Linear(linear.inFeatures, linear.outFeatures, { dtype: linear.weight.dtype });
  return fold(op, fused, linear, norm, false, 1);
}

// `fused` (a fresh layer of layer's configuration) given layer's weights folded with norm's
// statistics, in eval mode.
function fold<M extends Linear | FusableConv>(
  op: string,
  fused: M,
  layer: M,
  norm: FusableBatchNorm,
  transpose: boolean,
  groups: number,
): M {
  const [w, b] = fuseWeights(
    op,
    layer.weight,
    layer.bias,
    norm.runningMean!,
    norm.runningVar!,
    norm.options.eps ?? 1e-5,
    norm.weight,
    norm.bias,
    transpose,
    groups,
  );
  fused.weight.dispose();
  fused.bias?.dispose();
  fused.weight = w;
  fused.bias = b;
  fused.eval();
  return fused;
}
