// The op tables of the nn ops (convolution, pooling and their gradients), the fused optimizer
// updates, embedding and indexing; helpers/cases.ts gathers them with the rest into ALL_CASES.
import * as tk from '../../src/index.js';
import { opInPlaceN } from '../../src/ops/dispatch.js';
import type { DType } from '../../src/index.js';
import type { OpName } from '../../src/ops/ops.generated.js';
import * as plain from '../../src/plain/index.js';
import type { PlainTensor } from '../../src/plain/index.js';
import type { OpCase } from './cases.js';
import type { InputSpec } from './harness.js';
import { CONV_CONFIGS, convNative, convOut, convPlain, plainConv, plainPool, POOL_CONFIGS } from './nn-cases.js';

// Convolution and pooling against the plain nested loops; the backward kernels are called
// directly (nn.grad) with random upstream gradients.
const f64 = (shape: number[]): InputSpec => ({ shape, dtype: 'float64' });
export const nnCases: OpCase[] = [
  ...CONV_CONFIGS.flatMap((c): OpCase[] => {
    const [OH, OW] = convOut(c);
    const gy = [c.x[0], c.w[0], OH, OW];
    const p = plainConv(c);
    const rows: OpCase[] = [
      {
        ops: ['conv2d'],
        name: `conv2d ${c.name}`,
        inputs: [{ shape: c.x }, { shape: c.w }, ...(c.bias ? [{ shape: [c.w[0]] }] : [])],
        native: convNative(c),
        plain: convPlain(c),
        tol: { rtol: 1e-4, atol: 1e-5 },
      },
      {
        ops: ['conv2d'],
        name: `conv2d float64 ${c.name}`,
        inputs: [f64(c.x), f64(c.w)],
        native: convNative(c),
        plain: convPlain(c),
      },
      {
        ops: ['conv2d_input_grad'],
        name: `conv2d input grad ${c.name}`,
        inputs: [f64(gy), f64(c.w)],
        native: (g, w) =>
          tk.nn.grad.conv2dInput(c.x, w, g, {
            stride: p.stride,
            padding: [p.padding![0], p.padding![1]],
            dilation: p.dilation,
            groups: p.groups,
          }),
        plain: (g, w) => plain.conv2dInputGrad(g, w, [c.x[2], c.x[3]], p),
      },
      // float64, and float32: the direct, Winograd and im2col weight gradients, by shape
      ...([f64, (shape: number[]): InputSpec => ({ shape })] as const).map((spec, i): OpCase => ({
        ops: ['conv2d_weight_grad'],
        name: `conv2d weight grad ${i === 0 ? '' : 'float32 '}${c.name}`,
        inputs: [spec(gy), spec(c.x)],
        native: (g, x) =>
          tk.nn.grad.conv2dWeight(x, c.w, g, {
            stride: p.stride,
            padding: [p.padding![0], p.padding![1]],
            dilation: p.dilation,
            groups: p.groups,
          }),
        plain: (g, x) => plain.conv2dWeightGrad(g, x, [c.w[2], c.w[3]], p),
        ...(i === 0 ? {} : { tol: { rtol: 1e-4, atol: 1e-4 } }),
      })),
    ];
    return rows.filter(
      (r) => !(r.ops[0] !== 'conv2d' && c.opts.padding === 'same' && (c.w[2] % 2 === 0 || c.w[3] % 2 === 0)),
    ); // asymmetric padding: forward only (nn.grad takes symmetric)
  }),
  ...POOL_CONFIGS.flatMap((c): OpCase[] => {
    const pp = plainPool(c);
    const maxOut = plain.maxPool2d(plain.zeros(c.x), pp).values.shape as number[];
    const avgOut = plain.avgPool2d(plain.zeros(c.x), pp).shape as number[];
    const hw: [number, number] = [c.x[c.x.length - 2], c.x[c.x.length - 1]];
    return [
      {
        ops: ['max_pool2d'],
        name: `maxPool2d ${c.name}`,
        inputs: [{ shape: c.x }],
        native: (x) => tk.nn.functional.maxPool2d(x, c.kernel, c.opts),
        plain: (x) => plain.maxPool2d(x, pp).values,
      },
      {
        ops: ['max_pool2d'],
        name: `maxPool2d indices ${c.name}`,
        inputs: [{ shape: c.x }],
        native: (x) => {
          const [v, i] = tk.nn.functional.maxPool2d(x, c.kernel, { ...c.opts, returnIndices: true });
          v.dispose();
          return i;
        },
        plain: (x) => plain.maxPool2d(x, pp).indices,
      },
      {
        ops: ['max_pool2d_backward'],
        name: `maxPool2d backward ${c.name}`,
        inputs: [{ shape: c.x }, { shape: maxOut }],
        layouts: ['contiguous', 'transposed'],
        native: (x, g) => {
          const [v, i] = tk.nn.functional.maxPool2d(x, c.kernel, { ...c.opts, returnIndices: true });
          const r = tk.nn.grad.maxPool2d(g, i, c.x);
          v.dispose();
          i.dispose();
          return r;
        },
        plain: (x, g) => plain.maxPool2dBackward(g, plain.maxPool2d(x, pp).indices, hw),
      },
      ...[true, false].flatMap((cip): OpCase[] => [
        {
          ops: ['avg_pool2d'],
          name: `avgPool2d ${c.name} countIncludePad ${cip}`,
          inputs: [{ shape: c.x }],
          native: (x) =>
            tk.nn.functional.avgPool2d(x, c.kernel, { ...c.opts, dilation: undefined, countIncludePad: cip } as never),
          plain: (x) => plain.avgPool2d(x, { ...pp, countIncludePad: cip }),
        },
        {
          ops: ['avg_pool2d_backward'],
          name: `avgPool2d backward ${c.name} countIncludePad ${cip}`,
          inputs: [{ shape: avgOut }],
          native: (g) => tk.nn.grad.avgPool2d(g, c.x, c.kernel, { ...c.opts, countIncludePad: cip }),
          plain: (g) => plain.avgPool2dBackward(g, hw, { ...pp, countIncludePad: cip }),
        },
      ]),
      {
        ops: ['adaptive_avg_pool2d'],
        name: `adaptiveAvgPool2d ${c.name} to [2, 3]`,
        inputs: [{ shape: c.x }],
        native: (x) => tk.nn.functional.adaptiveAvgPool2d(x, [2, 3]),
        plain: (x) => plain.adaptiveAvgPool2d(x, [2, 3]),
      },
      {
        ops: ['adaptive_avg_pool2d_backward'],
        name: `adaptiveAvgPool2d backward ${c.name}`,
        inputs: [{ shape: [...c.x.slice(0, -2), 2, 3] }],
        native: (g) => tk.nn.grad.adaptiveAvgPool2d(g, c.x),
        plain: (g) => plain.adaptiveAvgPool2dBackward(g, hw),
      },
    ];
  }),
];

