#!/usr/bin/env node
// npm install hook. An installed package uses its prebuilt addon (prebuilds/) when it loads on this
// machine, so installing compiles and downloads nothing. Otherwise, or when asked, it builds from
// source with cmake-js (cmake >= 3.20 and a C++20 compiler; the CUDA backend too where nvcc is found).
//   npm install tensorkit --build-from-source     (or TENSORKIT_BUILD_FROM_SOURCE=1)
// A git checkout of the project always builds from source, so a prebuild left by `npm pack` never
// stands in for changed sources.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const prebuildDir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const fromSource =
  /^(1|true)$/i.test(process.env.TENSORKIT_BUILD_FROM_SOURCE ?? '') ||
  /^(1|true)$/i.test(process.env.npm_config_build_from_source ?? '') ||
  fs.existsSync(path.join(root, '.git'));

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

if (!fromSource && prebuildLoads()) {
  console.log(`tensorkit: using the prebuilt addon in ${path.relative(root, prebuildDir)}`);
  process.exit(0);
}

let cmakeJs;
try {
  cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  require.resolve('node-addon-api');
  require.resolve('node-api-headers');
} catch {
  console.error(
    `tensorkit: ${fromSource ? 'a source build was asked for' : `no prebuilt addon loads on ${process.platform}-${process.arch}`}, ` +
      'and building from source needs the packages cmake-js, node-addon-api and node-api-headers: ' +
      'npm install --save-dev cmake-js node-addon-api node-api-headers, then npm rebuild tensorkit',
  );
  process.exit(1);
}
console.log('tensorkit: building the native addon from source (cmake-js)...');
const args = [cmakeJs, 'rebuild'];
if (spawnSync('ninja', ['--version'], { stdio: 'ignore' }).status === 0) args.push('-G', 'Ninja');
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.error(
    'tensorkit: the native build failed. It needs cmake >= 3.20 and a C++20 compiler (g++ >= 11 ' +
      'or clang >= 14). To skip the CUDA backend where nvcc is broken: npx cmake-js rebuild --CDTK_CUDA=OFF',
  );
  process.exit(r.status ?? 1);
}
