// torch-like printing: `tensor([[1.0000, 2.5000], [3.0000, 4.0000]], dtype=float64)`, character
// for character as PyTorch's _tensor_str (test/fixtures/print-torch.json holds its output): one
// width for every element, chosen over the values shown; integer, fixed or scientific notation by
// the same rules; rows wrapped at `linewidth`; the middle of tensors over `threshold` elements
// elided; suffixes (device, dtype, grad) wrapped onto a new line when they would pass linewidth.
// Numbers round half to even on their exact binary value, as Python's format() does.
import type { DType } from './dtype.js';
import { fail } from './errors.js';
import { checkOptions, describe, intAtLeast, num, oneOf } from './options.js';

/** Printing options (torch.set_printoptions). */
export interface PrintOptions {
  /** Digits after the decimal point (default 4). */
  precision?: number;
  /** Elements above which a tensor is summarised with `...` (default 1000). */
  threshold?: number;
  /** Items shown at each end of a summarised dimension (default 3). */
  edgeitems?: number;
  /** Characters per line before a row wraps (default 80). */
  linewidth?: number;
  /** 'default', 'short' (precision 2, edgeitems 2) or 'full' (never summarise); the others override it. */
  profile?: 'default' | 'short' | 'full';
  /** Scientific notation always (true), never (false), or chosen per tensor (null, the default). */
  sciMode?: boolean | null;
}

interface Opts {
  precision: number;
  threshold: number;
  edgeitems: number;
  linewidth: number;
  sciMode: boolean | null;
}
const DEFAULTS: Opts = { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80, sciMode: null };
const PROFILES: Record<string, Partial<Opts>> = {
  default: { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80 },
  short: { precision: 2, threshold: 1000, edgeitems: 2, linewidth: 80 },
  full: { precision: 4, threshold: Infinity, edgeitems: 3, linewidth: 80 },
};
let opts: Opts = { ...DEFAULTS };

/**
 * Sets how tensors print, as torch.set_printoptions (and as there, `sciMode` returns to automatic
 * unless given).
 * @example
 * setPrintoptions({ precision: 2 });      // tensor([1.12])
 * setPrintoptions({ profile: 'default' }); // back to torch's defaults
 */
export function setPrintoptions(options: PrintOptions): void {
  const op = 'setPrintoptions';
  const o = checkOptions(op, options, {
    precision: 'integer',
    threshold: 'number',
    edgeitems: 'integer',
    linewidth: 'integer',
    profile: 'string',
    sciMode: 'any',
  });
  const next = { ...opts };
  if (o.profile !== undefined)
    Object.assign(next, PROFILES[oneOf(op, 'profile', o.profile, ['default', 'short', 'full'])]);
  // Python's format() takes at most 100 digits here (toFixed's limit), ample for any double.
  if (o.precision !== undefined) next.precision = Math.min(intAtLeast(op, 'precision', o.precision, 0), 100);
  if (o.threshold !== undefined) {
    next.threshold = num(op, 'threshold', o.threshold);
    if (!(next.threshold >= 0)) fail('INVALID_ARGUMENT', `${op}: threshold must be >= 0, got ${o.threshold}`);
  }
  if (o.edgeitems !== undefined) next.edgeitems = intAtLeast(op, 'edgeitems', o.edgeitems, 0);
  if (o.linewidth !== undefined) next.linewidth = intAtLeast(op, 'linewidth', o.linewidth, 1);
  if (o.sciMode !== undefined && o.sciMode !== null && typeof o.sciMode !== 'boolean')
    fail('INVALID_ARGUMENT', `${op}: sciMode must be a boolean or null, got ${describe(o.sciMode)}`);
  next.sciMode = o.sciMode ?? null;
  opts = next;
}

/** The current printing options (a copy). @example getPrintoptions().precision // 4 */
export function getPrintoptions(): Required<Omit<PrintOptions, 'profile'>> {
  return { ...opts };
}

// ---- numbers as Python's format() writes them -----------------------------------------------------

// JS's toFixed and toExponential round an exact tie away from zero; Python rounds it to even. A
// tie is exact, so the long expansion after the digits kept reads 5 then zeros (a double an ulp
// off a tie differs within 30 further digits at the magnitudes printed). Returns the digits kept,
// truncated, where the tie goes to the even one, else null.
function tieToEven(long: string, keep: number): string | null {
  if (!/^50*$/.test(long.slice(keep))) return null;
  const kept = long.slice(0, keep).replace(/\.$/, '');
  return Number(kept[kept.length - 1]) % 2 === 0 ? kept : null;
}

/** `'{:.pf}'.format(x)`: fixed notation with p digits after the point, as Python writes it. */
export function pyFixed(x: number, p: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const a = Math.abs(x);
  // toFixed switches to exponents from 1e21; such doubles are integers, exact as BigInts
  if (a >= 1e21) return sign + BigInt(a).toString() + (p > 0 ? '.' + '0'.repeat(p) : '');
  const long = a.toFixed(Math.min(100, p + 30));
  return sign + (tieToEven(long, long.indexOf('.') + 1 + p) ?? a.toFixed(p));
}

/** `'{:.pe}'.format(x)`: scientific notation with an exponent of two digits or more, as Python's. */
export function pySci(x: number, p: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const a = Math.abs(x);
  const long = a.toExponential(Math.min(100, p + 30));
  const e = long.indexOf('e');
  const even = tieToEven(long.slice(0, e).replace('.', ''), 1 + p); // the mantissa's digits
  const s = even === null ? a.toExponential(p) : (p > 0 ? `${even[0]}.${even.slice(1)}` : even) + long.slice(e);
  return sign + s.replace(/e([+-])(\d)$/, 'e$10$2');
}

