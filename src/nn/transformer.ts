// Attention and transformer blocks, as torch.nn: MultiheadAttention, TransformerEncoderLayer,
// TransformerDecoderLayer and their stacks. Parameter names follow PyTorch's (in_proj_weight,
// self_attn.out_proj.weight, linear1, norm1, ...), so state dicts line up.
import { fail } from '../errors.js';
import { noGrad } from '../autograd.js';
import { tidy } from '../memory.js';
import { checkOptions, describe, intAtLeast, oneOf } from '../options.js';
import { ones, randn, zeros } from '../ops/creation.js';
import { Tensor } from '../tensor.js';
import { tensorArg } from '../args.js';
import { Module, Parameter } from './module.js';
import { Dropout, LayerNorm, Linear } from './layers.js';
import { ModuleList } from './containers.js';
import { xavierUniform_ } from './init.js';
import { mhaForward } from './mha_functional.js';
import '../ops/indexing.js';
import '../ops/shaping.js';
import '../ops/math.js';

/** Options of `MultiheadAttention`. */
export interface MultiheadAttentionOptions {
  /** Dropout on the attention weights in training. Default 0. */
  dropout?: number;
  /** Biases on the input and output projections. Default true. */
  bias?: boolean;
  /** Inputs and outputs are [N, L, E] (else [L, N, E], PyTorch's default). */
  batchFirst?: boolean;
  /** The keys' width (default embedDim); with kdim or vdim, q/k/v have their own projection weights. */
  kdim?: number;
  /** The values' width (default embedDim). */
  vdim?: number;
  /** A learned key and value appended to every sequence (bias_k, bias_v). Default false. */
  addBiasKv?: boolean;
  /** A zero key and value appended after the projection. Default false. */
  addZeroAttn?: boolean;
}

/** Options of `MultiheadAttention.forward`. */
export interface AttentionForwardOptions {
  /** [N, S] bool: true marks a key position to ignore (padding). */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights too (averaged over heads unless averageAttnWeights is false). Default true. */
  needWeights?: boolean;
  /** [L, S] or [N*numHeads, L, S]: bool (true: may NOT attend, PyTorch's convention here) or float (added). */
  attnMask?: Tensor | null;
  averageAttnWeights?: boolean;
  /** A causal mask (each position attends to itself and earlier ones). */
  isCausal?: boolean;
}

/**
 * Multi-head attention (torch.nn.MultiheadAttention): keys and values of their own widths (kdim,
 * vdim), bias_k/bias_v and add_zero_attn as torch's; forward returns [output, weights or null].
 * The computation is F.multiHeadAttentionForward's.
 * @example
 * const mha = new nn.MultiheadAttention(64, 4, { batchFirst: true });
 * const [y] = mha.call(x, x, x, { isCausal: true, needWeights: false });
 */
