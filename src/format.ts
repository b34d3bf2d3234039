// torch-like printing: `tensor([[1.0000, 2.5000], [3.0000, 4.0000]], dtype=float64)`.
import type { DType } from './dtype.js';

const SUMMARY_THRESHOLD = 1000;
const EDGE = 3;

function formatter(values: number[], dtype: DType): (v: number) => string {
  if (dtype === 'bool') return (v) => (v ? 'True' : 'False');
  if (dtype === 'int32' || dtype === 'int64') return (v) => String(v);
  const finite = values.filter((v) => Number.isFinite(v));
  const special = (v: number) => (Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf');
  if (finite.length === 0) return special;
  const abs = finite.map(Math.abs);
  const nz = abs.filter((v) => v > 0);
  const max = Math.max(...abs);
  const min = nz.length ? Math.min(...nz) : 0;
  if (finite.every((v) => Number.isInteger(v)) && max < 1e8) return (v) => (Number.isFinite(v) ? `${v}.` : special(v));
  if (max >= 1e8 || (min > 0 && (min < 1e-4 || max / min > 1000)))
    // PyTorch writes two-digit exponents: 1.0000e-05.
    return (v) => (Number.isFinite(v) ? v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2') : special(v));
  return (v) => (Number.isFinite(v) ? v.toFixed(4) : special(v));
}

/** Renders nested values with PyTorch's layout, eliding the middle of large tensors. */
export function formatTensor(flat: ArrayLike<number>, shape: readonly number[], dtype: DType, suffix: string): string {
  const numel = flat.length;
  const summarize = numel > SUMMARY_THRESHOLD;
  const shown: number[] = [];
  // Gather the values that will be printed, so the width is computed over them only.
  const visit = (offset: number, dim: number, cb: (i: number) => void) => {
    if (dim === shape.length) return cb(offset);
    const n = shape[dim];
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    for (let i = 0; i < n; i++) {
      if (summarize && n > 2 * EDGE && i === EDGE) i = n - EDGE;
      visit(offset + i * stride, dim + 1, cb);
    }
  };
  visit(0, 0, (i) => shown.push(Number(flat[i])));
  const fmt = formatter(shown, dtype);
  const width = Math.max(0, ...shown.map((v) => fmt(v).length));
  const pad = (s: string) => s.padStart(width);
  const indent = 'tensor('.length;
  const render = (offset: number, dim: number): string => {
    if (dim === shape.length) return pad(fmt(Number(flat[offset])));
    const n = shape[dim];
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    const parts: string[] = [];
    for (let i = 0; i < n; i++) {
      if (summarize && n > 2 * EDGE && i === EDGE) {
        parts.push('...');
        i = n - EDGE;
      }
      parts.push(render(offset + i * stride, dim + 1));
    }
    const depth = shape.length - dim - 1;
    const sep = depth === 0 ? ', ' : ',' + '\n'.repeat(depth) + ' '.repeat(indent + dim + 1);
    return '[' + parts.join(sep) + ']';
  };
  const body = shape.length === 0 ? fmt(Number(flat[0])) : render(0, 0);
  return `tensor(${body}${suffix})`;
}
