/**
 * One dataset over time: files whose schema grows, widens, loses a column and renames one (matched
 * by a standard-column mapping). The table's columns and types, the version history and every
 * value are asserted after the sequence.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { readSchemaVersions } from '../../src/datasets/schema-versions.js';
import { sluice as runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { engineFixture } from '../helpers/engine-fixture.js';

describe('datasets over time: schema versions and evolution', () => {
  const fixture = engineFixture('schema', {
    workers: 1, writers: 2, chunkSize: 256,
    config: { datasets: { orders: { match: '**/orders_*.csv', columns: { amount: { from: ['amount', 'Amount (EUR)'] }, region: { from: ['region', 'Area'] } } } } },
  });

  const load = async (name: string, text: string) => {
    const path = join(fixture.dir, name);
    await writeFile(path, text);
    const summary = await fixture.engine.ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.equal(summary.dataset, 'orders');
    return summary;
  };

  test('grows, widens, loses a column, renames one: every value, type and version', async () => {
    const first = await load('orders_1.csv', 'id,name,amount\n1,ann,10\n2,bob,20\n');
    assert.equal(first.schema_version, 1);
    assert.deepEqual(first.schema_changes?.map((c) => `${c.change}:${c.column}`), ['added:id', 'added:name', 'added:amount']);

    const grown = await load('orders_2.csv', 'id,name,amount,region\n3,cy,30,north\n');
    assert.equal(grown.schema_version, 2);
    assert.deepEqual(grown.schema_changes, [{ change: 'added', column: 'region', from: null, to: 'text' }]);

    const widened = await load('orders_3.csv', 'id,name,amount,region\n4,dee,4.5,south\n');
    assert.equal(widened.schema_version, 3);
    assert.deepEqual(widened.schema_changes, [{ change: 'widened', column: 'amount', from: 'integer', to: 'double precision' }]);

    const lost = await load('orders_4.csv', 'id,name,amount\n5,eve,50\n');
    assert.equal(lost.schema_version, 4);
    assert.deepEqual(lost.schema_changes, [{ change: 'missing', column: 'region', from: 'region', to: null }]);

    const renamed = await load('orders_5.csv', 'id,name,Amount (EUR),Area\n6,fay,6.25,west\n');
    assert.equal(renamed.schema_version, 5);
    assert.deepEqual(renamed.schema_changes, [
      { change: 'source', column: 'amount', from: 'amount', to: 'Amount (EUR)' },
      { change: 'returned', column: 'region', from: null, to: 'Area' },
    ]);
    assert.deepEqual(renamed.columns.map((c) => [c.name, c.source]), [['id', 'id'], ['name', 'name'], ['amount', 'Amount (EUR)'], ['region', 'Area']]);

    // A file shaped like an earlier one is that version again.
    const again = await load('orders_6.csv', 'id,name,amount\n7,gus,70\n');
    assert.equal(again.schema_version, 4);
    assert.deepEqual(again.schema_changes?.map((c) => c.change), ['source', 'missing']);

    const columns = await fixture.client.query<{ name: string; type: string }>(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
        WHERE attrelid = 'staging.orders'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`);
    assert.deepEqual(columns.rows.map((c) => `${c.name} ${c.type}`),
      ['_file bigint', '_offset bigint', 'id integer', 'name text', 'amount double precision', 'region text']);
    const rows = await fixture.client.query('SELECT id, name, amount, region FROM staging.orders ORDER BY id');
    assert.deepEqual(rows.rows, [
      { id: 1, name: 'ann', amount: 10, region: null },
      { id: 2, name: 'bob', amount: 20, region: null },
      { id: 3, name: 'cy', amount: 30, region: 'north' },
      { id: 4, name: 'dee', amount: 4.5, region: 'south' },
      { id: 5, name: 'eve', amount: 50, region: null },
      { id: 6, name: 'fay', amount: 6.25, region: 'west' },
      { id: 7, name: 'gus', amount: 70, region: null },
    ]);

    const versions = await readSchemaVersions(fixture.client, 'orders');
    assert.deepEqual(versions.map((v) => v.version), [1, 2, 3, 4, 5]);
    assert.ok(versions.every((v, i) => v.file?.endsWith(`orders_${i + 1}.csv`)));
    assert.deepEqual(versions[4].columns, [
      { name: 'id', type: 'integer', nullable: true, source: 'id' },
      { name: 'name', type: 'text', nullable: true, source: 'name' },
      { name: 'amount', type: 'double precision', nullable: true, source: 'Amount (EUR)' },
      { name: 'region', type: 'text', nullable: true, source: 'Area' },
    ]);
    const recorded = await fixture.client.query<{ path: string; schema_version: number }>('SELECT path, schema_version FROM ingest.files ORDER BY id');
    assert.deepEqual(recorded.rows.map((r) => r.schema_version), [1, 2, 3, 4, 5, 4]);

    const text = await runCli(['schema', 'orders'], { DATABASE_URL: fixture.db.url });
    assert.equal(text.code, 0);
    assert.match(text.stdout, /^version 1 .*orders_1\.csv$/m);
    assert.match(text.stdout, /changes: source amount \(amount → Amount \(EUR\)\); returned region \(— → Area\)/);
    const json = await runCli(['schema', 'orders', '--json'], { DATABASE_URL: fixture.db.url });
    assert.deepEqual((JSON.parse(json.stdout) as { version: number }[]).map((v) => v.version), [1, 2, 3, 4, 5]);
    assert.equal((await runCli(['schema', 'nothing_here'], { DATABASE_URL: fixture.db.url })).code, 1);
  });
});

describe('datasets over time: two differently shaped files of one dataset at once', () => {
  let db: TestDatabase;
  let dir: string;

  before(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'sluice-concurrent-'));
  });

  after(async () => {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  test('two processes: no deadlock, no lost column, every value', async () => {
    const rows = (from: number, make: (i: number) => string) => Array.from({ length: 3000 }, (_, k) => make(from + k)).join('\n');
    const a = join(dir, 'a.csv');
    const b = join(dir, 'b.csv');
    await writeFile(a, `id,colour\n${rows(0, (i) => `${i},c${i % 7}`)}\n`);
    await writeFile(b, `id,weight,size\n${rows(10_000, (i) => `${i},${(i % 100) / 4},${i % 3}`)}\n`);
    const env = { ...process.env, DATABASE_URL: db.url };
    const args = (path: string) => ['load', path, '--dataset', 'shared', '--chunk-size', '16384', '--workers', '1', '--json'];
    const [first, second] = await Promise.all([runCli(args(a), env), runCli(args(b), env)]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 0, second.stderr);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const columns = await client.query<{ c: string }>(
        `SELECT attname || ' ' || format_type(atttypid, atttypmod) AS c FROM pg_attribute
          WHERE attrelid = 'staging.shared'::regclass AND attnum > 2 AND NOT attisdropped ORDER BY attname`);
      assert.deepEqual(columns.rows.map((r) => r.c), ['colour text', 'id integer', 'size integer', 'weight double precision']);
      const counts = await client.query<{ a: number; b: number; bad: number }>(
        `SELECT count(*) FILTER (WHERE id < 10000 AND colour = 'c' || (id % 7) AND weight IS NULL AND size IS NULL)::int AS a,
                count(*) FILTER (WHERE id >= 10000 AND colour IS NULL AND weight = (id % 100) / 4.0 AND size = id % 3)::int AS b,
                count(*) FILTER (WHERE id IS NULL)::int AS bad
           FROM staging.shared`);
      assert.deepEqual(counts.rows[0], { a: 3000, b: 3000, bad: 0 });
      const versions = await readSchemaVersions(client, 'shared');
      assert.equal(versions.length, 2, 'one version per shape');
    } finally {
      await client.end();
    }
  });
});
