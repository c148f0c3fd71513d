/**
 * What parseCsvChunk leaves in the ColumnBatch: plain and quoted values as spans of the copied
 * chunk, rewritten values appended behind it, NULLs as PostgreSQL's CSV COPY read them before,
 * per-row offsets, lines and raw bytes — also for text decoded from another encoding.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ColumnBatch } from '../../../src/batch/column-batch.js';
import { csvDialect, HASH } from '../../../src/formats/csv/dialect.js';
import type { EncodePlan } from '../../../src/formats/csv/parse-chunk.js';
import { ChunkTranscoder } from '../../../src/formats/encoding/chunk-transcoder.js';
import { ColumnType, type ColumnTypeCode } from '../../../src/schema/column-type.js';
import { type ColumnFormat, ValueFormat } from '../../../src/schema/value-format.js';
import { encodeLines } from '../encoding/encoded-text.js';
import { parseChunk, parseText } from './parse-support.js';

function planFor(types: ColumnTypeCode[], extra: Partial<EncodePlan> = {}): EncodePlan {
  return {
    dialect: csvDialect({}), columnTypes: types, columnNames: types.map((_, i) => `c${i + 1}`),
    fileId: 3, chunkNo: 0, baseOffset: 500, invalidUtf8: 'reject', ...extra,
  };
}

/** Whether (column, row)'s value is a span of the chunk's own bytes, or was appended behind them. */
function placeOf(batch: ColumnBatch, column: number, row: number): 'null' | 'span' | 'appended' {
  const vector = batch.columns[column];
  if (vector.nulls[row] === 1) return 'null';
  return vector.starts[row] >= batch.inputEnd ? 'appended' : 'span';
}

