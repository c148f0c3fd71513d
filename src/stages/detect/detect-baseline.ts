import type { DatasetConfig } from '../../configuration/config-schema.js';
import { ColumnType } from '../../schema/column-type.js';
import { MAD_TO_SIGMA, robustScaleFloor } from '../../profile/robust-scale.js';
import type { StageColumn } from '../stage.js';
import type { DetectOptions, NumericBaseline, CategoryBaseline } from './detect-stage.js';

/**
 * The detect stage's baselines, computed once on the main thread from the sniffed sample and
 * passed to every chunk in the stage options: a chunk re-run, or a load resumed after a crash,
 * compares its values with the very same numbers, so the anomaly rows do not depend on chunking.
 *
 * Numeric columns (int, bigint, float), with at least MIN_NUMERIC_SAMPLE finite sampled values:
 *   median, MAD (median of |x − median|), quartiles Q1 and Q3 of the sample, and
 *     scale = max(1.4826 · MAD, floor)
 *   with the floor of profile/robust-scale.ts (the smallest step between sampled values, the mean
 *   absolute deviation when the MAD is 0, 1 % of a single value), so a flat or stepped column does
 *   not flag every change.
 *   The IQR fences (config anomalies.iqr = k) use width max(Q3 − Q1, 1.349 · floor).
 *
 * Text columns with a low cardinality: at least MIN_CATEGORY_SAMPLE non-null sampled values and at
 * most MAX_CATEGORIES distinct ones. The baseline is each sampled value's share of the sample; in
 * the data, a value whose share is below RARE_SHARE, or that the sample never held, is a rare
 * category.
 *
 * The sample is the file's text, before transforms: a value Number() cannot read (`1.234,5`) is
 * left out of a numeric baseline, and a column a transform step or a unit conversion rewrites gets
 * no baseline (its sample is not what the stage will see); nor does a column a step renames
 * (the baseline is found by name).
 */

export const MIN_NUMERIC_SAMPLE = 30;
export const MIN_CATEGORY_SAMPLE = 100;
export const MAX_CATEGORIES = 20;
export const RARE_SHARE = 0.005;
/** Φ⁻¹(3/4) − Φ⁻¹(1/4): the IQR of a Gaussian in σ. */
export const IQR_SIGMAS = 1.349;

/** The value at quantile q of sorted values (linear interpolation between the closest ranks, as PostgreSQL's percentile_cont). */
function quantileOfSorted(sorted: Float64Array, q: number): number {
  const at = q * (sorted.length - 1);
  const low = Math.floor(at);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
}

export function numericBaseline(column: string, values: Float64Array, integer: boolean): NumericBaseline | null {
  if (values.length < MIN_NUMERIC_SAMPLE) return null;
  const sorted = Float64Array.from(values).sort();
  const median = quantileOfSorted(sorted, 0.5);
  const deviations = new Float64Array(sorted.length);
  let deviationSum = 0;
  for (let i = 0; i < sorted.length; i++) {
    deviations[i] = Math.abs(sorted[i] - median);
    deviationSum += deviations[i];
  }
  const mad = quantileOfSorted(deviations.sort(), 0.5);
  let step = Infinity;
  for (let i = 1; i < sorted.length; i++) {
    const gap = sorted[i] - sorted[i - 1];
    if (gap > 0 && gap < step) step = gap;
  }
  const floor = robustScaleFloor(step, mad, deviationSum / sorted.length, median, integer);
  const q1 = quantileOfSorted(sorted, 0.25);
  const q3 = quantileOfSorted(sorted, 0.75);
  return {
    column, sample: sorted.length, median, mad, floor,
    scale: Math.max(MAD_TO_SIGMA * mad, floor),
    q1, q3, iqrWidth: Math.max(q3 - q1, IQR_SIGMAS * floor),
  };
}

export function categoryBaseline(column: string, values: ReadonlyArray<string | null>): CategoryBaseline | null {
  const counts = new Map<string, number>();
  let n = 0;
  for (const value of values) {
    if (value === null) continue;
    n++;
    counts.set(value, (counts.get(value) ?? 0) + 1);
    if (counts.size > MAX_CATEGORIES) return null;
  }
  if (n < MIN_CATEGORY_SAMPLE) return null;
  const sorted = [...counts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { column, sample: n, values: sorted.map(([v]) => v), shares: sorted.map(([, c]) => c / n), rareShare: RARE_SHARE };
}

/** Columns whose values the transform stage changes (column steps, unit conversions) or renames. */
function rewrittenColumns(config: DatasetConfig | undefined): Set<string> {
  const names = new Set<string>();
  for (const step of config?.transforms ?? []) {
    for (const name of step.column ?? []) names.add(name);
    if (step.rename !== undefined) for (const from of Object.keys(step.rename)) names.add(from);
  }
  for (const [name, spec] of Object.entries(config?.columns ?? {})) if (spec.scale !== undefined || spec.offset !== undefined) names.add(name);
  return names;
}

/**
 * The detect options for a file: `columns` as the batch holds them on entry to the stage,
 * `samples[c]` the sampled values of columns[c] (null for NULL). Undefined when the dataset's
 * configuration turns anomalies off.
 */
export function detectOptionsFromSample(
  columns: readonly StageColumn[], samples: ReadonlyArray<ReadonlyArray<string | null>>, config?: DatasetConfig['anomalies'], datasetConfig?: DatasetConfig,
): DetectOptions | undefined {
  if (config?.enabled === false) return undefined;
  const only = config?.columns === undefined ? null : new Set(config.columns);
  const rewritten = rewrittenColumns(datasetConfig);
  const numeric: NumericBaseline[] = [];
  const categories: CategoryBaseline[] = [];
  columns.forEach((column, c) => {
    if ((only !== null && !only.has(column.name)) || rewritten.has(column.name)) return;
    const sampled = samples[c] ?? [];
    if (column.type === ColumnType.int || column.type === ColumnType.bigint || column.type === ColumnType.float) {
      const values: number[] = [];
      for (const text of sampled) {
        if (text === null) continue;
        const x = Number(text.trim());
        if (Number.isFinite(x) && text.trim() !== '') values.push(x);
      }
      const baseline = numericBaseline(column.name, Float64Array.from(values), column.type !== ColumnType.float);
      if (baseline !== null) numeric.push(baseline);
    } else if (column.type === ColumnType.text) {
      const baseline = categoryBaseline(column.name, sampled);
      if (baseline !== null) categories.push(baseline);
    }
  });
  return { threshold: config?.threshold ?? 3.5, ...(config?.iqr === undefined ? {} : { iqr: config.iqr }), numeric, categories };
}
