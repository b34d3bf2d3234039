// One round of scripts/compare/ab.ts: times training ops of the tensorkit tree at $TREE (1
// thread, median microseconds per op) and prints them as one JSON line. Run by ab.ts in a child
// process per round; not meant to be run by hand.
import { performance } from 'node:perf_hooks';

type Tk = typeof import('../../src/index.js');
type T = import('../../src/index.js').Tensor;
const root = process.env.TREE ?? '.';
const tk = (await import(`${root}/src/index.js`)) as Tk;
const { c3dStep, ctcStep, gptStep } = (await import(
  `${root}/bench/programs.ts`
)) as typeof import('../../bench/programs.js');
const { nn, optim } = tk;
const F = nn.functional;
tk.setNumThreads(1);

function median(f: () => unknown, n = 60): number {
  for (let i = 0; i < 5; i++) tk.tidy(() => void f());
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = performance.now();
    tk.tidy(() => void f());
    ts.push(performance.now() - a);
  }
  return ts.sort((a, b) => a - b)[n >> 1]! * 1000;
}
function optimizerStep(make: (p: T) => { step(): void }): () => void {
  const p = tk.randn([1 << 20]).requiresGrad_();
  p.grad = tk.randn([1 << 20]).mul(0.01);
  const o = make(p);
  return () => o.step();
}

const x = tk.randn([1024, 1024]),
  y = tk.randn([1024, 1024]);
const s = tk.randn([10000, 10]),
  tgt = tk.randint(0, 10, [10000]);
const xr = tk.randn([1024, 1024]).requiresGrad_();
const h = tk.randn([256, 1024]),
  hr = tk.randn([256, 1024]).requiresGrad_();
const ln = new nn.LayerNorm([1024]);
// Winograd convolutions: case B of bench/suites/conv.ts and the MNIST example's second layer.
const cb = tk.randn([32, 64, 16, 16]).requiresGrad_(),
  wb = tk.randn([64, 64, 3, 3]).mul(0.05).requiresGrad_(),
  gb = tk.randn([32, 64, 16, 16]);
const bn3 = new nn.BatchNorm3d(16),
  xb3 = tk.randn([8, 16, 8, 32, 32]).requiresGrad_();
const cm = tk.randn([64, 32, 26, 26]).requiresGrad_(),
  wm = tk.randn([64, 32, 3, 3]).mul(0.05).requiresGrad_(),
  gm = tk.randn([64, 64, 24, 24]);
// The 3-D CNN program's pools: [1, 2, 2] (depth windows of one slice) and 2 (a max over depth).
const gp1 = tk.randn([8, 16, 8, 16, 16]),
  gp2 = tk.randn([8, 16, 4, 16, 16]);
const gb4 = tk.randn([64, 16, 32, 32]);
const gi = tk.randint(0, 1024, [1024, 64]),
  gg = tk.randn([1024, 64]);
