/**
 * Property tests of the hot path: random CSV, cut into chunks exactly as the chunk planner cuts a
 * file, parsed chunk by chunk, must hold the values the original text reads as — in the batch,
 * and read back from its COPY CSV (with csv-parser standing in for PostgreSQL's CSV reader) — well-formed text as csv-parser reads it, malformed text as
 * the reference reading (row-boundary.ts + record-parser.ts) of the whole file reads it — with the
 * same row offsets, and the accounting (rows, rejects, line counts) must add up. csv-parser is
 * always fed the whole text in ONE write: its streaming splits have quirks at buffer edges that
 * are not what is under test.
 */
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { describe, test } from 'node:test';
import csvParser from 'csv-parser';
import fc from 'fast-check';
import { ColumnBatch } from '../../../src/batch/column-batch.js';
import { ByteSink } from '../../../src/formats/byte-sink.js';
import { BACKSLASH, copyQuoteOf, CR, type CsvDialect, csvDialect, DOUBLE_QUOTE, HASH, LF, NONE } from '../../../src/formats/csv/dialect.js';
import type { EncodePlan, RejectReason } from '../../../src/formats/csv/parse-chunk.js';
import { parseRecord } from '../../../src/formats/csv/record-parser.js';
import { lastRowEnd, nextRowEnd, RecordKind, type RecordLimits } from '../../../src/formats/csv/row-boundary.js';
import { ColumnType, type ColumnTypeCode } from '../../../src/schema/column-type.js';
import { encodeCsvCopy } from '../../../src/sink/csv-copy-encoder.js';
import { parseChunk, type ParsedRow } from './parse-support.js';

const COMMA = 0x2c;

interface ReferenceRecord {
  values: string[];
  byteOffset: number;
}

/** csv-parser's non-blank records (headers: false, one write). csv-parser emits {} for a blank line. */
function referenceRecords(bytes: Uint8Array, newline = '\n'): Promise<ReferenceRecord[]> {
  return new Promise((resolve, reject) => {
    const records: ReferenceRecord[] = [];
    const parser = csvParser({ headers: false, outputByteOffset: true, newline } as csvParser.Options);
    parser.on('data', (item: { row: Record<string, string>; byteOffset: number }) => {
      const values = Object.values(item.row);
      if (values.length > 0) records.push({ values, byteOffset: item.byteOffset });
    });
    parser.on('end', () => resolve(records));
    parser.on('error', reject);
    parser.end(Buffer.from(bytes));
  });
}

/** Chunks exactly as ChunkPlanner cuts them: chunkSize bytes, cut at the last row end, doubled while none. */
function planChunks(bytes: Uint8Array, dataStart: number, chunkSize: number, dialect: CsvDialect, limits: RecordLimits): [number, number][] {
  const chunks: [number, number][] = [];
  const size = bytes.length;
  let start = dataStart;
  while (start < size) {
    let want = Math.min(chunkSize, size - start);
    let end = size;
    while (start + want < size) {
      const cut = lastRowEnd(bytes, start, start + want, dialect, limits);
      if (cut > start) { end = cut; break; }
      want *= 2;
    }
    chunks.push([start, end]);
    start = end;
  }
  return chunks;
}

interface EncodedFile {
  /** All chunks' batches as COPY CSV (csv-copy-encoder.ts), concatenated. */
  data: Buffer;
  /** All chunks' batch rows, in order. */
  parsed: ParsedRow[];
  rows: number;
  rejected: number;
  slowRows: number;
  rejects: { chunkNo: number; chunkLine: number; byteOffset: number; reason: RejectReason }[];
}

interface EncodeSetup {
  chunkSize: number;
  /** Size of the region each ByteSink starts with (0 and 16 force the overflow path). */
  sinkRegion: number;
  /** Bytes of garbage around each chunk in its buffer (a ring slot holds stale bytes). */
  padding: number;
  fileId: number;
  /** Line ends a quoted field may hold (row-boundary.ts); default 100. */
  maxQuotedLines?: number;
}

const GARBAGE = Buffer.from('"\n\r,"0 9\0\xff', 'latin1');

