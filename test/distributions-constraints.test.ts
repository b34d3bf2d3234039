// distributions.constraints, the constraint registry (bijectTo, transformTo), CatTransform and
// StackTransform, the families' supports and the transforms' domains and codomains, against
// PyTorch 1.13 (test/fixtures/torch-constraints.json, written by
// scripts/fixtures/torch_constraints.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { distributions as D, tensor, type Tensor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';
import { FAMILIES } from './helpers/families.js';
import { closeToTorch as close, f64, type Nested } from './helpers/torch-rows.js';

const C = D.constraints;
interface CheckRow {
  value: Nested;
  check: Nested;
  eventDim: number;
  isDiscrete: boolean;
  repr: string;
}
interface MapRow {
  y: Nested;
  inside: Nested;
  bijective: boolean;
  inverse?: Nested;
  ladj: Nested | null;
}
interface Described {
  repr: string;
  eventDim: number;
  isDiscrete: boolean;
}
const FIX = JSON.parse(readFileSync(new URL('./fixtures/torch-constraints.json', import.meta.url), 'utf8')) as {
  checks: Record<string, CheckRow>;
  registry: Record<string, { x: Nested; bijectTo: MapRow | null; transformTo: MapRow | null }>;
  catStack: Record<string, { x: Nested; y: Nested; inverse: Nested; ladj: Nested }>;
  supports: Record<string, Described>;
  argConstraints: Record<string, Record<string, string>>;
  transforms: Record<
    string,
    { domain: string; codomain: string; domainEventDim: number; codomainEventDim: number; bijective: boolean }
  >;
};

// torch's repr in our spelling: camelCase bounds, integral floats without '.0'; Cat, Stack and
// Multinomial print their arguments here but not in torch, so only their names are compared.
const normal = (r: string) =>
  r
    .replace(/lower_bound/g, 'lowerBound')
    .replace(/upper_bound/g, 'upperBound')
    .replace(/(\d)\.0\b/g, '$1')
    .replace(/\b(Cat|Stack|Multinomial)\(.*\)$/, '$1()');

const CONSTRAINTS: Record<string, D.constraints.Constraint> = {
  real: C.real,
  realVector: C.realVector,
  boolean: C.boolean,
  oneHot: C.oneHot,
  nonnegativeInteger: C.nonnegativeInteger,
  positiveInteger: C.positiveInteger,
  integerInterval: C.integerInterval(1, 4),
  positive: C.positive,
  nonnegative: C.nonnegative,
  greaterThan: C.greaterThan(2),
  greaterThanEq: C.greaterThanEq(2),
  lessThan: C.lessThan(-1),
  interval: C.interval(-1, 2),
  halfOpenInterval: C.halfOpenInterval(-1, 2),
  unitInterval: C.unitInterval,
  simplex: C.simplex,
  lowerTriangular: C.lowerTriangular,
  lowerCholesky: C.lowerCholesky,
  corrCholesky: C.corrCholesky,
  square: C.square,
  symmetric: C.symmetric,
  positiveSemidefinite: C.positiveSemidefinite,
  positiveDefinite: C.positiveDefinite,
  independent: C.independent(C.positive, 1),
  multinomial: C.multinomial(3),
  cat: C.cat([C.positive, C.unitInterval], 1, [2, 1]),
  stack: C.stack([C.positive, C.unitInterval], 1),
};

// The registry's cases: CONSTRAINTS' own where torch's fixture uses the same constraint.
const SAME = [
  ...['real', 'realVector', 'positive', 'nonnegative', 'greaterThan', 'greaterThanEq', 'lessThan', 'interval'],
  ...['halfOpenInterval', 'unitInterval', 'simplex', 'lowerCholesky', 'corrCholesky'],
];
const REGISTERED: Record<string, D.constraints.Constraint> = {
  ...Object.fromEntries(SAME.map((k) => [k, CONSTRAINTS[k]])),
  independent: C.independent(C.interval(-1, 2), 1),
  cat: C.cat([C.positive, C.unitInterval, C.real], 1, [2, 1, 1]),
  stack: C.stack([C.positive, C.lessThan(1)], 1),
};

