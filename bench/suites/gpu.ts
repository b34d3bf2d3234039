// The CUDA rows of the CUDA issue, each next to PyTorch on the same GPU (bench/peers/torch_gpu.py,
// when python3 has torch with CUDA): matmul 4096 (float32 without TF32, TF32, bfloat16), add of
// 2^26 floats, conv case B at batch 256, and MLP and shapes-CNN training steps. Every sample is
// timed between two cuda.synchronize() calls. Without a GPU the suite yields nothing; a row whose
// ops have no CUDA kernel yet is reported on the console and left out.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import * as tk from '../../src/index.js';
import { measure, type Options, type Row } from '../lib.js';

function torchTimes(): Record<string, number | string> {
  const script = fileURLToPath(new URL('../peers/torch_gpu.py', import.meta.url));
  const r = spawnSync('python3', [script], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) return {};
  try {
    return JSON.parse(r.stdout) as Record<string, number | string>;
  } catch {
    return {};
  }
}

export async function* gpu(opts: Options): AsyncGenerator<Row> {
  if (!tk.cuda.isAvailable()) return;
  const suite = 'gpu';
  const peer = opts.smoke ? {} : torchTimes();
  const dev = 'cuda';
  tk.manualSeed(0);
  const a = tk.randn([4096, 4096], { device: dev }),
    b = tk.randn([4096, 4096], { device: dev });
  const x = tk.randn([1 << 26], { device: dev }),
    y = tk.randn([1 << 26], { device: dev });
  const xc = tk.randn([256, 64, 16, 16], { device: dev }),
    wc = tk.randn([64, 64, 3, 3], { device: dev });
  const mlp = new tk.nn.Sequential(new tk.nn.Linear(784, 256), new tk.nn.ReLU(), new tk.nn.Linear(256, 10)).to(dev);
  const mlpOpt = new tk.optim.Adam(mlp.parameters(), { lr: 1e-3 });
  const xm = tk.randn([128, 784], { device: dev }),
    ym = tk.randint(0, 10, [128], { device: dev });
  const nn = tk.nn;
  const cnn = new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(8, 16, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(16 * 4 * 4, 4),
  ).to(dev);
  const cnnOpt = new tk.optim.Adam(cnn.parameters(), { lr: 1e-3 });
  const xs = tk.randn([32, 1, 16, 16], { device: dev }),
    ys = tk.randint(0, 4, [32], { device: dev });
  const step = (m: tk.nn.Module, opt: tk.optim.Adam, xb: tk.Tensor, yb: tk.Tensor) => () =>
    tk.tidy(() => {
      opt.zeroGrad();
      tk.nn.functional.crossEntropy(m.call(xb), yb).backward();
      opt.step();
    });
  const rows: [string, () => void, { flops?: number; bytes?: number }][] = [
    ['matmul 4096 f32', () => a.matmul(b).dispose(), { flops: 2 * 4096 ** 3 }],
    ['add 2^26 f32', () => x.add(y).dispose(), { bytes: 12 * 2 ** 26 }],
    [
      'conv2d case B batch 256',
      () => tk.nn.functional.conv2d(xc, wc, undefined, { padding: 1 }).dispose(),
      { flops: 2 * 256 * 64 * 64 * 9 * 256 },
    ],
    ['MLP step (784-256-10, batch 128)', step(mlp, mlpOpt, xm, ym), {}],
    ['shapes CNN step (batch 32)', step(cnn, cnnOpt, xs, ys), {}],
  ];
  for (const [name, fn, work] of rows) {
    const p = peer[name];
    try {
      const nativeUs = await measure(() => {
        fn();
        tk.cuda.synchronize();
      }, opts);
      yield {
        suite,
        name,
        threads: 1,
        nativeUs,
        ...work,
        peerUs: typeof p === 'number' ? p : undefined,
        note: peer._label as string | undefined,
      };
    } catch (e) {
      console.log(`gpu: ${name} not run: ${(e as Error).message}`);
    }
  }
  mlpOpt.disposeState();
  cnnOpt.disposeState();
  for (const t of [a, b, x, y, xc, wc, xm, ym, xs, ys, ...mlp.parameters(), ...cnn.parameters()]) t.dispose();
}