/**
 * Parses a file's data chunk by chunk into one reused batch, and encodes each batch as COPY CSV.
 * Each chunk is copied into a buffer of its own with garbage (quotes, newlines, digits) before and
 * after it, so reading outside [start, end) shows. Also checks per chunk that `stats.lines` counts
 * the chunk's newline bytes, that each row's and reject's chunk line is 1 + the newlines before it
 * in the chunk, and that a row's raw bytes are the file's from its offset.
 */
function encodeFile(bytes: Uint8Array, dataStart: number, dialect: CsvDialect, columnTypes: ColumnTypeCode[],
  invalidUtf8: 'reject' | 'replace', setup: EncodeSetup): EncodedFile {
  const outputs: Buffer[] = [];
  const result: EncodedFile = { data: Buffer.alloc(0), parsed: [], rows: 0, rejected: 0, slowRows: 0, rejects: [] };
  const batch = new ColumnBatch();
  const maxQuotedLines = setup.maxQuotedLines ?? 100;
  const chunks = planChunks(bytes, dataStart, setup.chunkSize, dialect, { maxQuotedLines });
  chunks.forEach(([start, end], chunkNo) => {
    const length = end - start;
    const buffer = new Uint8Array(length + 2 * setup.padding);
    for (let k = 0; k < buffer.length; k++) buffer[k] = GARBAGE[k % GARBAGE.length];
    buffer.set(bytes.subarray(start, end), setup.padding);
    const plan: EncodePlan = {
      dialect, columnTypes, columnNames: columnTypes.map((_, k) => `c${k}`), fileId: setup.fileId, chunkNo, baseOffset: start, invalidUtf8, maxQuotedLines,
    };
    const { stats, rows, rejects } = parseChunk(buffer, setup.padding, setup.padding + length, plan, { batch, sinkRegion: setup.sinkRegion });
    const newlines = countNewlines(bytes, start, end, dialect.newline);
    assert.equal(stats.lines, newlines, `chunk ${chunkNo}: stats.lines counts the chunk's newline bytes`);
    const data = new ByteSink(new Uint8Array(setup.sinkRegion));
    assert.equal(encodeCsvCopy(batch, setup.fileId, dialect.delimiter, copyQuoteOf(dialect), data), stats.rows, 'every row encoded');
    outputs.push(Buffer.from(data.view()));
    for (const row of rows) {
      assert.ok(row.offset >= start && row.offset < end, `row offset ${row.offset} within chunk ${start}..${end}`);
      assert.equal(row.line, 1 + countNewlines(bytes, start, row.offset, dialect.newline), `chunk line of the row at ${row.offset}`);
      // The raw text of a row with invalid UTF-8 holds U+FFFD: compared where the bytes are valid.
      const rowBytes = Buffer.from(row.raw, 'utf8');
      if (isUtf8(bytes.subarray(row.offset, row.offset + rowBytes.length))) assert.ok(rowBytes.equals(bytes.subarray(row.offset, row.offset + rowBytes.length)), `raw of the row at ${row.offset}`);
      result.parsed.push(row);
    }
    result.rows += stats.rows;
    result.rejected += stats.rejected;
    result.slowRows += stats.slowRows;
    for (const reject of rejects) {
      assert.equal(reject.fileId, setup.fileId);
      assert.equal(reject.chunkNo, chunkNo);
      const offset = reject.byteOffset;
      assert.ok(offset >= start && offset < end, `reject offset ${offset} within chunk ${start}..${end}`);
      assert.equal(reject.chunkLine, 1 + countNewlines(bytes, start, offset, dialect.newline), `chunk line of the reject at ${offset}`);
      result.rejects.push({ chunkNo, chunkLine: reject.chunkLine, byteOffset: offset, reason: reject.reason });
    }
    if (stats.samples.length > 0) {
      assert.deepEqual(stats.samples.map((s) => s.byteOffset), rejects.slice(0, 5).map((r) => r.byteOffset));
    }
  });
  result.data = Buffer.concat(outputs);
  return result;
}

