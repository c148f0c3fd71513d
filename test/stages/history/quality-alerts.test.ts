/**
 * Alerts: the thresholds a load crosses (pure), and through real loads the quality.alert events in
 * their versioned format, the engine's bounded list of recent alerts, the Redis channel (the
 * shared server on 6379) and a Redis nobody listens on (the load goes on, nothing crashes).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { configSchema } from '../../../src/configuration/config-schema.js';
import { RecentAlerts } from '../../../src/events/recent-alerts.js';
import { createEngine, type PipelineEvent, PipelineEvents } from '../../../src/index.js';
import { alertsFor, type QualityAlert, qualityAlert } from '../../../src/stages/history/quality-alerts.js';
import type { MetricAnomaly } from '../../../src/summary.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.js';

const QUALITY = { completeness: 0.9, uniqueness: null, validity: 0.8, consistency: 1, timeliness: null, accuracy: 0.99, score: 0.92 };

function datasetConfig(input: unknown) {
  return configSchema.parse({ datasets: { sales: input } }).datasets.sales;
}

const ROW_DROP: MetricAnomaly = {
  metric: 'row_count', column: null, value: 500, method: 'online_normal', score: 25,
  expected: { center: 1000, lower: 940, upper: 1060 }, methods: ['online_normal'], explains: [],
};

describe('quality alerts', () => {
  test('each crossed threshold is one alert; a dimension not assessed crosses none', () => {
    const config = datasetConfig({
      alerts: { min_score: 0.95, min_validity: 0.9, min_uniqueness: 0.99, min_accuracy: 0.9, max_reject_rate: 0.1, on_metric_anomaly: true },
    });
    const alerts = alertsFor({ rows: 80, rejected: 20, quality: QUALITY, history: { status: 'checked', loads: 9, min_loads: 5, checked: 12, anomalies: [ROW_DROP] } }, config);
    assert.deepEqual(alerts, [
      { rule: 'min_score', metric: 'score', column: null, value: 0.92, threshold: 0.95, severity: 'critical' },
      { rule: 'min_validity', metric: 'validity', column: null, value: 0.8, threshold: 0.9, severity: 'critical' },
      { rule: 'max_reject_rate', metric: 'reject_rate', column: null, value: 0.2, threshold: 0.1, severity: 'critical' },
      { rule: 'metric_anomaly', metric: 'row_count', column: null, value: 500, threshold: 940, severity: 'warning' },
    ]);
  });

  test('quality.alert_below is min_score when alerts say nothing of it; no configuration, no alerts', () => {
    const input = { rows: 100, rejected: 0, quality: QUALITY, history: null };
    assert.deepEqual(alertsFor(input, datasetConfig({ quality: { alert_below: 0.95 } })).map((a) => a.rule), ['min_score']);
    assert.deepEqual(alertsFor(input, datasetConfig({ quality: { alert_below: 0.95 }, alerts: { min_score: 0.5 } })), []);
    assert.deepEqual(alertsFor(input, undefined), []);
    assert.deepEqual(alertsFor({ ...input, history: { status: 'checked', loads: 9, min_loads: 5, checked: 12, anomalies: [ROW_DROP] } }, datasetConfig({ alerts: {} })), [],
      'metric anomalies alert only with on_metric_anomaly');
  });

  test('the event format: version 1, the load, the rule, value, threshold, severity, time and a message', () => {
    const at = new Date('2026-03-01T10:00:00.000Z');
    const alert = qualityAlert({ dataset: 'sales', file: 'in/sales.csv' },
      { rule: 'min_score', metric: 'score', column: null, value: 0.5, threshold: 0.8, severity: 'critical' }, 'run-1', at);
    assert.deepEqual(alert, {
      version: 1, type: 'quality.alert', dataset: 'sales', file: 'in/sales.csv', run: 'run-1', rule: 'min_score', metric: 'score', column: null,
      value: 0.5, threshold: 0.8, severity: 'critical', at: '2026-03-01T10:00:00.000Z', message: 'sales: score 0.5000 is below 0.8000',
    });
  });

  test('the recent alerts are the newest ones, newest first, bounded', () => {
    const bus = new PipelineEvents();
    const recent = new RecentAlerts(bus, 3);
    for (let i = 0; i < 5; i++) {
      bus.emit('quality.alert', qualityAlert({ dataset: 'd', file: `f${i}` }, { rule: 'min_score', metric: 'score', column: null, value: 0, threshold: 1, severity: 'critical' }, `r${i}`));
    }
    bus.emit('file.discovered', { path: 'x', source: 'cli' });
    assert.deepEqual(recent.list().map((a) => a.file), ['f4', 'f3', 'f2']);
    assert.deepEqual(recent.list(1).map((a) => a.file), ['f4']);
    assert.deepEqual(recent.list(0), []);
    assert.equal(recent.total, 5);
    recent.close();
  });

  describe('through loads', () => {
    let db: TestDatabase;
    let dir: string;
    let file: string;
    const config = { datasets: { sales: { alerts: { max_reject_rate: 0.05, min_validity: 0.95 } } } };

    before(async () => {
      db = await createTestDatabase();
      dir = await mkdtemp(join(tmpdir(), 'sluice-alerts-'));
      file = join(dir, 'sales.csv');
      // 90 good rows and 10 with a field too many: reject rate 0.1, validity 0.9.
      const rows = Array.from({ length: 100 }, (_, i) => (i % 10 === 4 ? `${i},${i}.5,extra` : `${i},${i}.5`));
      await writeFile(file, `id,amount\n${rows.join('\n')}\n`);
    });

    after(async () => {
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    });

    test('a load past two thresholds emits two quality.alert events after file.loaded, kept in engine.alerts', async () => {
      const engine = createEngine({ databaseUrl: db.url, workers: 1, writers: 1, config });
      const events: PipelineEvent[] = [];
      engine.events.subscribe((event) => events.push(event));
      try {
        const summary = await engine.ingest(file, { dataset: 'sales' });
        assert.equal(summary.status, 'loaded');
        assert.deepEqual([summary.rows, summary.rejected], [90, 10]);
        assert.deepEqual(summary.alerts?.map((a) => a.rule), ['min_validity', 'max_reject_rate']);
        const types = events.map((e) => e.type);
        // The run ends (run.finished: its lineage recorded) after the load's alerts.
        assert.deepEqual(types.slice(types.indexOf('file.loaded')), ['file.loaded', 'quality.alert', 'quality.alert', 'run.finished']);
        const started = events.find((e) => e.type === 'file.started');
        const alerts = events.filter((e) => e.type === 'quality.alert').map((e) => e.data as QualityAlert);
        for (const alert of alerts) {
          assert.equal(alert.version, 1);
          assert.equal(alert.dataset, 'sales');
          assert.equal(alert.file, file);
          assert.equal(alert.run, started?.type === 'file.started' ? started.data.runId : undefined);
          assert.equal(alert.severity, 'critical');
          assert.ok(!Number.isNaN(Date.parse(alert.at)));
        }
        assert.deepEqual(alerts.map((a) => [a.rule, a.value, a.threshold]), [['min_validity', 0.9, 0.95], ['max_reject_rate', 0.1, 0.05]]);
        assert.deepEqual(engine.alerts.list(), [...alerts].reverse());
      } finally {
        await engine.close();
      }
    });

    test('with REDIS_URL each alert is published on sluice:alerts as its JSON', async () => {
      const subscriber = new Redis('redis://127.0.0.1:6379');
      const received: QualityAlert[] = [];
      await subscriber.subscribe('sluice:alerts');
      subscriber.on('message', (_channel, message: string) => received.push(JSON.parse(message) as QualityAlert));
      const engine = createEngine({ databaseUrl: db.url, workers: 1, writers: 1, config, redisUrl: 'redis://127.0.0.1:6379' });
      try {
        const summary = await engine.ingest(file, { dataset: 'sales', force: true });
        assert.equal(summary.status, 'loaded');
        const deadline = Date.now() + 5_000;
        const ours = (): QualityAlert[] => received.filter((a) => a.run === engine.alerts.list()[0]?.run);
        while (ours().length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        assert.deepEqual(ours(), [...engine.alerts.list()].reverse());
      } finally {
        await engine.close();
        subscriber.disconnect();
      }
    });

    test('with Redis unreachable the load and its alerts go on, and close does not hang', async () => {
      const port = await new Promise<number>((resolve) => {
        const server = createServer().listen(0, '127.0.0.1', () => {
          const { port: free } = server.address() as { port: number };
          server.close(() => resolve(free));
        });
      });
      const engine = createEngine({ databaseUrl: db.url, workers: 1, writers: 1, config, redisUrl: `redis://127.0.0.1:${port}` });
      const summary = await engine.ingest(file, { dataset: 'sales', force: true });
      assert.equal(summary.status, 'loaded');
      assert.equal(engine.alerts.list().length, 2);
      const started = Date.now();
      await engine.close();
      assert.ok(Date.now() - started < 5_000, 'close gives up on Redis');
    });
  });
});
