// The optimizer base: parameter groups with per-group options, per-parameter state, zeroGrad,
// and state dicts in PyTorch's shape. Subclasses supply one fused native update per parameter.
import { opInPlaceN, type Attr, type OpName } from '../ops/dispatch.js';
import { noGrad } from '../autograd.js';
import { fail } from '../errors.js';
import { keep } from '../memory.js';
import { zerosLike } from '../ops/creation.js';
import { checkOptions, describe, fn, isOptionsObject } from '../options.js';
import { Tensor } from '../tensor.js';

/** Per-parameter optimizer state: tensors (moment buffers) and numbers (the step count). */
export type ParamState = Record<string, Tensor | number>;

/** A parameter group: its tensors and options overriding the optimizer's defaults. */
export type ParamGroupInput<O> = { params: readonly Tensor[] } & Partial<O>;
/** A parameter group as the optimizer holds it: its tensors and every option, defaults filled in. */
export type ParamGroup<O> = { params: Tensor[] } & O;

/** An optimizer's state as `stateDict()` returns it: per-parameter state and the groups' options. */
export interface OptimizerStateDict {
  /** State per parameter, keyed by its index across all groups in order. */
  state: Record<number, ParamState>;
  /** Each group's options, with `params` as indices. */
  paramGroups: Record<string, unknown>[];
}

/**
 * Base class of the optimizers. `step()` updates every parameter that has a gradient, outside
 * the graph; `zeroGrad()` clears the gradients (set to null, PyTorch's default).
 */
export abstract class Optimizer<O extends object> {
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state (created on first step). */
  readonly state = new Map<Tensor, ParamState>();

  readonly defaults: O;

  /**
   * `defaults` are the optimizer's own; `options` (the user's) override them and are checked by
   * name and kind against them, so a misspelled option is an error naming the nearest one.
   */
  protected constructor(
    params: readonly Tensor[] | readonly ParamGroupInput<O>[],
    defaults: O,
    options: Partial<O> | undefined,
    protected readonly name: string,
  ) {
    this.defaults = { ...defaults, ...checkOptions(name, options, optionKinds(defaults)) };
    if (!Array.isArray(params))
      fail(
        'INVALID_ARGUMENT',
        `${name}: params must be an array of tensors or of parameter groups, got ${describe(params)}`,
      );
    if (params.length === 0) fail('INVALID_ARGUMENT', `${name}: optimizer got an empty parameter list`);
    const groups =
      params[0] instanceof Tensor
        ? [{ params: params as readonly Tensor[] }]
        : (params as readonly ParamGroupInput<O>[]);
    for (const g of groups) this.addParamGroup(g as ParamGroupInput<O>);
  }

  /** Adds a group of parameters with its own options. @example opt.addParamGroup({ params: head.parameters(), lr: 1e-3 }) */
  addParamGroup(group: ParamGroupInput<O>): void {
    if (!isOptionsObject(group) || !Array.isArray(group.params))
      fail('INVALID_ARGUMENT', `${this.name}: a parameter group needs a 'params' array, got ${describe(group)}`);
    // A group holds its params, any of the optimizer's options, and optionally a name.
    checkOptions(`${this.name} parameter group`, group, {
      ...optionKinds(this.defaults),
      params: 'any',
      name: 'string',
    });
    // Where each parameter already is, to name a parameter shared between groups.
    const owner = new Map<Tensor, [number, number]>();
    this.paramGroups.forEach((g, gi) => g.params.forEach((p, pi) => owner.set(p, [gi, pi])));
    const params: Tensor[] = [];
    const inGroup = new Set<Tensor>();
    for (const [i, p] of group.params.entries()) {
      if (!(p instanceof Tensor))
        fail('INVALID_ARGUMENT', `${this.name}: params[${i}] is not a Tensor, got ${describe(p)}`);
      if (!p.isLeaf)
        fail(
          'INVALID_ARGUMENT',
          `${this.name}: can't optimize a non-leaf tensor (params[${i}] has gradFn ${p.gradFn})`,
        );
      const at = owner.get(p);
      if (at)
        fail(
          'INVALID_ARGUMENT',
          `${this.name}: params[${i}] of parameter group ${this.paramGroups.length} (shape [${p.shape.join(', ')}]) is already params[${at[1]}] of group ${at[0]}; a tensor may belong to one group only (a tied weight is listed once by parameters())`,
        );
      // The same tensor twice in one group is one parameter (it would otherwise step twice).
      if (inGroup.has(p)) continue;
      inGroup.add(p);
      params.push(p);
    }
    const merged = { ...this.defaults, ...group, params } as ParamGroup<O>;
    this.validate(merged);
    this.paramGroups.push(merged);
  }

