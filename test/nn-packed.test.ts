// Packed sequences (src/nn/packed.ts) and the recurrent layers over them (src/nn/rnn.ts) against
// PyTorch 1.13 (test/fixtures/torch-packed.json, written by scripts/fixtures/torch_packed.py):
// packed data and batch sizes, outputs, final states and gradients for LSTM, GRU and RNN, sorted
// and unsorted, batch-first and time-major, bidirectional and two layers; then pack/pad round
// trips, errors and memory.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { memory, nn, type Tensor } from '../src/index.js';
import { expectTensorError, settleGarbage } from './helpers/harness.js';
import { closeToTorch, f64, type Nested } from './helpers/torch-rows.js';

interface Case {
  name: string;
  kind: 'LSTM' | 'GRU' | 'RNN';
  opts: { num_layers?: number; bidirectional?: boolean };
  lengths: number[];
  batch_first: boolean;
  enforce_sorted: boolean;
  params: Record<string, Nested>;
  x: Nested;
  h0: Nested | null;
  c0: Nested | null;
  input_data: Nested;
  batch_sizes: number[];
  sorted_indices: number[] | null;
  out_data: Nested;
  padded: Nested;
  out_lengths: number[];
  finals: Nested[];
  grad_x: Nested;
  grad_h0: Nested | null;
  weight: string;
  grad_weight: Nested;
}
const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-packed.json', import.meta.url), 'utf8')) as {
  torch: string;
  cases: Case[];
  pack_sequence: {
    seqs: Nested[];
    data: Nested;
    batch_sizes: number[];
    sorted_indices: number[];
    unsorted_indices: number[];
  };
};
const U = nn.utils;
const cosw = (t: Tensor, f: number) => tk.arange(0, t.numel(), 1, { dtype: 'float64' }).mul(f).cos().reshape(t.shape);

function layerOf(c: Case): nn.LSTM | nn.GRU | nn.RNN {
  const o = { numLayers: c.opts.num_layers, bidirectional: c.opts.bidirectional, batchFirst: c.batch_first };
  const m = c.kind === 'LSTM' ? new nn.LSTM(3, 4, o) : c.kind === 'GRU' ? new nn.GRU(3, 4, o) : new nn.RNN(3, 4, o);
  m.to('float64');
  const sd = Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, f64(v)]));
  m.loadStateDict(sd);
  return m;
}

describe(`packed sequences through recurrent layers against PyTorch ${FIX.torch}`, () => {
  for (const c of FIX.cases)
    it(c.name, () => {
      tk.tidy(() => {
        const m = layerOf(c);
        const x = f64(c.x).requiresGrad_();
        const h0 = c.h0 ? f64(c.h0).requiresGrad_() : null;
        const packed = U.packPaddedSequence(x, c.lengths, {
          batchFirst: c.batch_first,
          enforceSorted: c.enforce_sorted,
        });
        expect(packed.batchSizes).toEqual(c.batch_sizes);
        expect(packed.sortedIndices).toEqual(c.sorted_indices);
        closeToTorch(packed.data, c.input_data, 'packed input');
        const state = c.kind === 'LSTM' ? (h0 ? [h0, f64(c.c0!)] : null) : h0;
        const [out, hn] = (m.forward as (x: nn.utils.PackedSequence, s: unknown) => [nn.utils.PackedSequence, unknown])(
          packed,
          state,
        );
        expect(out.batchSizes).toEqual(c.batch_sizes);
        closeToTorch(out.data, c.out_data, 'packed output');
        const [padded, lengths] = U.padPackedSequence(out, { batchFirst: c.batch_first });
        expect(lengths).toEqual(c.out_lengths);
        closeToTorch(padded, c.padded, 'padded output');
        const finals = (Array.isArray(hn) ? hn : [hn]) as Tensor[];
        finals.forEach((f, i) => closeToTorch(f, c.finals[i], `final state ${i}`));
        finals
          .map((f): Tensor => f.mul(cosw(f, 0.3)).sum())
          .reduce((a: Tensor, b) => a.add(b), padded.mul(cosw(padded, 0.7)).sum())
          .backward();
        closeToTorch(x.grad!, c.grad_x, 'd/d input');
        if (h0) closeToTorch(h0.grad!, c.grad_h0!, 'd/d h0');
        closeToTorch((m as unknown as Record<string, Tensor>)[c.weight].grad!, c.grad_weight, `d/d ${c.weight}`);
      });
    });

  it('packSequence', () => {
    tk.tidy(() => {
      const p = FIX.pack_sequence;
      const packed = U.packSequence(p.seqs.map(f64), { enforceSorted: false });
      closeToTorch(packed.data, p.data, 'data');
      expect(packed.batchSizes).toEqual(p.batch_sizes);
      expect(packed.sortedIndices).toEqual(p.sorted_indices);
      expect(packed.unsortedIndices).toEqual(p.unsorted_indices);
      expect(packed.lengths()).toEqual([2, 4, 3]);
    });
  });
});

