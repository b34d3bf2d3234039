// Attention: the fused native kernel (scores, softmax and weighted sum in one pass per query row,
// the weights never stored) against the same attention from tensor ops in the same run (the peer:
// what nn.functional.scaledDotProductAttention composed before the kernel) and the plain loops.
import * as tk from '../../src/index.js';
import * as plain from '../../src/plain/index.js';
import { measure, type Options, type Row } from '../lib.js';

export async function* attention(opts: Options, threads: number[]): AsyncGenerator<Row> {
  const suite = 'attention';
  const F = tk.nn.functional;
  // nanoGPT-char sized: batch 16, 4 heads, 64 positions, head size 16; and a longer sequence.
  const shapes: [string, number[]][] = [
    ['[16, 4, 64, 16]', [16, 4, 64, 16]],
    ['[4, 4, 256, 32]', [4, 4, 256, 32]],
  ];
  for (const [label, shape] of shapes) {
    const [B, H, T, D] = shape;
    const q = tk.randn(shape).requiresGrad_(),
      k = tk.randn(shape).requiresGrad_(),
      v = tk.randn(shape).requiresGrad_();
    const g = tk.randn(shape);
    const scale = 1 / Math.sqrt(D);
    const causal = tk.ones([T, T], { dtype: 'bool' }).tril().logicalNot();
    const fused = () =>
      tk.tidy(() => {
        F.scaledDotProductAttention(q, k, v, { isCausal: true }).backward(g);
        q.grad = k.grad = v.grad = null;
      });
    const composed = () =>
      tk.tidy(() => {
        const w = q.matmul(k.transpose(-2, -1)).mul(scale).maskedFill(causal, -Infinity).softmax(-1);
        w.matmul(v).backward(g);
        q.grad = k.grad = v.grad = null;
      });
    const pq = plain.randn(shape),
      pk = plain.randn(shape),
      pv = plain.randn(shape),
      pg = plain.randn(shape);
    const plainFwdBwd = () => {
      plain.scaledDotProductAttention(pq, pk, pv, scale, true);
      plain.scaledDotProductAttentionBackward(pg, pq, pk, pv, scale, true);
    };
    const plainUs = await measure(plainFwdBwd, opts, 1, opts.quick ? 2 : 5);
    const flops = 4 * 2 * B * H * T * T * D; // two products forward, (about) four backward, halved by causality
    for (const th of threads) {
      tk.setNumThreads(th);
      const peerUs = await measure(composed, opts);
      yield {
        suite,
        name: `causal attention fwd+bwd ${label}`,
        threads: th,
        nativeUs: await measure(fused, opts),
        plainUs,
        peerUs,
        flops,
        note: 'peer: the same attention from tensor ops (matmul, mask, softmax, matmul) in this run',
      };
    }
    for (const t of [q, k, v, g, causal]) t.dispose();
  }
}