  /** Clears every parameter's gradient (null, or zeros with setToNone false). */
  zeroGrad(setToNone = true): void {
    for (const g of this.paramGroups)
      for (const p of g.params) {
        if (setToNone) p.grad = null;
        else {
          const grad = p.grad;
          if (grad) noGrad(() => grad.zero_());
          grad?.dispose();
        }
      }
  }

  /** Updates every parameter that has a gradient. `closure` (re-evaluating the loss) runs first if given. */
  step(closure?: () => unknown): unknown {
    if (closure !== undefined) fn(`${this.name}.step`, 'closure', closure);
    const loss = closure?.();
    noGrad(() => {
      for (const group of this.paramGroups) {
        const ps: Tensor[] = [],
          gs: Tensor[] = [],
          sts: ParamState[] = [];
        try {
          for (const p of group.params) {
            const g = p.grad;
            if (!g) continue;
            // maximize (every optimizer but LBFGS): the same rule on the negated gradient
            if ((group as { maximize?: boolean }).maximize) {
              gs.push(g.neg());
              g.dispose();
            } else gs.push(g);
            let st = this.state.get(p);
            if (!st) this.state.set(p, (st = {}));
            else follow(p, st);
            ps.push(p);
            sts.push(st);
          }
          if (ps.length > 0 && !this.updateAll(ps, gs, group, sts))
            ps.forEach((p, i) => this.update(p, gs[i], group, sts[i]));
        } finally {
          for (const g of gs) g.dispose();
        }
      }
    });
    return loss;
  }

  /** One parameter's update (called under noGrad). */
  protected abstract update(p: Tensor, grad: Tensor, group: ParamGroup<O>, state: ParamState): void;
  /**
   * A group's parameters updated in one native call (PyTorch's foreach form), where the optimizer
   * has one: true when done. The same kernel runs per parameter, so the numbers are the same as
   * one update() each; only the per-parameter calls from JavaScript go.
   */
  protected updateAll(_ps: Tensor[], _gs: Tensor[], _group: ParamGroup<O>, _states: ParamState[]): boolean {
    return false;
  }
  /** Checks a group's options (throws INVALID_ARGUMENT). */
  protected abstract validate(group: ParamGroup<O>): void;

  /** A new zero state buffer like p, kept out of tidy() scopes. */
  protected buffer(p: Tensor): Tensor {
    return keep(zerosLike(p));
  }

  /** @internal Runs a fused native update op on p, grad and the state tensors. */
  protected run(op: OpName, tensors: Tensor[], attrs: Attr[]): void {
    opInPlaceN(
      op,
      attrs,
      tensors.map((t) => t._h),
    );
  }

