import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Hono } from 'hono';
import type { FileDetail, LedgerFile, DatasetSchema } from '../../src/api/ledger-reads.js';
import type { PageOf } from '../../src/api/pagination.js';
import type { ServiceStatus } from '../../src/api/status-routes.js';
import type { StoredAnomaly } from '../../src/stages/detect/stored-anomalies.js';
import type { StoredProfile } from '../../src/stages/profile/stored-profile.js';
import type { HealthReport } from '../../src/telemetry/health-checks.js';
import { createApiService } from '../../src/api/api-service.js';
import { requireToken } from '../../src/api/require-token.js';
import type { FileSummary } from '../../src/summary.js';
import { type ApiFixture, csvRows, type ErrorBody, json, startApiFixture } from '../helpers/api.js';

describe('api routes over a real engine', () => {
  let fx: ApiFixture;
  let orders: FileSummary;
  let withRejects: FileSummary;
  let customers: FileSummary;

  before(async () => {
    fx = await startApiFixture();
    orders = await fx.engine.ingest(await fx.file('orders.csv', csvRows(300, { 150: 1e9 })));
    // Two rows with too many fields: rejected, the rest loads.
    withRejects = await fx.engine.ingest(await fx.file('orders_extra.csv', 'id,name,amount\n1,a,1\n2,b,2,extra\n3,c,3\n4,d,4,more\n'), { dataset: 'orders' });
    customers = await fx.engine.ingest(await fx.file('customers.csv', 'id,email\n1,a@example.org\n2,b@example.org\n'));
  });

  after(async () => {
    await fx.close();
  });

  const get = (path: string, init?: RequestInit): Promise<Response> => Promise.resolve(fx.service.app.request(path, init));

  test('the loads the routes read went as expected', () => {
    assert.equal(orders.status, 'loaded');
    assert.equal(withRejects.status, 'loaded');
    assert.equal(withRejects.rejected, 2);
    assert.equal(customers.status, 'loaded');
  });

  test('GET /api/status: engine state, pool, queues, throughput, recent loads, version', async () => {
    const response = await get('/api/status');
    assert.equal(response.status, 200);
    const status = await json<ServiceStatus>(response);
    assert.equal(status.service, 'sluice');
    assert.match(status.version, /^\d+\.\d+\.\d+/);
    assert.equal(status.state, 'idle');
    assert.equal(status.workers?.threads, 1);
    assert.ok(status.workers!.completed > 0, 'the worker pool ran tasks');
    assert.ok(status.database_pool !== null && status.database_pool.total >= 1);
    assert.equal(status.queues.files, 0);
    assert.equal(status.queues.writer.depth, 0);
    assert.deepEqual(status.in_flight, []);
    assert.deepEqual(status.breakers, []);
    assert.equal(status.redis.status, 'not_configured');
    assert.equal(status.throughput.last_minute.files, 3);
    assert.equal(status.throughput.last_minute.rows, 300 + 2 + 2);
    assert.ok(status.uptime_seconds >= 0);
    assert.equal(status.recent_loads?.length, 3);
    assert.equal(status.recent_loads?.[0].file.endsWith('customers.csv'), true, 'newest first');
    assert.equal(status.recent_loads?.[2].rows, 300);
    assert.ok(typeof status.recent_loads?.[2].score === 'number');
  });

  test('GET /api/health: ready, ok, PostgreSQL up, Redis not configured', async () => {
    const response = await get('/api/health');
    assert.equal(response.status, 200);
    const health = await json<HealthReport>(response);
    assert.equal(health.status, 'ok');
    assert.equal(health.ready, true);
    assert.equal(health.dependencies.postgres.status, 'up');
    assert.ok(health.dependencies.postgres.latency_ms! >= 0);
    assert.equal(health.dependencies.redis.status, 'not_configured');
    assert.equal((await get('/api/health/live')).status, 200);
  });

  test('GET /api/files pages the ledger newest first; filters by status and dataset', async () => {
    const all = await json<PageOf<LedgerFile>>(await get('/api/files'));
    assert.equal(all.total, 3);
    assert.deepEqual(all.items.map((f) => f.dataset), ['customers', 'orders', 'orders']);
    assert.equal(all.next_offset, null);

    const first = await json<PageOf<LedgerFile>>(await get('/api/files?limit=2'));
    assert.equal(first.items.length, 2);
    assert.equal(first.next_offset, 2);
    const second = await json<PageOf<LedgerFile>>(await get('/api/files?limit=2&offset=2'));
    assert.equal(second.items.length, 1);
    assert.equal(second.next_offset, null);
    assert.equal(second.items[0].id, all.items[2].id);

    const ordersOnly = await json<PageOf<LedgerFile>>(await get('/api/files?dataset=orders'));
    assert.equal(ordersOnly.total, 2);
    assert.ok(ordersOnly.items.every((f) => f.dataset === 'orders' && f.table === 'staging.orders'));
    const loaded = await json<PageOf<LedgerFile>>(await get('/api/files?status=loaded&dataset=customers'));
    assert.equal(loaded.total, 1);
    assert.equal(loaded.items[0].rows, 2);
    const failed = await json<PageOf<LedgerFile>>(await get('/api/files?status=failed'));
    assert.equal(failed.total, 0);
    assert.deepEqual(failed.items, []);
  });

  test('bad pagination and filters are 400s with the error shape', async () => {
    for (const query of ['limit=0', 'limit=501', 'limit=abc', 'limit=1.5', 'offset=-1', 'offset=x', 'limit=']) {
      const response = await get(`/api/files?${query}`);
      assert.equal(response.status, 400, query);
      assert.equal((await json<ErrorBody>(response)).error.code, 'SLUICE_ERR_BAD_PAGINATION', query);
    }
    const status = await get('/api/files?status=done');
    assert.equal(status.status, 400);
    assert.equal((await json<ErrorBody>(status)).error.code, 'SLUICE_ERR_BAD_REQUEST');
    assert.equal((await get('/api/files?limit=500')).status, 200);
  });

  test('GET /api/files/:id: the row, its summary, attempts and first rejects; by sha256 too', async () => {
    const list = await json<PageOf<LedgerFile>>(await get('/api/files?dataset=orders&limit=1'));
    const id = list.items[0].id;
    const detail = await json<FileDetail>(await get(`/api/files/${id}`));
    assert.equal(detail.file.id, id);
    assert.equal(detail.file.sha256, withRejects.sha256);
    assert.equal(detail.summary?.rows, 2);
    assert.equal(detail.attempts.length, 1);
    assert.equal(detail.attempts[0].status, 'loaded');
    assert.equal(detail.rejects.total, 2);
    assert.deepEqual(detail.rejects.first.map((r) => r.line), [3, 5]);
    assert.ok(detail.rejects.first.every((r) => r.raw !== null && r.reason.length > 0));

    const bySha = await json<FileDetail>(await get(`/api/files/${withRejects.sha256!.toUpperCase()}`));
    assert.equal(bySha.file.id, id);
  });

  test('GET /api/files/:id: 404 for an id not in the ledger, 400 for something that is not an id', async () => {
    const missing = await get('/api/files/999999');
    assert.equal(missing.status, 404);
    assert.equal((await json<ErrorBody>(missing)).error.code, 'SLUICE_ERR_NOT_FOUND');
    assert.equal((await get(`/api/files/${'0'.repeat(64)}`)).status, 404);
    const bad = await get('/api/files/orders.csv');
    assert.equal(bad.status, 400);
    assert.equal((await json<ErrorBody>(bad)).error.code, 'SLUICE_ERR_BAD_REQUEST');
  });

  test('GET /api/datasets/:id/schema: the staging table\'s columns with what the latest load said of them', async () => {
    const schema = await json<DatasetSchema>(await get('/api/datasets/orders/schema'));
    assert.equal(schema.table, 'staging.orders');
    assert.deepEqual(schema.columns.map((c) => c.name), ['_file', '_offset', 'id', 'name', 'amount']);
    const id = schema.columns.find((c) => c.name === 'id')!;
    assert.equal(id.source, 'id');
    assert.equal(id.provenance, false);
    assert.ok(id.confidence !== null && id.confidence > 0);
    assert.equal(schema.columns[0].provenance, true);
    assert.equal(schema.columns.find((c) => c.name === 'name')!.type, 'text');
    assert.equal(schema.latest_file?.status, 'loaded');
    assert.equal(schema.versions[0].version, 1);
    assert.deepEqual(schema.versions[0].columns.map((c) => c.name), ['id', 'name', 'amount']);
    const unknown = await get('/api/datasets/nothing_here/schema');
    assert.equal(unknown.status, 404);
    assert.equal((await json<ErrorBody>(unknown)).error.code, 'SLUICE_ERR_NOT_FOUND');
  });

  test('the catalog routes are served with the rest: GET /api/metadata lists the loaded dataset', async () => {
    const page = await json<{ items: { name: string }[] }>(await get('/api/metadata'));
    assert.ok(page.items.some((entry) => entry.name === 'staging.orders'), JSON.stringify(page.items.map((e) => e.name)));
  });

  test('GET /api/datasets/:id/profile: the latest profiled load; ?file= a given one; 404 unknown', async () => {
    const profile = await json<StoredProfile>(await get('/api/datasets/orders/profile'));
    assert.equal(profile.dataset, 'orders');
    assert.equal(profile.rows, 2, 'the latest load of orders is orders_extra.csv');
    assert.deepEqual(profile.columns.map((c) => c.name), ['id', 'name', 'amount']);
    assert.ok(profile.quality.score !== null);
    const list = await json<PageOf<LedgerFile>>(await get('/api/files?dataset=orders'));
    const older = await json<StoredProfile>(await get(`/api/datasets/orders/profile?file=${list.items[1].id}`));
    assert.equal(older.rows, 300);
    assert.equal((await get('/api/datasets/nothing_here/profile')).status, 404);
    assert.equal((await get('/api/datasets/orders/profile?file=424242')).status, 404);
  });

  test('GET /api/datasets/:id/anomalies: the outlier, paginated; 404 unknown; 400 bad page', async () => {
    const found = await json<PageOf<StoredAnomaly>>(await get('/api/datasets/orders/anomalies'));
    assert.ok(found.total >= 1, 'the 1e9 amount is an anomaly');
    assert.ok(found.items.some((a) => a.column === 'amount' && a.value !== null && Number(a.value) === 1e9));
    const page = await json<PageOf<StoredAnomaly>>(await get('/api/datasets/orders/anomalies?limit=1&offset=0'));
    assert.equal(page.items.length, 1);
    const none = await json<PageOf<StoredAnomaly>>(await get('/api/datasets/customers/anomalies'));
    assert.equal(none.total, 0);
    assert.equal((await get('/api/datasets/nothing_here/anomalies')).status, 404);
    assert.equal((await get('/api/datasets/orders/anomalies?limit=9999')).status, 400);
  });

  test('an unknown route is a 404 in the error shape', async () => {
    const response = await get('/api/nope');
    assert.equal(response.status, 404);
    const body = await json<ErrorBody>(response);
    assert.equal(body.error.code, 'SLUICE_ERR_NOT_FOUND');
    assert.match(body.error.message, /GET \/api\/nope/);
    assert.equal((await get('/api/status', { method: 'DELETE' })).status, 404);
  });
});

