// Bad input never crashes: each case throws a TensorError with a code and a message that names
// the op and the offending value.
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { ERROR_CODES, TensorError } from '../src/index.js';
import { binding } from '../src/binding.js';

const t23 = () => tk.zeros([2, 3]);

const CASES: [string, () => unknown, string, RegExp][] = [
  [
    'broadcast mismatch',
    () => t23().add(tk.zeros([4])),
    'SHAPE_MISMATCH',
    /^add: shapes \[2, 3\] and \[4\] cannot be broadcast/,
  ],
  [
    'in-place broadcast into a smaller tensor',
    () => tk.zeros([3]).add_(t23()),
    'SHAPE_MISMATCH',
    /add_: output with shape \[3\] doesn't match the broadcast shape \[2, 3\]/,
  ],
  [
    'in-place float into int',
    () => tk.zeros([3], { dtype: 'int32' }).add_(0.5),
    'DTYPE_MISMATCH',
    /add: result type float32 can't be cast to the desired output type int32/,
  ],
  [
    'in-place into an expanded view',
    () => tk.zeros([1, 3]).expand(4, 3).add_(1),
    'INVALID_ARGUMENT',
    /add: unsupported operation: more than one element/,
  ],
  [
    'matmul inner mismatch',
    () => t23().matmul(t23()),
    'SHAPE_MISMATCH',
    /^matmul: inner dimensions must match, got \[2, 3\] @ \[2, 3\]/,
  ],
  [
    'matmul dtype mismatch',
    () => t23().matmul(tk.zeros([3, 2], { dtype: 'float64' })),
    'DTYPE_MISMATCH',
    /matmul: expected both operands to have the same dtype, got float32 and float64/,
  ],
  [
    'matmul 0-dim',
    () => tk.tensor(1).matmul(t23()),
    'INVALID_ARGUMENT',
    /matmul: both arguments need at least 1 dimension/,
  ],
  [
    'matmul of bools',
    () => tk.tensor([true]).matmul(tk.tensor([true])),
    'DTYPE_MISMATCH',
    /matmul: not supported for bool tensors/,
  ],
  [
    'mv length mismatch',
    () => t23().mv(tk.zeros([2])),
    'SHAPE_MISMATCH',
    /^mv: the matrix's columns must match the vector's length, got \[2, 3\] @ \[2\]/,
  ],
  ['mv with a matrix', () => t23().mv(t23()), 'SHAPE_MISMATCH', /^mv: expected the vector to be 1-D, got \[2, 3\]/],
  [
    'bmm batch mismatch',
    () => tk.zeros([2, 3, 4]).bmm(tk.zeros([3, 4, 5])),
    'SHAPE_MISMATCH',
    /^bmm: expected \[B, n, m\] @ \[B, m, p\], got \[2, 3, 4\] @ \[3, 4, 5\]/,
  ],
  [
    'bmm of 2-D',
    () => t23().bmm(tk.zeros([3, 2])),
    'SHAPE_MISMATCH',
    /^bmm: expected the first batch of matrices to be 3-D, got \[2, 3\]/,
  ],
  [
    'addmm input shape',
    () => tk.zeros([3]).addmm(t23(), tk.zeros([3, 4])),
    'SHAPE_MISMATCH',
    /^addmm: shapes \[3\] and \[2, 4\] cannot be broadcast/,
  ],
  [
    'addmm input too big',
    () => tk.zeros([5, 2, 4]).addmm(t23(), tk.zeros([3, 4])),
    'SHAPE_MISMATCH',
    /^addmm: input must broadcast to \[2, 4\], got \[5, 2, 4\]/,
  ],
  [
    'addmm fractional alpha on ints',
    () =>
      tk
        .zeros([2], { dtype: 'int32' })
        .addmm(tk.zeros([2, 2], { dtype: 'int32' }), tk.zeros([2, 2], { dtype: 'int32' }), { alpha: 0.5 }),
    'INVALID_ARGUMENT',
    /^addmm: alpha and beta must be integers for int32 tensors, got alpha=0.5, beta=1/,
  ],
  [
    'addmm dtype mismatch',
    () => tk.zeros([2]).addmm(t23(), tk.zeros([3, 2], { dtype: 'float64' })),
    'DTYPE_MISMATCH',
    /^addmm: expected all operands to have the same dtype, got float32 and float64/,
  ],
  [
    'addmm unknown option',
    () => tk.zeros([2]).addmm(t23(), tk.zeros([3, 2]), { bta: 1 } as never),
    'INVALID_ARGUMENT',
    /^addmm: unknown option 'bta' \(did you mean 'beta'\?\)/,
  ],
  [
    'indexSelect index out of range',
    () => t23().indexSelect(1, tk.tensor([0, 3], { dtype: 'int64' })),
    'INDEX_OUT_OF_RANGE',
    /^indexSelect: index 3 is out of range for a dimension of size 3/,
  ],
  [
    'indexSelect float index',
    () => t23().indexSelect(0, tk.tensor([0])),
    'DTYPE_MISMATCH',
    /^indexSelect: indices must be int64 or int32, got float32/,
  ],
  [
    'indexSelect 2-D index',
    () => t23().indexSelect(0, tk.zeros([1, 1], { dtype: 'int64' })),
    'SHAPE_MISMATCH',
    /^indexSelect: the index must be 0-D or 1-D, got \[1, 1\]/,
  ],
  ['argsort dim out of range', () => t23().argsort(2), 'INDEX_OUT_OF_RANGE', /^argsort: dim out of range/],
  [
    'bincount negative value',
    () => tk.tensor([1, -1], { dtype: 'int64' }).bincount(),
    'INVALID_ARGUMENT',
    /^bincount: values must be non-negative, got -1/,
  ],
  [
    'bincount of floats',
    () => tk.tensor([1.5]).bincount(),
    'DTYPE_MISMATCH',
    /^bincount: expected int64 or int32 values, got float32/,
  ],
  [
    'bincount weights length',
    () => tk.tensor([1, 2], { dtype: 'int64' }).bincount({ weights: tk.zeros([3]) }),
    'SHAPE_MISMATCH',
    /^bincount: weights must have the values' shape \[2\], got \[3\]/,
  ],
  ['dot sizes', () => tk.zeros([3]).dot(tk.zeros([4])), 'SHAPE_MISMATCH', /dot: inconsistent tensor size/],
  [
    'mean of integers',
    () => tk.zeros([3], { dtype: 'int32' }).mean(),
    'DTYPE_MISMATCH',
    /mean: expected a floating point tensor, got int32/,
  ],
  [
    'softmax of integers',
    () => tk.arange(3).softmax(0),
    'DTYPE_MISMATCH',
    /softmax: expected a floating point tensor, got int64/,
  ],
  ['neg of bool', () => tk.tensor([true]).neg(), 'DTYPE_MISMATCH', /neg: not supported for bool tensors/],
  [
    'sub of bools',
    () => tk.tensor([true]).sub(tk.tensor([false])),
    'DTYPE_MISMATCH',
    /sub: not supported for bool tensors/,
  ],
  [
    'where with a float condition',
    () => tk.where(t23(), 1, 0),
    'DTYPE_MISMATCH',
    /where: condition must be a bool tensor, got float32/,
  ],
  [
    'dim out of range',
    () => t23().sum(2),
    'INDEX_OUT_OF_RANGE',
    /sum: dim out of range \(expected in \[-2, 1\]\), got 2/,
  ],
  ['repeated dim', () => t23().sum([1, -1]), 'INVALID_ARGUMENT', /sum: dim -1 appears multiple times/],
  [
    'select index out of range',
    () => t23().select(1, 3),
    'INDEX_OUT_OF_RANGE',
    /select: index 3 out of range for dimension 1 with size 3/,
  ],
  [
    'narrow beyond the end',
    () => t23().narrow(1, 2, 2),
    'INDEX_OUT_OF_RANGE',
    /narrow: start \(2\) \+ length \(2\) exceeds dimension size \(3\)/,
  ],
  ['transpose dim out of range', () => t23().transpose(0, 5), 'INDEX_OUT_OF_RANGE', /transpose: dim out of range/],
  ['permute not a permutation', () => t23().permute(0, 0), 'INVALID_ARGUMENT', /permute: dim 0 appears more than once/],
  [
    'reshape wrong size',
    () => t23().reshape(4, 2),
    'SHAPE_MISMATCH',
    /reshape: shape \[4, 2\] is invalid for input of size 6/,
  ],
  ['reshape two -1', () => t23().reshape(-1, -1), 'INVALID_ARGUMENT', /reshape: only one dimension can be inferred/],
  [
    'view of a transposed tensor',
    () => t23().t().view(6),
    'INVALID_ARGUMENT',
    /view: size \[6\] is not compatible .* use reshape\(\) instead/,
  ],
  [
    'expand a non-1 dim',
    () => t23().expand(4, 3),
    'SHAPE_MISMATCH',
    /expand: the expanded size 4 must match the existing size 2/,
  ],
  [
    'cat shape mismatch',
    () => tk.cat([t23(), tk.zeros([2, 4])], 0),
    'SHAPE_MISMATCH',
    /cat: sizes of tensors must match except in dimension 0, got \[2, 3\] and \[2, 4\]/,
  ],
  ['cat of nothing', () => tk.cat([]), 'INVALID_ARGUMENT', /cat: expected a non-empty list/],
  [
    'stack unequal',
    () => tk.stack([t23(), tk.zeros([3, 2])]),
    'SHAPE_MISMATCH',
    /stack: expects each tensor to be equal size/,
  ],
  [
    'max of an empty dim',
    () => tk.zeros([0, 3]).max(0),
    'INVALID_ARGUMENT',
    /max: cannot reduce over a dimension of size 0/,
  ],
  [
    'integers to a negative integer power (as torch)',
    () => tk.tensor([2, 3], { dtype: 'int64' }).pow(-1),
    'INVALID_ARGUMENT',
    /pow: integers to negative integer powers are not allowed, got exponent -1 for a int64 tensor/,
  ],
  [
    'the same in place',
    () => tk.tensor([2], { dtype: 'int32' }).pow_(-2),
    'INVALID_ARGUMENT',
    /pow: integers to negative integer powers are not allowed, got exponent -2/,
  ],
  [
    'the same in the plain reference',
    () => tk.plain.pow(tk.plain.plainTensor([2], 'int64'), -1),
    'INVALID_ARGUMENT',
    /pow: integers to negative integer powers are not allowed, got exponent -1/,
  ],
  [
    'integer remainder by a zero in a tensor',
    () => tk.tensor([1, 2], { dtype: 'int64' }).remainder(tk.tensor([1, 0], { dtype: 'int64' })),
    'INVALID_ARGUMENT',
    /remainder: integer division by zero \(the divisor holds a 0 at element 1\)/,
  ],
  [
    'integer floorDivide by 0',
    () => tk.tensor([1], { dtype: 'int32' }).floorDivide(0),
    'INVALID_ARGUMENT',
    /floor_divide: integer division by zero/,
  ],
  [
    'integer fmod_ by 0, broadcast',
    () => tk.ones([2, 2], { dtype: 'int64' }).fmod_(tk.zeros([2], { dtype: 'int64' })),
    'INVALID_ARGUMENT',
    /fmod: integer division by zero/,
  ],
  [
    "integer div 'trunc' by 0",
    () => tk.tensor([7], { dtype: 'int64' }).div(0, { roundingMode: 'trunc' }),
    'INVALID_ARGUMENT',
    /integer division by zero/,
  ],
  [
    'the plain reference: integer remainder by 0',
    () => tk.plain.remainder(tk.plain.plainTensor([2], 'int64'), 0),
    'INVALID_ARGUMENT',
    /remainder: integer division by zero/,
  ],
  [
    'div with an unknown roundingMode',
    () => t23().div(2, { roundingMode: 'ceil' as never }),
    'INVALID_ARGUMENT',
    /div: roundingMode must be 'floor', 'trunc' or null, got "ceil"/,
  ],
  [
    "div_ 'trunc' of an integer tensor by a float one",
    () => tk.tensor([7], { dtype: 'int64' }).div_(tk.tensor([2.5]), { roundingMode: 'trunc' }),
    'DTYPE_MISMATCH',
    /div_: result type float32 can't be cast to the desired output type int64/,
  ],
  [
    'round with decimals on integers',
    () => tk.tensor([15], { dtype: 'int64' }).round({ decimals: -1 }),
    'DTYPE_MISMATCH',
    /round: decimals needs a floating tensor, got int64/,
  ],
  ['floor of bool', () => tk.tensor([true]).floor(), 'DTYPE_MISMATCH', /floor: not supported for bool tensors/],
  [
    'hardtanh with its bounds reversed',
    () => tk.nn.functional.hardtanh(t23(), 1, -1),
    'INVALID_ARGUMENT',
    /hardtanh: minVal 1 is above maxVal -1/,
  ],
  [
    'prelu with a weight that fits no channel count',
    () => tk.nn.functional.prelu(tk.zeros([2, 3, 4]), tk.ones([4])),
    'SHAPE_MISMATCH',
    /prelu: weight has 4 values; expected 1 or the 3 channels of input \[2, 3, 4\]/,
  ],
  [
    'glu over an odd dim',
    () => tk.nn.functional.glu(t23(), 1),
    'SHAPE_MISMATCH',
    /glu: dim 1 must have an even size, got 3/,
  ],
  ['celu with alpha 0', () => tk.nn.functional.celu(t23(), 0), 'INVALID_ARGUMENT', /celu: alpha must not be 0/],
  [
    'PReLU with no parameters',
    () => new tk.nn.PReLU({ numParameters: 0 }),
    'INVALID_ARGUMENT',
    /PReLU: 'numParameters' must be an integer >= 1/,
  ],
  ['vectorNorm of order NaN', () => t23().vectorNorm(NaN), 'INVALID_ARGUMENT', /vectorNorm: 'ord' must be a number/],
  [
    'vectorNorm of order Infinity over an empty dim',
    () => tk.zeros([0, 3]).vectorNorm(Infinity, { dim: 0 }),
    'INVALID_ARGUMENT',
    /vectorNorm: cannot compute the Infinity norm over dim 0 of size 0/,
  ],
  [
    'add with alpha and a null operand',
    () => t23().add(null as never, { alpha: 2 }),
    'INVALID_ARGUMENT',
    /add: expected a Tensor, number or boolean operand, got null/,
  ],
  [
    "div 'trunc' with a null operand",
    () => t23().div(null as never, { roundingMode: 'trunc' }),
    'INVALID_ARGUMENT',
    /expected a Tensor, number or boolean operand, got null/,
  ],
  [
    'add with a fractional alpha on integers',
    () => tk.tensor([1], { dtype: 'int64' }).add(2, { alpha: 0.5 }),
    'INVALID_ARGUMENT',
    /add: for integral tensors alpha must be an integer, got 0.5/,
  ],
  ['arange NaN', () => tk.arange(0, NaN), 'INVALID_ARGUMENT', /arange: end must be finite, got nan/],
  ['arange infinite', () => tk.arange(0, Infinity), 'INVALID_ARGUMENT', /arange: end must be finite, got inf/],
  ['arange zero step', () => tk.arange(0, 5, 0), 'INVALID_ARGUMENT', /arange: step must be nonzero/],
  [
    'arange wrong sign',
    () => tk.arange(0, 5, -1),
    'INVALID_ARGUMENT',
    /arange: upper bound and lower bound inconsistent with step sign/,
  ],
  ['negative size', () => tk.zeros([2, -1]), 'INVALID_ARGUMENT', /zeros: sizes must be non-negative, got \[2, -1\]/],
  ['absurd size', () => tk.zeros([2 ** 40, 2 ** 20]), 'OUT_OF_MEMORY', /zeros: .*(too large|cannot allocate)/],
  ['overflowing size', () => tk.zeros([2 ** 50, 2 ** 50]), 'OUT_OF_MEMORY', /zeros: the number of elements overflows/],
  ['too many dims', () => tk.zeros(new Array(17).fill(1)), 'INVALID_ARGUMENT', /at most 16 dimensions/],
  [
    'ragged nested array',
    () => tk.tensor([[1, 2], [3]]),
    'INVALID_ARGUMENT',
    /tensor: ragged nested array: expected 2 elements at \[1\], got 1/,
  ],
  [
    'nested strings',
    () => tk.tensor([['a']] as never),
    'INVALID_ARGUMENT',
    /tensor: expected numbers, booleans or bigints, got "a" at \[0, 0\]/,
  ],
  [
    'shape option mismatch',
    () => tk.tensor([1, 2, 3], { shape: [2, 2] }),
    'SHAPE_MISMATCH',
    /tensor: shape \[2, 2\] does not match the 3 elements given/,
  ],
  [
    'unknown dtype',
    () => tk.zeros([2], { dtype: 'float8' as never }),
    'INVALID_ARGUMENT',
    /zeros: unknown dtype, got "float8"/,
  ],
  [
    'misspelled option',
    () => t23().sum(0, { keepDims: true } as never),
    'INVALID_ARGUMENT',
    /sum: unknown option 'keepDims' \(did you mean 'keepdim'\?\)/,
  ],
  [
    'wrong option type',
    () => t23().sum(0, { keepdim: 1 } as never),
    'INVALID_ARGUMENT',
    /sum: option 'keepdim' must be a boolean, got 1/,
  ],
  ['non-integer dim', () => t23().softmax(0.5), 'INVALID_ARGUMENT', /softmax: 'dim' must be an integer, got 0.5/],
  [
    'non-tensor operand',
    () => t23().add('1' as never),
    'INVALID_ARGUMENT',
    /add: expected a Tensor, number or boolean operand, got "1"/,
  ],
  ['unknown device', () => t23().to('tpu' as never), 'INVALID_ARGUMENT', /to: unknown device, got 'tpu'/],
  [
    'item of many elements',
    () => t23().item(),
    'INVALID_ARGUMENT',
    /item: a Tensor with 6 elements cannot be converted to a scalar/,
  ],
  [
    'randint empty range',
    () => tk.randint(5, 5, [2]),
    'INVALID_ARGUMENT',
    /randint: expected low < high, got low=5, high=5/,
  ],
  [
    'rand of integers',
    () => tk.rand([2], { dtype: 'int32' }),
    'DTYPE_MISMATCH',
    /rand: expected a floating dtype, got int32/,
  ],
  [
    'setNumThreads(0)',
    () => tk.setNumThreads(0),
    'INVALID_ARGUMENT',
    /setNumThreads: expected an integer in 1..1024, got 0/,
  ],
  [
    'clamp without bounds',
    () => t23().clamp(),
    'INVALID_ARGUMENT',
    /clamp: at least one of 'min' and 'max' must be given/,
  ],
  [
    'tidy with an async function',
    () => tk.tidy(async () => 1),
    'INVALID_ARGUMENT',
    /tidy: the function must be synchronous/,
  ],
  // autograd
  [
    'grad of the wrong shape',
    () => {
      tk.zeros([2], { requiresGrad: true }).grad = tk.zeros([3]);
    },
    'SHAPE_MISMATCH',
    /grad: assigned gradient has shape \[3\] but the tensor has shape \[2\]/,
  ],
  [
    'grad of the wrong dtype',
    () => {
      tk.zeros([2], { requiresGrad: true }).grad = tk.zeros([2], { dtype: 'float64' });
    },
    'DTYPE_MISMATCH',
    /grad: assigned gradient has dtype float64 but the tensor has dtype float32/,
  ],
  [
    'grad not a tensor',
    () => {
      tk.zeros([2]).grad = [1, 2] as never;
    },
    'INVALID_ARGUMENT',
    /grad: expected a Tensor or null, got \[1, 2\]/,
  ],
  [
    'requiresGrad not a boolean',
    () => {
      tk.zeros([2]).requiresGrad = 1 as never;
    },
    'INVALID_ARGUMENT',
    /requiresGrad: expected a boolean, got 1/,
  ],
  [
    'backward of a disposed tensor',
    () => {
      const t = tk.zeros([1], { requiresGrad: true });
      t.dispose();
      t.backward();
    },
    'DISPOSED',
    /backward/,
  ],
  [
    'backward unknown option',
    () => tk.zeros([1], { requiresGrad: true }).backward(null, { retain: true } as never),
    'INVALID_ARGUMENT',
    /backward: unknown option 'retain'/,
  ],
  [
    'backward with an integer gradient',
    () =>
      tk
        .zeros([2], { requiresGrad: true })
        .mul(2)
        .backward(tk.zeros([2], { dtype: 'int32' })),
    'DTYPE_MISMATCH',
    /backward: gradient 0 must be a floating tensor, got int32/,
  ],
  ['noGrad of a non-function', () => tk.noGrad(3 as never), 'INVALID_ARGUMENT', /noGrad: expected a function, got 3/],
  [
    'autograd.grad with no inputs',
    () => tk.autograd.grad(tk.zeros([1], { requiresGrad: true }).mul(2), []),
    'INVALID_ARGUMENT',
    /grad: expected at least one input/,
  ],
  [
    'gradcheck without grad inputs',
    () => tk.gradcheck((x) => x, [tk.zeros([1], { dtype: 'float64' })]),
    'INVALID_ARGUMENT',
    /gradcheck: no input requires grad/,
  ],
];

describe('bad input throws TensorError with a code', () => {
  for (const [name, fn, code, msg] of CASES) {
    it(name, () => {
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(err, 'expected a throw').toBeInstanceOf(TensorError);
      expect((err as TensorError).code).toBe(code);
      expect((err as TensorError).message).toMatch(msg);
    });
  }
});

describe('error codes', () => {
  it('the TS list equals the native list', () => {
    expect([...binding.errorCodes]).toEqual([...ERROR_CODES]);
  });

  it.runIf(!tk.cuda.isAvailable())('cuda without a device is a CUDA_ERROR, not a crash', () => {
    for (const fn of [() => tk.zeros([2]).to('cuda'), () => tk.zeros([2], { device: 'cuda' })]) {
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TensorError);
      expect((err as TensorError).code).toBe('CUDA_ERROR');
      expect((err as TensorError).message).toMatch(/cuda/);
    }
  });
});
