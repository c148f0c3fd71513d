/**
 * Sniffing files that are not UTF-8: the sample is decoded before the dialect is sniffed, and
 * where the data starts comes back as a byte offset in the original file.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { originalLineStart, sniffCsvFile } from '../../../src/formats/csv/sniff-encoded.js';
import { ColumnType } from '../../../src/schema/column-type.js';
import { encodeLines, encodeText } from './encoded-text.js';

describe('sniffCsvFile', () => {
  for (const encoding of ['utf-16le', 'utf-16be'] as const) {
    for (const bom of [true, false]) {
      test(`${encoding}${bom ? ' with BOM' : ''}: dialect, header and the data start in file bytes`, () => {
        const lines = ['id;name;amount', ...Array.from({ length: 30 }, (_, i) => `${i};"Zürich\n😀 ${i}";${i * 3}`)];
        const { bytes, lineOffsets } = encodeLines(lines, encoding, { bom });
        const sniff = sniffCsvFile({ head: bytes, headIsWholeFile: true, spots: [] });
        assert.equal(sniff.encoding, encoding);
        assert.equal(sniff.bomLength, bom ? 2 : 0);
        assert.equal(sniff.dialect.delimiter, 0x3b);
        assert.equal(sniff.header, true);
        assert.deepEqual(sniff.columns.map((c) => [c.source, c.type]), [['id', ColumnType.int], ['name', ColumnType.text], ['amount', ColumnType.int]]);
        assert.equal(sniff.dataStart, lineOffsets[1]);
      });
    }
  }

  test('Shift_JIS: `|` trail bytes do not split fields (the sample is sniffed decoded)', () => {
    // ポ is 0x83 0x7C: in raw bytes every such field would hold a stray `|`.
    const lines = ['id|name|note', ...Array.from({ length: 20 }, (_, i) => `${i}|ポイント${i}|ソ表能`)];
    const { bytes, lineOffsets } = encodeLines(lines, 'shift_jis');
    const sniff = sniffCsvFile({ head: bytes, headIsWholeFile: true, spots: [] });
    assert.equal(sniff.encoding, 'shift_jis');
    assert.equal(sniff.dialect.delimiter, 0x7c);
    assert.equal(sniff.delimiterConfidence, 1);
    assert.equal(sniff.columns.length, 3);
    assert.equal(sniff.dataStart, lineOffsets[1]);
  });

  test('a preamble before the header is skipped in file bytes too', () => {
    const lines = ['Export für Zürich – März', 'id,city,value', ...Array.from({ length: 20 }, (_, i) => `${i},Zürich,${i}.5`)];
    const { bytes, lineOffsets } = encodeLines(lines, 'windows-1252');
    const sniff = sniffCsvFile({ head: bytes, headIsWholeFile: true, spots: [] }, {}, 'windows-1252');
    assert.equal(sniff.columns[1].source, 'city');
    assert.equal(sniff.dataStart, lineOffsets[2]);
  });

  test('a UTF-16 spot at an odd file offset is decoded from its first whole code unit', () => {
    const head = encodeLines(['id,v', ...Array.from({ length: 10 }, (_, i) => `${i},${i}`)], 'utf-16le', { bom: true }).bytes;
    // Later in the file column 1 holds text: the sniffer must see it, or the table gets the wrong type.
    const later = encodeText(`${Array.from({ length: 10 }, (_, i) => `${i},text ${i}\n`).join('')}`, 'utf-16le');
    const position = 100_001;
    const spot = Buffer.concat([Buffer.from([0x00]), later]);
    const sniff = sniffCsvFile({ head, headIsWholeFile: false, spots: [{ bytes: spot, position }] });
    assert.equal(sniff.columns[1].type, ColumnType.text);
  });

  test('--encoding is honoured even when the bytes suggest another', () => {
    const lines = ['id,price', '1,€ 5', '2,Š 6'];
    const { bytes } = encodeLines(lines, 'iso-8859-15');
    assert.notEqual(sniffCsvFile({ head: bytes, headIsWholeFile: true, spots: [] }).encoding, 'iso-8859-15');
    const sniff = sniffCsvFile({ head: bytes, headIsWholeFile: true, spots: [] }, {}, 'iso-8859-15');
    assert.equal(sniff.encoding, 'iso-8859-15');
    assert.equal(sniff.encodingConfidence, 1);
  });
});

describe('originalLineStart', () => {
  test('maps a decoded line start to the same line in the original bytes', () => {
    const text = 'ab\n😀\n\ncd\n';
    const original = encodeText(text, 'utf-16be');
    const decoded = Buffer.from(text, 'utf8');
    assert.equal(originalLineStart(original, decoded, 0, 0x0a, 'utf16be'), 0);
    assert.equal(originalLineStart(original, decoded, 3, 0x0a, 'utf16be'), 6);
    assert.equal(originalLineStart(original, decoded, 8, 0x0a, 'utf16be'), 12);
    assert.equal(originalLineStart(original, decoded, 9, 0x0a, 'utf16be'), 14);
    assert.equal(originalLineStart(original, decoded, decoded.length, 0x0a, 'utf16be'), original.length);
  });
});
