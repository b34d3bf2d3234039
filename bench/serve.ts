// npm run bench:serve [-- --quick --rounds N --json out.json]
// npm run bench:serve -- --soak 120     (the MLP under load for 120 s: memory every 10 s, nothing else)
// The model server under load: autocannon (in this process) against a server in another process,
// on the same machine, so the generator's CPU is included. Scenarios, each on a fresh server:
//   - MLP 784-128-10, 64 connections: tensorkit's server (JSON, and the binary tensor extension),
//     then the peer (a minimal fastify route calling onnxruntime-node per request) on the same
//     ONNX-exported model and the same JSON body;
//   - the shapes CNN: batching on, batching off, and the onnxruntime peer;
//   - a model whose forward pass takes ~100 ms, saturated, while /v2/health/live is polled:
//     health p99 and the server's event-loop delay p99 (prom-client's, read from /metrics).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

import autocannon from 'autocannon';

import { ShapesNet } from '../examples/cnn-shapes.js';
import { getCpuCapability, jit, manualSeed, nn, onnx, randn, type Tensor } from '../src/index.js';
import { addModel, slowGraph } from '../test/helpers/serve.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
const duration = quick ? 3 : 10;
const soak = args.includes('--soak') ? Number(args[args.indexOf('--soak') + 1]) : 0;
const rounds = args.includes('--rounds') ? Number(args[args.indexOf('--rounds') + 1]) : quick ? 1 : 3;
const here = new URL('.', import.meta.url).pathname;

interface Row {
  scenario: string;
  connections: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** The server process's CPU time (all threads, user + system) per answered request. */
  serverCpuUs?: number;
  extra?: string;
}
const rows: Row[] = [];

