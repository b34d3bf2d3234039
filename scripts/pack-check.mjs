#!/usr/bin/env node
// The package as a user gets it: packs the tarball (prepack builds dist/ and the prebuilt addon),
// installs it into a new project with no compiler on PATH (cmake, g++, cc, nvcc are checked to be
// absent) and with npm offline (so nothing is downloaded; the runtime dependencies, pinned to the
// lockfile's versions, come from npm's cache), then checks that nothing was compiled, that ESM import and
// CommonJS require both run an op, that `tensorkit serve` answers an inference request, and that a
// consumer's TypeScript compiles under --strict without skipLibCheck, including a Float32Array
// taken from tensor([1, 2]).data() with no cast.
//   npm run pack:check        (.ci/run runs it)
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'tensorkit-pack-'));
const keep = process.argv.includes('--keep');
let ok = true;
const step = (name, pass, detail = '') => {
  console.log(`${pass ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
  if (!pass) ok = false;
};
const npmCli = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');

try {
  // 1. Pack: prepack (build:ts and build:prebuild) first, with its output shown, then the tarball
  // (--ignore-scripts only keeps the scripts' output out of the JSON report).
  execFileSync(process.execPath, [npmCli, 'run', 'prepack'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  const packed = JSON.parse(
    execFileSync(process.execPath, [npmCli, 'pack', '--json', '--ignore-scripts', '--pack-destination', work], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  )[0];
  const tarball = join(work, packed.filename);
  const files = packed.files.map((f) => f.path);
  const prebuild = files.find((f) => /^prebuilds\/linux-x64\/[^/]+\.node$/.test(f));
  step('the tarball holds a linux-x64 prebuild', Boolean(prebuild), prebuild);
  step('the tarball holds the type declarations', files.includes('dist/index.d.ts'));
  step(
    'no tests, build output or sources of tooling in the tarball',
    !files.some((f) => /^(test|build|bench|native\/test)\//.test(f)),
  );
  // A build from the tarball's sources (TENSORKIT_BUILD_FROM_SOURCE, or where the prebuild does not
  // load) compiles what CMakeLists.txt names: every source it names by path must be packed (but
  // native/test/, whose targets only a TK_TESTS build makes).
  const named = [
    ...readFileSync(join(root, 'CMakeLists.txt'), 'utf8').matchAll(/(?:native|bindings)\/[\w/.-]+\.(?:cpp|cu|c)\b/g),
  ]
    .map((m) => m[0])
    .filter((f) => !f.startsWith('native/test/'));
  const unpacked = named.filter((f) => !files.includes(f));
  step(
    'every source CMakeLists.txt names is in the tarball',
    unpacked.length === 0,
    unpacked.join(', ') || `${named.length} named`,
  );
  console.log(
    `     tarball ${packed.filename}: ${(statSync(tarball).size / 2 ** 20).toFixed(2)} MiB packed, ${(packed.unpackedSize / 2 ** 20).toFixed(2)} MiB unpacked, ${files.length} files`,
  );

  // 2. A PATH with node and npm but no compilers.
  const bin = join(work, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  writeFileSync(join(bin, 'npm'), `#!/bin/sh\nexec "${process.execPath}" "${npmCli}" "$@"\n`, { mode: 0o755 });
  for (const tool of ['sh', 'env'])
    symlinkSync(execFileSync('/bin/sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
  const env = { ...process.env, PATH: bin, npm_config_build_from_source: '', TENSORKIT_BUILD_FROM_SOURCE: '' };
  delete env.npm_config_build_from_source;
  delete env.TENSORKIT_BUILD_FROM_SOURCE;
  const absent = ['cmake', 'g++', 'gcc', 'cc', 'c++', 'nvcc', 'make', 'ninja'].filter(
    (t) => spawnSync('/bin/sh', ['-c', `command -v ${t}`], { env }).status !== 0,
  );
  step(
    'cmake, g++, gcc, cc, c++, nvcc, make and ninja are not on PATH',
    absent.length === 8,
    `absent: ${absent.join(' ')}`,
  );

  // 3. Install into a new project, offline: the runtime dependencies and theirs (the lockfile's
  // non-dev packages) are put in npm's cache first, so the install itself can fetch nothing (npm
  // fails rather than go to the network).
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const runtimeEntries = Object.entries(lock.packages).filter(
    ([path, p]) => path.startsWith('node_modules/') && !p.dev && !p.devOptional,
  );
  const runtime = runtimeEntries.map(([path, p]) => [
    path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length),
    p.version,
  ]);
  // The consumer resolves those packages at the lockfile's versions (npm overrides; a nested
  // entry, node_modules/a/node_modules/b, as { a: { '.': va, b: vb } }), not at the registry's
  // newest: `npm cache add` refreshes the cached package documents, and a release newer than the
  // lockfile's is in them but its tarball is not in the cache.
  const overrides = {};
  for (const [path, p] of runtimeEntries) {
    const chain = path
      .split('node_modules/')
      .map((s) => s.replace(/\/$/, ''))
      .filter(Boolean);
    let at = overrides;
    for (const parent of chain.slice(0, -1)) {
      if (typeof at[parent] !== 'object') at[parent] = { '.': at[parent] };
      at = at[parent];
    }
    const leaf = chain[chain.length - 1];
    if (typeof at[leaf] === 'object') at[leaf]['.'] = p.version;
    else at[leaf] = p.version;
  }
  execFileSync(process.execPath, [npmCli, 'cache', 'add', ...runtime.map(([n, v]) => `${n}@${v}`)], {
    stdio: 'ignore',
  });
  const devNames = Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies);
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module', overrides }, null, 2),
  );
  const t0 = performance.now();
  const inst = spawnSync(join(bin, 'npm'), ['install', '--offline', '--no-audit', '--no-fund', tarball], {
    cwd: app,
    env,
    encoding: 'utf8',
  });
  const seconds = (performance.now() - t0) / 1000;
  step(
    'npm install --offline of the tarball succeeds',
    inst.status === 0,
    inst.status === 0 ? '' : inst.stderr.slice(-2000),
  );
  step('install took under 20 s', seconds < 20, `${seconds.toFixed(1)} s`);
  const pkg = join(app, 'node_modules', 'tensorkit');
  step('nothing was compiled (no build/ folder in the installed package)', !existsSync(join(pkg, 'build')));
  const modules = existsSync(join(app, 'node_modules'))
    ? readdirSync(join(app, 'node_modules')).filter((n) => !n.startsWith('.'))
    : [];
  const runtimeNames = new Set(runtime.map(([n]) => n.split('/')[0]));
  const extra = modules.filter((m) => m !== 'tensorkit' && !runtimeNames.has(m));
  const dev = modules.filter((m) => devNames.some((d) => d.split('/')[0] === m));
  step(
    'the installed package brings only its runtime dependencies (node-gyp-build, fastify, prom-client and theirs)',
    extra.length === 0 &&
      dev.length === 0 &&
      ['node-gyp-build', 'fastify', 'prom-client'].every((m) => modules.includes(m)),
    `${modules.length} packages${extra.length ? `; not in the lockfile's runtime set: ${extra.join(' ')}` : ''}${dev.length ? `; dev tools: ${dev.join(' ')}` : ''}`,
  );

  const dts = existsSync(join(pkg, 'dist', 'tensor.d.ts'))
    ? readFileSync(join(pkg, 'dist', 'tensor.d.ts'), 'utf8')
    : '';
  const leaked = ['_h', '_disposed', '_kept', '_setData'].filter((m) => new RegExp(`\\b${m}\\b`).test(dts));
  step(
    'internal members are absent from the published tensor.d.ts',
    dts !== '' && leaked.length === 0,
    leaked.join(' '),
  );

  // 4. ESM and CommonJS consumers run an op, and load the prebuild.
  writeFileSync(
    join(app, 'esm.mjs'),
    `import { tensor } from 'tensorkit';\nimport gyp from 'node-gyp-build';\nconst y = tensor([1, 2]).add(1);\nconsole.log(JSON.stringify({ data: Array.from(y.data()), addon: gyp.resolve(${JSON.stringify(pkg)}) }));\n`,
  );
  writeFileSync(
    join(app, 'cjs.cjs'),
    `const tk = require('tensorkit');\nconsole.log(JSON.stringify(Array.from(tk.tensor([[1, 2], [3, 4]]).sum(0).data())));\n`,
  );
  const esm = spawnSync(join(bin, 'node'), ['esm.mjs'], { cwd: app, env, encoding: 'utf8' });
  const out = esm.status === 0 ? JSON.parse(esm.stdout) : null;
  step(
    'import runs an op',
    out?.data.join() === '2,3',
    esm.status === 0 ? JSON.stringify(out.data) : esm.stderr.slice(-1500),
  );
  step(
    'the addon loaded is the prebuild',
    Boolean(out?.addon.includes(`${'/'}prebuilds${'/'}`)),
    out?.addon.slice(pkg.length),
  );
  const cjs = spawnSync(join(bin, 'node'), ['cjs.cjs'], { cwd: app, env, encoding: 'utf8' });
  step(
    'require runs an op',
    cjs.stdout.trim() === '[4,6]',
    cjs.status === 0 ? cjs.stdout.trim() : cjs.stderr.slice(-1500),
  );

  // The distributed namespace loads its own addon from the prebuild where Open MPI is installed,
  // and where it is not, says what to install (the package itself loads either way).
  const mpiInTarball = files.includes('prebuilds/linux-x64/distributed/tensorkit_mpi.node');
  const orted = spawnSync('/bin/sh', ['-c', 'command -v orted'], { encoding: 'utf8' });
  const hasMpi = orted.status === 0;
  // A 1-rank group starts Open MPI's daemon, which needs Open MPI's own folder on PATH.
  const mpiEnv = hasMpi ? { ...env, PATH: `${bin}:${dirname(orted.stdout.trim())}` } : env;
  writeFileSync(
    join(app, 'dist.mjs'),
    "import { distributed } from 'tensorkit';\ntry { distributed.initProcessGroup(); distributed.barrier(); console.log(JSON.stringify({ ok: true, size: distributed.getWorldSize() })); } catch (e) { console.log(JSON.stringify({ ok: false, code: e.code, message: e.message })); }\n",
  );
  const dist = spawnSync(join(bin, 'node'), ['dist.mjs'], { cwd: app, env: mpiEnv, encoding: 'utf8' });
  const d = dist.status === 0 ? JSON.parse(dist.stdout.trim().split('\n').pop()) : null;
  if (mpiInTarball && hasMpi)
    step(
      'distributed runs a 1-rank group from the prebuilt MPI addon',
      d?.ok === true && d.size === 1,
      dist.stdout + dist.stderr.slice(-800),
    );
  else
    step(
      'without the MPI addon or Open MPI, distributed names what to install',
      d?.ok === false && d.code === 'DISTRIBUTED_ERROR' && /apt-get install openmpi-bin libopenmpi-dev/.test(d.message),
      dist.stdout + dist.stderr.slice(-800),
    );

  // The `tensorkit` command and serve(): a traced Linear served, queried, closed.
  const help = spawnSync(join(app, 'node_modules', '.bin', 'tensorkit'), ['serve', '--help'], {
    cwd: app,
    env,
    encoding: 'utf8',
  });
  step(
    'node_modules/.bin/tensorkit serve --help',
    help.status === 0 && help.stdout.startsWith('Usage: tensorkit serve'),
    (help.stderr ?? String(help.error)).slice(-500), // no stderr when the command is missing
  );
  writeFileSync(
    join(app, 'serve.mjs'),
    [
      "import { jit, nn, serve, zeros } from 'tensorkit';",
      'const g = jit.trace(new nn.Linear(2, 1), [zeros([3, 2])], { dynamicAxes: { input0: { 0: "batch" } } });',
      'const s = await serve({ models: { lin: g }, port: 0, management: false });',
      'const r = await fetch(`${s.url}/v2/models/lin/infer`, { method: "POST", body: JSON.stringify({ inputs: [{ name: "input0", datatype: "FP32", shape: [1, 2], data: [1, 2] }] }) });',
      'const body = await r.json();',
      'await s.close();',
      'console.log(JSON.stringify({ status: r.status, shape: body.outputs[0].shape }));',
      '',
    ].join('\n'),
  );
  const served = spawnSync(join(bin, 'node'), ['serve.mjs'], { cwd: app, env, encoding: 'utf8' });
  step(
    'serve() answers an inference request',
    served.status === 0 && served.stdout.trim() === '{"status":200,"shape":[1,1]}',
    served.status === 0 ? served.stdout.trim() : served.stderr.slice(-1500),
  );

  // 5. A consumer's TypeScript, strict, with the package's own .d.ts checked (no skipLibCheck).
  writeFileSync(
    join(app, 'main.ts'),
    [
      "import { tensor, zeros, nn, type Tensor } from 'tensorkit';",
      'const v: Float32Array = tensor([1, 2]).data();',
      "const i: BigInt64Array = tensor([1, 2], { dtype: 'int64' }).data();",
      'const lin = new nn.Linear(2, 3);',
      'const y: Tensor = lin.call(zeros([4, 2]));',
      '// @ts-expect-error an int64 tensor does not give a Float32Array',
      'const wrong: Float32Array = tensor([1n]).data();',
      'export { v, i, y, wrong };',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(app, 'require.cts'),
    "import tk = require('tensorkit');\nexport const f: Float32Array = tk.tensor([1]).data();\n",
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'ES2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        lib: ['ES2023', 'ESNext.Disposable'],
        types: ['node'],
        typeRoots: [join(root, 'node_modules', '@types')],
        skipLibCheck: false,
      },
      files: ['main.ts', 'require.cts'],
    }),
  );
  const tsc = spawnSync(
    join(bin, 'node'),
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
    { cwd: app, env, encoding: 'utf8' },
  );
  step(
    'consumer TypeScript (import and require) compiles under --strict',
    tsc.status === 0,
    tsc.status === 0 ? '' : tsc.stdout.slice(-3000),
  );
} finally {
  // The prebuild is for the tarball only: a checkout builds from source.
  rmSync(join(root, 'prebuilds'), { recursive: true, force: true });
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
console.log(ok ? 'pack:check passed' : 'pack:check FAILED');
process.exit(ok ? 0 : 1);
