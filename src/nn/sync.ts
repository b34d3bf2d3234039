// How nn reaches across processes without depending on the distributed namespace (which sits
// above it): distributed.initProcessGroup() installs a summing function here, and SyncBatchNorm
// uses it through a differentiable all-reduce.
import { CustomFunction, type FunctionCtx } from '../autograd_function.js';
import type { Tensor } from '../tensor.js';

/** @internal Sums a tensor in place over every process of the group (a collective). */
export interface CrossProcessSum {
  worldSize: number;
  sumInPlace(t: Tensor): void;
}

let group: CrossProcessSum | undefined;

/** @internal Installed by distributed.initProcessGroup (undefined again after destroyProcessGroup). */
export function setCrossProcessSum(g: CrossProcessSum | undefined): void {
  group = g;
}

/** @internal The installed group, if any. */
export function crossProcessSum(): CrossProcessSum | undefined {
  return group;
}

// y = the sum of x over all processes. Every process's loss depends on y, so the gradient reaching
// x is the sum of all processes' gradients for y: backward all-reduces too.
class AllReduceSum extends CustomFunction {
  static forward(_ctx: FunctionCtx, x: Tensor): Tensor {
    const y = x.clone();
    group!.sumInPlace(y);
    return y;
  }
  static backward(_ctx: FunctionCtx, g: Tensor): Tensor {
    const h = g.contiguous().clone();
    group!.sumInPlace(h);
    return h;
  }
}

/** @internal The differentiable cross-process sum of x (a new tensor). */
export function sumAcrossProcesses(x: Tensor): Tensor {
  return AllReduceSum.apply(x);
}
