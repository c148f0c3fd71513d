import { type ColumnTypeName } from '../../schema/column-type.js';
import { CellKind } from './cell-field.js';

/**
 * A sheet column's type from every cell in it (Excel says what each cell is, so nothing is
 * guessed from a sample): one kind of value keeps its type, numbers widen int → bigint → float,
 * dates with a time of day make the column `timestamptz`, and anything mixed is text. A column
 * with no values at all is text.
 */
export function columnTypeOfKinds(kinds: number): ColumnTypeName {
  if (kinds === CellKind.empty) return 'text';
  if (kinds === CellKind.bool) return 'bool';
  if ((kinds & ~CellKind.int32) === 0) return 'int';
  if ((kinds & ~(CellKind.int32 | CellKind.int64)) === 0) return 'bigint';
  if ((kinds & ~(CellKind.int32 | CellKind.int64 | CellKind.float)) === 0) return 'float';
  if (kinds === CellKind.date) return 'date';
  if ((kinds & ~(CellKind.date | CellKind.timestamp)) === 0) return 'timestamptz';
  return 'text';
}

/** Whether the column's midnight dates (`2024-01-02`) must be written as timestamps to fit it. */
export function datesNeedWidening(kinds: number): boolean {
  return (kinds & CellKind.date) !== 0 && columnTypeOfKinds(kinds) === 'timestamptz';
}
