// torch.nn's remaining losses, distances, shrink activations, 1-D pools, channel dropout and
// oneHot (src/nn/losses_more.ts, functional_misc.ts, functional_activations.ts): values and
// gradients against PyTorch 1.13's (the 'nnMore' case of test/fixtures/torch-port.json, written by
// scripts/fixtures/torch_port.py), the module forms, errors and memory. Their float64 gradients
// are also checked by finite differences in the composite gradient table.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { memory, nn, tensor, type Tensor } from '../src/index.js';
import { disposeAll, expectTensorError, settleGarbage } from './helpers/harness.js';
import { checkTorchRow, closeToTorch, f64, type Nested, type TorchRow } from './helpers/torch-rows.js';

const F = nn.functional;
const C = (
  JSON.parse(readFileSync(new URL('./fixtures/torch-port.json', import.meta.url), 'utf8')) as {
    cases: { nnMore: Record<string, Nested> & { grad: Record<string, TorchRow> } };
  }
).cases.nnMore;
const i64 = (v: Nested): Tensor => tensor(v as number[], { dtype: 'int64' });
const close = closeToTorch;

const sgn = () => f64(C.sgn),
  sgn2 = () => f64(C.sgn2),
  labels = () => i64(C.labels),
  multi = () => f64(C.multi),
  counts = () => f64(C.counts),
  wts = () => f64(C.wts);
const ROWS: Record<string, (a: Tensor, b: Tensor, c: Tensor) => Tensor[]> = {
  distances: (a, b) => [
    F.cosineSimilarity(a, b),
    F.cosineSimilarity(a, b, { dim: 0, eps: 0.5 }),
    F.pairwiseDistance(a, b),
    F.pairwiseDistance(a, b, { p: 1, keepdim: true }),
    F.normalize(a),
    F.normalize(a, { p: 1, dim: 0 }),
  ],
  losses: (a, b, c) => [
    F.klDiv(a.logSoftmax(1), b.softmax(1), { reduction: 'batchmean' }),
    F.klDiv(a.logSoftmax(1), b.logSoftmax(1), { reduction: 'none', logTarget: true }),
    F.klDiv(a.logSoftmax(1), b.softmax(1), { reduction: 'sum' }),
    F.huberLoss(a, b),
    F.huberLoss(a, b, { delta: 0.5, reduction: 'none' }),
    F.softMarginLoss(a, sgn2()),
    F.marginRankingLoss(a.select(1, 0), b.select(1, 0), sgn(), { margin: 0.3, reduction: 'none' }),
    F.hingeEmbeddingLoss(a, sgn2(), { margin: 1.5, reduction: 'none' }),
    F.cosineEmbeddingLoss(a, b, sgn(), { margin: 0.1, reduction: 'none' }),
    F.cosineEmbeddingLoss(a, b, sgn()),
    F.tripletMarginLoss(a, b, c, { reduction: 'none' }),
    F.tripletMarginLoss(a, b, c, { margin: 2, p: 1, swap: true }),
    F.multiMarginLoss(a, labels(), { reduction: 'none' }),
    F.multiMarginLoss(a, labels(), { p: 2, margin: 0.7, weight: wts() }),
    F.multilabelSoftMarginLoss(a, multi(), { reduction: 'none' }),
    F.multilabelSoftMarginLoss(a, multi(), { weight: wts() }),
    F.poissonNllLoss(a, counts(), { reduction: 'none' }),
    F.poissonNllLoss(a.exp(), counts(), { logInput: false, full: true, reduction: 'none' }),
    F.gaussianNllLoss(a, b, c.abs().add(0.1), { reduction: 'none' }),
    F.gaussianNllLoss(a, b, c.select(1, 0).abs(), { full: true, eps: 0.3 }),
  ],
  activations: (a) => [
    F.softmin(a, 1),
    F.threshold(a, 0.3, -7),
    F.hardshrink(a, 0.75),
    F.softshrink(a, 0.75),
    F.tanhshrink(a),
  ],
  pools: (a, b) => [
    F.maxPool1d(tk.stack([a, b]), 2),
    F.maxPool1d(tk.stack([a, b]), 3, { stride: 1, padding: 1, dilation: 1 }),
    F.avgPool1d(tk.stack([a, b]), 3, { stride: 2, padding: 1, countIncludePad: false, ceilMode: true }),
    F.adaptiveAvgPool1d(tk.stack([a, b]), 3),
    F.maxPool1d(a, 2, { dilation: 2, stride: 1 }),
  ],
};