describe('api app: mounted routes, errors and the token', () => {
  let fx: ApiFixture;
  const logged: unknown[] = [];

  before(async () => {
    const extra = new Hono();
    extra.get('/boom', () => { throw new Error('secret detail at /srv/x.ts:12'); });
    extra.post('/things', (c) => c.json({ made: true }, 201));
    extra.get('/things', (c) => c.json({ items: [] }));
    fx = await startApiFixture({ token: 's3cret', routes: [{ path: '/api/extra', app: extra }], logError: (error) => logged.push(error) });
  });

  after(async () => {
    await fx.close();
  });

  test('an unexpected error is a 500 SLUICE_ERR_INTERNAL with no stack or detail; the log has it', async () => {
    const response = await fx.service.app.request('/api/extra/boom');
    assert.equal(response.status, 500);
    const text = await response.text();
    const body = JSON.parse(text) as ErrorBody;
    assert.equal(body.error.code, 'SLUICE_ERR_INTERNAL');
    assert.doesNotMatch(text, /secret detail|\.ts:|at /);
    assert.equal(logged.length, 1);
    assert.match((logged[0] as Error).message, /secret detail/);
  });

  test('mutating a mounted route needs the bearer token: 401 none, 400 malformed, 401 wrong, then it runs', async () => {
    const post = (headers: Record<string, string>) => fx.service.app.request('/api/extra/things', { method: 'POST', headers });
    assert.equal((await post({})).status, 401);
    assert.equal((await post({ authorization: 'Token s3cret' })).status, 400);
    assert.equal((await post({ authorization: 'Bearer nope' })).status, 401);
    assert.equal((await post({ authorization: 'Bearer s3cret' })).status, 201);
    assert.equal((await fx.service.app.request('/api/extra/things')).status, 200, 'reads need no token');
    assert.equal((await fx.service.app.request('/api/status')).status, 200);
  });

  test('a guard the sub-app adds itself still works under the app-wide one', async () => {
    const own = new Hono();
    own.put('/x', requireToken('other'), (c) => c.json({ ok: true }));
    const service = createApiService({ engine: fx.engine, routes: [{ path: '/own', app: own }] });
    try {
      assert.equal((await service.app.request('/own/x', { method: 'PUT' })).status, 401);
      assert.equal((await service.app.request('/own/x', { method: 'PUT', headers: { authorization: 'Bearer other' } })).status, 200);
    } finally {
      await service.close();
    }
  });
});
