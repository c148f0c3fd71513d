import type { ColumnBatch, ColumnVector } from '../../batch/column-batch.js';
import type { Value, ValueKind } from '../../expression/compile-expression.js';
import { ColumnType, type ColumnTypeCode } from '../../schema/column-type.js';
import { numberFromBytes } from './decimal-bytes.js';

/**
 * How batch columns meet the expression language (compile-expression.ts): a column type's value
 * kind, a value read from a batch row, and an expression's result written back as a column's
 * canonical text. Times are milliseconds since 1970 (UTC) in expressions; a date is its midnight.
 */

const DAY_MS = 86_400_000;

export function kindOfType(type: ColumnTypeCode): ValueKind {
  switch (type) {
    case ColumnType.bool: return 'boolean';
    case ColumnType.int: case ColumnType.bigint: case ColumnType.float: case ColumnType.numeric: return 'number';
    case ColumnType.date: case ColumnType.timestamptz: return 'time';
    default: return 'text';
  }
}

/** The column type a derived column gets from its expression's kind. */
export function typeOfKind(kind: ValueKind | null): ColumnTypeCode {
  switch (kind) {
    case 'boolean': return ColumnType.bool;
    case 'number': return ColumnType.float;
    case 'time': return ColumnType.timestamptz;
    default: return ColumnType.text;
  }
}

/** Where the typed value of a row comes from: `numbers` (validate, after fillTypedValues) or the text (transform, before it). */
export type ValueSource = 'numbers' | 'text';

const TRUE_WORDS = new Set(['t', 'true', 'y', 'yes', 'on', '1']);

/**
 * Reads (column, row) as an expression value. From text (in transform, before the batch's typed
 * values exist) a number is read from its bytes; other kinds cost a string per value.
 */
export function readValue(batch: ColumnBatch, column: ColumnVector, row: number, source: ValueSource): Value {
  if (column.nulls[row] === 1) return null;
  const type = column.type;
  // In transform, a column the parser (or a derived column) left numbers in reads them: a float's
  // and an integer's number is what its text reads as, a boolean's its truth. Times still read
  // their text there, which rounds sub-millisecond fractions its own way.
  if (source === 'numbers' || (column.numbersType === type && (type === ColumnType.float || type === ColumnType.int || type === ColumnType.bool))) {
    switch (type) {
      case ColumnType.bool: return column.numbers[row] === 1;
      case ColumnType.int: case ColumnType.bigint: case ColumnType.float: return column.numbers[row];
      case ColumnType.date: return column.numbers[row] * DAY_MS;
      case ColumnType.timestamptz: return column.numbers[row];
      default: break;
    }
  }
  if (type === ColumnType.int || type === ColumnType.bigint || type === ColumnType.float || type === ColumnType.numeric) {
    return numberFromBytes(batch.bytes, column.starts[row], column.ends[row]);
  }
  const text = batch.text(column, row)!;
  switch (type) {
    case ColumnType.bool: return TRUE_WORDS.has(text.trim().toLowerCase());
    case ColumnType.date: return Date.parse(`${text.trim()}T00:00:00Z`);
    case ColumnType.timestamptz: return timestampMs(text);
    default: return text;
  }
}

/** ISO 8601 as value-checks.ts isIsoTimestamp accepts it, in ms (no zone: UTC), in the form Date.parse reads. */
export function timestampMs(text: string): number {
  let iso = text.trim().replace(' ', 'T');
  const zone = /([+-])(\d\d)(?::?(\d\d))?$/.exec(iso.slice(16));
  if (zone !== null) iso = `${iso.slice(0, iso.length - zone[0].length)}${zone[1]}${zone[2]}:${zone[3] ?? '00'}`;
  else if (!/[zZ]$/.test(iso)) iso += 'Z';
  return Math.floor(Date.parse(iso));
}

/** An expression's result as the canonical text of a column of `type` (see typeOfKind); null for NULL or a time out of range. */
export function textOfValue(value: Value, type: ColumnTypeCode): string | null {
  if (value === null) return null;
  switch (type) {
    case ColumnType.bool: return value === true ? 't' : 'f';
    case ColumnType.float: return String(value);
    case ColumnType.timestamptz: {
      const date = new Date(value as number);
      const year = date.getUTCFullYear();
      return Number.isNaN(year) || year < 1 || year > 9999 ? null : date.toISOString();
    }
    default: return String(value);
  }
}
