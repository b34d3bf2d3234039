// 3-D convolution and pooling, transposed 1-D/3-D convolution, max unpooling, the interpolation
// modes, divisorOverride, the conv modules' paddingMode, the 3-D norms and the initialisers
// (src/nn/volumetric.ts and friends) against PyTorch 1.13's values and gradients
// (test/fixtures/torch-volumetric.json, written by scripts/fixtures/torch_volumetric.py); then
// identities, second derivatives, modules, errors and memory.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { memory, nn, type Tensor } from '../src/index.js';
import { expectTensorError, settleGarbage } from './helpers/harness.js';
import { closeToTorch, f64, type Nested } from './helpers/torch-rows.js';

const F = nn.functional;
type Spec = { shape: number[]; seed: number; ties: boolean } | { values: Nested; dtype: string };
interface Case {
  inputs: Spec[];
  out: Nested;
  shape: number[];
  grads: (Nested | null)[];
  indices?: Nested;
  config: Record<string, unknown>;
}
const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-volumetric.json', import.meta.url), 'utf8')) as {
  torch: string;
  cases: Record<string, Case[]>;
  init: { eye: Nested; dirac: Nested; diracGroups: Nested; gains: Record<string, number> };
};

// The fixture's inputs, rebuilt as the script made them (sin(0.61 i + seed) * 1.5), or stored.
function input(spec: Spec): Tensor {
  if ('values' in spec)
    return spec.dtype === 'int64' ? tk.tensor(spec.values as number[], { dtype: 'int64' }) : f64(spec.values);
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const t = tk.arange(0, n, 1, { dtype: 'float64' }).mul(0.61).add(spec.seed).sin().mul(1.5).reshape(spec.shape);
  return spec.ties ? t.mul(2).round().div(2) : t;
}

// Runs fn on the case's inputs (floating ones requiring gradients) and checks the output, the
// indices when fn returns them, and the gradients of sum(cos(0.37 i) * out).
function check(name: string, c: Case, fn: (...xs: Tensor[]) => Tensor | [Tensor, Tensor]): void {
  tk.tidy(() => {
    const xs = c.inputs.map((s) => {
      const t = input(s);
      return t.dtype === 'float64' ? t.requiresGrad_() : t;
    });
    const r = fn(...xs);
    const [out, idx] = Array.isArray(r) ? r : [r, null];
    closeToTorch(out, c.out, `${name} out`);
    if (c.indices !== undefined) {
      expect(idx, `${name} indices`).not.toBeNull();
      expect(idx!.toArray(), `${name} indices`).toEqual(c.indices);
    }
    const w = tk.arange(0, out.numel(), 1, { dtype: 'float64' }).mul(0.37).cos().reshape(out.shape);
    out.mul(w).sum().backward();
    c.grads.forEach((g, i) => {
      if (g !== null) closeToTorch(xs[i].grad!, g, `${name} d/d input ${i}`);
    });
  });
}
// PyTorch's snake_case option names as ours.
const camel = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/_(\w)/g, (_, ch: string) => ch.toUpperCase()), v]));

describe(`3-D convolution and pooling against PyTorch ${FIX.torch}`, () => {
  for (const c of FIX.cases.conv3d)
    it(`conv3d ${JSON.stringify(c.config)} on [${c.inputs.map((s) => ('shape' in s ? s.shape : '')).join('], [')}]`, () =>
      check('conv3d', c, (x, w, b) => F.conv3d(x, w, b ?? null, camel(c.config))));
  for (const c of FIX.cases.convTranspose3d)
    it(`convTranspose3d ${JSON.stringify(c.config)}`, () =>
      check('convTranspose3d', c, (x, w, b) => F.convTranspose3d(x, w, b, camel(c.config))));
  for (const c of FIX.cases.convTranspose1d)
    it(`convTranspose1d ${JSON.stringify(c.config)}`, () =>
      check('convTranspose1d', c, (x, w, b) => F.convTranspose1d(x, w, b, camel(c.config))));
  for (const c of FIX.cases.maxPool3d)
    it(`maxPool3d ${JSON.stringify(c.config)}`, () => {
      const { kernel, ...o } = camel(c.config);
      check('maxPool3d', c, (x) => F.maxPool3d(x, kernel as number, { ...o, returnIndices: true }));
    });
  for (const c of FIX.cases.avgPool3d)
    it(`avgPool3d ${JSON.stringify(c.config)}`, () => {
      const { kernel, ...o } = camel(c.config);
      check('avgPool3d', c, (x) => F.avgPool3d(x, kernel as number, o));
    });
  for (const c of FIX.cases.avgPool2d)
    it(`avgPool2d ${JSON.stringify(c.config)}`, () => {
      const { kernel, ...o } = camel(c.config);
      check('avgPool2d', c, (x) => F.avgPool2d(x, kernel as number, o));
    });
  for (const c of FIX.cases.adaptive3d)
    it(`adaptive ${JSON.stringify(c.config)}`, () => {
      const size = c.config.size as [number, number, number];
      check('adaptive', c, (x) =>
        c.config.mode === 'avg' ? F.adaptiveAvgPool3d(x, size) : F.adaptiveMaxPool3d(x, size),
      );
    });
});

