// The image transform kernels (data.transforms.functional) against their plain loops
// (src/plain/image.ts), in every layout, and their gradient rows.
import * as tk from '../../src/index.js';
import * as plain from '../../src/plain/index.js';
import type { OpCase } from './cases.js';
import type { GradCase, GradSpec } from './grad-cases.js';

const TF = tk.data.transforms.functional;
const IMG = { range: [0, 1] as [number, number] };

export const imageCases: OpCase[] = [
  ...(['float32', 'float64', 'int32', 'bool'] as const).flatMap((dtype): OpCase[] => [
    {
      ops: ['image_crop'],
      name: `crop with padding, ${dtype}`,
      inputs: [{ shape: [2, 3, 5, 6], dtype }],
      native: (x) => TF.crop(x, -2, 1, 7, 8, { fill: 1 }),
      plain: (x) => plain.imageCrop(x, -2, 1, 7, 8, 1),
    },
    {
      ops: ['image_hflip'],
      name: `hflip ${dtype}`,
      inputs: [{ shape: [3, 4, 7], dtype }],
      native: (x) => TF.hflip(x),
      plain: (x) => plain.imageHflip(x),
    },
  ]),
  {
    ops: ['image_crop'],
    name: 'crop inside, 2-d',
    inputs: [{ shape: [6, 9] }],
    native: (x) => TF.crop(x, 1, 2, 3, 4),
    plain: (x) => plain.imageCrop(x, 1, 2, 3, 4),
  },
  {
    ops: ['image_crop'],
    name: 'crop entirely outside the image (all fill)',
    inputs: [{ shape: [2, 4, 4] }],
    native: (x) => TF.crop(x, 10, -20, 2, 3, { fill: -1 }),
    plain: (x) => plain.imageCrop(x, 10, -20, 2, 3, -1),
  },
  ...(['float32', 'float64'] as const).flatMap((dtype): OpCase[] => [
    {
      ops: ['image_normalize'],
      name: `normalize ${dtype}`,
      inputs: [{ shape: [2, 3, 4, 5], dtype, ...IMG }],
      native: (x) => TF.normalize(x, [0.49, 0.48, 0.45], [0.25, 0.24, 0.26]),
      plain: (x) => plain.imageNormalize(x, [0.49, 0.48, 0.45], [0.25, 0.24, 0.26]),
    },
    {
      ops: ['image_normalize'],
      name: `normalize one statistic for every channel, ${dtype}`,
      inputs: [{ shape: [2, 4, 3], dtype }],
      native: (x) => TF.normalize(x, [0.5], [2]),
      plain: (x) => plain.imageNormalize(x, [0.5], [2]),
    },
    {
      ops: ['image_resize'],
      name: `resize up ${dtype}`,
      inputs: [{ shape: [2, 3, 5, 4], dtype, ...IMG }],
      native: (x) => TF.resize(x, [9, 11]),
      plain: (x) => plain.imageResize(x, 9, 11),
    },
    {
      ops: ['image_resize'],
      name: `resize down, smaller edge ${dtype}`,
      inputs: [{ shape: [3, 12, 17], dtype, ...IMG }],
      native: (x) => TF.resize(x, 5),
      plain: (x) => plain.imageResize(x, 5, 7),
    },
    ...[
      [0, 1, 2, 3],
      [3, 2, 1, 0],
      [1, 3],
    ].map((order): OpCase => ({
      ops: ['image_adjust'],
      name: `colour adjust, steps ${order.join(' ')}, ${dtype}`,
      inputs: [{ shape: [2, 3, 4, 5], dtype, ...IMG }],
      native: (x) =>
        TF.adjustColor(x, {
          brightness: 1.3,
          contrast: 0.6,
          saturation: 1.7,
          hue: -0.3,
          order: order.map((k) => (['brightness', 'contrast', 'saturation', 'hue'] as const)[k]),
        }),
      plain: (x) => plain.imageAdjust(x, order, [1.3, 0.6, 1.7, -0.3]),
    })),
    {
      ops: ['image_adjust'],
      name: `colour adjust one channel (saturation and hue do nothing), ${dtype}`,
      inputs: [{ shape: [2, 1, 3, 4], dtype, ...IMG }],
      native: (x) => TF.adjustColor(x, { contrast: 0.3, saturation: 2, hue: 0.2, brightness: 0.8 }),
      plain: (x) => plain.imageAdjust(x, [1, 2, 3, 0], [0.8, 0.3, 2, 0.2]),
    },
  ]),
];

const f64 = (shape: number[], grad = true): GradSpec => ({ shape, dtype: 'float64', grad });
export const imageGradRows: GradCase[] = [
  {
    ops: ['image_crop'],
    name: 'crop with padding',
    inputs: [f64([2, 3, 4])],
    fn: (x) => TF.crop(x, -1, 2, 5, 3),
  },
  { ops: ['image_hflip'], name: 'hflip', inputs: [f64([2, 3, 4])], fn: (x) => TF.hflip(x) },
  {
    ops: ['image_normalize'],
    name: 'normalize',
    inputs: [f64([2, 2, 3])],
    fn: (x) => TF.normalize(x, [0.1, -0.2], [0.5, 2]),
  },
];
