// The benchmark runner and the demo, in their reduced modes: every suite runs and reports every
// row with real numbers; the HTML report renders from the JSON; the demo trains and compares.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import { renderReport } from '../bench/report.js';
import type { Row } from '../bench/lib.js';
import { main as demo } from '../scripts/demo.js';

describe('npm run bench --smoke', () => {
  it('runs every suite and writes every row, with no NaN, to the JSON', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-bench-'));
    const out = path.join(dir, 'out.json');
    const r = spawnSync(
      path.join('node_modules', '.bin', 'tsx'),
      ['bench/index.ts', '--smoke', '--threads', '1', '--json', out, '--markdown', path.join(dir, 'out.md')],
      { encoding: 'utf8', timeout: 180_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(fs.readFileSync(out, 'utf8')) as { rows: Row[]; cores: number };
    const rows = res.rows;
    // 'compare' appears only where an optional peer (onnxruntime-node, tfjs) is installed.
    expect([...new Set(rows.map((x) => x.suite))].filter((s) => s !== 'compare')).toEqual([
      'elementwise',
      'reduce',
      'matmul',
      'linalg',
      'views',
      'autograd',
      'attention',
      'jit',
      'conv',
      'half',
      'train',
      'metrics',
      'memory',
      'programs',
      'explain',
      'monitor',
    ]);
    for (const x of rows) {
      expect(Number.isFinite(x.nativeUs) && x.nativeUs > 0, `${x.suite} ${x.name}`).toBe(true);
      for (const v of Object.values(x))
        if (typeof v === 'number') expect(Number.isNaN(v), `${x.suite} ${x.name}`).toBe(false);
    }
    const find = (re: RegExp) => rows.find((x) => re.test(x.name));
    // The Lesson 1.3 rows carry the plain TypeScript time next to the native one.
    for (const re of [
      /^add 1M f32$/,
      /^sgemm 256x256$/,
      /^conv2d case A:.*pad 1\)$/,
      /training step/,
      /^maxPool2d/,
      /^Accuracy multiclass update/,
      /^relu\(x \* y \+ 1\).*traced graph/,
    ])
      expect(find(re)?.plainUs, String(re)).toBeGreaterThan(0);
    expect(find(/^sgemm 256x256$/)!.flops).toBe(2 * 256 ** 3);
    expect(find(/^conv2d case A:.* weight grad$/)?.flops).toBe(2 * 32 * 32 * 3 * 9 * 32 * 32);
    // The real programs (PyTorch and numpy peers are left out in smoke runs).
    for (const re of [
      /^GPT training step/,
      /^MNIST-example CNN/,
      /^polynomial fit step/,
      /^3-D CNN training step/,
      /^CTC recogniser training step/,
      /^MLP .* numpy step$/,
    ])
      expect(find(re), String(re)).toBeDefined();
    expect(fs.readFileSync(path.join(dir, 'out.md'), 'utf8')).toMatch(
      /^\| suite \| op \| threads \| plain \| native \| ± \|/,
    );
    // The printed summary has the same rows.
    expect(r.stdout).toContain('Summary (medians)');
    const html = renderReport(res);
    expect(html).toMatch(/aria-label="Speed-up over plain TypeScript \(\d threads?\)"/);
    expect(html).toContain('aria-label="Matrix product GFLOP/s against size"');
    expect(html.match(/<tr>/g)!.length).toBe(rows.length + 1);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 180_000);
});

describe('npm run demo --quick', () => {
  it('trains Iris and the shapes CNN, and compares plain loops with tensorkit on the same numbers', async () => {
    const lines: string[] = [];
    const r = await demo({ quick: true, progressBar: false, log: (s) => lines.push(s) });
    expect(r.irisTestAccuracy).toBeGreaterThan(0.7);
    expect(r.shapesValAccuracy).toBeGreaterThan(0.5);
    expect(r.comparisons.map((c) => c.name)).toEqual([
      expect.stringMatching(/^relu\(x \* y \+ 1\)/),
      expect.stringMatching(/traced \(jit: one fused pass\)$/),
      'matmul 64 x 64',
      expect.stringMatching(/^training epoch/),
    ]);
    for (const c of r.comparisons) {
      expect(c.maxDiff, c.name).toBeLessThan(1e-4);
      expect(c.plainMs > 0 && c.tensorkitMs > 0).toBe(true);
    }
    expect(lines.join('\n')).toMatch(/test accuracy \d+\.\d%/);
  }, 60_000);
});
