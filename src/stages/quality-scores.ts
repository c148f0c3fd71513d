import type { DatasetConfig, RuleConfig } from '../configuration/config-schema.js';
import { profileOf } from '../profile/sketch-profile.js';
import { PATTERN_CLASSES, type PatternClass } from '../profile/text-patterns.js';
import { ColumnType } from '../schema/column-type.js';
import type { QualitySummary } from '../summary.js';
import type { DetectReport } from './detect/detect-stage.js';
import { newestTime } from './profile/column-profile.js';
import type { ProfileReport } from './profile/profile-stage.js';

/**
 * The six quality dimensions of one load, each 0..1 or null when nothing assessed it (a dimension
 * nobody measured is "not assessed", never 1), from what the load knows. README.md, "Data
 * quality", states the same formulas for users; `detail` records every count each one used.
 *
 * rows seen = rows loaded + rows rejected, PREAMBLE rejects (lines before the table) excepted.
 *
 * - completeness = non-null cells / cells, over the profiled columns of the loaded rows.
 * - validity = (rows seen − rejected rows − warn failures of row rules) / rows seen. Rejected rows
 *   are every reason (CAST, TOO_FEW_FIELDS, RULE:…, …); warn failures are those of rules about a
 *   row (range, regex, in, not_null, unique, length, check; a row failing two counts twice), not
 *   of freshness and rows rules, which are about the load.
 * - uniqueness: with unique rules, 1 − Σ failures / (rows seen × unique rules); without, the
 *   key-like columns (int, bigint or text with ≥ 10 values whose distinct count is ≥ 97 % of their
 *   values): the lowest distinct / values among them (distinct is exact up to 1,024 values, then a
 *   ±0.81 % estimate, so a unique key past that may read 0.99x); null with neither.
 * - consistency = (values in their column's shape + rows passing each check rule) / (values of
 *   shaped columns + rows seen × check rules). A text column is shaped when its most common
 *   pattern class of non-empty values is uuid, date, url, email or digits; its values in that
 *   class count as in shape. Free text (letters, alphanumeric, other) is not assessed.
 * - timeliness: per freshness rule (column, max age A), with age = load time − the column's
 *   newest value: 1 when age ≤ A, else A / age (twice too old: 0.5); the mean over the rules.
 * - accuracy = 1 − anomalous values / values checked (the detect stage's counts).
 * - score = Σ wᵢ · dᵢ / Σ wᵢ over the assessed dimensions (weights quality.weights, default 1).
 */

