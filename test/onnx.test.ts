// onnx: the example models exported with a dynamic batch axis run in onnxruntime-node at batch 1
// and 7 (and pass onnx.checker where python3-onnx is installed); PyTorch-exported fixtures import
// and reproduce PyTorch's outputs; export -> import round-trips weights bit for bit; unmapped ops
// are listed in one error; a corpus of hostile files gives IO_ERROR each.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { jit, nn, onnx, randn, tensor, type Tensor } from '../src/index.js';
import { ProtoWriter } from '../src/io/protobuf.js';
import { writeModel, type OnnxModel, type OnnxTensor } from '../src/onnx/proto.js';
import { expectTensorError } from './helpers/harness.js';
import { exampleModels } from './helpers/models.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-onnx-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => path.join(dir, name);
const FIXTURES = path.resolve('test/fixtures/onnx');

interface Ort {
  InferenceSession: {
    create(p: string): Promise<{
      run(feeds: object): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>>;
      release(): Promise<void>;
    }>;
  };
  Tensor: new (type: string, data: Float32Array, dims: readonly number[]) => object;
}
const ort = await import('onnxruntime-node').then(
  (m) => ((m as { default?: Ort }).default ?? m) as unknown as Ort,
  () => null,
);
const hasOnnxPython = (() => {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import onnx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const batchAxis = { dynamicAxes: { input0: { 0: 'batch' } } };
// Positive random running statistics in every buffer, so eval-mode norms are not the identity.
function randomStatistics(m: nn.Module): void {
  for (const [, b] of m.namedBuffers())
    b.copy_(
      randn(b.shape)
        .abs()
        .add(0.5)
        .reshape(b.shape as number[]),
    );
}
const exported: string[] = []; // the example models' files, checked by onnx.checker below

describe.skipIf(!ort)('onnx.export, checked by onnxruntime-node', () => {
  it.each(exampleModels())(
    '%s: exported with a dynamic batch, runs in onnxruntime at batch 1 and 7',
    async (name, model, make) => {
      model.eval();
      const p = file(`${name.replace(/\W/g, '_')}.onnx`);
      onnx.export(model, [make(3)], p, batchAxis);
      const session = await ort!.InferenceSession.create(p);
      for (const b of [1, 7]) {
        const x = make(b);
        const want = (model.call(x) as Tensor).data() as Float32Array;
        const out = await session.run({ input0: new ort!.Tensor('float32', x.data() as Float32Array, x.shape) });
        const got = out.output0;
        expect([...got.dims]).toEqual((model.call(x) as Tensor).shape);
        for (let i = 0; i < want.length; i++)
          expect(Math.abs(got.data[i] - want[i])).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(want[i]));
      }
      await session.release();
      exported.push(p);
    },
  );

  it.skipIf(!hasOnnxPython)(
    hasOnnxPython
      ? 'onnx.checker.check_model(full_check=True) passes for each exported example model'
      : 'onnx.checker (skipped: /usr/bin/python3 has no onnx module; apt-get install python3-onnx)',
    () => {
      expect(exported.length).toBe(exampleModels().length);
      for (const p of exported)
        execFileSync('/usr/bin/python3', [
          '-c',
          'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)',
          p,
        ]);
    },
  );

  it('the char GPT example (tied weights, fused attention, layer norm, GELU) exports and runs in onnxruntime', async () => {
    const { GPT } = await import('../examples/gpt-char.js');
    tk.manualSeed(5);
    const model = new GPT({ vocabSize: 40, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 32, dropout: 0.1 }).eval();
    const g = jit.trace(model, [tk.randint(0, 40, [3, 16])], batchAxis);
    expect(g.warnings).toEqual([]); // the index of [-1] is read, but it depends on no input
    const idx = tk.randint(0, 40, [5, 16]);
    const want = model.call(idx).logits;
    const traced = g.run([idx]) as { logits: Tensor; loss: null };
    expect(traced.loss).toBeNull();
    expect(traced.logits.sub(want).abs().max().item()).toBe(0);
    onnx.export(g, null, file('gpt.onnx'));
    const s = await ort!.InferenceSession.create(file('gpt.onnx'));
    const Int64 = (ort as unknown as { Tensor: new (t: string, d: BigInt64Array, s: readonly number[]) => object })
      .Tensor;
    const got = (await s.run({ input0: new Int64('int64', idx.data() as BigInt64Array, idx.shape) })).output0;
    const w = want.data() as Float32Array;
    for (let i = 0; i < w.length; i++) expect(Math.abs(got.data[i] - w[i])).toBeLessThan(1e-5 + 1e-4 * Math.abs(w[i]));
    await s.release();
    g.dispose();
  });

  it('exports in-place ops (relu_, mul_) as new values, and the file runs in onnxruntime and back', async () => {
    const lin = new nn.Linear(5, 4);
    const f = (x: Tensor) => {
      const h = lin.call(x);
      h.relu_();
      h.mul_(2);
      return h.add(1);
    };
    const g = jit.trace(f, [randn([3, 5])], batchAxis);
    expect(g.nodes.map((n) => n.op)).toContain('relu_');
    const x = randn([6, 5]);
    const want = tk.noGrad(() => f(x));
    onnx.export(g, null, file('inplace.onnx'));
    const s = await ort!.InferenceSession.create(file('inplace.onnx')); // it was a cycle before
    const got = (await s.run({ input0: new ort!.Tensor('float32', x.data() as Float32Array, x.shape) })).output0;
    const w = want.data() as Float32Array;
    for (let i = 0; i < w.length; i++) expect(Math.abs(got.data[i] - w[i])).toBeLessThan(1e-5 + 1e-4 * Math.abs(w[i]));
    await s.release();
    const back = onnx.load(file('inplace.onnx'));
    expect((back.run([x]) as Tensor).sub(want).abs().max().item()).toBe(0);
    back.dispose();
    g.dispose();
  });

  // The op table's breadth: each function traced with a dynamic batch, exported, run in
  // onnxruntime at another batch size, and imported back.
  const BATTERY: [string, (x: Tensor) => Tensor][] = [
    [
      'reductions',
      (x) =>
        x
          .sum(1)
          .add(x.mean(1))
          .add(x.max(1))
          .add(x.min(1, { keepdim: true }).squeeze(1))
          .add(x.argmax(1).to('float32')),
    ],
    ['var and std', (x) => x.var(2).add(x.std([1, 2]).unsqueeze(1))],
    [
      'cat, stack, expand, narrow',
      (x) =>
        tk
          .cat([x, x.mul(2)], 2)
          .sum(2)
          .add(tk.stack([x.sum(2), x.sum(2)], 1).sum(1))
          .add(x.narrow(2, 0, 1).expand(-1, -1, 4).sum(2)),
    ],
    ['unsqueeze, permute, flatten, squeeze', (x) => x.unsqueeze(0).permute(1, 0, 3, 2).flatten(1, 2).squeeze(1).sum(1)],
    [
      'unary and binary element-wise',
      (x) =>
        x
          .abs()
          .log1p()
          .add(x.abs().add(1).rsqrt())
          .add(x.clamp(-0.5, 0.5))
          .add(x.pow(2))
          .add(x.sigmoid().mul(x.tanh()))
          .sum(2),
    ],
    [
      'comparisons and where',
      (x) => tk.where(x.gt(0), x, x.mul(0.1)).add(x.le(0.3).to('float32')).add(x.ne(x.exp()).to('float32')).sum(2),
    ],
    ['softmax, logSoftmax, cumsum', (x) => x.softmax(2).add(x.logSoftmax(1)).add(x.cumsum(2)).sum(2)],
    [
      'select, maximum, minimum',
      (x) => x.select(2, -1).add(x.maximum(x.neg()).select(2, 0)).add(x.minimum(0.2).select(2, 1)),
    ],
    [
      'gelu (both forms), silu, erf, erfc, sin, cos',
      (x) =>
        x
          .gelu()
          .add(tk.nn.functional.gelu(x, { approximate: 'tanh' }))
          .add(tk.nn.functional.silu(x))
          .add(x.erf())
          .add(x.erfc())
          .add(x.sin())
          .add(x.cos())
          .sum(2),
    ],
    [
      'diagonal, unfold, diagEmbed, cummax, logcumsumexp, quantile, median, lerp, hypot (argsort as TopK)',
      (x) =>
        x
          .diagonal(0, 1, 2)
          .add(x.diagonal(-1, 1, 2))
          .add(x.diagEmbed().sum([1, 2]))
          .add(x.median(1))
          .add(x.cummax(1).values.sum(1))
          .add(x.logcumsumexp(2).sum(1))
          .add(x.quantile(0.3, 1))
          .add(x.lerp(x.flip(2), 0.7).hypot(x).sum(1))
          .add(x.unfold(1, 2, 2).sum([1, 3])),
    ],
    [
      'floor, ceil, round, trunc, sign, remainder, fmod, floorDivide',
      (x) => {
        const y = x.mul(3);
        return y
          .floor()
          .add(y.ceil())
          .add(y.round())
          .add(y.trunc())
          .add(x.sign())
          .add(x.remainder(0.7))
          .add(x.fmod(-0.7))
          .add(x.floorDivide(0.3))
          .add(x.remainder(x.exp().neg()))
          .sum(2);
      },
    ],
    [
      'trigonometric, hyperbolic, expm1, exp2, log2, log10, reciprocal',
      (x) => {
        const u = x.tanh().mul(0.9); // inside (-1, 1)
        return u
          .tan()
          .add(u.asin())
          .add(u.acos())
          .add(x.atan())
          .add(x.sinh())
          .add(x.cosh())
          .add(x.asinh())
          .add(x.abs().add(1.5).acosh())
          .add(u.atanh())
          .add(x.expm1())
          .add(x.exp2())
          .add(x.abs().add(0.5).log2())
          .add(x.abs().add(0.5).log10())
          .add(x.abs().add(0.5).reciprocal())
          .sum(2);
      },
    ],
    [
      'the activations (LeakyRelu, Elu, Selu, Clip, HardSigmoid, HardSwish and composed ones)',
      (x) => {
        const F = nn.functional;
        return F.elu(x)
          .add(F.selu(x))
          .add(F.elu(x, 0.5))
          .add(F.celu(x, 2))
          .add(F.leakyRelu(x, 0.2))
          .add(F.hardsigmoid(x.mul(4)))
          .add(F.softplus(x, { beta: 2 }))
          .add(F.logsigmoid(x))
          .add(F.hardtanh(x, -0.5, 0.5))
          .add(F.relu6(x.mul(4)))
          .add(F.hardswish(x.mul(4)))
          .add(F.mish(x))
          .add(F.softsign(x))
          .add(F.prelu(x, tk.tensor([0.1, 0.2, 0.3, 0.4, 0.5])))
          .add(F.glu(x, 2).repeat(1, 1, 2))
          .sum(2);
      },
    ],
    [
      'the same on integers',
      (x) => {
        const i = x.mul(10).to('int64');
        return i
          .remainder(3)
          .add(i.remainder(-4))
          .add(i.floorDivide(-4))
          .add(i.floorDivide(3))
          .add(i.fmod(3))
          .add(i.sign())
          .to('float32')
          .sum(2);
      },
    ],
  ];
  it.each(BATTERY)('%s: exported, run in onnxruntime at another batch size, and imported back', async (name, f) => {
    const g = jit.trace(f, [randn([3, 5, 4])], { dynamicAxes: { input0: [0] } });
    const p = file(`battery-${name.replace(/\W/g, '_')}.onnx`);
    onnx.export(g, null, p);
    const x = randn([7, 5, 4]);
    const want = tk.noGrad(() => f(x));
    const s = await ort!.InferenceSession.create(p);
    const got = (await s.run({ input0: new ort!.Tensor('float32', x.data() as Float32Array, x.shape) })).output0;
    expect([...got.dims]).toEqual(want.shape);
    const w = want.data() as Float32Array;
    for (let i = 0; i < w.length; i++) expect(Math.abs(got.data[i] - w[i])).toBeLessThan(1e-5 + 1e-4 * Math.abs(w[i]));
    await s.release();
    const back = onnx.load(p);
    expect((back.run([x]) as Tensor).sub(want).abs().max().item()).toBeLessThan(1e-5);
    back.dispose();
    g.dispose();
  });

  it('writes a 784-256-10 MLP (a 200 KB weight) and matches onnxruntime', async () => {
    const m = new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 10));
    onnx.export(m, [randn([2, 784])], file('mlp.onnx'), batchAxis);
    const s = await ort!.InferenceSession.create(file('mlp.onnx'));
    const x = randn([5, 784]);
    const got = (await s.run({ input0: new ort!.Tensor('float32', x.data() as Float32Array, x.shape) })).output0;
    const want = m.call(x).data() as Float32Array;
    for (let i = 0; i < want.length; i++)
      expect(Math.abs(got.data[i] - want[i])).toBeLessThan(1e-5 + 1e-4 * Math.abs(want[i]));
    await s.release();
  });

  // Exports m (input [batch, 4, 6]) at each opset and compares onnxruntime's output with m's.
  async function matchesAtOpsets(m: nn.Module, name: string, opsets: number[]) {
    for (const opset of opsets) {
      const p = file(`${name}${opset}.onnx`);
      onnx.export(m, [randn([3, 4, 6])], p, { ...batchAxis, opset });
      const s = await ort!.InferenceSession.create(p);
      const x = randn([2, 4, 6]);
      const got = (await s.run({ input0: new ort!.Tensor('float32', x.data() as Float32Array, x.shape) })).output0;
      const want = (m.call(x) as Tensor).data() as Float32Array;
      for (let i = 0; i < want.length; i++)
        expect(Math.abs(got.data[i] - want[i]), `opset ${opset}`).toBeLessThan(1e-5 + 1e-4 * Math.abs(want[i]));
      await s.release();
    }
  }
  it('exports GELU (erf form), LayerNorm, GRU, softmax, concat and slices at opsets 13 and 18', async () => {
    class Mix extends nn.Module {
      ln = new nn.LayerNorm(6);
      gru = new nn.GRU(6, 5, { batchFirst: true, bidirectional: true });
      fc = new nn.Linear(10, 4);
      forward(x: Tensor) {
        const [o] = this.gru.call(this.ln.call(x).gelu());
        const last = o.select(1, -1);
        return nn.functional.logSoftmax(this.fc.call(last), 1).add(o.narrow(1, 0, 2).mean(1).sum(1, { keepdim: true }));
      }
    }
    await matchesAtOpsets(new Mix().eval(), 'mix', [13, 17, 18]);
  });
  it('exports hardswish as HardSwish from opset 14 and as x HardSigmoid(x) before', async () => {
    const m = new nn.Sequential(new nn.Hardswish(), new nn.Linear(6, 3), new nn.Hardswish()).eval();
    await matchesAtOpsets(m, 'hardswish', [13, 14, 17]);
  });
  it('exports layerNorm with no weight (ones as the scale), a bias only, and over two dims at opsets 13 and 17', async () => {
    class Norms extends nn.Module {
      ln = new nn.LayerNorm([4, 6], { elementwiseAffine: false });
      b = nn.Parameter(randn([6]));
      forward(x: Tensor) {
        return nn.functional.layerNorm(this.ln.call(x).mul(3), [6], null, this.b);
      }
    }
    await matchesAtOpsets(new Norms().eval(), 'norms', [13, 17]);
  });
  it('exports a volumetric net (Conv3d, BatchNorm3d, MaxPool3d, AvgPool3d, ConvTranspose3d, trilinear, AdaptiveAvgPool3d) with a dynamic batch', async () => {
    // The 3-D layers are compositions of 2-D ops, views and pads, so they export without ONNX
    // mappings of their own.
    class Net3d extends nn.Module {
      c1 = new nn.Conv3d(2, 4, 3, { padding: 1 });
      bn = new nn.BatchNorm3d(4);
      mp = new nn.MaxPool3d([1, 2, 2]);
      ap = new nn.AvgPool3d(2, { ceilMode: true, countIncludePad: false });
      up = new nn.ConvTranspose3d(4, 2, 2, { stride: 2 });
      gap = new nn.AdaptiveAvgPool3d([1, 2, 2]);
      forward(x: Tensor) {
        const h = this.mp.call((this.bn.call(this.c1.call(x)) as Tensor).relu()) as Tensor;
        const u = this.up.call(this.ap.call(h)) as Tensor;
        return (this.gap.call(nn.functional.interpolate(u, { size: [4, 4, 4], mode: 'trilinear' })) as Tensor).flatten(
          1,
        );
      }
    }
    const m = new Net3d().eval();
    randomStatistics(m);
    const make = (n: number) => randn([n, 2, 4, 6, 6]);
    const p = file('net3d.onnx');
    onnx.export(m, [make(3)], p, batchAxis);
    const s = await ort!.InferenceSession.create(p);
    for (const b of [1, 5]) {
      const x = make(b);
      const got = (await s.run({ input0: new ort!.Tensor('float32', x.data() as Float32Array, x.shape) })).output0;
      const want = m.call(x) as Tensor;
      expect([...got.dims]).toEqual(want.shape);
      const w = want.data() as Float32Array;
      for (let i = 0; i < w.length; i++)
        expect(Math.abs(got.data[i] - w[i])).toBeLessThan(1e-5 + 1e-4 * Math.abs(w[i]));
    }
    await s.release();
  });

  it('exports Embedding (Gather), ConvTranspose, AveragePool, BatchNorm1d, Dropout, Sigmoid, Tanh, Transpose and Concat', async () => {
    class Mix2 extends nn.Module {
      emb = new nn.Embedding(12, 8);
      up = new nn.ConvTranspose2d(2, 3, 3, { stride: 2, padding: 1, outputPadding: 1 });
      pool = new nn.AvgPool2d(2);
      bn = new nn.BatchNorm1d(4);
      drop = new nn.Dropout(0.3);
      fc = new nn.Linear(4 + 48, 3);
      forward(idx: Tensor, img: Tensor) {
        const e = this.emb.call(idx).mean(1); // [N, 8]
        const u = this.pool.call(this.up.call(img)).flatten(1); // [N, 3 * 4 * 4]
        const b = this.bn.call(e.narrow(1, 0, 4)).sigmoid();
        const h = this.drop.call(tk.cat([b, u.tanh()], 1));
        return this.fc.call(h).transpose(0, 1).softmax(0);
      }
    }
    const m = new Mix2().eval();
    randomStatistics(m);
    const idx = (n: number) => tk.randint(0, 12, [n, 5]);
    const img = (n: number) => randn([n, 2, 4, 4]);
    const p = file('mix2.onnx');
    onnx.export(m, [idx(3), img(3)], p, { dynamicAxes: { input0: { 0: 'batch' }, input1: { 0: 'batch' } } });
    const s = await ort!.InferenceSession.create(p);
    const [a, b] = [idx(6), img(6)];
    const feeds = {
      input0: new (
        ort as unknown as { Tensor: new (t: string, d: BigInt64Array, s: readonly number[]) => object }
      ).Tensor('int64', a.data() as BigInt64Array, a.shape),
      input1: new ort!.Tensor('float32', b.data() as Float32Array, b.shape),
    };
    const got = (await s.run(feeds)).output0;
    const want = m.call(a, b);
    expect([...got.dims]).toEqual(want.shape);
    const w = want.data() as Float32Array;
    for (let i = 0; i < w.length; i++) expect(Math.abs(got.data[i] - w[i])).toBeLessThan(1e-5 + 1e-4 * Math.abs(w[i]));
    await s.release();
    const back = onnx.load(p); // and back: two inputs, an int64 one
    expect((back.run([a, b]) as Tensor).sub(want).abs().max().item()).toBeLessThan(1e-6);
    back.dispose();
  });
});

