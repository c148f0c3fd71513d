import type pg from 'pg';
import { normaliseIdentifier } from '../../schema/identifiers.js';
import { formatTable, tableCell } from '../../text-table.js';

/**
 * A dataset's anomaly rows (ingest.anomalies) as `sluice anomalies` lists them: newest load first,
 * then in file order. A metric anomaly has no offset, and its metric (with its column) is shown as
 * the column: `row_count`, `null_rate(note)`.
 */

export interface StoredAnomaly {
  file_id: number | null;
  file: string | null;
  kind: string;
  /** A metric anomaly's metric (row_count, null_rate, …), else null. */
  metric: string | null;
  byte_offset: number | null;
  /** A series anomaly's time (its peak), a metric anomaly's load time; null for a value anomaly. */
  at: string | null;
  column: string | null;
  value: string | null;
  score: number | null;
  method: string;
  detail: Record<string, unknown> | null;
  created_at: string;
}

export async function readStoredAnomalies(client: pg.ClientBase | pg.Pool, dataset: string, limit: number, offset = 0): Promise<{ rows: StoredAnomaly[]; total: number }> {
  const names = [dataset, normaliseIdentifier(dataset, dataset)];
  const result = await client.query<StoredAnomaly>(
    `SELECT a.file_id::float8 AS file_id, coalesce(f.source, f.path) AS file, a.kind, a.metric, a.byte_offset::float8 AS byte_offset,
            to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at, a.column_name AS column,
            a.value, a.score, a.method, a.detail, to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at
       FROM ingest.anomalies a LEFT JOIN ingest.files f ON f.id = a.file_id
      WHERE a.dataset = ANY($1::text[])
      ORDER BY a.file_id DESC NULLS LAST, a.byte_offset, a.column_name, a.id
      LIMIT $2 OFFSET $3`, [names, limit, offset]);
  const total = await client.query<{ count: number }>('SELECT count(*)::float8 AS count FROM ingest.anomalies WHERE dataset = ANY($1::text[])', [names]);
  return { rows: result.rows, total: total.rows[0].count };
}

export function formatStoredAnomalies(found: { rows: StoredAnomaly[]; total: number }): string {
  if (found.rows.length === 0) return 'no anomalies\n';
  const header = ['file', 'offset / time', 'column', 'value', 'score', 'method'];
  const rows = found.rows.map((a) => [
    String(a.file_id ?? '-'), a.byte_offset !== null ? String(a.byte_offset) : a.kind === 'series' && a.at !== null ? a.at : '-', a.metric === null ? a.column ?? '-' : a.column === null ? a.metric : `${a.metric}(${a.column})`, a.value === null ? 'NULL' : tableCell(a.value, 40),
    a.score === null ? '-' : Number.isFinite(a.score) ? a.score.toPrecision(4) : String(a.score), a.method,
  ]);
  const more = found.total > found.rows.length ? `… ${found.total - found.rows.length} more (--limit)\n` : '';
  return `${formatTable(header, rows)}${more}`;
}
