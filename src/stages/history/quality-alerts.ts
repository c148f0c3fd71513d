import type { DatasetConfig } from '../../configuration/config-schema.js';
import type { FileSummary, HistorySummary, QualitySummary, SummaryAlert } from '../../summary.js';
import { DIMENSIONS } from '../quality-scores.js';

/**
 * Alerts: the thresholds of a dataset's `alerts` configuration a load crossed, decided in the
 * completing transaction (alerts-finish.ts, after the history finisher, whose anomalies they may
 * include) and kept in the summary's `alerts`; once the load has committed the engine sends each as a `quality.alert`
 * event in the one versioned format below (and on Redis, and into its recent-alerts list).
 *
 * A crossed threshold is `critical`: it is what the dataset's owner said must not happen. A metric
 * anomaly is a `warning`: a statistical departure from the dataset's own past, worth a look. A
 * dimension nothing assessed (null) crosses no threshold.
 */

/** Bumped when a field changes meaning or goes away; new fields may be added within a version. */
export const QUALITY_ALERT_VERSION = 1;

/** The quality.alert event's payload, as published (README, "Alerts"). */
export interface QualityAlert extends SummaryAlert {
  version: typeof QUALITY_ALERT_VERSION;
  type: 'quality.alert';
  dataset: string | null;
  /** The file as given (path or URL). */
  file: string;
  /** The load's run id (the one in file.started / file.loaded). */
  run: string;
  /** When the alert was raised, ISO 8601 UTC. */
  at: string;
  message: string;
}

export function alertsFor(load: { rows: number; rejected: number; quality: QualitySummary | null | undefined; history: HistorySummary | null | undefined },
  config: DatasetConfig | undefined): SummaryAlert[] {
  const alerts = config?.alerts;
  const minScore = alerts?.min_score ?? config?.quality?.alert_below;
  const found: SummaryAlert[] = [];
  const below = (rule: string, metric: string, value: number | null | undefined, threshold: number | undefined): void => {
    if (threshold !== undefined && value != null && value < threshold) found.push({ rule, metric, column: null, value, threshold, severity: 'critical' });
  };
  below('min_score', 'score', load.quality?.score, minScore);
  for (const dimension of DIMENSIONS) below(`min_${dimension}`, dimension, load.quality?.[dimension], alerts?.[`min_${dimension}`]);
  const seen = load.rows + load.rejected;
  if (alerts?.max_reject_rate !== undefined && seen > 0 && load.rejected / seen > alerts.max_reject_rate) {
    found.push({ rule: 'max_reject_rate', metric: 'reject_rate', column: null, value: load.rejected / seen, threshold: alerts.max_reject_rate, severity: 'critical' });
  }
  if (alerts?.on_metric_anomaly === true) {
    for (const anomaly of load.history?.anomalies ?? []) {
      const threshold = anomaly.value < anomaly.expected.center ? anomaly.expected.lower : anomaly.expected.upper;
      found.push({ rule: 'metric_anomaly', metric: anomaly.metric, column: anomaly.column, value: anomaly.value, threshold, severity: 'warning' });
    }
  }
  return found;
}

function shown(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

/** The event for one of a loaded file's alerts. */
export function qualityAlert(summary: Pick<FileSummary, 'dataset' | 'file'>, alert: SummaryAlert, run: string, at: Date = new Date()): QualityAlert {
  const what = alert.column === null ? alert.metric : `${alert.metric} of ${alert.column}`;
  const message = alert.rule === 'metric_anomaly'
    ? `${summary.dataset}: ${what} ${shown(alert.value)} is outside its history (bound ${shown(alert.threshold)})`
    : `${summary.dataset}: ${what} ${shown(alert.value)} is ${alert.rule.startsWith('max_') ? 'above' : 'below'} ${shown(alert.threshold)}`;
  return { version: QUALITY_ALERT_VERSION, type: 'quality.alert', dataset: summary.dataset, file: summary.file, run, ...alert, at: at.toISOString(), message };
}