const t64 = (v: number | number[]) => tensor(v, { dtype: 'float64' });

const TRANSFORMS: Record<string, () => D.Transform> = {
  Exp: () => new D.ExpTransform(),
  Affine: () => new D.AffineTransform(0, 2),
  Sigmoid: () => new D.SigmoidTransform(),
  Tanh: () => new D.TanhTransform(),
  Softplus: () => new D.SoftplusTransform(),
  Power: () => new D.PowerTransform(2),
  StickBreaking: () => new D.StickBreakingTransform(),
  Softmax: () => new D.SoftmaxTransform(),
  LowerCholesky: () => new D.LowerCholeskyTransform(),
  CorrCholesky: () => new D.CorrCholeskyTransform(),
  Abs: () => new D.AbsTransform(),
  Independent: () => new D.IndependentTransform(new D.SigmoidTransform(), 2),
  Reshape: () => new D.ReshapeTransform([6], [2, 3]),
  Compose: () => new D.ComposeTransform([new D.StickBreakingTransform(), new D.AffineTransform(0, 2)]),
  ComposeEmpty: () => new D.ComposeTransform([]),
  Cdf: () => new D.CumulativeDistributionTransform(new D.Normal(0, 1)),
  Cat: () => new D.CatTransform([new D.ExpTransform(), new D.SigmoidTransform()], 0, [1, 2]),
  Stack: () => new D.StackTransform([new D.ExpTransform(), new D.TanhTransform()], 1),
};

const bools = (t: Tensor) => t.toArray();

describe('constraints', () => {
  it("each constraint's check, eventDim, isDiscrete and name are torch's", () => {
    expect(Object.keys(CONSTRAINTS).sort()).toEqual(Object.keys(FIX.checks).sort());
    for (const [name, row] of Object.entries(FIX.checks)) {
      const c = CONSTRAINTS[name];
      expect(bools(c.check(f64(row.value))), name).toEqual(row.check);
      expect(c.eventDim, `${name} eventDim`).toBe(row.eventDim);
      expect(c.isDiscrete, `${name} isDiscrete`).toBe(row.isDiscrete);
      expect(normal(c.toString()), `${name} name`).toBe(normal(row.repr));
    }
  });

  it('bounds may be tensors, broadcast against the value; checks keep float32 and integer values', () => {
    const c = C.interval(tensor([0, 1]), tensor([1, 3]));
    expect(c.check(tensor([[0.5, 0.5]])).toArray()).toEqual([[true, false]]);
    expect(
      C.greaterThanEq(tensor([[0], [2]]))
        .check(tensor([1, 2]))
        .toArray(),
    ).toEqual([
      [true, true],
      [false, true],
    ]);
    expect(C.nonnegativeInteger.check(tensor([0, -1, 2], { dtype: 'int64' })).toArray()).toEqual([true, false, true]);
    expect(C.integerInterval(0, 2).check(tensor([0.5, 2]))).toBeDefined();
    expect(
      C.integerInterval(0, 2)
        .check(tensor([0.5, 2]))
        .toArray(),
    ).toEqual([false, true]);
    expect(C.interval(tensor(0), tensor([1, 2])).toString()).toBe(
      'Interval(lowerBound=0, upperBound=tensor of shape [2])',
    );
    // an event constraint refuses values with too few dims
    expectTensorError(
      () => C.lowerCholesky.check(tensor([1, 2])),
      'SHAPE_MISMATCH',
      /LowerCholesky\(\)\.check: .*at least 2 dims/,
    );
    expectTensorError(() => C.cat([C.real], 1, [2]).check(tensor([[1, 2, 3]])), 'SHAPE_MISMATCH', /lengths sum to 2/);
    expectTensorError(() => C.stack([C.real], 2).check(tensor([[1]])), 'SHAPE_MISMATCH', /dim 2 is out of range/);
  });

  it('dependent constraints cannot be checked; dependentWith states what is known', () => {
    expect(C.isDependent(C.dependent)).toBe(true);
    expect(C.isDependent(C.real)).toBe(false);
    expectTensorError(() => C.dependent.check(tensor([1])), 'NOT_IMPLEMENTED', /cannot determine the validity/);
    expectTensorError(() => C.dependent.eventDim, 'NOT_IMPLEMENTED', /eventDim cannot be determined statically/);
    const d = C.dependentWith({ isDiscrete: true, eventDim: 1 });
    expect([d.isDiscrete, d.eventDim, C.isDependent(d)]).toEqual([true, 1, true]);
  });

  it('arguments are checked by name', () => {
    expectTensorError(
      () => C.interval('a' as never, 1),
      'INVALID_ARGUMENT',
      /constraints\.interval: lowerBound must be a number or a tensor, got "a"/,
    );
    expectTensorError(() => C.greaterThan(NaN), 'INVALID_ARGUMENT', /greaterThan: lowerBound/);
    expectTensorError(() => C.independent({} as never, 1), 'INVALID_ARGUMENT', /baseConstraint must be a Constraint/);
    expectTensorError(() => C.independent(C.real, -1), 'INVALID_ARGUMENT', /reinterpretedBatchNdims/);
    expectTensorError(() => C.cat([], 0), 'INVALID_ARGUMENT', /non-empty array of Constraints/);
    expectTensorError(() => C.cat([C.real], 0, [1, 2]), 'INVALID_ARGUMENT', /one length per constraint \(1\)/);
    expectTensorError(() => C.stack([C.real], 0.5), 'INVALID_ARGUMENT', /dim must be an integer/);
    expectTensorError(() => C.multinomial(-1), 'INVALID_ARGUMENT', /upperBound/);
    expectTensorError(() => C.real.check([1] as never), 'INVALID_ARGUMENT', /check/);
  });
});

