// The gradient table: every differentiable native op has at least one row here, checked by
// gradcheck in float64 on contiguous, strided (transposed, narrowed) and expanded inputs, with
// broadcasting where the op broadcasts. Ops without a derivative are listed in NON_DIFFERENTIABLE;
// a test checks both lists against the native derivative table.
import * as tk from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { OpName } from '../../src/ops/ops.generated.js';
import type { InputSpec, Layout } from './harness.js';
import * as plain from '../../src/plain/index.js';
import { CONV_CONFIGS, convOut, plainConv, plainPool, POOL_CONFIGS } from './nn-cases.js';
import { callOp, methodOf, ruleOf, UNARY_DOMAIN, UNARY_OPS, type UnaryName } from './elementwise.js';
import { compositeGradRows, scatterGradRows } from './cases-index.js';
import { ctcGradRows, lossGradRows } from './cases-loss.js';
import { layerNormGradRows, normGradRows } from './cases-norm.js';
import { imageGradRows } from './cases-image.js';
import { decompGradRows } from './cases-decomp.js';

export interface GradSpec extends InputSpec {
  /** false: the input does not require grad (a condition, a constant). */
  grad?: boolean;
}

export interface GradCase {
  ops: OpName[];
  name: string;
  inputs: GradSpec[];
  fn: (...xs: Tensor[]) => Tensor;
  layouts?: Layout[];
  /** gradcheck options for rows that lose precision on purpose (a float32 round trip). */
  tol?: { eps?: number; atol?: number; rtol?: number };
}

/** Ops the derivative table lists as not differentiable. */
export const NON_DIFFERENTIABLE: OpName[] = [
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  // bit patterns (torch: not differentiable)
  'nextafter',
  // torch.special.airy_ai: no derivative (torch's has none either)
  'airy_ai',
  'bitwise_not',
  'bitwise_and',
  'bitwise_or',
  'bitwise_xor',
  'bitwise_left_shift',
  'bitwise_right_shift',
  'gcd',
  'lcm',
  'nextafter_',
  'bitwise_not_',
  'bitwise_and_',
  'bitwise_or_',
  'bitwise_xor_',
  'bitwise_left_shift_',
  'bitwise_right_shift_',
  'gcd_',
  'lcm_',
  'argmax',
  'argmin',
  'argsort',
  'bincount',
  'nonzero',
  // exact with zeros, written as a kernel; the gradient of a gradient is not needed
  'cumprod_backward',
  // the fused kernel; a recorded backward (createGraph) uses differentiable ops instead
  'sdpa_backward',
  'gelu_backward',
  'silu_backward',
  'elu_backward',
  'hardswish_backward',
  'cross_entropy_backward',
  'linear_backward',
  'batch_norm_backward',
  'layer_norm_backward',
  'ctc_loss_backward',
  'zeros',
  'ones',
  'full',
  'arange',
  'linspace',
  'eye',
  'rand',
  'randn',
  'randint',
  // optimizer updates (run under noGrad)
  'sgd_step_',
  'adam_step_',
  'rmsprop_step_',
  'sgd_foreach_',
  'adam_foreach_',
  'adagrad_step_',
  'adadelta_step_',
  // data-loading steps: F.interpolate is the differentiable resize
  'image_resize',
  'image_adjust',
];

const f64 = (shape: number[], range?: [number, number], grad = true): GradSpec => ({
  shape,
  dtype: 'float64',
  range,
  grad,
});
const POS: [number, number] = [0.5, 3];
const NO_TIES: Layout[] = ['contiguous', 'transposed', 'narrowed'];

// In-place rows run on y = x * 1: a non-leaf, non-view result, on which in-place ops are recorded.
function inplaceUnary(op: UnaryName): (x: Tensor) => Tensor {
  return (x) => {
    const y = x.mul(1);
    (y[`${op}_` as keyof Tensor] as () => Tensor).call(y);
    return y;
  };
}

