import { createRequire } from 'node:module';
import type { ZoneOptions } from './zone-options.js';
import type { ColumnBatch } from '../../batch/column-batch.js';
import { ColumnType } from '../../schema/column-type.js';
import { writtenWithOffset } from '../../schema/value-checks.js';
import { registerStage } from '../chunk-stages.js';
import type { Stage, StageColumn, StageLoad, StageSpec } from '../stage.js';

export type { ZoneOptions } from './zone-options.js';

const require = createRequire(import.meta.url);

/**
 * `timeseries.zone` reads the time values written without an offset as wall-clock times in that
 * zone; a value written with one is the instant it says. Staging holds both as timestamptz (a
 * naive value read as UTC), so the second pass cannot tell them apart: this stage, run only for a
 * dataset with a zone, records which were which, per time column, in the chunk's report.
 *
 * Why a report and not a hidden staging column: the report is committed with the chunk's rows in
 * its ledger row (ingest.chunks), so it is exactly once across a crash and a resume like the rows
 * themselves, and it needs no column users would see in staging (nor one added to a table they
 * made), no change to the COPY encoders and nothing at all for a dataset without a zone. The
 * counts decide the usual files — every value naive (all are moved) or every value with an offset
 * (none is) — and for a column that mixes both, `runs` holds the `_offset` ranges of consecutive
 * rows written with an offset (a NULL or a rejected row in between does not end a range: it is in
 * no series), so a file whose offsets come in stretches costs a few numbers per stretch.
 *
 * Values are read from their text after the transforms (a derived time is written with `Z`; an
 * epoch number is normalised to UTC with `Z`); a `date` value is a day, naive by its type.
 */

export interface ColumnOffsets {
  /** Values written without an offset (a date column's every value). */
  naive: number;
  /** Values written with an offset. */
  offset: number;
  /** [first, last] `_offset` of each run of rows written with an offset, in file order, flat. */
  runs: number[];
}

/** Per time column, by name. */
export type ZoneReport = Record<string, ColumnOffsets>;

class ZoneStage implements Stage<ZoneReport> {
  readonly name = 'zone' as const;
  private found: ZoneReport = {};

  constructor(private readonly options: ZoneOptions) {}

  process(batch: ColumnBatch): void {
    for (const column of batch.columns) {
      if (column.dropped || (column.type !== ColumnType.timestamptz && column.type !== ColumnType.date)) continue;
      if (this.options.time !== undefined && column.name !== this.options.time) continue;
      const counts = (this.found[column.name] ??= { naive: 0, offset: 0, runs: [] });
      const { nulls, starts, ends } = column;
      const { rejected, rowOffset, bytes } = batch;
      const date = column.type === ColumnType.date;
      const runs = counts.runs;
      let inRun = false;
      for (let r = 0; r < batch.rowCount; r++) {
        if (rejected[r] === 1 || nulls[r] === 1) continue;
        if (date || !writtenWithOffset(bytes, starts[r], ends[r])) { counts.naive++; inRun = false; continue; }
        counts.offset++;
        if (inRun) runs[runs.length - 1] = rowOffset[r];
        else { runs.push(rowOffset[r], rowOffset[r]); inRun = true; }
      }
    }
  }

  report(): ZoneReport {
    const report = this.found;
    this.found = {};
    return report;
  }
}

/** Folds two chunks' reports (a before b): counts add up, runs stay in file order. */
export function mergeZoneReports(a: ZoneReport, b: ZoneReport): ZoneReport {
  const merged: ZoneReport = {};
  for (const [name, counts] of Object.entries(a)) merged[name] = { naive: counts.naive, offset: counts.offset, runs: [...counts.runs] };
  for (const [name, counts] of Object.entries(b)) {
    const into = (merged[name] ??= { naive: 0, offset: 0, runs: [] });
    into.naive += counts.naive;
    into.offset += counts.offset;
    for (const at of counts.runs) into.runs.push(at);
  }
  return merged;
}

export const zoneStage: StageSpec<ZoneOptions, ZoneReport> = {
  name: 'zone',
  description: 'for timeseries.zone: which time values were written with an offset (per chunk: counts, and the rows where a column mixes both)',
  // Loaded on first use (the plan, on the main thread): see zone-options.ts.
  get options() { return (require('./zone-options.js') as typeof import('./zone-options.js')).zoneOptions; },
  create: (options, _columns: readonly StageColumn[]) => new ZoneStage(options),
  // Without a zone every naive value is read as UTC, as PostgreSQL reads it: nothing to record.
  planFor(load: StageLoad): ZoneOptions | undefined {
    const series = load.datasetConfig?.timeseries;
    // No pass, nothing to record for it: `--no-timeseries`, or `enabled: false` without `--timeseries`.
    if (series?.zone === undefined || load.timeseries === false || (series.enabled === false && load.timeseries !== true)) return undefined;
    return series.time === undefined ? {} : { time: series.time };
  },
  merge: mergeZoneReports,
};

registerStage(zoneStage);
