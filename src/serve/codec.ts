// The KServe v2 (Open Inference Protocol) wire format: a JSON request body, or the binary tensor
// extension (a JSON header of `Inference-Header-Content-Length` bytes, then each binary input's
// raw little-endian bytes in order); request tensors to checked typed arrays of values; outputs to
// a JSON body or a binary one. Values are checked element by element: a string where a number
// belongs is a 400.
import { isHalf, ITEMSIZE, typedArrayOf, type DType } from '../dtype.js';
import { binding } from '../binding.js';
import { describe } from '../options.js';
import { fromStoredBytes, type Tensor } from '../tensor.js';
import { badRequest } from './errors.js';
import type { TensorSpec, WireTensor } from './signature.js';
import { tensorOf, type OutputValues, type Values } from './values.js';

/** What an infer request asks for besides its inputs. */
export interface InferRequest {
  id?: string;
  inputs: WireTensor[];
  /** Requested outputs (all when absent), each with whether it comes back as binary data. */
  outputs?: { name: string; binary: boolean }[];
  /** The request-level `binary_data_output` parameter: every output as binary. */
  binaryOutput: boolean;
}

const HEADER = 'inference-header-content-length';
const MAX_DIMS = 32;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    badRequest(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Stands in the JSON text for a number array read natively: `{"$tkArray": i}`. */
const MARK = '$tkArray';

/**
 * JSON.parse of a request whose "data" arrays of numbers are read natively into Float64Arrays
 * (the same doubles JSON.parse gives) and put back in place of markers: most of a request is one
 * long array, and building it as a JS array was most of the request's cost.
 */
function parseRequest(bytes: Uint8Array, what: string): { json: unknown; arrays: Float64Array[] } {
  const { spans, values } = binding.scanNumberArrays(bytes, 'data');
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (spans.length === 0) return { json: parseJson(buf.toString('utf8'), what), arrays: [] };
  const pieces: string[] = [];
  const arrays: Float64Array[] = [];
  let at = 0,
    first = 0;
  for (let i = 0; i < spans.length; i += 3) {
    pieces.push(buf.toString('utf8', at, spans[i]), `{"${MARK}":${i / 3}}`);
    arrays.push(values.subarray(first, first + spans[i + 2]));
    first += spans[i + 2];
    at = spans[i + 1];
  }
  pieces.push(buf.toString('utf8', at));
  return { json: parseJson(pieces.join(''), what), arrays };
}

/** A member's value, with a marker replaced by its natively read array. */
function unmark(v: unknown, arrays: Float64Array[]): unknown {
  if (isObject(v) && typeof v[MARK] === 'number' && Object.keys(v).length === 1) return arrays[v[MARK] as number];
  return v;
}

function shapeOf(where: string, v: unknown): number[] {
  if (!Array.isArray(v) || v.length > MAX_DIMS || !v.every((d) => Number.isSafeInteger(d) && d >= 0))
    badRequest(`${where}: 'shape' must be a list of at most ${MAX_DIMS} non-negative integers, got ${describe(v)}`);
  return v as number[];
}

/**
 * Reads an infer request body. With an `Inference-Header-Content-Length` header the body is the
 * binary extension; without one, JSON.
 */
export function parseInfer(
  body: Buffer | undefined,
  headers: Record<string, string | string[] | undefined>,
): InferRequest {
  if (!body || body.length === 0) badRequest('the request has no body');
  const h = headers[HEADER];
  let json: unknown;
  let arrays: Float64Array[];
  let binary: Buffer | undefined;
  if (h !== undefined) {
    const n = Number(h);
    if (!Number.isSafeInteger(n) || n < 0 || n > body.length)
      badRequest(`Inference-Header-Content-Length is ${describe(h)}, the body has ${body.length} bytes`);
    ({ json, arrays } = parseRequest(body.subarray(0, n), 'the inference header'));
    binary = body.subarray(n);
  } else ({ json, arrays } = parseRequest(body, 'the request body'));
  if (!isObject(json)) badRequest(`the request must be a JSON object, got ${describe(json)}`);
  const { id, inputs, outputs, parameters } = json;
  if (id !== undefined && typeof id !== 'string') badRequest(`'id' must be a string, got ${describe(id)}`);
  if (!Array.isArray(inputs) || inputs.length === 0)
    badRequest(`'inputs' must be a non-empty list, got ${describe(inputs)}`);
  let offset = 0;
  const wire = inputs.map((t, i): WireTensor => {
    const where = `inputs[${i}]`;
    if (!isObject(t)) badRequest(`${where} must be an object, got ${describe(t)}`);
    if (typeof t.name !== 'string') badRequest(`${where}: 'name' must be a string, got ${describe(t.name)}`);
    if (typeof t.datatype !== 'string')
      badRequest(`${where} ('${t.name}'): 'datatype' must be a string, got ${describe(t.datatype)}`);
    const shape = shapeOf(`${where} ('${t.name}')`, t.shape);
    const p = t.parameters;
    const size = isObject(p) ? p.binary_data_size : undefined;
    if (size !== undefined) {
      if (!binary)
        badRequest(`input '${t.name}' has binary_data_size but the request has no Inference-Header-Content-Length`);
      if (!Number.isSafeInteger(size) || (size as number) < 0 || offset + (size as number) > binary.length)
        badRequest(
          `input '${t.name}': binary_data_size ${describe(size)} runs past the ${binary.length} bytes of binary data`,
        );
      const bytes = binary.subarray(offset, offset + (size as number));
      offset += size as number;
      return { name: t.name, datatype: t.datatype, shape, bytes };
    }
    const data = unmark(t.data, arrays);
    if (data === undefined) badRequest(`input '${t.name}' has neither 'data' nor binary_data_size`);
    return { name: t.name, datatype: t.datatype, shape, data };
  });
  if (binary && offset !== binary.length)
    badRequest(`the body has ${binary.length} bytes of binary data, the inputs' binary_data_size add up to ${offset}`);
  let wanted: InferRequest['outputs'];
  if (outputs !== undefined) {
    if (!Array.isArray(outputs)) badRequest(`'outputs' must be a list, got ${describe(outputs)}`);
    wanted = outputs.map((o, i) => {
      if (!isObject(o) || typeof o.name !== 'string')
        badRequest(`outputs[${i}] must be an object with a name, got ${describe(o)}`);
      return { name: o.name, binary: isObject(o.parameters) && o.parameters.binary_data === true };
    });
  }
  const binaryOutput = isObject(parameters) && parameters.binary_data_output === true;
  return { id, inputs: wire, outputs: wanted, binaryOutput };
}

/** A raw body (`application/octet-stream`, no JSON header) as the one input's bytes; rows from its length. */
export function rawInput(body: Buffer | undefined, spec: TensorSpec): WireTensor {
  if (!body || body.length === 0) badRequest('the request has no body');
  const rest = spec.shape.slice(1);
  if (rest.some((d) => typeof d !== 'number'))
    badRequest(
      `input '${spec.name}' has dynamic dims past the first: send the binary tensor extension's JSON header with its shape`,
    );
  const rowBytes = (rest as number[]).reduce((a, b) => a * b, 1) * ITEMSIZE[spec.dtype];
  if (body.length % rowBytes !== 0)
    badRequest(
      `a raw body of ${body.length} bytes is not a whole number of ${spec.datatype} rows of shape [${rest}] (${rowBytes} bytes each)`,
    );
  return {
    name: spec.name,
    datatype: spec.datatype,
    shape: [body.length / rowBytes, ...(rest as number[])],
    bytes: body,
  };
}

function flatten(v: unknown[], count: number, name: string): unknown[] {
  if (!v.some(Array.isArray)) return v;
  const out: unknown[] = [];
  const walk = (a: unknown[], depth: number) => {
    if (depth > MAX_DIMS) badRequest(`input '${name}': 'data' is nested too deeply`);
    for (const x of a) {
      if (Array.isArray(x)) walk(x, depth + 1);
      else out.push(x);
      if (out.length > count) return;
    }
  };
  walk(v, 0);
  return out;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** A checked request tensor's values, as `data()` holds them for the spec's dtype (a 400 for a bad value). */
export function toValues(w: WireTensor, spec: TensorSpec): Values {
  const shape = w.shape;
  const d: DType = spec.dtype;
  const count = shape.reduce((a, b) => a * b, 1);
  if (w.bytes) {
    if (isHalf(d)) {
      const t = fromStoredBytes(w.bytes, d, shape);
      const v = t.data() as Float32Array;
      t.dispose();
      return v;
    }
    // copied to an aligned buffer (a body's bytes start anywhere); bools become 0/1
    const copy = new Uint8Array(w.bytes);
    const v = typedArrayOf(d, copy.buffer) as Values;
    if (d === 'bool') for (let i = 0; i < copy.length; i++) copy[i] = copy[i] ? 1 : 0;
    return v;
  }
  if (w.data instanceof Float64Array) {
    // read natively (parseRequest): already numbers
    if (w.data.length !== count)
      badRequest(`input '${w.name}': ${w.data.length} values given, shape [${shape}] holds ${count}`);
    if (d === 'float64') return w.data;
    if (d === 'float32' || isHalf(d)) return new Float32Array(w.data);
  }
  const data =
    w.data instanceof Float64Array ? (w.data as unknown as unknown[]) : flatten(w.data as unknown[], count, w.name);
  if (data.length !== count)
    badRequest(`input '${w.name}': ${data.length} values given, shape [${shape}] holds ${count}`);
  const bad = (i: number, kind: string): never =>
    badRequest(`input '${w.name}': value ${i} is ${describe(data[i])}, expected ${kind} (${spec.datatype})`);
  if (d === 'int64') {
    const arr = new BigInt64Array(count);
    for (let i = 0; i < count; i++) {
      const v = data[i];
      let b: bigint | undefined;
      if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
      else if (typeof v === 'string' && /^-?\d{1,19}$/.test(v)) b = BigInt(v);
      if (b === undefined || b < INT64_MIN || b > INT64_MAX) bad(i, 'an integer');
      arr[i] = b!;
    }
    return arr;
  }
  if (d === 'bool') {
    const arr = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const v = data[i];
      if (typeof v === 'boolean') arr[i] = v ? 1 : 0;
      else if (v === 0 || v === 1) arr[i] = v;
      else bad(i, 'a boolean');
    }
    return arr;
  }
  if (d === 'int32') {
    const arr = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const v = data[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < -2147483648 || v > 2147483647)
        bad(i, 'a 32-bit integer');
      arr[i] = v as number;
    }
    return arr;
  }
  const arr = d === 'float64' ? new Float64Array(count) : new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const v = data[i];
    if (typeof v !== 'number') bad(i, 'a number');
    arr[i] = v as number;
  }
  return arr;
}

/** A checked request tensor as a tensor of the spec's dtype (for handlers). */
export function toTensor(w: WireTensor, spec: TensorSpec): Tensor {
  return tensorOf(toValues(w, spec), w.shape, spec.dtype);
}

/** One output of the response: JSON values, or bytes that follow the JSON header. */
export interface OutputPart {
  json: {
    name: string;
    datatype: string;
    shape: number[];
    data?: unknown[];
    parameters?: { binary_data_size: number };
  };
  bytes?: Uint8Array;
}

/** An output (a request's rows of it) as the response carries it. */
export function encodeOutput(spec: TensorSpec, o: OutputValues, binary: boolean): OutputPart {
  const head = { name: spec.name, datatype: spec.datatype, shape: o.shape };
  if (binary) {
    const src = o.bits ?? o.values;
    const bytes = new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
    return { json: { ...head, parameters: { binary_data_size: bytes.length } }, bytes };
  }
  const v = o.values;
  const data =
    v instanceof BigInt64Array
      ? Array.from(v, Number)
      : spec.dtype === 'bool'
        ? Array.from(v as Uint8Array, (x) => x !== 0)
        : Array.from(v as Float32Array);
  return { json: { ...head, data } };
}
