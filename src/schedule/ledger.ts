import { hostname } from 'node:os';
import type pg from 'pg';
import type { LateColumn, PreparedFile } from '../formats/prepared-file.js';
import { columnTypeFromPostgres, postgresTypeName } from '../schema/column-type.js';
import type { FileSummary } from '../summary.js';
import { writePreambleRejects } from './preamble-rejects.js';

/**
 * The file ledger (ingest.files, ingest.attempts, ingest.chunks): decides whether a file is new,
 * already loaded (skip), or half-loaded by an earlier run (resume with the chunks that are
 * missing). Claims run under a transaction-scoped advisory lock on the content hash, so two
 * processes that see the same file at once agree on one row.
 */

export interface CommittedChunk {
  byteStart: number;
  byteEnd: number;
}

export type Claim =
  | { kind: 'skip'; fileId: number; summary: FileSummary | null; dataset: string }
  | {
    kind: 'load';
    fileId: number;
    attempt: number;
    dataset: string;
    chunkSize: number;
    /** Chunk boundaries depend on it too (an over-long line is a chunk of its own). */
    maxRowBytes: number;
    /** Chunks an earlier attempt committed, by chunk number. */
    committed: Map<number, CommittedChunk>;
    /** Columns an earlier attempt added for keys past the sample (see recordLateColumns), in order. */
    lateColumns: LateColumn[];
  };

export interface ClaimRequest {
  sha256: string;
  path: string;
  /** Where the bytes came from: the URL, or the path the user gave (the .gz of a compressed file). */
  source: string;
  sizeBytes: number;
  dataset: string;
  tableName: string;
  chunkSize: number;
  maxRowBytes: number;
  force: boolean;
  /** The id a new ledger row takes (reserved with reserveFileId before the hash was known). */
  newId: number;
}

/** Reserves an ingest.files id, so chunks can be encoded (they carry it) while the file is hashed. */
export async function reserveFileId(client: pg.ClientBase): Promise<number> {
  const result = await client.query<{ id: string }>(`SELECT nextval(pg_get_serial_sequence('ingest.files', 'id')) AS id`);
  return Number(result.rows[0].id);
}

interface FileRow {
  id: string;
  generation: number;
  status: 'loading' | 'loaded' | 'failed';
  dataset: string;
  chunk_size: string;
  max_row_bytes: string | null;
  summary: FileSummary | null;
  late_columns: StoredLateColumn[] | null;
}

/** A LateColumn as ingest.files.late_columns keeps it: the type by its PostgreSQL name. */
interface StoredLateColumn extends Omit<LateColumn, 'type'> {
  type: string;
}

/**
 * The stored summaries of the identities whose latest generation is loaded — what claimFile would
 * answer `skip` for — read without claiming anything: a workbook asks this for all its sheets
 * before it spends a conversion on sheets that are all loaded already.
 */
export async function loadedSummaries(client: pg.ClientBase | pg.Pool, sha256s: readonly string[]): Promise<Map<string, FileSummary>> {
  const result = await client.query<{ sha256: string; status: string; summary: FileSummary | null }>(
    `SELECT DISTINCT ON (sha256) sha256, status, summary FROM ingest.files WHERE sha256 = ANY($1) ORDER BY sha256, generation DESC`,
    [sha256s]);
  const loaded = new Map<string, FileSummary>();
  for (const row of result.rows) if (row.status === 'loaded' && row.summary !== null) loaded.set(row.sha256, row.summary);
  return loaded;
}

