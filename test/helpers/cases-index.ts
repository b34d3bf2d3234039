// Op-table and gradient rows for gather, scatter (every reduce), nonzero and cumprod (+ its
// backward kernel), against the plain loops in src/plain.
import * as tk from '../../src/index.js';
import * as plain from '../../src/plain/index.js';
import type { OpCase } from './cases.js';
import type { GradCase, GradSpec } from './grad-cases.js';

const I = (shape: number[], hi: number) => ({ shape, dtype: 'int64' as const, range: [0, hi] as [number, number] });
const REDUCES = ['sum', 'prod', 'mean', 'amax', 'amin'] as const;

export const scatterCases: OpCase[] = [
  {
    ops: ['gather'],
    name: 'gather dim 1 (index smaller than the input)',
    inputs: [{ shape: [3, 5] }, I([2, 4], 4)],
    native: (x, i) => x.gather(1, i),
    plain: (x, i) => plain.gather(x, 1, i),
  },
  {
    ops: ['gather'],
    name: 'gather dim 0 int32 3-d',
    inputs: [{ shape: [4, 3, 2], dtype: 'int32' }, I([5, 3, 2], 3)],
    native: (x, i) => x.gather(0, i),
    plain: (x, i) => plain.gather(x, 0, i),
  },
  {
    ops: ['scatter'],
    name: 'scatter dim 1 (repeated indices: the last write wins)',
    inputs: [{ shape: [3, 5] }, I([3, 4], 4), { shape: [3, 4] }],
    layouts: ['contiguous', 'transposed', 'narrowed'],
    native: (x, i, s) => x.scatter(1, i, s),
    plain: (x, i, s) => plain.scatter(x, 1, i, s),
  },
  {
    ops: ['scatter'],
    name: 'scatter a number, dim 0',
    inputs: [{ shape: [4, 3], dtype: 'float64' }, I([2, 3], 3)],
    native: (x, i) => x.scatter(0, i, 7),
    plain: (x, i) => plain.scatter(x, 0, i, 7),
  },
  {
    ops: ['scatter'],
    name: 'scatterAdd with a larger src',
    inputs: [{ shape: [2, 6] }, I([2, 5], 5), { shape: [3, 7] }],
    native: (x, i, s) => x.scatterAdd(1, i, s),
    plain: (x, i, s) => plain.scatter(x, 1, i, plain.narrow(plain.narrow(s, 0, 0, 2), 1, 0, 5), 'sum'),
  },
  ...REDUCES.flatMap((r): OpCase[] =>
    [true, false].map((includeSelf) => ({
      ops: ['scatter'],
      name: `scatterReduce ${r}${includeSelf ? '' : ' without self'}`,
      inputs: [{ shape: [4, 3], dtype: 'float64' }, I([6, 3], 3), { shape: [6, 3], dtype: 'float64' }],
      native: (x, i, s) => x.scatterReduce(0, i, s, r, { includeSelf }),
      plain: (x, i, s) => plain.scatter(x, 0, i, s, r, includeSelf),
    })),
  ),
  {
    ops: ['scatter'],
    name: 'scatterReduce mean int32 (floor division)',
    inputs: [{ shape: [4], dtype: 'int32' }, I([6], 3), { shape: [6], dtype: 'int32' }],
    native: (x, i, s) => x.scatterReduce(0, i, s, 'mean'),
    plain: (x, i, s) => plain.scatter(x, 0, i, s, 'mean'),
  },
  {
    ops: ['nonzero'],
    name: 'nonzero of int32 (many zeros)',
    inputs: [{ shape: [3, 4], dtype: 'int32', range: [-1, 1] }],
    native: (x) => x.nonzero(),
    plain: (x) => plain.nonzero(x),
  },
  {
    ops: ['nonzero'],
    name: 'nonzero of bool 3-d',
    inputs: [{ shape: [2, 3, 2], dtype: 'bool' }],
    native: (x) => x.nonzero(),
    plain: (x) => plain.nonzero(x),
  },
  {
    ops: ['cumprod'],
    name: 'cumprod float64 dim 1',
    inputs: [{ shape: [3, 5], dtype: 'float64', range: [-2, 2] }],
    native: (x) => x.cumprod(1),
    plain: (x) => plain.cumprod(x, 1),
  },
  {
    ops: ['cumprod'],
    name: 'cumprod int32 dim 0 (int64 result)',
    inputs: [{ shape: [4, 3], dtype: 'int32', range: [-3, 3] }],
    native: (x) => x.cumprod(0),
    plain: (x) => plain.cumprod(x, 0),
  },
  {
    ops: ['cumprod_backward'],
    name: 'cumprod backward with zeros in the input',
    inputs: [
      { shape: [3, 6], dtype: 'float64' },
      { shape: [3, 6], dtype: 'float64', range: [-1, 1] },
    ],
    native: (g, x) => tk.tidy(() => tk.nn.grad.cumprod(g, x.mul(x.gt(0)), 1)),
    plain: (g, x) => plain.cumprodBackward(g, plain.mul(x, plain.gt(x, 0)), 1),
  },
];

