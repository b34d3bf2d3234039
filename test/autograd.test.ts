// The autograd engine: accumulation, graph lifetime, grad mode, detach, higher order, in-place
// rules, autograd.grad, and a leak loop.
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';

import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import {
  autograd,
  enableGrad,
  isGradEnabled,
  memory,
  noGrad,
  setGradEnabled,
  tensor,
  tidy,
  type Tensor,
} from '../src/index.js';
import { binding } from '../src/binding.js';
import { wrap } from '../src/tensor.js';
import { expectTensorError, settleGarbage } from './helpers/harness.js';

const f64 = (v: number[] | number[][]) => tensor(v, { dtype: 'float64', requiresGrad: true });
const arr = (t: Tensor | null) => t!.toArray();

describe('recording', () => {
  it('marks leaves and results', () =>
    tidy(() => {
      const x = f64([1, 2]);
      const c = tensor([3, 4]);
      const y = x.mul(c);
      expect([x.isLeaf, x.requiresGrad, x.gradFn]).toEqual([true, true, null]);
      expect([y.isLeaf, y.requiresGrad, y.gradFn]).toEqual([false, true, 'MulBackward']);
      expect([c.isLeaf, c.requiresGrad]).toEqual([true, false]);
      expect(x.logSoftmax(0).gradFn).toBe('LogSoftmaxBackward');
      expect(c.mul(2).requiresGrad).toBe(false);
      // integer and bool results carry no gradient
      expect(x.argmax().requiresGrad).toBe(false);
      expect(x.gt(0).requiresGrad).toBe(false);
      expect(x.maxWithIndices(0).indices.requiresGrad).toBe(false);
    }));

  it('requiresGrad is settable on leaves only, and only for floating dtypes', () =>
    tidy(() => {
      const x = tk.zeros([2]);
      x.requiresGrad = true;
      expect(x.requiresGrad).toBe(true);
      expect(x.requiresGrad_(false)).toBe(x);
      expect(x.requiresGrad).toBe(false);
      expectTensorError(
        () => tk.zeros([2], { dtype: 'int32' }).requiresGrad_(),
        'DTYPE_MISMATCH',
        /only tensors of a floating dtype can require gradients, got int32/,
      );
      expectTensorError(() => tk.zeros([2], { dtype: 'int64', requiresGrad: true }), 'DTYPE_MISMATCH', /got int64/);
      const y = f64([1]).mul(2);
      expectTensorError(() => (y.requiresGrad = false), 'INVALID_ARGUMENT', /only change requiresGrad of leaf tensors/);
      y.requiresGrad = true; // already true: allowed
      expect(tk.randn([2], { requiresGrad: true }).requiresGrad).toBe(true);
      expect(tensor(f64([1, 2])).requiresGrad).toBe(false); // tensor(t) copies outside the graph
    }));
});