describe('onnx.export', () => {
  it('writes BatchNormalization, LSTM and Gemm nodes with the parameters under their own names', () => {
    const [, cifar, make] = exampleModels()[2];
    onnx.export(cifar.eval(), [make(2)], file('cifar.onnx'));
    const w = onnx.loadWeights(file('cifar.onnx'));
    const sd = cifar.stateDict();
    for (const [k, t] of Object.entries(sd))
      expect(Buffer.from(w[k].data().buffer).equals(Buffer.from(t.data().buffer)), k).toBe(true);
    const bytes = fs.readFileSync(file('cifar.onnx')).toString('latin1');
    expect(bytes).toContain('BatchNormalization');
    expect(bytes).toContain('GlobalAveragePool');
    expect(bytes).not.toContain('ReduceMean'); // no decomposed batch norm
  });

  it('lists every op it cannot map in one NOT_IMPLEMENTED error', () => {
    const f = (x: Tensor) => x.cumprod(0).add(x.sort(0).values).nonzero();
    const g = jit.trace(f, randn([4, 3]));
    expectTensorError(() => onnx.export(g, null, file('no.onnx')), 'NOT_IMPLEMENTED', /'cumprod'.*'nonzero'/);
    expect(fs.existsSync(file('no.onnx'))).toBe(false);
    expectTensorError(
      () => onnx.export(g, null, file('x.onnx'), { opset: 12 }),
      'INVALID_ARGUMENT',
      /opset must be 13 to 18/,
    );
    g.dispose();
  });

  it('round-trips: export -> import gives the weights bit for bit and the same outputs', () => {
    for (const [name, model, make] of exampleModels()) {
      model.eval();
      const p = file(`rt-${name.replace(/\W/g, '_')}.onnx`);
      onnx.export(model, [make(2)], p, batchAxis);
      const w = onnx.loadWeights(p);
      for (const [k, t] of Object.entries(model.stateDict()))
        if (w[k])
          expect(Buffer.from(w[k].data().buffer).equals(Buffer.from(t.data().buffer)), `${name} ${k}`).toBe(true);
      const g = onnx.load(p);
      const x = make(5);
      const want = model.call(x) as Tensor;
      const got = g.run([x]) as Tensor;
      expect(got.shape).toEqual(want.shape);
      expect(got.sub(want).abs().max().item()).toBeLessThan(1e-5);
      g.dispose();
    }
  });
});

