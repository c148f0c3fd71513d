/**
 * One row of ingest.rejects in COPY text format — the only place that format is written, by the
 * workers (CSV, JSON), the planner (an over-long line) and the COPY writer (a row PostgreSQL
 * refused). Columns: file_id, chunk_no, chunk_line, byte_offset, reason, detail, raw.
 */
export interface RejectRow {
  fileId: number;
  chunkNo: number;
  /** 1-based line within the chunk; made absolute when the file completes. */
  chunkLine: number;
  byteOffset: number;
  reason: string;
  detail: string;
  raw: string;
}

/** Escapes a value for COPY text format; NUL (which text cannot hold) becomes U+FFFD. */
export function copyTextEscape(value: string): string {
  return value.replace(/[\\\t\n\r\0]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\uFFFD'));
}

export function rejectRow(row: RejectRow): string {
  return `${row.fileId}\t${row.chunkNo}\t${row.chunkLine}\t${row.byteOffset}\t${row.reason}\t${copyTextEscape(row.detail)}\t${copyTextEscape(row.raw)}\n`;
}
