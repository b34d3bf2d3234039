// The rest of torch.nn (src/nn/layers_extra.ts, losses_extra.ts, containers.ts) against PyTorch
// 1.13 (test/fixtures/torch-nn-extra.json, written by scripts/fixtures/torch_nn_extra.py):
// localResponseNorm, lpPool1d/2d, interpolate's antialias, channelShuffle, Softmax2d, the
// Upsampling layers, multiLabelMarginLoss, tripletMarginWithDistanceLoss, pdist; then the random
// ones by their statistics (alphaDropout, featureAlphaDropout, rrelu, gumbelSoftmax),
// ParameterList/Dict, errors and memory.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { memory, nn, tensor, type Tensor } from '../src/index.js';
import { expectTensorError, settleGarbage } from './helpers/harness.js';
import { closeToTorch, f64, type Nested } from './helpers/torch-rows.js';

const F = nn.functional;
interface Row {
  name: string;
  inputs: Nested[];
  extra: { target?: number[] | number[][]; reduction?: 'mean' | 'sum' | 'none'; p?: number | 'inf' } | null;
  out: Nested;
  grads: Nested[];
  indices: Nested | null;
}
const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-nn-extra.json', import.meta.url), 'utf8')) as {
  torch: string;
  rows: Row[];
};
const int64 = (v: number[] | number[][]) => tensor(v, { dtype: 'int64' });

// Each fixture row's tensorkit call, by the row's name (a pool with indices returns both).
const CALLS: [RegExp, (r: Row, xs: Tensor[]) => Tensor | [Tensor, Tensor]][] = [
  [/^adaptiveMaxPool2d indices \[3, 2\]/, (_, [x]) => F.adaptiveMaxPool2d(x, [3, 2], { returnIndices: true })],
  [
    /^adaptiveMaxPool2d indices \[4, 5\]/,
    (_, [x]) => new nn.AdaptiveMaxPool2d([4, 5], { returnIndices: true }).call(x),
  ],
  [/^adaptiveMaxPool1d indices/, (_, [x]) => new nn.AdaptiveMaxPool1d(3, { returnIndices: true }).call(x)],
  [/^adaptiveMaxPool3d indices/, (_, [x]) => new nn.AdaptiveMaxPool3d([2, 3, 2], { returnIndices: true }).call(x)],
  [/^localResponseNorm 4-D/, (_, [x]) => F.localResponseNorm(x, 3)],
  [/^localResponseNorm 3-D/, (_, [x]) => F.localResponseNorm(x, 4, { alpha: 0.01, beta: 0.5, k: 2 })],
  [/^localResponseNorm 5-D/, (_, [x]) => new nn.LocalResponseNorm(2, { alpha: 0.1 }).call(x)],
  [/^lpPool1d p 2/, (_, [x]) => F.lpPool1d(x, 2, 3, { stride: 2 })],
  [/^lpPool1d p 3/, (_, [x]) => new nn.LPPool1d(3, 2, { ceilMode: true }).call(x)],
  [/^lpPool2d p 2/, (_, [x]) => F.lpPool2d(x, 2, 2)],
  [/^lpPool2d p 1.5/, (_, [x]) => new nn.LPPool2d(1.5, [2, 3], { stride: [1, 2] }).call(x)],
  [/^channelShuffle/, (_, [x]) => new nn.ChannelShuffle(3).call(x)],
  [
    /^interpolate antialias bilinear size \[4, 5\]/,
    (_, [x]) => F.interpolate(x, { size: [4, 5], mode: 'bilinear', antialias: true }),
  ],
  [
    /^interpolate antialias bicubic scale/,
    (_, [x]) => F.interpolate(x, { scaleFactor: 0.4, mode: 'bicubic', antialias: true }),
  ],
  [
    /^interpolate antialias bilinear alignCorners/,
    (_, [x]) => F.interpolate(x, { size: [3, 7], mode: 'bilinear', alignCorners: true, antialias: true }),
  ],
  [
    /^interpolate antialias bicubic up and down/,
    (_, [x]) => F.interpolate(x, { size: [12, 6], mode: 'bicubic', antialias: true }),
  ],
  [/^Softmax2d/, (_, [x]) => new nn.Softmax2d().call(x)],
  [/^UpsamplingBilinear2d/, (_, [x]) => new nn.UpsamplingBilinear2d({ scaleFactor: 2 }).call(x)],
  [/^UpsamplingNearest2d/, (_, [x]) => new nn.UpsamplingNearest2d({ size: [5, 7] }).call(x)],
  [
    /^multiLabelMarginLoss/,
    (r, [x]) => new nn.MultiLabelMarginLoss({ reduction: r.extra!.reduction }).call(x, int64(r.extra!.target!)),
  ],
  [/^tripletMarginWithDistanceLoss default/, (_, [a, p, n]) => F.tripletMarginWithDistanceLoss(a, p, n)],
  [
    /^tripletMarginWithDistanceLoss cosine/,
    (_, [a, p, n]) =>
      new nn.TripletMarginWithDistanceLoss({
        distanceFunction: (x, y) => F.cosineSimilarity(x, y).neg().add(1),
        margin: 0.5,
        swap: true,
        reduction: 'sum',
      }).call(a, p, n),
  ],
  [/^pdist/, (r, [x]) => F.pdist(x, r.extra!.p === 'inf' ? Infinity : r.extra!.p)],
];

