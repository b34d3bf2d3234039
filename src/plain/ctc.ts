// CTC in probability space with per-frame rescaling (Graves et al. 2006, section 4.1): each row
// of alpha (and of beta) is divided by its sum, and log p is the sum of the logs of those sums.
// An algorithm independent of the native kernel's log-space recursion, so the two check each
// other.
import { fail } from '../errors.js';
import { bool, checkOptions, describe, int } from '../options.js';
import { alloc, plainArg, PlainTensor } from './tensor.js';

/** The options of `plain.ctcLoss` and `plain.ctcLossBackward`. */
export interface PlainCtcOptions {
  blank?: number;
  zeroInfinity?: boolean;
}

interface Sample {
  Tn: number;
  L: number;
  label: (s: number) => number;
  skip: (s: number) => boolean; // state s may be entered from s - 2
  y: (t: number, c: number) => number; // the probability of class c at frame t
}

interface Problem {
  T: number;
  N: number;
  C: number;
  blank: number;
  zeroInfinity: boolean;
  samples: Sample[];
}

function lengthList(op: string, name: string, v: unknown, N: number, max: number): number[] {
  if (!Array.isArray(v) || v.length !== N || !v.every((x) => Number.isSafeInteger(x) && x >= 0 && x <= max))
    fail('INVALID_ARGUMENT', `${op}: ${name} must be ${N} integers in [0, ${max}], got ${describe(v)}`);
  return v as number[];
}

function problem(
  op: string,
  logProbs: PlainTensor,
  targets: PlainTensor,
  inputLengths: readonly number[],
  targetLengths: readonly number[],
  options: PlainCtcOptions | undefined,
): Problem {
  plainArg(op, 'logProbs', logProbs);
  plainArg(op, 'targets', targets);
  const o = checkOptions(op, options, { blank: 'integer', zeroInfinity: 'boolean' });
  if (logProbs.ndim !== 3)
    fail('SHAPE_MISMATCH', `${op}: logProbs must be [T, N, C], got [${logProbs.shape.join(', ')}]`);
  const [T, N, C] = logProbs.shape;
  if (targets.ndim !== 2 || targets.shape[0] !== N)
    fail('SHAPE_MISMATCH', `${op}: targets must be [${N}, S] (padded), got [${targets.shape.join(', ')}]`);
  const S = targets.shape[1];
  const blank = int(op, 'blank', o.blank ?? 0);
  if (blank < 0 || blank >= C) fail('INDEX_OUT_OF_RANGE', `${op}: blank ${blank} is out of range for ${C} classes`);
  const il = lengthList(op, 'inputLengths', inputLengths, N, T);
  const tl = lengthList(op, 'targetLengths', targetLengths, N, S);
  const samples = il.map((Tn, n): Sample => {
    const tgt = Array.from({ length: tl[n] }, (_, k) => Number(targets.data[n * S + k]));
    for (const v of tgt)
      if (!Number.isInteger(v) || v < 0 || v >= C || v === blank)
        fail('INDEX_OUT_OF_RANGE', `${op}: target ${v} must be a class in [0, ${C}) other than blank ${blank}`);
    const label = (s: number) => (s % 2 === 0 ? blank : tgt[(s - 1) / 2]);
    return {
      Tn,
      L: tl[n],
      label,
      skip: (s) => s % 2 === 1 && s > 1 && label(s) !== label(s - 2),
      y: (t, c) => Math.exp(Number(logProbs.data[(t * N + n) * C + c])),
    };
  });
  return { T, N, C, blank, zeroInfinity: bool(op, 'zeroInfinity', o.zeroInfinity ?? false), samples };
}

// Rows of rescaled alpha (each summing to 1) and log p; log p is -Infinity when no alignment fits.
function alphas(x: Sample): { rows: number[][]; logp: number } {
  const Sx = 2 * x.L + 1;
  if (x.Tn === 0) return { rows: [], logp: x.L === 0 ? 0 : -Infinity };
  let a = new Array<number>(Sx).fill(0);
  a[0] = x.y(0, x.label(0));
  if (x.L > 0) a[1] = x.y(0, x.label(1));
  const rows: number[][] = [];
  let logp = 0;
  for (let t = 0; ; t++) {
    if (t > 0) a = a.map((_, s) => (a[s] + (s > 0 ? a[s - 1] : 0) + (x.skip(s) ? a[s - 2] : 0)) * x.y(t, x.label(s)));
    const sum = a.reduce((p, q) => p + q, 0);
    if (!(sum > 0)) return { rows, logp: -Infinity };
    a = a.map((v) => v / sum);
    logp += Math.log(sum);
    rows.push(a);
    if (t === x.Tn - 1) break;
  }
  return { rows, logp: logp + Math.log(a[Sx - 1] + (x.L > 0 ? a[Sx - 2] : 0)) };
}

