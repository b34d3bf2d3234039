// Op-table and gradient rows for the fused batch normalization op and its backward kernel, against
// the plain loops in src/plain (the statistics by their definition, the gradient by the chain rule).
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

const f64 = (shape: number[], range?: [number, number], grad = true): GradSpec => ({
  shape,
  dtype: 'float64',
  range,
  grad,
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
