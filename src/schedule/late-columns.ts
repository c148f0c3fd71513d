import type { DatasetConfig } from '../configuration/config-schema.js';
import { frozenShape } from '../datasets/schema-policy.js';
import type { LateColumn, PreparedFile } from '../formats/prepared-file.js';
import { ColumnType } from '../schema/column-type.js';
import { joinTypes } from '../schema/type-widening.js';
import { ensureStagingTable, type StagingColumn, stagingTableWidens } from '../sink/staging-table.js';
import { type ColumnShape, columnShape } from './column-shape.js';
import type { ControlSession } from './control-session.js';
import { type CommittedChunk, committedChunks, recordLateColumns } from './ledger.js';
import type { PipelineResult } from './load-pipeline.js';

/**
 * Columns found during a load (JSON keys the sniffed sample did not show), added rather than lost:
 *
 *   pipeline ── a chunk reports keys outside its columns ──▶ not written; nothing dispatched after it
 *      ▲                                                      (chunks in flight without any still commit)
 *      │                                                                  │
 *      └── run again as a resume: the ledger's chunks are skipped ◀── the file gets the columns,
 *                                                                     the table ADD COLUMNs them
 *
 * Chunks committed before stay as they are (the new columns are NULL there: those records had no
 * such key), and a chunk that met a key is written only once it has the key's column, so exactly
 * once holds and no value is dropped. The ledger keeps the columns added
 * (ingest.files.late_columns), and an attempt that resumes the file starts with them. Restarts are
 * bounded: past MAX_LATE_RESTARTS the last run skips the keys it meets and counts them
 * (`ignored_keys`). Under a frozen schema the columns are added to the file but not to the table,
 * so a record holding one of them is a SCHEMA reject — as a CSV column the frozen table lacks.
 */

/** Runs of a file's pipeline that add columns, at most; the run after the last one counts keys instead. */
export const MAX_LATE_RESTARTS = 8;

function isPrefix(prefix: readonly string[], path: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((key, i) => key === path[i]);
}

/** One column at one path seen in two chunks: a type that holds both chunks' values. */
function joinLateColumns(a: LateColumn, b: LateColumn): LateColumn {
  // A written format (dates as 31/12/2023, decimal commas) holds only values written that way.
  const sameFormat = a.type === b.type && JSON.stringify(a.format) === JSON.stringify(b.format);
  const type = a.type === ColumnType.json || b.type === ColumnType.json ? ColumnType.json
    : sameFormat ? a.type : a.format === null && b.format === null ? joinTypes(a.type, b.type) : ColumnType.text;
  return { path: a.path, type, format: sameFormat ? a.format : null, confidence: Math.max(a.confidence, b.confidence) };
}

/**
 * The late columns of several chunks as one set. A path that is a column in one chunk and an
 * object flattened into columns in another (a scalar here, an object there) becomes one `jsonb`
 * column at the shorter path, as the sniff makes a key that is both.
 */
export function mergeLateColumns(known: readonly LateColumn[], found: readonly LateColumn[]): LateColumn[] {
  let merged = [...known];
  for (const column of found) {
    const same = merged.findIndex((c) => c.path.length === column.path.length && isPrefix(c.path, column.path));
    if (same !== -1) { merged[same] = joinLateColumns(merged[same], column); continue; }
    const related = merged.filter((c) => isPrefix(c.path, column.path) || isPrefix(column.path, c.path));
    if (related.length === 0) { merged.push(column); continue; }
    const shortest = related.reduce((a, b) => (b.path.length < a.path.length ? b : a), column);
    merged = merged.filter((c) => !related.includes(c));
    merged.push({ path: shortest.path, type: ColumnType.json, format: null, confidence: Math.max(column.confidence, ...related.map((c) => c.confidence)) });
  }
  return merged;
}

/** One run of a file's pipeline, and the file, shape and table columns it ran under. */
export interface LoadRun {
  prepared: PreparedFile;
  shape: ColumnShape;
  columns: StagingColumn[];
  widens: boolean;
  /** The load's schema policy froze the table (decided once, before the first run). */
  frozen: boolean;
  pipeline: PipelineResult;
}

export interface LateColumnsLoad {
  control: ControlSession;
  fileId: number;
  dataset: string;
  datasetConfig: DatasetConfig | undefined;
  log: (line: string) => void;
  /** The input as messages name it. */
  label: string;
  /** The late columns the file had when this run began (an earlier attempt's, from the ledger). */
  known: readonly LateColumn[];
}

/**
 * The file with columns for `found` after its own, and its shape under the load's schema policy.
 * Only a table frozen when the load began refuses them: the first file of a dataset makes its
 * table under either policy.
 */
export async function withLateColumns(prepared: PreparedFile, found: readonly LateColumn[], frozen: boolean,
  load: Pick<LateColumnsLoad, 'control' | 'dataset' | 'datasetConfig'>): Promise<{ prepared: PreparedFile; shape: ColumnShape }> {
  if (prepared.withLateColumns === undefined) throw new Error(`a ${prepared.format} file cannot take late columns`);
  const extended = prepared.withLateColumns(found);
  const sniffed = columnShape(extended, load.datasetConfig, load.dataset);
  const shape = frozen
    ? (await load.control.step((client) => frozenShape(client, load.dataset, extended, load.datasetConfig, sniffed))).shape
    : sniffed;
  return { prepared: extended, shape };
}

/** Runs the pipeline again under `run`'s columns, skipping `committed`; `lateKeys`: chunks may still report columns. */
export type RunAgain = (run: Omit<LoadRun, 'pipeline'>, committed: Map<number, CommittedChunk>, lateKeys: boolean) => Promise<PipelineResult>;

/**
 * Adds the columns the run's chunks found and runs the rest of the file again, until a run finds
 * none. The result's chunk counts are the load's: chunks an earlier run committed count as loaded,
 * not as skipped by the run after it.
 */
export async function loadLateColumns(first: LoadRun, load: LateColumnsLoad, runAgain: RunAgain): Promise<LoadRun> {
  let run = first;
  let loadedBefore = 0;
  let known = [...load.known];
  for (let restart = 1; run.pipeline.lateColumns.length > 0; restart++) {
    const found = run.pipeline.lateColumns;
    const { prepared, shape } = await withLateColumns(run.prepared, found, run.frozen, load);
    known = [...known, ...found];
    const { columns, widens, committed } = await load.control.step(async (client) => {
      const effective = await ensureStagingTable(client, load.dataset, shape.table);
      await recordLateColumns(client, load.fileId, known);
      return {
        columns: effective, widens: !run.frozen && await stagingTableWidens(client, load.dataset), committed: await committedChunks(client, load.fileId),
      };
    });
    load.log(`${load.label}: keys first seen past the sample: ${found.map((c) => c.path.join('.')).join(', ')}; `
      + `${run.frozen ? 'not in the frozen table, their records are SCHEMA rejects' : 'added as columns'}, the load goes on after ${committed.size} committed chunk(s)`);
    loadedBefore += run.pipeline.chunksLoaded;
    const next = { prepared, shape, columns, widens, frozen: run.frozen };
    run = { ...next, pipeline: await runAgain(next, committed, restart < MAX_LATE_RESTARTS) };
  }
  return { ...run, pipeline: { ...run.pipeline, chunksLoaded: run.pipeline.chunksLoaded + loadedBefore, chunksSkipped: run.pipeline.chunksSkipped - loadedBefore } };
}
