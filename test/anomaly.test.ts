// Anomaly detection (torch.autograd.set_detect_anomaly / detect_anomaly): NaN gradients caught at
// the op that made them, errors in backward traced to their forward call site, and the switches.
import { afterEach, describe, expect, it } from 'vitest';

import { autograd, tensor, tidy, type Tensor } from '../src/index.js';
import { TensorError } from '../src/errors.js';
import { expectTensorError } from './helpers/harness.js';

afterEach(() => autograd.setDetectAnomaly(false));

// The error fn throws, as a TensorError.
function errorOf(fn: () => unknown): TensorError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TensorError);
    return e as TensorError;
  }
  return expect.fail('expected a TensorError');
}

describe('anomaly detection', () => {
  // sqrt's gradient at 0 is infinite; times the 0 flowing back from mul(0), NaN
  const nanGraph = (x: Tensor) => x.sqrt().mul(0).sum();

  it('off (the default): a NaN gradient reaches .grad silently', () =>
    tidy(() => {
      expect(autograd.isAnomalyEnabled()).toBe(false);
      const x = tensor([0, 1], { requiresGrad: true });
      nanGraph(x).backward();
      expect(Number.isNaN((x.grad!.data() as Float32Array)[0])).toBe(true);
    }));

  it('on: backward throws at the node that made the NaN, with where its op was called', () =>
    tidy(() => {
      autograd.setDetectAnomaly(true);
      const x = tensor([0, 1], { requiresGrad: true });
      const loss = nanGraph(x);
      const e = errorOf(() => loss.backward());
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.message).toMatch(
        /backward \(anomaly detection\): SqrtBackward returned NaN values in its gradient for input 0/,
      );
      expect(e.message).toMatch(/The forward op of SqrtBackward was called at:\nsqrt\n/);
      expect(e.message).toMatch(/anomaly\.test\.ts/); // this file's frame: the call site
      expect(e.message).not.toMatch(/src\/ops\/dispatch/); // the library's own frames are left out
      expect(x.grad).toBeNull(); // the NaN never reached .grad
    }));

  it('checkNan false keeps traces but lets NaN through; detectAnomaly restores the setting', () =>
    tidy(() => {
      autograd.setDetectAnomaly(true, { checkNan: false });
      expect([autograd.isAnomalyEnabled(), autograd.isAnomalyCheckNanEnabled()]).toEqual([true, false]);
      const x = tensor([0, 1], { requiresGrad: true });
      nanGraph(x).backward();
      expect(Number.isNaN((x.grad!.data() as Float32Array)[0])).toBe(true);
      const r = autograd.detectAnomaly(() => {
        expect(autograd.isAnomalyCheckNanEnabled()).toBe(true);
        return 7;
      });
      expect(r).toBe(7);
      expect([autograd.isAnomalyEnabled(), autograd.isAnomalyCheckNanEnabled()]).toEqual([true, false]);
      autograd.setDetectAnomaly(false);
      expect(() => autograd.detectAnomaly(() => nanGraph(tensor([0], { requiresGrad: true })).backward())).toThrow(
        /SqrtBackward returned NaN/,
      );
      expect(autograd.isAnomalyEnabled()).toBe(false); // restored after the throw too
    }));

  it('an error while backward runs a node names where its forward op was called', () =>
    tidy(() => {
      const x = tensor([1, 2], { requiresGrad: true });
      const run = () => {
        const y = x.mul(2);
        const z = y.exp(); // saves its output
        z.add_(1); // ... which this overwrites
        return z.sum();
      };
      const plain = errorOf(() => run().backward());
      expect(plain.message).not.toMatch(/was called at/);
      autograd.setDetectAnomaly(true);
      const traced = errorOf(() => run().backward());
      expect(traced.code).toBe(plain.code);
      expect(traced.message.startsWith(plain.message)).toBe(true);
      expect(traced.message).toMatch(/The forward op of ExpBackward was called at:\nexp\n.*anomaly\.test\.ts/s);
    }));

  it('a node recorded before detection was on has no trace, and says so', () =>
    tidy(() => {
      const x = tensor([0, 1], { requiresGrad: true });
      const loss = nanGraph(x);
      autograd.setDetectAnomaly(true);
      expect(() => loss.backward()).toThrow(
        /SqrtBackward returned NaN[^]*no forward trace: the op ran before anomaly detection was enabled/,
      );
    }));

  it('covers custom Functions, and finds nothing to report in a clean createGraph backward', () =>
    tidy(() => {
      class Bad extends autograd.Function {
        static forward(_ctx: autograd.FunctionCtx, x: Tensor): Tensor {
          return x.mul(1);
        }
        static backward(_ctx: autograd.FunctionCtx, g: Tensor): Tensor {
          return g.mul(NaN);
        }
      }
      autograd.setDetectAnomaly(true);
      const x = tensor([1, 2], { requiresGrad: true });
      expect(() => Bad.apply(x).sum().backward()).toThrow(
        /BadBackward returned NaN values in its gradient for input 0[^]*BadBackward was called at:\nBad\n/,
      );
      const w = tensor([0.5, 2], { dtype: 'float64', requiresGrad: true });
      const [g] = autograd.grad([w.pow(3).sum()], [w], { createGraph: true });
      g!.sum().backward();
      expect(Array.from(w.grad!.data() as Float64Array)).toEqual([3, 12]);
    }));

  it('refuses bad arguments', () => {
    expectTensorError(
      () => autograd.setDetectAnomaly('yes' as never),
      'INVALID_ARGUMENT',
      /setDetectAnomaly: expected a boolean, got "yes"/,
    );
    expectTensorError(
      () => autograd.setDetectAnomaly(true, { checkNaN: true } as never),
      'INVALID_ARGUMENT',
      /did you mean 'checkNan'/,
    );
    expectTensorError(
      () => autograd.detectAnomaly(3 as never),
      'INVALID_ARGUMENT',
      /detectAnomaly: expected a function, got 3/,
    );
    expect(autograd.isAnomalyEnabled()).toBe(false);
  });
});
