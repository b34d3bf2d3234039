// Recurrent layers (RNN, LSTM, GRU) built from core ops, so autograd differentiates them:
// PyTorch's equations, gate order and parameter names (weight_ih_l0, ..., *_reverse), so state
// dicts carry over. The input projection of all time steps is one matmul per layer; each step
// adds the hidden projection and applies the gates. A PackedSequence input runs each step over the
// sequences still running only (its batch sizes), so padding never enters the recurrence.
import { fail } from '../errors.js';
import { tidy } from '../memory.js';
import { rand, tensor, zeros } from '../ops/creation.js';
import { cat, stack } from '../ops/functional.js';
import { checkOptions, describe } from '../options.js';
import { checkDType, type DType } from '../dtype.js';
import { Tensor } from '../tensor.js';
import * as F from './functional.js';
import { PackedSequence, packRows, padRows } from './packed.js';
import { Module, Parameter } from './module.js';

/** Options of `RNN`, `LSTM` and `GRU`. */
export interface RNNOptions {
  numLayers?: number;
  bias?: boolean;
  /** Input and output as [N, T, features] instead of [T, N, features]. */
  batchFirst?: boolean;
  /** Dropout on each layer's output except the last (training only). */
  dropout?: number;
  bidirectional?: boolean;
  dtype?: DType;
}

type Cell = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';
const RNN_SPEC = {
  numLayers: 'integer',
  bias: 'boolean',
  batchFirst: 'boolean',
  dropout: 'number',
  bidirectional: 'boolean',
  dtype: 'string',
} as const;

function rnnOptions<T extends RNNOptions>(op: string, options: T | undefined, extra: Record<string, 'string'> = {}): T {
  const o = checkOptions(op, options, { ...RNN_SPEC, ...extra });
  if (o.dtype !== undefined) checkDType(op, o.dtype);
  return o;
}
const GATES: Record<Cell, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

// One time step from the input and hidden projections gi, gh ([N, gates * H]): PyTorch's
// equations, gates in its order. Returns the new h (and c for LSTM).
function step(cell: Cell, gi: Tensor, gh: Tensor, h: Tensor, c: Tensor | null, H: number): [Tensor, Tensor | null] {
  const chunk = (g: Tensor, i: number) => g.narrow(1, i * H, H);
  if (cell === 'LSTM') {
    const g = gi.add(gh);
    const ig = chunk(g, 0).sigmoid(),
      fg = chunk(g, 1).sigmoid(),
      gg = chunk(g, 2).tanh(),
      og = chunk(g, 3).sigmoid();
    const c2 = fg.mul(c!).add(ig.mul(gg));
    return [og.mul(c2.tanh()), c2];
  }
  if (cell === 'GRU') {
    const r = chunk(gi, 0).add(chunk(gh, 0)).sigmoid(),
      z = chunk(gi, 1).add(chunk(gh, 1)).sigmoid();
    const n = chunk(gi, 2)
      .add(r.mul(chunk(gh, 2)))
      .tanh();
    return [z.neg().add(1).mul(n).add(z.mul(h)), null];
  }
  const pre = gi.add(gh);
  return [cell === 'RNN_TANH' ? pre.tanh() : pre.relu(), null];
}

abstract class RNNBase extends Module {
  /** Layer 0's input-hidden weights [gates * hiddenSize, inputSize] (always present). */
  declare readonly weight_ih_l0: Tensor;
  /** Layer 0's hidden-hidden weights [gates * hiddenSize, hiddenSize] (always present). */
  declare readonly weight_hh_l0: Tensor;
  // The other parameters exist as numLayers, bias and bidirectional say (PyTorch's names).
  readonly [weight: `weight_${'ih' | 'hh'}_l${number}` | `weight_${'ih' | 'hh'}_l${number}_reverse`]:
    Tensor | undefined;
  readonly [bias: `bias_${'ih' | 'hh'}_l${number}` | `bias_${'ih' | 'hh'}_l${number}_reverse`]: Tensor | undefined;
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bias: boolean;

