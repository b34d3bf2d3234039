// F.multiHeadAttentionForward: torch.nn.functional.multi_head_attention_forward, the computation
// of nn.MultiheadAttention with every weight passed in (packed or separate q/k/v projections,
// bias_k/bias_v, add_zero_attn, static keys and values, bool or float masks). Inputs are
// sequence-first [L, N, E] (or unbatched [L, E]), as torch's.
import { tensorArg } from '../args.js';
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { ones, zeros } from '../ops/creation.js';
import { cat } from '../ops/functional.js';
import { checkOptions, describe, intAtLeast, num } from '../options.js';
import { Tensor } from '../tensor.js';
import { dropout, linear } from './functional.js';
import { scaledDotProductAttention } from './functional_more.js';

/** Options of `multiHeadAttentionForward` (torch's keyword arguments). */
export interface MhaForwardOptions {
  /** Dropout on the attention weights applies only in training. Default true. */
  training?: boolean;
  /** [N, S] (or [S] unbatched): true (or -inf) marks a key position to ignore. */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights. Default true. */
  needWeights?: boolean;
  /** [L, S] or [N * numHeads, L, S]: bool (true: may not attend) or float (added). */
  attnMask?: Tensor | null;
  /** Each position attends to itself and earlier ones (torch 2's is_causal). */
  isCausal?: boolean;
  /** qProjWeight, kProjWeight and vProjWeight instead of inProjWeight (keys and values of other widths). */
  useSeparateProjWeight?: boolean;
  qProjWeight?: Tensor | null;
  kProjWeight?: Tensor | null;
  vProjWeight?: Tensor | null;
  /** Keys and values already projected and split into heads: [N * numHeads, S, headDim]. */
  staticK?: Tensor | null;
  staticV?: Tensor | null;
  /** Average the weights over heads (else [N, numHeads, L, S]). Default true. */
  averageAttnWeights?: boolean;
}

const shapeText = (t: Tensor) => `[${t.shape.join(', ')}]`;
const optTensor = (op: string, name: string, v: unknown): Tensor | null =>
  v === null || v === undefined ? null : tensorArg(op, name, v);

/**
 * Multi-head attention with its weights given (torch.nn.functional.multi_head_attention_forward):
 * query [L, N, E], key [S, N, kdim] and value [S, N, vdim] (or unbatched [L, E]...); returns
 * [output [L, N, E], weights [N, L, S] (or per head) or null].
 * @example const [y, w] = F.multiHeadAttentionForward(q, k, v, 8, 2, inW, inB, null, null, false, 0, outW, outB)
 */
export function multiHeadAttentionForward(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  embedDimToCheck: number,
  numHeads: number,
  inProjWeight: Tensor | null,
  inProjBias: Tensor | null,
  biasK: Tensor | null,
  biasV: Tensor | null,
  addZeroAttn: boolean,
  dropoutP: number,
  outProjWeight: Tensor,
  outProjBias: Tensor | null,
  options: MhaForwardOptions = {},
): [Tensor, Tensor | null] {
  return mhaForward(
    [query, key, value],
    embedDimToCheck,
    numHeads,
    [inProjWeight, inProjBias, biasK, biasV],
    addZeroAttn,
    dropoutP,
    [outProjWeight, outProjBias],
    options,
    false,
  );
}

/**
 * @internal multiHeadAttentionForward on inputs in either layout: batch-first [N, L, E] (what
 * nn.MultiheadAttention mostly gets) is computed without transposing to sequence-first and back.
 */