export class MultiheadAttention extends Module {
  /** The packed q/k/v projection [3E, E] (null with kdim or vdim: then q/k/v_proj_weight). */
  in_proj_weight: Tensor | null;
  q_proj_weight: Tensor | null;
  k_proj_weight: Tensor | null;
  v_proj_weight: Tensor | null;
  in_proj_bias: Tensor | null;
  bias_k: Tensor | null;
  bias_v: Tensor | null;
  out_proj: Linear;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly kdim: number;
  readonly vdim: number;
  readonly addZeroAttn: boolean;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    options: MultiheadAttentionOptions = {},
  ) {
    super();
    const op = 'MultiheadAttention';
    intAtLeast(op, 'embedDim', embedDim, 1);
    intAtLeast(op, 'numHeads', numHeads, 1);
    const o = checkOptions(op, options, {
      dropout: 'number',
      bias: 'boolean',
      batchFirst: 'boolean',
      kdim: 'integer',
      vdim: 'integer',
      addBiasKv: 'boolean',
      addZeroAttn: 'boolean',
    });
    if (embedDim % numHeads !== 0)
      fail('INVALID_ARGUMENT', `${op}: embedDim (${embedDim}) must be divisible by numHeads (${numHeads})`);
    this.headDim = embedDim / numHeads;
    this.dropout = o.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1))
      fail('INVALID_ARGUMENT', `${op}: dropout must be in [0, 1), got ${describe(o.dropout)}`);
    this.batchFirst = o.batchFirst ?? false;
    this.kdim = intAtLeast(op, 'kdim', o.kdim ?? embedDim, 1);
    this.vdim = intAtLeast(op, 'vdim', o.vdim ?? embedDim, 1);
    this.addZeroAttn = o.addZeroAttn ?? false;
    const bias = o.bias ?? true;
    const E = embedDim;
    // torch's initialisation: Xavier-uniform projections, zero biases, Xavier-normal bias_k/v
    const xavier = (rows: number, cols: number) => Parameter(xavierUniform_(zeros([rows, cols])));
    const same = this.kdim === E && this.vdim === E;
    this.in_proj_weight = same ? xavier(3 * E, E) : null;
    this.q_proj_weight = same ? null : xavier(E, E);
    this.k_proj_weight = same ? null : xavier(E, this.kdim);
    this.v_proj_weight = same ? null : xavier(E, this.vdim);
    this.in_proj_bias = bias ? Parameter(zeros([3 * E])) : null;
    const xavierNormal = () => Parameter(randn([1, 1, E]).mul(Math.sqrt(2 / (1 + E))));
    this.bias_k = o.addBiasKv ? xavierNormal() : null;
    this.bias_v = o.addBiasKv ? xavierNormal() : null;
    this.out_proj = new Linear(E, E, { bias });
    // PyTorch starts the output projection's bias at 0.
    const ob = this.out_proj.bias;
    if (ob) noGrad(() => ob.zero_());
  }

  forward(query: Tensor, key: Tensor, value: Tensor, options: AttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const op = 'MultiheadAttention';
    const o = checkOptions(op, options, {
      keyPaddingMask: 'any',
      needWeights: 'boolean',
      attnMask: 'any',
      averageAttnWeights: 'boolean',
      isCausal: 'boolean',
    });
    for (const [n, t, d] of [
      ['query', query, this.embedDim],
      ['key', key, this.kdim],
      ['value', value, this.vdim],
    ] as const)
      if (!(t instanceof Tensor) || t.ndim !== 3 || t.shape[2] !== d)
        fail(
          'SHAPE_MISMATCH',
          `${op}(embedDim=${this.embedDim}): expected a 3-D ${n} ending in ${d}, got ${t instanceof Tensor ? `[${t.shape.join(', ')}]` : describe(t)}`,
        );
    return mhaForward(
      [query, key, value],
      this.embedDim,
      this.numHeads,
      [this.in_proj_weight, this.in_proj_bias, this.bias_k, this.bias_v],
      this.addZeroAttn,
      this.dropout,
      [this.out_proj.weight, this.out_proj.bias],
      {
        training: this.training,
        keyPaddingMask: o.keyPaddingMask,
        needWeights: o.needWeights ?? true,
        attnMask: o.attnMask,
        isCausal: o.isCausal,
        averageAttnWeights: o.averageAttnWeights,
        useSeparateProjWeight: this.in_proj_weight === null,
        qProjWeight: this.q_proj_weight,
        kProjWeight: this.k_proj_weight,
        vProjWeight: this.v_proj_weight,
      },
      this.batchFirst,
    );
  }
}

/** Options of the transformer layers. */
export interface TransformerLayerOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: 'relu' | 'gelu';
  layerNormEps?: number;
  batchFirst?: boolean;
  /** Pre-norm (LayerNorm before attention and feed-forward), as GPT-2. Default false (post-norm). */
  normFirst?: boolean;
  bias?: boolean;
}

