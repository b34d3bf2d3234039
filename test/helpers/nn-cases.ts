// Convolution and pooling configurations, shared by the forward-vs-plain table (ops.test.ts via
// cases.ts) and the gradcheck table (grad-cases.ts): stride 1/2, padding 0/1/'same'/asymmetric,
// dilation 1/2, groups 1/2/C (depthwise), kernels 1x1/3x3/5x5/non-square, batch 1 and > 1, odd
// spatial sizes.
import * as tk from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { ConvOptions } from '../../src/nn/functional.js';
import * as plain from '../../src/plain/index.js';
import type { PlainConvParams, PlainPoolParams, PlainTensor } from '../../src/plain/index.js';

const F = tk.nn.functional;

export interface ConvConfig {
  name: string;
  x: number[]; // [N, C, H, W]
  w: number[]; // [O, C / groups, kh, kw]
  opts: ConvOptions;
  bias?: boolean;
}

export const CONV_CONFIGS: ConvConfig[] = [
  { name: '3x3 pad 1', x: [2, 3, 7, 6], w: [4, 3, 3, 3], opts: { padding: 1 }, bias: true },
  { name: '3x3 stride 2 pad 1, odd size', x: [2, 2, 7, 9], w: [3, 2, 3, 3], opts: { stride: 2, padding: 1 } },
  { name: '3x3 pad 1, rows past one vector, 10 outputs', x: [2, 3, 5, 37], w: [10, 3, 3, 3], opts: { padding: 1 } },
  { name: '2x4 pad [1, 2]', x: [1, 2, 5, 9], w: [3, 2, 2, 4], opts: { padding: [1, 2] } },
  { name: '1x1 (pointwise, batch 1)', x: [1, 4, 5, 5], w: [6, 4, 1, 1], opts: {}, bias: true },
  { name: '1x1 stride 2', x: [2, 4, 5, 5], w: [3, 4, 1, 1], opts: { stride: 2 } },
  { name: "5x5 padding 'same'", x: [1, 2, 6, 7], w: [3, 2, 5, 5], opts: { padding: 'same' } },
  {
    name: "2x4 (non-square, even) padding 'same'",
    x: [2, 2, 5, 6],
    w: [2, 2, 2, 4],
    opts: { padding: 'same' },
    bias: true,
  },
  { name: "3x3 padding 'valid'", x: [2, 2, 6, 5], w: [2, 2, 3, 3], opts: { padding: 'valid' } },
  { name: '3x3 dilation 2 pad 2', x: [2, 2, 7, 7], w: [3, 2, 3, 3], opts: { dilation: 2, padding: 2 } },
  { name: 'groups 2', x: [2, 4, 5, 5], w: [6, 2, 3, 3], opts: { groups: 2, padding: 1 }, bias: true },
  { name: 'depthwise (groups = C)', x: [2, 4, 6, 5], w: [4, 1, 3, 3], opts: { groups: 4, padding: 1 } },
  { name: 'depthwise x2 multiplier, stride 2', x: [1, 3, 7, 7], w: [6, 1, 3, 3], opts: { groups: 3, stride: 2 } },
  {
    name: 'non-square stride and padding',
    x: [2, 2, 8, 7],
    w: [3, 2, 3, 2],
    opts: { stride: [2, 1], padding: [1, 0], dilation: [1, 2] },
  },
];

/** The plain-side parameters of a functional config. */
export function plainConv(c: ConvConfig): PlainConvParams {
  const pair = (v: number | readonly number[] | undefined, d: number): [number, number] =>
    v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  const stride = pair(c.opts.stride, 1),
    dilation = pair(c.opts.dilation, 1);
  let padding: [number, number, number, number];
  if (c.opts.padding === 'same') {
    const t = [0, 1].map((i) => dilation[i] * (c.w[2 + i] - 1));
    padding = [Math.floor(t[0] / 2), Math.floor(t[1] / 2), t[0] - Math.floor(t[0] / 2), t[1] - Math.floor(t[1] / 2)];
  } else if (c.opts.padding === 'valid') padding = [0, 0, 0, 0];
  else {
    const [ph, pw] = pair(c.opts.padding as number | undefined, 0);
    padding = [ph, pw, ph, pw];
  }
  return { stride, padding, dilation, groups: c.opts.groups ?? 1 };
}

export const convNative = (c: ConvConfig) => (x: Tensor, w: Tensor, b?: Tensor) => F.conv2d(x, w, b ?? null, c.opts);
export const convPlain = (c: ConvConfig) => (x: PlainTensor, w: PlainTensor, b?: PlainTensor) =>
  plain.conv2d(x, w, b ?? null, plainConv(c));

/** Output spatial size of a config. */
export function convOut(c: ConvConfig): number[] {
  const p = plainConv(c);
  return [0, 1].map(
    (i) =>
      Math.floor(
        (c.x[2 + i] + p.padding![i] + p.padding![2 + i] - p.dilation![i] * (c.w[2 + i] - 1) - 1) / p.stride![i],
      ) + 1,
  );
}

export interface PoolConfig {
  name: string;
  x: number[];
  kernel: [number, number];
  opts: {
    stride?: [number, number];
    padding?: [number, number];
    dilation?: [number, number];
    ceilMode?: boolean;
    countIncludePad?: boolean;
  };
}

export const POOL_CONFIGS: PoolConfig[] = [
  { name: '2x2', x: [2, 3, 6, 6], kernel: [2, 2], opts: {} },
  { name: '3x3 stride 2 pad 1, odd size', x: [2, 2, 7, 9], kernel: [3, 3], opts: { stride: [2, 2], padding: [1, 1] } },
  { name: '3x3 stride 2 ceilMode', x: [1, 2, 8, 8], kernel: [3, 3], opts: { stride: [2, 2], ceilMode: true } },
  { name: 'non-square 2x3 stride [1, 2]', x: [2, 2, 5, 7], kernel: [2, 3], opts: { stride: [1, 2] } },
  { name: 'unbatched [C, H, W]', x: [3, 5, 5], kernel: [2, 2], opts: { stride: [1, 1] } },
];

export const plainPool = (c: PoolConfig, extra: Partial<PlainPoolParams> = {}): PlainPoolParams => ({
  kernel: c.kernel,
  ...c.opts,
  ...extra,
});
