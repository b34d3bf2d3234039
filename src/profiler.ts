/**
 * Profiling, as torch.profiler: while a Profile runs, every native op call is timed (its name,
 * duration and, with recordShapes, its operands' shapes), and `recordFunction` marks your own
 * ranges (a data step, a forward pass). `keyAverages().table()` prints the ops by time as torch's
 * does; `exportChromeTrace(path)` writes a trace for chrome://tracing or Perfetto.
 *
 * Times are wall-clock around each call from the JS thread. A backward pass runs in the native
 * engine, so it shows as one `autograd::backward` range rather than op by op; CUDA ops are timed
 * at their launch (the device runs them asynchronously).
 * @example
 * const prof = profiler.profile(() => model.call(x).sum().backward(), { recordShapes: true });
 * console.log(prof.keyAverages().table({ sortBy: 'cpuTimeTotal', rowLimit: 10 }));
 * prof.exportChromeTrace('trace.json');
 * @module profiler
 */
import { renameSync, writeFileSync } from 'node:fs';

import { fail } from './errors.js';
import { setOpTimer, type OpTimer } from './ops/dispatch.js';
import { checkOptions, describe, fn as fnArg, intAtLeast, str } from './options.js';

/** Options of a Profile. */
export interface ProfileOptions {
  /** Record each op's operand shapes (keyAverages can group by them). Default false. */
  recordShapes?: boolean;
}

/** One timed op call or recorded range; times in milliseconds from the profile's start. */
export interface ProfilerEvent {
  name: string;
  /** 'op' for a native op call, 'range' for recordFunction and autograd::backward. */
  kind: 'op' | 'range';
  start: number;
  duration: number;
  /** Time not spent in the events nested in it (for an op, its duration). */
  selfDuration: number;
  /** How many ranges were open around it. */
  depth: number;
  inputShapes?: number[][];
}

/** One row of keyAverages: the events of one name (and shapes, if grouped by them). */
export interface ProfilerRow {
  name: string;
  count: number;
  /** Total time, ms. */
  cpuTimeTotal: number;
  /** Total time less nested events, ms. */
  selfCpuTimeTotal: number;
  /** cpuTimeTotal / count, ms. */
  cpuTimeAvg: number;
  inputShapes?: number[][];
}

/** The columns table() can sort by. */
export type ProfilerSortKey = 'cpuTimeTotal' | 'selfCpuTimeTotal' | 'cpuTimeAvg' | 'count';

let active: Profile | null = null;

// A range open on the stack: its event, and the time of the events directly inside it.
interface Open {
  event: ProfilerEvent;
  inner: number;
}

/**
 * A profiling session (torch.profiler.profile): start(), run the code, stop(); or use profile(fn).
 * One runs at a time.
 * @example const p = new profiler.Profile().start(); step(); p.stop(); console.log(p.keyAverages().table())
 */
