#!/usr/bin/env node
// npm install hook: use a prebuilt addon from prebuilds/ when one loads on this machine, else
// build from source with cmake-js. Nothing is downloaded either way.
// TENSORKIT_BUILD_FROM_SOURCE=1 forces a source build.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const prebuildDir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);

function prebuildLoads() {
  if (!fs.existsSync(prebuildDir)) return false;
  // Test-load in a child so a broken binary cannot take this process down.
  const probe = `require('node-gyp-build')(${JSON.stringify(root)})`;
  const r = spawnSync(process.execPath, ['-e', probe], {
    stdio: 'ignore',
    env: { ...process.env, PREBUILDS_ONLY: '1' },
  });
  return r.status === 0;
}

if (!process.env.TENSORKIT_BUILD_FROM_SOURCE && prebuildLoads()) {
  console.log(`tensorkit: using the prebuilt addon in ${path.relative(root, prebuildDir)}`);
  process.exit(0);
}

console.log('tensorkit: building the native addon from source (cmake-js)...');
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const args = [cmakeJs, 'rebuild'];
if (spawnSync('ninja', ['--version'], { stdio: 'ignore' }).status === 0) args.push('-G', 'Ninja');
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.error(
    'tensorkit: the native build failed. It needs cmake >= 3.20 and a C++20 compiler (g++ >= 11 ' +
      'or clang >= 14). Set TK_CUDA=OFF in CMAKE args to skip CUDA if nvcc is broken.',
  );
  process.exit(r.status ?? 1);
}
