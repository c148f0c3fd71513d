import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { DatasetConfig } from '../../../src/configuration/config-schema.js';
import { validateConfig } from '../../../src/configuration/read-config.js';
import { migrate } from '../../../src/database/migrate.js';
import { ColumnType } from '../../../src/schema/column-type.js';
import type { FinishedLoad } from '../../../src/stages/load-finish.js';
import { loadRules } from '../../../src/stages/validate/load-rules.js';
import type { FileSummary } from '../../../src/summary.js';
import { connectedClient, createTestDatabase, type TestDatabase } from '../../helpers/database.js';

/**
 * The whole-load rules against a real staging table: files and chunks in the ledger as a load
 * leaves them, rows in staging.orders, then the finisher in the completing transaction.
 */

let db: TestDatabase;
let client: pg.Client;

before(async () => {
  db = await createTestDatabase();
  client = await connectedClient(db);
  await migrate(client);
});

after(async () => {
  await client.end();
  await db.drop();
});

const COLUMNS = [{ name: 'id', type: ColumnType.int }, { name: 'ordered_at', type: ColumnType.timestamptz }];

/** A file of `ids` (one row per 10 bytes, two chunks split at byte 30) loaded into a fresh staging.orders; returns its id. */
async function loadedFile(ids: (number | null)[], orderedAt: string | null = null, table = 'orders'): Promise<number> {
  const file = await client.query<{ id: string }>(
    `INSERT INTO ingest.files (sha256, path, size_bytes, dataset, table_name, chunk_size, status)
     VALUES (md5(random()::text), 'x.csv', 100, $1, $1, 30, 'loading') RETURNING id`, [table]);
  const fileId = Number(file.rows[0].id);
  const first = ids.slice(0, 3).length;
  await client.query(`INSERT INTO ingest.chunks (file_id, chunk_no, byte_start, byte_end, rows, rejected, lines, attempt)
    VALUES ($1, 0, 0, 30, $2, 0, $2, 1), ($1, 1, 30, 1000, $3, 0, $3, 1)`, [fileId, first, ids.length - first]);
  await client.query(`CREATE TABLE IF NOT EXISTS staging.${table} (_file bigint NOT NULL, _offset bigint NOT NULL, id integer, ordered_at timestamptz)`);
  for (const [i, id] of ids.entries()) {
    await client.query(`INSERT INTO staging.${table} VALUES ($1, $2, $3, $4)`, [fileId, i * 10, id, orderedAt]);
  }
  return fileId;
}

function datasetWith(rules: unknown[]): DatasetConfig {
  return validateConfig({ datasets: { orders: { rules } } }).datasets.orders;
}

