// Weight files and checkpoints: safetensors round trips for every dtype, byte-exact output
// against the format's reference examples, hostile files refused with IO_ERROR, atomic writes.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';
import { io, type Tensor } from '../src/index.js';
import { expectTensorError } from './helpers/harness.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-io-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => path.join(dir, name);

// A safetensors file from a header object and raw data bytes (for hand-made and hostile files).
function rawFile(header: unknown, data: number[] | Uint8Array = [], headerText?: string): Uint8Array {
  const json = Buffer.from(headerText ?? JSON.stringify(header));
  const n = Buffer.alloc(8);
  n.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([n, json, Buffer.from(data)]);
}

describe('safetensors', () => {
  it('round-trips every dtype, scalars, empty and strided tensors, and metadata', () => {
    const t: Record<string, Tensor> = {
      f32: tk.tensor([
        [1.5, -2],
        [3, 4e-8],
      ]),
      f64: tk.tensor([Math.PI, -1e300, Number.MIN_VALUE], { dtype: 'float64' }),
      i32: tk.tensor([-2147483648, 0, 2147483647], { dtype: 'int32' }),
      i64: tk.tensor([-(2n ** 63n), 0n, 2n ** 63n - 1n]),
      bool: tk.tensor([true, false, true]),
      scalar: tk.tensor(7),
      empty: tk.zeros([0, 3]),
      strided: tk.arange(6).reshape(2, 3).t(),
      special: tk.tensor([NaN, Infinity, -Infinity, -0]),
    };
    io.save(t, file('all.safetensors'), { metadata: { note: 'hello', epoch: '3' } });
    const { tensors: back, metadata } = io.loadWithMetadata(file('all.safetensors'));
    expect(metadata).toEqual({ note: 'hello', epoch: '3' });
    expect(Object.keys(back).sort()).toEqual(Object.keys(t).sort());
    for (const [k, v] of Object.entries(t)) {
      expect(back[k].dtype, k).toBe(v.dtype);
      expect(back[k].shape, k).toEqual(v.shape);
      expect(back[k].data(), k).toEqual(v.data());
    }
    expect(Object.is(back.special.data()[3], -0)).toBe(true);
    // The in-memory form is the same bytes as the file.
    expect(Buffer.from(io.serialize(t, { metadata: { note: 'hello', epoch: '3' } }))).toEqual(
      fs.readFileSync(file('all.safetensors')),
    );
    for (const x of [...Object.values(t), ...Object.values(back)]) x.dispose();
  });

  it('writes the bytes of the format reference examples exactly', () => {
    // safetensors' own serialization tests: one F32 [1, 2, 3] tensor named "attn.0" (a 64-byte
    // header, no padding needed), the same as "attn0" [1, 1, 2, 3] (padded with 7 spaces), and an
    // empty file with metadata {framework: pt}.
    const data = [0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64];
    const attn0 = tk.arange(6, { dtype: 'float32' }).reshape(1, 2, 3);
    const a = io.serialize({ 'attn.0': attn0 });
    const headA = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    expect(Array.from(a)).toEqual([64, 0, 0, 0, 0, 0, 0, 0, ...Buffer.from(headA), ...data]);
    const b = io.serialize({ attn0: attn0.reshape(1, 1, 2, 3) });
    const headB = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ';
    expect(Array.from(b)).toEqual([72, 0, 0, 0, 0, 0, 0, 0, ...Buffer.from(headB), ...data]);
    expect(Array.from(io.serialize({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(
      Buffer.from(io.serialize({}, { metadata: { framework: 'pt' } }))
        .subarray(8)
        .toString(),
    ).toBe('{"__metadata__":{"framework":"pt"}}     ');
    // Tensors are laid out by dtype (the format's enum order, largest first) and then by name.
    const mixed = io.serialize({
      b: tk.tensor([true]),
      z: tk.zeros([1]),
      a: tk.zeros([1]),
      i: tk.tensor([1], { dtype: 'int32' }),
      d: tk.zeros([1], { dtype: 'float64' }),
      l: tk.tensor([1n]),
    });
    const head = JSON.parse(
      Buffer.from(mixed)
        .subarray(8, 8 + Number(Buffer.from(mixed).readBigUInt64LE(0)))
        .toString(),
    );
    expect(Object.keys(head)).toEqual(['l', 'd', 'a', 'z', 'i', 'b']);
    expect(head.l.data_offsets).toEqual([0, 8]);
    expect(head.b.data_offsets).toEqual([28, 29]);
  });

  it('loads F16 and BF16 as float16 and bfloat16, and widens small integers to int32', () => {
    const f16 = new Uint16Array([0x3c00, 0xc000, 0x7c00, 0x0001, 0x3555]); // 1, -2, inf, 2^-24, 0.333
    const bf16 = new Uint16Array([0x3f80, 0xc040]); // 1, -3
    const bytes = rawFile(
      {
        h: { dtype: 'F16', shape: [5], data_offsets: [0, 10] },
        b: { dtype: 'BF16', shape: [2], data_offsets: [10, 14] },
        u: { dtype: 'U8', shape: [2], data_offsets: [14, 16] },
        s: { dtype: 'I8', shape: [2], data_offsets: [16, 18] },
      },
      [...new Uint8Array(f16.buffer), ...new Uint8Array(bf16.buffer), 255, 3, 0xff, 0x80],
    );
    const { tensors: t } = io.deserialize(bytes);
    expect(Array.from(t.h.data(), Number)).toEqual([1, -2, Infinity, 2 ** -24, Math.fround(0.333251953125)]);
    expect(Array.from(t.b.data(), Number)).toEqual([1, -3]);
    expect([t.h.dtype, t.b.dtype]).toEqual(['float16', 'bfloat16']);
    expect([t.u.dtype, Array.from(t.u.data(), Number)]).toEqual(['int32', [255, 3]]);
    expect(Array.from(t.s.data(), Number)).toEqual([-1, -128]);
    expectTensorError(
      () => io.deserialize(rawFile({ x: { dtype: 'U64', shape: [1], data_offsets: [0, 8] } }, new Array(8).fill(0))),
      'NOT_IMPLEMENTED',
      /tensor 'x' has dtype U64/,
    );
  });

  it('readHeader lists tensors without reading their data', () => {
    io.save({ w: tk.zeros([3, 4]), n: tk.tensor([1n]) }, file('h.safetensors'), { metadata: { a: 'b' } });
    const h = io.readHeader(file('h.safetensors'));
    expect(h.metadata).toEqual({ a: 'b' });
    expect(h.tensors.w).toEqual({ dtype: 'F32', shape: [3, 4], dataOffsets: [8, 56] });
    expect(h.dataStart % 8).toBe(0);
  });

  it('refuses hostile or damaged files with IO_ERROR, never a crash or a huge allocation', () => {
    const ok = io.serialize({ w: tk.arange(4, { dtype: 'float32' }), v: tk.tensor([1n, 2n]) });
    const cases: [string, Uint8Array, RegExp][] = [
      ['empty file', new Uint8Array(0), /has 0 bytes, fewer than the 8-byte header length/],
      [
        'header length beyond the limit',
        (() => {
          const b = Buffer.from(ok);
          b.writeBigUInt64LE(2n ** 63n);
          return b;
        })(),
        /header length 9223372036854775808 exceeds the 100000000-byte limit/,
      ],
      ['header past the end', ok.subarray(0, 20), /runs past the end of the 20-byte file/],
      ['data truncated', ok.subarray(0, ok.length - 3), /the header describes 32 bytes of data, the file has 29/],
      ['trailing bytes', Buffer.concat([ok, Buffer.from([0])]), /the file has 33 \(truncated or trailing bytes\)/],
      ['not JSON', rawFile(null, [], '{"w": '), /the header is not valid UTF-8 JSON/],
      ['not an object', rawFile(null, [], '[1, 2]'), /the header is not a JSON object/],
      [
        'bad UTF-8',
        Buffer.concat([Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([0x7b, 0xff, 0x7d])]),
        /not valid UTF-8 JSON/,
      ],
      [
        'unknown dtype',
        rawFile({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, new Array(16).fill(0)),
        /tensor 'w' has an unknown dtype "F128"/,
      ],
      [
        'negative shape',
        rawFile({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, [0, 0, 0, 0]),
        /tensor 'w' has an invalid shape \[-1\]/,
      ],
      [
        'offsets not matching the shape',
        rawFile({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Array(8).fill(0)),
        /data_offsets \[0, 4\] \(4 bytes\) for 8 bytes of F32 \[2\]/,
      ],
      [
        'a forged huge shape',
        rawFile({ w: { dtype: 'F64', shape: [2 ** 40, 2 ** 12], data_offsets: [0, 8] } }, new Array(8).fill(0)),
        /needs more bytes than the 8-byte data section/,
      ],
      [
        'a gap',
        rawFile({ a: { dtype: 'I32', shape: [1], data_offsets: [4, 8] } }, new Array(8).fill(0)),
        /tensor 'a' starts at byte 4 of the data, expected 0/,
      ],
      [
        'an overlap',
        rawFile(
          {
            a: { dtype: 'I32', shape: [2], data_offsets: [0, 8] },
            b: { dtype: 'I32', shape: [1], data_offsets: [4, 8] },
          },
          new Array(8).fill(0),
        ),
        /starts at byte 4 of the data, expected 8/,
      ],
      [
        'offsets reversed',
        rawFile({ a: { dtype: 'I32', shape: [0], data_offsets: [4, 0] } }, []),
        /invalid data_offsets \[4, 0\]/,
      ],
      ['metadata not strings', rawFile({ __metadata__: { a: 1 } }, []), /metadata 'a' is not a string/],
    ];
    for (const [, bytes, msg] of cases) {
      expectTensorError(() => io.deserialize(bytes), 'IO_ERROR', msg);
      fs.writeFileSync(file('bad.safetensors'), bytes);
      expectTensorError(() => io.load(file('bad.safetensors')), 'IO_ERROR', msg);
    }
    expectTensorError(
      () => io.load(file('missing.safetensors')),
      'IO_ERROR',
      /io.load: cannot access '.*missing.safetensors': ENOENT/,
    );
  });

  it('writes atomically: a failed save leaves the old file and no temporary files', () => {
    const p = file('atomic.safetensors');
    io.save({ w: tk.ones([2]) }, p);
    const before = fs.readFileSync(p);
    const gone = tk.zeros([2]);
    gone.dispose();
    expectTensorError(() => io.save({ w: gone }, p), 'DISPOSED', /disposed/);
    fs.mkdirSync(file('adir.safetensors'));
    expectTensorError(
      () => io.save({ w: tk.ones([2]) }, file('adir.safetensors')),
      'IO_ERROR',
      /io.save: '.*adir.safetensors' exists and is not a regular file/,
    );
    expect(fs.readFileSync(p)).toEqual(before);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expectTensorError(() => io.save({ w: 1 } as never, p), 'INVALID_ARGUMENT', /io.save: 'w' is not a Tensor, got 1/);
    expectTensorError(
      () => io.save({ w: tk.ones([1]) }, p, { metadata: { a: 1 } as never }),
      'INVALID_ARGUMENT',
      /metadata values must be strings, got a: 1/,
    );
  });

  it('a state dict saved and loaded gives a model with the same outputs', () => {
    tk.manualSeed(0);
    const a = new tk.nn.Sequential(
      new tk.nn.Linear(4, 8),
      new tk.nn.ReLU(),
      new tk.nn.BatchNorm1d(8),
      new tk.nn.Linear(8, 2),
    );
    const b = new tk.nn.Sequential(
      new tk.nn.Linear(4, 8),
      new tk.nn.ReLU(),
      new tk.nn.BatchNorm1d(8),
      new tk.nn.Linear(8, 2),
    );
    io.save(a.stateDict(), file('model.safetensors'));
    const sd = io.load(file('model.safetensors'));
    b.loadStateDict(sd);
    a.eval();
    b.eval();
    const x = tk.randn([5, 4]);
    expect(b.forward(x).data()).toEqual(a.forward(x).data());
  });
});

describe('checkpoints', () => {
  it('round-trip a tree of tensors, numbers (incl. non-finite), bigints, strings and arrays', () => {
    const state = {
      model: { 'fc.weight': tk.randn([3, 2]), 'fc.bias': tk.zeros([3]) },
      optimizer: {
        state: { 0: { step: 3, expAvg: tk.ones([3, 2], { dtype: 'float64' }) } },
        paramGroups: [{ lr: 0.1, params: [0, 1] }],
      },
      epoch: 4,
      best: Infinity,
      worst: -Infinity,
      nan: NaN,
      rng: { seed: 42n, offset: 2n ** 60n },
      name: 'run',
      done: false,
      nothing: null,
      skipped: undefined,
    };
    io.saveCheckpoint(state, file('run.ckpt'));
    const back = io.loadCheckpoint(file('run.ckpt')) as typeof state;
    expect(back.epoch).toBe(4);
    expect([back.best, back.worst, back.nan]).toEqual([Infinity, -Infinity, NaN]);
    expect(back.rng).toEqual({ seed: 42n, offset: 2n ** 60n });
    expect([back.name, back.done, back.nothing, 'skipped' in back]).toEqual(['run', false, null, false]);
    expect(back.model['fc.weight'].data()).toEqual(state.model['fc.weight'].data());
    expect(back.optimizer.state[0].expAvg.dtype).toBe('float64');
    expect(back.optimizer.paramGroups).toEqual([{ lr: 0.1, params: [0, 1] }]);
    // The tensors are ordinary safetensors tensors, named by their path.
    expect(Object.keys(io.load(file('run.ckpt'))).sort()).toEqual([
      'model/fc.bias',
      'model/fc.weight',
      'optimizer/state/0/expAvg',
    ]);
  });

  it('refuses what a checkpoint cannot hold, and files that are not checkpoints', () => {
    expectTensorError(
      () => io.saveCheckpoint({ f: (() => 1) as never }, file('x.ckpt')),
      'INVALID_ARGUMENT',
      /'f' is a function/,
    );
    expectTensorError(
      () => io.saveCheckpoint({ m: new Map() as never }, file('x.ckpt')),
      'INVALID_ARGUMENT',
      /'m' is a Map/,
    );
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    expectTensorError(
      () => io.saveCheckpoint(cyc as never, file('x.ckpt')),
      'INVALID_ARGUMENT',
      /refers back to itself/,
    );
    expectTensorError(
      () => io.saveCheckpoint({ $tensor: 'a' }, file('x.ckpt')),
      'INVALID_ARGUMENT',
      /key '\$tensor' at '' starts with '\$'/,
    );
    io.save({ w: tk.zeros([1]) }, file('plain.safetensors'));
    expectTensorError(
      () => io.loadCheckpoint(file('plain.safetensors')),
      'IO_ERROR',
      /is a safetensors file but not a tensorkit checkpoint/,
    );
    const forged = (tree: string) =>
      io.serialize(
        { w: tk.zeros([1]) },
        {
          metadata: {
            format: 'tensorkit.checkpoint',
            'tensorkit.checkpoint.version': '1',
            'tensorkit.checkpoint': tree,
          },
        },
      );
    fs.writeFileSync(file('f1.ckpt'), forged('{"a": {"$tensor": "nope"}}'));
    expectTensorError(() => io.loadCheckpoint(file('f1.ckpt')), 'IO_ERROR', /'a' refers to a missing tensor "nope"/);
    fs.writeFileSync(file('f2.ckpt'), forged('{"a": '));
    expectTensorError(() => io.loadCheckpoint(file('f2.ckpt')), 'IO_ERROR', /its state is not valid JSON/);
    io.saveCheckpoint({ w: tk.ones([1000]) }, file('t.ckpt'));
    fs.writeFileSync(file('t2.ckpt'), fs.readFileSync(file('t.ckpt')).subarray(0, 500));
    expectTensorError(
      () => io.loadCheckpoint(file('t2.ckpt')),
      'IO_ERROR',
      /t2.ckpt' is not a valid safetensors file: tensor 'w' of shape \[1000\] needs more bytes/,
    );
  });
});
