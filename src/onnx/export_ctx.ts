// The state of one ONNX export: value names, emitted nodes, initializers and known constants,
// plus the attribute readers the op and module exporters share (export_ops.ts, export_modules.ts).
import type { Attr } from '../binding.js';
import type { DType } from '../dtype.js';
import { fail } from '../errors.js';
import type { Graph, GraphNode } from '../jit/graph.js';
import { tensor } from '../ops/creation.js';
import { storedBytes, Tensor } from '../tensor.js';
import { ONNX_DTYPE, type OnnxAttr, type OnnxNode, type OnnxTensor } from './proto.js';

/** An integer that may depend on a dynamic axis: a * size(sym) + b. */
export type Aff = number | { sym: string; a: number; b: number };

export class Ctx {
  readonly nodes: OnnxNode[] = [];
  readonly inits = new Map<string, OnnxTensor>();
  readonly names: string[];
  readonly missing = new Set<string>();
  /** Known values of slots: constants and folded results (tensors), or scalar operands. */
  readonly known = new Map<number, Tensor | number | boolean | bigint>();
  private readonly constName = new Map<string, string>();
  private readonly symCache = new Map<string, string>();
  private readonly owned: Tensor[] = [];
  private n = 0;

  constructor(
    readonly g: Graph,
    readonly opset: number,
    readonly fold: boolean,
  ) {
    this.names = Array.from({ length: g.numValues }, (_, s) => `v${s}`);
    for (const i of g.inputs) this.names[i.slot] = i.name;
    for (const [slot, c] of g.constants) {
      this.known.set(slot, 'tensor' in c ? c.tensor : c.scalar);
      if ('tensor' in c) this.names[slot] = c.name;
    }
  }

  fresh(p: string): string {
    return `${p}_${this.n++}`;
  }
  dtype(slot: number): DType {
    const v = this.g.values[slot];
    if (!v) fail('INTERNAL', `onnx.export: no dtype known for value ${slot}`);
    return v.dtype;
  }
  shape(slot: number) {
    return this.g.values[slot]?.shape ?? [];
  }
  emit(
    opType: string,
    inputs: string[],
    outputs: number | string[] = 1,
    attrs: Record<string, OnnxAttr> = {},
  ): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(opType)) : outputs;
    this.nodes.push({ opType, inputs, outputs: outs, name: this.fresh(`${opType}_node`), attrs });
    return outs;
  }
  /** An initializer of raw values (name made fresh unless given). */
  init(dtype: DType, dims: number[], raw: Uint8Array, name = this.fresh('const')): string {
    this.inits.set(name, { name, dtype, dims, raw });
    return name;
  }
  int64s(vs: readonly number[], scalar = false): string {
    const key = `i64:${scalar}:${vs.join(',')}`;
    let name = this.constName.get(key);
    if (!name) {
      const raw = new Uint8Array(new BigInt64Array(vs.map((v) => BigInt(v))).buffer);
      name = this.init('int64', scalar ? [] : [vs.length], raw);
      this.constName.set(key, name);
    }
    return name;
  }
  scalarOf(dtype: DType, v: number | boolean | bigint): string {
    const key = `${dtype}:${String(v)}`;
    let name = this.constName.get(key);
    if (!name) {
      const t = tensor([typeof v === 'bigint' ? Number(v) : (v as number)], { dtype }).reshape([]);
      this.owned.push(t);
      name = this.init(dtype, [], storedBytes(t));
      this.constName.set(key, name);
    }
    return name;
  }
  /** The ONNX name of a slot read as `dtype` (scalars take the dtype their use needs). */
  read(slot: number, dtype?: DType): string {
    const k = this.known.get(slot);
    if (k !== undefined && !(k instanceof Tensor)) return this.scalarOf(dtype ?? this.dtype(slot), k);
    if (k instanceof Tensor && !this.inits.has(this.names[slot]) && !this.emitted.has(slot))
      this.init(k.dtype, [...k.shape], storedBytes(k), this.names[slot]);
    const name = this.names[slot];
    if (dtype && this.dtype(slot) !== dtype)
      return this.emit('Cast', [name], 1, { to: { kind: 'int', v: ONNX_DTYPE[dtype] } })[0];
    return name;
  }
  /** Slots whose value an emitted node produced (not initializers). */
  readonly emitted = new Set<number>();
  /** Names output slot(s) of a node: the producer writes to them directly. */
  out(slot: number): string {
    this.emitted.add(slot);
    this.known.delete(slot);
    const next = this.renamed.get(slot);
    if (next !== undefined) {
      this.names[slot] = next;
      this.renamed.delete(slot);
    }
    return this.names[slot];
  }
  /** Slots an in-place node writes: their new name, taken when the node's result is named. */
  readonly renamed = new Map<number, string>();
  // One element of a dynamic axis as a 1-D int64 tensor [size].
  private symSize(sym: string): string {
    let name = this.symCache.get(sym);
    if (name) return name;
    for (const i of this.g.inputs) {
      const k = i.shape.indexOf(sym);
      if (k < 0) continue;
      const shape = this.emit('Shape', [i.name])[0];
      name = this.emit('Gather', [shape, this.int64s([k])], 1, { axis: { kind: 'int', v: 0 } })[0];
      this.symCache.set(sym, name);
      return name;
    }
    return fail('INTERNAL', `onnx.export: no input carries dynamic axis '${sym}'`);
  }
  /** A 1-D int64 tensor of integers, computed from the inputs' shapes where dynamic. */
  affInts(vs: Aff[]): string {
    if (vs.every((v) => typeof v === 'number')) return this.int64s(vs as number[]);
    const parts = vs.map((v) => {
      if (typeof v === 'number') return this.int64s([v]);
      let x = this.symSize(v.sym);
      if (v.a !== 1) x = this.emit('Mul', [x, this.int64s([v.a])])[0];
      if (v.b !== 0) x = this.emit('Add', [x, this.int64s([v.b])])[0];
      return x;
    });
    return parts.length === 1 ? parts[0] : this.emit('Concat', parts, 1, { axis: { kind: 'int', v: 0 } })[0];
  }
  dispose() {
    for (const t of this.owned) t.dispose();
  }
  keep(t: Tensor) {
    this.owned.push(t);
    return t;
  }
}

