// The rest of torch.Tensor's everyday surface (src/ops/tensor_more.ts), asStridedScatter,
// emptyStrided, and the torch.* names of nn.functional's operations. Expected values are PyTorch
// 1.13's (worked by hand where the op is a plain composition).
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { gradcheck, nn, tensor, tidy, type Tensor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';

const f64 = (v: number[] | number[][], requiresGrad = false) => tensor(v, { dtype: 'float64', requiresGrad });
const close = (a: Tensor, b: Tensor) => expect(a.allclose(b, { rtol: 1e-12, atol: 1e-12 })).toBe(true);

describe('in-place forms by composition', () => {
  const m = () =>
    f64([
      [1, 2],
      [3, 4],
    ]);
  const v = () => f64([1, -1]);
  const b3 = () => tk.arange(0, 8, { dtype: 'float64' }).reshape([2, 2, 2]);
  const cases: [string, (t: Tensor) => Tensor, (t: Tensor) => Tensor, () => Tensor][] = [
    [
      'addmm_',
      (t) => t.addmm(m(), m(), { beta: 2, alpha: 0.5 }),
      (t) => t.addmm_(m(), m(), { beta: 2, alpha: 0.5 }),
      m,
    ],
    ['addbmm_', (t) => t.addbmm(b3(), b3()), (t) => t.addbmm_(b3(), b3()), m],
    ['baddbmm_', (t) => t.baddbmm(b3(), b3(), { beta: 0 }), (t) => t.baddbmm_(b3(), b3(), { beta: 0 }), b3],
    ['addmv_', (t) => t.addmv(m(), v()), (t) => t.addmv_(m(), v()), v],
    ['addr_', (t) => t.addr(v(), v(), { alpha: 3 }), (t) => t.addr_(v(), v(), { alpha: 3 }), m],
    ['igamma_', (t) => t.igamma(2), (t) => t.igamma_(2), () => f64([0.5, 3])],
    ['igammac_', (t) => t.igammac(f64([1, 2])), (t) => t.igammac_(f64([1, 2])), () => f64([0.5, 3])],
    ['mvlgamma_', (t) => t.mvlgamma(2), (t) => t.mvlgamma_(2), () => f64([1.5, 3])],
    [
      'scatterReduce_',
      (t) => t.scatterReduce(0, tensor([0, 0, 1], { dtype: 'int64' }), f64([5, 7, 9]), 'amax'),
      (t) => t.scatterReduce_(0, tensor([0, 0, 1], { dtype: 'int64' }), f64([5, 7, 9]), 'amax'),
      () => f64([6, 1]),
    ],
  ];
  for (const [name, outOfPlace, inPlace, make] of cases)
    it(`${name} writes the out-of-place result into this and returns it`, () =>
      tidy(() => {
        const t = make();
        const want = outOfPlace(t);
        expect(inPlace(t)).toBe(t);
        close(t, want);
      }));

  it('refuses broadcasting into the target and leaves that require grad, and records non-leaves', () =>
    tidy(() => {
      expectTensorError(
        () =>
          f64([1, 2]).addmm_(
            f64([
              [1, 2],
              [3, 4],
            ]),
            f64([
              [1, 0],
              [0, 1],
            ]),
          ),
        'SHAPE_MISMATCH',
        /addmm_: the result's shape \[2, 2\] is not this tensor's \[2\]/,
      );
      const w = f64(
        [
          [1, 2],
          [3, 4],
        ],
        true,
      );
      expectTensorError(() => w.addmm_(w, w), 'INVALID_ARGUMENT', /addmm_: a leaf tensor that requires grad/);
      const y = w.mul(1);
      y.addmm_(
        w,
        f64([
          [1, 0],
          [0, 1],
        ]),
        { beta: 3 },
      ); // y = 3w + w
      y.sum().backward();
      close(w.grad!, tk.fullLike(w, 4));
    }));

  it('floatPower_ needs a float64 tensor, as torch', () =>
    tidy(() => {
      const t = f64([2, 3]);
      close(t.floatPower_(2), f64([4, 9]));
      expectTensorError(
        () => tensor([2, 3]).floatPower_(2),
        'DTYPE_MISMATCH',
        /floatPower_: the base has dtype float32 but the operation's result requires float64/,
      );
    }));
});

describe('view scatters as methods, and asStridedScatter', () => {
  it('the methods are the free functions', () =>
    tidy(() => {
      const z = tk.zeros([3, 3]);
      close(z.diagonalScatter(tk.ones([2]), 1), tk.diagonalScatter(z, tk.ones([2]), 1));
      close(z.selectScatter(tk.ones([3]), 1, 2), tk.selectScatter(z, tk.ones([3]), 1, 2));
      close(
        z.sliceScatter(tk.ones([3, 2]), { dim: 1, step: 2 }),
        tk.sliceScatter(z, tk.ones([3, 2]), { dim: 1, step: 2 }),
      );
    }));

  it("writes at the storage positions input.asStrided would read (torch's numbers)", () =>
    tidy(() => {
      const a = tk.arange(0, 6, { dtype: 'float64' }).reshape([2, 3]);
      const src = f64([10, 20]);
      expect(tk.asStridedScatter(a, src, [2], [4], 0).toArray()).toEqual([
        [10, 1, 2],
        [3, 20, 5],
      ]);
      // a transposed input: positions are the storage's, the result has input's shape
      expect(a.t().asStridedScatter(src, [2], [4]).toArray()).toEqual([
        [10, 3],
        [1, 20],
        [2, 5],
      ]);
      // an offset view: the default storage offset is the input's own
      const row = a.select(0, 1); // [3, 4, 5] at offset 3
      expect(row.asStridedScatter(f64([7, 8]), [2], [2]).toArray()).toEqual([7, 4, 8]);
      expect(tk.asStridedScatter(tk.zeros([0]), tk.zeros([0]), [0], [1]).shape).toEqual([0]);
    }));

  it('is differentiable in input and src (float64 gradcheck)', () =>
    tidy(() => {
      const x = f64(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        true,
      );
      const s = f64([0.5, -2, 3], true);
      expect(gradcheck((p, q) => p.asStridedScatter(q, [3], [2], 0), [x, s])).toBe(true);
      expect(gradcheck((p, q) => p.t().asStridedScatter(q, [3], [2], 1), [x, s])).toBe(true);
    }));

  it('names itself in its errors', () =>
    tidy(() => {
      const a = tk.zeros([2, 3]);
      expectTensorError(() => a.asStridedScatter(tk.zeros([2]), [2], [6]), 'INDEX_OUT_OF_RANGE', /^asStridedScatter/);
      expectTensorError(
        () => a.asStridedScatter(tk.zeros([3]), [2], [1]),
        'SHAPE_MISMATCH',
        /asStridedScatter: src must have the view's shape \[2\], got \[3\]/,
      );
      expectTensorError(() => tk.asStridedScatter(a, 'x' as never, [1], [1]), 'INVALID_ARGUMENT', /asStridedScatter/);
    }));
});

describe('method forms and queries', () => {
  it('hardshrink and prelu as methods', () =>
    tidy(() => {
      const x = f64([-1, -0.2, 0.3, 2]);
      close(x.hardshrink(), nn.functional.hardshrink(x));
      close(x.hardshrink(1.5), f64([0, 0, 0, 2]));
      const w = f64([0.25]);
      close(x.prelu(w), f64([-0.25, -0.05, 0.3, 2]));
      expectTensorError(() => x.prelu(3 as never), 'INVALID_ARGUMENT', /prelu/);
    }));

  it('isCpu, isCuda, getDevice, nbytes, itemsize', () =>
    tidy(() => {
      const x = tk.zeros([2, 3], { dtype: 'float64' });
      expect([x.isCpu, x.isCuda, x.getDevice()]).toEqual([true, false, -1]);
      expect([x.nbytes, x.itemsize]).toEqual([48, 8]);
      expect(tk.zeros([5], { dtype: 'bfloat16' }).nbytes).toBe(10);
      expect(tk.zeros([4], { dtype: 'bool' }).itemsize).toBe(1);
      expect(x.t().nbytes).toBe(48); // the elements viewed, as torch's nbytes
    }));

  it('H is the transpose of a matrix only', () =>
    tidy(() => {
      const m = tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      expect(m.H.toArray()).toEqual(m.t().toArray());
      expectTensorError(
        () => tk.zeros([2, 3, 4]).H,
        'SHAPE_MISMATCH',
        /H: only matrices \(2-D tensors\) have H, got a 3-D tensor/,
      );
      expectTensorError(() => tk.zeros([3]).H, 'SHAPE_MISMATCH', /got a 1-D tensor/);
    }));

  it("type(): torch's names, and conversion by dtype or name", () =>
    tidy(() => {
      expect(tk.zeros([1]).type()).toBe('torch.FloatTensor');
      expect(tk.zeros([1], { dtype: 'int64' }).type()).toBe('torch.LongTensor');
      expect(tk.zeros([1], { dtype: 'bool' }).type()).toBe('torch.BoolTensor');
      expect(tk.zeros([1]).type('float64').dtype).toBe('float64');
      expect(tk.zeros([1]).type('torch.IntTensor').dtype).toBe('int32');
      expectTensorError(
        () => tk.zeros([1]).type('torch.Complex'),
        'INVALID_ARGUMENT',
        /type: expected a dtype .* got "torch.Complex"/,
      );
      expectTensorError(() => tk.zeros([1]).type(3 as never), 'INVALID_ARGUMENT', /type: expected a dtype/);
    }));
});

describe('emptyStrided', () => {
  it('lays the tensor out with the strides given, over a zero-filled storage', () =>
    tidy(() => {
      const t = tk.emptyStrided([2, 3], [1, 2], { dtype: 'float64' });
      expect([t.shape, t.stride(), t.dtype]).toEqual([[2, 3], [1, 2], 'float64']);
      expect(t.toArray()).toEqual([
        [0, 0, 0],
        [0, 0, 0],
      ]);
      expect(tk.emptyStrided([3], [0]).stride()).toEqual([0]); // overlapping, as torch allows
      expect(tk.emptyStrided([0, 2], [2, 1]).shape).toEqual([0, 2]);
      const g = tk.emptyStrided([2], [1], { requiresGrad: true });
      expect([g.requiresGrad, g.isLeaf]).toEqual([true, true]);
    }));

  it('checks its arguments', () => {
    expectTensorError(() => tk.emptyStrided([2, 3], [1]), 'INVALID_ARGUMENT', /emptyStrided: expected 2 strides/);
    expectTensorError(() => tk.emptyStrided([2], [-1]), 'INVALID_ARGUMENT', /emptyStrided: 'stride\[0\]' must be/);
    expectTensorError(() => tk.emptyStrided([-2], [1]), 'INVALID_ARGUMENT', /emptyStrided/);
    expectTensorError(() => tk.emptyStrided([2], [1], { dtype: 'int64', requiresGrad: true }), 'DTYPE_MISMATCH', /./);
  });
});

it("torch.* names of nn.functional's operations are the same functions", () => {
  const F = nn.functional as unknown as Record<string, unknown>;
  const top = tk as unknown as Record<string, unknown>;
  for (const name of [
    'conv1d',
    'conv2d',
    'conv3d',
    'convTranspose2d',
    'dropout',
    'layerNorm',
    'batchNorm',
    'groupNorm',
    'instanceNorm',
    'embedding',
    'embeddingBag',
    'pdist',
    'pairwiseDistance',
    'cosineSimilarity',
    'pixelShuffle',
    'pixelUnshuffle',
    'channelShuffle',
    'prelu',
    'selu',
    'celu',
    'threshold',
    'hardshrink',
    'rrelu',
    'klDiv',
    'ctcLoss',
    'bilinear',
    'maxPool1d',
    'maxPool2d',
    'maxPool3d',
    'avgPool1d',
    'adaptiveAvgPool1d',
    'adaptiveMaxPool1d',
    'binaryCrossEntropyWithLogits',
    'marginRankingLoss',
    'hingeEmbeddingLoss',
    'cosineEmbeddingLoss',
    'tripletMarginLoss',
    'poissonNllLoss',
    'alphaDropout',
    'featureAlphaDropout',
  ])
    expect(top[name], name).toBe(F[name]);
  tidy(() => {
    const x = tk.ones([1, 1, 3, 3]);
    expect(tk.conv2d(x, tk.ones([1, 1, 2, 2])).toArray()).toEqual([
      [
        [
          [4, 4],
          [4, 4],
        ],
      ],
    ]);
  });
});

describe('apply_, map_ and map2_ (element-wise JS functions, in place)', () => {
  // Expected values are PyTorch 1.13's for the same calls.
  it("write each element's image in place, through strided views, with torch's results", () =>
    tidy(() => {
      const z = tk.arange(6).reshape([2, 3]).to('float32');
      expect(z.t().apply_((v) => (v as number) + 100)).toBeInstanceOf(tk.Tensor);
      expect(z.toArray()).toEqual([
        [100, 101, 102],
        [103, 104, 105],
      ]);
      const a = tk.zeros([2, 3]);
      a.map_(tensor([1, 2, 3]), (p, q) => (p as number) + (q as number) * 10);
      expect(a.toArray()).toEqual([
        [10, 20, 30],
        [10, 20, 30],
      ]);
      a.map2_(tensor([1, 2, 3]), tensor([[1], [2]]), (p, q, r) => (p as number) + (q as number) + (r as number));
      expect(a.toArray()).toEqual([
        [12, 23, 34],
        [13, 24, 35],
      ]);
      // integers truncate, as torch's; bools take booleans; int64 keeps its exact values
      const i = tensor([1, 2], { dtype: 'int64' });
      i.apply_((v) => (v as number) * 2.7);
      expect(i.toArray()).toEqual([2, 5]);
      const b = tensor([true, false]);
      b.apply_((v) => !v);
      expect(b.toArray()).toEqual([false, true]);
      const seen: unknown[] = [];
      tensor([[1, 2]], { dtype: 'int32' }).apply_((v) => (seen.push(v), v));
      expect(seen).toEqual([1, 2]);
    }));

  it('refuses what torch refuses', () =>
    tidy(() => {
      expectTensorError(
        () => tensor([1, 2], { requiresGrad: true }).apply_((v) => v),
        'INVALID_ARGUMENT',
        /apply_: cannot be called on a tensor that requires grad \(use x\.detach\(\)\.apply_/,
      );
      expectTensorError(
        () => tk.zeros([3]).map_(tk.zeros([2, 3]), (p) => p),
        'SHAPE_MISMATCH',
        /map_: a tensor of shape \[2, 3\] does not broadcast to this tensor's \[3\]/,
      );
      expectTensorError(
        () => tk.zeros([2]).apply_(() => 'a' as never),
        'INVALID_ARGUMENT',
        /apply_: fn must return a number, got "a" for element 0/,
      );
      expectTensorError(() => tk.zeros([2]).apply_(1 as never), 'INVALID_ARGUMENT', /apply_: 'fn' must be a function/);
      expectTensorError(
        () => tk.zeros([2]).map2_(tk.zeros([2]), 3 as never, (a) => a),
        'INVALID_ARGUMENT',
        /map2_: 'y' must be a Tensor, got 3/,
      );
    }));
});
