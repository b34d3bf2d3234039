// Op-table and gradient rows for the fused cross-entropy / NLL op and for CTC, and their backward
// kernels, against the plain loops in src/plain (cross-entropy by its definition and the chain rule
// through logp; CTC by a rescaled probability-space recursion).
import * as tk from '../../src/index.js';
import * as plain from '../../src/plain/index.js';
import type { OpCase } from './cases.js';
import type { GradCase, GradSpec } from './grad-cases.js';

const F = tk.nn.functional;
// Class indices 0..C-1 (the harness's integer ranges are inclusive).
const T = (shape: number[], C: number) => ({ shape, dtype: 'int64' as const, range: [0, C - 1] as [number, number] });
type Opts = { weight?: boolean; ignoreIndex?: number; labelSmoothing?: number; reduction?: 'none' | 'mean' | 'sum' };

interface Variant {
  name: string;
  x: number[];
  o: Opts;
}
const VARIANTS: Variant[] = [
  { name: '[6, 5] mean', x: [6, 5], o: {} },
  { name: '[6, 5] class weights, ignoreIndex 2', x: [6, 5], o: { weight: true, ignoreIndex: 2 } },
  {
    name: '[6, 5] labelSmoothing 0.2 + weights, sum',
    x: [6, 5],
    o: { weight: true, labelSmoothing: 0.2, reduction: 'sum' },
  },
  { name: '[2, 4, 3, 3] spatial, none', x: [2, 4, 3, 3], o: { reduction: 'none' } },
  { name: '[2, 4, 3] spatial, smoothing, ignoreIndex 0', x: [2, 4, 3], o: { labelSmoothing: 0.1, ignoreIndex: 0 } },
  { name: '[5] unbatched', x: [5], o: {} },
];
const targetShape = (x: number[]) => (x.length === 1 ? [] : [x[0], ...x.slice(2)]);
const classes = (x: number[]) => (x.length === 1 ? x[0] : x[1]);
const lossShape = (v: Variant) => (v.o.reduction === 'none' ? targetShape(v.x) : []);

function tkOpts(o: Opts, w?: tk.Tensor) {
  return { ignoreIndex: o.ignoreIndex, labelSmoothing: o.labelSmoothing, reduction: o.reduction, weight: w };
}
function plainOpts(o: Opts, w: plain.PlainTensor | undefined, fromLogits: boolean) {
  return {
    ignoreIndex: o.ignoreIndex,
    labelSmoothing: o.labelSmoothing,
    reduction: o.reduction,
    weight: w,
    fromLogits,
  };
}
// Weights are the last input when the variant has them.
const wSpec = (v: Variant) => (v.o.weight ? [{ shape: [classes(v.x)], range: [0.5, 2] as [number, number] }] : []);

export const lossCases: OpCase[] = VARIANTS.flatMap((v): OpCase[] => [
  {
    ops: ['cross_entropy'],
    name: `crossEntropy ${v.name}`,
    inputs: [{ shape: v.x, range: [-3, 3] }, T(targetShape(v.x), classes(v.x)), ...wSpec(v)],
    native: (x, t, w) => F.crossEntropy(x, t, tkOpts(v.o, w)),
    plain: (x, t, w) => plain.crossEntropy(x, t, plainOpts(v.o, w, true)),
    tol: { atol: 1e-5, rtol: 1e-4 },
  },
  {
    ops: ['cross_entropy'],
    name: `nllLoss ${v.name}`,
    inputs: [{ shape: v.x, range: [-3, 0] }, T(targetShape(v.x), classes(v.x)), ...wSpec(v)],
    // nllLoss has no label smoothing: the kernel's option is crossEntropy's
    native: (x, t, w) =>
      F.nllLoss(x, t, { ...tkOpts(v.o, w), labelSmoothing: undefined } as tk.nn.functional.NllOptions),
    plain: (x, t, w) => plain.crossEntropy(x, t, { ...plainOpts(v.o, w, false), labelSmoothing: 0 }),
    tol: { atol: 1e-5, rtol: 1e-4 },
  },
  {
    ops: ['cross_entropy_backward'],
    name: `nn.grad.crossEntropy ${v.name}`,
    inputs: [
      { shape: lossShape(v), range: [-2, 2] },
      { shape: v.x, range: [-3, 3] },
      T(targetShape(v.x), classes(v.x)),
      ...wSpec(v),
    ],
    native: (g, x, t, w) => tk.nn.grad.crossEntropy(g, x, t, tkOpts(v.o, w)),
    plain: (g, x, t, w) => plain.crossEntropyBackward(g, x, t, plainOpts(v.o, w, true)),
    tol: { atol: 1e-5, rtol: 1e-4 },
  },
]);

