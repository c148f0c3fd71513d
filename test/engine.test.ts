import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import csvParser from 'csv-parser';
import { createEngine, type Engine } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

/** Rows csv-parser reads from a text (headers: false), blank lines dropped. */
function referenceRows(text: string): Promise<string[][]> {
  return new Promise((resolve, reject) => {
    const rows: string[][] = [];
    const parser = csvParser({ headers: false });
    parser.on('data', (row: Record<string, string>) => {
      const values = Object.values(row);
      if (values.length > 0) rows.push(values);
    });
    parser.on('end', () => resolve(rows));
    parser.on('error', reject);
    parser.end(text);
  });
}

describe('engine: loading CSV files', () => {
  let db: TestDatabase;
  let engine: Engine;
  let dir: string;

  before(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'sluice-engine-'));
    engine = createEngine({ databaseUrl: db.url, workers: 2, writers: 2, chunkSize: 256 });
  });

  after(async () => {
    await engine.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  test('quoted multi-line fields that straddle chunk boundaries load once, intact', async () => {
    const lines = ['id,story,n'];
    for (let i = 0; i < 300; i++) {
      const story = Array.from({ length: 1 + (i % 7) }, (_, k) => `line ${k} of row ${i}, with "quotes" and commas`).join('\n');
      lines.push(`${i},"${story.replace(/"/g, '""')}",${i * 3}`);
    }
    const text = `${lines.join('\n')}\n`;
    const path = join(dir, 'stories.csv');
    await writeFile(path, text);
    const summary = await engine.ingest(path);
    assert.equal(summary.status, 'loaded');
    assert.equal(summary.rows, 300);
    assert.equal(summary.rejected, 0);
    assert.ok((summary.chunks?.total ?? 0) > 20, `expected many chunks, got ${summary.chunks?.total}`);
    const expected = (await referenceRows(text)).slice(1);
    const loaded = await db.query<{ id: number; story: string; n: number }>('SELECT id, story, n FROM staging.stories ORDER BY _offset');
    assert.deepEqual(loaded.rows.map((r) => [String(r.id), r.story, String(r.n)]), expected);
    const distinct = await db.query<{ count: number }>('SELECT count(DISTINCT _offset)::int AS count FROM staging.stories');
    assert.equal(distinct.rows[0].count, 300);
  });

  test('hostile headers become distinct, safe, quoted column names and the file loads', async () => {
    const long = 'a_very_long_header_name_that_goes_on_and_on_past_the_postgres_limit_';
    const headers = ['"a""b"', 'x;y', '"DROP TABLE ingest.files; --"', `${long}1`, `${long}2`, 'dup', 'dup', '', '"Robert\'); DROP TABLE students;--"', '_file', 'Ünïcödé Name'];
    const row = headers.map((_, i) => String(i)).join(',');
    const path = join(dir, 'hostile.csv');
    await writeFile(path, `${headers.join(',')}\n${row}\n${row}\n`);
    const summary = await engine.ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.equal(summary.rows, 2);
    const names = summary.columns.map((c) => c.name);
    assert.equal(new Set(names).size, headers.length, `names not distinct: ${names.join(' | ')}`);
    for (const name of names) {
      assert.match(name, /^[a-z_][a-z0-9_]*$/);
      assert.ok(Buffer.byteLength(name) <= 63, name);
    }
    assert.ok(!names.includes('_file'));
    const columns = await db.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = 'staging' AND table_name = 'hostile' ORDER BY ordinal_position");
    assert.deepEqual(columns.rows.map((r) => r.column_name), ['_file', '_offset', ...names]);
    // The ledger survived the header that names it.
    const files = await db.query('SELECT 1 FROM ingest.files');
    assert.ok((files.rowCount ?? 0) > 0);
    assert.deepEqual(summary.columns.map((c) => c.source), headers.map((h) => h.replace(/^"(.*)"$/s, '$1').replace(/""/g, '"')));
  });

  test('a rerun of the same content is skipped; --force loads it again as a new load', async () => {
    const path = join(dir, 'again.csv');
    await writeFile(path, 'k,v\n1,a\n2,b\n');
    const first = await engine.ingest(path);
    assert.equal(first.status, 'loaded');
    const second = await engine.ingest(path);
    assert.equal(second.status, 'skipped');
    assert.equal(second.rows, 2);
    const forced = await engine.ingest(path, { force: true });
    assert.equal(forced.status, 'loaded');
    const counts = await db.query<{ rows: number; files: number }>('SELECT count(*)::int AS rows, count(DISTINCT _file)::int AS files FROM staging.again');
    assert.deepEqual(counts.rows[0], { rows: 4, files: 2 });
  });

  test('rows that do not fit go to ingest.rejects with line, byte offset, reason and raw text', async () => {
    const text = 'id,amount,day\n1,10,2024-01-01\n2,11\n3,12,2024-01-03,extra\n4,13,2024-01-04\n';
    const path = join(dir, 'ragged.csv');
    await writeFile(path, text);
    const summary = await engine.ingest(path);
    assert.equal(summary.status, 'loaded');
    assert.equal(summary.rows, 2);
    assert.equal(summary.rejected, 2);
    const rejects = await db.query<{ line: number; byte_offset: number; reason: string; raw: string }>(
      `SELECT r.line::int, r.byte_offset::int, r.reason, r.raw FROM ingest.rejects r JOIN ingest.files f ON f.id = r.file_id
        WHERE f.dataset = 'ragged' ORDER BY r.byte_offset`);
    assert.deepEqual(rejects.rows, [
      { line: 3, byte_offset: text.indexOf('2,11'), reason: 'TOO_FEW_FIELDS', raw: '2,11' },
      { line: 4, byte_offset: text.indexOf('3,12'), reason: 'TOO_MANY_FIELDS', raw: '3,12,2024-01-03,extra' },
    ]);
  });

  test('a value that does not cast is rejected with reason CAST; the rest of the file loads', async () => {
    // The first file fixes the column types of the dataset; the second has values that do not fit
    // them, in a column the user typed (which does not widen) and an impossible date (no date widens to text).
    const first = join(dir, 'casts_1.csv');
    const second = join(dir, 'casts_2.csv');
    await writeFile(first, 'id,reading,day\n1,10,2024-01-01\n');
    await writeFile(second, 'id,reading,day\n2,not-a-number,2024-01-02\n3,99999999999,2024-01-03\n4,12,2024-02-30\n5,13,2024-01-05\n');
    assert.equal((await engine.ingest(first, { dataset: 'casts' })).status, 'loaded');
    const summary = await engine.ingest(second, { dataset: 'casts', overrides: { types: { reading: 'int' } } });
    assert.equal(summary.status, 'loaded');
    assert.equal(summary.rows, 1);
    assert.equal(summary.rejected, 3);
    assert.deepEqual(summary.reject_samples.map((r) => [r.reason, r.line]), [['CAST', 2], ['CAST', 3], ['CAST', 4]]);
    assert.match(summary.reject_samples[0].detail, /reading \(int\): "not-a-number"/);
    const loaded = await db.query<{ id: number }>('SELECT id FROM staging.casts ORDER BY id');
    assert.deepEqual(loaded.rows.map((r) => r.id), [1, 5]);
  });

  test('a row PostgreSQL refuses at COPY time is isolated and rejected with its message; the rest of the chunk loads', async () => {
    // The worker cannot know the table's own constraints: PostgreSQL refuses these rows mid-COPY.
    await db.query('CREATE TABLE staging.constrained (_file bigint NOT NULL, _offset bigint NOT NULL, id integer, amount integer CHECK (amount > 0))');
    const rows = ['id,amount'];
    for (let i = 1; i <= 5000; i++) rows.push(`${i},${i % 1000 === 0 ? -i : i}`);
    const text = `${rows.join('\n')}\n`;
    const path = join(dir, 'constrained.csv');
    await writeFile(path, text);
    const isolating = createEngine({ databaseUrl: db.url, workers: 1, writers: 1, chunkSize: 1 << 20 });
    try {
      const summary = await isolating.ingest(path);
      assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
      assert.equal(summary.rows, 4995);
      assert.equal(summary.rejected, 5);
      const rejects = await db.query<{ line: number; byte_offset: number; reason: string; detail: string; raw: string }>(
        `SELECT r.line::int, r.byte_offset::int, r.reason, r.detail, r.raw FROM ingest.rejects r JOIN ingest.files f ON f.id = r.file_id
          WHERE f.dataset = 'constrained' ORDER BY r.byte_offset`);
      assert.deepEqual(rejects.rows.map((r) => [r.line, r.byte_offset, r.reason, r.raw]),
        [1000, 2000, 3000, 4000, 5000].map((i) => [i + 1, text.indexOf(`\n${i},-${i}\n`) + 1, 'CONSTRAINT', `${i},-${i}`]));
      assert.match(rejects.rows[0].detail, /check constraint/);
      const loaded = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM staging.constrained WHERE amount < 0');
      assert.equal(loaded.rows[0].count, 0);
    } finally {
      await isolating.close();
    }
  });

  test('a missing file fails with a clear error and does not stop the engine', async () => {
    const summary = await engine.ingest(join(dir, 'nope.csv'));
    assert.equal(summary.status, 'failed');
    assert.equal(summary.error?.code, 'SLUICE_ERR_FILE_NOT_FOUND');
    const next = join(dir, 'after.csv');
    await writeFile(next, 'a\n1\n');
    assert.equal((await engine.ingest(next)).status, 'loaded');
  });

  test('a binary file fails as a whole with status failed', async () => {
    const path = join(dir, 'binary.csv');
    await writeFile(path, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00, 0x01, 0x02, 0x0a, 0x00]));
    const summary = await engine.ingest(path);
    assert.equal(summary.status, 'failed');
    assert.equal(summary.error?.code, 'SLUICE_ERR_FORMAT_BINARY');
    const ledger = await db.query<{ status: string; error_code: string }>(`SELECT status, error_code FROM ingest.files WHERE dataset = 'binary'`);
    assert.deepEqual(ledger.rows, [{ status: 'failed', error_code: 'SLUICE_ERR_FORMAT_BINARY' }]);
  });

  test('an empty file and a header-only file load with 0 rows', async () => {
    const empty = join(dir, 'empty.csv');
    const headerOnly = join(dir, 'header_only.csv');
    await writeFile(empty, '');
    await writeFile(headerOnly, 'a,b,c\n');
    const first = await engine.ingest(empty);
    const second = await engine.ingest(headerOnly);
    assert.deepEqual([first.status, first.rows, second.status, second.rows], ['loaded', 0, 'loaded', 0]);
    assert.deepEqual(second.columns.map((c) => c.name), ['a', 'b', 'c']);
  });

  test('types are inferred from the sample: leading zeros stay text, bool/int/bigint/float/date/timestamptz', async () => {
    const path = join(dir, 'typed.csv');
    await writeFile(path, 'zip,flag,n,big,x,d,ts,s\n'
      + '00123,true,1,9000000000,1.5,2024-01-01,2024-01-01T10:00:00Z,hello\n'
      + '04567,false,-2,1,2,2024-02-29,2024-01-01 11:00:00+02:00,world\n');
    const summary = await engine.ingest(path);
    assert.deepEqual(summary.columns.map((c) => c.type),
      ['text', 'boolean', 'integer', 'bigint', 'double precision', 'date', 'timestamp with time zone', 'text']);
    const row = await db.query<{ zip: string; ts: Date }>('SELECT zip, ts FROM staging.typed ORDER BY _offset');
    assert.equal(row.rows[0].zip, '00123');
    assert.equal(row.rows[1].ts.toISOString(), '2024-01-01T09:00:00.000Z');
  });
});
