// Reductions and softmax: plain vs native, with PyTorch's CPU kernels on the same op beside them
// when a python3 with torch is present (bench/peers/torch_programs.py, "reduce.NAME").
import * as tk from '../../src/index.js';
import * as plain from '../../src/plain/index.js';
import { measure, type Options, type Row } from '../lib.js';
import { startTorch, torchAvailable } from '../peers/torch.js';

export async function* reduce(opts: Options, threads: number[]): AsyncGenerator<Row> {
  const suite = 'reduce';
  const x = tk.randn([1024, 1024]);
  const px = plain.randn([1024, 1024]);
  const bytes = 4 * 1024 * 1024;
  // Class scores: many short rows (what metrics and predictions take the argmax of, and what a
  // classifier's loss takes the log-softmax of).
  const scores = tk.randn([10000, 10]),
    pscores = plain.randn([10000, 10]);
  const targets = tk.randint(0, 10, [10000]),
    ptargets = plain.plainTensor(Array.from(targets.data() as BigInt64Array, Number), 'int64');
  const F = tk.nn.functional;
  // Batch norm's per-channel statistics (training mode): [32, 64, 32, 32], 64 channels of 32K.
  const bnx = tk.randn([32, 64, 32, 32]),
    pbnx = plain.randn([32, 64, 32, 32]);
  // [name, native, plain, the torch peer's name, bytes read and written (default: x's)]
  const cases: [string, () => void, () => void, string, number?][] = [
    ['sum all 1M', () => x.sum().dispose(), () => plain.sum(px), 'sum_all'],
    ['sum dim=1 [1024,1024]', () => x.sum(1).dispose(), () => plain.sum(px, 1), 'sum_dim1'],
    ['sum dim=0 [1024,1024]', () => x.sum(0).dispose(), () => plain.sum(px, 0), 'sum_dim0'],
    ['max dim=1', () => x.max(1).dispose(), () => plain.max(px, 1), 'max_dim1'],
    ['argmax dim=1', () => x.argmax(1).dispose(), () => plain.argmax(px, 1), 'argmax_dim1'],
    [
      'argmax dim=1 of [10000,10] class scores',
      () => scores.argmax(1).dispose(),
      () => plain.argmax(pscores, 1),
      'argmax_scores',
    ],
    ['var dim=1', () => x.var(1).dispose(), () => plain.variance(px, 1), 'var_dim1'],
    ['softmax dim=-1', () => x.softmax(-1).dispose(), () => plain.softmax(px, -1), 'softmax'],
    ['logSoftmax dim=-1', () => x.logSoftmax(-1).dispose(), () => plain.logSoftmax(px, -1), 'log_softmax'],
    [
      'logSoftmax of [10000,10] class scores',
      () => scores.logSoftmax(-1).dispose(),
      () => plain.logSoftmax(pscores, -1),
      'log_softmax_scores',
    ],
    [
      'crossEntropy of [10000,10] class scores',
      () => F.crossEntropy(scores, targets).dispose(),
      () => plain.crossEntropy(pscores, ptargets),
      'cross_entropy_scores',
    ],
    ['cumsum dim=1', () => x.cumsum(1).dispose(), () => plain.cumsum(px, 1), 'cumsum_dim1'],
    [
      'batchNorm [32,64,32,32] (training)',
      () => F.batchNorm(bnx, null, null, null, null, { training: true }).dispose(),
      () => plain.batchNorm(pbnx, null, null),
      'batch_norm',
      4 * 4 * bnx.numel(), // read three times (two statistics passes, the normalisation), written once
    ],
  ];
  if (!opts.smoke && !torchAvailable()) console.log('  (python3 with torch not found: no PyTorch peer)');
  const plainUs = new Map<string, number>();
  for (const [name, , p] of cases) plainUs.set(name, await measure(p, opts, 1, opts.quick ? 300 : 800));
  for (const th of threads) {
    tk.setNumThreads(th);
    const torch = opts.smoke ? undefined : await startTorch(th);
    try {
      for (const [name, n, , peer, caseBytes] of cases) {
        const nativeUs = await measure(n, opts);
        const peerUs = torch ? (await torch.time(`reduce.${peer}`, opts.quick ? 300 : 800)) * 1000 : undefined;
        yield {
          suite,
          name,
          threads: th,
          nativeUs,
          plainUs: plainUs.get(name),
          bytes: caseBytes ?? bytes,
          peerUs,
          note: torch?.label,
        };
      }
    } finally {
      torch?.close();
    }
  }
  x.dispose();
  bnx.dispose();
  scores.dispose();
  targets.dispose();
}