describe(`more of torch.nn against PyTorch ${FIX.torch}`, () => {
  for (const r of FIX.rows)
    it(r.name, () => {
      const call = CALLS.find(([re]) => re.test(r.name));
      expect(call, `a call for ${r.name}`).toBeDefined();
      tk.tidy(() => {
        const xs = r.inputs.map((v) => f64(v).requiresGrad_());
        const got = call![1](r, xs);
        const out = Array.isArray(got) ? got[0] : got;
        closeToTorch(out, r.out, 'out');
        if (r.indices !== null) expect(Array.isArray(got) && got[1].toArray()).toEqual(r.indices);
        out
          .mul(tk.arange(0, out.numel(), 1, { dtype: 'float64' }).mul(0.7).cos().reshape(out.shape))
          .sum()
          .backward();
        xs.forEach((x, i) => closeToTorch(x.grad!, r.grads[i], `d/d input ${i}`));
      });
    });
});

describe('the random ones, by their statistics', () => {
  it('alphaDropout keeps a standard normal input standard normal; featureAlphaDropout drops whole channels', () => {
    tk.tidy(() => {
      tk.manualSeed(1);
      const x = tk.randn([400, 500], { dtype: 'float64' });
      const y = F.alphaDropout(x, 0.2, true);
      expect(Math.abs(y.mean().item() as number)).toBeLessThan(0.01);
      expect(Math.abs((y.std().item() as number) - 1)).toBeLessThan(0.01);
      // a dropped unit is the same value everywhere: a' a (p - 1) with a' SELU's alpha * scale
      const a = 1 / Math.sqrt((1.7580993408473766 ** 2 * 0.2 + 1) * 0.8);
      const dropped = (-1.7580993408473766 * a * 0.8) as number;
      const frac = y.sub(dropped).abs().lt(1e-12).to('float64').mean().item() as number;
      expect(Math.abs(frac - 0.2)).toBeLessThan(0.01);
      expect(F.alphaDropout(x, 0.2, false).sub(x).abs().max().item()).toBe(0);
      const m = new nn.AlphaDropout(0.2).eval();
      expect(m.call(x).sub(x).abs().max().item()).toBe(0);
      const f = F.featureAlphaDropout(tk.randn([8, 50, 6, 6]), 0.5, true);
      // within a channel, a dropped one is constant
      const spread = f.amax([2, 3]).sub(f.amin([2, 3]));
      const droppedChannels = spread.lt(1e-12).to('float64').mean().item() as number;
      expect(droppedChannels).toBeGreaterThan(0.35);
      expect(droppedChannels).toBeLessThan(0.65);
      expect(new nn.FeatureAlphaDropout(0.5).eval().call(f).sub(f).abs().max().item()).toBe(0);
    });
  });

  it('rrelu: slopes within [lower, upper] in training, their mean in eval', () => {
    tk.tidy(() => {
      const x = tk.full([10000], -1, { dtype: 'float64' });
      const y = F.rrelu(x, { lower: 0.1, upper: 0.3, training: true }).neg();
      expect(y.min().item()).toBeGreaterThanOrEqual(0.1);
      expect(y.max().item()).toBeLessThanOrEqual(0.3);
      expect(Math.abs((y.mean().item() as number) - 0.2)).toBeLessThan(0.005);
      const m = new nn.RReLU(0.1, 0.3).eval();
      expect(m.call(tensor([-2, 3])).toArray()).toEqual([-0.4000000059604645, 3]);
      // gradient: the slope used (training) or 1 for positives
      const z = tensor([-1, 2], { dtype: 'float64' }).requiresGrad_();
      F.rrelu(z, { training: true }).sum().backward();
      const [g0, g1] = z.grad!.toArray() as number[];
      expect(g0).toBeGreaterThanOrEqual(1 / 8);
      expect(g0).toBeLessThanOrEqual(1 / 3);
      expect(g1).toBe(1);
    });
  });

  it('gumbelSoftmax: samples follow softmax(logits); hard is one-hot with the soft gradient', () => {
    tk.tidy(() => {
      tk.manualSeed(2);
      const logits = tensor([Math.log(0.6), Math.log(0.3), Math.log(0.1)], { dtype: 'float64' });
      const draws = F.gumbelSoftmax(logits.expand([20000, 3]), { hard: true });
      const freq = draws.mean(0).toArray() as number[];
      [0.6, 0.3, 0.1].forEach((p, i) => expect(Math.abs(freq[i] - p)).toBeLessThan(0.015));
      expect(draws.sum(1).sub(1).abs().max().item()).toBe(0);
      const l = logits.detach().requiresGrad_();
      const y = F.gumbelSoftmax(l, { tau: 0.5, hard: true });
      y.mul(tensor([1, 2, 3], { dtype: 'float64' }))
        .sum()
        .backward();
      expect(l.grad!.abs().sum().item()).toBeGreaterThan(0);
      const soft = F.gumbelSoftmax(logits, { tau: 2 });
      expect(soft.sum().item()).toBeCloseTo(1, 12);
    });
  });
});