// The attention suite's shapes (bench/suites/attention.ts), through the fused kernel.
const attn = (shape: number[]) => {
  const [q, k, v] = [0, 1, 2].map(() => tk.randn(shape).requiresGrad_());
  const g = tk.randn(shape);
  return () => {
    F.scaledDotProductAttention(q!, k!, v!, { isCausal: true }).backward(g);
    q!.grad = k!.grad = v!.grad = null;
  };
};
const cases: [string, () => unknown][] = [
  ['zeros 1M', () => tk.zeros([1 << 20])],
  ['full 1M (2.5)', () => tk.full([1 << 20], 2.5)],
  ['clone 1M', () => x.clone()],
  ['causal attention fwd+bwd [16,4,64,16]', attn([16, 4, 64, 16])],
  ['causal attention fwd+bwd [4,4,256,32]', attn([4, 4, 256, 32])],
  ['sum all 1M', () => x.sum()],
  ['sum(1) [1024,1024]', () => x.sum(1)],
  ['sum(0) [1024,1024]', () => x.sum(0)],
  ['sum([0,2,3]) [64,16,32,32] (a conv bias gradient)', () => gb4.sum([0, 2, 3])],
  ['max(1)', () => x.max(1)],
  ['argmax(1)', () => x.argmax(1)],
  ['argmax(1) [10000,10]', () => s.argmax(1)],
  ['var(1)', () => x.var(1)],
  ['softmax(-1)', () => x.softmax(-1)],
  ['logSoftmax(-1)', () => x.logSoftmax(-1)],
  ['logSoftmax [10000,10]', () => s.logSoftmax(-1)],
  ['crossEntropy [10000,10]', () => F.crossEntropy(s, tgt)],
  ['cumsum(1)', () => x.cumsum(1)],
  ['relu 1M', () => x.relu()],
  ['exp 1M', () => x.exp()],
  ['abs 1M', () => x.abs()],
  ['sign 1M', () => x.sign()],
  ['sin 1M', () => x.sin()],
  ['cos 1M', () => x.cos()],
  ['tan 1M', () => x.tan()],
  ['log2 1M', () => x.abs().log2()],
  ['log10 1M', () => x.abs().log10()],
  ['exp2 1M', () => x.exp2()],
  ['expm1 1M', () => x.expm1()],
  ['sinh 1M', () => x.sinh()],
  ['cosh 1M', () => x.cosh()],
  ['atan 1M', () => x.atan()],
  ['asin 1M', () => x.tanh().asin()],
  ['acos 1M', () => x.tanh().acos()],
  ['atan2 1M', () => tk.atan2(x, y)],
  ['sigmoid 1M', () => x.sigmoid()],
  ['tanh 1M', () => x.tanh()],
  ['erf 1M', () => x.erf()],
  ['erfc 1M', () => x.erfc()],
  ['erfinv 1M', () => x.tanh().erfinv()],
  ['gelu 1M', () => F.gelu(x)],
  ['gelu fwd+bwd 1M', () => F.gelu(xr).backward(y)],
  ['silu 1M', () => F.silu(x)],
  ['silu fwd+bwd 1M', () => F.silu(xr).backward(y)],
  ['sin fwd+bwd 1M', () => xr.sin().backward(y)],
  ['leakyRelu 1M', () => F.leakyRelu(x, 0.2)],
  ['leakyRelu fwd+bwd 1M', () => F.leakyRelu(xr, 0.2).backward(y)],
  ['elu 1M', () => F.elu(x)],
  ['elu fwd+bwd 1M', () => F.elu(xr).backward(y)],
  ['selu 1M', () => F.selu(x)],
  ['hardswish 1M', () => F.hardswish(x)],
  ['hardswish fwd+bwd 1M', () => F.hardswish(xr).backward(y)],
  ['hardsigmoid 1M', () => F.hardsigmoid(x)],
  ['relu6 1M', () => F.relu6(x)],
  ['relu6 fwd+bwd 1M', () => F.relu6(xr).backward(y)],
  ['pow(0.5) 1M', () => x.abs().pow(0.5)],
  ['neg 1M', () => x.neg()],
  ['sqrt 1M', () => x.abs().sqrt()],
  ['rsqrt 1M', () => x.abs().rsqrt()],
  ['reciprocal 1M', () => x.reciprocal()],
  ['floor 1M', () => x.floor()],
  ['round 1M', () => x.round()],
  ['div 1M', () => x.div(y)],
  ['maximum 1M', () => tk.maximum(x, y)],
  ['max(1) fwd+bwd [1024,1024] (ties share)', () => xr.max(1).backward(x.select(1, 0))],
  ['gather(1) fwd+bwd [1024,1024] -> [1024,64]', () => xr.gather(1, gi).backward(gg)],
  ['maxWithIndices(1) fwd+bwd [1024,1024]', () => xr.maxWithIndices(1).values.backward(x.select(1, 0))],
  ['maxPool3d [1,2,2] fwd+bwd [8,16,8,32,32]', () => F.maxPool3d(xb3, [1, 2, 2]).backward(gp1)],
  ['maxPool3d 2 fwd+bwd [8,16,8,32,32]', () => F.maxPool3d(xb3, 2).backward(gp2)],
  ['fmod 1M', () => x.fmod(y)],
  ['remainder 1M', () => x.remainder(y)],
  ['remainder 1M by a scalar', () => x.remainder(0.7)],
  ['floorDivide 1M', () => x.floorDivide(y)],
  ['relu fwd+bwd 1M', () => xr.relu().backward(y)],
  ['clamp(-1,1) 1M', () => x.clamp(-1, 1)],
  ['where(x>0, x, y) 1M', () => tk.where(x.gt(0), x, y)],
  ['layerNorm [256,1024]', () => tk.noGrad(() => ln.forward(h))],
  ['layerNorm fwd+bwd [256,1024]', () => ln.forward(hr).backward(h)],
  ['SGD momentum step 1M', optimizerStep((p) => new optim.SGD([p], { lr: 1e-3, momentum: 0.9 }))],
  ['Adam step 1M', optimizerStep((p) => new optim.Adam([p], { lr: 1e-3 }))],
  ['Adam amsgrad step 1M', optimizerStep((p) => new optim.Adam([p], { lr: 1e-3, amsgrad: true }))],
  ['RMSprop step 1M', optimizerStep((p) => new optim.RMSprop([p], { lr: 1e-3 }))],
  ['Adadelta step 1M', optimizerStep((p) => new optim.Adadelta([p], { lr: 1 }))],
  ['batchNorm3d [8,16,8,32,32] (training)', () => bn3.forward(xb3.detach())],
  ['batchNorm3d fwd+bwd', () => bn3.forward(xb3).backward(xb3.detach())],
  ['conv2d case B 64->64 16x16 b32', () => F.conv2d(cb.detach(), wb.detach(), null, { padding: 1 })],
  ['conv2d case B fwd+bwd', () => F.conv2d(cb, wb, null, { padding: 1 }).backward(gb)],
  ['conv2d 32->64 26x26 b64 (MNIST conv2)', () => F.conv2d(cm.detach(), wm.detach())],
  ['conv2d 32->64 26x26 b64 fwd+bwd', () => F.conv2d(cm, wm).backward(gm)],
];
// ONLY=regex times just the matching rows (and the program steps only if they match too).
const only = process.env.ONLY ? new RegExp(process.env.ONLY) : undefined;
const out: Record<string, number> = {};
for (const [name, f] of cases) if (!only || only.test(name)) out[name] = median(f, name.startsWith('conv2d') ? 20 : 60);
if (!only || only.test('GPT')) {
  const gpt = gptStep();
  for (let i = 0; i < 3; i++) gpt();
  const gs: number[] = [];
  for (let i = 0; i < 15; i++) {
    const a = performance.now();
    gpt();
    gs.push(performance.now() - a);
  }
  out['GPT training step (bench/programs.ts)'] = gs.sort((a, b) => a - b)[7]! * 1000;
}
for (const [name, make] of [
  ['3-D CNN training step (bench/programs.ts)', c3dStep],
  ['CTC training step (bench/programs.ts)', ctcStep],
] as const)
  if (!only || only.test(name)) out[name] = median(make(), 15);
console.log(JSON.stringify(out));
