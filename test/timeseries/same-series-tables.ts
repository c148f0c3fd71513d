import assert from 'node:assert/strict';
import type pg from 'pg';

/**
 * Asserts that two datasets' timeseries.* (or features.*) tables hold the same rows, every column
 * but `_file` (two loads of one file have two file ids), duplicates counted (EXCEPT ALL both ways).
 */
export async function assertSameSeriesTables(client: pg.Client, schema: 'timeseries' | 'features', a: string, b: string): Promise<void> {
  const columns = await client.query<{ list: string }>(
    `SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) AS list FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = $2 AND column_name <> '_file'`, [schema, a]);
  const list = columns.rows[0].list;
  const difference = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ((SELECT ${list} FROM ${schema}.${a} EXCEPT ALL SELECT ${list} FROM ${schema}.${b})
                              UNION ALL (SELECT ${list} FROM ${schema}.${b} EXCEPT ALL SELECT ${list} FROM ${schema}.${a})) d`);
  assert.equal(difference.rows[0].n, 0, `${schema}.${a} and ${schema}.${b} differ`);
}