function countNewlines(bytes: Uint8Array, from: number, to: number, newline: number): number {
  let count = 0;
  for (let i = from; i < to; i++) if (bytes[i] === newline) count++;
  return count;
}

/** The COPY CSV of the batches read back: [file id, offset, ...values] per row (NULL-empty reads as ''). */
async function readOutput(data: Buffer, fileId: number): Promise<ReferenceRecord[]> {
  const records = await referenceRecords(data);
  return records.map((r) => {
    assert.ok(r.values.length >= 2);
    assert.equal(r.values[0], String(fileId), 'file id prefix');
    assert.match(r.values[1], /^(0|[1-9][0-9]*)$/, 'offset prefix');
    return { byteOffset: Number(r.values[1]), values: r.values.slice(2) };
  });
}

// ---------------------------------------------------------------------------------------------
// Well-formed CSV

/** Pieces fields are made of: the bytes that matter to CSV, and text of every width. */
const piece = fc.oneof(
  fc.constantFrom('"', '""', ',', '\r', '\n', '\r\n', ' ', 'a', 'Z', '0', 'é', '日本', '😀', '\u{10FFFF}', '\u2028', '\t', ';', '\\', '\\.'),
  fc.string({ unit: 'binary', maxLength: 4 }).filter((s) => !s.includes('\0')),
);
const fieldValue = fc.oneof({ weight: 1, arbitrary: fc.constant('') }, { weight: 4, arbitrary: fc.array(piece, { maxLength: 6 }).map((p) => p.join('')) });

function needsQuotes(value: string, delimiter: string, newlineChars: string[]): boolean {
  return value.includes(delimiter) || value.includes('"') || newlineChars.some((c) => value.includes(c));
}

function writeField(value: string, quoted: boolean): string {
  return quoted ? `"${value.replaceAll('"', '""')}"` : value;
}

interface Table {
  columns: number;
  rows: { values: string[]; quoted: boolean[] }[];
  terminators: string[];
  trailingNewline: boolean;
  headerQuoted: boolean;
}

const wellFormedTable = (terminator: fc.Arbitrary<string>) => fc.integer({ min: 1, max: 5 }).chain((columns) => fc.record({
  columns: fc.constant(columns),
  rows: fc.array(fc.record({
    values: fc.array(fieldValue, { minLength: columns, maxLength: columns }),
    quoted: fc.array(fc.boolean(), { minLength: columns, maxLength: columns }),
  }), { maxLength: 30 }),
  terminators: fc.array(terminator, { minLength: 31, maxLength: 31 }),
  trailingNewline: fc.boolean(),
  headerQuoted: fc.boolean(),
}));

interface RenderedFile {
  bytes: Buffer;
  headerLength: number;
  /** Byte offset and values of each non-blank data row. */
  expected: ReferenceRecord[];
  /** Each non-blank data row as written, without its terminator. */
  lines: string[];
  /** The index in table.rows of each non-blank data row. */
  rowIndex: number[];
}

function render(table: Table, newlineChars: string[]): RenderedFile {
  const header = Array.from({ length: table.columns }, (_, k) => writeField(`c${k}`, table.headerQuoted)).join(',');
  let text = header + table.terminators[0];
  const headerLength = Buffer.byteLength(text);
  const expected: ReferenceRecord[] = [];
  const lines: string[] = [];
  const rowIndex: number[] = [];
  table.rows.forEach((row, r) => {
    const line = row.values.map((v, k) => writeField(v, row.quoted[k] || needsQuotes(v, ',', newlineChars))).join(',');
    // A one-column row holding an unquoted empty value is a blank line: skipped by both readers.
    if (line !== '') {
      expected.push({ byteOffset: Buffer.byteLength(text), values: row.values });
      lines.push(line);
      rowIndex.push(r);
    }
    const last = r === table.rows.length - 1;
    text += line + (last && !table.trailingNewline ? '' : table.terminators[r + 1]);
  });
  return { bytes: Buffer.from(text, 'utf8'), headerLength, expected, lines, rowIndex };
}

