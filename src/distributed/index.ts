/**
 * torch.distributed for tensorkit: a process group over Open MPI (a second addon, loaded on first
 * use, so the package loads where MPI is absent), collectives on tensors with sync and async forms,
 * DistributedDataParallel and DistributedSampler. Start a job with `npx tensorkit run -n N script`.
 * @example
 * distributed.initProcessGroup();
 * const t = tensor([distributed.getRank()]);
 * distributed.allReduce(t); // every rank now holds 0 + 1 + ... + (N - 1)
 * @module
 */
export {
  allGather,
  allGatherIntoTensor,
  allReduce,
  barrier,
  broadcast,
  destroyProcessGroup,
  gather,
  getBackend,
  getRank,
  getWorldSize,
  initProcessGroup,
  isAvailable,
  isInitialized,
  recv,
  reduceScatter,
  scatter,
  send,
  Work,
  type AllReduceOptions,
  type Backend,
  type BroadcastOptions,
  type CollectiveOptions,
  type GatherOptions,
  type InitProcessGroupOptions,
  type P2POptions,
  type ReduceOp,
  type ReduceScatterOptions,
  type ScatterOptions,
} from './process_group.js';
export { DistributedDataParallel, type DDPOptions } from './ddp.js';
export { DistributedSampler, type DistributedSamplerOptions } from '../data/distributed.js';
import './strategy.js'; // registers the Trainer's 'ddp' strategy
