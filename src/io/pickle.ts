// A restricted reader and a minimal writer of Python's pickle format, for PyTorch's .pt files
// (torch_pt.ts). The reader runs the opcodes a checkpoint uses (protocols 2 to 5) over a stack and
// memo of JS values, and calls nothing it is not given: each GLOBAL must be one of the callables
// the caller names (torch's tensor rebuilders, OrderedDict, ...), anything else is an IO_ERROR
// naming it. So a hostile file cannot run code, only fail to load.
import { fail } from '../errors.js';

/** A Python callable the reader may apply to its arguments (REDUCE, NEWOBJ). */
export interface PickleGlobal {
  call(args: unknown[]): unknown;
}

/** A Python tuple (kept apart from lists, so callers can tell them apart). */
export class PyTuple extends Array<unknown> {}

/**
 * Unpickles `bytes`. `globals` maps "module.name" to what the reader may call; `persistent`
 * resolves BINPERSID ids (torch's storages). Limits: depth of nesting is bounded by the input.
 */
export function unpickle(
  bytes: Uint8Array,
  globals: Record<string, PickleGlobal>,
  persistent: (id: unknown) => unknown,
  op: string,
): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string): never => fail('IO_ERROR', `${op}: a corrupt pickle (${why})`);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const dec = new TextDecoder('utf-8', { fatal: true });
  let p = 0;
  const need = (n: number) => (p + n <= bytes.length ? p : bad('truncated'));
  const take = (n: number) => {
    need(n);
    const s = bytes.subarray(p, p + n);
    p += n;
    return s;
  };
  const u8 = () => {
    need(1);
    return bytes[p++];
  };
  const u32 = () => {
    need(4);
    p += 4;
    return view.getUint32(p - 4, true);
  };
  const text = (n: number) => {
    try {
      return dec.decode(take(n));
    } catch {
      return bad('a string that is not UTF-8');
    }
  };
  const line = () => {
    const end = bytes.indexOf(10, p);
    if (end < 0) bad('an unterminated line');
    const s = new TextDecoder().decode(bytes.subarray(p, end));
    p = end + 1;
    return s;
  };
  const pop = () => (stack.length ? stack.pop() : bad('the stack is empty'));
  const top = () => (stack.length ? stack[stack.length - 1] : bad('the stack is empty'));
  const popMark = () => {
    const m = marks.pop() ?? bad('no mark');
    return stack.splice(m);
  };
  const global = (name: string) => {
    const g = globals[name];
    if (!g)
      fail(
        'IO_ERROR',
        `${op}: the file refers to '${name}', which is not a tensor, an OrderedDict or a plain value this reader rebuilds`,
      );
    return { __global: name, g };
  };
  const setItem = (d: unknown, k: unknown, v: unknown) => {
    if (d instanceof Map) d.set(k, v);
    else bad('SETITEM on something that is not a dict');
  };
  const asCallable = (f: unknown) =>
    f && typeof f === 'object' && '__global' in f
      ? (f as unknown as { g: PickleGlobal }).g
      : bad('REDUCE of something that is not a known callable');
  for (;;) {
    const code = u8();
    switch (code) {
      case 0x80: // PROTO
        if (u8() > 5) bad('a pickle protocol past 5');
        break;
      case 0x95: // FRAME
        take(8);
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple());
        break;
      case 0x74: // TUPLE
        stack.push(PyTuple.from(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(PyTuple.of(pop()));
        break;
      case 0x86: {
        const b = pop(),
          a = pop();
        stack.push(PyTuple.of(a, b));
        break;
      }
      case 0x87: {
        const c = pop(),
          b = pop(),
          a = pop();
        stack.push(PyTuple.of(a, b, c));
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const d = new Map();
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
        stack.push(d);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const k = code === 0x68 ? u8() : u32();
        if (!memo.has(k)) bad(`memo ${k} is not set`);
        stack.push(memo.get(k));
        break;
      }
      case 0x4a: // BININT
        need(4);
        stack.push(view.getInt32(p, true));
        p += 4;
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        need(2);
        stack.push(view.getUint16(p, true));
        p += 2;
        break;
      case 0x8a: {
        // LONG1: little-endian two's complement of n bytes
        const n = u8();
        const b = take(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (n > 0 && b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(view.getFloat64(p, false));
        p += 8;
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4e:
        stack.push(null);
        break;
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: {
        // BINUNICODE8
        need(8);
        const n = Number(view.getBigUint64(p, true));
        p += 8;
        stack.push(text(n));
        break;
      }
      case 0x55: // SHORT_BINSTRING (bytes read as Latin-1 text)
      case 0x54: {
        // BINSTRING
        const n = code === 0x55 ? u8() : u32();
        stack.push(String.fromCharCode(...take(n)));
        break;
      }
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const mod = line();
        stack.push(global(`${mod}.${line()}`));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop(),
          mod = pop();
        if (typeof mod !== 'string' || typeof name !== 'string') bad('STACK_GLOBAL of non-strings');
        stack.push(global(`${mod}.${name}`));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const f = asCallable(pop());
        if (!Array.isArray(args)) bad('REDUCE with arguments that are not a tuple');
        stack.push(f.call(args as unknown[]));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args)
        const args = pop();
        const f = asCallable(pop());
        stack.push(f.call(Array.isArray(args) ? args : []));
        break;
      }
      case 0x62: // BUILD: instance attributes (an OrderedDict's _metadata, a Parameter's): dropped
        pop();
        top();
        break;
      case 0x73: {
        // SETITEM
        const v = pop(),
          k = pop();
        setItem(top(), k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const d = top();
        for (let i = 0; i + 1 < items.length; i += 2) setItem(d, items[i], items[i + 1]);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        const l = top();
        if (!Array.isArray(l)) bad('APPEND to something that is not a list');
        (l as unknown[]).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const l = top();
        if (!Array.isArray(l)) bad('APPENDS to something that is not a list');
        (l as unknown[]).push(...items);
        break;
      }
      case 0x51: // BINPERSID
        stack.push(persistent(pop()));
        break;
      default:
        bad(`opcode 0x${code.toString(16)} at byte ${p - 1}`);
    }
    if (stack.length > 1e7) bad('a stack past 10 million values');
  }
}

// ---- writing ------------------------------------------------------------------------------------

/** Pickle bytes, appended by the helpers below (protocol 2). */
export class PickleWriter {
  private parts: number[] = [0x80, 2];
  private enc = new TextEncoder();
  op(...codes: number[]): this {
    this.parts.push(...codes);
    return this;
  }
  global(module: string, name: string): this {
    this.parts.push(0x63, ...this.enc.encode(`${module}\n${name}\n`));
    return this;
  }
  str(s: string): this {
    const b = this.enc.encode(s);
    this.parts.push(0x58, b.length & 0xff, (b.length >>> 8) & 0xff, (b.length >>> 16) & 0xff, b.length >>> 24, ...b);
    return this;
  }
  int(v: number): this {
    if (v >= 0 && v < 256) this.parts.push(0x4b, v);
    else if (v >= -(2 ** 31) && v < 2 ** 31)
      this.parts.push(0x4a, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
    else {
      // LONG1: 8 bytes of two's complement
      let b = BigInt.asUintN(64, BigInt(v));
      this.parts.push(0x8a, 8);
      for (let i = 0; i < 8; i++, b >>= 8n) this.parts.push(Number(b & 0xffn));
    }
    return this;
  }
  tuple(items: readonly number[]): this {
    this.parts.push(0x28);
    for (const v of items) this.int(v);
    this.parts.push(0x74);
    return this;
  }
  bytes(): Uint8Array {
    return Uint8Array.from([...this.parts, 0x2e]);
  }
}