const f64 = (shape: number[], range?: [number, number]): GradSpec => ({ shape, dtype: 'float64', range });
const idx = (shape: number[], C: number): GradSpec => ({ ...T(shape, C), grad: false });
const w64 = (C: number): GradSpec => ({ shape: [C], dtype: 'float64', range: [0.5, 2], grad: false });

export const lossGradRows: GradCase[] = VARIANTS.flatMap((v): GradCase[] => [
  {
    ops: ['cross_entropy'],
    name: `crossEntropy ${v.name}`,
    inputs: [f64(v.x, [-2, 2]), idx(targetShape(v.x), classes(v.x)), ...(v.o.weight ? [w64(classes(v.x))] : [])],
    fn: (x, t, w) => F.crossEntropy(x, t, tkOpts(v.o, w)),
  },
  {
    ops: ['cross_entropy'],
    name: `nllLoss ${v.name}`,
    inputs: [f64(v.x, [-3, 0]), idx(targetShape(v.x), classes(v.x)), ...(v.o.weight ? [w64(classes(v.x))] : [])],
    fn: (x, t, w) => F.nllLoss(x, t, { ignoreIndex: v.o.ignoreIndex, reduction: v.o.reduction, weight: w }),
  },
]);

// ---- CTC: the native log-space recursion against plain's rescaled probability-space one ------
const CTC_T = 8,
  CTC_N = 3,
  CTC_C = 5;
const CTC_IL = [8, 6, 5],
  CTC_TL = [3, 2, 3];
const lpSpec = (dtype: 'float32' | 'float64' = 'float32') => ({
  shape: [CTC_T, CTC_N, CTC_C],
  dtype,
  range: [-3, 0] as [number, number],
});
// Labels avoid the blank: 1..C-1 for blank 0, 0..C-2 for blank C-1.
const labels = (shape: number[], blank: number) => ({
  shape,
  dtype: 'int64' as const,
  range: (blank === 0 ? [1, CTC_C - 1] : [0, CTC_C - 2]) as [number, number],
});
// plain takes padded targets: the concatenated ones laid out as [N, max length].
function padTargets(t: plain.PlainTensor): plain.PlainTensor {
  if (t.ndim === 2) return t;
  const S = Math.max(...CTC_TL);
  const out = new Float64Array(CTC_N * S);
  let at = 0;
  CTC_TL.forEach((L, n) => {
    for (let k = 0; k < L; k++) out[n * S + k] = t.data[at++];
  });
  return new plain.PlainTensor(out, [CTC_N, S], 'int64');
}
const CTC_VARIANTS: { name: string; blank: number; targets: number[] }[] = [
  { name: 'padded, blank 0', blank: 0, targets: [CTC_N, 3] },
  { name: 'concatenated, blank 4', blank: CTC_C - 1, targets: [CTC_TL.reduce((a, b) => a + b)] },
];

export const ctcCases: OpCase[] = CTC_VARIANTS.flatMap(({ name, blank, targets }): OpCase[] => [
  ...(['float32', 'float64'] as const).map((dtype): OpCase => ({
    ops: ['ctc_loss'],
    name: `ctcLoss ${name} ${dtype}`,
    inputs: [lpSpec(dtype), labels(targets, blank)],
    native: (lp, t) => F.ctcLoss(lp, t, CTC_IL, CTC_TL, { blank, reduction: 'none' }),
    plain: (lp, t) => plain.ctcLoss(lp, padTargets(t), CTC_IL, CTC_TL, { blank }),
    tol: dtype === 'float32' ? { atol: 1e-4, rtol: 1e-5 } : undefined,
  })),
  {
    ops: ['ctc_loss_backward'],
    name: `nn.grad.ctcLoss ${name}`,
    inputs: [{ shape: [CTC_N], range: [-2, 2] }, lpSpec(), labels(targets, blank)],
    native: (g, lp, t) => tk.nn.grad.ctcLoss(g, lp, t, CTC_IL, CTC_TL, { blank }),
    plain: (g, lp, t) => plain.ctcLossBackward(g, lp, padTargets(t), CTC_IL, CTC_TL, { blank }),
    tol: { atol: 1e-5, rtol: 1e-4 },
  },
]);

export const ctcGradRows: GradCase[] = CTC_VARIANTS.flatMap(({ name, blank, targets }): GradCase[] =>
  (['none', 'mean'] as const).map((reduction) => ({
    ops: ['ctc_loss'],
    name: `ctcLoss ${name} ${reduction}`,
    inputs: [f64([CTC_T, CTC_N, CTC_C], [-3, 0]), { ...labels(targets, blank), grad: false }],
    fn: (lp, t) => F.ctcLoss(lp, t, CTC_IL, CTC_TL, { blank, reduction }),
  })),
);
