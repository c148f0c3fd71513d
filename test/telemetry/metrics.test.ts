import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { register as globalRegistry } from 'prom-client';
import { PipelineEvents } from '../../src/events/pipeline-events.js';
import { emptySummary, type FileSummary } from '../../src/summary.js';
import { MAX_DATASET_LABELS, type MetricJson, SluiceMetrics } from '../../src/telemetry/metrics.js';
import { startTelemetry } from '../../src/telemetry/pipeline-telemetry.js';
import { type ApiFixture, csvRows, type ErrorBody, json, startApiFixture } from '../helpers/api.js';
import { type Family, parsePrometheus } from '../helpers/prometheus.js';

function sample(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const family = families.get(name.replace(/_(bucket|sum|count)$/, '')) ?? families.get(name);
  return family?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('metrics of a real load, as Prometheus text', () => {
  let fx: ApiFixture;
  let path: string;
  let summary: FileSummary;
  let chunkEvents = 0;
  let text: string;
  let families: Map<string, Family>;

  before(async () => {
    // Chunks of 8 KiB: several chunks, so the histogram has several observations.
    fx = await startApiFixture({}, { chunkSize: 8192 });
    fx.engine.events.subscribe((event) => { if (event.type === 'chunk.committed') chunkEvents++; });
    path = await fx.file('metric_rows.csv', csvRows(2000));
    summary = await fx.engine.ingest(path);
    await fx.engine.ingest(path);
    const response = await fx.service.app.request('/api/metrics?format=prometheus');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    text = await response.text();
    families = parsePrometheus(text);
  });

  after(async () => {
    await fx.close();
  });

  test('the body parses, ends with a newline, and every family has HELP and TYPE', () => {
    assert.equal(summary.status, 'loaded');
    assert.ok(text.endsWith('\n'));
    assert.ok(families.size >= 15);
    for (const family of families.values()) {
      assert.ok(family.help !== null && family.help.length > 0, `${family.name} has help`);
    }
  });

  test('names: sluice_ prefix, counters end in _total, base units', () => {
    for (const family of families.values()) {
      assert.match(family.name, /^sluice_[a-z0-9_]+$/);
      if (family.type === 'counter') assert.match(family.name, /_total$/, family.name);
      assert.doesNotMatch(family.name, /_(ms|milliseconds|kb|mb|minutes)(_|$)/, `${family.name} is in base units`);
    }
    assert.equal(families.get('sluice_chunk_commit_duration_seconds')?.type, 'histogram');
    assert.equal(families.get('sluice_rows_total')?.type, 'counter');
    assert.equal(families.get('sluice_queue_depth')?.type, 'gauge');
  });

  test('counters: rows, bytes, chunks and files by status match the loads', () => {
    assert.ok(chunkEvents >= 3, 'several chunks');
    assert.equal(sample(families, 'sluice_rows_total'), 2000);
    assert.equal(sample(families, 'sluice_rejected_rows_total'), 0);
    assert.equal(sample(families, 'sluice_chunks_total'), chunkEvents);
    assert.ok(sample(families, 'sluice_bytes_total')! > 2000 * 10);
    assert.equal(sample(families, 'sluice_files_total', { status: 'loaded' }), 1);
    assert.equal(sample(families, 'sluice_files_total', { status: 'skipped' }), 1);
    assert.equal(sample(families, 'sluice_files_total', { status: 'failed' }), 0);
    assert.ok(sample(families, 'sluice_quality_score', { dataset: 'metric_rows' })! > 0);
  });

  test('histograms: buckets cumulative, ending with +Inf equal to _count, and a _sum', () => {
    for (const family of [...families.values()].filter((f) => f.type === 'histogram')) {
      const series = new Map<string, typeof family.samples>();
      for (const s of family.samples.filter((x) => x.name === `${family.name}_bucket`)) {
        const { le, ...rest } = s.labels;
        assert.ok(le !== undefined, 'a bucket has le');
        const key = JSON.stringify(rest);
        series.set(key, [...(series.get(key) ?? []), s]);
      }
      for (const [key, buckets] of series) {
        const bounds = buckets.map((b) => (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le)));
        assert.equal(bounds.at(-1), Infinity, `${family.name} ends with +Inf`);
        for (let i = 1; i < buckets.length; i++) {
          assert.ok(bounds[i] > bounds[i - 1], 'bounds ascend');
          assert.ok(buckets[i].value >= buckets[i - 1].value, `${family.name} buckets are cumulative`);
        }
        const labels = JSON.parse(key) as Record<string, string>;
        const count = sample(families, `${family.name}_count`, labels);
        const sum = sample(families, `${family.name}_sum`, labels);
        assert.equal(buckets.at(-1)!.value, count, `${family.name} +Inf bucket = _count`);
        assert.ok(sum !== undefined && sum >= 0, `${family.name}_sum present`);
      }
    }
    assert.equal(sample(families, 'sluice_chunk_commit_duration_seconds_count'), chunkEvents);
    assert.ok(sample(families, 'sluice_chunk_commit_duration_seconds_sum')! > 0);
    assert.equal(sample(families, 'sluice_load_duration_seconds_count', { status: 'loaded' }), 1);
  });

  test('no label carries a file name, a path or a ledger id', () => {
    const name = basename(path);
    for (const family of families.values()) {
      for (const s of family.samples) {
        for (const value of Object.values(s.labels)) {
          assert.ok(!value.includes(name) && !value.includes('/'), `${s.name} label ${value}`);
        }
        assert.ok(!('file' in s.labels) && !('file_id' in s.labels) && !('path' in s.labels));
      }
    }
  });

  test('gauges read the engine at scrape time: pool, queues, in-flight files', () => {
    assert.equal(sample(families, 'sluice_worker_threads'), 1);
    assert.equal(sample(families, 'sluice_files_in_flight'), 0);
    assert.equal(sample(families, 'sluice_queue_depth', { queue: 'writer' }), 0);
    assert.equal(sample(families, 'sluice_queue_depth', { queue: 'files' }), 0);
    assert.ok(sample(families, 'sluice_queue_capacity', { queue: 'writer' })! >= 1);
    const utilization = sample(families, 'sluice_worker_utilization_ratio')!;
    assert.ok(utilization >= 0 && utilization <= 1);
    assert.ok(sample(families, 'sluice_copy_throughput_rows_per_second')! > 0, 'rows committed within the window');
    assert.equal(sample(families, 'sluice_redis_connected'), undefined, 'absent without Redis');
  });

  test('JSON by default and with ?format=json; Prometheus with Accept: text/plain; 400 for another format', async () => {
    const asJson = await json<{ metrics: MetricJson[]; throughput: { last_minute: { rows: number } } }>(await fx.service.app.request('/api/metrics'));
    const rows = asJson.metrics.find((m) => m.name === 'sluice_rows_total');
    assert.equal(rows?.type, 'counter');
    assert.equal(rows?.values[0].value, 2000);
    assert.equal(asJson.throughput.last_minute.rows, 2000);
    assert.equal((await fx.service.app.request('/api/metrics?format=json')).headers.get('content-type'), 'application/json');
    const scraped = await fx.service.app.request('/api/metrics', { headers: { accept: 'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.2,*/*;q=0.1' } });
    assert.match(scraped.headers.get('content-type') ?? '', /^text\/plain/);
    assert.ok(parsePrometheus(await scraped.text()).has('sluice_rows_total'));
    const bad = await fx.service.app.request('/api/metrics?format=xml');
    assert.equal(bad.status, 400);
    assert.equal((await json<ErrorBody>(bad)).error.code, 'SLUICE_ERR_BAD_REQUEST');
  });

  test('breaker states from breaker.changed events, and from the breakers list, become the gauge', async () => {
    fx.engine.events.emit('breaker.changed', { name: 'postgres', state: 'open' });
    const scraped = parsePrometheus(await fx.service.telemetry.metrics.prometheus());
    assert.equal(sample(scraped, 'sluice_breaker_state', { breaker: 'postgres' }), 2);
    fx.engine.events.emit('breaker.changed', { name: 'postgres', state: 'closed' });
    assert.equal(sample(parsePrometheus(await fx.service.telemetry.metrics.prometheus()), 'sluice_breaker_state', { breaker: 'postgres' }), 0);

    const breakers = [{ name: 'redis', state: 'half-open' as const }];
    const telemetry = startTelemetry({ events: new PipelineEvents(), breakers });
    try {
      assert.equal(sample(parsePrometheus(await telemetry.metrics.prometheus()), 'sluice_breaker_state', { breaker: 'redis' }), 1);
    } finally {
      await telemetry.close();
    }
  });
});

