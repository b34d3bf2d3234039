// One fuzzing process: calls entry points with hostile arguments, for indices start..start+count.
// Call i picks entry i mod N and draws its arguments from a generator seeded by (seed, i), so any
// call replays alone. Before each call it appends "S i entry args" to the progress file, after it
// "R i outcome": a call that kills the process is the last S without an R.
//   node --import tsx test/fuzz/call-child.ts <seed> <start> <count> <progressFile> [filter]
import { closeSync, openSync, writeSync } from 'node:fs';
import { setImmediate as tick } from 'node:timers/promises';

import * as tk from '../../src/index.js';
import { seededRandom } from '../../src/data/dataset.js';
import { entries, FACTORIES, type Entry } from './entries.js';
import { classifyError, type Outcome } from './outcome.js';
import { hostileValue, pick, plausibleValue, type Rnd, type Value } from './values.js';

/** Mixes the run seed and the call index into one generator seed. */
export function callSeed(seed: number, i: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35)) >>> 0;
}

// Instances of the package's own classes, as arguments (a module where a tensor goes, ...).
const EXTRAS: (() => Value)[] = [
  'Linear',
  'Sequential',
  'SGD',
  'Accuracy',
  'TensorDataset',
  'DataLoader',
  'StepLR',
  'TinyModule',
  'Trainer',
  'CSVLogger',
  'PlainTensor',
].map((name) => () => ({
  value: (name === 'TinyModule' ? FACTORIES.LightningModule : FACTORIES[name])(),
  desc: `<${name}>`,
}));

/**
 * The arguments for call i: a count near the entry's arity; half the calls all hostile values,
 * half plausible values (which reach the kernels) with, usually, one of them made hostile.
 */
export function argsFor(entry: Entry, rnd: Rnd): Value[] {
  const n = Math.max(0, entry.arity + pick(rnd, [-1, 0, 0, 0, 1, 2]));
  if (rnd() < 0.5) return Array.from({ length: n }, () => hostileValue(rnd, EXTRAS));
  const args = Array.from({ length: n }, () => plausibleValue(rnd, EXTRAS));
  if (n > 0 && rnd() < 0.7) args[Math.floor(rnd() * n)] = hostileValue(rnd, EXTRAS);
  return args;
}

const PROMISE_LIMIT_MS = 10_000;

/** Runs one call and classifies what happened. */
export async function runCall(entry: Entry, args: Value[]): Promise<Outcome> {
  try {
    const r = entry.invoke(args.map((a) => a.value));
    if (r !== null && typeof r === 'object' && typeof (r as Promise<unknown>).then === 'function') {
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<'timeout'>((res) => {
        timer = setTimeout(() => res('timeout'), PROMISE_LIMIT_MS);
      });
      const settled = await Promise.race([(r as Promise<unknown>).then(() => 'ok' as const), limit]).finally(() =>
        clearTimeout(timer),
      );
      if (settled === 'timeout')
        return { kind: 'timeout', detail: `the promise did not settle in ${PROMISE_LIMIT_MS} ms` };
    }
    return { kind: 'ok' };
  } catch (e) {
    return classifyError(e);
  }
}

async function main(): Promise<void> {
  const [seed, start, count] = process.argv.slice(2, 5).map(Number);
  const progress = openSync(process.argv[5], 'a');
  const filter = process.argv[6];
  const all = entries();
  const list = filter ? all.filter((e) => e.name.includes(filter)) : all;
  if (list.length === 0) throw new Error(`--filter '${filter}' matches no entry point (names are case-sensitive)`);
  const log = (line: string) => writeSync(progress, `${line.replace(/\n/g, ' ')}\n`);
  // Errors that escape every call (a rejected promise nobody awaited, a throwing timer) are
  // defects too; they are charged to the call running when they surface.
  let current = -1;
  const escaped = (e: unknown) =>
    log(`X ${current} ${JSON.stringify({ ...classifyError(e), kind: 'plain' } satisfies Outcome)}`);
  process.on('uncaughtException', escaped);
  process.on('unhandledRejection', escaped);
  const threads = tk.getNumThreads();
  for (let i = start; i < start + count; i++) {
    current = i;
    const entry = list[i % list.length];
    const rnd = seededRandom(callSeed(seed, i));
    let args: Value[];
    try {
      args = argsFor(entry, rnd);
    } catch (e) {
      log(`S ${i} ${entry.name} <arguments could not be made>`);
      log(`R ${i} ${JSON.stringify({ kind: 'plain', detail: `making arguments: ${String(e)}` })}`);
      continue;
    }
    log(`S ${i} ${entry.name} (${args.map((a) => a.desc).join(', ')})`);
    const o = await runCall(entry, args);
    log(`R ${i} ${JSON.stringify(o)}`);
    // Undo process-wide settings a call may have changed, so each call starts alike.
    tk.setGradEnabled(true);
    if (tk.getNumThreads() !== threads) tk.setNumThreads(threads);
    if (i % 32 === 31) await tick(); // timers, finalizers
    if (i % 256 === 255) (globalThis as { gc?: () => void }).gc?.();
  }
  await tick();
  closeSync(progress);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main().catch((e) => {
    console.error(e);
    process.exit(3);
  });
}
