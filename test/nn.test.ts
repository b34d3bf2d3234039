// nn.functional compositions (conv1d, convTranspose2d, norms, dropout, linear) against plain
// references and gradcheck, the layer modules, and bad input. conv2d and pooling themselves run
// through the op tables (helpers/nn-cases.ts).
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { gradcheck, manualSeed, nn, plain, tensor, tidy, type Tensor } from '../src/index.js';
import { disposeAll, expectMatch, expectTensorError, prng } from './helpers/harness.js';

const F = nn.functional;

function pairOf(shape: number[], rnd: () => number, dtype: tk.DType = 'float64') {
  const n = shape.reduce((a, b) => a * b, 1);
  const vals = Array.from({ length: n }, () => rnd() * 4 - 2);
  return { t: tensor(vals, { dtype, shape }), p: plain.plainTensor(vals, dtype, shape) };
}

const leaf = (shape: number[], seed = 1) =>
  tidy(() => {
    const r = prng(seed);
    return tensor(
      Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1),
      { dtype: 'float64', shape },
    ).requiresGrad_();
  });

describe('convolution compositions', () => {
  it('convTranspose2d is the adjoint of conv2d, plus bias', () =>
    tidy(() => {
      const rnd = prng(3);
      const x = pairOf([2, 4, 3, 4], rnd),
        w = pairOf([4, 3, 3, 3], rnd),
        b = pairOf([3], rnd);
      const y = F.convTranspose2d(x.t, w.t, b.t, { stride: 2, padding: 1, outputPadding: 1 });
      expect(y.shape).toEqual([2, 3, 6, 8]);
      const ref = plain.conv2dInputGrad(x.p, w.p, [6, 8], { stride: [2, 2], padding: [1, 1, 1, 1] });
      const withBias = plain.add(ref, plain.reshape(b.p, [1, 3, 1, 1]));
      expectMatch(y, withBias, 'convTranspose2d');
      expect(
        gradcheck(
          (a, c, d) => F.convTranspose2d(a, c, d, { stride: 2, padding: 1, groups: 2 }),
          [leaf([1, 4, 3, 3]), leaf([4, 2, 3, 3], 2), leaf([4], 3)],
        ),
      ).toBe(true);
    }));

  it('conv1d runs as a height-1 conv2d', () =>
    tidy(() => {
      const rnd = prng(4);
      const x = pairOf([2, 3, 9], rnd),
        w = pairOf([4, 3, 3], rnd);
      const y = F.conv1d(x.t, w.t, null, { stride: 2, padding: 1 });
      const ref = plain.conv2d(plain.reshape(x.p, [2, 3, 1, 9]), plain.reshape(w.p, [4, 3, 1, 3]), null, {
        stride: [1, 2],
        padding: [0, 1, 0, 1],
      });
      expectMatch(y, plain.reshape(ref, [2, 4, 5]), 'conv1d');
      expect(F.conv1d(x.t, w.t, null, { padding: 'same', dilation: 2 }).shape).toEqual([2, 4, 9]);
      expect(
        gradcheck((a, c) => F.conv1d(a, c, null, { padding: 'same' }), [leaf([2, 3, 6]), leaf([4, 3, 4], 2)]),
      ).toBe(true);
    }));

  it('accepts unbatched [C, H, W] input', () =>
    tidy(() => {
      const x = tk.randn([3, 5, 5]),
        w = tk.randn([2, 3, 3, 3]);
      const y = F.conv2d(x, w, null, { padding: 1 });
      expect(y.shape).toEqual([2, 5, 5]);
      expectMatch(
        y,
        plain.plainTensor(Array.from(F.conv2d(x.unsqueeze(0), w, null, { padding: 1 }).data()), 'float32', [2, 5, 5]),
        'unbatched',
      );
    }));

  it('a 2-thread and a 1-thread conv2d agree bit for bit, forward and backward', () =>
    tidy(() => {
      const x = tk.randn([6, 8, 9, 9], { requiresGrad: true }),
        w = tk.randn([16, 8, 3, 3], { requiresGrad: true });
      const run = (th: number) => {
        tk.setNumThreads(th);
        const y = F.conv2d(x, w, null, { padding: 1 });
        const [gx, gw] = tk.autograd.grad(y.sum(), [x, w]);
        return [y, gx!, gw!].map((t) => Array.from(t.data(), Number));
      };
      const one = run(1);
      const two = run(2);
      tk.setNumThreads(2);
      expect(two[0]).toEqual(one[0]);
      expect(two[1]).toEqual(one[1]);
      // weight gradients sum per-thread partials: equal up to rounding
      for (let i = 0; i < one[2].length; i++) expect(two[2][i]).toBeCloseTo(one[2][i], 3);
    }));

  it('max pooling propagates NaN, with and without indices', () =>
    tidy(() => {
      const x = tensor([
        [
          [
            [1, NaN, 5, 2],
            [3, 4, 6, 7],
            [1, 1, 1, 1],
            [1, 1, 1, 9],
          ],
        ],
      ]);
      expect(F.maxPool2d(x, 2).toArray()).toEqual([
        [
          [
            [NaN, 7],
            [1, 9],
          ],
        ],
      ]);
      const [v, i] = F.maxPool2d(x, 2, { returnIndices: true });
      expect(v.toArray()).toEqual([
        [
          [
            [NaN, 7],
            [1, 9],
          ],
        ],
      ]);
      expect(i.toArray()).toEqual([
        [
          [
            [1, 7],
            [8, 15],
          ],
        ],
      ]);
      expect(F.maxPool2d(x, 3, { stride: 1 }).toArray()).toEqual([
        [
          [
            [NaN, NaN],
            [6, 9],
          ],
        ],
      ]);
    }));

  it("double backward through max pooling: a gradient penalty and its weight gradient are torch's", () =>
    tidy(() => {
      // WGAN-GP style: pen = |d D / d x|^2 with D = sum tanh(maxPool(conv(x, w))); d pen / d w
      // runs through the recorded max-pool backward (PyTorch 1.13's numbers).
      const vals = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
      const x = tensor(
        vals(16, (i) => ((i * i * 7919 + i * 31) % 1009) / 1009 - 0.5),
        { dtype: 'float64' },
      )
        .reshape([1, 1, 4, 4])
        .requiresGrad_();
      const w = tensor(
        vals(18, (i) => ((i * i * 104729 + i * 17 + 3) % 1009) / 1009 - 0.5),
        { dtype: 'float64' },
      )
        .reshape([2, 1, 3, 3])
        .requiresGrad_();
      const out = F.maxPool2d(F.conv2d(x, w, null, { padding: 1 }), 2)
        .tanh()
        .sum();
      const [g] = tk.autograd.grad(out, [x], { createGraph: true });
      const pen = g!.square().sum();
      pen.backward();
      expect(pen.item()).toBeCloseTo(7.521498191329551, 12);
      const want = [
        -1.4197530163558074, -1.047018658909271, -4.170127751151945, -6.376024461253643, 2.7673523282596744,
        -0.779239571731446, -1.1925061076178212, -1.1674444399978576, -3.2439394985137096, -5.685544967436117,
        2.939999955801623, -1.7583469538696017, -1.5621038537885337, -0.0728927560755564, -4.951815200799638,
        -5.648024886396415, 0.9436912602056615, -3.208809267739814,
      ];
      (w.grad!.reshape([-1]).toArray() as number[]).forEach((v, i) => expect(v).toBeCloseTo(want[i], 11));
    }));
});

