// Every op against its plain reference, for every input in every layout (contiguous,
// transposed, narrowed, expanded), from the shared tables in helpers/cases.ts.
import { describe, expect, it } from 'vitest';

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { binding } from '../src/binding.js';
import { OP_NAMES } from '../src/ops/ops.generated.js';
import { DEF_PATH, FREE_PATH, generate, generateFree, OUT_PATH } from '../scripts/gen-ops.js';
import * as tk from '../src/index.js';
import { memory } from '../src/index.js';
import { OP_EXPOSURE } from '../src/ops/table.js';
import { ALL_CASES, type OpCase } from './helpers/cases.js';
import { disposeAll, expectMatch, input, LAYOUTS, prng, type Layout } from './helpers/harness.js';

function seedOf(name: string): number {
  let h = 2166136261;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

function layoutCombos(c: OpCase): Layout[][] {
  const layouts = c.layouts ?? LAYOUTS;
  const base: Layout[] = c.inputs.map(() => 'contiguous');
  const combos = [base];
  c.inputs.forEach((_, i) => {
    for (const l of layouts) if (l !== 'contiguous') combos.push(base.map((b, j) => (j === i ? l : b)));
  });
  return combos;
}

function runCase(c: OpCase): number {
  const rnd = prng(seedOf(c.name));
  let ran = 0;
  for (const combo of layoutCombos(c)) {
    const pairs = c.inputs.map((spec, i) => input(spec, combo[i], rnd));
    if (pairs.some((p) => p === undefined)) {
      disposeAll(pairs.filter(Boolean).map((p) => p!.native));
      continue;
    }
    const label = `${c.name} [${combo.join(', ')}]`;
    const ref = c.plain(...pairs.map((p) => p!.plain));
    const out = c.native(...pairs.map((p) => p!.native));
    try {
      expectMatch(out, ref, label, c.tol);
    } finally {
      disposeAll(
        out,
        pairs.map((p) => p!.native),
      );
    }
    ran++;
  }
  return ran;
}

const groups = new Map<string, OpCase[]>();
for (const c of ALL_CASES) {
  const g = c.ops[0];
  groups.set(g, [...(groups.get(g) ?? []), c]);
}

for (const [op, cases] of groups) {
  describe(op, () => {
    for (const c of cases) it(c.name, () => expect(runCase(c)).toBeGreaterThan(0));
  });
}

describe('op tables', () => {
  it('the native op list equals the generated TS list, in OpId order', () => {
    expect([...binding.opNames]).toEqual(OP_NAMES);
  });

  it('the generated op list and free functions are current with native/include/tk/ops.def (npm run gen:ops)', () => {
    const def = readFileSync(DEF_PATH, 'utf8');
    expect(readFileSync(OUT_PATH, 'utf8')).toBe(generate(def));
    expect(readFileSync(FREE_PATH, 'utf8')).toBe(generateFree(def));
  });

  it('every op method has a free function of its name that gives what the method gives', () => {
    const methods = Object.entries(OP_EXPOSURE)
      .filter(([op, pub]) => !op.endsWith('_') && !pub.includes(':') && pub !== 'to')
      .map(([, pub]) => pub);
    expect(methods.length).toBeGreaterThan(50);
    const fns = tk as unknown as Record<string, (...a: unknown[]) => unknown>;
    tk.tidy(() => {
      const x = tk.tensor([
        [0.5, -1.5, 2],
        [3, 0.25, -4],
      ]);
      for (const m of methods) expect(typeof fns[m], m).toBe('function');
      // Same arguments, same result: a sample across kinds (unary, binary, reduction with options, view).
      const same = (name: string, ...args: unknown[]) => {
        const viaFn = fns[name](x, ...args) as tk.Tensor;
        const viaMethod = (x as unknown as Record<string, (...a: unknown[]) => tk.Tensor>)[name](...args);
        expect(viaFn.shape, name).toEqual(viaMethod.shape);
        expect(Array.from(viaFn.data(), Number), name).toEqual(Array.from(viaMethod.data(), Number));
      };
      same('neg');
      same('exp');
      same('add', 2);
      same('sum', 1, { keepdim: true });
      same('argmax', 0);
      same('var', 1, { correction: 0 });
      same('transpose', 0, 1);
      same('clamp', -1, 1);
      same('logSoftmax', -1);
      same('reshape', 3, 2);
      expect(fns.maxWithIndices(x, 1)).toHaveProperty('indices');
      // A wrong first argument is a TensorError naming the function.
      expect(() => fns.sum([1, 2])).toThrow(/sum: 'input' must be a Tensor/);
      expect(fns.var.name).toBe('var');
    });
  });

  it('every op in the TS table is exposed under its public name', () => {
    for (const [op, pub] of Object.entries(OP_EXPOSURE)) {
      const [ns, name] = pub.startsWith('nn:') ? pub.slice(3).split('.') : [undefined, pub];
      const ok = pub.startsWith('data:')
        ? typeof pub
            .slice(5)
            .split('.')
            .reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], tk.data) === 'function'
        : pub.startsWith('fn:')
          ? typeof (tk as Record<string, unknown>)[pub.slice(3)] === 'function'
          : pub.startsWith('linalg:')
            ? typeof (tk.linalg as unknown as Record<string, unknown>)[pub.slice(7)] === 'function'
            : pub.startsWith('optim:')
              ? typeof (tk.optim as unknown as Record<string, unknown>)[pub.slice(6)] === 'function'
              : ns
                ? typeof (tk.nn as unknown as Record<string, Record<string, unknown>>)[ns][name] === 'function'
                : typeof (tk.Tensor.prototype as unknown as Record<string, unknown>)[pub] === 'function';
      expect(ok, `${op} -> ${pub}`).toBe(true);
    }
  });

  it("the addon's call is used only by the op-call path (src/ops/dispatch.ts)", () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
        const rel = join(dir, e.name);
        if (e.isDirectory()) walk(rel);
        else if (
          /\.(ts|mts|js|mjs)$/.test(e.name) &&
          rel !== join('src', 'ops', 'dispatch.ts') &&
          /\bbinding\s*\.\s*call\b/.test(readFileSync(join(root, rel), 'utf8'))
        )
          offenders.push(rel);
      }
    };
    for (const d of ['src', 'test', 'bench', 'examples', 'scripts']) walk(d);
    expect(offenders).toEqual([]);
  });

  it('every native op has at least one test row', () => {
    const covered = new Set(ALL_CASES.flatMap((c) => c.ops));
    expect(binding.opNames.filter((n) => !covered.has(n as never))).toEqual([]);
  });

  it('leaves no tensors alive after the op tables ran', () => {
    // Every case disposes its inputs and outputs; only GC-pending handles could remain.
    expect(memory().tensors).toBe(0);
  });
});
