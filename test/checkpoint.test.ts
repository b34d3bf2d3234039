// utils.checkpoint: a checkpointed segment gives the gradients of the same segment run plainly,
// under backward() and autograd.grad, to second order, with dropout, tied weights and nesting; it
// keeps less memory after forward; bad input throws TensorError.
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { autograd, memory, nn, utils, type Tensor } from '../src/index.js';
import { expectTensorError, settleGarbage } from './helpers/harness.js';

const { checkpoint, checkpointSequential } = utils.checkpoint;

function mlp(widths: number[], seed = 1): nn.Sequential {
  tk.manualSeed(seed);
  const layers: nn.Module[] = [];
  for (let i = 0; i + 1 < widths.length; i++) {
    layers.push(new nn.Linear(widths[i]!, widths[i + 1]!));
    if (i + 2 < widths.length) layers.push(new nn.Tanh());
  }
  return new nn.Sequential(...layers).double();
}

const vals = (t: Tensor | null | undefined): number[] => (t ? Array.from(t.data() as Float64Array) : []);

/** The gradients of every parameter, then of x, after `run` backpropagates. */
function gradsAfter(model: nn.Module, x: Tensor, run: () => void): number[][] {
  model.zeroGrad();
  x.grad = null;
  run();
  return [...model.parameters(), x].map((p) => vals(p.grad));
}

function expectClose(a: number[][], b: number[][], tol = 1e-12): void {
  expect(a.length).toBe(b.length);
  a.forEach((row, i) => {
    expect(row.length, `tensor ${i}`).toBe(b[i]!.length);
    expect(row.length, `tensor ${i} has a gradient`).toBeGreaterThan(0);
    row.forEach((v, j) => expect(Math.abs(v - b[i]![j]!), `tensor ${i} element ${j}`).toBeLessThanOrEqual(tol));
  });
}

const x64 = (shape: number[], grad = true) => {
  const t = tk.randn(shape, { dtype: 'float64' });
  return grad ? t.requiresGrad_() : t;
};

