// A python3 child that answers one JSON line per request line: the plumbing the optional
// numpy and PyTorch peers share. Absent the interpreter or its module, the peer is undefined and
// the bench says so and goes on — never a dependency.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface PythonPeer {
  /** The first line the script printed (its versions). */
  readonly hello: Record<string, unknown>;
  /** Writes one request line and resolves with the JSON line answered. */
  ask(line: string): Promise<Record<string, unknown>>;
  close(): void;
}

const found = new Map<string, string | null>();
/** The first of `pythons` that imports `module`, or null. */
export function pythonWith(module: string, pythons: readonly string[] = ['python3']): string | null {
  const key = `${module}:${pythons.join()}`;
  if (!found.has(key))
    found.set(
      key,
      pythons.find((p) => spawnSync(p, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0) ?? null,
    );
  return found.get(key)!;
}

/** Starts `python script ...args` with `env` added to the environment and reads its hello line. */
export async function startPython(
  python: string,
  script: string,
  args: string[],
  env: Record<string, string>,
): Promise<PythonPeer> {
  const child = spawn(python, [script, ...args], { env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()).length > 4000 && (stderr = stderr.slice(-4000)));
  const it = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const r = await it.next();
    if (r.done) throw new Error(`${script} exited: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return JSON.parse(r.value) as Record<string, unknown>;
  };
  const hello = await next();
  return {
    hello,
    ask(line) {
      child.stdin.write(`${line}\n`);
      return next();
    },
    close() {
      child.stdin.end();
      child.kill();
    },
  };
}
