// Image data: the CIFAR-10 binary-format reader, a synthetic set of drawn shapes, and a dataset
// whose images pass through a transform (image_transforms.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { fail } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { checkOptions, describe, intAtLeast, num, str } from '../options.js';
import { Tensor } from '../tensor.js';
import { Dataset, sampleCount, seededRandom } from './dataset.js';
import type { Transform } from './image_transforms.js';

const CIFAR_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const RECORD = 1 + 3 * 32 * 32;

/**
 * CIFAR-10 from the official binary files in `dir` (data_batch_1..5.bin for train, test_batch.bin
 * for test): get(i) is [image [3, 32, 32] float32 in [0, 1], label int64 0-d]. Nothing is
 * downloaded; the files stay in memory as bytes and images are decoded on access.
 * @example const train = data.cifar10('./cifar-10-batches-bin', { train: true })
 */
export class Cifar10 extends Dataset<[Tensor, Tensor]> {
  static readonly classes = CIFAR_CLASSES;
  // The records, in shared memory so DataLoader workers read this one copy.
  private readonly bytes: Uint8Array;
  constructor(
    readonly dir: string,
    options: { train?: boolean } = {},
  ) {
    super();
    str('cifar10', 'dir', dir);
    options = checkOptions('cifar10', options, { train: 'boolean' });
    const files = (options.train ?? true) ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin'];
    const parts = files.map((f) => {
      const path = join(dir, f);
      let b: Buffer;
      try {
        b = readFileSync(path);
      } catch (e) {
        fail('IO_ERROR', `cifar10: cannot read ${path}: ${(e as Error).message}`);
      }
      if (b.length === 0 || b.length % RECORD !== 0)
        fail(
          'IO_ERROR',
          `cifar10: ${path} has ${b.length} bytes, not a whole number of ${RECORD}-byte records (truncated or not CIFAR-10 binary)`,
        );
      for (let off = 0; off < b.length; off += RECORD)
        if (b[off] > 9) fail('IO_ERROR', `cifar10: ${path}: record ${off / RECORD} has label ${b[off]}, expected 0-9`);
      return b;
    });
    this.bytes = new Uint8Array(new SharedArrayBuffer(parts.reduce((n, b) => n + b.length, 0)));
    let at = 0;
    for (const b of parts) this.bytes.set(b, (at += b.length) - b.length);
  }
  /** @internal The records' shared memory (what DataLoader workers receive). */
  get sharedBytes(): SharedArrayBuffer {
    return this.bytes.buffer as SharedArrayBuffer;
  }
  /** @internal A view of records another thread read (a DataLoader worker's copy of the dataset). */
  static fromShared(bytes: SharedArrayBuffer): Cifar10 {
    const ds = Object.create(Cifar10.prototype) as Cifar10;
    (ds as unknown as { bytes: Uint8Array; dir: string }).bytes = new Uint8Array(bytes);
    (ds as unknown as { dir: string }).dir = '(shared)';
    return ds;
  }
  /** Number of images. */
  get length(): number {
    return this.bytes.length / RECORD;
  }
  /** Image `index` and its label. */
  get(index: number): [Tensor, Tensor] {
    if (!Number.isInteger(index) || index < 0 || index >= this.length)
      fail('INDEX_OUT_OF_RANGE', `cifar10: index ${describe(index)} out of range for ${this.length} images`);
    const off = index * RECORD;
    const px = new Float32Array(3072);
    for (let i = 0; i < 3072; i++) px[i] = this.bytes[off + 1 + i] / 255;
    return [tensor(px, { shape: [3, 32, 32] }), tensor(this.bytes[off], { dtype: 'int64' })];
  }
}

/** data.cifar10(dir, { train }): see Cifar10. */
export function cifar10(dir: string, options: { train?: boolean } = {}): Cifar10 {
  return new Cifar10(dir, options);
}

const SHAPES = ['circle', 'square', 'triangle', 'cross'] as const;

/**
 * A synthetic image set for CNNs: n grayscale [1, size, size] images of a circle, square,
 * triangle or cross at a random position and size, with pixel noise (seeded).
 * @example const { features, labels } = data.synthetic.shapes({ n: 1000, size: 16 })
 */
export function shapes(options: { n?: number; size?: number; noise?: number; seed?: number } = {}): {
  features: Tensor;
  labels: Tensor;
  classNames: string[];
} {
  const {
    n = 1000,
    size = 16,
    noise = 0.1,
    seed = 0,
  } = checkOptions('shapes', options, { n: 'integer', size: 'integer', noise: 'number', seed: 'integer' });
  intAtLeast('shapes', 'size', size, 8);
  sampleCount('shapes', n, size * size);
  num('shapes', 'noise', noise);
  const rnd = seededRandom(seed);
  const px = new Float32Array(n * size * size),
    labels: number[] = [];
  for (let k = 0; k < n; k++) {
    const cls = k % SHAPES.length;
    const r = size * (0.2 + 0.15 * rnd()); // half-extent
    const cx = r + rnd() * (size - 2 * r),
      cy = r + rnd() * (size - 2 * r);
    const img = px.subarray(k * size * size, (k + 1) * size * size);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const dx = x + 0.5 - cx,
          dy = y + 0.5 - cy;
        let on = false;
        if (cls === 0) on = dx * dx + dy * dy <= r * r;
        else if (cls === 1) on = Math.abs(dx) <= r * 0.8 && Math.abs(dy) <= r * 0.8;
        else if (cls === 2) on = dy <= r && dy >= -r && Math.abs(dx) <= (dy + r) / 2;
        else on = (Math.abs(dx) <= r / 4 && Math.abs(dy) <= r) || (Math.abs(dy) <= r / 4 && Math.abs(dx) <= r);
        img[y * size + x] = (on ? 1 : 0) + noise * (rnd() * 2 - 1);
      }
    labels.push(cls);
  }
  return {
    features: tensor(px, { shape: [n, 1, size, size] }),
    labels: tensor(labels, { dtype: 'int64' }),
    classNames: [...SHAPES],
  };
}

/** A dataset whose images ([image, label] samples) pass through a transform. */
export class Transformed<L> extends Dataset<[Tensor, L]> {
  constructor(
    readonly dataset: Dataset<[Tensor, L]> | Dataset<Tensor[]>,
    readonly transform: Transform,
  ) {
    super();
  }
  /** Number of images. */
  get length(): number {
    return this.dataset.length;
  }
  /** Image `i` (transformed) and its label. */
  get(i: number): [Tensor, L] | Promise<[Tensor, L]> {
    const apply = ([x, y]: [Tensor, L]): [Tensor, L] => {
      const out = this.transform(x);
      x.dispose();
      return [out, y];
    };
    const s = this.dataset.get(i) as [Tensor, L] | Promise<[Tensor, L]>;
    return s instanceof Promise ? s.then(apply) : apply(s);
  }
}