const unaryRows: GradCase[] = UNARY_OPS.filter(
  (op) => ruleOf(op).rule !== 'BITWISE' && !NON_DIFFERENTIABLE.includes(op),
).flatMap((op): GradCase[] => {
  const range = UNARY_DOMAIN[op];
  return [
    {
      ops: [op],
      name: op,
      inputs: [f64([3, 4], range)],
      fn: (x) => callOp(op, x),
    },
    ...(ruleOf(op).inplace
      ? [
          {
            ops: [`${op}_` as OpName],
            name: `${op}_ on a non-leaf`,
            inputs: [f64([3, 4], range)],
            fn: inplaceUnary(op),
          },
        ]
      : []),
  ];
});

type Bin =
  'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'remainder' | 'fmod' | 'floor_divide' | 'atan2';
const BIN_RANGES: Record<Bin, [[number, number] | undefined, [number, number] | undefined]> = {
  add: [undefined, undefined],
  sub: [undefined, undefined],
  mul: [undefined, undefined],
  div: [undefined, [0.5, 2]],
  pow: [
    [0.5, 2],
    [-2, 2],
  ],
  maximum: [undefined, undefined],
  minimum: [undefined, undefined],
  // away from b = 0; a / b crosses an integer inside the finite difference only by a rare draw
  remainder: [undefined, [0.5, 2]],
  fmod: [undefined, [0.5, 2]],
  floor_divide: [undefined, [0.5, 2]],
  atan2: [undefined, undefined],
};
const apply = (a: Tensor, op: string, b: Tensor): Tensor =>
  (a[methodOf(op) as 'add'] as (o: Tensor) => Tensor).call(a, b);
const BROADCAST: [number[], number[]][] = [
  [
    [3, 4],
    [3, 4],
  ],
  [
    [3, 1],
    [1, 4],
  ],
  [[2, 3, 4], [4]],
  [[4], [2, 3, 1]],
  [[3, 4], []],
];

const binaryRows: GradCase[] = (Object.keys(BIN_RANGES) as Bin[]).flatMap((op): GradCase[] => {
  const [ra, rb] = BIN_RANGES[op];
  const rows: GradCase[] = BROADCAST.map(([sa, sb]) => ({
    ops: [op],
    name: `${op} [${sa}] [${sb}]`,
    inputs: [f64(sa, ra), f64(sb, rb)],
    fn: (a, b) => apply(a, op, b),
  }));
  rows.push({
    ops: [op],
    name: `${op} with a constant operand`,
    inputs: [f64([3, 4], ra), f64([4], rb, false)],
    fn: (a, b) => apply(a, op, b),
  });
  if (ruleOf(op).inplace) {
    const ip = `${op}_` as 'add_';
    rows.push({
      ops: [ip as OpName],
      name: `${ip} on a non-leaf, broadcast operand`,
      inputs: [f64([3, 4], ra), f64([4], rb)],
      fn: (a, b) => apply(a.mul(1), ip, b),
    });
  }
  return rows;
});

// The special functions of two arguments are differentiable in the second only (as torch's): the
// first is a constant; broadcast both ways.
const specialBinaryRows: GradCase[] = (
  [
    ['zeta', [1.5, 4], [0.5, 3]],
    ['gammainc', [0.5, 4], [0.5, 5]],
    ['gammaincc', [0.5, 4], [0.5, 5]],
  ] as const
).flatMap(([op, ra, rb]): GradCase[] =>
  BROADCAST.map(([sa, sb]) => ({
    ops: [op],
    name: `${op} [${sa}] (constant) [${sb}]`,
    inputs: [f64(sa, [...ra], false), f64(sb, [...rb])],
    fn: (a, b) => apply(a, op, b),
  })),
);