  /** The state in PyTorch's layout: parameters by index, tensors shared (clone to snapshot). */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    for (const g of this.paramGroups) for (const p of g.params) index.set(p, index.size);
    const state: Record<number, ParamState> = {};
    for (const [p, st] of this.state) state[index.get(p)!] = { ...st };
    const paramGroups = this.paramGroups.map((g) => ({ ...g, params: g.params.map((p) => index.get(p)!) }));
    return { state, paramGroups };
  }

  /** Restores options and state saved by stateDict() (tensors are copied). */
  loadStateDict(sd: OptimizerStateDict): void {
    if (!isOptionsObject(sd) || !Array.isArray(sd.paramGroups) || !isOptionsObject(sd.state))
      fail('INVALID_ARGUMENT', `${this.name}.loadStateDict: expected { state, paramGroups }, got ${describe(sd)}`);
    if (sd.paramGroups.length !== this.paramGroups.length)
      fail(
        'INVALID_ARGUMENT',
        `${this.name}.loadStateDict: the state dict has ${sd.paramGroups.length} parameter groups, the optimizer ${this.paramGroups.length}`,
      );
    const params: Tensor[] = [];
    sd.paramGroups.forEach((g, i) => {
      // Saved groups may hold keys schedulers attached (initialLr, ...); validate() checks the
      // optimizer's own options once merged.
      if (!isOptionsObject(g))
        fail(
          'INVALID_ARGUMENT',
          `${this.name}.loadStateDict: parameter group ${i} is not an object, got ${describe(g)}`,
        );
      const mine = this.paramGroups[i];
      const ids = g.params as number[];
      if (!Array.isArray(ids) || ids.length !== mine.params.length)
        fail(
          'INVALID_ARGUMENT',
          `${this.name}.loadStateDict: group ${i} has ${Array.isArray(ids) ? ids.length : '?'} parameters, the optimizer's ${mine.params.length}`,
        );
      params.push(...mine.params);
    });
    const loaded = new Map<Tensor, ParamState>();
    for (const [k, st] of Object.entries(sd.state)) {
      const p = /^\d+$/.test(k) ? params[Number(k)] : undefined;
      if (!p)
        fail(
          'INVALID_ARGUMENT',
          `${this.name}.loadStateDict: state for parameter ${describe(k)}, which does not exist`,
        );
      if (!isOptionsObject(st))
        fail(
          'INVALID_ARGUMENT',
          `${this.name}.loadStateDict: the state of parameter ${k} is not an object, got ${describe(st)}`,
        );
      const copy: ParamState = {};
      for (const [name, v] of Object.entries(st)) {
        if (v instanceof Tensor) {
          if (v.shape.join() !== p.shape.join())
            fail(
              'SHAPE_MISMATCH',
              `${this.name}.loadStateDict: state '${name}' of parameter ${k} has shape [${v.shape}], the parameter [${p.shape}]`,
            );
          copy[name] = keep(v.to({ dtype: p.dtype, device: p.device }).clone());
        } else if (typeof v === 'number') copy[name] = v;
        else
          fail(
            'INVALID_ARGUMENT',
            `${this.name}.loadStateDict: state '${name}' of parameter ${k} must be a Tensor or a number, got ${describe(v)}`,
          );
      }
      loaded.set(p, copy);
    }
    this.disposeState();
    for (const [p, st] of loaded) this.state.set(p, st);
    const restored = sd.paramGroups.map((g, i) => {
      const { params: _ids, ...opts } = g;
      const merged = { ...this.paramGroups[i], ...opts } as ParamGroup<O>;
      this.validate(merged);
      return merged;
    });
    restored.forEach((g, i) => Object.assign(this.paramGroups[i], g));
  }

  /** Frees the state tensors (the optimizer starts afresh on the next step). */
  disposeState(): void {
    for (const st of this.state.values()) for (const v of Object.values(st)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
  }
}

// The kind of each option, from its default value (ranges are checked by validate()).
function optionKinds(defaults: object): Record<string, 'number' | 'boolean' | 'any'> {
  return Object.fromEntries(
    Object.entries(defaults).map(([k, v]) => [
      k,
      typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'any',
    ]),
  );
}

// State follows its parameter: after model.to() changed a parameter's dtype or device, its state
// tensors are converted to match before the next update (PyTorch leaves them behind and fails).
function follow(p: Tensor, st: ParamState): void {
  for (const [name, v] of Object.entries(st))
    if (v instanceof Tensor && (v.dtype !== p.dtype || v.device !== p.device)) {
      st[name] = keep(v.to({ dtype: p.dtype, device: p.device }));
      v.dispose();
    }
}

/** INVALID_ARGUMENT unless v is a number in [lo, hi] (hi may be open). */
export function checkRange(op: string, name: string, v: unknown, lo: number, hi = Infinity, openHi = false): void {
  if (typeof v !== 'number' || !(v >= lo) || (openHi ? !(v < hi) : !(v <= hi)))
    fail(
      'INVALID_ARGUMENT',
      `${op}: invalid ${name} value: ${describe(v)} (expected ${lo} <= ${name} ${openHi ? '<' : '<='} ${hi})`,
    );
}
