/**
 * Monitoring deployed models: drift detectors comparing a reference sample with a current window
 * (per feature and overall), data quality, an online monitor for the server, and HTML reports.
 *
 * @example
 * const r = monitor.detectDrift(reference, current); // { isDrift, perFeature, ... }
 * @module monitor
 */
export * as stats from './stats.js';
export {
  detectDrift,
  mmdDrift,
  type Table,
  type DriftMethod,
  type FeatureType,
  type FeatureDrift,
  type DriftResult,
  type DriftOptions,
  type MmdResult,
} from './drift.js';
export {
  DriftMonitor,
  type DriftMonitorOptions,
  type MonitorReport,
  type QualityCounts,
  type QualityMetric,
} from './online.js';
export { report } from './report.js';
