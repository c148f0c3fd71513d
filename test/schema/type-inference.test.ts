import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ColumnType } from '../../src/schema/column-type.js';
import { candidatesFor, ColumnTypeAccumulator } from '../../src/schema/type-inference.js';
import { ValueFormat } from '../../src/schema/value-format.js';

function infer(values: string[], hints = {}, timeByName = false) {
  const accumulator = new ColumnTypeAccumulator(1, candidatesFor(hints, timeByName));
  for (const value of values) accumulator.addValue(0, value);
  return accumulator.result()[0];
}

test('the most specific type every value fits wins; leading zeros stay text', () => {
  assert.equal(infer(['1', '2', '-3']).type, ColumnType.int);
  assert.equal(infer(['1', '9000000000']).type, ColumnType.bigint);
  assert.equal(infer(['1', '2.5']).type, ColumnType.float);
  assert.equal(infer(['true', 'no']).type, ColumnType.bool);
  assert.equal(infer(['007', '12']).type, ColumnType.text);
  assert.equal(infer(['2024-01-01', '2024-02-29']).type, ColumnType.date);
  assert.equal(infer(['1', '2024-01-01']).type, ColumnType.text);
  assert.equal(infer([]).type, ColumnType.text);
});

test('a late value that breaks the leading type still widens it after the choice has settled', () => {
  const ints = Array.from({ length: 2000 }, (_, i) => String(i));
  assert.equal(infer([...ints, '3.5']).type, ColumnType.float);
  assert.equal(infer([...ints, '99999999999']).type, ColumnType.bigint);
  assert.equal(infer([...ints, 'abc']).type, ColumnType.text);
});

test('null tokens are not evidence against a type, and make the column read them as NULL', () => {
  const column = infer(['1', 'NA', '3', 'NULL']);
  assert.equal(column.type, ColumnType.int);
  assert.deepEqual(column.format, { format: ValueFormat.plain, nullTokens: true });
});

test('day/month order: decided by a value over 12, else ambiguous and the hint decides', () => {
  assert.equal(infer(['13/01/2024', '01/02/2024']).format.format, ValueFormat.dmy);
  assert.equal(infer(['01/13/2024', '01/02/2024']).format.format, ValueFormat.mdy);
  const ambiguous = infer(['01/02/2024', '03/04/2024']);
  assert.deepEqual([ambiguous.format.format, ambiguous.ambiguous], [ValueFormat.mdy, true]);
  assert.equal(infer(['01/02/2024'], { dateOrder: 'dmy' }).format.format, ValueFormat.dmy);
});

test('epoch numbers are times only in a column whose name says so', () => {
  assert.equal(infer(['1700000000', '1700003600'], {}, true).type, ColumnType.timestamptz);
  assert.equal(infer(['1700000000', '1700003600'], {}, false).type, ColumnType.int);
});

test('for another type than the chosen one, the format that fitted best (a few misses allowed)', () => {
  const values = [...Array.from({ length: 30 }, (_, i) => `${(i % 28) + 1}/01/2024`), 'not a date'];
  const column = infer(values);
  assert.equal(column.type, ColumnType.text);
  assert.deepEqual(column.formatsByType[ColumnType.date], { format: ValueFormat.dmy, nullTokens: false });
});

test('zero-padded four-digit codes (HHMM times) stay text: a bare year is read as a date only when plausible', () => {
  assert.equal(infer(['0900', '1001', '1330', '0015']).type, ColumnType.text);
  assert.equal(infer(['0900', '0930']).type, ColumnType.text);
  // Plausible, unpadded years are integers unless a year reading is asked for (--types year=date).
  assert.equal(infer(['1999', '2024', '1850']).type, ColumnType.int);
  const forced = new ColumnTypeAccumulator(1, candidatesFor({}, false));
  for (const value of ['1999', '2024', '1850']) forced.addValue(0, value);
  assert.deepEqual(forced.result([ColumnType.date])[0].format, { format: ValueFormat.year, nullTokens: false });
  const codes = new ColumnTypeAccumulator(1, candidatesFor({}, false));
  for (const value of ['0900', '1001']) codes.addValue(0, value);
  assert.equal(codes.result([ColumnType.date])[0].formatsByType[ColumnType.date], undefined, 'no date format fits 0900');
});

test('phone numbers with a leading + stay text; a short signed number is a number', () => {
  assert.equal(infer(['+31612345678', '+4915123456789', '+14155550123']).type, ColumnType.text);
  assert.equal(infer(['+5', '-3', '+1200']).type, ColumnType.int);
  assert.equal(infer(['+1.5', '-2.25']).type, ColumnType.float);
});

test('integers beyond bigint are numeric (every digit kept); a double near its limit is still a double', () => {
  assert.equal(infer(['12345678901234567890', '98765432109876543210']).type, ColumnType.numeric);
  assert.equal(infer(['1', '12345678901234567890', '2.5']).type, ColumnType.numeric);
  assert.equal(infer(['1.79769e+308', '-1.79769e+308', '2.2250738585072014e-308']).type, ColumnType.float);
  assert.equal(infer(['1.5', '1e400']).type, ColumnType.numeric);
});
