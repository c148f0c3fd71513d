import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sniffCsvFile } from '../../src/formats/csv/sniff-encoded.js';
import { createEngine, type Engine } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { encodeLines } from '../formats/encoding/encoded-text.js';

/**
 * Lines before a file's table are counted (`preamble_lines`) and, with keepPreamble, rejected as
 * PREAMBLE with the line, byte offset and text they have in the file — in any encoding — exactly
 * once, so rows + rejected is still the number of records.
 */

describe('preamble lines: where they are in the file', () => {
  for (const encoding of ['utf-8', 'utf-16le', 'windows-1252'] as const) {
    test(`${encoding}: byte offsets and text of the lines before the header`, () => {
      const lines = ['Rapport trimestriel — été', '', 'Source: grand livre', 'région,montant', 'nord,10', 'sud,20'];
      const { bytes, lineOffsets } = encodeLines(lines, encoding, { bom: encoding === 'utf-16le' });
      const sniff = sniffCsvFile({ head: bytes, headIsWholeFile: true, spots: [] }, {}, encoding === 'windows-1252' ? 'windows-1252' : undefined);
      assert.equal(sniff.preambleLines, 2);
      assert.deepEqual(sniff.preamble, [
        { line: 1, byteOffset: lineOffsets[0], raw: 'Rapport trimestriel — été' },
        { line: 3, byteOffset: lineOffsets[2], raw: 'Source: grand livre' },
      ]);
      assert.equal(sniff.dataStart, lineOffsets[4]);
    });
  }
});

describe('preamble lines: counted, and rejected on request', () => {
  let db: TestDatabase;
  let engine: Engine;
  let dir: string;

  before(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'sluice-preamble-'));
    engine = createEngine({ databaseUrl: db.url, workers: 1, writers: 2, chunkSize: 64 });
  });

  after(async () => {
    await engine.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const text = `# exported by ledger 4.2\nMonthly totals\n\nid,amount\n${Array.from({ length: 40 }, (_, i) => `${i},${i * 2}\n`).join('')}`;

  test('without keepPreamble: counted in the summary, nothing in the rejects', async () => {
    const path = join(dir, 'monthly.csv');
    await writeFile(path, text);
    const summary = await engine.ingest(path);
    assert.deepEqual([summary.status, summary.rows, summary.rejected, summary.preamble_lines, summary.comment], ['loaded', 40, 0, 2, '#']);
    const rejects = await db.query('SELECT 1 FROM ingest.rejects r JOIN ingest.files f ON f.id = r.file_id WHERE f.sha256 = $1', [summary.sha256]);
    assert.equal(rejects.rowCount, 0);
  });

  test('with keepPreamble: one PREAMBLE reject per line, with line, offset and text, written once', async () => {
    const path = join(dir, 'monthly_kept.csv');
    await writeFile(path, text);
    const summary = await engine.ingest(path, { keepPreamble: true, force: true });
    assert.deepEqual([summary.status, summary.rows, summary.rejected, summary.preamble_lines], ['loaded', 40, 2, 2]);
    assert.deepEqual(summary.reject_samples.map((r) => [r.reason, r.line, r.byte_offset]), [['PREAMBLE', 1, 0], ['PREAMBLE', 2, text.indexOf('Monthly')]]);
    const rejects = await db.query<{ line: string; raw: string; chunk_no: number }>(
      `SELECT r.line, r.raw, r.chunk_no FROM ingest.rejects r JOIN ingest.files f ON f.id = r.file_id
        WHERE f.sha256 = $1 AND f.generation = (SELECT max(generation) FROM ingest.files WHERE sha256 = $1) ORDER BY r.byte_offset`, [summary.sha256]);
    assert.deepEqual(rejects.rows.map((r) => [Number(r.line), r.raw]), [[1, '# exported by ledger 4.2'], [2, 'Monthly totals']]);
    // Loading the same content again is a skip: nothing is written twice.
    const again = await engine.ingest(path, { keepPreamble: true });
    assert.deepEqual([again.status, again.rejected], ['skipped', 2]);
    const count = await db.query('SELECT 1 FROM ingest.rejects r JOIN ingest.files f ON f.id = r.file_id WHERE f.sha256 = $1', [summary.sha256]);
    assert.equal(count.rowCount, 2);
  });
});
