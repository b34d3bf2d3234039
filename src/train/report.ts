// train.report(logDir): loss and metric curves from a run's logs (metrics.csv, metrics.jsonl or
// TensorBoard event files) as one self-contained HTML page of SVG charts — no scripts, no
// external files — plus a table of last/min/max values and the hyperparameters.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { fail } from '../errors.js';
import { writeFileAtomic } from '../io/files.js';
import { checkOptions, describe, list, str } from '../options.js';
import { readScalarEvents } from './events.js';

/** Options of `train.report`. */
export interface ReportOptions {
  /** Output file. Default <logDir>/report.html. */
  out?: string;
  /** Page title. Default the log directory's name. */
  title?: string;
}

type Series = Map<string, [number, number][]>;

function add(s: Series, name: string, step: number, v: number): void {
  if (!Number.isFinite(step) || Number.isNaN(v)) return;
  let l = s.get(name);
  if (!l) s.set(name, (l = []));
  l.push([step, v]);
}

function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '',
    q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') q = false;
      else cur += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

const SKIP = new Set(['step', 'epoch', 'time']);

/** The metric series of a run directory: name -> [step, value] points. */
export function readRun(logDir: string): Series {
  const s: Series = new Map();
  let files: string[];
  try {
    files = fs.readdirSync(logDir);
  } catch (e) {
    fail(
      'IO_ERROR',
      `train.report: cannot read the log directory '${logDir}': ${(e as NodeJS.ErrnoException).code ?? e}`,
    );
  }
  if (files.includes('metrics.csv')) {
    const lines = fs
      .readFileSync(path.join(logDir, 'metrics.csv'), 'utf8')
      .split('\n')
      .filter((l) => l.length);
    const head = parseCsvLine(lines[0] ?? '');
    const si = head.indexOf('step');
    for (const line of lines.slice(1)) {
      const cells = parseCsvLine(line);
      head.forEach((h, j) => {
        if (!SKIP.has(h) && cells[j] !== '' && cells[j] !== undefined) add(s, h, Number(cells[si]), Number(cells[j]));
      });
    }
  } else if (files.includes('metrics.jsonl')) {
    for (const line of fs.readFileSync(path.join(logDir, 'metrics.jsonl'), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let row: Record<string, unknown>;
      try {
        row = JSON.parse(line);
      } catch {
        continue; // a torn last line from a crash
      }
      for (const [k, v] of Object.entries(row)) if (!SKIP.has(k)) add(s, k, Number(row.step), Number(v));
    }
  } else {
    for (const f of files.filter((n) => n.includes('tfevents')).sort())
      for (const e of readScalarEvents(fs.readFileSync(path.join(logDir, f))))
        if (!SKIP.has(e.tag)) add(s, e.tag, e.step, e.value);
  }
  return s;
}

/** Text made safe for HTML content and attribute values. */
export const escapeHtml = (x: string) =>
  str('escapeHtml', 'text', x).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

// Round tick values: 1, 2 or 5 times a power of ten.
function ticks(lo: number, hi: number, n = 5): number[] {
  if (lo === hi) return [lo];
  const raw = (hi - lo) / n,
    p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((v) => v >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}
const label = (v: number) =>
  Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : String(Number(v.toPrecision(4)));

/**
 * A self-contained SVG line chart: one polyline per series of [x, y] points, ticks, a legend.
 * (Also used by bench/report.ts.)
 */
export function svgLineChart(
  title: string,
  series: [string, [number, number][]][],
  options: { xLabel?: string; logX?: boolean } = {},
): string {
  const op = 'svgLineChart';
  str(op, 'title', title);
  options = checkOptions(op, options, { xLabel: 'string', logX: 'boolean' });
  list(op, 'series', series).forEach((s, i) => {
    const ok =
      Array.isArray(s) &&
      s.length === 2 &&
      typeof s[0] === 'string' &&
      Array.isArray(s[1]) &&
      s[1].every(
        (p: unknown) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'number' && typeof p[1] === 'number',
      );
    if (!ok) fail('INVALID_ARGUMENT', `${op}: series[${i}] must be [name, [[x, y], ...]], got ${describe(s)}`);
  });
  const fx = options.logX ? Math.log2 : (v: number) => v;
  return chart(
    title,
    series.map(([n, p]) => [n, p.map(([x, y]) => [fx(x), y] as [number, number])]),
    options.xLabel ?? 'step',
    options.logX,
  );
}

function chart(title: string, series: [string, [number, number][]][], xLabel = 'step', logX = false): string {
  // The legend sits between the title and the plot, three entries a row, clear of the data.
  const legendRows = Math.ceil(series.length / 3);
  const W = 640,
    L = 60,
    R = 16,
    T = 30 + legendRows * 16,
    B = 40,
    H = 250 + T;
  const pts = series.flatMap(([, p]) => p);
  let [x0, x1] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
  let [y0, y1] = [
    Math.min(...pts.map((p) => p[1]).filter(Number.isFinite)),
    Math.max(...pts.map((p) => p[1]).filter(Number.isFinite)),
  ];
  if (!Number.isFinite(y0)) [y0, y1] = [0, 1];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = [y0 - Math.abs(y0 || 1) * 0.1, y1 + Math.abs(y1 || 1) * 0.1];
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  const X = (x: number) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const Y = (y: number) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  const parts: string[] = [];
  parts.push(`<text x="${W / 2}" y="18" text-anchor="middle" class="t">${escapeHtml(title)}</text>`);
  for (const v of ticks(y0, y1))
    parts.push(
      `<line x1="${L}" x2="${W - R}" y1="${Y(v).toFixed(1)}" y2="${Y(v).toFixed(1)}" class="g"/><text x="${L - 6}" y="${(Y(v) + 4).toFixed(1)}" text-anchor="end">${label(v)}</text>`,
    );
  for (const v of ticks(x0, x1).filter(Number.isInteger))
    parts.push(
      `<line y1="${T}" y2="${H - B}" x1="${X(v).toFixed(1)}" x2="${X(v).toFixed(1)}" class="g"/><text x="${X(v).toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${label(logX ? 2 ** v : v)}</text>`,
    );
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle">${escapeHtml(xLabel)}</text>`);
  parts.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" class="f"/>`);
  series.forEach(([name, p], i) => {
    const color = COLORS[i % COLORS.length];
    const sorted = [...p].filter(([, y]) => Number.isFinite(y)).sort((a, b) => a[0] - b[0]);
    const d = sorted.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ');
    parts.push(
      `<polyline points="${d}" fill="none" stroke="${color}" stroke-width="1.8"><title>${escapeHtml(name)}</title></polyline>`,
    );
    if (sorted.length <= 40)
      for (const [x, y] of sorted)
        parts.push(
          `<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="2.5" fill="${color}"><title>${escapeHtml(name)} @ ${logX ? 2 ** x : x}: ${y}</title></circle>`,
        );
    const lx = L + (i % 3) * 190,
      ly = 26 + Math.floor(i / 3) * 16;
    parts.push(
      `<rect x="${lx}" y="${ly}" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="${ly + 9}">${escapeHtml(name)}</text>`,
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(title)}">${parts.join('')}</svg>`;
}

// Series that belong on one chart: train_loss, val_loss and loss_epoch share 'loss'.
const group = (name: string) =>
  name.replace(/^(train|val|valid|validation|test)[_/]/, '').replace(/_(step|epoch)$/, '');

/**
 * Renders a run's curves to a self-contained HTML page; returns the page's path.
 * @example const page = train.report(trainer.logDir) // open it in a browser
 */
export function report(logDir: string, options: ReportOptions = {}): string {
  if (typeof logDir !== 'string' || logDir === '')
    fail('INVALID_ARGUMENT', `train.report: expected a log directory, got ${describe(logDir)}`);
  const o = checkOptions('train.report', options, { out: 'string', title: 'string' });
  const runs = readRun(logDir);
  if (!runs.size)
    fail(
      'INVALID_ARGUMENT',
      `train.report: '${logDir}' holds no logged metrics (metrics.csv, metrics.jsonl or TensorBoard events)`,
    );
  const groups = new Map<string, [string, [number, number][]][]>();
  for (const [name, pts] of runs) {
    const g = group(name);
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push([name, pts]);
  }
  const rows = [...runs].map(([name, p]) => {
    const ys = p.map(([, y]) => y);
    return `<tr><td>${escapeHtml(name)}</td><td>${label(p[p.length - 1][1])}</td><td>${label(Math.min(...ys))}</td><td>${label(Math.max(...ys))}</td><td>${p.length}</td></tr>`;
  });
  const hp = path.join(logDir, 'hparams.yaml');
  const hparams = fs.existsSync(hp)
    ? `<h2>Hyperparameters</h2><pre>${escapeHtml(fs.readFileSync(hp, 'utf8'))}</pre>`
    : '';
  const title = o.title ?? path.basename(path.resolve(logDir));
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
.charts{display:flex;flex-wrap:wrap;gap:16px}
svg{background:#fff;border:1px solid #ddd;border-radius:4px}
svg text{font-size:11px;fill:#444}svg .t{font-size:13px;font-weight:600;fill:#222}
svg .g{stroke:#eee}svg .f{fill:none;stroke:#bbb}
table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child{text-align:left}
pre{background:#f6f6f6;padding:8px;border-radius:4px}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>${runs.size} metrics from <code>${escapeHtml(path.resolve(logDir))}</code>, rendered ${escapeHtml(new Date().toISOString())}.</p>
<div class="charts">${[...groups].map(([g, s]) => chart(g, s)).join('\n')}</div>
<h2>Summary</h2>
<table><tr><th>metric</th><th>last</th><th>min</th><th>max</th><th>points</th></tr>${rows.join('')}</table>
${hparams}
</body></html>
`;
  const out = o.out ?? path.join(logDir, 'report.html');
  writeFileAtomic(out, [html], 'train.report');
  return out;
}