describe(`max unpooling, interpolation and the 3-D norms against PyTorch ${FIX.torch}`, () => {
  for (const c of FIX.cases.maxUnpool)
    it(`maxUnpool ${JSON.stringify(c.config)}`, () => {
      const { dims, kernel, outputSize, ...o } = c.config as {
        dims: 1 | 2 | 3;
        kernel: number;
        outputSize: number[] | null;
      };
      const unpool = [F.maxUnpool1d, F.maxUnpool2d, F.maxUnpool3d][dims - 1] as typeof F.maxUnpool3d;
      check(`maxUnpool${dims}d`, c, (y, i) => unpool(y, i, kernel, { ...o, outputSize }));
    });
  for (const c of FIX.cases.interpolate)
    it(`interpolate ${JSON.stringify(c.config)}`, () =>
      check('interpolate', c, (x) => F.interpolate(x, camel(c.config) as nn.functional.InterpolateOptions)));
  for (const c of FIX.cases.norms)
    it(`norm ${c.config.kind}`, () =>
      check(String(c.config.kind), c, (x, g, b) =>
        c.config.kind === 'batch3d' ? F.batchNorm(x, null, null, g, b, { training: true }) : F.instanceNorm(x, g, b),
      ));
});

describe(`the conv layers' paddingMode and the initialisers against PyTorch ${FIX.torch}`, () => {
  for (const c of FIX.cases.paddingMode)
    it(`Conv${String(c.config.dims)}d paddingMode ${String(c.config.mode)} padding ${JSON.stringify(c.config.padding)}`, () => {
      const { dims, mode, padding, kernel } = c.config as {
        dims: 1 | 2 | 3;
        mode: nn.PaddingMode;
        padding: number | number[] | 'same';
        kernel: number[];
      };
      const [x0, w0] = c.inputs.map(input);
      const inC = x0.shape[1],
        outC = w0.shape[0];
      const k = (dims === 1 ? kernel[0] : kernel) as [number, number, number];
      const opts = { padding: padding as 1, paddingMode: mode, dtype: 'float64' as const };
      const layer =
        dims === 1
          ? new nn.Conv1d(inC, outC, k[0], opts)
          : dims === 2
            ? new nn.Conv2d(inC, outC, k as unknown as [number, number], opts)
            : new nn.Conv3d(inC, outC, k, opts);
      expect(layer.paddingMode).toBe(mode);
      check(`Conv${dims}d`, c, (x, w, b) => {
        layer.weight = w;
        layer.bias = b;
        return layer.call(x) as Tensor;
      });
    });
  it('eye_, dirac_ and the gains as PyTorch', () => {
    tk.tidy(() => {
      closeToTorch(nn.init.eye_(tk.empty([3, 5])), FIX.init.eye, 'eye_');
      closeToTorch(nn.init.dirac_(tk.empty([4, 2, 3, 3])), FIX.init.dirac, 'dirac_');
      closeToTorch(nn.init.dirac_(tk.empty([6, 2, 3]), 2), FIX.init.diracGroups, 'dirac_ groups');
      for (const [k, v] of Object.entries(FIX.init.gains))
        expect(nn.init.calculateGain(k as nn.init.Nonlinearity)).toBe(v);
      // a Dirac-initialised convolution is the identity on its channels
      const conv = new nn.Conv3d(2, 2, 3, { padding: 1, bias: false, dtype: 'float64' });
      nn.init.dirac_(conv.weight);
      const x = tk.randn([1, 2, 3, 4, 5], { dtype: 'float64' });
      expect((conv.call(x) as Tensor).allclose(x)).toBe(true);
    });
  });
  it('orthogonal_, truncNormal_ and sparse_', () => {
    tk.tidy(() => {
      tk.manualSeed(7);
      for (const shape of [
        [5, 5],
        [3, 8],
        [8, 3],
        [4, 2, 3],
      ]) {
        const w = nn.init.orthogonal_(tk.empty(shape, { dtype: 'float64' }), 2);
        const m = w.reshape(shape[0], -1);
        const [r, c] = m.shape;
        const gram = r <= c ? m.matmul(m.t()) : m.t().matmul(m);
        expect(gram.allclose(tk.eye(Math.min(r, c), { dtype: 'float64' }).mul(4), { atol: 1e-12 })).toBe(true);
      }
      const t = nn.init.truncNormal_(tk.empty([20000], { dtype: 'float64' }), 1, 2, -1, 4);
      expect(t.min().item()).toBeGreaterThanOrEqual(-1);
      expect(t.max().item()).toBeLessThanOrEqual(4);
      // the truncated normal's mean: mu + sigma (phi(alpha) - phi(beta)) / (Phi(beta) - Phi(alpha))
      const phi = (z: number) => Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI);
      const alpha = -1,
        beta = 1.5;
      const Z = 0.9331927987311419 - 0.15865525393145707; // Phi(1.5) - Phi(-1)
      expect(t.mean().item()).toBeCloseTo(1 + (2 * (phi(alpha) - phi(beta))) / Z, 1);
      const wide = nn.init.truncNormal_(tk.empty([10000]), 0, 1, -Infinity, Infinity);
      expect(Number.isFinite(wide.abs().max().item())).toBe(true);
      const s = nn.init.sparse_(tk.empty([10, 6]), 0.3, 0.5);
      expect(s.eq(0).sum(0).toArray()).toEqual([3, 3, 3, 3, 3, 3]);
    });
  });
});

