#!/usr/bin/env node
// Writes the prebuilt addon that `npm pack` ships: prebuilds/<platform>-<arch>/tensorkit.napi.glibc.node.
// It is the Release build (built portably: baseline x86-64, with the AVX2 and AVX-512 kernels chosen
// at run time, never -march=native), stripped. The CUDA backend is in it when nvcc was found at
// build time; CUDA's runtime is linked statically, so it loads where no CUDA library exists.
// Refuses a build that is not portable or needs more than the glibc the README states.
//   npm run build:prebuild      (npm pack runs it through prepack)
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The oldest glibc the prebuilt addon runs on (stated in the README). */
export const MAX_GLIBC = '2.34';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const fail = (msg) => {
  console.error(`build:prebuild: ${msg}`);
  process.exit(1);
};
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: root, encoding: 'utf8', ...opts });

// 1. An incremental Release build (a no-op when build/ is current).
const args = [require.resolve('cmake-js/bin/cmake-js'), 'build'];
if (!existsSync(join(root, 'build', 'CMakeCache.txt')) && run('ninja', ['--version']).status === 0)
  args.push('-G', 'Ninja');
if (run(process.execPath, args, { stdio: 'inherit' }).status !== 0) fail('the native build failed');

// 2. Portable: Release, no sanitizers, no host-specific tuning.
const cache = readFileSync(join(root, 'build', 'CMakeCache.txt'), 'utf8');
const entry = (k) => cache.match(new RegExp(`^${k}:[A-Z]+=(.*)$`, 'm'))?.[1] ?? '';
if (entry('CMAKE_BUILD_TYPE') !== 'Release')
  fail(`build/ is a ${entry('CMAKE_BUILD_TYPE')} build; rebuild it as Release`);
if (/^(ON|TRUE|1)$/i.test(entry('TK_SANITIZE'))) fail('build/ has sanitizers on (TK_SANITIZE)');
for (const k of ['CMAKE_CXX_FLAGS', 'CMAKE_CXX_FLAGS_RELEASE', 'CMAKE_CUDA_FLAGS'])
  if (/-march=native|-mtune=native|-mavx/.test(entry(k))) fail(`${k} has host-specific flags: ${entry(k)}`);

// 3. Copy and strip.
const built = join(root, 'build', 'Release', 'tensorkit.node');
const dir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const out = join(dir, 'tensorkit.napi.glibc.node');
rmSync(join(root, 'prebuilds'), { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
copyFileSync(built, out);
if (run('strip', ['--strip-unneeded', out]).status !== 0)
  console.warn('build:prebuild: strip not found; the addon is not stripped');

// 4. What it needs from the system: shared libraries (no CUDA ones) and the newest glibc symbol.
const needed = [...run('readelf', ['-d', out]).stdout.matchAll(/\(NEEDED\).*\[(.+)\]/g)].map((m) => m[1]);
if (needed.length === 0) fail('readelf found no dependencies (is binutils installed?)');
const cudaLibs = needed.filter((l) => /cuda|cublas|nvrtc/.test(l));
if (cudaLibs.length) fail(`the addon links ${cudaLibs.join(', ')} dynamically; it would not load without CUDA`);
const versions = [...run('objdump', ['-T', out]).stdout.matchAll(/GLIBC_(\d+)\.(\d+)/g)].map((m) => [+m[1], +m[2]]);
const [maj, min] = versions.reduce((a, b) => (b[0] > a[0] || (b[0] === a[0] && b[1] > a[1]) ? b : a), [0, 0]);
const [limMaj, limMin] = MAX_GLIBC.split('.').map(Number);
if (maj > limMaj || (maj === limMaj && min > limMin))
  fail(`the addon needs glibc ${maj}.${min}, newer than ${MAX_GLIBC}`);

// 4b. The MPI addon of the distributed namespace, when this build has one (Open MPI's headers were
// found): prebuilds/<platform>-<arch>/distributed/tensorkit_mpi.node. It needs the system's
// libmpi.so.40 (Open MPI 4) at run time, and is loaded only by `distributed`; where libmpi is
// missing, that namespace says so and names the package that installs it.
const mpiBuilt = join(root, 'build', 'Release', 'distributed', 'tensorkit_mpi.node');
let mpiNote = 'no MPI addon (Open MPI was not found at build time)';
if (existsSync(mpiBuilt)) {
  const mpiOut = join(dir, 'distributed', 'tensorkit_mpi.node');
  mkdirSync(join(dir, 'distributed'), { recursive: true });
  copyFileSync(mpiBuilt, mpiOut);
  run('strip', ['--strip-unneeded', mpiOut]);
  const mpiNeeded = [...run('readelf', ['-d', mpiOut]).stdout.matchAll(/\(NEEDED\).*\[(.+)\]/g)].map((m) => m[1]);
  const odd = mpiNeeded.filter(
    (l) => !/^(libmpi\.so\.40|libc\.so\.6|libgcc_s\.so\.1|libm\.so\.6|ld-linux-x86-64\.so\.2)$/.test(l),
  );
  if (odd.length) fail(`the MPI addon needs ${odd.join(', ')} beyond libmpi and libc`);
  mpiNote = `MPI addon ${mpiOut.slice(root.length)} (needs ${mpiNeeded.join(' ')})`;
}

// 5. It loads (in a child: a broken binary must not take this script down) and says what it has.
const probe = run(process.execPath, [
  '-e',
  `const b = require(${JSON.stringify(out)}); console.log(JSON.stringify({ cuda: b.cudaInfo?.().compiled, ops: b.opNames?.length }))`,
]);
if (probe.status !== 0) fail(`the prebuilt addon does not load:\n${probe.stderr}`);
const info = JSON.parse(probe.stdout.trim().split('\n').pop());
console.log(
  `build:prebuild: ${out.slice(root.length)} (${(statSync(out).size / 2 ** 20).toFixed(1)} MiB, needs ${needed.join(' ')}, glibc >= ${maj}.${min}, CUDA backend ${info.cuda ? 'included' : 'not built'}); ${mpiNote}`,
);