export function mhaForward(
  [query, key, value]: [Tensor, Tensor, Tensor],
  embedDimToCheck: number,
  numHeads: number,
  [inProjWeight, inProjBias, biasK, biasV]: (Tensor | null)[],
  addZeroAttn: boolean,
  dropoutP: number,
  [outProjWeight, outProjBias]: [Tensor, Tensor | null],
  options: MhaForwardOptions,
  batchFirst: boolean,
): [Tensor, Tensor | null] {
  const op = 'multiHeadAttentionForward';
  tensorArg(op, 'query', query);
  tensorArg(op, 'key', key);
  tensorArg(op, 'value', value);
  const H = intAtLeast(op, 'numHeads', numHeads, 1);
  const E = intAtLeast(op, 'embedDimToCheck', embedDimToCheck, 1);
  const p = num(op, 'dropoutP', dropoutP);
  if (!(p >= 0 && p <= 1)) fail('INVALID_ARGUMENT', `${op}: dropoutP must be in [0, 1], got ${p}`);
  if (typeof addZeroAttn !== 'boolean')
    fail('INVALID_ARGUMENT', `${op}: addZeroAttn must be a boolean, got ${describe(addZeroAttn)}`);
  tensorArg(op, 'outProjWeight', outProjWeight);
  const o = checkOptions(op, options, {
    training: 'boolean',
    keyPaddingMask: 'any',
    needWeights: 'boolean',
    attnMask: 'any',
    isCausal: 'boolean',
    useSeparateProjWeight: 'boolean',
    qProjWeight: 'any',
    kProjWeight: 'any',
    vProjWeight: 'any',
    staticK: 'any',
    staticV: 'any',
    averageAttnWeights: 'boolean',
  });
  const batched = query.ndim === 3;
  if (!(query.ndim === 3 || query.ndim === 2) || key.ndim !== query.ndim || value.ndim !== query.ndim)
    fail(
      'SHAPE_MISMATCH',
      `${op}: query, key and value must all be 3-D [L, N, E] or 2-D [L, E], got ${shapeText(query)}, ${shapeText(key)} and ${shapeText(value)}`,
    );
  // batch-first views [N, len, E] (an unbatched input is a batch of one)
  const [q0, k0, v0] = [query, key, value].map((t) => (!batched ? t.unsqueeze(0) : batchFirst ? t : t.transpose(0, 1)));
  const [N, L] = q0.shape;
  if (q0.shape[2] !== E)
    fail('SHAPE_MISMATCH', `${op}: expected an embedding dimension of ${E}, got query ${shapeText(query)}`);
  if (E % H !== 0) fail('INVALID_ARGUMENT', `${op}: embed dim ${E} is not divisible by numHeads ${H}`);
  const hd = E / H;
  if (k0.shape[1] !== v0.shape[1] || k0.shape[0] !== N || v0.shape[0] !== N)
    fail(
      'SHAPE_MISMATCH',
      `${op}: key ${shapeText(key)} and value ${shapeText(value)} must share their sequence and batch dims with query's batch ${N}`,
    );
  const separate = o.useSeparateProjWeight ?? false;
  const inW = optTensor(op, 'inProjWeight', inProjWeight),
    inB = optTensor(op, 'inProjBias', inProjBias);
  const bk = optTensor(op, 'biasK', biasK),
    bv = optTensor(op, 'biasV', biasV);
  const outB = optTensor(op, 'outProjBias', outProjBias);
  const kpm0 = optTensor(op, 'keyPaddingMask', o.keyPaddingMask);
  const mask0 = optTensor(op, 'attnMask', o.attnMask);
  const staticK = optTensor(op, 'staticK', o.staticK),
    staticV = optTensor(op, 'staticV', o.staticV);
  if ((bk === null) !== (bv === null)) fail('INVALID_ARGUMENT', `${op}: give both biasK and biasV, or neither`);
  if (bk && (staticK || staticV))
    fail('INVALID_ARGUMENT', `${op}: biasK/biasV cannot be added to static keys or values`);
  for (const [n, t] of [
    ['staticK', staticK],
    ['staticV', staticV],
  ] as const)
    if (t && (t.ndim !== 3 || t.shape[0] !== N * H || t.shape[2] !== hd))
      fail('SHAPE_MISMATCH', `${op}: ${n} must be [${N * H}, S, ${hd}], got ${shapeText(t)}`);
  const training = o.training ?? true;
  const needWeights = o.needWeights ?? true;
  return tidy(() => {
    // the projections, on [N, len, width]
    let q: Tensor, k: Tensor, v: Tensor;
    if (!separate) {
      if (!inW) fail('INVALID_ARGUMENT', `${op}: inProjWeight is needed unless useSeparateProjWeight`);
      if (inW.shape.join() !== [3 * E, E].join())
        fail('SHAPE_MISMATCH', `${op}: inProjWeight must be [${3 * E}, ${E}], got ${shapeText(inW)}`);
      if (k0.shape.join() !== v0.shape.join())
        fail('SHAPE_MISMATCH', `${op}: key ${shapeText(key)} and value ${shapeText(value)} must match`);
      const [wq, wk, wv] = inW.split(E, 0);
      const [bq, bk2, bv2] = inB ? inB.split(E, 0) : [null, null, null];
      [q, k, v] = [linear(q0, wq, bq), linear(k0, wk, bk2), linear(v0, wv, bv2)];
    } else {
      const wq = optTensor(op, 'qProjWeight', o.qProjWeight),
        wk = optTensor(op, 'kProjWeight', o.kProjWeight),
        wv = optTensor(op, 'vProjWeight', o.vProjWeight);
      if (!wq || !wk || !wv)
        fail('INVALID_ARGUMENT', `${op}: useSeparateProjWeight needs qProjWeight, kProjWeight and vProjWeight`);
      const [bq, bk2, bv2] = inB ? inB.split(E, 0) : [null, null, null];
      [q, k, v] = [linear(q0, wq, bq), linear(k0, wk, bk2), linear(v0, wv, bv2)];
    }
    // the masks, as one float mask to add, [1 or N, 1 or H, 1 or L, S] (bool ones made -inf)
    const S0 = k0.shape[1];
    let mask: Tensor | null = null;
    if (mask0) {
      if (mask0.ndim === 2 && mask0.shape.join() !== [L, S0].join())
        fail('SHAPE_MISMATCH', `${op}: the 2-D attnMask is ${shapeText(mask0)}, but should be [${L}, ${S0}]`);
      if (mask0.ndim === 3 && mask0.shape.join() !== [N * H, L, S0].join())
        fail('SHAPE_MISMATCH', `${op}: the 3-D attnMask is ${shapeText(mask0)}, but should be [${N * H}, ${L}, ${S0}]`);
      if (mask0.ndim !== 2 && mask0.ndim !== 3)
        fail('SHAPE_MISMATCH', `${op}: attnMask must be 2-D or 3-D, got ${shapeText(mask0)}`);
      mask = floatMask(mask0, q.dtype).reshape(mask0.ndim === 2 ? [1, 1, L, S0] : [N, H, L, S0]);
    }
    // a causal mask alone, with no weights wanted: the fused attention's own causal path
    const onlyCausal = !!o.isCausal && !mask0 && !kpm0 && !bk && !addZeroAttn && !staticK && !needWeights;
    if (o.isCausal && !onlyCausal) {
      const causal = floatMask(ones([L, S0], { dtype: 'bool' }).triu(1), q.dtype).reshape([1, 1, L, S0]);
      mask = mask ? mask.add(causal) : causal;
    }
    let kpm = kpm0 ? (batched ? kpm0 : kpm0.unsqueeze(0)) : null;
    if (kpm && kpm.shape.join() !== [N, S0].join())
      fail('SHAPE_MISMATCH', `${op}: keyPaddingMask must be [${N}, ${S0}], got ${shapeText(kpm0!)}`);
    // one more key and value, biasK and biasV, that every query may attend to
    const padLast = (t: Tensor | null) =>
      t ? cat([t, zeros([...t.shape.slice(0, -1), 1], { dtype: t.dtype })], -1) : t;
    if (bk && bv) {
      k = cat([k, bk.reshape([1, 1, E]).expand([N, 1, E])], 1);
      v = cat([v, bv.reshape([1, 1, E]).expand([N, 1, E])], 1);
      mask = padLast(mask);
      kpm = padLast(kpm);
    }
    // to heads: [N, H, len, hd] (views of the projections)
    const heads = (t: Tensor) => t.reshape([N, t.shape[1], H, hd]).transpose(1, 2);
    const qh = heads(q);
    let kh = staticK ? staticK.reshape([N, H, staticK.shape[1], hd]) : heads(k);
    let vh = staticV ? staticV.reshape([N, H, staticV.shape[1], hd]) : heads(v);
    if (addZeroAttn) {
      kh = cat([kh, zeros([N, H, 1, hd], { dtype: kh.dtype })], 2);
      vh = cat([vh, zeros([N, H, 1, hd], { dtype: vh.dtype })], 2);
      mask = padLast(mask);
      kpm = padLast(kpm);
    }
    const S = kh.shape[2];
    if (kpm) {
      const per = floatMask(kpm, q.dtype).reshape([N, 1, 1, S]);
      mask = mask ? mask.add(per) : per;
    }
    const pDrop = training ? p : 0;
    let out: Tensor;
    let weights: Tensor | null = null;
    if (!needWeights) {
      // the fused attention, which never stores the weights
      out = scaledDotProductAttention(qh, kh, vh, { attnMask: mask, dropoutP: pDrop, isCausal: onlyCausal });
    } else {
      let scores = qh.mul(1 / Math.sqrt(hd)).matmul(kh.transpose(-2, -1));
      if (mask) scores = scores.add(mask);
      let w = scores.softmax(-1);
      if (pDrop > 0) w = dropout(w, pDrop, true);
      out = w.matmul(vh);
      weights = (o.averageAttnWeights ?? true) ? w.sum(1).div(H) : w;
      if (!batched) weights = weights.squeeze(0);
    }
    let y = linear(out.transpose(1, 2).reshape([N, L, E]), outProjWeight, outB); // [N, L, E]
    if (!batched) y = y.squeeze(0);
    else if (!batchFirst) y = y.transpose(0, 1);
    return [y, weights] as [Tensor, Tensor | null];
  });
}

// A bool mask (true: masked) as 0 / -inf, or a float mask as it is, in dtype.
function floatMask(m: Tensor, dtype: Tensor['dtype']): Tensor {
  if (m.dtype === 'bool') return zeros(m.shape, { dtype }).maskedFill(m, -Infinity);
  return m.to(dtype);
}
