// Edge cases of the ops a ported PyTorch program uses, against PyTorch 1.13's results: each row
// of scripts/fixtures/edge_cases.txt is `name|torch expression|tensorkit expression`; PyTorch's
// value, shape and dtype are in test/fixtures/edge-cases.json (scripts/fixtures/edge_cases.py).
// Empty and 0-D tensors, integer and bool dtypes, broadcasting, NaN and the extremes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as tk from '../src/index.js';

const rows = readFileSync(new URL('../scripts/fixtures/edge_cases.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => l.split('|'));
const want = (
  JSON.parse(readFileSync(new URL('./fixtures/edge-cases.json', import.meta.url), 'utf8')) as {
    cases: Record<string, unknown>;
  }
).cases;

// A result as the fixture writes PyTorch's: tensors as { shape, dtype, v }, NaN and the
// infinities as 'nan', 'inf', '-inf', booleans as 0/1 (tolist writes True as true; compared as numbers).
const finite = (v: unknown): unknown =>
  typeof v === 'number' && !Number.isFinite(v)
    ? Number.isNaN(v)
      ? 'nan'
      : v > 0
        ? 'inf'
        : '-inf'
    : Array.isArray(v)
      ? v.map(finite)
      : v;
const asFixture = (v: unknown): unknown =>
  v instanceof tk.Tensor
    ? { shape: v.shape, dtype: v.dtype, v: finite(v.ndim === 0 ? v.item() : v.toArray()) }
    : Array.isArray(v)
      ? v.map(asFixture)
      : v;
const canonical = (o: unknown) =>
  JSON.stringify(o, (_, v: unknown) =>
    typeof v === 'boolean' ? Number(v) : typeof v === 'number' ? Math.round(v * 1e5) / 1e5 : v,
  );

describe('edge cases against PyTorch 1.13 (scripts/fixtures/edge_cases.txt)', () => {
  for (const [name, , expr] of rows)
    it(name, () => {
      // The expression is the row's own text, evaluated with `tk` in scope.
      const got = asFixture(new Function('tk', `return ${expr};`)(tk));
      expect(canonical(got), expr).toBe(canonical(want[name]));
    });
});
