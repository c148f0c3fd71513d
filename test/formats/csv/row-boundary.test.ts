/**
 * Row boundaries by the lenient RFC 4180 rule (row-boundary.ts): explicit ends for the cases the
 * rule is about (stray quotes, quotes inside quoted fields, unclosed quotes and resynchronising),
 * the planner's fast scan against the reference record-by-record reading for every (from, to) on
 * random text, and csv-parser's record offsets on well-formed text.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import csvParser from 'csv-parser';
import fc from 'fast-check';
import { BACKSLASH, CR, type CsvDialect, csvDialect, DOUBLE_QUOTE, HASH, LF, NONE } from '../../../src/formats/csv/dialect.js';
import { lastRowEnd, nextRowEnd, RecordKind } from '../../../src/formats/csv/row-boundary.js';

function bytesOf(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** The record ends (just after each terminator) walking from `from` with the reference reading, the data ending at `to` (not final). */
function walkedEnds(bytes: Uint8Array, from: number, to: number, dialect: CsvDialect, maxQuotedLines: number): number[] {
  const ends: number[] = [];
  for (let at = from; at < to;) {
    const { end, kind } = nextRowEnd(bytes, at, to, dialect, { maxQuotedLines }, false);
    if (kind === RecordKind.partial) break;
    if (end === to && bytes[to - 1] !== dialect.newline) break;
    ends.push(end);
    at = end;
  }
  return ends;
}

/** The records of a whole text (final), as [start, end, kind] triples. */
function records(text: string, dialect: CsvDialect = csvDialect({}), maxQuotedLines = 100): [string, number][] {
  const bytes = bytesOf(text);
  const out: [string, number][] = [];
  for (let at = 0; at < bytes.length;) {
    const { end, kind } = nextRowEnd(bytes, at, bytes.length, dialect, { maxQuotedLines }, true);
    out.push([bytes.subarray(at, end).toString('utf8'), kind]);
    at = end;
  }
  return out;
}

/** lastRowEnd from every record start to every `to` equals the last walked end. */
function checkAgainstWalk(bytes: Uint8Array, dialect: CsvDialect, maxQuotedLines: number): void {
  const starts = [0, ...walkedEnds(bytes, 0, bytes.length, dialect, maxQuotedLines).filter((e) => e < bytes.length)];
  for (const from of starts) {
    for (let to = from; to <= bytes.length; to++) {
      const ends = walkedEnds(bytes, from, to, dialect, maxQuotedLines);
      const expected = ends.length > 0 ? ends[ends.length - 1] : -1;
      assert.equal(lastRowEnd(bytes, from, to, dialect, { maxQuotedLines }), expected, `lastRowEnd(${JSON.stringify(bytes.toString())}, ${from}, ${to}, max ${maxQuotedLines})`);
    }
  }
}

const { row, broken, comment } = RecordKind;