describe('utils.checkpoint.checkpoint', () => {
  it('backward gives the gradients of the plain segment, parameters and input alike', () => {
    const m = mlp([4, 8, 8, 3]);
    const x = x64([5, 4]);
    const plain = gradsAfter(m, x, () => m.forward(x).pow(2).sum().backward());
    const ck = gradsAfter(m, x, () => {
      const y = checkpoint((a: Tensor) => m.forward(a), [x]);
      expect(y.gradFn).toBe('CheckpointFunctionBackward');
      y.pow(2).sum().backward();
    });
    expectClose(ck, plain);
  });

  it('parameters get gradients when no argument requires grad', () => {
    const m = mlp([4, 6, 2]);
    const x = x64([3, 4], false);
    m.zeroGrad();
    checkpoint((a: Tensor) => m.forward(a), [x])
      .sum()
      .backward();
    const ref = mlp([4, 6, 2]);
    ref.forward(x).sum().backward();
    const got = m.parameters().map((p) => vals(p.grad!));
    const want = ref.parameters().map((p) => vals(p.grad!));
    expectClose(got, want);
  });

  it('autograd.grad reaches the input and the parameters inside, leaving .grad untouched', () => {
    const m = mlp([3, 5, 2]);
    const x = x64([4, 3]);
    const w = m.parameters()[0]!;
    m.zeroGrad();
    const want = autograd.grad(m.forward(x).pow(2).sum(), [x, w]);
    const got = autograd.grad(
      checkpoint((a: Tensor) => m.forward(a), [x])
        .pow(2)
        .sum(),
      [x, w],
    );
    expectClose(
      got.map((g) => vals(g!)),
      want.map((g) => vals(g!)),
    );
    expect(w.grad).toBeNull();
  });

  it('is differentiable twice under createGraph (gradcheck, gradgradcheck)', () => {
    const m = mlp([3, 4, 2], 7);
    const f = (a: Tensor) => checkpoint((b: Tensor) => m.forward(b).tanh(), [a]);
    expect(autograd.gradcheck(f, [x64([2, 3])])).toBe(true);
    expect(autograd.gradgradcheck(f, [x64([2, 3])])).toBe(true);
    // A Hessian-vector product through the parameters inside matches the plain segment's.
    const x = x64([2, 3]);
    const w = m.parameters()[0]!;
    const hvp = (run: (a: Tensor) => Tensor) => {
      const [g] = autograd.grad(run(x).pow(2).sum(), [w], { createGraph: true });
      return vals(autograd.grad(g!.sum(), [x])[0]);
    };
    expectClose([hvp((a) => checkpoint((b: Tensor) => m.forward(b), [a]))], [hvp((a) => m.forward(a))]);
  });

  it('recomputes dropout with the mask of the forward run (preserveRngState)', () => {
    tk.manualSeed(3);
    const m = new nn.Sequential(new nn.Linear(6, 32), new nn.Dropout(0.5), new nn.Linear(32, 1)).double();
    const x = x64([8, 6]);
    const run = (opts?: utils.checkpoint.CheckpointOptions) =>
      gradsAfter(m, x, () => {
        tk.manualSeed(11);
        const y = opts ? checkpoint((a: Tensor) => m.forward(a), [x], opts) : m.forward(x);
        tk.manualSeed(99); // backward's recomputation starts elsewhere in the stream
        y.sum().backward();
      });
    const plain = run();
    expectClose(run({}), plain);
    const drifted = run({ preserveRngState: false });
    expect(drifted[0]!.some((v, j) => Math.abs(v - plain[0]![j]!) > 1e-9)).toBe(true);
  });

  it('a parameter used inside and outside the segment (tied) gets both parts once', () => {
    tk.manualSeed(4);
    const w = x64([4, 4]);
    const x = x64([2, 4]);
    const seg = (a: Tensor) => a.matmul(w).tanh();
    const run = (ck: boolean) => {
      w.grad = null;
      x.grad = null;
      const h = ck ? checkpoint(seg, [x]) : seg(x);
      h.matmul(w).sum().backward();
      return [vals(w.grad!), vals(x.grad!)];
    };
    expectClose(run(true), run(false));
  });

  it('a hook on a parameter inside the segment sees its gradient once', () => {
    const m = mlp([3, 4, 1]);
    const w = m.parameters()[0]!;
    const seen: number[] = [];
    const h = w.registerHook((g) => {
      seen.push(g.abs().sum().item());
      return g.mul(2);
    });
    const x = x64([2, 3]);
    const ck = gradsAfter(m, x, () =>
      checkpoint((a: Tensor) => m.forward(a), [x])
        .sum()
        .backward(),
    );
    const plain = gradsAfter(m, x, () => m.forward(x).sum().backward());
    h.remove();
    expect(seen.length).toBe(2);
    expect(seen[0]).toBeCloseTo(seen[1]!, 12);
    expectClose(ck, plain);
  });

  it('nests, returns several outputs, and passes non-tensor arguments and integer outputs through', () => {
    const m = mlp([3, 5, 3]);
    const x = x64([4, 3]);
    const inner = (a: Tensor, k: number): [Tensor, Tensor] => {
      const y = m.forward(a).mul(k);
      return [y, y.argmax(1)];
    };
    const outer = (a: Tensor) => checkpoint(inner, [a, 3])[0].sin();
    const plain = gradsAfter(m, x, () => inner(x, 3)[0].sin().sum().backward());
    const ck = gradsAfter(m, x, () => {
      const [y, idx] = checkpoint((a: Tensor) => [outer(a), inner(a, 3)[1]], [x]);
      expect(idx.dtype).toBe('int64');
      expect(idx.requiresGrad).toBe(false);
      y.sum().backward();
    });
    expectClose(ck, plain);
  });

  it('with grad mode off it is just fn(...args)', () => {
    const m = mlp([2, 2]);
    const y = tk.noGrad(() => checkpoint((a: Tensor) => m.forward(a), [x64([1, 2])]));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
  });

  it('keeps less memory after forward than the plain model', () => {
    tk.manualSeed(2);
    const blocks = Array.from({ length: 16 }, () => new nn.Sequential(new nn.Linear(64, 64), new nn.Tanh()));
    const m = new nn.Sequential(...blocks).double();
    const x = x64([512, 64]);
    const held = (run: () => Tensor) => {
      settleGarbage();
      const before = memory().bytes;
      const loss = run();
      const after = memory().bytes - before;
      loss.backward();
      loss.dispose();
      return after;
    };
    const plain = held(() => tk.tidy(() => m.forward(x).sum()));
    const ck = held(() => tk.tidy(() => checkpointSequential(m, 4, x).sum()));
    // 16 saved 512x64 activations plainly (each block's input and tanh output, one tensor
    // between blocks); checkpointed, the 3 segment boundaries and the last segment's 4 blocks.
    expect(ck, `${ck} bytes checkpointed, ${plain} plain`).toBeLessThan(plain * 0.6);
  });

  it('thousands of checkpointed steps leave live tensors and bytes at baseline', () => {
    const m = mlp([4, 8, 2]);
    const x = x64([3, 4]);
    const step = () =>
      tk.tidy(() => {
        checkpoint((a: Tensor) => m.forward(a), [x])
          .sum()
          .backward();
      });
    step();
    m.zeroGrad(true);
    x.grad = null;
    settleGarbage();
    const before = memory();
    for (let i = 0; i < 2000; i++) step();
    m.zeroGrad(true);
    x.grad = null;
    settleGarbage();
    const after = memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
  });

  it('bad input throws TensorError', () => {
    const x = x64([2, 2]);
    expectTensorError(() => checkpoint(3 as never, [x]), 'INVALID_ARGUMENT', /checkpoint: 'fn' must be a function/);
    expectTensorError(() => checkpoint((a: Tensor) => a, x as never), 'INVALID_ARGUMENT', /checkpoint: args must be/);
    expectTensorError(
      () => checkpoint((() => 5) as never, [x]),
      'INVALID_ARGUMENT',
      /checkpoint: fn must return a Tensor .* got 5/,
    );
    expectTensorError(
      () => checkpoint((a: Tensor) => a, [x], { useReentrant: false } as never),
      'INVALID_ARGUMENT',
      /useReentrant/,
    );
    // A segment that computes something else when run again.
    let calls = 0;
    const y = checkpoint((a: Tensor) => (++calls === 1 ? a.mul(2) : a.sum(0)), [x]);
    expectTensorError(() => y.sum().backward(), 'INVALID_ARGUMENT', /recomputed segment returned float64\[2\]/);
    // An argument modified in place after the forward run.
    const z = x64([2, 2]).mul(1);
    const out = checkpoint((a: Tensor) => a.exp(), [z]);
    tk.noGrad(() => z.add_(1));
    expectTensorError(() => out.sum().backward(), 'INVALID_ARGUMENT', /modified by an in-place operation/);
    // So is a parameter inside (an optimizer step between forward and backward).
    const m = mlp([2, 2]);
    const out2 = checkpoint((a: Tensor) => m.forward(a), [x]);
    tk.noGrad(() => m.parameters()[0]!.add_(1));
    expectTensorError(() => out2.sum().backward(), 'INVALID_ARGUMENT', /modified by an in-place operation/);
  });
});