describe('conv2d fast paths (float32) agree with the float64 im2col path', () => {
  // Winograd F(4x4, 3x3) runs for 3x3 stride-1 convs with >= 16 channels each way; the direct
  // kernel for <= 8 input channels at stride 1. Odd sizes exercise partial tiles and segments;
  // whole tiles (18x34, no padding: 16x32 outputs) take the Winograd moves' unmasked loads and
  // stores, the padded 13x26 image both those and the masked ones in one group of 8 tiles.
  const CASES: [string, number[], number[], tk.nn.functional.ConvOptions, boolean][] = [
    ['winograd pad 1, odd size, bias', [2, 16, 9, 11], [24, 16, 3, 3], { padding: 1 }, true],
    ['winograd no padding', [1, 32, 16, 16], [16, 32, 3, 3], {}, false],
    ['winograd pad 2, tiny image', [3, 16, 3, 5], [16, 16, 3, 3], { padding: 2 }, true],
    ['winograd same padding, batch 5', [5, 20, 6, 7], [18, 20, 3, 3], { padding: 'same' }, false],
    ['winograd whole tiles, batch 2', [2, 16, 18, 34], [16, 16, 3, 3], {}, true],
    ['winograd pad 1, whole and cut tiles', [2, 17, 13, 26], [20, 17, 3, 3], { padding: 1 }, false],
    ['direct 3->13 channels, odd width, bias', [2, 3, 7, 21], [13, 3, 3, 3], { padding: 1 }, true],
    ['direct 5x5 kernel (LeNet), no padding', [3, 6, 14, 14], [16, 6, 5, 5], {}, true],
    ['direct asymmetric same padding', [1, 2, 6, 37], [7, 2, 2, 4], { padding: 'same' }, false],
  ];
  for (const [name, xs, ws, opts, withBias] of CASES)
    it(name, () =>
      tidy(() => {
        const x = tk.randn(xs),
          w = tk.randn(ws).mul(0.2),
          b = withBias ? tk.randn([ws[0]]) : null;
        const y = F.conv2d(x, w, b, opts);
        const ref = F.conv2d(x.to('float64'), w.to('float64'), b?.to('float64'), opts);
        const scale = ref.abs().max().item() as number;
        expect(y.shape).toEqual(ref.shape);
        expect(y.to('float64').sub(ref).abs().max().item() as number).toBeLessThan(2e-5 * scale + 1e-6);
        if (opts.padding !== 'same') {
          // the input and weight gradients (Winograd too)
          const gy = tk.randn(y.shape);
          const [gx, gw] = tk.autograd.grad(F.conv2d(x.requiresGrad_(), w.requiresGrad_(), b, opts), [x, w], {
            gradOutputs: [gy],
          });
          const p = { padding: opts.padding as number | undefined };
          const gx64 = tk.nn.grad.conv2dInput(xs, w.to('float64'), gy.to('float64'), p);
          const gw64 = tk.nn.grad.conv2dWeight(x.to('float64'), ws, gy.to('float64'), p);
          for (const [got, want] of [
            [gx!, gx64],
            [gw!, gw64],
          ]) {
            const sc = want.abs().max().item() as number;
            expect(got.to('float64').sub(want).abs().max().item() as number).toBeLessThan(2e-5 * sc + 1e-6);
          }
        }
      }),
    );
});