describe('the rest of torch.nn against PyTorch 1.13 (values and gradients)', () => {
  for (const [name, fn] of Object.entries(ROWS)) it(name, () => checkTorchRow(name, fn, [C.a, C.b, C.c], C.grad[name]));

  it('oneHot', () => {
    close(
      F.oneHot(
        tensor(
          [
            [0, 2],
            [3, 1],
          ],
          { dtype: 'int64' },
        ),
      ),
      C.oneHot,
      'oneHot',
    );
    close(F.oneHot(tensor([1, 0], { dtype: 'int64' }), 5), C.oneHot5, 'oneHot 5');
    expect(F.oneHot(tensor([1], { dtype: 'int64' }), 2).dtype).toBe('int64');
  });
});

interface CellRow {
  state: Record<string, Nested>;
  outs: Nested[];
  grads: Nested[];
  gradW: Nested;
  unbatched: Nested;
}
const C2 = (
  JSON.parse(readFileSync(new URL('./fixtures/torch-port.json', import.meta.url), 'utf8')) as {
    cases: {
      nnMore2: {
        x: Nested;
        h: Nested;
        c: Nested;
        cells: Record<string, CellRow>;
        img: Nested;
        adaptiveMax: Nested;
        adaptiveMaxGrad: Nested;
        adaptiveMaxEven: Nested;
        adaptiveMax1d: Nested;
        sig: Nested;
        pads: Record<string, Nested>;
      };
    };
  }
).cases.nnMore2;