describe('3-D layers and identities', () => {
  it('conv3d with a depth-1 kernel is conv2d on every slice; convTranspose3d is its input gradient', () => {
    tk.tidy(() => {
      const x = tk.randn([2, 3, 4, 6, 5], { dtype: 'float64' });
      const w = tk.randn([4, 3, 1, 3, 3], { dtype: 'float64' });
      const y = F.conv3d(x, w, null, { padding: [0, 1, 1] });
      const slices = tk.stack(
        [0, 1, 2, 3].map((d) => F.conv2d(x.select(2, d), w.select(2, 0), null, { padding: 1 })),
        2,
      );
      expect(y.allclose(slices)).toBe(true);
      // <conv3d(x), g> = <x, convTranspose3d(g)>: the adjoint
      const w2 = tk.randn([4, 3, 2, 3, 2], { dtype: 'float64' });
      const o = { stride: [2, 1, 2] as [number, number, number], padding: [1, 1, 0] as [number, number, number] };
      const cx = F.conv3d(x, w2, null, o);
      const g = tk.randn(cx.shape, { dtype: 'float64' });
      const back = F.convTranspose3d(g, w2, null, { ...o, outputPadding: [0, 0, 1] });
      expect(back.shape).toEqual(x.shape);
      expect(cx.mul(g).sum().item()).toBeCloseTo(x.mul(back).sum().item() as number, 9);
    });
  });
  it("nn.MaxPool1d/2d/3d with returnIndices give the functional pools' [values, indices], for MaxUnpool", () => {
    tk.tidy(() => {
      const x1 = tk.rand([2, 3, 8], { dtype: 'float64' }).add(0.1);
      const x2 = x1.reshape([2, 3, 2, 4]),
        x3 = x1.reshape([2, 1, 3, 2, 4]);
      const [y1, i1] = new nn.MaxPool1d(2, { returnIndices: true }).call(x1);
      const [y2, i2] = new nn.MaxPool2d(2, { returnIndices: true }).call(x2);
      const [y3, i3] = new nn.MaxPool3d([1, 2, 2], { returnIndices: true }).call(x3);
      const [f2, g2] = F.maxPool2d(x2, 2, { returnIndices: true });
      expect(y2.equal(f2) && i2.equal(g2)).toBe(true);
      expect(y1.equal(new nn.MaxPool1d(2).call(x1))).toBe(true);
      expect(i1.dtype).toBe('int64');
      expect(y3.equal(new nn.MaxPool3d([1, 2, 2]).call(x3))).toBe(true);
      expect(new nn.MaxUnpool1d(2).call(y1, i1).ne(0).sum().item()).toBe(y1.numel());
      expect(new nn.MaxUnpool2d(2).call(y2, i2).shape).toEqual(x2.shape);
      expect(i3.shape).toEqual(y3.shape);
    });
  });

  it('maxUnpool3d inverts maxPool3d on the maxima; the pools agree with 2-D pools on one slice', () => {
    tk.tidy(() => {
      // positive: a window of negative values would re-pool to the unpooled zeros around its maximum
      const x = tk.rand([2, 3, 4, 6, 6], { dtype: 'float64' }).add(0.1);
      const [y, i] = F.maxPool3d(x, 2, { returnIndices: true });
      const u = F.maxUnpool3d(y, i, 2);
      expect(u.shape).toEqual(x.shape);
      expect(F.maxPool3d(u, 2).sub(y).abs().max().item()).toBe(0);
      expect(u.ne(0).sum().item()).toBe(y.numel());
      const one = x.narrow(2, 0, 1);
      expect(
        F.avgPool3d(one, [1, 3, 3], { stride: 1, padding: [0, 1, 1] })
          .squeeze(2)
          .allclose(F.avgPool2d(one.squeeze(2), 3, { stride: 1, padding: 1 })),
      ).toBe(true);
      expect(
        F.adaptiveAvgPool3d(x, 1)
          .flatten()
          .allclose(x.mean([2, 3, 4]).flatten()),
      ).toBe(true);
      expect(
        F.adaptiveMaxPool3d(x, 1)
          .flatten()
          .allclose(x.amax([2, 3, 4]).flatten()),
      ).toBe(true);
    });
  });
  it('unbatched inputs, second derivatives and float64 gradchecks', () => {
    tk.tidy(() => {
      const x = tk.randn([2, 3, 4, 3], { dtype: 'float64' }).requiresGrad_();
      const w = tk.randn([2, 2, 2, 2, 2], { dtype: 'float64' }).requiresGrad_();
      expect(F.conv3d(x, w).shape).toEqual([2, 2, 3, 2]);
      expect(F.convTranspose3d(x, w.transpose(0, 1)).shape).toEqual([2, 4, 5, 4]);
      expect(F.maxPool3d(x, 2).shape).toEqual([2, 1, 2, 1]);
      expect(F.avgPool3d(x, 2).shape).toEqual([2, 1, 2, 1]);
      expect(F.convTranspose1d(x.select(1, 0).select(1, 0), w.select(2, 0).select(2, 0)).shape).toEqual([2, 4]);
      const gc = tk.autograd.gradcheck;
      const gg = tk.autograd.gradgradcheck;
      const small = tk.randn([1, 2, 3, 4, 3], { dtype: 'float64' }).requiresGrad_();
      expect(gg((a, b) => F.conv3d(a, b, null, { padding: [1, 0, 1], dilation: [2, 1, 1] }), [small, w])).toBe(true);
      expect(
        gg((a, b) => F.convTranspose3d(a, b, null, { stride: [2, 1, 1], outputPadding: [1, 0, 0] }), [small, w]),
      ).toBe(true);
      expect(gc((a) => F.maxPool3d(a, 2, { stride: 1, padding: 1 }), [small])).toBe(true);
      expect(
        gc((a) => F.avgPool3d(a, [2, 3, 2], { padding: 1, countIncludePad: false, ceilMode: true }), [small]),
      ).toBe(true);
      expect(gc((a) => F.adaptiveAvgPool3d(a, [2, 3, 2]), [small])).toBe(true);
      expect(gg((a) => F.interpolate(a, { size: [5, 3, 4], mode: 'trilinear' }), [small])).toBe(true);
      expect(gg((a) => F.interpolate(a.select(2, 0), { size: [5, 6], mode: 'bicubic' }), [small])).toBe(true);
    });
  });
  it('the layers: shapes, parameters, outputSize, state dicts and modes', () => {
    tk.tidy(() => {
      const c3 = new nn.Conv3d(3, 8, [3, 5, 5], { stride: [1, 2, 2], padding: [1, 2, 2], groups: 1 });
      expect(c3.weight.shape).toEqual([8, 3, 3, 5, 5]);
      expect(Object.keys(c3.stateDict())).toEqual(['weight', 'bias']);
      expect((c3.call(tk.randn([2, 3, 4, 16, 16])) as Tensor).shape).toEqual([2, 8, 4, 8, 8]);
      const t3 = new nn.ConvTranspose3d(8, 4, 2, { stride: 2, bias: false });
      expect(t3.weight.shape).toEqual([8, 4, 2, 2, 2]);
      expect(t3.bias).toBeNull();
      const z = tk.randn([1, 8, 3, 4, 5]);
      expect((t3.call(z) as Tensor).shape).toEqual([1, 4, 6, 8, 10]);
      expect((t3.call(z, [7, 9, 11]) as Tensor).shape).toEqual([1, 4, 7, 9, 11]);
      const t1 = new nn.ConvTranspose1d(4, 2, 3, { stride: 2, padding: 1 });
      expect((t1.call(tk.randn([2, 4, 5]), [10]) as Tensor).shape).toEqual([2, 2, 10]);
      expect((new nn.ConvTranspose2d(4, 2, 3, { stride: 2 }).call(tk.randn([4, 5, 5])) as Tensor).shape).toEqual([
        2, 11, 11,
      ]);
      const mp = new nn.MaxPool3d(2, { returnIndices: true });
      const [v, i] = mp.call(tk.randn([1, 2, 4, 4, 4])) as [Tensor, Tensor];
      expect((new nn.MaxUnpool3d(2).call(v, i) as Tensor).shape).toEqual([1, 2, 4, 4, 4]);
      expect((new nn.AvgPool3d(2, { divisorOverride: 1 }).call(tk.ones([1, 1, 2, 2, 2])) as Tensor).item()).toBe(8);
      expect((new nn.AvgPool2d(2, { divisorOverride: 2 }).call(tk.ones([1, 1, 2, 2])) as Tensor).item()).toBe(2);
      expect((new nn.AdaptiveAvgPool3d([1, null, 2]).call(tk.randn([1, 2, 3, 4, 5])) as Tensor).shape).toEqual([
        1, 2, 1, 4, 2,
      ]);
      expect((new nn.AdaptiveMaxPool3d(2).call(tk.randn([2, 3, 4, 5])) as Tensor).shape).toEqual([2, 2, 2, 2]);
      expect((new nn.ReflectionPad3d([1, 1, 2, 0, 0, 1]).call(tk.randn([1, 1, 2, 3, 4])) as Tensor).shape).toEqual([
        1, 1, 3, 5, 6,
      ]);
      expect((new nn.ZeroPad3d(1).call(tk.ones([1, 1, 1, 1, 1])) as Tensor).sum().item()).toBe(1);
      expect((new nn.ConstantPad3d(1, 2).call(tk.ones([1, 1, 1, 1])) as Tensor).sum().item()).toBe(1 + 26 * 2);
      expect((new nn.ReplicationPad3d(1).call(tk.ones([1, 2, 2, 2])) as Tensor).shape).toEqual([1, 4, 4, 4]);
      const d3 = new nn.Dropout3d(0.5);
      const dropped = d3.call(tk.ones([4, 8, 2, 2, 2])) as Tensor;
      const perChannel = dropped.amax([2, 3, 4]).sub(dropped.amin([2, 3, 4]));
      expect(perChannel.abs().max().item()).toBe(0); // whole channels kept or zeroed
      d3.eval();
      expect((d3.call(tk.ones([2, 2, 1, 1, 1])) as Tensor).sum().item()).toBe(4);
    });
  });
  it('BatchNorm3d and InstanceNorm1d/3d, with running statistics', () => {
    tk.tidy(() => {
      const x = tk.randn([4, 3, 2, 3, 2], { dtype: 'float64' }).mul(2).add(1);
      const bn = new nn.BatchNorm3d(3, { dtype: 'float64' });
      const y = bn.call(x) as Tensor;
      expect(y.mean([0, 2, 3, 4]).allclose(tk.zeros([3], { dtype: 'float64' }), { atol: 1e-12 })).toBe(true);
      expect(bn.runningMean!.allclose(x.mean([0, 2, 3, 4]).mul(0.1))).toBe(true);
      const inorm = new nn.InstanceNorm3d(3, { trackRunningStats: true, affine: true, dtype: 'float64' });
      const yi = inorm.call(x) as Tensor;
      expect(yi.mean([2, 3, 4]).allclose(tk.zeros([4, 3], { dtype: 'float64' }), { atol: 1e-12 })).toBe(true);
      // PyTorch's update: the batch mean of the per-instance means and unbiased variances
      expect(inorm.runningMean!.allclose(x.mean([2, 3, 4]).mean(0).mul(0.1))).toBe(true);
      expect(inorm.runningVar!.allclose(x.var([2, 3, 4]).mean(0).mul(0.1).add(0.9))).toBe(true);
      inorm.eval();
      const ye = inorm.call(x.select(0, 0)) as Tensor; // unbatched, normalised by the running statistics
      const rm = inorm.runningMean!.reshape(3, 1, 1, 1),
        rv = inorm.runningVar!.reshape(3, 1, 1, 1);
      expect(ye.allclose(x.select(0, 0).sub(rm).div(rv.add(1e-5).sqrt()))).toBe(true);
      const i1 = new nn.InstanceNorm1d(3);
      expect((i1.call(tk.randn([2, 3, 5])) as Tensor).shape).toEqual([2, 3, 5]);
      expect(i1.runningMean).toBeNull();
      expect(Object.keys(new nn.InstanceNorm2d(2, { affine: true }).stateDict())).toEqual(['weight', 'bias']);
    });
  });
});

