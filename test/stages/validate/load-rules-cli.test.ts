import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sluice } from '../../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.js';

/** Whole-load rules end to end: `sluice load --config` into a real database, then the table, the rejects and the summary. */
describe('whole-load rules through sluice load --config', () => {
  let db: TestDatabase;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'sluice-load-rules-'));
    const { SLUICE_CONFIG: _ignored, ...rest } = process.env;
    env = { ...rest, DATABASE_URL: db.url };
    await writeFile(join(dir, 'sluice.yaml'), [
      'datasets:',
      '  orders:',
      '    match: "**/orders_*.csv"',
      '    rules:',
      '      - { name: id_unique, column: order_id, unique: true }',
      '      - { name: amount_unique, column: amount, unique: { scope: load }, severity: warn }',
      '      - { name: enough_rows, rows: { min: 2 } }',
      '',
    ].join('\n'));
    await writeFile(join(dir, 'orders_1.csv'), 'order_id,amount\n1,5\n2,5\n1,7\n3,8\n');
    await writeFile(join(dir, 'orders_2.csv'), 'order_id,amount\n3,1\n4,2\n5,3\n');
    await writeFile(join(dir, 'orders_3.csv'), 'order_id,amount\n6,1\n6,2\n');
  });

  after(async () => {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const load = async (file: string): Promise<{ code: number; summary: Record<string, unknown> }> => {
    const outcome = await sluice(['load', '--config', join(dir, 'sluice.yaml'), join(dir, file), '--json', '--workers', '1'], env);
    return { code: outcome.code, summary: JSON.parse(outcome.stdout.trim().split('\n').at(-1)!) };
  };

  test('duplicates within the file are rejected as RULE:<name>, warn duplicates counted, the summary lists every rule', async () => {
    const { code, summary } = await load('orders_1.csv');
    assert.equal(code, 0);
    assert.equal(summary.status, 'loaded');
    assert.deepEqual([summary.rows, summary.rejected], [3, 1]);
    assert.deepEqual(summary.validation, [
      { rule: 'id_unique', column: 'order_id', severity: 'error', failed: 1 },
      { rule: 'amount_unique', column: 'amount', severity: 'warn', failed: 1 },
      { rule: 'enough_rows', column: null, severity: 'error', failed: 0 },
    ]);
    const staged = await db.query<{ order_id: number; amount: number }>('SELECT order_id, amount FROM staging.orders ORDER BY _offset');
    assert.deepEqual(staged.rows.map((r) => [r.order_id, r.amount]), [[1, 5], [2, 5], [3, 8]]);
    const rejects = await db.query<{ reason: string; detail: string }>('SELECT reason, detail FROM ingest.rejects');
    assert.deepEqual(rejects.rows.map((r) => r.reason), ['RULE:id_unique']);
    assert.match(rejects.rows[0].detail, /^column order_id: "1" \(first at byte \d+\)$/);
  });

  test('scope table: a value an earlier file loaded is a duplicate of this one', async () => {
    const { summary } = await load('orders_2.csv');
    assert.deepEqual([summary.status, summary.rows, summary.rejected], ['loaded', 2, 1]);
    const ids = await db.query<{ order_id: number }>('SELECT order_id FROM staging.orders ORDER BY _file, _offset');
    assert.deepEqual(ids.rows.map((r) => r.order_id), [1, 2, 3, 4, 5]);
  });

  test('a per-load rule with severity error fails the file: non-zero exit, SLUICE_ERR_RULE, nothing of it counted as loaded', async () => {
    const { code, summary } = await load('orders_3.csv');
    assert.notEqual(code, 0);
    assert.equal(summary.status, 'failed');
    assert.equal((summary.error as { code: string }).code, 'SLUICE_ERR_RULE');
    assert.match((summary.error as { message: string }).message, /enough_rows/);
    const file = await db.query<{ status: string }>("SELECT status FROM ingest.files WHERE path LIKE '%orders_3.csv'");
    assert.deepEqual(file.rows.map((r) => r.status), ['failed']);
  });
});
