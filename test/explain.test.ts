// explain: Captum's reference values on its BasicModel_MultiLayer, exactness on linear models,
// module hooks, and the properties attributions of a trained CNN must have (completeness,
// faithfulness by deletion, sensitivity to the weights); pictures and leaks.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { ShapesNet } from '../examples/cnn-shapes.js';
import { trainShapes } from '../examples/explain-shapes.js';
import * as tk from '../src/index.js';
import { explain, manualSeed, memory, nn, noGrad, tensor, tidy, type Tensor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';

// Captum's tests/helpers/basic_models.py BasicModel_MultiLayer.
class BasicModelMultiLayer extends nn.Module {
  linear0 = new nn.Linear(3, 3);
  linear1 = new nn.Linear(3, 4);
  linear2 = new nn.Linear(4, 2);
  constructor() {
    super();
    noGrad(() => {
      this.linear0.weight.copy_(tk.eye(3));
      this.linear0.bias!.zero_();
      this.linear1.weight.fill_(1);
      this.linear1.bias!.copy_(tensor([-10, 1, 1, 1]));
      this.linear2.weight.fill_(1);
      this.linear2.bias!.copy_(tensor([-1, 1]));
    });
  }
  forward(x: Tensor): Tensor {
    return this.linear2.forward(this.linear1.forward(this.linear0.forward(x)).relu());
  }
}

const close = (t: Tensor, want: number[][], tol = 1e-4) =>
  (t.toArray() as number[][]).forEach((row, i) =>
    row.forEach((v, j) => expect(v).toBeCloseTo(want[i]![j]!, -Math.log10(tol))),
  );

describe("Captum's BasicModel_MultiLayer at x = [20, 50, 30], target 0, baseline 0", () => {
  const m = new BasicModelMultiLayer();
  const x = tensor([[20, 50, 30]]);
  it('integrated gradients: each rule gives Captum’s attributions and delta', () =>
    tidy(() => {
      const run = (method: explain.IntegrationMethod) =>
        explain.integratedGradients(m, x, { target: 0, method, returnConvergenceDelta: true });
      const gl = run('gausslegendre');
      close(gl.attributions, [[78.036, 195.09, 117.054]], 1e-3);
      expect(gl.delta.item()).toBeCloseTo(0.18, 2);
      for (const method of ['riemann_right', 'riemann_middle'] as const) {
        const r = run(method);
        close(r.attributions, [[78, 195, 117]]);
        expect(r.delta.item()).toBeCloseTo(0, 4);
      }
      expect(run('riemann_left').delta.item()).toBeCloseTo(-2, 4);
      // Captum's trapezoid steps sum to 1 - 1/n (first and last halved), matched on purpose.
      expect(run('riemann_trapezoid').delta.item()).toBeCloseTo(-7, 4);
      const { steps } = explain.integrationRule('riemann_trapezoid', 50);
      expect(steps.reduce((a, b) => a + b, 0)).toBeCloseTo(1 - 1 / 50, 12);
    }));
  it('saliency [4, 4, 4]; occlusion with window 1 [80, 200, 120]; feature ablation the same', () =>
    tidy(() => {
      close(explain.saliency(m, x, { target: 0 }), [[4, 4, 4]]);
      close(explain.occlusion(m, x, { target: 0, windowShape: [1] }), [[80, 200, 120]]);
      close(explain.featureAblation(m, x, { target: 0 }), [[80, 200, 120]]);
      // One group for the first two features: both get the group's drop.
      close(explain.featureAblation(m, x, { target: 0, featureMask: tensor([0, 0, 1], { dtype: 'int64' }) }), [
        [280, 280, 120],
      ]);
    }));
  it('internalBatchSize and per-sample targets give the same attributions', () =>
    tidy(() => {
      const xs = tensor([
        [20, 50, 30],
        [1, 2, 3],
      ]);
      const all = explain.integratedGradients(m, xs, { target: [0, 1] });
      const chunked = explain.integratedGradients(m, xs, { target: [0, 1], internalBatchSize: 7 });
      expect(chunked.sub(all).abs().max().item()).toBeLessThan(1e-4);
      close(
        all,
        [[78.036, 195.09, 117.054], [1, 2, 3].map((v) => v * 4)].map((r, i) => (i === 1 ? [3, 6, 9] : r)),
        1e-3,
      );
    }));
});

describe('a linear model: attributions equal (x - baseline) * w', () => {
  manualSeed(1);
  const lin = new nn.Linear(5, 1, { dtype: 'float64' });
  const f = (v: Tensor) => lin.forward(v).reshape([-1]);
  const x = tk.randn([4, 5], { dtype: 'float64' });
  const base = tk.randn([1, 5], { dtype: 'float64' });
  const want = () => x.sub(base).mul(lin.weight);
  it.each(['gausslegendre', 'riemann_left', 'riemann_right', 'riemann_middle'] as const)(
    'integrated gradients, %s',
    (method) =>
      tidy(() => {
        const a = explain.integratedGradients(f, x, { baselines: base, method, nSteps: 7 });
        expect(a.sub(want()).abs().max().item()).toBeLessThan(1e-10);
      }),
  );
  it('input x gradient, gradient SHAP and occlusion', () =>
    tidy(() => {
      expect(explain.inputXGradient(f, x).sub(x.mul(lin.weight)).abs().max().item()).toBeLessThan(1e-12);
      const shap = explain.gradientShap(f, x, { baselines: base, nSamples: 3 });
      expect(shap.sub(want()).abs().max().item()).toBeLessThan(1e-10);
      const occ = explain.occlusion(f, x, { windowShape: [1], baselines: base });
      expect(occ.sub(want()).abs().max().item()).toBeLessThan(1e-10);
      // smoothgrad of a constant gradient is that gradient
      const sg = explain.noiseTunnel(explain.saliency, f, x, { nSamples: 3, stdevs: 0.5, abs: false });
      expect(
        sg
          .sub(lin.weight.expand([4, 5]))
          .abs()
          .max()
          .item(),
      ).toBeLessThan(1e-12);
    }));
  it('bad input is a TensorError naming the method', () => {
    expectTensorError(() => explain.integratedGradients(f, x, { nSteps: 0 }), 'INVALID_ARGUMENT', /nSteps/);
    expectTensorError(
      () => explain.integratedGradients(f, x, { method: 'simpson' as never }),
      'INVALID_ARGUMENT',
      /method/,
    );
    expectTensorError(() => explain.saliency(lin, x, { target: 5 }), 'INDEX_OUT_OF_RANGE', /target 5/);
    expectTensorError(() => explain.occlusion(f, x, { windowShape: [9] }), 'INVALID_ARGUMENT', /windowShape/);
    expectTensorError(
      () => explain.integratedGradients(f, x, { baselines: tk.zeros([3]) }),
      'SHAPE_MISMATCH',
      /baselines/,
    );
    expectTensorError(() => explain.heatmap(tk.zeros([2, 3, 4, 5])), 'SHAPE_MISMATCH', /heatmap/);
  });
});

describe('module hooks', () => {
  it('forward, pre and full backward hooks fire for forward() and call(), get what PyTorch passes, and come off', () =>
    tidy(() => {
      manualSeed(2);
      const seq = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
      const l0 = seq.children()[0] as nn.Linear;
      const seen: string[] = [];
      let gin: (Tensor | null)[] = [],
        gout: (Tensor | null)[] = [];
      const hs = [
        l0.registerForwardPreHook(() => void seen.push('pre')),
        l0.registerForwardHook((_m, _i, o) => void seen.push(`fwd ${(o as Tensor).shape}`)),
        l0.registerFullBackwardHook((_m, gi, go) => {
          seen.push('bwd');
          gin = gi;
          gout = go;
        }),
      ];
      const x = tk.randn([5, 3], { requiresGrad: true });
      const h = l0.forward(x); // a direct forward() runs the hooks too
      seq.children()[2]!.forward(h.relu()).sum().backward();
      expect(seen).toEqual(['pre', 'fwd 5,4', 'bwd']);
      expect(gin[0]!.sub(x.grad!).abs().max().item()).toBe(0);
      expect(gout[0]!.shape).toEqual([5, 4]);
      // An input that needs no gradient: the hook runs with gradInput empty, as PyTorch's.
      seen.length = 0;
      l0.forward(tk.randn([2, 3]))
        .sum()
        .backward();
      expect(seen).toEqual(['pre', 'fwd 2,4', 'bwd']);
      expect(gin).toEqual([]);
      expect(gout[0]!.shape).toEqual([2, 4]);
      // A pre-hook replaces the input, a forward hook the output; a backward hook the gradient.
      const h2 = l0.registerForwardHook((_m, _i, o) => (o as Tensor).mul(0));
      expect(l0.call(x).abs().sum().item()).toBe(0);
      h2.remove();
      for (const k of hs) k.remove();
      expect(Object.hasOwn(l0, 'forward')).toBe(false);
      seen.length = 0;
      seq.call(x);
      expect(seen).toEqual([]);
      expectTensorError(() => l0.registerForwardHook(42 as never), 'INVALID_ARGUMENT', /the hook must be a function/);
      for (const g of [...gin, ...gout]) g?.dispose();
      for (const p of seq.parameters()) p.dispose();
    }));
});

describe('full backward pre-hooks', () => {
  it('see gradOutput before the module backward runs, and may replace it (as torch 2)', () =>
    tidy(() => {
      const lin = new nn.Linear(3, 2);
      noGrad(() => {
        lin.weight.copy_(
          tk.tensor([
            [1, 2, 3],
            [4, 5, 6],
          ]),
        );
        lin.bias!.zero_();
      });
      const order: string[] = [];
      let seenOut: number[][] = [];
      let seenByBwd: number[][] = [];
      const hPre = lin.registerFullBackwardPreHook((_m, gOut) => {
        order.push('pre');
        seenOut = gOut[0]!.toArray() as number[][];
        return [gOut[0]!.mul(3)];
      });
      const hBwd = lin.registerFullBackwardHook((_m, _gi, gOut) => {
        order.push('bwd');
        seenByBwd = gOut[0]!.toArray() as number[][];
      });
      const x = tk.ones([1, 3], { requiresGrad: true });
      lin.call(x).sum().backward();
      expect(order).toEqual(['pre', 'bwd']);
      expect(seenOut).toEqual([[1, 1]]);
      expect(seenByBwd).toEqual([[3, 3]]); // the full backward hook sees the replacement
      expect(x.grad!.toArray()).toEqual([[15, 21, 27]]); // 3 * [1, 1] @ W
      expect(lin.weight.grad!.toArray()).toEqual([
        [3, 3, 3],
        [3, 3, 3],
      ]);
      hPre.remove();
      hBwd.remove();
      expect(Object.hasOwn(lin, 'forward')).toBe(false);
      // a pre-hook alone also hooks; a bad return value is refused
      const hBad = lin.registerFullBackwardPreHook(() => [1, 2] as never);
      expectTensorError(
        () => lin.call(x).sum().backward(),
        'INVALID_ARGUMENT',
        /registerFullBackwardPreHook: a hook must return undefined or 1 gradients/,
      );
      hBad.remove();
      expectTensorError(
        () => lin.registerFullBackwardPreHook(null as never),
        'INVALID_ARGUMENT',
        /the hook must be a function/,
      );
    }));
});

describe('a trained shapes CNN', () => {
  let model: ShapesNet;
  let test: Tensor, labels: Tensor;
  beforeAll(() => {
    const ds = trainShapes();
    model = ds.model;
    test = ds.features.narrow(0, 1000, 100).contiguous();
    labels = ds.labels.narrow(0, 1000, 100).contiguous();
    const acc = noGrad(() => model.call(test).argmax(1).eq(labels).to('float32').mean().item());
    expect(acc).toBeGreaterThan(0.9);
  });
  const targets = () => Array.from(labels.data() as BigInt64Array, Number);

  // Per image, Gauss-Legendre's error on this piecewise-linear model (ReLU, max-pool switches
  // between nodes) reaches ~1.1-1.5% on a few images whatever the precision (float64 gives the same
  // deltas): so at least 95% of the 100 images within 1%, and the summed |delta| within 1% of the
  // summed |f(x) - f(0)|.
  it('completeness: |delta| <= 1% of |f(x) - f(baseline)| with 50 Gauss-Legendre steps (95% of 100 images, and in sum)', () =>
    tidy(() => {
      const t = targets();
      const idx = tensor(t, { dtype: 'int64' }).reshape([100, 1]);
      const { delta } = explain.integratedGradients(model, test, {
        target: t,
        returnConvergenceDelta: true,
        internalBatchSize: 1000,
      });
      const f = (x: Tensor) => noGrad(() => model.call(x).gather(1, idx).reshape([100]));
      const gap = f(test)
        .sub(f(tk.zeros(test.shape)))
        .abs();
      const ratios = Array.from(delta.abs().div(gap).data() as Float32Array);
      expect(ratios.filter((r) => r <= 0.01).length).toBeGreaterThanOrEqual(95);
      expect(delta.abs().sum().item() as number).toBeLessThanOrEqual(0.01 * (gap.sum().item() as number));
    }));

  it('faithfulness: deleting the top 10% of pixels by |IG| drops the target probability at least twice as much as 10% random pixels (100 images)', () =>
    tidy(() => {
      const t = targets();
      const attr = explain.integratedGradients(model, test, { target: t, internalBatchSize: 1000 });
      const prob = (x: Tensor) =>
        noGrad(() =>
          model
            .call(x)
            .softmax(1)
            .gather(1, tensor(t, { dtype: 'int64' }).reshape([100, 1]))
            .reshape([100]),
        );
      const p0 = prob(test);
      const k = Math.round(0.1 * 256);
      const flatA = attr.abs().reshape([100, 256]);
      const top = flatA.argsort(1, { descending: true }).narrow(1, 0, k);
      const topMask = tk.ones([100, 256]).scatter(1, top, tk.zeros([100, k]));
      manualSeed(5);
      const rnd = tk.rand([100, 256]).argsort(1).narrow(1, 0, k);
      const rndMask = tk.ones([100, 256]).scatter(1, rnd, tk.zeros([100, k]));
      const dropTop = p0
        .sub(prob(test.mul(topMask.reshape(test.shape))))
        .mean()
        .item() as number;
      const dropRnd = p0
        .sub(prob(test.mul(rndMask.reshape(test.shape))))
        .mean()
        .item() as number;
      expect(dropTop).toBeGreaterThan(0);
      expect(dropTop).toBeGreaterThanOrEqual(2 * dropRnd);
    }));

  // Saliency: input-weighted methods (IG, input x gradient) keep the input's structure whatever the
  // weights, as Adebayo et al. found; the gradient itself must change with them.
  it('sanity (model randomisation): re-initialised weights give saliency of rank correlation < 0.5', () =>
    tidy(() => {
      const x = test.narrow(0, 0, 10);
      const t = targets().slice(0, 10);
      const a = explain.saliency(model, x, { target: t });
      manualSeed(9);
      const fresh = new ShapesNet();
      fresh.eval();
      const b = explain.saliency(fresh, x, { target: t });
      const rank = (v: number[]) => {
        const idx = v.map((_, i) => i).sort((p, q) => v[p]! - v[q]!);
        const r = new Array<number>(v.length);
        idx.forEach((i, k) => (r[i] = k));
        return r;
      };
      const spearman = (p: number[], q: number[]) => {
        const rp = rank(p),
          rq = rank(q),
          n = p.length;
        const d2 = rp.reduce((s, v, i) => s + (v - rq[i]!) ** 2, 0);
        return 1 - (6 * d2) / (n * (n * n - 1));
      };
      const A = a.abs().reshape([10, 256]).toArray() as number[][],
        B = b.abs().reshape([10, 256]).toArray() as number[][];
      const mean = A.reduce((s, row, i) => s + spearman(row, B[i]!), 0) / 10;
      expect(mean).toBeLessThan(0.5);
      for (const p of fresh.parameters()) p.dispose();
    }));

  it('Grad-CAM on conv2: [N, 1, 8, 8] at the layer, upsampled to the image', () =>
    tidy(() => {
      const x = test.narrow(0, 0, 8);
      const cam = explain.layerGradCam(model, model.conv2, x, {
        target: targets().slice(0, 8),
        reluAttributions: true,
      });
      expect(cam.shape).toEqual([8, 1, 8, 8]);
      expect(Object.hasOwn(model.conv2, 'forward')).toBe(false); // its hook was removed
      const up = nn.functional.interpolate(cam, { size: [16, 16], mode: 'bilinear' });
      expect(up.shape).toEqual([8, 1, 16, 16]);
      expect(cam.min().item()).toBeGreaterThanOrEqual(0);
    }));

  it('pictures: the PNG decodes to the expected size; the HTML page loads nothing from elsewhere', () =>
    tidy(() => {
      const x = test.narrow(0, 0, 1);
      const attr = explain.integratedGradients(model, x, { target: targets()[0] });
      const png = PNG.sync.read(explain.heatmap(attr.select(0, 0), { image: x.select(0, 0), scale: 4 }));
      expect([png.width, png.height]).toEqual([64, 64]);
      const html = explain.report({
        title: 'Shapes <IG>',
        items: [
          { attributions: attr.select(0, 0), image: x.select(0, 0), caption: 'integrated gradients' },
          { attributions: tensor([0.5, -0.2, 0.1]), featureNames: ['a', 'b', '<c>'] },
        ],
      });
      expect(html).toContain('Shapes &#60;IG&#62;');
      expect(html).toContain('<svg');
      expect(html).not.toMatch(/(src|href)=["'](?!data:)/);
      expect(html).not.toMatch(/<script|<link|@import|url\(/);
    }));

  it('no leak over 1,000 attribution calls', () => {
    const x = test.narrow(0, 0, 1).contiguous();
    for (let i = 0; i < 10; i++) explain.integratedGradients(model, x, { target: 0, nSteps: 4 }).dispose();
    const before = memory();
    for (let i = 0; i < 1000; i++) {
      const a = explain.integratedGradients(model, x, { target: 0, nSteps: 4 });
      a.dispose();
      if (i % 4 === 0) explain.saliency(model, x, { target: 1 }).dispose();
    }
    const after = memory();
    expect(after.tensors).toBeLessThanOrEqual(before.tensors);
    expect(after.bytes - before.bytes).toBeLessThanOrEqual(0);
    x.dispose();
  });
});

describe('examples', () => {
  it('explain-iris and explain-shapes run and write their files', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-explain-'));
    try {
      const iris = (await import('../examples/explain-iris.js')).main({
        out: path.join(dir, 'iris.html'),
        log: () => {},
      });
      // Petal measurements carry virginica's prediction.
      const v = iris['virginica integrated gradients']!;
      expect(v[2]! + v[3]!).toBeGreaterThan(Math.abs(v[0]!) + Math.abs(v[1]!));
      expect(fs.readFileSync(path.join(dir, 'iris.html'), 'utf8')).toContain('<svg');
      const files = (await import('../examples/explain-shapes.js')).main({
        outDir: path.join(dir, 'shapes'),
        log: () => {},
      });
      expect(files.filter((f) => f.endsWith('.png'))).toHaveLength(8);
      for (const f of files.filter((f) => f.endsWith('.png')))
        expect(PNG.sync.read(fs.readFileSync(f)).width).toBe(128);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('memory bounds', () => {
  it('noiseTunnel (ntSamplesBatchSize) and gradientShap (internalBatchSize) give the same attributions in chunks, with per-sample targets', () =>
    tidy(() => {
      const m = new BasicModelMultiLayer();
      const x = tensor([
        [20, 50, 30],
        [1, 2, 3],
      ]);
      const run = <T>(f: () => T) => {
        manualSeed(4);
        return f();
      };
      const nt = run(() => explain.noiseTunnel(explain.saliency, m, x, { nSamples: 6, stdevs: 0.5, target: [0, 1] }));
      const ntChunked = run(() =>
        explain.noiseTunnel(explain.saliency, m, x, {
          nSamples: 6,
          stdevs: 0.5,
          target: [0, 1],
          ntSamplesBatchSize: 4,
        }),
      );
      expect(ntChunked.sub(nt).abs().max().item()).toBe(0);
      const base = tk.zeros([3, 3]);
      const gs = run(() => explain.gradientShap(m, x, { baselines: base, nSamples: 5, target: [0, 1] }));
      const gsChunked = run(() =>
        explain.gradientShap(m, x, { baselines: base, nSamples: 5, target: [0, 1], internalBatchSize: 4 }),
      );
      expect(gsChunked.sub(gs).abs().max().item()).toBeLessThan(1e-4);
      // Per-sample targets: the second row is explained for class 1 (linear2's second row).
      expect(gs.shape).toEqual([2, 3]);
    }));
});
