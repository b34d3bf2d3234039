// Trains the shapes CNN with SGD on a fixed global batch (32 images per step, or --global N), either in one
// process or data-parallel across the ranks of `tensorkit run` (each rank its contiguous share of
// every global batch), and writes the final weights as JSON. test/distributed.test.ts compares them.
// ddp-nccl trains on cuda:<rank> through backend 'nccl' (two GPUs).
//   tsx test/distributed/ddp-train.ts <single|ddp|ddp-view|ddp-accum|ddp-nccl> <out.json> [--steps N] [--global N] [--from STEP --load ckpt] [--save-at STEP --save ckpt]
import { writeFileSync } from 'node:fs';

import { ShapesNet } from '../../examples/cnn-shapes.js';
import { data, distributed as dist, io, manualSeed, nn, optim, tidy, type Tensor } from '../../src/index.js';

const [mode, out, ...rest] = process.argv.slice(2);
const flag = (name: string) => {
  const i = rest.indexOf(name);
  return i >= 0 ? rest[i + 1] : undefined;
};
const steps = Number(flag('--steps') ?? 50);
const from = Number(flag('--from') ?? 0);
const saveAt = flag('--save-at') === undefined ? -1 : Number(flag('--save-at'));
const GLOBAL = Number(flag('--global') ?? 32);

const parallel = mode !== 'single';
if (parallel) dist.initProcessGroup({ backend: mode === 'ddp-nccl' ? 'nccl' : 'mpi' });
const rank = parallel ? dist.getRank() : 0;
const device = mode === 'ddp-nccl' ? `cuda:${rank}` : 'cpu';
const size = parallel ? dist.getWorldSize() : 1;

manualSeed(1 + rank * 1000); // replicas start different: DDP must broadcast rank 0's weights
const net = new ShapesNet();
if (rank !== 0) for (const p of net.parameters()) p.detach().add_(1); // different for sure
manualSeed(1);
const reference = new ShapesNet(); // what rank 0 (and the single process) starts from
if (rank === 0) net.loadStateDict(reference.stateDict());
net.to(device as never);
const model = parallel ? new dist.DistributedDataParallel(net, { gradientAsBucketView: mode === 'ddp-view' }) : net;
const opt = new optim.SGD(net.parameters(), { lr: 0.05, momentum: 0.9 });
if (flag('--load')) {
  const ck = io.loadCheckpoint(flag('--load')!);
  const sd: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(ck)) if (k.startsWith('model.')) sd[k.slice(6)] = v as Tensor;
  net.loadStateDict(sd);
  const state: Record<number, Record<string, Tensor | number>> = {};
  for (const [k, v] of Object.entries(ck)) {
    const m = /^opt\.(\d+)\.(.+)$/.exec(k);
    if (m) (state[Number(m[1])] ??= {})[m[2]] = v as Tensor | number;
  }
  opt.loadStateDict({ state, paramGroups: JSON.parse(ck.paramGroups as string) });
}

function save(step: number): void {
  if (step !== saveAt || rank !== 0) return;
  const sd = net.stateDict();
  const ck: Record<string, io.CheckpointValue> = { step };
  for (const [k, v] of Object.entries(sd)) ck[`model.${k}`] = v;
  const osd = opt.stateDict();
  for (const [i, st] of Object.entries(osd.state))
    for (const [key, v] of Object.entries(st)) ck[`opt.${i}.${key}`] = v as Tensor | number;
  ck.paramGroups = JSON.stringify(osd.paramGroups);
  io.saveCheckpoint(ck, flag('--save')!);
}

const { features, labels } = data.synthetic.shapes({ n: GLOBAL * (steps + from), size: 16, seed: 3 });
const local = GLOBAL / size;
for (let step = from; step < from + steps; step++) {
  save(step);
  tidy(() => {
    const start = step * GLOBAL + rank * local;
    const x = features.narrow(0, start, local).to(device as never);
    const y = labels.narrow(0, start, local).to(device as never);
    opt.zeroGrad();
    if (mode === 'ddp-accum') {
      // Two micro-batches per rank: the first without the all-reduce.
      const half = local / 2;
      const lossOf = (i: number) =>
        nn.functional.crossEntropy(model.forward(x.narrow(0, i * half, half)), y.narrow(0, i * half, half)).div(2);
      (model as dist.DistributedDataParallel).noSync(() => lossOf(0).backward());
      lossOf(1).backward();
    } else {
      nn.functional.crossEntropy(model.forward(x), y).backward();
    }
    opt.step();
  });
}

save(from + steps);

const weights: Record<string, number[]> = {};
for (const [k, v] of Object.entries(net.stateDict())) weights[k] = Array.from(v.data() as Float32Array);
if (rank === 0 || !parallel) writeFileSync(out, JSON.stringify(weights));
if (parallel && rank > 0) writeFileSync(`${out}.rank${rank}`, JSON.stringify(weights));
