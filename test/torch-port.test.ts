// Issue 18's ops, layers and optimizers against PyTorch's own numbers: test/fixtures/torch-port.json
// was written by scripts/fixtures/torch_port.py with Debian's python3-torch (1.13) on float64
// inputs, which it stores too.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { nn, optim, tensor, type Tensor } from '../src/index.js';

type Nested = number | Nested[];
const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-port.json', import.meta.url), 'utf8')) as {
  cases: Record<string, Record<string, unknown>>;
};
const C = FIX.cases;
const T = (v: unknown, dtype: 'float64' | 'int64' = 'float64'): Tensor => tensor(v as Nested[], { dtype });

function close(actual: Tensor | null | undefined, expected: unknown, label: string, tol = 1e-9): void {
  expect(actual, label).toBeTruthy();
  const a = (actual!.dtype === 'int64' ? actual!.to('float64') : actual!).toArray();
  const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
  const shape = (v: unknown): number[] => (Array.isArray(v) ? [v.length, ...(v.length ? shape(v[0]) : [])] : []);
  expect(actual!.shape, `${label} shape`).toEqual(shape(expected));
  const x = flat(a),
    y = flat(expected);
  for (let i = 0; i < y.length; i++) {
    if (Number.isNaN(y[i]) || y[i] === null) continue;
    if (Math.abs(x[i] - y[i]) > tol * (1 + Math.abs(y[i]))) expect.fail(`${label}[${i}]: ${x[i]} vs PyTorch ${y[i]}`);
  }
}

