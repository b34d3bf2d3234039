// autograd.forwardAd against PyTorch 1.13's forward mode (test/fixtures/torch-forward-ad.json,
// written by scripts/fixtures/torch_forward_ad.py): a network's tangents with its input, its
// weights or both dual, a loss's, logdet's and inverse's; then analytic cases, reverse over
// forward, the level rules and the checks.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { autograd, nn, tensor, type Tensor } from '../src/index.js';
import { expectTensorError, settleGarbage } from './helpers/harness.js';
import { closeToTorch as close, f64, type Nested } from './helpers/torch-rows.js';

const FAD = autograd.forwardAd;
const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-forward-ad.json', import.meta.url), 'utf8')) as Record<
  string,
  Nested & Record<string, Nested>
>;

describe('forward-mode AD', () => {
  it("tangents of a network, a loss, logdet and an inverse are torch's", () => {
    const [x, W1, b1, W2, tx, tW1] = ['x', 'W1', 'b1', 'W2', 'tx', 'tW1'].map((k) => f64(FIX[k]));
    const target = tensor([0, 1, 1], { dtype: 'int64' });
    const net = (xx: Tensor, ww: Tensor) => xx.matmul(ww).add(b1).tanh().matmul(W2).softmax(-1);
    for (const [name, dx, dw] of [
      ['x', true, false],
      ['W1', false, true],
      ['both', true, true],
    ] as const) {
      FAD.dualLevel(() => {
        const xx = dx ? FAD.makeDual(x, tx) : x;
        const ww = dw ? FAD.makeDual(W1, tW1) : W1;
        const y = net(xx, ww);
        const loss = nn.functional.crossEntropy(y.log(), target);
        close(FAD.unpackDual(y).tangent!, FIX[`net_${name}`].y, `net ${name} y`, 1e-12);
        close(FAD.unpackDual(loss).tangent!, FIX[`net_${name}`].loss, `net ${name} loss`, 1e-12);
      });
    }
    FAD.dualLevel(() => {
      const a = FAD.makeDual(f64(FIX.A), f64(FIX.tA));
      const m = a.matmul(a.mT).add(tk.eye(3, { dtype: 'float64' }));
      close(FAD.unpackDual(tk.linalg.slogdet(m).logabsdet).tangent!, FIX.logdet, 'logdet', 1e-12);
      close(FAD.unpackDual(tk.linalg.inv(m)).tangent!, FIX.inverse, 'inverse', 1e-12);
    });
  });

  it('agrees with autograd.functional.jvp and the analytic derivative; reverse over forward', () => {
    const p = tensor([0.5, 1, 2], { dtype: 'float64' });
    const v = tensor([1, 0.5, -1], { dtype: 'float64' });
    const f = (x: Tensor) => x.sin().mul(x);
    const t = FAD.dualLevel(() => FAD.unpackDual(f(FAD.makeDual(p, v))));
    expect(t.primal.toArray()).toEqual(f(p).toArray());
    close(t.tangent!, p.sin().add(p.mul(p.cos())).mul(v).toArray() as Nested, 'x sin x', 1e-15);
    const [, jv] = autograd.functional.jvp(f, p, v) as [Tensor, Tensor];
    close(t.tangent!, jv.toArray() as Nested, 'vs jvp', 1e-15);
    // the tangent is differentiable in a primal that requires grad
    const w = tensor([0.3, -0.2, 0.1], { dtype: 'float64', requiresGrad: true });
    const dt = FAD.dualLevel(() => FAD.unpackDual(FAD.makeDual(w, v).exp().sum()).tangent!);
    expect(dt.requiresGrad).toBe(true);
    dt.backward();
    close(w.grad!, w.detach().exp().mul(v).toArray() as Nested, 'd/dw <exp(w), v>', 1e-15);
  });

  it('the tangent of a dual is its own; unrelated tensors and tensors outside a level have none', () => {
    const p = tensor([1, 2], { dtype: 'float64' });
    const v = tensor([3, 4], { dtype: 'float64' });
    let x!: Tensor;
    FAD.dualLevel(() => {
      x = FAD.makeDual(p, v);
      expect(FAD.unpackDual(x).tangent).toBe(v);
      expect(FAD.unpackDual(tensor([1, 2], { dtype: 'float64' })).tangent).toBeNull();
      // a sum over a constant times the dual: the tangent's zero where it does not depend
      const { tangent } = FAD.unpackDual(x.mul(0).sum());
      expect(tangent!.item()).toBe(0);
    });
    expect(FAD.unpackDual(x.mul(2)).tangent).toBeNull(); // the level is over
  });

  it('one level at a time; duals only inside one; the tangent must match the primal', () => {
    const p = tensor([1, 2]);
    expectTensorError(
      () => FAD.makeDual(p, p),
      'INVALID_ARGUMENT',
      /makeDual: to create a dual tensor, you need to be within a dual level/,
    );
    FAD.dualLevel(() => {
      expectTensorError(() => FAD.enterDualLevel(), 'NOT_IMPLEMENTED', /nested forward mode AD is not supported/);
      expectTensorError(() => FAD.makeDual(p, tensor([1, 2, 3])), 'SHAPE_MISMATCH', /primal's shape \[2\], got \[3\]/);
      expectTensorError(
        () => FAD.makeDual(p, tensor([1, 2], { dtype: 'float64' })),
        'DTYPE_MISMATCH',
        /primal's dtype float32, got float64/,
      );
      expectTensorError(
        () => FAD.makeDual(tensor([1, 2], { dtype: 'int64' }), p),
        'DTYPE_MISMATCH',
        /float32 or float64 primal, got int64/,
      );
      expectTensorError(
        () => FAD.unpackDual(p, { level: 99 }),
        'INVALID_ARGUMENT',
        /dual level 99 is not the current one/,
      );
    });
    expectTensorError(() => FAD.exitDualLevel(), 'INVALID_ARGUMENT', /no dual level is active/);
    const id = FAD.enterDualLevel();
    FAD.exitDualLevel({ level: id });
    expect(() =>
      FAD.dualLevel(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(FAD.enterDualLevel()).toBeGreaterThan(id); // the throw left the level
    FAD.exitDualLevel();
  });

  it('a thousand levels leave no tensors behind', () => {
    const p = tensor([0.5, 1.5]);
    const v = tensor([1, -1]);
    settleGarbage();
    const before = tk.memory().tensors;
    for (let i = 0; i < 1000; i++)
      tk.tidy(() => FAD.dualLevel(() => FAD.unpackDual(FAD.makeDual(p, v).square().sum()).tangent!.item()));
    settleGarbage();
    expect(tk.memory().tensors).toBe(before);
  });
});
