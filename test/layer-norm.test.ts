// The fused layer normalization (native layer_norm / layer_norm_backward ops, cpu/layer_norm.cpp)
// against the composite it replaces (mean, var, rsqrt ... in float64), with and without weight and
// bias, over one and several normalized dims, contiguous and strided inputs; its gradients by
// finite differences (gradcheck: the fused backward kernel; gradgradcheck: the recorded composite
// backward), against the composite's gradients, and through nn.grad.layerNorm; 16-bit inputs; the
// errors; and a training loop's memory.
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { autograd, nn, type Tensor } from '../src/index.js';

const F = nn.functional;

// The composite layer norm in float64, the reference.
function reference(x: Tensor, k: number, w: Tensor | null, b: Tensor | null, eps = 1e-5): Tensor {
  const x64 = x.to('float64');
  const dims = Array.from({ length: k }, (_, i) => x.ndim - k + i);
  const mean = x64.mean(dims, { keepdim: true });
  const v = x64.var(dims, { correction: 0, keepdim: true });
  let y = x64.sub(mean).div(v.add(eps).sqrt());
  if (w) y = y.mul(w.to('float64'));
  if (b) y = y.add(b.to('float64'));
  return y;
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  const x = a.to('float64').data() as Float64Array,
    y = b.to('float64').data() as Float64Array;
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

describe('layerNorm, fused', () => {
  const shapes: [number[], number][] = [
    [[4, 7], 1],
    [[2, 3, 5], 2],
    [[3, 1000], 1],
    [[2, 2, 33], 1],
    [[6], 1],
  ];
  for (const dtype of ['float32', 'float64'] as const)
    for (const [shape, k] of shapes)
      for (const affine of ['none', 'weight', 'bias', 'both'] as const)
        it(`${dtype} [${shape}] over ${k} dims, ${affine}: equals the float64 composite`, () => {
          tk.manualSeed(7);
          const ns = shape.slice(shape.length - k);
          const x = tk.randn(shape, { dtype }).mul(3).add(1);
          const w = affine === 'weight' || affine === 'both' ? tk.randn(ns, { dtype }) : null;
          const b = affine === 'bias' || affine === 'both' ? tk.randn(ns, { dtype }) : null;
          const y = F.layerNorm(x, ns, w, b);
          expect(y.shape).toEqual(shape);
          expect(y.dtype).toBe(dtype);
          expect(maxAbsDiff(y, reference(x, k, w, b))).toBeLessThan(dtype === 'float32' ? 5e-6 : 1e-13);
        });

  it('a strided input (a transposed view) and eps', () => {
    tk.manualSeed(1);
    const x = tk.randn([16, 8]).t(); // [8, 16], not contiguous
    const y = F.layerNorm(x, [16], null, null, { eps: 0.5 });
    expect(maxAbsDiff(y, reference(x, 1, null, null, 0.5))).toBeLessThan(5e-6);
  });

  it('rows of equal values give 0 (then the bias), not NaN; NaN in a row stays in that row', () => {
    const x = tk.tensor([
      [2, 2, 2, 2],
      [1, NaN, 3, 4],
      [1, 2, 3, 4],
    ]);
    const y = F.layerNorm(x, [4], null, tk.tensor([1, 1, 1, 1])).data() as Float32Array;
    expect(Array.from(y.slice(0, 4))).toEqual([1, 1, 1, 1]);
    expect(Array.from(y.slice(4, 8)).every(Number.isNaN)).toBe(true);
    expect(Array.from(y.slice(8)).every(Number.isFinite)).toBe(true);
  });

  it('empty inputs', () => {
    expect(F.layerNorm(tk.zeros([0, 5]), [5]).shape).toEqual([0, 5]);
    expect(F.layerNorm(tk.zeros([3, 0]), [0]).shape).toEqual([3, 0]);
  });

  it('16-bit inputs compute in float32 and round once', () => {
    tk.manualSeed(3);
    for (const dtype of ['bfloat16', 'float16'] as const) {
      const x = tk.randn([5, 24]).to(dtype),
        w = tk.randn([24]).to(dtype),
        b = tk.randn([24]).to(dtype);
      const y = F.layerNorm(x, [24], w, b);
      expect(y.dtype).toBe(dtype);
      const want = reference(x, 1, w, b).to(dtype); // the float64 result rounded once
      expect(maxAbsDiff(y, want)).toBeLessThan(dtype === 'bfloat16' ? 0.07 : 0.01);
    }
  });

  for (const affine of ['none', 'weight', 'bias', 'both'] as const)
    it(`gradients (${affine}): gradcheck, gradgradcheck, and the composite's`, () => {
      tk.manualSeed(11);
      const x = tk.randn([3, 2, 5], { dtype: 'float64' }).requiresGrad_();
      const w =
        affine === 'weight' || affine === 'both' ? tk.randn([2, 5], { dtype: 'float64' }).requiresGrad_() : null;
      const b = affine === 'bias' || affine === 'both' ? tk.randn([2, 5], { dtype: 'float64' }).requiresGrad_() : null;
      const inputs = [x, ...(w ? [w] : []), ...(b ? [b] : [])];
      const f = (...ts: Tensor[]) => {
        const [xi, wi, bi] = [ts[0]!, w ? ts[1]! : null, b ? ts[w ? 2 : 1]! : null];
        return F.layerNorm(xi, [2, 5], wi, bi);
      };
      expect(autograd.gradcheck(f, inputs)).toBe(true);
      expect(autograd.gradgradcheck(f, inputs)).toBe(true);
      // the fused backward kernel against the composite's autograd, for one output gradient
      const g = tk.randn([3, 2, 5], { dtype: 'float64' });
      const fused = autograd.grad([f(...inputs)], inputs, { gradOutputs: [g] });
      const comp = autograd.grad([reference(x, 2, w, b)], inputs, { gradOutputs: [g] });
      fused.forEach((t, i) => expect(maxAbsDiff(t!, comp[i]!)).toBeLessThan(1e-12));
      // nn.grad.layerNorm from the statistics
      const mean = x.detach().mean([1, 2], { keepdim: true });
      const rstd = x.detach().var([1, 2], { correction: 0, keepdim: true }).add(1e-5).rsqrt();
      const r = nn.grad.layerNorm(g, x.detach(), [2, 5], mean, rstd, w?.detach());
      expect(maxAbsDiff(r.input, comp[0]!)).toBeLessThan(1e-12);
      if (w) expect(maxAbsDiff(r.weight!, comp[1]!)).toBeLessThan(1e-12);
      else expect(r.weight).toBeNull();
      if (b) expect(maxAbsDiff(r.bias, comp[inputs.indexOf(b)]!)).toBeLessThan(1e-12);
    });

  it('float32 gradients through nn.LayerNorm match the float64 composite', () => {
    tk.manualSeed(5);
    const ln = new nn.LayerNorm(300);
    nn.init.normal_(ln.weight!);
    nn.init.normal_(ln.bias!);
    const x = tk.randn([64, 300]).requiresGrad_();
    const g = tk.randn([64, 300]);
    ln.call(x).backward(g);
    const x64 = x.detach().to('float64').requiresGrad_(),
      w64 = ln.weight!.detach().to('float64').requiresGrad_(),
      b64 = ln.bias!.detach().to('float64').requiresGrad_();
    reference(x64, 1, w64, b64).backward(g.to('float64'));
    expect(maxAbsDiff(x.grad!, x64.grad!)).toBeLessThan(2e-5);
    expect(maxAbsDiff(ln.weight!.grad!, w64.grad!)).toBeLessThan(1e-4);
    expect(maxAbsDiff(ln.bias!.grad!, b64.grad!)).toBeLessThan(1e-4);
  });

  it('named errors', () => {
    const x = tk.randn([2, 4]);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as tk.TensorError).code;
      }
      return 'none';
    };
    expect(code(() => F.layerNorm(x, [3]))).toBe('SHAPE_MISMATCH');
    expect(code(() => F.layerNorm(x, [4], tk.randn([3])))).toBe('SHAPE_MISMATCH');
    expect(code(() => F.layerNorm(x, [2, 4, 4]))).toBe('SHAPE_MISMATCH');
    expect(code(() => F.layerNorm(tk.tensor([1, 2], { dtype: 'int32' }), [2]))).toBe('DTYPE_MISMATCH');
    expect(code(() => F.layerNorm(x, [4], null, null, { eps: -1 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => nn.grad.layerNorm(x, x, [4], tk.zeros([3, 1]), tk.ones([2, 1])))).toBe('SHAPE_MISMATCH');
    expect(code(() => nn.grad.layerNorm(x, x, [5], tk.zeros([2, 1]), tk.ones([2, 1])))).toBe('SHAPE_MISMATCH');
  });

  it('a thousand training steps return live tensors and bytes to the baseline', () => {
    const ln = new nn.LayerNorm(32);
    const opt = new tk.optim.SGD(ln.parameters(), { lr: 0.01 });
    const x = tk.randn([8, 32]);
    const step = () =>
      tk.tidy(() => {
        opt.zeroGrad();
        ln.call(x).square().sum().backward();
        opt.step();
      });
    step();
    const before = tk.memory();
    for (let i = 0; i < 1000; i++) step();
    const after = tk.memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
  });
});
