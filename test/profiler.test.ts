// profiler (torch.profiler): op calls timed with their names, counts and shapes; recordFunction
// ranges with self time; key averages and the printed table; Chrome traces; async profiles; the
// rules (one at a time, nothing timed after stop).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { profiler, tensor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'tk-profiler-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const row = (p: profiler.Profile, name: string) => p.keyAverages().rows.find((r) => r.name === name);

describe('profiler', () => {
  it('times every op call by name, with counts and (asked for) operand shapes', () => {
    const a = tk.randn([8, 16]);
    const b = tk.randn([16, 4]);
    const p = profiler.profile(
      () =>
        tk.tidy(() => {
          for (let i = 0; i < 3; i++) a.matmul(b).add(1);
        }),
      { recordShapes: true },
    );
    expect(row(p, 'matmul')!.count).toBe(3);
    expect(row(p, 'add')!.count).toBe(3);
    const byShape = p.keyAverages({ groupByInputShape: true }).rows.find((r) => r.name === 'matmul')!;
    expect(byShape.inputShapes).toEqual([
      [8, 16],
      [16, 4],
    ]);
    for (const r of p.keyAverages().rows) {
      expect(r.cpuTimeTotal).toBeGreaterThanOrEqual(0);
      expect(r.cpuTimeAvg).toBeCloseTo(r.cpuTimeTotal / r.count, 12);
    }
    // nothing is timed once the profile stopped
    tk.tidy(() => a.matmul(b));
    expect(row(p, 'matmul')!.count).toBe(3);
    expect(profiler.isProfiling()).toBe(false);
  });

  it('recordFunction ranges nest; self time is what the events inside did not take', () => {
    const x = tk.randn([64, 64], { requiresGrad: true });
    const p = profiler.profile(() =>
      tk.tidy(() =>
        profiler.recordFunction('step', () => {
          const y = profiler.recordFunction('forward', () => x.matmul(x).tanh().sum());
          y.backward();
        }),
      ),
    );
    const events = p.events;
    const step = events.find((e) => e.name === 'step')!;
    const forward = events.find((e) => e.name === 'forward')!;
    const backward = events.find((e) => e.name === 'autograd::backward')!;
    expect([step.depth, forward.depth, backward.depth]).toEqual([0, 1, 1]);
    expect(forward.start).toBeGreaterThanOrEqual(step.start);
    expect(forward.start + forward.duration).toBeLessThanOrEqual(step.start + step.duration + 1e-9);
    const inForward = events.filter((e) => e.depth === 2).reduce((s, e) => s + e.duration, 0);
    expect(forward.selfDuration).toBeCloseTo(forward.duration - inForward, 9);
    // every moment is charged once: the self times add up to the top-level events' durations
    const selfSum = events.reduce((s, e) => s + e.selfDuration, 0);
    const topSum = events.filter((e) => e.depth === 0).reduce((s, e) => s + e.duration, 0);
    expect(selfSum).toBeCloseTo(topSum, 9);
    const table = p.keyAverages().table({ sortBy: 'selfCpuTimeTotal', rowLimit: 3 });
    expect(table.split('\n')[1]).toMatch(/^Name\s+Self CPU %\s+Self CPU\s+CPU total\s+CPU time avg\s+# of Calls$/);
    expect(table.split('\n').length).toBe(3 + 3 + 2);
    expect(table).toMatch(/Self CPU time total: [\d.]+(ms|us)$/);
    expect(profiler.recordFunction('outside', () => 7)).toBe(7); // no profile: just runs
  });

  it('profiles async work; a Chrome trace is written whole', async () => {
    const p = await profiler.profile(async () => {
      await profiler.recordFunction('load', async () => {
        await new Promise((r) => setTimeout(r, 5));
        tk.tidy(() => tensor([1, 2]).mul(2));
      });
    });
    const load = p.events.find((e) => e.name === 'load')!;
    expect(load.duration).toBeGreaterThanOrEqual(4);
    expect(row(p, 'mul')!.count).toBe(1);
    const path = join(dir, 'trace.json');
    p.exportChromeTrace(path);
    const trace = JSON.parse(readFileSync(path, 'utf8')) as { traceEvents: Record<string, unknown>[] };
    expect(trace.traceEvents.map((e) => [e.name, e.ph, e.cat])).toContainEqual(['load', 'X', 'user_annotation']);
    expect(trace.traceEvents.map((e) => [e.name, e.cat])).toContainEqual(['mul', 'cpu_op']);
    expect(readdirSync(dir)).toEqual(['trace.json']); // no temporary left behind
    expectTensorError(() => p.exportChromeTrace(join(dir, 'no', 'such', 'dir.json')), 'IO_ERROR', /cannot write/);
  });

  it('one profile at a time; the checks', () => {
    const p = new profiler.Profile().start();
    try {
      expectTensorError(() => new profiler.Profile().start(), 'INVALID_ARGUMENT', /a profile is already running/);
    } finally {
      p.stop();
    }
    expectTensorError(() => p.stop(), 'INVALID_ARGUMENT', /this profile is not running/);
    expectTensorError(() => p.start(), 'INVALID_ARGUMENT', /this profile already ran/);
    expectTensorError(
      () => p.keyAverages({ groupByInputShape: true }),
      'INVALID_ARGUMENT',
      /needs a profile made with recordShapes/,
    );
    expectTensorError(
      () => p.keyAverages().table({ sortBy: 'name' as never }),
      'INVALID_ARGUMENT',
      /sortBy must be one of/,
    );
    expectTensorError(() => profiler.profile(3 as never), 'INVALID_ARGUMENT', /'fn' must be a function/);
    expect(() =>
      profiler.profile(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(profiler.isProfiling()).toBe(false); // a throw stops the profile
  });
});
