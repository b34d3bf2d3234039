// TensorBoard event files: TFRecord framing (length, masked CRC-32C of the length, data, masked
// CRC-32C of the data) around `Event` protocol buffers. Only the fields scalars need are
// written: Event { wall_time = 1 (double), step = 2 (int64), file_version = 3 (string),
// summary = 5 } and Summary { value = 1 { tag = 1 (string), simple_value = 2 (float) } }.
// TensorBoard reads these as ordinary scalar summaries.
import { fail } from '../errors.js';
import { describe } from '../options.js';
import { encodeMessage, readFields as fields, type ProtoField } from '../io/protobuf.js';

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven.
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32c(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotated right by 15 bits plus a constant. */
export function maskedCrc(b: Uint8Array): number {
  const c = crc32c(b);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One Event message: wall time, step, and either the file version or scalar summaries. */
export function encodeEvent(
  wallTime: number,
  step: number,
  content: { fileVersion: string } | { scalars: Record<string, number> },
): Uint8Array {
  const fields: ProtoField[] = [
    [1, 'double', wallTime],
    [2, 'varint', step],
  ];
  if ('fileVersion' in content) fields.push([3, 'bytes', content.fileVersion]);
  else {
    const values = Object.entries(content.scalars).map(([tag, v]): ProtoField => [
      1,
      'bytes',
      encodeMessage([
        [1, 'bytes', tag],
        [2, 'float', v],
      ]),
    ]);
    fields.push([5, 'bytes', encodeMessage(values)]);
  }
  return encodeMessage(fields);
}

/** A TFRecord: the framing around one serialized Event. */
export function frameRecord(data: Uint8Array): Buffer {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(data.length));
  const out = Buffer.alloc(8 + 4 + data.length + 4);
  len.copy(out, 0);
  out.writeUInt32LE(maskedCrc(len), 8);
  Buffer.from(data).copy(out, 12);
  out.writeUInt32LE(maskedCrc(data), 12 + data.length);
  return out;
}

// ---- reading (for train.report) ----------------------------------------------------------------

/** One scalar read from a TensorBoard event file. */
export interface ScalarEvent {
  step: number;
  wallTime: number;
  tag: string;
  value: number;
}

/** The scalar summaries in an event file; stops at the first damaged record (a crash's tail). */
export function readScalarEvents(bytes: Uint8Array): ScalarEvent[] {
  if (!(bytes instanceof Uint8Array))
    fail(
      'INVALID_ARGUMENT',
      `readScalarEvents: expected the bytes of an event file (a Uint8Array), got ${describe(bytes)}`,
    );
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: ScalarEvent[] = [];
  let pos = 0;
  while (pos + 12 <= b.length) {
    const n = Number(b.readBigUInt64LE(pos));
    if (b.readUInt32LE(pos + 8) !== maskedCrc(b.subarray(pos, pos + 8)) || pos + 16 + n > b.length) break;
    const data = b.subarray(pos + 12, pos + 12 + n);
    if (b.readUInt32LE(pos + 12 + n) !== maskedCrc(data)) break;
    out.push(...decodeEvent(data));
    pos += 16 + n;
  }
  return out;
}

// Reads only fields of the wire type the Event schema gives them; others are skipped.
function decodeEvent(data: Buffer): ScalarEvent[] {
  let step = 0,
    wallTime = 0;
  const values: [string, number][] = [];
  for (const [f, w, v] of fields(data)) {
    if (f === 1 && w === 1)
      wallTime = Buffer.from((v as Uint8Array).buffer, (v as Uint8Array).byteOffset, 8).readDoubleLE(0);
    else if (f === 2 && w === 0) step = Number(BigInt.asIntN(64, v as bigint));
    else if (f === 5 && w === 2)
      for (const [vf, vw, value] of fields(v as Uint8Array)) {
        if (vf !== 1 || vw !== 2) continue;
        let tag = '',
          val = NaN;
        for (const [ff, fw, x] of fields(value as Uint8Array)) {
          if (ff === 1 && fw === 2) tag = Buffer.from(x as Uint8Array).toString('utf8');
          else if (ff === 2 && fw === 5) val = Buffer.from(x as Uint8Array).readFloatLE(0);
        }
        values.push([tag, val]);
      }
  }
  return values.map(([tag, value]) => ({ step, wallTime, tag, value }));
}
