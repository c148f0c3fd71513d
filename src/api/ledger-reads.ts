import { tableColumns } from '../sink/staging-table.js';
import { readSchemaVersions, type SchemaVersion } from '../datasets/schema-versions.js';
import type pg from 'pg';
import { normaliseIdentifier } from '../schema/identifiers.js';
import type { FileSummary } from '../summary.js';
import type { Page } from './pagination.js';

/**
 * What the API and the status page read from the ledger (ingest.files, attempts, rejects,
 * quality): plain rows for JSON, every value a parameter.
 */

export type LedgerStatus = 'loading' | 'loaded' | 'failed';
export const LEDGER_STATUSES: readonly LedgerStatus[] = ['loading', 'loaded', 'failed'];

export interface LedgerFile {
  id: number;
  sha256: string;
  generation: number;
  /** Where the bytes came from as the user named them (a URL, the .gz), else the path read. */
  file: string;
  size_bytes: number;
  dataset: string;
  table: string;
  format: string | null;
  encoding: string | null;
  status: LedgerStatus;
  rows: number | null;
  rejected: number | null;
  error: { code: string | null; message: string } | null;
  created_at: string;
  finished_at: string | null;
}

const FILE_COLUMNS = `f.id, f.sha256, f.generation, coalesce(f.source, f.path) AS file, f.size_bytes, f.dataset, f.table_name, f.format, f.encoding,
  f.status, f.rows, f.rejected, f.error_code, f.error, f.created_at, f.finished_at`;

interface FileRow {
  id: number; sha256: string; generation: number; file: string; size_bytes: number; dataset: string; table_name: string; format: string | null;
  encoding: string | null; status: LedgerStatus; rows: number | null; rejected: number | null; error_code: string | null; error: string | null;
  created_at: Date; finished_at: Date | null;
}

function ledgerFile(row: FileRow): LedgerFile {
  return {
    id: row.id, sha256: row.sha256, generation: row.generation, file: row.file, size_bytes: row.size_bytes, dataset: row.dataset, table: row.table_name,
    format: row.format, encoding: row.encoding, status: row.status, rows: row.rows, rejected: row.rejected,
    error: row.error === null && row.error_code === null ? null : { code: row.error_code, message: row.error ?? '' },
    created_at: row.created_at.toISOString(), finished_at: row.finished_at?.toISOString() ?? null,
  };
}

/** The names a dataset may be stored under: as given, and as a table name. */
export function datasetNames(dataset: string): string[] {
  return [...new Set([dataset, normaliseIdentifier(dataset, dataset)])];
}

export async function listFiles(db: pg.Pool | pg.ClientBase, filter: { status?: LedgerStatus; dataset?: string }, page: Page): Promise<{ items: LedgerFile[]; total: number }> {
  const params: unknown[] = [filter.status ?? null, filter.dataset === undefined ? null : datasetNames(filter.dataset)];
  const where = 'WHERE ($1::text IS NULL OR f.status = $1) AND ($2::text[] IS NULL OR f.dataset = ANY($2))';
  const [rows, count] = await Promise.all([
    db.query<FileRow>(`SELECT ${FILE_COLUMNS} FROM ingest.files f ${where} ORDER BY f.id DESC LIMIT $3 OFFSET $4`, [...params, page.limit, page.offset]),
    db.query<{ total: number }>(`SELECT count(*)::float8 AS total FROM ingest.files f ${where}`, params),
  ]);
  return { items: rows.rows.map(ledgerFile), total: count.rows[0].total };
}

export interface FileDetail {
  file: LedgerFile;
  summary: FileSummary | null;
  attempts: { attempt: number; pid: number; host: string; status: string; chunks_loaded: number; chunks_skipped: number; started_at: string; finished_at: string | null }[];
  rejects: { total: number; first: { line: number | null; byte_offset: number; reason: string; detail: string | null; raw: string | null }[] };
}

/** Rejects shown with a file: the first ones in file order (`sluice rejects` lists them all). */
export const FIRST_REJECTS = 20;

/** A ledger row by id, or by sha256 (its latest generation); null when there is none. */
export async function readLedgerFile(db: pg.Pool, key: { id: number } | { sha256: string }): Promise<FileDetail | null> {
  const found = 'id' in key
    ? await db.query<FileRow & { summary: FileSummary | null }>(`SELECT ${FILE_COLUMNS}, f.summary FROM ingest.files f WHERE f.id = $1`, [key.id])
    : await db.query<FileRow & { summary: FileSummary | null }>(`SELECT ${FILE_COLUMNS}, f.summary FROM ingest.files f WHERE f.sha256 = $1 ORDER BY f.generation DESC LIMIT 1`, [key.sha256.toLowerCase()]);
  if (found.rows.length === 0) return null;
  const row = found.rows[0];
  const [attempts, rejects, total] = await Promise.all([
    db.query<{ attempt: number; pid: number; host: string; status: string; chunks_loaded: number; chunks_skipped: number; started_at: Date; finished_at: Date | null }>(
      'SELECT attempt, pid, host, status, chunks_loaded, chunks_skipped, started_at, finished_at FROM ingest.attempts WHERE file_id = $1 ORDER BY attempt', [row.id]),
    db.query<{ line: number | null; byte_offset: number; reason: string; detail: string | null; raw: string | null }>(
      'SELECT line, byte_offset, reason, detail, raw FROM ingest.rejects WHERE file_id = $1 ORDER BY byte_offset, id LIMIT $2', [row.id, FIRST_REJECTS]),
    db.query<{ total: number }>('SELECT count(*)::float8 AS total FROM ingest.rejects WHERE file_id = $1', [row.id]),
  ]);
  return {
    file: ledgerFile(row),
    summary: row.summary,
    attempts: attempts.rows.map((a) => ({ ...a, started_at: a.started_at.toISOString(), finished_at: a.finished_at?.toISOString() ?? null })),
    rejects: { total: total.rows[0].total, first: rejects.rows },
  };
}

