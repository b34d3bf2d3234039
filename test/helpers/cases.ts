// The op tables: every native op has at least one row here (a test checks it). Each row runs
// the native op and its plain reference on the same logical inputs in every layout.
import * as tk from '../../src/index.js';
import type { DType, Tensor } from '../../src/index.js';
import type { OpName } from '../../src/ops/ops.generated.js';
import { BINARY_OPS, callOp, methodOf, ruleOf, UNARY_DOMAIN, UNARY_OPS, type BinaryName } from './elementwise.js';
import * as plain from '../../src/plain/index.js';
import type { PlainTensor } from '../../src/plain/index.js';
import type { InputSpec, Layout, Tol } from './harness.js';
import { embeddingCases, indexCases, nnCases, optimCases } from './cases-nn.js';
import { attentionCases, scatterCases } from './cases-index.js';
import { ctcCases, lossCases } from './cases-loss.js';
import { layerNormCases, normCases } from './cases-norm.js';
import { imageCases } from './cases-image.js';
import { decompCases } from './cases-decomp.js';

export interface OpCase {
  /** Native ops this row exercises. */
  ops: OpName[];
  name: string;
  inputs: InputSpec[];
  native: (...xs: Tensor[]) => Tensor;
  plain: (...xs: PlainTensor[]) => PlainTensor;
  /** Layouts to try for each input in turn (default: all). */
  layouts?: Layout[];
  tol?: Tol;
}

const WRITABLE: Layout[] = ['contiguous', 'transposed', 'narrowed'];
const POSITIVE_INT: [number, number] = [1, 9];
// The bitwise ops take integers and bool (the rest: floats, and integers computed as float32).
const unaryDtypes = (name: (typeof UNARY_OPS)[number]): DType[] =>
  ruleOf(name).rule === 'BITWISE' ? ['int32', 'int64', 'bool'] : ['float32', 'float64', 'int32'];
export const unaryCases: OpCase[] = UNARY_OPS.flatMap((name) =>
  unaryDtypes(name).flatMap((dtype) => {
    const { rule, inplace } = ruleOf(name);
    const domain = UNARY_DOMAIN[name];
    const range: [number, number] = domain ? (dtype === 'int32' ? POSITIVE_INT : domain) : [-3, 3];
    const spec = { shape: [3, 4], dtype, range };
    const call = (x: Tensor) => callOp(name, x);
    const rows: OpCase[] = [
      { ops: [name], name: `${name} ${dtype}`, inputs: [spec], native: call, plain: (x) => plain.unary(name, x) },
      {
        ops: [name],
        name: `${name} ${dtype} 3-d`,
        inputs: [{ ...spec, shape: [2, 3, 5] }],
        native: call,
        plain: (x) => plain.unary(name, x),
      },
    ];
    // An integer tensor cannot hold a FLOAT op's result in place.
    if (inplace && (dtype !== 'int32' || rule === 'NUMERIC' || rule === 'BITWISE')) {
      const op = `${name}_` as OpName;
      rows.push({
        ops: [op],
        name: `${op} ${dtype}`,
        inputs: [spec],
        layouts: WRITABLE,
        native: (x) => (x[methodOf(op) as keyof Tensor] as () => Tensor).call(x),
        plain: (x) => plain.unary(name, x),
      });
    }
    return rows;
  }),
);

// Large enough for the tiled path of transposed operands (64 x 64 tiles), with remainders.
export const tiledCases: OpCase[] = [
  ...(['float32', 'float64', 'int32', 'int64'] as DType[]).flatMap((dtype): OpCase[] => [
    {
      ops: ['neg'],
      name: `neg ${dtype} [133, 70] (tiled)`,
      inputs: [{ shape: [133, 70], dtype }],
      native: (x) => x.neg(),
      plain: (x) => plain.unary('neg', x),
    },
    {
      ops: ['add'],
      name: `add ${dtype} [2, 67, 130] (tiled)`,
      inputs: [
        { shape: [2, 67, 130], dtype },
        { shape: [2, 67, 130], dtype },
      ],
      native: (a, b) => a.add(b),
      plain: (a, b) => plain.binary('add', a, b),
    },
  ]),
  {
    ops: ['to_dtype'],
    name: 'to bool [65, 129] (tiled, 1-byte)',
    inputs: [{ shape: [65, 129] }],
    native: (x) => x.to('bool'),
    plain: (x) => plain.to(x, 'bool'),
  },
  {
    ops: ['contiguous'],
    name: 'contiguous bool [65, 129] (tiled)',
    inputs: [{ shape: [65, 129], dtype: 'bool' }],
    native: (x) => x.contiguous(),
    plain: (x) => plain.clone(x),
  },
  {
    ops: ['exp_'],
    name: 'exp_ in place on a transposed view (tiled output)',
    layouts: ['transposed'],
    inputs: [{ shape: [100, 90] }],
    native: (x) => x.exp_(),
    plain: (x) => plain.unary('exp', x),
  },
];