describe('against PyTorch 1.13 (test/fixtures/torch-port.json)', () => {
  it('indexing: basic, advanced, masks, and the gradient through all of them', () => {
    const c = C.index;
    const x = T(c.x).requiresGrad_();
    const ys = [
      x.index([':', -1, ':']),
      x.index([':', [-1]]),
      x.index(['...', '::2']),
      x.index([0, [0, 2], [1, 3]]),
      x.index([[0, 1], ':', [0, 1]]),
      x.index(x.gt(1)),
      x.index([null, 1]),
    ];
    (c.outs as unknown[]).forEach((o, i) => close(ys[i], o, `index ${i}`));
    ys.map((y, i) => y.sum().mul(i + 1))
      .reduce((a, b) => a.add(b))
      .backward();
    close(x.grad, c.grad, 'index grad');
  });

  it('indexPut_ (accumulate) and a masked write', () => {
    const c = C.indexPut;
    const y = tk.zeros([3, 4], { dtype: 'float64' });
    y.indexPut_(
      [tensor([0, 2, 0], { dtype: 'int64' }), tensor([1, 3, 1], { dtype: 'int64' })],
      tensor([1, 2, 3], { dtype: 'float64' }),
      {
        accumulate: true,
      },
    );
    close(y, c.accum, 'accumulate');
    const z = T(C.index.x);
    z.indexPut_(z.gt(0.5), -1);
    close(z, c.masked, 'masked');
  });

  it('sort and topk', () => {
    const c = C.sort;
    const x = T(C.index.x);
    const s = x.sort(-1, { descending: true });
    close(s.values, c.values, 'values');
    close(s.indices, c.indices, 'indices', 0);
    const k = x.topk(2, 1);
    close(k.values, c.topv, 'topk values');
    close(k.indices, c.topi, 'topk indices', 0);
  });

  it('gather and scatterReduce (every reduce, with and without self): values and both gradients', () => {
    const c = C.scatter;
    const index = T(c.index, 'int64');
    close(T(c.self).gather(0, index.index([':4'])), c.gather, 'gather');
    for (const [key, want] of Object.entries(
      c.reduce as Record<string, { out: unknown; gself: unknown; gsrc: unknown }>,
    )) {
      const [red, inc] = key.split('-'); // 'sum-True'
      const self = T(c.self).requiresGrad_(),
        src = T(c.src).requiresGrad_();
      const r = self.scatterReduce(0, index, src, red as 'sum', { includeSelf: inc === 'True' });
      close(r, want.out, `${key} out`);
      r.mul(T(c.weight)).sum().backward();
      close(self.grad, want.gself, `${key} d/dself`);
      close(src.grad, want.gsrc, `${key} d/dsrc`);
    }
  });

  it('tril, triu, repeat, flip, roll, diag', () => {
    const c = C.shape;
    const m = T(c.m);
    close(m.tril(-1), c.tril, 'tril');
    close(m.triu(1), c.triu, 'triu');
    close(m.index([':2', ':3']).repeat(2, 1, 3), c.repeat, 'repeat');
    close(m.flip([0, 1]), c.flip, 'flip');
    close(m.roll([1, -2], [0, 1]), c.roll, 'roll');
    close(m.roll(3), c.rollflat, 'roll flat');
    close(m.diag(1), c.diag, 'diag of a matrix');
    close(m.index(0).diag(-1), c.diagm, 'diag of a vector');
  });

  it('logsumexp, vectorNorm(3) and their gradients; cumprod through a zero; cdist', () => {
    const c = C.reduce;
    const x = T(C.index.x).requiresGrad_();
    const lse = x.logsumexp([0, 2]);
    const n3 = x.vectorNorm(3, { dim: 1 });
    close(lse, c.lse, 'logsumexp');
    close(n3, c.norm3, 'vectorNorm');
    lse.sum().add(n3.sum()).backward();
    close(x.grad, c.grad, 'gradient');
    const cp = tensor(
      [
        [1, -2, 0, 3],
        [0.5, 2, -1, 4],
      ],
      { dtype: 'float64', requiresGrad: true },
    );
    const y = cp.cumprod(1);
    close(y, c.cumprod, 'cumprod');
    y.backward(
      tensor(
        [
          [1, 2, 3, 4],
          [-1, 0.5, 2, 1],
        ],
        { dtype: 'float64' },
      ),
    );
    close(cp.grad, c.cumprodGrad, 'cumprod gradient');
    const x0 = T(C.index.x);
    close(tk.cdist(x0.index(0), x0.index(1)), c.cdist, 'cdist', 1e-7);
  });

  it('vectorNorm of orders +-Infinity, -1.5 and 0.5 (and -1 through a zero) with gradients; linspace of one step; alpha; unbiased', () => {
    const c = C.ordNorms as Record<string, unknown[]>;
    const x = T(C.index.x).requiresGrad_();
    const ords = c.ords.map((o) => (o === 'inf' ? Infinity : o === '-inf' ? -Infinity : (o as number)));
    const norms = ords.map((o) => x.vectorNorm(o, { dim: 1 }));
    norms.forEach((n, i) => close(n, c.values[i], `vectorNorm(${ords[i]})`));
    norms.reduce((s: Tensor, n) => s.add(n.sum()), tensor(0, { dtype: 'float64' })).backward();
    close(x.grad, c.grad, 'their gradient');
    const z = tensor(
      [
        [0, -2, 3],
        [1, 0.5, -4],
      ],
      { dtype: 'float64', requiresGrad: true },
    );
    const zn = z.vectorNorm(-1, { dim: 1 });
    close(zn, c.zeroNeg, 'vectorNorm(-1) of a row holding a zero');
    zn.sum().backward();
    close(z.grad, c.zeroNegGrad, 'its gradient (0, not NaN, on that row)');
    close(tk.linspace(3, 9, 1, { dtype: 'float64' }), c.linspace1, 'linspace(3, 9, 1)');
    const ab = T([1, 2])
      .add(T([3, 4]), { alpha: -2.5 })
      .sub(T([1, 1]), { alpha: 3 });
    close(ab, c.alpha, 'add and sub with alpha');
    const x0 = T(C.index.x);
    close(x0.std(2, { unbiased: false }), c.stdBiased, 'std unbiased: false');
    close(x0.var(0, { unbiased: true }), c.varUnbiased, 'var unbiased: true');
  });

  it('floor, ceil, round (halves to even, decimals), trunc, sign; remainder, fmod, floorDivide, div rounding; gradients', () => {
    const c = C.rounding;
    // non-finite values travel as strings; compared exactly (NaN with NaN), finite ones to 1e-12
    const v = (x: unknown): number[] =>
      (Array.isArray(x) ? x : [x]).flatMap((e) =>
        Array.isArray(e)
          ? v(e)
          : [e === 'nan' ? NaN : e === 'inf' ? Infinity : e === '-inf' ? -Infinity : (e as number)],
      );
    const same = (got: Tensor, want: unknown, label: string) => {
      const g = Array.from((got.dtype === 'int64' ? got.to('float64') : got).data() as Float64Array);
      const w = v(want);
      expect(g.length, label).toBe(w.length);
      g.forEach((x, i) => {
        const ok = Number.isFinite(w[i]) ? Math.abs(x - w[i]) <= 1e-12 * (1 + Math.abs(w[i])) : Object.is(x, w[i]);
        expect(ok, `${label}[${i}]: ${x} vs PyTorch ${w[i]}`).toBe(true);
      });
    };
    const r = tensor(v(c.r), { dtype: 'float64' });
    for (const k of ['floor', 'ceil', 'round', 'trunc', 'sign'] as const) same(r[k](), c[k], k);
    const q = T([1.25, 2.5, -13.5, 1234.5678]);
    same(q.round({ decimals: 2 }), c.round2, 'round(decimals 2)');
    same(q.round({ decimals: -1 }), c.roundm1, 'round(decimals -1)');
    const fa = tensor(v(c.fa), { dtype: 'float64' }),
      fb = tensor(v(c.fb), { dtype: 'float64' });
    same(fa.remainder(fb), c.remF, 'remainder');
    same(fa.fmod(fb), c.fmodF, 'fmod');
    same(fa.floorDivide(fb), c.fdF, 'floorDivide');
    same(fa.div(fb, { roundingMode: 'trunc' }), c.truncF, "div 'trunc'");
    const ia = T(c.ia, 'int64'),
      ib = T(c.ib, 'int64');
    same(ia.remainder(ib), c.remI, 'integer remainder');
    same(ia.fmod(ib), c.fmodI, 'integer fmod');
    same(ia.floorDivide(ib), c.fdI, 'integer floorDivide');
    same(ia.div(ib, { roundingMode: 'floor' }), c.fdI, "integer div 'floor'");
    same(ia.div(ib, { roundingMode: 'trunc' }), c.truncI, "integer div 'trunc'");
    const ga = T([
        [1.3, -2.6, 3.1],
        [-0.4, 5.2, -7.9],
      ]).requiresGrad_(),
      gb = T([0.7, -1.1, 1.9]).requiresGrad_();
    ga.remainder(gb).sum().add(ga.fmod(gb).sum().mul(2)).backward();
    close(ga.grad, c.gradA, 'gradient of a');
    close(gb.grad, c.gradB, 'gradient of b');
  });

  it('the composed activations: values and gradients, at their kinks too; prelu per channel; glu', () => {
    const c = C.activations as {
      x: number[];
      values: Record<string, number[]>;
      grads: Record<string, number[]>;
      preluX: Nested[];
      preluW: number[];
      glu: Nested[];
      glu0: Nested[];
    };
    const F = nn.functional;
    const acts: Record<string, (x: Tensor) => Tensor> = {
      elu: (x) => F.elu(x, 0.7),
      celu: (x) => F.celu(x, 1.5),
      selu: F.selu,
      softplus: (x) => F.softplus(x, { beta: 2, threshold: 3 }),
      logsigmoid: F.logsigmoid,
      hardtanh: (x) => F.hardtanh(x, -2, 2),
      relu6: F.relu6,
      hardsigmoid: F.hardsigmoid,
      hardswish: F.hardswish,
      mish: F.mish,
      softsign: F.softsign,
      prelu: (x) => F.prelu(x, T([0.3])),
    };
    expect(Object.keys(acts).sort()).toEqual(Object.keys(c.values).sort());
    for (const [k, f] of Object.entries(acts)) {
      const x = T(c.x).requiresGrad_();
      const y = f(x);
      close(y, c.values[k], k);
      y.backward(tk.linspace(0.5, 1.7, 13, { dtype: 'float64' }));
      // torch's hardsigmoid backward multiplies by a float32 1/6, even in float64
      close(x.grad, c.grads[k], `${k} gradient`, k === 'hardsigmoid' ? 1e-7 : 1e-9);
    }
    const px = T([
        [
          [-1, 2],
          [0.5, -3],
          [0, 4],
        ],
      ]).requiresGrad_(),
      pw = T([0.1, 0.2, 0.3]).requiresGrad_();
    F.prelu(px, pw).sum().backward();
    close(px.grad, c.preluX, 'prelu gradient of x');
    close(pw.grad, c.preluW, 'prelu gradient of the weight');
    const gx = T([
      [1, -2, 0.5, 3],
      [-1, 0, 2, -0.5],
    ]);
    close(F.glu(gx, 1), c.glu, 'glu dim 1');
    close(F.glu(gx, 0), c.glu0, 'glu dim 0');
  });

  it('trigonometric, hyperbolic and logarithmic functions, expm1, exp2, reciprocal, atan2: values and gradients', () => {
    const c = C.maths as {
      x: number[];
      values: Record<string, number[]>;
      grads: Record<string, number[]>;
      atan2: number[];
      atan2A: number[];
      atan2B: number[];
    };
    const maths: Record<string, (x: Tensor) => Tensor> = {
      tan: (x) => x.tan(),
      asin: (x) => x.asin(),
      acos: (x) => x.acos(),
      atan: (x) => x.mul(3).atan(),
      sinh: (x) => x.mul(3).sinh(),
      cosh: (x) => x.mul(3).cosh(),
      asinh: (x) => x.mul(3).asinh(),
      acosh: (x) => x.add(2).acosh(),
      atanh: (x) => x.atanh(),
      expm1: (x) => x.mul(1e-3).expm1(),
      exp2: (x) => x.mul(5).exp2(),
      log2: (x) => x.add(1).log2(),
      log10: (x) => x.add(1).log10(),
      reciprocal: (x) => x.add(1).reciprocal(),
    };
    expect(Object.keys(maths).sort()).toEqual(Object.keys(c.values).sort());
    for (const [k, f] of Object.entries(maths)) {
      const x = T(c.x).requiresGrad_();
      const y = f(x);
      close(y, c.values[k], k);
      y.backward(tk.linspace(0.5, 1.5, 5, { dtype: 'float64' }));
      close(x.grad, c.grads[k], `${k} gradient`);
    }
    const a = T([1, 1, -1, -1, 0.5]).requiresGrad_(),
      b = T([2, -2, 2, -2, 0]).requiresGrad_();
    const at = a.atan2(b);
    close(at, c.atan2, 'atan2');
    at.sum().backward();
    close(a.grad, c.atan2A, 'atan2 gradient of y');
    close(b.grad, c.atan2B, 'atan2 gradient of x');
  });

  it('einsum', () => {
    const c = C.einsum;
    const a = T(c.a),
      b = T(c.b);
    close(tk.einsum('bij,bjk->bik', a, b), c.bmm, 'batched product');
    close(tk.einsum('bij->bji', a), c.trace, 'transpose');
    close(tk.einsum('i,j->ij', a.index([0, 0]), b.index([0, 0])), c.outer, 'outer');
  });

  it('pad (every mode), interpolate (nearest, bilinear with and without alignCorners), pixelShuffle', () => {
    const c = C.spatial;
    const F = nn.functional;
    const img = T(c.img);
    close(F.pad(img, [2, 1, 1, 2], 'reflect'), c.reflect, 'reflect');
    close(F.pad(img, [1, 2, 2, 1], 'replicate'), c.replicate, 'replicate');
    close(F.pad(img, [1, 1, 2, 0], 'circular'), c.circular, 'circular');
    close(F.pad(img, [1, -1, 0, 2], 'constant', 0.5), c.constant, 'constant with a crop');
    close(F.interpolate(img, { scaleFactor: 2 }), c.nearest, 'nearest x2');
    close(F.interpolate(img, { size: [5, 7] }), c.nearestSize, 'nearest to a size');
    close(F.interpolate(img, { scaleFactor: 2, mode: 'bilinear' }), c.bilinear, 'bilinear');
    close(
      F.interpolate(img, { size: [5, 6], mode: 'bilinear', alignCorners: true }),
      c.bilinearAlign,
      'bilinear aligned',
    );
    close(F.pixelShuffle(tk.arange(16, { dtype: 'float64' }).reshape([1, 4, 2, 2]), 2), c.shuffle, 'pixelShuffle');
  });

  it('causal scaled dot-product attention', () => {
    const c = C.sdpa;
    close(nn.functional.scaledDotProductAttention(T(c.q), T(c.k), T(c.v), { isCausal: true }), c.out, 'sdpa');
  });

  const load = (m: nn.Module, state: unknown) => {
    m.to('float64');
    m.loadStateDict(Object.fromEntries(Object.entries(state as Record<string, unknown>).map(([k, v]) => [k, T(v)])));
    return m;
  };

  it('MultiheadAttention with a bool attention mask and a key padding mask: output and averaged weights', () => {
    const c = C.mha;
    const mha = load(new nn.MultiheadAttention(8, 2, { batchFirst: true }), c.state) as nn.MultiheadAttention;
    const x = T(c.x);
    const mask = tk.ones([5, 5], { dtype: 'bool' }).triu(1);
    const kpm = tensor([
      [false, false, false, false, true],
      [false, false, false, false, false],
    ]);
    const [out, w] = mha.call(x, x, x, { attnMask: mask, keyPaddingMask: kpm });
    close(out, c.out, 'output');
    close(w, c.weights, 'weights');
  });

  it('TransformerEncoderLayer (post-norm GELU with a mask, and pre-norm) and TransformerDecoderLayer', () => {
    const c = C.transformer;
    const x = T(C.mha.x);
    const mask = tk.ones([5, 5], { dtype: 'bool' }).triu(1);
    const opts = { dimFeedforward: 16, dropout: 0, batchFirst: true } as const;
    const enc = load(new nn.TransformerEncoderLayer(8, 2, { ...opts, activation: 'gelu' }), c.enc).eval();
    close(enc.call(x, { srcMask: mask }), c.encOut, 'encoder layer');
    const pre = load(new nn.TransformerEncoderLayer(8, 2, { ...opts, normFirst: true }), c.pre).eval();
    close(pre.call(x), c.preOut, 'pre-norm encoder layer');
    const dec = load(new nn.TransformerDecoderLayer(8, 2, opts), c.dec).eval();
    close(dec.call(x, T(c.mem), { tgtMask: mask }), c.decOut, 'decoder layer');
  });

  it('instanceNorm and rmsNorm', () => {
    const c = C.norms;
    const x = T(c.x);
    close(
      nn.functional.instanceNorm(
        x,
        tensor([1, 2, 0.5], { dtype: 'float64' }),
        tensor([0, 1, -1], { dtype: 'float64' }),
      ),
      c.instance,
      'instanceNorm',
    );
    close(nn.functional.rmsNorm(x, [4], tk.linspace(0.5, 2, 4, { dtype: 'float64' }), { eps: 1e-6 }), c.rms, 'rmsNorm');
  });

  it('Adadelta, Adamax, NAdam, RAdam (25 steps) and LBFGS (3 steps) reach the same point', () => {
    const c = C.optim;
    const cc = T(c.c),
      s = T(c.s);
    const f = (w: Tensor) => w.sub(cc).pow(2).mul(s).sum().add(w.pow(4).sum().mul(0.1));
    const make: Record<string, (p: Tensor[]) => optim.Optimizer<never>> = {
      Adadelta: (p) => new optim.Adadelta(p, { lr: 1, rho: 0.9, weightDecay: 0.01 }) as never,
      Adamax: (p) => new optim.Adamax(p, { lr: 0.1, weightDecay: 0.01 }) as never,
      RAdam: (p) => new optim.RAdam(p, { lr: 0.1 }) as never,
    };
    const final = c.final as Record<string, unknown>;
    for (const [name, mk] of Object.entries(make)) {
      const w = tk.zeros([4], { dtype: 'float64', requiresGrad: true });
      const opt = mk([w]);
      for (let i = 0; i < 25; i++) {
        opt.zeroGrad();
        tk.tidy(() => f(w).backward());
        opt.step();
      }
      close(w, final[name], name);
    }
    // NAdam: PyTorch 1.13 counts mu twice in mu_product_next (fixed in 2.0); tensorkit follows
    // 2.x, so it is checked against that rule written out in plain numbers.
    {
      const w = tk.zeros([4], { dtype: 'float64', requiresGrad: true });
      const opt = new optim.NAdam([w], { lr: 0.1 });
      const ref = [0, 0, 0, 0],
        m = [0, 0, 0, 0],
        v = [0, 0, 0, 0];
      const cv = cc.toArray() as number[],
        sv = s.toArray() as number[];
      let muProduct = 1;
      for (let step = 1; step <= 25; step++) {
        opt.zeroGrad();
        tk.tidy(() => f(w).backward());
        opt.step();
        const mu = 0.9 * (1 - 0.5 * 0.96 ** (step * 4e-3)),
          muNext = 0.9 * (1 - 0.5 * 0.96 ** ((step + 1) * 4e-3));
        muProduct *= mu;
        for (let i = 0; i < 4; i++) {
          const g = 2 * (ref[i] - cv[i]) * sv[i] + 0.4 * ref[i] ** 3;
          m[i] = 0.9 * m[i] + 0.1 * g;
          v[i] = 0.999 * v[i] + 0.001 * g * g;
          const denom = Math.sqrt(v[i] / (1 - 0.999 ** step)) + 1e-8;
          ref[i] -= (0.1 * (1 - mu) * g) / (1 - muProduct) / denom;
          ref[i] -= (0.1 * muNext * m[i]) / (1 - muProduct * muNext) / denom;
        }
      }
      close(w, ref, 'NAdam (PyTorch 2.x rule)');
    }
    const w = tk.zeros([4], { dtype: 'float64', requiresGrad: true });
    const lb = new optim.LBFGS([w], { lr: 1, maxIter: 20, historySize: 5 });
    for (let i = 0; i < 3; i++)
      lb.step(() => {
        lb.zeroGrad();
        const l = f(w);
        l.backward();
        return l;
      });
    close(w, final.LBFGS, 'LBFGS', 1e-7);
  });
});