// ---- the formatter ---------------------------------------------------------------------------------

// One formatter per tensor (torch's _Formatter): the notation and width from the values shown.
// Returns the element writer and the width torch lays rows out by (an element can be wider: nan
// where every value is non-finite).
function formatter(shown: number[], dtype: DType, o: Opts): [(v: number) => string, number] {
  if (dtype === 'bool' || dtype === 'int32' || dtype === 'int64') {
    const str = dtype === 'bool' ? (v: number) => (v ? 'True' : 'False') : (v: number) => String(v);
    const w = Math.max(1, ...shown.map((v) => str(v).length));
    return [(v) => str(v).padStart(w), w];
  }
  const nz = shown.filter((v) => Number.isFinite(v) && v !== 0);
  let intMode = true;
  let sci = false;
  let width = 1;
  if (nz.length > 0) {
    const abs = nz.map(Math.abs);
    const max = Math.max(...abs);
    const min = Math.min(...abs);
    intMode = nz.every((v) => v === Math.ceil(v));
    sci = max / min > 1000 || max > 1e8 || (!intMode && min < 1e-4);
    for (const v of nz) {
      const len = sci
        ? pySci(v, o.precision).length
        : intMode
          ? pyFixed(v, 0).length + 1
          : pyFixed(v, o.precision).length;
      width = Math.max(width, len);
    }
  }
  if (o.sciMode !== null) sci = o.sciMode;
  const write = (v: number) => {
    if (sci) return pySci(v, o.precision);
    if (intMode) return pyFixed(v, 0) + (Number.isFinite(v) ? '.' : '');
    return pyFixed(v, o.precision);
  };
  return [(v) => write(v).padStart(width), width];
}

/** torch's suffixes for a tensor, in its order (torch spells dtypes torch.float64, we float64). */
export function tensorSuffixes(t: {
  readonly device: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly gradFn: string | null;
  readonly requiresGrad: boolean;
}): string[] {
  const out: string[] = [];
  if (t.device !== 'cpu') out.push(`device='${t.device}'`);
  if (t.shape.length !== 1 && t.shape.includes(0)) out.push(`size=[${t.shape.join(', ')}]`);
  if (t.dtype !== 'float32' && t.dtype !== 'int64' && t.dtype !== 'bool') out.push(`dtype=${t.dtype}`);
  if (t.gradFn !== null) out.push(`grad_fn=<${t.gradFn}>`);
  else if (t.requiresGrad) out.push('requires_grad=True');
  return out;
}

/**
 * Renders a tensor's values (row-major `flat`) as torch prints it: `tensor(` + the values +
 * `suffixes` (each 'name=value', wrapped as torch's _add_suffixes) + `)`. An empty tensor shows as
 * `[]` (the caller adds its size).
 */
export function formatTensor(
  flat: ArrayLike<number>,
  shape: readonly number[],
  dtype: DType,
  suffixes: string[],
): string {
  const o = opts;
  const numel = flat.length;
  const summarize = numel > o.threshold;
  const edge = o.edgeitems;
  const cut = (n: number) => summarize && n > 2 * edge;
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  // The values shown: the edges of every summarised dimension (torch's get_summarized_data).
  const shown: number[] = [];
  const visit = (offset: number, dim: number) => {
    if (dim === shape.length) return void shown.push(Number(flat[offset]));
    const n = shape[dim];
    for (let i = 0; i < n; i++) {
      if (cut(n) && i === edge) i = n - edge;
      if (i >= n) break; // edgeitems 0: the ellipsis alone
      visit(offset + i * strides[dim], dim + 1);
    }
  };
  const prefix = 'tensor(';
  let body: string;
  if (numel === 0) body = '[]';
  else {
    visit(0, 0);
    const [fmt, width] = formatter(shown, dtype, o);
    const render = (offset: number, dim: number, indent: number): string => {
      if (dim === shape.length) return fmt(Number(flat[offset]));
      const n = shape[dim];
      if (dim === shape.length - 1) {
        // a row: as many elements per line as fit in linewidth
        const items: string[] = [];
        for (let i = 0; i < n; i++) {
          if (cut(n) && i === edge) {
            items.push(' ...');
            i = n - edge;
            if (i >= n) break; // edgeitems 0: the ellipsis alone
          }
          items.push(fmt(Number(flat[offset + i])));
        }
        const perLine = Math.max(1, Math.floor((o.linewidth - indent) / (width + 2)));
        const lines: string[] = [];
        for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
        return '[' + lines.join(',\n' + ' '.repeat(indent + 1)) + ']';
      }
      const parts: string[] = [];
      for (let i = 0; i < n; i++) {
        if (cut(n) && i === edge) {
          parts.push('...');
          i = n - edge;
          if (i >= n) break; // edgeitems 0: the ellipsis alone
        }
        parts.push(render(offset + i * strides[dim], dim + 1, indent + 1));
      }
      const depth = shape.length - dim - 1;
      return '[' + parts.join(',' + '\n'.repeat(depth) + ' '.repeat(indent + 1)) + ']';
    };
    body = render(0, 0, prefix.length);
  }
  let out = prefix + body;
  let lastLine = out.length - out.lastIndexOf('\n') + 1;
  for (const s of suffixes) {
    if (lastLine + s.length + 2 > o.linewidth) {
      out += ',\n' + ' '.repeat(prefix.length) + s;
      lastLine = prefix.length + s.length;
    } else {
      out += ', ' + s;
      lastLine += s.length + 2;
    }
  }
  return out + ')';
}