// The fused optimizer ops, called directly: one update of the parameter (returned) against the
// element-wise formula. State tensors start nonzero, as in a later step. Contiguous only: the
// parameter must be (the op refuses a view).
function fused(op: OpName, attrs: (number | boolean)[], n: number, ref: (v: number[][]) => number[]): OpCase {
  return {
    ops: [op],
    name: `${op} ${attrs.join(' ')}`,
    layouts: ['contiguous'],
    inputs: Array.from({ length: n }, (_, i) => ({
      shape: [3, 4],
      dtype: 'float64' as DType,
      range: (i >= 2 ? [0.1, 1] : [-1, 1]) as [number, number],
    })),
    native: (...xs) => {
      tk.noGrad(() =>
        opInPlaceN(
          op,
          attrs,
          xs.map((x) => x._h),
        ),
      );
      return xs[0].clone();
    },
    plain: (...xs) => plain.plainTensor(ref(xs.map((x) => Array.from(x.data))), 'float64', [3, 4]),
  };
}
// The foreach forms: two parameters' groups in one call, against the single-tensor formulas
// (per-parameter attributes as lists: SGD's `first`, Adam's `step`). Returns both parameters.
function foreach(op: OpName, attrs: unknown[], per: number, ref: (v: number[][], k: number) => number[]): OpCase {
  return {
    ops: [op],
    name: `${op} two parameters`,
    layouts: ['contiguous'],
    inputs: Array.from({ length: 2 * per }, (_, i) => ({
      shape: [3, 4],
      dtype: 'float64' as DType,
      range: (i % per >= 2 ? [0.1, 1] : [-1, 1]) as [number, number],
    })),
    native: (...xs) => {
      tk.noGrad(() =>
        opInPlaceN(
          op,
          attrs as never,
          xs.map((x) => x._h),
        ),
      );
      return tk.tidy(() => tk.cat([xs[0].flatten(), xs[per].flatten()]));
    },
    plain: (...xs) => {
      const v = xs.map((x) => Array.from(x.data));
      return plain.plainTensor([...ref(v.slice(0, per), 0), ...ref(v.slice(per), 1)], 'float64', [24]);
    },
  };
}
const adamRef =
  (step: number) =>
  ([p, g, m, v]: number[][]) =>
    p.map((p0, i) => {
      const pi = p0 * (1 - 0.01 * 0.1);
      const mi = 0.9 * m[i] + 0.1 * g[i],
        vi = 0.99 * v[i] + 0.01 * g[i] * g[i];
      return pi - ((0.01 / (1 - 0.9 ** step)) * mi) / (Math.sqrt(vi) / Math.sqrt(1 - 0.99 ** step) + 1e-8);
    });

