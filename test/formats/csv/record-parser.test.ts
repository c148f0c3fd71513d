/**
 * The record parser: every record against an explicit expectation of the lenient RFC 4180 reading
 * (dialect.ts), and well-formed records also against csv-parser fed the record in ONE write (its
 * streaming splits have quirks at buffer edges). Row boundaries: row-boundary.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import csvParser from 'csv-parser';
import { BACKSLASH, type CsvDialect, csvDialect, DOUBLE_QUOTE, LF, NONE } from '../../../src/formats/csv/dialect.js';
import { parseCell, parseRecord } from '../../../src/formats/csv/record-parser.js';
import { countByte } from '../../../src/formats/csv/row-boundary.js';

const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const TAB = 0x09;
const APOSTROPHE = 0x27;

interface ReferenceRecord {
  values: string[];
  byteOffset: number;
}

/** csv-parser's records (headers: false), blank lines included as empty arrays; the text in ONE write. */
function referenceRecords(bytes: Uint8Array, options: { separator?: string; quote?: string; newline?: string } = {}): Promise<ReferenceRecord[]> {
  return new Promise((resolve, reject) => {
    const records: ReferenceRecord[] = [];
    const parser = csvParser({ headers: false, outputByteOffset: true, ...options } as csvParser.Options);
    parser.on('data', (item: { row: Record<string, string>; byteOffset: number }) => {
      records.push({ values: Object.values(item.row), byteOffset: item.byteOffset });
    });
    parser.on('end', () => resolve(records));
    parser.on('error', reject);
    parser.end(Buffer.from(bytes));
  });
}

