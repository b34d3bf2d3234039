// Experiment loggers: each run gets a directory <saveDir>/<name>/version_<n>, hyperparameters
// in hparams.yaml, and metrics in its own format: CSV (metrics.csv), JSON lines (metrics.jsonl)
// or TensorBoard event files. The Trainer calls logMetrics() as it goes and save() at epoch ends.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { fail } from '../errors.js';
import { ioError, writeFileAtomic } from '../io/files.js';
import { checkOptions, describe, isOptionsObject, oneOf } from '../options.js';
import { encodeEvent, frameRecord } from './events.js';

/** Options of the file loggers: the run name and version under the root folder. */
export interface LoggerOptions {
  /** Experiment name: the directory under saveDir. Default 'lightning_logs'. */
  name?: string;
  /** Run version: a number (version_<n>) or a string; default the next free number. */
  version?: number | string;
}

/** Hyperparameters as YAML (each value as a JSON flow scalar, which YAML reads as-is). */
export function toYaml(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => {
      let json: string | undefined;
      try {
        json = JSON.stringify(v ?? null);
      } catch (e) {
        fail('INVALID_ARGUMENT', `hyperparameter ${describe(k)} cannot be written as JSON: ${(e as Error).message}`);
      }
      return `${JSON.stringify(k)}: ${json ?? 'null'}\n`;
    })
    .join('');
}

/**
 * Base of the loggers. Subclasses write metrics; the base owns the run directory and
 * hyperparameters. Implement `logMetrics` (and `save`/`finalize` if buffering) for your own.
 */
export abstract class Logger {
  readonly name: string;
  readonly version: number | string;
  readonly saveDir: string;
  protected hparams: Record<string, unknown> = {};

  constructor(saveDir: string, options: LoggerOptions = {}) {
    const op = this.constructor.name;
    if (typeof saveDir !== 'string' || saveDir === '')
      fail('INVALID_ARGUMENT', `${op}: expected a directory path, got ${describe(saveDir)}`);
    const o = checkOptions(op, options, { name: 'string', version: 'any' });
    if (o.version !== undefined && typeof o.version !== 'string' && !(Number.isInteger(o.version) && o.version >= 0))
      fail('INVALID_ARGUMENT', `${op}: version must be a non-negative integer or a string, got ${describe(o.version)}`);
    this.saveDir = saveDir;
    this.name = o.name ?? 'lightning_logs';
    this.version = o.version ?? Logger.nextVersion(path.join(saveDir, this.name));
  }

  private static nextVersion(root: string): number {
    let names: string[] = [];
    try {
      names = fs.readdirSync(root);
    } catch {
      return 0;
    }
    const used = names
      .map((n) => /^version_(\d+)$/.exec(n))
      .filter((m) => m)
      .map((m) => Number(m![1]));
    return used.length ? Math.max(...used) + 1 : 0;
  }

  /** The run's directory: <saveDir>/<name>/version_<n>. */
  get logDir(): string {
    return path.join(
      this.saveDir,
      this.name,
      typeof this.version === 'number' ? `version_${this.version}` : this.version,
    );
  }

  /** Records hyperparameters (merged with earlier ones) to hparams.yaml. */
  logHyperparams(params: Record<string, unknown>): void {
    if (!isOptionsObject(params))
      fail('INVALID_ARGUMENT', `${this.constructor.name}.logHyperparams: expected an object, got ${describe(params)}`);
    const merged = { ...this.hparams, ...params };
    writeFileAtomic(
      path.join(this.logDir, 'hparams.yaml'),
      [toYaml(merged)],
      `${this.constructor.name}.logHyperparams`,
    );
    this.hparams = merged;
  }

  /** Records metric values at a step. */
  abstract logMetrics(metrics: Record<string, number>, step: number): void;
  /** Flushes buffered metrics to disk. */
  save(): void {}
  /** Flushes and closes at the end of a run. */
  finalize(status: 'success' | 'failed' | 'interrupted'): void {
    oneOf(`${this.constructor.name}.finalize`, 'status', status, ['success', 'failed', 'interrupted']);
    this.save();
  }
}