describe('batchNorm: the fused native op', () => {
  // The composite the fused op replaced, as the reference: (x - mean) / sqrt(var + eps) w + b.
  const composite = (x: Tensor, w: Tensor, b: Tensor, m?: Tensor, v?: Tensor) => {
    const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
    const cs = x.shape.map((s, i) => (i === 1 ? s : 1));
    const mean = m ? m.reshape(cs) : x.mean(dims, { keepdim: true });
    const variance = v ? v.reshape(cs) : x.var(dims, { correction: 0, keepdim: true });
    return x.sub(mean).div(variance.add(1e-5).sqrt()).mul(w.reshape(cs)).add(b.reshape(cs));
  };
  it('values, gradients and second derivatives match the composite; running statistics move as PyTorch', () => {
    tk.tidy(() => {
      const x = tk.randn([3, 4, 5, 2], { dtype: 'float64' }).mul(3).add(100).requiresGrad_();
      const w = tk.rand([4], { dtype: 'float64' }).add(0.5).requiresGrad_(),
        b = tk.randn([4], { dtype: 'float64' }).requiresGrad_();
      const g = tk.randn(x.shape, { dtype: 'float64' });
      const rm = tk.zeros([4], { dtype: 'float64' }),
        rv = tk.ones([4], { dtype: 'float64' });
      const y = F.batchNorm(x, rm, rv, w, b, { training: true, momentum: 0.3 });
      expect(y.allclose(composite(x, w, b), { rtol: 1e-12, atol: 1e-12 })).toBe(true);
      const [gx, gw, gb] = tk.autograd.grad(y, [x, w, b], { gradOutputs: [g] });
      const [cx, cw, cb] = tk.autograd.grad(composite(x, w, b), [x, w, b], { gradOutputs: [g] });
      for (const [a, c] of [
        [gx, cx],
        [gw, cw],
        [gb, cb],
      ])
        expect(a!.allclose(c!, { rtol: 1e-9, atol: 1e-9 })).toBe(true);
      const n = x.numel() / 4;
      expect(rm.allclose(x.mean([0, 2, 3]).mul(0.3))).toBe(true);
      expect(rv.allclose(x.var([0, 2, 3]).mul(0.3).add(0.7))).toBe(true);
      expect(n).toBe(30);
      // second derivatives: the recorded backward is made of differentiable ops
      const small = tk.randn([3, 2, 2], { dtype: 'float64' }).requiresGrad_();
      const sw = tk.rand([2], { dtype: 'float64' }).add(0.5).requiresGrad_(),
        sb = tk.randn([2], { dtype: 'float64' }).requiresGrad_();
      expect(
        tk.autograd.gradgradcheck(
          (a, c, d) => F.batchNorm(a, null, null, c, d, { training: true }).square(),
          [small, sw, sb],
        ),
      ).toBe(true);
      const em = tk.randn([2], { dtype: 'float64' }),
        ev = tk.rand([2], { dtype: 'float64' }).add(0.5);
      expect(
        tk.autograd.gradgradcheck((a, c) => F.batchNorm(a, em, ev, c, sb, { training: false }).square(), [small, sw]),
      ).toBe(true);
      const e = F.batchNorm(x, em.repeat(2), ev.repeat(2), w, b, { training: false });
      expect(e.allclose(composite(x, w, b, em.repeat(2), ev.repeat(2)), { rtol: 1e-12, atol: 1e-12 })).toBe(true);
    });
  });
  it('float16 and bfloat16 compute in float32; strided input; non-CPU-ready cases take the composite', () => {
    tk.tidy(() => {
      const x = tk.randn([4, 3, 6]);
      const w = tk.rand([3]).add(0.5),
        b = tk.randn([3]);
      const ref = F.batchNorm(x, null, null, w, b, { training: true });
      for (const dt of ['float16', 'bfloat16'] as const) {
        const y = F.batchNorm(x.to(dt), null, null, w.to(dt), b.to(dt), { training: true });
        expect(y.dtype).toBe(dt);
        expect(y.to('float32').allclose(ref, { atol: dt === 'float16' ? 1e-2 : 5e-2, rtol: 1e-2 })).toBe(true);
      }
      const xt = tk.randn([6, 3, 4]).transpose(0, 2); // [4, 3, 6], strided
      expect(
        F.batchNorm(xt, null, null, w, b, { training: true }).allclose(composite(xt.contiguous(), w, b), {
          atol: 1e-5,
        }),
      ).toBe(true);
      // a float64 weight on a float32 input: the composite (dtype promotion), as before
      expect(F.batchNorm(x, null, null, w.to('float64'), null, { training: true }).dtype).toBe('float64');
    });
  });
  it('nn.grad.batchNorm and its errors', () => {
    tk.tidy(() => {
      const x = tk.randn([4, 2, 3], { dtype: 'float64' });
      const g = tk.randn([4, 2, 3], { dtype: 'float64' });
      const w = tk.ones([2], { dtype: 'float64' });
      const mean = x.mean([0, 2]),
        variance = x.var([0, 2], { correction: 0 });
      const r = nn.grad.batchNorm(g, x, w, mean, variance);
      expect(r.bias.allclose(g.sum([0, 2]))).toBe(true);
      // statistics of another floating dtype are read in the compute dtype
      expect(nn.grad.batchNorm(g, x, w, mean.to('float32'), variance).bias.allclose(r.bias)).toBe(true);
      expectTensorError(
        () => nn.grad.batchNorm(g, x, w, mean.to('int32'), variance),
        'DTYPE_MISMATCH',
        /batchNorm: the statistics must be floating, got int32 and float64/,
      );
      expectTensorError(
        () => nn.grad.batchNorm(g.narrow(0, 0, 2), x, w, mean, variance),
        'SHAPE_MISMATCH',
        /batchNorm: the output's gradient must be float64 \[4, 2, 3\]/,
      );
      expectTensorError(
        () => F.batchNorm(tk.randn([1, 3]), null, null, null, null, { training: true }),
        'INVALID_ARGUMENT',
        /more than 1 value per channel/,
      );
    });
  });
});

