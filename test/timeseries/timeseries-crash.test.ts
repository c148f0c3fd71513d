/**
 * The time-series pass is exactly once: `sluice load` killed (SIGKILL) while the pass is writing
 * timeseries.* leaves neither series table behind (the pass runs in the transaction that would
 * have marked the file loaded), and the load run again writes tables equal to a clean load's.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import type { FileSummary } from '../../src/summary.js';
import { engineFixture } from '../helpers/engine-fixture.js';
import { mulberry32 } from '../helpers/random.js';
import { assertSameSeriesTables } from './same-series-tables.js';

const CLI = new URL('../../src/cli.js', import.meta.url).pathname;
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
    const { SLUICE_CONFIG: _ignored, ...env } = process.env;
    const load = () => spawn(process.execPath, [CLI, 'load', path, '--json', '--dataset', 'crashed', '--timeseries', '--workers', '1'],
      { env: { ...env, DATABASE_URL: fixture.db.url }, stdio: ['ignore', 'pipe', 'inherit'] });
    const writingSeries = async (): Promise<boolean> => (await fixture.client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE 'COPY timeseries.%'`)).rows[0].n > 0;
    const backends = async (): Promise<number> => (await fixture.client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")).rows[0].n;
    const own = await backends();

    const first = load();
    const exited = new Promise<void>((resolve) => first.on('exit', () => resolve()));
    let done = false;
    void exited.then(() => { done = true; });
    while (!done && !(await writingSeries())) await sleep(2);
    assert.equal(done, false, 'the load ended before the pass was seen writing');
    first.kill('SIGKILL');
    await exited;
    for (let waited = 0; waited < 400 && await backends() > own; waited++) await sleep(25);

    const status = await fixture.client.query<{ status: string }>('SELECT status FROM ingest.files WHERE path = $1', [path]);
    assert.equal(status.rows[0].status, 'loading', 'killed before the file was marked loaded');
    const tables = await fixture.client.query("SELECT to_regclass('timeseries.crashed') AS t, to_regclass('features.crashed') AS f");
    assert.deepEqual(tables.rows[0], { t: null, f: null }, 'the pass\'s tables went with its transaction');

    const second = load();
    let stdout = '';
    second.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    assert.equal(await new Promise<number | null>((resolve) => second.on('exit', resolve)), 0);
    const summary = JSON.parse(stdout.trim().split('\n').pop()!) as FileSummary;
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
