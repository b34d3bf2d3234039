// The lazy modules (src/nn/lazy.ts): input sizes inferred from the first input, the same
// initialisation as the eager module under the same seed, parameters that keep their identity
// (an optimizer made first trains them), loading a checkpoint into an unbuilt model, dtype moves
// before the first input, and errors.
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { nn, optim, type Tensor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';

const same = (a: Tensor, b: Tensor) => expect(a.sub(b).abs().max().item()).toBe(0);

describe('lazy modules', () => {
  it('LazyLinear: inFeatures from the first input, initialised as Linear under the same seed, trained by an optimizer made first', () => {
    const lazy = new nn.LazyLinear(3);
    expect(lazy.hasUninitializedParams()).toBe(true);
    expect(lazy.weight.shape).toEqual([0]);
    const opt = new optim.SGD(lazy.parameters(), { lr: 0.1, momentum: 0.9 });
    const x = tk.randn([4, 5]);
    tk.manualSeed(11);
    const eager = new nn.Linear(5, 3);
    const opt2 = new optim.SGD(eager.parameters(), { lr: 0.1, momentum: 0.9 });
    tk.manualSeed(11);
    lazy.call(x); // built here, with the draws the eager Linear made
    for (let i = 0; i < 3; i++)
      for (const [m, o] of [
        [lazy, opt],
        [eager, opt2],
      ] as const) {
        o.zeroGrad();
        m.call(x).square().mean().backward();
        o.step();
      }
    expect(lazy.hasUninitializedParams()).toBe(false);
    expect(lazy.materialized).toBeInstanceOf(nn.Linear);
    expect(lazy.weight.shape).toEqual([3, 5]);
    same(lazy.weight, eager.weight);
    same(lazy.bias!, eager.bias!);
    expect(new nn.LazyLinear(2, { bias: false }).bias).toBeNull();
  });
  it('LazyConv1d/2d/3d and the transposed ones: inChannels from batched and unbatched inputs, groups', () => {
    const cases: [nn.Module, Tensor, number[]][] = [
      [new nn.LazyConv1d(4, 3), tk.randn([2, 6, 9]), [4, 6, 3]],
      [new nn.LazyConv2d(4, 3, { padding: 1, groups: 2 }), tk.randn([2, 6, 5, 5]), [4, 3, 3, 3]],
      [new nn.LazyConv2d(4, 3), tk.randn([6, 5, 5]), [4, 6, 3, 3]],
      [new nn.LazyConv3d(2, 1), tk.randn([1, 3, 2, 2, 2]), [2, 3, 1, 1, 1]],
      [new nn.LazyConvTranspose1d(4, 3), tk.randn([2, 6, 9]), [6, 4, 3]],
      [new nn.LazyConvTranspose2d(4, 3, { stride: 2, groups: 2 }), tk.randn([1, 6, 4, 4]), [6, 2, 3, 3]],
      [new nn.LazyConvTranspose3d(2, 1), tk.randn([1, 3, 2, 2, 2]), [3, 2, 1, 1, 1]],
    ];
    for (const [m, x, w] of cases) {
      const y = m.call(x) as Tensor;
      const weight = (m as unknown as { weight: Tensor }).weight;
      expect(weight.shape, m.constructor.name).toEqual(w);
      const real = (m as unknown as { materialized: nn.Module }).materialized;
      same(y, real.call(x) as Tensor);
    }
  });
  it('LazyBatchNorm and LazyInstanceNorm: numFeatures from the channel dim, running statistics as the eager module', () => {
    const x = tk.randn([8, 3, 4, 4]);
    const lazy = new nn.LazyBatchNorm2d({ momentum: 0.2 });
    const eager = new nn.BatchNorm2d(3, { momentum: 0.2 });
    same(lazy.call(x), eager.call(x));
    same((lazy as unknown as { runningMean: Tensor }).runningMean, eager.runningMean!);
    lazy.eval();
    eager.eval();
    same(lazy.call(x), eager.call(x));
    expect(new nn.LazyBatchNorm1d().call(tk.randn([4, 5, 2])).shape).toEqual([4, 5, 2]);
    expect((new nn.LazyBatchNorm3d({ affine: false }) as unknown as { weight: null }).weight).toBeNull();
    const inorm = new nn.LazyInstanceNorm1d({ affine: true, trackRunningStats: true });
    inorm.call(tk.randn([5, 7]));
    expect((inorm as unknown as { weight: Tensor }).weight.shape).toEqual([5]);
    expect((inorm as unknown as { runningMean: Tensor }).runningMean.shape).toEqual([5]);
    expect(new nn.LazyInstanceNorm2d().call(tk.randn([2, 3, 4, 4])).shape).toEqual([2, 3, 4, 4]);
    expect(new nn.LazyInstanceNorm3d().call(tk.randn([3, 2, 2, 2])).shape).toEqual([3, 2, 2, 2]);
  });
  it('loadStateDict into an unbuilt model takes the shapes from the checkpoint, nested or not', () => {
    const make = () =>
      new nn.Sequential(
        new nn.LazyConv2d(4, 3, { padding: 1 }),
        new nn.LazyBatchNorm2d(),
        new nn.ReLU(),
        new nn.Flatten(),
        new nn.LazyLinear(3),
      );
    const a = make();
    const x = tk.randn([2, 5, 6, 6]);
    a.call(x);
    const b = make();
    b.loadStateDict(a.stateDict());
    a.eval();
    b.eval();
    same(a.call(x) as Tensor, b.call(x) as Tensor);
    expectTensorError(
      () => make().loadStateDict({ '0.weight': tk.zeros([4, 5, 3, 3]) }),
      'INVALID_ARGUMENT',
      /missing keys/,
    );
  });
  it('Module.to before the first input: the built tensors take the moved dtype', () => {
    const m = new nn.LazyLinear(2).to('float64');
    const y = m.call(tk.randn([3, 4], { dtype: 'float64' }));
    expect(m.weight.dtype).toBe('float64');
    expect(y.dtype).toBe('float64');
  });
  it('errors: an input without the dims, a bad option at construction', () => {
    expectTensorError(() => new nn.LazyLinear(2).call(tk.tensor(1)), 'SHAPE_MISMATCH', /LazyLinear: expected an input/);
    expectTensorError(
      () => new nn.LazyConv2d(2, 3).call(tk.randn([5, 5])),
      'SHAPE_MISMATCH',
      /LazyConv2d: expected a 4-D \(batched\) or 3-D input/,
    );
    expectTensorError(() => new nn.LazyConv2d(2, 3, { groups: 0 }), 'INVALID_ARGUMENT', /groups/);
    expectTensorError(() => new nn.LazyLinear(-1), 'INVALID_ARGUMENT', /outFeatures/);
    expectTensorError(
      () => new nn.LazyLinear(2).call('x' as never),
      'INVALID_ARGUMENT',
      /LazyLinear: expected a Tensor/,
    );
  });
});
