// nn.utils.functionalCall (torch.func.functional_call): the module run with given tensors in place
// of its parameters and buffers, restored afterwards; gradients to the given tensors (a MAML-style
// inner step), tied weights, buffers, strict, and the checks.
import { describe, expect, it } from 'vitest';

import { autograd, manualSeed, nn, noGrad, randn, tensor, tidy, type Tensor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';

const call = nn.utils.functionalCall;

class Tied extends nn.Module {
  emb = new nn.Embedding(5, 3);
  head = new nn.Linear(3, 5, { bias: false });
  constructor() {
    super();
    this.head.weight = this.emb.weight; // tied, as a language model's input and output embeddings
  }
  forward(ids: Tensor): Tensor {
    return this.head.forward(this.emb.forward(ids));
  }
}

describe('functionalCall', () => {
  it('runs with the given weights, leaves the module as it was, and sends gradients to them', () =>
    tidy(() => {
      manualSeed(3);
      const model = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1));
      const x = randn([4, 2]);
      const own = model.call(x);
      const w0 = (model.children()[0] as nn.Linear).weight;
      const replacement = tensor(
        [
          [1, 0],
          [0, 1],
          [1, 1],
        ],
        { requiresGrad: true },
      );
      const out = call(model, { '0.weight': replacement }, [x]) as Tensor;
      // by hand: the same model with the first layer's weight swapped
      const b0 = (model.children()[0] as nn.Linear).bias!;
      const l2 = model.children()[2] as nn.Linear;
      const want = l2.forward(x.matmul(replacement.t()).add(b0).relu());
      expect(Number(out.sub(want).abs().max().item())).toBe(0);
      expect((model.children()[0] as nn.Linear).weight).toBe(w0); // restored
      expect(Number(model.call(x).sub(own).abs().max().item())).toBe(0);
      out.sum().backward();
      expect(replacement.grad).not.toBeNull();
      expect(w0.grad).toBeNull(); // the module's own weight took no gradient
    }));

  it('a MAML inner step: the loss after one step is differentiable in the original weights', () =>
    tidy(() => {
      manualSeed(4);
      const lin = new nn.Linear(2, 1);
      const x = randn([8, 2]),
        y = randn([8, 1]);
      const loss = (p: Record<string, Tensor>) => (call(lin, p, x) as Tensor).sub(y).square().mean();
      const params = { weight: lin.weight, bias: lin.bias! };
      const [gw, gb] = autograd.grad(loss(params), [lin.weight, lin.bias!], { createGraph: true });
      const fast = { weight: lin.weight.sub(gw!.mul(0.1)), bias: lin.bias!.sub(gb!.mul(0.1)) };
      loss(fast).backward(); // through the inner step: second derivatives reach lin.weight
      expect(lin.weight.grad!.shape).toEqual([1, 2]);
      // the same by hand, without functionalCall
      const lw = lin.weight.detach().requiresGrad_(),
        lb = lin.bias!.detach().requiresGrad_();
      const by = (w: Tensor, b: Tensor) => x.matmul(w.t()).add(b).sub(y).square().mean();
      const [hw, hb] = autograd.grad(by(lw, lb), [lw, lb], { createGraph: true });
      by(lw.sub(hw!.mul(0.1)), lb.sub(hb!.mul(0.1))).backward();
      expect(Number(lin.weight.grad!.sub(lw.grad!).abs().max().item())).toBeLessThan(1e-6);
    }));

  it('tied weights take the replacement under every name (tieWeights), or only the one given', () =>
    tidy(() => {
      const m = new Tied();
      const ids = tensor([0, 3], { dtype: 'int64' });
      const w = randn([5, 3]);
      const both = call(m, { 'emb.weight': w }, ids) as Tensor;
      const want = noGrad(() => w.index([ids]).matmul(w.t()));
      expect(Number(both.sub(want).abs().max().item())).toBeLessThan(1e-6);
      const one = call(m, { 'emb.weight': w }, ids, { tieWeights: false }) as Tensor;
      const wantOne = noGrad(() => w.index([ids]).matmul(m.emb.weight.t()));
      expect(Number(one.sub(wantOne).abs().max().item())).toBeLessThan(1e-6);
      expectTensorError(
        () => call(m, { 'emb.weight': w, 'head.weight': randn([5, 3]) }, ids),
        'INVALID_ARGUMENT',
        /'emb.weight' and 'head.weight' are tied \(one tensor\) but were given different tensors/,
      );
      expect(m.head.weight).toBe(m.emb.weight); // still tied afterwards
    }));

  it('replaces buffers, accepts a Map, and restores after a throw', () =>
    tidy(() => {
      const bn = new nn.BatchNorm1d(2).eval();
      const x = tensor([[1, 2]]);
      const out = call(bn, new Map([['runningMean', tensor([1, 1])]]), [x]) as Tensor;
      expect(Array.from(out.data() as Float32Array).map((v) => Math.round(v * 1e4) / 1e4)).toEqual([0, 1]);
      const mean = bn.runningMean;
      expect(() => call(bn, { runningMean: tensor([1, 1, 1]) }, [x])).toThrow();
      expect(bn.runningMean).toBe(mean);
    }));

  it('strict, and the checks', () =>
    tidy(() => {
      const lin = new nn.Linear(2, 1);
      const x = randn([1, 2]);
      expectTensorError(
        () => call(lin, { weight: randn([1, 2]) }, [x], { strict: true }),
        'INVALID_ARGUMENT',
        /functionalCall: strict, and \["bias"\] were not given/,
      );
      expect((call(lin, { weight: randn([1, 2]), bias: randn([1]) }, [x], { strict: true }) as Tensor).shape).toEqual([
        1, 1,
      ]);
      expectTensorError(
        () => call(lin, { wieght: randn([1, 2]) }, [x]),
        'INVALID_ARGUMENT',
        /\["wieght"\] name no parameter or buffer of Linear/,
      );
      expectTensorError(
        () => call(lin, { weight: 3 as never }, [x]),
        'INVALID_ARGUMENT',
        /'weight' is not a Tensor, got 3/,
      );
      expectTensorError(() => call({} as never, {}, [x]), 'INVALID_ARGUMENT', /expected an nn.Module/);
      expectTensorError(() => call(lin, 'w' as never, [x]), 'INVALID_ARGUMENT', /expected an object or Map of tensors/);
      expectTensorError(
        () => call(lin, {}, [x], { tieWeight: true } as never),
        'INVALID_ARGUMENT',
        /did you mean 'tieWeights'/,
      );
    }));
});