const encodeSetup = fc.record({
  chunkSize: fc.oneof(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 25, max: 400 })),
  sinkRegion: fc.constantFrom(0, 16, 1 << 16),
  padding: fc.integer({ min: 0, max: 9 }),
  fileId: fc.integer({ min: 1, max: 2 ** 40 }),
});

const DIALECT_LF: CsvDialect = csvDialect({ delimiter: COMMA, quote: DOUBLE_QUOTE, newline: LF });
const DIALECT_CR: CsvDialect = csvDialect({ delimiter: COMMA, quote: DOUBLE_QUOTE, newline: CR });

function textTypes(columns: number): ColumnTypeCode[] {
  return Array.from({ length: columns }, () => ColumnType.text);
}

describe('parseCsvChunk on well-formed CSV (property)', () => {
  test('LF / CRLF / mixed: read back, the output is csv-parser\'s reading of the original, row for row', async () => {
    const terminator = fc.constantFrom('\n', '\r\n');
    await fc.assert(fc.asyncProperty(
      fc.constantFrom<'\n' | '\r\n' | 'mixed'>('\n', '\r\n', 'mixed').chain((mode) => wellFormedTable(mode === 'mixed' ? terminator : fc.constant(mode))),
      encodeSetup,
      async (table, setup) => {
        const file = render(table, ['\r', '\n']);
        const reference = await referenceRecords(file.bytes);
        assert.deepEqual(reference[0], { byteOffset: 0, values: Array.from({ length: table.columns }, (_, k) => `c${k}`) }, 'the header');
        const data = reference.slice(1);
        // The generator and csv-parser agree on the file (else the comparison below proves nothing).
        assert.deepEqual(data, file.expected, 'csv-parser reads the generated rows');

        const encoded = encodeFile(file.bytes, file.headerLength, DIALECT_LF, textTypes(table.columns), 'reject', setup);
        assert.equal(encoded.rejected, 0, 'no rejects');
        assert.deepEqual(encoded.rejects, []);
        assert.equal(encoded.rows, data.length, 'rows === csv-parser\'s row count');
        assert.equal(encoded.slowRows, 0, 'well-formed rows stay on the fast path');
        // An empty unquoted field is NULL to PostgreSQL and '' to csv-parser: both readings of
        // the output are '' here, which is how NULL is compared with csv-parser's ''.
        const output = await readOutput(encoded.data, setup.fileId);
        for (let k = 1; k < output.length; k++) assert.ok(output[k].byteOffset > output[k - 1].byteOffset, 'offsets strictly increase');
        assert.deepEqual(output, data, 'values and offsets');
        // csv-parser cannot tell NULL ('' unquoted) from '' ("" quoted), the batch does: in these
        // text columns an unquoted empty field is NULL, a quoted one an empty string.
        const exact = file.lines.map((line, k) => {
          const row = table.rows[file.rowIndex[k]];
          return { offset: file.expected[k].byteOffset, raw: line, values: row.values.map((v, c) => (v === '' && !row.quoted[c] ? null : v)) };
        });
        assert.deepEqual(encoded.parsed.map((r) => ({ offset: r.offset, raw: r.raw, values: r.values })), exact, 'batch values, NULLs, offsets and raw rows');
      },
    ), { numRuns: 300 });
  });

  test('CR-only newlines: values, offsets and line counts', async () => {
    await fc.assert(fc.asyncProperty(wellFormedTable(fc.constant('\r')), encodeSetup, async (table, setup) => {
      // With CR as the newline, a bare LF is ordinary data (quoted here only when the generator chose to).
      const file = render(table, ['\r']);
      const reference = await referenceRecords(file.bytes, '\r');
      const data = reference.slice(1);
      assert.deepEqual(data, file.expected, 'csv-parser reads the generated rows');
      const encoded = encodeFile(file.bytes, file.headerLength, DIALECT_CR, textTypes(table.columns), 'reject', setup);
      assert.equal(encoded.rejected, 0);
      assert.equal(encoded.rows, data.length);
      assert.deepEqual(await readOutput(encoded.data, setup.fileId), data);
    }), { numRuns: 150 });
  });

  test('example: rows the fast path cannot vouch for are rewritten canonically (NULL stays unquoted)', async () => {
    // A bare CR in an unquoted field, then stray quotes: these rows need the record parser.
    const bytes = Buffer.from('h1,h2,h3\nx\ry,,"q""z"\r\nab"c",,\nab"c",\n,"",""\n');
    const encoded = encodeFile(bytes, 9, DIALECT_LF, textTypes(3), 'reject', { chunkSize: 1 << 20, sinkRegion: 16, padding: 2, fileId: 42 });
    assert.equal(encoded.slowRows, 3);
    assert.equal(encoded.rows, 3);
    // ab"c" is one field (a quote mid-field is text): the last row has too few fields.
    assert.deepEqual(encoded.rejects.map((r) => [r.byteOffset, r.reason, r.chunkLine]), [[30, 'TOO_FEW_FIELDS', 3]]);
    // The record parser's empty values are NULL; a quoted empty ("") from the fast path is ''.
    assert.deepEqual(encoded.parsed.map((r) => [r.offset, r.values]), [[9, ['x\ry', null, 'q"z']], [22, ['ab"c"', null, null]], [37, [null, '', '']]]);
    // As COPY CSV: quotes doubled, NULL unquoted, '' quoted.
    assert.equal(encoded.data.toString('utf8'), '42,9,"x\ry",,"q""z"\n42,22,"ab""c""",,\n42,37,,"",""\n');
    const reference = (await referenceRecords(bytes)).slice(1);
    assert.deepEqual(reference.map((r) => r.values), [['x\ry', '', 'q"z'], ['ab"c"', '', ''], ['ab"c"', ''], ['', '', '']]);
  });

  test('example: a lone CR that ends the file is a blank line, not a line break', () => {
    // Found by the malformed-CSV property (seed -671505029): the chunk's line count is its LF bytes.
    const encoded = encodeFile(Buffer.from('h0,h1\n\r'), 6, DIALECT_LF, textTypes(2), 'reject', { chunkSize: 25, sinkRegion: 0, padding: 0, fileId: 1 });
    assert.equal(encoded.rows + encoded.rejected, 0);
  });

  test('example: a CR-only file with a blank line counts every line', () => {
    const bytes = Buffer.from('a,b\r"x\ny",2\r\r3,4\r5,"');
    const encoded = encodeFile(bytes, 4, DIALECT_CR, textTypes(2), 'reject', { chunkSize: 1 << 20, sinkRegion: 64, padding: 3, fileId: 7 });
    assert.equal(encoded.rows, 2);
    // Lines: 'a,b' (header), '"x\ny",2' at 4 (line 1 of the chunk), blank at 12, '3,4' at 13, '5,"' at 17 (line 4).
    assert.deepEqual(encoded.rejects.map((r) => [r.chunkLine, r.byteOffset, r.reason]), [[4, 17, 'UNCLOSED_QUOTE']]);
  });
});

