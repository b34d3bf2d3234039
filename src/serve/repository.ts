// The model repository, as Triton's and KServe's: one folder per model, numbered version folders
// in it (or the graph file directly, as version 1), an optional config.json and handler module
// beside them. The registry serves what is loaded: requests look a version up once, hold it until
// answered, and a reload swaps in the new versions before the old ones retire (so no accepted
// request is dropped).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { fail, TensorError } from '../errors.js';
import { checkConfig, type ModelConfig } from './config.js';
import { ModelVersion, type ModelDefaults, type ModelHooks, type ModelSource } from './model.js';

/** A model the server knows: its loaded versions (newest first), or why it failed to load. */
export interface ModelEntry {
  name: string;
  versions: ModelVersion[];
  state: 'READY' | 'LOADING' | 'UNAVAILABLE';
  reason?: string;
  /** Settings set through the management API, kept across reloads. */
  overrides: ModelConfig;
}

const GRAPH_FILE = /\.(tkg|onnx)$/;

function readConfig(dir: string): ModelConfig {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) return {};
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    fail('IO_ERROR', `serve: '${file}' is not valid JSON: ${(e as Error).message}`);
  }
  try {
    return checkConfig(`serve: '${file}'`, json);
  } catch (e) {
    fail('IO_ERROR', (e as Error).message);
  }
}

function graphIn(dir: string, cfg: ModelConfig): string {
  if (cfg.graphFile) {
    const f = join(dir, cfg.graphFile);
    if (!existsSync(f)) fail('IO_ERROR', `serve: '${f}' (the config's graphFile) does not exist`);
    return f;
  }
  const found = readdirSync(dir).filter((f) => GRAPH_FILE.test(f));
  if (found.length !== 1)
    fail(
      'IO_ERROR',
      `serve: '${dir}' holds ${found.length ? found.join(', ') : 'no .tkg or .onnx file'}; put one graph there or name it with graphFile`,
    );
  return join(dir, found[0]);
}

/** The version sources of the model folder `dir`, newest first, under the config's version policy. */
function scanModel(dir: string, cfg: ModelConfig): { version: number; graph: string }[] {
  const numbered = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^[1-9]\d{0,8}$/.test(e.name))
    .map((e) => Number(e.name))
    .sort((a, b) => b - a);
  if (numbered.length === 0) return [{ version: 1, graph: graphIn(dir, cfg) }];
  const policy = cfg.versionPolicy ?? 'latest';
  const chosen =
    policy === 'latest'
      ? numbered.slice(0, 1)
      : policy === 'all'
        ? numbered
        : numbered.filter((v) => policy.includes(v));
  if (chosen.length === 0)
    fail('IO_ERROR', `serve: '${dir}' has none of the versions [${policy}] its versionPolicy names`);
  return chosen.map((v) => ({ version: v, graph: graphIn(join(dir, String(v)), cfg) }));
}

/** Serves the loaded models; loads, reloads and unloads them. */
export class ModelRegistry {
  private readonly entries = new Map<string, ModelEntry>();

  constructor(
    private readonly repository: string | undefined,
    private readonly sources: Record<string, ModelSource>,
    private readonly defaults: ModelDefaults,
    private readonly hooks: ModelHooks & { onLoad?(v: ModelVersion): void } = {},
  ) {
    if (repository !== undefined && !(existsSync(repository) && statSync(repository).isDirectory()))
      fail('IO_ERROR', `serve: the model repository '${repository}' is not a folder`);
  }

  /** Every model the repository and the given sources hold, loaded or not. */
  index(): string[] {
    const names = new Set(Object.keys(this.sources));
    if (this.repository)
      for (const e of readdirSync(this.repository, { withFileTypes: true }))
        if (e.isDirectory() && !e.name.startsWith('.')) names.add(e.name);
    for (const n of this.entries.keys()) names.add(n);
    return [...names].sort();
  }

  /** A repository model's config.json and folder (given sources: their config, no folder). */
  configOf(name: string): { config: ModelConfig; dir?: string } {
    const given = this.sources[name];
    if (given) return { config: given.config ?? {} };
    const dir = this.repository ? join(this.repository, name) : undefined;
    return dir && existsSync(dir) ? { config: readConfig(dir), dir } : { config: {} };
  }

  entry(name: string): ModelEntry | undefined {
    return this.entries.get(name);
  }
  get all(): ModelEntry[] {
    return [...this.entries.values()];
  }

