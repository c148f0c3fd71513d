import { createRequire } from 'node:module';
import type { DetectOptions, NumericBaseline, CategoryBaseline } from './detect-options.js';
import type { ColumnBatch, ColumnVector } from '../../batch/column-batch.js';
import { ColumnType, type ColumnTypeCode } from '../../schema/column-type.js';
import { anomalyRow } from '../anomaly-row.js';
import { registerStage } from '../chunk-stages.js';
import type { Stage, StageColumn, StageContext, StageLoad, StageSpec } from '../stage.js';
import { detectOptionsFromSample } from './detect-baseline.js';

export type { DetectOptions, NumericBaseline, CategoryBaseline } from './detect-options.js';

const require = createRequire(import.meta.url);

/**
 * The detect stage: value anomalies, each written as an ingest.anomalies row (kind `value`) into
 * the chunk's anomaly sink, so it commits with the chunk's rows. The baselines come in the options
 * (detect-baseline.ts builds them from the sniffed sample on the main thread): every chunk, re-run
 * or resumed, compares with the same numbers.
 *
 * - Numeric columns: the robust z-score |x − median| / scale (scale ≈ σ: 1.4826 · MAD, floored);
 *   above `threshold` the value is anomalous, method `robust_z`, score the z-score. With `iqr` = k,
 *   a value beyond Q1 − k · IQR or Q3 + k · IQR is also anomalous (method `iqr`, score the distance
 *   from the nearer quartile in IQRs) — a value beyond both is one row, `robust_z`. NaN is not
 *   checked; ±Infinity is anomalous (score Infinity).
 *   False positives on Gaussian data: a value is flagged when |Z| > threshold, P = 2 · (1 − Φ(t)):
 *   0.047 % at the default 3.5 (4.7 per 10,000 values), 0.27 % at 3, 2e-7 % at 6 (when the sample
 *   estimates σ well, as a few thousand values do). IQR fences add P(|Z| > 0.674 + 1.349 k): 0.70 %
 *   at Tukey's k = 1.5, 0.00023 % at k = 3.
 * - Low-cardinality text columns: a value whose share of the sample is below its `rareShare`, or
 *   that the sample never held, is a rare category (method `rare_category`, score its share of the
 *   sample, 0 when unseen). Matched on bytes: no string per value.
 * Rows a stage before this one rejected, and nulls, are not checked. The report counts values
 * checked and anomalies per column (accuracy = 1 − anomalies / checked).
 */



export interface DetectColumnCounts {
  /** Values compared with the column's baseline. */
  checked: number;
  anomalies: number;
}

/** Per column name. */
export type DetectReport = Record<string, DetectColumnCounts>;

/** A category's bytes, for matching spans without decoding them. */
interface KnownValue {
  bytes: Uint8Array;
  share: number;
}

function sameBytes(bytes: Uint8Array, start: number, known: Uint8Array): boolean {
  for (let i = 0; i < known.length; i++) if (bytes[start + i] !== known[i]) return false;
  return true;
}

class DetectStage implements Stage<DetectReport> {
  readonly name = 'detect' as const;
  private counts: DetectReport = {};
  private readonly byLength: Map<string, Map<number, KnownValue[]>>;

  constructor(private readonly options: DetectOptions) {
    const encoder = new TextEncoder();
    this.byLength = new Map(options.categories.map((baseline) => {
      const lengths = new Map<number, KnownValue[]>();
      baseline.values.forEach((value, i) => {
        const bytes = encoder.encode(value);
        const list = lengths.get(bytes.length) ?? [];
        list.push({ bytes, share: baseline.shares[i] });
        lengths.set(bytes.length, list);
      });
      return [baseline.column, lengths];
    }));
  }

  process(batch: ColumnBatch, context: StageContext): void {
    for (const baseline of this.options.numeric) {
      const column = columnNamed(batch, baseline.column);
      // A column widened to text mid-file has no numbers to compare.
      if (column !== undefined && isNumeric(column.type)) this.checkNumbers(batch, column, baseline, context);
    }
    for (const baseline of this.options.categories) {
      const column = columnNamed(batch, baseline.column);
      if (column !== undefined) this.checkCategories(batch, column, baseline, context);
    }
  }

  private countsOf(column: string): DetectColumnCounts {
    return (this.counts[column] ??= { checked: 0, anomalies: 0 });
  }

