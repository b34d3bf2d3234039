// Connectionist temporal classification (torch.nn.functional.ctc_loss, nn.CTCLoss): the native
// ctc_loss op (native/src/ops/ctc.cpp) computes each sample's negative log-likelihood by the
// alpha recursion and its gradient by the beta one; the reductions and the unbatched form are
// composed here. Values and gradients are checked against PyTorch's in test/nn-ctc.test.ts.
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import { noGrad } from '../autograd.js';
import { tidy } from '../memory.js';
import { tensor } from '../ops/creation.js';
import { opMultiN, opN, type Attr } from '../ops/dispatch.js';
import { checkOptions, describe, int } from '../options.js';
import { Tensor } from '../tensor.js';
import { tensorArg } from './args.js';
import { reductionOf, type Reduction } from './losses.js';
import { Module } from './module.js';

/** Per-sample lengths: an integer tensor [N], a list of N integers, or one integer (unbatched). */
export type CtcLengths = Tensor | readonly number[] | number;

/** The options of `F.ctcLoss` and `nn.CTCLoss`. */
export interface CtcLossOptions {
  /** The blank class (default 0). */
  blank?: number;
  /** 'mean' (default: each loss divided by its target length, then the batch mean), 'sum' or 'none'. */
  reduction?: Reduction;
  /** Zero an infinite loss (an input too short for its target) and its gradient (default false). */
  zeroInfinity?: boolean;
}

const CTC_OPTIONS = { blank: 'integer', reduction: 'string', zeroInfinity: 'boolean' } as const;

interface Prepared {
  lp: Tensor;
  targets: Tensor;
  il: Tensor;
  tl: Tensor;
  attrs: Attr[];
  unbatched: boolean;
  reduction: Reduction;
}

function lengthsTensor(op: string, name: string, v: unknown): Tensor {
  if (v instanceof Tensor) return v.ndim === 0 ? v.reshape([1]) : v;
  const xs = typeof v === 'number' ? [v] : v;
  if (!Array.isArray(xs) || !xs.every((x) => Number.isSafeInteger(x)))
    fail(
      'INVALID_ARGUMENT',
      `${op}: ${name} must be an integer tensor, a list of integers or an integer, got ${describe(v)}`,
    );
  return tensor(xs as number[], { dtype: 'int64' });
}

// The arguments in the native op's batched form ([T, N, C], targets [N, S] or concatenated).
function prepare(
  op: string,
  logProbs: Tensor,
  targets: Tensor,
  inputLengths: unknown,
  targetLengths: unknown,
  options: CtcLossOptions | undefined,
): Prepared {
  tensorArg(op, 'logProbs', logProbs);
  tensorArg(op, 'targets', targets);
  const o = checkOptions(op, options, CTC_OPTIONS);
  const reduction = reductionOf(op, o.reduction);
  const blank = int(op, 'blank', o.blank ?? 0);
  if (logProbs.ndim !== 2 && logProbs.ndim !== 3)
    fail('SHAPE_MISMATCH', `${op}: logProbs must be [T, N, C] or unbatched [T, C], got [${logProbs.shape.join(', ')}]`);
  if (logProbs.device !== 'cpu')
    fail(
      'NOT_IMPLEMENTED',
      `${op}: the kernel runs on the cpu, got logProbs on ${logProbs.device}: move it with .to('cpu')`,
    );
  const unbatched = logProbs.ndim === 2;
  if (unbatched && targets.ndim !== 1)
    fail('SHAPE_MISMATCH', `${op}: unbatched logProbs [T, C] take 1-D targets, got [${targets.shape.join(', ')}]`);
  return {
    lp: unbatched ? logProbs.unsqueeze(1) : logProbs,
    targets: unbatched ? targets.unsqueeze(0) : targets,
    il: lengthsTensor(op, 'inputLengths', inputLengths),
    tl: lengthsTensor(op, 'targetLengths', targetLengths),
    attrs: [blank, o.zeroInfinity ?? false],
    unbatched,
    reduction,
  };
}

