/**
 * The worker's decoding of a chunk and the map from UTF-8 row starts back to file offsets,
 * without a pool: every row of a decoded chunk must report the byte offset it has in the file.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EncodePlan } from '../../../src/formats/csv/parse-chunk.js';
import { ChunkTranscoder } from '../../../src/formats/encoding/chunk-transcoder.js';
import { Windows1252Decoder } from '../../../src/formats/encoding/windows-1252.js';
import { ColumnType } from '../../../src/schema/column-type.js';
import { parseChunk } from '../csv/parse-support.js';
import { encodeLines, encodeText, type FixtureEncoding } from './encoded-text.js';

const LF = 0x0a;

const SAMPLES: { encoding: FixtureEncoding; lines: string[] }[] = [
  { encoding: 'windows-1252', lines: ['1,Zürich,“quoted” €', '', '2,café,Œuvre – š', '3,plain,ascii'] },
  { encoding: 'iso-8859-15', lines: ['1,€ and Š,x', '2,œ,Ÿ'] },
  { encoding: 'shift_jis', lines: ['1|ソフト|表示', '2|ポイント|能', '3|東京|大阪'] },
  { encoding: 'gb18030', lines: ['1,中文,乗亅', '2,😀,€', '3,北京,上海'] },
  { encoding: 'utf-16le', lines: ['1,\u0A22,😀', '2,"a\nb",\u220A', '3,x,y'] },
  { encoding: 'utf-16be', lines: ['1,\u0A22,😀', '2,"a\nb",\u220A', '3,x,y'] },
];

/** File offsets of the rows (lines that start outside quotes), given a chunk at `base`. */
function rowOffsets(lines: string[], lineOffsets: number[], base: number): number[] {
  const offsets: number[] = [];
  let quotes = 0;
  lines.forEach((line, k) => {
    if (quotes % 2 === 0 && line !== '') offsets.push(base + lineOffsets[k]);
    quotes += line.split('"').length - 1;
  });
  return offsets;
}

