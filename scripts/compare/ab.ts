// Training ops timed on two builds side by side: rounds of scripts/compare/ops_round.ts
// alternate between an older tree and this one (each in its own child process, 1 thread), and
// the table gives each op's median over the rounds and the ratio. Alternating rounds lets the
// shared machine's drift hit both builds alike. Not part of npm run bench: a before/after
// comparison for the issue note. The older tree is a built worktree of another commit:
//   git worktree add /tmp/old <commit> && ln -s "$PWD/node_modules" /tmp/old/node_modules
//   (cd /tmp/old && npx cmake-js build)
//   ROUNDS=3 npx tsx scripts/compare/ab.ts /tmp/old      (ONLY=conv2d: just the rows matching)
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('../..', import.meta.url));
const old = process.argv[2];
if (!old) throw new Error('usage: npx tsx scripts/compare/ab.ts <older built tree>');
const trees = { old, new: here };
const rounds = Number(process.env.ROUNDS ?? 3);
const round = fileURLToPath(new URL('./ops_round.ts', import.meta.url));
const res: Record<string, Record<string, number[]>> = { old: {}, new: {} };
for (let r = 0; r < rounds; r++)
  for (const [k, root] of Object.entries(trees)) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', round], {
      env: { ...process.env, TREE: root },
      encoding: 'utf8',
      cwd: root,
    });
    for (const [op, us] of Object.entries(JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>))
      (res[k]![op] ??= []).push(us);
  }
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const fmt = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`);
console.log('| op (1 thread) | before | after | speed-up |\n|---|---|---|---|');
for (const op of Object.keys(res.new!)) {
  const o = med(res.old![op]!),
    n = med(res.new![op]!);
  console.log(`| ${op} | ${fmt(o)} | ${fmt(n)} | ${(o / n).toFixed(2)}x |`);
}
