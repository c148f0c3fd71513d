import { ColumnBatch } from '../../src/batch/column-batch.js';
import { ColumnType, type ColumnTypeCode } from '../../src/schema/column-type.js';

/**
 * A ColumnBatch from JS values, for stage tests: each value is its text (null for NULL); typed
 * columns get `numbers` from JavaScript's own parsing of the text (the reference for the worker's
 * byte parsers). Rows get offsets 100 × index and lines index + 1.
 */
export function batchOf(columns: ReadonlyArray<{ name: string; type: ColumnTypeCode }>, rows: ReadonlyArray<ReadonlyArray<string | null>>): ColumnBatch {
  const batch = new ColumnBatch();
  batch.reset(new Uint8Array(0), 0, 0, columns);
  rows.forEach((values, r) => {
    const row = batch.addRow(100 * r, r + 1, 0, 0);
    columns.forEach((spec, c) => {
      const column = batch.columns[c];
      const value = values[c];
      if (value === null) { batch.setNull(column, row); return; }
      batch.appendString(column, row, value);
      column.numbers[row] = numberOf(spec.type, value);
      if (spec.type === ColumnType.timestamptz) column.micros[row] = microsOf(value);
    });
  });
  return batch;
}

function numberOf(type: ColumnTypeCode, text: string): number {
  switch (type) {
    case ColumnType.bool: return /^(t|true|y|yes|on|1)$/i.test(text.trim()) ? 1 : 0;
    case ColumnType.int: case ColumnType.bigint: case ColumnType.float: return Number(text);
    case ColumnType.date: return Date.parse(`${text}T00:00:00Z`) / 86_400_000;
    case ColumnType.timestamptz: return Math.floor(Date.parse(/[zZ]|[+-]\d\d(:?\d\d)?$/.test(text) ? text : `${text}Z`));
    default: return 0;
  }
}

function microsOf(text: string): number {
  const fraction = /\.(\d+)/.exec(text)?.[1] ?? '';
  return Number(fraction.padEnd(6, '0').slice(3, 6));
}