// polygamma carries its order n: digamma (0), trigamma (1, its own series) and the zeta form (2, 3).
export const polygammaCases: OpCase[] = [0, 1, 2, 3].flatMap((n) =>
  (['float32', 'float64', 'int32'] as DType[]).map((dtype): OpCase => ({
    ops: ['polygamma'],
    name: `polygamma(${n}) ${dtype}`,
    inputs: [{ shape: [3, 4], dtype, range: dtype === 'int32' ? [1, 9] : [0.2, 6] }],
    native: (x) => x.polygamma(n),
    plain: (x) => plain.polygamma(n, x),
    // trigamma is torch's algorithm, ~5e-10 from the exact value the reference sums to
    ...(n === 1 && dtype !== 'float32' ? { tol: { rtol: 1e-9 } } : {}),
  })),
);

export const clampCases: OpCase[] = [
  ...(['float32', 'float64', 'int32'] as DType[]).map((dtype): OpCase => ({
    ops: ['clamp'],
    name: `clamp ${dtype}`,
    inputs: [{ shape: [4, 5], dtype }],
    native: (x) => x.clamp(-1, 2),
    plain: (x) => plain.clamp(x, -1, 2),
  })),
  {
    ops: ['clamp'],
    name: 'clamp min only',
    inputs: [{ shape: [4, 5] }],
    native: (x) => x.clamp(0),
    plain: (x) => plain.clamp(x, 0),
  },
  {
    ops: ['clamp'],
    name: 'clamp max only',
    inputs: [{ shape: [4, 5] }],
    native: (x) => x.clamp(null, 0.5),
    plain: (x) => plain.clamp(x, null, 0.5),
  },
  {
    ops: ['clamp'],
    name: 'clamp int32 to a fractional bound is float32',
    inputs: [{ shape: [4, 5], dtype: 'int32' }],
    native: (x) => x.clamp(-1.5, 1.5),
    plain: (x) => plain.clamp(x, -1.5, 1.5),
  },
  {
    ops: ['clamp_'],
    name: 'clamp_',
    inputs: [{ shape: [4, 5] }],
    layouts: WRITABLE,
    native: (x) => x.clamp_(-1, 1),
    plain: (x) => plain.clamp(x, -1, 1),
  },
];

type Bin = BinaryName;
const BINARY: Bin[] = BINARY_OPS;
// Rules that accept bool operands (ARITH_NOBOOL and TRUEDIV do not: PyTorch refuses bool - bool).
const boolOk = (op: Bin) => ruleOf(op).rule === 'ARITH' || ruleOf(op).rule === 'COMPARE';
const SHAPES: [number[], number[]][] = [
  [
    [3, 4],
    [3, 4],
  ],
  [
    [3, 1],
    [1, 4],
  ],
  [[2, 3, 4], [4]],
  [[4], [2, 3, 4]],
  [[3, 4], []],
];
const DTYPE_PAIRS: [DType, DType][] = [
  ['float32', 'float32'],
  ['float64', 'float64'],
  ['int32', 'int32'],
  ['int32', 'float32'],
  ['int64', 'float64'],
  ['float32', 'int64'],
  ['bool', 'bool'],
];

// The dtype pairs each rule takes: the bitwise ops integers (and bool), nextafter floats.
const INTEGER_PAIRS: [DType, DType][] = [
  ['int32', 'int32'],
  ['int64', 'int64'],
  ['int32', 'int64'],
];
function pairsFor(op: Bin): [DType, DType][] {
  const { rule } = ruleOf(op);
  if (rule === 'INTEGER') return INTEGER_PAIRS;
  if (rule === 'BITWISE') return [...INTEGER_PAIRS, ['bool', 'bool'], ['bool', 'int32']];
  if (rule === 'FLOAT_ONLY') return DTYPE_PAIRS.filter(([a, b]) => a.startsWith('float') && b.startsWith('float'));
  return DTYPE_PAIRS.filter(([a]) => a !== 'bool' || boolOk(op));
}

function binRange(op: Bin, dtype: DType, second: boolean): [number, number] {
  // zeta(x, q): x > 1, q > 0; the incomplete gamma functions: a > 0, x >= 0
  if (op === 'zeta') return second ? [0.5, 4] : [1.5, 5];
  if (op === 'gammainc' || op === 'gammaincc') return second ? [0, 6] : [0.5, 5];
  // shift amounts within the width and beyond it (torch's 0 / sign fill)
  if ((op === 'bitwise_left_shift' || op === 'bitwise_right_shift') && second) return [-2, 40];
  if (op === 'pow')
    return second ? (dtype.startsWith('int') ? [0, 4] : [-2, 2]) : dtype.startsWith('int') ? [-3, 3] : [0.5, 2];
  if (op === 'div' && second) return [1, 4];
  // integer division by zero throws (errors.test.ts); negative divisors: elementwise.test.ts
  if ((op === 'remainder' || op === 'fmod' || op === 'floor_divide') && second && !dtype.startsWith('float'))
    return [1, 4];
  return [-4, 4];
}

