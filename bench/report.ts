// npm run bench:report -- results.json [report.html]: the JSON of `npm run bench -- --json` as a
// self-contained HTML page — speed-up over plain TypeScript per op (log-scale bars), GFLOP/s
// against size for the square matrix products (with numpy when it was measured), and the table.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import { io, train } from '../src/index.js';
import { markdown, rate, speedup, type Row } from './lib.js';

interface Results {
  machine?: string;
  cores?: number;
  node?: string;
  rows: Row[];
}

const esc = train.escapeHtml;

/** Horizontal bars on a log10 axis: one bar per [label, value] (values > 0). */
export function logBars(title: string, bars: [string, number][], unit: string): string {
  const W = 760,
    L = 330,
    R = 70,
    rowH = 18,
    T = 30;
  const H = T + bars.length * rowH + 28;
  const max = Math.max(10, ...bars.map(([, v]) => v));
  const top = Math.ceil(Math.log10(max));
  const X = (v: number) => L + (Math.log10(Math.max(v, 1)) / top) * (W - L - R);
  const parts = [`<text x="${W / 2}" y="18" text-anchor="middle" class="t">${esc(title)}</text>`];
  for (let d = 0; d <= top; d++)
    parts.push(
      `<line x1="${X(10 ** d).toFixed(1)}" x2="${X(10 ** d).toFixed(1)}" y1="${T - 4}" y2="${H - 24}" class="g"/><text x="${X(10 ** d).toFixed(1)}" y="${H - 10}" text-anchor="middle">${10 ** d}${unit}</text>`,
    );
  bars.forEach(([name, v], i) => {
    const y = T + i * rowH;
    const short = name.length > 52 ? `${name.slice(0, 51)}…` : name; // the full name is in the bar's tooltip
    parts.push(`<text x="${L - 6}" y="${y + 12}" text-anchor="end">${esc(short)}</text>`);
    parts.push(
      `<rect x="${L}" y="${y + 2}" width="${Math.max(1, X(v) - L).toFixed(1)}" height="${rowH - 5}" fill="${v >= 1 ? '#1f77b4' : '#d62728'}"><title>${esc(name)}: ${v.toFixed(1)}${unit}</title></rect>`,
    );
    parts.push(
      `<text x="${(X(v) + 4).toFixed(1)}" y="${y + 12}">${v < 10 ? v.toFixed(1) : Math.round(v)}${unit}</text>`,
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">${parts.join('')}</svg>`;
}

export function renderReport(res: Results): string {
  const rows = res.rows;
  if (!Array.isArray(rows) || rows.length === 0) throw new Error('bench report: the results hold no rows');
  const maxThreads = Math.max(...rows.map((r) => r.threads));
  // Speed-up over plain, at the most threads measured (plain is single-threaded JS).
  const speed = rows
    .filter(
      (r) =>
        r.plainUs !== undefined &&
        (r.threads === maxThreads || !rows.some((q) => q.name === r.name && q.threads === maxThreads)),
    )
    .map((r): [string, number] => [`${r.suite}: ${r.name}`, r.plainUs! / r.nativeUs]);
  // GFLOP/s against size for square products, per dtype and thread count, and numpy's.
  const series = new Map<string, [number, number][]>();
  for (const r of rows) {
    // The matmul suite's rows only: its peer is numpy (the compare suite's peers are others).
    const m = /^([sd]gemm) (\d+)x\2$/.exec(r.name);
    if (r.suite !== 'matmul' || !m || !r.flops) continue;
    const key = `tensorkit ${m[1]}, ${r.threads}t`;
    if (!series.has(key)) series.set(key, []);
    series.get(key)!.push([Number(m[2]), r.flops / r.nativeUs / 1000]);
    if (r.peerUs) {
      const pk = `numpy ${m[1]}, ${r.threads}t`;
      if (!series.has(pk)) series.set(pk, []);
      series.get(pk)!.push([Number(m[2]), r.flops / r.peerUs / 1000]);
    }
  }
  const table = rows
    .map(
      (r) =>
        `<tr><td>${esc(r.suite)}</td><td>${esc(r.name)}</td><td>${r.threads}</td><td>${r.plainUs === undefined ? '-' : (r.plainUs / 1000).toFixed(3)}</td><td>${(r.nativeUs / 1000).toFixed(3)}</td><td>${speedup(r)}</td><td>${rate(r)}</td><td>${r.peerUs ? (r.peerUs / r.nativeUs).toFixed(2) + '×' : '-'}</td><td>${esc(r.note ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tensorkit benchmarks</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
svg{background:#fff;border:1px solid #ddd;border-radius:4px;margin:8px 0}
svg text{font-size:11px;fill:#444}svg .t{font-size:13px;font-weight:600;fill:#222}svg .g{stroke:#eee}svg .f{fill:none;stroke:#bbb}
table{border-collapse:collapse}td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:right}td:nth-child(-n+2),th:nth-child(-n+2){text-align:left}
</style></head><body>
<h1>tensorkit: plain TypeScript vs native kernels</h1>
<p>${esc(res.machine ?? 'unknown CPU')} × ${res.cores ?? '?'} cores, Node ${esc(res.node ?? '?')}. Medians (tinybench); times in ms.</p>
${speed.length ? logBars(`Speed-up over plain TypeScript (${maxThreads} thread${maxThreads > 1 ? 's' : ''})`, speed, '×') : ''}
${series.size ? train.svgLineChart('Matrix product GFLOP/s against size', [...series], { xLabel: 'N (square N×N @ N×N)', logX: true }) : ''}
<h2>All rows</h2>
<table><tr><th>suite</th><th>op</th><th>threads</th><th>plain</th><th>native</th><th>speed-up</th><th>rate</th><th>vs peer</th><th>note</th></tr>
${table}</table>
<details><summary>Markdown</summary><pre>${esc(markdown(rows))}</pre></details>
</body></html>
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [input, output] = process.argv.slice(2);
  if (!input) {
    console.error(
      'usage: npm run bench:report -- results.json [report.html]   (results from npm run bench -- --json results.json)',
    );
    process.exit(2);
  }
  const out = output ?? path.join(path.dirname(input), 'bench-report.html');
  io.writeFileAtomic(out, [renderReport(JSON.parse(readFileSync(input, 'utf8')) as Results)]);
  console.log(`wrote ${out}`);
}