// The fused attention kernel and its backward, against the plain version that stores the weights.
const F_ = tk.nn.functional;
type Qkv = { label: string; shapes: { shape: number[]; range?: [number, number] }[] };
const QKV: Qkv = { label: '', shapes: [{ shape: [2, 3, 4] }, { shape: [2, 5, 4] }, { shape: [2, 5, 3] }] };
// Longer rows: past the float32 row kernels' vector blocks (16, 32), and under causal rows of every
// length from 1 key up; past the kernel's 64-row causal blocks, with fewer keys than queries and
// more (keys no query sees). E stays 4, so the default scale is the 0.5 that plain is given. Small
// q and k keep the weights spread over many keys, and lse small enough that its 16-bit copy (the
// float16 run of these rows) is within that format's tolerance.
const long = (L: number, S: number): Qkv => ({
  label: `, ${L} queries x ${S} keys`,
  shapes: [{ shape: [2, L, 4], range: [-1, 1] }, { shape: [2, S, 4], range: [-1, 1] }, { shape: [2, S, 3] }],
});
const LONG = long(40, 37),
  BLOCKS = long(150, 140),
  WIDE = long(70, 140);
const fwd = (causal: boolean, masked: boolean, qkv = QKV): OpCase => ({
  ops: ['sdpa'],
  name: `scaledDotProductAttention${causal ? ' causal' : ''}${masked ? ' with a float mask' : ''}${qkv.label}`,
  inputs: masked
    ? [
        ...qkv.shapes,
        { shape: [qkv.shapes[0].shape[0], qkv.shapes[0].shape[1], qkv.shapes[1].shape[1]], range: [-2, 0] },
      ]
    : qkv.shapes,
  native: (q, k, v, m) => F_.scaledDotProductAttention(q, k, v, { isCausal: causal, attnMask: m }),
  plain: (q, k, v, m) => plain.scaledDotProductAttention(q, k, v, 0.5, causal, m)[0],
  tol: { atol: 1e-5, rtol: 1e-4 },
});
// float64 by default: the row computes lse itself, and a 16-bit copy of it would be the error
// measured. The float32 cases run the vectorised row kernels, with lse rounded to float32.
const bwd = (which: 0 | 1 | 2, causal: boolean, dtype: 'float32' | 'float64' = 'float64', qkv = QKV): OpCase => {
  const [q, , v] = qkv.shapes.map((s) => s.shape);
  return {
    ops: ['sdpa_backward'],
    name: `scaledDotProductAttention backward, d${'qkv'[which]}${causal ? ' causal' : ''}${dtype === 'float32' ? ', float32' : ''}${qkv.label}`,
    inputs: [{ shape: [q[0], q[1], v[2]], dtype }, ...qkv.shapes.map((s) => ({ ...s, dtype }))],
    native: (g, q, k, v) =>
      tk.tidy(() => {
        const out = F_.scaledDotProductAttention(q, k, v, { isCausal: causal });
        const [, lse] = plain.scaledDotProductAttention(
          plain.plainTensor(q.toArray(), 'float64'),
          plain.plainTensor(k.toArray(), 'float64'),
          plain.plainTensor(v.toArray(), 'float64'),
          0.5,
          causal,
        );
        const l = tk.tensor(Array.from(lse.data), { shape: [...lse.shape], dtype: q.dtype });
        return tk.nn.grad.scaledDotProductAttention(g, q, k, v, out, l, { scale: 0.5, isCausal: causal })[which];
      }),
    plain: (g, q, k, v) => plain.scaledDotProductAttentionBackward(g, q, k, v, 0.5, causal)[which],
    tol: { atol: 1e-5, rtol: 1e-4 },
  };
};
export const attentionCases: OpCase[] = [
  fwd(false, false),
  fwd(true, false),
  fwd(false, true),
  fwd(true, false, LONG),
  fwd(false, true, LONG),
  fwd(true, false, BLOCKS),
  fwd(true, false, WIDE),
  bwd(0, false),
  bwd(1, true),
  bwd(2, false),
  bwd(1, false, 'float32', LONG),
  ...([0, 1, 2] as const).flatMap((w) => [LONG, BLOCKS, WIDE].map((qkv) => bwd(w, true, 'float32', qkv))),
  bwd(1, true, 'float64', BLOCKS),
  bwd(2, true, 'float64', WIDE),
];