describe('row boundaries: the lenient rule', () => {
  test('a quote inside an unquoted field is text: the rows end at their line ends', () => {
    assert.deepEqual(records('1,pizza 12" large,3\n2,b,4\n'), [['1,pizza 12" large,3\n', row], ['2,b,4\n', row]]);
  });

  test('a quote inside a quoted field that is not before a delimiter or line end is text', () => {
    assert.deepEqual(records('"a","XXX: "XXX XXX","c"\n"d","e","f"\n'), [['"a","XXX: "XXX XXX","c"\n', row], ['"d","e","f"\n', row]]);
  });

  test('quoted line ends, doubled quotes and CRLF stay inside their record', () => {
    assert.deepEqual(records('a,"x\ny"\r\n"p""q\r\n",r\r\n'), [['a,"x\ny"\r\n', row], ['"p""q\r\n",r\r\n', row]]);
  });

  test('an unclosed quote at the end of the data: its first line is a broken record, the next lines are rows', () => {
    assert.deepEqual(records('1,ok\n2,"never closed\n3,fine\n4,fine'), [['1,ok\n', row], ['2,"never closed\n', broken], ['3,fine\n', row], ['4,fine', row]]);
  });

  test('an unclosed quote resynchronises after maxQuotedLines line ends', () => {
    const text = `1,"open\n${Array.from({ length: 5 }, (_, i) => `${i},x\n`).join('')}late",close\n`;
    // Ten line ends allowed: the field holds six and closes after `late`: one record.
    assert.deepEqual(records(text, csvDialect({}), 10).map((r) => r[1]), [row]);
    const strict = records(text, csvDialect({}), 2);
    assert.deepEqual(strict.map((r) => r[1]), [broken, row, row, row, row, row, row]);
    assert.deepEqual([strict[0][0], strict[6][0]], ['1,"open\n', 'late",close\n']);
  });

  test('a multi-line quoted field with a quote taken as text, or of the wrong width, is still one record', () => {
    assert.deepEqual(records('"oven\n12" stone",99\n2,b\n'), [['"oven\n12" stone",99\n', row], ['2,b\n', row]]);
    assert.deepEqual(records('1,"open\n2,y",z,extra\n3,w,v\n').map((r) => r[1]), [row, row]);
  });

  test('a single long line inside quotes is not broken, however long (only line ends count)', () => {
    const long = `1,"${'x'.repeat(200_000)}",2\n3,4\n`;
    assert.deepEqual(records(long, csvDialect({}), 1).map((r) => r[1]), [row, row]);
  });

  test('no quote: every line end ends a row', () => {
    assert.deepEqual(records('"a\tb\n"c\td"\n', csvDialect({ delimiter: 0x09, quote: NONE })), [['"a\tb\n', row], ['"c\td"\n', row]]);
  });

  test('backslash escapes: an escaped line end or quote does not end anything', () => {
    const dialect = csvDialect({ escape: BACKSLASH });
    assert.deepEqual(records('a\\\nb,c\n"x\\"y",z\n', dialect), [['a\\\nb,c\n', row], ['"x\\"y",z\n', row]]);
    assert.deepEqual(records('"a\\\\",b\nc,d\n', dialect), [['"a\\\\",b\n', row], ['c,d\n', row]]);
  });

  test('comment lines are records of their own kind, quotes in them do not count', () => {
    const dialect = csvDialect({ comment: HASH });
    assert.deepEqual(records('# a "note\na,b\n#x,"y\n1,2\n', dialect), [['# a "note\n', comment], ['a,b\n', row], ['#x,"y\n', comment], ['1,2\n', row]]);
  });

  test('CR-only line ends', () => {
    assert.deepEqual(records('a\r"b\rc"\rd,"e""\r"\r', csvDialect({ newline: CR })), [['a\r', row], ['"b\rc"\r', row], ['d,"e""\r"\r', row]]);
  });

  test('lastRowEnd: the cut is after the last record the range shows complete', () => {
    const dialect = csvDialect({});
    const bytes = bytesOf('a,b\n"x\ny",z\n1,pizza 12" large\n"q"');
    assert.equal(lastRowEnd(bytes, 0, 11, dialect), 4, 'the LF inside "x\\ny" is not a row end');
    assert.equal(lastRowEnd(bytes, 4, 11, dialect), -1);
    assert.equal(lastRowEnd(bytes, 0, bytes.length, dialect), bytes.indexOf('"q"'), 'the inch mark opens nothing');
    // An open quote at the end of the range: the record is not known to end.
    assert.equal(lastRowEnd(bytesOf('a\n"b\nc\n'), 0, 7, dialect), 2);
    // ... unless it holds more line ends than allowed: then its first line is a record.
    assert.equal(lastRowEnd(bytesOf('a\n"b\nc\nd\ne\n'), 0, 11, dialect, { maxQuotedLines: 2 }), 11);
  });
});

