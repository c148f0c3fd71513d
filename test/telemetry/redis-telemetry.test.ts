import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { ServiceStatus } from '../../src/api/status-routes.js';
import type { PipelineEvent } from '../../src/events/pipeline-events.js';
import type { HealthReport } from '../../src/telemetry/health-checks.js';
import { RedisTelemetry } from '../../src/telemetry/redis-telemetry.js';
import { type ApiFixture, csvRows, json, startApiFixture } from '../helpers/api.js';
import { unusedPort } from '../helpers/ports.js';
import { parsePrometheus } from '../helpers/prometheus.js';
import { until } from '../helpers/until.js';

const REDIS_URL = process.env.SLUICE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function sumKeys(redis: Redis, pattern: string): Promise<{ total: number; keys: string[] }> {
  const keys = await redis.keys(pattern);
  const values = keys.length === 0 ? [] : await redis.mget(keys);
  return { total: values.reduce((sum, v) => sum + Number(v), 0), keys };
}

describe('real-time counters and events in Redis', () => {
  const prefix = `sluice_test_${randomBytes(4).toString('hex')}:`;
  let fx: ApiFixture;
  let reader: Redis;
  let subscriber: Redis;
  const published: PipelineEvent[] = [];

  before(async () => {
    reader = new Redis(REDIS_URL);
    subscriber = new Redis(REDIS_URL);
    subscriber.on('message', (_channel: string, message: string) => published.push(JSON.parse(message) as PipelineEvent));
    await subscriber.subscribe(`${prefix}events`);
    fx = await startApiFixture({ redisUrl: REDIS_URL, redisPrefix: prefix }, { chunkSize: 8192 });
    await until('redis connected', () => fx.service.telemetry.redis!.connected);
  });

  after(async () => {
    await fx.close();
    const keys = await reader.keys(`${prefix}*`);
    if (keys.length > 0) await reader.del(keys);
    reader.disconnect();
    subscriber.disconnect();
  });

  test('a load adds its rows, bytes, chunks and files to per-second buckets with an expiry', async () => {
    const summary = await fx.engine.ingest(await fx.file('realtime.csv', csvRows(1500)));
    assert.equal(summary.status, 'loaded');
    await until('the rows in redis', async () => (await sumKeys(reader, `${prefix}rt:rows:*`)).total === 1500);
    const rows = await sumKeys(reader, `${prefix}rt:rows:*`);
    for (const key of rows.keys) {
      assert.match(key, new RegExp(`^${prefix}rt:rows:\\d{10}$`), 'keyed by epoch second');
      const second = Number(key.split(':').at(-1));
      assert.ok(Math.abs(second - Date.now() / 1000) < 120, 'a recent second');
      const ttl = await reader.ttl(key);
      assert.ok(ttl > 0 && ttl <= 3600, `expires (ttl ${ttl})`);
    }
    const chunks = await sumKeys(reader, `${prefix}rt:chunks:*`);
    assert.ok(chunks.total >= 2);
    assert.ok((await sumKeys(reader, `${prefix}rt:bytes:*`)).total > 1500 * 10);
    assert.equal((await sumKeys(reader, `${prefix}rt:files:*`)).total, 1);
  });

  test('every pipeline event is published on the channel, in order, as JSON', async () => {
    await until('file.loaded published', () => published.some((e) => e.type === 'file.loaded'));
    // A run ends with run.finished once its lineage is recorded; the load's own events come before it.
    const loadEvents = published.filter((e) => e.type !== 'run.finished');
    const types = loadEvents.map((e) => e.type);
    assert.equal(types[0], 'file.started');
    assert.equal(types.at(-1), 'file.loaded');
    assert.ok(types.slice(1, -1).every((t) => t === 'chunk.committed'));
    const loaded = loadEvents.at(-1)!;
    assert.ok(loaded.type === 'file.loaded' && loaded.data.summary.rows === 1500);
    assert.ok(!Number.isNaN(Date.parse(loaded.time)));
  });

  test('health ok with Redis up; status and metrics say connected', async () => {
    const health = await json<HealthReport>(await fx.service.app.request('/api/health'));
    assert.equal(health.status, 'ok');
    assert.equal(health.dependencies.redis.status, 'up');
    const status = await json<ServiceStatus>(await fx.service.app.request('/api/status'));
    assert.equal(status.redis.status, 'connected');
    const metrics = parsePrometheus(await fx.service.telemetry.metrics.prometheus());
    assert.equal(metrics.get('sluice_redis_connected')?.samples[0].value, 1);
  });
});

