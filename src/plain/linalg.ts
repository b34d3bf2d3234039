// Matrix products as the naive triple loop: the reference and the Lesson 1.3 baseline.
import { fail } from '../errors.js';
import { num } from '../options.js';
import { expand } from './shape.js';
import { alloc, broadcastShapes, numel, plainArg, PlainTensor, stridesOf } from './tensor.js';

/** Inner product of two 1-D tensors. */
export function dot(a: PlainTensor, b: PlainTensor): PlainTensor {
  plainArg('dot', 'a', a);
  plainArg('dot', 'b', b);
  if (a.ndim !== 1 || b.ndim !== 1 || a.numel() !== b.numel())
    fail(
      'SHAPE_MISMATCH',
      `dot: expected two 1-D tensors of one length, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`,
    );
  let s = 0;
  for (let i = 0; i < a.numel(); i++) s += a.data[i] * b.data[i];
  const out = alloc(a.dtype, 1);
  out[0] = a.dtype === 'int32' ? s | 0 : s;
  return new PlainTensor(out, [], a.dtype);
}

/** matmul with PyTorch's 1-D promotion and batch broadcasting. @example plain.matmul(a, b) */
export function matmul(a: PlainTensor, b: PlainTensor): PlainTensor {
  plainArg('matmul', 'a', a);
  plainArg('matmul', 'b', b);
  if (a.ndim === 0 || b.ndim === 0)
    fail(
      'SHAPE_MISMATCH',
      `matmul: both arguments need at least 1 dim, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`,
    );
  const as = a.ndim === 1 ? [1, a.shape[0]] : [...a.shape];
  const bs = b.ndim === 1 ? [b.shape[0], 1] : [...b.shape];
  const M = as[as.length - 2],
    K = as[as.length - 1],
    N = bs[bs.length - 1];
  if (bs[bs.length - 2] !== K)
    fail(
      'SHAPE_MISMATCH',
      `matmul: inner dimensions must match, got [${a.shape.join(', ')}] @ [${b.shape.join(', ')}]`,
    );
  const batch = broadcastShapes(as.slice(0, -2), bs.slice(0, -2));
  const B = numel(batch);
  const out = alloc(a.dtype, B * M * N);
  const abatch = as.slice(0, -2),
    bbatch = bs.slice(0, -2);
  const ast = stridesOf(abatch),
    bst = stridesOf(bbatch),
    ost = stridesOf(batch);
  for (let bi = 0; bi < B; bi++) {
    // Map the output batch index to each operand's (broadcast) batch index.
    let ao = 0,
      bo = 0;
    for (let d = 0; d < batch.length; d++) {
      const p = Math.floor(bi / ost[d]) % batch[d];
      const da = d - (batch.length - abatch.length),
        db = d - (batch.length - bbatch.length);
      if (da >= 0 && abatch[da] !== 1) ao += p * ast[da];
      if (db >= 0 && bbatch[db] !== 1) bo += p * bst[db];
    }
    const A = ao * M * K,
      Bo = bo * K * N,
      C = bi * M * N;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a.data[A + i * K + k] * b.data[Bo + k * N + j];
        out[C + i * N + j] = a.dtype === 'int32' ? s | 0 : s;
      }
  }
  let shape = [...batch, M, N];
  if (b.ndim === 1) shape = shape.slice(0, -1);
  if (a.ndim === 1) shape.splice(shape.length - (b.ndim === 1 ? 1 : 2), 1);
  return new PlainTensor(out, shape, a.dtype);
}

/** Matrix-vector product [n, m] @ [m] -> [n]. @example plain.mv(m, v) */
export function mv(m: PlainTensor, v: PlainTensor): PlainTensor {
  plainArg('mv', 'm', m);
  plainArg('mv', 'v', v);
  if (m.ndim !== 2 || v.ndim !== 1)
    fail(
      'SHAPE_MISMATCH',
      `mv: expected a 2-D matrix and a 1-D vector, got [${m.shape.join(', ')}] and [${v.shape.join(', ')}]`,
    );
  return matmul(m, v);
}