describe('normalization and dropout', () => {
  it('batchNorm in training matches plain, moves running stats, and eval uses them', () =>
    tidy(() => {
      const rnd = prng(5);
      const x = pairOf([4, 3, 2, 2], rnd),
        w = pairOf([3], rnd),
        b = pairOf([3], rnd);
      const rm = tk.zeros([3], { dtype: 'float64' }),
        rv = tk.ones([3], { dtype: 'float64' });
      const y = F.batchNorm(x.t, rm, rv, w.t, b.t, { training: true, momentum: 0.1 });
      expectMatch(y, plain.batchNorm(x.p, w.p, b.p), 'batchNorm', { rtol: 1e-9, atol: 1e-9 });
      const mean = x.t.mean([0, 2, 3]),
        uvar = x.t.var([0, 2, 3]); // unbiased for the running stat
      expectMatch(rm, plain.plainTensor(Array.from(mean.mul(0.1).data(), Number), 'float64', [3]), 'runningMean');
      expectMatch(
        rv,
        plain.plainTensor(Array.from(uvar.mul(0.1).add(0.9).data(), Number), 'float64', [3]),
        'runningVar',
      );
      const e = F.batchNorm(x.t, rm, rv, null, null, { training: false });
      const ref = x.t.sub(rm.reshape(1, 3, 1, 1)).div(rv.reshape(1, 3, 1, 1).add(1e-5).sqrt());
      expectMatch(e, plain.plainTensor(Array.from(ref.data(), Number), 'float64', [4, 3, 2, 2]), 'batchNorm eval', {
        rtol: 1e-12,
        atol: 1e-12,
      });
      expect(
        gradcheck(
          (a, c, d) => F.batchNorm(a, null, null, c, d, { training: true }),
          [leaf([4, 3, 2, 2]), leaf([3], 2), leaf([3], 3)],
        ),
      ).toBe(true);
      expect(gradcheck((a) => F.batchNorm(a, null, null, null, null, { training: true }), [leaf([5, 2])])).toBe(true); // BatchNorm1d shape
    }));

  it('layerNorm and groupNorm match plain and pass gradcheck', () =>
    tidy(() => {
      const rnd = prng(6);
      const x = pairOf([2, 4, 3], rnd),
        lw = pairOf([4, 3], rnd),
        lb = pairOf([4, 3], rnd),
        gw = pairOf([4], rnd),
        gb = pairOf([4], rnd);
      expectMatch(F.layerNorm(x.t, [4, 3], lw.t, lb.t), plain.layerNorm(x.p, 12, lw.p, lb.p), 'layerNorm', {
        rtol: 1e-9,
        atol: 1e-9,
      });
      expectMatch(F.groupNorm(x.t, 2, gw.t, gb.t), plain.groupNorm(x.p, 2, gw.p, gb.p), 'groupNorm', {
        rtol: 1e-9,
        atol: 1e-9,
      });
      // eps in options, as batchNorm's (a large one, so that it shows in the result).
      expectMatch(
        F.layerNorm(x.t, [4, 3], lw.t, lb.t, { eps: 0.5 }),
        plain.layerNorm(x.p, 12, lw.p, lb.p, 0.5),
        'layerNorm eps',
        { rtol: 1e-9, atol: 1e-9 },
      );
      expectMatch(
        F.groupNorm(x.t, 2, gw.t, gb.t, { eps: 0.5 }),
        plain.groupNorm(x.p, 2, gw.p, gb.p, 0.5),
        'groupNorm eps',
        { rtol: 1e-9, atol: 1e-9 },
      );
      expectMatch(
        new nn.LayerNorm([4, 3], { eps: 0.5, dtype: 'float64' }).call(x.t),
        plain.layerNorm(x.p, 12, null, null, 0.5),
        'LayerNorm eps',
        { rtol: 1e-9, atol: 1e-9 },
      );
      expect(gradcheck((a, c, d) => F.layerNorm(a, 3, c, d), [leaf([2, 4, 3]), leaf([3], 2), leaf([3], 3)])).toBe(true);
      expect(gradcheck((a, c, d) => F.groupNorm(a, 2, c, d), [leaf([2, 4, 3]), leaf([4], 2), leaf([4], 3)])).toBe(true);
    }));

  it('dropout is seeded, scaled, identity in eval, and differentiable through its mask', () =>
    tidy(() => {
      const x = tk.ones([1000]);
      manualSeed(7);
      const a = F.dropout(x, 0.3);
      manualSeed(7);
      const b = F.dropout(x, 0.3);
      expect(Array.from(a.data())).toEqual(Array.from(b.data()));
      const kept = (a.data() as Float32Array).filter((v) => v !== 0);
      expect(kept.every((v) => Math.abs(v - 1 / 0.7) < 1e-6)).toBe(true);
      expect(kept.length).toBeGreaterThan(600);
      expect(kept.length).toBeLessThan(800);
      expect(Array.from(F.dropout(x, 0.3, false).data())).toEqual(Array.from(x.data()));
      expect(Array.from(F.dropout(x, 1).data()).every((v) => v === 0)).toBe(true);
      const w = tk.ones([1000], { requiresGrad: true });
      manualSeed(7);
      F.dropout(w, 0.3).sum().backward();
      expect(Array.from(w.grad!.data())).toEqual(Array.from(a.data()));
    }));
});