describe('backward', () => {
  it('sums the gradients of a tensor used twice', () =>
    tidy(() => {
      const x = f64([1, 2, 3]);
      x.mul(x).add(x).sum().backward(); // d/dx (x^2 + x) = 2x + 1
      expect(arr(x.grad)).toEqual([3, 5, 7]);
    }));

  it('accumulates into .grad across backward calls until cleared', () =>
    tidy(() => {
      const x = f64([1, 2]);
      x.mul(3).sum().backward();
      x.mul(3).sum().backward();
      expect(arr(x.grad)).toEqual([6, 6]);
      x.grad = null;
      expect(x.grad).toBeNull();
      x.mul(2).sum().backward();
      expect(arr(x.grad)).toEqual([2, 2]);
    }));

  it('a .grad handle read earlier sees later accumulation (in place, as in PyTorch)', () =>
    tidy(() => {
      const x = f64([1]);
      x.mul(2).sum().backward();
      const g = x.grad!;
      x.mul(2).sum().backward();
      expect(arr(g)).toEqual([4]);
    }));

  it('reduces broadcast inputs back to their shape', () =>
    tidy(() => {
      const a = tk.ones([3, 1], { dtype: 'float64', requiresGrad: true });
      const b = tk.ones([4], { dtype: 'float64', requiresGrad: true });
      a.add(b).mul(2).sum().backward();
      expect(arr(a.grad)).toEqual([[8], [8], [8]]);
      expect(arr(b.grad)).toEqual([6, 6, 6, 6]);
    }));

  it('casts the gradient to each input dtype', () =>
    tidy(() => {
      const a = tk.ones([2], { requiresGrad: true });
      const b = tk.ones([2], { dtype: 'float64', requiresGrad: true });
      a.mul(b).sum().backward();
      expect(a.grad!.dtype).toBe('float32');
      expect(b.grad!.dtype).toBe('float64');
    }));

  it("max(dim)/min(dim) values share a tied gradient evenly, as PyTorch's amax (its numbers, -0 and NaN included)", () =>
    tidy(() => {
      // The gradients PyTorch 1.13 gives for x.amax(1), x.amax(0, keepdim) and x.neg().amin(1).
      const rows = () =>
        tk
          .tensor([
            [1, 3, 3, -1],
            [NaN, 2, 1, 0],
            [5, -2, 5, 5],
          ])
          .requiresGrad_();
      const x = rows();
      x.max(1).backward(tk.tensor([2, -4, -3]));
      const g = x.grad!.toArray() as number[][];
      expect(g).toEqual([
        [0, 1, 1, 0],
        [NaN, NaN, NaN, NaN],
        [-1, -0, -1, -1],
      ]);
      expect(Object.is(g[2]![1], -0)).toBe(true);
      const z = rows();
      z.max(0, { keepdim: true }).backward(tk.tensor([[1, -1, 2, 3]]));
      expect(z.grad!.toArray()).toEqual([
        [NaN, -1, 0, 0],
        [NaN, -0, 0, 0],
        [NaN, -0, 2, 3],
      ]);
      const m = rows();
      m.neg()
        .min(1)
        .backward(tk.tensor([2, -4, -3]));
      expect(m.grad!.toArray()).toEqual([
        [-0, -1, -1, -0],
        [NaN, NaN, NaN, NaN],
        [1, 0, 1, 1],
      ]);
    }));

  it('needs an explicit gradient for a non-scalar root', () =>
    tidy(() => {
      const x = f64([1, 2]);
      const y = x.mul(2);
      expectTensorError(
        () => y.backward(),
        'INVALID_ARGUMENT',
        /grad can be implicitly created only for one-element outputs, got shape \[2\]/,
      );
      expectTensorError(
        () => y.backward(tensor([1, 2, 3], { dtype: 'float64' })),
        'SHAPE_MISMATCH',
        /gradient 0 has shape \[3\] but the output has shape \[2\]/,
      );
      y.backward(tensor([1, 10], { dtype: 'float64' }));
      expect(arr(x.grad)).toEqual([2, 20]);
    }));

  it('refuses a root that does not require grad', () =>
    tidy(() => {
      expectTensorError(() => tk.ones([1]).backward(), 'INVALID_ARGUMENT', /output 0 does not require grad/);
    }));

  it('frees the graph after backward unless retainGraph', () =>
    tidy(() => {
      const x = f64([1, 2]);
      const y = x.exp().sum();
      y.backward(null, { retainGraph: true });
      y.backward();
      expect(arr(x.grad)).toEqual([2 * Math.exp(1), 2 * Math.exp(2)]);
      expectTensorError(
        () => y.backward(),
        'INVALID_ARGUMENT',
        /ExpBackward: trying to backward through the graph a second time.*retainGraph: true/,
      );
    }));

  it('retainGrad fills .grad of a non-leaf', () =>
    tidy(() => {
      const x = f64([1, 2]);
      const h = x.mul(3);
      h.retainGrad();
      expect(h.retainsGrad).toBe(true);
      h.mul(h).sum().backward();
      expect(arr(h.grad)).toEqual([6, 12]);
      expect(arr(x.grad)).toEqual([18, 36]);
      const k = x.mul(1);
      k.sum().backward();
      expect(k.grad).toBeNull(); // not retained
    }));

  it('backward from a leaf itself', () =>
    tidy(() => {
      const x = f64([5]);
      x.backward();
      expect(arr(x.grad)).toEqual([1]);
    }));

  it('autograd.backward over several roots', () =>
    tidy(() => {
      const x = f64([1, 2]);
      autograd.backward([x.mul(2).sum(), x.mul(x).sum()]);
      expect(arr(x.grad)).toEqual([4, 6]);
    }));
});

