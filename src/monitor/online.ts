// The online monitor: rows arrive (a server's requests), a sliding or tumbling window of them is
// compared with the reference every `every` rows, data quality is counted on every row, and a
// callback (and optional webhook) hears of drift. Windowed model quality from labels that arrive
// later uses the metrics classes.
import { fail } from '../errors.js';
import { checkOptions, describe, fn as fnArg } from '../options.js';
import { Tensor } from '../tensor.js';
import {
  columns,
  detectDrift,
  mmdDrift,
  type DriftOptions,
  type DriftResult,
  type MmdResult,
  type Table,
} from './drift.js';

/** Data-quality counts since the monitor started. */
export interface QualityCounts {
  rows: number;
  nan: number;
  inf: number;
  /** Finite values outside the reference's [min, max] of their feature. */
  outOfRange: number;
  /** Rows whose width differed from the reference's (their values are not compared). */
  badWidth: number;
}

/** What one evaluation found. */
export interface MonitorReport {
  /** When it ran (ms since the epoch). */
  time: number;
  /** Rows seen so far, and in the window compared. */
  rowsSeen: number;
  windowRows: number;
  features: DriftResult;
  /** Multivariate drift (when `mmd` is on). */
  mmd?: MmdResult;
  /** Drift of the model's outputs against `predictionReference` (when given and fed). */
  predictions?: DriftResult;
  /** The windowed quality metric, when labels are fed. */
  quality?: number;
  isDrift: boolean;
  dataQuality: QualityCounts;
}

/** Options of DriftMonitor. */
export interface DriftMonitorOptions {
  /** Rows in the compared window (default 500). */
  window?: number;
  /** Evaluate after this many new rows (default 100; tumbling windows evaluate when full). */
  every?: number;
  /** 'sliding' (default: the last `window` rows) or 'tumbling' (disjoint windows). */
  mode?: 'sliding' | 'tumbling';
  /** detectDrift's options (feature names, methods, correction, thresholds). */
  detectors?: DriftOptions;
  /** Also run the MMD permutation test on each window (default false). */
  mmd?: boolean | { nPermutations?: number; pValue?: number };
  /** Reference outputs of the model ([rows, outputs]) for prediction drift. */
  predictionReference?: Table;
  /** Called with each report that found drift; errors it throws are swallowed and counted. */
  onDrift?: (report: MonitorReport) => void;
  /** POSTed each report that found drift as JSON (fire and forget; failures are counted). */
  webhook?: string;
  /** Builds the quality metric for labelled rows (e.g. () => new metrics.Accuracy({ task: 'multiclass', numClasses: 3 })). */
  qualityMetric?: () => QualityMetric;
}

/** What DriftMonitor needs of a metric (the `metrics` classes have it). */
export interface QualityMetric {
  /** Adds a batch of predictions and targets. */
  update(preds: Tensor, target: Tensor): void;
  /** The value over what was added since the last reset. */
  compute(): Tensor;
  /** Forgets what was added. */
  reset(): void;
}

// A ring of the last `cap` rows of a fixed width.
class Ring {
  readonly data: Float64Array;
  n = 0;
  private head = 0;
  constructor(
    readonly cap: number,
    readonly width: number,
  ) {
    this.data = new Float64Array(cap * width);
  }
  push(row: ArrayLike<number>, off = 0): void {
    const at = this.head * this.width;
    for (let j = 0; j < this.width; j++) this.data[at + j] = row[off + j] as number;
    this.head = (this.head + 1) % this.cap;
    this.n = Math.min(this.cap, this.n + 1);
  }
  rows(): number[][] {
    const out: number[][] = [];
    const start = this.n < this.cap ? 0 : this.head;
    for (let k = 0; k < this.n; k++) {
      const i = (start + k) % this.cap;
      out.push(Array.from(this.data.subarray(i * this.width, (i + 1) * this.width)));
    }
    return out;
  }
  clear(): void {
    this.n = 0;
    this.head = 0;
  }
}

