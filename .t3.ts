import * as tk from './src/index.ts';
const N = 100003;
for (const dtype of ['float32', 'float64'] as const) {
const x = tk.randn([N], { dtype }).mul(3), y = tk.randn([N], { dtype });
const fns: [string, (a: tk.Tensor, b: tk.Tensor) => tk.Tensor][] = [
  ['exp', (a, b) => a.exp().mul(b).add(0.5)],
  ['sig tanh', (a, b) => a.sigmoid().add(b.tanh()).mul(2)],
  ['gelu erf', (a, b) => a.gelu().sub(b.erf()).abs()],
  ['log sqrt', (a, b) => a.abs().add(1).log().add(b.abs().sqrt())],
  ['sin cos pow', (a, b) => a.sin().mul(b.cos()).pow(3).add(a.pow(2))],
  ['clamp div', (a, b) => a.clamp(-1, 2).div(b.add(10)).neg()],
];
for (const [name, f] of fns) {
  const g = tk.jit.trace(f, [x, y]);
  const r = g.run([x, y]) as tk.Tensor, e = f(x, y);
  const ra = r.data() as Float32Array, ea = e.data() as Float32Array;
  let bad = 0; for (let i=0;i<N;i++) if (!Object.is(ra[i], ea[i])) bad++;
  console.log(dtype, name, g.fusedChains(), 'mismatches', bad);
}}