export const binaryCases: OpCase[] = BINARY.flatMap((op) =>
  pairsFor(op).flatMap(([da, db]) =>
    SHAPES.map(([sa, sb]): OpCase => ({
      ops: [op],
      name: `${op} ${da}[${sa}] ${db}[${sb}]`,
      inputs: [
        { shape: sa, dtype: da, range: binRange(op, da, false) },
        { shape: sb, dtype: db, range: binRange(op, db, true) },
      ],
      native: (a, b) => call(a, op, b),
      plain: (a, b) => plain.binary(op, a, b),
    })),
  ),
);

// a.op(b), or the op's nn function (nn.grad.gelu(a, b))
const call = (a: Tensor, op: Bin, b: Tensor | number): Tensor => callOp(op, a, b);

export const scalarCases: OpCase[] = (['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'lt', 'eq'] as Bin[]).flatMap(
  (op) =>
    (['float32', 'int32', 'float64'] as DType[]).flatMap((dtype) =>
      // pow's 1, 2, 3 and -1 take the kernel's multiply paths (cpu/elementwise.cpp). Integers to a
      // negative number throw (as torch; errors.test.ts): a 0-dim tensor exponent computes them.
      (op === 'pow' ? [2, 0.5, -3, 1, 3, -1] : [2, 0.5, -3]).map((s): OpCase => {
        const exponent = op === 'pow' && dtype === 'int32' && s < 0;
        return {
          ops: [op],
          name: `${op} ${dtype} ${exponent ? '0-dim tensor' : 'scalar'} ${s}`,
          inputs: [{ shape: [3, 4], dtype, range: op === 'pow' ? [1, 3] : [-4, 4] }],
          native: (a) => (exponent ? tk.tidy(() => call(a, op, tk.tensor(s, { dtype }))) : call(a, op, s)),
          plain: (a) => plain.binary(op, a, exponent ? plain.plainTensor(s, dtype, []) : s),
        };
      }),
    ),
);

// Every binary op with an in-place row, in the dtypes its rule takes.
export const inplaceBinaryCases: OpCase[] = BINARY.filter((b) => ruleOf(b).inplace).flatMap((base) => {
  const op = `${base}_` as Bin;
  const { rule } = ruleOf(base);
  const dtypes: DType[] = rule === 'BITWISE' || rule === 'INTEGER' ? ['int32', 'int64'] : ['float32', 'float64'];
  return dtypes.flatMap((dtype) => [
    {
      ops: [op as OpName],
      name: `${op} ${dtype} broadcast`,
      layouts: WRITABLE,
      inputs: [
        { shape: [3, 4], dtype, range: binRange(base, dtype, false) },
        { shape: [4], dtype, range: binRange(base, dtype, true) },
      ],
      native: (a: Tensor, b: Tensor) => call(a, op, b),
      plain: (a: PlainTensor, b: PlainTensor) => plain.binary(base, a, b),
    },
    {
      ops: [op as OpName],
      name: `${op} ${dtype} scalar`,
      layouts: WRITABLE,
      inputs: [{ shape: [3, 4], dtype, range: binRange(base, dtype, false) }],
      native: (a: Tensor) => call(a, op, 2),
      plain: (a: PlainTensor) => plain.binary(base, a, 2),
    },
  ]);
});

export const writeCases: OpCase[] = [
  {
    ops: ['where'],
    name: 'where broadcast',
    inputs: [{ shape: [3, 4], dtype: 'bool' }, { shape: [3, 4] }, { shape: [4], dtype: 'float64' }],
    native: (c, a, b) => tk.where(c, a, b),
    plain: (c, a, b) => plain.where(c, a, b),
  },
  {
    ops: ['where'],
    name: 'where scalar',
    inputs: [{ shape: [3, 4], dtype: 'bool' }, { shape: [3, 4] }],
    native: (c, a) => tk.where(c, a, 0),
    plain: (c, a) => plain.where(c, a, 0),
  },
  {
    ops: ['copy_'],
    name: 'copy_ broadcast + cast',
    layouts: WRITABLE,
    inputs: [{ shape: [3, 4] }, { shape: [4], dtype: 'int32' }],
    native: (a, b) => a.copy_(b),
    plain: (a, b) => plain.to(plain.expand(b, [3, 4]), 'float32'),
  },
  {
    ops: ['fill_'],
    name: 'fill_',
    layouts: WRITABLE,
    inputs: [{ shape: [3, 4] }],
    native: (a) => a.fill_(2.5),
    plain: () => plain.full([3, 4], 2.5),
  },
  {
    ops: ['zero_'],
    name: 'zero_',
    layouts: WRITABLE,
    inputs: [{ shape: [3, 4], dtype: 'int32' }],
    native: (a) => a.zero_(),
    plain: () => plain.zeros([3, 4], 'int32'),
  },
];

/** One tensor of a { values, indices } pair; the other is disposed. */
function pick(r: { values: Tensor; indices: Tensor }, key: 'values' | 'indices'): Tensor {
  r[key === 'values' ? 'indices' : 'values'].dispose();
  return r[key];
}

const DIMS: (number | number[] | undefined)[] = [undefined, 0, 1, -1, [0, 2], [2, 0]];
export const reduceCases: OpCase[] = [
  ...(['sum', 'mean', 'max', 'min'] as const).flatMap((op) =>
    (op === 'mean' ? ['float32', 'float64'] : ['float32', 'float64', 'int32']).flatMap((dtype) =>
      DIMS.flatMap((dim) =>
        [false, true].map((keepdim): OpCase => ({
          ops: [op],
          name: `${op} ${dtype} dim=${JSON.stringify(dim)} keepdim=${keepdim}`,
          inputs: [{ shape: [3, 4, 5], dtype: dtype as DType }],
          native: (x) => x[op](dim, { keepdim }),
          plain: (x) => plain[op](x, dim, keepdim),
        })),
      ),
    ),
  ),
  // Reduced dims on both sides of the kept ones (a convolution's bias gradient over [N, C, H, W]):
  // two passes in memory order for float32/float64 sums and means, integer sums, max and min; the
  // size-1 dims of the second shape belong to neither block.
  ...(['sum', 'mean', 'max', 'min'] as const).flatMap((op) =>
    (op === 'mean' ? ['float32', 'float64'] : ['float32', 'float64', 'int32']).flatMap((dtype) =>
      (
        [
          [
            [2, 3, 4, 5],
            [0, 2, 3],
          ],
          [
            [3, 1, 4, 1, 5, 2],
            [0, 1, 4, 5],
          ],
        ] as const
      ).flatMap(([shape, dim]) =>
        [false, true].map((keepdim): OpCase => ({
          ops: [op],
          name: `${op} ${dtype} [${shape}] dim=${JSON.stringify(dim)} keepdim=${keepdim}`,
          inputs: [{ shape: [...shape], dtype: dtype as DType }],
          native: (x) => x[op]([...dim], { keepdim }),
          plain: (x) => plain[op](x, [...dim], keepdim),
        })),
      ),
    ),
  ),
  ...(['argmax', 'argmin'] as const).flatMap((op) =>
    [undefined, 0, 2, -2].flatMap((dim) =>
      [false, true].map((keepdim): OpCase => ({
        ops: [op],
        name: `${op} dim=${dim} keepdim=${keepdim}`,
        inputs: [{ shape: [3, 4, 5], dtype: 'int32', range: [-3, 3] }],
        native: (x) => x[op](dim, { keepdim }),
        plain: (x) => plain[op](x, dim, keepdim),
      })),
    ),
  ),
  ...(['maxWithIndices', 'minWithIndices'] as const).flatMap((op) => [
    {
      ops: [op === 'maxWithIndices' ? 'max_with_indices' : 'min_with_indices'] as OpName[],
      name: `${op} values`,
      inputs: [{ shape: [3, 4, 5] }],
      native: (x: Tensor) => pick(x[op](1), 'values'),
      plain: (x: PlainTensor) => plain[op](x, 1).values,
    },
    {
      ops: [op === 'maxWithIndices' ? 'max_with_indices' : 'min_with_indices'] as OpName[],
      name: `${op} indices keepdim`,
      inputs: [{ shape: [3, 4, 5], dtype: 'int32' as DType }],
      native: (x: Tensor) => pick(x[op](-1, { keepdim: true }), 'indices'),
      plain: (x: PlainTensor) => plain[op](x, -1, true).indices,
    },
  ]),
  ...(['var', 'std'] as const).flatMap((op) =>
    [undefined, 1, [0, 2]].flatMap((dim) =>
      [0, 1].map((correction): OpCase => ({
        ops: [op],
        name: `${op} dim=${JSON.stringify(dim)} correction=${correction}`,
        inputs: [{ shape: [3, 4, 5], dtype: 'float64' }],
        native: (x) => x[op](dim, { correction }),
        plain: (x) => (op === 'var' ? plain.variance : plain.std)(x, dim, correction, false),
      })),
    ),
  ),
  ...(['softmax', 'logSoftmax', 'cumsum'] as const).flatMap((op) =>
    [0, 1, -1].flatMap((dim) =>
      (op === 'cumsum' ? ['float32', 'int32'] : ['float32', 'float64']).map((dtype): OpCase => ({
        ops: [op === 'logSoftmax' ? 'log_softmax' : op],
        name: `${op} ${dtype} dim=${dim}`,
        inputs: [{ shape: [3, 4, 5], dtype: dtype as DType, range: [-20, 20] }],
        native: (x) => x[op](dim),
        plain: (x) => plain[op](x, dim),
      })),
    ),
  ),
  {
    ops: ['sum'],
    name: 'sum of a large vector (parallel path)',
    inputs: [{ shape: [200_003], range: [0, 1] }],
    layouts: ['contiguous', 'narrowed'],
    native: (x) => x.sum(),
    plain: (x) => plain.sum(x),
    tol: { rtol: 1e-5 },
  },
  {
    ops: ['sum', 'max'],
    name: 'sum of bool counts',
    inputs: [{ shape: [6, 7], dtype: 'bool' }],
    native: (x) => x.sum(1),
    plain: (x) => plain.sum(x, 1),
  },
];

export const viewCases: OpCase[] = [
  {
    ops: ['reshape'],
    name: 'reshape',
    inputs: [{ shape: [3, 4, 5] }],
    native: (x) => x.reshape(5, -1),
    plain: (x) => plain.reshape(x, [5, -1]),
  },
  {
    ops: ['view'],
    name: 'view',
    layouts: ['contiguous', 'narrowed'],
    inputs: [{ shape: [3, 4, 5] }],
    native: (x) => x.view([12, 5]),
    plain: (x) => plain.reshape(x, [12, 5]),
  },
  {
    ops: ['transpose'],
    name: 'transpose',
    inputs: [{ shape: [3, 4, 5] }],
    native: (x) => x.transpose(0, 2),
    plain: (x) => plain.transpose(x, 0, 2),
  },
  {
    ops: ['permute'],
    name: 'permute',
    inputs: [{ shape: [3, 4, 5] }],
    native: (x) => x.permute(2, 0, 1),
    plain: (x) => plain.permute(x, [2, 0, 1]),
  },
  {
    ops: ['expand'],
    name: 'expand',
    inputs: [{ shape: [3, 1, 5] }],
    native: (x) => x.expand(2, 3, 4, 5),
    plain: (x) => plain.expand(x, [2, 3, 4, 5]),
  },
  {
    ops: ['squeeze'],
    name: 'squeeze all',
    inputs: [{ shape: [3, 1, 5, 1] }],
    native: (x) => x.squeeze(),
    plain: (x) => plain.squeeze(x),
  },
  {
    ops: ['squeeze'],
    name: 'squeeze dim',
    inputs: [{ shape: [3, 1, 5, 1] }],
    native: (x) => x.squeeze(1),
    plain: (x) => plain.squeeze(x, 1),
  },
  {
    ops: ['unsqueeze'],
    name: 'unsqueeze',
    inputs: [{ shape: [3, 5] }],
    native: (x) => x.unsqueeze(-1),
    plain: (x) => plain.unsqueeze(x, -1),
  },
  {
    ops: ['flatten'],
    name: 'flatten',
    inputs: [{ shape: [2, 3, 4, 5] }],
    native: (x) => x.flatten(1, 2),
    plain: (x) => plain.flatten(x, 1, 2),
  },
  {
    ops: ['narrow'],
    name: 'narrow',
    inputs: [{ shape: [3, 6, 5] }],
    native: (x) => x.narrow(1, 2, 3),
    plain: (x) => plain.narrow(x, 1, 2, 3),
  },
  {
    ops: ['select'],
    name: 'select',
    inputs: [{ shape: [3, 6, 5] }],
    native: (x) => x.select(2, -1),
    plain: (x) => plain.select(x, 2, -1),
  },
  {
    ops: ['diagonal'],
    name: 'diagonal above the main one, of dims 2 and 0',
    inputs: [{ shape: [3, 6, 5] }],
    native: (x) => x.diagonal(1, 2, 0),
    plain: (x) => plain.diagonal(x, 1, 2, 0),
  },
  {
    ops: ['unfold'],
    name: 'unfold overlapping windows of a middle dim',
    inputs: [{ shape: [3, 7, 2] }],
    native: (x) => x.unfold(1, 3, 2),
    plain: (x) => plain.unfold(x, 1, 3, 2),
  },
  // asStrided reads the storage, which the plain tensor's data stands for: contiguous inputs only
  {
    ops: ['as_strided'],
    name: 'asStrided overlapping windows of a flat storage',
    inputs: [{ shape: [12] }],
    layouts: ['contiguous'],
    native: (x) => x.asStrided([5, 4], [2, 1]),
    plain: (x) => plain.asStrided(x, [5, 4], [2, 1]),
  },
  {
    ops: ['as_strided'],
    name: 'asStrided a transpose of a matrix from an offset, with a repeated (stride 0) dim',
    inputs: [{ shape: [3, 4] }],
    layouts: ['contiguous'],
    native: (x) => x.asStrided([3, 2, 2], [1, 0, 4], 1),
    plain: (x) => plain.asStrided(x, [3, 2, 2], [1, 0, 4], 1),
  },
  {
    ops: ['unfold'],
    name: 'unfold non-overlapping windows of the last dim',
    inputs: [{ shape: [2, 8] }],
    native: (x) => x.unfold(-1, 2, 3),
    plain: (x) => plain.unfold(x, -1, 2, 3),
  },
  {
    ops: ['diagonal'],
    name: 'diagonal below the main one',
    inputs: [{ shape: [4, 3] }],
    native: (x) => x.diagonal(-1),
    plain: (x) => plain.diagonal(x, -1),
  },
  {
    ops: ['contiguous'],
    name: 'contiguous',
    inputs: [{ shape: [3, 6, 5] }],
    native: (x) => x.contiguous(),
    plain: (x) => plain.clone(x),
  },
  {
    ops: ['clone'],
    name: 'clone',
    inputs: [{ shape: [3, 6], dtype: 'int64' }],
    native: (x) => x.clone(),
    plain: (x) => plain.clone(x),
  },
  ...(['float64', 'int32', 'int64', 'bool', 'float32'] as DType[]).map((dt): OpCase => ({
    ops: ['to_dtype'],
    name: `to ${dt}`,
    inputs: [{ shape: [3, 4], range: [-5, 5] }],
    native: (x) => x.to(dt),
    plain: (x) => plain.to(x, dt),
  })),
  {
    ops: ['to_device'],
    name: "to('cpu')",
    inputs: [{ shape: [3, 4] }],
    native: (x) => x.to('cpu'),
    plain: (x) => plain.clone(x),
  },
  ...[0, 1, -1].map((dim): OpCase => ({
    ops: ['cat'],
    name: `cat dim=${dim}`,
    inputs: [{ shape: [3, 4] }, { shape: [3, 4], dtype: 'float64' }],
    native: (a, b) => tk.cat([a, b, a], dim),
    plain: (a, b) => plain.cat([a, b, a], dim),
  })),
  ...[0, 1, 2].map((dim): OpCase => ({
    ops: ['stack'],
    name: `stack dim=${dim}`,
    inputs: [{ shape: [3, 4] }, { shape: [3, 4] }],
    native: (a, b) => tk.stack([a, b], dim),
    plain: (a, b) => plain.stack([a, b], dim),
  })),
];

// Edge shapes for the GEMM: dims of 1, odd and prime sizes, larger than one cache block (kc is
// 256 on AVX2), zero-sized, matrix-vector forms, batch broadcasting.
const MATMUL_SHAPES: [number[], number[]][] = [
  [
    [3, 4],
    [4, 5],
  ],
  [
    [1, 1],
    [1, 1],
  ],
  [[5], [5, 3]],
  [[3, 5], [5]],
  [[5], [5]],
  [
    [2, 3, 4],
    [4, 6],
  ],
  [
    [2, 1, 3, 4],
    [5, 4, 6],
  ],
  [
    [3, 4],
    [2, 4, 5],
  ],
  [
    [70, 33],
    [33, 131],
  ],
  [
    [0, 3],
    [3, 4],
  ],
  [
    [2, 0],
    [0, 3],
  ],
  [
    [67, 300],
    [300, 5],
  ],
  [[3], [2, 3, 4]],
  [
    [13, 1],
    [1, 17],
  ],
  [
    [1, 97],
    [97, 1],
  ],
  [
    [31, 37],
    [37, 1],
  ],
  [
    [1, 41],
    [41, 43],
  ],
  [
    [2, 0, 3],
    [3, 4],
  ],
  [
    [3, 4],
    [4, 0],
  ],
];
// Bigger products: several K slices, M and N past one micro-tile and split over threads.
const MATMUL_LARGE: [number[], number[]][] = [
  [
    [263, 520],
    [520, 130],
  ],
  [
    [3, 2, 97, 61],
    [2, 61, 89],
  ],
];
const MATMUL_DTYPES: DType[] = ['float32', 'float64', 'int32', 'int64'];

/** Tolerance for a K-term dot product of values in [-3, 3]: rounding grows with K. */
export function productTol(K: number, dtype: DType): Tol {
  const eps = dtype === 'float32' ? 2 ** -24 : dtype === 'float64' ? 2 ** -53 : 0;
  return { rtol: 8 * eps * Math.sqrt(K + 1), atol: 4 * eps * 9 * (K + 1) };
}

const matmulCase = ([sa, sb]: [number[], number[]], dtype: DType, layouts?: Layout[]): OpCase => ({
  ops: ['matmul'],
  name: `matmul ${dtype} [${sa}] @ [${sb}]`,
  inputs: [
    { shape: sa, dtype },
    { shape: sb, dtype },
  ],
  native: (a, b) => a.matmul(b),
  plain: (a, b) => plain.matmul(a, b),
  tol: productTol(sa[sa.length - 1], dtype),
  layouts,
});

export const linalgCases: OpCase[] = [
  ...MATMUL_DTYPES.map((dtype): OpCase => ({
    ops: ['dot'],
    name: `dot ${dtype}`,
    inputs: [
      { shape: [7], dtype },
      { shape: [7], dtype },
    ],
    native: (a, b) => a.dot(b),
    plain: (a, b) => plain.dot(a, b),
  })),
  {
    ops: ['dot'],
    name: 'dot float32 long',
    inputs: [{ shape: [1000] }, { shape: [1000] }],
    native: (a, b) => a.dot(b),
    plain: (a, b) => plain.dot(a, b),
    tol: productTol(1000, 'float32'),
  },
  ...MATMUL_SHAPES.flatMap((s) => MATMUL_DTYPES.map((dtype) => matmulCase(s, dtype))),
  ...MATMUL_LARGE.flatMap((s) =>
    (['float32', 'float64'] as DType[]).map((dtype) => matmulCase(s, dtype, ['contiguous', 'transposed', 'narrowed'])),
  ),
  ...(['float32', 'float64', 'int32'] as DType[]).flatMap((dtype): OpCase[] => [
    {
      ops: ['mv'],
      name: `mv ${dtype}`,
      inputs: [
        { shape: [37, 53], dtype },
        { shape: [53], dtype },
      ],
      native: (m, v) => m.mv(v),
      plain: (m, v) => plain.mv(m, v),
      tol: productTol(53, dtype),
    },
    {
      ops: ['bmm'],
      name: `bmm ${dtype}`,
      inputs: [
        { shape: [3, 19, 23], dtype },
        { shape: [3, 23, 29], dtype },
      ],
      native: (a, b) => a.bmm(b),
      plain: (a, b) => plain.bmm(a, b),
      tol: productTol(23, dtype),
    },
  ]),
  ...(
    [
      [[29], 1, 1],
      [[1, 29], 0.5, 2],
      [[17, 1], -1, 1],
      [[17, 29], 2, -0.5],
      [[], 1, 3],
    ] as [number[], number, number][]
  ).map(([ish, beta, alpha]): OpCase => ({
    ops: ['addmm'],
    name: `addmm input [${ish}] beta=${beta} alpha=${alpha}`,
    inputs: [{ shape: ish }, { shape: [17, 41] }, { shape: [41, 29] }],
    native: (i, a, b) => i.addmm(a, b, { beta, alpha }),
    plain: (i, a, b) => plain.addmm(i, a, b, beta, alpha),
    tol: productTol(41, 'float32'),
  })),
  // linear / linear_relu: bias or none, a 3-D input, a narrow output (computed transposed), a
  // single row and a single output (the vector paths); the backward with and without the mask.
  ...(
    [
      [[17, 41], 29, true],
      [[2, 5, 41], 29, true],
      [[33, 20], 3, true],
      [[1, 20], 7, false],
      [[9, 20], 1, true],
      [[130, 150], 140, true], // above the threading threshold: tiles per thread
      [[3, 0], 4, true], // an empty inner dimension: the bias alone
    ] as [number[], number, boolean][]
  ).flatMap(([xs, out, bias]): OpCase[] => {
    const inF = xs[xs.length - 1] as number;
    const K = Math.max(1, inF); // for the tolerance
    const ins = [{ shape: xs }, { shape: [out, inF] }, ...(bias ? [{ shape: [out] }] : [])];
    const gys = [...xs.slice(0, -1), out];
    const tol = productTol(K, 'float32');
    return [
      ...([false, true] as const).map((relu): OpCase => ({
        ops: [relu ? 'linear_relu' : 'linear'],
        name: `${relu ? 'linearRelu' : 'linear'} [${xs}] -> ${out}${bias ? ' with bias' : ''}`,
        inputs: ins,
        native: (x, w, b) => (relu ? tk.nn.functional.linearRelu : tk.nn.functional.linear)(x, w, b),
        plain: (x, w, b) => plain.linear(x, w, b ?? null, relu),
        tol,
      })),
      ...(['input', 'weight', 'bias'] as const).map((which): OpCase => ({
        ops: ['linear_backward'],
        name: `nn.grad.linear ${which} [${xs}] -> ${out}, ReLU mask`,
        inputs: [{ shape: gys }, { shape: xs }, { shape: [out, inF] }, { shape: gys }],
        native: (g, x, w, y) => {
          const r = tk.nn.grad.linear(g, x, w, { output: y });
          for (const k of ['input', 'weight', 'bias'] as const) if (k !== which) r[k].dispose();
          return r[which];
        },
        plain: (g, x, w, y) => plain.linearBackward(g, x, w, y)[which],
        tol: productTol(Math.max(K, xs[0] as number), 'float32'),
      })),
      {
        ops: ['linear_backward'],
        name: `nn.grad.linear weight [${xs}] -> ${out}, no mask`,
        inputs: [{ shape: gys }, { shape: xs }, { shape: [out, inF] }],
        native: (g, x, w) => {
          const r = tk.nn.grad.linear(g, x, w);
          r.input.dispose();
          r.bias.dispose();
          return r.weight;
        },
        plain: (g, x, w) => plain.linearBackward(g, x, w).weight,
        tol,
      },
    ];
  }),
  {
    ops: ['linear', 'linear_relu'],
    name: 'linear and linearRelu int32',
    inputs: [
      { shape: [4, 6], dtype: 'int32' },
      { shape: [5, 6], dtype: 'int32' },
      { shape: [5], dtype: 'int32' },
    ],
    native: (x, w, b) => tk.tidy(() => tk.nn.functional.linearRelu(x, w, b).add(tk.nn.functional.linear(x, w, b))),
    plain: (x, w, b) => plain.add(plain.linear(x, w, b, true), plain.linear(x, w, b)),
  },
  {
    ops: ['addmm'],
    name: 'addmm int32',
    inputs: [
      { shape: [5], dtype: 'int32' },
      { shape: [4, 6], dtype: 'int32' },
      { shape: [6, 5], dtype: 'int32' },
    ],
    native: (i, a, b) => tk.addmm(i, a, b, { beta: 2, alpha: -1 }),
    plain: (i, a, b) => plain.addmm(i, a, b, 2, -1),
  },
];

export const creationCases: OpCase[] = [
  {
    ops: ['zeros'],
    name: 'zeros',
    inputs: [],
    native: () => tk.zeros([2, 3], { dtype: 'int32' }),
    plain: () => plain.zeros([2, 3], 'int32'),
  },
  { ops: ['ones'], name: 'ones', inputs: [], native: () => tk.ones(2, 3), plain: () => plain.ones([2, 3]) },
  {
    ops: ['full'],
    name: 'full',
    inputs: [],
    native: () => tk.full([4], 2.5, { dtype: 'float64' }),
    plain: () => plain.full([4], 2.5, 'float64'),
  },
  {
    ops: ['full'],
    name: 'full bool',
    inputs: [],
    native: () => tk.full([2, 2], true),
    plain: () => plain.full([2, 2], 1, 'bool'),
  },
  {
    ops: ['arange'],
    name: 'arange int',
    inputs: [],
    native: () => tk.arange(2, 11, 3),
    plain: () => plain.arange(2, 11, 3),
  },
  {
    ops: ['arange'],
    name: 'arange float',
    inputs: [],
    native: () => tk.arange(0, 1, 0.1),
    plain: () => plain.arange(0, 1, 0.1),
  },
  {
    ops: ['arange'],
    name: 'arange negative step',
    inputs: [],
    native: () => tk.arange(5, -5, -1.5, { dtype: 'float64' }),
    plain: () => plain.arange(5, -5, -1.5, 'float64'),
  },
  {
    ops: ['linspace'],
    name: 'linspace',
    inputs: [],
    native: () => tk.linspace(-1, 1, 7),
    plain: () => plain.linspace(-1, 1, 7),
  },
  {
    ops: ['linspace'],
    name: 'linspace 1 step',
    inputs: [],
    native: () => tk.linspace(3, 9, 1),
    plain: () => plain.linspace(3, 9, 1),
  },
  { ops: ['eye'], name: 'eye', inputs: [], native: () => tk.eye(3, 5), plain: () => plain.eye(3, 5) },
  ...(['rand', 'randn'] as const).flatMap((op) =>
    (['float32', 'float64'] as DType[]).map((dtype): OpCase => ({
      ops: [op],
      name: `${op} ${dtype} reproduces plain's Philox stream`,
      inputs: [],
      native: () => (tk.manualSeed(11), tk[op]([5, 7], { dtype })),
      plain: () => (plain.manualSeed(11), plain[op]([5, 7], dtype)),
      tol: { rtol: 1e-6, atol: 1e-7 },
    })),
  ),
  ...(['int64', 'int32'] as DType[]).map((dtype): OpCase => ({
    ops: ['randint'],
    name: `randint ${dtype}`,
    inputs: [],
    native: () => (tk.manualSeed(5), tk.randint(-7, 20, [9, 3], { dtype })),
    plain: () => (plain.manualSeed(5), plain.randint(-7, 20, [9, 3], dtype)),
  })),
];

export const ALL_CASES: OpCase[] = [
  ...unaryCases,
  ...tiledCases,
  ...clampCases,
  ...polygammaCases,
  ...binaryCases,
  ...scalarCases,
  ...inplaceBinaryCases,
  ...writeCases,
  ...reduceCases,
  ...viewCases,
  ...linalgCases,
  ...decompCases,
  ...creationCases,
  ...nnCases,
  ...scatterCases,
  ...attentionCases,
  ...lossCases,
  ...ctcCases,
  ...normCases,
  ...layerNormCases,
  ...optimCases,
  ...embeddingCases,
  ...indexCases,
  ...imageCases,
];
