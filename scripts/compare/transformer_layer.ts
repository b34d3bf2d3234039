// One TransformerEncoderLayer training step (d 64, 4 heads, ff 128, batch 8 x 32, no dropout),
// forward and backward, with a float causal mask and with isCausal: the median of 40 steps each.
// Not part of npm run bench: a one-off timing for the issue note (run it on two commits side by
// side to compare).
//   npx tsx scripts/compare/transformer_layer.ts
import * as tk from '../../src/index.js';

const { nn } = tk;
tk.manualSeed(0);
const layer = new nn.TransformerEncoderLayer(64, 4, { dimFeedforward: 128, batchFirst: true, dropout: 0 });
const x = tk.randn([8, 32, 64]);
const mask = tk.zeros([32, 32]).maskedFill(tk.ones([32, 32], { dtype: 'bool' }).triu(1), -Infinity);
for (const [name, opts] of [
  ['float causal mask', { srcMask: mask }],
  ['isCausal', { isCausal: true }],
] as const) {
  const times: number[] = [];
  for (let i = 0; i < 40; i++) {
    const t0 = performance.now();
    tk.tidy(() => layer.call(x, opts).sum().backward());
    times.push(performance.now() - t0);
    layer.zeroGrad();
  }
  times.sort((a, b) => a - b);
  console.log(`${name}: median ${times[20].toFixed(3)} ms`);
}
