// The TS side of the op table: every native op (native/include/tk/ops.def) and the public name
// that exposes it — a Tensor method unless marked as a function ('fn:'), an nn path ('nn:') or an optimizer ('optim:'). A test checks this list equals
// the native one and that each name exists, so an op cannot be added on one side only.
export const OP_TABLE = {
  neg: 'neg', neg_: 'neg_', abs: 'abs', abs_: 'abs_', exp: 'exp', exp_: 'exp_', log: 'log', log_: 'log_',
  sqrt: 'sqrt', sqrt_: 'sqrt_', rsqrt: 'rsqrt', rsqrt_: 'rsqrt_', sin: 'sin', sin_: 'sin_', cos: 'cos', cos_: 'cos_',
  relu: 'relu', relu_: 'relu_', sigmoid: 'sigmoid', sigmoid_: 'sigmoid_', tanh: 'tanh', tanh_: 'tanh_',
  gelu: 'gelu', erf: 'erf', erf_: 'erf_', clamp: 'clamp', clamp_: 'clamp_',
  add: 'add', add_: 'add_', sub: 'sub', sub_: 'sub_', mul: 'mul', mul_: 'mul_', div: 'div', div_: 'div_',
  pow: 'pow', pow_: 'pow_', maximum: 'maximum', minimum: 'minimum',
  eq: 'eq', ne: 'ne', lt: 'lt', le: 'le', gt: 'gt', ge: 'ge',
  zeros: 'fn:zeros', ones: 'fn:ones', full: 'fn:full', arange: 'fn:arange', linspace: 'fn:linspace', eye: 'fn:eye',
  rand: 'fn:rand', randn: 'fn:randn', randint: 'fn:randint',
  fill_: 'fill_', zero_: 'zero_', copy_: 'copy_', where: 'fn:where',
  sum: 'sum', mean: 'mean', max: 'max', min: 'min', max_with_indices: 'maxWithIndices', min_with_indices: 'minWithIndices',
  argmax: 'argmax', argmin: 'argmin', var: 'var', std: 'std', softmax: 'softmax', log_softmax: 'logSoftmax', cumsum: 'cumsum',
  reshape: 'reshape', view: 'view', transpose: 'transpose', permute: 'permute', expand: 'expand', squeeze: 'squeeze',
  unsqueeze: 'unsqueeze', flatten: 'flatten', narrow: 'narrow', select: 'select', contiguous: 'contiguous', clone: 'clone',
  to_dtype: 'to', to_device: 'to', cat: 'fn:cat', stack: 'fn:stack',
  dot: 'dot', matmul: 'matmul', mv: 'mv', bmm: 'bmm', addmm: 'addmm',
  conv2d: 'nn:functional.conv2d', conv2d_input_grad: 'nn:grad.conv2dInput', conv2d_weight_grad: 'nn:grad.conv2dWeight',
  max_pool2d: 'nn:functional.maxPool2d', max_pool2d_backward: 'nn:grad.maxPool2d',
  avg_pool2d: 'nn:functional.avgPool2d', avg_pool2d_backward: 'nn:grad.avgPool2d',
  adaptive_avg_pool2d: 'nn:functional.adaptiveAvgPool2d', adaptive_avg_pool2d_backward: 'nn:grad.adaptiveAvgPool2d',
  embedding: 'nn:functional.embedding', embedding_backward: 'nn:grad.embedding',
  index_select: 'indexSelect', index_select_backward: 'nn:grad.indexSelect', argsort: 'argsort', bincount: 'fn:bincount',
  sgd_step_: 'optim:SGD', adam_step_: 'optim:Adam', rmsprop_step_: 'optim:RMSprop', adagrad_step_: 'optim:Adagrad',
} as const satisfies Record<string, string>;

export type NativeOpName = keyof typeof OP_TABLE;