/**
 * Watches rows as they arrive and compares a window of them with a reference sample.
 * @example
 * const mon = new monitor.DriftMonitor(trainRows, { window: 200, every: 50, onDrift: (r) => alert(r) });
 * mon.observe(batchRows); // after each request
 * mon.latest()?.features.isDrift
 */
export class DriftMonitor {
  private readonly ref: number[][];
  private readonly refCols: Float64Array[];
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  private readonly win: Ring;
  private readonly predWin: Ring | null;
  private readonly predRef: number[][] | null;
  private readonly o: Required<Pick<DriftMonitorOptions, 'window' | 'every' | 'mode'>> & DriftMonitorOptions;
  private sinceCheck = 0;
  private report: MonitorReport | null = null;
  private metric: QualityMetric | null = null;
  private labelled = 0;
  /** Data-quality counts since the start. */
  readonly quality: QualityCounts = { rows: 0, nan: 0, inf: 0, outOfRange: 0, badWidth: 0 };
  /** Errors thrown by onDrift or failed webhook posts. */
  callbackErrors = 0;

  constructor(reference: Table, options: DriftMonitorOptions = {}) {
    const op = 'monitor.DriftMonitor';
    const o = checkOptions(op, options, {
      window: 'integer',
      every: 'integer',
      mode: 'string',
      detectors: 'any',
      mmd: 'any',
      predictionReference: 'any',
      onDrift: 'any',
      webhook: 'string',
      qualityMetric: 'any',
    });
    this.refCols = columns(op, reference, 'reference');
    const F = this.refCols.length,
      R = (this.refCols[0] as Float64Array).length;
    this.ref = Array.from({ length: R }, (_, i) => this.refCols.map((c) => c[i] as number));
    this.lo = Float64Array.from(this.refCols, (c) =>
      c.reduce((a, v) => (Number.isFinite(v) ? Math.min(a, v) : a), Infinity),
    );
    this.hi = Float64Array.from(this.refCols, (c) =>
      c.reduce((a, v) => (Number.isFinite(v) ? Math.max(a, v) : a), -Infinity),
    );
    const window = o.window ?? 500,
      every = o.every ?? 100;
    if (window < 2) fail('INVALID_ARGUMENT', `${op}: window must be at least 2, got ${window}`);
    if (every < 1) fail('INVALID_ARGUMENT', `${op}: every must be at least 1, got ${every}`);
    const mode = o.mode ?? 'sliding';
    if (mode !== 'sliding' && mode !== 'tumbling')
      fail('INVALID_ARGUMENT', `${op}: mode must be 'sliding' or 'tumbling', got ${describe(mode)}`);
    if (o.onDrift !== undefined) fnArg(op, 'onDrift', o.onDrift);
    if (o.qualityMetric !== undefined) fnArg(op, 'qualityMetric', o.qualityMetric);
    if (o.webhook !== undefined && !/^https?:\/\//.test(o.webhook))
      fail('INVALID_ARGUMENT', `${op}: webhook must be an http(s) URL, got ${describe(o.webhook)}`);
    this.o = { ...o, window, every, mode };
    this.win = new Ring(window, F);
    if (o.predictionReference !== undefined) {
      const pc = columns(op, o.predictionReference, 'predictionReference');
      this.predRef = Array.from({ length: (pc[0] as Float64Array).length }, (_, i) => pc.map((c) => c[i] as number));
      this.predWin = new Ring(window, pc.length);
    } else {
      this.predRef = null;
      this.predWin = null;
    }
  }

  /** Features per row (the reference's width). */
  get width(): number {
    return this.refCols.length;
  }

  /**
   * Adds rows (a [rows, features] tensor, rows of numbers, or a flat array with the reference's
   * width) and, optionally, the model's outputs for them; evaluates when due. Returns the report
   * when one ran. Bad rows are counted in data quality, not thrown.
   */
  observe(rows: Table | ArrayLike<number>, predictions?: Table | ArrayLike<number>): MonitorReport | null {
    const F = this.width;
    const flat = toFlat(rows, F);
    const n = flat ? Math.floor(flat.length / F) : 0;
    if (!flat || flat.length % F !== 0) {
      this.quality.badWidth += Math.max(1, n);
      return null;
    }
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < F; j++) {
        const v = flat[r * F + j] as number;
        if (Number.isNaN(v)) this.quality.nan++;
        else if (!Number.isFinite(v)) this.quality.inf++;
        else if (v < (this.lo[j] as number) || v > (this.hi[j] as number)) this.quality.outOfRange++;
      }
      this.win.push(flat, r * F);
    }
    this.quality.rows += n;
    if (predictions !== undefined && this.predWin) {
      const pf = toFlat(predictions, this.predWin.width);
      if (pf && pf.length === n * this.predWin.width)
        for (let r = 0; r < n; r++) this.predWin.push(pf, r * this.predWin.width);
    }
    this.sinceCheck += n;
    const due =
      this.o.mode === 'tumbling' ? this.win.n >= this.o.window : this.sinceCheck >= this.o.every && this.win.n >= 2;
    return due ? this.evaluate() : null;
  }

  /** Feeds predictions and their true labels as they arrive, for the windowed quality metric. */
  observeLabels(preds: Tensor, labels: Tensor): void {
    if (!this.o.qualityMetric) fail('INVALID_ARGUMENT', 'DriftMonitor.observeLabels: give the qualityMetric option');
    this.metric ??= this.o.qualityMetric();
    this.metric.update(preds, labels);
    this.labelled += preds.shape[0] ?? 0;
  }

  /** Compares the window now, whatever the counters say. */
  evaluate(): MonitorReport {
    const rows = this.win.rows();
    if (rows.length < 2)
      fail('INVALID_ARGUMENT', `DriftMonitor.evaluate: the window holds ${rows.length} rows, need 2`);
    const features = detectDrift(this.ref, rows, this.o.detectors);
    const rep: MonitorReport = {
      time: Date.now(),
      rowsSeen: this.quality.rows,
      windowRows: rows.length,
      features,
      isDrift: features.isDrift,
      dataQuality: { ...this.quality },
    };
    if (this.o.mmd) {
      rep.mmd = mmdDrift(this.ref, rows, typeof this.o.mmd === 'object' ? this.o.mmd : {});
      rep.isDrift ||= rep.mmd.isDrift;
    }
    if (this.predWin && this.predRef && this.predWin.n >= 2) {
      rep.predictions = detectDrift(this.predRef, this.predWin.rows(), {
        ...this.o.detectors,
        featureNames: undefined,
      });
      rep.isDrift ||= rep.predictions.isDrift;
    }
    if (this.metric && this.labelled > 0) {
      const t = this.metric.compute();
      rep.quality = Number(t.item());
      t.dispose();
      this.metric.reset();
      this.labelled = 0;
    }
    this.report = rep;
    this.sinceCheck = 0;
    if (this.o.mode === 'tumbling') {
      this.win.clear();
      this.predWin?.clear();
    }
    if (rep.isDrift) this.notify(rep);
    return rep;
  }

  /** The last report (null before the first evaluation). */
  latest(): MonitorReport | null {
    return this.report;
  }

  private notify(rep: MonitorReport): void {
    try {
      this.o.onDrift?.(rep);
    } catch {
      this.callbackErrors++;
    }
    if (this.o.webhook)
      fetch(this.o.webhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(rep),
        signal: AbortSignal.timeout(5000),
      }).then(
        (r) => {
          if (!r.ok) this.callbackErrors++;
        },
        () => this.callbackErrors++,
      );
  }
}

// Rows as one flat array of the given width, or null when they cannot be read as such.
function toFlat(rows: unknown, width: number): ArrayLike<number> | null {
  if (rows instanceof Tensor) {
    if (rows.ndim > 2 || (rows.ndim === 2 && rows.shape[1] !== width)) return null;
    return rows.contiguous().to('float64').data() as Float64Array;
  }
  if (Array.isArray(rows) && rows.length > 0 && Array.isArray(rows[0])) {
    if (!rows.every((r) => Array.isArray(r) && r.length === width)) return null;
    return (rows as number[][]).flat().map(Number);
  }
  if (ArrayBuffer.isView(rows) || Array.isArray(rows)) return Array.from(rows as ArrayLike<number>, Number);
  return null;
}