describe('ParameterList and ParameterDict', () => {
  it('register their tensors as parameters under PyTorch names', () => {
    tk.tidy(() => {
      class Net extends nn.Module {
        scales = new nn.ParameterList([tk.ones([2]), nn.Parameter(tk.zeros([3]))]);
        gains = new nn.ParameterDict({ low: tk.ones([1]) });
        forward(x: Tensor) {
          return x.mul(this.scales.get(0)).add(this.gains.get('low'));
        }
      }
      const net = new Net();
      net.gains.set('high', tk.ones([1]));
      net.scales.append(tk.ones([4]));
      expect(net.namedParameters().map(([k]) => k)).toEqual([
        'scales.0',
        'scales.1',
        'scales.2',
        'gains.low',
        'gains.high',
      ]);
      expect(net.scales.length).toBe(3);
      expect([...net.scales].map((p) => p.shape[0])).toEqual([2, 3, 4]);
      expect(net.gains.keys()).toEqual(['low', 'high']);
      expect(net.scales.get(-1).requiresGrad).toBe(true);
      net
        .call(tk.ones([2]))
        .sum()
        .backward();
      expect(net.scales.get(0).grad!.toArray()).toEqual([1, 1]);
      expectTensorError(() => net.scales.get(3), 'INDEX_OUT_OF_RANGE', /index 3/);
      expectTensorError(() => net.gains.get('mid'), 'INVALID_ARGUMENT', /no parameter named/);
      expectTensorError(() => net.gains.set('forward', tk.ones([1])), 'INVALID_ARGUMENT', /reserved/);
      expectTensorError(() => net.scales.append(3 as never), 'INVALID_ARGUMENT', /not a Tensor/);
      expectTensorError(() => net.scales.forward(), 'NOT_IMPLEMENTED', /ParameterList/);
    });
  });
});

