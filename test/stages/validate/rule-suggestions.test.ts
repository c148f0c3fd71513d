/**
 * Rule suggestion round trip: three loads of a dataset, `sluice rules suggest` prints YAML (and
 * JSON) configuration; written to a file, it loads as it is; the same data loaded with it fails no
 * rule; a file with planted bad rows has exactly those rows rejected by the rules they break.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfiguration } from '../../../src/configuration/locate-config.js';
import { createEngine } from '../../../src/index.js';
import { suggestRules } from '../../../src/stages/validate/rule-suggestions.js';
import type { ColumnFigures } from '../../../src/stages/profile/column-profile.js';
import { sluice } from '../../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.js';
import { seriesRows, SERIES_HEADER, STATUSES, writeSeriesFile } from '../history/load-series.js';

function figures(patch: Partial<ColumnFigures>): ColumnFigures {
  return {
    name: 'c', type: 'integer', count: 100, nulls: 0, distinct: 100, distinct_exact: true, min: 1, max: 100, mean: 50, stddev: 1,
    quantiles: null, top: null, patterns: {}, text_length: null, ...patch,
  };
}

describe('rule suggestion', () => {
  test('from figures: keys get not_null, unique and no max; a signed measure a margin each side; a repeated small set in', () => {
    const rules = suggestRules([
      { name: 'id', type: 'bigint', loads: [{ stats: figures({ min: 101, max: 200 }), values: null }, { stats: figures({ min: 1, max: 100 }), values: null }] },
      { name: 'delta', type: 'double precision', loads: [{ stats: figures({ type: 'double precision', min: -3.2, max: 4.1, distinct: 60 }), values: null }] },
      { name: 'code', type: 'integer', loads: [{ stats: figures({ distinct: 3, nulls: 4, min: 1, max: 3 }), values: [3, 1, 2] }] },
      { name: 'label', type: 'text', loads: [{ stats: figures({ type: 'text', distinct: 1100, distinct_exact: false, count: 1105, min: null, max: null }), values: null }] },
    ]).map((s) => s.rule);
    assert.deepEqual(rules, [
      { column: 'id', not_null: true },
      { column: 'id', unique: { scope: 'load' } },
      { column: 'id', range: { min: 0 } },
      { column: 'delta', not_null: true },
      { column: 'delta', range: { min: -4, max: 4.9 } },
      { column: 'code', in: [1, 2, 3] },
      { column: 'label', not_null: true },
      { column: 'label', unique: { scope: 'load' }, severity: 'warn' },
    ]);
  });

  test('a set that lost a value since an earlier load is not stable: no in', () => {
    const rules = suggestRules([{
      name: 'status', type: 'text',
      loads: [{ stats: figures({ type: 'text', distinct: 2, min: null, max: null }), values: ['a', 'b'] }, { stats: figures({ type: 'text', distinct: 3, min: null, max: null }), values: ['a', 'b', 'c'] }],
    }]).map((s) => s.rule);
    assert.deepEqual(rules, [{ column: 'status', not_null: true }]);
  });

  describe('round trip through sluice', () => {
    let db: TestDatabase;
    let dir: string;
    let env: NodeJS.ProcessEnv;
    const files: string[] = [];

    before(async () => {
      db = await createTestDatabase();
      dir = await mkdtemp(join(tmpdir(), 'sluice-suggest-'));
      const { SLUICE_CONFIG: _ignored, ...rest } = process.env;
      env = { ...rest, DATABASE_URL: db.url };
      const engine = createEngine({ databaseUrl: db.url, workers: 1, writers: 1, config: {} });
      try {
        for (let i = 0; i < 3; i++) {
          files.push(await writeSeriesFile(dir, `shipments_${i + 1}.csv`, 600 + 50 * i, 100 + i));
          assert.equal((await engine.ingest(files[i], { dataset: 'shipments' })).status, 'loaded');
        }
      } finally {
        await engine.close();
      }
    });

    after(async () => {
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    });

    test('the suggestions are YAML configuration that loads as it is, JSON the same', async () => {
      const yaml = await sluice(['rules', 'suggest', 'shipments'], env);
      assert.equal(yaml.code, 0, yaml.stderr);
      assert.match(yaml.stdout, /^# Rules suggested from the latest 3 profiled loads of shipments/);
      const path = join(dir, 'suggested.yaml');
      await writeFile(path, yaml.stdout);
      const { config } = loadConfiguration({ config: path });
      const rules = config.datasets.shipments.rules!.map((r) => ({ name: r.name, severity: r.severity }));
      assert.deepEqual(rules.map((r) => r.name), ['id_not_null', 'id_unique', 'id_range', 'status_not_null', 'status_in', 'amount_not_null', 'amount_range']);
      assert.ok(rules.every((r) => r.severity === 'error'));
      const status = config.datasets.shipments.rules!.find((r) => r.name === 'status_in');
      assert.deepEqual(status?.in, [...STATUSES].sort());
      const amount = config.datasets.shipments.rules!.find((r) => r.name === 'amount_range');
      assert.equal(amount?.range?.min, 0);
      assert.ok(amount!.range!.max! >= 80 && amount!.range!.max! <= 90, `max ${amount!.range!.max} is the observed max plus a margin`);

      const json = await sluice(['rules', 'suggest', 'shipments', '--json'], env);
      assert.equal(json.code, 0, json.stderr);
      const jsonPath = join(dir, 'suggested.json');
      await writeFile(jsonPath, json.stdout);
      assert.deepEqual(loadConfiguration({ config: jsonPath }).config, config);
    });

    test('the same data loaded with them fails no rule', async () => {
      const config = join(dir, 'suggested.yaml');
      for (const file of files) {
        const outcome = await sluice(['load', '--config', config, '--dataset', 'shipments', '--force', '--json', '--workers', '1', file], env);
        assert.equal(outcome.code, 0, outcome.stderr);
        const summary = JSON.parse(outcome.stdout.trim());
        assert.equal(summary.rejected, 0);
        assert.equal(summary.validation.length, 7);
        assert.ok(summary.validation.every((v: { failed: number }) => v.failed === 0), JSON.stringify(summary.validation));
      }
    });

    test('planted bad rows are rejected by the rules they break, and only they', async () => {
      const good = seriesRows(300, 7);
      const repeatedId = good[10].split(',')[0];
      const planted = [',ok,10.00,n1', `${repeatedId},ok,11.00,n2`, '999001,bogus,12.00,n3', '999002,late,-5.00,n4', '999003,held,10000.00,n5'];
      const path = join(dir, 'shipments_bad.csv');
      await writeFile(path, `${SERIES_HEADER}\n${[...good, ...planted].join('\n')}\n`);
      const outcome = await sluice(['load', '--config', join(dir, 'suggested.yaml'), '--dataset', 'shipments', '--json', '--workers', '1', path], env);
      assert.equal(outcome.code, 0, outcome.stderr);
      const summary = JSON.parse(outcome.stdout.trim());
      assert.deepEqual([summary.rows, summary.rejected], [300, 5]);
      const failed = Object.fromEntries(summary.validation.map((v: { rule: string; failed: number }) => [v.rule, v.failed]));
      assert.deepEqual(failed, { id_not_null: 1, id_unique: 1, id_range: 0, status_not_null: 0, status_in: 1, amount_not_null: 0, amount_range: 2 });
      const rejects = await db.query<{ reason: string; raw: string }>(
        `SELECT r.reason, r.raw FROM ingest.rejects r JOIN ingest.files f ON f.id = r.file_id WHERE f.path LIKE '%shipments_bad.csv' ORDER BY r.reason, r.raw`);
      assert.deepEqual(rejects.rows.map((r) => r.reason), ['RULE:amount_range', 'RULE:amount_range', 'RULE:id_not_null', 'RULE:id_unique', 'RULE:status_in']);
      const raws = await readFile(path, 'utf8');
      for (const r of rejects.rows) assert.ok(raws.includes(r.raw.trim()) || r.reason === 'RULE:id_unique', r.raw);
    });

    test('an unknown dataset exits 1, a missing subcommand 2', async () => {
      const unknown = await sluice(['rules', 'suggest', 'nothing_here'], env);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no profiled load of dataset "nothing_here"/);
      assert.equal((await sluice(['rules'], env)).code, 2);
    });
  });
});
