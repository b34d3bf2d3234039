// PyTorch's own file format (torch.save since 1.6: a zip of a pickle and one raw entry per
// storage), read and written without Python. loadTorch rebuilds what a checkpoint holds — tensors
// (parameters too), dicts and OrderedDicts, lists, tuples, numbers, strings — by a restricted
// unpickler that calls only torch's tensor rebuilders (pickle.ts), so a hostile file cannot run
// code. saveTorch writes a state dict that torch.load reads (weights_only included).
import fs from 'node:fs';

import { isFloating, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { zeros } from '../ops/creation.js';
import { describe, isOptionsObject } from '../options.js';
import { Tensor, fromStoredBytes, storedBytes } from '../tensor.js';
import { writeFileAtomic } from './files.js';
import { PickleWriter, PyTuple, unpickle, type PickleGlobal } from './pickle.js';
import { readZip, writeZip } from './zip.js';

/** What loadTorch gives back: the checkpoint's tree, with tensors at the leaves. */
export type TorchValue =
  | Tensor
  | number
  | bigint
  | string
  | boolean
  | null
  | Uint8Array
  | TorchValue[]
  | { [key: string]: TorchValue }
  | Map<unknown, TorchValue>;

// torch's legacy storage classes (what its pickles name) and how their bytes read here. The 8- and
// 16-bit integers have no dtype here: they widen to int32.
const STORAGES: Record<string, { dtype: DType; bytes: number; read?: (b: Uint8Array) => Int32Array }> = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  DoubleStorage: { dtype: 'float64', bytes: 8 },
  HalfStorage: { dtype: 'float16', bytes: 2 },
  BFloat16Storage: { dtype: 'bfloat16', bytes: 2 },
  IntStorage: { dtype: 'int32', bytes: 4 },
  LongStorage: { dtype: 'int64', bytes: 8 },
  BoolStorage: { dtype: 'bool', bytes: 1 },
  ByteStorage: { dtype: 'int32', bytes: 1, read: (b) => Int32Array.from(b) },
  CharStorage: {
    dtype: 'int32',
    bytes: 1,
    read: (b) => Int32Array.from(new Int8Array(b.buffer, b.byteOffset, b.length)),
  },
  ShortStorage: {
    dtype: 'int32',
    bytes: 2,
    read: (b) => Int32Array.from(new Int16Array(new Uint8Array(b).buffer)), // an aligned copy
  },
};
const SAVE_NAMES: Record<DType, string> = {
  float32: 'FloatStorage',
  float64: 'DoubleStorage',
  float16: 'HalfStorage',
  bfloat16: 'BFloat16Storage',
  int32: 'IntStorage',
  int64: 'LongStorage',
  bool: 'BoolStorage',
};

interface StorageType {
  storage: string;
}

// A Map whose keys are all strings becomes an object (state dicts, plain dicts); others stay Maps.
function toJs(v: unknown): TorchValue {
  if (v instanceof Map) {
    const entries = [...v].map(([k, x]) => [k, toJs(x)] as const);
    if (entries.every(([k]) => typeof k === 'string' && k !== '__proto__')) return Object.fromEntries(entries);
    return new Map(entries);
  }
  if (Array.isArray(v)) return Array.from(v, toJs); // tuples too, as plain arrays
  return v as TorchValue;
}

/**
 * Reads a file written by torch.save (or saveTorch): a state dict comes back as an object of
 * tensors (`model.loadStateDict(io.loadTorch('model.pt'))`), a checkpoint as its tree
 * (`io.loadTorch('ckpt.pt').model`). Tensors load to the CPU as contiguous copies; uint8, int8 and
 * int16 widen to int32. Only tensors, dicts, lists, tuples and plain values are rebuilt: a file
 * that pickles other Python objects (numpy arrays, argparse namespaces) is an IO_ERROR naming them.
 * @example model.loadStateDict(io.loadTorch('resnet18.pt') as Record<string, Tensor>)
 */