describe('bijectTo and transformTo', () => {
  it("map unconstrained values onto each constraint as torch's, with the same inverse and log-Jacobian", () => {
    for (const [name, row] of Object.entries(FIX.registry)) {
      for (const which of ['bijectTo', 'transformTo'] as const) {
        const want = row[which];
        const label = `${which}(${name})`;
        if (want === null) {
          expectTensorError(() => D[which].call(REGISTERED[name]), 'NOT_IMPLEMENTED', /cannot transform/);
          continue;
        }
        const t = D[which].call(REGISTERED[name]);
        const x = f64(row.x);
        const y = t.forward(x);
        close(y, want.y, `${label} forward`, 1e-12);
        expect(bools(REGISTERED[name].check(y)), `${label} inside`).toEqual(want.inside);
        expect(t.bijective, `${label} bijective`).toBe(want.bijective);
        if (want.inverse !== undefined) close(t.inverse(y), want.inverse, `${label} inverse`, 1e-9);
        if (want.ladj === null) expect(() => t.logAbsDetJacobian(x, y), label).toThrow();
        else close(t.logAbsDetJacobian(x, y), want.ladj, `${label} ladj`, 1e-12);
      }
    }
  });

  it('optimising through transformTo keeps a parameter inside its constraint', () => {
    // A positive scale learned as exp of an unconstrained value: the fit reaches the sample's scale.
    tk.manualSeed(3);
    const data = tk.randn([400], { dtype: 'float64' }).mul(2.5);
    const raw = tk.zeros([], { dtype: 'float64', requiresGrad: true });
    const opt = new tk.optim.Adam([raw], { lr: 0.05 });
    const toPositive = D.transformTo.call(C.positive);
    for (let i = 0; i < 300; i++) {
      opt.zeroGrad();
      tk.tidy(() => {
        const scale = toPositive.forward(raw);
        new D.Normal(0, scale).logProb(data).mean().neg().backward();
      });
      opt.step();
    }
    const fitted = toPositive.forward(raw).item();
    const mle = Math.sqrt(data.square().mean().item());
    expect(Math.abs(fitted - mle)).toBeLessThan(1e-3);
  });

  it('registries take new constraint classes; lookups are by exact class, as torch', () => {
    class Even extends C.Constraint {
      protected test(v: Tensor) {
        return v.remainder(2).eq(0) as Tensor<'bool'>;
      }
    }
    const registry = new D.ConstraintRegistry('mine');
    expectTensorError(
      () => registry.call(new Even()),
      'NOT_IMPLEMENTED',
      /mine\.call: cannot transform Even\(\) constraints/,
    );
    registry.register(Even, () => new D.AffineTransform(0, 2));
    expect(
      registry
        .call(new Even())
        .forward(tensor([1.5]))
        .toArray(),
    ).toEqual([3]);
    expect(new Even().check(tensor([2, 3])).toArray()).toEqual([true, false]);
    expectTensorError(
      () => registry.register({} as never, () => new D.ExpTransform()),
      'INVALID_ARGUMENT',
      /Constraint class/,
    );
    expectTensorError(
      () => registry.register(Even, class {} as never),
      'INVALID_ARGUMENT',
      /'factory' must be a function, got the class/,
    );
    registry.register(C.real, () => 1 as never);
    expectTensorError(() => registry.call(C.real), 'INVALID_ARGUMENT', /returned 1, not a Transform/);
    expectTensorError(() => D.bijectTo.call(C.boolean), 'NOT_IMPLEMENTED', /cannot transform Boolean\(\)/);
    expectTensorError(() => D.bijectTo.call('positive' as never), 'INVALID_ARGUMENT', /expected a Constraint/);
    expect(D.identityTransform.forward(tensor([1, 2])).toArray()).toEqual([1, 2]);
  });
});

