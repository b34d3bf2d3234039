// nn.utils.prune against PyTorch 1.13's masks (test/fixtures/torch-prune.json, written by
// scripts/fixtures/torch_prune.py): L1 by count and fraction (Python's rounding), Ln structured
// along each dim, iterative pruning among live entries and channels, global pruning, importance
// scores; a pruned layer's state dict names, forward, gradient and remove(); random pruning's
// counts; and the argument checks.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { nn, type Tensor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';
import { closeToTorch as close, f64, type Nested } from './helpers/torch-rows.js';

const prune = nn.utils.prune;
const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-prune.json', import.meta.url), 'utf8')) as {
  cases: Record<string, Record<string, Nested>>;
  pruned: { keys: string[]; keysAfter: string[]; out: Nested; grad: Nested; x: Nested; removed: Nested };
};

// the fixture's weights: distinct magnitudes, mixed signs
function weights(shape: number[], k: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, (_, i) => ((((i * 7919 + k * 104729) % 1009) + 1) / 1009) * (-1) ** (i * 3 + k));
  return tk.tensor(v, { dtype: 'float64', shape });
}
function linear(k: number, i = 4, o = 5): nn.Linear {
  const m = new nn.Linear(i, o, { dtype: 'float64' });
  tk.noGrad(() => {
    m.weight.copy_(weights([o, i], k));
    m.bias!.copy_(weights([o], k + 11));
  });
  return m;
}
function conv(k: number): nn.Conv2d {
  const m = new nn.Conv2d(3, 6, 2, { dtype: 'float64' });
  tk.noGrad(() => {
    m.weight.copy_(weights([6, 3, 2, 2], k));
    m.bias!.copy_(weights([6], k + 5));
  });
  return m;
}
const maskOf = (m: nn.Module, name: string) => (m as unknown as Record<string, Tensor>)[`${name}_mask`];

const CASES: Record<string, [() => nn.Module, ((m: nn.Module) => unknown)[]]> = {
  l1Count: [() => linear(1), [(m) => prune.l1Unstructured(m, 'weight', 7)]],
  l1Fraction: [() => linear(2), [(m) => prune.l1Unstructured(m, 'weight', 0.5)]],
  l1FractionRound: [() => linear(3), [(m) => prune.l1Unstructured(m, 'bias', 0.5)]],
  l1FractionRoundUp: [() => linear(4), [(m) => prune.l1Unstructured(m, 'bias', 0.7)]],
  ln2Dim0: [() => conv(1), [(m) => prune.lnStructured(m, 'weight', 0.5, 2, 0)]],
  ln1Dim1: [() => conv(2), [(m) => prune.lnStructured(m, 'weight', 1, 1, 1)]],
  lnInfDimLast: [() => conv(3), [(m) => prune.lnStructured(m, 'weight', 1, Infinity, -1)]],
  iterative: [
    () => conv(4),
    [
      (m) => prune.lnStructured(m, 'weight', 2, 2, 0),
      (m) => prune.l1Unstructured(m, 'weight', 0.25),
      (m) => prune.lnStructured(m, 'weight', 0.5, 1, 1),
    ],
  ],
  importance: [
    () => linear(5),
    [(m) => prune.l1Unstructured(m, 'weight', 6, { importanceScores: weights([5, 4], 9) })],
  ],
};

