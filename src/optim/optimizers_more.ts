// Adadelta, Adamax, NAdam, RAdam, Rprop, ASGD and LBFGS: PyTorch's update rules written with in-place tensor
// ops (several native calls per parameter, where the optimizers.ts ones are one fused call).
import { fail } from '../errors.js';
import { keep, tidy } from '../memory.js';
import { noGrad } from '../autograd.js';
import { describe, fn as fnArg, isOptionsObject } from '../options.js';
import { cat, where } from '../ops/functional.js';
import { full, zerosLike } from '../ops/creation.js';
import { Tensor } from '../tensor.js';
import { checkRange, Optimizer, type ParamGroup, type ParamState } from './optimizer.js';
import type { Params } from './optimizers.js';

function decayed(p: Tensor, grad: Tensor, weightDecay: number): Tensor {
  return weightDecay !== 0 ? grad.add(p.mul(weightDecay)) : grad;
}
// lr, eps and weightDecay non-negative and betas in [0, 1): the Adam family's options.
function checkAdamLike(name: string, g: { lr: number; eps: number; weightDecay: number; betas: unknown }): void {
  for (const k of ['lr', 'eps', 'weightDecay'] as const) checkRange(name, k, g[k], 0);
  checkBetas(name, g.betas);
}
// Adam's moment estimates in place: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2.
function updateMoments(m: Tensor, v: Tensor, g: Tensor, b1: number, b2: number): void {
  m.mul_(b1).add_(g.mul(1 - b1));
  v.mul_(b2).add_(g.mul(g).mul(1 - b2));
}
function checkBetas(name: string, betas: unknown): void {
  if (!Array.isArray(betas) || betas.length !== 2) fail('INVALID_ARGUMENT', `${name}: betas must be [beta1, beta2]`);
  checkRange(name, 'betas[0]', betas[0], 0, 1, true);
  checkRange(name, 'betas[1]', betas[1], 0, 1, true);
}

/** Options of `Adadelta`. */
export interface AdadeltaOptions {
  lr: number;
  rho: number;
  eps: number;
  weightDecay: number;
  /** Ascend the objective instead of descending it (the gradient negated). Default false. */
  maximize: boolean;
}

/** Adadelta (torch.optim.Adadelta), as the PyTorch MNIST example uses it. @example new optim.Adadelta(model.parameters(), { lr: 1 }) */
export class Adadelta extends Optimizer<AdadeltaOptions> {
  constructor(params: Params<AdadeltaOptions>, options: Partial<AdadeltaOptions> = {}) {
    super(params, { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false }, options, 'Adadelta');
  }
  protected validate(g: ParamGroup<AdadeltaOptions>): void {
    checkRange('Adadelta', 'lr', g.lr, 0);
    checkRange('Adadelta', 'rho', g.rho, 0, 1);
    checkRange('Adadelta', 'eps', g.eps, 0);
    checkRange('Adadelta', 'weightDecay', g.weightDecay, 0);
  }
  protected update(p: Tensor, grad: Tensor, g: ParamGroup<AdadeltaOptions>, st: ParamState): void {
    if (st.step === undefined) {
      st.step = 0;
      st.squareAvg = this.buffer(p);
      st.accDelta = this.buffer(p);
    }
    st.step = (st.step as number) + 1;
    // One fused native pass over the parameter and both averages (torch's element rule).
    this.run(
      'adadelta_step_',
      [p, grad, st.squareAvg as Tensor, st.accDelta as Tensor],
      [g.lr, g.rho, g.eps, g.weightDecay],
    );
  }
}

/** Options of `Adamax`, `NAdam` and `RAdam`. */
export interface AdamaxOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  /** Ascend the objective instead of descending it (the gradient negated). Default false. */
  maximize: boolean;
}

