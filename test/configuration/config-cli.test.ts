import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createEngine } from '../../src/index.js';
import { CLI, type Outcome, run } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/** The CLI run from `cwd`, as a user in that directory would. */
async function sluiceIn(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env, cwd, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const ORDERS = 'order_id,amount\n1,9.5\n2,12\n3,7.25\n';

describe('configuration file: the CLI and the engine', () => {
  let db: TestDatabase;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'sluice-config-cli-'));
    await mkdir(join(dir, 'inbox', 'orders', '2024'), { recursive: true });
    await writeFile(join(dir, 'inbox', 'orders', '2024', 'orders_0101.csv'), ORDERS);
    await writeFile(join(dir, 'inbox', 'orders', '2024', 'orders_0102.csv'), 'order_id,amount\n4,1\n');
    await writeFile(join(dir, 'config.yaml'), [
      'datasets:',
      '  orders:',
      '    match: "**/orders_*.csv"',
      '    rules:',
      '      - { column: amount, range: { min: 0 } }',
      '',
    ].join('\n'));
    const { SLUICE_CONFIG: _ignored, ...rest } = process.env;
    env = { ...rest, DATABASE_URL: db.url };
  });

  after(async () => {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  test('load --config: the dataset comes from the first match glob, not the file name', async () => {
    const outcome = await sluiceIn(dir, ['load', '--config', 'config.yaml', join(dir, 'inbox', 'orders', '2024', 'orders_0101.csv'), '--json'], env);
    assert.equal(outcome.code, 0, outcome.stderr);
    const summary = JSON.parse(outcome.stdout) as { dataset: string; table: string; rows: number; status: string };
    assert.deepEqual([summary.status, summary.dataset, summary.table, summary.rows], ['loaded', 'orders', 'staging.orders', 3]);
    const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM staging.orders');
    assert.equal(Number(rows[0].n), 3);
  });

  test('./sluice.yaml in the working directory is read without a flag; a relative glob matches the path as given', async () => {
    const here = await mkdtemp(join(dir, 'cwd-'));
    await mkdir(join(here, 'inbox', 'sales'), { recursive: true });
    await writeFile(join(here, 'inbox', 'sales', 'march.csv'), 'region,total\nnorth,5\n');
    await writeFile(join(here, 'sluice.yaml'), 'datasets:\n  regional_sales:\n    match: ["inbox/sales/*.csv"]\n');
    const outcome = await sluiceIn(here, ['load', 'inbox/sales/march.csv', '--json'], env);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.equal((JSON.parse(outcome.stdout) as { dataset: string }).dataset, 'regional_sales');
  });

  test('SLUICE_CONFIG names the file when there is no flag; --dataset wins over match', async () => {
    const file = join(dir, 'inbox', 'orders', '2024', 'orders_0102.csv');
    const sniffed = await sluiceIn(dir, ['sniff', file], { ...env, SLUICE_CONFIG: join(dir, 'config.yaml') });
    assert.equal(sniffed.code, 0, sniffed.stderr);
    assert.equal((JSON.parse(sniffed.stdout) as { dataset: string }).dataset, 'orders');
    const named = await sluiceIn(dir, ['load', file, '--dataset', 'Manual', '--json'], { ...env, SLUICE_CONFIG: join(dir, 'config.yaml') });
    assert.equal(named.code, 0, named.stderr);
    assert.equal((JSON.parse(named.stdout) as { dataset: string }).dataset, 'manual');
  });

  test('a bad configuration stops load and sniff before anything runs: exit 2, the file, line and key path', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'datasets:\n  late:\n    match: "**/late_*.csv"\n    rules:\n      - { column: amount, range: { min: "zero" } }\n');
    await writeFile(join(dir, 'late_1.csv'), ORDERS);
    const loaded = await sluiceIn(dir, ['load', '--config', bad, join(dir, 'late_1.csv')], env);
    assert.equal(loaded.code, 2);
    assert.equal(loaded.stderr, `sluice: ${bad} line 5: datasets.late.rules[0].range.min: expected number, got string\n`);
    const { rows } = await db.query<{ n: string }>("SELECT count(*) AS n FROM information_schema.tables WHERE table_name IN ('late', 'late_1')");
    assert.equal(Number(rows[0].n), 0);
    const sniffed = await sluiceIn(dir, ['sniff', join(dir, 'late_1.csv'), '--config', bad], env);
    assert.equal(sniffed.code, 2);
    assert.match(sniffed.stderr, /datasets\.late\.rules\[0\]\.range\.min: expected number, got string/);
    const missing = await sluiceIn(dir, ['load', '--config', join(dir, 'nope.yaml'), join(dir, 'late_1.csv')], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read the configuration file .*nope\.yaml/);
  });

  test('createEngine takes a path or an object; a bad one throws SLUICE_ERR_CONFIG_INVALID at once', async () => {
    assert.throws(() => createEngine({ databaseUrl: db.url, config: { datasets: { x: { rules: [{ column: 'a', range: { min: 0 }, in: [1] }] } } } }),
      { code: 'SLUICE_ERR_CONFIG_INVALID', message: /datasets\.x\.rules\[0\]: a rule has exactly one kind, got range and in/ });
    assert.throws(() => createEngine({ databaseUrl: db.url, config: join(dir, 'nope.json') }), { code: 'SLUICE_ERR_CONFIG_INVALID' });
    const engine = createEngine({ databaseUrl: db.url, workers: 1, writers: 1, config: { datasets: { daily_orders: { match: '**/2024/orders_0102.csv' } } } });
    try {
      const summary = await engine.ingest(join(dir, 'inbox', 'orders', '2024', 'orders_0102.csv'), { force: true });
      assert.deepEqual([summary.status, summary.dataset, summary.rows], ['loaded', 'daily_orders', 1]);
    } finally {
      await engine.close();
    }
  });
});