describe('modules', () => {
  it('a model built inside tidy() keeps its parameters and buffers (they live with the module)', () => {
    const base = tk.memory().tensors;
    const net = tidy(() => new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2), new nn.Flatten()));
    expect(tk.memory().tensors - base).toBe(net.parameters().length + net.buffers().length); // 4 + 2
    const y = tidy(() => net.forward(tk.randn([2, 1, 5, 5])));
    expect(y.shape).toEqual([2, 18]);
    // other tensors made in the scope are still freed
    tidy(() => {
      const m = new nn.Linear(2, 2);
      tk.randn([3, 2]).add(1);
      return m;
    });
    expect(tk.memory().tensors - base).toBe(6 + 1 + 2); // net, y, the Linear's two parameters
    y.dispose();
  });

  it('adaptiveAvgPool2d: null in the output size keeps the input size there (torch None)', () =>
    tidy(() => {
      const x = tk.randn([2, 3, 5, 7]);
      expect(F.adaptiveAvgPool2d(x, [null, 2]).toArray()).toEqual(F.adaptiveAvgPool2d(x, [5, 2]).toArray());
      expect(new nn.AdaptiveAvgPool2d([3, null]).call(x).toArray()).toEqual(F.adaptiveAvgPool2d(x, [3, 7]).toArray());
      expectTensorError(
        () => new nn.AdaptiveAvgPool2d([0, null]),
        'INVALID_ARGUMENT',
        /'outputSize' must be a positive/,
      );
    }));

  it('activation modules: each its functional form; PReLU learns a weight per channel', () =>
    tidy(() => {
      const x = tk.randn([2, 4, 3]).mul(4);
      const pairs: [nn.Module, (t: Tensor) => Tensor][] = [
        [new nn.ELU(0.5), (t) => F.elu(t, 0.5)],
        [new nn.CELU(2), (t) => F.celu(t, 2)],
        [new nn.SELU(), F.selu],
        [new nn.Softplus({ beta: 3, threshold: 5 }), (t) => F.softplus(t, { beta: 3, threshold: 5 })],
        [new nn.LogSigmoid(), F.logsigmoid],
        [new nn.Hardtanh(-2, 3), (t) => F.hardtanh(t, -2, 3)],
        [new nn.ReLU6(), F.relu6],
        [new nn.Hardsigmoid(), F.hardsigmoid],
        [new nn.Hardswish(), F.hardswish],
        [new nn.Mish(), F.mish],
        [new nn.Softsign(), F.softsign],
        [new nn.GLU(1), (t) => F.glu(t, 1)],
      ];
      for (const [m, f] of pairs) {
        expect(m.parameters()).toHaveLength(0);
        expect(m.call(x).toArray(), m.constructor.name).toEqual(f(x).toArray());
      }
      expect(new nn.ReLU6().call(tensor([-1, 3, 7])).toArray()).toEqual([0, 3, 6]);
      const p = new nn.PReLU({ numParameters: 4, init: 0.1 });
      expect(p.parameters().map((w) => w.shape)).toEqual([[4]]);
      expect(p.weight.toArray()).toEqual([0.1, 0.1, 0.1, 0.1].map(Math.fround));
      p.call(x).sum().backward();
      // d/dw_c = the sum of the channel's negative inputs
      const negatives = tk.where(x.lt(0), x, 0).sum([0, 2]).toArray() as number[];
      (p.weight.grad!.toArray() as number[]).forEach((g, c) => expect(g).toBeCloseTo(negatives[c], 4));
      expect(new nn.PReLU().parameters()[0].shape).toEqual([1]);
    }));

  it('build CNN layers with PyTorch shapes and initialisation bounds, and switch train/eval', () =>
    tidy(() => {
      class Net extends nn.Module {
        conv1 = new nn.Conv2d(3, 6, 5);
        bn = new nn.BatchNorm2d(6);
        pool = new nn.MaxPool2d(2);
        conv2 = new nn.Conv2d(6, 16, 5, { padding: 'same', bias: false });
        gap = new nn.AdaptiveAvgPool2d(1);
        flat = new nn.Flatten();
        drop = new nn.Dropout(0.5);
        fc = new nn.Linear(16, 10);
        forward(x: Tensor): Tensor {
          const h = this.pool.forward(this.bn.forward(this.conv1.forward(x)).relu());
          return this.fc.forward(this.drop.forward(this.flat.forward(this.gap.forward(this.conv2.forward(h)))));
        }
      }
      const net = new Net();
      expect(net.namedParameters().map(([n, p]) => `${n} ${p.shape.join('x')}`)).toEqual([
        'conv1.weight 6x3x5x5',
        'conv1.bias 6',
        'bn.weight 6',
        'bn.bias 6',
        'conv2.weight 16x6x5x5',
        'fc.weight 10x16',
        'fc.bias 10',
      ]);
      expect(net.namedBuffers().map(([n]) => n)).toEqual(['bn.runningMean', 'bn.runningVar']);
      const bound = 1 / Math.sqrt(3 * 25);
      expect((net.conv1.weight.abs().max().item() as number) <= bound).toBe(true);
      const y = net.call(tk.randn([4, 3, 32, 32]));
      expect(y.shape).toEqual([4, 10]);
      y.sum().backward();
      expect(net.parameters().every((p) => p.grad !== null)).toBe(true);
      expect(net.eval().training).toBe(false);
      expect(net.drop.training).toBe(false);
      const e1 = net.call(tk.ones([1, 3, 32, 32])),
        e2 = net.call(tk.ones([1, 3, 32, 32]));
      expect(Array.from(e1.data(), Number)).toEqual(Array.from(e2.data(), Number)); // eval: no dropout, running stats
      net.zeroGrad();
      expect(net.parameters().every((p) => p.grad === null)).toBe(true);
      new nn.ConvTranspose2d(4, 2, 2, { stride: 2 });
      new nn.Conv1d(4, 2, 3);
      new nn.LayerNorm(8);
      new nn.GroupNorm(2, 4);
      new nn.BatchNorm1d(3);
      new nn.AvgPool2d(2);
      disposeAll(net.parameters(), net.buffers());
    }));
});

