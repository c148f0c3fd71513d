import { resolve } from 'node:path';
import type pg from 'pg';
import { normaliseIdentifier } from '../schema/identifiers.js';
import { formatTable, tableCell } from '../text-table.js';

/**
 * The rejected rows of a file or of a dataset, as `sluice rejects` shows them: newest load first,
 * then in file order. A target is matched, in this order, as a content hash (64 hex digits), as a
 * file (the path or URL it was loaded from, or its spool path), then as a dataset name.
 */

export interface RejectedRow {
  file_id: number;
  /** Where the file came from (ingest.files.source: the URL or the path given). */
  file: string;
  sha256: string;
  dataset: string;
  status: string;
  loaded_at: string;
  /** 1-based line in the file; null while the file's load has not completed. */
  line: number | null;
  byte_offset: number;
  reason: string;
  detail: string;
  raw: string;
}

export interface RejectedRows {
  /** What the target matched. */
  matched: 'sha256' | 'file' | 'dataset';
  rows: RejectedRow[];
  /** Rejected rows in all the matched loads (`rows` holds at most the limit). */
  total: number;
}

async function matchingFiles(client: pg.ClientBase, target: string): Promise<{ matched: RejectedRows['matched']; ids: number[] } | null> {
  const ids = async (sql: string, params: unknown[]): Promise<number[]> =>
    (await client.query<{ id: number }>(`SELECT id::float8 AS id FROM ingest.files WHERE ${sql}`, params)).rows.map((r) => r.id);
  if (/^[0-9a-f]{64}$/i.test(target)) {
    const bySha = await ids('sha256 = $1', [target.toLowerCase()]);
    if (bySha.length > 0) return { matched: 'sha256', ids: bySha };
  }
  const absolute = resolve(target);
  const byFile = await ids('source = $1 OR source = $2 OR path = $2', [target, absolute]);
  if (byFile.length > 0) return { matched: 'file', ids: byFile };
  const byDataset = await ids('dataset = $1 OR dataset = $2', [target, normaliseIdentifier(target, target)]);
  if (byDataset.length > 0) return { matched: 'dataset', ids: byDataset };
  return null;
}

/** The first `limit` rejected rows of what `target` names, or null when nothing in the ledger matches it. */
export async function findRejectedRows(client: pg.ClientBase, target: string, limit: number): Promise<RejectedRows | null> {
  const files = await matchingFiles(client, target);
  if (files === null) return null;
  const result = await client.query<RejectedRow>(
    `SELECT f.id::float8 AS file_id, coalesce(f.source, f.path) AS file, f.sha256, f.dataset, f.status,
            to_char(f.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS loaded_at,
            r.line::float8 AS line, r.byte_offset::float8 AS byte_offset, r.reason, coalesce(r.detail, '') AS detail, coalesce(r.raw, '') AS raw
       FROM ingest.rejects r JOIN ingest.files f ON f.id = r.file_id
      WHERE f.id = ANY($1::bigint[])
      ORDER BY f.created_at DESC, f.id DESC, r.byte_offset, r.id
      LIMIT $2`, [files.ids, limit]);
  const total = await client.query<{ count: number }>('SELECT count(*)::float8 AS count FROM ingest.rejects WHERE file_id = ANY($1::bigint[])', [files.ids]);
  return { matched: files.matched, rows: result.rows, total: total.rows[0].count };
}

const TABLE_RAW_CHARS = 60;
const TABLE_DETAIL_CHARS = 60;

/** One line of text: control characters shown escaped, cut to `max` characters. */

/** A table per load (a heading line, then line, byte offset, reason, detail, raw), and a count when the limit cut it. */
export function formatRejectedRows(report: RejectedRows): string {
  if (report.rows.length === 0) return 'no rejected rows\n';
  const header = ['line', 'offset', 'reason', 'detail', 'raw'];
  let out = '';
  for (let i = 0; i < report.rows.length;) {
    const fileId = report.rows[i].file_id;
    let j = i;
    while (j < report.rows.length && report.rows[j].file_id === fileId) j++;
    const group = report.rows.slice(i, j);
    const first = group[0];
    out += `${out === '' ? '' : '\n'}${first.file}  (dataset ${first.dataset}, ${first.status} ${first.loaded_at}, sha256 ${first.sha256.slice(0, 12)}…)\n`;
    const cells = group.map((r) => [r.line === null ? '-' : String(r.line), String(r.byte_offset), r.reason, tableCell(r.detail, TABLE_DETAIL_CHARS), tableCell(r.raw, TABLE_RAW_CHARS)]);
    out += formatTable(header, cells, { padLast: false });
    i = j;
  }
  if (report.total > report.rows.length) out += `\n${report.rows.length} of ${report.total} rejected rows shown (--limit N for more)\n`;
  return out;
}
