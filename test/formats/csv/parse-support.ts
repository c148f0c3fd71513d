import assert from 'node:assert/strict';
import { ColumnBatch } from '../../../src/batch/column-batch.js';
import { ByteSink } from '../../../src/formats/byte-sink.js';
import { type EncodePlan, type EncodeStats, parseCsvChunk, type RejectReason } from '../../../src/formats/csv/parse-chunk.js';

/** One row of a parsed chunk read back from its batch: values as text, null for NULL. */
export interface ParsedRow {
  offset: number;
  line: number;
  raw: string;
  values: (string | null)[];
}

/** One ingest.rejects row the parser wrote, with detail and raw unescaped from COPY text. */
export interface ParsedReject {
  fileId: number;
  chunkNo: number;
  chunkLine: number;
  byteOffset: number;
  reason: RejectReason;
  detail: string;
  raw: string;
}

export interface ParsedChunk {
  stats: EncodeStats;
  rows: ParsedRow[];
  rejects: ParsedReject[];
  batch: ColumnBatch;
}

function unescapeCopyText(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}

/** The ingest.rejects rows in a sink (COPY text, one per line, seven columns). */
export function rejectRows(sink: ByteSink): ParsedReject[] {
  const text = Buffer.from(sink.view()).toString('utf8');
  if (text === '') return [];
  return text.replace(/\n$/, '').split('\n').map((line) => {
    const parts = line.split('\t');
    assert.equal(parts.length, 7, `a COPY text reject row has 7 columns: ${JSON.stringify(line)}`);
    const [fileId, chunkNo, chunkLine, byteOffset, reason, detail, raw] = parts;
    return {
      fileId: Number(fileId), chunkNo: Number(chunkNo), chunkLine: Number(chunkLine), byteOffset: Number(byteOffset),
      reason: reason as RejectReason, detail: unescapeCopyText(detail), raw: unescapeCopyText(raw),
    };
  });
}

/** The batch's rows as text (what the stages and the COPY encoders read). */
export function batchRows(batch: ColumnBatch): ParsedRow[] {
  const rows: ParsedRow[] = [];
  for (let r = 0; r < batch.rowCount; r++) {
    rows.push({
      offset: batch.rowOffset[r], line: batch.rowLine[r], raw: batch.rawText(r),
      values: batch.columns.map((column) => batch.text(column, r)),
    });
  }
  return rows;
}

/**
 * Parses bytes[start, end) as one chunk into a fresh batch (or `batch`, to test reuse) and reads it
 * back. `sinkRegion` sizes the rejects sink's region (0 forces its overflow path).
 */
export function parseChunk(bytes: Uint8Array, start: number, end: number, plan: EncodePlan,
  options: { batch?: ColumnBatch; sinkRegion?: number; mapOffset?: (index: number) => number } = {}): ParsedChunk {
  const batch = options.batch ?? new ColumnBatch();
  const rejects = new ByteSink(new Uint8Array(options.sinkRegion ?? 1 << 16));
  const stats = parseCsvChunk(bytes, start, end, plan, batch, rejects, options.mapOffset);
  assert.equal(batch.rowCount, stats.rows, 'one batch row per row counted');
  const rejected = rejectRows(rejects);
  assert.equal(rejected.length, stats.rejected, 'one ingest.rejects row per reject');
  return { stats, rows: batchRows(batch), rejects: rejected, batch };
}

/** parseChunk over a whole string. */
export function parseText(text: string, plan: EncodePlan): ParsedChunk {
  const bytes = Buffer.from(text, 'utf8');
  return parseChunk(bytes, 0, bytes.length, plan);
}