/** Adamax (torch.optim.Adamax): Adam with the infinity norm. */
export class Adamax extends Optimizer<AdamaxOptions> {
  constructor(params: Params<AdamaxOptions>, options: Partial<AdamaxOptions> = {}) {
    super(params, { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false }, options, 'Adamax');
  }
  protected validate(g: ParamGroup<AdamaxOptions>): void {
    checkAdamLike('Adamax', g);
  }
  protected update(p: Tensor, grad: Tensor, g: ParamGroup<AdamaxOptions>, st: ParamState): void {
    if (st.step === undefined) {
      st.step = 0;
      st.expAvg = this.buffer(p);
      st.expInf = this.buffer(p);
    }
    const step = (st.step = (st.step as number) + 1);
    const [b1, b2] = g.betas;
    const m = st.expAvg as Tensor,
      u = st.expInf as Tensor;
    tidy(() => {
      const gr = decayed(p, grad, g.weightDecay);
      m.mul_(b1).add_(gr.mul(1 - b1));
      u.copy_(u.mul(b2).maximum(gr.abs().add(g.eps)));
      p.sub_(m.div(u).mul(g.lr / (1 - b1 ** step)));
    });
  }
}

/** Options of `NAdam`. */
export interface NAdamOptions extends AdamaxOptions {
  momentumDecay: number;
}

/** NAdam (torch.optim.NAdam): Adam with Nesterov momentum. */
export class NAdam extends Optimizer<NAdamOptions> {
  constructor(params: Params<NAdamOptions>, options: Partial<NAdamOptions> = {}) {
    super(
      params,
      { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3, maximize: false },
      options,
      'NAdam',
    );
  }
  protected validate(g: ParamGroup<NAdamOptions>): void {
    checkAdamLike('NAdam', g);
    checkRange('NAdam', 'momentumDecay', g.momentumDecay, 0);
  }
  protected update(p: Tensor, grad: Tensor, g: ParamGroup<NAdamOptions>, st: ParamState): void {
    if (st.step === undefined) {
      st.step = 0;
      st.muProduct = 1;
      st.expAvg = this.buffer(p);
      st.expAvgSq = this.buffer(p);
    }
    const step = (st.step = (st.step as number) + 1);
    const [b1, b2] = g.betas;
    const mu = b1 * (1 - 0.5 * 0.96 ** (step * g.momentumDecay));
    const muNext = b1 * (1 - 0.5 * 0.96 ** ((step + 1) * g.momentumDecay));
    const muProduct = (st.muProduct = (st.muProduct as number) * mu);
    const m = st.expAvg as Tensor,
      v = st.expAvgSq as Tensor;
    tidy(() => {
      const gr = decayed(p, grad, g.weightDecay);
      updateMoments(m, v, gr, b1, b2);
      const denom = v
        .div(1 - b2 ** step)
        .sqrt()
        .add(g.eps);
      p.sub_(gr.div(denom).mul((g.lr * (1 - mu)) / (1 - muProduct)));
      p.sub_(m.div(denom).mul((g.lr * muNext) / (1 - muProduct * muNext)));
    });
  }
}

/** RAdam (torch.optim.RAdam): Adam with the variance of the adaptive rate rectified. */
export class RAdam extends Optimizer<AdamaxOptions> {
  constructor(params: Params<AdamaxOptions>, options: Partial<AdamaxOptions> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false }, options, 'RAdam');
  }
  protected validate(g: ParamGroup<AdamaxOptions>): void {
    checkAdamLike('RAdam', g);
  }
  protected update(p: Tensor, grad: Tensor, g: ParamGroup<AdamaxOptions>, st: ParamState): void {
    if (st.step === undefined) {
      st.step = 0;
      st.expAvg = this.buffer(p);
      st.expAvgSq = this.buffer(p);
    }
    const step = (st.step = (st.step as number) + 1);
    const [b1, b2] = g.betas;
    const m = st.expAvg as Tensor,
      v = st.expAvgSq as Tensor;
    tidy(() => {
      const gr = decayed(p, grad, g.weightDecay);
      updateMoments(m, v, gr, b1, b2);
      const bc1 = 1 - b1 ** step,
        bc2 = 1 - b2 ** step;
      const mHat = m.div(bc1);
      const rhoInf = 2 / (1 - b2) - 1;
      const rho = rhoInf - (2 * step * b2 ** step) / bc2;
      if (rho > 5) {
        const rect = Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho));
        p.sub_(mHat.div(v.sqrt().add(g.eps)).mul(g.lr * rect * Math.sqrt(bc2)));
      } else p.sub_(mHat.mul(g.lr));
    });
  }
}

