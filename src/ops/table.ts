// Where each native op is exposed. By default an op is the Tensor method of its camelCase name
// (add -> Tensor#add, log_softmax -> Tensor#logSoftmax), and, unless it is in place, also a free
// function of that name (scripts/gen-ops.ts writes those); this table lists only the others: a
// free function alone ('fn:'), an nn path ('nn:'), a linalg function ('linalg:'), an optimizer ('optim:'), a data path ('data:') or
// another method name.
// A test checks every native op is exposed where this says, so an op cannot be added on one side only.
import { OP_NAMES, type OpName } from './ops.generated.js';

export const EXPOSED_ELSEWHERE = {
  zeros: 'fn:zeros',
  ones: 'fn:ones',
  full: 'fn:full',
  arange: 'fn:arange',
  linspace: 'fn:linspace',
  eye: 'fn:eye',
  rand: 'fn:rand',
  randn: 'fn:randn',
  randint: 'fn:randint',
  where: 'fn:where',
  cat: 'fn:cat',
  stack: 'fn:stack',
  to_dtype: 'to',
  to_device: 'to',
  conv2d: 'nn:functional.conv2d',
  conv2d_input_grad: 'nn:grad.conv2dInput',
  conv2d_weight_grad: 'nn:grad.conv2dWeight',
  max_pool2d: 'nn:functional.maxPool2d',
  max_pool2d_backward: 'nn:grad.maxPool2d',
  avg_pool2d: 'nn:functional.avgPool2d',
  avg_pool2d_backward: 'nn:grad.avgPool2d',
  adaptive_avg_pool2d: 'nn:functional.adaptiveAvgPool2d',
  adaptive_avg_pool2d_backward: 'nn:grad.adaptiveAvgPool2d',
  embedding: 'nn:functional.embedding',
  embedding_backward: 'nn:grad.embedding',
  index_select_backward: 'nn:grad.indexSelect',
  cumprod_backward: 'nn:grad.cumprod',
  gelu_backward: 'nn:grad.gelu',
  silu: 'nn:functional.silu',
  silu_backward: 'nn:grad.silu',
  sdpa: 'nn:functional.scaledDotProductAttention',
  sdpa_backward: 'nn:grad.scaledDotProductAttention',
  cross_entropy: 'nn:functional.crossEntropy',
  cross_entropy_backward: 'nn:grad.crossEntropy',
  batch_norm: 'nn:functional.batchNorm',
  batch_norm_backward: 'nn:grad.batchNorm',
  layer_norm: 'nn:functional.layerNorm',
  layer_norm_backward: 'nn:grad.layerNorm',
  ctc_loss: 'nn:functional.ctcLoss',
  ctc_loss_backward: 'nn:grad.ctcLoss',
  linear: 'nn:functional.linear',
  linear_relu: 'nn:functional.linearRelu',
  linear_backward: 'nn:grad.linear',
  linalg_cholesky_ex: 'linalg:choleskyEx',
  linalg_lu_factor_ex: 'linalg:luFactorEx',
  linalg_solve_triangular: 'linalg:solveTriangular',
  linalg_eigh: 'linalg:eigh',
  linalg_svd: 'linalg:svd',
  linalg_qr: 'linalg:qr',
  sgd_step_: 'optim:SGD',
  adam_step_: 'optim:Adam',
  rmsprop_step_: 'optim:RMSprop',
  adagrad_step_: 'optim:Adagrad',
  sgd_foreach_: 'optim:SGD',
  adam_foreach_: 'optim:Adam',
  image_crop: 'data:transforms.functional.crop',
  image_hflip: 'data:transforms.functional.hflip',
  image_normalize: 'data:transforms.functional.normalize',
  image_resize: 'data:transforms.functional.resize',
  image_adjust: 'data:transforms.functional.adjustColor',
} as const satisfies Partial<Record<OpName, string>>;

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** Every native op and its public name ('add', 'fn:zeros', 'nn:functional.conv2d', ...). */
export const OP_EXPOSURE: Readonly<Record<OpName, string>> = Object.fromEntries(
  OP_NAMES.map((n) => [n, (EXPOSED_ELSEWHERE as Partial<Record<OpName, string>>)[n] ?? camel(n)]),
) as Record<OpName, string>;