/** Batched matrix product [B, n, m] @ [B, m, p] -> [B, n, p], no broadcasting. @example plain.bmm(a, b) */
export function bmm(a: PlainTensor, b: PlainTensor): PlainTensor {
  plainArg('bmm', 'a', a); // both checked before the message below reads their shapes
  plainArg('bmm', 'b', b);
  if (a.ndim !== 3 || b.ndim !== 3 || a.shape[0] !== b.shape[0])
    fail(
      'SHAPE_MISMATCH',
      `bmm: expected [B, n, m] @ [B, m, p], got [${a.shape.join(', ')}] @ [${b.shape.join(', ')}]`,
    );
  return matmul(a, b);
}

/** beta * input + alpha * (m1 @ m2), input broadcast to [n, p]; beta 0 ignores input. @example plain.addmm(bias, x, w) */
export function addmm(input: PlainTensor, m1: PlainTensor, m2: PlainTensor, beta = 1, alpha = 1): PlainTensor {
  plainArg('addmm', 'input', input);
  num('addmm', 'beta', beta);
  num('addmm', 'alpha', alpha);
  const p = matmul(m1, m2);
  if (input.ndim > 2 || broadcastShapes(input.shape, p.shape).join() !== p.shape.join())
    fail('SHAPE_MISMATCH', `addmm: input must broadcast to [${p.shape.join(', ')}], got [${input.shape.join(', ')}]`);
  const inp = expand(input, p.shape);
  const out = alloc(p.dtype, p.numel());
  for (let i = 0; i < out.length; i++) {
    const v = alpha * p.data[i] + (beta === 0 ? 0 : beta * inp.data[i]);
    out[i] = p.dtype === 'int32' ? v | 0 : v;
  }
  return new PlainTensor(out, p.shape, p.dtype);
}

// x [..., in] and w [out, in] checked as linear's operands: [M, in, out] with M the leading size.
function linearDims(op: string, x: PlainTensor, w: PlainTensor): [number, number, number] {
  plainArg(op, 'input', x);
  plainArg(op, 'weight', w);
  if (x.ndim < 1 || w.ndim !== 2 || x.shape[x.ndim - 1] !== w.shape[1])
    fail(
      'SHAPE_MISMATCH',
      `${op}: expected input [..., in] and weight [out, in], got [${x.shape.join(', ')}] and [${w.shape.join(', ')}]`,
    );
  const [out, inF] = w.shape as [number, number];
  return [x.shape.slice(0, -1).reduce((a, d) => a * d, 1), inF, out];
}

/**
 * relu?(x @ w^T + b) by definition: x [..., in], w [out, in], b [out] or null. @example plain.linear(x, w, b, true)
 */
export function linear(x: PlainTensor, w: PlainTensor, b: PlainTensor | null = null, relu = false): PlainTensor {
  const [rows, K, N] = linearDims('linear', x, w);
  if (b && (plainArg('linear', 'bias', b).ndim !== 1 || b.shape[0] !== N))
    fail('SHAPE_MISMATCH', `linear: bias must be [${N}], got [${b.shape.join(', ')}]`);
  const out = alloc(x.dtype, rows * N);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += x.data[i * K + k] * w.data[j * K + k];
      let v = s + (b ? b.data[j] : 0);
      if (relu && v < 0) v = 0;
      out[i * N + j] = x.dtype === 'int32' ? v | 0 : v;
    }
  return new PlainTensor(out, [...x.shape.slice(0, -1), N], x.dtype);
}

/**
 * linear's gradients for the loss gradient g ([..., out]) by the chain rule: with y (the output
 * of a linear + ReLU), g counts only where y > 0. @example plain.linearBackward(g, x, w).weight
 */
export function linearBackward(
  g: PlainTensor,
  x: PlainTensor,
  w: PlainTensor,
  y: PlainTensor | null = null,
): { input: PlainTensor; weight: PlainTensor; bias: PlainTensor } {
  const [rows, K, N] = linearDims('linearBackward', x, w);
  const gm = (i: number, j: number) => (y && !(y.data[i * N + j] > 0) ? 0 : g.data[i * N + j]);
  const gx = alloc(x.dtype, rows * K),
    gw = alloc(x.dtype, N * K),
    gb = alloc(x.dtype, N);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < N; j++) {
      const v = gm(i, j);
      gb[j] += v;
      for (let k = 0; k < K; k++) {
        gx[i * K + k] += v * w.data[j * K + k];
        gw[j * K + k] += v * x.data[i * K + k];
      }
    }
  return {
    input: new PlainTensor(gx, x.shape, x.dtype),
    weight: new PlainTensor(gw, w.shape, x.dtype),
    bias: new PlainTensor(gb, [N], x.dtype),
  };
}
