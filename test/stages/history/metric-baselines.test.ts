/**
 * The history baselines on their own: OnlineNormal's moments and bounds, the scale floors, the
 * relative rate of change, the weekday baseline that takes over once there are three weeks of
 * loads, and the folding of departures one cause explains.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HISTORY_DEFAULTS } from '../../../src/configuration/history-defaults.js';
import { raisedRoots } from '../../../src/stages/history/explained-departures.js';
import { distinctFigureCompared } from '../../../src/stages/history/load-metrics.js';
import { compareMetric, type MetricKind, type MetricPoint, medianAndMad, onlineMoments, scaleFloor } from '../../../src/stages/history/metric-baselines.js';
import { mulberry32 } from '../../helpers/random.js';

const DAY = 86_400_000;
/** A Monday, 06:00 UTC. */
const START = Date.UTC(2026, 0, 5, 6);

function daily(values: readonly number[], from = START): MetricPoint[] {
  return values.map((value, i) => ({ value, at: from + i * DAY }));
}

function compare(kind: MetricKind, value: number, at: number, history: MetricPoint[], n = 1000) {
  return compareMetric(kind, value, at, history, (center) => scaleFloor(kind, center, HISTORY_DEFAULTS, { n }), HISTORY_DEFAULTS);
}

describe('metric baselines', () => {
  test('online moments are the population mean and stddev (as Deequ), stable for large offsets', () => {
    const random = mulberry32(7);
    const values = Array.from({ length: 500 }, () => 1e9 + random() * 10);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
    const moments = onlineMoments(values);
    assert.ok(Math.abs(moments.mean - mean) < 1e-6);
    assert.ok(Math.abs(moments.stddev - Math.sqrt(variance)) < 1e-6);
    assert.deepEqual(onlineMoments([]), { mean: 0, stddev: 0 });
    assert.deepEqual(medianAndMad([1, 2, 3, 4, 100]), { median: 3, mad: 1 });
  });

  test('online normal: outside mean ± 3 stddev departs, inside does not', () => {
    const history = daily([1000, 982, 1017, 995, 1024, 971, 1008, 990, 1029, 976]);
    const { mean, stddev } = onlineMoments(history.map((p) => p.value));
    const at = START + 10 * DAY;
    assert.deepEqual(compare('count', Math.round(mean + 2.9 * stddev), at, history).departures, []);
    const high = compare('count', Math.round(mean + 3.2 * stddev), at, history).departures;
    assert.deepEqual(high.map((d) => d.method), ['online_normal']);
    assert.ok(Math.abs(high[0].upper - (mean + 3 * stddev)) < 1e-9 && high[0].score > 3);
  });

  test('the scale floor keeps a flat history from flagging the first small change', () => {
    const history = daily([1000, 1000, 1000, 1000, 1000]);
    const at = START + 5 * DAY;
    // count floor: 1 % of the mean → bounds 1000 ± 30.
    assert.deepEqual(compare('count', 1025, at, history).departures, []);
    assert.equal(compare('count', 1031, at, history).departures[0]?.method, 'online_normal');
    // share floor: 0.005 (and the binomial error of the load) → 0 ± 0.015 for a rate that was always 0.
    const zeros = daily([0, 0, 0, 0, 0]);
    assert.deepEqual(compare('share', 0.01, at, zeros).departures, []);
    assert.equal(compare('share', 0.02, at, zeros).departures.length, 1);
    assert.ok(Math.abs(scaleFloor('share', 0.5, HISTORY_DEFAULTS, { n: 100 }) - 0.05) < 1e-12);
    // mean floor: the load's standard error σ/√n.
    assert.equal(scaleFloor('mean', 50, HISTORY_DEFAULTS, { n: 400, stddev: 10 }), 0.5);
    assert.ok(scaleFloor('mean', 0, HISTORY_DEFAULTS, { n: 0 }) > 0);
  });

  test('relative rate of change: counts only, against the previous point', () => {
    // A noisy history: OnlineNormal's bounds are wide, the jump from the last point is not.
    const history = daily([400, 1600, 500, 1500, 1000]);
    const at = START + 5 * DAY;
    const drop = compare('count', 450, at, history);
    assert.equal(drop.previous, 1000);
    assert.deepEqual(drop.departures.map((d) => d.method), ['rate_of_change']);
    assert.equal(drop.departures[0].score, 0.45);
    assert.deepEqual(compare('count', 2100, at, history).departures.map((d) => d.method), ['rate_of_change']);
    assert.deepEqual(compare('count', 1900, at, history).departures, []);
    assert.equal(compare('share', 0.1, at, daily([0.5, 0.9, 0.2, 0.8, 0.5])).previous, null, 'a share has no rate of change');
  });

  test('three weeks of loads: the same weekday is the baseline, so a small Sunday is normal and a small Monday is not', () => {
    // 28 daily loads from a Monday: 1000 ± 2 % on weekdays, 500 ± 2 % on Sundays.
    const random = mulberry32(3);
    const values = Array.from({ length: 28 }, (_, i) => ((i % 7) === 6 ? 500 : 1000) * (0.98 + random() * 0.04));
    const history = daily(values);
    const sunday = START + 34 * DAY;
    const monday = START + 35 * DAY;
    assert.equal(new Date(sunday).getUTCDay(), 0);
    const normalSunday = compare('count', 505, sunday, history);
    assert.equal(normalSunday.weekday, true);
    assert.deepEqual(normalSunday.departures, []);
    const bigSunday = compare('count', 1100, sunday, history);
    assert.deepEqual(bigSunday.departures.map((d) => d.method), ['weekday_robust_z', 'rate_of_change']);
    assert.ok(Math.abs(bigSunday.previous! - values[27]) < 1e-9, 'the rate of change compares with the previous Sunday');
    const smallMonday = compare('count', 500, monday, history);
    assert.deepEqual(smallMonday.departures.map((d) => d.method), ['weekday_robust_z', 'rate_of_change']);
    // Under three weeks the whole history is the baseline: its spread (Sundays included) makes a small Sunday normal for OnlineNormal too.
    const short = compare('count', 505, START + 14 * DAY + 6 * DAY, daily(values.slice(0, 14)));
    assert.equal(short.weekday, false);
    assert.deepEqual(short.departures, []);
  });

  test('a distinct count is compared for categorical columns, distinct / values for key-like ones', () => {
    assert.equal(distinctFigureCompared('distinct', [0.004, 0.005, 0.004]), true);
    assert.equal(distinctFigureCompared('distinct_ratio', [0.004, 0.005, 0.004]), false);
    assert.equal(distinctFigureCompared('distinct', [1, 1, 0.999]), false);
    assert.equal(distinctFigureCompared('distinct_ratio', [1, 1, 0.999]), true);
    assert.equal(distinctFigureCompared('distinct', [0.92, 0.93]), false);
    assert.equal(distinctFigureCompared('distinct_ratio', [0.92, 0.93]), false);
    assert.equal(distinctFigureCompared('mean', []), true);
  });

  test('departures one cause explains are folded into it, transitively', () => {
    const roots = raisedRoots([
      { metric: 'row_count', column: null, direction: -1 },
      { metric: 'distinct', column: 'status', direction: -1 },
      { metric: 'distinct_ratio', column: 'id', direction: 1 },
      { metric: 'reject_rate', column: null, direction: 1 },
      { metric: 'validity', column: null, direction: -1 },
      { metric: 'score', column: null, direction: -1 },
      { metric: 'null_rate', column: 'note', direction: -1 },
      { metric: 'distinct', column: 'note', direction: 1 },
    ]);
    // distinct going up while rows went down is news; score follows validity to reject_rate.
    assert.deepEqual(roots, [0, 0, 0, 3, 3, 3, 6, 7]);
  });
});
