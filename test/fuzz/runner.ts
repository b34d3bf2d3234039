// Runs fuzzing children (the call fuzzer or the file fuzzer) over a range of indices, in
// parallel, under an address-space limit, and turns their progress files into a report. A child
// that dies or stops making progress is charged with the call it had started, and a new child
// carries on after it.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { DEFECTS, type Kind, type Outcome } from './outcome.js';

export interface RunOptions {
  kind: 'calls' | 'files';
  seed: number;
  count: number;
  /** Children at once. Default 2. */
  jobs?: number;
  /** Only entry points whose name contains this (calls). */
  filter?: string;
  /**
   * Writable-memory limit per child, MB (huge allocations then fail quickly); 0 for none (an
   * ASan build needs none: its shadow memory would count). Default 6144, or TK_FUZZ_MEMORY_MB.
   */
  memoryMb?: number;
  /** A child with no progress for this long is killed and charged with a hang. Default 60 s. */
  stallMs?: number;
}

export interface Defect {
  index: number;
  what: string;
  outcome: Outcome;
}
export interface Report {
  kind: 'calls' | 'files';
  seed: number;
  count: number;
  /** Outcomes by kind over all indices. */
  tally: Record<Kind, number>;
  /** Distinct entry points (calls) or seed formats (files) exercised. */
  targets: number;
  defects: Defect[];
  /** TensorError codes seen, with counts. */
  codes: Record<string, number>;
  seconds: number;
}

const CHILD = { calls: 'call-child.ts', files: 'file-child.ts' } as const;
// Resolved here: the children run in a scratch directory, where 'tsx' would not resolve.
const TSX = import.meta.resolve('tsx');

interface ChildResult {
  /** Index after the last one finished (or charged). */
  next: number;
}

async function runChild(
  o: Required<Omit<RunOptions, 'filter'>> & { filter?: string },
  start: number,
  end: number,
  dir: string,
  report: Report,
  targets: Set<string>,
): Promise<ChildResult> {
  const progress = join(dir, `progress-${start}.txt`);
  writeFileSync(progress, '');
  const script = fileURLToPath(new URL(CHILD[o.kind], import.meta.url));
  const args = ['--expose-gc', '--import', TSX, script, String(o.seed), String(start), String(end - start), progress];
  if (o.filter) args.push(o.filter);
  // ulimit -d (private writable memory; -v would also count the address space wasm reserves): an allocation past the limit fails in the process (the library's OUT_OF_MEMORY
  // path) instead of swapping the machine.
  const limit = o.memoryMb > 0 ? `ulimit -d ${o.memoryMb * 1024} && ` : '';
  const child = spawn('/bin/sh', ['-c', `${limit}exec "$0" "$@"`, process.execPath, ...args], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, TENSORKIT_FUZZ: '1' },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  let lastSize = -1,
    lastChange = Date.now(),
    stalled = false;
  const watch = setInterval(() => {
    let size = 0;
    try {
      size = statSync(progress).size;
    } catch {
      /* not yet */
    }
    if (size !== lastSize) {
      lastSize = size;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > o.stallMs) {
      stalled = true;
      child.kill('SIGKILL');
    }
  }, 500);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((res) =>
    child.once('exit', (c, s) => res([c, s])),
  );
  clearInterval(watch);

  const lines = readFileSync(progress, 'utf8');
  // A child that dies before its first call failed to set up (a new public class without a
  // factory, a syntax error): every further child would too, so stop here with its error.
  if (lines === '' && code !== 0 && !stalled)
    throw new Error(`fuzz: the child process failed before its first call: ${stderr.trim().slice(-1500)}`);
  let open: { index: number; what: string } | undefined;
  let next = start;
  for (const line of lines.split('\n')) {
    if (!line) continue;
    const sp1 = line.indexOf(' '),
      sp2 = line.indexOf(' ', sp1 + 1);
    const tag = line.slice(0, sp1),
      index = Number(line.slice(sp1 + 1, sp2 < 0 ? undefined : sp2)),
      rest = sp2 < 0 ? '' : line.slice(sp2 + 1);
    if (tag === 'S') {
      open = { index, what: rest };
      targets.add(rest.split(' (')[0]);
    } else if (tag === 'R' || tag === 'X') {
      let out: Outcome;
      try {
        out = JSON.parse(rest) as Outcome;
      } catch {
        continue;
      } // a line cut short by a crash
      if (tag === 'R') {
        report.tally[out.kind]++;
        if (out.code) report.codes[out.code] = (report.codes[out.code] ?? 0) + 1;
        next = index + 1;
        if (DEFECTS.includes(out.kind))
          report.defects.push({ index, what: open?.index === index ? open.what : '?', outcome: out });
        open = undefined;
      } else {
        report.tally.plain++;
        report.defects.push({ index, what: `escaped while running ${open?.what ?? 'between calls'}`, outcome: out });
      }
    }
  }
  if (open !== undefined || code !== 0) {
    const kind: Kind = stalled ? 'hang' : 'crash';
    const index = open?.index ?? next;
    const why = stalled
      ? `no progress for ${o.stallMs} ms`
      : `exit code ${code}, signal ${signal}: ${stderr.trim().split('\n').slice(-6).join(' | ')}`;
    report.tally[kind]++;
    report.defects.push({ index, what: open?.what ?? '(between calls)', outcome: { kind, detail: why } });
    next = index + 1;
  }
  return { next };
}