function bytesOf(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

interface RecordCase {
  name: string;
  record: string;
  expected: string[];
  delimiter?: number;
  quote?: number;
  escape?: number;
  /** Not well-formed RFC 4180 (or another dialect): csv-parser reads it otherwise. */
  lenient?: boolean;
}

const RECORD_CASES: RecordCase[] = [
  { name: 'plain fields', record: 'a,b,c', expected: ['a', 'b', 'c'] },
  { name: 'doubled quotes inside a quoted field', record: '"a""b",c', expected: ['a"b', 'c'] },
  { name: 'a field that is one escaped quote', record: '"""",x', expected: ['"', 'x'] },
  { name: 'escaped quote just before the closing quote', record: '"a""",b', expected: ['a"', 'b'] },
  // A quote that does not start a field is text (csv-parser would open quoting there).
  { name: 'quote mid-field is text', record: 'ab"c"d,e', expected: ['ab"c"d', 'e'], lenient: true },
  { name: 'quote mid-field before the delimiter is text', record: 'ab"c",d', expected: ['ab"c"', 'd'] },
  { name: 'an inch mark in an unquoted field', record: '1,pizza 12" large,3', expected: ['1', 'pizza 12" large', '3'], lenient: true },
  { name: 'doubled quote in an unquoted field stays doubled', record: 'a""b,c', expected: ['a""b', 'c'], lenient: true },
  // Inside a quoted field a quote not followed by a delimiter or the end is text.
  { name: 'a quote inside a quoted field before a space', record: '"XXX: "XXX XXX",y', expected: ['XXX: "XXX XXX', 'y'], lenient: true },
  { name: 'quotes inside a quoted field around a word', record: '"say "hi" now",2', expected: ['say "hi" now', '2'], lenient: true },
  { name: 'a quote inside a quoted field before a letter, then closed', record: '"a"b",c', expected: ['a"b', 'c'], lenient: true },
  // Never closed: the record is not well-formed; the field reads as written.
  { name: 'text after a quote that never closes', record: '"a"b,c', expected: ['"a"b,c'], lenient: true },
  { name: 'escaped quote then delimiter in an unclosed field', record: '"a"",b', expected: ['"a"",b'], lenient: true },
  { name: 'space between closing quote and delimiter: not a close', record: '"x"  ,y', expected: ['"x"  ,y'], lenient: true },
  { name: 'space before the opening quote', record: '  "x",y', expected: ['  "x"', 'y'] },
  { name: 'trailing delimiter', record: 'a,b,', expected: ['a', 'b', ''] },
  { name: 'only a delimiter', record: ',', expected: ['', ''] },
  { name: 'only delimiters', record: ',,', expected: ['', '', ''] },
  { name: 'empty middle field', record: 'a,,b', expected: ['a', '', 'b'] },
  { name: 'empty quoted field', record: 'a,"",c', expected: ['a', '', 'c'] },
  { name: 'two empty quoted fields', record: '"",""', expected: ['', ''] },
  { name: 'one empty quoted field', record: '""', expected: [''] },
  { name: 'single quote character', record: '"', expected: ['"'], lenient: true },
  { name: 'single quote character after a delimiter', record: 'a,"', expected: ['a', '"'], lenient: true },
  { name: 'unclosed quoted field', record: '"abc', expected: ['"abc'], lenient: true },
  { name: 'quote as the last byte', record: 'abc"', expected: ['abc"'] },
  { name: 'spaces are data', record: ' a , b ', expected: [' a ', ' b '] },
  { name: 'quoted delimiter', record: '"a,b",c', expected: ['a,b', 'c'] },
  { name: 'quoted LF', record: '"a\nb",c', expected: ['a\nb', 'c'] },
  { name: 'quoted CRLF and bare CR', record: '"a\r\nb","c\rd"', expected: ['a\r\nb', 'c\rd'] },
  { name: 'multi-byte and astral characters', record: 'é,"日本",😀', expected: ['é', '日本', '😀'] },
  { name: 'semicolon delimiter', record: 'a;"b;c";d', expected: ['a', 'b;c', 'd'], delimiter: SEMICOLON },
  { name: 'semicolon delimiter: commas are data', record: '1,5;"x,y";', expected: ['1,5', 'x,y', ''], delimiter: SEMICOLON },
  { name: 'semicolon delimiter: escaped quote then delimiter', record: '"a"";b";c', expected: ['a";b', 'c'], delimiter: SEMICOLON },
  { name: 'tab delimiter', record: 'a\t"b\tc"\t', expected: ['a', 'b\tc', ''], delimiter: TAB },
  { name: 'tab delimiter with quoted fields', record: '"x"\t""\t"y""z"', expected: ['x', '', 'y"z'], delimiter: TAB },
  { name: 'apostrophe as quote', record: '\'it\'\'s\',"x"', expected: ['it\'s', '"x"'], quote: APOSTROPHE },
  // Backslash escapes (a dialect option): the byte after the escape is text, quoted or not.
  { name: 'escaped quote inside a quoted field', record: '"a \\"b\\" c",d', expected: ['a "b" c', 'd'], escape: BACKSLASH, lenient: true },
  { name: 'escaped backslash before the closing quote', record: '"a\\\\",b', expected: ['a\\', 'b'], escape: BACKSLASH, lenient: true },
  { name: 'escaped delimiter in an unquoted field', record: 'a\\,b,c', expected: ['a,b', 'c'], escape: BACKSLASH, lenient: true },
  { name: 'escaped newline in an unquoted field', record: 'a\\\nb,c', expected: ['a\nb', 'c'], escape: BACKSLASH, lenient: true },
  { name: 'doubled quotes still read with an escape', record: '"a""b",c', expected: ['a"b', 'c'], escape: BACKSLASH },
  { name: '\\N alone is NULL (empty)', record: '\\N,x', expected: ['', 'x'], escape: BACKSLASH, lenient: true },
  // No quoting (a dialect option): quotes are text everywhere.
  { name: 'no quote: quotes are text', record: '"x\ty"\t"z', expected: ['"x', 'y"', '"z'], delimiter: TAB, quote: NONE, lenient: true },
];

describe('parseRecord: the lenient RFC 4180 reading, and csv-parser\'s on well-formed records', () => {
  for (const c of RECORD_CASES) {
    test(c.name, async () => {
      const dialect: CsvDialect = csvDialect({ delimiter: c.delimiter ?? COMMA, quote: c.quote ?? DOUBLE_QUOTE, escape: c.escape ?? NONE, newline: LF });
      const bytes = bytesOf(c.record);
      assert.deepEqual(parseRecord(bytes, 0, bytes.length, dialect), c.expected, 'parseRecord');

      // The same record in the middle of a larger buffer, after a BOM-like prefix and before a
      // row terminator: start/end must be honoured, nothing outside them read.
      const framed = Buffer.concat([bytesOf('\uFEFFjunk\n'), bytes, bytesOf('\r\nmore,"')]);
      const from = bytesOf('\uFEFFjunk\n').length;
      assert.deepEqual(parseRecord(framed, from, from + bytes.length, dialect), c.expected, 'parseRecord on a sub-range');
      if (c.lenient === true) return;

      const options = { separator: String.fromCharCode(dialect.delimiter), quote: String.fromCharCode(dialect.quote) };
      // Without a terminator csv-parser reads the record at end of input, whatever the quote state.
      const reference = await referenceRecords(bytes, options);
      assert.equal(reference.length, 1, 'csv-parser sees one record');
      assert.deepEqual(reference[0].values, c.expected, 'csv-parser');
      const quotes = countByte(bytes, dialect.quote, 0, bytes.length);
      if (quotes % 2 === 0) {
        // Balanced quotes: a terminated record reads the same (the terminator is outside quotes).
        for (const terminator of ['\n', '\r\n']) {
          const terminated = await referenceRecords(bytesOf(c.record + terminator), options);
          assert.deepEqual(terminated.map((r) => r.values), [c.expected], `csv-parser with ${JSON.stringify(terminator)}`);
        }
      }
    });
  }

  test('an empty record has no fields (csv-parser emits {} for a blank line)', async () => {
    assert.deepEqual(parseRecord(bytesOf('x\n\ny'), 2, 2, csvDialect({ delimiter: COMMA, quote: DOUBLE_QUOTE, newline: LF })), []);
    const reference = await referenceRecords(bytesOf('x\n\ny\n'));
    assert.deepEqual(reference.map((r) => r.values), [['x'], [], ['y']]);
  });
});

describe('parseCell', () => {
  const cases: [string, string][] = [
    ['"a""b"', 'a"b'],
    ['"', '"'],
    ['""', ''],
    ['"""', '"""'],
    ['""""', '"'],
    ['a""b', 'a""b'],
    ['"a', '"a'],
    ['a"', 'a"'],
    ['plain', 'plain'],
    ['"ü""😀"', 'ü"😀'],
    ['', ''],
  ];
  for (const [cell, expected] of cases) {
    test(`${JSON.stringify(cell)} → ${JSON.stringify(expected)}`, () => {
      const bytes = bytesOf(cell);
      assert.equal(parseCell(bytes, 0, bytes.length, csvDialect({ quote: DOUBLE_QUOTE })), expected);
    });
  }

  test('reads only [start, end) of a view that does not start at its buffer\'s beginning', () => {
    const backing = new ArrayBuffer(64);
    const all = new Uint8Array(backing);
    all.set(bytesOf('zz"q""r"yy,"plain"'), 5);
    const view = new Uint8Array(backing, 3, 40);
    // In the view: index 0..1 are zeros, 2..3 'zz', 4..9 '"q""r"', then 'yy', ',', '"plain"'.
    assert.equal(parseCell(view, 4, 10, csvDialect({ quote: DOUBLE_QUOTE })), 'q"r');
    assert.equal(parseCell(view, 13, 20, csvDialect({ quote: DOUBLE_QUOTE })), 'plain');
    assert.equal(parseCell(view, 10, 12, csvDialect({ quote: DOUBLE_QUOTE })), 'yy');
  });

  test('the apostrophe as the quote leaves double quotes alone', () => {
    const bytes = bytesOf('\'say "hi"\'\'\'');
    assert.equal(parseCell(bytes, 0, bytes.length, csvDialect({ quote: APOSTROPHE })), 'say "hi"\'');
  });
});

function naiveCount(bytes: Uint8Array, byte: number, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i++) if (bytes[i] === byte) count++;
  return count;
}