describe('module state dicts and traversal', () => {
  class Block extends nn.Module {
    conv = new nn.Conv2d(2, 3, 3, { padding: 1 });
    bn = new nn.BatchNorm2d(3);
    forward(x: Tensor): Tensor {
      return this.bn.forward(this.conv.forward(x));
    }
  }
  class Net extends nn.Module {
    block = new Block();
    fc = new nn.Linear(3, 2);
    forward(x: Tensor): Tensor {
      return this.fc.forward(F.adaptiveAvgPool2d(this.block.forward(x), 1).flatten(1));
    }
  }
  const free = (m: nn.Module) => disposeAll(m.parameters(), m.buffers());

  it('round-trips through stateDict / loadStateDict, including buffers', () =>
    tidy(() => {
      const a = new Net(),
        b = new Net();
      a.call(tk.randn([4, 2, 5, 5])); // moves a's running stats
      const sd = a.stateDict();
      expect(Object.keys(sd)).toEqual([
        'block.conv.weight',
        'block.conv.bias',
        'block.bn.weight',
        'block.bn.bias',
        'fc.weight',
        'fc.bias',
        'block.bn.runningMean',
        'block.bn.runningVar',
      ]);
      expect(b.loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
      for (const [k, t] of Object.entries(b.stateDict()))
        expect(Array.from(t.data(), Number), k).toEqual(Array.from(sd[k].data(), Number));
      expect(b.fc.weight.isLeaf && b.fc.weight.requiresGrad).toBe(true);
      const x = tk.randn([2, 2, 5, 5]);
      a.eval();
      b.eval();
      expect(Array.from(b.call(x).data(), Number)).toEqual(Array.from(a.call(x).data(), Number));
      free(a);
      free(b);
    }));

  it('strict and non-strict loading report missing and unexpected keys; shapes must match', () =>
    tidy(() => {
      const net = new Net();
      const sd = net.stateDict();
      const { 'fc.bias': _dropped, ...partial } = sd;
      expectTensorError(
        () => net.loadStateDict({ ...partial, extra: tk.zeros([1]) }),
        'INVALID_ARGUMENT',
        /loadStateDict: missing keys \["fc.bias"\]; unexpected keys \["extra"\]/,
      );
      expect(net.loadStateDict({ ...partial, extra: tk.zeros([1]) }, { strict: false })).toEqual({
        missingKeys: ['fc.bias'],
        unexpectedKeys: ['extra'],
      });
      expectTensorError(
        () => net.loadStateDict({ ...sd, 'fc.weight': tk.zeros([3, 2]) }),
        'SHAPE_MISMATCH',
        /size mismatch for fc.weight: the checkpoint has \[3, 2\], the module \[2, 3\]/,
      );
      free(net);
    }));

  it('to() converts parameters and buffers in place', () =>
    tidy(() => {
      const net = new Net();
      const w = net.fc.weight;
      expect(net.to('cpu').fc.weight).toBe(w); // nothing to do
      net
        .call(tk.randn([1, 2, 4, 4]))
        .sum()
        .backward();
      net.to({ dtype: 'float64' });
      expect([
        net.fc.weight.dtype,
        net.block.bn.runningMean!.dtype,
        net.fc.weight.requiresGrad,
        net.fc.weight.isLeaf,
      ]).toEqual(['float64', 'float64', true, true]);
      expect(net.parameters().length).toBe(6);
      // The same tensor objects hold the converted data (PyTorch's in-place module.to), and the
      // gradients were converted with them.
      expect(net.fc.weight).toBe(w);
      expect([w.dtype, w.isDisposed, w.grad!.dtype]).toEqual(['float64', false, 'float64']);
      net.zeroGrad();
      net
        .call(tk.randn([1, 2, 4, 4], { dtype: 'float64' }))
        .sum()
        .backward();
      expect(net.fc.weight.grad!.dtype).toBe('float64');
      free(net);
    }));

  it('modules, apply and a readable tree with parameter counts', () =>
    tidy(() => {
      const net = new Net();
      expect(net.namedModules().map(([n]) => n)).toEqual(['', 'block', 'block.conv', 'block.bn', 'fc']);
      const seen: string[] = [];
      net.apply((m) => seen.push(m.constructor.name));
      expect(seen).toEqual(['Conv2d', 'BatchNorm2d', 'Block', 'Linear', 'Net']);
      expect(String(net)).toBe(
        [
          'Net(71 parameters)',
          '  (block): Block(63 parameters)',
          '    (conv): Conv2d(57 parameters)',
          '    (bn): BatchNorm2d(6 parameters)',
          '  (fc): Linear(8 parameters)',
        ].join('\n'),
      );
      free(net);
    }));
});

describe('containers, activations and init', () => {
  it('Sequential, ModuleList and ModuleDict register their modules', () =>
    tidy(() => {
      const seq = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Dropout(0.5), new nn.Linear(8, 2));
      expect(seq.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '3.weight', '3.bias']);
      expect(seq.length).toBe(4);
      const x = tk.randn([5, 4]);
      seq.eval();
      const l0 = seq.children()[0] as nn.Linear,
        l3 = seq.children()[3] as nn.Linear;
      expect(Array.from(seq.call(x).data(), Number)).toEqual(
        Array.from(l3.forward(l0.forward(x).relu()).data(), Number),
      );
      const named = new nn.Sequential({ enc: new nn.Linear(2, 2), act: new nn.Tanh() });
      expect(named.namedModules().map(([n]) => n)).toEqual(['', 'enc', 'act']);
      const list = new nn.ModuleList([new nn.Linear(2, 2)]).append(new nn.Linear(2, 3));
      expect([list.length, list.get(-1).parameters()[0].shape]).toEqual([2, [3, 2]]);
      expect([...list].length).toBe(2);
      expectTensorError(() => list.get(2), 'INDEX_OUT_OF_RANGE', /ModuleList: index 2 out of range for length 2/);
      const dict = new nn.ModuleDict({ a: new nn.Linear(1, 1), b: new nn.Identity() });
      expect(dict.keys()).toEqual(['a', 'b']);
      expect(dict.namedParameters().map(([n]) => n)).toEqual(['a.weight', 'a.bias']);
      expectTensorError(
        () => new nn.Sequential(42 as never),
        'INVALID_ARGUMENT',
        /Sequential: module '0' is not a Module, got 42/,
      );
      disposeAll(seq.parameters(), named.parameters(), list.parameters(), dict.parameters());
    }));

  it('Sequential runs a Linear + ReLU as one fused op: the same output and gradients to the bit, subclasses untouched', () =>
    tidy(() => {
      manualSeed(3);
      const seq = new nn.Sequential(new nn.Linear(20, 32), new nn.ReLU(), new nn.Linear(32, 3));
      const [l0, , l2] = seq.children() as [nn.Linear, nn.ReLU, nn.Linear];
      const x = tk.randn([16, 20]);
      const run = (fused: boolean) => {
        for (const p of seq.parameters()) p.grad = null;
        const y = fused ? seq.call(x) : l2.forward(l0.forward(x).relu());
        y.mul(y).sum().backward();
        return [y, ...seq.parameters().map((p) => p.grad!)].map((t) => Array.from(t.data(), Number));
      };
      expect(run(true)).toEqual(run(false));
      // Half the pre-activations are negative: the mask really was applied in the backward.
      expect(l0.forward(x).lt(0).sum().item()).toBeGreaterThan(50);
      // A subclass of ReLU keeps its own forward.
      class Shifted extends nn.ReLU {
        override forward(v: Tensor): Tensor {
          return super.forward(v).add(1);
        }
      }
      const custom = new nn.Sequential(l0, new Shifted());
      expect(custom.call(x).min().item()).toBe(1);
      disposeAll(seq.parameters());
    }));

  it('activation modules match the functional forms; leakyRelu and silu pass gradcheck', () =>
    tidy(() => {
      const x = tensor([-2, -0.5, 0.5, 2]);
      expect(new nn.LeakyReLU(0.1).call(x).toArray()).toEqual([-0.2, -0.05, 0.5, 2].map(Math.fround));
      expect(Array.from(new nn.SiLU().call(x).data(), Number)).toEqual(Array.from(x.mul(x.sigmoid()).data(), Number));
      for (const [m, f] of [
        [new nn.ReLU(), F.relu],
        [new nn.GELU(), F.gelu],
        [new nn.Sigmoid(), F.sigmoid],
        [new nn.Tanh(), F.tanh],
      ] as const)
        expect(Array.from(m.call(x).data(), Number)).toEqual(Array.from(f(x).data(), Number));
      expect(Array.from(new nn.Softmax(0).call(x).data(), Number)).toEqual(Array.from(F.softmax(x, 0).data(), Number));
      expect(Array.from(new nn.LogSoftmax(0).call(x).data(), Number)).toEqual(
        Array.from(F.logSoftmax(x, 0).data(), Number),
      );
      expect(gradcheck((a) => F.leakyRelu(a, 0.2), [leaf([3, 4])])).toBe(true);
      expect(gradcheck((a) => F.silu(a), [leaf([3, 4])])).toBe(true);
    }));

  it('init functions fill in place with the documented bounds and spreads', () =>
    tidy(() => {
      tk.manualSeed(3);
      const w = tk.zeros([256, 128]);
      const std = (t: Tensor) => Math.sqrt(t.var().item() as number);
      nn.init.kaimingUniform_(w, { nonlinearity: 'relu' });
      const bound = Math.sqrt(2) * Math.sqrt(3 / 128);
      expect(w.abs().max().item() as number).toBeLessThanOrEqual(bound);
      expect(std(w)).toBeCloseTo(Math.sqrt(2 / 128), 2);
      nn.init.kaimingNormal_(w, { mode: 'fanOut' });
      expect(std(w) / Math.sqrt(2 / 256)).toBeCloseTo(1, 1);
      nn.init.xavierUniform_(w);
      expect(w.abs().max().item() as number).toBeLessThanOrEqual(Math.sqrt(6 / 384));
      nn.init.xavierNormal_(w, 2);
      expect(std(w) / (2 * Math.sqrt(2 / 384))).toBeCloseTo(1, 1);
      nn.init.normal_(w, 3, 0.5);
      expect(w.mean().item() as number).toBeCloseTo(3, 1);
      nn.init.uniform_(w, -1, -0.5);
      expect([(w.min().item() as number) >= -1, (w.max().item() as number) <= -0.5]).toEqual([true, true]);
      nn.init.ones_(w);
      expect(w.sum().item()).toBe(256 * 128);
      const p = tk.zeros([4, 3], { requiresGrad: true });
      nn.init.constant_(p, 2); // a parameter (leaf requiring grad): runs outside the graph
      expect(p.isLeaf && p.requiresGrad && p.sum().item() === 24).toBe(true);
      expect(nn.init.calculateGain('leaky_relu', 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 12);
      expect(nn.init.calculateFanInAndFanOut(tk.zeros([8, 3, 3, 3]))).toEqual([27, 72]);
      expect(nn.init.calculateFanInAndFanOut(w)).toEqual([128, 256]);
      expectTensorError(
        () => nn.init.xavierUniform_(tk.zeros([5])),
        'INVALID_ARGUMENT',
        /xavierUniform_: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions/,
      );
      expectTensorError(
        () => nn.init.zeros_(tk.zeros([2], { dtype: 'int32' })),
        'DTYPE_MISMATCH',
        /constant_: expected a floating tensor, got int32/,
      );
    }));
});