/** Runs the fuzzer and returns its report. */
export async function runFuzz(options: RunOptions): Promise<Report> {
  const o = { jobs: 2, memoryMb: Number(process.env.TK_FUZZ_MEMORY_MB ?? 6144), stallMs: 60_000, ...options };
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), `tk-fuzz-${o.kind}-`));
  const report: Report = {
    kind: o.kind,
    seed: o.seed,
    count: o.count,
    targets: 0,
    defects: [],
    codes: {},
    seconds: 0,
    tally: { ok: 0, error: 0, user: 0, plain: 0, internal: 0, message: 0, wrong: 0, timeout: 0, crash: 0, hang: 0 },
  };
  const targets = new Set<string>();
  try {
    // Indices are dealt out in slices, so a slow region does not leave one child idle.
    // Each child pays ~2 s to start (the TypeScript sources), so slices are at least 1,000.
    const slice = Math.max(1000, Math.ceil(o.count / (o.jobs * 4)));
    let cursor = 0;
    const worker = async () => {
      while (cursor < o.count) {
        const start = cursor,
          end = Math.min(o.count, start + slice);
        cursor = end;
        for (let at = start; at < end;) at = (await runChild(o, at, end, dir, report, targets)).next;
      }
    };
    await Promise.all(Array.from({ length: o.jobs }, worker));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  report.targets = targets.size;
  report.defects.sort((a, b) => a.index - b.index);
  report.seconds = (Date.now() - t0) / 1000;
  return report;
}

/** A readable summary: the tally, then each defect with what reproduces it. */
export function formatReport(r: Report): string {
  const lines = [
    `${r.kind}: ${r.count} (seed ${r.seed}) over ${r.targets} ${r.kind === 'calls' ? 'entry points' : 'mutation kinds'} in ${r.seconds.toFixed(1)} s`,
    `  ${Object.entries(r.tally)
      .filter(([, n]) => n)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
    `  error codes: ${Object.entries(r.codes)
      .sort(([, a], [, b]) => b - a)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
    `  defects: ${r.defects.length}`,
  ];
  // One line per entry point (or mutation kind) and defect kind: how often, and the first case.
  const groups = new Map<string, Defect[]>();
  for (const d of r.defects) {
    const key = `[${d.outcome.kind}] ${d.what.split(' (')[0]}`;
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  for (const [key, ds] of groups)
    lines.push(
      `  ${key} x${ds.length}, e.g. #${ds[0].index} ${ds[0].what.slice(0, 240)}\n      ${(ds[0].outcome.detail ?? '').slice(0, 400)}`,
    );
  return lines.join('\n');
}