// The parts both layer kinds share: dropout(attention(q, kv, kv)) and the feed-forward network.
function attend(
  attn: MultiheadAttention,
  drop: Dropout,
  q: Tensor,
  kv: Tensor,
  masks: Pick<AttentionForwardOptions, 'attnMask' | 'keyPaddingMask' | 'isCausal'>,
): Tensor {
  return drop.call(attn.call(q, kv, kv, { ...masks, needWeights: false })[0]);
}
function feedForward(
  l: { linear1: Linear; linear2: Linear; dropout: Dropout; activation: 'relu' | 'gelu' },
  drop: Dropout,
  x: Tensor,
): Tensor {
  const h = l.linear1.call(x);
  return drop.call(l.linear2.call(l.dropout.call(l.activation === 'gelu' ? h.gelu() : h.relu())));
}

const LAYER_SPEC = {
  dimFeedforward: 'integer',
  dropout: 'number',
  activation: 'string',
  layerNormEps: 'number',
  batchFirst: 'boolean',
  normFirst: 'boolean',
  bias: 'boolean',
} as const;

function layerSettings(op: string, o: TransformerLayerOptions) {
  const c = checkOptions(op, o, LAYER_SPEC);
  return {
    ff: intAtLeast(op, 'dimFeedforward', c.dimFeedforward ?? 2048, 1),
    dropout: c.dropout ?? 0.1,
    activation: oneOf(op, 'activation', c.activation ?? 'relu', ['relu', 'gelu'] as const),
    eps: c.layerNormEps ?? 1e-5,
    batchFirst: c.batchFirst ?? false,
    normFirst: c.normFirst ?? false,
    bias: c.bias ?? true,
  };
}

/**
 * One encoder block: self-attention and a feed-forward network, each with dropout, a residual
 * and LayerNorm (torch.nn.TransformerEncoderLayer).
 * @example const layer = new nn.TransformerEncoderLayer(64, 4, { batchFirst: true, dimFeedforward: 256 })
 */
export class TransformerEncoderLayer extends Module {
  self_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  readonly normFirst: boolean;
  readonly activation: 'relu' | 'gelu';

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    readonly options: TransformerLayerOptions = {},
  ) {
    super();
    const s = layerSettings('TransformerEncoderLayer', options);
    this.self_attn = new MultiheadAttention(dModel, nhead, {
      dropout: s.dropout,
      bias: s.bias,
      batchFirst: s.batchFirst,
    });
    this.linear1 = new Linear(dModel, s.ff, { bias: s.bias });
    this.dropout = new Dropout(s.dropout);
    this.linear2 = new Linear(s.ff, dModel, { bias: s.bias });
    this.norm1 = new LayerNorm(dModel, { eps: s.eps });
    this.norm2 = new LayerNorm(dModel, { eps: s.eps });
    this.dropout1 = new Dropout(s.dropout);
    this.dropout2 = new Dropout(s.dropout);
    this.normFirst = s.normFirst;
    this.activation = s.activation;
  }

  forward(
    src: Tensor,
    options: { srcMask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; isCausal?: boolean } = {},
  ): Tensor {
    tensorArg('TransformerEncoderLayer', 'src', src);
    const o = checkOptions('TransformerEncoderLayer', options, {
      srcMask: 'any',
      srcKeyPaddingMask: 'any',
      isCausal: 'boolean',
    });
    return tidy(() => {
      const masks = { attnMask: o.srcMask, keyPaddingMask: o.srcKeyPaddingMask, isCausal: o.isCausal };
      const sa = (x: Tensor) => attend(this.self_attn, this.dropout1, x, x, masks);
      const ff = (x: Tensor) => feedForward(this, this.dropout2, x);
      if (this.normFirst) {
        const x = src.add(sa(this.norm1.call(src)));
        return x.add(ff(this.norm2.call(x)));
      }
      const x = this.norm1.call(src.add(sa(src)));
      return this.norm2.call(x.add(ff(x)));
    });
  }
}

/**
 * One decoder block: causal self-attention, attention over the encoder's memory and a
 * feed-forward network (torch.nn.TransformerDecoderLayer).
 * @example const layer = new nn.TransformerDecoderLayer(64, 4, { batchFirst: true })
 */
