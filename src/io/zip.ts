// The zip container of PyTorch's .pt files (torch.save's zipfile format): a reader for stored
// and deflated entries (zip64 included) and a writer of stored entries whose data starts on a
// 64-byte boundary, as torch's writer aligns them. Every offset and size read from a file is
// checked against its length, so a corrupt or truncated file throws IO_ERROR, never reads past it.
import { inflateRawSync } from 'node:zlib';

import { fail } from '../errors.js';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (the zip polynomial) of bytes. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The entries of a zip archive by name, each read on demand. */
export interface ZipEntries {
  names: string[];
  read(name: string): Uint8Array;
}

/** Parses the central directory of `buf` (op names the caller in errors). */
export function readZip(buf: Uint8Array, op: string): ZipEntries {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const bad = (why: string): never => fail('IO_ERROR', `${op}: not a valid zip archive (${why})`);
  const u16 = (o: number) => (o + 2 <= buf.length ? view.getUint16(o, true) : bad('truncated'));
  const u32 = (o: number) => (o + 4 <= buf.length ? view.getUint32(o, true) : bad('truncated'));
  const u64 = (o: number) => {
    const v = Number(o + 8 <= buf.length ? view.getBigUint64(o, true) : bad('truncated'));
    return Number.isSafeInteger(v) ? v : bad('a size past 2^53');
  };
  // The end-of-central-directory record: within the last 64 KiB + 22 bytes (its comment's limit).
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--)
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd < 0) bad('no end-of-central-directory record');
  let count = u16(eocd + 10);
  let dirSize = u32(eocd + 12);
  let dirOffset = u32(eocd + 16);
  // zip64: the locator just before points at the zip64 end record holding the real values.
  if (
    (count === 0xffff || dirOffset === 0xffffffff || dirSize === 0xffffffff) &&
    eocd >= 20 &&
    u32(eocd - 20) === 0x07064b50
  ) {
    const rec = u64(eocd - 12);
    if (u32(rec) !== 0x06064b50) bad('a broken zip64 record');
    count = u64(rec + 32);
    dirSize = u64(rec + 40);
    dirOffset = u64(rec + 48);
  }
  if (dirOffset + dirSize > buf.length) bad('the central directory lies past the end');
  const entries = new Map<string, { method: number; size: number; compressed: number; local: number }>();
  let p = dirOffset;
  for (let k = 0; k < count; k++) {
    if (u32(p) !== 0x02014b50) bad('a broken central directory entry');
    const method = u16(p + 10);
    let compressed = u32(p + 20);
    let size = u32(p + 24);
    const nameLen = u16(p + 28),
      extraLen = u16(p + 30),
      commentLen = u16(p + 32);
    let local = u32(p + 42);
    if (p + 46 + nameLen + extraLen > buf.length) bad('truncated');
    const name = new TextDecoder().decode(buf.subarray(p + 46, p + 46 + nameLen));
    // zip64 extra field: the 0xffffffff fields, in order (size, compressed size, local offset)
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen;) {
      const id = u16(e),
        len = u16(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) ((size = u64(q)), (q += 8));
        if (compressed === 0xffffffff) ((compressed = u64(q)), (q += 8));
        if (local === 0xffffffff) local = u64(q);
      }
      e += 4 + len;
    }
    entries.set(name, { method, size, compressed, local });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return {
    names: [...entries.keys()],
    read(name: string): Uint8Array {
      const e = entries.get(name) ?? fail('IO_ERROR', `${op}: the archive has no entry '${name}'`);
      if (u32(e.local) !== 0x04034b50) bad(`a broken local header for '${name}'`);
      const start = e.local + 30 + u16(e.local + 26) + u16(e.local + 28);
      if (start + e.compressed > buf.length) bad(`'${name}' runs past the end of the file`);
      const data = buf.subarray(start, start + e.compressed);
      if (e.method === 0) return data;
      if (e.method !== 8) bad(`'${name}' uses compression method ${e.method}`);
      try {
        // at most the declared size: a deflate bomb stops there
        const out = new Uint8Array(inflateRawSync(data, { maxOutputLength: Math.max(1, e.size) }));
        return out.length === e.size
          ? out
          : bad(`'${name}' inflates to ${out.length} bytes, not the ${e.size} declared`);
      } catch {
        return bad(`'${name}' does not inflate`);
      }
    },
  };
}

/**
 * A zip archive of stored entries, each entry's data starting on a 64-byte boundary (a padding
 * extra field, as torch's writer adds). Returns the chunks to write, in order.
 */
export function writeZip(files: readonly [string, Uint8Array][]): Uint8Array[] {
  const out: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const enc = new TextEncoder();
  for (const [name, data] of files) {
    const nameBytes = enc.encode(name);
    const crc = crc32(data);
    const head = 30 + nameBytes.length + 4; // with an extra field header
    const pad = (64 - ((offset + head) % 64)) % 64;
    const local = new Uint8Array(head + pad);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true); // version needed
    lv.setUint16(8, 0, true); // stored
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, nameBytes.length, true);
    lv.setUint16(28, 4 + pad, true);
    local.set(nameBytes, 30);
    lv.setUint16(30 + nameBytes.length, 0x4246, true); // 'FB': torch's padding field id
    lv.setUint16(32 + nameBytes.length, pad, true);
    const entry = new Uint8Array(46 + nameBytes.length);
    const cv = new DataView(entry.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, nameBytes.length, true);
    cv.setUint32(42, offset, true);
    entry.set(nameBytes, 46);
    central.push(entry);
    out.push(local, data);
    offset += local.length + data.length;
    if (offset > 0xffffffff) fail('NOT_IMPLEMENTED', `saveTorch: archives past 4 GiB (zip64) are not written`);
  }
  const dirSize = central.reduce((a, c) => a + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, files.length, true);
  ev.setUint16(10, files.length, true);
  ev.setUint32(12, dirSize, true);
  ev.setUint32(16, offset, true);
  return [...out, ...central, end];
}