describe('3-D layers: bad input', () => {
  const x = () => tk.randn([1, 2, 3, 4, 4]);
  it('each error names the function and the offending value', () => {
    expectTensorError(() => F.conv3d(x(), tk.randn([2, 2, 3, 3])), 'SHAPE_MISMATCH', /conv3d: expected a 5-D weight/);
    expectTensorError(
      () => F.conv3d(tk.randn([2, 3]), tk.randn([2, 2, 1, 1, 1])),
      'SHAPE_MISMATCH',
      /conv3d: expected \[N, C, D, H, W\]/,
    );
    expectTensorError(
      () => F.conv3d(x(), tk.randn([2, 3, 1, 1, 1])),
      'SHAPE_MISMATCH',
      /conv3d: weight \[2, 3, 1, 1, 1\] with groups 1 expects 3 input channels/,
    );
    expectTensorError(
      () => F.conv3d(x(), tk.randn([2, 2, 1, 1, 1], { dtype: 'float64' })),
      'DTYPE_MISMATCH',
      /conv3d: input is float32 but weight is float64/,
    );
    expectTensorError(
      () => F.conv3d(x(), tk.randn([2, 2, 5, 1, 1])),
      'SHAPE_MISMATCH',
      /conv3d: the padded input depth 3 is smaller than the dilated kernel depth 5/,
    );
    expectTensorError(
      () => F.conv3d(x(), tk.randn([2, 2, 1, 1, 1]), null, { stride: 2, padding: 'same' }),
      'INVALID_ARGUMENT',
      /padding='same' is not supported for strided/,
    );
    expectTensorError(
      () => F.conv3d(x(), tk.randn([2, 2, 1, 1, 1]), null, { stride: [1, 2] as never }),
      'INVALID_ARGUMENT',
      /conv3d: 'stride' must be an integer or three integers/,
    );
    expectTensorError(
      () => F.conv3d(x(), tk.randn([2, 2, 1, 1, 1]), null, { dilation: 2 ** 40 }),
      'INVALID_ARGUMENT',
      /conv3d: 'dilation' must be in \[1, 2\^20\]/,
    );
    expectTensorError(
      () => F.convTranspose3d(x(), tk.randn([2, 1, 2, 2, 2]), null, { stride: 2, outputPadding: 2 }),
      'INVALID_ARGUMENT',
      /convTranspose3d: outputPadding must be smaller than either stride or dilation/,
    );
    expectTensorError(
      () => F.convTranspose3d(x(), tk.randn([3, 1, 2, 2, 2])),
      'SHAPE_MISMATCH',
      /convTranspose3d: weight \[3, 1, 2, 2, 2\] with groups 1 expects 3 input channels/,
    );
    expectTensorError(
      () => F.maxPool3d(x(), 2, { padding: 2 }),
      'INVALID_ARGUMENT',
      /maxPool3d: padding should be at most half of the kernel size/,
    );
    expectTensorError(
      () => F.maxPool3d(x(), [4, 1, 1]),
      'SHAPE_MISMATCH',
      /maxPool3d: the output size along dim 2 would be 0, input size 3/,
    );
    expectTensorError(
      () => F.avgPool3d(x(), 2, { divisorOverride: 0 }),
      'INVALID_ARGUMENT',
      /avgPool3d: divisorOverride must not be zero/,
    );
    expectTensorError(
      () => F.avgPool2d(tk.ones([1, 1, 2, 2]), 2, { divisorOverride: 1.5 }),
      'INVALID_ARGUMENT',
      /avgPool2d: 'divisorOverride' must be an integer/,
    );
    expectTensorError(
      () => F.adaptiveAvgPool3d(x(), [1, 2] as never),
      'INVALID_ARGUMENT',
      /adaptiveAvgPool3d: outputSize must be a size or \[d, h, w\]/,
    );
    expectTensorError(
      () => F.adaptiveMaxPool3d(x(), 2 ** 32),
      'INVALID_ARGUMENT',
      /adaptiveMaxPool3d: outputSize must be in \[1, 65536\]/,
    );
    const [y, i] = F.maxPool2d(tk.randn([1, 1, 7, 6]), 3, { stride: 2, padding: 1, returnIndices: true });
    expectTensorError(
      () => F.maxUnpool2d(y, i, 3, { stride: 2, padding: 1 }),
      'INDEX_OUT_OF_RANGE',
      /maxUnpool2d: found an invalid max index \d+ \(output size 35\)/,
    );
    expectTensorError(
      () => F.maxUnpool2d(y, i.to('int32'), 3),
      'DTYPE_MISMATCH',
      /maxUnpool2d: expected int64 indices/,
    );
    expectTensorError(
      () => F.maxUnpool2d(y, i, 3, { stride: 2, padding: 1, outputSize: [9, 9] }),
      'INVALID_ARGUMENT',
      /outputSize \[9, 9\] must be within a stride of the default size \[7, 5\]/,
    );
    expectTensorError(
      () => F.interpolate(tk.ones([1, 1, 4]), { size: 3, mode: 'bilinear' }),
      'SHAPE_MISMATCH',
      /interpolate: bilinear needs a 4-D input/,
    );
    expectTensorError(
      () => F.interpolate(tk.ones([1, 1, 4]), { size: 3, mode: 'nearest', alignCorners: true }),
      'INVALID_ARGUMENT',
      /alignCorners can only be set with the linear modes and bicubic, not nearest/,
    );
    expectTensorError(
      () => F.interpolate(tk.ones([1, 1, 4]), { size: 3, mode: 'cubic' as never }),
      'INVALID_ARGUMENT',
      /interpolate: 'mode'/,
    );
    expectTensorError(
      () => new nn.Conv2d(2, 2, 3, { paddingMode: 'mirror' as never }),
      'INVALID_ARGUMENT',
      /Conv2d: 'paddingMode'/,
    );
    expectTensorError(
      () => new nn.Conv3d(2, 2, [3, 3] as never),
      'INVALID_ARGUMENT',
      /Conv3d: 'kernelSize' must be an integer >= 1 or 3 of them/,
    );
    expectTensorError(
      () => new nn.Conv3d(3, 2, 3, { groups: 2 }),
      'INVALID_ARGUMENT',
      /Conv3d: groups \(2\) must divide inChannels \(3\)/,
    );
    expectTensorError(
      () => new nn.ConvTranspose3d(2, 2, 3, { stride: 2 }).call(x(), [9, 9, 9]),
      'INVALID_ARGUMENT',
      /ConvTranspose3d: requested an output size of \[9, 9, 9\], but valid sizes range from 7 to 8/,
    );
    expectTensorError(
      () => new nn.InstanceNorm3d(3).call(x()),
      'SHAPE_MISMATCH',
      /InstanceNorm3d\(3\): expected \[N, 3, ...3 spatial\]/,
    );
    expectTensorError(
      () => new nn.BatchNorm3d(2).call(tk.randn([2, 2, 3])),
      'SHAPE_MISMATCH',
      /BatchNorm3d: expected a 5-D input/,
    );
    expectTensorError(
      () => nn.init.dirac_(tk.empty([3, 2, 3]), 2),
      'INVALID_ARGUMENT',
      /dirac_: dim 0 \(3\) must be divisible by groups/,
    );
    expectTensorError(
      () => nn.init.orthogonal_(tk.empty([3])),
      'SHAPE_MISMATCH',
      /orthogonal_: only tensors with 2 or more dimensions/,
    );
    expectTensorError(
      () => nn.init.truncNormal_(tk.empty([3]), 0, 1, 2, 1),
      'INVALID_ARGUMENT',
      /truncNormal_: expects a < b, got a 2, b 1/,
    );
    expectTensorError(
      () => nn.init.sparse_(tk.empty([3, 2]), 1.5),
      'INVALID_ARGUMENT',
      /sparse_: sparsity must be in \[0, 1\]/,
    );
  });
  it('leaves nothing behind', () => {
    const step = () =>
      tk.tidy(() => {
        const v = tk.randn([1, 2, 4, 5, 4]).requiresGrad_();
        const w = tk.randn([2, 2, 2, 2, 2]).requiresGrad_();
        const [p, i] = F.maxPool3d(F.conv3d(v, w, null, { padding: 1 }), 2, { returnIndices: true });
        const u = F.maxUnpool3d(p, i, 2, { outputSize: [5, 6, 5] });
        F.convTranspose3d(F.avgPool3d(u, 2, { ceilMode: true }), w, null, { stride: 2 })
          .add(F.interpolate(v, { size: [3, 3, 3], mode: 'trilinear' }).sum())
          .sum()
          .backward();
      });
    step();
    settleGarbage();
    const before = memory();
    for (let k = 0; k < 100; k++) step();
    settleGarbage();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});

describe('nn.Transformer', () => {
  const FT = JSON.parse(readFileSync(new URL('./fixtures/torch-transformer.json', import.meta.url), 'utf8')) as {
    torch: string;
    state: Record<string, Nested>;
    src: Nested;
    tgt: Nested;
    tgtMask: Nested;
    srcKeyPaddingMask: boolean[][];
    out: Nested;
    xavierBound: number;
  };
  it(`loads PyTorch ${FT.torch}'s state dict under its names and computes its output`, () => {
    tk.tidy(() => {
      const model = new nn.Transformer({
        dModel: 8,
        nhead: 2,
        numEncoderLayers: 2,
        numDecoderLayers: 1,
        dimFeedforward: 16,
        dropout: 0,
        batchFirst: true,
      });
      expect(Object.keys(model.stateDict()).sort()).toEqual(Object.keys(FT.state).sort());
      // PyTorch's initialisation: matrices Xavier-uniform, within sqrt(6 / (fanIn + fanOut))
      expect(model.encoder.stateDict()['layers.0.linear1.weight'].abs().max().item()).toBeLessThanOrEqual(
        Math.sqrt(6 / (8 + 16)),
      );
      model.to('float64');
      model.loadStateDict(Object.fromEntries(Object.entries(FT.state).map(([k, v]) => [k, f64(v)])));
      model.eval();
      const mask = nn.Transformer.generateSquareSubsequentMask(4).to('float64');
      closeToTorch(mask, FT.tgtMask, 'generateSquareSubsequentMask');
      const kpm = tk.tensor(FT.srcKeyPaddingMask, { dtype: 'bool' });
      const out = model.call(f64(FT.src), f64(FT.tgt), {
        tgtMask: mask,
        srcKeyPaddingMask: kpm,
        memoryKeyPaddingMask: kpm,
      }) as Tensor;
      closeToTorch(out, FT.out, 'Transformer output');
    });
  });
  it('checks its inputs; custom stacks', () => {
    tk.tidy(() => {
      const m = new nn.Transformer({
        dModel: 4,
        nhead: 2,
        numEncoderLayers: 1,
        numDecoderLayers: 1,
        dimFeedforward: 8,
      });
      expectTensorError(
        () => m.call(tk.randn([5, 2, 4]), tk.randn([3, 3, 4])),
        'SHAPE_MISMATCH',
        /Transformer: the batch number of src and tgt must be equal/,
      );
      expectTensorError(
        () => m.call(tk.randn([5, 2, 4]), tk.randn([3, 2, 6])),
        'SHAPE_MISMATCH',
        /Transformer: the feature number of src and tgt must be dModel \(4\)/,
      );
      expectTensorError(
        () => new nn.Transformer({ customEncoder: 3 as never }),
        'INVALID_ARGUMENT',
        /'customEncoder' must be a Module/,
      );
      const enc = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8 }), 1);
      const custom = new nn.Transformer({
        dModel: 4,
        nhead: 2,
        numDecoderLayers: 1,
        dimFeedforward: 8,
        customEncoder: enc,
      });
      expect(custom.encoder).toBe(enc);
      expect((custom.call(tk.randn([5, 2, 4]), tk.randn([3, 2, 4])) as Tensor).shape).toEqual([3, 2, 4]);
    });
  });
});