describe('onnx.load', () => {
  const fx = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'outputs.json'), 'utf8')) as {
    models: Record<string, { dtype: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> }>;
  };
  it.each(Object.keys(fx.models))(
    "PyTorch's export of '%s' reproduces PyTorch's outputs within 1e-5 at batch 1 and 3",
    (name) => {
      const c = fx.models[name];
      const g = onnx.load(path.join(FIXTURES, `${name}.onnx`));
      for (const b of ['1', '3']) {
        const x =
          c.dtype === 'int64' ? tensor(c.inputs[b] as number[], { dtype: 'int64' }) : tensor(c.inputs[b] as number[]);
        const want = tensor(c.outputs[b] as number[]);
        const got = g.run({ input: x }) as Tensor;
        expect(got.shape).toEqual(want.shape);
        expect(got.sub(want).abs().max().item()).toBeLessThan(1e-5);
      }
      g.dispose();
    },
  );

  it('runs PyTorch-exported graphs asynchronously as well', async () => {
    const g = onnx.load(path.join(FIXTURES, 'cnn.onnx'));
    const x = randn([4, 2, 8, 8]);
    const a = g.run([x]) as Tensor,
      b = (await g.runAsync([x])) as Tensor;
    expect(Buffer.from(a.data().buffer).equals(Buffer.from(b.data().buffer))).toBe(true);
    g.dispose();
  });

  it('lists unsupported ops with their node names in one error', () => {
    writeOnnx('unsupported.onnx', {
      nodes: [
        node('Relu', ['x'], ['a'], 'first'),
        node('Hardmax', ['a'], ['b'], 'hm'),
        node('NonMaxSuppression', ['b'], ['y'], 'nms'),
      ],
    });
    expectTensorError(
      () => onnx.load(file('unsupported.onnx')),
      'NOT_IMPLEMENTED',
      /Hardmax \(node 'hm'\), NonMaxSuppression \(node 'nms'\)/,
    );
  });

  it('a corpus of hostile files: IO_ERROR for each, never a crash or a huge allocation', () => {
    const good = writeOnnx('good.onnx', {});
    expect(onnx.load(file('good.onnx')).run([randn([2, 3])])).toBeDefined();
    const f32 = (name: string, dims: number[], raw: Uint8Array): OnnxTensor => ({ name, dtype: 'float32', dims, raw });
    const corpus: [string, Uint8Array | Partial<OnnxModel>][] = [
      ['empty file', new Uint8Array()],
      ['random bytes', Uint8Array.from({ length: 500 }, (_, i) => (i * 131 + 7) % 256)],
      ['truncated to half', good.subarray(0, good.length >> 1)],
      ['truncated to 10 bytes', good.subarray(0, 10)],
      ['an overlong varint', new Uint8Array(12).fill(0xff)],
      ['a length past the end', Uint8Array.from([0x3a, 0xff, 0xff, 0xff, 0x0f, 1, 2])],
      ['a group wire type', Uint8Array.from([0x0b, 0x0c])],
      ['huge dims with little data', { initializers: [f32('w', [1e6, 1e6], new Uint8Array(16))] }],
      ['data shorter than the dims', { initializers: [f32('w', [4, 4], new Uint8Array(60))] }],
      ['a negative dim', { initializers: [f32('w', [-4], new Uint8Array(16))] }],
      ['too many dims', { initializers: [f32('w', new Array(20).fill(1), new Uint8Array(4))] }],
      [
        'an unsupported element type (uint8)',
        { initializers: [{ ...f32('w', [1], new Uint8Array(4)), dtype: 'uint8' as never }] },
      ],
      [
        'two initializers with one name',
        { initializers: [f32('w', [1], new Uint8Array(4)), f32('w', [1], new Uint8Array(4))] },
      ],
      ['a dangling input name', { nodes: [node('Relu', ['nowhere'], ['y'])] }],
      ['an output never computed', { nodes: [node('Relu', ['x'], ['z'])] }],
      ['a huge input', { inputs: [{ name: 'x', dtype: 'float32', shape: [1e9, 1e9] }] }],
      ['an input of an unsupported element type', { inputs: [{ name: 'x', dtype: 'int8' as never, shape: [2] }] }],
      [
        'a reshape that does not fit',
        { nodes: [node('Reshape', ['x', 'shape'], ['y'])], initializers: [i64('shape', [7, 7])] },
      ],
      [
        'a shape index out of range',
        {
          nodes: [node('Shape', ['x'], ['s']), node('Gather', ['s', 'k'], ['g']), node('Reshape', ['x', 'g'], ['y'])],
          initializers: [i64('k', [9])],
        },
      ],
      ['a node without an op type', { nodes: [node('', ['x'], ['y'])] }],
      ['a 20,000-deep nested message', nested(20000)],
      [
        'an attribute of unknown type',
        { nodes: [{ ...node('Relu', ['x'], ['y']), attrs: { bad: { kind: 'int', v: 1 } } }] },
      ],
      [
        'a ConstantOfShape of 10^18 elements',
        {
          nodes: [node('ConstantOfShape', ['s'], ['y'])],
          initializers: [i64('s', [1e9, 1e9])],
        },
      ],
      ['external data', { initializers: [f32('w', [1], new Uint8Array(4))], externalData: true } as never],
    ];
    // Each file is refused for its own defect, not by an earlier check.
    const WHY: Record<string, RegExp> = {
      'empty file': /no graph/,
      'random bytes': /wire type/,
      'truncated to half': /runs past the end/,
      'truncated to 10 bytes': /runs past the end/,
      'an overlong varint': /varint runs past/,
      'a length past the end': /runs past the end/,
      'a group wire type': /wire type 3/,
      'huge dims with little data': /too many elements/,
      'data shorter than the dims': /60 bytes of data.*need 64/,
      'a negative dim': /negative dim/,
      'too many dims': /20 dims/,
      'an unsupported element type (uint8)': /unsupported element type 2/,
      'two initializers with one name': /two initializers are named 'w'/,
      'a dangling input name': /'nowhere' is not defined/,
      'an output never computed': /output 'y' is never computed/,
      'a huge input': /too large/,
      'an input of an unsupported element type': /unsupported element type 3/,
      'a reshape that does not fit': /Reshape.*invalid for input of size 6/,
      'a shape index out of range': /Gather.*out of range/,
      'a node without an op type': /no op type/,
      'a 20,000-deep nested message': /no op type/,
      'an attribute of unknown type': /unknown type 99/,
      'a ConstantOfShape of 10^18 elements': /bad shape/,
      'external data': /external file/,
    };
    expect(corpus.length).toBeGreaterThanOrEqual(20);
    for (const [what, v] of corpus) {
      let bytes: Uint8Array;
      if (v instanceof Uint8Array) bytes = v;
      else bytes = buildOnnx(v as Partial<OnnxModel> & { externalData?: boolean });
      if (what === 'an attribute of unknown type') bytes = patchAttrType(bytes);
      fs.writeFileSync(file('hostile.onnx'), bytes);
      let code = 'none';
      try {
        onnx.load(file('hostile.onnx')).dispose();
      } catch (e) {
        code = (e as { code?: string }).code ?? String((e as Error).stack);
        expect((e as Error).message, what).toMatch(WHY[what]);
      }
      expect(code, what).toBe('IO_ERROR');
    }
  });
});

