// A served model's signature: its inputs and outputs with KServe v2 datatypes and shapes (a name
// where a dim is dynamic), made from the graph and checked against the config; and the check of a
// request's tensors against it, which turns every mismatch into a 400 naming the input.
import { ITEMSIZE, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import type { Graph, SymDim } from '../jit/graph.js';
import type { Tensor } from '../tensor.js';
import type { ModelConfig, TensorConfig } from './config.js';
import { badRequest } from './errors.js';

/** KServe v2 / Triton datatype names of tensorkit's dtypes. */
export const V2_DATATYPE: Record<DType, string> = {
  float32: 'FP32',
  float64: 'FP64',
  int32: 'INT32',
  int64: 'INT64',
  bool: 'BOOL',
  float16: 'FP16',
  bfloat16: 'BF16',
};
const DTYPE_OF_V2 = new Map(Object.entries(V2_DATATYPE).map(([d, v]) => [v, d as DType]));

/** One input or output as served: `shape` holds a symbol name where the dim is dynamic. */
export interface TensorSpec {
  name: string;
  dtype: DType;
  datatype: string;
  shape: SymDim[];
}

/** The served model's inputs and outputs; `batched` when every one has the same dynamic dim 0. */
export interface Signature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  batched: boolean;
}

/** The shape as KServe v2 metadata gives it: -1 for a dynamic dim. */
export function v2Shape(shape: readonly SymDim[]): number[] {
  return shape.map((d) => (typeof d === 'number' ? d : -1));
}

function specOf(
  op: string,
  kind: string,
  i: number,
  g: { name: string; dtype: DType; shape: SymDim[] },
  c?: TensorConfig,
): TensorSpec {
  const where = `${op}: ${kind}[${i}] ('${g.name}')`;
  if (c?.datatype !== undefined) {
    const d =
      DTYPE_OF_V2.get(c.datatype.toUpperCase()) ?? (c.datatype in V2_DATATYPE ? (c.datatype as DType) : undefined);
    if (d === undefined) fail('INVALID_ARGUMENT', `${where}: unknown datatype '${c.datatype}'`);
    if (d !== g.dtype)
      fail('INVALID_ARGUMENT', `${where}: the config says ${c.datatype}, the graph has ${V2_DATATYPE[g.dtype]}`);
  }
  let shape = g.shape;
  if (c?.shape !== undefined) {
    if (c.shape.length !== g.shape.length)
      fail(
        'INVALID_ARGUMENT',
        `${where}: the config's shape [${c.shape}] has rank ${c.shape.length}, the graph's [${v2Shape(g.shape)}] rank ${g.shape.length}`,
      );
    shape = g.shape.map((d, k) => {
      const want = c.shape![k];
      if (want === -1) return d;
      if (typeof d === 'number' && d !== want)
        fail('INVALID_ARGUMENT', `${where}: the config's dim ${k} is ${want}, the graph's is ${d}`);
      return want; // a dynamic graph dim the config fixes
    });
  }
  return { name: c?.name ?? g.name, dtype: g.dtype, datatype: V2_DATATYPE[g.dtype], shape };
}

/** The signature of `graph` as `cfg` serves it (names, datatypes and shapes checked against the graph). */
export function signatureOf(op: string, graph: Graph, cfg: ModelConfig): Signature {
  for (const key of ['inputs', 'outputs'] as const)
    if (cfg[key] && cfg[key]!.length !== graph[key].length)
      fail(
        'INVALID_ARGUMENT',
        `${op}: the config lists ${cfg[key]!.length} ${key}, the graph has ${graph[key].length}`,
      );
  const inputs = graph.inputs.map((g, i) => specOf(op, 'inputs', i, g, cfg.inputs?.[i]));
  const outputs = graph.outputs.map((g, i) => specOf(op, 'outputs', i, g, cfg.outputs?.[i]));
  for (const list of [inputs, outputs]) {
    const seen = new Set<string>();
    for (const s of list) {
      if (seen.has(s.name)) fail('INVALID_ARGUMENT', `${op}: two tensors are named '${s.name}'`);
      seen.add(s.name);
    }
  }
  const all = [...inputs, ...outputs];
  const b = inputs[0]?.shape[0];
  const batched = typeof b === 'string' && all.every((s) => s.shape[0] === b);
  return { inputs, outputs, batched };
}

/** A request's tensor before its values are read: from JSON `data`, or bytes of the binary extension. */
export interface WireTensor {
  name: string;
  datatype: string;
  shape: number[];
  data?: unknown;
  bytes?: Uint8Array;
  /** A tensor a handler made (its values need no check). */
  tensor?: Tensor;
}

/**
 * Checks the request's inputs against the signature: the same names, datatypes, ranks, fixed dims,
 * one size per dynamic dim, the batch under `maxBatchSize`, and an element count (or byte count)
 * that matches the shape. Returns them in signature order with the request's row count.
 */
export function checkInputs(
  sig: Signature,
  maxBatchSize: number,
  wire: WireTensor[],
): { ordered: WireTensor[]; rows: number } {
  const byName = new Map<string, WireTensor>();
  for (const w of wire) {
    if (byName.has(w.name)) badRequest(`input '${w.name}' is given twice`);
    if (!sig.inputs.some((s) => s.name === w.name))
      badRequest(
        `unknown input '${w.name}'; the model's inputs are ${sig.inputs.map((s) => `'${s.name}'`).join(', ')}`,
      );
    byName.set(w.name, w);
  }
  const sizes = new Map<string, number>();
  const ordered = sig.inputs.map((s) => {
    const w = byName.get(s.name);
    if (!w) badRequest(`missing input '${s.name}' (${s.datatype} [${v2Shape(s.shape)}])`);
    if (w.datatype !== s.datatype)
      badRequest(`input '${s.name}': datatype ${w.datatype} given, the model takes ${s.datatype}`);
    if (w.shape.length !== s.shape.length)
      badRequest(
        `input '${s.name}': shape [${w.shape}] has rank ${w.shape.length}, the model takes [${v2Shape(s.shape)}]`,
      );
    s.shape.forEach((d, k) => {
      const got = w.shape[k];
      if (typeof d === 'number') {
        if (got !== d)
          badRequest(`input '${s.name}': dim ${k} is ${got}, the model takes ${d} (shape [${v2Shape(s.shape)}])`);
      } else {
        if (got < 1) badRequest(`input '${s.name}': dim ${k} is ${got}, it must be at least 1`);
        const prev = sizes.get(d);
        if (prev !== undefined && prev !== got)
          badRequest(`input '${s.name}': dim ${k} ('${d}') is ${got}, another input has ${prev} there`);
        sizes.set(d, got);
      }
    });
    const count = w.shape.reduce((a, b) => a * b, 1);
    if (w.bytes !== undefined) {
      const want = count * ITEMSIZE[s.dtype];
      if (w.bytes.length !== want)
        badRequest(
          `input '${s.name}': ${w.bytes.length} bytes of binary data, shape [${w.shape}] of ${s.datatype} needs ${want}`,
        );
    } else if (!w.tensor && !Array.isArray(w.data) && !(w.data instanceof Float64Array))
      badRequest(`input '${s.name}': 'data' must be an array`);
    return w;
  });
  const rows = sig.batched ? ordered[0].shape[0] : 1;
  if (sig.batched && maxBatchSize > 0 && rows > maxBatchSize)
    badRequest(`the batch of ${rows} rows is over the model's maxBatchSize of ${maxBatchSize}`);
  return { ordered, rows };
}