export class TransformerDecoderLayer extends Module {
  self_attn: MultiheadAttention;
  multihead_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  norm3: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  dropout3: Dropout;
  readonly normFirst: boolean;
  readonly activation: 'relu' | 'gelu';

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    readonly options: TransformerLayerOptions = {},
  ) {
    super();
    const s = layerSettings('TransformerDecoderLayer', options);
    const mha = () =>
      new MultiheadAttention(dModel, nhead, { dropout: s.dropout, bias: s.bias, batchFirst: s.batchFirst });
    this.self_attn = mha();
    this.multihead_attn = mha();
    this.linear1 = new Linear(dModel, s.ff, { bias: s.bias });
    this.dropout = new Dropout(s.dropout);
    this.linear2 = new Linear(s.ff, dModel, { bias: s.bias });
    this.norm1 = new LayerNorm(dModel, { eps: s.eps });
    this.norm2 = new LayerNorm(dModel, { eps: s.eps });
    this.norm3 = new LayerNorm(dModel, { eps: s.eps });
    this.dropout1 = new Dropout(s.dropout);
    this.dropout2 = new Dropout(s.dropout);
    this.dropout3 = new Dropout(s.dropout);
    this.normFirst = s.normFirst;
    this.activation = s.activation;
  }

  forward(tgt: Tensor, memory: Tensor, options: DecoderForwardOptions = {}): Tensor {
    tensorArg('TransformerDecoderLayer', 'tgt', tgt);
    tensorArg('TransformerDecoderLayer', 'memory', memory);
    const o = checkOptions('TransformerDecoderLayer', options, DECODER_SPEC);
    return tidy(() => {
      const sa = (x: Tensor) =>
        attend(this.self_attn, this.dropout1, x, x, {
          attnMask: o.tgtMask,
          keyPaddingMask: o.tgtKeyPaddingMask,
          isCausal: o.tgtIsCausal,
        });
      const ca = (x: Tensor) =>
        attend(this.multihead_attn, this.dropout2, x, memory, {
          attnMask: o.memoryMask,
          keyPaddingMask: o.memoryKeyPaddingMask,
        });
      const ff = (x: Tensor) => feedForward(this, this.dropout3, x);
      if (this.normFirst) {
        let x = tgt.add(sa(this.norm1.call(tgt)));
        x = x.add(ca(this.norm2.call(x)));
        return x.add(ff(this.norm3.call(x)));
      }
      let x = this.norm1.call(tgt.add(sa(tgt)));
      x = this.norm2.call(x.add(ca(x)));
      return this.norm3.call(x.add(ff(x)));
    });
  }
}

/** Masks of `TransformerDecoderLayer.forward` and `TransformerDecoder.forward`. */
export interface DecoderForwardOptions {
  tgtMask?: Tensor | null;
  memoryMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
  tgtIsCausal?: boolean;
}
const DECODER_SPEC = {
  tgtMask: 'any',
  memoryMask: 'any',
  tgtKeyPaddingMask: 'any',
  memoryKeyPaddingMask: 'any',
  tgtIsCausal: 'boolean',
} as const;

// A fresh layer like `layer` (same constructor arguments) holding a copy of its parameters, as
// PyTorch's stacks deep-copy the layer they are given.
function copyLayer<L extends TransformerEncoderLayer | TransformerDecoderLayer>(layer: L): L {
  const C = layer.constructor as new (d: number, h: number, o: TransformerLayerOptions) => L;
  const copy = new C(layer.dModel, layer.nhead, layer.options);
  const sd = layer.stateDict();
  copy.loadStateDict(sd);
  for (const t of Object.values(sd)) t.dispose();
  return copy;
}

