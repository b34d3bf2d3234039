// The file fuzzer: valid safetensors files, checkpoints, event files, ONNX models and jit graph
// files, mutated (bits, bytes, lengths, and the header's JSON itself), then loaded every way the
// package loads them. A load must either throw a TensorError or return exactly what the file
// holds (checked against the small independent decoder below); a checkpoint must come back with
// no inherited or injected values; a model must come back as a jit.Graph.
//   node --import tsx test/fuzz/file-child.ts <seed> <start> <count> <progressFile>
import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { setImmediate as tick } from 'node:timers/promises';

import * as tk from '../../src/index.js';
import { io, Tensor, train } from '../../src/index.js';
import { encodeEvent, frameRecord } from '../../src/train/events.js';
import { seededRandom } from '../../src/data/dataset.js';
import { callSeed } from './call-child.js';
import { classifyError, type Outcome } from './outcome.js';
import { pick, type Rnd } from './values.js';

// ---- seed files -------------------------------------------------------------------------------------

const ST_SIZE: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
  F8_E4M3: 1,
};

/** A safetensors file written by hand (any dtype, including ones io.save never writes). */
function rawSafetensors(
  entries: [string, string, number[], Uint8Array][],
  metadata?: Record<string, string>,
): Uint8Array {
  const head: Record<string, unknown> = {};
  if (metadata) head.__metadata__ = metadata;
  let off = 0;
  for (const [name, dtype, shape, bytes] of entries) {
    head[name] = { dtype, shape, data_offsets: [off, off + bytes.length] };
    off += bytes.length;
  }
  return withHeader(JSON.stringify(head), Buffer.concat(entries.map((e) => e[3])));
}

function withHeader(json: string, body: Uint8Array, lengthOverride?: bigint): Uint8Array {
  const j = Buffer.from(json, 'utf8');
  const padded = Buffer.alloc(j.length + ((8 - (j.length % 8)) % 8), 0x20);
  j.copy(padded);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthOverride ?? BigInt(padded.length));
  return Buffer.concat([len, padded, body]);
}

function randomBytes(rnd: Rnd, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
}

// Model files, made once per process: an ONNX export (Gemm, Conv, BatchNormalization, MaxPool,
// Flatten, LSTM, a dynamic batch) and a jit graph file of the same model.
let models: { onnx: Uint8Array; graph: Uint8Array } | undefined;
function modelFiles(): { onnx: Uint8Array; graph: Uint8Array } {
  if (models) return models;
  class Small extends tk.nn.Module {
    conv = new tk.nn.Conv2d(1, 2, 3, { padding: 1 });
    bn = new tk.nn.BatchNorm2d(2);
    lstm = new tk.nn.LSTM(8, 4, { batchFirst: true });
    fc = new tk.nn.Linear(4, 3);
    forward(x: Tensor): Tensor {
      const h = tk.nn.functional.maxPool2d(this.bn.call(this.conv.call(x)).relu(), 2); // [N, 2, 2, 4]
      const [o] = this.lstm.call(h.reshape(x.shape[0], 2, 8) as Tensor);
      return this.fc.call(o.select(1, -1));
    }
  }
  const g = tk.jit.trace(new Small(), [tk.randn([2, 1, 4, 8])], { dynamicAxes: { input0: { 0: 'batch' } } });
  const path = `seed-${process.pid}.tkg`;
  g.save(path);
  models = { onnx: Buffer.concat(tk.onnx.toOnnx(g)), graph: new Uint8Array(readFileSync(path)) };
  rmSync(path, { force: true });
  g.dispose();
  return models;
}