describe('Redis unreachable', () => {
  let fx: ApiFixture;

  before(async () => {
    fx = await startApiFixture({ redisUrl: `redis://127.0.0.1:${await unusedPort()}`, healthTimeoutMs: 500 });
  });

  after(async () => {
    await fx.close();
  });

  test('loads go on; counters are kept in process; health is degraded (200), not down; metrics are served', async () => {
    const summary = await fx.engine.ingest(await fx.file('no_redis.csv', csvRows(40)));
    assert.equal(summary.status, 'loaded');

    const healthResponse = await fx.service.app.request('/api/health');
    assert.equal(healthResponse.status, 200);
    const health = await json<HealthReport>(healthResponse);
    assert.equal(health.status, 'degraded');
    assert.equal(health.ready, true);
    assert.equal(health.dependencies.redis.status, 'down');
    assert.equal(health.dependencies.postgres.status, 'up');

    const status = await json<ServiceStatus>(await fx.service.app.request('/api/status'));
    assert.equal(status.redis.status, 'disconnected');
    assert.ok(status.redis.dropped_writes >= 3, 'the events that could not be written were counted');
    assert.equal(status.throughput.last_minute.rows, 40, 'in-process counters have them');

    const metrics = await fx.service.app.request('/api/metrics?format=prometheus');
    assert.equal(metrics.status, 200);
    const families = parsePrometheus(await metrics.text());
    assert.equal(families.get('sluice_redis_connected')?.samples[0].value, 0);
    assert.equal(families.get('sluice_rows_total')?.samples[0].value, 40);
  });
});

describe('Redis stopped and started again (a private redis-server)', () => {
  let port: number;
  let server: ChildProcess | undefined;
  let telemetry: RedisTelemetry;
  let reader: Redis;
  const lines: string[] = [];

  async function startRedis(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    server = child;
    await until('redis-server up', async () => {
      const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, enableOfflineQueue: false });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    });
  }

  async function stopRedis(): Promise<void> {
    const child = server!;
    server = undefined;
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
  }

  before(async () => {
    port = await unusedPort();
    await startRedis();
    telemetry = new RedisTelemetry({ url: `redis://127.0.0.1:${port}`, prefix: 'restart:', log: (line) => lines.push(line) });
    reader = new Redis({ port, host: '127.0.0.1' });
    reader.on('error', () => undefined);
    await until('telemetry connected', () => telemetry.connected);
  });

  after(async () => {
    await telemetry.close();
    reader.disconnect();
    if (server !== undefined) await stopRedis();
  });

  const event = (rows: number): PipelineEvent => ({ type: 'chunk.committed', time: new Date().toISOString(), data: { path: 'p.csv', chunkNo: 0, rows, rejected: 0, bytes: 10, ms: 1 } });

  test('writes are dropped while it is down, the process stays up, and they resume when it is back', async () => {
    telemetry.record(event(5), { rows: 5 });
    await until('first write', async () => (await sumKeys(reader, 'restart:rt:rows:*')).total === 5);

    await stopRedis();
    await until('telemetry sees it down', () => !telemetry.connected);
    const dropped = telemetry.dropped;
    telemetry.record(event(7), { rows: 7 });
    assert.equal(telemetry.dropped, dropped + 1);
    await assert.rejects(telemetry.ping(300));

    await startRedis();
    await until('telemetry reconnected', () => telemetry.connected, 15_000);
    telemetry.record(event(11), { rows: 11 });
    // The restarted server kept nothing (--save ""): only the write after it is there.
    await until('write after restart', async () => (await sumKeys(reader, 'restart:rt:rows:*')).total === 11);
    assert.ok(lines.some((l) => /unavailable/.test(l)) && lines.some((l) => /is back/.test(l)), lines.join('\n'));
    assert.equal(lines.filter((l) => /unavailable/.test(l)).length, 1, 'one line per outage, not per reconnect attempt');
  });
});
