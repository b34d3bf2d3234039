// autograd.Function: custom ops recorded as one node of the native engine, whose backward calls
// back into TypeScript.
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { autograd, memory, tensor, type Tensor } from '../src/index.js';
import { expectTensorError, settleGarbage } from './helpers/harness.js';

type Ctx = autograd.FunctionCtx;
const f64 = (shape: number[]) => tk.randn(shape, { dtype: 'float64' }).requiresGrad_();

class Exp extends autograd.Function {
  static forward(ctx: Ctx, x: Tensor): Tensor {
    const y = x.exp();
    ctx.saveForBackward(y);
    return y;
  }
  static backward(ctx: Ctx, g: Tensor): Tensor {
    const [y] = ctx.savedTensors;
    return g.mul(y!);
  }
}

// "Learning PyTorch with Examples": P3(x) = (5x^3 - 3x) / 2, written with its own backward.
class LegendrePolynomial3 extends autograd.Function {
  static forward(ctx: Ctx, x: Tensor): Tensor {
    ctx.saveForBackward(x);
    return x.pow(3).mul(5).sub(x.mul(3)).mul(0.5);
  }
  static backward(ctx: Ctx, g: Tensor): Tensor {
    const [x] = ctx.savedTensors;
    return g.mul(x!.pow(2).mul(5).sub(1).mul(1.5));
  }
}

// Two tensors and a number in; a product and its (non-differentiable) sign mask out.
class ScaledMul extends autograd.Function {
  static forward(ctx: Ctx, a: Tensor, b: Tensor, k: number): [Tensor, Tensor] {
    ctx.saveForBackward(a, b);
    ctx.k = k;
    const y = a.mul(b).mul(k);
    const positive = y.gt(0).to(y.dtype);
    ctx.markNonDifferentiable(positive);
    return [y, positive];
  }
  static backward(ctx: Ctx, g: Tensor, gMask: Tensor | null): (Tensor | null)[] {
    expect(gMask).not.toBeNull(); // zeros: the mask is an output nobody differentiates
    const [a, b] = ctx.savedTensors;
    const k = ctx.k as number;
    return [ctx.needsInputGrad[0] ? g.mul(b!).mul(k) : null, ctx.needsInputGrad[1] ? g.mul(a!).mul(k) : null, null];
  }
}