/**
 * The connectionist temporal classification loss (torch.nn.functional.ctc_loss): the negative
 * log-likelihood of each target under all alignments of it to the input's frames, with `blank`
 * separating repeated labels. logProbs [T, N, C] holds log-probabilities (logSoftmax over C) for
 * T frames of N samples ([T, C] unbatched); targets are [N, S] padded or 1-D (the targets
 * concatenated), integers in [0, C) other than blank; inputLengths and targetLengths give each
 * sample's frames (<= T) and target length. Runs on the CPU, float32 or float64 (16-bit in
 * float32).
 *
 * The gradient is d loss / d logProbs itself; PyTorch's kernel adds exp(logProbs), which the
 * logSoftmax it is meant to follow cancels, so the gradient of the logits before that logSoftmax
 * is the same in both.
 * @example
 * const lp = logits.logSoftmax(2); // [T, N, C]
 * const loss = F.ctcLoss(lp, targets, inputLengths, targetLengths, { zeroInfinity: true });
 */
export function ctcLoss<F extends DType>(
  logProbs: Tensor<F>,
  targets: Tensor,
  inputLengths: CtcLengths,
  targetLengths: CtcLengths,
  options?: CtcLossOptions,
): Tensor<F>;
export function ctcLoss(
  logProbs: Tensor,
  targets: Tensor,
  inputLengths: CtcLengths,
  targetLengths: CtcLengths,
  options?: CtcLossOptions,
): Tensor {
  return tidy(() => {
    const p = prepare('ctcLoss', logProbs, targets, inputLengths, targetLengths, options);
    const [nll] = opMultiN('ctc_loss', p.attrs, [p.lp._h, p.targets._h, p.il._h, p.tl._h]);
    if (p.reduction === 'sum') return nll.sum();
    if (p.reduction === 'none') return p.unbatched ? nll.reshape([]) : nll;
    const lengths = p.tl.to(nll.dtype).clamp(1);
    return nll.div(lengths).mean();
  });
}

/**
 * The gradient of `F.ctcLoss` (reduction 'none') with respect to logProbs, from one native call:
 * gradOutput [N] weights each sample's loss ([] unbatched). The forward runs again to get the
 * alpha recursion the backward kernel reads.
 * @example const g = nn.grad.ctcLoss(ones([N]), lp, targets, inputLengths, targetLengths)
 */
export function ctcLossGrad(
  gradOutput: Tensor,
  logProbs: Tensor,
  targets: Tensor,
  inputLengths: CtcLengths,
  targetLengths: CtcLengths,
  options: { blank?: number; zeroInfinity?: boolean } = {},
): Tensor {
  const op = 'nn.grad.ctcLoss';
  tensorArg(op, 'gradOutput', gradOutput);
  checkOptions(op, options, { blank: 'integer', zeroInfinity: 'boolean' });
  return tidy(() => {
    const p = prepare(op, logProbs, targets, inputLengths, targetLengths, options);
    const ins = [p.lp._h, p.targets._h, p.il._h, p.tl._h];
    const alpha = noGrad(() => opMultiN('ctc_loss', p.attrs, ins)[1]);
    const g = p.unbatched ? gradOutput.reshape([1]) : gradOutput;
    const gx = opN('ctc_loss_backward', p.attrs, [g._h, ...ins, alpha._h]);
    return p.unbatched ? gx.squeeze(1) : gx;
  });
}

/**
 * nn.CTCLoss: `F.ctcLoss` as a module.
 * @example
 * const ctc = new nn.CTCLoss({ blank: 0, zeroInfinity: true });
 * const loss = ctc.call(logProbs, targets, inputLengths, targetLengths);
 */
export class CTCLoss extends Module {
  readonly options: CtcLossOptions;
  constructor(options: CtcLossOptions = {}) {
    super();
    const o = checkOptions('CTCLoss', options, CTC_OPTIONS);
    reductionOf('CTCLoss', o.reduction);
    int('CTCLoss', 'blank', o.blank ?? 0);
    this.options = o;
  }
  forward(logProbs: Tensor, targets: Tensor, inputLengths: CtcLengths, targetLengths: CtcLengths): Tensor {
    return ctcLoss(logProbs, targets, inputLengths, targetLengths, this.options);
  }
}
