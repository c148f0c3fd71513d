/**
 * Every csv-spectrum case through the real engine into a real PostgreSQL, compared with
 * csv-parser's reading of the same file. Chunks of 64 bytes (the smallest allowed) make rows
 * straddle chunk boundaries in every multi-row case.
 *
 * Comparison rules: values as text; an empty unquoted field loads as NULL while csv-parser reads
 * '', so NULL is compared as ''; columns in header order; rows in file order (_offset). csv-parser
 * is fed each file in ONE write.
 */
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import csvParser from 'csv-parser';
import pg from 'pg';
import { createEngine, type Engine } from '../../../src/engine.js';
import type { FormatOverrides } from '../../../src/formats/overrides.js';
import type { FileSummary } from '../../../src/summary.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.js';

const require = createRequire(import.meta.url);
const SPECTRUM_DIR = join(dirname(require.resolve('csv-spectrum/package.json')), 'csvs');

interface Reference {
  headers: string[];
  /** Non-blank records, values by header (extra cells of a long row under csv-parser's `_<n>` keys). */
  rows: { values: Record<string, string>; byteOffset: number }[];
}

function readReference(bytes: Buffer): Promise<Reference> {
  return new Promise((resolve, reject) => {
    let headers: string[] = [];
    const rows: Reference['rows'] = [];
    const parser = csvParser({ outputByteOffset: true } as csvParser.Options);
    parser.on('headers', (h: string[]) => { headers = h; });
    parser.on('data', (item: { row: Record<string, string>; byteOffset: number }) => {
      if (Object.keys(item.row).length > 0) rows.push({ values: item.row, byteOffset: item.byteOffset });
    });
    parser.on('end', () => resolve({ headers, rows }));
    parser.on('error', reject);
    parser.end(bytes);
  });
}

interface LoadedRow {
  _file: string;
  _offset: string;
  values: string[];
}

async function loadedRows(db: TestDatabase, summary: FileSummary): Promise<LoadedRow[]> {
  assert.ok(summary.dataset !== null);
  const columns = summary.columns.map((c) => `${pg.escapeIdentifier(c.name)}::text`);
  const result = await db.query<Record<string, string | null>>(
    // ORDER BY t._offset: a bare _offset would sort by the text output column of the same name.
    `SELECT t._file::text, t._offset::text${columns.length > 0 ? `, ${columns.map((c) => `t.${c}`).join(', ')}` : ''}
       FROM staging.${pg.escapeIdentifier(summary.dataset)} t ORDER BY t._offset`, []);
  // Fetch values by position: two headers may normalise to names that differ only in suffix.
  return result.rows.map((row) => {
    const cells = Object.values(row);
    // NULL (an empty unquoted field) is '' to csv-parser.
    return { _file: String(cells[0]), _offset: String(cells[1]), values: cells.slice(2).map((v) => v ?? '') };
  });
}

