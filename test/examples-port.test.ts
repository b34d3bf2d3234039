// The two ported PyTorch programs of issue 18 run end to end (reduced): the nanoGPT-style
// character model learns and samples, and the MNIST example's CNN learns the drawn digits.
import { describe, expect, it } from 'vitest';

describe('ported PyTorch programs', () => {
  it('examples/gpt-char.ts: a char GPT (tied weights, AdamW groups, clipping, top-k sampling) learns the sonnets', async () => {
    const { main } = await import('../examples/gpt-char.js');
    const r = main({ iters: 120, sampleLength: 40, log: () => undefined });
    expect(r.firstLoss).toBeGreaterThan(3.5); // ~ln(vocabulary)
    expect(r.lastLoss).toBeLessThan(r.firstLoss - 1);
    expect([...r.sample]).toHaveLength(41);
  }, 120_000);

  it('examples/mnist-cnn.ts: the MNIST example (Adadelta, StepLR) learns MNIST-shaped digits', async () => {
    const { main } = await import('../examples/mnist-cnn.js');
    const r = main({ epochs: 2, trainSize: 768, testSize: 256, log: () => undefined });
    expect(r.accuracy).toBeGreaterThan(0.6); // chance is 0.1; release builds reach ~0.9 here, -O0 ones ~0.77
  }, 120_000);
});