/** Options of `Rprop`. */
export interface RpropOptions {
  /** The initial step size of every element. */
  lr: number;
  /** The pair etaminus, etaplus: the step shrinks by etaminus where the gradient flips sign, grows by etaplus where it keeps it. */
  etas: [number, number];
  /** The pair min, max: the bounds of each step size. */
  stepSizes: [number, number];
  /** Ascend the objective instead of descending it (the gradient negated). Default false. */
  maximize: boolean;
}

/**
 * Rprop (torch.optim.Rprop; Riedmiller and Braun, 1993): each element moves by its own step size
 * against the gradient's sign, the step growing while the sign holds and shrinking (with the
 * move skipped) when it flips. For full-batch training.
 * @example new optim.Rprop(model.parameters(), { lr: 0.01 })
 */
export class Rprop extends Optimizer<RpropOptions> {
  constructor(params: Params<RpropOptions>, options: Partial<RpropOptions> = {}) {
    super(params, { lr: 1e-2, etas: [0.5, 1.2], stepSizes: [1e-6, 50], maximize: false }, options, 'Rprop');
  }
  protected validate(g: ParamGroup<RpropOptions>): void {
    checkRange('Rprop', 'lr', g.lr, 0);
    const [down, up] = Array.isArray(g.etas) ? g.etas : [NaN, NaN];
    if (!(Array.isArray(g.etas) && g.etas.length === 2 && down > 0 && down < 1 && up > 1))
      fail(
        'INVALID_ARGUMENT',
        `Rprop: etas must be [etaminus, etaplus] with 0 < etaminus < 1 < etaplus, got ${describe(g.etas)}`,
      );
    const [lo, hi] = Array.isArray(g.stepSizes) ? g.stepSizes : [NaN, NaN];
    if (!(Array.isArray(g.stepSizes) && g.stepSizes.length === 2 && lo >= 0 && hi >= lo))
      fail(
        'INVALID_ARGUMENT',
        `Rprop: stepSizes must be [min, max] with 0 <= min <= max, got ${describe(g.stepSizes)}`,
      );
  }
  protected update(p: Tensor, grad: Tensor, g: ParamGroup<RpropOptions>, st: ParamState): void {
    if (st.step === undefined) {
      st.step = 0;
      st.prev = this.buffer(p);
      st.stepSize = keep(zerosLike(p).add(g.lr));
    }
    st.step = (st.step as number) + 1;
    const prev = st.prev as Tensor,
      size = st.stepSize as Tensor;
    const [down, up] = g.etas;
    tidy(() => {
      const s = grad.mul(prev).sign();
      const k = (v: number) => full([], v, { dtype: p.dtype, device: p.device }); // in p's dtype, not float32
      const factor = where(s.gt(0), k(up), where(s.lt(0), k(down), k(1)));
      size.mul_(factor).clamp_(g.stepSizes[0], g.stepSizes[1]);
      // where the sign flipped, no move this step and no memory of the gradient
      const gr = where(s.lt(0), 0, grad);
      p.sub_(gr.sign().mul(size));
      prev.copy_(gr);
    });
  }
}

/** Options of `ASGD`. */
export interface ASGDOptions {
  lr: number;
  /** The decay term. */
  lambd: number;
  /** The power of the eta update. */
  alpha: number;
  /** The step at which averaging starts. */
  t0: number;
  weightDecay: number;
  /** Ascend the objective instead of descending it (the gradient negated). Default false. */
  maximize: boolean;
}

/**
 * Averaged SGD (torch.optim.ASGD; Polyak and Juditsky, 1992): SGD with a decaying step, keeping
 * in the state `ax` the running average of the iterates from step t0 on.
 * @example new optim.ASGD(model.parameters(), { lr: 0.01, t0: 100 })
 */
