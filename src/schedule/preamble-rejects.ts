import type pg from 'pg';
import { rejectRow } from '../formats/reject-row.js';
import type { PreparedFile } from '../formats/prepared-file.js';
import { copyIn, REJECTS_COPY } from '../sink/copy-writer.js';

/**
 * The lines before a file's table (a title, notes, comment lines) are not records, so a load skips
 * them and the summary counts them (`preamble_lines`). On request (`keepPreamble`) each is written
 * to ingest.rejects with reason PREAMBLE instead — then it is a record, rejected, and rows +
 * rejected is still the number of records. They are written when the file completes, in the
 * transaction that marks it loaded, so a resumed or retried load writes them exactly once. They
 * belong to no chunk: chunk_no is PREAMBLE_CHUNK, and their line is known from the start.
 */

export const PREAMBLE_CHUNK = -1;

export async function writePreambleRejects(client: pg.ClientBase, fileId: number, lines: NonNullable<PreparedFile['preamble']>): Promise<void> {
  if (lines.length === 0) return;
  const text = lines.map((l) => rejectRow({
    fileId, chunkNo: PREAMBLE_CHUNK, chunkLine: l.line, byteOffset: l.byteOffset, reason: 'PREAMBLE', detail: 'line before the table', raw: l.raw,
  })).join('');
  await copyIn(client, REJECTS_COPY, Buffer.from(text, 'utf8'));
  await client.query('UPDATE ingest.rejects SET line = chunk_line WHERE file_id = $1 AND chunk_no = $2 AND line IS NULL', [fileId, PREAMBLE_CHUNK]);
}
