// Which native ops autocast changes, per device, after torch's autocast op lists
// (aten/src/ATen/autocast_mode.cpp) restricted to the ops this core has: 'lower' runs in the
// region's dtype, 'fp32' in float32, 'promote' casts mixed float inputs to the widest. Ops
// written in TypeScript (conv1d, the losses, layer norm, ...) are covered through the native ops
// they call. One table, so a new op is classified in one place.
import type { OpName } from '../ops/dispatch.js';

/** A device kind autocast acts on. */
export type AmpDevice = 'cpu' | 'cuda';
type Policy = 'lower' | 'fp32' | 'promote';

const LOWER: readonly OpName[] = ['matmul', 'bmm', 'addmm', 'linear', 'linear_relu', 'conv2d', 'sdpa'];
const LINALG: readonly OpName[] = [
  'linalg_cholesky_ex',
  'linalg_lu_factor_ex',
  'linalg_solve_triangular',
  'linalg_eigh',
  'linalg_svd',
  'linalg_qr',
];

const TABLE: Record<AmpDevice, Map<OpName, Policy>> = {
  cpu: new Map<OpName, Policy>([
    ...LOWER.map((n) => [n, 'lower'] as const),
    ...[...LINALG, 'cross_entropy', 'ctc_loss'].map((n) => [n as OpName, 'fp32'] as const),
    ...(['cat', 'stack'] as const).map((n) => [n, 'promote'] as const),
  ]),
  cuda: new Map<OpName, Policy>([
    ...[...LOWER, 'mv'].map((n) => [n as OpName, 'lower'] as const),
    ...[
      ...LINALG,
      'cross_entropy',
      'ctc_loss',
      'exp',
      'expm1',
      'log',
      'log1p',
      'log2',
      'log10',
      'reciprocal',
      'rsqrt',
      'sinh',
      'cosh',
      'tan',
      'asin',
      'acos',
      'erfinv',
      'pow',
      'softmax',
      'log_softmax',
      'sum',
      'cumsum',
      'cumprod',
    ].map((n) => [n as OpName, 'fp32'] as const),
    ...(['cat', 'stack', 'atan2', 'dot'] as const).map((n) => [n, 'promote'] as const),
  ]),
};

/** @internal What autocast does to op `name` on `device` (undefined: nothing). */
export function policyOf(device: AmpDevice, name: OpName): Policy | undefined {
  return TABLE[device].get(name);
}
