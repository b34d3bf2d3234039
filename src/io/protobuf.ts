// A minimal protocol-buffers writer: messages as lists of fields, encoded in field order. Enough
// for TensorBoard's Event records and ONNX models; a reader lives with its one user (events.ts).

/** One field: its number, then a varint, a fixed 32/64-bit float, or bytes (a string, or a nested
 * message already encoded). Repeated fields are simply listed several times. */
export type ProtoField =
  | [number, 'varint', number | bigint]
  | [number, 'float', number]
  | [number, 'double', number]
  | [number, 'bytes', Uint8Array | string];

export function varint(v: number | bigint): number[] {
  let x = BigInt.asUintN(64, BigInt(v)); // negative int64 values take ten bytes, as protobuf says
  const out: number[] = [];
  do {
    let byte = Number(x & 0x7fn);
    x >>= 7n;
    if (x) byte |= 0x80;
    out.push(byte);
  } while (x);
  return out;
}

/** The wire bytes of a message. */
export function encodeMessage(fields: readonly ProtoField[]): Uint8Array {
  const out: number[] = [];
  for (const [n, kind, v] of fields) {
    switch (kind) {
      case 'varint':
        out.push(...varint(n << 3), ...varint(v));
        break;
      case 'float': {
        const b = Buffer.alloc(4);
        b.writeFloatLE(v);
        out.push(...varint((n << 3) | 5), ...b);
        break;
      }
      case 'double': {
        const b = Buffer.alloc(8);
        b.writeDoubleLE(v);
        out.push(...varint((n << 3) | 1), ...b);
        break;
      }
      case 'bytes': {
        const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
        out.push(...varint((n << 3) | 2), ...varint(b.length), ...b);
        break;
      }
    }
  }
  return Uint8Array.from(out);
}
