// The CUDA device: every op of the shared tables and every gradient row compared with the CPU,
// device mixing, and the shapes CNN trained on the GPU. Without a usable GPU the whole file is
// one skipped test whose title gives the reason (cuda.status()).
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { ALL_CASES } from './helpers/cases.js';
import { GRAD_CASES } from './helpers/grad-cases.js';
import { disposeAll, expectTensorError, input, LAYOUTS, prng } from './helpers/harness.js';

const available = tk.cuda.isAvailable();
const dev = 'cuda';

if (!available) {
  describe('cuda', () => {
    it.skip(`CUDA tests skipped: ${tk.cuda.status()}`, () => undefined);
  });
}
// Registered only with a GPU, so a run without one lists the single skip above, not each test.
const onGpu = available ? describe : (_name: string, _fn: () => void) => undefined;

// GPU results may sum in another order than the CPU's.
function expectClose(gpu: Tensor, cpu: Tensor, label: string): void {
  expect(gpu.device, label).toMatch(/^cuda/);
  expect([gpu.shape, gpu.dtype], label).toEqual([cpu.shape, cpu.dtype]);
  const g = gpu.cpu(),
    a = g.data(),
    b = cpu.data();
  const [rtol, atol] =
    cpu.dtype === 'float64'
      ? [1e-9, 1e-12]
      : cpu.dtype === 'float32'
        ? [1e-4, 1e-5]
        : cpu.dtype === 'float16' || cpu.dtype === 'bfloat16'
          ? [1e-2, 1e-3]
          : [0, 0];
  for (let i = 0; i < b.length; i++) {
    const x = Number(a[i]),
      y = Number(b[i]);
    if (Number.isNaN(y)) expect(Number.isNaN(x), `${label}: element ${i}`).toBe(true);
    else if (x !== y && !(Math.abs(x - y) <= atol + rtol * Math.abs(y)))
      expect.fail(`${label}: element ${i} is ${x} on the GPU, ${y} on the CPU`);
  }
  g.dispose();
}

onGpu('every op on cuda matches the CPU', () => {
  for (const c of ALL_CASES)
    it(c.name, () => {
      const rnd = prng(99);
      for (const layout of c.layouts ?? LAYOUTS) {
        // The same values in the same layout on both devices (the views are taken on each).
        const seed = rnd() * 2 ** 32;
        const cpuPairs = c.inputs.map((s) => input(s, layout, prng(seed)));
        const gpuPairs = c.inputs.map((s) => input(s, layout, prng(seed), { device: dev }));
        const cpuIn = cpuPairs.map((p) => p?.native),
          gpuIn = gpuPairs.map((p) => p?.native);
        if (cpuIn.some((t) => !t)) {
          disposeAll(cpuIn, gpuIn);
          continue;
        }
        const cpuOut = c.native(...(cpuIn as Tensor[])),
          gpuOut = c.native(...(gpuIn as Tensor[]));
        try {
          expectClose(gpuOut, cpuOut, `${c.name} [${layout}]`);
        } finally {
          disposeAll(cpuIn, gpuIn, cpuOut, gpuOut);
        }
      }
    });
});

onGpu('every gradient on cuda matches the CPU', () => {
  for (const c of GRAD_CASES)
    it(c.name, () => {
      const rnd = prng(7);
      const pairs = c.inputs.map((s) => input(s, 'contiguous', rnd)!);
      const run = (device: string) => {
        const xs = pairs.map((p, i) => {
          const leaf = p.native.to(device as never).detach();
          if (c.inputs[i].grad !== false) leaf.requiresGrad = true;
          return leaf;
        });
        const out = c.fn(...xs);
        out.sum().backward();
        return { xs, out: [out], grads: xs.map((x) => x.grad) };
      };
      const cpu = run('cpu'),
        gpu = run(dev);
      try {
        cpu.out.forEach((o, i) => expectClose(gpu.out[i], o, `${c.name} output ${i}`));
        cpu.grads.forEach((g, i) => {
          if (g) expectClose(gpu.grads[i]!, g, `${c.name} gradient ${i}`);
        });
      } finally {
        disposeAll(
          pairs.map((p) => p.native),
          cpu,
          gpu,
        );
      }
    });
});

onGpu('cuda devices and training', () => {
  it("creation and random ops run on the device and give the CPU's values for a seed", () => {
    for (const make of [
      (d: string) => tk.randn([1001], { device: d as never }),
      (d: string) => tk.rand([7, 9], { device: d as never, dtype: 'float64' }),
      (d: string) => tk.randint(0, 10, [333], { device: d as never }),
      (d: string) => tk.arange(0, 50, 0.5, { device: d as never }),
      (d: string) => tk.eye(4, 6, { device: d as never }),
      (d: string) => tk.full([3], 2.5, { device: d as never }),
    ]) {
      tk.manualSeed(5);
      const cpu = make('cpu');
      tk.manualSeed(5);
      const gpu = make(dev);
      expectClose(gpu, cpu, 'creation');
      disposeAll(cpu, gpu);
    }
  });

  it('mixing devices is DEVICE_MISMATCH', () => {
    const a = tk.zeros([2]),
      b = tk.zeros([2], { device: dev });
    expectTensorError(
      () => a.add(b),
      'DEVICE_MISMATCH',
      /add: expected all tensors on the same device, got cpu and cuda:0/,
    );
    expectTensorError(
      () => tk.matmul(tk.zeros([2, 2]), tk.zeros([2, 2], { device: dev })),
      'DEVICE_MISMATCH',
      /matmul/,
    );
    disposeAll(a, b);
  });

  it('module.to moves parameters; the optimizer made before keeps them and its state follows', () => {
    const m = new tk.nn.Linear(3, 2);
    const opt = new tk.optim.Adam(m.parameters(), { lr: 0.1 });
    const step = (d: string) =>
      tk.tidy(() => {
        opt.zeroGrad();
        m.call(tk.ones([4, 3], { device: d as never }))
          .sum()
          .backward();
        opt.step();
      });
    step('cpu');
    m.to(dev);
    step(dev);
    for (const p of m.parameters()) expect(p.device).toBe('cuda:0');
    for (const st of opt.state.values())
      for (const v of Object.values(st)) if (v instanceof tk.Tensor) expect(v.device).toBe('cuda:0');
    opt.disposeState();
    disposeAll(m.parameters());
  });

  it('the shapes CNN trained on cuda reaches the accuracy it reaches on the CPU', async () => {
    const { main } = await import('../examples/cnn-shapes.js');
    const cpu = main({ n: 800, epochs: 4, log: () => undefined });
    const gpu = main({ n: 800, epochs: 4, device: dev, log: () => undefined });
    expect(gpu.accuracy).toBeGreaterThanOrEqual(Math.min(0.9, cpu.accuracy - 0.03));
  }, 120000);
});
