// Checkpoints: any tree of plain values and tensors (model and optimizer state dicts, scheduler
// and callback state, counters, the RNG state) in one safetensors file. The tensors are stored as
// tensors, named by their path in the tree; the rest of the tree is JSON in the header's metadata,
// with each tensor replaced by {"$tensor": name}. Reading parses JSON and copies bytes; nothing
// in the file is ever executed. Python's safetensors library can open the tensors of a checkpoint.
import { fail } from '../errors.js';
import { describe } from '../options.js';
import { Tensor } from '../tensor.js';
import { loadWithMetadata, save, type LoadOptions } from './safetensors.js';

const FORMAT_KEY = 'format';
const FORMAT = 'tensorkit.checkpoint';
const TREE_KEY = 'tensorkit.checkpoint';
const VERSION_KEY = 'tensorkit.checkpoint.version';
const VERSION = '1';

/** A value a checkpoint can hold. */
export type CheckpointValue =
  | Tensor
  | number
  | string
  | boolean
  | bigint
  | null
  | undefined
  | CheckpointValue[]
  | { [key: string]: CheckpointValue };

function isPlainObject(v: object): boolean {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** Trees nest at most this deep (a Trainer's checkpoint is about 6); deeper is refused. */
const MAX_DEPTH = 1000;

// Replaces tensors, bigints and non-finite numbers by tagged objects; collects the tensors.
// Objects are built without a prototype, so any key ('__proto__' included) is an own key.
function encode(v: unknown, where: string, tensors: Record<string, Tensor>, seen: Set<object>, depth = 0): unknown {
  if (depth > MAX_DEPTH)
    fail(
      'INVALID_ARGUMENT',
      `io.saveCheckpoint: the state nests more than ${MAX_DEPTH} levels deep at '${where.slice(0, 200)}'`,
    );
  if (v instanceof Tensor) {
    tensors[where] = v;
    return { $tensor: where };
  }
  if (typeof v === 'bigint') return { $bigint: v.toString() };
  if (typeof v === 'number') return Number.isFinite(v) ? v : { $number: String(v) };
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'object') {
    if (seen.has(v)) fail('INVALID_ARGUMENT', `io.saveCheckpoint: '${where}' refers back to itself (a cycle)`);
    seen.add(v);
    let r: unknown;
    if (Array.isArray(v)) r = v.map((x, i) => encode(x, `${where}/${i}`, tensors, seen, depth + 1));
    else if (isPlainObject(v)) {
      const o: Record<string, unknown> = Object.create(null);
      for (const [k, x] of Object.entries(v)) {
        if (x === undefined) continue;
        if (k.startsWith('$'))
          fail(
            'INVALID_ARGUMENT',
            `io.saveCheckpoint: key '${k}' at '${where}' starts with '$', which marks stored values`,
          );
        o[k] = encode(x, where ? `${where}/${k}` : k, tensors, seen, depth + 1);
      }
      r = o;
    } else
      fail(
        'INVALID_ARGUMENT',
        `io.saveCheckpoint: '${where}' is a ${describe(v)}; a checkpoint holds tensors, numbers, strings, booleans, bigints, arrays and plain objects`,
      );
    seen.delete(v);
    return r;
  }
  return fail('INVALID_ARGUMENT', `io.saveCheckpoint: '${where}' is a ${typeof v}, which a checkpoint cannot hold`);
}

// Rebuilds the tree. Every lookup is of an own key and every object has no prototype: a name in
// the file ('constructor', '__proto__') can neither reach an inherited value nor replace one.
function decode(
  v: unknown,
  path: string,
  file: string,
  tensors: Record<string, Tensor>,
  used: Set<string>,
  depth = 0,
): unknown {
  const bad = (what: string) => fail('IO_ERROR', `io.loadCheckpoint: '${file}' is corrupt: ${what}`);
  if (depth > MAX_DEPTH) bad(`the state nests more than ${MAX_DEPTH} levels deep`);
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x, i) => decode(x, `${path}/${i}`, file, tensors, used, depth + 1));
  const o = v as Record<string, unknown>;
  const marker = ['$tensor', '$bigint', '$number'].filter((k) => Object.hasOwn(o, k));
  if (marker.length && Object.keys(o).length !== 1)
    bad(`'${path}' mixes the stored-value marker '${marker[0]}' with other keys`);
  if (Object.hasOwn(o, '$tensor')) {
    const name = o.$tensor;
    if (typeof name !== 'string' || !Object.hasOwn(tensors, name))
      return bad(`'${path}' refers to a missing tensor ${describe(name)}`);
    if (used.has(name)) return bad(`tensor '${name}' is referred to twice`);
    used.add(name);
    return tensors[name];
  }
  if (Object.hasOwn(o, '$bigint')) {
    if (typeof o.$bigint !== 'string' || !/^-?\d+$/.test(o.$bigint))
      return bad(`'${path}' holds an invalid bigint ${describe(o.$bigint)}`);
    return BigInt(o.$bigint);
  }
  if (Object.hasOwn(o, '$number')) {
    const n = Number(o.$number);
    if (!['NaN', 'Infinity', '-Infinity'].includes(o.$number as string))
      return bad(`'${path}' holds an invalid number ${describe(o.$number)}`);
    return n;
  }
  const r: Record<string, unknown> = Object.create(null);
  for (const [k, x] of Object.entries(o)) {
    if (k.startsWith('$')) bad(`'${path}' holds the reserved key ${describe(k)}`);
    r[k] = decode(x, path ? `${path}/${k}` : k, file, tensors, used, depth + 1);
  }
  return r;
}

