// nn.AdaptiveLogSoftmaxWithLoss (src/nn/adaptive.ts) against PyTorch 1.13's
// (test/fixtures/torch-adaptive.json, written by scripts/fixtures/torch_adaptive.py): PyTorch's
// state dict loads unchanged (a zero-width tail projection included); outputs, the loss, its
// gradients for the input and every parameter, logProb and predict agree; then the unbatched form,
// training, errors and memory.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { memory, nn } from '../src/index.js';
import { expectTensorError, settleGarbage } from './helpers/harness.js';
import { closeToTorch, f64, shapeOf, type Nested } from './helpers/torch-rows.js';

interface Row {
  name: string;
  args: { inFeatures: number; nClasses: number; cutoffs: number[]; divValue: number; headBias: boolean };
  state: Record<string, Nested>;
  input: Nested;
  target: number[] | number;
  output: Nested;
  loss: number;
  inputGrad?: Nested;
  paramGrads?: Record<string, Nested>;
  logProb?: Nested;
  predictInput?: Nested;
  predict?: number[];
}
const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-adaptive.json', import.meta.url), 'utf8')) as {
  torch: string;
  rows: Row[];
};

function moduleOf(row: Row): nn.AdaptiveLogSoftmaxWithLoss {
  const { inFeatures, nClasses, cutoffs, divValue, headBias } = row.args;
  const m = new nn.AdaptiveLogSoftmaxWithLoss(inFeatures, nClasses, cutoffs, { divValue, headBias, dtype: 'float64' });
  const own = m.stateDict();
  // (JSON loses the shape of an empty weight: take the module's own)
  m.loadStateDict(Object.fromEntries(Object.entries(row.state).map(([k, v]) => [k, f64(v).reshape(own[k].shape)])));
  Object.values(own).forEach((t) => t.dispose());
  return m;
}
const int64 = (v: number[] | number) => tk.tensor(v, { dtype: 'int64' });

describe(`nn.AdaptiveLogSoftmaxWithLoss against PyTorch ${FIX.torch}`, () => {
  for (const row of FIX.rows.filter((r) => r.inputGrad))
    it(row.name, () => {
      tk.tidy(() => {
        const m = moduleOf(row);
        expect(Object.keys(row.state).sort()).toEqual(
          m
            .namedParameters()
            .map(([k]) => k)
            .sort(),
        );
        const x = f64(row.input).requiresGrad_();
        const { output, loss } = m.call(x, int64(row.target));
        closeToTorch(output, row.output, 'output');
        closeToTorch(loss, row.loss, 'loss');
        loss.backward();
        closeToTorch(x.grad!, row.inputGrad!, 'd loss / d input');
        for (const [k, p] of m.namedParameters()) {
          const want = row.paramGrads![k];
          const g = p.numel() === 0 ? p.grad!.reshape(shapeOf(want)) : p.grad!; // (JSON loses an empty shape)
          closeToTorch(g, want, `d loss / d ${k}`);
        }
        const lp = m.logProb(x.detach());
        closeToTorch(lp, row.logProb!, 'logProb');
        closeToTorch(lp.exp().sum(1), new Array(lp.shape[0]).fill(1), 'logProb sums to 1');
        expect(m.predict(f64(row.predictInput!)).tolist()).toEqual(row.predict);
      });
    });

  it('a single unbatched row: input [inFeatures], 0-D target, 0-D output', () => {
    tk.tidy(() => {
      const row = FIX.rows.find((r) => r.name === 'unbatched')!;
      const { output, loss } = moduleOf(row).call(f64(row.input), int64(row.target));
      expect(output.shape).toEqual([]);
      closeToTorch(output, row.output, 'output');
      closeToTorch(loss, row.loss, 'loss');
    });
  });
});