export class ASGD extends Optimizer<ASGDOptions> {
  constructor(params: Params<ASGDOptions>, options: Partial<ASGDOptions> = {}) {
    super(params, { lr: 1e-2, lambd: 1e-4, alpha: 0.75, t0: 1e6, weightDecay: 0, maximize: false }, options, 'ASGD');
  }
  protected validate(g: ParamGroup<ASGDOptions>): void {
    for (const k of ['lr', 'lambd', 'alpha', 't0', 'weightDecay'] as const) checkRange('ASGD', k, g[k], 0);
  }
  protected update(p: Tensor, grad: Tensor, g: ParamGroup<ASGDOptions>, st: ParamState): void {
    if (st.step === undefined) {
      st.step = 0;
      st.eta = g.lr;
      st.mu = 1;
      st.ax = this.buffer(p);
    }
    const step = (st.step = (st.step as number) + 1);
    const eta = st.eta as number,
      mu = st.mu as number,
      ax = st.ax as Tensor;
    tidy(() => {
      const gr = decayed(p, grad, g.weightDecay);
      p.mul_(1 - g.lambd * eta).sub_(gr.mul(eta));
      if (mu !== 1) ax.add_(p.sub(ax).mul(mu));
      else ax.copy_(p);
    });
    st.eta = g.lr / (1 + g.lambd * g.lr * step) ** g.alpha;
    st.mu = 1 / Math.max(1, step - g.t0);
  }
}

/** Options of `LBFGS`. */
export interface LBFGSOptions {
  lr: number;
  maxIter: number;
  maxEval: number;
  toleranceGrad: number;
  toleranceChange: number;
  historySize: number;
}

// The value of a scalar tensor expression, its tensors freed.
const scalar = (fn: () => Tensor): number => noGrad(() => tidy(() => Number(fn().item())));

/**
 * L-BFGS (torch.optim.LBFGS, without line search): one group of parameters; `step(closure)`
 * re-evaluates the loss (the closure zeroes the gradients, computes the loss, calls backward and
 * returns it) up to maxIter times.
 * @example opt.step(() => { opt.zeroGrad(); const l = lossFn(); l.backward(); return l; })
 */
export class LBFGS extends Optimizer<LBFGSOptions> {
  constructor(params: Params<LBFGSOptions>, options: Partial<LBFGSOptions> = {}) {
    // Read before the base class checks the options: a non-object is reported by that check.
    const maxIter = (isOptionsObject(options) ? options.maxIter : undefined) ?? 20;
    super(
      params,
      {
        lr: 1,
        maxIter,
        maxEval: Math.floor(maxIter * 1.25),
        toleranceGrad: 1e-7,
        toleranceChange: 1e-9,
        historySize: 100,
      },
      options,
      'LBFGS',
    );
    if (this.paramGroups.length !== 1)
      fail('INVALID_ARGUMENT', "LBFGS: doesn't support per-parameter options (one group only)");
  }
  protected validate(g: ParamGroup<LBFGSOptions>): void {
    checkRange('LBFGS', 'lr', g.lr, 0);
    for (const k of ['maxIter', 'maxEval', 'historySize'] as const)
      if (!Number.isSafeInteger(g[k]) || g[k] < 1)
        fail('INVALID_ARGUMENT', `LBFGS: ${k} must be a positive integer, got ${g[k]}`);
    checkRange('LBFGS', 'toleranceGrad', g.toleranceGrad, 0);
    checkRange('LBFGS', 'toleranceChange', g.toleranceChange, 0);
  }
  protected update(): void {
    fail('INTERNAL', 'LBFGS updates in step()');
  }

  private flatGrad(): Tensor {
    const ps = this.paramGroups[0].params;
    return noGrad(() =>
      tidy(() => cat(ps.map((p) => (p.grad ? p.grad.reshape([-1]) : p.detach().reshape([-1]).mul(0))))),
    );
  }

  // A re-evaluation inside step(): only its value is used, so what the closure made (the loss and
  // its graph's tensors) is freed with it; the gradients it leaves on the parameters stay.
  private evaluate(closure: () => unknown): number {
    return tidy(() => {
      const r = closure();
      if (r instanceof Tensor) return Number(r.item());
      if (typeof r === 'number') return r;
      return fail('INVALID_ARGUMENT', `LBFGS.step: the closure must return the loss (a Tensor or number)`);
    });
  }