/**
 * Saves a training state (any tree of tensors and plain values) to one file, atomically.
 * @example io.saveCheckpoint({ model: model.stateDict(), optimizer: opt.stateDict(), epoch: 3 }, 'run.ckpt')
 */
export function saveCheckpoint(state: Record<string, CheckpointValue>, path: string): void {
  if (typeof path !== 'string' || path === '')
    fail('INVALID_ARGUMENT', `io.saveCheckpoint: expected a file path, got ${describe(path)}`);
  if (state === null || typeof state !== 'object' || Array.isArray(state) || !isPlainObject(state))
    fail('INVALID_ARGUMENT', `io.saveCheckpoint: expected a plain object, got ${describe(state)}`);
  const tensors: Record<string, Tensor> = Object.create(null);
  const tree = encode(state, '', tensors, new Set());
  save(tensors, path, { metadata: { [FORMAT_KEY]: FORMAT, [VERSION_KEY]: VERSION, [TREE_KEY]: JSON.stringify(tree) } });
}

/**
 * Loads a checkpoint written by saveCheckpoint: the same tree, with new tensors (dispose them, or
 * load them into a model, which copies). Objects in the tree have no prototype (keys come from
 * the file; none can shadow or replace an inherited member).
 * @example const ckpt = io.loadCheckpoint('run.ckpt'); model.loadStateDict(ckpt.model as Record<string, Tensor>);
 */
export function loadCheckpoint(path: string, options: LoadOptions = {}): Record<string, CheckpointValue> {
  const { tensors, metadata } = loadWithMetadata(path, options);
  const all = Object.values(tensors);
  try {
    if (metadata[FORMAT_KEY] !== FORMAT || typeof metadata[TREE_KEY] !== 'string')
      fail(
        'IO_ERROR',
        `io.loadCheckpoint: '${path}' is a safetensors file but not a tensorkit checkpoint (load it with io.load)`,
      );
    if (metadata[VERSION_KEY] !== VERSION)
      fail(
        'IO_ERROR',
        `io.loadCheckpoint: '${path}' has checkpoint version ${describe(metadata[VERSION_KEY])}, this library reads version ${VERSION}`,
      );
    let tree: unknown;
    try {
      tree = JSON.parse(metadata[TREE_KEY]);
    } catch (e) {
      fail(
        'IO_ERROR',
        `io.loadCheckpoint: '${path}' is corrupt: its state is not valid JSON (${(e as Error).message})`,
      );
    }
    if (tree === null || typeof tree !== 'object' || Array.isArray(tree))
      fail('IO_ERROR', `io.loadCheckpoint: '${path}' is corrupt: its state is not an object`);
    const used = new Set<string>();
    const out = decode(tree, '', path, tensors, used) as Record<string, CheckpointValue>;
    for (const [k, t] of Object.entries(tensors)) if (!used.has(k)) t.dispose(); // stray tensors
    return out;
  } catch (e) {
    for (const t of all) t.dispose();
    throw e;
  }
}