describe('metrics registries', () => {
  test('each has its own registry: two side by side, none in prom-client\'s global one', async () => {
    const a = new SluiceMetrics();
    const b = new SluiceMetrics();
    a.record({ type: 'chunk.committed', time: new Date().toISOString(), data: { path: 'x.csv', chunkNo: 0, rows: 5, rejected: 0, bytes: 50, ms: 3 } });
    assert.equal(sample(parsePrometheus(await a.prometheus()), 'sluice_rows_total'), 5);
    assert.equal(sample(parsePrometheus(await b.prometheus()), 'sluice_rows_total'), 0);
    assert.equal(globalRegistry.getSingleMetric('sluice_rows_total'), undefined);
  });

  test(`at most ${MAX_DATASET_LABELS} datasets become label values; the rest count as _other`, async () => {
    const metrics = new SluiceMetrics();
    for (let i = 0; i < MAX_DATASET_LABELS + 5; i++) {
      const summary: FileSummary = { ...emptySummary(`d${i}.csv`), status: 'loaded', dataset: `d${i}`, anomalies: { amount: 1 } };
      metrics.record({ type: 'file.loaded', time: new Date().toISOString(), data: { runId: String(i), path: `d${i}.csv`, summary } });
    }
    const family = parsePrometheus(await metrics.prometheus()).get('sluice_value_anomalies_total')!;
    assert.equal(family.samples.length, MAX_DATASET_LABELS + 1);
    assert.equal(family.samples.find((s) => s.labels.dataset === '_other')?.value, 5);
  });
});