function checkMetrics(op: string, metrics: Record<string, number>, step: number): void {
  if (!isOptionsObject(metrics))
    fail('INVALID_ARGUMENT', `${op}: metrics must be an object of numbers, got ${describe(metrics)}`);
  if (!Number.isSafeInteger(step) || step < 0)
    fail('INVALID_ARGUMENT', `${op}: step must be a non-negative integer, got ${describe(step)}`);
  for (const [k, v] of Object.entries(metrics))
    if (typeof v !== 'number') fail('INVALID_ARGUMENT', `${op}: metric '${k}' must be a number, got ${describe(v)}`);
}

// Appends to a log file (creating its directory); a failure is IO_ERROR naming the file. Logs
// grow by appending (a crash can at worst cut the last record short); rewrites of a whole file
// go through writeFileAtomic.
function append(file: string, data: string | Uint8Array, op: string): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.appendFileSync(file, data);
  } catch (e) {
    ioError(op, file, e);
  }
}

const csvField = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/**
 * metrics.csv: a `step` column, then one column per metric name in order of first appearance;
 * a row per logMetrics call (blank where a metric was not logged).
 * @example new train.CSVLogger('runs', { name: 'iris' })
 */
export class CSVLogger extends Logger {
  private columns: string[] = ['step'];
  private rows: Record<string, number>[] = [];
  private written = 0;
  private writtenColumns = 0;

  logMetrics(metrics: Record<string, number>, step: number): void {
    checkMetrics('CSVLogger.logMetrics', metrics, step);
    for (const k of Object.keys(metrics)) if (!this.columns.includes(k)) this.columns.push(k);
    this.rows.push({ ...metrics, step });
  }

  private line(r: Record<string, number>): string {
    return this.columns.map((c) => (r[c] === undefined ? '' : String(r[c]))).join(',') + '\n';
  }

  /** Appends new rows; rewrites the file (atomically) when new columns appeared. */
  override save(): void {
    const file = path.join(this.logDir, 'metrics.csv');
    if (this.written === this.rows.length && this.writtenColumns === this.columns.length && fs.existsSync(file)) return;
    if (this.writtenColumns !== this.columns.length || !fs.existsSync(file)) {
      writeFileAtomic(
        file,
        [this.columns.map(csvField).join(',') + '\n', ...this.rows.map((r) => this.line(r))],
        'CSVLogger.save',
      );
    } else {
      append(
        file,
        this.rows
          .slice(this.written)
          .map((r) => this.line(r))
          .join(''),
        'CSVLogger.save',
      );
    }
    this.written = this.rows.length;
    this.writtenColumns = this.columns.length;
  }
}

/**
 * metrics.jsonl: one JSON object per logMetrics call, {"step", "time" (epoch ms), ...metrics};
 * non-finite values are written as strings ("NaN", "Infinity").
 * @example new train.JSONLLogger('runs')
 */
export class JSONLLogger extends Logger {
  private pending: string[] = [];
  logMetrics(metrics: Record<string, number>, step: number): void {
    checkMetrics('JSONLLogger.logMetrics', metrics, step);
    const row: Record<string, number | string> = { step, time: Date.now() };
    for (const [k, v] of Object.entries(metrics)) row[k] = Number.isFinite(v) ? v : String(v);
    this.pending.push(JSON.stringify(row) + '\n');
  }
  override save(): void {
    if (!this.pending.length) return;
    append(path.join(this.logDir, 'metrics.jsonl'), this.pending.join(''), 'JSONLLogger.save');
    this.pending = [];
  }
}

let eventFileCounter = 0;

/**
 * TensorBoard event files (events.out.tfevents.*), readable by `tensorboard --logdir`.
 * @example new train.TensorBoardLogger('runs')
 */
export class TensorBoardLogger extends Logger {
  private file: string | undefined;
  private pending: Buffer[] = [];
  logMetrics(metrics: Record<string, number>, step: number): void {
    checkMetrics('TensorBoardLogger.logMetrics', metrics, step);
    if (!this.file) {
      this.file = path.join(
        this.logDir,
        `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${os.hostname()}.${process.pid}.${eventFileCounter++}`,
      );
      this.pending.push(frameRecord(encodeEvent(Date.now() / 1000, 0, { fileVersion: 'brain.Event:2' })));
    }
    this.pending.push(frameRecord(encodeEvent(Date.now() / 1000, step, { scalars: metrics })));
  }
  /** The event file's path (once something was logged). */
  get eventFile(): string | undefined {
    return this.file;
  }
  override save(): void {
    if (!this.file || !this.pending.length) return;
    append(this.file, Buffer.concat(this.pending), 'TensorBoardLogger.save');
    this.pending = [];
  }
}