  private checkNumbers(batch: ColumnBatch, column: ColumnVector, baseline: NumericBaseline, context: StageContext): void {
    const { nulls, numbers } = column;
    const { rejected, rowCount } = batch;
    const { median, scale, q1, q3, iqrWidth } = baseline;
    const threshold = this.options.threshold;
    const k = this.options.iqr;
    const low = k === undefined ? -Infinity : q1 - k * iqrWidth;
    const high = k === undefined ? Infinity : q3 + k * iqrWidth;
    // A zero scale (a sample of one value 0 in a float column): any other value is infinitely far.
    const inverse = scale > 0 ? 1 / scale : Infinity;
    let checked = 0;
    let anomalies = 0;
    for (let r = 0; r < rowCount; r++) {
      if (nulls[r] === 1 || rejected[r] === 1) continue;
      const x = numbers[r];
      if (x !== x) continue;
      checked++;
      const distance = Math.abs(x - median);
      const z = distance === 0 ? 0 : distance * inverse;
      if (z > threshold) {
        anomalies++;
        this.write(batch, column, r, z, 'robust_z', { median, scale, threshold }, context);
      } else if (x < low || x > high) {
        anomalies++;
        const score = (x < low ? q1 - x : x - q3) / iqrWidth;
        this.write(batch, column, r, score, 'iqr', { q1, q3, iqr: iqrWidth, k }, context);
      }
    }
    const counts = this.countsOf(column.name);
    counts.checked += checked;
    counts.anomalies += anomalies;
  }

  private checkCategories(batch: ColumnBatch, column: ColumnVector, baseline: CategoryBaseline, context: StageContext): void {
    batch.writeNumberText(column);
    const { nulls, starts, ends } = column;
    const { rejected, rowCount, bytes } = batch;
    const lengths = this.byLength.get(baseline.column)!;
    let checked = 0;
    let anomalies = 0;
    for (let r = 0; r < rowCount; r++) {
      if (nulls[r] === 1 || rejected[r] === 1) continue;
      checked++;
      const start = starts[r];
      let share = 0;
      const candidates = lengths.get(ends[r] - start);
      if (candidates !== undefined) {
        for (let i = 0; i < candidates.length; i++) {
          if (sameBytes(bytes, start, candidates[i].bytes)) { share = candidates[i].share; break; }
        }
      }
      if (share < baseline.rareShare) {
        anomalies++;
        this.write(batch, column, r, share, 'rare_category', { share, rare_share: baseline.rareShare, sample: baseline.sample }, context);
      }
    }
    const counts = this.countsOf(column.name);
    counts.checked += checked;
    counts.anomalies += anomalies;
  }

  /** An anomaly row: rare next to values, so decoding its text here costs nothing that matters. */
  private write(batch: ColumnBatch, column: ColumnVector, row: number, score: number, method: string, detail: Record<string, unknown>, context: StageContext): void {
    context.anomalies.pushString(anomalyRow({
      kind: 'value', dataset: context.dataset, fileId: context.fileId, chunkNo: context.chunkNo, byteOffset: batch.rowOffset[row],
      column: column.name, value: batch.text(column, row), score, method, detail,
    }));
  }

  report(): DetectReport {
    const report = this.counts;
    this.counts = {};
    return report;
  }
}

function isNumeric(type: ColumnTypeCode): boolean {
  return type === ColumnType.int || type === ColumnType.bigint || type === ColumnType.float;
}

function columnNamed(batch: ColumnBatch, name: string): ColumnVector | undefined {
  for (const column of batch.columns) if (column.name === name && !column.dropped) return column;
  return undefined;
}

export function mergeDetectReports(a: DetectReport, b: DetectReport): DetectReport {
  const merged: DetectReport = {};
  for (const [name, counts] of Object.entries(a)) merged[name] = { checked: counts.checked, anomalies: counts.anomalies };
  for (const [name, counts] of Object.entries(b)) {
    const into = (merged[name] ??= { checked: 0, anomalies: 0 });
    into.checked += counts.checked;
    into.anomalies += counts.anomalies;
  }
  return merged;
}

export const detectStage: StageSpec<DetectOptions, DetectReport> = {
  name: 'detect',
  description: 'value anomalies: robust z-scores (median / MAD from the sample, with a scale floor), optional IQR fences, rare categories',
  // Loaded on first use (the plan, on the main thread): see detect-options.ts.
  get options() { return (require('./detect-options.js') as typeof import('./detect-options.js')).detectOptions; },
  create: (options: DetectOptions, _columns: readonly StageColumn[]) => new DetectStage(options),
  // No baseline (no sample, or no numeric or categorical column): nothing to check, so not run.
  planFor(load: StageLoad): DetectOptions | undefined {
    const options = detectOptionsFromSample(load.columns, load.sampleValues ?? [], load.datasetConfig?.anomalies, load.datasetConfig);
    return options === undefined || (options.numeric.length === 0 && options.categories.length === 0) ? undefined : options;
  },
  merge: mergeDetectReports,
};

registerStage(detectStage);
