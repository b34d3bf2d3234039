// The package's TypeScript sources, parsed (syntax only, no type checking), for tests that check
// facts about the public API: which classes and members exist, which take options.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import ts from 'typescript';

/** Every .ts file under src/, as its path relative to src/ and its syntax tree. */
export function parsedSources(): { rel: string; sf: ts.SourceFile }[] {
  const root = fileURLToPath(new URL('../../src/', import.meta.url));
  const out: { rel: string; sf: ts.SourceFile }[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const f = join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (e.name.endsWith('.ts'))
        out.push({
          rel: relative(root, f),
          sf: ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.ES2022, true),
        });
    }
  };
  walk(root);
  return out;
}

/** The modifier kinds of a node (export, private, abstract, ...). */
export const modifiers = (n: ts.Node): ts.SyntaxKind[] =>
  (ts.canHaveModifiers(n) ? (ts.getModifiers(n) ?? []) : []).map((m) => m.kind);
/** Whether a declaration's TSDoc carries @internal. */
export const isInternal = (n: ts.Node): boolean => ts.getJSDocTags(n).some((t) => t.tagName.text === 'internal');
