// A short, seeded run of the fuzzers (npm run fuzz runs the full one): every public entry point
// called with hostile arguments in child processes, and mutated safetensors files, checkpoints
// and event files loaded every way. Any crash, hang, plain JavaScript error, INTERNAL error,
// '[object Object]' message, wrong data or injected value fails the test, with the calls that
// reproduce it (npm run fuzz -- --seed S --replay I).
import { describe, expect, it } from 'vitest';

import { formatReport, runFuzz } from './fuzz/runner.js';

describe('fuzzing (short run; npm run fuzz for the long one)', () => {
  it('4,000 hostile calls over every public entry point: no crash, hang or plain error', async () => {
    const r = await runFuzz({ kind: 'calls', seed: 7, count: 4000 });
    expect(r.targets).toBeGreaterThan(500); // every entry point was reached
    expect(r.tally.crash + r.tally.hang, formatReport(r)).toBe(0);
    expect(r.defects, formatReport(r)).toEqual([]);
  }, 180_000);

  it('2,000 mutated files: every load is a TensorError or the exact data', async () => {
    const r = await runFuzz({ kind: 'files', seed: 7, count: 2000 });
    expect(r.defects, formatReport(r)).toEqual([]);
    expect(r.tally.error).toBeGreaterThan(r.count / 2); // the mutations do break files
  }, 180_000);
});