describe('nn.AdaptiveLogSoftmaxWithLoss beyond the fixture', () => {
  it('the tail widths are inFeatures / divValue^(i + 1), as PyTorch', () => {
    const m = new nn.AdaptiveLogSoftmaxWithLoss(64, 1000, [10, 100, 500]);
    expect([m.shortlistSize, m.nClusters, m.headSize, m.cutoffs]).toEqual([10, 3, 13, [10, 100, 500, 1000]]);
    expect(m.head.weight.shape).toEqual([13, 64]);
    expect(m.head.bias).toBeNull();
    expect([...m.tail].map((s) => s.parameters().map((p) => p.shape))).toEqual([
      [
        [16, 64],
        [90, 16],
      ],
      [
        [4, 64],
        [400, 4],
      ],
      [
        [1, 64],
        [500, 1],
      ],
    ]);
    m.parameters().forEach((p) => p.dispose());
  });
  it('trains: Adam drives the loss of a small separable problem down', () => {
    tk.manualSeed(3);
    const m = new nn.AdaptiveLogSoftmaxWithLoss(16, 40, [4, 12], { divValue: 2 });
    const opt = new tk.optim.Adam(m.parameters(), { lr: 0.05 });
    const x = tk.randn([64, 16]);
    const y = tk.randint(0, 40, [64], { dtype: 'int64' });
    let first = 0,
      last = 0;
    for (let s = 0; s < 60; s++) {
      last = tk.tidy(() => {
        opt.zeroGrad();
        const { loss } = m.call(x, y);
        loss.backward();
        opt.step();
        return loss.item() as number;
      });
      if (s === 0) first = last;
    }
    expect(last).toBeLessThan(first * 0.5);
    const acc = tk.tidy(() => m.predict(x).eq(y).to('float32').mean().item() as number);
    expect(acc).toBeGreaterThan(0.4); // chance is 1/40
    [x, y, ...m.parameters()].forEach((t) => t.dispose());
  });
  it('bad input is a TensorError naming the module and the value', () => {
    tk.tidy(() => {
      const m = new nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3, 6]);
      const x = tk.randn([2, 4]);
      expectTensorError(
        () => new nn.AdaptiveLogSoftmaxWithLoss(4, 10, [6, 3]),
        'INVALID_ARGUMENT',
        /cutoffs should be a sequence of unique, positive integers sorted/,
      );
      expectTensorError(
        () => new nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3, 10]),
        'INVALID_ARGUMENT',
        /between 1 and nClasses-1 \(9\)/,
      );
      expectTensorError(() => new nn.AdaptiveLogSoftmaxWithLoss(4, 10, []), 'INVALID_ARGUMENT', /cutoffs/);
      expectTensorError(
        () => new nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3], { divValue: 0 }),
        'INVALID_ARGUMENT',
        /divValue/,
      );
      expectTensorError(() => m.call(x, int64([1, 10])), 'INDEX_OUT_OF_RANGE', /should be in \[0, 9\].*\[1, 10\]/);
      expectTensorError(() => m.call(x, int64([1, 2, 3])), 'SHAPE_MISMATCH', /same size in the batch dimension/);
      expectTensorError(() => m.call(x, tk.tensor([1, 2])), 'DTYPE_MISMATCH', /class indices .* got float32/);
      expectTensorError(() => m.call(x, int64([[1, 2]] as never)), 'SHAPE_MISMATCH', /multi-target not supported/);
      expectTensorError(() => m.call(x, int64(1)), 'SHAPE_MISMATCH', /0D target tensor expects 1D input/);
      expectTensorError(
        () => m.call(tk.randn([2, 5]), int64([1, 2])),
        'SHAPE_MISMATCH',
        /expected input \[batch, 4\], got \[2, 5\]/,
      );
      expectTensorError(() => m.logProb(tk.randn([4])), 'SHAPE_MISMATCH', /logProb: expected input \[batch, 4\]/);
      expectTensorError(() => m.predict(x.to('int32')), 'DTYPE_MISMATCH', /predict: expected a floating input/);
    });
  });
  it('frees every intermediate: live tensors and bytes return to baseline', () => {
    const m = new nn.AdaptiveLogSoftmaxWithLoss(8, 30, [5, 15], { divValue: 2 });
    const x = tk.randn([16, 8]).requiresGrad_();
    const y = tk.randint(0, 30, [16], { dtype: 'int64' });
    const run = () =>
      tk.tidy(() => {
        m.zeroGrad();
        x.grad?.dispose();
        x.grad = null;
        m.call(x, y).loss.backward();
        m.logProb(x).dispose();
        m.predict(x).dispose();
      });
    run();
    settleGarbage();
    const before = memory();
    for (let i = 0; i < 200; i++) run();
    settleGarbage();
    const after = memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
    [x, y, ...m.parameters()].forEach((t) => t.dispose());
  });
});
