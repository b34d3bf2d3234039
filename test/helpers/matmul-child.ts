// Run by test/matmul.test.ts in a child process whose environment picks the CPU kernel
// (TENSORKIT_CPU_CAPABILITY): checks matmul, and conv2d in shapes that take the AVX2-only
// Winograd and direct paths elsewhere (here they must fall back to im2col), against plain, and
// prints the capability used.
import * as tk from '../../src/index.js';
import * as plain from '../../src/plain/index.js';

const shapes: [number, number, number][] = [
  [1, 1, 1],
  [7, 13, 5],
  [64, 64, 64],
  [97, 300, 61],
  [130, 257, 2],
];
let worst = 0;
for (const dtype of ['float32', 'float64', 'int32', 'int64'] as const)
  for (const [M, K, N] of shapes)
    for (const transposeA of [false, true]) {
      const a0 = plain.randint(-3, 4, transposeA ? [K, M] : [M, K], dtype);
      const b0 = plain.randint(-3, 4, [K, N], dtype);
      const pa = transposeA ? plain.transpose(a0, 0, 1) : a0;
      const ref = plain.matmul(pa, b0);
      const a = tk.tensor(Array.from(a0.data, Number), { dtype, shape: a0.shape });
      const b = tk.tensor(Array.from(b0.data, Number), { dtype, shape: b0.shape });
      const out = (transposeA ? a.transpose(0, 1) : a).matmul(b).data();
      for (let i = 0; i < ref.data.length; i++) worst = Math.max(worst, Math.abs(Number(out[i]) - Number(ref.data[i])));
    }
const convs: [number[], number[]][] = [
  [
    [2, 16, 6, 7],
    [16, 16, 3, 3],
  ],
  [
    [2, 3, 7, 9],
    [5, 3, 3, 3],
  ],
];
for (const [xs, ws] of convs) {
  const x0 = plain.randint(-3, 4, xs, 'float32'),
    w0 = plain.randint(-3, 4, ws, 'float32');
  const ref = plain.conv2d(x0, w0, null, { padding: [1, 1, 1, 1] });
  const x = tk.tensor(Array.from(x0.data), { shape: xs }),
    w = tk.tensor(Array.from(w0.data), { shape: ws });
  const out = tk.nn.functional.conv2d(x, w, null, { padding: 1 }).data();
  for (let i = 0; i < ref.data.length; i++) worst = Math.max(worst, Math.abs(Number(out[i]) - Number(ref.data[i])));
}
// Small integers: every product is exact in any summation order.
console.log(JSON.stringify({ capability: tk.getCpuCapability(), gemm: tk.getCpuInfo().gemm, worst }));