  protected constructor(
    /** @internal */ protected readonly cell: Cell,
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: RNNOptions,
    /** @internal */ protected readonly op: string,
  ) {
    super();
    options = rnnOptions(op, options, op === 'RNN' ? { nonlinearity: 'string' } : {});
    for (const [k, v] of [
      ['inputSize', inputSize],
      ['hiddenSize', hiddenSize],
      ['numLayers', options.numLayers ?? 1],
    ] as const)
      if (!Number.isSafeInteger(v) || v <= 0)
        fail('INVALID_ARGUMENT', `${op}: '${k}' must be a positive integer, got ${describe(v)}`);
    this.numLayers = options.numLayers ?? 1;
    this.bidirectional = options.bidirectional ?? false;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = options.dropout ?? 0;
    this.bias = options.bias ?? true;
    if (!(this.dropout >= 0 && this.dropout <= 1))
      fail('INVALID_ARGUMENT', `${op}: dropout must be in [0, 1], got ${describe(options.dropout)}`);
    const G = GATES[cell] * hiddenSize,
      k = 1 / Math.sqrt(hiddenSize),
      dtype = options.dtype ?? 'float32';
    const uniform = (shape: number[]) => {
      const r = rand(shape, { dtype });
      const t = r.mul(2 * k).sub(k);
      r.dispose();
      return Parameter(t);
    };
    const self = this as unknown as Record<string, Tensor>;
    for (let l = 0; l < this.numLayers; l++)
      for (const suffix of this.bidirectional ? ['', '_reverse'] : ['']) {
        const inSize = l === 0 ? inputSize : hiddenSize * this.dirs;
        self[`weight_ih_l${l}${suffix}`] = uniform([G, inSize]);
        self[`weight_hh_l${l}${suffix}`] = uniform([G, hiddenSize]);
        if (this.bias) {
          self[`bias_ih_l${l}${suffix}`] = uniform([G]);
          self[`bias_hh_l${l}${suffix}`] = uniform([G]);
        }
      }
  }

  /** Directions: 2 when bidirectional, else 1. */
  protected get dirs(): number {
    return this.bidirectional ? 2 : 1;
  }

  private param(name: string): Tensor | null {
    return (this as unknown as Record<string, Tensor | undefined>)[name] ?? null;
  }

