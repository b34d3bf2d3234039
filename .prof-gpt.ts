import { PROGRAMS } from './bench/programs.ts';
import * as tk from './src/index.ts';
tk.setNumThreads(Number(process.env.TH ?? 1));
const s = PROGRAMS[(process.argv[2] ?? 'gpt') as 'gpt'].make();
for (let i = 0; i < 3; i++) s();
const N = Number(process.argv[3] ?? 20);
const t0 = performance.now();
for (let i = 0; i < N; i++) s();
console.log(((performance.now() - t0) / N).toFixed(2), 'ms/step');