function seedFile(rnd: Rnd): { bytes: Uint8Array; kind: string } {
  const k = Math.floor(rnd() * 8);
  if (k === 6) return { bytes: modelFiles().onnx, kind: 'onnx model' };
  if (k === 7) return { bytes: modelFiles().graph, kind: 'jit graph file' };
  if (k === 5) {
    // A TensorBoard event file, as TensorBoardLogger writes it.
    const records = [
      encodeEvent(1, 0, { fileVersion: 'brain.Event:2' }),
      ...[1, 2, 3].map((step) => encodeEvent(1 + step, step, { scalars: { loss: 1 / step, acc: step / 4 } })),
    ];
    return { bytes: Buffer.concat(records.map((r) => frameRecord(r))), kind: 'tensorboard events' };
  }
  if (k === 0) {
    const sd: Record<string, Tensor> = {
      'fc.weight': tk.randn([3, 4]),
      'fc.bias': tk.randn([3]),
      counts: tk.tensor([1, 2, 3], { dtype: 'int64' }),
      mask: tk.tensor([true, false]),
      half: tk.randn([2, 2]).to('float16'),
      b16: tk.randn([2]).to('bfloat16'),
      d: tk.randn([2]).to('float64'),
      i: tk.tensor([7], { dtype: 'int32' }),
      empty: tk.zeros([0, 3]),
      scalar: tk.tensor(5),
    };
    return { bytes: io.serialize(sd, { metadata: { epoch: '3' } }), kind: 'safetensors(io.serialize)' };
  }
  if (k === 1) {
    const entries: [string, string, number[], Uint8Array][] = [
      'U8',
      'I8',
      'I16',
      'U16',
      'U32',
      'F16',
      'BF16',
      'U64',
    ].map((dt) => [`t_${dt}`, dt, [2, 2], randomBytes(rnd, 4 * ST_SIZE[dt])]);
    return { bytes: rawSafetensors(entries, { source: 'hand' }), kind: 'safetensors(hand-written dtypes)' };
  }
  // Checkpoints: a tree of plain values and tensors in the metadata, the tensors as tensors.
  const tree = {
    model: { 'fc.weight': tk.randn([2, 3]), 'fc.bias': tk.zeros([2]) },
    optimizer: { state: [{ step: 3, exp_avg: tk.randn([2, 3]) }], paramGroups: [{ lr: 0.001, betas: [0.9, 0.999] }] },
    epoch: 4,
    best: 0.25,
    tag: 'run-1',
    big: 2n ** 70n,
    inf: Infinity,
    none: null,
    nested: [[1, [2, { a: [3] }]]],
  };
  const path = `seed-${process.pid}.ckpt`;
  io.saveCheckpoint(tree, path);
  const bytes = new Uint8Array(readFileSync(path));
  rmSync(path, { force: true });
  return { bytes, kind: 'checkpoint' };
}

// ---- mutations --------------------------------------------------------------------------------------

const SHAPES: unknown[] = [
  [],
  [0],
  [2 ** 31, 2 ** 31],
  [-1],
  [1.5],
  ['2'],
  [null],
  Array(70).fill(1),
  [1e308],
  [2 ** 53 + 2],
  5,
  'x',
  [[2]],
  {},
];
const NAMES = [
  'constructor',
  'toString',
  '__proto__',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  '',
  '$tensor',
  'a'.repeat(3000),
];

