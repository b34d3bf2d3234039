// Module calls onnx.export writes as one ONNX op each: BatchNorm1d/2d/3d (BatchNormalization),
// LayerNorm (LayerNormalization, opset 17+), LSTM and GRU (gates reordered to ONNX's order).
import type { Graph, ModuleCall } from '../jit/graph.js';
import { zeros } from '../ops/creation.js';
import { cat, stack } from '../ops/functional.js';
import { tidy } from '../memory.js';
import { storedBytes, type Tensor } from '../tensor.js';
import { int, ints, type Ctx } from './export_ctx.js';
import type { OnnxAttr } from './proto.js';

type ModuleExporter = (c: Ctx, call: ModuleCall) => boolean;

function constantNamed(c: Ctx, name: string): number | undefined {
  for (const [slot, k] of c.g.constants) if ('tensor' in k && k.name === name) return slot;
  return undefined;
}
function param(c: Ctx, call: ModuleCall, ...names: string[]): number | undefined {
  for (const n of names) {
    const s = constantNamed(c, call.path ? `${call.path}.${n}` : n);
    if (s !== undefined) return s;
  }
  return undefined;
}
function filled(c: Ctx, like: number, v: number): string {
  const t = c.known.get(like) as Tensor;
  const f = c.keep(v === 0 ? t.mul(0) : t.mul(0).add(v));
  return c.init(f.dtype, [...f.shape], storedBytes(f));
}

const batchNorm: ModuleExporter = (c, call) => {
  const mean = param(c, call, 'runningMean', 'running_mean'),
    v = param(c, call, 'runningVar', 'running_var');
  if (mean === undefined || v === undefined || call.inputs[0] < 0 || call.outputs.length !== 1) return false;
  const w = param(c, call, 'weight'),
    b = param(c, call, 'bias');
  const eps = (call.config['options.eps'] as number | undefined) ?? 1e-5;
  c.emit(
    'BatchNormalization',
    [
      c.read(call.inputs[0]),
      w !== undefined ? c.read(w) : filled(c, mean, 1),
      b !== undefined ? c.read(b) : filled(c, mean, 0),
      c.read(mean),
      c.read(v),
    ],
    [c.out(call.outputs[0])],
    { epsilon: { kind: 'float', v: eps } },
  );
  return true;
};

const layerNorm: ModuleExporter = (c, call) => {
  if (c.opset < 17 || call.inputs[0] < 0 || call.outputs.length !== 1) return false;
  const shape = call.config.normalizedShape as number[] | undefined;
  const w = param(c, call, 'weight'),
    b = param(c, call, 'bias');
  if (!shape || w === undefined || b === undefined) return false;
  const eps = (call.config['options.eps'] as number | undefined) ?? 1e-5;
  c.emit('LayerNormalization', [c.read(call.inputs[0]), c.read(w), c.read(b)], [c.out(call.outputs[0])], {
    axis: int(-shape.length),
    epsilon: { kind: 'float', v: eps },
  });
  return true;
};

// ONNX orders LSTM gates i, o, f, c where PyTorch has i, f, g, o; GRU z, r, h where PyTorch has r, z, n.
const GATE_ORDER: Record<string, number[]> = { LSTM: [0, 3, 1, 2], GRU: [1, 0, 2] };

