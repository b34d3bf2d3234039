// Reads an ONNX ModelProto into plain objects, checking as it goes: every length, count, dtype
// and shape is bounded by the file, so a hostile file is an IO_ERROR and never a huge
// allocation. Only the fields tensorkit uses are read; the schema has a fixed depth, so nesting
// cannot recurse (subgraph attributes are kept as opaque bytes and refused by the importer).
import { ITEMSIZE, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { readFields, readPackedVarints, type ReadField } from '../io/protobuf.js';
import { dtypeOfOnnx, F, ATTR_TYPE, type OnnxAttr, type OnnxValueInfo } from './proto.js';

/** An initializer or Constant value as read: its dtype, dims and the little-endian bytes. */
export interface ParsedTensor {
  name: string;
  dtype: DType;
  dims: number[];
  /** Raw little-endian element bytes (exactly numel * itemsize). */
  bytes: Uint8Array;
}

export type ParsedAttr = OnnxAttr | { kind: 'graph' } | { kind: 'strings'; v: string[] };

export interface ParsedNode {
  opType: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, ParsedAttr>;
}

export interface ParsedModel {
  irVersion: number;
  opset: number;
  nodes: ParsedNode[];
  initializers: ParsedTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

const MAX_ELEMENTS = 2 ** 31 - 1;
const MAX_DIMS = 8;
function reader(path: string) {
  const bad = (what: string): never => fail('IO_ERROR', `onnx.load: '${path}' is not a valid ONNX model: ${what}`);
  const fields = (b: Uint8Array): Generator<ReadField> => readFields(b, bad);
  const str = (v: ReadField[2], what: string): string => {
    if (!(v instanceof Uint8Array)) bad(`${what} must be a string`);
    return Buffer.from(v as Uint8Array).toString('utf8');
  };
  const bytesOf = (v: ReadField[2], what: string): Uint8Array =>
    v instanceof Uint8Array ? v : bad(`${what} must be length-delimited`);
  const num = (v: ReadField[2], what: string): number => {
    if (typeof v !== 'bigint') return bad(`${what} must be a varint`);
    const x = BigInt.asIntN(64, v);
    if (x > BigInt(Number.MAX_SAFE_INTEGER) || x < -BigInt(Number.MAX_SAFE_INTEGER))
      bad(`${what} ${x} is out of range`);
    return Number(x);
  };
  const f32 = (v: ReadField[2]) => Buffer.from(bytesOf(v, 'a float')).readFloatLE(0);

  function tensor(b: Uint8Array, what: string): ParsedTensor {
    const dims: number[] = [];
    let code = 0,
      name = '',
      raw: Uint8Array | undefined;
    const floats: number[] = [],
      doubles: number[] = [],
      ints: bigint[] = [];
    let external = false;
    for (const [f, w, v] of fields(b)) {
      if (f === F.tensor.dims) for (const d of readPackedVarints(v, bad)) dims.push(num(d, `${what} dim`));
      else if (f === F.tensor.dataType) code = num(v, `${what} data type`);
      else if (f === F.tensor.name) name = str(v, `${what} name`);
      else if (f === F.tensor.rawData) raw = bytesOf(v, `${what} raw data`);
      else if (f === F.tensor.floatData) {
        if (w === 5) floats.push(f32(v));
        else {
          const p = bytesOf(v, 'float data');
          if (p.length % 4) bad(`${what}: float data of ${p.length} bytes`);
          const dv = new DataView(p.buffer, p.byteOffset, p.length);
          for (let i = 0; i < p.length; i += 4) floats.push(dv.getFloat32(i, true));
        }
      } else if (f === F.tensor.doubleData) {
        if (w === 1) doubles.push(Buffer.from(bytesOf(v, 'double')).readDoubleLE(0));
        else {
          const p = bytesOf(v, 'double data');
          if (p.length % 8) bad(`${what}: double data of ${p.length} bytes`);
          const dv = new DataView(p.buffer, p.byteOffset, p.length);
          for (let i = 0; i < p.length; i += 8) doubles.push(dv.getFloat64(i, true));
        }
      } else if (f === F.tensor.int64Data || f === F.tensor.int32Data) ints.push(...readPackedVarints(v, bad));
      else if (f === F.tensor.dataLocation && num(v, 'data location') === 1) external = true;
      else if (f === F.tensor.externalData) external = true;
    }
    if (external) bad(`${what} '${name}' keeps its data in an external file, which is not supported`);
    const dtype = dtypeOfOnnx(code);
    if (!dtype) bad(`${what} '${name}' has unsupported element type ${code}`);
    if (dims.length > MAX_DIMS) bad(`${what} '${name}' has ${dims.length} dims`);
    let numel = 1;
    for (const d of dims) {
      if (d < 0) bad(`${what} '${name}' has a negative dim ${d}`);
      numel *= d;
      if (numel > MAX_ELEMENTS) bad(`${what} '${name}' has too many elements (dims [${dims.join(', ')}])`);
    }
    const item = ITEMSIZE[dtype!];
    let bytes: Uint8Array;
    if (raw) {
      if (raw.length !== numel * item)
        bad(`${what} '${name}' has ${raw.length} bytes of data, its dims [${dims.join(', ')}] need ${numel * item}`);
      bytes = raw;
    } else {
      const count = dtype === 'float32' ? floats.length : dtype === 'float64' ? doubles.length : ints.length;
      if (count !== numel) bad(`${what} '${name}' has ${count} values, its dims [${dims.join(', ')}] need ${numel}`);
      const out = new Uint8Array(numel * item);
      const dv = new DataView(out.buffer);
      for (let i = 0; i < numel; i++) {
        if (dtype === 'float32') dv.setFloat32(i * 4, floats[i], true);
        else if (dtype === 'float64') dv.setFloat64(i * 8, doubles[i], true);
        else if (dtype === 'int64') dv.setBigInt64(i * 8, BigInt.asIntN(64, ints[i]), true);
        else if (dtype === 'int32') dv.setInt32(i * 4, Number(BigInt.asIntN(32, ints[i])), true);
        else if (dtype === 'bool') out[i] = ints[i] ? 1 : 0;
        else dv.setUint16(i * 2, Number(ints[i] & 0xffffn), true); // float16/bfloat16 bits
      }
      bytes = out;
    }
    return { name, dtype: dtype!, dims, bytes };
  }

  function attribute(b: Uint8Array): [string, ParsedAttr] {
    let name = '',
      type = 0;
    let f = 0,
      i = 0,
      s = '',
      t: ParsedTensor | undefined;
    const floats: number[] = [],
      ints: number[] = [],
      strings: string[] = [];
    let hasGraph = false;
    for (const [k, w, v] of fields(b)) {
      if (k === F.attr.name) name = str(v, 'attribute name');
      else if (k === F.attr.type) type = num(v, 'attribute type');
      else if (k === F.attr.f) f = f32(v);
      else if (k === F.attr.i) i = num(v, 'attribute int');
      else if (k === F.attr.s) s = str(v, 'attribute string');
      else if (k === F.attr.t) t = tensor(bytesOf(v, 'attribute tensor'), 'attribute tensor');
      else if (k === F.attr.floats) {
        if (w === 5) floats.push(f32(v));
        else {
          const p = bytesOf(v, 'floats');
          const dv = new DataView(p.buffer, p.byteOffset, p.length);
          for (let q = 0; q + 4 <= p.length; q += 4) floats.push(dv.getFloat32(q, true));
        }
      } else if (k === F.attr.ints) for (const x of readPackedVarints(v, bad)) ints.push(num(x, 'attribute int'));
      else if (k === F.attr.strings) strings.push(str(v, 'attribute string'));
      else if (k === F.attr.g || k === F.attr.graphs) hasGraph = true;
      if (ints.length > 1 << 20 || floats.length > 1 << 20 || strings.length > 1 << 16)
        bad(`attribute '${name}' is too long`);
    }
    if (!name) bad('an attribute has no name');
    switch (type) {
      case ATTR_TYPE.FLOAT:
        return [name, { kind: 'float', v: f }];
      case ATTR_TYPE.INT:
        return [name, { kind: 'int', v: i }];
      case ATTR_TYPE.STRING:
        return [name, { kind: 'string', v: s }];
      case ATTR_TYPE.TENSOR:
        if (!t) bad(`attribute '${name}' has no tensor`);
        return [name, { kind: 'tensor', v: { name: t!.name, dtype: t!.dtype, dims: t!.dims, raw: t!.bytes } }];
      case ATTR_TYPE.FLOATS:
        return [name, { kind: 'floats', v: floats }];
      case ATTR_TYPE.INTS:
        return [name, { kind: 'ints', v: ints }];
      case ATTR_TYPE.STRINGS:
        return [name, { kind: 'strings', v: strings }];
      case ATTR_TYPE.GRAPH:
      case 10:
        return [name, { kind: 'graph' }];
      default:
        if (hasGraph) return [name, { kind: 'graph' }];
        return bad(`attribute '${name}' has unknown type ${type}`);
    }
  }

  function node(b: Uint8Array): ParsedNode {
    const n: ParsedNode = { opType: '', domain: '', name: '', inputs: [], outputs: [], attrs: new Map() };
    for (const [f, , v] of fields(b)) {
      if (f === F.node.input) n.inputs.push(str(v, 'node input'));
      else if (f === F.node.output) n.outputs.push(str(v, 'node output'));
      else if (f === F.node.name) n.name = str(v, 'node name');
      else if (f === F.node.opType) n.opType = str(v, 'op type');
      else if (f === F.node.domain) n.domain = str(v, 'node domain');
      else if (f === F.node.attribute) {
        const [k, a] = attribute(bytesOf(v, 'attribute'));
        n.attrs.set(k, a);
      }
    }
    if (!n.opType) bad(`node '${n.name}' has no op type`);
    return n;
  }

  function valueInfo(b: Uint8Array): OnnxValueInfo {
    let name = '';
    let dtype: DType | undefined;
    const shape: (number | string)[] = [];
    let hasShape = false;
    for (const [f, , v] of fields(b)) {
      if (f === F.valueInfo.name) name = str(v, 'value name');
      else if (f === F.valueInfo.type)
        for (const [tf, , tv] of fields(bytesOf(v, 'type'))) {
          if (tf !== F.type.tensorType) bad(`value '${name}' is not a tensor`);
          for (const [ef, , ev] of fields(bytesOf(tv, 'tensor type'))) {
            if (ef === F.tensorType.elemType) {
              const code = num(ev, 'element type');
              dtype = dtypeOfOnnx(code);
              if (!dtype) bad(`value '${name}' has unsupported element type ${code}`);
            } else if (ef === F.tensorType.shape) {
              hasShape = true;
              for (const [df, , dv] of fields(bytesOf(ev, 'shape'))) {
                if (df !== F.shape.dim) continue;
                let d: number | string = '';
                for (const [xf, , xv] of fields(bytesOf(dv, 'dim'))) {
                  if (xf === F.dim.value) d = num(xv, 'dim');
                  else if (xf === F.dim.param) d = str(xv, 'dim name');
                }
                if (typeof d === 'number' && d < 0) bad(`value '${name}' has a negative dim`);
                shape.push(d);
                if (shape.length > MAX_DIMS) bad(`value '${name}' has more than ${MAX_DIMS} dims`);
              }
            }
          }
        }
    }
    if (!name) bad('a graph input or output has no name');
    if (!dtype) bad(`value '${name}' has no element type`);
    return { name, dtype: dtype!, shape, ...(hasShape ? {} : { unknownShape: true }) };
  }

  return { bad, fields, bytesOf, num, tensor, node, valueInfo, str };
}

/** Parses model bytes; `path` names the source in errors. */
export function parseModel(bytes: Uint8Array, path: string): ParsedModel {
  const r = reader(path);
  const m: ParsedModel = { irVersion: 0, opset: 0, nodes: [], initializers: [], inputs: [], outputs: [] };
  let graph: Uint8Array | undefined;
  for (const [f, , v] of r.fields(bytes)) {
    if (f === F.model.irVersion) m.irVersion = r.num(v, 'IR version');
    else if (f === F.model.graph) graph = r.bytesOf(v, 'graph');
    else if (f === F.model.opsetImport) {
      let domain = '',
        version = 0;
      for (const [of, , ov] of r.fields(r.bytesOf(v, 'opset'))) {
        if (of === F.opset.domain) domain = r.str(ov, 'opset domain');
        else if (of === F.opset.version) version = r.num(ov, 'opset version');
      }
      if (domain === '' || domain === 'ai.onnx') m.opset = version;
    }
  }
  if (!graph) r.bad('no graph');
  if (m.irVersion < 3) r.bad(`IR version ${m.irVersion} is not supported (3 or later)`);
  if (m.opset < 7) r.bad(`opset ${m.opset} is not supported (7 or later)`);
  for (const [f, , v] of r.fields(graph!)) {
    if (f === F.graph.node) m.nodes.push(r.node(r.bytesOf(v, 'node')));
    else if (f === F.graph.initializer) m.initializers.push(r.tensor(r.bytesOf(v, 'initializer'), 'initializer'));
    else if (f === F.graph.input) m.inputs.push(r.valueInfo(r.bytesOf(v, 'input')));
    else if (f === F.graph.output) m.outputs.push(r.valueInfo(r.bytesOf(v, 'output')));
  }
  if (!m.outputs.length) r.bad('the graph has no outputs');
  return m;
}