export async function claimFile(client: pg.ClientBase, request: ClaimRequest): Promise<Claim> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sluice:file:${request.sha256}`]);
    const latest = await client.query<FileRow>(
      'SELECT id, generation, status, dataset, chunk_size, max_row_bytes, summary, late_columns FROM ingest.files WHERE sha256 = $1 ORDER BY generation DESC LIMIT 1',
      [request.sha256]);
    const row = latest.rows[0];
    let fileId: number;
    let dataset = request.dataset;
    let chunkSize = request.chunkSize;
    let maxRowBytes = request.maxRowBytes;
    let lateColumns: LateColumn[] = [];
    if (row !== undefined && row.status === 'loaded' && !request.force) {
      await client.query('COMMIT');
      return { kind: 'skip', fileId: Number(row.id), summary: row.summary, dataset: row.dataset };
    }
    if (row === undefined || row.status === 'loaded') {
      const inserted = await client.query<{ id: string }>(
        `INSERT INTO ingest.files (id, sha256, generation, path, source, size_bytes, dataset, table_name, chunk_size, max_row_bytes, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'loading') RETURNING id`,
        [request.newId, request.sha256, (row?.generation ?? 0) + 1, request.path, request.source, request.sizeBytes, request.dataset, request.tableName,
          request.chunkSize, request.maxRowBytes]);
      fileId = Number(inserted.rows[0].id);
    } else {
      // An earlier attempt stopped part way: resume into the same dataset with the same chunking,
      // so chunk numbers mean the same byte ranges.
      fileId = Number(row.id);
      dataset = row.dataset;
      chunkSize = Number(row.chunk_size);
      maxRowBytes = row.max_row_bytes === null ? request.maxRowBytes : Number(row.max_row_bytes);
      lateColumns = (row.late_columns ?? []).map((c) => ({ ...c, type: columnTypeFromPostgres(c.type) }));
      await client.query(`UPDATE ingest.files SET status = 'loading', path = $2, source = $3, max_row_bytes = $4, error_code = NULL, error = NULL WHERE id = $1`,
        [fileId, request.path, request.source, maxRowBytes]);
    }
    const attempt = await client.query<{ attempt: number }>(
      `INSERT INTO ingest.attempts (file_id, attempt, pid, host)
       SELECT $1, coalesce(max(attempt), 0) + 1, $2, $3 FROM ingest.attempts WHERE file_id = $1 RETURNING attempt`,
      [fileId, process.pid, hostname()]);
    const committed = await committedChunks(client, fileId);
    await client.query('COMMIT');
    return { kind: 'load', fileId, attempt: attempt.rows[0].attempt, dataset, chunkSize, maxRowBytes, committed, lateColumns };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** The file's chunks in the ledger, by chunk number: what a run of its pipeline skips. */
export async function committedChunks(client: pg.ClientBase, fileId: number): Promise<Map<number, CommittedChunk>> {
  const chunks = await client.query<{ chunk_no: number; byte_start: string; byte_end: string }>(
    'SELECT chunk_no, byte_start, byte_end FROM ingest.chunks WHERE file_id = $1', [fileId]);
  const committed = new Map<number, CommittedChunk>();
  for (const c of chunks.rows) committed.set(c.chunk_no, { byteStart: Number(c.byte_start), byteEnd: Number(c.byte_end) });
  return committed;
}

/** Keeps the columns the file's loads added for late keys, all of them so far, for an attempt that resumes it. */
export async function recordLateColumns(client: pg.ClientBase, fileId: number, columns: readonly LateColumn[]): Promise<void> {
  const stored: StoredLateColumn[] = columns.map((c) => ({ ...c, type: postgresTypeName(c.type) }));
  await client.query('UPDATE ingest.files SET late_columns = $2 WHERE id = $1', [fileId, JSON.stringify(stored)]);
}

export interface FileTotals {
  rows: number;
  rejected: number;
  chunks: number;
}

/**
 * Marks a file loaded once every chunk has committed: totals from the chunk ledger (so a resumed
 * load counts what earlier attempts loaded too) and reject line numbers made absolute. `preamble`:
 * lines before the table to reject as PREAMBLE (see preamble-rejects.ts), counted in the totals.
 */
/**
 * Work over the whole load done in completeFile's transaction before the file is described (the
 * stages' load finishers): its summary parts, and loaded rows it moved to the rejects.
 */
export type FinishLoad = (client: pg.ClientBase, totals: { rows: number; rejected: number }) => Promise<{ summary: Partial<FileSummary>; rejected: number }>;

export async function completeFile(client: pg.ClientBase, fileId: number, attempt: number, firstDataLine: number,
  counts: { loaded: number; skipped: number }, describe: (totals: FileTotals, samples: FileSummary['reject_samples']) => FileSummary,
  preamble: NonNullable<PreparedFile['preamble']> = [], finishLoad?: FinishLoad): Promise<FileSummary> {
  await client.query('BEGIN');
  try {
    await writePreambleRejects(client, fileId, preamble);
    await client.query(
      `UPDATE ingest.rejects r SET line = c.first_line + r.chunk_line - 1
         FROM (SELECT chunk_no, $2::bigint + coalesce(sum(lines) OVER (ORDER BY chunk_no ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS first_line
                 FROM ingest.chunks WHERE file_id = $1) c
        WHERE r.file_id = $1 AND r.chunk_no = c.chunk_no AND r.line IS NULL`, [fileId, firstDataLine]);
    const totals = await client.query<{ rows: string; rejected: string; chunks: string }>(
      'SELECT coalesce(sum(rows), 0) AS rows, coalesce(sum(rejected), 0) AS rejected, count(*) AS chunks FROM ingest.chunks WHERE file_id = $1', [fileId]);
    const rows = Number(totals.rows[0].rows);
    const rejected = Number(totals.rows[0].rejected) + preamble.length;
    const finished = finishLoad === undefined ? { summary: {}, rejected: 0 } : await finishLoad(client, { rows, rejected });
    const samples = await rejectSamples(client, fileId);
    const summary = { ...describe({ rows: rows - finished.rejected, rejected: rejected + finished.rejected, chunks: Number(totals.rows[0].chunks) }, samples), ...finished.summary };
    await client.query(
      `UPDATE ingest.files SET status = 'loaded', rows = $2, rejected = $3, summary = $4, format = $5, encoding = $6, delimiter = $7,
              header = $8, columns = $9, finished_at = now() WHERE id = $1`,
      [fileId, summary.rows, summary.rejected, JSON.stringify(summary), summary.format, summary.encoding, summary.delimiter, summary.header,
        JSON.stringify(summary.columns)]);
    await finishAttempt(client, fileId, attempt, 'loaded', counts);
    await client.query('COMMIT');
    return summary;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Holds a file's content for this session while it loads. Another process that claims the same
 * content meanwhile does not load it alongside: it waits for the hold, then claims again and finds
 * it loaded (skip) or half loaded (resume). The hold is released by `releaseFile`, or by the
 * session ending — a crashed process never keeps it.
 */
export async function tryHoldFile(client: pg.ClientBase, sha256: string): Promise<boolean> {
  const result = await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS held', [`sluice:load:${sha256}`]);
  return result.rows[0].held;
}

export async function waitHoldFile(client: pg.ClientBase, sha256: string): Promise<void> {
  await client.query('SELECT pg_advisory_lock(hashtext($1))', [`sluice:load:${sha256}`]);
}

export async function releaseFile(client: pg.ClientBase, sha256: string): Promise<void> {
  await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`sluice:load:${sha256}`]);
}

/** Closes an attempt that found the file held by another process and stepped aside. */
export async function yieldAttempt(client: pg.ClientBase, fileId: number, attempt: number): Promise<void> {
  await finishAttempt(client, fileId, attempt, 'yielded', { loaded: 0, skipped: 0 });
}

export async function failFile(client: pg.ClientBase, fileId: number, attempt: number, error: { code: string; message: string },
  counts: { loaded: number; skipped: number }): Promise<void> {
  await client.query(`UPDATE ingest.files SET status = 'failed', error_code = $2, error = $3, finished_at = now() WHERE id = $1`,
    [fileId, error.code, error.message]);
  await finishAttempt(client, fileId, attempt, 'failed', counts);
}

async function finishAttempt(client: pg.ClientBase, fileId: number, attempt: number, status: string, counts: { loaded: number; skipped: number }): Promise<void> {
  await client.query(
    `UPDATE ingest.attempts SET status = $3, chunks_loaded = $4, chunks_skipped = $5, finished_at = now() WHERE file_id = $1 AND attempt = $2`,
    [fileId, attempt, status, counts.loaded, counts.skipped]);
}

/** First reject rows of a file, with their absolute lines, for the summary. */
export async function rejectSamples(client: pg.ClientBase, fileId: number, limit = 5): Promise<FileSummary['reject_samples']> {
  const result = await client.query<{ line: string | null; byte_offset: string; reason: string; detail: string | null }>(
    'SELECT line, byte_offset, reason, detail FROM ingest.rejects WHERE file_id = $1 ORDER BY byte_offset LIMIT $2', [fileId, limit]);
  return result.rows.map((r) => ({ line: r.line === null ? null : Number(r.line), byte_offset: Number(r.byte_offset), reason: r.reason, detail: r.detail ?? '' }));
}