const f64 = (shape: number[], range?: [number, number], grad = true): GradSpec => ({
  shape,
  dtype: 'float64',
  range,
  grad,
});
const idx = (shape: number[], hi: number): GradSpec => ({ ...I(shape, hi), grad: false });

export const scatterGradRows: GradCase[] = [
  {
    ops: ['gather'],
    name: 'gather (repeated positions)',
    inputs: [f64([3, 5]), idx([3, 4], 4)],
    fn: (x, i) => x.gather(1, i),
  },
  {
    ops: ['scatter'],
    name: 'scatter: self where not written, src where written',
    inputs: [f64([3, 5]), idx([3, 2], 4), f64([3, 2])],
    layouts: ['contiguous'],
    // distinct positions per row, so the last-write rule does not make the gradient ambiguous
    fn: (x, _i, s) =>
      x.scatter(
        1,
        tk.tensor(
          [
            [0, 3],
            [1, 4],
            [2, 0],
          ],
          { dtype: 'int64' },
        ),
        s,
      ),
  },
  ...(['sum', 'mean', 'amax', 'amin', 'prod'] as const).flatMap((r): GradCase[] =>
    [true, false].map((includeSelf) => ({
      ops: ['scatter'],
      name: `scatterReduce ${r}${includeSelf ? '' : ' without self'}`,
      inputs: [
        f64([4, 3], r === 'prod' ? [0.5, 2] : undefined),
        idx([5, 3], 3),
        f64([5, 3], r === 'prod' ? [0.5, 2] : undefined),
      ],
      // An expanded input repeats values: amax/amin ties split the gradient, which one-sided
      // finite differences cannot see (PyTorch behaves the same).
      layouts: r === 'amax' || r === 'amin' ? ['contiguous', 'transposed', 'narrowed'] : undefined,
      fn: (x, i, s) => x.scatterReduce(0, i, s, r, { includeSelf }),
    })),
  ),
  { ops: ['cumprod'], name: 'cumprod', inputs: [f64([3, 4])], fn: (x) => x.cumprod(1) },
  {
    ops: ['cumprod'],
    name: 'cumprod through a zero',
    inputs: [f64([5])],
    fn: (x) => x.mul(tk.tensor([1, 0, 1, 1, 1], { dtype: 'float64' })).cumprod(0),
  },
];

