import * as tk from './src/index.ts';
tk.setNumThreads(1);
const N = 1 << 20;
const x = tk.randn([N]), y = tk.randn([N]);
const g = tk.jit.trace((a: tk.Tensor, b: tk.Tensor) => a.mul(b).add(1).relu(), [x, y]);
for (let i=0;i<3000;i++) (g.run([x, y]) as tk.Tensor).dispose();
