// Op-table and gradient rows for the fused batch and layer normalization ops and their backward
// kernels, against the plain loops in src/plain (the statistics by their definition, the gradients
// by the chain rule).
import * as tk from '../../src/index.js';
import * as plain from '../../src/plain/index.js';
import type { DType } from '../../src/index.js';
import type { OpCase } from './cases.js';
import type { GradCase, GradSpec } from './grad-cases.js';

const F = tk.nn.functional;
const SHAPES = [
  [6, 3],
  [2, 3, 5],
  [2, 3, 4, 5],
  [2, 2, 3, 2, 3],
];
const C = (s: number[]) => s[1];
const positive: [number, number] = [0.5, 2];

export const normCases: OpCase[] = (['float32', 'float64'] as DType[]).flatMap((dtype) =>
  SHAPES.flatMap((s): OpCase[] => {
    const tol = dtype === 'float32' ? { atol: 1e-4, rtol: 1e-4 } : undefined;
    const ch = { shape: [C(s)], dtype };
    return [
      {
        ops: ['batch_norm'],
        name: `batchNorm training ${dtype} [${s}]`,
        inputs: [{ shape: s, dtype }, { ...ch, range: positive }, ch],
        native: (x, w, b) => F.batchNorm(x, null, null, w, b, { training: true }),
        plain: (x, w, b) => plain.batchNorm(x, w, b),
        tol,
      },
      {
        ops: ['batch_norm'],
        name: `batchNorm eval ${dtype} [${s}]`,
        inputs: [{ shape: s, dtype }, { ...ch, range: positive }, ch, ch, { ...ch, range: positive }],
        native: (x, w, b, m, v) => F.batchNorm(x, m, v, w, b, { training: false, eps: 1e-3 }),
        plain: (x, w, b, m, v) => plain.batchNormInference(x, w, b, m, v, 1e-3),
        tol,
      },
      ...[true, false].map((training): OpCase => ({
        ops: ['batch_norm_backward'],
        name: `nn.grad.batchNorm ${training ? 'training' : 'eval'} ${dtype} [${s}] (dx, dw, db)`,
        inputs: [{ shape: s, dtype }, { shape: s, dtype }, { ...ch, range: positive }, ch, { ...ch, range: positive }],
        native: (g, x, w, m, v) =>
          tk.tidy(() => {
            const r = tk.nn.grad.batchNorm(g, x, w, m, v, { training, eps: 1e-3 });
            return tk.cat([r.input.flatten(), r.weight, r.bias]);
          }),
        plain: (g, x, w, m, v) => {
          const r = plain.batchNormBackward(g, x, w, m, v, training, 1e-3);
          return plain.cat([plain.reshape(r[0], [-1]), r[1], r[2]], 0);
        },
        tol: dtype === 'float32' ? { atol: 1e-3, rtol: 1e-3 } : undefined,
      })),
    ];
  }),
);

// layerNorm: [shape, normalized dims], the rows crossing the row kernels' 16/32 blocks and the
// backward's 256-column blocks.
const LN_SHAPES: [number[], number][] = [
  [[6, 3], 1],
  [[2, 3, 5], 2],
  [[2, 3, 4, 5], 1],
  [[4, 40], 1],
  [[3, 300], 1],
];
const AFFINE = ['both', 'none', 'weight', 'bias'] as const;
const numel = (s: number[]) => s.reduce((p, q) => p * q, 1);

export const layerNormCases: OpCase[] = (['float32', 'float64'] as DType[]).flatMap((dtype) =>
  LN_SHAPES.flatMap(([s, k]): OpCase[] => {
    const ns = s.slice(s.length - k),
      N = numel(ns),
      stats = [...s.slice(0, s.length - k), ...ns.map(() => 1)];
    const tol = dtype === 'float32' ? { atol: 1e-4, rtol: 1e-4 } : undefined;
    return [
      ...AFFINE.map((a): OpCase => ({
        ops: ['layer_norm'],
        name: `layerNorm ${dtype} [${s}] over ${k} dims, ${a}`,
        inputs: [
          { shape: s, dtype },
          { shape: ns, dtype },
          { shape: ns, dtype },
        ],
        native: (x, w, b) =>
          F.layerNorm(x, ns, a === 'both' || a === 'weight' ? w : null, a === 'both' || a === 'bias' ? b : null, {
            eps: 1e-3,
          }),
        plain: (x, w, b) =>
          plain.layerNorm(
            x,
            N,
            a === 'both' || a === 'weight' ? w : null,
            a === 'both' || a === 'bias' ? b : null,
            1e-3,
          ),
        tol,
      })),
      ...[true, false].map((withWeight): OpCase => ({
        ops: ['layer_norm_backward'],
        name: `nn.grad.layerNorm ${dtype} [${s}] over ${k} dims${withWeight ? '' : ', no weight'} (dx, dw, db)`,
        inputs: [
          { shape: s, dtype },
          { shape: s, dtype },
          { shape: stats, dtype },
          { shape: stats, dtype, range: positive },
          { shape: ns, dtype },
        ],
        native: (g, x, m, r, w) =>
          tk.tidy(() => {
            const d = tk.nn.grad.layerNorm(g, x, ns, m, r, withWeight ? w : null);
            return tk.cat([d.input.flatten(), ...(d.weight ? [d.weight.flatten()] : []), d.bias.flatten()]);
          }),
        plain: (g, x, m, r, w) => {
          const [dx, dw, db] = plain.layerNormBackward(g, x, N, withWeight ? w : null, m, r);
          return plain.cat(
            [plain.reshape(dx, [-1]), ...(dw ? [plain.reshape(dw, [-1])] : []), plain.reshape(db, [-1])],
            0,
          );
        },
        tol: dtype === 'float32' ? { atol: 1e-3, rtol: 1e-3 } : undefined,
      })),
    ];
  }),
);

const f64 = (shape: number[], range?: [number, number], grad = true): GradSpec => ({
  shape,
  dtype: 'float64',
  range,
  grad,
});

export const layerNormGradRows: GradCase[] = LN_SHAPES.slice(0, 3).flatMap(([s, k]): GradCase[] => {
  const ns = s.slice(s.length - k);
  return AFFINE.map((a) => ({
    ops: ['layer_norm'],
    name: `layerNorm [${s}] over ${k} dims, ${a}`,
    inputs: [f64(s), f64(ns), f64(ns)],
    fn: (x: tk.Tensor, w: tk.Tensor, b: tk.Tensor) =>
      F.layerNorm(x, ns, a === 'both' || a === 'weight' ? w : null, a === 'both' || a === 'bias' ? b : null),
  }));
});

export const normGradRows: GradCase[] = SHAPES.flatMap((s): GradCase[] => [
  {
    ops: ['batch_norm'],
    name: `batchNorm training [${s}]`,
    inputs: [f64(s), f64([C(s)], positive), f64([C(s)])],
    fn: (x, w, b) => F.batchNorm(x, null, null, w, b, { training: true }),
  },
  {
    ops: ['batch_norm'],
    name: `batchNorm eval [${s}]`,
    inputs: [f64(s), f64([C(s)], positive), f64([C(s)]), f64([C(s)], undefined, false), f64([C(s)], positive, false)],
    fn: (x, w, b, m, v) => F.batchNorm(x, m, v, w, b, { training: false }),
  },
]);
