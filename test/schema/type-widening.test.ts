import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ColumnType, type ColumnTypeCode } from '../../src/schema/column-type.js';
import { formatForType, joinTypes, type WideningBase, widenFor, widerTypes } from '../../src/schema/type-widening.js';
import { scratchBuffer, ValueFormat } from '../../src/schema/value-format.js';

const PLAIN_BASE: WideningBase = { format: { format: ValueFormat.plain, nullTokens: false }, formatsByType: {} };

function widen(type: ColumnTypeCode, value: string, base = PLAIN_BASE): ColumnTypeCode {
  const bytes = Buffer.from(value);
  return widenFor(type, base, bytes, 0, bytes.length, scratchBuffer());
}

test('columns widen only toward wider types: numbers to text, booleans to text, dates to timestamps', () => {
  assert.deepEqual(widerTypes(ColumnType.int), [ColumnType.bigint, ColumnType.float, ColumnType.numeric, ColumnType.text]);
  assert.deepEqual(widerTypes(ColumnType.float), [ColumnType.numeric, ColumnType.text]);
  assert.deepEqual(widerTypes(ColumnType.bool), [ColumnType.text]);
  assert.deepEqual(widerTypes(ColumnType.date), [ColumnType.timestamptz]);
  assert.deepEqual(widerTypes(ColumnType.timestamptz), []);
  assert.deepEqual(widerTypes(ColumnType.text), []);
});

test('the narrowest type that holds a value: a 20-digit integer is numeric, not a rounding double', () => {
  assert.equal(widen(ColumnType.int, '3000000000'), ColumnType.bigint);
  assert.equal(widen(ColumnType.int, '2.5'), ColumnType.float);
  assert.equal(widen(ColumnType.int, '12345678901234567890'), ColumnType.numeric);
  assert.equal(widen(ColumnType.bigint, '1e400'), ColumnType.numeric);
  assert.equal(widen(ColumnType.int, 'hello'), ColumnType.text);
  assert.equal(widen(ColumnType.int, '02215'), ColumnType.text);
  assert.equal(widen(ColumnType.int, '+31612345678'), ColumnType.text);
  assert.equal(widen(ColumnType.bool, '2'), ColumnType.text);
  assert.equal(widen(ColumnType.date, '2024-01-05 10:30:00'), ColumnType.timestamptz);
  // No date: the column keeps its type (the row is a CAST reject).
  assert.equal(widen(ColumnType.date, '2024-02-30'), ColumnType.date);
  assert.equal(widen(ColumnType.date, 'hello'), ColumnType.date);
});

test('two needs join to the narrowest type holding both', () => {
  assert.equal(joinTypes(ColumnType.int, ColumnType.bigint), ColumnType.bigint);
  assert.equal(joinTypes(ColumnType.float, ColumnType.bigint), ColumnType.float);
  assert.equal(joinTypes(ColumnType.numeric, ColumnType.float), ColumnType.numeric);
  assert.equal(joinTypes(ColumnType.int, ColumnType.text), ColumnType.text);
  assert.equal(joinTypes(ColumnType.bool, ColumnType.int), ColumnType.text);
  assert.equal(joinTypes(ColumnType.date, ColumnType.timestamptz), ColumnType.timestamptz);
});

test('a widened column keeps reading its values the way they are written', () => {
  const thousands: WideningBase = { format: { format: ValueFormat.thousandsComma, nullTokens: true }, formatsByType: {} };
  assert.deepEqual(formatForType(thousands, ColumnType.float), { format: ValueFormat.thousandsComma, nullTokens: true });
  assert.equal(widen(ColumnType.int, '1,234.5', thousands), ColumnType.float);
  // A column widened to text reads its values as written, as every text column does.
  assert.deepEqual(formatForType(thousands, ColumnType.text), { format: ValueFormat.plain, nullTokens: false });
  const dayFirst: WideningBase = { format: { format: ValueFormat.dmy, nullTokens: false }, formatsByType: {} };
  assert.equal(widen(ColumnType.date, '31/01/2024 10:30', dayFirst), ColumnType.timestamptz);
});
