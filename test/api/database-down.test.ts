import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createApiService, type ApiService } from '../../src/api/api-service.js';
import type { ServiceStatus } from '../../src/api/status-routes.js';
import { createEngine, type Engine } from '../../src/engine.js';
import type { HealthReport } from '../../src/telemetry/health-checks.js';
import { type ErrorBody, json } from '../helpers/api.js';
import { unusedPort } from '../helpers/ports.js';

describe('api with PostgreSQL unavailable', () => {
  let engine: Engine;

  before(() => {
    engine = createEngine({ databaseUrl: 'postgres://postgres@127.0.0.1:1/never', workers: 1, config: {} });
  });

  after(async () => {
    await engine.close();
  });

  describe('before the engine has connected', () => {
    let service: ApiService;
    before(() => { service = createApiService({ engine }); });
    after(() => service.close());

    test('health is down (503), status still answers with state new and no recent loads', async () => {
      const health = await service.app.request('/api/health');
      assert.equal(health.status, 503);
      const report = await json<HealthReport>(health);
      assert.equal(report.status, 'down');
      assert.equal(report.ready, false);
      assert.equal(report.live, true);
      assert.equal(report.dependencies.postgres.status, 'down');

      const status = await json<ServiceStatus>(await service.app.request('/api/status'));
      assert.equal(status.state, 'new');
      assert.equal(status.workers, null);
      assert.equal(status.recent_loads, null);
      assert.match(status.recent_loads_error ?? '', /not connected/);
    });

    test('ledger routes are 503 SLUICE_ERR_DATABASE_UNAVAILABLE; metrics and the status page still answer', async () => {
      for (const path of ['/api/files', '/api/files/1', '/api/datasets/x/schema', '/api/datasets/x/profile', '/api/datasets/x/anomalies']) {
        const response = await service.app.request(path);
        assert.equal(response.status, 503, path);
        assert.equal((await json<ErrorBody>(response)).error.code, 'SLUICE_ERR_DATABASE_UNAVAILABLE', path);
      }
      assert.equal((await service.app.request('/api/metrics?format=prometheus')).status, 200);
      const page = await service.app.request('/');
      assert.equal(page.status, 200);
      assert.match(await page.text(), /datasets unavailable/);
    });
  });

  describe('a pool whose server is gone', () => {
    let pool: pg.Pool;
    let service: ApiService;

    before(async () => {
      pool = new pg.Pool({ host: '127.0.0.1', port: await unusedPort(), user: 'postgres', database: 'postgres', max: 2 });
      pool.on('error', () => undefined);
      service = createApiService({ engine: { events: engine.events, databasePool: pool, status: () => engine.status() }, healthTimeoutMs: 1000 });
    });

    after(async () => {
      await service.close();
      await pool.end();
    });

    test('health is down with the connection error; ledger reads are 503; status answers', async () => {
      const health = await service.app.request('/api/health');
      assert.equal(health.status, 503);
      const report = await json<HealthReport>(health);
      assert.equal(report.dependencies.postgres.status, 'down');
      assert.match(report.dependencies.postgres.error ?? '', /ECONNREFUSED|connect/);
      const files = await service.app.request('/api/files');
      assert.equal(files.status, 503);
      assert.equal((await json<ErrorBody>(files)).error.code, 'SLUICE_ERR_DATABASE_UNAVAILABLE');
      const status = await json<ServiceStatus>(await service.app.request('/api/status'));
      assert.equal(status.recent_loads, null);
      assert.match(status.recent_loads_error ?? '', /ECONNREFUSED|connect/);
    });
  });
});
