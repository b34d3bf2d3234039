// Runs a child script at each SIMD level (TENSORKIT_CPU_CAPABILITY lowers the level) and parses
// the JSON it prints last: the per-level tests of the wide kernels (unary-wide, reduce-wide).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import * as tk from '../../src/index.js';

export const LEVELS = ['default', 'avx2', 'avx512'] as const;
/** The level the machine reaches: a higher one requested runs at this one. */
export const detectedLevel = LEVELS.indexOf(tk.getCpuInfo().detected as (typeof LEVELS)[number]);

/** The last line the child (a path relative to test/helpers) printed at `level`, as JSON. */
export function runAtLevel<T>(child: string, level: string): T {
  const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(child, import.meta.url))], {
    env: { ...process.env, TENSORKIT_CPU_CAPABILITY: level },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}