describe('packed sequences', () => {
  it('pad(pack(x)) is x with zeros past each length, up to totalLength; the last real step matches an unpacked run', () => {
    tk.tidy(() => {
      const x = tk.randn([3, 4, 2], { dtype: 'float64' }); // batch-first
      const lengths = [2, 4, 1];
      const packed = U.packPaddedSequence(x, lengths, { batchFirst: true, enforceSorted: false });
      const [back, lens] = U.padPackedSequence(packed, { batchFirst: true, totalLength: 6, paddingValue: -1 });
      expect(lens).toEqual(lengths);
      expect(back.shape).toEqual([3, 6, 2]);
      lengths.forEach((L, n) => {
        expect(
          back
            .select(0, n)
            .narrow(0, 0, L)
            .sub(x.select(0, n).narrow(0, 0, L))
            .abs()
            .max()
            .item(),
        ).toBe(0);
        expect(
          back
            .select(0, n)
            .narrow(0, L, 6 - L)
            .add(1)
            .abs()
            .max()
            .item(),
        ).toBe(0);
      });
      // each sequence's final state is its own last step's: run it alone, unpadded
      const gru = new nn.GRU(2, 3, { batchFirst: true }).to('float64');
      const [, hn] = gru.forward(packed);
      lengths.forEach((L, n) => {
        const [, alone] = gru.call(x.select(0, n).narrow(0, 0, L).unsqueeze(0));
        expect(hn.select(1, n).sub(alone.select(1, 0)).abs().max().item()).toBeLessThan(1e-12);
      });
    });
  });

  it('unpadSequence and unpackSequence invert padSequence and packSequence (torch 1.13 gives the same lists)', () => {
    tk.tidy(() => {
      const seqs = [
        tk.tensor([
          [1, 2],
          [3, 4],
          [5, 6],
        ]),
        tk.tensor([[7, 8]]),
        tk.tensor([
          [9, 10],
          [11, 12],
        ]),
      ];
      for (const batchFirst of [true, false]) {
        const padded = U.padSequence(seqs, { batchFirst });
        const back = U.unpadSequence(padded, tk.tensor([3, 1, 2]), { batchFirst });
        expect(back.map((t) => t.toArray())).toEqual(seqs.map((t) => t.toArray()));
      }
      const back = U.unpackSequence(U.packSequence(seqs, { enforceSorted: false }));
      expect(back.map((t) => t.toArray())).toEqual(seqs.map((t) => t.toArray()));
      // differentiable: each sequence's gradient reaches the packed data
      const x = tk.randn([3, 2], { requiresGrad: true });
      const y = tk.randn([1, 2], { requiresGrad: true });
      const [ux, uy] = U.unpackSequence(U.packSequence([x, y]));
      ux.sum().add(uy.mul(2).sum()).backward();
      expect([x.grad!.toArray(), y.grad!.toArray()]).toEqual([
        [
          [1, 1],
          [1, 1],
          [1, 1],
        ],
        [[2, 2]],
      ]);
      expectTensorError(
        () => U.unpadSequence(tk.ones([3, 2]), [3, 4]),
        'INVALID_ARGUMENT',
        /unpadSequence: lengths must be 2 integers in \[1, 3\]/,
      );
      expectTensorError(
        () => U.unpadSequence(tk.ones([3]), [3]),
        'SHAPE_MISMATCH',
        /unpadSequence: paddedSequences must be \[T, N, \*\]/,
      );
      expectTensorError(
        () => U.unpackSequence(tk.ones([3]) as never),
        'INVALID_ARGUMENT',
        /unpackSequence: expected a PackedSequence/,
      );
    });
  });

  it("torch's namespaces: nn.utils.rnn and nn.utils.stateless hold the same functions", () => {
    expect(U.rnn.padSequence).toBe(U.padSequence);
    expect(U.rnn.packPaddedSequence).toBe(U.packPaddedSequence);
    expect(U.rnn.PackedSequence).toBe(U.PackedSequence);
    expect(U.stateless.functionalCall).toBe(U.functionalCall);
  });

  it('a PackedSequence returned from tidy keeps its data', () => {
    const packed = tk.tidy(() => U.packSequence([tk.ones([3, 2]), tk.ones([1, 2])]));
    expect(packed.data.sum().item()).toBe(8);
    packed.dispose();
  });

  it('bad input is a TensorError naming the function and the value', () => {
    tk.tidy(() => {
      const x = tk.randn([4, 3, 2]);
      expectTensorError(
        () => U.packPaddedSequence(x, [4, 1]),
        'INVALID_ARGUMENT',
        /lengths must be 3 integers in \[1, 4\]/,
      );
      expectTensorError(() => U.packPaddedSequence(x, [4, 0, 1]), 'INVALID_ARGUMENT', /lengths/);
      expectTensorError(() => U.packPaddedSequence(x, [4, 5, 1]), 'INVALID_ARGUMENT', /\[1, 4\]/);
      expectTensorError(() => U.packPaddedSequence(x, [1, 4, 2]), 'INVALID_ARGUMENT', /sorted longest first/);
      expectTensorError(() => U.packPaddedSequence(tk.ones([3]), [1]), 'SHAPE_MISMATCH', /\[T, N, \*\]/);
      expectTensorError(
        () => U.packPaddedSequence(x, [4, 2, 1], { sorted: true } as never),
        'INVALID_ARGUMENT',
        /sorted/,
      );
      const p = U.packPaddedSequence(x, [4, 2, 1]);
      expectTensorError(() => U.padPackedSequence(p, { totalLength: 3 }), 'INVALID_ARGUMENT', /totalLength 3/);
      expectTensorError(() => U.padPackedSequence(x as never), 'INVALID_ARGUMENT', /expected a PackedSequence/);
      expectTensorError(() => U.packSequence([]), 'INVALID_ARGUMENT', /at least one/);
      expectTensorError(() => U.packSequence([tk.ones([2, 2]), tk.ones([1, 3])]), 'SHAPE_MISMATCH', /trailing/);
      expectTensorError(() => new nn.LSTM(3, 4).forward(p), 'SHAPE_MISMATCH', /2 features, expected inputSize 3/);
    });
  });

  it('leaves nothing behind', () => {
    settleGarbage();
    const before = memory();
    const lstm = new nn.LSTM(2, 3, { bidirectional: true });
    for (let i = 0; i < 30; i++)
      tk.tidy(() => {
        const packed = U.packPaddedSequence(tk.randn([5, 3, 2]), [5, 3, 2]);
        const [out, [h]] = lstm.forward(packed);
        U.padPackedSequence(out)[0].sum().add(h.sum()).backward();
      });
    for (const p of lstm.parameters()) {
      p.grad = null;
      p.dispose();
    }
    settleGarbage();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});