export interface RecentLoad {
  id: number;
  file: string;
  dataset: string;
  status: LedgerStatus;
  rows: number | null;
  rejected: number | null;
  score: number | null;
  duration_ms: number | null;
  error_code: string | null;
  finished_at: string | null;
}

export async function recentLoads(db: pg.Pool, limit: number): Promise<RecentLoad[]> {
  const result = await db.query<Omit<RecentLoad, 'finished_at'> & { finished_at: Date | null }>(
    `SELECT f.id, coalesce(f.source, f.path) AS file, f.dataset, f.status, f.rows, f.rejected, q.score, (f.summary->>'duration_ms')::float8 AS duration_ms,
            f.error_code, f.finished_at
       FROM ingest.files f LEFT JOIN ingest.quality q ON q.file_id = f.id
      ORDER BY f.id DESC LIMIT $1`, [limit]);
  return result.rows.map((r) => ({ ...r, finished_at: r.finished_at?.toISOString() ?? null }));
}

export interface DatasetOverview {
  dataset: string;
  table: string;
  loads: number;
  /** Rows of its loaded files (the staging table's, unless rows were deleted there). */
  rows: number;
  failed: number;
  /** The quality score of its latest scored load. */
  score: number | null;
  last_loaded_at: string | null;
}

export async function datasetOverview(db: pg.Pool, limit: number): Promise<DatasetOverview[]> {
  const result = await db.query<Omit<DatasetOverview, 'last_loaded_at'> & { last_loaded_at: Date | null }>(
    `SELECT d.dataset, d.table, d.loads, d.rows, d.failed, d.last_loaded_at,
            (SELECT q.score FROM ingest.quality q WHERE q.dataset = d.dataset ORDER BY q.created_at DESC, q.file_id DESC LIMIT 1) AS score
       FROM (SELECT f.dataset, max(f.table_name) AS table, count(*) FILTER (WHERE f.status = 'loaded')::float8 AS loads,
                    coalesce(sum(f.rows) FILTER (WHERE f.status = 'loaded'), 0)::float8 AS rows,
                    count(*) FILTER (WHERE f.status = 'failed')::float8 AS failed, max(f.finished_at) AS last_loaded_at
               FROM ingest.files f GROUP BY f.dataset) d
      ORDER BY d.last_loaded_at DESC NULLS LAST, d.dataset LIMIT $1`, [limit]);
  return result.rows.map((r) => ({ ...r, last_loaded_at: r.last_loaded_at?.toISOString() ?? null }));
}

export interface DatasetSchema {
  dataset: string;
  table: string;
  /** The table's columns in order; `source` etc. from the latest load's summary (null for a column it did not have). */
  columns: { name: string; type: string; nullable: boolean; provenance: boolean; source: string | null; confidence: number | null; format: string | null }[];
  latest_file: { id: number; file: string; status: LedgerStatus; finished_at: string | null } | null;
  /** The dataset's schema versions, oldest first (ingest.schema_versions; `sluice schema --json`). */
  versions: SchemaVersion[];
}

/** A dataset's staging table as it is now, described with its latest load; null when the ledger has no load of it. */
export async function readDatasetSchema(db: pg.Pool, dataset: string): Promise<DatasetSchema | null> {
  const latest = await db.query<{ id: number; file: string; dataset: string; table_name: string; status: LedgerStatus; finished_at: Date | null; summary: FileSummary | null }>(
    `SELECT f.id, coalesce(f.source, f.path) AS file, f.dataset, f.table_name, f.status, f.finished_at, f.summary FROM ingest.files f
      WHERE f.dataset = ANY($1) ORDER BY (f.status = 'loaded') DESC, f.id DESC LIMIT 1`, [datasetNames(dataset)]);
  if (latest.rows.length === 0) return null;
  const row = latest.rows[0];
  const columns = await tableColumns(db, row.dataset);
  const described = new Map((row.summary?.columns ?? []).map((c) => [c.name, c]));
  return {
    dataset: row.dataset,
    table: row.table_name,
    columns: columns.map((c) => {
      const summary = described.get(c.name);
      return {
        ...c, provenance: c.name === '_file' || c.name === '_offset',
        source: summary?.source ?? null, confidence: summary?.confidence ?? null, format: summary?.format ?? null,
      };
    }),
    latest_file: { id: row.id, file: row.file, status: row.status, finished_at: row.finished_at?.toISOString() ?? null },
    versions: await readSchemaVersions(db, row.dataset),
  };
}

export async function datasetExists(db: pg.Pool, dataset: string): Promise<boolean> {
  const found = await db.query('SELECT 1 FROM ingest.files WHERE dataset = ANY($1) LIMIT 1', [datasetNames(dataset)]);
  return found.rows.length > 0;
}