describe('against PyTorch 1.13', () => {
  for (const [name, [make, steps]] of Object.entries(CASES))
    it(`${name}: the mask`, () => {
      const m = make();
      for (const s of steps) s(m);
      for (const [p, want] of Object.entries(FIX.cases[name])) close(maskOf(m, p), want, `${name} ${p} mask`, 0);
    });

  it('globalUnstructured ranks two layers together', () => {
    const a = linear(6),
      b = linear(7, 5, 3);
    prune.globalUnstructured(
      [
        [a, 'weight'],
        [b, 'weight'],
      ],
      prune.L1Unstructured,
      { amount: 0.4 },
    );
    close(maskOf(a, 'weight'), FIX.cases.global.a, 'layer a', 0);
    close(maskOf(b, 'weight'), FIX.cases.global.b, 'layer b', 0);
    // 40% of the 35 weights across both layers
    const zeros =
      (maskOf(a, 'weight').eq(0).sum().item() as number) + (maskOf(b, 'weight').eq(0).sum().item() as number);
    expect(zeros).toBe(14);
  });

  it("a pruned layer: torch's state dict names, forward and gradient through the mask, and remove()", () => {
    const m = linear(8);
    prune.l1Unstructured(m, 'weight', 0.3);
    prune.l1Unstructured(m, 'bias', 2);
    expect(Object.keys(m.stateDict()).sort()).toEqual(FIX.pruned.keys);
    expect(prune.isPruned(m)).toBe(true);
    expect(m.parameters().length).toBe(2); // weight_orig and bias_orig
    m.forward(f64(FIX.pruned.x)); // a forward before: the hook replaces the weight each time
    const y = m.forward(f64(FIX.pruned.x));
    close(y, FIX.pruned.out, 'output');
    y.sum().backward();
    const orig = (m as unknown as Record<string, Tensor>).weight_orig;
    close(orig.grad!, FIX.pruned.grad, 'gradient of weight_orig (zero where pruned)');
    prune.remove(m, 'weight');
    close(m.weight, FIX.pruned.removed, 'the weight after remove');
    expect(nn.isParameter(m.weight)).toBe(true);
    expect(Object.keys(m.stateDict()).sort()).toEqual(FIX.pruned.keysAfter);
    prune.remove(m, 'bias');
    expect(prune.isPruned(m)).toBe(false);
  });
});

describe('random pruning and checks', () => {
  it('randomUnstructured and randomStructured prune exactly the amount', () => {
    tk.manualSeed(4);
    const m = linear(1);
    prune.randomUnstructured(m, 'weight', 0.25);
    expect(maskOf(m, 'weight').eq(0).sum().item()).toBe(5);
    prune.randomUnstructured(m, 'weight', 3); // among the 15 still alive
    expect(maskOf(m, 'weight').eq(0).sum().item()).toBe(8);
    const c = conv(2);
    prune.randomStructured(c, 'weight', 2, 0);
    const perFilter = maskOf(c, 'weight').sum([1, 2, 3]).toArray() as number[];
    expect(perFilter.filter((v) => v === 0).length).toBe(2);
    expect(perFilter.filter((v) => v === 12).length).toBe(4);
    prune.identity(c, 'bias');
    expect(maskOf(c, 'bias').sum().item()).toBe(6);
    prune.customFromMask(c, 'bias', tk.tensor([1, 0, 1, 0, 1, 1], { dtype: 'float64' }));
    expect(maskOf(c, 'bias').toArray()).toEqual([1, 0, 1, 0, 1, 1]);
  });

  it('refuses bad arguments by name', () => {
    const m = linear(1);
    expectTensorError(
      () => prune.l1Unstructured(m, 'weight', 1.5),
      'INVALID_ARGUMENT',
      /amount must be an integer count/,
    );
    expectTensorError(() => prune.l1Unstructured(m, 'weight', 21), 'INVALID_ARGUMENT', /more than the 20 entries/);
    expectTensorError(() => prune.l1Unstructured(m, 'nope', 1), 'INVALID_ARGUMENT', /has no parameter 'nope'/);
    expectTensorError(() => prune.lnStructured(m, 'weight', 1, 2, 3), 'INDEX_OUT_OF_RANGE', /dim 3 out of range/);
    expectTensorError(
      () => prune.l1Unstructured(m, 'weight', 1, { importanceScores: tk.ones([2]) }),
      'SHAPE_MISMATCH',
      /importanceScores must have the parameter's shape/,
    );
    expectTensorError(() => prune.remove(m, 'weight'), 'INVALID_ARGUMENT', /is not pruned/);
    expectTensorError(() => prune.lnStructured(m, 'weight', 1, 'nuc' as never, 0), 'INVALID_ARGUMENT', /n must be/);
    expectTensorError(
      () => prune.globalUnstructured([[m, 'weight']], prune.RandomStructured as never, { amount: 1 }),
      'INVALID_ARGUMENT',
      /only unstructured methods/,
    );
    expect(prune.isPruned(m)).toBe(false); // nothing half-applied
    expect(nn.isParameter(m.weight)).toBe(true);
  });
});