describe('RNN cells, adaptive max pooling and padding layers against PyTorch 1.13', () => {
  const makeCell: Record<string, () => nn.Module> = {
    RNNCell: () => new nn.RNNCell(3, 4, { dtype: 'float64' }),
    RNNCellRelu: () => new nn.RNNCell(3, 4, { nonlinearity: 'relu', dtype: 'float64' }),
    LSTMCell: () => new nn.LSTMCell(3, 4, { dtype: 'float64' }),
    GRUCell: () => new nn.GRUCell(3, 4, { dtype: 'float64' }),
  };
  for (const [name, make] of Object.entries(makeCell))
    it(`${name}: PyTorch's weights give its outputs and gradients (batched and not)`, () => {
      const row = C2.cells[name];
      const cell = make();
      cell.loadStateDict(Object.fromEntries(Object.entries(row.state).map(([k, v]) => [k, f64(v)])));
      const x = f64(C2.x).requiresGrad_(),
        h = f64(C2.h).requiresGrad_(),
        c = f64(C2.c).requiresGrad_();
      const w = (t: Tensor) => tk.linspace(0.5, 1.5, t.numel(), { dtype: 'float64' }).reshape(t.shape);
      if (name === 'LSTMCell') {
        const [h1, c1] = cell.call(x, [h, c]) as [Tensor, Tensor];
        close(h1, row.outs[0], `${name} h'`);
        close(c1, row.outs[1], `${name} c'`);
        h1.mul(w(h1))
          .sum()
          .add(c1.mul(w(c1)).sum().mul(2))
          .backward();
        close(c.grad!, row.grads[2], `${name} d/dc`);
        close((cell.call(f64(C2.x).select(0, 0)) as Tensor[])[0], row.unbatched, `${name} unbatched`);
      } else {
        const h1 = cell.call(x, h) as Tensor;
        close(h1, row.outs[0], `${name} h'`);
        h1.mul(w(h1)).sum().backward();
        close(cell.call(f64(C2.x).select(0, 0)) as Tensor, row.unbatched, `${name} unbatched`);
      }
      close(x.grad!, row.grads[0], `${name} d/dx`);
      close(h.grad!, row.grads[1], `${name} d/dh`);
      close((cell as unknown as { weight_hh: Tensor }).weight_hh.grad!, row.gradW, `${name} d/dweight_hh`);
    });

  it('adaptiveMaxPool2d (uneven and even windows) and its gradient; adaptiveMaxPool1d', () => {
    const img = f64(C2.img).requiresGrad_();
    const y = F.adaptiveMaxPool2d(img, [3, 2]);
    close(y, C2.adaptiveMax, 'adaptiveMaxPool2d');
    y.mul(tk.linspace(0.5, 1.5, y.numel(), { dtype: 'float64' }).reshape(y.shape))
      .sum()
      .backward();
    close(img.grad!, C2.adaptiveMaxGrad, 'adaptiveMaxPool2d gradient');
    close(new nn.AdaptiveMaxPool2d([7, 1]).call(f64(C2.img)) as Tensor, C2.adaptiveMaxEven, 'AdaptiveMaxPool2d');
    close(new nn.AdaptiveMaxPool1d(4).call(f64(C2.sig)) as Tensor, C2.adaptiveMax1d, 'AdaptiveMaxPool1d');
    expect(F.adaptiveMaxPool2d(f64(C2.img), [null, 1]).shape).toEqual([2, 3, 7, 1]);
  });

  it('the padding layers', () => {
    const img = f64(C2.img),
      sig = f64(C2.sig);
    close(new nn.ZeroPad2d([1, 2, 0, 1]).call(img.select(0, 0)) as Tensor, C2.pads.zero2d, 'ZeroPad2d');
    close(new nn.ConstantPad1d([2, 0], -1.5).call(sig) as Tensor, C2.pads.constant1d, 'ConstantPad1d');
    close(new nn.ReflectionPad2d(2).call(img) as Tensor, C2.pads.reflection2d, 'ReflectionPad2d');
    close(new nn.ReflectionPad1d([3, 1]).call(sig) as Tensor, C2.pads.reflection1d, 'ReflectionPad1d');
    close(new nn.ReplicationPad2d([0, 1, 2, 0]).call(img) as Tensor, C2.pads.replication2d, 'ReplicationPad2d');
    close(new nn.ReplicationPad1d(2).call(sig) as Tensor, C2.pads.replication1d, 'ReplicationPad1d');
    expect((new nn.ZeroPad1d(1).call(tk.ones([1, 2])) as Tensor).toArray()).toEqual([[0, 1, 1, 0]]);
    expect((new nn.ConstantPad2d(1, 7).call(tk.zeros([1, 1])) as Tensor).sum().item()).toBe(56);
  });

  it('cells and layers refuse bad shapes and options', () => {
    const cell = new nn.LSTMCell(3, 4);
    expectTensorError(
      () => cell.call(tk.ones([2, 5])),
      'SHAPE_MISMATCH',
      /LSTMCell: expected input \[N, 3\] or \[3\], got \[2, 5\]/,
    );
    expectTensorError(
      () => cell.call(tk.ones([2, 3]), [tk.ones([2, 3]), tk.ones([2, 4])] as never),
      'SHAPE_MISMATCH',
      /LSTMCell: expected hx of shape \[2, 4\]/,
    );
    expectTensorError(
      () => cell.call(tk.ones([2, 3]), tk.ones([2, 4]) as never),
      'INVALID_ARGUMENT',
      /LSTMCell: the state must be \[hx, cx\]/,
    );
    expectTensorError(
      () => new nn.GRUCell(0, 4),
      'INVALID_ARGUMENT',
      /GRUCell: 'inputSize' must be a positive integer/,
    );
    expectTensorError(
      () => new nn.RNNCell(3, 4, { nonlinearity: 'gelu' as never }),
      'INVALID_ARGUMENT',
      /RNNCell: nonlinearity must be 'tanh' or 'relu'/,
    );
    expectTensorError(
      () => new nn.RNNCell(3, 4, { bais: false } as never),
      'INVALID_ARGUMENT',
      /RNNCell: unknown option 'bais'/,
    );
    expectTensorError(
      () => F.adaptiveMaxPool2d(tk.ones([4, 4]), 2),
      'SHAPE_MISMATCH',
      /adaptiveMaxPool2d: expected \[N, C, H, W\]/,
    );
    expectTensorError(
      () => F.adaptiveMaxPool2d(tk.ones([1, 4, 4]), 0),
      'INVALID_ARGUMENT',
      /adaptiveMaxPool2d: 'outputSize'/,
    );
    expectTensorError(
      () => F.adaptiveMaxPool1d(tk.ones([2, 3]), 2 ** 32),
      'INVALID_ARGUMENT',
      /adaptiveMaxPool2d: outputSize must be at most 65536/,
    );
    expectTensorError(
      () => new nn.ReflectionPad2d([1, 2]),
      'INVALID_ARGUMENT',
      /ReflectionPad2d: padding must be one size or 4 sizes/,
    );
    expect(new nn.GRUCell(3, 4, { bias: false }).parameters().length).toBe(2);
    expect(Object.keys(new nn.LSTMCell(3, 4).stateDict()).sort()).toEqual([
      'bias_hh',
      'bias_ih',
      'weight_hh',
      'weight_ih',
    ]);
  });
});

