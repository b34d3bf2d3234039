// Benchmark plumbing: timing with tinybench (medians), rows of plain vs native, and output.
import { Bench } from 'tinybench';

export interface Options {
  filter?: RegExp;
  quick: boolean;
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
  note?: string;
}

/**
 * Median microseconds per call of `fn`. Sub-microsecond ops are batched `inner` times per sample
 * so that timer resolution and per-sample overhead do not dominate.
 */
export async function measure(fn: () => void, opts: Options, inner = 1, budgetMs?: number): Promise<number> {
  const time = budgetMs ?? (opts.quick ? 150 : 600);
  const bench = new Bench({ time, warmup: true, warmupTime: Math.min(100, time / 3), iterations: 5 });
  bench.add('x', () => {
    for (let i = 0; i < inner; i++) fn();
  });
  await bench.run();
  const r = bench.tasks[0].result as { state: string; latency?: { p50: number }; error?: unknown };
  if (r.state !== 'completed' || !r.latency) throw new Error(`benchmark failed: ${String(r.error ?? r.state)}`);
  return (r.latency.p50 * 1000) / inner;
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
  const head = ['suite', 'op', 'threads', 'plain', 'native', 'speed-up', 'rate', 'vs peer', 'note'];
  const body = rows.map((r) => [r.suite, r.name, String(r.threads), fmtTime(r.plainUs), fmtTime(r.nativeUs), speedup(r), rate(r), peer(r), r.note ?? '']);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 3 && i <= 7 ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n');
}

export function markdown(rows: Row[]): string {
  const out = ['| suite | op | threads | plain | native | speed-up | rate | vs peer | note |', '|---|---|---:|---:|---:|---:|---:|---:|---|'];
  for (const r of rows) out.push(`| ${r.suite} | ${r.name} | ${r.threads} | ${fmtTime(r.plainUs)} | ${fmtTime(r.nativeUs)} | ${speedup(r)} | ${rate(r)} | ${peer(r)} | ${r.note ?? ''} |`);
  return out.join('\n');
}

export type Suite = (opts: Options, threads: number[]) => AsyncGenerator<Row>;