/** numLayers copies of an encoder layer, then an optional norm (torch.nn.TransformerEncoder). */
export class TransformerEncoder extends Module {
  layers: ModuleList<TransformerEncoderLayer>;
  norm: Module | null;
  constructor(encoderLayer: TransformerEncoderLayer, numLayers: number, options: { norm?: Module | null } = {}) {
    super();
    if (!(encoderLayer instanceof TransformerEncoderLayer))
      fail('INVALID_ARGUMENT', `TransformerEncoder: expected a TransformerEncoderLayer, got ${describe(encoderLayer)}`);
    const n = intAtLeast('TransformerEncoder', 'numLayers', numLayers, 1);
    const o = checkOptions('TransformerEncoder', options, { norm: 'any' });
    this.layers = new ModuleList(Array.from({ length: n }, () => copyLayer(encoderLayer)));
    this.norm = o.norm ?? null;
  }
  forward(
    src: Tensor,
    options: { mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; isCausal?: boolean } = {},
  ): Tensor {
    tensorArg('TransformerEncoder', 'src', src);
    const o = checkOptions('TransformerEncoder', options, {
      mask: 'any',
      srcKeyPaddingMask: 'any',
      isCausal: 'boolean',
    });
    return tidy(() => {
      let x = src;
      for (const layer of this.layers)
        x = layer.call(x, { srcMask: o.mask, srcKeyPaddingMask: o.srcKeyPaddingMask, isCausal: o.isCausal });
      return this.norm ? (this.norm.call(x) as Tensor) : x === src ? src.clone() : x;
    });
  }
}

/** numLayers copies of a decoder layer, then an optional norm (torch.nn.TransformerDecoder). */
export class TransformerDecoder extends Module {
  layers: ModuleList<TransformerDecoderLayer>;
  norm: Module | null;
  constructor(decoderLayer: TransformerDecoderLayer, numLayers: number, options: { norm?: Module | null } = {}) {
    super();
    if (!(decoderLayer instanceof TransformerDecoderLayer))
      fail('INVALID_ARGUMENT', `TransformerDecoder: expected a TransformerDecoderLayer, got ${describe(decoderLayer)}`);
    const n = intAtLeast('TransformerDecoder', 'numLayers', numLayers, 1);
    const o = checkOptions('TransformerDecoder', options, { norm: 'any' });
    this.layers = new ModuleList(Array.from({ length: n }, () => copyLayer(decoderLayer)));
    this.norm = o.norm ?? null;
  }
  forward(tgt: Tensor, memory: Tensor, options: DecoderForwardOptions = {}): Tensor {
    tensorArg('TransformerDecoder', 'tgt', tgt);
    tensorArg('TransformerDecoder', 'memory', memory);
    checkOptions('TransformerDecoder', options, DECODER_SPEC);
    return tidy(() => {
      let x = tgt;
      for (const layer of this.layers) x = layer.call(x, memory, options);
      return this.norm ? (this.norm.call(x) as Tensor) : x === tgt ? tgt.clone() : x;
    });
  }
}

/** Options of `Transformer`: the layers' options, the stacks' depths and optional custom stacks. */
export interface TransformerOptions extends TransformerLayerOptions {
  /** Encoder layers (default 6). */
  numEncoderLayers?: number;
  /** Decoder layers (default 6). */
  numDecoderLayers?: number;
  /** Used instead of the default encoder stack. */
  customEncoder?: Module | null;
  /** Used instead of the default decoder stack. */
  customDecoder?: Module | null;
}

/** Masks and flags of `Transformer.forward` (PyTorch's names, camelCase). */
export interface TransformerForwardOptions extends DecoderForwardOptions {
  srcMask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  srcIsCausal?: boolean;
}

/**
 * The encoder-decoder model of "Attention Is All You Need" (torch.nn.Transformer): an encoder stack
 * and a decoder stack, each ending in a LayerNorm, with every matrix parameter re-drawn
 * Xavier-uniform as PyTorch does. Parameter names match PyTorch's (encoder.layers.0.self_attn...,
 * decoder.norm.weight), so its state dicts load.
 * @example
 * const model = new nn.Transformer({ dModel: 64, nhead: 4, numEncoderLayers: 2, numDecoderLayers: 2, batchFirst: true });
 * const out = model.call(src, tgt, { tgtMask: nn.Transformer.generateSquareSubsequentMask(tgt.shape[1]) });
 */