async function finish(fileId: number, rules: unknown[], rows: number, reports: FinishedLoad['reports'] = {}, table = 'orders'): Promise<Partial<FileSummary> & { moved: number }> {
  await client.query('BEGIN');
  try {
    const result = await loadRules.finish({
      client, fileId, dataset: table, table: `staging.${table}`, columns: COLUMNS, sources: new Map(), reports, rows, rejected: 0, datasetConfig: datasetWith(rules), summary: {},
    });
    await client.query('COMMIT');
    return { ...result.summary, moved: result.rejected ?? 0 };
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

async function stagedIds(fileId: number, table = 'orders'): Promise<(number | null)[]> {
  const result = await client.query<{ id: number | null }>(`SELECT id FROM staging.${table} WHERE _file = $1 ORDER BY _offset`, [fileId]);
  return result.rows.map((r) => r.id);
}

describe('whole-load rules', () => {
  test('unique (scope load, error): rows after the first occurrence move to the rejects; NULLs are not duplicates', async () => {
    await client.query('DROP TABLE IF EXISTS staging.orders');
    const fileId = await loadedFile([1, 2, 1, null, 2, 1, null]);
    const summary = await finish(fileId, [{ name: 'id_unique', column: 'id', unique: { scope: 'load' } }], 7);
    assert.deepEqual(summary.validation, [{ rule: 'id_unique', column: 'id', severity: 'error', failed: 3 }]);
    assert.deepEqual(await stagedIds(fileId), [1, 2, null, null]);
    const rejects = await client.query<{ chunk_no: number; byte_offset: string; reason: string; detail: string; raw: string }>(
      'SELECT chunk_no, byte_offset, reason, detail, raw FROM ingest.rejects WHERE file_id = $1 ORDER BY byte_offset', [fileId]);
    assert.deepEqual(rejects.rows.map((r) => [r.chunk_no, Number(r.byte_offset), r.reason]), [[0, 20, 'RULE:id_unique'], [1, 40, 'RULE:id_unique'], [1, 50, 'RULE:id_unique']]);
    assert.equal(rejects.rows[0].detail, 'column id: "1" (first at byte 0)');
    assert.deepEqual(JSON.parse(rejects.rows[0].raw), { id: 1, ordered_at: null });
    // completeFile moves these from the file's rows to its rejected.
    assert.equal(summary.moved, 3);
  });

  test('unique (scope table): a value another file already loaded is a duplicate; the other file keeps its rows', async () => {
    await client.query('DROP TABLE IF EXISTS staging.orders');
    const earlier = await loadedFile([1, 2, 3]);
    const later = await loadedFile([3, 4, 4]);
    const summary = await finish(later, [{ name: 'id_unique', column: 'id', unique: true }], 3);
    assert.equal(summary.validation?.[0].failed, 2);
    assert.deepEqual(await stagedIds(later), [4]);
    assert.deepEqual(await stagedIds(earlier), [1, 2, 3]);
    const detail = await client.query<{ detail: string }>('SELECT detail FROM ingest.rejects WHERE file_id = $1 ORDER BY byte_offset', [later]);
    assert.deepEqual(detail.rows.map((r) => r.detail), [`column id: "3" (first at byte 20 of file ${earlier})`, 'column id: "4" (first at byte 10)']);
  });

  test('unique with severity warn counts duplicates and moves nothing', async () => {
    await client.query('DROP TABLE IF EXISTS staging.orders');
    const fileId = await loadedFile([5, 5, 5, 6]);
    const summary = await finish(fileId, [{ name: 'u', column: 'id', unique: { scope: 'load' }, severity: 'warn' }], 4);
    assert.deepEqual(summary.validation, [{ rule: 'u', column: 'id', severity: 'warn', failed: 2 }]);
    assert.deepEqual(await stagedIds(fileId), [5, 5, 5, 6]);
    assert.equal(summary.moved, 0);
  });

  test('freshness: a recent newest value passes; a stale one fails the load (error) or counts (warn)', async () => {
    await client.query('DROP TABLE IF EXISTS staging.orders');
    const fresh = await loadedFile([1], new Date(Date.now() - 3_600_000).toISOString());
    assert.deepEqual((await finish(fresh, [{ name: 'fresh', column: 'ordered_at', freshness: '2h' }], 1)).validation,
      [{ rule: 'fresh', column: 'ordered_at', severity: 'error', failed: 0 }]);
    const stale = await loadedFile([2], '2020-01-01T00:00:00Z');
    await assert.rejects(finish(stale, [{ name: 'fresh', column: 'ordered_at', freshness: '2d' }], 1), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'SLUICE_ERR_RULE');
      assert.match(error.message, /^rule fresh:/);
      return true;
    });
    assert.equal((await finish(stale, [{ name: 'fresh', column: 'ordered_at', freshness: '2d', severity: 'warn' }], 1)).validation?.[0].failed, 1);
    const empty = await loadedFile([3], null);
    assert.equal((await finish(empty, [{ name: 'fresh', column: 'ordered_at', freshness: '2d', severity: 'warn' }], 1)).validation?.[0].failed, 1);
  });

  test('rows: bounds on the rows the load kept, after duplicates left', async () => {
    await client.query('DROP TABLE IF EXISTS staging.orders');
    const fileId = await loadedFile([1, 1, 2]);
    const rules = [{ name: 'u', column: 'id', unique: { scope: 'load' } }, { name: 'enough', rows: { min: 3 } }];
    await assert.rejects(finish(fileId, rules, 3), { code: 'SLUICE_ERR_RULE' });
    // The failed load's transaction rolled back: nothing moved.
    assert.deepEqual(await stagedIds(fileId), [1, 1, 2]);
    const warned = await finish(fileId, [rules[0], { name: 'enough', rows: { min: 3, max: 10 }, severity: 'warn' }], 3);
    assert.deepEqual(warned.validation?.map((e) => [e.rule, e.failed]), [['u', 1], ['enough', 1]]);
    const other = await loadedFile([7, 8]);
    assert.equal((await finish(other, [{ name: 'enough', rows: { min: 1, max: 2 } }], 2)).validation?.[0].failed, 0);
  });

  test('the summary lists every rule in the configuration\'s order, the row rules from the stage\'s folded report', async () => {
    await client.query('DROP TABLE IF EXISTS staging.orders');
    const fileId = await loadedFile([1, 2]);
    const rules = [{ name: 'enough', rows: { min: 1 } }, { name: 'id_present', column: 'id', not_null: true }, { name: 'u', column: 'id', unique: { scope: 'load' } }];
    const summary = await finish(fileId, rules, 2, { validate: [{ rule: 'id_present', column: 'id', severity: 'error', failed: 4 }] });
    assert.deepEqual(summary.validation?.map((e) => [e.rule, e.failed]), [['enough', 0], ['id_present', 4], ['u', 0]]);
  });

  test('a whole-load rule on a column the table does not have fails as configuration', async () => {
    await client.query('DROP TABLE IF EXISTS staging.orders');
    const fileId = await loadedFile([1]);
    await assert.rejects(finish(fileId, [{ column: 'nope', unique: true }], 1), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'SLUICE_ERR_CONFIG_INVALID');
      assert.match(error.message, /^datasets\.orders\.rules: rule nope_unique \(unique\): no column "nope"/);
      return true;
    });
  });
});
