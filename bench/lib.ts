// Benchmark plumbing: timing with tinybench (medians), rows of plain vs native, and output.
import { Bench } from 'tinybench';

export interface Options {
  filter?: RegExp;
  quick: boolean;
  /** The test suite's run: every row once, budgets of a few milliseconds (figures meaningless). */
  smoke?: boolean;
  threads?: number;
  json?: string;
  markdown?: string;
}

export interface Row {
  suite: string;
  name: string;
  threads: number;
  /** Median time of one native call, in microseconds. */
  nativeUs: number;
  /** Median time of the plain TypeScript version, in microseconds (when measured). */
  plainUs?: number;
  /** Work per call, to report a rate. */
  bytes?: number;
  flops?: number;
  /** The same work timed in another library in the same run (e.g. numpy), median microseconds. */
  peerUs?: number;
  /** Spread of the native samples: median absolute deviation over the median, as a fraction. */
  spread?: number;
  note?: string;
}

// The spread of each timing measure() returned, found again by its value when a row is printed
// (suites build rows from the returned medians; this keeps their code free of statistics).
const spreads = new Map<number, number>();
/** The spread recorded for a median measure() returned, if any. */
export function spreadOf(us: number): number | undefined {
  return spreads.get(us);
}

/**
 * Median microseconds per call of `fn`. Sub-microsecond ops are batched `inner` times per sample
 * so that timer resolution and per-sample overhead do not dominate.
 */
export async function measure(fn: () => void, opts: Options, inner = 1, budgetMs?: number): Promise<number> {
  const time = opts.smoke ? 1 : (budgetMs ?? (opts.quick ? 150 : 600));
  const bench = new Bench({
    time,
    warmup: !opts.smoke,
    warmupTime: Math.min(100, time / 3),
    iterations: opts.smoke ? 1 : 5,
  });
  bench.add('x', () => {
    for (let i = 0; i < inner; i++) fn();
  });
  await bench.run();
  const r = bench.tasks[0].result as { state: string; latency?: { p50: number; mad: number }; error?: unknown };
  if (r.state !== 'completed' || !r.latency) throw new Error(`benchmark failed: ${String(r.error ?? r.state)}`);
  const us = (r.latency.p50 * 1000) / inner;
  spreads.set(us, r.latency.p50 > 0 ? r.latency.mad / r.latency.p50 : 0);
  return us;
}

/** measure() for an asynchronous call (one awaited call per iteration). */
export async function measureAsync(fn: () => Promise<void>, opts: Options, budgetMs?: number): Promise<number> {
  const time = opts.smoke ? 1 : (budgetMs ?? (opts.quick ? 150 : 600));
  const bench = new Bench({
    time,
    warmup: !opts.smoke,
    warmupTime: Math.min(100, time / 3),
    iterations: opts.smoke ? 1 : 5,
  });
  bench.add('x', fn);
  await bench.run();
  const r = bench.tasks[0].result as { state: string; latency?: { p50: number }; error?: unknown };
  if (r.state !== 'completed' || !r.latency) throw new Error(`benchmark failed: ${String(r.error ?? r.state)}`);
  return r.latency.p50 * 1000;
}

/** The results as JSON, one row per line: readable, and diffs stay a line per changed row. */
export function resultsJson(res: { machine?: string; cores: number; node: string; rows: Row[] }): string {
  const { rows, ...head } = res;
  return `${JSON.stringify(head).slice(0, -1)},"rows":[\n${rows.map((r) => JSON.stringify(r)).join(',\n')}\n]}\n`;
}

function fmtTime(us: number | undefined): string {
  if (us === undefined) return '-';
  if (us < 1) return `${(us * 1000).toFixed(0)} ns`;
  if (us < 1000) return `${us.toFixed(us < 10 ? 2 : 1)} µs`;
  return `${(us / 1000).toFixed(2)} ms`;
}

export function rate(r: Row): string {
  if (r.flops) return `${(r.flops / r.nativeUs / 1000).toFixed(1)} GFLOP/s`;
  if (r.bytes) return `${(r.bytes / r.nativeUs / 1000).toFixed(1)} GB/s`;
  return '';
}

export function speedup(r: Row): string {
  return r.plainUs === undefined ? '-' : `${(r.plainUs / r.nativeUs).toFixed(r.plainUs / r.nativeUs < 10 ? 1 : 0)}×`;
}

/** The peer's rate and tensorkit's speed relative to it (>1: tensorkit is faster). */
export function peer(r: Row): string {
  if (r.peerUs === undefined) return '-';
  const peerRate = r.flops ? `${(r.flops / r.peerUs / 1000).toFixed(1)} GFLOP/s, ` : '';
  return `${peerRate}${(r.peerUs / r.nativeUs).toFixed(2)}×`;
}

export function table(rows: Row[]): string {
  const head = ['suite', 'op', 'threads', 'plain', 'native', '±', 'speed-up', 'rate', 'vs peer', 'note'];
  const body = rows.map((r) => [
    r.suite,
    r.name,
    String(r.threads),
    fmtTime(r.plainUs),
    fmtTime(r.nativeUs),
    fmtSpread(r.spread),
    speedup(r),
    rate(r),
    peer(r),
    r.note ?? '',
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i >= 3 && i <= 8 ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n');
}

function fmtSpread(s: number | undefined): string {
  return s === undefined ? '-' : `${(s * 100).toFixed(s < 0.1 ? 1 : 0)}%`;
}

export function markdown(rows: Row[]): string {
  const out = [
    '| suite | op | threads | plain | native | ± | speed-up | rate | vs peer | note |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows)
    out.push(
      `| ${r.suite} | ${r.name} | ${r.threads} | ${fmtTime(r.plainUs)} | ${fmtTime(r.nativeUs)} | ${fmtSpread(r.spread)} | ${speedup(r)} | ${rate(r)} | ${peer(r)} | ${r.note ?? ''} |`,
    );
  return out.join('\n');
}

export type Suite = (opts: Options, threads: number[]) => AsyncGenerator<Row>;