describe('row boundaries: the planner\'s fast scan agrees with the record-by-record reading', () => {
  const alphabet = ['a', ',', '"', '"', '\n', '\r', ' ', ';'];
  const textArb = fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }).map((cs) => cs.join(''));

  test('every (from, to), random text, LF and CR newlines, several bounds', () => {
    fc.assert(fc.property(textArb, fc.constantFrom(0, 1, 2, 100), fc.constantFrom(LF, CR), (text, maxQuotedLines, newline) => {
      checkAgainstWalk(bytesOf(text), csvDialect({ newline }), maxQuotedLines);
    }), { numRuns: 500 });
  });

  test('the same with an apostrophe quote and with no quote at all', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom('a', ',', '\'', '"', '\n'), { maxLength: 30 }).map((cs) => cs.join('')), fc.constantFrom(DOUBLE_QUOTE, 0x27, NONE), (text, quote) => {
      checkAgainstWalk(bytesOf(text), csvDialect({ quote }), 1);
    }), { numRuns: 200 });
  });

  test('long random text with dense quotes (the byte-loop branch), cut at random places', () => {
    // Mostly well-formed quoted fields (so that quotes are dense), some holding line ends, some stray bytes.
    const piece = fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom('"a",', '"bc",', '"d"\n', '"e""f",', '"g"\r\n') },
      { weight: 2, arbitrary: fc.constantFrom('"x\ny",', '"\n\n\n",', '"p\nq"\n') },
      { weight: 1, arbitrary: fc.constantFrom('"', ',', '\n', 'b', '" ', ',"', '""') },
    );
    fc.assert(fc.property(fc.array(piece, { minLength: 300, maxLength: 1500 }), fc.array(fc.nat(), { minLength: 5, maxLength: 5 }), fc.constantFrom(1, 2, 100),
      (pieces, cuts, maxQuotedLines) => {
        const bytes = bytesOf(pieces.join(''));
        for (const cut of [...cuts.map((c) => c % (bytes.length + 1)), bytes.length]) {
          const ends = walkedEnds(bytes, 0, cut, csvDialect({}), maxQuotedLines);
          assert.equal(lastRowEnd(bytes, 0, cut, csvDialect({}), { maxQuotedLines }), ends.length > 0 ? ends[ends.length - 1] : -1, `cut ${cut}`);
        }
      }), { numRuns: 300 });
  });

  test('dense quoted fields over a large buffer', () => {
    const rows = Array.from({ length: 200 }, (_, r) => Array.from({ length: 12 }, (_, k) => (k % 5 === 2 ? `"q\n${r}"` : `"${k}""x"`)).join(','));
    const bytes = bytesOf(`${rows.join('\n')}\n`);
    const ends = walkedEnds(bytes, 0, bytes.length, csvDialect({}), 100);
    for (const to of [bytes.length, bytes.length - 1, Math.floor(bytes.length / 2), 100]) {
      const within = ends.filter((e) => e <= to);
      assert.equal(lastRowEnd(bytes, 0, to, csvDialect({})), within.length > 0 ? within[within.length - 1] : -1);
    }
  });
});

describe('row boundaries: csv-parser\'s record offsets on well-formed text', () => {
  function offsets(bytes: Uint8Array, newline: string): Promise<number[]> {
    return new Promise((resolve, reject) => {
      const found: number[] = [];
      const parser = csvParser({ headers: false, outputByteOffset: true, newline } as csvParser.Options);
      parser.on('data', (item: { byteOffset: number }) => found.push(item.byteOffset));
      parser.on('end', () => resolve(found));
      parser.on('error', reject);
      parser.end(Buffer.from(bytes));
    });
  }

  for (const [name, text, newline] of [
    ['LF', 'a,b\n"x\ny",z\n"p""q\n",r\n\n"""",\n"end"\n', '\n'],
    ['CRLF', 'h1,h2\r\n"multi\r\nline",2\r\n\r\n3,"4""\r\n"\r\nlast,row', '\n'],
    ['CR', 'a\r"b\rc"\rd,"e""\r"\r\rlast', '\r'],
  ] as const) {
    test(name, async () => {
      const bytes = bytesOf(text);
      const dialect = csvDialect({ newline: newline === '\r' ? CR : LF });
      const starts = [0, ...walkedEnds(bytes, 0, bytes.length, dialect, 100).filter((e) => e < bytes.length)];
      assert.deepEqual(starts, await offsets(bytes, newline));
    });
  }
});
