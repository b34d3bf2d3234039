// nn.utils.fuseConvBnEval / fuseLinearBnEval and their *Weights forms: the fused module computes
// bn(conv(x)) of the eval-mode pair, for every convolution kind, groups, transposed layers and a
// linear layer; the weights match PyTorch's fuse_conv_bn_weights on a worked case; the checks.
import { describe, expect, it } from 'vitest';

import { manualSeed, nn, noGrad, randn, tensor, tidy, type Tensor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';

const U = nn.utils;
const maxDiff = (a: Tensor, b: Tensor) => Number(a.sub(b).abs().max().item());

// A batch norm with non-trivial running statistics and affine parameters, in eval mode.
function trainedNorm<B extends nn.BatchNorm1d | nn.BatchNorm2d | nn.BatchNorm3d>(bn: B, c: number): B {
  noGrad(() => {
    bn.runningMean!.copy_(randn([c]));
    bn.runningVar!.copy_(randn([c]).abs().add(0.5));
    bn.weight!.copy_(randn([c]));
    bn.bias!.copy_(randn([c]));
  });
  return bn.eval() as B;
}

describe('fuseConvBnEval', () => {
  const cases: [string, () => nn.Module, () => nn.BatchNorm1d | nn.BatchNorm2d | nn.BatchNorm3d, number[]][] = [
    ['Conv2d', () => new nn.Conv2d(3, 4, 3, { padding: 1 }), () => new nn.BatchNorm2d(4), [2, 3, 6, 6]],
    [
      'Conv2d, groups 2, no bias, stride 2',
      () => new nn.Conv2d(4, 6, 3, { groups: 2, bias: false, stride: 2 }),
      () => new nn.BatchNorm2d(6),
      [2, 4, 7, 7],
    ],
    [
      'Conv2d, reflect padding',
      () => new nn.Conv2d(2, 3, 3, { padding: 1, paddingMode: 'reflect' }),
      () => new nn.BatchNorm2d(3),
      [1, 2, 5, 5],
    ],
    ['Conv1d', () => new nn.Conv1d(3, 5, 3), () => new nn.BatchNorm1d(5), [2, 3, 9]],
    ['Conv3d', () => new nn.Conv3d(2, 3, 2), () => new nn.BatchNorm3d(3), [1, 2, 4, 4, 4]],
    [
      'ConvTranspose2d',
      () => new nn.ConvTranspose2d(3, 4, 2, { stride: 2 }),
      () => new nn.BatchNorm2d(4),
      [2, 3, 4, 4],
    ],
    [
      'ConvTranspose2d, groups 2',
      () => new nn.ConvTranspose2d(4, 6, 3, { groups: 2 }),
      () => new nn.BatchNorm2d(6),
      [1, 4, 5, 5],
    ],
    ['ConvTranspose1d', () => new nn.ConvTranspose1d(2, 3, 3), () => new nn.BatchNorm1d(3), [2, 2, 5]],
  ];
  for (const [name, makeConv, makeNorm, shape] of cases)
    it(`${name}: the fused layer computes bn(conv(x))`, () =>
      tidy(() => {
        manualSeed(7);
        const conv = makeConv().eval() as unknown as nn.Conv2d;
        const c = (conv as unknown as { outChannels: number }).outChannels;
        const bn = trainedNorm(makeNorm(), c);
        const fused = U.fuseConvBnEval(conv, bn);
        expect(fused.constructor).toBe(conv.constructor);
        expect(fused.training).toBe(false);
        expect(fused.bias).not.toBeNull();
        const x = randn(shape);
        const want = noGrad(() => bn.call(conv.call(x)));
        const got = noGrad(() => fused.call(x));
        expect(got.shape).toEqual(want.shape);
        expect(maxDiff(got, want)).toBeLessThan(2e-5 * Math.max(1, Number(want.abs().max().item())));
      }));

  it("gives PyTorch's fused weights (fuse_conv_bn_weights), transposed too", () =>
    tidy(() => {
      const [w, b] = U.fuseConvBnWeights(
        tensor([[[[2]]], [[[3]]]]),
        tensor([1, -1]),
        tensor([0.5, 1]),
        tensor([4, 0.25]),
        0,
        tensor([1, 2]),
        tensor([0, 1]),
      );
      expect([Array.from(w.data() as Float32Array), Array.from(b.data() as Float32Array)]).toEqual([
        [1, 12],
        [0.25, -7],
      ]);
      const [wt, bt] = U.fuseConvBnWeights(
        tk1([2, 3, 1, 1]),
        null,
        tensor([0.5, 1, 2]),
        tensor([4, 0.25, 1]),
        0,
        null,
        null,
        true,
      );
      expect([Array.from(wt.data() as Float32Array), Array.from(bt.data() as Float32Array)]).toEqual([
        [0.5, 2, 1, 0.5, 2, 1],
        [-0.25, -2, -2],
      ]);
    }));

  it('refuses training-mode modules, missing statistics and mismatched channels', () =>
    tidy(() => {
      const conv = new nn.Conv2d(2, 3, 1);
      const bn = new nn.BatchNorm2d(3);
      expectTensorError(
        () => U.fuseConvBnEval(conv, bn),
        'INVALID_ARGUMENT',
        /fuseConvBnEval: fusion is for eval mode only/,
      );
      conv.eval();
      bn.eval();
      expectTensorError(
        () => U.fuseConvBnEval(conv, new nn.BatchNorm2d(3, { trackRunningStats: false }).eval()),
        'INVALID_ARGUMENT',
        /keeps no running statistics/,
      );
      expectTensorError(
        () => U.fuseConvBnEval(conv, new nn.BatchNorm2d(4).eval()),
        'SHAPE_MISMATCH',
        /fuseConvBnEval: the weight has 3 output channels, the batch norm 4/,
      );
      expectTensorError(
        () => U.fuseConvBnEval(new nn.Linear(2, 3) as never, bn),
        'INVALID_ARGUMENT',
        /expected a Conv1d\/2d\/3d or ConvTranspose1d\/2d\/3d/,
      );
      expectTensorError(
        () => U.fuseConvBnEval(conv, conv as never),
        'INVALID_ARGUMENT',
        /expected a BatchNorm1d\/2d\/3d/,
      );
      expectTensorError(
        () => U.fuseConvBnWeights(tk1([3, 1, 1, 1]), null, tensor([0, 0, 0]), tensor([1, 1, 1]), -1, null, null),
        'INVALID_ARGUMENT',
        /eps must be >= 0/,
      );
    }));
});

describe('fuseLinearBnEval', () => {
  it('the fused layer computes bn(linear(x)); linear and bn are unchanged', () =>
    tidy(() => {
      manualSeed(8);
      const lin = new nn.Linear(5, 4).eval();
      const bn = trainedNorm(new nn.BatchNorm1d(4), 4);
      const before = lin.weight.clone();
      const fused = U.fuseLinearBnEval(lin, bn);
      const x = randn([3, 5]);
      expect(
        maxDiff(
          noGrad(() => fused.call(x)),
          noGrad(() => bn.call(lin.call(x))),
        ),
      ).toBeLessThan(2e-5);
      expect(maxDiff(lin.weight, before)).toBe(0);
      expect(fused.weight.requiresGrad).toBe(true); // parameters, as torch's
      expectTensorError(
        () => U.fuseLinearBnEval(new nn.Linear(5, 3).eval(), bn),
        'SHAPE_MISMATCH',
        /fuseLinearBnEval: the weight has 3 output channels, the batch norm 4/,
      );
      expectTensorError(
        () => U.fuseLinearBnWeights(tensor([1, 2]), null, tensor([0]), tensor([1]), 0, null, null),
        'SHAPE_MISMATCH',
        /fuseLinearBnWeights: the weight must be 2-D/,
      );
    }));
});

function tk1(shape: number[]): Tensor {
  return randn(shape).mul(0).add(1);
}