describe('utils.checkpoint.checkpointSequential', () => {
  it('gives the plain gradients for every number of segments, on a Sequential or a list', () => {
    const m = mlp([3, 6, 6, 6, 2]);
    const x = x64([4, 3]);
    const plain = gradsAfter(m, x, () => m.forward(x).pow(2).sum().backward());
    for (let s = 1; s <= m.length; s++) {
      const ck = gradsAfter(m, x, () => checkpointSequential(m, s, x).pow(2).sum().backward());
      expectClose(ck, plain);
    }
    const list = [...m.children(), (t: Tensor) => t.mul(1)];
    expectClose(
      gradsAfter(m, x, () => checkpointSequential(list, 3, x).pow(2).sum().backward()),
      plain,
    );
  });

  it('bad input throws TensorError', () => {
    const m = mlp([2, 2, 2]);
    const x = x64([1, 2]);
    expectTensorError(
      () => checkpointSequential(m, 0, x),
      'INVALID_ARGUMENT',
      /segments must be an integer in \[1, 3\]/,
    );
    expectTensorError(() => checkpointSequential([], 1, x), 'INVALID_ARGUMENT', /non-empty array/);
    expectTensorError(() => checkpointSequential([5 as never], 1, x), 'INVALID_ARGUMENT', /functions\[0\]/);
    expectTensorError(() => checkpointSequential(m, 1, [1] as never), 'INVALID_ARGUMENT', /input must be a Tensor/);
  });
});