describe('onnx.load of a Gelu node (opset 20)', () => {
  it("takes approximate 'none' and 'tanh' (PyTorch's forms) and refuses another", () => {
    const x = tk.tensor([
      [-3, -0.5, 0.2],
      [1, 2.5, 6],
    ]);
    for (const approximate of ['none', 'tanh'] as const) {
      const name = `gelu-${approximate}.onnx`;
      writeOnnx(name, {
        opset: 20,
        nodes: [{ ...node('Gelu', ['x'], ['y']), attrs: { approximate: { kind: 'string', v: approximate } } }],
      });
      const g = onnx.load(file(name));
      const want = tk.nn.functional.gelu(x, { approximate });
      expect(Array.from((g.run([x]) as Tensor).data(), Number)).toEqual(Array.from(want.data(), Number));
      g.dispose();
    }
    writeOnnx('gelu-bad.onnx', {
      opset: 20,
      nodes: [{ ...node('Gelu', ['x'], ['y']), attrs: { approximate: { kind: 'string', v: 'fast' } } }],
    });
    expect(() => onnx.load(file('gelu-bad.onnx'))).toThrow(/approximate='fast' is not 'none' or 'tanh'/);
  });
});

describe('onnx.load of the activations with ONNX default attributes', () => {
  it("HardSigmoid's alpha 0.2, Selu's and LeakyRelu's defaults, as the operator docs define them", () => {
    const x = tk.tensor([
      [-6, -2.6, -0.5],
      [0, 0.2, 1],
      [2.5, 6, -3.1],
    ]);
    const cases: [string, (v: number) => number][] = [
      ['HardSigmoid', (v) => Math.max(0, Math.min(1, Math.fround(0.2) * v + 0.5))],
      ['LeakyRelu', (v) => (v < 0 ? Math.fround(0.01) * v : v)],
      ['Elu', (v) => (v < 0 ? Math.expm1(v) : v)],
      ['Celu', (v) => Math.max(0, v) + Math.min(0, Math.expm1(v))],
      ['Selu', (v) => 1.05070102214813232421875 * (v <= 0 ? 1.67326319217681884765625 * Math.expm1(v) : v)],
      ['HardSwish', (v) => (v * Math.max(0, Math.min(6, v + 3))) / 6],
    ];
    for (const [op, ref] of cases) {
      writeOnnx(`${op}.onnx`, { nodes: [node(op, ['x'], ['y'])] });
      const g = onnx.load(file(`${op}.onnx`));
      const got = Array.from((g.run([x]) as Tensor).data(), Number);
      got.forEach((v, i) => expect(v, `${op}(${x.data()[i]})`).toBeCloseTo(ref(Number(x.data()[i])), 5));
      g.dispose();
    }
  });
});

