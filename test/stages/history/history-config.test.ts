/** The history and alerts keys of a dataset's configuration: defaults filled, mistakes named by their path. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ConfigInput, configSchema } from '../../../src/configuration/config-schema.js';
import { loadConfiguration } from '../../../src/configuration/locate-config.js';

test('history defaults are Deequ\'s OnlineNormal factor and a five-load minimum', () => {
  const { history, alerts } = configSchema.parse({ datasets: { orders: { history: {}, alerts: {} } } }).datasets.orders;
  assert.deepEqual(history, {
    enabled: true, min_loads: 5, max_loads: 100, k: 3, max_rate_decrease: 0.5, max_rate_increase: 2, weekday_threshold: 3.5, count_floor: 0.01, share_floor: 0.005,
  });
  assert.deepEqual(alerts, { on_metric_anomaly: false });
});

test('a bad history or alerts key fails with SLUICE_ERR_CONFIG_INVALID naming its path', () => {
  // As a file would give it: not checked by TypeScript.
  const written: unknown = { datasets: { orders: { history: { max_rate_decrease: 2, min_loads: 1 }, alerts: { min_score: 2, max_rejects: 1 } } } };
  assert.throws(() => loadConfiguration({ config: written as ConfigInput }),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'SLUICE_ERR_CONFIG_INVALID');
      for (const path of ['datasets.orders.history.max_rate_decrease', 'datasets.orders.history.min_loads', 'datasets.orders.alerts.min_score', 'datasets.orders.alerts.max_rejects']) {
        assert.ok(error.message.includes(`${path}:`), `${path} in ${error.message}`);
      }
      return true;
    });
});