export class Profile {
  /** The events, in the order they ended. */
  readonly events: ProfilerEvent[] = [];
  readonly recordShapes: boolean;
  private origin = 0;
  private readonly open: Open[] = [];
  private previous: OpTimer | null = null;
  private running = false;
  constructor(options?: ProfileOptions) {
    const o = checkOptions('Profile', options, { recordShapes: 'boolean' });
    this.recordShapes = o.recordShapes ?? false;
  }
  /** Starts timing; returns this. */
  start(): this {
    if (active) fail('INVALID_ARGUMENT', 'Profile.start: a profile is already running (one at a time)');
    if (this.running) fail('INVALID_ARGUMENT', 'Profile.start: this profile already ran');
    active = this;
    this.running = true;
    this.origin = performance.now();
    const self = this;
    this.previous = setOpTimer({
      recordShapes: this.recordShapes,
      op(name, start, end, shapes) {
        self.add({
          name,
          kind: 'op',
          start,
          duration: end - start,
          selfDuration: end - start,
          depth: 0,
          inputShapes: shapes,
        });
      },
    });
    return this;
  }
  /** Stops timing (ranges still open are closed now); returns this. */
  stop(): this {
    if (active !== this) fail('INVALID_ARGUMENT', 'Profile.stop: this profile is not running');
    const now = performance.now();
    while (this.open.length) this.close(this.open[this.open.length - 1].event, now);
    setOpTimer(this.previous);
    active = null;
    return this;
  }
  /** @internal Records an event that ended (times absolute). */
  add(e: ProfilerEvent): void {
    const parent = this.open[this.open.length - 1];
    if (parent) parent.inner += e.duration;
    this.events.push({ ...e, start: e.start - this.origin, depth: this.open.length });
  }
  /** @internal Opens a range. */
  begin(name: string): ProfilerEvent {
    const event: ProfilerEvent = {
      name,
      kind: 'range',
      start: performance.now(),
      duration: 0,
      selfDuration: 0,
      depth: 0,
    };
    this.open.push({ event, inner: 0 });
    return event;
  }
  /** @internal Closes a range (and any opened after it, as ranges nest). */
  close(event: ProfilerEvent, end = performance.now()): void {
    const at = this.open.findIndex((o) => o.event === event);
    if (at < 0) return;
    while (this.open.length > at) {
      const { event: e, inner } = this.open.pop()!;
      const duration = end - e.start;
      this.add({ ...e, duration, selfDuration: Math.max(0, duration - inner) });
    }
  }

  /**
   * The events grouped by name (and by operand shapes with groupByInputShape, which needs
   * recordShapes), with call counts and times (torch's key_averages).
   */
  keyAverages(options?: { groupByInputShape?: boolean }): KeyAverages {
    const o = checkOptions('Profile.keyAverages', options, { groupByInputShape: 'boolean' });
    const byShape = o.groupByInputShape ?? false;
    if (byShape && !this.recordShapes)
      fail('INVALID_ARGUMENT', 'Profile.keyAverages: groupByInputShape needs a profile made with recordShapes');
    const rows = new Map<string, ProfilerRow>();
    for (const e of this.events) {
      const key = byShape ? `${e.name} ${JSON.stringify(e.inputShapes ?? [])}` : e.name;
      let r = rows.get(key);
      if (!r) {
        r = { name: e.name, count: 0, cpuTimeTotal: 0, selfCpuTimeTotal: 0, cpuTimeAvg: 0 };
        if (byShape) r.inputShapes = e.inputShapes ?? [];
        rows.set(key, r);
      }
      r.count++;
      r.cpuTimeTotal += e.duration;
      r.selfCpuTimeTotal += e.selfDuration;
    }
    for (const r of rows.values()) r.cpuTimeAvg = r.cpuTimeTotal / r.count;
    return new KeyAverages([...rows.values()]);
  }

  /**
   * Writes the events as a Chrome trace (the JSON chrome://tracing and Perfetto read), to a
   * temporary file renamed into place. @example prof.exportChromeTrace('trace.json')
   */
  exportChromeTrace(path: string): void {
    str('Profile.exportChromeTrace', 'path', path);
    const us = (ms: number) => Math.round(ms * 1000 * 1000) / 1000;
    const traceEvents = this.events.map((e) => ({
      name: e.name,
      cat: e.kind === 'op' ? 'cpu_op' : 'user_annotation',
      ph: 'X',
      ts: us(e.start),
      dur: us(e.duration),
      pid: process.pid,
      tid: 0,
      ...(e.inputShapes ? { args: { 'Input Dims': e.inputShapes } } : {}),
    }));
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify({ traceEvents, displayTimeUnit: 'ms' }));
      renameSync(tmp, path);
    } catch (e) {
      fail('IO_ERROR', `Profile.exportChromeTrace: cannot write ${describe(path)}: ${(e as Error).message}`);
    }
  }
}

