/**
 * The record parser and the row-boundary scanner against csv-parser, the reference Sluice promises
 * to agree with. Each record is checked three ways: against an explicit expectation (so a change
 * in both Sluice and csv-parser is still noticed), against csv-parser fed the record in ONE write
 * (its streaming splits have quirks at buffer edges), and — for the row scanner — against a naive
 * quote-parity scan and csv-parser's own record offsets.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import csvParser from 'csv-parser';
import { CR, type CsvDialect, csvDialect, DOUBLE_QUOTE, LF } from '../../../src/formats/csv/dialect.js';
import { parseCell, parseRecord } from '../../../src/formats/csv/record-parser.js';
import { countByte, lastRowEnd, nextRowEnd } from '../../../src/formats/csv/row-boundary.js';

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
}

const RECORD_CASES: RecordCase[] = [
  { name: 'plain fields', record: 'a,b,c', expected: ['a', 'b', 'c'] },
  { name: 'doubled quotes inside a quoted field', record: '"a""b",c', expected: ['a"b', 'c'] },
  { name: 'a field that is one escaped quote', record: '"""",x', expected: ['"', 'x'] },
  { name: 'escaped quote just before the closing quote', record: '"a""",b', expected: ['a"', 'b'] },
  // A quote mid-field opens quoting; the later quote is not before a delimiter, so it does not
  // close, and the comma after it is inside quotes: one field, verbatim.
  { name: 'quote mid-field swallowing the delimiter', record: 'ab"c"d,e', expected: ['ab"c"d,e'] },
  { name: 'quote mid-field closed before the delimiter', record: 'ab"c",d', expected: ['ab"c"', 'd'] },
  { name: 'doubled quote in an unquoted field', record: 'a""b,c', expected: ['a"b,c'] },
  { name: 'text after a closing quote', record: '"a"b,c', expected: ['"a"b,c'] },
  { name: 'escaped quote then delimiter in an unclosed field', record: '"a"",b', expected: ['"a",b'] },
  { name: 'space between closing quote and delimiter', record: '"x"  ,y', expected: ['"x"  ,y'] },
  { name: 'space before the opening quote', record: '  "x",y', expected: ['  "x"', 'y'] },
  { name: 'trailing delimiter', record: 'a,b,', expected: ['a', 'b', ''] },
  { name: 'only a delimiter', record: ',', expected: ['', ''] },
  { name: 'only delimiters', record: ',,', expected: ['', '', ''] },
  { name: 'empty middle field', record: 'a,,b', expected: ['a', '', 'b'] },
  { name: 'empty quoted field', record: 'a,"",c', expected: ['a', '', 'c'] },
  { name: 'two empty quoted fields', record: '"",""', expected: ['', ''] },
  { name: 'one empty quoted field', record: '""', expected: [''] },
  { name: 'single quote character', record: '"', expected: [''] },
  { name: 'single quote character after a delimiter', record: 'a,"', expected: ['a', ''] },
  { name: 'unclosed quoted field', record: '"abc', expected: ['"abc'] },
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
];

describe('parseRecord agrees with csv-parser', () => {
  for (const c of RECORD_CASES) {
    test(c.name, async () => {
      const dialect: CsvDialect = csvDialect({ delimiter: c.delimiter ?? COMMA, quote: c.quote ?? DOUBLE_QUOTE, newline: LF });
      const bytes = bytesOf(c.record);
      assert.deepEqual(parseRecord(bytes, 0, bytes.length, dialect), c.expected, 'parseRecord');

      // The same record in the middle of a larger buffer, after a BOM-like prefix and before a
      // row terminator: start/end must be honoured, nothing outside them read.
      const framed = Buffer.concat([bytesOf('\uFEFFjunk\n'), bytes, bytesOf('\r\nmore,"')]);
      const from = bytesOf('\uFEFFjunk\n').length;
      assert.deepEqual(parseRecord(framed, from, from + bytes.length, dialect), c.expected, 'parseRecord on a sub-range');

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
    ['"', ''],
    ['""', ''],
    ['"""', '"'],
    ['""""', '"'],
    ['a""b', 'a"b'],
    ['"a', '"a'],
    ['a"', 'a"'],
    ['plain', 'plain'],
    ['"ü""😀"', 'ü"😀'],
    ['', ''],
  ];
  for (const [cell, expected] of cases) {
    test(`${JSON.stringify(cell)} → ${JSON.stringify(expected)}`, () => {
      const bytes = bytesOf(cell);
      assert.equal(parseCell(bytes, 0, bytes.length, DOUBLE_QUOTE), expected);
    });
  }

  test('reads only [start, end) of a view that does not start at its buffer\'s beginning', () => {
    const backing = new ArrayBuffer(64);
    const all = new Uint8Array(backing);
    all.set(bytesOf('zz"q""r"yy,"plain"'), 5);
    const view = new Uint8Array(backing, 3, 40);
    // In the view: index 0..1 are zeros, 2..3 'zz', 4..9 '"q""r"', then 'yy', ',', '"plain"'.
    assert.equal(parseCell(view, 4, 10, DOUBLE_QUOTE), 'q"r');
    assert.equal(parseCell(view, 13, 20, DOUBLE_QUOTE), 'plain');
    assert.equal(parseCell(view, 10, 12, DOUBLE_QUOTE), 'yy');
  });

  test('the apostrophe as the quote leaves double quotes alone', () => {
    const bytes = bytesOf('\'say "hi"\'\'\'');
    assert.equal(parseCell(bytes, 0, bytes.length, APOSTROPHE), 'say "hi"\'');
  });
});

/** Every index just after a newline outside quotes, scanning from a row start — the naive way. */
function naiveRowEnds(bytes: Uint8Array, from: number, quote: number, newline: number): number[] {
  const ends: number[] = [];
  let inQuotes = false;
  for (let i = from; i < bytes.length; i++) {
    if (bytes[i] === quote) inQuotes = !inQuotes;
    else if (bytes[i] === newline && !inQuotes) ends.push(i + 1);
  }
  return ends;
}