const recurrent: ModuleExporter = (c, call) => {
  const cell = call.type;
  const cfg = call.config;
  const H = cfg.hiddenSize as number,
    L = cfg.numLayers as number,
    bidir = cfg.bidirectional === true,
    batchFirst = cfg.batchFirst === true;
  const lstm = cell === 'LSTM';
  const x = call.inputs[0];
  // Initial states given: keep the traced ops (ONNX takes them, but their layout differs per layer).
  if (x < 0 || call.inputs.slice(1).some((s) => s >= 0)) return false;
  const nd = c.shape(x).length;
  const order = GATE_ORDER[cell];
  const dirs = bidir ? 2 : 1;
  const gates = order.length;
  const reorder = (t: Tensor) => {
    const chunks = Array.from({ length: gates }, (_, i) => t.narrow(0, i * H, H));
    return cat(
      order.map((i) => chunks[i]),
      0,
    );
  };
  let X = c.read(x);
  if (nd === 2) X = c.emit('Unsqueeze', [X, c.int64s([1])])[0];
  else if (batchFirst) X = c.emit('Transpose', [X], 1, { perm: ints([1, 0, 2]) })[0];
  const hs: string[] = [],
    cs: string[] = [];
  for (let l = 0; l < L; l++) {
    const get = (kind: string, sfx: string) => {
      const s = param(c, call, `${kind}_l${l}${sfx}`);
      return s === undefined ? undefined : (c.known.get(s) as Tensor);
    };
    const sfxs = bidir ? ['', '_reverse'] : [''];
    const ws = sfxs.map((s) => get('weight_ih', s)),
      rs = sfxs.map((s) => get('weight_hh', s));
    if (ws.some((w) => !w) || rs.some((r) => !r)) return false;
    const [W, R, B] = tidy(() => {
      const bias = sfxs.map((s) => {
        const bi = get('bias_ih', s),
          bh = get('bias_hh', s);
        return bi && bh ? cat([reorder(bi), reorder(bh)], 0) : zeros([2 * gates * H], { dtype: ws[0]!.dtype });
      });
      return [
        stack(
          ws.map((w) => reorder(w!)),
          0,
        ),
        stack(
          rs.map((r) => reorder(r!)),
          0,
        ),
        stack(bias, 0),
      ].map((t) => c.keep(t.contiguous()));
    });
    const pre = `${call.path || cell}.onnx_l${l}`;
    const ins = [
      X,
      c.init(W.dtype, [...W.shape], storedBytes(W), `${pre}.W`),
      c.init(R.dtype, [...R.shape], storedBytes(R), `${pre}.R`),
      c.init(B.dtype, [...B.shape], storedBytes(B), `${pre}.B`),
    ];
    const attrs: Record<string, OnnxAttr> = {
      hidden_size: int(H),
      direction: { kind: 'string', v: bidir ? 'bidirectional' : 'forward' },
    };
    if (!lstm) attrs.linear_before_reset = int(1);
    const outs = c.emit(cell, ins, lstm ? 3 : 2, attrs);
    hs.push(outs[1]);
    if (lstm) cs.push(outs[2]);
    // Y [T, dirs, N, H] -> [T, N, dirs * H]
    const y = c.emit('Transpose', [outs[0]], 1, { perm: ints([0, 2, 1, 3]) })[0];
    X = c.emit('Reshape', [y, c.int64s([0, 0, dirs * H])])[0];
  }
  const [outSlot, hSlot, cSlot] = call.outputs;
  const finish = (v: string, slot: number | undefined, unbatchedAxis: number) => {
    if (slot === undefined || slot < 0) return;
    if (nd === 2) c.emit('Squeeze', [v, c.int64s([unbatchedAxis])], [c.out(slot)]);
    else c.emit('Identity', [v], [c.out(slot)]);
  };
  const out = nd === 3 && batchFirst ? c.emit('Transpose', [X], 1, { perm: ints([1, 0, 2]) })[0] : X;
  finish(out, outSlot, 1);
  finish(hs.length === 1 ? hs[0] : c.emit('Concat', hs, 1, { axis: int(0) })[0], hSlot, 1);
  if (lstm) finish(cs.length === 1 ? cs[0] : c.emit('Concat', cs, 1, { axis: int(0) })[0], cSlot, 1);
  return true;
};

export const MODULES: Record<string, ModuleExporter> = {
  BatchNorm1d: batchNorm,
  BatchNorm2d: batchNorm,
  BatchNorm3d: batchNorm,
  LayerNorm: layerNorm,
  LSTM: recurrent,
  GRU: recurrent,
};

// A module call can be written as one op when nothing it computed inside is read outside it
// except its results.
export function selfContained(g: Graph, call: ModuleCall): boolean {
  const inside = new Set<number>();
  for (let i = call.first; i < call.last; i++) for (const s of g.nodes[i].outputs) inside.add(s);
  const results = new Set(call.outputs);
  for (let i = call.last; i < g.nodes.length; i++)
    for (const s of g.nodes[i].inputs) if (inside.has(s) && !results.has(s)) return false;
  for (const o of g.outputs) if (inside.has(o.slot) && !results.has(o.slot)) return false;
  for (let i = call.first; i < call.last; i++) if (g.nodes[i].op.endsWith('_')) return false;
  return call.outputs.every((s) => s < 0 || inside.has(s));
}
