// Tensor.registerHook (torch's Tensor.register_hook): when hooks fire, what they see, what their
// results replace, how they are removed, their errors, and that they leak nothing. Expected values
// are worked by hand from the chain rule (and match PyTorch 2's semantics, where retain_grad stores
// the hooked gradient).
import { describe, expect, it } from 'vitest';

import { autograd, keep, memory, nn, tensor, tidy, type Tensor } from '../src/index.js';
import { binding } from '../src/binding.js';
import { expectTensorError, settleGarbage } from './helpers/harness.js';

const f64 = (v: number[]) => tensor(v, { dtype: 'float64', requiresGrad: true });
const arr = (t: Tensor | null) => Array.from(t!.data() as Float64Array);

describe('Tensor.registerHook', () => {
  it("a leaf's hook sees its summed gradient once and may replace what .grad receives", () =>
    tidy(() => {
      const x = f64([1, 2, 3]);
      const seen: number[][] = [];
      x.registerHook((g) => {
        seen.push(arr(g));
        return g.mul(2);
      });
      // x is used twice: d/dx (x*x + 3x) = 2x + 3, summed before the hook
      x.mul(x).add(x.mul(3)).sum().backward();
      expect(seen).toEqual([[5, 7, 9]]);
      expect(arr(x.grad)).toEqual([10, 14, 18]);
      // a second backward accumulates the hooked gradient on top
      x.mul(x).sum().backward();
      expect(arr(x.grad)).toEqual([14, 22, 30]);
    }));

  it("a non-leaf's hook changes the gradient flowing on to the tensors it was made from", () =>
    tidy(() => {
      const x = f64([1, 2]);
      const w = f64([3, 4]);
      const y = x.mul(w); // y's gradient reaches both x and w
      const seen: number[][] = [];
      y.registerHook((g) => {
        seen.push(arr(g));
        return g.mul(10);
      });
      y.mul(y).sum().backward(); // dL/dy = 2y = [6, 16]
      expect(seen).toEqual([[6, 16]]);
      expect(arr(x.grad)).toEqual([180, 640]); // 10 * 2y * w
      expect(arr(w.grad)).toEqual([60, 320]); // 10 * 2y * x
    }));

  it('hooks run in registration order, each on the previous result; undefined keeps the gradient', () =>
    tidy(() => {
      const x = f64([1, 2]);
      const order: string[] = [];
      x.registerHook((g) => {
        order.push('a');
        return g.add(1);
      });
      x.registerHook(() => {
        order.push('observe');
      });
      x.registerHook((g) => {
        order.push('b');
        return g.mul(2);
      });
      x.sum().backward();
      expect(order).toEqual(['a', 'observe', 'b']);
      expect(arr(x.grad)).toEqual([4, 4]); // (1 + 1) * 2
    }));

  it('retainGrad and autograd.grad see the hooked gradient', () =>
    tidy(() => {
      const x = f64([1, 2]);
      const y = x.mul(3);
      y.retainGrad();
      y.registerHook((g) => g.neg());
      y.sum().backward();
      expect(arr(y.grad)).toEqual([-1, -1]);
      expect(arr(x.grad)).toEqual([-3, -3]);

      const a = f64([2, 5]);
      a.registerHook((g) => g.mul(4));
      const b = a.mul(a);
      b.registerHook((g) => g.add(1));
      const [ga] = autograd.grad([b.sum()], [a]);
      expect(arr(ga)).toEqual([32, 80]); // 4 * (1 + 1) * 2a
      const [gb] = autograd.grad([b.mul(3).sum()], [b]);
      expect(arr(gb)).toEqual([4, 4]); // captured after b's hook: 3 + 1
      expect(a.grad).toBeNull();
    }));

  it("a non-leaf's hook lives with its graph node: it fires after the tensor is disposed", () => {
    const x = f64([1, 2]);
    let fired = 0;
    const loss = tidy(() => {
      const y = x.mul(2);
      y.registerHook((g) => {
        fired++;
        return g.mul(3);
      });
      return y.sum(); // y is disposed here; its node lives on in loss's graph
    });
    loss.backward();
    expect(fired).toBe(1);
    expect(arr(x.grad)).toEqual([6, 6]);
    loss.dispose();
    x.dispose();
  });

  it('remove() unhooks (idempotently), leaving the other hooks', () =>
    tidy(() => {
      const x = f64([1, 2]);
      const h1 = x.registerHook((g) => g.mul(2));
      const h2 = x.registerHook((g) => g.add(1));
      h1.remove();
      h1.remove();
      x.sum().backward();
      expect(arr(x.grad)).toEqual([2, 2]);
      h2.remove();
      x.grad = null;
      x.sum().backward();
      expect(arr(x.grad)).toEqual([1, 1]);
      // on a non-leaf, and on a tensor already disposed
      const y = x.mul(1);
      y.registerHook((g) => g.mul(0)).remove();
      x.grad = null;
      y.sum().backward();
      expect(arr(x.grad)).toEqual([1, 1]);
      const z = x.mul(1);
      const hz = z.registerHook((g) => g.mul(0));
      const loss = z.sum();
      z.dispose();
      hz.remove(); // the node keeps the hook, which now does nothing
      x.grad = null;
      loss.backward();
      expect(arr(x.grad)).toEqual([1, 1]);
    }));

  it('with createGraph the hook is part of the recorded gradient', () =>
    tidy(() => {
      const x = f64([1, 2]);
      const y = x.pow(3);
      y.registerHook((g) => g.mul(x)); // the hook's op is recorded, so it is differentiated too
      const [gx] = autograd.grad([y.sum()], [x], { createGraph: true });
      expect(arr(gx)).toEqual([3, 24]); // x * 3x^2
      gx!.sum().backward();
      expect(arr(x.grad)).toEqual([9, 36]); // d/dx 3x^3
    }));

  it('runs before the post-accumulate hooks (which see the hooked .grad) and under a module', () =>
    tidy(() => {
      const lin = new nn.Linear(3, 2);
      const seen: number[] = [];
      lin.weight.registerHook((g) => g.mul(0).add(7));
      lin.weight.registerPostAccumulateGradHook((p) => seen.push(...(p.grad!.data() as Float32Array)));
      lin
        .forward(tensor([[1, 2, 3]]))
        .sum()
        .backward();
      expect(seen).toEqual([7, 7, 7, 7, 7, 7]);
      expect(Array.from(lin.bias!.grad!.data() as Float32Array)).toEqual([1, 1]);
    }));

  it('keeps what the hook keep()s; disposes the gradient and what it makes otherwise', () => {
    settleGarbage();
    const x = f64([1, 2]);
    const before = memory().tensors;
    let saved: Tensor | undefined;
    const h = x.registerHook((g) => {
      saved = keep(g);
      g.mul(2).add(1); // garbage the hook makes
    });
    tidy(() => x.mul(5).sum().backward());
    h.remove();
    expect(saved!.isDisposed).toBe(false);
    expect(arr(saved!)).toEqual([5, 5]);
    saved!.dispose();
    x.grad = null;
    expect(memory().tensors).toBe(before);
    x.dispose();
  });

  it('refuses bad input with TensorErrors, and a failing hook leaves the process usable', () => {
    tidy(() => {
      expectTensorError(() => tensor([1, 2]).registerHook((g) => g), 'INVALID_ARGUMENT', /does not require grad/);
      const x = f64([1, 2]);
      expectTensorError(
        () => x.registerHook(3 as never),
        'INVALID_ARGUMENT',
        /registerHook: expected a function, got 3/,
      );
      const cases: [(g: Tensor) => unknown, string, RegExp][] = [
        [
          (g) => g.sum(),
          'SHAPE_MISMATCH',
          /registerHook: the hook returned a gradient of shape \[\] for a gradient of shape \[2\]/,
        ],
        [(g) => g.float(), 'DTYPE_MISMATCH', /registerHook: the hook returned a float32 gradient for a float64 one/],
        [() => 42, 'INVALID_ARGUMENT', /registerHook: a hook must return a Tensor or undefined, got 42/],
      ];
      for (const [fn, code, msg] of cases) {
        const h = x.registerHook(fn as never);
        expectTensorError(() => x.mul(2).sum().backward(), code, msg);
        h.remove();
      }
      const h = x.registerHook(() => {
        throw new RangeError('from the hook');
      });
      expect(() => x.mul(2).sum().backward()).toThrow(/from the hook/);
      h.remove();
      x.grad = null;
      x.mul(2).sum().backward();
      expect(arr(x.grad)).toEqual([2, 2]);
    });
  });

  it('thousands of register / backward / remove rounds return live tensors to baseline', () => {
    settleGarbage();
    const w = f64([1, 2, 3]);
    const before = memory().tensors;
    for (let i = 0; i < 2000; i++) {
      tidy(() => {
        const y = w.mul(2);
        const hy = y.registerHook((g) => g.mul(0.5));
        const hw = w.registerHook((g) => g.add(1));
        y.sum().backward();
        hy.remove();
        hw.remove();
      });
    }
    const g = w.grad!;
    expect(arr(g)).toEqual([4000, 4000, 4000]); // (0.5 * 2 + 1) per round
    g.dispose();
    w.grad = null;
    expect(memory().tensors).toBe(before);
    // a hook freed with its graph node is reported, so its function is dropped
    binding.takeReleasedGradHooks();
    tidy(() => void w.mul(2).registerHook((x) => x));
    expect(binding.takeReleasedGradHooks()).toHaveLength(1);
    w.dispose();
  });
});
