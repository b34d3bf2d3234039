/**
 * tensorkit/plain: every op as naive TypeScript loops over typed arrays — no native code, no
 * SIMD, no threads. It is the oracle the tests check the native kernels against, and the
 * "without an accelerated framework" baseline of the benchmarks (Lesson 1.3).
 *
 * @example
 * import { plain } from 'tensorkit';
 * const a = plain.plainTensor([[1, 2], [3, 4]]);
 * const c = plain.matmul(a, a);   // triple loop
 */
export {
  PlainTensor,
  plainTensor,
  broadcastShapes,
  resultType,
  castValue,
  roundToFloat16,
  roundToBfloat16,
  type PlainArray,
  type PlainOperand,
} from './tensor.js';
export * from './elementwise.js';
export * from './reduce.js';
export * from './shape.js';
export * from './linalg.js';
export * from './creation.js';
export * from './nn.js';
export * from './image.js';
export * from './decomp.js';
export * from './ctc.js';
