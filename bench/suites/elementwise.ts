// Element-wise ops: per-call overhead, bandwidth on large tensors, strided views, plain vs native,
// with PyTorch's CPU kernels on the same 1M-element op beside them when a python3 with torch is
// present (bench/peers/torch_programs.py, "elementwise.NAME").
import * as tk from '../../src/index.js';
import * as plain from '../../src/plain/index.js';
import { measure, type Options, type Row } from '../lib.js';
import { startTorch, torchAvailable } from '../peers/torch.js';

export async function* elementwise(opts: Options, threads: number[]): AsyncGenerator<Row> {
  const suite = 'elementwise';
  tk.manualSeed(0);

  // Per-call overhead: add of two 16-element tensors, result created and disposed.
  {
    const a = tk.randn([16]),
      b = tk.randn([16]);
    const pa = plain.rand([16]),
      pb = plain.rand([16]);
    // Three interleaved rounds, median of the medians: single sub-microsecond figures swing
    // with the shared machine's load more than anything else here.
    const rounds = { native: [] as number[], plain: [] as number[], tidy: [] as number[] };
    for (let r = 0; r < 3; r++) {
      rounds.native.push(await measure(() => a.add(b).dispose(), opts, 1000));
      rounds.plain.push(await measure(() => plain.add(pa, pb), opts, 1000));
      rounds.tidy.push(await measure(() => tk.tidy(() => a.add(b)).dispose(), opts, 1000));
    }
    const mid = (xs: number[]) => [...xs].sort((x, y) => x - y)[1];
    const nativeUs = mid(rounds.native),
      plainUs = mid(rounds.plain),
      tidyUs = mid(rounds.tidy);
    yield { suite, name: 'add 16 (per-call overhead)', threads: tk.getNumThreads(), nativeUs, plainUs };
    yield { suite, name: 'add 16 inside tidy()', threads: tk.getNumThreads(), nativeUs: tidyUs, plainUs };
    a.dispose();
    b.dispose();
  }

  const N = 1 << 20;
  const x = tk.randn([N]),
    y = tk.randn([N]);
  const px = plain.randn([N]),
    py = plain.randn([N]);
  const big = tk.randn([1024, 1024]);
  const bigT = big.t();
  const bigGrad = x.view([1024, 1024]);
  const pbig = plain.randn([1024, 1024]);
  const bigPos = big.abs().add(0.5);
  const pbigPos = plain.add(plain.abs(pbig), plain.full([1], 0.5));
  const bigUnit = big.tanh(); // inside (-1, 1), for asin and acos
  const pbigUnit = plain.unary('tanh', pbig);
  const plainUs: Record<string, number> = {
    add: await measure(() => plain.add(px, py), opts, 1, opts.quick ? 300 : 1000),
    mul: await measure(() => plain.mul(px, py), opts, 1, opts.quick ? 300 : 1000),
    exp: await measure(() => plain.exp(pbig), opts, 1, opts.quick ? 300 : 1000),
    relu: await measure(() => plain.relu(pbig), opts, 1, opts.quick ? 300 : 1000),
    tanh: await measure(() => plain.tanh(pbig), opts, 1, opts.quick ? 300 : 1000),
    erf: await measure(() => plain.erf(pbig), opts, 1, opts.quick ? 300 : 1000),
    erfc: await measure(() => plain.unary('erfc', pbig), opts, 1, opts.quick ? 300 : 1000),
    sign: await measure(() => plain.unary('sign', pbig), opts, 1, opts.quick ? 300 : 1000),
    gelu: await measure(() => plain.gelu(pbig), opts, 1, opts.quick ? 300 : 1000),
    geluBackward: await measure(() => plain.binary('gelu_backward', pbig, pbig), opts, 1, opts.quick ? 300 : 1000),
    silu: await measure(() => plain.unary('silu', pbig), opts, 1, opts.quick ? 300 : 1000),
    siluBackward: await measure(() => plain.binary('silu_backward', pbig, pbig), opts, 1, opts.quick ? 300 : 1000),
    leakyRelu: await measure(() => plain.unary('leaky_relu', pbig), opts, 1, opts.quick ? 300 : 1000),
    leakyReluBackward: await measure(
      () => plain.binary('leaky_relu_backward', pbig, pbig),
      opts,
      1,
      opts.quick ? 300 : 1000,
    ),
    elu: await measure(() => plain.unary('elu', pbig), opts, 1, opts.quick ? 300 : 1000),
    eluBackward: await measure(() => plain.binary('elu_backward', pbig, pbig), opts, 1, opts.quick ? 300 : 1000),
    hardswish: await measure(() => plain.unary('hardswish', pbig), opts, 1, opts.quick ? 300 : 1000),
    hardswishBackward: await measure(
      () => plain.binary('hardswish_backward', pbig, pbig),
      opts,
      1,
      opts.quick ? 300 : 1000,
    ),
    hardsigmoid: await measure(() => plain.unary('hardsigmoid', pbig), opts, 1, opts.quick ? 300 : 1000),
    relu6: await measure(() => plain.unary('hardtanh', pbig, 0, 6), opts, 1, opts.quick ? 300 : 1000),
    log: await measure(() => plain.log(pbigPos), opts, 1, opts.quick ? 300 : 1000),
    sin: await measure(() => plain.sin(pbig), opts, 1, opts.quick ? 300 : 1000),
    tan: await measure(() => plain.unary('tan', pbig), opts, 1, opts.quick ? 300 : 1000),
    log2: await measure(() => plain.unary('log2', pbigPos), opts, 1, opts.quick ? 300 : 1000),
    log10: await measure(() => plain.unary('log10', pbigPos), opts, 1, opts.quick ? 300 : 1000),
    exp2: await measure(() => plain.unary('exp2', pbig), opts, 1, opts.quick ? 300 : 1000),
    expm1: await measure(() => plain.unary('expm1', pbig), opts, 1, opts.quick ? 300 : 1000),
    sinh: await measure(() => plain.unary('sinh', pbig), opts, 1, opts.quick ? 300 : 1000),
    atan: await measure(() => plain.unary('atan', pbig), opts, 1, opts.quick ? 300 : 1000),
    asin: await measure(() => plain.unary('asin', pbigUnit), opts, 1, opts.quick ? 300 : 1000),
    acos: await measure(() => plain.unary('acos', pbigUnit), opts, 1, opts.quick ? 300 : 1000),
    atan2: await measure(() => plain.binary('atan2', px, py), opts, 1, opts.quick ? 300 : 1000),
    sigmoid: await measure(() => plain.unary('sigmoid', pbig), opts, 1, opts.quick ? 300 : 1000),
    sqrt: await measure(() => plain.sqrt(pbigPos), opts, 1, opts.quick ? 300 : 1000),
    rsqrt: await measure(() => plain.rsqrt(pbigPos), opts, 1, opts.quick ? 300 : 1000),
    floor: await measure(() => plain.floor(pbig), opts, 1, opts.quick ? 300 : 1000),
    fmod: await measure(() => plain.fmod(px, py), opts, 1, opts.quick ? 300 : 1000),
    round: await measure(() => plain.round(pbig), opts, 1, opts.quick ? 300 : 1000),
    div: await measure(() => plain.div(px, py), opts, 1, opts.quick ? 300 : 1000),
    maximum: await measure(() => plain.maximum(px, py), opts, 1, opts.quick ? 300 : 1000),
    remainder: await measure(() => plain.remainder(px, py), opts, 1, opts.quick ? 300 : 1000),
    floorDivide: await measure(() => plain.floorDivide(px, py), opts, 1, opts.quick ? 300 : 1000),
    cos: await measure(() => plain.cos(pbig), opts, 1, opts.quick ? 300 : 1000),
    clamp: await measure(() => plain.clamp(pbig, -1, 1), opts, 1, opts.quick ? 300 : 1000),
    where: await measure(() => plain.where(plain.gt(px, 0), px, py), opts, 1, opts.quick ? 300 : 1000),
  };
  const cond = x.gt(0);
  if (!opts.smoke && !torchAvailable()) console.log('  (python3 with torch not found: no PyTorch peer)');
  for (const th of threads) {
    tk.setNumThreads(th);
    // [name, native, bytes moved, the torch peer's name]
    const rows: [string, () => void, number, string][] = [
      ['add 1M f32', () => x.add(y).dispose(), 12 * N, 'add'],
      ['mul 1M f32', () => x.mul(y).dispose(), 12 * N, 'mul'],
      ['add_ 1M f32 (in place)', () => void x.add_(y), 12 * N, 'add_'],
      ['add 1M + scalar', () => x.add(1.5).dispose(), 8 * N, 'add_scalar'],
      ['exp 1M contiguous', () => big.exp().dispose(), 8 * N, 'exp'],
      ['exp 1M transposed view', () => bigT.exp().dispose(), 8 * N, 'exp_t'],
      ['relu 1M contiguous', () => big.relu().dispose(), 8 * N, 'relu'],
      ['tanh 1M contiguous', () => big.tanh().dispose(), 8 * N, 'tanh'],
      ['erf 1M contiguous', () => big.erf().dispose(), 8 * N, 'erf'],
      ['erfc 1M contiguous', () => big.erfc().dispose(), 8 * N, 'erfc'],
      ['erfinv 1M in (-1, 1)', () => bigUnit.erfinv().dispose(), 8 * N, 'erfinv'],
      ['gelu 1M contiguous', () => tk.nn.functional.gelu(big).dispose(), 8 * N, 'gelu'],
      ["geluBackward 1M (autograd's kernel)", () => tk.nn.grad.gelu(bigGrad, big).dispose(), 12 * N, 'gelu_backward'],
      ['silu 1M contiguous', () => tk.nn.functional.silu(big).dispose(), 8 * N, 'silu'],
      ["siluBackward 1M (autograd's kernel)", () => tk.nn.grad.silu(bigGrad, big).dispose(), 12 * N, 'silu_backward'],
      ['leakyRelu 1M contiguous', () => tk.nn.functional.leakyRelu(big).dispose(), 8 * N, 'leaky_relu'],
      [
        "leakyReluBackward 1M (autograd's kernel)",
        () => tk.nn.grad.leakyRelu(bigGrad, big).dispose(),
        12 * N,
        'leaky_relu_backward',
      ],
      ['elu 1M contiguous', () => tk.nn.functional.elu(big).dispose(), 8 * N, 'elu'],
      ["eluBackward 1M (autograd's kernel)", () => tk.nn.grad.elu(bigGrad, big).dispose(), 12 * N, 'elu_backward'],
      ['hardswish 1M contiguous', () => tk.nn.functional.hardswish(big).dispose(), 8 * N, 'hardswish'],
      [
        "hardswishBackward 1M (autograd's kernel)",
        () => tk.nn.grad.hardswish(bigGrad, big).dispose(),
        12 * N,
        'hardswish_backward',
      ],
      ['hardsigmoid 1M contiguous', () => tk.nn.functional.hardsigmoid(big).dispose(), 8 * N, 'hardsigmoid'],
      ['relu6 1M contiguous', () => tk.nn.functional.relu6(big).dispose(), 8 * N, 'relu6'],
      ['log 1M contiguous', () => bigPos.log().dispose(), 8 * N, 'log'],
      ['sin 1M contiguous', () => big.sin().dispose(), 8 * N, 'sin'],
      ['cos 1M contiguous', () => big.cos().dispose(), 8 * N, 'cos'],
      ['tan 1M contiguous', () => big.tan().dispose(), 8 * N, 'tan'],
      ['log2 1M contiguous', () => bigPos.log2().dispose(), 8 * N, 'log2'],
      ['log10 1M contiguous', () => bigPos.log10().dispose(), 8 * N, 'log10'],
      ['exp2 1M contiguous', () => big.exp2().dispose(), 8 * N, 'exp2'],
      ['expm1 1M contiguous', () => big.expm1().dispose(), 8 * N, 'expm1'],
      ['sinh 1M contiguous', () => big.sinh().dispose(), 8 * N, 'sinh'],
      ['atan 1M contiguous', () => big.atan().dispose(), 8 * N, 'atan'],
      ['asin 1M contiguous', () => bigUnit.asin().dispose(), 8 * N, 'asin'],
      ['acos 1M contiguous', () => bigUnit.acos().dispose(), 8 * N, 'acos'],
      ['atan2 1M f32', () => tk.atan2(x, y).dispose(), 12 * N, 'atan2'],
      ['sigmoid 1M contiguous', () => big.sigmoid().dispose(), 8 * N, 'sigmoid'],
      ['sqrt 1M contiguous', () => bigPos.sqrt().dispose(), 8 * N, 'sqrt'],
      ['rsqrt 1M contiguous', () => bigPos.rsqrt().dispose(), 8 * N, 'rsqrt'],
      ['floor 1M contiguous', () => big.floor().dispose(), 8 * N, 'floor'],
      ['round 1M contiguous', () => big.round().dispose(), 8 * N, 'round'],
      ['div 1M f32', () => x.div(y).dispose(), 12 * N, 'div'],
      ['maximum 1M f32', () => tk.maximum(x, y).dispose(), 12 * N, 'maximum'],
      ['fmod 1M f32', () => x.fmod(y).dispose(), 12 * N, 'fmod'],
      ['remainder 1M f32', () => x.remainder(y).dispose(), 12 * N, 'remainder'],
      ['remainder 1M by a scalar', () => x.remainder(0.7).dispose(), 8 * N, 'remainder_scalar'],
      ['floorDivide 1M f32', () => x.floorDivide(y).dispose(), 12 * N, 'floor_divide'],
      ['relu 1M transposed view', () => bigT.relu().dispose(), 8 * N, 'relu_t'],
      ['add [1024,1024] + [1024] (broadcast)', () => big.add(y.narrow(0, 0, 1024)).dispose(), 8 * N, 'add_broadcast'],
      // random data: a branchy select pays a misprediction per element
      ['clamp 1M random, to [-1, 1]', () => big.clamp(-1, 1).dispose(), 8 * N, 'clamp'],
      ['sign 1M random', () => big.sign().dispose(), 8 * N, 'sign'],
      ['where 1M, random condition', () => tk.where(cond, x, y).dispose(), 13 * N, 'where'],
    ];
    const torch = opts.smoke ? undefined : await startTorch(th);
    try {
      for (const [name, fn, bytes, peer] of rows) {
        const op = name.split(' ')[0].replace('_', '');
        const nativeUs = await measure(fn, opts, 1);
        const peerUs = torch ? (await torch.time(`elementwise.${peer}`, opts.quick ? 300 : 800)) * 1000 : undefined;
        yield { suite, name, threads: th, nativeUs, bytes, plainUs: plainUs[op], peerUs, note: torch?.label };
      }
    } finally {
      torch?.close();
    }
  }
  for (const t of [x, y, big, bigT, bigGrad, bigPos, bigUnit, cond]) t.dispose();
}
