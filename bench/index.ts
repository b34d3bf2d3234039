// npm run bench [-- --filter REGEX --threads 1,2 --quick --smoke --json out.json --markdown out.md]
// Prints plain-TypeScript vs native timings per op family, with speed-ups and rates.
import { writeFileSync } from 'node:fs';
import os from 'node:os';

import * as tk from '../src/index.js';
import { markdown, resultsJson, spreadOf, table, type Options, type Row } from './lib.js';
import { attention } from './suites/attention.js';
import { autograd } from './suites/autograd.js';
import { compare } from './suites/compare.js';
import { conv } from './suites/conv.js';
import { elementwise } from './suites/elementwise.js';
import { gpu } from './suites/gpu.js';
import { half } from './suites/half.js';
import { jit } from './suites/jit.js';
import { linalgSuite } from './suites/linalg.js';
import { matmul } from './suites/matmul.js';
import { memory } from './suites/memory.js';
import { programs } from './suites/programs.js';
import { explainSuite } from './suites/explain.js';
import { monitorSuite } from './suites/monitor.js';
import { reduce } from './suites/reduce.js';
import { trainSuite } from './suites/train.js';
import { views } from './suites/views.js';

function parse(argv: string[]): Options {
  const o: Options = { quick: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--smoke') o.quick = o.smoke = true;
    else if (a === '--filter') o.filter = new RegExp(argv[++i], 'i');
    else if (a === '--threads') o.threads = Number(argv[++i]);
    else if (a === '--json') o.json = argv[++i];
    else if (a === '--markdown') o.markdown = argv[++i];
    else
      throw new Error(`bench: unknown argument ${a} (use --filter, --threads, --quick, --smoke, --json, --markdown)`);
  }
  return o;
}

const SUITES = {
  elementwise,
  reduce,
  matmul,
  linalg: linalgSuite,
  views,
  autograd,
  attention,
  jit,
  conv,
  half,
  gpu,
  train: trainSuite,
  memory,
  compare,
  programs,
  explain: explainSuite,
  monitor: monitorSuite,
};

async function main() {
  const opts = parse(process.argv.slice(2));
  const all = tk.getNumThreads();
  const threads = opts.threads ? [opts.threads] : [...new Set([1, all])];
  console.log(
    `tensorkit bench — ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, node ${process.version}, threads ${threads.join('/')}${opts.quick ? ', quick' : ''}\n`,
  );
  const rows: Row[] = [];
  for (const [name, suite] of Object.entries(SUITES)) {
    if (opts.filter && !opts.filter.test(name)) continue;
    for await (const r of suite(opts, threads)) {
      r.spread ??= spreadOf(r.nativeUs);
      rows.push(r);
      console.log(table([r]).split('\n')[2]);
    }
    tk.setNumThreads(all);
  }
  console.log('\nSummary (medians)\n' + table(rows));
  if (opts.json)
    writeFileSync(
      opts.json,
      resultsJson({ machine: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, rows }),
    );
  if (opts.markdown) writeFileSync(opts.markdown, markdown(rows) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