describe('module forms', () => {
  it('each module calls its function with the options it was made with', () => {
    const a = f64(C.a),
      b = f64(C.b),
      c = f64(C.c);
    const same = (m: nn.Module, args: Tensor[], want: Tensor) =>
      expect((m.call(...args) as Tensor).toArray()).toEqual(want.toArray());
    same(
      new nn.KLDivLoss({ reduction: 'batchmean' }),
      [a.logSoftmax(1), b.softmax(1)],
      F.klDiv(a.logSoftmax(1), b.softmax(1), { reduction: 'batchmean' }),
    );
    same(new nn.HuberLoss({ delta: 0.5 }), [a, b], F.huberLoss(a, b, { delta: 0.5 }));
    same(new nn.SoftMarginLoss(), [a, sgn2()], F.softMarginLoss(a, sgn2()));
    same(
      new nn.MarginRankingLoss({ margin: 0.3 }),
      [a.select(1, 0), b.select(1, 0), sgn()],
      F.marginRankingLoss(a.select(1, 0), b.select(1, 0), sgn(), { margin: 0.3 }),
    );
    same(new nn.HingeEmbeddingLoss({ margin: 2 }), [a, sgn2()], F.hingeEmbeddingLoss(a, sgn2(), { margin: 2 }));
    same(
      new nn.CosineEmbeddingLoss({ margin: 0.1 }),
      [a, b, sgn()],
      F.cosineEmbeddingLoss(a, b, sgn(), { margin: 0.1 }),
    );
    same(new nn.TripletMarginLoss({ swap: true }), [a, b, c], F.tripletMarginLoss(a, b, c, { swap: true }));
    same(new nn.MultiMarginLoss({ p: 2 }), [a, labels()], F.multiMarginLoss(a, labels(), { p: 2 }));
    same(new nn.MultiLabelSoftMarginLoss(), [a, multi()], F.multilabelSoftMarginLoss(a, multi()));
    same(new nn.PoissonNLLLoss({ full: true }), [a, counts()], F.poissonNllLoss(a, counts(), { full: true }));
    same(new nn.GaussianNLLLoss({ eps: 0.2 }), [a, b, c.abs()], F.gaussianNllLoss(a, b, c.abs(), { eps: 0.2 }));
    same(new nn.CosineSimilarity({ dim: 0 }), [a, b], F.cosineSimilarity(a, b, { dim: 0 }));
    same(new nn.PairwiseDistance({ p: 1 }), [a, b], F.pairwiseDistance(a, b, { p: 1 }));
    same(new nn.Softmin(0), [a], F.softmin(a, 0));
    same(new nn.Threshold(0.1, 5), [a], F.threshold(a, 0.1, 5));
    same(new nn.Hardshrink(0.2), [a], F.hardshrink(a, 0.2));
    same(new nn.Softshrink(), [a], F.softshrink(a));
    same(new nn.Tanhshrink(), [a], F.tanhshrink(a));
    const s = tk.stack([a, b]);
    same(new nn.MaxPool1d(2, { stride: 1 }), [s], F.maxPool1d(s, 2, { stride: 1 }));
    same(new nn.AvgPool1d(2), [s], F.avgPool1d(s, 2));
    same(new nn.AdaptiveAvgPool1d(2), [s], F.adaptiveAvgPool1d(s, 2));
    expectTensorError(
      () => new nn.HuberLoss({ dleta: 1 } as never),
      'INVALID_ARGUMENT',
      /HuberLoss: unknown option 'dleta'/,
    );
    expectTensorError(() => new nn.KLDivLoss({ reduction: 'avg' as never }), 'INVALID_ARGUMENT', /'batchmean'/);
  });

  it('channel dropout zeroes whole channels while training, scales the rest, and passes through in eval', () => {
    tk.manualSeed(3);
    const x = tk.ones([64, 8, 5, 5]);
    const y = F.dropout2d(x, 0.25);
    const perChannel = y.sum([2, 3]); // 0 or 25 / 0.75 per channel
    const kept = perChannel.gt(0);
    expect(
      perChannel
        .index(kept)
        .sub(25 / 0.75)
        .abs()
        .max()
        .item(),
    ).toBeLessThan(1e-4);
    const frac = kept.to('float32').mean().item() as number;
    expect(frac).toBeGreaterThan(0.68);
    expect(frac).toBeLessThan(0.82);
    const d1 = new nn.Dropout1d(0.5);
    const z = d1.call(tk.ones([16, 4, 7])) as Tensor;
    const rows = z.sum(2);
    expect(rows.eq(0).logicalOr(rows.eq(14)).all().item()).toBe(true);
    d1.eval();
    expect((d1.call(tk.ones([2, 3, 4])) as Tensor).sum().item()).toBe(24);
    expect(
      new nn.Dropout2d(0.3)
        .eval()
        .call(tk.ones([3, 2, 2]))
        .sum()
        .item(),
    ).toBe(12);
  });
});