  // One direction of one layer over x [T, N, in]; returns the outputs [T, N, H] and final state.
  // With batchSizes (a packed batch, longest first), step t runs the first batchSizes[t] rows
  // only: the others keep their state (each final state is its sequence's last step's, and a
  // reverse pass starts at each sequence's own end) and output zeros.
  private direction(
    x: Tensor,
    layer: number,
    reverse: boolean,
    h0: Tensor,
    c0: Tensor | null,
    batchSizes: readonly number[] | null,
  ): [Tensor, Tensor, Tensor | null] {
    const sfx = `_l${layer}${reverse ? '_reverse' : ''}`;
    const wih = this.param(`weight_ih${sfx}`)!,
      whh = this.param(`weight_hh${sfx}`)!;
    const bih = this.param(`bias_ih${sfx}`),
      bhh = this.param(`bias_hh${sfx}`);
    const [T, N] = x.shape,
      H = this.hiddenSize;
    const xp = F.linear(x.reshape(T * N, -1), wih, bih).reshape(T, N, -1); // all steps at once
    let h = h0,
      c = c0;
    const outs: Tensor[] = new Array(T);
    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s;
      const b = batchSizes ? batchSizes[t] : N;
      if (b === N) {
        [h, c] = step(this.cell, xp.select(0, t), F.linear(h, whh, bhh), h, c, H);
        outs[t] = h;
        continue;
      }
      const ha = h.narrow(0, 0, b),
        ca = c ? c.narrow(0, 0, b) : null;
      const [hb, cb] = step(this.cell, xp.select(0, t).narrow(0, 0, b), F.linear(ha, whh, bhh), ha, ca, H);
      h = cat([hb, h.narrow(0, b, N - b)], 0);
      if (c) c = cat([cb!, c.narrow(0, b, N - b)], 0);
      outs[t] = cat([hb, zeros([N - b, H], { dtype: hb.dtype, device: hb.device })], 0);
    }
    return [stack(outs, 0), h, c];
  }

  /** Runs every layer and direction over the input; returns the output and the final state. */
  protected run(
    given: Tensor | PackedSequence,
    state: Tensor | [Tensor, Tensor] | null | undefined,
  ): [Tensor | PackedSequence, Tensor | [Tensor, Tensor]] {
    const op = this.op;
    const packed = given instanceof PackedSequence ? given : null;
    const input = packed ? packed.data : given;
    if (!(input instanceof Tensor))
      fail('INVALID_ARGUMENT', `${op}: expected an input Tensor or PackedSequence, got ${describe(input)}`);
    const unbatched = !packed && input.ndim === 2;
    if (packed ? input.ndim !== 2 : input.ndim !== 2 && input.ndim !== 3)
      fail(
        'SHAPE_MISMATCH',
        `${op}: expected ${packed ? 'packed data of 2' : 'input of 2 or 3'} dims, got [${input.shape.join(', ')}]`,
      );
    if (input.shape[input.ndim - 1] !== this.inputSize)
      fail(
        'SHAPE_MISMATCH',
        `${op}: input has ${input.shape[input.ndim - 1]} features, expected inputSize ${this.inputSize}`,
      );
    const lstm = this.cell === 'LSTM';
    const bs = packed ? packed.batchSizes : null;
    // Packed: the state's batch in the packed (longest-first) order, and back.
    const order = (t: Tensor, idx: readonly number[] | null | undefined) =>
      idx ? t.indexSelect(1, tensor([...idx], { dtype: 'int64', device: t.device })) : t;
    return tidy(() => {
      let x = packed
        ? padRows(packed) // [T, N, in], longest first, zeros past each sequence's end
        : unbatched
          ? input.unsqueeze(1)
          : this.batchFirst
            ? input.transpose(0, 1)
            : input; // [T, N, in]
      const N = x.shape[1],
        L = this.numLayers * this.dirs;
      const stateShape = [L, N, this.hiddenSize];
      const check = (t: unknown, name: string): Tensor => {
        if (!(t instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: ${name} must be a Tensor, got ${describe(t)}`);
        const s = unbatched ? t.unsqueeze(1) : t;
        if (s.shape.join() !== stateShape.join())
          fail(
            'SHAPE_MISMATCH',
            `${op}: expected ${name} of shape [${(unbatched ? [L, this.hiddenSize] : stateShape).join(', ')}], got [${t.shape.join(', ')}]`,
          );
        return s;
      };
      let h0: Tensor,
        c0: Tensor | null = null;
      if (state == null) {
        h0 = zeros(stateShape, { dtype: input.dtype });
        if (lstm) c0 = zeros(stateShape, { dtype: input.dtype });
      } else if (lstm) {
        if (!Array.isArray(state) || state.length !== 2)
          fail('INVALID_ARGUMENT', `${op}: the initial state must be [h0, c0], got ${describe(state)}`);
        h0 = order(check(state[0], 'h0'), packed?.sortedIndices);
        c0 = order(check(state[1], 'c0'), packed?.sortedIndices);
      } else h0 = order(check(state, 'h0'), packed?.sortedIndices);
      const hn: Tensor[] = [],
        cn: Tensor[] = [];
      for (let l = 0; l < this.numLayers; l++) {
        const outs: Tensor[] = [];
        for (let d = 0; d < this.dirs; d++) {
          const i = l * this.dirs + d;
          const [y, h, c] = this.direction(x, l, d === 1, h0.select(0, i), c0 ? c0.select(0, i) : null, bs);
          outs.push(y);
          hn.push(h);
          if (c) cn.push(c);
        }
        x = outs.length === 1 ? outs[0] : cat(outs, 2);
        if (this.dropout > 0 && this.training && l < this.numLayers - 1) x = F.dropout(x, this.dropout, true);
      }
      const fin = (s: Tensor[]) => {
        const t = order(stack(s, 0), packed?.unsortedIndices);
        return unbatched ? t.squeeze(1) : t;
      };
      const finals = lstm ? [fin(hn), fin(cn)] : fin(hn);
      if (packed) {
        return [new PackedSequence(packRows(x, bs!), bs!, packed.sortedIndices, packed.unsortedIndices), finals] as [
          PackedSequence,
          Tensor | [Tensor, Tensor],
        ];
      }
      const out = (unbatched ? x.squeeze(1) : this.batchFirst ? x.transpose(0, 1) : x).contiguous();
      return [out, finals] as [Tensor, Tensor | [Tensor, Tensor]];
    });
  }
}

/**
 * Elman RNN: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu). Returns [output, h_n].
 * @example const rnn = new nn.RNN(8, 16, { numLayers: 2 }); const [out, hn] = rnn.call(x)
 */
export class RNN extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions & { nonlinearity?: 'tanh' | 'relu' } = {}) {
    const nl = rnnOptions('RNN', options, { nonlinearity: 'string' }).nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu')
      fail('INVALID_ARGUMENT', `RNN: nonlinearity must be 'tanh' or 'relu', got ${describe(nl)}`);
    super(nl === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, options, 'RNN');
  }
  // The Tensor form last: call() types itself from the last overload.
  /** Over a PackedSequence: returns the packed output and h_n (in the batch's original order). */
  forward(input: PackedSequence, h0?: Tensor | null): [PackedSequence, Tensor];
  /** Over [T, N, in] ([N, T, in] with batchFirst, [T, in] unbatched): returns the output and h_n. */
  forward(input: Tensor, h0?: Tensor | null): [Tensor, Tensor];
  forward(input: Tensor | PackedSequence, h0?: Tensor | null): [Tensor | PackedSequence, Tensor] {
    return this.run(input, h0) as [Tensor, Tensor];
  }
}

/**
 * LSTM (gates i, f, g, o as PyTorch). Returns [output, [h_n, c_n]].
 * @example const lstm = new nn.LSTM(1, 32, { batchFirst: true }); const [out, [h, c]] = lstm.call(x)
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super('LSTM', inputSize, hiddenSize, options, 'LSTM');
  }
  // The Tensor form last: call() types itself from the last overload.
  /** Over a PackedSequence: returns the packed output and [h_n, c_n] (in the batch's original order). */
  forward(input: PackedSequence, state?: [Tensor, Tensor] | null): [PackedSequence, [Tensor, Tensor]];
  /** Over [T, N, in] ([N, T, in] with batchFirst, [T, in] unbatched): returns the output and [h_n, c_n]. */
  forward(input: Tensor, state?: [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]];
  forward(
    input: Tensor | PackedSequence,
    state?: [Tensor, Tensor] | null,
  ): [Tensor | PackedSequence, [Tensor, Tensor]] {
    return this.run(input, state) as [Tensor, [Tensor, Tensor]];
  }
}

/**
 * GRU (gates r, z, n as PyTorch). Returns [output, h_n].
 * @example const gru = new nn.GRU(8, 16, { bidirectional: true })
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super('GRU', inputSize, hiddenSize, options, 'GRU');
  }
  // The Tensor form last: call() types itself from the last overload.
  /** Over a PackedSequence: returns the packed output and h_n (in the batch's original order). */
  forward(input: PackedSequence, h0?: Tensor | null): [PackedSequence, Tensor];
  /** Over [T, N, in] ([N, T, in] with batchFirst, [T, in] unbatched): returns the output and h_n. */
  forward(input: Tensor, h0?: Tensor | null): [Tensor, Tensor];
  forward(input: Tensor | PackedSequence, h0?: Tensor | null): [Tensor | PackedSequence, Tensor] {
    return this.run(input, h0) as [Tensor, Tensor];
  }
}

/** Options of `RNNCell`, `LSTMCell` and `GRUCell`. */
export interface RNNCellOptions {
  bias?: boolean;
  dtype?: DType;
}

// One step of a recurrent layer, as its own module (torch.nn.*Cell): weight_ih [gates * H, in],
// weight_hh [gates * H, H] and the two biases, under PyTorch's names, initialised U(-1/sqrt(H), 1/sqrt(H)).
abstract class RNNCellBase extends Module {
  readonly weight_ih: Tensor;
  readonly weight_hh: Tensor;
  readonly bias_ih: Tensor | null;
  readonly bias_hh: Tensor | null;
  protected constructor(
    /** @internal */ protected readonly cell: Cell,
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: RNNCellOptions & { nonlinearity?: string },
    /** @internal */ protected readonly op: string,
  ) {
    super();
    const o = checkOptions(op, options, { bias: 'boolean', dtype: 'string', nonlinearity: 'string' });
    if (o.dtype !== undefined) checkDType(op, o.dtype);
    for (const [k, v] of [
      ['inputSize', inputSize],
      ['hiddenSize', hiddenSize],
    ] as const)
      if (!Number.isSafeInteger(v) || v <= 0)
        fail('INVALID_ARGUMENT', `${op}: '${k}' must be a positive integer, got ${describe(v)}`);
    const G = GATES[cell] * hiddenSize,
      k = 1 / Math.sqrt(hiddenSize),
      dtype = o.dtype ?? 'float32';
    const uniform = (shape: number[]) =>
      Parameter(
        tidy(() =>
          rand(shape, { dtype })
            .mul(2 * k)
            .sub(k),
        ),
      );
    this.weight_ih = uniform([G, inputSize]);
    this.weight_hh = uniform([G, hiddenSize]);
    this.bias_ih = (o.bias ?? true) ? uniform([G]) : null;
    this.bias_hh = (o.bias ?? true) ? uniform([G]) : null;
  }

  /** @internal input [N, in] or [in]; states [N, H] or [H] (zeros when absent). */
  protected run(input: Tensor, h0: Tensor | null | undefined, c0: Tensor | null | undefined): [Tensor, Tensor | null] {
    const op = this.op;
    if (!(input instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: expected an input Tensor, got ${describe(input)}`);
    if ((input.ndim !== 1 && input.ndim !== 2) || input.shape[input.ndim - 1] !== this.inputSize)
      fail(
        'SHAPE_MISMATCH',
        `${op}: expected input [N, ${this.inputSize}] or [${this.inputSize}], got [${input.shape.join(', ')}]`,
      );
    const unbatched = input.ndim === 1;
    return tidy(() => {
      const x = unbatched ? input.unsqueeze(0) : input;
      const N = x.shape[0],
        H = this.hiddenSize;
      const state = (t: Tensor | null | undefined, name: string): Tensor => {
        if (t === undefined || t === null) return zeros([N, H], { dtype: input.dtype, device: input.device });
        if (!(t instanceof Tensor)) fail('INVALID_ARGUMENT', `${op}: ${name} must be a Tensor, got ${describe(t)}`);
        const want = unbatched ? [H] : [N, H];
        if (t.shape.join() !== want.join())
          fail('SHAPE_MISMATCH', `${op}: expected ${name} of shape [${want.join(', ')}], got [${t.shape.join(', ')}]`);
        return unbatched ? t.unsqueeze(0) : t;
      };
      const h = state(h0, 'hx');
      const c = this.cell === 'LSTM' ? state(c0, 'cx') : null;
      const [h1, c1] = step(
        this.cell,
        F.linear(x, this.weight_ih, this.bias_ih),
        F.linear(h, this.weight_hh, this.bias_hh),
        h,
        c,
        H,
      );
      const out = (t: Tensor) => (unbatched ? t.squeeze(0) : t);
      return [out(h1), c1 ? out(c1) : null] as [Tensor, Tensor | null];
    });
  }
}

/**
 * One Elman RNN step: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).
 * @example const cell = new nn.RNNCell(8, 16); h = cell.call(x, h)
 */
export class RNNCell extends RNNCellBase {
  constructor(
    inputSize: number,
    hiddenSize: number,
    options: RNNCellOptions & { nonlinearity?: 'tanh' | 'relu' } = {},
  ) {
    const nl =
      checkOptions('RNNCell', options, { bias: 'boolean', dtype: 'string', nonlinearity: 'string' }).nonlinearity ??
      'tanh';
    if (nl !== 'tanh' && nl !== 'relu')
      fail('INVALID_ARGUMENT', `RNNCell: nonlinearity must be 'tanh' or 'relu', got ${describe(nl)}`);
    super(nl === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, options, 'RNNCell');
  }
  forward(input: Tensor, hx?: Tensor | null): Tensor {
    return this.run(input, hx, null)[0];
  }
}

/**
 * One LSTM step (gates i, f, g, o): returns [h', c'].
 * @example const cell = new nn.LSTMCell(8, 16); [h, c] = cell.call(x, [h, c])
 */
export class LSTMCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    super('LSTM', inputSize, hiddenSize, options, 'LSTMCell');
  }
  forward(input: Tensor, state?: [Tensor, Tensor] | null): [Tensor, Tensor] {
    if (state != null && (!Array.isArray(state) || state.length !== 2))
      fail('INVALID_ARGUMENT', `LSTMCell: the state must be [hx, cx], got ${describe(state)}`);
    const [h, c] = this.run(input, state?.[0], state?.[1]);
    return [h, c!];
  }
}

/**
 * One GRU step (gates r, z, n): returns h'.
 * @example const cell = new nn.GRUCell(8, 16); h = cell.call(x, h)
 */
export class GRUCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    super('GRU', inputSize, hiddenSize, options, 'GRUCell');
  }
  forward(input: Tensor, hx?: Tensor | null): Tensor {
    return this.run(input, hx, null)[0];
  }
}
