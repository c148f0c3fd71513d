import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { sluice } from '../../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.js';

/**
 * Transforms that reshape the table — rename, drop, derive, boolean words, unit conversion — end
 * to end: the table has the columns the steps leave, with the types they give, and every value.
 * Both COPY formats, CSV and NDJSON input.
 */
describe('transforms that reshape the columns, through sluice load --config', () => {
  let db: TestDatabase;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let client: pg.Client;

  before(async () => {
    db = await createTestDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    dir = await mkdtemp(join(tmpdir(), 'sluice-reshape-'));
    const { SLUICE_CONFIG: _ignored, ...rest } = process.env;
    env = { ...rest, DATABASE_URL: db.url };
    const dataset = (name: string) => [
      `  ${name}:`,
      '    transforms:',
      '      - { column: active, booleans: { true: [yes, Y], false: [no, N] } }',
      '      - { column: temp_f, scale: 0.5555555555555556, offset: -17.77777777777778 }',
      '      - { rename: { temp_f: temp_c, qty: quantity } }',
      '      - { drop: internal }',
      '      - { derive: total, expr: "price * quantity" }',
    ];
    await writeFile(join(dir, 'sluice.yaml'), ['datasets:', ...dataset('orders_csv'), ...dataset('orders_binary'), ...dataset('orders_json'), ''].join('\n'));
    await writeFile(join(dir, 'orders.csv'), 'id,active,temp_f,qty,price,internal\n1,yes,212,2,1.5,secret\n2,N,32,3,2,x\n3,maybe,50,1,4,y\n4,,,5,,z\n');
    await writeFile(join(dir, 'orders.ndjson'), [
      { id: 1, active: 'yes', temp_f: 212, qty: 2, price: 1.5, internal: 'secret' },
      { id: 2, active: 'N', temp_f: 32, qty: 3, price: 2, internal: 'x' },
      { id: 3, active: 'maybe', temp_f: 50, qty: 1, price: 4, internal: 'y' },
      { id: 4, active: null, temp_f: null, qty: 5, price: null, internal: 'z' },
    ].map((r) => JSON.stringify(r)).join('\n') + '\n');
  });

  after(async () => {
    await client.end();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  for (const [dataset, file, format] of [['orders_csv', 'orders.csv', 'csv'], ['orders_binary', 'orders.csv', 'binary'], ['orders_json', 'orders.ndjson', 'binary']] as const) {
    test(`${dataset}: renamed, dropped, derived and retyped columns, every value (${file}, ${format} COPY)`, async () => {
      const outcome = await sluice(['load', '--config', join(dir, 'sluice.yaml'), join(dir, file), '--dataset', dataset, '--copy-format', format, '--force', '--json'], env);
      assert.equal(outcome.code, 0, outcome.stderr);
      const summary = JSON.parse(outcome.stdout.trim().split('\n').at(-1)!);
      assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
      assert.deepEqual(summary.columns.map((c: { name: string; type: string }) => [c.name, c.type]), [
        ['id', 'integer'], ['active', 'boolean'], ['temp_c', 'double precision'], ['quantity', 'integer'], ['price', 'double precision'], ['total', 'double precision'],
      ]);
      // 'maybe' is not a boolean word: the row is a CAST reject.
      assert.equal(summary.rows, 3);
      assert.equal(summary.rejected, 1);
      const columns = await client.query<{ column_name: string; data_type: string }>(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'staging' AND table_name = $1 ORDER BY ordinal_position`, [dataset]);
      assert.deepEqual(columns.rows.map((c) => c.column_name), ['_file', '_offset', 'id', 'active', 'temp_c', 'quantity', 'price', 'total']);
      const rows = await client.query(`SELECT id, active, round(temp_c::numeric, 6)::float8 AS temp_c, quantity, price, total FROM staging.${dataset} ORDER BY id`);
      assert.deepEqual(rows.rows, [
        { id: 1, active: true, temp_c: 100, quantity: 2, price: 1.5, total: 3 },
        { id: 2, active: false, temp_c: 0, quantity: 3, price: 2, total: 6 },
        { id: 4, active: null, temp_c: null, quantity: 5, price: null, total: null },
      ]);
      const rejects = await client.query<{ reason: string; detail: string }>(
        `SELECT r.reason, r.detail FROM ingest.rejects r JOIN ingest.files f ON f.id = r.file_id WHERE f.dataset = $1`, [dataset]);
      assert.equal(rejects.rows.length, 1);
      assert.equal(rejects.rows[0].reason, 'CAST');
      assert.match(rejects.rows[0].detail, /maybe/);
    });
  }
});