// ---------------------------------------------------------------------------------------------
// Malformed CSV

/** Byte tokens for malformed rows: stray quotes, bare CRs, NULs, invalid UTF-8, delimiters, escapes, comment marks. */
const junkToken = fc.constantFrom<Buffer>(
  ...['a', 'bc', ',', '"', '""', '"""', ' ', '\r', 'é', '😀', '\0', '\r\r', '\\', '\\"', '#', '\n'].map((s) => Buffer.from(s, 'utf8')),
  Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xe6, 0x97]),
);

const cleanField = fc.string({ unit: fc.constantFrom('a', 'b', ' ', 'é', '😀'), maxLength: 4 });

/** One malformed (or occasionally fine) line's bytes, without terminator. */
const malformedLine = (columns: number) => fc.oneof(
  // ragged: too few or too many fields, otherwise fine
  fc.array(cleanField, { minLength: 0, maxLength: columns + 2 }).map((f) => Buffer.from(f.join(','), 'utf8')),
  // a stray quote inside an unquoted field, or opening one
  fc.tuple(fc.array(cleanField, { minLength: columns, maxLength: columns }), fc.nat(columns - 1), fc.nat(3), fc.constantFrom('"', '""', '"x"', '12" '))
    .map(([f, k, at, q]) => { f[k] = f[k].slice(0, at) + q + f[k].slice(at); return Buffer.from(f.join(','), 'utf8'); }),
  // a quote inside a quoted field, not before a delimiter
  fc.array(cleanField, { minLength: columns, maxLength: columns }).map((f) => Buffer.from(f.map((v, k) => (k === 0 ? `"${v}"x"` : v)).join(','), 'utf8')),
  // text after a quote, quote not followed by a delimiter (it never closes on this line)
  fc.array(cleanField, { minLength: columns, maxLength: columns }).map((f) => Buffer.from(f.map((v, k) => (k === 0 ? `"${v}"x` : v)).join(','), 'utf8')),
  // a well-formed quoted row
  fc.array(cleanField, { minLength: columns, maxLength: columns }).map((f) => Buffer.from(f.map((v) => `"${v}"`).join(','), 'utf8')),
  // escapes (rows of the right width when read with a backslash escape), quoted or not
  fc.tuple(fc.array(cleanField, { minLength: columns, maxLength: columns }), fc.nat(columns - 1), fc.nat(3), fc.constantFrom('\\,', '\\"', '\\\\', '\\\n', '\\N'), fc.boolean())
    .map(([f, k, at, e, quoted]) => { f[k] = f[k].slice(0, at) + e + f[k].slice(at); if (quoted) f[k] = `"${f[k]}"`; return Buffer.from(f.join(','), 'utf8'); }),
  // a comment line, with what would otherwise be quoting in it
  cleanField.map((v) => Buffer.from(`#${v},"${v}`, 'utf8')),
  // byte soup
  fc.array(junkToken, { maxLength: 10 }).map((t) => Buffer.concat(t)),
);