describe('CatTransform and StackTransform', () => {
  const make: Record<string, () => D.Transform> = {
    cat_dim1: () =>
      new D.CatTransform([new D.ExpTransform(), new D.SigmoidTransform(), new D.AffineTransform(1, -2)], 1, [2, 2, 1]),
    cat_dim0: () => new D.CatTransform([new D.ExpTransform(), new D.TanhTransform()], 0, [1, 3]),
    cat_event: () =>
      new D.CatTransform(
        [new D.IndependentTransform(new D.ExpTransform(), 1), new D.IndependentTransform(new D.TanhTransform(), 1)],
        1,
        [1, 1],
      ),
    stack_dim1: () => new D.StackTransform([new D.ExpTransform(), new D.SigmoidTransform()], 1),
  };
  it("forward, inverse and log-Jacobian are torch's", () => {
    for (const [name, row] of Object.entries(FIX.catStack)) {
      const t = make[name]();
      const x = f64(row.x);
      const y = t.forward(x);
      close(y, row.y, `${name} forward`, 1e-12);
      close(t.inverse(y), row.inverse, `${name} inverse`, 1e-9);
      close(t.logAbsDetJacobian(x, y), row.ladj, `${name} ladj`, 1e-12);
    }
  });

  it('a CatTransform of monotone parts drives a TransformedDistribution; shapes and parts are checked', () => {
    // Two positive coordinates and one in (0, 1) from a 3-vector Normal.
    const t = new D.CatTransform([new D.ExpTransform(), new D.SigmoidTransform()], -1, [2, 1]);
    const base = new D.Independent(new D.Normal(tk.zeros([3], { dtype: 'float64' }), 1), 1);
    const d = new D.TransformedDistribution(base, [t]);
    const y = t64([1.5, 0.2, 0.3]);
    const x = t.inverse(y);
    const want = base.logProb(x).sub(t.logAbsDetJacobian(x, y).sum(-1));
    expect(d.logProb(y).item()).toBeCloseTo(want.item(), 12);
    expect(d.support.toString()).toMatch(/^IndependentConstraint\(Cat\(\[GreaterThan\(lowerBound=0\), Interval/);
    expectTensorError(
      () => d.logProb(t64([1.5, -0.2, 0.3])),
      'INVALID_ARGUMENT',
      /within the support .*got the event \[1.5, -0.2, 0.3\]/,
    );
    expectTensorError(
      () => t.forward(tk.zeros([4])),
      'SHAPE_MISMATCH',
      /CatTransform\.forward: dim -1 has size 4, the lengths sum to 3/,
    );
    expectTensorError(
      () => new D.StackTransform([new D.ExpTransform()], 0).forward(tk.zeros([2])),
      'SHAPE_MISMATCH',
      /one entry per transform \(1\)/,
    );
    expectTensorError(
      () => new D.CatTransform([new D.CorrCholeskyTransform()]),
      'INVALID_ARGUMENT',
      /CatTransform: each part must keep its event dims, CorrCholeskyTransform maps 1 to 2/,
    );
    expectTensorError(() => new D.CatTransform([]), 'INVALID_ARGUMENT', /non-empty array of Transforms/);
    expectTensorError(
      () => new D.CatTransform([new D.ExpTransform(), new D.AffineTransform(0, -1)]).sign,
      'NOT_IMPLEMENTED',
      /different signs/,
    );
  });
});

describe('supports and transform domains', () => {
  it("every family's support is torch's", () => {
    for (const [name, want] of Object.entries(FIX.supports)) {
      const s = FAMILIES[name]().support;
      expect(normal(s.toString()), name).toBe(normal(want.repr));
      expect(s.eventDim, `${name} eventDim`).toBe(want.eventDim);
      expect(s.isDiscrete, `${name} isDiscrete`).toBe(want.isDiscrete);
    }
  });

  it("every family's argConstraints are torch's", () => {
    for (const [name, want] of Object.entries(FIX.argConstraints)) {
      const got = FAMILIES[name]().argConstraints;
      expect(Object.keys(got).sort(), name).toEqual(Object.keys(want).sort());
      for (const [k, c] of Object.entries(got)) expect(normal(c.toString()), `${name}.${k}`).toBe(normal(want[k]));
    }
    // a constrained parameter is reached from unconstrained values through transformTo
    const scale = D.transformTo.call(new D.Normal(0, 1).argConstraints.scale).forward(tensor([-3, 0, 3]));
    expect(scale.gt(0).all().item()).toBe(true);
    expect(D.constraints.isDependent(new D.Uniform(0, 1).argConstraints.low)).toBe(true);
  });

  it("every transform's domain, codomain and bijectivity are torch's", () => {
    for (const [name, want] of Object.entries(FIX.transforms)) {
      const t = TRANSFORMS[name]();
      expect(normal(t.domain.toString()), `${name} domain`).toBe(normal(want.domain));
      expect(normal(t.codomain.toString()), `${name} codomain`).toBe(normal(want.codomain));
      expect([t.domain.eventDim, t.codomain.eventDim], `${name} event dims`).toEqual([
        want.domainEventDim,
        want.codomainEventDim,
      ]);
      expect(t.bijective, `${name} bijective`).toBe(want.bijective);
    }
  });

  it('samples lie in the support; validation names the first event outside', () => {
    const draws: [string, D.Distribution][] = [
      ['Dirichlet', new D.Dirichlet(tk.ones([4, 3]))],
      ['LKJCholesky', new D.LKJCholesky(4, 0.7)],
      ['Wishart', new D.Wishart(5, { covarianceMatrix: tk.eye(3, { dtype: 'float64' }) })],
      ['Multinomial', new D.Multinomial(6, { probs: tensor([0.2, 0.3, 0.5]) })],
      ['LogisticNormal', new D.LogisticNormal(tk.zeros([3]), 1)],
    ];
    for (const [name, d] of draws)
      expect(
        d.support
          .check(d.sample([50]))
          .all()
          .item(),
        name,
      ).toBe(true);
    expectTensorError(
      () =>
        new D.Multinomial(3, { probs: tensor([0.5, 0.5]) }).logProb(
          tensor([
            [1, 2],
            [1, 1.5],
          ]),
        ),
      'INVALID_ARGUMENT',
      /Multinomial\.logProb: the value must be within the support \(Multinomial\(upperBound=3\)\), got the event \[1, 1.5\] at index 1/,
    );
  });
});
