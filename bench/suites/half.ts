// float16 / bfloat16 on the CPU: conversion bandwidth, and what an op costs in 16 bits next to
// float32 (the CPU computes them in float32 through the adapter: two conversions more per op, half
// the memory per tensor). Each 16-bit row's note gives the float32 time measured beside it.
import * as tk from '../../src/index.js';
import { measure, type Options, type Row } from '../lib.js';

export async function* half(opts: Options, threads: number[]): AsyncGenerator<Row> {
  const suite = 'half';
  tk.manualSeed(0);
  const N = 1 << 20;
  const x32 = tk.randn([N]),
    y32 = tk.randn([N]);
  const m32 = tk.randn([256, 256]);
  for (const th of threads) {
    tk.setNumThreads(th);
    for (const dt of ['float16', 'bfloat16'] as const) {
      const x = x32.to(dt),
        y = y32.to(dt),
        m = m32.to(dt);
      const short = dt === 'float16' ? 'f16' : 'bf16';
      yield {
        suite,
        name: `to ${short} 1M (from f32)`,
        threads: th,
        nativeUs: await measure(() => x32.to(dt).dispose(), opts),
        bytes: 6 * N,
      };
      yield {
        suite,
        name: `to f32 1M (from ${short})`,
        threads: th,
        nativeUs: await measure(() => x.to('float32').dispose(), opts),
        bytes: 6 * N,
      };
      const f32Add = await measure(() => x32.add(y32).dispose(), opts);
      yield {
        suite,
        name: `add 1M ${short}`,
        threads: th,
        nativeUs: await measure(() => x.add(y).dispose(), opts),
        bytes: 6 * N,
        note: `f32 ${f32Add.toFixed(0)} µs`,
      };
      const f32Mm = await measure(() => m32.matmul(m32).dispose(), opts);
      yield {
        suite,
        name: `matmul 256 ${short}`,
        threads: th,
        nativeUs: await measure(() => m.matmul(m).dispose(), opts),
        flops: 2 * 256 ** 3,
        note: `f32 ${f32Mm.toFixed(0)} µs`,
      };
      for (const t of [x, y, m]) t.dispose();
    }
  }
  for (const t of [x32, y32, m32]) t.dispose();

  // A training step of an MLP under amp.autocast against the same step in float32.
  tk.setNumThreads(threads[threads.length - 1]!);
  const mlp = new tk.nn.Sequential(
    new tk.nn.Linear(512, 512),
    new tk.nn.ReLU(),
    new tk.nn.Linear(512, 512),
    new tk.nn.ReLU(),
    new tk.nn.Linear(512, 10),
  );
  const xb = tk.randn([256, 512]);
  const yb = tk.randint(0, 10, [256]);
  const step = (dtype?: 'bfloat16' | 'float16') => () =>
    tk.tidy(() => {
      const loss = dtype
        ? tk.amp.autocast('cpu', () => tk.nn.functional.crossEntropy(mlp.forward(xb), yb), { dtype })
        : tk.nn.functional.crossEntropy(mlp.forward(xb), yb);
      loss.backward();
      mlp.zeroGrad();
    });
  const f32Step = await measure(step(), opts);
  for (const dt of ['bfloat16', 'float16'] as const)
    yield {
      suite,
      name: `MLP 512-512-512-10 b256 forward + backward, autocast ${dt}`,
      threads: threads[threads.length - 1]!,
      nativeUs: await measure(step(dt), opts),
      note: `f32 ${f32Step.toFixed(0)} µs`,
    };
  xb.dispose();
  yb.dispose();
}