// Convolution: every configuration, on a contiguous and a strided input (the table's other
// layouts are covered by the forward tests; gradcheck builds a full Jacobian, so each layout costs).
const STRIDED: Layout[] = ['contiguous', 'transposed'];
const F = tk.nn.functional;
const convRows: GradCase[] = CONV_CONFIGS.flatMap((c): GradCase[] => {
  const p = plainConv(c);
  const sym = {
    stride: p.stride,
    padding: [p.padding![0], p.padding![1]] as [number, number],
    dilation: p.dilation,
    groups: p.groups,
  };
  const symmetric = p.padding![0] === p.padding![2] && p.padding![1] === p.padding![3];
  const rows: GradCase[] = [
    {
      ops: ['conv2d'],
      name: `conv2d ${c.name}`,
      layouts: STRIDED,
      inputs: [f64(c.x), f64(c.w), ...(c.bias ? [f64([c.w[0]])] : [])],
      fn: (x, w, b) => F.conv2d(x, w, b ?? null, c.opts),
    },
  ];
  // The backward kernels are linear in each argument; gradcheck them as functions too.
  if (symmetric) {
    const gy = [c.x[0], c.w[0], ...convOut(c)];
    rows.push(
      {
        ops: ['conv2d_input_grad'],
        name: `conv2d input grad ${c.name}`,
        layouts: ['contiguous'],
        inputs: [f64(gy), f64(c.w)],
        fn: (g, w) => tk.nn.grad.conv2dInput(c.x, w, g, sym),
      },
      {
        ops: ['conv2d_weight_grad'],
        name: `conv2d weight grad ${c.name}`,
        layouts: ['contiguous'],
        inputs: [f64(gy), f64(c.x)],
        fn: (g, x) => tk.nn.grad.conv2dWeight(x, c.w, g, sym),
      },
    );
  }
  return rows;
});

const poolRows: GradCase[] = POOL_CONFIGS.flatMap((c): GradCase[] => {
  const avgOut = plain.avgPool2d(plain.zeros(c.x), plainPool(c)).shape as number[];
  const maxOut = tk.tidy(() => [...F.maxPool2d(tk.zeros(c.x), c.kernel, c.opts).shape]);
  return [
    {
      ops: ['max_pool2d'],
      name: `maxPool2d ${c.name}`,
      layouts: NO_TIES,
      inputs: [f64(c.x)],
      fn: (x) => F.maxPool2d(x, c.kernel, c.opts),
    },
    {
      // linear in the gradient; the argmax positions of a fixed input with distinct values
      ops: ['max_pool2d_backward'],
      name: `maxPool2d backward ${c.name}`,
      layouts: ['contiguous'],
      inputs: [f64(maxOut)],
      fn: (g) =>
        tk.tidy(() => {
          const n = c.x.reduce((a, b) => a * b, 1);
          const x = tk.arange(n, { dtype: 'float64' }).mul(7919).remainder(1009).reshape(c.x);
          const [, idx] = F.maxPool2d(x, c.kernel, { ...c.opts, returnIndices: true }) as unknown as [Tensor, Tensor];
          return tk.nn.grad.maxPool2d(g, idx, c.x);
        }),
    },
    {
      ops: ['avg_pool2d'],
      name: `avgPool2d ${c.name}`,
      layouts: STRIDED,
      inputs: [f64(c.x)],
      fn: (x) => F.avgPool2d(x, c.kernel, { ...c.opts, dilation: undefined, countIncludePad: false } as never),
    },
    {
      ops: ['avg_pool2d_backward'],
      name: `avgPool2d backward ${c.name}`,
      layouts: ['contiguous'],
      inputs: [f64(avgOut)],
      fn: (g) => tk.nn.grad.avgPool2d(g, c.x, c.kernel, c.opts),
    },
    {
      ops: ['adaptive_avg_pool2d'],
      name: `adaptiveAvgPool2d ${c.name}`,
      layouts: STRIDED,
      inputs: [f64(c.x)],
      fn: (x) => F.adaptiveAvgPool2d(x, [2, 3]),
    },
    {
      ops: ['adaptive_avg_pool2d_backward'],
      name: `adaptiveAvgPool2d backward ${c.name}`,
      layouts: ['contiguous'],
      inputs: [f64([...c.x.slice(0, -2), 2, 3])],
      fn: (g) => tk.nn.grad.adaptiveAvgPool2d(g, c.x),
    },
  ];
});

const IDX = (shape: number[], hi: number): GradSpec => ({ shape, dtype: 'int64', range: [0, hi], grad: false });
const embeddingRows: GradCase[] = [
  {
    ops: ['embedding'],
    name: 'embedding (repeated indices)',
    inputs: [f64([5, 3]), IDX([2, 4], 4)],
    fn: (w, i) => tk.nn.functional.embedding(i, w),
  },
  {
    ops: ['embedding_backward'],
    name: 'embedding backward',
    layouts: ['contiguous'],
    inputs: [f64([2, 3, 2]), IDX([2, 3], 3)],
    fn: (g, i) => tk.nn.grad.embedding(g, i, 4, 1),
  },
];

