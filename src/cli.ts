#!/usr/bin/env node
// The `tensorkit` command. `tensorkit serve` serves a model repository until SIGTERM or SIGINT,
// then answers every accepted request and exits 0. Startup lines go to stderr, so stdout carries
// only the access log's JSON lines.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { binding } from './binding.js';
import { launch, type LaunchOptions } from './distributed/launch.js';
import { serve, type ModelServer, type ServeOptions } from './serve/index.js';

const RUN_HELP = `Usage: tensorkit run -n N [options] script.ts|script.js [script args]

Starts N ranks of a script under Open MPI's mpirun, each joining the group with
distributed.initProcessGroup(). Ranks that fit this machine's CPUs are each bound to their share
of them (and default to that many core threads); more ranks than CPUs, or a hostfile: unbound,
oversubscription allowed; placement options of your own (--mpirun-arg=--bind-to
--mpirun-arg=none) replace these. Messages within a host are copied through shared memory
(--mca btl_vader_single_copy_mechanism none unless you set it). A watchdog stops every rank and
exits non-zero, naming the rank, when one dies, exits non-zero or stops responding outside a
communication.

Options:
  -n, --nproc N           ranks to start (required)
      --hostfile FILE     an MPI hostfile ("host slots=N" lines) for several machines
      --timeout S         stop the job after S seconds
      --hang-timeout S    seconds without a heartbeat before a rank counts as hung (default 60)
      --mpirun-arg ARG    pass ARG to mpirun (repeatable; --mpirun-arg=-x for one starting with -)
  -h, --help              this text
`;

/** Parses `run`'s arguments (everything after the script belongs to the script). */
export function runOptions(argv: string[]): LaunchOptions {
  const i = argv.findIndex(
    (a, k) =>
      !a.startsWith('-') && !/^(-n|--nproc|--hostfile|--timeout|--hang-timeout|--mpirun-arg)$/.test(argv[k - 1] ?? ''),
  );
  if (i < 0) throw new Error('no script given');
  const { values: a } = parseArgs({
    args: argv.slice(0, i),
    options: {
      nproc: { type: 'string', short: 'n' },
      hostfile: { type: 'string' },
      timeout: { type: 'string' },
      'hang-timeout': { type: 'string' },
      'mpirun-arg': { type: 'string', multiple: true },
    },
  });
  const nproc = int('--nproc', a.nproc);
  if (nproc === undefined || nproc < 1) throw new Error('-n N (the number of ranks, at least 1) is required');
  return {
    nproc,
    script: argv[i],
    args: argv.slice(i + 1),
    hostfile: a.hostfile,
    timeoutS: int('--timeout', a.timeout),
    hangTimeoutS: int('--hang-timeout', a['hang-timeout']),
    mpirunArgs: a['mpirun-arg'],
  };
}

const HELP = `Usage: tensorkit serve [options]
       tensorkit run -n N script [args]   (tensorkit run --help)

Serves jit graphs (.tkg) and ONNX files over HTTP: KServe v2 (/v2/models/{m}/infer), TorchServe
(/ping, /predictions/{m}) and Prometheus (/metrics), with a management API on its own port.

Options:
  -m, --model-repository DIR  a folder of models: DIR/<model>/<version>/model.tkg|model.onnx,
                              with an optional DIR/<model>/config.json (maxBatchSize,
                              maxQueueDelayMs, instanceCount, timeoutMs, handler, ...)
      --model NAME=FILE       serve one graph file as NAME (repeatable; with or without -m)
      --host HOST             inference API address (default 127.0.0.1; 0.0.0.0 for all)
  -p, --port N                inference API port (default 8080)
      --management-host HOST  management API address (default 127.0.0.1)
      --management-port N     management API port (default 8081)
      --management-token T    bearer token for the management API; required when its host is
                              not loopback (default: $TENSORKIT_MANAGEMENT_TOKEN)
      --no-management         no management API
      --body-limit BYTES      largest request body, larger gets 413 (default 67108864)
      --timeout-ms N          time before a request gets 504, where a model's config does not
                              say (default 30000)
      --threads N             core threads per model run (default: the number of cores)
      --access-log TARGET     JSON lines per request: - (stdout, the default), stderr, a file
                              path, or none
  -h, --help                  this text

Endpoints: GET /v2/health/live, /v2/health/ready, /v2/models/{m}[/versions/{v}][/ready],
POST /v2/models/{m}[/versions/{v}]/infer, GET /ping, POST|PUT /predictions/{m}[/{v}], GET /metrics;
management: GET /models, GET /models/{m}, POST /models/{m}/load, POST /models/{m}/unload,
PUT /models/{m} (live settings). SIGTERM or SIGINT drains in-flight requests, then exits.
`;

function int(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new Error(`${flag} must be a whole number, got '${v}'`);
  return Number(v);
}