describe('autograd.Function', () => {
  it('forward values and gradients match the built-in op, and the node is named after the class', () => {
    const x = f64([3, 4]);
    const y = Exp.apply(x);
    expect(y.gradFn).toBe('ExpBackward');
    expect(y.requiresGrad).toBe(true);
    y.sum().backward();
    const x2 = x.detach().requiresGrad_();
    x2.exp().sum().backward();
    expect(x.grad!.toArray()).toEqual(x2.grad!.toArray());
  });

  it('gradcheck and gradgradcheck pass (a backward of tensor ops is differentiable under createGraph)', () => {
    expect(autograd.gradcheck((x) => LegendrePolynomial3.apply(x), [f64([5])])).toBe(true);
    expect(autograd.gradgradcheck((x) => LegendrePolynomial3.apply(x), [f64([5])])).toBe(true);
    expect(autograd.gradcheck((x) => Exp.apply(x), [f64([2, 3])])).toBe(true);
    // d/dx P3 at x = 2 is 1.5 * (5 * 4 - 1) = 28.5; its derivative, 15x, is 30.
    const x = tensor([2], { dtype: 'float64', requiresGrad: true });
    const [d] = autograd.grad(LegendrePolynomial3.apply(x).sum(), [x], { createGraph: true });
    expect(d!.item()).toBe(28.5);
    const [dd] = autograd.grad(d!.sum(), [x]);
    expect(dd!.item()).toBe(30);
  });

  it('fits the polynomial of "Learning PyTorch with Examples"', () => {
    tk.manualSeed(0);
    const x = tk.linspace(-Math.PI, Math.PI, 2000, { dtype: 'float64' });
    const y = x.sin();
    const p = [0, -1, 0, 0.3].map((v) => tensor([v], { dtype: 'float64', requiresGrad: true }));
    let first = 0,
      last = 0;
    for (let t = 0; t < 300; t++) {
      const loss = tk.tidy(() => {
        const pred = p[0].add(p[1].mul(LegendrePolynomial3.apply(p[2].add(p[3].mul(x)))));
        const l = pred.sub(y).pow(2).sum();
        l.backward();
        return l.item();
      });
      if (t === 0) first = loss;
      last = loss;
      tk.noGrad(() => {
        for (const q of p)
          tk.tidy(() => {
            q.sub_(q.grad!.mul(5e-6));
            q.grad = null;
          });
      });
    }
    expect(last).toBeLessThan(first / 2);
  });

  it('takes numbers among its arguments, returns several outputs, and marks one non-differentiable', () => {
    const a = f64([2, 3]),
      b = tk.randn([2, 3], { dtype: 'float64' });
    const [y, mask] = ScaledMul.apply(a, b, 3);
    expect(mask.requiresGrad).toBe(false);
    expect(y.gradFn).toBe('ScaledMulBackward');
    y.sum().backward();
    expect(a.grad!.toArray()).toEqual(b.mul(3).toArray());
    expect(autograd.gradcheck((u, v) => ScaledMul.apply(u, v, -2)[0], [f64([3]), f64([3])])).toBe(true);
  });

  it('does not record when no input requires grad or under noGrad', () => {
    const y = Exp.apply(tk.ones([2]));
    expect(y.requiresGrad).toBe(false);
    const z = tk.noGrad(() => Exp.apply(f64([2])));
    expect(z.gradFn).toBeNull();
  });

  it('markDirty rebases an input modified in place on the call', () => {
    class Double_ extends autograd.Function {
      static forward(ctx: Ctx, x: Tensor): Tensor {
        ctx.markDirty(x);
        return x.mul_(2);
      }
      static backward(_ctx: Ctx, g: Tensor): Tensor {
        return g.mul(2);
      }
    }
    const a = f64([3]);
    const h = a.mul(1);
    const out = Double_.apply(h);
    expect(out).toBe(h);
    expect(h.gradFn).toBe('Double_Backward');
    h.mul(h).sum().backward();
    // d/da (2a)^2 = 8a
    expect(a.grad!.toArray()).toEqual(a.mul(8).toArray());
    expectTensorError(
      () => Double_.apply(f64([2])),
      'INVALID_ARGUMENT',
      /a leaf tensor that requires grad was marked dirty/,
    );
  });

  it('an input returned unchanged becomes an alias carrying the gradient', () => {
    class Identity extends autograd.Function {
      static forward(_ctx: Ctx, x: Tensor): Tensor {
        return x;
      }
      static backward(_ctx: Ctx, g: Tensor): Tensor {
        return g.mul(3); // deliberately not the identity's gradient, to see it was used
      }
    }
    const x = f64([2]);
    const y = Identity.apply(x);
    expect(y).not.toBe(x);
    expect(x.isLeaf).toBe(true);
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([3, 3]);
  });

  it('a saved tensor modified in place after forward makes backward throw', () => {
    const x = f64([3]);
    const h = x.mul(1);
    const y = LegendrePolynomial3.apply(h);
    h.add_(1);
    expectTensorError(() => y.sum().backward(), 'INVALID_ARGUMENT', /modified by an in-place operation/);
  });

  it('backward twice needs retainGraph, as for built-in ops', () => {
    const x = f64([3]);
    const y = Exp.apply(x).sum();
    y.backward(null, { retainGraph: true });
    y.backward();
    expect(x.grad!.toArray()).toEqual(x.exp().mul(2).toArray());
    expectTensorError(
      () => y.backward(),
      'INVALID_ARGUMENT',
      /ExpBackward: trying to backward through the graph a second time/,
    );
  });

  it('reports a wrong backward result naming the Function', () => {
    class TooFew extends autograd.Function {
      static forward(_ctx: Ctx, a: Tensor, b: Tensor): Tensor {
        return a.add(b);
      }
      static backward(_ctx: Ctx, g: Tensor): Tensor {
        return g;
      }
    }
    expectTensorError(
      () =>
        TooFew.apply(f64([2]), f64([2]))
          .sum()
          .backward(),
      'INVALID_ARGUMENT',
      /TooFew\.backward: returned 1 gradients, expected 2 \(one per forward argument\)/,
    );
    class BadShape extends autograd.Function {
      static forward(_ctx: Ctx, a: Tensor): Tensor {
        return a.sum();
      }
      static backward(_ctx: Ctx, g: Tensor): Tensor {
        return g.expand([3]).contiguous(); // [2] expected; [1, 2] or [4, 2] would be summed, as PyTorch
      }
    }
    expectTensorError(
      () => BadShape.apply(f64([2])).backward(),
      'SHAPE_MISMATCH',
      /BadShapeBackward: backward returned a gradient of shape \[3\] for input 0 of shape \[2\]/,
    );
    class ForNumber extends autograd.Function {
      static forward(_ctx: Ctx, a: Tensor, k: number): Tensor {
        return a.mul(k);
      }
      static backward(_ctx: Ctx, g: Tensor): Tensor[] {
        return [g, g];
      }
    }
    expectTensorError(
      () =>
        ForNumber.apply(f64([2]), 2)
          .sum()
          .backward(),
      'INVALID_ARGUMENT',
      /ForNumber\.backward: returned a gradient for argument 1, which is not a tensor/,
    );
    class NotTensor extends autograd.Function {
      static forward(_ctx: Ctx, a: Tensor): unknown {
        return [a.mul(2), 5];
      }
    }
    expectTensorError(
      () => NotTensor.apply(f64([2])),
      'INVALID_ARGUMENT',
      /NotTensor\.forward: must return a Tensor or an array of Tensors, got 5 at index 1/,
    );
    class NoBackward extends autograd.Function {
      static forward(_ctx: Ctx, a: Tensor): Tensor {
        return a.mul(2);
      }
    }
    expectTensorError(
      () =>
        NoBackward.apply(f64([2]))
          .sum()
          .backward(),
      'NOT_IMPLEMENTED',
      /must define static backward/,
    );
  });

  it("an error thrown by the user's backward reaches the caller unchanged, and nothing leaks", () => {
    class Throws extends autograd.Function {
      static forward(_ctx: Ctx, a: Tensor): Tensor {
        return a.mul(2);
      }
      static backward(): Tensor {
        throw new RangeError('my backward failed');
      }
    }
    const before = memory().tensors;
    for (let i = 0; i < 20; i++) {
      tk.tidy(() => {
        const x = f64([4]);
        expect(() => Throws.apply(x).sum().backward()).toThrow(RangeError);
      });
    }
    expect(memory().tensors).toBe(before);
  });

  it('a backward or grad started inside a backward runs, leaving the outer one intact', () => {
    // w is a leaf of both: the outer backward has already summed part of w's gradient when the
    // nested one accumulates 3 into w.grad and the nested grad differentiates w^2.
    const w = tensor([2], { dtype: 'float64' }).requiresGrad_();
    let inner = null as Tensor | null;
    class Reenter extends autograd.Function {
      static forward(_ctx: Ctx, a: Tensor): Tensor {
        return a.mul(2);
      }
      static backward(_ctx: Ctx, g: Tensor): Tensor {
        tk.enableGrad(() => w.mul(3).sum().backward());
        inner = tk.keep(tk.enableGrad(() => autograd.grad(w.pow(2).sum(), [w])[0]!));
        return g.mul(2);
      }
    }
    const x = tensor([5], { dtype: 'float64' }).requiresGrad_();
    // d/dw of the outer: w*x (5) + w*Reenter(x) = w*2x (10); d/dx: w + 2w = 6.
    w.mul(x)
      .add(w.mul(Reenter.apply(x)))
      .sum()
      .backward();
    expect(x.grad!.item()).toBe(6);
    expect(w.grad!.item()).toBe(5 + 10 + 3);
    expect(inner!.item()).toBe(4);
    for (const t of [x.grad!, w.grad!, inner!, x, w]) t.dispose();
  });

  it('ctx rules: savedTensors only in backward, saveForBackward only in forward', () => {
    let kept: Ctx | undefined;
    class Keep extends autograd.Function {
      static forward(ctx: Ctx, a: Tensor): Tensor {
        kept = ctx;
        return a.mul(2);
      }
      static backward(_ctx: Ctx, g: Tensor): Tensor {
        return g.mul(2);
      }
    }
    Keep.apply(f64([2]));
    expectTensorError(() => kept!.savedTensors, 'INVALID_ARGUMENT', /savedTensors: only available in backward/);
    expectTensorError(
      () => kept!.saveForBackward(tk.ones([1])),
      'INVALID_ARGUMENT',
      /saveForBackward: call it in forward/,
    );
    expectTensorError(
      // @ts-expect-error: the base class has no forward, so apply is not callable on it
      () => autograd.Function.apply(tk.ones([1])),
      'INVALID_ARGUMENT',
      /call apply on a subclass that defines static forward/,
    );
  });

  it('thousands of recorded calls leave live tensors and bytes at baseline', () => {
    const w = f64([64]);
    const warm = () =>
      tk.tidy(() => {
        const x = tk.randn([64], { dtype: 'float64' });
        LegendrePolynomial3.apply(Exp.apply(w.mul(x)))
          .sum()
          .backward();
      });
    warm();
    w.grad = null;
    settleGarbage();
    const before = memory();
    for (let i = 0; i < 3000; i++) warm();
    w.grad = null;
    settleGarbage();
    const after = memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
  });
});
