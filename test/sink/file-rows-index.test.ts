import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readingFileRows } from '../../src/sink/file-rows-index.js';
import { engineFixture } from '../helpers/engine-fixture.js';

/** The BRIN indexes on a staging table's _file column. */
async function fileIndexes(query: (sql: string, params: unknown[]) => Promise<{ rows: Array<{ name: string }> }>, table: string): Promise<string[]> {
  const { rows } = await query(
    `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
                            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
      WHERE i.indrelid = to_regclass($1) AND am.amname = 'brin' AND a.attname = '_file'`, [table]);
  return rows.map((r) => r.name);
}

function csv(rows: number, from = 0): string {
  return `id,reading\n${Array.from({ length: rows }, (_, i) => `${from + i},${(from + i) * 0.5}`).join('\n')}\n`;
}

describe('the index on staging.<dataset>(_file)', () => {
  const fx = engineFixture('file-rows-index');

  it('is made with the table, once, and reads of one file use it', async () => {
    for (let f = 0; f < 3; f++) {
      const path = join(fx.dir, `readings_${f}.csv`);
      await writeFile(path, csv(20_000, f * 20_000));
      const summary = await fx.engine.ingest(path, { dataset: 'readings' });
      assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    }
    assert.equal((await fileIndexes((s, p) => fx.client.query(s, p), 'staging.readings')).length, 1);

    const newest = (await fx.client.query<{ id: string }>('SELECT max(id) AS id FROM ingest.files')).rows[0].id;
    await fx.client.query('BEGIN');
    try {
      const plain = await fx.client.query(`EXPLAIN SELECT * FROM staging.readings WHERE _file = $1`, [newest]);
      const guided = await readingFileRows(fx.client, () => fx.client.query(`EXPLAIN SELECT * FROM staging.readings WHERE _file = $1`, [newest]));
      const plan = (r: { rows: Array<Record<string, string>> }) => r.rows.map((row) => row['QUERY PLAN']).join('\n');
      assert.match(plan(guided), /Bitmap Index Scan on .*_file/, plan(guided));
      // What the planner does unguided does not matter; afterwards it is unguided again.
      const after = await fx.client.query(`EXPLAIN SELECT * FROM staging.readings WHERE _file = $1`, [newest]);
      assert.equal(plan(after), plan(plain));
      const setting = await fx.client.query<{ enable_seqscan: string }>('SHOW enable_seqscan');
      assert.equal(setting.rows[0].enable_seqscan, 'on');
      const rows = await readingFileRows(fx.client, () => fx.client.query<{ n: string }>('SELECT count(*) AS n FROM staging.readings WHERE _file = $1', [newest]));
      assert.equal(Number(rows.rows[0].n), 20_000);
    } finally {
      await fx.client.query('ROLLBACK');
    }
  });

  it('is added to a table Sluice made before it existed, and never to a table the user made', async () => {
    const first = join(fx.dir, 'older_0.csv');
    await writeFile(first, csv(100));
    assert.equal((await fx.engine.ingest(first, { dataset: 'older' })).status, 'loaded');
    for (const name of await fileIndexes((s, p) => fx.client.query(s, p), 'staging.older')) await fx.client.query(`DROP INDEX staging.${name}`);
    const second = join(fx.dir, 'older_1.csv');
    await writeFile(second, csv(100, 100));
    assert.equal((await fx.engine.ingest(second, { dataset: 'older' })).status, 'loaded');
    assert.equal((await fileIndexes((s, p) => fx.client.query(s, p), 'staging.older')).length, 1);

    await fx.client.query('CREATE SCHEMA IF NOT EXISTS staging');
    await fx.client.query('CREATE TABLE staging.mine (_file bigint NOT NULL, _offset bigint NOT NULL, id integer, reading double precision)');
    const mine = join(fx.dir, 'mine.csv');
    await writeFile(mine, csv(100, 1_000));
    assert.equal((await fx.engine.ingest(mine, { dataset: 'mine' })).status, 'loaded');
    assert.deepEqual(await fileIndexes((s, p) => fx.client.query(s, p), 'staging.mine'), []);
  });
});
