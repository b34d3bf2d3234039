// The optional onnxruntime-node peer: builds tiny ONNX models for the comparison workloads (a
// the project's protobuf writer, for the few ModelProto fields needed) and times InferenceSession.run.
// Absent the package, it reports itself missing and the bench goes on.

import { encodeMessage as msg, type ProtoField as Field } from '../../src/io/protobuf.js';

// ValueInfoProto { name = 1, type = 2: TypeProto { tensor_type = 1: { elem_type = 1 (FLOAT = 1),
// shape = 2: { dim = 1: { dim_value = 1 } } } } }
function valueInfo(name: string, shape: number[]): Uint8Array {
  const dims = shape.map((d): Field => [1, 'bytes', msg([[1, 'varint', d]])]);
  const tensorType = msg([
    [1, 'varint', 1],
    [2, 'bytes', msg(dims)],
  ]);
  return msg([
    [1, 'bytes', name],
    [2, 'bytes', msg([[1, 'bytes', tensorType]])],
  ]);
}
// NodeProto { input = 1, output = 2, op_type = 4, attribute = 5: AttributeProto { name = 1,
// ints = 8 (repeated), type = 20 (INTS = 7) } }
function node(op: string, inputs: string[], outputs: string[], ints: Record<string, number[]> = {}): Uint8Array {
  const attrs = Object.entries(ints).map(([k, vs]): Field => [
    5,
    'bytes',
    msg([[1, 'bytes', k], ...vs.map((v): Field => [8, 'varint', v]), [20, 'varint', 7]]),
  ]);
  return msg([
    ...inputs.map((i): Field => [1, 'bytes', i]),
    ...outputs.map((o): Field => [2, 'bytes', o]),
    [4, 'bytes', op],
    ...attrs,
  ]);
}
/** A ModelProto (IR 8, opset 17) of `nodes`, float32 inputs and outputs of the given shapes. */
export function onnxModel(
  nodes: Uint8Array[],
  inputs: Record<string, number[]>,
  outputs: Record<string, number[]>,
): Uint8Array {
  const graph = msg([
    ...nodes.map((n): Field => [1, 'bytes', n]),
    [2, 'bytes', 'g'],
    ...Object.entries(inputs).map(([k, s]): Field => [11, 'bytes', valueInfo(k, s)]),
    ...Object.entries(outputs).map(([k, s]): Field => [12, 'bytes', valueInfo(k, s)]),
  ]);
  return msg([
    [1, 'varint', 8],
    [
      8,
      'bytes',
      msg([
        [1, 'bytes', ''],
        [2, 'varint', 17],
      ]),
    ],
    [7, 'bytes', graph],
  ]);
}
export const onnxNode = node;

// ---- the peer ---------------------------------------------------------------------------------

interface Ort {
  InferenceSession: {
    create(
      model: Uint8Array,
      opts: object,
    ): Promise<{ run(feeds: object): Promise<Record<string, { dispose?(): void }>>; release(): Promise<void> }>;
  };
  Tensor: new (type: string, data: Float32Array, dims: number[]) => object;
}

export interface OnnxPeer {
  label: string;
  /** A runner for a model: feeds are float32 arrays with shapes; returns one inference's promise. */
  session(
    model: Uint8Array,
    feeds: Record<string, [Float32Array, number[]]>,
    threads: number,
  ): Promise<{ run(): Promise<void>; close(): Promise<void> }>;
}

export async function loadOnnx(): Promise<OnnxPeer | string> {
  let ort: Ort;
  let version = '?';
  try {
    ort = (await import('onnxruntime-node' as string)) as unknown as Ort;
    const { createRequire } = await import('node:module');
    version = (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return 'onnxruntime-node not installed (npm i --no-save onnxruntime-node to compare)';
  }
  return {
    label: `onnxruntime-node ${version}`,
    async session(model, feeds, threads) {
      const s = await ort.InferenceSession.create(model, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      const f = Object.fromEntries(
        Object.entries(feeds).map(([k, [d, shape]]) => [k, new ort.Tensor('float32', d, shape)]),
      );
      return {
        run: async () => {
          await s.run(f);
        },
        close: () => s.release(),
      };
    },
  };
}
