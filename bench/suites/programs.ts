// programs: real programs against PyTorch (and the MLP step against numpy) in one run.
//   - the programs of bench/programs.ts (GPT step, MNIST-example epoch, polynomial step, 3-D CNN
//     step, CTC step),
//     each timed here and in PyTorch (bench/peers/torch_programs.py) in alternating rounds;
//   - the MLP 784-256-10 batch-64 SGD step against a hand-written numpy step;
//   - add of 16M float32 (allocating) against np.add.
// A peer that is not installed is left out with a line saying so. Rows report medians; each
// alternation round gives one ratio and the note quotes their median (the machine drifts).
import * as tk from '../../src/index.js';
import { measure, type Options, type Row } from '../lib.js';
import { numpyAvailable, startNumpy } from '../peers/numpy.js';
import { startTorch, torchAvailable } from '../peers/torch.js';
import { PROGRAMS, type ProgramName } from '../programs.js';

const { nn, optim } = tk;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// The step as PyTorch's examples write it (relu(fc1(x)): linear ops, the bias added at the store)
// or as nn.Sequential (Linear + ReLU run as one fused op, the mask inside the backward products).
function mlpStep(sequential: boolean): () => void {
  tk.manualSeed(0);
  const fc1 = new nn.Linear(784, 256),
    fc2 = new nn.Linear(256, 10);
  const seq = new nn.Sequential(fc1, new nn.ReLU(), fc2);
  const params = [...fc1.parameters(), ...fc2.parameters()];
  const opt = new optim.SGD(params, { lr: 0.01 });
  const x = tk.randn([64, 784]),
    y = tk.randint(0, 10, [64]);
  const forward = sequential ? () => seq.call(x) : () => fc2.forward(fc1.forward(x).relu());
  return () =>
    tk.tidy(() => {
      opt.zeroGrad();
      const loss = nn.functional.crossEntropy(forward(), y);
      loss.backward();
      opt.step();
      return loss.item();
    });
}

export async function* programs(opts: Options, threads: number[]): AsyncGenerator<Row> {
  const suite = 'programs';
  const rounds = opts.smoke ? 1 : opts.quick ? 3 : 5;
  if (!torchAvailable()) console.log('  (python3 with torch not found: no PyTorch peer; apt install python3-torch)');
  if (!numpyAvailable()) console.log('  (python3 with numpy not found: no numpy peer)');
  for (const th of threads) {
    tk.setNumThreads(th);
    const torch = opts.smoke ? undefined : await startTorch(th);
    if (torch?.blas === 'reference')
      console.log(
        "  (PyTorch's matrix products run on the reference BLAS here: its GPT and MLP figures are ~10-20x slow; apt install libopenblas0-pthread)",
      );
    const np = opts.smoke ? undefined : await startNumpy(th);
    try {
      for (const [name, p] of Object.entries(PROGRAMS) as [ProgramName, (typeof PROGRAMS)[ProgramName]][]) {
        const step = p.make();
        const budget = opts.smoke ? 1 : name === 'mnist' ? (opts.quick ? 3000 : 6000) : opts.quick ? 400 : 1000;
        step();
        step();
        const ours: number[] = [],
          theirs: number[] = [];
        for (let r = 0; r < rounds; r++) {
          ours.push(await measure(step, opts, 1, budget));
          if (torch) theirs.push((await torch.time(name, budget)) * 1000);
        }
        const ratios = theirs.map((t, i) => t / ours[i]);
        yield {
          suite,
          name: p.label,
          threads: th,
          nativeUs: median(ours),
          peerUs: torch ? median(theirs) : undefined,
          note: torch ? `${torch.label}; per-round ratios ${ratios.map((x) => x.toFixed(2)).join(' ')}` : undefined,
        };
      }
      for (const sequential of [false, true]) {
        const step = mlpStep(sequential);
        const ours: number[] = [],
          theirs: number[] = [];
        for (let r = 0; r < rounds; r++) {
          ours.push(await measure(step, opts, 1, opts.quick ? 300 : 800));
          if (np) theirs.push(await np.run('mlp_step', 64, opts.quick ? 300 : 800));
        }
        yield {
          suite,
          name: sequential
            ? 'MLP 784-256-10 b64 SGD step as nn.Sequential (Linear+ReLU fused) vs numpy'
            : 'MLP 784-256-10 b64 SGD step vs a hand-written numpy step',
          threads: th,
          nativeUs: median(ours),
          flops: 6 * 64 * (784 * 256 + 256 * 10),
          peerUs: np ? median(theirs) : undefined,
          note: np ? `${np.label}; time ratio (ours / numpy) ${(median(ours) / median(theirs)).toFixed(2)}` : undefined,
        };
      }
      {
        const n = opts.smoke ? 1 << 16 : 1 << 24;
        const a = tk.randn([n]),
          b = tk.randn([n]);
        const ours: number[] = [],
          theirs: number[] = [];
        for (let r = 0; r < rounds; r++) {
          ours.push(await measure(() => a.add(b).dispose(), opts, 1, opts.quick ? 300 : 800));
          if (np) theirs.push(await np.run('add', n, opts.quick ? 300 : 800));
        }
        a.dispose();
        b.dispose();
        yield {
          suite,
          name: `add ${n >> 20}M f32 (allocating) vs np.add`,
          threads: th,
          nativeUs: median(ours),
          bytes: 12 * n,
          peerUs: np ? median(theirs) : undefined,
          note: np?.label,
        };
      }
    } finally {
      torch?.close();
      np?.close();
    }
  }
}