export class Transformer extends Module {
  encoder: Module;
  decoder: Module;
  readonly dModel: number;
  readonly nhead: number;
  readonly batchFirst: boolean;
  constructor(options: TransformerOptions & { dModel?: number; nhead?: number } = {}) {
    super();
    const op = 'Transformer';
    const o = checkOptions(op, options, {
      ...LAYER_SPEC,
      dModel: 'integer',
      nhead: 'integer',
      numEncoderLayers: 'integer',
      numDecoderLayers: 'integer',
      customEncoder: 'any',
      customDecoder: 'any',
    });
    const {
      dModel: d = 512,
      nhead: h = 8,
      numEncoderLayers,
      numDecoderLayers,
      customEncoder,
      customDecoder,
      ...layer
    } = o;
    this.dModel = intAtLeast(op, 'dModel', d, 1);
    this.nhead = intAtLeast(op, 'nhead', h, 1);
    this.batchFirst = layer.batchFirst ?? false;
    const eps = layerSettings(op, layer).eps;
    for (const [k, m] of Object.entries({ customEncoder, customDecoder }))
      if (m != null && !(m instanceof Module))
        fail('INVALID_ARGUMENT', `${op}: '${k}' must be a Module, got ${describe(m)}`);
    const norm = () => new LayerNorm(this.dModel, { eps });
    const stack = <L extends Module>(make: () => L, n: number | undefined, wrap: (l: L, n: number) => Module) => {
      const l = make();
      const s = wrap(l, intAtLeast(op, 'numLayers', n ?? 6, 1));
      for (const p of l.parameters()) p.dispose();
      return s;
    };
    this.encoder =
      customEncoder ??
      stack(
        () => new TransformerEncoderLayer(this.dModel, this.nhead, layer),
        numEncoderLayers,
        (l, n) => new TransformerEncoder(l, n, { norm: norm() }),
      );
    this.decoder =
      customDecoder ??
      stack(
        () => new TransformerDecoderLayer(this.dModel, this.nhead, layer),
        numDecoderLayers,
        (l, n) => new TransformerDecoder(l, n, { norm: norm() }),
      );
    // PyTorch's _reset_parameters: every parameter of more than one dim Xavier-uniform
    for (const p of this.parameters()) if (p.ndim > 1) xavierUniform_(p);
  }
  /** The decoder's output for tgt, attending to the encoded src. */
  forward(src: Tensor, tgt: Tensor, options: TransformerForwardOptions = {}): Tensor {
    const op = 'Transformer';
    tensorArg(op, 'src', src);
    tensorArg(op, 'tgt', tgt);
    const o = checkOptions(op, options, {
      ...DECODER_SPEC,
      srcMask: 'any',
      srcKeyPaddingMask: 'any',
      srcIsCausal: 'boolean',
    });
    const batched = src.ndim === 3;
    const bdim = this.batchFirst ? 0 : 1;
    if (batched && tgt.ndim === 3 && src.shape[bdim] !== tgt.shape[bdim])
      fail(
        'SHAPE_MISMATCH',
        `${op}: the batch number of src and tgt must be equal, got [${src.shape.join(', ')}] and [${tgt.shape.join(', ')}]`,
      );
    if (src.shape[src.ndim - 1] !== this.dModel || tgt.shape[tgt.ndim - 1] !== this.dModel)
      fail(
        'SHAPE_MISMATCH',
        `${op}: the feature number of src and tgt must be dModel (${this.dModel}), got [${src.shape.join(', ')}] and [${tgt.shape.join(', ')}]`,
      );
    const { srcMask, srcKeyPaddingMask, srcIsCausal, ...dec } = o;
    return tidy(() => {
      const memory = this.encoder.call(src, { mask: srcMask, srcKeyPaddingMask, isCausal: srcIsCausal }) as Tensor;
      return this.decoder.call(tgt, memory, dec) as Tensor;
    });
  }
  /**
   * A [sz, sz] float mask for causal attention: -Infinity above the diagonal, 0 elsewhere.
   * @example nn.Transformer.generateSquareSubsequentMask(4)
   */
  static generateSquareSubsequentMask(sz: number): Tensor {
    const n = intAtLeast('generateSquareSubsequentMask', 'sz', sz, 0);
    return tidy(() => zeros([n, n]).maskedFill(ones([n, n], { dtype: 'bool' }).triu(1), -Infinity));
  }
}
