/**
 * Files in every supported encoding, loaded through the engine into a real PostgreSQL with small
 * chunks (so chunks straddle rows and quoted multi-line fields): the values must be the text's
 * own (compared with the UTF-8 truth), `_offset` and reject offsets must be byte offsets in the
 * original file, and reject line numbers must count the file's own lines.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createEngine, type Engine } from '../../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.js';
import { encodeLines, type FixtureEncoding } from './encoded-text.js';

interface Case {
  name: string;
  encoding: FixtureEncoding;
  bom?: boolean;
  delimiter?: string;
  /** The name and note of row i (the note may hold quotes and newlines). */
  values: (i: number) => [string, string];
  /** What the summary must report. */
  expected: string;
}

const UNICODE_VALUES = (i: number): [string, string] => [
  `Zürich ${i} 😀 日本`,
  i % 3 === 0 ? `multi\nline "${i}", with \u0A22\u220A and \u0A00` : `plain ${i} ∊ ਢ`,
];

const CASES: Case[] = [
  { name: 'utf8_bom', encoding: 'utf-8', bom: true, values: UNICODE_VALUES, expected: 'utf-8' },
  {
    name: 'win1252', encoding: 'windows-1252', expected: 'windows-1252',
    values: (i) => [`Zürich – “${i}” €`, i % 3 === 0 ? `café au lait\nnaïve "façade" ${i}, Müller Straße` : `Œuvre ${i} à la française, São Paulo`],
  },
  {
    // ISO-8859-1 text without 0x80–0x9F is Windows-1252 text, and is reported as such.
    name: 'latin1', encoding: 'iso-8859-1', expected: 'windows-1252',
    values: (i) => [`Zürich ${i} × ÿ`, i % 3 === 0 ? `café au lait\nnaïve "façade" ${i}, Müller Straße` : `Ærøskøbing ${i}, São Paulo, déjà vu`],
  },
  {
    // ソ 表 能 end in 0x5C and ポ in 0x7C — the delimiter.
    name: 'sjis', encoding: 'shift_jis', delimiter: '|', expected: 'shift_jis',
    values: (i) => [`ソフト表示${i}`, i % 3 === 0 ? `東京都\n"ポイント" ${i}|大阪府` : `日本語 ${i} 能 価格 商品 円`],
  },
  {
    // 乗 ends in 0x5C, 亅 in 0x7C; 😀 takes four bytes.
    name: 'gb', encoding: 'gb18030', expected: 'gb18030',
    values: (i) => [`中文数据${i} 乗亅`, i % 3 === 0 ? `北京上海\n"名称" ${i}, 价格 €` : `城市 ${i} 😀 é`],
  },
  { name: 'u16le_bom', encoding: 'utf-16le', bom: true, values: UNICODE_VALUES, expected: 'utf-16le' },
  { name: 'u16le', encoding: 'utf-16le', values: UNICODE_VALUES, expected: 'utf-16le' },
  { name: 'u16be_bom', encoding: 'utf-16be', bom: true, values: UNICODE_VALUES, expected: 'utf-16be' },
  { name: 'u16be', encoding: 'utf-16be', values: UNICODE_VALUES, expected: 'utf-16be' },
];

