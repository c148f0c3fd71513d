/**
 * The run-event builder's naming and edge cases (a load that threw before any summary, a URL
 * input, a database URL with credentials), and a workbook's run: one START, one COMPLETE with an
 * output per sheet.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createEngine } from '../../src/index.js';
import { type Facet, fileDataset, RunEventBuilder, type RunEvent, warehouseNaming } from '../../src/lineage/run-event.js';
import { uuidV7 } from '../../src/lineage/uuid-v7.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { writeSalesWorkbook } from '../formats/xlsx/workbook-fixtures.js';

describe('run events: naming', () => {
  test('a PostgreSQL URL gives postgres://host:port and the database, never the user or password', () => {
    const naming = warehouseNaming('postgres://loader:s3cret@db.example.org:6543/warehouse?sslmode=require');
    assert.deepEqual(naming, { namespace: 'postgres://db.example.org:6543', database: 'warehouse', uri: 'postgres://db.example.org:6543/warehouse' });
    assert.equal(warehouseNaming('postgresql://127.0.0.1/sales').namespace, 'postgres://127.0.0.1:5432');
  });

  test('a local file is namespace file and its absolute path; a URL its origin and path', () => {
    assert.deepEqual(fileDataset('/data/in/x.csv'), { namespace: 'file', name: '/data/in/x.csv', uri: 'file:///data/in/x.csv' });
    assert.equal(fileDataset('relative.csv').name, join(process.cwd(), 'relative.csv'));
    assert.deepEqual(fileDataset('https://example.org:8443/exports/s.csv.gz?token=abc'),
      { namespace: 'https://example.org:8443', name: '/exports/s.csv.gz', uri: 'https://example.org:8443/exports/s.csv.gz' });
  });

  test('a load that threw before any summary ends FAIL with its error, the expected table as output', () => {
    const builder = new RunEventBuilder('urn:sluice:test', warehouseNaming('postgres://127.0.0.1:5432/wh'));
    const run = { runId: uuidV7(), path: '/in/orders.csv', dataset: 'orders', time: new Date() };
    const fail = builder.end(run, { summaries: [], profiles: new Map(), error: { code: 'SLUICE_ERR_DATABASE_CONNECT', message: 'connection refused' }, time: new Date() });
    assert.equal(fail.eventType, 'FAIL');
    assert.equal((fail.run.facets.errorMessage as Facet & { message: string }).message, 'SLUICE_ERR_DATABASE_CONNECT: connection refused');
    assert.deepEqual(fail.outputs.map((o) => o.name), ['wh.staging.orders']);
    assert.equal(fail.outputs[0].outputFacets, undefined);
  });
});

describe('run events: a workbook', () => {
  let db: TestDatabase;
  let dir: string;

  before(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'sluice-run-event-'));
  });

  after(async () => {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  test('is one run: START, then one COMPLETE with an output per loaded sheet, each in the catalog with the run id', async () => {
    const path = join(dir, 'book.xlsx');
    await writeSalesWorkbook(path);
    const engine = createEngine({ databaseUrl: db.url, workers: 1, writers: 1 });
    let summaries;
    try {
      summaries = await engine.ingestAll(path);
    } finally {
      await engine.close();
    }
    const loaded = summaries.filter((s) => s.status === 'loaded');
    assert.ok(loaded.length >= 2, `${loaded.length} sheets loaded`);
    const events = (await db.query<{ event: RunEvent }>('SELECT event FROM ingest.lineage_events ORDER BY id')).rows.map((r) => r.event);
    assert.deepEqual(events.map((e) => e.eventType), ['START', 'COMPLETE']);
    const [, complete] = events;
    assert.deepEqual(complete.outputs.map((o) => o.name).sort(), loaded.map((s) => `${db.name}.staging.${s.dataset}`).sort());
    assert.deepEqual(complete.outputs.map((o) => (o.outputFacets?.outputStatistics as Facet & { rowCount: number }).rowCount).sort(), loaded.map((s) => s.rows).sort());
    assert.equal(complete.inputs.length, 1);
    assert.equal(complete.inputs[0].name, path);
    const edges = await db.query<{ target: string; run_id: string }>('SELECT target, run_id FROM metadata_lineage ORDER BY target');
    assert.deepEqual(edges.rows.map((e) => e.target), loaded.map((s) => s.table).sort());
    assert.ok(edges.rows.every((e) => e.run_id === complete.run.runId));
  });
});