export function loadTorch(source: string | Uint8Array): TorchValue {
  const op = 'io.loadTorch';
  let buf: Uint8Array;
  if (typeof source === 'string') {
    try {
      buf = fs.readFileSync(source);
    } catch (e) {
      return fail('IO_ERROR', `${op}: cannot read '${source}': ${(e as Error).message}`);
    }
  } else if (source instanceof Uint8Array) buf = source;
  else return fail('INVALID_ARGUMENT', `${op}: expected a file path or the file's bytes, got ${describe(source)}`);
  const zip = readZip(buf, op);
  const pkl =
    zip.names.find((n) => /^[^/]+\/data\.pkl$/.test(n)) ??
    fail('IO_ERROR', `${op}: the archive has no data.pkl (not a torch.save file, or a pre-1.6 one)`);
  const prefix = pkl.slice(0, -'data.pkl'.length);
  if (
    zip.names.includes(`${prefix}byteorder`) &&
    new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim() !== 'little'
  )
    fail('NOT_IMPLEMENTED', `${op}: the file was saved on a big-endian machine`);
  const made: Tensor[] = [];
  const storages = new Map<string, Tensor>();
  const storageOf = (id: unknown): Tensor => {
    if (!(id instanceof PyTuple) || id[0] !== 'storage' || id.length < 5)
      fail('IO_ERROR', `${op}: an unknown persistent id ${describe(id)}`);
    const type = (id[1] as StorageType)?.storage;
    const key = String(id[2]);
    const numel = id[4];
    const info = STORAGES[type] ?? fail('IO_ERROR', `${op}: storage type ${describe(type)} is not supported`);
    if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0)
      fail('IO_ERROR', `${op}: storage '${key}' has size ${describe(numel)}`);
    const cached = storages.get(key);
    if (cached) return cached;
    const bytes = zip.read(`${prefix}data/${key}`);
    if (bytes.length < numel * info.bytes)
      fail(
        'IO_ERROR',
        `${op}: storage '${key}' holds ${bytes.length} bytes, ${numel} ${type} elements need ${numel * info.bytes}`,
      );
    const data = bytes.subarray(0, numel * info.bytes);
    const t =
      numel === 0
        ? zeros([0], { dtype: info.dtype })
        : info.read
          ? fromStoredBytes(new Uint8Array(info.read(data).buffer), 'int32', [numel])
          : fromStoredBytes(data, info.dtype, [numel]);
    storages.set(key, t);
    made.push(t);
    return t;
  };
  const ints = (v: unknown, what: string): number[] => {
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0))
      fail('IO_ERROR', `${op}: a tensor's ${what} is ${describe(v)}`);
    return v as number[];
  };
  const rebuild = (args: unknown[]): Tensor => {
    const [storage, offset, size, stride, requiresGrad] = args;
    if (!(storage instanceof Tensor)) return fail('IO_ERROR', `${op}: a tensor without a storage`);
    const shape = ints(size, 'size'),
      strides = ints(stride, 'stride');
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0)
      fail('IO_ERROR', `${op}: a tensor's storage offset is ${describe(offset)}`);
    let t: Tensor;
    if (shape.includes(0)) t = zeros(shape, { dtype: storage.dtype });
    else {
      let view: Tensor;
      try {
        view = storage.asStrided(shape, strides, offset);
      } catch (e) {
        return fail('IO_ERROR', `${op}: a tensor reaches past its storage (${(e as Error).message})`);
      }
      t = view.clone();
      view.dispose();
    }
    if (requiresGrad === true && isFloating(t.dtype)) t.requiresGrad = true;
    made.push(t);
    return t;
  };
  const marker = (storage: string): PickleGlobal =>
    ({ call: () => fail('IO_ERROR', `${op}: ${storage} called`), storage }) as PickleGlobal;
  const globals: Record<string, PickleGlobal> = {
    'collections.OrderedDict': { call: (a) => new Map(Array.isArray(a[0]) ? (a[0] as [unknown, unknown][]) : []) },
    'builtins.dict': { call: () => new Map() },
    'torch._utils._rebuild_tensor_v2': { call: rebuild },
    'torch._utils._rebuild_tensor': { call: rebuild },
    'torch._utils._rebuild_parameter': {
      call: ([data, requiresGrad]) => {
        if (!(data instanceof Tensor)) fail('IO_ERROR', `${op}: a Parameter without a tensor`);
        if (requiresGrad === true && isFloating(data.dtype) && !data.requiresGrad) data.requiresGrad = true;
        return data;
      },
    },
    'torch._utils._rebuild_parameter_with_state': { call: (a) => globals['torch._utils._rebuild_parameter'].call(a) },
    'torch._tensor._rebuild_from_type_v2': {
      call: ([fn, , args]) => {
        const f = fn as { g?: PickleGlobal };
        if (!f?.g || !Array.isArray(args)) fail('IO_ERROR', `${op}: a tensor of an unknown type`);
        return f.g!.call(args as unknown[]);
      },
    },
    'torch.nn.parameter.Parameter': marker('Parameter'),
    'torch.Tensor': marker('Tensor'),
    'torch.Size': { call: ([dims]) => (Array.isArray(dims) ? [...dims] : []) },
    'torch.device': { call: ([d, i]) => (i === undefined || i === null ? String(d) : `${String(d)}:${String(i)}`) },
  };
  for (const name of Object.keys(STORAGES)) globals[`torch.${name}`] = marker(name);
  // what the persistent id's storage type resolves to: the marker's name
  const persistent = (id: unknown) => {
    if (id instanceof PyTuple && id[1] && typeof id[1] === 'object' && '__global' in id[1]) {
      const g = (id[1] as unknown as { g: { storage?: string } }).g;
      id[1] = { storage: g.storage };
    }
    return storageOf(id);
  };
  try {
    const value = tidy(() => {
      const v = toJs(unpickle(zip.read(pkl), globals, persistent, op));
      for (const t of storages.values()) t.dispose();
      return v;
    });
    return value;
  } catch (e) {
    for (const t of made) t.dispose();
    throw e;
  }
}