describe('nn.utils.padSequence', () => {
  it('pads to the longest, batch first or not, with the gradient reaching each sequence', () => {
    const a = tensor(
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        { requiresGrad: true },
      ),
      b = tensor([[7, 8]], { requiresGrad: true });
    const batch = nn.utils.padSequence([a, b], { batchFirst: true, paddingValue: -1 });
    expect(batch.shape).toEqual([2, 3, 2]);
    expect(batch.toArray()).toEqual([
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      [
        [7, 8],
        [-1, -1],
        [-1, -1],
      ],
    ]);
    expect(nn.utils.padSequence([a, b]).shape).toEqual([3, 2, 2]);
    batch.sum().backward();
    expect(a.grad!.sum().item()).toBe(6);
    expect(b.grad!.toArray()).toEqual([[1, 1]]);
    expectTensorError(
      () => nn.utils.padSequence([a, tk.ones([2, 3])]),
      'SHAPE_MISMATCH',
      /padSequence: sequences\[1\] is \[2, 3\]/,
    );
    expectTensorError(
      () => nn.utils.padSequence([]),
      'INVALID_ARGUMENT',
      /padSequence: expected at least one sequence/,
    );
  });
});

describe('errors', () => {
  it('name the function and the offending value', () => {
    const a = tk.ones([3, 4]);
    expectTensorError(() => F.oneHot(tk.ones([2])), 'DTYPE_MISMATCH', /oneHot: expected class indices/);
    expectTensorError(
      () => F.oneHot(tensor([-1, 2], { dtype: 'int64' })),
      'INVALID_ARGUMENT',
      /oneHot: class values must be non-negative/,
    );
    expectTensorError(
      () => F.oneHot(tensor([3], { dtype: 'int64' }), 3),
      'INVALID_ARGUMENT',
      /smaller than numClasses \(3\), got 3/,
    );
    expectTensorError(() => F.oneHot(tensor([], { dtype: 'int64' })), 'INVALID_ARGUMENT', /cannot infer numClasses/);
    expectTensorError(() => F.huberLoss(a, tk.ones([4])), 'SHAPE_MISMATCH', /huberLoss: target shape \[4\]/);
    expectTensorError(() => F.huberLoss(a, a, { delta: 0 }), 'INVALID_ARGUMENT', /huberLoss: delta must be positive/);
    expectTensorError(
      () => F.klDiv(a, a, { reduction: 'avg' as never }),
      'INVALID_ARGUMENT',
      /klDiv: reduction must be/,
    );
    expectTensorError(
      () => F.multiMarginLoss(a, tk.ones([3])),
      'DTYPE_MISMATCH',
      /multiMarginLoss: target must hold class indices/,
    );
    expectTensorError(
      () => F.multiMarginLoss(a, tensor([0], { dtype: 'int64' })),
      'SHAPE_MISMATCH',
      /multiMarginLoss: expected input/,
    );
    expectTensorError(() => F.multiMarginLoss(a, labels(), { p: 3 }), 'INVALID_ARGUMENT', /p must be 1 or 2/);
    expectTensorError(
      () => F.gaussianNllLoss(a, a, tk.ones([2])),
      'SHAPE_MISMATCH',
      /gaussianNllLoss: var \[2\] does not fit input \[3, 4\]/,
    );
    expectTensorError(() => F.gaussianNllLoss(a, a, a.neg()), 'INVALID_ARGUMENT', /var has negative entries/);
    expectTensorError(
      () => F.cosineEmbeddingLoss(a, tk.ones([3, 5]), sgn()),
      'SHAPE_MISMATCH',
      /cosineEmbeddingLoss: expected two/,
    );
    expectTensorError(() => F.tripletMarginLoss(a, a, a, { p: 0 }), 'INVALID_ARGUMENT', /p must be positive/);
    expectTensorError(() => F.maxPool1d(tk.ones([4]), 2), 'SHAPE_MISMATCH', /maxPool1d: expected \[N, C, L\]/);
    expectTensorError(() => F.avgPool1d(tk.ones([1, 2, 4]), 2, { stride: 1.5 }), 'INVALID_ARGUMENT', /avgPool1d/);
    expectTensorError(() => F.dropout2d(tk.ones([2, 3]), 0.5), 'SHAPE_MISMATCH', /dropout2d: expected 4-D/);
    expectTensorError(() => F.dropout1d(tk.ones([2, 3, 4]), 2), 'INVALID_ARGUMENT', /dropout1d: probability/);
    expectTensorError(() => F.hardshrink(a, -1), 'INVALID_ARGUMENT', /hardshrink: lambd must be non-negative/);
    expectTensorError(() => F.normalize(a, { dim: 'x' as never }), 'INVALID_ARGUMENT', /normalize/);
    expectTensorError(() => F.cosineSimilarity(a, null as never), 'INVALID_ARGUMENT', /cosineSimilarity: 'x2'/);
  });
});

describe('memory', () => {
  it('a thousand training steps through the new losses leave tensors and bytes at baseline', () => {
    settleGarbage();
    const before = memory();
    const w = tk.randn([4, 4], { dtype: 'float64' }).requiresGrad_();
    const a = f64(C.a),
      b = f64(C.b),
      c = f64(C.c);
    for (let i = 0; i < 1000; i++)
      tk.tidy(() => {
        const h = a.matmul(w);
        F.klDiv(h.logSoftmax(1), b.softmax(1), { reduction: 'batchmean' })
          .add(F.tripletMarginLoss(h, b, c))
          .add(F.multiMarginLoss(h, labels()))
          .add(F.gaussianNllLoss(h, b, c.abs()))
          .add(F.cosineEmbeddingLoss(h, b, sgn()))
          .add(F.maxPool1d(h.unsqueeze(0), 2).sum())
          .backward();
        w.grad = null;
      });
    disposeAll(w, a, b, c);
    settleGarbage();
    const after = memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
  });
});