describe('ChunkTranscoder', () => {
  for (const { encoding, lines } of SAMPLES) {
    test(`${encoding}: decodes to the UTF-8 text and maps every line start to its file offset`, () => {
      const { bytes, lineOffsets } = encodeLines(lines, encoding);
      const transcoder = new ChunkTranscoder();
      const base = 1_000_000;
      const text = transcoder.transcode(bytes, 0, bytes.length, encoding, LF, base);
      assert.ok(text.mapOffset !== undefined);
      const utf8 = Buffer.from(text.bytes.subarray(text.start, text.end));
      assert.equal(utf8.toString('utf8'), lines.map((l) => `${l}\n`).join(''));
      let utf8Start = 0;
      lines.forEach((line, k) => {
        assert.equal(text.mapOffset!(utf8Start), base + lineOffsets[k], `line ${k + 1}`);
        utf8Start += Buffer.byteLength(`${line}\n`);
      });
    });

    test(`${encoding}: parseCsvChunk with the map gives every row its original offset as _offset`, () => {
      const { bytes, lineOffsets } = encodeLines(lines, encoding);
      const base = 4096;
      const text = new ChunkTranscoder().transcode(bytes, 0, bytes.length, encoding, LF, base);
      const delimiter = encoding === 'shift_jis' ? 0x7c : 0x2c;
      const plan: EncodePlan = {
        dialect: { delimiter, quote: 0x22, escape: -1, newline: LF, comment: -1 }, columnTypes: [ColumnType.int, ColumnType.text, ColumnType.text],
        columnNames: ['a', 'b', 'c'], fileId: 7, chunkNo: 0, baseOffset: base, invalidUtf8: 'reject',
      };
      const { stats, rows } = parseChunk(text.bytes, text.start, text.end, plan, { mapOffset: text.mapOffset });
      assert.equal(stats.rejected, 0);
      const expected = rowOffsets(lines, lineOffsets, base);
      assert.equal(stats.rows, expected.length);
      assert.deepEqual(rows.map((r) => r.offset), expected);
    });
  }

  test('a pure-ASCII chunk of an ASCII-compatible encoding is passed through untouched', () => {
    const bytes = Buffer.from('1,a\n2,b\n');
    const text = new ChunkTranscoder().transcode(bytes, 0, bytes.length, 'windows-1252', LF, 10);
    assert.equal(text.bytes, bytes);
    assert.equal(text.mapOffset, undefined);
  });

  test('Shift_JIS is decoded even when ASCII: its decoder does not map every ASCII byte to itself', () => {
    const bytes = Buffer.from('1,a\n');
    const text = new ChunkTranscoder().transcode(bytes, 0, bytes.length, 'shift_jis', LF, 0);
    assert.notEqual(text.mapOffset, undefined);
    assert.equal(Buffer.from(text.bytes.subarray(text.start, text.end)).toString(), '1,a\n');
  });

  test('invalid sequences become U+FFFD and keep the line breaks after them', () => {
    // A Shift_JIS lead byte before a newline, a GB18030 lead byte before a quote, a lone UTF-16 surrogate.
    const cases: { encoding: string; bytes: Buffer; text: string }[] = [
      { encoding: 'shift_jis', bytes: Buffer.from([0x31, 0x81, 0x0a, 0x32, 0x0a]), text: '1\uFFFD\n2\n' },
      { encoding: 'gb18030', bytes: Buffer.from([0x81, 0x22, 0x0a, 0x33, 0x0a]), text: '\uFFFD"\n3\n' },
      { encoding: 'utf-16le', bytes: Buffer.from([0x00, 0xd8, 0x0a, 0x00, 0x41, 0x00, 0x0a, 0x00]), text: '\uFFFD\nA\n' },
    ];
    for (const { encoding, bytes, text } of cases) {
      const decoded = new ChunkTranscoder().transcode(bytes, 0, bytes.length, encoding, LF, 100);
      assert.equal(Buffer.from(decoded.bytes.subarray(decoded.start, decoded.end)).toString('utf8'), text, encoding);
      const secondLine = Buffer.byteLength(text.slice(0, text.indexOf('\n') + 1));
      assert.equal(decoded.mapOffset!(secondLine), 100 + bytes.indexOf(0x0a) + (encoding === 'utf-16le' ? 2 : 1), encoding);
    }
  });

  test('a chunk larger than one decoding piece (1 MiB) keeps characters cut between pieces', () => {
    // 10-unit UTF-16 lines: the first piece ends after unit 524288 = 52428 × 10 + 8, inside 😀's surrogate pair.
    const utf16Lines = Array.from({ length: 120_000 }, () => 'xxxxxxx😀');
    // 3-byte Shift_JIS lines: the first piece ends after 1048576 = 349525 × 3 + 1 bytes, inside 表.
    const sjisLines = Array.from({ length: 400_000 }, () => '表');
    for (const [encoding, lines] of [['utf-16le', utf16Lines], ['shift_jis', sjisLines]] as const) {
      const { bytes, lineOffsets } = encodeLines(lines, encoding);
      const text = new ChunkTranscoder().transcode(bytes, 0, bytes.length, encoding, LF, 0);
      const decoded = Buffer.from(text.bytes.subarray(text.start, text.end)).toString('utf8');
      assert.equal(decoded, `${lines[0]}\n`.repeat(lines.length), encoding);
      const lineBytes = Buffer.byteLength(`${lines[0]}\n`);
      assert.equal(text.mapOffset!(lineBytes * 104_857), lineOffsets[104_857], encoding);
      assert.equal(text.mapOffset!(lineBytes * 7), lineOffsets[7], `${encoding}: the map also looks backwards`);
    }
  });

  test('the same transcoder serves chunk after chunk (buffers reused)', () => {
    const transcoder = new ChunkTranscoder();
    const first = encodeLines(['1,é', '2,ü'], 'windows-1252').bytes;
    const second = encodeLines(['3,ß'], 'windows-1252').bytes;
    const a = transcoder.transcode(first, 0, first.length, 'windows-1252', LF, 0);
    assert.equal(Buffer.from(a.bytes.subarray(a.start, a.end)).toString(), '1,é\n2,ü\n');
    assert.equal(a.mapOffset!(5), 4);
    const b = transcoder.transcode(second, 0, second.length, 'windows-1252', LF, 8);
    assert.equal(Buffer.from(b.bytes.subarray(b.start, b.end)).toString(), '3,ß\n');
    assert.equal(b.mapOffset!(0), 8);
  });
});

describe('Windows-1252 decoding (Node\'s TextDecoder decodes 0x80–0x9F as Latin-1)', () => {
  test('every byte decodes as the WHATWG index says', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const text = new Windows1252Decoder().decode(all);
    assert.equal(text.length, 256);
    for (let byte = 0; byte < 256; byte++) {
      const char = text[byte];
      if (byte < 0x80 || byte >= 0xa0 || [0x81, 0x8d, 0x8f, 0x90, 0x9d].includes(byte)) assert.equal(char.charCodeAt(0), byte, `byte ${byte.toString(16)}`);
      else assert.deepEqual([...encodeText(char, 'windows-1252')], [byte], `byte ${byte.toString(16)} decoded as ${char}`);
    }
  });
});