/**
 * Writes named tensors as torch.save writes a state dict (an OrderedDict of tensors in the zip
 * format), so `torch.load('model.pt')` in Python reads them (`weights_only=True` too), and
 * `load_state_dict` takes a tensorkit model's: its batch norms' `runningMean` / `runningVar` are
 * written under torch's names (`running_mean`, `running_var`; torch fills in its
 * `num_batches_tracked`). Atomic, as every write here.
 * @example io.saveTorch(model.stateDict(), 'model.pt')  // then in Python: model.load_state_dict(torch.load('model.pt'))
 */
export function saveTorch(tensors: Record<string, Tensor> | Map<string, Tensor>, path: string): void {
  const op = 'io.saveTorch';
  if (typeof path !== 'string' || path === '')
    fail('INVALID_ARGUMENT', `${op}: expected a file path, got ${describe(path)}`);
  const entries =
    tensors instanceof Map
      ? [...tensors]
      : isOptionsObject(tensors)
        ? Object.entries(tensors)
        : fail('INVALID_ARGUMENT', `${op}: expected an object or Map of tensors, got ${describe(tensors)}`);
  const w = new PickleWriter().global('collections', 'OrderedDict').op(0x29, 0x52, 0x28); // OrderedDict() MARK
  const files: [string, Uint8Array][] = [];
  entries.forEach(([k, t], i) => {
    if (typeof k !== 'string') fail('INVALID_ARGUMENT', `${op}: keys must be strings, got ${describe(k)}`);
    if (!(t instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: '${k}' is not a Tensor, got ${describe(t)}`);
    if (t.device !== 'cpu') fail('DEVICE_MISMATCH', `${op}: '${k}' is on ${t.device}; move it to the CPU first`);
    const key = k.replace(/(^|\.)runningMean$/, '$1running_mean').replace(/(^|\.)runningVar$/, '$1running_var');
    const n = t.numel();
    files.push([`archive/data/${i}`, n === 0 ? new Uint8Array(0) : storedBytes(t)]);
    const strides = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    w.str(key)
      .global('torch._utils', '_rebuild_tensor_v2')
      .op(0x28) // MARK: the rebuild's arguments
      .op(0x28)
      .str('storage')
      .global('torch', SAVE_NAMES[t.dtype])
      .str(String(i))
      .str('cpu')
      .int(n)
      .op(0x74, 0x51) // TUPLE, BINPERSID
      .int(0)
      .tuple(t.shape)
      .tuple(strides)
      .op(0x89) // requires_grad False
      .global('collections', 'OrderedDict')
      .op(0x29, 0x52) // backward hooks: OrderedDict()
      .op(0x74, 0x52); // TUPLE, REDUCE
  });
  w.op(0x75); // SETITEMS
  const enc = new TextEncoder();
  const zip = writeZip([
    ['archive/data.pkl', w.bytes()],
    ['archive/byteorder', enc.encode('little')],
    ...files,
    ['archive/version', enc.encode('3\n')],
  ]);
  writeFileAtomic(path, zip, op);
}