export const optimCases: OpCase[] = [
  // first = [0, 1]: the second parameter's momentum buffer starts as its gradient
  foreach('sgd_foreach_', [0.1, 0.9, 0.2, 0.01, false, [0, 1], 3], 3, ([p, g, b], k) =>
    p.map((pi, i) => {
      const d = g[i] + 0.01 * pi;
      return pi - 0.1 * (k === 0 ? 0.9 * b[i] + 0.8 * d : d);
    }),
  ),
  foreach('adam_foreach_', [0.01, 0.9, 0.99, 1e-8, 0.1, [3, 1], false, true], 4, (v, k) => adamRef(k === 0 ? 3 : 1)(v)),
  fused('sgd_step_', [0.1, 0.9, 0.2, 0.01, false, false], 3, ([p, g, b]) =>
    p.map((pi, i) => pi - 0.1 * (0.9 * b[i] + 0.8 * (g[i] + 0.01 * pi))),
  ),
  fused('adam_step_', [0.01, 0.9, 0.99, 1e-8, 0.1, 3, true, true], 5, ([p, g, m, v, vm]) =>
    p.map((p0, i) => {
      const pi = p0 * (1 - 0.01 * 0.1);
      const mi = 0.9 * m[i] + 0.1 * g[i],
        vi = 0.99 * v[i] + 0.01 * g[i] * g[i];
      return pi - ((0.01 / (1 - 0.9 ** 3)) * mi) / (Math.sqrt(Math.max(vm[i], vi)) / Math.sqrt(1 - 0.99 ** 3) + 1e-8);
    }),
  ),
  fused('rmsprop_step_', [0.01, 0.9, 1e-8, 0, 0.5, true], 5, ([p, g, sq, buf, ga]) =>
    p.map((pi, i) => {
      const s2 = 0.9 * sq[i] + 0.1 * g[i] * g[i],
        a = 0.9 * ga[i] + 0.1 * g[i];
      return pi - 0.01 * (0.5 * buf[i] + g[i] / (Math.sqrt(s2 - a * a) + 1e-8));
    }),
  ),
  fused('adagrad_step_', [0.1, 0.5, 0, 1e-10, 3], 3, ([p, g, sum]) =>
    p.map((pi, i) => pi - ((0.1 / (1 + 2 * 0.5)) * g[i]) / (Math.sqrt(sum[i] + g[i] * g[i]) + 1e-10)),
  ),
  // weight decay 0.1: the decayed gradient feeds both averages
  fused('adadelta_step_', [0.5, 0.9, 1e-6, 0.1], 4, ([p, g, sq, acc]) =>
    p.map((pi, i) => {
      const gi = g[i] + 0.1 * pi,
        s2 = 0.9 * sq[i] + 0.1 * gi * gi;
      return pi - 0.5 * (Math.sqrt(acc[i] + 1e-6) / Math.sqrt(s2 + 1e-6)) * gi;
    }),
  ),
];

// embedding: rows of a table by index (any index shape), and the rows summed back.
const gatherRows = (w: PlainTensor, idx: PlainTensor) => {
  const D = w.shape[1],
    out = new Float64Array(idx.data.length * D);
  idx.data.forEach((r, i) => out.set(Array.from(w.data.subarray(r * D, r * D + D)), i * D));
  return plain.plainTensor(Array.from(out), w.dtype, [...idx.shape, D]);
};
const scatterRows = (g: PlainTensor, idx: PlainTensor, V: number, pad = -1) => {
  const D = g.shape[g.ndim - 1],
    out = new Float64Array(V * D);
  idx.data.forEach((r, i) => {
    if (r !== pad) for (let d = 0; d < D; d++) out[r * D + d] += g.data[i * D + d];
  });
  return plain.plainTensor(Array.from(out), g.dtype, [V, D]);
};
export const embeddingCases: OpCase[] = [
  {
    ops: ['embedding'],
    name: 'embedding [2, 3] indices',
    inputs: [{ shape: [5, 4] }, { shape: [2, 3], dtype: 'int64', range: [0, 4] }],
    native: (w, i) => tk.nn.functional.embedding(i, w),
    plain: gatherRows,
  },
  {
    ops: ['embedding'],
    name: 'embedding float64, int32 indices',
    inputs: [
      { shape: [6, 3], dtype: 'float64' },
      { shape: [7], dtype: 'int32', range: [0, 5] },
    ],
    native: (w, i) => tk.nn.functional.embedding(i, w),
    plain: gatherRows,
  },
  {
    ops: ['embedding_backward'],
    name: 'embedding backward, repeated indices',
    inputs: [
      { shape: [2, 3, 4], dtype: 'float64' },
      { shape: [2, 3], dtype: 'int64', range: [0, 2] },
    ],
    native: (g, i) => tk.nn.grad.embedding(g, i, 4),
    plain: (g, i) => scatterRows(g, i, 4),
  },
  {
    ops: ['embedding_backward'],
    name: 'embedding backward with paddingIdx',
    inputs: [{ shape: [6, 2] }, { shape: [6], dtype: 'int64', range: [0, 3] }],
    native: (g, i) => tk.nn.grad.embedding(g, i, 4, 1),
    plain: (g, i) => scatterRows(g, i, 4, 1),
  },
];

