import { createRequire } from 'node:module';
import type { ProfileOptions } from './profile-options.js';
import type { ColumnBatch, ColumnVector } from '../../batch/column-batch.js';
import { ColumnSketch, emptyColumnState, mergeColumnStates, type ColumnSketchState } from '../../profile/column-sketch.js';
import { ColumnType, type ColumnTypeCode } from '../../schema/column-type.js';
import { registerStage } from '../chunk-stages.js';
import type { Stage, StageColumn, StageLoad, StageSpec } from '../stage.js';
import { profileOptionsFromSample } from './profile-origins.js';

export type { ProfileOptions } from './profile-options.js';

const require = createRequire(import.meta.url);

/**
 * The profile stage: per column (dropped columns excepted) and chunk, a ColumnSketch fed straight
 * from the batch — no object per value — whose state is the chunk's report; the main thread merges
 * the reports column by column (mergeColumnStates: exact for counts, min/max, sum, distinct, top
 * values and quantile buckets, so chunk order and re-runs do not change the profile).
 *
 * What a sketch is fed, by column type:
 * - int, bigint, float: the number (`numbers`); bool: 1 for true, 0 for false (so mean = share true).
 * - date: days since 1970-01-01, timestamptz: milliseconds since 1970-01-01 UTC with the
 *   microseconds as a fraction — each minus the column's `origin`. DDSketch's error is relative to
 *   the value's distance from zero; 1 % of "days since 1970" is about 200 days, useless, while 1 %
 *   of the distance from an origin inside the data (the sample's median, from profileOptionsFromSample)
 *   is 1 % of the data's own spread. Mean, variance, min and max are exact either way; the figures
 *   are shifted back, and shown as dates and times, when the profile is finished (column-profile.ts).
 * - text, json, numeric: the value's text span (addText: length, pattern class, distinct, top values).
 *   numeric (exact decimals) is profiled as text: a double would round the values it exists to keep.
 * Nulls count as nulls; rows a stage before this one rejected are skipped (they are not loaded).
 */



export interface ProfiledColumn {
  type: ColumnTypeCode;
  /** What was subtracted from every value before sketching (see the options). */
  origin: number;
  state: ColumnSketchState;
}

/** Per column name, in the batch's column order. */
export type ProfileReport = Record<string, ProfiledColumn>;

/** How a column's values reach its sketch. */
const FEED_NUMBER = 0;
const FEED_TIMESTAMP = 1;
const FEED_TEXT = 2;

function feedOf(type: ColumnTypeCode): number {
  if (type === ColumnType.timestamptz) return FEED_TIMESTAMP;
  if (type === ColumnType.bool || type === ColumnType.int || type === ColumnType.bigint || type === ColumnType.float || type === ColumnType.date) return FEED_NUMBER;
  return FEED_TEXT;
}

class ProfileStage implements Stage<ProfileReport> {
  readonly name = 'profile' as const;
  private sketches = new Map<string, ColumnSketch>();
  private types = new Map<string, ColumnTypeCode>();
  /** Sketches of earlier chunks, emptied, to be reused by the next ones. */
  private spare = new Map<string, ColumnSketch>();
  private readonly wanted: Set<string> | null;

  constructor(private readonly options: ProfileOptions) {
    this.wanted = options.columns === undefined ? null : new Set(options.columns);
  }

  process(batch: ColumnBatch, _context: unknown): void {
    for (const column of batch.columns) {
      if (column.dropped || (this.wanted !== null && !this.wanted.has(column.name))) continue;
      let sketch = this.sketches.get(column.name);
      if (sketch === undefined) {
        sketch = this.spare.get(column.name) ?? new ColumnSketch();
        this.spare.delete(column.name);
        this.sketches.set(column.name, sketch);
        this.types.set(column.name, column.type);
      }
      profileColumn(batch, column, sketch, this.options.origins[column.name] ?? 0);
    }
  }

  report(): ProfileReport {
    const report: ProfileReport = {};
    for (const [name, sketch] of this.sketches) {
      report[name] = { type: this.types.get(name)!, origin: this.options.origins[name] ?? 0, state: sketch.toState() };
      sketch.reset();
      this.spare.set(name, sketch);
    }
    this.sketches.clear();
    this.types.clear();
    return report;
  }
}

/** One column of one batch into its sketch, a column at a time (the sketch loops over the typed arrays). */
function profileColumn(batch: ColumnBatch, column: ColumnVector, sketch: ColumnSketch, origin: number): void {
  const rejected = batch.rejectedCount > 0 ? batch.rejected : null;
  switch (feedOf(column.type)) {
    case FEED_NUMBER:
      sketch.addNumberColumn(column.numbers, null, column.nulls, rejected, batch.rowCount, origin);
      return;
    case FEED_TIMESTAMP:
      sketch.addNumberColumn(column.numbers, column.micros, column.nulls, rejected, batch.rowCount, origin);
      return;
    default:
      batch.writeNumberText(column);
      sketch.addTextColumn(batch.bytes, column.starts, column.ends, column.nulls, rejected, batch.rowCount);
  }
}

/** The rows a report covers: each of its columns saw every one (see mergeProfileReports). */
function rowsOf(report: ProfileReport): number {
  for (const column of Object.values(report)) return column.state.rows;
  return 0;
}

/** `column` as if the rows of a report without it had been sketched too: NULL in each (the table holds NULL there). */
function padded(column: ProfileReport[string], rows: number): ProfileReport[string] {
  if (rows === 0) return column;
  return { ...column, state: mergeColumnStates({ ...emptyColumnState(), rows, nulls: rows }, column.state) };
}

/**
 * Column by column. A column one side lacks (a JSON key first seen mid-file, added to the columns
 * of the chunks after it) counts that side's rows as NULLs, so the merge does not depend on which
 * chunks were encoded before the column was added.
 */
export function mergeProfileReports(a: ProfileReport, b: ProfileReport): ProfileReport {
  const merged: ProfileReport = {};
  const rowsA = rowsOf(a);
  const rowsB = rowsOf(b);
  for (const [name, left] of Object.entries(a)) {
    const right = b[name];
    if (right === undefined) { merged[name] = padded(left, rowsB); continue; }
    if (right.origin !== left.origin) throw new Error(`profile of ${name}: chunks sketched with different origins (${left.origin}, ${right.origin})`);
    merged[name] = { type: right.type, origin: left.origin, state: mergeColumnStates(left.state, right.state) };
  }
  for (const [name, right] of Object.entries(b)) if (a[name] === undefined) merged[name] = padded(right, rowsA);
  return merged;
}

export const profileStage: StageSpec<ProfileOptions, ProfileReport> = {
  name: 'profile',
  description: 'per column, mergeable sketches (counts, nulls, min/max, exact sum, mean and variance, distinct, quantiles, top values, text patterns)',
  // Loaded on first use (the plan, on the main thread): see profile-options.ts.
  get options() { return (require('./profile-options.js') as typeof import('./profile-options.js')).profileOptions; },
  create: (options: ProfileOptions, _columns: readonly StageColumn[]) => new ProfileStage(options),
  planFor: (load: StageLoad) => (load.datasetConfig?.profile?.enabled === false ? undefined : profileOptionsFromSample(load.columns, load.sampleValues ?? [])),
  merge: mergeProfileReports,
};

registerStage(profileStage);
