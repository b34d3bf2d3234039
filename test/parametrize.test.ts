// nn.utils.parametrize against PyTorch 1.13 (test/fixtures/torch-parametrize.json, written by
// scripts/fixtures/torch_parametrize.py): a symmetric parametrization with rightInverse, a learned
// scale chained on top (state-dict names, output, gradients), assignment through rightInverse,
// removal either way; cached(); an optimizer training the original; and the checks.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { nn, optim, type Tensor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';
import { closeToTorch as close, f64, type Nested } from './helpers/torch-rows.js';

const P = nn.utils.parametrize;
const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-parametrize.json', import.meta.url), 'utf8')) as Record<
  string,
  Nested & Record<string, Nested>
>;

class Symmetric extends nn.Module {
  forward(x: Tensor) {
    return x.triu().add(x.triu(1).mT);
  }
  rightInverse(a: Tensor) {
    return a.triu();
  }
}
class Scale extends nn.Module {
  scale = nn.Parameter(tk.tensor(1.5, { dtype: 'float64' }));
  forward(x: Tensor) {
    return x.mul(this.scale);
  }
}
function linear(): nn.Linear {
  const m = new nn.Linear(3, 3, { dtype: 'float64' });
  tk.noGrad(() => {
    m.weight.copy_(f64(FIX.w0));
    m.bias!.copy_(f64(FIX.b0));
  });
  return m;
}
type Parametrized = nn.Linear & { parametrizations: nn.ModuleDict<nn.utils.parametrize.ParametrizationList> };

describe('against PyTorch 1.13', () => {
  it('register: the original through rightInverse, the weight computed; a chained scale; output and gradients', () => {
    const m = linear() as Parametrized;
    const p0 = m.weight;
    P.registerParametrization(m, 'weight', new Symmetric());
    const list = m.parametrizations.get('weight');
    expect(list.original).toBe(p0); // the same parameter object (an optimizer holding it still trains it)
    close(m.weight, FIX.afterRegister.weight, 'weight');
    close(list.original, FIX.afterRegister.original, 'original');
    expect(P.isParametrized(m) && P.isParametrized(m, 'weight') && !P.isParametrized(m, 'bias')).toBe(true);
    P.registerParametrization(m, 'weight', new Scale());
    expect(Object.keys(m.stateDict()).sort()).toEqual([...(FIX.chained.keys as string[])].sort());
    const y = m.forward(f64(FIX.x));
    close(y, FIX.chained.y, 'output');
    close(m.weight, FIX.chained.weight, 'chained weight');
    y.pow(2).sum().backward();
    close(list.original.grad!, FIX.chained.gradOriginal, 'd/d original');
    close((list.get(1) as Scale).scale.grad!, FIX.chained.gradScale, 'd/d scale');
    expect(m.parameters().length).toBe(3); // bias, original, scale
  });

  it('assignment goes through rightInverse; removal keeps the parametrized value or the original', () => {
    const m = linear() as Parametrized;
    P.registerParametrization(m, 'weight', new Symmetric());
    m.weight = f64(FIX.target);
    close(m.parametrizations.get('weight').original, FIX.assigned.original, 'original after assignment');
    close(m.weight, FIX.assigned.weight, 'weight after assignment');
    P.removeParametrizations(m, 'weight');
    close(m.weight, FIX.removed.weight, 'weight after removal');
    expect(nn.isParameter(m.weight)).toBe(true);
    expect(Object.keys(m.stateDict())).toEqual(FIX.removed.keys);
    expect('parametrizations' in m).toBe(false);
    const m3 = linear();
    P.registerParametrization(m3, 'weight', new Symmetric());
    P.removeParametrizations(m3, 'weight', { leaveParametrized: false });
    close(m3.weight, FIX.removedOriginal, 'the original kept');
  });
});

describe('behaviour', () => {
  it('an optimizer trains the original; the weight stays symmetric', () => {
    const m = linear() as Parametrized;
    const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
    P.registerParametrization(m, 'weight', new Symmetric()); // after the optimizer: the same tensor
    for (let i = 0; i < 5; i++) {
      opt.zeroGrad();
      tk.tidy(() => m.forward(f64(FIX.x)).sub(1).square().sum().backward());
      opt.step();
    }
    const w = m.weight;
    expect(w.sub(w.mT).abs().max().item()).toBe(0);
    expect(w.sub(f64(FIX.afterRegister.weight)).abs().max().item()).toBeGreaterThan(1e-3);
  });

  it('a deep copy reads its own original', () => {
    const m = linear() as Parametrized;
    P.registerParametrization(m, 'weight', new Symmetric());
    const c = nn.utils.deepCopy(m) as Parametrized;
    tk.noGrad(() => c.parametrizations.get('weight').original.fill_(1));
    expect(c.weight.sum().item()).toBe(9);
    close(m.weight, FIX.afterRegister.weight, 'the original module unchanged');
  });

  it('cached computes each parametrized tensor once', () => {
    const m = linear();
    let calls = 0;
    class Counting extends nn.Module {
      forward(x: Tensor) {
        calls++;
        return x.mul(2);
      }
    }
    P.registerParametrization(m, 'weight', new Counting());
    calls = 0;
    P.cached(() => {
      const a = m.weight,
        b = m.weight;
      expect(a).toBe(b);
    });
    expect(calls).toBe(1);
    void m.weight;
    void m.weight;
    expect(calls).toBe(3);
  });

  it('checks', () => {
    const m = linear();
    class Shrink extends nn.Module {
      forward(x: Tensor) {
        return x.narrow(0, 0, 2);
      }
    }
    expectTensorError(
      () => P.registerParametrization(m, 'weight', new Shrink()),
      'INVALID_ARGUMENT',
      /gave a float64 \[2, 3\] tensor for a float64 \[3, 3\] one/,
    );
    expect(P.isParametrized(m)).toBe(false); // nothing half-applied
    expectTensorError(
      () => P.registerParametrization(m, 'nope', new Symmetric()),
      'INVALID_ARGUMENT',
      /no tensor 'nope'/,
    );
    expectTensorError(
      () => P.registerParametrization(m, 'weight', 3 as never),
      'INVALID_ARGUMENT',
      /must be an nn.Module/,
    );
    expectTensorError(() => P.removeParametrizations(m, 'weight'), 'INVALID_ARGUMENT', /is not parametrized/);
    P.registerParametrization(m, 'weight', new Symmetric());
    expectTensorError(() => ((m as { weight: unknown }).weight = 3), 'INVALID_ARGUMENT', /expected a Tensor/);
  });
});
