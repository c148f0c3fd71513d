import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ColumnType, type ColumnTypeCode } from '../../src/schema/column-type.js';
import { type ColumnFormat, isNullToken, normaliseValue, scratchBuffer, ValueFormat, type ValueFormatCode } from '../../src/schema/value-format.js';

function normalise(type: ColumnTypeCode, format: ValueFormatCode, value: string, nullTokens = false): string | null {
  const bytes = Buffer.from(`<${value}>`);
  const out = scratchBuffer();
  const columnFormat: ColumnFormat = { format, nullTokens };
  const length = normaliseValue(type, columnFormat, bytes, 1, bytes.length - 1, out);
  return length < 0 ? null : Buffer.from(out.subarray(0, length)).toString('latin1');
}

test('numbers with thousands separators and decimal commas become plain decimals', () => {
  const cases: [ColumnTypeCode, ValueFormatCode, string, string | null][] = [
    [ColumnType.float, ValueFormat.thousandsComma, '1,234,567.89', '1234567.89'],
    [ColumnType.int, ValueFormat.thousandsComma, '-12,000', '-12000'],
    [ColumnType.float, ValueFormat.thousandsDot, '1.234.567,89', '1234567.89'],
    [ColumnType.float, ValueFormat.thousandsDot, '3,14', '3.14'],
    [ColumnType.int, ValueFormat.thousandsDot, '1.000', '1000'],
    [ColumnType.float, ValueFormat.thousandsSpace, '1 234,5', '1234.5'],
    [ColumnType.float, ValueFormat.thousandsSpace, '1\u00a0234,5', '1234.5'],
    [ColumnType.float, ValueFormat.thousandsComma, ' 7.25 ', '7.25'],
    // Groups of three after the first, or it is not a number in this style.
    [ColumnType.int, ValueFormat.thousandsComma, '1,23', null],
    [ColumnType.int, ValueFormat.thousandsComma, '1234,567', null],
    [ColumnType.float, ValueFormat.thousandsDot, '1,2,3', null],
    [ColumnType.int, ValueFormat.thousandsDot, '3,14', null],
    [ColumnType.int, ValueFormat.thousandsComma, '3,000,000,000', null],
    [ColumnType.bigint, ValueFormat.thousandsComma, '3,000,000,000', '3000000000'],
  ];
  for (const [type, format, value, expected] of cases) assert.equal(normalise(type, format, value), expected, `${value} as ${format}`);
});

test('dates in day-first, month-first, slash, month-name and year-month forms become ISO', () => {
  const cases: [ColumnTypeCode, ValueFormatCode, string, string | null][] = [
    [ColumnType.date, ValueFormat.dmy, '31/12/2023', '2023-12-31'],
    [ColumnType.date, ValueFormat.dmy, '1.2.2024', '2024-02-01'],
    [ColumnType.date, ValueFormat.dmy, '29-02-2023', null],
    [ColumnType.date, ValueFormat.mdy, '12/31/2023', '2023-12-31'],
    [ColumnType.date, ValueFormat.mdy, '31/12/2023', null],
    [ColumnType.date, ValueFormat.ymdSlash, '2001/01/01', '2001-01-01'],
    [ColumnType.timestamptz, ValueFormat.ymdSlash, '2001/01/01 00:47', '2001-01-01 00:47:00'],
    [ColumnType.timestamptz, ValueFormat.mdy, '03/04/2024 1:05 PM', '2024-03-04 13:05:00'],
    [ColumnType.timestamptz, ValueFormat.mdy, '03/04/2024 12:05 AM', '2024-03-04 00:05:00'],
    [ColumnType.timestamptz, ValueFormat.dmy, '04.03.2024 23:59:59.125', '2024-03-04 23:59:59.125'],
    [ColumnType.date, ValueFormat.monthDayYear, 'Jan 1 2000', '2000-01-01'],
    [ColumnType.date, ValueFormat.monthDayYear, 'January 1, 2000', '2000-01-01'],
    [ColumnType.date, ValueFormat.monthDayYear, 'Sept. 9, 2001', '2001-09-09'],
    [ColumnType.date, ValueFormat.dayMonthYear, '1-Jan-2000', '2000-01-01'],
    [ColumnType.date, ValueFormat.dayMonthYear, '01-JAN-2000', '2000-01-01'],
    [ColumnType.date, ValueFormat.dayMonthYear, '15 March 2021', '2021-03-15'],
    [ColumnType.date, ValueFormat.dayMonthYear, '15 Mars 2021', null],
    [ColumnType.date, ValueFormat.yearMonth, '2024-02', '2024-02-01'],
    [ColumnType.date, ValueFormat.yearMonth, '2024-13', null],
    [ColumnType.date, ValueFormat.year, '2019', '2019-01-01'],
    [ColumnType.date, ValueFormat.year, '1800', '1800-01-01'],
    [ColumnType.date, ValueFormat.year, '2100', '2100-01-01'],
    [ColumnType.date, ValueFormat.year, '1799', null],
    [ColumnType.date, ValueFormat.year, '2101', null],
    [ColumnType.date, ValueFormat.year, '0900', null],
    [ColumnType.date, ValueFormat.yearMonth, '0900-01', null],
    // A date column does not take a time of day; a timestamp column takes a bare date as midnight.
    [ColumnType.date, ValueFormat.dmy, '31/12/2023 10:00', null],
    [ColumnType.timestamptz, ValueFormat.dmy, '31/12/2023', '2023-12-31 00:00:00'],
    [ColumnType.timestamptz, ValueFormat.mdy, '13/01/2024 10:00', null],
    [ColumnType.timestamptz, ValueFormat.mdy, '01/13/2024 25:00', null],
  ];
  for (const [type, format, value, expected] of cases) assert.equal(normalise(type, format, value), expected, `${value} as ${format}`);
});

test('epoch seconds and milliseconds become UTC timestamps, only within 1980..2100', () => {
  assert.equal(normalise(ColumnType.timestamptz, ValueFormat.epochSeconds, '1700000000'), '2023-11-14 22:13:20Z');
  assert.equal(normalise(ColumnType.timestamptz, ValueFormat.epochMillis, '1700000000123'), '2023-11-14 22:13:20.123Z');
  assert.equal(normalise(ColumnType.timestamptz, ValueFormat.epochSeconds, '951782400'), '2000-02-29 00:00:00Z');
  assert.equal(normalise(ColumnType.timestamptz, ValueFormat.epochSeconds, '12345'), null);
  assert.equal(normalise(ColumnType.timestamptz, ValueFormat.epochSeconds, '99999999999'), null);
  assert.equal(normalise(ColumnType.timestamptz, ValueFormat.epochSeconds, '1.5e9'), null);
});

test('null tokens load as NULL (empty output) only where the column has them', () => {
  for (const token of ['NULL', 'null', 'NA', 'n/a', 'N/A', '\\N', 'None', 'NaN', ' NA ', '#N/A']) {
    assert.equal(isNullToken(Buffer.from(token), 0, Buffer.byteLength(token)), true, token);
    assert.equal(normalise(ColumnType.int, ValueFormat.plain, token, true), '', token);
  }
  for (const value of ['N', 'NAN1', 'Nadia', '0', '-']) assert.equal(isNullToken(Buffer.from(value), 0, value.length), false, value);
  assert.equal(normalise(ColumnType.int, ValueFormat.plain, 'NA', false), null);
  assert.equal(normalise(ColumnType.int, ValueFormat.plain, '42', true), '42');
});