describe('parseCsvChunk: the batch', () => {
  test('plain and quoted values are spans of the chunk copy, shifted by start; doubled quotes are appended undone', () => {
    const text = 'ab,"c,d","say ""hi"""\n';
    const padded = Buffer.from(`xyz${text}!!`);
    const { batch, rows } = parseChunk(padded, 3, 3 + text.length, planFor([ColumnType.text, ColumnType.text, ColumnType.text]));
    assert.deepEqual(rows.map((r) => r.values), [['ab', 'c,d', 'say "hi"']]);
    assert.deepEqual([0, 1, 2].map((c) => placeOf(batch, c, 0)), ['span', 'span', 'appended']);
    // Indices are into the batch's copy of bytes[start, end): `ab` at 0, `c,d` inside its quotes at 4.
    assert.deepEqual([batch.columns[0].starts[0], batch.columns[0].ends[0]], [0, 2]);
    assert.deepEqual([batch.columns[1].starts[0], batch.columns[1].ends[0]], [4, 7]);
    assert.equal(batch.inputEnd, text.length);
    assert.deepEqual([batch.rowStart[0], batch.rowEnd[0]], [0, text.length - 1], 'the raw row without its terminator');
  });

  test('NULL: an unquoted empty field in any column, `""` only in a typed one (an empty string in text)', () => {
    const { batch, rows } = parseText(',,"",""\n', planFor([ColumnType.text, ColumnType.int, ColumnType.text, ColumnType.int]));
    assert.deepEqual(rows.map((r) => r.values), [[null, null, '', null]]);
    assert.equal(placeOf(batch, 2, 0), 'span');
  });

  test('typed values are spans as written (PostgreSQL reads them); a misfit is a CAST reject naming the column', () => {
    const { rows, rejects } = parseText('1, 2.5,2024-02-29\nx,1,2024-01-01\n', planFor([ColumnType.int, ColumnType.float, ColumnType.date]));
    assert.deepEqual(rows.map((r) => r.values), [['1', ' 2.5', '2024-02-29']]);
    assert.deepEqual(rejects.map((r) => [r.reason, r.detail, r.chunkLine, r.byteOffset, r.raw]), [['CAST', 'column c1 (int): "x"', 2, 518, 'x,1,2024-01-01']]);
  });

  test('formatted values are normalised into the batch: thousands, day-first dates, null tokens', () => {
    const formats: (ColumnFormat | null)[] = [
      { format: ValueFormat.thousandsComma, nullTokens: false },
      { format: ValueFormat.dmy, nullTokens: true },
      { format: ValueFormat.plain, nullTokens: true },
      null,
    ];
    const types = [ColumnType.float, ColumnType.date, ColumnType.int, ColumnType.text];
    const { batch, rows, rejects } = parseText('"1,234.5",31/01/2001,NA,a\n"2,000",N/A, 7 ,b\n3,32/01/2001,1,c\n', planFor(types, { columnFormats: formats }));
    assert.deepEqual(rows.map((r) => r.values), [['1234.5', '2001-01-31', null, 'a'], ['2000', null, '7', 'b']]);
    assert.deepEqual([placeOf(batch, 0, 0), placeOf(batch, 1, 0), placeOf(batch, 2, 1)], ['appended', 'appended', 'appended']);
    assert.deepEqual(rejects.map((r) => [r.reason, r.detail]), [['CAST', 'column c2 (date): "32/01/2001"']]);
  });

  test('a long value in a text column with null tokens loads (normalising is not limited to short values)', () => {
    const long = 'x'.repeat(5000);
    const { rows, rejects } = parseText(`1,${long}\n2,NA\n`, planFor([ColumnType.int, ColumnType.text], { columnFormats: [null, { format: ValueFormat.plain, nullTokens: true }] }));
    assert.deepEqual(rejects, []);
    assert.deepEqual(rows.map((r) => r.values), [['1', long], ['2', null]]);
  });

  test('rows the record parser reads are appended as its values; offsets, lines and raw rows past blank and comment lines', () => {
    const text = '# note\n1,"a\nb"\n\n2,x"y\r\n3,\\"z"\n';
    const { batch, rows, stats } = parseText(text, planFor([ColumnType.int, ColumnType.text], { dialect: csvDialect({ comment: HASH }) }));
    assert.equal(stats.slowRows, 2);
    assert.deepEqual(rows.map((r) => [r.offset - 500, r.line, r.raw, r.values]), [
      [7, 2, '1,"a\nb"', ['1', 'a\nb']],
      [16, 5, '2,x"y', ['2', 'x"y']],
      [23, 6, '3,\\"z"', ['3', '\\"z"']],
    ]);
    assert.deepEqual([placeOf(batch, 1, 0), placeOf(batch, 1, 1)], ['span', 'appended']);
    assert.equal(stats.lines, 6);
  });

  test('invalid UTF-8 in replace mode loads with U+FFFD, its formatted values normalised', () => {
    const bytes = Buffer.concat([Buffer.from('1,'), Buffer.from([0xff]), Buffer.from(',31/01/2001\n')]);
    const plan = planFor([ColumnType.int, ColumnType.text, ColumnType.date], { invalidUtf8: 'replace', columnFormats: [null, null, { format: ValueFormat.dmy, nullTokens: false }] });
    const { rows } = parseChunk(bytes, 0, bytes.length, plan);
    assert.deepEqual(rows.map((r) => r.values), [['1', '\uFFFD', '2001-01-31']]);
    const rejected = parseChunk(bytes, 0, bytes.length, { ...plan, invalidUtf8: 'reject' });
    assert.deepEqual(rejected.rejects.map((r) => [r.reason, r.byteOffset]), [['ENCODING', 500]]);
  });

  test('a reused batch holds only the latest chunk', () => {
    const batch = new ColumnBatch();
    const plan = planFor([ColumnType.int, ColumnType.text]);
    const first = Buffer.from(Array.from({ length: 3000 }, (_, i) => `${i},"q""${i}"\n`).join(''));
    assert.equal(parseChunk(first, 0, first.length, plan, { batch }).rows.length, 3000);
    const second = Buffer.from('7,\n8,"z"\n');
    const { rows } = parseChunk(second, 0, second.length, plan, { batch });
    assert.deepEqual(rows.map((r) => [r.offset, r.values]), [[500, ['7', null]], [503, ['8', 'z']]]);
  });

  test('transcoded text: values are the decoded text, offsets and raw rows those of the original file', () => {
    const lines = ['1,Zürich,“quoted” €', '2,"café, Œuvre",š', '3,plain,ascii'];
    const { bytes, lineOffsets } = encodeLines(lines, 'windows-1252');
    const base = 9000;
    const text = new ChunkTranscoder().transcode(bytes, 0, bytes.length, 'windows-1252', 0x0a, base);
    const plan = planFor([ColumnType.int, ColumnType.text, ColumnType.text], { baseOffset: base });
    const { batch, rows } = parseChunk(text.bytes, text.start, text.end, plan, { mapOffset: text.mapOffset });
    assert.deepEqual(rows.map((r) => [r.offset, r.line, r.raw, r.values]), [
      [base + lineOffsets[0], 1, lines[0], ['1', 'Zürich', '“quoted” €']],
      [base + lineOffsets[1], 2, lines[1], ['2', 'café, Œuvre', 'š']],
      [base + lineOffsets[2], 3, lines[2], ['3', 'plain', 'ascii']],
    ]);
    assert.equal(placeOf(batch, 1, 1), 'span');
  });
});