describe('createGraph', () => {
  it('second derivative of x^3 is 6x', () =>
    tidy(() => {
      const x = f64([1, 2, 3]);
      const [g] = autograd.grad(x.pow(3).sum(), [x], { createGraph: true });
      expect(arr(g)).toEqual([3, 12, 27]);
      expect(g!.requiresGrad).toBe(true);
      const [gg] = autograd.grad(g!.sum(), [x]);
      expect(arr(gg)).toEqual([6, 12, 18]);
    }));

  it('backward with createGraph leaves a differentiable .grad (gradient penalty)', () =>
    tidy(() => {
      const x = f64([1, 2]);
      x.pow(3).sum().backward(null, { createGraph: true });
      const penalty = x.grad!.pow(2).sum(); // sum (3x^2)^2 -> d/dx = 36 x^3
      x.grad = null;
      penalty.backward();
      expect(arr(x.grad)).toEqual([36, 288]);
    }));
});

describe('grad mode', () => {
  it('noGrad stops recording and restores the mode, also on throw', () =>
    tidy(() => {
      const x = f64([1]);
      const y = noGrad(() => x.mul(2));
      expect(y.requiresGrad).toBe(false);
      expect(isGradEnabled()).toBe(true);
      expect(() =>
        noGrad(() => {
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(isGradEnabled()).toBe(true);
      const z = noGrad(() => enableGrad(() => x.mul(2)));
      expect(z.requiresGrad).toBe(true);
      expect(setGradEnabled(false)).toBe(true);
      expect(x.mul(2).requiresGrad).toBe(false);
      setGradEnabled(true);
    }));

  it('allows in-place updates of parameters under noGrad', () =>
    tidy(() => {
      const w = f64([1, 2]);
      w.mul(w).sum().backward();
      noGrad(() => w.sub_(w.grad!.mul(0.5)));
      expect(arr(w)).toEqual([0, 0]);
      expect(w.isLeaf && w.requiresGrad).toBe(true);
    }));

  it('detach gives a tensor outside the graph that shares storage', () =>
    tidy(() => {
      const x = f64([1, 2]);
      const y = x.mul(2);
      const d = y.detach();
      expect([d.requiresGrad, d.isLeaf, d.gradFn]).toEqual([false, true, null]);
      d.add_(1);
      expect(arr(y)).toEqual([3, 5]);
      expect(x.detach().mul(2).requiresGrad).toBe(false);
    }));
});

describe('in-place rules', () => {
  it('refuses in-place ops on a leaf that requires grad', () =>
    tidy(() => {
      expectTensorError(
        () => f64([1]).add_(1),
        'INVALID_ARGUMENT',
        /add_: a leaf tensor that requires grad is used in an in-place operation/,
      );
      expectTensorError(() => f64([1]).zero_(), 'INVALID_ARGUMENT', /zero_: a leaf tensor/);
    }));

  it('throws at backward when a saved tensor was modified in place', () =>
    tidy(() => {
      const x = f64([1, 2]);
      const e = x.exp();
      const y = e.mul(e); // saves e
      e.add_(1);
      expectTensorError(
        () => y.sum().backward(),
        'INVALID_ARGUMENT',
        /MulBackward: one of the tensors needed for gradient computation has been modified by an in-place operation: an input of shape \[2\] is at version 1; expected version 0/,
      );
      const s = x.sigmoid(); // saves its output
      s.mul_(2);
      expectTensorError(() => s.sum().backward(), 'INVALID_ARGUMENT', /SigmoidBackward.*an output of shape \[2\]/);
    }));

  it('differentiates in-place ops on non-leaves', () =>
    tidy(() => {
      const x = f64([-1, 2]);
      const w = f64([3, 4]);
      const h = x.mul(1);
      h.mul_(w); // needs h's old value for w's gradient: kept as a copy
      h.relu_();
      expect(h.gradFn).toBe('ReluBackward');
      h.sum().backward();
      expect(arr(x.grad)).toEqual([0, 4]);
      expect((arr(w.grad) as number[]).map((v) => v + 0)).toEqual([0, 2]); // -1 * 0 is -0
      // The other order overwrites relu's saved output: PyTorch's rule says no.
      const k = x.mul(1);
      k.relu_();
      k.mul_(w);
      expectTensorError(
        () => k.sum().backward(),
        'INVALID_ARGUMENT',
        /ReluBackward: .* an output of shape \[2\] is at version 2; expected version 1/,
      );
    }));

  it('refuses in-place ops on views when gradients are involved', () =>
    tidy(() => {
      const x = f64([1, 2, 3]);
      expectTensorError(
        () => x.mul(1).narrow(0, 0, 2).mul_(2),
        'NOT_IMPLEMENTED',
        /mul_: in-place operation on a view while gradients are recorded/,
      );
      expectTensorError(
        () =>
          tk
            .zeros([3])
            .narrow(0, 0, 2)
            .copy_(x.narrow(0, 0, 2)),
        'NOT_IMPLEMENTED',
        /copy_: in-place operation on a view/,
      );
      tk.zeros([3]).narrow(0, 0, 2).add_(1); // no gradients involved: fine
    }));

  it('a plain tensor written from one that requires grad joins the graph', () =>
    tidy(() => {
      const w = f64([1, 2]);
      const buf = tk.zeros([2], { dtype: 'float64' });
      buf.copy_(w.mul(3));
      expect([buf.isLeaf, buf.gradFn]).toEqual([false, 'CopyBackward']);
      buf.sum().backward();
      expect(arr(w.grad)).toEqual([3, 3]);
    }));
});

describe('autograd.grad', () => {
  it('returns gradients without touching .grad', () =>
    tidy(() => {
      const x = f64([1, 2]);
      const w = f64([3, 4]);
      const [gx, gw] = autograd.grad(x.mul(w).sum(), [x, w]);
      expect(arr(gx)).toEqual([3, 4]);
      expect(arr(gw)).toEqual([1, 2]);
      expect(x.grad).toBeNull();
      expect(w.grad).toBeNull();
    }));

  it('takes gradients with respect to non-leaves and with gradOutputs', () =>
    tidy(() => {
      const x = f64([1, 2]);
      const h = x.mul(2);
      const y = h.pow(2);
      const [gh, gx] = autograd.grad([y], [h, x], { gradOutputs: [tensor([1, 10], { dtype: 'float64' })] });
      expect(arr(gh)).toEqual([4, 80]);
      expect(arr(gx)).toEqual([8, 160]);
    }));

  it('reports an unused input unless allowUnused', () =>
    tidy(() => {
      const x = f64([1]);
      const u = f64([2]);
      expectTensorError(
        () => autograd.grad(x.mul(2).sum(), [x, u]),
        'INVALID_ARGUMENT',
        /grad: input 1 was not used to compute the outputs/,
      );
      const [gx, gu] = autograd.grad(x.mul(2).sum(), [x, u], { allowUnused: true });
      expect(arr(gx)).toEqual([2]);
      expect(gu).toBeNull();
      expectTensorError(
        () => autograd.grad(x.mul(2).sum(), [tensor([1])]),
        'INVALID_ARGUMENT',
        /grad: input 0 does not require grad/,
      );
    }));
});

describe('deep graphs', () => {
  // A worker with a 1 MB stack: a recursive engine or a recursive graph destructor would overflow
  // it (and take the process down) long before 100,000 nodes.
  it('backward and freeing of a graph 100,000 ops deep run without recursion', async () => {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const b = require('node-gyp-build')(workerData.root);
      class TensorError extends Error { constructor(m, c) { super(m); this.code = c; } }
      b.init(TensorError);
      const id = (n) => b.opNames.indexOf(n);
      const x = b.fromData(new Float64Array([1]), [[1]]);
      const w = b.fromData(new Float64Array([1]), [[1]]);
      b.setRequiresGrad(x, true); b.setRequiresGrad(w, true);
      const build = () => {
        let y = x;
        for (let i = 0; i < 100000; i++) { const n = b.call(id('mul'), undefined, y, w); if (y !== x) b.free(y); y = n; }
        return y;
      };
      let y = build();
      b.backward([y], [null], false, false);
      const g = b.item(b.grad(x));
      b.free(y);       // a used graph
      b.free(build()); // a graph that never ran backward still holds its saved tensors
      parentPort.postMessage({ g, live: b.memory().tensors });
    `;
    const root = new URL('..', import.meta.url).pathname;
    const r = await new Promise((resolve, reject) => {
      const w = new Worker(code, { eval: true, workerData: { root }, resourceLimits: { stackSizeMb: 1 } });
      // Resolve once the worker has exited: its teardown frees its tensors, which would move the
      // process-wide byte counts under a later test.
      let msg: unknown;
      w.once('message', (m) => (msg = m));
      w.once('exit', () => resolve(msg as never));
      w.once('error', reject);
    });
    expect(r).toEqual({ g: 1, live: 3 }); // x, w and x's .grad handle
  }, 30000);
});

describe('memory', () => {
  it('10,000 forward/backward steps return live tensors, storages and bytes to baseline', () => {
    const w = tk.randn([8, 4], { requiresGrad: true });
    const b = tk.zeros([4], { requiresGrad: true });
    const x = tk.randn([16, 8]);
    const step = () =>
      tidy(() => {
        const loss = x.matmul(w).add(b).relu().logSoftmax(1).mean();
        loss.backward();
        noGrad(() => {
          w.sub_(w.grad!.mul(0.01));
          b.sub_(b.grad!.mul(0.01));
        });
        w.grad = null;
        b.grad = null;
      });
    step();
    settleGarbage();
    const base = memory();
    for (let i = 0; i < 10000; i++) step();
    const after = memory();
    expect(after.tensors).toBe(base.tensors);
    expect(after.storages).toBe(base.storages);
    expect(after.bytes).toBe(base.bytes);
    // A kept graph is freed with the tensors that hold it.
    const keptBase = memory();
    const y = tidy(() => x.matmul(w).exp().sum());
    y.backward(null, { retainGraph: true });
    w.grad = null;
    y.dispose();
    expect(memory().storages).toBe(keptBase.storages);
    for (const t of [w, b, x]) t.dispose();
  });
});

describe('post-accumulate gradient hooks and the graph walk DDP uses', () => {
  it('a hook runs once per backward, after the gradient is in .grad, while backward goes on', () => {
    const w1 = tensor([1, 2], { requiresGrad: true });
    const w2 = tensor([3, 4], { requiresGrad: true });
    const seen: string[] = [];
    const h1 = w1.registerPostAccumulateGradHook((p) => seen.push(`w1 ${Array.from(p.grad!.data())} w2 ${w2.grad}`));
    const h2 = w2.registerPostAccumulateGradHook((p) => seen.push(`w2 ${Array.from(p.grad!.data())}`));
    // w2 is used twice: its hook runs once, with both contributions summed
    const loss = w1.mul(w2).sum().add(w2.mul(2).sum());
    loss.backward(null, { retainGraph: true });
    // each hook saw its own gradient in .grad (w1's: w2's values; w2's: w1 + 2); the order of the
    // two leaves is the engine's
    expect(seen.length).toBe(2);
    expect(seen.find((s) => s.startsWith('w1'))).toMatch(/^w1 3,4 w2 /);
    expect(seen.find((s) => s.startsWith('w2'))).toBe('w2 3,4');
    h1.remove();
    h1.remove(); // idempotent
    seen.length = 0;
    loss.backward();
    expect(seen).toEqual(['w2 6,8']); // accumulated: 3,4 + 3,4
    h2.remove();
    expectTensorError(
      () => w1.mul(2).registerPostAccumulateGradHook(() => {}),
      'INVALID_ARGUMENT',
      /only a leaf tensor that requires grad/,
    );
  });

  it('reaches: the leaves a backward from the roots would accumulate into, walking the graph only', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    const c = tensor([5, 6], { requiresGrad: true });
    const x = tensor([7, 8]); // needs no gradient
    const y = a.mul(x).add(b.detach()).sum();
    const z = c.mul(2);
    const r = (roots: Tensor[]) =>
      binding.reaches(
        roots.map((t) => t._h),
        [a, b, c, x].map((t) => t._h),
      );
    expect(r([y])).toEqual([true, false, false, false]); // b only through detach()
    expect(r([y, z])).toEqual([true, false, true, false]);
    expect(r([c])).toEqual([false, false, true, false]); // a leaf root reaches itself
    expect(r([x])).toEqual([false, false, false, false]);
    expect(r([])).toEqual([false, false, false, false]);
    // a graph 100,000 ops deep: an iterative walk, no stack overflow
    let deep = a;
    for (let i = 0; i < 100_000; i++) deep = deep.mul(1);
    expect(r([deep])).toEqual([true, false, false, false]);
    expect(a.grad).toBeNull(); // nothing ran
  });
});

// Gradient destinations (binding.setGradDestination, what DistributedDataParallel points each
// parameter's gradient into): backward writes a leaf's gradient there while its .grad is unset.
describe('gradient destinations', () => {
  const ptr = (t: Tensor) => binding.dataPtr(t._h);
  const vals = (t: Tensor) => Array.from(t.data() as Float32Array);
  // A bucket of `n` elements of NaN, with the leaf's destination a view at `offset`: whatever the
  // gradient does not cover must stay NaN.
  function bucket(leaf: Tensor, n: number, offset: number): { flat: Tensor; view: Tensor } {
    const flat = tk.full([n], NaN, { dtype: leaf.dtype as never });
    const view = flat.narrow(0, offset, leaf.numel()).view(leaf.shape);
    binding.setGradDestination(leaf._h, view._h);
    return { flat, view };
  }
  const untouched = (flat: Tensor, from: number, to: number) =>
    Array.from(flat.data() as Float32Array).filter((v, i) => (i < from || i >= to) && !Number.isNaN(v)).length;

  for (const relu of [false, true])
    it(`a linear layer${relu ? ' with a fused ReLU' : ''} computes its weight and bias gradients straight into their destinations, at offsets in a larger buffer`, () => {
      tk.manualSeed(3);
      const x = tk.randn([5, 4], { requiresGrad: true });
      const w = tk.randn([3, 4], { requiresGrad: true });
      const b = tk.randn([3], { requiresGrad: true });
      const f = () => (relu ? tk.nn.functional.linearRelu(x, w, b) : tk.nn.functional.linear(x, w, b)).pow(2).sum();
      f().backward();
      const ref = [w.grad!.clone(), b.grad!.clone(), x.grad!.clone()];
      for (const t of [x, w, b]) t.grad = null;
      const bw = bucket(w, 20, 5);
      const bb = bucket(b, 7, 3);
      f().backward();
      expect(ptr(w.grad!)).toBe(ptr(bw.view)); // .grad is the destination itself
      expect(ptr(b.grad!)).toBe(ptr(bb.view));
      expect(vals(w.grad!)).toEqual(vals(ref[0]));
      expect(vals(b.grad!)).toEqual(vals(ref[1]));
      expect(vals(x.grad!)).toEqual(vals(ref[2])); // no destination: as before
      expect(untouched(bw.flat, 5, 17)).toBe(0);
      expect(untouched(bb.flat, 3, 6)).toBe(0);
      // a second backward adds into .grad (the destination) as usual
      f().backward();
      expect(vals(bw.flat.narrow(0, 5, 12))).toEqual(vals(ref[0].mul(2).reshape([-1])));
      binding.setGradDestination(w._h, null);
      binding.setGradDestination(b._h, null);
    });

  it('any other gradient is copied in; two uses sum first; a set .grad, createGraph and autograd.grad leave it alone', () => {
    const w = tensor([1, 2, 3], { requiresGrad: true });
    const { flat, view } = bucket(w, 5, 1);
    w.mul(w).sum().backward(); // two uses of w: 2w
    expect(ptr(w.grad!)).toBe(ptr(view));
    expect(vals(flat)).toEqual([NaN, 2, 4, 6, NaN]);
    // .grad set: accumulates there, the destination keeps what it has
    w.grad = tensor([10, 10, 10]);
    w.sum().backward();
    expect(vals(w.grad!)).toEqual([11, 11, 11]);
    expect(vals(flat)).toEqual([NaN, 2, 4, 6, NaN]);
    w.grad = null;
    // a recorded backward makes .grad as ever (it carries a graph)
    w.pow(3).sum().backward(null, { createGraph: true });
    expect(ptr(w.grad!)).not.toBe(ptr(view));
    expect(vals(w.grad!)).toEqual([3, 12, 27]);
    expect(vals(flat)).toEqual([NaN, 2, 4, 6, NaN]);
    w.grad = null;
    const [g] = autograd.grad([w.mul(5).sum()], [w]);
    expect(vals(g!)).toEqual([5, 5, 5]);
    expect(w.grad).toBeNull();
    expect(vals(flat)).toEqual([NaN, 2, 4, 6, NaN]);
    binding.setGradDestination(w._h, null);
    w.mul(2).sum().backward();
    expect(ptr(w.grad!)).not.toBe(ptr(view));
  });

  it('a destination that does not fit the leaf, or a tensor that has no gradient of its own, is a TensorError', () => {
    const w = tk.zeros([2, 3], { requiresGrad: true });
    const set = (d: Tensor) => () => binding.setGradDestination(w._h, d._h);
    expectTensorError(set(tk.zeros([3, 2])), 'SHAPE_MISMATCH', /setGradDestination: destination has shape \[3, 2\]/);
    expectTensorError(set(tk.zeros([2, 3], { dtype: 'float64' })), 'DTYPE_MISMATCH', /dtype float64/);
    expectTensorError(set(tk.zeros([3, 2]).t()), 'INVALID_ARGUMENT', /must be contiguous/);
    expectTensorError(set(tk.zeros([2, 3], { requiresGrad: true })), 'INVALID_ARGUMENT', /must not require grad/);
    const y = w.mul(2);
    expectTensorError(() => binding.setGradDestination(y._h, tk.zeros([2, 3])._h), 'INVALID_ARGUMENT', /only a leaf/);
    expectTensorError(
      () => binding.setGradDestination(tk.zeros([2, 3])._h, tk.zeros([2, 3])._h),
      'INVALID_ARGUMENT',
      /only a leaf tensor that requires grad/,
    );
  });
});

describe('shareable memory', () => {
  it('is zeros another process can map (a memfd), freed with the tensor: no fd or byte left behind', () => {
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    const template = tk.zeros([4, 5]);
    const before = { fds: fds(), bytes: memory().bytes };
    for (let i = 0; i < 200; i++) {
      const s = wrap(binding.shareableZeros(template._h));
      const info = binding.sharedMemoryOf(s._h)!;
      expect(info[0]).toBeGreaterThan(2);
      expect(fs.readlinkSync(`/proc/self/fd/${info[0]}`)).toMatch(/memfd:tensorkit-shared/);
      expect(info[2]).toBe(0);
      expect(s.shape).toEqual([4, 5]);
      expect(Array.from(s.data() as Float32Array)).toEqual(Array(20).fill(0));
      const part = s.narrow(0, 2, 2);
      expect(binding.sharedMemoryOf(part._h)).toEqual([info[0], info[1], 2 * 5 * 4]);
      part.dispose();
      s.dispose();
    }
    expect(binding.sharedMemoryOf(template._h)).toBeNull();
    expect(fds()).toBe(before.fds);
    expect(memory().bytes).toBe(before.bytes);
  });
});
