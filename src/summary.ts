import type { TimeseriesSummary } from './timeseries/timeseries-finish.js';
import type { SchemaChange } from './datasets/schema-versions.js';
import type { RejectReason } from './formats/csv/parse-chunk.js';

/** One loaded (or skipped, or failed) file, as the CLI prints it, the API returns it and events carry it. */
export interface FileSummary {
  file: string;
  sha256: string | null;
  status: 'loaded' | 'skipped' | 'failed';
  dataset: string | null;
  /** Schema-qualified, as it would be written in SQL (`staging.sales`). */
  table: string | null;
  format: 'csv' | 'json' | 'ndjson' | 'xlsx' | null;
  /** The workbook sheet this summary is about (one summary per sheet); null for other formats. */
  sheet: string | null;
  /** `gzip` when the input was compressed (`format` is then the format inside). */
  compression: 'gzip' | null;
  encoding: string | null;
  delimiter: string | null;
  /** The quote character, null when the file quotes nothing. */
  quote: string | null;
  /** CSV: the escape character inside fields (`\\`), null when quotes are doubled (RFC 4180). */
  escape?: string | null;
  /** CSV: the character that starts a comment line (`#`), null when there are none. */
  comment?: string | null;
  line_ending: 'LF' | 'CRLF' | 'CR' | null;
  header: boolean | null;
  /** CSV: non-blank lines before the header (a title, notes, comment lines), not loaded; rejects (PREAMBLE) only with keepPreamble. */
  preamble_lines?: number;
  rows: number;
  rejected: number;
  /** Columns widened during the load because a value did not fit the sniffed type (CSV), else empty. */
  widened?: SummaryWidening[];
  columns: SummaryColumn[];
  /** Confidence (0..1) of each sniffing decision. */
  confidence: Record<string, number> | null;
  /** JSON: occurrences of keys outside the columns once the load had stopped adding columns for them: their values were not loaded (this run's chunks). */
  ignored_keys?: number;
  /** JSON: the records were the array at this path inside an envelope object (`data`, `results.items`). */
  json_path?: string;
  /** The first few rejected rows: where and why. */
  reject_samples: { line: number | null; byte_offset: number; reason: RejectReason | string; detail: string }[];
  chunks: { total: number; loaded: number; skipped: number } | null;
  /** Data-quality dimensions, each 0..1 or null when nothing assessed it, and their weighted score (README, "Data quality"); null when the profile did not run. */
  quality: QualitySummary | null;
  /** Value anomalies found, per column checked (ingest.anomalies holds the rows); null when detection did not run. */
  anomalies: Record<string, number> | null;
  /** This load's metrics against the dataset's earlier loads (README, "Quality history and metric anomalies"); null when history is off. */
  history?: HistorySummary | null;
  /** The configured alert thresholds this load crossed (README, "Alerts"); [] when none. */
  alerts?: SummaryAlert[];
  /** Per validation rule, in the configuration's order: how many rows (or, for a per-load rule, loads) failed it. */
  validation?: SummaryValidation[];
  /** The dataset's schema version this load recorded (ingest.schema_versions) and what changed from the version before it. */
  schema_version?: number;
  schema_changes?: SchemaChange[];
  /** Time-series findings (filled by the time-series stage). */
  /** The time-series pass (src/timeseries/timeseries-finish.ts); null when the dataset has no time column or the pass is off. */
  timeseries: TimeseriesSummary | null;
  duration_ms: number;
  error: { code: string; message: string } | null;
}

export interface QualitySummary {
  completeness: number | null;
  uniqueness: number | null;
  validity: number | null;
  consistency: number | null;
  timeliness: number | null;
  accuracy: number | null;
  /** Weighted mean of the assessed dimensions (weights: configuration quality.weights); null when none was assessed. */
  score: number | null;
}

export interface HistorySummary {
  /** `not enough history` while fewer than `min_loads` earlier loads are recorded: nothing was compared (never read as "ok"). */
  status: 'checked' | 'not enough history';
  /** Earlier loads of the dataset in the history (at most history.max_loads). */
  loads: number;
  min_loads: number;
  /** Metrics compared (a metric needs min_loads non-anomalous points of its own). */
  checked: number;
  /** Departures raised, one per cause; those they explain are in `explains`. */
  anomalies: MetricAnomaly[];
}

export interface MetricAnomaly {
  /** row_count, reject_rate, null_rate, distinct, mean, a quality dimension or score. */
  metric: string;
  /** The column of a column metric, else null. */
  column: string | null;
  value: number;
  /** The method that departed most: online_normal, weekday_robust_z or rate_of_change. */
  method: 'online_normal' | 'rate_of_change' | 'weekday_robust_z';
  /** z for online_normal and weekday_robust_z, value / previous for rate_of_change. */
  score: number;
  /** That method's baseline: centre (mean, median or the previous value) and bounds. */
  expected: { center: number; lower: number; upper: number };
  /** Every method that departed. */
  methods: string[];
  /** Departures of this load this one explains (folded into it, not raised). */
  explains: Array<{ metric: string; column: string | null; value: number }>;
}

/** One alert threshold crossed by a load; the quality.alert event wraps it (README, "Alerts"). */
export interface SummaryAlert {
  /** min_score, min_<dimension>, max_reject_rate or metric_anomaly. */
  rule: string;
  /** The metric the value is of (score, a dimension, reject_rate, or the anomalous metric). */
  metric: string;
  column: string | null;
  value: number;
  /** The configured threshold; for metric_anomaly, the bound the value fell outside. */
  threshold: number;
  severity: 'warning' | 'critical';
}

export interface SummaryColumn {
  name: string;
  source: string;
  /** PostgreSQL type name. */
  type: string;
  confidence: number;
  /** How the values were written when Sluice rewrote them (`DD/MM/YYYY`, `1.234,5`, `epoch seconds`, null tokens), else null. */
  format: string | null;
  /** Day/month order could not be told from the sample; the configured order (month first by default) was used. */
  ambiguous?: boolean;
}

/** One validation rule's outcome: error rows were rejected as RULE:<rule>, warn rows loaded and counted. */
export interface SummaryValidation {
  rule: string;
  /** The column it checks; null for a check expression or a row-count rule. */
  column: string | null;
  severity: 'error' | 'warn';
  failed: number;
}

/** A column the load widened: from the type it had to the type it has now, first needed at `line`. */
export interface SummaryWidening {
  column: string;
  /** PostgreSQL type names. */
  from: string;
  to: string;
  /** 1-based line and byte offset of the first value found that needed it. */
  line: number;
  byte_offset: number;
}

export function emptySummary(file: string): FileSummary {
  return {
    file, sha256: null, status: 'failed', dataset: null, table: null, format: null, sheet: null, compression: null, encoding: null, delimiter: null,
    quote: null, line_ending: null, header: null, rows: 0, rejected: 0, columns: [], confidence: null, reject_samples: [],
    chunks: null, quality: null, anomalies: null, timeseries: null, duration_ms: 0, error: null,
  };
}
