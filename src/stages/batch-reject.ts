import type { ColumnBatch } from '../batch/column-batch.js';
import { rejectRow } from '../formats/reject-row.js';
import type { StageContext } from './stage.js';

/**
 * A stage refusing one row of its batch: the ingest.rejects row (reason, detail, the row's raw
 * bytes, its line and offset) into the chunk's reject sink, and the row marked so later stages and
 * the encoder skip it. Rare next to kept rows, so strings are fine here.
 */

const MAX_RAW_CHARS = 64 * 1024;
const MAX_DETAIL_VALUE = 120;

export function rejectBatchRow(batch: ColumnBatch, row: number, context: Pick<StageContext, 'fileId' | 'chunkNo' | 'rejects'>, reason: string, detail: string): void {
  const raw = batch.rawText(row);
  context.rejects.pushString(rejectRow({
    fileId: context.fileId, chunkNo: context.chunkNo, chunkLine: batch.rowLine[row], byteOffset: batch.rowOffset[row], reason, detail,
    raw: raw.length > MAX_RAW_CHARS ? raw.slice(0, MAX_RAW_CHARS) : raw,
  }));
  batch.reject(row);
}

/** A value as a reject's detail shows it: quoted, cut after MAX_DETAIL_VALUE characters. */
export function shownValue(value: string | null): string {
  if (value === null) return 'NULL';
  return JSON.stringify(value.length > MAX_DETAIL_VALUE ? `${value.slice(0, MAX_DETAIL_VALUE)}…` : value);
}
