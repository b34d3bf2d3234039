// What initProcessGroup installs in the namespaces below distributed, which cannot import it:
// metrics combine their states across ranks on compute(), and SyncBatchNorm sums its statistics.
import { noGrad } from '../autograd.js';
import { setStateSync } from '../metrics/metric.js';
import { setCrossProcessSum } from '../nn/sync.js';
import { zeros } from '../ops/creation.js';
import { cat } from '../ops/functional.js';
import type { Tensor } from '../tensor.js';
import { allGatherIntoTensor, allReduce } from './process_group.js';

/** Installs the cross-process helpers for a group of `worldSize` ranks (undefined: removes them). */
export function installGroupHelpers(worldSize: number | undefined): void {
  if (worldSize === undefined) {
    setStateSync(undefined);
    setCrossProcessSum(undefined);
    return;
  }
  setCrossProcessSum({ worldSize, sumInPlace: (t) => allReduce(t) });
  setStateSync({
    worldSize,
    sum: (t) => {
      const s = noGrad(() => t.contiguous().clone());
      allReduce(s);
      return s;
    },
    cat: (t) => gatherRows(t, worldSize),
  });
}

// Every rank's rows, in rank order, though ranks hold different numbers of rows: the sizes are
// gathered first, then each rank's rows padded to the largest.
function gatherRows(t: Tensor, size: number): Tensor {
  const rows = t.ndim === 0 ? 1 : t.shape[0];
  const rest = t.ndim === 0 ? [] : t.shape.slice(1);
  const x = t.ndim === 0 ? t.reshape([1]) : t;
  const counts = zeros([size], { dtype: 'int64' });
  const mine = zeros([1], { dtype: 'int64' }).add(rows);
  allGatherIntoTensor(counts, mine);
  const n = Array.from(counts.data() as BigInt64Array, Number);
  const most = Math.max(...n);
  const padded = rows === most ? x.contiguous() : cat([x, zeros([most - rows, ...rest], { dtype: x.dtype })]);
  const all = zeros([size * most, ...rest], { dtype: x.dtype });
  allGatherIntoTensor(all, padded);
  return cat(n.map((k, r) => all.narrow(0, r * most, k)));
}
