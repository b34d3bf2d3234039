// amp: autocast runs the listed ops on casts of their float operands (values equal to casting by
// hand), leaves float64, integers and the other device alone, caches parameter casts per region
// and frees them after; GradScaler scales, unscales, skips overflowing steps and adjusts its
// scale as torch's does; mixed-precision training reaches the float32 loss.
import { afterEach, describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { amp, memory, nn, optim, profiler, type Tensor } from '../src/index.js';
import { expectTensorError, settleGarbage } from './helpers/harness.js';

const F = nn.functional;
const maxDiff = (a: Tensor, b: Tensor) => a.float().sub(b.float()).abs().max().item() as number;
// How many times op `name` ran inside fn.
function calls(name: string, fn: () => void): number {
  const p = profiler.profile(fn);
  return p.keyAverages().rows.find((r) => r.name === name)?.count ?? 0;
}

afterEach(() => {
  expect(amp.isAutocastEnabled('cpu')).toBe(false);
});

describe('amp.autocast', () => {
  it('runs linear, matmul, conv2d and attention in bfloat16, equal to casting by hand', () => {
    tk.manualSeed(0);
    const lin = new nn.Linear(8, 4);
    const x = tk.randn([5, 8]);
    const bf = (t: Tensor) => t.to('bfloat16');
    const y = amp.autocast('cpu', () => lin.forward(x));
    expect(y.dtype).toBe('bfloat16');
    expect(maxDiff(y, F.linear(bf(x), bf(lin.weight), bf(lin.bias!)))).toBe(0);
    const m = amp.autocast('cpu', () => x.matmul(lin.weight.t()));
    expect(m.dtype).toBe('bfloat16');
    expect(maxDiff(m, bf(x).matmul(bf(lin.weight).t()))).toBe(0);
    const img = tk.randn([1, 2, 6, 6]);
    const w = tk.randn([3, 2, 3, 3]);
    const c = amp.autocast('cpu', () => F.conv2d(img, w));
    expect(c.dtype).toBe('bfloat16');
    expect(maxDiff(c, F.conv2d(bf(img), bf(w)))).toBe(0);
    const q = tk.randn([1, 2, 4, 8]);
    const a = amp.autocast('cpu', () => F.scaledDotProductAttention(q, q, q));
    expect(a.dtype).toBe('bfloat16');
    // float16 when asked
    expect(amp.autocast('cpu', () => lin.forward(x), { dtype: 'float16' }).dtype).toBe('float16');
  });

  it('runs losses and linear algebra in float32 and promotes mixed cat/stack', () => {
    const logits = tk.randn([4, 3]).to('bfloat16');
    const target = tk.tensor([0, 1, 2, 1], { dtype: 'int64' });
    const l = amp.autocast('cpu', () => F.crossEntropy(logits, target));
    expect(l.dtype).toBe('float32');
    expect(maxDiff(l, F.crossEntropy(logits.float(), target))).toBe(0);
    const h = tk.randn([3]).to('float16');
    const b = tk.randn([3]).to('bfloat16');
    expect(amp.autocast('cpu', () => tk.cat([h, b])).dtype).toBe('float32');
    expect(amp.autocast('cpu', () => tk.stack([b, tk.randn([3])])).dtype).toBe('float32');
    const spd = tk.eye(3).mul(2).to('bfloat16');
    expect(amp.autocast('cpu', () => tk.linalg.cholesky(spd)).dtype).toBe('float32');
    // Ops outside the lists run in their inputs' dtype.
    expect(amp.autocast('cpu', () => b.exp()).dtype).toBe('bfloat16');
  });

  it('leaves float64, integers, the other device and disabled regions alone', () => {
    const lin = new nn.Linear(3, 2).double();
    const x = tk.randn([2, 3], { dtype: 'float64' });
    expect(amp.autocast('cpu', () => lin.forward(x)).dtype).toBe('float64');
    const emb = new nn.Embedding(5, 4);
    const idx = tk.tensor([1, 3], { dtype: 'int64' });
    expect(amp.autocast('cpu', () => emb.forward(idx)).dtype).toBe('float32');
    const f = new nn.Linear(3, 2);
    const xf = tk.randn([2, 3]);
    expect(amp.autocast('cuda', () => f.forward(xf)).dtype).toBe('float32');
    const inner = amp.autocast('cpu', () => {
      expect(amp.isAutocastEnabled('cpu')).toBe(true);
      return amp.autocast('cpu', () => f.forward(xf), { enabled: false });
    });
    expect(inner.dtype).toBe('float32');
    expect(f.forward(xf).dtype).toBe('float32');
  });

  it('gives float32 parameters float32 gradients equal to the hand-cast graph', () => {
    tk.manualSeed(1);
    const lin = new nn.Linear(6, 3);
    const x = tk.randn([4, 6]);
    amp
      .autocast('cpu', () => lin.forward(x).relu())
      .float()
      .sum()
      .backward();
    const got = lin.weight.grad!.clone();
    expect(got.dtype).toBe('float32');
    lin.zeroGrad();
    F.linear(x.to('bfloat16'), lin.weight.to('bfloat16'), lin.bias!.to('bfloat16')).relu().float().sum().backward();
    expect(maxDiff(got, lin.weight.grad!)).toBe(0);
  });

  it('casts a parameter once per region (cacheEnabled) and frees the casts after', () => {
    const lin = new nn.Linear(4, 4);
    const x = tk.randn([2, 4]);
    settleGarbage();
    const before = memory();
    // x, then the weight and the bias once for both layers' calls (the second input is bfloat16 already)
    expect(calls('to_dtype', () => amp.autocast('cpu', () => tk.tidy(() => void lin.forward(lin.forward(x)))))).toBe(3);
    expect(
      calls('to_dtype', () =>
        amp.autocast('cpu', () => tk.tidy(() => void lin.forward(lin.forward(x))), { cacheEnabled: false }),
      ),
    ).toBe(5);
    // Under noGrad nothing is cached (a cast made there would carry no gradient later).
    expect(
      calls('to_dtype', () =>
        tk.noGrad(() => amp.autocast('cpu', () => tk.tidy(() => void lin.forward(lin.forward(x))))),
      ),
    ).toBe(5);
    // Nor under setAutocastEnabled, which has no end to free the cache at.
    const prev = amp.setAutocastEnabled('cpu', true);
    try {
      expect(calls('to_dtype', () => tk.tidy(() => void lin.forward(lin.forward(x))))).toBe(5);
    } finally {
      amp.setAutocastEnabled('cpu', prev);
    }
    settleGarbage();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });

  it('setAutocastEnabled/setAutocastDtype for code that awaits, and the queries', async () => {
    expect(amp.getAutocastDtype('cpu')).toBe('bfloat16');
    expect(amp.getAutocastDtype('cuda')).toBe('float16');
    const lin = new nn.Linear(2, 2);
    const prev = amp.setAutocastEnabled('cpu', true);
    amp.setAutocastDtype('cpu', 'float16');
    try {
      await Promise.resolve();
      expect(lin.forward(tk.randn([1, 2])).dtype).toBe('float16');
    } finally {
      amp.setAutocastEnabled('cpu', prev);
      amp.setAutocastDtype('cpu', 'bfloat16');
    }
    expect(lin.forward(tk.randn([1, 2])).dtype).toBe('float32');
  });

  it('bad input throws TensorError', () => {
    expectTensorError(
      () => amp.autocast('tpu' as never, () => 1),
      'INVALID_ARGUMENT',
      /deviceType must be 'cpu' or 'cuda', got .tpu./,
    );
    expectTensorError(() => amp.autocast('cpu', 5 as never), 'INVALID_ARGUMENT', /autocast: 'fn' must be a function/);
    expectTensorError(
      () => amp.autocast('cpu', () => 1, { dtype: 'float64' as never }),
      'INVALID_ARGUMENT',
      /dtype must be 'bfloat16' or 'float16', got .float64./,
    );
    expectTensorError(() => amp.autocast('cpu', () => 1, { enable: true } as never), 'INVALID_ARGUMENT', /enable/);
    expectTensorError(() => amp.autocast('cpu', async () => 1), 'INVALID_ARGUMENT', /must be synchronous/);
    expectTensorError(() => amp.setAutocastEnabled('cpu', 1 as never), 'INVALID_ARGUMENT', /expected a boolean/);
    expectTensorError(() => amp.setAutocastDtype('cpu', 'int8' as never), 'INVALID_ARGUMENT', /dtype must be/);
  });
});

// One SGD step's worth: a linear model, its loss on a batch, plain or through the scaler.
function linearProblem(seed: number) {
  tk.manualSeed(seed);
  const model = new nn.Linear(4, 1);
  const x = tk.randn([16, 4]);
  const y = x.matmul(tk.tensor([[1], [-2], [0.5], [3]])).add(0.1);
  const opt = new optim.SGD(model.parameters(), { lr: 0.05 });
  return { model, x, y, opt, loss: () => F.mseLoss(model.forward(x), y) };
}

describe('amp.GradScaler', () => {
  it('scales the loss, unscales the gradients exactly and steps as plain SGD does', () => {
    const a = linearProblem(2);
    const b = linearProblem(2);
    const scaler = new amp.GradScaler('cpu', { initScale: 1024 });
    const l = a.loss();
    expect(scaler.scale(l).item()).toBeCloseTo((l.item() as number) * 1024, 2);
    scaler.scale(a.loss()).backward();
    scaler.step(a.opt);
    scaler.update();
    b.loss().backward();
    b.opt.step();
    // A power-of-two scale: scaling and unscaling are exact in float32.
    expect(maxDiff(a.model.weight, b.model.weight)).toBe(0);
    expect(scaler.getScale()).toBe(1024);
  });

  it('skips a step whose gradients overflowed and backs the scale off; grows after growthInterval', () => {
    const p = linearProblem(3);
    const scaler = new amp.GradScaler('cpu', { initScale: 8, growthInterval: 2 });
    const w0 = p.model.weight.clone();
    p.loss().backward();
    tk.noGrad(() => p.model.weight.grad!.fill_(Infinity));
    expect(scaler.step(p.opt)).toBeUndefined();
    scaler.update();
    expect(maxDiff(p.model.weight, w0)).toBe(0);
    expect(scaler.getScale()).toBe(4);
    for (let i = 0; i < 2; i++) {
      p.opt.zeroGrad();
      scaler.scale(p.loss()).backward();
      scaler.step(p.opt);
      scaler.update();
    }
    expect(maxDiff(p.model.weight, w0)).toBeGreaterThan(0);
    expect(scaler.getScale()).toBe(8);
    expect(scaler.stateDict()).toEqual({
      scale: 8,
      growthFactor: 2,
      backoffFactor: 0.5,
      growthInterval: 2,
      growthTracker: 0,
    });
    const other = new amp.GradScaler('cpu');
    other.loadStateDict({ scale: 32, growthFactor: 3, backoffFactor: 0.25, growthInterval: 7, growthTracker: 5 });
    expect(other.getScale()).toBe(32);
    expect(other.stateDict()).toEqual({
      scale: 32,
      growthFactor: 3,
      backoffFactor: 0.25,
      growthInterval: 7,
      growthTracker: 5,
    });
  });

  it('unscale_ before clipping gives the true gradients', () => {
    const a = linearProblem(4);
    const b = linearProblem(4);
    const scaler = new amp.GradScaler('cpu', { initScale: 256 });
    scaler.scale(a.loss()).backward();
    scaler.unscale_(a.opt);
    b.loss().backward();
    expect(maxDiff(a.model.weight.grad!, b.model.weight.grad!)).toBe(0);
    scaler.step(a.opt); // does not unscale again
    scaler.update();
    b.opt.step();
    expect(maxDiff(a.model.weight, b.model.weight)).toBe(0);
  });

  it('is a pass-through when disabled', () => {
    const p = linearProblem(5);
    const scaler = new amp.GradScaler('cpu', { enabled: false });
    const l = p.loss();
    expect(scaler.scale(l)).toBe(l);
    expect(scaler.getScale()).toBe(1);
    expect(scaler.isEnabled()).toBe(false);
    expect(scaler.stateDict()).toEqual({});
  });

  it('trains a float16-autocast model to the float32 loss', () => {
    const run = (mixed: boolean) => {
      tk.manualSeed(6);
      const model = new nn.Sequential(new nn.Linear(4, 16), new nn.Tanh(), new nn.Linear(16, 1));
      const x = tk.randn([64, 4]);
      const y = x.pow(2).sum(1, { keepdim: true });
      const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
      const scaler = new amp.GradScaler('cpu', { enabled: mixed });
      let first = 0;
      let last = 0;
      for (let i = 0; i < 150; i++)
        tk.tidy(() => {
          const loss = mixed
            ? amp.autocast('cpu', () => F.mseLoss(model.forward(x).float(), y), { dtype: 'float16' })
            : F.mseLoss(model.forward(x), y);
          scaler.scale(loss).backward();
          scaler.step(opt);
          scaler.update();
          opt.zeroGrad();
          last = loss.item() as number;
          if (i === 0) first = last;
        });
      return [first, last];
    };
    const [first, full] = run(false);
    const [, mixed] = run(true);
    // The scaler starts at 2^16, skips the first steps as float16 gradients overflow, and backs
    // off; training then follows the float32 run.
    expect(mixed).toBeLessThan(first * 0.3);
    expect(Math.abs(mixed - full)).toBeLessThan(0.05 * full);
  });

  it('thousands of mixed-precision steps leave live tensors and bytes at baseline', () => {
    const p = linearProblem(8);
    const scaler = new amp.GradScaler('cpu', { initScale: 256 });
    const step = () =>
      tk.tidy(() => {
        scaler.scale(amp.autocast('cpu', () => p.loss().float(), { dtype: 'float16' })).backward();
        scaler.step(p.opt);
        scaler.update();
        p.opt.zeroGrad();
      });
    for (let i = 0; i < 10; i++) step();
    settleGarbage();
    settleGarbage();
    const before = memory();
    for (let i = 0; i < 2000; i++) step();
    settleGarbage();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });

  it('bad use throws TensorError', () => {
    const p = linearProblem(7);
    const scaler = new amp.GradScaler('cpu');
    expectTensorError(() => scaler.update(), 'INVALID_ARGUMENT', /no inf checks were recorded/);
    scaler.scale(p.loss()).backward();
    scaler.unscale_(p.opt);
    expectTensorError(() => scaler.unscale_(p.opt), 'INVALID_ARGUMENT', /already been called on this optimizer/);
    scaler.step(p.opt);
    expectTensorError(() => scaler.step(p.opt), 'INVALID_ARGUMENT', /step\(\) has already been called/);
    expectTensorError(() => scaler.step({} as never), 'INVALID_ARGUMENT', /expected an optimizer/);
    expectTensorError(() => scaler.scale(5 as never), 'INVALID_ARGUMENT', /expected a Tensor or an array/);
    expectTensorError(
      () => new amp.GradScaler('cpu', { growthFactor: 1 }),
      'INVALID_ARGUMENT',
      /growthFactor must be a finite number > 1/,
    );
    expectTensorError(
      () => new amp.GradScaler('cpu', { backoffFactor: 2 }),
      'INVALID_ARGUMENT',
      /backoffFactor must be in \(0, 1\)/,
    );
    expectTensorError(() => new amp.GradScaler('cpu', { growthInterval: 0.5 }), 'INVALID_ARGUMENT', /growthInterval/);
    expectTensorError(() => new amp.GradScaler('cpu', { initScale: -1 }), 'INVALID_ARGUMENT', /initScale/);
    expectTensorError(() => new amp.GradScaler('xpu' as never), 'INVALID_ARGUMENT', /device must be/);
    expectTensorError(() => scaler.loadStateDict({} as never), 'INVALID_ARGUMENT', /empty/);
    // float16 parameters: their gradients cannot be unscaled safely.
    const h = new nn.Linear(2, 1).half();
    const ho = new optim.SGD(h.parameters(), { lr: 0.1 });
    const s2 = new amp.GradScaler('cpu');
    s2.scale(
      h
        .forward(tk.randn([3, 2]).half())
        .float()
        .sum(),
    ).backward();
    expectTensorError(() => s2.unscale_(ho), 'DTYPE_MISMATCH', /unscale float16 gradients/);
  });

  it.skipIf(tk.cuda.isAvailable())('a cuda scaler disables itself where CUDA is absent (as torch)', () => {
    const s = new amp.GradScaler('cuda');
    expect(s.isEnabled()).toBe(false);
  });
});
