// Second derivatives of every differentiable op: gradgradcheck (float64 central differences of the
// recorded backward, in the inputs and in the incoming gradient) over the shared table of
// helpers/grad-cases.ts, contiguous inputs. A recorded backward that drops a dependence (a
// constant op where a recorded one was needed) shows here as a wrong second derivative; ops
// whose double backward is not implemented must say so, never return a silent zero.
import { describe, expect, it } from 'vitest';

import { gradgradcheck, TensorError, type Tensor } from '../src/index.js';
import { GRAD_CASES } from './helpers/grad-cases.js';
import { disposeAll, input, prng } from './helpers/harness.js';

// Double backward refused with NOT_IMPLEMENTED, as PyTorch's CTC loss does.
const NO_DOUBLE_BACKWARD = /^ctcLoss /;

describe('gradgradcheck over the op table', () => {
  for (const c of GRAD_CASES) {
    it(c.name, () => {
      const rnd = prng(12345);
      const pairs = c.inputs.map((spec) => input(spec, 'contiguous', rnd));
      if (pairs.some((p) => p === undefined)) {
        disposeAll(pairs.filter(Boolean).map((p) => p!.native));
        return;
      }
      const xs = pairs.map((p, i) => {
        const leaf = p!.native.detach();
        p!.native.dispose();
        if (c.inputs[i].grad !== false) leaf.requiresGrad = true;
        return leaf;
      });
      try {
        if (NO_DOUBLE_BACKWARD.test(c.name)) {
          let err: unknown;
          try {
            gradgradcheck(c.fn as (...a: Tensor[]) => Tensor, xs, c.tol);
          } catch (e) {
            err = e;
          }
          expect(err, c.name).toBeInstanceOf(TensorError);
          expect((err as TensorError).code).toBe('NOT_IMPLEMENTED');
        } else expect(gradgradcheck(c.fn as (...a: Tensor[]) => Tensor, xs, c.tol), c.name).toBe(true);
      } finally {
        disposeAll(xs);
      }
    });
  }
});
