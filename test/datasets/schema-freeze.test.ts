/**
 * schema.policy freeze: after the first file made the table, a later file's rows that do not fit
 * it — a value wider than its column, a value in a column the table does not have — are rejected
 * with reason SCHEMA, and the table keeps its columns and types. Exactly those rows.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { engineFixture } from '../helpers/engine-fixture.js';

describe('datasets over time: a frozen schema', () => {
  const fixture = engineFixture('freeze', {
    workers: 1, writers: 1,
    config: { datasets: { frozen: { match: '**/frozen_*', schema: { policy: 'freeze' }, columns: { qty: { from: ['qty', 'Quantity'] } } } } },
  });

  const tableColumns = async () => (await fixture.client.query<{ c: string }>(
    `SELECT attname || ' ' || format_type(atttypid, atttypmod) AS c FROM pg_attribute
      WHERE attrelid = 'staging.frozen'::regclass AND attnum > 2 AND NOT attisdropped ORDER BY attnum`)).rows.map((r) => r.c);

  test('the first file makes the table; later rows that do not fit are SCHEMA rejects, exactly those', async () => {
    const first = join(fixture.dir, 'frozen_1.csv');
    await writeFile(first, 'id,name,qty\n1,ann,10\n2,bob,20\n');
    assert.equal((await fixture.engine.ingest(first)).status, 'loaded');
    assert.deepEqual(await tableColumns(), ['id integer', 'name text', 'qty integer']);

    const second = join(fixture.dir, 'frozen_2.csv');
    await writeFile(second, [
      'id,name,Quantity,extra',
      '3,cy,30,',          // fits: the extra column is empty
      '4,dee,4.5,',        // 4.5 does not fit integer
      '5,eve,50,surprise', // a value in a column the table does not have
      '6,fay,60,',
      'x7,gus,70,',        // id does not fit integer
    ].join('\n') + '\n');
    const summary = await fixture.engine.ingest(second);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.equal(summary.rows, 2);
    assert.equal(summary.rejected, 3);
    assert.deepEqual(await tableColumns(), ['id integer', 'name text', 'qty integer'], 'nothing added, nothing widened');
    const rows = await fixture.client.query('SELECT id, name, qty FROM staging.frozen ORDER BY id');
    assert.deepEqual(rows.rows, [
      { id: 1, name: 'ann', qty: 10 }, { id: 2, name: 'bob', qty: 20 }, { id: 3, name: 'cy', qty: 30 }, { id: 6, name: 'fay', qty: 60 },
    ]);
    const rejects = await fixture.client.query<{ line: number; reason: string; detail: string }>(
      `SELECT r.line::int AS line, r.reason, r.detail FROM ingest.rejects r JOIN ingest.files f ON f.id = r.file_id WHERE f.path = $1 ORDER BY r.line`, [second]);
    assert.deepEqual(rejects.rows.map((r) => [r.line, r.reason]), [[3, 'SCHEMA'], [4, 'SCHEMA'], [6, 'SCHEMA']]);
    assert.match(rejects.rows[1].detail, /column extra is not in the frozen schema of dataset frozen/);
    // Named as the table names it (the standard column qty that the header Quantity maps to), with the type it had to fit.
    assert.match(rejects.rows[0].detail, /^column qty \(int\): "4\.5"$/);
  });
});