// The composite ops (made of native ones in TS): gradchecked like native rows, on contiguous,
// transposed, narrowed and expanded inputs. `ops` names the native ops each is built from.
const F = tk.nn.functional;
export const compositeGradRows: GradCase[] = [
  {
    ops: ['select', 'narrow'],
    name: 'index: integer and slices',
    inputs: [f64([4, 5])],
    fn: (x) => x.index([-1, '1:4']),
  },
  { ops: ['index_select'], name: 'index: slice with a step', inputs: [f64([4, 6])], fn: (x) => x.index([':', '::2']) },
  {
    ops: ['index_select'],
    name: 'index: integer arrays (adjacent)',
    inputs: [f64([3, 4])],
    fn: (x) =>
      x.index([
        [0, 2, 2],
        [1, 3, 0],
      ]),
  },
  {
    ops: ['index_select', 'permute'],
    name: 'index: arrays around a slice (moved first), with null and ellipsis',
    inputs: [f64([3, 4, 2])],
    fn: (x) => x.index([[0, 2], null, '...', [1, 0]]),
  },
  { ops: ['nonzero', 'index_select'], name: 'index: a bool mask', inputs: [f64([3, 4])], fn: (x) => x.index(x.gt(0)) },
  {
    ops: ['scatter', 'copy_'],
    name: 'indexPut_ on a non-leaf (accumulate)',
    inputs: [f64([3, 4]), f64([2])],
    fn: (x, v) =>
      x.mul(1).indexPut_(
        [
          [0, 2],
          [1, 1],
        ],
        v,
        { accumulate: true },
      ),
  },
  { ops: ['where'], name: 'maskedFill', inputs: [f64([3, 4])], fn: (x) => x.maskedFill(x.lt(0), 2) },
  { ops: ['index_select'], name: 'maskedSelect', inputs: [f64([3, 4])], fn: (x) => x.maskedSelect(x.gt(0.2)) },
  {
    ops: ['index_select'],
    name: 'take',
    inputs: [f64([3, 4])],
    fn: (x) => x.take(tk.tensor([0, -1, 5], { dtype: 'int64' })),
  },
  {
    ops: ['argsort', 'gather'],
    name: 'sort values',
    layouts: ['contiguous', 'transposed', 'narrowed'],
    inputs: [f64([3, 5])],
    fn: (x) => x.sort(1).values,
  },
  {
    ops: ['argsort', 'gather'],
    name: 'topk values',
    layouts: ['contiguous', 'transposed', 'narrowed'],
    inputs: [f64([4, 5])],
    fn: (x) => x.topk(2, 0).values,
  },
  { ops: ['expand', 'reshape'], name: 'repeat', inputs: [f64([2, 3])], fn: (x) => x.repeat(2, 1, 2) },
  {
    ops: ['index_select'],
    name: 'repeatInterleave along dim 1',
    inputs: [f64([2, 3])],
    fn: (x) => x.repeatInterleave(2, 1),
  },
  {
    ops: ['index_select'],
    name: 'flip and roll',
    inputs: [f64([3, 4])],
    fn: (x) => x.flip([0, 1]).roll([1, -1], [0, 1]),
  },
  { ops: ['where'], name: 'tril and triu', inputs: [f64([4, 4])], fn: (x) => x.tril(1).add(x.triu(2)) },
  { ops: ['scatter', 'index_select'], name: 'diag both ways', inputs: [f64([3, 3])], fn: (x) => x.diag().diag(1) },
  { ops: ['max', 'exp', 'log'], name: 'logsumexp', inputs: [f64([3, 4])], fn: (x) => x.logsumexp(1) },
  {
    ops: ['pow', 'sum'],
    name: 'vectorNorm p=2 and 3',
    inputs: [f64([3, 4])],
    fn: (x) => x.vectorNorm(2, { dim: 1 }).add(x.vectorNorm(3, { dim: 1 })),
  },
  {
    ops: ['max', 'min'],
    name: 'vectorNorm p=Infinity and -Infinity',
    layouts: ['contiguous', 'transposed', 'narrowed'],
    inputs: [f64([3, 4])],
    fn: (x) => x.vectorNorm(Infinity, { dim: 1 }).add(x.vectorNorm(-Infinity, { dim: 1 })),
  },
  { ops: ['pow', 'sum'], name: 'vectorNorm p=-1.5', inputs: [f64([3, 4])], fn: (x) => x.vectorNorm(-1.5, { dim: 0 }) },
  {
    ops: ['add', 'sub', 'mul'],
    name: 'add and sub with alpha',
    inputs: [f64([3, 4]), f64([4])],
    fn: (x, y) => x.add(y, { alpha: -2.5 }).sub(y, { alpha: 3 }),
  },
  {
    ops: ['maximum', 'minimum'],
    name: 'clamp with tensor bounds',
    layouts: ['contiguous', 'transposed', 'narrowed'],
    inputs: [f64([3, 4]), f64([4], [-3, -0.5]), f64([3, 1], [0.5, 3])],
    fn: (x, lo, hi) => x.clamp(lo, hi),
  },
  { ops: ['mul'], name: 'outer', inputs: [f64([3]), f64([4])], fn: (a, b) => a.outer(b) },
  {
    ops: ['where', 'exp'],
    name: 'elu, celu, selu, softplus (beta 2, threshold 3), logsigmoid',
    inputs: [f64([3, 4])],
    fn: (x) =>
      F.elu(x, 0.7)
        .add(F.celu(x, 1.5))
        .add(F.selu(x))
        .add(F.softplus(x, { beta: 2, threshold: 3 }))
        .add(F.logsigmoid(x)),
  },
  {
    ops: ['where'],
    name: 'hardtanh, relu6, hardsigmoid, hardswish (inputs in [-5, 7])',
    inputs: [f64([3, 4], [-5, 7])],
    fn: (x) => F.hardtanh(x, -2, 2).add(F.relu6(x)).add(F.hardsigmoid(x)).add(F.hardswish(x)),
  },
  {
    ops: ['tanh', 'where'],
    name: 'mish, softsign, glu',
    inputs: [f64([3, 4])],
    fn: (x) => F.mish(x).add(F.softsign(x)).add(F.glu(x, 1).repeat(1, 2)),
  },
  {
    ops: ['where', 'mul'],
    name: 'prelu with a weight per channel (both gradients)',
    inputs: [f64([2, 3, 4]), f64([3])],
    fn: (x, w) => F.prelu(x, w),
  },
  { ops: ['sub', 'pow'], name: 'cdist', inputs: [f64([3, 2]), f64([4, 2])], fn: (a, b) => tk.cdist(a, b) },
  {
    ops: ['bmm', 'permute'],
    name: 'einsum with a batch, a contraction and a sum',
    inputs: [f64([2, 3, 4]), f64([2, 4, 5])],
    fn: (a, b) => tk.einsum('bij,bjk->ik', a, b),
  },
  {
    ops: ['cat'],
    name: 'pad constant (and a crop)',
    inputs: [f64([2, 3, 4])],
    fn: (x) => F.pad(x, [1, -1, 2, 0], 'constant', 0.5),
  },
  {
    ops: ['index_select'],
    name: 'pad reflect, replicate, circular',
    inputs: [f64([1, 2, 3, 4])],
    fn: (x) =>
      F.pad(x, [2, 1, 1, 1], 'reflect')
        .add(F.pad(x, [2, 1, 1, 1], 'replicate'))
        .add(F.pad(x, [2, 1, 1, 1], 'circular')),
  },
  {
    ops: ['index_select', 'mul'],
    name: 'interpolate bilinear',
    inputs: [f64([1, 2, 3, 3])],
    fn: (x) => F.interpolate(x, { size: [4, 5], mode: 'bilinear' }),
  },
  { ops: ['permute', 'reshape'], name: 'pixelShuffle', inputs: [f64([1, 4, 2, 3])], fn: (x) => F.pixelShuffle(x, 2) },
  { ops: ['rsqrt', 'mean'], name: 'rmsNorm', inputs: [f64([3, 4]), f64([4])], fn: (x, w) => F.rmsNorm(x, [4], w) },
  {
    ops: ['var', 'mean'],
    name: 'instanceNorm',
    inputs: [f64([2, 2, 3, 3]), f64([2]), f64([2])],
    fn: (x, w, b) => F.instanceNorm(x, w, b),
  },
  {
    ops: ['sdpa'],
    name: 'scaledDotProductAttention, causal',
    inputs: [f64([2, 3, 4]), f64([2, 3, 4]), f64([2, 3, 2])],
    fn: (q, k, v) => F.scaledDotProductAttention(q, k, v, { isCausal: true }),
  },
  {
    ops: ['sdpa'],
    name: 'scaledDotProductAttention, float mask',
    inputs: [f64([3, 4]), f64([5, 4]), f64([5, 2]), f64([3, 5], [-1, 0], false)],
    fn: (q, k, v, m) => F.scaledDotProductAttention(q, k, v, { attnMask: m }),
  },
  // ---- the ops beyond the core (their values against PyTorch in port-more.test.ts) ----------------
  { ops: ['where', 'cat'], name: 'diagEmbed', inputs: [f64([3, 4])], fn: (x) => x.diagEmbed(-1, 0, 2) },
  { ops: ['diagonal', 'sum'], name: 'trace', inputs: [f64([4, 4])], fn: (x) => x.trace() },
  {
    ops: ['index_select', 'permute', 'narrow'],
    name: 'rot90, fliplr, movedim, unflatten, tensorSplit',
    inputs: [f64([3, 4])],
    fn: (x) => tk.cat(x.tensorSplit(3, 1).reverse(), 1).rot90(1).fliplr().movedim(0, 1).unflatten(1, [2, 2]),
  },
  {
    ops: ['cat', 'reshape'],
    name: 'hstack, vstack, dstack, columnStack',
    inputs: [f64([3, 2]), f64([3, 2])],
    fn: (a, b) =>
      tk
        .hstack([a, b])
        .add(tk.vstack([a.t(), b.t()]).t())
        .add(tk.dstack([a, b]).reshape([3, 4]))
        .add(tk.columnStack([a.select(1, 0), b, a.select(1, 1)])),
  },
  {
    ops: ['matmul', 'mul'],
    name: 'kron, tensordot, cartesianProd, blockDiag',
    inputs: [f64([2, 3]), f64([3, 2])],
    fn: (a, b) =>
      tk
        .kron(a, b)
        .sum()
        .add(tk.tensordot(a, b, 1).sum())
        .add(
          tk.tensordot(a, b, [
            [0, 1],
            [1, 0],
          ]),
        )
        .add(tk.cartesianProd(a.select(0, 0), b.select(1, 1)).sum())
        .add(tk.blockDiag(a, b).pow(2).sum()),
  },
  {
    ops: ['cumprod'],
    name: 'prod, over a dim holding a zero and over all',
    inputs: [f64([3, 4])],
    fn: (x) =>
      x
        .mul(tk.tensor([1, 0, 1, 1], { dtype: 'float64' }))
        .prod(1)
        .add(x.prod()),
  },
  {
    ops: ['argsort', 'gather'],
    name: 'median, kthvalue, quantile (linear and midpoint), nanquantile',
    layouts: ['contiguous', 'transposed', 'narrowed'],
    inputs: [f64([3, 5])],
    fn: (x) =>
      x
        .median(1)
        .add(x.kthvalue(2, 1).values)
        .add(x.quantile(0.3, 1))
        .add(x.quantile(0.6, 1, { interpolation: 'midpoint' }))
        .add(x.nanquantile(0.8, 1)),
  },
  {
    ops: ['argsort', 'gather', 'scatter'],
    name: 'mode (distinct values: the smallest; the gradient reaches the returned position)',
    layouts: ['contiguous', 'transposed', 'narrowed'],
    inputs: [f64([3, 5])],
    fn: (x) => x.mode(1).values,
  },
  {
    ops: ['gather', 'exp', 'log1p'],
    name: 'cummax, cummin, logcumsumexp',
    layouts: ['contiguous', 'transposed', 'narrowed'],
    inputs: [f64([3, 5])],
    fn: (x) => x.cummax(1).values.add(x.cummin(1).values).add(x.logcumsumexp(1)),
  },
  {
    ops: ['sub', 'cat'],
    name: 'diff twice, with prepend',
    inputs: [f64([3, 4]), f64([3, 1])],
    fn: (x, p) => x.diff(2, 1, { prepend: p }),
  },
  {
    ops: ['mul', 'div', 'where'],
    name: 'lerp (a tensor weight), addcmul, addcdiv',
    inputs: [f64([3, 4]), f64([3, 4]), f64([4], [0.1, 0.9])],
    fn: (a, b, w) =>
      a
        .lerp(b, w)
        .add(a.addcmul(b, w, { value: 0.5 }))
        .add(a.addcdiv(b, w, { value: -2 })),
  },
  {
    ops: ['exp', 'log1p', 'maximum'],
    name: 'logaddexp, logaddexp2, xlogy, hypot',
    inputs: [f64([3, 4]), f64([3, 4], [0.5, 3])],
    fn: (a, b) => a.logaddexp(b).add(a.logaddexp2(b)).add(a.xlogy(b)).add(a.hypot(b)),
  },
  {
    ops: ['log', 'clamp'],
    name: 'logit with and without eps, square, frac, deg2rad, nanToNum',
    inputs: [f64([3, 4], [0.05, 0.95])],
    fn: (x) => x.logit().add(x.logit(0.2)).add(x.square()).add(x.mul(3).frac()).add(x.deg2rad()).add(x.nanToNum()),
  },
  {
    ops: ['diagonal', 'bmm'],
    name: "einsum with a repeated label ('bii->bi', 'ij,jj->i')",
    inputs: [f64([2, 3, 3]), f64([3, 3])],
    fn: (a, b) =>
      tk
        .einsum('bii->bi', a)
        .sum(0)
        .add(tk.einsum('ij,jj->i', b, b)),
  },
  // ---- torch.nn's remaining losses, distances and activations (values in nn-more.test.ts) -----------
  {
    ops: ['sum', 'sqrt', 'pow'],
    name: 'cosineSimilarity, pairwiseDistance, normalize',
    inputs: [f64([3, 4]), f64([3, 4])],
    fn: (a, b) =>
      F.cosineSimilarity(a, b)
        .add(F.pairwiseDistance(a, b, { p: 3 }))
        .unsqueeze(1)
        .add(F.normalize(a, { dim: 1 })),
  },
  {
    ops: ['exp', 'log', 'where'],
    name: 'klDiv (batchmean; logTarget), huberLoss, softMarginLoss',
    inputs: [f64([3, 4]), f64([3, 4])],
    fn: (a, b) =>
      F.klDiv(a.logSoftmax(1), b.softmax(1), { reduction: 'batchmean' })
        .add(F.klDiv(a.logSoftmax(1), b.logSoftmax(1), { logTarget: true }))
        .add(F.huberLoss(a, b, { delta: 0.7 }))
        .add(F.softMarginLoss(a, b.sign())),
  },
  {
    ops: ['clamp', 'where'],
    name: 'marginRanking, hingeEmbedding, cosineEmbedding, tripletMargin (swap) losses',
    inputs: [f64([3, 4]), f64([3, 4]), f64([3, 4])],
    fn: (a, b, c) => {
      const y = tk.tensor([1, -1, 1], { dtype: 'float64' });
      return F.marginRankingLoss(a.select(1, 0), b.select(1, 0), y, { margin: 0.2 })
        .add(F.hingeEmbeddingLoss(a, y.unsqueeze(1).expand([3, 4]), { margin: 2 }))
        .add(F.cosineEmbeddingLoss(a, b, y, { margin: 0.1 }))
        .add(F.tripletMarginLoss(a, b, c, { swap: true, margin: 3 }));
    },
  },
  {
    ops: ['gather', 'exp', 'log'],
    name: 'multiMargin (p 2, weights), multilabelSoftMargin, poissonNll (full), gaussianNll',
    inputs: [f64([3, 4]), f64([3, 4], [0.5, 2])],
    fn: (a, v) => {
      const y = tk.tensor([2, 0, 3], { dtype: 'int64' });
      const w = tk.tensor([0.5, 1, 2, 1.5], { dtype: 'float64' });
      return F.multiMarginLoss(a, y, { p: 2, margin: 2, weight: w })
        .add(F.multilabelSoftMarginLoss(a, v.gt(1).to('float64')))
        .add(F.poissonNllLoss(a, v.mul(3).round(), { full: true }))
        .add(F.gaussianNllLoss(a, a.flip(0), v));
    },
  },
  {
    ops: ['softmax', 'where', 'tanh'],
    name: 'softmin, threshold, hardshrink, softshrink, tanhshrink',
    inputs: [f64([3, 4])],
    fn: (x) =>
      F.softmin(x, 1)
        .add(F.threshold(x, 0.2, -1))
        .add(F.hardshrink(x, 0.6))
        .add(F.softshrink(x, 0.6))
        .add(F.tanhshrink(x)),
  },
  {
    ops: ['max_pool2d', 'avg_pool2d', 'adaptive_avg_pool2d'],
    name: 'maxPool1d, avgPool1d, adaptiveAvgPool1d',
    inputs: [f64([2, 3, 6])],
    fn: (x) =>
      F.maxPool1d(x, 2)
        .add(F.avgPool1d(x, 3, { stride: 2, padding: 1, countIncludePad: false }))
        .add(F.adaptiveAvgPool1d(x, 3)),
  },
  // ---- products, covariance and index writes (values against PyTorch in port-more.test.ts) --------
  {
    ops: ['matmul', 'bmm', 'mv', 'mul'],
    name: 'mm, inner, cross, baddbmm, addbmm, addmv, addr',
    inputs: [f64([3, 3]), f64([3, 3]), f64([2, 3, 3])],
    fn: (a, b, c) =>
      a
        .mm(b)
        .add(a.inner(b))
        .add(a.cross(b, 1))
        .add(a.baddbmm(c, c.flip(0), { beta: 0.5, alpha: 2 }).sum(0))
        .add(a.addbmm(c, c, { beta: 0.3 }))
        .add(a.select(0, 0).addmv(b, a.select(1, 1), { alpha: -1 }))
        .add(a.addr(b.select(0, 0), b.select(1, 2), { beta: 2 })),
  },
  {
    ops: ['matmul', 'sqrt'],
    name: 'cov (plain, weighted), corrcoef',
    layouts: ['contiguous', 'transposed', 'narrowed'],
    inputs: [f64([3, 5]), f64([5], [0.2, 2])],
    fn: (x, aw) =>
      x
        .cov()
        .add(x.cov({ correction: 0, fweights: tk.tensor([1, 2, 1, 3, 1], { dtype: 'int64' }), aweights: aw }))
        .add(x.corrcoef()),
  },
  {
    ops: ['scatter', 'gather', 'where'],
    name: 'indexAdd, indexCopy, indexFill, takeAlongDim',
    inputs: [f64([3, 4]), f64([3, 2])],
    fn: (x, s) => {
      const idx = tk.tensor([3, 0], { dtype: 'int64' });
      return x
        .indexAdd(1, idx, s, { alpha: 2 })
        .add(x.indexCopy(1, idx, s))
        .add(x.indexFill(0, tk.tensor([1], { dtype: 'int64' }), 5))
        .add(x.takeAlongDim(tk.tensor([[0, 3, 1, 2]], { dtype: 'int64' }), 1));
    },
  },
  {
    ops: ['linear', 'sigmoid', 'tanh'],
    name: 'LSTMCell and GRUCell steps (input and state gradients)',
    inputs: [f64([2, 3]), f64([2, 4]), f64([2, 4])],
    fn: (x, h, c) => {
      tk.manualSeed(5);
      const lstm = new tk.nn.LSTMCell(3, 4, { dtype: 'float64' });
      const gru = new tk.nn.GRUCell(3, 4, { dtype: 'float64' });
      const [h1, c1] = lstm.call(x, [h, c]) as [tk.Tensor, tk.Tensor];
      return h1.add(c1).add(gru.call(x, h) as tk.Tensor);
    },
  },
  {
    ops: ['max', 'narrow', 'cat'],
    name: 'adaptiveMaxPool2d over uneven windows',
    inputs: [f64([1, 2, 5, 7])],
    fn: (x) => F.adaptiveMaxPool2d(x, [3, 4]),
  },
];