export const GRAD_CASES: GradCase[] = [
  ...embeddingRows,
  ...scatterGradRows,
  ...compositeGradRows,
  ...decompGradRows,
  ...lossGradRows,
  ...ctcGradRows,
  ...normGradRows,
  ...layerNormGradRows,
  ...imageGradRows,
  {
    ops: ['index_select'],
    name: 'indexSelect dim 1 (repeated indices)',
    inputs: [f64([3, 4]), IDX([5], 3)],
    fn: (x, i) => x.indexSelect(1, i),
  },
  {
    ops: ['index_select_backward'],
    name: 'indexSelect backward',
    layouts: ['contiguous'],
    inputs: [f64([5, 2]), IDX([5], 2)],
    fn: (g, i) => tk.nn.grad.indexSelect(g, 0, i, 3),
  },
  ...convRows,
  ...poolRows,
  ...unaryRows,
  ...binaryRows,
  ...specialBinaryRows,
  { ops: ['pow'], name: 'pow with a JS number exponent', inputs: [f64([3, 4], POS)], fn: (x) => x.pow(3) },
  { ops: ['pow'], name: 'pow with a fractional exponent', inputs: [f64([3, 4], POS)], fn: (x) => x.pow(-1.5) },
  {
    ops: ['pow'],
    name: 'pow of a constant base',
    inputs: [f64([3, 4])],
    fn: (x) => tk.tensor(2, { dtype: 'float64' }).pow(x),
  },
  { ops: ['polygamma'], name: 'polygamma(1)', inputs: [f64([3, 4], [0.2, 6])], fn: (x) => x.polygamma(1) },
  { ops: ['polygamma'], name: 'polygamma(3)', inputs: [f64([3, 4], [0.5, 6])], fn: (x) => x.polygamma(3) },
  // the activations' parameters (the table's own rows take the defaults), and the backward
  // kernels that are differentiable (linear in the gradient): by the gradient and by the input
  {
    ops: ['leaky_relu'],
    name: 'leakyRelu slope 0.2',
    inputs: [f64([3, 4])],
    fn: (x) => tk.nn.functional.leakyRelu(x, 0.2),
  },
  { ops: ['elu'], name: 'elu alpha 0.5', inputs: [f64([3, 4])], fn: (x) => tk.nn.functional.elu(x, 0.5) },
  { ops: ['elu'], name: 'selu', inputs: [f64([3, 4])], fn: (x) => tk.nn.functional.selu(x) },
  { ops: ['elu'], name: 'celu alpha 2', inputs: [f64([3, 4])], fn: (x) => tk.nn.functional.celu(x, 2) },
  {
    ops: ['hardtanh'],
    name: 'hardtanh(-2, 0.5)',
    inputs: [f64([3, 4])],
    fn: (x) => tk.nn.functional.hardtanh(x, -2, 0.5),
  },
  { ops: ['hardtanh'], name: 'relu6', inputs: [f64([3, 4], [-2, 8])], fn: (x) => tk.nn.functional.relu6(x) },
  ...(
    [
      ['leaky_relu_backward', (g: Tensor, x: Tensor) => tk.nn.grad.leakyRelu(g, x, 0.2)],
      ['hardtanh_backward', (g: Tensor, x: Tensor) => tk.nn.grad.hardtanh(g, x, -2, 0.5)],
      ['hardsigmoid_backward', (g: Tensor, x: Tensor) => tk.nn.grad.hardsigmoid(g, x)],
      ['relu_backward', (g: Tensor, x: Tensor) => tk.nn.grad.relu(g, x)],
    ] as const
  ).map(([op, fn]): GradCase => ({ ops: [op], name: `${op} (g, x)`, inputs: [f64([3, 4]), f64([3, 4], [-4, 4])], fn })),
  { ops: ['clamp'], name: 'clamp both bounds', inputs: [f64([3, 4])], fn: (x) => x.clamp(-1, 1) },
  { ops: ['clamp'], name: 'clamp min only', inputs: [f64([3, 4])], fn: (x) => x.clamp(0.5) },
  { ops: ['clamp_'], name: 'clamp_ on a non-leaf', inputs: [f64([3, 4])], fn: (x) => x.mul(1).clamp_(null, 0.5) },
  {
    ops: ['where'],
    name: 'where with broadcasting',
    inputs: [{ shape: [3, 4], dtype: 'bool', grad: false }, f64([3, 1]), f64([4])],
    fn: (c, a, b) => tk.where(c, a, b),
  },
  {
    ops: ['where'],
    name: 'where with a scalar branch',
    inputs: [{ shape: [3, 4], dtype: 'bool', grad: false }, f64([3, 4])],
    fn: (c, a) => tk.where(c, a, 0),
  },
  {
    ops: ['copy_'],
    name: 'copy_ broadcasts the source into a non-leaf',
    inputs: [f64([3, 4]), f64([4])],
    fn: (a, b) => a.mul(1).copy_(b),
  },
  { ops: ['fill_'], name: 'fill_ cuts the old history', inputs: [f64([3, 4])], fn: (x) => x.mul(2).fill_(3).add(x) },
  {
    ops: ['zero_'],
    name: 'zero_ cuts the old history',
    inputs: [f64([3, 4])],
    fn: (x) => x.mul(2).zero_().add(x.mul(3)),
  },

  // reductions and scans
  { ops: ['sum'], name: 'sum all', inputs: [f64([3, 4])], fn: (x) => x.sum() },
  { ops: ['sum'], name: 'sum dim 1', inputs: [f64([3, 4])], fn: (x) => x.sum(1) },
  {
    ops: ['sum'],
    name: 'sum dims [0, 2] keepdim',
    inputs: [f64([2, 3, 4])],
    fn: (x) => x.sum([0, 2], { keepdim: true }),
  },
  { ops: ['mean'], name: 'mean all', inputs: [f64([3, 4])], fn: (x) => x.mean() },
  { ops: ['mean'], name: 'mean dim -1 keepdim', inputs: [f64([2, 3, 4])], fn: (x) => x.mean(-1, { keepdim: true }) },
  // Ties (as in an expanded input) have no derivative: autograd splits the gradient, finite
  // differences see a kink. Reductions to an extremum (and std over equal values, which is 0)
  // skip the expanded layout.
  { ops: ['max'], name: 'max all', layouts: NO_TIES, inputs: [f64([3, 4])], fn: (x) => x.max() },
  { ops: ['max'], name: 'max dim 0', layouts: NO_TIES, inputs: [f64([3, 4])], fn: (x) => x.max(0) },
  {
    ops: ['min'],
    name: 'min dims [1] keepdim',
    layouts: NO_TIES,
    inputs: [f64([2, 3, 4])],
    fn: (x) => x.min([1], { keepdim: true }),
  },
  {
    ops: ['max_with_indices'],
    name: 'maxWithIndices dim 1',
    layouts: NO_TIES,
    inputs: [f64([3, 4])],
    fn: (x) => x.maxWithIndices(1).values,
  },
  {
    ops: ['min_with_indices'],
    name: 'minWithIndices dim 0 keepdim',
    layouts: NO_TIES,
    inputs: [f64([3, 4])],
    fn: (x) => x.minWithIndices(0, { keepdim: true }).values,
  },
  { ops: ['var'], name: 'var all', inputs: [f64([3, 4])], fn: (x) => x.var() },
  { ops: ['var'], name: 'var dim 1, correction 0', inputs: [f64([3, 4])], fn: (x) => x.var(1, { correction: 0 }) },
  {
    ops: ['std'],
    name: 'std dim 0 keepdim',
    layouts: NO_TIES,
    inputs: [f64([3, 4])],
    fn: (x) => x.std(0, { keepdim: true }),
  },
  { ops: ['std'], name: 'std all', inputs: [f64([3, 4])], fn: (x) => x.std() },
  { ops: ['softmax'], name: 'softmax dim -1', inputs: [f64([3, 4])], fn: (x) => x.softmax(-1) },
  { ops: ['softmax'], name: 'softmax dim 0', inputs: [f64([3, 4])], fn: (x) => x.softmax(0) },
  { ops: ['log_softmax'], name: 'logSoftmax dim 1', inputs: [f64([3, 4])], fn: (x) => x.logSoftmax(1) },
  { ops: ['cumsum'], name: 'cumsum dim 1', inputs: [f64([3, 4])], fn: (x) => x.cumsum(1) },
  { ops: ['cumsum'], name: 'cumsum dim 0', inputs: [f64([3, 4])], fn: (x) => x.cumsum(0) },

  // views and movement
  { ops: ['reshape'], name: 'reshape', inputs: [f64([3, 4])], fn: (x) => x.reshape(2, 6) },
  {
    ops: ['view'],
    name: 'view',
    inputs: [f64([3, 4])],
    layouts: ['contiguous', 'narrowed', 'expanded'],
    fn: (x) => x.contiguous().view(4, 3),
  },
  {
    ops: ['transpose'],
    name: 'transpose',
    inputs: [f64([2, 3, 4])],
    fn: (x) => x.transpose(0, 2).mul(tk.arange(2, { dtype: 'float64' })),
  },
  {
    ops: ['permute'],
    name: 'permute',
    inputs: [f64([2, 3, 4])],
    fn: (x) => x.permute(1, 2, 0).mul(tk.arange(2, { dtype: 'float64' })),
  },
  {
    ops: ['expand'],
    name: 'expand with new leading dims',
    inputs: [f64([3, 1])],
    fn: (x) => x.expand(2, 3, 4).mul(tk.arange(4, { dtype: 'float64' })),
  },
  { ops: ['squeeze'], name: 'squeeze', inputs: [f64([3, 1, 4])], fn: (x) => x.squeeze(1) },
  { ops: ['unsqueeze'], name: 'unsqueeze', inputs: [f64([3, 4])], fn: (x) => x.unsqueeze(1) },
  { ops: ['flatten'], name: 'flatten', inputs: [f64([2, 3, 4])], fn: (x) => x.flatten(1) },
  { ops: ['narrow'], name: 'narrow', inputs: [f64([3, 5])], fn: (x) => x.narrow(1, 1, 3) },
  { ops: ['narrow'], name: 'narrow from a negative start', inputs: [f64([4, 3])], fn: (x) => x.narrow(0, -2, 2) },
  { ops: ['diagonal'], name: 'diagonal', inputs: [f64([3, 4])], fn: (x) => x.diagonal(1) },
  { ops: ['unfold'], name: 'unfold overlapping windows', inputs: [f64([3, 7])], fn: (x) => x.unfold(1, 3, 2) },
  // windows of more than 16 taps take the index_add form of the backward, fewer the per-tap one
  { ops: ['unfold'], name: 'unfold 18-wide windows', inputs: [f64([2, 27])], fn: (x) => x.unfold(1, 18, 4) },
  { ops: ['unfold'], name: 'unfold a middle dim', inputs: [f64([2, 7, 3])], fn: (x) => x.unfold(1, 2, 1) },
  // contiguous only: gradcheck perturbs a contiguous copy, and asStrided reads the storage, so any
  // other layout would change the function itself (port-more.test.ts checks strided inputs)
  {
    ops: ['as_strided'],
    name: 'asStrided overlapping windows (repeated elements sum their gradients)',
    inputs: [f64([3, 4])],
    layouts: ['contiguous'],
    fn: (x) => x.asStrided([4, 3], [2, 1], 1),
  },
  {
    ops: ['as_strided'],
    name: 'asStrided with a stride-0 dim',
    inputs: [f64([2, 3])],
    layouts: ['contiguous'],
    fn: (x) => x.asStrided([2, 3], [0, 2]),
  },
  {
    ops: ['as_strided'],
    name: 'asStrided to 0-dim',
    inputs: [f64([2, 3])],
    layouts: ['contiguous'],
    fn: (x) => x.asStrided([], [], 5),
  },
  {
    ops: ['unfold'],
    name: 'unfold twice (2-D patches), with a gap',
    inputs: [f64([2, 5, 6])],
    fn: (x) => x.unfold(1, 2, 2).unfold(2, 2, 3),
  },
  {
    ops: ['diagonal'],
    name: 'diagonal of dims 2 and 0, below the main one',
    inputs: [f64([3, 2, 4])],
    fn: (x) => x.diagonal(-1, 2, 0),
  },
  { ops: ['select'], name: 'select', inputs: [f64([3, 4])], fn: (x) => x.select(1, -1) },
  { ops: ['select'], name: 'select the first row', inputs: [f64([3, 4])], fn: (x) => x.select(0, 0) },
  { ops: ['contiguous'], name: 'contiguous', inputs: [f64([3, 4])], fn: (x) => x.contiguous() },
  { ops: ['clone'], name: 'clone', inputs: [f64([3, 4])], fn: (x) => x.clone() },
  {
    ops: ['to_dtype'],
    name: 'to float32 and back',
    inputs: [f64([3, 4])],
    fn: (x) => x.to('float32').to('float64'),
    tol: { eps: 1e-3, atol: 1e-4, rtol: 1e-3 },
  },
  { ops: ['to_device'], name: "to('cpu')", inputs: [f64([3, 4])], fn: (x) => x.to('cpu') },
  { ops: ['cat'], name: 'cat dim 0', inputs: [f64([2, 4]), f64([3, 4])], fn: (a, b) => tk.cat([a, b], 0) },
  {
    ops: ['cat'],
    name: 'cat dim -1 of three',
    inputs: [f64([3, 2]), f64([3, 1]), f64([3, 3])],
    fn: (a, b, c) => tk.cat([a, b, c], -1),
  },
  { ops: ['stack'], name: 'stack dim 1', inputs: [f64([3, 4]), f64([3, 4])], fn: (a, b) => tk.stack([a, b], 1) },

  // linear algebra
  { ops: ['dot'], name: 'dot', inputs: [f64([5]), f64([5])], fn: (a, b) => a.dot(b) },
  { ops: ['matmul'], name: 'matmul 2-D', inputs: [f64([3, 4]), f64([4, 2])], fn: (a, b) => a.matmul(b) },
  { ops: ['matmul'], name: 'matmul 1-D @ 2-D', inputs: [f64([4]), f64([4, 2])], fn: (a, b) => a.matmul(b) },
  { ops: ['matmul'], name: 'matmul 2-D @ 1-D', inputs: [f64([3, 4]), f64([4])], fn: (a, b) => a.matmul(b) },
  { ops: ['matmul'], name: 'matmul 1-D @ 1-D', inputs: [f64([4]), f64([4])], fn: (a, b) => a.matmul(b) },
  { ops: ['matmul'], name: 'matmul batch broadcast', inputs: [f64([2, 3, 4]), f64([4, 2])], fn: (a, b) => a.matmul(b) },
  {
    ops: ['matmul'],
    name: 'matmul batch broadcast both',
    inputs: [f64([2, 1, 2, 3]), f64([3, 3, 2])],
    fn: (a, b) => a.matmul(b),
  },
  { ops: ['matmul'], name: 'matmul 1-D @ batched', inputs: [f64([3]), f64([2, 3, 2])], fn: (a, b) => a.matmul(b) },
  { ops: ['mv'], name: 'mv', inputs: [f64([3, 4]), f64([4])], fn: (m, v) => m.mv(v) },
  { ops: ['bmm'], name: 'bmm', inputs: [f64([2, 3, 4]), f64([2, 4, 2])], fn: (a, b) => a.bmm(b) },
  {
    ops: ['addmm'],
    name: 'addmm with a broadcast bias, beta and alpha',
    inputs: [f64([2]), f64([3, 4]), f64([4, 2])],
    fn: (c, a, b) => c.addmm(a, b, { beta: 0.5, alpha: 2 }),
  },
  { ops: ['addmm'], name: 'addmm', inputs: [f64([3, 2]), f64([3, 4]), f64([4, 2])], fn: (c, a, b) => c.addmm(a, b) },
  ...([false, true] as const).flatMap((relu): GradCase[] => {
    const f = relu ? tk.nn.functional.linearRelu : tk.nn.functional.linear;
    const op = relu ? 'linear_relu' : 'linear';
    return [
      { ops: [op], name: `${op} with bias`, inputs: [f64([5, 4]), f64([3, 4]), f64([3])], fn: (x, w, b) => f(x, w, b) },
      { ops: [op], name: `${op} 3-D input, no bias`, inputs: [f64([2, 3, 4]), f64([6, 4])], fn: (x, w) => f(x, w) },
      {
        ops: [op],
        name: `${op} narrow output`,
        inputs: [f64([9, 4]), f64([1, 4]), f64([1])],
        fn: (x, w, b) => f(x, w, b),
      },
    ];
  }),
];