// ---- attribute access -------------------------------------------------------------------------

export function attr(n: GraphNode, k: number): Attr {
  return n.attrs[k];
}
export function aff(n: GraphNode, k: number, elem: number, v: number): Aff {
  const p = n.patches.find((q) => q.attr === k && q.elem === elem);
  return p ? { sym: p.sym, a: p.a, b: p.b } : v;
}
export function affList(n: GraphNode, k: number): Aff[] {
  const a = attr(n, k);
  const list = typeof a === 'number' ? [a] : (a as number[]);
  return list.map((v, e) => aff(n, k, typeof a === 'number' ? -1 : e, v));
}
export function staticInts(c: Ctx, n: GraphNode, k: number, what: string): number[] | undefined {
  if (n.patches.some((p) => p.attr === k)) {
    c.missing.add(`${n.op} (${what} depends on a dynamic axis)`);
    return undefined;
  }
  const a = attr(n, k);
  return a === null || a === undefined ? undefined : typeof a === 'number' ? [a] : [...(a as number[])];
}
export const wrapDim = (d: number, nd: number) => (d < 0 ? d + nd : d);
export const int = (v: number): OnnxAttr => ({ kind: 'int', v });
export const ints = (v: readonly number[]): OnnxAttr => ({ kind: 'ints', v });

export function affOfDim(d: number | string): Aff {
  if (typeof d === 'number') return d;
  const m = /^(?:(-?\d+)\*)?([^*+-]+?)(?:([+-]\d+))?$/.exec(d);
  return m ? { sym: m[2], a: m[1] ? Number(m[1]) : 1, b: m[3] ? Number(m[3]) : 0 } : -1;
}

export function addAff(x: Aff, y: Aff): Aff | null {
  if (typeof x === 'number' && typeof y === 'number') return x + y;
  if (typeof x === 'number') return { ...(y as Exclude<Aff, number>), b: (y as { b: number }).b + x };
  if (typeof y === 'number') return { ...x, b: x.b + y };
  return x.sym === y.sym ? { sym: x.sym, a: x.a + y.a, b: x.b + y.b } : null;
}