const DIALECTS: Record<string, CsvDialect> = {
  rfc4180: csvDialect({}),
  backslash: csvDialect({ escape: BACKSLASH }),
  comments: csvDialect({ comment: HASH }),
  unquoted: csvDialect({ quote: NONE }),
};

const malformedFile = fc.integer({ min: 1, max: 4 }).chain((columns) => fc.record({
  columns: fc.constant(columns),
  lines: fc.array(malformedLine(columns), { maxLength: 25 }),
  terminators: fc.array(fc.constantFrom('\n', '\r\n'), { minLength: 26, maxLength: 26 }),
  trailingNewline: fc.boolean(),
  unclosedTail: fc.option(fc.constantFrom('"abc', '1,"x\ny', '"', 'a,b"\n\nc,d\n', '"open\nx\ny\nz\n'), { nil: undefined }),
  invalidUtf8: fc.constantFrom<'reject' | 'replace'>('reject', 'replace'),
  dialect: fc.constantFrom(...Object.keys(DIALECTS)),
  maxQuotedLines: fc.constantFrom(1, 2, 100),
}));

interface ReadRecord {
  byteOffset: number;
  /** Null for a broken record (an unclosed quote). */
  values: string[] | null;
  raw: Buffer;
}

/** The reference reading of a whole file from `from`: records (blank and comment lines left out). */
function referenceReading(bytes: Buffer, from: number, dialect: CsvDialect, limits: RecordLimits): ReadRecord[] {
  const out: ReadRecord[] = [];
  for (let at = from; at < bytes.length;) {
    const { end, kind } = nextRowEnd(bytes, at, bytes.length, dialect, limits, true);
    let contentEnd = end;
    if (contentEnd > at && bytes[contentEnd - 1] === dialect.newline) contentEnd--;
    if (dialect.newline === LF && contentEnd > at && bytes[contentEnd - 1] === CR) contentEnd--;
    if (contentEnd > at && kind !== RecordKind.comment) {
      out.push({ byteOffset: at, values: kind === RecordKind.broken ? null : parseRecord(bytes, at, contentEnd, dialect), raw: bytes.subarray(at, contentEnd) });
    }
    at = end;
  }
  return out;
}