describe('csv-spectrum through the engine', () => {
  let db: TestDatabase;
  let engine: Engine;
  let extraDir: string;
  const summaries = new Map<string, FileSummary>();

  before(async () => {
    db = await createTestDatabase('sluice_spectrum');
    engine = createEngine({ databaseUrl: db.url, workers: 2, writers: 2, chunkSize: 64, invalidUtf8: 'replace' });
    extraDir = await mkdtemp(join(tmpdir(), 'sluice-spectrum-'));
  });

  after(async () => {
    await engine?.close();
    await db?.drop();
    if (extraDir !== undefined) await rm(extraDir, { recursive: true, force: true });
  });

  const cases = readdirSync(SPECTRUM_DIR).filter((f) => f.endsWith('.csv')).sort();

  test('the package has the expected cases', () => {
    assert.deepEqual(cases, [
      'comma_in_quotes.csv', 'empty.csv', 'empty_crlf.csv', 'escaped_quotes.csv', 'json.csv', 'location_coordinates.csv',
      'newlines.csv', 'newlines_crlf.csv', 'quotes_and_newlines.csv', 'simple.csv', 'simple_crlf.csv', 'utf8.csv',
    ]);
  });

  /** Loads a file and checks it against csv-parser; returns the summary, reference and rows. */
  async function loadAndCompare(path: string, overrides?: FormatOverrides): Promise<{ summary: FileSummary; reference: Reference; loaded: LoadedRow[] }> {
    const bytes = readFileSync(path);
    const reference = await readReference(bytes);
    const summary = await engine.ingest(path, { overrides });
    summaries.set(basename(path), summary);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.equal(summary.header, true, 'every csv-spectrum case has a header row');
    assert.deepEqual(summary.columns.map((c) => c.source), reference.headers, 'columns in header order');

    const complete = reference.rows.filter((r) => Object.keys(r.values).length === reference.headers.length);
    assert.equal(summary.rows, complete.length, 'rows === csv-parser\'s rows with every field');
    assert.equal(summary.rows + summary.rejected, reference.rows.length, 'rows + rejected === csv-parser\'s row count');
    assert.equal(summary.rows, reference.rows.length, 'summary.rows === csv-parser\'s row count');

    const loaded = await loadedRows(db, summary);
    assert.equal(loaded.length, complete.length);
    assert.deepEqual(loaded.map((r) => r.values), complete.map((r) => reference.headers.map((h) => r.values[h])), 'values');
    assert.deepEqual(loaded.map((r) => Number(r._offset)), complete.map((r) => r.byteOffset), '_offset is csv-parser\'s record offset');
    assert.equal(new Set(loaded.map((r) => r._file)).size, Math.min(1, loaded.length), 'one _file per load');
    return { summary, reference, loaded };
  }

  for (const name of [
    'comma_in_quotes.csv', 'empty.csv', 'empty_crlf.csv', 'escaped_quotes.csv', 'json.csv',
    'newlines.csv', 'newlines_crlf.csv', 'quotes_and_newlines.csv', 'simple.csv', 'simple_crlf.csv', 'utf8.csv',
  ]) {
    test(name, async () => {
      const { summary, loaded } = await loadAndCompare(join(SPECTRUM_DIR, name));
      assert.equal(summary.rejected, 0);
      assert.ok(loaded.length > 0);
    });
  }

  // The files are smaller than the smallest chunk (64 bytes), so each case also runs with its data
  // rows repeated until the file spans many chunks: then rows (multi-line ones included) straddle
  // chunk boundaries, which is what the 64-byte chunk size is for.
  for (const name of [
    'comma_in_quotes.csv', 'empty.csv', 'empty_crlf.csv', 'escaped_quotes.csv', 'json.csv',
    'newlines.csv', 'newlines_crlf.csv', 'quotes_and_newlines.csv', 'simple.csv', 'simple_crlf.csv', 'utf8.csv',
  ]) {
    test(`${name}, data rows repeated across many 64-byte chunks`, async () => {
      const text = readFileSync(join(SPECTRUM_DIR, name), 'utf8');
      const newline = text.includes('\r\n') ? '\r\n' : '\n';
      const headerEnd = text.indexOf(newline) + newline.length;
      const body = text.slice(headerEnd).endsWith(newline) ? text.slice(headerEnd) : text.slice(headerEnd) + newline;
      const repeats = Math.ceil(1500 / body.length);
      const path = join(extraDir, name.replace('.csv', '_repeated.csv'));
      await writeFile(path, text.slice(0, headerEnd) + body.repeat(repeats));
      const { summary, reference } = await loadAndCompare(path);
      assert.equal(summary.rejected, 0);
      assert.equal(summary.rows, repeats * (await readReference(readFileSync(join(SPECTRUM_DIR, name)))).rows.length);
      assert.equal(reference.rows.length, summary.rows);
      assert.ok((summary.chunks?.total ?? 0) >= 15, `many chunks (got ${summary.chunks?.total})`);
    });
  }

  test('spot checks of values that are easy to get wrong', async () => {
    const values = async (file: string): Promise<string[][]> => (await loadedRows(db, summaries.get(file)!)).map((r) => r.values);
    assert.deepEqual(await values('escaped_quotes.csv'), [['1', 'ha "ha" ha'], ['3', '4']]);
    assert.deepEqual(await values('newlines_crlf.csv'), [['1', '2', '3'], ['Once upon \r\na time', '5', '6'], ['7', '8', '9']]);
    assert.deepEqual(await values('quotes_and_newlines.csv'), [['1', 'ha \n"ha" \nha'], ['3', '4']]);
    assert.deepEqual(await values('comma_in_quotes.csv'), [['John', 'Doe', '120 any st.', 'Anytown, WW', '08123']]);
    assert.deepEqual(await values('utf8.csv'), [['1', '2', '3'], ['4', '5', 'ʤ']]);
    // empty.csv: b and c are integer columns, where a quoted empty field is a missing value (NULL).
    const emptySummary = summaries.get('empty.csv')!;
    assert.deepEqual(emptySummary.columns.map((c) => c.type), ['integer', 'integer', 'integer']);
    const empty = await db.query<{ b: string | null; c: string | null }>(`SELECT b::text, c::text FROM staging.${pg.escapeIdentifier(emptySummary.dataset!)} ORDER BY _offset`);
    assert.deepEqual(empty.rows, [{ b: null, c: null }, { b: '3', c: '4' }]);
  });

  // 37°36'37.8"N: a quote mid-field. csv-parser opens quoting there and swallows the commas that
  // follow (one ragged row of two fields); by RFC 4180 — a quote opens a field only at its start —
  // it is text, and Sluice loads the row's four fields.
  async function loadCoordinates(path: string, overrides?: FormatOverrides): Promise<void> {
    const bytes = readFileSync(path);
    const reference = await readReference(bytes);
    assert.equal(reference.rows.length, 1);
    assert.equal(Object.values(reference.rows[0].values).length, 2, 'csv-parser reads a ragged row');
    const summary = await engine.ingest(path, { overrides });
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.deepEqual([summary.rows, summary.rejected], [1, 0]);
    const loaded = await loadedRows(db, summary);
    assert.deepEqual(loaded.map((r) => r.values), [['2095257564', '37\uFFFD36\'37.8"N 121\uFFFD2\'17.9"W', 'Modesto', 'Stanislaus']]);
    assert.deepEqual(loaded.map((r) => Number(r._offset)), [reference.rows[0].byteOffset]);
  }

  test('location_coordinates.csv: the seconds mark mid-field is text, the row loads whole (csv-parser reads a ragged row)', async () => {
    const path = join(SPECTRUM_DIR, 'location_coordinates.csv');
    const bytes = readFileSync(path);
    // The packaged file holds U+FFFD itself (EF BF BD) where the degree signs were: it is valid
    // UTF-8, so invalidUtf8 'replace' is not involved; the Latin-1 variant below exercises it.
    assert.ok(isUtf8(bytes));
    assert.equal(bytes.toString('utf8').split('\uFFFD').length - 1, 2);
    await loadCoordinates(path);
  });

  test('location_coordinates with real Latin-1 degree signs read as UTF-8: U+FFFD where the Latin-1 bytes were', async () => {
    const original = readFileSync(join(SPECTRUM_DIR, 'location_coordinates.csv'));
    const latin1 = Buffer.from(original.toString('latin1').replaceAll('\xef\xbf\xbd', '\xb0'), 'latin1');
    assert.ok(!isUtf8(latin1));
    assert.equal(latin1.filter((b) => b === 0xb0).length, 2);
    const path = join(extraDir, 'location_coordinates_latin1.csv');
    await writeFile(path, latin1);
    // Read as UTF-8 on purpose, as csv-parser reads it (detected, it would be Windows-1252 and the
    // degree signs would load as such: test/formats/encoding).
    await loadCoordinates(path, { encoding: 'utf-8' });
  });

  test('a well-formed Latin-1 file loads with U+FFFD under invalidUtf8 \'replace\', as csv-parser reads it', async () => {
    const latin1 = Buffer.from('city,coordinates,county\nModesto,37\xb036 N 121\xb02 W,Stanislaus\nTurlock,"37\xb029, N",Stanislaus\n', 'latin1');
    assert.ok(!isUtf8(latin1));
    const path = join(extraDir, 'latin1_degrees.csv');
    await writeFile(path, latin1);
    const { summary, loaded } = await loadAndCompare(path, { encoding: 'utf-8' });
    assert.equal(summary.rejected, 0);
    assert.deepEqual(loaded.map((r) => r.values), [
      ['Modesto', '37\uFFFD36 N 121\uFFFD2 W', 'Stanislaus'],
      ['Turlock', '37\uFFFD29, N', 'Stanislaus'],
    ]);
  });
});