function naiveCount(bytes: Uint8Array, byte: number, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i++) if (bytes[i] === byte) count++;
  return count;
}

/** lastRowEnd and nextRowEnd for every `to` from every row start, against the naive scan. */
function checkBoundaries(bytes: Uint8Array, quote: number, newline: number): void {
  const starts = [0, ...naiveRowEnds(bytes, 0, quote, newline).filter((e) => e < bytes.length)];
  for (const from of starts) {
    const ends = naiveRowEnds(bytes, from, quote, newline);
    for (let to = from; to <= bytes.length; to++) {
      const within = ends.filter((e) => e <= to);
      const expectedLast = within.length > 0 ? within[within.length - 1] : -1;
      assert.equal(lastRowEnd(bytes, from, to, csvDialect({ quote: quote, newline: newline })), expectedLast, `lastRowEnd(${from}, ${to})`);
      const next = nextRowEnd(bytes, from, to, csvDialect({ quote: quote, newline: newline }));
      if (within.length > 0) {
        assert.deepEqual(next, { end: within[0], unclosedQuote: false }, `nextRowEnd(${from}, ${to})`);
      } else {
        assert.deepEqual(next, { end: to, unclosedQuote: naiveCount(bytes, quote, from, to) % 2 === 1 }, `nextRowEnd(${from}, ${to})`);
      }
    }
  }
}

