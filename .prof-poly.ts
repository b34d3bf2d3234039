import { polyStep } from './bench/programs.ts';
import * as tk from './src/index.ts';
tk.setNumThreads(1);
const s = polyStep();
for (let i = 0; i < 2000; i++) s();
const t0 = performance.now();
const N = Number(process.argv[2] ?? 20000);
for (let i = 0; i < N; i++) s();
console.log(((performance.now() - t0) / N * 1000).toFixed(1), 'us/step');
