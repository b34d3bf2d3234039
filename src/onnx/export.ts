// onnx.export: a jit graph (traced here from a module when one is given) written as an ONNX model.
// Each native op maps to ONNX ops through one table; some module calls (BatchNorm, LayerNorm,
// LSTM, GRU) map to one ONNX op each; subexpressions of constants are folded. Every op that has
// no mapping is listed in one NOT_IMPLEMENTED error.
import { fail } from '../errors.js';
import { writeFileAtomic } from '../io/files.js';
import { foldNode, Graph, type GraphNode } from '../jit/graph.js';
import { trace, type TraceOptions } from '../jit/trace.js';
import { Module } from '../nn/module.js';
import type { OpName } from '../ops/ops.generated.js';
import { checkOptions, describe } from '../options.js';
import { Tensor } from '../tensor.js';
import { Ctx } from './export_ctx.js';
import { MODULES, selfContained } from './export_modules.js';
import { EXPORTERS } from './export_ops.js';
import { writeModel } from './proto.js';

/** Options of `onnx.export`. */
export interface ExportOptions {
  /** Opset version, 13 to 18 (default 17). */
  opset?: number;
  /** As jit.trace's, by input name: axes whose size may change. */
  dynamicAxes?: TraceOptions['dynamicAxes'];
  inputNames?: readonly string[];
  outputNames?: readonly string[];
  /** Fold subexpressions of constants into initializers (default true). */
  doConstantFolding?: boolean;
}

const IR_VERSION = 8;

// ---- the exporter -------------------------------------------------------------------------------

function fold(c: Ctx, n: GraphNode): boolean {
  if (!c.fold) return false;
  const res = foldNode(n, (s) => {
    const k = c.known.get(s);
    return k === undefined ? undefined : k instanceof Tensor ? k._h : ([k] as const);
  });
  if (!res) return false;
  res.forEach((t, k) => {
    c.keep(t);
    c.known.set(n.outputs[k], t);
    c.names[n.outputs[k]] = c.fresh('folded');
  });
  return true;
}

/**
 * The ONNX model of a graph as byte chunks (what `export` writes), to send or embed without a file.
 * @example const bytes = Buffer.concat(onnx.toOnnx(jit.trace(model, [x])))
 */
export function toOnnx(g: Graph, options: { opset?: number; doConstantFolding?: boolean } = {}): Uint8Array[] {
  if (!(g instanceof Graph)) fail('INVALID_ARGUMENT', `onnx.toOnnx: expected a jit.Graph, got ${describe(g)}`);
  const opts = checkOptions('onnx.toOnnx', options, { opset: 'integer', doConstantFolding: 'boolean' });
  const opset = opts.opset ?? 17;
  if (!Number.isInteger(opset) || opset < 13 || opset > 18)
    fail('INVALID_ARGUMENT', `onnx.export: opset must be 13 to 18, got ${describe(opts.opset)}`);
  const c = new Ctx(g, opset, opts.doConstantFolding ?? true);
  try {
    // Graph outputs are written by their producers under the output names.
    const outNames = new Map<number, string>();
    for (const o of g.outputs)
      if (!outNames.has(o.slot) && !g.inputs.some((i) => i.slot === o.slot) && !g.constants.has(o.slot)) {
        outNames.set(o.slot, o.name);
        c.names[o.slot] = o.name;
      }
    const calls = [...g.modules].filter((m) => MODULES[m.type]).sort((a, b) => a.first - b.first || b.last - a.last);
    let ci = 0;
    for (let i = 0; i < g.nodes.length; i++) {
      while (ci < calls.length && calls[ci].first < i) ci++;
      const call = calls[ci];
      if (call && call.first === i && call.last > i && selfContained(g, call) && MODULES[call.type](c, call)) {
        i = call.last - 1;
        ci++;
        continue;
      }
      const n = g.nodes[i];
      if (fold(c, n)) continue;
      const base = n.op.endsWith('_') ? (n.op.slice(0, -1) as OpName) : n.op;
      const ex = EXPORTERS[base];
      if (!ex) {
        c.missing.add(n.op);
        continue;
      }
      if (base !== n.op) {
        // In place: the result gets a new name that later reads of the slot use.
        const slot = n.inputs[0];
        if (c.known.has(slot)) {
          c.missing.add(`${n.op} on a constant`);
          continue;
        }
        // The exporter reads the slot under its old name and writes it under the new one.
        c.renamed.set(slot, c.fresh(base));
        ex(c, { ...n, outputs: [slot] });
      } else ex(c, n);
    }
    if (c.missing.size)
      fail(
        'NOT_IMPLEMENTED',
        `onnx.export: no ONNX mapping for ${[...c.missing].map((m) => `'${m}'`).join(', ')} (opset ${opset})`,
      );
    for (const o of g.outputs) {
      if (outNames.get(o.slot) === o.name && c.emitted.has(o.slot)) continue;
      c.emit('Identity', [c.read(o.slot)], [o.name]);
    }
    return writeModel({
      irVersion: IR_VERSION,
      opset,
      producer: 'tensorkit',
      graphName: 'tensorkit',
      nodes: c.nodes,
      initializers: [...c.inits.values()],
      inputs: g.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: i.shape })),
      outputs: g.outputs.map((o) => ({ name: o.name, dtype: o.dtype, shape: o.shape })),
    });
  } finally {
    c.dispose();
  }
}

/**
 * Writes a module (traced on `example`) or a jit graph as an ONNX model, atomically. Default
 * opset 17 (IR 8); 13 to 18 are accepted.
 * @example onnx.export(model, [x], 'model.onnx', { dynamicAxes: { input0: { 0: 'batch' } } })
 */
export function exportModel(
  target: Module | Graph,
  example: Tensor | readonly Tensor[] | null,
  path: string,
  options: ExportOptions = {},
): void {
  const op = 'onnx.export';
  const o = checkOptions(op, options, {
    opset: 'integer',
    dynamicAxes: 'any',
    inputNames: 'any',
    outputNames: 'any',
    doConstantFolding: 'boolean',
  });
  if (typeof path !== 'string' || path === '')
    fail('INVALID_ARGUMENT', `${op}: expected a file path, got ${describe(path)}`);
  let g: Graph;
  let own = false;
  if (target instanceof Graph) g = target;
  else if (target instanceof Module) {
    if (!example) fail('INVALID_ARGUMENT', `${op}: a module needs example inputs to trace`);
    g = trace(target, example, { dynamicAxes: o.dynamicAxes, inputNames: o.inputNames, outputNames: o.outputNames });
    own = true;
  } else return fail('INVALID_ARGUMENT', `${op}: expected a Module or a jit.Graph, got ${describe(target)}`);
  try {
    writeFileAtomic(path, toOnnx(g, { opset: o.opset, doConstantFolding: o.doConstantFolding }), op);
  } finally {
    if (own) g.dispose();
  }
}
