// onnx.load: an ONNX model as a jit graph. The model is run once by an interpreter that maps each
// ONNX op onto tensorkit ops, under jit.trace, which records the native calls; the trace runs it
// again with each dynamic axis one longer to find the attributes that follow it. Shape arithmetic
// (Shape, Gather, Unsqueeze, Concat, Cast, ... on small integer tensors) is computed in JS, so
// it leaves no ops: PyTorch's `x.view(x.size(0), -1)` becomes one reshape whose batch size
// follows the input.
import fs from 'node:fs';

import type { Handle } from '../binding.js';
import { fail, TensorError } from '../errors.js';
import type { Graph } from '../jit/graph.js';
import { traceWith } from '../jit/trace.js';
import { zeros } from '../ops/creation.js';
import { describe } from '../options.js';
import { fromStoredBytes, type Tensor } from '../tensor.js';
import { Interp, ints, numelOf, OPS, SMALL } from './import_ops.js';
import { parseModel, type ParsedModel } from './parse.js';

const MAX_PROBE = 1 << 26; // elements of one probe input

/**
 * ONNX op types onnx.load supports.
 * @example onnx.SUPPORTED_OPS.includes('LSTM') // true
 */
export const SUPPORTED_OPS: readonly string[] = Object.keys(OPS).sort();

function readModel(path: string): ParsedModel {
  if (typeof path !== 'string' || path === '')
    fail('INVALID_ARGUMENT', `onnx.load: expected a file path, got ${describe(path)}`);
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path);
  } catch (e) {
    return fail('IO_ERROR', `onnx.load: cannot read '${path}': ${(e as Error).message}`);
  }
  return parseModel(bytes, path);
}

function initializerTensors(m: ParsedModel): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  try {
    for (const t of m.initializers) {
      if (!t.name) fail('IO_ERROR', 'onnx.load: an initializer has no name');
      if (out.has(t.name)) fail('IO_ERROR', `onnx.load: two initializers are named '${t.name}'`);
      out.set(t.name, fromStoredBytes(t.bytes, t.dtype, t.dims));
    }
  } catch (e) {
    for (const t of out.values()) t.dispose();
    throw e;
  }
  return out;
}

/**
 * The weights of an ONNX model by initializer name, to load into a tensorkit module (the names
 * are those of the exporter: tensorkit and PyTorch keep the parameters' names).
 * @example model.loadStateDict(onnx.loadWeights('resnet.onnx'), { strict: false })
 */
export function loadWeights(path: string): Record<string, Tensor> {
  return Object.fromEntries(initializerTensors(readModel(path)));
}

/**
 * Loads an ONNX model as a jit graph that runs natively (`run`, `runAsync`). Input dims given
 * by name in the file stay dynamic. Unsupported ops are listed in one NOT_IMPLEMENTED error; a
 * damaged or hostile file is an IO_ERROR.
 * @example const g = onnx.load('model.onnx'); const y = g.run({ input: x })
 */
export function load(path: string): Graph {
  const m = readModel(path);
  const missing = m.nodes.filter((n) => (n.domain !== '' && n.domain !== 'ai.onnx') || !OPS[n.opType]);
  if (missing.length)
    fail(
      'NOT_IMPLEMENTED',
      `onnx.load: '${path}' uses ops tensorkit cannot run: ${missing
        .slice(0, 50)
        .map((n) => `${n.domain ? `${n.domain}.` : ''}${n.opType} (node '${n.name}')`)
        .join(', ')}${missing.length > 50 ? `, and ${missing.length - 50} more` : ''}`,
    );
  for (const n of m.nodes)
    for (const a of n.attrs.values())
      if (a.kind === 'graph') fail('NOT_IMPLEMENTED', `onnx.load: node '${n.name}' (${n.opType}) has a subgraph`);
  const inits = initializerTensors(m);
  const interp = new Interp(m, path);
  try {
    const inputs = m.inputs.filter((i) => !inits.has(i.name));
    const dynamic: Record<string, Record<number, string>> = {};
    const probes = inputs.map((info) => {
      if (info.unknownShape) interp.bad(null, `input '${info.name}' has no shape`);
      const dims = info.shape.map((d, k) => {
        if (typeof d === 'number' && d > 0) return d;
        (dynamic[info.name] ??= {})[k] = typeof d === 'string' && d ? d : `${info.name}_dim${k}`;
        return 2;
      });
      if (numelOf(dims) > MAX_PROBE)
        interp.bad(null, `input '${info.name}' of shape [${dims.join(', ')}] is too large`);
      return zeros(dims, { dtype: info.dtype });
    });
    const names = new Map<Handle, string>();
    for (const [k, t] of inits) names.set(t._h, k);
    const run = (...xs: Tensor[]) => {
      interp.values.clear();
      for (const [k, t] of inits) {
        const small = (t.dtype === 'int64' || t.dtype === 'int32') && t.numel() <= SMALL;
        interp.values.set(
          k,
          small ? ints(Array.from(t.data() as ArrayLike<number | bigint>, Number), [...t.shape], t.dtype) : t,
        );
      }
      inputs.forEach((info, i) => interp.values.set(info.name, xs[i]));
      for (const n of m.nodes) {
        try {
          OPS[n.opType](interp, n);
        } catch (e) {
          if (e instanceof TensorError && (e.code === 'IO_ERROR' || e.code === 'NOT_IMPLEMENTED')) throw e;
          interp.bad(n, e instanceof Error ? e.message : String(e));
        }
      }
      const outs = m.outputs.map((o) => {
        const v = interp.values.get(o.name);
        if (!v) interp.bad(null, `output '${o.name}' is never computed`);
        return interp.tensorOf(v!);
      });
      return outs.length === 1 ? outs[0] : outs;
    };
    try {
      const g = traceWith(
        run,
        probes,
        { dynamicAxes: dynamic, inputNames: inputs.map((i) => i.name), outputNames: m.outputs.map((o) => o.name) },
        names,
        false,
      );
      g.warnings = [];
      return g;
    } finally {
      for (const p of probes) p.dispose();
    }
  } finally {
    for (const t of inits.values()) t.dispose();
    for (const t of interp.made) t.dispose();
  }
}
