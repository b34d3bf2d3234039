// Datasets that ship or are generated: nothing is downloaded.
import { readFileSync } from 'node:fs';

import { fail } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { checkOptions, describe, intAtLeast, num } from '../options.js';
import type { Tensor } from '../tensor.js';
import { sampleCount, seededRandom } from './dataset.js';
import { shapes } from './images.js';
import { IRIS_CLASSES, IRIS_FEATURES, IRIS_ROWS } from './iris-data.js';

/** A labelled data set: a feature tensor and its labels, row for row. */
export interface Labeled {
  /** [N, features] float32. */
  features: Tensor;
  /** [N] int64 class indices. */
  labels: Tensor;
  featureNames: string[];
  classNames: string[];
}

/**
 * The Iris table (150 x 4, 3 classes), shipped with the package.
 * @example const { features, labels } = data.iris(); new data.TensorDataset(features, labels)
 */
export function iris(): Labeled {
  return {
    features: tensor(IRIS_ROWS.map((r) => r.slice(0, 4))),
    labels: tensor(
      IRIS_ROWS.map((r) => r[4]),
      { dtype: 'int64' },
    ),
    featureNames: [...IRIS_FEATURES],
    classNames: [...IRIS_CLASSES],
  };
}

/** Options of `readCsv`. */
export interface CsvOptions {
  /** The first row names the columns. Default true. */
  header?: boolean;
  delimiter?: string;
  /** The column holding the label (name or index); non-numeric labels become class indices. */
  labelColumn?: string | number;
}

/**
 * Reads a CSV file (or, with `{ text }`, CSV text) of numeric columns into tensors; the label
 * column, if any, becomes int64 class indices (classNames lists the values in order of first
 * appearance when they are not numbers).
 * @example const { features, labels } = data.readCsv('train.csv', { labelColumn: 'species' })
 */
export function readCsv(source: string | { text: string }, options: CsvOptions = {}): Labeled & { columns: string[] } {
  const op = 'readCsv';
  options = checkOptions(op, options, { header: 'boolean', delimiter: 'string', labelColumn: 'any' });
  if (options.delimiter === '') fail('INVALID_ARGUMENT', `${op}: the delimiter must not be empty`);
  if (
    options.labelColumn !== undefined &&
    typeof options.labelColumn !== 'string' &&
    !Number.isSafeInteger(options.labelColumn)
  )
    fail('INVALID_ARGUMENT', `${op}: labelColumn must be a column name or index, got ${describe(options.labelColumn)}`);
  let text: string;
  if (typeof source === 'string') {
    try {
      text = readFileSync(source, 'utf8');
    } catch (e) {
      fail('IO_ERROR', `${op}: cannot read ${source}: ${(e as Error).message}`);
    }
  } else if (source !== null && typeof source === 'object' && typeof source.text === 'string') text = source.text;
  else fail('INVALID_ARGUMENT', `${op}: expected a path or { text }, got ${describe(source)}`);
  const delim = options.delimiter ?? ',';
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) fail('INVALID_ARGUMENT', `${op}: the CSV is empty`);
  const split = (l: string) => l.split(delim).map((c) => c.trim());
  const header = options.header ?? true;
  const first = split(lines[0]);
  const columns = header ? first : first.map((_, i) => `column${i}`);
  const rows = (header ? lines.slice(1) : lines).map(split);
  if (rows.length === 0) fail('INVALID_ARGUMENT', `${op}: the CSV has a header but no rows`);
  let li = -1;
  if (options.labelColumn !== undefined) {
    li = typeof options.labelColumn === 'number' ? options.labelColumn : columns.indexOf(options.labelColumn);
    if (li < 0 || li >= columns.length)
      fail('INVALID_ARGUMENT', `${op}: no label column ${describe(options.labelColumn)} in [${columns.join(', ')}]`);
  }
  const classNames: string[] = [];
  const feats: number[][] = [],
    labels: number[] = [];
  rows.forEach((r, ri) => {
    if (r.length !== columns.length)
      fail('INVALID_ARGUMENT', `${op}: row ${ri + 1} has ${r.length} fields, expected ${columns.length}`);
    const f: number[] = [];
    r.forEach((cell, ci) => {
      if (ci === li) {
        const v = Number(cell);
        if (cell !== '' && Number.isInteger(v) && classNames.length === 0) labels.push(v);
        else {
          let k = classNames.indexOf(cell);
          if (k < 0) k = classNames.push(cell) - 1;
          labels.push(k);
        }
        return;
      }
      const v = Number(cell);
      if (cell === '' || Number.isNaN(v))
        fail('INVALID_ARGUMENT', `${op}: row ${ri + 1}, column '${columns[ci]}' is not a number: ${describe(cell)}`);
      f.push(v);
    });
    feats.push(f);
  });
  return {
    features: tensor(feats),
    labels: tensor(li >= 0 ? labels : [], { dtype: 'int64' }),
    featureNames: columns.filter((_, i) => i !== li),
    classNames,
    columns,
  };
}