  /** The version a request for `name` (and `version`, default the newest) uses, if it is ready. */
  get(name: string, version?: number): ModelVersion | undefined {
    const e = this.entries.get(name);
    if (!e || e.state !== 'READY') return undefined;
    return version === undefined ? e.versions[0] : e.versions.find((v) => v.version === version);
  }

  /** Whether every known model is ready. */
  get ready(): boolean {
    return this.all.every((e) => e.state === 'READY');
  }

  /**
   * Loads every model. As Triton's default (exit on error), a model that fails to load fails the
   * start: the error names it, and what had loaded is freed.
   */
  async loadAll(): Promise<void> {
    for (const name of this.index()) {
      try {
        await this.load(name);
      } catch (e) {
        await this.close();
        const code = e instanceof TensorError ? e.code : 'IO_ERROR';
        fail(code, `serve: model '${name}' failed to load: ${(e as Error)?.message ?? String(e)}`);
      }
    }
  }

  private sourcesOf(name: string, overrides: ModelConfig): { sources: ModelSource[]; dir?: string } {
    const given = this.sources[name];
    if (given) return { sources: [{ ...given, config: { ...given.config, ...overrides } }] };
    const dir = this.repository ? join(this.repository, name) : undefined;
    if (
      !dir ||
      !/^[A-Za-z0-9_.-]{1,128}$/.test(name) ||
      name.startsWith('.') ||
      !existsSync(dir) ||
      !statSync(dir).isDirectory()
    )
      fail('INVALID_ARGUMENT', `serve: no model '${name.slice(0, 128)}' in the repository`);
    const config = { ...readConfig(dir), ...overrides };
    if (config.name !== undefined && config.name !== name)
      fail('IO_ERROR', `serve: '${dir}/config.json' names the model '${config.name}'; it must match its folder`);
    return { dir, sources: scanModel(dir, config).map((s) => ({ ...s, config })) };
  }

  /**
   * Loads (or reloads) a model: its versions load beside the ones serving, then replace them; the
   * old ones retire once their accepted requests are answered.
   */
  async load(name: string, overrides?: ModelConfig): Promise<ModelEntry> {
    const prev = this.entries.get(name);
    const entry: ModelEntry = prev ?? { name, versions: [], state: 'LOADING', overrides: {} };
    if (overrides) entry.overrides = { ...entry.overrides, ...overrides };
    if (!prev) this.entries.set(name, entry);
    const loaded: ModelVersion[] = [];
    try {
      const { sources, dir } = this.sourcesOf(name, entry.overrides);
      for (const s of sources) {
        const v = await ModelVersion.load(name, s, this.defaults, dir, this.hooks);
        loaded.push(v);
        this.hooks.onLoad?.(v);
      }
    } catch (e) {
      for (const v of loaded) void v.retire();
      if (entry.versions.length === 0) {
        entry.state = 'UNAVAILABLE';
        entry.reason = (e as Error).message;
      }
      throw e;
    }
    const old = entry.versions;
    entry.versions = loaded;
    entry.state = 'READY';
    entry.reason = undefined;
    await Promise.all(old.map((v) => v.retire()));
    return entry;
  }

  /** Stops routing to a model, waits for its accepted requests, frees it. */
  async unload(name: string): Promise<void> {
    const e = this.entries.get(name);
    if (!e) fail('INVALID_ARGUMENT', `serve: model '${name.slice(0, 128)}' is not loaded`);
    this.entries.delete(name);
    await Promise.all(e.versions.map((v) => v.retire()));
  }

  /** Changes live settings of every loaded version of a model (kept for later reloads). */
  update(name: string, settings: ModelConfig): ModelEntry {
    const e = this.entries.get(name);
    if (!e || e.state !== 'READY') fail('INVALID_ARGUMENT', `serve: model '${name.slice(0, 128)}' is not loaded`);
    for (const v of e.versions) {
      if ((settings.maxBatchSize ?? 0) > 0 && !v.signature.batched)
        fail('INVALID_ARGUMENT', `serve: model '${name}' has no batch axis, so maxBatchSize must stay 0`);
    }
    for (const v of e.versions) Object.assign(v.settings, settings);
    e.overrides = { ...e.overrides, ...settings };
    return e;
  }

  /** Retires every model (after their accepted requests). */
  async close(): Promise<void> {
    const all = this.all;
    this.entries.clear();
    await Promise.all(all.flatMap((e) => e.versions.map((v) => v.retire())));
  }
}
