/**
 * The time-series pass is exactly once: `sluice load` killed (SIGKILL) while the pass is writing
 * timeseries.* leaves neither series table behind (the pass runs in the transaction that would
 * have marked the file loaded), and the load run again writes tables equal to a clean load's.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { engineFixture } from '../helpers/engine-fixture.js';
import { killWhen, loadOutcome, startLoad } from '../helpers/killed-load.js';
import { mulberry32 } from '../helpers/random.js';
import { assertSameSeriesTables } from './same-series-tables.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const MINUTES = 100_000;

function machinesCsv(): string {
  const random = mulberry32(21);
  const rows: string[] = [];
  for (let m = 0; m < MINUTES; m++) {
    const t = new Date(T0 + m * MINUTE).toISOString();
    for (const machine of ['m1', 'm2', 'm3']) if (random() > 0.01) rows.push(`${t},${machine},${(Math.sin(m / 60) * 10 + random()).toFixed(3)}`);
  }
  return `ts,machine_id,load\n${rows.join('\n')}\n`;
}

describe('time series: a load killed during the pass', () => {
  const fixture = engineFixture('timeseries-crash', { workers: 1, writers: 1 });

  test('leaves no series rows; run again, the tables equal a clean load\'s', { timeout: 180_000 }, async () => {
    const path = join(fixture.dir, 'machines.csv');
    await writeFile(path, machinesCsv());
    const load = () => startLoad(fixture.db.url, [path, '--json', '--dataset', 'crashed', '--timeseries', '--workers', '1']);
    const writingSeries = async (): Promise<boolean> => (await fixture.client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE 'COPY timeseries.%'`)).rows[0].n > 0;
    const backends = async (): Promise<number> => (await fixture.client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")).rows[0].n;
    const own = await backends();

    assert.equal(await killWhen(load(), writingSeries, backends, own), true, 'the load ended before the pass was seen writing');

    const status = await fixture.client.query<{ status: string }>('SELECT status FROM ingest.files WHERE path = $1', [path]);
    assert.equal(status.rows[0].status, 'loading', 'killed before the file was marked loaded');
    const tables = await fixture.client.query("SELECT to_regclass('timeseries.crashed') AS t, to_regclass('features.crashed') AS f");
    assert.deepEqual(tables.rows[0], { t: null, f: null }, 'the pass\'s tables went with its transaction');

    const { code, summary } = await loadOutcome(load());
    assert.equal(code, 0);
    assert.equal(summary.status, 'loaded');
    assert.ok((summary.chunks?.skipped ?? 0) > 0, 'the chunks committed before the kill were skipped');
    assert.equal(summary.timeseries?.detected, true);

    const clean = await fixture.engine.ingest(path, { dataset: 'clean', force: true, timeseries: true });
    assert.equal(clean.status, 'loaded', JSON.stringify(clean.error));
    assert.equal(clean.timeseries!.points, summary.timeseries!.points);
    for (const schema of ['timeseries', 'features'] as const) {
      await assertSameSeriesTables(fixture.client, schema, 'crashed', 'clean');
      const total = await fixture.client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.crashed`);
      // No duplicates and nothing imputed (no impute configured): a row per point.
      assert.equal(total.rows[0].n, summary.timeseries!.points, schema);
    }
  });
});
