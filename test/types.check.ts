// Compile-time checks of the public types: `npm run typecheck` fails when one of these lines stops
// compiling, or when a line marked @ts-expect-error starts to. Nothing here runs.
import * as tk from '../src/index.js';
import {
  argmax,
  maxWithIndices,
  neg,
  nn,
  randint,
  sum,
  tensor,
  zeros,
  type Device,
  type Tensor,
} from '../src/index.js';

export function dtypes(): void {
  const x = tensor([
    [1, 2],
    [3, 4],
  ]);
  const f32: Float32Array = x.data();
  const sums: Float32Array = sum(x, 1, { keepdim: true }).data();
  const negs: Float32Array = neg(x).data();
  const idx: BigInt64Array = argmax(x, 1).data();
  const maxIdx: BigInt64Array = maxWithIndices(x, 1).indices.data();
  const f64: Float64Array = zeros([2], { dtype: 'float64' }).data();
  const i32: Int32Array = zeros(2, 3, { dtype: 'int32' }).data();
  const sized: Float32Array = zeros(2, 3).data();
  const ints: BigInt64Array = randint(0, 3, [2]).data();
  const chain: Float32Array = x.add(1).mul(x).exp().transpose(0, 1).data();
  const mask: Uint8Array = x.gt(1).data();
  const moved: Float32Array = x.to('cuda').data();
  const cast: Float64Array = x.to({ dtype: 'float64' }).data();
  const bools: Uint8Array = tensor([true, false]).data();
  const big: BigInt64Array = tensor([1n, 2n]).data();
  const fromF64: Float64Array = tensor(new Float64Array(2)).data();
  const half: Float32Array = x.to('float16').data(); // 16-bit floats read out as float32
  const logits: Float32Array = nn.functional.linear(x, tensor([[1, 0]])).data();
  const v: number = x.sum().item();
  const b: boolean = x.gt(0).max().item();
  // @ts-expect-error an int64 tensor's data is not a Float32Array
  const wrong: Float32Array = tensor([1n]).data();
  // A tensor of unknown dtype gives the union: narrow it before use.
  const any: Tensor = x;
  const u = any.data();
  // @ts-expect-error the union includes BigInt64Array
  const notNarrowed: Float32Array = u;
  const narrowed: number[] = u instanceof BigInt64Array ? Array.from(u, Number) : Array.from(u);
  void [
    f32,
    sums,
    negs,
    idx,
    maxIdx,
    f64,
    i32,
    sized,
    ints,
    chain,
    mask,
    moved,
    cast,
    bools,
    big,
    fromF64,
    half,
    logits,
    v,
    b,
    wrong,
    notNarrowed,
    narrowed,
  ];
}

export function devicesAndShapes(t: Tensor): void {
  const d: Device = t.device;
  const n: number = t.size(0);
  const s: readonly number[] = t.size();
  // @ts-expect-error not a device
  t.to('tpu');
  // @ts-expect-error size(dim) is a number
  const notShape: readonly number[] = t.size(0);
  void [d, n, s, notShape];
}

export function freeFunctions(x: Tensor<'float32'>): void {
  const y: Tensor<'float32'> = tk.var(x, 0, { correction: 0 });
  // @ts-expect-error an unknown option is a compile error too
  sum(x, 1, { keepdim: true, bogus: 1 });
  // @ts-expect-error a misspelled function
  tk.summ(x);
  void y;
}

export function modules(): void {
  const lstm = new nn.LSTM(3, 4, { numLayers: 2 });
  const w: Tensor = lstm.weight_ih_l0;
  const upper: Tensor | undefined = lstm.weight_hh_l1;
  const rev: Tensor | undefined = lstm.bias_ih_l0_reverse;
  // @ts-expect-error not an LSTM parameter name
  void lstm.weight_xx_l0;
  void [w, upper, rev];
}

// Issue 18: what a ported PyTorch program writes compiles without casts.
class Block extends nn.Module {
  fc = new nn.Linear(4, 4);
  forward(x: Tensor): Tensor {
    return this.fc.call(x);
  }
}
class Pair extends nn.Module {
  forward(x: Tensor): [Tensor, number] {
    return [x, 1];
  }
}
export function ports(x: Tensor, y: Tensor): void {
  // module.call returns what forward returns
  const out: Tensor = new Block().call(x);
  const [t, k]: [Tensor, number] = new Pair().call(x);
  // @ts-expect-error forward takes a Tensor
  new Block().call(3);
  // ModuleList / ModuleDict keep their element type
  const blocks = new nn.ModuleList([new Block(), new Block()]);
  const first: Block = blocks.get(0);
  for (const b of blocks) void b.fc;
  const heads = new nn.ModuleDict({ a: new Block() });
  const a: Block = heads.get('a');
  // a loss of a tensor of unknown dtype is a float: item() is a number
  const loss: number = nn.functional.crossEntropy(out, y).item();
  const mse: number = nn.functional.mseLoss(out, y).item();
  // the DataLoader's batches are typed from its dataset
  const loader = new tk.data.DataLoader(new tk.data.TensorDataset(x, y), { batchSize: 2 });
  for (const [xb, yb] of loader) {
    const xs: Tensor = xb;
    const ys: Tensor = yb;
    void [xs, ys];
  }
  // shapes destructure into numbers
  const [B, T, C] = x.shape;
  const n: number = B + T + C;
  // indexing and sampling
  const last: Tensor = x.index([':', -1, ':']);
  const { values, indices } = x.topk(3);
  const idx: Tensor<'int64'> = indices;
  const next: Tensor<'int64'> = x.softmax(-1).multinomial(1);
  const parts: Tensor[] = x.split(2, -1);
  void [t, k, first, a, loss, mse, n, last, values, idx, next, parts];
}

// a max pool's forward gives [values, indices] exactly when constructed with returnIndices: true
export function poolIndices(x: Tensor): void {
  const y: Tensor = new nn.MaxPool2d(2).call(x);
  const [v, i] = new nn.MaxPool2d(2, { returnIndices: true }).call(x);
  const idx: Tensor<'int64'> = i;
  const [v1] = new nn.MaxPool1d(2, { returnIndices: true }).call(x);
  const y3: Tensor = new nn.MaxPool3d(2).call(x).relu();
  // @ts-expect-error without returnIndices the output is one tensor
  const [bad] = new nn.MaxPool2d(2).call(x);
  void [y, v, idx, v1, y3, bad];
}

class Square extends tk.autograd.Function {
  static forward(ctx: tk.autograd.FunctionCtx, x: Tensor): Tensor {
    ctx.saveForBackward(x);
    return x.mul(x);
  }
  static backward(ctx: tk.autograd.FunctionCtx, g: Tensor): Tensor {
    return g.mul(ctx.savedTensors[0]!).mul(2);
  }
}
export function customFunction(x: Tensor): void {
  const y: Tensor = Square.apply(x);
  // @ts-expect-error apply takes forward's arguments
  Square.apply(x, x);
  void y;
}