/** Parses `serve`'s arguments into serve() options (and a thread count). */
export function serveOptions(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): { options: ServeOptions; threads?: number } {
  const { values: a, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'model-repository': { type: 'string', short: 'm' },
      model: { type: 'string', multiple: true },
      host: { type: 'string' },
      port: { type: 'string', short: 'p' },
      'management-host': { type: 'string' },
      'management-port': { type: 'string' },
      'management-token': { type: 'string' },
      'no-management': { type: 'boolean' },
      'body-limit': { type: 'string' },
      'timeout-ms': { type: 'string' },
      threads: { type: 'string' },
      'access-log': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (positionals.length) throw new Error(`unexpected argument '${positionals[0]}'`);
  const models: Record<string, string> = {};
  for (const m of a.model ?? []) {
    const eq = m.indexOf('=');
    if (eq < 1) throw new Error(`--model takes NAME=FILE, got '${m}'`);
    models[m.slice(0, eq)] = m.slice(eq + 1);
  }
  const log = a['access-log'] ?? '-';
  const token = a['management-token'] ?? env.TENSORKIT_MANAGEMENT_TOKEN;
  return {
    threads: int('--threads', a.threads),
    options: {
      modelRepository: a['model-repository'],
      models: Object.keys(models).length ? models : undefined,
      host: a.host,
      port: int('--port', a.port),
      management: a['no-management']
        ? false
        : {
            host: a['management-host'],
            port: int('--management-port', a['management-port']),
            ...(token ? { token } : {}),
          },
      bodyLimit: int('--body-limit', a['body-limit']),
      timeoutMs: int('--timeout-ms', a['timeout-ms']),
      accessLog: log === 'none' ? false : log === '-' ? 'stdout' : log,
    },
  };
}

function describeServer(s: ModelServer): string {
  const lines = [`tensorkit serve: ${s.models().length} model(s)`];
  for (const m of s.models()) {
    const vs = m.versions
      .map((v) => `${v.version} (${v.platform}, ${(v.loadSeconds * 1000).toFixed(0)} ms)`)
      .join(', ');
    lines.push(`  ${m.name.padEnd(16)} ${m.state}${vs ? `  versions ${vs}` : ''}${m.reason ? `: ${m.reason}` : ''}`);
  }
  lines.push(
    `Inference API:  ${s.url}  (KServe v2: /v2/models/{m}/infer, TorchServe: /predictions/{m}, /v2/health/ready, /ping, /metrics)`,
  );
  if (s.managementUrl) lines.push(`Management API: ${s.managementUrl}  (/models)`);
  return lines.join('\n');
}

/** Runs the command line; resolves to an exit code (serve resolves once it has drained). */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    process.stdout.write(HELP);
    return cmd === undefined ? 1 : 0;
  }
  if (cmd === 'run') {
    if (rest.length === 0 || rest[0] === '-h' || rest[0] === '--help') {
      process.stdout.write(RUN_HELP);
      return rest.length === 0 ? 1 : 0;
    }
    try {
      return await launch(runOptions(rest));
    } catch (e) {
      process.stderr.write(`tensorkit run: ${(e as Error).message}\n(try: tensorkit run --help)\n`);
      return 1;
    }
  }
  if (cmd !== 'serve') {
    process.stderr.write(`tensorkit: unknown command '${cmd}' (try: tensorkit serve --help, tensorkit run --help)\n`);
    return 1;
  }
  let parsed;
  try {
    if (rest.includes('-h') || rest.includes('--help')) {
      process.stdout.write(HELP);
      return 0;
    }
    parsed = serveOptions(rest);
  } catch (e) {
    process.stderr.write(`tensorkit serve: ${(e as Error).message}\n(try: tensorkit serve --help)\n`);
    return 1;
  }
  let server: ModelServer;
  try {
    if (parsed.threads !== undefined && (parsed.threads < 1 || parsed.threads > 1024))
      throw new Error(`--threads must be in 1..1024, got ${parsed.threads}`);
    if (parsed.threads !== undefined) binding.setNumThreads(parsed.threads);
    server = await serve(parsed.options);
  } catch (e) {
    process.stderr.write(`tensorkit serve: ${(e as Error).message}\n`);
    return 1;
  }
  process.stderr.write(`${describeServer(server)}\n`);
  return new Promise<number>((resolve) => {
    let signals = 0;
    const stop = (sig: string) => {
      if (++signals > 1) process.exit(130);
      process.stderr.write(`tensorkit serve: ${sig}: draining in-flight requests\n`);
      server.close().then(
        () => {
          process.stderr.write('tensorkit serve: stopped\n');
          resolve(0);
        },
        (e) => {
          process.stderr.write(`tensorkit serve: ${(e as Error).message}\n`);
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(realpathSync(entry)).href)
  main(process.argv.slice(2)).then((code) => process.exit(code));
