import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ServiceStatus } from '../../src/api/status-routes.js';
import { type ApiFixture, startApiFixture } from '../helpers/api.js';

describe('GET /api/status: quality alerts', () => {
  let fx: ApiFixture;

  before(async () => {
    fx = await startApiFixture({}, { config: { datasets: { alerting: { alerts: { max_reject_rate: 0.1 } } } } });
  });

  after(async () => {
    await fx.close();
  });

  test('none before a load crosses a threshold; then the alert, newest first, with the count', async () => {
    const before = (await (await fx.service.app.request('/api/status')).json()) as ServiceStatus;
    assert.deepEqual(before.alerts, { total: 0, recent: [] });
    const summary = await fx.engine.ingest(await fx.file('alerting.csv', 'id,amount\n1,5\n2,6\n3,7\nnot,a,row\n'), { dataset: 'alerting' });
    assert.equal(summary.status, 'loaded');
    assert.equal(summary.rejected, 1);
    const after = (await (await fx.service.app.request('/api/status')).json()) as ServiceStatus;
    assert.equal(after.alerts.total, 1);
    assert.equal(after.alerts.recent[0].rule, 'max_reject_rate');
    assert.equal(after.alerts.recent[0].dataset, 'alerting');
    assert.equal(after.alerts.recent[0].version, 1);
  });
});
