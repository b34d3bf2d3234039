// The special functions and bitwise ops against PyTorch on this machine: 1M float64 (int64 for
// the bitwise ops) elements, one thread each, median of 9 runs; PyTorch's side is
// scripts/compare/special_torch.py (Debian's python3-torch). Not part of npm run bench: a one-off
// comparison for the issue note.
//   npx tsx scripts/compare/special.ts
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import * as tk from '../../src/index.js';

tk.setNumThreads(1);
const n = 1 << 20;
const x = tk.rand([n], { dtype: 'float64' }).mul(10).add(0.1);
const p = tk.rand([n], { dtype: 'float64' }).mul(0.98).add(0.01);
const ai = x.mul(2).sub(10); // Ai on [-9.8, 10.2]: every range of the kernel
const a = tk.randint(0, 1 << 30, [n], { dtype: 'int64' });
const cases: [string, () => tk.Tensor][] = [
  ['i0', () => x.i0()],
  ['i0e', () => x.i0e()],
  ['i1e', () => x.i1e()],
  ['erfcx', () => x.erfcx()],
  ['ndtri', () => p.ndtri()],
  ['logNdtr', () => x.neg().logNdtr()],
  ['gammainc', () => x.gammainc(x.mul(0.9))],
  ['zeta', () => x.add(1.5).zeta(x)],
  ['besselJ0', () => x.besselJ0()],
  ['besselY1', () => x.besselY1()],
  ['besselY0', () => x.besselY0()],
  ['besselJ1', () => x.besselJ1()],
  ['modifiedBesselK0', () => x.modifiedBesselK0()],
  ['scaledModifiedBesselK1', () => x.scaledModifiedBesselK1()],
  ['sphericalBesselJ0', () => x.sphericalBesselJ0()],
  ['airyAi', () => ai.airyAi()],
  ['bitwiseAnd', () => a.bitwiseAnd(a)],
  ['gcd', () => a.gcd(a.add(7))],
];
const ours = new Map<string, number>();
for (const [name, f] of cases) {
  const ts: number[] = [];
  for (let i = 0; i < 9; i++) {
    const t0 = performance.now();
    f().dispose();
    ts.push(performance.now() - t0);
  }
  ts.sort((u, v) => u - v);
  ours.set(name, ts[4]);
}
let theirs = new Map<string, number>();
try {
  const out = execFileSync('/usr/bin/python3', [fileURLToPath(new URL('./special_torch.py', import.meta.url))], {
    encoding: 'utf8',
  });
  theirs = new Map(
    out
      .trim()
      .split('\n')
      .map((l) => [l.split(' ')[0], Number(l.split(' ')[1])] as [string, number]),
  );
} catch {
  console.log('(PyTorch not found: apt-get install python3-torch)');
}
console.log('op                      tensorkit ms  PyTorch ms  PyTorch / tensorkit');
for (const [name, ms] of ours) {
  const t = theirs.get(name);
  console.log(
    `${name.padEnd(23)} ${ms.toFixed(2).padStart(12)} ${t === undefined ? '-'.padStart(11) : t.toFixed(2).padStart(11)}  ${t === undefined ? '' : (t / ms).toFixed(2)}`,
  );
}
