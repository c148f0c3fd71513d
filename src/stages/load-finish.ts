import type pg from 'pg';
import type { Piscina } from 'piscina';
import type { DatasetConfig } from '../configuration/config-schema.js';
import type { ColumnTypeCode } from '../schema/column-type.js';
import type { FileSummary } from '../summary.js';
import { type ChunkReports, stageSpec } from './chunk-stages.js';
import type { StageName } from './stage.js';

/**
 * After the last chunk: the stages' chunk reports, folded in chunk order, meet the database. Each
 * stage that needs to finish its work over the whole load (uniqueness against the table, per-load
 * rules, storing the profile, quality scores, anomaly rows) exports a LoadFinisher; they run in
 * completeFile's transaction (before the file's totals are counted, so rows they reject are
 * counted), in the order registered, and each returns its part of the summary.
 */

export interface FinishedLoad {
  /** In the completing transaction. */
  client: pg.ClientBase;
  fileId: number;
  dataset: string;
  /** Schema-qualified, quoted as SQL needs it (`staging.sales`). */
  table: string;
  /** The table's columns as loaded (after transforms), provenance columns excluded. */
  columns: ReadonlyArray<{ name: string; type: ColumnTypeCode }>;
  /** Per column of this file (by table name): the header text or JSON key it was read from; absent for derived columns. */
  sources: ReadonlyMap<string, string>;
  /** Every chunk's reports folded in chunk order, per stage (absent: the stage did not run). */
  reports: ChunkReports;
  /** Rows loaded and rejected so far (ingest.chunks), before the finishers. */
  rows: number;
  rejected: number;
  datasetConfig: DatasetConfig | undefined;
  /** Summary parts of the finishers that ran before this one. */
  summary: Partial<FileSummary>;
  /** The engine's worker pool, for a finisher whose work is heavy (the time-series pass). */
  piscina?: Piscina;
  /** `--timeseries` (true) / `--no-timeseries` (false); undefined: the dataset's configuration decides. */
  timeseries?: boolean;
}

export interface FinisherResult {
  summary: Partial<FileSummary>;
  /** Loaded rows this finisher moved from the table to ingest.rejects (a duplicate under a unique rule). */
  rejected?: number;
}

export interface LoadFinisher {
  readonly name: string;
  finish(load: FinishedLoad): Promise<FinisherResult>;
}

const FINISHERS: LoadFinisher[] = [];

export function registerFinisher(finisher: LoadFinisher): void {
  FINISHERS.push(finisher);
}

export function loadFinishers(): readonly LoadFinisher[] {
  return FINISHERS;
}

/**
 * Runs every finisher in order in the completing transaction; each sees the rows and summary
 * parts of those before it. Returns the summary parts and the rows moved to the rejects. `phase`
 * is told as each step ends (the load's SLUICE_DEBUG timings).
 */
export async function runLoadFinishers(load: Omit<FinishedLoad, 'reports' | 'summary'>, phase: (name: string) => void = () => undefined): Promise<{ summary: Partial<FileSummary>; rejected: number }> {
  const reports = await readFoldedReports(load.client, load.fileId);
  phase('chunk reports folded');
  let summary: Partial<FileSummary> = {};
  let rows = load.rows;
  let rejected = 0;
  for (const finisher of FINISHERS) {
    const result = await finisher.finish({ ...load, reports, rows, rejected: load.rejected + rejected, summary });
    phase(`${finisher.name} finished`);
    summary = { ...summary, ...result.summary };
    rows -= result.rejected ?? 0;
    rejected += result.rejected ?? 0;
  }
  return { summary, rejected };
}

/** Folds the chunk reports of a file as ingest.chunks holds them, in chunk order. */
export function foldReports(chunks: ReadonlyArray<ChunkReports | null>): ChunkReports {
  const folded: ChunkReports = {};
  for (const reports of chunks) {
    if (reports === null) continue;
    for (const [name, report] of Object.entries(reports) as Array<[StageName, unknown]>) {
      const spec = stageSpec(name);
      if (spec === undefined) continue;
      folded[name] = folded[name] === undefined ? report : spec.merge(folded[name], report);
    }
  }
  return folded;
}

export async function readFoldedReports(client: pg.ClientBase, fileId: number): Promise<ChunkReports> {
  const result = await client.query<{ reports: ChunkReports | null }>('SELECT reports FROM ingest.chunks WHERE file_id = $1 ORDER BY chunk_no', [fileId]);
  return foldReports(result.rows.map((r) => r.reports));
}