async function start(...argv: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'serve-target.ts'), ...argv], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`serve-target ${argv.join(' ')} exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

async function stop(child: ChildProcess): Promise<void> {
  const done = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await done;
}

/** A request body: JSON text, or the binary tensor extension's bytes with its header length. */
type Body = string | { bytes: Buffer; headerLength: number };

function load(url: string, connections: number, body?: Body, seconds = duration): Promise<autocannon.Result> {
  const post =
    typeof body === 'string'
      ? { method: 'POST' as const, body, headers: { 'content-type': 'application/json' } }
      : body
        ? {
            method: 'POST' as const,
            body: body.bytes,
            headers: {
              'content-type': 'application/octet-stream',
              'inference-header-content-length': String(body.headerLength),
            },
          }
        : {};
  return autocannon({ url, connections, duration: seconds, ...post });
}

/** CPU seconds (user + system, all threads) the process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

function record(scenario: string, connections: number, r: autocannon.Result, extra?: string, cpu?: number): Row {
  const answered = r['2xx'] + r.non2xx;
  const row: Row = {
    serverCpuUs: cpu === undefined ? undefined : (cpu / answered) * 1e6,
    scenario,
    connections,
    reqPerSec: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    extra,
  };
  rows.push(row);
  console.log(
    `${scenario.padEnd(34)} ${String(connections).padStart(4)} conns  ${row.reqPerSec.toFixed(0).padStart(7)} req/s  ` +
      `p50 ${row.p50.toFixed(1).padStart(6)} ms  p99 ${row.p99.toFixed(1).padStart(6)} ms  non-2xx ${row.non2xx}  errors ${row.errors}` +
      (row.serverCpuUs !== undefined ? `  server CPU ${row.serverCpuUs.toFixed(0)} µs/req` : '') +
      (extra ? `  ${extra}` : ''),
  );
  return row;
}

/** Measures one server: a 1 s warm-up, then the run, with the server's CPU time. */
async function measure(scenario: string, pid: number, url: string, body: Body, connections = 64): Promise<Row> {
  await load(url, connections, body, 1);
  const c0 = cpuSeconds(pid);
  const r = await load(url, connections, body);
  return record(scenario, connections, r, undefined, cpuSeconds(pid) - c0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const values = (shape: number[]) => Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i));
const v2Body = (name: string, shape: number[]) =>
  JSON.stringify({ inputs: [{ name, datatype: 'FP32', shape, data: values(shape) }] });
/** The same request in the binary tensor extension: a JSON header, then the float32 bytes. */
function v2Binary(name: string, shape: number[]): Body {
  const data = Buffer.from(Float32Array.from(values(shape)).buffer);
  const head = Buffer.from(
    JSON.stringify({ inputs: [{ name, datatype: 'FP32', shape, parameters: { binary_data_size: data.length } }] }),
  );
  return { bytes: Buffer.concat([head, data]), headerLength: head.length };
}

async function main() {
  const dir = mkdtempSync(join(os.tmpdir(), 'tk-bench-serve-'));
  const cpuName = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`bench:serve on ${cpuName}, ${os.cpus().length} cores, ${getCpuCapability()}, ${duration} s per run\n`);
  try {
    manualSeed(0);
    const batch = { input0: { 0: 'batch' } };
    const mlp = jit.trace(
      new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10)),
      [randn([2, 784])],
      {
        dynamicAxes: batch,
      },
    );
    const shapes = jit.trace(new ShapesNet(), [randn([2, 1, 16, 16])], { dynamicAxes: batch });
    const repo = (name: string) => join(dir, name);
    addModel(repo('mlp'), 'mlp', mlp);
    addModel(repo('shapes'), 'shapes', shapes);
    addModel(repo('shapes-off'), 'shapes', shapes, { dynamicBatching: false });
    onnx.export(mlp, null, join(dir, 'mlp.onnx'));
    onnx.export(shapes, null, join(dir, 'shapes.onnx'));

    // a slow model: chained n×n products, sized to take ~100 ms per forward pass here
    let steps = 8;
    const probe = slowGraph(512, steps);
    const x = randn([1, 1]);
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) (probe.run([x]) as Tensor).dispose();
    steps = Math.max(1, Math.round((steps * 100) / ((performance.now() - t0) / 3)));
    probe.dispose();
    mkdirSync(repo('slow'));
    addModel(repo('slow'), 'slow', slowGraph(512, steps), { maxBatchSize: 1 });

    const mlpBody = v2Body('input0', [1, 784]);
    if (soak > 0) {
      // A soak: live tensors and native bytes must stay flat, RSS must settle
      const { url, child } = await start('tensorkit', repo('mlp'));
      const gauge = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1]);
      try {
        console.log('seconds  req/s  p99 ms  live tensors  native MiB  RSS MiB');
        for (let t = 10; t <= soak; t += 10) {
          const r = await load(`${url}/v2/models/mlp/infer`, 64, mlpBody, 10);
          const m = await (await fetch(`${url}/metrics`)).text();
          console.log(
            `${String(t).padStart(7)} ${r.requests.average.toFixed(0).padStart(6)} ${String(r.latency.p99).padStart(7)} ` +
              `${String(gauge(m, 'tk_live_tensors')).padStart(13)} ${(gauge(m, 'tk_native_memory_bytes') / 2 ** 20).toFixed(2).padStart(11)} ` +
              `${(gauge(m, 'process_resident_memory_bytes') / 2 ** 20).toFixed(1).padStart(8)}` +
              (r.non2xx + r.errors ? `  non-2xx ${r.non2xx} errors ${r.errors}` : ''),
          );
        }
      } finally {
        await stop(child);
      }
      return;
    }
    const shapesBody = v2Body('input0', [1, 1, 16, 16]);
    const scenarios: [string, string[], string, Body][] = [
      ['MLP 784-128-10, tensorkit', ['tensorkit', repo('mlp')], '/v2/models/mlp/infer', mlpBody],
      [
        'MLP 784-128-10, tensorkit binary',
        ['tensorkit', repo('mlp')],
        '/v2/models/mlp/infer',
        v2Binary('input0', [1, 784]),
      ],
      ['MLP 784-128-10, fastify+onnxruntime', ['ort', join(dir, 'mlp.onnx')], '/v2/models/mlp/infer', mlpBody],
      ['shapes CNN, tensorkit batching on', ['tensorkit', repo('shapes')], '/v2/models/shapes/infer', shapesBody],
      ['shapes CNN, tensorkit batching off', ['tensorkit', repo('shapes-off')], '/v2/models/shapes/infer', shapesBody],
      ['shapes CNN, fastify+onnxruntime', ['ort', join(dir, 'shapes.onnx')], '/v2/models/shapes/infer', shapesBody],
    ];
    // rounds interleave the scenarios, so drift in the machine's load hits each alike; medians reported
    const runs: Record<string, Row[]> = {};
    for (let round = 1; round <= rounds; round++) {
      if (rounds > 1) console.log(`round ${round} of ${rounds}`);
      for (const [name, argv, path, body] of scenarios) {
        const { url, child } = await start(...argv);
        try {
          (runs[name] ??= []).push(await measure(name, child.pid!, url + path, body));
        } finally {
          await stop(child);
        }
      }
    }
    const by: Record<string, Row> = {};
    for (const [name, rs] of Object.entries(runs))
      by[name] = {
        ...rs[0],
        reqPerSec: median(rs.map((r) => r.reqPerSec)),
        p50: median(rs.map((r) => r.p50)),
        p99: median(rs.map((r) => r.p99)),
        non2xx: rs.reduce((a, r) => a + r.non2xx, 0),
        errors: rs.reduce((a, r) => a + r.errors, 0),
        serverCpuUs: median(rs.map((r) => r.serverCpuUs!)),
      };
    const perRound = (a: string, b: string) => median(runs[a].map((r, i) => r.reqPerSec / runs[b][i].reqPerSec));

    // saturate the slow model (4 connections queue behind one 100 ms run), poll health meanwhile
    const { url, child } = await start('tensorkit', repo('slow'));
    try {
      await fetch(`${url}/metrics`); // prom-client resets its event-loop histogram at each scrape
      const body = v2Body('input0', [1, 1]);
      const [busy, health] = await Promise.all([
        load(`${url}/v2/models/slow/infer`, 4, body),
        load(`${url}/v2/health/live`, 4),
      ]);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      // prom-client samples the loop every 1 ms (the server's setting): its p99 less that interval is the delay
      const lag = Number(/^nodejs_eventloop_lag_p99_seconds (\S+)/m.exec(metrics)?.[1] ?? NaN) * 1000 - 1;
      const infer = Number(/tk_inference_duration_seconds_sum\{model="slow"\} (\S+)/.exec(metrics)?.[1]);
      const runs = Number(/tk_inference_duration_seconds_count\{model="slow"\} (\S+)/.exec(metrics)?.[1]);
      record(
        `slow model (${steps} products of 512²), saturated`,
        4,
        busy,
        `forward ${((infer / runs) * 1000).toFixed(0)} ms`,
      );
      by.health = record('/v2/health/live meanwhile', 4, health, `server event-loop delay p99 ${lag.toFixed(1)} ms`);
      by.health.extra = `${lag}`;
    } finally {
      await stop(child);
    }

    const ratio = perRound;
    console.log(`\nMedians over ${rounds} round(s):`);
    for (const r of Object.values(by))
      if (r.serverCpuUs !== undefined)
        console.log(
          `  ${r.scenario.padEnd(34)} ${r.reqPerSec.toFixed(0).padStart(7)} req/s  p99 ${r.p99.toFixed(1).padStart(6)} ms  server CPU ${r.serverCpuUs.toFixed(0)} µs/req  non-2xx ${r.non2xx}`,
        );
    console.log('\nTargets:');
    const m = by['MLP 784-128-10, tensorkit'];
    console.log(`  MLP: ${m.reqPerSec.toFixed(0)} req/s (>= 3000), p99 ${m.p99} ms (<= 20), non-2xx ${m.non2xx} (0)`);
    console.log(
      `  shapes CNN batching on / off: ${ratio('shapes CNN, tensorkit batching on', 'shapes CNN, tensorkit batching off').toFixed(2)}x (>= 2)`,
    );
    console.log(
      `  health p99 ${by.health.p99} ms (<= 10), event-loop delay p99 ${Number(by.health.extra).toFixed(1)} ms (<= 10)`,
    );
    console.log(
      `  tensorkit / fastify+onnxruntime: MLP ${ratio('MLP 784-128-10, tensorkit', 'MLP 784-128-10, fastify+onnxruntime').toFixed(2)}x, shapes CNN ${ratio('shapes CNN, tensorkit batching on', 'shapes CNN, fastify+onnxruntime').toFixed(2)}x (>= 1.5)`,
    );
    const cpu = (a: string, b: string) => by[b].serverCpuUs! / by[a].serverCpuUs!;
    console.log(
      `  server CPU per request, fastify+onnxruntime / tensorkit: MLP ${cpu('MLP 784-128-10, tensorkit', 'MLP 784-128-10, fastify+onnxruntime').toFixed(2)}x, shapes CNN ${cpu('shapes CNN, tensorkit batching on', 'shapes CNN, fastify+onnxruntime').toFixed(2)}x`,
    );
    if (jsonOut)
      writeFileSync(
        jsonOut,
        JSON.stringify({ cpu: cpuName, cores: os.cpus().length, duration, rounds, rows }, null, 2),
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
