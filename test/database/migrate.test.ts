import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { migrate } from '../../src/database/migrate.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

let db: TestDatabase;
before(async () => { db = await createTestDatabase(); });
after(async () => { await db.drop(); });

test('migrations apply once, in order, and are recorded', async () => {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const first = await migrate(client);
    assert.deepEqual(first, [...first].sort());
    assert.ok(first.includes('001_ingest_ledger.sql'));
    assert.deepEqual(await migrate(client), []);
    const recorded = await client.query<{ name: string }>('SELECT name FROM ingest.schema_migrations ORDER BY name');
    assert.deepEqual(recorded.rows.map((r) => r.name), first);
    const tables = await client.query<{ name: string }>(
      `SELECT table_schema || '.' || table_name AS name FROM information_schema.tables
        WHERE table_schema IN ('ingest', 'public') ORDER BY 1`);
    for (const name of ['ingest.files', 'ingest.chunks', 'ingest.rejects', 'ingest.attempts', 'public.metadata_datasets', 'public.metadata_lineage']) {
      assert.ok(tables.rows.some((r) => r.name === name), `missing ${name}`);
    }
    const staging = await client.query("SELECT 1 FROM information_schema.schemata WHERE schema_name = 'staging'");
    assert.equal(staging.rowCount, 1);
  } finally {
    await client.end();
  }
});
