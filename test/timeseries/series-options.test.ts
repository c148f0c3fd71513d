import assert from 'node:assert/strict';
import { test } from 'node:test';
import { processSeries } from '../../src/timeseries/process-series.js';
import { DEFAULT_SERIES_OPTIONS, contextPoints, ewmaHorizon, featureColumns } from '../../src/timeseries/series-options.js';
import { emptyTail } from './random-series.js';

test('feature columns in output order', () => {
  assert.deepEqual(featureColumns(DEFAULT_SERIES_OPTIONS, ['temp']), ['temp_mean_10', 'temp_std_10', 'temp_min_10', 'temp_max_10', 'temp_ewma', 'temp_lag_1', 'temp_diff_1', 'temp_roc', 'hour', 'weekday', 'month']);
  assert.deepEqual(featureColumns({ ...DEFAULT_SERIES_OPTIONS, windows: [5, 60], lags: [1, 24], calendarZone: null }, ['a', 'b']), [
    'a_mean_5', 'a_std_5', 'a_min_5', 'a_max_5', 'a_mean_60', 'a_std_60', 'a_min_60', 'a_max_60', 'a_ewma', 'a_lag_1', 'a_diff_1', 'a_lag_24', 'a_diff_24', 'a_roc',
    'b_mean_5', 'b_std_5', 'b_min_5', 'b_max_5', 'b_mean_60', 'b_std_60', 'b_min_60', 'b_max_60', 'b_ewma', 'b_lag_1', 'b_diff_1', 'b_lag_24', 'b_diff_24', 'b_roc',
  ]);
});

test('contextPoints: the longest dependency — EWMA horizon, four anomaly windows plus the seasonal look-back', () => {
  assert.equal(ewmaHorizon(2 / 11), 197);
  assert.ok((9 / 11) ** 196 < 1e-17);
  // 1-second sampling: no season; twice the EWMA horizon exceeds 4 × 60.
  assert.equal(contextPoints(DEFAULT_SERIES_OPTIONS, { kind: 'fixed', micros: 1e6 }), 394);
  // 15-minute sampling: the daily and the weekly season; the weekly one, 672 rows, reaches
  // further: searched over 2 × 4 weeks, twice (a reference's own first-pass flag reads its
  // references), plus one more window (the drift windows) and the hold after a flag (half a window).
  assert.equal(contextPoints(DEFAULT_SERIES_OPTIONS, { kind: 'fixed', micros: 900e6 }), 5 * 60 + 30 + 2 * (8 * 672 + 2));
  // Daily sampling: the weekly season alone, 7 rows.
  assert.equal(contextPoints({ ...DEFAULT_SERIES_OPTIONS, ewmaAlpha: 1 }, { kind: 'fixed', micros: 86_400e6 }), 5 * 60 + 30 + 2 * (8 * 7 + 2));
  // 30-second sampling: a week is longer than MAX_SEASON_ROWS rows, the daily season alone.
  assert.equal(contextPoints(DEFAULT_SERIES_OPTIONS, { kind: 'fixed', micros: 30e6 }), 5 * 60 + 30 + 2 * (8 * 2880 + 2));
  assert.equal(contextPoints({ ...DEFAULT_SERIES_OPTIONS, anomaly: { ...DEFAULT_SERIES_OPTIONS.anomaly, seasonal: false } }, { kind: 'fixed', micros: 900e6 }), 394);
  assert.equal(contextPoints({ ...DEFAULT_SERIES_OPTIONS, ewmaAlpha: 1, windows: [500] }, { kind: 'calendar', months: 1 }), 499);
  assert.equal(contextPoints({ ...DEFAULT_SERIES_OPTIONS, ewmaAlpha: 1, windows: [2], anomaly: { ...DEFAULT_SERIES_OPTIONS.anomaly, window: 3 } }, { kind: 'calendar', months: 1 }), 13);
});

test('an interval that is not a positive step is refused rather than looped on', () => {
  const input = { tail: emptyTail(1), times: Float64Array.from([0, 10]), values: [Float64Array.from([1, 2])], outputFrom: -Infinity };
  assert.throws(() => processSeries(input, { ...DEFAULT_SERIES_OPTIONS, interval: { kind: 'fixed', micros: 0 } }), { code: 'ERR_ASSERTION' });
  assert.throws(() => processSeries(input, { ...DEFAULT_SERIES_OPTIONS, interval: { kind: 'calendar', months: 0.5 } }), { code: 'ERR_ASSERTION' });
  assert.ok(Object.isFrozen(DEFAULT_SERIES_OPTIONS.windows));
});
