import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CellKind, excelSerialToDate, formulaResult, headerText, isDateFormat, type RenderedCell, renderCell } from '../../../src/formats/xlsx/cell-field.js';
import { columnTypeOfKinds, datesNeedWidening } from '../../../src/formats/xlsx/column-type-of-kinds.js';

function render(value: unknown): [number, string] {
  const out: RenderedCell = { kind: -1, field: '?' };
  renderCell(value, out);
  return [out.kind, out.field];
}

describe('renderCell: an Excel value as a CSV field', () => {
  test('numbers keep their kind: int32, int64, float', () => {
    assert.deepEqual(render(42), [CellKind.int32, '42']);
    assert.deepEqual(render(-2147483648), [CellKind.int32, '-2147483648']);
    assert.deepEqual(render(2147483648), [CellKind.int64, '2147483648']);
    assert.deepEqual(render(2 ** 62), [CellKind.int64, '4611686018427387904']);
    assert.deepEqual(render(-(2 ** 63)), [CellKind.int64, '-9223372036854775808']);
    // As a float, the shortest digits that read back as the same double.
    assert.deepEqual(render(2 ** 63), [CellKind.float, '9223372036854776000']);
    assert.deepEqual(render(-2147483649), [CellKind.int64, '-2147483649']);
    assert.deepEqual(render(0.1), [CellKind.float, '0.1']);
    assert.deepEqual(render(1e-9), [CellKind.float, '0.000000001']);
    assert.deepEqual(render(Number.NaN), [CellKind.empty, '']);
  });

  test('dates: a date at midnight, a wall-clock timestamp (ISO 8601, no offset: Excel has no zones) otherwise', () => {
    assert.deepEqual(render(new Date(Date.UTC(2024, 1, 29))), [CellKind.date, '2024-02-29']);
    assert.deepEqual(render(new Date(Date.UTC(2024, 1, 29, 13, 5, 7, 250))), [CellKind.timestamp, '2024-02-29T13:05:07.250']);
    assert.deepEqual(render(new Date(Number.NaN)), [CellKind.empty, '']);
  });

  test('strings are always quoted, with quotes doubled; booleans are true/false', () => {
    assert.deepEqual(render('plain'), [CellKind.text, '"plain"']);
    assert.deepEqual(render(''), [CellKind.text, '""']);
    assert.deepEqual(render('say "hi", twice\nok'), [CellKind.text, '"say ""hi"", twice\nok"']);
    assert.deepEqual(render('007'), [CellKind.text, '"007"']);
    assert.deepEqual(render(true), [CellKind.bool, 'true']);
    assert.deepEqual(render(false), [CellKind.bool, 'false']);
  });

  test('rich text is its plain text; hyperlinks their text; errors and blanks are missing values', () => {
    assert.deepEqual(render({ richText: [{ text: 'ab', font: { bold: true } }, { text: 'c' }, { text: null }] }), [CellKind.text, '"abc"']);
    assert.deepEqual(render({ text: 'site', hyperlink: 'https://example.com' }), [CellKind.text, '"site"']);
    assert.deepEqual(render({ error: '#DIV/0!' }), [CellKind.empty, '']);
    assert.deepEqual(render(null), [CellKind.empty, '']);
    assert.deepEqual(render(undefined), [CellKind.empty, '']);
  });

  test('a formula is its cached result; a date format makes a numeric result a date', () => {
    assert.deepEqual(render({ formula: 'A1*2', result: 7.5 }), [CellKind.float, '7.5']);
    assert.deepEqual(render({ sharedFormula: 'A1', result: 'x' }), [CellKind.text, '"x"']);
    assert.deepEqual(render({ formula: 'NOW()' }), [CellKind.empty, '']);
    const dated = formulaResult({ formula: 'DATE(2024,5,17)', result: 45429 }, 'dd/mm/yyyy', false);
    assert.deepEqual(render(dated), [CellKind.date, '2024-05-17']);
    assert.equal(formulaResult({ formula: 'A1', result: 45429 }, '0.00', false), 45429);
    // The 1904 date system counts from 1904-01-01.
    assert.equal(excelSerialToDate(0, true).toISOString(), '1904-01-01T00:00:00.000Z');
  });

  test('date formats are told from number formats as exceljs tells them', () => {
    for (const format of ['yyyy-mm-dd', 'dd/mm/yyyy', 'h:mm AM/PM', 'mmm-yy', '[$-409]d-mmm-yy']) assert.equal(isDateFormat(format), true, format);
    for (const format of ['General', '0.00', '#,##0', '"days" 0', '[Red]0.0', undefined]) assert.equal(isDateFormat(format), false, String(format));
  });

  test('header text is what the cell shows, unquoted', () => {
    const scratch: RenderedCell = { kind: 0, field: '' };
    assert.equal(headerText('Total "net"', scratch), 'Total "net"');
    assert.equal(headerText(2024, scratch), '2024');
    assert.equal(headerText(new Date(Date.UTC(2024, 0, 1)), scratch), '2024-01-01');
    assert.equal(headerText({ richText: [{ text: 'A' }, { text: 'B' }] }, scratch), 'AB');
    assert.equal(headerText({ formula: 'B1', result: 'Sum' }, scratch), 'Sum');
    assert.equal(headerText({ error: '#REF!' }, scratch), '');
  });
});

describe('columnTypeOfKinds: a column type from every cell', () => {
  const { int32, int64, float, date, timestamp, bool, text } = CellKind;
  test('one kind keeps its type; numbers and dates widen; anything mixed is text', () => {
    assert.equal(columnTypeOfKinds(int32), 'int');
    assert.equal(columnTypeOfKinds(int32 | int64), 'bigint');
    assert.equal(columnTypeOfKinds(int32 | float), 'float');
    assert.equal(columnTypeOfKinds(int64 | float), 'float');
    assert.equal(columnTypeOfKinds(bool), 'bool');
    assert.equal(columnTypeOfKinds(date), 'date');
    assert.equal(columnTypeOfKinds(timestamp), 'timestamptz');
    assert.equal(columnTypeOfKinds(date | timestamp), 'timestamptz');
    assert.equal(columnTypeOfKinds(text), 'text');
    assert.equal(columnTypeOfKinds(int32 | bool), 'text');
    assert.equal(columnTypeOfKinds(date | int32), 'text');
    assert.equal(columnTypeOfKinds(0), 'text');
  });

  test('midnight dates are widened only in a column that also holds date-times', () => {
    assert.equal(datesNeedWidening(date | timestamp), true);
    assert.equal(datesNeedWidening(date), false);
    assert.equal(datesNeedWidening(timestamp), false);
    assert.equal(datesNeedWidening(date | text), false);
  });
});
