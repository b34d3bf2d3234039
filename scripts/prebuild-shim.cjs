#!/usr/bin/env node
// prebuildify drives node-gyp; this stand-in forwards its "rebuild" to cmake-js so that
// `npm run prebuild` writes prebuilds/<platform>-<arch>/tensorkit.node.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const root = path.join(__dirname, '..');
const cmd = process.argv.slice(2).find((a) => !a.startsWith('-')) ?? 'rebuild';
if (cmd !== 'rebuild' && cmd !== 'build') process.exit(0);
const r = spawnSync(process.execPath, [require.resolve('cmake-js/bin/cmake-js'), 'rebuild'], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
