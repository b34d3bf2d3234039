// Protocol buffers on the wire: a writer that encodes into preallocated chunks (large byte fields,
// such as a model's weights, are kept as chunks of their own and never copied or boxed), and a
// bounds-checked reader. Enough for TensorBoard's Event records and ONNX models.

/** One field: its number, then a varint, a fixed 32/64-bit float, or bytes (a string, or a nested
 * message already encoded). Repeated fields are simply listed several times. */
export type ProtoField =
  | [number, 'varint', number | bigint]
  | [number, 'float', number]
  | [number, 'double', number]
  | [number, 'bytes', Uint8Array | string];

const CHUNK = 64 * 1024;
// Byte fields at least this long are appended as they are instead of copied into the buffer.
const DIRECT = 4096;

/**
 * Writes a message field by field. A nested message is written by a child writer whose chunks are
 * adopted (length first), so nothing is encoded twice and no byte passes through a JS array.
 */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private buf = new Uint8Array(256);
  private pos = 0;
  private done = 0; // bytes in `chunks`

  /** Bytes written so far. */
  get length(): number {
    return this.done + this.pos;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    this.buf = new Uint8Array(Math.max(n, Math.min(CHUNK, this.buf.length * 4)));
  }
  private flush(): void {
    if (this.pos === 0) return;
    this.chunks.push(this.buf.subarray(0, this.pos));
    this.done += this.pos;
    this.buf = this.buf.subarray(this.pos);
    this.pos = 0;
  }

  /** A raw varint (negative int64 values take ten bytes, as protobuf says). */
  rawVarint(v: number | bigint): void {
    this.room(10);
    if (typeof v === 'number' && v >= 0 && v <= 0x7fffffff) {
      while (v > 0x7f) {
        this.buf[this.pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      this.buf[this.pos++] = v;
      return;
    }
    let x = BigInt.asUintN(64, BigInt(v));
    do {
      let byte = Number(x & 0x7fn);
      x >>= 7n;
      if (x) byte |= 0x80;
      this.buf[this.pos++] = byte;
    } while (x);
  }
  private tag(n: number, wire: number): void {
    this.rawVarint(n * 8 + wire);
  }
  varint(n: number, v: number | bigint): this {
    this.tag(n, 0);
    this.rawVarint(v);
    return this;
  }
  float(n: number, v: number): this {
    this.tag(n, 5);
    this.room(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).setFloat32(0, v, true);
    this.pos += 4;
    return this;
  }
  double(n: number, v: number): this {
    this.tag(n, 1);
    this.room(8);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).setFloat64(0, v, true);
    this.pos += 8;
    return this;
  }
  /** A length-delimited field: a string (UTF-8) or bytes, adopted without a copy when large. */
  bytes(n: number, v: Uint8Array | string): this {
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    this.tag(n, 2);
    this.rawVarint(b.length);
    if (b.length >= DIRECT) {
      this.flush();
      this.chunks.push(b);
      this.done += b.length;
    } else {
      this.room(b.length);
      this.buf.set(b, this.pos);
      this.pos += b.length;
    }
    return this;
  }
  /** Repeated varints in packed form (one length-delimited field). */
  packed(n: number, vs: readonly (number | bigint)[]): this {
    if (vs.length === 0) return this;
    const w = new ProtoWriter();
    for (const v of vs) w.rawVarint(v);
    return this.adopt(n, w);
  }
  /** A nested message written by `fill` into a child writer. */
  message(n: number, fill: (w: ProtoWriter) => void): this {
    const w = new ProtoWriter();
    fill(w);
    return this.adopt(n, w);
  }
  private adopt(n: number, w: ProtoWriter): this {
    this.tag(n, 2);
    this.rawVarint(w.length);
    this.flush();
    for (const c of w.finish()) {
      this.chunks.push(c);
      this.done += c.length;
    }
    return this;
  }
  /** The encoded message as chunks, in order (write them with writeFileAtomic, or concatenate). */
  finish(): Uint8Array[] {
    this.flush();
    return this.chunks;
  }
  /** The encoded message in one buffer. */
  toBytes(): Uint8Array {
    return Buffer.concat(this.finish());
  }
}

/** The wire bytes of a message given as a field list. */
export function encodeMessage(fields: readonly ProtoField[]): Uint8Array {
  const w = new ProtoWriter();
  for (const [n, kind, v] of fields) {
    if (kind === 'varint') w.varint(n, v);
    else if (kind === 'float') w.float(n, v);
    else if (kind === 'double') w.double(n, v);
    else w.bytes(n, v);
  }
  return w.toBytes();
}

// ---- reading ----------------------------------------------------------------------------------

/** One field read: a varint's value, or the bytes of a fixed or length-delimited field. */
export type ReadField = [field: number, wire: number, value: bigint | Uint8Array];

/**
 * The fields of a message, in order. Lenient (the default) stops at the first field that runs
 * past the end, so every value it yields is whole; strict throws `onError(what)` instead, and on
 * an unknown wire type (groups included).
 */
export function* readFields(b: Uint8Array, onError?: (what: string) => never): Generator<ReadField> {
  let p = 0;
  const stop = (what: string) => (onError ? onError(what) : undefined);
  const readVarint = (): bigint | undefined => {
    let x = 0n,
      shift = 0n;
    for (;;) {
      if (p >= b.length || shift > 63n) return stop('a varint runs past the end of its message');
      const byte = b[p++];
      x |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return x;
      shift += 7n;
    }
  };
  while (p < b.length) {
    const key = readVarint();
    if (key === undefined) return;
    const f = Number(key >> 3n),
      w = Number(key & 7n);
    if (w === 0) {
      const v = readVarint();
      if (v === undefined) return;
      yield [f, w, v];
      continue;
    }
    let n = -1;
    if (w === 1) n = 8;
    else if (w === 5) n = 4;
    else if (w === 2) {
      const len = readVarint();
      if (len === undefined) return;
      n = len > BigInt(b.length) ? b.length + 1 : Number(len);
    } else {
      stop(`unsupported wire type ${w} (field ${f})`);
      return;
    }
    if (p + n > b.length) {
      stop(`field ${f} (${n} bytes) runs past the end of its message`);
      return;
    }
    yield [f, w, b.subarray(p, p + n)];
    p += n;
  }
}

/** Packed repeated varints (or a single unpacked one). */
export function readPackedVarints(v: bigint | Uint8Array, onError?: (what: string) => never): bigint[] {
  if (typeof v === 'bigint') return [v];
  const out: bigint[] = [];
  let p = 0;
  while (p < v.length) {
    let x = 0n,
      shift = 0n;
    for (;;) {
      if (p >= v.length || shift > 63n) {
        if (onError) onError('a packed varint runs past the end');
        return out;
      }
      const byte = v[p++];
      x |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
      shift += 7n;
    }
    out.push(x);
  }
  return out;
}
