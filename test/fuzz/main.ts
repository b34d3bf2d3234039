// npm run fuzz -- [--calls N] [--files N] [--seed S] [--jobs J] [--filter NAME] [--replay I]
// Seeded and bounded: the same arguments give the same calls and files. Exits 1 on any defect.
// --replay I runs call I (or, with --files, file I) in this process and prints what it did.
import { parseArgs } from 'node:util';

import { formatReport, runFuzz } from './runner.js';

const usage = 'usage: npm run fuzz -- [--calls N] [--files N] [--seed S] [--jobs J] [--filter NAME] [--replay I]';
let parsed;
try {
  parsed = parseArgs({
    options: {
      calls: { type: 'string', default: '20000' },
      files: { type: 'string', default: '20000' },
      seed: { type: 'string', default: '1' },
      jobs: { type: 'string', default: '2' },
      filter: { type: 'string' },
      replay: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
} catch (e) {
  console.error(`${(e as Error).message}\n${usage}`);
  process.exit(2);
}
const { values } = parsed;
if (values.help) {
  console.log(usage);
  process.exit(0);
}
// Every number is a whole number >= 0 (jobs >= 1): a typo would otherwise run NaN calls silently.
for (const k of ['calls', 'files', 'seed', 'jobs', 'replay'] as const) {
  const v = values[k];
  if (v !== undefined && !(/^\d+$/.test(v) && (k !== 'jobs' || Number(v) >= 1))) {
    console.error(`--${k} must be a whole number${k === 'jobs' ? ' >= 1' : ''}, got '${v}'\n${usage}`);
    process.exit(2);
  }
}
const seed = Number(values.seed),
  jobs = Number(values.jobs);

if (values.replay !== undefined) {
  const i = Number(values.replay);
  if (process.argv.includes('--files')) {
    const { replayFile } = await import('./file-child.js');
    console.log(await replayFile(seed, i));
  } else {
    const { entries } = await import('./entries.js');
    const { argsFor, callSeed, runCall } = await import('./call-child.js');
    const { seededRandom } = await import('../../src/data/dataset.js');
    const all = entries();
    const list = values.filter ? all.filter((e) => e.name.includes(values.filter!)) : all;
    const entry = list[i % list.length];
    const args = argsFor(entry, seededRandom(callSeed(seed, i)));
    console.log(`${entry.name}(${args.map((a) => a.desc).join(', ')})`);
    console.log(await runCall(entry, args));
  }
} else {
  let defects = 0;
  for (const [kind, n] of [
    ['calls', Number(values.calls)],
    ['files', Number(values.files)],
  ] as const) {
    if (!n) continue;
    const r = await runFuzz({ kind, seed, count: n, jobs, filter: values.filter });
    console.log(formatReport(r));
    defects += r.defects.length;
  }
  process.exit(defects ? 1 : 0);
}
