#!/usr/bin/env node
// Formats the tree, or with --check reports files that are not formatted (exit 1): Prettier for
// TypeScript and JavaScript (.prettierrc.json), clang-format for C++ and CUDA (.clang-format),
// both at 120 columns. Files are the ones git tracks, so build output is never touched.
//   npm run format          # rewrite in place
//   npm run format:check    # CI
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');
const require = createRequire(import.meta.url);

const tracked = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
  cwd: root,
  encoding: 'utf8',
});
if (tracked.status !== 0) {
  console.error('format: git ls-files failed (run it in a git checkout)');
  process.exit(2);
}
const files = tracked.stdout.split('\0').filter(Boolean);
const cxx = files.filter((f) => /^(native|bindings)\/.*\.(h|hpp|cpp|cc|cu|cuh)$/.test(f));

let failed = false;
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed = true;
};

run(process.execPath, [
  require.resolve('prettier/bin/prettier.cjs'),
  check ? '--check' : '--write',
  '--log-level',
  'warn',
  '.',
]);
const clangFormat = require.resolve('clang-format/index.js');
// In batches, to stay under the argument-length limit.
for (let i = 0; i < cxx.length; i += 50) {
  const batch = cxx.slice(i, i + 50);
  run(process.execPath, [clangFormat, ...(check ? ['--dry-run', '--Werror'] : ['-i']), ...batch]);
}
if (failed) {
  console.error(check ? 'format: files above are not formatted (run npm run format)' : 'format: failed');
  process.exit(1);
}
if (check) console.log(`format: ${files.length} files checked, all formatted`);
