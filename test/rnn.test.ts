// RNN, LSTM and GRU: PyTorch's gate equations on one step, shapes and layouts, gradcheck.
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { gradcheck, nn, tidy, type Tensor } from '../src/index.js';
import { disposeAll, expectTensorError } from './helpers/harness.js';

const F = nn.functional;
const close = (a: Tensor, b: Tensor) => expect(a.sub(b).abs().max().item() as number).toBeLessThan(1e-12);

describe('recurrent layers', () => {
  it('one step follows PyTorch gate order (LSTM i, f, g, o; GRU r, z, n)', () =>
    tidy(() => {
      tk.manualSeed(0);
      const x = tk.randn([1, 2, 3], { dtype: 'float64' }),
        h0 = tk.randn([1, 2, 4], { dtype: 'float64' }),
        c0 = tk.randn([1, 2, 4], { dtype: 'float64' });
      const lstm = new nn.LSTM(3, 4, { dtype: 'float64' });
      const [out, [h, c]] = lstm.call(x, [h0, c0]);
      const g = F.linear(x.select(0, 0), lstm.weight_ih_l0 as Tensor, lstm.bias_ih_l0 as Tensor).add(
        F.linear(h0.select(0, 0), lstm.weight_hh_l0 as Tensor, lstm.bias_hh_l0 as Tensor),
      );
      const [i, f, gg, o] = [0, 1, 2, 3].map((k) => g.narrow(1, 4 * k, 4));
      const cRef = f.sigmoid().mul(c0.select(0, 0)).add(i.sigmoid().mul(gg.tanh()));
      close(c.select(0, 0), cRef);
      close(h.select(0, 0), o.sigmoid().mul(cRef.tanh()));
      close(out.select(0, 0), h.select(0, 0));
      const gru = new nn.GRU(3, 4, { dtype: 'float64' });
      const [, hg] = gru.call(x, h0);
      const gi = F.linear(x.select(0, 0), gru.weight_ih_l0 as Tensor, gru.bias_ih_l0 as Tensor),
        gh = F.linear(h0.select(0, 0), gru.weight_hh_l0 as Tensor, gru.bias_hh_l0 as Tensor);
      const r = gi
          .narrow(1, 0, 4)
          .add(gh.narrow(1, 0, 4))
          .sigmoid(),
        z = gi
          .narrow(1, 4, 4)
          .add(gh.narrow(1, 4, 4))
          .sigmoid();
      const n = gi
        .narrow(1, 8, 4)
        .add(r.mul(gh.narrow(1, 8, 4)))
        .tanh();
      close(
        hg.select(0, 0),
        z
          .neg()
          .add(1)
          .mul(n)
          .add(z.mul(h0.select(0, 0))),
      );
      disposeAll(lstm.parameters(), gru.parameters());
    }));

  it('layers, directions, batchFirst and unbatched input give PyTorch shapes and names', () =>
    tidy(() => {
      const lstm = new nn.LSTM(5, 7, { numLayers: 2, bidirectional: true, batchFirst: true });
      const [out, [h, c]] = lstm.call(tk.randn([3, 6, 5]));
      expect([out.shape, h.shape, c.shape]).toEqual([
        [3, 6, 14],
        [4, 3, 7],
        [4, 3, 7],
      ]);
      expect(
        lstm
          .namedParameters()
          .map(([n]) => n)
          .slice(0, 5),
      ).toEqual(['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0', 'weight_ih_l0_reverse']);
      expect((lstm.weight_ih_l1 as Tensor).shape).toEqual([28, 14]);
      const rnn = new nn.RNN(4, 3, { nonlinearity: 'relu', bias: false });
      const [o1, h1] = rnn.call(tk.randn([5, 4])); // unbatched [T, in]
      expect([o1.shape, h1.shape, rnn.parameters().length]).toEqual([[5, 3], [1, 3], 2]);
      // batchFirst is a transpose of the same computation
      const gru = new nn.GRU(2, 3);
      const x = tk.randn([4, 2, 2]);
      const [a] = gru.call(x);
      const gruBF = new nn.GRU(2, 3, { batchFirst: true });
      gruBF.loadStateDict(gru.stateDict());
      const [b] = gruBF.call(x.transpose(0, 1));
      expect(b.transpose(0, 1).sub(a).abs().max().item()).toBe(0);
      expectTensorError(
        () => gru.call(tk.randn([4, 2, 5])),
        'SHAPE_MISMATCH',
        /GRU: input has 5 features, expected inputSize 2/,
      );
      expectTensorError(
        () => gru.call(x, tk.zeros([2, 2, 3])),
        'SHAPE_MISMATCH',
        /GRU: expected h0 of shape \[1, 2, 3\], got \[2, 2, 3\]/,
      );
      disposeAll(lstm.parameters(), rnn.parameters(), gru.parameters(), gruBF.parameters());
    }));

  it('gradcheck through time, layers and both directions', () =>
    tidy(() => {
      const x = tk.randn([3, 2, 2], { dtype: 'float64', requiresGrad: true });
      const h0 = tk.randn([4, 2, 2], { dtype: 'float64', requiresGrad: true });
      for (const M of [nn.RNN, nn.GRU]) {
        const m = new M(2, 2, { numLayers: 2, bidirectional: true, dtype: 'float64' });
        expect(gradcheck((a, b) => m.call(a, b)[0], [x, h0])).toBe(true);
        disposeAll(m.parameters());
      }
      const lstm = new nn.LSTM(2, 2, { numLayers: 2, bidirectional: true, dtype: 'float64' });
      const c0 = tk.randn([4, 2, 2], { dtype: 'float64', requiresGrad: true });
      expect(
        gradcheck(
          (a, b, c) => {
            const [o, [h, cc]] = lstm.call(a, [b, c]);
            return [o, h, cc];
          },
          [x, h0, c0],
        ),
      ).toBe(true);
      disposeAll(lstm.parameters());
    }));
});

describe('examples', () => {
  it('the LSTM learns to forecast a sine wave (reduced run)', async () => {
    const { main } = await import('../examples/lstm-sequence.js');
    expect(main({ iterations: 150, log: () => undefined }).mse).toBeLessThan(5e-3);
  }, 60000);
});
