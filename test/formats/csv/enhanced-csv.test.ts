import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createEngine, type Engine } from '../../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.js';

describe('enhanced CSV: value formats, null tokens, preamble, overrides', () => {
  let db: TestDatabase;
  let engine: Engine;
  let dir: string;

  before(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'sluice-enhanced-'));
    // Small chunks: rewritten rows straddle chunk boundaries too.
    engine = createEngine({ databaseUrl: db.url, workers: 2, writers: 2, chunkSize: 128 });
  });

  after(async () => {
    await engine.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a European export: preamble, ; delimiter, day-first dates, decimal commas, thousands dots, null tokens, epoch seconds', async () => {
    const path = join(dir, 'euro.csv');
    await writeFile(path, [
      'Sales report', 'exported 2024-05-01', '',
      'Datum;Betrag;Menge;Kunde;created_at',
      '31.12.2023;1.234,56;2.500;Müller;1700000000',
      '01.02.2024;3,14;1.000.000;"Weber; GmbH";1700003600',
      '15.03.2024;-0,5;NA;Schmidt;1700007200',
      '',
    ].join('\r\n'));
    const summary = await engine.ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.deepEqual([summary.rows, summary.rejected, summary.delimiter, summary.header], [3, 0, ';', true]);
    assert.deepEqual(summary.columns.map((c) => [c.name, c.type, c.format]), [
      ['datum', 'date', 'DD/MM/YYYY'],
      ['betrag', 'double precision', '1.234,5'],
      ['menge', 'integer', '1.234,5, null tokens'],
      ['kunde', 'text', null],
      ['created_at', 'timestamp with time zone', 'epoch seconds'],
    ]);
    const rows = await db.query<{ datum: string; betrag: number; menge: number | null; kunde: string; created_at: Date }>(
      "SELECT to_char(datum, 'YYYY-MM-DD') AS datum, betrag, menge, kunde, created_at FROM staging.euro ORDER BY _offset");
    assert.deepEqual(rows.rows.map((r) => [r.datum, r.betrag, r.menge, r.kunde, r.created_at.toISOString()]), [
      ['2023-12-31', 1234.56, 2500, 'Müller', '2023-11-14T22:13:20.000Z'],
      ['2024-02-01', 3.14, 1000000, 'Weber; GmbH', '2023-11-14T23:13:20.000Z'],
      ['2024-03-15', -0.5, null, 'Schmidt', '2023-11-15T00:13:20.000Z'],
    ]);
  });

  test('a US export: month names, quoted thousands commas, 12-hour times, year-month, null tokens in booleans', async () => {
    const path = join(dir, 'us.csv');
    await writeFile(path, 'when,amount,visit,month,flag\n'
      + '"Jan 1, 2000","1,234.50",03/04/2024 1:05 PM,2024-01,yes\n'
      + 'Feb 29 2000,"12,000",12/31/2024 11:00 AM,2024-02,no\n'
      + 'Mar 3 2001,7.25,01/02/2024 00:00,2024-03,NULL\n');
    const summary = await engine.ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.deepEqual(summary.columns.map((c) => [c.type, c.format]), [
      ['date', 'Mon DD YYYY'], ['double precision', '1,234.5'], ['timestamp with time zone', 'MM/DD/YYYY'], ['date', 'YYYY-MM'], ['boolean', 'null tokens'],
    ]);
    const rows = await db.query<{ when: string; amount: number; visit: Date; month: string; flag: boolean | null }>(
      "SELECT to_char(\"when\", 'YYYY-MM-DD') AS when, amount, visit, to_char(month, 'YYYY-MM-DD') AS month, flag FROM staging.us ORDER BY _offset");
    assert.deepEqual(rows.rows.map((r) => [r.when, r.amount, r.visit.toISOString(), r.month, r.flag]), [
      ['2000-01-01', 1234.5, '2024-03-04T13:05:00.000Z', '2024-01-01', true],
      ['2000-02-29', 12000, '2024-12-31T11:00:00.000Z', '2024-02-01', false],
      ['2001-03-03', 7.25, '2024-01-02T00:00:00.000Z', '2024-03-01', null],
    ]);
  });

  test('a number that reads both as a decimal and with thousands dots loads as the decimal, marked ambiguous', async () => {
    const path = join(dir, 'dots.csv');
    await writeFile(path, 'id;qty\n1;1.001\n2;2.500\n');
    const summary = await engine.ingest(path);
    assert.deepEqual([summary.columns[1].type, summary.columns[1].format, summary.columns[1].ambiguous], ['double precision', null, true]);
    const values = await db.query<{ qty: number }>('SELECT qty FROM staging.dots ORDER BY _offset');
    assert.deepEqual(values.rows.map((r) => r.qty), [1.001, 2.5]);
  });

  test('when day and month cannot be told apart the summary says so, and --date-order decides', async () => {
    const path = join(dir, 'ambiguous.csv');
    await writeFile(path, 'd,v\n01/02/2024,1\n03/04/2024,2\n');
    const monthFirst = await engine.ingest(path);
    assert.equal(monthFirst.columns[0].format, 'MM/DD/YYYY');
    assert.equal(monthFirst.columns[0].ambiguous, true);
    assert.ok(monthFirst.columns[0].confidence <= 0.5);
    const dayFirst = await engine.ingest(path, { force: true, dataset: 'ambiguous_dmy', overrides: { dateOrder: 'dmy' } });
    assert.equal(dayFirst.columns[0].format, 'DD/MM/YYYY');
    const values = await db.query<{ a: string; b: string }>(
      `SELECT (SELECT to_char(d, 'YYYY-MM-DD') FROM staging.ambiguous ORDER BY _offset LIMIT 1) AS a,
              (SELECT to_char(d, 'YYYY-MM-DD') FROM staging.ambiguous_dmy ORDER BY _offset LIMIT 1) AS b`);
    assert.deepEqual(values.rows[0], { a: '2024-01-02', b: '2024-02-01' });
  });

  test('a formatted value that does not parse is a CAST reject; the rest of the file loads', async () => {
    // The first file fixes the dataset's column as a date; the second writes dates day-first, one impossible.
    await writeFile(join(dir, 'dates_1.csv'), 'day,n\n2024-01-05,1\n');
    await writeFile(join(dir, 'dates_2.csv'), 'day,n\n31/01/2024,2\n32/01/2024,3\n28/02/2024,4\n');
    assert.equal((await engine.ingest(join(dir, 'dates_1.csv'), { dataset: 'dates' })).status, 'loaded');
    const summary = await engine.ingest(join(dir, 'dates_2.csv'), { dataset: 'dates' });
    assert.equal(summary.status, 'loaded');
    assert.deepEqual([summary.rows, summary.rejected], [2, 1]);
    assert.equal(summary.reject_samples[0].reason, 'CAST');
    assert.equal(summary.reject_samples[0].line, 3);
    const days = await db.query<{ day: string }>("SELECT to_char(day, 'YYYY-MM-DD') AS day FROM staging.dates ORDER BY day");
    assert.deepEqual(days.rows.map((r) => r.day), ['2024-01-05', '2024-01-31', '2024-02-28']);
  });

  test('--types forces a type (years as dates) and --no-header reads the first row as data', async () => {
    const path = join(dir, 'years.csv');
    await writeFile(path, '2019,a\n2020,b\n');
    const summary = await engine.ingest(path, { overrides: { header: false, types: { column_1: 'date' } } });
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.equal(summary.rows, 2);
    assert.deepEqual(summary.columns.map((c) => [c.name, c.type, c.format]), [['column_1', 'date', 'YYYY'], ['column_2', 'text', null]]);
  });
});