export const DIMENSIONS = ['completeness', 'uniqueness', 'validity', 'consistency', 'timeliness', 'accuracy'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** One rule's outcome as the validation finisher reports it (summary `validation`). */
export interface RuleOutcome {
  rule: string;
  column?: string | null;
  severity: 'error' | 'warn';
  failed: number;
  kind?: string;
}

export interface QualityInputs {
  profile: ProfileReport | undefined;
  detect: DetectReport | undefined;
  /** Rows loaded and rejected (after every finisher before this one). */
  rows: number;
  rejected: number;
  /** ingest.rejects of the load, counted by reason. */
  rejectsByReason: Record<string, number>;
  validation: readonly RuleOutcome[] | undefined;
  datasetConfig: DatasetConfig | undefined;
  /** The load's time, ms since 1970. */
  now: number;
}

export interface QualityResult {
  quality: QualitySummary;
  detail: Record<Dimension, Record<string, unknown> | null>;
}

const ROW_RULES = new Set(['range', 'regex', 'in', 'not_null', 'unique', 'length', 'check']);
const SHAPES: ReadonlySet<PatternClass> = new Set(['uuid', 'date', 'url', 'email', 'digits']);
export const KEY_LIKE_MIN_VALUES = 10;
export const KEY_LIKE_DISTINCT_SHARE = 0.97;

function ratio(part: number, whole: number): number | null {
  return whole > 0 ? Math.min(1, Math.max(0, part / whole)) : null;
}

/** The rule's kind: from the outcome if it says, else from the configuration by name. */
function kindOf(outcome: RuleOutcome, rules: readonly RuleConfig[]): string | undefined {
  return outcome.kind ?? rules.find((r) => r.name === outcome.rule)?.kind;
}

export function qualityOf(inputs: QualityInputs): QualityResult {
  const rules = inputs.datasetConfig?.rules ?? [];
  const validation = inputs.validation ?? [];
  const preamble = inputs.rejectsByReason.PREAMBLE ?? 0;
  const rowsSeen = inputs.rows + inputs.rejected - preamble;
  const rejectedRows = inputs.rejected - preamble;
  const detail = {} as QualityResult['detail'];
  const profiled = Object.entries(inputs.profile ?? {});

  let cells = 0;
  let present = 0;
  for (const [, column] of profiled) {
    cells += column.state.rows;
    present += column.state.rows - column.state.nulls;
  }
  const completeness = ratio(present, cells);
  detail.completeness = completeness === null ? null : { non_null_cells: present, cells, columns: profiled.length };

  const warnRowFailures = validation.filter((o) => o.severity === 'warn' && ROW_RULES.has(kindOf(o, rules) ?? '')).reduce((s, o) => s + o.failed, 0);
  const validity = ratio(rowsSeen - rejectedRows - warnRowFailures, rowsSeen);
  detail.validity = validity === null ? null : { rows_seen: rowsSeen, rejected_rows: rejectedRows, warn_failures: warnRowFailures, rejects_by_reason: inputs.rejectsByReason };

  const uniqueRules = validation.filter((o) => kindOf(o, rules) === 'unique');
  let uniqueness: number | null = null;
  if (uniqueRules.length > 0) {
    const failed = uniqueRules.reduce((s, o) => s + o.failed, 0);
    uniqueness = ratio(rowsSeen * uniqueRules.length - failed, rowsSeen * uniqueRules.length);
    detail.uniqueness = uniqueness === null ? null : { rules: uniqueRules.map((o) => o.rule), duplicates: failed, rows_seen: rowsSeen };
  } else {
    const keys: Array<{ column: string; distinct: number; values: number }> = [];
    for (const [name, column] of profiled) {
      if (column.type !== ColumnType.int && column.type !== ColumnType.bigint && column.type !== ColumnType.text) continue;
      const values = column.state.rows - column.state.nulls - column.state.invalid;
      if (values < KEY_LIKE_MIN_VALUES) continue;
      const distinct = profileOf(column.state).distinct;
      if (distinct >= KEY_LIKE_DISTINCT_SHARE * values) keys.push({ column: name, distinct, values });
    }
    if (keys.length > 0) uniqueness = Math.min(...keys.map((k) => Math.min(1, k.distinct / k.values)));
    detail.uniqueness = uniqueness === null ? null : { key_like_columns: keys };
  }

  let inShape = 0;
  let shaped = 0;
  const shapedColumns: Array<{ column: string; shape: PatternClass; in_shape: number; values: number }> = [];
  for (const [name, column] of profiled) {
    if (column.type !== ColumnType.text) continue;
    const patterns = column.state.text.patterns;
    let best = -1;
    let values = 0;
    for (let i = 0; i < patterns.length; i++) {
      if (PATTERN_CLASSES[i] === 'empty') continue;
      values += patterns[i];
      if (best === -1 || patterns[i] > patterns[best]) best = i;
    }
    if (best === -1 || values === 0 || !SHAPES.has(PATTERN_CLASSES[best])) continue;
    inShape += patterns[best];
    shaped += values;
    shapedColumns.push({ column: name, shape: PATTERN_CLASSES[best], in_shape: patterns[best], values });
  }
  const checkRules = validation.filter((o) => kindOf(o, rules) === 'check');
  const checkFailures = checkRules.reduce((s, o) => s + o.failed, 0);
  const checkCells = Math.max(0, rowsSeen) * checkRules.length;
  const consistency = ratio(inShape + checkCells - checkFailures, shaped + checkCells);
  detail.consistency = consistency === null ? null : { shaped_columns: shapedColumns, check_rules: checkRules.map((o) => o.rule), check_failures: checkFailures, rows_seen: rowsSeen };

  const freshness: Array<{ rule: string; column: string; max_age_ms: number; age_ms: number; score: number }> = [];
  for (const rule of rules) {
    if (rule.kind !== 'freshness' || rule.column === undefined || rule.freshness === undefined) continue;
    const column = inputs.profile?.[rule.column];
    const newest = column === undefined ? null : newestTime(column);
    if (newest === null) continue;
    const age = Math.max(0, inputs.now - newest);
    freshness.push({ rule: rule.name, column: rule.column, max_age_ms: rule.freshness, age_ms: age, score: age <= rule.freshness ? 1 : rule.freshness / age });
  }
  const timeliness = freshness.length === 0 ? null : freshness.reduce((s, f) => s + f.score, 0) / freshness.length;
  detail.timeliness = timeliness === null ? null : { rules: freshness };

  let checked = 0;
  let anomalies = 0;
  for (const counts of Object.values(inputs.detect ?? {})) {
    checked += counts.checked;
    anomalies += counts.anomalies;
  }
  const accuracy = ratio(checked - anomalies, checked);
  detail.accuracy = accuracy === null ? null : { anomalous_values: anomalies, values_checked: checked };

  const dimensions: Record<Dimension, number | null> = { completeness, uniqueness, validity, consistency, timeliness, accuracy };
  return { quality: { ...dimensions, score: scoreOf(dimensions, inputs.datasetConfig?.quality?.weights) }, detail };
}

export function scoreOf(dimensions: Record<Dimension, number | null>, weights: Partial<Record<Dimension, number>> | undefined): number | null {
  let weighted = 0;
  let total = 0;
  for (const d of DIMENSIONS) {
    const value = dimensions[d];
    const weight = weights?.[d] ?? 1;
    if (value === null || weight === 0) continue;
    weighted += weight * value;
    total += weight;
  }
  return total > 0 ? weighted / total : null;
}