/**
 * Each sample's CTC negative log-likelihood [N] (the reference for the native ctc_loss): logProbs
 * [T, N, C], targets [N, S] padded, inputLengths and targetLengths N integers each.
 * @example plain.ctcLoss(lp, targets, [5, 4], [2, 1])
 */
export function ctcLoss(
  logProbs: PlainTensor,
  targets: PlainTensor,
  inputLengths: readonly number[],
  targetLengths: readonly number[],
  options?: PlainCtcOptions,
): PlainTensor {
  const p = problem('ctcLoss', logProbs, targets, inputLengths, targetLengths, options);
  const out = alloc(logProbs.dtype, p.N);
  p.samples.forEach((x, n) => {
    const nll = -alphas(x).logp;
    out[n] = p.zeroInfinity && nll === Infinity ? 0 : nll;
  });
  return new PlainTensor(out, [p.N], logProbs.dtype);
}

/**
 * d (sum_n g[n] nll[n]) / d logProbs [T, N, C], from rescaled alpha and beta: with Z_t = sum_s
 * alpha_t(s) beta_t(s) / y_t(l'_s), the gradient is -(1 / y_t(c)) sum_{s labelled c} alpha_t(s)
 * beta_t(s) / Z_t. NaN for a sample no alignment fits (0 with zeroInfinity).
 * @example plain.ctcLossBackward(plain.plainTensor([1, 1]), lp, targets, [5, 4], [2, 1])
 */
export function ctcLossBackward(
  g: PlainTensor,
  logProbs: PlainTensor,
  targets: PlainTensor,
  inputLengths: readonly number[],
  targetLengths: readonly number[],
  options?: PlainCtcOptions,
): PlainTensor {
  const op = 'ctcLossBackward';
  const p = problem(op, logProbs, targets, inputLengths, targetLengths, options);
  plainArg(op, 'g', g);
  if (g.numel() !== p.N) fail('SHAPE_MISMATCH', `${op}: g must have ${p.N} elements, got [${g.shape.join(', ')}]`);
  const out = alloc(logProbs.dtype, p.T * p.N * p.C);
  p.samples.forEach((x, n) => {
    const { rows, logp } = alphas(x);
    const at = (t: number, c: number) => (t * p.N + n) * p.C + c;
    if (x.Tn === 0) return;
    if (logp === -Infinity) {
      for (let t = 0; t < x.Tn; t++) for (let c = 0; c < p.C; c++) out[at(t, c)] = p.zeroInfinity ? 0 : NaN;
      return;
    }
    const Sx = 2 * x.L + 1;
    const scale = Number(g.data[n]);
    let b = Array.from({ length: Sx }, (_, s) => (s >= Sx - 2 ? x.y(x.Tn - 1, x.label(s)) : 0));
    for (let t = x.Tn - 1; t >= 0; t--) {
      if (t < x.Tn - 1) {
        const next = b;
        b = next.map(
          (_, s) =>
            (next[s] + (s + 1 < Sx ? next[s + 1] : 0) + (s + 2 < Sx && x.skip(s + 2) ? next[s + 2] : 0)) *
            x.y(t, x.label(s)),
        );
      }
      const sum = b.reduce((q, v) => q + v, 0);
      b = b.map((v) => v / sum);
      const a = rows[t];
      const byClass = new Array<number>(p.C).fill(0);
      let Z = 0;
      for (let s = 0; s < Sx; s++) {
        if (a[s] * b[s] === 0) continue; // also where y is 0 (no 0 / 0)
        byClass[x.label(s)] += a[s] * b[s];
        Z += (a[s] * b[s]) / x.y(t, x.label(s));
      }
      for (let c = 0; c < p.C; c++) out[at(t, c)] = byClass[c] === 0 ? 0 : (-scale * byClass[c]) / (x.y(t, c) * Z);
    }
  });
  return new PlainTensor(out, logProbs.shape, logProbs.dtype);
}
