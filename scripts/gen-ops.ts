// Writes src/ops/ops.generated.ts from native/include/tk/ops.def: the native op names, in the
// order of the C++ OpId enum, with each row's kind, dtype rule, in-place twin and cost. TS reads
// these facts from there instead of repeating columns of the table by hand; a test checks the
// file is current and that its names equal the addon's.
//   npm run gen:ops
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { EXPOSED_ELSEWHERE } from '../src/ops/table.js';

export interface OpRow {
  name: string;
  kind: 'unary' | 'binary' | 'op';
  /** Element-wise ops: the dtype rule (FLOAT, NUMERIC, ARITH, ARITH_NOBOOL, TRUEDIV, COMPARE). */
  rule?: string;
  /** Element-wise ops: whether an in-place `name_` row exists; for that row, the op it updates. */
  inplace?: boolean;
  inplaceOf?: string;
  costly?: boolean;
}

/** The rows of ops.def, expanded as the C++ enum expands them (name, then name_ when in place). */
export function opRows(def: string): OpRow[] {
  const body = def.replace(/\/\/.*$/gm, '');
  const rows: OpRow[] = [];
  const element: OpRow[] = [],
    structured: OpRow[] = [];
  for (const m of body.matchAll(/^TK_(UNARY|BINARY|OP)\(([^)]*)\)/gm)) {
    const args = m[2].split(',').map((a) => a.trim());
    if (m[1] === 'OP') {
      structured.push({ name: args[0], kind: 'op' });
      continue;
    }
    const [name, , rule, inplace, cost] = args;
    const kind = m[1] === 'UNARY' ? 'unary' : 'binary';
    element.push({ name, kind, rule, inplace: inplace === 'Y', costly: cost === 'COSTLY' });
    if (inplace === 'Y') element.push({ name: `${name}_`, kind, rule, inplaceOf: name, costly: cost === 'COSTLY' });
  }
  // ops.h expands every unary row, then every binary row, then the structured ones.
  rows.push(...element.filter((r) => r.kind === 'unary'), ...element.filter((r) => r.kind === 'binary'), ...structured);
  return rows;
}

/** The generated TypeScript module's text. */
export function generate(def: string): string {
  const rows = opRows(def);
  const lines = rows.map((r) => {
    const facts = [`kind: '${r.kind}'`];
    if (r.rule) facts.push(`rule: '${r.rule}'`);
    if (r.inplace !== undefined) facts.push(`inplace: ${r.inplace}`);
    if (r.inplaceOf) facts.push(`inplaceOf: '${r.inplaceOf}'`);
    if (r.costly !== undefined) facts.push(`costly: ${r.costly}`);
    return `  ${r.name}: { ${facts.join(', ')} },`;
  });
  return [
    '// Generated from native/include/tk/ops.def by scripts/gen-ops.ts (npm run gen:ops); do not edit.',
    "// Every native op, in the order of the C++ OpId enum, with its row's facts.",
    'export const NATIVE_OPS = {',
    ...lines,
    '} as const;',
    '',
    '/** A native op name (a misspelled one is a compile error). */',
    'export type OpName = keyof typeof NATIVE_OPS;',
    '/** The names in OpId order. */',
    'export const OP_NAMES = Object.keys(NATIVE_OPS) as OpName[];',
    "/** Each name's OpId (the binding checks at load that the addon has the same order). */",
    `export const OP_ID = { ${rows.map((r, i) => `${r.name}: ${i}`).join(', ')} } as const satisfies Record<OpName, number>;`,
    '',
  ].join('\n');
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
// Method names that are not valid binding names in an export declaration.
const RESERVED = new Set(['var', 'delete', 'new', 'in', 'default', 'function', 'class', 'return']);

/**
 * The free functions' module: one per op exposed as a Tensor method of its own name and not in
 * place (exposed elsewhere: the table in src/ops/table.ts), as torch.sum beside Tensor.sum.
 */
export function generateFree(def: string): string {
  const names = opRows(def)
    .filter((r) => !r.inplaceOf && !r.name.endsWith('_') && !(r.name in EXPOSED_ELSEWHERE))
    .map((r) => camel(r.name));
  const lines: string[] = [];
  for (const n of names) {
    const local = RESERVED.has(n) ? `${n}_` : n;
    lines.push(
      `/** torch.${n === 'maxWithIndices' || n === 'minWithIndices' ? n.slice(0, 3) : n}: {@link Tensor.${n} | input.${n}(...)} as a free function. */`,
    );
    lines.push(`${local === n ? 'export ' : ''}const ${local} = freeFunction('${n}');`);
    if (local !== n) lines.push(`export { ${local} as ${n} };`);
  }
  return [
    '// Generated from native/include/tk/ops.def by scripts/gen-ops.ts (npm run gen:ops); do not edit.',
    '// The free form of every op that is a Tensor method: sum(x, 1, { keepdim: true }) is x.sum(1, { keepdim: true }).',
    "import type { Tensor } from '../tensor.js';",
    "import { freeFunction } from './free.js';",
    '',
    ...lines,
    '',
  ].join('\n');
}

export const DEF_PATH = fileURLToPath(new URL('../native/include/tk/ops.def', import.meta.url));
export const OUT_PATH = fileURLToPath(new URL('../src/ops/ops.generated.ts', import.meta.url));
export const FREE_PATH = fileURLToPath(new URL('../src/ops/functional.generated.ts', import.meta.url));

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const def = readFileSync(DEF_PATH, 'utf8');
  writeFileSync(OUT_PATH, generate(def));
  writeFileSync(FREE_PATH, generateFree(def));
  console.log(`wrote ${OUT_PATH} and ${FREE_PATH}`);
}
