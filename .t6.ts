import * as tk from './src/index.ts';
import { Gpt } from './bench/programs.ts';
tk.setNumThreads(1);
const m = new Gpt();
const ps = m.parameters();
console.log(
  'params',
  ps.length,
  ps.reduce((a, p) => a + p.numel(), 0),
);
const opt = new tk.optim.AdamW(ps, { lr: 1e-3 });
const setGrads = () =>
  tk.noGrad(() => {
    for (const p of ps) p.grad = tk.onesLike ? tk.onesLike(p) : tk.ones(p.shape);
  });
const t = (f: () => void, n = 200) => {
  for (let i = 0; i < 20; i++) f();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) f();
  return ((performance.now() - t0) / n) * 1000;
};
const full = t(() => {
  setGrads();
  opt.step();
});
const grads = t(() => {
  setGrads();
  for (const p of ps) {
    p.grad = null;
  }
});
console.log('step+grads us', full.toFixed(0), 'grads only us', grads.toFixed(0));
// raw kernel estimate: adam on all elements as one tensor
const big = tk.zeros([ps.reduce((a, p) => a + p.numel(), 0)]).requiresGrad_();
const opt2 = new tk.optim.AdamW([big], { lr: 1e-3 });
const one = t(() => {
  tk.noGrad(() => {
    big.grad = tk.ones(big.shape);
  });
  opt2.step();
});
const oneg = t(() => {
  tk.noGrad(() => {
    big.grad = tk.ones(big.shape);
  });
  big.grad = null;
});
console.log('one tensor same size: step+grad', one.toFixed(0), 'grad only', oneg.toFixed(0));