  /**
   * Runs up to maxIter L-BFGS iterations; `closure` is required. Returns the first loss (the
   * caller's to dispose); what later calls of the closure make, their losses included, is freed.
   */
  override step(closure?: () => unknown): unknown {
    if (closure === undefined) fail('INVALID_ARGUMENT', 'LBFGS.step: a closure is required');
    fnArg('LBFGS.step', 'closure', closure);
    const g = this.paramGroups[0];
    const ps = g.params;
    const st = (this.state.get(ps[0]) ?? {}) as unknown as LbfgsState;
    this.state.set(ps[0], st as unknown as ParamState);
    const origLoss = closure();
    let loss = origLoss instanceof Tensor ? Number(origLoss.item()) : Number(origLoss);
    let flat = keep(this.flatGrad());
    const gmax = () => scalar(() => flat.abs().max());
    if (gmax() <= g.toleranceGrad) {
      flat.dispose();
      return origLoss;
    }
    st.funcEvals = (st.funcEvals ?? 0) + 1;
    st.nIter ??= 0;
    st.oldDirs ??= [];
    st.oldStps ??= [];
    st.ro ??= [];
    st.hDiag ??= 1;
    let evals = 1;
    let nIter = 0;
    const replace = (key: 'd' | 'prevFlatGrad', t: Tensor) => {
      st[key]?.dispose();
      st[key] = keep(t);
    };
    while (nIter < g.maxIter) {
      nIter++;
      st.nIter++;
      noGrad(() => {
        if (st.nIter === 1) {
          replace('d', flat.neg());
          st.oldDirs!.forEach((t) => t.dispose());
          st.oldStps!.forEach((t) => t.dispose());
          st.oldDirs = [];
          st.oldStps = [];
          st.ro = [];
          st.hDiag = 1;
        } else {
          tidy(() => {
            const y = flat.sub(st.prevFlatGrad!);
            const s = st.d!.mul(st.t!);
            const ys = y.dot(s).item() as number;
            if (ys > 1e-10) {
              if (st.oldDirs!.length === g.historySize) {
                st.oldDirs!.shift()!.dispose();
                st.oldStps!.shift()!.dispose();
                st.ro!.shift();
              }
              st.oldDirs!.push(keep(y));
              st.oldStps!.push(keep(s));
              st.ro!.push(1 / ys);
              st.hDiag = ys / (y.dot(y).item() as number);
            }
            const al: number[] = [];
            let q = flat.neg();
            for (let i = st.oldDirs!.length - 1; i >= 0; i--) {
              al[i] = (st.oldStps![i].dot(q).item() as number) * st.ro![i];
              q = q.sub(st.oldDirs![i].mul(al[i]));
            }
            let r = q.mul(st.hDiag!);
            for (let i = 0; i < st.oldDirs!.length; i++) {
              const be = (st.oldDirs![i].dot(r).item() as number) * st.ro![i];
              r = r.add(st.oldStps![i].mul(al[i] - be));
            }
            replace('d', r);
          });
        }
        replace('prevFlatGrad', flat.clone());
      });
      const prevLoss = loss;
      st.t = st.nIter === 1 ? Math.min(1, 1 / scalar(() => flat.abs().sum())) * g.lr : g.lr;
      const gtd = scalar(() => flat.dot(st.d!));
      if (gtd > -g.toleranceChange) break;
      // Take the step: each parameter moves by t * its slice of d.
      noGrad(() =>
        tidy(() => {
          let off = 0;
          for (const p of ps) {
            const n = p.numel();
            p.add_(st.d!.narrow(0, off, n).reshape(p.shape).mul(st.t!));
            off += n;
          }
        }),
      );
      let optCond = false;
      if (nIter !== g.maxIter) {
        loss = this.evaluate(closure);
        flat.dispose();
        flat = keep(this.flatGrad());
        optCond = gmax() <= g.toleranceGrad;
        evals++;
        st.funcEvals++;
      }
      if (nIter === g.maxIter || evals >= g.maxEval || optCond) break;
      const moved = scalar(() => st.d!.mul(st.t!).abs().max());
      if (moved <= g.toleranceChange || Math.abs(loss - prevLoss) < g.toleranceChange) break;
    }
    flat.dispose();
    return origLoss;
  }
}

interface LbfgsState {
  funcEvals: number;
  nIter: number;
  d?: Tensor;
  t?: number;
  prevFlatGrad?: Tensor;
  oldDirs?: Tensor[];
  oldStps?: Tensor[];
  ro?: number[];
  hDiag?: number;
}
