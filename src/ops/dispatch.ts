// The op-call path: the one module that calls the addon's `call`. Tensor methods, nn.functional,
// nn.grad, the optimizers and the creation functions all run native ops through these functions,
// with op names from the generated list (a misspelled name is a compile error). A test fails if
// the addon's `call` is used anywhere else.
import { fileURLToPath } from 'node:url';

import { binding, type Attr, type Handle, type Operand } from '../binding.js';
import { fail } from '../errors.js';
import type { DType } from '../dtype.js';
import { handleMeta, wrap, type Tensor } from '../tensor.js';
import { OP_ID, OP_NAMES, type OpName } from './ops.generated.js';

export type { Attr, Operand, OpName };

// The generated ids are the C++ enum's order; an addon built from another ops.def must not load.
if (binding.opNames.length !== OP_NAMES.length || binding.opNames.some((n, i) => n !== OP_NAMES[i]))
  fail(
    'INTERNAL',
    'tensorkit: the native addon was built from a different op table than this package (rebuild it: npm rebuild tensorkit)',
  );

const attrBuf = binding.attrBuf;

/**
 * @internal What jit.trace listens with: every native op call, after it ran, with the operands
 * and result handles as passed (in-place ops have none).
 */
export interface OpRecorder {
  record(
    name: OpName,
    attrs: readonly Attr[] | undefined,
    inputs: readonly Operand[],
    outputs: readonly Handle[],
  ): void;
  /** A tensor's values were read into JS (`how`: item, data, ...). */
  read(h: Handle, how: string): void;
  /** `to` is a new handle to the same tensor as `from` (detach). */
  alias(from: Handle, to: Handle): void;
}
let recorder: OpRecorder | null = null;
/** @internal Sets the recorder (null: none); returns the previous one. */
export function setRecorder(r: OpRecorder | null): OpRecorder | null {
  const prev = recorder;
  recorder = r;
  return prev;
}
/** @internal The active recorder, if a trace is running. */
export function activeRecorder(): OpRecorder | null {
  return recorder;
}
/**
 * @internal What profiler listens with: every native op call's name, start and end
 * (performance.now() ms) and, when it asked for them, its tensor operands' shapes.
 */
export interface OpTimer {
  readonly recordShapes: boolean;
  op(name: OpName, start: number, end: number, shapes: number[][] | undefined): void;
}
let timer: OpTimer | null = null;
/** @internal Sets the op timer (null: none); returns the previous one. */
export function setOpTimer(t: OpTimer | null): OpTimer | null {
  const prev = timer;
  timer = t;
  return prev;
}
// The shapes of the tensor operands (read before the call: the call overwrites the meta slots).
function shapesOf(inputs: readonly (Operand | undefined)[]): number[][] {
  return inputs.filter((x): x is Handle => typeof x === 'number').map((h) => handleMeta(h).shape);
}
// Runs a native call under the timer.
function timed<T>(name: OpName, inputs: readonly (Operand | undefined)[], call: () => T): T {
  const t = timer!;
  const shapes = t.recordShapes ? shapesOf(inputs) : undefined;
  const start = performance.now();
  const res = call();
  t.op(name, start, performance.now(), shapes);
  return res;
}
/**
 * @internal What amp.autocast listens with: for an op it covers, the operands to call it with
 * instead and the cast tensors to dispose after the call; null to call it as given.
 */
export interface OpCaster {
  cast(name: OpName, inputs: readonly (Operand | undefined)[]): { inputs: Operand[]; temps: Tensor[] } | null;
}
let caster: OpCaster | null = null;
/** @internal Sets the caster (null: none); returns the previous one. */
export function setCaster(c: OpCaster | null): OpCaster | null {
  const prev = caster;
  caster = c;
  return prev;
}
// Runs call, then disposes the casts it was given.
function disposingAfter<T>(temps: readonly Tensor[], call: () => T): T {
  try {
    return call();
  } finally {
    for (const t of temps) t.dispose();
  }
}
// Anomaly detection (autograd.setDetectAnomaly): each op's graph node is told where it was called.
let tracing = false;
/** @internal Turns node tracing on or off (autograd.setDetectAnomaly does, with the native mode). */
export function setNodeTracing(on: boolean): void {
  tracing = on;
}
/** @internal Whether ops attach their call site to the nodes they record. */
export function nodeTracing(): boolean {
  return tracing;
}
// This library's own directory (src/ or dist/): its frames are left out of a trace.
const LIBRARY = fileURLToPath(new URL('..', import.meta.url));
/** @internal Attaches the caller's stack (outside this library and Node) to the nodes that made `handles`. */
export function traceNodes(name: string, handles: readonly Handle[]): void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  const frames = stack
    .split('\n')
    .slice(1)
    .filter((l) => !l.includes(LIBRARY) && !/\(node:|at node:/.test(l)); // nor Node's internals
  const trace = `${name}\n${frames.join('\n')}`;
  for (const h of handles) binding.setNodeTrace(h, trace);
}
// The handles a call's result gives to trace: its results, or an in-place op's target.
function traced(name: OpName, res: unknown, first: Operand | undefined) {
  const hs = res === undefined ? (typeof first === 'number' ? [first] : []) : Array.isArray(res) ? res : [res];
  if (hs.length) traceNodes(name, hs as Handle[]);
}

