// The drift report: one self-contained HTML page (inline SVG, no external resource) with the
// dataset verdict, the table of per-feature tests and a histogram of reference against current
// for every feature.
import { escapeHtml } from '../html.js';
import { checkOptions } from '../options.js';
import { columns, detectDrift, DRIFT_SPEC, type DriftOptions, type DriftResult, type Table } from './drift.js';
import { sortedFinite } from './stats.js';

const fmt = (v: number | undefined) =>
  v === undefined ? '' : Math.abs(v) >= 1e-3 || v === 0 ? v.toPrecision(4) : v.toExponential(2);

// Reference and current shares over shared bins (Sturges over both, as the PSI binning).
function histogram(ref: Float64Array, cur: Float64Array, w = 320, h = 120): string {
  const a = sortedFinite(ref),
    b = sortedFinite(cur);
  if (a.length === 0 || b.length === 0) return '<svg width="1" height="1"></svg>';
  const lo = Math.min(a[0] as number, b[0] as number),
    hi = Math.max(a[a.length - 1] as number, b[b.length - 1] as number);
  const k = Math.max(1, Math.ceil(Math.log2(a.length + b.length) + 1));
  const share = (s: Float64Array) => {
    const c = new Float64Array(k);
    for (const v of s) {
      const i = hi > lo ? Math.min(k - 1, Math.floor(((v - lo) / (hi - lo)) * k)) : 0;
      c[i] = (c[i] as number) + 1 / s.length;
    }
    return c;
  };
  const ra = share(a),
    ca = share(b);
  const top = Math.max(...ra, ...ca) || 1;
  const bw = w / k;
  const bars = (c: Float64Array, colour: string, dx: number) =>
    Array.from(c, (v, i) => {
      const bh = (v / top) * (h - 20);
      return `<rect x="${(i * bw + dx).toFixed(1)}" y="${(h - 16 - bh).toFixed(1)}" width="${(bw / 2 - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="${colour}"/>`;
    }).join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="10">` +
    bars(ra, '#4c78a8', 0) +
    bars(ca, '#f58518', bw / 2) +
    `<text x="0" y="${h - 3}">${escapeHtml(fmt(lo))}</text><text x="${w}" y="${h - 3}" text-anchor="end">${escapeHtml(fmt(hi))}</text></svg>`
  );
}

/**
 * A self-contained HTML drift report of a current window against the reference: the dataset
 * verdict, the per-feature tests and histograms (reference blue, current orange).
 * @example fs.writeFileSync('drift.html', monitor.report(train, lastWeek, { title: 'Iris inputs' }))
 */
export function report(
  reference: Table,
  current: Table,
  options: DriftOptions & { title?: string; result?: DriftResult } = {},
): string {
  const op = 'monitor.report';
  const { title, result, ...det } = checkOptions(op, options, { title: 'string', result: 'any', ...DRIFT_SPEC });
  const R = columns(op, reference, 'reference'),
    C = columns(op, current, 'current');
  const r = result ?? detectDrift(reference, current, det);
  const head = escapeHtml(title ?? 'Data drift report');
  const verdict = r.isDrift
    ? `<p class="bad">Dataset drift: ${r.nDrifted} of ${r.nFeatures} features drifted (threshold ${r.threshold * 100}% of features).</p>`
    : `<p class="ok">No dataset drift: ${r.nDrifted} of ${r.nFeatures} features drifted (threshold ${r.threshold * 100}% of features).</p>`;
  const rows = r.perFeature
    .map(
      (f) =>
        `<tr class="${f.isDrift ? 'bad' : ''}"><td>${escapeHtml(f.feature)}</td><td>${f.type}</td><td>${f.method}</td><td>${fmt(f.statistic)}</td><td>${fmt(f.pValue)}</td><td>${fmt(f.threshold)}</td><td>${f.isDrift ? 'drift' : 'no drift'}</td></tr>`,
    )
    .join('\n');
  const plots = r.perFeature
    .map(
      (f, j) =>
        `<figure><figcaption>${escapeHtml(f.feature)}${f.isDrift ? ' (drift)' : ''}</figcaption>${histogram(R[j]!, C[j]!)}</figure>`,
    )
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${head}</title><style>
body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px}
tr.bad td{background:#fde2e1}.bad{color:#b00020}.ok{color:#1b7f3b}.grid{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0}
</style></head><body><h1>${head}</h1>${verdict}
<p>Reference ${(R[0] as Float64Array).length} rows, current ${(C[0] as Float64Array).length} rows. Histograms: reference in blue, current in orange.</p>
<table><tr><th>feature</th><th>type</th><th>method</th><th>statistic</th><th>p-value</th><th>threshold</th><th>result</th></tr>
${rows}</table><h2>Distributions</h2><div class="grid">${plots}</div></body></html>`;
}