describe('Embedding and Bilinear', () => {
  it('Embedding looks rows up; the padding row starts at zero and gets no gradient', () =>
    tidy(() => {
      const emb = new nn.Embedding(5, 3, { paddingIdx: -1 });
      expect(emb.paddingIdx).toBe(4);
      expect(emb.weight.select(0, 4).toArray()).toEqual([0, 0, 0]);
      const idx = tensor(
        [
          [0, 4],
          [4, 2],
        ],
        { dtype: 'int64' },
      );
      const y = emb.call(idx);
      expect(y.shape).toEqual([2, 2, 3]);
      expect(Array.from(y.select(0, 0).select(0, 0).data(), Number)).toEqual(
        Array.from(emb.weight.select(0, 0).data(), Number),
      );
      y.sum().backward();
      expect(emb.weight.grad!.sum(1).toArray()).toEqual([3, 0, 3, 0, 0]);
      expectTensorError(
        () => emb.call(tensor([5], { dtype: 'int64' })),
        'INDEX_OUT_OF_RANGE',
        /embedding: index 5 is out of range for the embeddings of size 5/,
      );
      expectTensorError(
        () => emb.call(tensor([1.5])),
        'DTYPE_MISMATCH',
        /embedding: indices must be int64 or int32, got float32/,
      );
      disposeAll(emb.parameters());
    }));

  it('Bilinear computes x1^T A x2 + b and passes gradcheck', () =>
    tidy(() => {
      const bl = new nn.Bilinear(3, 2, 4, { dtype: 'float64' });
      const a = leaf([5, 3]),
        b = leaf([5, 2], 2);
      const y = bl.call(a, b);
      // element (0, 1) by hand
      let v = (bl.bias!.toArray() as number[])[1];
      const A = bl.weight.toArray() as number[][][],
        x1 = a.toArray() as number[][],
        x2 = b.toArray() as number[][];
      for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) v += x1[0][i] * A[1][i][j] * x2[0][j];
      expect((y.toArray() as number[][])[0][1]).toBeCloseTo(v, 12);
      expect(gradcheck((p, q) => bl.call(p, q), [a, b])).toBe(true);
      disposeAll(bl.parameters());
    }));
});