function expectedReason(record: ReadRecord, columns: number, invalidUtf8: 'reject' | 'replace'): RejectReason | null {
  if (record.values === null) return 'UNCLOSED_QUOTE';
  if (record.values.length < columns) return 'TOO_FEW_FIELDS';
  if (record.values.length > columns) return 'TOO_MANY_FIELDS';
  if (record.raw.includes(0)) return 'NUL_BYTE';
  if (!isUtf8(record.raw) && invalidUtf8 === 'reject') return 'ENCODING';
  return null;
}

describe('parseCsvChunk on malformed CSV (property)', () => {
  test('chunk by chunk = the reference reading of the whole file: rows + rejected = records, values, reasons', async () => {
    await fc.assert(fc.asyncProperty(malformedFile, encodeSetup, async (file, setup) => {
      const dialect = DIALECTS[file.dialect];
      const header = Array.from({ length: file.columns }, (_, k) => `h${k}`).join(',');
      const parts: Buffer[] = [Buffer.from(header + file.terminators[0])];
      file.lines.forEach((line, k) => {
        parts.push(line);
        if (k < file.lines.length - 1 || file.trailingNewline || file.unclosedTail !== undefined) parts.push(Buffer.from(file.terminators[k + 1]));
      });
      if (file.unclosedTail !== undefined) parts.push(Buffer.from(file.unclosedTail));
      const bytes = Buffer.concat(parts);
      const headerLength = parts[0].length;

      const reference = referenceReading(bytes, headerLength, dialect, { maxQuotedLines: file.maxQuotedLines });
      const encoded = encodeFile(bytes, headerLength, dialect, textTypes(file.columns), file.invalidUtf8, { ...setup, maxQuotedLines: file.maxQuotedLines });
      assert.equal(encoded.rows + encoded.rejected, reference.length, 'rows + rejected === records');

      const output = await readOutput(encoded.data, setup.fileId);
      assert.equal(output.length, encoded.rows);
      const byOffset = new Map(reference.map((r, k) => [r.byteOffset, k]));
      const loaded = new Set<number>();
      for (const row of output) {
        const k = byOffset.get(row.byteOffset);
        assert.ok(k !== undefined, `loaded row at ${row.byteOffset} is a record start`);
        assert.deepEqual(row.values, reference[k].values, `row at ${row.byteOffset}`);
        loaded.add(row.byteOffset);
      }
      // The batch holds the same values (the record parser's reading has no NULL: an empty value is one).
      assert.deepEqual(encoded.parsed.map((r) => ({ byteOffset: r.offset, values: r.values.map((v) => v ?? '') })), output);
      const rejected = new Map(encoded.rejects.map((r) => [r.byteOffset, r.reason]));
      assert.equal(rejected.size, encoded.rejects.length, 'one reject per offset');
      for (const offset of rejected.keys()) {
        assert.ok(byOffset.has(offset), `reject at ${offset} is a record start`);
        assert.ok(!loaded.has(offset), `offset ${offset} both loaded and rejected`);
      }
      // Every record is loaded or rejected, and rejected exactly when it has to be, for the right reason.
      for (const record of reference) {
        const reason = expectedReason(record, file.columns, file.invalidUtf8);
        if (reason === null) assert.ok(loaded.has(record.byteOffset), `record at ${record.byteOffset} (${JSON.stringify(record.values)}) must load`);
        else assert.equal(rejected.get(record.byteOffset), reason, `record at ${record.byteOffset}: ${JSON.stringify(record.raw.toString('latin1'))}`);
      }
    }), { numRuns: 400 });
  });

  test('well-formed RFC 4180 text still reads as csv-parser reads it, whatever the chunking', async () => {
    await fc.assert(fc.asyncProperty(wellFormedTable(fc.constantFrom('\n', '\r\n')), encodeSetup, async (table, setup) => {
      const file = render(table, ['\r', '\n']);
      const reading = referenceReading(file.bytes, file.headerLength, DIALECT_LF, { maxQuotedLines: 100 });
      assert.deepEqual(reading.map((r) => ({ byteOffset: r.byteOffset, values: r.values })), (await referenceRecords(file.bytes)).slice(1));
    }), { numRuns: 150 });
  });
});