// ---- hand-made models ---------------------------------------------------------------------------

function node(opType: string, inputs: string[], outputs: string[], name = opType) {
  return { opType, inputs, outputs, name, attrs: {} };
}
function i64(name: string, v: number[]): OnnxTensor {
  return { name, dtype: 'int64', dims: [v.length], raw: new Uint8Array(new BigInt64Array(v.map(BigInt)).buffer) };
}
// A Relu model of x [batch, 3] -> y, with parts replaced.
function buildOnnx(parts: Partial<OnnxModel> & { externalData?: boolean }): Uint8Array {
  const m: OnnxModel = {
    irVersion: 8,
    opset: 17,
    producer: 'test',
    graphName: 'g',
    nodes: [node('Relu', ['x'], ['y'])],
    initializers: [],
    inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 3] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 3] }],
    ...parts,
  };
  let bytes = Buffer.concat(writeModel(m));
  if (parts.externalData) {
    // TensorProto.data_location = EXTERNAL (14: 1) appended to the initializer.
    const w = new ProtoWriter();
    w.message(7, (g) => {
      g.message(1, (n) => n.bytes(1, 'x').bytes(2, 'y').bytes(4, 'Relu'));
      g.message(5, (t) => t.varint(1, 1).varint(2, 1).bytes(8, 'w').varint(14, 1));
      g.message(12, (o) => o.bytes(1, 'y'));
    });
    w.varint(1, 8).message(8, (o) => o.varint(2, 17));
    bytes = Buffer.from(w.toBytes());
  }
  return bytes;
}
function writeOnnx(name: string, parts: Partial<OnnxModel>): Uint8Array {
  const bytes = buildOnnx(parts);
  fs.writeFileSync(file(name), bytes);
  return bytes;
}
// A graph whose node field holds a message nested `depth` levels deep.
function nested(depth: number): Uint8Array {
  let inner: Uint8Array = Uint8Array.from([0x08, 0x01]);
  for (let i = 0; i < depth; i++) {
    const w = new ProtoWriter();
    w.bytes(1, inner);
    inner = w.toBytes();
  }
  const w = new ProtoWriter();
  w.varint(1, 8)
    .bytes(7, inner)
    .message(8, (o) => o.varint(2, 17));
  return w.toBytes();
}
// The attribute's type field (20) set to 99.
function patchAttrType(bytes: Uint8Array): Uint8Array {
  const b = Buffer.from(bytes);
  const i = b.indexOf(Buffer.from([0xa0, 0x01, 0x02])); // field 20, varint, INT
  if (i >= 0) b[i + 2] = 99;
  return b;
}

describe('ONNX examples', () => {
  it('examples/export-onnx.ts: trains the shapes CNN, exports it, and onnxruntime agrees', async () => {
    const { main } = await import('../examples/export-onnx.js');
    const r = await main({ epochs: 2, out: file('example.onnx'), log: () => undefined });
    expect(r.accuracy).toBeGreaterThan(0.7);
    if (ort) expect(r.ortMaxDiff).toBeLessThan(1e-4);
    expect(fs.existsSync(file('example.onnx'))).toBe(true);
  }, 60_000);

  it("examples/import-onnx.ts: runs PyTorch's file, takes its weights into a module and fine-tunes them", async () => {
    const { main } = await import('../examples/import-onnx.js');
    const r = await main({ steps: 60, log: () => undefined });
    expect(r.agree).toBeLessThan(1e-6);
    expect(r.lastLoss).toBeLessThan(r.firstLoss);
  });
});