// The recorded form of a call: results as an array, operands without the trailing undefineds.
function note(
  name: OpName,
  attrs: readonly Attr[] | undefined,
  inputs: readonly (Operand | undefined)[],
  res: unknown,
) {
  const ins = inputs.filter((x): x is Operand => x !== undefined);
  recorder!.record(name, attrs, ins, res === undefined ? [] : Array.isArray(res) ? (res as Handle[]) : [res as Handle]);
}

/**
 * Encodes positional attributes into the shared buffer and returns their count, or returns them
 * unchanged (strings, or too many to fit) to be marshalled as a JS array. Per item: kind 0 none,
 * 1 number, 2 boolean, 3 integer list (length, then values); layout in bindings/convert.h.
 */
function encodeAttrs(attrs: readonly Attr[] | undefined): readonly Attr[] | number | undefined {
  if (attrs === undefined) return undefined;
  let p = 0;
  const cap = attrBuf.length;
  for (const a of attrs) {
    if (p + 2 > cap) return attrs;
    if (a === null || a === undefined) attrBuf[p++] = 0;
    else if (typeof a === 'number') {
      attrBuf[p++] = 1;
      attrBuf[p++] = a;
    } else if (typeof a === 'boolean') {
      attrBuf[p++] = 2;
      attrBuf[p++] = a ? 1 : 0;
    } else if (Array.isArray(a)) {
      if (p + 2 + a.length > cap) return attrs;
      attrBuf[p++] = 3;
      attrBuf[p++] = a.length;
      for (const v of a) {
        if (typeof v !== 'number') return attrs; // the array path reports the bad element
        attrBuf[p++] = v;
      }
    } else return attrs;
  }
  return attrs.length;
}

// Calls with exactly the operands given (napi_get_cb_info fills every slot a call leaves out, so
// the common arities are passed explicitly rather than spread).
function raw(
  name: OpName,
  attrs: readonly Attr[] | undefined,
  a?: Operand,
  b?: Operand,
  c?: Operand,
): ReturnType<typeof binding.call> {
  const cast = caster?.cast(name, [a, b, c]);
  if (cast)
    return disposingAfter(cast.temps, () => raw(name, attrs, ...(cast.inputs as [Operand?, Operand?, Operand?])));
  const id = OP_ID[name],
    enc = encodeAttrs(attrs);
  let res;
  if (timer) res = timed(name, [a, b, c], () => binding.call(id, enc, ...[a, b, c].filter((x) => x !== undefined)));
  else if (a === undefined) res = binding.call(id, enc);
  else if (b === undefined) res = binding.call(id, enc, a);
  else if (c === undefined) res = binding.call(id, enc, a, b);
  else res = binding.call(id, enc, a, b, c);
  if (recorder) note(name, attrs, [a, b, c], res);
  if (tracing) traced(name, res, a);
  return res;
}
// Calls with any number of operands.
function rawN(
  name: OpName,
  attrs: readonly Attr[] | undefined,
  inputs: readonly Operand[],
): ReturnType<typeof binding.call> {
  const cast = caster?.cast(name, inputs);
  if (cast) return disposingAfter(cast.temps, () => rawN(name, attrs, cast.inputs));
  const res = timer
    ? timed(name, inputs, () => binding.call(OP_ID[name], encodeAttrs(attrs), ...inputs))
    : binding.call(OP_ID[name], encodeAttrs(attrs), ...inputs);
  if (recorder) note(name, attrs, inputs, res);
  if (tracing) traced(name, res, inputs[0]);
  return res;
}

/**
 * Runs a native op of up to three operands with one result. `R` is the result's dtype as the op's
 * type rule gives it, which the caller states (usually through its own declared return type); it
 * is not checked here.
 */
export function op<R extends DType = DType>(
  name: OpName,
  attrs: readonly Attr[] | undefined,
  a?: Operand,
  b?: Operand,
  c?: Operand,
): Tensor<R> {
  return wrap(raw(name, attrs, a, b, c) as Handle) as Tensor<R>;
}

/** Runs a native op of any number of operands (cat, stack) with one result. */
export function opN<R extends DType = DType>(
  name: OpName,
  attrs: readonly Attr[] | undefined,
  inputs: readonly Operand[],
): Tensor<R> {
  return wrap(rawN(name, attrs, inputs) as Handle) as Tensor<R>;
}

/** Runs a native op with several results (values and indices). */
export function opMulti(
  name: OpName,
  attrs: readonly Attr[] | undefined,
  a?: Operand,
  b?: Operand,
  c?: Operand,
): Tensor[] {
  return (raw(name, attrs, a, b, c) as Handle[]).map((h, i) => wrap(h, i));
}

/** Runs a native op of any number of operands with several results (fused attention). */
export function opMultiN(name: OpName, attrs: readonly Attr[] | undefined, inputs: readonly Operand[]): Tensor[] {
  return (rawN(name, attrs, inputs) as Handle[]).map((h, i) => wrap(h, i));
}

/** Runs an in-place native op of up to three operands (the first is written). */
export function opInPlace(
  name: OpName,
  attrs: readonly Attr[] | undefined,
  a: Operand,
  b?: Operand,
  c?: Operand,
): void {
  raw(name, attrs, a, b, c);
}

/** Runs an in-place native op of any number of operands (the fused optimizer updates). */
export function opInPlaceN(name: OpName, attrs: readonly Attr[] | undefined, inputs: readonly Operand[]): void {
  rawN(name, attrs, inputs);
}
