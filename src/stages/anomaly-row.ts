import { copyTextEscape } from '../formats/reject-row.js';

/**
 * One row of ingest.anomalies in COPY text format, as the detect stage writes it into its chunk's
 * anomaly sink (committed with the chunk). Columns, in ANOMALIES_COPY's order:
 * kind, dataset, file_id, chunk_no, byte_offset, column_name, value, score, method, detail.
 */
export interface AnomalyRow {
  kind: 'value' | 'series' | 'metric';
  dataset: string;
  fileId: number;
  chunkNo: number;
  byteOffset: number;
  column: string;
  /** The value as text (null: NULL). */
  value: string | null;
  score: number;
  method: string;
  /** Plain data kept as jsonb (the baseline the value was compared with). */
  detail: Record<string, unknown> | null;
}

export const ANOMALIES_COPY = 'COPY ingest.anomalies (kind, dataset, file_id, chunk_no, byte_offset, column_name, value, score, method, detail) FROM STDIN';

function number(value: number): string {
  return Number.isFinite(value) ? String(value) : value !== value ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

export function anomalyRow(row: AnomalyRow): string {
  return [
    row.kind, copyTextEscape(row.dataset), row.fileId, row.chunkNo, row.byteOffset, copyTextEscape(row.column),
    row.value === null ? '\\N' : copyTextEscape(row.value), number(row.score), copyTextEscape(row.method),
    row.detail === null ? '\\N' : copyTextEscape(JSON.stringify(row.detail)),
  ].join('\t') + '\n';
}