/** A CSV field, quoted when it must be. */
function field(value: string, delimiter: string): string {
  return /["\n\r]/.test(value) || value.includes(delimiter) ? `"${value.replace(/"/g, '""')}"` : value;
}

describe('loading CSV files in other encodings', () => {
  let db: TestDatabase;
  let engine: Engine;
  let dir: string;

  before(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'sluice-encoding-'));
    engine = createEngine({ databaseUrl: db.url, workers: 2, writers: 2, chunkSize: 256 });
    await engine.start();
  });

  after(async () => {
    await engine.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    test(`${c.name}: ${c.encoding}${c.bom === true ? ' with BOM' : ''} loads the exact values, with file offsets, reported as ${c.expected}`, async () => {
      const delimiter = c.delimiter ?? ',';
      const truth = Array.from({ length: 120 }, (_, i) => [String(i), ...c.values(i)]);
      const lines = [['id', 'name', 'note'].join(delimiter), ...truth.map((row) => row.map((v) => field(v, delimiter)).join(delimiter))];
      const file = encodeLines(lines, c.encoding, { bom: c.bom });
      const path = join(dir, `${c.name}.csv`);
      await writeFile(path, file.bytes);

      const summary = await engine.ingest(path);
      assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
      assert.equal(summary.encoding, c.expected);
      assert.ok(typeof summary.confidence?.encoding === 'number' && summary.confidence.encoding > 0, JSON.stringify(summary.confidence));
      assert.equal(summary.delimiter, delimiter);
      assert.equal(summary.rows, truth.length);
      assert.equal(summary.rejected, 0);
      assert.ok((summary.chunks?.total ?? 0) > 10, `expected chunks to straddle rows, got ${summary.chunks?.total} chunks`);

      const loaded = await db.query<{ id: number; name: string; note: string; _offset: string }>(`SELECT id, name, note, _offset FROM staging.${c.name} ORDER BY _offset`);
      assert.deepEqual(loaded.rows.map((r) => [String(r.id), r.name, r.note]), truth);
      assert.deepEqual(loaded.rows.map((r) => Number(r._offset)), file.lineOffsets.slice(1));
    });
  }

  test('--encoding beats detection: ISO-8859-15 bytes read as € only when told', async () => {
    const truth = Array.from({ length: 40 }, (_, i) => [String(i), `€ ${i}, Š š Ž ž Œ œ Ÿ`]);
    const file = encodeLines(['id,price', ...truth.map(([id, v]) => `${id},"${v}"`)], 'iso-8859-15');
    const path = join(dir, 'euro.csv');
    await writeFile(path, file.bytes);

    const detected = await engine.ingest(path, { dataset: 'euro_detected' });
    assert.equal(detected.status, 'loaded', JSON.stringify(detected.error));
    assert.notEqual(detected.encoding, 'iso-8859-15');
    const misread = await db.query<{ price: string }>('SELECT price FROM staging.euro_detected ORDER BY _offset LIMIT 1');
    assert.notEqual(misread.rows[0].price, truth[0][1]);

    const told = await engine.ingest(path, { dataset: 'euro_told', force: true, overrides: { encoding: 'ISO-8859-15' } });
    assert.equal(told.status, 'loaded', JSON.stringify(told.error));
    assert.equal(told.encoding, 'iso-8859-15');
    assert.equal(told.confidence?.encoding, 1);
    const read = await db.query<{ id: number; price: string; _offset: string }>('SELECT id, price, _offset FROM staging.euro_told ORDER BY _offset');
    assert.deepEqual(read.rows.map((r) => [String(r.id), r.price]), truth);
    assert.deepEqual(read.rows.map((r) => Number(r._offset)), file.lineOffsets.slice(1));
  });

  test('an unknown --encoding fails the file with SLUICE_ERR_CONFIG_INVALID', async () => {
    const path = join(dir, 'unknown.csv');
    await writeFile(path, 'a,b\n1,2\n');
    const summary = await engine.ingest(path, { overrides: { encoding: 'ebcdic-klingon' } });
    assert.equal(summary.status, 'failed');
    assert.equal(summary.error?.code, 'SLUICE_ERR_CONFIG_INVALID');
  });

  test('binary files still fail with SLUICE_ERR_FORMAT_BINARY', async () => {
    const int16 = Buffer.alloc(8192);
    for (let i = 0; i < 4096; i++) int16.writeInt16LE((i * 37) % 256, i * 2);
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x0a, 0x00]);
    for (const [name, bytes] of [['samples.csv', int16], ['image.csv', png]] as const) {
      const path = join(dir, name);
      await writeFile(path, bytes);
      const summary = await engine.ingest(path);
      assert.equal(summary.status, 'failed', name);
      assert.equal(summary.error?.code, 'SLUICE_ERR_FORMAT_BINARY', name);
    }
  });

  describe('invalid UTF-8 rows', () => {
    /**
     * Rows 7, 14, 21, … carry an invalid sequence at the end of their last field: a lead byte right
     * before the newline, or before the closing quote of a quoted note (after it, the quote would
     * be a stray one, not a closing quote).
     */
    function brokenFile(): { bytes: Buffer; good: string[][]; bad: { line: number; offset: number }[] } {
      const parts: Buffer[] = [Buffer.from('id,name,note\n')];
      const good: string[][] = [];
      const bad: { line: number; offset: number }[] = [];
      let offset = parts[0].length;
      let line = 2;
      for (let i = 1; i <= 150; i++) {
        const note = i % 4 === 0 ? `"two\nlines ${i}"` : `Zürich ${i}`;
        let row = Buffer.from(`${i},café ${i},${note}\n`);
        if (i % 7 === 0) {
          const invalid = [Buffer.from([0xff]), Buffer.from([0xe6, 0x97]), Buffer.from([0xc3])][i % 3];
          const at = row.length - (i % 4 === 0 ? 2 : 1);
          row = Buffer.concat([row.subarray(0, at), invalid, row.subarray(at)]);
          bad.push({ line, offset });
        } else {
          good.push([String(i), `café ${i}`, i % 4 === 0 ? `two\nlines ${i}` : `Zürich ${i}`]);
        }
        parts.push(row);
        offset += row.length;
        line += i % 4 === 0 ? 2 : 1;
      }
      return { bytes: Buffer.concat(parts), good, bad };
    }

    test('are rejected as ENCODING with their line and byte offset; the rows around them load', async () => {
      const file = brokenFile();
      const path = join(dir, 'broken_utf8.csv');
      await writeFile(path, file.bytes);
      const summary = await engine.ingest(path);
      assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
      assert.equal(summary.encoding, 'utf-8');
      assert.equal(summary.rows, file.good.length);
      assert.equal(summary.rejected, file.bad.length);
      assert.ok((summary.chunks?.total ?? 0) > 10);
      const rejects = await db.query<{ line: number; byte_offset: string; reason: string }>(
        `SELECT r.line::int, r.byte_offset, r.reason FROM ingest.rejects r JOIN ingest.files f ON f.id = r.file_id
          WHERE f.dataset = 'broken_utf8' ORDER BY r.byte_offset`);
      assert.deepEqual(rejects.rows.map((r) => ({ line: r.line, offset: Number(r.byte_offset), reason: r.reason })),
        file.bad.map((b) => ({ ...b, reason: 'ENCODING' })));
      const loaded = await db.query<{ id: number; name: string; note: string }>('SELECT id, name, note FROM staging.broken_utf8 ORDER BY _offset');
      assert.deepEqual(loaded.rows.map((r) => [String(r.id), r.name, r.note]), file.good);
    });

    test('load with U+FFFD when invalidUtf8 is replace', async () => {
      const file = brokenFile();
      const path = join(dir, 'replaced_utf8.csv');
      await writeFile(path, file.bytes);
      const replacing = createEngine({ databaseUrl: db.url, workers: 2, writers: 2, chunkSize: 256, invalidUtf8: 'replace' });
      try {
        // The same bytes as the file above: loaded again on purpose.
        const summary = await replacing.ingest(path, { force: true });
        assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
        assert.equal(summary.rows, 150);
        assert.equal(summary.rejected, 0);
        const loaded = await db.query<{ id: number; note: string; _offset: string }>('SELECT id, note, _offset FROM staging.replaced_utf8 WHERE id % 7 = 0 ORDER BY _offset');
        assert.equal(loaded.rows.length, file.bad.length);
        for (const row of loaded.rows) assert.match(row.note, /\uFFFD$/);
        assert.deepEqual(loaded.rows.map((r) => Number(r._offset)), file.bad.map((b) => b.offset));
      } finally {
        await replacing.close();
      }
    });
  });

  for (const encoding of ['utf-16le', 'utf-16be', 'shift_jis', 'utf-8'] as const) {
    test(`${encoding}: rejects carry the file's line numbers and byte offsets (worker rejects and COPY-time rejects)`, async () => {
      const dataset = `rejects_${encoding.replace(/-/g, '')}`;
      // The table's CHECK refuses negative amounts only when PostgreSQL reads them (COPY time).
      await db.query(`CREATE TABLE staging.${dataset} (_file bigint NOT NULL, _offset bigint NOT NULL, id integer, note text, amount integer CHECK (amount > 0))`);
      const lines = ['Export 2024: 東京', 'id,note,amount'];
      const expected: { line: number; reason: string; lineIndex: number }[] = [];
      let physical = 3;
      for (let i = 1; i <= 90; i++) {
        const multi = i % 5 === 0;
        // U+0A0A and U+010A hold 0x0A bytes: in UTF-16 only a code unit may count as a line break.
        const note = multi ? `"ソフト\n表示 ${i}"` : `東京 ${i}${encoding === 'shift_jis' ? '' : ' \u0A0A\u010A'}`;
        let text = `${i},${note},${i}`;
        let reason: string | null = null;
        if (i % 11 === 0) { text = `${i},${note}`; reason = 'TOO_FEW_FIELDS'; }
        else if (i % 13 === 0) { text = `${i},${note},${i},extra`; reason = 'TOO_MANY_FIELDS'; }
        else if (i % 17 === 0) { text = `${i},${note},-${i}`; reason = 'CONSTRAINT'; }
        if (reason !== null) expected.push({ line: physical, reason, lineIndex: lines.length });
        lines.push(text);
        physical += multi ? 2 : 1;
      }
      const file = encodeLines(lines, encoding, { bom: encoding.startsWith('utf-16') });
      const path = join(dir, `${dataset}.csv`);
      await writeFile(path, file.bytes);
      const summary = await engine.ingest(path, { dataset, overrides: { encoding } });
      assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
      const rejects = await db.query<{ line: number; byte_offset: string; reason: string }>(
        `SELECT r.line::int, r.byte_offset, r.reason FROM ingest.rejects r JOIN ingest.files f ON f.id = r.file_id
          WHERE f.dataset = $1 ORDER BY r.byte_offset`, [dataset]);
      assert.deepEqual(rejects.rows.map((r) => ({ line: r.line, offset: Number(r.byte_offset), reason: r.reason })),
        expected.map((e) => ({ line: e.line, offset: file.lineOffsets[e.lineIndex], reason: e.reason })));
      assert.equal(summary.rejected, expected.length);
    });
  }
});
