// Tied weights (a tensor owned by two modules, as a GPT's token embedding and output head) are one
// parameter: listed once, optimized once, clipped once, as PyTorch's remove_duplicate.
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { nn, optim, tensor, type Tensor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';

class Tied extends nn.Module {
  wte = new nn.Embedding(5, 3);
  hidden = new nn.Linear(3, 3);
  lmHead = new nn.Linear(3, 5, { bias: false });
  constructor() {
    super();
    this.lmHead.weight = this.wte.weight;
  }
  forward(idx: Tensor): Tensor {
    return this.lmHead.call(this.hidden.call(this.wte.call(idx)));
  }
}

describe('shared parameters', () => {
  it('parameters() and namedParameters() list a tied weight once, under its first name', () => {
    const m = new Tied();
    expect(m.namedParameters().map(([n]) => n)).toEqual(['wte.weight', 'hidden.weight', 'hidden.bias']);
    expect(m.parameters()).toHaveLength(3);
    expect(m.namedParameters('', false).map(([n]) => n)).toEqual([
      'wte.weight',
      'hidden.weight',
      'hidden.bias',
      'lmHead.weight',
    ]);
    expect(m.namedParameters('model').map(([n]) => n)[0]).toBe('model.wte.weight');
    // 15 + 9 + 3, the shared 15 counted once.
    expect(m.toString().split('\n')[0]).toBe('Tied(27 parameters)');
  });

  it('a module reachable by two paths is one module', () => {
    class Twice extends nn.Module {
      a = new nn.Linear(2, 2);
      b = this.a;
      forward(x: Tensor): Tensor {
        return this.b.call(this.a.call(x));
      }
    }
    const m = new Twice();
    expect(m.namedModules().map(([n]) => n)).toEqual(['', 'a']);
    expect(m.namedModules('', false).map(([n]) => n)).toEqual(['', 'a', 'b']);
    expect(m.parameters()).toHaveLength(2);
  });

  it('the state dict keeps every name (as PyTorch) and loads back', () => {
    const m = new Tied();
    const sd = m.stateDict();
    expect(Object.keys(sd)).toContain('lmHead.weight');
    expect(Object.keys(sd)).toContain('wte.weight');
    const m2 = new Tied();
    m2.loadStateDict(sd);
    expect(m2.wte.weight.toArray()).toEqual(m.wte.weight.toArray());
    expect(m2.lmHead.weight).toBe(m2.wte.weight);
  });

  it('an optimizer over parameters() and over decay/no-decay groups steps the tied weight once', () => {
    const m = new Tied();
    const decay = m.parameters().filter((p) => p.ndim >= 2);
    const noDecay = m.parameters().filter((p) => p.ndim < 2);
    const opt = new optim.AdamW(
      [
        { params: decay, weightDecay: 0.1 },
        { params: noDecay, weightDecay: 0 },
      ],
      { lr: 0.01 },
    );
    const loss = nn.functional.crossEntropy(
      m.call(tensor([0, 1, 2], { dtype: 'int64' })),
      tensor([1, 2, 3], { dtype: 'int64' }),
    );
    loss.backward();
    expect(() => opt.step()).not.toThrow();
    expect(opt.paramGroups.flatMap((g) => g.params)).toHaveLength(3);
  });

  it('the same tensor twice in one group is one parameter, stepped once', () => {
    const p = tk.ones([2], { requiresGrad: true });
    const opt = new optim.SGD([p, p], { lr: 0.5 });
    expect(opt.paramGroups[0].params).toHaveLength(1);
    p.grad = tk.ones([2]);
    opt.step();
    expect(p.toArray()).toEqual([0.5, 0.5]);
  });

  it('a tensor in two groups is an error naming where it already is', () => {
    const p = tk.ones([4, 2], { requiresGrad: true });
    expectTensorError(
      () => new optim.SGD([{ params: [p] }, { params: [tk.ones([1], { requiresGrad: true }), p] }], { lr: 0.1 }),
      'INVALID_ARGUMENT',
      /SGD: params\[1\] of parameter group 1 \(shape \[4, 2\]\) is already params\[0\] of group 0/,
    );
  });

  it('clipGradNorm_ counts and scales a gradient listed twice once', () => {
    const mk = () => {
      const p = tk.ones([2], { requiresGrad: true });
      p.grad = tensor([3, 4]);
      return p;
    };
    const once = mk(),
      twice = mk();
    const n1 = nn.utils.clipGradNorm_([once], 1);
    const n2 = nn.utils.clipGradNorm_([twice, twice], 1);
    expect(n2).toBeCloseTo(5, 5);
    expect(n2).toBe(n1);
    expect(twice.grad!.toArray()).toEqual(once.grad!.toArray());
    expect(twice.grad!.data()[0]).toBeCloseTo(0.6, 5);
  });
});

describe('messages that name the fix', () => {
  it('a Linear fed the wrong width names the layer and its inFeatures', () => {
    const fc = new nn.Linear(9216, 10);
    expectTensorError(
      () => fc.call(tk.zeros([2, 9000])),
      'SHAPE_MISMATCH',
      /Linear\(inFeatures=9216, outFeatures=10\): expected input \[\.\.\., 9216\], got \[2, 9000\]/,
    );
    expectTensorError(
      () => nn.functional.linear(tk.zeros([2, 9000]), tk.zeros([10, 9216])),
      'SHAPE_MISMATCH',
      /linear: expected input with last dimension 9216 \(inFeatures of the \[10, 9216\] weight\), got input \[2, 9000\]/,
    );
  });

  it('crossEntropy with float class labels says they must be int64', () => {
    expectTensorError(
      () => nn.functional.crossEntropy(tk.zeros([4, 3]), tensor([0, 1, 2, 1])),
      'DTYPE_MISMATCH',
      /class-index targets must be int64, got a float32 target of shape \[4\]/,
    );
  });
});
