// The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
// length N, N bytes of JSON ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__":
// {string: string}}) padded with spaces to a multiple of 8, then the raw little-endian data.
// Files written here are byte-identical to the Python library's: tensors ordered by dtype
// (largest alignment first, in its enum order) then name, compact JSON, the same padding.
// Reading executes nothing and checks every offset against the file before allocating.
import * as fs from 'node:fs';
import * as os from 'node:os';

import { isDeviceName, type DeviceName, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { binding } from '../binding.js';
import { checkOptions, describe, isOptionsObject } from '../options.js';
import { fromHalfBits, storedBytes, Tensor } from '../tensor.js';
import { ioError, writeFileAtomic } from './files.js';

/** The Python library's limit: a larger header is refused before it is read. */
export const MAX_HEADER_BYTES = 100_000_000;

// Every safetensors dtype: element size and its rank in the format's enum (the write order).
const ST_DTYPES = {
  BOOL: [1, 0],
  U8: [1, 1],
  I8: [1, 2],
  F8_E5M2: [1, 3],
  F8_E4M3: [1, 4],
  I16: [2, 5],
  U16: [2, 6],
  F16: [2, 7],
  BF16: [2, 8],
  I32: [4, 9],
  U32: [4, 10],
  F32: [4, 11],
  F64: [8, 12],
  I64: [8, 13],
  U64: [8, 14],
} as const satisfies Record<string, readonly [number, number]>;
type StDType = keyof typeof ST_DTYPES;

const TO_ST = {
  float32: 'F32',
  float64: 'F64',
  int32: 'I32',
  int64: 'I64',
  bool: 'BOOL',
  float16: 'F16',
  bfloat16: 'BF16',
} as const satisfies Record<DType, StDType>;

/** A tensor's entry in a header: what `readHeader` reports without reading any data. */
export interface TensorInfo {
  dtype: StDType;
  shape: number[];
  dataOffsets: [number, number];
}
/**
 * A safetensors file's header as `io.readHeader` returns it: each tensor's dtype, shape and byte range, and the
 * metadata.
 */
export interface SafetensorsHeader {
  metadata: Record<string, string>;
  tensors: Record<string, TensorInfo>;
  /** Where the data section starts in the file (8 + header length). */
  dataStart: number;
}

function checkLittleEndian(op: string): void {
  if (os.endianness() !== 'LE')
    fail('NOT_IMPLEMENTED', `${op}: safetensors data is little-endian; this host is big-endian`);
}

function checkTensors(op: string, tensors: unknown): [string, Tensor][] {
  if (!isOptionsObject(tensors) || tensors instanceof Tensor)
    fail('INVALID_ARGUMENT', `${op}: expected an object of named tensors, got ${describe(tensors)}`);
  const entries = Object.entries(tensors as Record<string, unknown>);
  for (const [k, v] of entries) {
    if (!(v instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: '${k}' is not a Tensor, got ${describe(v)}`);
    if (k === '__metadata__') fail('INVALID_ARGUMENT', `${op}: '__metadata__' is reserved for the metadata map`);
  }
  return entries as [string, Tensor][];
}

function checkMetadata(op: string, metadata: unknown): Record<string, string> | undefined {
  if (metadata === undefined) return undefined;
  if (!isOptionsObject(metadata))
    fail('INVALID_ARGUMENT', `${op}: metadata must be an object of strings, got ${describe(metadata)}`);
  for (const [k, v] of Object.entries(metadata))
    if (typeof v !== 'string')
      fail('INVALID_ARGUMENT', `${op}: metadata values must be strings, got ${k}: ${describe(v)}`);
  return metadata as Record<string, string>;
}

// The header bytes (padded) and the tensors in data order.
function prepare(op: string, tensors: unknown, metadata: unknown): { header: Buffer; order: [string, Tensor][] } {
  checkLittleEndian(op);
  const order = checkTensors(op, tensors);
  const meta = checkMetadata(op, metadata);
  const rank = (t: Tensor) => ST_DTYPES[TO_ST[t.dtype]][1];
  order.sort(([a, ta], [b, tb]) => rank(tb) - rank(ta) || (a < b ? -1 : a > b ? 1 : 0));
  // Null-prototype objects: any name, '__proto__' included, is an own key and is written.
  const head: Record<string, unknown> = Object.create(null);
  if (meta) head.__metadata__ = Object.assign(Object.create(null), meta);
  let offset = 0;
  for (const [name, t] of order) {
    const n = t.numel() * ST_DTYPES[TO_ST[t.dtype]][0];
    head[name] = { dtype: TO_ST[t.dtype], shape: t.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  const json = Buffer.from(JSON.stringify(head), 'utf8');
  const padded = Buffer.alloc(json.length + ((8 - (json.length % 8)) % 8), 0x20);
  json.copy(padded);
  const header = Buffer.alloc(8 + padded.length);
  header.writeBigUInt64LE(BigInt(padded.length), 0);
  padded.copy(header, 8);
  return { header, order };
}

/**
 * Writes named tensors to `path` in the safetensors format, atomically (temporary file, fsync,
 * rename). `metadata` is a free map of strings stored in the header.
 * @example io.save(model.stateDict(), 'model.safetensors', { metadata: { epoch: '3' } })
 */
export function save(
  tensors: Record<string, Tensor>,
  path: string,
  options: { metadata?: Record<string, string> } = {},
): void {
  if (typeof path !== 'string' || path === '')
    fail('INVALID_ARGUMENT', `io.save: expected a file path, got ${describe(path)}`);
  const { header, order } = prepare('io.save', tensors, checkOptions('io.save', options, { metadata: 'any' }).metadata);
  // One tensor's bytes at a time would need a streaming writer; collecting the copies keeps the
  // atomic-write helper simple, and the copies are what data() makes anyway.
  writeFileAtomic(path, [header, ...order.map(([, t]) => storedBytes(t))], 'io.save');
}

/** The safetensors bytes of named tensors (what save() writes), for sending or embedding. */
export function serialize(
  tensors: Record<string, Tensor>,
  options: { metadata?: Record<string, string> } = {},
): Uint8Array {
  const { header, order } = prepare(
    'io.serialize',
    tensors,
    checkOptions('io.serialize', options, { metadata: 'any' }).metadata,
  );
  return Buffer.concat([header, ...order.map(([, t]) => storedBytes(t))]);
}

// ---- reading ----------------------------------------------------------------------------------

const bad = (op: string, src: string, what: string): never =>
  fail('IO_ERROR', `${op}: '${src}' is not a valid safetensors file: ${what}`);

/**
 * Parses and validates a header: sizes, dtypes, shapes, and offsets that tile the data section
 * exactly (no gaps, no overlaps, nothing past the end), as the Python library requires.
 */
export function parseHeader(
  op: string,
  src: string,
  head8: Uint8Array,
  readHeader: (n: number) => Uint8Array,
  total: number,
): SafetensorsHeader {
  if (total < 8) bad(op, src, `the file has ${total} bytes, fewer than the 8-byte header length`);
  const n = Buffer.from(head8.buffer, head8.byteOffset, 8).readBigUInt64LE(0);
  if (n > BigInt(MAX_HEADER_BYTES)) bad(op, src, `the header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (Number(n) + 8 > total)
    bad(op, src, `the header length ${n} runs past the end of the ${total}-byte file (truncated?)`);
  let parsed: unknown;
  try {
    // ignoreBOM keeps a byte-order mark, so a header starting with one is refused as not JSON,
    // as the Python library refuses it.
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(readHeader(Number(n)));
    if (!text.startsWith('{')) bad(op, src, 'the header is not a JSON object');
    parsed = JSON.parse(text);
  } catch (e) {
    if ((e as { code?: string }).code === 'IO_ERROR') throw e;
    bad(op, src, `the header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    bad(op, src, 'the header is not a JSON object');
  const dataStart = 8 + Number(n),
    dataBytes = total - dataStart;
  // Null-prototype records: names come from the file, and 'constructor' or '__proto__' must be
  // plain keys, never inherited values or a replaced prototype.
  const metadata: Record<string, string> = Object.create(null);
  const tensors: Record<string, TensorInfo> = Object.create(null);
  for (const [name, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(op, src, '__metadata__ is not an object');
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        if (typeof s !== 'string') bad(op, src, `metadata '${k}' is not a string`);
        metadata[k] = s as string;
      }
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e === null || typeof e !== 'object') bad(op, src, `tensor '${name}' has no {dtype, shape, data_offsets} entry`);
    if (typeof e.dtype !== 'string' || !(e.dtype in ST_DTYPES))
      bad(op, src, `tensor '${name}' has an unknown dtype ${describe(e.dtype)}`);
    const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
    if (!Array.isArray(e.shape) || !e.shape.every(isCount))
      bad(op, src, `tensor '${name}' has an invalid shape ${describe(e.shape)}`);
    if ((e.shape as number[]).length > binding.maxDims)
      bad(
        op,
        src,
        `tensor '${name}' has ${(e.shape as number[]).length} dimensions; tensorkit holds at most ${binding.maxDims}`,
      );
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !isCount(off[0]) || !isCount(off[1]) || off[1] < off[0])
      bad(op, src, `tensor '${name}' has invalid data_offsets ${describe(off)}`);
    // The byte count is bounded by the data section before it is multiplied out, so a forged
    // shape cannot overflow or ask for a huge allocation.
    let bytes = ST_DTYPES[e.dtype as StDType][0];
    for (const d of e.shape as number[]) {
      bytes *= d;
      if (bytes > dataBytes && (e.shape as number[]).every((x) => x !== 0))
        bad(
          op,
          src,
          `tensor '${name}' of shape [${(e.shape as number[]).join(', ')}] needs more bytes than the ${dataBytes}-byte data section`,
        );
    }
    const [b, end] = off as [number, number];
    if (end - b !== bytes)
      bad(
        op,
        src,
        `tensor '${name}' has data_offsets [${b}, ${end}] (${end - b} bytes) for ${bytes} bytes of ${e.dtype} [${(e.shape as number[]).join(', ')}]`,
      );
    tensors[name] = { dtype: e.dtype as StDType, shape: e.shape as number[], dataOffsets: [b, end] };
  }
  let pos = 0;
  for (const [name, t] of Object.entries(tensors).sort(
    ([, a], [, b]) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1],
  )) {
    if (t.dataOffsets[0] !== pos)
      bad(
        op,
        src,
        `tensor '${name}' starts at byte ${t.dataOffsets[0]} of the data, expected ${pos} (a gap or an overlap)`,
      );
    pos = t.dataOffsets[1];
  }
  if (pos !== dataBytes)
    bad(op, src, `the header describes ${pos} bytes of data, the file has ${dataBytes} (truncated or trailing bytes)`);
  return { metadata, tensors, dataStart };
}

// Decodes one tensor's bytes. Dtypes the core lacks are widened: 8/16-bit integers to int32, U32
// to int64.
function decode(op: string, name: string, info: TensorInfo, bytes: Uint8Array): Tensor {
  const n = info.shape.reduce((a, b) => a * b, 1);
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer; // aligned copy
  const shape = info.shape;
  switch (info.dtype) {
    case 'F32':
      return tensor(new Float32Array(buf, 0, n), { shape });
    case 'F64':
      return tensor(new Float64Array(buf, 0, n), { shape });
    case 'I32':
      return tensor(new Int32Array(buf, 0, n), { shape });
    case 'I64':
      return tensor(new BigInt64Array(buf, 0, n), { shape });
    case 'BOOL': {
      const u = new Uint8Array(buf, 0, n);
      return tensor(
        u.map((v) => (v ? 1 : 0)),
        { shape, dtype: 'bool' },
      );
    }
    case 'U8':
      return tensor(Int32Array.from(new Uint8Array(buf, 0, n)), { shape });
    case 'I8':
      return tensor(Int32Array.from(new Int8Array(buf, 0, n)), { shape });
    case 'I16':
      return tensor(Int32Array.from(new Int16Array(buf, 0, n)), { shape });
    case 'U16':
      return tensor(Int32Array.from(new Uint16Array(buf, 0, n)), { shape });
    case 'U32':
      return tensor(
        BigInt64Array.from(new Uint32Array(buf, 0, n), (v) => BigInt(v)),
        { shape },
      );
    case 'F16':
      return fromHalfBits(new Uint16Array(buf, 0, n), shape, 'float16');
    case 'BF16':
      return fromHalfBits(new Uint16Array(buf, 0, n), shape, 'bfloat16');
    case 'U64':
    case 'F8_E5M2':
    case 'F8_E4M3':
      return fail('NOT_IMPLEMENTED', `${op}: tensor '${name}' has dtype ${info.dtype}, which tensorkit cannot hold`);
  }
}

/** Options of `io.load` and `io.loadCheckpoint`. */
export interface LoadOptions {
  /** Device for the loaded tensors (default 'cpu'). */
  device?: DeviceName;
}

function loadDevice(op: string, options: LoadOptions | undefined): DeviceName | undefined {
  const { device } = checkOptions(op, options, { device: 'string' });
  if (device !== undefined && !isDeviceName(device))
    fail('INVALID_ARGUMENT', `${op}: device must be 'cpu', 'cuda' or 'cuda:N', got ${describe(device)}`);
  return device;
}

function build(
  op: string,
  h: SafetensorsHeader,
  read: (start: number, length: number) => Uint8Array,
  device: DeviceName | undefined,
): Record<string, Tensor> {
  const out: Record<string, Tensor> = Object.create(null);
  try {
    for (const [name, info] of Object.entries(h.tensors)) {
      const t = decode(
        op,
        name,
        info,
        read(h.dataStart + info.dataOffsets[0], info.dataOffsets[1] - info.dataOffsets[0]),
      );
      if (device && device !== 'cpu') {
        out[name] = t.to(device);
        t.dispose();
      } else out[name] = t;
    }
  } catch (e) {
    for (const t of Object.values(out)) t.dispose();
    throw e;
  }
  return out;
}

function withFile<T>(op: string, path: string, fn: (fd: number, size: number) => T): T {
  if (typeof path !== 'string' || path === '')
    fail('INVALID_ARGUMENT', `${op}: expected a file path, got ${describe(path)}`);
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    return ioError(op, path, e);
  }
  try {
    let st: fs.Stats;
    try {
      st = fs.fstatSync(fd);
    } catch (e) {
      return ioError(op, path, e);
    }
    if (!st.isFile()) fail('IO_ERROR', `${op}: '${path}' is not a regular file`);
    return fn(fd, st.size);
  } finally {
    fs.closeSync(fd);
  }
}

function readAt(op: string, path: string, fd: number, start: number, length: number): Uint8Array {
  const b = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    let r: number;
    try {
      r = fs.readSync(fd, b, got, length - got, start + got);
    } catch (e) {
      return ioError(op, path, e);
    }
    if (r === 0) fail('IO_ERROR', `${op}: '${path}' ended early (it changed while being read?)`);
    got += r;
  }
  return b;
}

/** Reads and validates only the header of a safetensors file: names, dtypes, shapes, metadata. */
export function readHeader(path: string): SafetensorsHeader {
  const op = 'io.readHeader';
  return withFile(op, path, (fd, size) =>
    parseHeader(
      op,
      path,
      size >= 8 ? readAt(op, path, fd, 0, 8) : new Uint8Array(8),
      (n) => readAt(op, path, fd, 8, n),
      size,
    ),
  );
}

/**
 * Loads every tensor of a safetensors file (written by this library, the Python `safetensors`
 * library, or PyTorch tools). Corrupt, truncated or forged files throw IO_ERROR.
 * @example const sd = io.load('model.safetensors'); model.loadStateDict(sd);
 */
export function load(path: string, options: LoadOptions = {}): Record<string, Tensor> {
  return loadWithMetadata(path, options).tensors;
}

/** load(), plus the header's metadata map. */
export function loadWithMetadata(
  path: string,
  options: LoadOptions = {},
): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const op = 'io.load';
  checkLittleEndian(op);
  return withFile(op, path, (fd, size) => {
    const head8 = size >= 8 ? readAt(op, path, fd, 0, 8) : new Uint8Array(8);
    const h = parseHeader(op, path, head8, (n) => readAt(op, path, fd, 8, n), size);
    return {
      tensors: build(op, h, (s, l) => readAt(op, path, fd, s, l), loadDevice(op, options)),
      metadata: h.metadata,
    };
  });
}

/** Tensors and metadata from safetensors bytes (what serialize() returns). */
export function deserialize(
  bytes: Uint8Array,
  options: LoadOptions = {},
): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const op = 'io.deserialize';
  checkLittleEndian(op);
  if (!(bytes instanceof Uint8Array)) fail('INVALID_ARGUMENT', `${op}: expected a Uint8Array, got ${describe(bytes)}`);
  const head8 = bytes.length >= 8 ? bytes.subarray(0, 8) : new Uint8Array(8);
  const h = parseHeader(op, '<bytes>', head8, (n) => bytes.subarray(8, 8 + n), bytes.length);
  return { tensors: build(op, h, (s, l) => bytes.subarray(s, s + l), loadDevice(op, options)), metadata: h.metadata };
}
