// Every public function, constructor and method of src/ that takes an options object (a parameter
// named options/opts, or typed as an *Options interface), found with the TypeScript parser, as
// 'file:name' keys: 'nn/functional.ts:conv2d', 'optim/optimizers.ts:SGD.constructor'.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import ts from 'typescript';

export function publicOptionParams(): string[] {
  const root = fileURLToPath(new URL('../../src/', import.meta.url));
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.ts')) files.push(join(d, e.name));
    }
  };
  walk(root);
  const out = new Set<string>();
  const mods = (n: ts.Node) => (ts.canHaveModifiers(n) ? ts.getModifiers(n) ?? [] : []).map((m) => m.kind);
  const internal = (n: ts.Node) => ts.getJSDocTags(n).some((t) => t.tagName.text === 'internal');
  const takesOptions = (ps: ts.NodeArray<ts.ParameterDeclaration>) =>
    ps.some((p) => /^(options|opts)$/.test(p.name.getText()) || /Options\b/.test(p.type?.getText() ?? ''));
  for (const f of files) {
    const rel = relative(root, f);
    if (rel === 'options.ts') continue;  // the checker itself
    const sf = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.ES2022, true);
    sf.forEachChild((n) => {
      const exported = mods(n).includes(ts.SyntaxKind.ExportKeyword);
      if (!exported) return;
      if (ts.isFunctionDeclaration(n) && n.name && takesOptions(n.parameters)) out.add(`${rel}:${n.name.text}`);
      if (ts.isVariableStatement(n))
        for (const d of n.declarationList.declarations)
          if (d.initializer && ts.isArrowFunction(d.initializer) && takesOptions(d.initializer.parameters)) out.add(`${rel}:${d.name.getText()}`);
      if (ts.isClassDeclaration(n) && n.name)
        for (const m of n.members) {
          if (!(ts.isConstructorDeclaration(m) || ts.isMethodDeclaration(m)) || !takesOptions(m.parameters)) continue;
          const hidden = mods(m).some((k) => k === ts.SyntaxKind.PrivateKeyword || k === ts.SyntaxKind.ProtectedKeyword) || internal(m);
          const name = ts.isConstructorDeclaration(m) ? 'constructor' : m.name.getText();
          if (!hidden && !name.startsWith('_')) out.add(`${rel}:${n.name.text}.${name}`);
        }
    });
  }
  return [...out].sort();
}