function mutateHeaderJson(rnd: Rnd, head: Record<string, unknown>): string {
  const names = Object.keys(head).filter((n) => n !== '__metadata__');
  const name = names.length ? pick(rnd, names) : 'x';
  const entry = (head[name] ?? {}) as Record<string, unknown>;
  const meta = (head.__metadata__ ?? {}) as Record<string, unknown>;
  switch (Math.floor(rnd() * 14)) {
    case 0:
      entry.dtype = pick(rnd, ['F32', 'F64', 'I64', 'BOOL', 'U64', 'F8_E5M2', 'f32', '', 7, null]);
      break;
    case 1:
      entry.shape = pick(rnd, SHAPES);
      break;
    case 2:
      entry.data_offsets = pick(rnd, [[0, 2 ** 53], [-1, 3], [5, 2], [0], 'x', [0.5, 4], [2 ** 62, 2 ** 62 + 4]]);
      break;
    case 3:
      delete entry[pick(rnd, ['dtype', 'shape', 'data_offsets'])];
      break;
    case 4:
      head[pick(rnd, NAMES)] = { ...entry };
      delete head[name];
      break;
    case 5:
      head.__metadata__ = pick(rnd, [[], 'x', { a: 1 }, { [pick(rnd, NAMES)]: 'v' }, null]);
      break;
    case 6: {
      // A checkpoint's tree: point a tensor reference at an inherited name, or inject a key.
      const t = meta['tensorkit.checkpoint'];
      if (typeof t === 'string') {
        const mutated = pick(rnd, [
          t.replace(/"\$tensor":"[^"]*"/, `"$tensor":${JSON.stringify(pick(rnd, NAMES))}`),
          t.replace(/^\{/, '{"__proto__":{"isAdmin":true},'),
          t.replace(/^\{/, '{"constructor":{"prototype":{"isAdmin":true}},'),
          t.replace(/"\$bigint":"[^"]*"/, '"$bigint":"12x"'),
          t.replace(/\{"\$number":"[^"]*"\}/, '{"$number":"1e999"}'),
          `{"deep":${'['.repeat(20_000)}${']'.repeat(20_000)}}`,
          `{"deep":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`,
          t.replace(/"\$tensor":"([^"]*)"/g, '"$tensor":"$1","extra":1'),
          '[]',
          'null',
          '{"a":',
          t + t,
        ]);
        meta['tensorkit.checkpoint'] = mutated;
      } else meta['tensorkit.checkpoint'] = '{"a":{"$tensor":"constructor"}}';
      meta.format = 'tensorkit.checkpoint';
      meta['tensorkit.checkpoint.version'] = pick(rnd, ['1', '1', '2', '']);
      head.__metadata__ = meta;
      break;
    }
    case 7: {
      const text = JSON.stringify(head);
      return text.replace(/^\{/, `{${JSON.stringify(name)}:{"dtype":"F32","shape":[1],"data_offsets":[0,4]},`); // a duplicate key
    }
    case 8:
      return JSON.stringify(head).replace(/^\{/, '{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},');
    case 9:
      entry.shape = Array.from({ length: Math.floor(rnd() * 40) }, () => pick(rnd, [0, 1, 2, 3]));
      break;
    case 10:
      return JSON.stringify(pick(rnd, [[], 'x', 1, null, { [name]: 'x' }]));
    case 11:
      return `${JSON.stringify(head).slice(0, -1)},"x":${'['.repeat(50_000)}${']'.repeat(50_000)}}`;
    case 12:
      for (const n of names) (head[n] as Record<string, unknown>).data_offsets = [0, 0];
      break;
    default:
      return `${'\ufeff'}${JSON.stringify(head)}`;
  }
  return JSON.stringify(head);
}

export function mutate(rnd: Rnd, bytes: Uint8Array): { bytes: Uint8Array; desc: string } {
  let b: Uint8Array = Buffer.from(bytes);
  const descs: string[] = [];
  const headerLen = b.length >= 8 ? Number(Buffer.from(b.buffer, b.byteOffset, 8).readBigUInt64LE(0)) : 0;
  const steps = 1 + Math.floor(rnd() * 3);
  for (let s = 0; s < steps; s++) {
    const k = Math.floor(rnd() * 8);
    if (k <= 2 && headerLen > 0 && 8 + headerLen <= b.length) {
      // Mutate the header as JSON, then write it back with a consistent length (most of the time).
      const text = Buffer.from(b.subarray(8, 8 + headerLen)).toString('utf8');
      let head: Record<string, unknown>;
      try {
        head = JSON.parse(text);
      } catch {
        continue;
      }
      if (head === null || typeof head !== 'object') continue;
      const json = mutateHeaderJson(rnd, head);
      b = withHeader(json, b.subarray(8 + headerLen), rnd() < 0.1 ? BigInt(Math.floor(rnd() * 2 ** 40)) : undefined);
      descs.push(`header json: ${json.length > 160 ? `${json.slice(0, 160)}…` : json}`);
    } else if (k === 3) {
      const n = 1 + Math.floor(rnd() * 8);
      for (let j = 0; j < n; j++) b[Math.floor(rnd() * b.length)] ^= 1 << Math.floor(rnd() * 8);
      descs.push(`${n} bit flips`);
    } else if (k === 4) {
      const at = Math.floor(rnd() * b.length);
      b[at] = pick(rnd, [0, 0xff, 0x7b, 0x22, 0x5b, 0x7d, 0x20, 0x80]);
      descs.push(`byte ${at} set`);
    } else if (k === 5) {
      const at = Math.floor(rnd() * b.length);
      b = b.subarray(0, at);
      descs.push(`truncated to ${at}`);
    } else if (k === 6) {
      b = Buffer.concat([b, randomBytes(rnd, 1 + Math.floor(rnd() * 64))]);
      descs.push('junk appended');
    } else if (b.length >= 8) {
      const v = pick(rnd, [
        0n,
        1n,
        7n,
        2n ** 63n,
        2n ** 64n - 1n,
        100_000_001n,
        BigInt(b.length),
        BigInt(Math.floor(rnd() * b.length)),
      ]);
      Buffer.from(b.buffer, b.byteOffset, 8).writeBigUInt64LE(v);
      descs.push(`header length ${v}`);
    }
  }
  return { bytes: b, desc: descs.join('; ') || 'unchanged' };
}

// ---- an independent decoder, to check what a successful load returned -----------------------------

function half(bits: number, bf16: boolean): number {
  if (bf16) return new Float32Array(new Uint32Array([bits << 16]).buffer)[0];
  const s = bits & 0x8000 ? -1 : 1,
    e = (bits >> 10) & 0x1f,
    m = bits & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function expectedValues(dtype: string, raw: Uint8Array): (number | bigint)[] {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = raw.length / ST_SIZE[dtype];
  const out: (number | bigint)[] = [];
  for (let i = 0; i < n; i++) {
    switch (dtype) {
      case 'F32':
        out.push(dv.getFloat32(4 * i, true));
        break;
      case 'F64':
        out.push(dv.getFloat64(8 * i, true));
        break;
      case 'I32':
        out.push(dv.getInt32(4 * i, true));
        break;
      case 'I64':
        out.push(dv.getBigInt64(8 * i, true));
        break;
      case 'U32':
        out.push(BigInt(dv.getUint32(4 * i, true)));
        break;
      case 'BOOL':
        out.push(raw[i] ? 1 : 0);
        break;
      case 'U8':
        out.push(raw[i]);
        break;
      case 'I8':
        out.push(dv.getInt8(i));
        break;
      case 'I16':
        out.push(dv.getInt16(2 * i, true));
        break;
      case 'U16':
        out.push(dv.getUint16(2 * i, true));
        break;
      case 'F16':
        out.push(half(dv.getUint16(2 * i, true), false));
        break;
      case 'BF16':
        out.push(half(dv.getUint16(2 * i, true), true));
        break;
      default:
        throw new Error(`no decoder for ${dtype}`);
    }
  }
  return out;
}

/** Why `tensors` differs from what the file holds, or undefined when it matches. */
function checkAgainstFile(bytes: Uint8Array, tensors: Record<string, Tensor>): string | undefined {
  const n = Number(Buffer.from(bytes.buffer, bytes.byteOffset, 8).readBigUInt64LE(0));
  const head = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const names = Object.keys(head).filter((k) => k !== '__metadata__');
  const got = Object.keys(tensors);
  if (got.length !== names.length || names.some((k) => !Object.hasOwn(tensors, k)))
    return `tensor names ${JSON.stringify(got)} differ from the header's ${JSON.stringify(names)}`;
  for (const k of names) {
    const e = head[k],
      t = tensors[k];
    if (!(t instanceof Tensor)) return `'${k}' is not a Tensor`;
    if (t.shape.join() !== e.shape.join()) return `'${k}' has shape [${t.shape}], the file [${e.shape}]`;
    const want = expectedValues(e.dtype, bytes.subarray(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]));
    const have = Array.from(t.data() as ArrayLike<number | bigint>);
    for (let i = 0; i < want.length; i++) {
      const a = want[i],
        b = have[i];
      const same =
        typeof a === 'bigint'
          ? BigInt(b as bigint) === a
          : Object.is(a, Number(b)) || (Number.isNaN(a) && Number.isNaN(Number(b)));
      if (!same) return `'${k}'[${i}] is ${b}, the file holds ${a}`;
    }
  }
  return undefined;
}

/** Why a loaded checkpoint tree is unsafe (an inherited value, a function, an injected prototype). */
function checkTree(v: unknown, path: string, depth = 0): string | undefined {
  if (depth > 10_000) return `${path}: deeper than 10,000`;
  if (v instanceof Tensor) return v.isDisposed ? `${path}: a disposed tensor` : undefined;
  if (typeof v === 'function') return `${path}: a function (${(v as { name: string }).name})`;
  if (v === null || typeof v !== 'object') return undefined;
  const proto = Object.getPrototypeOf(v);
  if (Array.isArray(v)) {
    if (proto !== Array.prototype) return `${path}: an array with a replaced prototype`;
  } else if (proto !== null && proto !== Object.prototype) return `${path}: an object with an injected prototype`;
  for (const k of Object.keys(v)) {
    const d = Object.getOwnPropertyDescriptor(v, k)!;
    if (d.get || d.set) return `${path}/${k}: an accessor`;
    const why = checkTree(d.value, `${path}/${k}`, depth + 1);
    if (why) return why;
  }
  return undefined;
}

function disposeAll(v: unknown, depth = 0): void {
  if (v instanceof tk.jit.Graph) return v.dispose();
  if (depth > 10_000) return;
  if (v instanceof Tensor) v.dispose();
  else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) disposeAll(x, depth + 1);
}

// ---- one file --------------------------------------------------------------------------------------

const PROTO_KEYS = Object.getOwnPropertyNames(Object.prototype).length;

function load(what: string, fn: () => unknown, check: (r: unknown) => string | undefined): Outcome & { what: string } {
  try {
    const r = fn();
    try {
      const why = check(r);
      if (
        Object.getOwnPropertyNames(Object.prototype).length !== PROTO_KEYS ||
        ({} as Record<string, unknown>).isAdmin !== undefined
      )
        return { what, kind: 'wrong', detail: 'Object.prototype was polluted' };
      return why ? { what, kind: 'wrong', detail: why } : { what, kind: 'ok' };
    } finally {
      disposeAll(r);
    }
  } catch (e) {
    return { what, ...classifyError(e) };
  }
}

/** Loads the file every way; the first defect found, or the codes seen. */
export function loadAll(path: string, bytes: Uint8Array): Outcome {
  const results = [
    load(
      'train.readScalarEvents',
      () => train.readScalarEvents(bytes),
      (r) =>
        (r as { step: unknown; tag: unknown; value: unknown }[]).every(
          (e) => typeof e.step === 'number' && typeof e.tag === 'string' && typeof e.value === 'number',
        )
          ? undefined
          : 'an event that is not { step, tag, value }',
    ),
    load(
      'io.readHeader',
      () => io.readHeader(path),
      () => undefined,
    ),
    load(
      'io.load',
      () => io.load(path),
      (r) => checkAgainstFile(bytes, r as Record<string, Tensor>),
    ),
    load(
      'io.loadWithMetadata',
      () => io.loadWithMetadata(path),
      (r) => {
        const m = (r as { metadata: Record<string, unknown> }).metadata;
        if (Object.values(m).some((x) => typeof x !== 'string')) return 'a metadata value is not a string';
        return checkAgainstFile(bytes, (r as { tensors: Record<string, Tensor> }).tensors);
      },
    ),
    load(
      'io.deserialize',
      () => io.deserialize(bytes),
      (r) => checkAgainstFile(bytes, (r as { tensors: Record<string, Tensor> }).tensors),
    ),
    load(
      'io.loadCheckpoint',
      () => io.loadCheckpoint(path),
      (r) => checkTree(r, ''),
    ),
    load(
      'onnx.load',
      () => tk.onnx.load(path),
      (r) => (r instanceof tk.jit.Graph ? undefined : 'not a jit.Graph'),
    ),
    load(
      'onnx.loadWeights',
      () => tk.onnx.loadWeights(path),
      (r) =>
        Object.values(r as object).every((t) => t instanceof Tensor) ? undefined : 'a weight that is not a Tensor',
    ),
    load(
      'jit.load',
      () => tk.jit.load(path),
      (r) => (r instanceof tk.jit.Graph ? undefined : 'not a jit.Graph'),
    ),
  ];
  const bad = results.find((r) => r.kind !== 'ok' && r.kind !== 'error');
  if (bad) return { kind: bad.kind, code: bad.code, detail: `${bad.what}: ${bad.detail ?? ''}` };
  // 'error' when every safetensors reader refused the file (the event reader skips what it
  // cannot read, by design, so it never refuses).
  const refused = results.filter((r) => r.what !== 'train.readScalarEvents' && r.kind === 'error');
  return { kind: refused.length === results.length - 1 ? 'error' : 'ok', code: refused[0]?.code };
}

function fileFor(seed: number, i: number): { bytes: Uint8Array; desc: string } {
  const rnd = seededRandom(callSeed(seed, i));
  const s = seedFile(rnd);
  const m = mutate(rnd, s.bytes);
  return { bytes: m.bytes, desc: `${s.kind}: ${m.desc}` };
}

/** Runs file i in this process (npm run fuzz -- --files --replay I). */
export async function replayFile(seed: number, i: number): Promise<string> {
  const { bytes, desc } = fileFor(seed, i);
  const path = `replay-${i}.safetensors`;
  writeFileSync(path, bytes);
  try {
    return `${desc}\n${JSON.stringify(loadAll(path, bytes))}`;
  } finally {
    rmSync(path, { force: true });
  }
}

async function main(): Promise<void> {
  const [seed, start, count] = process.argv.slice(2, 5).map(Number);
  const progress = openSync(process.argv[5], 'a');
  const log = (line: string) => writeSync(progress, `${line.replace(/\n/g, ' ')}\n`);
  for (let i = start; i < start + count; i++) {
    const { bytes, desc } = fileFor(seed, i);
    const path = `f-${i}.safetensors`;
    writeFileSync(path, bytes);
    log(`S ${i} ${desc.split(':')[0]} (${desc})`);
    log(`R ${i} ${JSON.stringify(loadAll(path, bytes))}`);
    rmSync(path, { force: true });
    if (i % 64 === 63) await tick();
  }
  closeSync(progress);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main().catch((e) => {
    console.error(e);
    process.exit(3);
  });
}
