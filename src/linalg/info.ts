// The factorizations' info codes: the shared error check of the *Ex functions' plain forms.
import { fail } from '../errors.js';
import type { Tensor } from '../tensor.js';

/** Throws INVALID_ARGUMENT for the first non-zero info code (PyTorch's _linalg_check_errors). */
export function checkInfo(info: Tensor, message: (code: number) => string): void {
  const codes = info.data() as Int32Array;
  const b = codes.findIndex((c) => c !== 0);
  if (b < 0) return;
  fail('INVALID_ARGUMENT', (info.ndim > 0 ? `(Batch element ${b}): ` : '') + message(codes[b]));
}

// Runs f, disposing `owned` if it throws (results handed out only on success).
export function orDispose<T>(owned: readonly Tensor[], f: () => T): T {
  try {
    return f();
  } catch (e) {
    for (const t of owned) t.dispose();
    throw e;
  }
}