describe('memory', () => {
  it('conv/pool/norm training steps return live tensors and bytes to baseline', () => {
    const conv = new nn.Conv2d(3, 16, 3, { padding: 1 }),
      bn = new nn.BatchNorm2d(16),
      fc = new nn.Linear(16 * 4 * 4, 5);
    const x = tk.randn([4, 3, 8, 8]);
    const step = () =>
      tidy(() => {
        const h = F.maxPool2d(bn.forward(conv.forward(x)).relu(), 2);
        const y = fc.forward(F.dropout(F.avgPool2d(h, 1).flatten(1), 0.1));
        y.pow(2).mean().backward();
        for (const m of [conv, bn, fc]) m.zeroGrad();
      });
    step();
    const base = tk.memory();
    for (let i = 0; i < 300; i++) step();
    const after = tk.memory();
    expect([after.tensors, after.storages, after.bytes]).toEqual([base.tensors, base.storages, base.bytes]);
    disposeAll(
      [conv, bn, fc].flatMap((m) => [...m.parameters(), ...m.buffers()]),
      x,
    );
  });
});

describe('bad input', () => {
  const x = () => tk.zeros([1, 4, 5, 5]);
  const CASES: [string, () => unknown, string, RegExp][] = [
    [
      'channel mismatch',
      () => F.conv2d(x(), tk.zeros([2, 3, 3, 3])),
      'SHAPE_MISMATCH',
      /conv2d: weight \[2, 3, 3, 3\] with groups=1 expects 3 input channels, got input \[1, 4, 5, 5\]/,
    ],
    [
      'groups not dividing channels',
      () => F.conv2d(x(), tk.zeros([3, 2, 3, 3]), null, { groups: 2 }),
      'INVALID_ARGUMENT',
      /conv2d: groups \(2\) must divide the output channels \(3\)/,
    ],
    [
      'kernel larger than the padded input',
      () => F.conv2d(x(), tk.zeros([2, 4, 7, 7])),
      'SHAPE_MISMATCH',
      /conv2d: kernel size \[7, 7\] \(dilated\) is larger than the padded input \[5, 5\]/,
    ],
    [
      'negative padding',
      () => F.conv2d(x(), tk.zeros([2, 4, 3, 3]), null, { padding: -1 }),
      'INVALID_ARGUMENT',
      /conv2d: 'padding' must be non-negative, got -1/,
    ],
    [
      'zero stride',
      () => F.conv2d(x(), tk.zeros([2, 4, 3, 3]), null, { stride: 0 }),
      'INVALID_ARGUMENT',
      /conv2d: 'stride' must be positive, got 0/,
    ],
    [
      "'same' with stride",
      () => F.conv2d(x(), tk.zeros([2, 4, 3, 3]), null, { padding: 'same', stride: 2 }),
      'INVALID_ARGUMENT',
      /padding='same' is not supported for strided convolutions/,
    ],
    [
      'bias of the wrong size',
      () => F.conv2d(x(), tk.zeros([2, 4, 3, 3]), tk.zeros([3])),
      'SHAPE_MISMATCH',
      /conv2d: bias must be \[2\], got \[3\]/,
    ],
    [
      'integer input',
      () => F.conv2d(tk.zeros([1, 4, 5, 5], { dtype: 'int32' }), tk.zeros([2, 4, 3, 3], { dtype: 'int32' })),
      'DTYPE_MISMATCH',
      /conv2d: expected floating tensors .*, got int32/,
    ],
    [
      'mixed dtypes',
      () => F.conv2d(x(), tk.zeros([2, 4, 3, 3], { dtype: 'float64' })),
      'DTYPE_MISMATCH',
      /conv2d: expected all tensors to have the same dtype/,
    ],
    ['3-D weight', () => F.conv2d(x(), tk.zeros([2, 4, 3])), 'SHAPE_MISMATCH', /conv2d: expected a 4-D weight/],
    [
      'unknown option',
      () => F.conv2d(x(), tk.zeros([2, 4, 3, 3]), null, { strides: 2 } as never),
      'INVALID_ARGUMENT',
      /conv2d: unknown option 'strides'/,
    ],
    [
      'pool padding over half the kernel',
      () => F.maxPool2d(x(), 2, { padding: 2 }),
      'INVALID_ARGUMENT',
      /max_pool2d: padding should be at most half of the kernel size/,
    ],
    [
      'pool kernel too large',
      () => F.maxPool2d(x(), 7),
      'SHAPE_MISMATCH',
      /max_pool2d: the kernel \[7, 7\].*does not fit/,
    ],
    [
      'pool of a 2-D tensor',
      () => F.avgPool2d(tk.zeros([5, 5]), 2),
      'SHAPE_MISMATCH',
      /avg_pool2d: expected a 3-D \[C, H, W\] or 4-D/,
    ],
    [
      'adaptive pool to zero',
      () => F.adaptiveAvgPool2d(x(), 0),
      'INVALID_ARGUMENT',
      /adaptive_avg_pool2d: output size must be positive/,
    ],
    [
      'convTranspose2d output padding',
      () => F.convTranspose2d(x(), tk.zeros([4, 2, 3, 3]), null, { outputPadding: 1 }),
      'INVALID_ARGUMENT',
      /convTranspose2d: outputPadding must be smaller than either stride or dilation/,
    ],
    [
      'batchNorm running stat shape',
      () => F.batchNorm(x(), tk.zeros([3]), tk.ones([4])),
      'SHAPE_MISMATCH',
      /batchNorm: 'runningMean' must be \[4\], got \[3\]/,
    ],
    [
      'batchNorm eval without stats',
      () => F.batchNorm(x(), null, null),
      'INVALID_ARGUMENT',
      /batchNorm: running statistics are required when not training/,
    ],
    [
      'batchNorm of one value per channel',
      () => F.batchNorm(tk.zeros([1, 4]), null, null, null, null, { training: true }),
      'INVALID_ARGUMENT',
      /expected more than 1 value per channel/,
    ],
    [
      'layerNorm shape',
      () => F.layerNorm(x(), [4]),
      'SHAPE_MISMATCH',
      /layerNorm: normalizedShape \[4\] does not match the trailing dims of input \[1, 4, 5, 5\]/,
    ],
    [
      'groupNorm groups',
      () => F.groupNorm(x(), 3),
      'INVALID_ARGUMENT',
      /groupNorm: numGroups must be a positive divisor of the 4 channels, got 3/,
    ],
    [
      'dropout probability',
      () => F.dropout(x(), 1.5),
      'INVALID_ARGUMENT',
      /dropout: probability has to be between 0 and 1, got 1.5/,
    ],
    [
      'Conv2d groups',
      () => new nn.Conv2d(4, 6, 3, { groups: 4 }),
      'INVALID_ARGUMENT',
      /Conv2d: groups \(4\) must divide inChannels \(4\) and outChannels \(6\)/,
    ],
    [
      'BatchNorm2d on 2-D input',
      () => new nn.BatchNorm2d(4).forward(tk.zeros([2, 4])),
      'SHAPE_MISMATCH',
      /BatchNorm2d: expected a 4-D input, got \[2, 4\]/,
    ],
  ];
  for (const [name, fn, code, msg] of CASES) it(name, () => tidy(() => expectTensorError(fn, code, msg)));
});
