// Every differentiable op through gradcheck (float64 central differences) on contiguous, strided
// and expanded inputs, from the shared table in helpers/grad-cases.ts.
import { describe, expect, it } from 'vitest';

import { binding } from '../src/binding.js';
import { gradcheck, GradcheckError, gradgradcheck, memory, randn, type Tensor } from '../src/index.js';
import { GRAD_CASES, NON_DIFFERENTIABLE, type GradCase } from './helpers/grad-cases.js';
import { disposeAll, input, LAYOUTS, prng, type Layout } from './helpers/harness.js';

function seedOf(name: string): number {
  let h = 2166136261;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

function combos(c: GradCase): Layout[][] {
  const base: Layout[] = c.inputs.map(() => 'contiguous');
  const out = [base];
  c.inputs.forEach((_, i) => {
    for (const l of c.layouts ?? LAYOUTS) if (l !== 'contiguous') out.push(base.map((b, j) => (j === i ? l : b)));
  });
  return out;
}

// Leaves in the requested layout: a detached view keeps the view's strides.
function leaves(c: GradCase, combo: Layout[], rnd: () => number): Tensor[] | undefined {
  const pairs = c.inputs.map((spec, i) => input(spec, combo[i], rnd));
  if (pairs.some((p) => p === undefined)) {
    disposeAll(pairs.filter(Boolean).map((p) => p!.native));
    return undefined;
  }
  return pairs.map((p, i) => {
    const leaf = p!.native.detach();
    p!.native.dispose();
    if (c.inputs[i].grad !== false) leaf.requiresGrad = true;
    return leaf;
  });
}

describe('gradcheck over the op table', () => {
  for (const c of GRAD_CASES) {
    it(`${c.name}`, () => {
      const rnd = prng(seedOf(c.name));
      let ran = 0;
      for (const combo of combos(c)) {
        const xs = leaves(c, combo, rnd);
        if (!xs) continue;
        try {
          expect(gradcheck(c.fn, xs, c.tol), `${c.name} [${combo.join(', ')}]`).toBe(true);
        } catch (e) {
          throw new Error(`${c.name} [${combo.join(', ')}]: ${(e as Error).message}`);
        } finally {
          disposeAll(xs);
        }
        ran++;
      }
      expect(ran).toBeGreaterThan(0);
    });
  }
});

describe('the derivative table', () => {
  it('every differentiable op has a gradcheck row, and the rest are listed as not differentiable', () => {
    const covered = new Set(GRAD_CASES.flatMap((c) => c.ops));
    const missing = binding.opNames.filter((n) => binding.differentiable(n) && !covered.has(n as never));
    expect(missing).toEqual([]);
    const nondiff = binding.opNames.filter((n) => !binding.differentiable(n));
    expect(nondiff.sort()).toEqual([...NON_DIFFERENTIABLE].sort());
  });

  it('second derivatives through createGraph (gradgradcheck)', () => {
    const x = randn([4], { dtype: 'float64', requiresGrad: true });
    const y = randn([4], { dtype: 'float64', requiresGrad: true });
    const fns: ((a: Tensor, b: Tensor) => Tensor)[] = [
      (a) => a.pow(3).sum(),
      (a, b) => a.mul(b).sin().sum(),
      (a, b) => a.tanh().mul(b.exp()).softmax(0),
      (a, b) => a.reshape(2, 2).matmul(b.reshape(2, 2)).sigmoid(),
      (a) => a.abs().add(1).log().mean(),
    ];
    for (const f of fns) expect(gradgradcheck(f, [x, y])).toBe(true);
    disposeAll(x, y);
  });

  it('gradcheck reports a wrong gradient', () => {
    const x = randn([3], { dtype: 'float64', requiresGrad: true });
    // detach() hides one factor from autograd: analytic x, numerical 2x.
    const bad = (a: Tensor) => a.mul(a.detach());
    expect(() => gradcheck(bad, [x])).toThrow(GradcheckError);
    expect(() => gradcheck(bad, [x])).toThrow(/input 0, element 0: analytic/);
    expect(gradcheck(bad, [x], { raiseException: false })).toBe(false);
    const f32 = randn([3], { requiresGrad: true });
    expect(() => gradcheck((a) => a.exp(), [f32])).toThrow(/float64/);
    disposeAll(x, f32);
  });

  it('leaves no tensors alive', () => {
    expect(memory().tensors).toBe(0);
  });
});
