// ONNX's protobuf messages (onnx/onnx.proto, IR 8): field numbers, element types, and a writer
// and reader for the parts tensorkit uses. Weights are written as raw_data chunks, never copied.
import type { DType } from '../dtype.js';
import { ProtoWriter } from '../io/protobuf.js';

/** TensorProto.DataType codes. */
export const ONNX_DTYPE: Record<string, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  bfloat16: 16,
};
/** The tensorkit dtype of an ONNX element type (undefined: not supported). */
export function dtypeOfOnnx(code: number): DType | undefined {
  for (const [k, v] of Object.entries(ONNX_DTYPE)) if (v === code && k !== 'uint8' && k !== 'int8') return k as DType;
  return undefined;
}

// Field numbers.
export const F = {
  model: { irVersion: 1, producerName: 2, producerVersion: 3, docString: 6, graph: 7, opsetImport: 8 },
  opset: { domain: 1, version: 2 },
  graph: { node: 1, name: 2, initializer: 5, docString: 10, input: 11, output: 12, valueInfo: 13 },
  node: { input: 1, output: 2, name: 3, opType: 4, attribute: 5, docString: 6, domain: 7 },
  attr: { name: 1, f: 2, i: 3, s: 4, t: 5, g: 6, floats: 7, ints: 8, strings: 9, tensors: 10, graphs: 11, type: 20 },
  tensor: {
    dims: 1,
    dataType: 2,
    segment: 3,
    floatData: 4,
    int32Data: 5,
    stringData: 6,
    int64Data: 7,
    name: 8,
    rawData: 9,
    doubleData: 10,
    externalData: 13,
    dataLocation: 14,
  },
  valueInfo: { name: 1, type: 2 },
  type: { tensorType: 1 },
  tensorType: { elemType: 1, shape: 2 },
  shape: { dim: 1 },
  dim: { value: 1, param: 2 },
} as const;

export const ATTR_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

/** An initializer or constant: raw little-endian bytes of `dtype` with `dims`. */
export interface OnnxTensor {
  name: string;
  dtype: DType;
  dims: readonly number[];
  raw: Uint8Array;
}

export type OnnxAttr =
  | { kind: 'int'; v: number }
  | { kind: 'float'; v: number }
  | { kind: 'string'; v: string }
  | { kind: 'ints'; v: readonly number[] }
  | { kind: 'floats'; v: readonly number[] }
  | { kind: 'tensor'; v: OnnxTensor };

export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attrs: Record<string, OnnxAttr>;
}

export interface OnnxValueInfo {
  name: string;
  dtype: DType;
  shape: (number | string)[];
  /** Read from a file whose value info had no shape. */
  unknownShape?: boolean;
}

export function writeTensor(w: ProtoWriter, t: OnnxTensor): void {
  for (const d of t.dims) w.varint(F.tensor.dims, d);
  w.varint(F.tensor.dataType, ONNX_DTYPE[t.dtype]);
  w.bytes(F.tensor.name, t.name);
  w.bytes(F.tensor.rawData, t.raw);
}

function writeAttr(w: ProtoWriter, name: string, a: OnnxAttr): void {
  w.bytes(F.attr.name, name);
  switch (a.kind) {
    case 'int':
      w.varint(F.attr.i, a.v).varint(F.attr.type, ATTR_TYPE.INT);
      break;
    case 'float':
      w.float(F.attr.f, a.v).varint(F.attr.type, ATTR_TYPE.FLOAT);
      break;
    case 'string':
      w.bytes(F.attr.s, a.v).varint(F.attr.type, ATTR_TYPE.STRING);
      break;
    case 'ints':
      for (const x of a.v) w.varint(F.attr.ints, x);
      w.varint(F.attr.type, ATTR_TYPE.INTS);
      break;
    case 'floats':
      for (const x of a.v) w.float(F.attr.floats, x);
      w.varint(F.attr.type, ATTR_TYPE.FLOATS);
      break;
    case 'tensor':
      w.message(F.attr.t, (m) => writeTensor(m, a.v)).varint(F.attr.type, ATTR_TYPE.TENSOR);
      break;
  }
}

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.bytes(F.valueInfo.name, v.name);
  w.message(F.valueInfo.type, (t) =>
    t.message(F.type.tensorType, (tt) => {
      tt.varint(F.tensorType.elemType, ONNX_DTYPE[v.dtype]);
      tt.message(F.tensorType.shape, (s) => {
        for (const d of v.shape)
          s.message(F.shape.dim, (dm) =>
            typeof d === 'number' ? dm.varint(F.dim.value, d) : dm.bytes(F.dim.param, d),
          );
      });
    }),
  );
}

export interface OnnxModel {
  irVersion: number;
  opset: number;
  producer: string;
  graphName: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

/** The model's bytes as chunks (the weights are chunks of their own). */
export function writeModel(m: OnnxModel): Uint8Array[] {
  const w = new ProtoWriter();
  w.varint(F.model.irVersion, m.irVersion);
  w.bytes(F.model.producerName, m.producer);
  w.message(F.model.graph, (g) => {
    for (const n of m.nodes)
      g.message(F.graph.node, (nw) => {
        for (const i of n.inputs) nw.bytes(F.node.input, i);
        for (const o of n.outputs) nw.bytes(F.node.output, o);
        nw.bytes(F.node.name, n.name);
        nw.bytes(F.node.opType, n.opType);
        for (const [k, a] of Object.entries(n.attrs)) nw.message(F.node.attribute, (aw) => writeAttr(aw, k, a));
      });
    g.bytes(F.graph.name, m.graphName);
    for (const t of m.initializers) g.message(F.graph.initializer, (tw) => writeTensor(tw, t));
    for (const v of m.inputs) g.message(F.graph.input, (vw) => writeValueInfo(vw, v));
    for (const v of m.outputs) g.message(F.graph.output, (vw) => writeValueInfo(vw, v));
  });
  w.message(F.model.opsetImport, (o) => o.bytes(F.opset.domain, '').varint(F.opset.version, m.opset));
  return w.finish();
}