// indexing and counting: index_select (any dtype; repeated indices), its gradient, a stable
// argsort (integer inputs have many ties), bincount with and without weights.
const IDX = (n: number, hi: number, dtype: 'int64' | 'int32' = 'int64') => ({
  shape: [n],
  dtype,
  range: [0, hi] as [number, number],
});
export const indexCases: OpCase[] = [
  {
    ops: ['index_select'],
    name: 'indexSelect dim 0',
    inputs: [{ shape: [5, 3] }, IDX(7, 4)],
    native: (x, i) => x.indexSelect(0, i),
    plain: (x, i) => plain.indexSelect(x, 0, i),
  },
  {
    ops: ['index_select'],
    name: 'indexSelect dim 1 int32, int32 index',
    inputs: [{ shape: [2, 4, 3], dtype: 'int32' }, IDX(5, 3, 'int32')],
    native: (x, i) => x.indexSelect(1, i),
    plain: (x, i) => plain.indexSelect(x, 1, i),
  },
  {
    ops: ['index_select'],
    name: 'indexSelect last dim float64',
    inputs: [{ shape: [3, 6], dtype: 'float64' }, IDX(2, 5)],
    native: (x, i) => x.indexSelect(-1, i),
    plain: (x, i) => plain.indexSelect(x, 1, i),
  },
  {
    ops: ['index_select_backward'],
    name: 'indexSelect backward dim 1',
    inputs: [{ shape: [2, 6, 3], dtype: 'float64' }, IDX(6, 3)],
    native: (g, i) => tk.nn.grad.indexSelect(g, 1, i, 4),
    plain: (g, i) => plain.indexSelectBackward(g, 1, i, 4),
  },
  {
    ops: ['index_select_backward'],
    name: 'indexSelect backward dim 0 float32',
    inputs: [{ shape: [5, 2] }, IDX(5, 2)],
    native: (g, i) => tk.nn.grad.indexSelect(g, 0, i, 3),
    plain: (g, i) => plain.indexSelectBackward(g, 0, i, 3),
  },
  {
    ops: ['argsort'],
    name: 'argsort float32 last dim',
    inputs: [{ shape: [3, 9] }],
    native: (x) => x.argsort(),
    plain: (x) => plain.argsort(x, -1),
  },
  {
    ops: ['argsort'],
    name: 'argsort int32 ties, dim 0, descending',
    inputs: [{ shape: [12, 3], dtype: 'int32', range: [0, 3] }],
    native: (x) => x.argsort(0, { descending: true }),
    plain: (x) => plain.argsort(x, 0, true),
  },
  {
    ops: ['argsort'],
    name: 'argsort int64 ties ascending',
    inputs: [{ shape: [20], dtype: 'int64', range: [-2, 2] }],
    native: (x) => x.argsort(0),
    plain: (x) => plain.argsort(x, 0),
  },
  {
    ops: ['bincount'],
    name: 'bincount',
    inputs: [IDX(30, 6)],
    native: (x) => x.bincount(),
    plain: (x) => plain.bincount(x),
  },
  {
    ops: ['bincount'],
    name: 'bincount minlength, int32',
    inputs: [IDX(10, 3, 'int32')],
    native: (x) => tk.bincount(x, { minlength: 9 }),
    plain: (x) => plain.bincount(x, undefined, 9),
  },
  {
    ops: ['bincount'],
    name: 'bincount weights float64',
    inputs: [IDX(10, 4), { shape: [10], dtype: 'float64' }],
    native: (x, w) => x.bincount({ weights: w }),
    plain: (x, w) => plain.bincount(x, w),
  },
  {
    ops: ['bincount'],
    name: 'bincount weights float32',
    inputs: [IDX(10, 4), { shape: [10] }],
    native: (x, w) => x.bincount({ weights: w }),
    plain: (x, w) => plain.bincount(x, w),
  },
];