/** Row starts as csv-parser finds them must be 0 and every row end before the end of the text. */
async function checkAgainstCsvParser(bytes: Uint8Array, newline: number, quote = DOUBLE_QUOTE): Promise<void> {
  const records = await referenceRecords(bytes, { newline: String.fromCharCode(newline), quote: String.fromCharCode(quote) });
  const starts = [0, ...naiveRowEnds(bytes, 0, quote, newline).filter((e) => e < bytes.length)];
  assert.deepEqual(records.map((r) => r.byteOffset), starts, 'csv-parser record offsets');
  // And the scanner reaches the same ends walking forward with nextRowEnd.
  const walked: number[] = [];
  for (let at = 0; at < bytes.length;) {
    walked.push(at);
    at = nextRowEnd(bytes, at, bytes.length, csvDialect({ quote: quote, newline: newline })).end;
  }
  assert.deepEqual(walked, starts, 'nextRowEnd walk');
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

describe('row boundaries (quote parity)', () => {
  const lfText = 'a,b\n"x\ny",z\n"p""q\n",r\n\n"""",\n"end\n';
  const crlfText = 'h1,h2\r\n"multi\r\nline",2\r\n\r\n3,"4""\r\n"\r\nlast,row';
  const crText = 'a\r"b\rc"\rd,"e""\r"\r\rlast';

  test('LF: every (from, to) agrees with the naive scan', () => checkBoundaries(bytesOf(lfText), DOUBLE_QUOTE, LF));
  test('CRLF (newline LF): every (from, to) agrees with the naive scan', () => checkBoundaries(bytesOf(crlfText), DOUBLE_QUOTE, LF));
  test('CR-only newline: every (from, to) agrees with the naive scan', () => checkBoundaries(bytesOf(crText), DOUBLE_QUOTE, CR));
  test('apostrophe quote: double quotes are ordinary bytes', () => checkBoundaries(bytesOf('a,"b\n\'c\nd\',"\n\'\'\'\',x\n"'), APOSTROPHE, LF));

  test('CR-only newline: explicit ends', () => {
    const bytes = bytesOf(crText);
    // 'a\r' ends at 2; '"b\rc"\r' at 8; 'd,"e""\r"\r' at 17; the blank '\r' at 18.
    assert.deepEqual(naiveRowEnds(bytes, 0, DOUBLE_QUOTE, CR), [2, 8, 17, 18]);
    assert.equal(lastRowEnd(bytes, 0, bytes.length, csvDialect({ quote: DOUBLE_QUOTE, newline: CR })), 18);
    assert.equal(lastRowEnd(bytes, 2, 7, csvDialect({ quote: DOUBLE_QUOTE, newline: CR })), -1, 'the CR inside quotes does not end a row');
    assert.equal(lastRowEnd(bytes, 2, 16, csvDialect({ quote: DOUBLE_QUOTE, newline: CR })), 8);
    assert.deepEqual(nextRowEnd(bytes, 8, bytes.length, csvDialect({ quote: DOUBLE_QUOTE, newline: CR })), { end: 17, unclosedQuote: false });
    // With LF as the newline, nothing ends.
    assert.equal(lastRowEnd(bytes, 0, bytes.length, csvDialect({ quote: DOUBLE_QUOTE, newline: LF })), -1);
  });

  test('explicit ends around quoted newlines and an unclosed quote', () => {
    const bytes = bytesOf(lfText);
    assert.deepEqual(naiveRowEnds(bytes, 0, DOUBLE_QUOTE, LF), [4, 12, 22, 23, 29]);
    assert.equal(lastRowEnd(bytes, 0, 11, csvDialect({ quote: DOUBLE_QUOTE, newline: LF })), 4, 'the LF inside "x\\ny" is not a row end');
    assert.equal(lastRowEnd(bytes, 4, 11, csvDialect({ quote: DOUBLE_QUOTE, newline: LF })), -1);
    assert.deepEqual(nextRowEnd(bytes, 29, bytes.length, csvDialect({ quote: DOUBLE_QUOTE, newline: LF })), { end: bytes.length, unclosedQuote: true });
    assert.deepEqual(nextRowEnd(bytes, 22, bytes.length, csvDialect({ quote: DOUBLE_QUOTE, newline: LF })), { end: 23, unclosedQuote: false }, 'a blank line is a row');
    assert.deepEqual(nextRowEnd(bytes, 23, bytes.length, csvDialect({ quote: DOUBLE_QUOTE, newline: LF })), { end: 29, unclosedQuote: false });
  });

  test('dense quotes (> 64 per range, the byte-loop branch of countByte)', () => {
    const bytes = bytesOf(denseQuotes(6, '\n'));
    assert.ok(naiveCount(bytes, DOUBLE_QUOTE, 0, bytes.length) > 300);
    checkBoundaries(bytes, DOUBLE_QUOTE, LF);
  });

  test('dense quotes with CRLF and with CR-only newlines', () => {
    checkBoundaries(bytesOf(denseQuotes(4, '\r\n')), DOUBLE_QUOTE, LF);
    checkBoundaries(bytesOf(denseQuotes(4, '\r')), DOUBLE_QUOTE, CR);
  });

  test('csv-parser finds the same record starts', async () => {
    await checkAgainstCsvParser(bytesOf(lfText), LF);
    await checkAgainstCsvParser(bytesOf(crlfText), LF);
    await checkAgainstCsvParser(bytesOf(crText), CR);
    await checkAgainstCsvParser(bytesOf(denseQuotes(5, '\n')), LF);
    await checkAgainstCsvParser(bytesOf(denseQuotes(5, '\r')), CR);
  });
});

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
