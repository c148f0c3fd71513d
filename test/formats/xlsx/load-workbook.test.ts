import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { createEngine, type Engine, type FileSummary } from '../../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.js';
import { EMPTY_SHEET, NOTES_SHEET, SALES_SHEET, writeSalesWorkbook, zipArchive } from './workbook-fixtures.js';

/** Workbooks through the engine, into a real PostgreSQL: one staging table per sheet. */

async function sha256Of(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

function brief(summaries: FileSummary[]): [string | null, string, string | null, number][] {
  return summaries.map((s) => [s.sheet, s.status, s.dataset, s.rows]);
}

describe('engine: loading Excel workbooks', () => {
  let db: TestDatabase;
  let engine: Engine;
  let dir: string;
  let home: string;

  before(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'sluice-xlsx-'));
    home = join(dir, 'home');
    engine = createEngine({ databaseUrl: db.url, home, workers: 2, writers: 2, chunkSize: 128 });
  });

  after(async () => {
    await engine.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const columnsOf = async (table: string): Promise<[string, string][]> => (await db.query<{ column_name: string; data_type: string }>(
    `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'staging' AND table_name = $1 ORDER BY ordinal_position`,
    [table])).rows.map((r) => [r.column_name, r.data_type]);

  test('each sheet lands in a staging table of its own, with the types and values Excel had', async () => {
    const path = join(dir, 'sales.xlsx');
    await writeSalesWorkbook(path);
    const summaries = await engine.ingestAll(path);
    assert.deepEqual(brief(summaries), [[SALES_SHEET, 'loaded', 'sales_sales_2024', 3], [NOTES_SHEET, 'loaded', 'sales_notes', 2]]);
    const sha256 = await sha256Of(path);
    for (const summary of summaries) {
      assert.equal(summary.file, path);
      assert.equal(summary.format, 'xlsx');
      assert.equal(summary.sha256, sha256);
      assert.equal(summary.rejected, 0);
      assert.equal(summary.error, null);
      assert.equal(summary.delimiter, null);
      assert.equal(summary.header, true);
    }
    assert.deepEqual(summaries[0].columns.map((c) => [c.name, c.source, c.type]), [
      ['region', 'Region', 'text'], ['units', 'Units', 'integer'], ['column_3', '', 'double precision'], ['column_4', '', 'boolean'],
      ['day', 'Day', 'date'], ['at', 'At', 'timestamp with time zone'], ['total', 'Total', 'double precision'], ['big_number', 'Big Number', 'bigint'],
    ]);

    assert.deepEqual(await columnsOf('sales_sales_2024'), [
      ['_file', 'bigint'], ['_offset', 'bigint'], ['region', 'text'], ['units', 'integer'], ['column_3', 'double precision'], ['column_4', 'boolean'],
      ['day', 'date'], ['at', 'timestamp with time zone'], ['total', 'double precision'], ['big_number', 'bigint'],
    ]);
    const sales = await db.query(
      `SELECT region, units, column_3, column_4, day::text AS day, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS at, total, big_number::text AS big_number
         FROM staging.sales_sales_2024 ORDER BY _offset`);
    assert.deepEqual(sales.rows, [
      { region: 'north', units: 3, column_3: 2.5, column_4: true, day: '2024-01-31', at: '2024-01-31 08:15:00', total: 7.5, big_number: '5000000000' },
      { region: 'south', units: 4, column_3: 0.125, column_4: false, day: '2024-02-29', at: '2024-03-01 00:00:00', total: 0.5, big_number: '-5000000000' },
      { region: 'east "quoted", with comma\nand newline', units: null, column_3: null, column_4: null, day: null, at: null, total: null, big_number: null },
    ]);

    assert.deepEqual(await columnsOf('sales_notes'), [['_file', 'bigint'], ['_offset', 'bigint'], ['id', 'integer'], ['code', 'text'], ['due', 'date'], ['checked', 'text']]);
    const notes = await db.query('SELECT id, code, due::text AS due, checked FROM staging.sales_notes ORDER BY _offset');
    assert.deepEqual(notes.rows, [{ id: 1, code: '007', due: '2024-05-17', checked: null }, { id: 2, code: 'v1', due: null, checked: 'yes' }]);

    // The empty sheet made no table; the ledger knows each sheet under the workbook's hash.
    const tables = await db.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'staging' AND table_name LIKE 'sales_%' ORDER BY 1");
    assert.deepEqual(tables.rows.map((r) => r.table_name), ['sales_notes', 'sales_sales_2024']);
    const ledger = await db.query<{ sha256: string; source: string; format: string }>(`SELECT sha256, source, format FROM ingest.files WHERE sha256 LIKE $1 ORDER BY id`, [`${sha256}/%`]);
    assert.deepEqual(ledger.rows, [
      { sha256: `${sha256}/${SALES_SHEET}`, source: path, format: 'xlsx' },
      { sha256: `${sha256}/${NOTES_SHEET}`, source: path, format: 'xlsx' },
    ]);
  });

  test('loading the same workbook again skips every sheet; nothing is written twice', async () => {
    const path = join(dir, 'again.xlsx');
    await writeSalesWorkbook(path, 'again');
    const first = await engine.ingestAll(path);
    assert.deepEqual(first.map((s) => s.status), ['loaded', 'loaded']);
    const second = await engine.ingestAll(path);
    assert.deepEqual(brief(second), [[SALES_SHEET, 'skipped', 'again_sales_2024', 3], [NOTES_SHEET, 'skipped', 'again_notes', 2]]);
    assert.deepEqual(second.map((s) => s.file), [path, path]);
    const counts = await db.query<{ sales: number; notes: number }>(
      'SELECT (SELECT count(*)::int FROM staging.again_sales_2024) AS sales, (SELECT count(*)::int FROM staging.again_notes) AS notes');
    assert.deepEqual(counts.rows[0], { sales: 3, notes: 2 });
    // `ingest` (one summary) speaks for the workbook by its first sheet when none failed.
    const one = await engine.ingest(path);
    assert.deepEqual([one.sheet, one.status], [SALES_SHEET, 'skipped']);
  });

  test('--sheet loads one sheet, by name or position; the other loads later, the chosen one is then skipped', async () => {
    const path = join(dir, 'pick.xlsx');
    await writeSalesWorkbook(path, 'pick');
    const byName = await engine.ingestAll(path, { overrides: { sheet: NOTES_SHEET } });
    assert.deepEqual(brief(byName), [[NOTES_SHEET, 'loaded', 'pick_notes', 2]]);
    // The same sheet by its position is the same ledger entry.
    const byPosition = await engine.ingestAll(path, { overrides: { sheet: '2' } });
    assert.deepEqual(brief(byPosition), [[NOTES_SHEET, 'skipped', 'pick_notes', 2]]);
    const all = await engine.ingestAll(path);
    assert.deepEqual(brief(all), [[SALES_SHEET, 'loaded', 'pick_sales_2024', 3], [NOTES_SHEET, 'skipped', 'pick_notes', 2]]);
    const rows = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM staging.pick_notes');
    assert.equal(rows.rows[0].count, 2);
  });

  test('--dataset names the table of one sheet, and prefixes the tables of several', async () => {
    const path = join(dir, 'named.xlsx');
    await writeSalesWorkbook(path, 'named');
    const several = await engine.ingestAll(path, { dataset: 'Quarterly' });
    assert.deepEqual(several.map((s) => s.table), ['staging.quarterly_sales_2024', 'staging.quarterly_notes']);
    const path2 = join(dir, 'named2.xlsx');
    await writeSalesWorkbook(path2, 'named2');
    const one = await engine.ingestAll(path2, { dataset: 'just_notes', overrides: { sheet: NOTES_SHEET } });
    assert.deepEqual(one.map((s) => s.table), ['staging.just_notes']);
  });

  test('a type forced with --types (by name or header text) wins over what the cells are', async () => {
    const path = join(dir, 'typed.xlsx');
    await writeSalesWorkbook(path, 'typed');
    const [sales] = await engine.ingestAll(path, { overrides: { sheet: SALES_SHEET, types: { units: 'text', 'Big Number': 'text' } } });
    assert.equal(sales.status, 'loaded', JSON.stringify(sales.error));
    const types = Object.fromEntries(sales.columns.map((c) => [c.name, c.type]));
    assert.deepEqual([types.units, types.big_number, types.total], ['text', 'text', 'double precision']);
    const rows = await db.query('SELECT units, big_number FROM staging.typed_sales_2024 ORDER BY _offset');
    assert.deepEqual(rows.rows, [{ units: '3', big_number: '5000000000' }, { units: '4', big_number: '-5000000000' }, { units: null, big_number: null }]);
  });

  test('a sheet that is missing or empty fails the workbook with a code', async () => {
    const path = join(dir, 'missing.xlsx');
    await writeSalesWorkbook(path, 'missing');
    const [missing] = await engine.ingestAll(path, { overrides: { sheet: 'Nope' } });
    assert.deepEqual([missing.status, missing.error?.code, missing.file, missing.format], ['failed', 'SLUICE_ERR_FORMAT_XLSX_SHEET_NOT_FOUND', path, 'xlsx']);
    const [empty] = await engine.ingestAll(path, { overrides: { sheet: EMPTY_SHEET } });
    assert.deepEqual([empty.status, empty.error?.code], ['failed', 'SLUICE_ERR_FORMAT_XLSX_EMPTY']);
  });

  test('a corrupt workbook and a zip that is not one fail clearly, and the engine goes on loading', async () => {
    const good = join(dir, 'good.xlsx');
    await writeSalesWorkbook(good, 'good');
    const corrupt = join(dir, 'corrupt.xlsx');
    const bytes = await readFile(good);
    await writeFile(corrupt, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const [broken] = await engine.ingestAll(corrupt);
    assert.deepEqual([broken.status, broken.error?.code, broken.sheet, broken.rows], ['failed', 'SLUICE_ERR_FORMAT_XLSX_CORRUPT', null, 0]);
    const zip = join(dir, 'photos.zip');
    await writeFile(zip, zipArchive({ 'photo.txt': 'not a spreadsheet' }));
    const notBook = await engine.ingest(zip);
    assert.deepEqual([notBook.status, notBook.error?.code], ['failed', 'SLUICE_ERR_FORMAT_XLSX_NOT_WORKBOOK']);
    const after = await engine.ingestAll(good);
    assert.deepEqual(after.map((s) => s.status), ['loaded', 'loaded']);
    const csv = join(dir, 'plain.csv');
    await writeFile(csv, 'k,v\n1,a\n');
    assert.equal((await engine.ingest(csv)).status, 'loaded');
  });

  test('a gzipped workbook loads like the workbook it holds', async () => {
    const plain = join(dir, 'packed.xlsx');
    await writeSalesWorkbook(plain, 'packed');
    const packed = join(dir, 'packed.xlsx.gz');
    await writeFile(packed, gzipSync(await readFile(plain)));
    const summaries = await engine.ingestAll(packed);
    assert.deepEqual(summaries.map((s) => [s.sheet, s.status, s.dataset, s.compression, s.format]), [
      [SALES_SHEET, 'loaded', 'packed_sales_2024', 'gzip', 'xlsx'], [NOTES_SHEET, 'loaded', 'packed_notes', 'gzip', 'xlsx'],
    ]);
    // Its identity is the workbook's content: the workbook itself is then already loaded.
    assert.equal(summaries[0].sha256, await sha256Of(plain));
    assert.deepEqual((await engine.ingestAll(plain)).map((s) => s.status), ['skipped', 'skipped']);
  });

  test('the spooled CSVs are removed once the sheets are loaded', async () => {
    const spool = join(home, 'spool');
    const leftovers = await readdir(spool, { recursive: true });
    assert.deepEqual(leftovers, []);
  });
});