/** Rows of 30 quoted fields (dense quotes: one every ~4 bytes), some with quoted newlines. */
function denseQuotes(rows: number, newline: string): string {
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const fields = Array.from({ length: 30 }, (_, k) => (k % 7 === 3 ? `"q${newline}${k}"` : k % 5 === 0 ? '""""' : `"${k}"`));
    lines.push(fields.join(','));
  }
  return lines.join(newline) + newline;
}

describe('countByte', () => {
  function checkAllRanges(bytes: Uint8Array, byte: number, step = 1): void {
    for (let from = 0; from <= bytes.length; from += step) {
      for (let to = from; to <= bytes.length; to += step) {
        assert.equal(countByte(bytes, byte, from, to), naiveCount(bytes, byte, from, to), `countByte(${from}, ${to})`);
      }
    }
  }

  test('dense hits (every byte, every other byte) switch to the byte loop and stay exact', () => {
    checkAllRanges(bytesOf('"'.repeat(300)), DOUBLE_QUOTE);
    checkAllRanges(bytesOf('"a'.repeat(150)), DOUBLE_QUOTE);
    checkAllRanges(bytesOf(denseQuotes(3, '\n')), DOUBLE_QUOTE, 3);
  });

  test('sparse hits (more than 64, fewer than one per 64 bytes) keep using indexOf', () => {
    const sparse = bytesOf(`${'x'.repeat(99)}"`.repeat(150));
    assert.equal(countByte(sparse, DOUBLE_QUOTE, 0, sparse.length), 150);
    checkAllRanges(sparse, DOUBLE_QUOTE, 97);
  });

  test('sparse then dense, and dense then sparse', () => {
    const sparseThenDense = bytesOf(`${`${'y'.repeat(80)}"`.repeat(70)}${'"'.repeat(200)}${'z'.repeat(50)}`);
    const denseThenSparse = bytesOf(`${'"'.repeat(100)}${`${'y'.repeat(80)}"`.repeat(70)}`);
    for (const bytes of [sparseThenDense, denseThenSparse]) {
      assert.equal(countByte(bytes, DOUBLE_QUOTE, 0, bytes.length), naiveCount(bytes, DOUBLE_QUOTE, 0, bytes.length));
      checkAllRanges(bytes, DOUBLE_QUOTE, 41);
    }
  });

  test('counts only within [from, to)', () => {
    const bytes = bytesOf('""x""x""');
    assert.equal(countByte(bytes, DOUBLE_QUOTE, 2, 6), 2);
    assert.equal(countByte(bytes, DOUBLE_QUOTE, 3, 3), 0);
    assert.equal(countByte(bytes, DOUBLE_QUOTE, 0, bytes.length), 6);
    assert.equal(countByte(bytes, 0x78, 0, bytes.length), 2);
  });
});
