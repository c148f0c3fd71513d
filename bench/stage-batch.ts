/**
 * A chunk for the stage benchmarks: rows of text values packed in one buffer, as a parser leaves
 * them (each value a span of the chunk's bytes), and the batch refilled from it before each run —
 * stages change spans and add columns, so every run starts from the parser's batch.
 */
import { ColumnBatch } from '../src/batch/column-batch.js';
import type { StageColumn } from '../src/stages/stage.js';

export interface StageChunk {
  bytes: Buffer;
  columns: readonly StageColumn[];
  rows: number;
  /** Per row and column: [start, end) in bytes, or -1 for NULL. */
  spans: Int32Array;
  /** Typed values (as fillTypedValues would leave them) per row and column, for the stages after transform. */
  numbers: Float64Array;
}

export function stageChunk(columns: readonly StageColumn[], rows: number, value: (row: number, column: number) => string | null,
  number: (row: number, column: number) => number = () => 0): StageChunk {
  const parts: Buffer[] = [];
  const spans = new Int32Array(rows * columns.length * 2);
  const numbers = new Float64Array(rows * columns.length);
  let at = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns.length; c++) {
      const k = r * columns.length + c;
      const text = value(r, c);
      numbers[k] = number(r, c);
      if (text === null) { spans[2 * k] = -1; continue; }
      const bytes = Buffer.from(text);
      parts.push(bytes);
      spans[2 * k] = at;
      spans[2 * k + 1] = at + bytes.length;
      at += bytes.length;
    }
  }
  return { bytes: Buffer.concat(parts), columns, rows, spans, numbers };
}

/** The parser's batch of the chunk, into `batch` (reused). */
export function refill(batch: ColumnBatch, chunk: StageChunk): ColumnBatch {
  batch.reset(chunk.bytes, 0, chunk.bytes.length, chunk.columns);
  const width = chunk.columns.length;
  for (let r = 0; r < chunk.rows; r++) {
    const row = batch.addRow(r * 10, r + 1, 0, 0);
    for (let c = 0; c < width; c++) {
      const k = r * width + c;
      const column = batch.columns[c];
      if (chunk.spans[2 * k] === -1) batch.setNull(column, row);
      else batch.setSpan(column, row, chunk.spans[2 * k], chunk.spans[2 * k + 1]);
      column.numbers[row] = chunk.numbers[k];
    }
  }
  return batch;
}