/** Synthetic data sets for quick experiments (seeded, deterministic). */
export const synthetic = {
  /** Images of drawn shapes with their class (see `shapes`). */
  shapes,
  /**
   * Gaussian blobs: `centers` classes around random centres in [-10, 10]^features.
   * @example data.synthetic.blobs({ n: 300, centers: 3, seed: 0 })
   */
  blobs(options: { n?: number; features?: number; centers?: number; std?: number; seed?: number } = {}): Labeled {
    const {
      n = 300,
      features = 2,
      centers = 3,
      std = 1,
      seed = 0,
    } = checkOptions('blobs', options, {
      n: 'integer',
      features: 'integer',
      centers: 'integer',
      std: 'number',
      seed: 'integer',
    });
    sampleCount('blobs', n, intAtLeast('blobs', 'features', features));
    intAtLeast('blobs', 'centers', centers);
    if (num('blobs', 'std', std) < 0) fail('INVALID_ARGUMENT', `blobs: std must be >= 0, got ${std}`);
    const rnd = seededRandom(seed);
    const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    const mu = Array.from({ length: centers }, () => Array.from({ length: features }, () => rnd() * 20 - 10));
    const x: number[][] = [],
      y: number[] = [];
    for (let i = 0; i < n; i++) {
      const c = i % centers;
      x.push(mu[c].map((m) => m + std * gauss()));
      y.push(c);
    }
    return {
      features: tensor(x),
      labels: tensor(y, { dtype: 'int64' }),
      featureNames: mu[0].map((_, i) => `x${i}`),
      classNames: mu.map((_, i) => `blob${i}`),
    };
  },
  /**
   * Interleaved 2-D spirals, one per class (not linearly separable).
   * @example data.synthetic.spirals({ n: 400, classes: 2, noise: 0.1 })
   */
  spirals(options: { n?: number; classes?: number; noise?: number; seed?: number } = {}): Labeled {
    const {
      n = 400,
      classes = 2,
      noise = 0.1,
      seed = 0,
    } = checkOptions('spirals', options, { n: 'integer', classes: 'integer', noise: 'number', seed: 'integer' });
    sampleCount('spirals', n, 2);
    intAtLeast('spirals', 'classes', classes);
    num('spirals', 'noise', noise);
    const rnd = seededRandom(seed);
    const x: number[][] = [],
      y: number[] = [];
    for (let i = 0; i < n; i++) {
      const c = i % classes,
        t = (Math.floor(i / classes) / Math.ceil(n / classes)) * 4 + 0.2;
      const a = t * 1.75 + (2 * Math.PI * c) / classes;
      x.push([t * Math.cos(a) + noise * (rnd() * 2 - 1), t * Math.sin(a) + noise * (rnd() * 2 - 1)]);
      y.push(c);
    }
    return {
      features: tensor(x),
      labels: tensor(y, { dtype: 'int64' }),
      featureNames: ['x', 'y'],
      classNames: Array.from({ length: classes }, (_, i) => `arm${i}`),
    };
  },
};