describe('errors and memory', () => {
  it('bad input is a TensorError naming the function and the value', () => {
    tk.tidy(() => {
      const x = tk.randn([2, 6, 4, 4]);
      expectTensorError(() => F.localResponseNorm(tk.randn([2, 3]), 2), 'SHAPE_MISMATCH', /3 or more dims/);
      expectTensorError(() => F.localResponseNorm(x, 0), 'INVALID_ARGUMENT', /size/);
      expectTensorError(() => F.lpPool2d(x, 0, 2), 'INVALID_ARGUMENT', /normType/);
      expectTensorError(() => F.channelShuffle(x, 4), 'INVALID_ARGUMENT', /6 channels do not split into 4/);
      expectTensorError(() => F.alphaDropout(x, 1.5, true), 'INVALID_ARGUMENT', /probability/);
      expectTensorError(() => F.rrelu(x, { lower: 0.5, upper: 0.1 }), 'INVALID_ARGUMENT', /lower 0.5/);
      expectTensorError(() => F.gumbelSoftmax(x, { tau: 0 }), 'INVALID_ARGUMENT', /tau/);
      expectTensorError(() => new nn.Softmax2d().call(tk.ones([2, 2])), 'SHAPE_MISMATCH', /Softmax2d/);
      const s = tk.randn([2, 3]);
      expectTensorError(() => F.multiLabelMarginLoss(s, int64([[0, 3, -1]])), 'SHAPE_MISMATCH', /same shape/);
      expectTensorError(
        () =>
          F.multiLabelMarginLoss(
            s,
            int64([
              [0, 3, -1],
              [1, -1, 0],
            ]),
          ),
        'INDEX_OUT_OF_RANGE',
        /3/,
      );
      expectTensorError(() => F.multiLabelMarginLoss(s, s), 'DTYPE_MISMATCH', /int64/);
      expectTensorError(() => F.tripletMarginWithDistanceLoss(s, s, s, { margin: 0 }), 'INVALID_ARGUMENT', /margin/);
      expectTensorError(
        () => F.tripletMarginWithDistanceLoss(s, s, s, { distanceFunction: 3 as never }),
        'INVALID_ARGUMENT',
        /distanceFunction/,
      );
      expectTensorError(
        () => F.tripletMarginWithDistanceLoss(s, s, s, { distanceFunction: () => 1 as never }),
        'INVALID_ARGUMENT',
        /must return a Tensor/,
      );
      expectTensorError(() => F.pdist(tk.ones([3])), 'SHAPE_MISMATCH', /\[N, M\]/);
      expectTensorError(() => F.pdist(s, -1), 'INVALID_ARGUMENT', /p must be >= 0/);
      expectTensorError(
        () => F.interpolate(x, { size: [2, 2], antialias: true }),
        'INVALID_ARGUMENT',
        /antialias is only supported for the bilinear and bicubic modes, not nearest/,
      );
    });
  });

  it('leaves nothing behind', () => {
    settleGarbage();
    const before = memory();
    const x = tk.randn([2, 6, 4, 4]).requiresGrad_();
    for (let i = 0; i < 20; i++)
      tk.tidy(() => {
        F.localResponseNorm(x, 3)
          .add(F.lpPool2d(x.abs().add(0.1), 2, 2).mean())
          .add(F.channelShuffle(x, 2))
          .add(F.alphaDropout(x, 0.3, true))
          .sum()
          .add(F.pdist(x.reshape([12, 16])).sum())
          .add(F.gumbelSoftmax(x, { hard: true }).sum())
          .backward();
      });
    x.grad!.dispose();
    x.dispose();
    settleGarbage();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});
