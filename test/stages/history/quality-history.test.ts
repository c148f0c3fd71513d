/**
 * Quality history through real loads: a dataset's first loads say "not enough history"; ten
 * normal loads (1000 ± 3 % rows) and a normal eleventh raise nothing; a load with half the rows
 * raises exactly one metric anomaly (row_count; what it explains folded into it, not raised) —
 * a row of kind metric in ingest.anomalies, a metric.anomaly event and an alert — and the normal
 * load after it raises nothing, because the anomalous point is left out of the baselines.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createEngine, type Engine, type PipelineEvent } from '../../../src/index.js';
import type { FileSummary } from '../../../src/summary.js';
import { sluice } from '../../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.js';
import { NORMAL_COUNTS, writeSeriesFile } from './load-series.js';

describe('quality history and metric anomalies', () => {
  let db: TestDatabase;
  let engine: Engine;
  let dir: string;
  const events: PipelineEvent[] = [];
  const summaries: FileSummary[] = [];

  before(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'sluice-history-'));
    engine = createEngine({
      databaseUrl: db.url, workers: 1, writers: 1,
      config: { datasets: { orders: { alerts: { on_metric_anomaly: true } }, quiet: { history: { enabled: false } } } },
    });
    engine.events.subscribe((event) => events.push(event));
  });

  after(async () => {
    await engine.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const load = async (count: number, seed: number): Promise<FileSummary> => {
    const path = await writeSeriesFile(dir, `orders_${summaries.length + 1}.csv`, count, seed);
    const summary = await engine.ingest(path, { dataset: 'orders' });
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    summaries.push(summary);
    return summary;
  };

  test('the first load, and every load before five earlier ones, says "not enough history"', async () => {
    const first = await load(NORMAL_COUNTS[0], 1);
    assert.deepEqual(first.history, { status: 'not enough history', loads: 0, min_loads: 5, checked: 0, anomalies: [] });
    for (let i = 1; i < 5; i++) {
      const summary = await load(NORMAL_COUNTS[i], i + 1);
      assert.equal(summary.history?.status, 'not enough history');
      assert.equal(summary.history?.loads, i);
    }
    const recorded = await db.query<{ metric: string; column_name: string }>(
      'SELECT DISTINCT metric, column_name FROM ingest.quality_history ORDER BY metric, column_name');
    const names = recorded.rows.map((r) => `${r.metric}${r.column_name === '' ? '' : `:${r.column_name}`}`);
    for (const expected of ['row_count', 'reject_rate', 'null_rate:note', 'distinct:id', 'mean:amount', 'completeness', 'validity', 'score']) {
      assert.ok(names.includes(expected), `${expected} is recorded (${names.join(', ')})`);
    }
    assert.ok(!names.includes('mean:status') && !names.includes('mean:note'), 'text columns have no mean');
  });

  test('loads six to ten and a normal eleventh are compared and raise nothing', async () => {
    for (let i = 5; i < 10; i++) {
      const summary = await load(NORMAL_COUNTS[i], i + 1);
      assert.equal(summary.history?.status, 'checked');
      assert.deepEqual(summary.history?.anomalies, [], `load ${i + 1}: ${JSON.stringify(summary.history?.anomalies)}`);
    }
    const eleventh = await load(1004, 11);
    assert.equal(eleventh.history?.status, 'checked');
    assert.equal(eleventh.history?.loads, 10);
    assert.ok(eleventh.history!.checked >= 15, `every metric has history (${eleventh.history!.checked})`);
    assert.deepEqual(eleventh.history?.anomalies, []);
    assert.deepEqual(eleventh.alerts, []);
  });

  test('a load with half the rows raises one metric anomaly: row_count', async () => {
    const before = events.length;
    const half = await load(500, 12);
    const anomalies = half.history!.anomalies;
    assert.equal(anomalies.length, 1, JSON.stringify(anomalies));
    const [anomaly] = anomalies;
    assert.equal(anomaly.metric, 'row_count');
    assert.equal(anomaly.column, null);
    assert.equal(anomaly.value, 500);
    assert.equal(anomaly.method, 'online_normal');
    assert.ok(anomaly.expected.lower > 500 && anomaly.expected.center > 990 && anomaly.expected.center < 1010, JSON.stringify(anomaly.expected));
    assert.ok(anomaly.score > 3);
    const explained = anomaly.explains.map((e) => `${e.metric}:${e.column ?? ''}`);
    assert.ok(explained.every((m) => m.startsWith('distinct')), `only distinct figures move with the volume (${explained.join(', ')})`);

    const stored = await db.query<{ kind: string; metric: string; column_name: string | null; value: string; method: string; file_id: string; at: Date | null }>(
      `SELECT kind, metric, column_name, value, method, file_id, at FROM ingest.anomalies WHERE kind = 'metric'`);
    assert.equal(stored.rows.length, 1);
    assert.deepEqual({ ...stored.rows[0], at: stored.rows[0].at !== null }, {
      kind: 'metric', metric: 'row_count', column_name: null, value: '500', method: 'online_normal', file_id: stored.rows[0].file_id, at: true,
    });
    const flagged = await db.query<{ metric: string; column_name: string }>(
      'SELECT metric, column_name FROM ingest.quality_history WHERE anomalous ORDER BY metric');
    assert.deepEqual(flagged.rows.map((r) => `${r.metric}:${r.column_name}`).sort(), ['row_count:', ...explained].sort());

    const raised = events.slice(before).filter((e) => e.type === 'metric.anomaly' || e.type === 'quality.alert');
    assert.deepEqual(raised.map((e) => e.type), ['metric.anomaly', 'quality.alert']);
    const alert = raised[1].type === 'quality.alert' ? raised[1].data : undefined;
    assert.ok(alert !== undefined);
    assert.equal(alert.rule, 'metric_anomaly');
    assert.equal(alert.severity, 'warning');
    assert.equal(alert.value, 500);
    assert.equal(alert.threshold, anomaly.expected.lower);
    assert.deepEqual(engine.alerts.list(), [alert]);
  });

  test('the normal load after it raises nothing: the anomalous point is left out of the baseline', async () => {
    const next = await load(1011, 13);
    assert.equal(next.history?.status, 'checked');
    assert.deepEqual(next.history?.anomalies, []);
    // Rate of change compares with the last normal load, not the half one (1011 / 500 would be > 2).
    const stored = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ingest.anomalies WHERE kind = 'metric'`);
    assert.equal(Number(stored.rows[0].n), 1);
    const listed = await sluice(['anomalies', 'orders', '--json'], { ...process.env, DATABASE_URL: db.url });
    assert.equal(listed.code, 0, listed.stderr);
    const metric = listed.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((a) => a.kind === 'metric');
    assert.deepEqual(metric.map((a) => [a.metric, a.column, a.value, a.method]), [['row_count', null, '500', 'online_normal']]);
    const table = await sluice(['anomalies', 'orders'], { ...process.env, DATABASE_URL: db.url });
    assert.match(table.stdout, /\brow_count\s+500\s/);
  });

  test('a skipped reload raises no event again', async () => {
    const before = events.length;
    const again = await engine.ingest(join(dir, 'orders_12.csv'), { dataset: 'orders' });
    assert.equal(again.status, 'skipped');
    assert.ok(!events.slice(before).some((e) => e.type === 'metric.anomaly' || e.type === 'quality.alert'));
  });

  test('with history off a load records and compares nothing', async () => {
    const path = await writeSeriesFile(dir, 'quiet.csv', 100, 99);
    const summary = await engine.ingest(path, { dataset: 'quiet' });
    assert.equal(summary.status, 'loaded');
    assert.equal(summary.history, null);
    const recorded = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ingest.quality_history WHERE dataset = 'quiet'`);
    assert.equal(Number(recorded.rows[0].n), 0);
  });
});