/** The rows of keyAverages, and torch's printed table of them. */
export class KeyAverages {
  constructor(readonly rows: readonly ProfilerRow[]) {}
  /**
   * The rows as a text table, largest first by sortBy (default cpuTimeTotal), at most rowLimit
   * rows (default all). @example console.log(prof.keyAverages().table({ sortBy: 'selfCpuTimeTotal', rowLimit: 10 }))
   */
  table(options?: { sortBy?: ProfilerSortKey; rowLimit?: number }): string {
    const o = checkOptions('KeyAverages.table', options, { sortBy: 'string', rowLimit: 'integer' });
    const keys: ProfilerSortKey[] = ['cpuTimeTotal', 'selfCpuTimeTotal', 'cpuTimeAvg', 'count'];
    const sortBy = o.sortBy ?? 'cpuTimeTotal';
    if (!keys.includes(sortBy))
      fail('INVALID_ARGUMENT', `KeyAverages.table: sortBy must be one of ${keys.join(', ')}, got ${describe(sortBy)}`);
    const limit = o.rowLimit === undefined ? Infinity : intAtLeast('KeyAverages.table', 'rowLimit', o.rowLimit, 1);
    const rows = [...this.rows].sort((a, b) => b[sortBy] - a[sortBy]).slice(0, limit);
    const totalSelf = this.rows.reduce((s, r) => s + r.selfCpuTimeTotal, 0) || 1;
    const time = (ms: number) => (ms >= 1 ? `${ms.toFixed(3)}ms` : `${(ms * 1000).toFixed(3)}us`);
    const header = ['Name', 'Self CPU %', 'Self CPU', 'CPU total', 'CPU time avg', '# of Calls'];
    const shapes = rows.some((r) => r.inputShapes);
    if (shapes) header.push('Input Shapes');
    const body = rows.map((r) => {
      const cells = [
        r.name,
        `${((100 * r.selfCpuTimeTotal) / totalSelf).toFixed(2)}%`,
        time(r.selfCpuTimeTotal),
        time(r.cpuTimeTotal),
        time(r.cpuTimeAvg),
        String(r.count),
      ];
      if (shapes) cells.push(JSON.stringify(r.inputShapes ?? []));
      return cells;
    });
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((c) => c[i].length)));
    const line = widths.map((w) => '-'.repeat(w)).join('  ');
    const fmt = (cells: string[]) =>
      cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    const total = this.rows.reduce((s, r) => s + r.selfCpuTimeTotal, 0);
    return [line, fmt(header), line, ...body.map(fmt), line, `Self CPU time total: ${time(total)}`].join('\n');
  }
}

/**
 * Runs fn under a new Profile and returns it stopped (a Promise of it when fn is async; ops of
 * other async work running meanwhile are timed too). @example const prof = profiler.profile(() => step())
 */
export function profile(fn: () => Promise<unknown>, options?: ProfileOptions): Promise<Profile>;
export function profile(fn: () => unknown, options?: ProfileOptions): Profile;
export function profile(fn: () => unknown, options?: ProfileOptions): Profile | Promise<Profile> {
  fnArg('profile', 'fn', fn);
  const p = new Profile(options).start();
  let r: unknown;
  try {
    r = fn();
  } catch (e) {
    p.stop();
    throw e;
  }
  if (r instanceof Promise)
    return r.then(
      () => p.stop(),
      (e) => {
        p.stop();
        throw e;
      },
    );
  return p.stop();
}

/**
 * Marks fn's run as a named range in the running profile (torch.profiler.record_function); without
 * one it just runs fn. Returns fn's result (async functions: the range closes when it settles).
 * @example profiler.recordFunction('forward', () => model.call(x))
 */
export function recordFunction<T>(name: string, fn: () => T): T {
  str('recordFunction', 'name', name);
  fnArg('recordFunction', 'fn', fn);
  const p = active;
  if (!p) return fn();
  const e = p.begin(name);
  let r: T;
  try {
    r = fn();
  } catch (err) {
    p.close(e);
    throw err;
  }
  if (r instanceof Promise)
    return r.finally(() => {
      if (active === p) p.close(e);
    }) as T;
  p.close(e);
  return r;
}

/** Whether a profile is running. */
export function isProfiling(): boolean {
  return active !== null;
}
