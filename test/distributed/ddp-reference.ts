// What DDP must leave in every rank's gradients, computed without it: each rank's own gradient
// (one pass under noSync, no all-reduce) averaged over the ranks with distributed.allReduce.
import { distributed as dist, type nn, type Tensor } from '../../src/index.js';

/** Runs `pass` once under noSync from zeroed gradients; returns the averaged gradients, one per parameter (the caller disposes them). */
export function averagedGradients(ddp: dist.DistributedDataParallel, net: nn.Module, pass: () => void): Tensor[] {
  net.zeroGrad();
  ddp.noSync(pass);
  return net.parameters().map((p) => {
    const g = p.grad!.clone();
    dist.allReduce(g, { op: 'avg' });
    return g;
  });
}
