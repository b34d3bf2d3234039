// nn.Module's torch surface beyond the basics: namedChildren, addModule/registerModule,
// registerParameter, getSubmodule/getParameter/getBuffer, requiresGrad_ (freezing), half/float/
// double/bfloat16/cpu, dtype conversion of floating tensors only, zeroGrad(setToNone) and
// extraRepr; each as torch.nn.Module behaves.
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { nn, optim, tensor, type Tensor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';

class Block extends nn.Module {
  conv = new nn.Conv2d(1, 2, 3);
  bn = new nn.BatchNorm2d(2);
  forward(x: Tensor) {
    return this.bn.forward(this.conv.forward(x));
  }
}
class Net extends nn.Module {
  block = new Block();
  fc = new nn.Linear(2, 2);
  alias = this.fc; // the same child under a second name
  forward(x: Tensor) {
    return this.fc.forward(this.block.forward(x).mean([2, 3]));
  }
}

describe('nn.Module: children, registration and lookup by path', () => {
  it('namedChildren lists each direct child once, under its first name', () => {
    const net = new Net();
    expect(net.namedChildren().map(([n]) => n)).toEqual(['block', 'fc']);
    expect(net.children()).toEqual([net.block, net.fc]);
  });

  it('addModule, registerModule and registerParameter add members found by traversal and state dicts', () => {
    const m = new nn.Sequential();
    m.addModule('first', new nn.Linear(2, 3));
    m.registerModule('slot', null);
    m.registerParameter('scale', nn.Parameter(tk.ones([1])));
    m.registerParameter('unused', null);
    // a module's own tensors come before its children's, as torch's state_dict
    expect(Object.keys(m.stateDict())).toEqual(['scale', 'first.weight', 'first.bias']);
    expect(m.namedChildren().map(([n]) => n)).toEqual(['first']);
    expect(m.getSubmodule('first')).toBeInstanceOf(nn.Linear);
    expectTensorError(
      () => m.addModule('a.b', new nn.ReLU()),
      'INVALID_ARGUMENT',
      /addModule: "a.b" is not a valid name/,
    );
    expectTensorError(() => m.addModule('forward', new nn.ReLU()), 'INVALID_ARGUMENT', /"forward" is not a valid name/);
    expectTensorError(() => m.addModule('x', {} as never), 'INVALID_ARGUMENT', /is not an nn.Module \(or null\)/);
    expectTensorError(
      () => m.registerParameter('w', tk.ones([2])),
      'INVALID_ARGUMENT',
      /registerParameter: .* is not a parameter \(wrap the tensor in nn.Parameter/,
    );
    m.registerBuffer('counter', tk.zeros([1]));
    expectTensorError(() => m.registerParameter('counter', null), 'INVALID_ARGUMENT', /already a buffer/);
  });

  it('getSubmodule, getParameter and getBuffer follow dotted paths, with errors naming the step', () => {
    const net = new Net();
    expect(net.getSubmodule('')).toBe(net);
    expect(net.getSubmodule('block.bn')).toBe(net.block.bn);
    expect(net.getParameter('block.conv.weight')).toBe(net.block.conv.weight);
    expect(net.getParameter('fc.bias')).toBe(net.fc.bias);
    expect(net.getBuffer('block.bn.runningMean')).toBe(net.block.bn.runningMean);
    expectTensorError(() => net.getSubmodule('block.nope'), 'INVALID_ARGUMENT', /Net.block has no attribute "nope"/);
    expectTensorError(
      () => net.getSubmodule('block.training'),
      'INVALID_ARGUMENT',
      /Net.block.training is not an nn.Module, got true/,
    );
    expectTensorError(
      () => net.getParameter('block.bn.runningMean'),
      'INVALID_ARGUMENT',
      /"block.bn.runningMean" is not a parameter/,
    );
    expectTensorError(() => net.getBuffer('fc.weight'), 'INVALID_ARGUMENT', /"fc.weight" is not a buffer/);
    expectTensorError(() => net.getParameter('fc.nope'), 'INVALID_ARGUMENT', /Linear has no attribute "nope"/);
    expectTensorError(() => net.getSubmodule(3 as never), 'INVALID_ARGUMENT', /getSubmodule/);
  });
});

describe('nn.Module: freezing, dtypes and gradients', () => {
  it('requiresGrad_(false) freezes: no gradients reach the frozen part, the optimizer leaves it', () => {
    const net = new Net();
    expect(net.block.requiresGrad_(false)).toBe(net.block);
    const before = net.block.conv.weight.clone();
    const opt = new optim.SGD(net.parameters(), { lr: 0.5 });
    net
      .call(tk.randn([2, 1, 5, 5]))
      .sum()
      .backward();
    expect(net.block.conv.weight.grad).toBeNull();
    expect(net.fc.weight.grad).not.toBeNull();
    opt.step();
    expect(net.block.conv.weight.equal(before)).toBe(true);
    net.requiresGrad_();
    expect(net.parameters().every((p) => p.requiresGrad)).toBe(true);
  });

  it('half, bfloat16, float, double and cpu convert floating tensors only; an integer dtype is refused', () => {
    const net = new Net();
    net.block.bn.registerBuffer('steps', tensor([3], { dtype: 'int64' }));
    const w = net.fc.weight;
    expect(net.double()).toBe(net);
    expect([w.dtype, net.getBuffer('block.bn.runningVar').dtype, net.getBuffer('block.bn.steps').dtype]).toEqual([
      'float64',
      'float64',
      'int64', // as torch's: module.to(dtype) leaves integer buffers alone
    ]);
    expect(net.fc.weight).toBe(w); // converted in place
    net.half();
    expect(w.dtype).toBe('float16');
    net.bfloat16();
    expect(w.dtype).toBe('bfloat16');
    net.float().cpu();
    expect([w.dtype, w.device]).toEqual(['float32', 'cpu']);
    expect(net.getBuffer('block.bn.steps').toArray()).toEqual([3]);
    expectTensorError(() => net.to('int32'), 'DTYPE_MISMATCH', /Module.to: only floating dtypes are accepted/);
    expectTensorError(() => net.cuda(-1), 'INVALID_ARGUMENT', /cuda: expected a device index/);
  });

  it('zeroGrad(false) zeros the gradients in place; zeroGrad() sets them to null', () => {
    const lin = new nn.Linear(3, 2);
    lin
      .call(tk.ones([1, 3]))
      .sum()
      .backward();
    const g = lin.weight.grad!;
    lin.zeroGrad(false);
    expect(g.abs().sum().item()).toBe(0); // the same storage, zeroed
    expect(lin.weight.grad!.abs().sum().item()).toBe(0);
    lin.zeroGrad();
    expect(lin.weight.grad).toBeNull();
    expectTensorError(() => lin.zeroGrad('no' as never), 'INVALID_ARGUMENT', /zeroGrad/);
  });

  it("extraRepr adds to the module's line in the printed tree", () => {
    class Scaled extends nn.Module {
      k = 3;
      forward(x: Tensor) {
        return x.mul(this.k);
      }
      override extraRepr() {
        return `k=${this.k}`;
      }
    }
    class Holder extends nn.Module {
      s = new Scaled();
      fc = new nn.Linear(1, 1);
      forward(x: Tensor) {
        return this.fc.forward(this.s.forward(x));
      }
    }
    expect(String(new Holder())).toBe(
      ['Holder(2 parameters)', '  (s): Scaled(k=3; 0 parameters)', '  (fc): Linear(2 parameters)'].join('\n'),
    );
  });
});
