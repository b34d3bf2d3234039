// torch's in-place free functions (torch.abs_(x), ...) and F's in-place activations (F.elu_, ...):
// each returns input, holding exactly what the out-of-place form gives; the activations
// differentiate as their out-of-place forms on a non-leaf, refuse a leaf that requires grad, and
// check their input.
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { nn, type Tensor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';

const F = nn.functional;
type Fn = (...a: unknown[]) => Tensor;
const T = tk as unknown as Record<string, Fn>;

// name -> [the out-of-place method, arguments, input values]
const UNARY: Record<string, [string, unknown[], number[]]> = {};
for (const n of 'abs ceil cos cosh deg2rad erf erfc exp exp2 expm1 fix floor frac neg negative rad2deg round sigmoid sin sinc sinh square tan tanh trunc relu i0'.split(
  ' ',
))
  UNARY[`${n}_`] = [n, [], [-1.5, -0.25, 0.5, 2.25]];
for (const n of 'sqrt rsqrt log log10 log1p log2 reciprocal'.split(' ')) UNARY[`${n}_`] = [n, [], [0.25, 0.5, 2, 9]];
for (const n of 'acos asin atanh arccos arcsin arctanh'.split(' ')) UNARY[`${n}_`] = [n, [], [-0.75, -0.25, 0.5, 0.9]];
for (const n of 'atan arctan asinh arcsinh'.split(' ')) UNARY[`${n}_`] = [n, [], [-2, -0.25, 0.5, 3]];
for (const n of 'acosh arccosh'.split(' ')) UNARY[`${n}_`] = [n, [], [1, 1.5, 2, 9]];
Object.assign(UNARY, {
  clamp_: ['clamp', [-0.5, 1], [-1.5, -0.25, 0.5, 2.25]],
  clip_: ['clip', [-0.5, 1], [-1.5, -0.25, 0.5, 2.25]],
  clampMax_: ['clampMax', [0.3], [-1.5, -0.25, 0.5, 2.25]],
  clampMin_: ['clampMin', [0.3], [-1.5, -0.25, 0.5, 2.25]],
  logit_: ['logit', [], [0.1, 0.25, 0.5, 0.9]],
  nanToNum_: ['nanToNum', [{ nan: 0, posinf: 9 }], [NaN, 1, Infinity, -2]],
  ldexp_: ['ldexp', [tk.tensor([1, 2, 0, -1])], [1, 1.5, 3, 4]],
  xlogy_: ['xlogy', [tk.tensor([2, 3, 4, 5])], [0, 1, 2, 3]],
});

describe('torch.*_ free functions', () => {
  it('each writes its out-of-place result into input and returns it', () =>
    tk.tidy(() => {
      for (const [name, [method, args, values]] of Object.entries(UNARY)) {
        const x = tk.tensor(values);
        const want = (x as unknown as Record<string, Fn>)[method](...args).toArray();
        const got = T[name](x, ...args);
        expect(got, name).toBe(x);
        expect(x.toArray(), name).toEqual(want);
      }
      const i = tk.tensor([12, 18, 7], { dtype: 'int32' });
      expect(tk.gcd_(i, tk.tensor([8, 12, 21], { dtype: 'int32' })).toArray()).toEqual([4, 6, 7]);
      expect(tk.lcm_(i, tk.tensor([3, 4, 2], { dtype: 'int32' })).toArray()).toEqual([12, 12, 14]);
      expect(tk.fill_(tk.zeros([2]), 3).toArray()).toEqual([3, 3]);
      expect(tk.zero_(tk.ones([2])).toArray()).toEqual([0, 0]);
      expect(tk.addmv_(tk.ones([2]), tk.eye(2), tk.tensor([2, 3])).toArray()).toEqual([3, 4]);
      expect(tk.indexPut_(tk.zeros([3]), [tk.tensor([2], { dtype: 'int64' })], tk.tensor([5])).toArray()).toEqual([
        0, 0, 5,
      ]);
      expectTensorError(() => tk.abs_(3 as never), 'INVALID_ARGUMENT', /abs_/);
    }));
});

describe("F's in-place activations", () => {
  const cases: [string, (x: Tensor) => Tensor, (x: Tensor) => Tensor][] = [
    ['relu_', (x) => F.relu_(x), (x) => F.relu(x)],
    ['elu_', (x) => F.elu_(x, 0.7), (x) => F.elu(x, 0.7)],
    ['celu_', (x) => F.celu_(x, 1.3), (x) => F.celu(x, 1.3)],
    ['selu_', (x) => F.selu_(x), (x) => F.selu(x)],
    ['hardtanh_', (x) => F.hardtanh_(x, -0.5, 0.8), (x) => F.hardtanh(x, -0.5, 0.8)],
    ['leakyRelu_', (x) => F.leakyRelu_(x, 0.2), (x) => F.leakyRelu(x, 0.2)],
    ['rrelu_', (x) => F.rrelu_(x), (x) => F.rrelu(x)],
    ['threshold_', (x) => F.threshold_(x, 0.1, -3), (x) => F.threshold(x, 0.1, -3)],
  ];
  it('values and gradients as the out-of-place forms, on a non-leaf; a leaf that requires grad is refused', () =>
    tk.tidy(() => {
      const v = [-1.5, -0.25, 0.05, 0.5, 2.25];
      const w = tk.tensor([1, -2, 0.5, 3, -1], { dtype: 'float64' });
      for (const [name, inPlace, outOfPlace] of cases) {
        const a = tk.tensor(v, { dtype: 'float64', requiresGrad: true });
        const x = a.mul(1);
        const y = inPlace(x);
        expect(y, name).toBe(x);
        y.mul(w).sum().backward();
        const b = tk.tensor(v, { dtype: 'float64', requiresGrad: true });
        const z = outOfPlace(b.mul(1));
        z.mul(w).sum().backward();
        expect(y.toArray(), `${name} value`).toEqual(z.toArray());
        expect(a.grad!.toArray(), `${name} gradient`).toEqual(b.grad!.toArray());
        expectTensorError(() => inPlace(tk.tensor(v, { requiresGrad: true })), 'INVALID_ARGUMENT', /leaf/);
        expectTensorError(() => inPlace('x' as never), 'INVALID_ARGUMENT', new RegExp(name));
      }
    }));
});
