// Every public function, constructor and method of src/ that takes an options object (a parameter
// named options/opts, or typed as an *Options interface), found with the TypeScript parser, as
// 'file:name' keys: 'nn/functional.ts:conv2d', 'optim/optimizers.ts:SGD.constructor'.
import ts from 'typescript';

import { isInternal, modifiers, parsedSources } from './sources.js';

export function publicOptionParams(): string[] {
  const out = new Set<string>();
  const takesOptions = (ps: ts.NodeArray<ts.ParameterDeclaration>) =>
    ps.some((p) => /^(options|opts)$/.test(p.name.getText()) || /Options\b/.test(p.type?.getText() ?? ''));
  for (const { rel, sf } of parsedSources()) {
    if (rel === 'options.ts') continue; // the checker itself
    sf.forEachChild((n) => {
      // Exported and not marked @internal (internal helpers are not public, though exported).
      if (!modifiers(n).includes(ts.SyntaxKind.ExportKeyword) || isInternal(n)) return;
      if (ts.isFunctionDeclaration(n) && n.name && takesOptions(n.parameters)) out.add(`${rel}:${n.name.text}`);
      if (ts.isVariableStatement(n))
        for (const d of n.declarationList.declarations)
          if (d.initializer && ts.isArrowFunction(d.initializer) && takesOptions(d.initializer.parameters))
            out.add(`${rel}:${d.name.getText()}`);
      if (ts.isClassDeclaration(n) && n.name)
        for (const m of n.members) {
          if (!(ts.isConstructorDeclaration(m) || ts.isMethodDeclaration(m)) || !takesOptions(m.parameters)) continue;
          const hidden =
            modifiers(m).some((k) => k === ts.SyntaxKind.PrivateKeyword || k === ts.SyntaxKind.ProtectedKeyword) ||
            isInternal(m);
          const name = ts.isConstructorDeclaration(m) ? 'constructor' : m.name.getText();
          if (!hidden && !name.startsWith('_')) out.add(`${rel}:${n.name.text}.${name}`);
        }
    });
  }
  return [...out].sort();
}
